/* Range reads and removals: ZRANGE in all its forms (BYSCORE, BYLEX, REV,
 * LIMIT, WITHSCORES) and the older ZREVRANGE/Z[REV]RANGEBY{SCORE,LEX},
 * ZRANGESTORE (a coordination when source and destination are on
 * different shards) and ZREMRANGEBY{RANK,SCORE,LEX}. The reply length is
 * counted before any element is written, so no reply is ever patched. */
#include "cmd/zset/zset.h"

#include <limits.h>
#include <string.h>

enum { RT_AUTO, RT_RANK, RT_SCORE, RT_LEX };
enum { DIR_AUTO, DIR_FWD, DIR_REV };

typedef struct zrange_req {
    int type, rev, withscores;
    long long offset, limit, start, end;
    kv_zrange r;
    kv_zlex lex;
} zrange_req;

/* Options after <src> <min> <max>, then the range itself, in Redis's order
 * of checks. src is the argv index of the source key. 0, or -1 after
 * replying the error. */
static int zrange_parse(kv_ctx *ctx, int argc, const kv_str *argv, int src, int type, int dir,
                        int store, zrange_req *q)
{
    const kv_str *minp = &argv[src + 1], *maxp = &argv[src + 2];
    int j;
    memset(q, 0, sizeof *q);
    q->limit = -1;
    for (j = src + 3; j < argc; j++) {
        int left = argc - j - 1;
        if (!store && kv_arg_eq(&argv[j], "withscores")) {
            q->withscores = 1;
        } else if (kv_arg_eq(&argv[j], "limit") && left >= 2) {
            if (kv_arg_ll_or_reply(ctx, &argv[j + 1], &q->offset) != 0 ||
                kv_arg_ll_or_reply(ctx, &argv[j + 2], &q->limit) != 0)
                return -1;
            j += 2;
        } else if (dir == DIR_AUTO && kv_arg_eq(&argv[j], "rev")) {
            dir = DIR_REV;
        } else if (type == RT_AUTO && kv_arg_eq(&argv[j], "bylex")) {
            type = RT_LEX;
        } else if (type == RT_AUTO && kv_arg_eq(&argv[j], "byscore")) {
            type = RT_SCORE;
        } else {
            kv_reply_syntax(ctx);
            return -1;
        }
    }
    q->type = type == RT_AUTO ? RT_RANK : type;
    q->rev = dir == DIR_REV;
    if (q->limit != -1 && q->type == RT_RANK) {
        kv_reply_error(&ctx->out, "ERR syntax error, LIMIT is only supported in combination "
                                  "with either BYSCORE or BYLEX");
        return -1;
    }
    if (q->withscores && q->type == RT_LEX) {
        kv_reply_error(&ctx->out,
                       "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
        return -1;
    }
    if (q->rev && q->type != RT_RANK) { /* the range is given as max min */
        const kv_str *t = minp;
        minp = maxp;
        maxp = t;
    }
    switch (q->type) {
    case RT_RANK:
        if (kv_arg_ll_or_reply(ctx, minp, &q->start) != 0 ||
            kv_arg_ll_or_reply(ctx, maxp, &q->end) != 0)
            return -1;
        break;
    case RT_SCORE:
        if (!kv_zset_parse_range(minp->p, minp->n, maxp->p, maxp->n, &q->r)) {
            kv_reply_error(&ctx->out, "ERR min or max is not a float");
            return -1;
        }
        break;
    default:
        if (!kv_zset_parse_lex(minp->p, minp->n, maxp->p, maxp->n, &q->lex)) {
            kv_reply_error(&ctx->out, "ERR min or max not valid string range item");
            return -1;
        }
        break;
    }
    return 0;
}

/* How many elements a LIMIT offset count leaves of `total`. */
static size_t limited(long long total, long long offset, long long limit)
{
    size_t n;
    if (offset < 0 || offset >= total)
        return 0;
    n = (size_t)(total - offset);
    if (limit >= 0 && (unsigned long long)limit < n)
        n = (size_t)limit;
    return n;
}

/* How many elements a lex range yields, counted by walking as Redis emits
 * them: from the first element in range, skip `offset` unchecked, then go
 * on while the far end of the range holds. Members are in lex order only
 * when their scores are equal; otherwise this walk is what defines the
 * answer, not a count. */
static size_t lex_walk(const kv_obj *o, const zrange_req *q)
{
    kv_zit it;
    long long i;
    size_t n = 0;
    int more = kv_zit_lex(&it, o, &q->lex, q->rev);
    if (q->offset < 0)
        return 0;
    for (i = 0; more && i < q->offset; i++)
        more = kv_zit_next(&it);
    while (more && (q->limit < 0 || (long long)n < q->limit) &&
           (q->rev ? kv_zlex_gte_min(it.m, it.mlen, &q->lex)
                   : kv_zlex_lte_max(it.m, it.mlen, &q->lex))) {
        n++;
        more = kv_zit_next(&it);
    }
    return n;
}

/* Run the request on o: reply the elements, or push them into p. */
static void zrange_run(kv_ctx *ctx, const zrange_req *q, const kv_obj *o, kv_zpairs *p)
{
    size_t len = o ? kv_zset_len(o) : 0, n = 0, skip = 0, i;
    kv_zit it;
    int more = 0;
    if (o && q->type == RT_RANK) {
        long long start = q->start, end = q->end, llen = (long long)len;
        if (start < 0)
            start += llen;
        if (end < 0)
            end += llen;
        if (start < 0)
            start = 0;
        if (start <= end && start < llen) {
            if (end >= llen)
                end = llen - 1;
            n = (size_t)(end - start + 1);
            more = kv_zit_rank(&it, o, (size_t)start, q->rev);
        }
    } else if (o && q->type == RT_SCORE) {
        n = limited(kv_zset_count(o, &q->r), q->offset, q->limit);
        skip = (size_t)q->offset;
        if (n)
            more = kv_zit_score(&it, o, &q->r, q->rev);
    } else if (o) {
        n = lex_walk(o, q);
        skip = (size_t)q->offset;
        if (n)
            more = kv_zit_lex(&it, o, &q->lex, q->rev);
    }
    if (!n)
        more = 0;
    for (i = 0; more && i < skip; i++)
        more = kv_zit_next(&it);
    if (!p)
        kv_zreply_range_len(ctx, n, q->withscores);
    for (i = 0; i < n && more; i++, more = kv_zit_next(&it)) {
        if (p)
            kv_zpairs_push(p, it.m, it.mlen, it.score);
        else
            kv_zreply_member_score(ctx, it.m, it.mlen, it.score, q->withscores);
    }
}

static void zrange_generic(kv_ctx *ctx, int argc, const kv_str *argv, int type, int dir)
{
    zrange_req q;
    int err = 0;
    kv_obj *o;
    if (zrange_parse(ctx, argc, argv, 1, type, dir, 0, &q) != 0)
        return;
    o = kv_zget(ctx, &argv[1], 0, &err);
    if (!err)
        zrange_run(ctx, &q, o, NULL);
}

static void kv_cmd_zrange(kv_ctx *ctx, int argc, const kv_str *argv)
{
    zrange_generic(ctx, argc, argv, RT_AUTO, DIR_AUTO);
}

static void kv_cmd_zrevrange(kv_ctx *ctx, int argc, const kv_str *argv)
{
    zrange_generic(ctx, argc, argv, RT_RANK, DIR_REV);
}

static void kv_cmd_zrangebyscore(kv_ctx *ctx, int argc, const kv_str *argv)
{
    zrange_generic(ctx, argc, argv, RT_SCORE, DIR_FWD);
}

static void kv_cmd_zrevrangebyscore(kv_ctx *ctx, int argc, const kv_str *argv)
{
    zrange_generic(ctx, argc, argv, RT_SCORE, DIR_REV);
}

static void kv_cmd_zrangebylex(kv_ctx *ctx, int argc, const kv_str *argv)
{
    zrange_generic(ctx, argc, argv, RT_LEX, DIR_FWD);
}

static void kv_cmd_zrevrangebylex(kv_ctx *ctx, int argc, const kv_str *argv)
{
    zrange_generic(ctx, argc, argv, RT_LEX, DIR_REV);
}

/* ZRANGESTORE's read half: the range of argv[2] into p. 0, or -1 after
 * replying an error. */
static int zrangestore_read(kv_ctx *ctx, int argc, const kv_str *argv, kv_zpairs *p)
{
    zrange_req q;
    int err = 0;
    kv_obj *o;
    if (zrange_parse(ctx, argc, argv, 2, RT_AUTO, DIR_AUTO, 1, &q) != 0)
        return -1;
    o = kv_zget(ctx, &argv[2], 0, &err);
    if (err)
        return -1;
    zrange_run(ctx, &q, o, p);
    return 0;
}

static void kv_cmd_zrangestore(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_zpairs p;
    kv_zpairs_init(&p, kv_zseed(ctx));
    if (zrangestore_read(ctx, argc, argv, &p) == 0)
        kv_reply_int(&ctx->out, kv_zstore_pairs(ctx, &argv[1], &p, 0, "zrangestore"));
    kv_zpairs_free(&p);
}

/* Sub-command on the source's shard: the whole ZRANGESTORE argv; replies
 * the range as a pairs blob (or the error). */
static void kv_cmd_zrangestore_read(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_zpairs p;
    kv_buf b;
    kv_zpairs_init(&p, kv_zseed(ctx));
    kv_buf_init(&b);
    if (zrangestore_read(ctx, argc, argv, &p) == 0) {
        kv_zpairs_write(&b, &p, 'z');
        kv_reply_bulk(&ctx->out, b.p, b.len);
    }
    kv_buf_free(&b);
    kv_zpairs_free(&p);
}

static const kv_cmd zsub_rangestore_read = {.name = "zrangestore", .arity = -5,
                                            .flags = KV_CMD_READONLY,
                                            .exec = kv_cmd_zrangestore_read};

static int kv_coord_zrangestore(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    kv_str r, blob, sub[3];
    switch (kv_coord_step(co)) {
    case 0:
        kv_coord_send(co, kv_shard_of_key(ctx->shard, argv[2].p, argv[2].n), ctx->db,
                      &zsub_rangestore_read, argc, argv);
        return KV_COORD_WAIT;
    case 1:
        r = kv_coord_reply(co, 0);
        if (!kv_rd_bulk(r, &blob)) {
            kv_zrelay(ctx, r);
            return KV_COORD_DONE;
        }
        sub[0].p = "zrangestore"; /* the event the store reports */
        sub[0].n = 11;
        sub[1] = argv[1];
        sub[2] = blob;
        kv_coord_send(co, kv_shard_of_key(ctx->shard, argv[1].p, argv[1].n), ctx->db,
                      &kv_zsub_store, 3, sub);
        return KV_COORD_WAIT;
    default:
        kv_zrelay(ctx, kv_coord_reply(co, 0));
        return KV_COORD_DONE;
    }
}

/* ------------------------------------------------------------- removals */

static void zremrange_done(kv_ctx *ctx, const kv_str *key, kv_obj *o, size_t removed,
                           const char *event)
{
    int dropped = kv_zset_len(o) == 0;
    if (dropped)
        kv_db_delete(kv_ctx_db(ctx), key->p, key->n);
    if (removed) {
        kv_signal_modified(ctx, ctx->db, key);
        kv_notify(ctx, KV_NOTIFY_ZSET, event, ctx->db, key);
        if (dropped)
            kv_notify(ctx, KV_NOTIFY_GENERIC, "del", ctx->db, key);
        kv_dirty(ctx, (long long)removed);
    }
    kv_reply_int(&ctx->out, (long long)removed);
}

static void kv_cmd_zremrangebyrank(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long start, end, llen;
    int err = 0;
    kv_obj *o;
    (void)argc;
    if (kv_arg_ll_or_reply(ctx, &argv[2], &start) != 0 ||
        kv_arg_ll_or_reply(ctx, &argv[3], &end) != 0)
        return;
    o = kv_zget(ctx, &argv[1], 1, &err);
    if (err)
        return;
    if (!o) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    llen = (long long)kv_zset_len(o);
    if (start < 0)
        start += llen;
    if (end < 0)
        end += llen;
    if (start < 0)
        start = 0;
    if (start > end || start >= llen) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    if (end >= llen)
        end = llen - 1;
    zremrange_done(ctx, &argv[1], o, kv_zset_del_rank(o, (size_t)start, (size_t)end),
                   "zremrangebyrank");
}

static void kv_cmd_zremrangebyscore(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_zrange r;
    int err = 0;
    kv_obj *o;
    (void)argc;
    if (!kv_zset_parse_range(argv[2].p, argv[2].n, argv[3].p, argv[3].n, &r)) {
        kv_reply_error(&ctx->out, "ERR min or max is not a float");
        return;
    }
    o = kv_zget(ctx, &argv[1], 1, &err);
    if (err)
        return;
    if (!o)
        kv_reply_int(&ctx->out, 0);
    else
        zremrange_done(ctx, &argv[1], o, kv_zset_del_score(o, &r), "zremrangebyscore");
}

static void kv_cmd_zremrangebylex(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_zlex r;
    int err = 0;
    kv_obj *o;
    (void)argc;
    if (!kv_zset_parse_lex(argv[2].p, argv[2].n, argv[3].p, argv[3].n, &r)) {
        kv_reply_error(&ctx->out, "ERR min or max not valid string range item");
        return;
    }
    o = kv_zget(ctx, &argv[1], 1, &err);
    if (err)
        return;
    if (!o)
        kv_reply_int(&ctx->out, 0);
    else
        zremrange_done(ctx, &argv[1], o, kv_zset_del_lex(o, &r), "zremrangebylex");
}

const kv_cmdspec kv_cmds_zset_range[] = {
    {.name = "zrange", .route = KV_ROUTE_KEY, .exec = kv_cmd_zrange},
    {.name = "zrangebylex", .route = KV_ROUTE_KEY, .exec = kv_cmd_zrangebylex},
    {.name = "zrangebyscore", .route = KV_ROUTE_KEY, .exec = kv_cmd_zrangebyscore},
    {.name = "zrangestore", .route = KV_ROUTE_COORD, .exec = kv_cmd_zrangestore,
     .coord = kv_coord_zrangestore},
    {.name = "zremrangebylex", .route = KV_ROUTE_KEY, .exec = kv_cmd_zremrangebylex},
    {.name = "zremrangebyrank", .route = KV_ROUTE_KEY, .exec = kv_cmd_zremrangebyrank},
    {.name = "zremrangebyscore", .route = KV_ROUTE_KEY, .exec = kv_cmd_zremrangebyscore},
    {.name = "zrevrange", .route = KV_ROUTE_KEY, .exec = kv_cmd_zrevrange},
    {.name = "zrevrangebylex", .route = KV_ROUTE_KEY, .exec = kv_cmd_zrevrangebylex},
    {.name = "zrevrangebyscore", .route = KV_ROUTE_KEY, .exec = kv_cmd_zrevrangebyscore},
    KV_SPEC_END
};
