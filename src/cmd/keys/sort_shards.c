/* SORT over several shards, under locks on the source and destination (and
 * on every shard whole when a BY/GET pattern names keys). Without pattern
 * lookups the source's shard runs the sort and only a STORE elsewhere needs
 * a second step. With them, the source's elements come home, the BY values
 * are fetched from their shards (one batch per shard), the home sorts, then
 * fetches the GET values of the output range, and replies or sends the
 * result to the destination's shard. */
#include "cmd/keys/sort.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ replies */

typedef struct rd {
    const char *p, *end;
} rd;

static int rd_line(rd *r, char *type, long long *v)
{
    return kv_rd_line(&r->p, r->end, type, v);
}

/* A bulk string, or a nil (out->p NULL); 0 on success. */
static int rd_bulk(rd *r, kv_str *out)
{
    long long n;
    char t;
    if (rd_line(r, &t, &n) != 0)
        return -1;
    out->p = NULL;
    out->n = 0;
    if (t == '_' || (t == '$' && n < 0))
        return 0;
    if (t != '$' || n + 2 > r->end - r->p)
        return -1;
    out->p = r->p;
    out->n = (size_t)n;
    r->p += n + 2;
    return 0;
}

/* ------------------------------------------------------------ state */

enum { P_START, P_RELAY, P_FINAL, P_LOADED, P_BYVALS, P_SORTED, P_GETVALS, P_EMIT };

/* One value to look up: where it goes (an element for BY, an item for GET). */
typedef struct lookup {
    int shard;
    size_t pos;
    kv_str key, spec; /* spec: "s", or "h" and the field */
} lookup;

typedef struct sortco {
    kv_sortjob j;
    int phase;
    int src, dst;
    kv_str *items;
    size_t nitems;
    lookup *lk;
    size_t nlk, caplk;
    kv_buf key;
} sortco;

static void sortco_free(void *p)
{
    sortco *s = p;
    kv_sortjob_free(&s->j);
    free(s->items);
    free(s->lk);
    kv_buf_free(&s->key);
    free(s);
}

/* Queue the lookup of pattern pat for element el, landing at pos. Returns
 * the pattern's kind; only KV_SORTPAT_KEY queues anything. */
static int lookup_add(kv_ctx *ctx, sortco *s, const kv_str *pat, const kv_sortel *el, size_t pos)
{
    kv_str key, field;
    int hashf, kind = kv_sort_pattern(pat, el->p, el->n, &s->key, &key, &field, &hashf);
    lookup *l;
    if (kind != KV_SORTPAT_KEY)
        return kind;
    if (s->nlk == s->caplk) {
        size_t cap = s->caplk ? s->caplk * 2 : 16;
        lookup *n = realloc(s->lk, cap * sizeof *n);
        if (!n)
            abort();
        s->lk = n;
        s->caplk = cap;
    }
    l = &s->lk[s->nlk++];
    l->pos = pos;
    l->shard = kv_shard_of_key(ctx->shard, key.p, key.n);
    l->key.p = kv_sortjob_copy(&s->j, key.p, key.n);
    l->key.n = key.n;
    s->key.len = 0;
    kv_buf_append(&s->key, hashf ? "h" : "s", 1);
    if (hashf)
        kv_buf_append(&s->key, field.p, field.n);
    l->spec.p = kv_sortjob_copy(&s->j, s->key.p, s->key.len);
    l->spec.n = s->key.len;
    return kind;
}

/* One batch per shard, in shard order, lookups in the order queued. */
static void lookups_send(kv_ctx *ctx, kv_coord *co, sortco *s)
{
    int sh, nsh = kv_shard_count(ctx->shard);
    kv_str *argv = malloc((2 * s->nlk + 1) * sizeof *argv);
    size_t i;
    if (!argv)
        abort();
    argv[0].p = "sort";
    argv[0].n = 4;
    for (sh = 0; sh < nsh; sh++) {
        int m = 1;
        for (i = 0; i < s->nlk; i++) {
            if (s->lk[i].shard != sh)
                continue;
            argv[m++] = s->lk[i].key;
            argv[m++] = s->lk[i].spec;
        }
        if (m > 1)
            kv_coord_send(co, sh, ctx->db, &kv_sub_sort_get, m, argv);
    }
    free(argv);
}

/* Read the batches back: fn(s, pos, value) per lookup, value copied into
 * the arena (p NULL: nil). -1 if a reply is malformed. */
