/* Rewriting a shard's append-only file without fork (BGREWRITEAOF, and
 * CONFIG SET appendonly yes, which starts one): at the cut, writes switch
 * to a new incr file, and the shard's snapshot (snapshot.c) of that moment
 * becomes the new base, written by a saver thread. When the base is on
 * disk the manifest names the new base and the new incr file, atomically,
 * and the old files go. Until then the manifest names the old base and
 * every incr file, the new one included: a crash at any point loads
 * everything. Each shard rewrites on its own; its log alone is complete. */
#include "cmd/persist/aof_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/config/cfg.h"
#include "cmd/multi/multi.h"
#include "rt/atomic.h"

/* Every shard rewrites at one cut (the commits of transactions over
 * shards must stay beside their blocks): a rewrite that cannot start now
 * is one for every shard, started by shard 0's tick. */
static void schedule_all(const kv_cmdstate *st)
{
    pthread_mutex_lock(&st->srv->persist->mu);
    st->srv->persist->aof_rw_scheduled = 1;
    pthread_mutex_unlock(&st->srv->persist->mu);
}

static kv_aof_stats *stats(const kv_cmdstate *st)
{
    return &st->srv->persist->aofst[kv_shard_id(st->shard)];
}

static void unlink_history(kv_aof *a)
{
    char path[2 * PATH_MAX];
    int i;
    for (i = 0; i < a->m.nhist; i++) {
        snprintf(path, sizeof path, "%s/%s", a->dir, a->m.hist[i].name);
        unlink(path);
    }
}

static void set_at_cut(const kv_cmdstate *st, int at)
{
    int id = kv_shard_id(st->shard);
    if (id >= KV_PERSIST_MAX_SHARDS)
        return;
    pthread_mutex_lock(&st->srv->persist->mu);
    st->srv->persist->aof_at_cut[id] = (unsigned char)at;
    pthread_mutex_unlock(&st->srv->persist->mu);
}

/* How many shards are in state `at` (KV_AOF_*). */
static int count_at(const kv_cmdstate *st, int at)
{
    int i, n = st->srv->nshards < KV_PERSIST_MAX_SHARDS ? st->srv->nshards
                                                         : KV_PERSIST_MAX_SHARDS;
    int count = 0;
    pthread_mutex_lock(&st->srv->persist->mu);
    for (i = 0; i < n; i++)
        count += st->srv->persist->aof_at_cut[i] == at;
    pthread_mutex_unlock(&st->srv->persist->mu);
    return count;
}

/* The old files go only once every shard's rewrite of this cut is done,
 * its new manifest on disk: until then another shard may still load a
 * block whose commit is in one of them (the loader reads history files
 * for commits too). A shard whose rewrite failed holds every shard's
 * history until one of its rewrites succeeds. */
static void try_gc(kv_cmdstate *st)
{
    kv_aof *a = st->aof;
    char err[1024];
    if (!a || !a->gc_pending)
        return;
    if (!a->offline && count_at(st, KV_AOF_AT_CUT) < st->srv->nshards)
        return; /* (appendonly no logs no transactions) */
    a->gc_pending = 0;
    if (kv_cfg_yes(st->cfg, "aof-disable-auto-gc")) /* history waits */
        return;
    unlink_history(a);
    kv_aof_manifest_clear_history(&a->m);
    if (kv_aof_manifest_save(a->dir, kv_cfg_get(st->cfg, "appendfilename"), &a->m, err,
                             sizeof err) != 0)
        kv_shard_log(st->shard, 3, "%s", err);
}

