/* A blocking command when it runs (block.h): it always runs on its client's
 * home shard (its lockkeys hook names its keys). Every key there: look at
 * the keys in argument order and serve from the first one that holds a
 * value (WRONGTYPE if it holds another type), else answer "none" inside
 * MULTI, else register the client on each key and suspend it. Keys
 * elsewhere: the same as a coordination under all the keys' locks, so no
 * push can slip between the look and the registration. */
#include "cmd/block/block.h"

#include "cmd/server/session.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/lib/fmt_float.h"

int kv_block_timeout_arg(kv_ctx *ctx, const kv_str *arg, int seconds, long long *ms)
{
    const char *err = NULL;
    long long v = 0;
    if (seconds) {
        /* Redis 7.0.15: ceill(seconds * 1000) cast to long long; a value past
         * the range casts (on x86) to LLONG_MIN, hence "negative". */
        long double d;
        if (!kv_str2ld(arg->p, arg->n, &d)) {
            err = "ERR timeout is not a float or out of range";
        } else {
            d = ceill(d * 1000.0L);
            v = (d >= 0x1p63L || d < -0x1p63L) ? LLONG_MIN : (long long)d;
        }
    } else if (!kv_arg_ll(arg, &v)) {
        err = "ERR timeout is not an integer or out of range";
    }
    if (!err && v < 0)
        err = "ERR timeout is negative";
    if (err) {
        if (ctx)
            kv_reply_error(&ctx->out, err);
        return -1;
    }
    *ms = v;
    return 0;
}

int kv_block_key_ready(const kv_blocker *b, const kv_obj *o, int argc, const kv_str *argv,
                       int keyi, int later)
{
    if (b->ready)
        return b->ready(o, argc, argv, keyi, later);
    if (!o)
        return 0;
    return (int)kv_obj_type(o) == b->type ? 1 : -1;
}

/* The command's arguments with what each key waits for fixed when the
 * client blocks (b->fix: XREAD's $ becomes an ID): text[i] the new text of
 * key i's wait argument (p NULL: unchanged). One allocation (free()). */
static kv_str *argv_fixed(const kv_blocker *b, int argc, const kv_str *argv,
                          const kv_blockargs *a, const kv_str *text)
{
    kv_str *v = malloc((size_t)argc * sizeof *v), *out;
    int i;
    if (!v)
        abort();
    memcpy(v, argv, (size_t)argc * sizeof *v);
    for (i = 0; i < a->nkeys; i++) {
        int w = text[i].p ? b->waitarg(argc, argv, a->keyidx[i]) : 0;
        if (w > 0 && w < argc)
            v[w] = text[i];
    }
    out = kv_block_argv_dup(argc, v);
    free(v);
    return out;
}

/* The fixed text of key i's wait argument, from the key's value here. */
static void fix_local(kv_ctx *ctx, const kv_blocker *b, int argc, const kv_str *argv, int keyi,
                      char *buf, kv_str *out)
{
    int w = b->waitarg(argc, argv, keyi);
    kv_entry *e;
    out->p = NULL;
    out->n = 0;
    if (w <= 0 || w >= argc)
        return;
    e = kv_lookup_write(ctx, &argv[keyi]);
    b->fix(e ? kv_entry_val(e) : NULL, &argv[w], buf, out);
}

int kv_block_lockkeys(kv_ctx *ctx, int argc, const kv_str *argv, kv_str *keys, int max,
                      int *whole)
{
    const kv_blocker *b = kv_cmd_data(ctx);
    kv_blockargs a;
    int *idx = malloc((size_t)argc * sizeof *idx), n = 0, i;
    if (!idx)
        abort();
    *whole = 0;
    a.keyidx = idx;
    if (b->parse(NULL, argc, argv, &a) == 0) {
        for (i = 0; i < a.nkeys; i++, n++)
            if (n < max)
                keys[n] = argv[idx[i]];
        if (a.dst) {
            if (n < max)
                keys[n] = argv[a.dst];
            n++;
        }
    }
    free(idx);
    return n;
}

