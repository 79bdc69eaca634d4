/* LATENCY (LATEST, HISTORY, RESET, GRAPH, DOCTOR, HISTOGRAM, HELP) and the
 * latency monitor behind it: each shard keeps Redis's per-event rings of
 * 160 one-second samples for the commands its clients run; the LATENCY
 * commands run on every shard and merge the shards' events by name and
 * second (the max), so the server answers as one Redis would. HISTOGRAM
 * reads the per-command histograms INFO latencystats keeps (cmdstats.c). */
#include "cmd/server/svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KV_LAT_LEN 160     /* Redis's LATENCY_TS_LEN: samples kept per event */
#define KV_LAT_NAME 32     /* event names are kevy's own, all short */
#define KV_LAT_GRAPH_COLS 80
#define KV_LAT_GRAPH_ROWS 4

typedef struct kv_lat_sample {
    long long time, ms; /* time 0: an unused slot, as in Redis */
} kv_lat_sample;

/* One event's ring on one shard: Redis's latencyTimeSeries. */
typedef struct kv_lat_event {
    char name[KV_LAT_NAME];
    int idx; /* next slot to write */
    long long max;
    kv_lat_sample s[KV_LAT_LEN];
} kv_lat_event;

struct kv_latency {
    kv_lat_event *ev; /* in creation order */
    int n, cap;
};

void kv_latency_free(kv_svc *sv)
{
    if (!sv->lat)
        return;
    free(sv->lat->ev);
    free(sv->lat);
    sv->lat = NULL;
}

/* Redis's latencyAddSample: one sample per second, the worst one kept. */
void kv_latency_add(kv_svc *sv, const char *event, long long ms, long long now_s)
{
    struct kv_latency *l = sv->lat;
    kv_lat_event *e = NULL;
    int i, prev;
    if (!l && !(l = sv->lat = calloc(1, sizeof *l)))
        abort();
    for (i = 0; i < l->n && !e; i++)
        if (!strcmp(l->ev[i].name, event))
            e = &l->ev[i];
    if (!e) {
        if (l->n == l->cap) {
            l->cap = l->cap ? l->cap * 2 : 4;
            if (!(l->ev = realloc(l->ev, (size_t)l->cap * sizeof *l->ev)))
                abort();
        }
        e = &l->ev[l->n++];
        memset(e, 0, sizeof *e);
        snprintf(e->name, sizeof e->name, "%s", event);
    }
    if (ms > e->max)
        e->max = ms;
    prev = (e->idx + KV_LAT_LEN - 1) % KV_LAT_LEN;
    if (e->s[prev].time == now_s) {
        if (ms > e->s[prev].ms)
            e->s[prev].ms = ms;
        return;
    }
    e->s[e->idx].time = now_s;
    e->s[e->idx].ms = ms;
    e->idx = (e->idx + 1) % KV_LAT_LEN;
}

/* ------------------------------------------------- a shard's events, merged */

/* One event as the server sees it: every shard's samples of that name,
 * oldest first, one per second (the max), at most the newest 160. */
typedef struct kv_lat_view {
    kv_str name; /* points into a shard's part */
    long long max;
    kv_lat_sample *s;
    int n, cap;
} kv_lat_view;

typedef struct kv_lat_all {
    kv_lat_view *v;
    int n, cap;
    kv_str filter; /* HISTORY / GRAPH: the event asked for ("" for all) */
} kv_lat_all;

/* A shard's part: [filter, [[name, max, [time, ms, ...]] ...]],
 * the samples oldest first; with a filter only that event (matched as
 * Redis's dictionary does, case-sensitively). */
