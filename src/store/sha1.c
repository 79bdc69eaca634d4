/* SHA-1 per FIPS 180-4: 64-byte blocks, 80 rounds, big-endian length. */
#include "store/sha1.h"

#include <string.h>

static uint32_t kv_rol(uint32_t x, int n)
{
    return (x << n) | (x >> (32 - n));
}

static void kv_sha1_block(kv_sha1_ctx *s, const unsigned char *b)
{
    uint32_t w[80], a, bb, c, d, e, f, k, t;
    int i;
    for (i = 0; i < 16; i++)
        w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
               (uint32_t)b[4 * i + 2] << 8 | (uint32_t)b[4 * i + 3];
    for (i = 16; i < 80; i++)
        w[i] = kv_rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    a = s->h[0];
    bb = s->h[1];
    c = s->h[2];
    d = s->h[3];
    e = s->h[4];
    for (i = 0; i < 80; i++) {
        if (i < 20) {
            f = (bb & c) | (~bb & d);
            k = 0x5A827999u;
        } else if (i < 40) {
            f = bb ^ c ^ d;
            k = 0x6ED9EBA1u;
        } else if (i < 60) {
            f = (bb & c) | (bb & d) | (c & d);
            k = 0x8F1BBCDCu;
        } else {
            f = bb ^ c ^ d;
            k = 0xCA62C1D6u;
        }
        t = kv_rol(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = kv_rol(bb, 30);
        bb = a;
        a = t;
    }
    s->h[0] += a;
    s->h[1] += bb;
    s->h[2] += c;
    s->h[3] += d;
    s->h[4] += e;
}

void kv_sha1_init(kv_sha1_ctx *s)
{
    s->h[0] = 0x67452301u;
    s->h[1] = 0xEFCDAB89u;
    s->h[2] = 0x98BADCFEu;
    s->h[3] = 0x10325476u;
    s->h[4] = 0xC3D2E1F0u;
    s->bytes = 0;
    s->used = 0;
}

void kv_sha1_update(kv_sha1_ctx *s, const void *p, size_t n)
{
    const unsigned char *in = p;
    s->bytes += n;
    while (n > 0) {
        size_t take = 64 - s->used < n ? 64 - s->used : n;
        memcpy(s->block + s->used, in, take);
        s->used += take;
        in += take;
        n -= take;
        if (s->used == 64) {
            kv_sha1_block(s, s->block);
            s->used = 0;
        }
    }
}

void kv_sha1_final(kv_sha1_ctx *s, unsigned char out[20])
{
    uint64_t bits = s->bytes * 8;
    unsigned char pad = 0x80, len[8];
    int i;
    kv_sha1_update(s, &pad, 1);
    pad = 0;
    while (s->used != 56)
        kv_sha1_update(s, &pad, 1);
    for (i = 0; i < 8; i++)
        len[i] = (unsigned char)(bits >> (56 - 8 * i));
    kv_sha1_update(s, len, 8);
    for (i = 0; i < 20; i++)
        out[i] = (unsigned char)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}

void kv_sha1(const void *p, size_t n, unsigned char out[20])
{
    kv_sha1_ctx s;
    kv_sha1_init(&s);
    kv_sha1_update(&s, p, n);
    kv_sha1_final(&s, out);
}
