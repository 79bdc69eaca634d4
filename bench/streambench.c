/* kevy-streambench: a consumer-group load generator for any Redis-compatible
 * server: the stream as a work queue with acknowledgement.
 *
 * N producer threads loop `XADD key * p <payload>` (P per write); M consumer
 * threads, all in one group, loop `XREADGROUP GROUP g c<i> COUNT n BLOCK b
 * STREAMS key >` and then `XACK key g <every ID they got>`. BLOCK, because
 * that is how workers use it and it makes the server do the work: a consumer
 * that is ahead waits in the server instead of polling it, so every request
 * moves entries (empty polls would measure how fast the client can spin).
 * The payload starts with the producer's send time, so the latency reported
 * is XADD sent -> its XACK answered (delivered and acknowledged). At most
 * --inflight entries are added and not yet acknowledged (a closed loop).
 *
 * Exactly once, checked as it runs: each payload names its producer and
 * sequence number; an entry delivered twice, an XACK that acknowledges fewer
 * IDs than it names (one acknowledged twice, or not pending) fail the run;
 * at the end every entry produced must have been acknowledged and the
 * group's PEL must be empty (XPENDING). --maxlen trims the stream as it
 * grows (XADD MAXLEN ~), never under the entries in flight.
 *
 * After --seconds the producers stop, the consumers drain for up to --grace
 * seconds, then M "stop" entries wake those that block. --place-consumers /
 * --place-producers local|remote (kevy only): connections on the key's shard
 * or off it, as kevy-queuebench. Exit status: 0 ok, 1 error (a lost or
 * duplicated entry included), 2 usage, 3 watchdog. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include "benchlib.h"

#define MAX_THREADS 1024
#define MAX_COUNT 10000
#define MAX_PAYLOAD (64 * 1024)
#define ID_MAX 48
#define STOP_PAYLOAD "stop"


static struct {
    const char *host, *port, *key, *group;
    int producers, consumers, pipeline, count, inflight, size, json, block_ms, maxlen;
    double seconds, grace;
    int place_consumers, place_producers;
} opt;

static int stop_producers, stop_consumers;

/* ------------------------------------------------------- shared state */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t room = PTHREAD_COND_INITIALIZER;
static long long sent, acked_all; /* under mu */
static int waiting;               /* producers waiting for room, under mu */
static long long t_end;           /* the measured window's end */
/* Per producer, which sequence numbers were delivered (under mu). */
static unsigned char **seen;
static long long *seen_cap, *produced_by;

typedef struct {
    pthread_t tid;
    conn_t *c;
    int id;
    long long in_window, after;
    hist_t *h;
} worker_t;

static double sock_timeout(void)
{
    return opt.block_ms / 1000.0 + 5.0;
}

/* Producer pid's entry seq was delivered: 0, or -1 (failed) if it was
 * before. */
static int mark_seen(int pid, long long seq)
{
    int dup;
    pthread_mutex_lock(&mu);
    if (seq >= seen_cap[pid]) {
        long long cap = seen_cap[pid] ? seen_cap[pid] : 4096;
        unsigned char *p;
        while (cap <= seq)
            cap *= 2;
        if (!(p = realloc(seen[pid], (size_t)cap))) {
            pthread_mutex_unlock(&mu);
            fail("out of memory");
            return -1;
        }
        memset(p + seen_cap[pid], 0, (size_t)(cap - seen_cap[pid]));
        seen[pid] = p;
        seen_cap[pid] = cap;
    }
    dup = seen[pid][seq];
    seen[pid][seq] = 1;
    pthread_mutex_unlock(&mu);
    if (dup)
        fail("entry %d:%lld delivered twice", pid, seq);
    return dup ? -1 : 0;
}

/* ----------------------------------------------------------- producers */

static int reserve(int n)
{
    int ok = 0;
    pthread_mutex_lock(&mu);
    while (sent - acked_all + n > opt.inflight &&
           (ok = wait_room(&room, &mu, &stop_producers, &waiting)) == 0)
        ;
    if (!ok)
        sent += n;
    pthread_mutex_unlock(&mu);
    return ok;
}

