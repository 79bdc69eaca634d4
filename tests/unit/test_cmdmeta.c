/* Unit tests for the generated command metadata (src/cmd/cmdmeta*.c): known
 * entries carry Redis 7.0.15's values, lookup is case-insensitive, and every
 * stored COMMAND INFO / COMMAND DOCS blob is exactly one well-formed RESP3
 * reply whose header fields agree with the parsed ones. */
#include <string.h>

#include "cmd/core/cmdmeta.h"
#include "test.h"

/* ------------------------------------------------ a tiny RESP3 checker */

/* Parse the line at p[0..n) up to CRLF: returns its length (without CRLF)
 * or -1 if no CRLF, and rejects bare CR/LF inside it. */
static long line_len(const char *p, size_t n)
{
    size_t i;
    for (i = 0; i + 1 < n; i++) {
        if (p[i] == '\r')
            return p[i + 1] == '\n' ? (long)i : -1;
        if (p[i] == '\n')
            return -1;
    }
    return -1;
}

/* Decimal with optional '-', no leading '+', no empty, no overflow guard
 * beyond 18 digits (enough for every length in the table). */
static int parse_num(const char *p, long len, long long *out)
{
    long i = 0;
    long long v = 0;
    int neg = 0;
    if (len > 0 && p[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == len || len - i > 18)
        return 0;
    for (; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        v = v * 10 + (p[i] - '0');
    }
    *out = neg ? -v : v;
    return 1;
}

/* Size of the one complete reply at p, or -1 if malformed or incomplete. */
static long reply_len(const char *p, size_t n, int depth)
{
    long ll, i;
    long long v, count;
    size_t pos;
    if (n == 0 || depth > 64)
        return -1;
    ll = line_len(p + 1, n - 1);
    if (ll < 0)
        return -1;
    pos = 1 + (size_t)ll + 2;
    switch (p[0]) {
    case '+': case '-':
        return (long)pos;
    case ':': case '(':
        return parse_num(p + 1, ll, &v) ? (long)pos : -1;
    case ',':
        return ll > 0 ? (long)pos : -1;
    case '#':
        return (ll == 1 && (p[1] == 't' || p[1] == 'f')) ? (long)pos : -1;
    case '_':
        return ll == 0 ? (long)pos : -1;
    case '$': case '=': case '!':
        if (!parse_num(p + 1, ll, &v) || v < 0)
            return -1;
        if (p[0] == '=' && (v < 4 || (n > pos + 3 && p[pos + 3] != ':')))
            return -1;
        if (n < pos + (size_t)v + 2 || p[pos + v] != '\r' || p[pos + v + 1] != '\n')
            return -1;
        return (long)(pos + (size_t)v + 2);
    case '*': case '~': case '>': case '%': case '|':
        if (!parse_num(p + 1, ll, &count) || count < 0)
            return -1;
        if (p[0] == '%' || p[0] == '|')
            count *= 2;
        for (i = 0; i < count; i++) {
            long el = reply_len(p + pos, n - pos, depth + 1);
            if (el < 0)
                return -1;
            pos += (size_t)el;
        }
        return (long)pos;
    default:
        return -1;
    }
}

/* Aggregate header: returns its element count (pairs for maps), sets *body to
 * the first child. -1 if p is not an aggregate of type t. */
static long agg_open(const char *p, size_t n, char t, size_t *body)
{
    long ll;
    long long count;
    if (n == 0 || p[0] != t)
        return -1;
    ll = line_len(p + 1, n - 1);
    if (ll < 0 || !parse_num(p + 1, ll, &count))
        return -1;
    *body = 1 + (size_t)ll + 2;
    return (long)count;
}

/* Offset of child k (0-based) of the array at p. */
static size_t child_at(const char *p, size_t n, long k)
{
    size_t pos;
    long i;
    if (agg_open(p, n, '*', &pos) <= k)
        return n;
    for (i = 0; i < k; i++)
        pos += (size_t)reply_len(p + pos, n - pos, 0);
    return pos;
}

/* True if the reply at p is the simple string/bulk/int text s with type t. */
static int scalar_is(const char *p, size_t n, char t, const char *s)
{
    size_t sl = strlen(s);
    long len = reply_len(p, n, 0);
    if (len < 0 || p[0] != t)
        return 0;
    if (t == '$') {
        const char *nl = memchr(p, '\n', n);
        size_t hdr = (size_t)(nl - p) + 1;
        return (size_t)len == hdr + sl + 2 && memcmp(p + hdr, s, sl) == 0;
    }
    return (size_t)len == sl + 3 && memcmp(p + 1, s, sl) == 0;
}

/* The RESP3 set at p holds exactly the NULL-terminated list, in order. */
static int set_is(const char *p, size_t n, char t, const char *const *list)
{
    size_t pos;
    long cnt = agg_open(p, n, '~', &pos), i;
    for (i = 0; list[i]; i++) {
        if (i >= cnt || !scalar_is(p + pos, n - pos, t, list[i]))
            return 0;
        pos += (size_t)reply_len(p + pos, n - pos, 0);
    }
    return i == cnt;
}

/* ------------------------------------------------------------- tests */

static void test_checker_itself(void)
{
    CHECK_EQ_LL(reply_len("+OK\r\n", 5, 0), 5);
    CHECK_EQ_LL(reply_len("+OK\r", 4, 0), -1);
    CHECK_EQ_LL(reply_len("$3\r\nabc\r\n", 9, 0), 9);
    CHECK_EQ_LL(reply_len("$3\r\nabcd\r\n", 10, 0), -1);
    CHECK_EQ_LL(reply_len("%1\r\n+a\r\n:1\r\n", 12, 0), 12);
    CHECK_EQ_LL(reply_len("%1\r\n+a\r\n", 8, 0), -1);
    CHECK_EQ_LL(reply_len("~2\r\n_\r\n#t\r\n", 11, 0), 11);
    CHECK_EQ_LL(reply_len(":x\r\n", 4, 0), -1);
    CHECK_EQ_LL(reply_len("?\r\n", 3, 0), -1);
}

static void test_get(void)
{
    static const char *const flags[] = {"readonly", "fast", NULL};
    static const char *const acl[] = {"@read", "@string", "@fast", NULL};
    static const char info_head[] =
        "*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n"
        "~3\r\n+@read\r\n+@string\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n";
    static const char docs_head[] =
        "%5\r\n$7\r\nsummary\r\n$22\r\nGet the value of a key\r\n$5\r\nsince\r\n";
    const kv_cmdmeta *m = kv_cmdmeta_find("get", 3);
    size_t i;
    CHECK(m != NULL);
    if (!m)
        return;
    CHECK(strcmp(m->name, "get") == 0);
    CHECK_EQ_LL(m->arity, 2);
    CHECK_EQ_LL(m->first_key, 1);
    CHECK_EQ_LL(m->last_key, 1);
    CHECK_EQ_LL(m->key_step, 1);
    for (i = 0; flags[i]; i++)
        CHECK(m->flags[i] && strcmp(m->flags[i], flags[i]) == 0);
    CHECK(m->flags[2] == NULL);
    for (i = 0; acl[i]; i++)
        CHECK(m->acl_categories[i] && strcmp(m->acl_categories[i], acl[i]) == 0);
    CHECK(m->acl_categories[3] == NULL);
    CHECK_MEM(m->info_resp3, sizeof info_head - 1, info_head);
    CHECK_MEM(m->docs_resp3, sizeof docs_head - 1, docs_head);
    CHECK_EQ_LL(m->info_len, 303);
    CHECK_EQ_LL(m->docs_len, 204);
}

static void test_mset_and_subcommand(void)
{
    const kv_cmdmeta *m = kv_cmdmeta_find("mset", 4);
    CHECK(m != NULL);
    if (m) {
        CHECK_EQ_LL(m->arity, -3);
        CHECK_EQ_LL(m->first_key, 1);
        CHECK_EQ_LL(m->last_key, -1);
        CHECK_EQ_LL(m->key_step, 2);
        CHECK(strcmp(m->flags[0], "write") == 0);
        CHECK(strcmp(m->flags[1], "denyoom") == 0);
        CHECK(m->flags[2] == NULL);
        CHECK(strcmp(m->acl_categories[0], "@write") == 0);
        CHECK(strcmp(m->acl_categories[1], "@string") == 0);
        CHECK(strcmp(m->acl_categories[2], "@slow") == 0);
        CHECK(m->acl_categories[3] == NULL);
    }
    m = kv_cmdmeta_find("command|info", 12);
    CHECK(m != NULL);
    if (m) {
        CHECK(strcmp(m->name, "command|info") == 0);
        CHECK_EQ_LL(m->arity, -2);
        CHECK_EQ_LL(m->first_key, 0);
        CHECK_EQ_LL(m->last_key, 0);
        CHECK_EQ_LL(m->key_step, 0);
        CHECK(strcmp(m->flags[0], "loading") == 0);
        CHECK(strcmp(m->flags[1], "stale") == 0);
        CHECK(m->flags[2] == NULL);
        CHECK(strcmp(m->acl_categories[0], "@slow") == 0);
        CHECK(strcmp(m->acl_categories[1], "@connection") == 0);
        CHECK(m->acl_categories[2] == NULL);
    }
}

/* The container's reply lists all seven subcommands, sorted by name. */
static void test_command_container(void)
{
    static const char *const subs[] = {
        "command|count", "command|docs", "command|getkeys",
        "command|getkeysandflags", "command|help", "command|info",
        "command|list"};
    const kv_cmdmeta *m = kv_cmdmeta_find("COMMAND", 7);
    size_t off, pos, i;
    CHECK(m != NULL);
    if (!m)
        return;
    CHECK_EQ_LL(m->arity, -1);
    off = child_at(m->info_resp3, m->info_len, 9);
    CHECK_EQ_LL(agg_open(m->info_resp3 + off, m->info_len - off, '*', &pos), 7);
    for (i = 0; i < 7; i++) {
        const char *sub = m->info_resp3 + off + pos;
        size_t n = m->info_len - off - pos;
        size_t name = child_at(sub, n, 0);
        CHECK(scalar_is(sub + name, n - name, '$', subs[i]));
        CHECK(kv_cmdmeta_find(subs[i], strlen(subs[i])) != NULL);
        pos += (size_t)reply_len(sub, n, 0);
    }
}

static void test_find(void)
{
    const kv_cmdmeta *get = kv_cmdmeta_find("get", 3);
    CHECK(get != NULL);
    CHECK(kv_cmdmeta_find("GET", 3) == get);
    CHECK(kv_cmdmeta_find("gEt", 3) == get);
    CHECK(kv_cmdmeta_find("getx", 3) == get); /* only len bytes count */
    CHECK(kv_cmdmeta_find("getx", 4) == NULL);
    CHECK(kv_cmdmeta_find("ge", 2) == NULL);
    CHECK(kv_cmdmeta_find("", 0) == NULL);
    CHECK(kv_cmdmeta_find("get\0", 4) == NULL);
    CHECK(kv_cmdmeta_find("nosuchcommand", 13) == NULL);
    CHECK(kv_cmdmeta_find(NULL, 0) == NULL);
    CHECK(kv_cmdmeta_find("Command|INFO", 12) == kv_cmdmeta_find("command|info", 12));
    CHECK(kv_cmdmeta_find("command|info", 12) != NULL);
    CHECK(kv_cmdmeta_find("command|", 8) == NULL);
    CHECK(kv_cmdmeta_at(kv_cmdmeta_count()) == NULL);
}

/* Every name the first milestone implements has an entry. */
static void test_seed_commands_present(void)
{
    static const char *const names[] = {
        "ping", "echo", "hello", "quit", "select", "command", "get", "set",
        "del", "exists", "mget", "mset", "incr", "decr", "incrby", "decrby",
        "dbsize", "flushdb", "flushall", "expire", "pexpire", "ttl", "pttl",
        "info", "shutdown", "command|count", "command|info", "command|docs",
        "command|getkeys", "command|getkeysandflags", "command|list",
        "command|help"};
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        const kv_cmdmeta *m = kv_cmdmeta_find(names[i], strlen(names[i]));
        CHECK(m != NULL);
        if (m == NULL)
            fprintf(stderr, "    missing: %s\n", names[i]);
    }
    CHECK(kv_cmdmeta_count() >= sizeof names / sizeof names[0]);
}

