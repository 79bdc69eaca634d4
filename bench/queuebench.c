/* kevy-queuebench: a job-queue load generator for any Redis-compatible server.
 *
 * N producer threads loop `LPUSH key <payload>` (optionally P commands per
 * write), M consumer threads loop `BRPOP key <timeout>`: a FIFO queue, as
 * Sidekiq and most "worker pool with BRPOP" setups build it (RPUSH + BRPOP
 * would be a stack: under load the oldest jobs starve, and the latency tail
 * would measure that, not the server). The payload starts with the producer's
 * send time (CLOCK_MONOTONIC, microseconds), so each consumer computes the
 * producer->consumer latency of every element it pops. At most --inflight
 * messages are produced and not yet consumed (a closed loop, like
 * redis-benchmark's -c): the list never grows without bound, and the latency
 * measures delivery, not a backlog that grows with the run.
 *
 * After --seconds the producers stop (each reads the replies it is owed),
 * the consumers drain what is left for up to --grace seconds, then stop too:
 * each reads the reply of its last BRPOP, and M "stop" elements pushed last
 * wake those that block, so no one waits for its timeout. Then it prints messages per second
 * consumed and produced within the window, latency percentiles, the elements
 * left in the key, and `lost` = produced - consumed - left (0 unless the server
 * lost or duplicated an element).
 *
 * --place-consumers / --place-producers local|remote (kevy only) keep only
 * connections whose shard is (local) or is not (remote) the key's shard: kevy
 * picks a connection's shard with SO_REUSEPORT, so we connect, ask, and
 * reconnect until it fits. To ask: INFO's kevy_forwarded_commands (summed over
 * shards) grows by one when a command goes to another shard. On the candidate
 * connection: INFO, INFO, EXISTS key, INFO; (3rd - 2nd) - (2nd - 1st) is 1 when
 * EXISTS was forwarded (the key is on another shard), 0 when it ran locally;
 * the first difference cancels INFO's own fan-out. Anything else: ask again.
 *
 * C99 + POSIX, blocking sockets, pthreads; no external library (the pieces
 * it shares with kevy-fanoutbench are in benchlib.c). Every socket
 * has a receive/send timeout and a watchdog (SIGALRM) ends a run that overstays,
 * so it never hangs. Exit status: 0 ok, 1 error, 2 usage, 3 watchdog. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

#include "benchlib.h"

#define MAX_PIPELINE 1024
#define MAX_THREADS 1024
#define MAX_PAYLOAD (64 * 1024)
#define STOP_ELEMENT "stop"


/* ------------------------------------------------------------- options */

static struct {
    const char *host, *port, *key;
    int producers, consumers, pipeline, inflight, size, json;
    double seconds, grace, brpop_timeout;
    int place_consumers, place_producers;
} opt;

/* The producers / consumers must stop: flags for get_flag / set_flag. */
static int stop_producers, stop_consumers;

static double sock_timeout(void)
{
    return opt.brpop_timeout + 5.0;
}

/* ------------------------------------------------------- shared state */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t room = PTHREAD_COND_INITIALIZER;
static long long sent, consumed_all; /* under mu */
static int waiting;                  /* producers waiting for room, under mu */
static long long t_start, t_end;     /* the measured window; set before threads run */

typedef struct {
    pthread_t tid;
    conn_t *c;
    int id;
    long long in_window, after, stops;
    hist_t *h; /* consumers only */
} worker_t;

/* Wait until `n` more messages fit under --inflight; 0 ok, -1 stopping. */
static int reserve(int n)
{
    int ok = 0;
    pthread_mutex_lock(&mu);
    while (sent - consumed_all + n > opt.inflight &&
           (ok = wait_room(&room, &mu, &stop_producers, &waiting)) == 0)
        ;
    if (!ok)
        sent += n;
    pthread_mutex_unlock(&mu);
    return ok;
}