/* "XADD key [MAXLEN ~ n] * p <payload>" */
static void add_xadd(sbuf *b, const char *payload, size_t n, const char *maxlen)
{
    sb_add(b, maxlen ? "*8\r\n$4\r\nXADD\r\n" : "*5\r\n$4\r\nXADD\r\n", 14);
    sb_arg(b, opt.key, strlen(opt.key));
    if (maxlen) {
        sb_arg(b, "MAXLEN", 6);
        sb_arg(b, "~", 1);
        sb_arg(b, maxlen, strlen(maxlen));
    }
    sb_arg(b, "*", 1);
    sb_arg(b, "p", 1);
    sb_arg(b, payload, n);
}

static void *producer(void *arg)
{
    worker_t *w = arg;
    sbuf b = {NULL, 0, 0};
    char *payload = malloc((size_t)opt.size + 64), maxlen[24];
    long long seq = 0;
    int i;
    snprintf(maxlen, sizeof maxlen, "%d", opt.maxlen);
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
            add_xadd(&b, payload, (size_t)k, opt.maxlen ? maxlen : NULL);
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
            if (ty != '$' || n <= 0 || n >= ID_MAX || read_bulk_body(w->c, n, NULL, 0) < 0) {
                reply_error("XADD", ty, text, len);
                goto out;
            }
        }
        pthread_mutex_lock(&mu);
        produced_by[w->id] = seq;
        pthread_mutex_unlock(&mu);
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

/* ----------------------------------------------------------- consumers */

/* One bulk string into dst (cap bytes, NUL-terminated, cut short if
 * longer); its length, -1 on error or a null. */
static long long read_bulk(conn_t *c, const char *what, char *dst, size_t cap)
{
    char ty;
    long long n;
    const char *text;
    size_t len;
    if (read_line(c, &ty, &n, &text, &len) < 0)
        return -1;
    if (ty != '$' || n < 0)
        return reply_error(what, ty, text, len);
    if (read_bulk_body(c, n, dst, cap - 1) < 0)
        return -1;
    dst[n < (long long)cap - 1 ? n : (long long)cap - 1] = '\0'; /* its CRLF came too */
    return n;
}

/* Expect an array header of n elements (n < 0: any); its length or -1. */
static long long read_array(conn_t *c, const char *what, long long n)
{
    char ty;
    long long got;
    const char *text;
    size_t len;
    if (read_line(c, &ty, &got, &text, &len) < 0)
        return -1;
    if (ty != '*' || got < 0 || (n >= 0 && got != n))
        return reply_error(what, ty, text, len);
    return got;
}

/* One XREADGROUP reply: the IDs into ids (their count in *k), the send
 * times into t (-1: a stop entry). 0, 1 if it timed out, -1 on error. */
static int read_entries(conn_t *c, char (*ids)[ID_MAX], long long *t, int *k)
{
    char ty, key[256], val[64], f[8];
    long long n, e;
    const char *text;
    size_t len;
    *k = 0;
    if (read_line(c, &ty, &n, &text, &len) < 0)
        return -1;
    if ((ty == '*' && n < 0) || ty == '_')
        return 1; /* BLOCK timed out */
    if (ty != '*' || n != 1)
        return reply_error("XREADGROUP", ty, text, len);
    if (read_array(c, "XREADGROUP key", 2) < 0 ||
        read_bulk(c, "XREADGROUP key", key, sizeof key) < 0 ||
        (n = read_array(c, "XREADGROUP entries", -1)) < 0)
        return -1;
    if (n > opt.count) {
        fail("XREADGROUP COUNT %d returned %lld entries", opt.count, n);
        return -1;
    }
    for (e = 0; e < n; e++) {
        char *end;
        long long pid, seq;
        if (read_array(c, "XREADGROUP entry", 2) < 0 ||
            read_bulk(c, "XREADGROUP id", ids[e], ID_MAX) < 0 ||
            read_array(c, "XREADGROUP fields", 2) < 0 ||
            read_bulk(c, "XREADGROUP field", f, sizeof f) < 0 ||
            read_bulk(c, "XREADGROUP value", val, sizeof val) < 0)
            return -1;
        (*k)++;
        if (!strcmp(val, STOP_PAYLOAD)) {
            t[e] = -1;
            continue;
        }
        t[e] = strtoll(val, &end, 10);
        pid = *end == ':' ? strtoll(end + 1, &end, 10) : -1;
        seq = *end == ':' ? strtoll(end + 1, &end, 10) : -1;
        if (pid < 0 || pid >= opt.producers || seq < 0 || *end != ':') {
            fail("XREADGROUP: entry %s is not ours (%.20s)", ids[e], val);
            return -1;
        }
        if (mark_seen((int)pid, seq) < 0)
            return -1;
    }
    return 0;
}

