/* The services' per-shard state (a configuration copy applied to the shard's
 * limits) and the command set's hooks: before_exec (DEBUG's gate, AUTH,
 * MONITOR clients, CLIENT PAUSE, MULTI queueing), after_exec (statistics,
 * SLOWLOG, MONITOR), conn_open and conn_closed. Every decision reads the
 * command's descriptor, never its name. */
#include "cmd/acl/acl.h"
#include "cmd/block/block.h"
#include "cmd/pubsub/pubsub.h"
#include "cmd/pubsub/tracking.h"
#include "cmd/server/svc.h"
#include "cmd/multi/multi.h"
#include "cmd/persist/persist.h"
#include "cmd/script/script.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Redis's getClientEvictionLimit: maxmemory-clients in bytes, or a
 * percentage of maxmemory (none without maxmemory); never under 128 KB,
 * so that a bad setting cannot cut every client off. 0: off. */
static long long kv_svc_maxmemory_clients(const kv_cfg *cfg)
{
    const char *v = kv_cfg_get(cfg, "maxmemory-clients");
    size_t n = strlen(v);
    long long lim, mm = kv_cfg_ll(cfg, "maxmemory");
    if (n > 1 && v[n - 1] == '%')
        lim = mm > 0 ? (long long)((double)mm * (double)strtoll(v, NULL, 10) / 100) : 0;
    else
        lim = strtoll(v, NULL, 10);
    if (lim <= 0)
        return 0;
    return lim < 128 * 1024 ? 128 * 1024 : lim;
}

static int kv_enum3(const kv_cfg *cfg, const char *name)
{
    const char *v = kv_cfg_get(cfg, name);
    return !strcmp(v, "yes") ? 1 : !strcmp(v, "local") ? 2 : 0;
}

void kv_svc_apply(kv_svc *sv, kv_shard *sh)
{
    const kv_cfg *cfg = sv->cfg;
    const char *pass = kv_cfg_get(cfg, "requirepass"), *p;
    kv_limits lim = *kv_shard_limits(sh);
    long long cobl[3] = {0, 0, 0};
    char *end;

    sv->slowlog_slower_than = kv_cfg_ll(cfg, "slowlog-log-slower-than");
    sv->slowlog_max_len = kv_cfg_ll(cfg, "slowlog-max-len");
    sv->latency_threshold = kv_cfg_ll(cfg, "latency-monitor-threshold");
    /* requirepass is the default user's password (Redis's CONFIG SET
     * requirepass): set when it changes, not on every CONFIG SET. */
    if (sv->acl && strcmp(sv->requirepass ? sv->requirepass : "", pass) != 0)
        kv_acl_set_requirepass(sv->acl, pass);
    if (sv->acl)
        kv_acl_set_pubsub_default(sv->acl,
                                  !strcmp(kv_cfg_get(cfg, "acl-pubsub-default"), "allchannels"));
    free(sv->requirepass);
    sv->requirepass = NULL;
    if (*pass) {
        size_t n = strlen(pass) + 1;
        if (!(sv->requirepass = malloc(n)))
            abort();
        memcpy(sv->requirepass, pass, n);
    }
    sv->protected_mode = kv_cfg_yes(cfg, "protected-mode");
    sv->debug_cmd = kv_enum3(cfg, "enable-debug-command");
    sv->protected_configs = kv_enum3(cfg, "enable-protected-configs");
    sv->latency_tracking = kv_cfg_yes(cfg, "latency-tracking");
    sv->activerehashing = kv_cfg_yes(cfg, "activerehashing");
    sv->npct = 0;
    for (p = kv_cfg_get(cfg, "latency-tracking-info-percentiles"); *p && sv->npct < 16; p = end) {
        double d = strtod(p, &end);
        if (end == p)
            break;
        sv->pct[sv->npct++] = d;
    }

    lim.proto_max_bulk_len = kv_cfg_ll(cfg, "proto-max-bulk-len");
    lim.client_query_buffer_limit = kv_cfg_ll(cfg, "client-query-buffer-limit");
    kv_cfg_cobl_class(kv_cfg_get(cfg, "client-output-buffer-limit"), "normal", cobl);
    lim.obuf_hard = cobl[0];
    lim.obuf_soft = cobl[1];
    lim.obuf_soft_seconds = cobl[2];
    kv_cfg_cobl_class(kv_cfg_get(cfg, "client-output-buffer-limit"), "pubsub", cobl);
    lim.pubsub_hard = cobl[0];
    lim.pubsub_soft = cobl[1];
    lim.pubsub_soft_seconds = cobl[2];
    lim.idle_timeout_s = kv_cfg_ll(cfg, "timeout");
    lim.maxmemory_clients = kv_svc_maxmemory_clients(cfg);
    lim.tcp_keepalive_s = (int)kv_cfg_ll(cfg, "tcp-keepalive");
    kv_shard_set_limits(sh, &lim);
    kv_rt_set_maxclients(kv_shard_rt(sh), kv_cfg_ll(cfg, "maxclients"));
}

