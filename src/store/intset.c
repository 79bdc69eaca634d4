/* Intset: Redis 7.0's sorted array of distinct integers at the narrowest
 * width (2, 4 or 8 bytes) that holds them all, byte-compatible with the blobs
 * in RDB/DUMP payloads; plus the validator for untrusted (RESTORE) blobs.
 * Like Redis, a set widens when a value needs it and never narrows again. */
#include "store/intset.h"

#include <string.h>

#include "store/mem.h"

#define IS_HDR 8u

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

/* Little-endian signed value of width w at p. */
static int64_t rdval(const unsigned char *p, size_t w)
{
    uint64_t u = 0;
    size_t i;
    for (i = 0; i < w; i++)
        u |= (uint64_t)p[i] << (8 * i);
    if (w < 8 && (u >> (8 * w - 1)) & 1u)
        u |= ~(uint64_t)0 << (8 * w);
    return u > (uint64_t)INT64_MAX ? -(int64_t)(~u) - 1 : (int64_t)u;
}

static void wrval(unsigned char *p, size_t w, int64_t v)
{
    uint64_t u = (uint64_t)v;
    size_t i;
    for (i = 0; i < w; i++)
        p[i] = (unsigned char)(u >> (8 * i));
}

static size_t width_for(int64_t v)
{
    if (v >= INT16_MIN && v <= INT16_MAX)
        return 2;
    if (v >= INT32_MIN && v <= INT32_MAX)
        return 4;
    return 8;
}

static size_t enc(const unsigned char *is) { return rd32(is); }

static int64_t at(const unsigned char *is, size_t pos)
{
    size_t w = enc(is);
    return rdval(is + IS_HDR + pos * w, w);
}

/* Binary search: 1 and *pos = index if found, else 0 and *pos = where v
 * would be inserted. */
static int search(const unsigned char *is, int64_t v, size_t *pos)
{
    size_t lo = 0, hi = rd32(is + 4);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t m = at(is, mid);
        if (m == v) {
            *pos = mid;
            return 1;
        }
        if (m < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return 0;
}

unsigned char *kv_is_new(void)
{
    unsigned char *is = (unsigned char *)kv_xmalloc(IS_HDR);
    wr32(is, 2);
    wr32(is + 4, 0);
    return is;
}

void kv_is_free(unsigned char *is)
{
    free(is);
}

size_t kv_is_len(const unsigned char *is)
{
    return rd32(is + 4);
}

size_t kv_is_bytes(const unsigned char *is)
{
    return IS_HDR + (size_t)rd32(is + 4) * enc(is);
}

/* Re-encode at width w (wider than now) and add v, which is out of the
 * current range, so it goes first (negative) or last (positive). */
static unsigned char *upgrade_add(unsigned char *is, int64_t v, size_t w)
{
    size_t n = rd32(is + 4), ow = enc(is), i;
    int front = v < 0;
    is = (unsigned char *)kv_xrealloc(is, IS_HDR + (n + 1) * w);
    /* Back to front, so no value is overwritten before it is read. */
    for (i = n; i-- > 0;)
        wrval(is + IS_HDR + (i + (size_t)front) * w, w, rdval(is + IS_HDR + i * ow, ow));
    wrval(is + IS_HDR + (front ? 0 : n) * w, w, v);
    wr32(is, (uint32_t)w);
    wr32(is + 4, (uint32_t)(n + 1));
    return is;
}

unsigned char *kv_is_add(unsigned char *is, int64_t v, int *added)
{
    size_t w = width_for(v), cw = enc(is), n = rd32(is + 4), pos;
    if (added)
        *added = 0;
    if (w > cw) {
        if (added)
            *added = 1;
        return upgrade_add(is, v, w);
    }
    if (search(is, v, &pos))
        return is;
    is = (unsigned char *)kv_xrealloc(is, IS_HDR + (n + 1) * cw);
    memmove(is + IS_HDR + (pos + 1) * cw, is + IS_HDR + pos * cw, (n - pos) * cw);
    wrval(is + IS_HDR + pos * cw, cw, v);
    wr32(is + 4, (uint32_t)(n + 1));
    if (added)
        *added = 1;
    return is;
}

unsigned char *kv_is_remove(unsigned char *is, int64_t v, int *removed)
{
    size_t cw = enc(is), n = rd32(is + 4), pos;
    if (removed)
        *removed = 0;
    if (width_for(v) > cw || !search(is, v, &pos))
        return is;
    memmove(is + IS_HDR + pos * cw, is + IS_HDR + (pos + 1) * cw, (n - pos - 1) * cw);
    wr32(is + 4, (uint32_t)(n - 1));
    is = (unsigned char *)kv_xrealloc(is, IS_HDR + (n - 1) * cw);
    if (removed)
        *removed = 1;
    return is;
}

int kv_is_find(const unsigned char *is, int64_t v)
{
    size_t pos;
    return width_for(v) <= enc(is) && search(is, v, &pos);
}

int64_t kv_is_get(const unsigned char *is, size_t pos)
{
    return at(is, pos);
}

/* xorshift64* on the caller's state (any seed; 0 is remapped). An empty
 * set has nothing to pick: 0. */
int64_t kv_is_random(const unsigned char *is, uint64_t *rng)
{
    uint64_t x = *rng ? *rng : 0x9E3779B97F4A7C15ULL;
    if (rd32(is + 4) == 0)
        return 0;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *rng = x;
    return at(is, (size_t)((x * 0x2545F4914F6CDD1DULL) % rd32(is + 4)));
}

int kv_is_validate(const unsigned char *is, size_t size)
{
    uint32_t w, n;
    size_t i;
    if (is == NULL || size < IS_HDR)
        return 0;
    w = rd32(is);
    if (w != 2 && w != 4 && w != 8)
        return 0;
    n = rd32(is + 4);
    /* Redis refuses an empty intset in a payload, as we do. */
    if (n == 0 || (uint64_t)n * w + IS_HDR != (uint64_t)size)
        return 0;
    for (i = 1; i < n; i++)
        if (at(is, i - 1) >= at(is, i))
            return 0;
    return 1;
}
