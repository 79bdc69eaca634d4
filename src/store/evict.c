/* Approximated LRU and LFU and the eviction pool (see evict.h), following
 * Redis 7.0's evict.c: the same scores, the same pool insertion rule, the
 * same sampling per database. */
#include "store/evict.h"

#include <string.h>

#include "store/mem.h"

#define EVPOOL_SIZE 16
#define EVPOOL_KEY_INLINE 255
#define SAMPLES_MAX 64

typedef struct evslot {
    unsigned long long score; /* higher: a better candidate */
    int db;
    int used;
    size_t klen;
    char *key;                /* inl, or a heap copy of a long key */
    char inl[EVPOOL_KEY_INLINE];
} evslot;

struct kv_evpool {
    evslot s[EVPOOL_SIZE];
};

int kv_mm_policy(const char *name)
{
    static const struct { const char *name; unsigned bits; } t[] = {
        {"volatile-lru", KV_MM_VOLATILE | KV_MM_LRU},
        {"volatile-lfu", KV_MM_VOLATILE | KV_MM_LFU},
        {"volatile-random", KV_MM_VOLATILE | KV_MM_RANDOM},
        {"volatile-ttl", KV_MM_VOLATILE | KV_MM_TTL},
        {"allkeys-lru", KV_MM_ALLKEYS | KV_MM_LRU},
        {"allkeys-lfu", KV_MM_ALLKEYS | KV_MM_LFU},
        {"allkeys-random", KV_MM_ALLKEYS | KV_MM_RANDOM},
        {"noeviction", KV_MM_NOEVICTION},
    };
    size_t i;
    for (i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(t[i].name, name))
            return (int)t[i].bits;
    return -1;
}

/* ------------------------------------------------------------------ LFU */

static unsigned lfu_minutes(long long now_ms)
{
    return (unsigned)((now_ms / 1000) / 60) & 65535u;
}

unsigned kv_lfu_fresh(long long now_ms)
{
    return (lfu_minutes(now_ms) << 8) | KV_LFU_INIT_VAL;
}

unsigned kv_lfu_with_freq(long long now_ms, unsigned freq)
{
    return (lfu_minutes(now_ms) << 8) | (freq & 255u);
}

/* Minutes since ldt, on the 16-bit clock that wraps every ~45 days. */
static unsigned long lfu_elapsed(unsigned ldt, long long now_ms)
{
    unsigned long now = lfu_minutes(now_ms);
    if (now >= ldt)
        return now - ldt;
    return 65535 - ldt + now;
}

unsigned kv_lfu_value(unsigned lru, long long now_ms, int decay_time)
{
    unsigned ldt = (lru >> 8) & 65535u, counter = lru & 255u;
    unsigned long periods = decay_time > 0 ? lfu_elapsed(ldt, now_ms) / (unsigned long)decay_time : 0;
    if (periods)
        counter = periods > counter ? 0 : counter - (unsigned)periods;
    return counter;
}

/* A uniform double in [0, 1] from a xorshift64* state. */
static double rnd01(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ULL;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return (double)((x * 0x2545f4914f6cdd1dULL) >> 11) / (double)(1ULL << 53);
}

void kv_lfu_access(kv_obj *o, long long now_ms, int log_factor, int decay_time, uint64_t *rng)
{
    unsigned counter = kv_lfu_value(kv_obj_lru(o), now_ms, decay_time);
    if (counter < 255) {
        double base = (double)counter - KV_LFU_INIT_VAL, p;
        if (base < 0)
            base = 0;
        p = 1.0 / (base * log_factor + 1);
        if (rnd01(rng) < p)
            counter++;
    }
    kv_obj_set_lru(o, (lfu_minutes(now_ms) << 8) | counter);
}

unsigned long long kv_lru_idle_ms(unsigned lru, unsigned clock)
{
    if (clock >= lru)
        return (unsigned long long)(clock - lru) * 1000;
    return ((unsigned long long)clock + (KV_LRU_CLOCK_MASK - lru)) * 1000;
}

/* ------------------------------------------------------------------ pool */

kv_evpool *kv_evpool_new(void)
{
    return (kv_evpool *)kv_xcalloc(1, sizeof(kv_evpool));
}

static void slot_release(evslot *s)
{
    if (s->used && s->key != s->inl)
        free(s->key);
    s->used = 0;
}

void kv_evpool_free(kv_evpool *p)
{
    int i;
    if (!p)
        return;
    for (i = 0; i < EVPOOL_SIZE; i++)
        slot_release(&p->s[i]);
    free(p);
}

static void slot_set(evslot *s, unsigned long long score, int db, const char *key, size_t klen)
{
    s->score = score;
    s->db = db;
    s->used = 1;
    s->klen = klen;
    s->key = klen <= EVPOOL_KEY_INLINE ? s->inl : (char *)kv_xmalloc(klen);
    memcpy(s->key, key, klen);
}

/* Redis's insertion: slots are sorted by ascending score, empty ones on
 * the right; a candidate worse than every one of a full pool is dropped,
 * else it goes in place, pushing the worst out when the pool is full. */
