/* The append-only file, one per shard: every change a command makes on a
 * shard is appended, in Redis's RESP form, to that shard's incr file in
 * <dir>/<appenddirname>/shard-<i>/ (a Redis 7.0 AOF directory: manifest,
 * base, incr). Commands of a loop turn are written together at turn_end,
 * before the turn's replies and messages leave (group commit); with
 * appendfsync always they are on disk by then, with everysec a thread
 * fsyncs once a second. docs/architecture.md section 19 has the why. */
#include "cmd/persist/aof_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd/config/cfg.h"
#include "cmd/core/cmdmeta_flags.h"
#include "rt/atomic.h"
#include "store/aoffile.h"
#include "store/rdbfile.h"
#include "store/crc64.h"

/* A BGSAVE or an AOF rewrite runs somewhere (Redis: a child is active). */
static int kv_aof_saving(const kv_cmdstate *st)
{
    kv_persist *p = st->srv->persist;
    int busy;
    pthread_mutex_lock(&p->mu);
    busy = p->bg != NULL || p->aof_rewriting > 0;
    pthread_mutex_unlock(&p->mu);
    return busy;
}

int kv_aof_policy(const char *v)
{
    if (!strcmp(v, "always"))
        return KV_FSYNC_ALWAYS;
    if (!strcmp(v, "everysec"))
        return KV_FSYNC_EVERYSEC;
    return KV_FSYNC_NO;
}

void kv_aof_dir(const kv_cfg *cfg, int shard, char *out, size_t n)
{
    const char *dir = kv_cfg_get(cfg, "dir");
    snprintf(out, n, "%s%s%s/shard-%d", dir, *dir ? "/" : "", kv_cfg_get(cfg, "appenddirname"),
             shard);
}

/* mkdir -p for the two levels kevy creates. */
int kv_aof_make_dirs(const char *path)
{
    char tmp[PATH_MAX];
    char *slash;
    snprintf(tmp, sizeof tmp, "%s", path);
    slash = strrchr(tmp, '/');
    if (slash) {
        *slash = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return -1;
        *slash = '/';
    }
    return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

int kv_aof_layout_write(const kv_cfg *cfg, int nshards)
{
    const char *dir = kv_cfg_get(cfg, "dir");
    char top[PATH_MAX], path[PATH_MAX + 32], tmp[PATH_MAX + 64];
    FILE *f;
    snprintf(top, sizeof top, "%s%s%s", dir, *dir ? "/" : "", kv_cfg_get(cfg, "appenddirname"));
    snprintf(path, sizeof path, "%s/kevy-shards", top);
    /* Every shard may write it at once, with the same bytes: each its own
     * temp file, renamed over (atomic). */
    snprintf(tmp, sizeof tmp, "%s/temp-kevy-shards-%ld-%p", top, (long)getpid(), (void *)&f);
    if (!(f = fopen(tmp, "w")))
        return -1;
    fprintf(f, "shards %d\nslots crc16-contiguous\n", nshards);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        fclose(f);
        unlink(tmp);
        return -1;
    }
    fclose(f);
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return kv_aof_fsync_dir(top);
}

int kv_aof_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY), rc;
    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

/* An empty RDB file (the base of an AOF started on an empty dataset). */
static int write_empty_base(const char *path, int rdb, char *err, size_t errlen)
{
    kv_buf b;
    uint64_t crc;
    int fd, rc = 0;
    kv_buf_init(&b);
    if (rdb) { /* without the preamble an empty base is an empty file */
        kv_rdbf_write_header(&b, (long long)time(NULL), 0, 1);
        kv_rdbf_write_eof(&b);
        crc = kv_crc64(0, b.p, b.len);
        kv_rdbf_write_crc(&b, crc);
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || (b.len && write(fd, b.p, b.len) != (ssize_t)b.len) || fsync(fd) != 0) {
        snprintf(err, errlen, "Can't create the AOF base file %s: %s", path, strerror(errno));
        rc = -1;
    }
    if (fd >= 0)
        close(fd);
    kv_buf_free(&b);
    return rc;
}

/* ----------------------------------------------------------- a shard's file */

