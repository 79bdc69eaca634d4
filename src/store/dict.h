/* Generic intrusive chained hash table in the style of Redis's dict:
 * power-of-two bucket arrays, incremental rehashing (a rehash moves a few
 * buckets per operation, so no single call pays for a whole resize), and a
 * reverse-binary cursor SCAN that survives resizes between calls. One thread
 * only: no locks, no atomics. Nodes are embedded in the caller's structs. */
#ifndef KEVY_STORE_DICT_H
#define KEVY_STORE_DICT_H

#include <stddef.h>
#include <stdint.h>

typedef struct kv_dnode {
    struct kv_dnode *next;
} kv_dnode;

/* hash_node must return the same value the caller passes as `hash` for that
 * node's key (for keys hashed with kv_dict_hash: kv_siphash(key, seed)). It
 * is called when a rehash moves the node, never on lookups. */
typedef struct kv_dict_type {
    uint64_t (*hash_node)(const kv_dnode *n, const uint8_t seed[16]);
    int (*node_eq)(const kv_dnode *n, const void *key, size_t klen);
} kv_dict_type;

/* Embeddable; fields are private. During a rehash table[0] is the old table
 * (buckets below rehashidx already moved) and table[1] the new one. */
typedef struct kv_dict {
    const kv_dict_type *type;
    kv_dnode **table[2];
    size_t used[2];
    long rehashidx;       /* -1: not rehashing */
    int pause;            /* > 0: a scan is running; no rehash steps, no resize */
    signed char exp[2];   /* log2 of the bucket count; -1: no table */
    /* Growing would pass maxmemory (set by the db's owner): the table
     * doubles only past 1.618 keys per bucket, as Redis 7.0's
     * dictExpandAllowed decides. */
    unsigned char capped;
    uint8_t seed[16];
} kv_dict;

void kv_dict_init(kv_dict *d, const kv_dict_type *t, const uint8_t seed[16]);
/* Free every node with free_node(node, arg) (may be NULL) and reset to empty. */
void kv_dict_clear(kv_dict *d, void (*free_node)(kv_dnode *n, void *arg), void *arg);
/* kv_siphash(key, klen, the dict's seed). */
uint64_t kv_dict_hash(const kv_dict *d, const void *key, size_t klen);
kv_dnode *kv_dict_find(kv_dict *d, const void *key, size_t klen, uint64_t hash);
/* The caller guarantees the key is absent. Grows the table at load 1. */
void kv_dict_add(kv_dict *d, kv_dnode *n, uint64_t hash);
/* Removed node or NULL. Shrinks the table when it falls below 10% full. */
kv_dnode *kv_dict_unlink(kv_dict *d, const void *key, size_t klen, uint64_t hash);
/* Replace node `old` (currently in the dict) by `repl` with the same key,
 * e.g. after a realloc. */
void kv_dict_replace(kv_dict *d, kv_dnode *old, kv_dnode *repl, uint64_t hash);
size_t kv_dict_size(const kv_dict *d);

/* One SCAN step: calls fn on the nodes of one bucket (a few while rehashing)
 * and returns the next cursor, 0 when the scan is complete. Every node that
 * is present from the first call to the last is reported at least once, even
 * if the table grows, shrinks or rehashes between calls; nodes may be
 * reported more than once. fn may unlink (and free) the node it is given, but
 * must not unlink other nodes or add any: resizing is paused while fn runs
 * (a shrink those deletes call for starts when the call returns). */
unsigned long kv_dict_scan(kv_dict *d, unsigned long cursor,
                           void (*fn)(void *arg, kv_dnode *n), void *arg);

/* A random node, NULL if empty: picked among up to 20 sampled nodes, so long
 * chains are not favoured (like Redis's dictGetFairRandomKey). */
kv_dnode *kv_dict_random(kv_dict *d, uint64_t *rng_state);
/* Up to `count` distinct nodes from consecutive buckets starting at a random
 * position (for eviction/expiry sampling). Returns how many. May return fewer
 * than min(count, size) when the table is very sparse. */
size_t kv_dict_sample(kv_dict *d, kv_dnode **out, size_t count, uint64_t *rng_state);
/* Move up to nbuckets buckets of a running rehash; 1 while more remains. */
int kv_dict_rehash_step(kv_dict *d, int nbuckets);

/* Added helpers. */
/* kv_dict_find without the rehash step, for read-only callers. */
kv_dnode *kv_dict_find_ro(const kv_dict *d, const void *key, size_t klen, uint64_t hash);
/* Up to `count` nodes from buckets spread evenly over the table(s), changing
 * nothing (for estimates from const contexts); all nodes when the dict holds
 * at most `count`. */
size_t kv_dict_peek(const kv_dict *d, const kv_dnode **out, size_t count);
int kv_dict_is_rehashing(const kv_dict *d);
size_t kv_dict_buckets(const kv_dict *d);     /* bucket slots allocated, both tables */
uint64_t kv_dict_rng_next(uint64_t *rng_state);  /* splitmix64; any state works */

#endif
