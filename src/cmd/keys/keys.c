/* Generic key commands: DEL/UNLINK, EXISTS, TOUCH, TYPE, PERSIST, the expire
 * commands (EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT with NX XX GT LT) and their
 * readers (TTL, PTTL, EXPIRETIME, PEXPIRETIME).
 * Multi-key forms run per shard on that shard's keys and are summed by the
 * runtime (kv_reduce_sum), so each function only ever sees local keys. */
#include "cmd/keys/keys.h"
#include "cmd/config/cfg.h"
#include "cmd/multi/watch.h"
#include "cmd/server/lazyfree.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define EXP_NX 1
#define EXP_XX 2
#define EXP_GT 4
#define EXP_LT 8

static kv_entry *kv_lookup_notouch(kv_ctx *ctx, const kv_str *key, int notify)
{
    kv_keyspace *ks = kv_state(ctx)->ks;
    kv_db *db = kv_ctx_db(ctx);
    kv_entry *e = kv_db_lookup(db, key->p, key->n);
    if (e && kv_entry_has_expire(e) && kv_db_is_expired(db, e, kv_now_ms(ctx)))
        e = kv_ks_lookup_read(ks, ctx->db, key->p, key->n, kv_now_ms(ctx)); /* deletes it */
    else if (e)
        ks->stats.keyspace_hits++;
    else
        ks->stats.keyspace_misses++;
    if (!e && notify)
        kv_notify(ctx, KV_NOTIFY_KEY_MISS, "keymiss", ctx->db, key);
    return e;
}

kv_entry *kv_lookup_read_notouch(kv_ctx *ctx, const kv_str *key)
{
    return kv_lookup_notouch(ctx, key, 1);
}

kv_entry *kv_lookup_read_nonotify(kv_ctx *ctx, const kv_str *key)
{
    return kv_lookup_notouch(ctx, key, 0);
}

void kv_keys_stamp(kv_ctx *ctx, kv_obj *o)
{
    kv_obj_set_lru(o, kv_ks_fresh_lru(kv_state(ctx)->ks, kv_now_ms(ctx)));
}

/* Delete e; its value is freed by the lazy-free thread when UNLINK (or DEL
 * with lazyfree-lazy-user-del) finds it costly to free (Redis's
 * dbAsyncDelete), else at once. */
static void del_entry(kv_ctx *ctx, kv_entry *e, int unlink)
{
    kv_db *db = kv_ctx_db(ctx);
    kv_cmdstate *st = kv_state(ctx);
    if (kv_lazyfree_effort(kv_entry_val(e)) > KV_LAZYFREE_THRESHOLD &&
        (unlink || kv_cfg_yes(st->cfg, "lazyfree-lazy-user-del"))) {
        kv_db_snapshot_take(db, e); /* a running save keeps its copy first */
        kv_lazyfree_obj(st->srv->lazyfree, kv_db_take_val(db, e));
    }
    kv_db_delete_entry(db, e);
}

/* DEL and UNLINK. */
static void del_generic(kv_ctx *ctx, int argc, const kv_str *argv, int unlink)
{
    long long deleted = 0;
    int j;
    for (j = 1; j < argc; j++) {
        kv_entry *e = kv_lookup_write(ctx, &argv[j]); /* expires it lazily first */
        if (e) {
            del_entry(ctx, e, unlink);
            kv_signal_modified(ctx, ctx->db, &argv[j]);
            kv_notify(ctx, KV_NOTIFY_GENERIC, "del", ctx->db, &argv[j]);
            kv_dirty(ctx, 1);
            deleted++;
        }
    }
    kv_reply_int(&ctx->out, deleted);
}

static void kv_cmd_del(kv_ctx *ctx, int argc, const kv_str *argv)
{
    del_generic(ctx, argc, argv, 0);
}

static void kv_cmd_unlink(kv_ctx *ctx, int argc, const kv_str *argv)
{
    del_generic(ctx, argc, argv, 1);
}

static void kv_cmd_exists(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long count = 0;
    int j;
    for (j = 1; j < argc; j++)
        if (kv_lookup_read_notouch(ctx, &argv[j]))
            count++;
    kv_reply_int(&ctx->out, count);
}

