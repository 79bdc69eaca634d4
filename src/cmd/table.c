/* The command table: name, arity, key positions and routing for every command
 * kevy implements, with Redis 7.0's values (tests/unit/test_cmdtable.c checks
 * them against the metadata captured from real Redis). Lookup lower-cases the
 * name into a small buffer and binary-searches the sorted table; container
 * commands (COMMAND ...) resolve their subcommand the same way. */
#include "cmd/cmd.h"

#include <string.h>

#define W KV_CMD_WRITE
#define R KV_CMD_READONLY
#define F KV_CMD_FAST

typedef struct kv_cmd_entry {
    kv_cmd cmd; /* first member: a kv_cmd* of an entry converts back */
    const kv_cmd *subs;
    size_t nsubs;
} kv_cmd_entry;

/* Sorted by name. */
static const kv_cmd command_subs[] = {
    {"command|count", 2, 0, 0, 0, 0, KV_ROUTE_LOCAL, kv_cmd_command_count, NULL, NULL, NULL},
    {"command|docs", -2, 0, 0, 0, 0, KV_ROUTE_LOCAL, kv_cmd_command_docs, NULL, NULL, NULL},
    {"command|getkeys", -4, 0, 0, 0, 0, KV_ROUTE_LOCAL, kv_cmd_command_getkeys, NULL, NULL, NULL},
    {"command|getkeysandflags", -4, 0, 0, 0, 0, KV_ROUTE_LOCAL, kv_cmd_command_getkeysandflags, NULL, NULL, NULL},
    {"command|help", 2, 0, 0, 0, 0, KV_ROUTE_LOCAL, kv_cmd_command_help, NULL, NULL, NULL},
    {"command|info", -2, 0, 0, 0, 0, KV_ROUTE_LOCAL, kv_cmd_command_info, NULL, NULL, NULL},
    {"command|list", -2, 0, 0, 0, 0, KV_ROUTE_LOCAL, kv_cmd_command_list, NULL, NULL, NULL},
};

#define SUBS(a) a, sizeof a / sizeof a[0]
#define NOSUBS NULL, 0

