/* The runtime object: binds one SO_REUSEPORT listener per shard up front (so
 * a busy port fails synchronously), starts one thread per shard, and waits
 * for SIGINT/SIGTERM with sigwait in the calling thread, so no signal handler
 * and no global flag is needed. kv_rt_stop reaches that thread by signal. */
#include "rt/internal.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int kv_affinity_pin(int cpu); /* affinity.c */

void kv_rt_config_defaults(kv_rt_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->bind = "127.0.0.1";
    cfg->port = 6379;
    cfg->hz = 10;
    cfg->tcp_backlog = 511;
    cfg->limits.proto_max_bulk_len = KV_PROTO_MAX_BULK_DEFAULT;
    cfg->limits.client_query_buffer_limit = 1024LL * 1024 * 1024;
    cfg->limits.tcp_keepalive_s = 300;
    cfg->limits.pubsub_hard = 32LL * 1024 * 1024; /* Redis's pubsub class */
    cfg->limits.pubsub_soft = 8LL * 1024 * 1024;
    cfg->limits.pubsub_soft_seconds = 60;
    cfg->maxclients = 10000;
    cfg->loglevel = KV_LOG_NOTICE;
}

kv_rt *kv_rt_new(const kv_rt_config *cfg, char *err, size_t errlen)
{
    kv_rt *rt = calloc(1, sizeof *rt);
    int i, probe;
    if (!rt) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    rt->cfg = *cfg;
    rt->loglevel = cfg->loglevel;
    rt->n = cfg->nshards;
    if (rt->n <= 0) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        rt->n = ncpu > 0 ? (int)ncpu : 1;
    }
    if (rt->n > 1024)
        rt->n = 1024;
    rt->next_client_id = 1;
    rt->maxclients = cfg->maxclients;
    pthread_mutex_init(&rt->start_mu, NULL);
    pthread_cond_init(&rt->start_cv, NULL);
    /* Probe without SO_REUSEPORT: fails if anyone already holds the port,
     * including another kevy (which the shared-port sockets would not see). */
    probe = kv_net_listen(cfg->bind, cfg->port, 0, cfg->tcp_backlog, err, errlen);
    if (probe < 0) {
        kv_rt_free(rt);
        return NULL;
    }
    rt->port = kv_net_bound_port(probe);
    close(probe);
    rt->shards = calloc((size_t)rt->n, sizeof *rt->shards);
    if (!rt->shards) {
        kv_rt_free(rt);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (i = 0; i < rt->n; i++) {
        kv_shard *sh = &rt->shards[i];
        if (kv_shard_setup(sh, rt, i) < 0 || !(sh->reactor = kv_reactor_new())) {
            snprintf(err, errlen, "shard %d: out of memory or descriptors", i);
            goto fail;
        }
        sh->lfd = kv_net_listen(cfg->bind, rt->port, 1, cfg->tcp_backlog, err, errlen);
        if (sh->lfd < 0)
            goto fail;
    }
    return rt;
fail:
    kv_rt_free(rt);
    return NULL;
}

static void *kv_rt_thread(void *arg)
{
    kv_shard *sh = arg;
    char name[16];
    snprintf(name, sizeof name, "kevy-shard-%d", sh->id);
    kv_thread_name(name);
    if (sh->rt->cfg.cpulist && *sh->rt->cfg.cpulist)
        kv_thread_set_cpus(sh->rt->cfg.cpulist, sh->rt->cfg.pin_threads ? sh->id : -1);
    else if (sh->rt->cfg.pin_threads)
        kv_affinity_pin(sh->id);
    return kv_shard_main(sh);
}

void kv_rt_barrier(kv_rt *rt)
{
    pthread_mutex_lock(&rt->start_mu);
    rt->nready++;
    pthread_cond_broadcast(&rt->start_cv);
    while (rt->nready < rt->n && !kv_atomic_load_acquire(&rt->stop))
        pthread_cond_wait(&rt->start_cv, &rt->start_mu);
    pthread_mutex_unlock(&rt->start_mu);
}

