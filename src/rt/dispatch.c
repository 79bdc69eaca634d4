/* A client's command, in four stages: route it once (route.c), admit it
 * (program order, transactions' locks, the command set's before_exec), run
 * it (inline on the home shard with no copy, no lock and no message;
 * forwarded to the one shard owning its keys; split over several
 * (fanout.c); or coordinated (coord.c)), and complete it (kv_finish: the
 * reply in request order, after_exec). Also what arrives from other
 * shards: requests to run, replies coming home, pushes, lock traffic.
 *
 * Program order: a connection's commands take effect in the order sent. A
 * command may be issued while earlier ones are in flight only if it goes to
 * the same single remote shard (whose ring is FIFO); otherwise it waits. So a
 * pipeline "SET data; LPUSH queue" can never be observed out of order by
 * another client, even though the two keys live on different cores. */
#include "rt/internal.h"

#include <stdlib.h>
#include <string.h>

/* -------------------------------------------------------------- requests */

void kv_req_for(kv_req *r, kv_conn *c, int db, const kv_cmd *cmd, int argc, const kv_str *argv)
{
    r->cmd = cmd;
    r->db = db;
    r->proto = c->proto;
    r->home = c->sh->id;
    r->client_id = c->id;
    r->client_flags = c->req_flags;
    r->txn = 0;
    r->refs_ok = !(c->flags & KV_CONN_FAKE); /* a fake client's output is read back */
    r->blob = NULL;
    r->argc = argc;
    r->argv = argv;
}

void kv_ctx_init(kv_ctx *ctx, kv_shard *sh, const kv_req *req, kv_conn *c, kv_buf *out)
{
    ctx->out.buf = out;
    ctx->out.proto = req->proto;
    ctx->out.errors = 0;
    ctx->state = sh->state;
    ctx->shard = sh;
    ctx->conn = c;
    ctx->cmd = req->cmd;
    ctx->db = req->db;
    ctx->home = req->home;
    ctx->client_id = req->client_id;
    ctx->client_flags = req->client_flags;
    ctx->may_suspend = 0;
    ctx->txn = req->txn;
    ctx->ref_buf = NULL;
    ctx->arg_blob = NULL;
}

/* client: the reply goes home to a client's socket as it is, and the
 * command may keep the argument the message references. */
static long long kv_exec_into(kv_shard *sh, const kv_req *req, kv_buf *reply, int client)
{
    long long t0 = kv_mono_us();
    kv_ctx ctx;
    kv_ctx_init(&ctx, sh, req, NULL, reply);
    if (client) {
        ctx.ref_buf = req->refs_ok ? reply : NULL;
        ctx.arg_blob = req->blob;
    }
    req->cmd->exec(&ctx, req->argc, req->argv);
    if (req->client_flags && sh->rt->cfg.cmds.ran)
        sh->rt->cfg.cmds.ran(&ctx, req->argc, req->argv);
    if (sh->want_executed)
        sh->rt->cfg.cmds.executed(&ctx, req->argc, req->argv);
    return kv_mono_us() - t0;
}

long long kv_exec_part(kv_shard *sh, const kv_req *req, kv_buf *reply)
{
    return kv_exec_into(sh, req, reply, 0);
}

void kv_send_req(kv_shard *sh, int dst, const kv_req *req, const kv_done *done)
{
    kv_shard_send(sh, dst, kv_msg_exec_new(KV_MSG_EXEC, sh->id, req, done));
    sh->stats.forwarded_commands++;
}

/* ------------------------------------------------------------ completion */

void kv_inflight_add(kv_conn *c, int busy)
{
    c->inflight++;
    c->busy = busy;
    c->sh->inflight_total++;
    kv_conn_hold(c);
}

void kv_inflight_done(kv_conn *c)
{
    c->inflight--;
    c->sh->inflight_total--;
    kv_conn_drop(c);
    if (c->inflight == 0) {
        c->busy = KV_BUSY_NONE;
        kv_conn_resume(c);
    }
}

