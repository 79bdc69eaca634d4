/* Hash commands (Redis 7.0 "hash" group), on top of src/store/t_hash.c.
 * Semantics follow Redis 7.0.15's t_hash.c: a hash emptied by HDEL is
 * deleted, a listpack hash converts to a hashtable once a field or value is
 * longer than hash-max-listpack-value or it has more than
 * hash-max-listpack-entries fields, HSCAN of a listpack returns everything. */
#include "cmd/core/cmd.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/keys/collscan.h"
#include "cmd/lib/fmt_float.h"
#include "cmd/config/cfg.h"
#include "cmd/multi/watch.h"
#include "store/t_hash.h"

/* HRANDFIELD with a negative count replies in batches of this many picks,
 * so its scratch memory stays bounded whatever the count. */
#define RANDOM_BATCH 1000

/* The shard's live hash-max-listpack-* settings. */
static void hash_opts(kv_ctx *ctx, kv_hash_opts *opts)
{
    const kv_enc_limits *lim = &kv_state(ctx)->cfg->enc;
    kv_hash_opts_init(opts, kv_state(ctx)->srv->seed);
    opts->max_lp_entries = lim->hash_lp_entries;
    opts->max_lp_value = lim->hash_lp_value;
}

/* The hash at key for reading: *o is NULL if the key is missing; -1 after
 * replying WRONGTYPE. */
static int hash_read(kv_ctx *ctx, const kv_str *key, kv_obj **o)
{
    kv_entry *e = kv_lookup_read(ctx, key);
    *o = e ? kv_entry_val(e) : NULL;
    if (*o && kv_obj_type(*o) != KV_TYPE_HASH) {
        kv_reply_wrongtype(ctx);
        return -1;
    }
    return 0;
}

/* The hash at key for writing, created empty if missing (Redis's
 * hashTypeLookupWriteOrCreate); NULL after replying WRONGTYPE. */
static kv_obj *hash_write(kv_ctx *ctx, const kv_str *key)
{
    kv_entry *e = kv_lookup_write(ctx, key);
    kv_obj *o;
    int created;
    if (e) {
        o = kv_entry_val(e);
        if (kv_obj_type(o) != KV_TYPE_HASH) {
            kv_reply_wrongtype(ctx);
            return NULL;
        }
        return o;
    }
    e = kv_db_upsert(kv_ctx_db(ctx), key->p, key->n, &created);
    o = kv_hash_new();
    kv_obj_set_lru(o, kv_ks_fresh_lru(kv_state(ctx)->ks, kv_now_ms(ctx))); /* as Redis's createObject */
    kv_set_val(ctx, e, o);
    return o;
}

static void reply_val(kv_ctx *ctx, const kv_lpval *v)
{
    if (v->s)
        kv_reply_bulk(&ctx->out, v->s, v->n);
    else
        kv_reply_bulk_ll(&ctx->out, v->v);
}

/* ------------------------------------------------------------ writes */

/* HSET, and HMSET (the deprecated form with a status reply). */
static void kv_hset(kv_ctx *ctx, int argc, const kv_str *argv, int status_reply)
{
    kv_hash_opts opts;
    long long added = 0;
    kv_obj *o;
    int j;
    if (argc % 2 == 1) {
        kv_reply_errorf(&ctx->out, "ERR wrong number of arguments for '%s' command",
                        ctx->cmd->name);
        return;
    }
    if (!(o = hash_write(ctx, &argv[1])))
        return;
    hash_opts(ctx, &opts);
    for (j = 2; j < argc; j += 2)
        added += kv_hash_set(o, argv[j].p, argv[j].n, argv[j + 1].p, argv[j + 1].n, &opts);
    /* Even when every value was already there, as Redis: every pair counts. */
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    kv_notify(ctx, KV_NOTIFY_HASH, "hset", ctx->db, &argv[1]);
    kv_dirty(ctx, (argc - 2) / 2);
    if (status_reply)
        kv_reply_status(&ctx->out, "OK");
    else
        kv_reply_int(&ctx->out, added);
}

static void kv_cmd_hset(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_hset(ctx, argc, argv, 0);
}

