/* INFO's text: Redis 7.0's sections and field names, in Redis's order,
 * filled from the shards' totals. Fields for features kevy does not have
 * (replication, forks, AOF, Lua) read as a Redis with none of them would. */
#define _DEFAULT_SOURCE
#include "cmd/server/info.h"
#include "cmd/persist/persist.h"
#include "cmd/script/script.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <unistd.h>

#define LINE(...)                                                                   \
    do {                                                                            \
        int n_ = snprintf(tmp, sizeof tmp, __VA_ARGS__);                            \
        kv_buf_append(b, tmp, (size_t)(n_ < 0 ? 0 : n_ < (int)sizeof tmp ? n_ : (int)sizeof tmp - 1)); \
    } while (0)

static void kv_human_bytes(char *out, size_t len, long long n)
{
    double d = (double)n;
    if (n < 1024)
        snprintf(out, len, "%lldB", n);
    else if (n < 1024LL * 1024)
        snprintf(out, len, "%.2fK", d / 1024);
    else if (n < 1024LL * 1024 * 1024)
        snprintf(out, len, "%.2fM", d / (1024 * 1024));
    else if (n < 1024LL * 1024 * 1024 * 1024)
        snprintf(out, len, "%.2fG", d / (1024.0 * 1024 * 1024));
    else
        snprintf(out, len, "%.2fT", d / (1024.0 * 1024 * 1024 * 1024));
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

static void kv_section(kv_buf *b, int *first, const char *title)
{
    if (!*first)
        kv_buf_append(b, "\r\n", 2);
    *first = 0;
    kv_buf_append(b, "# ", 2);
    kv_buf_append(b, title, strlen(title));
    kv_buf_append(b, "\r\n", 2);
}

static void kv_info_server(kv_ctx *ctx, kv_buf *b, const kv_server *srv, const kv_cfg *cfg)
{
    struct utsname u;
    char tmp[1200];
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
    LINE("hz:%d\r\nconfigured_hz:%lld\r\nlru_clock:%lld\r\n", srv->hz, kv_cfg_ll(cfg, "hz"),
         (now_us / 1000000) & ((1 << 24) - 1));
    LINE("executable:%s\r\nconfig_file:%s\r\nio_threads_active:0\r\n", srv->executable,
         srv->config_file);
    LINE("kevy_version:0.1.0\r\nkevy_shards:%d\r\n", srv->nshards);
}

static void kv_info_clients(kv_buf *b, const long long *f, const kv_cfg *cfg)
{
    char tmp[256];
    LINE("connected_clients:%lld\r\ncluster_connections:0\r\nmaxclients:%lld\r\n", f[F_CLIENTS],
         kv_cfg_ll(cfg, "maxclients"));
    LINE("client_recent_max_input_buffer:%lld\r\nclient_recent_max_output_buffer:%lld\r\n",
         f[F_MAX_IN], f[F_MAX_OUT]);
    LINE("blocked_clients:%lld\r\ntracking_clients:%lld\r\nclients_in_timeout_table:%lld\r\n",
         f[F_BLOCKED], f[F_TRK_CLIENTS], f[F_TIMEOUT_TABLE]);
}

static void kv_info_memory(kv_buf *b, const long long *f, const kv_cfg *cfg, kv_scripts *scripts)
{
    char tmp[256], h1[32], h2[32], h3[32], h4[32];
    long long libs, fns, code, overhead, dataset;
    long long used = f[F_MEMORY], rss = kv_rss_bytes(), peak = f[F_PEAK];
    long long maxmem = kv_cfg_ll(cfg, "maxmemory");
    long long sys = (long long)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
    double frag = used ? (double)rss / (double)used : 0.0;
    if (peak < used)
        peak = used;
    kv_human_bytes(h1, sizeof h1, used);
    kv_human_bytes(h2, sizeof h2, rss);
    kv_human_bytes(h3, sizeof h3, peak);
    kv_human_bytes(h4, sizeof h4, sys);
    LINE("used_memory:%lld\r\nused_memory_human:%s\r\n", used, h1);
    LINE("used_memory_rss:%lld\r\nused_memory_rss_human:%s\r\n", rss, h2);
    LINE("used_memory_peak:%lld\r\nused_memory_peak_human:%s\r\n", peak, h3);
    LINE("used_memory_peak_perc:%.2f%%\r\n", peak ? (double)used * 100 / (double)peak : 100.0);
    /* As MEMORY STATS: the key tables and the AOF buffers (used_memory is
     * the keyspace's, which starts empty). */
    overhead = f[F_KEYS_OVERHEAD] + f[F_AOF_BUF];
    dataset = used > overhead ? used - overhead : 0;
    LINE("used_memory_overhead:%lld\r\nused_memory_startup:0\r\n", overhead);
    LINE("used_memory_dataset:%lld\r\nused_memory_dataset_perc:%.2f%%\r\n", dataset,
         used ? (double)dataset * 100 / (double)used : 0.0);
    LINE("allocator_allocated:%lld\r\nallocator_active:%lld\r\nallocator_resident:%lld\r\n",
         used, used, rss);
    LINE("total_system_memory:%lld\r\ntotal_system_memory_human:%s\r\n", sys, h4);
    /* The shards' Lua states (scripts and function libraries compile in
     * the same one: used_memory_vm_functions stays an idle Redis engine's
     * 33792) and the script cache; the function libraries the server
     * keeps, over Redis's idle function overhead (200). */
    kv_fnreg_counts(kv_scripts_functions(scripts), &libs, &fns, &code);
    kv_human_bytes(h1, sizeof h1, f[F_LUA_VM]);
    LINE("used_memory_lua:%lld\r\nused_memory_vm_eval:%lld\r\nused_memory_lua_human:%s\r\n",
         f[F_LUA_VM], f[F_LUA_VM], h1);
    LINE("used_memory_scripts_eval:%lld\r\nnumber_of_cached_scripts:%lld\r\n", f[F_SCRIPTS_MEM],
         f[F_SCRIPTS]);
    kv_human_bytes(h1, sizeof h1, f[F_LUA_VM] + 33792);
    LINE("number_of_functions:%lld\r\nnumber_of_libraries:%lld\r\n", fns, libs);
    LINE("used_memory_vm_functions:33792\r\n");
    LINE("used_memory_vm_total:%lld\r\nused_memory_vm_total_human:%s\r\n", f[F_LUA_VM] + 33792, h1);
    kv_human_bytes(h1, sizeof h1, f[F_SCRIPTS_MEM] + 200 + code);
    LINE("used_memory_functions:%lld\r\nused_memory_scripts:%lld\r\nused_memory_scripts_human:%s\r\n",
         200 + code, f[F_SCRIPTS_MEM] + 200 + code, h1);
    kv_human_bytes(h1, sizeof h1, maxmem);
    LINE("maxmemory:%lld\r\nmaxmemory_human:%s\r\nmaxmemory_policy:%s\r\n", maxmem, h1,
         kv_cfg_get(cfg, "maxmemory-policy"));
    LINE("allocator_frag_ratio:1.00\r\nallocator_frag_bytes:0\r\n");
    LINE("allocator_rss_ratio:%.2f\r\nallocator_rss_bytes:%lld\r\n", frag, rss - used);
    LINE("rss_overhead_ratio:1.00\r\nrss_overhead_bytes:0\r\n");
    LINE("mem_fragmentation_ratio:%.2f\r\nmem_fragmentation_bytes:%lld\r\n", frag, rss - used);
    LINE("mem_not_counted_for_evict:0\r\nmem_replication_backlog:0\r\n");
    LINE("mem_total_replication_buffers:0\r\nmem_clients_slaves:0\r\nmem_clients_normal:%lld\r\n",
         f[F_CLIENTS_MEM]);
    LINE("mem_cluster_links:0\r\nmem_aof_buffer:%lld\r\nmem_allocator:libc\r\n", f[F_AOF_BUF]);
    LINE("active_defrag_running:0\r\nlazyfree_pending_objects:%lld\r\nlazyfreed_objects:%lld\r\n",
         f[F_LAZY_PENDING], f[F_LAZY_FREED]);
}

static void kv_info_persistence(kv_buf *b, const long long *f, const kv_server *srv)
{
    char tmp[512];
    kv_persist_info in;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    kv_persist_get_info(srv->persist, &in);
    /* No fork: no copy-on-write (kevy's snapshot copies nothing). */
    LINE("loading:0\r\nasync_loading:0\r\ncurrent_cow_peak:0\r\ncurrent_cow_size:0\r\n");
    LINE("current_cow_size_age:0\r\ncurrent_fork_perc:0.00\r\ncurrent_save_keys_processed:0\r\n");
    LINE("current_save_keys_total:0\r\nrdb_changes_since_last_save:%lld\r\n", f[F_DIRTY]);
    LINE("rdb_bgsave_in_progress:%d\r\nrdb_last_save_time:%lld\r\n", in.bgsave_in_progress,
         in.lastsave_s);
    LINE("rdb_last_bgsave_status:%s\r\nrdb_last_bgsave_time_sec:%lld\r\n",
         in.last_bgsave_ok ? "ok" : "err", in.last_bgsave_time_s);
    LINE("rdb_current_bgsave_time_sec:%lld\r\nrdb_saves:%lld\r\nrdb_last_cow_size:0\r\n",
         in.current_bgsave_start_ms < 0
             ? -1LL
             : ((long long)tv.tv_sec * 1000 + tv.tv_usec / 1000 - in.current_bgsave_start_ms) / 1000,
         in.saves);
    LINE("rdb_last_load_keys_expired:%lld\r\nrdb_last_load_keys_loaded:%lld\r\naof_enabled:%d\r\n",
         in.load_keys_expired, in.load_keys_loaded, f[F_AOF_ON] > 0);
    LINE("aof_rewrite_in_progress:%d\r\naof_rewrite_scheduled:%d\r\n", f[F_AOF_RW] > 0,
         f[F_AOF_RW_SCHED] > 0);
    LINE("aof_last_rewrite_time_sec:%lld\r\naof_current_rewrite_time_sec:%lld\r\n",
         f[F_AOF_RWS] || f[F_AOF_RW_FAILS] ? f[F_AOF_RW_LAST] : -1LL,
         f[F_AOF_RW] > 0 ? f[F_AOF_RW_CUR] : -1LL);
    LINE("aof_last_bgrewrite_status:%s\r\naof_rewrites:%lld\r\n", f[F_AOF_RW_ERR] ? "err" : "ok",
         f[F_AOF_RWS]);
    LINE("aof_rewrites_consecutive_failures:%lld\r\naof_last_write_status:%s\r\naof_last_cow_size:0\r\n",
         f[F_AOF_RW_FAILS], f[F_AOF_WERR] ? "err" : "ok");
    LINE("module_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n");
    if (f[F_AOF_ON]) { /* the fields Redis adds while appendonly is on (sums over shards) */
        LINE("aof_current_size:%lld\r\naof_base_size:%lld\r\naof_pending_rewrite:%d\r\n",
             f[F_AOF_SIZE], f[F_AOF_BASE], f[F_AOF_RW_SCHED] > 0);
        LINE("aof_buffer_length:%lld\r\naof_pending_bio_fsync:%lld\r\naof_delayed_fsync:%lld\r\n",
             f[F_AOF_BUF], f[F_AOF_BIO], f[F_AOF_DELAYED]);
    }
}

static void kv_info_stats(kv_buf *b, const long long *f)
{
    char tmp[256];
    LINE("total_connections_received:%lld\r\ntotal_commands_processed:%lld\r\n", f[F_CONNS], f[F_CMDS]);
    LINE("instantaneous_ops_per_sec:%lld\r\ntotal_net_input_bytes:%lld\r\n", f[F_OPS], f[F_NET_IN]);
    LINE("total_net_output_bytes:%lld\r\ntotal_net_repl_input_bytes:0\r\n", f[F_NET_OUT]);
    LINE("total_net_repl_output_bytes:0\r\ninstantaneous_input_kbps:%.2f\r\n",
         (double)f[F_IN_BPS] / 1024);
    LINE("instantaneous_output_kbps:%.2f\r\ninstantaneous_input_repl_kbps:0.00\r\n",
         (double)f[F_OUT_BPS] / 1024);
    LINE("instantaneous_output_repl_kbps:0.00\r\nrejected_connections:%lld\r\n", f[F_REJECTED]);
    LINE("sync_full:0\r\nsync_partial_ok:0\r\nsync_partial_err:0\r\n");
    LINE("expired_keys:%lld\r\nexpired_stale_perc:%.2f\r\n", f[F_EXPIRED], (double)f[F_STALE_X100] / 100.0);
    LINE("expired_time_cap_reached_count:%lld\r\nexpire_cycle_cpu_milliseconds:%lld\r\n",
         f[F_TIMECAP], f[F_EXPIRE_US] / 1000);
    LINE("evicted_keys:%lld\r\nevicted_clients:%lld\r\ntotal_eviction_exceeded_time:%lld\r\n",
         f[F_EVICTED], f[F_EVICTED_CLIENTS], f[F_EVICT_OVER_TOTAL]);
    LINE("current_eviction_exceeded_time:%lld\r\nkeyspace_hits:%lld\r\nkeyspace_misses:%lld\r\n",
         f[F_EVICT_OVER_CUR], f[F_HITS], f[F_MISSES]);
    LINE("pubsub_channels:%lld\r\npubsub_patterns:%lld\r\npubsubshard_channels:%lld\r\n",
         f[F_PS_CHANNELS], f[F_PS_PATTERNS], f[F_PS_SHARD]);
    LINE("latest_fork_usec:0\r\ntotal_forks:0\r\nmigrate_cached_sockets:0\r\n");
    LINE("slave_expires_tracked_keys:0\r\nactive_defrag_hits:0\r\nactive_defrag_misses:0\r\n");
    LINE("active_defrag_key_hits:0\r\nactive_defrag_key_misses:0\r\ntotal_active_defrag_time:0\r\n");
    LINE("current_active_defrag_time:0\r\ntracking_total_keys:%lld\r\n", f[F_TRK_KEYS]);
    LINE("tracking_total_items:%lld\r\ntracking_total_prefixes:%lld\r\n", f[F_TRK_ITEMS],
         f[F_TRK_PREFIXES]);
    LINE("unexpected_error_replies:0\r\ntotal_error_replies:%lld\r\n", f[F_ERRORS]);
    LINE("dump_payload_sanitizations:0\r\ntotal_reads_processed:%lld\r\n", f[F_READS]);
    LINE("total_writes_processed:%lld\r\nio_threaded_reads_processed:0\r\n", f[F_WRITES]);
    LINE("io_threaded_writes_processed:0\r\nreply_buffer_shrinks:0\r\nreply_buffer_expands:0\r\n");
    LINE("kevy_forwarded_commands:%lld\r\n", f[F_FORWARDED]);
    /* What the shards hold right now (zero when idle: see kv_shard_gauges). */
    LINE("kevy_inflight:%lld\r\nkevy_locks_held:%lld\r\nkevy_lock_waiters:%lld\r\n",
         f[F_INFLIGHT], f[F_LOCKS], f[F_LOCKWAIT]);
    LINE("kevy_operations:%lld\r\nkevy_closing_clients:%lld\r\n", f[F_OPERATIONS],
         f[F_CLOSING]);
    /* Keys clients block on; their registrations on the keys' shards. */
    LINE("kevy_blocking_keys:%lld\r\nkevy_block_registrations:%lld\r\n", f[F_WAITED_KEYS],
         f[F_BLOCK_REGS]);
}

static void kv_info_cpu(kv_buf *b)
{
    char tmp[256];
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    LINE("used_cpu_sys:%ld.%06ld\r\nused_cpu_user:%ld.%06ld\r\n", (long)ru.ru_stime.tv_sec,
         (long)ru.ru_stime.tv_usec, (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec);
    LINE("used_cpu_sys_children:0.000000\r\nused_cpu_user_children:0.000000\r\n");
    LINE("used_cpu_sys_main_thread:%ld.%06ld\r\nused_cpu_user_main_thread:%ld.%06ld\r\n",
         (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec, (long)ru.ru_utime.tv_sec,
         (long)ru.ru_utime.tv_usec);
}

/* "p50=1.003,p99=..." with the percentiles as the config prints them. */
static void kv_info_latency(kv_buf *b, const kv_infototal *t, const kv_svc *sv, const kv_cfg *cfg)
{
    char tmp[256];
    const char *names = kv_cfg_get(cfg, "latency-tracking-info-percentiles");
    size_t i;
    for (i = 0; i < t->ncmds; i++) {
        const kv_infocmd *c = &t->cmds[i];
        const char *p = names;
        int k;
        if (!c->counts || c->total == 0)
            continue;
        LINE("latency_percentiles_usec_%s:", c->cmd->name);
        for (k = 0; k < sv->npct; k++) {
            size_t wl;
            while (*p == ' ')
                p++;
            wl = strcspn(p, " ");
            LINE("%sp%.*s=%.3f", k ? "," : "", (int)wl, p,
                 kv_hist_percentile(c->counts, c->total, sv->pct[k]) / 1000.0);
            p += wl;
        }
        kv_buf_append(b, "\r\n", 2);
    }
}

void kv_info_format(kv_ctx *ctx, kv_buf *b, const kv_infototal *t)
{
    const kv_server *srv = kv_state(ctx)->srv;
    const kv_svc *sv = kv_svc_of(ctx);
    const kv_cfg *cfg = sv->cfg;
    long long mask = t->f[F_MASK];
    char tmp[512];
    int first = 1, i;
    size_t c;
    if (mask & SEC_SERVER) {
        kv_section(b, &first, "Server");
        kv_info_server(ctx, b, srv, cfg);
    }
    if (mask & SEC_CLIENTS) {
        kv_section(b, &first, "Clients");
        kv_info_clients(b, t->f, cfg);
    }
    if (mask & SEC_MEMORY) {
        kv_section(b, &first, "Memory");
        kv_info_memory(b, t->f, cfg, kv_state(ctx)->srv->scripts);
    }
    if (mask & SEC_PERSISTENCE) {
        kv_section(b, &first, "Persistence");
        kv_info_persistence(b, t->f, srv);
    }
    if (mask & SEC_STATS) {
        kv_section(b, &first, "Stats");
        kv_info_stats(b, t->f);
    }
    if (mask & SEC_REPLICATION) {
        kv_section(b, &first, "Replication");
        LINE("role:master\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\n");
        LINE("master_replid:%s\r\n", srv->run_id);
        LINE("master_replid2:0000000000000000000000000000000000000000\r\n");
        LINE("master_repl_offset:0\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:0\r\n");
        LINE("repl_backlog_size:%lld\r\nrepl_backlog_first_byte_offset:0\r\nrepl_backlog_histlen:0\r\n",
             kv_cfg_ll(cfg, "repl-backlog-size"));
    }
    if (mask & SEC_CPU) {
        kv_section(b, &first, "CPU");
        kv_info_cpu(b);
    }
    if (mask & SEC_MODULES)
        kv_section(b, &first, "Modules");
    if (mask & SEC_COMMANDSTATS) {
        kv_section(b, &first, "Commandstats");
        for (c = 0; c < t->ncmds; c++) {
            const kv_infocmd *m = &t->cmds[c];
            if (!m->calls && !m->rejected && !m->failed)
                continue;
            LINE("cmdstat_%s:calls=%lld,usec=%lld,usec_per_call=%.2f,rejected_calls=%lld,"
                 "failed_calls=%lld\r\n", m->cmd->name, m->calls, m->usec,
                 m->calls ? (double)m->usec / (double)m->calls : 0.0, m->rejected, m->failed);
        }
    }
    if (mask & SEC_ERRORSTATS) {
        kv_section(b, &first, "Errorstats");
        for (i = 0; i < t->nerrs; i++)
            LINE("errorstat_%s:count=%lld\r\n", t->errs[i].code, t->errs[i].count);
    }
    if (mask & SEC_LATENCYSTATS) {
        kv_section(b, &first, "Latencystats");
        kv_info_latency(b, t, sv, cfg);
    }
    if (mask & SEC_CLUSTER) {
        kv_section(b, &first, "Cluster");
        LINE("cluster_enabled:0\r\n");
    }
    if (mask & SEC_KEYSPACE) {
        kv_section(b, &first, "Keyspace");
        for (i = 0; i < t->ndb; i++) {
            long long keys = t->db[3 * i], exp = t->db[3 * i + 1];
            if (keys)
                LINE("db%d:keys=%lld,expires=%lld,avg_ttl=%lld\r\n", i, keys, exp,
                     exp ? t->db[3 * i + 2] / exp : 0);
        }
    }
}