static void *consumer(void *arg)
{
    worker_t *w = arg;
    sbuf rd = {NULL, 0, 0}, ack = {NULL, 0, 0};
    char name[32], cnt[24], blk[24], (*ids)[ID_MAX] = malloc((size_t)opt.count * ID_MAX);
    long long *t = malloc((size_t)opt.count * sizeof *t);
    int stop = 0;
    snprintf(name, sizeof name, "c%d", w->id);
    snprintf(cnt, sizeof cnt, "%d", opt.count);
    snprintf(blk, sizeof blk, "%d", opt.block_ms);
    {
        const char *a[] = {"XREADGROUP", "GROUP", opt.group, name, "COUNT", cnt,
                           "BLOCK", blk, "STREAMS", opt.key, ">"};
        size_t i;
        sb_add(&rd, "*11\r\n", 5);
        for (i = 0; i < sizeof a / sizeof *a; i++)
            sb_arg(&rd, a[i], strlen(a[i]));
    }
    if (!ids || !t) {
        fail("out of memory");
        goto out;
    }
    while (!stop && !is_stopped(&stop_consumers)) {
        int k, i, rc;
        long long n, now;
        char hdr[32], ty;
        const char *text;
        size_t len;
        if (conn_write(w->c, rd.p, rd.n) < 0 || (rc = read_entries(w->c, ids, t, &k)) < 0)
            break;
        if (rc == 1 || k == 0)
            continue;
        ack.n = 0;
        sb_add(&ack, hdr, (size_t)snprintf(hdr, sizeof hdr, "*%d\r\n", 3 + k));
        sb_arg(&ack, "XACK", 4);
        sb_arg(&ack, opt.key, strlen(opt.key));
        sb_arg(&ack, opt.group, strlen(opt.group));
        for (i = 0; i < k; i++)
            sb_arg(&ack, ids[i], strlen(ids[i]));
        if (conn_write(w->c, ack.p, ack.n) < 0 || read_line(w->c, &ty, &n, &text, &len) < 0)
            break;
        if (ty != ':') {
            reply_error("XACK", ty, text, len);
            break;
        }
        if (n != k) {
            fail("XACK of %d IDs acknowledged %lld: one acknowledged twice or never pending",
                 k, n);
            break;
        }
        now = now_us();
        for (i = 0; i < k; i++) {
            if (t[i] < 0) {
                stop = 1; /* pushed only once stop_consumers is raised */
                continue;
            }
            pthread_mutex_lock(&mu);
            acked_all++;
            if (waiting && sent - acked_all + opt.pipeline <= opt.inflight)
                pthread_cond_broadcast(&room);
            pthread_mutex_unlock(&mu);
            if (now <= t_end) {
                w->in_window++;
                h_add(w->h, now - t[i]);
            } else {
                w->after++;
            }
        }
    }
out:
    free(ids);
    free(t);
    free(rd.p);
    free(ack.p);
    return NULL;
}

/* ---------------------------------------------------------------- main */

