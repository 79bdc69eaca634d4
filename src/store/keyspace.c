/* Per-shard keyspace: databases plus Redis's expiry policy on top of them
 * (lazy expiry in lookups, the slow active-expiry cycle) and the counters
 * INFO stats needs. */
#include "store/keyspace.h"

#include <string.h>
#include <time.h>

#include "store/dict.h"
#include "store/evict.h"
#include "store/mem.h"

#define EXPIRE_DBS_PER_TICK 16

static long long mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

kv_keyspace *kv_ks_new(int ndb, const uint8_t seed[16])
{
    kv_keyspace *ks = (kv_keyspace *)kv_xcalloc(1, sizeof *ks);
    int i;
    if (ndb < 1)
        ndb = 1;
    ks->ndb = ndb;
    ks->db = (kv_db **)kv_xcalloc((size_t)ndb, sizeof *ks->db);
    for (i = 0; i < ndb; i++)
        ks->db[i] = kv_db_new(seed);
    if (seed)
        memcpy(&ks->rng, seed + 8, sizeof ks->rng);
    return ks;
}

void kv_ks_free(kv_keyspace *ks)
{
    int i;
    if (ks == NULL)
        return;
    for (i = 0; i < ks->ndb; i++)
        kv_db_free(ks->db[i]);
    free(ks->db);
    free(ks);
}

static void expire_entry(kv_keyspace *ks, int db, kv_entry *e)
{
    if (ks->on_expire) {
        size_t klen;
        const char *k = kv_entry_key(e, &klen);
        ks->on_expire(ks->on_expire_arg, db, k, klen);
    }
    ks->stats.expired_keys++;
    kv_ks_delete_entry(ks, db, e, KV_LAZY_EXPIRE);
}

void kv_ks_drop(kv_keyspace *ks, unsigned why, kv_obj *o)
{
    if ((ks->lazy & why) && ks->drop)
        ks->drop(ks->drop_arg, o);
    else
        kv_obj_free(o);
}

void kv_ks_delete_entry(kv_keyspace *ks, int db, kv_entry *e, unsigned why)
{
    if ((ks->lazy & why) && ks->drop)
        ks->drop(ks->drop_arg, kv_db_unlink_entry(ks->db[db], e));
    else
        kv_db_delete_entry(ks->db[db], e);
}

unsigned kv_ks_fresh_lru(const kv_keyspace *ks, long long now_ms)
{
    return ks->lfu ? kv_lfu_fresh(now_ms) : ks->lru_clock;
}

void kv_ks_access(kv_keyspace *ks, kv_obj *o, long long now_ms)
{
    if (!ks->lfu)
        kv_obj_set_lru(o, ks->lru_clock);
    else
        kv_lfu_access(o, now_ms, ks->lfu_log_factor, ks->lfu_decay_time, &ks->rng);
}

static kv_entry *lookup(kv_keyspace *ks, int db, const char *key, size_t klen, long long now_ms)
{
    kv_db *d = ks->db[db];
    kv_entry *e = kv_db_lookup(d, key, klen);
    if (e == NULL)
        return NULL;
    if (kv_entry_has_expire(e) && !ks->loading && kv_db_is_expired(d, e, now_ms)) {
        expire_entry(ks, db, e);
        return NULL;
    }
    if (kv_entry_val(e))
        kv_ks_access(ks, kv_entry_val(e), now_ms);
    return e;
}

kv_entry *kv_ks_lookup_read(kv_keyspace *ks, int db, const char *key, size_t klen, long long now_ms)
{
    kv_entry *e = lookup(ks, db, key, klen, now_ms);
    if (e)
        ks->stats.keyspace_hits++;
    else
        ks->stats.keyspace_misses++;
    return e;
}

kv_entry *kv_ks_lookup_write(kv_keyspace *ks, int db, const char *key, size_t klen, long long now_ms)
{
    kv_entry *e = lookup(ks, db, key, klen, now_ms);
    if (e)
        kv_db_touch(ks->db[db], e); /* the command may change it in place */
    return e;
}

