/* SINTER, SUNION, SDIFF, their STORE forms and SINTERCARD, with Redis
 * 7.0.15's algorithms, because they decide what is observable: SINTER walks
 * the smallest set (its order is the reply's order), SUNION/SDIFF build the
 * result as a fresh set that starts as an intset (so an all-integer result
 * replies ascending), and SDIFF picks between two algorithms by estimated
 * work, which decides whether a stored result is an intset or a hashtable.
 * Keys on several shards are handled in setops_shards.c. */
#include "cmd/set/set.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/multi/watch.h"
#include "store/t_set.h"

/* ------------------------------------------------------------ arguments */

/* SINTERCARD's checks in Redis's order; 0, or -1 after replying. */
static int sintercard_args(kv_ctx *ctx, int argc, const kv_str *argv, long *numkeys, long *limit)
{
    long long v;
    int j;
    *limit = 0;
    if (!kv_arg_ll(&argv[1], &v) || v < 1 || v > LONG_MAX) {
        kv_reply_error(&ctx->out, "ERR numkeys should be greater than 0");
        return -1;
    }
    if (v > argc - 2) {
        kv_reply_error(&ctx->out, "ERR Number of keys can't be greater than number of args");
        return -1;
    }
    *numkeys = (long)v;
    for (j = 2 + (int)v; j < argc; j++) {
        if (kv_arg_eq(&argv[j], "limit") && j < argc - 1) {
            j++;
            if (!kv_arg_ll(&argv[j], &v) || v < 0 || v > LONG_MAX) {
                kv_reply_error(&ctx->out, "ERR LIMIT can't be negative");
                return -1;
            }
            *limit = (long)v;
        } else {
            kv_reply_syntax(ctx);
            return -1;
        }
    }
    return 0;
}

static int kv_check_sintercard(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long numkeys, limit;
    return sintercard_args(ctx, argc, argv, &numkeys, &limit);
}

static int kv_getkeys_sintercard(int argc, const kv_str *argv, int *pos, int max)
{
    long long v;
    int i;
    if (argc < 3 || !kv_arg_ll(&argv[1], &v) || v < 1 || v > argc - 2)
        return -1;
    for (i = 0; i < (int)v && i < max; i++)
        pos[i] = 2 + i;
    return (int)v;
}

int kv_setop_parse(kv_ctx *ctx, int argc, const kv_str *argv, kv_setop *q)
{
    *q = *(const kv_setop *)kv_cmd_data(ctx); /* the command's operation */
    if (q->card) {
        long numkeys;
        if (sintercard_args(ctx, argc, argv, &numkeys, &q->limit) != 0)
            return -1;
        q->card = 1;
        q->first = 2;
        q->n = (int)numkeys;
        return 0;
    }
    q->first = q->store ? 2 : 1;
    q->n = argc - q->first;
    return 0;
}

/* ------------------------------------------------------------ algorithms */

typedef struct sized {
    kv_obj *o;
    size_t size;
    int pos;
} sized;

static int by_size(const void *a, const void *b)
{
    const sized *x = (const sized *)a, *y = (const sized *)b;
    if (x->size != y->size)
        return x->size < y->size ? -1 : 1;
    return x->pos - y->pos; /* stable */
}

static int by_size_desc(const void *a, const void *b)
{
    const sized *x = (const sized *)a, *y = (const sized *)b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return x->pos - y->pos;
}

/* Sort sets[from..n) with cmp (no NULLs there for by_size). */
static void sort_sets(kv_obj **sets, int from, int n, int (*cmp)(const void *, const void *))
{
    sized *s;
    int i;
    if (n - from < 2)
        return;
    if (!(s = malloc((size_t)(n - from) * sizeof *s)))
        abort();
    for (i = from; i < n; i++) {
        s[i - from].o = sets[i];
        s[i - from].size = sets[i] ? kv_set_size(sets[i]) : 0;
        s[i - from].pos = i;
    }
    qsort(s, (size_t)(n - from), sizeof *s, cmp);
    for (i = from; i < n; i++)
        sets[i] = s[i - from].o;
    free(s);
}

/* The outcome: a result set (UNION, DIFF, INTER STORE), the members to
 * reply (INTER), or a count (SINTERCARD). */
typedef struct outcome {
    kv_obj *result;
    kv_lpval *items;
    size_t nitems, cap;
    long long card;
} outcome;

typedef struct inter_walk {
    kv_obj **sets;
    int n;
    const kv_setop *q;
    const kv_set_opts *opts;
    outcome *out;
} inter_walk;

