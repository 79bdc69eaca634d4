/* LZF decompression (every bound checked: payloads come from clients) and a
 * compressor that reproduces liblzf 3.6 as Redis builds it (HLOG 16,
 * VERY_FAST) byte for byte, so DUMP payloads and RDB files of compressible
 * strings equal Redis's. The format is described in lzf.h; the choices that
 * fix the exact output are spelled out beside the code that makes them. */
#include "store/lzf.h"

#include <stdint.h>
#include <string.h>

#include "store/mem.h"

#define LZF_MAX_LIT 32
#define LZF_MAX_OFF 8192
#define LZF_MAX_REF 264 /* 2 + 7 + 255 */
#define LZF_HLOG 16          /* 65536 hash slots, as Redis compiles it */
#define LZF_SMALL 4096       /* inputs up to this use the keyed table */
#define LZF_SMALL_CELLS 8192 /* at least twice LZF_SMALL: half full at most */

size_t kv_lzf_decompress(const void *in, size_t in_len, void *out, size_t out_len)
{
    const unsigned char *ip = (const unsigned char *)in, *iend = ip + in_len;
    unsigned char *o = (unsigned char *)out;
    size_t op = 0;

    while (ip < iend) {
        unsigned ctrl = *ip++;
        if (ctrl < LZF_MAX_LIT) {
            size_t run = (size_t)ctrl + 1;
            if (run > out_len - op || run > (size_t)(iend - ip))
                return 0;
            memcpy(o + op, ip, run);
            ip += run;
            op += run;
        } else {
            size_t len = ctrl >> 5, back, i;
            if (len == 7) {
                if (ip >= iend)
                    return 0;
                len += *ip++;
            }
            if (ip >= iend)
                return 0;
            back = ((size_t)(ctrl & 0x1f) << 8) + *ip++ + 1;
            len += 2;
            if (back > op || len > out_len - op)
                return 0;
            if (back >= len) {
                memcpy(o + op, o + op - back, len);
                op += len;
            } else {
                /* Byte by byte: the reference overlaps what it produces. */
                for (i = 0; i < len; i++, op++)
                    o[op] = o[op - back];
            }
        }
    }
    return op;
}

/* The hash of the three bytes at p, as liblzf's VERY_FAST IDX computes it
 * from its rolling value (p[0] << 16 | p[1] << 8 | p[2], plus older bytes
 * that the 16-bit mask makes irrelevant): the high two bytes minus five
 * times the low two, modulo 2^16. */
static unsigned lzf_slot(const unsigned char *p)
{
    unsigned hi = (unsigned)p[0] << 8 | p[1], lo = (unsigned)p[1] << 8 | p[2];
    return (hi - lo * 5u) & ((1u << LZF_HLOG) - 1);
}

/* liblzf's table: for each of the 65536 slots, the position last hashed
 * there. A zeroed table of that size costs more to clear than compressing
 * a short string does, so inputs up to LZF_SMALL keep the same mapping in a
 * small open-addressed table keyed by slot: cell = (pos + 1) << 16 | slot,
 * 0 empty. Redis leaves its table uninitialised; position 0 is never a
 * usable reference there (see below), so "none" and 0 coincide here. */
typedef struct lzf_tab {
    uint32_t *cell;
    uint32_t mask; /* keyed: cells - 1; 0: direct, indexed by slot */
} lzf_tab;

/* The position stored under slot (0 if none), replaced by pos. */
static uint32_t tab_swap(lzf_tab *t, unsigned slot, uint32_t pos)
{
    uint32_t i, old;
    if (t->mask == 0) {
        old = t->cell[slot];
        t->cell[slot] = pos;
        return old;
    }
    i = (uint32_t)(slot * 2654435761u) >> 16 & t->mask;
    while (t->cell[i] != 0 && (t->cell[i] & 0xffffu) != slot)
        i = (i + 1) & t->mask;
    old = t->cell[i] ? (t->cell[i] >> 16) - 1 : 0;
    t->cell[i] = (pos + 1) << 16 | slot;
    return old;
}

/* Bytes a[0..) and b[0..) have in common, the first three known equal.
 * liblzf compares 16 more bytes unchecked whenever more than 16 may match,
 * so a match can run to 19 bytes where maxlen is only 17 or 18 (still
 * inside the input: maxlen is the input left minus two). */
