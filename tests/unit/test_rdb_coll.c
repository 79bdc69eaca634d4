/* RDB form and DEBUG digest of hashes and sets (rdb_hash.c, rdb_set.c,
 * digest_hash.c, digest_set.c): payloads and digests against what a real
 * redis-server 7.0.15 printed for the same commands, round trips at every
 * encoding, Redis 7.0's encoding choices at the thresholds, older bodies
 * (ZIPLIST, ZIPMAP), corrupt bodies refused, and every truncation and
 * single-byte change of valid bodies loaded without a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/digest.h"
#include "store/listpack.h"
#include "store/rdb.h"
#include "store/t_hash.h"
#include "store/t_set.h"
#include "test.h"

static const uint8_t seed[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

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

static void digest_hex(const kv_obj *o, char out[41])
{
    unsigned char d[20];
    int i;
    memset(d, 0, sizeof d);
    CHECK(kv_digest_value(d, o) == KV_DIGEST_OK);
    for (i = 0; i < 20; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static int same_digest(const kv_obj *a, const kv_obj *b)
{
    char x[41], y[41];
    digest_hex(a, x);
    digest_hex(b, y);
    return strcmp(x, y) == 0;
}

static kv_obj *load(const void *body, size_t n)
{
    kv_rdb_reader r;
    kv_rdb_reader_init(&r, body, n);
    return kv_rdb_load_object(&r);
}

static kv_obj *load_buf(const kv_buf *b)
{
    return load(b->p, b->len);
}

static void hset(kv_obj *o, const char *f, const char *v)
{
    kv_hash_opts opts;
    kv_hash_opts_init(&opts, seed);
    kv_hash_set(o, f, strlen(f), v, strlen(v), &opts);
}

static void sadd(kv_obj *o, const char *m)
{
    kv_set_opts opts;
    kv_set_opts_init(&opts, seed);
    kv_set_add(o, m, strlen(m), &opts);
}

/* --------------------------------------------- Redis 7.0.15's output */

typedef struct redis_case {
    const char *ops, *dump, *digest, *encoding;
} redis_case;

/* The Redis commands, as ops this file replays on kevy's types (build()),
 * then Redis's DUMP and DEBUG DIGEST-VALUE (none of these payloads is
 * LZF-compressed, so the bytes are deterministic). "h2" is HSET h2 f with
 * the 65 bytes 0..64. */
static const redis_case redis_cases[] = {
    {"H a 1 H b hello", "101616000000040081610201018162028568656c6c6f06ff0a00e8c5fe99ee07955d",
     "c8c107ce0a38c9173267c96fa732f89c6a52d977", "listpack"},
    {"h2",
     "040101664041000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324"
     "25262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f400a00408836a2e4fcd5a0",
     "e0d57c67a034006c0ac283736838bfd1a3a1635c", "hashtable"},
    {"H a 1 H b 2 H c 3 D b H a xyz",
     "10141400000004008161028378797a048163020301ff0a009d5b925a6912fe93",
     "7c3beebf40e5367da024aaa4b36508e77b15c980", "listpack"},
    {"S 1 S 2 S 3", "0b0e02000000030000000100020003000a00a5025ce26d6e4d1b",
     "2a462a3f51a1db89738ebbeef0c47ce1bbc85246", "intset"},
    {"S -5 S 70000", "0b100400000002000000fbffffff701101000a005c8cec7a27ad205e",
     "32a915beba88629e07ccff17626a8afabec8ae8a", "intset"},
    {"C S x", "020101780a00ffe880ba760c2f09", "a34f6477bb8cac0aabc1e59ba2388f7bdf3ec994",
     "hashtable"},
    {"S 1 S 2 S 3 S 4 R 2", "0b0e02000000030000000100030004000a005e0d913d3b0e9d23",
     "eb69eb81cf1eb21f3ffaa9f019dae2f5ae69268c", "intset"},
    {"S 12345678901", "0b100800000001000000351cdcdf020000000a0078897cdf93f411a4",
     "94d409aad6b0bbe96ee83cd7e94df6f1b09a4145", "intset"},
};

/* Replay ops: "H f v" HSET, "D f" HDEL, "S m" SADD, "R m" SREM, "C" a set
 * created by a non-integer first member (SADD makes it a hashtable). */
