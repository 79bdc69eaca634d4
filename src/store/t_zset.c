/* Sorted set values: the encoding-independent API of t_zset.h over the
 * listpack (t_zset_lp.c) and skiplist (t_zset_sl.c) encodings, and the
 * conversions between them at Redis's thresholds. */
#include "store/t_zset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "store/listpack.h"
#include "store/mem.h"
#include "store/t_zset_lp.h"
#include "store/t_zset_sl.h"

static int is_lp(const kv_obj *o)
{
    return kv_obj_encoding(o) == KV_ENC_LISTPACK;
}

static unsigned char *lp_of(const kv_obj *o)
{
    return (unsigned char *)kv_obj_ptr(o);
}

static kv_zsl *sl_of(const kv_obj *o)
{
    return (kv_zsl *)kv_obj_ptr(o);
}

void kv_zset_free_value(kv_obj *o)
{
    if (is_lp(o))
        kv_lp_free(lp_of(o));
    else
        kv_zsl_free(sl_of(o));
}

kv_obj *kv_zset_new(unsigned encoding, const uint8_t seed[16])
{
    if (encoding == KV_ENC_LISTPACK)
        return kv_obj_new(KV_TYPE_ZSET, KV_ENC_LISTPACK, kv_lp_new());
    return kv_obj_new(KV_TYPE_ZSET, KV_ENC_SKIPLIST, kv_zsl_new(seed));
}

void kv_zset_opts_init(kv_zset_opts *opts, const uint8_t seed[16])
{
    opts->max_lp_entries = KV_ZSET_MAX_LISTPACK_ENTRIES;
    opts->max_lp_value = KV_ZSET_MAX_LISTPACK_VALUE;
    opts->seed = seed;
}

kv_obj *kv_zset_new_for(size_t mlen, const kv_zset_opts *opts)
{
    if (opts->max_lp_entries == 0 || mlen > opts->max_lp_value)
        return kv_zset_new(KV_ENC_SKIPLIST, opts->seed);
    return kv_zset_new(KV_ENC_LISTPACK, opts->seed);
}

size_t kv_zset_len(const kv_obj *o)
{
    return is_lp(o) ? kv_zlp_len(lp_of(o)) : kv_zsl_len(sl_of(o));
}

size_t kv_zset_mem(const kv_obj *o)
{
    size_t hdr = kv_mem_chunk(sizeof(kv_obj));
    if (is_lp(o))
        return hdr + kv_mem_chunk(kv_lp_bytes(lp_of(o)));
    return hdr + kv_zsl_mem(sl_of(o));
}

/* ---------------------------------------------------------- conversions */

void kv_zset_convert(kv_obj *o, unsigned encoding, const uint8_t seed[16])
{
    if (kv_obj_encoding(o) == encoding)
        return;
    if (encoding == KV_ENC_SKIPLIST) {
        unsigned char *lp = lp_of(o), *p;
        kv_zsl *z = kv_zsl_new(seed);
        char buf[KV_ZSET_D2STR_MAX];
        for (p = kv_zlp_first(lp); p; p = kv_zlp_next(lp, p)) {
            size_t n;
            const char *m = kv_zlp_member(p, buf, &n);
            kv_zsl_insert(z, kv_zlp_score(lp, p), m, n);
        }
        kv_lp_free(lp);
        kv_obj_set_ptr(o, z, KV_ENC_SKIPLIST);
    } else {
        kv_zsl *z = sl_of(o);
        kv_zsl_node *x;
        unsigned char *lp = kv_lp_new();
        for (x = kv_zsl_first(z); x; x = kv_zsl_next(x)) {
            char sbuf[KV_ZSET_D2STR_MAX];
            size_t n, sn = kv_zset_d2str(sbuf, kv_zsl_score(x));
            const char *m = kv_zsl_member(x, &n);
            lp = kv_lp_append(lp, m, n);
            lp = kv_lp_append(lp, sbuf, sn);
        }
        kv_zsl_free(z);
        kv_obj_set_ptr(o, lp, KV_ENC_LISTPACK);
    }
}

void kv_zset_shrink_if_small(kv_obj *o, size_t maxlen, const kv_zset_opts *opts)
{
    if (!is_lp(o) && kv_zsl_len(sl_of(o)) <= opts->max_lp_entries &&
        maxlen <= opts->max_lp_value)
        kv_zset_convert(o, KV_ENC_LISTPACK, NULL);
}

