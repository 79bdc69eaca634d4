/* String commands: GET, SET (every option) and its relatives (SETNX, SETEX,
 * PSETEX, GETSET, GETDEL, GETEX), MGET, MSET, MSETNX and the INCR/DECR
 * family. Semantics follow Redis 7.0: option conflicts are syntax errors,
 * expire times are validated before the key is touched, INCR keeps a key's
 * TTL while SET drops it unless KEEPTTL. */
#include "cmd/core/cmd.h"
#include "cmd/keys/keys.h"
#include "cmd/multi/watch.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define SET_NX 0x01
#define SET_XX 0x02
#define SET_GET 0x04
#define SET_KEEPTTL 0x08
#define SET_EX 0x10
#define SET_PX 0x20
#define SET_EXAT 0x40
#define SET_PXAT 0x80
#define SET_ANY_EXPIRE (SET_EX | SET_PX | SET_EXAT | SET_PXAT)

static void kv_cmd_get(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *e = kv_lookup_read(ctx, &argv[1]);
    kv_obj *o;
    (void)argc;
    if (!e) {
        kv_reply_null(&ctx->out);
        return;
    }
    o = kv_entry_val(e);
    if (kv_obj_type(o) != KV_TYPE_STRING) {
        kv_reply_wrongtype(ctx);
        return;
    }
    kv_reply_obj(ctx, o);
}

/* Parse SET's options; 0 on success, or -1 after replying a syntax error. */
static int kv_set_options(kv_ctx *ctx, int argc, const kv_str *argv, int *flags,
                          const kv_str **expire)
{
    int j;
    for (j = 3; j < argc; j++) {
        const kv_str *opt = &argv[j];
        int has_next = j < argc - 1, f = *flags;
        if (kv_arg_eq(opt, "nx") && !(f & SET_XX)) {
            *flags |= SET_NX;
        } else if (kv_arg_eq(opt, "xx") && !(f & SET_NX)) {
            *flags |= SET_XX;
        } else if (kv_arg_eq(opt, "get")) {
            *flags |= SET_GET;
        } else if (kv_arg_eq(opt, "keepttl") && !(f & SET_ANY_EXPIRE)) {
            *flags |= SET_KEEPTTL;
        } else if (has_next && !(f & SET_KEEPTTL) &&
                   ((kv_arg_eq(opt, "ex") && !(f & (SET_ANY_EXPIRE & ~SET_EX))) ||
                    (kv_arg_eq(opt, "px") && !(f & (SET_ANY_EXPIRE & ~SET_PX))) ||
                    (kv_arg_eq(opt, "exat") && !(f & (SET_ANY_EXPIRE & ~SET_EXAT))) ||
                    (kv_arg_eq(opt, "pxat") && !(f & (SET_ANY_EXPIRE & ~SET_PXAT))))) {
            *flags |= kv_arg_eq(opt, "ex") ? SET_EX : kv_arg_eq(opt, "px") ? SET_PX
                    : kv_arg_eq(opt, "exat") ? SET_EXAT : SET_PXAT;
            *expire = &argv[++j];
        } else {
            kv_reply_syntax(ctx);
            return -1;
        }
    }
    return 0;
}

/* The absolute expire time in ms for SET's EX/PX/EXAT/PXAT argument, or -1
 * after replying Redis's error. */
static long long kv_set_expire_at(kv_ctx *ctx, const kv_str *arg, int flags)
{
    long long v, now = kv_now_ms(ctx);
    int seconds = (flags & (SET_EX | SET_EXAT)) != 0;
    if (kv_arg_ll_or_reply(ctx, arg, &v) != 0)
        return -1;
    if (v <= 0 || (seconds && v > LLONG_MAX / 1000))
        goto invalid;
    if (seconds)
        v *= 1000;
    if (flags & (SET_EX | SET_PX)) {
        if (v > LLONG_MAX - now)
            goto invalid; /* Redis wraps to a negative time and refuses it */
        v += now;
    }
    return v;
invalid:
    kv_reply_errorf(&ctx->out, "ERR invalid expire time in '%s' command", ctx->cmd->name);
    return -1;
}

