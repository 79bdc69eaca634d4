/* The db's point-in-time snapshot support (store/db.h): every entry present
 * at begin is handed over exactly once, with its value as at begin, whether
 * the walk reaches it or a lookup, overwrite or delete comes first; entries
 * created after begin never are; a second snapshot sees every entry again. */
#include "store/db.h"

#include <stdio.h>
#include <string.h>

#include "test.h"

#define N 2000

typedef struct seen {
    int count[N];   /* times key i was handed over */
    char val[N][32]; /* its value then */
    int others;     /* entries handed over that are not k<i> */
} seen;

static int key_index(const char *k, size_t n)
{
    int i = 0;
    size_t j;
    if (n < 2 || k[0] != 'k')
        return -1;
    for (j = 1; j < n; j++)
        i = i * 10 + (k[j] - '0');
    return i < N ? i : -1;
}

static void presave(void *arg, kv_db *db, kv_entry *e)
{
    seen *s = arg;
    size_t n, vn;
    char buf[KV_LLSTR_SIZE];
    const char *k = kv_entry_key(e, &n), *v;
    int i = key_index(k, n);
    (void)db;
    if (i < 0) {
        s->others++;
        return;
    }
    s->count[i]++;
    v = kv_str_ptr(kv_entry_val(e), buf, &vn);
    snprintf(s->val[i], sizeof s->val[i], "%.*s", (int)vn, v);
}

static void take(void *arg, kv_entry *e)
{
    kv_db_snapshot_take(arg, e);
}

static void put(kv_db *db, const char *k, const char *v)
{
    int created;
    kv_entry *e = kv_db_upsert(db, k, strlen(k), &created);
    kv_db_set_val(db, e, kv_str_new(v, strlen(v)));
}

static void walk_all(kv_db *db)
{
    unsigned long c = 0;
    do
        c = kv_db_scan(db, c, take, db);
    while (c);
}

static void test_point_in_time(void)
{
    uint8_t seed[16] = {7};
    kv_db *db = kv_db_new(seed);
    static seen s;
    char k[32], v[32];
    int i;
    unsigned long cur = 0;
    memset(&s, 0, sizeof s);
    for (i = 0; i < N; i++) {
        snprintf(k, sizeof k, "k%d", i);
        snprintf(v, sizeof v, "old%d", i);
        put(db, k, v);
    }
    kv_db_snapshot_begin(db, presave, &s);
    /* Part of a walk, then changes of every kind while it is half done. */
    for (i = 0; i < 40; i++)
        cur = kv_db_scan(db, cur, take, db);
    for (i = 0; i < N; i += 4) {
        snprintf(k, sizeof k, "k%d", i);
        put(db, k, "new");                          /* overwritten */
        snprintf(k, sizeof k, "k%d", i + 1);
        CHECK(kv_db_delete(db, k, strlen(k)) == 1); /* deleted */
        snprintf(k, sizeof k, "k%d", i + 2);
        CHECK(kv_db_lookup(db, k, strlen(k)) != NULL); /* only read */
        snprintf(k, sizeof k, "n%d", i);
        put(db, k, "added");                        /* created after begin */
    }
    /* Enough new keys to grow the table: the walk crosses a rehash. */
    for (i = 0; i < 3 * N; i++) {
        snprintf(k, sizeof k, "x%d", i);
        put(db, k, "x");
    }
    while (cur)
        cur = kv_db_scan(db, cur, take, db);
    walk_all(db); /* a second pass hands nothing over twice */
    kv_db_snapshot_end(db);
    for (i = 0; i < N; i++) {
        snprintf(v, sizeof v, "old%d", i);
        CHECK_EQ_LL(s.count[i], 1);
        CHECK(strcmp(s.val[i], v) == 0);
    }
    CHECK_EQ_LL(s.others, 0);

    /* The next snapshot sees everything that exists then, once. */
    memset(&s, 0, sizeof s);
    kv_db_snapshot_begin(db, presave, &s);
    walk_all(db);
    kv_db_snapshot_end(db);
    for (i = 0; i < N; i++) {
        int expect = (i % 4) != 1;
        CHECK_EQ_LL(s.count[i], expect);
        if (i % 4 == 0)
            CHECK(strcmp(s.val[i], "new") == 0);
    }
    CHECK_EQ_LL(s.others, N / 4 + 3 * N);
    kv_db_free(db);
}

static void test_no_snapshot_no_calls(void)
{
    uint8_t seed[16] = {9};
    kv_db *db = kv_db_new(seed);
    static seen s;
    memset(&s, 0, sizeof s);
    put(db, "k1", "a");
    kv_db_snapshot_begin(db, presave, &s);
    walk_all(db);
    kv_db_snapshot_end(db);
    CHECK_EQ_LL(s.count[1], 1);
    /* After end, nothing is handed over any more. */
    put(db, "k1", "b");
    CHECK(kv_db_delete(db, "k1", 2) == 1);
    CHECK_EQ_LL(s.count[1], 1);
    kv_db_free(db);
}

TEST_MAIN("snapshot", TEST(test_point_in_time), TEST(test_no_snapshot_no_calls))
