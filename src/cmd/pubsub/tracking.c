/* Client-side caching, the shard side: the tracking table of the keys this
 * shard owns, this shard's copy of the BCAST prefix table, and the messages
 * that carry invalidations to the tracking client's home (and on to its
 * redirection target's). Clients are named by (home, id), never by
 * pointer: a message for a client gone meanwhile finds nobody and is
 * dropped, and the table keeps stale ids lazily, as Redis does. */
#include "cmd/pubsub/tracking_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/pubsub/pubsub.h"
#include "cmd/config/cfg.h"
#include "cmd/server/session.h"
#include "rt/atomic.h"
#include "store/dict.h"
#include "store/siphash.h"


static uint64_t kv_trkkey_hash(const kv_dnode *n, const uint8_t seed[16])
{
    const kv_trkkey *k = (const kv_trkkey *)n;
    return kv_siphash(k->key, k->n, seed);
}

static int kv_trkkey_eq(const kv_dnode *n, const void *key, size_t klen)
{
    const kv_trkkey *k = (const kv_trkkey *)n;
    return k->n == klen && memcmp(k->key, key, klen) == 0;
}

static const kv_dict_type kv_trkkey_type = {kv_trkkey_hash, kv_trkkey_eq};

void kv_trk_live(kv_tracking *t)
{
    t->st->trk_live = kv_dict_size(&t->keys) + t->npfx;
}

kv_tracking *kv_tracking_new(kv_cmdstate *st)
{
    kv_tracking *t = calloc(1, sizeof *t);
    if (!t)
        abort();
    t->st = st;
    t->self = kv_shard_id(st->shard);
    kv_dict_init(&t->keys, &kv_trkkey_type, st->srv->seed);
    t->shared_keys = st->srv->shared ? &st->srv->shared->tracking_keys : NULL;
    t->rng = (uint64_t)t->self * 0x9e3779b97f4a7c15ULL + 1;
    t->max_keys = kv_cfg_ll(st->cfg, "tracking-table-max-keys");
    return t;
}

static void kv_trkkey_free(kv_dnode *n, void *arg)
{
    kv_trkkey *k = (kv_trkkey *)n;
    (void)arg;
    free(k->refs);
    free(k);
}

void kv_trkpfx_free(kv_trkpfx *p)
{
    free(p->p);
    free(p->clients);
    free(p->keys);
    kv_buf_free(&p->text);
    free(p);
}

void kv_tracking_free(kv_tracking *t)
{
    size_t i;
    if (!t)
        return;
    kv_dict_clear(&t->keys, kv_trkkey_free, NULL);
    for (i = 0; i < t->npfx; i++)
        kv_trkpfx_free(t->pfx[i]);
    free(t->pfx);
    free(t);
}

static void kv_trk_count_keys(kv_tracking *t, long long delta)
{
    if (t->shared_keys)
        kv_atomic_fetch_add_relaxed(t->shared_keys, delta);
}

static long long kv_trk_total_keys(const kv_tracking *t)
{
    return t->shared_keys ? kv_atomic_load_relaxed(t->shared_keys)
                          : (long long)kv_dict_size(&t->keys);
}

void kv_tracking_counts(const kv_tracking *t, long long *clients, long long *keys,
                        long long *items, long long *prefixes)
{
    *clients = t->home_clients;
    *keys = (long long)kv_dict_size(&t->keys);
    *items = t->items;
    *prefixes = (long long)t->npfx;
}

void kv_trk_home_count(kv_tracking *t, int delta)
{
    t->home_clients += delta;
}

kv_trkclient *kv_trk_of(kv_conn *c)
{
    kv_session *s = c ? kv_conn_data(c) : NULL;
    return s ? s->trk : NULL;
}

/* ------------------------------------------------------------- delivery */

kv_str kv_trk_packed(const void *p, size_t n)
{
    kv_str s;
    s.p = p;
    s.n = n;
    return s;
}

kv_trkref kv_trk_ref(int home, unsigned long long id)
{
    kv_trkref r;
    memset(&r, 0, sizeof r);
    r.id = id;
    r.home = home;
    return r;
}

static void kv_push_framed(kv_shard *sh, unsigned long long id, const char *head, size_t hn,
                           const char *payload, size_t n)
{
    kv_buf b;
    kv_buf_init(&b);
    kv_buf_append(&b, head, hn);
    kv_buf_append(&b, payload, n);
    kv_shard_push(sh, kv_shard_id(sh), id, b.p, b.len);
    kv_buf_free(&b);
}

static const char kv_inval_head[] = ">2\r\n$10\r\ninvalidate\r\n";
static const char kv_inval_msg[] = "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n";