int kv_aof_open_shard(kv_cmdstate *st, int create, char *err, size_t errlen)
{
    kv_aof *a = calloc(1, sizeof *a);
    char path[2 * PATH_MAX];
    const char *name;
    const char *fname = kv_cfg_get(st->cfg, "appendfilename");
    int rc, created = 0;
    if (!a)
        abort();
    kv_buf_init(&a->buf);
    a->db = -1;
    a->fd = -1;
    snprintf(a->runid, sizeof a->runid, "%.8s", st->srv->run_id);
    a->policy = kv_aof_policy(kv_cfg_get(st->cfg, "appendfsync"));
    a->timestamps = kv_cfg_yes(st->cfg, "aof-timestamp-enabled");
    a->no_fsync_on_rewrite = kv_cfg_yes(st->cfg, "no-appendfsync-on-rewrite");
    snprintf(a->bio_cpulist, sizeof a->bio_cpulist, "%s", kv_cfg_get(st->cfg, "bio_cpulist"));
    kv_aof_dir(st->cfg, kv_shard_id(st->shard), a->dir, sizeof a->dir);
    rc = kv_aof_manifest_load(a->dir, fname, &a->m, err, errlen);
    if (rc < 0)
        goto fail;
    if (rc == 1) { /* none yet: an empty base and the first incr file */
        if (!create) {
            snprintf(err, errlen, "No AOF manifest in %s", a->dir);
            goto fail;
        }
        if (kv_aof_make_dirs(a->dir) != 0) {
            snprintf(err, errlen, "Can't create the AOF directory %s: %s", a->dir,
                     strerror(errno));
            goto fail;
        }
        int preamble = kv_cfg_yes(st->cfg, "aof-use-rdb-preamble");
        kv_aof_manifest_init(&a->m);
        if (!(name = kv_aof_manifest_new_base(&a->m, fname, preamble))) {
            snprintf(err, errlen, "Bad appendfilename for the AOF base file");
            goto fail;
        }
        snprintf(path, sizeof path, "%s/%s", a->dir, name);
        if (write_empty_base(path, preamble, err, errlen) != 0)
            goto fail;
        kv_shard_log(st->shard, 2, "Creating AOF base file %s on server start", name);
        created = 1;
    }
    if (a->m.nincr == 0) {
        int fd;
        if (!(name = kv_aof_manifest_new_incr(&a->m, fname))) {
            snprintf(err, errlen, "Bad appendfilename for the AOF incr file");
            goto fail;
        }
        kv_shard_log(st->shard, 2, "Creating AOF incr file %s on server start", name);
        /* The file exists before the manifest names it: a crash in between
         * leaves no manifest pointing at a missing file. */
        snprintf(path, sizeof path, "%s/%s", a->dir, name);
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) {
            snprintf(err, errlen, "Can't open the append-only file %s: %s", path,
                     strerror(errno));
            goto fail;
        }
        close(fd);
        if (kv_aof_manifest_save(a->dir, fname, &a->m, err, errlen) != 0)
            goto fail;
    }
    if (a->m.base.name && !created) { /* a fresh base is not counted (Redis) */
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", a->dir, a->m.base.name);
        if (stat(path, &sb) == 0)
            a->base_size = (long long)sb.st_size;
    }
    snprintf(path, sizeof path, "%s/%s", a->dir, a->m.incr[a->m.nincr - 1].name);
    a->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (a->fd < 0) {
        snprintf(err, errlen, "Can't open the append-only file %s: %s", path, strerror(errno));
        goto fail;
    }
    a->size = lseek(a->fd, 0, SEEK_END);
    a->rw_base = a->base_size + a->size; /* Redis: the size at load is the growth's base */
    kv_aof_fsync_dir(a->dir);
    st->aof = a;
    st->aof_mark = st->dirty;
    kv_shard_want_executed(st->shard, 1);
    return 0;
fail:
    kv_aof_manifest_free(&a->m);
    kv_buf_free(&a->buf);
    if (a->fd >= 0)
        close(a->fd);
    free(a);
    return -1;
}

