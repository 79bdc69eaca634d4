/* maxmemory and eviction (see evict.h): the shards' published figures,
 * Redis's performEvictions run by each shard on its own keyspace, the OOM
 * refusals of processCommand, and the side effects of an eviction (WATCH,
 * client-side caching, the `evicted` notification, the AOF's DEL). */
#include "cmd/server/evict.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/config/cfg.h"
#include "cmd/multi/multi.h"
#include "cmd/multi/watch.h"
#include "cmd/persist/persist.h"
#include "cmd/pubsub/tracking.h"
#include "cmd/script/script.h"
#include "cmd/server/lazyfree.h"
#include "cmd/server/svc.h"
#include "rt/atomic.h"
#include "store/evict.h"

typedef struct kv_evict {
    long long maxmemory;     /* 0: no limit */
    unsigned policy;         /* KV_MM_* */
    int samples;
    long long time_limit_us; /* from maxmemory-eviction-tenacity; -1: none */
    kv_evpool *pool;
    int next_db;             /* the random policies' round robin */
    long long evicted;       /* INFO evicted_keys (this shard's) */
    long long over_since_us; /* over the limit since (0: not) */
    long long over_total_us; /* finished periods over the limit */
} kv_evict;

/* ------------------------------------------------------------ shared slots */

void kv_evict_shared_init(kv_server *srv)
{
    kv_shared *sh = srv->shared;
    if (!sh || sh->mem || srv->nshards < 1)
        return;
    if (posix_memalign((void **)&sh->mem, KV_CACHELINE,
                       (size_t)srv->nshards * sizeof(kv_memslot)) != 0)
        abort();
    memset(sh->mem, 0, (size_t)srv->nshards * sizeof(kv_memslot));
    sh->nmem = srv->nshards;
}

void kv_evict_shared_free(kv_server *srv)
{
    if (!srv->shared)
        return;
    free(srv->shared->mem);
    srv->shared->mem = NULL;
    srv->shared->nmem = 0;
}

static kv_memslot *own_slot(const kv_cmdstate *st)
{
    const kv_shared *sh = st->srv->shared;
    int id = kv_shard_id(st->shard);
    return sh && sh->mem && id < sh->nmem ? &sh->mem[id] : NULL;
}

static long long own_evictable(const kv_cmdstate *st, unsigned policy)
{
    long long n = 0;
    int i;
    for (i = 0; i < st->ks->ndb; i++)
        n += (long long)((policy & KV_MM_ALLKEYS) ? kv_db_size(st->ks->db[i])
                                                 : kv_db_expires_size(st->ks->db[i]));
    return n;
}

static void set_room(kv_cmdstate *st, size_t room)
{
    int i;
    for (i = 0; i < st->ks->ndb; i++)
        kv_db_set_room(st->ks->db[i], room);
}

/* Publish this shard's figures; the server's sum and whether some other
 * shard could still evict. Only this shard writes its slot (a plain store,
 * no read-modify-write); the others' slots are read relaxed: a figure a
 * moment old is good enough, since each shard corrects its own. */
static long long publish(kv_cmdstate *st, long long *others_evictable)
{
    kv_evict *ev = st->ev;
    long long own = (long long)kv_ks_memory(st->ks), sum = own;
    kv_memslot *me = own_slot(st);
    const kv_shared *sh = st->srv->shared;
    int i;
    if (others_evictable)
        *others_evictable = 0;
    if (!me) {
        set_room(st, ev->maxmemory ? (own < ev->maxmemory ? (size_t)(ev->maxmemory - own) : 0)
                                   : (size_t)-1);
        return own;
    }
    kv_atomic_store_relaxed(&me->used, own);
    for (i = 0; i < sh->nmem; i++)
        if (&sh->mem[i] != me)
            sum += kv_atomic_load_relaxed(&sh->mem[i].used);
    set_room(st, ev->maxmemory ? (sum < ev->maxmemory ? (size_t)(ev->maxmemory - sum) : 0)
                               : (size_t)-1);
    if (ev->maxmemory) {
        kv_atomic_store_relaxed(&me->evictable, own_evictable(st, ev->policy));
        for (i = 0; others_evictable && sum > ev->maxmemory && i < sh->nmem; i++)
            if (&sh->mem[i] != me)
                *others_evictable += kv_atomic_load_relaxed(&sh->mem[i].evictable);
    }
    return sum;
}

/* This shard is at or under its even part of maxmemory and some other
 * shard is over its part with keys it can evict. */