static void kv_cmd_touch(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long count = 0;
    int j;
    for (j = 1; j < argc; j++)
        if (kv_lookup_read(ctx, &argv[j]))
            count++;
    kv_reply_int(&ctx->out, count);
}

static void kv_cmd_type(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *e = kv_lookup_read_notouch(ctx, &argv[1]);
    (void)argc;
    kv_reply_status(&ctx->out, e ? kv_obj_type_name(kv_entry_val(e)) : "none");
}

static void kv_cmd_persist(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *e = kv_lookup_write(ctx, &argv[1]);
    int removed = e && kv_db_persist(kv_ctx_db(ctx), e);
    (void)argc;
    if (removed) { /* a key without a TTL is left as it was */
        kv_signal_modified(ctx, ctx->db, &argv[1]);
        kv_notify(ctx, KV_NOTIFY_GENERIC, "persist", ctx->db, &argv[1]);
        kv_dirty(ctx, 1);
    }
    kv_reply_int(&ctx->out, removed);
}

/* The option words after EXPIRE key time; 0, or -1 after replying. */
static int kv_expire_options(kv_ctx *ctx, int argc, const kv_str *argv, int *flags)
{
    int j;
    for (j = 3; j < argc; j++) {
        if (kv_arg_eq(&argv[j], "nx"))
            *flags |= EXP_NX;
        else if (kv_arg_eq(&argv[j], "xx"))
            *flags |= EXP_XX;
        else if (kv_arg_eq(&argv[j], "gt"))
            *flags |= EXP_GT;
        else if (kv_arg_eq(&argv[j], "lt"))
            *flags |= EXP_LT;
        else {
            kv_reply_errorf(&ctx->out, "ERR Unsupported option %.*s",
                            (int)kv_arg_cstrlen(&argv[j]), argv[j].p);
            return -1;
        }
    }
    if ((*flags & EXP_NX) && (*flags & (EXP_XX | EXP_GT | EXP_LT))) {
        kv_reply_error(&ctx->out,
                       "ERR NX and XX, GT or LT options at the same time are not compatible");
        return -1;
    }
    if ((*flags & EXP_GT) && (*flags & EXP_LT)) {
        kv_reply_error(&ctx->out, "ERR GT and LT options at the same time are not compatible");
        return -1;
    }
    return 0;
}

/* PEXPIREAT key <when> and the options as they came (Redis rewrites
 * argv[0] and argv[2] only). */
static void expire_propagate_abs(kv_ctx *ctx, int argc, const kv_str *argv, long long when)
{
    kv_str *a;
    char wbuf[KV_LLSTR_SIZE];
    if (!kv_state(ctx)->aof)
        return;
    if (!(a = malloc((size_t)argc * sizeof *a)))
        abort();
    memcpy(a, argv, (size_t)argc * sizeof *a);
    a[0].p = "PEXPIREAT";
    a[0].n = 9;
    a[2].p = wbuf;
    a[2].n = (size_t)kv_ll2str(wbuf, sizeof wbuf, when);
    kv_propagate(ctx, argc, a);
    free(a);
}

/* EXPIRE family: `when` relative to base (now, or 0 for the *AT forms). */
static void kv_expire_generic(kv_ctx *ctx, int argc, const kv_str *argv, long long base,
                              int seconds)
{
    int flags = 0, past;
    long long when, cur;
    kv_entry *e;
    kv_db *db;

    if (kv_expire_options(ctx, argc, argv, &flags) != 0 ||
        kv_arg_ll_or_reply(ctx, &argv[2], &when) != 0)
        return;
    if (seconds) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000)
            goto invalid;
        when *= 1000;
    }
    if (when > LLONG_MAX - base)
        goto invalid;
    when += base;
    if (!(e = kv_lookup_write(ctx, &argv[1]))) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    db = kv_ctx_db(ctx);
    cur = kv_db_get_expire(db, e);
    if (((flags & EXP_NX) && cur != -1) || ((flags & EXP_XX) && cur == -1) ||
        ((flags & EXP_GT) && (cur == -1 || when <= cur)) ||
        ((flags & EXP_LT) && cur != -1 && when >= cur)) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    past = kv_already_expired(ctx, when);
    if (past)
        /* already in the past: deleted now, as an expiry (lazyfree-lazy-expire) */
        kv_ks_delete_entry(kv_state(ctx)->ks, ctx->db, e, KV_LAZY_EXPIRE);
    else
        kv_db_set_expire(db, e, when);
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    kv_notify(ctx, KV_NOTIFY_GENERIC, past ? "del" : "expire", ctx->db, &argv[1]);
    kv_dirty(ctx, 1);
    /* Logged as Redis 7.0 does: the deletion, or an absolute time in ms
     * (PEXPIREAT itself stays as it ran). */
    if (past)
        kv_propagate_del(ctx, &argv[1], "lazyfree-lazy-expire");
    else if (base != 0 || seconds)
        expire_propagate_abs(ctx, argc, argv, when);
    kv_reply_int(&ctx->out, 1);
    return;