static kv_obj *build(const char *ops)
{
    char buf[128], *tok[64], *save = NULL;
    kv_obj *o = NULL;
    int n = 0, i;
    if (strcmp(ops, "h2") == 0) {
        kv_hash_opts opts;
        for (i = 0; i < 65; i++)
            buf[i] = (char)i;
        kv_hash_opts_init(&opts, seed);
        o = kv_hash_new();
        kv_hash_set(o, "f", 1, buf, 65, &opts);
        return o;
    }
    snprintf(buf, sizeof buf, "%s", ops);
    for (tok[n] = strtok_r(buf, " ", &save); tok[n] && n < 63; tok[n] = strtok_r(NULL, " ", &save))
        n++;
    o = ops[0] == 'H' ? kv_hash_new() : kv_set_new();
    for (i = 0; i < n; i++) {
        switch (tok[i][0]) {
        case 'H': hset(o, tok[i + 1], tok[i + 2]); i += 2; break;
        case 'D': kv_hash_del(o, tok[i + 1], strlen(tok[i + 1])); i++; break;
        case 'S': sadd(o, tok[++i]); break;
        case 'R': kv_set_remove(o, tok[i + 1], strlen(tok[i + 1])); i++; break;
        default: kv_set_convert(o, seed); break;
        }
    }
    return o;
}

static void test_redis_payloads(void)
{
    size_t i;
    for (i = 0; i < sizeof redis_cases / sizeof redis_cases[0]; i++) {
        const redis_case *c = &redis_cases[i];
        unsigned char want[512];
        size_t wn = unhex(c->dump, want);
        kv_obj *o = build(c->ops), *back;
        kv_buf b;
        char dg[41];
        kv_buf_init(&b);
        CHECK(kv_rdb_dump(&b, o) == KV_RDB_OK);
        if (b.len != wn || memcmp(b.p, want, wn) != 0)
            fprintf(stderr, "  payload differs: %s\n", c->ops);
        CHECK(b.len == wn && memcmp(b.p, want, wn) == 0);
        digest_hex(o, dg);
        CHECK_MEM(dg, 40, c->digest);
        CHECK(kv_rdb_payload_check(want, wn) == 0);
        back = kv_rdb_payload_load(want, wn);
        CHECK(back != NULL);
        if (back) {
            CHECK_MEM(kv_obj_encoding_name(back), strlen(kv_obj_encoding_name(back)), c->encoding);
            digest_hex(back, dg);
            CHECK_MEM(dg, 40, c->digest);
            kv_obj_free(back);
        }
        kv_buf_free(&b);
        kv_obj_free(o);
    }
}

/* ------------------------------------------------------- round trips */

/* DUMP, load, DUMP again: same encoding, length and digest, and (outside
 * a hashtable, whose walk order follows the dict's seed) the same bytes;
 * COPY's deep copy (kv_rdb_dup) likewise. */
static void check_roundtrip(const kv_obj *o, const char *encoding)
{
    kv_buf a, b;
    kv_obj *again, *copy;
    kv_buf_init(&a);
    kv_buf_init(&b);
    CHECK_MEM(kv_obj_encoding_name(o), strlen(kv_obj_encoding_name(o)), encoding);
    CHECK(kv_rdb_dump(&a, o) == KV_RDB_OK);
    again = kv_rdb_payload_load(a.p, a.len);
    CHECK(again != NULL);
    if (again) {
        CHECK(kv_obj_encoding(again) == kv_obj_encoding(o));
        CHECK(same_digest(o, again));
        CHECK(kv_rdb_dump(&b, again) == KV_RDB_OK && b.len == a.len);
        if (kv_obj_encoding(o) != KV_ENC_HT)
            CHECK(memcmp(a.p, b.p, a.len) == 0);
        kv_obj_free(again);
    }
    copy = kv_rdb_dup(o, NULL);
    CHECK(copy != NULL && kv_obj_encoding(copy) == kv_obj_encoding(o) && same_digest(o, copy));
    kv_obj_free(copy);
    kv_buf_free(&a);
    kv_buf_free(&b);
}

