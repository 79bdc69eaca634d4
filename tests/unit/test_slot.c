/* Key -> slot -> shard routing. kv_key_slot must equal Redis Cluster's
 * CLUSTER KEYSLOT (every expected value below was read from a real
 * redis-server 7.0.15 in cluster mode), and kv_slot_shard must cut the 16384
 * slots into contiguous, balanced ranges for any shard count. */
#include <string.h>

#include "kevy/rt.h"
#include "test.h"

typedef struct slot_case {
    const char *key;
    size_t len;
    unsigned slot;
} slot_case;

static const slot_case slot_cases[] = {
    {"foo", 3, 12182},
    {"bar", 3, 5061},
    {"somekey", 7, 11058},
    {"foo{hash_tag}", 13, 2515},
    {"{}x", 3, 10595},
    {"{x", 2, 11068},
    {"a{}b{c}", 7, 7353},
    {"x{y}z{w}", 8, 12222},
    {"{user1000}.following", 20, 3443},
    {"", 0, 0},
    {"123456789", 9, 12739},
    {"a", 1, 15495},
    {"A", 1, 6373},
    {"key:1", 5, 6657},
    {"user:1000", 9, 1649},
    {"{user1000}.followers", 20, 3443},
    {"{user}", 6, 5474},
    {"{{a}}", 5, 10276},
    {"}{a}", 4, 15495},
    {"{a}}", 4, 15495},
    {"{}{a}", 5, 13650},
    {"{a", 2, 10276},
    {"}{", 2, 12793},
    {"{", 1, 4092},
    {"}", 1, 12090},
    {"{}", 2, 15257},
    {"hello world", 11, 15332},
    {"\000", 1, 0},
    {"\000\001\002", 3, 4979},
    {"\377\376\375", 3, 287},
    {"a\015\012b", 4, 3608},
    {"{\000}", 3, 0},
    {"{\000}x", 4, 0},
    {"{\377}tail", 7, 7920},
    {"\344\275\240\345\245\275", 6, 14231},
    {"{a}\000{b}", 7, 15495},
    {"mykey{", 6, 11978},
    {"{}{}", 4, 15786},
    {"a{b{c}d}", 8, 15725},
    {"\012", 1, 8522},
};

static void test_slot_redis_values(void)
{
    size_t i;
    for (i = 0; i < sizeof slot_cases / sizeof slot_cases[0]; i++) {
        unsigned got = kv_key_slot(slot_cases[i].key, slot_cases[i].len);
        CHECK_EQ_LL(got, slot_cases[i].slot);
        if (got != slot_cases[i].slot)
            fprintf(stderr, "  key #%zu (%zu bytes)\n", i, slot_cases[i].len);
    }
}

static void test_slot_long_key(void)
{
    static char k[1000];
    memset(k, 'x', sizeof k);
    CHECK_EQ_LL(kv_key_slot(k, sizeof k), 3195); /* CLUSTER KEYSLOT of 1000 'x' */
}

/* A hashtag co-locates keys: only the bytes between the first '{' and the
 * next '}' count, when there are any. */
static void test_slot_hashtags(void)
{
    unsigned u = kv_key_slot("user1000", 8);
    CHECK_EQ_LL(kv_key_slot("{user1000}.following", 20), u);
    CHECK_EQ_LL(kv_key_slot("{user1000}.followers", 20), u);
    CHECK_EQ_LL(kv_key_slot("x{user1000}", 11), u);
    CHECK_EQ_LL(kv_key_slot("{user1000}{other}", 17), u);
    CHECK_EQ_LL(kv_key_slot("foo{}", 5) == kv_key_slot("bar{}", 5), 0);
    /* The length is honoured: bytes past it never count. */
    CHECK_EQ_LL(kv_key_slot("foobar", 3), 12182);
    CHECK_EQ_LL(kv_key_slot("{a}b", 2), kv_key_slot("{a", 2));
}

/* Every key lands in [0, 16384). */
static void test_slot_range(void)
{
    char k[8];
    unsigned i, bad = 0;
    for (i = 0; i < 200000; i++) {
        size_t n = (size_t)(i % 8);
        unsigned x = i * 2654435761u, j;
        for (j = 0; j < n; j++)
            k[j] = (char)(x >> (j * 4));
        if (kv_key_slot(k, n) >= KV_SLOTS)
            bad++;
    }
    CHECK_EQ_LL(bad, 0);
}

static void test_slot_shard_ranges(void)
{
    int n;
    for (n = 1; n <= 64; n++) {
        int prev = 0, cur = -1, out_of_range = 0, nonmono = 0, s;
        long count[64];
        long mn = KV_SLOTS, mx = 0;
        unsigned slot;
        memset(count, 0, sizeof count);
        for (slot = 0; slot < KV_SLOTS; slot++) {
            s = kv_slot_shard(slot, n);
            if (s < 0 || s >= n) {
                out_of_range++;
                continue;
            }
            if (s < prev)
                nonmono++;
            /* Contiguous: a shard's range is never resumed after a gap, and
             * the shard index moves by at most one (no shard is skipped). */
            if (s != cur && cur >= 0 && s != cur + 1)
                nonmono++;
            prev = cur = s;
            count[s]++;
        }
        CHECK_EQ_LL(out_of_range, 0);
        CHECK_EQ_LL(nonmono, 0);
        CHECK_EQ_LL(kv_slot_shard(0, n), 0);
        CHECK_EQ_LL(kv_slot_shard(KV_SLOTS - 1, n), n - 1);
        for (s = 0; s < n; s++) {
            if (count[s] < mn)
                mn = count[s];
            if (count[s] > mx)
                mx = count[s];
        }
        CHECK(mn > 0);
        CHECK(mx - mn <= 1);
        if (mx - mn > 1)
            fprintf(stderr, "  %d shards: ranges of %ld..%ld slots\n", n, mn, mx);
    }
    /* Powers of two split exactly. */
    CHECK_EQ_LL(kv_slot_shard(8191, 2), 0);
    CHECK_EQ_LL(kv_slot_shard(8192, 2), 1);
    CHECK_EQ_LL(kv_slot_shard(4095, 4), 0);
    CHECK_EQ_LL(kv_slot_shard(4096, 4), 1);
}

TEST_MAIN("slot",
          TEST(test_slot_redis_values),
          TEST(test_slot_long_key),
          TEST(test_slot_hashtags),
          TEST(test_slot_range),
          TEST(test_slot_shard_ranges))
