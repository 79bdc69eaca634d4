/* MEMORY: USAGE (the key's shard: its entry and value, measured), STATS and
 * DOCTOR (every shard reports its keyspace figures, the home shard sums
 * them and adds the process's RSS), MALLOC-STATS, PURGE and HELP with Redis
 * 7.0's reply shapes. docs/compatibility.md says how each figure is made and
 * where it differs from Redis's. */
#define _POSIX_C_SOURCE 200809L
#include "cmd/persist/persist.h"
#include "cmd/server/svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "store/db.h"

/* ------------------------------------------------------------------ USAGE */

/* Redis's objectComputeSize samples a collection's elements; kevy's
 * collections keep their node bytes as they change, so the figure is
 * exact in O(1) (or O(nodes)) and SAMPLES, checked as Redis does, changes
 * nothing. Like Redis, the lookup ignores expiry and counts no hit. */
static void kv_cmd_memory_usage(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_db *db = kv_ctx_db(ctx);
    kv_entry *e;
    int j;
    for (j = 3; j < argc; j++) {
        long long samples;
        if (kv_arg_eq(&argv[j], "samples") && j + 1 < argc) {
            if (kv_arg_ll_or_reply(ctx, &argv[j + 1], &samples) != 0)
                return;
            if (samples < 0) {
                kv_reply_syntax(ctx);
                return;
            }
            j++;
        } else {
            kv_reply_syntax(ctx);
            return;
        }
    }
    if (!(e = kv_db_lookup(db, argv[2].p, argv[2].n))) {
        kv_reply_null(&ctx->out);
        return;
    }
    kv_reply_int(&ctx->out, (long long)(kv_obj_mem(kv_entry_val(e)) + kv_db_entry_mem(db, e)));
}

/* ------------------------------------------------------- STATS and DOCTOR */

/* One shard's figures, as an array of integers. */
enum { P_USED, P_PEAK, P_AOFBUF, P_NDB, P_DB0 }; /* then keys, main, expires per db */

static void kv_cmd_memory_part(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_cmdstate *st = kv_state(ctx);
    long long used = (long long)kv_ks_memory(st->ks), on, size, base, buf, werr;
    int i;
    (void)argc;
    (void)argv;
    kv_aof_info(st, &on, &size, &base, &buf, &werr);
    kv_reply_array(&ctx->out, P_DB0 + 3L * st->ks->ndb);
    kv_reply_int(&ctx->out, used);
    kv_reply_int(&ctx->out, st->svc->peak_memory > used ? st->svc->peak_memory : used);
    kv_reply_int(&ctx->out, buf);
    kv_reply_int(&ctx->out, st->ks->ndb);
    for (i = 0; i < st->ks->ndb; i++) {
        size_t main, expires;
        kv_db_overhead(st->ks->db[i], &main, &expires);
        kv_reply_int(&ctx->out, (long long)kv_db_size(st->ks->db[i]));
        kv_reply_int(&ctx->out, (long long)main);
        kv_reply_int(&ctx->out, (long long)expires);
    }
}

/* The parts summed element by element into v (n at most max); -1 with the
 * reply written if a part is an error or not a part. */
static int kv_memory_sum(kv_ctx *ctx, const kv_part *parts, int nparts, long long *v, int max,
                         int *n)
{
    int i, k;
    memset(v, 0, (size_t)max * sizeof *v);
    *n = 0;
    for (i = 0; i < nparts; i++) {
        const char *p = parts[i].reply, *end = p + parts[i].len;
        long long cnt, x;
        if (parts[i].len > 0 && p[0] == '-') {
            kv_reply_raw(&ctx->out, p, parts[i].len);
            ctx->out.errors++;
            return -1;
        }
        if (kv_rd_header(&p, end, '*', &cnt) != 0 || cnt < P_DB0 || cnt > max) {
            kv_reply_error(&ctx->out, "ERR internal: a shard replied no memory figures");
            return -1;
        }
        for (k = 0; k < (int)cnt; k++) {
            if (kv_rd_header(&p, end, ':', &x) != 0) {
                kv_reply_error(&ctx->out, "ERR internal: a shard replied no memory figures");
                return -1;
            }
            v[k] += k == P_NDB ? (i == 0 ? x : 0) : x;
        }
        *n = (int)cnt;
    }
    return 0;
}

