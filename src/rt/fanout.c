/* Fan-out: a command split over shards (KV_ROUTE_KEYS: each shard runs it on
 * its own keys; KV_ROUTE_ALL: every shard runs it whole), gathered on the
 * home shard and combined by the command's reduce. Remote parts are sent
 * first so they run while the home part runs here. */
#include "rt/internal.h"

#include <stdlib.h>
#include <string.h>

static void kv_fan_free(kv_shard *sh, kv_fan *f)
{
    int i;
    if (f->prev)
        f->prev->next = f->next;
    else
        sh->fans = f->next;
    if (f->next)
        f->next->prev = f->prev;
    for (i = 0; i < f->nparts; i++)
        kv_buf_free(&f->parts[i].reply);
    free(f->parts);
    free(f->keymem);
    free(f->txn); /* only left at exit, when the shards are gone */
    free(f);
}

void kv_fan_free_all(kv_shard *sh)
{
    while (sh->fans)
        kv_fan_free(sh, sh->fans);
}

/* Every part ran: combine them with the command's reduce into out. */
static void kv_fan_reduce(kv_shard *sh, kv_fan *f, kv_buf *out, unsigned long *errors)
{
    kv_conn *c = f->conn;
    kv_part stackparts[8], *parts = stackparts;
    kv_ctx ctx;
    int i;
    if (f->nparts > 8 && !(parts = malloc((size_t)f->nparts * sizeof *parts)))
        abort();
    for (i = 0; i < f->nparts; i++) {
        parts[i].reply = f->parts[i].reply.p;
        parts[i].len = f->parts[i].reply.len;
        parts[i].shard = f->parts[i].shard;
        parts[i].keys = f->parts[i].keys;
        parts[i].nkeys = f->parts[i].nkeys;
    }
    kv_ctx_init(&ctx, sh, &f->req, (c->flags & KV_CONN_CLOSED) ? NULL : c, out);
    ctx.home = sh->id;
    f->req.cmd->reduce(&ctx, parts, f->nparts);
    *errors = ctx.out.errors;
    if (parts != stackparts)
        free(parts);
}

static void kv_fan_complete(kv_shard *sh, kv_fan *f)
{
    kv_conn *c = f->conn;
    unsigned long errors = 0;
    kv_buf sink, *out;
    size_t from;
    int alive;
    if (f->txn) { /* every part ran: the transaction's effects are whole */
        kv_txn_end(sh, f->txn);
        f->txn = NULL;
    }
    /* Only now: releasing the locks ran waiting commands (a CLIENT KILL). */
    alive = !(c->flags & KV_CONN_CLOSED);
    kv_buf_init(&sink);
    out = alive && !f->parent ? kv_conn_reply_buf(c, f->seq) : &sink;
    from = out->len;
    kv_fan_reduce(sh, f, out, &errors);
    if (f->parent)
        kv_coord_child_done(f->parent, f->slot, &sink);
    else if (alive)
        kv_finish(c, &f->req, f->seq, f->drop, f->start_us, f->dur_us, NULL, from, errors);
    else
        kv_finish(c, &f->req, f->seq, 1, f->start_us, f->dur_us, &sink, 0, errors);
    kv_buf_free(&sink);
    kv_fan_free(sh, f);
}

static void kv_fan_launch(kv_shard *sh, void *arg);

/* Build the argv a shard runs for its part: the command's words before the
 * first key, each of its keys with the step's trailing arguments (MSET's
 * values), and whatever follows the last key. */
static int kv_part_argv(const kv_fan *f, const kv_fan_part *part, kv_str *out)
{
    const kv_req *r = &f->req;
    int step = r->cmd->key_step > 0 ? r->cmd->key_step : 1, n = 0, i, j;
    for (i = 0; i < f->first; i++)
        out[n++] = r->argv[i];
    for (i = 0; i < part->nkeys; i++)
        for (j = 0; j < step; j++)
            out[n++] = r->argv[f->first + part->keys[i] * step + j];
    for (i = f->last + step; i < r->argc; i++)
        out[n++] = r->argv[i];
    return n;
}

/* The parts of a split command, ready to launch. The plan's owner holds
 * each key's shard (KV_ROUTE_KEYS), or is NULL (KV_ROUTE_ALL: every shard
 * runs the whole command). */
static kv_fan *kv_fan_prepare(kv_shard *sh, kv_conn *c, const kv_req *req, const kv_plan *plan)
{
    const int *owner = req->cmd->route == KV_ROUTE_KEYS ? plan->owner : NULL;
    int n = sh->n, i, p, used = 0, nkeys = owner ? plan->nkeys : 0;
    int *count = calloc((size_t)n, sizeof *count);
    kv_fan *f = calloc(1, sizeof *f + kv_argv_bytes(req->argc, req->argv));
    if (!count || !f)
        abort();
    f->conn = c;
    f->req = *req;
    f->req.argv = kv_argv_copy_into(f + 1, req->argc, req->argv);
    f->start_us = sh->now_us;
    if (owner) {
        for (i = 0; i < nkeys; i++)
            count[owner[i]]++;
        for (i = 0; i < n; i++)
            f->nparts += count[i] > 0;
        f->keymem = malloc((size_t)nkeys * sizeof *f->keymem);
        if (!f->keymem)
            abort();
    } else {
        f->nparts = n;
    }
    f->parts = calloc((size_t)f->nparts, sizeof *f->parts);
    if (!f->parts)
        abort();
    /* Parts in ascending shard order; each part's key ordinals ascending. */
    for (i = 0, p = 0; i < n; i++) {
        kv_fan_part *part;
        if (owner && count[i] == 0)
            continue;
        part = &f->parts[p++];
        part->shard = i;
        kv_buf_init(&part->reply);
        if (owner) {
            int k;
            part->keys = f->keymem + used;
            for (k = 0; k < nkeys; k++)
                if (owner[k] == i)
                    part->keys[part->nkeys++] = k;
            used += part->nkeys;
        }
    }
    f->remaining = f->nparts;
    f->next = sh->fans;
    if (sh->fans)
        sh->fans->prev = f;
    sh->fans = f;
    f->first = plan->first;
    f->last = plan->last;
    free(count);
    return f;
}

