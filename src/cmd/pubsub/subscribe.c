/* SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBEs, PUBLISH and
 * SPUBLISH. A (un)subscription changes the client's set and this shard's
 * lists at once, then the directories: channels and patterns on every other
 * shard, a shard channel on its owner. With more than one shard the command
 * is a coordination whose reply waits until they all have it, so a PUBLISH
 * begun after the reply, on any shard, counts and reaches the client. */
#include "cmd/pubsub/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/server/session.h"

typedef struct kv_psop {
    int kind;          /* KV_PS_* */
    int sub;           /* 1 subscribe, 0 unsubscribe */
    const char *word;  /* the reply's first element */
} kv_psop;

static const kv_psop kv_op_subscribe = {KV_PS_CHANNEL, 1, "subscribe"};
static const kv_psop kv_op_unsubscribe = {KV_PS_CHANNEL, 0, "unsubscribe"};
static const kv_psop kv_op_psubscribe = {KV_PS_PATTERN, 1, "psubscribe"};
static const kv_psop kv_op_punsubscribe = {KV_PS_PATTERN, 0, "punsubscribe"};
static const kv_psop kv_op_ssubscribe = {KV_PS_SHARD, 1, "ssubscribe"};
static const kv_psop kv_op_sunsubscribe = {KV_PS_SHARD, 0, "sunsubscribe"};

/* ------------------------------------------------- directory updates */

/* Internal: pubsub|dir kind delta home name..., on a directory's shard. */
static void kv_cmd_ps_dir(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_pubsub *ps = kv_state(ctx)->ps;
    long long home;
    int kind, delta, j;
    if (argc < 4 || argv[1].n != 1 || argv[2].n != 1 || !kv_arg_ll(&argv[3], &home))
        return;
    kind = argv[1].p[0] - '0';
    delta = argv[2].p[0] == '+' ? 1 : -1;
    if (kind < 0 || kind >= KV_PS_KINDS)
        return;
    for (j = 4; j < argc; j++)
        kv_ps_dir_add(ps, kind, argv[j].p, argv[j].n, (int)home, delta);
    kv_reply_status(&ctx->out, "OK");
}

static const kv_cmd kv_ps_dir_cmd = {.name = "pubsub|dir", .arity = -4, .route = KV_ROUTE_LOCAL,
                                     .exec = kv_cmd_ps_dir};

/* The directory changes one command (or a departing client) makes, by
 * destination shard: argument vectors ready to send. */
typedef struct kv_psdelta {
    int nshards;
    kv_str **vec;  /* per shard: [pubsub, kind, sign, home, names...], or NULL */
    int *argc, *cap;
    kv_str *owned; /* name copies the vectors point into (kv_psclient_names) */
    size_t nowned;
    char kind, sign, home[24];
} kv_psdelta;

static void kv_psdelta_init(kv_psdelta *d, kv_shard *sh, int kind, int delta)
{
    int n = kv_shard_count(sh);
    memset(d, 0, sizeof *d);
    d->nshards = n;
    if (!(d->vec = calloc((size_t)n, sizeof *d->vec)) ||
        !(d->argc = calloc((size_t)n, sizeof *d->argc)) ||
        !(d->cap = calloc((size_t)n, sizeof *d->cap)))
        abort();
    d->kind = (char)('0' + kind);
    d->sign = delta > 0 ? '+' : '-';
    snprintf(d->home, sizeof d->home, "%d", kv_shard_id(sh));
}

static void kv_psdelta_add(kv_psdelta *d, int shard, const char *name, size_t n)
{
    kv_str *v;
    if (d->argc[shard] + 1 > d->cap[shard]) {
        d->cap[shard] = d->cap[shard] ? d->cap[shard] * 2 : 8;
        if (!(d->vec[shard] = realloc(d->vec[shard], (size_t)d->cap[shard] * sizeof(kv_str))))
            abort();
    }
    v = d->vec[shard];
    if (d->argc[shard] == 0) {
        v[0].p = "pubsub";
        v[0].n = 6;
        v[1].p = &d->kind;
        v[1].n = 1;
        v[2].p = &d->sign;
        v[2].n = 1;
        v[3].p = d->home;
        v[3].n = strlen(d->home);
        d->argc[shard] = 4;
    }
    v[d->argc[shard]].p = name;
    v[d->argc[shard]++].n = n;
}