static void usage(FILE *f)
{
    fputs("usage: kevy-streambench [options]\n"
          "  --host H / --port P     server (127.0.0.1:6379)\n"
          "  --key K                 the stream (streambench:s); deleted first\n"
          "  --group G               the consumer group (g)\n"
          "  --producers N           XADD connections (2)\n"
          "  --consumers M           XREADGROUP + XACK connections (4)\n"
          "  --pipeline P            XADDs per producer write (1)\n"
          "  --count n               XREADGROUP COUNT (10)\n"
          "  --block ms              XREADGROUP BLOCK (1000)\n"
          "  --inflight W            most entries added and not yet acknowledged\n"
          "                          (default: max(2*n*M, 2*P*N))\n"
          "  --maxlen L              XADD MAXLEN ~ L (100000; 0: no trimming)\n"
          "  --size B                payload bytes (32; the send time comes first)\n"
          "  --seconds S             the measured window (5)\n"
          "  --grace G               drain time after the producers stop (2)\n"
          "  --place-consumers X     any | local | remote to the key's shard (kevy)\n"
          "  --place-producers X     the same for the producers\n"
          "  --json                  one JSON object instead of text\n",
          f);
}

static int place_opt(const char *a, const char *s, int *out)
{
    *out = parse_place(s);
    if (*out < 0)
        fprintf(stderr, "streambench: %s %s: any, local or remote\n", a, s);
    return *out < 0 ? -1 : 0;
}

static int parse_args(int argc, char **argv)
{
    int i, rc = 0;
    opt.host = "127.0.0.1";
    opt.port = "6379";
    opt.key = "streambench:s";
    opt.group = "g";
    opt.producers = 2;
    opt.consumers = 4;
    opt.pipeline = 1;
    opt.count = 10;
    opt.block_ms = 1000;
    opt.maxlen = 100000;
    opt.size = 32;
    opt.seconds = 5;
    opt.grace = 2;
    for (i = 1; i < argc && rc == 0; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        }
        if (!strcmp(a, "--json")) {
            opt.json = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "streambench: %s needs a value (or unknown option)\n", a);
            return -1;
        }
        i++;
        if (!strcmp(a, "--host"))
            opt.host = v;
        else if (!strcmp(a, "--port"))
            opt.port = v;
        else if (!strcmp(a, "--key"))
            opt.key = v;
        else if (!strcmp(a, "--group"))
            opt.group = v;
        else if (!strcmp(a, "--place-consumers"))
            rc = place_opt(a, v, &opt.place_consumers);
        else if (!strcmp(a, "--place-producers"))
            rc = place_opt(a, v, &opt.place_producers);
        else if (!strcmp(a, "--seconds"))
            rc = num_arg(a, v, 0.1, 3600, &opt.seconds);
        else if (!strcmp(a, "--grace"))
            rc = num_arg(a, v, 0, 600, &opt.grace);
        else if (!strcmp(a, "--producers") || !strcmp(a, "--consumers"))
            rc = int_arg(a, v, 1, MAX_THREADS,
                         !strcmp(a, "--producers") ? &opt.producers : &opt.consumers);
        else if (!strcmp(a, "--pipeline"))
            rc = int_arg(a, v, 1, 1024, &opt.pipeline);
        else if (!strcmp(a, "--count"))
            rc = int_arg(a, v, 1, MAX_COUNT, &opt.count);
        else if (!strcmp(a, "--block"))
            rc = int_arg(a, v, 1, 60000, &opt.block_ms);
        else if (!strcmp(a, "--inflight"))
            rc = int_arg(a, v, 1, 100000000, &opt.inflight);
        else if (!strcmp(a, "--maxlen"))
            rc = int_arg(a, v, 0, 1000000000, &opt.maxlen);
        else if (!strcmp(a, "--size"))
            rc = int_arg(a, v, 0, MAX_PAYLOAD, &opt.size);
        else {
            fprintf(stderr, "streambench: unknown option %s\n", a);
            usage(stderr);
            return -1;
        }
    }
    if (rc != 0)
        return -1;
    if (!opt.inflight) {
        opt.inflight = 2 * opt.count * opt.consumers;
        if (opt.inflight < 2 * opt.pipeline * opt.producers)
            opt.inflight = 2 * opt.pipeline * opt.producers;
    }
    if (opt.inflight < opt.pipeline) {
        fprintf(stderr, "streambench: --inflight %d is below --pipeline %d\n", opt.inflight,
                opt.pipeline);
        return -1;
    }
    /* An approximate trim keeps at least maxlen entries: the unacknowledged
     * ones, at most inflight, must stay among them. */
    if (opt.maxlen && opt.maxlen < 2 * opt.inflight) {
        fprintf(stderr, "streambench: --maxlen %d is below 2 * --inflight %d\n", opt.maxlen,
                opt.inflight);
        return -1;
    }
    return 0;
}