static void kv_lat_dump(kv_ctx *ctx, const kv_str *filter)
{
    const struct kv_latency *l = kv_svc_of(ctx)->lat;
    int i, j, n = 0, k;
    for (i = 0; l && i < l->n; i++)
        n += !filter || (strlen(l->ev[i].name) == filter->n &&
                         !memcmp(l->ev[i].name, filter->p, filter->n));
    kv_reply_array(&ctx->out, 2);
    kv_reply_bulk(&ctx->out, filter ? filter->p : "", filter ? filter->n : 0);
    kv_reply_array(&ctx->out, n);
    for (i = 0; l && i < l->n; i++) {
        const kv_lat_event *e = &l->ev[i];
        if (filter && !(strlen(e->name) == filter->n && !memcmp(e->name, filter->p, filter->n)))
            continue;
        for (j = 0, k = 0; j < KV_LAT_LEN; j++)
            k += e->s[j].time != 0;
        kv_reply_array(&ctx->out, 3);
        kv_reply_bulk_cstr(&ctx->out, e->name);
        kv_reply_int(&ctx->out, e->max);
        kv_reply_array(&ctx->out, 2 * k);
        for (j = 0; j < KV_LAT_LEN; j++) {
            const kv_lat_sample *s = &e->s[(e->idx + j) % KV_LAT_LEN];
            if (!s->time)
                continue;
            kv_reply_int(&ctx->out, s->time);
            kv_reply_int(&ctx->out, s->ms);
        }
    }
}

static kv_lat_view *kv_lat_view_of(kv_lat_all *a, kv_str name)
{
    int i;
    for (i = 0; i < a->n; i++)
        if (a->v[i].name.n == name.n && !memcmp(a->v[i].name.p, name.p, name.n))
            return &a->v[i];
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 4;
        if (!(a->v = realloc(a->v, (size_t)a->cap * sizeof *a->v)))
            abort();
    }
    memset(&a->v[a->n], 0, sizeof a->v[a->n]);
    a->v[a->n].name = name;
    return &a->v[a->n++];
}

static int kv_lat_sample_cmp(const void *a, const void *b)
{
    long long x = ((const kv_lat_sample *)a)->time, y = ((const kv_lat_sample *)b)->time;
    return x < y ? -1 : x > y;
}

static void kv_lat_all_free(kv_lat_all *a)
{
    int i;
    for (i = 0; i < a->n; i++)
        free(a->v[i].s);
    free(a->v);
}

/* Read every part into a (events by first appearance); 0, or -1 after
 * passing on a part's error. */
static int kv_lat_merge(kv_ctx *ctx, const kv_part *parts, int nparts, kv_lat_all *a)
{
    int k, i;
    memset(a, 0, sizeof *a);
    for (k = 0; k < nparts; k++) {
        const char *p = parts[k].reply, *end = p + parts[k].len;
        long long three, nev, e, max, ns, j;
        kv_str filter, name;
        if (parts[k].len == 0 || p[0] != '*') {
            kv_reply_raw(&ctx->out, parts[k].reply, parts[k].len);
            kv_lat_all_free(a);
            return -1;
        }
        if (kv_rd_header(&p, end, '*', &three) || kv_rd_bulk_at(&p, end, &filter) ||
            kv_rd_header(&p, end, '*', &nev))
            continue;
        a->filter = filter;
        for (e = 0; e < nev; e++) {
            kv_lat_view *v;
            if (kv_rd_header(&p, end, '*', &three) || kv_rd_bulk_at(&p, end, &name) ||
                kv_rd_header(&p, end, ':', &max) || kv_rd_header(&p, end, '*', &ns))
                break;
            v = kv_lat_view_of(a, name);
            if (max > v->max)
                v->max = max;
            for (j = 0; j + 1 < ns; j += 2) {
                kv_lat_sample s;
                if (kv_rd_header(&p, end, ':', &s.time) || kv_rd_header(&p, end, ':', &s.ms))
                    break;
                if (v->n == v->cap) {
                    v->cap = v->cap ? v->cap * 2 : KV_LAT_LEN;
                    if (!(v->s = realloc(v->s, (size_t)v->cap * sizeof *v->s)))
                        abort();
                }
                v->s[v->n++] = s;
            }
        }
    }
    /* One sample per second, the worst of the shards', the newest 160. */
    for (i = 0; i < a->n; i++) {
        kv_lat_view *v = &a->v[i];
        int r, w = 0;
        if (v->n)
            qsort(v->s, (size_t)v->n, sizeof *v->s, kv_lat_sample_cmp);
        for (r = 0; r < v->n; r++) {
            if (w && v->s[w - 1].time == v->s[r].time) {
                if (v->s[r].ms > v->s[w - 1].ms)
                    v->s[w - 1].ms = v->s[r].ms;
            } else {
                v->s[w++] = v->s[r];
            }
        }
        if (w > KV_LAT_LEN) {
            memmove(v->s, v->s + (w - KV_LAT_LEN), KV_LAT_LEN * sizeof *v->s);
            w = KV_LAT_LEN;
        }
        v->n = w;
    }
    return 0;
}

