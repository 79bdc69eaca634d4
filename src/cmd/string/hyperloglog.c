/* HyperLogLog commands (Redis 7.0 "hyperloglog" group): PFADD, PFCOUNT,
 * PFMERGE. Values are plain strings in Redis's HLL layout (store/hll.h), so
 * GET/SET move them between kevy and Redis. PFCOUNT of several keys and
 * PFMERGE whose keys span shards gather every key's bytes to the home shard
 * (all reads first), merge there in key order so errors come out as in
 * Redis, and PFMERGE then writes the destination on its own shard. */
#include "cmd/core/cmd.h"
#include "cmd/keys/keys.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/config/cfg.h"
#include "cmd/multi/watch.h"
#include "store/hll.h"

static const char kv_err_not_hll[] = "WRONGTYPE Key is not a valid HyperLogLog string value.";
static const char kv_err_corrupt[] = "INVALIDOBJ Corrupted HLL object detected";

/* hll-sparse-max-bytes, as CONFIG SET left it on this shard. */
static size_t kv_hll_sparse_max(const kv_ctx *ctx)
{
    const kv_cfg *cfg = kv_state(ctx)->cfg;
    long long v = cfg ? kv_cfg_ll(cfg, "hll-sparse-max-bytes") : -1;
    return v >= 0 ? (size_t)v : KV_HLL_SPARSE_MAX_BYTES;
}

static uint8_t *kv_hll_max_new(void)
{
    uint8_t *max = calloc(KV_HLL_REGISTERS, 1);
    if (!max)
        abort();
    return max;
}

/* The bytes of a string holding an HLL, or NULL after replying the error
 * (the generic WRONGTYPE for other types, Redis's HLL one for strings). */
static const unsigned char *kv_hll_bytes(kv_ctx *ctx, const kv_obj *o, char *buf, size_t *n)
{
    const unsigned char *p;
    if (kv_obj_type(o) != KV_TYPE_STRING) {
        kv_reply_wrongtype(ctx);
        return NULL;
    }
    p = (const unsigned char *)kv_str_ptr(o, buf, n);
    if (!kv_hll_valid(p, *n)) {
        kv_reply_error(&ctx->out, kv_err_not_hll);
        return NULL;
    }
    return p;
}

/* Fold one value's registers into max; -1 after replying its error. */
static int kv_hll_fold(kv_ctx *ctx, uint8_t *max, int *use_dense, const unsigned char *p,
                       size_t n)
{
    if (!kv_hll_valid(p, n)) {
        kv_reply_error(&ctx->out, kv_err_not_hll);
        return -1;
    }
    if (kv_hll_encoding(p) == KV_HLL_DENSE)
        *use_dense = 1;
    if (kv_hll_merge(max, p, n) != 0) {
        kv_reply_error(&ctx->out, kv_err_corrupt);
        return -1;
    }
    return 0;
}

static int kv_hll_fold_obj(kv_ctx *ctx, uint8_t *max, int *use_dense, const kv_obj *o)
{
    char buf[KV_LLSTR_SIZE];
    size_t n;
    const char *p;
    if (kv_obj_type(o) != KV_TYPE_STRING) {
        kv_reply_wrongtype(ctx);
        return -1;
    }
    p = kv_str_ptr(o, buf, &n);
    return kv_hll_fold(ctx, max, use_dense, (const unsigned char *)p, n);
}

/* Pass a shard's reply on to the client (counted if it is an error). */
static void kv_hll_forward(kv_ctx *ctx, kv_str r)
{
    if (r.n > 0 && r.p[0] == '-')
        ctx->out.errors++;
    kv_reply_raw(&ctx->out, r.p, r.n);
}

/* Replace the key's value with h (creating the key if e is NULL). */
static void kv_hll_store(kv_ctx *ctx, kv_entry *e, const kv_str *key, const kv_hll *h)
{
    kv_obj *v = kv_str_new_raw((const char *)h->p, h->len);
    int created;
    if (!e)
        e = kv_db_upsert(kv_ctx_db(ctx), key->p, key->n, &created);
    else
        kv_obj_set_lru(v, kv_obj_lru(kv_entry_val(e)));
    kv_set_val(ctx, e, v);
}

/* ---------------------------------------------------------------- PFADD */

