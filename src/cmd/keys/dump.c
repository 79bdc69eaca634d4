/* DUMP and RESTORE in Redis's payload format (store/rdb.h), and the internal
 * sub-commands RENAME and COPY use to move a value (with its TTL) from one
 * shard to another as a DUMP payload. RESTORE checks in Redis's order:
 * options, an existing key, the TTL, version and checksum, then the data.
 * Also what the AOF logs for a key written by a sub-command (a RESTORE of
 * its value, or DEL) and for a deletion (DEL or UNLINK). */
#include "cmd/keys/keys.h"
#include "store/evict.h"
#include "cmd/config/cfg.h"
#include "cmd/multi/watch.h"

#include <stdlib.h>
#include <string.h>

#include "store/rdb.h"

void kv_reply_dump_unsupported(kv_ctx *ctx, const kv_obj *o)
{
    kv_reply_errorf(&ctx->out, "ERR kevy cannot serialize values of type '%s' yet",
                    kv_obj_type_name(o));
}

static void kv_cmd_dump(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *e = kv_lookup_read(ctx, &argv[1]);
    kv_buf b;
    (void)argc;
    if (!e) {
        kv_reply_null(&ctx->out);
        return;
    }
    kv_buf_init(&b);
    if (kv_rdb_dump(&b, kv_entry_val(e)) == KV_RDB_OK)
        kv_reply_bulk(&ctx->out, b.p, b.len);
    else
        kv_reply_dump_unsupported(ctx, kv_entry_val(e));
    kv_buf_free(&b);
}

typedef struct restore_opts {
    int replace, absttl;
    long long idle, freq;
} restore_opts;

static int restore_options(kv_ctx *ctx, int argc, const kv_str *argv, restore_opts *o)
{
    int j;
    o->replace = o->absttl = 0;
    o->idle = o->freq = -1;
    for (j = 4; j < argc; j++) {
        int more = argc - j - 1;
        if (kv_arg_eq(&argv[j], "replace")) {
            o->replace = 1;
        } else if (kv_arg_eq(&argv[j], "absttl")) {
            o->absttl = 1;
        } else if (kv_arg_eq(&argv[j], "idletime") && more >= 1 && o->freq == -1) {
            if (kv_arg_ll_or_reply(ctx, &argv[++j], &o->idle) != 0)
                return -1;
            if (o->idle < 0) {
                kv_reply_error(&ctx->out, "ERR Invalid IDLETIME value, must be >= 0");
                return -1;
            }
        } else if (kv_arg_eq(&argv[j], "freq") && more >= 1 && o->idle == -1) {
            if (kv_arg_ll_or_reply(ctx, &argv[++j], &o->freq) != 0)
                return -1;
            if (o->freq < 0 || o->freq > 255) {
                kv_reply_error(&ctx->out, "ERR Invalid FREQ value, must be >= 0 and <= 255");
                return -1;
            }
        } else {
            kv_reply_syntax(ctx);
            return -1;
        }
    }
    return 0;
}

/* A relative TTL is logged as the time it gave, as Redis 7.0 does: the
 * command as it ran with argv[2] the absolute time and ABSTTL added last. */
static void restore_propagate_abs(kv_ctx *ctx, int argc, const kv_str *argv, long long when)
{
    kv_str *a;
    char wbuf[KV_LLSTR_SIZE];
    if (!kv_state(ctx)->aof)
        return;
    if (!(a = malloc((size_t)(argc + 1) * sizeof *a)))
        abort();
    memcpy(a, argv, (size_t)argc * sizeof *a);
    a[2].p = wbuf;
    a[2].n = (size_t)kv_ll2str(wbuf, sizeof wbuf, when);
    a[argc].p = "ABSTTL";
    a[argc].n = 6;
    kv_propagate(ctx, argc + 1, a);
    free(a);
}