/* ------------------------------------------------------ LATEST, HISTORY */

static void kv_cmd_latency_dump_all(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    (void)argv;
    kv_lat_dump(ctx, NULL);
}

static void kv_cmd_latency_dump_one(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    kv_lat_dump(ctx, &argv[2]);
}

static void kv_reduce_latency_latest(kv_ctx *ctx, const kv_part *parts, int nparts)
{
    kv_lat_all a;
    int i;
    if (kv_lat_merge(ctx, parts, nparts, &a))
        return;
    kv_reply_array(&ctx->out, a.n);
    for (i = 0; i < a.n; i++) {
        const kv_lat_view *v = &a.v[i];
        kv_reply_array(&ctx->out, 4);
        kv_reply_bulk(&ctx->out, v->name.p, v->name.n);
        kv_reply_int(&ctx->out, v->n ? v->s[v->n - 1].time : 0);
        kv_reply_int(&ctx->out, v->n ? v->s[v->n - 1].ms : 0);
        kv_reply_int(&ctx->out, v->max);
    }
    kv_lat_all_free(&a);
}

static void kv_reduce_latency_history(kv_ctx *ctx, const kv_part *parts, int nparts)
{
    kv_lat_all a;
    int i;
    if (kv_lat_merge(ctx, parts, nparts, &a))
        return;
    kv_reply_array(&ctx->out, a.n ? a.v[0].n : 0);
    for (i = 0; a.n && i < a.v[0].n; i++) {
        kv_reply_array(&ctx->out, 2);
        kv_reply_int(&ctx->out, a.v[0].s[i].time);
        kv_reply_int(&ctx->out, a.v[0].s[i].ms);
    }
    kv_lat_all_free(&a);
}

/* ----------------------------------------------------------------- GRAPH */

static void kv_buf_puts(kv_buf *b, const char *s)
{
    kv_buf_append(b, s, strlen(s));
}

/* Redis's sparklineRenderRange with SPARKLINE_FILL (sparkline.c): rows of
 * "_o#|" from the top, then a blank row and the labels written downwards. */
static void kv_spark_range(kv_buf *b, const kv_lat_sample *s, char (*labels)[24], double min,
                           double max, int offset, int len)
{
    static const char fill[] = "_o#";
    const int clen = 3, steps = clen * KV_LAT_GRAPH_ROWS;
    double relmax = max - min;
    char chars[KV_LAT_GRAPH_COLS];
    int row = 0, loop = 1, j;
    if (relmax == 0)
        relmax = 1;
    while (loop) {
        loop = 0;
        memset(chars, ' ', (size_t)len);
        for (j = 0; j < len; j++) {
            double relval = (double)s[j + offset].ms - min;
            int step = (int)((double)(int)(relval * steps) / relmax);
            if (step < 0)
                step = 0;
            if (step >= steps)
                step = steps - 1;
            if (row < KV_LAT_GRAPH_ROWS) {
                int charidx = step - ((KV_LAT_GRAPH_ROWS - row - 1) * clen);
                loop = 1;
                if (charidx >= 0 && charidx < clen)
                    chars[j] = fill[charidx];
                else if (charidx >= clen)
                    chars[j] = '|';
            } else {
                const char *label = labels[j + offset];
                int label_char = row - KV_LAT_GRAPH_ROWS - 1;
                if (row - KV_LAT_GRAPH_ROWS < 1) { /* the blank row above the labels */
                    loop = 1;
                    break;
                }
                if ((int)strlen(label) > label_char) {
                    loop = 1;
                    chars[j] = label[label_char];
                }
            }
        }
        if (loop) {
            row++;
            kv_buf_append(b, chars, (size_t)len);
            kv_buf_append(b, "\n", 1);
        }
    }
}

