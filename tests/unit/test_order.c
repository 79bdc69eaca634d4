/* Per-connection reply order: whatever order replies complete in (inline on
 * the home shard, or coming back from other shards), the client receives
 * them in request order. Drives kv_conn_reply_buf / kv_conn_reply_done on a
 * socketless connection of a hand-built one-shard runtime. */
#include <stdint.h>
#include <string.h>

#include "rt/internal.h"
#include "test.h"

typedef struct fixture {
    kv_rt rt;
    kv_shard sh;
    kv_conn *c;
} fixture;

static void fx_init(fixture *f)
{
    memset(f, 0, sizeof *f);
    kv_rt_config_defaults(&f->rt.cfg);
    f->rt.n = 1;
    f->rt.shards = &f->sh;
    f->rt.next_client_id = 1;
    f->rt.loglevel = KV_LOG_WARNING;
    CHECK_EQ_LL(kv_shard_setup(&f->sh, &f->rt, 0), 0);
    f->c = kv_conn_new(&f->sh, -1);
    CHECK(f->c != NULL);
    f->c->flags |= KV_CONN_FAKE;
}

static void fx_free(fixture *f)
{
    kv_conn_free(f->c);
    kv_shard_teardown(&f->sh);
}

static void put_reply(kv_buf *b, unsigned long long seq, size_t size)
{
    /* ":<seq>\r\n" followed by filler that encodes seq, so a misplaced or
     * truncated reply cannot go unnoticed. */
    char head[32], *dst;
    size_t i;
    int n = snprintf(head, sizeof head, ":%llu\r\n", seq);
    kv_buf_append(b, head, (size_t)n);
    dst = kv_buf_reserve(b, size);
    for (i = 0; i < size; i++)
        dst[i] = (char)('a' + (seq + i) % 26);
    b->len += size;
}

static void expect_reply(kv_buf *want, unsigned long long seq, size_t size)
{
    put_reply(want, seq, size);
}

/* The client reads whatever is in `out`, as a flush would. */
static void drain(kv_conn *c, kv_buf *got)
{
    kv_buf_append(got, c->out.p, c->out.len);
    c->out.len = 0;
    c->out_sent = 0;
}

static void test_order_in_order_goes_to_out(void)
{
    fixture f;
    kv_buf want;
    unsigned long long i;
    fx_init(&f);
    kv_buf_init(&want);
    for (i = 0; i < 10; i++) {
        unsigned long long seq = f.c->seq_next++;
        kv_buf *b = kv_conn_reply_buf(f.c, seq);
        CHECK(b == &f.c->out);
        put_reply(b, seq, (size_t)i);
        expect_reply(&want, seq, (size_t)i);
        kv_conn_reply_done(f.c, seq, NULL);
        CHECK_EQ_LL(f.c->seq_done, seq + 1);
    }
    CHECK_EQ_LL(f.c->pend_cap, 0); /* no pending ring needed */
    CHECK(f.c->out.len == want.len && memcmp(f.c->out.p, want.p, want.len) == 0);
    kv_buf_free(&want);
    fx_free(&f);
}

/* seq 0 went to another shard; 1..5 ran inline and wait; 0's reply comes
 * back as a message buffer and releases everything. */
static void test_order_out_of_order(void)
{
    fixture f;
    kv_buf want, remote;
    unsigned long long seq;
    fx_init(&f);
    kv_buf_init(&want);
    kv_buf_init(&remote);
    for (seq = 0; seq < 6; seq++)
        CHECK_EQ_LL(f.c->seq_next++, seq);
    for (seq = 1; seq < 6; seq++) {
        kv_buf *b = kv_conn_reply_buf(f.c, seq);
        CHECK(b != &f.c->out);
        put_reply(b, seq, 3);
        kv_conn_reply_done(f.c, seq, NULL);
        CHECK_EQ_LL(f.c->out.len, 0);
        CHECK_EQ_LL(f.c->seq_done, 0);
    }
    put_reply(&remote, 0, 3);
    kv_conn_reply_done(f.c, 0, &remote);
    CHECK_EQ_LL(remote.len, 0); /* the bytes were taken */
    for (seq = 0; seq < 6; seq++)
        expect_reply(&want, seq, 3);
    CHECK(f.c->out.len == want.len && memcmp(f.c->out.p, want.p, want.len) == 0);
    CHECK_EQ_LL(f.c->seq_done, 6);
    /* The next in-order reply goes straight to out again. */
    seq = f.c->seq_next++;
    CHECK(kv_conn_reply_buf(f.c, seq) == &f.c->out);
    kv_buf_free(&want);
    kv_buf_free(&remote);
    fx_free(&f);
}

/* Remote replies arriving in reverse, each in its own message buffer, while
 * the first is still outstanding: nothing may leak out early. */
