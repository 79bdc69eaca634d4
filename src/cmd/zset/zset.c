/* Sorted set commands (Redis 7.0 "sorted-set" group): ZADD and ZINCRBY,
 * single-member reads and ZREM, ZCOUNT/ZLEXCOUNT. Ranges are in range.c,
 * set operations and their cross-shard coordination in zsetops.c, pops,
 * ZRANDMEMBER and ZSCAN in pop.c, shared helpers in pairs.c, geo in geo*.c. */
#include "cmd/zset/zset.h"

#include <stdlib.h>

#define ZF_INCR KV_ZADD_INCR
#define ZF_NX KV_ZADD_NX
#define ZF_XX KV_ZADD_XX
#define ZF_GT KV_ZADD_GT
#define ZF_LT KV_ZADD_LT
#define ZF_CH 0x100

/* ZADD's options: returns the index of the first score, or -1 after
 * replying an error. Redis checks the pair count before conflicts. */
static int zadd_options(kv_ctx *ctx, int argc, const kv_str *argv, int *flags)
{
    int i = 2, elements;
    for (; i < argc; i++) {
        const kv_str *a = &argv[i];
        if (kv_arg_eq(a, "nx"))
            *flags |= ZF_NX;
        else if (kv_arg_eq(a, "xx"))
            *flags |= ZF_XX;
        else if (kv_arg_eq(a, "ch"))
            *flags |= ZF_CH;
        else if (kv_arg_eq(a, "incr"))
            *flags |= ZF_INCR;
        else if (kv_arg_eq(a, "gt"))
            *flags |= ZF_GT;
        else if (kv_arg_eq(a, "lt"))
            *flags |= ZF_LT;
        else
            break;
    }
    elements = argc - i;
    if (elements == 0 || elements % 2) {
        kv_reply_syntax(ctx);
        return -1;
    }
    if ((*flags & ZF_NX) && (*flags & ZF_XX)) {
        kv_reply_error(&ctx->out, "ERR XX and NX options at the same time are not compatible");
        return -1;
    }
    if (((*flags & ZF_GT) && (*flags & ZF_NX)) || ((*flags & ZF_LT) && (*flags & ZF_NX)) ||
        ((*flags & ZF_GT) && (*flags & ZF_LT))) {
        kv_reply_error(&ctx->out,
                       "ERR GT, LT, and/or NX options at the same time are not compatible");
        return -1;
    }
    if ((*flags & ZF_INCR) && elements > 2) {
        kv_reply_error(&ctx->out, "ERR INCR option supports a single increment-element pair");
        return -1;
    }
    return i;
}

static void zadd_generic(kv_ctx *ctx, int argc, const kv_str *argv, int flags)
{
    int first = zadd_options(ctx, argc, argv, &flags), n, j, err = 0, out;
    long long added = 0, updated = 0, processed = 0;
    double *scores, score = 0;
    kv_zset_opts opts;
    kv_entry *e;
    kv_obj *o;

    if (first < 0)
        return;
    n = (argc - first) / 2;
    scores = malloc((size_t)n * sizeof *scores);
    if (!scores)
        abort();
    for (j = 0; j < n; j++) {
        const kv_str *a = &argv[first + 2 * j];
        if (!kv_zset_parse_score(a->p, a->n, &scores[j])) {
            kv_reply_error(&ctx->out, "ERR value is not a valid float");
            goto done;
        }
    }
    o = kv_zget(ctx, &argv[1], 1, &err);
    if (err)
        goto done;
    kv_zopts(ctx, &opts);
    if (!o) {
        int created;
        if (flags & ZF_XX)
            goto reply;
        /* Redis picks the encoding from the first member's length alone. */
        o = kv_zset_new_for(argv[first + 1].n, &opts);
        e = kv_db_upsert(kv_ctx_db(ctx), argv[1].p, argv[1].n, &created);
        kv_set_val(ctx, e, o);
    }
    for (j = 0; j < n; j++) {
        const kv_str *m = &argv[first + 2 * j + 1];
        if (!kv_zset_add(o, scores[j], m->p, m->n, flags & 0xff, &out, &score, &opts)) {
            kv_reply_error(&ctx->out, "ERR resulting score is not a number (NaN)");
            if (added || updated) { /* earlier pairs stay, as in Redis */
                kv_signal_modified(ctx, ctx->db, &argv[1]);
                kv_notify(ctx, KV_NOTIFY_ZSET, (flags & ZF_INCR) ? "zincr" : "zadd", ctx->db,
                          &argv[1]);
            }
            goto done;
        }
        added += !!(out & KV_ZADD_OUT_ADDED);
        updated += !!(out & KV_ZADD_OUT_UPDATED);
        processed += !(out & KV_ZADD_OUT_NOP);
    }
reply:
    if (added || updated) {
        kv_signal_modified(ctx, ctx->db, &argv[1]);
        /* ZADD INCR reports as ZINCRBY does: it is one. */
        kv_notify(ctx, KV_NOTIFY_ZSET, (flags & ZF_INCR) ? "zincr" : "zadd", ctx->db, &argv[1]);
        kv_dirty(ctx, added + updated);
    }
    if (flags & ZF_INCR) {
        if (processed)
            kv_reply_double(&ctx->out, score);
        else
            kv_reply_null(&ctx->out);
    } else {
        kv_reply_int(&ctx->out, (flags & ZF_CH) ? added + updated : added);
    }
done:
    free(scores);
}