/* Every entry produced was delivered once (the consumers checked "at most
 * once"), and the group has nothing pending: 0, or -1 after fail(). */
static int check_exactly_once(conn_t *ctl, long long *pending)
{
    sbuf b = {NULL, 0, 0};
    char ty;
    long long n;
    const char *text;
    size_t len;
    int pid, rc = -1;
    for (pid = 0; pid < opt.producers; pid++) {
        long long seq;
        for (seq = 0; seq < produced_by[pid]; seq++)
            if (seq >= seen_cap[pid] || !seen[pid][seq]) {
                fail("entry %d:%lld was produced and never delivered", pid, seq);
                return -1;
            }
    }
    /* XPENDING key group: [count, first, last, consumers] */
    sb_cmd(&b, 3, "XPENDING", opt.key, opt.group);
    if (conn_write(ctl, b.p, b.n) < 0 || read_line(ctl, &ty, &n, &text, &len) < 0)
        goto out;
    if (ty != '*' || n != 4 || read_line(ctl, &ty, pending, &text, &len) < 0 || ty != ':') {
        reply_error("XPENDING", ty, text, len);
        goto out;
    }
    if (*pending != 0) {
        fail("%lld entries delivered and never acknowledged", *pending);
        goto out;
    }
    rc = 0; /* the rest of the reply: nulls, the connection is not reused */
out:
    free(b.p);
    return rc;
}

