/* ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD. One computation
 * serves both paths: on one shard the sources are the local values; across
 * shards the home shard gathers every source as a pairs blob (a sub-command
 * on each key's shard), computes, and stores the result on the
 * destination's shard with another sub-command. Like Redis, inputs are
 * visited from the smallest (a stable sort, so equal sizes keep argument
 * order and float sums round exactly as Redis's do). */
#include "cmd/zset/zset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/t_set.h"

enum { OP_UNION, OP_INTER, OP_DIFF };
enum { AGG_SUM, AGG_MIN, AGG_MAX };

typedef struct zop_req {
    int op, store, cardonly, withscores, aggregate;
    long long numkeys, limit;
    int first; /* argv index of the first source key */
    double *weights;
} zop_req;

/* A source: a local zset or set (members score 1), or pairs gathered from
 * another shard. A local set is copied into `own` only if it has to be
 * walked; lookups go to the set itself. */
typedef struct zsrc {
    kv_obj *o;
    kv_obj *set;
    kv_zpairs *p;
    kv_zpairs own;
    double weight;
    size_t card;
} zsrc;

/* ---------------------------------------------------------------- parsing */

/* Which operation a command is: its data in the table below. */
typedef struct zop_kind {
    int op, store, cardonly;
} zop_kind;

static void zop_init(zop_req *q, const kv_ctx *ctx)
{
    const zop_kind *k = kv_cmd_data(ctx);
    memset(q, 0, sizeof *q);
    q->op = k->op;
    q->store = k->store;
    q->cardonly = k->cardonly;
    q->first = q->store ? 3 : 2;
}

/* numkeys; 0, or -1 after replying. */
static int zop_numkeys(kv_ctx *ctx, int argc, const kv_str *argv, zop_req *q)
{
    if (kv_arg_ll_or_reply(ctx, &argv[q->first - 1], &q->numkeys) != 0)
        return -1;
    if (q->numkeys < 1) {
        kv_reply_errorf(&ctx->out, "ERR at least 1 input key is needed for '%s' command",
                        ctx->cmd->name);
        return -1;
    }
    if (q->numkeys > argc - q->first) {
        kv_reply_syntax(ctx);
        return -1;
    }
    return 0;
}

/* The options after the keys; 0, or -1 after replying. */
static int zop_options(kv_ctx *ctx, int argc, const kv_str *argv, zop_req *q)
{
    int j = q->first + (int)q->numkeys;
    long long i;
    q->weights = malloc((size_t)q->numkeys * sizeof *q->weights);
    if (!q->weights)
        abort();
    for (i = 0; i < q->numkeys; i++)
        q->weights[i] = 1.0;
    while (j < argc) {
        int left = argc - j;
        if (q->op != OP_DIFF && !q->cardonly && left >= q->numkeys + 1 &&
            kv_arg_eq(&argv[j], "weights")) {
            j++;
            for (i = 0; i < q->numkeys; i++, j++) {
                if (!kv_zset_parse_score(argv[j].p, argv[j].n, &q->weights[i])) {
                    kv_reply_error(&ctx->out, "ERR weight value is not a float");
                    return -1;
                }
            }
        } else if (q->op != OP_DIFF && !q->cardonly && left >= 2 &&
                   kv_arg_eq(&argv[j], "aggregate")) {
            j++;
            if (kv_arg_eq(&argv[j], "sum"))
                q->aggregate = AGG_SUM;
            else if (kv_arg_eq(&argv[j], "min"))
                q->aggregate = AGG_MIN;
            else if (kv_arg_eq(&argv[j], "max"))
                q->aggregate = AGG_MAX;
            else {
                kv_reply_syntax(ctx);
                return -1;
            }
            j++;
        } else if (!q->store && !q->cardonly && kv_arg_eq(&argv[j], "withscores")) {
            j++;
            q->withscores = 1;
        } else if (q->cardonly && left >= 2 && kv_arg_eq(&argv[j], "limit")) {
            if (!kv_arg_ll(&argv[j + 1], &q->limit) || q->limit < 0) {
                kv_reply_error(&ctx->out, "ERR LIMIT can't be negative");
                return -1;
            }
            j += 2;
        } else {
            kv_reply_syntax(ctx);
            return -1;
        }
    }
    return 0;
}

/* -------------------------------------------------------------- sources */

typedef struct zsrc_it {
    const zsrc *s;
    kv_zit zit;
    size_t i;
    const char *m;
    size_t n;
    double score;
} zsrc_it;