static void kv_cmd_hmset(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_hset(ctx, argc, argv, 1);
}

static void kv_cmd_hsetnx(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_hash_opts opts;
    kv_obj *o;
    (void)argc;
    if (!(o = hash_write(ctx, &argv[1])))
        return;
    if (kv_hash_exists(o, argv[2].p, argv[2].n)) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    hash_opts(ctx, &opts);
    kv_hash_set(o, argv[2].p, argv[2].n, argv[3].p, argv[3].n, &opts);
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    kv_notify(ctx, KV_NOTIFY_HASH, "hset", ctx->db, &argv[1]);
    kv_dirty(ctx, 1);
    kv_reply_int(&ctx->out, 1);
}

static void kv_cmd_hdel(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *e = kv_lookup_write(ctx, &argv[1]);
    long long deleted = 0;
    kv_obj *o;
    int j, removed = 0;
    if (!e) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    o = kv_entry_val(e);
    if (kv_obj_type(o) != KV_TYPE_HASH) {
        kv_reply_wrongtype(ctx);
        return;
    }
    for (j = 2; j < argc; j++) {
        deleted += kv_hash_del(o, argv[j].p, argv[j].n);
        if (kv_hash_len(o) == 0) {
            kv_db_delete_entry(kv_ctx_db(ctx), e);
            removed = 1;
            break;
        }
    }
    if (deleted) {
        kv_signal_modified(ctx, ctx->db, &argv[1]);
        kv_notify(ctx, KV_NOTIFY_HASH, "hdel", ctx->db, &argv[1]);
        if (removed)
            kv_notify(ctx, KV_NOTIFY_GENERIC, "del", ctx->db, &argv[1]);
        kv_dirty(ctx, deleted);
    }
    kv_reply_int(&ctx->out, deleted);
}

static void kv_cmd_hincrby(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long incr, value = 0;
    char buf[KV_LLSTR_SIZE];
    kv_hash_opts opts;
    kv_lpval v;
    kv_obj *o;
    (void)argc;
    if (kv_arg_ll_or_reply(ctx, &argv[3], &incr) != 0 || !(o = hash_write(ctx, &argv[1])))
        return;
    if (kv_hash_get(o, argv[2].p, argv[2].n, &v)) {
        if (!v.s)
            value = v.v;
        else if (!kv_str2ll((const char *)v.s, v.n, &value)) {
            kv_reply_error(&ctx->out, "ERR hash value is not an integer");
            return;
        }
    }
    if ((incr < 0 && value < 0 && incr < LLONG_MIN - value) ||
        (incr > 0 && value > 0 && incr > LLONG_MAX - value)) {
        kv_reply_error(&ctx->out, "ERR increment or decrement would overflow");
        return;
    }
    value += incr;
    hash_opts(ctx, &opts);
    kv_hash_set(o, argv[2].p, argv[2].n, buf, (size_t)kv_ll2str(buf, sizeof buf, value), &opts);
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    kv_notify(ctx, KV_NOTIFY_HASH, "hincrby", ctx->db, &argv[1]);
    kv_dirty(ctx, 1);
    kv_reply_int(&ctx->out, value);
}

