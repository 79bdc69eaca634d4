/* One database: keys -> kv_obj values, plus expiry times. One allocation per
 * key (the entry: chain link, value pointer, key bytes inline) besides the
 * value itself; lookups hash once (keyed SipHash) and never allocate. */

/* Expiry layout, and why: an entry carries only a "has TTL" bit; the times
 * live in a second table of 24-byte nodes keyed by the entry's address. So
 *  - keys without a TTL pay nothing (an always-present 8-byte field would cost
 *    +8 bytes per key on average after allocator rounding, e.g. 48 -> 64 bytes
 *    for a 16-byte key), and reading them never touches the second table;
 *  - kv_db_set_expire never moves an entry: kv_entry pointers stay valid;
 *  - active expiry samples only keys that have a TTL (like Redis's expires
 *    dict), and the table rehashes incrementally, so no latency spikes;
 *  - a key with a TTL costs one 24-byte node (32 with malloc's header) plus a
 *    bucket slot, the same as the dictEntry Redis spends on it.
 * kv_entry pointers are valid until the key is deleted (or the db cleared). */
#ifndef KEVY_STORE_DB_H
#define KEVY_STORE_DB_H

#include <stddef.h>
#include <stdint.h>

#include "store/object.h"

typedef struct kv_db kv_db;
typedef struct kv_entry kv_entry;   /* one key; opaque */

kv_db *kv_db_new(const uint8_t seed[16]);
void kv_db_free(kv_db *db);
void kv_db_clear(kv_db *db);                     /* FLUSHDB */
size_t kv_db_size(const kv_db *db);
size_t kv_db_expires_size(const kv_db *db);      /* keys with a TTL */

kv_entry *kv_db_lookup(kv_db *db, const char *key, size_t klen);  /* raw: ignores expiry */
/* Find or create: on create, *created = 1 and the entry's value is NULL until
 * kv_db_set_val. One hash computation. */
kv_entry *kv_db_upsert(kv_db *db, const char *key, size_t klen, int *created);

kv_obj *kv_entry_val(const kv_entry *e);
/* Put val under e (the old value is freed) / detach e's value without
 * freeing it. Both keep the db's memory account (kv_db_memory). */
void kv_db_set_val(kv_db *db, kv_entry *e, kv_obj *val);
kv_obj *kv_db_take_val(kv_db *db, kv_entry *e);
/* e's value is about to change in place (a write command found it): the db
 * measures it now and again before its memory is next read, so growth in
 * place (RPUSH, APPEND, HSET...) is counted. Keyspace lookups for write and
 * kv_db_upsert of an existing key call it. */
void kv_db_touch(kv_db *db, kv_entry *e);
const char *kv_entry_key(const kv_entry *e, size_t *klen);
int kv_entry_has_expire(const kv_entry *e);        /* cheap: no table lookup */

long long kv_db_get_expire(const kv_db *db, const kv_entry *e);   /* unix ms, or -1 */
/* Never moves e. */
void kv_db_set_expire(kv_db *db, kv_entry *e, long long when_ms);
int kv_db_persist(kv_db *db, kv_entry *e);                         /* 1 if a TTL was removed */
/* 1 if e has a TTL and now_ms is past it (Redis: expired when now > when). */
int kv_db_is_expired(const kv_db *db, const kv_entry *e, long long now_ms);

int kv_db_delete(kv_db *db, const char *key, size_t klen);         /* 1 if it existed; frees key and value */
void kv_db_delete_entry(kv_db *db, kv_entry *e);
/* Delete e but hand its value back instead of freeing it (lazy free). */
kv_obj *kv_db_unlink_entry(kv_db *db, kv_entry *e);

/* The hash of a key in this db, and lookups that reuse it, so a command that
 * looks a key up and then writes it hashes once. */
uint64_t kv_db_hash(const kv_db *db, const char *key, size_t klen);
kv_entry *kv_db_lookup_h(kv_db *db, const char *key, size_t klen, uint64_t hash);
kv_entry *kv_db_upsert_h(kv_db *db, const char *key, size_t klen, uint64_t hash, int *created);

/* Active expiry, Redis 7.0's algorithm: walk the TTL table with a persistent
 * cursor sampling up to 20 keys per round, delete the expired ones (calling
 * on_expire(arg, key, klen) before each delete; it must not touch the db),
 * and repeat while more than 10% of a round's sample was expired and
 * time_budget_us is not used up (checked every 16 rounds, like Redis).
 * Returns keys deleted. */