static int zsrc_load(zsrc_it *it, int more)
{
    if (it->s->p) {
        const kv_zpairs *p = it->s->p;
        if (it->i >= p->n)
            return 0;
        it->m = kv_zpairs_member(p, it->i);
        it->n = p->v[it->i].len;
        it->score = p->v[it->i].score;
        return 1;
    }
    if (!more)
        return 0;
    it->m = it->zit.m;
    it->n = it->zit.mlen;
    it->score = it->zit.score;
    return 1;
}

static int set_member_push(void *arg, const kv_lpval *m)
{
    char buf[24];
    if (m->s)
        kv_zpairs_push(arg, (const char *)m->s, m->n, 1.0);
    else
        kv_zpairs_push(arg, buf, (size_t)snprintf(buf, sizeof buf, "%lld", m->v), 1.0);
    return 0;
}

static int zsrc_first(zsrc_it *it, zsrc *s)
{
    if (s->set && !s->p) {
        kv_set_foreach(s->set, set_member_push, &s->own);
        s->p = &s->own;
    }
    it->s = s;
    it->i = 0;
    if (s->p)
        return zsrc_load(it, 1);
    return s->o ? zsrc_load(it, kv_zit_rank(&it->zit, s->o, 0, 0)) : 0;
}

static int zsrc_next(zsrc_it *it)
{
    if (it->s->p) {
        it->i++;
        return zsrc_load(it, 1);
    }
    return zsrc_load(it, kv_zit_next(&it->zit));
}

static int zsrc_find(const zsrc *s, const char *m, size_t n, double *score)
{
    if (s->set) {
        *score = 1.0;
        return kv_set_ismember(s->set, m, n);
    }
    if (s->p) {
        double *d = kv_zpairs_find(s->p, m, n);
        if (d)
            *score = *d;
        return d != NULL;
    }
    return s->o ? kv_zset_score(s->o, m, n, score) : 0;
}

static int by_card(const void *a, const void *b, void *ctx)
{
    const zsrc *x = a, *y = b;
    (void)ctx;
    return x->card < y->card ? -1 : x->card > y->card;
}

static void aggregate(double *target, double v, int agg)
{
    if (agg == AGG_SUM) {
        *target += v;
        if (isnan(*target)) /* inf + -inf */
            *target = 0.0;
    } else if (agg == AGG_MIN) {
        *target = v < *target ? v : *target;
    } else {
        *target = v > *target ? v : *target;
    }
}

/* The result into out (unsorted); for ZINTERCARD only the count. */
static long long zop_compute(const zop_req *q, zsrc *src, size_t nsrc, kv_zpairs *out)
{
    long long count = 0;
    size_t i, j;
    zsrc_it it;
    int more;
    if (q->op != OP_DIFF)
        kv_zmsort(src, nsrc, sizeof *src, by_card, NULL);
    if (q->op == OP_UNION) {
        for (i = 0; i < nsrc; i++) {
            for (more = zsrc_first(&it, &src[i]); more; more = zsrc_next(&it)) {
                double score = src[i].weight * it.score, *slot;
                int added;
                if (isnan(score))
                    score = 0;
                slot = kv_zpairs_upsert(out, it.m, it.n, score, &added);
                if (!added)
                    aggregate(slot, score, q->aggregate);
            }
        }
        return (long long)out->n;
    }
    for (more = zsrc_first(&it, &src[0]); more; more = zsrc_next(&it)) {
        double score = q->op == OP_INTER ? src[0].weight * it.score : it.score, v;
        if (isnan(score))
            score = 0;
        for (j = 1; j < nsrc; j++) {
            int found = zsrc_find(&src[j], it.m, it.n, &v);
            if (q->op == OP_DIFF ? found : !found)
                break;
            if (q->op == OP_INTER)
                aggregate(&score, v * src[j].weight, q->aggregate);
        }
        if (j < nsrc)
            continue;
        count++;
        if (q->cardonly) {
            if (q->limit && count == q->limit)
                break;
        } else {
            kv_zpairs_push(out, it.m, it.n, score);
        }
    }
    return count;
}

/* The event a STORE of op reports. */
static const char *zop_event(int op)
{
    return op == OP_UNION ? "zunionstore" : op == OP_INTER ? "zinterstore" : "zdiffstore";
}

