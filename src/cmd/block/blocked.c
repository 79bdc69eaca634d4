/* The blocked client's side, on its home shard (block.h): the block it
 * waits in (a copy of its command, its timer, the shards holding its
 * registrations), ending it (served, timed out, unblocked, gone), and
 * serving it: here at once when everything is local, or, when a key on
 * another shard is ready, as a coordination under that key's lock
 * (kv_blk_serve) that puts the element back if the client went away or was
 * unblocked before its reply left, so nothing is lost or served twice. */
#include "cmd/block/block.h"

#include "cmd/persist/persist.h"
#include "cmd/server/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Why a block ends other than by being served. */
#define KV_END_TIMEOUT 1 /* its timeout */
#define KV_END_UNBLOCK 2 /* CLIENT UNBLOCK ... TIMEOUT: a timeout's reply */
#define KV_END_ERROR 3   /* CLIENT UNBLOCK ... ERROR */

typedef struct kv_block {
    kv_ticket t;
    const kv_blocker *b;
    int db;
    int proto;
    int argc;
    kv_str *argv;     /* a copy of the blocking command */
    int dst;          /* argv index of the destination, 0 if none */
    int *owners;      /* the shards holding its registrations */
    int nowners;
    kv_timer_id timer;
    int keyi;         /* served: the argv index of the key it was served from */
    int serving;      /* a serve from another shard's key is in flight */
    int end;          /* KV_END_*: asked while serving, applied after it */
    /* Once served: its reply, until it has left for the socket (else the
     * close puts the elements back). */
    struct kv_block *next;
    kv_buf reply;
} kv_block;

static kv_block *block_of(kv_conn *c)
{
    kv_session *s = c ? kv_conn_data(c) : NULL;
    return s ? s->block : NULL;
}

int kv_block_client_blocked(kv_conn *c)
{
    return block_of(c) != NULL;
}

void kv_block_ctx(kv_ctx *ctx, kv_shard *sh, kv_cmdstate *st, const kv_cmd *cmd, int db,
                  int proto, unsigned long long client_id, kv_buf *out)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->out.buf = out;
    ctx->out.proto = proto;
    ctx->state = st;
    ctx->shard = sh;
    ctx->cmd = cmd;
    ctx->db = db;
    ctx->home = kv_shard_id(sh);
    ctx->client_id = client_id;
}

int kv_block_is_null(const char *p, size_t n)
{
    return (n == 5 && (memcmp(p, "$-1\r\n", 5) == 0 || memcmp(p, "*-1\r\n", 5) == 0)) ||
           (n == 3 && memcmp(p, "_\r\n", 3) == 0);
}

/* ------------------------------------------------------------ a block */

static void block_timeout(kv_shard *sh, void *arg);

kv_str *kv_block_argv_dup(int argc, const kv_str *argv)
{
    size_t bytes = 1;
    kv_str *out;
    char *p;
    int i;
    for (i = 0; i < argc; i++)
        bytes += sizeof(kv_str) + argv[i].n;
    if (!(out = malloc(bytes)))
        abort();
    p = (char *)(out + argc);
    for (i = 0; i < argc; i++) {
        memcpy(p, argv[i].p, argv[i].n);
        out[i].p = p;
        out[i].n = argv[i].n;
        p += argv[i].n;
    }
    return out;
}

/* A block for ctx's client, with a copy of its command. */
static kv_block *block_new(const kv_ctx *ctx, const kv_ticket *t, const kv_blocker *b, int argc,
                           const kv_str *argv)
{
    kv_block *blk = calloc(1, sizeof *blk);
    if (!blk)
        abort();
    blk->t = *t;
    blk->b = b;
    blk->db = ctx->db;
    blk->proto = ctx->out.proto;
    blk->argc = argc;
    blk->argv = kv_block_argv_dup(argc, argv);
    return blk;
}