static void kv_cmd_hincrbyfloat(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long double incr, value = 0;
    char *buf;
    size_t n;
    kv_hash_opts opts;
    kv_lpval v;
    kv_obj *o;
    (void)argc;
    if (!kv_str2ld(argv[3].p, argv[3].n, &incr)) {
        kv_reply_error(&ctx->out, "ERR value is not a valid float");
        return;
    }
    if (isnan(incr) || isinf(incr)) {
        kv_reply_error(&ctx->out, "ERR value is NaN or Infinity");
        return;
    }
    if (!(o = hash_write(ctx, &argv[1])))
        return;
    if (kv_hash_get(o, argv[2].p, argv[2].n, &v)) {
        if (!v.s)
            value = (long double)v.v;
        else if (!kv_str2ld((const char *)v.s, v.n, &value)) {
            kv_reply_error(&ctx->out, "ERR hash value is not a float");
            return;
        }
    }
    value += incr;
    if (isnan(value) || isinf(value)) {
        kv_reply_error(&ctx->out, "ERR increment would produce NaN or Infinity");
        return;
    }
    buf = malloc(KV_LD_MAX_CHARS);
    if (!buf)
        abort();
    n = kv_ld2str_human(buf, KV_LD_MAX_CHARS, value);
    hash_opts(ctx, &opts);
    kv_hash_set(o, argv[2].p, argv[2].n, buf, n, &opts);
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    kv_notify(ctx, KV_NOTIFY_HASH, "hincrbyfloat", ctx->db, &argv[1]);
    kv_dirty(ctx, 1);
    {
        /* Logged as its result, as Redis does: HSET key field <result>. */
        kv_str a[4];
        a[0].p = "HSET";
        a[0].n = 4;
        a[1] = argv[1];
        a[2] = argv[2];
        a[3].p = buf;
        a[3].n = n;
        kv_propagate(ctx, 4, a);
    }
    kv_reply_bulk(&ctx->out, buf, n);
    free(buf);
}

/* ------------------------------------------------------------ reads */

static void kv_cmd_hget(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_lpval v;
    kv_obj *o;
    (void)argc;
    if (hash_read(ctx, &argv[1], &o) != 0)
        return;
    if (o && kv_hash_get(o, argv[2].p, argv[2].n, &v))
        reply_val(ctx, &v);
    else
        kv_reply_null(&ctx->out);
}

static void kv_cmd_hmget(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_lpval v;
    kv_obj *o;
    int j;
    if (hash_read(ctx, &argv[1], &o) != 0)
        return;
    kv_reply_array(&ctx->out, argc - 2);
    for (j = 2; j < argc; j++) {
        if (o && kv_hash_get(o, argv[j].p, argv[j].n, &v))
            reply_val(ctx, &v);
        else
            kv_reply_null(&ctx->out);
    }
}

static void kv_cmd_hlen(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_obj *o;
    (void)argc;
    if (hash_read(ctx, &argv[1], &o) == 0)
        kv_reply_int(&ctx->out, o ? (long long)kv_hash_len(o) : 0);
}

static void kv_cmd_hstrlen(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_obj *o;
    (void)argc;
    if (hash_read(ctx, &argv[1], &o) == 0)
        kv_reply_int(&ctx->out, o ? (long long)kv_hash_strlen(o, argv[2].p, argv[2].n) : 0);
}

static void kv_cmd_hexists(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_obj *o;
    (void)argc;
    if (hash_read(ctx, &argv[1], &o) == 0)
        kv_reply_int(&ctx->out, o && kv_hash_exists(o, argv[2].p, argv[2].n));
}

#define ALL_KEYS 1
#define ALL_VALS 2

typedef struct getall {
    kv_ctx *ctx;
    int what;
} getall;

static void getall_fn(void *arg, const kv_lpval *f, const kv_lpval *v)
{
    getall *g = (getall *)arg;
    if (g->what & ALL_KEYS)
        reply_val(g->ctx, f);
    if (g->what & ALL_VALS)
        reply_val(g->ctx, v);
}

static void hgetall_generic(kv_ctx *ctx, const kv_str *key, int what)
{
    getall g;
    kv_obj *o;
    long n;
    if (hash_read(ctx, key, &o) != 0)
        return;
    n = o ? (long)kv_hash_len(o) : 0;
    if (what == (ALL_KEYS | ALL_VALS))
        kv_reply_map(&ctx->out, n);
    else
        kv_reply_array(&ctx->out, n);
    if (!o)
        return;
    g.ctx = ctx;
    g.what = what;
    kv_hash_foreach(o, getall_fn, &g);
}

static void kv_cmd_hkeys(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    hgetall_generic(ctx, &argv[1], ALL_KEYS);
}

static void kv_cmd_hvals(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    hgetall_generic(ctx, &argv[1], ALL_VALS);
}

static void kv_cmd_hgetall(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    hgetall_generic(ctx, &argv[1], ALL_KEYS | ALL_VALS);
}

/* ------------------------------------------------------------ HRANDFIELD */

