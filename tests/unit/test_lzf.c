/* LZF: the compressor against output taken from a real redis-server 7.0.15
 * (DUMP payloads: their compressed bytes, or their length and CRC-64 for
 * long inputs, and which inputs it stored raw), round trips at many sizes
 * and output sizes, and the decompressor on truncated, corrupt and random
 * streams, into buffers sized exactly so a sanitizer build catches any
 * overrun (canaries catch them in a plain one). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/crc64.h"
#include "store/lzf.h"
#include "test.h"

#define BIG 100000

static size_t unhex(const char *h, unsigned char *out)
{
    size_t n = 0;
    unsigned v;
    for (; h[0] && h[1]; h += 2) {
        if (sscanf(h, "%2x", &v) != 1)
            break;
        out[n++] = (unsigned char)v;
    }
    return n;
}

static uint64_t xs(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* The inputs the Redis vectors below were taken for: 0 text-like records,
 * 1 four letters at random, 2 runs of one byte (1..300), 3 noise. */
static void gen(int kind, unsigned char *p, size_t n)
{
    uint64_t x = 88172645463325252ULL, v;
    size_t i = 0, m;
    unsigned k = 0;
    char w[32];
    while (i < n) {
        switch (kind) {
        case 0:
            m = (size_t)snprintf(w, sizeof w, "user:%u:%u ", k % 97, k * 7 % 13);
            k++;
            if (m > n - i)
                m = n - i;
            memcpy(p + i, w, m);
            i += m;
            break;
        case 1:
            p[i++] = (unsigned char)('a' + (xs(&x) >> 62));
            break;
        case 2:
            v = xs(&x);
            m = 1 + (size_t)((v >> 32) % 300);
            if (m > n - i)
                m = n - i;
            memset(p + i, (int)(v >> 56), m);
            i += m;
            break;
        default:
            p[i++] = (unsigned char)(xs(&x) >> 56);
            break;
        }
    }
}

/* kind, length, Redis's compressed length (0: stored raw), its CRC-64. */
static const struct {
    int kind;
    size_t n, clen;
    uint64_t crc;
} vectors[] = {
    {0, 21, 0, 0},
    {0, 100, 71, 0x1c89c1d495d940c2ULL},
    {0, 1000, 538, 0x1d8a6838e86bbfe0ULL},
    {0, 4096, 1740, 0x1e9accc9409bdb96ULL},
    {0, 4097, 1740, 0x21fb9fa5493bf936ULL},
    {0, 65536, 25533, 0x2ffd9795ce7f45d2ULL},
    {0, 100000, 38877, 0x4252deb88eb21d3cULL},
    {1, 21, 0, 0},
    {1, 100, 84, 0xb68b23ae18bc9cfcULL},
    {1, 1000, 629, 0x3511ee649dba0499ULL},
    {1, 4096, 2485, 0x24818251393a6714ULL},
    {1, 4097, 2485, 0x4678eed4aa53ba7cULL},
    {1, 65536, 39334, 0x7a6f94faa64e1922ULL},
    {1, 100000, 60038, 0xbcf5a69916ce95f3ULL},
    {2, 21, 6, 0x8dbe14eb1c12a1daULL},
    {2, 100, 14, 0xbef809924f8197faULL},
    {2, 1000, 40, 0xd3cda47090467b0dULL},
    {2, 4096, 138, 0x69517fe7f250ad16ULL},
    {2, 4097, 138, 0x5c559a6c69f67008ULL},
    {2, 65536, 2289, 0x82828bc68b08f98eULL},
    {2, 100000, 3472, 0xc727cd98516cca43ULL},
    {3, 21, 0, 0},
    {3, 1000, 0, 0},
    {3, 4097, 0, 0},
    {3, 100000, 0, 0},
};

static void test_redis_vectors(void)
{
    unsigned char *in = malloc(BIG), *c = malloc(BIG), *d = malloc(BIG);
    size_t i, got;
    CHECK(in && c && d);
    for (i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        size_t n = vectors[i].n;
        gen(vectors[i].kind, in, n);
        /* Redis offers liblzf 4 bytes less than the input. */
        got = kv_lzf_compress(in, n, c, n - 4);
        CHECK_EQ_LL(got, vectors[i].clen);
        if (got == 0)
            continue;
        CHECK(kv_crc64(0, c, got) == vectors[i].crc);
        CHECK_EQ_LL(kv_lzf_decompress(c, got, d, n), n);
        CHECK(memcmp(in, d, n) == 0);
    }
    free(in);
    free(c);
    free(d);
}

/* Whole compressed streams from Redis DUMP payloads. */
static void test_redis_streams(void)
{
    static const struct {
        const char *in, *out;
        size_t reps;
    } s[] = {
        {"a", "016161e03700016161", 68},      /* the first byte is never referenced */
        {"abc", "0361626361e06902016263", 40}, /* matches stop 2 bytes short */
        {"x", "017878e01f00017878", 44},
    };
    unsigned char in[512], want[64], c[512];
    size_t i, j, n, wn, got;
    for (i = 0; i < sizeof s / sizeof s[0]; i++) {
        size_t k = strlen(s[i].in);
        for (n = 0, j = 0; j < s[i].reps; j++, n += k)
            memcpy(in + n, s[i].in, k);
        wn = unhex(s[i].out, want);
        got = kv_lzf_compress(in, n, c, n - 4);
        CHECK_EQ_LL(got, wn);
        CHECK(got == wn && memcmp(c, want, wn) == 0);
    }
}

/* Every output size from 0 up: the result is 0 or exactly the stream a roomy
 * buffer gets (liblzf's output does not depend on the room it is given), and
 * nothing is written past the size given. */
