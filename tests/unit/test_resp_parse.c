/* Unit tests for the RESP request parser (src/resp/parser.c, inline.c).
 * Every stream is parsed whole, byte by byte, split at every byte position
 * (long streams: a sample) and, for short ones, at every pair of positions;
 * commands and the final error must be identical each time and match what
 * Redis 7.0.15 does with the same bytes. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "kevy/resp.h"
#include "test.h"

#define B(s) s, sizeof(s) - 1

static const kv_parse_limits lim_default = {KV_PROTO_MAX_BULK_DEFAULT, 0};
static const kv_parse_limits lim_auth = {KV_PROTO_MAX_BULK_DEFAULT, 1};

/* ------------------------------------------------------ the stream driver */

/* Feed s[0..n) to a fresh parser, delivering it in pieces that end at the
 * given cut positions. Commands are appended to `out` as multibulks, an
 * error as "-text\r\n" (which ends the stream, as the server closes), and
 * bytes left unconsumed at the end as "~count\r\n". With `copy`, each call
 * sees a freshly allocated exact-size buffer, so ASan catches stale pointers
 * and any read past `len`. Returns 0, or -1 if an invariant broke. */
static int run_stream(const char *s, size_t n, const size_t *cuts, size_t ncuts,
                      const kv_parse_limits *lim, int copy, kv_buf *out)
{
    kv_parser p;
    size_t start = 0, avail, c = 0;
    int rc = 0;

    kv_parser_init(&p);
    out->len = 0;
    avail = ncuts ? cuts[0] : n;
    for (;;) {
        const char *buf = s + start;
        char *tmp = NULL;
        size_t len = avail - start, consumed = 99;
        int argc = -1, i;
        kv_str *argv = NULL;
        kv_parse_status st;

        if (copy) {
            tmp = malloc(len ? len : 1);
            if (len)
                memcpy(tmp, s + start, len);
            buf = tmp;
        }
        st = kv_parse(&p, buf, len, lim, &consumed, &argc, &argv);
        if (st == KV_PARSE_OK) {
            if (consumed == 0 || consumed > len || argc < 0)
                rc = -1;
            for (i = 0; i < argc && rc == 0; i++) {
                /* Multibulk arguments are zero copy, inside the command. */
                if (buf[0] == '*' &&
                    (argv[i].p < buf || argv[i].p + argv[i].n > buf + consumed))
                    rc = -1;
            }
            if (rc == 0)
                kv_encode_command(out, argc, argv);
            start += consumed;
        } else if (st == KV_PARSE_ERROR) {
            if (p.err == NULL)
                rc = -1;
            else {
                kv_buf_append(out, "-", 1);
                kv_buf_append(out, p.err, strlen(p.err));
                kv_buf_append(out, "\r\n", 2);
            }
            free(tmp);
            break;
        } else {
            if (consumed != 0 || (p.need != 0 && p.need <= len))
                rc = -1;
            if (avail == n) {
                free(tmp);
                if (start < n) {
                    char tail[32];
                    int tn = kv_ll2str(tail, sizeof tail, (long long)(n - start));
                    kv_buf_append(out, "~", 1);
                    kv_buf_append(out, tail, (size_t)tn);
                    kv_buf_append(out, "\r\n", 2);
                }
                break;
            }
            c++;
            avail = c < ncuts ? cuts[c] : n;
        }
        free(tmp);
        if (rc)
            break;
    }
    kv_parser_free(&p);
    return rc;
}

static int g_reported;

static void expect_run(const char *name, const char *mode, size_t k, int rc,
                       const kv_buf *got, const char *exp, size_t explen)
{
    int ok = rc == 0 && got->len == explen && memcmp(got->p, exp, explen) == 0;
    test_checks++;
    if (!ok) {
        test_failures++;
        if (g_reported++ < 10)
            fprintf(stderr, "stream %s (%s %zu): rc %d, got %zu bytes \"%.*s\"\n",
                    name, mode, k, rc, got->len,
                    (int)(got->len > 300 ? 300 : got->len), got->p);
    }
}

