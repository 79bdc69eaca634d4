/* Unit tests for databases and the keyspace: db upsert/delete/expire/persist,
 * the active expiry cycle, SCAN and random keys, the memory estimate, and the
 * keyspace's lazy and active expiry with its INFO counters. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "store/keyspace.h"
#include "store/object.h"
#include "test.h"

static const uint8_t seed[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};

/* Bytes of a string value equal the C string want. */
static void check_bytes(const kv_obj *o, const char *want)
{
    char buf[KV_LLSTR_SIZE];
    size_t n;
    const char *p = kv_str_ptr(o, buf, &n);
    CHECK_MEM(p, n, want);
    CHECK_EQ_LL(kv_str_len(o), strlen(want));
}

/* ------------------------------------------------------------ db */

static kv_entry *put(kv_db *db, const char *k, const char *v)
{
    int created;
    kv_entry *e = kv_db_upsert(db, k, strlen(k), &created);
    kv_db_set_val(db, e, kv_str_new(v, strlen(v)));
    return e;
}

static void test_db_basic(void)
{
    kv_db *db = kv_db_new(seed);
    kv_entry *e, *e2;
    kv_obj *v;
    int created = -1;
    size_t klen;
    const char *k;
    char longkey[1000];

    CHECK_EQ_LL(kv_db_size(db), 0);
    CHECK(kv_db_lookup(db, "a", 1) == NULL);
    CHECK(kv_db_random(db) == NULL);
    e = kv_db_upsert(db, "a", 1, &created);
    CHECK_EQ_LL(created, 1);
    CHECK(kv_entry_val(e) == NULL);
    kv_db_set_val(db, e, kv_str_new("1", 1));
    e2 = kv_db_upsert(db, "a", 1, &created);
    CHECK_EQ_LL(created, 0);
    CHECK(e2 == e);
    CHECK(kv_db_lookup(db, "a", 1) == e);
    CHECK(kv_db_random(db) == e);
    k = kv_entry_key(e, &klen);
    CHECK_MEM(k, klen, "a");
    kv_db_set_val(db, e, kv_str_new("two", 3));   /* frees the old one */
    check_bytes(kv_entry_val(e), "two");
    v = kv_db_take_val(db, e);
    CHECK(kv_entry_val(e) == NULL);
    check_bytes(v, "two");
    kv_db_set_val(db, e, v);
    CHECK_EQ_LL(kv_db_size(db), 1);

    /* Empty, binary and long keys (the length moves out of the header byte
     * above 63 bytes). */
    put(db, "", "empty");
    e = put(db, "x\0y", "bin");
    k = kv_entry_key(e, &klen);
    CHECK(klen == 1);                         /* strlen: "x" only */
    {
        int c;
        kv_entry *b = kv_db_upsert(db, "x\0y", 3, &c);
        CHECK_EQ_LL(c, 1);
        k = kv_entry_key(b, &klen);
        CHECK(klen == 3 && memcmp(k, "x\0y", 3) == 0);
        kv_db_set_val(db, b, kv_str_new("b3", 2));
    }
    CHECK(kv_db_lookup(db, "", 0) != NULL);
    memset(longkey, 'L', sizeof longkey);
    {
        size_t lens[] = {62, 63, 64, 65, 255, 256, 1000}, i;
        for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
            int c;
            kv_entry *l = kv_db_upsert(db, longkey, lens[i], &c);
            CHECK_EQ_LL(c, 1);
            kv_db_set_val(db, l, kv_str_from_ll((long long)lens[i]));
            k = kv_entry_key(l, &klen);
            CHECK(klen == lens[i] && memcmp(k, longkey, klen) == 0);
        }
        for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
            long long n = 0;
            kv_entry *l = kv_db_lookup(db, longkey, lens[i]);
            CHECK(l != NULL && kv_str_to_ll(kv_entry_val(l), &n) && n == (long long)lens[i]);
        }
    }
    CHECK_EQ_LL(kv_db_size(db), 11);
    CHECK_EQ_LL(kv_db_delete(db, "nope", 4), 0);
    CHECK_EQ_LL(kv_db_delete(db, longkey, 64), 1);
    CHECK_EQ_LL(kv_db_delete(db, longkey, 64), 0);
    CHECK(kv_db_lookup(db, longkey, 64) == NULL);
    CHECK(kv_db_lookup(db, longkey, 63) != NULL);
    kv_db_delete_entry(db, kv_db_lookup(db, "a", 1));
    CHECK(kv_db_lookup(db, "a", 1) == NULL);
    CHECK_EQ_LL(kv_db_size(db), 9);
    /* An entry created without a value can be deleted. */
    kv_db_upsert(db, "novalue", 7, &created);
    CHECK_EQ_LL(kv_db_delete(db, "novalue", 7), 1);
    kv_db_clear(db);
    CHECK_EQ_LL(kv_db_size(db), 0);
    CHECK(kv_db_lookup(db, "", 0) == NULL);
    put(db, "after", "clear");
    CHECK_EQ_LL(kv_db_size(db), 1);
    kv_db_free(db);
}

