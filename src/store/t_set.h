/* Set values (kv_obj type KV_TYPE_SET) in Redis 7.0's two encodings:
 * "intset" while every member is an integer (string2ll rules) and there are
 * at most set-max-intset-entries of them, else "hashtable" (the store's
 * dict, one allocation per member). Redis 7.0 has no listpack sets (that
 * came in 7.2): a small set with a non-integer member is a hashtable.
 * Conversion is one-way. The commands are in src/cmd/sets.c. */
#ifndef KEVY_STORE_T_SET_H
#define KEVY_STORE_T_SET_H

#include <stddef.h>
#include <stdint.h>

#include "store/intset.h"
#include "store/listpack.h"
#include "store/object.h"

/* Redis 7.0.15's default (CONFIG GET set-max-intset-entries). */
#define KV_SET_MAX_INTSET_ENTRIES 512

/* What an operation that may convert a set needs: the limit (the server's
 * live set-max-intset-entries) and the SipHash key of a new dict. */
typedef struct kv_set_opts {
    size_t max_intset_entries;
    const uint8_t *seed; /* 16 bytes */
} kv_set_opts;

void kv_set_opts_init(kv_set_opts *opts, const uint8_t seed[16]);

/* An empty set in the encoding Redis picks for a set whose first member is
 * m: intset if m is an integer, else hashtable (setTypeCreate). */
kv_obj *kv_set_new_for(const char *m, size_t n, const kv_set_opts *opts);
/* An empty intset-encoded set (where a computed result starts, as in Redis). */
kv_obj *kv_set_new(void);
size_t kv_set_size(const kv_obj *o);

/* Members are read as kv_lpval: bytes (s, n), or the integer v when s is
 * NULL (intset members). Pointers stay valid until the set is modified. */
int kv_set_add(kv_obj *o, const char *m, size_t n, const kv_set_opts *opts);  /* 1 if added */
int kv_set_add_val(kv_obj *o, const kv_lpval *m, const kv_set_opts *opts);
int kv_set_remove(kv_obj *o, const char *m, size_t n);   /* 1 if removed */
int kv_set_remove_val(kv_obj *o, const kv_lpval *m);
int kv_set_ismember(kv_obj *o, const char *m, size_t n);
int kv_set_ismember_val(kv_obj *o, const kv_lpval *m);
/* Convert an intset to a hashtable (no-op if it is one). */
void kv_set_convert(kv_obj *o, const uint8_t seed[16]);

/* Every member in the encoding's order (intset: ascending). fn returns 0 to
 * go on, non-zero to stop (the rest of a dict bucket is then skipped too).
 * fn must not modify the set. */
typedef int (*kv_set_member_fn)(void *arg, const kv_lpval *m);
void kv_set_foreach(kv_obj *o, kv_set_member_fn fn, void *arg);

/* One SSCAN step over a hashtable (see kv_dict_scan); an intset is reported
 * whole and 0 returned. fn's return value is ignored. */
unsigned long kv_set_scan(kv_obj *o, unsigned long cursor, kv_set_member_fn fn, void *arg);

/* count members at random, repetitions allowed; the set must not be empty. */
void kv_set_random_members(kv_obj *o, size_t count, uint64_t *rng, kv_lpval *out);
/* min(count, size) distinct members at random into out (all of them, in
 * encoding order, when count >= size). */
size_t kv_set_random_distinct(kv_obj *o, size_t count, uint64_t *rng, kv_lpval *out);

/* Bytes the value occupies, as glibc malloc spends them. */
size_t kv_set_mem(const kv_obj *o);

#endif