static void pool_insert(kv_evpool *p, unsigned long long score, int db, const char *key,
                        size_t klen)
{
    evslot *s = p->s, tmp;
    int k = 0, i;
    while (k < EVPOOL_SIZE && s[k].used && s[k].score < score)
        k++;
    if (k == 0 && s[EVPOOL_SIZE - 1].used)
        return;
    for (i = 0; i < EVPOOL_SIZE; i++) /* already there (sampled twice) */
        if (s[i].used && s[i].db == db && s[i].klen == klen && !memcmp(s[i].key, key, klen))
            return;
    if (k < EVPOOL_SIZE && !s[k].used) {
        slot_set(&s[k], score, db, key, klen);
        return;
    }
    if (!s[EVPOOL_SIZE - 1].used) { /* room on the right: shift right */
        if (k >= EVPOOL_SIZE - 1)
            return; /* (the empty last slot would have been taken above) */
        memmove(&s[k + 1], &s[k], (size_t)(EVPOOL_SIZE - k - 1) * sizeof *s);
        for (i = k + 1; i < EVPOOL_SIZE; i++)
            if (s[i].used && s[i].klen <= EVPOOL_KEY_INLINE)
                s[i].key = s[i].inl;
        s[k].used = 0;
    } else { /* full: drop the worst (left), shift left */
        if (--k < 0)
            return;
        slot_release(&s[0]);
        tmp = s[0];
        if (k > 0)
            memmove(&s[0], &s[1], (size_t)k * sizeof *s);
        for (i = 0; i < k; i++)
            if (s[i].used && s[i].klen <= EVPOOL_KEY_INLINE)
                s[i].key = s[i].inl;
        s[k] = tmp;
        s[k].used = 0;
    }
    slot_set(&s[k], score, db, key, klen);
}

static unsigned long long score_of(kv_keyspace *ks, int db, kv_entry *e, unsigned policy,
                                   long long now_ms)
{
    kv_obj *o = kv_entry_val(e);
    if (policy & KV_MM_TTL)
        return ~0ULL - (unsigned long long)kv_db_get_expire(ks->db[db], e);
    if (!o)
        return 0;
    if (policy & KV_MM_LRU)
        return kv_lru_idle_ms(kv_obj_lru(o), ks->lru_clock);
    return 255 - kv_lfu_value(kv_obj_lru(o), now_ms, ks->lfu_decay_time);
}

static void pool_populate(kv_keyspace *ks, kv_evpool *p, int db, unsigned policy, int samples,
                          long long now_ms)
{
    kv_entry *got[SAMPLES_MAX];
    size_t n, i;
    if (samples > SAMPLES_MAX)
        samples = SAMPLES_MAX;
    n = (policy & KV_MM_ALLKEYS) ? kv_db_sample_keys(ks->db[db], got, (size_t)samples)
                                 : kv_db_sample_expires(ks->db[db], got, (size_t)samples);
    for (i = 0; i < n; i++) {
        size_t klen;
        const char *k = kv_entry_key(got[i], &klen);
        pool_insert(p, score_of(ks, db, got[i], policy, now_ms), db, k, klen);
    }
}

static size_t candidates(kv_keyspace *ks, int db, unsigned policy)
{
    return (policy & KV_MM_ALLKEYS) ? kv_db_size(ks->db[db]) : kv_db_expires_size(ks->db[db]);
}

int kv_evict_pick(kv_keyspace *ks, kv_evpool *pool, unsigned policy, int samples,
                  long long now_ms, int *next_db, int *db, kv_entry **e)
{
    int i, k;
    if (policy & KV_MM_RANDOM) {
        for (i = 0; i < ks->ndb; i++) {
            int d = (*next_db + i) % ks->ndb;
            kv_entry *got = NULL;
            if (!candidates(ks, d, policy))
                continue;
            if (policy & KV_MM_ALLKEYS)
                got = kv_db_random(ks->db[d]);
            else
                kv_db_sample_expires(ks->db[d], &got, 1);
            if (got) {
                *next_db = (d + 1) % ks->ndb;
                *db = d;
                *e = got;
                return 1;
            }
        }
        return 0;
    }
    for (;;) {
        size_t total = 0;
        for (i = 0; i < ks->ndb; i++) {
            size_t c = candidates(ks, i, policy);
            if (c) {
                pool_populate(ks, pool, i, policy, samples, now_ms);
                total += c;
            }
        }
        if (!total)
            return 0;
        /* The best candidate still there; others gone meanwhile are ghosts. */
        for (k = EVPOOL_SIZE - 1; k >= 0; k--) {
            evslot *s = &pool->s[k];
            kv_entry *f;
            if (!s->used)
                continue;
            f = s->db < ks->ndb ? kv_db_lookup(ks->db[s->db], s->key, s->klen) : NULL;
            if (f && !(policy & KV_MM_ALLKEYS) && !kv_entry_has_expire(f))
                f = NULL;
            *db = s->db;
            slot_release(s);
            if (f) {
                *e = f;
                return 1;
            }
        }
    }
}
