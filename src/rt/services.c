/* What a shard offers the command set besides running its commands:
 * broadcasts, pushes to a client on any shard, timers, watched file
 * descriptors, the after-command request, CLIENT PAUSE's retry, and the
 * accessors and gauges INFO reads. */
#include "rt/internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kv_shard_set_limits(kv_shard *sh, const kv_limits *l)
{
    sh->lim = *l;
    if (l->maxmemory_clients)
        kv_cmem_refresh(sh); /* measured only at ticks while it was off */
}

const kv_limits *kv_shard_limits(const kv_shard *sh)
{
    return &sh->lim;
}

/* The request of a cast: no client, RESP2, from this shard. */
static void kv_cast_req(kv_req *r, kv_shard *sh, const kv_cmd *cmd, int db, int argc,
                        const kv_str *argv)
{
    memset(r, 0, sizeof *r);
    r->cmd = cmd;
    r->db = db;
    r->proto = 2;
    r->home = sh->id;
    r->argc = argc;
    r->argv = argv;
}

void kv_shard_broadcast(kv_shard *sh, const kv_cmd *cmd, int db, int argc, const kv_str *argv)
{
    kv_req r;
    int i;
    kv_cast_req(&r, sh, cmd, db, argc, argv);
    for (i = 0; i < sh->n; i++)
        if (i != sh->id)
            kv_shard_send(sh, i, kv_msg_exec_new(KV_MSG_CAST, sh->id, &r, NULL));
}

void kv_shard_cast(kv_shard *sh, int dst, const kv_cmd *cmd, int db, int argc,
                   const kv_str *argv)
{
    kv_req r;
    kv_cast_req(&r, sh, cmd, db, argc, argv);
    if (dst == sh->id || dst < 0 || dst >= sh->n) {
        kv_buf sink;
        if (kv_req_blocked(sh, &r)) {
            kv_locks_wait_msg(sh, kv_msg_exec_new(KV_MSG_CAST, sh->id, &r, NULL));
            return;
        }
        kv_buf_init(&sink);
        kv_exec_part(sh, &r, &sink);
        kv_buf_free(&sink);
        return;
    }
    kv_shard_send(sh, dst, kv_msg_exec_new(KV_MSG_CAST, sh->id, &r, NULL));
}

void kv_shard_push(kv_shard *sh, int home, unsigned long long id, const char *p, size_t n)
{
    if (home == sh->id || home < 0 || home >= sh->n) {
        kv_conn *c = kv_shard_find_conn(sh, id);
        if (c)
            kv_conn_push(c, p, n);
        return;
    }
    kv_shard_send(sh, home, kv_msg_push_new(sh->id, id, p, n));
}

void kv_shard_want_after(kv_shard *sh)
{
    if (sh->rt->cfg.cmds.after_command)
        sh->after_wanted = 1;
}

void kv_shard_retry_deferred(kv_shard *sh)
{
    kv_conn *c = sh->dlist, *next;
    sh->dlist = NULL;
    for (; c; c = next) {
        next = c->dnext;
        c->flags &= ~(KV_CONN_IN_DLIST | KV_CONN_DEFERRED);
        kv_shard_resume_later(sh, c); /* ignores a closed one */
        kv_conn_drop(c);
    }
}

void kv_shard_foreach_conn(kv_shard *sh, void (*fn)(void *arg, kv_conn *c), void *arg)
{
    kv_conn *c, *next;
    for (c = sh->conns; c; c = next) {
        next = c->next;
        if (!(c->flags & KV_CONN_HIDDEN))
            fn(arg, c);
    }
}

/* ---------------------------------------------------------------- timers */

kv_timer_id kv_timer_add(kv_shard *sh, long long delay_ms, long long period_ms, kv_timer_fn fn,
                         void *arg)
{
    /* The turn's clock: a timer added during a turn counts from its start,
     * like every deadline computed in that turn. A delay past what the
     * clock can count (a timeout of 1e15 seconds) is held at "never". */
    const long long never = (LLONG_MAX / 2 - sh->mono_us) / 1000;
    if (delay_ms > never)
        delay_ms = never;
    if (period_ms > never)
        period_ms = never;
    return kv_timers_add(&sh->timers, sh->mono_us, delay_ms * 1000, period_ms * 1000, fn, arg);
}

