/* MULTI, EXEC, DISCARD, WATCH, UNWATCH (see multi.h). EXEC with every key
 * (queued and watched) at home runs the queue inline, atomic since a shard is
 * one thread; otherwise it is a coordination under one transaction's locks:
 * it asks each shard holding a watch whether the client is dirty there, then
 * sends the queued commands one per step, each seeing the ones before. */
#include "cmd/acl/acl.h"
#include "cmd/multi/multi.h"
#include "cmd/persist/persist.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/server/session.h"
#include "cmd/multi/watch.h"
#include "cmd/pubsub/tracking.h"

typedef struct kv_mq {
    const kv_cmd *cmd;
    int argc;
    kv_str *argv; /* one allocation with the bytes */
} kv_mq;

typedef struct kv_mw {
    int db;
    kv_str key; /* owned */
} kv_mw;

typedef struct kv_multi kv_multi;

struct kv_multi {
    int active;  /* between MULTI and EXEC/DISCARD */
    int aborted; /* a queue-time error: EXEC replies EXECABORT */
    int running; /* EXEC is running the queue here (Redis's server.in_exec) */
    int nq, capq;
    kv_mq *q;
    int nw, capw;
    kv_mw *w;
    size_t qbytes, wbytes; /* argument bytes queued, key bytes watched (kv_multi_mem) */
};

/* One allocation holding a copy of argv: the array, then the bytes. */
static kv_str *kv_argv_dup(int argc, const kv_str *argv)
{
    size_t bytes = (size_t)argc * sizeof(kv_str);
    kv_str *out;
    char *p;
    int i;
    for (i = 0; i < argc; i++)
        bytes += argv[i].n;
    if (!(out = malloc(bytes ? bytes : 1)))
        abort();
    p = (char *)(out + argc);
    for (i = 0; i < argc; i++) {
        if (argv[i].n)
            memcpy(p, argv[i].p, argv[i].n);
        out[i].p = p;
        out[i].n = argv[i].n;
        p += argv[i].n;
    }
    return out;
}

static kv_multi *kv_multi_of(kv_conn *c, int create)
{
    kv_session *s = c ? kv_conn_data(c) : NULL;
    if (!s)
        return NULL;
    if (!s->multi && create && !(s->multi = calloc(1, sizeof *s->multi)))
        abort();
    return s->multi;
}

static void kv_multi_clear_queue(kv_multi *m)
{
    int i;
    for (i = 0; i < m->nq; i++)
        free(m->q[i].argv);
    m->nq = 0;
    m->qbytes = 0;
    m->active = m->aborted = 0;
}

static void kv_multi_clear_watches(kv_multi *m)
{
    int i;
    for (i = 0; i < m->nw; i++)
        free((void *)(uintptr_t)m->w[i].key.p);
    m->nw = 0;
    m->wbytes = 0;
}

static void kv_multi_free(kv_multi *m)
{
    if (!m)
        return;
    kv_multi_clear_queue(m);
    kv_multi_clear_watches(m);
    free(m->q);
    free(m->w);
    free(m);
}

/* Release a client's watches: at home now, elsewhere by message (ordered
 * before any later WATCH of the same client on that shard). */
static void kv_watches_release(kv_shard *sh, void *state, unsigned long long client,
                               const kv_mw *w, int nw)
{
    kv_cmdstate *st = state;
    char idbuf[24];
    kv_str argv[2];
    int i, remote = 0;
    kv_buf sink;
    kv_ctx ctx;
    if (nw == 0)
        return;
    for (i = 0; i < nw; i++)
        remote |= kv_shard_of_key(sh, w[i].key.p, w[i].key.n) != kv_shard_id(sh);
    argv[0].p = "clear";
    argv[0].n = 5;
    argv[1].p = idbuf;
    argv[1].n = (size_t)kv_ll2str(idbuf, sizeof idbuf, (long long)client);
    memset(&ctx, 0, sizeof ctx);
    kv_buf_init(&sink);
    ctx.out.buf = &sink;
    ctx.out.proto = 2;
    ctx.state = st;
    ctx.shard = sh;
    ctx.client_id = client;
    kv_sub_watch_clear.exec(&ctx, 2, argv);
    kv_buf_free(&sink);
    if (remote)
        kv_shard_broadcast(sh, &kv_sub_watch_clear, 0, 2, argv);
}