void kv_block_begin(kv_ctx *ctx, kv_conn *c, const kv_ticket *t, const kv_blocker *b, int argc,
                    const kv_str *argv, const kv_blockargs *a, const int *owners, int nowners)
{
    kv_cmdstate *st = kv_state(ctx);
    kv_session *s = kv_conn_data(c);
    kv_block *blk = block_new(ctx, t, b, argc, argv);
    if (!s || !(blk->owners = malloc((size_t)(nowners + 1) * sizeof *blk->owners)))
        abort();
    blk->dst = a->dst;
    memcpy(blk->owners, owners, (size_t)nowners * sizeof *owners);
    blk->nowners = nowners;
    if (a->timeout_ms > 0) {
        blk->timer = kv_timer_add(ctx->shard, a->timeout_ms, 0, block_timeout, blk);
        st->blocked_with_timeout++;
    }
    s->block = blk;
    st->blocked_clients++;
}

static void block_release(kv_block *blk)
{
    free(blk->owners);
    free(blk->argv);
    kv_buf_free(&blk->reply);
    free(blk);
}

/* A delegated block's keys and destination (room for argc): its
 * blk-unregister names them, so that it waits, as its blk-try may still be
 * waiting, for a transaction holding one; a keyless one would overtake the
 * try, which then registered, or served, a client already gone. */
static int block_keys(const kv_block *blk, kv_str *keys)
{
    kv_blockargs a;
    int *idx = malloc((size_t)(blk->argc + 1) * sizeof *idx), n = 0, i;
    if (!idx)
        abort();
    a.keyidx = idx;
    if (blk->b->parse(NULL, blk->argc, blk->argv, &a) == 0) {
        for (i = 0; i < a.nkeys; i++)
            keys[n++] = blk->argv[idx[i]];
        if (a.dst)
            keys[n++] = blk->argv[a.dst];
    }
    free(idx);
    return n;
}

/* The block is over: timer, registrations on every shard, counters. The
 * struct is the caller's (freed, or kept as served). `taker`: the shard
 * whose direct serve ended it (told blk-taken, not blk-unregister), or -1. */
static void block_unregister_from(kv_shard *sh, kv_cmdstate *st, kv_conn *c, kv_block *blk,
                                  int taker)
{
    kv_session *s = kv_conn_data(c);
    char id[24], seq[24];
    kv_str *a = malloc((size_t)(blk->argc + 4) * sizeof *a);
    int i, n = 3;
    if (!a)
        abort();
    if (blk->timer) {
        kv_timer_cancel(sh, blk->timer);
        blk->timer = 0;
        st->blocked_with_timeout--;
    }
    a[0].p = "blk-unregister";
    a[0].n = 14;
    a[1].p = id;
    a[1].n = (size_t)snprintf(id, sizeof id, "%llu", blk->t.client_id);
    a[2].p = seq;
    a[2].n = (size_t)snprintf(seq, sizeof seq, "%llu", blk->t.seq);
    if (blk->nowners == 1 && blk->owners[0] != kv_shard_id(sh))
        n += block_keys(blk, a + 3);
    for (i = 0; i < blk->nowners; i++)
        kv_shard_cast(sh, blk->owners[i],
                      blk->owners[i] == taker ? &kv_blk_taken : &kv_blk_unregister, blk->db, n,
                      a);
    free(a);
    if (s && s->block == blk)
        s->block = NULL;
    st->blocked_clients--;
}

static void block_unregister(kv_shard *sh, kv_cmdstate *st, kv_conn *c, kv_block *blk)
{
    block_unregister_from(sh, st, c, blk, -1);
}

static void block_free(kv_shard *sh, kv_cmdstate *st, kv_conn *c, kv_block *blk)
{
    block_unregister(sh, st, c, blk);
    block_release(blk);
}

/* Forget the served replies that have left for the socket. */
static void served_prune(kv_conn *c, kv_session *s)
{
    kv_block **pp = &s->served, *b;
    while ((b = *pp) != NULL) {
        if (kv_conn_reply_sent(c, b->t.seq)) {
            *pp = b->next;
            block_release(b);
        } else {
            pp = &b->next;
        }
    }
}

