/* The server-wide save state: what LASTSAVE and INFO persistence report,
 * each shard's dirty counter at the last save's cut, the `save` points
 * checked by shard 0, and stop-writes-on-bgsave-error. */
#include "cmd/persist/persist_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/config/cfg.h"
#include "rt/atomic.h"

kv_persist *kv_persist_new(void)
{
    kv_persist *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    pthread_mutex_init(&p->mu, NULL);
    p->lastsave_s = (long long)time(NULL);
    p->last_bgsave_time_s = -1;
    memset(p->aof_at_cut, KV_AOF_AT_CUT, sizeof p->aof_at_cut); /* no rewrite under way */
    return p;
}

void kv_persist_set_fns(kv_persist *p, const kv_persist_fns *fns)
{
    p->fns = *fns;
}

void kv_persist_free(kv_persist *p)
{
    int i;
    if (!p)
        return;
    for (i = 0; i < p->npreload; i++)
        kv_ks_free(p->preload[i]);
    free(p->preload);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

void kv_persist_get_info(kv_persist *p, kv_persist_info *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&p->mu);
    out->bgsave_in_progress = p->bg != NULL;
    out->lastsave_s = p->lastsave_s;
    out->last_bgsave_ok = !kv_atomic_load_relaxed(&p->bgsave_err);
    out->last_bgsave_time_s = p->last_bgsave_time_s;
    out->current_bgsave_start_ms = p->bg ? p->bg->start_ms : -1;
    out->saves = p->saves;
    out->load_keys_loaded = p->load_loaded;
    out->load_keys_expired = p->load_expired;
    pthread_mutex_unlock(&p->mu);
}

long long kv_persist_changes(const kv_cmdstate *st)
{
    kv_persist *p = st->srv->persist;
    long long base;
    int id = kv_shard_id(st->shard);
    if (!p)
        return st->dirty;
    pthread_mutex_lock(&p->mu);
    base = p->saved_dirty[id];
    pthread_mutex_unlock(&p->mu);
    return st->dirty - base;
}

void kv_persist_record(kv_persist *p, const kv_savejob *job, int nshards, long long now_ms)
{
    int i;
    pthread_mutex_lock(&p->mu);
    if (job->ok) {
        p->lastsave_s = now_ms / 1000;
        for (i = 0; i < nshards; i++)
            if (job->cut_set[i])
                p->saved_dirty[i] = job->cut_dirty[i];
    }
    if (!job->sync) {
        if (!job->cancelled)
            kv_atomic_store_relaxed(&p->bgsave_err, !job->ok);
        p->last_bgsave_time_s = (now_ms - job->start_ms) / 1000;

    } else if (job->ok) {
        kv_atomic_store_relaxed(&p->bgsave_err, 0); /* Redis's rdbSave sets lastbgsave_status too */
    }
    pthread_mutex_unlock(&p->mu);
}

void kv_persist_path(const kv_cmdstate *st, char *out, size_t n)
{
    const char *dir = kv_cfg_get(st->cfg, "dir"), *file = kv_cfg_get(st->cfg, "dbfilename");
    if (*dir)
        snprintf(out, n, "%s/%s", dir, file);
    else
        snprintf(out, n, "%s", file);
}

/* ------------------------------------------------------ the save points */

/* "3600 1 300 100": pairs of seconds and changes. 1 if a point is reached. */
static int kv_save_point_due(const char *spec, long long changes, long long since_s)
{
    const char *p = spec;
    while (*p) {
        char *end;
        long long secs = strtoll(p, &end, 10), n;
        if (end == p)
            return 0;
        n = strtoll(end, &end, 10);
        if (changes >= n && since_s >= secs)
            return 1;
        p = end;
        while (*p == ' ')
            p++;
    }
    return 0;
}

void kv_persist_tick(kv_shard *sh, kv_cmdstate *st)
{
    kv_persist *p = st->srv->persist;
    long long changes = 0, now = kv_shard_now_ms(sh);
    int i, due, id = kv_shard_id(sh);
    if (!p)
        return;
    kv_atomic_store_relaxed(&p->dirty[id], st->dirty);
    kv_aof_tick(st);
    if (id != 0)
        return;
    pthread_mutex_lock(&p->mu);
    for (i = 0; i < st->srv->nshards && i < KV_PERSIST_MAX_SHARDS; i++)
        changes += kv_atomic_load_relaxed(&p->dirty[i]) - p->saved_dirty[i];
    due = p->bg == NULL && p->aof_rewriting == 0 &&
          (p->bg_scheduled ||
           ((!kv_atomic_load_relaxed(&p->bgsave_err) || now - p->last_try_ms > KV_BGSAVE_RETRY_DELAY_MS) &&
            kv_save_point_due(kv_cfg_get(st->cfg, "save"), changes, now / 1000 - p->lastsave_s)));
    pthread_mutex_unlock(&p->mu);
    if (due)
        kv_persist_bgsave_from_tick(sh, st);
}

int kv_persist_refuse_write(kv_ctx *ctx)
{
    kv_cmdstate *st = kv_state(ctx);
    kv_persist *p = st->srv->persist;
    int aof_err;
    /* Every write passes here: two relaxed loads while saves succeed. */
    if (!p)
        return 0;
    aof_err = kv_atomic_load_relaxed(&p->aof_write_err);
    if (!aof_err && !kv_atomic_load_relaxed(&p->bgsave_err))
        return 0;
    /* Redis refuses PING too, so a health check notices. */
    if (!(ctx->cmd->flags & KV_CMD_WRITE) && strcmp(ctx->cmd->name, "ping") != 0)
        return 0;
    if (aof_err) {
        kv_reply_errorf(&ctx->out, "MISCONF Errors writing to the AOF file: %s",
                        strerror(kv_atomic_load_relaxed(&p->aof_errno)));
        return 1;
    }
    if (!kv_cfg_yes(st->cfg, "stop-writes-on-bgsave-error") || !*kv_cfg_get(st->cfg, "save"))
        return 0;
    kv_reply_error(&ctx->out,
                   "MISCONF Redis is configured to save RDB snapshots, but it's currently unable "
                   "to persist to disk. Commands that may modify the data set are disabled, "
                   "because this instance is configured to report errors during writes if RDB "
                   "snapshotting fails (stop-writes-on-bgsave-error option). Please check the "
                   "Redis logs for details about the RDB error.");
    return 1;
}

void kv_persist_use_cmdset(kv_persist *p, const kv_cmdset *cs)
{
    p->cmdset = cs;
}