void kv_aof_close_shard(kv_cmdstate *st)
{
    kv_aof *a = st->aof;
    if (!a)
        return;
    if (!a->offline)
        kv_aof_flush(st, 1);
    kv_aof_bio_stop(a);
    if (a->fd >= 0) {
        fsync(a->fd);
        close(a->fd);
    }
    if (a->write_err) /* the shard no longer fails writes for its AOF */
        kv_aof_clear_write_err(st);
    if (a->fsync_failed)
        kv_aof_clear_write_err(st);
    if (a->first) /* its first rewrite never finished: nothing to load */
        kv_shard_log(st->shard, 3, "AOF turned off before its first rewrite finished");
    kv_shard_want_executed(st->shard, 0);
    kv_aof_manifest_free(&a->m);
    kv_buf_free(&a->buf);
    free(a);
    st->aof = NULL;
}

/* ------------------------------------------------------------- logging */

/* Logging at all: on, and past its first cut (a file to write to). */
static int logging(const kv_aof *a)
{
    return a && !a->offline && a->fd >= 0;
}

static const kv_str multi_cmd[1] = {{"MULTI", 5}};
static const kv_str exec_cmd[1] = {{"EXEC", 4}};

/* One more entry of the running command (counted: not outside any). */
static void count_entry(kv_aof *a, int counted)
{
    if (!counted || a->tx_open || a->in_multi)
        return;
    if (a->cmd_n == 0) {
        a->cmd_start = a->buf.len;
    } else if (!a->cmd_wrapped) { /* a second one: MULTI before the first */
        kv_buf m;
        kv_buf_init(&m);
        kv_aof_write_cmd(&m, 1, multi_cmd);
        kv_buf_reserve(&a->buf, m.len);
        memmove(a->buf.p + a->cmd_start + m.len, a->buf.p + a->cmd_start,
                a->buf.len - a->cmd_start);
        memcpy(a->buf.p + a->cmd_start, m.p, m.len);
        a->buf.len += m.len;
        kv_buf_free(&m);
        a->cmd_wrapped = 1;
    }
    a->cmd_n++;
}

/* The running command is done: close its MULTI if it has one. */
static void end_command(kv_aof *a)
{
    if (a->cmd_wrapped)
        kv_aof_write_cmd(&a->buf, 1, exec_cmd);
    a->cmd_n = a->cmd_wrapped = 0;
}

static void feed(kv_aof *a, long long now_ms, unsigned long long txn, int counted, int db,
                 int argc, const kv_str *argv)
{
    if (a->timestamps && now_ms / 1000 != a->last_ts) { /* Redis's "#TS:<unix>" */
        a->last_ts = now_ms / 1000;
        kv_aof_write_timestamp(&a->buf, a->last_ts);
    }
    if (db != a->db) {
        kv_aof_write_select(&a->buf, db);
        a->db = db;
    }
    if (txn && !a->tx_open) { /* a part of a transaction over several shards */
        static const kv_str multi[1] = {{"MULTI", 5}};
        char tag[96];
        snprintf(tag, sizeof tag, KV_AOF_TX_TAG "%s:%llx", a->runid, txn);
        kv_aof_write_annotation(&a->buf, tag);
        kv_aof_write_cmd(&a->buf, 1, multi);
        a->tx_open = 1;
    }
    if (a->in_multi && !a->multi_logged) { /* the first change of the EXEC */
        kv_aof_write_cmd(&a->buf, 1, multi_cmd);
        a->multi_logged = 1;
    }
    count_entry(a, counted);
    kv_aof_write_cmd(&a->buf, argc, argv);
}

void kv_aof_multi(kv_ctx *ctx, int open)
{
    kv_aof *a = kv_state(ctx)->aof;
    if (!logging(a))
        return;
    if (!open && a->multi_logged)
        kv_aof_write_cmd(&a->buf, 1, exec_cmd);
    a->in_multi = open;
    a->multi_logged = 0;
}

void kv_aof_log(kv_cmdstate *st, int db, int argc, const kv_str *argv)
{
    if (!logging(st->aof))
        return;
    /* Inside a command (a key it finds expired) this is one of its entries;
     * the dirty mark stays: the command itself is logged too. */
    feed(st->aof, kv_shard_now_ms(st->shard), 0, !st->aof->outside, db, argc, argv);
}