static void kv_cmd_restore(kv_ctx *ctx, int argc, const kv_str *argv)
{
    restore_opts opt;
    long long ttl, now = kv_now_ms(ctx);
    kv_entry *e, *old;
    kv_obj *o;
    kv_db *db = kv_ctx_db(ctx);
    int created, deleted = 0;

    if (restore_options(ctx, argc, argv, &opt) != 0)
        return;
    if (!opt.replace && kv_lookup_write(ctx, &argv[1])) {
        kv_reply_error(&ctx->out, "BUSYKEY Target key name already exists.");
        return;
    }
    if (kv_arg_ll_or_reply(ctx, &argv[2], &ttl) != 0)
        return;
    if (ttl < 0) {
        kv_reply_error(&ctx->out, "ERR Invalid TTL value, must be >= 0");
        return;
    }
    if (kv_rdb_payload_check(argv[3].p, argv[3].n) != 0) {
        kv_reply_error(&ctx->out, "ERR DUMP payload version or checksum are wrong");
        return;
    }
    /* Encodings as Redis's loader picks them, by the live settings. */
    if (!(o = kv_rdb_payload_load_enc(argv[3].p, argv[3].n, &kv_state(ctx)->cfg->enc, 0,
                                      kv_state(ctx)->srv->seed))) {
        kv_reply_error(&ctx->out, "ERR Bad data format");
        return;
    }
    /* REPLACE: Redis's dbDelete, lazy under lazyfree-lazy-server-del */
    if (opt.replace && (old = kv_db_lookup(db, argv[1].p, argv[1].n)) != NULL) {
        kv_ks_delete_entry(kv_state(ctx)->ks, ctx->db, old, KV_LAZY_SERVER_DEL);
        deleted = 1;
    }
    if (ttl && !opt.absttl)
        ttl = (long long)((unsigned long long)ttl + (unsigned long long)now); /* wraps like Redis */
    if (ttl && kv_already_expired(ctx, ttl)) {
        kv_obj_free(o); /* already expired: nothing is created */
        if (deleted) { /* but the replaced key went: logged as DEL, as Redis does */
            kv_signal_modified(ctx, ctx->db, &argv[1]);
            kv_notify(ctx, KV_NOTIFY_GENERIC, "del", ctx->db, &argv[1]);
            kv_dirty(ctx, 1);
            kv_propagate_del(ctx, &argv[1], NULL);
        }
        kv_reply_status(&ctx->out, "OK");
        return;
    }
    e = kv_db_upsert(db, argv[1].p, argv[1].n, &created);
    kv_set_val(ctx, e, o); /* "new" */
    if (ttl)
        kv_db_set_expire(db, e, ttl);
    /* Redis's objectSetLRUOrLFU: FREQ counts under an LFU policy, IDLETIME
     * under the others; the other one is ignored. */
    if (kv_state(ctx)->ks->lfu && opt.freq >= 0)
        kv_obj_set_lru(o, kv_lfu_with_freq(kv_now_ms(ctx), (unsigned)opt.freq));
    else if (!kv_state(ctx)->ks->lfu && opt.idle >= 0)
        kv_obj_set_lru(o, kv_lru_from_idle(kv_state(ctx)->ks->lru_clock, opt.idle));
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    kv_notify(ctx, KV_NOTIFY_GENERIC, "restore", ctx->db, &argv[1]);
    kv_dirty(ctx, 1);
    if (ttl && !opt.absttl)
        restore_propagate_abs(ctx, argc, argv, ttl);
    kv_reply_status(&ctx->out, "OK");
}

/* ------------------------------------------------- moving between shards */

static void val_get(kv_ctx *ctx, kv_entry *e)
{
    kv_buf b;
    if (!e) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    kv_buf_init(&b);
    if (kv_rdb_dump(&b, kv_entry_val(e)) == KV_RDB_OK) {
        kv_reply_array(&ctx->out, 2);
        kv_reply_bulk(&ctx->out, b.p, b.len);
        kv_reply_int(&ctx->out, kv_db_get_expire(kv_ctx_db(ctx), e));
    } else {
        kv_reply_dump_unsupported(ctx, kv_entry_val(e));
    }
    kv_buf_free(&b);
}

static void kv_sub_get(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    val_get(ctx, kv_lookup_write(ctx, &argv[1]));
}

static void kv_sub_getr(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    val_get(ctx, kv_lookup_read(ctx, &argv[1]));
}

static void kv_sub_has(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    kv_reply_int(&ctx->out, kv_lookup_write(ctx, &argv[1]) != NULL);
}

/* argv: key payload when flags ("n": only if absent; "c": a COPY's
 * duplicate, so never one of Redis's shared integers). The one change of a
 * RENAME or COPY across shards, in the dirty counter. */
static void kv_sub_put(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *e = kv_lookup_write(ctx, &argv[1]);
    kv_db *db = kv_ctx_db(ctx);
    long long when;
    kv_obj *o;
    int created;
    (void)argc;
    if (e && memchr(argv[4].p, 'n', argv[4].n)) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    /* The value as it was (Redis moves the object itself); a list gets
     * this shard's list-max-listpack-size, its payload has no fill. */
    if (!kv_arg_ll(&argv[3], &when) ||
        !(o = kv_rdb_payload_load_enc(argv[2].p, argv[2].n, &kv_state(ctx)->cfg->enc, 1,
                                      kv_state(ctx)->srv->seed))) {
        kv_reply_error(&ctx->out, "ERR Bad data format");
        return;
    }
    if (e) { /* the destination replaced: dbDelete */
        kv_ks_delete_entry(kv_state(ctx)->ks, ctx->db, e, KV_LAZY_SERVER_DEL);
        kv_signal_modified(ctx, ctx->db, &argv[1]);
    }
    if (when != -1 && when <= kv_now_ms(ctx)) {
        kv_obj_free(o); /* it expired on the way */
        if (e) {
            kv_dirty(ctx, 1);
            kv_propagate_del(ctx, &argv[1], NULL);
        }
        kv_reply_int(&ctx->out, 1);
        return;
    }
    if (memchr(argv[4].p, 'c', argv[4].n))
        kv_obj_mark_unshared(o);
    e = kv_db_upsert(db, argv[1].p, argv[1].n, &created);
    kv_set_val(ctx, e, o); /* "new" */
    if (when != -1)
        kv_db_set_expire(db, e, when);
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    /* The destination's half of the move; the source's is val-del's. */
    kv_notify(ctx, KV_NOTIFY_GENERIC, memchr(argv[4].p, 'c', argv[4].n) ? "copy_to" : "rename_to",
              ctx->db, &argv[1]);
    kv_dirty(ctx, 1);
    kv_propagate_key(ctx, &argv[1]); /* this shard's half of the RENAME or COPY */
    kv_reply_int(&ctx->out, 1);
}