/* ------------------------------------------------------------- members */

int kv_zset_score(const kv_obj *o, const char *m, size_t n, double *score)
{
    if (is_lp(o)) {
        unsigned char *p = kv_zlp_find(lp_of(o), m, n);
        if (!p)
            return 0;
        *score = kv_zlp_score(lp_of(o), p);
        return 1;
    } else {
        kv_zsl_node *x = kv_zsl_find(sl_of(o), m, n);
        if (!x)
            return 0;
        *score = kv_zsl_score(x);
        return 1;
    }
}

/* NX/XX/GT/LT/INCR against an existing member with score `cur`: 1 and the
 * new score in *score to go on, 0 when nothing is to change. */
static int update_allowed(int flags, double cur, double *score, int *out)
{
    if (flags & KV_ZADD_NX) {
        *out |= KV_ZADD_OUT_NOP;
        return 0;
    }
    if (flags & KV_ZADD_INCR) {
        *score += cur;
        if (isnan(*score)) {
            *out |= KV_ZADD_OUT_NAN;
            return 0;
        }
    }
    if (((flags & KV_ZADD_LT) && *score >= cur) || ((flags & KV_ZADD_GT) && *score <= cur)) {
        *out |= KV_ZADD_OUT_NOP;
        return 0;
    }
    return 1;
}

/* The listpack side of kv_zset_add for an existing member at p. */
static int update_lp(kv_obj *o, unsigned char *p, double score, const char *m, size_t n,
                     int flags, int *out, double *newscore)
{
    unsigned char *lp = lp_of(o);
    double cur = kv_zlp_score(lp, p);
    if (!update_allowed(flags, cur, &score, out))
        return !(*out & KV_ZADD_OUT_NAN);
    if (newscore)
        *newscore = score;
    if (score != cur) {
        lp = kv_zlp_delete(lp, p, NULL);
        kv_obj_set_ptr(o, kv_zlp_insert(lp, score, m, n), KV_ENC_LISTPACK);
        *out |= KV_ZADD_OUT_UPDATED;
    }
    return 1;
}

int kv_zset_add(kv_obj *o, double score, const char *m, size_t n, int flags, int *out,
                double *newscore, const kv_zset_opts *opts)
{
    kv_zsl_node *x;
    double cur;
    *out = 0;
    if (isnan(score)) {
        *out = KV_ZADD_OUT_NAN;
        return 0;
    }
    if (is_lp(o)) {
        unsigned char *p = kv_zlp_find(lp_of(o), m, n);
        if (p)
            return update_lp(o, p, score, m, n, flags, out, newscore);
        if (flags & KV_ZADD_XX) {
            *out |= KV_ZADD_OUT_NOP;
            return 1;
        }
        if (kv_zlp_len(lp_of(o)) + 1 <= opts->max_lp_entries && n <= opts->max_lp_value) {
            kv_obj_set_ptr(o, kv_zlp_insert(lp_of(o), score, m, n), KV_ENC_LISTPACK);
            *out |= KV_ZADD_OUT_ADDED;
            if (newscore)
                *newscore = score;
            return 1;
        }
        kv_zset_convert(o, KV_ENC_SKIPLIST, opts->seed);
    }
    x = kv_zsl_find(sl_of(o), m, n);
    if (!x) {
        if (flags & KV_ZADD_XX) {
            *out |= KV_ZADD_OUT_NOP;
            return 1;
        }
        kv_zsl_insert(sl_of(o), score, m, n);
        *out |= KV_ZADD_OUT_ADDED;
        if (newscore)
            *newscore = score;
        return 1;
    }
    cur = kv_zsl_score(x);
    if (!update_allowed(flags, cur, &score, out))
        return !(*out & KV_ZADD_OUT_NAN);
    if (newscore)
        *newscore = score;
    if (score != cur) {
        kv_zsl_update(sl_of(o), x, score);
        *out |= KV_ZADD_OUT_UPDATED;
    }
    return 1;
}

