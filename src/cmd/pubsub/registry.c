/* The per-shard Pub/Sub tables: one entry per channel, pattern or shard
 * channel that has subscribers somewhere, holding the directory (subscribers
 * per shard) and this shard's own subscribers (client ids); the clients' own
 * sets; and the delivery of a message to this shard's subscribers. Clients
 * are named by id, never by pointer: a delivery to a client gone meanwhile
 * finds no connection and is dropped. */
#include "cmd/pubsub/internal.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/acl/acl.h"
#include "cmd/lib/glob.h"
#include "store/siphash.h"

/* ------------------------------------------------------------- entries */

static uint64_t kv_psent_hash(const kv_dnode *n, const uint8_t seed[16])
{
    const kv_psent *e = (const kv_psent *)n;
    return kv_siphash(e->name, e->n, seed);
}

static int kv_psent_eq(const kv_dnode *n, const void *key, size_t klen)
{
    const kv_psent *e = (const kv_psent *)n;
    return e->n == klen && memcmp(e->name, key, klen) == 0;
}

static const kv_dict_type kv_psent_type = {kv_psent_hash, kv_psent_eq};

kv_pubsub *kv_pubsub_new(kv_shard *sh, const uint8_t seed[16])
{
    kv_pubsub *ps = calloc(1, sizeof *ps);
    int k;
    if (!ps)
        abort();
    ps->self = kv_shard_id(sh);
    ps->nshards = kv_shard_count(sh);
    memcpy(ps->seed, seed, sizeof ps->seed);
    for (k = 0; k < KV_PS_KINDS; k++)
        kv_dict_init(&ps->d[k], &kv_psent_type, seed);
    if (!(ps->mark = calloc((size_t)ps->nshards, 1)))
        abort();
    return ps;
}

static void kv_psent_free(kv_dnode *n, void *arg)
{
    kv_psent *e = (kv_psent *)n;
    (void)arg;
    free(e->counts);
    free(e->ids);
    free(e);
}

void kv_pubsub_free(kv_pubsub *ps)
{
    int k;
    if (!ps)
        return;
    for (k = 0; k < KV_PS_KINDS; k++)
        kv_dict_clear(&ps->d[k], kv_psent_free, NULL);
    free(ps->pats);
    free(ps->mark);
    free(ps);
}

kv_psent *kv_ps_find(kv_pubsub *ps, int kind, const char *name, size_t n)
{
    return (kv_psent *)kv_dict_find(&ps->d[kind], name, n, kv_dict_hash(&ps->d[kind], name, n));
}

static kv_psent *kv_ps_get(kv_pubsub *ps, int kind, const char *name, size_t n)
{
    uint64_t h = kv_dict_hash(&ps->d[kind], name, n);
    kv_psent *e = (kv_psent *)kv_dict_find(&ps->d[kind], name, n, h);
    if (e)
        return e;
    if (!(e = calloc(1, sizeof *e + n + 1)) ||
        !(e->counts = calloc((size_t)ps->nshards, sizeof *e->counts)))
        abort();
    e->kind = kind;
    e->n = n;
    memcpy(e->name, name, n);
    kv_dict_add(&ps->d[kind], &e->node, h);
    if (kind == KV_PS_PATTERN) {
        if (ps->npats == ps->cappats) {
            ps->cappats = ps->cappats ? ps->cappats * 2 : 8;
            if (!(ps->pats = realloc(ps->pats, ps->cappats * sizeof *ps->pats)))
                abort();
        }
        e->patidx = ps->npats;
        ps->pats[ps->npats++] = e;
    }
    return e;
}

/* An entry nobody uses any more goes. */
static void kv_ps_maybe_drop(kv_pubsub *ps, kv_psent *e)
{
    if (e->total > 0 || e->nids > 0)
        return;
    if (e->kind == KV_PS_PATTERN) {
        ps->pats[e->patidx] = ps->pats[--ps->npats];
        ps->pats[e->patidx]->patidx = e->patidx;
    }
    kv_dict_unlink(&ps->d[e->kind], e->name, e->n, kv_dict_hash(&ps->d[e->kind], e->name, e->n));
    kv_psent_free(&e->node, NULL);
}

