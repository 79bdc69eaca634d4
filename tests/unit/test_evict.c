/* Unit tests for maxmemory's pieces: the keyspace's running memory account
 * equals a full recount after every kind of write (through the real command
 * layer, kv_local), Redis's LFU arithmetic, and the eviction pool's choice
 * per policy when every key is sampled. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/core/cmd.h"
#include "store/evict.h"
#include "test.h"

static const uint8_t seed[16] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3};

static size_t recount(kv_keyspace *ks)
{
    size_t m = 0;
    int i;
    for (i = 0; i < ks->ndb; i++)
        m += kv_db_memory_recount(ks->db[i]);
    return m;
}

/* Run a command given as one string of space-separated words. */
static void run(kv_local *l, kv_buf *out, const char *line)
{
    char buf[512], *w, *save = NULL;
    kv_str argv[64];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", line);
    for (w = strtok_r(buf, " ", &save); w && argc < 64; w = strtok_r(NULL, " ", &save)) {
        argv[argc].p = w;
        argv[argc++].n = strlen(w);
    }
    out->len = 0;
    kv_local_exec(l, argc, argv, out);
}

static void test_account_equals_recount(void)
{
    static const char *const script[] = {
        "set s hello", "append s world", "setrange s 100 x", "incr n", "incrbyfloat f 1.5",
        "setbit b 1000 1", "pfadd h a b c d e f", "set s2 short", "getdel s2",
        "hset hh f v", "lpush l a", "sadd ss 1 2 3", "sadd ss x", "zadd z 1 a 2 b",
        "expire s 1000", "persist s", "rename s s3", "copy s3 s4", "move s4 3",
        "sunionstore dst ss ss", "lmove l l2 left right", "del l2",
        "xadd x * f v", "swapdb 0 3", "swapdb 0 3", NULL};
    kv_server srv;
    kv_cmdset cs;
    kv_local *l;
    kv_buf out;
    kv_cmdstate *st;
    char line[256];
    int i;
    kv_server_fixed(&srv, 1);
    kv_commands_init(&cs, &srv);
    l = kv_local_new(&cs);
    st = kv_local_state(l);
    kv_buf_init(&out);
    run(l, &out, "config set save ");
    for (i = 0; script[i]; i++) {
        run(l, &out, script[i]);
        if (kv_ks_memory(st->ks) != recount(st->ks))
            fprintf(stderr, "after %s\n", script[i]);
        CHECK_EQ_LL(kv_ks_memory(st->ks), recount(st->ks));
    }
    /* Collections grown in place past their compact encodings, then shrunk. */
    for (i = 0; i < 3000; i++) {
        snprintf(line, sizeof line, "rpush biglist element-number-%d-with-some-padding", i);
        run(l, &out, line);
        snprintf(line, sizeof line, "hset bighash field%d value-%d", i, i);
        run(l, &out, line);
        snprintf(line, sizeof line, "zadd bigz %d member%d", i, i);
        run(l, &out, line);
        snprintf(line, sizeof line, "sadd bigset m%d", i);
        run(l, &out, line);
        snprintf(line, sizeof line, "xadd bigx * field value-%d", i);
        run(l, &out, line);
        if (i % 500 == 499)
            CHECK_EQ_LL(kv_ks_memory(st->ks), recount(st->ks));
    }
    run(l, &out, "ltrim biglist 100 200");
    run(l, &out, "lpop biglist 50");
    run(l, &out, "hdel bighash field1 field2 field3");
    run(l, &out, "zremrangebyrank bigz 0 1000");
    run(l, &out, "srem bigset m1 m2");
    run(l, &out, "xtrim bigx maxlen 10");
    run(l, &out, "sort biglist alpha store sorted");
    CHECK_EQ_LL(kv_ks_memory(st->ks), recount(st->ks));
    run(l, &out, "flushall");
    CHECK_EQ_LL(kv_ks_memory(st->ks), recount(st->ks));
    kv_buf_free(&out);
    kv_local_free(l);
    kv_commands_fini(&srv);
}

