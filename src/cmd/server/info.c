/* INFO: every shard reports its numbers as one RESP part (the requested
 * sections, fixed counters, per-db keyspace figures, and for the stats
 * sections its per-command, per-error and latency tables), and the home
 * shard adds the parts up and prints Redis's sections with Redis's field
 * names (info_fmt.c). The requested sections travel in each part, so the
 * merge needs nothing but the parts. */
#include "cmd/server/info.h"
#include "cmd/server/evict.h"
#include "cmd/script/script.h"
#include "cmd/persist/persist.h"
#include "cmd/pubsub/pubsub.h"
#include "cmd/pubsub/tracking.h"
#include "cmd/server/lazyfree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct { const char *name; int bits; } kv_sections[] = {
    {"server", SEC_SERVER}, {"clients", SEC_CLIENTS}, {"memory", SEC_MEMORY},
    {"persistence", SEC_PERSISTENCE}, {"stats", SEC_STATS},
    {"replication", SEC_REPLICATION}, {"cpu", SEC_CPU}, {"modules", SEC_MODULES},
    {"commandstats", SEC_COMMANDSTATS}, {"errorstats", SEC_ERRORSTATS},
    {"latencystats", SEC_LATENCYSTATS}, {"cluster", SEC_CLUSTER}, {"keyspace", SEC_KEYSPACE},
    {"default", SEC_DEFAULT}, {"all", SEC_ALL}, {"everything", SEC_ALL},
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

static long long kv_inst(const kv_svc *sv, int k)
{
    long long sum = 0;
    int i;
    for (i = 0; i < KV_INST_SAMPLES; i++)
        sum += sv->inst_samples[k][i];
    return sum / KV_INST_SAMPLES;
}