void kv_ps_dir_add(kv_pubsub *ps, int kind, const char *name, size_t n, int shard, int delta)
{
    kv_psent *e;
    if (shard < 0 || shard >= ps->nshards)
        return;
    e = delta > 0 ? kv_ps_get(ps, kind, name, n) : kv_ps_find(ps, kind, name, n);
    if (!e || (delta < 0 && e->counts[shard] < -delta))
        return; /* never below zero, whatever arrives */
    if (e->total == 0 && delta > 0)
        ps->active[kind]++;
    e->counts[shard] += delta;
    e->total += delta;
    if (e->total == 0 && delta < 0)
        ps->active[kind]--;
    kv_ps_maybe_drop(ps, e);
}

void kv_ps_local_add(kv_pubsub *ps, int kind, const char *name, size_t n, unsigned long long id)
{
    kv_psent *e = kv_ps_get(ps, kind, name, n);
    if (e->nids == e->capids) {
        e->capids = e->capids ? e->capids * 2 : 4;
        if (!(e->ids = realloc(e->ids, e->capids * sizeof *e->ids)))
            abort();
    }
    e->ids[e->nids++] = id;
}

void kv_ps_local_del(kv_pubsub *ps, int kind, const char *name, size_t n, unsigned long long id)
{
    kv_psent *e = kv_ps_find(ps, kind, name, n);
    size_t i;
    if (!e)
        return;
    /* Newest first: a client that just subscribed is the likeliest to leave. */
    for (i = e->nids; i-- > 0;)
        if (e->ids[i] == id) {
            memmove(&e->ids[i], &e->ids[i + 1], (e->nids - i - 1) * sizeof *e->ids);
            e->nids--;
            break;
        }
    kv_ps_maybe_drop(ps, e);
}

int kv_pubsub_listened(const kv_pubsub *ps)
{
    return ps->active[KV_PS_CHANNEL] + ps->active[KV_PS_PATTERN] > 0;
}

void kv_pubsub_counts(const kv_pubsub *ps, long long *channels, long long *patterns,
                      long long *shard_channels)
{
    *channels = ps->active[KV_PS_CHANNEL];
    *patterns = ps->active[KV_PS_PATTERN];
    *shard_channels = ps->active[KV_PS_SHARD];
}

/* ------------------------------------------------------------ delivery */

/* A message frame, "*" for RESP2 clients; RESP3 ones get the same bytes
 * behind ">" (Redis's push type). */
static void kv_ps_frame(kv_buf *b, const char *kind, const kv_str *pat, const char *ch,
                        size_t chn, const char *msg, size_t msgn)
{
    kv_reply r;
    r.buf = b;
    r.proto = 2;
    r.errors = 0;
    b->len = 0;
    kv_reply_array(&r, pat ? 4 : 3);
    kv_reply_bulk_cstr(&r, kind);
    if (pat)
        kv_reply_bulk(&r, pat->p, pat->n);
    kv_reply_bulk(&r, ch, chn);
    kv_reply_bulk(&r, msg, msgn);
}

/* The running command's own client gets the message in its reply stream,
 * ahead of the reply, as Redis writes it (a RESP3 client publishing to
 * itself, or notified of its own write); everyone else behind the replies
 * of what they sent before. */
static void kv_ps_send_ids(kv_ctx *ctx, kv_shard *sh, const kv_psent *e, kv_buf *frame)
{
    size_t i;
    for (i = 0; i < e->nids; i++) {
        kv_conn *c = kv_shard_find_conn(sh, e->ids[i]);
        if (!c)
            continue;
        frame->p[0] = kv_conn_proto(c) >= 3 ? '>' : '*';
        if (ctx && ctx->conn == c && ctx->may_suspend)
            kv_buf_append(ctx->out.buf, frame->p, frame->len);
        else
            kv_conn_push(c, frame->p, frame->len);
    }
    frame->p[0] = '*';
}