/* Register the client's keys of shard `shard` there: the request, "<name>
 * home id seq type mode proto nkeys dst (keyi key)... [argv...]", the
 * blocking command's arguments at the end for a direct registration (dst:
 * the destination's index in them, 0 if none). `name`: blk-register, or
 * blk-try (register, then serve at once if a key can). */
static int register_args(kv_ctx *ctx, const char *name, const kv_ticket *t, const kv_blocker *b,
                         int mode, int argc, const kv_str *argv, const kv_blockargs *a,
                         int shard, kv_str *sub, char (*num)[24])
{
    int n = 9, i, keys = 0;
    sub[0].p = name;
    sub[0].n = strlen(name);
    sub[1].p = num[0];
    sub[1].n = (size_t)snprintf(num[0], 24, "%d", t->home);
    sub[2].p = num[1];
    sub[2].n = (size_t)snprintf(num[1], 24, "%llu", t->client_id);
    sub[3].p = num[2];
    sub[3].n = (size_t)snprintf(num[2], 24, "%llu", t->seq);
    sub[4].p = num[3];
    sub[4].n = (size_t)snprintf(num[3], 24, "%d", b->type);
    sub[5].p = mode == KV_REG_DIRECT ? "2" : mode == KV_REG_LOCAL ? "1" : "0";
    sub[5].n = 1;
    sub[6].p = ctx->out.proto == 3 ? "3" : "2";
    sub[6].n = 1;
    sub[8].p = num[5];
    sub[8].n = (size_t)snprintf(num[5], 24, "%d", mode == KV_REG_DIRECT ? a->dst : 0);
    for (i = 0; i < a->nkeys; i++) {
        const kv_str *k = &argv[a->keyidx[i]];
        if (kv_shard_of_key(ctx->shard, k->p, k->n) != shard)
            continue;
        sub[n].p = num[6 + i];
        sub[n].n = (size_t)snprintf(num[6 + i], 24, "%d", a->keyidx[i]);
        sub[n + 1] = *k;
        n += 2;
        keys++;
    }
    sub[7].p = num[4];
    sub[7].n = (size_t)snprintf(num[4], 24, "%d", keys);
    /* A stream registration carries them too: its owner asks b->ready. */
    for (i = 0; (mode == KV_REG_DIRECT || b->ready) && i < argc; i++)
        sub[n++] = argv[i];
    return n;
}

/* The shards holding the command's keys, ascending; returns how many. */
static int key_shards(kv_ctx *ctx, const kv_str *argv, const kv_blockargs *a, int *out)
{
    int i, j, n = 0;
    for (i = 0; i < a->nkeys; i++) {
        const kv_str *k = &argv[a->keyidx[i]];
        int s = kv_shard_of_key(ctx->shard, k->p, k->n);
        for (j = 0; j < n && out[j] != s; j++)
            ;
        if (j == n)
            out[n++] = s;
    }
    return n;
}

/* How a registration on `shard` is served (KV_REG_*): there at once when
 * the client's home is there and so is the destination; from there, the
 * reply sent home, when every key and the destination are there; else by
 * the home under the keys' locks. */
static int reg_mode(kv_ctx *ctx, const kv_str *argv, const kv_blockargs *a, int shard)
{
    int home = kv_shard_id(ctx->shard), i;
    if (a->dst && kv_shard_of_key(ctx->shard, argv[a->dst].p, argv[a->dst].n) != shard)
        return KV_REG_REMOTE;
    if (shard == home)
        return KV_REG_LOCAL;
    for (i = 0; i < a->nkeys; i++) {
        const kv_str *k = &argv[a->keyidx[i]];
        if (kv_shard_of_key(ctx->shard, k->p, k->n) != shard)
            return KV_REG_REMOTE;
    }
    return KV_REG_DIRECT;
}

