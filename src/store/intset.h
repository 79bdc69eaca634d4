/* Redis 7.0's intset: a sorted array of distinct integers stored at the
 * smallest width that fits them all (16, 32 or 64 bits, little-endian),
 * byte-compatible with the blobs Redis writes in RDB/DUMP payloads for small
 * integer sets. Layout: encoding (u32), length (u32), contents. */
#ifndef KEVY_STORE_INTSET_H
#define KEVY_STORE_INTSET_H

#include <stddef.h>
#include <stdint.h>

unsigned char *kv_is_new(void);
void kv_is_free(unsigned char *is);
size_t kv_is_len(const unsigned char *is);
size_t kv_is_bytes(const unsigned char *is);
/* Add v; *added = 1 if it was not there. Returns the (possibly moved) set. */
unsigned char *kv_is_add(unsigned char *is, int64_t v, int *added);
unsigned char *kv_is_remove(unsigned char *is, int64_t v, int *removed);
int kv_is_find(const unsigned char *is, int64_t v);
int64_t kv_is_get(const unsigned char *is, size_t pos); /* ascending order */
int64_t kv_is_random(const unsigned char *is, uint64_t *rng);
/* Check an untrusted blob of `size` bytes (RESTORE): 1 if the encoding is
 * valid, the length matches and values are strictly ascending. */
int kv_is_validate(const unsigned char *is, size_t size);

#endif
