/* RDB serialization: length and string encodings byte for byte, LZF both
 * ways, and DUMP payloads of strings compared with what a real
 * redis-server 7.0.15 produced (DUMP after SET, hex below), including
 * LZF-compressed ones that must decode to the original value. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/crc64.h"
#include "store/lzf.h"
#include "store/rdb.h"
#include "test.h"

static size_t unhex(const char *hex, unsigned char *out)
{
    size_t n = 0;
    for (; hex[0] && hex[1]; hex += 2) {
        unsigned v;
        sscanf(hex, "%2x", &v);
        out[n++] = (unsigned char)v;
    }
    return n;
}

/* SET k <value>; DUMP k on Redis 7.0.15. */
typedef struct redis_dump {
    const char *val;
    size_t n;
    const char *hex;
} redis_dump;

static const redis_dump exact_dumps[] = {
    {"hello", 5, "000568656c6c6f0a006372df766534200a"},
    {"", 0, "00000a005d9b5c400f7fa2da"},
    {"5", 1, "00c0050a00632f5f66832fb351"},
    {"-3", 2, "00c0fd0a001b7169e0858ce006"},
    {"1000", 4, "00c1e8030a0089d1478ebac4b764"},
    {"100000", 6, "00c2a08601000a00f12403506f2fa674"},
    {"12345678901", 11, "000b31323334353637383930310a00304e52d727176510"},
    {"-9223372036854775808", 20, "00142d393232333337323033363835343737353830380a00ede2b956eb709e81"},
    {"007", 3, "00033030370a007258e27b4c69bad9"},
    {"3.14", 4, "0004332e31340a008c75407d2acce82c"},
    {"\x00\xff\r\n", 4, "000400ff0d0a0a008d10d19e4216ec65"},
};

static void check_payload_value(const unsigned char *p, size_t n, const char *want, size_t wn)
{
    kv_obj *o;
    char buf[KV_LLSTR_SIZE];
    size_t len;
    const char *s;
    CHECK(kv_rdb_payload_check(p, n) == 0);
    o = kv_rdb_payload_load(p, n);
    CHECK(o != NULL);
    if (!o)
        return;
    s = kv_str_ptr(o, buf, &len);
    CHECK(len == wn && memcmp(s, want, wn) == 0);
    kv_obj_free(o);
}

static void test_redis_string_dumps(void)
{
    unsigned char want[512];
    size_t i;
    for (i = 0; i < sizeof exact_dumps / sizeof exact_dumps[0]; i++) {
        const redis_dump *d = &exact_dumps[i];
        size_t wn = unhex(d->hex, want);
        kv_obj *o = kv_str_new(d->val, d->n);
        kv_buf b;
        kv_buf_init(&b);
        CHECK(kv_rdb_dump(&b, o) == KV_RDB_OK);
        CHECK(b.len == wn && memcmp(b.p, want, wn) == 0);
        check_payload_value(want, wn, d->val, d->n);
        kv_buf_free(&b);
        kv_obj_free(o);
    }
}

static void test_redis_lzf_dumps(void)
{
    unsigned char p[512];
    char v[300];
    size_t n, i;
    n = unhex("00c3094044016161e037000161610a00947d4d0eca6a318e", p);
    memset(v, 'a', 68);
    check_payload_value(p, n, v, 68);
    n = unhex("00c30b40780361626361e069020162630a00c494a1702ae23e06", p);
    for (i = 0; i < 120; i++)
        v[i] = "abc"[i % 3];
    check_payload_value(p, n, v, 120);
    n = unhex("00c3092c017878e01f000178780a002d05b7d2a136e6d1", p);
    memset(v, 'x', 44);
    check_payload_value(p, n, v, 44);
    n = unhex("00c3410a412c1f00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d91fe0e7"
              "eef501080f161d242b323940474e555c636a71787f868d949ba2a9b0b7be1fc5ccd3dae1e8eff60209"
              "10171e252c333a41484f565d646b727980878e959ca31faab1b8bfc6cdd4dbe2e9f0f7030a11181f26"
              "2d343b424950575e656c737a81881f8f969da4abb2b9c0c7ced5dce3eaf1f8040b121920272e353c43"
              "4a51585f666d1f747b828990979ea5acb3bac1c8cfd6dde4ebf2f9050c131a21282f363d444b521f59"
              "60676e757c838a91989fa6adb4bbc2c9d0d7dee5ecf3fa060d141b222930371b3e454c535a61686f76"
              "7d848b9299a0a7aeb5bcc3cad1d8dfe6edf400e025fa014e550a00e0dfe4c7258efe34",
              p);
    for (i = 0; i < 300; i++)
        v[i] = (char)((i * 7) % 251);
    check_payload_value(p, n, v, 300);
}

