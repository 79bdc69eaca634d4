/* Commands whose reply comes later (a blocked client): a command suspends
 * from its exec (kv_ctx_suspend) or from a coordination step
 * (kv_coord_suspend); its reply keeps its place in the client's stream, the
 * client's input waits, and any shard later delivers the reply by ticket
 * (kv_shard_resume), or the home shard runs a command to produce it
 * (kv_shard_resume_cmd: serving the client may need locks on other shards).
 * A suspended client is named by id, never held: if it goes away, a resume
 * finds nobody and is dropped. The command set hears of the command twice:
 * when it suspends, and when its reply is delivered (as the suspended
 * command, so statistics and SLOWLOG see BLPOP, not what served it). */
#include "rt/internal.h"

#include <stdlib.h>
#include <string.h>

int kv_ctx_ticket(const kv_ctx *ctx, kv_ticket *t)
{
    const kv_conn *c = ctx->conn;
    if (!ctx->may_suspend || !c || (c->flags & KV_CONN_CLOSED))
        return -1;
    t->home = c->sh->id;
    t->client_id = c->id;
    t->seq = c->exec_seq;
    return 0;
}

int kv_ctx_suspend(kv_ctx *ctx, kv_ticket *t)
{
    if ((ctx->conn && (ctx->conn->flags & KV_CONN_SUSPENDING)) || kv_ctx_ticket(ctx, t) != 0)
        return -1;
    ctx->conn->flags |= KV_CONN_SUSPENDING;
    return 0;
}

void kv_conn_suspend_free(kv_conn *c)
{
    free(c->susp_argv);
    c->susp_argv = NULL;
    c->susp_cmd = NULL;
    c->susp_argc = 0;
}

void kv_conn_suspend(kv_conn *c, const kv_req *req, unsigned long long seq, int drop,
                     long long start_us, long long dur_us)
{
    int again = (c->flags & KV_CONN_RESUMING) && seq == c->suspended_seq;
    c->flags = (c->flags & ~(KV_CONN_SUSPENDING | KV_CONN_RESUMING | KV_CONN_SUSPEND_DROP)) |
               KV_CONN_SUSPENDED;
    if (drop)
        c->flags |= KV_CONN_SUSPEND_DROP; /* CLIENT REPLY OFF: dropped on resume */
    c->suspended_seq = seq;
    if (again) {
        c->susp_dur_us += dur_us; /* served nothing yet: waits on, reported once */
        return;
    }
    kv_conn_suspend_free(c);
    c->susp_argv = malloc(kv_argv_bytes(req->argc, req->argv) + 1);
    if (!c->susp_argv)
        abort();
    kv_argv_copy_into(c->susp_argv, req->argc, req->argv);
    c->susp_argc = req->argc;
    c->susp_cmd = req->cmd;
    c->susp_start_us = start_us;
    c->susp_dur_us = dur_us;
    kv_after_exec(c, req, start_us, dur_us, 0, "", 0, KV_PHASE_SUSPENDED);
}

void kv_report_resumed(kv_conn *c, long long dur_us, const char *reply, size_t len)
{
    kv_req r;
    c->flags &= ~KV_CONN_RESUMING;
    if (!c->susp_cmd)
        return;
    memset(&r, 0, sizeof r);
    r.cmd = c->susp_cmd;
    r.argc = c->susp_argc;
    r.argv = c->susp_argv;
    kv_after_exec(c, &r, c->susp_start_us, c->susp_dur_us + dur_us, 0, reply, len,
                  KV_PHASE_RESUMED);
    kv_conn_suspend_free(c);
    kv_shard_resume_later(c->sh, c); /* its pipelined commands go on */
}