/* Sorted by name. */
static const kv_cmd_entry table[] = {
    {{"auth", -2, KV_CMD_NOSCRIPT | F, 0, 0, 0, KV_ROUTE_LOCAL, kv_cmd_auth, NULL, NULL, NULL}, NOSUBS},
    {{"command", -1, 0, 0, 0, 0, KV_ROUTE_LOCAL, kv_cmd_command, NULL, NULL, NULL}, SUBS(command_subs)},
    {{"dbsize", 1, R | F, 0, 0, 0, KV_ROUTE_ALL, kv_cmd_dbsize, kv_reduce_sum, NULL, NULL}, NOSUBS},
    {{"decr", 2, W | F, 1, 1, 1, KV_ROUTE_KEY, kv_cmd_decr, NULL, NULL, NULL}, NOSUBS},
    {{"decrby", 3, W | F, 1, 1, 1, KV_ROUTE_KEY, kv_cmd_decrby, NULL, NULL, NULL}, NOSUBS},
    {{"del", -2, W, 1, -1, 1, KV_ROUTE_KEYS, kv_cmd_del, kv_reduce_sum, NULL, NULL}, NOSUBS},
    {{"echo", 2, F, 0, 0, 0, KV_ROUTE_LOCAL, kv_cmd_echo, NULL, NULL, NULL}, NOSUBS},
    {{"exists", -2, R | F, 1, -1, 1, KV_ROUTE_KEYS, kv_cmd_exists, kv_reduce_sum, NULL, NULL}, NOSUBS},
    {{"expire", -3, W | F, 1, 1, 1, KV_ROUTE_KEY, kv_cmd_expire, NULL, NULL, NULL}, NOSUBS},
    {{"flushall", -1, W, 0, 0, 0, KV_ROUTE_ALL, kv_cmd_flushall, kv_reduce_first, kv_check_flush, NULL}, NOSUBS},
    {{"flushdb", -1, W, 0, 0, 0, KV_ROUTE_ALL, kv_cmd_flushdb, kv_reduce_first, kv_check_flush, NULL}, NOSUBS},
    {{"get", 2, R | F, 1, 1, 1, KV_ROUTE_KEY, kv_cmd_get, NULL, NULL, NULL}, NOSUBS},
    {{"hello", -1, F, 0, 0, 0, KV_ROUTE_LOCAL, kv_cmd_hello, NULL, NULL, NULL}, NOSUBS},
    {{"incr", 2, W | F, 1, 1, 1, KV_ROUTE_KEY, kv_cmd_incr, NULL, NULL, NULL}, NOSUBS},
    {{"incrby", 3, W | F, 1, 1, 1, KV_ROUTE_KEY, kv_cmd_incrby, NULL, NULL, NULL}, NOSUBS},
    {{"info", -1, 0, 0, 0, 0, KV_ROUTE_ALL, kv_cmd_info, kv_reduce_info, NULL, NULL}, NOSUBS},
    {{"mget", -2, R | F, 1, -1, 1, KV_ROUTE_KEYS, kv_cmd_mget, kv_reduce_keyorder, NULL, NULL}, NOSUBS},
    {{"mset", -3, W, 1, -1, 2, KV_ROUTE_KEYS, kv_cmd_mset, kv_reduce_first, kv_check_mset, NULL}, NOSUBS},
    {{"pexpire", -3, W | F, 1, 1, 1, KV_ROUTE_KEY, kv_cmd_pexpire, NULL, NULL, NULL}, NOSUBS},
    {{"ping", -1, F, 0, 0, 0, KV_ROUTE_LOCAL, kv_cmd_ping, NULL, NULL, NULL}, NOSUBS},
    {{"pttl", 2, R | F, 1, 1, 1, KV_ROUTE_KEY, kv_cmd_pttl, NULL, NULL, NULL}, NOSUBS},
    {{"quit", -1, F, 0, 0, 0, KV_ROUTE_LOCAL, kv_cmd_quit, NULL, NULL, NULL}, NOSUBS},
    {{"select", 2, F, 0, 0, 0, KV_ROUTE_LOCAL, kv_cmd_select, NULL, NULL, NULL}, NOSUBS},
    {{"set", -3, W, 1, 1, 1, KV_ROUTE_KEY, kv_cmd_set, NULL, NULL, NULL}, NOSUBS},
    {{"shutdown", -1, 0, 0, 0, 0, KV_ROUTE_LOCAL, kv_cmd_shutdown, NULL, NULL, NULL}, NOSUBS},
    {{"ttl", 2, R | F, 1, 1, 1, KV_ROUTE_KEY, kv_cmd_ttl, NULL, NULL, NULL}, NOSUBS},
};

#define NTABLE (sizeof table / sizeof table[0])

/* Unknown names still resolve: to entries whose exec replies Redis's error,
 * so the runtime never needs to know the error texts. */
static const kv_cmd unknown_cmd = {"unknown", -1, KV_CMD_UNKNOWN, 0, 0, 0, KV_ROUTE_LOCAL, kv_cmd_unknown, NULL, NULL, NULL};
static const kv_cmd unknown_sub = {"unknown|sub", -1, KV_CMD_UNKNOWN, 0, 0, 0, KV_ROUTE_LOCAL, kv_cmd_unknown_sub, NULL, NULL, NULL};

#define KV_NAME_MAX 40

/* FNV-1a of the lower-cased name, computed while lower-casing. */
static unsigned kv_name_hash(const char *name, size_t n)
{
    unsigned h = 2166136261u;
    size_t i;
    for (i = 0; i < n; i++)
        h = (h ^ (unsigned char)name[i]) * 16777619u;
    return h;
}

/* Lower-case a name into buf and hash it; 0 if it cannot be a command name. */
static size_t kv_lower(char *buf, const char *p, size_t n, unsigned *hash)
{
    unsigned h = 2166136261u;
    size_t i;
    if (n == 0 || n >= KV_NAME_MAX)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch == 0)
            return 0; /* names are binary-safe in Redis: "get\0" is not GET */
        if (ch >= 'A' && ch <= 'Z')
            ch = (unsigned char)(ch + 32);
        buf[i] = (char)ch;
        h = (h ^ ch) * 16777619u;
    }
    buf[n] = '\0';
    if (hash)
        *hash = h;
    return n;
}