static size_t match_len(const unsigned char *a, const unsigned char *b, size_t maxlen)
{
    size_t len = 3;
    if (maxlen > 16) {
        for (; len < 19; len++)
            if (a[len] != b[len])
                return len;
    }
    while (len < maxlen && a[len] == b[len])
        len++;
    return len;
}

/* One pass of liblzf's loop; op is the next output byte, the open literal
 * run of lit bytes has its control byte at op - lit - 1. Output bounds are
 * tested exactly where liblzf tests them, including its conservative ones,
 * so the same inputs fail to fit (Redis then stores them raw). */
static size_t compress(const unsigned char *s, size_t n, unsigned char *o, size_t cap,
                       lzf_tab *t)
{
    size_t ip = 0, op = 1, lit = 0;

    while (ip + 2 < n) {
        size_t ref = tab_swap(t, lzf_slot(s + ip), (uint32_t)ip);
        /* ref > 0: liblzf requires ref > in_data, so the first byte is
         * never referenced. */
        if (ref > 0 && ip - ref - 1 < LZF_MAX_OFF && s[ref + 2] == s[ip + 2] &&
            s[ref] == s[ip] && s[ref + 1] == s[ip + 1]) {
            size_t maxlen = n - ip - 2, len, off = ip - ref - 1;
            if (maxlen > LZF_MAX_REF)
                maxlen = LZF_MAX_REF;
            /* Room for the longest reference and the next run's control
             * byte, strictly before the end. */
            if (op - (lit == 0) + 4 >= cap)
                return 0;
            if (lit)
                o[op - lit - 1] = (unsigned char)(lit - 1);
            else
                op--; /* drop the empty run */
            len = match_len(s + ref, s + ip, maxlen);
            if (len - 2 < 7) {
                o[op++] = (unsigned char)((off >> 8) + ((len - 2) << 5));
            } else {
                o[op++] = (unsigned char)((off >> 8) + (7u << 5));
                o[op++] = (unsigned char)(len - 2 - 7);
            }
            o[op++] = (unsigned char)(off & 0xff);
            lit = 0;
            op++; /* the next run's control byte */
            ip += len;
            if (ip + 2 >= n)
                break;
            /* VERY_FAST: of the matched bytes only the last two are hashed. */
            tab_swap(t, lzf_slot(s + ip - 2), (uint32_t)(ip - 2));
            tab_swap(t, lzf_slot(s + ip - 1), (uint32_t)(ip - 1));
            continue;
        }
        if (op >= cap)
            return 0;
        o[op++] = s[ip++];
        if (++lit == LZF_MAX_LIT) {
            o[op - lit - 1] = LZF_MAX_LIT - 1;
            lit = 0;
            op++; /* may pass cap: every later test then fails */
        }
    }
    /* At most two bytes are left, plus perhaps a control byte. */
    if (op + 3 > cap)
        return 0;
    while (ip < n) {
        o[op++] = s[ip++];
        if (++lit == LZF_MAX_LIT) {
            o[op - lit - 1] = LZF_MAX_LIT - 1;
            lit = 0;
            op++;
        }
    }
    if (lit)
        o[op - lit - 1] = (unsigned char)(lit - 1);
    else
        op--;
    return op;
}

size_t kv_lzf_compress(const void *in, size_t in_len, void *out, size_t out_len)
{
    uint32_t small[LZF_SMALL_CELLS];
    lzf_tab t;
    size_t got, cells = 64;

    /* liblzf takes unsigned int lengths; positions are kept in 32 bits. */
    if (in_len == 0 || out_len == 0 || in_len > UINT32_MAX - 1)
        return 0;
    if (in_len <= LZF_SMALL) {
        while (cells < 2 * in_len)
            cells *= 2;
        memset(small, 0, cells * sizeof small[0]);
        t.cell = small;
        t.mask = (uint32_t)(cells - 1);
        return compress((const unsigned char *)in, in_len, (unsigned char *)out, out_len, &t);
    }
    t.cell = (uint32_t *)kv_xcalloc((size_t)1 << LZF_HLOG, sizeof(uint32_t));
    t.mask = 0;
    got = compress((const unsigned char *)in, in_len, (unsigned char *)out, out_len, &t);
    free(t.cell);
    return got;
}