invalid:
    kv_reply_errorf(&ctx->out, "ERR invalid expire time in '%s' command", ctx->cmd->name);
}

static void kv_cmd_expire(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_expire_generic(ctx, argc, argv, kv_now_ms(ctx), 1);
}

static void kv_cmd_pexpire(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_expire_generic(ctx, argc, argv, kv_now_ms(ctx), 0);
}

static void kv_cmd_expireat(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_expire_generic(ctx, argc, argv, 0, 1);
}

static void kv_cmd_pexpireat(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_expire_generic(ctx, argc, argv, 0, 0);
}

/* TTL family: the time left (or, abs, the unix time) in ms or rounded
 * seconds; -2 missing, -1 no TTL. */
static void kv_ttl_generic(kv_ctx *ctx, const kv_str *key, int ms, int abs)
{
    kv_entry *e = kv_lookup_read_notouch(ctx, key);
    long long when, ttl;
    if (!e) {
        kv_reply_int(&ctx->out, -2);
        return;
    }
    when = kv_db_get_expire(kv_ctx_db(ctx), e);
    if (when == -1) {
        kv_reply_int(&ctx->out, -1);
        return;
    }
    ttl = abs ? when : when - kv_now_ms(ctx);
    if (ttl < 0)
        ttl = 0;
    kv_reply_int(&ctx->out, ms ? ttl : (ttl + 500) / 1000);
}

static void kv_cmd_ttl(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    kv_ttl_generic(ctx, &argv[1], 0, 0);
}

static void kv_cmd_pttl(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    kv_ttl_generic(ctx, &argv[1], 1, 0);
}

static void kv_cmd_expiretime(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    kv_ttl_generic(ctx, &argv[1], 0, 1);
}

static void kv_cmd_pexpiretime(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    kv_ttl_generic(ctx, &argv[1], 1, 1);
}

const kv_cmdspec kv_cmds_keys[] = {
    {.name = "del", .route = KV_ROUTE_KEYS, .exec = kv_cmd_del, .reduce = kv_reduce_sum},
    {.name = "exists", .route = KV_ROUTE_KEYS, .exec = kv_cmd_exists, .reduce = kv_reduce_sum},
    {.name = "expire", .route = KV_ROUTE_KEY, .exec = kv_cmd_expire},
    {.name = "expireat", .route = KV_ROUTE_KEY, .exec = kv_cmd_expireat},
    {.name = "expiretime", .route = KV_ROUTE_KEY, .exec = kv_cmd_expiretime},
    {.name = "persist", .route = KV_ROUTE_KEY, .exec = kv_cmd_persist},
    {.name = "pexpire", .route = KV_ROUTE_KEY, .exec = kv_cmd_pexpire},
    {.name = "pexpireat", .route = KV_ROUTE_KEY, .exec = kv_cmd_pexpireat},
    {.name = "pexpiretime", .route = KV_ROUTE_KEY, .exec = kv_cmd_pexpiretime},
    {.name = "pttl", .route = KV_ROUTE_KEY, .exec = kv_cmd_pttl},
    {.name = "touch", .route = KV_ROUTE_KEYS, .exec = kv_cmd_touch, .reduce = kv_reduce_sum},
    {.name = "ttl", .route = KV_ROUTE_KEY, .exec = kv_cmd_ttl},
    {.name = "type", .route = KV_ROUTE_KEY, .exec = kv_cmd_type},
    {.name = "unlink", .route = KV_ROUTE_KEYS, .exec = kv_cmd_unlink, .reduce = kv_reduce_sum},
    KV_SPEC_END
};
