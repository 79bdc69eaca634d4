/* The blocking sorted-set commands: BZPOPMIN BZPOPMAX BZMPOP, as kv_blockers
 * for the engine (block/block.h): syntax and timeout, the non-blocking
 * request that serves one from a key, and the one that puts popped members
 * back (with their scores) if the client went away before its reply. */
#include "cmd/block/block.h"
#include "cmd/zset/zset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------- the serve requests */

/* bzpop-serve key min|max: pop the lowest (highest) member, reply
 * [key, member, score], or a null array if the key is gone. */
static void kv_exec_bzserve(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int max = argv[2].p[1] == 'a', err = 0;
    kv_obj *o = kv_zget(ctx, &argv[1], 1, &err);
    char buf[KV_ZSET_D2STR_MAX];
    const char *m;
    kv_zit it;
    (void)argc;
    if (err)
        return;
    if (!o) {
        kv_reply_null_array(&ctx->out);
        return;
    }
    kv_zit_rank(&it, o, 0, max);
    kv_reply_array(&ctx->out, 3);
    kv_reply_bulk(&ctx->out, argv[1].p, argv[1].n);
    kv_reply_bulk(&ctx->out, it.m, it.mlen);
    kv_reply_double(&ctx->out, it.score);
    m = it.m;
    if (m == it.buf) { /* the member's bytes live in the iterator */
        memcpy(buf, it.buf, it.mlen);
        m = buf;
    }
    kv_zset_del(o, m, it.mlen);
    kv_notify(ctx, KV_NOTIFY_ZSET, max ? "zpopmax" : "zpopmin", ctx->db, &argv[1]);
    if (kv_zset_len(o) == 0) {
        kv_db_delete(kv_ctx_db(ctx), argv[1].p, argv[1].n);
        kv_notify(ctx, KV_NOTIFY_GENERIC, "del", ctx->db, &argv[1]);
    }
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    kv_dirty(ctx, 1);
    {
        /* ZPOPMIN key or ZPOPMAX key, as Redis 7.0 logs a BZPOPMIN or
         * BZPOPMAX it served. */
        kv_str a[2];
        a[0].p = max ? "ZPOPMAX" : "ZPOPMIN";
        a[0].n = 7;
        a[1] = argv[1];
        kv_propagate(ctx, 2, a);
    }
}

static const kv_cmd kv_sub_bzserve = {.name = "bzpop-serve", .arity = 3, .first_key = 1,
                                      .last_key = 1, .key_step = 1, .route = KV_ROUTE_KEY,
                                      .exec = kv_exec_bzserve};

/* bzpop-undo key score member [score member...]: add them back. */
static void kv_exec_bzundo(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_zset_opts opts;
    kv_obj *o;
    int err = 0, j, out;
    o = kv_zget(ctx, &argv[1], 1, &err);
    if (err)
        return;
    kv_zopts(ctx, &opts);
    if (!o) {
        int created;
        kv_entry *e;
        o = kv_zset_new_for(argv[3].n, &opts);
        e = kv_db_upsert(kv_ctx_db(ctx), argv[1].p, argv[1].n, &created);
        kv_set_val(ctx, e, o);
    }
    for (j = 2; j + 1 < argc; j += 2) {
        double score = 0;
        kv_zset_parse_score(argv[j].p, argv[j].n, &score);
        kv_zset_add(o, score, argv[j + 1].p, argv[j + 1].n, 0, &out, NULL, &opts);
    }
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    /* The members come back: watchers of the keyspace saw them popped. */
    kv_notify(ctx, KV_NOTIFY_ZSET, "zadd", ctx->db, &argv[1]);
    kv_dirty(ctx, (argc - 2) / 2);
    if (kv_state(ctx)->aof) {
        /* ZADD key score member...: the scores as the pop replied them,
         * which read back exactly. */
        kv_str *a = malloc((size_t)argc * sizeof *a);
        if (!a)
            abort();
        memcpy(a, argv, (size_t)argc * sizeof *a);
        a[0].p = "ZADD";
        a[0].n = 4;
        kv_propagate(ctx, argc, a);
        free(a);
    }
    kv_reply_int(&ctx->out, (argc - 2) / 2);
}

static const kv_cmd kv_sub_bzundo = {.name = "bzpop-undo", .arity = -4, .first_key = 1,
                                     .last_key = 1, .key_step = 1, .route = KV_ROUTE_KEY,
                                     .exec = kv_exec_bzundo};

/* A score as a sub-command reply carries it: a bulk (RESP2) or a double
 * (RESP3 ",..."); its text, in place. */
static int rd_score(const char **pp, const char *end, kv_str *out)
{
    const char *p = *pp, *cr;
    if (p < end && *p == ',') {
        cr = memchr(p, '\r', (size_t)(end - p));
        if (!cr || end - cr < 2)
            return -1;
        out->p = p + 1;
        out->n = (size_t)(cr - p - 1);
        *pp = cr + 2;
        return 0;
    }
    return kv_rd_bulk_at(pp, end, out);
}