/* The client this ticket names, if it is suspended on it (home shard). */
static kv_conn *kv_ticket_conn(kv_shard *sh, const kv_ticket *t)
{
    kv_conn *c = t->home == sh->id ? kv_shard_find_conn(sh, t->client_id) : NULL;
    if (!c || (c->flags & (KV_CONN_CLOSED | KV_CONN_SUSPENDED)) != KV_CONN_SUSPENDED ||
        c->suspended_seq != t->seq)
        return NULL;
    return c;
}

int kv_shard_suspended(kv_shard *sh, const kv_ticket *t)
{
    return kv_ticket_conn(sh, t) != NULL;
}

void kv_conn_resume_reply(kv_conn *c, unsigned long long seq, const char *p, size_t n)
{
    if ((c->flags & (KV_CONN_CLOSED | KV_CONN_SUSPENDED)) != KV_CONN_SUSPENDED ||
        c->suspended_seq != seq)
        return; /* gone, or a stale ticket */
    if (!(c->flags & KV_CONN_SUSPEND_DROP))
        kv_buf_append(kv_conn_reply_buf(c, seq), p, n);
    c->flags &= ~(KV_CONN_SUSPENDED | KV_CONN_SUSPEND_DROP);
    kv_report_resumed(c, 0, p, n);
    kv_conn_reply_done(c, seq, NULL);
    kv_shard_resume_later(c->sh, c);
}

void kv_shard_resume(kv_shard *sh, const kv_ticket *t, const char *reply, size_t n)
{
    kv_msg *m;
    if (t->home == sh->id || t->home < 0 || t->home >= sh->n) {
        kv_conn *c = kv_shard_find_conn(sh, t->client_id);
        if (c)
            kv_conn_resume_reply(c, t->seq, reply, n);
        return;
    }
    m = kv_msg_push_new(sh->id, t->client_id, reply, n);
    m->as.push.resume = 1;
    m->as.push.seq = t->seq;
    kv_shard_send(sh, t->home, m);
}

int kv_shard_resume_cmd(kv_shard *sh, const kv_ticket *t, const kv_cmd *cmd, int argc,
                        const kv_str *argv)
{
    kv_conn *c = kv_ticket_conn(sh, t);
    int drop;
    kv_plan plan;
    kv_req req;
    if (!c)
        return -1;
    drop = (c->flags & KV_CONN_SUSPEND_DROP) != 0;
    c->flags = (c->flags & ~(KV_CONN_SUSPENDED | KV_CONN_SUSPEND_DROP)) | KV_CONN_RESUMING;
    kv_plan_route(sh, c, c->db, cmd, argc, argv, &plan);
    kv_req_for(&req, c, c->db, cmd, argc, argv);
    if (cmd->route == KV_ROUTE_COORD && plan.target != sh->id) {
        kv_coord_start(c, cmd, t->seq, drop, argc, argv, &plan);
    } else {
        kv_buf *out = kv_conn_reply_buf(c, t->seq);
        size_t from = out->len;
        long long t0 = kv_mono_us();
        kv_ctx ctx;
        kv_ctx_init(&ctx, sh, &req, c, out);
        ctx.may_suspend = 1;
        c->exec_seq = t->seq;
        c->flags |= KV_CONN_EXEC;
        cmd->exec(&ctx, argc, argv);
        if (req.client_flags && sh->rt->cfg.cmds.ran)
            sh->rt->cfg.cmds.ran(&ctx, argc, argv);
        if (sh->want_executed)
            sh->rt->cfg.cmds.executed(&ctx, argc, argv);
        c->flags &= ~KV_CONN_EXEC;
        if (c->flags & KV_CONN_SUSPENDING)
            kv_conn_suspend(c, &req, t->seq, drop, sh->now_us, kv_mono_us() - t0);
        else
            kv_finish(c, &req, t->seq, drop, sh->now_us, kv_mono_us() - t0, NULL, from,
                      ctx.out.errors);
        if (!(c->flags & KV_CONN_SUSPENDED))
            kv_shard_resume_later(sh, c);
    }
    kv_plan_done(&plan);
    kv_shard_unit_done(sh);
    return 0;
}
