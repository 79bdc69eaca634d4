/* The command index: every family's table built at startup into descriptors
 * (desc.c), the names sorted for COMMAND's listings, and an open-addressed
 * hash of the lower-cased name, so a lookup is one probe; a container's
 * subcommand is a binary search among its sorted subcommands. Unknown names
 * resolve to entries that reply Redis's error. */
#include "cmd/core/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int kv_spec_cmp(const void *a, const void *b)
{
    const kv_cmdspec *x = *(const kv_cmdspec *const *)a, *y = *(const kv_cmdspec *const *)b;
    return strcmp(x->name, y->name);
}

static int kv_cmd_name_cmp(const void *a, const void *b)
{
    return strcmp((*(const kv_cmd *const *)a)->name, (*(const kv_cmd *const *)b)->name);
}

static void kv_index_full(const char *name)
{
    fprintf(stderr, "kevy: command table: more than %d commands at '%s'\n", KV_CMD_MAX, name);
    abort();
}

static unsigned short kv_index_add(kv_cmd_index *ix, const kv_cmdspec *s)
{
    unsigned short pos = ix->ncmd;
    if (pos >= KV_CMD_MAX)
        kv_index_full(s->name);
    ix->ncmd++;
    kv_desc_build(&ix->cmd[pos], &ix->desc[pos], s);
    ix->desc[pos].pos = pos;
    return pos;
}

/* A container's subcommands, sorted by name, right after it. */
static void kv_index_add_subs(kv_cmd_index *ix, kv_cmddesc *parent, const kv_cmdspec *subs)
{
    const kv_cmdspec *sorted[KV_CMD_MAX];
    size_t n = 0, i;
    unsigned short first = ix->ncmd;
    for (i = 0; subs[i].name; i++) {
        if (n == KV_CMD_MAX)
            kv_index_full(subs[i].name);
        sorted[n++] = &subs[i];
    }
    qsort(sorted, n, sizeof sorted[0], kv_spec_cmp);
    for (i = 0; i < n; i++)
        kv_index_add(ix, sorted[i]);
    parent->subs = n ? &ix->cmd[first] : NULL;
    parent->nsubs = n;
}

void kv_cmd_index_build(kv_cmd_index *ix, const kv_cmdspec *const *tables, size_t ntables)
{
    const kv_cmdspec *sorted[KV_CMD_MAX];
    size_t f, i, n = 0;
    memset(ix, 0, sizeof *ix);
    for (f = 0; f < ntables; f++)
        for (i = 0; tables[f][i].name; i++) {
            if (n == KV_CMD_MAX)
                kv_index_full(tables[f][i].name);
            sorted[n++] = &tables[f][i];
        }
    qsort(sorted, n, sizeof sorted[0], kv_spec_cmp);
    for (i = 0; i < n; i++) {
        const char *name = sorted[i]->name;
        unsigned short pos = kv_index_add(ix, sorted[i]);
        unsigned h = kv_name_hash(name, strlen(name)) & (KV_CMD_INDEX_SLOTS - 1);
        if (sorted[i]->subs)
            kv_index_add_subs(ix, &ix->desc[pos], sorted[i]->subs);
        ix->top[ix->ntop++] = pos;
        while (ix->slot[h].cmd)
            h = (h + 1) & (KV_CMD_INDEX_SLOTS - 1);
        ix->slot[h].cmd = &ix->cmd[pos];
        ix->slot[h].container = ix->desc[pos].nsubs != 0;
    }
    /* Every name, subcommands included, in one sorted order. */
    {
        const kv_cmd *all[KV_CMD_MAX];
        for (i = 0; i < ix->ncmd; i++)
            all[i] = &ix->cmd[i];
        qsort(all, ix->ncmd, sizeof all[0], kv_cmd_name_cmp);
        for (i = 0; i < ix->ncmd; i++)
            ix->desc[all[i] - ix->cmd].rank = (unsigned short)i;
    }
}

/* The slot of a top-level name, or NULL. */
static const kv_cmd_slot *kv_find_top(const kv_cmd_index *ix, const char *name, unsigned hash)
{
    unsigned h;
    for (h = hash & (KV_CMD_INDEX_SLOTS - 1); ix->slot[h].cmd;
         h = (h + 1) & (KV_CMD_INDEX_SLOTS - 1))
        /* strcmp, not memcmp: the table name may be shorter than ours. */
        if (strcmp(ix->slot[h].cmd->name, name) == 0)
            return &ix->slot[h];
    return NULL;
}

static const kv_cmd *kv_find_sub(const kv_cmd *parent, const char *sub, size_t n)
{
    const kv_cmddesc *d = kv_desc(parent);
    char full[2 * KV_NAME_MAX + 2];
    size_t plen = strlen(parent->name), lo = 0, hi = d->nsubs;
    if (n == 0 || n >= KV_NAME_MAX)
        return NULL;
    memcpy(full, parent->name, plen);
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
    const kv_cmd_slot *s;
    const kv_cmd *sub;
    unsigned hash;
    if (!kv_lower(name, argv[0].p, argv[0].n, &hash) ||
        !(s = kv_find_top(&srv->index, name, hash)))
        return &unknown_cmd;
    if (!s->container || argc < 2)
        return s->cmd;
    sub = kv_find_sub(s->cmd, argv[1].p, argv[1].n);
    return sub ? sub : &unknown_sub;
}

const kv_cmd *kv_cmd_find(const kv_server *srv, const char *name, size_t n)
{
    char buf[KV_NAME_MAX];
    const char *bar = memchr(name, '|', n);
    size_t top = bar ? (size_t)(bar - name) : n;
    unsigned hash;
    const kv_cmd_slot *s;
    if (!kv_lower(buf, name, top, &hash) || !(s = kv_find_top(&srv->index, buf, hash)))
        return NULL;
    if (!bar)
        return s->cmd;
    return s->container ? kv_find_sub(s->cmd, bar + 1, n - top - 1) : NULL;
}

size_t kv_cmd_count(const kv_server *srv)
{
    return srv->index.ntop;
}

const kv_cmd *kv_cmd_at(const kv_server *srv, size_t i)
{
    return i < srv->index.ntop ? &srv->index.cmd[srv->index.top[i]] : NULL;
}

const kv_cmd *kv_cmd_subs(const kv_cmd *parent, size_t *n)
{
    const kv_cmddesc *d = kv_desc(parent);
    *n = d ? d->nsubs : 0;
    return d ? d->subs : NULL;
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
