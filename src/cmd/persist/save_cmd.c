/* SAVE, BGSAVE, LASTSAVE and SHUTDOWN. A save starts under every shard's
 * lock at once (a coordination asking for whole shards), so its cut is one
 * moment everywhere: no transaction is half in it. SAVE and SHUTDOWN then
 * serialize everything before the locks go (as Redis blocks), BGSAVE lets
 * each shard walk in slices while serving. */
#include "cmd/persist/persist_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/config/cfg.h"
#include "cmd/multi/multi.h"
#include "cmd/multi/watch.h"
#include "rt/atomic.h"

enum { M_SAVE, M_BGSAVE, M_SHUTDOWN, M_RELOAD };

typedef struct savereq {
    int mode;
    int schedule;            /* BGSAVE SCHEDULE */
    int save, nosave, force; /* SHUTDOWN; DEBUG RELOAD's NOSAVE too */
    int noflush, merge;      /* DEBUG RELOAD */
} savereq;

/* Internal sub-commands a save's coordination sends to every shard. */
static void kv_cmd_persist_begin(kv_ctx *ctx, int argc, const kv_str *argv);
static void kv_cmd_persist_cancel(kv_ctx *ctx, int argc, const kv_str *argv);
static const kv_cmd kv_persist_begin_cmd = {.name = "persist|begin", .arity = 2,
                                            .exec = kv_cmd_persist_begin};
static const kv_cmd kv_persist_cancel_cmd = {.name = "persist|cancel", .arity = 1,
                                             .exec = kv_cmd_persist_cancel};
static void kv_cmd_persist_load(kv_ctx *ctx, int argc, const kv_str *argv);
static const kv_cmd kv_persist_load_cmd = {.name = "persist|load", .arity = 2,
                                           .exec = kv_cmd_persist_load};

/* ------------------------------------------------------------- arguments */

static int parse(kv_ctx *ctx, int argc, const kv_str *argv, savereq *r, int reload)
{
    int j;
    memset(r, 0, sizeof *r);
    r->mode = reload ? M_RELOAD : *(const int *)kv_cmd_data(ctx);
    if (r->mode == M_RELOAD) { /* DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE] */
        for (j = 2; j < argc; j++) {
            if (kv_arg_eq(&argv[j], "merge"))
                r->merge = 1;
            else if (kv_arg_eq(&argv[j], "noflush"))
                r->noflush = 1;
            else if (kv_arg_eq(&argv[j], "nosave"))
                r->nosave = 1;
            else {
                kv_reply_error(&ctx->out, "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH "
                                          "and NOSAVE options.");
                return -1;
            }
        }
    } else if (r->mode == M_BGSAVE) {
        if (argc > 2 || (argc == 2 && !kv_arg_eq(&argv[1], "schedule"))) {
            kv_reply_syntax(ctx);
            return -1;
        }
        r->schedule = argc == 2;
    } else if (r->mode == M_SHUTDOWN) {
        int abort_ = 0, other = 0;
        for (j = 1; j < argc; j++) {
            if (kv_arg_eq(&argv[j], "nosave"))
                r->nosave = 1;
            else if (kv_arg_eq(&argv[j], "save"))
                r->save = 1;
            else if (kv_arg_eq(&argv[j], "now"))
                other = 1;
            else if (kv_arg_eq(&argv[j], "force"))
                other = r->force = 1;
            else if (kv_arg_eq(&argv[j], "abort"))
                abort_ = 1;
            else {
                kv_reply_syntax(ctx);
                return -1;
            }
        }
        if ((abort_ && (r->nosave || r->save || other)) || (r->nosave && r->save)) {
            kv_reply_syntax(ctx);
            return -1;
        }
        if (abort_) {
            kv_reply_error(&ctx->out, "ERR No shutdown in progress.");
            return -1;
        }
    }
    return 0;
}

/* Does this request write a file at all (SHUTDOWN without save points or
 * with NOSAVE does not)? */
static int wants_file(const kv_ctx *ctx, const savereq *r)
{
    if (r->mode == M_RELOAD)
        return !r->nosave;
    if (r->mode != M_SHUTDOWN)
        return 1;
    return r->save || (!r->nosave && *kv_cfg_get(kv_state(ctx)->cfg, "save"));
}

/* The decision taken once every shard is locked. 1: go on and save (job
 * set, or NULL for a BGSAVE whose file could not be opened); 0: replied. */