static void *producer(void *arg)
{
    worker_t *w = arg;
    sbuf b = {NULL, 0, 0};
    char *payload = malloc((size_t)opt.size + 64);
    long long seq = 0;
    int i;
    if (!payload) {
        fail("out of memory");
        return NULL;
    }
    while (!is_stopped(&stop_producers)) {
        long long t;
        if (reserve(opt.pipeline) < 0)
            break;
        b.n = 0;
        t = now_us();
        for (i = 0; i < opt.pipeline; i++) {
            int k = make_payload(payload, (size_t)opt.size + 64, opt.size, t, w->id, seq++);
            sb_add(&b, "*3\r\n$5\r\nLPUSH\r\n", 15);
            sb_arg(&b, opt.key, strlen(opt.key));
            sb_arg(&b, payload, (size_t)k);
        }
        if (conn_write(w->c, b.p, b.n) < 0)
            break;
        for (i = 0; i < opt.pipeline; i++) {
            char ty;
            long long n;
            const char *text;
            size_t len;
            if (read_line(w->c, &ty, &n, &text, &len) < 0)
                goto out;
            if (ty != ':') {
                reply_error("LPUSH", ty, text, len);
                goto out;
            }
        }
        if (now_us() <= t_end)
            w->in_window += opt.pipeline;
        else
            w->after += opt.pipeline;
    }
out:
    free(payload);
    free(b.p);
    return NULL;
}

static void *consumer(void *arg)
{
    worker_t *w = arg;
    sbuf b = {NULL, 0, 0};
    char tbuf[32], tmo[32];
    snprintf(tmo, sizeof tmo, "%g", opt.brpop_timeout);
    sb_cmd(&b, 3, "BRPOP", opt.key, tmo);
    while (!is_stopped(&stop_consumers)) {
        char ty;
        long long n, t, now;
        const char *text;
        size_t len;
        char *end;
        if (conn_write(w->c, b.p, b.n) < 0 || read_line(w->c, &ty, &n, &text, &len) < 0)
            break;
        if (ty == '*' && n < 0)
            continue; /* timed out: nothing to pop */
        if (ty == '_')
            continue; /* the same in RESP3 */
        if (ty != '*' || n != 2) {
            reply_error("BRPOP", ty, text, len);
            break;
        }
        /* [key, element] */
        if (read_line(w->c, &ty, &n, &text, &len) < 0)
            break;
        if (ty != '$' || n < 0) {
            reply_error("BRPOP key", ty, text, len);
            break;
        }
        if (read_bulk_body(w->c, n, NULL, 0) < 0 || read_line(w->c, &ty, &n, &text, &len) < 0)
            break;
        if (ty != '$' || n < 0) {
            reply_error("BRPOP element", ty, text, len);
            break;
        }
        memset(tbuf, 0, sizeof tbuf);
        if (read_bulk_body(w->c, n, tbuf, sizeof tbuf - 1) < 0)
            break;
        tbuf[n < (long long)sizeof tbuf - 1 ? n : (long long)sizeof tbuf - 1] = '\0';
        now = now_us();
        if (!strcmp(tbuf, STOP_ELEMENT)) {
            w->stops++; /* the end: pushed only after stop_consumers */
            break;
        }
        t = strtoll(tbuf, &end, 10);
        if (end == tbuf || *end != ':') {
            fail("BRPOP: element %.20s is not ours", tbuf);
            break;
        }
        pthread_mutex_lock(&mu);
        consumed_all++;
        /* Wake the waiting producers only once a whole batch fits: waking
         * them per message would cost context switches the server is not
         * responsible for. */
        if (waiting && sent - consumed_all + opt.pipeline <= opt.inflight)
            pthread_cond_broadcast(&room);
        pthread_mutex_unlock(&mu);
        if (now <= t_end) {
            w->in_window++;
            h_add(w->h, now - t);
        } else {
            w->after++;
        }
    }
    free(b.p);
    return NULL;
}

/* ------------------------------------------------------------------ main */