static inline void kv_report(kv_conn *c, const kv_req *req, long long start_us,
                             long long dur_us, int rejected, const char *reply, size_t len,
                             int phase)
{
    const kv_cmdset *cs = &c->sh->rt->cfg.cmds;
    kv_exec_info info;
    if (!cs->after_exec)
        return;
    info.cmd = req->cmd;
    info.argc = req->argc;
    info.argv = req->argv;
    info.start_us = start_us;
    info.duration_us = dur_us;
    info.rejected = rejected;
    info.reply = reply;
    info.reply_len = len;
    info.suspended = phase == KV_PHASE_SUSPENDED;
    info.resumed = phase == KV_PHASE_RESUMED;
    cs->after_exec(c->sh, c->sh->state, (c->flags & KV_CONN_CLOSED) ? NULL : c, &info);
}

void kv_after_exec(kv_conn *c, const kv_req *req, long long start_us, long long dur_us,
                   int rejected, const char *reply, size_t len, int phase)
{
    kv_report(c, req, start_us, dur_us, rejected, reply, len, phase);
}

void kv_finish(kv_conn *c, const kv_req *req, unsigned long long seq, int drop,
               long long start_us, long long dur_us, kv_buf *src, size_t from,
               unsigned long errors)
{
    kv_buf *b = NULL;
    const char *reply = "";
    size_t len = 0;
    c->sh->stats.total_error_replies += (long long)errors;
    /* Closed while the reply was being made (a kill run by a lock release):
     * its buffers, and the reply, are gone. */
    if (src || !(c->flags & KV_CONN_CLOSED)) {
        b = src ? src : kv_conn_reply_buf(c, seq);
        reply = b->p ? b->p + from : "";
        len = b->len - from;
    }
    if ((c->flags & KV_CONN_RESUMING) && seq == c->suspended_seq)
        kv_report_resumed(c, dur_us, reply, len); /* the suspended command, done */
    else
        kv_report(c, req, start_us, dur_us, 0, reply, len, KV_PHASE_RAN);
    if (c->flags & KV_CONN_CLOSED)
        return;
    if (drop)
        kv_buf_truncate(b, from);
    kv_conn_reply_done(c, seq, src);
}

/* --------------------------------------------------------------- stages */

enum { KV_ADMIT_RUN, KV_ADMIT_WAIT, KV_ADMIT_REPLIED, KV_ADMIT_QUEUED };

/* Program order and transactions' locks: may the command run now? */
static int kv_admit_order(kv_conn *c, const kv_plan *p, const kv_req *req)
{
    kv_shard *sh = c->sh;
    /* Only more work for the same single remote shard may join work that
     * is already in flight. */
    if (c->inflight > 0 && (p->target != c->busy || p->target == KV_BUSY_MANY ||
                            p->target == sh->id || c->inflight >= KV_MAX_INFLIGHT)) {
        c->flags |= KV_CONN_WAITING;
        return KV_ADMIT_WAIT;
    }
    /* A transaction holds locks here: a command on its keys waits its turn
     * (not while a long command polls: the command set answers it now). */
    if (sh->locks.held && !sh->busy && p->arity_ok && p->target == sh->id &&
        kv_plan_locked(sh, p, req->cmd, req->argc, req->argv)) {
        kv_locks_wait_conn(sh, c);
        return KV_ADMIT_WAIT;
    }
    return KV_ADMIT_RUN;
}

/* The command set's say: authentication, CLIENT PAUSE, MULTI queueing. */
static int kv_admit_set(kv_conn *c, const kv_plan *p, const kv_req *req, kv_ctx *ctx)
{
    kv_shard *sh = c->sh;
    const kv_cmdset *cs = &sh->rt->cfg.cmds;
    int verdict;
    if (!p->arity_ok || !cs->before_exec)
        return p->arity_ok ? KV_ADMIT_RUN : KV_ADMIT_REPLIED;
    verdict = cs->before_exec(ctx, req->argc, req->argv);
    if (verdict == KV_EXEC_DEFER) {
        c->flags |= KV_CONN_DEFERRED;
        if (!(c->flags & KV_CONN_IN_DLIST)) {
            c->flags |= KV_CONN_IN_DLIST;
            kv_conn_hold(c);
            c->dnext = sh->dlist;
            sh->dlist = c;
        }
        return KV_ADMIT_WAIT;
    }
    return verdict == KV_EXEC_RUN ? KV_ADMIT_RUN
           : verdict == KV_EXEC_QUEUED ? KV_ADMIT_QUEUED : KV_ADMIT_REPLIED;
}