int kv_timer_cancel(kv_shard *sh, kv_timer_id id)
{
    return kv_timers_cancel(&sh->timers, id);
}

/* ------------------------------------------------------ watched fds */

static void kv_fdwatch_on_event(kv_shard *sh, kv_io *io, unsigned events)
{
    kv_fdwatch *w = (kv_fdwatch *)io; /* io is its first member */
    if (!w->dead)
        w->fn(sh, w->fd, events, w->arg);
}

kv_fdwatch *kv_shard_watch_fd(kv_shard *sh, int fd, unsigned events, kv_fd_fn fn, void *arg)
{
    kv_fdwatch *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->io.on_event = kv_fdwatch_on_event;
    w->fd = fd;
    w->fn = fn;
    w->arg = arg;
    if (!sh->reactor || kv_reactor_add(sh->reactor, fd, events, w) < 0) {
        free(w);
        return NULL;
    }
    return w;
}

void kv_shard_unwatch_fd(kv_shard *sh, kv_fdwatch *w)
{
    if (!w || w->dead)
        return;
    w->dead = 1;
    kv_reactor_del(sh->reactor, w->fd);
    /* An event for it may still be in this turn's batch: freed by the
     * reaper at the end of the turn. */
    w->next = sh->unwatched;
    sh->unwatched = w;
}

/* ------------------------------------------------------------ accessors */

int kv_shard_id(const kv_shard *sh) { return sh->id; }
void *kv_shard_state(kv_shard *sh) { return sh->state; }
int kv_shard_count(const kv_shard *sh) { return sh->n; }
kv_rt *kv_shard_rt(kv_shard *sh) { return sh->rt; }
long long kv_shard_now_ms(const kv_shard *sh) { return sh->now_us / 1000; }
long long kv_shard_now_us(const kv_shard *sh) { return sh->now_us; }
long long kv_monotonic_us(void) { return kv_mono_us(); }
long long kv_shard_start_ms(const kv_shard *sh) { return sh->start_ms; }
const kv_shard_stats *kv_shard_stats_get(const kv_shard *sh) { return &sh->stats; }

void kv_shard_gauges_get(const kv_shard *sh, kv_shard_gauges *g)
{
    const kv_fan *f;
    const kv_coord *co;
    const kv_conn *c;
    memset(g, 0, sizeof *g);
    g->inflight = sh->inflight_total;
    g->locks_held = sh->locks.held;
    g->lock_waiters = kv_locks_waiters(&sh->locks);
    /* Counted once each, by the top-level operation (nested ones wait
     * through it), and only while waiting: not the one asking right now. */
    for (f = sh->fans; f; f = f->next)
        g->operations += f->waited != 0;
    for (co = sh->coords; co; co = co->next)
        g->operations += co->waited != 0;
    for (c = sh->closed; c; c = c->next)
        g->closing_clients++;
}

void kv_shard_want_executed(kv_shard *sh, int on)
{
    sh->want_executed = on && sh->rt->cfg.cmds.executed != NULL;
}

/* ----------------------------------------------------- the internal client */

int kv_conn_is_internal(const kv_conn *c)
{
    return c && c == c->sh->internal;
}

void kv_shard_run_internal(kv_shard *sh, int argc, const kv_str *argv)
{
    kv_conn *c = sh->internal;
    if (!c) {
        if (!(c = kv_conn_new(sh, -1)))
            abort();
        /* Not a client anyone connected: out of the counts and lists. */
        c->flags |= KV_CONN_FAKE | KV_CONN_HIDDEN | KV_CONN_NO_TIMEOUT;
        kv_atomic_fetch_add_relaxed(&sh->rt->nclients, -1);
        sh->stats.connected_clients--;
        sh->stats.total_connections_received--;
        snprintf(c->peer, sizeof c->peer, "127.0.0.1:0");
        snprintf(c->local, sizeof c->local, "127.0.0.1:0");
        sh->internal = c;
    }
    if (c->inflight == 0) /* nobody reads its replies */
        c->out.len = c->out_sent = 0;
    kv_encode_command(&c->in, argc, argv);
    kv_conn_input(c);
}
