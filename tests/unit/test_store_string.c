/* Unit tests for values: string encodings chosen at Redis's exact boundaries
 * (44/45 bytes, 20-digit numbers, "-0", "007", LLONG_MIN/MAX), in-place
 * mutation (APPEND, SETRANGE, INCR paths), and the encoding/type names. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/object.h"
#include "test.h"

/* ------------------------------------------------------------ strings */

static const char *enc_of(const char *s, size_t n)
{
    static char name[16];
    kv_obj *o = kv_str_new(s, n);
    strcpy(name, kv_obj_encoding_name(o));
    kv_obj_free(o);
    return name;
}

#define CHECK_ENC(lit, want) CHECK(strcmp(enc_of(lit, sizeof(lit) - 1), want) == 0)

static void check_bytes(const kv_obj *o, const char *want)
{
    char buf[KV_LLSTR_SIZE];
    size_t n;
    const char *p = kv_str_ptr(o, buf, &n);
    CHECK_MEM(p, n, want);
    CHECK_EQ_LL(kv_str_len(o), strlen(want));
}

static void test_string_encodings(void)
{
    char a[46];
    memset(a, 'a', sizeof a);
    CHECK_ENC("", "embstr");
    CHECK_ENC("0", "int");
    CHECK_ENC("1", "int");
    CHECK_ENC("-1", "int");
    CHECK_ENC("-0", "embstr");
    CHECK_ENC("007", "embstr");
    CHECK_ENC("00", "embstr");
    CHECK_ENC(" 1", "embstr");
    CHECK_ENC("1 ", "embstr");
    CHECK_ENC("+1", "embstr");
    CHECK_ENC("-", "embstr");
    CHECK_ENC("1a", "embstr");
    CHECK_ENC("9223372036854775807", "int");
    CHECK_ENC("-9223372036854775808", "int");
    CHECK_ENC("9223372036854775808", "embstr");
    CHECK_ENC("-9223372036854775809", "embstr");
    CHECK_ENC("12345678901234567890", "embstr");     /* 20 digits, overflows */
    CHECK_ENC("10000000000000000000", "embstr");
    CHECK_ENC("111111111111111111111", "embstr");    /* 21 chars */
    CHECK(strcmp(enc_of(a, 44), "embstr") == 0);
    CHECK(strcmp(enc_of(a, 45), "raw") == 0);
    {
        kv_obj *o = kv_str_new("hello\0world", 11);   /* binary safe */
        char buf[KV_LLSTR_SIZE];
        size_t n;
        const char *p = kv_str_ptr(o, buf, &n);
        CHECK(n == 11 && memcmp(p, "hello\0world", 11) == 0);
        CHECK_EQ_LL(kv_str_len(o), 11);
        kv_obj_free(o);
    }
    {
        kv_obj *o = kv_str_new(a, 45);
        size_t n;
        char buf[KV_LLSTR_SIZE];
        CHECK(memcmp(kv_str_ptr(o, buf, &n), a, 45) == 0 && n == 45);
        CHECK_EQ_LL(kv_obj_type(o), KV_TYPE_STRING);
        CHECK_EQ_LL(kv_obj_encoding(o), KV_ENC_RAW);
        kv_obj_free(o);
    }
}

static void test_string_values(void)
{
    long long v = 0;
    kv_obj *o;

    o = kv_str_new("-9223372036854775808", 20);
    CHECK_EQ_LL(kv_obj_encoding(o), KV_ENC_INT);
    check_bytes(o, "-9223372036854775808");
    CHECK(kv_str_to_ll(o, &v) && v == LLONG_MIN);
    kv_obj_free(o);

    o = kv_str_from_ll(LLONG_MAX);
    check_bytes(o, "9223372036854775807");
    CHECK_EQ_LL(kv_str_len(o), 19);
    kv_obj_free(o);

    o = kv_str_from_ll(0);
    check_bytes(o, "0");
    kv_obj_free(o);

    o = kv_str_new("-0", 2);
    CHECK(!kv_str_to_ll(o, &v));
    kv_obj_free(o);
    o = kv_str_new_raw("12", 2);
    CHECK_EQ_LL(kv_obj_encoding(o), KV_ENC_RAW);
    CHECK(kv_str_to_ll(o, &v) && v == 12);
    check_bytes(o, "12");
    kv_obj_free(o);
    o = kv_str_new("", 0);
    CHECK(!kv_str_to_ll(o, &v));
    check_bytes(o, "");
    kv_obj_free(o);

    CHECK(kv_store_str2ll("-9223372036854775808", 20, &v) && v == LLONG_MIN);
    CHECK(!kv_store_str2ll("18446744073709551616", 20, &v));
    CHECK(!kv_store_str2ll("99999999999999999999", 20, &v));
    CHECK(kv_store_str2ll("42", 2, &v) && v == 42);
    CHECK(!kv_store_str2ll("4 2", 3, &v));
    CHECK(!kv_store_str2ll("", 0, &v));
    {
        char buf[KV_LLSTR_SIZE];
        CHECK_EQ_LL(kv_store_ll2str(buf, LLONG_MIN), 20);
        CHECK(strcmp(buf, "-9223372036854775808") == 0);
        CHECK_EQ_LL(kv_store_ll2str(buf, -7), 2);
        CHECK(strcmp(buf, "-7") == 0);
    }
}

