/* Unit tests for the listpack: blobs built here must equal, byte for byte,
 * the ones Redis 7.0.15 wrote for the same content (captured with DUMP and
 * rdbcompression off); every entry must read back as it went in; edits keep
 * the blob valid (checked against a plain array model); and the validator
 * rejects corrupted blobs without reading out of bounds (run under ASan). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/listpack.h"
#include "test.h"

/* RPUSH of these strings on Redis 7.0.15: its quicklist node (DUMP, rdbcompression no). */
static const char *const ints_in[] = {
    "0", "1", "127", "128", "-1", "4095", "4096", "-4096", "-4097", "32767",
    "32768", "-32768", "-32769", "8388607", "8388608", "-8388608", "-8388609",
    "2147483647", "2147483648", "-2147483648", "-2147483649", "9223372036854775807",
    "-9223372036854775808", "9223372036854775808", "-9223372036854775809", "-0",
    "007", "+1", " 1", "1 ", "00", "-", "", "99999999999999999999",
    "12345678901234567890", "-12",
};
static const unsigned char ints_lp[] =
    "\xf5\x00\x00\x00\x24\x00\x00\x01\x01\x01\x7f\x01\xc0\x80\x02\xdf"
    "\xff\x02\xcf\xff\x02\xf1\x00\x10\x03\xd0\x00\x02\xf1\xff\xef\x03"
    "\xf1\xff\x7f\x03\xf2\x00\x80\x00\x04\xf1\x00\x80\x03\xf2\xff\x7f"
    "\xff\x04\xf2\xff\xff\x7f\x04\xf3\x00\x00\x80\x00\x05\xf2\x00\x00"
    "\x80\x04\xf3\xff\xff\x7f\xff\x05\xf3\xff\xff\xff\x7f\x05\xf4\x00"
    "\x00\x00\x80\x00\x00\x00\x00\x09\xf3\x00\x00\x00\x80\x05\xf4\xff"
    "\xff\xff\x7f\xff\xff\xff\xff\x09\xf4\xff\xff\xff\xff\xff\xff\xff"
    "\x7f\x09\xf4\x00\x00\x00\x00\x00\x00\x00\x80\x09\x93\x39\x32\x32"
    "\x33\x33\x37\x32\x30\x33\x36\x38\x35\x34\x37\x37\x35\x38\x30\x38"
    "\x14\x94\x2d\x39\x32\x32\x33\x33\x37\x32\x30\x33\x36\x38\x35\x34"
    "\x37\x37\x35\x38\x30\x39\x15\x82\x2d\x30\x03\x83\x30\x30\x37\x04"
    "\x82\x2b\x31\x03\x82\x20\x31\x03\x82\x31\x20\x03\x82\x30\x30\x03"
    "\x81\x2d\x02\x80\x01\x94\x39\x39\x39\x39\x39\x39\x39\x39\x39\x39"
    "\x39\x39\x39\x39\x39\x39\x39\x39\x39\x39\x15\x94\x31\x32\x33\x34"
    "\x35\x36\x37\x38\x39\x30\x31\x32\x33\x34\x35\x36\x37\x38\x39\x30"
    "\x15\xdf\xf4\x02\xff";
/* HSET h a 1 b hello c -5 d 200 e 70000 f 5000000000 g -70000 */
static const char *const hash_in[] = {"a", "1", "b", "hello", "c", "-5", "d", "200",
                                        "e", "70000", "f", "5000000000", "g", "-70000"};
static const unsigned char hash_lp[] =
    "\x3f\x00\x00\x00\x0e\x00\x81\x61\x02\x01\x01\x81\x62\x02\x85\x68"
    "\x65\x6c\x6c\x6f\x06\x81\x63\x02\xdf\xfb\x02\x81\x64\x02\xc0\xc8"
    "\x02\x81\x65\x02\xf2\x70\x11\x01\x04\x81\x66\x02\xf4\x00\xf2\x05"
    "\x2a\x01\x00\x00\x00\x09\x81\x67\x02\xf2\x90\xee\xfe\x04\xff";
/* RPUSH of strings of these lengths (bytes "abcdefghij" repeated), with
 * list-max-listpack-size -5 so they share one node. */
static const size_t strs_len[] = {0, 1, 63, 64, 125, 126, 4095, 4096, 8000};
#define STRS_BYTES 16611
#define STRS_FNV 0x89a088c080eeabddULL