/* Run an admitted command: inline, forwarded, split or coordinated. */
static void kv_execute(kv_conn *c, const kv_plan *p, const kv_req *req, kv_ctx *ctx,
                       unsigned long long seq, int drop, size_t from)
{
    kv_shard *sh = c->sh;
    const kv_cmd *cmd = req->cmd;
    long long t0 = 0;
    if (cmd->check && cmd->check(ctx, req->argc, req->argv) != 0) {
        /* the command's own check failed: it ran, as in Redis */
    } else if (cmd->route == KV_ROUTE_ALL || (p->target == KV_BUSY_MANY &&
                                              cmd->route != KV_ROUTE_COORD)) {
        kv_fan_out(c, cmd, seq, drop, req->argc, req->argv, p);
        return;
    } else if (p->target == KV_BUSY_MANY) {
        kv_coord_start(c, cmd, seq, drop, req->argc, req->argv, p);
        return;
    } else if (p->target != sh->id) {
        kv_done done;
        kv_req fwd = *req;
        done.kind = KV_DONE_CLIENT;
        done.index = 0;
        done.drop = drop;
        done.seq = seq;
        done.to.conn = c;
        fwd.blob = c->bigarg.h ? &c->bigarg : NULL; /* the message takes a reference */
        kv_send_req(sh, p->target, &fwd, &done);
        kv_inflight_add(c, p->target);
        return;
    } else {
        if (sh->rt->cfg.cmds.after_exec)
            t0 = kv_mono_us();
        ctx->may_suspend = 1;
        c->exec_seq = seq;
        cmd->exec(ctx, req->argc, req->argv);
        if (req->client_flags && sh->rt->cfg.cmds.ran)
            sh->rt->cfg.cmds.ran(ctx, req->argc, req->argv);
        if (sh->want_executed)
            sh->rt->cfg.cmds.executed(ctx, req->argc, req->argv);
        if (c->flags & KV_CONN_SUSPENDING) {
            kv_conn_suspend(c, req, seq, drop, sh->now_us, t0 ? kv_mono_us() - t0 : 0);
            return;
        }
    }
    kv_finish(c, req, seq, drop, sh->now_us, t0 ? kv_mono_us() - t0 : 0, NULL, from,
              ctx->out.errors);
}

int kv_dispatch(kv_conn *c, int argc, const kv_str *argv)
{
    kv_shard *sh = c->sh;
    const kv_cmdset *cs = &sh->rt->cfg.cmds;
    const kv_cmd *cmd = cs->lookup(cs->udata, argc, argv);
    unsigned long long seq = c->seq_next;
    int verdict, drop;
    size_t from = 0;
    kv_plan plan;
    kv_req req;
    kv_ctx ctx;

    kv_plan_route(sh, c, c->db, cmd, argc, argv, &plan);
    kv_req_for(&req, c, c->db, cmd, argc, argv);
    verdict = kv_admit_order(c, &plan, &req);
    if (verdict == KV_ADMIT_RUN) {
        kv_ctx_init(&ctx, sh, &req, c, kv_conn_reply_buf(c, seq));
        if (req.refs_ok)
            ctx.ref_buf = ctx.out.buf;
        if (c->bigarg.h)
            ctx.arg_blob = &c->bigarg;
        from = ctx.out.buf->len;
        verdict = kv_admit_set(c, &plan, &req, &ctx);
        /* before_exec may have set the flags this very command carries. */
        req.client_flags = ctx.client_flags = c->req_flags;
    }
    if (verdict == KV_ADMIT_WAIT) {
        kv_plan_done(&plan);
        return 1;
    }
    /* The command is taken: it gets its sequence number. */
    c->seq_next++;
    c->last_ms = sh->now_us / 1000;
    drop = c->reply_mode != KV_REPLY_ON;
    if (c->reply_mode == KV_REPLY_SKIP)
        c->reply_mode = KV_REPLY_ON;
    if (verdict != KV_ADMIT_RUN) {
        /* Rejected before running (Redis's rejectCommand): not counted as
         * processed, reported as rejected; or queued (MULTI): just replied. */
        if (!plan.arity_ok)
            kv_reply_errorf(&ctx.out, "ERR wrong number of arguments for '%s' command", cmd->name);
        sh->stats.total_error_replies += (long long)ctx.out.errors;
        if (verdict != KV_ADMIT_QUEUED)
            kv_report(c, &req, sh->now_us, 0, 1, ctx.out.buf->p + from,
                      ctx.out.buf->len - from, KV_PHASE_RAN);
        if (drop)
            kv_buf_truncate(ctx.out.buf, from);
        kv_conn_reply_done(c, seq, NULL);
    } else {
        if (!(cmd->flags & KV_CMD_UNKNOWN)) {
            sh->stats.total_commands_processed++;
            c->last_cmd = cmd->name;
        }
        kv_execute(c, &plan, &req, &ctx, seq, drop, from);
    }
    kv_plan_done(&plan);
    kv_shard_unit_done(sh);
    return 0;
}

