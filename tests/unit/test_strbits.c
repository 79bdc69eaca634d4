/* Unit tests for the number rules under the string and bitmap commands:
 * the long double text form INCRBYFLOAT replies (values checked against
 * Redis 7.0.15 on x86-64, whose long double is the same x87 type), the
 * bitfield reads/writes at odd offsets, and the bitfield overflow
 * arithmetic (WRAP, SAT, FAIL) at every width's edges. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cmd/lib/fmt_float.h"
#include "cmd/string/string.h"
#include "test.h"

/* ------------------------------------------------------------ floats */

static const char *fmt(long double v)
{
    static char buf[KV_LD_MAX_CHARS];
    size_t n = kv_ld2str_human(buf, sizeof buf, v);
    CHECK(n == strlen(buf));
    return buf;
}

static int parses(const char *s, size_t n, long double *v)
{
    return kv_str2ld(s, n, v);
}

#define PARSE_OK(lit, want)                                                \
    do {                                                                   \
        long double v_ = -12345;                                           \
        CHECK(parses(lit, sizeof(lit) - 1, &v_));                          \
        CHECK(v_ == (want));                                               \
    } while (0)
#define PARSE_BAD(lit)                                                     \
    do {                                                                   \
        long double v_ = -12345;                                           \
        CHECK(!parses(lit, sizeof(lit) - 1, &v_));                         \
        CHECK(v_ == -12345);                                               \
    } while (0)

static void test_float_format(void)
{
    CHECK(strcmp(fmt(0), "0") == 0);
    CHECK(strcmp(fmt(-0.0L), "0") == 0);
    CHECK(strcmp(fmt(3), "3") == 0);
    CHECK(strcmp(fmt(-1), "-1") == 0);
    CHECK(strcmp(fmt(5000), "5000") == 0);
    CHECK(strcmp(fmt(10.5L), "10.5") == 0);
    CHECK(strcmp(fmt(0.1L), "0.1") == 0);
    CHECK(strcmp(fmt(-1e-30L), "0") == 0);       /* "-0.000..." loses its sign */
    CHECK(strcmp(fmt(1.5e-300L), "0") == 0);
    CHECK(strcmp(fmt(1e17L), "100000000000000000") == 0);
    CHECK(strcmp(fmt(1e17L + 1), "100000000000000001") == 0);
    CHECK(strcmp(fmt(1.0L / 3), "0.33333333333333333") == 0);
    CHECK(strcmp(fmt(-2.0L / 3), "-0.66666666666666667") == 0);
    CHECK(strcmp(fmt(HUGE_VALL), "inf") == 0);
    CHECK(strcmp(fmt(-HUGE_VALL), "-inf") == 0);
}

/* INCRBYFLOAT's arithmetic: parse both, add in long double, print. */
static const char *incr(const char *cur, const char *by)
{
    long double a = 0, b = 0;
    if (cur)
        CHECK(kv_str2ld(cur, strlen(cur), &a));
    CHECK(kv_str2ld(by, strlen(by), &b));
    return fmt(a + b);
}

static void test_float_incr_sequence(void)
{
    /* What Redis answers to INCRBYFLOAT k 0.1 three times, then 1e5. */
    CHECK(strcmp(incr(NULL, "0.1"), "0.1") == 0);
    CHECK(strcmp(incr("0.1", "0.1"), "0.2") == 0);
    CHECK(strcmp(incr("0.2", "0.1"), "0.3") == 0);
    CHECK(strcmp(incr("0.3", "1e5"), "100000.29999999999999716") == 0);
    CHECK(strcmp(incr("100000.29999999999999716", "0.1"), "100000.39999999999999858") == 0);
    CHECK(strcmp(incr("100000.39999999999999858", "-100000"), "0.39999999999999858") == 0);
    CHECK(strcmp(incr("0.39999999999999858", "-0.4"), "-0.00000000000000142") == 0);
    CHECK(strcmp(incr(NULL, "5.0e3"), "5000") == 0);
    CHECK(strcmp(incr(NULL, "123456789012345678901234567890"),
                 "123456789012345678899921813504") == 0);
    CHECK(strcmp(incr("1.1", "2.2"), "3.3") == 0);
    CHECK(strcmp(incr("9223372036854775807", "1"), "9223372036854775808") == 0);
}

