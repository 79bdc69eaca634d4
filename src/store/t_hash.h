/* Hash values (kv_obj type KV_TYPE_HASH) in Redis 7.0's two encodings:
 * "listpack" (field, value, field, value... in insertion order) while small,
 * and "hashtable" (the store's dict, one allocation per field holding field
 * and value). Conversion is one-way, as in Redis. The commands are in
 * src/cmd/hashes.c; this module owns the data structure. */
#ifndef KEVY_STORE_T_HASH_H
#define KEVY_STORE_T_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "store/listpack.h"
#include "store/object.h"

/* Redis 7.0.15's defaults (CONFIG GET hash-max-listpack-*): a hash stays a
 * listpack while it has at most this many fields and every field and value
 * is at most this many bytes. kv_hash_opts carries the live values. */
#define KV_HASH_MAX_LISTPACK_ENTRIES 512
#define KV_HASH_MAX_LISTPACK_VALUE 64

/* What an operation that may convert a hash needs: the conversion limits
 * (the server's live settings) and the SipHash key of a new dict. */
typedef struct kv_hash_opts {
    size_t max_lp_entries;
    size_t max_lp_value;
    const uint8_t *seed; /* 16 bytes */
} kv_hash_opts;

/* Redis's defaults with the given dict seed. */
void kv_hash_opts_init(kv_hash_opts *opts, const uint8_t seed[16]);

/* An empty listpack-encoded hash. */
kv_obj *kv_hash_new(void);
size_t kv_hash_len(const kv_obj *o);

/* Values are read as kv_lpval: bytes (s, n), or the integer v when s is NULL
 * (a listpack stores canonical integers as numbers). Pointers stay valid
 * until the hash is modified. */
int kv_hash_get(kv_obj *o, const char *f, size_t fn, kv_lpval *val);
int kv_hash_exists(kv_obj *o, const char *f, size_t fn);
/* Length in bytes of a value as a string (HSTRLEN), 0 if absent. */
size_t kv_hash_strlen(kv_obj *o, const char *f, size_t fn);

/* Set field f to v (converting to a hashtable first when f or v is longer
 * than max_lp_value, and after the write, an update too, when there are
 * more than max_lp_entries fields). Returns 1 if the field is new, 0 if
 * updated. */
int kv_hash_set(kv_obj *o, const char *f, size_t fn, const char *v, size_t vn,
                const kv_hash_opts *opts);
/* 1 if the field existed and was removed. A hash is never converted back. */
int kv_hash_del(kv_obj *o, const char *f, size_t fn);
/* Convert a listpack hash to a hashtable (no-op if it already is one). */
void kv_hash_convert(kv_obj *o, const uint8_t seed[16]);

/* Every field/value pair in the encoding's order (listpack: insertion
 * order). fn must not modify the hash. */
typedef void (*kv_hash_pair_fn)(void *arg, const kv_lpval *field, const kv_lpval *value);
void kv_hash_foreach(kv_obj *o, kv_hash_pair_fn fn, void *arg);

/* One HSCAN step over a hashtable, Redis's guarantees (see kv_dict_scan);
 * a listpack hash is reported whole and 0 returned. */
unsigned long kv_hash_scan(kv_obj *o, unsigned long cursor, kv_hash_pair_fn fn, void *arg);

/* count pairs picked at random, repetitions allowed (HRANDFIELD with a
 * negative count), into fields[i], values[i]; the hash must not be empty.
 * rng: any state, advanced. */
void kv_hash_random_pairs(kv_obj *o, size_t count, uint64_t *rng, kv_lpval *fields,
                          kv_lpval *values);
/* Up to count distinct pairs at random (all of them, in encoding order, if
 * count >= the length): fields[i], values[i] for i < returned count. The
 * arrays hold count entries. */
size_t kv_hash_random_distinct(kv_obj *o, size_t count, uint64_t *rng, kv_lpval *fields,
                               kv_lpval *values);

/* Bytes the value occupies (header, listpack or table, nodes), as glibc
 * malloc spends them. */
size_t kv_hash_mem(const kv_obj *o);

#endif
