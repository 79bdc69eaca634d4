/* Redis's DEBUG DIGEST algorithm, so the same dataset gives the same digest
 * on kevy and on Redis. Two primitives on a 20-byte digest d:
 *   xor: d ^= SHA1(bytes)              (order-free: sets, keys of a db)
 *   mix: d = SHA1(d ^ SHA1(bytes))     (order-sensitive: lists, pairs)
 * A value's digest (Redis's xorObjectDigest), starting from d all zero:
 *   mix(d, htonl(type) as 4 bytes); then the value:
 *   string: mix(d, its bytes) (int encoding as its decimal digits);
 *   list:   mix(d, element) for each element, head to tail;
 *   set:    xor(d, member) for each member;
 *   zset:   for each member: e = 0; mix(e, member); mix(e, score as
 *           Redis's "%.17g" text); then xor(d, e);
 *   hash:   for each field: e = 0; mix(e, field); mix(e, value); xor(d, e);
 * then, if the key has a TTL, xor(d, "!!expire!!").
 * Collection types are digested by functions their modules own (the
 * digest_<type>.c files); until one is written it returns
 * KV_DIGEST_UNSUPPORTED and DEBUG DIGEST replies an error. */
#ifndef KEVY_STORE_DIGEST_H
#define KEVY_STORE_DIGEST_H

#include <stddef.h>

#include "store/object.h"

#define KV_DIGEST_OK 0
#define KV_DIGEST_UNSUPPORTED (-1)

void kv_digest_xor(unsigned char d[20], const void *p, size_t n);
void kv_digest_mix(unsigned char d[20], const void *p, size_t n);

/* The value part of a key's digest (type and value; not the TTL mark, not
 * the key): mixes into d, which the caller zeroes. */
int kv_digest_value(unsigned char d[20], const kv_obj *o);

/* Each adds one value's elements to d as described above (the type word is
 * already mixed in). Owned by the type's module. */
int kv_digest_list(unsigned char d[20], const kv_obj *o);
int kv_digest_set(unsigned char d[20], const kv_obj *o);
int kv_digest_zset(unsigned char d[20], const kv_obj *o);
int kv_digest_hash(unsigned char d[20], const kv_obj *o);
int kv_digest_stream(unsigned char d[20], const kv_obj *o);

#endif
