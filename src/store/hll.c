/* HyperLogLog values in Redis 7.0's byte layout (see hll.h): hashing, the
 * dense and sparse register encodings, promotion, merging and Ertl's
 * estimator. Sparse edits follow Redis's observable rules exactly (how a run
 * is split, which neighbours are coalesced, when the value turns dense), so
 * the same PFADDs leave the same bytes here as in Redis. */
#include "store/hll.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store/mem.h"

#define HDR KV_HLL_HDR_SIZE
#define REGS KV_HLL_REGISTERS
#define VAL_MAX_VALUE 32 /* largest register a sparse VAL opcode holds */
#define VAL_MAX_LEN 4    /* longest run of one VAL opcode */
#define ZERO_MAX_LEN 64  /* longest run of one ZERO opcode */
#define ALPHA_INF 0.721347520444481703680 /* 1 / (2 ln 2) */

/* ------------------------------------------------------------- hashing */

static uint64_t load_le64(const unsigned char *p)
{
    uint64_t v = 0;
    int i;
    for (i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

uint64_t kv_murmur64a(const void *key, size_t len, uint64_t seed)
{
    const uint64_t m = 0xc6a4a7935bd1e995ULL;
    const unsigned char *p = key;
    uint64_t h = seed ^ ((uint64_t)len * m);
    size_t i, rem = len & 7, blocks = len / 8;

    for (i = 0; i < blocks; i++, p += 8) {
        uint64_t k = load_le64(p);
        k *= m;
        k ^= k >> 47;
        k *= m;
        h ^= k;
        h *= m;
    }
    if (rem) {
        for (i = rem; i-- > 0;)
            h ^= (uint64_t)p[i] << (8 * i);
        h *= m;
    }
    h ^= h >> 47;
    h *= m;
    h ^= h >> 47;
    return h;
}

unsigned kv_hll_pattern(const void *ele, size_t n, unsigned *index)
{
    uint64_t hash = kv_murmur64a(ele, n, KV_HLL_SEED);
    unsigned count = 1;
    *index = (unsigned)(hash & (REGS - 1));
    /* The sentinel bit bounds the count at Q + 1 when the rest is zero. */
    hash = (hash >> KV_HLL_P) | ((uint64_t)1 << KV_HLL_Q);
    while (!(hash & 1)) {
        count++;
        hash >>= 1;
    }
    return count;
}

/* -------------------------------------------------------------- header */

int kv_hll_valid(const unsigned char *p, size_t n)
{
    if (n < HDR || memcmp(p, "HYLL", 4) != 0)
        return 0;
    if (p[4] == KV_HLL_DENSE)
        return n == KV_HLL_DENSE_SIZE;
    return p[4] == KV_HLL_SPARSE;
}

int kv_hll_encoding(const unsigned char *p)
{
    return p[4];
}

int kv_hll_cache_get(const unsigned char *hdr, uint64_t *card)
{
    if (hdr[15] & 0x80)
        return 0;
    *card = load_le64(hdr + 8);
    return 1;
}

void kv_hll_cache_set(unsigned char *hdr, uint64_t card)
{
    int i;
    for (i = 0; i < 8; i++)
        hdr[8 + i] = (unsigned char)(card >> (8 * i));
}

void kv_hll_cache_invalidate(unsigned char *hdr)
{
    hdr[15] |= 0x80;
}

/* --------------------------------------------------------------- dense */

/* Register i is bits 6i..6i+5, least significant first, possibly straddling
 * two bytes; the second byte is touched only when it holds some of them,
 * so the last register never reaches past the array. */
unsigned kv_hll_dense_get(const unsigned char *regs, unsigned index)
{
    unsigned long bit = (unsigned long)index * KV_HLL_BITS;
    unsigned long b = bit / 8;
    unsigned fb = (unsigned)(bit % 8), v = regs[b] >> fb;
    if (fb > 8 - KV_HLL_BITS)
        v |= (unsigned)regs[b + 1] << (8 - fb);
    return v & 63u;
}

int kv_hll_dense_set(unsigned char *regs, unsigned index, unsigned count)
{
    unsigned long bit = (unsigned long)index * KV_HLL_BITS;
    unsigned long b = bit / 8;
    unsigned fb = (unsigned)(bit % 8);
    count &= 63u;
    if (count <= kv_hll_dense_get(regs, index))
        return 0;
    regs[b] = (unsigned char)((regs[b] & ~(63u << fb)) | (count << fb));
    if (fb > 8 - KV_HLL_BITS)
        regs[b + 1] = (unsigned char)((regs[b + 1] & ~(63u >> (8 - fb))) | (count >> (8 - fb)));
    return 1;
}

/* -------------------------------------------------------------- sparse */

enum { OP_ZERO, OP_XZERO, OP_VAL };

typedef struct sop {
    int kind;
    unsigned long span; /* registers covered */
    unsigned val;       /* VAL: the registers' value */
    size_t len;         /* bytes the opcode is meant to take (XZERO: 2) */
} sop;

/* Decode the opcode at p[i] (i < n). An XZERO cut short by the end of the
 * value reads its missing second byte as 0: Redis reads the string's
 * terminating NUL there, and a stored value must keep meaning the same. */
static void sop_read(const unsigned char *p, size_t i, size_t n, sop *o)
{
    unsigned b = p[i];
    if (b & 0x80) {
        o->kind = OP_VAL;
        o->val = ((b >> 2) & 0x1f) + 1;
        o->span = (b & 3) + 1;
        o->len = 1;
    } else if (b & 0x40) {
        unsigned lo = i + 1 < n ? p[i + 1] : 0;
        o->kind = OP_XZERO;
        o->val = 0;
        o->span = (((unsigned long)b & 0x3f) << 8 | lo) + 1;
        o->len = 2;
    } else {
        o->kind = OP_ZERO;
        o->val = 0;
        o->span = (b & 0x3f) + 1;
        o->len = 1;
    }
}

static unsigned char val_op(unsigned v, unsigned long len)
{
    return (unsigned char)(0x80 | ((v - 1) << 2) | (unsigned)(len - 1));
}

/* A run of zero registers in the shortest opcode; returns bytes written. */
static size_t put_zeros(unsigned char *out, unsigned long len)
{
    if (len > ZERO_MAX_LEN) {
        out[0] = (unsigned char)(0x40 | ((len - 1) >> 8));
        out[1] = (unsigned char)((len - 1) & 0xff);
        return 2;
    }
    out[0] = (unsigned char)(len - 1);
    return 1;
}

static void reserve(kv_hll *h, size_t need)
{
    if (need <= h->cap)
        return;
    h->cap = need < 2 * h->cap ? 2 * h->cap : need;
    h->p = kv_xrealloc(h->p, h->cap);
}

/* Walk a sparse body: raise max[], count values in histo[] or write dense
 * registers (whichever are given). -1 unless the opcodes cover exactly
 * KV_HLL_REGISTERS registers; an opcode that runs past the last register is
 * an error at once, so max and dense are never indexed out of range. */
static int sparse_walk(const unsigned char *p, size_t n, uint8_t *max, unsigned long *histo,
                       unsigned char *dense)
{
    unsigned long idx = 0, k;
    size_t i = HDR;
    sop o;
    while (i < n) {
        sop_read(p, i, n, &o);
        i += o.len;
        if (o.span > REGS - idx)
            return -1;
        if (histo)
            histo[o.val] += o.span;
        if (o.kind == OP_VAL) {
            for (k = idx; k < idx + o.span; k++) {
                if (max && o.val > max[k])
                    max[k] = (uint8_t)o.val;
                if (dense)
                    kv_hll_dense_set(dense, (unsigned)k, o.val);
            }
        }
        idx += o.span;
    }
    return idx == REGS ? 0 : -1;
}

int kv_hll_to_dense(kv_hll *h)
{
    unsigned char *d;
    if (h->p[4] == KV_HLL_DENSE)
        return 0;
    d = kv_xmalloc(KV_HLL_DENSE_SIZE);
    memset(d, 0, KV_HLL_DENSE_SIZE);
    memcpy(d, h->p, HDR);
    d[4] = KV_HLL_DENSE;
    if (sparse_walk(h->p, h->len, NULL, NULL, d + HDR) != 0) {
        free(d);
        return -1;
    }
    free(h->p);
    h->p = d;
    h->len = h->cap = KV_HLL_DENSE_SIZE;
    return 0;
}

/* After an edit, coalesce neighbouring VALs of equal value whose runs fit
 * one opcode, looking at up to five opcodes from the one before the edit. */
static void sparse_coalesce(kv_hll *h, size_t q)
{
    unsigned char *p = h->p;
    int scan = 5;
    while (q < h->len && scan--) {
        if ((p[q] & 0xc0) == 0x40) {
            q += 2;
            continue;
        }
        if (!(p[q] & 0x80)) {
            q++;
            continue;
        }
        if (q + 1 < h->len && (p[q + 1] & 0x80)) {
            sop a, b;
            sop_read(p, q, h->len, &a);
            sop_read(p, q + 1, h->len, &b);
            if (a.val == b.val && a.span + b.span <= VAL_MAX_LEN) {
                p[q + 1] = val_op(a.val, a.span + b.span);
                memmove(p + q, p + q + 1, h->len - q - 1);
                h->len--;
                continue; /* the merged opcode may merge again */
            }
        }
        q++;
    }
}

static int sparse_set(kv_hll *h, unsigned index, unsigned count, size_t max_bytes)
{
    size_t pos = HDR, prev = HDR, n = 0, newlen, copy;
    unsigned long first = 0, last;
    unsigned char seq[5];
    long delta;
    sop o;

    if (count > VAL_MAX_VALUE)
        goto promote;
    o.len = 0;
    while (pos < h->len) {
        sop_read(h->p, pos, h->len, &o);
        if (index < first + o.span)
            break;
        prev = pos;
        pos += o.len;
        first += o.span;
        if (first >= REGS)
            return -1; /* past the last register: cannot be found further on */
    }
    if (pos >= h->len)
        return -1; /* the opcodes end before the register */

    if (o.kind == OP_VAL && o.val >= count)
        return 0;
    if (o.kind != OP_XZERO && o.span == 1) {
        h->p[pos] = val_op(count, 1);
        goto updated;
    }
    /* Split the run into up to three opcodes around the register. */
    last = first + o.span - 1;
    if (o.kind == OP_VAL) {
        if (index != first)
            seq[n++] = val_op(o.val, index - first);
        seq[n++] = val_op(count, 1);
        if (index != last)
            seq[n++] = val_op(o.val, last - index);
    } else {
        if (index != first)
            n += put_zeros(seq + n, index - first);
        seq[n++] = val_op(count, 1);
        if (index != last)
            n += put_zeros(seq + n, last - index);
    }
    delta = (long)n - (long)o.len;
    if (delta > 0 && h->len + (size_t)delta > max_bytes)
        goto promote;
    /* The value's length changes by exactly delta, even when a truncated
     * XZERO at the end was shorter than its nominal two bytes. */
    newlen = (size_t)((long)h->len + delta);
    reserve(h, newlen);
    if (delta != 0 && pos + o.len < h->len)
        memmove(h->p + pos + o.len + delta, h->p + pos + o.len, h->len - pos - o.len);
    copy = newlen - pos < n ? newlen - pos : n;
    memcpy(h->p + pos, seq, copy);
    h->len = newlen;
updated:
    sparse_coalesce(h, prev);
    kv_hll_cache_invalidate(h->p); /* at once, even if a later element fails */
    return 1;

promote:
    if (kv_hll_to_dense(h) != 0)
        return -1;
    kv_hll_dense_set(h->p + HDR, index, count);
    return 1;
}

/* --------------------------------------------------------------- values */

void kv_hll_new(kv_hll *h)
{
    static const unsigned char empty[HDR + 2] = {'H', 'Y', 'L', 'L', KV_HLL_SPARSE, 0, 0, 0,
                                                 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff};
    kv_hll_from(h, empty, sizeof empty);
}

void kv_hll_from(kv_hll *h, const void *p, size_t n)
{
    h->cap = n + 8;
    h->p = kv_xmalloc(h->cap);
    memcpy(h->p, p, n);
    h->len = n;
}

void kv_hll_free(kv_hll *h)
{
    free(h->p);
    h->p = NULL;
    h->len = h->cap = 0;
}

int kv_hll_set(kv_hll *h, unsigned index, unsigned count, size_t max_bytes)
{
    if (count == 0)
        return 0; /* every register is at least 0 */
    if (count > 63)
        count = 63;
    if (h->p[4] == KV_HLL_DENSE)
        return kv_hll_dense_set(h->p + HDR, index, count);
    return sparse_set(h, index, count, max_bytes);
}

int kv_hll_add(kv_hll *h, const void *ele, size_t n, size_t max_bytes)
{
    unsigned index, count = kv_hll_pattern(ele, n, &index);
    return kv_hll_set(h, index, count, max_bytes);
}

int kv_hll_merge(uint8_t *max, const unsigned char *p, size_t n)
{
    unsigned i;
    if (p[4] != KV_HLL_DENSE)
        return sparse_walk(p, n, max, NULL, NULL);
    for (i = 0; i < REGS; i++) {
        unsigned v = kv_hll_dense_get(p + HDR, i);
        if (v > max[i])
            max[i] = (uint8_t)v;
    }
    return 0;
}

/* ------------------------------------------------------------ estimator */

/* tau and sigma of Ertl's "New cardinality estimation algorithms for
 * HyperLogLog sketches" (2017): the corrections for registers that hit the
 * top value and for registers still zero. Iterated until they stop moving. */
static double hll_tau(double x)
{
    double y = 1.0, z, zprev;
    if (x == 0.0 || x == 1.0)
        return 0.0;
    z = 1.0 - x;
    do {
        x = sqrt(x);
        zprev = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
    } while (zprev != z);
    return z / 3.0;
}

static double hll_sigma(double x)
{
    double y = 1.0, z = x, zprev;
    if (x == 1.0)
        return HUGE_VAL;
    do {
        x *= x;
        zprev = z;
        z += x * y;
        y += y;
    } while (zprev != z);
    return z;
}

uint64_t kv_hll_estimate(const unsigned long histo[64])
{
    double m = REGS, z;
    int j;
    z = m * hll_tau((m - (double)histo[KV_HLL_Q + 1]) / m);
    for (j = KV_HLL_Q; j >= 1; j--) {
        z += (double)histo[j];
        z *= 0.5;
    }
    z += m * hll_sigma((double)histo[0] / m);
    return (uint64_t)llround(ALPHA_INF * m * m / z);
}

int kv_hll_count(const unsigned char *p, size_t n, uint64_t *card)
{
    unsigned long histo[64];
    unsigned i;
    memset(histo, 0, sizeof histo);
    if (p[4] == KV_HLL_DENSE) {
        for (i = 0; i < REGS; i++)
            histo[kv_hll_dense_get(p + HDR, i)]++;
    } else if (sparse_walk(p, n, NULL, histo, NULL) != 0) {
        return -1;
    }
    *card = kv_hll_estimate(histo);
    return 0;
}

uint64_t kv_hll_count_raw(const uint8_t *regs)
{
    unsigned long histo[64];
    unsigned i;
    memset(histo, 0, sizeof histo);
    for (i = 0; i < REGS; i++)
        if (regs[i] < 64)
            histo[regs[i]]++;
    return kv_hll_estimate(histo);
}
