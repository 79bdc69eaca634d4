/* kevy-fanoutbench: a Pub/Sub fan-out load generator for any
 * Redis-compatible server.
 *
 * S subscriber connections each SUBSCRIBE to one of C channels (subscriber
 * i to channel i mod C: with C = 1, the default, every subscriber gets every
 * message); T reader threads poll() them (S/T connections each). P publisher
 * threads, one connection each, loop `PUBLISH <channel> <payload>`,
 * --pipeline commands per write, reading every reply (the number of
 * receivers); publisher p's n-th message goes to channel (p + n) mod C. The
 * payload starts with the publisher's send time (CLOCK_MONOTONIC, µs), so
 * every delivery gives a publish->receive latency.
 *
 * A closed loop: a message is in flight from its PUBLISH until its last
 * subscriber has it. The client knows each channel's subscribers, so it
 * counts the deliveries it is owed and keeps them at most --inflight times
 * the largest fan-out: with C = 1, at most --inflight messages are
 * undelivered. Nothing queues up without bound, and the latency measures
 * delivery, not a backlog that grows with the run.
 *
 * After --seconds the publishers stop (each reads the replies it is owed),
 * the subscribers receive what is left for up to --grace seconds (then 50 ms
 * more, to catch duplicates), and stop. Reported: deliveries per second
 * within the window (summed over subscribers), publishes per second, latency
 * percentiles, and the check: the receivers the PUBLISH replies counted,
 * summed, must equal the messages the subscribers received (`lost` =
 * receivers - delivered: positive, lost; negative, duplicated), and equal
 * the subscriptions the client made. Either mismatch prints the figures,
 * then exits 1. Messages one subscriber gets from one publisher must come in
 * publishing order: those that do not are counted (`out_of_order`).
 *
 * With kevy (INFO has kevy_shards) it also reports how many subscriber
 * connections each shard got: each one is asked before it subscribes, with
 * benchlib's kevy_forwarded_commands probe (see conn_shard), so the server
 * must be otherwise idle while the subscribers connect.
 *
 * C99 + POSIX + pthreads (benchlib.c); every socket has send/receive
 * timeouts, poll() wakes every 20 ms, and a watchdog (SIGALRM) ends a run
 * that overstays, so it never hangs. Exit status: 0 ok, 1 error (lost
 * messages included), 2 usage, 3 watchdog. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchlib.h"

#define MAX_PIPELINE 1024
#define MAX_PUBLISHERS 256
#define MAX_SUBSCRIBERS 1024
#define MAX_PAYLOAD (32 * 1024)
#define SOCK_TIMEOUT 6.0
#define POLL_MS 20
#define SETTLE_US 50000

/* ------------------------------------------------------------- options */

static struct {
    const char *host, *port, *prefix;
    int subscribers, publishers, channels, pipeline, inflight, size, sub_threads;
    int json, shard_report;
    double seconds, grace;
} opt;

/* ------------------------------------------------------- shared state */

static int stop_publishers, stop_subscribers; /* get_flag / set_flag */

static char **chan;        /* channel names */
static size_t *chan_len;
static long long *fanout;  /* subscribers per channel */
static long long cap;      /* most deliveries owed: inflight * max fan-out */
static long long max_fanout;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t room = PTHREAD_COND_INITIALIZER;
static long long owed, delivered_all; /* under mu */
static int waiting;                   /* publishers waiting for room, under mu */
static long long t_start, t_end;      /* the measured window; set before threads run */

static conn_t *subs;         /* the subscriber connections */
static long long *last_seq;  /* [subscriber * publishers + publisher] */

typedef struct {
    pthread_t tid;
    conn_t *c;
    int id;
    long long in_window, after; /* PUBLISH replies read */
    long long receivers;        /* their sum */
    long long expected;         /* the fan-out of what it published */
} pub_t;

typedef struct {
    pthread_t tid;
    int first, n; /* subscribers [first, first + n) */
    long long in_window, after, out_of_order;
    hist_t *h;
} reader_t;

/* Wait until `cost` more deliveries may be owed; 0 ok, -1 stopping. */
static int reserve(long long cost)
{
    int ok = 0;
    pthread_mutex_lock(&mu);
    while (owed + cost > cap && (ok = wait_room(&room, &mu, &stop_publishers, &waiting)) == 0)
        ;
    if (!ok)
        owed += cost;
    pthread_mutex_unlock(&mu);
    return ok;
}