static void check_len(uint64_t len, const char *hex)
{
    unsigned char want[16];
    size_t wn = unhex(hex, want);
    kv_buf b;
    kv_rdb_reader r;
    uint64_t got = 0;
    int enc = -1;
    kv_buf_init(&b);
    kv_rdb_write_len(&b, len);
    CHECK(b.len == wn && memcmp(b.p, want, wn) == 0);
    kv_rdb_reader_init(&r, b.p, b.len);
    CHECK(kv_rdb_read_len(&r, &got, &enc) == 0);
    CHECK(got == len && enc == 0 && kv_rdb_remaining(&r) == 0);
    kv_rdb_reader_init(&r, b.p, b.len - 1); /* truncated */
    CHECK(kv_rdb_read_len(&r, &got, &enc) == -1);
    kv_buf_free(&b);
}

static void test_lengths(void)
{
    kv_rdb_reader r;
    uint64_t len;
    int enc;
    check_len(0, "00");
    check_len(63, "3f");
    check_len(64, "4040");
    check_len(16383, "7fff");
    check_len(16384, "8000004000");
    check_len(UINT32_MAX, "80ffffffff");
    check_len((uint64_t)UINT32_MAX + 1, "810000000100000000");
    check_len(UINT64_MAX, "81ffffffffffffffff");
    /* 11xxxxxx: a special encoding, read as its 6-bit number. */
    kv_rdb_reader_init(&r, "\xc3", 1);
    CHECK(kv_rdb_read_len(&r, &len, &enc) == 0 && len == 3 && enc == 1);
    kv_rdb_reader_init(&r, "\xc3", 1);
    CHECK(kv_rdb_read_len(&r, &len, NULL) == 0 && len == 3);
    /* 0x82..0xbf are not lengths. */
    kv_rdb_reader_init(&r, "\x82\0\0\0\0", 5);
    CHECK(kv_rdb_read_len(&r, &len, &enc) == -1);
    kv_rdb_reader_init(&r, "", 0);
    CHECK(kv_rdb_read_len(&r, &len, &enc) == -1);
}

static void check_string(const char *s, size_t n, const char *hex)
{
    unsigned char want[64];
    size_t wn = unhex(hex, want);
    kv_buf b;
    kv_rdb_reader r;
    kv_rdb_str str;
    kv_buf_init(&b);
    kv_rdb_write_string(&b, s, n);
    CHECK(b.len == wn && memcmp(b.p, want, wn) == 0);
    kv_rdb_reader_init(&r, b.p, b.len);
    CHECK(kv_rdb_read_string(&r, &str) == 0);
    CHECK(str.n == n && memcmp(str.p, s, n) == 0 && kv_rdb_remaining(&r) == 0);
    kv_rdb_str_free(&str);
    kv_buf_free(&b);
}

static void test_strings(void)
{
    check_string("", 0, "00");
    check_string("0", 1, "c000");
    check_string("127", 3, "c07f");
    check_string("128", 3, "c18000");
    check_string("-128", 4, "c080");
    check_string("-129", 4, "c17fff");
    check_string("32767", 5, "c1ff7f");
    check_string("32768", 5, "c200800000");
    check_string("-2147483648", 11, "c200000080");
    check_string("2147483648", 10, "0a32313437343833363438");
    check_string("-0", 2, "022d30");          /* not canonical */
    check_string("01", 2, "023031");
    check_string("+1", 2, "022b31");
    check_string("12345678901", 11, "0b3132333435363738393031");
    check_string("abcdefghijklmnopqrstu", 21, "15616263646566676869"
                                              "6a6b6c6d6e6f707172737475"); /* incompressible */
}