/* One string entry of n bytes: where the backlen grows from 2 to 3 bytes
 * (entry size 16383) and from 3 to 4 (2097151): blob size, FNV-1a of the
 * blob, its first 12 and last 6 bytes. */
static const struct bigcase {
    size_t n, bytes;
    unsigned long long fnv;
    const char *ends;
} bigs[] = {
    {16377, 16391, 0x84eeb8c343d1c6c8ULL,
     "\x07\x40\x00\x00\x01\x00\xf0\xf9\x3f\x00\x00\x61\x65\x66\x67\x7f\xfe\xff"},
    {16378, 16393, 0xa1c440677c4196c8ULL,
     "\x09\x40\x00\x00\x01\x00\xf0\xfa\x3f\x00\x00\x61\x67\x68\x00\xff\xff\xff"},
    {2097145, 2097160, 0xd07b6ab96e0e573fULL,
     "\x08\x00\x20\x00\x01\x00\xf0\xf9\xff\x1f\x00\x61\x64\x65\x7f\xff\xfe\xff"},
    {2097146, 2097162, 0xa7f84e954cf28bafULL,
     "\x0a\x00\x20\x00\x01\x00\xf0\xfa\xff\x1f\x00\x61\x66\x00\xff\xff\xff\xff"},
};

/* HSET H f<i> v<i> for i < 40000 (hash-max-listpack-entries raised): 80000
 * entries, so the count field saturates at 65535. */
