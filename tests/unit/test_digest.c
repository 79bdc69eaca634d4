/* SHA-1 against FIPS 180 vectors, DEBUG DIGEST's value digests against
 * digests printed by Redis 7.0.15, and the latency histogram's bucket
 * values against what Redis's INFO latencystats prints. */
#include <stdio.h>
#include <string.h>

#include "cmd/server/svc.h"
#include "store/digest.h"
#include "store/sha1.h"
#include "test.h"

static void hex(const unsigned char *d, char out[41])
{
    int i;
    for (i = 0; i < 20; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void test_sha1_vectors(void)
{
    unsigned char d[20];
    char h[41];
    kv_sha1_ctx s;
    int i;
    kv_sha1("abc", 3, d);
    hex(d, h);
    CHECK_MEM(h, 40, "a9993e364706816aba3e25717850c26c9cd0d89d");
    kv_sha1("", 0, d);
    hex(d, h);
    CHECK_MEM(h, 40, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    kv_sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
    hex(d, h);
    CHECK_MEM(h, 40, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    kv_sha1_init(&s);
    for (i = 0; i < 1000000 / 50; i++)
        kv_sha1_update(&s, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 50);
    kv_sha1_final(&s, d);
    hex(d, h);
    CHECK_MEM(h, 40, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

static void value_hex(kv_obj *o, char out[41])
{
    unsigned char d[20];
    memset(d, 0, sizeof d);
    CHECK(kv_digest_value(d, o) == KV_DIGEST_OK);
    hex(d, out);
    kv_obj_free(o);
}

static void test_string_digests_match_redis(void)
{
    char h[41];
    /* DEBUG DIGEST-VALUE on Redis 7.0.15 for SET k hello / SET n 123. */
    value_hex(kv_str_new("hello", 5), h);
    CHECK_MEM(h, 40, "36b23a1456b2dce2c3ed252c456761301dba8060");
    value_hex(kv_str_new("123", 3), h);
    CHECK_MEM(h, 40, "89f7f51b707418f666d5b45e053bd5bbbf82ac2b");
    value_hex(kv_str_from_ll(123), h);
    CHECK_MEM(h, 40, "89f7f51b707418f666d5b45e053bd5bbbf82ac2b");
}

static void test_unsupported_types(void)
{
    unsigned char d[20] = {0};
    kv_obj o;
    memset(&o, 0, sizeof o);
    o.type = KV_TYPE_STREAM;
    CHECK(kv_digest_value(d, &o) == KV_DIGEST_UNSUPPORTED);
}

static void test_mix_and_xor(void)
{
    unsigned char a[20] = {0}, b[20] = {0}, h[20];
    int i;
    kv_digest_xor(a, "x", 1);
    kv_sha1("x", 1, h);
    CHECK(memcmp(a, h, 20) == 0);
    kv_digest_xor(a, "x", 1);
    for (i = 0; i < 20; i++)
        CHECK(a[i] == 0);
    kv_digest_mix(b, "x", 1);
    kv_sha1(h, 20, h);
    CHECK(memcmp(b, h, 20) == 0);
}

static void test_histogram(void)
{
    static kv_hist h;
    /* Redis prints p50=1.003 for 1 us, 3.007 for 3 us, 11.007 for 11 us. */
    memset(&h, 0, sizeof h);
    kv_hist_add(&h, 1000);
    CHECK(kv_hist_percentile(h.counts, h.total, 50) == 1003.0);
    memset(&h, 0, sizeof h);
    kv_hist_add(&h, 3000);
    CHECK(kv_hist_percentile(h.counts, h.total, 99.9) == 3007.0);
    memset(&h, 0, sizeof h);
    kv_hist_add(&h, 11000);
    CHECK(kv_hist_percentile(h.counts, h.total, 50) == 11007.0);
    memset(&h, 0, sizeof h);
    kv_hist_add(&h, 0); /* recorded as the lowest value, 1 ns */
    CHECK(kv_hist_percentile(h.counts, h.total, 50) == 1.0);
    memset(&h, 0, sizeof h);
    kv_hist_add(&h, 100);
    kv_hist_add(&h, 200);
    kv_hist_add(&h, 5000000000LL); /* capped at 1 s */
    CHECK(h.total == 3);
    CHECK(kv_hist_percentile(h.counts, h.total, 50) == 200.0);
    CHECK(kv_hist_percentile(h.counts, h.total, 100) >= 1000000000.0);
    CHECK(kv_hist_value_of(255) == 255);
    CHECK(kv_hist_value_of(256) == 257);
}

TEST_MAIN("digest",
          TEST(test_sha1_vectors),
          TEST(test_string_digests_match_redis),
          TEST(test_unsupported_types),
          TEST(test_mix_and_xor),
          TEST(test_histogram))
