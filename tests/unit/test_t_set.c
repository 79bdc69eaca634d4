/* Set values (src/store/t_set.c): intset and hashtable encodings, the
 * one-way conversion (non-integer member, or more than the intset limit),
 * iteration order, scan, random picks and memory accounting. */
#include <stdio.h>
#include <string.h>

#include "store/t_set.h"
#include "test.h"

static const uint8_t seed[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};

static int add_s(kv_obj *o, const char *m, const kv_set_opts *opts)
{
    return kv_set_add(o, m, strlen(m), opts);
}

static int has_s(kv_obj *o, const char *m)
{
    return kv_set_ismember(o, m, strlen(m));
}

typedef struct text {
    char buf[8192];
    size_t len;
    int n, stop_after;
} text;

static int append(void *arg, const kv_lpval *m)
{
    text *t = (text *)arg;
    if (m->s)
        t->len += (size_t)snprintf(t->buf + t->len, sizeof t->buf - t->len, "%.*s,", (int)m->n,
                                   (const char *)m->s);
    else
        t->len += (size_t)snprintf(t->buf + t->len, sizeof t->buf - t->len, "%lld,", m->v);
    t->n++;
    return t->stop_after && t->n >= t->stop_after;
}

static void test_intset(void)
{
    kv_set_opts opts;
    kv_obj *o;
    text t;
    kv_set_opts_init(&opts, seed);
    CHECK_EQ_LL(opts.max_intset_entries, 512);
    o = kv_set_new_for("12", 2, &opts);
    CHECK_EQ_LL(kv_obj_type(o), KV_TYPE_SET);
    CHECK_EQ_LL(kv_obj_encoding(o), KV_ENC_INTSET);
    CHECK_EQ_LL(add_s(o, "12", &opts), 1);
    CHECK_EQ_LL(add_s(o, "-5", &opts), 1);
    CHECK_EQ_LL(add_s(o, "9223372036854775807", &opts), 1);
    CHECK_EQ_LL(add_s(o, "-9223372036854775808", &opts), 1);
    CHECK_EQ_LL(add_s(o, "12", &opts), 0);
    CHECK_EQ_LL(kv_set_size(o), 4);
    CHECK(has_s(o, "-5"));
    CHECK(!has_s(o, "-05"));
    CHECK(!has_s(o, "abc"));
    CHECK_EQ_LL(kv_set_remove(o, "abc", 3), 0);
    CHECK_EQ_LL(kv_set_remove(o, "7", 1), 0);
    memset(&t, 0, sizeof t);
    kv_set_foreach(o, append, &t);
    CHECK_MEM(t.buf, t.len, "-9223372036854775808,-5,12,9223372036854775807,");
    memset(&t, 0, sizeof t);
    t.stop_after = 2;
    kv_set_foreach(o, append, &t);
    CHECK_MEM(t.buf, t.len, "-9223372036854775808,-5,");
    CHECK_EQ_LL(kv_set_remove(o, "12", 2), 1);
    CHECK_EQ_LL(kv_set_size(o), 3);
    CHECK_EQ_LL(kv_obj_encoding(o), KV_ENC_INTSET);
    kv_obj_free(o);
}

static void test_conversions(void)
{
    kv_set_opts opts;
    kv_obj *o;
    char m[16];
    int i;
    kv_set_opts_init(&opts, seed);
    o = kv_set_new_for("a", 1, &opts);
    CHECK_EQ_LL(kv_obj_encoding(o), KV_ENC_HT);
    kv_obj_free(o);
    /* A non-canonical integer is a string. */
    o = kv_set_new();
    CHECK_EQ_LL(add_s(o, "1", &opts), 1);
    CHECK_EQ_LL(add_s(o, "01", &opts), 1);
    CHECK_EQ_LL(kv_obj_encoding(o), KV_ENC_HT);
    CHECK(has_s(o, "1") && has_s(o, "01") && !has_s(o, "001"));
    kv_set_remove(o, "01", 2);
    CHECK_EQ_LL(kv_obj_encoding(o), KV_ENC_HT); /* one-way */
    kv_obj_free(o);
    /* The limit as given (a live setting, CONFIG SET). */
    opts.max_intset_entries = 8;
    o = kv_set_new();
    for (i = 0; i < 8; i++) {
        snprintf(m, sizeof m, "%d", i * 3);
        CHECK_EQ_LL(add_s(o, m, &opts), 1);
    }
    CHECK_EQ_LL(add_s(o, "0", &opts), 0);
    CHECK_EQ_LL(kv_obj_encoding(o), KV_ENC_INTSET);
    CHECK_EQ_LL(add_s(o, "100", &opts), 1);
    CHECK_EQ_LL(kv_obj_encoding(o), KV_ENC_HT);
    CHECK_EQ_LL(kv_set_size(o), 9);
    for (i = 0; i < 8; i++) {
        snprintf(m, sizeof m, "%d", i * 3);
        CHECK(has_s(o, m));
    }
    kv_obj_free(o);
}