kv_svc *kv_svc_new(const kv_server *srv, kv_shard *sh)
{
    kv_svc *sv = calloc(1, sizeof *sv);
    if (!sv)
        abort();
    sv->cfg = srv->cfg ? kv_cfg_clone(srv->cfg) : kv_cfg_new();
    sv->active_expire = 1;
    sv->acl = srv->acl;
    sv->inst_last_us = kv_shard_now_us(sh);
    kv_svc_apply(sv, sh);
    return sv;
}

void kv_svc_free(kv_svc *sv)
{
    size_t i;
    if (!sv)
        return;
    for (i = 0; i < sv->capstats; i++)
        free(sv->stats[i].hist);
    free(sv->stats);
    kv_slowlog_free(sv);
    kv_latency_free(sv);
    free(sv->mons);
    free(sv->requirepass);
    kv_cfg_free(sv->cfg);
    free(sv);
}

/* CLIENT PAUSE in effect? An expired pause is cleared here. */
int kv_svc_paused(kv_svc *sv, long long now_ms)
{
    if (sv->pause_type && now_ms >= sv->pause_end_ms)
        sv->pause_type = 0;
    return sv->pause_type;
}

/* ------------------------------------------------------------ before_exec */

/* A script runs past busy-reply-threshold (here, or for SHUTDOWN on any
 * shard): as Redis, only the commands flagged allow-busy run, and SHUTDOWN
 * NOSAVE stops the server at once (the script's writes, unfinished, are
 * not flushed to the AOF). Returns KV_EXEC_RUN to go on, or
 * KV_EXEC_REPLIED. */
static int kv_svc_busy_check(kv_ctx *ctx, int argc, const kv_str *argv, const kv_cmddesc *d)
{
    kv_cmdstate *st = ctx->state;
    int j;
    if (!strcmp(ctx->cmd->name, "shutdown")) {
        if (kv_scripts_busy(st->srv->scripts, NULL) < 0)
            return KV_EXEC_RUN;
        for (j = 1; j < argc; j++)
            if (kv_arg_eq(&argv[j], "nosave")) {
                kv_shard_log(ctx->shard, 3, "User requested shutdown while a script runs: "
                                            "exiting now, without saving");
                _exit(0);
            }
        kv_reply_error(&ctx->out, kv_scripts_busy_text(st->srv->scripts));
        return KV_EXEC_REPLIED;
    }
    if (!kv_lua_busy(st, NULL) || (d->rflags & KV_RF_ALLOW_BUSY))
        return KV_EXEC_RUN;
    kv_reply_error(&ctx->out, kv_lua_busy_text(st));
    return KV_EXEC_REPLIED;
}