static void test_ll(void)
{
    kv_buf b;
    kv_buf_init(&b);
    kv_rdb_write_ll(&b, -1);
    kv_rdb_write_ll(&b, 2147483648LL);
    CHECK_EQ_LL(b.len, 2 + 11);
    CHECK(memcmp(b.p, "\xc0\xff\x0a" "2147483648", 13) == 0);
    kv_buf_free(&b);
}

static void test_read_errors(void)
{
    static const char *const bad[] = {
        "c4",           /* unknown string encoding */
        "c0",           /* int8 without its byte */
        "c1ff",         /* int16 cut short */
        "c2ffffff",     /* int32 cut short */
        "05616263",     /* 5 bytes announced, 3 there */
        "c30105010203", /* LZF longer than the data */
        "c302056161",   /* LZF result shorter than announced */
        "c302052005",   /* back-reference before the start */
        "c3020501",     /* compressed bytes missing */
        "c302ff00",     /* declared size beyond any LZF ratio */
    };
    unsigned char p[32];
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = unhex(bad[i], p);
        kv_rdb_reader r;
        kv_rdb_str s;
        kv_rdb_reader_init(&r, p, n);
        CHECK(kv_rdb_read_string(&r, &s) == -1);
    }
}

static void test_lzf_roundtrip(void)
{
    static unsigned char in[20000], c[20000], d[20000];
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    size_t n, i, cn, kinds;
    for (kinds = 0; kinds < 5; kinds++) {
        for (n = 1; n < sizeof in; n = n * 3 + 1) {
            for (i = 0; i < n; i++) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                switch (kinds) {
                case 0: in[i] = (unsigned char)(x >> 56); break;      /* noise */
                case 1: in[i] = 'a'; break;                           /* one byte */
                case 2: in[i] = (unsigned char)("abcab"[i % 5]); break;
                case 3: in[i] = (unsigned char)((x >> 60) & 3); break; /* 2 bits */
                default: in[i] = (unsigned char)(i / 300); break;     /* runs */
                }
            }
            cn = kv_lzf_compress(in, n, c, sizeof c);
            if (cn == 0)
                continue; /* did not fit */
            CHECK(kv_lzf_decompress(c, cn, d, n) == n);
            CHECK(memcmp(in, d, n) == 0);
            /* One byte too small an output buffer must fail cleanly. */
            CHECK(kv_lzf_decompress(c, cn, d, n - 1) == 0);
            if (kinds == 1)
                CHECK(n < 1000 || cn * 40 < n);
        }
    }
    /* Compression that does not fit reports 0. */
    CHECK(kv_lzf_compress("abcdefgh", 8, c, 4) == 0);
    CHECK(kv_lzf_compress("", 0, c, 4) == 0);
}

static void test_compressed_strings(void)
{
    char v[5000];
    kv_buf b;
    kv_rdb_reader r;
    kv_rdb_str s;
    size_t n;
    for (n = 21; n < sizeof v; n = n * 2 + 5) {
        memset(v, 'q', n);
        kv_buf_init(&b);
        kv_rdb_write_string(&b, v, n);
        CHECK((unsigned char)b.p[0] == 0xc3);
        CHECK(b.len < n / 4 + 12);
        kv_rdb_reader_init(&r, b.p, b.len);
        CHECK(kv_rdb_read_string(&r, &s) == 0 && s.n == n && memcmp(s.p, v, n) == 0);
        CHECK(s.heap != NULL);
        kv_rdb_str_free(&s);
        kv_buf_free(&b);
    }
    /* 20 bytes are never compressed. */
    memset(v, 'q', 20);
    kv_buf_init(&b);
    kv_rdb_write_string(&b, v, 20);
    CHECK(b.len == 21 && b.p[0] == 20);
    kv_buf_free(&b);
}

