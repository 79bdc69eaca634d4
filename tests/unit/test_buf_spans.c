/* Spans: big values a reply buffer refers to instead of copying. The buffer
 * operations keep every span in its place and release each exactly once;
 * a connection writes bytes and spans in order through partial writes and
 * lets go of each span as soon as it is written. */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt/internal.h"
#include "test.h"

static int released[4];

static void rel(void *arg)
{
    released[(intptr_t)arg]++;
}

/* The buffer's contents, spans in place, as one string. */
static size_t flatten(const kv_buf *b, char *out)
{
    size_t pos = 0, n = 0, i;
    size_t count = b->spans ? b->spans->count : 0;
    for (i = 0; i <= count; i++) {
        size_t end = i < count ? b->spans->s[i].at : b->len;
        memcpy(out + n, b->p + pos, end - pos);
        n += end - pos;
        pos = end;
        if (i < count) {
            memcpy(out + n, b->spans->s[i].p, b->spans->s[i].n);
            n += b->spans->s[i].n;
        }
    }
    return n;
}

static void test_spans_move_truncate_clear(void)
{
    kv_buf a, b;
    kv_reply r;
    char flat[256];
    memset(released, 0, sizeof released);
    kv_buf_init(&a);
    kv_buf_init(&b);
    r.buf = &b;
    r.proto = 2;
    r.errors = 0;
    CHECK(kv_buf_empty(&b));
    kv_reply_bulk_ref(&r, "hello", 5, rel, (void *)(intptr_t)0);
    kv_reply_int(&r, 7);
    kv_reply_bulk_ref(&r, "world", 5, rel, (void *)(intptr_t)1);
    CHECK(!kv_buf_empty(&b));
    CHECK_EQ_LL(kv_buf_size(&b), b.len + 10);
    CHECK_MEM(flat, flatten(&b, flat), "$5\r\nhello\r\n:7\r\n$5\r\nworld\r\n");

    kv_buf_append(&a, "+OK\r\n", 5);
    kv_buf_move(&a, &b);
    CHECK(kv_buf_empty(&b));
    CHECK_MEM(flat, flatten(&a, flat), "+OK\r\n$5\r\nhello\r\n:7\r\n$5\r\nworld\r\n");
    CHECK_EQ_LL(released[0] + released[1], 0);

    /* Dropping the last reply (CLIENT REPLY SKIP) lets go of its span. */
    kv_buf_truncate(&a, 5 + 6 + 4); /* own bytes: "+OK", "$5" and CRLF, ":7" */
    CHECK_EQ_LL(released[1], 1);
    CHECK_EQ_LL(released[0], 0);
    CHECK_MEM(flat, flatten(&a, flat), "+OK\r\n$5\r\nhello\r\n:7\r\n");
    kv_buf_clear(&a);
    CHECK_EQ_LL(released[0], 1);
    CHECK(kv_buf_empty(&a));
    CHECK(a.cap > 0); /* the space stays */

    kv_reply_bulk_ref(&r, "x", 1, rel, (void *)(intptr_t)2);
    kv_buf_free(&b);
    CHECK_EQ_LL(released[2], 1);
    kv_buf_free(&a);
    CHECK_EQ_LL(released[0] + released[1] + released[2], 3);
}

/* A real socket with a small send buffer: the connection writes the bytes
 * and spans in pieces, and each span goes as soon as it is all written. */
static void test_spans_partial_writes(void)
{
    enum { A = 300000, B = 120000 };
    kv_rt rt;
    kv_shard sh;
    kv_conn *c;
    int sv[2], small = 4096;
    char *va = malloc(A), *vb = malloc(B), *want = malloc(A + B + 64), *got = malloc(A + B + 64);
    size_t nwant, ngot = 0, i;
    int rounds = 0;
    memset(released, 0, sizeof released);
    for (i = 0; i < A; i++)
        va[i] = (char)('a' + i % 23);
    for (i = 0; i < B; i++)
        vb[i] = (char)('A' + i % 19);
    memset(&rt, 0, sizeof rt);
    kv_rt_config_defaults(&rt.cfg);
    rt.n = 1;
    rt.shards = &sh;
    rt.next_client_id = 1;
    rt.loglevel = KV_LOG_WARNING;
    CHECK_EQ_LL(kv_shard_setup(&sh, &rt, 0), 0);
    CHECK_EQ_LL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    c = kv_conn_new(&sh, sv[0]);
    CHECK(c != NULL);

    kv_buf_append(&c->out, "head", 4);
    kv_buf_add_span(&c->out, va, A, rel, (void *)(intptr_t)0);
    kv_buf_append(&c->out, "mid", 3);
    kv_buf_add_span(&c->out, vb, B, rel, (void *)(intptr_t)1);
    kv_buf_append(&c->out, "end", 3);
    nwant = flatten(&c->out, want);
    CHECK_EQ_LL(kv_conn_unsent(c), nwant);

    while (ngot < nwant && rounds++ < 100000) {
        ssize_t n;
        size_t room;
        CHECK_EQ_LL(kv_conn_flush(c), 0);
        /* Span 0 goes once its last byte is written, not before. */
        CHECK_EQ_LL(released[0], c->out_span > 0 || kv_conn_unsent(c) == 0);
        room = 1000 + (size_t)rounds % 7000;
        if (room > A + B + 64 - ngot)
            room = A + B + 64 - ngot; /* never past the buffer (valgrind checks read's range) */
        n = read(sv[1], got + ngot, room);
        if (n > 0)
            ngot += (size_t)n;
    }
    CHECK_EQ_LL(ngot, nwant);
    CHECK(memcmp(got, want, nwant) == 0);
    CHECK_EQ_LL(kv_conn_flush(c), 0);
    CHECK_EQ_LL(kv_conn_unsent(c), 0);
    CHECK(kv_buf_empty(&c->out));
    CHECK_EQ_LL(released[0], 1);
    CHECK_EQ_LL(released[1], 1);
    CHECK_EQ_LL(c->out_sent + c->out_span + c->out_span_off + c->out_span_sent, 0);

    /* Closing with a span unwritten lets go of it too. */
    kv_buf_add_span(&c->out, va, A, rel, (void *)(intptr_t)2);
    kv_conn_close(c);
    CHECK_EQ_LL(released[2], 1);
    kv_conn_free(c);
    close(sv[1]);
    kv_shard_teardown(&sh);
    free(va);
    free(vb);
    free(want);
    free(got);
}

TEST_MAIN("buf_spans",
          TEST(test_spans_move_truncate_clear),
          TEST(test_spans_partial_writes))