/* The block is served with the reply (r, n), about to be delivered: keep
 * it until it leaves, so that a close before undoes the pop. (A move is
 * not kept: its element is in the destination, not lost, and moving "it"
 * back later could take another.) */
static void block_served(kv_conn *c, kv_block *blk, const char *r, size_t n)
{
    kv_session *s = kv_conn_data(c);
    if (!s || blk->dst || !blk->b->undo || !n || r[0] == '-' || kv_block_is_null(r, n)) {
        block_release(blk);
        return;
    }
    served_prune(c, s);
    kv_buf_init(&blk->reply);
    kv_buf_append(&blk->reply, r, n);
    kv_conn_track_reply(c, blk->t.seq);
    blk->next = s->served;
    s->served = blk;
}

void kv_block_keep_reply(kv_ctx *ctx, const kv_ticket *t, const kv_blocker *b, int argc,
                         const kv_str *argv, int keyi, const char *r, size_t n)
{
    kv_block *blk = block_new(ctx, t, b, argc, argv);
    blk->keyi = keyi;
    block_served(ctx->conn, blk, r, n);
}

void kv_block_run_undo(kv_shard *sh, const kv_blocker *b, int argc, const kv_str *argv, int keyi,
                       int db, int proto, const char *r, size_t n)
{
    kv_str *sub, rr;
    const kv_str *key = &argv[keyi];
    char scratch[64];
    const kv_cmd *cmd;
    int m;
    if (!b->undo || !n || r[0] == '-' || kv_block_is_null(r, n))
        return;
    if (!(sub = malloc((2 * n + 8) * sizeof *sub)))
        abort();
    rr.p = r;
    rr.n = n;
    m = b->undo(argc, argv, keyi, rr, proto, sub, scratch, &cmd);
    if (m > 0 && cmd->route != KV_ROUTE_COORD) /* a move stays where it went */
        kv_shard_cast(sh, kv_shard_of_key(sh, key->p, key->n), cmd, db, m, sub);
    free(sub);
}

/* Put back what a served reply that never left took. */
static void served_undo(kv_shard *sh, const kv_block *blk)
{
    kv_block_run_undo(sh, blk->b, blk->argc, blk->argv, blk->keyi, blk->db, blk->proto,
                      blk->reply.p, blk->reply.len);
}

/* End the block with this reply (a timeout's, an unblock's). */
static void block_end(kv_shard *sh, kv_cmdstate *st, kv_conn *c, kv_block *blk, const char *p,
                      size_t n)
{
    kv_ticket t = blk->t;
    block_free(sh, st, c, blk);
    kv_shard_resume(sh, &t, p, n);
}

/* The reply of a block that ends without an element: a timeout's, or
 * CLIENT UNBLOCK ERROR's. */
