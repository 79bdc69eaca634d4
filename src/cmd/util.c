/* Helpers every command family uses (argument parsing with Redis's error
 * texts, keyspace lookups with lazy expiry) and the command set's hooks into
 * the runtime: per-shard state creation, the periodic tick, and the
 * services' hooks around every command and connection (svc.c). */
#include "cmd/cmd.h"
#include "cmd/watch.h"
#include "cmd/svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Redis often treats an argument as a C string (strcasecmp on options,
 * %s in error texts): it ends at the first NUL byte. */
size_t kv_arg_cstrlen(const kv_str *a)
{
    const char *nul = memchr(a->p, '\0', a->n);
    return nul ? (size_t)(nul - a->p) : a->n;
}

/* So an option matches up to its first NUL byte ("nx\0junk" is NX). */
int kv_arg_eq(const kv_str *a, const char *lit)
{
    size_t n = strlen(lit);
    return kv_arg_cstrlen(a) == n && strncasecmp(a->p, lit, n) == 0;
}

int kv_arg_ll(const kv_str *a, long long *v)
{
    return kv_str2ll(a->p, a->n, v);
}

int kv_arg_ll_or_reply(kv_ctx *ctx, const kv_str *a, long long *v)
{
    if (kv_str2ll(a->p, a->n, v))
        return 0;
    kv_reply_error(&ctx->out, "ERR value is not an integer or out of range");
    return -1;
}

void kv_reply_obj(kv_ctx *ctx, const kv_obj *o)
{
    char buf[KV_LLSTR_SIZE];
    size_t n;
    const char *p = kv_str_ptr(o, buf, &n);
    kv_reply_bulk(&ctx->out, p, n);
}

void kv_reply_wrongtype(kv_ctx *ctx)
{
    kv_reply_error(&ctx->out,
                   "WRONGTYPE Operation against a key holding the wrong kind of value");
}

void kv_reply_syntax(kv_ctx *ctx)
{
    kv_reply_error(&ctx->out, "ERR syntax error");
}

kv_db *kv_ctx_db(kv_ctx *ctx)
{
    return kv_state(ctx)->ks->db[ctx->db];
}

kv_entry *kv_lookup_read(kv_ctx *ctx, const kv_str *key)
{
    return kv_ks_lookup_read(kv_state(ctx)->ks, ctx->db, key->p, key->n, kv_now_ms(ctx));
}

kv_entry *kv_lookup_write(kv_ctx *ctx, const kv_str *key)
{
    return kv_ks_lookup_write(kv_state(ctx)->ks, ctx->db, key->p, key->n, kv_now_ms(ctx));
}

void kv_set_val(kv_ctx *ctx, kv_entry *e, kv_obj *val)
{
    /* A value put under a key is as fresh as Redis's createObject makes it
     * (OBJECT IDLETIME 0). */
    kv_obj_set_lru(val, kv_state(ctx)->ks->lru_clock);
    kv_entry_set_val(e, val);
}

void kv_reply_lines(kv_ctx *ctx, const char *const *lines, size_t n)
{
    size_t i;
    kv_reply_array(&ctx->out, (long)n);
    for (i = 0; i < n; i++)
        kv_reply_status(&ctx->out, lines[i]);
}

void kv_cmd_container(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    (void)argv;
    kv_reply_errorf(&ctx->out, "ERR wrong number of arguments for '%s' command", ctx->cmd->name);
}

/* ------------------------------------------------------------- hooks */

static void kv_cmd_expired(void *arg, int db, const char *key, size_t klen)
{
    kv_watch_touch(((kv_cmdstate *)arg)->watch, db, key, klen);
}

static void *kv_cmd_shard_init(kv_shard *sh, void *udata)
{
    const kv_server *srv = udata;
    kv_cmdstate *st = calloc(1, sizeof *st);
    if (!st)
        abort();
    st->srv = srv;
    st->ks = kv_ks_new(srv->databases, srv->seed);
    if (!st->ks)
        abort();
    st->svc = kv_svc_new(srv, sh);
    st->watch = kv_watchreg_new();
    /* A key deleted by expiry (lazily or actively) is modified for WATCH. */
    st->ks->on_expire = kv_cmd_expired;
    st->ks->on_expire_arg = st;
    return st;
}

static void kv_cmd_shard_fini(kv_shard *sh, void *state)
{
    kv_cmdstate *st = state;
    (void)sh;
    if (!st)
        return;
    kv_svc_free(st->svc);
    kv_watchreg_free(st->watch);
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
    if (st->svc->active_expire && !kv_svc_paused(st->svc, now))
        kv_ks_active_expire(st->ks, now, budget_us);
    if (st->svc->activerehashing)
        kv_ks_active_rehash(st->ks, 1000);
    kv_svc_tick(sh, st);
}

void kv_commands_init(kv_cmdset *cs, kv_server *srv)
{
    kv_cmd_index_build(&srv->index);
    memset(cs, 0, sizeof *cs);
    cs->lookup = kv_cmd_lookup;
    cs->shard_init = kv_cmd_shard_init;
    cs->shard_fini = kv_cmd_shard_fini;
    cs->shard_tick = kv_cmd_shard_tick;
    cs->before_exec = kv_svc_before_exec;
    cs->after_exec = kv_svc_after_exec;
    cs->conn_open = kv_svc_conn_open;
    cs->conn_closed = kv_svc_conn_closed;
    /* The runtime hands udata to lookup and shard_init; both accept it. */
    cs->udata = (void *)(uintptr_t)srv;
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
