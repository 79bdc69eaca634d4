/* CRC-64/Jones against its published check value, its bit-by-bit
 * definition and CRCs read off DUMP payloads of a real redis-server 7.0.15
 * (the last 8 bytes, little-endian, of DUMP of "hello" and of "v"). */
#include <stdint.h>

#include "store/crc64.h"
#include "test.h"

static void test_check_value(void)
{
    CHECK(kv_crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9caULL);
    CHECK(kv_crc64_bitwise(0, "123456789", 9) == 0xe9c6d914c4b8d9caULL);
    CHECK(kv_crc64(0, "", 0) == 0);
    CHECK(kv_crc64(0x1234, "", 0) == 0x1234);
}

static void test_table_matches_definition(void)
{
    unsigned char buf[4096];
    uint64_t x = 88172645463325252ULL;
    size_t i, n;
    for (i = 0; i < sizeof buf; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (unsigned char)x;
    }
    for (n = 0; n <= sizeof buf; n = n * 2 + 1)
        CHECK(kv_crc64(0, buf, n) == kv_crc64_bitwise(0, buf, n));
    for (i = 0; i < 256; i++) {
        unsigned char b = (unsigned char)i;
        CHECK(kv_crc64(0, &b, 1) == kv_crc64_bitwise(0, &b, 1));
    }
}

static void test_incremental(void)
{
    const char *s = "The quick brown fox jumps over the lazy dog";
    size_t n = 43, cut;
    uint64_t whole = kv_crc64(0, s, n);
    for (cut = 0; cut <= n; cut++)
        CHECK(kv_crc64(kv_crc64(0, s, cut), s + cut, n - cut) == whole);
}

static void test_redis_payloads(void)
{
    /* DUMP "hello" and DUMP "v": body + version 10, then the CRC. */
    static const unsigned char hello[] = {0x00, 0x05, 'h', 'e', 'l', 'l', 'o', 0x0a, 0x00};
    static const unsigned char v[] = {0x00, 0x01, 'v', 0x0a, 0x00};
    CHECK(kv_crc64(0, hello, sizeof hello) == 0x0a20346576df7263ULL);
    CHECK(kv_crc64(0, v, sizeof v) == 0xce8a3819b2ce0891ULL);
}

TEST_MAIN("crc64", TEST(test_check_value), TEST(test_table_matches_definition),
          TEST(test_incremental), TEST(test_redis_payloads))