static void kv_cmd_zadd(kv_ctx *ctx, int argc, const kv_str *argv)
{
    zadd_generic(ctx, argc, argv, 0);
}

static void kv_cmd_zincrby(kv_ctx *ctx, int argc, const kv_str *argv)
{
    zadd_generic(ctx, argc, argv, ZF_INCR);
}

static void kv_cmd_zrem(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int err = 0, j, dropped = 0;
    long long deleted = 0;
    kv_obj *o = kv_zget(ctx, &argv[1], 1, &err);
    if (err)
        return;
    if (o) {
        for (j = 2; j < argc; j++) {
            deleted += kv_zset_del(o, argv[j].p, argv[j].n);
            if (kv_zset_len(o) == 0) {
                kv_db_delete(kv_ctx_db(ctx), argv[1].p, argv[1].n);
                dropped = 1;
                break;
            }
        }
    }
    if (deleted) {
        kv_signal_modified(ctx, ctx->db, &argv[1]);
        kv_notify(ctx, KV_NOTIFY_ZSET, "zrem", ctx->db, &argv[1]);
        if (dropped)
            kv_notify(ctx, KV_NOTIFY_GENERIC, "del", ctx->db, &argv[1]);
        kv_dirty(ctx, deleted);
    }
    kv_reply_int(&ctx->out, deleted);
}

static void kv_cmd_zcard(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int err = 0;
    kv_obj *o = kv_zget(ctx, &argv[1], 0, &err);
    (void)argc;
    if (!err)
        kv_reply_int(&ctx->out, o ? (long long)kv_zset_len(o) : 0);
}

static void kv_cmd_zscore(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int err = 0;
    double s;
    kv_obj *o = kv_zget(ctx, &argv[1], 0, &err);
    (void)argc;
    if (err)
        return;
    if (o && kv_zset_score(o, argv[2].p, argv[2].n, &s))
        kv_reply_double(&ctx->out, s);
    else
        kv_reply_null(&ctx->out);
}

static void kv_cmd_zmscore(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int err = 0, j;
    double s;
    kv_obj *o = kv_zget(ctx, &argv[1], 0, &err);
    if (err)
        return;
    kv_reply_array(&ctx->out, argc - 2);
    for (j = 2; j < argc; j++) {
        if (o && kv_zset_score(o, argv[j].p, argv[j].n, &s))
            kv_reply_double(&ctx->out, s);
        else
            kv_reply_null(&ctx->out);
    }
}

static void zrank_generic(kv_ctx *ctx, const kv_str *argv, int rev)
{
    int err = 0;
    long long rank;
    kv_obj *o = kv_zget(ctx, &argv[1], 0, &err);
    if (err)
        return;
    rank = o ? kv_zset_rank(o, argv[2].p, argv[2].n, rev, NULL) : -1;
    if (rank >= 0)
        kv_reply_int(&ctx->out, rank);
    else
        kv_reply_null(&ctx->out);
}

static void kv_cmd_zrank(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    zrank_generic(ctx, argv, 0);
}

static void kv_cmd_zrevrank(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    zrank_generic(ctx, argv, 1);
}

static void kv_cmd_zcount(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_zrange r;
    int err = 0;
    kv_obj *o;
    (void)argc;
    if (!kv_zset_parse_range(argv[2].p, argv[2].n, argv[3].p, argv[3].n, &r)) {
        kv_reply_error(&ctx->out, "ERR min or max is not a float");
        return;
    }
    o = kv_zget(ctx, &argv[1], 0, &err);
    if (!err)
        kv_reply_int(&ctx->out, o ? (long long)kv_zset_count(o, &r) : 0);
}

static void kv_cmd_zlexcount(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_zlex r;
    int err = 0;
    kv_obj *o;
    (void)argc;
    if (!kv_zset_parse_lex(argv[2].p, argv[2].n, argv[3].p, argv[3].n, &r)) {
        kv_reply_error(&ctx->out, "ERR min or max not valid string range item");
        return;
    }
    o = kv_zget(ctx, &argv[1], 0, &err);
    if (!err)
        kv_reply_int(&ctx->out, o ? (long long)kv_zset_lexcount(o, &r) : 0);
}

const kv_cmdspec kv_cmds_zset[] = {
    {.name = "zadd", .route = KV_ROUTE_KEY, .exec = kv_cmd_zadd},
    {.name = "zcard", .route = KV_ROUTE_KEY, .exec = kv_cmd_zcard},
    {.name = "zcount", .route = KV_ROUTE_KEY, .exec = kv_cmd_zcount},
    {.name = "zincrby", .route = KV_ROUTE_KEY, .exec = kv_cmd_zincrby},
    {.name = "zlexcount", .route = KV_ROUTE_KEY, .exec = kv_cmd_zlexcount},
    {.name = "zmscore", .route = KV_ROUTE_KEY, .exec = kv_cmd_zmscore},
    {.name = "zrank", .route = KV_ROUTE_KEY, .exec = kv_cmd_zrank},
    {.name = "zrem", .route = KV_ROUTE_KEY, .exec = kv_cmd_zrem},
    {.name = "zrevrank", .route = KV_ROUTE_KEY, .exec = kv_cmd_zrevrank},
    {.name = "zscore", .route = KV_ROUTE_KEY, .exec = kv_cmd_zscore},
    KV_SPEC_END
};
