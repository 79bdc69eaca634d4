/* Routing a command: look it up, check arity, find the shard(s) owning its
 * keys, then run it inline (home shard: zero copy, no lock, no message),
 * forward a copy to one other shard, split it over several (fanout.c), or
 * coordinate it (coord.c). Every path ends in kv_finish, which delivers the
 * reply in order and reports the command to the command set.
 *
 * Program order: a connection's commands take effect in the order sent. A
 * command may be issued while earlier ones are in flight only if it goes to
 * the same single remote shard (whose ring is FIFO); otherwise it waits. So a
 * pipeline "SET data; LPUSH queue" can never be observed out of order by
 * another client, even though the two keys live on different cores. */
#define _POSIX_C_SOURCE 200809L
#include "rt/internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

long long kv_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* ---------------------------------------------------------------- keys */

/* Key argument positions, Redis's legacy (first, last, step) spec. Returns
 * the number of keys; 0 if the command has none at this argc. */
static int kv_key_range(const kv_cmd *cmd, int argc, int *first, int *last)
{
    int f = cmd->first_key, l = cmd->last_key, step = cmd->key_step > 0 ? cmd->key_step : 1;
    if (f <= 0 || f >= argc)
        return 0;
    if (l < 0)
        l = argc + l;
    if (l >= argc)
        l = argc - 1;
    if (l < f)
        return 0;
    *first = f;
    *last = f + ((l - f) / step) * step;
    return (l - f) / step + 1;
}

int kv_cmd_key_positions(const kv_cmd *cmd, int argc, const kv_str *argv, int *pos, int max)
{
    int first, last, n, i, step = cmd->key_step > 0 ? cmd->key_step : 1;
    if (cmd->getkeys)
        return cmd->getkeys(argc, argv, pos, max);
    n = kv_key_range(cmd, argc, &first, &last);
    for (i = 0; i < n && i < max; i++)
        pos[i] = first + i * step;
    return n;
}

/* Does running cmd on this shard now cut into another transaction's locks?
 * (Callers test sh->locks.held first: the hot path pays that one branch.) */
static int kv_keys_locked(kv_shard *sh, unsigned long long txn, const kv_cmd *cmd, int argc,
                          const kv_str *argv)
{
    int posbuf[16], *pos = posbuf, n, i, blocked;
    kv_str keybuf[16], *keys = keybuf;
    if (sh->locks.whole && sh->locks.whole != txn && cmd->route != KV_ROUTE_LOCAL)
        return 1;
    n = kv_cmd_key_positions(cmd, argc, argv, pos, 16);
    if (n <= 0)
        return 0;
    if (n > 16) {
        pos = malloc((size_t)n * sizeof *pos);
        keys = malloc((size_t)n * sizeof *keys);
        if (!pos || !keys)
            abort();
        n = kv_cmd_key_positions(cmd, argc, argv, pos, n);
    }
    for (i = 0; i < n; i++)
        keys[i] = argv[pos[i]];
    blocked = kv_locks_conflict(&sh->locks, txn, keys, n);
    if (pos != posbuf) {
        free(pos);
        free(keys);
    }
    return blocked;
}

int kv_command_keys(const kv_cmd *cmd, int argc, const kv_str *argv, int *pos, int max)
{
    return kv_cmd_key_positions(cmd, argc, argv, pos, max);
}

int kv_msg_blocked(kv_shard *sh, const kv_msg *m)
{
    return sh->locks.held && !m->txn && kv_keys_locked(sh, 0, m->cmd, m->argc, m->argv);
}

static int kv_arity_ok(const kv_cmd *cmd, int argc)
{
    return cmd->arity >= 0 ? argc == cmd->arity : argc >= -cmd->arity;
}

/* Which shard runs a command: one shard's index, or KV_BUSY_MANY when it
 * spans shards. For KV_ROUTE_KEYS, *owner gets each key's shard. */