size_t kv_db_expire_cycle(kv_db *db, long long now_ms, long long time_budget_us,
                          void (*on_expire)(void *arg, const char *key, size_t klen),
                          void *arg);
typedef struct kv_expire_stats {
    size_t sampled, expired;
    int time_cap_reached;
} kv_expire_stats;
/* The same, with what it saw (for INFO's expired_stale_perc and
 * expired_time_cap_reached_count). */
size_t kv_db_expire_cycle_ex(kv_db *db, long long now_ms, long long time_budget_us,
                             void (*on_expire)(void *arg, const char *key, size_t klen),
                             void *arg, kv_expire_stats *st);
/* The same, handing each expired value to drop(drop_arg, value) instead of
 * freeing it (lazyfree-lazy-expire); drop NULL frees as above. */
typedef void (*kv_db_drop_fn)(void *arg, kv_obj *o);
size_t kv_db_expire_cycle_drop(kv_db *db, long long now_ms, long long time_budget_us,
                               void (*on_expire)(void *arg, const char *key, size_t klen),
                               void *arg, kv_expire_stats *st, kv_db_drop_fn drop,
                               void *drop_arg);

/* SCAN over keys (see kv_dict_scan for the guarantee). fn may delete the
 * entry it is given, nothing else. */
unsigned long kv_db_scan(kv_db *db, unsigned long cursor,
                         void (*fn)(void *arg, kv_entry *e), void *arg);
kv_entry *kv_db_random(kv_db *db);   /* NULL if empty */
/* Up to count distinct entries that have a TTL, for volatile-* eviction. */
size_t kv_db_sample_expires(kv_db *db, kv_entry **out, size_t count);
/* maxmemory: the bytes left before the limit. While doubling the key
 * table would take more, it grows only past 1.618 keys per bucket (Redis
 * 7.0's dictExpandAllowed), so a table doubling does not overshoot. */
void kv_db_set_room(kv_db *db, size_t room);
/* Up to count distinct entries (Redis's dictGetSomeKeys), for allkeys-*. */
size_t kv_db_sample_keys(kv_db *db, kv_entry **out, size_t count);
/* Move up to nbuckets buckets of running rehashes; 1 while more remains. */
int kv_db_rehash_step(kv_db *db, int nbuckets);

/* Bytes the db holds (tables, entries, expire nodes, values), modelled on
 * glibc malloc's chunk sizes, in O(1): entries and expire nodes are counted
 * as they are made and freed, values with kv_obj_mem as they are attached,
 * detached and touched (kv_db_touch; the entries touched since the last
 * call are measured again here). The figure maxmemory is enforced on. */
size_t kv_db_memory(kv_db *db);
/* The same figure recomputed from every value (O(keys)): tests check that
 * the running account equals it. */
size_t kv_db_memory_recount(kv_db *db);
/* MEMORY USAGE: the allocator chunk of the key's entry (link, value
 * pointer, key bytes), with its expire node if it has a TTL. */
size_t kv_db_entry_mem(const kv_db *db, const kv_entry *e);
/* MEMORY STATS: the key table (bucket array and entries, keys inline) and
 * the expire table (bucket array and nodes), in allocator chunks. */
void kv_db_overhead(const kv_db *db, size_t *main, size_t *expires);

/* Point-in-time snapshots without fork (docs/architecture.md, persistence).
 * Between begin and end, every entry that existed at begin is handed to fn
 * exactly once, with its value and TTL as they were at begin: either when
 * the snapshot's own walk reaches it (kv_db_snapshot_take) or, earlier,
 * just before anything reads, changes or deletes it (every kv_db lookup,
 * upsert of an existing key and delete calls fn first). Entries created
 * after begin are never handed over. One bit per entry tells saved from not
 * (the low bit of its value pointer, flipped in meaning at each begin), so
 * end must come only after the walk covered the whole db, or for a db that
 * is being discarded. fn must not touch the db. */
typedef void (*kv_db_presave_fn)(void *arg, kv_db *db, kv_entry *e);
void kv_db_snapshot_begin(kv_db *db, kv_db_presave_fn fn, void *arg);
void kv_db_snapshot_end(kv_db *db);
/* Hand e to fn now unless it was already (the walk's step). */
void kv_db_snapshot_take(kv_db *db, kv_entry *e);

#endif
