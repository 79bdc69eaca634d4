/* Coordinations: commands whose keys live on several shards and cannot be
 * split (RENAME across shards, SMOVE, SINTERSTORE, EXEC...). The command's
 * coord function runs on the home shard step by step; between steps it
 * waits for the sub-commands it sent. Sub-commands for the home shard run at
 * once, so a step with only local work goes straight on. The argv is
 * copied: the client's input buffer moves on while we wait. */
#include "rt/internal.h"

#include <stdlib.h>
#include <string.h>

static void kv_replies_clear(kv_coord_replies *r)
{
    int i;
    for (i = 0; i < r->n; i++)
        r->buf[i].len = 0;
    r->n = 0;
}

static void kv_replies_free(kv_coord_replies *r)
{
    int i;
    for (i = 0; i < r->cap; i++)
        kv_buf_free(&r->buf[i]);
    free(r->buf);
    r->buf = NULL;
    r->n = r->cap = 0;
}

static kv_buf *kv_replies_next(kv_coord_replies *r)
{
    if (r->n == r->cap) {
        int cap = r->cap ? r->cap * 2 : 4, i;
        kv_buf *b = realloc(r->buf, (size_t)cap * sizeof *b);
        if (!b)
            abort();
        for (i = r->cap; i < cap; i++)
            kv_buf_init(&b[i]);
        r->buf = b;
        r->cap = cap;
    }
    r->buf[r->n].len = 0;
    return &r->buf[r->n++];
}

static void kv_coord_free(kv_coord *co)
{
    kv_shard *sh = co->sh;
    if (co->prev)
        co->prev->next = co->next;
    else
        sh->coords = co->next;
    if (co->next)
        co->next->prev = co->prev;
    if (co->free_data)
        co->free_data(co->data);
    free(co->txn); /* only left at exit, when the shards are gone */
    kv_replies_free(&co->fill);
    kv_replies_free(&co->done);
    kv_buf_free(&co->sink);
    free(co);
}

void kv_coord_free_all(kv_shard *sh)
{
    while (sh->coords)
        kv_coord_free(sh->coords);
}

/* A coordination for req (argv copied in), linked on the home shard. */
static kv_coord *kv_coord_new(kv_shard *sh, kv_conn *c, const kv_req *req)
{
    kv_coord *co = calloc(1, sizeof *co + kv_argv_bytes(req->argc, req->argv));
    if (!co)
        abort();
    co->sh = sh;
    co->conn = c;
    co->req = *req;
    co->req.argv = kv_argv_copy_into(co + 1, req->argc, req->argv);
    co->start_us = sh->now_us;
    kv_buf_init(&co->sink);
    co->next = sh->coords;
    if (sh->coords)
        sh->coords->prev = co;
    sh->coords = co;
    return co;
}

/* The command is done: release its locks, hand its reply on. */
static void kv_coord_end(kv_coord *co, int alive, size_t from, unsigned long errors)
{
    kv_shard *sh = co->sh;
    kv_conn *c = co->conn;
    if (co->parent) { /* under the parent's locks; its reply is the parent's */
        kv_coord *parent = co->parent;
        int slot = co->slot;
        kv_buf reply = co->sink;
        kv_buf_init(&co->sink);
        kv_coord_free(co);
        kv_coord_child_done(parent, slot, &reply);
        kv_buf_free(&reply);
        return;
    }
    /* Deliver, then release the locks: a command waiting for them may kill
     * this client, and a reply that served a blocked client must reach it
     * (or be undone) while nobody else can see the keys. */
    kv_finish(c, &co->req, co->seq, co->drop, co->start_us, sh->now_us - co->start_us,
              alive ? NULL : &co->sink, alive ? from : 0, errors);
    if (co->txn) {
        kv_txn_end(sh, co->txn);
        co->txn = NULL;
    }
    if (co->waited)
        kv_inflight_done(c);
    kv_coord_free(co);
}

/* The command suspended: its locks go, its reply stays pending, and the
 * client waits suspended (suspend.c). */
