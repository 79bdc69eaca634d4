/* Commands that move or copy a value to another key or database: RENAME,
 * RENAMENX, COPY (DB n, REPLACE) and MOVE. On one shard they are store
 * operations that keep the TTL; across two shards RENAME and COPY read the
 * source as a DUMP payload (with its expire time) and check the destination,
 * then write the destination, then (RENAME) delete the source. */
#include "cmd/keys/keys.h"
#include "cmd/multi/watch.h"

#include <limits.h>
#include <string.h>

#include "store/rdb.h"

static int same_str(const kv_str *a, const kv_str *b)
{
    return a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
}

/* Pass a sub-command's reply on to the client unchanged. */
static void reply_through(kv_ctx *ctx, kv_str r)
{
    kv_reply_raw(&ctx->out, r.p, r.n);
    if (r.n > 0 && r.p[0] == '-')
        ctx->out.errors++;
}

static int is_one(kv_str r)
{
    long long v;
    return kv_resp_reply_int(r.p, r.n, &v) && v == 1;
}

/* A value under a key just created in another database than the client's
 * (MOVE, COPY ... DB): kv_set_val's "new" would name the client's. */
static void put_new_in(kv_ctx *ctx, int db, kv_entry *e, kv_obj *o)
{
    kv_str key;
    kv_keys_stamp(ctx, o);
    kv_db_set_val(kv_state(ctx)->ks->db[db], e, o);
    key.p = kv_entry_key(e, &key.n);
    kv_notify(ctx, KV_NOTIFY_NEW, "new", db, &key);
}

/* ------------------------------------------------------------- RENAME */

static void rename_generic(kv_ctx *ctx, const kv_str *argv, int nx)
{
    kv_db *db = kv_ctx_db(ctx);
    kv_entry *src = kv_lookup_write(ctx, &argv[1]), *dst;
    long long when;
    kv_obj *o;
    int created;

    if (!src) {
        kv_reply_error(&ctx->out, "ERR no such key");
        return;
    }
    if (same_str(&argv[1], &argv[2])) {
        if (nx)
            kv_reply_int(&ctx->out, 0);
        else
            kv_reply_status(&ctx->out, "OK");
        return;
    }
    when = kv_db_get_expire(db, src);
    if ((dst = kv_lookup_write(ctx, &argv[2])) != NULL) {
        if (nx) {
            kv_reply_int(&ctx->out, 0);
            return;
        }
        kv_ks_delete_entry(kv_state(ctx)->ks, ctx->db, dst, KV_LAZY_SERVER_DEL); /* dbDelete */
    }
    o = kv_db_take_val(db, src);
    kv_db_delete_entry(db, src);
    dst = kv_db_upsert(db, argv[2].p, argv[2].n, &created);
    kv_set_val(ctx, dst, o);
    if (when != -1)
        kv_db_set_expire(db, dst, when);
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    kv_signal_modified(ctx, ctx->db, &argv[2]);
    kv_notify(ctx, KV_NOTIFY_GENERIC, "rename_from", ctx->db, &argv[1]);
    kv_notify(ctx, KV_NOTIFY_GENERIC, "rename_to", ctx->db, &argv[2]);
    kv_dirty(ctx, 1); /* one change, as Redis counts a rename */
    if (nx)
        kv_reply_int(&ctx->out, 1);
    else
        kv_reply_status(&ctx->out, "OK");
}

static void kv_cmd_rename(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    rename_generic(ctx, argv, 0);
}

static void kv_cmd_renamenx(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    rename_generic(ctx, argv, 1);
}

/* The keys are on two shards (so they differ). nx: RENAMENX. The put step
 * counts the one change in the dirty counter; the source's deletion is the
 * same move. */