static void kv_lat_graph(kv_buf *b, const kv_lat_view *v, long long now)
{
    char(*labels)[24] = malloc((size_t)(v->n ? v->n : 1) * sizeof *labels);
    char line[256];
    long long min = 0, max = 0;
    int j;
    if (!labels)
        abort();
    for (j = 0; j < v->n; j++) {
        long long ms = v->s[j].ms, elapsed = now - v->s[j].time;
        if (j == 0 || ms > max)
            max = ms;
        if (j == 0 || ms < min)
            min = ms;
        /* the label: how long ago, in seconds, minutes, hours or days */
        if (elapsed < 60)
            snprintf(labels[j], sizeof labels[j], "%llds", elapsed);
        else if (elapsed < 3600)
            snprintf(labels[j], sizeof labels[j], "%lldm", elapsed / 60);
        else if (elapsed < 3600 * 24)
            snprintf(labels[j], sizeof labels[j], "%lldh", elapsed / 3600);
        else
            snprintf(labels[j], sizeof labels[j], "%lldd", elapsed / (3600 * 24));
    }
    snprintf(line, sizeof line, "%.*s - high %lld ms, low %lld ms (all time high %lld ms)\n",
             (int)(v->name.n > 64 ? 64 : v->name.n), v->name.p, max, min, v->max);
    kv_buf_puts(b, line);
    for (j = 0; j < KV_LAT_GRAPH_COLS; j++)
        kv_buf_append(b, "-", 1);
    kv_buf_append(b, "\n", 1);
    for (j = 0; j < v->n; j += KV_LAT_GRAPH_COLS) {
        int sublen = v->n - j < KV_LAT_GRAPH_COLS ? v->n - j : KV_LAT_GRAPH_COLS;
        if (j != 0)
            kv_buf_append(b, "\n", 1);
        kv_spark_range(b, v->s, labels, (double)min, (double)max, j, sublen);
    }
    free(labels);
}

static void kv_reduce_latency_graph(kv_ctx *ctx, const kv_part *parts, int nparts)
{
    kv_lat_all a;
    kv_buf b;
    if (kv_lat_merge(ctx, parts, nparts, &a))
        return;
    if (!a.n) {
        kv_reply_errorf(&ctx->out, "ERR No samples available for event '%.*s'",
                        (int)kv_arg_cstrlen(&a.filter), a.filter.p);
        kv_lat_all_free(&a);
        return;
    }
    kv_buf_init(&b);
    kv_lat_graph(&b, &a.v[0], kv_now_ms(ctx) / 1000);
    kv_reply_verbatim(&ctx->out, b.p, b.len, "txt");
    kv_buf_free(&b);
    kv_lat_all_free(&a);
}

/* ---------------------------------------------------------------- DOCTOR */

enum {
    ADV_SLOWLOG_ENABLED,
    ADV_SLOWLOG_TUNING,
    ADV_SLOWLOG_INSPECT,
    ADV_SCHEDULER,
    ADV_LARGE_OBJECTS,
    ADV_COUNT
};

/* Redis's createLatencyReport for the events kevy records ("command",
 * "fast-command"): the same sentences in the same order. */