static void test_db_expire(void)
{
    kv_db *db = kv_db_new(seed);
    kv_entry *a = put(db, "a", "1"), *b = put(db, "b", "2"), *c;

    CHECK_EQ_LL(kv_db_get_expire(db, a), -1);
    CHECK(!kv_entry_has_expire(a));
    CHECK_EQ_LL(kv_db_persist(db, a), 0);
    kv_db_set_expire(db, a, 5000);
    CHECK(kv_entry_has_expire(a));
    CHECK_EQ_LL(kv_db_get_expire(db, a), 5000);
    CHECK_EQ_LL(kv_db_expires_size(db), 1);
    kv_db_set_expire(db, a, 6000);             /* update, no second node */
    CHECK_EQ_LL(kv_db_get_expire(db, a), 6000);
    CHECK_EQ_LL(kv_db_expires_size(db), 1);
    CHECK(kv_db_lookup(db, "a", 1) == a);      /* the entry did not move */
    kv_db_set_expire(db, b, 0);
    CHECK_EQ_LL(kv_db_expires_size(db), 2);
    CHECK_EQ_LL(kv_db_get_expire(db, b), 0);
    kv_db_set_expire(db, b, LLONG_MAX);
    CHECK(kv_db_get_expire(db, b) == LLONG_MAX);
    /* Redis: expired when now > when. */
    CHECK(!kv_db_is_expired(db, a, 6000));
    CHECK(kv_db_is_expired(db, a, 6001));
    CHECK(!kv_db_is_expired(db, b, 6001));
    CHECK_EQ_LL(kv_db_persist(db, a), 1);
    CHECK_EQ_LL(kv_db_persist(db, a), 0);
    CHECK_EQ_LL(kv_db_get_expire(db, a), -1);
    CHECK(!kv_db_is_expired(db, a, LLONG_MAX));
    CHECK_EQ_LL(kv_db_expires_size(db), 1);
    /* Overwriting the value keeps the TTL (SET clears it explicitly). */
    kv_db_set_val(db, b, kv_str_new("3", 1));
    CHECK(kv_db_get_expire(db, b) == LLONG_MAX);
    /* Deleting a key drops its TTL. */
    CHECK_EQ_LL(kv_db_delete(db, "b", 1), 1);
    CHECK_EQ_LL(kv_db_expires_size(db), 0);
    c = put(db, "b", "4");
    CHECK_EQ_LL(kv_db_get_expire(db, c), -1);
    kv_db_set_expire(db, c, 1);
    kv_db_delete_entry(db, c);
    CHECK_EQ_LL(kv_db_expires_size(db), 0);
    {
        kv_entry *out[4];
        CHECK_EQ_LL(kv_db_sample_expires(db, out, 4), 0);
        kv_db_set_expire(db, a, 7);
        CHECK_EQ_LL(kv_db_sample_expires(db, out, 4), 1);
        CHECK(out[0] == a);
    }
    kv_db_clear(db);
    CHECK_EQ_LL(kv_db_expires_size(db), 0);
    kv_db_free(db);
}

