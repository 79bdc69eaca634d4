/* LZF decompression (every bound checked: payloads come from clients) and a
 * small greedy compressor of our own: a hash of the next three bytes finds
 * the last position they occurred at, a match of 3..264 bytes within 8 KiB
 * becomes a back-reference, and input that keeps failing to match is
 * stepped over faster. Roughly 0.2-1 GB/s each way, by data. */
#include "store/lzf.h"

#include <stdint.h>
#include <string.h>

#define LZF_MAX_LIT 32
#define LZF_MAX_OFF 8192
#define LZF_MAX_REF 264 /* 2 + 7 + 255 */
#define LZF_HBITS 13

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

static unsigned lzf_hash(const unsigned char *p)
{
    uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
    return (unsigned)((v * 2654435761u) >> (32 - LZF_HBITS));
}

/* The compressor's output state: the open literal run's control byte sits
 * at ctrl and holds lit bytes so far. */
typedef struct lzf_out {
    unsigned char *o;
    size_t op, cap, ctrl, lit;
} lzf_out;

/* Copy n literal bytes, closing runs at 32; 0 if the output is full. */
static int put_literals(lzf_out *w, const unsigned char *p, size_t n)
{
    while (n > 0) {
        size_t k = LZF_MAX_LIT - w->lit;
        if (k > n)
            k = n;
        if (k > w->cap - w->op)
            return 0;
        memcpy(w->o + w->op, p, k);
        w->op += k;
        w->lit += k;
        p += k;
        n -= k;
        if (w->lit == LZF_MAX_LIT) {
            w->o[w->ctrl] = LZF_MAX_LIT - 1;
            if (w->op >= w->cap)
                return 0;
            w->ctrl = w->op++;
            w->lit = 0;
        }
    }
    return 1;
}

/* A back-reference of len bytes starting `back` + 1 bytes back. */
static int put_ref(lzf_out *w, size_t len, size_t back)
{
    if (w->lit)
        w->o[w->ctrl] = (unsigned char)(w->lit - 1);
    else
        w->op--; /* drop the empty run's control byte */
    if (w->cap - w->op < 4)
        return 0;
    if (len - 2 < 7) {
        w->o[w->op++] = (unsigned char)(((len - 2) << 5) | (back >> 8));
    } else {
        w->o[w->op++] = (unsigned char)((7u << 5) | (back >> 8));
        w->o[w->op++] = (unsigned char)(len - 2 - 7);
    }
    w->o[w->op++] = (unsigned char)(back & 0xff);
    w->ctrl = w->op++;
    w->lit = 0;
    return 1;
}

size_t kv_lzf_compress(const void *in, size_t in_len, void *out, size_t out_len)
{
    const unsigned char *s = (const unsigned char *)in;
    uint32_t last[1u << LZF_HBITS]; /* position + 1; 0 = none */
    size_t ip = 0, misses = 0;
    lzf_out w;

    if (in_len == 0 || out_len == 0 || in_len > UINT32_MAX - 1)
        return 0;
    memset(last, 0, sizeof last);
    w.o = (unsigned char *)out;
    w.cap = out_len;
    w.ctrl = 0;
    w.op = 1;
    w.lit = 0;
    while (in_len - ip >= 3) {
        unsigned h = lzf_hash(s + ip);
        size_t cand = last[h], step;
        last[h] = (uint32_t)(ip + 1);
        if (cand != 0 && ip - (cand - 1) <= LZF_MAX_OFF && s[cand - 1] == s[ip] &&
            s[cand] == s[ip + 1] && s[cand + 1] == s[ip + 2]) {
            size_t from = cand - 1, max = in_len - ip, len = 3;
            if (max > LZF_MAX_REF)
                max = LZF_MAX_REF;
            while (len < max && s[from + len] == s[ip + len])
                len++;
            if (!put_ref(&w, len, ip - from - 1))
                return 0;
            ip += len;
            misses = 0;
            continue;
        }
        /* Data that keeps missing is passed over faster (as LZ4 does): a
         * little ratio for a lot of speed on incompressible input. */
        step = 1 + (misses++ >> 5);
        if (step > in_len - ip)
            step = in_len - ip;
        if (!put_literals(&w, s + ip, step))
            return 0;
        ip += step;
    }
    if (!put_literals(&w, s + ip, in_len - ip))
        return 0;
    if (w.lit)
        w.o[w.ctrl] = (unsigned char)(w.lit - 1);
    else
        w.op--;
    return w.op;
}