/* Parse a stream in every way described at the top of this file. */
static void check_stream(const char *name, const char *s, size_t n,
                         const kv_parse_limits *lim, const char *exp,
                         size_t explen)
{
    kv_buf got;
    size_t i, j, cuts[2], *all;
    int copy = n <= 4096;
    int before = test_failures;

    kv_buf_init(&got);
    expect_run(name, "whole", 0, run_stream(s, n, NULL, 0, lim, 1, &got),
               &got, exp, explen);
    for (i = 1; i < n && test_failures == before; i++) {
        /* Long streams: every cut near both ends, a sample in between. */
        if (n > 4096 && i > 512 && n - i > 512 && i % 211 != 0)
            continue;
        cuts[0] = i;
        expect_run(name, "split", i, run_stream(s, n, cuts, 1, lim, copy, &got),
                   &got, exp, explen);
    }
    all = calloc(n ? n : 1, sizeof *all);
    for (i = 1; i < n; i++)
        all[i - 1] = i;
    expect_run(name, "bytewise", 0,
               run_stream(s, n, all, n ? n - 1 : 0, lim, copy, &got), &got,
               exp, explen);
    free(all);
    for (i = 1; n <= 80 && i < n && test_failures == before; i++)
        for (j = i + 1; j < n && test_failures == before; j++) {
            cuts[0] = i;
            cuts[1] = j;
            expect_run(name, "pair", i * 1000 + j,
                       run_stream(s, n, cuts, 2, lim, 1, &got), &got, exp,
                       explen);
        }
    kv_buf_free(&got);
}

#define STREAM(name, in, exp) check_stream(name, B(in), &lim_default, B(exp))

/* ------------------------------------------------------- valid streams */

static void test_multibulk_basic(void)
{
    STREAM("ping", "*1\r\n$4\r\nPING\r\n", "*1\r\n$4\r\nPING\r\n");
    STREAM("pipeline",
           "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n"
           "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n",
           "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n"
           "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n");
    STREAM("binary", "*2\r\n$4\r\nECHO\r\n$7\r\na\0\r\nb\n\r\r\n",
           "*2\r\n$4\r\nECHO\r\n$7\r\na\0\r\nb\n\r\r\n");
    STREAM("empty args", "*3\r\n$3\r\nSET\r\n$0\r\n\r\n$0\r\n\r\n",
           "*3\r\n$3\r\nSET\r\n$0\r\n\r\n$0\r\n\r\n");
    STREAM("high bytes", "*1\r\n$3\r\n\xff\x80\x01\r\n",
           "*1\r\n$3\r\n\xff\x80\x01\r\n");
    /* Non-positive counts are empty commands the server skips. */
    STREAM("empty counts", "*0\r\n*-1\r\n*-5\r\n*1\r\n$1\r\nx\r\n",
           "*0\r\n*0\r\n*0\r\n*1\r\n$1\r\nx\r\n");
    /* Redis skips the two bytes after a payload, and after a count line's
     * '\r', without checking them. */
    STREAM("skip after payload",
           "*2\r\n$4\r\nECHO\r\n$3\r\nabcXY*1\r\n$4\r\nPING\r\n",
           "*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\n*1\r\n$4\r\nPING\r\n");
    STREAM("skip after count", "*1\rX$4\r\nPING\r\n", "*1\r\n$4\r\nPING\r\n");
    STREAM("skip after header", "*1\r\n$4\rZPING\r\n", "*1\r\n$4\r\nPING\r\n");
    /* An incomplete command stays buffered. */
    STREAM("partial", "*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\n",
           "*1\r\n$4\r\nPING\r\n~17\r\n");
    STREAM("count at max", "*2147483647\r\n$1\r\nx\r\n",
           "~20\r\n");
    STREAM("largest bulk header", "*1\r\n$536870912\r\nab",
           "~18\r\n");
}