static void test_order_remote_reverse(void)
{
    fixture f;
    kv_buf want, got, msg;
    unsigned long long seq;
    fx_init(&f);
    kv_buf_init(&want);
    kv_buf_init(&got);
    kv_buf_init(&msg);
    for (seq = 0; seq < 40; seq++)
        f.c->seq_next++;
    for (seq = 40; seq-- > 1;) {
        put_reply(&msg, seq, (size_t)seq * 7);
        kv_conn_reply_done(f.c, seq, &msg);
        CHECK_EQ_LL(msg.len, 0);
        CHECK_EQ_LL(f.c->out.len, 0);
    }
    put_reply(&msg, 0, 0);
    kv_conn_reply_done(f.c, 0, &msg);
    drain(f.c, &got);
    for (seq = 0; seq < 40; seq++)
        expect_reply(&want, seq, (size_t)seq * 7);
    CHECK(got.len == want.len && memcmp(got.p, want.p, want.len) == 0);
    CHECK_EQ_LL(f.c->seq_done, 40);
    kv_buf_free(&want);
    kv_buf_free(&got);
    kv_buf_free(&msg);
    fx_free(&f);
}

static unsigned long long rng_state;

static unsigned long long rng(unsigned long long n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (rng_state >> 11) % n;
}

static size_t reply_size(void)
{
    unsigned long long r = rng(100);
    if (r < 60)
        return (size_t)rng(16);
    if (r < 95)
        return (size_t)rng(2000);
    return (size_t)rng(200000); /* big: takes the swap path when out is empty */
}

/* 1000 seqs issued at once, completed in a random order, each either
 * written in place (inline) or handed over in a message buffer (remote). */