static void test_float_format_extremes(void)
{
    long double v;
    const char *s;
    CHECK(kv_str2ld("1e4000", 6, &v));
    s = fmt(v);
    CHECK(strlen(s) == 4000);
    CHECK(strncmp(s, "99999999999999999999654638730996", 32) == 0);
    CHECK(kv_str2ld("-1.18e4932", 10, &v));
    s = fmt(v);
    CHECK(strlen(s) == 4934);
    CHECK(strncmp(s, "-11800000000000000000", 21) == 0);
    s = fmt(LDBL_MAX);
    CHECK(strlen(s) < KV_LD_MAX_CHARS);
}

static void test_float_parse(void)
{
    char longbuf[KV_LD_MAX_CHARS + 2];
    long double v;
    PARSE_OK("0", 0);
    PARSE_OK("1.5", 1.5L);
    PARSE_OK("-0", 0);
    PARSE_OK("+1", 1);
    PARSE_OK(".5", 0.5L);
    PARSE_OK("5.", 5);
    PARSE_OK("0x10", 16);
    PARSE_OK("1e3", 1000);
    PARSE_OK("inf", HUGE_VALL);
    PARSE_OK("-Infinity", -HUGE_VALL);
    PARSE_BAD("");
    PARSE_BAD("abc");
    PARSE_BAD(" 1");
    PARSE_BAD("\t1");
    PARSE_BAD("1 ");
    PARSE_BAD("1\0abc");
    PARSE_BAD("1.5\0");
    PARSE_BAD("nan");
    PARSE_BAD("-nan");
    PARSE_BAD("1e5000");
    PARSE_BAD("-1e5000");
    PARSE_BAD("1e-5000");
    PARSE_BAD("1e");
    PARSE_BAD("--1");
    /* At most 5119 characters. */
    memset(longbuf, '0', sizeof longbuf);
    longbuf[0] = '1';
    longbuf[1] = '.';
    CHECK(kv_str2ld(longbuf, KV_LD_MAX_CHARS - 1, &v) && v == 1);
    CHECK(!kv_str2ld(longbuf, KV_LD_MAX_CHARS, &v));
}

/* INCRBYFLOAT stores its result like Redis's createStringObject. */
static void test_float_result_encoding(void)
{
    char big[45];
    kv_obj *o = kv_str_new_embstr("3", 1);
    CHECK(strcmp(kv_obj_encoding_name(o), "embstr") == 0);
    CHECK_EQ_LL(kv_str_len(o), 1);
    kv_obj_free(o);
    memset(big, '1', sizeof big);
    o = kv_str_new_embstr(big, 44);
    CHECK(strcmp(kv_obj_encoding_name(o), "embstr") == 0);
    kv_obj_free(o);
    o = kv_str_new_embstr(big, 45);
    CHECK(strcmp(kv_obj_encoding_name(o), "raw") == 0);
    CHECK_EQ_LL(kv_str_len(o), 45);
    kv_obj_free(o);
    o = kv_new_zeroed_string(5);
    CHECK(strcmp(kv_obj_encoding_name(o), "raw") == 0);
    CHECK(memcmp(kv_str_grow(o, 0), "\0\0\0\0\0", 5) == 0);
    kv_obj_free(o);
}

/* ---------------------------------------------------------- bitfields */