static void test_doubles(void)
{
    static const double vals[] = {0.0, -0.0, 1.5, -2.25, 1e308, 5e-324, 3.141592653589793};
    kv_buf b;
    kv_rdb_reader r;
    double d;
    size_t i;
    kv_buf_init(&b);
    for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        b.len = 0;
        kv_rdb_write_double_bin(&b, vals[i]);
        CHECK(b.len == 8);
        kv_rdb_reader_init(&r, b.p, b.len);
        CHECK(kv_rdb_read_double_bin(&r, &d) == 0 && memcmp(&d, &vals[i], sizeof d) == 0);
        b.len = 0;
        kv_rdb_write_double_str(&b, vals[i]);
        kv_rdb_reader_init(&r, b.p, b.len);
        CHECK(kv_rdb_read_double_str(&r, &d) == 0 && d == vals[i]);
    }
    b.len = 0;
    kv_rdb_write_double_bin(&b, 1.0);
    CHECK(memcmp(b.p, "\0\0\0\0\0\0\xf0\x3f", 8) == 0);
    kv_rdb_reader_init(&r, "\xfd\xfe\xff\x03" "1.5\x02zz", 10);
    CHECK(kv_rdb_read_double_str(&r, &d) == 0 && isnan(d));
    CHECK(kv_rdb_read_double_str(&r, &d) == 0 && isinf(d) && d > 0);
    CHECK(kv_rdb_read_double_str(&r, &d) == 0 && isinf(d) && d < 0);
    CHECK(kv_rdb_read_double_str(&r, &d) == 0 && d == 1.5);
    CHECK(kv_rdb_read_double_str(&r, &d) == -1);
    kv_rdb_reader_init(&r, "\x05" "1", 2);
    CHECK(kv_rdb_read_double_str(&r, &d) == -1);
    kv_rdb_reader_init(&r, "\0\0\0", 3);
    CHECK(kv_rdb_read_double_bin(&r, &d) == -1);
    kv_buf_free(&b);
}

/* A payload around an object body, with a given version. */
static size_t frame(const char *body, size_t n, unsigned version, unsigned char *out)
{
    uint64_t crc;
    int i;
    memcpy(out, body, n);
    out[n] = (unsigned char)(version & 0xff);
    out[n + 1] = (unsigned char)(version >> 8);
    crc = kv_crc64(0, out, n + 2);
    for (i = 0; i < 8; i++)
        out[n + 2 + i] = (unsigned char)(crc >> (8 * i));
    return n + 10;
}

static void test_payload_check(void)
{
    unsigned char p[64];
    size_t n = frame("\x00\x01" "a", 3, 10, p), i;
    CHECK(kv_rdb_payload_check(p, n) == 0);
    CHECK(kv_rdb_payload_check(p, 9) == -1);
    CHECK(kv_rdb_payload_check(p, 0) == -1);
    for (i = 0; i < n; i++) {
        p[i] ^= 0x20;
        CHECK(kv_rdb_payload_check(p, n) == -1);
        p[i] ^= 0x20;
    }
    n = frame("\x00\x01" "a", 3, 9, p);
    CHECK(kv_rdb_payload_check(p, n) == 0);
    n = frame("\x00\x01" "a", 3, 0, p);
    CHECK(kv_rdb_payload_check(p, n) == 0);
    n = frame("\x00\x01" "a", 3, 11, p);
    CHECK(kv_rdb_payload_check(p, n) == -1);
    n = frame("\x00\x01" "a", 3, 0x100 + 10, p);
    CHECK(kv_rdb_payload_check(p, n) == -1);
    /* Only the footer: 10 bytes are enough for the check. */
    n = frame("", 0, 10, p);
    CHECK(kv_rdb_payload_check(p, n) == 0);
}