static void test_inline_basic(void)
{
    STREAM("inline", "PING\r\nSET a b\nECHO  \"a b\"   c\r\n",
           "*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n"
           "*3\r\n$4\r\nECHO\r\n$3\r\na b\r\n$1\r\nc\r\n");
    STREAM("inline escapes", "set \"a\\x41\\n\" 'it\\'s'\r\n",
           "*3\r\n$3\r\nset\r\n$3\r\naA\n\r\n$4\r\nit's\r\n");
    STREAM("inline escape table",
           "x \"\\n\\r\\t\\b\\a\\\\\\\"\\q\\x4g\\x7e\\xFF\"\r\n",
           "*2\r\n$1\r\nx\r\n$13\r\n\n\r\t\b\a\\\"qx4g~\xff\r\n");
    STREAM("single quotes keep backslashes", "ECHO 'a\\b\\''\r\n",
           "*2\r\n$4\r\nECHO\r\n$4\r\na\\b'\r\n");
    STREAM("quote inside word", "ECHO foo\"bar\" x'y z'\r\n",
           "*3\r\n$4\r\nECHO\r\n$6\r\nfoobar\r\n$4\r\nxy z\r\n");
    STREAM("empty quoted", "SET k \"\" ''\r\n",
           "*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n$0\r\n\r\n");
    /* \v and \f separate words only between them, not inside one. */
    STREAM("vertical tab", "ECHO a\vb\r\nECHO \v\fb\r\nECHO \"a\"\vb\r\n",
           "*2\r\n$4\r\nECHO\r\n$3\r\na\vb\r\n*2\r\n$4\r\nECHO\r\n$1\r\nb\r\n"
           "*3\r\n$4\r\nECHO\r\n$1\r\na\r\n$1\r\nb\r\n");
    STREAM("tabs and cr", "\tECHO\ta\rb \r\r\n",
           "*3\r\n$4\r\nECHO\r\n$1\r\na\r\n$1\r\nb\r\n");
    STREAM("cr inside quotes", "ECHO \"a\rb\"\r\n",
           "*2\r\n$4\r\nECHO\r\n$3\r\na\rb\r\n");
    STREAM("blank lines", "   \r\n\r\n\n\t\nPING\r\n",
           "*0\r\n*0\r\n*0\r\n*0\r\n*1\r\n$4\r\nPING\r\n");
    STREAM("lf only", "GET k\nGET j\n",
           "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$3\r\nGET\r\n$1\r\nj\r\n");
    STREAM("mixed", "PING\r\n*1\r\n$4\r\nPING\r\nECHO x\n*0\r\n",
           "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n"
           "*2\r\n$4\r\nECHO\r\n$1\r\nx\r\n*0\r\n");
    STREAM("inline partial", "PING\r\nECHO abc", "*1\r\n$4\r\nPING\r\n~8\r\n");
    STREAM("high bytes inline", "ECHO \xe9t\xe9\r\n",
           "*2\r\n$4\r\nECHO\r\n$3\r\n\xe9t\xe9\r\n");
}

/* A NUL before the line end hides the line from Redis's strchr: the
 * request waits for more input instead of failing (verified on 7.0.15). */
static void test_nul_hides_line(void)
{
    STREAM("nul in count", "*1\0\r\n*1\r\n$4\r\nPING\r\n", "~19\r\n");
    STREAM("nul in header", "*1\r\n$4\0\r\nPING\r\n", "~15\r\n");
    STREAM("nul first in header", "*1\r\n\0\r\nPING\r\n", "~13\r\n");
    STREAM("nul inline", "PI\0NG\r\nPING\r\n", "~13\r\n");
    STREAM("nul after inline line", "PING\r\nA\0\n", "*1\r\n$4\r\nPING\r\n~3\r\n");
    STREAM("nul in payload is data", "*1\r\n$1\r\n\0\r\n",
           "*1\r\n$1\r\n\0\r\n");
}

/* ---------------------------------------------------------- errors */

#define EPREFIX "-ERR Protocol error: "

static void test_errors(void)
{
    STREAM("mbulk abc", "*abc\r\n", EPREFIX "invalid multibulk length\r\n");
    STREAM("mbulk empty", "*\r\n", EPREFIX "invalid multibulk length\r\n");
    STREAM("mbulk 01", "*01\r\n", EPREFIX "invalid multibulk length\r\n");
    STREAM("mbulk +1", "*+1\r\n", EPREFIX "invalid multibulk length\r\n");
    STREAM("mbulk space", "* 1\r\n", EPREFIX "invalid multibulk length\r\n");
    STREAM("mbulk -0", "*-0\r\n", EPREFIX "invalid multibulk length\r\n");
    STREAM("mbulk int max+1", "*2147483648\r\n",
           EPREFIX "invalid multibulk length\r\n");
    STREAM("mbulk overflow", "*99999999999999999999\r\n",
           EPREFIX "invalid multibulk length\r\n");
    STREAM("after good", "*1\r\n$4\r\nPING\r\n*x\r\n",
           "*1\r\n$4\r\nPING\r\n" EPREFIX "invalid multibulk length\r\n");

    STREAM("expected dollar", "*1\r\nX\r\n", EPREFIX "expected '$', got 'X'\r\n");
    STREAM("expected dollar 2nd", "*2\r\n$1\r\na\r\n:1\r\n",
           EPREFIX "expected '$', got ':'\r\n");
    STREAM("expected dollar cr", "*1\r\n\r\nPING\r\n",
           EPREFIX "expected '$', got ' '\r\n");
    STREAM("expected dollar lf", "*1\r\n\nab\r\n",
           EPREFIX "expected '$', got ' '\r\n");
    STREAM("expected dollar high", "*1\r\n\xe9\r\n",
           EPREFIX "expected '$', got '\xe9'\r\n");
}