static void test_roundtrips(void)
{
    kv_obj *o;
    char f[32], v[128];
    int i;
    o = kv_hash_new();
    for (i = 0; i < 100; i++) {
        snprintf(f, sizeof f, "field:%d", i);
        snprintf(v, sizeof v, i % 3 ? "%d" : "value %d", i * 7919 - 5000);
        hset(o, f, v);
    }
    check_roundtrip(o, "listpack");
    hset(o, "long", "0123456789012345678901234567890123456789012345678901234567890123456789");
    check_roundtrip(o, "hashtable");
    kv_obj_free(o);
    o = kv_hash_new();
    for (i = 0; i < 600; i++) {
        snprintf(f, sizeof f, "%d", i);
        hset(o, f, i % 2 ? "" : f);
    }
    check_roundtrip(o, "hashtable");
    kv_obj_free(o);

    o = kv_set_new();
    for (i = 0; i < 500; i++) {
        snprintf(f, sizeof f, "%lld", (long long)i * (i % 2 ? 1 : -4000000000LL));
        sadd(o, f);
    }
    check_roundtrip(o, "intset");
    sadd(o, "not a number");
    check_roundtrip(o, "hashtable");
    kv_obj_free(o);
    o = kv_set_new();
    for (i = 0; i < 600; i++) {
        snprintf(f, sizeof f, "%d", i);
        sadd(o, f);
    }
    check_roundtrip(o, "hashtable");
    kv_obj_free(o);
}

/* -------------------------------------------------- body construction */

static void put_str(kv_buf *b, const char *s, size_t n)
{
    kv_rdb_write_string(b, s, n);
}

/* HASH (4): n pairs "f<i>" -> "v<i>", pair `longat` with a value of vlen
 * bytes and pair `longf` with a field of flen bytes. */
static void hash_body(kv_buf *b, int n, int longat, size_t vlen, int longf, size_t flen)
{
    char f[128], v[128];
    int i;
    b->len = 0;
    kv_rdb_write_type(b, KV_RDB_TYPE_HASH);
    kv_rdb_write_len(b, (uint64_t)n);
    for (i = 0; i < n; i++) {
        int fn = snprintf(f, sizeof f, "f%d", i), vn = snprintf(v, sizeof v, "v%d", i);
        if (i == longf) {
            memset(f + fn, 'F', flen - (size_t)fn);
            fn = (int)flen;
        }
        if (i == longat) {
            memset(v, 'x', vlen);
            vn = (int)vlen;
        }
        put_str(b, f, (size_t)fn);
        put_str(b, v, (size_t)vn);
    }
}

static void set_body(kv_buf *b, int n, const char *extra)
{
    char m[32];
    int i;
    b->len = 0;
    kv_rdb_write_type(b, KV_RDB_TYPE_SET);
    kv_rdb_write_len(b, (uint64_t)n + (extra != NULL));
    for (i = 0; i < n; i++)
        put_str(b, m, (size_t)snprintf(m, sizeof m, "%d", i * 3 - 100));
    if (extra)
        put_str(b, extra, strlen(extra));
}

static void blob_body(kv_buf *b, int type, const unsigned char *blob, size_t n)
{
    b->len = 0;
    kv_rdb_write_type(b, type);
    kv_rdb_write_string(b, blob, n);
}

/* A ziplist (as Redis <= 6.2 wrote) of "a" 5 "bc" -300 "x" "": one-byte
 * prevlens, 6-bit strings, an immediate and a 16-bit integer. */
#define ZIPLIST_HEX "1d0000001a000000060000016103f60202626304c0d4fe0401780300ff"

/* ------------------------------------------------------- thresholds */

static void expect_load(const kv_buf *b, const char *encoding, size_t len)
{
    kv_obj *o = load_buf(b);
    CHECK(o != NULL);
    if (!o)
        return;
    CHECK_MEM(kv_obj_encoding_name(o), strlen(kv_obj_encoding_name(o)), encoding);
    CHECK_EQ_LL(kv_obj_type(o) == KV_TYPE_HASH ? kv_hash_len(o) : kv_set_size(o), len);
    kv_obj_free(o);
}

static void expect_bad(const void *body, size_t n)
{
    kv_obj *o = load(body, n);
    CHECK(o == NULL);
    kv_obj_free(o);
}

