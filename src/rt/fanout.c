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

static void kv_fan_reduce_nested(kv_shard *sh, kv_fan *f);

static void kv_fan_complete(kv_shard *sh, kv_fan *f)
{
    if (f->txn) { /* every part ran: the transaction's effects are whole */
        kv_txn_end(sh, f->txn);
        f->txn = NULL;
    }
    if (f->parent) {
        kv_fan_reduce_nested(sh, f);
        return;
    }
    {
    kv_conn *c = f->conn;
    kv_part stackparts[8], *parts = stackparts;
    kv_buf sink, *out;
    kv_ctx ctx;
    size_t from;
    int i, alive = !(c->flags & KV_CONN_CLOSED);
    if (f->nparts > 8 && !(parts = malloc((size_t)f->nparts * sizeof *parts)))
        abort();
    for (i = 0; i < f->nparts; i++) {
        parts[i].reply = f->parts[i].reply.p;
        parts[i].len = f->parts[i].reply.len;
        parts[i].shard = f->parts[i].shard;
        parts[i].keys = f->parts[i].keys;
        parts[i].nkeys = f->parts[i].nkeys;
    }
    kv_buf_init(&sink);
    out = alive ? kv_conn_reply_buf(c, f->seq) : &sink;
    from = out->len;
    ctx.out.buf = out;
    ctx.out.proto = c->proto;
    ctx.out.errors = 0;
    ctx.state = sh->state;
    ctx.shard = sh;
    ctx.conn = alive ? c : NULL;
    ctx.cmd = f->cmd;
    ctx.db = f->db;
    ctx.home = sh->id;
    ctx.client_id = c->id;
    f->cmd->reduce(&ctx, parts, f->nparts);
    if (alive)
        kv_finish(c, f->cmd, f->seq, f->drop, f->argc, f->argv, f->start_us, f->dur_us, NULL,
                  from, ctx.out.errors);
    else
        kv_finish(c, f->cmd, f->seq, 1, f->argc, f->argv, f->start_us, f->dur_us, &sink, 0,
                  ctx.out.errors);
    kv_buf_free(&sink);
    if (parts != stackparts)
        free(parts);
    kv_fan_free(sh, f);
    }
}

static void kv_fan_launch(kv_shard *sh, void *arg);

/* Build the argv a shard runs for its part: the command's words before the
 * first key, each of its keys with the step's trailing arguments (MSET's
 * values), and whatever follows the last key. */
static int kv_part_argv(const kv_cmd *cmd, int argc, const kv_str *argv, int first, int last,
                        const int *keys, int nkeys, kv_str *out)
{
    int step = cmd->key_step > 0 ? cmd->key_step : 1, n = 0, i, j;
    for (i = 0; i < first; i++)
        out[n++] = argv[i];
    for (i = 0; i < nkeys; i++)
        for (j = 0; j < step; j++)
            out[n++] = argv[first + keys[i] * step + j];
    for (i = last + step; i < argc; i++)
        out[n++] = argv[i];
    return n;
}

/* The parts of a split command, ready to launch. `owner` holds each key's
 * shard (KV_ROUTE_KEYS) or is NULL (KV_ROUTE_ALL: every shard runs the whole
 * command). */
static kv_fan *kv_fan_prepare(kv_conn *c, const kv_cmd *cmd, int db, int argc,
                              const kv_str *argv, const int *owner, int nkeys, int first,
                              int last)
{
    kv_shard *sh = c->sh;
    int n = sh->n, i, p, used = 0;
    int *count = calloc((size_t)n, sizeof *count);
    kv_fan *f = calloc(1, sizeof *f + kv_argv_bytes(argc, argv));
    if (!count || !f)
        abort();
    f->conn = c;
    f->cmd = cmd;
    f->db = db;
    f->start_us = sh->now_us;
    f->argc = argc;
    f->argv = kv_argv_copy_into(f + 1, argc, argv);
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
    f->first = first;
    f->last = last;
    free(count);
    return f;
}

void kv_fan_nested(kv_coord *parent, int slot, const kv_cmd *cmd, int db, int argc,
                   const kv_str *argv, const int *owner, int nkeys, int first, int last)
{
    kv_fan *f = kv_fan_prepare(parent->conn, cmd, db, argc, argv, owner, nkeys, first, last);
    f->parent = parent;
    f->slot = slot;
    f->txn_id = kv_coord_txn_id(parent); /* runs under the parent's locks */
    kv_fan_launch(parent->sh, f);
}