void kv_multi_reset(kv_shard *sh, void *state, kv_conn *c)
{
    kv_multi *m = kv_multi_of(c, 0);
    if (!m)
        return;
    kv_watches_release(sh, state, kv_conn_id(c), m->w, m->nw);
    kv_multi_clear_watches(m);
    kv_multi_clear_queue(m);
}

void kv_multi_forget(kv_shard *sh, void *state, kv_conn *c)
{
    kv_session *s = kv_conn_data(c);
    kv_multi_reset(sh, state, c);
    if (s) {
        kv_multi_free(s->multi);
        s->multi = NULL;
    }
}

/* ------------------------------------------------------------- queueing */

static void kv_cmd_exec(kv_ctx *ctx, int argc, const kv_str *argv);

int kv_multi_before_exec(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_multi *m = kv_multi_of(ctx->conn, 0);
    const kv_cmd *cmd = ctx->cmd;
    kv_mq *q;
    int i;
    /* Every command passes here: the common case (no MULTI) must not pay a
     * name comparison, so EXEC is recognised by its function. */
    if (argc != 1 && cmd->exec == kv_cmd_exec) {
        /* EXEC's arity is checked here, not by the runtime: a malformed
         * EXEC, in MULTI or not, gets Redis's execCommandAbort reply. */
        kv_reply_error(&ctx->out, "EXECABORT Transaction discarded because of: wrong "
                                  "number of arguments for 'exec' command");
        if (m && m->active)
            kv_multi_reset(ctx->shard, ctx->state, ctx->conn);
        return KV_EXEC_REPLIED;
    }
    if (!m || !m->active)
        return KV_EXEC_RUN;
    if (cmd->flags & KV_CMD_UNKNOWN) {
        m->aborted = 1; /* the command runs and replies its error */
        return KV_EXEC_RUN;
    }
    if (kv_desc(cmd)->rflags & KV_RF_NO_MULTI) { /* SAVE, SHUTDOWN: rejected, as Redis */
        kv_reply_error(&ctx->out, "ERR Command not allowed inside a transaction");
        m->aborted = 1;
        return KV_EXEC_REPLIED;
    }
    if (kv_desc(cmd)->flags & KV_CMDF_MULTI_RUNS) /* EXEC, DISCARD, MULTI, WATCH, QUIT, RESET */
        return KV_EXEC_RUN;
    if (m->nq == m->capq) {
        int cap = m->capq ? m->capq * 2 : 8;
        kv_mq *nq = realloc(m->q, (size_t)cap * sizeof *nq);
        if (!nq)
            abort();
        m->q = nq;
        m->capq = cap;
    }
    q = &m->q[m->nq++];
    q->cmd = cmd;
    q->argc = argc;
    q->argv = kv_argv_dup(argc, argv);
    for (i = 0; i < argc; i++)
        m->qbytes += argv[i].n;
    kv_reply_status(&ctx->out, "QUEUED");
    return KV_EXEC_QUEUED;
}

int kv_multi_active(kv_conn *c)
{
    kv_multi *m = kv_multi_of(c, 0);
    return m && m->active;
}

int kv_multi_is_exec(const kv_cmd *cmd)
{
    return cmd->exec == kv_cmd_exec;
}

unsigned long kv_multi_queue_rflags(kv_conn *c)
{
    kv_multi *m = kv_multi_of(c, 0);
    unsigned long f = 0;
    int i;
    for (i = 0; m && m->active && i < m->nq; i++)
        if (!(m->q[i].cmd->flags & KV_CMD_UNKNOWN))
            f |= kv_desc(m->q[i].cmd)->rflags;
    return f;
}

void kv_multi_abort(kv_ctx *ctx, const char *err)
{
    kv_reply_errorf(&ctx->out, "EXECABORT Transaction discarded because of: %s", err);
    kv_multi_reset(ctx->shard, ctx->state, ctx->conn);
}

int kv_multi_running(kv_conn *c)
{
    kv_multi *m = c ? kv_multi_of(c, 0) : NULL;
    return m && m->running;
}