/* One picked pair: RESP3 nests a WITHVALUES pair in its own array. */
static void reply_pair(kv_ctx *ctx, const kv_lpval *f, const kv_lpval *v, int withvalues)
{
    if (withvalues && ctx->out.proto > 2)
        kv_reply_array(&ctx->out, 2);
    reply_val(ctx, f);
    if (withvalues)
        reply_val(ctx, v);
}

static void reply_pairs_header(kv_ctx *ctx, unsigned long n, int withvalues)
{
    kv_reply_array(&ctx->out, (long)(withvalues && ctx->out.proto == 2 ? n * 2 : n));
}

static void hrandfield_count(kv_ctx *ctx, const kv_str *key, long count, int withvalues)
{
    kv_lpval *f, *v;
    unsigned long want, i;
    kv_obj *o;
    size_t got;
    kv_entry *e = kv_lookup_read(ctx, key);
    if (!e) {
        kv_reply_array(&ctx->out, 0);
        return;
    }
    o = kv_entry_val(e);
    if (kv_obj_type(o) != KV_TYPE_HASH) {
        kv_reply_wrongtype(ctx);
        return;
    }
    if (count == 0) {
        kv_reply_array(&ctx->out, 0);
        return;
    }
    want = count < 0 ? (unsigned long)-count : (unsigned long)count;
    if (count < 0 || want == 1) {
        /* Independent picks, in random order, repetitions allowed. */
        unsigned long batch = want < RANDOM_BATCH ? want : RANDOM_BATCH;
        f = malloc(batch * sizeof *f);
        v = malloc(batch * sizeof *v);
        if (!f || !v)
            abort();
        reply_pairs_header(ctx, want, withvalues);
        while (want > 0) {
            unsigned long k = want < batch ? want : batch;
            kv_hash_random_pairs(o, k, &kv_state(ctx)->ks->rng, f, v);
            for (i = 0; i < k; i++)
                reply_pair(ctx, &f[i], &v[i], withvalues);
            want -= k;
        }
    } else {
        size_t len = kv_hash_len(o), n = want < len ? want : len;
        f = malloc(n * sizeof *f);
        v = malloc(n * sizeof *v);
        if (!f || !v)
            abort();
        got = kv_hash_random_distinct(o, n, &kv_state(ctx)->ks->rng, f, v);
        reply_pairs_header(ctx, got, withvalues);
        for (i = 0; i < got; i++)
            reply_pair(ctx, &f[i], &v[i], withvalues);
    }
    free(f);
    free(v);
}

static void kv_cmd_hrandfield(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_lpval f, v;
    kv_obj *o;
    if (argc >= 3) {
        long long l;
        int withvalues = 0;
        if (kv_arg_ll_or_reply(ctx, &argv[2], &l) != 0)
            return;
        if (l < -LONG_MAX || l > LONG_MAX) {
            kv_reply_errorf(&ctx->out, "ERR value is out of range, value must between %ld and %ld",
                            -LONG_MAX, LONG_MAX);
            return;
        }
        if (argc > 4 || (argc == 4 && !kv_arg_eq(&argv[3], "withvalues"))) {
            kv_reply_syntax(ctx);
            return;
        }
        if (argc == 4) {
            withvalues = 1;
            if (l < -LONG_MAX / 2 || l > LONG_MAX / 2) {
                kv_reply_error(&ctx->out, "ERR value is out of range");
                return;
            }
        }
        hrandfield_count(ctx, &argv[1], (long)l, withvalues);
        return;
    }
    if (hash_read(ctx, &argv[1], &o) != 0)
        return;
    if (!o) {
        kv_reply_null(&ctx->out);
        return;
    }
    kv_hash_random_pairs(o, 1, &kv_state(ctx)->ks->rng, &f, &v);
    reply_val(ctx, &f);
}

/* ------------------------------------------------------------ HSCAN */

typedef struct hscan_acc {
    kv_lpval *f, *v;
    size_t n, cap;
} hscan_acc;

