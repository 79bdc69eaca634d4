/* Unit tests for the RESP library's output side and helpers: kv_buf, the
 * Redis number rules (kv_ll2str / kv_str2ll), every reply writer in RESP2
 * and RESP3, reply measuring (kv_resp_reply_len, kv_resp_reply_int) and the
 * RESP3 -> RESP2 conversion. Expected bytes are what Redis 7.0.15 sends. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kevy/resp.h"
#include "test.h"

#define B(s) s, sizeof(s) - 1

/* ------------------------------------------------------------- kv_buf */

static void test_buf(void)
{
    kv_buf b;
    char *w;
    size_t i;

    kv_buf_init(&b);
    CHECK(b.p == NULL && b.len == 0 && b.cap == 0);
    w = kv_buf_reserve(&b, 0);
    CHECK(w != NULL && w == b.p);
    kv_buf_append(&b, "hello", 5);
    kv_buf_append(&b, NULL, 0);
    CHECK_MEM(b.p, b.len, "hello");
    w = kv_buf_reserve(&b, 100);
    CHECK(w == b.p + 5 && b.cap >= 105);
    kv_buf_consume(&b, 2);
    CHECK_MEM(b.p, b.len, "llo");
    kv_buf_shrink(&b, 0); /* not empty: kept */
    CHECK(b.p != NULL);
    CHECK_MEM(b.p, b.len, "llo");
    kv_buf_consume(&b, 10);
    CHECK_EQ_LL(b.len, 0);
    kv_buf_shrink(&b, 1 << 20); /* small enough: kept */
    CHECK(b.p != NULL);
    kv_buf_shrink(&b, 8);
    CHECK(b.p == NULL && b.cap == 0 && b.len == 0);
    /* Geometric growth: a million one-byte appends reallocate rarely. */
    for (i = 0; i < 1000000; i++)
        kv_buf_append(&b, "x", 1);
    CHECK_EQ_LL(b.len, 1000000);
    CHECK(b.cap < 2 * 1000000 + 64);
    CHECK(b.p[999999] == 'x');
    kv_buf_free(&b);
    CHECK(b.p == NULL && b.len == 0);
}

/* ------------------------------------------------------------ numbers */

static void test_ll2str(void)
{
    char d[32];
    static const long long vals[] = {0, 1, -1, 9, 10, -10, 99, 100, 999, 1000,
                                     12345, -987654321, 4294967296LL,
                                     999999999999999999LL, LLONG_MAX, LLONG_MIN,
                                     LLONG_MIN + 1};
    size_t i;
    unsigned long long x = 88172645463325252ULL;

    for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        char ref[32];
        int rn = snprintf(ref, sizeof ref, "%lld", vals[i]);
        CHECK_EQ_LL(kv_ll2str(d, sizeof d, vals[i]), rn);
        CHECK(strcmp(d, ref) == 0);
    }
    CHECK_EQ_LL(kv_ll2str(d, sizeof d, LLONG_MIN), 20);
    CHECK(strcmp(d, "-9223372036854775808") == 0);
    /* Too small a buffer: nothing but an empty string. */
    CHECK_EQ_LL(kv_ll2str(d, 3, 123), 0);
    CHECK(d[0] == '\0');
    CHECK_EQ_LL(kv_ll2str(d, 4, 123), 3);
    CHECK(strcmp(d, "123") == 0);
    CHECK_EQ_LL(kv_ll2str(d, 4, -123), 0);
    CHECK_EQ_LL(kv_ll2str(d, 5, -123), 4);
    CHECK(strcmp(d, "-123") == 0);
    CHECK_EQ_LL(kv_ll2str(d, 0, 5), 0);
    CHECK_EQ_LL(kv_ll2str(d, 1, 5), 0);
    CHECK(d[0] == '\0');
    /* Round trips against printf on pseudo-random values of every size. */
    for (i = 0; i < 20000; i++) {
        char ref[32];
        long long v, back = 0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v = (long long)(x >> (i % 64));
        if (i & 1)
            v = -v;
        snprintf(ref, sizeof ref, "%lld", v);
        CHECK_EQ_LL(kv_ll2str(d, sizeof d, v), (long long)strlen(ref));
        CHECK(strcmp(d, ref) == 0);
        CHECK_EQ_LL(kv_str2ll(d, strlen(d), &back), 1);
        CHECK_EQ_LL(back, v);
    }
}