static int others_over_part(const kv_cmdstate *st)
{
    const kv_shared *sh = st->srv->shared;
    const kv_memslot *me = own_slot(st);
    long long part = st->ev->maxmemory / (sh && sh->nmem ? sh->nmem : 1);
    int i;
    if (!me || kv_atomic_load_relaxed(&me->used) > part)
        return 0;
    for (i = 0; i < sh->nmem; i++)
        if (&sh->mem[i] != me && kv_atomic_load_relaxed(&sh->mem[i].used) > part &&
            kv_atomic_load_relaxed(&sh->mem[i].evictable) > 0)
            return 1;
    return 0;
}

/* ------------------------------------------------------------ configuration */

void kv_evict_init(kv_cmdstate *st)
{
    if (!(st->ev = calloc(1, sizeof *st->ev)))
        abort();
    st->ev->pool = kv_evpool_new();
    st->oom = kv_evict_oom;
    /* The LRU clock is right from the start, not from the first tick: a
     * value stamped before it would read a wrapped idle time. */
    st->ks->lru_clock = (unsigned)(kv_shard_now_ms(st->shard) / 1000) & KV_LRU_CLOCK_MASK;
    kv_evict_apply(st);
}

void kv_evict_free(kv_cmdstate *st)
{
    if (!st->ev)
        return;
    kv_evpool_free(st->ev->pool);
    free(st->ev);
    st->ev = NULL;
}

/* Redis's evictionTimeLimitUs: 50 us per step up to 10, then +15% per
 * step, no limit at 100. */
static long long time_limit_us(long long tenacity)
{
    double us = 500.0;
    long long i;
    if (tenacity <= 10)
        return 50 * (tenacity < 0 ? 0 : tenacity);
    if (tenacity >= 100)
        return -1;
    for (i = 10; i < tenacity; i++)
        us *= 1.15;
    return (long long)us;
}

void kv_evict_apply(kv_cmdstate *st)
{
    kv_evict *ev = st->ev;
    const kv_cfg *cfg = st->cfg;
    int p = kv_mm_policy(kv_cfg_get(cfg, "maxmemory-policy"));
    kv_lazyfree_apply(st); /* lazyfree-lazy-eviction and its two siblings */
    ev->maxmemory = kv_cfg_ll(cfg, "maxmemory");
    ev->policy = p < 0 ? KV_MM_NOEVICTION : (unsigned)p;
    ev->samples = (int)kv_cfg_ll(cfg, "maxmemory-samples");
    ev->time_limit_us = time_limit_us(kv_cfg_ll(cfg, "maxmemory-eviction-tenacity"));
    st->ks->lfu = (ev->policy & KV_MM_LFU) != 0;
    st->ks->lfu_log_factor = (int)kv_cfg_ll(cfg, "lfu-log-factor");
    st->ks->lfu_decay_time = (int)kv_cfg_ll(cfg, "lfu-decay-time");
    /* Without a limit a command pays one branch, not a call. */
    st->oom_refuse = ev->maxmemory ? kv_evict_refuse : NULL;
    if (ev->maxmemory) {
        /* the runtime tells us of every command run here (kv_evict_after_command) */
        kv_shard_want_executed(st->shard, 1);
        /* Only publish: CONFIG SET runs on every shard, and a shard that
         * evicted now would judge by the others' figures from before they
         * applied it. Eviction starts with the next command or tick (Redis
         * too evicts after CONFIG SET from a timer, in steps). */
        publish(st, NULL);
    } else {
        publish(st, NULL);
        if (ev->over_since_us) {
            ev->over_total_us += kv_shard_now_us(st->shard) - ev->over_since_us;
            ev->over_since_us = 0;
        }
    }
}

/* ------------------------------------------------------------ evicting */

/* Redis's isSafeToPerformEvictions: not while loading, while a script is
 * busy or while clients are paused (then nothing is out of memory). */
static int safe_to_evict(kv_cmdstate *st)
{
    if (st->ks->loading || kv_lua_busy(st, NULL))
        return 0;
    return !(st->svc->pause_type && kv_svc_paused(st->svc, kv_shard_now_ms(st->shard)));
}

/* kevy's own: not while this shard holds a transaction's locks (a key
 * taken away under a transaction that read it would break its
 * atomicity) or runs a script; the next command or tick evicts. */
static int may_evict_now(kv_cmdstate *st)
{
    kv_shard_gauges g;
    if (st->lua && st->lua->cur)
        return 0;
    kv_shard_gauges_get(st->shard, &g);
    return g.locks_held == 0;
}

/* Delete one key as Redis evicts it: the key is modified for WATCH and
 * client-side caching, `evicted` is notified, the AOF logs its deletion. */