/* A SET with an expire time is logged as Redis 7.0 propagates it: SET key
 * value PXAT <ms>, whatever the form and the other options (NX, XX and GET
 * mattered only when it ran). */
static void kv_propagate_set_pxat(kv_ctx *ctx, const kv_str *key, const kv_str *val,
                                  long long when)
{
    char wbuf[KV_LLSTR_SIZE];
    kv_str a[5];
    if (!kv_state(ctx)->aof)
        return;
    a[0].p = "SET";
    a[0].n = 3;
    a[1] = *key;
    a[2] = *val;
    a[3].p = "PXAT";
    a[3].n = 4;
    a[4].p = wbuf;
    a[4].n = (size_t)kv_ll2str(wbuf, sizeof wbuf, when);
    kv_propagate(ctx, 5, a);
}

/* SET ... GET without an expire time is logged as it ran without its GET
 * words, as Redis 7.0 does. */
static void kv_propagate_set_noget(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_str *a;
    int j, n = 0;
    if (!kv_state(ctx)->aof)
        return;
    if (!(a = malloc((size_t)argc * sizeof *a)))
        abort();
    for (j = 0; j < argc; j++)
        if (j < 3 || !kv_arg_eq(&argv[j], "get"))
            a[n++] = argv[j];
    kv_propagate(ctx, n, a);
    free(a);
}

/* Redis's setGenericCommand reports the write, then the TTL it set. */
static void kv_notify_set(kv_ctx *ctx, const kv_str *key, long long when)
{
    kv_notify(ctx, KV_NOTIFY_STRING, "set", ctx->db, key);
    if (when >= 0)
        kv_notify(ctx, KV_NOTIFY_GENERIC, "expire", ctx->db, key);
}

static void kv_cmd_set(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int flags = 0, created;
    const kv_str *expire = NULL;
    long long when = -1;
    kv_entry *e;
    kv_db *db;

    if (kv_set_options(ctx, argc, argv, &flags, &expire) != 0)
        return;
    if (expire && (when = kv_set_expire_at(ctx, expire, flags)) < 0)
        return;
    db = kv_ctx_db(ctx);
    if (!(flags & (SET_NX | SET_XX | SET_GET))) {
        /* The common case: one hash, find or create. */
        e = kv_ks_upsert(kv_state(ctx)->ks, ctx->db, argv[1].p, argv[1].n, kv_now_ms(ctx),
                         &created);
        if (!created && !(flags & SET_KEEPTTL))
            kv_db_persist(db, e);
        goto store;
    }
    /* SET ... GET reads like GET does (a keyspace hit or miss). */
    e = (flags & SET_GET) ? kv_lookup_read(ctx, &argv[1]) : kv_lookup_write(ctx, &argv[1]);
    if (flags & SET_GET) {
        if (!e)
            kv_reply_null(&ctx->out);
        else if (kv_obj_type(kv_entry_val(e)) != KV_TYPE_STRING) {
            kv_reply_wrongtype(ctx);
            return;
        } else
            kv_reply_obj(ctx, kv_entry_val(e));
    }
    if (((flags & SET_NX) && e) || ((flags & SET_XX) && !e)) {
        if (!(flags & SET_GET))
            kv_reply_null(&ctx->out);
        return;
    }
    if (!e)
        e = kv_db_upsert(db, argv[1].p, argv[1].n, &created);
    else if (!(flags & SET_KEEPTTL))
        kv_db_persist(db, e);
store:
    kv_set_val(ctx, e, kv_arg_value(ctx, &argv[2]));
    if (when >= 0) {
        kv_db_set_expire(db, e, when);
        kv_propagate_set_pxat(ctx, &argv[1], &argv[2], when);
    } else if (flags & SET_GET) {
        kv_propagate_set_noget(ctx, argc, argv);
    }
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    kv_notify_set(ctx, &argv[1], when);
    kv_dirty(ctx, 1);
    if (!(flags & SET_GET))
        kv_reply_status(&ctx->out, "OK");
}