void kv_propagate(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_cmdstate *st = kv_state(ctx);
    if (!logging(st->aof))
        return;
    feed(st->aof, kv_now_ms(ctx), ctx->txn, 1, ctx->db, argc, argv);
    st->aof_propagated = 1;
}

void kv_propagate_none(kv_ctx *ctx)
{
    kv_cmdstate *st = kv_state(ctx);
    if (logging(st->aof))
        st->aof_propagated = 1;
}

/* After every command here: what changed the data is logged as it ran,
 * unless the command said what to log instead (kv_propagate). */
void kv_aof_executed(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_cmdstate *st = kv_state(ctx);
    kv_aof *a = st->aof;
    if (!logging(a))
        return;
    if (st->aof_propagated)
        st->aof_propagated = 0;
    else if (st->dirty != st->aof_mark)
        feed(a, kv_now_ms(ctx), ctx->txn, 1, ctx->db, argc, argv);
    st->aof_mark = st->dirty;
    end_command(a);
    if (a->tx_open) { /* the part's block is whole; on disk before it replies */
        kv_aof_write_cmd(&a->buf, 1, exec_cmd);
        a->tx_open = 0;
        a->force_fsync = 1;
    }
}

/* Home of a transaction over several shards, every part done (and, by the
 * parts' forced fsync, on disk): the commit that makes them count. Only
 * for a command that may write. */
void kv_aof_txn_end(kv_shard *sh, void *state, unsigned long long txn, const kv_cmd *cmd)
{
    kv_cmdstate *st = state;
    kv_aof *a = st->aof;
    char tag[96];
    (void)sh;
    if (!logging(a))
        return;
    /* Only what may have written: a write command, EXEC (whose queue
     * may), a script (@scripting). A read over shards (MGET, a SAVE's cut)
     * logs nothing. */
    if (cmd && !(cmd->flags & KV_CMD_WRITE) && strcmp(cmd->name, "exec") != 0 &&
        !(cmd->meta && (kv_desc(cmd)->acl & KV_ACL_SCRIPTING)))
        return;
    snprintf(tag, sizeof tag, KV_AOF_COMMIT_TAG "%s:%llx", a->runid, txn);
    kv_aof_write_annotation(&a->buf, tag);
}

/* ------------------------------------------------------- writing and fsync */

/* everysec while the last fsync still runs: a write now would wait for it
 * in the kernel, blocking the shard. Hold the turn's buffer back for up to
 * 2 seconds (the tick retries), then write anyway, as Redis does. */
static int postpone(kv_cmdstate *st)
{
    kv_aof *a = st->aof;
    long long now;
    if (!kv_aof_bio_busy(a)) {
        a->postponed_ms = 0;
        return 0;
    }
    now = kv_shard_now_ms(st->shard);
    if (a->postponed_ms == 0) {
        a->postponed_ms = now;
        return 1;
    }
    if (now - a->postponed_ms < 2000)
        return 1;
    a->postponed_ms = 0;
    a->delayed_fsync++;
    kv_shard_log(st->shard, 2, "Asynchronous AOF fsync is taking too long (disk is busy?). "
                               "Writing the AOF buffer without waiting for fsync to complete, "
                               "this may slow down Redis.");
    return 0;
}