static void kv_lat_report(kv_buf *b, const kv_lat_all *a, const kv_svc *sv, long long now)
{
    int adv[ADV_COUNT] = {0}, advices = 0, i, j;
    char line[512];
    if (a->n == 0 && sv->latency_threshold == 0) {
        kv_buf_puts(b, "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this "
                       "Redis instance. You may use \"CONFIG SET latency-monitor-threshold "
                       "<milliseconds>.\" in order to enable it. If we weren't in a deep space "
                       "mission I'd suggest to take a look at "
                       "https://redis.io/topics/latency-monitor.\n");
        return;
    }
    for (i = 0; i < a->n; i++) {
        const kv_lat_view *v = &a->v[i];
        long long sum = 0, avg = 0, mad = 0, period = 0;
        char name[KV_LAT_NAME];
        snprintf(name, sizeof name, "%.*s", (int)v->name.n, v->name.p);
        if (i == 0)
            kv_buf_puts(b, "Dave, I have observed latency spikes in this Redis instance. You "
                           "don't mind talking about it, do you Dave?\n\n");
        /* analyzeLatencyForEvent: average, mean deviation, period */
        for (j = 0; j < v->n; j++) {
            sum += v->s[j].ms;
            if (period == 0 || v->s[j].time < period)
                period = v->s[j].time;
        }
        if (v->n) {
            avg = sum / v->n;
            period = now - period;
            if (period == 0)
                period = 1;
        }
        for (j = 0, sum = 0; j < v->n; j++)
            sum += avg > v->s[j].ms ? avg - v->s[j].ms : v->s[j].ms - avg;
        if (v->n)
            mad = sum / v->n;
        snprintf(line, sizeof line,
                 "%d. %s: %d latency spikes (average %llums, mean deviation %llums, period %.2f "
                 "sec). Worst all time event %llums.",
                 i + 1, name, v->n, (unsigned long long)avg, (unsigned long long)mad,
                 v->n ? (double)period / v->n : 0.0, (unsigned long long)v->max);
        kv_buf_puts(b, line);
        if (!strcasecmp(name, "command")) {
            if (sv->slowlog_slower_than < 0) {
                adv[ADV_SLOWLOG_ENABLED] = 1;
                advices++;
            } else if (sv->slowlog_slower_than / 1000 > sv->latency_threshold) {
                adv[ADV_SLOWLOG_TUNING] = 1;
                advices++;
            }
            adv[ADV_SLOWLOG_INSPECT] = adv[ADV_LARGE_OBJECTS] = 1;
            advices += 2;
        }
        if (!strcasecmp(name, "fast-command")) {
            adv[ADV_SCHEDULER] = 1;
            advices++;
        }
        kv_buf_append(b, "\n", 1);
    }
    if (a->n == 0 && advices == 0) {
        kv_buf_puts(b, "Dave, no latency spike was observed during the lifetime of this Redis "
                       "instance, not in the slightest bit. I honestly think you ought to sit "
                       "down calmly, take a stress pill, and think things over.\n");
        return;
    }
    if (advices == 0) {
        kv_buf_puts(b, "\nWhile there are latency events logged, I'm not able to suggest any "
                       "easy fix. Please use the Redis community to get some help, providing "
                       "this report in your help request.\n");
        return;
    }
    kv_buf_puts(b, "\nI have a few advices for you:\n\n");
    if (adv[ADV_SLOWLOG_ENABLED]) {
        snprintf(line, sizeof line,
                 "- There are latency issues with potentially slow commands you are using. Try "
                 "to enable the Slow Log Redis feature using the command 'CONFIG SET "
                 "slowlog-log-slower-than %llu'. If the Slow log is disabled Redis is not able "
                 "to log slow commands execution for you.\n",
                 (unsigned long long)sv->latency_threshold * 1000);
        kv_buf_puts(b, line);
    }
    if (adv[ADV_SLOWLOG_TUNING]) {
        snprintf(line, sizeof line,
                 "- Your current Slow Log configuration only logs events that are slower than "
                 "your configured latency monitor threshold. Please use 'CONFIG SET "
                 "slowlog-log-slower-than %llu'.\n",
                 (unsigned long long)sv->latency_threshold * 1000);
        kv_buf_puts(b, line);
    }
    if (adv[ADV_SLOWLOG_INSPECT])
        kv_buf_puts(b, "- Check your Slow Log to understand what are the commands you are "
                       "running which are too slow to execute. Please check "
                       "https://redis.io/commands/slowlog for more information.\n");
    if (adv[ADV_SCHEDULER])
        kv_buf_puts(b, "- The system is slow to execute Redis code paths not containing system "
                       "calls. This usually means the system does not provide Redis CPU time "
                       "to run for long periods. You should try to:\n"
                       "  1) Lower the system load.\n"
                       "  2) Use a computer / VM just for Redis if you are running other "
                       "software in the same system.\n"
                       "  3) Check if you have a \"noisy neighbour\" problem.\n"
                       "  4) Check with 'redis-cli --intrinsic-latency 100' what is the "
                       "intrinsic latency in your system.\n"
                       "  5) Check if the problem is allocator-related by recompiling Redis "
                       "with MALLOC=libc, if you are using Jemalloc. However this may create "
                       "fragmentation problems.\n");
    if (adv[ADV_LARGE_OBJECTS])
        kv_buf_puts(b, "- Deleting, expiring or evicting (because of maxmemory policy) large "
                       "objects is a blocking operation. If you have very large objects that "
                       "are often deleted, expired, or evicted, try to fragment those objects "
                       "into multiple smaller objects.\n");
}