/* Run the family's serve request here, its reply into ctx->out. */
static void serve_now(kv_ctx *ctx, int argc, const kv_str *argv, const kv_blocker *b, int keyi)
{
    kv_str *sub = malloc((size_t)(argc + 4) * sizeof *sub);
    char scratch[64];
    const kv_cmd *cmd;
    kv_ctx sc = *ctx;
    int n;
    if (!sub)
        abort();
    n = b->serve(argc, argv, keyi, 0, sub, scratch, &cmd);
    sc.cmd = cmd;
    sc.conn = NULL;
    sc.may_suspend = 0;
    cmd->exec(&sc, n, sub);
    ctx->out.errors = sc.out.errors;
    free(sub);
}

/* Served at once from argv[keyi], its reply at out[from..]: a pop is kept
 * until the reply leaves (kv_block_keep_reply). */
static void keep_now(kv_ctx *ctx, const kv_ticket *t, const kv_blocker *b, int argc,
                     const kv_str *argv, const kv_blockargs *a, int keyi, const char *r,
                     size_t n)
{
    if (!a->dst)
        kv_block_keep_reply(ctx, t, b, argc, argv, keyi, r, n);
}

/* Every key, and the destination, on one other shard: block at once and
 * hand the command to that shard (blk-try), which serves it there and then
 * if a key holds a value, else keeps it as a direct registration. One
 * message instead of a coordination; the home takes or refuses the serve
 * as for any direct registration (waiters.c). */
static void delegate(kv_ctx *ctx, int argc, const kv_str *argv, const kv_blocker *b,
                     const kv_blockargs *a, int owner)
{
    kv_ticket t;
    kv_str *sub;
    char (*num)[24];
    int n;
    if (kv_ctx_suspend(ctx, &t) != 0) {
        /* Not for a client (EXEC runs it coordinated, under its locks). */
        kv_reply_error(&ctx->out, "ERR internal: a blocking command away from its keys");
        return;
    }
    sub = malloc((size_t)(2 * a->nkeys + argc + 10) * sizeof *sub);
    num = malloc((size_t)(a->nkeys + 6) * sizeof *num);
    if (!sub || !num)
        abort();
    n = register_args(ctx, "blk-try", &t, b, KV_REG_DIRECT, argc, argv, a, owner, sub, num);
    kv_block_begin(ctx, ctx->conn, &t, b, argc, argv, a, &owner, 1);
    kv_shard_cast(ctx->shard, owner, &kv_blk_try, ctx->db, n, sub);
    free(sub);
    free(num);
}

void kv_block_exec(kv_ctx *ctx, int argc, const kv_str *argv, const kv_blocker *b)
{
    kv_blockargs a;
    kv_ticket t;
    int *idx = malloc((size_t)argc * sizeof *idx), i, home = kv_shard_id(ctx->shard);
    kv_str *sub;
    if (!idx)
        abort();
    a.keyidx = idx;
    if (b->parse(ctx, argc, argv, &a) != 0)
        goto out;
    if (a.nkeys > 0) {
        const kv_str *k0 = &argv[idx[0]];
        int owner = kv_shard_of_key(ctx->shard, k0->p, k0->n);
        if (owner != home) { /* every key there (KV_CMD_DELEGATES) */
            delegate(ctx, argc, argv, b, &a, owner);
            goto out;
        }
    }
    for (i = 0; i < a.nkeys; i++) {
        kv_entry *e = kv_lookup_write(ctx, &argv[idx[i]]);
        int ready = kv_block_key_ready(b, e ? kv_entry_val(e) : NULL, argc, argv, idx[i], 0);
        if (!ready)
            continue;
        if (ready < 0) {
            kv_reply_wrongtype(ctx);
        } else {
            size_t from = ctx->out.buf->len;
            serve_now(ctx, argc, argv, b, idx[i]);
            if (kv_ctx_ticket(ctx, &t) == 0)
                keep_now(ctx, &t, b, argc, argv, &a, idx[i], ctx->out.buf->p + from,
                         ctx->out.buf->len - from);
        }
        goto out;
    }
    if (kv_ctx_suspend(ctx, &t) != 0) { /* inside MULTI: never blocks */
        b->none(&ctx->out);
        goto out;
    }
    sub = malloc((size_t)(a.nkeys + 1) * sizeof *sub);
    if (!sub)
        abort();
    for (i = 0; i < a.nkeys; i++)
        sub[i] = argv[idx[i]];
    {
        kv_str *fixed = NULL;
        kv_blockdirect d;
        if (b->fix) {
            kv_str *text = calloc((size_t)a.nkeys, sizeof *text);
            char (*buf)[48] = malloc((size_t)a.nkeys * sizeof *buf);
            if (!text || !buf)
                abort();
            for (i = 0; i < a.nkeys; i++)
                fix_local(ctx, b, argc, argv, idx[i], buf[i], &text[i]);
            fixed = argv_fixed(b, argc, argv, &a, text);
            free(text);
            free(buf);
        }
        d.b = b;
        d.proto = ctx->out.proto;
        d.argc = argc;
        d.argv = fixed ? fixed : argv;
        kv_blockreg_add(ctx->shard, kv_state(ctx), &t, b->type, reg_mode(ctx, argv, &a, home),
                        ctx->db, a.nkeys, sub, idx, b->ready ? &d : NULL);
        kv_block_begin(ctx, ctx->conn, &t, b, argc, d.argv, &a, &home, 1);
        free(fixed);
    }
    free(sub);
out:
    free(idx);
}