void kv_multi_after_exec(kv_conn *c, const kv_exec_info *info)
{
    kv_multi *m = kv_multi_of(c, 0);
    if (m && m->active && info->rejected && info->cmd->exec != kv_cmd_exec)
        m->aborted = 1;
}

/* --------------------------------------------------------- MULTI & co. */

static void kv_cmd_multi(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_multi *m = kv_multi_of(ctx->conn, 1);
    (void)argc;
    (void)argv;
    if (m && m->active) {
        kv_reply_error(&ctx->out, "ERR MULTI calls can not be nested");
        return;
    }
    if (m)
        m->active = 1;
    kv_reply_status(&ctx->out, "OK");
}

static void kv_cmd_discard(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_multi *m = kv_multi_of(ctx->conn, 0);
    (void)argc;
    (void)argv;
    if (!m || !m->active) {
        kv_reply_error(&ctx->out, "ERR DISCARD without MULTI");
        return;
    }
    kv_multi_reset(ctx->shard, ctx->state, ctx->conn);
    kv_reply_status(&ctx->out, "OK");
}

static void kv_cmd_unwatch(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_multi *m = kv_multi_of(ctx->conn, 0);
    (void)argc;
    (void)argv;
    if (m && ctx->conn) {
        kv_watches_release(ctx->shard, ctx->state, kv_conn_id(ctx->conn), m->w, m->nw);
        kv_multi_clear_watches(m);
    }
    kv_reply_status(&ctx->out, "OK");
}

void kv_multi_info(kv_conn *c, int *queued, size_t *qbytes, size_t *mem)
{
    const kv_multi *m = kv_multi_of(c, 0);
    *queued = m && m->active ? m->nq : -1;
    *qbytes = m ? m->qbytes : 0;
    /* Redis's multiStateMemOverhead, with kevy's structures: the queued
     * arguments and their slots, the watched keys (copied per client). */
    *mem = m ? sizeof *m + m->qbytes + (size_t)m->capq * sizeof(kv_mq) + m->wbytes +
                   (size_t)m->capw * sizeof(kv_mw) + (size_t)m->nq * 16
             : 0;
}

/* ------------------------------------------------------------------ WATCH */

static void kv_watch_record(kv_multi *m, int db, const kv_str *keys, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        kv_mw *w;
        char *p;
        if (m->nw == m->capw) {
            int cap = m->capw ? m->capw * 2 : 8;
            kv_mw *nw = realloc(m->w, (size_t)cap * sizeof *nw);
            if (!nw)
                abort();
            m->w = nw;
            m->capw = cap;
        }
        w = &m->w[m->nw++];
        if (!(p = malloc(keys[i].n + 1)))
            abort();
        memcpy(p, keys[i].p, keys[i].n);
        w->db = db;
        w->key.p = p;
        w->key.n = keys[i].n;
        m->wbytes += keys[i].n + 1;
    }
}

static int kv_watch_lockkeys(kv_ctx *ctx, int argc, const kv_str *argv, kv_str *keys, int max,
                             int *whole)
{
    int i;
    (void)ctx;
    *whole = 0;
    for (i = 1; i < argc && i - 1 < max; i++)
        keys[i - 1] = argv[i];
    return argc - 1;
}

static int kv_watch_refused(kv_ctx *ctx)
{
    kv_multi *m = kv_multi_of(ctx->conn, 1);
    if (m && m->active) {
        kv_reply_error(&ctx->out, "ERR WATCH inside MULTI is not allowed");
        return 1;
    }
    return 0;
}

/* Every watched key on the home shard: register here. */
static void kv_cmd_watch(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_buf sink;
    kv_ctx sub = *ctx;
    if (!ctx->conn || kv_watch_refused(ctx))
        return;
    kv_buf_init(&sink);
    sub.out.buf = &sink;
    kv_sub_watch_add.exec(&sub, argc, argv);
    kv_buf_free(&sink);
    kv_watch_record(kv_multi_of(ctx->conn, 1), ctx->db, argv + 1, argc - 1);
    kv_reply_status(&ctx->out, "OK");
}