static void kv_cmd_pfadd(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *e = kv_lookup_write(ctx, &argv[1]);
    size_t max_bytes = kv_hll_sparse_max(ctx);
    int j, rc = 0, updated = 0;
    kv_hll h;

    if (e) {
        kv_obj *o = kv_entry_val(e);
        char buf[KV_LLSTR_SIZE];
        unsigned char *w;
        size_t n;
        if (!kv_hll_bytes(ctx, o, buf, &n))
            return;
        w = (unsigned char *)kv_str_grow(o, 0); /* Redis unshares it: now "raw" */
        if (kv_hll_encoding(w) == KV_HLL_DENSE) {
            /* Dense never changes size: update in place. */
            for (j = 2; j < argc; j++) {
                unsigned idx, count = kv_hll_pattern(argv[j].p, argv[j].n, &idx);
                updated += kv_hll_dense_set(w + KV_HLL_HDR_SIZE, idx, count);
            }
            if (updated) {
                kv_hll_cache_invalidate(w);
                kv_signal_modified(ctx, ctx->db, &argv[1]);
                kv_notify(ctx, KV_NOTIFY_STRING, "pfadd", ctx->db, &argv[1]);
                kv_dirty(ctx, updated);
            }
            kv_reply_int(&ctx->out, updated != 0);
            return;
        }
        kv_hll_from(&h, w, n);
    } else {
        kv_hll_new(&h);
        updated = 1;
    }
    for (j = 2; j < argc && rc >= 0; j++) {
        rc = kv_hll_add(&h, argv[j].p, argv[j].n, max_bytes);
        if (rc > 0)
            updated++;
    }
    /* A corrupt value keeps the elements added before the error (Redis
     * edits in place and stops there; each sparse edit marked the cache
     * stale as it went). */
    if (updated) {
        if (rc >= 0)
            kv_hll_cache_invalidate(h.p);
        kv_hll_store(ctx, e, &argv[1], &h);
    }
    kv_hll_free(&h);
    if (rc < 0) {
        kv_reply_error(&ctx->out, kv_err_corrupt); /* Redis signals nothing then */
        return;
    }
    /* As Redis's server.dirty += updated: the key's creation and each
     * element that changed a register. */
    if (updated) {
        kv_signal_modified(ctx, ctx->db, &argv[1]);
        kv_notify(ctx, KV_NOTIFY_STRING, "pfadd", ctx->db, &argv[1]);
        kv_dirty(ctx, updated);
    }
    kv_reply_int(&ctx->out, updated != 0);
}

/* -------------------------------------------------------------- PFCOUNT */

/* One key: the cached cardinality, computed and cached if stale (PFCOUNT
 * writes the value, as in Redis). */
static void kv_pfcount_one(kv_ctx *ctx, const kv_str *key)
{
    kv_entry *e = kv_lookup_read(ctx, key);
    char buf[KV_LLSTR_SIZE];
    unsigned char *w;
    uint64_t card;
    size_t n;
    if (!e) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    if (!kv_hll_bytes(ctx, kv_entry_val(e), buf, &n))
        return;
    w = (unsigned char *)kv_str_grow(kv_entry_val(e), 0);
    if (!kv_hll_cache_get(w, &card)) {
        if (kv_hll_count(w, n, &card) != 0) {
            kv_reply_error(&ctx->out, kv_err_corrupt);
            return;
        }
        kv_hll_cache_set(w, card);
        kv_signal_modified(ctx, ctx->db, key); /* the cache write is one, as in Redis */
        kv_dirty(ctx, 1);
    }
    kv_reply_int(&ctx->out, (long long)card);
}

static void kv_cmd_pfcount(kv_ctx *ctx, int argc, const kv_str *argv)
{
    uint8_t *max;
    int j, use_dense = 0;
    if (argc == 2) {
        kv_pfcount_one(ctx, &argv[1]);
        return;
    }
    /* Several keys: the cardinality of their union; caches are ignored. */
    max = kv_hll_max_new();
    for (j = 1; j < argc; j++) {
        kv_entry *e = kv_lookup_read(ctx, &argv[j]);
        if (e && kv_hll_fold_obj(ctx, max, &use_dense, kv_entry_val(e)) != 0)
            goto done;
    }
    kv_reply_int(&ctx->out, (long long)kv_hll_count_raw(max));
done:
    free(max);
}

/* -------------------------------------------------------------- PFMERGE */

/* Raise dest's registers to max (dense first if any source was dense),
 * creating dest if needed, and reply OK. */
static void kv_pfmerge_store(kv_ctx *ctx, const kv_str *key, const uint8_t *max, int use_dense)
{
    kv_entry *e = kv_lookup_write(ctx, key);
    size_t max_bytes = kv_hll_sparse_max(ctx);
    unsigned j;
    kv_hll h;
    if (e) {
        char buf[KV_LLSTR_SIZE];
        size_t n;
        const unsigned char *p = kv_hll_bytes(ctx, kv_entry_val(e), buf, &n);
        if (!p)
            return;
        kv_hll_from(&h, p, n);
    } else {
        kv_hll_new(&h);
    }
    if (use_dense && kv_hll_to_dense(&h) != 0) {
        kv_hll_free(&h);
        kv_reply_error(&ctx->out, kv_err_corrupt);
        return;
    }
    for (j = 0; j < KV_HLL_REGISTERS; j++)
        if (max[j])
            kv_hll_set(&h, j, max[j], max_bytes);
    kv_hll_cache_invalidate(h.p);
    kv_hll_store(ctx, e, key, &h);
    kv_hll_free(&h);
    kv_signal_modified(ctx, ctx->db, key);
    kv_notify(ctx, KV_NOTIFY_STRING, "pfadd", ctx->db, key);
    kv_dirty(ctx, 1);
    kv_reply_status(&ctx->out, "OK");
}