static void kv_reduce_latency_doctor(kv_ctx *ctx, const kv_part *parts, int nparts)
{
    kv_lat_all a;
    kv_buf b;
    if (kv_lat_merge(ctx, parts, nparts, &a))
        return;
    kv_buf_init(&b);
    kv_lat_report(&b, &a, kv_svc_of(ctx), kv_now_ms(ctx) / 1000);
    kv_reply_verbatim(&ctx->out, b.p, b.len, "txt");
    kv_buf_free(&b);
    kv_lat_all_free(&a);
}

/* ----------------------------------------------------------------- RESET */

/* This shard's part: the names of the events it dropped (an argument
 * matches case-insensitively, as Redis's latencyResetEvent does). */
static void kv_cmd_latency_reset(kv_ctx *ctx, int argc, const kv_str *argv)
{
    struct kv_latency *l = kv_svc_of(ctx)->lat;
    int i, j, w = 0, n = 0;
    for (i = 0; l && i < l->n; i++) {
        int drop = argc == 2;
        for (j = 2; j < argc && !drop; j++)
            drop = strlen(l->ev[i].name) == argv[j].n &&
                   !strncasecmp(l->ev[i].name, argv[j].p, argv[j].n);
        n += drop;
    }
    kv_reply_array(&ctx->out, n);
    for (i = 0; l && i < l->n; i++) {
        int drop = argc == 2;
        for (j = 2; j < argc && !drop; j++)
            drop = strlen(l->ev[i].name) == argv[j].n &&
                   !strncasecmp(l->ev[i].name, argv[j].p, argv[j].n);
        if (drop)
            kv_reply_bulk_cstr(&ctx->out, l->ev[i].name);
        else
            l->ev[w++] = l->ev[i];
    }
    if (l)
        l->n = w;
}

/* The events dropped: each name once, whichever shards had it. */
static void kv_reduce_latency_reset(kv_ctx *ctx, const kv_part *parts, int nparts)
{
    kv_str seen[64];
    int nseen = 0, k, i;
    for (k = 0; k < nparts; k++) {
        const char *p = parts[k].reply, *end = p + parts[k].len;
        long long n, j;
        if (kv_rd_header(&p, end, '*', &n)) {
            kv_reply_raw(&ctx->out, parts[k].reply, parts[k].len);
            return;
        }
        for (j = 0; j < n; j++) {
            kv_str name;
            if (kv_rd_bulk_at(&p, end, &name))
                break;
            for (i = 0; i < nseen; i++)
                if (seen[i].n == name.n && !memcmp(seen[i].p, name.p, name.n))
                    break;
            if (i == nseen && nseen < (int)(sizeof seen / sizeof seen[0]))
                seen[nseen++] = name;
        }
    }
    kv_reply_int(&ctx->out, nseen);
}

/* ------------------------------------------------------------- HISTOGRAM */

/* This shard's part: [[the arguments], [[command position, [index, count,
 * ...]] ...]] for every command with a histogram; the merge needs the
 * arguments, which only the shards see. */
static void kv_cmd_latency_histogram(kv_ctx *ctx, int argc, const kv_str *argv)
{
    const kv_svc *sv = kv_svc_of(ctx);
    size_t i, n = 0;
    int j, k, used;
    kv_reply_array(&ctx->out, 2);
    kv_reply_array(&ctx->out, argc - 2);
    for (j = 2; j < argc; j++)
        kv_reply_bulk(&ctx->out, argv[j].p, argv[j].n);
    for (i = 0; i < sv->capstats; i++)
        n += sv->stats[i].cmd && sv->stats[i].hist;
    kv_reply_array(&ctx->out, (long)n);
    for (i = 0; i < sv->capstats; i++) {
        const kv_cmdstat *c = &sv->stats[i];
        if (!c->cmd || !c->hist)
            continue;
        kv_reply_array(&ctx->out, 2);
        kv_reply_int(&ctx->out, kv_desc(c->cmd)->pos);
        for (k = 0, used = 0; k < KV_HIST_LEN; k++)
            used += c->hist->counts[k] != 0;
        kv_reply_array(&ctx->out, 2 * used);
        for (k = 0; k < KV_HIST_LEN; k++)
            if (c->hist->counts[k]) {
                kv_reply_int(&ctx->out, k);
                kv_reply_int(&ctx->out, c->hist->counts[k]);
            }
    }
}

