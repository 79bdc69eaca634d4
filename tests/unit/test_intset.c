/* Unit tests for the intset: blobs must equal Redis 7.0.15's for the same
 * members (captured with DUMP, rdbcompression off), width upgrades keep order,
 * random adds/removes agree with a sorted-array model, and the validator
 * rejects malformed blobs without reading out of bounds (run under ASan). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/intset.h"
#include "test.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* SADD S <members> on Redis 7.0.15, then DUMP S. */
static const long long is16_in[] = {3LL, 1LL, 2LL, -7LL};
static const unsigned char is16_blob[] =
    "\x02\x00\x00\x00\x04\x00\x00\x00\xf9\xff\x01\x00\x02\x00\x03\x00";
static const long long is32_in[] = {1LL, 40000LL, -2LL};
static const unsigned char is32_blob[] =
    "\x04\x00\x00\x00\x03\x00\x00\x00\xfe\xff\xff\xff\x01\x00\x00\x00\x40\x9c\x00\x00";
static const long long is64_in[] = {-5LL, 1099511627776LL, 7LL, (-9223372036854775807LL - 1),
                                   9223372036854775807LL};
static const unsigned char is64_blob[] =
    "\x08\x00\x00\x00\x05\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x80\xfb\xff\xff\xff\xff\xff\xff\xff"
    "\x07\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00"
    "\xff\xff\xff\xff\xff\xff\xff\x7f";
static const long long isb_in[] = {32767LL, -32768LL};
static const unsigned char isb_blob[] =
    "\x02\x00\x00\x00\x02\x00\x00\x00\x00\x80\xff\x7f";

static void check_vector(const long long *in, size_t n, const unsigned char *want, size_t wn)
{
    unsigned char *is = kv_is_new();
    size_t i;
    int added;
    for (i = 0; i < n; i++) {
        is = kv_is_add(is, in[i], &added);
        CHECK_EQ_LL(added, 1);
    }
    is = kv_is_add(is, in[0], &added);
    CHECK_EQ_LL(added, 0);
    CHECK_EQ_LL(kv_is_len(is), n);
    CHECK_EQ_LL(kv_is_bytes(is), wn);
    CHECK(kv_is_bytes(is) == wn && memcmp(is, want, wn) == 0);
    CHECK(kv_is_validate(want, wn));
    for (i = 0; i < n; i++)
        CHECK(kv_is_find(want, in[i]));
    kv_is_free(is);
}

static void test_redis_vectors(void)
{
    check_vector(is16_in, NELEM(is16_in), is16_blob, sizeof is16_blob - 1);
    check_vector(is32_in, NELEM(is32_in), is32_blob, sizeof is32_blob - 1);
    check_vector(is64_in, NELEM(is64_in), is64_blob, sizeof is64_blob - 1);
    check_vector(isb_in, NELEM(isb_in), isb_blob, sizeof isb_blob - 1);
}