/* Compute, then reply (or store at dst locally when store_here). */
static void zop_finish(kv_ctx *ctx, const zop_req *q, zsrc *src, const kv_str *dst,
                       kv_zpairs *out)
{
    long long count = zop_compute(q, src, (size_t)q->numkeys, out);
    if (q->cardonly) {
        kv_reply_int(&ctx->out, count);
        return;
    }
    kv_zpairs_sort(out);
    if (dst)
        kv_reply_int(&ctx->out, kv_zstore_pairs(ctx, dst, out, 0, zop_event(q->op)));
    else
        kv_zreply_pairs(ctx, out, q->withscores);
}

/* ------------------------------------------------------------ one shard */

static void kv_cmd_zsetop(kv_ctx *ctx, int argc, const kv_str *argv)
{
    zop_req q;
    zsrc *src;
    kv_zpairs out;
    long long i;
    int err = 0;
    zop_init(&q, ctx);
    if (zop_numkeys(ctx, argc, argv, &q) != 0)
        return;
    src = calloc((size_t)q.numkeys, sizeof *src);
    if (!src)
        abort();
    kv_zpairs_init(&out, kv_zseed(ctx));
    for (i = 0; i < q.numkeys; i++)
        kv_zpairs_init(&src[i].own, kv_zseed(ctx));
    for (i = 0; i < q.numkeys && !err; i++) {
        /* Sources are read (keyspace_misses, keymiss), STORE or not, as in
         * Redis 7.0. */
        kv_obj *o = kv_zget_any(ctx, &argv[q.first + i], 0, &err);
        if (o && kv_obj_type(o) == KV_TYPE_SET) {
            src[i].set = o;
            src[i].card = kv_set_size(o);
        } else if (o) {
            src[i].o = o;
            src[i].card = kv_zset_len(o);
        }
    }
    if (!err && zop_options(ctx, argc, argv, &q) == 0) {
        for (i = 0; i < q.numkeys; i++)
            src[i].weight = q.weights[i];
        zop_finish(ctx, &q, src, q.store ? &argv[1] : NULL, &out);
    }
    for (i = 0; i < q.numkeys; i++)
        kv_zpairs_free(&src[i].own);
    kv_zpairs_free(&out);
    free(q.weights);
    free(src);
}

/* ---------------------------------------------------------- many shards */

/* Sub-command "zdump-internal r|w key": the value as a pairs blob, looked
 * up as a read (hits/misses counted) or as a write (the STORE forms). */
static void kv_cmd_zdump(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int err = 0;
    kv_obj *o = kv_zget_any(ctx, &argv[2], argv[1].p[0] == 'w', &err);
    kv_buf b;
    (void)argc;
    if (err)
        return;
    kv_buf_init(&b);
    kv_zobj_write(&b, o);
    kv_reply_bulk(&ctx->out, b.p, b.len);
    kv_buf_free(&b);
}

static const kv_cmd zsub_dump = {.name = "zdump-internal", .arity = 3,
                                 .flags = KV_CMD_READONLY, .exec = kv_cmd_zdump};