static int inter_fn(void *arg, const kv_lpval *m)
{
    inter_walk *w = (inter_walk *)arg;
    outcome *out = w->out;
    int j;
    for (j = 1; j < w->n; j++)
        if (w->sets[j] != w->sets[0] && !kv_set_ismember_val(w->sets[j], m))
            return 0;
    if (w->q->card) {
        out->card++;
        return w->q->limit && out->card >= w->q->limit;
    }
    if (w->q->store) {
        kv_set_add_val(out->result, m, w->opts);
        return 0;
    }
    if (out->nitems == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 16;
        if (!(out->items = realloc(out->items, out->cap * sizeof *out->items)))
            abort();
    }
    out->items[out->nitems++] = *m;
    return 0;
}

static void inter(kv_obj **sets, int n, const kv_setop *q, const kv_set_opts *opts, outcome *out)
{
    inter_walk w;
    int j;
    if (q->store)
        out->result = kv_set_new();
    for (j = 0; j < n; j++)
        if (!sets[j])
            return; /* a missing key is an empty set */
    sort_sets(sets, 0, n, by_size);
    w.sets = sets;
    w.n = n;
    w.q = q;
    w.opts = opts;
    w.out = out;
    kv_set_foreach(sets[0], inter_fn, &w);
}

typedef struct fold {
    kv_obj *dst;
    const kv_set_opts *opts;
    kv_obj **sets;
    int n;
    int remove;
} fold;

static int fold_fn(void *arg, const kv_lpval *m)
{
    fold *f = (fold *)arg;
    if (f->remove)
        kv_set_remove_val(f->dst, m);
    else
        kv_set_add_val(f->dst, m, f->opts);
    return 0;
}

/* SDIFF algorithm 1: members of sets[0] that no other set has. */
static int diff1_fn(void *arg, const kv_lpval *m)
{
    fold *f = (fold *)arg;
    int j;
    for (j = 1; j < f->n; j++) {
        if (!f->sets[j])
            continue;
        if (f->sets[j] == f->sets[0] || kv_set_ismember_val(f->sets[j], m))
            return 0;
    }
    kv_set_add_val(f->dst, m, f->opts);
    return 0;
}

static void union_diff(kv_obj **sets, int n, const kv_setop *q, const kv_set_opts *opts,
                       outcome *out)
{
    fold f;
    int j;
    f.dst = out->result = kv_set_new();
    f.opts = opts;
    f.sets = sets;
    f.n = n;
    f.remove = 0;
    if (q->op == KV_SETOP_UNION) {
        for (j = 0; j < n; j++)
            if (sets[j])
                kv_set_foreach(sets[j], fold_fn, &f);
        return;
    }
    if (!sets[0] || kv_set_size(sets[0]) == 0)
        return;
    {
        /* Algorithm 1 costs about |sets[0]| per other set, algorithm 2 the
         * sum of all sizes; 1 gets a 2x advantage for its better constants. */
        long long one = 0, two = 0;
        for (j = 0; j < n; j++) {
            if (!sets[j])
                continue;
            one += (long long)kv_set_size(sets[0]);
            two += (long long)kv_set_size(sets[j]);
        }
        one /= 2;
        if (one <= two) {
            sort_sets(sets, 1, n, by_size_desc);
            kv_set_foreach(sets[0], diff1_fn, &f);
            return;
        }
    }
    for (j = 0; j < n; j++) {
        if (!sets[j])
            continue;
        f.remove = j > 0;
        kv_set_foreach(sets[j], fold_fn, &f);
        if (kv_set_size(f.dst) == 0)
            break;
    }
}

static void reply_member(kv_ctx *ctx, const kv_lpval *m)
{
    if (m->s)
        kv_reply_bulk(&ctx->out, m->s, m->n);
    else
        kv_reply_bulk_ll(&ctx->out, m->v);
}

int kv_setop_reply_fn(void *arg, const kv_lpval *m)
{
    reply_member((kv_ctx *)arg, m);
    return 0;
}

kv_obj *kv_setop_run(kv_ctx *ctx, const kv_setop *q, kv_obj **sets)
{
    kv_set_opts opts;
    outcome o, *out = &o;
    size_t i;
    memset(out, 0, sizeof *out);
    kv_set_cmd_opts(ctx, &opts);
    if (q->op == KV_SETOP_INTER)
        inter(sets, q->n, q, &opts, out);
    else
        union_diff(sets, q->n, q, &opts, out);
    if (q->store)
        return out->result;
    if (q->card) {
        kv_reply_int(&ctx->out, out->card);
    } else if (q->op == KV_SETOP_INTER) {
        kv_reply_set(&ctx->out, (long)out->nitems);
        for (i = 0; i < out->nitems; i++)
            reply_member(ctx, &out->items[i]);
    } else {
        kv_reply_set(&ctx->out, (long)kv_set_size(out->result));
        kv_set_foreach(out->result, kv_setop_reply_fn, ctx);
    }
    free(out->items);
    kv_obj_free(out->result);
    return NULL;
}