/* The source's removal at the end of a RENAME across shards: the change
 * itself was counted by the put. */
static void kv_sub_del(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *e = kv_lookup_write(ctx, &argv[1]);
    (void)argc;
    if (e) {
        kv_db_delete_entry(kv_ctx_db(ctx), e);
        kv_signal_modified(ctx, ctx->db, &argv[1]);
        kv_notify(ctx, KV_NOTIFY_GENERIC, "rename_from", ctx->db, &argv[1]);
        kv_propagate_del(ctx, &argv[1], NULL); /* no change in the counter, but one in the data */
    }
    kv_reply_int(&ctx->out, e != NULL);
}

const kv_cmd kv_sub_val_get = {.name = "val-get", .arity = 2, .exec = kv_sub_get};
const kv_cmd kv_sub_val_getr = {.name = "val-getr", .arity = 2, .exec = kv_sub_getr};
const kv_cmd kv_sub_val_has = {.name = "val-has", .arity = 2, .exec = kv_sub_has};
const kv_cmd kv_sub_val_put = {.name = "val-put", .arity = 5, .exec = kv_sub_put};
const kv_cmd kv_sub_val_del = {.name = "val-del", .arity = 2, .exec = kv_sub_del};

/* ------------------------------------------------- the append-only file */

void kv_propagate_del(kv_ctx *ctx, const kv_str *key, const char *lazy)
{
    kv_str a[2];
    int unlink;
    if (!kv_state(ctx)->aof)
        return;
    unlink = lazy && kv_cfg_yes(kv_state(ctx)->cfg, lazy);
    a[0].p = unlink ? "UNLINK" : "DEL";
    a[0].n = unlink ? 6 : 3;
    a[1] = *key;
    kv_propagate(ctx, 2, a);
}

void kv_propagate_key(kv_ctx *ctx, const kv_str *key)
{
    kv_db *db = kv_ctx_db(ctx);
    kv_entry *e;
    char wbuf[KV_LLSTR_SIZE];
    long long when;
    kv_str a[6];
    kv_buf b;
    if (!kv_state(ctx)->aof)
        return;
    if (!(e = kv_db_lookup(db, key->p, key->n))) {
        kv_propagate_del(ctx, key, NULL);
        return;
    }
    kv_buf_init(&b);
    /* Only values that serialize get here: the cross-shard paths move
     * them as DUMP payloads, the stores make strings and collections. */
    if (kv_rdb_dump(&b, kv_entry_val(e)) == KV_RDB_OK) {
        when = kv_db_get_expire(db, e);
        a[0].p = "RESTORE";
        a[0].n = 7;
        a[1] = *key;
        a[2].p = when == -1 ? "0" : wbuf;
        a[2].n = when == -1 ? 1 : (size_t)kv_ll2str(wbuf, sizeof wbuf, when);
        a[3].p = b.p;
        a[3].n = b.len;
        a[4].p = "REPLACE";
        a[4].n = 7;
        a[5].p = "ABSTTL";
        a[5].n = 6;
        kv_propagate(ctx, when == -1 ? 5 : 6, a);
    }
    kv_buf_free(&b);
}

int kv_val_reply(kv_str r, kv_str *payload, long long *when)
{
    const char *p = r.p, *end = r.p + r.n;
    long long v;
    if (kv_rd_header(&p, end, ':', &v) == 0)
        return v == 0 ? 0 : -1;
    if (kv_rd_header(&p, end, '*', &v) != 0 || v != 2 || kv_rd_header(&p, end, '$', &v) != 0 ||
        v < 0 || end - p < v + 2)
        return -1;
    payload->p = p;
    payload->n = (size_t)v;
    p += v + 2;
    return kv_rd_header(&p, end, ':', when) == 0 ? 1 : -1;
}

const kv_cmdspec kv_cmds_keys_dump[] = {
    {.name = "dump", .route = KV_ROUTE_KEY, .exec = kv_cmd_dump},
    {.name = "restore", .route = KV_ROUTE_KEY, .exec = kv_cmd_restore},
    KV_SPEC_END
};
