/* kevy-getbench: GET of one large value, from the key's shard or from
 * another one (issue 16: does a value homed on another shard come back
 * nearly as fast as one on the connection's own shard?). Works against any
 * Redis-compatible server with --place any.
 *
 * It SETs --key to a value of --size bytes once (and reads it back once,
 * byte for byte), then --connections threads, one connection each, loop:
 * write --pipeline GETs of the key in one write, read the P replies. That
 * is redis-benchmark's -P (a batch out, its replies in, the next batch), so
 * the figures line up with bench.py's get_<size> rows. Every reply must be
 * a bulk string of exactly --size bytes; its body is skipped through
 * benchlib's 64 KiB buffer (read_bulk_body with dst NULL), so a 1 MB reply
 * costs the client recv() calls, not copies.
 *
 * --place local|remote (kevy only) keeps only connections whose shard is
 * (local) or is not (remote) the key's shard (bench/benchplace.c: connect,
 * ask INFO's kevy_forwarded_commands, reconnect), before the clock starts.
 * A reply counts in the window when it arrives before --seconds are up;
 * then each thread reads the rest of its batch and stops, so nothing is left
 * in flight. Exit status: 0 ok, 1 error, 2 usage, 3 watchdog. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include "benchlib.h"

#define MAX_THREADS 1024
#define MAX_PIPELINE 1024
#define MAX_SIZE (256 * 1024 * 1024)
/* A 1 MB reply on a busy loopback takes milliseconds; 10 s means stuck. */
#define SOCK_TIMEOUT 10.0

static struct {
    const char *host, *port, *key;
    int connections, pipeline, size, place, json;
    double seconds;
} opt = {"127.0.0.1", "6379", "getbench:v", 20, 4, 102400, PLACE_ANY, 0, 5.0};

static long long t_end;  /* the window's end; set before the threads start */
static sbuf batch;       /* P GETs of the key, built once, read-only after */

typedef struct {
    pthread_t tid;
    conn_t *c;
    long long in_window, after;
    hist_t *h;
} worker_t;

/* One connection's loop: batches of P GETs until the window closes. */
static void *worker(void *arg)
{
    worker_t *w = arg;
    while (!run_failed() && now_us() < t_end) {
        long long t0 = now_us();
        int i;
        if (conn_write(w->c, batch.p, batch.n) < 0)
            break;
        for (i = 0; i < opt.pipeline; i++) {
            char ty;
            long long n, now;
            const char *text;
            size_t len;
            if (read_line(w->c, &ty, &n, &text, &len) < 0)
                return NULL;
            if (ty != '$') {
                reply_error("GET", ty, text, len);
                return NULL;
            }
            if (n != opt.size) {
                fail("GET: a %lld-byte reply, expected %d", n, opt.size);
                return NULL;
            }
            if (read_bulk_body(w->c, n, NULL, 0) < 0)
                return NULL;
            now = now_us();
            if (now <= t_end) {
                w->in_window++;
                h_add(w->h, now - t0); /* as redis-benchmark: from the batch's write */
            } else {
                w->after++;
            }
        }
    }
    return NULL;
}

/* SET the key to `size` bytes of a pattern, then GET it once on the same
 * connection and compare every byte: the runs after check only lengths. */
static int store_value(conn_t *ctl)
{
    sbuf b = {NULL, 0, 0};
    char *v = malloc((size_t)opt.size + 2), *got = malloc((size_t)opt.size + 2), ty;
    long long n;
    const char *text;
    size_t len;
    int i, rc = -1;
    if (!v || !got) {
        fail("out of memory");
        goto out;
    }
    for (i = 0; i < opt.size; i++)
        v[i] = (char)('a' + i % 26);
    sb_add(&b, "*3\r\n$3\r\nSET\r\n", 13);
    sb_arg(&b, opt.key, strlen(opt.key));
    sb_arg(&b, v, (size_t)opt.size);
    if (call_simple(ctl, &b, NULL) < 0)
        goto out;
    b.n = 0;
    sb_cmd(&b, 2, "GET", opt.key);
    if (conn_write(ctl, b.p, b.n) < 0 || read_line(ctl, &ty, &n, &text, &len) < 0)
        goto out;
    if (ty != '$' || n != opt.size) {
        if (ty == '$')
            fail("GET after SET: %lld bytes, expected %d", n, opt.size);
        else
            reply_error("GET after SET", ty, text, len);
        goto out;
    }
    if (read_bulk_body(ctl, n, got, (size_t)opt.size) < 0)
        goto out;
    if (memcmp(v, got, (size_t)opt.size) != 0) {
        fail("GET after SET: the value came back changed");
        goto out;
    }
    rc = 0;
out:
    free(v);
    free(got);
    free(b.p);
    return rc;
}

/* ---------------------------------------------------------------- main */

static void usage(FILE *f)
{
    fputs("usage: kevy-getbench [options]\n"
          "  --host H / --port P   server (127.0.0.1:6379)\n"
          "  --key K               the key, SET to the value first (getbench:v)\n"
          "  --size B              value bytes (102400)\n"
          "  --connections N       threads, one connection each (20)\n"
          "  --pipeline P          GETs per write, their replies read before the next (4)\n"
          "  --seconds S           the measured window (5)\n"
          "  --place X             any | local | remote: connections on the key's shard\n"
          "                        or on another one (kevy only; any)\n"
          "  --json                one JSON object instead of text\n",
          f);
}