static void test_payload_load(void)
{
    unsigned char p[64];
    size_t n;
    kv_obj *o;
    /* Trailing bytes are ignored, as Redis does. */
    n = frame("\x00\x01" "ajunk", 7, 10, p);
    check_payload_value(p, n, "a", 1);
    /* A string may run into the footer: Redis reads the whole buffer. */
    n = frame("\x00\x0b" "a", 3, 10, p);
    CHECK((o = kv_rdb_payload_load(p, n)) != NULL && kv_str_len(o) == 11);
    kv_obj_free(o);
    /* Types kevy cannot build, or Redis 7.0 does not know. */
    n = frame("\x08\x01" "a", 3, 10, p);
    CHECK(kv_rdb_payload_load(p, n) == NULL);
    n = frame("\x14\x01" "a", 3, 10, p);
    CHECK(kv_rdb_payload_load(p, n) == NULL);
    n = frame("\x0f\x01" "a", 3, 10, p);
    CHECK(kv_rdb_payload_load(p, n) == NULL);
    CHECK(kv_rdb_payload_load(p, 0) == NULL);
    /* Integer payloads come back int-encoded, short strings embstr. */
    n = frame("\x00\xc1\xe8\x03", 4, 10, p);
    o = kv_rdb_payload_load(p, n);
    CHECK(o && kv_obj_encoding(o) == KV_ENC_INT);
    kv_obj_free(o);
    n = frame("\x00\x03" "123", 5, 10, p);
    o = kv_rdb_payload_load(p, n);
    CHECK(o && kv_obj_encoding(o) == KV_ENC_INT);
    kv_obj_free(o);
    n = frame("\x00\x03" "abc", 5, 10, p);
    o = kv_rdb_payload_load(p, n);
    CHECK(o && kv_obj_encoding(o) == KV_ENC_EMBSTR);
    kv_obj_free(o);
}

static void test_dup_and_roundtrip(void)
{
    static const char *const vals[] = {"", "x", "42", "-42", "9999999999999", "hello world"};
    char big[3000];
    size_t i;
    for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        kv_obj *o = kv_str_new(vals[i], strlen(vals[i])), *c = kv_rdb_dup(o, NULL), *l;
        kv_buf b;
        CHECK(c && kv_obj_encoding(c) == kv_obj_encoding(o) && kv_str_len(c) == kv_str_len(o));
        kv_buf_init(&b);
        CHECK(kv_rdb_dump(&b, o) == KV_RDB_OK);
        l = kv_rdb_payload_load(b.p, b.len);
        CHECK(l && kv_obj_encoding(l) == kv_obj_encoding(o));
        kv_obj_free(l);
        kv_obj_free(c);
        kv_obj_free(o);
        kv_buf_free(&b);
    }
    memset(big, 'z', sizeof big);
    {
        kv_obj *o = kv_str_new(big, sizeof big), *l;
        kv_buf b;
        kv_buf_init(&b);
        CHECK(kv_rdb_dump(&b, o) == KV_RDB_OK && b.len < 100);
        CHECK(kv_rdb_payload_check(b.p, b.len) == 0);
        l = kv_rdb_payload_load(b.p, b.len);
        CHECK(l && kv_obj_encoding(l) == KV_ENC_RAW && kv_str_len(l) == sizeof big);
        kv_obj_free(l);
        kv_obj_free(o);
        kv_buf_free(&b);
    }
}

/* Every truncation and single-byte change of valid payloads is handled
 * without reading out of bounds (the fuzzer does the rest). */
static void test_mutations(void)
{
    unsigned char p[512], q[512];
    size_t n = unhex("00c3410a412c1f00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cb"
                     "d2d91fe0e7eef501080f161d242b3239", p), i, cut;
    unsigned v;
    for (cut = 0; cut <= n; cut++) {
        memcpy(q, p, cut);
        kv_obj_free(kv_rdb_payload_load(q, cut));
    }
    for (i = 0; i < n; i++)
        for (v = 0; v < 256; v += 7) {
            memcpy(q, p, n);
            q[i] = (unsigned char)v;
            kv_obj_free(kv_rdb_payload_load(q, n));
        }
    CHECK(1);
}

TEST_MAIN("rdb", TEST(test_redis_string_dumps), TEST(test_redis_lzf_dumps), TEST(test_lengths),
          TEST(test_strings), TEST(test_ll), TEST(test_read_errors), TEST(test_lzf_roundtrip),
          TEST(test_compressed_strings), TEST(test_doubles), TEST(test_payload_check),
          TEST(test_payload_load), TEST(test_dup_and_roundtrip), TEST(test_mutations))
