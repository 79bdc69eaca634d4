/* Listpack encoding of sorted sets (see t_zset_lp.h). Small by design (at
 * most zset-max-listpack-entries pairs), so every operation is a linear
 * walk; what matters is storing exactly what Redis stores, so DUMP blobs
 * and ZSCAN's score texts agree with it. */
#include "store/t_zset_lp.h"

#include <stdlib.h>
#include <string.h>

#include "store/listpack.h"

static int mcmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c)
        return c;
    return an < bn ? -1 : an > bn;
}

size_t kv_zlp_len(const unsigned char *lp)
{
    return kv_lp_count(lp) / 2;
}

const char *kv_zlp_member(const unsigned char *p, char *buf, size_t *n)
{
    return (const char *)kv_lp_get_str(p, (unsigned char *)buf, n);
}

double kv_zlp_score(unsigned char *lp, unsigned char *p)
{
    unsigned char *s = kv_lp_next(lp, p);
    char buf[128];
    kv_lpval v;
    kv_lp_get(s, &v);
    if (!v.s)
        return (double)v.v;
    /* Redis's zzlStrtod: at most 127 bytes are parsed. */
    if (v.n > sizeof buf - 1)
        v.n = sizeof buf - 1;
    memcpy(buf, v.s, v.n);
    buf[v.n] = '\0';
    return strtod(buf, NULL);
}

unsigned char *kv_zlp_next(unsigned char *lp, unsigned char *p)
{
    p = kv_lp_next(lp, p);
    return p ? kv_lp_next(lp, p) : NULL;
}

unsigned char *kv_zlp_prev(unsigned char *lp, unsigned char *p)
{
    p = kv_lp_prev(lp, p);
    return p ? kv_lp_prev(lp, p) : NULL;
}

unsigned char *kv_zlp_first(unsigned char *lp)
{
    return kv_lp_first(lp);
}

unsigned char *kv_zlp_last(unsigned char *lp)
{
    unsigned char *p = kv_lp_last(lp);
    return p ? kv_lp_prev(lp, p) : NULL;
}

unsigned char *kv_zlp_at(unsigned char *lp, size_t rank)
{
    if (rank >= kv_zlp_len(lp))
        return NULL;
    return kv_lp_seek(lp, (long)(rank * 2));
}

unsigned char *kv_zlp_find(unsigned char *lp, const char *m, size_t n)
{
    unsigned char *p = kv_lp_first(lp);
    return p ? kv_lp_find(lp, p, m, n, 1) : NULL;
}

size_t kv_zlp_rank(unsigned char *lp, unsigned char *p)
{
    unsigned char *q = kv_lp_first(lp);
    size_t rank = 0;
    while (q && q != p) {
        q = kv_zlp_next(lp, q);
        rank++;
    }
    return rank;
}

unsigned char *kv_zlp_insert(unsigned char *lp, double score, const char *m, size_t n)
{
    unsigned char *p = kv_lp_first(lp), *mp;
    char sbuf[KV_ZSET_D2STR_MAX], mbuf[KV_ZSET_D2STR_MAX];
    size_t slen = kv_zset_d2str(sbuf, score);
    while (p) {
        double s = kv_zlp_score(lp, p);
        if (s > score)
            break;
        if (s == score) {
            size_t pn;
            const char *pm = kv_zlp_member(p, mbuf, &pn);
            if (mcmp(pm, pn, m, n) > 0)
                break;
        }
        p = kv_zlp_next(lp, p);
    }
    lp = kv_lp_insert(lp, p, KV_LP_BEFORE, m, n, &mp);
    return kv_lp_insert(lp, mp, KV_LP_AFTER, sbuf, slen, NULL);
}

unsigned char *kv_zlp_delete(unsigned char *lp, unsigned char *p, unsigned char **next)
{
    lp = kv_lp_delete(lp, p, &p);
    return kv_lp_delete(lp, p, next);
}

/* ------------------------------------------------------------- ranges */