static void evict_key(kv_cmdstate *st, int db, kv_entry *e)
{
    size_t klen;
    const char *k = kv_entry_key(e, &klen);
    char *copy = malloc(klen ? klen : 1);
    if (!copy)
        abort();
    memcpy(copy, k, klen);
    kv_ks_delete_entry(st->ks, db, e, KV_LAZY_EVICT); /* lazyfree-lazy-eviction */
    st->ev->evicted++;
    kv_watch_touch(st->watch, db, copy, klen);
    if (st->trk_live)
        kv_tracking_touch(st, copy, klen, -1, 0);
    kv_notify_sh(st->shard, st, KV_NOTIFY_EVICTED, "evicted", db, copy, klen);
    if (st->aof) {
        kv_str argv[2];
        int lazy = kv_cfg_yes(st->cfg, "lazyfree-lazy-eviction");
        argv[0].p = lazy ? "UNLINK" : "DEL";
        argv[0].n = lazy ? 6 : 3;
        argv[1].p = copy;
        argv[1].n = klen;
        kv_aof_outside(st, 1);
        kv_aof_log(st, db, 2, argv);
        kv_aof_outside(st, 0);
    }
    free(copy);
}

static void track_over(kv_evict *ev, int over, long long now_us)
{
    if (over && !ev->over_since_us) {
        ev->over_since_us = now_us;
    } else if (!over && ev->over_since_us) {
        ev->over_total_us += now_us - ev->over_since_us;
        ev->over_since_us = 0;
    }
}

int kv_evict_perform(kv_cmdstate *st)
{
    kv_evict *ev = st->ev;
    long long others, sum, start, now_us = kv_shard_now_us(st->shard);
    int keys = 0, db, result;
    kv_entry *e;
    if (!ev->maxmemory)
        return KV_EVICT_OK;
    sum = publish(st, &others);
    if (sum <= ev->maxmemory) {
        track_over(ev, 0, now_us);
        return KV_EVICT_OK;
    }
    track_over(ev, 1, now_us);
    if (!safe_to_evict(st))
        return KV_EVICT_OK; /* as Redis: a fake OK, eviction is not triggered */
    if (ev->policy & KV_MM_NOEVICTION)
        return KV_EVICT_FAIL;
    if (!may_evict_now(st))
        return others + own_evictable(st, ev->policy) ? KV_EVICT_RUNNING : KV_EVICT_FAIL;
    start = kv_monotonic_us();
    result = KV_EVICT_OK;
    while (sum > ev->maxmemory) {
        /* Not below this shard's even part of the limit while another
         * shard is above its own and can evict: that one evicts after its
         * next command or at its tick, so the keys that go are taken
         * evenly, not all from the shard that happened to look first. */
        if (others > 0 && others_over_part(st)) {
            result = KV_EVICT_RUNNING;
            break;
        }
        if (!kv_evict_pick(st->ks, ev->pool, ev->policy, ev->samples, kv_shard_now_ms(st->shard),
                           &ev->next_db, &db, &e)) {
            /* Nothing left here: another shard over its part evicts after
             * its next command or at its tick, so only a server where no
             * shard has a candidate is out of memory. */
            result = others > 0 ? KV_EVICT_RUNNING : KV_EVICT_FAIL;
            break;
        }
        evict_key(st, db, e);
        sum = publish(st, &others);
        if (++keys % 16 == 0 && ev->time_limit_us >= 0 &&
            kv_monotonic_us() - start > ev->time_limit_us) {
            result = KV_EVICT_RUNNING; /* the rest at the next command or tick */
            break;
        }
    }
    if (sum <= ev->maxmemory)
        track_over(ev, 0, kv_shard_now_us(st->shard));
    if (keys && st->svc->latency_threshold > 0) {
        long long ms = (kv_monotonic_us() - start) / 1000;
        if (ms >= st->svc->latency_threshold)
            kv_latency_add(st->svc, "eviction-cycle", ms, kv_shard_now_ms(st->shard) / 1000);
    }
    return result;
}

int kv_evict_oom(kv_cmdstate *st)
{
    return st->ev && st->ev->maxmemory && kv_evict_perform(st) == KV_EVICT_FAIL;
}

void kv_evict_after_command(kv_ctx *ctx)
{
    kv_cmdstate *st = kv_state(ctx);
    /* A part of a transaction over shards: its locks are still held (the
     * next command or the tick evicts). */
    if (st->ev->maxmemory && !ctx->txn)
        kv_evict_perform(st);
}