static void test_bf_get_set(void)
{
    unsigned char p[16];
    int bits;
    memset(p, 0, sizeof p);
    kv_bf_set(p, 0, 8, 200);
    CHECK(p[0] == 200);
    CHECK_EQ_LL(kv_bf_get(p, 0, 8), 200);
    CHECK_EQ_LL(kv_bf_signed(kv_bf_get(p, 0, 8), 8), -56);
    CHECK_EQ_LL(kv_bf_get(p, 4, 4), 8);
    /* A field straddling bytes, written then read at every width. */
    for (bits = 1; bits <= 64; bits++) {
        uint64_t v = bits == 64 ? 0xfedcba9876543210ULL
                                : 0xfedcba9876543210ULL & (((uint64_t)1 << bits) - 1);
        memset(p, 0xa5, sizeof p);
        kv_bf_set(p, 13, bits, v);
        CHECK(kv_bf_get(p, 13, bits) == v);
        /* Neighbouring bits are untouched. */
        CHECK_EQ_LL(kv_bf_get(p, 0, 13), kv_bf_get((const unsigned char *)"\xa5\xa5", 0, 13));
        CHECK(((p[(13 + bits) >> 3] >> (7 - ((13 + bits) & 7))) & 1) ==
              ((0xa5 >> (7 - ((13 + bits) & 7))) & 1));
    }
    memset(p, 0, sizeof p);
    kv_bf_set(p, 16, 16, 0xfffe);
    CHECK(p[2] == 0xff && p[3] == 0xfe);
    CHECK_EQ_LL(kv_bf_signed(kv_bf_get(p, 16, 16), 16), -2);
    CHECK_EQ_LL(kv_bf_signed(0x8000000000000000ULL, 64), INT64_MIN);
    CHECK_EQ_LL(kv_bf_signed(1, 1), -1);
    CHECK_EQ_LL(kv_bf_signed(0x7f, 8), 127);
    CHECK_EQ_LL(kv_bf_signed(0x17f, 8), 127); /* only the low bits count */
}

static void test_bf_signed_add(void)
{
    int64_t r = 0;
    CHECK_EQ_LL(kv_bf_signed_add(100, 27, 8, KV_BF_WRAP, &r), 0);
    CHECK_EQ_LL(r, 127);
    CHECK_EQ_LL(kv_bf_signed_add(127, 1, 8, KV_BF_WRAP, &r), 1);
    CHECK_EQ_LL(r, -128);
    CHECK_EQ_LL(kv_bf_signed_add(127, 1, 8, KV_BF_SAT, &r), 1);
    CHECK_EQ_LL(r, 127);
    CHECK_EQ_LL(kv_bf_signed_add(-128, -1, 8, KV_BF_WRAP, &r), -1);
    CHECK_EQ_LL(r, 127);
    CHECK_EQ_LL(kv_bf_signed_add(-128, -1, 8, KV_BF_SAT, &r), -1);
    CHECK_EQ_LL(r, -128);
    r = 99;
    CHECK_EQ_LL(kv_bf_signed_add(-128, -1, 8, KV_BF_FAIL, &r), -1);
    CHECK_EQ_LL(r, 99);
    CHECK_EQ_LL(kv_bf_signed_add(72, -200, 8, KV_BF_FAIL, &r), 0);
    CHECK_EQ_LL(r, -128);
    CHECK_EQ_LL(kv_bf_signed_add(-128, -200, 8, KV_BF_WRAP, &r), -1);
    CHECK_EQ_LL(r, -72);
    /* SET checks its value with incr 0. */
    CHECK_EQ_LL(kv_bf_signed_add(1000, 0, 8, KV_BF_SAT, &r), 1);
    CHECK_EQ_LL(r, 127);
    CHECK_EQ_LL(kv_bf_signed_add(-1000, 0, 8, KV_BF_SAT, &r), -1);
    CHECK_EQ_LL(r, -128);
    CHECK_EQ_LL(kv_bf_signed_add(1000, 0, 8, KV_BF_WRAP, &r), 1);
    CHECK_EQ_LL(r, -24);
    CHECK_EQ_LL(kv_bf_signed_add(INT64_MIN, 0, 8, KV_BF_WRAP, &r), -1);
    CHECK_EQ_LL(r, 0);
    /* 64 bits: no wider type needed to see the overflow. */
    CHECK_EQ_LL(kv_bf_signed_add(INT64_MAX, 1, 64, KV_BF_WRAP, &r), 1);
    CHECK_EQ_LL(r, INT64_MIN);
    CHECK_EQ_LL(kv_bf_signed_add(INT64_MAX, INT64_MAX, 64, KV_BF_WRAP, &r), 1);
    CHECK_EQ_LL(r, -2);
    CHECK_EQ_LL(kv_bf_signed_add(INT64_MIN, -1, 64, KV_BF_SAT, &r), -1);
    CHECK_EQ_LL(r, INT64_MIN);
    CHECK_EQ_LL(kv_bf_signed_add(INT64_MIN, INT64_MIN, 64, KV_BF_WRAP, &r), -1);
    CHECK_EQ_LL(r, 0);
    CHECK_EQ_LL(kv_bf_signed_add(-1, INT64_MIN, 64, KV_BF_SAT, &r), -1);
    CHECK_EQ_LL(r, INT64_MIN);
    CHECK_EQ_LL(kv_bf_signed_add(-1, INT64_MAX, 64, KV_BF_FAIL, &r), 0);
    CHECK_EQ_LL(r, INT64_MAX - 1);
    CHECK_EQ_LL(kv_bf_signed_add(0, INT64_MIN, 64, KV_BF_FAIL, &r), 0);
    CHECK_EQ_LL(r, INT64_MIN);
    /* 1 bit: values -1 and 0. */
    CHECK_EQ_LL(kv_bf_signed_add(0, 1, 1, KV_BF_WRAP, &r), 1);
    CHECK_EQ_LL(r, -1);
    CHECK_EQ_LL(kv_bf_signed_add(-1, 1, 1, KV_BF_WRAP, &r), 0);
    CHECK_EQ_LL(r, 0);
    CHECK_EQ_LL(kv_bf_signed_add(-1, -1, 1, KV_BF_SAT, &r), -1);
    CHECK_EQ_LL(r, -1);
    /* Extreme increments on narrow fields. */
    CHECK_EQ_LL(kv_bf_signed_add(5, INT64_MAX, 8, KV_BF_WRAP, &r), 1);
    CHECK_EQ_LL(r, 4);
    CHECK_EQ_LL(kv_bf_signed_add(5, INT64_MIN, 8, KV_BF_SAT, &r), -1);
    CHECK_EQ_LL(r, -128);
}