/* What step 1 decided, for step 2. */
typedef struct coord_plan {
    int suspend; /* registered: suspend on t */
    kv_ticket t;
    int keyi;    /* else served from argv[keyi] */
    int proto;   /* the protocol the serve replied in */
    kv_str *argv; /* registered with these arguments (b->fix), NULL: the command's */
} coord_plan;

static void plan_free(void *p)
{
    free(((coord_plan *)p)->argv);
    free(p);
}

static coord_plan *plan_new(kv_coord *co)
{
    coord_plan *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    kv_coord_set_data(co, p, plan_free);
    return p;
}

/* Across shards: step 0 asks each key's shard what the key holds; step 1
 * serves from the first that holds a value, or registers everywhere; step
 * 2 relays the serve's reply, or suspends the client. */
int kv_block_coord(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv, const kv_blocker *b)
{
    kv_blockargs a;
    kv_ticket t;
    int *idx = malloc((size_t)(2 * argc + 1) * sizeof *idx), *owners = idx + argc;
    int rc = KV_COORD_DONE, i, n, nown, step = kv_coord_step(co);
    char (*num)[24] = NULL, tbuf[8];
    kv_str *sub = NULL, r;
    coord_plan *plan;
    long long v;
    if (!idx)
        abort();
    a.keyidx = idx;
    if (b->parse(ctx, argc, argv, &a) != 0)
        goto out;
    nown = key_shards(ctx, argv, &a, owners);
    if (step == 0) {
        kv_str p[3];
        p[0].p = "blk-probe";
        p[0].n = 9;
        p[2].p = tbuf;
        p[2].n = (size_t)snprintf(tbuf, sizeof tbuf, "%d", b->type);
        if (b->ready) {
            /* blk-probe key type keyi argv...: the owner asks b->ready,
             * and answers a fixed wait argument as a bulk (b->fix). */
            kv_str *q = malloc((size_t)(argc + 4) * sizeof *q);
            char ki[24];
            if (!q)
                abort();
            q[0] = p[0];
            q[2] = p[2];
            q[3].p = ki;
            memcpy(q + 4, argv, (size_t)argc * sizeof *q);
            for (i = 0; i < a.nkeys; i++) {
                q[1] = argv[idx[i]];
                q[3].n = (size_t)snprintf(ki, sizeof ki, "%d", idx[i]);
                kv_coord_send(co, kv_shard_of_key(ctx->shard, q[1].p, q[1].n), ctx->db,
                              &kv_blk_probe, argc + 4, q);
            }
            free(q);
            rc = KV_COORD_WAIT;
            goto out;
        }
        for (i = 0; i < a.nkeys; i++) {
            p[1] = argv[idx[i]];
            kv_coord_send(co, kv_shard_of_key(ctx->shard, p[1].p, p[1].n), ctx->db,
                          &kv_blk_probe, 3, p);
        }
        rc = KV_COORD_WAIT;
        goto out;
    }
    if (step == 1) {
        kv_str *text = NULL;
        const kv_str *rargv = argv;
        if (!ctx->conn && !kv_coord_nested(co))
            goto out; /* its client went away: take nothing */
        for (i = 0; i < a.nkeys; i++) {
            r = kv_coord_reply(co, i);
            if (r.n && r.p[0] == '$') { /* not ready; its wait argument fixed */
                const char *q = r.p;
                if (!text && !(text = calloc((size_t)a.nkeys, sizeof *text)))
                    abort();
                kv_rd_bulk_at(&q, r.p + r.n, &text[i]);
                continue;
            }
            if (!kv_resp_reply_int(r.p, r.n, &v)) { /* WRONGTYPE */
                free(text);
                kv_reply_raw(&ctx->out, r.p, r.n);
                ctx->out.errors++;
                goto out;
            }
            if (v) { /* serve from it, the non-blocking form on that key */
                const kv_cmd *cmd;
                char scratch[64];
                if (!(sub = malloc((size_t)(argc + 4) * sizeof *sub)))
                    abort();
                free(text);
                n = b->serve(argc, argv, idx[i], 0, sub, scratch, &cmd);
                plan = plan_new(co);
                plan->keyi = idx[i];
                plan->proto = ctx->out.proto;
                if (cmd->route == KV_ROUTE_COORD)
                    kv_coord_send_cmd(co, ctx->db, cmd, n, sub);
                else
                    kv_coord_send(co, kv_shard_of_key(ctx->shard, argv[idx[i]].p,
                                                      argv[idx[i]].n),
                                  ctx->db, cmd, n, sub);
                rc = KV_COORD_WAIT;
                goto out;
            }
        }
        if (!ctx->conn || kv_coord_suspend(co, &t) != 0) { /* nested in EXEC */
            free(text);
            b->none(&ctx->out);
            goto out;
        }
        {
            coord_plan *p = plan_new(co);
            p->suspend = 1;
            p->t = t;
            if (text) {
                p->argv = argv_fixed(b, argc, argv, &a, text);
                rargv = p->argv;
            }
            free(text);
        }
        /* Register on every shard holding a key, still under the locks. */
        sub = malloc((size_t)(2 * a.nkeys + argc + 10) * sizeof *sub);
        num = malloc((size_t)(a.nkeys + 6) * sizeof *num);
        if (!sub || !num)
            abort();
        for (i = 0; i < nown; i++) {
            n = register_args(ctx, "blk-register", &t, b, reg_mode(ctx, argv, &a, owners[i]),
                              argc, rargv, &a, owners[i], sub, num);
            kv_coord_send(co, owners[i], ctx->db, &kv_blk_register, n, sub);
        }
        rc = KV_COORD_WAIT;
        goto out;
    }
    plan = kv_coord_data(co);
    if (step == 3)
        goto out; /* the pop of a client gone was put back */
    if (plan->suspend && ctx->conn && kv_coord_suspend(co, &t) == 0) {
        kv_block_begin(ctx, ctx->conn, &t, b, argc, plan->argv ? plan->argv : argv, &a, owners,
                       nown);
        rc = KV_COORD_SUSPENDED;
        goto out;
    }
    if (plan->suspend) {
        /* The client went away while registering: forget it everywhere. */
        char id[24], seq[24];
        kv_str u[3];
        u[0].p = "blk-unregister";
        u[0].n = 14;
        u[1].p = id;
        u[1].n = (size_t)snprintf(id, sizeof id, "%llu", ctx->client_id);
        u[2].p = seq;
        u[2].n = (size_t)snprintf(seq, sizeof seq, "%llu", plan->t.seq);
        for (i = 0; i < nown; i++)
            kv_shard_cast(ctx->shard, owners[i], &kv_blk_unregister, ctx->db, 3, u);
        goto out;
    }
    r = kv_coord_reply(co, 0); /* the serve's reply is the client's */
    if (!ctx->conn && !kv_coord_nested(co) && !a.dst && r.n && r.p[0] != '-' && !kv_block_is_null(r.p, r.n)) {
        /* ... but it went away meanwhile: put the elements back, under
         * the same lock. */
        const kv_cmd *cmd;
        char scratch[64];
        if (!(sub = malloc((2 * r.n + 8) * sizeof *sub)))
            abort();
        n = b->undo(argc, argv, plan->keyi, r, plan->proto, sub, scratch, &cmd);
        if (n > 0) {
            const kv_str *k = &argv[plan->keyi];
            kv_coord_send(co, kv_shard_of_key(ctx->shard, k->p, k->n), ctx->db, cmd, n, sub);
            rc = KV_COORD_WAIT;
        }
        goto out;
    }
    kv_reply_raw(&ctx->out, r.p, r.n);
    if (r.n && r.p[0] == '-')
        ctx->out.errors++;
    if (ctx->conn && kv_coord_ticket(co, &t) == 0)
        keep_now(ctx, &t, b, argc, argv, &a, plan->keyi, r.p, r.n);
out:
    free(sub);
    free(num);
    free(idx);
    return rc;
}