void kv_evict_tick(kv_cmdstate *st)
{
    if (!st->ev->maxmemory) {
        if (kv_shard_id(st->shard) < (st->srv->shared ? st->srv->shared->nmem : 0))
            publish(st, NULL); /* INFO's sum stays current on idle shards too */
        return;
    }
    kv_shard_want_executed(st->shard, 1); /* the AOF may have turned it off */
    kv_evict_perform(st);
}

/* ------------------------------------------------------------ refusing */

/* EVAL and EVALSHA (and their _RO forms): the shebang flags of the script
 * they run (the body, or the cached one); -1 for other commands, FCALL,
 * and an unknown script (EVALSHA will reply NOSCRIPT). */
static int script_flags(kv_ctx *ctx, int argc, const kv_str *argv)
{
    const kv_server *srv = kv_state(ctx)->srv;
    const kv_cmd *eval = kv_cmd_find(srv, "eval", 4);
    char sha[41], *body;
    size_t n, i;
    int f;
    if (!eval || ctx->cmd->exec != eval->exec || argc < 2 ||
        ctx->cmd == kv_cmd_find(srv, "fcall", 5) || ctx->cmd == kv_cmd_find(srv, "fcall_ro", 8))
        return -1;
    if (ctx->cmd != kv_cmd_find(srv, "evalsha", 7) && ctx->cmd != kv_cmd_find(srv, "evalsha_ro", 10))
        return kv_lua_shebang_flags(argv[1].p, argv[1].n);
    if (argv[1].n != 40)
        return -1;
    for (i = 0; i < 40; i++)
        sha[i] = (char)(argv[1].p[i] >= 'A' && argv[1].p[i] <= 'Z' ? argv[1].p[i] + 32 : argv[1].p[i]);
    sha[40] = '\0';
    if (!(body = kv_scripts_get(srv->scripts, sha, 40, &n)))
        return -1;
    f = kv_lua_shebang_flags(body, n);
    free(body);
    return f;
}

int kv_evict_refuse(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_cmdstate *st = kv_state(ctx);
    const kv_cmd *cmd = ctx->cmd;
    const kv_cmddesc *d = kv_desc(cmd);
    unsigned long rflags;
    int exec, reject, sf;
    if (!st->ev->maxmemory || kv_lua_busy(st, NULL))
        return 0;
    if (kv_evict_perform(st) != KV_EVICT_FAIL)
        return 0;
    /* Redis's is_denyoom_command: the command's flag, EXEC's queue, and
     * for a script with a shebang its own flags (deny-oom unless allow-oom
     * or no-writes). */
    rflags = d->rflags;
    exec = kv_multi_is_exec(cmd);
    if (exec)
        rflags |= kv_multi_queue_rflags(ctx->conn);
    sf = script_flags(ctx, argc, argv);
    if (sf >= 0 && (sf & KV_SCRIPT_DECLARED))
        rflags = (sf & (KV_SCRIPT_ALLOW_OOM | KV_SCRIPT_NO_WRITES)) ? rflags & ~KV_RF_DENYOOM
                                                                     : rflags | KV_RF_DENYOOM;
    reject = (rflags & KV_RF_DENYOOM) != 0;
    /* Queueing may take unbounded memory: inside MULTI everything but
     * EXEC, DISCARD, QUIT and RESET is refused. */
    if (ctx->conn && kv_multi_active(ctx->conn) && !(d->flags & KV_CMDF_MULTI_OOM_OK))
        reject = 1;
    if (!reject)
        return 0;
    if (exec)
        kv_multi_abort(ctx, KV_OOM_ERR);
    else
        kv_reply_error(&ctx->out, KV_OOM_ERR);
    return 1;
}

/* ------------------------------------------------------------ INFO */

void kv_evict_reset_stats(kv_cmdstate *st)
{
    kv_evict *ev = st->ev;
    ev->evicted = 0;
    ev->over_total_us = 0;
    if (ev->over_since_us)
        ev->over_since_us = kv_shard_now_us(st->shard);
}

void kv_evict_info(const kv_cmdstate *st, long long *evicted, long long *exceeded_total_ms,
                   long long *exceeded_current_ms)
{
    const kv_evict *ev = st->ev;
    long long cur = ev->over_since_us ? kv_shard_now_us(st->shard) - ev->over_since_us : 0;
    *evicted = ev->evicted;
    *exceeded_total_ms = *exceeded_current_ms = 0;
    if (kv_shard_id(st->shard) != 0) /* shard 0 speaks for the server's state */
        return;
    *exceeded_total_ms = (ev->over_total_us + cur) / 1000;
    *exceeded_current_ms = cur / 1000;
}