typedef struct expired_log {
    int calls;
    int bad;                 /* callbacks for keys that should not expire */
    unsigned char seen[3000];
} expired_log;

static void on_expired(void *arg, const char *key, size_t klen)
{
    expired_log *l = (expired_log *)arg;
    char buf[16];
    int id;
    l->calls++;
    if (klen >= sizeof buf) {
        l->bad++;
        return;
    }
    memcpy(buf, key, klen);
    buf[klen] = '\0';
    id = atoi(buf + 1);
    if (buf[0] != 'x' || id < 0 || id >= 3000 || l->seen[id]) {
        l->bad++;
        return;
    }
    l->seen[id] = 1;
}

/* 3000 keys: x0..x999 expired, f1000..f1999 with a future TTL (1000 of them
 * exactly at `now`, which is not expired yet), p2000..p2999 persistent. */
static void test_expire_cycle(void)
{
    kv_db *db = kv_db_new(seed);
    expired_log log;
    long long now = 1700000000000LL;
    size_t total = 0, r;
    int i, rounds = 0, bad = 0;
    char k[16];

    memset(&log, 0, sizeof log);
    for (i = 0; i < 3000; i++) {
        kv_entry *e;
        sprintf(k, "%c%d", i < 1000 ? 'x' : i < 2000 ? 'f' : 'p', i);
        e = put(db, k, "v");
        if (i < 1000)
            kv_db_set_expire(db, e, now - 1 - i);
        else if (i < 2000)
            kv_db_set_expire(db, e, i % 2 ? now : now + i);
    }
    CHECK_EQ_LL(kv_db_expires_size(db), 2000);
    CHECK_EQ_LL(kv_db_expire_cycle(db, now, 1000000000LL, on_expired, &log) > 0, 1);
    total = (size_t)log.calls;
    /* Later ticks carry on from the saved cursor until none are left. */
    do {
        r = kv_db_expire_cycle(db, now, 1000000000LL, on_expired, &log);
        total += r;
        rounds++;
    } while (kv_db_expires_size(db) > 1000 && rounds < 10000);
    CHECK_EQ_LL(total, 1000);
    CHECK_EQ_LL(log.calls, 1000);
    CHECK_EQ_LL(log.bad, 0);
    CHECK_EQ_LL(kv_db_size(db), 2000);
    CHECK_EQ_LL(kv_db_expires_size(db), 1000);
    for (i = 0; i < 3000; i++) {
        sprintf(k, "%c%d", i < 1000 ? 'x' : i < 2000 ? 'f' : 'p', i);
        bad += (kv_db_lookup(db, k, strlen(k)) == NULL) != (i < 1000);
    }
    CHECK_EQ_LL(bad, 0);
    /* Nothing more to do at `now`; one ms later the odd f-keys go. */
    CHECK_EQ_LL(kv_db_expire_cycle(db, now, 1000000000LL, on_expired, &log), 0);
    {
        kv_expire_stats st;
        total = 0;
        rounds = 0;
        do {
            total += kv_db_expire_cycle_ex(db, now + 1, 1000000000LL, NULL, NULL, &st);
            CHECK(st.expired <= st.sampled);
        } while (kv_db_expires_size(db) > 500 && ++rounds < 10000);
        CHECK_EQ_LL(total, 500);
        CHECK_EQ_LL(kv_db_size(db), 1500);
    }
    /* Everything expired: one cycle with time to spare empties the table. */
    CHECK_EQ_LL(kv_db_expire_cycle(db, LLONG_MAX, 1000000000LL, NULL, NULL), 500);
    CHECK_EQ_LL(kv_db_expires_size(db), 0);
    CHECK_EQ_LL(kv_db_size(db), 1000);
    CHECK_EQ_LL(kv_db_expire_cycle(db, LLONG_MAX, 1000000000LL, NULL, NULL), 0);
    kv_db_free(db);
}

