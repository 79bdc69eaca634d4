/* Helpers shared by the sorted set and geo commands: typed lookups, the
 * "pairs" list (results and values in transit between shards), its wire
 * form, replies in ZRANGE's shape and storing a result under a key. */
#include "cmd/zset/zset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/config/cfg.h"
#include "cmd/keys/keys.h"
#include "store/siphash.h"
#include "store/t_set.h"

const uint8_t *kv_zseed(const kv_ctx *ctx)
{
    return kv_state(ctx)->srv->seed;
}

void kv_zopts(const kv_ctx *ctx, kv_zset_opts *opts)
{
    const kv_enc_limits *lim = &kv_state(ctx)->cfg->enc;
    kv_zset_opts_init(opts, kv_zseed(ctx));
    opts->max_lp_entries = lim->zset_lp_entries;
    opts->max_lp_value = lim->zset_lp_value;
}

kv_obj *kv_zget(kv_ctx *ctx, const kv_str *key, int write, int *err)
{
    kv_entry *e = write ? kv_lookup_write(ctx, key) : kv_lookup_read(ctx, key);
    kv_obj *o;
    if (!e)
        return NULL;
    o = kv_entry_val(e);
    if (kv_obj_type(o) != KV_TYPE_ZSET) {
        kv_reply_wrongtype(ctx);
        *err = 1;
        return NULL;
    }
    return o;
}

kv_obj *kv_zget_any(kv_ctx *ctx, const kv_str *key, int write, int *err)
{
    kv_entry *e = write ? kv_lookup_write(ctx, key) : kv_lookup_read(ctx, key);
    kv_obj *o;
    if (!e)
        return NULL;
    o = kv_entry_val(e);
    if (kv_obj_type(o) != KV_TYPE_ZSET && kv_obj_type(o) != KV_TYPE_SET) {
        kv_reply_wrongtype(ctx);
        *err = 1;
        return NULL;
    }
    return o;
}

/* ---------------------------------------------------------------- pairs */

void kv_zpairs_init(kv_zpairs *p, const uint8_t *seed)
{
    memset(p, 0, sizeof *p);
    kv_buf_init(&p->arena);
    p->seed = seed;
}

void kv_zpairs_free(kv_zpairs *p)
{
    kv_buf_free(&p->arena);
    free(p->v);
    free(p->index);
    memset(p, 0, sizeof *p);
}

const char *kv_zpairs_member(const kv_zpairs *p, size_t i)
{
    return p->arena.p + p->v[i].off;
}

static uint64_t pair_hash(const kv_zpairs *p, const char *m, size_t n)
{
    static const uint8_t zero[16];
    return kv_siphash(m, n, p->seed ? p->seed : zero);
}

static void index_put(kv_zpairs *p, size_t i)
{
    size_t mask = p->nindex - 1;
    size_t h = (size_t)pair_hash(p, kv_zpairs_member(p, i), p->v[i].len) & mask;
    while (p->index[h])
        h = (h + 1) & mask;
    p->index[h] = i + 1;
}

static void index_build(kv_zpairs *p, size_t want)
{
    size_t slots = 16, i;
    while (slots < want * 2)
        slots *= 2;
    free(p->index);
    p->index = calloc(slots, sizeof *p->index);
    if (!p->index)
        abort();
    p->nindex = slots;
    for (i = 0; i < p->n; i++)
        index_put(p, i);
}

void kv_zpairs_push(kv_zpairs *p, const char *m, size_t n, double score)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->v = realloc(p->v, p->cap * sizeof *p->v);
        if (!p->v)
            abort();
    }
    p->v[p->n].off = p->arena.len;
    p->v[p->n].len = n;
    p->v[p->n].score = score;
    kv_buf_append(&p->arena, m, n);
    if (n > p->maxlen)
        p->maxlen = n;
    p->n++;
    if (p->nindex) {
        if (p->n * 2 > p->nindex)
            index_build(p, p->n);
        else
            index_put(p, p->n - 1);
    }
}

double *kv_zpairs_find(kv_zpairs *p, const char *m, size_t n)
{
    size_t mask, h;
    if (!p->nindex)
        index_build(p, p->n);
    mask = p->nindex - 1;
    for (h = (size_t)pair_hash(p, m, n) & mask; p->index[h]; h = (h + 1) & mask) {
        kv_zpair *e = &p->v[p->index[h] - 1];
        if (e->len == n && memcmp(p->arena.p + e->off, m, n) == 0)
            return &e->score;
    }
    return NULL;
}

double *kv_zpairs_upsert(kv_zpairs *p, const char *m, size_t n, double score, int *added)
{
    double *s = kv_zpairs_find(p, m, n);
    *added = s == NULL;
    if (s)
        return s;
    kv_zpairs_push(p, m, n, score);
    return &p->v[p->n - 1].score;
}