static void kv_coord_suspended(kv_coord *co)
{
    kv_shard *sh = co->sh;
    kv_conn *c = co->conn;
    /* Suspended before the locks go: a command waiting for them may serve
     * this very client at once (a push to the key it now waits on). */
    if (!(c->flags & KV_CONN_CLOSED))
        kv_conn_suspend(c, &co->req, co->seq, co->drop, co->start_us,
                        sh->now_us - co->start_us);
    if (co->txn) {
        kv_txn_end(sh, co->txn);
        co->txn = NULL;
    }
    if (co->waited)
        kv_inflight_done(c); /* after: the input must see the suspension */
    kv_coord_free(co);
}

int kv_coord_ticket(const kv_coord *co, kv_ticket *t)
{
    if (co->parent || (co->conn->flags & KV_CONN_CLOSED))
        return -1;
    t->home = co->sh->id;
    t->client_id = co->conn->id;
    t->seq = co->seq;
    return 0;
}

int kv_coord_nested(const kv_coord *co)
{
    return co->parent != NULL;
}

int kv_coord_suspend(kv_coord *co, kv_ticket *t)
{
    if (kv_coord_ticket(co, t) != 0)
        return -1;
    co->suspend = 1;
    return 0;
}

/* Run steps until the command is done or waits for another shard. */
static void kv_coord_run(kv_coord *co)
{
    kv_shard *sh = co->sh;
    kv_conn *c = co->conn;
    for (;;) {
        int alive = !(c->flags & KV_CONN_CLOSED), rc;
        unsigned was_exec;
        kv_coord_replies t;
        kv_buf *out;
        kv_ctx ctx;
        size_t from;
        /* The replies just gathered become readable; a fresh set fills. */
        t = co->done;
        co->done = co->fill;
        co->fill = t;
        kv_replies_clear(&co->fill);
        /* Nested, the reply goes to the parent; with the client gone, to
         * the sink (the command still runs to its end). */
        out = co->parent || !alive ? &co->sink : kv_conn_reply_buf(c, co->seq);
        kv_ctx_init(&ctx, sh, &co->req, alive ? c : NULL, out);
        ctx.home = sh->id;
        from = out->len;
        co->running = 1;
        was_exec = c->flags & KV_CONN_EXEC;
        c->flags |= KV_CONN_EXEC; /* a kill from inside a step waits for the reply */
        if (co->step == 0 && co->req.client_flags && sh->rt->cfg.cmds.ran)
            sh->rt->cfg.cmds.ran(&ctx, co->req.argc, co->req.argv); /* under its locks */
        rc = co->req.cmd->coord(&ctx, co, co->req.argc, co->req.argv);
        c->flags = (c->flags & ~KV_CONN_EXEC) | was_exec;
        co->running = 0;
        co->step++;
        if (rc == KV_COORD_WAIT && co->fill.n == 0) {
            /* Waiting for nothing would never end: a command set bug. */
            kv_reply_error(&ctx.out, "ERR internal: coordination waits for nothing");
            rc = KV_COORD_DONE;
        }
        if (rc == KV_COORD_SUSPENDED && !co->suspend) {
            kv_reply_error(&ctx.out, "ERR internal: coordination suspends without a ticket");
            rc = KV_COORD_DONE;
        }
        if (rc == KV_COORD_SUSPENDED) {
            kv_coord_suspended(co);
            return;
        }
        if (rc == KV_COORD_DONE) {
            kv_coord_end(co, alive, from, ctx.out.errors);
            return;
        }
        if (co->pending > 0) {
            /* A nested one is waited for through its parent, never counted
             * itself: it ends by reporting to the parent, not to the client. */
            if (!co->waited && !co->parent) {
                co->waited = 1;
                kv_inflight_add(c, KV_BUSY_MANY);
            }
            return;
        }
    }
}

static void kv_coord_locked(kv_shard *sh, void *arg)
{
    (void)sh;
    kv_coord_run(arg);
}

/* The transaction covering every key the command locks, grouped by shard in
 * ascending order; NULL if they are all on the home shard after all. */