static void *publisher(void *arg)
{
    pub_t *w = arg;
    sbuf b = {NULL, 0, 0};
    char *payload = malloc((size_t)opt.size + 64);
    long long seq = 0;
    int i;
    if (!payload) {
        fail("out of memory");
        return NULL;
    }
    while (!is_stopped(&stop_publishers)) {
        long long t, cost = 0;
        for (i = 0; i < opt.pipeline; i++)
            cost += fanout[(w->id + seq + i) % opt.channels];
        if (reserve(cost) < 0)
            break;
        b.n = 0;
        t = now_us();
        for (i = 0; i < opt.pipeline; i++) {
            int ch = (int)((w->id + seq) % opt.channels);
            int k = make_payload(payload, (size_t)opt.size + 64, opt.size, t, w->id, seq++);
            sb_add(&b, "*3\r\n$7\r\nPUBLISH\r\n", 17);
            sb_arg(&b, chan[ch], chan_len[ch]);
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
                reply_error("PUBLISH", ty, text, len);
                goto out;
            }
            w->receivers += n;
        }
        w->expected += cost;
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

/* One whole message (reply_ready said so: nothing here blocks) of
 * subscriber s, received at `now`. */
static int on_message(reader_t *r, int s, long long now)
{
    conn_t *c = &subs[s];
    char ty, word[16], tbuf[64], *end;
    long long n, t, pub, seq, *last;
    const char *text;
    size_t len;
    if (read_line(c, &ty, &n, &text, &len) < 0)
        return -1;
    if ((ty != '*' && ty != '>') || n != 3)
        return reply_error("subscriber", ty, text, len);
    if (read_line(c, &ty, &n, &text, &len) < 0)
        return -1;
    if (ty != '$' || n < 0 || n >= (long long)sizeof word)
        return reply_error("message kind", ty, text, len);
    if (read_bulk_body(c, n, word, sizeof word) < 0)
        return -1;
    word[n] = '\0';
    if (strcmp(word, "message") != 0) {
        fail("subscriber: a '%s' push, not a message", word);
        return -1;
    }
    if (read_line(c, &ty, &n, &text, &len) < 0)
        return -1;
    if (ty != '$' || n < 0)
        return reply_error("message channel", ty, text, len);
    if (read_bulk_body(c, n, NULL, 0) < 0 || read_line(c, &ty, &n, &text, &len) < 0)
        return -1;
    if (ty != '$' || n < 0)
        return reply_error("message payload", ty, text, len);
    memset(tbuf, 0, sizeof tbuf);
    if (read_bulk_body(c, n, tbuf, sizeof tbuf - 1) < 0)
        return -1;
    tbuf[n < (long long)sizeof tbuf - 1 ? n : (long long)sizeof tbuf - 1] = '\0';
    /* "<send time>:<publisher>:<seq>:xxx..." */
    t = strtoll(tbuf, &end, 10);
    if (end != tbuf && *end == ':') {
        pub = strtoll(end + 1, &end, 10);
        if (*end == ':') {
            seq = strtoll(end + 1, &end, 10);
            if (*end == ':' && pub >= 0 && pub < opt.publishers)
                goto ours;
        }
    }
    fail("subscriber: payload %.20s is not ours", tbuf);
    return -1;
ours:
    last = &last_seq[(long long)s * opt.publishers + pub];
    if (seq <= *last)
        r->out_of_order++;
    *last = seq;
    if (now <= t_end) {
        r->in_window++;
        h_add(r->h, now - t);
    } else {
        r->after++;
    }
    return 0;
}

static void *reader(void *arg)
{
    reader_t *r = arg;
    struct pollfd *pfd = calloc((size_t)r->n, sizeof *pfd);
    int k;
    if (!pfd) {
        fail("out of memory");
        return NULL;
    }
    for (k = 0; k < r->n; k++) {
        pfd[k].fd = subs[r->first + k].fd;
        pfd[k].events = POLLIN;
    }
    while (!is_stopped(&stop_subscribers)) {
        long long got = 0;
        int ready = poll(pfd, (nfds_t)r->n, POLL_MS);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            fail("poll: %s", strerror(errno));
            break;
        }
        for (k = 0; k < r->n && ready > 0; k++) {
            conn_t *c = &subs[r->first + k];
            long long now;
            if (!pfd[k].revents)
                continue;
            ready--;
            if (conn_fill(c) < 0) /* readable: one recv() that does not block */
                goto out;
            now = now_us();
            while (reply_ready(c)) {
                if (on_message(r, r->first + k, now) < 0)
                    goto out;
                got++;
            }
        }
        if (got) {
            pthread_mutex_lock(&mu);
            delivered_all += got;
            owed -= got;
            /* Wake the publishers only once a whole batch fits: waking them
             * per message would cost context switches the server is not
             * responsible for. */
            if (waiting && owed + opt.pipeline * max_fanout <= cap)
                pthread_cond_broadcast(&room);
            pthread_mutex_unlock(&mu);
        }
    }
out:
    free(pfd);
    return NULL;
}