void kv_ps_deliver_local(kv_ctx *ctx, kv_shard *sh, kv_pubsub *ps, int kind, const char *ch,
                         size_t chn, const char *msg, size_t msgn)
{
    kv_psent *e = kv_ps_find(ps, kind, ch, chn);
    kv_buf frame;
    size_t i;
    kv_buf_init(&frame);
    if (e && e->nids) {
        kv_ps_frame(&frame, kind == KV_PS_SHARD ? "smessage" : "message", NULL, ch, chn, msg,
                    msgn);
        kv_ps_send_ids(ctx, sh, e, &frame);
    }
    for (i = 0; kind == KV_PS_CHANNEL && i < ps->npats; i++) {
        kv_psent *p = ps->pats[i];
        kv_str pat;
        if (!p->nids || !kv_glob_match(p->name, p->n, ch, chn, 0))
            continue;
        pat.p = p->name;
        pat.n = p->n;
        kv_ps_frame(&frame, "pmessage", &pat, ch, chn, msg, msgn);
        kv_ps_send_ids(ctx, sh, p, &frame);
    }
    kv_buf_free(&frame);
}

/* Internal: pubsub|deliver kind channel message, cast to a shard with
 * receivers. The shard first adopts the current ACL users (one load when
 * unchanged): a subscriber an ACL SETUSER cut off before this PUBLISH was
 * closed, as in Redis, even if the news has not reached the shard yet. */
static void kv_cmd_ps_deliver(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_pubsub *ps = kv_state(ctx)->ps;
    if (kv_state(ctx)->srv->acl)
        kv_acl_shard_snap(ctx->shard, kv_state(ctx));
    if (argc == 4 && argv[1].n == 1)
        kv_ps_deliver_local(NULL, ctx->shard, ps, argv[1].p[0] - '0', argv[2].p, argv[2].n,
                            argv[3].p, argv[3].n);
}

static const kv_cmd kv_ps_deliver_cmd = {.name = "pubsub|deliver", .arity = 4,
                                         .route = KV_ROUTE_LOCAL, .exec = kv_cmd_ps_deliver};

static void kv_ps_send_deliveries(kv_ctx *ctx, kv_shard *sh, kv_pubsub *ps, int kind,
                                  const char *ch, size_t chn, const char *msg, size_t msgn)
{
    kv_str a[4];
    char k = (char)('0' + kind);
    int s;
    for (s = 0; s < ps->nshards; s++) {
        if (!ps->mark[s])
            continue;
        ps->mark[s] = 0;
        if (s == ps->self) {
            if (ctx && kv_state(ctx)->srv->acl) /* as kv_cmd_ps_deliver: SPUBLISH on the owner */
                kv_acl_shard_snap(sh, kv_state(ctx));
            kv_ps_deliver_local(ctx, sh, ps, kind, ch, chn, msg, msgn);
            continue;
        }
        a[0].p = "pubsub";
        a[0].n = 6;
        a[1].p = &k;
        a[1].n = 1;
        a[2].p = ch;
        a[2].n = chn;
        a[3].p = msg;
        a[3].n = msgn;
        kv_shard_cast(sh, s, &kv_ps_deliver_cmd, 0, 4, a);
    }
}

static long long kv_ps_mark(kv_pubsub *ps, const kv_psent *e)
{
    int s;
    for (s = 0; s < ps->nshards; s++)
        if (e->counts[s] > 0)
            ps->mark[s] = 1;
    return e->total;
}

long long kv_pubsub_publish(kv_ctx *ctx, kv_shard *sh, kv_pubsub *ps, const char *ch, size_t chn,
                            const char *msg, size_t msgn)
{
    long long total = 0;
    kv_psent *e;
    size_t i;
    if (!kv_pubsub_listened(ps))
        return 0;
    if ((e = kv_ps_find(ps, KV_PS_CHANNEL, ch, chn)) != NULL && e->total > 0)
        total += kv_ps_mark(ps, e);
    for (i = 0; i < ps->npats; i++) {
        kv_psent *p = ps->pats[i];
        if (p->total > 0 && kv_glob_match(p->name, p->n, ch, chn, 0))
            total += kv_ps_mark(ps, p);
    }
    if (total > 0)
        kv_ps_send_deliveries(ctx, sh, ps, KV_PS_CHANNEL, ch, chn, msg, msgn);
    return total;
}