/* ----------------------------------------------- shared by the families */

void kv_block_cmd(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_block_exec(ctx, argc, argv, kv_cmd_data(ctx));
}

int kv_block_cmd_coord(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    return kv_block_coord(ctx, co, argc, argv, kv_cmd_data(ctx));
}

int kv_block_serve_mpop(const char *name, int argc, const kv_str *argv, int keyi, kv_str *sub)
{
    long long numkeys = 0;
    int n = 3, j;
    kv_arg_ll(&argv[2], &numkeys);
    sub[0].p = name;
    sub[0].n = strlen(name);
    sub[1].p = "1";
    sub[1].n = 1;
    sub[2] = argv[keyi];
    for (j = 3 + (int)numkeys; j < argc; j++)
        sub[n++] = argv[j];
    return n;
}

void kv_block_none_array(kv_reply *out)
{
    kv_reply_null_array(out);
}

void kv_block_none_bulk(kv_reply *out)
{
    kv_reply_null(out);
}

int kv_block_parse_keys(kv_ctx *ctx, int argc, const kv_str *argv, kv_blockargs *a)
{
    int j;
    a->dst = 0;
    a->nkeys = argc - 2;
    for (j = 1; j < argc - 1; j++)
        a->keyidx[j - 1] = j;
    return kv_block_timeout_arg(ctx, &argv[argc - 1], 1, &a->timeout_ms);
}