static void kv_cmd_mget(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int j;
    kv_reply_array(&ctx->out, argc - 1);
    for (j = 1; j < argc; j++) {
        kv_entry *e = kv_lookup_read(ctx, &argv[j]);
        if (e && kv_obj_type(kv_entry_val(e)) == KV_TYPE_STRING)
            kv_reply_obj(ctx, kv_entry_val(e));
        else
            kv_reply_null(&ctx->out);
    }
}

static int kv_check_mset(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argv;
    if (argc % 2 == 1)
        return 0;
    kv_reply_errorf(&ctx->out, "ERR wrong number of arguments for '%s' command", ctx->cmd->name);
    return -1;
}

/* Store every key/value pair of argv[1..] (MSET and MSETNX's writes). */
static void kv_set_pairs(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_db *db = kv_ctx_db(ctx);
    int j, created;
    for (j = 1; j + 1 < argc; j += 2) {
        kv_entry *e = kv_lookup_write(ctx, &argv[j]);
        if (!e)
            e = kv_db_upsert(db, argv[j].p, argv[j].n, &created);
        else
            kv_db_persist(db, e);
        kv_set_val(ctx, e, kv_arg_value(ctx, &argv[j + 1]));
        kv_signal_modified(ctx, ctx->db, &argv[j]);
        kv_notify(ctx, KV_NOTIFY_STRING, "set", ctx->db, &argv[j]);
        kv_dirty(ctx, 1);
    }
}

static void kv_cmd_mset(kv_ctx *ctx, int argc, const kv_str *argv)
{
    if (kv_check_mset(ctx, argc, argv) != 0)
        return;
    kv_set_pairs(ctx, argc, argv);
    kv_reply_status(&ctx->out, "OK");
}

static void kv_incr_by(kv_ctx *ctx, const kv_str *key, long long incr)
{
    kv_entry *e = kv_lookup_write(ctx, key);
    long long value = 0;
    int created;
    if (e) {
        kv_obj *o = kv_entry_val(e);
        if (kv_obj_type(o) != KV_TYPE_STRING) {
            kv_reply_wrongtype(ctx);
            return;
        }
        if (!kv_str_to_ll(o, &value)) {
            kv_reply_error(&ctx->out, "ERR value is not an integer or out of range");
            return;
        }
    }
    if ((incr < 0 && value < 0 && incr < LLONG_MIN - value) ||
        (incr > 0 && value > 0 && incr > LLONG_MAX - value)) {
        kv_reply_error(&ctx->out, "ERR increment or decrement would overflow");
        return;
    }
    value += incr;
    if (e) {
        kv_str_set_ll(kv_entry_val(e), value); /* in place: the TTL stays */
    } else {
        e = kv_db_upsert(kv_ctx_db(ctx), key->p, key->n, &created);
        kv_set_val(ctx, e, kv_str_from_ll(value));
    }
    kv_signal_modified(ctx, ctx->db, key);
    kv_notify(ctx, KV_NOTIFY_STRING, "incrby", ctx->db, key);
    kv_dirty(ctx, 1);
    kv_reply_int(&ctx->out, value);
}

static void kv_cmd_incr(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    kv_incr_by(ctx, &argv[1], 1);
}

static void kv_cmd_decr(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    kv_incr_by(ctx, &argv[1], -1);
}

static void kv_cmd_incrby(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long incr;
    (void)argc;
    if (kv_arg_ll_or_reply(ctx, &argv[2], &incr) == 0)
        kv_incr_by(ctx, &argv[1], incr);
}

static void kv_cmd_decrby(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long incr;
    (void)argc;
    if (kv_arg_ll_or_reply(ctx, &argv[2], &incr) != 0)
        return;
    if (incr == LLONG_MIN) {
        kv_reply_error(&ctx->out, "ERR decrement would overflow");
        return;
    }
    kv_incr_by(ctx, &argv[1], -incr);
}

/* Redis's setKey: the key gets a new value and loses its TTL (a new key
 * is created); then the expire time, if any (when >= 0). */