static kv_txn *kv_coord_locks(kv_coord *co, const kv_plan *plan)
{
    kv_shard *sh = co->sh;
    int n, i, s, np = 0, whole = 0;
    kv_str *src, *keys;
    kv_txn_part *tp;
    kv_txn *t = NULL;
    if (co->req.cmd->flags & KV_CMD_COORD_ALWAYS)
        return NULL; /* it locks nothing */
    if (co->req.cmd->lockkeys && plan->lock) {
        /* The plan's keys may point into the client's state, which lives
         * at least until this command is done; the transaction copies them. */
        src = plan->lock;
        n = plan->nlock;
        whole = plan->lock_whole;
    } else {
        int posbuf[32], *pos = posbuf;
        n = kv_cmd_key_positions(co->req.cmd, co->req.argc, co->req.argv, pos, 32);
        if (n <= 1)
            return NULL;
        if (n > 32) {
            if (!(pos = malloc((size_t)n * sizeof *pos)))
                abort();
            n = kv_cmd_key_positions(co->req.cmd, co->req.argc, co->req.argv, pos, n);
        }
        if (!(src = malloc((size_t)n * sizeof *src)))
            abort();
        for (i = 0; i < n; i++)
            src[i] = co->req.argv[pos[i]];
        if (pos != posbuf)
            free(pos);
    }
    keys = malloc(((size_t)n + 1) * sizeof *keys);
    tp = calloc((size_t)sh->n, sizeof *tp);
    if (!keys || !tp)
        abort();
    for (s = 0, i = 0; s < sh->n; s++) {
        int k, start = i;
        for (k = 0; k < n; k++)
            if (kv_shard_of_key(sh, src[k].p, src[k].n) == s)
                keys[i++] = src[k];
        if (i > start || whole) {
            tp[np].shard = s;
            tp[np].whole = whole;
            tp[np].keys = keys + start;
            tp[np].nkeys = i - start;
            np++;
        }
    }
    if (src != plan->lock)
        free(src);
    /* One remote shard needs locks too: the steps run one at a time there,
     * and nothing may slip in between (EXEC's queue on another shard). */
    if (np > 1 || (np == 1 && tp[0].shard != sh->id))
        t = kv_txn_new(sh, np, tp, kv_coord_locked, co);
    if (t)
        t->cmd = co->req.cmd;
    free(tp);
    free(keys);
    return t;
}

void kv_coord_start(kv_conn *c, const kv_cmd *cmd, unsigned long long seq, int drop, int argc,
                    const kv_str *argv, const kv_plan *plan)
{
    kv_req req;
    kv_coord *co;
    kv_req_for(&req, c, c->db, cmd, argc, argv);
    co = kv_coord_new(c->sh, c, &req);
    co->seq = seq;
    co->drop = drop;
    co->txn = kv_coord_locks(co, plan);
    if (!co->txn) {
        kv_coord_run(co);
        return;
    }
    /* Run once every key of the command is locked, shard by shard. */
    co->waited = 1;
    kv_inflight_add(c, KV_BUSY_MANY);
    kv_txn_begin(c->sh, co->txn);
}

/* A sub-command's reply came back from another shard. */
void kv_coord_reply_in(kv_shard *sh, kv_msg *m)
{
    kv_coord *co = m->as.exec.done.to.coord;
    int i = m->as.exec.done.index;
    kv_buf t = co->fill.buf[i];
    (void)sh;
    co->fill.buf[i] = m->as.exec.reply;
    m->as.exec.reply = t;
    if (--co->pending == 0)
        kv_coord_run(co);
}

unsigned long long kv_coord_txn_id(const kv_coord *co)
{
    return co->txn ? co->txn->id : co->req.txn;
}

/* A nested fan-out or coordination finished: its reply fills `slot`. */
void kv_coord_child_done(kv_coord *parent, int slot, kv_buf *reply)
{
    kv_buf t = parent->fill.buf[slot];
    parent->fill.buf[slot] = *reply;
    *reply = t;
    reply->len = 0;
    if (--parent->pending == 0 && !parent->running)
        kv_coord_run(parent);
}