static void kv_cmd_pfmerge(kv_ctx *ctx, int argc, const kv_str *argv)
{
    uint8_t *max = kv_hll_max_new();
    int j, use_dense = 0;
    /* dest is a source too (read like the others: a keyspace hit or miss). */
    for (j = 1; j < argc; j++) {
        kv_entry *e = kv_lookup_read(ctx, &argv[j]);
        if (e && kv_hll_fold_obj(ctx, max, &use_dense, kv_entry_val(e)) != 0)
            goto done;
    }
    kv_pfmerge_store(ctx, &argv[1], max, use_dense);
done:
    free(max);
}

/* ------------------------------------------------------ across shards */

/* Sub-command: per key, its bytes if it is a string holding an HLL, :0 if
 * missing, :1 if of another type, :2 if a string that is no HLL (so a big
 * unrelated string is not copied between shards). Keys are read as Redis's
 * lookupKeyRead does. */
static void kv_cmd_pfgather(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int j;
    kv_reply_array(&ctx->out, argc - 1);
    for (j = 1; j < argc; j++) {
        kv_entry *e = kv_lookup_read(ctx, &argv[j]);
        char buf[KV_LLSTR_SIZE];
        const char *p;
        size_t n;
        if (!e) {
            kv_reply_int(&ctx->out, 0);
        } else if (kv_obj_type(kv_entry_val(e)) != KV_TYPE_STRING) {
            kv_reply_int(&ctx->out, 1);
        } else {
            p = kv_str_ptr(kv_entry_val(e), buf, &n);
            if (kv_hll_valid((const unsigned char *)p, n))
                kv_reply_bulk(&ctx->out, p, n);
            else
                kv_reply_int(&ctx->out, 2);
        }
    }
}

/* Sub-command: PFMERGE's write, argv = name dest max-registers use-dense.
 * Its argv is no Redis command: the AOF logs the value it left. */
static void kv_cmd_pfstore(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long dirty = kv_state(ctx)->dirty;
    (void)argc;
    if (argv[2].n != KV_HLL_REGISTERS) {
        kv_reply_error(&ctx->out, "ERR internal: bad PFMERGE registers");
        return;
    }
    kv_pfmerge_store(ctx, &argv[1], (const uint8_t *)argv[2].p, argv[3].n == 1 && argv[3].p[0] == '1');
    if (kv_state(ctx)->dirty != dirty)
        kv_propagate_key(ctx, &argv[1]);
}

static const kv_cmd kv_sub_pfgather = {.name = "pfgather", .arity = -2, .exec = kv_cmd_pfgather};
static const kv_cmd kv_sub_pfstore = {.name = "pfstore", .arity = 4, .exec = kv_cmd_pfstore};

/* Step 0: ask every shard owning some of the keys for their values (each
 * shard's keys in command order). */
static void kv_pfgather_send(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    int nsh = kv_shard_count(ctx->shard), s, j;
    kv_str *sub = malloc((size_t)argc * sizeof *sub);
    int *shard_of = malloc((size_t)argc * sizeof *shard_of);
    if (!sub || !shard_of)
        abort();
    sub[0].p = "pfgather";
    sub[0].n = 8;
    for (j = 1; j < argc; j++)
        shard_of[j] = kv_shard_of_key(ctx->shard, argv[j].p, argv[j].n);
    for (s = 0; s < nsh; s++) {
        int m = 1;
        for (j = 1; j < argc; j++)
            if (shard_of[j] == s)
                sub[m++] = argv[j];
        if (m > 1)
            kv_coord_send(co, s, ctx->db, &kv_sub_pfgather, m, sub);
    }
    free(shard_of);
    free(sub);
}

/* A read position in one shard's gather reply. */
typedef struct kv_gcur {
    const char *p;
    size_t n, off;
} kv_gcur;

/* The next element: 'v' with the bytes, or the integer's digit ('0'
 * missing, '1' another type, '2' not an HLL), or 0 if malformed. */