static void kv_set_whole(kv_ctx *ctx, const kv_str *key, kv_entry *e, const kv_str *val,
                         long long when)
{
    kv_db *db = kv_ctx_db(ctx);
    int created;
    if (!e)
        e = kv_db_upsert(db, key->p, key->n, &created);
    else
        kv_db_persist(db, e);
    kv_set_val(ctx, e, kv_arg_value(ctx, val));
    if (when >= 0) { /* SETEX, PSETEX */
        kv_db_set_expire(db, e, when);
        kv_propagate_set_pxat(ctx, key, val, when);
    }
    kv_signal_modified(ctx, ctx->db, key);
    kv_notify_set(ctx, key, when);
    kv_dirty(ctx, 1);
}

static void kv_cmd_setnx(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *e = kv_lookup_write(ctx, &argv[1]);
    (void)argc;
    if (e) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    kv_set_whole(ctx, &argv[1], NULL, &argv[2], -1);
    kv_reply_int(&ctx->out, 1);
}

/* SETEX / PSETEX key time value: the time is checked before the key. */
static void kv_setex(kv_ctx *ctx, const kv_str *argv, int unit)
{
    long long when = kv_set_expire_at(ctx, &argv[2], unit);
    if (when < 0)
        return;
    kv_set_whole(ctx, &argv[1], kv_lookup_write(ctx, &argv[1]), &argv[3], when);
    kv_reply_status(&ctx->out, "OK");
}

static void kv_cmd_setex(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    kv_setex(ctx, argv, SET_EX);
}

static void kv_cmd_psetex(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    kv_setex(ctx, argv, SET_PX);
}

/* GET's lookup and reply (a keyspace hit or miss); the entry, or NULL when
 * the key is missing or after a WRONGTYPE reply (*err = 1). */
static kv_entry *kv_get_reply(kv_ctx *ctx, const kv_str *key, int *err)
{
    kv_entry *e = kv_lookup_read(ctx, key);
    *err = 0;
    if (!e) {
        kv_reply_null(&ctx->out);
        return NULL;
    }
    if (kv_obj_type(kv_entry_val(e)) != KV_TYPE_STRING) {
        kv_reply_wrongtype(ctx);
        *err = 1;
        return NULL;
    }
    kv_reply_obj(ctx, kv_entry_val(e));
    return e;
}

static void kv_cmd_getset(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int err;
    kv_entry *e = kv_get_reply(ctx, &argv[1], &err);
    (void)argc;
    if (!err)
        kv_set_whole(ctx, &argv[1], e, &argv[2], -1);
}

static void kv_cmd_getdel(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int err;
    kv_entry *e = kv_get_reply(ctx, &argv[1], &err);
    (void)argc;
    if (e) {
        kv_db_delete_entry(kv_ctx_db(ctx), e);
        kv_signal_modified(ctx, ctx->db, &argv[1]);
        kv_notify(ctx, KV_NOTIFY_GENERIC, "del", ctx->db, &argv[1]);
        kv_dirty(ctx, 1);
        kv_propagate_del(ctx, &argv[1], "lazyfree-lazy-user-del");
    }
}

#define GETEX_PERSIST 0x100

/* GETEX's options: PERSIST or one of EX/PX/EXAT/PXAT (repeating the same
 * one is allowed, the last wins). 0, or -1 after a syntax error. */
static int kv_getex_options(kv_ctx *ctx, int argc, const kv_str *argv, int *flags,
                            const kv_str **expire)
{
    static const struct {
        const char *name;
        int flag;
    } units[] = {{"ex", SET_EX}, {"px", SET_PX}, {"exat", SET_EXAT}, {"pxat", SET_PXAT}};
    int j, u;
    for (j = 2; j < argc; j++) {
        const kv_str *opt = &argv[j];
        int f = *flags, done = 0;
        if (kv_arg_eq(opt, "persist") && !(f & SET_ANY_EXPIRE)) {
            *flags |= GETEX_PERSIST;
            continue;
        }
        for (u = 0; u < 4 && !done; u++) {
            if (kv_arg_eq(opt, units[u].name) && j < argc - 1 && !(f & GETEX_PERSIST) &&
                !(f & (SET_ANY_EXPIRE & ~units[u].flag))) {
                *flags |= units[u].flag;
                *expire = &argv[++j];
                done = 1;
            }
        }
        if (!done) {
            kv_reply_syntax(ctx);
            return -1;
        }
    }
    return 0;
}

