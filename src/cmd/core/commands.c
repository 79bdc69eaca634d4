/* The wiring of the command set: the kv_cmdset handed to the runtime (the
 * command index built from every family's table, per-shard state creation,
 * the periodic tick, and the services' hooks around every command and
 * connection), and a fixed server description for in-process runs. */
#include "cmd/acl/acl.h"
#include "cmd/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/block/block.h"
#include "cmd/config/cfg.h"
#include "cmd/core/families.h"
#include "cmd/multi/multi.h"
#include "cmd/multi/watch.h"
#include "cmd/persist/persist.h"
#include "cmd/pubsub/notify.h"
#include "cmd/pubsub/pubsub.h"
#include "cmd/pubsub/tracking.h"
#include "cmd/script/script.h"
#include "cmd/server/lazyfree.h"
#include "cmd/server/evict.h"
#include "cmd/server/svc.h"

#define KV_DECLARE(table) extern const kv_cmdspec table[];
KV_FAMILY_TABLES(KV_DECLARE)
#define KV_LIST(table) table,
static const kv_cmdspec *const kv_families[] = {KV_FAMILY_TABLES(KV_LIST)};

/* ------------------------------------------------------------- hooks */

static void kv_cmd_expired(void *arg, int db, const char *key, size_t klen)
{
    kv_cmdstate *st = arg;
    kv_watch_touch(st->watch, db, key, klen);
    if (st->trk_live) /* Redis: signalModifiedKey(NULL, ...) */
        kv_tracking_touch(st, key, klen, -1, 0);
    kv_notify_sh(st->shard, st, KV_NOTIFY_EXPIRED, "expired", db, key, klen);
    if (st->aof) { /* Redis propagates an expired key's deletion */
        kv_str argv[2];
        int lazy = kv_cfg_yes(st->cfg, "lazyfree-lazy-expire"); /* Redis: UNLINK then */
        argv[0].p = lazy ? "UNLINK" : "DEL";
        argv[0].n = lazy ? 6 : 3;
        argv[1].p = key;
        argv[1].n = klen;
        kv_aof_log(st, db, 2, argv);
    }
}

static void *kv_cmd_shard_init(kv_shard *sh, void *udata)
{
    const kv_server *srv = udata;
    kv_cmdstate *st = calloc(1, sizeof *st);
    if (!st)
        abort();
    st->srv = srv;
    st->shard = sh;
    /* What the startup load put aside for this shard, else empty. */
    st->ks = kv_persist_take_preload(srv->persist, kv_shard_id(sh));
    if (!st->ks)
        st->ks = kv_ks_new(srv->databases, srv->seed);
    if (!st->ks)
        abort();
    st->svc = kv_svc_new(srv, sh);
    st->cfg = st->svc->cfg;
    st->watch = kv_watchreg_new();
    st->blk = kv_blockreg_new(sh);
    st->ps = kv_pubsub_new(sh, srv->seed);
    st->trk = kv_tracking_new(st);
    st->notify = kv_notify_parse(kv_cfg_get(st->cfg, "notify-keyspace-events"));
    st->notify_publish = kv_notify_publish;
    st->report = kv_svc_after_exec;
    /* A key deleted by expiry (lazily or actively) is modified for WATCH. */
    st->ks->on_expire = kv_cmd_expired;
    st->ks->on_expire_arg = st;
    kv_aof_shard_init(st);
    kv_evict_init(st);
    return st;
}

/* SIGINT/SIGTERM: what SHUTDOWN without arguments does (save first when
 * `save` points are set), as Redis's prepareForShutdown. */
static void kv_cmd_on_signal(kv_shard *sh, void *state)
{
    kv_str argv[1];
    (void)state;
    argv[0].p = "shutdown";
    argv[0].n = 8;
    kv_shard_run_internal(sh, 1, argv);
}

/* Once per loop turn, before its replies leave: BCAST invalidations, and
 * the AOF's group commit. */
static void kv_cmd_turn_end(kv_shard *sh, void *state)
{
    kv_tracking_turn_end(sh, state);
    kv_aof_turn_end(sh, state);
}

/* Replies leave while a command still runs (a busy script answers others):
 * the AOF's records of the commands before it go to disk first. */
static void kv_cmd_mid_turn_flush(kv_shard *sh, void *state)
{
    kv_aof_mid_turn_flush(sh, state);
}

/* After a unit of work: clients blocked on keys it made ready are served. */
static void kv_cmd_after_command(kv_shard *sh, void *state)
{
    kv_block_serve_ready(sh, state);
}

/* After a command ran on this shard: the AOF logs what changed, then the
 * shard evicts if the server went over maxmemory. */
static void kv_cmd_executed(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_aof_executed(ctx, argc, argv);
    kv_evict_after_command(ctx);
}

static void kv_cmd_shard_fini(kv_shard *sh, void *state)
{
    kv_cmdstate *st = state;
    (void)sh;
    if (!st)
        return;
    kv_snap_free(st);
    kv_evict_free(st);
    kv_lua_free(st->lua);
    kv_aof_close_shard(st);
    kv_svc_free(st->svc);
    kv_watchreg_free(st->watch);
    kv_blockreg_free(st->blk);
    kv_pubsub_free(st->ps);
    kv_tracking_free(st->trk);
    kv_ks_free(st->ks);
    free(st);
}