int kv_aof_flush(kv_cmdstate *st, int force_fsync)
{
    kv_aof *a = st->aof;
    size_t off = 0;
    if (!a || (a->buf.len == 0 && !force_fsync))
        return 0;
    if (!force_fsync && a->policy == KV_FSYNC_EVERYSEC && postpone(st))
        return 0;
    while (off < a->buf.len) {
        ssize_t w;
        if (a->inject_errors > 0) { /* DEBUG KEVY-AOF-WRITE-ERRORS: a full disk */
            a->inject_errors--;
            errno = ENOSPC;
            w = -1;
        } else {
            w = write(a->fd, a->buf.p + off, a->buf.len - off);
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno ? errno : EIO;
            if (a->policy == KV_FSYNC_ALWAYS) { /* the replies must not leave: Redis exits */
                kv_shard_log(st->shard, 3, "Can't recover from AOF write error when the AOF "
                                           "fsync policy is 'always'. Exiting...");
                exit(1);
            }
            /* Keep what was not written for the next turn; writes are
             * refused meanwhile (kv_persist_refuse_write), as in Redis. */
            if (!a->write_err) {
                kv_shard_log(st->shard, 3, "Error writing to the AOF file: %s", strerror(e));
                kv_atomic_store_relaxed(&st->srv->persist->aof_errno, e);
                kv_atomic_fetch_add_relaxed(&st->srv->persist->aof_write_err, 1);
            }
            a->write_err = e;
            a->size += (long long)off;
            kv_buf_consume(&a->buf, off);
            return -1;
        }
        off += (size_t)w;
    }
    a->size += (long long)a->buf.len;
    a->buf.len = 0;
    if (a->write_err) {
        a->write_err = 0;
        kv_shard_log(st->shard, 2, "AOF write error looks solved, Redis can write again.");
        kv_aof_clear_write_err(st);
    }
    if (!force_fsync && a->no_fsync_on_rewrite && kv_aof_saving(st))
        return 0; /* no-appendfsync-on-rewrite: the OS decides while a save runs */
    if (a->policy == KV_FSYNC_ALWAYS || force_fsync) {
        a->unsynced = 0;
        if (fdatasync(a->fd) != 0) {
            kv_shard_log(st->shard, 3, "Can't persist AOF for fsync error when the AOF fsync "
                                       "policy is 'always': %s. Exiting...", strerror(errno));
            exit(1); /* Redis: acknowledged writes must not be lost */
        }
    } else if (a->policy == KV_FSYNC_EVERYSEC) {
        a->unsynced = 1;
    }
    return 0;
}

void kv_aof_turn_end(kv_shard *sh, kv_cmdstate *st)
{
    kv_aof *a = st->aof;
    long long now;
    (void)sh;
    if (!logging(a))
        return;
    end_command(a); /* nothing is left open across turns */
    kv_aof_flush(st, a->force_fsync);
    a->force_fsync = 0;
    if (a->policy != KV_FSYNC_EVERYSEC || !a->unsynced)
        return;
    /* everysec: fsync off the loop once a second (Redis's bio thread). */
    now = kv_shard_now_ms(st->shard);
    if (now - a->last_fsync_ms >= 1000 && kv_aof_bio_fsync(st) == 0) {
        a->last_fsync_ms = now;
        a->unsynced = 0;
    }
}

void kv_aof_mid_turn_flush(kv_shard *sh, kv_cmdstate *st)
{
    (void)sh;
    if (!logging(st->aof))
        return;
    kv_aof_flush(st, st->aof->force_fsync);
    st->aof->force_fsync = 0;
}

void kv_aof_clear_write_err(kv_cmdstate *st)
{
    kv_atomic_fetch_add_relaxed(&st->srv->persist->aof_write_err, -1);
}

void kv_aof_inject_write_errors(kv_cmdstate *st, long long n)
{
    if (st->aof)
        st->aof->inject_errors = n;
}

void kv_aof_shard_init(kv_cmdstate *st)
{
    char err[1024];
    int replaying;
    if (!st->srv->cfg || !kv_cfg_yes(st->cfg, "appendonly") || !st->srv->persist)
        return;
    pthread_mutex_lock(&st->srv->persist->mu);
    replaying = st->srv->persist->loading_aof; /* an in-process replay server: no AOF */
    pthread_mutex_unlock(&st->srv->persist->mu);
    if (replaying)
        return;
    if (kv_aof_open_shard(st, 1, err, sizeof err) != 0) {
        kv_shard_log(st->shard, 3, "%s", err);
        exit(1);
    }
}

void kv_aof_info(const kv_cmdstate *st, long long *on, long long *size, long long *base,
                 long long *buf, long long *werr)
{
    const kv_aof *a = st->aof;
    if (a && a->offline)
        a = NULL;
    *on = a != NULL;
    *size = a ? a->base_size + a->size : 0; /* Redis: the base counts once loaded */
    *base = a ? a->base_size : 0;
    *buf = a ? (long long)a->buf.len : 0;
    *werr = a ? a->write_err != 0 : 0;
}

void kv_aof_outside(kv_cmdstate *st, int on)
{
    if (st->aof)
        st->aof->outside = on;
}