static void test_hash_thresholds(void)
{
    kv_buf b;
    unsigned char *lp;
    char f[16];
    int i;
    kv_buf_init(&b);
    hash_body(&b, 512, -1, 0, -1, 0);
    expect_load(&b, "listpack", 512);
    hash_body(&b, 513, -1, 0, -1, 0);
    expect_load(&b, "hashtable", 513);
    hash_body(&b, 3, 2, 64, 1, 64);
    expect_load(&b, "listpack", 3);
    hash_body(&b, 3, 2, 65, -1, 0);
    expect_load(&b, "hashtable", 3);
    hash_body(&b, 3, -1, 0, 0, 65);
    expect_load(&b, "hashtable", 3);
    /* a listpack converts on its pair count only (Redis 7.0) */
    lp = kv_lp_new();
    for (i = 0; i < 513; i++) {
        lp = kv_lp_append(lp, f, (size_t)snprintf(f, sizeof f, "f%d", i));
        lp = kv_lp_append_int(lp, i);
    }
    blob_body(&b, KV_RDB_TYPE_HASH_LISTPACK, lp, kv_lp_bytes(lp));
    expect_load(&b, "hashtable", 513);
    kv_lp_free(lp);
    lp = kv_lp_append(kv_lp_append(kv_lp_new(), "f", 1), "0123456789012345678901234567890123456789"
                                                         "0123456789012345678901234567890123456789", 80);
    blob_body(&b, KV_RDB_TYPE_HASH_LISTPACK, lp, kv_lp_bytes(lp));
    expect_load(&b, "listpack", 1);
    kv_lp_free(lp);
    kv_buf_free(&b);
}

static void test_set_thresholds(void)
{
    kv_buf b;
    unsigned char is[8 + 513 * 2];
    kv_obj *o;
    int i;
    kv_buf_init(&b);
    set_body(&b, 512, NULL);
    expect_load(&b, "intset", 512);
    set_body(&b, 513, NULL);
    expect_load(&b, "hashtable", 513);
    set_body(&b, 2, "007"); /* not a canonical integer */
    expect_load(&b, "hashtable", 3);
    set_body(&b, 2, "-9223372036854775808");
    expect_load(&b, "intset", 3);
    set_body(&b, 2, "9223372036854775808");
    expect_load(&b, "hashtable", 3);
    memcpy(is, "\x02\0\0\0\x01\x02\0\0", 8);
    for (i = 0; i < 513; i++) {
        is[8 + 2 * i] = (unsigned char)(i & 0xff);
        is[9 + 2 * i] = (unsigned char)(i >> 8);
    }
    blob_body(&b, KV_RDB_TYPE_SET_INTSET, is, sizeof is);
    expect_load(&b, "hashtable", 513);
    is[4] = 0; /* 512 members, 2 bytes of slack: refused */
    blob_body(&b, KV_RDB_TYPE_SET_INTSET, is, sizeof is);
    expect_bad(b.p, b.len);
    blob_body(&b, KV_RDB_TYPE_SET_INTSET, is, sizeof is - 2);
    expect_load(&b, "intset", 512);
    /* a wider encoding than needed is kept, so it DUMPs back unchanged */
    {
        static const unsigned char w8[] = {8, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
                                           2, 0, 0, 0, 0, 0, 0, 0};
        kv_buf again;
        kv_buf_init(&again);
        blob_body(&b, KV_RDB_TYPE_SET_INTSET, w8, sizeof w8);
        o = load_buf(&b);
        CHECK(o != NULL && kv_set_size(o) == 2 && kv_set_ismember(o, "2", 1));
        if (o) {
            CHECK(kv_rdb_save_object(&again, o) == KV_RDB_OK);
            CHECK(again.len == b.len && memcmp(again.p, b.p, b.len) == 0);
            kv_obj_free(o);
        }
        kv_buf_free(&again);
    }
    kv_buf_free(&b);
}

/* ------------------------------------------------- older hash bodies */