static void usage(FILE *f)
{
    fputs("usage: kevy-queuebench [options]\n"
          "  --host H              server address (127.0.0.1)\n"
          "  --port P              server port (6379)\n"
          "  --key K               the queue's list key (queuebench:q); deleted first\n"
          "  --producers N         producer threads, one connection each (4)\n"
          "  --consumers M         consumer threads, one connection each (8)\n"
          "  --seconds S           length of the measured window (5)\n"
          "  --pipeline P          LPUSH commands per producer write (1)\n"
          "  --inflight W          most messages produced but not yet consumed\n"
          "                        (default: max(4*M, 2*P*N))\n"
          "  --size B              payload bytes (32; the send time comes first)\n"
          "  --brpop-timeout T     BRPOP's timeout in seconds (1)\n"
          "  --grace G             drain time after the producers stop, seconds (2)\n"
          "  --place-consumers X   any | local | remote: consumer connections on the\n"
          "                        key's shard or on another one (kevy only; any)\n"
          "  --place-producers X   the same for producer connections (any)\n"
          "  --json                one JSON object instead of text\n",
          f);
}

static int parse_args(int argc, char **argv)
{
    int i;
    opt.host = "127.0.0.1";
    opt.port = "6379";
    opt.key = "queuebench:q";
    opt.producers = 4;
    opt.consumers = 8;
    opt.pipeline = 1;
    opt.size = 32;
    opt.seconds = 5;
    opt.grace = 2;
    opt.brpop_timeout = 1;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        double d;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        }
        if (!strcmp(a, "--json")) {
            opt.json = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "queuebench: %s needs a value (or unknown option)\n", a);
            return -1;
        }
        i++;
        if (!strcmp(a, "--host")) {
            opt.host = v;
        } else if (!strcmp(a, "--port")) {
            opt.port = v;
        } else if (!strcmp(a, "--key")) {
            opt.key = v;
        } else if (!strcmp(a, "--place-consumers") || !strcmp(a, "--place-producers")) {
            int p = parse_place(v);
            if (p < 0) {
                fprintf(stderr, "queuebench: %s %s: any, local or remote\n", a, v);
                return -1;
            }
            if (!strcmp(a, "--place-consumers"))
                opt.place_consumers = p;
            else
                opt.place_producers = p;
        } else if (!strcmp(a, "--seconds")) {
            if (num_arg(a, v, 0.1, 3600, &opt.seconds) < 0)
                return -1;
        } else if (!strcmp(a, "--grace")) {
            if (num_arg(a, v, 0, 600, &opt.grace) < 0)
                return -1;
        } else if (!strcmp(a, "--brpop-timeout")) {
            if (num_arg(a, v, 0.01, 60, &opt.brpop_timeout) < 0)
                return -1;
        } else if (!strcmp(a, "--producers") || !strcmp(a, "--consumers") ||
                   !strcmp(a, "--pipeline") || !strcmp(a, "--inflight") ||
                   !strcmp(a, "--size")) {
            double hi = !strcmp(a, "--pipeline") ? MAX_PIPELINE
                        : !strcmp(a, "--size") ? MAX_PAYLOAD
                        : !strcmp(a, "--inflight") ? 100000000 : MAX_THREADS;
            if (num_arg(a, v, !strcmp(a, "--size") ? 0 : 1, hi, &d) < 0)
                return -1;
            if (d != (double)(int)d) {
                fprintf(stderr, "queuebench: %s %s: expected an integer\n", a, v);
                return -1;
            }
            if (!strcmp(a, "--producers"))
                opt.producers = (int)d;
            else if (!strcmp(a, "--consumers"))
                opt.consumers = (int)d;
            else if (!strcmp(a, "--pipeline"))
                opt.pipeline = (int)d;
            else if (!strcmp(a, "--inflight"))
                opt.inflight = (int)d;
            else
                opt.size = (int)d;
        } else {
            fprintf(stderr, "queuebench: unknown option %s\n", a);
            usage(stderr);
            return -1;
        }
    }
    if (!opt.inflight) {
        opt.inflight = 4 * opt.consumers;
        if (opt.inflight < 2 * opt.pipeline * opt.producers)
            opt.inflight = 2 * opt.pipeline * opt.producers;
    }
    if (opt.inflight < opt.pipeline) {
        fprintf(stderr, "queuebench: --inflight %d is below --pipeline %d\n", opt.inflight,
                opt.pipeline);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    conn_t *pc = NULL, *cc = NULL, ctl;
    worker_t *pw = NULL, *cw = NULL;
    hist_t *total;
    sbuf b = {NULL, 0, 0};
    long long produced_win = 0, produced_after = 0, consumed_win = 0, consumed_after = 0;
    long long left = -1, t_stop = 0, t_drained = 0, stops = 0;
    long reconnects = 0;
    int i, started_p = 0, started_c = 0;
    double window;
    unsigned budget;

    bench_init("queuebench");
    if (parse_args(argc, argv) < 0)
        return 2;
    /* Connecting (with placement), the window, the drain, the last BRPOPs
     * and every socket timeout, with room to spare. */
    budget = (unsigned)(opt.seconds + opt.grace + 2 * sock_timeout() + 60);
    watchdog(budget);

    pc = calloc((size_t)opt.producers, sizeof *pc);
    cc = calloc((size_t)opt.consumers, sizeof *cc);
    pw = calloc((size_t)opt.producers, sizeof *pw);
    cw = calloc((size_t)opt.consumers, sizeof *cw);
    total = calloc(1, sizeof *total);
    if (!pc || !cc || !pw || !cw || !total) {
        fputs("queuebench: out of memory\n", stderr);
        return 1;
    }
    for (i = 0; i < opt.producers; i++)
        pc[i].fd = -1;
    for (i = 0; i < opt.consumers; i++)
        cc[i].fd = -1;
    ctl.fd = -1;

    if (conn_open(&ctl, opt.host, opt.port, sock_timeout()) < 0)
        goto done;
    sb_cmd(&b, 2, "DEL", opt.key);
    if (call_simple(&ctl, &b, NULL) < 0)
        goto done;
    if (open_placed_all(cc, opt.consumers, opt.host, opt.port, sock_timeout(), opt.key,
                        opt.place_consumers, &reconnects) < 0 ||
        open_placed_all(pc, opt.producers, opt.host, opt.port, sock_timeout(), opt.key,
                        opt.place_producers, &reconnects) < 0)
        goto done;

    t_start = now_us();
    t_end = t_start + (long long)(opt.seconds * 1e6);
    for (i = 0; i < opt.consumers; i++) {
        cw[i].c = &cc[i];
        cw[i].id = i;
        if (!(cw[i].h = calloc(1, sizeof *cw[i].h)) ||
            pthread_create(&cw[i].tid, NULL, consumer, &cw[i]) != 0) {
            fail("cannot start consumer thread %d", i);
            goto stop;
        }
        started_c++;
    }
    for (i = 0; i < opt.producers; i++) {
        pw[i].c = &pc[i];
        pw[i].id = i;
        if (pthread_create(&pw[i].tid, NULL, producer, &pw[i]) != 0) {
            fail("cannot start producer thread %d", i);
            goto stop;
        }
        started_p++;
    }
    while (!run_failed() && now_us() < t_end)
        sleep_us(t_end - now_us() > 10000 ? 10000 : t_end - now_us());

stop:
    /* Producers first (each reads the replies it is owed), then a drain. */
    set_flag(&stop_producers);
    pthread_mutex_lock(&mu);
    pthread_cond_broadcast(&room);
    pthread_mutex_unlock(&mu);
    for (i = 0; i < started_p; i++)
        pthread_join(pw[i].tid, NULL);
    t_stop = now_us();
    for (;;) {
        long long outstanding;
        pthread_mutex_lock(&mu);
        outstanding = sent - consumed_all;
        pthread_mutex_unlock(&mu);
        if (outstanding <= 0 || run_failed() || now_us() - t_stop >= (long long)(opt.grace * 1e6))
            break;
        sleep_us(1000);
    }
    t_drained = now_us();
    set_flag(&stop_consumers); /* each reads the reply of its last BRPOP first */
    if (!run_failed() && started_c > 0) {
        /* Behind whatever is left (FIFO): wakes the consumers that block. */
        b.n = 0;
        sb_add(&b, "*", 1);
        {
            char num[32];
            int k = snprintf(num, sizeof num, "%d\r\n", 2 + started_c);
            sb_add(&b, num, (size_t)k);
        }
        sb_arg(&b, "LPUSH", 5);
        sb_arg(&b, opt.key, strlen(opt.key));
        for (i = 0; i < started_c; i++)
            sb_arg(&b, STOP_ELEMENT, strlen(STOP_ELEMENT));
        call_simple(&ctl, &b, NULL);
    }
    for (i = 0; i < started_c; i++)
        pthread_join(cw[i].tid, NULL);

    for (i = 0; i < started_p; i++) {
        produced_win += pw[i].in_window;
        produced_after += pw[i].after;
    }
    for (i = 0; i < started_c; i++) {
        stops += cw[i].stops;
        consumed_win += cw[i].in_window;
        consumed_after += cw[i].after;
        h_merge(total, cw[i].h);
    }
    if (!run_failed()) {
        b.n = 0;
        sb_cmd(&b, 2, "LLEN", opt.key);
        if (call_simple(&ctl, &b, &left) == 0) {
            left -= started_c - stops; /* the stop elements no one took */
            b.n = 0;
            sb_cmd(&b, 2, "DEL", opt.key);
            call_simple(&ctl, &b, NULL);
        }
    }

done:
    watchdog(0);
    window = opt.seconds;
    if (!run_failed()) {
        long long produced = produced_win + produced_after;
        long long consumed = consumed_win + consumed_after;
        long long lost = produced - consumed - left;
        if (opt.json) {
            printf("{\"consumed_per_s\": %.1f, \"produced_per_s\": %.1f, "
                   "\"p50_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f, "
                   "\"max_us\": %lld, \"mean_us\": %.1f, "
                   "\"consumed\": %lld, \"produced\": %lld, \"left\": %lld, \"lost\": %lld, "
                   "\"drain_ms\": %.1f, \"seconds\": %g, \"producers\": %d, \"consumers\": %d, "
                   "\"pipeline\": %d, \"inflight\": %d, \"size\": %d, "
                   "\"place_consumers\": \"%s\", \"place_producers\": \"%s\", "
                   "\"reconnects\": %ld}\n",
                   consumed_win / window, produced_win / window, h_pct(total, 0.50),
                   h_pct(total, 0.99), h_pct(total, 0.999), total->max,
                   total->n ? (double)total->sum / (double)total->n : 0.0, consumed, produced,
                   left, lost, (t_drained - t_stop) / 1000.0, window, opt.producers,
                   opt.consumers, opt.pipeline, opt.inflight, opt.size,
                   place_name(opt.place_consumers), place_name(opt.place_producers), reconnects);
        } else {
            printf("queue %s on %s:%s: %d producers (pipeline %d), %d consumers, "
                   "inflight %d, %d-byte payloads, %gs; consumers %s, producers %s "
                   "(%ld reconnects to place them)\n",
                   opt.key, opt.host, opt.port, opt.producers, opt.pipeline, opt.consumers,
                   opt.inflight, opt.size, window, place_name(opt.place_consumers),
                   place_name(opt.place_producers), reconnects);
            printf("consumed %.0f msg/s, produced %.0f msg/s\n", consumed_win / window,
                   produced_win / window);
            printf("latency us: p50 %.0f  p99 %.0f  p99.9 %.0f  max %lld  mean %.1f\n",
                   h_pct(total, 0.50), h_pct(total, 0.99), h_pct(total, 0.999), total->max,
                   total->n ? (double)total->sum / (double)total->n : 0.0);
            printf("produced %lld, consumed %lld, left in the key %lld, lost %lld\n", produced,
                   consumed, left, lost);
        }
    }
    for (i = 0; i < opt.producers; i++)
        conn_close(&pc[i]);
    for (i = 0; i < opt.consumers; i++) {
        conn_close(&cc[i]);
        free(cw[i].h);
    }
    conn_close(&ctl);
    free(pc);
    free(cc);
    free(pw);
    free(cw);
    free(total);
    free(b.p);
    return run_failed() ? 1 : 0;
}