/* The lowest value of bucket i: the index space is contiguous, so it is
 * one past the highest value of the bucket before. */
static long long kv_hist_lowest(int i)
{
    return i <= 0 ? 0 : kv_hist_value_of(i - 1) + 1;
}

/* Redis's fillCommandCDF: HdrHistogram's logarithmic iterator from 1024 ns
 * doubling, each step the cumulative count up to the bucket holding the
 * step's value and that bucket's highest value in microseconds, a step
 * written only when the count grew. Replayed step by step on kevy's
 * buckets, which have Redis's layout, so the figures are Redis's. */
static void kv_hist_cdf(kv_ctx *ctx, const long long *counts)
{
    long long level = 1024, value = 0, cum = 0, prev = 0, total = 0, out[64][2];
    int i = -1, n = 0, k, more = 1;
    for (k = 0; k < KV_HIST_LEN; k++)
        total += counts[k];
    while (more && (cum < total || kv_hist_lowest(i + 1) > level)) {
        for (;;) {
            if (value >= level) {
                if (cum > prev && n < 64) {
                    out[n][0] = kv_hist_value_of(i) / 1000;
                    out[n++][1] = cum;
                }
                prev = cum;
                level *= 2;
                break;
            }
            if (++i >= KV_HIST_LEN) {
                more = 0;
                break;
            }
            cum += counts[i];
            value = kv_hist_lowest(i);
        }
    }
    kv_reply_map(&ctx->out, 2);
    kv_reply_bulk_cstr(&ctx->out, "calls");
    kv_reply_int(&ctx->out, total);
    kv_reply_bulk_cstr(&ctx->out, "histogram_usec");
    kv_reply_map(&ctx->out, n);
    for (k = 0; k < n; k++) {
        kv_reply_int(&ctx->out, out[k][0]);
        kv_reply_int(&ctx->out, out[k][1]);
    }
}

typedef struct kv_hist_sums {
    long long *counts[KV_CMD_MAX]; /* by command position; NULL: no histogram */
} kv_hist_sums;

/* The entries for cmd: its own histogram, then its subcommands' (Redis's
 * latencySpecificCommandsFillCDF). emit 0: only count them. */
static int kv_hist_emit(kv_ctx *ctx, const kv_hist_sums *hs, const kv_cmd *cmd, int emit)
{
    const kv_cmd *subs;
    size_t nsubs, i;
    int n = 0, pos = kv_desc(cmd)->pos;
    if (hs->counts[pos]) {
        n++;
        if (emit) {
            kv_reply_bulk_cstr(&ctx->out, cmd->name);
            kv_hist_cdf(ctx, hs->counts[pos]);
        }
    }
    subs = kv_cmd_subs(cmd, &nsubs);
    for (i = 0; subs && i < nsubs; i++) {
        pos = kv_desc(&subs[i])->pos;
        if (!hs->counts[pos])
            continue;
        n++;
        if (emit) {
            kv_reply_bulk_cstr(&ctx->out, subs[i].name);
            kv_hist_cdf(ctx, hs->counts[pos]);
        }
    }
    return n;
}

static int kv_hist_reply(kv_ctx *ctx, const kv_hist_sums *hs, const kv_str *args, long long nargs,
                         int emit)
{
    const kv_server *srv = kv_state(ctx)->srv;
    int n = 0;
    long long j;
    size_t i;
    if (nargs == 0) { /* every command, subcommands after their container */
        for (i = 0; i < kv_cmd_count(srv); i++)
            n += kv_hist_emit(ctx, hs, kv_cmd_at(srv, i), emit);
        return n;
    }
    for (j = 0; j < nargs; j++) {
        const kv_cmd *cmd = kv_cmd_find(srv, args[j].p, args[j].n);
        if (cmd && kv_desc(cmd)) /* unknown names are skipped, as in Redis */
            n += kv_hist_emit(ctx, hs, cmd, emit);
    }
    return n;
}