kv_entry *kv_ks_upsert(kv_keyspace *ks, int db, const char *key, size_t klen, long long now_ms,
                       int *created)
{
    kv_db *d = ks->db[db];
    uint64_t h = kv_db_hash(d, key, klen);
    kv_entry *e = kv_db_lookup_h(d, key, klen, h);
    if (e && kv_entry_has_expire(e) && !ks->loading && kv_db_is_expired(d, e, now_ms))
        expire_entry(ks, db, e);
    else if (e) {
        *created = 0;
        if (kv_entry_val(e)) /* Redis's lookupKeyWrite: an access */
            kv_ks_access(ks, kv_entry_val(e), now_ms);
        kv_db_touch(d, e);
        return e;
    }
    return kv_db_upsert_h(d, key, klen, h, created);
}

typedef struct expire_arg {
    kv_keyspace *ks;
    int db;
} expire_arg;

static void on_active_expire(void *arg, const char *key, size_t klen)
{
    expire_arg *a = (expire_arg *)arg;
    if (a->ks->on_expire)
        a->ks->on_expire(a->ks->on_expire_arg, a->db, key, klen);
}

void kv_ks_active_expire(kv_keyspace *ks, long long now_ms, long long budget_us)
{
    long long start = mono_us();
    size_t sampled = 0, expired = 0;
    int n = ks->ndb < EXPIRE_DBS_PER_TICK ? ks->ndb : EXPIRE_DBS_PER_TICK, i, capped = 0;

    for (i = 0; i < n; i++) {
        int db = ks->expire_next_db % ks->ndb;
        long long left = budget_us - (mono_us() - start);
        expire_arg a;
        kv_expire_stats st;

        if (left <= 0) {
            capped = 1;
            break;
        }
        ks->expire_next_db = (db + 1) % ks->ndb;
        a.ks = ks;
        a.db = db;
        ks->stats.expired_keys += (long long)kv_db_expire_cycle_drop(
            ks->db[db], now_ms, left, on_active_expire, &a, &st,
            (ks->lazy & KV_LAZY_EXPIRE) ? ks->drop : NULL, ks->drop_arg);
        sampled += st.sampled;
        expired += st.expired;
        if (st.time_cap_reached) {
            capped = 1;
            break;
        }
    }
    if (capped)
        ks->stats.expired_time_cap_reached_count++;
    ks->stats.expire_cycle_us += mono_us() - start;
    ks->stats.expired_stale_perc =
        (sampled ? (double)expired * 100.0 / (double)sampled : 0.0) * 0.05 +
        ks->stats.expired_stale_perc * 0.95;
}

void kv_ks_active_rehash(kv_keyspace *ks, long long budget_us)
{
    long long start = mono_us();
    int i;
    for (i = 0; i < ks->ndb; i++) {
        if (!kv_db_rehash_step(ks->db[i], 1))
            continue;
        while (kv_db_rehash_step(ks->db[i], 100) && mono_us() - start < budget_us)
            ;
        return;
    }
}

void kv_ks_swapdb(kv_keyspace *ks, int a, int b)
{
    kv_db *t = ks->db[a];
    ks->db[a] = ks->db[b];
    ks->db[b] = t;
}

size_t kv_ks_memory(const kv_keyspace *ks)
{
    size_t m = 0;
    int i;
    for (i = 0; i < ks->ndb; i++)
        m += kv_db_memory(ks->db[i]);
    return m;
}

typedef struct purge_ctx {
    kv_keyspace *ks;
    int db;
    long long now;
    size_t n;
} purge_ctx;

static void purge_visit(void *arg, kv_entry *e)
{
    purge_ctx *p = (purge_ctx *)arg;
    if (kv_entry_has_expire(e) && kv_db_is_expired(p->ks->db[p->db], e, p->now)) {
        expire_entry(p->ks, p->db, e);
        p->n++;
    }
}

size_t kv_ks_purge_expired(kv_keyspace *ks, long long now_ms)
{
    purge_ctx p;
    p.ks = ks;
    p.now = now_ms;
    p.n = 0;
    for (p.db = 0; p.db < ks->ndb; p.db++) {
        unsigned long c = 0;
        if (kv_db_expires_size(ks->db[p.db]) == 0)
            continue;
        do
            c = kv_db_scan(ks->db[p.db], c, purge_visit, &p);
        while (c);
    }
    return p.n;
}