static void test_values(void)
{
    kv_set_opts opts;
    kv_lpval iv = {NULL, 0, -77}, sv = {(const unsigned char *)"-77", 3, 0};
    kv_obj *o = kv_set_new();
    kv_set_opts_init(&opts, seed);
    CHECK_EQ_LL(kv_set_add_val(o, &iv, &opts), 1);
    CHECK_EQ_LL(kv_set_add_val(o, &sv, &opts), 0);
    CHECK(kv_set_ismember_val(o, &sv));
    kv_set_convert(o, seed);
    CHECK_EQ_LL(kv_obj_encoding(o), KV_ENC_HT);
    CHECK(kv_set_ismember_val(o, &iv));
    CHECK(has_s(o, "-77"));
    CHECK_EQ_LL(kv_set_add_val(o, &iv, &opts), 0);
    CHECK_EQ_LL(kv_set_remove_val(o, &iv), 1);
    CHECK_EQ_LL(kv_set_size(o), 0);
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
    unsigned char hit[5000];
    int dups, n;
} seen;

static int mark(void *arg, const kv_lpval *m)
{
    seen *s = (seen *)arg;
    int i = m->s ? digits(m->s, m->n) : (int)m->v;
    if (s->hit[i]++)
        s->dups++;
    s->n++;
    return 0;
}

static kv_obj *numbered(int n, int strings)
{
    kv_set_opts opts;
    kv_obj *o = kv_set_new();
    char m[16];
    int i;
    kv_set_opts_init(&opts, seed);
    for (i = 0; i < n; i++) {
        snprintf(m, sizeof m, strings ? "m%d" : "%d", i);
        add_s(o, m, &opts);
    }
    return o;
}

static void test_hashtable_iteration(void)
{
    kv_obj *o = numbered(5000, 1);
    unsigned long c = 0;
    int calls = 0, i;
    size_t mem_full;
    char m[16];
    seen s;
    memset(&s, 0, sizeof s);
    kv_set_foreach(o, mark, &s);
    CHECK_EQ_LL(s.n, 5000);
    CHECK_EQ_LL(s.dups, 0);
    memset(&s, 0, sizeof s);
    do {
        c = kv_set_scan(o, c, mark, &s);
        calls++;
    } while (c);
    CHECK(calls > 1);
    CHECK_EQ_LL(s.n, 5000);
    CHECK_EQ_LL(s.dups, 0);
    mem_full = kv_set_mem(o);
    for (i = 0; i < 5000; i++) {
        snprintf(m, sizeof m, "m%d", i);
        CHECK_EQ_LL(kv_set_remove(o, m, strlen(m)), 1);
    }
    CHECK(kv_set_mem(o) < mem_full / 10);
    kv_obj_free(o);
    /* An intset scan reports everything at once. */
    o = numbered(100, 0);
    memset(&s, 0, sizeof s);
    CHECK_EQ_LL(kv_set_scan(o, 99, mark, &s), 0);
    CHECK_EQ_LL(s.n, 100);
    kv_obj_free(o);
}

static void test_random(void)
{
    static const int sizes[] = {1, 5, 300, 4000};
    uint64_t rng = 42;
    size_t k;
    int strings;
    for (strings = 0; strings < 2; strings++) {
        for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            int n = sizes[k], i, distinct = 0;
            kv_obj *o = numbered(n, strings);
            kv_lpval out[5000];
            size_t counts[4], c;
            seen s;
            counts[0] = 1;
            counts[1] = (size_t)n / 2 + 1;
            counts[2] = (size_t)n / 5 + 1;
            counts[3] = (size_t)n + 1;
            for (c = 0; c < 4; c++) {
                size_t got = kv_set_random_distinct(o, counts[c], &rng, out), j;
                memset(&s, 0, sizeof s);
                CHECK_EQ_LL(got, counts[c] < (size_t)n ? counts[c] : (size_t)n);
                for (j = 0; j < got; j++)
                    mark(&s, &out[j]);
                CHECK_EQ_LL(s.dups, 0);
            }
            kv_set_random_members(o, 3000, &rng, out);
            memset(&s, 0, sizeof s);
            for (i = 0; i < 3000; i++)
                mark(&s, &out[i]);
            for (i = 0; i < n; i++)
                distinct += s.hit[i] != 0;
            CHECK(distinct >= (n <= 5 ? n : n / 4));
            kv_obj_free(o);
        }
    }
}

static void test_memory_model(void)
{
    kv_obj *o = numbered(100, 0);
    size_t is = kv_set_mem(o);
    CHECK(is >= 32 + 200 && is < 500); /* 16-bit intset: 8 + 2 per member */
    kv_set_convert(o, seed);
    CHECK(kv_set_mem(o) > 100 * 32);
    kv_obj_free(o);
}

static void test_free_any_encoding(void)
{
    kv_set_opts opts;
    kv_obj *o;
    kv_set_opts_init(&opts, seed);
    /* kv_obj_free releases every encoding; a flat blob of another encoding
     * (a listpack, as Redis 7.2 would have) is one allocation. */
    kv_obj_free(kv_obj_new(KV_TYPE_SET, KV_ENC_LISTPACK, malloc(10)));
    kv_obj_free(kv_set_new());
    o = kv_set_new_for("x", 1, &opts);
    kv_obj_free(o);
    o = kv_set_new_for("x", 1, &opts);
    add_s(o, "x", &opts);
    kv_obj_free(o);
    CHECK(1);
}

TEST_MAIN("t_set", TEST(test_free_any_encoding), TEST(test_intset), TEST(test_conversions), TEST(test_values),
          TEST(test_hashtable_iteration), TEST(test_random), TEST(test_memory_model))