int kv_route_target(kv_shard *sh, const kv_cmd *cmd, int argc, const kv_str *argv, int **owner,
                    int *nkeys, int *first, int *last, int *ownerbuf)
{
    int posbuf[16], *pos = posbuf, n, i, target = sh->id;
    if (cmd->route == KV_ROUTE_LOCAL)
        return sh->id;
    if (cmd->route == KV_ROUTE_ALL)
        return sh->n > 1 ? KV_BUSY_MANY : sh->id;
    if (sh->n == 1)
        return sh->id;
    if (cmd->route == KV_ROUTE_CUSTOM) {
        int t = cmd->target(sh->n, argc, argv);
        return t >= 0 && t < sh->n ? t : sh->id;
    }
    if (cmd->route == KV_ROUTE_KEYS) {
        int step = cmd->key_step > 0 ? cmd->key_step : 1;
        n = kv_key_range(cmd, argc, first, last);
        if (n <= 0)
            return sh->id;
        *owner = n <= 16 ? ownerbuf : malloc((size_t)n * sizeof **owner);
        if (!*owner)
            abort();
        for (i = 0; i < n; i++) {
            const kv_str *k = &argv[*first + i * step];
            (*owner)[i] = kv_slot_shard(kv_key_slot(k->p, k->n), sh->n);
            if (i == 0)
                target = (*owner)[0];
            else if ((*owner)[i] != target)
                target = KV_BUSY_MANY;
        }
        *nkeys = n;
        return target;
    }
    n = kv_cmd_key_positions(cmd, argc, argv, pos, 16);
    if (n > 16) {
        if (!(pos = malloc((size_t)n * sizeof *pos)))
            abort();
        n = kv_cmd_key_positions(cmd, argc, argv, pos, n);
    }
    if (cmd->route == KV_ROUTE_KEY && n > 1)
        n = 1;
    /* No keys, or malformed: run at home, where exec reports the error. */
    for (i = 0; i < n; i++) {
        const kv_str *k = &argv[pos[i]];
        int s = kv_slot_shard(kv_key_slot(k->p, k->n), sh->n);
        if (i == 0)
            target = s;
        else if (s != target)
            target = KV_BUSY_MANY;
    }
    if (pos != posbuf)
        free(pos);
    return target;
}

/* ------------------------------------------------------------ finishing */

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

void kv_after_exec(kv_conn *c, const kv_cmd *cmd, int argc, const kv_str *argv,
                   long long start_us, long long dur_us, int rejected, const char *reply,
                   size_t len)
{
    const kv_cmdset *cs = &c->sh->rt->cfg.cmds;
    kv_exec_info info;
    if (!cs->after_exec)
        return;
    info.cmd = cmd;
    info.argc = argc;
    info.argv = argv;
    info.start_us = start_us;
    info.duration_us = dur_us;
    info.rejected = rejected;
    info.reply = reply;
    info.reply_len = len;
    cs->after_exec(c->sh, c->sh->state,
                   (c->flags & KV_CONN_CLOSED) ? NULL : c, &info);
}

void kv_finish(kv_conn *c, const kv_cmd *cmd, unsigned long long seq, int drop, int argc,
               const kv_str *argv, long long start_us, long long dur_us, kv_buf *src,
               size_t from, unsigned long errors)
{
    kv_buf *b = src ? src : kv_conn_reply_buf(c, seq);
    const char *reply = b->p ? b->p + from : "";
    size_t len = b->len - from;
    c->sh->stats.total_error_replies += (long long)errors;
    kv_after_exec(c, cmd, argc, argv, start_us, dur_us, 0, reply, len);
    if (c->flags & KV_CONN_CLOSED)
        return;
    if (drop)
        b->len = from;
    kv_conn_reply_done(c, seq, src);
}

/* ------------------------------------------------------------ execution */

long long kv_exec_part(kv_shard *sh, const kv_cmd *cmd, int db, int proto, kv_buf *reply,
                       int argc, const kv_str *argv, int home, unsigned long long client_id)
{
    long long t0 = kv_mono_us();
    kv_ctx ctx;
    ctx.out.buf = reply;
    ctx.out.proto = proto;
    ctx.out.errors = 0;
    ctx.state = sh->state;
    ctx.shard = sh;
    ctx.conn = NULL;
    ctx.cmd = cmd;
    ctx.db = db;
    ctx.home = home;
    ctx.client_id = client_id;
    cmd->exec(&ctx, argc, argv);
    return kv_mono_us() - t0;
}

static void kv_forward(kv_conn *c, const kv_cmd *cmd, unsigned long long seq, int drop,
                       int dst, int argc, const kv_str *argv)
{
    kv_shard *sh = c->sh;
    kv_msg *m = kv_msg_new(argc, argv);
    m->kind = KV_MSG_REQ;
    m->from = sh->id;
    m->proto = c->proto;
    m->db = c->db;
    m->conn = c;
    m->client_id = c->id;
    m->seq = seq;
    m->drop = drop;
    m->cmd = cmd;
    kv_shard_send(sh, dst, m);
    sh->stats.forwarded_commands++;
    kv_inflight_add(c, dst);
}

/* A command with a run-time lock set (EXEC): inline if every key is on the
 * home shard, else coordinated; never forwarded, its state is the client's. */