/* `name` key [when] in the AOF (when < 0: none). */
static void getex_propagate(kv_ctx *ctx, const char *name, const kv_str *key, long long when)
{
    char wbuf[KV_LLSTR_SIZE];
    kv_str a[3];
    a[0].p = name;
    a[0].n = strlen(name);
    a[1] = *key;
    a[2].p = wbuf;
    a[2].n = when < 0 ? 0 : (size_t)kv_ll2str(wbuf, sizeof wbuf, when);
    kv_propagate(ctx, when < 0 ? 2 : 3, a);
}

/* Options first, then the key (missing: null, whatever the time says),
 * then the time; an absolute time already past deletes the key. */
static void kv_cmd_getex(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int flags = 0;
    const kv_str *expire = NULL;
    const char *event = "persist";
    long long when = -1;
    kv_entry *e;
    kv_db *db;

    if (kv_getex_options(ctx, argc, argv, &flags, &expire) != 0)
        return;
    e = kv_lookup_read(ctx, &argv[1]);
    if (!e) {
        kv_reply_null(&ctx->out);
        return;
    }
    if (kv_obj_type(kv_entry_val(e)) != KV_TYPE_STRING) {
        kv_reply_wrongtype(ctx);
        return;
    }
    if (expire && (when = kv_set_expire_at(ctx, expire, flags)) < 0)
        return;
    kv_reply_obj(ctx, kv_entry_val(e));
    db = kv_ctx_db(ctx);
    /* Only a changed TTL (or the deletion) is a modification; logged as
     * Redis 7.0 does: the deletion, PEXPIREAT key <ms>, or PERSIST key. */
    if ((flags & (SET_EXAT | SET_PXAT)) && kv_already_expired(ctx, when)) {
        kv_ks_delete_entry(kv_state(ctx)->ks, ctx->db, e, KV_LAZY_EXPIRE);
        event = "del";
        kv_propagate_del(ctx, &argv[1], "lazyfree-lazy-expire");
    } else if (expire) {
        kv_db_set_expire(db, e, when);
        event = "expire";
        getex_propagate(ctx, "PEXPIREAT", &argv[1], when);
    } else if (!(flags & GETEX_PERSIST) || !kv_db_persist(db, e)) {
        return;
    } else {
        getex_propagate(ctx, "PERSIST", &argv[1], -1);
    }
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    kv_notify(ctx, KV_NOTIFY_GENERIC, event, ctx->db, &argv[1]);
    kv_dirty(ctx, 1);
}

/* COMMAND GETKEYSANDFLAGS: SET's key flags depend on its GET option, as
 * Redis's setGetKeys says. */
static int kv_keyflags_set(int argc, const kv_str *argv, int j, int pos, const char *const **flags)
{
    static const char *const get[] = {"RW", "access", "update", NULL};
    static const char *const plain[] = {"OW", "update", NULL};
    int k, with_get = 0;
    (void)j;
    (void)pos;
    for (k = 3; k < argc; k++)
        with_get |= kv_arg_eq(&argv[k], "get");
    *flags = with_get ? get : plain;
    return KV_KEYFLAGS_OWN;
}

/* MSETNX on one shard: nothing is set if any key exists. */
static void kv_cmd_msetnx(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int j;
    for (j = 1; j < argc; j += 2) {
        if (kv_lookup_write(ctx, &argv[j])) {
            kv_reply_int(&ctx->out, 0);
            return;
        }
    }
    kv_set_pairs(ctx, argc, argv);
    kv_reply_int(&ctx->out, 1);
}

/* Sub-command: how many of these keys exist, looked up as a write does
 * (MSETNX's check does not count keyspace hits or misses). */
static void kv_cmd_exists_w(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long n = 0;
    int j;
    for (j = 1; j < argc; j++)
        n += kv_lookup_write(ctx, &argv[j]) != NULL;
    kv_reply_int(&ctx->out, n);
}

