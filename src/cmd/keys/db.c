/* Commands over whole databases, run by every shard on its part: DBSIZE
 * (summed), FLUSHDB and FLUSHALL, SWAPDB. Across shards each is atomic
 * (KV_CMD_WHOLE: the runtime locks every shard whole first). */
#include "cmd/block/block.h"
#include "cmd/config/cfg.h"
#include "cmd/core/cmd.h"
#include "cmd/multi/watch.h"
#include "cmd/persist/persist.h"
#include "cmd/pubsub/tracking.h"
#include "cmd/server/lazyfree.h"

#include <limits.h>

static void kv_cmd_dbsize(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    (void)argv;
    kv_reply_int(&ctx->out, (long long)kv_db_size(kv_ctx_db(ctx)));
}

/* FLUSHDB/FLUSHALL [ASYNC|SYNC]; checked on the home shard before fan-out. */
static int kv_check_flush(kv_ctx *ctx, int argc, const kv_str *argv)
{
    if (argc == 1 || (argc == 2 && (kv_arg_eq(&argv[1], "sync") || kv_arg_eq(&argv[1], "async"))))
        return 0;
    kv_reply_syntax(ctx);
    return -1;
}

/* ASYNC, SYNC, or neither: then lazyfree-lazy-user-flush decides. */
static int flush_async(kv_ctx *ctx, int argc, const kv_str *argv)
{
    if (argc == 2)
        return kv_arg_eq(&argv[1], "async");
    return kv_cfg_yes(kv_state(ctx)->cfg, "lazyfree-lazy-user-flush");
}

/* Every shard empties its part and counts the keys it removed: Redis adds
 * the removed keys to server.dirty. Async, the old contents go whole to the
 * lazy-free thread and an empty database takes their place. */
static void kv_flush_db(kv_ctx *ctx, int db, int async)
{
    kv_cmdstate *st = kv_state(ctx);
    long long n = (long long)kv_db_size(st->ks->db[db]);
    kv_watch_touch_db(st->watch, st->ks, db, -1);
    /* Waiters are looked at after it: XREADGROUP's get UNBLOCKED, as Redis
     * 7.0 signals the deleted stream keys of a flushed database. */
    kv_block_touch_db(ctx->shard, st, db, db);
    kv_dirty(ctx, n);
    if (kv_snap_take_db(st, db)) /* a running BGSAVE keeps the old contents */
        return;
    if (async && n > 0) {
        kv_db *old = st->ks->db[db];
        st->ks->db[db] = kv_db_new(st->srv->seed);
        kv_lazyfree_db(st->srv->lazyfree, old, n);
    } else {
        kv_db_clear(st->ks->db[db]);
    }
}

static void kv_cmd_flushdb(kv_ctx *ctx, int argc, const kv_str *argv)
{
    if (kv_check_flush(ctx, argc, argv) != 0)
        return;
    kv_flush_db(ctx, ctx->db, flush_async(ctx, argc, argv));
    kv_tracking_flush(ctx); /* Redis's trackingInvalidateKeysOnFlush */
    kv_propagate(ctx, argc, argv); /* logged even when empty, as Redis forces it */
    kv_reply_status(&ctx->out, "OK");
}

static void kv_cmd_flushall(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int i, async;
    if (kv_check_flush(ctx, argc, argv) != 0)
        return;
    async = flush_async(ctx, argc, argv);
    for (i = 0; i < kv_state(ctx)->ks->ndb; i++)
        kv_flush_db(ctx, i, async);
    kv_tracking_flush(ctx); /* Redis's trackingInvalidateKeysOnFlush */
    /* As Redis: a BGSAVE running is stopped, and with `save` points set an
     * empty dump.rdb is written at once (persist/save_cmd.c). */
    kv_snap_cancel(kv_state(ctx));
    kv_persist_flushall_save(ctx);
    kv_propagate(ctx, argc, argv); /* logged even when empty, as Redis forces it */
    kv_reply_status(&ctx->out, "OK");
}

/* getIntFromObjectOrReply with SWAPDB's messages, then the range. */
static int swapdb_args(kv_ctx *ctx, const kv_str *argv, int *a, int *b)
{
    static const char *const msg[2] = {"ERR invalid first DB index",
                                       "ERR invalid second DB index"};
    long long v[2];
    int i;
    for (i = 0; i < 2; i++) {
        if (!kv_arg_ll(&argv[1 + i], &v[i]) || v[i] < INT_MIN || v[i] > INT_MAX) {
            kv_reply_error(&ctx->out, msg[i]);
            return -1;
        }
    }
    for (i = 0; i < 2; i++) {
        if (v[i] < 0 || v[i] >= kv_state(ctx)->ks->ndb) {
            kv_reply_error(&ctx->out, "ERR DB index is out of range");
            return -1;
        }
    }
    *a = (int)v[0];
    *b = (int)v[1];
    return 0;
}

static int kv_check_swapdb(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int a, b;
    (void)argc;
    return swapdb_args(ctx, argv, &a, &b);
}

/* Every shard swaps its own two databases. Redis counts one change per
 * SWAPDB (even of a database with itself): the part that runs on the
 * client's home shard counts it. */
static void kv_cmd_swapdb(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int a, b;
    (void)argc;
    if (swapdb_args(ctx, argv, &a, &b) != 0)
        return;
    if (a != b) {
        kv_watch_touch_db(kv_state(ctx)->watch, kv_state(ctx)->ks, a, b);
        kv_ks_swapdb(kv_state(ctx)->ks, a, b);
        kv_block_touch_db(ctx->shard, kv_state(ctx), a, b); /* waiters of either db */
    }
    if (kv_shard_id(ctx->shard) == ctx->home)
        kv_dirty(ctx, 1);
    /* Every shard swapped its part: each logs it, not only the one that
     * counts the change. */
    kv_propagate(ctx, argc, argv);
    kv_reply_status(&ctx->out, "OK");
}
const kv_cmdspec kv_cmds_keys_db[] = {
    {.name = "dbsize", .flags = KV_CMD_WHOLE, .route = KV_ROUTE_ALL, .exec = kv_cmd_dbsize,
     .reduce = kv_reduce_sum},
    {.name = "flushall", .flags = KV_CMD_WHOLE, .route = KV_ROUTE_ALL, .exec = kv_cmd_flushall,
     .reduce = kv_reduce_first, .check = kv_check_flush},
    {.name = "flushdb", .flags = KV_CMD_WHOLE, .route = KV_ROUTE_ALL, .exec = kv_cmd_flushdb,
     .reduce = kv_reduce_first, .check = kv_check_flush},
    {.name = "swapdb", .flags = KV_CMD_WHOLE, .route = KV_ROUTE_ALL, .exec = kv_cmd_swapdb,
     .reduce = kv_reduce_first, .check = kv_check_swapdb},
    KV_SPEC_END
};
