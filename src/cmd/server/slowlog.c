/* SLOWLOG as one global log: each shard logs the commands of its own
 * clients (after_exec, with the duration summed over the shards that ran
 * them) in a ring trimmed to slowlog-max-len on every push, as Redis does.
 * Entry ids come from one counter shared by all shards, so they are unique
 * and increase in logging order; GET merges the shards' newest entries by
 * id, LEN adds the shards' lengths (capped at slowlog-max-len). */
#include "cmd/server/svc.h"

#include "rt/atomic.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KV_SLOW_MAX_ARGC 32
#define KV_SLOW_MAX_STRING 128

static const char kv_redacted[] = "(redacted)";

static void kv_slow_entry_free(kv_slowentry *e)
{
    free(e->argv); /* the strings live in the same allocation */
    e->argv = NULL;
}

void kv_slowlog_free(kv_svc *sv)
{
    size_t i;
    for (i = 0; i < sv->slowlen; i++)
        kv_slow_entry_free(&sv->slow[(sv->slowhead + i) % sv->slowcap]);
    free(sv->slow);
    sv->slow = NULL;
    sv->slowcap = sv->slowlen = sv->slowhead = 0;
}

/* Redis's trimming: at most 32 arguments, the last one then saying how many
 * more there were; arguments over 128 bytes cut, saying how many more. */
static void kv_slow_fill(kv_slowentry *e, const kv_cmd *cmd, int argc, const kv_str *argv,
                         const char *addr, const char *name)
{
    int n = argc > KV_SLOW_MAX_ARGC ? KV_SLOW_MAX_ARGC : argc, j;
    size_t bytes = strlen(addr) + strlen(name) + 2, used;
    char *mem;
    for (j = 0; j < n; j++)
        bytes += (argv[j].n > KV_SLOW_MAX_STRING ? KV_SLOW_MAX_STRING + 48 : argv[j].n) + 48;
    if (!(e->argv = malloc(n * sizeof *e->argv + bytes)))
        abort();
    mem = (char *)(e->argv + n);
    used = 0;
    for (j = 0; j < n; j++) {
        char *dst = mem + used;
        size_t len;
        if (n != argc && j == n - 1) {
            len = (size_t)sprintf(dst, "... (%d more arguments)", argc - n + 1);
        } else if (kv_arg_redacted(cmd, argc, argv, j)) {
            len = sizeof kv_redacted - 1;
            memcpy(dst, kv_redacted, len);
        } else if (argv[j].n > KV_SLOW_MAX_STRING) {
            memcpy(dst, argv[j].p, KV_SLOW_MAX_STRING);
            len = KV_SLOW_MAX_STRING + (size_t)sprintf(dst + KV_SLOW_MAX_STRING, "... (%lu more bytes)",
                                                       (unsigned long)(argv[j].n - KV_SLOW_MAX_STRING));
        } else {
            len = argv[j].n;
            if (len)
                memcpy(dst, argv[j].p, len);
        }
        e->argv[j].p = dst;
        e->argv[j].n = len;
        used += len;
    }
    e->argc = n;
    e->addr = mem + used;
    strcpy(e->addr, addr);
    e->name = e->addr + strlen(addr) + 1;
    strcpy(e->name, name);
}

void kv_slowlog_push(kv_svc *sv, const kv_server *srv, kv_conn *c, const kv_exec_info *info,
                     long long now_s)
{
    kv_session *s = c ? kv_conn_data(c) : NULL;
    kv_slowentry *e;
    if (sv->slowlen == sv->slowcap) {
        size_t cap = sv->slowcap ? sv->slowcap * 2 : 16, i;
        kv_slowentry *t = malloc(cap * sizeof *t);
        if (!t)
            abort();
        for (i = 0; i < sv->slowlen; i++)
            t[i] = sv->slow[(sv->slowhead + i) % sv->slowcap];
        free(sv->slow);
        sv->slow = t;
        sv->slowcap = cap;
        sv->slowhead = 0;
    }
    e = &sv->slow[(sv->slowhead + sv->slowlen) % sv->slowcap];
    sv->slowlen++;
    if (srv->shared)
        e->id = (long long)kv_atomic_fetch_add_relaxed(&srv->shared->slowlog_next_id, 1ULL);
    else
        e->id = (long long)sv->slow_ids++;
    e->time_s = now_s;
    e->duration = info->duration_us;
    kv_slow_fill(e, info->cmd, info->argc, info->argv, c ? kv_conn_peer(c) : "",
                 s && s->name ? s->name : "");
    while ((long long)sv->slowlen > sv->slowlog_max_len) {
        kv_slow_entry_free(&sv->slow[sv->slowhead]);
        sv->slowhead = (sv->slowhead + 1) % sv->slowcap;
        sv->slowlen--;
    }
}

/* ------------------------------------------------------------- commands */

static int kv_slowlog_count(kv_ctx *ctx, int argc, const kv_str *argv, long long *count)
{
    *count = 10;
    if (argc == 3 && (!kv_arg_ll(&argv[2], count) || *count < -1)) {
        kv_reply_error(&ctx->out, "ERR count should be greater than or equal to -1");
        return -1;
    }
    if (*count == -1)
        *count = LLONG_MAX;
    return 0;
}

static int kv_check_slowlog_get(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long count;
    if (argc > 3)
        return kv_reply_sub_arity(ctx, "SLOWLOG", &argv[1]);
    return kv_slowlog_count(ctx, argc, argv, &count);
}

/* This shard's part: [count, [its newest entries, newest first]]; the
 * count travels with the part so the merge knows it. */