void kv_cmd_index_build(kv_cmd_index *ix)
{
    size_t i;
    memset(ix, 0, sizeof *ix);
    for (i = 0; i < NTABLE; i++) {
        const char *name = table[i].cmd.name;
        unsigned h = kv_name_hash(name, strlen(name)) & (KV_CMD_INDEX_SLOTS - 1);
        while (ix->slot[h])
            h = (h + 1) & (KV_CMD_INDEX_SLOTS - 1);
        ix->slot[h] = (unsigned short)(i + 1);
    }
}

/* Binary search a sorted array of commands by name (lower-case, NUL-ended). */
static const void *kv_bsearch(const char *name, const void *base, size_t count, size_t size)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const kv_cmd *c = (const kv_cmd *)(const void *)((const char *)base + mid * size);
        int d = strcmp(name, c->name);
        if (d == 0)
            return c;
        if (d < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static const kv_cmd_entry *kv_find_top(const kv_cmd_index *ix, const char *name, unsigned hash)
{
    unsigned h;
    if (!ix)
        return kv_bsearch(name, table, NTABLE, sizeof table[0]);
    for (h = hash & (KV_CMD_INDEX_SLOTS - 1); ix->slot[h]; h = (h + 1) & (KV_CMD_INDEX_SLOTS - 1)) {
        const kv_cmd_entry *e = &table[ix->slot[h] - 1];
        /* strcmp, not memcmp: the table name may be shorter than n. */
        if (strcmp(e->cmd.name, name) == 0)
            return e;
    }
    return NULL;
}

static const kv_cmd *kv_find_sub(const kv_cmd_entry *e, const char *sub, size_t n)
{
    char full[2 * KV_NAME_MAX + 2];
    size_t plen = strlen(e->cmd.name);
    if (n == 0 || n >= KV_NAME_MAX)
        return NULL;
    memcpy(full, e->cmd.name, plen);
    full[plen] = '|';
    if (!kv_lower(full + plen + 1, sub, n, NULL))
        return NULL;
    return kv_bsearch(full, e->subs, e->nsubs, sizeof e->subs[0]);
}

const kv_cmd *kv_cmd_lookup(void *udata, int argc, const kv_str *argv)
{
    const kv_server *srv = udata;
    char name[KV_NAME_MAX];
    const kv_cmd_entry *e;
    const kv_cmd *sub;
    unsigned hash;
    size_t n = kv_lower(name, argv[0].p, argv[0].n, &hash);
    if (!n || !(e = kv_find_top(srv ? &srv->index : NULL, name, hash)))
        return &unknown_cmd;
    if (e->nsubs == 0 || argc < 2)
        return &e->cmd;
    sub = kv_find_sub(e, argv[1].p, argv[1].n);
    return sub ? sub : &unknown_sub;
}

const kv_cmd *kv_cmd_find(const char *name, size_t n)
{
    char buf[2 * KV_NAME_MAX + 2];
    const char *bar = memchr(name, '|', n);
    const kv_cmd_entry *e;
    if (!bar) {
        if (!kv_lower(buf, name, n, NULL))
            return NULL;
        e = kv_bsearch(buf, table, NTABLE, sizeof table[0]);
        return e ? &e->cmd : NULL;
    }
    if (!kv_lower(buf, name, (size_t)(bar - name), NULL))
        return NULL;
    e = kv_bsearch(buf, table, NTABLE, sizeof table[0]);
    return e ? kv_find_sub(e, bar + 1, n - (size_t)(bar - name) - 1) : NULL;
}

size_t kv_cmd_count(void)
{
    return NTABLE;
}

const kv_cmd *kv_cmd_at(size_t i)
{
    return i < NTABLE ? &table[i].cmd : NULL;
}

/* Subcommands of a top-level entry, as a contiguous array; NULL if none. */
const kv_cmd *kv_cmd_subs(const kv_cmd *parent, size_t *n)
{
    const kv_cmd_entry *e;
    size_t i;
    for (i = 0; i < NTABLE; i++) {
        if (&table[i].cmd == parent) {
            e = &table[i];
            *n = e->nsubs;
            return e->subs;
        }
    }
    *n = 0;
    return NULL;
}