/* One name changed here: which other shards must be told? */
static void kv_psdelta_name(kv_psdelta *d, kv_shard *sh, int kind, const char *name, size_t n)
{
    int s, self = kv_shard_id(sh);
    if (kind == KV_PS_SHARD) {
        s = kv_shard_of_key(sh, name, n);
        if (s != self)
            kv_psdelta_add(d, s, name, n);
        return;
    }
    for (s = 0; s < d->nshards; s++)
        if (s != self)
            kv_psdelta_add(d, s, name, n);
}

/* Send them: through the coordination (waited for), or cast (not). */
static int kv_psdelta_send(kv_psdelta *d, kv_shard *sh, kv_coord *co)
{
    int s, sent = 0;
    for (s = 0; s < d->nshards; s++) {
        if (!d->argc[s])
            continue;
        if (co)
            kv_coord_send(co, s, 0, &kv_ps_dir_cmd, d->argc[s], d->vec[s]);
        else
            kv_shard_cast(sh, s, &kv_ps_dir_cmd, 0, d->argc[s], d->vec[s]);
        sent++;
    }
    return sent;
}

static void kv_psdelta_free(kv_psdelta *d)
{
    int s;
    for (s = 0; s < d->nshards; s++)
        free(d->vec[s]);
    free(d->vec);
    free(d->argc);
    free(d->cap);
    free(d->owned);
}

/* ------------------------------------------------------ the client side */

static kv_psclient *kv_ps_client(kv_ctx *ctx, int create)
{
    kv_session *s = kv_session_get(ctx->conn, 0) /* made by before_exec */;
    if (!s->ps && create)
        s->ps = kv_psclient_new(kv_state(ctx)->srv->seed);
    return s->ps;
}

int kv_pubsub_client_active(const kv_conn *c)
{
    const kv_session *s = kv_conn_data(c);
    int k;
    if (!s || !s->ps)
        return 0;
    for (k = 0; k < KV_PS_KINDS; k++)
        if (kv_psclient_count(s->ps, k))
            return 1;
    return 0;
}

kv_str *kv_pubsub_client_names(kv_conn *c, int kind, size_t *n)
{
    kv_session *s = kv_conn_data(c);
    *n = 0;
    return s && s->ps ? kv_psclient_names(s->ps, kind, n) : NULL;
}

void kv_pubsub_client_counts(const kv_conn *c, long long *sub, long long *psub,
                             long long *ssub)
{
    const kv_session *s = kv_conn_data(c);
    const kv_psclient *pc = s ? s->ps : NULL;
    *sub = (long long)kv_psclient_count(pc, KV_PS_CHANNEL);
    *psub = (long long)kv_psclient_count(pc, KV_PS_PATTERN);
    *ssub = (long long)kv_psclient_count(pc, KV_PS_SHARD);
}

/* A subscriber is exempt from `timeout` and gets the pubsub output limits,
 * as Redis's CLIENT_PUBSUB clients. */
static void kv_ps_mode(kv_conn *c)
{
    const kv_session *s = kv_conn_data(c);
    int on = kv_pubsub_client_active(c);
    kv_conn_set_pubsub(c, on);
    kv_conn_set_no_timeout(c, on || (s && (s->flags & KV_SESS_MONITOR)));
}

static long long kv_ps_reply_count(const kv_psclient *pc, int kind)
{
    if (kind == KV_PS_SHARD)
        return (long long)kv_psclient_count(pc, KV_PS_SHARD);
    return (long long)(kv_psclient_count(pc, KV_PS_CHANNEL) +
                       kv_psclient_count(pc, KV_PS_PATTERN));
}