/* ------------------------------------------------------ from other shards */

/* A request's reply, back home: hand it to whoever waits for it. */
static void kv_reply_home(kv_shard *sh, kv_msg *m)
{
    kv_msg_exec *x = &m->as.exec;
    kv_conn *c;
    switch (x->done.kind) {
    case KV_DONE_COORD:
        kv_coord_reply_in(sh, m);
        break;
    case KV_DONE_FAN:
        kv_fan_reply_in(sh, m);
        break;
    case KV_DONE_CLIENT:
        c = x->done.to.conn;
        kv_finish(c, &x->req, x->done.seq, x->done.drop, sh->now_us - x->dur_us, x->dur_us,
                  &x->reply, 0, x->reply.len > 0 && x->reply.p[0] == '-');
        kv_inflight_done(c);
        break;
    case KV_DONE_NONE:
        break;
    }
    kv_msg_free(m);
}

/* Run a forwarded command or a cast whose locks are free. */
void kv_shard_deliver_ready(kv_shard *sh, kv_msg *m)
{
    if (m->kind == KV_MSG_CAST) {
        kv_exec_part(sh, &m->as.exec.req, &m->as.exec.reply);
        kv_msg_free(m);
        kv_shard_unit_done(sh);
        return;
    }
    /* A client's reply goes home to its socket as it is: it may refer to a
     * big value instead of copying it (the value's count is atomic). */
    m->as.exec.dur_us = kv_exec_into(sh, &m->as.exec.req, &m->as.exec.reply,
                                     m->as.exec.done.kind == KV_DONE_CLIENT);
    m->kind = KV_MSG_REPLY;
    kv_shard_send(sh, m->from, m);
    if (!m->as.exec.req.txn)
        kv_shard_unit_done(sh);
}

void kv_shard_deliver(kv_shard *sh, kv_msg *m)
{
    kv_conn *c;
    switch (m->kind) {
    case KV_MSG_EXEC:
    case KV_MSG_CAST:
        /* It waits, as the command would for a client here, while a
         * transaction holds its keys. */
        if (kv_req_blocked(sh, &m->as.exec.req)) {
            kv_locks_wait_msg(sh, m);
            return;
        }
        kv_shard_deliver_ready(sh, m);
        return;
    case KV_MSG_REPLY:
        kv_reply_home(sh, m);
        return;
    case KV_MSG_PUSH:
        if ((c = kv_shard_find_conn(sh, m->as.push.client_id)) != NULL) {
            if (m->as.push.resume)
                kv_conn_resume_reply(c, m->as.push.seq, m->as.push.bytes.p, m->as.push.bytes.n);
            else
                kv_conn_push(c, m->as.push.bytes.p, m->as.push.bytes.n);
        }
        kv_msg_free(m);
        return;
    case KV_MSG_LOCK:
        kv_locks_on_request(sh, m);
        return;
    case KV_MSG_GRANT:
        kv_txn_on_grant(sh, m);
        return;
    case KV_MSG_UNLOCK:
        kv_locks_on_release(sh, m);
        return;
    }
    kv_msg_free(m);
}
