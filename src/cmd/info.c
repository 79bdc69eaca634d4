/* INFO: every shard reports its counters as an array of integers (its part),
 * and the home shard sums them and prints Redis's sections with Redis's
 * field names. The requested sections travel in each part too, so the reduce
 * step needs nothing but the parts. */
#define _DEFAULT_SOURCE
#include "cmd/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>


enum {
    SEC_SERVER = 1 << 0, SEC_CLIENTS = 1 << 1, SEC_MEMORY = 1 << 2,
    SEC_PERSISTENCE = 1 << 3, SEC_STATS = 1 << 4, SEC_REPLICATION = 1 << 5,
    SEC_CPU = 1 << 6, SEC_MODULES = 1 << 7, SEC_ERRORSTATS = 1 << 8,
    SEC_CLUSTER = 1 << 9, SEC_KEYSPACE = 1 << 10
};
#define SEC_DEFAULT 0x7ff

/* Layout of a shard's part: the section mask, counters, then 3 per db. */
enum {
    F_MASK, F_CLIENTS, F_CONNS, F_CMDS, F_NET_IN, F_NET_OUT, F_ERRORS, F_REJECTED,
    F_READS, F_WRITES, F_MAX_IN, F_MAX_OUT, F_FORWARDED, F_EXPIRED, F_HITS, F_MISSES,
    F_TIMECAP, F_STALE_X100, F_MEMORY, F_DB0
};

static const struct { const char *name; int bits; } kv_sections[] = {
    {"server", SEC_SERVER}, {"clients", SEC_CLIENTS}, {"memory", SEC_MEMORY},
    {"persistence", SEC_PERSISTENCE}, {"stats", SEC_STATS},
    {"replication", SEC_REPLICATION}, {"cpu", SEC_CPU}, {"modules", SEC_MODULES},
    {"errorstats", SEC_ERRORSTATS}, {"cluster", SEC_CLUSTER}, {"keyspace", SEC_KEYSPACE},
    {"default", SEC_DEFAULT}, {"all", SEC_DEFAULT}, {"everything", SEC_DEFAULT},
};

static int kv_info_mask(int argc, const kv_str *argv)
{
    int mask = 0, j;
    size_t i;
    if (argc == 1)
        return SEC_DEFAULT;
    for (j = 1; j < argc; j++)
        for (i = 0; i < sizeof kv_sections / sizeof kv_sections[0]; i++)
            if (kv_arg_eq(&argv[j], kv_sections[i].name))
                mask |= kv_sections[i].bits;
    return mask;
}

/* Remaining TTL averaged over a sample of keys with one. */
static long long kv_avg_ttl(kv_db *db, long long now)
{
    kv_entry *sample[20];
    size_t n = kv_db_sample_expires(db, sample, 20), i;
    long long sum = 0;
    if (n == 0)
        return 0;
    for (i = 0; i < n; i++) {
        long long t = kv_db_get_expire(db, sample[i]) - now;
        sum += t > 0 ? t : 0;
    }
    return sum / (long long)n;
}

void kv_cmd_info(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_cmdstate *st = kv_state(ctx);
    const kv_shard_stats *ss = kv_shard_stats_get(ctx->shard);
    long long now = kv_now_ms(ctx);
    int i;
    kv_reply_array(&ctx->out, F_DB0 + 3 * st->ks->ndb);
    kv_reply_int(&ctx->out, kv_info_mask(argc, argv));
    kv_reply_int(&ctx->out, ss->connected_clients);
    kv_reply_int(&ctx->out, ss->total_connections_received);
    kv_reply_int(&ctx->out, ss->total_commands_processed);
    kv_reply_int(&ctx->out, ss->total_net_input_bytes);
    kv_reply_int(&ctx->out, ss->total_net_output_bytes);
    kv_reply_int(&ctx->out, ss->total_error_replies);
    kv_reply_int(&ctx->out, ss->rejected_connections);
    kv_reply_int(&ctx->out, ss->total_reads_processed);
    kv_reply_int(&ctx->out, ss->total_writes_processed);
    kv_reply_int(&ctx->out, ss->max_input_buffer);
    kv_reply_int(&ctx->out, ss->max_output_buffer);
    kv_reply_int(&ctx->out, ss->forwarded_commands);
    kv_reply_int(&ctx->out, st->ks->stats.expired_keys);
    kv_reply_int(&ctx->out, st->ks->stats.keyspace_hits);
    kv_reply_int(&ctx->out, st->ks->stats.keyspace_misses);
    kv_reply_int(&ctx->out, st->ks->stats.expired_time_cap_reached_count);
    kv_reply_int(&ctx->out, (long long)(st->ks->stats.expired_stale_perc * 100));
    kv_reply_int(&ctx->out, (long long)kv_ks_memory(st->ks));
    for (i = 0; i < st->ks->ndb; i++) {
        kv_db *db = st->ks->db[i];
        long long expires = (long long)kv_db_expires_size(db);
        kv_reply_int(&ctx->out, (long long)kv_db_size(db));
        kv_reply_int(&ctx->out, expires);
        kv_reply_int(&ctx->out, kv_avg_ttl(db, now) * expires);
    }
}

