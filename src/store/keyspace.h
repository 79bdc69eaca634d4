/* A shard's keyspace: its databases (SELECT 0..ndb-1), lazy and active
 * expiry, and the keyspace counters INFO reports. Used by the shard thread
 * only. Lookups here apply Redis's lazy expiry; kv_db_* calls do not. */
#ifndef KEVY_STORE_KEYSPACE_H
#define KEVY_STORE_KEYSPACE_H

#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

typedef struct kv_ks_stats {
    long long expired_keys;
    long long keyspace_hits;
    long long keyspace_misses;
    long long expired_time_cap_reached_count;
    long long expire_cycle_us; /* time spent in active expiry cycles (INFO, in ms) */
    /* INFO's expired_stale_perc (already a percentage, print with %.2f): a
     * moving average of the share of sampled TTL keys found expired. */
    double expired_stale_perc;
} kv_ks_stats;

typedef struct kv_keyspace {
    kv_db **db;
    int ndb;
    kv_ks_stats stats;
    uint64_t rng;          /* for callers that pick among dbs (spare here) */
    int expire_next_db;    /* where the next active-expiry tick starts */
    /* Stamped into a value's lru field when a lookup finds it (set it from
     * the server clock, like Redis's LRU_CLOCK; 24 bits used). */
    unsigned lru_clock;
    /* An LFU maxmemory policy is in force: the lru field holds Redis's LFU
     * pair (minutes:16, counter:8) and a lookup updates the counter with
     * these parameters (store/evict.h) instead of stamping the clock. */
    int lfu;
    int lfu_log_factor;
    int lfu_decay_time;
    /* Called before an expired key is deleted, lazily or actively (for
     * keyspace notifications and AOF/replica DELs). Must not touch the
     * keyspace. May be NULL. */
    void (*on_expire)(void *arg, int db, const char *key, size_t klen);
    void *on_expire_arg;
    /* Replaying an append-only file: nothing expires (Redis's
     * server.loading), the keys expire afterwards as usual. */
    int loading;
    /* Lazy free (Redis's lazyfree-lazy-* settings): values dropped for a
     * reason in `lazy` (KV_LAZY_*) go to drop(drop_arg, value), which may
     * free them on another thread; the others are freed here. */
    unsigned lazy;
    void (*drop)(void *arg, kv_obj *o);
    void *drop_arg;
} kv_keyspace;

#define KV_LAZY_EXPIRE 1u     /* expired, lazily or actively */
#define KV_LAZY_SERVER_DEL 2u /* overwritten or deleted implicitly by a command */
#define KV_LAZY_EVICT 4u      /* evicted by maxmemory */

kv_keyspace *kv_ks_new(int ndb, const uint8_t seed[16]);
void kv_ks_free(kv_keyspace *ks);

/* Lookups with lazy expiry: an expired key is deleted (expired_keys++) and
 * reported absent. _read counts keyspace_hits/misses, _write does not
 * (Redis's lookupKeyRead/lookupKeyWrite). */
kv_entry *kv_ks_lookup_read(kv_keyspace *ks, int db, const char *key, size_t klen, long long now_ms);
kv_entry *kv_ks_lookup_write(kv_keyspace *ks, int db, const char *key, size_t klen, long long now_ms);
/* Find or create with lazy expiry and one hash: an expired key is deleted
 * first (expired_keys++) and a fresh entry created (*created = 1, value NULL).
 * The SET path. An existing key keeps its TTL: SET clears it with kv_db_persist. */
kv_entry *kv_ks_upsert(kv_keyspace *ks, int db, const char *key, size_t klen, long long now_ms,
                       int *created);

/* One active-expiry tick (call hz times a second) over up to 16 dbs, starting
 * where the last tick stopped, like Redis's ACTIVE_EXPIRE_CYCLE_SLOW; pass
 * 25% of the tick as budget_us. Updates expired_keys, expired_stale_perc and
 * expired_time_cap_reached_count; calls on_expire for each key. */
void kv_ks_active_expire(kv_keyspace *ks, long long now_ms, long long budget_us);
/* Incremental rehashing in the background (Redis's activerehashing): up to
 * budget_us of rehash steps on the first db that needs them. */
void kv_ks_active_rehash(kv_keyspace *ks, long long budget_us);
void kv_ks_swapdb(kv_keyspace *ks, int a, int b);
/* Free a value dropped for `why` (KV_LAZY_*): through ks->drop when that
 * reason is lazy. */
void kv_ks_drop(kv_keyspace *ks, unsigned why, kv_obj *o);
/* Delete e from database db, its value dropped for `why`. */
void kv_ks_delete_entry(kv_keyspace *ks, int db, kv_entry *e, unsigned why);
/* Delete every key already expired at now_ms, in every db (after an AOF
 * replay, which expires nothing). Returns how many. */
size_t kv_ks_purge_expired(kv_keyspace *ks, long long now_ms);
size_t kv_ks_memory(const kv_keyspace *ks);   /* sum of kv_db_memory */
/* The lru field of a value created now (Redis's createObject): the LRU
 * clock, or under LFU the current minute with LFU_INIT_VAL. */
unsigned kv_ks_fresh_lru(const kv_keyspace *ks, long long now_ms);
/* A lookup's access: the LRU stamp, or the LFU counter's update. */
void kv_ks_access(kv_keyspace *ks, kv_obj *o, long long now_ms);

#endif