static long long kv_rss(void)
{
    long long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    if (fscanf(f, "%lld %lld", &pages, &rss) != 2)
        rss = 0;
    fclose(f);
    return rss * sysconf(_SC_PAGESIZE);
}

/* Redis keeps its ratios as floats and replies them widened to doubles. */
static void kv_reply_ratio(kv_ctx *ctx, const char *name, double num, double den)
{
    kv_reply_bulk_cstr(&ctx->out, name);
    kv_reply_double(&ctx->out, (double)(float)(den > 0 ? num / den : 0.0));
}

static void kv_reply_field(kv_ctx *ctx, const char *name, long long v)
{
    kv_reply_bulk_cstr(&ctx->out, name);
    kv_reply_int(&ctx->out, v);
}

#define KV_MEM_MAX (P_DB0 + 3 * 256)

static void kv_reduce_memory_stats(kv_ctx *ctx, const kv_part *parts, int nparts)
{
    long long v[KV_MEM_MAX], keys = 0, dbs_overhead = 0, overhead, net, dataset, rss;
    long long startup = 0, aof, total, peak;
    int n, i, ndb, used_dbs = 0;
    char name[32];
    if (kv_memory_sum(ctx, parts, nparts, v, KV_MEM_MAX, &n) != 0)
        return;
    ndb = (int)v[P_NDB];
    if (P_DB0 + 3 * ndb > n)
        ndb = (n - P_DB0) / 3;
    for (i = 0; i < ndb; i++) {
        keys += v[P_DB0 + 3 * i];
        dbs_overhead += v[P_DB0 + 3 * i + 1] + v[P_DB0 + 3 * i + 2];
        used_dbs += v[P_DB0 + 3 * i] > 0;
    }
    total = v[P_USED];
    peak = v[P_PEAK] > total ? v[P_PEAK] : total;
    aof = v[P_AOFBUF];
    rss = kv_rss();
    overhead = startup + aof + dbs_overhead;
    net = total - startup;
    dataset = total > overhead ? total - overhead : 0;
    kv_reply_map(&ctx->out, 27 + used_dbs);
    kv_reply_field(ctx, "peak.allocated", peak);
    kv_reply_field(ctx, "total.allocated", total);
    kv_reply_field(ctx, "startup.allocated", startup);
    kv_reply_field(ctx, "replication.backlog", 0);
    kv_reply_field(ctx, "clients.slaves", 0);
    kv_reply_field(ctx, "clients.normal", 0);
    kv_reply_field(ctx, "cluster.links", 0);
    kv_reply_field(ctx, "aof.buffer", aof);
    kv_reply_field(ctx, "lua.caches", 0);
    kv_reply_field(ctx, "functions.caches", 0);
    for (i = 0; i < ndb; i++) {
        if (v[P_DB0 + 3 * i] == 0)
            continue;
        snprintf(name, sizeof name, "db.%d", i);
        kv_reply_bulk_cstr(&ctx->out, name);
        kv_reply_map(&ctx->out, 3);
        kv_reply_field(ctx, "overhead.hashtable.main", v[P_DB0 + 3 * i + 1]);
        kv_reply_field(ctx, "overhead.hashtable.expires", v[P_DB0 + 3 * i + 2]);
        kv_reply_field(ctx, "overhead.hashtable.slot-to-keys", 0);
    }
    kv_reply_field(ctx, "overhead.total", overhead);
    kv_reply_field(ctx, "keys.count", keys);
    kv_reply_field(ctx, "keys.bytes-per-key", keys ? net / keys : 0);
    kv_reply_field(ctx, "dataset.bytes", dataset);
    kv_reply_ratio(ctx, "dataset.percentage", (double)dataset * 100, (double)net);
    kv_reply_ratio(ctx, "peak.percentage", (double)total * 100, (double)peak);
    /* glibc malloc has no allocated/active/resident split (Redis built
     * with libc reports what kevy does): allocated and active are the
     * measured bytes, resident the process's RSS. */
    kv_reply_field(ctx, "allocator.allocated", total);
    kv_reply_field(ctx, "allocator.active", total);
    kv_reply_field(ctx, "allocator.resident", rss);
    kv_reply_ratio(ctx, "allocator-fragmentation.ratio", (double)total, (double)total);
    kv_reply_field(ctx, "allocator-fragmentation.bytes", 0);
    kv_reply_ratio(ctx, "allocator-rss.ratio", (double)rss, (double)total);
    kv_reply_field(ctx, "allocator-rss.bytes", rss - total);
    kv_reply_ratio(ctx, "rss-overhead.ratio", (double)rss, (double)rss);
    kv_reply_field(ctx, "rss-overhead.bytes", 0);
    kv_reply_ratio(ctx, "fragmentation", (double)rss, (double)total);
    kv_reply_field(ctx, "fragmentation.bytes", rss - total);
}