typedef struct scan_log {
    int n;
    unsigned char seen[5000];
} scan_log;

static void scan_fn(void *arg, kv_entry *e)
{
    scan_log *l = (scan_log *)arg;
    size_t klen;
    const char *k = kv_entry_key(e, &klen);
    char buf[16];
    memcpy(buf, k, klen);
    buf[klen] = '\0';
    l->seen[atoi(buf + 1)] = 1;
    l->n++;
}

static void test_db_scan_random(void)
{
    kv_db *db = kv_db_new(seed);
    scan_log *l = (scan_log *)calloc(1, sizeof *l);
    unsigned long cursor = 0;
    int i, missing = 0;
    char k[16];

    for (i = 0; i < 5000; i++) {
        sprintf(k, "k%d", i);
        put(db, k, "v");
    }
    do
        cursor = kv_db_scan(db, cursor, scan_fn, l);
    while (cursor != 0);
    for (i = 0; i < 5000; i++)
        missing += !l->seen[i];
    CHECK_EQ_LL(missing, 0);
    CHECK(l->n >= 5000);
    for (i = 0; i < 100; i++)
        CHECK(kv_db_random(db) != NULL);
    while (kv_db_rehash_step(db, 100))
        ;
    free(l);
    kv_db_free(db);
}

/* The estimate is exact for uniform values: entries and values at glibc's
 * chunk sizes, bucket arrays, the db header. */
static size_t chunk(size_t n)
{
    size_t c = (n + 8 + 15) & ~(size_t)15;
    return c < 32 ? 32 : c;
}

static void test_db_memory(void)
{
    kv_db *db = kv_db_new(seed);
    size_t empty = kv_db_memory(db), full;
    int i;
    char k[16], v[16];

    for (i = 0; i < 100000; i++) {
        sprintf(k, "k%09d", i);        /* 10-byte keys */
        sprintf(v, "v%09d", i);        /* 10-byte embstr values */
        put(db, k, v);
    }
    while (kv_db_rehash_step(db, 1000))
        ;
    full = kv_db_memory(db);
    /* entry: 16-byte header + 1 length byte + 10 key bytes -> 48;
     * value: 8-byte header + 10 bytes + NUL -> 32; 131072 buckets. */
    CHECK_EQ_LL(full - empty, 100000 * (chunk(16 + 1 + 10) + chunk(8 + 10 + 1)) +
                                  chunk(131072 * sizeof(void *)));
    CHECK_EQ_LL(chunk(16 + 1 + 10), 48);
    CHECK_EQ_LL(chunk(8 + 10 + 1), 32);
    for (i = 0; i < 100000; i++) {
        sprintf(k, "k%09d", i);
        kv_db_set_expire(db, kv_db_lookup(db, k, 10), 1);
    }
    while (kv_db_rehash_step(db, 1000))
        ;
    CHECK_EQ_LL(kv_db_memory(db) - full, 100000 * chunk(24) + chunk(131072 * sizeof(void *)));
    /* Active expiry deletes from inside its scan of the TTL table; the table
     * still shrinks back once they are gone. */
    while (kv_db_expires_size(db) > 0)
        kv_db_expire_cycle(db, 2, 1000000000LL, NULL, NULL);
    while (kv_db_rehash_step(db, 1000))
        ;
    CHECK_EQ_LL(kv_db_size(db), 0);
    CHECK_EQ_LL(kv_db_memory(db) - empty, 2 * chunk(4 * sizeof(void *)));
    kv_db_clear(db);
    CHECK_EQ_LL(kv_db_memory(db), empty);
    kv_db_free(db);
}

/* ------------------------------------------------------------ keyspace */

typedef struct ks_log {
    int calls, last_db;
    char last_key[32];
} ks_log;