#define SAT_BYTES 617787
#define SAT_FNV 0x59a65c9bbf50c075ULL
static const unsigned char sat_head[] = "\x3b\x6d\x09\x00\xff\xff";

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static unsigned long long fnv1a(const unsigned char *p, size_t n)
{
    unsigned long long h = 0xcbf29ce484222325ULL;
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static char *pattern(size_t n)
{
    char *s = (char *)malloc(n + 1);
    size_t i;
    for (i = 0; i < n; i++)
        s[i] = (char)('a' + i % 10);
    s[n] = '\0';
    return s;
}

/* Entry at p reads back as s[0..n). */
static int entry_is(const unsigned char *p, const char *s, size_t n)
{
    unsigned char buf[32];
    size_t len;
    const unsigned char *b = kv_lp_get_str(p, buf, &len);
    return len == n && (n == 0 || memcmp(b, s, n) == 0);
}

/* The blob holds exactly items[0..n), walking both ways. */
static int holds(unsigned char *lp, char *const *items, const size_t *lens, size_t n)
{
    unsigned char *p = kv_lp_first(lp);
    size_t i;
    if (kv_lp_count(lp) != n || !kv_lp_validate(lp, kv_lp_bytes(lp)))
        return 0;
    for (i = 0; i < n; i++, p = kv_lp_next(lp, p))
        if (p == NULL || !entry_is(p, items[i], lens[i]))
            return 0;
    if (p != NULL)
        return 0;
    p = kv_lp_last(lp);
    for (i = n; i-- > 0; p = kv_lp_prev(lp, p))
        if (p == NULL || !entry_is(p, items[i], lens[i]))
            return 0;
    return p == NULL;
}

static void check_vector(const char *const *in, size_t n, const unsigned char *want,
                         size_t wantlen)
{
    unsigned char *lp = kv_lp_new(), *p;
    size_t i;
    for (i = 0; i < n; i++)
        lp = kv_lp_append(lp, in[i], strlen(in[i]));
    CHECK_EQ_LL(kv_lp_bytes(lp), wantlen);
    CHECK(kv_lp_bytes(lp) == wantlen && memcmp(lp, want, wantlen) == 0);
    CHECK(kv_lp_validate(want, wantlen));
    CHECK_EQ_LL(kv_lp_count(want), n);
    /* Redis's blob reads back as the strings that went in. */
    p = kv_lp_first((unsigned char *)(uintptr_t)want);
    for (i = 0; i < n; i++, p = p ? kv_lp_next((unsigned char *)(uintptr_t)want, p) : NULL)
        CHECK(p != NULL && entry_is(p, in[i], strlen(in[i])));
    CHECK(p == NULL);
    kv_lp_free(lp);
}

static void test_redis_vectors(void)
{
    check_vector(ints_in, NELEM(ints_in), ints_lp, sizeof ints_lp - 1);
    check_vector(hash_in, NELEM(hash_in), hash_lp, sizeof hash_lp - 1);
}

static void test_redis_strings(void)
{
    unsigned char *lp = kv_lp_new(), *p;
    char *big = pattern(8000);
    size_t i;
    for (i = 0; i < NELEM(strs_len); i++)
        lp = kv_lp_append(lp, big, strs_len[i]);
    CHECK_EQ_LL(kv_lp_bytes(lp), STRS_BYTES);
    CHECK(fnv1a(lp, kv_lp_bytes(lp)) == STRS_FNV);
    CHECK(kv_lp_validate(lp, kv_lp_bytes(lp)));
    p = kv_lp_last(lp);
    for (i = NELEM(strs_len); i-- > 0; p = kv_lp_prev(lp, p))
        CHECK(p != NULL && entry_is(p, big, strs_len[i]));
    CHECK(p == NULL);
    kv_lp_free(lp);
    free(big);

    for (i = 0; i < NELEM(bigs); i++) {
        char *s = pattern(bigs[i].n);
        size_t len;
        lp = kv_lp_append(kv_lp_new(), s, bigs[i].n);
        len = kv_lp_bytes(lp);
        CHECK_EQ_LL(len, bigs[i].bytes);
        CHECK(fnv1a(lp, len) == bigs[i].fnv);
        CHECK(memcmp(lp, bigs[i].ends, 12) == 0 && memcmp(lp + len - 6, bigs[i].ends + 12, 6) == 0);
        CHECK(kv_lp_validate(lp, len));
        CHECK(kv_lp_last(lp) == kv_lp_first(lp) && entry_is(kv_lp_last(lp), s, bigs[i].n));
        kv_lp_free(lp);
        free(s);
    }
}

static void test_count_saturates(void)
{
    unsigned char *lp = kv_lp_new(), *p;
    char f[32];
    int i, n;
    for (i = 0; i < 40000; i++) {
        n = snprintf(f, sizeof f, "f%d", i);
        lp = kv_lp_append(lp, f, (size_t)n);
        n = snprintf(f, sizeof f, "v%d", i);
        lp = kv_lp_append(lp, f, (size_t)n);
    }
    CHECK_EQ_LL(kv_lp_bytes(lp), SAT_BYTES);
    CHECK(memcmp(lp, sat_head, 6) == 0);
    CHECK(fnv1a(lp, kv_lp_bytes(lp)) == SAT_FNV);
    CHECK_EQ_LL(kv_lp_count(lp), 80000);
    CHECK(kv_lp_validate(lp, kv_lp_bytes(lp)));
    /* Seeks work without a known count, from both ends. */
    CHECK(entry_is(kv_lp_seek(lp, 79999), "v39999", 6));
    CHECK(entry_is(kv_lp_seek(lp, -80000), "f0", 2));
    CHECK(kv_lp_seek(lp, 80000) == NULL && kv_lp_seek(lp, -80001) == NULL);
    /* Deleting below 65535 leaves the count "unknown", as Redis does. */
    lp = kv_lp_delete_range(lp, 0, 20000);
    CHECK(lp[4] == 0xff && lp[5] == 0xff);
    CHECK_EQ_LL(kv_lp_count(lp), 60000);
    p = kv_lp_first(lp);
    CHECK(entry_is(p, "f10000", 6));
    CHECK(kv_lp_validate(lp, kv_lp_bytes(lp)));
    kv_lp_free(lp);

    /* 65534 + 1 becomes "unknown" too. */
    lp = kv_lp_new();
    for (i = 0; i < 65534; i++)
        lp = kv_lp_append_int(lp, i);
    CHECK(lp[4] == 0xfe && lp[5] == 0xff);
    lp = kv_lp_append_int(lp, 1);
    CHECK(lp[4] == 0xff && lp[5] == 0xff);
    CHECK_EQ_LL(kv_lp_count(lp), 65535);
    kv_lp_free(lp);
}

static void test_empty_and_seek(void)
{
    unsigned char *lp = kv_lp_new(), *p;
    long i;
    CHECK_EQ_LL(kv_lp_bytes(lp), 7);
    CHECK(memcmp(lp, "\x07\x00\x00\x00\x00\x00\xff", 7) == 0);
    CHECK(kv_lp_validate(lp, 7));
    CHECK_EQ_LL(kv_lp_count(lp), 0);
    CHECK(kv_lp_first(lp) == NULL && kv_lp_last(lp) == NULL);
    CHECK(kv_lp_seek(lp, 0) == NULL && kv_lp_seek(lp, -1) == NULL);
    CHECK(kv_lp_find(lp, kv_lp_first(lp), "a", 1, 0) == NULL);
    lp = kv_lp_delete_range(lp, 0, 5);
    CHECK_EQ_LL(kv_lp_bytes(lp), 7);
    for (i = 0; i < 10; i++)
        lp = kv_lp_append_int(lp, i * 1000);
    for (i = 0; i < 10; i++) {
        kv_lpval v;
        p = kv_lp_seek(lp, i);
        kv_lp_get(p, &v);
        CHECK(v.s == NULL && v.v == i * 1000);
        CHECK(kv_lp_seek(lp, i - 10) == p);
    }
    CHECK(kv_lp_seek(lp, 10) == NULL && kv_lp_seek(lp, -11) == NULL);
    kv_lp_free(lp);
}

static void test_edit_ops(void)
{
    unsigned char *lp = kv_lp_new(), *p, *np = NULL, *next;
    kv_lpval v;
    lp = kv_lp_append(lp, "b", 1);
    lp = kv_lp_prepend(lp, "a", 1);
    lp = kv_lp_append_int(lp, -5);
    /* a b -5 */
    p = kv_lp_seek(lp, 1);
    lp = kv_lp_insert(lp, p, KV_LP_AFTER, "12", 2, &np);
    CHECK(np == kv_lp_seek(lp, 2));
    kv_lp_get(np, &v);
    CHECK(v.s == NULL && v.v == 12);
    lp = kv_lp_insert(lp, kv_lp_first(lp), KV_LP_BEFORE, "zero", 4, &np);
    CHECK(np == kv_lp_first(lp));
    /* zero a b 12 -5 */
    lp = kv_lp_insert(lp, kv_lp_seek(lp, 2), KV_LP_REPLACE, "a much longer value", 19, &np);
    CHECK_EQ_LL(kv_lp_count(lp), 5);
    CHECK(entry_is(np, "a much longer value", 19));
    CHECK(kv_lp_equal(kv_lp_seek(lp, 3), "12", 2));
    CHECK(!kv_lp_equal(kv_lp_seek(lp, 3), "012", 3));
    CHECK(!kv_lp_equal(kv_lp_seek(lp, 3), "1", 1));
    CHECK(kv_lp_equal(kv_lp_seek(lp, -1), "-5", 2));
    CHECK(!kv_lp_equal(kv_lp_seek(lp, 1), "b", 1));
    CHECK(kv_lp_equal(kv_lp_seek(lp, 1), "a", 1));
    lp = kv_lp_insert(lp, kv_lp_seek(lp, 2), KV_LP_REPLACE, "x", 1, NULL);
    CHECK(kv_lp_find(lp, kv_lp_first(lp), "x", 1, 0) == kv_lp_seek(lp, 2));
    CHECK(kv_lp_find(lp, kv_lp_first(lp), "-5", 2, 0) == kv_lp_seek(lp, 4));
    /* skip 1 looks only at even positions. */
    CHECK(kv_lp_find(lp, kv_lp_first(lp), "12", 2, 1) == NULL);
    CHECK(kv_lp_find(lp, kv_lp_first(lp), "x", 1, 1) == kv_lp_seek(lp, 2));
    CHECK(kv_lp_find(lp, kv_lp_seek(lp, 1), "12", 2, 1) == kv_lp_seek(lp, 3));
    /* zero a x 12 -5 */
    lp = kv_lp_delete(lp, kv_lp_seek(lp, 1), &next);
    CHECK(next == kv_lp_seek(lp, 1) && kv_lp_equal(next, "x", 1));
    lp = kv_lp_delete(lp, kv_lp_last(lp), &next);
    CHECK(next == NULL);
    CHECK_EQ_LL(kv_lp_count(lp), 3);
    /* p NULL appends; the EOF position appends too. */
    lp = kv_lp_insert(lp, NULL, KV_LP_BEFORE, "end", 3, &np);
    CHECK(np == kv_lp_last(lp));
    lp = kv_lp_delete_range(lp, -2, 100);
    CHECK_EQ_LL(kv_lp_count(lp), 2);
    CHECK(entry_is(kv_lp_last(lp), "x", 1));
    CHECK(kv_lp_validate(lp, kv_lp_bytes(lp)));
    kv_lp_free(lp);
}

/* Random edits mirrored on an array of strings. */
static void test_model(void)
{
    enum { MAXN = 300 };
    char *items[MAXN];
    size_t lens[MAXN], n = 0, step;
    unsigned long long rng = 88172645463325252ULL;
    unsigned char *lp = kv_lp_new();
    char *big = pattern(5000);
    int ok = 1;

    for (step = 0; step < 20000 && ok; step++) {
        unsigned op, kind;
        size_t pos, len;
        char tmp[32];
        const char *s;
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        op = (unsigned)(rng % 7);
        kind = (unsigned)((rng >> 8) % 4);
        pos = n ? (size_t)((rng >> 16) % n) : 0;
        if (kind == 0) {
            len = (size_t)snprintf(tmp, sizeof tmp, "%lld",
                                   (long long)(rng >> 20) % 100000000000LL - 50000000000LL);
            s = tmp;
        } else if (kind == 1) {
            len = (size_t)snprintf(tmp, sizeof tmp, "%d", (int)((rng >> 24) % 9000) - 4500);
            s = tmp;
        } else {
            len = (size_t)((rng >> 28) % (kind == 2 ? 70 : 5000));
            s = big + (rng >> 40) % 10;
            if (len > 4990)
                len = 4990;
        }
        if ((op <= 2 || n == 0) && n < MAXN) {
            /* insert before pos, after pos, or append */
            unsigned char *p = n ? kv_lp_seek(lp, (long)pos) : NULL;
            size_t at = op == 1 && n ? pos + 1 : op == 2 || !n ? n : pos;
            int where = op == 1 && n ? KV_LP_AFTER : KV_LP_BEFORE;
            if (op == 2)
                p = NULL;
            lp = kv_lp_insert(lp, p, where, s, len, NULL);
            memmove(items + at + 1, items + at, (n - at) * sizeof *items);
            memmove(lens + at + 1, lens + at, (n - at) * sizeof *lens);
            items[at] = (char *)malloc(len + 1);
            memcpy(items[at], s, len);
            lens[at] = len;
            n++;
        } else if (op == 3 && n) {
            lp = kv_lp_insert(lp, kv_lp_seek(lp, (long)pos - (long)n), KV_LP_REPLACE, s, len, NULL);
            free(items[pos]);
            items[pos] = (char *)malloc(len + 1);
            memcpy(items[pos], s, len);
            lens[pos] = len;
        } else if (op == 4 && n) {
            lp = kv_lp_delete(lp, kv_lp_seek(lp, (long)pos), NULL);
            free(items[pos]);
            memmove(items + pos, items + pos + 1, (n - pos - 1) * sizeof *items);
            memmove(lens + pos, lens + pos + 1, (n - pos - 1) * sizeof *lens);
            n--;
        } else if (op == 5 && n) {
            size_t cnt = (size_t)(rng >> 50) % 4, k;
            if (cnt > n - pos)
                cnt = n - pos;
            lp = kv_lp_delete_range(lp, (long)pos, (size_t)(rng >> 50) % 4);
            for (k = 0; k < cnt; k++)
                free(items[pos + k]);
            memmove(items + pos, items + pos + cnt, (n - pos - cnt) * sizeof *items);
            memmove(lens + pos, lens + pos + cnt, (n - pos - cnt) * sizeof *lens);
            n -= cnt;
        } else if (n) {
            unsigned char *f = kv_lp_find(lp, kv_lp_first(lp), items[pos], lens[pos], 0);
            size_t k = 0;
            while (k < n && (lens[k] != lens[pos] || memcmp(items[k], items[pos], lens[k])))
                k++;
            ok = f == kv_lp_seek(lp, (long)k);
        }
        if (step % 97 == 0 || step < 500)
            ok = ok && holds(lp, items, lens, n);
    }
    CHECK(ok);
    CHECK(holds(lp, items, lens, n));
    while (n)
        free(items[--n]);
    kv_lp_free(lp);
    free(big);
}

/* ------------------------------------------------------------ validation */

/* Validate an exact-size heap copy, so ASan sees any read past the end. */
static int valid_copy(const unsigned char *b, size_t n)
{
    unsigned char *c = (unsigned char *)malloc(n ? n : 1);
    int ok;
    if (n)
        memcpy(c, b, n);
    ok = kv_lp_validate(c, n);
    if (ok) {
        /* A valid blob must be walkable both ways. */
        unsigned char *p;
        size_t k = 0, m = 0;
        for (p = kv_lp_first(c); p; p = kv_lp_next(c, p))
            k++;
        for (p = kv_lp_last(c); p; p = kv_lp_prev(c, p))
            m++;
        CHECK(k == m && k == kv_lp_count(c));
    }
    free(c);
    return ok;
}

static void wr32le(unsigned char *p, size_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void test_validate_rejects(void)
{
    unsigned char b[300];
    size_t n = sizeof hash_lp - 1, i;
    int bit;

    CHECK(valid_copy(hash_lp, n));
    CHECK(!kv_lp_validate(NULL, 0));
    /* Every truncation, with the header fixed up or not. */
    for (i = 0; i < n; i++) {
        memcpy(b, hash_lp, i);
        CHECK(!valid_copy(b, i));
        if (i >= 7) {
            wr32le(b, i);
            b[i - 1] = 0xff;
            CHECK(!valid_copy(b, i));
        }
    }
    /* Every single-bit flip: nothing may crash; a flip the validator accepts
     * must still leave a walkable blob (valid_copy checks). */
    for (i = 0; i < n; i++) {
        for (bit = 0; bit < 8; bit++) {
            memcpy(b, hash_lp, n);
            b[i] ^= (unsigned char)(1u << bit);
            (void)valid_copy(b, n);
        }
    }
    /* Specific defects. */
    memcpy(b, hash_lp, n);
    b[4] = 13;                                   /* wrong count */
    CHECK(!valid_copy(b, n));
    b[4] = 0xff;
    b[5] = 0xff;                                 /* unknown count is fine */
    CHECK(valid_copy(b, n));
    memcpy(b, hash_lp, n);
    b[n - 1] = 0xfe;                             /* no EOF */
    CHECK(!valid_copy(b, n));
    memcpy(b, hash_lp, n);
    b[8] = 0x03;                                 /* backlen of "a" wrong */
    CHECK(!valid_copy(b, n));
    memcpy(b, hash_lp, n);
    b[6] = 0xf5;                                 /* unused encoding */
    CHECK(!valid_copy(b, n));
    memcpy(b, hash_lp, n);
    b[6] = 0xff;                                 /* EOF byte inside */
    CHECK(!valid_copy(b, n));
    /* 32-bit string whose length runs past the end (and would wrap). */
    memcpy(b, "\x0c\x00\x00\x00\x01\x00\xf0\xff\xff\xff\xff\xff", 12);
    CHECK(!valid_copy(b, 12));
    memcpy(b, "\x0c\x00\x00\x00\x01\x00\xf0\x00\x00", 9);
    CHECK(!valid_copy(b, 9));
    /* 12-bit string header cut by the EOF. */
    memcpy(b, "\x08\x00\x00\x00\x01\x00\xe0\xff", 8);
    CHECK(!valid_copy(b, 8));
    /* Valid hand-made blobs: empty, and 64-bit int, and a 12-bit string
     * whose length fits in 6 bits (non-canonical, but Redis reads it). */
    CHECK(valid_copy((const unsigned char *)"\x07\x00\x00\x00\x00\x00\xff", 7));
    CHECK(valid_copy((const unsigned char *)"\x0b\x00\x00\x00\x01\x00\xe0\x01\x41\x03\xff", 11));
    CHECK(!valid_copy((const unsigned char *)"\x0b\x00\x00\x00\x01\x00\xe0\x01\x41\x02\xff", 11));
    /* A backlen in a longer form than its value needs (00 81 = 1). */
    CHECK(!valid_copy((const unsigned char *)"\x0a\x00\x00\x00\x01\x00\x05\x00\x81\xff", 10));
    /* Total size field disagreeing with the buffer. */
    memcpy(b, hash_lp, n);
    wr32le(b, n + 1);
    CHECK(!valid_copy(b, n));
}

TEST_MAIN("listpack", TEST(test_redis_vectors), TEST(test_redis_strings),
          TEST(test_count_saturates), TEST(test_empty_and_seek), TEST(test_edit_ops),
          TEST(test_model), TEST(test_validate_rejects))
