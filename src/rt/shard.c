/* The shard loop: one thread, one reactor. Each turn it waits for I/O or a
 * wakeup, serves sockets, drains the rings from every other shard, runs the
 * periodic tick, then publishes the turn's outgoing messages (one release per
 * destination ring) and flushes replies. Before sleeping it spins briefly if
 * it is waiting on another shard, then announces "parked" so producers know
 * to pay for a wakeup; producers never wake a shard that is awake. */
#define _POSIX_C_SOURCE 200809L
#include "rt/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define KV_EVENTS_MAX 256

long long kv_clock_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

int kv_shard_setup(kv_shard *sh, kv_rt *rt, int id)
{
    int i;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    memset(sh, 0, sizeof *sh);
    sh->rt = rt;
    sh->id = id;
    sh->n = rt->n;
    sh->lfd = -1;
    sh->in_rings = calloc((size_t)rt->n, sizeof *sh->in_rings);
    sh->outbox = calloc((size_t)rt->n, sizeof *sh->outbox);
    sh->batch = malloc(KV_RING_CAPACITY * sizeof *sh->batch);
    if (!sh->in_rings || !sh->outbox || !sh->batch)
        return -1;
    for (i = 0; i < rt->n; i++)
        if (i != id && kv_ring_init(&sh->in_rings[i], KV_RING_CAPACITY) < 0)
            return -1;
    sh->lim = rt->cfg.limits;
    sh->tick_us = 1000000LL / (rt->cfg.hz > 0 ? rt->cfg.hz : 10);
    /* Spinning only pays when every shard has a CPU of its own. */
    sh->spin_max_us = (ncpu > 0 && rt->n <= ncpu && rt->n > 1) ? 50 : 0;
    sh->spin_us = sh->spin_max_us / 4;
    sh->now_us = kv_clock_us();
    sh->start_ms = sh->now_us / 1000;
    return 0;
}

static void kv_free_msg_list(kv_msg *m)
{
    while (m) {
        kv_msg *next = m->next;
        kv_msg_free(m);
        m = next;
    }
}

/* After every shard thread has stopped: free what is left in rings and
 * outboxes, then the shard's own memory. */
void kv_shard_teardown(kv_shard *sh)
{
    int i;
    if (!sh->rt)
        return; /* never set up */
    for (i = 0; sh->in_rings && i < sh->n; i++) {
        size_t k, j;
        if (i == sh->id)
            continue;
        while ((k = kv_ring_take(&sh->in_rings[i], sh->batch, KV_RING_CAPACITY)) > 0)
            for (j = 0; j < k; j++)
                kv_msg_free(sh->batch[j]);
        kv_ring_destroy(&sh->in_rings[i]);
    }
    for (i = 0; sh->outbox && i < sh->n; i++)
        kv_free_msg_list(sh->outbox[i].head);
    if (sh->reactor)
        kv_reactor_free(sh->reactor);
    if (sh->lfd >= 0)
        close(sh->lfd);
    free(sh->in_rings);
    free(sh->outbox);
    free(sh->batch);
    free(sh->byid);
    sh->byid = NULL;
    kv_locks_free(&sh->locks);
    sh->in_rings = NULL;
    sh->outbox = NULL;
    sh->batch = NULL;
}

void kv_shard_send(kv_shard *sh, int dst, kv_msg *m)
{
    kv_outbox *ob = &sh->outbox[dst];
    m->next = NULL;
    if (ob->tail)
        ob->tail->next = m;
    else
        ob->head = m;
    ob->tail = m;
}

void kv_shard_resume_later(kv_shard *sh, kv_conn *c)
{
    if (c->flags & (KV_CONN_IN_RLIST | KV_CONN_CLOSED))
        return;
    c->flags |= KV_CONN_IN_RLIST;
    kv_conn_hold(c);
    c->rnext = NULL;
    if (sh->rlist_tail)
        sh->rlist_tail->rnext = c;
    else
        sh->rlist = c;
    sh->rlist_tail = c;
}