/* ------------------------------------------------------------- printing */

static void kv_human_bytes(char *out, size_t len, long long n)
{
    double d = (double)n;
    if (n < 1024)
        snprintf(out, len, "%lldB", n);
    else if (n < 1024LL * 1024)
        snprintf(out, len, "%.2fK", d / 1024);
    else if (n < 1024LL * 1024 * 1024)
        snprintf(out, len, "%.2fM", d / (1024 * 1024));
    else
        snprintf(out, len, "%.2fG", d / (1024.0 * 1024 * 1024));
}

static long long kv_rss_bytes(void)
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

#define LINE(...) do { n = snprintf(tmp, sizeof tmp, __VA_ARGS__); kv_buf_append(b, tmp, (size_t)(n > 0 ? n : 0)); } while (0)

static void kv_section(kv_buf *b, int *first, const char *title)
{
    if (!*first)
        kv_buf_append(b, "\r\n", 2);
    *first = 0;
    kv_buf_append(b, "# ", 2);
    kv_buf_append(b, title, strlen(title));
    kv_buf_append(b, "\r\n", 2);
}

static void kv_info_server(kv_ctx *ctx, kv_buf *b, const kv_server *srv)
{
    struct utsname u;
    char tmp[1200];
    int n;
    long long now_us = kv_shard_now_us(ctx->shard);
    long long up = (now_us / 1000 - srv->start_ms) / 1000;
    uname(&u);
    LINE("redis_version:7.0.15\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\n");
    LINE("redis_build_id:0\r\nredis_mode:standalone\r\n");
    LINE("os:%s %s %s\r\narch_bits:%d\r\n", u.sysname, u.release, u.machine, (int)(8 * sizeof(void *)));
    LINE("monotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:%s\r\n", kv_rt_backend());
    LINE("atomicvar_api:atomic-builtin\r\n");
#if defined(__GNUC__)
    LINE("gcc_version:%d.%d.%d\r\n", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
    LINE("gcc_version:0.0.0\r\n");
#endif
    LINE("process_id:%ld\r\nprocess_supervised:no\r\nrun_id:%s\r\n", (long)getpid(), srv->run_id);
    LINE("tcp_port:%d\r\nserver_time_usec:%lld\r\n", srv->port, now_us);
    LINE("uptime_in_seconds:%lld\r\nuptime_in_days:%lld\r\n", up, up / 86400);
    LINE("hz:%d\r\nconfigured_hz:%d\r\nlru_clock:%lld\r\n", srv->hz, srv->hz,
         (now_us / 1000000) & ((1 << 24) - 1));
    LINE("executable:%s\r\nconfig_file:%s\r\nio_threads_active:0\r\n", srv->executable,
         srv->config_file);
    LINE("kevy_version:0.1.0\r\nkevy_shards:%d\r\n", srv->nshards);
}

static void kv_info_stats(kv_buf *b, const long long *t)
{
    char tmp[256];
    int n;
    LINE("total_connections_received:%lld\r\ntotal_commands_processed:%lld\r\n", t[F_CONNS], t[F_CMDS]);
    LINE("instantaneous_ops_per_sec:0\r\ntotal_net_input_bytes:%lld\r\n", t[F_NET_IN]);
    LINE("total_net_output_bytes:%lld\r\ntotal_net_repl_input_bytes:0\r\n", t[F_NET_OUT]);
    LINE("total_net_repl_output_bytes:0\r\ninstantaneous_input_kbps:0.00\r\n");
    LINE("instantaneous_output_kbps:0.00\r\ninstantaneous_input_repl_kbps:0.00\r\n");
    LINE("instantaneous_output_repl_kbps:0.00\r\nrejected_connections:%lld\r\n", t[F_REJECTED]);
    LINE("sync_full:0\r\nsync_partial_ok:0\r\nsync_partial_err:0\r\n");
    LINE("expired_keys:%lld\r\nexpired_stale_perc:%.2f\r\n", t[F_EXPIRED], (double)t[F_STALE_X100] / 100.0);
    LINE("expired_time_cap_reached_count:%lld\r\nexpire_cycle_cpu_milliseconds:0\r\n", t[F_TIMECAP]);
    LINE("evicted_keys:0\r\nevicted_clients:0\r\ntotal_eviction_exceeded_time:0\r\n");
    LINE("current_eviction_exceeded_time:0\r\nkeyspace_hits:%lld\r\nkeyspace_misses:%lld\r\n",
         t[F_HITS], t[F_MISSES]);
    LINE("pubsub_channels:0\r\npubsub_patterns:0\r\npubsubshard_channels:0\r\n");
    LINE("latest_fork_usec:0\r\ntotal_forks:0\r\nmigrate_cached_sockets:0\r\n");
    LINE("slave_expires_tracked_keys:0\r\nactive_defrag_hits:0\r\nactive_defrag_misses:0\r\n");
    LINE("active_defrag_key_hits:0\r\nactive_defrag_key_misses:0\r\ntotal_active_defrag_time:0\r\n");
    LINE("current_active_defrag_time:0\r\ntracking_total_keys:0\r\ntracking_total_items:0\r\n");
    LINE("tracking_total_prefixes:0\r\nunexpected_error_replies:0\r\ntotal_error_replies:%lld\r\n",
         t[F_ERRORS]);
    LINE("dump_payload_sanitizations:0\r\ntotal_reads_processed:%lld\r\n", t[F_READS]);
    LINE("total_writes_processed:%lld\r\nio_threaded_reads_processed:0\r\n", t[F_WRITES]);
    LINE("io_threaded_writes_processed:0\r\nreply_buffer_shrinks:0\r\nreply_buffer_expands:0\r\n");
    LINE("kevy_forwarded_commands:%lld\r\n", t[F_FORWARDED]);
}

static void kv_info_memory(kv_buf *b, const long long *t)
{
    char tmp[256], h1[32], h2[32];
    int n;
    long long rss = kv_rss_bytes();
    kv_human_bytes(h1, sizeof h1, t[F_MEMORY]);
    kv_human_bytes(h2, sizeof h2, rss);
    LINE("used_memory:%lld\r\nused_memory_human:%s\r\n", t[F_MEMORY], h1);
    LINE("used_memory_rss:%lld\r\nused_memory_rss_human:%s\r\n", rss, h2);
    LINE("used_memory_dataset:%lld\r\n", t[F_MEMORY]);
    LINE("maxmemory:0\r\nmaxmemory_human:0B\r\nmaxmemory_policy:noeviction\r\n");
    LINE("mem_fragmentation_ratio:%.2f\r\n", t[F_MEMORY] ? (double)rss / (double)t[F_MEMORY] : 0.0);
    LINE("mem_allocator:libc\r\n");
}

static void kv_info_cpu(kv_buf *b)
{
    char tmp[256];
    int n;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    LINE("used_cpu_sys:%ld.%06ld\r\nused_cpu_user:%ld.%06ld\r\n", (long)ru.ru_stime.tv_sec,
         (long)ru.ru_stime.tv_usec, (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec);
    LINE("used_cpu_sys_children:0.000000\r\nused_cpu_user_children:0.000000\r\n");
}

void kv_reduce_info(kv_ctx *ctx, const kv_part *parts, int nparts)
{
    const kv_server *srv = kv_state(ctx)->srv;
    int nf = F_DB0 + 3 * srv->databases, i, k, first = 1, n;
    long long *t = calloc((size_t)nf, sizeof *t);
    kv_buf buf, *b = &buf;
    char tmp[256];
    if (!t)
        abort();
    for (i = 0; i < nparts; i++) {
        const char *p = parts[i].reply, *end = p + parts[i].len;
        p = memchr(p, '\n', parts[i].len);
        for (k = 0; p && k < nf; k++) {
            long long v = 0;
            const char *cr;
            p++;
            if (p >= end || *p != ':' || !(cr = memchr(p, '\r', (size_t)(end - p))) ||
                !kv_str2ll(p + 1, (size_t)(cr - p - 1), &v))
                break;
            t[k] = k == F_MASK ? v : t[k] + v;
            p = cr + 1;
        }
    }
    kv_buf_init(b);
    if (t[F_MASK] & SEC_SERVER) {
        kv_section(b, &first, "Server");
        kv_info_server(ctx, b, srv);
    }
    if (t[F_MASK] & SEC_CLIENTS) {
        kv_section(b, &first, "Clients");
        LINE("connected_clients:%lld\r\ncluster_connections:0\r\nmaxclients:%lld\r\n",
             t[F_CLIENTS], srv->maxclients);
        LINE("client_recent_max_input_buffer:%lld\r\nclient_recent_max_output_buffer:%lld\r\n",
             t[F_MAX_IN], t[F_MAX_OUT]);
        LINE("blocked_clients:0\r\ntracking_clients:0\r\nclients_in_timeout_table:0\r\n");
    }
    if (t[F_MASK] & SEC_MEMORY) {
        kv_section(b, &first, "Memory");
        kv_info_memory(b, t);
    }
    if (t[F_MASK] & SEC_PERSISTENCE) {
        kv_section(b, &first, "Persistence");
        LINE("loading:0\r\nasync_loading:0\r\nrdb_changes_since_last_save:0\r\n");
        LINE("rdb_bgsave_in_progress:0\r\nrdb_last_save_time:%lld\r\n", srv->start_ms / 1000);
        LINE("rdb_last_bgsave_status:ok\r\nrdb_saves:0\r\naof_enabled:0\r\n");
        LINE("aof_rewrite_in_progress:0\r\naof_last_write_status:ok\r\n");
    }
    if (t[F_MASK] & SEC_STATS) {
        kv_section(b, &first, "Stats");
        kv_info_stats(b, t);
    }
    if (t[F_MASK] & SEC_REPLICATION) {
        kv_section(b, &first, "Replication");
        LINE("role:master\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\n");
        LINE("master_replid:%s\r\n", srv->run_id);
        LINE("master_replid2:0000000000000000000000000000000000000000\r\n");
        LINE("master_repl_offset:0\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:0\r\n");
        LINE("repl_backlog_size:1048576\r\nrepl_backlog_first_byte_offset:0\r\nrepl_backlog_histlen:0\r\n");
    }
    if (t[F_MASK] & SEC_CPU) {
        kv_section(b, &first, "CPU");
        kv_info_cpu(b);
    }
    if (t[F_MASK] & SEC_MODULES)
        kv_section(b, &first, "Modules");
    if (t[F_MASK] & SEC_ERRORSTATS)
        kv_section(b, &first, "Errorstats");
    if (t[F_MASK] & SEC_CLUSTER) {
        kv_section(b, &first, "Cluster");
        LINE("cluster_enabled:0\r\n");
    }
    if (t[F_MASK] & SEC_KEYSPACE) {
        kv_section(b, &first, "Keyspace");
        for (i = 0; i < srv->databases; i++) {
            long long keys = t[F_DB0 + 3 * i], exp = t[F_DB0 + 3 * i + 1];
            if (keys)
                LINE("db%d:keys=%lld,expires=%lld,avg_ttl=%lld\r\n", i, keys, exp,
                     exp ? t[F_DB0 + 3 * i + 2] / exp : 0);
        }
    }
    kv_reply_verbatim(&ctx->out, b->p ? b->p : "", b->len, "txt");
    kv_buf_free(b);
    free(t);
}