/* Watched keys on several shards: register each shard's keys there first. */
static int kv_coord_watch(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    int n = kv_shard_count(ctx->shard), s, j;
    kv_str *sub;
    if (kv_coord_step(co) > 0) {
        kv_reply_status(&ctx->out, "OK");
        return KV_COORD_DONE;
    }
    if (!ctx->conn || kv_watch_refused(ctx))
        return KV_COORD_DONE;
    kv_watch_record(kv_multi_of(ctx->conn, 1), ctx->db, argv + 1, argc - 1);
    if (!(sub = malloc((size_t)argc * sizeof *sub)))
        abort();
    for (s = 0; s < n; s++) {
        int m = 1;
        sub[0] = argv[0];
        for (j = 1; j < argc; j++)
            if (kv_shard_of_key(ctx->shard, argv[j].p, argv[j].n) == s)
                sub[m++] = argv[j];
        if (m > 1)
            kv_coord_send(co, s, ctx->db, &kv_sub_watch_add, m, sub);
    }
    free(sub);
    return KV_COORD_WAIT;
}

/* ------------------------------------------------------------------- EXEC */

/* Lock set of EXEC: every key of the queue and every watched key; all shards
 * whole if a queued command spans the keyspace (FLUSHALL, DBSIZE, SCAN). */
static int kv_exec_lockkeys(kv_ctx *ctx, int argc, const kv_str *argv, kv_str *keys, int max,
                            int *whole)
{
    kv_multi *m = kv_multi_of(ctx->conn, 0);
    int total = 0, i, k, pos[64];
    (void)argc;
    (void)argv;
    *whole = 0;
    if (!m || !m->active || m->aborted)
        return 0;
    for (i = 0; i < m->nq; i++) {
        const kv_mq *q = &m->q[i];
        int n;
        if (q->cmd->route == KV_ROUTE_ALL || q->cmd->route == KV_ROUTE_CUSTOM ||
            (q->cmd->flags & KV_CMD_WHOLE))
            *whole = 1;
        if (q->cmd->lockkeys) { /* its own run-time lock set (SORT's patterns) */
            kv_ctx sub = *ctx;
            int w = 0, at = total < max ? total : max;
            sub.cmd = q->cmd;
            n = q->cmd->lockkeys(&sub, q->argc, q->argv, keys ? keys + at : NULL, max - at, &w);
            *whole |= w;
            if (n >= 0) {
                total += n;
                continue;
            }
            /* -1: it locks its key positions, as any command does */
        }
        n = kv_command_keys(q->cmd, q->argc, q->argv, pos, 64);
        if (n > 64) /* a huge key list: lock every shard whole instead */
            *whole = 1, n = 0;
        for (k = 0; k < n; k++, total++)
            if (total < max)
                keys[total] = q->argv[pos[k]];
    }
    for (i = 0; i < m->nw; i++, total++)
        if (total < max)
            keys[total] = m->w[i].key;
    return total;
}

/* A queued command has run, replying out[from..]: report it as a call. */
static void kv_exec_report(kv_ctx *ctx, const kv_mq *q, long long t0, const kv_buf *out,
                           size_t from)
{
    kv_cmdstate *st = kv_state(ctx);
    kv_exec_info info;
    memset(&info, 0, sizeof info);
    info.cmd = q->cmd;
    info.argc = q->argc;
    info.argv = q->argv;
    info.start_us = kv_shard_now_us(ctx->shard);
    info.duration_us = kv_monotonic_us() - t0;
    info.reply = out->p ? out->p + from : "";
    info.reply_len = out->len - from;
    if (st->report)
        st->report(ctx->shard, st, ctx->conn, &info);
}

static void kv_exec_inline_run(kv_ctx *ctx, const kv_mq *q);

/* Run one queued command here (every key is on this shard). */
static void kv_exec_inline(kv_ctx *ctx, const kv_mq *q)
{
    size_t from = ctx->out.buf->len;
    long long t0 = kv_monotonic_us();
    kv_exec_inline_run(ctx, q);
    kv_exec_report(ctx, q, t0, ctx->out.buf, from);
}