/* A sub-request of this coordination: what the command runs for, under the
 * coordination's locks. */
static void kv_coord_sub(const kv_coord *co, kv_req *r, int db, const kv_cmd *cmd, int argc,
                         const kv_str *argv)
{
    *r = co->req;
    r->cmd = cmd;
    r->db = db;
    r->home = co->sh->id;
    r->txn = kv_coord_txn_id(co);
    r->argc = argc;
    r->argv = argv;
    if (co->sub_proto)
        r->proto = co->sub_proto;
}

void kv_coord_send_cmd(kv_coord *co, int db, const kv_cmd *cmd, int argc, const kv_str *argv)
{
    kv_shard *sh = co->sh;
    kv_conn *c = co->conn;
    int alive = !(c->flags & KV_CONN_CLOSED);
    kv_plan plan;
    kv_req r;
    kv_coord_sub(co, &r, db, cmd, argc, argv);
    kv_plan_route(sh, c, db, cmd, argc, argv, &plan);
    if (cmd->route == KV_ROUTE_LOCAL) {
        /* A connection command (SELECT...) runs here, with the client. */
        kv_ctx ctx;
        kv_ctx_init(&ctx, sh, &r, alive ? c : NULL, kv_replies_next(&co->fill));
        if (alive)
            cmd->exec(&ctx, argc, argv);
        else
            kv_reply_error(&ctx.out, "ERR client gone");
    } else if (cmd->route == KV_ROUTE_ALL || plan.target == KV_BUSY_MANY) {
        /* Every shard, or keys spanning shards: a nested operation that
         * reports into a reserved slot (synchronously, or later). */
        int slot = co->fill.n;
        kv_replies_next(&co->fill);
        co->pending++;
        if (cmd->route == KV_ROUTE_COORD) {
            kv_coord *child = kv_coord_new(sh, c, &r);
            child->seq = co->seq;
            child->parent = co;
            child->slot = slot;
            kv_coord_run(child);
        } else {
            kv_fan_nested(co, slot, &r, &plan);
        }
    } else {
        int target = plan.target;
        /* Delegated at top level; nested, it runs whole where its keys are
         * (under this coordination's locks). */
        if ((cmd->flags & KV_CMD_DELEGATES) && plan.lock && plan.nlock > 0)
            target = kv_shard_of_key(sh, plan.lock[0].p, plan.lock[0].n);
        kv_coord_send(co, target, db, cmd, argc, argv); /* one shard runs it whole */
    }
    kv_plan_done(&plan);
}

/* ------------------------------------------------------------ public API */

int kv_coord_step(const kv_coord *co)
{
    return co->step;
}

void kv_coord_send(kv_coord *co, int shard, int db, const kv_cmd *cmd, int argc,
                   const kv_str *argv)
{
    kv_shard *sh = co->sh;
    kv_buf *reply = kv_replies_next(&co->fill);
    kv_done done;
    kv_req r;
    kv_coord_sub(co, &r, db, cmd, argc, argv);
    if (shard == sh->id || shard < 0 || shard >= sh->n) {
        kv_exec_part(sh, &r, reply);
        return;
    }
    done.kind = KV_DONE_COORD;
    done.index = co->fill.n - 1;
    done.drop = 0;
    done.seq = co->seq;
    done.to.coord = co;
    co->pending++;
    kv_send_req(sh, shard, &r, &done);
}

void kv_coord_set_sub_proto(kv_coord *co, int proto)
{
    co->sub_proto = proto;
}

int kv_coord_nreplies(const kv_coord *co)
{
    return co->done.n;
}

kv_str kv_coord_reply(const kv_coord *co, int i)
{
    kv_str s = {"", 0};
    if (i >= 0 && i < co->done.n) {
        s.p = co->done.buf[i].p ? co->done.buf[i].p : "";
        s.n = co->done.buf[i].len;
    }
    return s;
}

void *kv_coord_data(const kv_coord *co)
{
    return co->data;
}

void kv_coord_set_data(kv_coord *co, void *data, void (*free_fn)(void *))
{
    co->data = data;
    co->free_data = free_fn;
}