/* ------------------------------------------------------------------ main */

static void usage(FILE *f)
{
    fputs("usage: kevy-fanoutbench [options]\n"
          "  --host H              server address (127.0.0.1)\n"
          "  --port P              server port (6379)\n"
          "  --subscribers S       subscriber connections (16)\n"
          "  --publishers N        publisher threads, one connection each (2)\n"
          "  --channels C          channels; subscriber i takes channel i mod C (1)\n"
          "  --prefix X            channel names: X0, X1, ... (fanout:)\n"
          "  --seconds S           length of the measured window (5)\n"
          "  --pipeline P          PUBLISH commands per publisher write (1)\n"
          "  --inflight W          most messages published and not yet delivered to\n"
          "                        all their subscribers, counted in deliveries: W times\n"
          "                        the largest fan-out (default: max(4, 2*P*N))\n"
          "  --size B              payload bytes (32; the send time comes first)\n"
          "  --sub-threads T       threads that poll() the subscribers (min(S, 4))\n"
          "  --grace G             time to receive what is owed after the publishers\n"
          "                        stop, seconds (2)\n"
          "  --no-shard-report     kevy: do not ask each subscriber's shard\n"
          "  --json                one JSON object instead of text\n",
          f);
}

static int parse_args(int argc, char **argv)
{
    int i;
    opt.host = "127.0.0.1";
    opt.port = "6379";
    opt.prefix = "fanout:";
    opt.subscribers = 16;
    opt.publishers = 2;
    opt.channels = 1;
    opt.pipeline = 1;
    opt.size = 32;
    opt.seconds = 5;
    opt.grace = 2;
    opt.shard_report = 1;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        }
        if (!strcmp(a, "--json")) {
            opt.json = 1;
            continue;
        }
        if (!strcmp(a, "--no-shard-report")) {
            opt.shard_report = 0;
            continue;
        }
        if (!v) {
            fprintf(stderr, "fanoutbench: %s needs a value (or unknown option)\n", a);
            return -1;
        }
        i++;
        if (!strcmp(a, "--host"))
            opt.host = v;
        else if (!strcmp(a, "--port"))
            opt.port = v;
        else if (!strcmp(a, "--prefix"))
            opt.prefix = v;
        else if (!strcmp(a, "--seconds"))
            rc = num_arg(a, v, 0.1, 3600, &opt.seconds);
        else if (!strcmp(a, "--grace"))
            rc = num_arg(a, v, 0, 600, &opt.grace);
        else if (!strcmp(a, "--subscribers"))
            rc = int_arg(a, v, 1, MAX_SUBSCRIBERS, &opt.subscribers);
        else if (!strcmp(a, "--publishers"))
            rc = int_arg(a, v, 1, MAX_PUBLISHERS, &opt.publishers);
        else if (!strcmp(a, "--channels"))
            rc = int_arg(a, v, 1, MAX_SUBSCRIBERS, &opt.channels);
        else if (!strcmp(a, "--pipeline"))
            rc = int_arg(a, v, 1, MAX_PIPELINE, &opt.pipeline);
        else if (!strcmp(a, "--inflight"))
            rc = int_arg(a, v, 1, 100000000, &opt.inflight);
        else if (!strcmp(a, "--size"))
            rc = int_arg(a, v, 0, MAX_PAYLOAD, &opt.size);
        else if (!strcmp(a, "--sub-threads"))
            rc = int_arg(a, v, 1, MAX_SUBSCRIBERS, &opt.sub_threads);
        else {
            fprintf(stderr, "fanoutbench: unknown option %s\n", a);
            usage(stderr);
            return -1;
        }
        if (rc < 0)
            return -1;
    }
    if (opt.channels > opt.subscribers) {
        fprintf(stderr, "fanoutbench: --channels %d: more than the %d subscribers\n",
                opt.channels, opt.subscribers);
        return -1;
    }
    if (!opt.sub_threads)
        opt.sub_threads = opt.subscribers < 4 ? opt.subscribers : 4;
    if (opt.sub_threads > opt.subscribers)
        opt.sub_threads = opt.subscribers;
    if (!opt.inflight) {
        opt.inflight = 2 * opt.pipeline * opt.publishers;
        if (opt.inflight < 4)
            opt.inflight = 4;
    }
    if (opt.inflight < opt.pipeline) {
        fprintf(stderr, "fanoutbench: --inflight %d is below --pipeline %d\n", opt.inflight,
                opt.pipeline);
        return -1;
    }
    return 0;
}