static void test_str2ll(void)
{
    static const char *good[] = {"0", "1", "-1", "10", "123", "-123",
                                 "9223372036854775807", "-9223372036854775808",
                                 "1000000000000000000"};
    static const long long goodv[] = {0, 1, -1, 10, 123, -123, LLONG_MAX,
                                      LLONG_MIN, 1000000000000000000LL};
    static const char *bad[] = {"", "-", "+1", "01", "00", "-0", "-01", " 1",
                                "1 ", "1a", "a", "0x1", "1.0", "1e3",
                                "9223372036854775808", "-9223372036854775809",
                                "18446744073709551616", "99999999999999999999",
                                "123456789012345678901", "--1", "1-"};
    size_t i;
    long long v;

    for (i = 0; i < sizeof good / sizeof good[0]; i++) {
        v = 42;
        CHECK_EQ_LL(kv_str2ll(good[i], strlen(good[i]), &v), 1);
        CHECK_EQ_LL(v, goodv[i]);
    }
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = 42;
        CHECK_EQ_LL(kv_str2ll(bad[i], strlen(bad[i]), &v), 0);
        CHECK_EQ_LL(v, 42);
    }
    /* Length bounded, not NUL terminated; out may be NULL. */
    CHECK_EQ_LL(kv_str2ll("12x", 2, &v), 1);
    CHECK_EQ_LL(v, 12);
    CHECK_EQ_LL(kv_str2ll("1\0", 2, &v), 0);
    CHECK_EQ_LL(kv_str2ll("77", 2, NULL), 1);
}

/* ------------------------------------------------------------ writers */

typedef struct wcase {
    kv_buf buf;
    kv_reply r;
} wcase;

static kv_reply *wstart(wcase *w, int proto)
{
    kv_buf_init(&w->buf);
    w->r.buf = &w->buf;
    w->r.proto = proto;
    w->r.errors = 0;
    return &w->r;
}

#define WRITES(proto, call, expected)                                      \
    do {                                                                   \
        wcase w_;                                                          \
        kv_reply *r = wstart(&w_, proto);                                  \
        call;                                                              \
        CHECK_MEM(w_.buf.p, w_.buf.len, expected);                         \
        kv_buf_free(&w_.buf);                                              \
    } while (0)

#define BOTH(call, exp2, exp3)                                             \
    do {                                                                   \
        WRITES(2, call, exp2);                                             \
        WRITES(3, call, exp3);                                             \
    } while (0)

