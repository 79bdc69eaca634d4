/* Keyed SipHash for the store's hash tables. The key (seed) is random per
 * process, so clients cannot choose keys that all land in one bucket (hash
 * flooding). kv_siphash is SipHash-1-3, the variant Redis uses for its dicts:
 * half the rounds of SipHash-2-4, still a keyed PRF strong enough for tables. */
#ifndef KEVY_STORE_SIPHASH_H
#define KEVY_STORE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* SipHash-1-3 of in[0..len) under the 16-byte key; the 8 output bytes read
 * as a little-endian integer (the reference's byte order). */
uint64_t kv_siphash(const void *in, size_t len, const uint8_t key[16]);

/* SipHash-2-4, the reference variant: same code with more rounds, exported so
 * the tests can check the core against the published test vectors. */
uint64_t kv_siphash24(const void *in, size_t len, const uint8_t key[16]);

#endif