static void test_bf_unsigned_add(void)
{
    uint64_t r = 0;
    CHECK_EQ_LL(kv_bf_unsigned_add(200, 55, 8, KV_BF_WRAP, &r), 0);
    CHECK_EQ_LL(r, 255);
    CHECK_EQ_LL(kv_bf_unsigned_add(200, 56, 8, KV_BF_WRAP, &r), 1);
    CHECK_EQ_LL(r, 0);
    CHECK_EQ_LL(kv_bf_unsigned_add(200, 56, 8, KV_BF_SAT, &r), 1);
    CHECK_EQ_LL(r, 255);
    CHECK_EQ_LL(kv_bf_unsigned_add(3, -4, 8, KV_BF_SAT, &r), -1);
    CHECK_EQ_LL(r, 0);
    CHECK_EQ_LL(kv_bf_unsigned_add(3, -4, 8, KV_BF_WRAP, &r), -1);
    CHECK_EQ_LL(r, 255);
    r = 7;
    CHECK_EQ_LL(kv_bf_unsigned_add(3, -4, 8, KV_BF_FAIL, &r), -1);
    CHECK_EQ_LL(r, 7);
    CHECK_EQ_LL(kv_bf_unsigned_add(3, -3, 8, KV_BF_FAIL, &r), 0);
    CHECK_EQ_LL(r, 0);
    /* SET of a negative number: a huge unsigned value, so SAT gives the max. */
    CHECK_EQ_LL(kv_bf_unsigned_add((uint64_t)-1, 0, 8, KV_BF_SAT, &r), 1);
    CHECK_EQ_LL(r, 255);
    CHECK_EQ_LL(kv_bf_unsigned_add((uint64_t)-1, 0, 8, KV_BF_WRAP, &r), 1);
    CHECK_EQ_LL(r, 255);
    CHECK_EQ_LL(kv_bf_unsigned_add((uint64_t)-2, 0, 63, KV_BF_WRAP, &r), 1);
    CHECK_EQ_LL(r, INT64_MAX - 1);
    CHECK_EQ_LL(kv_bf_unsigned_add(300, 0, 8, KV_BF_WRAP, &r), 1);
    CHECK_EQ_LL(r, 44);
    /* u63 and u1 edges. */
    CHECK_EQ_LL(kv_bf_unsigned_add(INT64_MAX, 1, 63, KV_BF_WRAP, &r), 1);
    CHECK_EQ_LL(r, 0);
    CHECK_EQ_LL(kv_bf_unsigned_add(0, INT64_MIN, 63, KV_BF_WRAP, &r), -1);
    CHECK_EQ_LL(r, 0);
    CHECK_EQ_LL(kv_bf_unsigned_add(0, -1, 63, KV_BF_WRAP, &r), -1);
    CHECK_EQ_LL(r, INT64_MAX);
    CHECK_EQ_LL(kv_bf_unsigned_add(1, INT64_MAX, 63, KV_BF_SAT, &r), 1);
    CHECK_EQ_LL(r, INT64_MAX);
    CHECK_EQ_LL(kv_bf_unsigned_add(0, INT64_MAX, 63, KV_BF_FAIL, &r), 0);
    CHECK_EQ_LL(r, INT64_MAX);
    CHECK_EQ_LL(kv_bf_unsigned_add(1, 1, 1, KV_BF_WRAP, &r), 1);
    CHECK_EQ_LL(r, 0);
    CHECK_EQ_LL(kv_bf_unsigned_add(1, -1, 1, KV_BF_FAIL, &r), 0);
    CHECK_EQ_LL(r, 0);
}