static int kv_coord_zsetop(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    zop_req q;
    zsrc *src;
    kv_zpairs *pairs, out;
    long long i;
    int rc = KV_COORD_DONE;
    zop_init(&q, ctx);
    if (kv_coord_step(co) == 2) {
        kv_zrelay(ctx, kv_coord_reply(co, 0));
        return KV_COORD_DONE;
    }
    if (zop_numkeys(ctx, argc, argv, &q) != 0)
        return KV_COORD_DONE;
    if (kv_coord_step(co) == 0) {
        for (i = 0; i < q.numkeys; i++) {
            const kv_str *k = &argv[q.first + i];
            kv_str sub[3];
            sub[0] = argv[0];
            sub[1].p = "r"; /* read, as at home */
            sub[1].n = 1;
            sub[2] = *k;
            kv_coord_send(co, kv_shard_of_key(ctx->shard, k->p, k->n), ctx->db, &zsub_dump, 3,
                          sub);
        }
        return KV_COORD_WAIT;
    }
    /* Step 1: every source is here (or an error, replied first like
     * Redis, which checks types before options). */
    for (i = 0; i < q.numkeys; i++) {
        kv_str r = kv_coord_reply(co, (int)i);
        if (r.n && r.p[0] == '-') {
            kv_zrelay(ctx, r);
            return KV_COORD_DONE;
        }
    }
    src = calloc((size_t)q.numkeys, sizeof *src);
    pairs = calloc((size_t)q.numkeys, sizeof *pairs);
    if (!src || !pairs)
        abort();
    kv_zpairs_init(&out, kv_zseed(ctx));
    for (i = 0; i < q.numkeys; i++) {
        kv_str blob;
        kv_zpairs_init(&pairs[i], kv_zseed(ctx));
        if (!kv_rd_bulk(kv_coord_reply(co, (int)i), &blob) ||
            kv_zpairs_read(&pairs[i], blob.p, blob.n) < 0) {
            kv_reply_error(&ctx->out, "ERR internal: malformed zset transfer");
            goto out;
        }
        src[i].p = &pairs[i];
        src[i].card = pairs[i].n;
    }
    if (zop_options(ctx, argc, argv, &q) != 0)
        goto out;
    for (i = 0; i < q.numkeys; i++)
        src[i].weight = q.weights[i];
    if (!q.store) {
        zop_finish(ctx, &q, src, NULL, &out);
    } else {
        kv_str sub[3];
        kv_buf b;
        zop_compute(&q, src, (size_t)q.numkeys, &out);
        kv_buf_init(&b);
        kv_zpairs_write(&b, &out, 'z');
        sub[0].p = zop_event(q.op); /* names the event the store reports */
        sub[0].n = strlen(sub[0].p);
        sub[1] = argv[1];
        sub[2].p = b.p;
        sub[2].n = b.len;
        kv_coord_send(co, kv_shard_of_key(ctx->shard, argv[1].p, argv[1].n), ctx->db,
                      &kv_zsub_store, 3, sub);
        kv_buf_free(&b);
        rc = KV_COORD_WAIT;
    }
out:
    for (i = 0; i < q.numkeys; i++)
        kv_zpairs_free(&pairs[i]);
    kv_zpairs_free(&out);
    free(pairs);
    free(src);
    free(q.weights);
    return rc;
}

/* ------------------------------------------------------------- getkeys */

/* Keys of "<cmd> [dst] numkeys key ...": numkeys at argv[nk]. */
static int numkeys_keys(int argc, const kv_str *argv, int nk, int dst, int *pos, int max)
{
    long long n, i;
    int c = 0;
    if (argc <= nk || !kv_str2ll(argv[nk].p, argv[nk].n, &n) || n < 1 || n > argc - nk - 1)
        return -1;
    if (dst && c < max)
        pos[c] = 1;
    c += dst;
    for (i = 0; i < n; i++, c++)
        if (c < max)
            pos[c] = nk + 1 + (int)i;
    return c;
}

static int kv_getkeys_zsetop_store(int argc, const kv_str *argv, int *pos, int max)
{
    return numkeys_keys(argc, argv, 2, 1, pos, max);
}

int kv_zgetkeys_numkeys(int argc, const kv_str *argv, int *pos, int max)
{
    return numkeys_keys(argc, argv, 1, 0, pos, max);
}

static const zop_kind zop_zdiff = {OP_DIFF, 0, 0}, zop_zdiffstore = {OP_DIFF, 1, 0};
static const zop_kind zop_zinter = {OP_INTER, 0, 0}, zop_zinterstore = {OP_INTER, 1, 0};
static const zop_kind zop_zintercard = {OP_INTER, 0, 1};
static const zop_kind zop_zunion = {OP_UNION, 0, 0}, zop_zunionstore = {OP_UNION, 1, 0};

#define ZOP(kind) .route = KV_ROUTE_COORD, .exec = kv_cmd_zsetop, .coord = kv_coord_zsetop, \
                  .data = &zop_##kind

const kv_cmdspec kv_cmds_zset_ops[] = {
    {.name = "zdiff", ZOP(zdiff), .getkeys = kv_zgetkeys_numkeys},
    {.name = "zdiffstore", ZOP(zdiffstore), .getkeys = kv_getkeys_zsetop_store},
    {.name = "zinter", ZOP(zinter), .getkeys = kv_zgetkeys_numkeys},
    {.name = "zintercard", ZOP(zintercard), .getkeys = kv_zgetkeys_numkeys},
    {.name = "zinterstore", ZOP(zinterstore), .getkeys = kv_getkeys_zsetop_store},
    {.name = "zunion", ZOP(zunion), .getkeys = kv_zgetkeys_numkeys},
    {.name = "zunionstore", ZOP(zunionstore), .getkeys = kv_getkeys_zsetop_store},
    KV_SPEC_END
};