static void kv_exec_inline_run(kv_ctx *ctx, const kv_mq *q)
{
    kv_ctx sub = *ctx;
    sub.cmd = q->cmd;
    sub.db = kv_conn_db(ctx->conn); /* SELECT inside MULTI applies to what follows */
    sub.may_suspend = 0;            /* inside EXEC nothing blocks */
    if (kv_acl_exec_denied(ctx, q->cmd, q->argc, q->argv, &ctx->out))
        return; /* ACL rules changed since it was queued */
    if (q->cmd->check && q->cmd->check(&sub, q->argc, q->argv) != 0)
        return;
    if (q->cmd->route == KV_ROUTE_ALL) {
        kv_buf part;
        kv_part p;
        kv_buf_init(&part);
        sub.out.buf = &part;
        q->cmd->exec(&sub, q->argc, q->argv);
        p.reply = part.p;
        p.len = part.len;
        p.shard = kv_shard_id(ctx->shard);
        p.keys = NULL;
        p.nkeys = 0;
        sub.out.buf = ctx->out.buf;
        q->cmd->reduce(&sub, &p, 1);
        kv_buf_free(&part);
        return;
    }
    q->cmd->exec(&sub, q->argc, q->argv);
    /* Run here, not by the runtime: the runtime's `ran` and `executed`
     * hooks' work. */
    if (sub.client_flags)
        kv_tracking_ran(&sub, q->argc, q->argv);
    kv_aof_executed(&sub, q->argc, q->argv);
}

/* EXEC's checks before running; returns 1 if it replied (error or abort). */
static int kv_exec_refused(kv_ctx *ctx, kv_multi *m)
{
    if (!m || !m->active) {
        kv_reply_error(&ctx->out, "ERR EXEC without MULTI");
        return 1;
    }
    if (m->aborted) {
        kv_reply_error(&ctx->out, "EXECABORT Transaction discarded because of previous errors.");
        kv_multi_reset(ctx->shard, ctx->state, ctx->conn);
        return 1;
    }
    return 0;
}

static void kv_cmd_exec(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_multi *m = kv_multi_of(ctx->conn, 0);
    kv_ctx sub = *ctx;
    kv_buf check;
    int i, dirty;
    if (argc != 1) { /* only without the hooks (kv_local): see before_exec */
        kv_reply_error(&ctx->out, "EXECABORT Transaction discarded because of: wrong "
                                  "number of arguments for 'exec' command");
        return;
    }
    if (!ctx->conn || kv_exec_refused(ctx, m))
        return;
    kv_buf_init(&check);
    sub.out.buf = &check;
    kv_sub_watch_check.exec(&sub, 1, argv);
    dirty = check.len > 1 && check.p[1] == '1';
    kv_buf_free(&check);
    if (dirty) {
        kv_reply_null_array(&ctx->out);
    } else {
        kv_reply_array(&ctx->out, m->nq);
        m->running = 1;
        kv_aof_multi(ctx, 1); /* what the queue changes is logged in MULTI ... EXEC */
        for (i = 0; i < m->nq; i++)
            kv_exec_inline(ctx, &m->q[i]);
        kv_aof_multi(ctx, 0);
        m->running = 0;
    }
    kv_multi_reset(ctx->shard, ctx->state, ctx->conn);
}

/* The transaction taken out of the session for the coordination (the
 * client may go away meanwhile; its session with it). */
typedef struct kv_exec_run {
    kv_multi m;
    int phase; /* 0: checking watches, 1: running the queue */
    int next;
    int db;
    long long t0; /* when the running command was sent */
    kv_buf replies;
} kv_exec_run;

static void kv_exec_run_free(void *p)
{
    kv_exec_run *r = p;
    kv_multi_clear_queue(&r->m);
    kv_multi_clear_watches(&r->m);
    free(r->m.q);
    free(r->m.w);
    kv_buf_free(&r->replies);
    free(r);
}

static int kv_exec_done(kv_ctx *ctx, kv_exec_run *r);

static int kv_exec_send_next(kv_ctx *ctx, kv_coord *co, kv_exec_run *r)
{
    const kv_mq *q;
    for (;; r->next++) { /* what ACL rules changed since it was queued answers NOPERM */
        kv_reply rr;
        if (r->next == r->m.nq)
            return kv_exec_done(ctx, r);
        q = &r->m.q[r->next];
        rr = ctx->out;
        rr.buf = &r->replies;
        if (!kv_acl_exec_denied(ctx, q->cmd, q->argc, q->argv, &rr))
            break;
    }
    if (ctx->conn)
        r->db = kv_conn_db(ctx->conn);
    r->t0 = kv_monotonic_us();
    kv_coord_send_cmd(co, r->db, q->cmd, q->argc, q->argv);
    return KV_COORD_WAIT;
}

