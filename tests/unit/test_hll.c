/* The HyperLogLog store module against values captured from Redis 7.0.15:
 * hashing, exact sparse and dense bytes after the same additions, the
 * estimator's counts, merging, the cache bits, and the rejection of every
 * kind of corrupt sparse body without reading past it. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "store/hll.h"
#include "test.h"

#define HDR KV_HLL_HDR_SIZE

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* "e0".."e<n-1>" added one by one, then the cache marked stale: PFADD. */
static void add_range(kv_hll *h, int from, int to)
{
    char buf[32];
    int i;
    for (i = from; i < to; i++) {
        int len = snprintf(buf, sizeof buf, "e%d", i);
        CHECK(kv_hll_add(h, buf, (size_t)len, KV_HLL_SPARSE_MAX_BYTES) >= 0);
    }
    kv_hll_cache_invalidate(h->p);
}

static void test_pattern(void)
{
    unsigned idx, count;
    /* From the sparse bytes Redis writes for PFADD of one element. */
    count = kv_hll_pattern("a", 1, &idx);
    CHECK_EQ_LL(idx, 12711);
    CHECK_EQ_LL(count, 2);
    count = kv_hll_pattern("b", 1, &idx);
    CHECK_EQ_LL(idx, 15780);
    CHECK_EQ_LL(count, 1);
    count = kv_hll_pattern("foo", 3, &idx);
    CHECK_EQ_LL(idx, 7348);
    CHECK_EQ_LL(count, 5);
    /* Every tail length, and the empty input, must hash without reading past. */
    CHECK(kv_murmur64a("", 0, KV_HLL_SEED) != kv_murmur64a("x", 1, KV_HLL_SEED));
    CHECK(kv_murmur64a("abcdefgh", 8, 0) != kv_murmur64a("abcdefghi", 9, 0));
}

static void test_new_and_one_element(void)
{
    static const unsigned char one_a[] = {'H', 'Y', 'L', 'L', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80,
                                          0x71, 0xa6, 0x84, 0x4e, 0x57};
    kv_hll h;
    uint64_t card = 99;
    kv_hll_new(&h);
    CHECK_EQ_LL(h.len, HDR + 2);
    CHECK(memcmp(h.p, "HYLL\x01", 5) == 0);
    CHECK(h.p[16] == 0x7f && h.p[17] == 0xff);
    CHECK(kv_hll_valid(h.p, h.len));
    CHECK(kv_hll_cache_get(h.p, &card) && card == 0);
    CHECK_EQ_LL(kv_hll_count(h.p, h.len, &card), 0);
    CHECK_EQ_LL(card, 0);
    CHECK_EQ_LL(kv_hll_add(&h, "a", 1, KV_HLL_SPARSE_MAX_BYTES), 1);
    CHECK_EQ_LL(kv_hll_add(&h, "a", 1, KV_HLL_SPARSE_MAX_BYTES), 0);
    CHECK(h.len == sizeof one_a && memcmp(h.p, one_a, sizeof one_a) == 0);
    CHECK_EQ_LL(kv_hll_count(h.p, h.len, &card), 0);
    CHECK_EQ_LL(card, 1);
    kv_hll_free(&h);
}

/* PFADD of e0..e<n-1> in Redis 7.0.15: PFCOUNT, GET's length, encoding and
 * an FNV-1a of GET's bytes. */
static const struct {
    int n;
    uint64_t count;
    size_t len;
    int enc;
    uint64_t fnv;
} fixtures[] = {
    {1, 1, 21, 1, 0xfffb6faeff77f7cdULL},
    {10, 10, 48, 1, 0x4afcb65d27f7d346ULL},
    {100, 100, 285, 1, 0xb8de76dab4a4065eULL},
    {1000, 1008, 1906, 1, 0x5935de0232806824ULL},
    {1500, 1509, 2719, 1, 0xd67ee50b81f2a28cULL},
    {3000, 2979, 12304, 0, 0x1b31e02ee1b56bceULL},
    {10000, 9973, 12304, 0, 0x7378cbab5ab5c44bULL},
    {100000, 100853, 12304, 0, 0xafbf1713dc5ba3c8ULL},
};

