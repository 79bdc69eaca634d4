/* Hash values (src/store/t_hash.c): both encodings, the one-way conversion
 * at the configured limits, iteration, scan, random picks and memory
 * accounting. */
#include <stdio.h>
#include <string.h>

#include "store/t_hash.h"
#include "test.h"

static const uint8_t seed[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static int val_is(const kv_lpval *v, const char *s)
{
    char buf[32];
    if (!v->s) {
        snprintf(buf, sizeof buf, "%lld", v->v);
        return strcmp(buf, s) == 0;
    }
    return v->n == strlen(s) && memcmp(v->s, s, v->n) == 0;
}

static int get_is(kv_obj *o, const char *f, const char *want)
{
    kv_lpval v;
    if (!kv_hash_get(o, f, strlen(f), &v))
        return want == NULL;
    return want && val_is(&v, want);
}

static void set_s(kv_obj *o, const char *f, const char *v, const kv_hash_opts *opts, int added)
{
    CHECK_EQ_LL(kv_hash_set(o, f, strlen(f), v, strlen(v), opts), added);
}

static void test_listpack_basics(void)
{
    kv_hash_opts opts;
    kv_obj *o = kv_hash_new();
    kv_lpval v;
    kv_hash_opts_init(&opts, seed);
    CHECK_EQ_LL(opts.max_lp_entries, 512);
    CHECK_EQ_LL(opts.max_lp_value, 64);
    CHECK_EQ_LL(kv_obj_type(o), KV_TYPE_HASH);
    CHECK_EQ_LL(kv_obj_encoding(o), KV_ENC_LISTPACK);
    CHECK_EQ_LL(kv_hash_len(o), 0);
    set_s(o, "a", "1", &opts, 1);
    set_s(o, "b", "hello", &opts, 1);
    set_s(o, "a", "-42", &opts, 0);
    set_s(o, "", "", &opts, 1);
    CHECK_EQ_LL(kv_hash_len(o), 3);
    CHECK(get_is(o, "a", "-42"));
    CHECK(kv_hash_get(o, "a", 1, &v) && v.s == NULL && v.v == -42); /* stored as an integer */
    CHECK(get_is(o, "b", "hello"));
    CHECK(get_is(o, "", ""));
    CHECK(get_is(o, "zz", NULL));
    CHECK_EQ_LL(kv_hash_strlen(o, "a", 1), 3);
    CHECK_EQ_LL(kv_hash_strlen(o, "b", 1), 5);
    CHECK_EQ_LL(kv_hash_strlen(o, "q", 1), 0);
    CHECK(kv_hash_exists(o, "b", 1));
    CHECK(!kv_hash_exists(o, "c", 1));
    /* A field equal to a value is not confused with it. */
    set_s(o, "hello", "x", &opts, 1);
    CHECK(get_is(o, "hello", "x"));
    CHECK_EQ_LL(kv_hash_del(o, "b", 1), 1);
    CHECK_EQ_LL(kv_hash_del(o, "b", 1), 0);
    CHECK(get_is(o, "hello", "x"));
    CHECK_EQ_LL(kv_hash_len(o), 3);
    CHECK_EQ_LL(kv_obj_encoding(o), KV_ENC_LISTPACK);
    kv_obj_free(o);
}

typedef struct pairs {
    char buf[4096];
    size_t len;
    int n;
} pairs;

static void collect(void *arg, const kv_lpval *f, const kv_lpval *v)
{
    pairs *p = (pairs *)arg;
    char fb[32], vb[32];
    const char *fs = fb, *vs = vb;
    size_t fn, vn;
    if (f->s) {
        fs = (const char *)f->s;
        fn = f->n;
    } else
        fn = (size_t)snprintf(fb, sizeof fb, "%lld", f->v);
    if (v->s) {
        vs = (const char *)v->s;
        vn = v->n;
    } else
        vn = (size_t)snprintf(vb, sizeof vb, "%lld", v->v);
    p->len += (size_t)snprintf(p->buf + p->len, sizeof p->buf - p->len, "%.*s=%.*s;", (int)fn,
                               fs, (int)vn, vs);
    p->n++;
}

static void test_listpack_order(void)
{
    kv_hash_opts opts;
    kv_obj *o = kv_hash_new();
    pairs p;
    kv_hash_opts_init(&opts, seed);
    set_s(o, "z", "1", &opts, 1);
    set_s(o, "a", "2", &opts, 1);
    set_s(o, "m", "3", &opts, 1);
    set_s(o, "a", "twenty", &opts, 0);
    kv_hash_del(o, "z", 1);
    set_s(o, "z", "10", &opts, 1);
    memset(&p, 0, sizeof p);
    kv_hash_foreach(o, collect, &p);
    CHECK_MEM(p.buf, p.len, "a=twenty;m=3;z=10;");
    memset(&p, 0, sizeof p);
    CHECK_EQ_LL(kv_hash_scan(o, 12345, collect, &p), 0);
    CHECK_MEM(p.buf, p.len, "a=twenty;m=3;z=10;");
    kv_obj_free(o);
}

static void test_conversion_by_entries(void)
{
    kv_hash_opts opts;
    kv_obj *o = kv_hash_new();
    char f[16];
    int i;
    kv_hash_opts_init(&opts, seed);
    opts.max_lp_entries = 4; /* a live setting (CONFIG SET): honoured as given */
    for (i = 0; i < 4; i++) {
        snprintf(f, sizeof f, "f%d", i);
        set_s(o, f, "v", &opts, 1);
    }
    set_s(o, "f0", "updated", &opts, 0);
    CHECK_EQ_LL(kv_obj_encoding(o), KV_ENC_LISTPACK);
    set_s(o, "f4", "v", &opts, 1);
    CHECK_EQ_LL(kv_obj_encoding(o), KV_ENC_HT);
    CHECK_EQ_LL(kv_hash_len(o), 5);
    CHECK(get_is(o, "f0", "updated"));
    CHECK(get_is(o, "f4", "v"));
    for (i = 0; i < 5; i++) {
        snprintf(f, sizeof f, "f%d", i);
        CHECK_EQ_LL(kv_hash_del(o, f, strlen(f)), 1);
    }
    CHECK_EQ_LL(kv_hash_len(o), 0);
    CHECK_EQ_LL(kv_obj_encoding(o), KV_ENC_HT); /* one-way */
    kv_obj_free(o);

    /* A limit lowered under an existing hash: the next write converts it,
     * an update too (Redis's hashTypeSet checks after every set). */
    o = kv_hash_new();
    for (i = 0; i < 4; i++) {
        snprintf(f, sizeof f, "f%d", i);
        set_s(o, f, "v", &opts, 1);
    }
    opts.max_lp_entries = 2;
    CHECK_EQ_LL(kv_hash_del(o, "f3", 2), 1);
    CHECK_EQ_LL(kv_obj_encoding(o), KV_ENC_LISTPACK);
    set_s(o, "f0", "w", &opts, 0);
    CHECK_EQ_LL(kv_obj_encoding(o), KV_ENC_HT);
    CHECK(get_is(o, "f0", "w"));
    kv_obj_free(o);
}

static void test_conversion_by_length(void)
{
    kv_hash_opts opts;
    char long_s[66];
    kv_obj *o;
    kv_hash_opts_init(&opts, seed);
    memset(long_s, 'x', 65);
    long_s[65] = '\0';
    o = kv_hash_new();
    set_s(o, "n", "7", &opts, 1);
    long_s[64] = '\0';
    set_s(o, long_s, long_s, &opts, 1); /* 64 bytes: still fits */
    CHECK_EQ_LL(kv_obj_encoding(o), KV_ENC_LISTPACK);
    long_s[64] = 'x';
    set_s(o, "n", long_s, &opts, 0); /* a 65-byte update converts */
    CHECK_EQ_LL(kv_obj_encoding(o), KV_ENC_HT);
    CHECK(get_is(o, "n", long_s));
    long_s[64] = '\0';
    CHECK(get_is(o, long_s, long_s));
    kv_obj_free(o);
    o = kv_hash_new();
    long_s[64] = 'x';
    set_s(o, long_s, "1", &opts, 1);
    CHECK_EQ_LL(kv_obj_encoding(o), KV_ENC_HT);
    kv_obj_free(o);
}

static void test_hashtable_ops(void)
{
    kv_hash_opts opts;
    kv_obj *o = kv_hash_new();
    char f[32], v[200];
    size_t base_mem, i;
    kv_lpval fv, vv;
    kv_hash_opts_init(&opts, seed);
    kv_hash_convert(o, seed);
    CHECK_EQ_LL(kv_obj_encoding(o), KV_ENC_HT);
    base_mem = kv_hash_mem(o);
    for (i = 0; i < 10000; i++) {
        snprintf(f, sizeof f, "field:%zu", i);
        memset(v, 'a' + (int)(i % 26), i % 150);
        v[i % 150] = '\0';
        set_s(o, f, v, &opts, 1);
    }
    CHECK_EQ_LL(kv_hash_len(o), 10000);
    CHECK(kv_hash_mem(o) > base_mem + 10000 * 32);
    CHECK(get_is(o, "field:149", "") == 0);
    CHECK_EQ_LL(kv_hash_strlen(o, "field:149", 9), 149);
    /* Same-size update in place, then a resize. */
    set_s(o, "field:3", "xyz", &opts, 0);
    CHECK(get_is(o, "field:3", "xyz"));
    set_s(o, "field:3", "a much longer value than before", &opts, 0);
    CHECK(get_is(o, "field:3", "a much longer value than before"));
    CHECK(kv_hash_get(o, "field:3", 7, &vv) && vv.s != NULL);
    for (i = 0; i < 10000; i += 2) {
        snprintf(f, sizeof f, "field:%zu", i);
        CHECK_EQ_LL(kv_hash_del(o, f, strlen(f)), 1);
    }
    CHECK_EQ_LL(kv_hash_len(o), 5000);
    CHECK(get_is(o, "field:2", NULL));
    CHECK(get_is(o, "field:3", "a much longer value than before"));
    kv_hash_random_pairs(o, 1, &(uint64_t){7}, &fv, &vv);
    CHECK(fv.s != NULL && (fv.s[fv.n - 1] - '0') % 2 == 1);
    for (i = 1; i < 10000; i += 2) {
        snprintf(f, sizeof f, "field:%zu", i);
        CHECK_EQ_LL(kv_hash_del(o, f, strlen(f)), 1);
    }
    CHECK_EQ_LL(kv_hash_len(o), 0);
    /* The nodes' bytes are all given back (10000 of them were >= 320 KB);
     * what remains is bucket arrays of a shrink still in progress. */
    CHECK(kv_hash_mem(o) < base_mem + 20000);
    kv_obj_free(o);
}

/* The number in a member such as "m123" or "123" (not NUL-terminated). */
static int digits(const unsigned char *p, size_t n)
{
    int v = 0;
    size_t i;
    for (i = 0; i < n; i++)
        if (p[i] >= '0' && p[i] <= '9')
            v = v * 10 + (p[i] - '0');
    return v;
}

typedef struct seen {
    unsigned char hit[3000];
    int dups, n;
} seen;

static void mark(void *arg, const kv_lpval *f, const kv_lpval *v)
{
    seen *s = (seen *)arg;
    int i = digits(f->s, f->n);
    (void)v;
    if (s->hit[i]++)
        s->dups++;
    s->n++;
}

static kv_obj *numbered(int n)
{
    kv_hash_opts opts;
    kv_obj *o = kv_hash_new();
    char f[16];
    int i;
    kv_hash_opts_init(&opts, seed);
    for (i = 0; i < n; i++) {
        snprintf(f, sizeof f, "f%d", i);
        set_s(o, f, "v", &opts, 1);
    }
    return o;
}

static void test_foreach_and_scan(void)
{
    kv_obj *o = numbered(3000);
    unsigned long c = 0;
    int calls = 0;
    seen s;
    memset(&s, 0, sizeof s);
    kv_hash_foreach(o, mark, &s);
    CHECK_EQ_LL(s.n, 3000);
    CHECK_EQ_LL(s.dups, 0);
    memset(&s, 0, sizeof s);
    do {
        c = kv_hash_scan(o, c, mark, &s);
        calls++;
    } while (c != 0);
    CHECK(calls > 1);
    CHECK_EQ_LL(s.n, 3000);
    CHECK_EQ_LL(s.dups, 0);
    kv_obj_free(o);
}

static void test_random(void)
{
    static const int sizes[] = {3, 40, 3000};
    size_t k;
    uint64_t rng = 1;
    for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int n = sizes[k];
        kv_obj *o = numbered(n);
        kv_lpval f[3000], v[3000];
        size_t counts[4], c;
        counts[0] = 1;
        counts[1] = (size_t)n / 2;
        counts[2] = (size_t)n / 4 + 1;
        counts[3] = (size_t)n + 5;
        for (c = 0; c < 4; c++) {
            size_t got = kv_hash_random_distinct(o, counts[c], &rng, f, v), i;
            seen s;
            memset(&s, 0, sizeof s);
            CHECK_EQ_LL(got, counts[c] < (size_t)n ? counts[c] : (size_t)n);
            for (i = 0; i < got; i++) {
                mark(&s, &f[i], &v[i]);
                CHECK(val_is(&v[i], "v"));
            }
            CHECK_EQ_LL(s.dups, 0);
        }
        kv_hash_random_pairs(o, 2000, &rng, f, v);
        {
            seen s;
            int i, distinct = 0;
            memset(&s, 0, sizeof s);
            for (i = 0; i < 2000; i++)
                mark(&s, &f[i], &v[i]);
            for (i = 0; i < n; i++)
                distinct += s.hit[i] != 0;
            CHECK(distinct > (n < 40 ? n - 1 : n / 4)); /* spread, not stuck */
        }
        kv_obj_free(o);
    }
}

static void test_memory_model(void)
{
    kv_obj *o = numbered(10);
    size_t lp = kv_hash_mem(o);
    CHECK(lp >= 32 + 32 && lp < 300);
    kv_hash_convert(o, seed);
    CHECK(kv_hash_mem(o) > lp);
    kv_obj_free(o);
}

static void test_free_any_encoding(void)
{
    kv_obj *o;
    /* kv_obj_free releases every encoding (ASan checks for leaks). */
    kv_obj_free(kv_obj_new(KV_TYPE_HASH, KV_ENC_LISTPACK, malloc(10)));
    kv_obj_free(kv_hash_new());
    o = kv_hash_new();
    kv_hash_convert(o, seed);
    kv_obj_free(o);
    o = numbered(3);
    kv_hash_convert(o, seed);
    kv_obj_free(o);
    CHECK(1);
}

TEST_MAIN("t_hash", TEST(test_free_any_encoding), TEST(test_listpack_basics), TEST(test_listpack_order),
          TEST(test_conversion_by_entries), TEST(test_conversion_by_length),
          TEST(test_hashtable_ops), TEST(test_foreach_and_scan), TEST(test_random),
          TEST(test_memory_model))
