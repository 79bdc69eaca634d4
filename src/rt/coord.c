/* Coordinations: commands whose keys live on several shards and cannot be
 * split (RENAME across shards, SMOVE, SINTERSTORE...). The command's coord
 * function runs on the home shard step by step; between steps it waits for
 * the sub-commands it sent. Sub-commands for the home shard run at once, so
 * a step with only local work goes straight on. The argv is copied: the
 * client's input buffer moves on while we wait. */
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
    return &r->buf[r->n++];
}

/* Reserve the next reply slot, to be filled later by a nested operation. */
static int kv_replies_slot(kv_coord_replies *r)
{
    kv_replies_next(r)->len = 0;
    return r->n - 1;
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

/* Run steps until the command is done or waits for another shard. */
static void kv_coord_run(kv_coord *co)
{
    kv_shard *sh = co->sh;
    kv_conn *c = co->conn;
    for (;;) {
        int alive = !(c->flags & KV_CONN_CLOSED), rc;
        unsigned was_exec;
        kv_coord_replies t;
        kv_ctx ctx;
        size_t from;
        /* The replies just gathered become readable; a fresh set fills. */
        t = co->done;
        co->done = co->fill;
        co->fill = t;
        kv_replies_clear(&co->fill);
        ctx.out.buf = alive ? kv_conn_reply_buf(c, co->seq) : &co->sink;
        ctx.out.proto = co->proto;
        ctx.out.errors = 0;
        ctx.state = sh->state;
        ctx.shard = sh;
        ctx.conn = alive ? c : NULL;
        ctx.cmd = co->cmd;
        ctx.db = co->db;
        ctx.home = sh->id;
        ctx.client_id = c->id;
        if (co->parent)
            ctx.out.buf = &co->sink; /* nested: the reply goes to the parent */
        from = ctx.out.buf->len;
        co->running = 1;
        was_exec = c->flags & KV_CONN_EXEC;
        c->flags |= KV_CONN_EXEC; /* a kill from inside a step waits for the reply */
        rc = co->cmd->coord(&ctx, co, co->argc, co->argv);
        c->flags = (c->flags & ~KV_CONN_EXEC) | was_exec;
        co->running = 0;
        co->step++;
        if (rc == KV_COORD_WAIT && co->fill.n == 0) {
            /* Waiting for nothing would never end: a command set bug. */
            kv_reply_error(&ctx.out, "ERR internal: coordination waits for nothing");
            rc = KV_COORD_DONE;
        }
        if (rc == KV_COORD_DONE) {
            if (co->txn) { /* all reads and writes are done: release */
                kv_txn_end(sh, co->txn);
                co->txn = NULL;
            }
            if (co->parent) {
                kv_coord *parent = co->parent;
                int slot = co->slot;
                kv_buf reply = co->sink;
                kv_buf_init(&co->sink);
                kv_coord_free(co);
                kv_coord_child_done(parent, slot, &reply);
                kv_buf_free(&reply);
                return;
            }
            kv_finish(c, co->cmd, co->seq, co->drop, co->argc, co->argv, co->start_us,
                      sh->now_us - co->start_us, alive ? NULL : &co->sink, alive ? from : 0,
                      ctx.out.errors);
            if (co->waited)
                kv_inflight_done(c);
            kv_coord_free(co);
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

/* Every key the command will touch: its lockkeys hook (EXEC), or its key
 * positions. Returns a malloc'd array (NULL if fewer than two keys and not
 * whole), n and *whole set. */
static kv_str *kv_coord_lock_keys(kv_coord *co, int *n, int *whole)
{
    kv_str *keys;
    int i;
    *whole = 0;
    if (co->cmd->lockkeys) {
        kv_ctx ctx;
        memset(&ctx, 0, sizeof ctx);
        ctx.state = co->sh->state;
        ctx.shard = co->sh;
        ctx.conn = co->conn;
        ctx.cmd = co->cmd;
        ctx.db = co->db;
        ctx.home = co->sh->id;
        ctx.client_id = co->conn->id;
        *n = co->cmd->lockkeys(&ctx, co->argc, co->argv, NULL, 0, whole);
        if (*n < 0)
            *n = 0;
        keys = malloc(((size_t)*n + 1) * sizeof *keys);
        if (!keys)
            abort();
        *n = co->cmd->lockkeys(&ctx, co->argc, co->argv, keys, *n, whole);
        return keys;
    } else {
        int posbuf[32], *pos = posbuf;
        *n = kv_cmd_key_positions(co->cmd, co->argc, co->argv, pos, 32);
        if (*n <= 1)
            return NULL;
        if (*n > 32) {
            if (!(pos = malloc((size_t)*n * sizeof *pos)))
                abort();
            *n = kv_cmd_key_positions(co->cmd, co->argc, co->argv, pos, *n);
        }
        keys = malloc((size_t)*n * sizeof *keys);
        if (!keys)
            abort();
        for (i = 0; i < *n; i++)
            keys[i] = co->argv[pos[i]];
        if (pos != posbuf)
            free(pos);
        return keys;
    }
}

/* The transaction covering every key of the command, grouped by shard in
 * ascending order; NULL if its keys are all on one shard after all. */
static kv_txn *kv_coord_locks(kv_coord *co)
{
    kv_shard *sh = co->sh;
    int n, i, s, np = 0, whole = 0;
    kv_str *src, *keys;
    kv_txn_part *tp;
    kv_txn *t = NULL;
    if (!(src = kv_coord_lock_keys(co, &n, &whole)))
        return NULL;
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
    free(src);
    /* One remote shard needs locks too: the steps run one at a time there,
     * and nothing may slip in between (EXEC's queue on another shard). */
    if (np > 1 || (np == 1 && tp[0].shard != sh->id))
        t = kv_txn_new(sh, np, tp, kv_coord_locked, co);
    free(tp);
    free(keys);
    return t;
}

void kv_coord_start(kv_conn *c, const kv_cmd *cmd, unsigned long long seq, int drop, int argc,
                    const kv_str *argv)
{
    kv_shard *sh = c->sh;
    kv_coord *co = calloc(1, sizeof *co + kv_argv_bytes(argc, argv));
    if (!co)
        abort();
    co->sh = sh;
    co->conn = c;
    co->seq = seq;
    co->cmd = cmd;
    co->db = c->db;
    co->proto = c->proto;
    co->drop = drop;
    co->start_us = sh->now_us;
    kv_buf_init(&co->sink);
    co->argc = argc;
    co->argv = kv_argv_copy_into(co + 1, argc, argv);
    co->next = sh->coords;
    if (sh->coords)
        sh->coords->prev = co;
    sh->coords = co;
    co->txn = kv_coord_locks(co);
    if (!co->txn) {
        kv_coord_run(co);
        return;
    }
    /* Run once every key of the command is locked, shard by shard. */
    co->waited = 1;
    kv_inflight_add(c, KV_BUSY_MANY);
    kv_txn_begin(sh, co->txn);
}

/* A sub-command's reply came back from another shard. */
void kv_coord_reply_in(kv_shard *sh, kv_msg *m)
{
    kv_coord *co = m->co;
    kv_buf t = co->fill.buf[m->part];
    (void)sh;
    co->fill.buf[m->part] = m->reply;
    m->reply = t;
    if (--co->pending == 0)
        kv_coord_run(co);
}

unsigned long long kv_coord_txn_id(const kv_coord *co)
{
    return co->txn ? co->txn->id : co->txn_id;
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

/* Start a coordination inside another (a queued command of EXEC whose keys
 * span shards): it runs under the parent's locks and reports to `slot`. */
static void kv_coord_nested(kv_coord *parent, int slot, const kv_cmd *cmd, int db, int argc,
                            const kv_str *argv)
{
    kv_shard *sh = parent->sh;
    kv_coord *co = calloc(1, sizeof *co + kv_argv_bytes(argc, argv));
    if (!co)
        abort();
    co->sh = sh;
    co->conn = parent->conn;
    co->seq = parent->seq;
    co->cmd = cmd;
    co->db = db;
    co->proto = parent->proto;
    co->start_us = sh->now_us;
    co->parent = parent;
    co->slot = slot;
    co->txn_id = kv_coord_txn_id(parent);
    kv_buf_init(&co->sink);
    co->argc = argc;
    co->argv = kv_argv_copy_into(co + 1, argc, argv);
    co->next = sh->coords;
    if (sh->coords)
        sh->coords->prev = co;
    sh->coords = co;
    kv_coord_run(co);
}

void kv_coord_send_cmd(kv_coord *co, int db, const kv_cmd *cmd, int argc, const kv_str *argv)
{
    kv_shard *sh = co->sh;
    kv_conn *c = co->conn;
    int ownerbuf[16], *owner = NULL, nkeys = 0, first = 0, last = 0, slot, target;
    target = kv_route_target(sh, cmd, argc, argv, &owner, &nkeys, &first, &last, ownerbuf);
    /* A coordination whose lock set is decided at run time (SORT with BY/GET
     * patterns) coordinates whenever that set leaves this shard. */
    if (cmd->route == KV_ROUTE_COORD && cmd->lockkeys && target != KV_BUSY_MANY &&
        kv_lockkeys_target(c, db, cmd, argc, argv) == KV_BUSY_MANY)
        target = KV_BUSY_MANY;
    if (cmd->route == KV_ROUTE_LOCAL) {
        /* A connection command (SELECT...) runs here, with the client. */
        kv_buf *reply = kv_replies_next(&co->fill);
        kv_ctx ctx;
        ctx.out.buf = reply;
        ctx.out.proto = co->proto;
        ctx.out.errors = 0;
        ctx.state = sh->state;
        ctx.shard = sh;
        ctx.conn = (c->flags & KV_CONN_CLOSED) ? NULL : c;
        ctx.cmd = cmd;
        ctx.db = db;
        ctx.home = sh->id;
        ctx.client_id = c->id;
        if (ctx.conn)
            cmd->exec(&ctx, argc, argv);
        else
            kv_reply_error(&ctx.out, "ERR client gone");
    } else if (cmd->route == KV_ROUTE_ALL || target == KV_BUSY_MANY) {
        /* Every shard, or keys spanning shards: a nested operation that
         * reports into a reserved slot (synchronously, or later). */
        slot = kv_replies_slot(&co->fill);
        co->pending++;
        if (cmd->route == KV_ROUTE_COORD)
            kv_coord_nested(co, slot, cmd, db, argc, argv);
        else
            kv_fan_nested(co, slot, cmd, db, argc, argv, cmd->route == KV_ROUTE_ALL ? NULL : owner,
                          nkeys, first, last);
    } else {
        kv_coord_send(co, target, db, cmd, argc, argv); /* one shard runs it whole */
    }
    if (owner && owner != ownerbuf)
        free(owner);
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
    kv_msg *m;
    if (shard == sh->id || shard < 0 || shard >= sh->n) {
        kv_exec_part(sh, cmd, db, co->proto, reply, argc, argv, sh->id, co->conn->id);
        return;
    }
    m = kv_msg_new(argc, argv);
    m->kind = KV_MSG_REQ;
    m->from = sh->id;
    m->proto = co->proto;
    m->db = db;
    m->conn = co->conn;
    m->co = co;
    m->txn = kv_coord_txn_id(co);
    m->client_id = co->conn->id;
    m->part = co->fill.n - 1;
    m->seq = co->seq;
    m->cmd = cmd;
    co->pending++;
    kv_shard_send(sh, shard, m);
    sh->stats.forwarded_commands++;
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

int kv_shard_of_key(const kv_shard *sh, const char *key, size_t n)
{
    return sh->n == 1 ? 0 : kv_slot_shard(kv_key_slot(key, n), sh->n);
}