static void test_redis_fixtures(void)
{
    size_t i;
    for (i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        kv_hll h;
        uint64_t card = 0;
        kv_hll_new(&h);
        add_range(&h, 0, fixtures[i].n);
        CHECK_EQ_LL(h.len, fixtures[i].len);
        CHECK_EQ_LL(kv_hll_encoding(h.p), fixtures[i].enc);
        CHECK(fnv1a(h.p, h.len) == fixtures[i].fnv);
        CHECK(kv_hll_valid(h.p, h.len));
        CHECK_EQ_LL(kv_hll_count(h.p, h.len, &card), 0);
        CHECK_EQ_LL(card, fixtures[i].count);
        if (fixtures[i].enc == KV_HLL_SPARSE) {
            /* The dense form of the same registers counts the same. */
            CHECK_EQ_LL(kv_hll_to_dense(&h), 0);
            CHECK_EQ_LL(h.len, KV_HLL_DENSE_SIZE);
            CHECK_EQ_LL(kv_hll_count(h.p, h.len, &card), 0);
            CHECK_EQ_LL(card, fixtures[i].count);
        }
        kv_hll_free(&h);
    }
}

static void test_merge_and_raw_count(void)
{
    uint8_t max[KV_HLL_REGISTERS];
    kv_hll a, b;
    uint64_t card;
    kv_hll_new(&a);
    kv_hll_new(&b);
    add_range(&a, 0, 1000);
    add_range(&b, 500, 1500);
    memset(max, 0, sizeof max);
    CHECK_EQ_LL(kv_hll_merge(max, a.p, a.len), 0);
    CHECK_EQ_LL(kv_hll_merge(max, b.p, b.len), 0);
    CHECK_EQ_LL(kv_hll_count_raw(max), 1509); /* Redis: PFCOUNT u1 u2 */
    /* PFMERGE's write: registers raised in index order on a fresh sparse
     * value leave the bytes of adding e0..e1499 (Redis's 0xd67e...). */
    kv_hll_free(&a);
    kv_hll_new(&a);
    {
        unsigned j;
        for (j = 0; j < KV_HLL_REGISTERS; j++)
            if (max[j])
                kv_hll_set(&a, j, max[j], KV_HLL_SPARSE_MAX_BYTES);
    }
    kv_hll_cache_invalidate(a.p);
    CHECK_EQ_LL(a.len, 2719);
    CHECK(fnv1a(a.p, a.len) == 0xd67ee50b81f2a28cULL);
    /* A dense value merges like its sparse form. */
    CHECK_EQ_LL(kv_hll_to_dense(&b), 0);
    memset(max, 0, sizeof max);
    CHECK_EQ_LL(kv_hll_merge(max, a.p, a.len), 0);
    CHECK_EQ_LL(kv_hll_merge(max, b.p, b.len), 0);
    CHECK_EQ_LL(kv_hll_count_raw(max), 1509);
    memset(max, 0, sizeof max);
    CHECK_EQ_LL(kv_hll_count_raw(max), 0);
    CHECK_EQ_LL(kv_hll_count(a.p, a.len, &card), 0);
    CHECK_EQ_LL(card, 1509);
    kv_hll_free(&a);
    kv_hll_free(&b);
}

static void test_dense_registers(void)
{
    unsigned char regs[KV_HLL_DENSE_SIZE - HDR];
    unsigned i;
    memset(regs, 0, sizeof regs);
    for (i = 0; i < KV_HLL_REGISTERS; i++)
        CHECK_EQ_LL(kv_hll_dense_set(regs, i, (i * 7 + 1) % 64), (i * 7 + 1) % 64 != 0);
    for (i = 0; i < KV_HLL_REGISTERS; i++)
        CHECK_EQ_LL(kv_hll_dense_get(regs, i), (i * 7 + 1) % 64);
    /* Only raises: a lower value changes nothing. */
    CHECK_EQ_LL(kv_hll_dense_set(regs, KV_HLL_REGISTERS - 1, 1), 0);
    CHECK_EQ_LL(kv_hll_dense_set(regs, KV_HLL_REGISTERS - 1, 63), 1);
    CHECK_EQ_LL(kv_hll_dense_get(regs, KV_HLL_REGISTERS - 1), 63);
    CHECK_EQ_LL(kv_hll_dense_get(regs, KV_HLL_REGISTERS - 2), ((KV_HLL_REGISTERS - 2) * 7 + 1) % 64);
}

