/* Listpack: Redis 7.0's compact list of string-or-integer entries, written
 * byte for byte as Redis writes it (so DUMP/RDB blobs can be exchanged), plus
 * the bounds-checked validator that guards RESTORE of untrusted blobs. All
 * multi-byte fields are little-endian and read byte by byte (no alignment or
 * aliasing assumptions). */
#include "store/listpack.h"

#include <stdint.h>
#include <string.h>

#include "store/mem.h"
#include "store/object.h"

#define LP_HDR 6u
#define LP_EOF 0xFFu
#define LP_COUNT_UNKNOWN 65535u

/* Encoding bytes (first byte of an entry). */
#define LP_ENC_STR6 0x80u     /* 10xxxxxx: string, 6-bit length */
#define LP_ENC_INT13 0xC0u    /* 110xxxxx yyyyyyyy: 13-bit signed int */
#define LP_ENC_STR12 0xE0u    /* 1110xxxx yyyyyyyy: string, 12-bit length */
#define LP_ENC_STR32 0xF0u
#define LP_ENC_INT16 0xF1u
#define LP_ENC_INT24 0xF2u
#define LP_ENC_INT32 0xF3u
#define LP_ENC_INT64 0xF4u

/* ------------------------------------------------------------ raw fields */

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static unsigned rd_count(const unsigned char *lp)
{
    return (unsigned)lp[4] | (unsigned)lp[5] << 8;
}

static void wr_count(unsigned char *lp, unsigned n)
{
    lp[4] = (unsigned char)n;
    lp[5] = (unsigned char)(n >> 8);
}

/* Adjust a known count; once it reaches 65535 it stays "unknown", as in Redis. */
static void add_count(unsigned char *lp, long delta)
{
    unsigned n = rd_count(lp);
    long m;
    if (n == LP_COUNT_UNKNOWN)
        return;
    m = (long)n + delta;
    if (m < 0)
        m = 0;
    wr_count(lp, m >= (long)LP_COUNT_UNKNOWN ? LP_COUNT_UNKNOWN : (unsigned)m);
}

/* ------------------------------------------------------------ entries */

/* Bytes of an entry's encoding+data part (not its backlen). Trusted input. */
static size_t enc_len(const unsigned char *p)
{
    unsigned c = p[0];
    if (c < 0x80u)
        return 1;
    if (c < 0xC0u)
        return 1 + (c & 0x3Fu);
    if (c < 0xE0u)
        return 2;
    if (c < 0xF0u)
        return 2 + (((size_t)(c & 0x0Fu) << 8) | p[1]);
    switch (c) {
    case LP_ENC_STR32: return 5 + (size_t)rd32(p + 1);
    case LP_ENC_INT16: return 3;
    case LP_ENC_INT24: return 4;
    case LP_ENC_INT32: return 5;
    case LP_ENC_INT64: return 9;
    default: return 1;
    }
}

/* Bytes the backlen of an l-byte entry takes. The 2-byte form stops one
 * short of 2^14-1 (and likewise above): Redis's thresholds, kept for
 * byte compatibility. */
static size_t backlen_size(uint64_t l)
{
    if (l <= 127)
        return 1;
    if (l < 16383)
        return 2;
    if (l < 2097151)
        return 3;
    if (l < 268435455)
        return 4;
    return 5;
}

/* Big-endian 7-bit groups; every byte but the leftmost has the high bit set,
 * so a reader walking backwards knows where the field starts. */
static void backlen_write(unsigned char *buf, uint64_t l)
{
    size_t n = backlen_size(l), i;
    for (i = 0; i < n; i++) {
        unsigned char b = (unsigned char)((l >> (7 * (n - 1 - i))) & 127u);
        buf[i] = i ? (unsigned char)(b | 128u) : b;
    }
}

/* Decode the backlen whose last byte is at p, reading at most `max` bytes to
 * the left; *used gets how many. Returns UINT64_MAX if it does not end. */
static uint64_t backlen_read(const unsigned char *p, size_t max, size_t *used)
{
    uint64_t v = 0;
    size_t i;
    for (i = 0; i < max && i < 5; i++) {
        unsigned char b = *(p - i);
        v |= (uint64_t)(b & 127u) << (7 * i);
        if (!(b & 128u)) {
            *used = i + 1;
            return v;
        }
    }
    return UINT64_MAX;
}

static size_t entry_size(const unsigned char *p)
{
    size_t l = enc_len(p);
    return l + backlen_size(l);
}

/* ------------------------------------------------------------ encoding */