/* The options, one row each, read by one loop. */
enum { O_FLAG, O_STR, O_INT, O_NUM, O_PLACE };
static const struct {
    const char *name;
    int kind;
    void *dst;
    double lo, hi; /* O_INT, O_NUM */
} options[] = {
    {"--json", O_FLAG, &opt.json, 0, 0},
    {"--host", O_STR, &opt.host, 0, 0},
    {"--port", O_STR, &opt.port, 0, 0},
    {"--key", O_STR, &opt.key, 0, 0},
    {"--size", O_INT, &opt.size, 0, MAX_SIZE},
    {"--connections", O_INT, &opt.connections, 1, MAX_THREADS},
    {"--pipeline", O_INT, &opt.pipeline, 1, MAX_PIPELINE},
    {"--seconds", O_NUM, &opt.seconds, 0.1, 3600},
    {"--place", O_PLACE, &opt.place, 0, 0},
};
#define N_OPTIONS (sizeof options / sizeof *options)

static int parse_args(int argc, char **argv)
{
    int i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = argv[i + 1]; /* argv[argc] is NULL */
        size_t k = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        }
        while (k < N_OPTIONS && strcmp(a, options[k].name) != 0)
            k++;
        if (k == N_OPTIONS) {
            fprintf(stderr, "getbench: unknown option %s\n", a);
            usage(stderr);
            return -1;
        }
        if (options[k].kind == O_FLAG) {
            *(int *)options[k].dst = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "getbench: %s needs a value\n", a);
            return -1;
        }
        i++;
        if (options[k].kind == O_STR)
            *(const char **)options[k].dst = v;
        else if (options[k].kind == O_NUM) {
            if (num_arg(a, v, options[k].lo, options[k].hi, options[k].dst) < 0)
                return -1;
        } else if (options[k].kind == O_INT) {
            if (int_arg(a, v, (int)options[k].lo, (int)options[k].hi, options[k].dst) < 0)
                return -1;
        } else if ((*(int *)options[k].dst = parse_place(v)) < 0) {
            fprintf(stderr, "getbench: --place %s: any, local or remote\n", v);
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    conn_t *cs, ctl;
    worker_t *ws;
    hist_t *total;
    sbuf b = {NULL, 0, 0};
    long long in_window = 0, after = 0;
    long reconnects = 0;
    int i, started = 0;

    bench_init("getbench");
    if (parse_args(argc, argv) < 0)
        return 2;
    /* Placing the connections, the window, a last batch, every socket
     * timeout, with room to spare. */
    watchdog((unsigned)(opt.seconds + 3 * SOCK_TIMEOUT + 60));
    cs = calloc((size_t)opt.connections, sizeof *cs);
    ws = calloc((size_t)opt.connections, sizeof *ws);
    total = calloc(1, sizeof *total);
    if (!cs || !ws || !total) {
        fputs("getbench: out of memory\n", stderr);
        return 1;
    }
    for (i = 0; i < opt.connections; i++)
        cs[i].fd = -1;
    ctl.fd = -1;
    for (i = 0; i < opt.pipeline; i++)
        sb_cmd(&batch, 2, "GET", opt.key);
    if (conn_open(&ctl, opt.host, opt.port, SOCK_TIMEOUT) < 0 || store_value(&ctl) < 0 ||
        open_placed_all(cs, opt.connections, opt.host, opt.port, SOCK_TIMEOUT, opt.key,
                        opt.place, &reconnects) < 0)
        goto done;

    t_end = now_us() + (long long)(opt.seconds * 1e6);
    for (i = 0; i < opt.connections; i++) {
        ws[i].c = &cs[i];
        if (!(ws[i].h = calloc(1, sizeof *ws[i].h)) ||
            pthread_create(&ws[i].tid, NULL, worker, &ws[i]) != 0) {
            fail("cannot start thread %d", i);
            break;
        }
        started++;
    }
    for (i = 0; i < started; i++) {
        pthread_join(ws[i].tid, NULL);
        in_window += ws[i].in_window;
        after += ws[i].after;
        h_merge(total, ws[i].h);
    }
    if (!run_failed() && in_window == 0)
        fail("no GET answered within the window");
    if (!run_failed()) {
        sb_cmd(&b, 2, "DEL", opt.key); /* a large value should not outlive the run */
        call_simple(&ctl, &b, NULL);
    }

done:
    watchdog(0);
    if (!run_failed()) {
        double rps = in_window / opt.seconds;
        double p50 = h_pct(total, 0.50), p99 = h_pct(total, 0.99), p999 = h_pct(total, 0.999);
        if (opt.json)
            printf("{\"requests_per_s\": %.1f, \"requests\": %lld, \"in_window\": %lld, "
                   "\"p50_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f, \"max_us\": %lld, "
                   "\"mean_us\": %.1f, \"seconds\": %g, \"connections\": %d, "
                   "\"pipeline\": %d, \"size\": %d, \"place\": \"%s\", "
                   "\"reconnects\": %ld}\n",
                   rps, in_window + after, in_window, p50, p99, p999, total->max,
                   h_mean(total), opt.seconds, opt.connections, opt.pipeline, opt.size,
                   place_name(opt.place), reconnects);
        else {
            printf("GET %s (%d bytes) on %s:%s: %d connections x pipeline %d, %gs; "
                   "connections %s to the key's shard (%ld reconnects to place them)\n",
                   opt.key, opt.size, opt.host, opt.port, opt.connections, opt.pipeline,
                   opt.seconds, place_name(opt.place), reconnects);
            printf("%.0f requests/s; %lld requests, %lld in the window\n", rps,
                   in_window + after, in_window);
            printf("latency us: p50 %.0f  p99 %.0f  p99.9 %.0f  max %lld  mean %.1f\n", p50,
                   p99, p999, total->max, h_mean(total));
        }
    }
    for (i = 0; i < opt.connections; i++) {
        conn_close(&cs[i]);
        free(ws[i].h);
    }
    conn_close(&ctl);
    free(cs);
    free(ws);
    free(total);
    free(batch.p);
    free(b.p);
    return run_failed() ? 1 : 0;
}