static int decide(kv_ctx *ctx, const savereq *r, int in_exec, int *cancel, kv_savejob **job)
{
    kv_cmdstate *st = kv_state(ctx);
    kv_persist *p = st->srv->persist;
    char err[512];
    int busy;
    *job = NULL;
    *cancel = 0;
    int rewriting;
    pthread_mutex_lock(&p->mu);
    busy = p->bg != NULL;
    rewriting = p->aof_rewriting > 0;
    pthread_mutex_unlock(&p->mu);
    if (busy && r->mode != M_SHUTDOWN && r->mode != M_RELOAD) {
        kv_reply_error(&ctx->out, "ERR Background save already in progress");
        return 0;
    }
    if (rewriting && r->mode == M_BGSAVE) { /* an AOF rewrite walks the shards */
        if (r->schedule || in_exec) {
            pthread_mutex_lock(&p->mu);
            p->bg_scheduled = 1;
            pthread_mutex_unlock(&p->mu);
            kv_reply_status(&ctx->out, "Background saving scheduled");
        } else {
            kv_reply_error(&ctx->out, "ERR Another child process is active (AOF?): can't BGSAVE "
                                      "right now. Use BGSAVE SCHEDULE in order to schedule a "
                                      "BGSAVE whenever possible.");
        }
        return 0;
    }
    busy |= rewriting; /* SAVE, SHUTDOWN and RELOAD stop it (it starts again after) */
    if (r->mode == M_BGSAVE && in_exec) { /* Redis: not inside EXEC, later */
        pthread_mutex_lock(&p->mu);
        p->bg_scheduled = 1;
        pthread_mutex_unlock(&p->mu);
        kv_reply_status(&ctx->out, "Background saving scheduled");
        return 0;
    }
    *cancel = busy; /* SHUTDOWN and RELOAD stop a BGSAVE, as Redis kills its child */
    if (!wants_file(ctx, r))
        return 1;
    if (r->mode == M_SAVE || r->mode == M_BGSAVE) { /* rdb_saves: these two only, as Redis */
        pthread_mutex_lock(&p->mu);
        p->saves++;
        pthread_mutex_unlock(&p->mu);
    }
    *job = kv_savejob_start(ctx->shard, st, st->srv->nshards, r->mode != M_BGSAVE, err, sizeof err);
    if (!*job && r->mode == M_BGSAVE) {
        /* Redis's child fails after BGSAVE replied: so does this one. */
        pthread_mutex_lock(&p->mu);
        p->last_try_ms = kv_now_ms(ctx);
        p->bg_scheduled = 0;
        p->last_bgsave_time_s = 0;
        pthread_mutex_unlock(&p->mu);
        kv_atomic_store_relaxed(&p->bgsave_err, 1);
        kv_reply_status(&ctx->out, "Background saving started");
        return 0;
    }
    if (!*job) {
        if (r->mode == M_SAVE || r->mode == M_RELOAD) {
            kv_reply_error(&ctx->out, "ERR");
            return 0;
        }
        if (!r->force) {
            kv_reply_error(&ctx->out, "ERR Errors trying to SHUTDOWN. Check logs.");
            return 0;
        }
        return 1; /* SHUTDOWN FORCE exits anyway */
    }
    pthread_mutex_lock(&p->mu);
    p->pending = *job;
    if (r->mode == M_BGSAVE) {
        p->bg = *job;
        p->bg_scheduled = 0;
        p->last_try_ms = kv_now_ms(ctx);
    }
    pthread_mutex_unlock(&p->mu);
    return 1;
}

/* The end, once every shard has begun (and, for a sync job, written). */
static int conclude(kv_ctx *ctx, const savereq *r, kv_savejob *job)
{
    char err[512];
    int ok = 1;
    if (r->mode == M_BGSAVE) {
        kv_shard_log(ctx->shard, 2, "Background saving started");
        kv_reply_status(&ctx->out, "Background saving started");
        return 1;
    }
    if (job)
        ok = kv_savejob_wait(kv_state(ctx), job, err, sizeof err) == 0;
    if (r->mode == M_SAVE || r->mode == M_RELOAD) {
        if (ok && r->mode == M_SAVE)
            kv_reply_status(&ctx->out, "OK");
        else if (!ok)
            kv_reply_error(&ctx->out, "ERR");
        return ok;
    }
    if (!ok && !r->force) {
        kv_shard_log(ctx->shard, 3, "Error trying to save the DB, can't exit.");
        kv_reply_error(&ctx->out, "ERR Errors trying to SHUTDOWN. Check logs.");
        return 0;
    }
    kv_shard_log(ctx->shard, 3, "User requested shutdown...");
    /* Like Redis: no reply, the connection closes as the server stops. */
    if (ctx->conn)
        kv_conn_shutdown_server(ctx->conn);
    return 1;
}