static void ks_on_expire(void *arg, int db, const char *key, size_t klen)
{
    ks_log *l = (ks_log *)arg;
    l->calls++;
    l->last_db = db;
    memcpy(l->last_key, key, klen);
    l->last_key[klen] = '\0';
}

static void test_keyspace_lazy_expiry(void)
{
    kv_keyspace *ks = kv_ks_new(16, seed);
    ks_log log;
    kv_entry *e;
    int created = -1;
    long long now = 1000000;

    memset(&log, 0, sizeof log);
    ks->on_expire = ks_on_expire;
    ks->on_expire_arg = &log;
    CHECK_EQ_LL(ks->ndb, 16);

    CHECK(kv_ks_lookup_read(ks, 0, "k", 1, now) == NULL);
    CHECK_EQ_LL(ks->stats.keyspace_misses, 1);
    CHECK_EQ_LL(ks->stats.keyspace_hits, 0);

    e = kv_ks_upsert(ks, 3, "k", 1, now, &created);
    CHECK_EQ_LL(created, 1);
    kv_db_set_val(ks->db[3], e, kv_str_new("v", 1));
    kv_db_set_expire(ks->db[3], e, now + 10);
    ks->lru_clock = 4321;
    CHECK(kv_ks_lookup_read(ks, 3, "k", 1, now + 10) == e);   /* when == now: alive */
    CHECK_EQ_LL(kv_obj_lru(kv_entry_val(e)), 4321);
    CHECK_EQ_LL(ks->stats.keyspace_hits, 1);
    CHECK(kv_ks_lookup_read(ks, 0, "k", 1, now) == NULL);      /* other db */
    CHECK_EQ_LL(ks->stats.keyspace_misses, 2);
    CHECK(kv_ks_lookup_write(ks, 3, "k", 1, now) == e);
    CHECK_EQ_LL(ks->stats.keyspace_hits, 1);                   /* writes don't count */

    CHECK(kv_ks_lookup_read(ks, 3, "k", 1, now + 11) == NULL);
    CHECK_EQ_LL(ks->stats.expired_keys, 1);
    CHECK_EQ_LL(ks->stats.keyspace_misses, 3);
    CHECK_EQ_LL(log.calls, 1);
    CHECK_EQ_LL(log.last_db, 3);
    CHECK(strcmp(log.last_key, "k") == 0);
    CHECK_EQ_LL(kv_db_size(ks->db[3]), 0);
    CHECK_EQ_LL(kv_db_expires_size(ks->db[3]), 0);

    /* lookup_write expires too, without touching hits/misses. */
    e = kv_ks_upsert(ks, 3, "w", 1, now, &created);
    kv_db_set_val(ks->db[3], e, kv_str_new("v", 1));
    kv_db_set_expire(ks->db[3], e, now);
    CHECK(kv_ks_lookup_write(ks, 3, "w", 1, now + 1) == NULL);
    CHECK_EQ_LL(ks->stats.expired_keys, 2);
    CHECK_EQ_LL(ks->stats.keyspace_misses, 3);
    CHECK_EQ_LL(ks->stats.keyspace_hits, 1);
    CHECK_EQ_LL(log.calls, 2);

    /* upsert over an expired key: deleted first, then created fresh. */
    e = kv_ks_upsert(ks, 5, "u", 1, now, &created);
    kv_db_set_val(ks->db[5], e, kv_str_new("old", 3));
    kv_db_set_expire(ks->db[5], e, now);
    e = kv_ks_upsert(ks, 5, "u", 1, now, &created);
    CHECK_EQ_LL(created, 0);
    CHECK(kv_db_get_expire(ks->db[5], e) == now);
    e = kv_ks_upsert(ks, 5, "u", 1, now + 1, &created);
    CHECK_EQ_LL(created, 1);
    CHECK(kv_entry_val(e) == NULL);
    CHECK_EQ_LL(kv_db_get_expire(ks->db[5], e), -1);
    CHECK_EQ_LL(ks->stats.expired_keys, 3);
    CHECK_EQ_LL(log.last_db, 5);
    kv_db_set_val(ks->db[5], e, kv_str_new("new", 3));

    kv_ks_swapdb(ks, 5, 6);
    CHECK(kv_ks_lookup_read(ks, 6, "u", 1, now) != NULL);
    CHECK(kv_ks_lookup_read(ks, 5, "u", 1, now) == NULL);
    CHECK(kv_ks_memory(ks) > 0);
    kv_ks_free(ks);
}