int kv_lockkeys_target(kv_conn *c, int db, const kv_cmd *cmd, int argc, const kv_str *argv)
{
    kv_shard *sh = c->sh;
    kv_str keybuf[32], *keys = keybuf;
    int n, i, whole = 0, target = sh->id;
    kv_ctx ctx;
    if (sh->n == 1)
        return sh->id;
    memset(&ctx, 0, sizeof ctx);
    ctx.state = sh->state;
    ctx.shard = sh;
    ctx.conn = c;
    ctx.cmd = cmd;
    ctx.db = db;
    ctx.home = sh->id;
    ctx.client_id = c->id;
    n = cmd->lockkeys(&ctx, argc, argv, keys, 32, &whole);
    if (n > 32) {
        if (!(keys = malloc((size_t)n * sizeof *keys)))
            abort();
        n = cmd->lockkeys(&ctx, argc, argv, keys, n, &whole);
    }
    if (whole)
        target = KV_BUSY_MANY;
    for (i = 0; i < n && target == sh->id; i++)
        if (kv_shard_of_key(sh, keys[i].p, keys[i].n) != sh->id)
            target = KV_BUSY_MANY;
    if (keys != keybuf)
        free(keys);
    return target;
}

/* The same test for a command with a run-time lock set (EXEC inline). */
static int kv_lockkeys_locked(kv_conn *c, const kv_cmd *cmd, int argc, const kv_str *argv)
{
    kv_shard *sh = c->sh;
    kv_str keybuf[32], *keys = keybuf;
    int n, whole = 0, blocked;
    kv_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.state = sh->state;
    ctx.shard = sh;
    ctx.conn = c;
    ctx.cmd = cmd;
    ctx.db = c->db;
    ctx.home = sh->id;
    ctx.client_id = c->id;
    n = cmd->lockkeys(&ctx, argc, argv, keys, 32, &whole);
    if (n > 32) {
        if (!(keys = malloc((size_t)n * sizeof *keys)))
            abort();
        n = cmd->lockkeys(&ctx, argc, argv, keys, n, &whole);
    }
    blocked = (whole && sh->locks.held) || kv_locks_conflict(&sh->locks, 0, keys, n);
    if (keys != keybuf)
        free(keys);
    return blocked;
}

