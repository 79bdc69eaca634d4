/* PUBSUB: introspection. Channels and patterns are answered from the home
 * shard's directory (a replica of every shard's subscribers); shard
 * channels live on their owners, so SHARDCHANNELS and SHARDNUMSUB ask every
 * shard and add the answers up. */
#include "cmd/pubsub/internal.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/lib/glob.h"

typedef struct kv_pslist {
    const kv_str *pat; /* NULL: every name */
    long n;
    kv_buf names;      /* RESP bulk strings */
} kv_pslist;

static void kv_pslist_one(void *arg, kv_dnode *node)
{
    kv_pslist *l = arg;
    const kv_psent *e = (const kv_psent *)node;
    kv_reply r;
    if (e->total <= 0 || (l->pat && !kv_glob_match(l->pat->p, l->pat->n, e->name, e->n, 0)))
        return;
    r.buf = &l->names;
    r.proto = 2;
    r.errors = 0;
    kv_reply_bulk(&r, e->name, e->n);
    l->n++;
}

/* The names of one kind with subscribers (in the directory), matching an
 * optional pattern, as an array. */
static void kv_ps_list(kv_ctx *ctx, int kind, int argc, const kv_str *argv)
{
    kv_pubsub *ps = kv_state(ctx)->ps;
    kv_pslist l;
    unsigned long cur = 0;
    l.pat = argc == 3 ? &argv[2] : NULL;
    l.n = 0;
    kv_buf_init(&l.names);
    do
        cur = kv_dict_scan(&ps->d[kind], cur, kv_pslist_one, &l);
    while (cur != 0);
    kv_reply_array(&ctx->out, l.n);
    kv_reply_raw(&ctx->out, l.names.p, l.names.len);
    kv_buf_free(&l.names);
}

static void kv_cmd_pubsub_channels(kv_ctx *ctx, int argc, const kv_str *argv)
{
    if (argc > 3) {
        kv_reply_sub_arity(ctx, "PUBSUB", &argv[1]);
        return;
    }
    kv_ps_list(ctx, KV_PS_CHANNEL, argc, argv);
}

static void kv_cmd_pubsub_shardchannels(kv_ctx *ctx, int argc, const kv_str *argv)
{
    if (argc > 3) {
        kv_reply_sub_arity(ctx, "PUBSUB", &argv[1]);
        return;
    }
    kv_ps_list(ctx, KV_PS_SHARD, argc, argv); /* this shard's; the reduce joins them */
}

static long long kv_ps_total(kv_ctx *ctx, int kind, const kv_str *name)
{
    const kv_psent *e = kv_ps_find(kv_state(ctx)->ps, kind, name->p, name->n);
    return e && e->total > 0 ? e->total : 0;
}

/* NUMSUB and (per shard) SHARDNUMSUB: name, count pairs. */
static void kv_ps_numsub(kv_ctx *ctx, int kind, int argc, const kv_str *argv)
{
    int j;
    kv_reply_array(&ctx->out, 2L * (argc - 2));
    for (j = 2; j < argc; j++) {
        kv_reply_bulk(&ctx->out, argv[j].p, argv[j].n);
        kv_reply_int(&ctx->out, kv_ps_total(ctx, kind, &argv[j]));
    }
}

static void kv_cmd_pubsub_numsub(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_ps_numsub(ctx, KV_PS_CHANNEL, argc, argv);
}

static void kv_cmd_pubsub_shardnumsub(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_ps_numsub(ctx, KV_PS_SHARD, argc, argv);
}

/* Each shard counts the channels it owns: add the counts up, pair by pair,
 * with part 0's names. */
static void kv_reduce_shardnumsub(kv_ctx *ctx, const kv_part *parts, int nparts)
{
    const char **at, **end;
    long long npairs = -1, i;
    int k;
    char type;
    if (!(at = calloc((size_t)nparts, sizeof *at)) || !(end = calloc((size_t)nparts, sizeof *end)))
        abort();
    for (k = 0; k < nparts; k++) {
        long long n;
        at[k] = parts[k].reply;
        end[k] = parts[k].reply + parts[k].len;
        if (kv_rd_line(&at[k], end[k], &type, &n) != 0 || type != '*')
            goto bad;
        n /= 2;
        if (npairs >= 0 && n != npairs)
            goto bad;
        npairs = n;
    }
    kv_reply_array(&ctx->out, 2L * (long)npairs);
    for (i = 0; i < npairs; i++) {
        long long sum = 0;
        kv_str name = {NULL, 0};
        for (k = 0; k < nparts; k++) {
            kv_str nm;
            long long v;
            if (kv_rd_bulk_at(&at[k], end[k], &nm) != 0 ||
                kv_rd_line(&at[k], end[k], &type, &v) != 0 || type != ':')
                goto bad;
            if (k == 0)
                name = nm;
            sum += v;
        }
        kv_reply_bulk(&ctx->out, name.p, name.n);
        kv_reply_int(&ctx->out, sum);
    }
    free(at);
    free(end);
    return;
bad:
    free(at);
    free(end);
    kv_reply_error(&ctx->out, "ERR internal: a shard replied a malformed SHARDNUMSUB");
}

static void kv_cmd_pubsub_numpat(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    (void)argv;
    kv_reply_int(&ctx->out, kv_state(ctx)->ps->active[KV_PS_PATTERN]);
}

static void kv_cmd_pubsub_help(kv_ctx *ctx, int argc, const kv_str *argv)
{
    static const char *const lines[] = {
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        ("    Return the currently active shard level channels matching a <pattern> (default: "
         "'*')."),
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    };
    (void)argc;
    (void)argv;
    kv_reply_lines(ctx, lines, sizeof lines / sizeof lines[0]);
}

static const kv_cmdspec kv_pubsub_subs[] = {
    {.name = "pubsub|channels", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_pubsub_channels},
    {.name = "pubsub|help", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_pubsub_help},
    {.name = "pubsub|numpat", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_pubsub_numpat},
    {.name = "pubsub|numsub", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_pubsub_numsub},
    {.name = "pubsub|shardchannels", .route = KV_ROUTE_ALL, .exec = kv_cmd_pubsub_shardchannels,
     .reduce = kv_reduce_concat},
    {.name = "pubsub|shardnumsub", .route = KV_ROUTE_ALL, .exec = kv_cmd_pubsub_shardnumsub,
     .reduce = kv_reduce_shardnumsub},
    KV_SPEC_END
};

const kv_cmdspec kv_cmds_pubsub_cmd[] = {
    {.name = "pubsub", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_container, .subs = kv_pubsub_subs},
    KV_SPEC_END
};