static void test_older_hashes(void)
{
    unsigned char zl[64];
    size_t n = unhex(ZIPLIST_HEX, zl);
    kv_buf b;
    kv_obj *o, *want;
    kv_buf_init(&b);
    blob_body(&b, KV_RDB_TYPE_HASH_ZIPLIST, zl, n);
    o = load_buf(&b);
    want = kv_hash_new();
    hset(want, "a", "5");
    hset(want, "bc", "-300");
    hset(want, "x", "");
    CHECK(o != NULL && kv_obj_encoding(o) == KV_ENC_LISTPACK);
    if (o) { /* the listpack Redis builds: the blob Redis would DUMP */
        unsigned char *a = kv_obj_ptr(o), *w = kv_obj_ptr(want);
        CHECK(kv_lp_bytes(a) == kv_lp_bytes(w) && memcmp(a, w, kv_lp_bytes(w)) == 0);
        kv_obj_free(o);
    }
    /* zipmap "a" -> "bc" with two bytes of free space, "5" -> "-7" */
    blob_body(&b, KV_RDB_TYPE_HASH_ZIPMAP,
              (const unsigned char *)"\x02\x01" "a\x02\x02" "bcXY\x01" "5\x02\x00-7\xff", 16);
    o = load_buf(&b);
    CHECK(o != NULL && kv_obj_encoding(o) == KV_ENC_LISTPACK && kv_hash_len(o) == 2);
    if (o) {
        kv_lpval v;
        CHECK(kv_hash_get(o, "a", 1, &v) && v.s && v.n == 2 && memcmp(v.s, "bc", 2) == 0);
        CHECK(kv_hash_get(o, "5", 1, &v) && !v.s && v.v == -7);
        kv_obj_free(o);
    }
    {   /* a zipmap value longer than 64 bytes converts; 5-byte length */
        unsigned char zm[400];
        memcpy(zm, "\xfe\x01" "f\xfe\x2c\x01\x00\x00\x00", 9);
        memset(zm + 9, 'v', 300);
        zm[309] = 0xFF;
        blob_body(&b, KV_RDB_TYPE_HASH_ZIPMAP, zm, 310);
        expect_load(&b, "hashtable", 1);
    }
    kv_obj_free(want);
    kv_buf_free(&b);
}

/* ---------------------------------------------------------- corrupt */

typedef struct bad_case {
    const char *what;
    const char *body;
    size_t n;
} bad_case;

#define BAD(what, lit) {what, lit, sizeof(lit) - 1}

