/* The command table against Redis 7.0.15's own metadata (cmdmeta_gen.c):
 * every command kevy implements must have Redis's arity, key positions and
 * write/readonly flags, and a route the runtime can execute. This is what
 * caught `command|getkeys` having arity -4, not -3. */
#include <string.h>
#include <strings.h>

#include "cmd/cmd.h"
#include "cmd/core/cmdmeta.h"
#include "test.h"

static int has_flag(const kv_cmdmeta *m, const char *flag)
{
    const char *const *f;
    for (f = m->flags; f && *f; f++)
        if (strcmp(*f, flag) == 0)
            return 1;
    return 0;
}

static void check_entry(const kv_cmd *c)
{
    const kv_cmdmeta *m = kv_cmdmeta_find(c->name, strlen(c->name));
    CHECK(m != NULL);
    if (!m) {
        fprintf(stderr, "  no Redis metadata for '%s'\n", c->name);
        return;
    }
    if (m->arity != c->arity || m->first_key != c->first_key ||
        m->last_key != c->last_key || m->key_step != c->key_step)
        fprintf(stderr, "  '%s': table %d %d %d %d, Redis %d %d %d %d\n", c->name, c->arity,
                c->first_key, c->last_key, c->key_step, m->arity, m->first_key, m->last_key,
                m->key_step);
    /* EXEC checks its own arity (a malformed EXEC aborts an open MULTI with
     * EXECABORT instead of the runtime's plain arity error). */
    CHECK_EQ_LL(c->arity, strcmp(c->name, "exec") ? m->arity : -1);
    CHECK_EQ_LL(c->first_key, m->first_key);
    CHECK_EQ_LL(c->last_key, m->last_key);
    CHECK_EQ_LL(c->key_step, m->key_step);
    CHECK(!!(c->flags & KV_CMD_WRITE) == has_flag(m, "write"));
    CHECK(!!(c->flags & KV_CMD_READONLY) == has_flag(m, "readonly"));
    CHECK(!!(c->flags & KV_CMD_FAST) == has_flag(m, "fast"));
    if (!!(c->flags & KV_CMD_FAST) != has_flag(m, "fast"))
        fprintf(stderr, "  '%s': fast flag differs\n", c->name);
    CHECK(c->exec != NULL);
    if (c->route == KV_ROUTE_KEYS || c->route == KV_ROUTE_ALL)
        CHECK(c->reduce != NULL);
    if (c->route == KV_ROUTE_KEY || c->route == KV_ROUTE_KEYS)
        CHECK(c->first_key > 0);
}

static kv_server srv;

static void setup(void)
{
    kv_cmdset cs;
    kv_commands_init(&cs, &srv);
}

static void test_table_matches_redis(void)
{
    size_t i, k, n;
    setup();
    n = kv_cmd_count(&srv);
    CHECK(n > 20);
    for (i = 0; i < n; i++) {
        const kv_cmd *c = kv_cmd_at(&srv, i), *subs;
        size_t nsubs;
        check_entry(c);
        if (i > 0)
            CHECK(strcmp(kv_cmd_at(&srv, i - 1)->name, c->name) < 0); /* sorted */
        subs = kv_cmd_subs(c, &nsubs);
        for (k = 0; k < nsubs; k++) {
            check_entry(&subs[k]);
            if (k > 0)
                CHECK(strcmp(subs[k - 1].name, subs[k].name) < 0);
        }
    }
}

static void test_lookup(void)
{
    kv_str a[2];
    const kv_cmd *c;
    setup();
    a[0].p = "GeT";
    a[0].n = 3;
    c = kv_cmd_lookup(&srv, 1, a);
    CHECK(strcmp(c->name, "get") == 0);
    a[0].p = "command";
    a[0].n = 7;
    a[1].p = "INFO";
    a[1].n = 4;
    c = kv_cmd_lookup(&srv, 2, a);
    CHECK(strcmp(c->name, "command|info") == 0);
    c = kv_cmd_lookup(&srv, 1, a);
    CHECK(strcmp(c->name, "command") == 0);
    a[1].p = "nosuch";
    a[1].n = 6;
    c = kv_cmd_lookup(&srv, 2, a);
    CHECK(c->flags & KV_CMD_UNKNOWN);
    a[0].p = "nosuchcommand";
    a[0].n = 13;
    c = kv_cmd_lookup(&srv, 1, a);
    CHECK(c->flags & KV_CMD_UNKNOWN);
    a[0].p = "get\0";
    a[0].n = 4; /* a NUL inside the name is not "get" */
    CHECK(kv_cmd_lookup(&srv, 1, a)->flags & KV_CMD_UNKNOWN);
    CHECK(kv_cmd_find(&srv, "COMMAND|Docs", 12) != NULL);
    CHECK(kv_cmd_find(&srv, "command|", 8) == NULL);
}

/* A name resolves to the entry of that name, in any case; anything else
 * (prefixes, random bytes) to an unknown-command entry. */
static const kv_cmd *linear_find(const char *name, size_t n)
{
    size_t i;
    for (i = 0; i < kv_cmd_count(&srv); i++) {
        const kv_cmd *c = kv_cmd_at(&srv, i);
        if (strlen(c->name) == n && strncasecmp(c->name, name, n) == 0 && !memchr(name, 0, n))
            return c;
    }
    return NULL;
}

static void test_index_agrees(void)
{
    size_t i, k, n;
    setup();
    n = kv_cmd_count(&srv);
    for (i = 0; i < n; i++) {
        const kv_cmd *c = kv_cmd_at(&srv, i);
        char upper[64];
        kv_str a;
        for (k = 0; c->name[k]; k++)
            upper[k] = (char)(c->name[k] >= 'a' && c->name[k] <= 'z' ? c->name[k] - 32 : c->name[k]);
        a.p = upper;
        a.n = k;
        CHECK(kv_cmd_lookup(&srv, 1, &a) == c);
        a.n = k - 1; /* a prefix is another name, or none */
        CHECK(kv_cmd_lookup(&srv, 1, &a) ==
              (linear_find(upper, k - 1) ? linear_find(upper, k - 1) : kv_cmd_lookup(&srv, 1, &a)));
        if (!linear_find(upper, k - 1))
            CHECK(kv_cmd_lookup(&srv, 1, &a)->flags & KV_CMD_UNKNOWN);
    }
}

/* Regression (fuzz_cmd): a name hashing to the slot of a shorter command was
 * compared with memcmp over its own length, reading past the table's string
 * ("q\xffee" lands on "set"). ASan builds catch any such read here. */
static void test_index_unknown_names(void)
{
    unsigned x = 12345;
    int i, k;
    kv_str a;
    char name[40];
    setup();
    a.p = "q\xff" "ee";
    a.n = 4;
    CHECK(kv_cmd_lookup(&srv, 1, &a)->flags & KV_CMD_UNKNOWN);
    for (i = 0; i < 100000; i++) {
        const kv_cmd *want, *got;
        int n = 1 + (int)((x >> 8) % 39);
        for (k = 0; k < n; k++) {
            x = x * 1103515245u + 12345u;
            name[k] = (char)(1 + (x >> 16) % 255);
        }
        a.p = name;
        a.n = (size_t)n;
        want = linear_find(name, (size_t)n);
        got = kv_cmd_lookup(&srv, 1, &a);
        CHECK(want ? got == want : (got->flags & KV_CMD_UNKNOWN) != 0);
    }
}

TEST_MAIN("cmdtable", TEST(test_table_matches_redis), TEST(test_lookup), TEST(test_index_agrees), TEST(test_index_unknown_names))