static void kv_info_counters(kv_ctx *ctx, int mask)
{
    kv_cmdstate *st = kv_state(ctx);
    const kv_svc *sv = st->svc;
    const kv_shard_stats *ss = kv_shard_stats_get(ctx->shard), *b = &sv->base;
    kv_shard_gauges g;
    long long f[F_COUNT];
    int i;
    f[F_MASK] = mask;
    f[F_CLIENTS] = ss->connected_clients;
    f[F_CONNS] = ss->total_connections_received - b->total_connections_received;
    f[F_CMDS] = ss->total_commands_processed - b->total_commands_processed;
    f[F_NET_IN] = ss->total_net_input_bytes - b->total_net_input_bytes;
    f[F_NET_OUT] = ss->total_net_output_bytes - b->total_net_output_bytes;
    f[F_ERRORS] = ss->total_error_replies - b->total_error_replies;
    f[F_REJECTED] = ss->rejected_connections - b->rejected_connections;
    f[F_READS] = ss->total_reads_processed - b->total_reads_processed;
    f[F_WRITES] = ss->total_writes_processed - b->total_writes_processed;
    f[F_MAX_IN] = ss->max_input_buffer;
    f[F_MAX_OUT] = ss->max_output_buffer;
    f[F_FORWARDED] = ss->forwarded_commands - b->forwarded_commands;
    f[F_CLIENTS_MEM] = ss->clients_memory;
    f[F_EVICTED_CLIENTS] = ss->evicted_clients - b->evicted_clients;
    f[F_EXPIRED] = st->ks->stats.expired_keys;
    f[F_HITS] = st->ks->stats.keyspace_hits;
    f[F_MISSES] = st->ks->stats.keyspace_misses;
    f[F_TIMECAP] = st->ks->stats.expired_time_cap_reached_count;
    f[F_EXPIRE_US] = st->ks->stats.expire_cycle_us;
    f[F_STALE_X100] = (long long)(st->ks->stats.expired_stale_perc * 100);
    f[F_MEMORY] = (long long)kv_ks_memory(st->ks);
    f[F_KEYS_OVERHEAD] = 0;
    for (i = 0; i < st->ks->ndb; i++) { /* MEMORY STATS's overhead.hashtable.* */
        size_t main, expires;
        kv_db_overhead(st->ks->db[i], &main, &expires);
        f[F_KEYS_OVERHEAD] += (long long)(main + expires);
    }
    f[F_PEAK] = sv->peak_memory > f[F_MEMORY] ? sv->peak_memory : f[F_MEMORY];
    f[F_DIRTY] = kv_persist_changes(st);
    f[F_OPS] = kv_inst(sv, 0);
    f[F_IN_BPS] = kv_inst(sv, 1);
    f[F_OUT_BPS] = kv_inst(sv, 2);
    f[F_PAUSED] = sv->pause_type != 0;
    f[F_BLOCKED] = st->blocked_clients;
    f[F_TIMEOUT_TABLE] = st->blocked_with_timeout;
    kv_shard_gauges_get(ctx->shard, &g);
    f[F_INFLIGHT] = g.inflight;
    f[F_LOCKS] = g.locks_held;
    f[F_LOCKWAIT] = g.lock_waiters;
    f[F_OPERATIONS] = g.operations;
    f[F_CLOSING] = g.closing_clients;
    f[F_WAITED_KEYS] = (long long)st->blk_keys;
    f[F_BLOCK_REGS] = (long long)st->blk_regs;
    /* Every shard has the whole channel directory: shard 0 speaks for it.
     * Shard channels are counted by their owners. */
    kv_pubsub_counts(st->ps, &f[F_PS_CHANNELS], &f[F_PS_PATTERNS], &f[F_PS_SHARD]);
    if (kv_shard_id(ctx->shard) != 0)
        f[F_PS_CHANNELS] = f[F_PS_PATTERNS] = 0;
    /* Tracking clients by home, keys by owner; prefixes are on every
     * shard: shard 0 speaks for them. */
    kv_tracking_counts(st->trk, &f[F_TRK_CLIENTS], &f[F_TRK_KEYS], &f[F_TRK_ITEMS],
                       &f[F_TRK_PREFIXES]);
    if (kv_shard_id(ctx->shard) != 0)
        f[F_TRK_PREFIXES] = 0;
    kv_aof_info(st, &f[F_AOF_ON], &f[F_AOF_SIZE], &f[F_AOF_BASE], &f[F_AOF_BUF], &f[F_AOF_WERR]);
    kv_aof_info_fsync(st, &f[F_AOF_BIO], &f[F_AOF_DELAYED]);
    kv_evict_info(st, &f[F_EVICTED], &f[F_EVICT_OVER_TOTAL], &f[F_EVICT_OVER_CUR]);
    f[F_LUA_VM] = kv_lua_memory(st);
    f[F_SCRIPTS] = f[F_SCRIPTS_MEM] = 0;
    if (kv_shard_id(ctx->shard) == 0) /* the script cache is the server's */
        kv_scripts_stats(st->srv->scripts, &f[F_SCRIPTS], &f[F_SCRIPTS_MEM]);
    f[F_LAZY_PENDING] = f[F_LAZY_FREED] = 0;
    if (kv_shard_id(ctx->shard) == 0) /* the lazy-free thread is the server's */
        kv_lazyfree_counts(st->srv->lazyfree, &f[F_LAZY_PENDING], &f[F_LAZY_FREED]);
    kv_aof_rewrite_info(st, &f[F_AOF_RW], &f[F_AOF_RW_SCHED], &f[F_AOF_RW_ERR], &f[F_AOF_RWS],
                        &f[F_AOF_RW_FAILS], &f[F_AOF_RW_LAST], &f[F_AOF_RW_CUR]);
    if (kv_shard_id(ctx->shard) != 0) /* counted once: shard 0 speaks for the rewrites */
        f[F_AOF_RWS] = f[F_AOF_RW_FAILS] = f[F_AOF_RW_LAST] = f[F_AOF_RW_CUR] = 0;
    for (i = 0; i < F_COUNT; i++)
        kv_reply_int(&ctx->out, f[i]);
}

