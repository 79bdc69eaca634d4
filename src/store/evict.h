/* Redis's approximated LRU and LFU, and the choice of the key to evict:
 * the lru field of a value (object.h) holds either the LRU clock of its
 * last access or, under an LFU policy, Redis's LFU pair (the minute of the
 * last decrement in 16 bits, a logarithmic counter in 8), and an eviction
 * pool keeps the best candidates of the samples taken so far, as Redis's
 * evictionPoolPopulate does. Used by the shard thread only. */
#ifndef KEVY_STORE_EVICT_H
#define KEVY_STORE_EVICT_H

#include <stddef.h>
#include <stdint.h>

#include "store/keyspace.h"

/* maxmemory-policy, as Redis numbers its flags. */
#define KV_MM_VOLATILE 0x0u
#define KV_MM_LRU 0x1u
#define KV_MM_LFU 0x2u
#define KV_MM_TTL 0x4u
#define KV_MM_RANDOM 0x8u
#define KV_MM_ALLKEYS 0x10u
#define KV_MM_NOEVICTION 0x20u

#define KV_LFU_INIT_VAL 5
#define KV_LRU_CLOCK_MASK ((1u << 24) - 1)

/* The policy's bits for its name ("allkeys-lru"...); -1 if unknown. */
int kv_mm_policy(const char *name);

/* Redis's LFU. fresh: a new value's field (LFU_INIT_VAL, this minute).
 * value: LFUDecrAndReturn, the counter decayed by one per lfu-decay-time
 * minutes since its last decrement (not stored). access: updateLFU, the
 * decayed counter incremented with probability 1 / ((counter - 5) *
 * lfu-log-factor + 1), stored with this minute. */
unsigned kv_lfu_fresh(long long now_ms);
unsigned kv_lfu_value(unsigned lru, long long now_ms, int decay_time);
void kv_lfu_access(kv_obj *o, long long now_ms, int log_factor, int decay_time, uint64_t *rng);
/* The field for RESTORE's FREQ (0..255) under LFU. */
unsigned kv_lfu_with_freq(long long now_ms, unsigned freq);
/* Redis's estimateObjectIdleTime in ms from the 24-bit LRU clock (s). */
unsigned long long kv_lru_idle_ms(unsigned lru, unsigned clock);

/* The eviction pool: the 16 best candidates seen, by Redis's score (idle
 * time for LRU, 255 - counter for LFU, the inverse of the expire time for
 * TTL), each with a copy of its key. */
typedef struct kv_evpool kv_evpool;
kv_evpool *kv_evpool_new(void);
void kv_evpool_free(kv_evpool *p);

/* The key to evict from ks under policy (not NOEVICTION): sample
 * `samples` keys of every non-empty db into the pool (LRU, LFU, TTL) or
 * pick a random key of the next db in turn (RANDOM); the volatile policies
 * only look at keys with a TTL. 1 with *db and *e set, 0 if no db has a
 * candidate. *next_db is the random policies' round-robin position. */
int kv_evict_pick(kv_keyspace *ks, kv_evpool *pool, unsigned policy, int samples,
                  long long now_ms, int *next_db, int *db, kv_entry **e);

#endif