static void kv_ps_reply_one(kv_reply *r, const kv_psop *op, const kv_str *name, long long count)
{
    kv_reply_push(r, 3);
    kv_reply_bulk_cstr(r, op->word);
    if (name)
        kv_reply_bulk(r, name->p, name->n);
    else
        kv_reply_null(r);
    kv_reply_int(r, count);
}

/* One name in or out for client `id` of this shard; 1 if it changed. */
static int kv_ps_change(kv_shard *sh, kv_psclient *pc, int kind, int sub, const kv_str *name,
                        unsigned long long id)
{
    kv_pubsub *ps = ((kv_cmdstate *)kv_shard_state(sh))->ps;
    int self = kv_shard_id(sh);
    int dir_here = kind != KV_PS_SHARD || kv_shard_of_key(sh, name->p, name->n) == self;
    if (sub) {
        if (!kv_psclient_add(pc, kind, name->p, name->n))
            return 0;
        kv_ps_local_add(ps, kind, name->p, name->n, id);
    } else {
        if (!kv_psclient_del(pc, kind, name->p, name->n))
            return 0;
        kv_ps_local_del(ps, kind, name->p, name->n, id);
    }
    if (dir_here)
        kv_ps_dir_add(ps, kind, name->p, name->n, self, sub ? 1 : -1);
    return 1;
}

/* The work at home: the client's set, this shard's tables, the reply (into
 * `reply`) and the directory updates other shards need (into d). */
static void kv_ps_run(kv_ctx *ctx, const kv_psop *op, int argc, const kv_str *argv, kv_buf *reply,
                      kv_psdelta *d)
{
    kv_psclient *pc = kv_ps_client(ctx, op->sub);
    kv_reply r;
    const kv_str *names = argv + 1;
    size_t n = (size_t)argc - 1, i;
    r.buf = reply;
    r.proto = ctx->out.proto;
    r.errors = 0;
    if (!op->sub && argc == 1) {
        /* Every name of the kind, in the set's order (Redis: its dict's). */
        if (pc)
            d->owned = kv_psclient_names(pc, op->kind, &d->nowned);
        names = d->owned;
        n = d->nowned;
        if (n == 0)
            kv_ps_reply_one(&r, op, NULL, kv_ps_reply_count(pc, op->kind));
    }
    for (i = 0; i < n; i++) {
        if (pc && kv_ps_change(ctx->shard, pc, op->kind, op->sub, &names[i], ctx->client_id))
            kv_psdelta_name(d, ctx->shard, op->kind, names[i].p, names[i].n);
        kv_ps_reply_one(&r, op, &names[i], kv_ps_reply_count(pc, op->kind));
    }
    kv_ps_mode(ctx->conn);
}

/* With one shard, or nowhere else to tell: at once. */
static void kv_cmd_ps(kv_ctx *ctx, int argc, const kv_str *argv)
{
    const kv_psop *op = kv_cmd_data(ctx);
    kv_psdelta d;
    if (!ctx->conn)
        return;
    kv_psdelta_init(&d, ctx->shard, op->kind, op->sub ? 1 : -1);
    kv_ps_run(ctx, op, argc, argv, ctx->out.buf, &d);
    kv_psdelta_send(&d, ctx->shard, NULL);
    kv_psdelta_free(&d);
}

static void kv_ps_reply_free(void *p)
{
    kv_buf_free(p);
    free(p);
}

/* With several shards: step 0 does the work and sends the directory
 * updates; the reply goes out when every shard has applied them. */