/* An entry's encoding+data, ready to copy: hdr[0..hlen) then s[0..slen). */
typedef struct lpenc {
    unsigned char hdr[9];
    size_t hlen;
    const char *s;
    size_t slen;
} lpenc;

static void encode_int(lpenc *e, long long v)
{
    uint64_t u = (uint64_t)v;
    e->s = NULL;
    e->slen = 0;
    if (v >= 0 && v <= 127) {
        e->hdr[0] = (unsigned char)v;
        e->hlen = 1;
    } else if (v >= -4096 && v <= 4095) {
        u &= 0x1FFFu;
        e->hdr[0] = (unsigned char)(LP_ENC_INT13 | (u >> 8));
        e->hdr[1] = (unsigned char)u;
        e->hlen = 2;
    } else {
        size_t w, i;
        if (v >= -32768 && v <= 32767) {
            e->hdr[0] = LP_ENC_INT16;
            w = 2;
        } else if (v >= -8388608 && v <= 8388607) {
            e->hdr[0] = LP_ENC_INT24;
            w = 3;
        } else if (v >= -2147483647LL - 1 && v <= 2147483647LL) {
            e->hdr[0] = LP_ENC_INT32;
            w = 4;
        } else {
            e->hdr[0] = LP_ENC_INT64;
            w = 8;
        }
        for (i = 0; i < w; i++)
            e->hdr[1 + i] = (unsigned char)(u >> (8 * i));
        e->hlen = 1 + w;
    }
}

static void encode_str(lpenc *e, const char *s, size_t n)
{
    long long v;
    if (n <= 20 && kv_store_str2ll(s, n, &v)) {
        encode_int(e, v);
        return;
    }
    e->s = s;
    e->slen = n;
    if (n < 64) {
        e->hdr[0] = (unsigned char)(LP_ENC_STR6 | n);
        e->hlen = 1;
    } else if (n < 4096) {
        e->hdr[0] = (unsigned char)(LP_ENC_STR12 | (n >> 8));
        e->hdr[1] = (unsigned char)n;
        e->hlen = 2;
    } else {
        e->hdr[0] = LP_ENC_STR32;
        wr32(e->hdr + 1, (uint32_t)n);
        e->hlen = 5;
    }
}

/* ------------------------------------------------------------ reading */

unsigned char *kv_lp_new(void)
{
    unsigned char *lp = (unsigned char *)kv_xmalloc(LP_HDR + 1);
    wr32(lp, LP_HDR + 1);
    wr_count(lp, 0);
    lp[LP_HDR] = LP_EOF;
    return lp;
}

void kv_lp_free(unsigned char *lp)
{
    free(lp);
}

size_t kv_lp_bytes(const unsigned char *lp)
{
    return rd32(lp);
}

size_t kv_lp_count(const unsigned char *lp)
{
    unsigned n = rd_count(lp);
    size_t c = 0;
    const unsigned char *p;
    if (n != LP_COUNT_UNKNOWN)
        return n;
    for (p = lp + LP_HDR; *p != LP_EOF; p += entry_size(p))
        c++;
    return c;
}

unsigned char *kv_lp_first(unsigned char *lp)
{
    unsigned char *p = lp + LP_HDR;
    return *p == LP_EOF ? NULL : p;
}

/* The entry before p, where p may be the EOF byte. */
static unsigned char *prev_of(unsigned char *lp, unsigned char *p)
{
    size_t used = 0;
    uint64_t l;
    if (p <= lp + LP_HDR)
        return NULL;
    l = backlen_read(p - 1, 5, &used);
    return p - used - (size_t)l;
}

unsigned char *kv_lp_last(unsigned char *lp)
{
    return prev_of(lp, lp + rd32(lp) - 1);
}

unsigned char *kv_lp_next(unsigned char *lp, unsigned char *p)
{
    (void)lp;
    p += entry_size(p);
    return *p == LP_EOF ? NULL : p;
}

unsigned char *kv_lp_prev(unsigned char *lp, unsigned char *p)
{
    return prev_of(lp, p);
}

unsigned char *kv_lp_seek(unsigned char *lp, long index)
{
    unsigned n = rd_count(lp);
    int backward = index < 0;
    unsigned char *p;

    /* With a known count, walk from the nearer end. */
    if (n != LP_COUNT_UNKNOWN) {
        if (index < 0) {
            if ((unsigned long)-(index + 1) >= n)
                return NULL;
            index += (long)n;
        } else if ((unsigned long)index >= n) {
            return NULL;
        }
        backward = (unsigned long)index > n / 2;
        if (backward)
            index -= (long)n;
    }
    if (!backward) {
        p = kv_lp_first(lp);
        while (p && index-- > 0)
            p = kv_lp_next(lp, p);
        return p;
    }
    p = kv_lp_last(lp);
    while (p && ++index < 0)
        p = kv_lp_prev(lp, p);
    return p;
}

