/* The saver: one thread per save that writes the chunks the shards hand it
 * into one RDB file, in arrival order (each chunk is whole entries of one
 * database, so a SELECTDB before a chunk of another database is all the
 * interleaving needs), computing the CRC as it goes; then fsync, rename
 * over dump.rdb and fsync the directory, so a crash leaves the old file or
 * the new one, never a torn one. Disk work never runs on a shard thread. */
#include "cmd/persist/persist_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cmd/config/cfg.h"
#include "store/crc64.h"
#include "store/aoffile.h"
#include "store/rdbfile.h"

static long long wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static int cancelled(kv_savejob *job)
{
    int c;
    pthread_mutex_lock(&job->mu);
    c = job->cancelled;
    pthread_mutex_unlock(&job->mu);
    return c;
}

/* rdb-key-save-delay's sleep, in slices so a cancel is seen at once. */
static void sleep_us(kv_savejob *job, long long us)
{
    while (us > 0 && !cancelled(job)) {
        long long slice = us < 10000 ? us : 10000;
        struct timespec ts;
        ts.tv_sec = 0;
        ts.tv_nsec = (long)slice * 1000;
        nanosleep(&ts, NULL);
        us -= slice;
    }
}

/* Write all of p, updating the CRC; -1 with errno on failure. */
static int write_all(kv_savejob *job, uint64_t *crc, const char *p, size_t n)
{
    *crc = kv_crc64(*crc, (const unsigned char *)p, n);
    while (n) {
        ssize_t w = write(job->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
        job->unsynced += (size_t)w;
    }
    /* rdb-save-incremental-fsync / aof-rewrite-incremental-fsync: every
     * 4 MB, as Redis, so the final fsync does not stall on a huge file. */
    if (job->incremental_fsync && job->unsynced >= 4u * 1024 * 1024) {
        if (fdatasync(job->fd) != 0)
            return -1;
        job->unsynced = 0;
    }
    return 0;
}

static int write_buf(kv_savejob *job, uint64_t *crc, kv_buf *b)
{
    int rc = write_all(job, crc, b->p, b->len);
    b->len = 0;
    return rc;
}

static void fail(kv_savejob *job, const char *what)
{
    if (!job->err[0])
        snprintf(job->err, sizeof job->err, "%s %.300s: %s", what, job->tmp, strerror(errno));
}

/* The directory entry of the rename must reach the disk too. */
static int fsync_dir(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    int fd, rc;
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path) + (slash == path), path);
    if ((fd = open(dir, O_RDONLY)) < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

static void *saver_main(void *arg)
{
    kv_savejob *job = arg;
    kv_buf b;
    uint64_t crc = 0;
    int curdb = -1, bad = 0;
    kv_buf_init(&b);
    /* What Redis's forked child does: its name and its CPUs. */
    kv_thread_name(job->aof_base ? "kevy-aofrewrite" : "kevy-bgsave");
    kv_thread_set_cpus(job->cpulist, -1);
    if (!job->resp)
        kv_rdbf_write_header(&b, wall_ms() / 1000, 0, job->aof_base);
    kv_buf_append(&b, job->fnbuf.p ? job->fnbuf.p : "", job->fnbuf.len); /* before any db, as Redis */
    if (write_buf(job, &crc, &b) != 0)
        bad = 1, fail(job, "Write error saving DB on disk");
    for (;;) {
        kv_chunk *c;
        pthread_mutex_lock(&job->mu);
        while (!job->head && job->shards_left > 0)
            pthread_cond_wait(&job->cv, &job->mu);
        c = job->head;
        if (c) {
            job->head = c->next;
            if (!job->head)
                job->tail = NULL;
            job->queued -= c->len;
        }
        bad |= job->cancelled;
        pthread_mutex_unlock(&job->mu);
        if (!c)
            break;
        if (!bad && c->db != curdb) {
            if (job->resp)
                kv_aof_write_select(&b, c->db);
            else
                kv_rdbf_write_selectdb(&b, c->db);
            curdb = c->db;
            if (write_buf(job, &crc, &b) != 0)
                bad = 1, fail(job, "Write error saving DB on disk");
        }
        if (!bad && write_all(job, &crc, c->bytes, c->len) != 0)
            bad = 1, fail(job, "Write error saving DB on disk");
        if (!bad && job->key_delay_us > 0) /* Redis's debugDelay per key */
            sleep_us(job, job->key_delay_us * c->keys);
        free(c->bytes);
        free(c);
    }
    if (!bad && job->resp) {
        if (fsync(job->fd) != 0)
            bad = 1, fail(job, "Failed to fsync");
    } else if (!bad) {
        kv_rdbf_write_eof(&b);
        crc = kv_crc64(crc, (const unsigned char *)b.p, b.len);
        kv_rdbf_write_crc(&b, job->checksum ? crc : 0);
        if (write_all(job, &crc, b.p, b.len) != 0)
            bad = 1, fail(job, "Write error saving DB on disk");
        else if (fsync(job->fd) != 0)
            bad = 1, fail(job, "Failed to fsync");
    }
    close(job->fd);
    job->fd = -1;
    /* Under the lock: once kv_savejob_cancel returns, this file either is
     * in place already or never will be (a newer save may follow). */
    pthread_mutex_lock(&job->mu);
    bad |= job->cancelled;
    if (!bad && rename(job->tmp, job->path) != 0)
        bad = 1, fail(job, "Error moving temp DB file on the final destination");
    pthread_mutex_unlock(&job->mu);
    if (!bad)
        fsync_dir(job->path);
    if (bad)
        unlink(job->tmp);
    kv_buf_free(&b);
    pthread_mutex_lock(&job->mu);
    job->ok = !bad;
    job->done = 1;
    pthread_cond_broadcast(&job->cv);
    pthread_mutex_unlock(&job->mu);
    if (!job->sync) {
        ssize_t w;
        do
            w = write(job->pipefd[1], "x", 1);
        while (w < 0 && errno == EINTR);
    }
    return NULL;
}

/* ------------------------------------------------------------ the shards */

void kv_savejob_push(kv_savejob *job, int db, char *bytes, size_t len, long long keys)
{
    kv_chunk *c = malloc(sizeof *c);
    if (!c)
        abort();
    c->next = NULL;
    c->db = db;
    c->bytes = bytes;
    c->len = len;
    c->keys = keys;
    pthread_mutex_lock(&job->mu);
    if (job->tail)
        job->tail->next = c;
    else
        job->head = c;
    job->tail = c;
    job->queued += len;
    pthread_cond_signal(&job->cv);
    pthread_mutex_unlock(&job->mu);
}

void kv_savejob_shard_done(kv_savejob *job, long long keys)
{
    pthread_mutex_lock(&job->mu);
    job->keys += keys;
    job->shards_left--;
    pthread_cond_signal(&job->cv);
    pthread_mutex_unlock(&job->mu);
}

void kv_savejob_cancel(kv_savejob *job)
{
    pthread_mutex_lock(&job->mu);
    job->cancelled = 1;
    pthread_cond_broadcast(&job->cv);
    pthread_mutex_unlock(&job->mu);
}

size_t kv_savejob_backlog(kv_savejob *job)
{
    size_t q;
    pthread_mutex_lock(&job->mu);
    q = job->queued;
    pthread_mutex_unlock(&job->mu);
    return q;
}

void kv_savejob_cut(kv_savejob *job, int shard, long long dirty)
{
    pthread_mutex_lock(&job->mu);
    job->cut_dirty[shard] = dirty;
    job->cut_set[shard] = 1;
    pthread_mutex_unlock(&job->mu);
}

/* ------------------------------------------------------------- the owner */

void kv_savejob_free(kv_savejob *job)
{
    kv_buf_free(&job->fnbuf);
    pthread_mutex_destroy(&job->mu);
    pthread_cond_destroy(&job->cv);
    if (!job->sync) {
        close(job->pipefd[0]);
        close(job->pipefd[1]);
    }
    free(job);
}

static void job_finish(kv_shard *sh, kv_cmdstate *st, kv_savejob *job)
{
    long long now = wall_ms();
    pthread_join(job->thread, NULL);
    if (job->done_fn) { /* an AOF base: the rewrite finishes it */
        job->done_fn(sh, st, job);
        return;
    }
    kv_persist_record(st->srv->persist, job, st->srv->nshards, now);
    if (job->ok)
        kv_shard_log(sh, 2, "%s saved on disk (%lld keys)",
                     job->sync ? "DB" : "Background saving terminated with success:", job->keys);
    else if (job->cancelled)
        kv_shard_log(sh, 2, "Background saving cancelled (FLUSHALL)");
    else
        kv_shard_log(sh, 3, "%s", job->err);
}

static void live_remove(kv_persist *p, kv_savejob *job)
{
    kv_savejob **pp;
    pthread_mutex_lock(&p->mu);
    for (pp = &p->live; *pp; pp = &(*pp)->next_live)
        if (*pp == job) {
            *pp = job->next_live;
            break;
        }
    if (p->bg == job)
        p->bg = NULL;
    pthread_mutex_unlock(&p->mu);
}

/* The saver said it is done: record the result (async jobs). */
static void on_done(kv_shard *sh, int fd, unsigned events, void *arg)
{
    kv_savejob *job = arg;
    char c[16];
    (void)events;
    while (read(fd, c, sizeof c) > 0)
        ;
    pthread_mutex_lock(&job->mu);
    if (!job->done) {
        pthread_mutex_unlock(&job->mu);
        return;
    }
    pthread_mutex_unlock(&job->mu);
    kv_shard_unwatch_fd(sh, job->watch);
    job_finish(sh, kv_shard_state(sh), job);
    live_remove(job->persist, job);
    kv_savejob_free(job);
}

void kv_savejob_shard_fini(kv_shard *sh, kv_cmdstate *st)
{
    kv_persist *p = st->srv->persist;
    for (;;) {
        kv_savejob *job;
        pthread_mutex_lock(&p->mu);
        for (job = p->live; job && job->owner != kv_shard_id(sh); job = job->next_live)
            ;
        pthread_mutex_unlock(&p->mu);
        if (!job)
            return;
        /* Every shard leaves its part at its own fini: the saver ends. */
        kv_shard_unwatch_fd(sh, job->watch);
        pthread_join(job->thread, NULL);
        live_remove(p, job);
        kv_savejob_free(job);
    }
}

kv_savejob *kv_savejob_start(kv_shard *sh, kv_cmdstate *st, int nshards, int sync, char *err,
                             size_t errlen)
{
    return kv_savejob_start_to(sh, st, nshards, sync, NULL, NULL, 0, err, errlen);
}

kv_savejob *kv_savejob_start_to(kv_shard *sh, kv_cmdstate *st, int nshards, int sync,
                                const char *path, kv_savejob_done_fn done, int resp, char *err,
                                size_t errlen)
{
    kv_savejob *job = calloc(1, sizeof *job);
    if (!job)
        abort();
    pthread_mutex_init(&job->mu, NULL);
    pthread_cond_init(&job->cv, NULL);
    job->shards_left = nshards;
    job->sync = sync;
    job->persist = st->srv->persist;
    job->compress = kv_cfg_yes(st->cfg, "rdbcompression");
    job->checksum = kv_cfg_yes(st->cfg, "rdbchecksum");
    job->key_delay_us = kv_cfg_ll(st->cfg, "rdb-key-save-delay");
    job->incremental_fsync = kv_cfg_yes(st->cfg, done ? "aof-rewrite-incremental-fsync"
                                                      : "rdb-save-incremental-fsync");
    job->start_ms = wall_ms();
    job->pipefd[0] = job->pipefd[1] = -1;
    job->done_fn = done;
    job->aof_base = done != NULL;
    job->resp = resp;
    kv_buf_init(&job->fnbuf); /* the libraries as they are at the cut (every shard locked) */
    if (job->persist->fns.save)
        job->persist->fns.save(job->persist->fns.arg, &job->fnbuf, resp);
    snprintf(job->cpulist, sizeof job->cpulist, "%s",
             kv_cfg_get(st->cfg, done ? "aof_rewrite_cpulist" : "bgsave_cpulist"));
    if (path)
        snprintf(job->path, sizeof job->path, "%s", path);
    else
        kv_persist_path(st, job->path, sizeof job->path);
    {
        const char *slash = strrchr(job->path, '/');
        int dlen = slash ? (int)(slash - job->path) + 1 : 0;
        unsigned long long seq;
        pthread_mutex_lock(&job->persist->mu);
        seq = ++job->persist->seq;
        pthread_mutex_unlock(&job->persist->mu);
        snprintf(job->tmp, sizeof job->tmp, "%.*stemp-%ld-%llu.rdb", dlen, job->path,
                 (long)getpid(), seq);
    }
    job->fd = open(job->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (job->fd < 0) {
        snprintf(err, errlen, "Failed opening the temp RDB file %s (in server root dir %s) for "
                 "saving: %s", strrchr(job->tmp, '/') ? strrchr(job->tmp, '/') + 1 : job->tmp,
                 kv_cfg_get(st->cfg, "dir"), strerror(errno));
        kv_shard_log(sh, 3, "%s", err);
        kv_buf_free(&job->fnbuf);
        pthread_mutex_destroy(&job->mu);
        pthread_cond_destroy(&job->cv);
        free(job);
        return NULL;
    }
    if (!sync) {
        if (pipe(job->pipefd) != 0)
            abort();
        fcntl(job->pipefd[0], F_SETFL, O_NONBLOCK);
        fcntl(job->pipefd[0], F_SETFD, FD_CLOEXEC);
        fcntl(job->pipefd[1], F_SETFD, FD_CLOEXEC);
        if (!(job->watch = kv_shard_watch_fd(sh, job->pipefd[0], KV_FD_READ, on_done, job)))
            abort();
        job->owner = kv_shard_id(sh);
        pthread_mutex_lock(&job->persist->mu);
        job->next_live = job->persist->live;
        job->persist->live = job;
        pthread_mutex_unlock(&job->persist->mu);
    }
    if (pthread_create(&job->thread, NULL, saver_main, job) != 0)
        abort();
    return job;
}

int kv_savejob_wait(kv_cmdstate *st, kv_savejob *job, char *err, size_t errlen)
{
    int ok;
    pthread_mutex_lock(&job->mu);
    while (!job->done)
        pthread_cond_wait(&job->cv, &job->mu);
    pthread_mutex_unlock(&job->mu);
    job_finish(st->shard, st, job);
    ok = job->ok;
    if (!ok)
        snprintf(err, errlen, "%s", job->err);
    kv_savejob_free(job);
    return ok ? 0 : -1;
}