static void test_basic(void)
{
    unsigned char *is = kv_is_new();
    int r;
    uint64_t rng = 1;
    size_t i, hits[3] = {0, 0, 0};

    CHECK_EQ_LL(kv_is_len(is), 0);
    CHECK_EQ_LL(kv_is_bytes(is), 8);
    CHECK(memcmp(is, "\x02\x00\x00\x00\x00\x00\x00\x00", 8) == 0);
    CHECK(!kv_is_validate(is, 8)); /* empty: refused in payloads, like Redis */
    CHECK(!kv_is_find(is, 0));
    CHECK_EQ_LL(kv_is_random(is, &rng), 0);
    is = kv_is_remove(is, 5, &r);
    CHECK_EQ_LL(r, 0);
    is = kv_is_add(is, 5, &r);
    is = kv_is_add(is, -3, &r);
    is = kv_is_add(is, 100, &r);
    CHECK_EQ_LL(kv_is_get(is, 0), -3);
    CHECK_EQ_LL(kv_is_get(is, 2), 100);
    /* Upgrade to 64-bit with a value at the front. */
    is = kv_is_add(is, INT64_MIN, &r);
    CHECK_EQ_LL(r, 1);
    CHECK_EQ_LL(kv_is_bytes(is), 8 + 4 * 8);
    CHECK(kv_is_get(is, 0) == INT64_MIN);
    CHECK_EQ_LL(kv_is_get(is, 1), -3);
    CHECK_EQ_LL(kv_is_get(is, 3), 100);
    /* A wide value is not found in a narrow set, and removing it is a no-op. */
    is = kv_is_remove(is, INT64_MIN, &r);
    CHECK_EQ_LL(r, 1);
    CHECK(!kv_is_find(is, INT64_MIN));
    /* The set never narrows again (Redis does not either). */
    CHECK_EQ_LL(kv_is_bytes(is), 8 + 3 * 8);
    CHECK(kv_is_validate(is, kv_is_bytes(is)));
    for (i = 0; i < 300; i++) {
        int64_t v = kv_is_random(is, &rng);
        hits[v == -3 ? 0 : v == 5 ? 1 : 2]++;
        CHECK(v == -3 || v == 5 || v == 100);
    }
    CHECK(hits[0] > 50 && hits[1] > 50 && hits[2] > 50);
    is = kv_is_remove(is, 5, &r);
    is = kv_is_remove(is, -3, &r);
    is = kv_is_remove(is, 100, &r);
    CHECK_EQ_LL(kv_is_len(is), 0);
    CHECK_EQ_LL(kv_is_bytes(is), 8);
    kv_is_free(is);

    /* A narrow set does not hold the wide value. */
    is = kv_is_add(kv_is_new(), 1, NULL);
    CHECK(!kv_is_find(is, 65537));
    is = kv_is_remove(is, 65537, &r);
    CHECK_EQ_LL(r, 0);
    kv_is_free(is);
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_model(void)
{
    enum { MAXN = 2000 };
    int64_t model[MAXN];
    size_t n = 0, i, step;
    uint64_t rng = 0x1234567;
    unsigned char *is = kv_is_new();
    int ok = 1;
    for (step = 0; step < 30000 && ok; step++) {
        int64_t v;
        int r, found = 0, adding;
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        /* Mostly small values, so removes hit; a few wide ones for upgrades. */
        v = (int64_t)(rng >> 8) % 3000 - 1500;
        if (step % 5000 == 4999)
            v = (int64_t)(rng >> 1) * ((rng & 1) ? 1 : -1);
        else if (step % 1000 == 999)
            v = 100000 + (int64_t)(rng % 1000);
        for (i = 0; i < n; i++)
            if (model[i] == v)
                found = 1;
        adding = (rng & 3) != 0 && n < MAXN;
        if (adding) {
            is = kv_is_add(is, v, &r);
            ok = ok && r == !found;
            if (!found)
                model[n++] = v;
        } else {
            is = kv_is_remove(is, v, &r);
            ok = ok && r == found;
            for (i = 0; found && i < n; i++)
                if (model[i] == v) {
                    model[i] = model[--n];
                    break;
                }
        }
        ok = ok && kv_is_find(is, v) == (r ? adding : found);
        qsort(model, n, sizeof *model, cmp64);
        ok = ok && kv_is_len(is) == n;
        if (step % 101 == 0)
            for (i = 0; i < n && ok; i++)
                ok = kv_is_get(is, i) == model[i];
        if (n)
            ok = ok && kv_is_validate(is, kv_is_bytes(is));
    }
    CHECK(ok);
    kv_is_free(is);
}

static int valid_copy(const unsigned char *b, size_t n)
{
    unsigned char *c = (unsigned char *)malloc(n ? n : 1);
    int ok;
    if (n)
        memcpy(c, b, n);
    ok = kv_is_validate(c, n);
    free(c);
    return ok;
}

static void test_validate(void)
{
    unsigned char b[64];
    size_t n = sizeof is64_blob - 1, i;
    CHECK(valid_copy(is64_blob, n));
    CHECK(!kv_is_validate(NULL, 0));
    for (i = 0; i < n; i++)
        CHECK(!valid_copy(is64_blob, i));
    memcpy(b, is64_blob, n);
    b[0] = 3;                                  /* bad width */
    CHECK(!valid_copy(b, n));
    memcpy(b, is64_blob, n);
    b[4] = 6;                                  /* length too long */
    CHECK(!valid_copy(b, n));
    b[4] = 0xff;
    b[7] = 0x20;                               /* length * width overflows 32 bits */
    CHECK(!valid_copy(b, n));
    memcpy(b, "\x02\x00\x00\x00\x02\x00\x00\x00\x01\x00\x01\x00", 12);  /* duplicate */
    CHECK(!valid_copy(b, 12));
    memcpy(b, "\x02\x00\x00\x00\x02\x00\x00\x00\x02\x00\x01\x00", 12);  /* descending */
    CHECK(!valid_copy(b, 12));
    memcpy(b, "\x04\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00", 16);
    CHECK(valid_copy(b, 16));                  /* wider than needed: Redis accepts */
    CHECK(!valid_copy(b, 15));
    /* Every single-bit flip of a valid blob: no crash, no out-of-bounds. */
    for (i = 0; i < n * 8; i++) {
        memcpy(b, is64_blob, n);
        b[i / 8] ^= (unsigned char)(1u << (i % 8));
        (void)valid_copy(b, n);
    }
}

TEST_MAIN("intset", TEST(test_redis_vectors), TEST(test_basic), TEST(test_model),
          TEST(test_validate))