static void test_lfu_arithmetic(void)
{
    long long now = 1700000000000LL, minute = 60000;
    unsigned lru = kv_lfu_with_freq(now - 10 * minute, 20);
    uint64_t rng = 42;
    kv_obj *o = kv_str_new("v", 1);
    int i;
    CHECK_EQ_LL(kv_lfu_value(lru, now, 1), 10);   /* one per minute */
    CHECK_EQ_LL(kv_lfu_value(lru, now, 3), 17);   /* one per 3 minutes */
    CHECK_EQ_LL(kv_lfu_value(lru, now, 0), 20);   /* no decay */
    CHECK_EQ_LL(kv_lfu_value(lru, now, 1) , 10);
    CHECK_EQ_LL(kv_lfu_value(kv_lfu_with_freq(now - 100 * minute, 20), now, 1), 0);
    kv_obj_set_lru(o, kv_lfu_fresh(now));
    CHECK_EQ_LL(kv_lfu_value(kv_obj_lru(o), now, 1), KV_LFU_INIT_VAL);
    for (i = 0; i < 300; i++)
        kv_lfu_access(o, now, 0, 1, &rng);         /* factor 0: every access counts */
    CHECK_EQ_LL(kv_lfu_value(kv_obj_lru(o), now, 1), 255);
    kv_obj_set_lru(o, kv_lfu_fresh(now));
    for (i = 0; i < 1000; i++)
        kv_lfu_access(o, now, 10, 1, &rng);        /* logarithmic: far fewer */
    CHECK(kv_lfu_value(kv_obj_lru(o), now, 1) > 10);
    CHECK(kv_lfu_value(kv_obj_lru(o), now, 1) < 40);
    CHECK_EQ_LL(kv_lru_idle_ms(100, 160), 60000);
    CHECK_EQ_LL(kv_lru_idle_ms(KV_LRU_CLOCK_MASK - 5, 4), (4 + 5) * 1000ULL);
    kv_obj_free(o);
}

/* e's key is k (the length is read before the bytes are compared). */
static int key_is(const kv_entry *e, const char *k)
{
    size_t klen;
    const char *p = kv_entry_key(e, &klen);
    return klen == strlen(k) && memcmp(p, k, klen) == 0;
}

static kv_entry *put(kv_keyspace *ks, int db, const char *k, unsigned lru, long long ttl)
{
    int created;
    kv_entry *e = kv_ks_upsert(ks, db, k, strlen(k), 0, &created);
    kv_obj *o = kv_str_new("v", 1);
    kv_obj_set_lru(o, lru);
    kv_db_set_val(ks->db[db], e, o);
    if (ttl >= 0)
        kv_db_set_expire(ks->db[db], e, ttl);
    return e;
}

static void test_pool_picks_the_best(void)
{
    kv_keyspace *ks = kv_ks_new(4, seed);
    kv_evpool *pool = kv_evpool_new();
    kv_entry *e;
    int i, db, next = 0;
    char k[32];
    ks->lru_clock = 1000;
    for (i = 0; i < 40; i++) { /* stamps 900..939; keys with even i have a TTL */
        snprintf(k, sizeof k, "k%d", i);
        put(ks, i % 2 ? 1 : 2, k, 900 + (unsigned)i, i % 2 ? -1 : 5000000 - i);
    }
    /* LRU: the oldest stamp first (64 samples see every key) */
    CHECK(kv_evict_pick(ks, pool, KV_MM_ALLKEYS | KV_MM_LRU, 64, 0, &next, &db, &e));
    CHECK(key_is(e, "k0"));
    kv_db_delete_entry(ks->db[db], e);
    CHECK(kv_evict_pick(ks, pool, KV_MM_ALLKEYS | KV_MM_LRU, 64, 0, &next, &db, &e));
    CHECK(key_is(e, "k1"));
    kv_db_delete_entry(ks->db[db], e);
    /* volatile-lru: only keys with a TTL (the oldest left is k2) */
    CHECK(kv_evict_pick(ks, pool, KV_MM_VOLATILE | KV_MM_LRU, 64, 0, &next, &db, &e));
    CHECK(key_is(e, "k2") && db == 2);
    /* volatile-ttl: the nearest expiry (the largest even i) */
    CHECK(kv_evict_pick(ks, pool, KV_MM_VOLATILE | KV_MM_TTL, 64, 0, &next, &db, &e));
    CHECK(key_is(e, "k38"));
    /* volatile-random never picks a key without a TTL */
    for (i = 0; i < 50; i++) {
        CHECK(kv_evict_pick(ks, pool, KV_MM_VOLATILE | KV_MM_RANDOM, 5, 0, &next, &db, &e));
        CHECK(kv_entry_has_expire(e));
    }
    kv_evpool_free(pool);
    kv_ks_free(ks);
    /* Nothing to evict: no key with a TTL. */
    ks = kv_ks_new(2, seed);
    pool = kv_evpool_new();
    put(ks, 0, "p", 1, -1);
    CHECK(!kv_evict_pick(ks, pool, KV_MM_VOLATILE | KV_MM_LRU, 5, 0, &next, &db, &e));
    CHECK(!kv_evict_pick(ks, pool, KV_MM_VOLATILE | KV_MM_RANDOM, 5, 0, &next, &db, &e));
    CHECK(kv_evict_pick(ks, pool, KV_MM_ALLKEYS | KV_MM_RANDOM, 5, 0, &next, &db, &e));
    kv_evpool_free(pool);
    kv_ks_free(ks);
}

TEST_MAIN("evict",
          TEST(test_account_equals_recount),
          TEST(test_lfu_arithmetic),
          TEST(test_pool_picks_the_best))