static int lookups_read(kv_ctx *ctx, kv_coord *co, sortco *s,
                        void (*fn)(sortco *s, size_t pos, const kv_str *v))
{
    int sh, nsh = kv_shard_count(ctx->shard), part = 0, rc = 0;
    rd *r = calloc((size_t)nsh, sizeof *r);
    size_t i;
    if (!r)
        abort();
    for (sh = 0; sh < nsh; sh++) {
        for (i = 0; i < s->nlk && s->lk[i].shard != sh; i++)
            ;
        if (i < s->nlk) {
            kv_str reply = kv_coord_reply(co, part++);
            long long n;
            char t;
            r[sh].p = reply.p;
            r[sh].end = reply.p + reply.n;
            if (rd_line(&r[sh], &t, &n) != 0 || t != '*')
                rc = -1;
        }
    }
    for (i = 0; i < s->nlk && rc == 0; i++) {
        kv_str v;
        if (rd_bulk(&r[s->lk[i].shard], &v) != 0) {
            rc = -1;
            break;
        }
        if (v.p)
            v.p = kv_sortjob_copy(&s->j, v.p, v.n);
        fn(s, s->lk[i].pos, &v);
    }
    free(r);
    s->nlk = 0;
    return rc;
}

static void by_value(sortco *s, size_t pos, const kv_str *v)
{
    kv_sortjob_by(&s->j, pos, v->p, v->n);
}

static void get_value(sortco *s, size_t pos, const kv_str *v)
{
    s->items[pos] = *v;
}

/* ------------------------------------------------------------ steps */

/* Hand a sub-command's reply to the client as it is. */
static int relay(kv_ctx *ctx, kv_str r)
{
    kv_reply_raw(&ctx->out, r.p, r.n);
    if (r.n > 0 && r.p[0] == '-')
        ctx->out.errors++;
    return KV_COORD_DONE;
}

static int malformed(kv_ctx *ctx)
{
    kv_reply_error(&ctx->out, "ERR internal: malformed reply from a shard");
    return KV_COORD_DONE;
}

/* The loaded elements: [forced ALPHA, start, end, elements...]. */
static int read_loaded(sortco *s, kv_str reply)
{
    rd r;
    long long n, i, forced;
    char t;
    r.p = reply.p;
    r.end = reply.p + reply.n;
    if (rd_line(&r, &t, &n) != 0 || t != '*' || n < 3 || rd_line(&r, &t, &forced) != 0 ||
        rd_line(&r, &t, &s->j.start) != 0 || rd_line(&r, &t, &s->j.end) != 0)
        return -1;
    if (forced) {
        s->j.q.dontsort = 0;
        s->j.q.alpha = 1;
        s->j.q.by = 0;
    }
    for (i = 3; i < n; i++) {
        kv_str v;
        if (rd_bulk(&r, &v) != 0 || !v.p)
            return -1;
        kv_sortjob_push(&s->j, v.p, v.n);
    }
    return 0;
}

/* The output items, queueing the GET lookups. */
static void build_items(kv_ctx *ctx, sortco *s, const kv_str *argv)
{
    kv_sortjob *j = &s->j;
    size_t k = 0, i = (size_t)j->start;
    int g;
    s->nitems = kv_sortjob_nout(j);
    if (!(s->items = calloc(s->nitems ? s->nitems : 1, sizeof *s->items)))
        abort();
    for (; k < s->nitems; i++) {
        if (!j->q.ngets) {
            s->items[k].p = j->v[i].p;
            s->items[k++].n = j->v[i].n;
        }
        for (g = 0; g < j->q.ngets; g++, k++)
            if (lookup_add(ctx, s, &argv[j->q.gets[g]], &j->v[i], k) == KV_SORTPAT_SELF) {
                s->items[k].p = j->v[i].p;
                s->items[k].n = j->v[i].n;
            }
    }
}

/* Send the items to the destination's shard; nils become empty strings. */
static void send_store(kv_ctx *ctx, kv_coord *co, sortco *s, const kv_str *dst)
{
    kv_str *argv = malloc((s->nitems + 2) * sizeof *argv);
    size_t i;
    if (!argv)
        abort();
    argv[0].p = "sort";
    argv[0].n = 4;
    argv[1] = *dst;
    for (i = 0; i < s->nitems; i++) {
        argv[i + 2] = s->items[i];
        if (!argv[i + 2].p)
            argv[i + 2].p = "";
    }
    kv_coord_send(co, s->dst, ctx->db, &kv_sub_sort_store, (int)s->nitems + 2, argv);
    free(argv);
}

