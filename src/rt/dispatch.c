/* Routing a command: look it up, check arity, find the shard(s) owning its
 * keys, then run it inline (home shard: zero copy, no lock, no message),
 * forward a copy to one other shard, or split it over several and gather.
 *
 * Program order: a connection's commands take effect in the order sent. A
 * command may be issued while earlier ones are in flight only if it goes to
 * the same single remote shard (whose ring is FIFO); otherwise it waits. So a
 * pipeline "SET data; LPUSH queue" can never be observed out of order by
 * another client, even though the two keys live on different cores. */
#include "rt/internal.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- msgs */

kv_msg *kv_msg_new(int argc, const kv_str *argv)
{
    size_t bytes = 0, i;
    kv_msg *m;
    char *p;
    for (i = 0; i < (size_t)argc; i++)
        bytes += argv[i].n;
    m = malloc(sizeof *m + (size_t)argc * sizeof(kv_str) + bytes);
    if (!m)
        abort();
    memset(m, 0, sizeof *m);
    m->argc = argc;
    m->argv = (kv_str *)(m + 1);
    p = (char *)(m->argv + argc);
    for (i = 0; i < (size_t)argc; i++) {
        if (argv[i].n)
            memcpy(p, argv[i].p, argv[i].n);
        m->argv[i].p = p;
        m->argv[i].n = argv[i].n;
        p += argv[i].n;
    }
    kv_buf_init(&m->reply);
    return m;
}

void kv_msg_free(kv_msg *m)
{
    kv_buf_free(&m->reply);
    free(m);
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

static int kv_arity_ok(const kv_cmd *cmd, int argc)
{
    return cmd->arity >= 0 ? argc == cmd->arity : argc >= -cmd->arity;
}

/* ------------------------------------------------------------- finishing */

static void kv_finish_local(kv_conn *c, unsigned long long seq, const kv_ctx *ctx)
{
    c->sh->stats.total_error_replies += (long long)ctx->out.errors;
    kv_conn_reply_done(c, seq, NULL);
}

void kv_inflight_add(kv_conn *c, int busy)
{
    c->inflight++;
    c->busy = busy;
    c->sh->inflight_total++;
}

void kv_inflight_done(kv_conn *c)
{
    c->inflight--;
    c->sh->inflight_total--;
    if (c->inflight == 0) {
        c->busy = KV_BUSY_NONE;
        kv_conn_resume(c);
    }
}

static void kv_count_error(kv_shard *sh, const kv_buf *b)
{
    if (b->len > 0 && b->p[0] == '-')
        sh->stats.total_error_replies++;
}

/* -------------------------------------------------------------- fan-out */

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
    free(f);
}

void kv_fan_free_all(kv_shard *sh)
{
    while (sh->fans)
        kv_fan_free(sh, sh->fans);
}

static void kv_fan_complete(kv_shard *sh, kv_fan *f)
{
    kv_conn *c = f->conn;
    if (!(c->flags & KV_CONN_CLOSED)) {
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
        ctx.out.buf = kv_conn_reply_buf(c, f->seq);
        ctx.out.proto = c->proto;
        ctx.out.errors = 0;
        ctx.state = sh->state;
        ctx.shard = sh;
        ctx.conn = c;
        ctx.cmd = f->cmd;
        ctx.db = f->db;
        f->cmd->reduce(&ctx, parts, f->nparts);
        kv_finish_local(c, f->seq, &ctx);
        if (parts != stackparts)
            free(parts);
    }
    kv_fan_free(sh, f);
}

/* Build the argv a shard runs for its part: the command's words before the
 * first key, each of its keys with the step's trailing arguments (MSET's
 * values), and whatever follows the last key. */
static int kv_part_argv(const kv_cmd *cmd, int argc, const kv_str *argv, int first,
                        int last, const int *keys, int nkeys, kv_str *out)
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

void kv_exec_part(kv_shard *sh, const kv_cmd *cmd, int db, int proto, kv_buf *reply,
                  int argc, const kv_str *argv)
{
    kv_ctx ctx;
    ctx.out.buf = reply;
    ctx.out.proto = proto;
    ctx.out.errors = 0;
    ctx.state = sh->state;
    ctx.shard = sh;
    ctx.conn = NULL;
    ctx.cmd = cmd;
    ctx.db = db;
    cmd->exec(&ctx, argc, argv);
}