/* Internal: tracking|broken {tracker, redirect} at the tracker's home: the
 * redirection target is gone (Redis flags it and tells a RESP3 client). */
static void kv_cmd_trk_broken(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_trkref r[2];
    kv_conn *c;
    kv_trkclient *tc;
    char line[96];
    int n;
    if (argc != 2 || argv[1].n != sizeof r)
        return;
    memcpy(r, argv[1].p, sizeof r);
    c = kv_shard_find_conn(ctx->shard, r[0].id);
    tc = kv_trk_of(c);
    if (!tc || !(tc->flags & KV_TRK_ON) || tc->redir != r[1].id)
        return;
    tc->flags |= KV_TRK_BROKEN;
    if (kv_conn_proto(c) < 3)
        return;
    n = snprintf(line, sizeof line, ">2\r\n$21\r\ntracking-redir-broken\r\n:%llu\r\n", r[1].id);
    kv_shard_push(ctx->shard, kv_shard_id(ctx->shard), r[0].id, line, (size_t)n);
}

static const kv_cmd kv_trk_broken_cmd = {.name = "tracking|broken", .arity = 2,
                                         .route = KV_ROUTE_LOCAL, .exec = kv_cmd_trk_broken};

/* Internal: tracking|redir {target, tracker} payload, at the target's home:
 * Redis's sendTrackingMessage once redirected. */
static void kv_cmd_trk_redir(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_trkref r[2];
    kv_conn *c;
    kv_str a[2];
    if (argc != 3 || argv[1].n != sizeof r)
        return;
    memcpy(r, argv[1].p, sizeof r);
    if (!(c = kv_shard_find_conn(ctx->shard, r[0].id))) {
        kv_trkref b[2];
        b[0] = r[1];
        b[1] = r[0];
        a[0] = kv_trk_packed("tracking", 8);
        a[1] = kv_trk_packed(b, sizeof b);
        kv_shard_cast(ctx->shard, (int)r[1].home, &kv_trk_broken_cmd, 0, 2, a);
        return;
    }
    if (kv_conn_proto(c) >= 3)
        kv_push_framed(ctx->shard, r[0].id, kv_inval_head, sizeof kv_inval_head - 1, argv[2].p,
                       argv[2].n);
    else if (kv_pubsub_client_active(c))
        kv_push_framed(ctx->shard, r[0].id, kv_inval_msg, sizeof kv_inval_msg - 1, argv[2].p,
                       argv[2].n);
    /* else: a RESP2 client outside Pub/Sub cannot take it; Redis drops it */
}

static const kv_cmd kv_trk_redir_cmd = {.name = "tracking|redir", .arity = 3,
                                        .route = KV_ROUTE_LOCAL, .exec = kv_cmd_trk_redir};

/* The value part (an array of keys, or a null) for tracking client c of
 * this shard: on its own connection (RESP3), or to its redirection. */
void kv_trk_send(kv_shard *sh, kv_conn *c, const kv_trkclient *tc, const char *payload,
                        size_t n)
{
    if (tc->redir) {
        kv_trkref r[2];
        kv_str a[3];
        r[0] = kv_trk_ref(tc->redir_home, tc->redir);
        r[1] = kv_trk_ref(kv_shard_id(sh), kv_conn_id(c));
        a[0] = kv_trk_packed("tracking", 8);
        a[1] = kv_trk_packed(r, sizeof r);
        a[2] = kv_trk_packed(payload, n);
        kv_shard_cast(sh, tc->redir_home, &kv_trk_redir_cmd, 0, 3, a);
        return;
    }
    if (kv_conn_proto(c) >= 3)
        kv_push_framed(sh, kv_conn_id(c), kv_inval_head, sizeof kv_inval_head - 1, payload, n);
}

static void kv_key_array(kv_buf *b, const char *key, size_t n)
{
    char head[48];
    int h = snprintf(head, sizeof head, "*1\r\n$%zu\r\n", n);
    kv_buf_append(b, head, (size_t)h);
    kv_buf_append(b, key, n);
    kv_buf_append(b, "\r\n", 2);
}

/* Key invalidation for clients (ids) of this shard. */
static void kv_trk_inval_local(kv_shard *sh, const char *key, size_t n, kv_trkref writer,
                               const unsigned long long *ids, size_t nids)
{
    kv_buf payload;
    size_t i;
    kv_buf_init(&payload);
    for (i = 0; i < nids; i++) {
        kv_conn *c = kv_shard_find_conn(sh, ids[i]);
        kv_trkclient *tc = kv_trk_of(c);
        /* Off since, or BCAST now: nothing (Redis checks the same). */
        if (!tc || (tc->flags & (KV_TRK_ON | KV_TRK_BCAST)) != KV_TRK_ON)
            continue;
        if ((tc->flags & KV_TRK_NOLOOP) && writer.id == ids[i] && writer.home == kv_shard_id(sh))
            continue;
        if (!payload.len)
            kv_key_array(&payload, key, n);
        kv_trk_send(sh, c, tc, payload.p, payload.len);
    }
    kv_buf_free(&payload);
}