/* DEBUG RELOAD's load on one shard: "f" flush first, "m" merge, "-" neither. */
static int load_here(kv_ctx *ctx, const char *how, char *err, size_t errlen)
{
    kv_cmdstate *st = kv_state(ctx);
    char path[PATH_MAX];
    kv_persist_path(st, path, sizeof path);
    if (strchr(how, 'f')) {
        int i;
        for (i = 0; i < st->ks->ndb; i++)
            kv_watch_touch_db(st->watch, st->ks, i, -1);
    }
    return kv_persist_load_shard(st, path, strchr(how, 'f') != NULL, strchr(how, 'm') != NULL,
                                 err, errlen);
}

/* A load's counters start again (INFO rdb_last_load_keys_*). */
static void load_counters_reset(kv_ctx *ctx)
{
    kv_persist *p = kv_state(ctx)->srv->persist;
    pthread_mutex_lock(&p->mu);
    p->load_loaded = p->load_expired = 0;
    pthread_mutex_unlock(&p->mu);
}

static void how_of(const savereq *r, char how[4])
{
    int n = 0;
    if (!r->noflush)
        how[n++] = 'f';
    if (r->merge)
        how[n++] = 'm';
    if (n == 0)
        how[n++] = '-';
    how[n] = '\0';
}

static void reload_done(kv_ctx *ctx, int failed)
{
    if (failed) {
        kv_reply_error(&ctx->out, "ERR Error trying to load the RDB dump");
        return;
    }
    kv_shard_log(ctx->shard, 3, "DB reloaded by DEBUG RELOAD");
    kv_reply_status(&ctx->out, "OK");
}

/* ------------------------------------------------------------- one shard */

static void save_one(kv_ctx *ctx, int argc, const kv_str *argv, int reload)
{
    kv_cmdstate *st = kv_state(ctx);
    savereq r;
    kv_savejob *job;
    int cancel;
    char how[4], err[512];
    if (parse(ctx, argc, argv, &r, reload) != 0 ||
        !decide(ctx, &r, kv_multi_running(ctx->conn), &cancel, &job))
        return;
    if (cancel)
        kv_snap_cancel(st);
    if (job) {
        pthread_mutex_lock(&st->srv->persist->mu);
        st->srv->persist->pending = NULL;
        pthread_mutex_unlock(&st->srv->persist->mu);
        kv_snap_begin(st, job, r.mode != M_BGSAVE);
    }
    if (!conclude(ctx, &r, job) || r.mode != M_RELOAD)
        return;
    how_of(&r, how);
    load_counters_reset(ctx);
    cancel = load_here(ctx, how, err, sizeof err) != 0;
    if (cancel)
        kv_shard_log(ctx->shard, 3, "%s", err);
    reload_done(ctx, cancel);
}

static void kv_cmd_save(kv_ctx *ctx, int argc, const kv_str *argv)
{
    save_one(ctx, argc, argv, 0);
}

void kv_persist_reload_exec(kv_ctx *ctx, int argc, const kv_str *argv)
{
    save_one(ctx, argc, argv, 1);
}

/* ---------------------------------------------------------- every shard */

typedef struct savestate {
    savereq r;
    kv_savejob *job;
    int cancel;
    int phase; /* 0 decide, 1 begin, 2 conclude */
} savestate;

static void send_all(kv_ctx *ctx, kv_coord *co, const kv_cmd *cmd, int argc, const kv_str *argv)
{
    int i;
    for (i = 0; i < kv_state(ctx)->srv->nshards; i++)
        kv_coord_send(co, i, ctx->db, cmd, argc, argv);
}

static int coord_save(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv, int reload)
{
    savestate *s = kv_coord_data(co);
    kv_str sub[2];
    char arg[4];
    int i;
    if (kv_coord_step(co) == 0) {
        if (!(s = calloc(1, sizeof *s)))
            abort();
        kv_coord_set_data(co, s, free);
    }
    switch (s->phase) {
    case 0:
        if (parse(ctx, argc, argv, &s->r, reload) != 0 ||
            !decide(ctx, &s->r, kv_coord_nested(co), &s->cancel, &s->job))
            return KV_COORD_DONE;
        s->phase = 1;
        if (s->cancel) {
            sub[0].p = "persist|cancel";
            sub[0].n = 14;
            send_all(ctx, co, &kv_persist_cancel_cmd, 1, sub);
            return KV_COORD_WAIT;
        }
        /* fall through */
    case 1:
        s->phase = 2;
        if (s->job) {
            arg[0] = s->r.mode == M_BGSAVE ? 'a' : 's';
            arg[1] = '\0';
            sub[0].p = "persist|begin";
            sub[0].n = 13;
            sub[1].p = arg;
            sub[1].n = 1;
            send_all(ctx, co, &kv_persist_begin_cmd, 2, sub);
            return KV_COORD_WAIT;
        }
        /* fall through */
    case 2:
        s->phase = 3;
        if (!conclude(ctx, &s->r, s->job) || s->r.mode != M_RELOAD)
            return KV_COORD_DONE;
        how_of(&s->r, arg);
        load_counters_reset(ctx);
        sub[0].p = "persist|load";
        sub[0].n = 12;
        sub[1].p = arg;
        sub[1].n = strlen(arg);
        send_all(ctx, co, &kv_persist_load_cmd, 2, sub);
        return KV_COORD_WAIT;
    default:
        for (i = 0; i < kv_coord_nreplies(co); i++)
            if (kv_coord_reply(co, i).p[0] == '-')
                break;
        reload_done(ctx, i < kv_coord_nreplies(co));
        return KV_COORD_DONE;
    }
}