static void hscan_fn(void *arg, const kv_lpval *f, const kv_lpval *v)
{
    hscan_acc *a = (hscan_acc *)arg;
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 32;
        a->f = realloc(a->f, a->cap * sizeof *a->f);
        a->v = realloc(a->v, a->cap * sizeof *a->v);
        if (!a->f || !a->v)
            abort();
    }
    a->f[a->n] = *f;
    a->v[a->n] = *v;
    a->n++;
}

static void kv_cmd_hscan(kv_ctx *ctx, int argc, const kv_str *argv)
{
    unsigned long cursor, budget;
    kv_scan_opts so;
    hscan_acc acc = {NULL, NULL, 0, 0};
    char cbuf[32];
    size_t i, kept = 0;
    kv_obj *o;
    if (kv_scan_cursor_or_reply(ctx, &argv[2], &cursor) != 0 || hash_read(ctx, &argv[1], &o) != 0)
        return;
    if (!o) {
        kv_scan_reply_empty(ctx);
        return;
    }
    if (kv_scan_options(ctx, argc, argv, 3, &so) != 0)
        return;
    /* Like Redis: up to COUNT*10 buckets, until COUNT elements are found. */
    budget = (unsigned long)so.count > ULONG_MAX / 10 ? ULONG_MAX : (unsigned long)so.count * 10;
    do
        cursor = kv_hash_scan(o, cursor, hscan_fn, &acc);
    while (cursor && budget-- && acc.n < (size_t)so.count);
    for (i = 0; i < acc.n; i++) {
        char fb[KV_LLSTR_SIZE];
        size_t fn;
        const char *fp = acc.f[i].s ? (const char *)acc.f[i].s : fb;
        fn = acc.f[i].s ? acc.f[i].n : (size_t)kv_ll2str(fb, sizeof fb, acc.f[i].v);
        if (kv_scan_match(&so, fp, fn)) {
            acc.f[kept] = acc.f[i];
            acc.v[kept] = acc.v[i];
            kept++;
        }
    }
    kv_reply_array(&ctx->out, 2);
    kv_reply_bulk(&ctx->out, cbuf, (size_t)snprintf(cbuf, sizeof cbuf, "%lu", cursor));
    kv_reply_array(&ctx->out, (long)kept * 2);
    for (i = 0; i < kept; i++) {
        reply_val(ctx, &acc.f[i]);
        reply_val(ctx, &acc.v[i]);
    }
    free(acc.f);
    free(acc.v);
}

const kv_cmdspec kv_cmds_hash[] = {
    {.name = "hdel", .route = KV_ROUTE_KEY, .exec = kv_cmd_hdel},
    {.name = "hexists", .route = KV_ROUTE_KEY, .exec = kv_cmd_hexists},
    {.name = "hget", .route = KV_ROUTE_KEY, .exec = kv_cmd_hget},
    {.name = "hgetall", .route = KV_ROUTE_KEY, .exec = kv_cmd_hgetall},
    {.name = "hincrby", .route = KV_ROUTE_KEY, .exec = kv_cmd_hincrby},
    {.name = "hincrbyfloat", .route = KV_ROUTE_KEY, .exec = kv_cmd_hincrbyfloat},
    {.name = "hkeys", .route = KV_ROUTE_KEY, .exec = kv_cmd_hkeys},
    {.name = "hlen", .route = KV_ROUTE_KEY, .exec = kv_cmd_hlen},
    {.name = "hmget", .route = KV_ROUTE_KEY, .exec = kv_cmd_hmget},
    {.name = "hmset", .route = KV_ROUTE_KEY, .exec = kv_cmd_hmset},
    {.name = "hrandfield", .route = KV_ROUTE_KEY, .exec = kv_cmd_hrandfield},
    {.name = "hscan", .route = KV_ROUTE_KEY, .exec = kv_cmd_hscan},
    {.name = "hset", .route = KV_ROUTE_KEY, .exec = kv_cmd_hset},
    {.name = "hsetnx", .route = KV_ROUTE_KEY, .exec = kv_cmd_hsetnx},
    {.name = "hstrlen", .route = KV_ROUTE_KEY, .exec = kv_cmd_hstrlen},
    {.name = "hvals", .route = KV_ROUTE_KEY, .exec = kv_cmd_hvals},
    KV_SPEC_END
};