int kv_svc_before_exec(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_svc *sv = kv_svc_of(ctx);
    int need_auth = kv_acl_need_auth(ctx->shard, kv_state(ctx));
    kv_session *s = kv_session_get(ctx->conn, need_auth);
    const kv_cmd *cmd = ctx->cmd;
    const kv_cmddesc *d;
    unsigned keyspace;
    int verdict;

    /* Unknown names reply their own error first, as in Redis (and make an
     * open MULTI fail at EXEC). */
    if (cmd->flags & KV_CMD_UNKNOWN)
        return kv_multi_before_exec(ctx, argc, argv);
    d = kv_desc(cmd);
    /* Redis's protected commands; DEBUG is the one kevy has. */
    if ((d->flags & KV_CMDF_PROTECTED) &&
        !(sv->debug_cmd == 1 ||
          (sv->debug_cmd == 2 && kv_peer_is_loopback(kv_conn_peer(ctx->conn))))) {
        kv_reply_error(&ctx->out, "ERR DEBUG command not allowed. If the enable-debug-command "
                                  "option is set to \"local\", you can run it from a local "
                                  "connection, otherwise you need to set this option in the "
                                  "configuration file, and then restart the server.");
        return KV_EXEC_REPLIED;
    }
    if (!(s->flags & KV_SESS_AUTHED)) {
        if (!need_auth || kv_conn_is_internal(ctx->conn)) {
            /* the password was removed, or it is the server's own client */
            kv_session_set_auth(ctx->conn, s, 1);
        } else if (!(d->rflags & KV_RF_NO_AUTH)) {
            kv_reply_error(&ctx->out, "NOAUTH Authentication required.");
            return KV_EXEC_REPLIED;
        }
    }
    /* ACL: the user's command, key and channel rules (acl/acl_check.c) */
    if (!kv_conn_is_internal(ctx->conn) && kv_acl_before_exec(ctx, s, d, argc, argv) != 0)
        return KV_EXEC_REPLIED;
    if ((d->rflags & KV_RF_ALLOW_BUSY) || kv_lua_busy(ctx->state, NULL)) {
        int v = kv_svc_busy_check(ctx, argc, argv, d);
        if (v != KV_EXEC_RUN)
            return v;
    }
    if (d->prepare)
        d->prepare(ctx, argc, argv);
    if (kv_state(ctx)->oom_refuse && kv_state(ctx)->oom_refuse(ctx, argc, argv)) /* -OOM */
        return KV_EXEC_REPLIED;
    if (kv_persist_refuse_write(ctx)) /* stop-writes-on-bgsave-error */
        return KV_EXEC_REPLIED;
    keyspace = cmd->flags & (KV_CMD_WRITE | KV_CMD_READONLY);
    if (s->flags & KV_SESS_MONITOR) {
        /* A monitor is a replica to Redis: no keyspace access, never paused. */
        if (keyspace || (d->rflags & KV_RF_MAY_REPLICATE)) {
            kv_reply_error(&ctx->out, "ERR Replica can't interact with the keyspace");
            return KV_EXEC_REPLIED;
        }
        return KV_EXEC_RUN;
    }
    /* A RESP2 subscriber's connection carries messages: only the commands
     * that manage subscriptions (and PING, QUIT, RESET) may share it. */
    if (s->ps && !(d->flags & KV_CMDF_PUBSUB_CTX) && kv_conn_proto(ctx->conn) == 2 &&
        kv_pubsub_client_active(ctx->conn)) {
        kv_reply_errorf(&ctx->out,
                        "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
                        "QUIT / RESET are allowed in this context",
                        cmd->name);
        return KV_EXEC_REPLIED;
    }
    if (sv->pause_type && kv_svc_paused(sv, kv_now_ms(ctx))) {
        if (sv->pause_type == 2 || (cmd->flags & KV_CMD_WRITE) ||
            (d->rflags & KV_RF_MAY_REPLICATE))
            return KV_EXEC_DEFER;
    }
    verdict = kv_multi_before_exec(ctx, argc, argv); /* MULTI: queue it */
    if (s->trk) /* CLIENT TRACKING: what the command carries (never tracked: nothing) */
        kv_tracking_before_exec(ctx, verdict);
    return verdict;
}

/* ------------------------------------------------------------- after_exec */

void kv_svc_after_exec(kv_shard *sh, void *state, kv_conn *c, const kv_exec_info *info)
{
    kv_cmdstate *st = state;
    kv_svc *sv = st->svc;
    int end = KV_BLOCK_END_SERVED;
    kv_cmdstat *cs;
    unsigned long rf;
    /* A command that blocks, as Redis 7.0 counts it: a call, and a MONITOR
     * line, when it is made (suspended); when its reply goes out (resumed),
     * SLOWLOG if it was served, a failed call if CLIENT UNBLOCK ended it. */
    if (info->resumed && c) {
        kv_session *s = kv_conn_data(c);
        if (s)
            end = s->block_end;
    }
    cs = kv_stat_record(sv, info, end == KV_BLOCK_END_UNBLOCK);
    if (c && !info->suspended)
        kv_multi_after_exec(c, info); /* a rejected command fails an open MULTI */
    if (!cs || info->rejected)
        return;
    rf = cs->rflags;
    if (!info->suspended && end == KV_BLOCK_END_SERVED && sv->slowlog_slower_than >= 0 &&
        info->duration_us >= sv->slowlog_slower_than && !(rf & KV_RF_SKIP_SLOWLOG))
        kv_slowlog_push(sv, st->srv, c, info, kv_shard_now_ms(sh) / 1000);
    /* Redis's latencyAddSampleIfNeeded in call(): not for a blocked command
     * (Redis skips those there), by the command's "fast" flag. */
    if (sv->latency_threshold > 0 && !info->suspended && !info->resumed &&
        info->duration_us / 1000 >= sv->latency_threshold)
        kv_latency_add(sv, (rf & KV_RF_FAST) ? "fast-command" : "command",
                       info->duration_us / 1000, kv_shard_now_ms(sh) / 1000);
    if (sv->nmons > 0 && !info->resumed && !(rf & (KV_RF_ADMIN | KV_RF_SKIP_MONITOR)))
        kv_monitor_feed(sh, sv, c, info);
}