static void kv_reduce_latency_histogram(kv_ctx *ctx, const kv_part *parts, int nparts)
{
    const kv_server *srv = kv_state(ctx)->srv;
    kv_hist_sums *hs = calloc(1, sizeof *hs);
    kv_str *args = NULL;
    long long nargs = 0;
    int k;
    if (!hs)
        abort();
    for (k = 0; k < nparts; k++) {
        const char *p = parts[k].reply, *end = p + parts[k].len;
        long long two, na, nc, c, pos, nb, b, idx, cnt;
        if (kv_rd_header(&p, end, '*', &two)) {
            kv_reply_raw(&ctx->out, parts[k].reply, parts[k].len);
            goto done;
        }
        if (kv_rd_header(&p, end, '*', &na))
            continue;
        if (!args && na > 0 && !(args = malloc((size_t)na * sizeof *args)))
            abort();
        for (c = 0; c < na; c++)
            if (kv_rd_bulk_at(&p, end, &args[c]))
                break;
        nargs = na;
        if (kv_rd_header(&p, end, '*', &nc))
            continue;
        for (c = 0; c < nc; c++) {
            if (kv_rd_header(&p, end, '*', &two) || kv_rd_header(&p, end, ':', &pos) ||
                kv_rd_header(&p, end, '*', &nb) || pos < 0 || pos >= srv->index.ncmd)
                break;
            if (!hs->counts[pos] && !(hs->counts[pos] = calloc(KV_HIST_LEN, sizeof(long long))))
                abort();
            for (b = 0; b + 1 < nb; b += 2) {
                if (kv_rd_header(&p, end, ':', &idx) || kv_rd_header(&p, end, ':', &cnt))
                    break;
                if (idx >= 0 && idx < KV_HIST_LEN)
                    hs->counts[pos][idx] += cnt;
            }
        }
    }
    kv_reply_map(&ctx->out, kv_hist_reply(ctx, hs, args, nargs, 0));
    kv_hist_reply(ctx, hs, args, nargs, 1);
done:
    for (k = 0; k < KV_CMD_MAX; k++)
        free(hs->counts[k]);
    free(hs);
    free(args);
}

/* ------------------------------------------------------------------ HELP */

static void kv_cmd_latency_help(kv_ctx *ctx, int argc, const kv_str *argv)
{
    static const char *const lines[] = {
        "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HISTOGRAM [COMMAND ...]",
        ("    Return a cumulative distribution of latencies in the format of a histogram for the "
         "specified command names."),
        "    If no commands are specified then all histograms are replied.",
        "HELP",
        "    Prints this help.",
    };
    (void)argc;
    (void)argv;
    kv_reply_lines(ctx, lines, sizeof lines / sizeof lines[0]);
}

static const kv_cmdspec kv_latency_subs[] = {
    {.name = "latency|doctor", .route = KV_ROUTE_ALL, .exec = kv_cmd_latency_dump_all,
     .reduce = kv_reduce_latency_doctor},
    {.name = "latency|graph", .route = KV_ROUTE_ALL, .exec = kv_cmd_latency_dump_one,
     .reduce = kv_reduce_latency_graph},
    {.name = "latency|help", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_latency_help},
    {.name = "latency|histogram", .route = KV_ROUTE_ALL, .exec = kv_cmd_latency_histogram,
     .reduce = kv_reduce_latency_histogram},
    {.name = "latency|history", .route = KV_ROUTE_ALL, .exec = kv_cmd_latency_dump_one,
     .reduce = kv_reduce_latency_history},
    {.name = "latency|latest", .route = KV_ROUTE_ALL, .exec = kv_cmd_latency_dump_all,
     .reduce = kv_reduce_latency_latest},
    {.name = "latency|reset", .route = KV_ROUTE_ALL, .exec = kv_cmd_latency_reset,
     .reduce = kv_reduce_latency_reset},
    KV_SPEC_END
};

const kv_cmdspec kv_cmds_server_latency[] = {
    {.name = "latency", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_container, .subs = kv_latency_subs},
    KV_SPEC_END
};