static const bad_case bad_cases[] = {
    BAD("hash: no pairs", "\x04\x00"),
    BAD("hash: count past the bytes", "\x04\x03\x01" "a\x01" "b"),
    BAD("hash: field twice", "\x04\x02\x01" "a\x01" "1\x01" "a\x01" "2"),
    BAD("hash: field twice, as int", "\x04\x02\x01" "5\x01" "1\xc0\x05\x01" "2"),
    BAD("hash: value missing", "\x04\x01\x01" "a"),
    BAD("hash lp: empty", "\x10\x07\x07\x00\x00\x00\x00\x00\xff"),
    BAD("hash lp: odd count", "\x10\x0e\x0e\x00\x00\x00\x03\x00\x81" "a\x02\x01\x01\x02\x01\xff"),
    BAD("hash lp: field twice", "\x10\x11\x11\x00\x00\x00\x04\x00\x81" "a\x02\x01\x01\x81" "a\x02\x02\x01\xff"),
    BAD("hash lp: 5 and \"5\"", "\x10\x10\x10\x00\x00\x00\x04\x00\x05\x01\x01\x01\x81" "5\x02\x02\x01\xff"),
    BAD("hash lp: count wrong", "\x10\x0c\x0c\x00\x00\x00\x04\x00\x81" "a\x02\x01\x01\xff"),
    BAD("hash lp: bad backlen", "\x10\x0c\x0c\x00\x00\x00\x02\x00\x81" "a\x03\x01\x01\xff"),
    BAD("hash lp: size wrong", "\x10\x0c\x0d\x00\x00\x00\x02\x00\x81" "a\x02\x01\x01\xff"),
    BAD("hash zl: empty", "\x0d\x0b\x0b\x00\x00\x00\x0a\x00\x00\x00\x00\x00\xff"),
    BAD("hash zl: odd", "\x0d\x0e\x0e\x00\x00\x00\x0a\x00\x00\x00\x01\x00\x00\x01" "a\xff"),
    BAD("hash zl: three", "\x0d\x13\x13\x00\x00\x00\x0f\x00\x00\x00\x03\x00\x00\x01" "a\x03\xf2\x02\x01" "b\xff"),
    BAD("hash zl: field twice", "\x0d\x15\x15\x00\x00\x00\x12\x00\x00\x00\x04\x00\x00\x01" "a\x03\xf2\x02\x01" "a\x03\xf3\xff"),
    BAD("hash zl: 5 and \"5\"", "\x0d\x14\x14\x00\x00\x00\x11\x00\x00\x00\x04\x00\x00\xf6\x02\xf2\x02\x01" "5\x03\xf3\xff"),
    BAD("hash zl: bad tail", "\x0d\x10\x10\x00\x00\x00\x0a\x00\x00\x00\x02\x00\x00\x01" "a\x03\xf2\xff"),
    BAD("hash zl: bad prevlen", "\x0d\x10\x10\x00\x00\x00\x0d\x00\x00\x00\x02\x00\x00\x01" "a\x02\xf2\xff"),
    BAD("hash zl: bad count", "\x0d\x10\x10\x00\x00\x00\x0d\x00\x00\x00\x03\x00\x00\x01" "a\x03\xf2\xff"),
    BAD("hash zl: bad int encoding", "\x0d\x10\x10\x00\x00\x00\x0d\x00\x00\x00\x02\x00\x00\x01" "a\x03\xc1\xff"),
    BAD("hash zm: empty", "\x09\x02\x00\xff"),
    BAD("hash zm: no end", "\x09\x06\x01\x01" "a\x01\x00" "b"),
    BAD("hash zm: count wrong", "\x09\x07\x02\x01" "a\x01\x00" "b\xff"),
    BAD("hash zm: free past end", "\x09\x07\x01\x01" "a\x01\x05" "b\xff"),
    BAD("hash zm: field twice", "\x09\x0c\x02\x01" "a\x01\x00" "b\x01" "a\x01\x00" "c\xff"),
    BAD("hash zm: long form of 1", "\x09\x0b\x01\xfe\x01\x00\x00\x00" "a\x01\x00" "b\xff"),
    BAD("set: no members", "\x02\x00"),
    BAD("set: count past the bytes", "\x02\x05\x01" "a"),
    BAD("set: int twice", "\x02\x02\x01" "1\xc0\x01"),
    BAD("set: member twice", "\x02\x03\x01" "a\x01" "1\x01" "a"),
    BAD("set: int twice after a string", "\x02\x03\x01" "a\x01" "1\x01" "1"),
    BAD("intset: empty", "\x0b\x08\x02\x00\x00\x00\x00\x00\x00\x00"),
    BAD("intset: unsorted", "\x0b\x0c\x02\x00\x00\x00\x02\x00\x00\x00\x03\x00\x01\x00"),
    BAD("intset: twice", "\x0b\x0c\x02\x00\x00\x00\x02\x00\x00\x00\x01\x00\x01\x00"),
    BAD("intset: encoding 3", "\x0b\x0b\x03\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00"),
    BAD("intset: size wrong", "\x0b\x0c\x02\x00\x00\x00\x03\x00\x00\x00\x01\x00\x02\x00"),
    BAD("intset: short header", "\x0b\x04\x02\x00\x00\x00"),
};

static void test_corrupt(void)
{
    size_t i;
    for (i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        kv_obj *o = load(bad_cases[i].body, bad_cases[i].n);
        if (o)
            fprintf(stderr, "  accepted: %s\n", bad_cases[i].what);
        CHECK(o == NULL);
        kv_obj_free(o);
    }
}

/* Every strict prefix of a valid body is refused (the loader would need
 * the bytes cut off), and every single-byte change loads or is refused
 * without reading out of bounds; what loads DUMPs and loads again. */