static void test_sparse_edits(void)
{
    /* Neighbouring registers with one value share a VAL opcode. */
    static const unsigned char two[] = {0x40, 0x63, 0x81, 0x7f, 0x99};
    static const unsigned char three[] = {0x40, 0x63, 0x81, 0x88, 0x7f, 0x98};
    kv_hll h;
    uint64_t card;
    kv_hll_new(&h);
    CHECK_EQ_LL(kv_hll_set(&h, 100, 1, KV_HLL_SPARSE_MAX_BYTES), 1);
    CHECK_EQ_LL(kv_hll_set(&h, 101, 1, KV_HLL_SPARSE_MAX_BYTES), 1);
    CHECK(h.len == HDR + sizeof two && memcmp(h.p + HDR, two, sizeof two) == 0);
    CHECK_EQ_LL(kv_hll_set(&h, 102, 3, KV_HLL_SPARSE_MAX_BYTES), 1);
    CHECK(h.len == HDR + sizeof three && memcmp(h.p + HDR, three, sizeof three) == 0);
    CHECK_EQ_LL(kv_hll_set(&h, 101, 1, KV_HLL_SPARSE_MAX_BYTES), 0);
    CHECK_EQ_LL(kv_hll_set(&h, 9000, 0, KV_HLL_SPARSE_MAX_BYTES), 0); /* 0 is no change */
    CHECK(h.len == HDR + sizeof three && memcmp(h.p + HDR, three, sizeof three) == 0);
    /* A value above 32 cannot be sparse: promoted, the other registers kept. */
    CHECK_EQ_LL(kv_hll_set(&h, 5000, 40, KV_HLL_SPARSE_MAX_BYTES), 1);
    CHECK_EQ_LL(kv_hll_encoding(h.p), KV_HLL_DENSE);
    CHECK_EQ_LL(kv_hll_dense_get(h.p + HDR, 100), 1);
    CHECK_EQ_LL(kv_hll_dense_get(h.p + HDR, 102), 3);
    CHECK_EQ_LL(kv_hll_dense_get(h.p + HDR, 5000), 40);
    CHECK_EQ_LL(kv_hll_count(h.p, h.len, &card), 0);
    kv_hll_free(&h);
    /* A size limit this small promotes the first split. */
    kv_hll_new(&h);
    CHECK_EQ_LL(kv_hll_set(&h, 7, 2, HDR + 2), 1);
    CHECK_EQ_LL(kv_hll_encoding(h.p), KV_HLL_DENSE);
    kv_hll_free(&h);
}

static void test_cache_bits(void)
{
    unsigned char hdr[HDR] = {'H', 'Y', 'L', 'L', 1};
    uint64_t card = 0;
    kv_hll_cache_set(hdr, 0x0102030405ULL);
    CHECK(kv_hll_cache_get(hdr, &card) && card == 0x0102030405ULL);
    CHECK(hdr[8] == 0x05 && hdr[12] == 0x01 && hdr[15] == 0);
    kv_hll_cache_invalidate(hdr);
    CHECK(!kv_hll_cache_get(hdr, &card));
    /* Redis keeps the stale count's bytes, only the top bit is set. */
    CHECK(hdr[8] == 0x05 && hdr[15] == 0x80);
}

/* A sparse value with the given body and a stale cache. */
static size_t sparse_of(unsigned char *out, const unsigned char *body, size_t n)
{
    static const unsigned char hdr[HDR] = {'H', 'Y', 'L', 'L', 1, 0, 0, 0,
                                           0, 0, 0, 0, 0, 0, 0, 0x80};
    memcpy(out, hdr, HDR);
    memcpy(out + HDR, body, n);
    return HDR + n;
}