void kv_shard_write_later(kv_shard *sh, kv_conn *c)
{
    if (c->flags & (KV_CONN_IN_WLIST | KV_CONN_CLOSED | KV_CONN_FAKE))
        return;
    c->flags |= KV_CONN_IN_WLIST;
    kv_conn_hold(c);
    c->wnext = sh->wlist;
    sh->wlist = c;
}

/* Publish this turn's messages. Returns 1 if some did not fit (a full ring:
 * the consumer is behind), so the loop must come back soon. */
static int kv_shard_publish(kv_shard *sh)
{
    int dst, backlog = 0;
    for (dst = 0; dst < sh->n; dst++) {
        kv_outbox *ob = &sh->outbox[dst];
        kv_shard *peer;
        kv_ring *ring;
        if (!ob->head)
            continue;
        peer = &sh->rt->shards[dst];
        ring = &peer->in_rings[sh->id];
        while (ob->head && kv_ring_stage(ring, ob->head) == 0)
            ob->head = ob->head->next;
        if (!ob->head)
            ob->tail = NULL;
        else
            backlog = 1;
        /* Dekker-style pairing with the consumer's park (see kv_shard_park):
         * our seq_cst publish, then its flag; its seq_cst flag, then our tail. */
        if (kv_ring_publish(ring) && kv_atomic_load_seqcst(&peer->parked) &&
            kv_atomic_exchange_seqcst(&peer->parked, 0))
            kv_reactor_wake(peer->reactor);
    }
    return backlog;
}

static int kv_shard_rings_pending(kv_shard *sh)
{
    int i;
    for (i = 0; i < sh->n; i++)
        if (i != sh->id && kv_ring_pending(&sh->in_rings[i]))
            return 1;
    return 0;
}

static void kv_shard_drain(kv_shard *sh)
{
    int i;
    for (i = 0; i < sh->n; i++) {
        size_t k, j;
        if (i == sh->id)
            continue;
        k = kv_ring_take(&sh->in_rings[i], sh->batch, KV_RING_CAPACITY);
        for (j = 0; j < k; j++)
            kv_dispatch_message(sh, sh->batch[j]);
    }
}

/* Decide how long to sleep, spinning first while replies from other shards
 * are due: a cross-core round trip is a few microseconds, a futex or eventfd
 * wakeup is tens. The spin budget adapts to whether spinning paid off. */
static int kv_shard_park(kv_shard *sh, int timeout_ms)
{
    if (sh->inflight_total > 0 && sh->spin_us > 0) {
        long long deadline = kv_mono_us() + sh->spin_us;
        int found = 0, i;
        do {
            if (kv_shard_rings_pending(sh)) {
                found = 1;
                break;
            }
            for (i = 0; i < 16; i++)
                kv_cpu_relax();
        } while (kv_mono_us() < deadline);
        if (found) {
            if (sh->spin_us < sh->spin_max_us)
                sh->spin_us *= 2;
            if (sh->spin_us > sh->spin_max_us)
                sh->spin_us = sh->spin_max_us;
            return 0;
        }
        if (sh->spin_us > 2)
            sh->spin_us /= 2;
    }
    kv_atomic_store_seqcst(&sh->parked, 1);
    if (kv_shard_rings_pending(sh)) {
        kv_atomic_store_relaxed(&sh->parked, 0);
        return 0;
    }
    return timeout_ms;
}

/* A new client: enforce maxclients (Redis's error, counted over every
 * shard), give the command set a say (protected mode), then serve it. */