/* Redis's serverCron duties for the keyspace: the LRU clock, the slow
 * active-expire cycle (at most 25% of the tick; not while DEBUG
 * SET-ACTIVE-EXPIRE 0 or CLIENT PAUSE hold it) and 1 ms of incremental
 * rehashing (activerehashing), so a table left mid-rehash after a burst
 * still finishes; then the services' periodic work (svc.c). */
static void kv_cmd_shard_tick(kv_shard *sh, void *state)
{
    kv_cmdstate *st = state;
    long long now = kv_shard_now_ms(sh);
    long long budget_us = 1000000LL / (st->srv->hz > 0 ? st->srv->hz : 10) / 4;
    st->ks->lru_clock = (unsigned)(now / 1000) & ((1u << 24) - 1);
    if (st->svc->active_expire && !kv_svc_paused(st->svc, now)) {
        kv_aof_outside(st, 1);
        kv_ks_active_expire(st->ks, now, budget_us);
        kv_aof_outside(st, 0);
    }
    if (st->svc->activerehashing)
        kv_ks_active_rehash(st->ks, 1000);
    kv_svc_tick(sh, st);
    kv_evict_tick(st);
    kv_tracking_tick(sh, st);
    kv_persist_tick(sh, st); /* the `save` points */
}

/* Values of 32 KB or more (Redis's PROTO_MBULK_BIG_ARG) are read straight
 * into a raw string's memory, which SET then keeps without a copy. */
static const kv_blob_ops kv_str_blobs = {32 * 1024, kv_str_blob_alloc, kv_str_blob_ref,
                                         kv_str_unref};

void kv_commands_init(kv_cmdset *cs, kv_server *srv)
{
    kv_cmd_index_build(&srv->index, kv_families, sizeof kv_families / sizeof kv_families[0]);
    if (!srv->persist)
        srv->persist = kv_persist_new();
    if (!srv->scripts)
        srv->scripts = kv_scripts_new();
    if (!srv->lazyfree)
        srv->lazyfree = kv_lazyfree_new();
    { /* saves and loads reach the function libraries through persist's hooks */
        kv_persist_fns fns;
        kv_fn_persist_fns(srv->scripts, &fns);
        kv_persist_set_fns(srv->persist, &fns);
    }
    if (!srv->acl) { /* the users, and what they need from the services */
        kv_acl_hooks h;
        h.client_line = kv_client_line;
        h.key_access = kv_command_key_access;
        h.in_multi = kv_multi_active;
        h.client_subs = kv_pubsub_client_names; /* kinds as KV_ACL_SUB_PATTERNS says */
        srv->acl = kv_acl_new(srv);
        kv_acl_set_hooks(srv->acl, &h);
    }
    memset(cs, 0, sizeof *cs);
    cs->lookup = kv_cmd_lookup;
    cs->shard_init = kv_cmd_shard_init;
    cs->shard_fini = kv_cmd_shard_fini;
    cs->shard_tick = kv_cmd_shard_tick;
    cs->before_exec = kv_svc_before_exec;
    cs->after_exec = kv_svc_after_exec;
    cs->conn_open = kv_svc_conn_open;
    cs->conn_closed = kv_svc_conn_closed;
    cs->conn_mem = kv_svc_conn_mem;      /* its share of a client's memory (maxmemory-clients) */
    cs->after_command = kv_cmd_after_command;
    cs->turn_end = kv_cmd_turn_end;
    cs->mid_turn_flush = kv_cmd_mid_turn_flush;
    cs->executed = kv_cmd_executed;      /* what changed, to the AOF; maxmemory */
    cs->txn_end = kv_aof_txn_end;        /* ...and the commit of a transaction over shards */
    cs->ran = kv_tracking_ran;           /* remember the keys a tracking client read */
    cs->on_signal = kv_cmd_on_signal;    /* save before stopping, as Redis */
    cs->blobs = &kv_str_blobs;           /* big values read into their final memory */
    /* The runtime hands udata to lookup and shard_init; both accept it. */
    cs->udata = (void *)(uintptr_t)srv;
}

int kv_commands_load(const kv_cmdset *cs, kv_server *srv, char *err, size_t errlen)
{
    kv_persist_use_cmdset(srv->persist, cs);
    kv_evict_shared_init(srv); /* nshards is known now */
    if (srv->cfg && kv_cfg_yes(srv->cfg, "appendonly"))
        return kv_aof_load_startup(cs, srv, err, errlen);
    return kv_persist_load_startup(srv, err, errlen);
}

void kv_commands_fini(kv_server *srv)
{
    kv_persist_free(srv->persist);
    srv->persist = NULL;
    kv_scripts_free(srv->scripts);
    srv->scripts = NULL;
    kv_lazyfree_free(srv->lazyfree);
    srv->lazyfree = NULL;
    kv_evict_shared_free(srv);
    kv_acl_free(srv->acl);
    srv->acl = NULL;
}

void kv_server_fixed(kv_server *srv, int nshards)
{
    static const uint8_t seed[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    memset(srv, 0, sizeof *srv);
    srv->databases = 16;
    srv->hz = 10;
    srv->nshards = nshards;
    srv->port = 6379;
    srv->maxclients = 10000;
    srv->proto_max_bulk_len = 1024 * 1024;
    srv->client_query_buffer_limit = 1024LL * 1024 * 1024;
    memcpy(srv->seed, seed, sizeof seed);
    memset(srv->run_id, 'f', KV_RUN_ID_LEN);
    srv->run_id[KV_RUN_ID_LEN] = '\0';
    snprintf(srv->executable, sizeof srv->executable, "/test/kevy-server");
    srv->start_ms = 1700000000000LL;
}