static void test_corrupt(void)
{
    static const struct {
        const char *name;
        unsigned char body[4];
        size_t n;
        int ok;
    } cases[] = {
        {"valid", {0x7f, 0xff}, 2, 1},
        {"empty body", {0}, 0, 0},
        {"one short", {0x7f, 0xfe}, 2, 0},
        {"trailing zero", {0x7f, 0xff, 0x00}, 3, 0},
        {"trailing val", {0x7f, 0xff, 0x80}, 3, 0},
        {"val past the end", {0x7f, 0xfe, 0x85}, 3, 0},
        {"truncated xzero", {0x7f}, 1, 0},
        {"xzero past the end", {0x7f, 0xff, 0x7f, 0xff}, 4, 0},
    };
    unsigned char v[64];
    uint8_t max[KV_HLL_REGISTERS];
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = sparse_of(v, cases[i].body, cases[i].n);
        uint64_t card;
        kv_hll h;
        int rc;
        memset(max, 0, sizeof max);
        CHECK(kv_hll_valid(v, n));
        rc = kv_hll_count(v, n, &card);
        if ((rc == 0) != cases[i].ok)
            fprintf(stderr, "  count: %s\n", cases[i].name);
        CHECK((rc == 0) == cases[i].ok);
        CHECK((kv_hll_merge(max, v, n) == 0) == cases[i].ok);
        kv_hll_from(&h, v, n);
        CHECK((kv_hll_to_dense(&h) == 0) == cases[i].ok);
        kv_hll_free(&h);
    }
    /* Adding to an index the opcodes do not reach fails and changes nothing. */
    {
        static const unsigned char body[] = {0x40, 0x09}; /* 10 registers */
        size_t n = sparse_of(v, body, sizeof body);
        kv_hll h;
        kv_hll_from(&h, v, n);
        CHECK_EQ_LL(kv_hll_set(&h, 100, 1, KV_HLL_SPARSE_MAX_BYTES), -1);
        CHECK(h.len == n && memcmp(h.p, v, n) == 0);
        CHECK_EQ_LL(kv_hll_set(&h, 5, 1, KV_HLL_SPARSE_MAX_BYTES), 1); /* as Redis */
        CHECK_EQ_LL(kv_hll_set(&h, 100, 40, KV_HLL_SPARSE_MAX_BYTES), -1);
        kv_hll_free(&h);
    }
    /* Header checks. */
    CHECK(!kv_hll_valid((const unsigned char *)"HYLL", 4));
    CHECK(!kv_hll_valid((const unsigned char *)"HYLX\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff", 18));
    CHECK(!kv_hll_valid((const unsigned char *)"HYLL\x02\0\0\0\0\0\0\0\0\0\0\0\x7f\xff", 18));
    CHECK(!kv_hll_valid((const unsigned char *)"HYLL\x00\0\0\0\0\0\0\0\0\0\0\0\x7f\xff", 18));
    CHECK(kv_hll_valid((const unsigned char *)"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0", 16));
}

static void test_estimator_edges(void)
{
    unsigned long histo[64];
    memset(histo, 0, sizeof histo);
    histo[0] = KV_HLL_REGISTERS;
    CHECK_EQ_LL(kv_hll_estimate(histo), 0);
    /* Values above Q+1 (possible in a client's dense value) count as nothing. */
    {
        uint64_t without;
        histo[0] = KV_HLL_REGISTERS - 1;
        without = kv_hll_estimate(histo);
        histo[63] = 1;
        CHECK_EQ_LL(kv_hll_estimate(histo), without);
    }
    memset(histo, 0, sizeof histo);
    histo[KV_HLL_Q + 1] = KV_HLL_REGISTERS; /* every register saturated */
    CHECK(kv_hll_estimate(histo) > 0);
}

TEST_MAIN("hll", TEST(test_pattern), TEST(test_new_and_one_element), TEST(test_redis_fixtures),
          TEST(test_merge_and_raw_count), TEST(test_dense_registers), TEST(test_sparse_edits),
          TEST(test_cache_bits), TEST(test_corrupt), TEST(test_estimator_edges))
