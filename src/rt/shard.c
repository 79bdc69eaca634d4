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


static void kv_shard_on_accept(kv_shard *sh, kv_io *io, unsigned events);
static void kv_shard_flush_writes(kv_shard *sh);

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
    sh->mono_us = kv_mono_us();
    sh->start_ms = sh->now_us / 1000;
    sh->listener.on_event = kv_shard_on_accept;
    kv_timers_init(&sh->timers);
    return kv_cmem_setup(sh);
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
    kv_cmem_teardown(sh);
    free(sh->byid);
    sh->byid = NULL;
    kv_locks_free(&sh->locks);
    kv_timers_free(&sh->timers);
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
        for (j = 0; j < k; j++) {
            kv_shard_deliver(sh, sh->batch[j]);
            kv_cevict_check(sh); /* a reply from there may have grown a client */
        }
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

static void kv_shard_on_accept(kv_shard *sh, kv_io *io, unsigned events)
{
    (void)io;
    (void)events;
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

/* From inside a command that runs long (a busy script): accept new clients
 * and read every other client, so that the command set can answer them
 * (-BUSY, or the few commands it lets through), as Redis serves events
 * between a script's instructions. The running client, the rings, the
 * timers and the after_command hook wait for the command's end. Sockets
 * are read directly, not through the reactor, so its edge-triggered
 * events stay for the normal loop. */
void kv_shard_poll_busy(kv_shard *sh)
{
    kv_conn **list = NULL, *c;
    size_t n = 0, cap = 0, i;
    if (sh->busy)
        return;
    sh->busy = 1;
    sh->now_us = kv_clock_us();
    sh->mono_us = kv_mono_us();
    if (sh->lfd >= 0)
        kv_shard_on_accept(sh, &sh->listener, KV_EV_READ);
    for (c = sh->conns; c; c = c->next)
        cap++;
    if (cap && !(list = malloc(cap * sizeof *list)))
        abort();
    for (c = sh->conns; c && n < cap; c = c->next) {
        if (c->flags & (KV_CONN_EXEC | KV_CONN_CLOSED | KV_CONN_FAKE))
            continue;
        kv_conn_hold(c);
        list[n++] = c;
    }
    for (i = 0; i < n; i++) {
        c = list[i];
        if (!(c->flags & KV_CONN_CLOSED)) {
            c->flags |= KV_CONN_READABLE;
            kv_conn_input(c);
        }
        kv_conn_drop(c);
    }
    free(list);
    /* Replies of this turn's earlier commands leave now: their effects
     * must be as durable as at a turn's end (Redis also writes its AOF
     * before the replies of processEventsWhileBlocked). */
    if (sh->rt->cfg.cmds.mid_turn_flush)
        sh->rt->cfg.cmds.mid_turn_flush(sh, sh->state);
    kv_shard_flush_writes(sh);
    sh->busy = 0;
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
    while (sh->unwatched) {
        kv_fdwatch *w = sh->unwatched;
        sh->unwatched = w->next;
        free(w);
    }
}

static int kv_shard_timeout(kv_shard *sh, int backlog)
{
    long long next, wait_us;
    if (sh->rlist || sh->wlist)
        return 0;
    if (backlog)
        return 1;
    next = kv_timers_next(&sh->timers);
    if (next < 0)
        return -1;
    wait_us = next - kv_mono_us();
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
    kv_rt_barrier(rt);
    if (kv_reactor_add(sh->reactor, sh->lfd, KV_EV_READ, &sh->listener) < 0) {
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
        sh->mono_us = kv_mono_us();
        for (i = 0; i < n; i++) {
            kv_io *io = evs[i].udata;
            io->on_event(sh, io, evs[i].events);
        }
        backlog = kv_shard_turn(sh);
    }
    kv_shard_finish(sh);
    return NULL;
}

/* The periodic work of the command set (active expiry...) and of the
 * connections (idle timeout, soft output limit), Redis's serverCron: a
 * periodic timer at `hz`. */
void kv_shard_cron(kv_shard *sh, void *arg)
{
    const kv_cmdset *cs = &sh->rt->cfg.cmds;
    kv_conn *c, *next;
    (void)arg;
    if (cs->shard_tick)
        cs->shard_tick(sh, sh->state);
    if (sh->id == 0 && cs->on_signal && kv_atomic_load_relaxed(&sh->rt->signalled) == 1) {
        kv_atomic_store_relaxed(&sh->rt->signalled, 2); /* once */
        cs->on_signal(sh, sh->state);
    }
    kv_shard_retry_deferred(sh);
    for (c = sh->conns; c; c = next) {
        next = c->next;
        kv_conn_tick(c);
    }
}

int kv_shard_turn(kv_shard *sh)
{
    const kv_cmdset *cs = &sh->rt->cfg.cmds;
    int backlog;
    kv_cevict_check(sh); /* what this turn's reads added, before others look */
    kv_shard_drain(sh);
    kv_shard_run_lists(sh);
    kv_timers_run(&sh->timers, sh->mono_us, sh);
    /* Work outside any command (a client's departure, a timer) may have
     * asked for the after_command hook: it runs now, not at the next
     * command that may never come; while a transaction holds locks here,
     * at their release. */
    if (!sh->locks.held)
        kv_shard_unit_done(sh);
    if (cs->turn_end)
        cs->turn_end(sh, sh->state);
    backlog = kv_shard_publish(sh);
    kv_shard_flush_writes(sh);
    /* Client eviction after the writes: a client over its output limit is
     * closed by that limit first, as in Redis. What the closed clients'
     * hooks send to other shards leaves now. */
    if (sh->lim.maxmemory_clients && kv_cevict_run(sh))
        backlog = kv_shard_publish(sh);
    kv_shard_reap(sh, 0);
    return backlog;
}

void kv_shard_start(kv_shard *sh)
{
    const kv_cmdset *cs = &sh->rt->cfg.cmds;
    sh->now_us = kv_clock_us();
    sh->mono_us = kv_mono_us();
    sh->state = cs->shard_init ? cs->shard_init(sh, cs->udata) : NULL;
    sh->tick = kv_timers_add(&sh->timers, sh->mono_us, sh->tick_us, sh->tick_us, kv_shard_cron,
                             NULL);
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
    kv_shard_reap(sh, 1); /* what shard_fini unwatched */
}