static int rename_coord(kv_ctx *ctx, kv_coord *co, const kv_str *argv, int nx)
{
    int s_src = kv_shard_of_key(ctx->shard, argv[1].p, argv[1].n);
    int s_dst = kv_shard_of_key(ctx->shard, argv[2].p, argv[2].n);
    kv_str sub[5], payload, r;
    long long when;
    char wbuf[32];
    int got;

    sub[0] = argv[0];
    switch (kv_coord_step(co)) {
    case 0: /* reads: the source's value, whether the destination exists */
        sub[1] = argv[1];
        kv_coord_send(co, s_src, ctx->db, &kv_sub_val_get, 2, sub);
        if (nx) {
            sub[1] = argv[2];
            kv_coord_send(co, s_dst, ctx->db, &kv_sub_val_has, 2, sub);
        }
        return KV_COORD_WAIT;
    case 1: /* write the destination */
        r = kv_coord_reply(co, 0);
        if ((got = kv_val_reply(r, &payload, &when)) < 0) {
            reply_through(ctx, r);
            return KV_COORD_DONE;
        }
        if (got == 0) {
            kv_reply_error(&ctx->out, "ERR no such key");
            return KV_COORD_DONE;
        }
        if (nx && is_one(kv_coord_reply(co, 1))) {
            kv_reply_int(&ctx->out, 0);
            return KV_COORD_DONE;
        }
        sub[1] = argv[2];
        sub[2] = payload;
        sub[3].p = wbuf;
        sub[3].n = (size_t)kv_ll2str(wbuf, sizeof wbuf, when);
        sub[4].p = nx ? "n" : "";
        sub[4].n = nx ? 1 : 0;
        kv_coord_send(co, s_dst, ctx->db, &kv_sub_val_put, 5, sub);
        return KV_COORD_WAIT;
    case 2: /* delete the source once the destination holds the value */
        r = kv_coord_reply(co, 0);
        if (!is_one(r)) {
            if (r.n > 0 && r.p[0] == '-')
                reply_through(ctx, r);
            else
                kv_reply_int(&ctx->out, 0);
            return KV_COORD_DONE;
        }
        sub[1] = argv[1];
        kv_coord_send(co, s_src, ctx->db, &kv_sub_val_del, 2, sub);
        return KV_COORD_WAIT;
    default:
        if (nx)
            kv_reply_int(&ctx->out, 1);
        else
            kv_reply_status(&ctx->out, "OK");
        return KV_COORD_DONE;
    }
}

static int kv_coord_rename(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    (void)argc;
    return rename_coord(ctx, co, argv, 0);
}

static int kv_coord_renamenx(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    (void)argc;
    return rename_coord(ctx, co, argv, 1);
}

/* --------------------------------------------------------------- COPY */

/* COPY's options; 0, or -1 after replying (quiet: just -1). */
static int copy_options(kv_ctx *ctx, int argc, const kv_str *argv, int *db, int *replace,
                        int quiet)
{
    int j;
    *db = ctx->db;
    *replace = 0;
    for (j = 3; j < argc; j++) {
        if (kv_arg_eq(&argv[j], "replace")) {
            *replace = 1;
        } else if (kv_arg_eq(&argv[j], "db") && j + 1 < argc) {
            if (quiet) {
                long long v;
                if (!kv_arg_ll(&argv[++j], &v) || v < 0 || v >= kv_state(ctx)->ks->ndb)
                    return -1;
                *db = (int)v;
            } else if (kv_arg_db_or_reply(ctx, &argv[++j], db) != 0) {
                return -1;
            }
        } else {
            if (!quiet)
                kv_reply_syntax(ctx);
            return -1;
        }
    }
    return 0;
}

static int kv_check_copy(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int db, replace;
    return copy_options(ctx, argc, argv, &db, &replace, 0);
}

static void kv_cmd_copy(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_keyspace *ks = kv_state(ctx)->ks;
    int dstdb, replace, created;
    kv_entry *src, *dst;
    kv_obj *copy;
    long long when;

    if (copy_options(ctx, argc, argv, &dstdb, &replace, 1) != 0) {
        kv_reply_syntax(ctx); /* the check has already refused these */
        return;
    }
    if (dstdb == ctx->db && same_str(&argv[1], &argv[2])) {
        kv_reply_error(&ctx->out, "ERR source and destination objects are the same");
        return;
    }
    if (!(src = kv_lookup_read(ctx, &argv[1]))) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    when = kv_db_get_expire(kv_ctx_db(ctx), src);
    dst = kv_ks_lookup_write(ks, dstdb, argv[2].p, argv[2].n, kv_now_ms(ctx));
    if (dst && !replace) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    if (!(copy = kv_rdb_dup(kv_entry_val(src), kv_state(ctx)->srv->seed))) {
        kv_reply_dump_unsupported(ctx, kv_entry_val(src));
        return;
    }
    kv_obj_mark_unshared(copy);
    kv_keys_stamp(ctx, copy);
    if (dst)
        kv_ks_delete_entry(ks, dstdb, dst, KV_LAZY_SERVER_DEL); /* dbDelete */
    dst = kv_db_upsert(ks->db[dstdb], argv[2].p, argv[2].n, &created);
    put_new_in(ctx, dstdb, dst, copy);
    if (when != -1)
        kv_db_set_expire(ks->db[dstdb], dst, when);
    kv_signal_modified(ctx, dstdb, &argv[2]);
    kv_notify(ctx, KV_NOTIFY_GENERIC, "copy_to", dstdb, &argv[2]);
    kv_dirty(ctx, 1);
    kv_reply_int(&ctx->out, 1);
}