/* ------------------------------------------------------------ connections */

int kv_svc_conn_open(kv_shard *sh, void *state, kv_conn *c, kv_buf *out)
{
    kv_svc *sv = ((kv_cmdstate *)state)->svc;
    int need_auth = kv_acl_need_auth(sh, state);
    kv_session_get(c, need_auth);
    if (kv_protected_refuse(sv->protected_mode, need_auth, kv_conn_peer(c))) {
        kv_buf_append(out, kv_protected_denied, strlen(kv_protected_denied));
        return -1;
    }
    return 0;
}

void kv_svc_conn_closed(kv_shard *sh, void *state, kv_conn *c)
{
    kv_svc *sv = ((kv_cmdstate *)state)->svc;
    kv_session *s = kv_conn_data(c);
    if (s && (s->flags & KV_SESS_MONITOR))
        kv_monitor_forget(sh, sv, kv_conn_id(c), 1);
    kv_multi_forget(sh, state, c); /* its watches on every shard */
    kv_block_client_gone(sh, state, c); /* its registrations on every shard */
    kv_pubsub_client_reset(sh, state, c); /* its subscriptions, in every directory */
    kv_tracking_client_gone(sh, state, c); /* its BCAST prefixes, on every shard */
    kv_session_free(c);
}

/* What the command set keeps for a connection, for its memory (CLIENT
 * LIST's tot-mem, client eviction): the session and name, the MULTI queue
 * and watched keys, a slot per subscription. */
size_t kv_svc_conn_mem(kv_shard *sh, void *state, kv_conn *c)
{
    const kv_session *s = kv_conn_data(c);
    long long sub, psub, ssub;
    size_t m = sizeof *s, qb, multi;
    int queued;
    (void)sh;
    (void)state;
    if (s->name)
        m += strlen(s->name) + 1;
    kv_multi_info(c, &queued, &qb, &multi);
    kv_pubsub_client_counts(c, &sub, &psub, &ssub);
    return m + multi + (size_t)(sub + psub + ssub) * 64;
}

/* ------------------------------------------------------------------ tick */

/* Redis samples its instantaneous_* metrics every 100 ms and reports the
 * mean of the last 16 samples; each shard does the same with its own
 * counters and INFO adds the shards up. */
static void kv_svc_sample(kv_svc *sv, kv_shard *sh)
{
    const kv_shard_stats *ss = kv_shard_stats_get(sh);
    long long now = kv_shard_now_us(sh), dt = now - sv->inst_last_us;
    long long cur[3];
    int k;
    if (dt < 100000)
        return;
    cur[0] = ss->total_commands_processed;
    cur[1] = ss->total_net_input_bytes;
    cur[2] = ss->total_net_output_bytes;
    for (k = 0; k < 3; k++) {
        sv->inst_samples[k][sv->inst_idx] = (cur[k] - sv->inst_last[k]) * 1000000 / dt;
        sv->inst_last[k] = cur[k];
    }
    sv->inst_idx = (sv->inst_idx + 1) % KV_INST_SAMPLES;
    sv->inst_last_us = now;
}

void kv_svc_tick(kv_shard *sh, kv_cmdstate *st)
{
    kv_svc *sv = st->svc;
    long long mem = (long long)kv_ks_memory(st->ks);
    if (sv->pause_type && !kv_svc_paused(sv, kv_shard_now_ms(sh)))
        kv_shard_retry_deferred(sh);
    if (sv->acl) /* an idle shard lets old ACL snapshots go, and drops deleted users' clients */
        kv_acl_shard_snap(sh, st);
    kv_svc_sample(sv, sh);
    if (mem > sv->peak_memory)
        sv->peak_memory = mem;
}
