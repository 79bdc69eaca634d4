/* The command index: every family's table (each family file owns one) merged
 * at startup into a list sorted by name, for COMMAND's listings, and an
 * open-addressed hash of the lower-cased name, so a lookup is one probe.
 * Container commands (COMMAND, later CONFIG, CLIENT...) resolve their
 * subcommand by binary search in the container's sorted subcommand table.
 * tests/unit/test_cmdtable.c checks every entry against Redis's metadata. */
#include "cmd/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const kv_cmddef *const kv_families[] = {
    kv_cmds_server, kv_cmds_command, kv_cmds_strings, kv_cmds_keys, kv_cmds_bitops,
    kv_cmds_hll,    kv_cmds_lists,   kv_cmds_hashes,  kv_cmds_sets, kv_cmds_zsets,
    kv_cmds_geo,    kv_cmds_sort,    kv_cmds_config,  kv_cmds_client, kv_cmds_slowlog,
    kv_cmds_debug,  kv_cmds_admin,   kv_cmds_multi,
};

/* Unknown names still resolve: to entries whose exec replies Redis's error,
 * so the runtime never needs to know the error texts. */
static void kv_cmd_unknown(kv_ctx *ctx, int argc, const kv_str *argv);
static void kv_cmd_unknown_sub(kv_ctx *ctx, int argc, const kv_str *argv);
static const kv_cmd unknown_cmd = {.name = "unknown", .arity = -1, .flags = KV_CMD_UNKNOWN,
                                   .route = KV_ROUTE_LOCAL, .exec = kv_cmd_unknown};
static const kv_cmd unknown_sub = {.name = "unknown|sub", .arity = -1, .flags = KV_CMD_UNKNOWN,
                                   .route = KV_ROUTE_LOCAL, .exec = kv_cmd_unknown_sub};

#define KV_NAME_MAX 40

static unsigned kv_name_hash(const char *name, size_t n)
{
    unsigned h = 2166136261u; /* FNV-1a */
    size_t i;
    for (i = 0; i < n; i++)
        h = (h ^ (unsigned char)name[i]) * 16777619u;
    return h;
}

/* Lower-case a name into buf (NUL-ended) and hash it; 0 if it cannot be a
 * command name. Names are binary-safe in Redis: "get\0" is not GET. */
static size_t kv_lower(char *buf, const char *p, size_t n, unsigned *hash)
{
    unsigned h = 2166136261u;
    size_t i;
    if (n == 0 || n >= KV_NAME_MAX)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch == 0)
            return 0;
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

static int kv_def_cmp(const void *a, const void *b)
{
    const kv_cmddef *x = *(const kv_cmddef *const *)a, *y = *(const kv_cmddef *const *)b;
    return strcmp(x->cmd.name, y->cmd.name);
}

void kv_cmd_index_build(kv_cmd_index *ix)
{
    size_t f, i;
    memset(ix, 0, sizeof *ix);
    for (f = 0; f < sizeof kv_families / sizeof kv_families[0]; f++)
        for (i = 0; kv_families[f][i].cmd.name; i++)
            if (ix->n < KV_CMD_MAX)
                ix->sorted[ix->n++] = &kv_families[f][i];
    qsort(ix->sorted, ix->n, sizeof ix->sorted[0], kv_def_cmp);
    for (i = 0; i < ix->n; i++) {
        const char *name = ix->sorted[i]->cmd.name;
        unsigned h = kv_name_hash(name, strlen(name)) & (KV_CMD_INDEX_SLOTS - 1);
        while (ix->slot[h])
            h = (h + 1) & (KV_CMD_INDEX_SLOTS - 1);
        ix->slot[h] = (unsigned short)(i + 1);
    }
}

static const kv_cmddef *kv_find_top(const kv_cmd_index *ix, const char *name, unsigned hash)
{
    unsigned h;
    for (h = hash & (KV_CMD_INDEX_SLOTS - 1); ix->slot[h]; h = (h + 1) & (KV_CMD_INDEX_SLOTS - 1)) {
        const kv_cmddef *d = ix->sorted[ix->slot[h] - 1];
        /* strcmp, not memcmp: the table name may be shorter than ours. */
        if (strcmp(d->cmd.name, name) == 0)
            return d;
    }
    return NULL;
}