/* Written out separately: the payload overrun case skips "b\r" and lands
 * on "\n$1": the error reports '\n' mapped to a space. */
static void test_errors_bulk(void)
{
    check_stream("payload overrun", B("*2\r\n$1\r\nab\r\n$1\r\nc\r\n"),
                 &lim_default, B(EPREFIX "expected '$', got ' '\r\n"));
    STREAM("bulk +4", "*1\r\n$+4\r\nPING\r\n", EPREFIX "invalid bulk length\r\n");
    STREAM("bulk space", "*1\r\n$ 4\r\nPING\r\n", EPREFIX "invalid bulk length\r\n");
    STREAM("bulk -1", "*1\r\n$-1\r\n", EPREFIX "invalid bulk length\r\n");
    STREAM("bulk abc", "*1\r\n$abc\r\n", EPREFIX "invalid bulk length\r\n");
    STREAM("bulk empty", "*1\r\n$\r\n", EPREFIX "invalid bulk length\r\n");
    STREAM("bulk 04", "*1\r\n$04\r\nPING\r\n", EPREFIX "invalid bulk length\r\n");
    STREAM("bulk trailing", "*1\r\n$4x\r\nPING\r\n", EPREFIX "invalid bulk length\r\n");
    STREAM("bulk over default max", "*1\r\n$536870913\r\n",
           EPREFIX "invalid bulk length\r\n");
    STREAM("bulk overflow", "*1\r\n$9223372036854775808\r\n",
           EPREFIX "invalid bulk length\r\n");

    STREAM("unbalanced", "set \"a\"b c\r\n",
           EPREFIX "unbalanced quotes in request\r\n");
    STREAM("unterminated dq", "ECHO \"abc\r\n",
           EPREFIX "unbalanced quotes in request\r\n");
    STREAM("unterminated sq", "ECHO 'abc\r\n",
           EPREFIX "unbalanced quotes in request\r\n");
    STREAM("escaped close", "ECHO \"a\\\"\r\n",
           EPREFIX "unbalanced quotes in request\r\n");
    STREAM("trailing backslash", "ECHO \"a\\\r\n",
           EPREFIX "unbalanced quotes in request\r\n");
    STREAM("sq then word", "ECHO 'a'b\r\n",
           EPREFIX "unbalanced quotes in request\r\n");
    STREAM("dq then sq", "ECHO \"a\"'b'\r\n",
           EPREFIX "unbalanced quotes in request\r\n");
    STREAM("good then unbalanced", "PING\r\nECHO \"\r\nPING\r\n",
           "*1\r\n$4\r\nPING\r\n" EPREFIX "unbalanced quotes in request\r\n");
}

