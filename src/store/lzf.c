/* LZF decompression (every bound checked: payloads come from clients) and a
 * small greedy compressor of our own: a hash of the next three bytes finds
 * the last position they occurred at, and a match of 3..264 bytes within
 * 8 KiB becomes a back-reference. */
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
            /* Byte by byte: a reference may overlap what it produces. */
            for (i = 0; i < len; i++, op++)
                o[op] = o[op - back];
        }
    }
    return op;
}

static unsigned lzf_hash(const unsigned char *p)
{
    uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
    return (unsigned)((v * 2654435761u) >> (32 - LZF_HBITS));
}

size_t kv_lzf_compress(const void *in, size_t in_len, void *out, size_t out_len)
{
    const unsigned char *s = (const unsigned char *)in;
    unsigned char *o = (unsigned char *)out;
    uint32_t last[1u << LZF_HBITS]; /* position + 1; 0 = none */
    size_t ip = 0, op = 0, ctrl, lit = 0;

    if (in_len == 0 || out_len == 0 || in_len > UINT32_MAX - 1)
        return 0;
    memset(last, 0, sizeof last);
    ctrl = op++; /* the open literal run's control byte */
    while (ip < in_len) {
        if (in_len - ip >= 3) {
            unsigned h = lzf_hash(s + ip);
            size_t cand = last[h], max, len, back;
            last[h] = (uint32_t)(ip + 1);
            if (cand && ip - (cand - 1) <= LZF_MAX_OFF &&
                memcmp(s + cand - 1, s + ip, 3) == 0) {
                cand--;
                max = in_len - ip < LZF_MAX_REF ? in_len - ip : LZF_MAX_REF;
                for (len = 3; len < max && s[cand + len] == s[ip + len]; len++)
                    ;
                back = ip - cand - 1;
                if (lit)
                    o[ctrl] = (unsigned char)(lit - 1);
                else
                    op--; /* drop the empty run's control byte */
                if (op + 3 + 1 > out_len)
                    return 0;
                if (len - 2 < 7) {
                    o[op++] = (unsigned char)(((len - 2) << 5) | (back >> 8));
                } else {
                    o[op++] = (unsigned char)((7u << 5) | (back >> 8));
                    o[op++] = (unsigned char)(len - 2 - 7);
                }
                o[op++] = (unsigned char)(back & 0xff);
                ip += len;
                lit = 0;
                ctrl = op++;
                continue;
            }
        }
        if (op >= out_len)
            return 0;
        o[op++] = s[ip++];
        if (++lit == LZF_MAX_LIT) {
            o[ctrl] = (unsigned char)(lit - 1);
            lit = 0;
            if (op >= out_len)
                return 0;
            ctrl = op++;
        }
    }
    if (lit)
        o[ctrl] = (unsigned char)(lit - 1);
    else
        op--;
    return op;
}