/* The final items of a lookup-free sort from the source's shard. */
static int read_final(sortco *s, kv_str reply)
{
    rd r;
    long long n, i;
    char t;
    r.p = reply.p;
    r.end = reply.p + reply.n;
    if (rd_line(&r, &t, &n) != 0 || t != '*' || n < 0)
        return -1;
    s->nitems = (size_t)n;
    if (!(s->items = calloc(n ? (size_t)n : 1, sizeof *s->items)))
        abort();
    for (i = 0; i < n; i++) {
        if (rd_bulk(&r, &s->items[i]) != 0)
            return -1;
        if (s->items[i].p)
            s->items[i].p = kv_sortjob_copy(&s->j, s->items[i].p, s->items[i].n);
    }
    return 0;
}

static int advance(kv_ctx *ctx, kv_coord *co, sortco *s, int argc, const kv_str *argv)
{
    kv_sortjob *j = &s->j;
    size_t i;
    for (;;) {
        switch (s->phase) {
        case P_START:
            if (!kv_sortreq_by_lookups(&j->q) && !kv_sortreq_get_lookups(&j->q, argv)) {
                /* The source's shard does it all, or all but storing. */
                int whole = !j->q.store || s->dst == s->src;
                kv_coord_send(co, s->src, ctx->db, whole ? &kv_sub_sort_full : &kv_sub_sort_final,
                              argc, argv);
                s->phase = whole ? P_RELAY : P_FINAL;
            } else {
                kv_coord_send(co, s->src, ctx->db, &kv_sub_sort_load, argc, argv);
                s->phase = P_LOADED;
            }
            return KV_COORD_WAIT;
        case P_RELAY:
            return relay(ctx, kv_coord_reply(co, 0));
        case P_FINAL:
            if (kv_coord_reply(co, 0).n > 0 && kv_coord_reply(co, 0).p[0] == '-')
                return relay(ctx, kv_coord_reply(co, 0));
            if (read_final(s, kv_coord_reply(co, 0)) != 0)
                return malformed(ctx);
            send_store(ctx, co, s, &argv[j->q.store]);
            s->phase = P_RELAY;
            return KV_COORD_WAIT;
        case P_LOADED:
            if (kv_coord_reply(co, 0).n > 0 && kv_coord_reply(co, 0).p[0] == '-')
                return relay(ctx, kv_coord_reply(co, 0));
            if (read_loaded(s, kv_coord_reply(co, 0)) != 0)
                return malformed(ctx);
            s->phase = P_SORTED;
            if (j->q.dontsort)
                break;
            s->phase = P_BYVALS;
            if (!j->q.by) {
                for (i = 0; i < j->n; i++)
                    kv_sortjob_by(j, i, j->v[i].p, j->v[i].n);
                break;
            }
            for (i = 0; i < j->n; i++)
                lookup_add(ctx, s, &argv[j->q.by], &j->v[i], i);
            if (s->nlk == 0)
                break;
            lookups_send(ctx, co, s);
            return KV_COORD_WAIT;
        case P_BYVALS:
            if (s->nlk && lookups_read(ctx, co, s, by_value) != 0)
                return malformed(ctx);
            if (j->converr) {
                kv_reply_error(&ctx->out, "ERR One or more scores can't be converted into double");
                return KV_COORD_DONE;
            }
            kv_sortjob_sort(j);
            s->phase = P_SORTED;
            break;
        case P_SORTED:
            build_items(ctx, s, argv);
            s->phase = P_GETVALS;
            if (s->nlk == 0)
                break;
            lookups_send(ctx, co, s);
            return KV_COORD_WAIT;
        case P_GETVALS:
            if (s->nlk && lookups_read(ctx, co, s, get_value) != 0)
                return malformed(ctx);
            s->phase = P_EMIT;
            break;
        default: /* P_EMIT */
            if (!j->q.store) {
                kv_sort_reply_items(ctx, s->items, s->nitems);
                return KV_COORD_DONE;
            }
            send_store(ctx, co, s, &argv[j->q.store]);
            s->phase = P_RELAY;
            return KV_COORD_WAIT;
        }
    }
}

int kv_coord_sort(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    sortco *s = kv_coord_data(co);
    if (kv_coord_step(co) == 0) {
        if (!(s = calloc(1, sizeof *s)))
            abort();
        kv_sortjob_init(&s->j);
        kv_buf_init(&s->key);
        kv_coord_set_data(co, s, sortco_free);
        if (kv_sortreq_parse(ctx, argc, argv, &s->j.q) != 0)
            return KV_COORD_DONE;
        s->src = kv_shard_of_key(ctx->shard, argv[1].p, argv[1].n);
        if (s->j.q.store)
            s->dst = kv_shard_of_key(ctx->shard, argv[s->j.q.store].p, argv[s->j.q.store].n);
    }
    return advance(ctx, co, s, argc, argv);
}