long long kv_ps_spublish(kv_ctx *ctx, kv_shard *sh, kv_pubsub *ps, const char *ch, size_t chn,
                         const char *msg, size_t msgn)
{
    kv_psent *e = kv_ps_find(ps, KV_PS_SHARD, ch, chn);
    long long total;
    if (!e || e->total <= 0)
        return 0;
    total = kv_ps_mark(ps, e);
    kv_ps_send_deliveries(ctx, sh, ps, KV_PS_SHARD, ch, chn, msg, msgn);
    return total;
}

/* ----------------------------------------------------- a client's sets */

static uint64_t kv_psname_hash(const kv_dnode *n, const uint8_t seed[16])
{
    const kv_psname *e = (const kv_psname *)n;
    return kv_siphash(e->name, e->n, seed);
}

static int kv_psname_eq(const kv_dnode *n, const void *key, size_t klen)
{
    const kv_psname *e = (const kv_psname *)n;
    return e->n == klen && memcmp(e->name, key, klen) == 0;
}

static const kv_dict_type kv_psname_type = {kv_psname_hash, kv_psname_eq};

kv_psclient *kv_psclient_new(const uint8_t seed[16])
{
    kv_psclient *pc = calloc(1, sizeof *pc);
    int k;
    if (!pc)
        abort();
    for (k = 0; k < KV_PS_KINDS; k++)
        kv_dict_init(&pc->d[k], &kv_psname_type, seed);
    return pc;
}

static void kv_psname_free(kv_dnode *n, void *arg)
{
    (void)arg;
    free(n);
}

void kv_psclient_free(kv_psclient *pc)
{
    int k;
    if (!pc)
        return;
    for (k = 0; k < KV_PS_KINDS; k++)
        kv_dict_clear(&pc->d[k], kv_psname_free, NULL);
    free(pc);
}

int kv_psclient_add(kv_psclient *pc, int kind, const char *name, size_t n)
{
    uint64_t h = kv_dict_hash(&pc->d[kind], name, n);
    kv_psname *e;
    if (kv_dict_find(&pc->d[kind], name, n, h))
        return 0;
    if (!(e = calloc(1, sizeof *e + n + 1)))
        abort();
    e->n = n;
    memcpy(e->name, name, n);
    kv_dict_add(&pc->d[kind], &e->node, h);
    return 1;
}

int kv_psclient_del(kv_psclient *pc, int kind, const char *name, size_t n)
{
    kv_dnode *e = kv_dict_unlink(&pc->d[kind], name, n, kv_dict_hash(&pc->d[kind], name, n));
    if (!e)
        return 0;
    free(e);
    return 1;
}

typedef struct kv_psnames {
    kv_str *v;
    size_t n, cap, bytes;
} kv_psnames;

static void kv_psnames_one(void *arg, kv_dnode *node)
{
    kv_psnames *l = arg;
    kv_psname *e = (kv_psname *)node;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        if (!(l->v = realloc(l->v, l->cap * sizeof *l->v)))
            abort();
    }
    l->v[l->n].p = e->name;
    l->v[l->n++].n = e->n;
    l->bytes += e->n;
}

kv_str *kv_psclient_names(kv_psclient *pc, int kind, size_t *n)
{
    kv_psnames l = {NULL, 0, 0, 0};
    unsigned long cur = 0;
    kv_str *out;
    char *text;
    size_t i;
    do
        cur = kv_dict_scan(&pc->d[kind], cur, kv_psnames_one, &l);
    while (cur != 0);
    /* One block: the vector, then copies of the names (they outlive the
     * set's entries while the client leaves them). */
    if (!(out = malloc(l.n * sizeof *out + l.bytes + 1)))
        abort();
    text = (char *)(out + l.n);
    for (i = 0; i < l.n; i++) {
        memcpy(text, l.v[i].p, l.v[i].n);
        out[i].p = text;
        out[i].n = l.v[i].n;
        text += l.v[i].n;
    }
    free(l.v);
    *n = l.n;
    return out;
}

size_t kv_psclient_count(const kv_psclient *pc, int kind)
{
    return pc ? kv_dict_size(&pc->d[kind]) : 0;
}