static void test_limits(void)
{
    kv_parse_limits small = {10, 0};

    check_stream("max bulk ok", B("*1\r\n$10\r\n0123456789\r\n"), &small,
                 B("*1\r\n$10\r\n0123456789\r\n"));
    check_stream("max bulk over", B("*1\r\n$11\r\n01234567890\r\n"), &small,
                 B(EPREFIX "invalid bulk length\r\n"));
    check_stream("auth 10 args",
                 B("*10\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n"
                   "$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n"),
                 &lim_auth,
                 B("*10\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n"
                   "$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n"));
    check_stream("auth 11 args", B("*11\r\n$1\r\na\r\n"), &lim_auth,
                 B(EPREFIX "unauthenticated multibulk length\r\n"));
    check_stream("no auth 11 args", B("*11\r\n$1\r\na\r\n"), &lim_default,
                 B("~12\r\n"));
    check_stream("auth bulk 16384", B("*1\r\n$16384\r\n"), &lim_auth,
                 B("~12\r\n"));
    check_stream("auth bulk 16385", B("*1\r\n$16385\r\n"), &lim_auth,
                 B(EPREFIX "unauthenticated bulk length\r\n"));
    /* The invalid-length check comes first, as in Redis. */
    check_stream("auth bulk invalid", B("*1\r\n$-2\r\n"), &lim_auth,
                 B(EPREFIX "invalid bulk length\r\n"));
    check_stream("auth big count invalid", B("*2147483648\r\n"), &lim_auth,
                 B(EPREFIX "invalid multibulk length\r\n"));
    check_stream("auth inline unlimited", B("a b c d e f g h i j k l\r\n"),
                 &lim_auth,
                 B("*12\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"
                   "$1\r\nf\r\n$1\r\ng\r\n$1\r\nh\r\n$1\r\ni\r\n$1\r\nj\r\n"
                   "$1\r\nk\r\n$1\r\nl\r\n"));
}

/* ------------------------------------------------------ size limits */