int kv_zset_del(kv_obj *o, const char *m, size_t n)
{
    if (is_lp(o)) {
        unsigned char *p = kv_zlp_find(lp_of(o), m, n);
        if (!p)
            return 0;
        kv_obj_set_ptr(o, kv_zlp_delete(lp_of(o), p, NULL), KV_ENC_LISTPACK);
        return 1;
    } else {
        kv_zsl_node *x = kv_zsl_find(sl_of(o), m, n);
        if (!x)
            return 0;
        kv_zsl_delete(sl_of(o), x);
        return 1;
    }
}

long long kv_zset_rank(const kv_obj *o, const char *m, size_t n, int rev, double *score)
{
    size_t len = kv_zset_len(o), rank;
    if (is_lp(o)) {
        unsigned char *p = kv_zlp_find(lp_of(o), m, n);
        if (!p)
            return -1;
        rank = kv_zlp_rank(lp_of(o), p);
        if (score)
            *score = kv_zlp_score(lp_of(o), p);
    } else {
        kv_zsl_node *x = kv_zsl_find(sl_of(o), m, n);
        if (!x)
            return -1;
        rank = kv_zsl_rank(sl_of(o), x) - 1;
        if (score)
            *score = kv_zsl_score(x);
    }
    return (long long)(rev ? len - 1 - rank : rank);
}

/* ------------------------------------------------------------- ranges */

/* Counting on a skiplist goes by ranks, as Redis does: from the first
 * element in range to the end, minus what follows the last one. (With
 * members out of lex order a lex count can then differ from a walk; it
 * differs exactly as Redis's does.) */
static long long rank_count(const kv_zsl *z, kv_zsl_node *first, kv_zsl_node *last)
{
    long long len = (long long)kv_zsl_len(z), count;
    if (!first)
        return 0;
    count = len - ((long long)kv_zsl_rank(z, first) - 1);
    if (last)
        count -= len - (long long)kv_zsl_rank(z, last);
    return count;
}

long long kv_zset_count(const kv_obj *o, const kv_zrange *r)
{
    if (is_lp(o)) {
        unsigned char *lp = lp_of(o), *p = kv_zlp_first_in(lp, r);
        long long n = 0;
        for (; p && kv_zrange_lte_max(kv_zlp_score(lp, p), r); p = kv_zlp_next(lp, p))
            n++;
        return n;
    }
    return rank_count(sl_of(o), kv_zsl_first_in(sl_of(o), r), kv_zsl_last_in(sl_of(o), r));
}

long long kv_zset_lexcount(const kv_obj *o, const kv_zlex *r)
{
    if (is_lp(o)) {
        unsigned char *lp = lp_of(o), *p = kv_zlp_first_in_lex(lp, r);
        char buf[KV_ZSET_D2STR_MAX];
        long long n = 0;
        size_t mn;
        for (; p; p = kv_zlp_next(lp, p)) {
            const char *m = kv_zlp_member(p, buf, &mn);
            if (!kv_zlex_lte_max(m, mn, r))
                break;
            n++;
        }
        return n;
    }
    return rank_count(sl_of(o), kv_zsl_first_in_lex(sl_of(o), r),
                      kv_zsl_last_in_lex(sl_of(o), r));
}

size_t kv_zset_del_rank(kv_obj *o, size_t start, size_t end)
{
    size_t removed;
    if (!is_lp(o))
        return kv_zsl_del_rank(sl_of(o), start + 1, end + 1);
    kv_obj_set_ptr(o, kv_zlp_del_rank(lp_of(o), start, end, &removed), KV_ENC_LISTPACK);
    return removed;
}

size_t kv_zset_del_score(kv_obj *o, const kv_zrange *r)
{
    size_t removed;
    if (!is_lp(o))
        return kv_zsl_del_score(sl_of(o), r);
    kv_obj_set_ptr(o, kv_zlp_del_score(lp_of(o), r, &removed), KV_ENC_LISTPACK);
    return removed;
}

size_t kv_zset_del_lex(kv_obj *o, const kv_zlex *r)
{
    size_t removed;
    if (!is_lp(o))
        return kv_zsl_del_lex(sl_of(o), r);
    kv_obj_set_ptr(o, kv_zlp_del_lex(lp_of(o), r, &removed), KV_ENC_LISTPACK);
    return removed;
}

/* ------------------------------------------------------------ iteration */