static void kv_shard_admit(kv_shard *sh, int fd, const char *peer, const char *local)
{
    const kv_cmdset *cs = &sh->rt->cfg.cmds;
    long long max = kv_atomic_load_relaxed(&sh->rt->maxclients);
    kv_conn *c = kv_conn_new(sh, fd);
    kv_buf refuse;
    if (!c) {
        close(fd);
        sh->stats.rejected_connections++;
        return;
    }
    memcpy(c->peer, peer, sizeof c->peer);
    memcpy(c->local, local, sizeof c->local);
    kv_buf_init(&refuse);
    if (max > 0 && kv_atomic_load_relaxed(&sh->rt->nclients) > max)
        kv_buf_append(&refuse, "-ERR max number of clients reached\r\n", 36);
    else if (cs->conn_open && cs->conn_open(sh, sh->state, c, &refuse) != 0 && refuse.len == 0)
        kv_buf_append(&refuse, "-ERR connection refused\r\n", 25);
    if (refuse.len > 0) {
        /* Best effort, like Redis: one write, then close. */
        ssize_t rc = write(fd, refuse.p, refuse.len);
        (void)rc;
        kv_buf_free(&refuse);
        sh->stats.rejected_connections++;
        kv_conn_close(c);
        return;
    }
    kv_buf_free(&refuse);
    if (kv_reactor_add(sh->reactor, fd, KV_EV_READ | KV_EV_WRITE, c) < 0) {
        sh->stats.rejected_connections++;
        kv_conn_close(c);
    }
}

static void kv_shard_accept(kv_shard *sh)
{
    for (;;) {
        char peer[64], local[64];
        int fd = kv_net_accept(sh->lfd, peer, sizeof peer, local, sizeof local,
                               sh->lim.tcp_keepalive_s);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            kv_rt_log(sh->rt, KV_LOG_WARNING, "Accepting client connection: %s",
                      strerror(errno));
            return;
        }
        kv_shard_admit(sh, fd, peer, local);
    }
}

static void kv_shard_run_lists(kv_shard *sh)
{
    kv_conn *c, *next;
    /* Resumed connections may add themselves again; take the list first. */
    c = sh->rlist;
    sh->rlist = sh->rlist_tail = NULL;
    for (; c; c = next) {
        next = c->rnext;
        c->flags &= ~KV_CONN_IN_RLIST;
        if (!(c->flags & KV_CONN_CLOSED))
            kv_conn_input(c);
        kv_conn_drop(c);
    }
}

static void kv_shard_flush_writes(kv_shard *sh)
{
    kv_conn *c = sh->wlist, *next;
    sh->wlist = NULL;
    for (; c; c = next) {
        next = c->wnext;
        c->flags &= ~KV_CONN_IN_WLIST;
        if (!(c->flags & KV_CONN_CLOSED))
            kv_conn_flush(c);
        kv_conn_drop(c);
    }
}

/* Free closed connections nothing holds any more (the lifetime rule in
 * internal.h). At exit, all: the structures that held them are freed
 * without looking at them. */
static void kv_shard_reap(kv_shard *sh, int all)
{
    kv_conn *c, *next;
    if (all)
        while (sh->conns)
            kv_conn_close(sh->conns);
    for (c = sh->closed; c; c = next) {
        next = c->next;
        if (all || c->holds == 0)
            kv_conn_free(c);
    }
}

static int kv_shard_timeout(kv_shard *sh, int backlog)
{
    long long wait_us;
    if (sh->rlist || sh->wlist)
        return 0;
    if (backlog)
        return 1;
    wait_us = sh->next_tick_us - sh->now_us;
    if (wait_us <= 0)
        return 0;
    return (int)((wait_us + 999) / 1000);
}

void *kv_shard_main(void *arg)
{
    kv_shard *sh = arg;
    kv_rt *rt = sh->rt;
    kv_event evs[KV_EVENTS_MAX];
    int backlog = 0;

    kv_shard_start(sh);
    if (kv_reactor_add(sh->reactor, sh->lfd, KV_EV_READ, &sh->lfd) < 0) {
        kv_rt_log(rt, KV_LOG_WARNING, "Shard %d: cannot watch its listener", sh->id);
        kv_rt_stop(rt);
    }
    kv_rt_log(rt, KV_LOG_VERBOSE, "Shard %d ready to accept connections", sh->id);

    while (!kv_atomic_load_acquire(&rt->stop)) {
        int i, n, timeout = kv_shard_timeout(sh, backlog);
        if (timeout != 0)
            timeout = kv_shard_park(sh, timeout);
        n = kv_reactor_wait(sh->reactor, evs, KV_EVENTS_MAX, timeout);
        kv_atomic_store_relaxed(&sh->parked, 0);
        sh->now_us = kv_clock_us();
        for (i = 0; i < n; i++) {
            if (evs[i].udata == &sh->lfd)
                kv_shard_accept(sh);
            else
                kv_conn_on_event(evs[i].udata, evs[i].events);
        }
        backlog = kv_shard_turn(sh);
    }
    kv_shard_finish(sh);
    return NULL;
}

