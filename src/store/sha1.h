/* SHA-1 (FIPS 180-4), for Redis's DEBUG DIGEST algorithm: the same dataset
 * must give the same digest on kevy and Redis. Not for security. */
#ifndef KEVY_STORE_SHA1_H
#define KEVY_STORE_SHA1_H

#include <stddef.h>
#include <stdint.h>

typedef struct kv_sha1_ctx {
    uint32_t h[5];
    uint64_t bytes;          /* message length so far */
    unsigned char block[64]; /* pending input */
    size_t used;
} kv_sha1_ctx;

void kv_sha1_init(kv_sha1_ctx *s);
void kv_sha1_update(kv_sha1_ctx *s, const void *p, size_t n);
void kv_sha1_final(kv_sha1_ctx *s, unsigned char out[20]);
/* One call: out = SHA1(p[0..n)). */
void kv_sha1(const void *p, size_t n, unsigned char out[20]);

#endif