/* Internal: tracking|inval key {writer} {ids}, at the clients' home. */
static void kv_cmd_trk_inval(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_trkref w;
    unsigned long long *ids;
    size_t nids;
    if (argc != 4 || argv[2].n != sizeof w || argv[3].n % sizeof *ids)
        return;
    memcpy(&w, argv[2].p, sizeof w);
    nids = argv[3].n / sizeof *ids;
    if (!(ids = malloc(argv[3].n + 1)))
        abort();
    memcpy(ids, argv[3].p, argv[3].n);
    kv_trk_inval_local(ctx->shard, argv[1].p, argv[1].n, w, ids, nids);
    free(ids);
}

static const kv_cmd kv_trk_inval_cmd = {.name = "tracking|inval", .arity = 4,
                                        .route = KV_ROUTE_LOCAL, .exec = kv_cmd_trk_inval};

/* ----------------------------------------------------------- the table */

static void kv_trk_add_ref(kv_trkkey *k, kv_trkref r)
{
    size_t i;
    for (i = 0; i < k->nrefs; i++)
        if (k->refs[i].id == r.id && k->refs[i].home == r.home)
            return;
    if (k->nrefs == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 2;
        if (!(k->refs = realloc(k->refs, k->cap * sizeof *k->refs)))
            abort();
    }
    k->refs[k->nrefs++] = r;
}

/* Redis's trackingInvalidateKey for the table: every client that may have
 * the key hears of it (grouped per home shard), and the key leaves. */
static void kv_trk_invalidate(kv_tracking *t, kv_trkkey *k, kv_trkref writer)
{
    kv_shard *sh = t->st->shard;
    int nshards = kv_shard_count(sh), s;
    unsigned long long *ids = malloc(k->nrefs * sizeof *ids + 1);
    if (!ids)
        abort();
    for (s = 0; s < nshards; s++) {
        size_t i, nids = 0;
        for (i = 0; i < k->nrefs; i++)
            if (k->refs[i].home == s)
                ids[nids++] = k->refs[i].id;
        if (!nids)
            continue;
        if (s == t->self) {
            kv_trk_inval_local(sh, k->key, k->n, writer, ids, nids);
        } else {
            kv_str a[4];
            a[0] = kv_trk_packed("tracking", 8);
            a[1] = kv_trk_packed(k->key, k->n);
            a[2] = kv_trk_packed(&writer, sizeof writer);
            a[3] = kv_trk_packed(ids, nids * sizeof *ids);
            kv_shard_cast(sh, s, &kv_trk_inval_cmd, 0, 4, a);
        }
    }
    free(ids);
    t->items -= (long long)k->nrefs;
    kv_dict_unlink(&t->keys, k->key, k->n, kv_dict_hash(&t->keys, k->key, k->n));
    kv_trkkey_free(&k->node, NULL);
    kv_trk_count_keys(t, -1);
    kv_trk_live(t);
}

/* tracking-table-max-keys: evict random keys (their clients are told, as
 * if the keys changed) until the table is small enough again. The limit
 * counts every shard's keys; a shard evicts only its own. */
static void kv_trk_limit(kv_tracking *t)
{
    long long total;
    if (t->max_keys <= 0)
        return;
    total = kv_trk_total_keys(t);
    while (total > t->max_keys && kv_dict_size(&t->keys) > 0) {
        kv_trkkey *k = (kv_trkkey *)kv_dict_random(&t->keys, &t->rng);
        if (!k)
            break;
        kv_trk_invalidate(t, k, kv_trk_ref(-1, 0));
        total--;
    }
}

static void kv_trk_remember(kv_tracking *t, const char *key, size_t n, kv_trkref r)
{
    uint64_t h = kv_dict_hash(&t->keys, key, n);
    kv_trkkey *k = (kv_trkkey *)kv_dict_find(&t->keys, key, n, h);
    size_t before;
    if (!k) {
        if (!(k = calloc(1, sizeof *k + n + 1)))
            abort();
        k->n = n;
        memcpy(k->key, key, n);
        kv_dict_add(&t->keys, &k->node, h);
        kv_trk_count_keys(t, 1);
        kv_trk_live(t);
    }
    before = k->nrefs;
    kv_trk_add_ref(k, r);
    t->items += (long long)(k->nrefs - before);
}