static int kv_coord_copy(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    int s_src = kv_shard_of_key(ctx->shard, argv[1].p, argv[1].n);
    int s_dst = kv_shard_of_key(ctx->shard, argv[2].p, argv[2].n);
    int dstdb, replace, got;
    kv_str sub[5], payload, r;
    long long when;
    char wbuf[32];

    if (copy_options(ctx, argc, argv, &dstdb, &replace, 1) != 0) {
        kv_reply_syntax(ctx);
        return KV_COORD_DONE;
    }
    sub[0] = argv[0];
    switch (kv_coord_step(co)) {
    case 0:
        sub[1] = argv[1];
        kv_coord_send(co, s_src, ctx->db, &kv_sub_val_getr, 2, sub);
        if (!replace) {
            sub[1] = argv[2];
            kv_coord_send(co, s_dst, dstdb, &kv_sub_val_has, 2, sub);
        }
        return KV_COORD_WAIT;
    case 1:
        r = kv_coord_reply(co, 0);
        if ((got = kv_val_reply(r, &payload, &when)) < 0) {
            reply_through(ctx, r);
            return KV_COORD_DONE;
        }
        if (got == 0 || (!replace && is_one(kv_coord_reply(co, 1)))) {
            kv_reply_int(&ctx->out, 0);
            return KV_COORD_DONE;
        }
        sub[1] = argv[2];
        sub[2] = payload;
        sub[3].p = wbuf;
        sub[3].n = (size_t)kv_ll2str(wbuf, sizeof wbuf, when);
        sub[4].p = replace ? "c" : "nc";
        sub[4].n = replace ? 1 : 2;
        kv_coord_send(co, s_dst, dstdb, &kv_sub_val_put, 5, sub);
        return KV_COORD_WAIT;
    default:
        reply_through(ctx, kv_coord_reply(co, 0));
        return KV_COORD_DONE;
    }
}

/* --------------------------------------------------------------- MOVE */

static void kv_cmd_move(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_keyspace *ks = kv_state(ctx)->ks;
    kv_entry *src, *dst;
    long long when;
    kv_obj *o;
    int dstdb, created;
    (void)argc;

    if (kv_arg_db_or_reply(ctx, &argv[2], &dstdb) != 0)
        return;
    if (dstdb == ctx->db) {
        kv_reply_error(&ctx->out, "ERR source and destination objects are the same");
        return;
    }
    if (!(src = kv_lookup_write(ctx, &argv[1])) ||
        kv_ks_lookup_write(ks, dstdb, argv[1].p, argv[1].n, kv_now_ms(ctx))) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    when = kv_db_get_expire(kv_ctx_db(ctx), src);
    o = kv_db_take_val(kv_ctx_db(ctx), src);
    kv_db_delete_entry(kv_ctx_db(ctx), src);
    dst = kv_db_upsert(ks->db[dstdb], argv[1].p, argv[1].n, &created);
    put_new_in(ctx, dstdb, dst, o);
    if (when != -1)
        kv_db_set_expire(ks->db[dstdb], dst, when);
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    kv_signal_modified(ctx, dstdb, &argv[1]);
    kv_notify(ctx, KV_NOTIFY_GENERIC, "move_from", ctx->db, &argv[1]);
    kv_notify(ctx, KV_NOTIFY_GENERIC, "move_to", dstdb, &argv[1]);
    kv_dirty(ctx, 1);
    kv_reply_int(&ctx->out, 1);
}


const kv_cmdspec kv_cmds_keys_rename[] = {
    {.name = "copy", .route = KV_ROUTE_COORD, .exec = kv_cmd_copy, .check = kv_check_copy,
     .coord = kv_coord_copy},
    {.name = "move", .route = KV_ROUTE_KEY, .exec = kv_cmd_move},
    {.name = "rename", .route = KV_ROUTE_COORD, .exec = kv_cmd_rename, .coord = kv_coord_rename},
    {.name = "renamenx", .route = KV_ROUTE_COORD, .exec = kv_cmd_renamenx,
     .coord = kv_coord_renamenx},
    KV_SPEC_END
};