static void kv_info_tables(kv_ctx *ctx, int mask)
{
    const kv_svc *sv = kv_svc_of(ctx);
    size_t i, n = 0;
    int k;
    for (i = 0; (mask & (SEC_COMMANDSTATS | SEC_LATENCYSTATS)) && i < sv->capstats; i++)
        n += sv->stats[i].cmd != NULL;
    kv_reply_array(&ctx->out, (long)n);
    for (i = 0; n && i < sv->capstats; i++) {
        const kv_cmdstat *c = &sv->stats[i];
        if (!c->cmd)
            continue;
        kv_reply_array(&ctx->out, 6);
        kv_reply_int(&ctx->out, kv_desc(c->cmd)->pos); /* the index is every shard's */
        kv_reply_int(&ctx->out, c->calls);
        kv_reply_int(&ctx->out, c->usec);
        kv_reply_int(&ctx->out, c->rejected);
        kv_reply_int(&ctx->out, c->failed);
        if (!(mask & SEC_LATENCYSTATS) || !c->hist) {
            kv_reply_array(&ctx->out, 0);
        } else {
            int used = 0;
            for (k = 0; k < KV_HIST_LEN; k++)
                used += c->hist->counts[k] != 0;
            kv_reply_array(&ctx->out, 2 * used);
            for (k = 0; k < KV_HIST_LEN; k++)
                if (c->hist->counts[k]) {
                    kv_reply_int(&ctx->out, k);
                    kv_reply_int(&ctx->out, c->hist->counts[k]);
                }
        }
    }
    n = mask & SEC_ERRORSTATS ? (size_t)sv->nerrs : 0;
    kv_reply_array(&ctx->out, (long)n);
    for (i = 0; i < n; i++) {
        kv_reply_bulk_cstr(&ctx->out, sv->errs[i].code);
        kv_reply_int(&ctx->out, sv->errs[i].count);
    }
}

/* A shard's part: [counters..., [db triplets], [commands], [errors]]. */
static void kv_cmd_info(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_cmdstate *st = kv_state(ctx);
    long long now = kv_now_ms(ctx);
    int mask = kv_info_mask(argc, argv), i;
    kv_reply_array(&ctx->out, F_COUNT + 3);
    kv_info_counters(ctx, mask);
    kv_reply_array(&ctx->out, 3 * st->ks->ndb);
    for (i = 0; i < st->ks->ndb; i++) {
        kv_db *db = st->ks->db[i];
        long long expires = (long long)kv_db_expires_size(db);
        kv_reply_int(&ctx->out, (long long)kv_db_size(db));
        kv_reply_int(&ctx->out, expires);
        kv_reply_int(&ctx->out, kv_avg_ttl(db, now) * expires);
    }
    kv_info_tables(ctx, mask);
}

/* --------------------------------------------------------------- merging */

typedef struct kv_rd {
    const char *p, *end;
} kv_rd;

/* The number of the next "<type><number>\r\n" line (0 if there is none). */
static long long kv_rd_num(kv_rd *r)
{
    long long v = 0;
    char type;
    kv_rd_line(&r->p, r->end, &type, &v);
    return v;
}

static size_t kv_rd_str(kv_rd *r, const char **p)
{
    long long n = kv_rd_num(r);
    *p = r->p;
    r->p += n + 2;
    return (size_t)n;
}

static int kv_stat_cmp(const void *a, const void *b)
{
    return (int)kv_desc(((const kv_infocmd *)a)->cmd)->rank -
           (int)kv_desc(((const kv_infocmd *)b)->cmd)->rank;
}

static kv_infocmd *kv_find_cmd(kv_infototal *t, const kv_cmd *cmd)
{
    size_t i;
    for (i = 0; i < t->ncmds; i++)
        if (t->cmds[i].cmd == cmd)
            return &t->cmds[i];
    if (t->ncmds == t->capcmds) {
        t->capcmds = t->capcmds ? t->capcmds * 2 : 64;
        if (!(t->cmds = realloc(t->cmds, t->capcmds * sizeof *t->cmds)))
            abort();
    }
    memset(&t->cmds[t->ncmds], 0, sizeof t->cmds[0]);
    t->cmds[t->ncmds].cmd = cmd;
    return &t->cmds[t->ncmds++];
}