void kv_lp_get(const unsigned char *p, kv_lpval *out)
{
    unsigned c = p[0];
    uint64_t u;
    out->s = NULL;
    out->n = 0;
    if (c < 0x80u) {
        out->v = c;
        return;
    }
    if (c < 0xC0u) {
        out->s = p + 1;
        out->n = c & 0x3Fu;
        return;
    }
    if (c < 0xE0u) {
        u = ((uint64_t)(c & 0x1Fu) << 8) | p[1];
        out->v = u >= 4096 ? (long long)u - 8192 : (long long)u;
        return;
    }
    if (c < 0xF0u) {
        out->s = p + 2;
        out->n = ((size_t)(c & 0x0Fu) << 8) | p[1];
        return;
    }
    if (c == LP_ENC_STR32) {
        out->s = p + 5;
        out->n = rd32(p + 1);
        return;
    }
    {
        size_t w = c == LP_ENC_INT16 ? 2 : c == LP_ENC_INT24 ? 3 : c == LP_ENC_INT32 ? 4 : 8, i;
        uint64_t sign = (uint64_t)1 << (8 * w - 1);
        u = 0;
        for (i = 0; i < w; i++)
            u |= (uint64_t)p[1 + i] << (8 * i);
        if (w < 8 && (u & sign))
            u |= ~(uint64_t)0 << (8 * w);     /* sign-extend */
        out->v = u > (uint64_t)INT64_MAX ? -(long long)(~u) - 1 : (long long)u;
    }
}

const unsigned char *kv_lp_get_str(const unsigned char *p, unsigned char *buf, size_t *n)
{
    kv_lpval v;
    char tmp[KV_LLSTR_SIZE];
    kv_lp_get(p, &v);
    if (v.s) {
        *n = v.n;
        return v.s;
    }
    *n = kv_store_ll2str(tmp, v.v);
    memcpy(buf, tmp, *n);
    return buf;
}

/* ------------------------------------------------------------ writing */

/* Replace the `oldsz` bytes at offset off with the encoded entry e (or with
 * nothing when e is NULL). Returns the new blob. */
static unsigned char *splice(unsigned char *lp, size_t off, size_t oldsz, const lpenc *e)
{
    size_t total = rd32(lp), l = 0, newsz = 0;
    uint64_t nt;
    if (e) {
        l = e->hlen + e->slen;
        newsz = l + backlen_size(l);
    }
    nt = (uint64_t)total - oldsz + newsz;
    if (nt > UINT32_MAX) {
        fprintf(stderr, "kevy: listpack over 4 GiB\n");
        abort();
    }
    if (newsz > oldsz) {
        lp = (unsigned char *)kv_xrealloc(lp, (size_t)nt);
        memmove(lp + off + newsz, lp + off + oldsz, total - off - oldsz);
    } else if (newsz < oldsz) {
        memmove(lp + off + newsz, lp + off + oldsz, total - off - oldsz);
        lp = (unsigned char *)kv_xrealloc(lp, (size_t)nt);
    }
    if (e) {
        memcpy(lp + off, e->hdr, e->hlen);
        if (e->slen)
            memcpy(lp + off + e->hlen, e->s, e->slen);
        backlen_write(lp + off + l, l);
    }
    wr32(lp, (uint32_t)nt);
    return lp;
}

static unsigned char *insert_enc(unsigned char *lp, unsigned char *p, int where,
                                 const lpenc *e, unsigned char **newp)
{
    size_t off, oldsz = 0;
    if (p == NULL || *p == LP_EOF) {
        off = rd32(lp) - 1;
        where = KV_LP_BEFORE;
    } else {
        off = (size_t)(p - lp);
        if (where == KV_LP_AFTER)
            off += entry_size(p);
        else if (where == KV_LP_REPLACE)
            oldsz = entry_size(p);
    }
    lp = splice(lp, off, oldsz, e);
    if (where != KV_LP_REPLACE)
        add_count(lp, 1);
    if (newp)
        *newp = lp + off;
    return lp;
}

unsigned char *kv_lp_insert(unsigned char *lp, unsigned char *p, int where, const char *s,
                            size_t n, unsigned char **newp)
{
    lpenc e;
    encode_str(&e, s, n);
    return insert_enc(lp, p, where, &e, newp);
}

unsigned char *kv_lp_append(unsigned char *lp, const char *s, size_t n)
{
    return kv_lp_insert(lp, NULL, KV_LP_BEFORE, s, n, NULL);
}