/* Split a command over shards. `owner` holds each key's shard (KEYS route)
 * or is NULL (ALL route: every shard runs the whole command). */
static void kv_fan_out(kv_conn *c, const kv_cmd *cmd, unsigned long long seq, int argc,
                       const kv_str *argv, const int *owner, int nkeys, int first, int last)
{
    kv_shard *sh = c->sh;
    int n = sh->n, i, p, home = -1, used = 0;
    int *count = calloc((size_t)n, sizeof *count);
    kv_fan *f = calloc(1, sizeof *f);
    kv_str *sub = NULL;
    if (!count || !f)
        abort();
    f->conn = c;
    f->seq = seq;
    f->cmd = cmd;
    f->db = c->db;
    if (owner) {
        for (i = 0; i < nkeys; i++)
            count[owner[i]]++;
        for (i = 0; i < n; i++)
            f->nparts += count[i] > 0;
        f->keymem = malloc((size_t)nkeys * sizeof *f->keymem);
        sub = malloc((size_t)argc * sizeof *sub);
        if (!f->keymem || !sub)
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
    /* Send remote parts first so they run while the home part runs here. */
    for (p = 0; p < f->nparts; p++) {
        kv_fan_part *part = &f->parts[p];
        kv_msg *m;
        if (part->shard == sh->id) {
            home = p;
            continue;
        }
        if (owner)
            m = kv_msg_new(kv_part_argv(cmd, argc, argv, first, last, part->keys,
                                        part->nkeys, sub), sub);
        else
            m = kv_msg_new(argc, argv);
        m->kind = KV_MSG_REQ;
        m->from = sh->id;
        m->proto = c->proto;
        m->db = c->db;
        m->conn = c;
        m->fan = f;
        m->part = p;
        m->seq = seq;
        m->cmd = cmd;
        kv_shard_send(sh, part->shard, m);
        sh->stats.forwarded_commands++;
    }
    if (home >= 0) {
        kv_fan_part *part = &f->parts[home];
        if (owner)
            kv_exec_part(sh, cmd, c->db, c->proto, &part->reply,
                         kv_part_argv(cmd, argc, argv, first, last, part->keys,
                                      part->nkeys, sub), sub);
        else
            kv_exec_part(sh, cmd, c->db, c->proto, &part->reply, argc, argv);
        f->remaining--;
    }
    free(sub);
    free(count);
    if (f->remaining == 0)
        kv_fan_complete(sh, f);
    else
        kv_inflight_add(c, KV_BUSY_MANY);
}

/* ------------------------------------------------------------ dispatch */

static void kv_forward(kv_conn *c, const kv_cmd *cmd, unsigned long long seq, int dst,
                       int argc, const kv_str *argv)
{
    kv_shard *sh = c->sh;
    kv_msg *m = kv_msg_new(argc, argv);
    m->kind = KV_MSG_REQ;
    m->from = sh->id;
    m->proto = c->proto;
    m->db = c->db;
    m->conn = c;
    m->seq = seq;
    m->cmd = cmd;
    kv_shard_send(sh, dst, m);
    sh->stats.forwarded_commands++;
    kv_inflight_add(c, dst);
}

/* The argv positions of a command's keys, by its getkeys function or its
 * (first, last, step) spec. Fills pos (at most max) and returns the count,
 * which may exceed max; -1 if the arguments are malformed. */
static int kv_key_positions(const kv_cmd *cmd, int argc, const kv_str *argv, int *pos, int max)
{
    int first, last, n, i, step = cmd->key_step > 0 ? cmd->key_step : 1;
    if (cmd->getkeys)
        return cmd->getkeys(argc, argv, pos, max);
    n = kv_key_range(cmd, argc, &first, &last);
    for (i = 0; i < n && i < max; i++)
        pos[i] = first + i * step;
    return n;
}

/* Which shard runs a command: one shard's index, or KV_BUSY_MANY when its
 * keys span shards. For KV_ROUTE_KEYS, owner[i] gets key i's shard. */
static int kv_route_target(kv_shard *sh, const kv_cmd *cmd, int argc, const kv_str *argv,
                           int **owner, int *nkeys, int *first, int *last, int *ownerbuf)
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
    n = kv_key_positions(cmd, argc, argv, pos, 16);
    if (n > 16) {
        if (!(pos = malloc((size_t)n * sizeof *pos)))
            abort();
        n = kv_key_positions(cmd, argc, argv, pos, n);
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

int kv_dispatch(kv_conn *c, int argc, const kv_str *argv)
{
    kv_shard *sh = c->sh;
    const kv_cmdset *cs = &sh->rt->cfg.cmds;
    const kv_cmd *cmd = cs->lookup(cs->udata, argc, argv);
    int arity_ok = kv_arity_ok(cmd, argc);
    int target = sh->id, nkeys = 0, first = 0, last = 0;
    int ownerbuf[16], *owner = NULL;
    unsigned long long seq;
    kv_ctx ctx;

    if (arity_ok)
        target = kv_route_target(sh, cmd, argc, argv, &owner, &nkeys, &first, &last, ownerbuf);
    /* Program order: only more work for the same single remote shard may
     * join work already in flight. */
    if (c->inflight > 0 &&
        (target != c->busy || target == KV_BUSY_MANY || target == sh->id ||
         c->inflight >= KV_MAX_INFLIGHT)) {
        if (owner && owner != ownerbuf)
            free(owner);
        return 1;
    }

    seq = c->seq_next++;
    ctx.out.buf = kv_conn_reply_buf(c, seq);
    ctx.out.proto = c->proto;
    ctx.out.errors = 0;
    ctx.state = sh->state;
    ctx.shard = sh;
    ctx.conn = c;
    ctx.cmd = cmd;
    ctx.db = c->db;

    /* Like Redis, a command rejected before it runs (unknown, wrong arity,
     * refused by before_exec) is not counted as processed; one whose own
     * check fails is. */
    if (!arity_ok) {
        kv_reply_errorf(&ctx.out, "ERR wrong number of arguments for '%s' command", cmd->name);
    } else if (cs->before_exec && cs->before_exec(&ctx, argc, argv) != 0) {
        /* refused; the hook wrote the reply */
    } else {
        if (!(cmd->flags & KV_CMD_UNKNOWN))
            sh->stats.total_commands_processed++;
        if (cmd->check && cmd->check(&ctx, argc, argv) != 0) {
            /* the check wrote the error */
        } else if (cmd->route == KV_ROUTE_ALL) {
            kv_fan_out(c, cmd, seq, argc, argv, NULL, 0, 0, 0);
            goto out;
        } else if (target == KV_BUSY_MANY && cmd->route == KV_ROUTE_COORD) {
            kv_coord_start(c, cmd, seq, argc, argv);
            goto out;
        } else if (target == KV_BUSY_MANY) {
            kv_fan_out(c, cmd, seq, argc, argv, owner, nkeys, first, last);
            goto out;
        } else if (target != sh->id) {
            kv_forward(c, cmd, seq, target, argc, argv);
            goto out;
        } else {
            cmd->exec(&ctx, argc, argv);
        }
    }
    kv_finish_local(c, seq, &ctx);
out:
    if (owner && owner != ownerbuf)
        free(owner);
    return 0;
}

/* A message from another shard: run a request here, or take a reply home. */
void kv_dispatch_message(kv_shard *sh, kv_msg *m)
{
    kv_conn *c;
    if (m->kind == KV_MSG_REQ) {
        kv_exec_part(sh, m->cmd, m->db, m->proto, &m->reply, m->argc, m->argv);
        m->kind = KV_MSG_REP;
        kv_shard_send(sh, m->from, m);
        return;
    }
    if (m->co) {
        kv_coord_reply_in(sh, m);
        kv_msg_free(m);
        return;
    }
    c = m->conn;
    if (m->fan) {
        kv_fan *f = m->fan;
        kv_buf t = f->parts[m->part].reply;
        f->parts[m->part].reply = m->reply;
        m->reply = t;
        if (--f->remaining == 0) {
            kv_fan_complete(sh, f);
            kv_inflight_done(c);
        }
    } else {
        if (!(c->flags & KV_CONN_CLOSED)) {
            kv_count_error(sh, &m->reply);
            kv_conn_reply_done(c, m->seq, &m->reply);
        }
        kv_inflight_done(c);
    }
    kv_msg_free(m);
}
