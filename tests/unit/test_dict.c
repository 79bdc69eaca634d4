/* Unit tests for the store's hash table: add/find/unlink/replace through many
 * grow and shrink cycles with rehashes in flight, the SCAN guarantee while the
 * table grows and shrinks between calls, and random/sample on small tables. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/dict.h"
#include "store/siphash.h"
#include "test.h"

/* ------------------------------------------------------------ test nodes */

typedef struct tnode {
    kv_dnode n;
    int id;
    size_t klen;
    char key[24];
} tnode;

static uint64_t t_hash(const kv_dnode *n, const uint8_t seed[16])
{
    const tnode *t = (const tnode *)n;
    return kv_siphash(t->key, t->klen, seed);
}

static int t_eq(const kv_dnode *n, const void *key, size_t klen)
{
    const tnode *t = (const tnode *)n;
    return t->klen == klen && memcmp(t->key, key, klen) == 0;
}

static const kv_dict_type ttype = {t_hash, t_eq};
static const uint8_t seed[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static size_t key_of(int id, char *buf)
{
    return (size_t)sprintf(buf, "key:%d", id);
}

static tnode *t_new(int id)
{
    tnode *t = (tnode *)malloc(sizeof *t);
    t->id = id;
    t->klen = key_of(id, t->key);
    return t;
}

static void t_add(kv_dict *d, tnode *t)
{
    kv_dict_add(d, &t->n, kv_dict_hash(d, t->key, t->klen));
}

static tnode *t_find(kv_dict *d, int id)
{
    char k[24];
    size_t n = key_of(id, k);
    return (tnode *)kv_dict_find(d, k, n, kv_dict_hash(d, k, n));
}

static tnode *t_unlink(kv_dict *d, int id)
{
    char k[24];
    size_t n = key_of(id, k);
    return (tnode *)kv_dict_unlink(d, k, n, kv_dict_hash(d, k, n));
}

static void t_free(kv_dnode *n, void *arg)
{
    if (arg)
        (*(int *)arg)++;
    free(n);
}

static void finish_rehash(kv_dict *d)
{
    while (kv_dict_rehash_step(d, 1000))
        ;
}

/* Every id in [0, n) is found iff present[id], and as that very node. */
static int verify(kv_dict *d, tnode **present, int n)
{
    int id, bad = 0;
    for (id = 0; id < n; id++)
        if (t_find(d, id) != present[id])
            bad++;
    return bad;
}

static void shuffle(int *a, int n, uint64_t *rng)
{
    int i;
    for (i = n - 1; i > 0; i--) {
        int j = (int)(kv_dict_rng_next(rng) % (uint64_t)(i + 1)), t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

/* ------------------------------------------------------------ basic ops */

static void test_dict_resize_exact(void)
{
    kv_dict d;
    int i, frees = 0;
    tnode *t;

    kv_dict_init(&d, &ttype, seed);
    CHECK_EQ_LL(kv_dict_size(&d), 0);
    CHECK_EQ_LL(kv_dict_buckets(&d), 0);
    CHECK(t_find(&d, 1) == NULL);
    CHECK(t_unlink(&d, 1) == NULL);
    for (i = 0; i < 4; i++)
        t_add(&d, t_new(i));
    CHECK_EQ_LL(kv_dict_buckets(&d), 4);        /* load 1 reached, not exceeded */
    CHECK(!kv_dict_is_rehashing(&d));
    t_add(&d, t_new(4));
    CHECK(kv_dict_is_rehashing(&d));
    CHECK_EQ_LL(kv_dict_buckets(&d), 4 + 8);
    CHECK_EQ_LL(kv_dict_rehash_step(&d, 100), 0);
    CHECK(!kv_dict_is_rehashing(&d));
    CHECK_EQ_LL(kv_dict_buckets(&d), 8);
    for (i = 5; i < 1000; i++)
        t_add(&d, t_new(i));
    finish_rehash(&d);
    CHECK_EQ_LL(kv_dict_size(&d), 1000);
    CHECK_EQ_LL(kv_dict_buckets(&d), 1024);
    /* Shrink exactly when fewer than 10% of the buckets are used. */
    for (i = 0; i < 897; i++)
        free(t_unlink(&d, i));
    CHECK_EQ_LL(kv_dict_size(&d), 103);
    CHECK(!kv_dict_is_rehashing(&d));
    CHECK_EQ_LL(kv_dict_buckets(&d), 1024);
    free(t_unlink(&d, 897));                      /* 102 * 100 < 1024 * 10 */
    CHECK(kv_dict_is_rehashing(&d));
    finish_rehash(&d);
    CHECK_EQ_LL(kv_dict_buckets(&d), 128);
    for (i = 898; i < 1000; i++) {
        t = t_find(&d, i);
        CHECK(t != NULL && t->id == i);
    }
    for (i = 898; i < 1000; i++)
        free(t_unlink(&d, i));
    finish_rehash(&d);
    CHECK_EQ_LL(kv_dict_size(&d), 0);
    CHECK_EQ_LL(kv_dict_buckets(&d), 4);
    /* clear frees every node, also mid-rehash, and the dict stays usable. */
    for (i = 0; i < 5; i++)
        t_add(&d, t_new(i));
    kv_dict_clear(&d, t_free, &frees);
    CHECK_EQ_LL(frees, 5);
    CHECK_EQ_LL(kv_dict_size(&d), 0);
    CHECK_EQ_LL(kv_dict_buckets(&d), 0);
    CHECK(!kv_dict_is_rehashing(&d));
    t_add(&d, t_new(7));
    CHECK(t_find(&d, 7) != NULL && t_find(&d, 7)->id == 7);
    kv_dict_clear(&d, t_free, NULL);
}

static void test_dict_cycles(void)
{
    enum { N = 20000 };
    static tnode *present[N];
    static int order[N];
    kv_dict d;
    uint64_t rng = 42;
    int cycle, i, bad = 0, saw_rehash = 0, replaced_mid_rehash = 0;

    kv_dict_init(&d, &ttype, seed);
    memset(present, 0, sizeof present);
    for (i = 0; i < N; i++)
        order[i] = i;
    for (cycle = 0; cycle < 3; cycle++) {
        shuffle(order, N, &rng);
        for (i = 0; i < N; i++) {
            tnode *t = t_new(order[i]);
            t_add(&d, t);
            present[order[i]] = t;
            saw_rehash += kv_dict_is_rehashing(&d);
            if (i % 2503 == 0 && i < 15000)   /* finds step the rehash along */
                bad += verify(&d, present, N);
        }
        CHECK_EQ_LL(kv_dict_size(&d), N);
        /* Move a third of the nodes to new memory, as a realloc would; the
         * last grow's rehash is still running here. */
        for (i = 0; i < N; i += 3) {
            int id = order[i];
            tnode *old = present[id], *copy = (tnode *)malloc(sizeof *copy);
            memcpy(copy, old, sizeof *copy);
            replaced_mid_rehash += kv_dict_is_rehashing(&d);
            kv_dict_replace(&d, &old->n, &copy->n, kv_dict_hash(&d, old->key, old->klen));
            free(old);
            present[id] = copy;
            if (i % 3001 == 0)
                kv_dict_rehash_step(&d, 1);
        }
        bad += verify(&d, present, N);
        shuffle(order, N, &rng);
        for (i = 0; i < N; i++) {
            tnode *t = t_unlink(&d, order[i]);
            if (t != present[order[i]])
                bad++;
            free(t);
            present[order[i]] = NULL;
            saw_rehash += kv_dict_is_rehashing(&d);
            if (i % 2503 == 0)
                bad += verify(&d, present, N);
            /* Refill part-way through the last cycle so grow and shrink
             * rehashes interleave. */
            if (cycle == 2 && i == N / 2) {
                int j;
                for (j = 0; j <= N / 2; j++) {
                    present[order[j]] = t_new(order[j]);
                    t_add(&d, present[order[j]]);
                }
                bad += verify(&d, present, N);
                for (j = 0; j <= N / 2; j++) {
                    free(t_unlink(&d, order[j]));
                    present[order[j]] = NULL;
                }
            }
        }
        CHECK_EQ_LL(kv_dict_size(&d), 0);
        bad += verify(&d, present, N);
        finish_rehash(&d);
    }
    CHECK_EQ_LL(bad, 0);
    CHECK(saw_rehash > 1000);
    CHECK(replaced_mid_rehash > 0);
    CHECK_EQ_LL(kv_dict_buckets(&d), 4);
    kv_dict_clear(&d, t_free, NULL);
}

static void test_dict_replace_while_rehashing(void)
{
    kv_dict d;
    tnode *a, *b;
    int i;
    kv_dict_init(&d, &ttype, seed);
    for (i = 0; i < 64; i++)
        t_add(&d, t_new(i));
    finish_rehash(&d);
    t_add(&d, t_new(64));                 /* 64 -> 128 starts */
    CHECK(kv_dict_is_rehashing(&d));
    for (i = 0; i <= 64; i++) {
        a = t_find(&d, i);
        b = (tnode *)malloc(sizeof *b);
        memcpy(b, a, sizeof *b);
        kv_dict_replace(&d, &a->n, &b->n, kv_dict_hash(&d, a->key, a->klen));
        memset(a, 0xab, sizeof *a);
        free(a);
        CHECK(t_find(&d, i) == b);
    }
    CHECK_EQ_LL(kv_dict_size(&d), 65);
    finish_rehash(&d);
    for (i = 0; i <= 64; i++)
        CHECK(t_find(&d, i) != NULL && t_find(&d, i)->id == i);
    kv_dict_clear(&d, t_free, NULL);
}

/* ------------------------------------------------------------ SCAN */

typedef struct seen_set {
    unsigned char *seen;
    int n;
    long calls;
} seen_set;

static void mark_seen(void *arg, kv_dnode *n)
{
    seen_set *s = (seen_set *)arg;
    const tnode *t = (const tnode *)n;
    if (t->id >= 0 && t->id < s->n)
        s->seen[t->id] = 1;
    s->calls++;
}

static int missing(const seen_set *s, int from, int to)
{
    int i, m = 0;
    for (i = from; i < to; i++)
        m += !s->seen[i];
    return m;
}

/* Stable keys 0..999 are present throughout; the table grows 16x between
 * scan calls, with a rehash in flight at most calls. */
static void test_scan_while_growing(void)
{
    enum { STABLE = 1000, MAXID = 40000 };
    kv_dict d;
    seen_set s;
    unsigned long cursor = 0;
    int next = STABLE, i, calls = 0, calls_rehashing = 0;

    kv_dict_init(&d, &ttype, seed);
    s.seen = (unsigned char *)calloc(MAXID, 1);
    s.n = MAXID;
    s.calls = 0;
    for (i = 0; i < STABLE; i++)
        t_add(&d, t_new(i));
    finish_rehash(&d);
    do {
        calls_rehashing += kv_dict_is_rehashing(&d);
        cursor = kv_dict_scan(&d, cursor, mark_seen, &s);
        calls++;
        if (calls == 3)
            for (; next < 16000; next++)
                t_add(&d, t_new(next));
        else if (next < MAXID)
            for (i = 0; i < 40 && next < MAXID; i++, next++)
                t_add(&d, t_new(next));
    } while (cursor != 0 && calls < 1000000);
    CHECK_EQ_LL(cursor, 0);
    CHECK_EQ_LL(missing(&s, 0, STABLE), 0);
    CHECK(calls_rehashing > 0);
    free(s.seen);
    kv_dict_clear(&d, t_free, NULL);
}

/* Stable keys 0..199 among 20000 others that are deleted between calls: the
 * table shrinks several times while the scan runs. */
static void test_scan_while_shrinking(void)
{
    enum { STABLE = 200, N = 20000 };
    kv_dict d;
    seen_set s;
    unsigned long cursor = 0;
    int del = STABLE, i, calls = 0, calls_rehashing = 0;
    size_t max_buckets;

    kv_dict_init(&d, &ttype, seed);
    s.seen = (unsigned char *)calloc(N, 1);
    s.n = N;
    s.calls = 0;
    for (i = 0; i < N; i++)
        t_add(&d, t_new(i));
    finish_rehash(&d);
    max_buckets = kv_dict_buckets(&d);
    do {
        calls_rehashing += kv_dict_is_rehashing(&d);
        cursor = kv_dict_scan(&d, cursor, mark_seen, &s);
        calls++;
        if (calls >= 2)
            for (i = 0; i < 1500 && del < N; i++, del++)
                free(t_unlink(&d, del));
        kv_dict_rehash_step(&d, 1);   /* what the server's cron does */
    } while (cursor != 0 && calls < 1000000);
    CHECK_EQ_LL(cursor, 0);
    CHECK_EQ_LL(missing(&s, 0, STABLE), 0);
    CHECK(kv_dict_buckets(&d) < max_buckets);
    CHECK(calls_rehashing > 0);
    free(s.seen);
    kv_dict_clear(&d, t_free, NULL);
}

/* Random grow/shrink bursts and rehash steps between calls. */
static void test_scan_random_resizes(void)
{
    enum { STABLE = 300, VOL = 8000 };
    static tnode *vol[VOL];
    kv_dict d;
    seen_set s;
    uint64_t rng = 7;
    int trial, bad = 0;

    s.seen = (unsigned char *)malloc(STABLE);
    s.n = STABLE;
    for (trial = 0; trial < 40; trial++) {
        unsigned long cursor = 0;
        int i, nvol = 0, calls = 0, nstable = 1 + (int)(kv_dict_rng_next(&rng) % STABLE);
        kv_dict_init(&d, &ttype, seed);
        memset(s.seen, 0, STABLE);
        for (i = 0; i < nstable; i++)
            t_add(&d, t_new(i));
        do {
            uint64_t r = kv_dict_rng_next(&rng);
            cursor = kv_dict_scan(&d, cursor, mark_seen, &s);
            calls++;
            switch (calls < 50 || calls % 16 == 0 ? r % 5 : 4) {
            case 0: {   /* burst of adds */
                int k = (int)((r >> 8) % 3000);
                for (i = 0; i < k && nvol < VOL; i++) {
                    vol[nvol] = t_new(STABLE + nvol);
                    t_add(&d, vol[nvol]);
                    nvol++;
                }
                break;
            }
            case 1:     /* delete most of the volatile keys */
            case 2: {
                int k = (int)((r >> 8) % (unsigned)(nvol + 1));
                for (i = 0; i < k; i++) {
                    tnode *t = vol[--nvol];
                    if ((tnode *)kv_dict_unlink(&d, t->key, t->klen,
                                                kv_dict_hash(&d, t->key, t->klen)) != t)
                        bad++;
                    free(t);
                }
                break;
            }
            case 3:
                kv_dict_rehash_step(&d, (int)((r >> 8) % 50));
                break;
            default:
                break;
            }
        } while (cursor != 0 && calls < 10000000);
        CHECK_EQ_LL(cursor, 0);
        bad += missing(&s, 0, nstable);
        kv_dict_clear(&d, t_free, NULL);
    }
    CHECK_EQ_LL(bad, 0);
    free(s.seen);
}

typedef struct del_ctx {
    kv_dict *d;
    int deleted, modulo;
} del_ctx;

/* modulo 2: deletes even ids; otherwise ids that are not multiples of it. */
static void delete_even(void *arg, kv_dnode *n)
{
    del_ctx *c = (del_ctx *)arg;
    tnode *t = (tnode *)n;
    if (c->modulo == 2 ? t->id % 2 == 0 : t->id % c->modulo != 0) {
        if ((tnode *)kv_dict_unlink(c->d, t->key, t->klen, kv_dict_hash(c->d, t->key, t->klen)) == t) {
            free(t);
            c->deleted++;
        }
    }
}

/* The callback may unlink the node it is given; scans also work mid-rehash. */
static void test_scan_callback_deletes(void)
{
    kv_dict d;
    del_ctx c;
    unsigned long cursor = 0;
    int i, bad = 0;
    kv_dict_init(&d, &ttype, seed);
    for (i = 0; i < 5000; i++)
        t_add(&d, t_new(i));
    CHECK(kv_dict_is_rehashing(&d));
    c.d = &d;
    c.deleted = 0;
    c.modulo = 2;
    do
        cursor = kv_dict_scan(&d, cursor, delete_even, &c);
    while (cursor != 0);
    CHECK_EQ_LL(c.deleted, 2500);
    CHECK_EQ_LL(kv_dict_size(&d), 2500);
    for (i = 0; i < 5000; i++)
        bad += (t_find(&d, i) != NULL) != (i % 2 == 1);
    CHECK_EQ_LL(bad, 0);
    kv_dict_clear(&d, t_free, NULL);

    /* Deleting 95% from inside one scan: the table must not shrink or
     * rehash under the scan's feet (it does so afterwards). */
    kv_dict_init(&d, &ttype, seed);
    for (i = 0; i < 8500; i++)
        t_add(&d, t_new(i));
    CHECK(kv_dict_is_rehashing(&d));    /* 8192 -> 16384 */
    c.deleted = 0;
    c.modulo = 20;
    cursor = 0;
    do
        cursor = kv_dict_scan(&d, cursor, delete_even, &c);
    while (cursor != 0);
    CHECK_EQ_LL(c.deleted, 8075);
    CHECK_EQ_LL(kv_dict_size(&d), 425);
    CHECK_EQ_LL(kv_dict_buckets(&d), 8192 + 16384);
    bad = 0;
    for (i = 0; i < 8500; i++)
        bad += (t_find(&d, i) != NULL) != (i % 20 == 0);
    CHECK_EQ_LL(bad, 0);
    finish_rehash(&d);                  /* the grow ends, the shrink follows */
    CHECK_EQ_LL(kv_dict_buckets(&d), 512);
    kv_dict_clear(&d, t_free, NULL);
}

static void test_scan_empty(void)
{
    kv_dict d;
    seen_set s;
    unsigned char one[1];
    kv_dict_init(&d, &ttype, seed);
    s.seen = one;
    s.n = 1;
    s.calls = 0;
    CHECK_EQ_LL(kv_dict_scan(&d, 0, mark_seen, &s), 0);
    CHECK_EQ_LL(kv_dict_scan(&d, 12345, mark_seen, &s), 0);
    CHECK_EQ_LL(s.calls, 0);
}

/* ------------------------------------------------------------ random */

static void test_random_and_sample(void)
{
    kv_dict d;
    kv_dnode *out[64];
    uint64_t rng = 99;
    int counts[3] = {0, 0, 0}, i;
    size_t n;

    kv_dict_init(&d, &ttype, seed);
    CHECK(kv_dict_random(&d, &rng) == NULL);
    CHECK_EQ_LL(kv_dict_sample(&d, out, 10, &rng), 0);

    t_add(&d, t_new(0));
    for (i = 0; i < 10; i++)
        CHECK(kv_dict_random(&d, &rng) == &t_find(&d, 0)->n);
    CHECK_EQ_LL(kv_dict_sample(&d, out, 5, &rng), 1);
    CHECK(out[0] == &t_find(&d, 0)->n);
    CHECK_EQ_LL(kv_dict_sample(&d, out, 0, &rng), 0);

    t_add(&d, t_new(1));
    t_add(&d, t_new(2));
    n = kv_dict_sample(&d, out, 10, &rng);
    CHECK_EQ_LL(n, 3);
    CHECK(n == 3 && out[0] != out[1] && out[1] != out[2] && out[0] != out[2]);
    for (i = 0; i < 3000; i++)
        counts[((tnode *)kv_dict_random(&d, &rng))->id]++;
    CHECK(counts[0] > 700 && counts[1] > 700 && counts[2] > 700);

    /* Mid-rehash: 5 keys spread over a 4- and an 8-bucket table. */
    t_add(&d, t_new(3));
    t_add(&d, t_new(4));
    CHECK(kv_dict_is_rehashing(&d));
    n = kv_dict_sample(&d, out, 10, &rng);
    CHECK_EQ_LL(n, 5);
    {
        int seen[5] = {0, 0, 0, 0, 0}, distinct = 0;
        size_t j;
        for (j = 0; j < n; j++)
            seen[((tnode *)out[j])->id]++;
        for (i = 0; i < 5; i++)
            distinct += seen[i] == 1;
        CHECK_EQ_LL(distinct, 5);
    }
    for (i = 5; i < 1000; i++)
        t_add(&d, t_new(i));
    n = kv_dict_sample(&d, out, 20, &rng);
    CHECK_EQ_LL(n, 20);
    {
        int dup = 0;
        size_t a, b;
        for (a = 0; a < n; a++)
            for (b = a + 1; b < n; b++)
                dup += out[a] == out[b];
        CHECK_EQ_LL(dup, 0);
    }
    CHECK(kv_dict_random(&d, &rng) != NULL);
    kv_dict_clear(&d, t_free, NULL);
}

TEST_MAIN("dict",
          TEST(test_dict_resize_exact),
          TEST(test_dict_cycles),
          TEST(test_dict_replace_while_rehashing),
          TEST(test_scan_while_growing),
          TEST(test_scan_while_shrinking),
          TEST(test_scan_random_resizes),
          TEST(test_scan_callback_deletes),
          TEST(test_scan_empty),
          TEST(test_random_and_sample))