/* Each entry: sorted, well-formed RESP3, and the head of its COMMAND INFO
 * element agrees with the parsed fields. */
static void test_every_entry_well_formed(void)
{
    size_t i, n = kv_cmdmeta_count();
    for (i = 0; i < n; i++) {
        const kv_cmdmeta *m = kv_cmdmeta_at(i);
        const char *p = m->info_resp3;
        size_t len = m->info_len, off, pos;
        char num[32];
        if (i > 0)
            CHECK(strcmp(kv_cmdmeta_at(i - 1)->name, m->name) < 0);
        CHECK(kv_cmdmeta_find(m->name, strlen(m->name)) == m);
        CHECK_EQ_LL(reply_len(p, len, 0), (long long)len);
        CHECK_EQ_LL(reply_len(m->docs_resp3, m->docs_len, 0), (long long)m->docs_len);
        CHECK(m->docs_len > 0 && m->docs_resp3[0] == '%');
        CHECK_EQ_LL(agg_open(p, len, '*', &pos), 10);
        off = child_at(p, len, 0);
        CHECK(scalar_is(p + off, len - off, '$', m->name));
        off = child_at(p, len, 1);
        snprintf(num, sizeof num, "%d", m->arity);
        CHECK(scalar_is(p + off, len - off, ':', num));
        off = child_at(p, len, 2);
        CHECK(set_is(p + off, len - off, '+', m->flags));
        off = child_at(p, len, 3);
        snprintf(num, sizeof num, "%d", m->first_key);
        CHECK(scalar_is(p + off, len - off, ':', num));
        off = child_at(p, len, 4);
        snprintf(num, sizeof num, "%d", m->last_key);
        CHECK(scalar_is(p + off, len - off, ':', num));
        off = child_at(p, len, 5);
        snprintf(num, sizeof num, "%d", m->key_step);
        CHECK(scalar_is(p + off, len - off, ':', num));
        off = child_at(p, len, 6);
        CHECK(set_is(p + off, len - off, '+', m->acl_categories));
    }
}

TEST_MAIN("cmdmeta",
          TEST(test_checker_itself),
          TEST(test_get),
          TEST(test_mset_and_subcommand),
          TEST(test_command_container),
          TEST(test_find),
          TEST(test_seed_commands_present),
          TEST(test_every_entry_well_formed))