void kv_fan_nested(kv_coord *parent, int slot, const kv_req *req, const kv_plan *plan)
{
    kv_fan *f = kv_fan_prepare(parent->sh, parent->conn, req, plan);
    f->parent = parent;
    f->slot = slot;
    kv_fan_launch(parent->sh, f); /* under the parent's locks: req->txn */
}

/* A client's split command. */
void kv_fan_out(kv_conn *c, const kv_cmd *cmd, unsigned long long seq, int drop, int argc,
                const kv_str *argv, const kv_plan *plan)
{
    kv_shard *sh = c->sh;
    kv_req req;
    kv_fan *f;
    int p, owner;
    kv_req_for(&req, c, c->db, cmd, argc, argv);
    f = kv_fan_prepare(sh, c, &req, plan);
    owner = cmd->route == KV_ROUTE_KEYS;
    f->seq = seq;
    f->drop = drop;
    /* Spanning shards, a split command or a whole-keyspace one runs under
     * locks, so nobody sees it half done (the atomic multi-shard protocol). */
    if (f->nparts > 1 && (owner || (cmd->flags & KV_CMD_WHOLE))) {
        kv_txn_part *tp = calloc((size_t)f->nparts, sizeof *tp);
        kv_str *keys = owner ? malloc((size_t)plan->nkeys * sizeof *keys) : NULL;
        int k, used_keys = 0, step = cmd->key_step > 0 ? cmd->key_step : 1;
        if (!tp || (owner && !keys))
            abort();
        for (p = 0; p < f->nparts; p++) {
            tp[p].shard = f->parts[p].shard;
            tp[p].whole = !owner;
            if (!owner)
                continue;
            tp[p].keys = keys + used_keys;
            for (k = 0; k < f->parts[p].nkeys; k++)
                keys[used_keys++] = argv[plan->first + f->parts[p].keys[k] * step];
            tp[p].nkeys = f->parts[p].nkeys;
        }
        f->txn = kv_txn_new(sh, f->nparts, tp, kv_fan_launch, f);
        f->txn->cmd = cmd;
        free(tp);
        free(keys);
        kv_inflight_add(c, KV_BUSY_MANY);
        f->waited = 1;
        kv_txn_begin(sh, f->txn);
        return;
    }
    kv_fan_launch(sh, f);
}

/* Send the remote parts, run the home part (under the transaction's locks
 * when there is one). Uses the fan's own copy of argv. */
static void kv_fan_launch(kv_shard *sh, void *arg)
{
    kv_fan *f = arg;
    kv_conn *c = f->conn;
    int p, home = -1, split = f->req.cmd->route == KV_ROUTE_KEYS;
    kv_str *sub = malloc((size_t)f->req.argc * sizeof *sub);
    kv_req r = f->req;
    if (!sub)
        abort();
    if (f->txn)
        r.txn = f->txn->id;
    for (p = 0; p < f->nparts; p++) {
        kv_fan_part *part = &f->parts[p];
        kv_done done;
        if (part->shard == sh->id) {
            home = p;
            continue;
        }
        if (split) {
            r.argc = kv_part_argv(f, part, sub);
            r.argv = sub;
        }
        done.kind = KV_DONE_FAN;
        done.index = p;
        done.drop = 0;
        done.seq = f->seq;
        done.to.fan = f;
        kv_send_req(sh, part->shard, &r, &done);
    }
    if (home >= 0) {
        kv_fan_part *part = &f->parts[home];
        if (split) {
            r.argc = kv_part_argv(f, part, sub);
            r.argv = sub;
        }
        f->dur_us += kv_exec_part(sh, &r, &part->reply);
        f->remaining--;
    }
    free(sub);
    if (f->remaining == 0) {
        int waited = f->waited;
        kv_fan_complete(sh, f);
        if (waited)
            kv_inflight_done(c);
    } else if (!f->waited && !f->parent) {
        f->waited = 1;
        kv_inflight_add(c, KV_BUSY_MANY);
    }
}

/* A part's reply came back from another shard. */
void kv_fan_reply_in(kv_shard *sh, kv_msg *m)
{
    kv_fan *f = m->as.exec.done.to.fan;
    kv_conn *c = f->conn;
    int i = m->as.exec.done.index;
    kv_buf t = f->parts[i].reply;
    f->parts[i].reply = m->as.exec.reply;
    m->as.exec.reply = t;
    f->dur_us += m->as.exec.dur_us;
    if (--f->remaining == 0) {
        int counted = f->waited;
        kv_fan_complete(sh, f);
        if (counted)
            kv_inflight_done(c); /* a fan waiting on a reply was counted in flight */
    }
}