static int kv_coord_ps(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    const kv_psop *op = kv_cmd_data(ctx);
    kv_buf *reply;
    kv_psdelta d;
    int sent;
    if (kv_coord_step(co) > 0) {
        reply = kv_coord_data(co);
        kv_reply_raw(&ctx->out, reply->p, reply->len);
        return KV_COORD_DONE;
    }
    if (!ctx->conn)
        return KV_COORD_DONE; /* gone before it ran: nothing to undo */
    if (!(reply = malloc(sizeof *reply)))
        abort();
    kv_buf_init(reply);
    kv_psdelta_init(&d, ctx->shard, op->kind, op->sub ? 1 : -1);
    kv_ps_run(ctx, op, argc, argv, reply, &d);
    sent = kv_psdelta_send(&d, ctx->shard, co);
    kv_psdelta_free(&d);
    if (!sent) {
        kv_reply_raw(&ctx->out, reply->p, reply->len);
        kv_ps_reply_free(reply);
        return KV_COORD_DONE;
    }
    kv_coord_set_data(co, reply, kv_ps_reply_free);
    return KV_COORD_WAIT;
}

void kv_pubsub_client_reset(kv_shard *sh, kv_cmdstate *st, kv_conn *c)
{
    kv_session *s = kv_conn_data(c);
    int kind;
    (void)st;
    if (!s || !s->ps)
        return;
    for (kind = 0; kind < KV_PS_KINDS; kind++) {
        kv_psdelta d;
        size_t i;
        kv_psdelta_init(&d, sh, kind, -1);
        d.owned = kv_psclient_names(s->ps, kind, &d.nowned);
        for (i = 0; i < d.nowned; i++)
            if (kv_ps_change(sh, s->ps, kind, 0, &d.owned[i], kv_conn_id(c)))
                kv_psdelta_name(&d, sh, kind, d.owned[i].p, d.owned[i].n);
        kv_psdelta_send(&d, sh, NULL);
        kv_psdelta_free(&d);
    }
    kv_psclient_free(s->ps);
    s->ps = NULL;
    kv_ps_mode(c);
}

/* ------------------------------------------------------------ publishing */

static void kv_cmd_publish(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    kv_reply_int(&ctx->out, kv_pubsub_publish(ctx, ctx->shard, kv_state(ctx)->ps, argv[1].p,
                                              argv[1].n, argv[2].p, argv[2].n));
}

/* On the channel's owner. */
static void kv_cmd_spublish(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    kv_reply_int(&ctx->out, kv_ps_spublish(ctx, ctx->shard, kv_state(ctx)->ps, argv[1].p,
                                           argv[1].n, argv[2].p, argv[2].n));
}

/* chan: which arguments ACL channel rules check (KV_CMDF_CHAN*) */
#define KV_PS_SPEC(cmdname, op, chan)                                                          \
    {.name = cmdname, .route = KV_ROUTE_COORD,                                                 \
     .flags = KV_CMD_COORD_ALWAYS | KV_CMDF_PUBSUB_CTX | (chan), .exec = kv_cmd_ps,            \
     .coord = kv_coord_ps, .data = &op}

const kv_cmdspec kv_cmds_pubsub[] = {
    KV_PS_SPEC("subscribe", kv_op_subscribe, KV_CMDF_CHANS),
    KV_PS_SPEC("unsubscribe", kv_op_unsubscribe, 0),
    KV_PS_SPEC("psubscribe", kv_op_psubscribe, KV_CMDF_CHANS | KV_CMDF_CHANPAT),
    KV_PS_SPEC("punsubscribe", kv_op_punsubscribe, 0),
    KV_PS_SPEC("ssubscribe", kv_op_ssubscribe, KV_CMDF_CHANS),
    KV_PS_SPEC("sunsubscribe", kv_op_sunsubscribe, 0),
    {.name = "publish", .flags = KV_CMDF_CHAN1, .route = KV_ROUTE_LOCAL, .exec = kv_cmd_publish},
    {.name = "spublish", .flags = KV_CMDF_CHAN1, .route = KV_ROUTE_KEY, .exec = kv_cmd_spublish},
    KV_SPEC_END
};