const char *kv_setop_event(int op)
{
    return op == KV_SETOP_INTER   ? "sinterstore"
           : op == KV_SETOP_UNION ? "sunionstore"
                                  : "sdiffstore";
}

const char *kv_setop_event_named(const kv_str *name)
{
    int op;
    for (op = KV_SETOP_INTER; op <= KV_SETOP_DIFF; op++)
        if (kv_arg_eq(name, kv_setop_event(op)))
            return kv_setop_event(op);
    return NULL;
}

void kv_setop_store(kv_ctx *ctx, const kv_str *dst, kv_obj *result, const char *event)
{
    kv_entry *e = kv_lookup_write(ctx, dst);
    kv_db *db = kv_ctx_db(ctx);
    size_t size = kv_set_size(result);
    int created;
    if (size == 0) {
        kv_obj_free(result);
        if (e) { /* an empty result deletes the destination: a change */
            kv_ks_delete_entry(kv_state(ctx)->ks, ctx->db, e, KV_LAZY_SERVER_DEL);
            kv_signal_modified(ctx, ctx->db, dst);
            kv_notify(ctx, KV_NOTIFY_GENERIC, "del", ctx->db, dst);
            kv_dirty(ctx, 1);
        }
        kv_reply_int(&ctx->out, 0);
        return;
    }
    if (e)
        kv_db_persist(db, e);
    else
        e = kv_db_upsert(db, dst->p, dst->n, &created);
    kv_obj_set_lru(result, kv_ks_fresh_lru(kv_state(ctx)->ks, kv_now_ms(ctx))); /* a new value */
    kv_set_val(ctx, e, result);
    kv_signal_modified(ctx, ctx->db, dst);
    kv_notify(ctx, KV_NOTIFY_SET, event, ctx->db, dst);
    kv_dirty(ctx, 1);
    kv_reply_int(&ctx->out, (long long)size);
}

/* ------------------------------------------------------------ one shard */

static void kv_cmd_setop(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_obj **sets, *result;
    kv_setop q;
    int i;
    if (kv_setop_parse(ctx, argc, argv, &q) != 0)
        return;
    if (!(sets = malloc((size_t)q.n * sizeof *sets)))
        abort();
    for (i = 0; i < q.n; i++) {
        const kv_str *k = &argv[q.first + i];
        /* Redis 7.0 looks sources up as reads, for STORE too (keyspace hits). */
        kv_entry *e = kv_lookup_read(ctx, k);
        sets[i] = e ? kv_entry_val(e) : NULL;
        if (sets[i] && kv_obj_type(sets[i]) != KV_TYPE_SET) {
            kv_reply_wrongtype(ctx);
            free(sets);
            return;
        }
    }
    result = kv_setop_run(ctx, &q, sets);
    free(sets);
    if (q.store)
        kv_setop_store(ctx, &argv[1], result, kv_setop_event(q.op));
}

/* Each command's operation, read by kv_setop_parse: op, store, card. */
static const kv_setop kv_setop_sdiff = {KV_SETOP_DIFF, 0, 0, 0, 0, 0};
static const kv_setop kv_setop_sdiffstore = {KV_SETOP_DIFF, 1, 0, 0, 0, 0};
static const kv_setop kv_setop_sinter = {KV_SETOP_INTER, 0, 0, 0, 0, 0};
static const kv_setop kv_setop_sintercard = {KV_SETOP_INTER, 0, 1, 0, 0, 0};
static const kv_setop kv_setop_sinterstore = {KV_SETOP_INTER, 1, 0, 0, 0, 0};
static const kv_setop kv_setop_sunion = {KV_SETOP_UNION, 0, 0, 0, 0, 0};
static const kv_setop kv_setop_sunionstore = {KV_SETOP_UNION, 1, 0, 0, 0, 0};

#define SETOP(op) .route = KV_ROUTE_COORD, .exec = kv_cmd_setop, .coord = kv_coord_setop, \
                  .data = &kv_setop_##op

const kv_cmdspec kv_cmds_set_ops[] = {
    {.name = "sdiff", SETOP(sdiff)},
    {.name = "sdiffstore", SETOP(sdiffstore)},
    {.name = "sinter", SETOP(sinter)},
    {.name = "sintercard", SETOP(sintercard), .check = kv_check_sintercard,
     .getkeys = kv_getkeys_sintercard},
    {.name = "sinterstore", SETOP(sinterstore)},
    {.name = "sunion", SETOP(sunion)},
    {.name = "sunionstore", SETOP(sunionstore)},
    KV_SPEC_END
};