static void end_reply(const kv_block *blk, int end, kv_buf *out)
{
    kv_reply r;
    r.buf = out;
    r.proto = blk->proto;
    r.errors = 0;
    if (end == KV_END_ERROR)
        kv_reply_error(&r, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
    else
        blk->b->timeout(&r);
}

/* For the statistics of the reply about to go (svc.c). */
static void set_end(kv_conn *c, int end)
{
    kv_session *s = kv_conn_data(c);
    if (s)
        s->block_end = end == KV_END_TIMEOUT ? KV_BLOCK_END_TIMEOUT
                     : end ? KV_BLOCK_END_UNBLOCK : KV_BLOCK_END_SERVED;
}

static void block_end_none(kv_shard *sh, kv_cmdstate *st, kv_conn *c, kv_block *blk, int end)
{
    kv_buf out;
    kv_buf_init(&out);
    end_reply(blk, end, &out);
    set_end(c, end);
    block_end(sh, st, c, blk, out.p ? out.p : "", out.len);
    kv_buf_free(&out);
}

static void block_timeout(kv_shard *sh, void *arg)
{
    kv_block *blk = arg;
    kv_conn *c = kv_shard_find_conn(sh, blk->t.client_id);
    kv_cmdstate *st = kv_shard_state(sh);
    blk->timer = 0;
    st->blocked_with_timeout--;
    if (blk->serving) {
        if (!blk->end)
            blk->end = KV_END_TIMEOUT;
        return;
    }
    block_end_none(sh, st, c, blk, KV_END_TIMEOUT);
}

int kv_block_unblock(kv_shard *sh, kv_cmdstate *st, unsigned long long id, int error)
{
    kv_conn *c = kv_shard_find_conn(sh, id);
    kv_block *blk = block_of(c);
    if (!blk)
        return 0;
    if (blk->serving) {
        blk->end = error ? KV_END_ERROR : KV_END_UNBLOCK;
        return 1;
    }
    block_end_none(sh, st, c, blk, error ? KV_END_ERROR : KV_END_UNBLOCK);
    return 1;
}

void kv_block_client_gone(kv_shard *sh, kv_cmdstate *st, kv_conn *c)
{
    kv_session *s = kv_conn_data(c);
    kv_block *blk = block_of(c), *b;
    if (blk)
        block_free(sh, st, c, blk); /* a serve in flight undoes by itself */
    /* Replies that served it and never left: their elements go back. */
    while (s && (b = s->served) != NULL) {
        s->served = b->next;
        if (!kv_conn_reply_sent(c, b->t.seq))
            served_undo(sh, b);
        block_release(b);
    }
}

/* ------------------------------------------------------------ serving */

int kv_block_run_serve(kv_shard *sh, kv_cmdstate *st, const kv_blocker *b, int argc,
                       const kv_str *argv, int keyi, int later, int db, int proto,
                       unsigned long long client_id, kv_buf *out)
{
    kv_str *sub = malloc((size_t)(argc + 4) * sizeof *sub);
    char scratch[64];
    const kv_cmd *cmd;
    kv_ctx ctx;
    int n;
    if (!sub)
        abort();
    n = b->serve(argc, argv, keyi, later, sub, scratch, &cmd);
    kv_block_ctx(&ctx, sh, st, cmd, db, proto, client_id, out);
    cmd->exec(&ctx, n, sub);
    /* Served outside any command (after the unit of work that filled the
     * key): the serve said what the AOF logs (kv_propagate: LPOP key,
     * ZPOPMIN key, LMOVE...), done here as the runtime does after a
     * command. */
    kv_aof_executed(&ctx, n, sub);
    free(sub);
    return !kv_block_is_null(out->p ? out->p : "", out->len);
}

/* The block is served from argv[keyi] with the reply (r, n): end it, keep
 * the pop until the reply leaves, and queue the reply (here). */
static void deliver(kv_shard *sh, kv_cmdstate *st, kv_conn *c, kv_block *blk, int keyi,
                    const char *r, size_t n, int taker)
{
    kv_ticket mine = blk->t;
    blk->keyi = keyi;
    set_end(c, 0);
    block_unregister_from(sh, st, c, blk, taker);
    block_served(c, blk, r, n);
    kv_shard_resume(sh, &mine, r, n);
}

int kv_block_serve_here(kv_shard *sh, kv_cmdstate *st, const kv_ticket *t, int keyi, int db)
{
    kv_conn *c = kv_shard_find_conn(sh, t->client_id);
    kv_block *blk = block_of(c);
    kv_buf out;
    (void)db;
    if (!blk || blk->t.seq != t->seq)
        return KV_SERVE_GONE;
    if (blk->serving)
        return KV_SERVE_BUSY;
    kv_buf_init(&out);
    if (!kv_block_run_serve(sh, st, blk->b, blk->argc, blk->argv, keyi, 1, blk->db, blk->proto,
                            blk->t.client_id, &out)) {
        kv_buf_free(&out);
        return KV_SERVE_LOST;
    }
    deliver(sh, st, c, blk, keyi, out.p, out.len, -1);
    kv_buf_free(&out);
    return KV_SERVE_DONE;
}

/* blk-served owner id seq keyi reply (cast to the client's home): a direct
 * registration served it. Taken if the block still waits (the owner is
 * told blk-taken); else ignored: the block's end told the owner
 * blk-unregister, and the owner puts the element back. */
static void kv_exec_served(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long owner = 0, id = 0, seq = 0, keyi = 0;
    kv_conn *c;
    kv_block *blk;
    (void)argc;
    kv_arg_ll(&argv[1], &owner);
    kv_arg_ll(&argv[2], &id);
    kv_arg_ll(&argv[3], &seq);
    kv_arg_ll(&argv[4], &keyi);
    c = kv_shard_find_conn(ctx->shard, (unsigned long long)id);
    blk = block_of(c);
    if (!blk || blk->t.seq != (unsigned long long)seq || blk->serving)
        return;
    deliver(ctx->shard, kv_state(ctx), c, blk, (int)keyi, argv[5].p, argv[5].n, (int)owner);
}

const kv_cmd kv_blk_served = {.name = "blk-served", .arity = 6, .exec = kv_exec_served};

/* Answer an owner's READY. */
static void send_outcome(kv_shard *sh, int owner, int db, unsigned long long id,
                         unsigned long long seq, const kv_str *key, int result)
{
    char a1[24], a2[24], a4[4];
    kv_str a[5];
    a[0].p = "blk-outcome";
    a[0].n = 11;
    a[1].p = a1;
    a[1].n = (size_t)snprintf(a1, sizeof a1, "%llu", id);
    a[2].p = a2;
    a[2].n = (size_t)snprintf(a2, sizeof a2, "%llu", seq);
    a[3] = *key;
    a[4].p = a4;
    a[4].n = (size_t)snprintf(a4, sizeof a4, "%d", result);
    kv_shard_cast(sh, owner, &kv_blk_outcome, db, 5, a);
}

/* Ask every owner to look at this block's keys again (a serve failed). */
static void retouch(kv_shard *sh, const kv_block *blk)
{
    char id[24], seq[24];
    kv_str a[3];
    int i;
    a[0].p = "blk-retouch";
    a[0].n = 11;
    a[1].p = id;
    a[1].n = (size_t)snprintf(id, sizeof id, "%llu", blk->t.client_id);
    a[2].p = seq;
    a[2].n = (size_t)snprintf(seq, sizeof seq, "%llu", blk->t.seq);
    for (i = 0; i < blk->nowners; i++)
        kv_shard_cast(sh, blk->owners[i], &kv_blk_retouch, blk->db, 3, a);
}

/* blk-ready owner id seq key keyi (cast to the client's home, db as the
 * key's): the owner offers a ready key; serve from it under its lock. */
static void kv_exec_ready(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long owner = 0, id = 0, seq = 0, keyi = 0;
    kv_conn *c;
    kv_block *blk;
    kv_str sub[6];
    (void)argc;
    kv_arg_ll(&argv[1], &owner);
    kv_arg_ll(&argv[2], &id);
    kv_arg_ll(&argv[3], &seq);
    kv_arg_ll(&argv[5], &keyi);
    c = kv_shard_find_conn(ctx->shard, (unsigned long long)id);
    blk = block_of(c);
    if (!blk || blk->t.seq != (unsigned long long)seq) {
        send_outcome(ctx->shard, (int)owner, ctx->db, (unsigned long long)id,
                     (unsigned long long)seq, &argv[4], KV_SERVE_GONE);
        return;
    }
    if (blk->serving) {
        send_outcome(ctx->shard, (int)owner, ctx->db, blk->t.client_id, blk->t.seq, &argv[4],
                     KV_SERVE_BUSY);
        return;
    }
    blk->serving = 1;
    sub[0].p = "blk-serve";
    sub[0].n = 9;
    sub[1] = argv[4]; /* the ready key */
    sub[2] = argv[5]; /* its argv index */
    sub[3] = argv[1]; /* its shard */
    sub[4] = argv[2]; /* the ticket */
    sub[5] = argv[3];
    if (kv_shard_resume_cmd(ctx->shard, &blk->t, &kv_blk_serve, 6, sub) != 0) {
        blk->serving = 0;
        send_outcome(ctx->shard, (int)owner, ctx->db, blk->t.client_id, blk->t.seq, &argv[4],
                     KV_SERVE_GONE);
    }
}

const kv_cmd kv_blk_ready = {.name = "blk-ready", .arity = 6, .exec = kv_exec_ready};

/* The serve, a coordination at the client's home under the lock of the
 * ready key (and BLMOVE's destination): run the serve request, then hand
 * its reply to the client if it still waits, else put the element back. */
typedef struct serve_state {
    kv_ticket t;
    int owner;      /* the shard that offered the key */
    int keyi;
    int served;     /* the serve request replied something */
    int end;        /* why the client will not take it: KV_END_*, or -1 gone */
    kv_block copy;  /* the block's command, kept: the client may go */
    kv_buf reply;
} serve_state;

static void serve_state_free(void *p)
{
    serve_state *s = p;
    free(s->copy.argv);
    kv_buf_free(&s->reply);
    free(s);
}

/* The client's block, if this serve is still its. */
static kv_block *serve_block(kv_ctx *ctx, const serve_state *s)
{
    kv_block *blk = block_of(ctx->conn);
    return blk && blk->t.seq == s->t.seq ? blk : NULL;
}

/* Send a serve (or undo) request: to the ready key's shard, or nested
 * when it is a coordination of its own (LMOVE to elsewhere). */
static void serve_send(kv_ctx *ctx, kv_coord *co, const serve_state *s, int n, kv_str *sub,
                       const kv_cmd *cmd)
{
    const kv_str *key = &s->copy.argv[s->keyi];
    if (cmd->route == KV_ROUTE_COORD)
        kv_coord_send_cmd(co, s->copy.db, cmd, n, sub);
    else
        kv_coord_send(co, kv_shard_of_key(ctx->shard, key->p, key->n), s->copy.db, cmd, n, sub);
}

static int kv_coord_serve(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    kv_cmdstate *st = kv_state(ctx);
    serve_state *s = kv_coord_data(co);
    kv_block *blk;
    kv_str *sub, r;
    char scratch[64];
    const kv_cmd *cmd;
    int n;
    (void)argc;
    if (kv_coord_step(co) == 0) {
        long long keyi = 0, owner = 0, id = 0, seq = 0;
        if (!(s = calloc(1, sizeof *s)))
            abort();
        kv_coord_set_data(co, s, serve_state_free);
        kv_buf_init(&s->reply);
        kv_arg_ll(&argv[2], &keyi);
        kv_arg_ll(&argv[3], &owner);
        kv_arg_ll(&argv[4], &id);
        kv_arg_ll(&argv[5], &seq);
        s->keyi = (int)keyi;
        s->owner = (int)owner;
        s->t.client_id = (unsigned long long)id;
        s->t.seq = (unsigned long long)seq;
        blk = serve_block(ctx, s);
        if (!blk || blk->end) {
            /* Gone, unblocked or timed out while the locks were taken. */
            send_outcome(ctx->shard, s->owner, ctx->db, s->t.client_id, s->t.seq, &argv[1],
                         KV_SERVE_GONE);
            if (blk) {
                blk->serving = 0;
                end_reply(blk, blk->end, ctx->out.buf);
                set_end(ctx->conn, blk->end);
                block_free(ctx->shard, st, ctx->conn, blk);
            }
            return KV_COORD_DONE;
        }
        s->copy = *blk;
        s->copy.argv = kv_block_argv_dup(blk->argc, blk->argv); /* the client may go */
        s->copy.owners = NULL;
        sub = malloc((size_t)(blk->argc + 4) * sizeof *sub);
        if (!sub)
            abort();
        n = blk->b->serve(blk->argc, blk->argv, s->keyi, 1, sub, scratch, &cmd);
        serve_send(ctx, co, s, n, sub, cmd);
        free(sub);
        return KV_COORD_WAIT;
    }
    blk = serve_block(ctx, s);
    if (kv_coord_step(co) == 1) {
        r = kv_coord_reply(co, 0);
        s->served = !kv_block_is_null(r.p, r.n);
        kv_buf_append(&s->reply, r.p, r.n);
        if (blk && !blk->end && s->served) {
            /* Served: the reply is the client's, the block is over. */
            send_outcome(ctx->shard, s->owner, s->copy.db, s->t.client_id, s->t.seq,
                         &argv[1], KV_SERVE_DONE);
            blk->serving = 0;
            blk->keyi = s->keyi;
            kv_reply_raw(&ctx->out, r.p, r.n);
            if (r.n && r.p[0] == '-')
                ctx->out.errors++;
            set_end(ctx->conn, 0);
            block_unregister(ctx->shard, st, ctx->conn, blk);
            block_served(ctx->conn, blk, r.p, r.n);
            return KV_COORD_DONE;
        }
        if (blk && !blk->end) {
            /* The key was empty by then: wait on, and let every owner look
             * again (a key offered meanwhile was answered BUSY). */
            kv_ticket t;
            send_outcome(ctx->shard, s->owner, s->copy.db, s->t.client_id, s->t.seq, &argv[1],
                         KV_SERVE_LOST);
            blk->serving = 0;
            retouch(ctx->shard, blk);
            if (kv_coord_suspend(co, &t) == 0)
                return KV_COORD_SUSPENDED;
            blk->b->none(&ctx->out); /* cannot happen: the serve runs top-level */
            block_free(ctx->shard, st, ctx->conn, blk);
            return KV_COORD_DONE;
        }
        /* The client went away, or was unblocked or timed out meanwhile:
         * put back what the serve took, before the locks go. */
        s->end = blk ? blk->end : -1;
        send_outcome(ctx->shard, s->owner, s->copy.db, s->t.client_id, s->t.seq, &argv[1],
                     KV_SERVE_GONE);
        if (s->served && !(r.n && r.p[0] == '-')) {
            kv_str rr;
            rr.p = s->reply.p;
            rr.n = s->reply.len;
            sub = malloc((size_t)(2 * rr.n + 8) * sizeof *sub);
            if (!sub)
                abort();
            n = s->copy.b->undo(s->copy.argc, s->copy.argv, s->keyi, rr, s->copy.proto, sub,
                                scratch, &cmd);
            if (n > 0) {
                serve_send(ctx, co, s, n, sub, cmd);
                free(sub);
                return KV_COORD_WAIT;
            }
            free(sub);
        }
    }
    /* Done: the reply the client gets instead (a gone client gets none). */
    if (blk) {
        blk->serving = 0;
        if (s->end > 0) {
            end_reply(blk, s->end, ctx->out.buf);
            set_end(ctx->conn, s->end);
        }
        block_free(ctx->shard, st, ctx->conn, blk);
    }
    return KV_COORD_DONE;
}

/* blk-serve key keyi owner id seq: it locks the key and the destination. */
static int kv_lockkeys_serve(kv_ctx *ctx, int argc, const kv_str *argv, kv_str *keys, int max,
                             int *whole)
{
    kv_block *blk = block_of(ctx->conn);
    int n = 0;
    (void)argc;
    *whole = 0;
    if (max > n)
        keys[n] = argv[1];
    n++;
    if (blk && blk->dst) {
        if (max > n)
            keys[n] = blk->argv[blk->dst];
        n++;
    }
    return n;
}

static void kv_exec_serve(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    (void)argv;
    kv_reply_error(&ctx->out, "ERR internal: blk-serve runs coordinated");
}

/* A write: its parts pop (and push, for BLMOVE) on the keys' shards, which
 * the AOF keeps only when the coordination that made them is one. */
const kv_cmd kv_blk_serve = {.name = "blk-serve", .arity = 6, .flags = KV_CMD_WRITE,
                             .route = KV_ROUTE_COORD, .exec = kv_exec_serve,
                             .coord = kv_coord_serve, .lockkeys = kv_lockkeys_serve};