static void test_keyspace_active_expiry(void)
{
    kv_keyspace *ks = kv_ks_new(4, seed);
    ks_log log;
    long long now = 5000000;
    int i, ticks = 0;
    char k[16];

    memset(&log, 0, sizeof log);
    ks->on_expire = ks_on_expire;
    ks->on_expire_arg = &log;
    for (i = 0; i < 300; i++) {
        int created;
        kv_entry *e;
        sprintf(k, "e%d", i);
        e = kv_ks_upsert(ks, i % 3 == 0 ? 1 : 2, k, strlen(k), now, &created);
        kv_db_set_val(ks->db[i % 3 == 0 ? 1 : 2], e, kv_str_from_ll(i));
        kv_db_set_expire(ks->db[i % 3 == 0 ? 1 : 2], e, i < 200 ? now - 1 : now + 1000);
    }
    /* No time at all: nothing is done and the cap counts. */
    kv_ks_active_expire(ks, now, 0);
    CHECK_EQ_LL(ks->stats.expired_keys, 0);
    CHECK_EQ_LL(ks->stats.expired_time_cap_reached_count, 1);
    CHECK(ks->stats.expired_stale_perc == 0.0);

    kv_ks_active_expire(ks, now, 1000000000LL);
    CHECK(ks->stats.expired_keys > 0);
    CHECK(ks->stats.expired_stale_perc > 0.0);
    CHECK_EQ_LL(ks->stats.expired_time_cap_reached_count, 1);
    while (ks->stats.expired_keys < 200 && ++ticks < 10000)
        kv_ks_active_expire(ks, now, 1000000000LL);
    CHECK_EQ_LL(ks->stats.expired_keys, 200);
    CHECK_EQ_LL(log.calls, 200);
    CHECK_EQ_LL(kv_db_size(ks->db[1]) + kv_db_size(ks->db[2]), 100);
    CHECK_EQ_LL(kv_db_expires_size(ks->db[1]) + kv_db_expires_size(ks->db[2]), 100);
    kv_ks_active_rehash(ks, 1000);
    kv_ks_free(ks);
}

/* The stale percentage is Redis's moving average: 5% of this tick's share. */
static void test_keyspace_stale_perc(void)
{
    kv_keyspace *ks = kv_ks_new(1, seed);
    int i;
    char k[16];
    for (i = 0; i < 10; i++) {
        int created;
        kv_entry *e;
        sprintf(k, "s%d", i);
        e = kv_ks_upsert(ks, 0, k, strlen(k), 0, &created);
        kv_db_set_val(ks->db[0], e, kv_str_from_ll(i));
        kv_db_set_expire(ks->db[0], e, 10);
    }
    kv_ks_active_expire(ks, 11, 1000000000LL);    /* all 10 sampled and expired */
    CHECK_EQ_LL(ks->stats.expired_keys, 10);
    CHECK(ks->stats.expired_stale_perc == 100.0 * 0.05 + 0.0 * 0.95);
    kv_ks_active_expire(ks, 11, 1000000000LL);    /* nothing sampled */
    CHECK(ks->stats.expired_stale_perc == 0.0 * 0.05 + (100.0 * 0.05) * 0.95);
    kv_ks_free(ks);
}

TEST_MAIN("store",
          TEST(test_db_basic),
          TEST(test_db_expire),
          TEST(test_expire_cycle),
          TEST(test_db_scan_random),
          TEST(test_db_memory),
          TEST(test_keyspace_lazy_expiry),
          TEST(test_keyspace_active_expiry),
          TEST(test_keyspace_stale_perc))