static int kv_gcur_next(kv_gcur *c, const char **v, size_t *vn)
{
    long len = c->off < c->n ? kv_resp_reply_len(c->p + c->off, c->n - c->off) : -1;
    const char *el = c->p + c->off;
    size_t h;
    if (len <= 0)
        return 0;
    c->off += (size_t)len;
    if (el[0] == ':')
        return len == 4 ? el[1] : 0;
    if (el[0] != '$')
        return 0;
    for (h = 1; h < (size_t)len && el[h] != '\n'; h++)
        ;
    if (h + 3 > (size_t)len)
        return 0;
    *v = el + h + 1;
    *vn = (size_t)len - h - 3;
    return 'v';
}

/* Step 1: fold the gathered values in key order (so the first bad key's
 * error wins, as in Redis). 0, or -1 after replying the error. */
static int kv_pfgather_fold(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv,
                            uint8_t *max, int *use_dense)
{
    int nsh = kv_shard_count(ctx->shard), s, j, k = 0, rc = 0;
    int *shard_of = malloc((size_t)argc * sizeof *shard_of);
    kv_gcur *cur = calloc((size_t)nsh, sizeof *cur);
    if (!shard_of || !cur)
        abort();
    for (j = 1; j < argc; j++) {
        shard_of[j] = kv_shard_of_key(ctx->shard, argv[j].p, argv[j].n);
        cur[shard_of[j]].n = 1; /* marks a shard that was asked */
    }
    /* Replies come in send order: ascending shards that own keys. */
    for (s = 0; s < nsh; s++) {
        kv_str r;
        size_t h = 0;
        if (!cur[s].n)
            continue;
        r = kv_coord_reply(co, k++);
        if (r.n == 0 || r.p[0] != '*') {
            kv_hll_forward(ctx, r); /* a shard's error */
            rc = -1;
            goto done;
        }
        while (h < r.n && r.p[h] != '\n')
            h++;
        cur[s].p = r.p;
        cur[s].n = r.n;
        cur[s].off = h + 1;
    }
    for (j = 1; j < argc && rc == 0; j++) {
        const char *v = NULL;
        size_t vn = 0;
        switch (kv_gcur_next(&cur[shard_of[j]], &v, &vn)) {
        case '0':
            break;
        case 'v':
            rc = kv_hll_fold(ctx, max, use_dense, (const unsigned char *)v, vn);
            break;
        case '1':
            kv_reply_wrongtype(ctx);
            rc = -1;
            break;
        case '2':
            kv_reply_error(&ctx->out, kv_err_not_hll);
            rc = -1;
            break;
        default:
            kv_reply_error(&ctx->out, "ERR internal: bad reply from a shard");
            rc = -1;
            break;
        }
    }
done:
    free(shard_of);
    free(cur);
    return rc;
}

static int kv_coord_pfcount(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    uint8_t *max;
    int use_dense = 0;
    if (kv_coord_step(co) == 0) {
        kv_pfgather_send(ctx, co, argc, argv);
        return KV_COORD_WAIT;
    }
    max = kv_hll_max_new();
    if (kv_pfgather_fold(ctx, co, argc, argv, max, &use_dense) == 0)
        kv_reply_int(&ctx->out, (long long)kv_hll_count_raw(max));
    free(max);
    return KV_COORD_DONE;
}

static int kv_coord_pfmerge(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    uint8_t *max;
    int use_dense = 0;
    kv_str sub[4];
    switch (kv_coord_step(co)) {
    case 0:
        kv_pfgather_send(ctx, co, argc, argv);
        return KV_COORD_WAIT;
    case 1:
        max = kv_hll_max_new();
        if (kv_pfgather_fold(ctx, co, argc, argv, max, &use_dense) != 0) {
            free(max);
            return KV_COORD_DONE;
        }
        sub[0].p = "pfstore";
        sub[0].n = 7;
        sub[1] = argv[1];
        sub[2].p = (const char *)max;
        sub[2].n = KV_HLL_REGISTERS;
        sub[3].p = use_dense ? "1" : "0";
        sub[3].n = 1;
        kv_coord_send(co, kv_shard_of_key(ctx->shard, argv[1].p, argv[1].n), ctx->db,
                      &kv_sub_pfstore, 4, sub);
        free(max);
        return KV_COORD_WAIT;
    default:
        kv_hll_forward(ctx, kv_coord_reply(co, 0));
        return KV_COORD_DONE;
    }
}

/* PFCOUNT is "readonly" to Redis, yet rewriting a stale cached cardinality
 * is a change it counts. */
const kv_cmdspec kv_cmds_string_hyperloglog[] = {
    {.name = "pfadd", .route = KV_ROUTE_KEY, .exec = kv_cmd_pfadd},
    {.name = "pfcount", .route = KV_ROUTE_COORD, .exec = kv_cmd_pfcount, .coord = kv_coord_pfcount,
     .dirty = KV_DIRTY_WRITES},
    {.name = "pfmerge", .route = KV_ROUTE_COORD, .exec = kv_cmd_pfmerge, .coord = kv_coord_pfmerge},
    KV_SPEC_END
};