static void one_random_round(int round)
{
    enum { N = 1000 };
    fixture f;
    kv_buf want, got, msg;
    static unsigned long long order[N];
    static size_t size[N];
    size_t i, not_taken = 0, misnumbered = 0;
    fx_init(&f);
    kv_buf_init(&want);
    kv_buf_init(&got);
    kv_buf_init(&msg);
    for (i = 0; i < N; i++) {
        if (f.c->seq_next++ != i)
            misnumbered++;
        order[i] = i;
        size[i] = reply_size();
        expect_reply(&want, i, size[i]);
    }
    for (i = N - 1; i > 0; i--) {
        size_t j = (size_t)rng(i + 1);
        unsigned long long t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (i = 0; i < N; i++) {
        unsigned long long seq = order[i];
        if (rng(2)) {
            put_reply(kv_conn_reply_buf(f.c, seq), seq, size[seq]);
            kv_conn_reply_done(f.c, seq, NULL);
        } else {
            put_reply(&msg, seq, size[seq]);
            kv_conn_reply_done(f.c, seq, &msg);
            if (msg.len != 0)
                not_taken++;
        }
        if (rng(8) == 0)
            drain(f.c, &got);
    }
    drain(f.c, &got);
    CHECK_EQ_LL(not_taken, 0);
    CHECK_EQ_LL(misnumbered, 0);
    CHECK_EQ_LL(f.c->seq_done, N);
    CHECK_EQ_LL(got.len, want.len);
    CHECK(got.len == want.len && memcmp(got.p, want.p, want.len) == 0);
    if (got.len != want.len || memcmp(got.p, want.p, want.len) != 0)
        fprintf(stderr, "  round %d: output differs\n", round);
    kv_buf_free(&want);
    kv_buf_free(&got);
    kv_buf_free(&msg);
    fx_free(&f);
}

static void test_order_random_permutations(void)
{
    int round;
    rng_state = 0x1234567890abcdefULL;
    for (round = 0; round < 20; round++)
        one_random_round(round);
}

/* A pipelined stream: new commands keep arriving while a sliding window of
 * earlier ones completes in random order (the pending ring wraps and grows
 * many times). */
static void test_order_sliding_window(void)
{
    enum { TOTAL = 20000, WIN = 50 };
    fixture f;
    kv_buf want, got, msg;
    static unsigned long long open[WIN];
    static size_t size[TOTAL];
    size_t nopen = 0, i, misnumbered = 0;
    unsigned long long issued = 0;
    rng_state = 0xfeedfacecafebeefULL;
    fx_init(&f);
    kv_buf_init(&want);
    kv_buf_init(&got);
    kv_buf_init(&msg);
    while (issued < TOTAL || nopen > 0) {
        size_t window = 1 + (size_t)rng(WIN);
        while (issued < TOTAL && nopen < window) {
            unsigned long long seq = f.c->seq_next++;
            if (seq != issued)
                misnumbered++;
            size[seq] = (size_t)rng(64);
            expect_reply(&want, seq, size[seq]);
            open[nopen++] = seq;
            issued++;
        }
        i = (size_t)rng(nopen);
        {
            unsigned long long seq = open[i];
            open[i] = open[--nopen];
            if (rng(2)) {
                put_reply(kv_conn_reply_buf(f.c, seq), seq, size[seq]);
                kv_conn_reply_done(f.c, seq, NULL);
            } else {
                put_reply(&msg, seq, size[seq]);
                kv_conn_reply_done(f.c, seq, &msg);
            }
        }
        if (rng(4) == 0)
            drain(f.c, &got);
    }
    drain(f.c, &got);
    CHECK_EQ_LL(misnumbered, 0);
    CHECK_EQ_LL(f.c->seq_done, TOTAL);
    CHECK_EQ_LL(got.len, want.len);
    CHECK(got.len == want.len && memcmp(got.p, want.p, want.len) == 0);
    kv_buf_free(&want);
    kv_buf_free(&got);
    kv_buf_free(&msg);
    fx_free(&f);
}

/* With nothing unsent, a big reply's buffer is adopted instead of copied;
 * with bytes already queued it is appended. Either way the caller's buffer
 * is left empty and usable. */
static void test_order_swap_path(void)
{
    fixture f;
    kv_buf big, small;
    char *bigp, *oldout;
    size_t biglen;
    fx_init(&f);
    kv_buf_init(&big);
    kv_buf_init(&small);

    f.c->seq_next = 3; /* 0, 1, 2 */
    put_reply(&big, 0, 300000);
    bigp = big.p;
    biglen = big.len;
    oldout = f.c->out.p;
    CHECK_EQ_LL(f.c->out.len, 0);
    kv_conn_reply_done(f.c, 0, &big);
    CHECK(f.c->out.p == bigp); /* adopted, no copy */
    CHECK_EQ_LL(f.c->out.len, biglen);
    CHECK(big.p == oldout); /* the old (empty) out came back */
    CHECK_EQ_LL(big.len, 0);

    /* out is not empty now: the next big reply is appended. */
    put_reply(&big, 1, 400000);
    bigp = big.p;
    kv_conn_reply_done(f.c, 1, &big);
    CHECK(f.c->out.p != bigp);
    CHECK_EQ_LL(f.c->out.len, biglen + 400000 + 4);
    CHECK_EQ_LL(big.len, 0);
    CHECK(f.c->out.p[biglen] == ':' && f.c->out.p[biglen + 1] == '1');

    /* Out drained; a reply in a smaller buffer than out's is copied. */
    f.c->out.len = 0;
    put_reply(&small, 2, 10);
    kv_conn_reply_done(f.c, 2, &small);
    CHECK(f.c->out.p != small.p);
    CHECK_MEM(f.c->out.p, f.c->out.len, ":2\r\ncdefghijkl");
    CHECK_EQ_LL(small.len, 0);

    /* A big reply that waited in the pending ring is adopted the same way
     * when its turn comes with out empty. */
    f.c->out.len = 0;
    f.c->seq_next = 5; /* 3, 4 */
    put_reply(&big, 4, 500000);
    kv_conn_reply_done(f.c, 4, &big);
    CHECK_EQ_LL(f.c->out.len, 0);
    kv_conn_reply_done(f.c, 3, NULL); /* 3 wrote nothing: an empty reply */
    CHECK_EQ_LL(f.c->out.len, 500000 + 4);
    CHECK(f.c->out.p[0] == ':' && f.c->out.p[1] == '4');
    CHECK_EQ_LL(f.c->seq_done, 5);

    kv_buf_free(&big);
    kv_buf_free(&small);
    fx_free(&f);
}

/* A reply for a connection that has closed is dropped: the caller keeps
 * (and frees) its buffer, nothing is written. */
static void test_order_closed_drops(void)
{
    fixture f;
    kv_buf msg;
    fx_init(&f);
    kv_buf_init(&msg);
    f.c->seq_next = 2;
    kv_conn_close(f.c);
    CHECK(f.c->flags & KV_CONN_CLOSED);
    put_reply(&msg, 1, 5);
    kv_conn_reply_done(f.c, 1, &msg);
    CHECK_EQ_LL(msg.len, 9);
    put_reply(&msg, 0, 5);
    kv_conn_reply_done(f.c, 0, &msg);
    CHECK_EQ_LL(msg.len, 18);
    CHECK_EQ_LL(f.c->out.len, 0);
    CHECK_EQ_LL(f.sh.stats.connected_clients, 0);
    kv_buf_free(&msg);
    fx_free(&f);
}

TEST_MAIN("order",
          TEST(test_order_in_order_goes_to_out),
          TEST(test_order_out_of_order),
          TEST(test_order_remote_reverse),
          TEST(test_order_random_permutations),
          TEST(test_order_sliding_window),
          TEST(test_order_swap_path),
          TEST(test_order_closed_drops))