static char *filled(size_t n, char c)
{
    char *s = malloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* Parse s in one call with a fresh parser; returns the status. */
static kv_parse_status parse_once(const char *s, size_t n, const char **err)
{
    kv_parser p;
    size_t consumed;
    int argc;
    kv_str *argv;
    kv_parse_status st;
    static char errcopy[80];

    kv_parser_init(&p);
    st = kv_parse(&p, s, n, &lim_default, &consumed, &argc, &argv);
    errcopy[0] = '\0';
    if (st == KV_PARSE_ERROR)
        snprintf(errcopy, sizeof errcopy, "%s", p.err);
    *err = errcopy;
    kv_parser_free(&p);
    return st;
}

static void test_too_big(void)
{
    size_t max = KV_PROTO_INLINE_MAX;
    char *s = filled(max + 10, '1');
    const char *err;

    /* Count line: '*' plus digits, no '\r' yet. */
    s[0] = '*';
    CHECK_EQ_LL(parse_once(s, max, &err), KV_PARSE_AGAIN);
    CHECK_EQ_LL(parse_once(s, max + 1, &err), KV_PARSE_ERROR);
    CHECK(strcmp(err, "ERR Protocol error: too big mbulk count string") == 0);
    /* A '\r' as last byte waits for one more byte even past the limit... */
    s[max + 1] = '\r';
    CHECK_EQ_LL(parse_once(s, max + 2, &err), KV_PARSE_AGAIN);
    /* ...unless a NUL hides it. */
    s[5] = '\0';
    CHECK_EQ_LL(parse_once(s, max + 2, &err), KV_PARSE_ERROR);
    CHECK(strcmp(err, "ERR Protocol error: too big mbulk count string") == 0);
    CHECK_EQ_LL(parse_once(s, max + 3, &err), KV_PARSE_ERROR);
    CHECK(strcmp(err, "ERR Protocol error: too big mbulk count string") == 0);
    free(s);

    /* Bulk header: measured from the header's first byte. */
    s = filled(max + 10, '1');
    memcpy(s, "*1\r\n$", 5);
    CHECK_EQ_LL(parse_once(s, max + 4, &err), KV_PARSE_AGAIN);
    CHECK_EQ_LL(parse_once(s, max + 5, &err), KV_PARSE_ERROR);
    CHECK(strcmp(err, "ERR Protocol error: too big bulk count string") == 0);
    free(s);

    /* Inline: no '\n' within the first 64 KiB. */
    s = filled(max + 10, 'a');
    CHECK_EQ_LL(parse_once(s, max, &err), KV_PARSE_AGAIN);
    CHECK_EQ_LL(parse_once(s, max + 1, &err), KV_PARSE_ERROR);
    CHECK(strcmp(err, "ERR Protocol error: too big inline request") == 0);
    /* A longer line is fine if its '\n' is already there. */
    s[max + 9] = '\n';
    CHECK_EQ_LL(parse_once(s, max + 10, &err), KV_PARSE_OK);
    free(s);
}

/* Inline requests that arrive in pieces are rejected as soon as 64 KiB
 * wait without a '\n', even if the next piece would end the line. */
static void test_too_big_incremental(void)
{
    size_t max = KV_PROTO_INLINE_MAX, cuts[1];
    char *s = filled(max + 10, 'a');
    kv_buf got;

    kv_buf_init(&got);
    s[max + 9] = '\n';
    cuts[0] = max + 1;
    CHECK_EQ_LL(run_stream(s, max + 10, cuts, 1, &lim_default, 0, &got), 0);
    CHECK_MEM(got.p, got.len, EPREFIX "too big inline request\r\n");
    cuts[0] = max;
    CHECK_EQ_LL(run_stream(s, max + 10, cuts, 1, &lim_default, 0, &got), 0);
    CHECK_EQ_LL(got.len, 4 + 8 + max + 9 + 2);
    kv_buf_free(&got);
    free(s);
}

/* ------------------------------------------------------- big inputs */

static void test_big_args(void)
{
    size_t big = 200000, n, i, pos = 0;
    char *s = malloc(big * 2 + 4096), *exp = malloc(big * 2 + 4096);
    size_t explen;
    char hdr[64];

    /* Two large binary arguments (bigger than the header limit, which does
     * not apply to payloads) followed by a small command. */
    pos += (size_t)sprintf(s + pos, "*3\r\n$3\r\nSET\r\n$%zu\r\n", big);
    for (i = 0; i < big; i++)
        s[pos + i] = (char)(i * 7 + (i >> 8));
    pos += big;
    memcpy(s + pos, "\r\n", 2);
    pos += 2;
    pos += (size_t)sprintf(s + pos, "$%zu\r\n", big - 1);
    memset(s + pos, '\n', big - 1);
    pos += big - 1;
    memcpy(s + pos, "\r\n*1\r\n$4\r\nPING\r\n", 16);
    pos += 16;
    n = pos;
    /* Canonical form is the same bytes here. */
    memcpy(exp, s, n);
    explen = n;
    check_stream("big args", s, n, &lim_default, exp, explen);

    /* Many small arguments: storage grows as they arrive. */
    pos = (size_t)sprintf(s, "*3000\r\n");
    for (i = 0; i < 3000; i++) {
        int hl = sprintf(hdr, "$%d\r\n%d\r\n", i < 10 ? 1 : i < 100 ? 2 : i < 1000 ? 3 : 4, (int)i);
        memcpy(s + pos, hdr, (size_t)hl);
        pos += (size_t)hl;
    }
    memcpy(s + pos, "*1\r\n$4\r\nPING\r\n", 14);
    pos += 14;
    check_stream("many args", s, pos, &lim_default, s, pos);
    free(s);
    free(exp);
}

/* --------------------------------------------------- direct API checks */

static void test_need_and_resume(void)
{
    static const char cmd[] = "*2\r\n$3\r\nSET\r\n$10\r\n0123456789\r\n";
    kv_parser p;
    size_t consumed;
    int argc;
    kv_str *argv;
    char *moved;

    kv_parser_init(&p);
    CHECK_EQ_LL(kv_parse(&p, cmd, 0, NULL, &consumed, &argc, &argv), KV_PARSE_AGAIN);
    CHECK_EQ_LL(p.need, 0);
    CHECK_EQ_LL(kv_parse(&p, cmd, 15, NULL, &consumed, &argc, &argv), KV_PARSE_AGAIN);
    CHECK_EQ_LL(p.need, 0); /* waiting for a header */
    CHECK_EQ_LL(kv_parse(&p, cmd, 20, NULL, &consumed, &argc, &argv), KV_PARSE_AGAIN);
    CHECK_EQ_LL(p.need, sizeof cmd - 1);
    CHECK_EQ_LL(consumed, 0);
    /* The buffer moves between calls: offsets, not pointers, are kept. */
    moved = malloc(sizeof cmd);
    memcpy(moved, cmd, sizeof cmd);
    CHECK_EQ_LL(kv_parse(&p, moved, sizeof cmd - 1, NULL, &consumed, &argc, &argv),
                KV_PARSE_OK);
    CHECK_EQ_LL(consumed, sizeof cmd - 1);
    CHECK_EQ_LL(argc, 2);
    CHECK(argv[0].p == moved + 8);
    CHECK_MEM(argv[0].p, argv[0].n, "SET");
    CHECK(argv[1].p == moved + 18);
    CHECK_MEM(argv[1].p, argv[1].n, "0123456789");
    CHECK_EQ_LL(p.need, 0);
    free(moved);

    /* kv_parser_reset forgets a partial command. */
    CHECK_EQ_LL(kv_parse(&p, cmd, 20, NULL, &consumed, &argc, &argv), KV_PARSE_AGAIN);
    kv_parser_reset(&p);
    CHECK_EQ_LL(kv_parse(&p, "PING\r\n", 6, NULL, &consumed, &argc, &argv), KV_PARSE_OK);
    CHECK_EQ_LL(argc, 1);
    CHECK_MEM(argv[0].p, argv[0].n, "PING");
    CHECK_EQ_LL(consumed, 6);

    /* After an error the parser is ready for a new stream. */
    CHECK_EQ_LL(kv_parse(&p, "*x\r\n", 4, NULL, &consumed, &argc, &argv), KV_PARSE_ERROR);
    CHECK(strcmp(p.err, "ERR Protocol error: invalid multibulk length") == 0);
    CHECK_EQ_LL(kv_parse(&p, cmd, sizeof cmd - 1, NULL, &consumed, &argc, &argv),
                KV_PARSE_OK);
    CHECK_EQ_LL(argc, 2);
    kv_parser_free(&p);
}

/* A huge declared count allocates nothing up front. */
static void test_untrusted_count(void)
{
    kv_parser p;
    size_t consumed;
    int argc;
    kv_str *argv;

    kv_parser_init(&p);
    CHECK_EQ_LL(kv_parse(&p, "*2000000000\r\n$1\r\na\r\n", 20, NULL, &consumed,
                         &argc, &argv), KV_PARSE_AGAIN);
    CHECK(p.argcap <= 16);
    CHECK_EQ_LL(p.argc, 1);
    kv_parser_free(&p);
    kv_parser_init(&p);
    CHECK_EQ_LL(kv_parse(&p, "*3\r\n", 4, NULL, &consumed, &argc, &argv),
                KV_PARSE_AGAIN);
    CHECK_EQ_LL(p.argcap, 3);
    kv_parser_free(&p);
}

/* Headers the fast digit path declines go through the general rules. */
static void test_header_paths(void)
{
    kv_parse_limits huge = {LLONG_MAX, 0};
    kv_parser p;
    size_t consumed;
    int argc;
    kv_str *argv;

    check_stream("18 digits over max", B("*1\r\n$999999999999999999\r\n"),
                 &lim_default, B(EPREFIX "invalid bulk length\r\n"));
    check_stream("19 digits under huge max", B("*1\r\n$1000000000000000000\r\nab"),
                 &huge, B("~28\r\n"));
    check_stream("max long long", B("*1\r\n$9223372036854775807\r\n"), &huge,
                 B("~26\r\n"));
    check_stream("zero length fast", B("*2\r\n$0\r\n\r\n$10\r\n0123456789\r\n"),
                 &lim_default, B("*2\r\n$0\r\n\r\n$10\r\n0123456789\r\n"));
    check_stream("leading zero count", B("*00\r\n"), &lim_default,
                 B(EPREFIX "invalid multibulk length\r\n"));
    check_stream("18 digit count", B("*100000000000000000\r\n"), &lim_default,
                 B(EPREFIX "invalid multibulk length\r\n"));

    kv_parser_init(&p);
    CHECK_EQ_LL(kv_parse(&p, B("*1\r\n$1000000000000000000\r\n"), &huge,
                         &consumed, &argc, &argv), KV_PARSE_AGAIN);
    CHECK(p.need == 4 + 22 + 1000000000000000000ULL + 2);
    /* A caller handing back fewer bytes than before gets AGAIN, not a
     * read past its buffer. */
    CHECK_EQ_LL(kv_parse(&p, "*1\r\n", 4, &huge, &consumed, &argc, &argv),
                KV_PARSE_AGAIN);
    kv_parser_free(&p);
}

TEST_MAIN("resp_parse",
          TEST(test_multibulk_basic),
          TEST(test_inline_basic),
          TEST(test_nul_hides_line),
          TEST(test_errors),
          TEST(test_errors_bulk),
          TEST(test_limits),
          TEST(test_too_big),
          TEST(test_too_big_incremental),
          TEST(test_big_args),
          TEST(test_need_and_resume),
          TEST(test_untrusted_count),
          TEST(test_header_paths))