int kv_block_parse_mpop(kv_ctx *ctx, int argc, const kv_str *argv, kv_blockargs *a,
                        int (*side_ok)(const kv_str *side))
{
    long long numkeys, count = -1;
    const char *err = NULL;
    int j, side_at;
    a->dst = 0;
    if (!kv_arg_ll(&argv[2], &numkeys) || numkeys <= 0)
        err = "ERR numkeys should be greater than 0";
    else if (numkeys > argc - 4)
        err = "ERR syntax error";
    if (!err) {
        side_at = 3 + (int)numkeys;
        if (!side_ok(&argv[side_at]))
            err = "ERR syntax error";
        for (j = side_at + 1; !err && j < argc; j++) {
            if (count == -1 && kv_arg_eq(&argv[j], "count") && j + 1 < argc) {
                if (!kv_arg_ll(&argv[++j], &count) || count <= 0)
                    err = "ERR count should be greater than 0";
            } else {
                err = "ERR syntax error";
            }
        }
    }
    if (err) {
        if (ctx)
            kv_reply_error(&ctx->out, err);
        return -1;
    }
    a->nkeys = (int)numkeys;
    for (j = 0; j < a->nkeys; j++)
        a->keyidx[j] = 3 + j;
    return kv_block_timeout_arg(ctx, &argv[1], 1, &a->timeout_ms); /* last, as in Redis */
}

