/* Client-side caching, BCAST mode on the shard side: this shard's copy of
 * the prefix table (updated before CLIENT TRACKING replies), the keys
 * written under a prefix during a loop turn, and the grouped invalidation
 * messages sent at the turn's end (Redis's beforeSleep). */
#include "cmd/pubsub/tracking_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------- prefixes */

static size_t kv_trk_pfx_pos(const kv_tracking *t, const char *p, size_t n, int *found)
{
    size_t lo = 0, hi = t->npfx;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const kv_trkpfx *x = t->pfx[mid];
        size_t m = x->n < n ? x->n : n;
        int c = memcmp(x->p, p, m);
        if (c == 0)
            c = x->n < n ? -1 : x->n > n ? 1 : 0;
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

void kv_trk_prefix_add(kv_tracking *t, const char *p, size_t n, int home, unsigned long long id)
{
    int found;
    size_t at = kv_trk_pfx_pos(t, p, n, &found), i;
    kv_trkpfx *x;
    if (!found) {
        if (!(x = calloc(1, sizeof *x)) || !(x->p = malloc(n + 1)))
            abort();
        memcpy(x->p, p, n);
        x->n = n;
        kv_buf_init(&x->text);
        if (t->npfx == t->cappfx) {
            t->cappfx = t->cappfx ? t->cappfx * 2 : 4;
            if (!(t->pfx = realloc(t->pfx, t->cappfx * sizeof *t->pfx)))
                abort();
        }
        memmove(&t->pfx[at + 1], &t->pfx[at], (t->npfx - at) * sizeof *t->pfx);
        t->pfx[at] = x;
        t->npfx++;
        kv_trk_live(t);
    }
    x = t->pfx[at];
    for (i = 0; i < x->nclients; i++)
        if (x->clients[i].id == id && x->clients[i].home == home)
            return;
    if (x->nclients == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 4;
        if (!(x->clients = realloc(x->clients, x->cap * sizeof *x->clients)))
            abort();
    }
    x->clients[x->nclients++] = kv_trk_ref(home, id);
}

void kv_trk_prefix_del(kv_tracking *t, const char *p, size_t n, int home, unsigned long long id)
{
    int found;
    size_t at = kv_trk_pfx_pos(t, p, n, &found), i;
    kv_trkpfx *x;
    if (!found)
        return;
    x = t->pfx[at];
    for (i = 0; i < x->nclients; i++)
        if (x->clients[i].id == id && x->clients[i].home == home) {
            x->clients[i] = x->clients[--x->nclients];
            break;
        }
    if (x->nclients)
        return;
    kv_trkpfx_free(x);
    memmove(&t->pfx[at], &t->pfx[at + 1], (t->npfx - at - 1) * sizeof *t->pfx);
    t->npfx--;
    kv_trk_live(t);
}

/* Internal: tracking|prefix +|- {client} prefixes..., on every shard. */
static void kv_cmd_trk_prefix(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_tracking *t = kv_state(ctx)->trk;
    kv_trkref r;
    int j;
    if (argc < 3 || argv[1].n != 1 || argv[2].n != sizeof r)
        return;
    memcpy(&r, argv[2].p, sizeof r);
    for (j = 3; j < argc; j++) {
        if (argv[1].p[0] == '+')
            kv_trk_prefix_add(t, argv[j].p, argv[j].n, (int)r.home, r.id);
        else
            kv_trk_prefix_del(t, argv[j].p, argv[j].n, (int)r.home, r.id);
    }
    kv_reply_status(&ctx->out, "OK");
}

static const kv_cmd kv_trk_prefix_cmd = {.name = "tracking|prefix", .arity = -3,
                                         .route = KV_ROUTE_LOCAL, .exec = kv_cmd_trk_prefix};

int kv_trk_prefix_send(kv_shard *sh, kv_coord *co, int add, unsigned long long id,
                       const kv_str *prefixes, size_t n)
{
    int s, self = kv_shard_id(sh), sent = 0;
    kv_trkref r = kv_trk_ref(self, id);
    kv_str *a;
    size_t i;
    if (!n || kv_shard_count(sh) < 2)
        return 0;
    if (!(a = malloc((n + 3) * sizeof *a)))
        abort();
    a[0] = kv_trk_packed("tracking", 8);
    a[1] = kv_trk_packed(add ? "+" : "-", 1);
    a[2] = kv_trk_packed(&r, sizeof r);
    for (i = 0; i < n; i++)
        a[i + 3] = prefixes[i];
    for (s = 0; s < kv_shard_count(sh); s++) {
        if (s == self)
            continue;
        if (co)
            kv_coord_send(co, s, 0, &kv_trk_prefix_cmd, (int)n + 3, a);
        else
            kv_shard_cast(sh, s, &kv_trk_prefix_cmd, 0, (int)n + 3, a);
        sent++;
    }
    free(a);
    return sent;
}

void kv_trk_pend(kv_tracking *t, kv_trkpfx *x, const char *key, size_t n, kv_trkref w)
{
    kv_trkpend *e;
    if (x->nkeys == x->capkeys) {
        x->capkeys = x->capkeys ? x->capkeys * 2 : 8;
        if (!(x->keys = realloc(x->keys, x->capkeys * sizeof *x->keys)))
            abort();
    }
    e = &x->keys[x->nkeys++];
    e->off = x->text.len;
    e->n = n;
    e->seq = t->seq++;
    e->writer = w;
    kv_buf_append(&x->text, key, n);
    t->pending = 1;
}

/* ------------------------------------------------------ BCAST messages */

static int kv_pend_cmp(const void *a, const void *b)
{
    const kv_trkpend *x = a, *y = b;
    size_t m = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->k, y->k, m);
    if (c)
        return c;
    if (x->n != y->n)
        return x->n < y->n ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Internal: tracking|bcast {ids} {writers} keys..., at the clients' home:
 * one array per prefix (Redis's trackingBroadcastInvalidationMessages),
 * without a NOLOOP client's own writes. */
static void kv_cmd_trk_bcast(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_shard *sh = ctx->shard;
    size_t nids, nkeys = (size_t)(argc > 3 ? argc - 3 : 0), i, j;
    unsigned long long *ids;
    kv_trkref *w;
    kv_buf payload;
    if (argc < 4 || argv[1].n % sizeof *ids || argv[2].n != nkeys * sizeof *w)
        return;
    nids = argv[1].n / sizeof *ids;
    if (!(ids = malloc(argv[1].n + 1)) || !(w = malloc(argv[2].n + 1)))
        abort();
    memcpy(ids, argv[1].p, argv[1].n);
    memcpy(w, argv[2].p, argv[2].n);
    kv_buf_init(&payload);
    for (i = 0; i < nids; i++) {
        kv_conn *c = kv_shard_find_conn(sh, ids[i]);
        kv_trkclient *tc = kv_trk_of(c);
        size_t count = 0;
        char head[32];
        int h;
        if (!tc || (tc->flags & (KV_TRK_ON | KV_TRK_BCAST)) != (KV_TRK_ON | KV_TRK_BCAST))
            continue;
        for (j = 0; j < nkeys; j++)
            if (!(tc->flags & KV_TRK_NOLOOP) || w[j].id != ids[i] ||
                w[j].home != kv_shard_id(sh))
                count++;
        if (!count)
            continue;
        payload.len = 0;
        h = snprintf(head, sizeof head, "*%zu\r\n", count);
        kv_buf_append(&payload, head, (size_t)h);
        for (j = 0; j < nkeys; j++) {
            if (count != nkeys && w[j].id == ids[i] && w[j].home == kv_shard_id(sh))
                continue;
            h = snprintf(head, sizeof head, "$%zu\r\n", argv[j + 3].n);
            kv_buf_append(&payload, head, (size_t)h);
            kv_buf_append(&payload, argv[j + 3].p, argv[j + 3].n);
            kv_buf_append(&payload, "\r\n", 2);
        }
        kv_trk_send(sh, c, tc, payload.p, payload.len);
    }
    kv_buf_free(&payload);
    free(ids);
    free(w);
}

static const kv_cmd kv_trk_bcast_cmd = {.name = "tracking|bcast", .arity = -4,
                                        .route = KV_ROUTE_LOCAL, .exec = kv_cmd_trk_bcast};

/* One prefix's keys of this turn, sorted and without repeats (the last
 * writer of a key counts), to each home shard of its clients. */
static void kv_trk_bcast_prefix(kv_tracking *t, kv_trkpfx *x)
{
    kv_shard *sh = t->st->shard;
    int nshards = kv_shard_count(sh), s;
    size_t i, n = 0;
    kv_str *a;
    kv_trkref *w;
    unsigned long long *ids;
    for (i = 0; i < x->nkeys; i++)
        x->keys[i].k = x->text.p + x->keys[i].off;
    qsort(x->keys, x->nkeys, sizeof *x->keys, kv_pend_cmp);
    for (i = 0; i < x->nkeys; i++) {
        if (i + 1 < x->nkeys && x->keys[i].n == x->keys[i + 1].n &&
            memcmp(x->keys[i].k, x->keys[i + 1].k, x->keys[i].n) == 0)
            continue; /* a later write of the same key follows */
        x->keys[n++] = x->keys[i];
    }
    if (!(a = malloc((n + 3) * sizeof *a)) || !(w = malloc(n * sizeof *w + 1)) ||
        !(ids = malloc(x->nclients * sizeof *ids + 1)))
        abort();
    a[0] = kv_trk_packed("tracking", 8);
    for (i = 0; i < n; i++) {
        w[i] = x->keys[i].writer;
        a[i + 3] = kv_trk_packed(x->keys[i].k, x->keys[i].n);
    }
    a[2] = kv_trk_packed(w, n * sizeof *w);
    for (s = 0; s < nshards; s++) {
        size_t nids = 0;
        for (i = 0; i < x->nclients; i++)
            if (x->clients[i].home == s)
                ids[nids++] = x->clients[i].id;
        if (!nids)
            continue;
        a[1] = kv_trk_packed(ids, nids * sizeof *ids);
        /* To this shard too, through the cast: it runs at once. */
        kv_shard_cast(sh, s, &kv_trk_bcast_cmd, 0, (int)n + 3, a);
    }
    free(a);
    free(w);
    free(ids);
    x->nkeys = 0;
    x->text.len = 0;
}

void kv_tracking_turn_end(kv_shard *sh, void *state)
{
    kv_tracking *t = ((kv_cmdstate *)state)->trk;
    size_t i;
    (void)sh;
    if (!t->pending)
        return;
    t->pending = 0;
    for (i = 0; i < t->npfx; i++)
        if (t->pfx[i]->nkeys)
            kv_trk_bcast_prefix(t, t->pfx[i]);
}