/* A stable merge sort with a context pointer (qsort has none, and the
 * comparators need one: no global state). Stability also makes orders of
 * equal keys match glibc's qsort, a merge sort, as Redis sees it. */
void kv_zmsort(void *base, size_t n, size_t size,
               int (*cmp)(const void *a, const void *b, void *ctx), void *ctx)
{
    char *a = base, *tmp, *src, *dst;
    size_t width;
    if (n < 2)
        return;
    tmp = malloc(n * size);
    if (!tmp)
        abort();
    src = a;
    dst = tmp;
    for (width = 1; width < n; width *= 2) {
        size_t lo;
        for (lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                if (cmp(src + j * size, src + i * size, ctx) < 0)
                    memcpy(dst + k++ * size, src + j++ * size, size);
                else
                    memcpy(dst + k++ * size, src + i++ * size, size);
            }
            if (i < mid)
                memcpy(dst + k * size, src + i * size, (mid - i) * size);
            k += mid - i;
            if (j < hi)
                memcpy(dst + k * size, src + j * size, (hi - j) * size);
        }
        {
            char *t = src;
            src = dst;
            dst = t;
        }
    }
    if (src != a)
        memcpy(a, src, n * size);
    free(tmp);
}

static int pair_cmp(const void *a, const void *b, void *ctx)
{
    const kv_zpair *x = a, *y = b;
    const char *arena = ctx;
    size_t n;
    int c;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    n = x->len < y->len ? x->len : y->len;
    c = memcmp(arena + x->off, arena + y->off, n);
    if (c)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

void kv_zpairs_sort(kv_zpairs *p)
{
    kv_zmsort(p->v, p->n, sizeof *p->v, pair_cmp, p->arena.p);
    if (p->nindex)
        index_build(p, p->n);
}

/* ----------------------------------------------------------------- wire */

static void put_u32(kv_buf *out, size_t v)
{
    unsigned char b[4];
    b[0] = (unsigned char)v;
    b[1] = (unsigned char)(v >> 8);
    b[2] = (unsigned char)(v >> 16);
    b[3] = (unsigned char)(v >> 24);
    kv_buf_append(out, b, 4);
}

static void put_entry(kv_buf *out, const char *m, size_t n, double score, int type)
{
    put_u32(out, n);
    kv_buf_append(out, m, n);
    if (type == 'z')
        kv_buf_append(out, &score, sizeof score); /* same machine: raw bytes are exact */
}

void kv_zpairs_write(kv_buf *out, const kv_zpairs *p, int type)
{
    char t = (char)type;
    size_t i;
    kv_buf_append(out, &t, 1);
    for (i = 0; i < p->n; i++)
        put_entry(out, kv_zpairs_member(p, i), p->v[i].len, p->v[i].score, type);
}

int kv_zpairs_read(kv_zpairs *p, const char *blob, size_t n)
{
    size_t pos = 1;
    int type;
    if (n < 1)
        return -1;
    type = blob[0];
    if (type != 'z' && type != 's' && type != 'n')
        return -1;
    while (pos < n) {
        const unsigned char *u = (const unsigned char *)blob + pos;
        size_t len;
        double score = 1.0;
        if (n - pos < 4)
            return -1;
        len = (size_t)u[0] | (size_t)u[1] << 8 | (size_t)u[2] << 16 | (size_t)u[3] << 24;
        pos += 4;
        if (n - pos < len + (type == 'z' ? sizeof score : 0))
            return -1;
        if (type == 'z')
            memcpy(&score, blob + pos + len, sizeof score);
        kv_zpairs_push(p, blob + pos, len, score);
        pos += len + (type == 'z' ? sizeof score : 0);
    }
    return type;
}

static int set_member_write(void *arg, const kv_lpval *m)
{
    char buf[24];
    if (m->s)
        put_entry(arg, (const char *)m->s, m->n, 1.0, 's');
    else
        put_entry(arg, buf, (size_t)snprintf(buf, sizeof buf, "%lld", m->v), 1.0, 's');
    return 0;
}

void kv_zobj_write(kv_buf *out, kv_obj *o)
{
    kv_zit it;
    int more;
    if (!o) {
        kv_buf_append(out, "n", 1);
        return;
    }
    if (kv_obj_type(o) == KV_TYPE_SET) {
        kv_buf_append(out, "s", 1);
        kv_set_foreach(o, set_member_write, out);
        return;
    }
    kv_buf_append(out, "z", 1);
    for (more = kv_zit_rank(&it, o, 0, 0); more; more = kv_zit_next(&it))
        put_entry(out, it.m, it.mlen, it.score, 'z');
}

/* ---------------------------------------------------------------- replies */

void kv_zreply_member_score(kv_ctx *ctx, const char *m, size_t n, double score, int withscores)
{
    if (withscores && ctx->out.proto == 3)
        kv_reply_array(&ctx->out, 2);
    kv_reply_bulk(&ctx->out, m, n);
    if (withscores)
        kv_reply_double(&ctx->out, score);
}

void kv_zreply_range_len(kv_ctx *ctx, size_t n, int withscores)
{
    kv_reply_array(&ctx->out, (long)(withscores && ctx->out.proto == 2 ? n * 2 : n));
}

void kv_zreply_pairs(kv_ctx *ctx, const kv_zpairs *p, int withscores)
{
    size_t i;
    kv_zreply_range_len(ctx, p->n, withscores);
    for (i = 0; i < p->n; i++)
        kv_zreply_member_score(ctx, kv_zpairs_member(p, i), p->v[i].len, p->v[i].score,
                               withscores);
}

/* ------------------------------------------------------------------ store */

long long kv_zstore_pairs(kv_ctx *ctx, const kv_str *dst, const kv_zpairs *p, int per_member,
                          const char *event)
{
    kv_db *db = kv_ctx_db(ctx);
    kv_entry *e = kv_lookup_write(ctx, dst);
    kv_obj *o;
    kv_zset_opts opts;
    size_t i;
    int created, out;
    if (p->n == 0) {
        if (e) { /* dbDelete: lazy under lazyfree-lazy-server-del */
            kv_ks_delete_entry(kv_state(ctx)->ks, ctx->db, e, KV_LAZY_SERVER_DEL);
            kv_signal_modified(ctx, ctx->db, dst);
            kv_notify(ctx, KV_NOTIFY_GENERIC, "del", ctx->db, dst);
            kv_dirty(ctx, 1);
        }
        return 0;
    }
    kv_zopts(ctx, &opts);
    o = kv_zset_new(p->n <= opts.max_lp_entries && p->maxlen <= opts.max_lp_value
                        ? KV_ENC_LISTPACK
                        : KV_ENC_SKIPLIST,
                    opts.seed);
    for (i = 0; i < p->n; i++)
        kv_zset_add(o, p->v[i].score, kv_zpairs_member(p, i), p->v[i].len, 0, &out, NULL, &opts);
    if (!e)
        e = kv_db_upsert(db, dst->p, dst->n, &created);
    else
        kv_db_persist(db, e);
    kv_set_val(ctx, e, o);
    kv_signal_modified(ctx, ctx->db, dst);
    kv_notify(ctx, KV_NOTIFY_ZSET, event, ctx->db, dst);
    kv_dirty(ctx, per_member ? (long long)p->n : 1);
    return (long long)p->n;
}

const char *kv_zstore_event(const kv_str *name)
{
    static const char *const events[] = {"zunionstore", "zinterstore", "zdiffstore",
                                         "zrangestore", "georadiusstore", "geosearchstore"};
    size_t i;
    for (i = 0; i < sizeof events / sizeof events[0]; i++)
        if (kv_arg_eq(name, events[i]))
            return events[i];
    return events[0];
}

/* The store of a cross-shard Z*STORE, ZRANGESTORE, GEORADIUS ... STORE or
 * GEOSEARCHSTORE on the destination's shard. Its argv is no Redis command:
 * the AOF logs the sorted set it left (or the deletion). */
static void kv_zsub_store_exec(kv_ctx *ctx, const kv_str *argv, int per_member)
{
    long long dirty = kv_state(ctx)->dirty;
    kv_zpairs p;
    kv_zpairs_init(&p, kv_zseed(ctx));
    if (kv_zpairs_read(&p, argv[2].p, argv[2].n) < 0)
        kv_reply_error(&ctx->out, "ERR internal: malformed zset transfer");
    else
        kv_reply_int(&ctx->out, kv_zstore_pairs(ctx, &argv[1], &p, per_member,
                                                kv_zstore_event(&argv[0])));
    kv_zpairs_free(&p);
    if (kv_state(ctx)->dirty != dirty)
        kv_propagate_key(ctx, &argv[1]);
}

static void kv_zsub_store_one(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    kv_zsub_store_exec(ctx, argv, 0);
}

static void kv_zsub_store_members(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    kv_zsub_store_exec(ctx, argv, 1);
}

const kv_cmd kv_zsub_store = {.name = "zstore-internal", .arity = 3, .flags = KV_CMD_WRITE,
                              .exec = kv_zsub_store_one};
const kv_cmd kv_zsub_store_each = {.name = "zstore-internal", .arity = 3, .flags = KV_CMD_WRITE,
                                   .exec = kv_zsub_store_members};

/* ------------------------------------------------------------ coordination */

void kv_zrelay(kv_ctx *ctx, kv_str r)
{
    if (r.n > 3 && r.p[0] == '-') {
        /* Through the error writer, so the error is counted. */
        kv_reply_errorf(&ctx->out, "%.*s", (int)(r.n - 3), r.p + 1);
        return;
    }
    kv_reply_raw(&ctx->out, r.p, r.n);
}