static int zit_load(kv_zit *it)
{
    if (is_lp(it->o)) {
        if (!it->lp)
            return 0;
        it->m = kv_zlp_member(it->lp, it->buf, &it->mlen);
        it->score = kv_zlp_score(lp_of(it->o), it->lp);
    } else {
        if (!it->node)
            return 0;
        it->m = kv_zsl_member((kv_zsl_node *)it->node, &it->mlen);
        it->score = kv_zsl_score((kv_zsl_node *)it->node);
    }
    return 1;
}

static void zit_init(kv_zit *it, const kv_obj *o, int rev)
{
    it->o = o;
    it->lp = NULL;
    it->node = NULL;
    it->rev = rev;
    it->m = NULL;
    it->mlen = 0;
    it->score = 0;
}

int kv_zit_rank(kv_zit *it, const kv_obj *o, size_t rank, int rev)
{
    size_t len = kv_zset_len(o);
    zit_init(it, o, rev);
    if (rank >= len)
        return 0;
    if (rev)
        rank = len - 1 - rank;
    if (is_lp(o))
        it->lp = kv_zlp_at(lp_of(o), rank);
    else
        it->node = kv_zsl_at(sl_of(o), rank + 1);
    return zit_load(it);
}

int kv_zit_score(kv_zit *it, const kv_obj *o, const kv_zrange *r, int rev)
{
    zit_init(it, o, rev);
    if (is_lp(o))
        it->lp = rev ? kv_zlp_last_in(lp_of(o), r) : kv_zlp_first_in(lp_of(o), r);
    else
        it->node = rev ? kv_zsl_last_in(sl_of(o), r) : kv_zsl_first_in(sl_of(o), r);
    return zit_load(it);
}

int kv_zit_lex(kv_zit *it, const kv_obj *o, const kv_zlex *r, int rev)
{
    zit_init(it, o, rev);
    if (is_lp(o))
        it->lp = rev ? kv_zlp_last_in_lex(lp_of(o), r) : kv_zlp_first_in_lex(lp_of(o), r);
    else
        it->node = rev ? kv_zsl_last_in_lex(sl_of(o), r) : kv_zsl_first_in_lex(sl_of(o), r);
    return zit_load(it);
}

int kv_zit_next(kv_zit *it)
{
    if (is_lp(it->o)) {
        if (it->lp)
            it->lp = it->rev ? kv_zlp_prev(lp_of(it->o), it->lp)
                             : kv_zlp_next(lp_of(it->o), it->lp);
    } else if (it->node) {
        kv_zsl_node *x = (kv_zsl_node *)it->node;
        it->node = it->rev ? kv_zsl_prev(x) : kv_zsl_next(x);
    }
    return zit_load(it);
}

/* ----------------------------------------------------------------- scan */

typedef struct scan_ctx {
    kv_zscan_fn fn;
    void *arg;
} scan_ctx;

static void scan_node(void *arg, const kv_zsl_node *x)
{
    scan_ctx *s = (scan_ctx *)arg;
    char sbuf[KV_ZSET_D2STR_MAX];
    double d = kv_zsl_score(x);
    size_t n, sn;
    const char *m = kv_zsl_member(x, &n);
    if (isinf(d))
        sn = (size_t)snprintf(sbuf, sizeof sbuf, "%s", d > 0 ? "inf" : "-inf");
    else
        sn = (size_t)snprintf(sbuf, sizeof sbuf, "%.17g", d);
    s->fn(s->arg, m, n, sbuf, sn);
}

unsigned long kv_zset_scan(kv_obj *o, unsigned long cursor, kv_zscan_fn fn, void *arg)
{
    scan_ctx s;
    if (is_lp(o)) {
        unsigned char *lp = lp_of(o), *p;
        for (p = kv_lp_first(lp); p; p = kv_lp_next(lp, p)) {
            char mbuf[KV_ZSET_D2STR_MAX], sbuf[KV_ZSET_D2STR_MAX];
            size_t mn, sn;
            const char *m = kv_zlp_member(p, mbuf, &mn), *sc;
            p = kv_lp_next(lp, p);
            sc = (const char *)kv_lp_get_str(p, (unsigned char *)sbuf, &sn);
            fn(arg, m, mn, sc, sn);
        }
        return 0;
    }
    s.fn = fn;
    s.arg = arg;
    return kv_zsl_scan(sl_of(o), cursor, scan_node, &s);
}