static void fuzz_body(const unsigned char *body, size_t n)
{
    unsigned char *copy = (unsigned char *)malloc(n);
    size_t i;
    unsigned k;
    CHECK(copy != NULL);
    if (!copy)
        return;
    for (i = 0; i < n; i++) {
        kv_obj *o;
        memcpy(copy, body, i);
        o = load(copy, i);
        CHECK(o == NULL);
        kv_obj_free(o);
    }
    for (i = 0; i < n; i++) {
        for (k = 0; k < 256; k += (n > 200 ? 51 : 1)) {
            kv_obj *o, *again;
            memcpy(copy, body, n);
            copy[i] = (unsigned char)(body[i] ^ k);
            if ((o = load(copy, n)) == NULL)
                continue;
            again = kv_rdb_dup(o, NULL);
            CHECK(again != NULL);
            if (again) {
                CHECK(kv_obj_encoding(again) == kv_obj_encoding(o) && same_digest(o, again));
                kv_obj_free(again);
            }
            kv_obj_free(o);
        }
    }
    free(copy);
}

static void test_truncated_and_mutated(void)
{
    unsigned char blob[512];
    kv_buf b;
    size_t i;
    kv_obj *o;
    kv_buf_init(&b);
    for (i = 0; i < sizeof redis_cases / sizeof redis_cases[0]; i++) {
        size_t n = unhex(redis_cases[i].dump, blob);
        fuzz_body(blob, n - KV_RDB_FOOTER);
    }
    blob_body(&b, KV_RDB_TYPE_HASH_ZIPLIST, blob, unhex(ZIPLIST_HEX, blob));
    fuzz_body((const unsigned char *)b.p, b.len);
    blob_body(&b, KV_RDB_TYPE_HASH_ZIPMAP,
              (const unsigned char *)"\x02\x01" "a\x02\x02" "bcXY\x01" "5\x02\x00-7\xff", 16);
    fuzz_body((const unsigned char *)b.p, b.len);
    hash_body(&b, 4, 1, 70, -1, 0);
    fuzz_body((const unsigned char *)b.p, b.len);
    set_body(&b, 5, "m");
    fuzz_body((const unsigned char *)b.p, b.len);
    /* an LZF-compressed listpack */
    o = kv_hash_new();
    for (i = 0; i < 20; i++)
        hset(o, i % 2 ? "aaaaaaaaaaaaaaaaaaaaaa" : "b", "cccccccccccccccccccccccccccccc");
    for (i = 0; i < 8; i++) {
        char f[8];
        snprintf(f, sizeof f, "f%u", (unsigned)i);
        hset(o, f, "cccccccccccccccccccccccccccccc");
    }
    b.len = 0;
    CHECK(kv_rdb_save_object(&b, o) == KV_RDB_OK && (unsigned char)b.p[1] == 0xC3);
    fuzz_body((const unsigned char *)b.p, b.len);
    kv_obj_free(o);
    kv_buf_free(&b);
}

/* ----------------------------------------------------------- digests */

static void test_digest_encodings(void)
{
    kv_obj *a = kv_set_new(), *b = kv_set_new(), *h = kv_hash_new(), *g;
    char m[16];
    int i;
    for (i = 0; i < 10; i++) {
        snprintf(m, sizeof m, "%d", i * 11);
        sadd(a, m);
        sadd(b, m);
    }
    kv_set_convert(b, seed);
    CHECK(kv_obj_encoding(a) == KV_ENC_INTSET && kv_obj_encoding(b) == KV_ENC_HT);
    CHECK(same_digest(a, b));
    hset(h, "x", "1");
    hset(h, "y", "2");
    g = kv_hash_new();
    hset(g, "y", "2");
    hset(g, "x", "1");
    CHECK(same_digest(h, g)); /* order-free */
    kv_hash_convert(g, seed);
    CHECK(same_digest(h, g));
    hset(g, "x", "2");
    hset(g, "y", "1");
    CHECK(!same_digest(h, g)); /* but pairs are kept together */
    kv_obj_free(a);
    kv_obj_free(b);
    kv_obj_free(h);
    kv_obj_free(g);
}

TEST_MAIN("rdb_coll", TEST(test_redis_payloads), TEST(test_roundtrips), TEST(test_hash_thresholds),
          TEST(test_set_thresholds), TEST(test_older_hashes), TEST(test_corrupt),
          TEST(test_truncated_and_mutated), TEST(test_digest_encodings))
