/* The everysec fsync thread of a shard's AOF (Redis's bio): it fsyncs when
 * asked, once a second; the shard reads back whether one still runs (writes
 * are then held back, aof.c) and whether the last one failed (writes are
 * then refused with MISCONF until one works), and the test hooks that make
 * fsyncs slow or failing. */
#include "cmd/persist/aof_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rt/atomic.h"

int kv_aof_bio_busy(kv_aof *a)
{
    int busy;
    if (!a->bio_started)
        return 0;
    pthread_mutex_lock(&a->bio_mu);
    busy = a->bio_pending;
    pthread_mutex_unlock(&a->bio_mu);
    return busy;
}

/* ------------------------------------------------- the everysec fsync thread */

static void *bio_main(void *arg)
{
    kv_aof *a = arg;
    long long slow, fail;
    int rc;
    kv_thread_name("kevy-aof-fsync");
    kv_thread_set_cpus(a->bio_cpulist, -1);
    pthread_mutex_lock(&a->bio_mu);
    for (;;) {
        while (!a->bio_pending && !a->bio_stop)
            pthread_cond_wait(&a->bio_cv, &a->bio_mu);
        if (a->bio_stop)
            break;
        slow = a->bio_slow_ms;
        fail = a->bio_fail;
        pthread_mutex_unlock(&a->bio_mu);
        if (slow > 0) {
            struct timespec ts;
            ts.tv_sec = (time_t)(slow / 1000);
            ts.tv_nsec = (long)(slow % 1000) * 1000000;
            nanosleep(&ts, NULL);
        }
        /* the fd stays open until the thread is joined */
        rc = fail > 0 ? (errno = EIO, -1) : fdatasync(a->fd);
        pthread_mutex_lock(&a->bio_mu);
        if (fail > 0)
            a->bio_fail--;
        a->bio_err = rc != 0 ? errno : 0;
        a->bio_pending = 0;
    }
    pthread_mutex_unlock(&a->bio_mu);
    return NULL;
}

void kv_aof_bio_start(kv_aof *a)
{
    pthread_mutex_init(&a->bio_mu, NULL);
    pthread_cond_init(&a->bio_cv, NULL);
    if (pthread_create(&a->bio, NULL, bio_main, a) != 0)
        abort();
    a->bio_started = 1;
}

int kv_aof_bio_fsync(kv_cmdstate *st)
{
    kv_aof *a = st->aof;
    int busy;
    if (!a->bio_started)
        kv_aof_bio_start(a);
    pthread_mutex_lock(&a->bio_mu);
    busy = a->bio_pending; /* the last one is still running: a slow disk */
    if (!busy) {
        a->bio_pending = 1;
        pthread_cond_signal(&a->bio_cv);
    }
    pthread_mutex_unlock(&a->bio_mu);
    return busy ? -1 : 0;
}

void kv_aof_bio_stop(kv_aof *a)
{
    if (!a->bio_started)
        return;
    pthread_mutex_lock(&a->bio_mu);
    a->bio_stop = 1;
    pthread_cond_signal(&a->bio_cv);
    pthread_mutex_unlock(&a->bio_mu);
    pthread_join(a->bio, NULL);
    pthread_mutex_destroy(&a->bio_mu);
    pthread_cond_destroy(&a->bio_cv);
    a->bio_started = 0;
}

/* everysec: the thread's fsync failed (Redis's aof_bio_fsync_status): the
 * shard refuses writes with MISCONF, as after a failed write, until an
 * fsync works again (one is asked for every second). From the tick. */
void kv_aof_check_fsync(kv_cmdstate *st)
{
    kv_aof *a = st->aof;
    int err;
    if (!a || !a->bio_started)
        return;
    pthread_mutex_lock(&a->bio_mu);
    err = a->bio_err;
    pthread_mutex_unlock(&a->bio_mu);
    if (err && !a->fsync_failed) {
        a->fsync_failed = 1;
        a->unsynced = 1; /* asked again next second */
        kv_shard_log(st->shard, 3, "Fail to fsync the AOF file: %s", strerror(err));
        kv_atomic_store_relaxed(&st->srv->persist->aof_errno, err);
        kv_atomic_fetch_add_relaxed(&st->srv->persist->aof_write_err, 1);
    } else if (err) {
        a->unsynced = 1;
    } else if (a->fsync_failed) {
        a->fsync_failed = 0;
        kv_shard_log(st->shard, 2, "AOF fsync error looks solved, Redis can write again.");
        kv_aof_clear_write_err(st);
    }
}

void kv_aof_fail_fsync(kv_cmdstate *st, long long n)
{
    kv_aof *a = st->aof;
    if (!a)
        return;
    if (!a->bio_started)
        kv_aof_bio_start(a);
    pthread_mutex_lock(&a->bio_mu);
    a->bio_fail = n;
    pthread_mutex_unlock(&a->bio_mu);
}

void kv_aof_slow_fsync(kv_cmdstate *st, long long ms)
{
    kv_aof *a = st->aof;
    if (!a)
        return;
    if (!a->bio_started) { /* start the thread now: the setting is its */
        kv_aof_bio_start(a);
    }
    pthread_mutex_lock(&a->bio_mu);
    a->bio_slow_ms = ms;
    pthread_mutex_unlock(&a->bio_mu);
}

void kv_aof_info_fsync(kv_cmdstate *st, long long *pending, long long *delayed)
{
    kv_aof *a = st->aof;
    *pending = a && !a->offline ? kv_aof_bio_busy(a) : 0;
    *delayed = a && !a->offline ? a->delayed_fsync : 0;
}