static const kv_cmd *kv_find_sub(const kv_cmddef *d, const char *sub, size_t n)
{
    char full[2 * KV_NAME_MAX + 2];
    size_t plen = strlen(d->cmd.name), lo = 0, hi = d->nsubs;
    if (n == 0 || n >= KV_NAME_MAX)
        return NULL;
    memcpy(full, d->cmd.name, plen);
    full[plen] = '|';
    if (!kv_lower(full + plen + 1, sub, n, NULL))
        return NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(full, d->subs[mid].name);
        if (c == 0)
            return &d->subs[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const kv_cmd *kv_cmd_lookup(void *udata, int argc, const kv_str *argv)
{
    const kv_server *srv = udata;
    char name[KV_NAME_MAX];
    const kv_cmddef *d;
    const kv_cmd *sub;
    unsigned hash;
    if (!kv_lower(name, argv[0].p, argv[0].n, &hash) ||
        !(d = kv_find_top(&srv->index, name, hash)))
        return &unknown_cmd;
    if (d->nsubs == 0 || argc < 2)
        return &d->cmd;
    sub = kv_find_sub(d, argv[1].p, argv[1].n);
    return sub ? sub : &unknown_sub;
}

const kv_cmd *kv_cmd_find(const kv_server *srv, const char *name, size_t n)
{
    char buf[KV_NAME_MAX];
    const char *bar = memchr(name, '|', n);
    size_t top = bar ? (size_t)(bar - name) : n;
    unsigned hash;
    const kv_cmddef *d;
    if (!kv_lower(buf, name, top, &hash) || !(d = kv_find_top(&srv->index, buf, hash)))
        return NULL;
    return bar ? kv_find_sub(d, bar + 1, n - top - 1) : &d->cmd;
}

size_t kv_cmd_count(const kv_server *srv)
{
    return srv->index.n;
}

const kv_cmd *kv_cmd_at(const kv_server *srv, size_t i)
{
    return i < srv->index.n ? &srv->index.sorted[i]->cmd : NULL;
}

const kv_cmd *kv_cmd_subs(const kv_cmd *parent, size_t *n)
{
    /* Top-level commands are the first member of their kv_cmddef; a
     * subcommand (which is not) has no subcommands of its own. */
    if (strchr(parent->name, '|') || parent->flags & KV_CMD_UNKNOWN) {
        *n = 0;
        return NULL;
    }
    *n = ((const kv_cmddef *)(const void *)parent)->nsubs;
    return ((const kv_cmddef *)(const void *)parent)->subs;
}

/* ------------------------------------------------------- unknown names */

/* Redis prints arguments with %.*s: a NUL byte ends them. */
static int kv_cstr_len(const kv_str *a, int max)
{
    size_t n = kv_arg_cstrlen(a);
    return n > (size_t)max ? max : (int)n;
}

static void kv_cmd_unknown(kv_ctx *ctx, int argc, const kv_str *argv)
{
    char args[512];
    size_t used = 0;
    int j;
    args[0] = '\0';
    /* "with args beginning with:" lists arguments while under 128 bytes. */
    for (j = 1; j < argc && used < 128; j++) {
        int n = kv_cstr_len(&argv[j], 128 - (int)used);
        used += (size_t)snprintf(args + used, sizeof args - used, "'%.*s' ", n, argv[j].p);
    }
    kv_reply_errorf(&ctx->out, "ERR unknown command '%.*s', with args beginning with: %s",
                    kv_cstr_len(&argv[0], 128), argv[0].p, args);
}

static void kv_cmd_unknown_sub(kv_ctx *ctx, int argc, const kv_str *argv)
{
    char upper[64];
    int i, n = kv_cstr_len(&argv[0], (int)sizeof upper - 1);
    (void)argc;
    for (i = 0; i < n; i++)
        upper[i] = (char)(argv[0].p[i] >= 'a' && argv[0].p[i] <= 'z' ? argv[0].p[i] - 32
                                                                       : argv[0].p[i]);
    upper[n] = '\0';
    kv_reply_errorf(&ctx->out, "ERR unknown subcommand '%.*s'. Try %s HELP.",
                    kv_cstr_len(&argv[1], 128), argv[1].p, upper);
}