/* Internal: tracking|remember key {client}, on the key's owner: a read
 * coordinated from another shard, sent under its locks. */
static void kv_cmd_trk_remember(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_tracking *t = kv_state(ctx)->trk;
    kv_trkref r;
    if (argc != 3 || argv[2].n != sizeof r)
        return;
    memcpy(&r, argv[2].p, sizeof r);
    kv_trk_remember(t, argv[1].p, argv[1].n, r);
    kv_trk_limit(t);
}

static const kv_cmd kv_trk_remember_cmd = {.name = "tracking|remember", .arity = 3,
                                           .route = KV_ROUTE_LOCAL,
                                           .exec = kv_cmd_trk_remember};

void kv_tracking_ran(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_tracking *t = kv_state(ctx)->trk;
    int pos[16], *p = pos, n, i;
    /* Redis remembers the keys of every read-only command a tracking
     * client runs (trackingRememberKeys in call()), read or not. */
    if (!(ctx->client_flags & KV_TRK_REQ) || !(ctx->cmd->flags & KV_CMD_READONLY) ||
        !ctx->client_id)
        return;
    n = kv_command_keys(ctx->cmd, argc, argv, pos, 16);
    if (n <= 0)
        return;
    if (n > 16) {
        if (!(p = malloc((size_t)n * sizeof *p)))
            abort();
        n = kv_command_keys(ctx->cmd, argc, argv, p, n);
    }
    for (i = 0; i < n; i++) {
        const kv_str *k = &argv[p[i]];
        kv_trkref r = kv_trk_ref(ctx->home, ctx->client_id);
        int owner = kv_shard_of_key(ctx->shard, k->p, k->n);
        if (owner == t->self) {
            kv_trk_remember(t, k->p, k->n, r);
        } else {
            /* A coordination's key (its locks hold writes off until this
             * arrives: same ring, ahead of the unlock). */
            kv_str a[3];
            a[0] = kv_trk_packed("tracking", 8);
            a[1] = *k;
            a[2] = kv_trk_packed(&r, sizeof r);
            kv_shard_cast(ctx->shard, owner, &kv_trk_remember_cmd, 0, 3, a);
        }
    }
    if (p != pos)
        free(p);
    kv_trk_limit(t);
}

/* --------------------------------------------------------------- writes */
void kv_tracking_touch(kv_cmdstate *st, const char *key, size_t n, int writer_home,
                       unsigned long long writer_id)
{
    kv_tracking *t = st->trk;
    kv_trkref w = kv_trk_ref(writer_home, writer_id);
    kv_trkkey *k;
    size_t i;
    for (i = 0; i < t->npfx; i++) {
        kv_trkpfx *x = t->pfx[i];
        if (x->n <= n && memcmp(x->p, key, x->n) == 0)
            kv_trk_pend(t, x, key, n, w);
    }
    k = (kv_trkkey *)kv_dict_find(&t->keys, key, n, kv_dict_hash(&t->keys, key, n));
    if (k)
        kv_trk_invalidate(t, k, w);
}

/* ------------------------------------------------------- flush and tick */

static void kv_trk_flush_one(void *arg, kv_conn *c)
{
    kv_shard *sh = arg;
    kv_trkclient *tc = kv_trk_of(c);
    if (!tc || !(tc->flags & KV_TRK_ON))
        return;
    /* The null in the tracking client's own protocol, even when it goes to
     * a redirection (Redis's shared.null[c->resp]). */
    if (kv_conn_proto(c) >= 3)
        kv_trk_send(sh, c, tc, "_\r\n", 3);
    else
        kv_trk_send(sh, c, tc, "$-1\r\n", 5);
}

void kv_tracking_flush(kv_ctx *ctx)
{
    kv_cmdstate *st = kv_state(ctx);
    kv_tracking *t = st->trk;
    if (t->home_clients)
        kv_shard_foreach_conn(ctx->shard, kv_trk_flush_one, ctx->shard);
    if (kv_dict_size(&t->keys)) {
        kv_trk_count_keys(t, -(long long)kv_dict_size(&t->keys));
        kv_dict_clear(&t->keys, kv_trkkey_free, NULL);
        t->items = 0;
        kv_trk_live(t);
    }
}

void kv_tracking_tick(kv_shard *sh, kv_cmdstate *st)
{
    kv_tracking *t = st->trk;
    (void)sh;
    t->max_keys = kv_cfg_ll(st->cfg, "tracking-table-max-keys");
    if (kv_dict_size(&t->keys))
        kv_trk_limit(t);
}
