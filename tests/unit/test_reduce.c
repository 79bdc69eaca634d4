/* The reduce helpers that combine a fanned-out command's per-shard replies:
 * sums (DEL, EXISTS, DBSIZE), first-or-error (FLUSHALL, MSET), key order
 * (MGET: elements put back in the order of the command's keys) and concat
 * (KEYS). Element bytes must pass through untouched, RESP2 or RESP3, and
 * any error part must win. */
#include <string.h>

#include "rt/internal.h"
#include "test.h"

typedef struct rctx {
    kv_buf buf;
    kv_ctx ctx;
} rctx;

static void rctx_init(rctx *r, int proto)
{
    memset(r, 0, sizeof *r);
    kv_buf_init(&r->buf);
    r->ctx.out.buf = &r->buf;
    r->ctx.out.proto = proto;
    r->ctx.out.errors = 0;
}

static kv_part part(const char *reply, int shard, const int *keys, int nkeys)
{
    kv_part p;
    p.reply = reply;
    p.len = strlen(reply);
    p.shard = shard;
    p.keys = keys;
    p.nkeys = nkeys;
    return p;
}

#define RESULT(r, want) CHECK_MEM((r)->buf.p, (r)->buf.len, want)

static const char *const MALFORMED = "-ERR internal: a shard replied a malformed array\r\n";

/* ---------------------------------------------------------------- sum */

static void test_reduce_sum(void)
{
    rctx r;
    kv_part p[4];
    rctx_init(&r, 2);
    p[0] = part(":3\r\n", 0, NULL, 0);
    p[1] = part(":0\r\n", 1, NULL, 0);
    p[2] = part(":-2\r\n", 2, NULL, 0);
    p[3] = part(":1000000000000\r\n", 3, NULL, 0);
    kv_reduce_sum(&r.ctx, p, 4);
    RESULT(&r, ":1000000000001\r\n");
    CHECK_EQ_LL(r.ctx.out.errors, 0);
    kv_buf_free(&r.buf);

    rctx_init(&r, 3); /* integers look the same in RESP3 */
    kv_reduce_sum(&r.ctx, p, 1);
    RESULT(&r, ":3\r\n");
    kv_buf_free(&r.buf);

    rctx_init(&r, 2);
    kv_reduce_sum(&r.ctx, p, 0);
    RESULT(&r, ":0\r\n");
    kv_buf_free(&r.buf);
}

