/* Per-shard command statistics for INFO commandstats, errorstats and
 * latencystats: counters per command (found by the command's table pointer,
 * which is stable), error counts per error code, and a latency histogram per
 * command with HdrHistogram's bucket layout (2 significant digits, 1 ns to
 * 1 s), so percentiles read like Redis's and shards' histograms add up. */
#include "cmd/server/svc.h"

#include <stdlib.h>
#include <string.h>

static size_t kv_ptr_slot(const void *p, size_t cap)
{
    unsigned long long x = (unsigned long long)(uintptr_t)p;
    return (size_t)((x * 0x9e3779b97f4a7c15ULL) >> 32) & (cap - 1);
}

static void kv_stat_grow(kv_svc *sv)
{
    size_t cap = sv->capstats ? sv->capstats * 2 : 64, i, k;
    kv_cmdstat *t = calloc(cap, sizeof *t);
    if (!t)
        abort();
    for (i = 0; i < sv->capstats; i++) {
        if (!sv->stats[i].cmd)
            continue;
        for (k = kv_ptr_slot(sv->stats[i].cmd, cap); t[k].cmd; k = (k + 1) & (cap - 1))
            ;
        t[k] = sv->stats[i];
    }
    free(sv->stats);
    sv->stats = t;
    sv->capstats = cap;
}

kv_cmdstat *kv_stat_get(kv_svc *sv, const kv_cmd *cmd)
{
    size_t k;
    if ((sv->nstats + 1) * 2 > sv->capstats)
        kv_stat_grow(sv);
    for (k = kv_ptr_slot(cmd, sv->capstats); sv->stats[k].cmd; k = (k + 1) & (sv->capstats - 1))
        if (sv->stats[k].cmd == cmd)
            return &sv->stats[k];
    sv->stats[k].cmd = cmd;
    sv->stats[k].rflags = kv_desc(cmd)->rflags;
    sv->nstats++;
    return &sv->stats[k];
}

/* The error code of an error reply: its first word ("ERR", "WRONGTYPE"). */
void kv_stat_error(kv_svc *sv, const char *reply, size_t len)
{
    const char *msg = reply + 1, *end = reply + len;
    size_t n = 0;
    int i;
    if (len > 0 && reply[0] == '!') { /* RESP3 blob error: !<len>\r\n<msg> */
        const char *nl = memchr(reply, '\n', len);
        if (!nl)
            return;
        msg = nl + 1;
    }
    while (msg + n < end && msg[n] != ' ' && msg[n] != '\r' && n < sizeof sv->errs[0].code - 1)
        n++;
    for (i = 0; i < sv->nerrs; i++)
        if (strlen(sv->errs[i].code) == n && memcmp(sv->errs[i].code, msg, n) == 0) {
            sv->errs[i].count++;
            return;
        }
    if (sv->nerrs == KV_ERRSTAT_MAX)
        return; /* Redis too stops tracking new codes past 128 */
    memcpy(sv->errs[sv->nerrs].code, msg, n);
    sv->errs[sv->nerrs].code[n] = '\0';
    sv->errs[sv->nerrs++].count = 1;
}

static int kv_is_error(const char *reply, size_t len)
{
    return len > 0 && (reply[0] == '-' || reply[0] == '!');
}

kv_cmdstat *kv_stat_record(kv_svc *sv, const kv_exec_info *info, int unblocked)
{
    int err = kv_is_error(info->reply, info->reply_len);
    kv_cmdstat *st;
    if (err)
        kv_stat_error(sv, info->reply, info->reply_len);
    if (info->cmd->flags & KV_CMD_UNKNOWN)
        return NULL;
    st = kv_stat_get(sv, info->cmd);
    if (info->rejected) {
        st->rejected++;
        return st;
    }
    /* A blocking command is a call when it is made (suspended), and what
     * serves it adds its time; ended by CLIENT UNBLOCK, it failed. */
    if (!info->resumed)
        st->calls++;
    st->usec += info->duration_us;
    if (err | unblocked)
        st->failed++;
    if (sv->latency_tracking) {
        if (!st->hist && !(st->hist = calloc(1, sizeof *st->hist)))
            abort();
        kv_hist_add(st->hist, info->duration_us * 1000);
    }
    return st;
}

void kv_stat_reset(kv_svc *sv, kv_shard *sh, kv_keyspace *ks)
{
    size_t i;
    for (i = 0; i < sv->capstats; i++) {
        kv_cmdstat *st = &sv->stats[i];
        st->calls = st->usec = st->rejected = st->failed = 0;
        free(st->hist);
        st->hist = NULL;
    }
    sv->nerrs = 0;
    sv->base = *kv_shard_stats_get(sh);
    sv->peak_memory = 0;
    memset(&ks->stats, 0, sizeof ks->stats);
}

/* ------------------------------------------------------------ histogram */

/* HdrHistogram with lowest value 1, 2 significant digits: 256 sub-buckets,
 * the upper half of each bucket doubling the unit of the previous one. */
#define KV_SUB_HALF_MAG 7
#define KV_SUB_HALF 128

static int kv_hist_index(long long v)
{
    unsigned long long x = (unsigned long long)v | 255u;
    int pow2 = 64 - __builtin_clzll(x), bucket, sub; /* bits in x */
    bucket = pow2 - (KV_SUB_HALF_MAG + 1);
    sub = (int)(v >> bucket);
    return ((bucket + 1) << KV_SUB_HALF_MAG) + sub - KV_SUB_HALF;
}

void kv_hist_add(kv_hist *h, long long ns)
{
    int i;
    if (ns < 1)
        ns = 1;
    if (ns > 1000000000LL)
        ns = 1000000000LL;
    i = kv_hist_index(ns);
    if (i >= 0 && i < KV_HIST_LEN) {
        h->counts[i]++;
        h->total++;
    }
}

/* The highest value equivalent to index i (what HdrHistogram reports). */
long long kv_hist_value_of(int i)
{
    int bucket = (i >> KV_SUB_HALF_MAG) - 1, sub = (i & (KV_SUB_HALF - 1)) + KV_SUB_HALF;
    long long lowest;
    if (bucket < 0) {
        sub -= KV_SUB_HALF;
        bucket = 0;
    }
    lowest = (long long)sub << bucket;
    return lowest + (1LL << bucket) - 1;
}

double kv_hist_percentile(const long long *counts, long long total, double pct)
{
    long long want, seen = 0;
    int i;
    if (pct > 100.0)
        pct = 100.0;
    want = (long long)(pct / 100.0 * (double)total + 0.5);
    if (want < 1)
        want = 1;
    for (i = 0; i < KV_HIST_LEN; i++) {
        seen += counts[i];
        if (seen >= want)
            return (double)kv_hist_value_of(i);
    }
    return 0.0;
}