int kv_dispatch(kv_conn *c, int argc, const kv_str *argv)
{
    kv_shard *sh = c->sh;
    const kv_cmdset *cs = &sh->rt->cfg.cmds;
    const kv_cmd *cmd = cs->lookup(cs->udata, argc, argv);
    int arity_ok = kv_arity_ok(cmd, argc), verdict = KV_EXEC_RUN, drop;
    int target = sh->id, nkeys = 0, first = 0, last = 0;
    int ownerbuf[16], *owner = NULL;
    unsigned long long seq = c->seq_next;
    long long t0 = 0;
    size_t from;
    kv_ctx ctx;

    if (arity_ok && cmd->route == KV_ROUTE_COORD && cmd->lockkeys)
        target = kv_lockkeys_target(c, c->db, cmd, argc, argv);
    else if (arity_ok)
        target = kv_route_target(sh, cmd, argc, argv, &owner, &nkeys, &first, &last, ownerbuf);
    /* Program order: only more work for the same single remote shard may
     * join work already in flight. */
    if (c->inflight > 0 &&
        (target != c->busy || target == KV_BUSY_MANY || target == sh->id ||
         c->inflight >= KV_MAX_INFLIGHT)) {
        c->flags |= KV_CONN_WAITING;
        goto wait;
    }
    /* A transaction holds locks here: a command on its keys waits its turn. */
    if (sh->locks.held && arity_ok && target == sh->id &&
        (cmd->lockkeys ? kv_lockkeys_locked(c, cmd, argc, argv)
                       : kv_keys_locked(sh, 0, cmd, argc, argv))) {
        kv_locks_wait_conn(sh, c);
        goto wait;
    }
    ctx.out.buf = kv_conn_reply_buf(c, seq);
    ctx.out.proto = c->proto;
    ctx.out.errors = 0;
    ctx.state = sh->state;
    ctx.shard = sh;
    ctx.conn = c;
    ctx.cmd = cmd;
    ctx.db = c->db;
    ctx.home = sh->id;
    ctx.client_id = c->id;
    from = ctx.out.buf->len;
    if (arity_ok && cs->before_exec) {
        verdict = cs->before_exec(&ctx, argc, argv);
        if (verdict == KV_EXEC_DEFER) {
            c->flags |= KV_CONN_DEFERRED;
            if (!(c->flags & KV_CONN_IN_DLIST)) {
                c->flags |= KV_CONN_IN_DLIST;
                kv_conn_hold(c);
                c->dnext = sh->dlist;
                sh->dlist = c;
            }
            goto wait;
        }
    }
    /* The command is taken: it gets its sequence number. */
    c->seq_next++;
    c->last_ms = sh->now_us / 1000;
    drop = c->reply_mode != KV_REPLY_ON;
    if (c->reply_mode == KV_REPLY_SKIP)
        c->reply_mode = KV_REPLY_ON;
    if (!arity_ok || verdict != KV_EXEC_RUN) {
        /* Rejected before running (Redis's rejectCommand): not counted as
         * processed, reported as rejected; or queued (MULTI): just replied. */
        if (!arity_ok)
            kv_reply_errorf(&ctx.out, "ERR wrong number of arguments for '%s' command", cmd->name);
        sh->stats.total_error_replies += (long long)ctx.out.errors;
        if (verdict != KV_EXEC_QUEUED)
            kv_after_exec(c, cmd, argc, argv, sh->now_us, 0, 1, ctx.out.buf->p + from,
                          ctx.out.buf->len - from);
        if (drop)
            ctx.out.buf->len = from;
        kv_conn_reply_done(c, seq, NULL);
        goto out;
    }
    if (!(cmd->flags & KV_CMD_UNKNOWN)) {
        sh->stats.total_commands_processed++;
        c->last_cmd = cmd->name;
    }
    if (cmd->check && cmd->check(&ctx, argc, argv) != 0) {
        /* the command's own check failed: it ran, as in Redis */
    } else if (cmd->route == KV_ROUTE_ALL) {
        kv_fan_out(c, cmd, seq, drop, argc, argv, NULL, 0, 0, 0);
        goto out;
    } else if (target == KV_BUSY_MANY && cmd->route == KV_ROUTE_COORD) {
        kv_coord_start(c, cmd, seq, drop, argc, argv);
        goto out;
    } else if (target == KV_BUSY_MANY) {
        kv_fan_out(c, cmd, seq, drop, argc, argv, owner, nkeys, first, last);
        goto out;
    } else if (target != sh->id) {
        kv_forward(c, cmd, seq, drop, target, argc, argv);
        goto out;
    } else {
        if (cs->after_exec)
            t0 = kv_mono_us();
        cmd->exec(&ctx, argc, argv);
    }
    kv_finish(c, cmd, seq, drop, argc, argv, sh->now_us, t0 ? kv_mono_us() - t0 : 0, NULL, from,
              ctx.out.errors);
out:
    if (owner && owner != ownerbuf)
        free(owner);
    return 0;
wait:
    if (owner && owner != ownerbuf)
        free(owner);
    return 1;
}

/* A message from another shard. */
void kv_dispatch_message(kv_shard *sh, kv_msg *m)
{
    kv_conn *c;
    switch (m->kind) {
    case KV_MSG_REQ:
        if (kv_msg_blocked(sh, m)) {
            kv_locks_wait_msg(sh, m);
            return;
        }
        m->dur_us = kv_exec_part(sh, m->cmd, m->db, m->proto, &m->reply, m->argc, m->argv,
                                 m->from, m->client_id);
        m->kind = KV_MSG_REP;
        kv_shard_send(sh, m->from, m);
        return;
    case KV_MSG_CAST: {
        kv_buf sink;
        kv_buf_init(&sink);
        kv_exec_part(sh, m->cmd, m->db, m->proto, &sink, m->argc, m->argv, m->from, 0);
        kv_buf_free(&sink);
        kv_msg_free(m);
        return;
    }
    case KV_MSG_LOCK:
        kv_locks_on_request(sh, m);
        return;
    case KV_MSG_GRANT:
        kv_txn_on_grant(sh, m);
        return;
    case KV_MSG_UNLOCK:
        kv_locks_on_release(sh, m);
        return;
    case KV_MSG_PUSH:
        if ((c = kv_shard_find_conn(sh, m->client_id)) != NULL) {
            kv_buf_append(&c->out, m->argv[0].p, m->argv[0].n);
            kv_shard_write_later(sh, c);
        }
        kv_msg_free(m);
        return;
    default:
        break;
    }
    /* KV_MSG_REP: a reply coming home. */
    if (m->co) {
        kv_coord_reply_in(sh, m);
    } else if (m->fan) {
        kv_fan_reply_in(sh, m);
    } else {
        c = m->conn;
        kv_finish(c, m->cmd, m->seq, m->drop, m->argc, m->argv, sh->now_us - m->dur_us,
                  m->dur_us, &m->reply, 0,
                  m->reply.len > 0 && m->reply.p[0] == '-');
        kv_inflight_done(c);
    }
    kv_msg_free(m);
}