/* Redis's zzlIsInLexRange: the last member is >= min and the first <= max.
 * (Members sort by score first, so with mixed scores this quick test can
 * decide a lex query by itself, exactly as it does in Redis.) */
static int lex_may_match(unsigned char *lp, const kv_zlex *r)
{
    char buf[KV_ZSET_D2STR_MAX];
    unsigned char *p;
    const char *m;
    size_t n;
    if (kv_zlex_empty(r) || !(p = kv_zlp_last(lp)))
        return 0;
    m = kv_zlp_member(p, buf, &n);
    if (!kv_zlex_gte_min(m, n, r))
        return 0;
    m = kv_zlp_member(kv_zlp_first(lp), buf, &n);
    return kv_zlex_lte_max(m, n, r);
}

unsigned char *kv_zlp_first_in(unsigned char *lp, const kv_zrange *r)
{
    unsigned char *p;
    if (kv_zrange_empty(r))
        return NULL;
    for (p = kv_lp_first(lp); p; p = kv_zlp_next(lp, p)) {
        double s = kv_zlp_score(lp, p);
        if (kv_zrange_gte_min(s, r))
            return kv_zrange_lte_max(s, r) ? p : NULL;
    }
    return NULL;
}

unsigned char *kv_zlp_last_in(unsigned char *lp, const kv_zrange *r)
{
    unsigned char *p;
    if (kv_zrange_empty(r))
        return NULL;
    for (p = kv_zlp_last(lp); p; p = kv_zlp_prev(lp, p)) {
        double s = kv_zlp_score(lp, p);
        if (kv_zrange_lte_max(s, r))
            return kv_zrange_gte_min(s, r) ? p : NULL;
    }
    return NULL;
}

unsigned char *kv_zlp_first_in_lex(unsigned char *lp, const kv_zlex *r)
{
    unsigned char *p;
    char buf[KV_ZSET_D2STR_MAX];
    if (!lex_may_match(lp, r))
        return NULL;
    for (p = kv_lp_first(lp); p; p = kv_zlp_next(lp, p)) {
        size_t n;
        const char *m = kv_zlp_member(p, buf, &n);
        if (kv_zlex_gte_min(m, n, r))
            return kv_zlex_lte_max(m, n, r) ? p : NULL;
    }
    return NULL;
}

unsigned char *kv_zlp_last_in_lex(unsigned char *lp, const kv_zlex *r)
{
    unsigned char *p;
    char buf[KV_ZSET_D2STR_MAX];
    if (!lex_may_match(lp, r))
        return NULL;
    for (p = kv_zlp_last(lp); p; p = kv_zlp_prev(lp, p)) {
        size_t n;
        const char *m = kv_zlp_member(p, buf, &n);
        if (kv_zlex_lte_max(m, n, r))
            return kv_zlex_gte_min(m, n, r) ? p : NULL;
    }
    return NULL;
}

unsigned char *kv_zlp_del_rank(unsigned char *lp, size_t start, size_t end, size_t *removed)
{
    *removed = end - start + 1;
    return kv_lp_delete_range(lp, (long)(start * 2), *removed * 2);
}

unsigned char *kv_zlp_del_score(unsigned char *lp, const kv_zrange *r, size_t *removed)
{
    unsigned char *p = kv_zlp_first_in(lp, r);
    *removed = 0;
    while (p && kv_zrange_lte_max(kv_zlp_score(lp, p), r)) {
        lp = kv_zlp_delete(lp, p, &p);
        (*removed)++;
    }
    return lp;
}

unsigned char *kv_zlp_del_lex(unsigned char *lp, const kv_zlex *r, size_t *removed)
{
    unsigned char *p = kv_zlp_first_in_lex(lp, r);
    char buf[KV_ZSET_D2STR_MAX];
    *removed = 0;
    while (p) {
        size_t n;
        const char *m = kv_zlp_member(p, buf, &n);
        if (!kv_zlex_lte_max(m, n, r))
            break;
        lp = kv_zlp_delete(lp, p, &p);
        (*removed)++;
    }
    return lp;
}