static void test_writers_scalars(void)
{
    BOTH(kv_reply_status(r, "OK"), "+OK\r\n", "+OK\r\n");
    BOTH(kv_reply_statusn(r, "OKAY", 2), "+OK\r\n", "+OK\r\n");
    BOTH(kv_reply_status(r, ""), "+\r\n", "+\r\n");
    BOTH(kv_reply_int(r, 0), ":0\r\n", ":0\r\n");
    BOTH(kv_reply_int(r, -1), ":-1\r\n", ":-1\r\n");
    BOTH(kv_reply_int(r, 1234567), ":1234567\r\n", ":1234567\r\n");
    BOTH(kv_reply_int(r, LLONG_MAX), ":9223372036854775807\r\n",
         ":9223372036854775807\r\n");
    BOTH(kv_reply_int(r, LLONG_MIN), ":-9223372036854775808\r\n",
         ":-9223372036854775808\r\n");
    BOTH(kv_reply_bulk(r, "", 0), "$0\r\n\r\n", "$0\r\n\r\n");
    BOTH(kv_reply_bulk(r, NULL, 0), "$0\r\n\r\n", "$0\r\n\r\n");
    BOTH(kv_reply_bulk(r, "hello", 5), "$5\r\nhello\r\n", "$5\r\nhello\r\n");
    BOTH(kv_reply_bulk_cstr(r, "abc"), "$3\r\nabc\r\n", "$3\r\nabc\r\n");
    BOTH(kv_reply_bulk_ll(r, -42), "$3\r\n-42\r\n", "$3\r\n-42\r\n");
    BOTH(kv_reply_bulk_ll(r, 0), "$1\r\n0\r\n", "$1\r\n0\r\n");
    BOTH(kv_reply_null(r), "$-1\r\n", "_\r\n");
    BOTH(kv_reply_null_array(r), "*-1\r\n", "_\r\n");
    BOTH(kv_reply_bool(r, 1), ":1\r\n", "#t\r\n");
    BOTH(kv_reply_bool(r, 0), ":0\r\n", "#f\r\n");
    BOTH(kv_reply_bool(r, 7), ":1\r\n", "#t\r\n");
    BOTH(kv_reply_raw(r, "+x\r\n", 4), "+x\r\n", "+x\r\n");
    BOTH(kv_reply_bignum(r, "1234567890123456789012", 22),
         "$22\r\n1234567890123456789012\r\n", "(1234567890123456789012\r\n");
    BOTH(kv_reply_verbatim(r, "Some string", 11, "txt"),
         "$11\r\nSome string\r\n", "=15\r\ntxt:Some string\r\n");
    BOTH(kv_reply_verbatim(r, "# x", 3, "md"), "$3\r\n# x\r\n", "=7\r\nmd :# x\r\n");
    BOTH(kv_reply_verbatim(r, "", 0, "txt"), "$0\r\n\r\n", "=4\r\ntxt:\r\n");
    {
        /* Binary payload with NUL and CRLF inside. */
        wcase w;
        kv_reply *r = wstart(&w, 2);
        kv_reply_bulk(r, "a\0\r\nb", 5);
        CHECK(w.buf.len == 11 && memcmp(w.buf.p, "$5\r\na\0\r\nb\r\n", 11) == 0);
        kv_buf_free(&w.buf);
    }
}

static void test_writers_double(void)
{
    BOTH(kv_reply_double(r, 1.1), "$18\r\n1.1000000000000001\r\n",
         ",1.1000000000000001\r\n");
    BOTH(kv_reply_double(r, 3.0), "$1\r\n3\r\n", ",3\r\n");
    BOTH(kv_reply_double(r, 0.0), "$1\r\n0\r\n", ",0\r\n");
    BOTH(kv_reply_double(r, -2.5), "$4\r\n-2.5\r\n", ",-2.5\r\n");
    BOTH(kv_reply_double(r, 0.1), "$19\r\n0.10000000000000001\r\n",
         ",0.10000000000000001\r\n");
    BOTH(kv_reply_double(r, 1e300), "$23\r\n1.0000000000000001e+300\r\n",
         ",1.0000000000000001e+300\r\n");
    BOTH(kv_reply_double(r, 1e-5), "$22\r\n1.0000000000000001e-05\r\n",
         ",1.0000000000000001e-05\r\n");
    BOTH(kv_reply_double(r, 123456789012345678.0),
         "$22\r\n1.2345678901234568e+17\r\n", ",1.2345678901234568e+17\r\n");
    BOTH(kv_reply_double(r, 2.5e-310), "$23\r\n2.5000000000000171e-310\r\n",
         ",2.5000000000000171e-310\r\n");
    BOTH(kv_reply_double(r, HUGE_VAL), "$3\r\ninf\r\n", ",inf\r\n");
    BOTH(kv_reply_double(r, -HUGE_VAL), "$4\r\n-inf\r\n", ",-inf\r\n");
    BOTH(kv_reply_double(r, fabs(NAN)), "$3\r\nnan\r\n", ",nan\r\n");
}