static void test_reduce_sum_errors(void)
{
    rctx r;
    kv_part p[3];
    rctx_init(&r, 2);
    p[0] = part(":3\r\n", 0, NULL, 0);
    p[1] = part("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", 1, NULL, 0);
    p[2] = part("-ERR second\r\n", 2, NULL, 0);
    kv_reduce_sum(&r.ctx, p, 3);
    RESULT(&r, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    kv_buf_free(&r.buf);

    /* A part that is no integer at all is the runtime's own error. */
    rctx_init(&r, 2);
    p[1] = part("+OK\r\n", 1, NULL, 0);
    kv_reduce_sum(&r.ctx, p, 2);
    RESULT(&r, "-ERR internal: a shard replied a non-integer\r\n");
    CHECK_EQ_LL(r.ctx.out.errors, 1);
    kv_buf_free(&r.buf);

    rctx_init(&r, 2);
    p[1] = part(":12\r\n:1\r\n", 1, NULL, 0); /* not exactly one reply */
    kv_reduce_sum(&r.ctx, p, 2);
    RESULT(&r, "-ERR internal: a shard replied a non-integer\r\n");
    kv_buf_free(&r.buf);
}

/* -------------------------------------------------------------- first */

static void test_reduce_first(void)
{
    rctx r;
    kv_part p[3];
    rctx_init(&r, 2);
    p[0] = part("+OK\r\n", 0, NULL, 0);
    p[1] = part("+OTHER\r\n", 1, NULL, 0);
    p[2] = part("+OK\r\n", 2, NULL, 0);
    kv_reduce_first(&r.ctx, p, 3);
    RESULT(&r, "+OK\r\n");
    kv_buf_free(&r.buf);

    rctx_init(&r, 3);
    p[0] = part("%1\r\n+a\r\n:1\r\n", 0, NULL, 0);
    kv_reduce_first(&r.ctx, p, 1);
    RESULT(&r, "%1\r\n+a\r\n:1\r\n");
    kv_buf_free(&r.buf);

    rctx_init(&r, 2);
    p[0] = part("+OK\r\n", 0, NULL, 0);
    p[1] = part("-ERR first error\r\n", 1, NULL, 0);
    p[2] = part("-ERR later error\r\n", 2, NULL, 0);
    kv_reduce_first(&r.ctx, p, 3);
    RESULT(&r, "-ERR first error\r\n");
    kv_buf_free(&r.buf);
}

/* ----------------------------------------------------------- keyorder */

/* MGET k0..k7 over three shards: shard 0 ran keys 0, 3, 6; shard 1 ran
 * 1, 4, 7; shard 2 ran 2, 5. Elements include both protocols' nulls and
 * aggregates, which must be copied whole. */
static void test_reduce_keyorder_resp2(void)
{
    static const int k0[] = {0, 3, 6}, k1[] = {1, 4, 7}, k2[] = {2, 5};
    rctx r;
    kv_part p[3];
    rctx_init(&r, 2);
    p[0] = part("*3\r\n$2\r\nv0\r\n$-1\r\n$0\r\n\r\n", 0, k0, 3);
    p[1] = part("*3\r\n$-1\r\n$4\r\nv\r\n4\r\n*2\r\n$1\r\nx\r\n*-1\r\n", 1, k1, 3);
    p[2] = part("*2\r\n$2\r\nv2\r\n:5\r\n", 2, k2, 2);
    kv_reduce_keyorder(&r.ctx, p, 3);
    RESULT(&r, "*8\r\n"
               "$2\r\nv0\r\n"      /* 0 */
               "$-1\r\n"           /* 1 */
               "$2\r\nv2\r\n"      /* 2 */
               "$-1\r\n"           /* 3 */
               "$4\r\nv\r\n4\r\n"  /* 4: CRLF inside a bulk is data */
               ":5\r\n"            /* 5 */
               "$0\r\n\r\n"        /* 6 */
               "*2\r\n$1\r\nx\r\n*-1\r\n"); /* 7: nested, with a null array */
    CHECK_EQ_LL(r.ctx.out.errors, 0);
    kv_buf_free(&r.buf);
}

static void test_reduce_keyorder_resp3(void)
{
    static const int k0[] = {1, 2}, k1[] = {0, 4}, k2[] = {3};
    rctx r;
    kv_part p[3];
    rctx_init(&r, 3);
    p[0] = part("*2\r\n_\r\n%1\r\n+f\r\n,1.5\r\n", 0, k0, 2);
    p[1] = part("*2\r\n$1\r\na\r\n~2\r\n#t\r\n_\r\n", 1, k1, 2);
    p[2] = part("*1\r\n|1\r\n+ttl\r\n:3\r\n=7\r\ntxt:abc\r\n", 2, k2, 1);
    kv_reduce_keyorder(&r.ctx, p, 3);
    RESULT(&r, "*5\r\n"
               "$1\r\na\r\n"
               "_\r\n"
               "%1\r\n+f\r\n,1.5\r\n"
               "|1\r\n+ttl\r\n:3\r\n=7\r\ntxt:abc\r\n"
               "~2\r\n#t\r\n_\r\n");
    kv_buf_free(&r.buf);
}

static void test_reduce_keyorder_single_and_many(void)
{
    enum { NK = 200, NS = 7 };
    static int keys[NS][NK];
    static kv_buf reps[NS];
    kv_part p[NS];
    int nk[NS], i, s;
    rctx r;
    kv_buf want;
    char tmp[64];
    /* One part holding every key: the reply passes through. */
    {
        static const int k[] = {0, 1, 2};
        rctx_init(&r, 2);
        p[0] = part("*3\r\n:1\r\n:2\r\n:3\r\n", 0, k, 3);
        kv_reduce_keyorder(&r.ctx, p, 1);
        RESULT(&r, "*3\r\n:1\r\n:2\r\n:3\r\n");
        kv_buf_free(&r.buf);
    }
    /* Keys dealt round-robin-ish over seven shards. */
    kv_buf_init(&want);
    memset(nk, 0, sizeof nk);
    for (i = 0; i < NK; i++) {
        s = (i * 5 + i / 3) % NS;
        keys[s][nk[s]++] = i;
    }
    for (s = 0; s < NS; s++) {
        int n;
        kv_buf_init(&reps[s]);
        n = snprintf(tmp, sizeof tmp, "*%d\r\n", nk[s]);
        kv_buf_append(&reps[s], tmp, (size_t)n);
        for (i = 0; i < nk[s]; i++) {
            n = snprintf(tmp, sizeof tmp, "$%d\r\nval%d\r\n", keys[s][i] < 10 ? 4 : keys[s][i] < 100 ? 5 : 6,
                         keys[s][i]);
            kv_buf_append(&reps[s], tmp, (size_t)n);
        }
        p[s].reply = reps[s].p;
        p[s].len = reps[s].len;
        p[s].shard = s;
        p[s].keys = keys[s];
        p[s].nkeys = nk[s];
    }
    kv_buf_append(&want, "*200\r\n", 6);
    for (i = 0; i < NK; i++) {
        int n = snprintf(tmp, sizeof tmp, "$%d\r\nval%d\r\n", i < 10 ? 4 : i < 100 ? 5 : 6, i);
        kv_buf_append(&want, tmp, (size_t)n);
    }
    rctx_init(&r, 2);
    kv_reduce_keyorder(&r.ctx, p, NS);
    CHECK(r.buf.len == want.len && memcmp(r.buf.p, want.p, want.len) == 0);
    kv_buf_free(&r.buf);
    kv_buf_free(&want);
    for (s = 0; s < NS; s++)
        kv_buf_free(&reps[s]);
}

static void test_reduce_keyorder_errors(void)
{
    static const int k0[] = {0, 2}, k1[] = {1};
    rctx r;
    kv_part p[2];

    rctx_init(&r, 2);
    p[0] = part("*2\r\n$1\r\na\r\n$1\r\nc\r\n", 0, k0, 2);
    p[1] = part("-ERR boom\r\n", 1, k1, 1);
    kv_reduce_keyorder(&r.ctx, p, 2);
    RESULT(&r, "-ERR boom\r\n");
    kv_buf_free(&r.buf);

    /* The count disagrees with the part's keys. */
    rctx_init(&r, 2);
    p[1] = part("*2\r\n$1\r\nb\r\n$1\r\nx\r\n", 1, k1, 1);
    kv_reduce_keyorder(&r.ctx, p, 2);
    RESULT(&r, MALFORMED);
    kv_buf_free(&r.buf);

    /* Not an array, a truncated element, a null array. */
    rctx_init(&r, 2);
    p[1] = part("$1\r\nb\r\n", 1, k1, 1);
    kv_reduce_keyorder(&r.ctx, p, 2);
    RESULT(&r, MALFORMED);
    kv_buf_free(&r.buf);

    rctx_init(&r, 2);
    p[1] = part("*1\r\n$5\r\nb\r\n", 1, k1, 1);
    kv_reduce_keyorder(&r.ctx, p, 2);
    RESULT(&r, MALFORMED);
    kv_buf_free(&r.buf);

    rctx_init(&r, 2);
    p[1] = part("*-1\r\n", 1, k1, 1);
    kv_reduce_keyorder(&r.ctx, p, 2);
    RESULT(&r, MALFORMED);
    CHECK_EQ_LL(r.ctx.out.errors, 1);
    kv_buf_free(&r.buf);

    /* A key ordinal outside the command's keys. */
    {
        static const int bad[] = {5};
        rctx_init(&r, 2);
        p[1] = part("*1\r\n$1\r\nb\r\n", 1, bad, 1);
        kv_reduce_keyorder(&r.ctx, p, 2);
        RESULT(&r, MALFORMED);
        kv_buf_free(&r.buf);
    }
}

/* ------------------------------------------------------------- concat */

static void test_reduce_concat(void)
{
    rctx r;
    kv_part p[4];
    rctx_init(&r, 2);
    p[0] = part("*2\r\n$1\r\na\r\n$1\r\nb\r\n", 0, NULL, 0);
    p[1] = part("*0\r\n", 1, NULL, 0);
    p[2] = part("*1\r\n$3\r\nc\r\nd\r\n", 2, NULL, 0);
    p[3] = part("*1\r\n*2\r\n_\r\n$-1\r\n", 3, NULL, 0);
    kv_reduce_concat(&r.ctx, p, 4);
    RESULT(&r, "*4\r\n$1\r\na\r\n$1\r\nb\r\n$3\r\nc\r\nd\r\n*2\r\n_\r\n$-1\r\n");
    kv_buf_free(&r.buf);

    rctx_init(&r, 2);
    kv_reduce_concat(&r.ctx, p + 1, 1);
    RESULT(&r, "*0\r\n");
    kv_buf_free(&r.buf);

    rctx_init(&r, 2);
    kv_reduce_concat(&r.ctx, p, 0);
    RESULT(&r, "*0\r\n");
    kv_buf_free(&r.buf);

    rctx_init(&r, 2);
    p[1] = part("-ERR nope\r\n", 1, NULL, 0);
    kv_reduce_concat(&r.ctx, p, 4);
    RESULT(&r, "-ERR nope\r\n");
    kv_buf_free(&r.buf);

    rctx_init(&r, 2);
    p[1] = part("+OK\r\n", 1, NULL, 0);
    kv_reduce_concat(&r.ctx, p, 4);
    RESULT(&r, MALFORMED);
    kv_buf_free(&r.buf);
}

/* More parts than the helper keeps on its stack (64). */
static void test_reduce_concat_many(void)
{
    enum { NP = 100 };
    static kv_part p[NP];
    static char reps[NP][32];
    rctx r;
    kv_buf want;
    char tmp[32];
    int i, n;
    kv_buf_init(&want);
    kv_buf_append(&want, "*100\r\n", 6);
    for (i = 0; i < NP; i++) {
        snprintf(reps[i], sizeof reps[i], "*1\r\n:%d\r\n", i);
        p[i] = part(reps[i], i, NULL, 0);
        n = snprintf(tmp, sizeof tmp, ":%d\r\n", i);
        kv_buf_append(&want, tmp, (size_t)n);
    }
    rctx_init(&r, 2);
    kv_reduce_concat(&r.ctx, p, NP);
    CHECK(r.buf.len == want.len && memcmp(r.buf.p, want.p, want.len) == 0);
    kv_buf_free(&r.buf);

    rctx_init(&r, 2);
    p[NP - 1] = part("*x\r\n", NP - 1, NULL, 0);
    kv_reduce_concat(&r.ctx, p, NP);
    RESULT(&r, MALFORMED);
    kv_buf_free(&r.buf);
    kv_buf_free(&want);
}

/* An error reply that a shard wrote and the reduce passes on is still an
 * error reply to the client: it must count in ctx->out.errors, which is how
 * the runtime feeds total_error_replies (as Redis counts every error). */
static void test_reduce_error_counted(void)
{
    static const int k[] = {0};
    rctx r;
    kv_part p[2];
    p[0] = part(":1\r\n", 0, k, 1);
    p[1] = part("-ERR shard error\r\n", 1, k, 1);

    rctx_init(&r, 2);
    kv_reduce_first(&r.ctx, p, 2);
    CHECK_EQ_LL(r.ctx.out.errors, 1);
    kv_buf_free(&r.buf);

    rctx_init(&r, 2);
    kv_reduce_sum(&r.ctx, p, 2);
    CHECK_EQ_LL(r.ctx.out.errors, 1);
    kv_buf_free(&r.buf);

    rctx_init(&r, 2);
    kv_reduce_keyorder(&r.ctx, p, 2);
    CHECK_EQ_LL(r.ctx.out.errors, 1);
    kv_buf_free(&r.buf);

    rctx_init(&r, 2);
    kv_reduce_concat(&r.ctx, p, 2);
    CHECK_EQ_LL(r.ctx.out.errors, 1);
    kv_buf_free(&r.buf);
}

TEST_MAIN("reduce",
          TEST(test_reduce_sum),
          TEST(test_reduce_sum_errors),
          TEST(test_reduce_first),
          TEST(test_reduce_keyorder_resp2),
          TEST(test_reduce_keyorder_resp3),
          TEST(test_reduce_keyorder_single_and_many),
          TEST(test_reduce_keyorder_errors),
          TEST(test_reduce_concat),
          TEST(test_reduce_concat_many),
          TEST(test_reduce_error_counted))