static void kv_cmd_slowlog_get(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_svc *sv = kv_svc_of(ctx);
    long long count, n, i;
    int j;
    if (kv_check_slowlog_get(ctx, argc, argv) != 0)
        return;
    kv_slowlog_count(ctx, argc, argv, &count);
    n = (long long)sv->slowlen < count ? (long long)sv->slowlen : count;
    kv_reply_array(&ctx->out, 2);
    kv_reply_int(&ctx->out, count);
    kv_reply_array(&ctx->out, n);
    for (i = 0; i < n; i++) {
        const kv_slowentry *e = &sv->slow[(sv->slowhead + sv->slowlen - 1 - (size_t)i) % sv->slowcap];
        kv_reply_array(&ctx->out, 6);
        kv_reply_int(&ctx->out, e->id);
        kv_reply_int(&ctx->out, e->time_s);
        kv_reply_int(&ctx->out, e->duration);
        kv_reply_array(&ctx->out, e->argc);
        for (j = 0; j < e->argc; j++)
            kv_reply_bulk(&ctx->out, e->argv[j].p, e->argv[j].n);
        kv_reply_bulk_cstr(&ctx->out, e->addr);
        kv_reply_bulk_cstr(&ctx->out, e->name);
    }
}

typedef struct kv_slowref {
    long long id;
    const char *p;
    size_t n;
} kv_slowref;

static int kv_slowref_cmp(const void *a, const void *b)
{
    long long x = ((const kv_slowref *)a)->id, y = ((const kv_slowref *)b)->id;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Skip one "<type><number>\r\n" line, reading the number. */
static const char *kv_skip_line(const char *p, const char *end, long long *num)
{
    char type;
    return kv_rd_line(&p, end, &type, num) == 0 ? p : NULL;
}

/* Merge the shards' entries: newest (highest id) first, at most `count`
 * and at most slowlog-max-len (the log is one log). */
static void kv_reduce_slowlog_get(kv_ctx *ctx, const kv_part *parts, int nparts)
{
    kv_svc *sv = kv_svc_of(ctx);
    kv_slowref *refs = NULL;
    size_t nrefs = 0, cap = 0, i;
    long long count = 10, want;
    int k;
    for (k = 0; k < nparts; k++) {
        const char *p = parts[k].reply, *end = p + parts[k].len;
        long long n = 0, e, two;
        if (parts[k].len == 0 || p[0] != '*') {
            kv_reply_raw(&ctx->out, p, parts[k].len); /* an error */
            free(refs);
            return;
        }
        if (!(p = kv_skip_line(p, end, &two)) || !(p = kv_skip_line(p, end, &count)) ||
            !(p = kv_skip_line(p, end, &n)))
            break;
        for (e = 0; e < n && p < end; e++) {
            long len = kv_resp_reply_len(p, (size_t)(end - p));
            long long dummy;
            const char *idline = kv_skip_line(p, end, &dummy);
            if (len < 0 || !idline)
                break;
            if (nrefs == cap) {
                cap = cap ? cap * 2 : 64;
                if (!(refs = realloc(refs, cap * sizeof *refs)))
                    abort();
            }
            kv_skip_line(idline, end, &refs[nrefs].id);
            refs[nrefs].p = p;
            refs[nrefs++].n = (size_t)len;
            p += len;
        }
    }
    if (nrefs)
        qsort(refs, nrefs, sizeof *refs, kv_slowref_cmp);
    want = (long long)nrefs;
    if (want > sv->slowlog_max_len)
        want = sv->slowlog_max_len;
    if (want > count)
        want = count;
    kv_reply_array(&ctx->out, want);
    for (i = 0; i < (size_t)want; i++)
        kv_reply_raw(&ctx->out, refs[i].p, refs[i].n);
    free(refs);
}

static void kv_cmd_slowlog_len(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    (void)argv;
    kv_reply_int(&ctx->out, (long long)kv_svc_of(ctx)->slowlen);
}

static void kv_reduce_slowlog_len(kv_ctx *ctx, const kv_part *parts, int nparts)
{
    long long sum = 0, v;
    int k;
    for (k = 0; k < nparts; k++)
        if (kv_resp_reply_int(parts[k].reply, parts[k].len, &v))
            sum += v;
    if (sum > kv_svc_of(ctx)->slowlog_max_len)
        sum = kv_svc_of(ctx)->slowlog_max_len;
    kv_reply_int(&ctx->out, sum);
}

static void kv_cmd_slowlog_reset(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_svc *sv = kv_svc_of(ctx);
    (void)argc;
    (void)argv;
    kv_slowlog_free(sv);
    kv_reply_status(&ctx->out, "OK");
}

static void kv_cmd_slowlog_help(kv_ctx *ctx, int argc, const kv_str *argv)
{
    static const char *const lines[] = {
        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        "HELP",
        "    Prints this help.",
    };
    (void)argc;
    (void)argv;
    kv_reply_lines(ctx, lines, sizeof lines / sizeof lines[0]);
}

static const kv_cmdspec kv_slowlog_subs[] = {
    {.name = "slowlog|get", .route = KV_ROUTE_ALL, .exec = kv_cmd_slowlog_get,
     .reduce = kv_reduce_slowlog_get, .check = kv_check_slowlog_get},
    {.name = "slowlog|help", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_slowlog_help},
    {.name = "slowlog|len", .route = KV_ROUTE_ALL, .exec = kv_cmd_slowlog_len,
     .reduce = kv_reduce_slowlog_len},
    {.name = "slowlog|reset", .route = KV_ROUTE_ALL, .exec = kv_cmd_slowlog_reset,
     .reduce = kv_reduce_first},
    KV_SPEC_END
};

const kv_cmdspec kv_cmds_server_slowlog[] = {
    {.name = "slowlog", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_container, .subs = kv_slowlog_subs},
    KV_SPEC_END
};