/* ------------------------------------------------------ BZPOPMIN/MAX */

static int serve_bz(const kv_str *argv, int keyi, int max, kv_str *sub, const kv_cmd **cmd)
{
    sub[0].p = "bzpop-serve";
    sub[0].n = 11;
    sub[1] = argv[keyi];
    sub[2].p = max ? "max" : "min";
    sub[2].n = 3;
    *cmd = &kv_sub_bzserve;
    return 3;
}

static int serve_bzmin(int argc, const kv_str *argv, int keyi, int later, kv_str *sub,
                       char *scratch, const kv_cmd **cmd)
{
    (void)argc;
    (void)later;
    (void)scratch;
    return serve_bz(argv, keyi, 0, sub, cmd);
}

static int serve_bzmax(int argc, const kv_str *argv, int keyi, int later, kv_str *sub,
                       char *scratch, const kv_cmd **cmd)
{
    (void)argc;
    (void)later;
    (void)scratch;
    return serve_bz(argv, keyi, 1, sub, cmd);
}

/* [key, member, score] */
static int undo_bzpop(int argc, const kv_str *argv, int keyi, kv_str r, int proto, kv_str *sub,
                      char *scratch, const kv_cmd **cmd)
{
    const char *p = r.p, *end = r.p + r.n;
    long long n;
    kv_str key;
    (void)argc;
    (void)proto;
    (void)scratch;
    if (kv_rd_header(&p, end, '*', &n) != 0 || n != 3 || kv_rd_bulk_at(&p, end, &key) != 0 ||
        kv_rd_bulk_at(&p, end, &sub[3]) != 0 || rd_score(&p, end, &sub[2]) != 0)
        return 0;
    sub[0].p = "bzpop-undo";
    sub[0].n = 10;
    sub[1] = argv[keyi];
    *cmd = &kv_sub_bzundo;
    return 4;
}

static const kv_blocker bzpopmin = {KV_TYPE_ZSET, kv_block_parse_keys, serve_bzmin, undo_bzpop,
                                    kv_block_none_array, kv_block_none_array, NULL, NULL, NULL};
static const kv_blocker bzpopmax = {KV_TYPE_ZSET, kv_block_parse_keys, serve_bzmax, undo_bzpop,
                                    kv_block_none_array, kv_block_none_array, NULL, NULL, NULL};

/* ------------------------------------------------------------ BZMPOP */

static int side_ok(const kv_str *side)
{
    return kv_arg_eq(side, "min") || kv_arg_eq(side, "max");
}

static int parse_bzmpop(kv_ctx *ctx, int argc, const kv_str *argv, kv_blockargs *a)
{
    return kv_block_parse_mpop(ctx, argc, argv, a, side_ok);
}

/* Served by ZMPOP 1 key MIN|MAX [COUNT n]: its reply is BZMPOP's. */
static int serve_bzmpop(int argc, const kv_str *argv, int keyi, int later, kv_str *sub,
                        char *scratch, const kv_cmd **cmd)
{
    (void)later;
    (void)scratch;
    *cmd = &kv_zsub_zmpop;
    return kv_block_serve_mpop("zmpop", argc, argv, keyi, sub);
}

/* [key, [[member, score]...]]: add them back. */
static int undo_bzmpop(int argc, const kv_str *argv, int keyi, kv_str r, int proto, kv_str *sub,
                       char *scratch, const kv_cmd **cmd)
{
    const char *p = r.p, *end = r.p + r.n;
    long long n, i, two;
    kv_str key;
    (void)argc;
    (void)proto;
    (void)scratch;
    if (kv_rd_header(&p, end, '*', &n) != 0 || n != 2 || kv_rd_bulk_at(&p, end, &key) != 0 ||
        kv_rd_header(&p, end, '*', &n) != 0 || n <= 0)
        return 0;
    for (i = 0; i < n; i++)
        if (kv_rd_header(&p, end, '*', &two) != 0 || two != 2 ||
            kv_rd_bulk_at(&p, end, &sub[3 + 2 * i]) != 0 ||
            rd_score(&p, end, &sub[2 + 2 * i]) != 0)
            return 0;
    sub[0].p = "bzpop-undo";
    sub[0].n = 10;
    sub[1] = argv[keyi];
    *cmd = &kv_sub_bzundo;
    return 2 + 2 * (int)n;
}

static const kv_blocker bzmpop = {KV_TYPE_ZSET, parse_bzmpop, serve_bzmpop, undo_bzmpop,
                                  kv_block_none_array, kv_block_none_array, NULL, NULL, NULL};

/* ------------------------------------------------------------ commands */

const kv_cmdspec kv_cmds_zset_blocking[] = {
    KV_BLOCKING("bzpopmin", bzpopmin),
    KV_BLOCKING("bzpopmax", bzpopmax),
    KV_BLOCKING("bzmpop", bzmpop),
    KV_SPEC_END
};
