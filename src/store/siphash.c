/* SipHash (Aumasson & Bernstein) with the round counts as parameters; the two
 * exported variants are thin wrappers the compiler specialises. Reads are
 * little-endian whatever the host, so hashes are identical on every machine. */
#include "store/siphash.h"

#include <string.h>

static uint64_t rotl64(uint64_t x, unsigned b)
{
    return (x << b) | (x >> (64 - b));
}

static uint64_t load_le64(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
#else
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
           (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
           (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
#endif
}

#define SIP_ROUND(v0, v1, v2, v3)                                        \
    do {                                                                 \
        v0 += v1; v1 = rotl64(v1, 13); v1 ^= v0; v0 = rotl64(v0, 32);    \
        v2 += v3; v3 = rotl64(v3, 16); v3 ^= v2;                         \
        v0 += v3; v3 = rotl64(v3, 21); v3 ^= v0;                         \
        v2 += v1; v1 = rotl64(v1, 17); v1 ^= v2; v2 = rotl64(v2, 32);    \
    } while (0)

static inline uint64_t siphash_cd(const uint8_t *in, size_t len,
                                  const uint8_t key[16], int crounds,
                                  int drounds)
{
    uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
    uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
    uint64_t v3 = 0x7465646279746573ULL ^ k1;
    const uint8_t *end = in + (len & ~(size_t)7);
    uint64_t last = (uint64_t)len << 56, m;
    int i;

    for (; in != end; in += 8) {
        m = load_le64(in);
        v3 ^= m;
        for (i = 0; i < crounds; i++)
            SIP_ROUND(v0, v1, v2, v3);
        v0 ^= m;
    }
    switch (len & 7) {
    case 7: last |= (uint64_t)in[6] << 48; /* fall through */
    case 6: last |= (uint64_t)in[5] << 40; /* fall through */
    case 5: last |= (uint64_t)in[4] << 32; /* fall through */
    case 4: last |= (uint64_t)in[3] << 24; /* fall through */
    case 3: last |= (uint64_t)in[2] << 16; /* fall through */
    case 2: last |= (uint64_t)in[1] << 8;  /* fall through */
    case 1: last |= (uint64_t)in[0];       /* fall through */
    default: break;
    }
    v3 ^= last;
    for (i = 0; i < crounds; i++)
        SIP_ROUND(v0, v1, v2, v3);
    v0 ^= last;
    v2 ^= 0xff;
    for (i = 0; i < drounds; i++)
        SIP_ROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t kv_siphash(const void *in, size_t len, const uint8_t key[16])
{
    return siphash_cd((const uint8_t *)in, len, key, 1, 3);
}

uint64_t kv_siphash24(const void *in, size_t len, const uint8_t key[16])
{
    return siphash_cd((const uint8_t *)in, len, key, 2, 4);
}