static void kv_merge_tables(kv_infototal *t, const kv_cmd_index *ix, kv_rd *r)
{
    long long n = kv_rd_num(r), i, k;
    for (i = 0; i < n; i++) {
        kv_infocmd *c;
        long long m, pos;
        kv_rd_num(r); /* *6 */
        pos = kv_rd_num(r);
        c = kv_find_cmd(t, &ix->cmd[pos >= 0 && pos < ix->ncmd ? pos : 0]);
        c->calls += kv_rd_num(r);
        c->usec += kv_rd_num(r);
        c->rejected += kv_rd_num(r);
        c->failed += kv_rd_num(r);
        m = kv_rd_num(r);
        if (m > 0 && !c->counts && !(c->counts = calloc(KV_HIST_LEN, sizeof *c->counts)))
            abort();
        for (k = 0; k + 1 < m; k += 2) {
            long long idx = kv_rd_num(r), cnt = kv_rd_num(r);
            if (idx >= 0 && idx < KV_HIST_LEN) {
                c->counts[idx] += cnt;
                c->total += cnt;
            }
        }
    }
    n = kv_rd_num(r);
    for (i = 0; i < n; i++) {
        const char *code;
        size_t len = kv_rd_str(r, &code);
        long long cnt = kv_rd_num(r);
        int e;
        for (e = 0; e < t->nerrs; e++)
            if (strlen(t->errs[e].code) == len && !memcmp(t->errs[e].code, code, len))
                break;
        if (e == t->nerrs) {
            if (t->nerrs == KV_ERRSTAT_MAX)
                continue;
            snprintf(t->errs[e].code, sizeof t->errs[e].code, "%.*s", (int)len, code);
            t->errs[e].count = 0;
            t->nerrs++;
        }
        t->errs[e].count += cnt;
    }
}

static void kv_reduce_info(kv_ctx *ctx, const kv_part *parts, int nparts)
{
    const kv_server *srv = kv_state(ctx)->srv;
    kv_infototal t;
    kv_buf b;
    int i, k;
    size_t c;
    memset(&t, 0, sizeof t);
    t.ndb = srv->databases;
    if (!(t.db = calloc((size_t)t.ndb * 3, sizeof *t.db)))
        abort();
    for (i = 0; i < nparts; i++) {
        kv_rd r;
        long long n;
        r.p = parts[i].reply;
        r.end = r.p + parts[i].len;
        if (parts[i].len == 0 || r.p[0] != '*')
            continue;
        kv_rd_num(&r);
        for (k = 0; k < F_COUNT; k++) {
            long long v = kv_rd_num(&r);
            t.f[k] = k == F_MASK ? v : t.f[k] + v;
        }
        n = kv_rd_num(&r);
        for (k = 0; k < n; k++) {
            long long v = kv_rd_num(&r);
            if (k < 3 * t.ndb)
                t.db[k] += v;
        }
        kv_merge_tables(&t, &srv->index, &r);
    }
    if (t.ncmds)
        qsort(t.cmds, t.ncmds, sizeof *t.cmds, kv_stat_cmp);
    kv_buf_init(&b);
    kv_info_format(ctx, &b, &t);
    kv_reply_verbatim(&ctx->out, b.p ? b.p : "", b.len, "txt");
    kv_buf_free(&b);
    for (c = 0; c < t.ncmds; c++)
        free(t.cmds[c].counts);
    free(t.cmds);
    free(t.db);
}

const kv_cmdspec kv_cmds_server_info[] = {
    {.name = "info", .route = KV_ROUTE_ALL, .exec = kv_cmd_info, .reduce = kv_reduce_info},
    KV_SPEC_END
};