static const kv_cmd kv_sub_exists_w = {.name = "exists", .arity = -2, .exec = kv_cmd_exists_w};
static const kv_cmd kv_sub_mset = {.name = "mset", .arity = -3, .exec = kv_cmd_mset};

/* Send, to every shard owning some of the pairs, `cmd` with that shard's
 * keys (pairs: key and value, else keys only). */
static void kv_send_by_shard(kv_ctx *ctx, kv_coord *co, const kv_cmd *cmd, int argc,
                             const kv_str *argv, int pairs)
{
    int n = kv_shard_count(ctx->shard), s, j;
    kv_str *sub = malloc((size_t)argc * sizeof *sub);
    if (!sub)
        abort();
    for (s = 0; s < n; s++) {
        int m = 1;
        /* Its own name, not the client's: a shard's part of MSETNX is
         * logged as the MSET of that shard's pairs. */
        sub[0].p = cmd->name;
        sub[0].n = strlen(cmd->name);
        for (j = 1; j + 1 < argc; j += 2) {
            if (kv_shard_of_key(ctx->shard, argv[j].p, argv[j].n) != s)
                continue;
            sub[m++] = argv[j];
            if (pairs)
                sub[m++] = argv[j + 1];
        }
        if (m > 1)
            kv_coord_send(co, s, ctx->db, cmd, m, sub);
    }
    free(sub);
}

/* MSETNX across shards: ask every shard whether any of its keys exist,
 * then write every shard's pairs if none did. */
static int kv_coord_msetnx(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    long long v, sum = 0;
    int i;
    switch (kv_coord_step(co)) {
    case 0:
        kv_send_by_shard(ctx, co, &kv_sub_exists_w, argc, argv, 0);
        return KV_COORD_WAIT;
    case 1:
        for (i = 0; i < kv_coord_nreplies(co); i++) {
            kv_str r = kv_coord_reply(co, i);
            if (kv_resp_reply_int(r.p, r.n, &v))
                sum += v;
        }
        if (sum > 0) {
            kv_reply_int(&ctx->out, 0);
            return KV_COORD_DONE;
        }
        kv_send_by_shard(ctx, co, &kv_sub_mset, argc, argv, 1);
        return KV_COORD_WAIT;
    default:
        kv_reply_int(&ctx->out, 1);
        return KV_COORD_DONE;
    }
}

const kv_cmdspec kv_cmds_string[] = {
    {.name = "decr", .route = KV_ROUTE_KEY, .exec = kv_cmd_decr},
    {.name = "decrby", .route = KV_ROUTE_KEY, .exec = kv_cmd_decrby},
    {.name = "get", .route = KV_ROUTE_KEY, .exec = kv_cmd_get},
    {.name = "getdel", .route = KV_ROUTE_KEY, .exec = kv_cmd_getdel},
    {.name = "getex", .route = KV_ROUTE_KEY, .exec = kv_cmd_getex},
    {.name = "getset", .route = KV_ROUTE_KEY, .exec = kv_cmd_getset},
    {.name = "incr", .route = KV_ROUTE_KEY, .exec = kv_cmd_incr},
    {.name = "incrby", .route = KV_ROUTE_KEY, .exec = kv_cmd_incrby},
    {.name = "mget", .route = KV_ROUTE_KEYS, .exec = kv_cmd_mget, .reduce = kv_reduce_keyorder},
    {.name = "mset", .route = KV_ROUTE_KEYS, .exec = kv_cmd_mset, .reduce = kv_reduce_first,
     .check = kv_check_mset},
    {.name = "msetnx", .route = KV_ROUTE_COORD, .exec = kv_cmd_msetnx, .check = kv_check_mset,
     .coord = kv_coord_msetnx},
    {.name = "psetex", .route = KV_ROUTE_KEY, .exec = kv_cmd_psetex},
    {.name = "set", .route = KV_ROUTE_KEY, .exec = kv_cmd_set, .keyflags = kv_keyflags_set},
    {.name = "setex", .route = KV_ROUTE_KEY, .exec = kv_cmd_setex},
    {.name = "setnx", .route = KV_ROUTE_KEY, .exec = kv_cmd_setnx},
    KV_SPEC_END
};