static void test_writers_aggregates(void)
{
    BOTH(kv_reply_array(r, 3), "*3\r\n", "*3\r\n");
    BOTH(kv_reply_array(r, 0), "*0\r\n", "*0\r\n");
    BOTH(kv_reply_map(r, 2), "*4\r\n", "%2\r\n");
    BOTH(kv_reply_map(r, 0), "*0\r\n", "%0\r\n");
    BOTH(kv_reply_set(r, 5), "*5\r\n", "~5\r\n");
    BOTH(kv_reply_push(r, 3), "*3\r\n", ">3\r\n");
    BOTH((kv_reply_map(r, 1), kv_reply_bulk_cstr(r, "k"), kv_reply_double(r, 1.5)),
         "*2\r\n$1\r\nk\r\n$3\r\n1.5\r\n", "%1\r\n$1\r\nk\r\n,1.5\r\n");
}

static void test_writers_errors(void)
{
    wcase w;
    kv_reply *r = wstart(&w, 2);
    char big[600];

    kv_reply_error(r, "ERR bad\r\nthing\n");
    CHECK_MEM(w.buf.p, w.buf.len, "-ERR bad  thing \r\n");
    CHECK_EQ_LL(r->errors, 1);
    w.buf.len = 0;
    kv_reply_error(r, "WRONGTYPE Operation against a key holding the wrong kind of value");
    CHECK_MEM(w.buf.p, w.buf.len,
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    CHECK_EQ_LL(r->errors, 2);
    w.buf.len = 0;
    kv_reply_errorf(r, "ERR unknown command '%s', with args beginning with: %s",
                    "fo\r\no", "'a' ");
    CHECK_MEM(w.buf.p, w.buf.len,
              "-ERR unknown command 'fo  o', with args beginning with: 'a' \r\n");
    CHECK_EQ_LL(r->errors, 3);
    /* Like addReplyErrorFormat: CR/LF at both ends are trimmed first. */
    w.buf.len = 0;
    kv_reply_errorf(r, "\r\nERR %s %d\n\r", "x\ny", 5);
    CHECK_MEM(w.buf.p, w.buf.len, "-ERR x y 5\r\n");
    /* Longer than the formatter's stack buffer. */
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    w.buf.len = 0;
    kv_reply_errorf(r, "ERR %s!", big);
    CHECK_EQ_LL(w.buf.len, 1 + 4 + 599 + 1 + 2);
    CHECK(memcmp(w.buf.p, "-ERR zzz", 8) == 0);
    CHECK(memcmp(w.buf.p + w.buf.len - 4, "z!\r\n", 4) == 0);
    CHECK_EQ_LL(r->errors, 5);
    kv_buf_free(&w.buf);

    r = wstart(&w, 3);
    kv_reply_error(r, "ERR x");
    CHECK_MEM(w.buf.p, w.buf.len, "-ERR x\r\n");
    CHECK_EQ_LL(r->errors, 1);
    kv_buf_free(&w.buf);
}

static void test_writers_append(void)
{
    /* Writers append: a pipeline of replies in one buffer. */
    wcase w;
    kv_reply *r = wstart(&w, 2);
    size_t i;
    char *big = malloc(1 << 20);

    kv_reply_status(r, "OK");
    kv_reply_int(r, 7);
    kv_reply_null(r);
    CHECK_MEM(w.buf.p, w.buf.len, "+OK\r\n:7\r\n$-1\r\n");
    memset(big, 'q', 1 << 20);
    kv_reply_bulk(r, big, 1 << 20);
    CHECK_EQ_LL(w.buf.len, 14 + 10 + (1 << 20) + 2);
    CHECK(memcmp(w.buf.p + 14, "$1048576\r\nqq", 12) == 0);
    for (i = 0; i < 100000; i++)
        kv_reply_int(r, (long long)i);
    CHECK(memcmp(w.buf.p + w.buf.len - 8, ":99999\r\n", 8) == 0);
    CHECK_EQ_LL(kv_resp_reply_len(w.buf.p, w.buf.len), 5);
    kv_buf_free(&w.buf);
    free(big);
}

/* ------------------------------------------------------ reply reading */

typedef struct rcase {
    const char *s;
    size_t n;
} rcase;

#define R(s) {s, sizeof(s) - 1}

static const rcase valid_replies[] = {
    R("+OK\r\n"), R("+\r\n"), R("-ERR bad\r\n"), R(":0\r\n"), R(":-12\r\n"),
    R("$0\r\n\r\n"), R("$5\r\nhello\r\n"), R("$4\r\na\r\nb\r\n"), R("$-1\r\n"),
    R("*-1\r\n"), R("*0\r\n"), R("*2\r\n$1\r\na\r\n:1\r\n"),
    R("*2\r\n*1\r\n+x\r\n*0\r\n"), R("_\r\n"), R(",1.5\r\n"), R(",inf\r\n"),
    R(",-inf\r\n"), R(",nan\r\n"), R(",-nan\r\n"), R(",1e+300\r\n"),
    R(",3\r\n"), R("#t\r\n"), R("#f\r\n"), R("!3\r\nERR\r\n"),
    R("!0\r\n\r\n"), R("=15\r\ntxt:Some string\r\n"), R("=4\r\ntxt:\r\n"),
    R("(123\r\n"), R("(-3492890328409238509324850943850943825024385\r\n"),
    R("%1\r\n+k\r\n:1\r\n"), R("%0\r\n"), R("~2\r\n:1\r\n:2\r\n"),
    R(">2\r\n+message\r\n$2\r\nhi\r\n"), R("|1\r\n+a\r\n+b\r\n:5\r\n"),
    R("|0\r\n:5\r\n"), R("*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n_\r\n"),
    R("%2\r\n+a\r\n*1\r\n~1\r\n#t\r\n+b\r\n%1\r\n:1\r\n_\r\n"),
};

static const rcase invalid_replies[] = {
    R(""), R("x\r\n"), R("\r\n"), R("+OK\n"), R("+OK"), R(":abc\r\n"),
    R(":01\r\n"), R(":\r\n"), R(":1 \r\n"), R("$3\r\nabcd\r\n"), R("$-2\r\n"),
    R("$01\r\nx\r\n"), R("$\r\n"), R("$3\r\nabc\r\r"), R("*-2\r\n"),
    R("*1x\r\n"), R("%-1\r\n"), R("~-1\r\n"), R(">-1\r\n"), R("|-1\r\n"),
    R("#x\r\n"), R("#tt\r\n"), R("#\r\n"), R("_x\r\n"), R("=3\r\ntxt\r\n"),
    R("=5\r\ntxtab\r\n"), R(",\r\n"), R(",abc\r\n"), R(",1 \r\n"), R("(\r\n"),
    R("(-\r\n"), R("(1a\r\n"), R("(+1\r\n"), R("!-1\r\n"), R("=-1\r\n"),
    R("*1\r\n"), R("*2\r\n:1\r\n"), R("%1\r\n+k\r\n"), R("|1\r\n+a\r\n+b\r\n"),
    R("*1000000000\r\n:1\r\n"), R("*3\r\n:1\r\n:1\r\n"), R("$?\r\n"),
    R(";3\r\nabc\r\n"), R("*?\r\n"), R("$9223372036854775807\r\nab\r\n"),
    R("*9223372036854775807\r\n"), R("%4611686018427387904\r\n"),
};

static void test_reply_len(void)
{
    size_t i, k;
    char tmp[256];

    for (i = 0; i < sizeof valid_replies / sizeof valid_replies[0]; i++) {
        const rcase *c = &valid_replies[i];
        long got = kv_resp_reply_len(c->s, c->n);
        test_checks++;
        if (got != (long)c->n) {
            test_failures++;
            fprintf(stderr, "reply_len(\"%s\") = %ld, want %zu\n", c->s, got, c->n);
        }
        /* Every proper prefix is incomplete (exact-size copies for ASan). */
        for (k = 0; k < c->n; k++) {
            char *cp = malloc(k ? k : 1);
            memcpy(cp, c->s, k);
            CHECK_EQ_LL(kv_resp_reply_len(cp, k), -1);
            free(cp);
        }
        /* Trailing bytes (another reply) are not part of this one. */
        memcpy(tmp, c->s, c->n);
        memcpy(tmp + c->n, ":1\r\n", 4);
        CHECK_EQ_LL(kv_resp_reply_len(tmp, c->n + 4), (long)c->n);
    }
    for (i = 0; i < sizeof invalid_replies / sizeof invalid_replies[0]; i++) {
        const rcase *c = &invalid_replies[i];
        char *cp = malloc(c->n ? c->n : 1);
        long got;
        memcpy(cp, c->s, c->n);
        got = kv_resp_reply_len(cp, c->n);
        test_checks++;
        if (got != -1) {
            test_failures++;
            fprintf(stderr, "reply_len(\"%s\") = %ld, want -1\n", c->s, got);
        }
        free(cp);
    }
}

static void test_reply_len_deep(void)
{
    /* Deep nesting is walked without recursion. */
    size_t depth = 200000, i, n;
    char *s = malloc(depth * 4 + 8);

    for (i = 0; i < depth; i++)
        memcpy(s + 4 * i, "*1\r\n", 4);
    memcpy(s + 4 * depth, ":1\r\n", 4);
    n = depth * 4 + 4;
    CHECK_EQ_LL(kv_resp_reply_len(s, n), (long)n);
    CHECK_EQ_LL(kv_resp_reply_len(s, n - 1), -1);
    for (i = 0; i < depth; i++)
        memcpy(s + 4 * i, "|0\r\n", 4);
    CHECK_EQ_LL(kv_resp_reply_len(s, n), (long)n);
    free(s);
}

static void test_reply_int(void)
{
    long long v = 99;

    CHECK_EQ_LL(kv_resp_reply_int(B(":123\r\n"), &v), 1);
    CHECK_EQ_LL(v, 123);
    CHECK_EQ_LL(kv_resp_reply_int(B(":-9223372036854775808\r\n"), &v), 1);
    CHECK_EQ_LL(v, LLONG_MIN);
    v = 99;
    CHECK_EQ_LL(kv_resp_reply_int(B("+OK\r\n"), &v), 0);
    CHECK_EQ_LL(kv_resp_reply_int(B(":12\r\nx"), &v), 0);
    CHECK_EQ_LL(kv_resp_reply_int(B(":12\r"), &v), 0);
    CHECK_EQ_LL(kv_resp_reply_int(B(":abc\r\n"), &v), 0);
    CHECK_EQ_LL(kv_resp_reply_int(B(":\r\n"), &v), 0);
    CHECK_EQ_LL(kv_resp_reply_int(B("$1\r\n1\r\n"), &v), 0);
    CHECK_EQ_LL(kv_resp_reply_int("", 0, &v), 0);
    CHECK_EQ_LL(v, 99);
}

typedef struct conv {
    const char *in;
    size_t inlen;
    const char *out;
    size_t outlen;
} conv;

#define C(a, b) {a, sizeof(a) - 1, b, sizeof(b) - 1}

static const conv conversions[] = {
    C("+OK\r\n", "+OK\r\n"),
    C("-ERR x\r\n", "-ERR x\r\n"),
    C(":5\r\n", ":5\r\n"),
    C("$3\r\nabc\r\n", "$3\r\nabc\r\n"),
    C("$-1\r\n", "$-1\r\n"),
    C("*-1\r\n", "*-1\r\n"),
    C("*0\r\n", "*0\r\n"),
    C("_\r\n", "$-1\r\n"),
    C(",1.5\r\n", "$3\r\n1.5\r\n"),
    C(",inf\r\n", "$3\r\ninf\r\n"),
    C(",-inf\r\n", "$4\r\n-inf\r\n"),
    C("#t\r\n", ":1\r\n"),
    C("#f\r\n", ":0\r\n"),
    C("(12345678901234567890\r\n", "$20\r\n12345678901234567890\r\n"),
    C("=15\r\ntxt:Some string\r\n", "$11\r\nSome string\r\n"),
    C("=4\r\nmkd:\r\n", "$0\r\n\r\n"),
    C("!22\r\nSYNTAX invalid\r\nsyntax\r\n", "-SYNTAX invalid  syntax\r\n"),
    C("%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", "*4\r\n+a\r\n:1\r\n+b\r\n:2\r\n"),
    C("%0\r\n", "*0\r\n"),
    C("~2\r\n:1\r\n:2\r\n", "*2\r\n:1\r\n:2\r\n"),
    C(">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nhi\r\n",
      "*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nhi\r\n"),
    C("|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n"
      "*2\r\n:2039123\r\n:9543892\r\n",
      "*2\r\n:2039123\r\n:9543892\r\n"),
    C("*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n|1\r\n|0\r\n+x\r\n+y\r\n_\r\n",
      "*2\r\n:1\r\n$-1\r\n"),
    C("*1\r\n%1\r\n+k\r\n~1\r\n#t\r\n", "*1\r\n*2\r\n+k\r\n*1\r\n:1\r\n"),
    C("%1\r\n=7\r\ntxt:a\nb\r\n>1\r\n(-7\r\n",
      "*2\r\n$3\r\na\nb\r\n*1\r\n$2\r\n-7\r\n"),
};

static void test_resp3_to_resp2(void)
{
    size_t i;
    kv_buf out;

    kv_buf_init(&out);
    for (i = 0; i < sizeof conversions / sizeof conversions[0]; i++) {
        const conv *c = &conversions[i];
        out.len = 0;
        kv_buf_append(&out, "pre", 3);
        CHECK_EQ_LL(kv_resp3_to_resp2(&out, c->in, c->inlen), 0);
        test_checks++;
        if (out.len != c->outlen + 3 || memcmp(out.p, "pre", 3) != 0 ||
            memcmp(out.p + 3, c->out, c->outlen) != 0) {
            test_failures++;
            fprintf(stderr, "resp3_to_resp2(\"%s\") gave \"%.*s\"\n", c->in,
                    (int)out.len, out.p);
        }
        /* The result is one complete reply. */
        CHECK_EQ_LL(kv_resp_reply_len(out.p + 3, out.len - 3), (long)c->outlen);
    }
    /* Malformed input: -1, output untouched. */
    for (i = 0; i < sizeof invalid_replies / sizeof invalid_replies[0]; i++) {
        out.len = 0;
        kv_buf_append(&out, "pre", 3);
        CHECK_EQ_LL(kv_resp3_to_resp2(&out, invalid_replies[i].s,
                                      invalid_replies[i].n), -1);
        CHECK_MEM(out.p, out.len, "pre");
    }
    /* Exactly one reply: trailing bytes are refused. */
    out.len = 0;
    CHECK_EQ_LL(kv_resp3_to_resp2(&out, B("+OK\r\n+x\r\n")), -1);
    CHECK_EQ_LL(out.len, 0);
    CHECK_EQ_LL(kv_resp3_to_resp2(&out, B("%1\r\n+a\r\n")), -1);
    CHECK_EQ_LL(out.len, 0);
    kv_buf_free(&out);
}

TEST_MAIN("resp_io",
          TEST(test_buf),
          TEST(test_ll2str),
          TEST(test_str2ll),
          TEST(test_writers_scalars),
          TEST(test_writers_double),
          TEST(test_writers_aggregates),
          TEST(test_writers_errors),
          TEST(test_writers_append),
          TEST(test_reply_len),
          TEST(test_reply_len_deep),
          TEST(test_reply_int),
          TEST(test_resp3_to_resp2))