/* A client's split command. */
void kv_fan_out(kv_conn *c, const kv_cmd *cmd, unsigned long long seq, int drop, int argc,
                const kv_str *argv, const int *owner, int nkeys, int first, int last)
{
    kv_shard *sh = c->sh;
    kv_fan *f = kv_fan_prepare(c, cmd, c->db, argc, argv, owner, nkeys, first, last);
    int p;
    f->seq = seq;
    f->drop = drop;
    /* Spanning shards, a split command or a whole-keyspace one runs under
     * locks, so nobody sees it half done (the atomic multi-shard protocol). */
    if (f->nparts > 1 && (owner || (cmd->flags & KV_CMD_WHOLE))) {
        kv_txn_part *tp = calloc((size_t)f->nparts, sizeof *tp);
        kv_str *keys = owner ? malloc((size_t)nkeys * sizeof *keys) : NULL;
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
                keys[used_keys++] = argv[first + f->parts[p].keys[k] * step];
            tp[p].nkeys = f->parts[p].nkeys;
        }
        f->txn = kv_txn_new(sh, f->nparts, tp, kv_fan_launch, f);
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
    const kv_cmd *cmd = f->cmd;
    int argc = f->argc, p, home = -1;
    const kv_str *argv = f->argv;
    int owner = cmd->route == KV_ROUTE_KEYS;
    kv_str *sub = malloc((size_t)argc * sizeof *sub);
    if (!sub)
        abort();
    for (p = 0; p < f->nparts; p++) {
        kv_fan_part *part = &f->parts[p];
        kv_msg *m;
        if (part->shard == sh->id) {
            home = p;
            continue;
        }
        if (owner)
            m = kv_msg_new(kv_part_argv(cmd, argc, argv, f->first, f->last, part->keys,
                                        part->nkeys, sub), sub);
        else
            m = kv_msg_new(argc, argv);
        m->txn = f->txn ? f->txn->id : f->txn_id;
        m->kind = KV_MSG_REQ;
        m->from = sh->id;
        m->proto = c->proto;
        m->db = c->db;
        m->conn = c;
        m->client_id = c->id;
        m->fan = f;
        m->part = p;
        m->seq = f->seq;
        m->cmd = cmd;
        kv_shard_send(sh, part->shard, m);
        sh->stats.forwarded_commands++;
    }
    if (home >= 0) {
        kv_fan_part *part = &f->parts[home];
        int subc = owner ? kv_part_argv(cmd, argc, argv, f->first, f->last, part->keys,
                                        part->nkeys, sub)
                         : argc;
        f->dur_us += kv_exec_part(sh, cmd, f->db, c->proto, &part->reply, subc,
                                  owner ? sub : argv, sh->id, c->id);
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

/* A nested fan's reply goes to its parent coordination, not to the client. */
static void kv_fan_reduce_nested(kv_shard *sh, kv_fan *f)
{
    kv_conn *c = f->conn;
    kv_part stackparts[8], *parts = stackparts;
    kv_buf out;
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
    kv_buf_init(&out);
    ctx.out.buf = &out;
    ctx.out.proto = f->parent->proto;
    ctx.out.errors = 0;
    ctx.state = sh->state;
    ctx.shard = sh;
    ctx.conn = (c->flags & KV_CONN_CLOSED) ? NULL : c;
    ctx.cmd = f->cmd;
    ctx.db = f->db;
    ctx.home = sh->id;
    ctx.client_id = c->id;
    f->cmd->reduce(&ctx, parts, f->nparts);
    if (parts != stackparts)
        free(parts);
    kv_coord_child_done(f->parent, f->slot, &out);
    kv_buf_free(&out);
    kv_fan_free(sh, f);
}

/* A part's reply came back from another shard. */
void kv_fan_reply_in(kv_shard *sh, kv_msg *m)
{
    kv_fan *f = m->fan;
    kv_conn *c = f->conn;
    kv_buf t = f->parts[m->part].reply;
    f->parts[m->part].reply = m->reply;
    m->reply = t;
    f->dur_us += m->dur_us;
    if (--f->remaining == 0) {
        int counted = !f->parent;
        kv_fan_complete(sh, f);
        if (counted)
            kv_inflight_done(c); /* a fan waiting on a reply was counted in flight */
    }
}