int main(int argc, char **argv)
{
    conn_t *pc, *cc, ctl;
    worker_t *pw, *cw;
    hist_t *total;
    sbuf b = {NULL, 0, 0};
    long long produced_win = 0, produced = 0, acked_win = 0, acked = 0, pending = -1;
    long long t_start, t_stop = 0, t_drained = 0;
    long reconnects = 0;
    int i, started_p = 0, started_c = 0;

    bench_init("streambench");
    if (parse_args(argc, argv) < 0)
        return 2;
    watchdog((unsigned)(opt.seconds + opt.grace + 2 * sock_timeout() + 60));
    pc = calloc((size_t)opt.producers, sizeof *pc);
    cc = calloc((size_t)opt.consumers, sizeof *cc);
    pw = calloc((size_t)opt.producers, sizeof *pw);
    cw = calloc((size_t)opt.consumers, sizeof *cw);
    seen = calloc((size_t)opt.producers, sizeof *seen);
    seen_cap = calloc((size_t)opt.producers, sizeof *seen_cap);
    produced_by = calloc((size_t)opt.producers, sizeof *produced_by);
    total = calloc(1, sizeof *total);
    if (!pc || !cc || !pw || !cw || !seen || !seen_cap || !produced_by || !total) {
        fputs("streambench: out of memory\n", stderr);
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
    b.n = 0;
    sb_cmd(&b, 6, "XGROUP", "CREATE", opt.key, opt.group, "$", "MKSTREAM");
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
        outstanding = sent - acked_all;
        pthread_mutex_unlock(&mu);
        if (outstanding <= 0 || run_failed() || now_us() - t_stop >= (long long)(opt.grace * 1e6))
            break;
        sleep_us(1000);
    }
    t_drained = now_us();
    set_flag(&stop_consumers);
    if (!run_failed() && started_c > 0) {
        /* After everything else: wakes the consumers that block. */
        b.n = 0;
        for (i = 0; i < started_c; i++)
            add_xadd(&b, STOP_PAYLOAD, strlen(STOP_PAYLOAD), NULL);
        if (conn_write(&ctl, b.p, b.n) == 0)
            for (i = 0; i < started_c; i++) {
                char ty, id[ID_MAX];
                long long n;
                const char *text;
                size_t len;
                if (read_line(&ctl, &ty, &n, &text, &len) < 0 || ty != '$' ||
                    read_bulk_body(&ctl, n, id, sizeof id) < 0) {
                    reply_error("XADD stop", ty, text, len);
                    break;
                }
            }
    }
    for (i = 0; i < started_c; i++)
        pthread_join(cw[i].tid, NULL);
    for (i = 0; i < started_p; i++) {
        produced_win += pw[i].in_window;
        produced += pw[i].in_window + pw[i].after;
    }
    for (i = 0; i < started_c; i++) {
        acked_win += cw[i].in_window;
        acked += cw[i].in_window + cw[i].after;
        h_merge(total, cw[i].h);
    }
    if (!run_failed() && acked != produced)
        fail("%lld entries produced, %lld acknowledged", produced, acked);
    if (!run_failed())
        check_exactly_once(&ctl, &pending);

done:
    watchdog(0);
    if (!run_failed()) {
        double p50 = h_pct(total, 0.50), p99 = h_pct(total, 0.99), p999 = h_pct(total, 0.999);
        double mean = total->n ? (double)total->sum / (double)total->n : 0.0;
        if (opt.json)
            printf("{\"acked_per_s\": %.1f, \"produced_per_s\": %.1f, \"p50_us\": %.1f, "
                   "\"p99_us\": %.1f, \"p999_us\": %.1f, \"max_us\": %lld, \"mean_us\": %.1f, "
                   "\"acked\": %lld, \"produced\": %lld, \"pending\": %lld, \"lost\": 0, "
                   "\"drain_ms\": %.1f, \"seconds\": %g, \"producers\": %d, "
                   "\"consumers\": %d, \"pipeline\": %d, \"count\": %d, \"block_ms\": %d, "
                   "\"inflight\": %d, \"maxlen\": %d, \"size\": %d, "
                   "\"place_consumers\": \"%s\", \"place_producers\": \"%s\", "
                   "\"reconnects\": %ld}\n",
                   acked_win / opt.seconds, produced_win / opt.seconds, p50, p99, p999,
                   total->max, mean, acked, produced, pending, (t_drained - t_stop) / 1000.0,
                   opt.seconds, opt.producers, opt.consumers, opt.pipeline, opt.count,
                   opt.block_ms, opt.inflight, opt.maxlen, opt.size,
                   place_name(opt.place_consumers), place_name(opt.place_producers),
                   reconnects);
        else {
            printf("stream %s group %s on %s:%s: %d producers (pipeline %d), %d consumers "
                   "(COUNT %d BLOCK %d), inflight %d, MAXLEN ~ %d, %d-byte payloads, %gs; "
                   "consumers %s, producers %s (%ld reconnects to place them)\n",
                   opt.key, opt.group, opt.host, opt.port, opt.producers, opt.pipeline,
                   opt.consumers, opt.count, opt.block_ms, opt.inflight, opt.maxlen,
                   opt.size, opt.seconds, place_name(opt.place_consumers),
                   place_name(opt.place_producers), reconnects);
            printf("acked %.0f entries/s, produced %.0f entries/s\n", acked_win / opt.seconds,
                   produced_win / opt.seconds);
            printf("XADD -> XACK latency us: p50 %.0f  p99 %.0f  p99.9 %.0f  max %lld  "
                   "mean %.1f\n", p50, p99, p999, total->max, mean);
            printf("produced %lld, acknowledged %lld (each exactly once), pending %lld\n",
                   produced, acked, pending);
        }
    }
    for (i = 0; i < opt.producers; i++) {
        conn_close(&pc[i]);
        free(seen[i]);
    }
    for (i = 0; i < opt.consumers; i++) {
        conn_close(&cc[i]);
        free(cw[i].h);
    }
    conn_close(&ctl);
    free(pc);
    free(cc);
    free(pw);
    free(cw);
    free(seen);
    free(seen_cap);
    free(produced_by);
    free(total);
    free(b.p);
    return run_failed() ? 1 : 0;
}
