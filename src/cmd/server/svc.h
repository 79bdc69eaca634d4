/* Per-shard state of the server services (configuration copy, command and
 * error statistics, slowlog, monitors, CLIENT PAUSE, authentication
 * settings) and the functions the server-command files share. Each shard
 * owns one kv_svc in its kv_cmdstate; commands that must change every
 * shard's copy (CONFIG SET, CLIENT PAUSE, SLOWLOG RESET) run on all shards. */
#ifndef KV_CMD_SVC_H
#define KV_CMD_SVC_H

#include "cmd/config/cfg.h"
#include "cmd/core/cmd.h"
#include "cmd/server/session.h"

/* Latency histogram of one command (HdrHistogram's layout with 2
 * significant digits over 1 ns .. 1 s), for INFO latencystats. */
#define KV_HIST_LEN 3072 /* (23 buckets + 1) * 128 half sub-buckets */
typedef struct kv_hist {
    long long total;
    long long counts[KV_HIST_LEN];
} kv_hist;

/* One command's counters on one shard (commandstats). */
typedef struct kv_cmdstat {
    const kv_cmd *cmd;    /* NULL: empty slot */
    unsigned long rflags; /* the descriptor's Redis flags (KV_RF_*), kept at hand */
    long long calls, usec, rejected, failed;
    kv_hist *hist;
} kv_cmdstat;

#define KV_ERRSTAT_MAX 128
typedef struct kv_errstat {
    char code[48];
    long long count;
} kv_errstat;

typedef struct kv_slowentry {
    long long id, time_s, duration;
    int argc;
    kv_str *argv; /* trimmed copies, one allocation with the entry's strings */
    char *addr, *name;
} kv_slowentry;

typedef struct kv_monref {
    int home;
    unsigned long long id;
} kv_monref;

#define KV_INST_SAMPLES 16

typedef struct kv_svc {
    kv_cfg *cfg;
    /* Applied configuration (kv_svc_apply). */
    long long slowlog_slower_than, slowlog_max_len;
    char *requirepass; /* NULL: no password */
    int protected_mode;
    int debug_cmd;         /* enable-debug-command: 0 no, 1 yes, 2 local */
    int protected_configs; /* enable-protected-configs: likewise */
    int latency_tracking;
    int activerehashing;
    double pct[16];
    int npct;
    /* DEBUG SET-ACTIVE-EXPIRE */
    int active_expire;
    /* CLIENT PAUSE: 0 none, 1 WRITE, 2 ALL, until pause_end_ms */
    int pause_type;
    long long pause_end_ms;
    /* Statistics since the last CONFIG RESETSTAT. */
    kv_cmdstat *stats; /* open addressing by command pointer */
    size_t nstats, capstats;
    kv_errstat errs[KV_ERRSTAT_MAX];
    int nerrs;
    kv_shard_stats base; /* runtime counters at the last RESETSTAT */
    long long peak_memory;
    /* instantaneous_* metrics: samples of the last KV_INST_SAMPLES ticks */
    long long inst_last_us, inst_last[3];
    long long inst_samples[3][KV_INST_SAMPLES];
    int inst_idx;
    /* SLOWLOG: a ring, newest at head-1 */
    kv_slowentry *slow;
    size_t slowcap, slowlen, slowhead;
    unsigned long long slow_ids; /* ids when no counter is shared (tests) */
    /* MONITOR clients of every shard */
    kv_monref *mons;
    int nmons, capmons;
    /* LATENCY: latency-monitor-threshold (ms, 0: off) and this shard's
     * events (latency.c; NULL until the first sample) */
    long long latency_threshold;
    struct kv_latency *lat;
    /* ACL: the server's users (acl/acl.h) */
    struct kv_acl *acl;
} kv_svc;

static inline kv_svc *kv_svc_of(const kv_ctx *ctx)
{
    return kv_state(ctx)->svc;
}

/* svc.c: lifecycle, configuration, hooks */
kv_svc *kv_svc_new(const kv_server *srv, kv_shard *sh);
void kv_svc_free(kv_svc *sv);
/* Re-read the configuration copy into the fields above and the runtime
 * (limits, maxclients). */
void kv_svc_apply(kv_svc *sv, kv_shard *sh);
int kv_svc_paused(kv_svc *sv, long long now_ms);
int kv_svc_before_exec(kv_ctx *ctx, int argc, const kv_str *argv);
void kv_svc_after_exec(kv_shard *sh, void *state, kv_conn *c, const kv_exec_info *info);
int kv_svc_conn_open(kv_shard *sh, void *state, kv_conn *c, kv_buf *out);
void kv_svc_conn_closed(kv_shard *sh, void *state, kv_conn *c);
size_t kv_svc_conn_mem(kv_shard *sh, void *state, kv_conn *c);
void kv_svc_tick(kv_shard *sh, kv_cmdstate *st);

/* cmdstats.c */
kv_cmdstat *kv_stat_get(kv_svc *sv, const kv_cmd *cmd);
void kv_stat_error(kv_svc *sv, const char *reply, size_t len);
/* Count a finished command; returns its entry (NULL for unknown names).
 * unblocked: a blocking command ended by CLIENT UNBLOCK (a failed call). */
kv_cmdstat *kv_stat_record(kv_svc *sv, const kv_exec_info *info, int unblocked);
void kv_stat_reset(kv_svc *sv, kv_shard *sh, kv_keyspace *ks);
void kv_hist_add(kv_hist *h, long long value_ns);
/* Value at a percentile of several shards' histograms summed. */
double kv_hist_percentile(const long long *counts, long long total, double pct);
long long kv_hist_value_of(int index);

/* slowlog.c */
void kv_slowlog_push(kv_svc *sv, const kv_server *srv, kv_conn *c, const kv_exec_info *info,
                     long long now_s);
void kv_slowlog_free(kv_svc *sv);

/* latency.c: a sample of `event` (Redis's latencyAddSample) */
void kv_latency_add(kv_svc *sv, const char *event, long long ms, long long now_s);
void kv_latency_free(kv_svc *sv);

/* client.c: a client's CLIENT LIST line (the ACL log's client-info) */
void kv_client_line(kv_buf *b, kv_conn *c, long long now_ms);
/* command.c: what ACL key rules key j (at argv[pos]) needs (acl/acl.h's
 * kv_acl_hooks) */
int kv_command_key_access(const kv_cmd *cmd, int argc, const kv_str *argv, int j, int pos);

/* monitor.c: MONITOR */
void kv_monitor_feed(kv_shard *sh, kv_svc *sv, kv_conn *c, const kv_exec_info *info);
void kv_monitor_forget(kv_shard *sh, kv_svc *sv, unsigned long long id, int broadcast);
/* An argument the command's descriptor hides in MONITOR and SLOWLOG (AUTH's,
 * HELLO's AUTH pair). */
int kv_arg_redacted(const kv_cmd *cmd, int argc, const kv_str *argv, int j);

#endif