static int kv_coord_exec(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    kv_exec_run *r = kv_coord_data(co);
    int i;
    (void)argc;
    if (kv_coord_step(co) == 0) {
        kv_multi *m = kv_multi_of(ctx->conn, 0);
        int shards = kv_shard_count(ctx->shard), s, asked = 0;
        if (!ctx->conn || kv_exec_refused(ctx, m))
            return KV_COORD_DONE;
        if (!(r = calloc(1, sizeof *r)))
            abort();
        r->m = *m; /* take the queue and the watches */
        memset(m, 0, sizeof *m);
        r->db = ctx->db;
        kv_buf_init(&r->replies);
        kv_coord_set_data(co, r, kv_exec_run_free);
        for (s = 0; s < shards; s++)
            for (i = 0; i < r->m.nw; i++)
                if (kv_shard_of_key(ctx->shard, r->m.w[i].key.p, r->m.w[i].key.n) == s) {
                    kv_coord_send(co, s, ctx->db, &kv_sub_watch_check, 1, argv);
                    asked = 1;
                    break;
                }
        if (asked)
            return KV_COORD_WAIT;
        r->phase = 1;
        if (r->m.nq == 0)
            goto done;
        return kv_exec_send_next(ctx, co, r);
    }
    if (r->phase == 0) {
        for (i = 0; i < kv_coord_nreplies(co); i++) {
            kv_str rep = kv_coord_reply(co, i);
            if (rep.n > 1 && rep.p[1] == '1') {
                kv_reply_null_array(&ctx->out);
                kv_watches_release(ctx->shard, ctx->state, ctx->client_id, r->m.w, r->m.nw);
                return KV_COORD_DONE;
            }
        }
        r->phase = 1;
        if (r->m.nq == 0)
            goto done;
        return kv_exec_send_next(ctx, co, r);
    }
    if (kv_coord_nreplies(co) > 0) {
        kv_str rep = kv_coord_reply(co, 0);
        size_t from = r->replies.len;
        kv_buf_append(&r->replies, rep.p, rep.n);
        /* Its time includes the hop to its shard and back. */
        kv_exec_report(ctx, &r->m.q[r->next], r->t0, &r->replies, from);
    }
    r->next++;
    return kv_exec_send_next(ctx, co, r);
done:
    return kv_exec_done(ctx, r);
}

static int kv_exec_done(kv_ctx *ctx, kv_exec_run *r)
{
    kv_reply_array(&ctx->out, r->m.nq);
    kv_reply_raw(&ctx->out, r->replies.p ? r->replies.p : "", r->replies.len);
    kv_watches_release(ctx->shard, ctx->state, ctx->client_id, r->m.w, r->m.nw);
    return KV_COORD_DONE;
}

/* EXEC checks its own arity (in before_exec), hence its -1. */
const kv_cmdspec kv_cmds_multi[] = {
    {.name = "discard", .flags = KV_CMDF_MULTI_RUNS | KV_CMDF_MULTI_OOM_OK, .route = KV_ROUTE_LOCAL,
     .exec = kv_cmd_discard},
    {.name = "exec", .flags = KV_CMDF_MULTI_RUNS | KV_CMDF_MULTI_OOM_OK, .route = KV_ROUTE_COORD, .exec = kv_cmd_exec,
     .coord = kv_coord_exec, .lockkeys = kv_exec_lockkeys, .arity = -1},
    {.name = "multi", .flags = KV_CMDF_MULTI_RUNS, .route = KV_ROUTE_LOCAL, .exec = kv_cmd_multi},
    {.name = "unwatch", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_unwatch},
    {.name = "watch", .flags = KV_CMDF_MULTI_RUNS, .route = KV_ROUTE_COORD, .exec = kv_cmd_watch,
     .coord = kv_coord_watch, .lockkeys = kv_watch_lockkeys},
    KV_SPEC_END
};
