/* Big payloads read apart (kv_parser_divert): a driver that reads a stream
 * the way a connection does, diverting every payload of at least `min`
 * bytes into its own memory, must parse exactly the commands a plain parse
 * gets, whatever the read sizes, with commands rewound and parsed again
 * (a command that has to wait), and a protocol error after a divert. */
#include <stdlib.h>
#include <string.h>

#include "kevy/resp.h"
#include "resp_divert_run.h"
#include "test.h"

/* Reads of `step` bytes; returns how many payloads were diverted. */
static int run_divert(const char *s, size_t n, size_t step, size_t min, int rewind, kv_buf *out)
{
    size_t *cuts = malloc((n / step + 1) * sizeof *cuts), nc = 0, at;
    divert_result o;
    for (at = step; at < n; at += step)
        cuts[nc++] = at;
    divert_run(s, n, cuts, nc, NULL, min, rewind, &o);
    CHECK_EQ_LL(o.broken, 0);
    if (o.err[0]) {
        kv_buf_append(&o.cmds, "-", 1);
        kv_buf_append(&o.cmds, o.err, strlen(o.err));
    }
    kv_buf_append(out, o.cmds.p, o.cmds.len);
    kv_buf_free(&o.cmds);
    free(cuts);
    return o.diverted;
}

static char *filler(size_t n, char seed)
{
    char *v = malloc(n);
    size_t i;
    for (i = 0; i < n; i++)
        v[i] = (char)(seed + i % 26);
    return v;
}

static void test_divert_matches_a_plain_parse(void)
{
    static const size_t steps[] = {1, 3, 1000, 4096, 65536, 1 << 20};
    static const size_t mins[] = {1, 100, 40000, 45000};
    kv_buf stream, want;
    kv_str a[5];
    char *v1 = filler(40000, 'a'), *v2 = filler(50001, 'A'), *v3 = filler(99, '0');
    size_t i, j;
    kv_buf_init(&stream);
    kv_buf_init(&want);
    /* SET k v1 EX 10; PING; MSET x v2 y v3; inline PING; SET z v1 */
    a[0].p = "SET", a[0].n = 3, a[1].p = "k", a[1].n = 1, a[2].p = v1, a[2].n = 40000;
    a[3].p = "EX", a[3].n = 2, a[4].p = "10", a[4].n = 2;
    kv_encode_command(&stream, 5, a);
    a[0].p = "PING", a[0].n = 4;
    kv_encode_command(&stream, 1, a);
    a[0].p = "MSET", a[0].n = 4, a[1].p = "x", a[1].n = 1, a[2].p = v2, a[2].n = 50001;
    a[3].p = "y", a[3].n = 1, a[4].p = v3, a[4].n = 99;
    kv_encode_command(&stream, 5, a);
    kv_buf_append(&stream, "PING\r\n", 6);
    a[0].p = "SET", a[0].n = 3, a[1].p = "z", a[1].n = 1, a[2].p = v1, a[2].n = 40000;
    kv_encode_command(&stream, 3, a);
    CHECK_EQ_LL(run_divert(stream.p, stream.len, 1 << 20, (size_t)-1, 0, &want), 0);
    CHECK(want.len > 2 * 40000 + 50001);
    for (i = 0; i < sizeof steps / sizeof steps[0]; i++)
        for (j = 0; j < sizeof mins / sizeof mins[0]; j++) {
            int rw;
            for (rw = 0; rw < 2; rw++) {
                kv_buf got;
                int d;
                kv_buf_init(&got);
                d = run_divert(stream.p, stream.len, steps[i], mins[j], rw, &got);
                CHECK(got.len == want.len && memcmp(got.p, want.p, want.len) == 0);
                /* Only a payload not all there yet is diverted: one read of
                 * everything diverts nothing. */
                if (steps[i] >= stream.len)
                    CHECK_EQ_LL(d, 0);
                else if (mins[j] <= 40000 && steps[i] < 40000)
                    CHECK(d >= 2);
                if (mins[j] > 50001)
                    CHECK_EQ_LL(d, 0);
                kv_buf_free(&got);
            }
        }
    free(v1);
    free(v2);
    free(v3);
    kv_buf_free(&stream);
    kv_buf_free(&want);
}

/* A broken command after a diverted payload is the same error, and the
 * diverted memory is the caller's to free (ASan checks that it is). */
static void test_divert_then_error(void)
{
    kv_buf stream, got;
    char *v = filler(40000, 'q');
    kv_buf_init(&stream);
    kv_buf_init(&got);
    kv_buf_append(&stream, "*3\r\n$3\r\nSET\r\n$40000\r\n", 21);
    kv_buf_append(&stream, v, 40000);
    kv_buf_append(&stream, "\r\n!oops\r\n", 9);
    CHECK_EQ_LL(run_divert(stream.p, stream.len, 512, 32768, 0, &got), 1);
    CHECK_MEM(got.p, got.len, "-ERR Protocol error: expected '$', got '!'");
    free(v);
    kv_buf_free(&stream);
    kv_buf_free(&got);
}

TEST_MAIN("resp_divert",
          TEST(test_divert_matches_a_plain_parse),
          TEST(test_divert_then_error))