/* The base is on disk (or the rewrite failed): the owner shard's turn. */
static void rewrite_done(kv_shard *sh, kv_cmdstate *st, kv_savejob *job)
{
    kv_aof *a = st->aof;
    const char *fname = kv_cfg_get(st->cfg, "appendfilename");
    char err[1024];
    long long now = kv_shard_now_ms(sh);
    pthread_mutex_lock(&st->srv->persist->mu);
    st->srv->persist->aof_rewriting--;
    pthread_mutex_unlock(&st->srv->persist->mu);
    if (!a) { /* appendonly turned off meanwhile: the base is of no use */
        set_at_cut(st, KV_AOF_AT_CUT);
        return;
    }
    a->rewriting = 0;
    stats(st)->last_s = (now - a->rewrite_start_ms) / 1000;
    if (!job->ok)
        set_at_cut(st, KV_AOF_CUT_FAILED);
    if (!job->ok && job->cancelled) { /* a SAVE or SHUTDOWN needed the walk: again later */
        schedule_all(st);
        kv_shard_log(sh, 2, "Background AOF rewrite cancelled, scheduled again");
        return;
    }
    if (!job->ok) {
        stats(st)->err = 1;
        stats(st)->failures++;
        kv_shard_log(sh, 3, "Background AOF rewrite %s: %s",
                     job->cancelled ? "cancelled" : "failed", job->err);
        return;
    }
    /* The base the saver renamed into place becomes the manifest's. */
    kv_aof_manifest_new_base(&a->m, fname, a->preamble);
    kv_aof_manifest_incr_to_history(&a->m, !a->offline);
    if (kv_aof_manifest_save(a->dir, fname, &a->m, err, sizeof err) != 0) {
        set_at_cut(st, KV_AOF_CUT_FAILED);
        stats(st)->err = 1;
        stats(st)->failures++;
        kv_shard_log(sh, 3, "%s", err);
        return;
    }
    kv_aof_fsync_dir(a->dir);
    set_at_cut(st, KV_AOF_AT_CUT);
    a->gc_pending = 1;
    try_gc(st);
    stats(st)->err = 0;
    stats(st)->failures = 0;
    a->first = 0;
    a->base_size = a->size = 0;
    {
        struct stat sb;
        char path[2 * PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", a->dir, a->m.base.name);
        if (stat(path, &sb) == 0)
            a->base_size = (long long)sb.st_size;
    }
    a->size = a->fd >= 0 ? lseek(a->fd, 0, SEEK_END) : 0;
    a->rw_base = a->base_size + a->size;
    kv_shard_log(sh, 2, "Background AOF rewrite finished successfully");
    if (a->offline) /* appendonly no: the files are written, nothing logs */
        kv_aof_close_shard(st);
}

/* Writes go to a new incr file from now on (named in the manifest at once,
 * so a crash before the base is done still loads everything). */
static int switch_incr(kv_cmdstate *st, char *err, size_t errlen)
{
    kv_aof *a = st->aof;
    const char *fname = kv_cfg_get(st->cfg, "appendfilename"), *name;
    char path[2 * PATH_MAX];
    int fd;
    if (a->fd >= 0)
        kv_aof_flush(st, 1);
    if (!(name = kv_aof_manifest_new_incr(&a->m, fname))) {
        snprintf(err, errlen, "Bad appendfilename for a new AOF incr file");
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s", a->dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0 || (!a->first && kv_aof_manifest_save(a->dir, fname, &a->m, err, errlen) != 0)) {
        if (fd >= 0)
            close(fd);
        else
            snprintf(err, errlen, "Can't open the append-only file %s: %s", path,
                     strerror(errno));
        return -1;
    }
    kv_aof_bio_stop(a); /* it fsyncs a->fd: not while that fd changes */
    if (a->fd >= 0) {
        fsync(a->fd);
        close(a->fd);
    }
    a->fd = fd;
    a->db = -1; /* a new file starts with its SELECT */
    a->size = 0;
    kv_shard_want_executed(st->shard, 1); /* turned on: logging starts at the cut */
    st->aof_mark = st->dirty;
    kv_shard_log(st->shard, 2, "Creating AOF incr file %s on background rewrite", name);
    return 0;
}

int kv_aof_rewrite_start(kv_cmdstate *st, int in_exec, char *err, size_t errlen)
{
    kv_aof *a = st->aof;
    kv_savejob *job;
    int bg, preamble;
    const char *fname = kv_cfg_get(st->cfg, "appendfilename");
    char base[512], path[2 * PATH_MAX];
    if (!a) {
        snprintf(err, errlen, "the AOF is off");
        return -1;
    }
    if (a->rewriting) {
        snprintf(err, errlen, "Background append only file rewriting already in progress");
        return -1;
    }
    pthread_mutex_lock(&st->srv->persist->mu);
    bg = st->srv->persist->bg != NULL;
    pthread_mutex_unlock(&st->srv->persist->mu);
    if (st->snap || bg || in_exec) { /* a BGSAVE runs (or inside EXEC): after it */
        schedule_all(st);
        return 1;
    }
    set_at_cut(st, KV_AOF_CUTTING); /* from the cut until the new manifest is on disk */
    if (!a->offline && switch_incr(st, err, errlen) != 0) {
        set_at_cut(st, KV_AOF_CUT_FAILED);
        return -1;
    }
    preamble = kv_cfg_yes(st->cfg, "aof-use-rdb-preamble");
    kv_aof_name_base(base, sizeof base, fname, a->m.next_seq_base, preamble);
    snprintf(path, sizeof path, "%s/%s", a->dir, base);
    job = kv_savejob_start_to(st->shard, st, 1, 0, path, rewrite_done, !preamble, err, errlen);
    if (!job) {
        set_at_cut(st, KV_AOF_CUT_FAILED);
        return -1;
    }
    a->preamble = preamble;
    a->rewriting = 1;
    stats(st)->done++; /* Redis counts a rewrite when it starts */
    pthread_mutex_lock(&st->srv->persist->mu);
    st->srv->persist->aof_rewriting++;
    pthread_mutex_unlock(&st->srv->persist->mu);
    a->rewrite_start_ms = kv_shard_now_ms(st->shard);
    kv_snap_begin(st, job, 0);
    kv_shard_log(st->shard, 2, "Background append only file rewriting started");
    return 0;
}

/* Shard 0: the AOF grew by auto-aof-rewrite-percentage over its size
 * after the last rewrite, and is past auto-aof-rewrite-min-size (all
 * shards together, as one server's AOF): every shard rewrites. */
static void auto_rewrite(kv_cmdstate *st)
{
    kv_persist *p = st->srv->persist;
    long long pct = kv_cfg_ll(st->cfg, "auto-aof-rewrite-percentage"), size = 0, base = 0;
    int i, busy;
    if (pct <= 0)
        return;
    for (i = 0; i < st->srv->nshards && i < KV_PERSIST_MAX_SHARDS; i++) {
        size += kv_atomic_load_relaxed(&p->aof_size[i]);
        base += kv_atomic_load_relaxed(&p->aof_rw_base[i]);
    }
    if (size < kv_cfg_ll(st->cfg, "auto-aof-rewrite-min-size"))
        return;
    if ((size * 100 / (base > 0 ? base : 1)) - 100 < pct)
        return;
    pthread_mutex_lock(&p->mu);
    busy = p->bg != NULL || p->aof_rewriting > 0;
    pthread_mutex_unlock(&p->mu);
    if (!busy) {
        kv_str argv[1];
        argv[0].p = "bgrewriteaof";
        argv[0].n = 12;
        kv_shard_log(st->shard, 2, "Starting automatic rewriting of AOF on %lld%% growth",
                     (size * 100 / (base > 0 ? base : 1)) - 100);
        kv_shard_run_internal(st->shard, 1, argv);
    }
}

/* A tick: a rewrite that waited for a BGSAVE starts; the sizes for the
 * automatic rewrite are published. */
void kv_aof_tick(kv_cmdstate *st)
{
    kv_persist *p = st->srv->persist;
    int id = kv_shard_id(st->shard);
    int due;
    try_gc(st);
    kv_aof_check_fsync(st);
    if (st->aof && st->aof->postponed_ms)
        kv_aof_flush(st, 0); /* writes held back for a slow fsync (Redis's serverCron) */
    if (st->aof && !st->aof->offline) {
        kv_atomic_store_relaxed(&p->aof_size[id], st->aof->base_size + st->aof->size);
        kv_atomic_store_relaxed(&p->aof_rw_base[id], st->aof->rw_base);
        if (id == 0 && !st->aof->rewriting && !st->aof->first)
            auto_rewrite(st);
    }
    if (id != 0)
        return;
    pthread_mutex_lock(&p->mu);
    due = p->aof_rw_scheduled && p->bg == NULL && p->aof_rewriting == 0;
    if (due)
        p->aof_rw_scheduled = 0;
    pthread_mutex_unlock(&p->mu);
    if (due) { /* every shard at one cut: the command's coordination */
        kv_str argv[1];
        argv[0].p = "bgrewriteaof";
        argv[0].n = 12;
        kv_shard_run_internal(st->shard, 1, argv);
    }
}

/* appendonly turned on while running: the files there (if any) are stale;
 * the first rewrite's base and the incr file it starts are the AOF, and
 * the manifest names them only once the base is on disk. */
static int open_runtime(kv_cmdstate *st, char *err, size_t errlen)
{
    kv_aof *a = calloc(1, sizeof *a);
    if (!a)
        abort();
    kv_buf_init(&a->buf);
    a->db = -1;
    a->fd = -1;
    a->first = 1;
    snprintf(a->runid, sizeof a->runid, "%.8s", st->srv->run_id);
    a->policy = kv_aof_policy(kv_cfg_get(st->cfg, "appendfsync"));
    a->timestamps = kv_cfg_yes(st->cfg, "aof-timestamp-enabled");
    a->no_fsync_on_rewrite = kv_cfg_yes(st->cfg, "no-appendfsync-on-rewrite");
    kv_aof_dir(st->cfg, kv_shard_id(st->shard), a->dir, sizeof a->dir);
    if (kv_aof_make_dirs(a->dir) != 0 ||
        kv_aof_layout_write(st->cfg, st->srv->nshards) != 0 ||
        kv_aof_manifest_load(a->dir, kv_cfg_get(st->cfg, "appendfilename"), &a->m, err,
                             errlen) < 0) {
        if (errno)
            snprintf(err, errlen, "Can't create the AOF directory %.900s: %s", a->dir,
                     strerror(errno));
        kv_aof_manifest_free(&a->m);
        kv_buf_free(&a->buf);
        free(a);
        return -1;
    }
    st->aof = a;
    st->aof_mark = st->dirty; /* nothing logs before the first cut (switch_incr) */
    return 0;
}

/* CONFIG SET changed this shard's copy: appendonly on/off, appendfsync,
 * aof-timestamp-enabled take effect. */
int kv_aof_config(kv_cmdstate *st)
{
    char err[1024];
    int on = kv_cfg_yes(st->cfg, "appendonly");
    if (on && !st->aof) {
        /* Redis: the AOF starts with a rewrite of what is there now. */
        if (open_runtime(st, err, sizeof err) != 0 ||
            kv_aof_rewrite_start(st, 0, err, sizeof err) < 0) {
            kv_shard_log(st->shard, 3, "Redis needs to enable the AOF but can't: %s", err);
            return -1;
        }
        return 0;
    }
    if (!on && st->aof) {
        kv_aof_close_shard(st);
        return 0;
    }
    if (st->aof) {
        kv_aof *a = st->aof;
        a->policy = kv_aof_policy(kv_cfg_get(st->cfg, "appendfsync"));
        a->timestamps = kv_cfg_yes(st->cfg, "aof-timestamp-enabled");
        a->no_fsync_on_rewrite = kv_cfg_yes(st->cfg, "no-appendfsync-on-rewrite");
        if (a->m.nhist && !a->rewriting && !kv_cfg_yes(st->cfg, "aof-disable-auto-gc")) {
            unlink_history(a); /* auto-gc back on: the history goes now */
            kv_aof_manifest_clear_history(&a->m);
            if (kv_aof_manifest_save(a->dir, kv_cfg_get(st->cfg, "appendfilename"), &a->m, err,
                                     sizeof err) != 0)
                kv_shard_log(st->shard, 3, "%s", err);
        }
    }
    return 0;
}

void kv_aof_rewrite_info(const kv_cmdstate *st, long long *running, long long *scheduled,
                         long long *failed, long long *done, long long *fails, long long *last_s,
                         long long *cur_s)
{
    const kv_aof *a = st->aof;
    const kv_aof_stats *s = stats(st);
    kv_persist *p = st->srv->persist;
    /* A rewrite whose old files wait for the other shards is still under
     * way, unless one failed (they wait for a later rewrite then). */
    *running = a && (a->rewriting || a->first ||
                     (a->gc_pending && count_at(st, KV_AOF_CUT_FAILED) == 0));
    pthread_mutex_lock(&p->mu);
    *scheduled = kv_shard_id(st->shard) == 0 && p->aof_rw_scheduled;
    pthread_mutex_unlock(&p->mu);
    *failed = s->err;
    *done = s->done;
    *fails = s->failures;
    *last_s = s->last_s;
    *cur_s = a && a->rewriting ? (kv_shard_now_ms(st->shard) - a->rewrite_start_ms) / 1000 : -1;
}

/* ------------------------------------------------------------ BGREWRITEAOF */

/* One shard's part; argv[1] "1": inside EXEC (scheduled, as Redis). */
static void rewrite_part(kv_ctx *ctx, int in_exec)
{
    kv_cmdstate *st = kv_state(ctx);
    char err[1024];
    int rc;
    if (!st->aof) { /* appendonly no: Redis still writes a base and its manifest */
        if (open_runtime(st, err, sizeof err) != 0) {
            kv_shard_log(ctx->shard, 3, "%s", err);
            kv_reply_error(&ctx->out, "ERR Can't execute an AOF background rewriting. Please "
                                      "check the server logs for more information.");
            return;
        }
        st->aof->offline = 1;
        st->aof->first = 0;
        kv_shard_want_executed(ctx->shard, 0);
    }
    rc = kv_aof_rewrite_start(st, in_exec, err, sizeof err);
    if (rc == 0)
        kv_reply_status(&ctx->out, "Background append only file rewriting started");
    else if (rc == 1)
        kv_reply_status(&ctx->out, "Background append only file rewriting scheduled");
    else if (st->aof->rewriting)
        kv_reply_error(&ctx->out, "ERR Background append only file rewriting already in progress");
    else {
        kv_shard_log(ctx->shard, 3, "%s", err);
        kv_reply_error(&ctx->out, "ERR Can't execute an AOF background rewriting. Please check "
                                  "the server logs for more information.");
    }
}

static void kv_cmd_rewrite_part(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    rewrite_part(ctx, argv[1].p[0] == '1');
}

static const kv_cmd kv_rewrite_part_cmd = {.name = "persist|rewrite", .arity = 2,
                                           .exec = kv_cmd_rewrite_part};

/* One shard: the part at once. */
static void kv_cmd_bgrewriteaof(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    (void)argv;
    rewrite_part(ctx, kv_multi_running(ctx->conn));
}

/* Every shard rewrites its own file, all at one moment (so EXEC's
 * "scheduled" is known): the first error, else "scheduled" if any shard
 * waits for a BGSAVE, else "started". */
static int kv_coord_bgrewriteaof(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    int i, pick = 0;
    (void)argc;
    (void)argv;
    if (kv_coord_step(co) == 0) {
        kv_persist *p = kv_state(ctx)->srv->persist;
        kv_str sub[2];
        int running, later;
        /* Decided once, for every shard (they rewrite at one cut). */
        pthread_mutex_lock(&p->mu);
        running = p->aof_rewriting > 0;
        later = !running && (p->bg != NULL || kv_coord_nested(co));
        if (later)
            p->aof_rw_scheduled = 1;
        pthread_mutex_unlock(&p->mu);
        if (running) {
            kv_reply_error(&ctx->out, "ERR Background append only file rewriting already in "
                                      "progress");
            return KV_COORD_DONE;
        }
        if (later) {
            kv_reply_status(&ctx->out, "Background append only file rewriting scheduled");
            return KV_COORD_DONE;
        }
        sub[0].p = "persist|rewrite";
        sub[0].n = 15;
        sub[1].p = kv_coord_nested(co) ? "1" : "0";
        sub[1].n = 1;
        for (i = 0; i < kv_state(ctx)->srv->nshards; i++)
            kv_coord_send(co, i, ctx->db, &kv_rewrite_part_cmd, 2, sub);
        return KV_COORD_WAIT;
    }
    for (i = 0; i < kv_coord_nreplies(co); i++) {
        kv_str r = kv_coord_reply(co, i);
        if (r.n && r.p[0] == '-') {
            pick = i;
            break;
        }
        if (r.n > 12 && !memcmp(r.p + r.n - 11, "scheduled\r\n", 11))
            pick = i;
    }
    kv_reply_raw(&ctx->out, kv_coord_reply(co, pick).p, kv_coord_reply(co, pick).n);
    return KV_COORD_DONE;
}

const kv_cmdspec kv_cmds_persist_aof[] = {
    {.name = "bgrewriteaof", .route = KV_ROUTE_COORD, .exec = kv_cmd_bgrewriteaof,
     .coord = kv_coord_bgrewriteaof, .lockkeys = kv_lockkeys_whole},
    KV_SPEC_END
};