int kv_shard_turn(kv_shard *sh)
{
    const kv_cmdset *cs = &sh->rt->cfg.cmds;
    int backlog;
    kv_shard_drain(sh);
    kv_shard_run_lists(sh);
    if (sh->now_us >= sh->next_tick_us) {
        kv_conn *c, *next;
        if (cs->shard_tick)
            cs->shard_tick(sh, sh->state);
        kv_shard_retry_deferred(sh);
        for (c = sh->conns; c; c = next) {
            next = c->next;
            kv_conn_tick(c);
        }
        sh->next_tick_us += sh->tick_us;
        if (sh->next_tick_us <= sh->now_us)
            sh->next_tick_us = sh->now_us + sh->tick_us;
    }
    backlog = kv_shard_publish(sh);
    kv_shard_flush_writes(sh);
    kv_shard_reap(sh, 0);
    return backlog;
}

void kv_shard_start(kv_shard *sh)
{
    const kv_cmdset *cs = &sh->rt->cfg.cmds;
    sh->now_us = kv_clock_us();
    sh->next_tick_us = sh->now_us + sh->tick_us;
    sh->state = cs->shard_init ? cs->shard_init(sh, cs->udata) : NULL;
}

void kv_shard_finish(kv_shard *sh)
{
    const kv_cmdset *cs = &sh->rt->cfg.cmds;
    kv_shard_reap(sh, 1);
    kv_fan_free_all(sh);
    kv_coord_free_all(sh);
    if (cs->shard_fini)
        cs->shard_fini(sh, sh->state);
    sh->state = NULL;
}

/* ------------------------------------------------------- shard services */

void kv_shard_set_limits(kv_shard *sh, const kv_limits *l)
{
    sh->lim = *l;
}

const kv_limits *kv_shard_limits(const kv_shard *sh)
{
    return &sh->lim;
}

void kv_shard_broadcast(kv_shard *sh, const kv_cmd *cmd, int db, int argc, const kv_str *argv)
{
    int i;
    for (i = 0; i < sh->n; i++) {
        kv_msg *m;
        if (i == sh->id)
            continue;
        m = kv_msg_new(argc, argv);
        m->kind = KV_MSG_CAST;
        m->from = sh->id;
        m->db = db;
        m->proto = 2;
        m->cmd = cmd;
        kv_shard_send(sh, i, m);
    }
}

void kv_shard_push(kv_shard *sh, int home, unsigned long long id, const char *p, size_t n)
{
    kv_str s;
    kv_msg *m;
    if (home == sh->id || home < 0 || home >= sh->n) {
        kv_conn *c = kv_shard_find_conn(sh, id);
        if (c) {
            kv_buf_append(&c->out, p, n);
            kv_shard_write_later(sh, c);
        }
        return;
    }
    s.p = p;
    s.n = n;
    m = kv_msg_new(1, &s);
    m->kind = KV_MSG_PUSH;
    m->from = sh->id;
    m->client_id = id;
    kv_shard_send(sh, home, m);
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

/* ------------------------------------------------------------ accessors */

int kv_shard_id(const kv_shard *sh) { return sh->id; }
int kv_shard_count(const kv_shard *sh) { return sh->n; }
kv_rt *kv_shard_rt(kv_shard *sh) { return sh->rt; }
long long kv_shard_now_ms(const kv_shard *sh) { return sh->now_us / 1000; }
long long kv_shard_now_us(const kv_shard *sh) { return sh->now_us; }
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