unsigned char *kv_lp_prepend(unsigned char *lp, const char *s, size_t n)
{
    return kv_lp_insert(lp, kv_lp_first(lp), KV_LP_BEFORE, s, n, NULL);
}

unsigned char *kv_lp_append_int(unsigned char *lp, long long v)
{
    lpenc e;
    encode_int(&e, v);
    return insert_enc(lp, NULL, KV_LP_BEFORE, &e, NULL);
}

unsigned char *kv_lp_delete(unsigned char *lp, unsigned char *p, unsigned char **next)
{
    size_t off = (size_t)(p - lp);
    lp = splice(lp, off, entry_size(p), NULL);
    add_count(lp, -1);
    if (next)
        *next = lp[off] == LP_EOF ? NULL : lp + off;
    return lp;
}

unsigned char *kv_lp_delete_range(unsigned char *lp, long index, size_t count)
{
    unsigned char *p = kv_lp_seek(lp, index), *q;
    size_t k = 0;
    if (p == NULL || count == 0)
        return lp;
    for (q = p; *q != LP_EOF && k < count; k++)
        q += entry_size(q);
    lp = splice(lp, (size_t)(p - lp), (size_t)(q - p), NULL);
    add_count(lp, -(long)k);
    return lp;
}

/* ------------------------------------------------------------ comparing */

/* s as a canonical integer, computed once per search. */
typedef struct needle {
    const char *s;
    size_t n;
    int isint;
    long long v;
} needle;

static void needle_init(needle *nd, const char *s, size_t n)
{
    nd->s = s;
    nd->n = n;
    nd->isint = n <= 20 && kv_store_str2ll(s, n, &nd->v);
}

static int needle_eq(const needle *nd, const unsigned char *p)
{
    kv_lpval v;
    kv_lp_get(p, &v);
    if (v.s)
        return v.n == nd->n && (nd->n == 0 || memcmp(v.s, nd->s, nd->n) == 0);
    return nd->isint && nd->v == v.v;
}

int kv_lp_equal(const unsigned char *p, const char *s, size_t n)
{
    needle nd;
    needle_init(&nd, s, n);
    return needle_eq(&nd, p);
}

unsigned char *kv_lp_find(unsigned char *lp, unsigned char *p, const char *s, size_t n,
                          unsigned skip)
{
    needle nd;
    unsigned k;
    needle_init(&nd, s, n);
    while (p && *p != LP_EOF) {
        if (needle_eq(&nd, p))
            return p;
        p += entry_size(p);
        for (k = 0; k < skip && *p != LP_EOF; k++)
            p += entry_size(p);
    }
    (void)lp;
    return NULL;
}

/* ------------------------------------------------------------ validation */

/* Size of the encoding+data part of the entry at p, where `avail` bytes
 * (before the EOF byte) may be read; 0 if it does not fit or is invalid. */
static uint64_t enc_len_checked(const unsigned char *p, size_t avail)
{
    unsigned c = p[0];
    uint64_t l;
    if (c < 0xE0u || (c >= LP_ENC_INT16 && c <= LP_ENC_INT64)) {
        l = enc_len(p);  /* a function of p[0] alone for these encodings */
    } else if (c < 0xF0u) {
        if (avail < 2)
            return 0;
        l = 2 + (((uint64_t)(c & 0x0Fu) << 8) | p[1]);
    } else if (c == LP_ENC_STR32) {
        if (avail < 5)
            return 0;
        l = 5 + (uint64_t)rd32(p + 1);
    } else {
        return 0;
    }
    return l <= avail ? l : 0;
}

int kv_lp_validate(const unsigned char *lp, size_t size)
{
    const unsigned char *p, *eof;
    unsigned hdr;
    size_t count = 0;

    if (lp == NULL || size < LP_HDR + 1 || size > UINT32_MAX)
        return 0;
    if (rd32(lp) != size || lp[size - 1] != LP_EOF)
        return 0;
    hdr = rd_count(lp);
    eof = lp + size - 1;
    for (p = lp + LP_HDR; p < eof;) {
        size_t avail = (size_t)(eof - p), used = 0, bs;
        uint64_t l = enc_len_checked(p, avail);
        if (l == 0)
            return 0;
        bs = backlen_size(l);
        if (bs > avail - l)
            return 0;
        if (backlen_read(p + l + bs - 1, bs, &used) != l || used != bs)
            return 0;
        p += l + bs;
        count++;
    }
    return hdr == LP_COUNT_UNKNOWN || hdr == count;
}
