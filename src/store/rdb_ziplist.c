/* The blob checks shared by the collection loaders (see rdb_ziplist.h).
 * The ziplist walker accepts exactly what Redis 7.0's deep ziplist check
 * accepts, including what Redis tolerates (a 32-bit string length whose
 * low 6 header bits are set, any tail offset in an empty ziplist), and
 * reads no byte before checking that the blob holds it. */
#include "store/rdb_ziplist.h"

#include <stdlib.h>
#include <string.h>

#include "store/mem.h"

#define ZL_HEADER 10      /* zlbytes u32, zltail u32, zllen u16 */
#define ZL_END 0xFF       /* the last byte; an entry cannot start with it */
#define ZL_BIG_PREVLEN 0xFE /* a prevlen of 0xFE and a u32 */
#define ZL_UNKNOWN_COUNT 0xFFFF

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* An integer entry's payload width by its encoding byte c (0: an
 * immediate 0..12 in the byte itself); -1 if c is no encoding. */
static int int_width(unsigned c)
{
    switch (c) {
    case 0xC0: return 2;
    case 0xD0: return 4;
    case 0xE0: return 8;
    case 0xF0: return 3;
    case 0xFE: return 1;
    default: return c >= 0xF1 && c <= 0xFD ? 0 : -1;
    }
}

/* The entry at zl + off (avail bytes before the final 0xFF), checked as
 * Redis's zipEntrySafe checks it and with its prevlen equal to prev: its
 * value into *v and its size returned, or 0 if it is malformed. */
static size_t entry(const unsigned char *zl, size_t off, size_t avail, size_t prev, kv_lpval *v)
{
    const unsigned char *p = zl + off;
    size_t h, len;
    unsigned c;
    int w;
    if (p[0] < ZL_BIG_PREVLEN) {
        if (p[0] != prev)
            return 0;
        h = 1;
    } else {
        if (avail < 5 || rd32(p + 1) != prev)
            return 0;
        h = 5;
    }
    if (avail < h + 1)
        return 0;
    c = p[h];
    v->s = NULL;
    v->n = 0;
    switch (c >> 6) {
    case 0: /* up to 63 bytes */
        len = c & 0x3F;
        h += 1;
        break;
    case 1: /* 14 bits big-endian */
        if (avail < h + 2)
            return 0;
        len = (size_t)(c & 0x3F) << 8 | p[h + 1];
        h += 2;
        break;
    case 2: /* 32 bits big-endian; Redis ignores the low 6 bits of c */
        if (avail < h + 5)
            return 0;
        len = (size_t)p[h + 1] << 24 | (size_t)p[h + 2] << 16 | (size_t)p[h + 3] << 8 | p[h + 4];
        h += 5;
        break;
    default: { /* an integer, little-endian, sign-extended */
        uint64_t u = 0;
        int i;
        if ((w = int_width(c)) < 0 || avail - (h + 1) < (size_t)w)
            return 0;
        h += 1;
        if (w == 0) {
            v->v = (long long)(c & 0x0F) - 1;
            return h;
        }
        for (i = 0; i < w; i++)
            u |= (uint64_t)p[h + (size_t)i] << (8 * i);
        if (w < 8 && (u >> (8 * w - 1)) & 1u)
            u |= ~(uint64_t)0 << (8 * w);
        memcpy(&v->v, &u, sizeof v->v);
        return h + (size_t)w;
    }
    }
    if (avail - h < len)
        return 0;
    v->s = p + h;
    v->n = len;
    v->v = 0;
    return h + len;
}

int kv_rdb_ziplist_walk(const unsigned char *zl, size_t size, kv_rdb_zl_fn fn, void *arg)
{
    size_t off = ZL_HEADER, prev = 0, count = 0, last = 0, end, used, zllen;
    kv_lpval v;
    if (size < ZL_HEADER + 1 || rd32(zl) != size || zl[size - 1] != ZL_END ||
        rd32(zl + 4) > size - 1)
        return -1;
    end = size - 1;
    /* Like Redis, the walk stops at the first 0xFF where an entry would
     * start, which must then be the last byte. */
    while (zl[off] != ZL_END) {
        if (!(used = entry(zl, off, end - off, prev, &v)) || fn(arg, &v) != 0)
            return -1;
        last = off;
        prev = used;
        off += used;
        count++;
    }
    zllen = (size_t)zl[8] | (size_t)zl[9] << 8;
    if (off != end || (count && rd32(zl + 4) != last) ||
        (zllen != ZL_UNKNOWN_COUNT && zllen != count))
        return -1;
    return 0;
}

static int append_fn(void *arg, const kv_lpval *v)
{
    unsigned char **lp = (unsigned char **)arg;
    *lp = v->s ? kv_lp_append(*lp, (const char *)v->s, v->n) : kv_lp_append_int(*lp, v->v);
    return 0;
}

unsigned char *kv_rdb_ziplist_to_lp(const unsigned char *zl, size_t size)
{
    unsigned char *lp = kv_lp_new();
    if (kv_rdb_ziplist_walk(zl, size, append_fn, &lp) != 0) {
        kv_lp_free(lp);
        return NULL;
    }
    return lp;
}

unsigned char *kv_rdb_read_ziplist(kv_rdb_reader *r)
{
    size_t n;
    unsigned char *zl = kv_rdb_read_blob(r, &n), *lp;
    if (!zl)
        return NULL;
    lp = kv_rdb_ziplist_to_lp(zl, n);
    free(zl);
    return lp;
}

/* ------------------------------------------------------------ listpacks */

unsigned char *kv_rdb_read_listpack(kv_rdb_reader *r)
{
    size_t n;
    unsigned char *lp = kv_rdb_read_blob(r, &n);
    if (lp && !kv_lp_validate(lp, n)) {
        free(lp);
        return NULL;
    }
    return lp;
}

typedef struct pref {
    const char *p;
    size_t n;
} pref;

static int pref_cmp(const void *a, const void *b)
{
    const pref *x = (const pref *)a, *y = (const pref *)b;
    int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);
    if (c)
        return c;
    return x->n < y->n ? -1 : x->n > y->n;
}

int kv_rdb_lp_pairs_ok(unsigned char *lp)
{
    size_t n = kv_lp_count(lp), i = 0, k;
    unsigned char *p;
    char (*bufs)[24];
    pref *v;
    int ok = 1;
    if (n == 0 || n % 2)
        return 0;
    v = (pref *)kv_xmalloc(n / 2 * sizeof *v);
    bufs = (char (*)[24])kv_xmalloc(n / 2 * sizeof *bufs);
    for (p = kv_lp_first(lp); p; p = kv_lp_next(lp, p), i++)
        if (i % 2 == 0)
            v[i / 2].p = (const char *)kv_lp_get_str(p, (unsigned char *)bufs[i / 2], &v[i / 2].n);
    qsort(v, n / 2, sizeof *v, pref_cmp);
    for (k = 1; k < n / 2 && ok; k++)
        ok = pref_cmp(&v[k - 1], &v[k]) != 0;
    free(bufs);
    free(v);
    return ok;
}