/* Redis's report below 5 MB, and its report when no check fires; kevy
 * runs none of Redis's checks (peak, fragmentation, client buffers) yet. */
static void kv_reduce_memory_doctor(kv_ctx *ctx, const kv_part *parts, int nparts)
{
    static const char empty[] =
        "Hi Sam, this instance is empty or is using very little memory, my issues detector "
        "can't be used in these conditions. Please, leave for your mission on Earth and fill "
        "it with some data. The new Sam and I will be back to our programming as soon as I "
        "finished rebooting.\n";
    static const char fine[] = "Hi Sam, I can't find any memory issue in your instance. I can "
                               "only account for what occurs on this base.\n";
    long long v[KV_MEM_MAX];
    int n;
    if (kv_memory_sum(ctx, parts, nparts, v, KV_MEM_MAX, &n) != 0)
        return;
    if (v[P_USED] < 5LL * 1024 * 1024)
        kv_reply_verbatim(&ctx->out, empty, sizeof empty - 1, "txt");
    else
        kv_reply_verbatim(&ctx->out, fine, sizeof fine - 1, "txt");
}

/* ------------------------------------------------- MALLOC-STATS, PURGE, HELP */

static void kv_cmd_memory_malloc_stats(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    (void)argv;
    /* Redis's reply when it is built without jemalloc, as kevy is. */
    kv_reply_bulk_cstr(&ctx->out, "Stats not supported for the current allocator");
}

static void kv_cmd_memory_purge(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    (void)argv;
#if defined(__GLIBC__)
    malloc_trim(0); /* every arena: free pages go back to the kernel */
#endif
    kv_reply_status(&ctx->out, "OK");
}

static void kv_cmd_memory_help(kv_ctx *ctx, int argc, const kv_str *argv)
{
    static const char *const lines[] = {
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help.",
    };
    (void)argc;
    (void)argv;
    kv_reply_lines(ctx, lines, sizeof lines / sizeof lines[0]);
}

static const kv_cmdspec kv_memory_subs[] = {
    {.name = "memory|doctor", .route = KV_ROUTE_ALL, .exec = kv_cmd_memory_part,
     .reduce = kv_reduce_memory_doctor},
    {.name = "memory|help", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_memory_help},
    {.name = "memory|malloc-stats", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_memory_malloc_stats},
    {.name = "memory|purge", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_memory_purge},
    {.name = "memory|stats", .route = KV_ROUTE_ALL, .exec = kv_cmd_memory_part,
     .reduce = kv_reduce_memory_stats},
    {.name = "memory|usage", .route = KV_ROUTE_KEY, .exec = kv_cmd_memory_usage},
    KV_SPEC_END
};

const kv_cmdspec kv_cmds_server_memory[] = {
    {.name = "memory", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_container, .subs = kv_memory_subs},
    KV_SPEC_END
};