static void test_output_room(void)
{
    unsigned char in[700], full[800], c[800 + 16];
    size_t kind, n, cap, fn, got, j;
    for (kind = 0; kind < 3; kind++) {
        for (n = 1; n <= sizeof in; n += n < 80 ? 1 : 97) {
            gen((int)kind, in, n);
            fn = kv_lzf_compress(in, n, full, sizeof full);
            CHECK(fn > 0);
            for (cap = 0; cap <= fn + 8; cap++) {
                memset(c, 0xa5, sizeof c);
                got = kv_lzf_compress(in, n, c, cap);
                CHECK(got == 0 || (got == fn && memcmp(c, full, fn) == 0));
                for (j = cap; j < sizeof c; j++)
                    if (c[j] != 0xa5)
                        break;
                CHECK(j == sizeof c);
            }
            /* The room liblzf wants: its tests are conservative by up to
             * 4 bytes, never more. */
            CHECK(kv_lzf_compress(in, n, c, fn + 4) == fn);
        }
    }
    CHECK(kv_lzf_compress("", 0, c, 4) == 0);
    CHECK(kv_lzf_compress("ab", 2, c, 0) == 0);
}

static void test_roundtrip_sizes(void)
{
    unsigned char *in = malloc(BIG + 1), *c = malloc(BIG * 2), *d;
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    size_t n, i, cn, kind;
    CHECK(in && c);
    for (kind = 0; kind < 6; kind++) {
        for (n = 1; n <= BIG; n = n < 300 ? n + 1 : n * 5 / 4) {
            if (kind < 4) {
                gen((int)kind, in, n);
            } else {
                /* kind 4: two letters; 5: noise with copies from up to
                 * 9000 bytes back (past the 8 KiB window too). */
                for (i = 0; i < n; i++)
                    in[i] = kind == 4 ? (unsigned char)('a' + (xs(&x) & 1)) : (unsigned char)xs(&x);
                for (i = 0; kind == 5 && i < n / 64; i++) {
                    size_t to = (size_t)(xs(&x) % n), back = 1 + (size_t)(xs(&x) % 9000);
                    size_t len = 3 + (size_t)(xs(&x) % 300);
                    if (back <= to && to + len <= n)
                        memmove(in + to, in + to - back, len);
                }
            }
            cn = kv_lzf_compress(in, n, c, BIG * 2);
            CHECK(cn > 0);
            /* Exactly n bytes of room, so ASan sees any overrun. */
            d = malloc(n);
            CHECK(d != NULL);
            CHECK_EQ_LL(kv_lzf_decompress(c, cn, d, n), n);
            CHECK(memcmp(in, d, n) == 0);
            if (n > 1) /* one byte short fails cleanly */
                CHECK(kv_lzf_decompress(c, cn, d, n - 1) == 0);
            free(d);
        }
    }
    free(in);
    free(c);
}

/* Decompress into an exactly sized heap buffer: the result is at most its
 * size, and the bytes past it (a canary in a larger block) stay intact. */
static size_t hostile(const unsigned char *s, size_t n, size_t out_len)
{
    unsigned char *o = malloc(out_len + 8);
    size_t got, j;
    CHECK(o != NULL);
    memset(o + out_len, 0x5a, 8);
    got = kv_lzf_decompress(s, n, o, out_len);
    CHECK(got <= out_len);
    for (j = 0; j < 8; j++)
        CHECK(o[out_len + j] == 0x5a);
    free(o);
    return got;
}

static void test_corrupt_streams(void)
{
    unsigned char in[3000], c[4000], bad[4000];
    uint64_t x = 12345;
    size_t n = sizeof in, cn, cut, i, trial, got;
    gen(0, in, n);
    cn = kv_lzf_compress(in, n, c, sizeof c);
    CHECK(cn > 0 && cn < n);
    /* Every truncation: never the full length, never past the buffer. */
    for (cut = 0; cut < cn; cut++)
        CHECK(hostile(c, cut, n) < n);
    /* Flipped bytes: whatever comes out stays inside the buffer. */
    for (trial = 0; trial < 2000; trial++) {
        memcpy(bad, c, cn);
        for (i = 0; i < 1 + trial % 4; i++)
            bad[xs(&x) % cn] ^= (unsigned char)(1 + xs(&x) % 255);
        (void)hostile(bad, cn, n);
        (void)hostile(bad, cn, n / 2);
    }
    /* Random streams into small buffers. */
    for (trial = 0; trial < 3000; trial++) {
        size_t len = 1 + (size_t)(xs(&x) % 64);
        for (i = 0; i < len; i++)
            bad[i] = (unsigned char)xs(&x);
        (void)hostile(bad, len, 1 + (size_t)(xs(&x) % 300));
    }
    /* Hand-made: a reference before the start, a run longer than the input,
     * a long reference missing its bytes, output one byte too small. */
    CHECK(hostile((const unsigned char *)"\x00" "a" "\x20\x01", 4, 64) == 0);
    CHECK(hostile((const unsigned char *)"\x05" "abc", 4, 64) == 0);
    CHECK(hostile((const unsigned char *)"\x01" "ab" "\xe0", 4, 64) == 0);
    CHECK(hostile((const unsigned char *)"\x01" "ab" "\xe0\x05", 5, 64) == 0);
    CHECK(hostile((const unsigned char *)"\x01" "ab" "\x20\x01", 5, 4) == 0);
    got = hostile((const unsigned char *)"\x01" "ab" "\x20\x01", 5, 5);
    CHECK_EQ_LL(got, 5);
    CHECK(hostile((const unsigned char *)"\x01" "ab", 3, 1) == 0);
}

TEST_MAIN("lzf", TEST(test_redis_vectors), TEST(test_redis_streams), TEST(test_output_room),
          TEST(test_roundtrip_sizes), TEST(test_corrupt_streams))