static void test_string_mutation(void)
{
    kv_obj *o, *d;
    char *w;

    /* APPEND on int and embstr values gives raw, like Redis. */
    o = kv_str_new("12", 2);
    kv_str_append(o, "3", 1);
    CHECK(strcmp(kv_obj_encoding_name(o), "raw") == 0);
    check_bytes(o, "123");
    kv_obj_free(o);

    o = kv_str_new("abc", 3);
    kv_str_append(o, "def", 3);
    CHECK(strcmp(kv_obj_encoding_name(o), "raw") == 0);
    check_bytes(o, "abcdef");
    {
        int i;
        for (i = 0; i < 1000; i++)
            kv_str_append(o, "xy", 2);
        CHECK_EQ_LL(kv_str_len(o), 2006);
    }
    kv_obj_free(o);

    /* SETRANGE-style growth pads with zero bytes. */
    o = kv_str_new("ab", 2);
    w = kv_str_grow(o, 5);
    CHECK(memcmp(w, "ab\0\0\0", 5) == 0);
    CHECK_EQ_LL(kv_str_len(o), 5);
    w[4] = 'z';
    w = kv_str_grow(o, 3);          /* never shrinks */
    CHECK_EQ_LL(kv_str_len(o), 5);
    CHECK(memcmp(w, "ab\0\0z", 5) == 0);
    kv_obj_free(o);

    o = kv_str_new("", 0);
    w = kv_str_grow(o, 0);
    CHECK(w != NULL);
    CHECK_EQ_LL(kv_str_len(o), 0);
    CHECK(strcmp(kv_obj_encoding_name(o), "raw") == 0);
    kv_obj_free(o);

    /* INCR-style: any encoding becomes int in place. */
    o = kv_str_new_raw("hello world", 11);
    kv_str_set_ll(o, -5);
    CHECK(strcmp(kv_obj_encoding_name(o), "int") == 0);
    check_bytes(o, "-5");
    kv_obj_free(o);
    o = kv_str_new("x", 1);
    kv_str_set_ll(o, 11);
    check_bytes(o, "11");
    kv_obj_free(o);

    /* dup keeps bytes and encoding */
    o = kv_str_new("embedded", 8);
    kv_obj_set_lru(o, 0x1234567);
    CHECK_EQ_LL(kv_obj_lru(o), 0x234567);
    d = kv_str_dup(o);
    check_bytes(d, "embedded");
    CHECK_EQ_LL(kv_obj_encoding(d), KV_ENC_EMBSTR);
    CHECK_EQ_LL(kv_obj_lru(d), 0x234567);
    kv_obj_free(d);
    kv_obj_free(o);
    o = kv_str_from_ll(99);
    d = kv_str_dup(o);
    check_bytes(d, "99");
    CHECK_EQ_LL(kv_obj_encoding(d), KV_ENC_INT);
    kv_obj_free(d);
    kv_obj_free(o);
    o = kv_str_new_raw("r", 1);
    d = kv_str_dup(o);
    check_bytes(d, "r");
    CHECK_EQ_LL(kv_obj_encoding(d), KV_ENC_RAW);
    kv_obj_free(d);
    kv_obj_free(o);
}

static void test_object_names(void)
{
    static const struct { unsigned enc; const char *name; } encs[] = {
        {KV_ENC_RAW, "raw"}, {KV_ENC_INT, "int"}, {KV_ENC_HT, "hashtable"},
        {KV_ENC_INTSET, "intset"}, {KV_ENC_SKIPLIST, "skiplist"},
        {KV_ENC_EMBSTR, "embstr"}, {KV_ENC_QUICKLIST, "quicklist"},
        {KV_ENC_STREAM, "stream"}, {KV_ENC_LISTPACK, "listpack"}};
    static const struct { unsigned type; const char *name; } types[] = {
        {KV_TYPE_STRING, "string"}, {KV_TYPE_LIST, "list"}, {KV_TYPE_SET, "set"},
        {KV_TYPE_ZSET, "zset"}, {KV_TYPE_HASH, "hash"}, {KV_TYPE_STREAM, "stream"}};
    size_t i;
    CHECK_EQ_LL(sizeof(kv_obj), 16);
    for (i = 0; i < sizeof encs / sizeof encs[0]; i++) {
        kv_obj *o = kv_obj_new(KV_TYPE_LIST, encs[i].enc, NULL);
        CHECK(strcmp(kv_obj_encoding_name(o), encs[i].name) == 0);
        kv_obj_free(o);
    }
    for (i = 0; i < sizeof types / sizeof types[0]; i++) {
        kv_obj *o = kv_obj_new(types[i].type, KV_ENC_LISTPACK, malloc(10));
        CHECK(strcmp(kv_obj_type_name(o), types[i].name) == 0);
        CHECK_EQ_LL(kv_obj_type(o), types[i].type);
        kv_obj_free(o);
    }
    {
        void *p = malloc(4);
        kv_obj *o = kv_obj_new(KV_TYPE_SET, KV_ENC_INTSET, NULL);
        kv_obj_set_ptr(o, p, KV_ENC_LISTPACK);
        CHECK(kv_obj_ptr(o) == p);
        CHECK_EQ_LL(kv_obj_encoding(o), KV_ENC_LISTPACK);
        kv_obj_free(o);
    }
}

TEST_MAIN("store-string",
          TEST(test_string_encodings),
          TEST(test_string_values),
          TEST(test_string_mutation),
          TEST(test_object_names))