/* Channel names and fan-outs, the owed-deliveries cap. */
static int setup_channels(void)
{
    int i;
    chan = calloc((size_t)opt.channels, sizeof *chan);
    chan_len = calloc((size_t)opt.channels, sizeof *chan_len);
    fanout = calloc((size_t)opt.channels, sizeof *fanout);
    if (!chan || !chan_len || !fanout)
        return -1;
    for (i = 0; i < opt.channels; i++) {
        size_t n = strlen(opt.prefix) + 16;
        if (!(chan[i] = malloc(n)))
            return -1;
        chan_len[i] = (size_t)snprintf(chan[i], n, "%s%d", opt.prefix, i);
    }
    for (i = 0; i < opt.subscribers; i++)
        fanout[i % opt.channels]++;
    for (i = 0; i < opt.channels; i++)
        if (fanout[i] > max_fanout)
            max_fanout = fanout[i];
    cap = (long long)opt.inflight * max_fanout;
    return 0;
}

/* SUBSCRIBE every subscriber to its channel; their replies. */
static int subscribe_all(void)
{
    sbuf b = {NULL, 0, 0};
    int i, rc = -1;
    for (i = 0; i < opt.subscribers; i++) {
        int ch = i % opt.channels;
        char ty, word[16];
        long long n;
        const char *text;
        size_t len;
        b.n = 0;
        sb_add(&b, "*2\r\n$9\r\nSUBSCRIBE\r\n", 19);
        sb_arg(&b, chan[ch], chan_len[ch]);
        if (conn_write(&subs[i], b.p, b.n) < 0 || read_line(&subs[i], &ty, &n, &text, &len) < 0)
            goto out;
        if ((ty != '*' && ty != '>') || n != 3) {
            reply_error("SUBSCRIBE", ty, text, len);
            goto out;
        }
        /* ["subscribe", channel, 1] */
        if (read_line(&subs[i], &ty, &n, &text, &len) < 0)
            goto out;
        if (ty != '$' || n < 0 || n >= (long long)sizeof word) {
            reply_error("SUBSCRIBE", ty, text, len);
            goto out;
        }
        if (read_bulk_body(&subs[i], n, word, sizeof word) < 0)
            goto out;
        word[n] = '\0';
        if (strcmp(word, "subscribe") != 0) {
            fail("SUBSCRIBE: replied '%s'", word);
            goto out;
        }
        if (read_line(&subs[i], &ty, &n, &text, &len) < 0 || ty != '$' || n < 0 ||
            read_bulk_body(&subs[i], n, NULL, 0) < 0 ||
            read_line(&subs[i], &ty, &n, &text, &len) < 0)
            goto out;
        if (ty != ':' || n != 1) {
            fail("SUBSCRIBE: the reply's count is not 1");
            goto out;
        }
    }
    rc = 0;
out:
    if (rc < 0 && !run_failed())
        fail("SUBSCRIBE: unexpected reply");
    free(b.p);
    return rc;
}