static int kv_coord_save(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    return coord_save(ctx, co, argc, argv, 0);
}

int kv_persist_reload_coord(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    return coord_save(ctx, co, argc, argv, 1);
}

static void kv_cmd_persist_begin(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_cmdstate *st = kv_state(ctx);
    kv_savejob *job;
    (void)argc;
    pthread_mutex_lock(&st->srv->persist->mu);
    job = st->srv->persist->pending;
    pthread_mutex_unlock(&st->srv->persist->mu);
    kv_snap_begin(st, job, argv[1].p[0] == 's');
    kv_reply_status(&ctx->out, "OK");
}

static void kv_cmd_persist_load(kv_ctx *ctx, int argc, const kv_str *argv)
{
    char how[4], err[512];
    size_t n = argv[1].n < 3 ? argv[1].n : 3;
    (void)argc;
    memcpy(how, argv[1].p, n);
    how[n] = '\0';
    if (load_here(ctx, how, err, sizeof err) != 0) {
        kv_shard_log(ctx->shard, 3, "%s", err);
        kv_reply_error(&ctx->out, "ERR load failed");
        return;
    }
    kv_reply_status(&ctx->out, "OK");
}

static void kv_cmd_persist_cancel(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    (void)argv;
    kv_snap_cancel(kv_state(ctx));
    kv_reply_status(&ctx->out, "OK");
}

/* A `save` point was reached (state.c): the server's own client asks. */
int kv_persist_bgsave_from_tick(kv_shard *sh, kv_cmdstate *st)
{
    kv_str argv[1];
    (void)st;
    argv[0].p = "bgsave";
    argv[0].n = 6;
    kv_shard_run_internal(sh, 1, argv);
    return 0;
}

/* -------------------------------------------------------------- FLUSHALL */

void kv_persist_flushall_save(kv_ctx *ctx)
{
    kv_cmdstate *st = kv_state(ctx);
    kv_persist *p = st->srv->persist;
    kv_savejob *job;
    char err[512];
    if (!p || !*kv_cfg_get(st->cfg, "save"))
        return;
    pthread_mutex_lock(&p->mu);
    p->saved_dirty[kv_shard_id(ctx->shard)] = st->dirty;
    pthread_mutex_unlock(&p->mu);
    if (kv_shard_id(ctx->shard) != ctx->home)
        return;
    /* Every shard is empty at this moment: the file has no entries. */
    if ((job = kv_savejob_start(ctx->shard, st, 0, 1, err, sizeof err)) != NULL)
        kv_savejob_wait(st, job, err, sizeof err);
}

/* -------------------------------------------------------------- LASTSAVE */

static void kv_cmd_lastsave(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_persist_info in;
    (void)argc;
    (void)argv;
    kv_persist_get_info(kv_state(ctx)->srv->persist, &in);
    kv_reply_int(&ctx->out, in.lastsave_s);
}

static const int kv_mode_save = M_SAVE, kv_mode_bgsave = M_BGSAVE, kv_mode_shutdown = M_SHUTDOWN;

const kv_cmdspec kv_cmds_persist[] = {
    /* Every shard whole: the cut is the same moment on all of them. */
    {.name = "bgsave", .route = KV_ROUTE_COORD, .exec = kv_cmd_save, .coord = kv_coord_save,
     .lockkeys = kv_lockkeys_whole, .data = &kv_mode_bgsave},
    {.name = "lastsave", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_lastsave},
    {.name = "save", .route = KV_ROUTE_COORD, .exec = kv_cmd_save, .coord = kv_coord_save,
     .lockkeys = kv_lockkeys_whole, .data = &kv_mode_save},
    {.name = "shutdown", .route = KV_ROUTE_COORD, .exec = kv_cmd_save, .coord = kv_coord_save,
     .lockkeys = kv_lockkeys_whole, .data = &kv_mode_shutdown},
    KV_SPEC_END
};