/* The main thread's side of the barrier: every shard ready, or a failure. */
static void kv_rt_wait_ready(kv_rt *rt, int failed)
{
    pthread_mutex_lock(&rt->start_mu);
    if (failed)
        pthread_cond_broadcast(&rt->start_cv); /* the stop flag is set */
    while (!failed && rt->nready < rt->n && !kv_atomic_load_acquire(&rt->stop))
        pthread_cond_wait(&rt->start_cv, &rt->start_mu);
    pthread_mutex_unlock(&rt->start_mu);
}

int kv_rt_run(kv_rt *rt)
{
    sigset_t set, old;
    struct sigaction sa;
    int i, sig = 0, started = 0, rc = 0;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    /* Threads inherit the mask: only this thread will see these signals. */
    pthread_sigmask(SIG_BLOCK, &set, &old);
    rt->main_thread = pthread_self();
    for (i = 0; i < rt->n; i++) {
        if (pthread_create(&rt->shards[i].thread, NULL, kv_rt_thread, &rt->shards[i]) != 0) {
            kv_rt_log(rt, KV_LOG_WARNING, "Cannot start shard thread %d", i);
            kv_atomic_store_seqcst(&rt->stop, 1);
            rc = -1;
            break;
        }
        started++;
    }
    kv_rt_wait_ready(rt, rc != 0);
    if (rc == 0) {
        kv_rt_log(rt, KV_LOG_NOTICE, "Ready to accept connections tcp %s:%d (%d shard%s, %s)",
                  rt->cfg.bind, rt->port, rt->n, rt->n == 1 ? "" : "s", kv_reactor_name());
        while (!kv_atomic_load_acquire(&rt->stop)) {
            if (sigwait(&set, &sig) != 0)
                continue;
            if (kv_atomic_load_acquire(&rt->stop))
                break;
            kv_rt_log(rt, KV_LOG_WARNING, "Received %s scheduling shutdown...",
                      sig == SIGINT ? "SIGINT" : "SIGTERM");
            if (rt->cfg.cmds.on_signal && !kv_atomic_load_relaxed(&rt->signalled)) {
                kv_atomic_store_seqcst(&rt->signalled, 1); /* shard 0's tick asks the set */
                continue;
            }
            kv_atomic_store_seqcst(&rt->stop, 1);
        }
    }
    for (i = 0; i < rt->n; i++)
        kv_reactor_wake(rt->shards[i].reactor);
    for (i = 0; i < started; i++)
        pthread_join(rt->shards[i].thread, NULL);
    /* kv_rt_stop may have signalled us after we last waited (we saw the stop
     * flag first): consume what is pending, or restoring the mask would let
     * a SIGTERM kill the process after a clean SHUTDOWN. */
    for (;;) {
        sigset_t pending;
        sigpending(&pending);
        if (!sigismember(&pending, SIGINT) && !sigismember(&pending, SIGTERM))
            break;
        sigwait(&set, &sig);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    kv_rt_log(rt, KV_LOG_WARNING, "kevy is now ready to exit, bye bye...");
    return rc;
}

void kv_rt_stop(kv_rt *rt)
{
    int i;
    if (kv_atomic_exchange_seqcst(&rt->stop, 1))
        return;
    for (i = 0; i < rt->n; i++)
        kv_reactor_wake(rt->shards[i].reactor);
    pthread_mutex_lock(&rt->start_mu); /* shards still at the start barrier */
    pthread_cond_broadcast(&rt->start_cv);
    pthread_mutex_unlock(&rt->start_mu);
    pthread_kill(rt->main_thread, SIGTERM);
}

void kv_rt_free(kv_rt *rt)
{
    int i;
    if (!rt)
        return;
    for (i = 0; rt->shards && i < rt->n; i++)
        kv_shard_teardown(&rt->shards[i]);
    free(rt->shards);
    pthread_cond_destroy(&rt->start_cv);
    pthread_mutex_destroy(&rt->start_mu);
    free(rt);
}

int kv_rt_port(const kv_rt *rt) { return rt->port; }
int kv_rt_nshards(const kv_rt *rt) { return rt->n; }

const char *kv_rt_backend(void)
{
    return kv_reactor_name();
}

void kv_rt_set_maxclients(kv_rt *rt, long long n)
{
    kv_atomic_store_relaxed(&rt->maxclients, n);
}

long long kv_rt_clients(const kv_rt *rt)
{
    return kv_atomic_load_relaxed(&rt->nclients);
}