int main(int argc, char **argv)
{
    conn_t *pc = NULL, ctl;
    pub_t *pw = NULL;
    reader_t *rw = NULL;
    hist_t *total = NULL;
    int *shard_of = NULL, *per_shard = NULL;
    long long nshards = -1;
    long long published_win = 0, published_after = 0, delivered_win = 0, delivered_after = 0;
    long long receivers = 0, expected = 0, out_of_order = 0, t_stop = 0, t_drained = 0;
    int i, started_p = 0, started_r = 0, checked = 0;
    double window;

    bench_init("fanoutbench");
    if (parse_args(argc, argv) < 0)
        return 2;
    /* Connecting (and asking shards), the window, the drain, and every
     * socket timeout, with room to spare. */
    watchdog((unsigned)(opt.seconds + opt.grace + 2 * SOCK_TIMEOUT + opt.subscribers / 10 + 60));

    pc = calloc((size_t)opt.publishers, sizeof *pc);
    pw = calloc((size_t)opt.publishers, sizeof *pw);
    subs = calloc((size_t)opt.subscribers, sizeof *subs);
    last_seq = calloc((size_t)opt.subscribers * (size_t)opt.publishers, sizeof *last_seq);
    rw = calloc((size_t)opt.sub_threads, sizeof *rw);
    total = calloc(1, sizeof *total);
    shard_of = calloc((size_t)opt.subscribers, sizeof *shard_of);
    if (!pc || !pw || !subs || !last_seq || !rw || !total || !shard_of || setup_channels() < 0) {
        fputs("fanoutbench: out of memory\n", stderr);
        return 1;
    }
    for (i = 0; i < opt.publishers; i++)
        pc[i].fd = -1;
    for (i = 0; i < opt.subscribers; i++) {
        subs[i].fd = -1;
        shard_of[i] = -1;
    }
    for (i = 0; i < opt.subscribers * opt.publishers; i++)
        last_seq[i] = -1;
    ctl.fd = -1;

    if (conn_open(&ctl, opt.host, opt.port, SOCK_TIMEOUT) < 0)
        goto done;
    if (opt.shard_report && (nshards = info_field(&ctl, "server", "kevy_shards")) == -1)
        goto done; /* -2: not kevy */
    if (nshards > 0 && !(per_shard = calloc((size_t)nshards, sizeof *per_shard))) {
        fail("out of memory");
        goto done;
    }
    /* Every subscriber's shard first: the probe needs an idle server. */
    for (i = 0; i < opt.subscribers; i++) {
        if (conn_open(&subs[i], opt.host, opt.port, SOCK_TIMEOUT) < 0)
            goto done;
        if (nshards > 0 && (shard_of[i] = nshards == 1 ? 0 : conn_shard(&subs[i], (int)nshards)) < 0)
            goto done;
        if (nshards > 0)
            per_shard[shard_of[i]]++;
    }
    if (subscribe_all() < 0)
        goto done;
    for (i = 0; i < opt.publishers; i++)
        if (conn_open(&pc[i], opt.host, opt.port, SOCK_TIMEOUT) < 0)
            goto done;

    t_start = now_us();
    t_end = t_start + (long long)(opt.seconds * 1e6);
    for (i = 0; i < opt.sub_threads; i++) {
        rw[i].first = (int)((long long)opt.subscribers * i / opt.sub_threads);
        rw[i].n = (int)((long long)opt.subscribers * (i + 1) / opt.sub_threads) - rw[i].first;
        if (!(rw[i].h = calloc(1, sizeof *rw[i].h)) ||
            pthread_create(&rw[i].tid, NULL, reader, &rw[i]) != 0) {
            fail("cannot start subscriber thread %d", i);
            goto stop;
        }
        started_r++;
    }
    for (i = 0; i < opt.publishers; i++) {
        pw[i].c = &pc[i];
        pw[i].id = i;
        if (pthread_create(&pw[i].tid, NULL, publisher, &pw[i]) != 0) {
            fail("cannot start publisher thread %d", i);
            goto stop;
        }
        started_p++;
    }
    while (!run_failed() && now_us() < t_end)
        sleep_us(t_end - now_us() > 10000 ? 10000 : t_end - now_us());

stop:
    /* Publishers first (each reads the replies it is owed), then the rest
     * of the deliveries. */
    set_flag(&stop_publishers);
    pthread_mutex_lock(&mu);
    pthread_cond_broadcast(&room);
    pthread_mutex_unlock(&mu);
    for (i = 0; i < started_p; i++) {
        pthread_join(pw[i].tid, NULL);
        receivers += pw[i].receivers;
        expected += pw[i].expected;
        published_win += pw[i].in_window;
        published_after += pw[i].after;
    }
    t_stop = now_us();
    for (;;) {
        long long got;
        pthread_mutex_lock(&mu);
        got = delivered_all;
        pthread_mutex_unlock(&mu);
        if (got >= receivers || run_failed() || now_us() - t_stop >= (long long)(opt.grace * 1e6))
            break;
        sleep_us(1000);
    }
    t_drained = now_us();
    if (!run_failed())
        sleep_us(SETTLE_US); /* a duplicate would come now */
    set_flag(&stop_subscribers);
    for (i = 0; i < started_r; i++) {
        pthread_join(rw[i].tid, NULL);
        delivered_win += rw[i].in_window;
        delivered_after += rw[i].after;
        out_of_order += rw[i].out_of_order;
        h_merge(total, rw[i].h);
    }
    checked = 1;

done:
    watchdog(0);
    window = opt.seconds;
    if (!run_failed() && checked) {
        long long delivered = delivered_win + delivered_after;
        long long published = published_win + published_after;
        long long lost = receivers - delivered;
        if (opt.json) {
            printf("{\"delivered_per_s\": %.1f, \"published_per_s\": %.1f, "
                   "\"p50_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f, "
                   "\"max_us\": %lld, \"mean_us\": %.1f, "
                   "\"delivered\": %lld, \"published\": %lld, \"receivers\": %lld, "
                   "\"expected\": %lld, \"lost\": %lld, \"out_of_order\": %lld, "
                   "\"drain_ms\": %.1f, \"seconds\": %g, \"subscribers\": %d, "
                   "\"publishers\": %d, \"channels\": %d, \"pipeline\": %d, \"inflight\": %d, "
                   "\"size\": %d, \"sub_threads\": %d, \"shards\": ",
                   delivered_win / window, published_win / window, h_pct(total, 0.50),
                   h_pct(total, 0.99), h_pct(total, 0.999), total->max, h_mean(total),
                   delivered, published, receivers, expected, lost, out_of_order,
                   (t_drained - t_stop) / 1000.0, window, opt.subscribers, opt.publishers,
                   opt.channels, opt.pipeline, opt.inflight, opt.size, opt.sub_threads);
            if (per_shard) {
                for (i = 0; i < nshards; i++)
                    printf("%s%d", i ? ", " : "[", per_shard[i]);
                printf("]}\n");
            } else {
                printf("null}\n");
            }
        } else {
            printf("fanout on %s:%s: %d subscribers on %d channel%s (%d poll threads), "
                   "%d publishers (pipeline %d), inflight %d, %d-byte payloads, %gs\n",
                   opt.host, opt.port, opt.subscribers, opt.channels,
                   opt.channels == 1 ? "" : "s", opt.sub_threads, opt.publishers,
                   opt.pipeline, opt.inflight, opt.size, window);
            if (per_shard) {
                printf("subscribers per shard:");
                for (i = 0; i < nshards; i++)
                    printf(" %d", per_shard[i]);
                printf("\n");
            }
            printf("delivered %.0f msg/s, published %.0f msg/s\n", delivered_win / window,
                   published_win / window);
            printf("latency us: p50 %.0f  p99 %.0f  p99.9 %.0f  max %lld  mean %.1f\n",
                   h_pct(total, 0.50), h_pct(total, 0.99), h_pct(total, 0.999), total->max,
                   h_mean(total));
            printf("published %lld, receivers counted %lld (subscribed %lld), delivered %lld, "
                   "lost %lld, out of order %lld\n",
                   published, receivers, expected, delivered, lost, out_of_order);
        }
        fflush(stdout);
        if (lost != 0)
            fail("%lld message%s %s: PUBLISH counted %lld receivers, the subscribers got %lld "
                 "(after a %.1f s grace)",
                 lost < 0 ? -lost : lost, lost == 1 || lost == -1 ? "" : "s",
                 lost > 0 ? "lost" : "duplicated", receivers, delivered, opt.grace);
        else if (receivers != expected)
            fail("PUBLISH counted %lld receivers for messages sent to %lld subscriptions",
                 receivers, expected);
    }
    for (i = 0; i < opt.publishers; i++)
        conn_close(&pc[i]);
    for (i = 0; i < opt.subscribers; i++)
        conn_close(&subs[i]);
    for (i = 0; i < opt.sub_threads; i++)
        free(rw[i].h);
    for (i = 0; i < opt.channels; i++)
        free(chan[i]);
    conn_close(&ctl);
    free(chan);
    free(chan_len);
    free(fanout);
    free(pc);
    free(pw);
    free(subs);
    free(last_seq);
    free(rw);
    free(total);
    free(shard_of);
    free(per_shard);
    return run_failed() ? 1 : 0;
}