/* Every width against a plain reference over [min, max] for small widths:
 * wrap is the sum modulo 2^bits, saturation clamps. */
static void test_bf_exhaustive_small(void)
{
    int bits;
    for (bits = 1; bits <= 6; bits++) {
        long long smin = -(1LL << (bits - 1)), smax = (1LL << (bits - 1)) - 1;
        long long umax = (1LL << bits) - 1, v, d;
        for (v = smin; v <= smax; v++) {
            for (d = -70; d <= 70; d++) {
                int64_t r;
                long long sum = v + d, wrapped = ((sum % (1LL << bits)) + (1LL << bits)) %
                                                 (1LL << bits);
                int want = sum > smax ? 1 : sum < smin ? -1 : 0;
                if (wrapped > smax)
                    wrapped -= 1LL << bits;
                CHECK_EQ_LL(kv_bf_signed_add(v, d, bits, KV_BF_WRAP, &r), want);
                CHECK_EQ_LL(r, want ? wrapped : sum);
                CHECK_EQ_LL(kv_bf_signed_add(v, d, bits, KV_BF_SAT, &r), want);
                CHECK_EQ_LL(r, want > 0 ? smax : want < 0 ? smin : sum);
            }
        }
        for (v = 0; v <= umax; v++) {
            for (d = -70; d <= 70; d++) {
                uint64_t r;
                long long sum = v + d;
                int want = sum > umax ? 1 : sum < 0 ? -1 : 0;
                CHECK_EQ_LL(kv_bf_unsigned_add((uint64_t)v, d, bits, KV_BF_WRAP, &r), want);
                CHECK_EQ_LL(r, ((sum % (1LL << bits)) + (1LL << bits)) % (1LL << bits));
                CHECK_EQ_LL(kv_bf_unsigned_add((uint64_t)v, d, bits, KV_BF_SAT, &r), want);
                CHECK_EQ_LL(r, want > 0 ? umax : want < 0 ? 0 : sum);
            }
        }
    }
}

TEST_MAIN("strbits", TEST(test_float_format), TEST(test_float_incr_sequence),
          TEST(test_float_format_extremes), TEST(test_float_parse), TEST(test_float_result_encoding),
          TEST(test_bf_get_set),
          TEST(test_bf_signed_add), TEST(test_bf_unsigned_add), TEST(test_bf_exhaustive_small))
