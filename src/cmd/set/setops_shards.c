/* SINTER & co with keys on several shards: every source set's members are
 * gathered with one sub-command per shard (in shard order; keys given twice
 * are fetched once and share one set, as in Redis where they are the same
 * object), the result is computed on the home shard with the same code as
 * the one-shard case, and a STORE result is written by a sub-command on the
 * destination's shard, which replaces whatever was there. */
#include "cmd/keys/keys.h"
#include "cmd/set/set.h"

#include <stdlib.h>
#include <string.h>

#include "store/t_set.h"

/* ------------------------------------------------------------ sub-commands */

/* argv: name, "r" or "w" (how to look the keys up), keys... Replies an
 * array with, per key, a null (missing) or the array of its members; or
 * WRONGTYPE if any key holds something else. */
static void kv_cmd_setsget(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int write = argv[1].n == 1 && argv[1].p[0] == 'w', j;
    for (j = 2; j < argc; j++) {
        kv_entry *e = write ? kv_lookup_write(ctx, &argv[j]) : kv_lookup_read(ctx, &argv[j]);
        if (e && kv_obj_type(kv_entry_val(e)) != KV_TYPE_SET) {
            kv_reply_wrongtype(ctx);
            return;
        }
    }
    kv_reply_array(&ctx->out, argc - 2);
    for (j = 2; j < argc; j++) {
        kv_entry *e = kv_db_lookup(kv_ctx_db(ctx), argv[j].p, argv[j].n);
        kv_obj *o = e ? kv_entry_val(e) : NULL;
        if (!o) {
            kv_reply_null_array(&ctx->out);
            continue;
        }
        kv_reply_array(&ctx->out, (long)kv_set_size(o));
        kv_set_foreach(o, kv_setop_reply_fn, ctx);
    }
}

/* argv: name (the event to report: "sinterstore", "sunionstore" or
 * "sdiffstore"), destination, "i" or "h" (the result's encoding), members...
 * Replaces the destination with that set (deletes it if there are no
 * members) and replies its size. */
static void kv_cmd_setsstore(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_set_opts opts;
    kv_obj *o = kv_set_new();
    const char *event = kv_setop_event_named(&argv[0]);
    long long dirty = kv_state(ctx)->dirty;
    int j;
    kv_set_cmd_opts(ctx, &opts);
    if (argv[2].n == 1 && argv[2].p[0] == 'h')
        kv_set_convert(o, opts.seed);
    for (j = 3; j < argc; j++)
        kv_set_add(o, argv[j].p, argv[j].n, &opts);
    kv_setop_store(ctx, &argv[1], o, event ? event : "sinterstore");
    /* Its argv reads as a SINTERSTORE of other keys: the AOF logs the set
     * it left instead (or the deletion). */
    if (kv_state(ctx)->dirty != dirty)
        kv_propagate_key(ctx, &argv[1]);
}

static const kv_cmd kv_sub_setsget = {.name = "smembers", .arity = -3, .exec = kv_cmd_setsget};
static const kv_cmd kv_sub_setsstore = {.name = "sinterstore", .arity = -3,
                                        .exec = kv_cmd_setsstore};

/* ------------------------------------------------------------ reply reading */

typedef struct rd {
    const char *p, *end;
} rd;

static int rd_header(rd *r, char *type, long long *v)
{
    return kv_rd_line(&r->p, r->end, type, v);
}

/* One key's part of a setsget reply as a set object (NULL if missing). */
static int rd_set(rd *r, const kv_set_opts *opts, kv_obj **out)
{
    long long n, len, i;
    char t;
    *out = NULL;
    if (rd_header(r, &t, &n) != 0)
        return -1;
    if (t == '_' || (t == '*' && n < 0))
        return 0;
    if (t != '*')
        return -1;
    *out = kv_set_new();
    for (i = 0; i < n; i++) {
        if (rd_header(r, &t, &len) != 0 || t != '$' || len < 0 || len + 2 > r->end - r->p)
            return -1;
        kv_set_add(*out, r->p, (size_t)len, opts);
        r->p += len + 2;
    }
    return 0;
}

/* ------------------------------------------------------------ across shards */

typedef struct gather {
    int *canon;   /* per source: index of the first source with the same key */
    int *shard;   /* per source: owning shard */
    kv_obj **objs;
    int n;
} gather;

static void gather_free(void *p)
{
    gather *g = (gather *)p;
    int i;
    for (i = 0; i < g->n; i++)
        if (g->canon[i] == i)
            kv_obj_free(g->objs[i]);
    free(g->canon);
    free(g->shard);
    free(g->objs);
    free(g);
}

static uint64_t key_hash(const kv_str *k)
{
    uint64_t h = 1469598103934665603ULL;
    size_t i;
    for (i = 0; i < k->n; i++)
        h = (h ^ (unsigned char)k->p[i]) * 1099511628211ULL;
    return h;
}

static gather *gather_new(kv_ctx *ctx, const kv_str *keys, int n)
{
    gather *g = calloc(1, sizeof *g);
    size_t cap = 16, i;
    int *slot, j;
    if (!g)
        abort();
    while (cap < (size_t)n * 2)
        cap *= 2;
    g->n = n;
    g->canon = malloc((size_t)n * sizeof *g->canon);
    g->shard = malloc((size_t)n * sizeof *g->shard);
    g->objs = calloc((size_t)n, sizeof *g->objs);
    slot = malloc(cap * sizeof *slot);
    if (!g->canon || !g->shard || !g->objs || !slot)
        abort();
    for (i = 0; i < cap; i++)
        slot[i] = -1;
    for (j = 0; j < n; j++) {
        size_t s = (size_t)key_hash(&keys[j]) & (cap - 1);
        while (slot[s] >= 0 && (keys[slot[s]].n != keys[j].n ||
                                memcmp(keys[slot[s]].p, keys[j].p, keys[j].n) != 0))
            s = (s + 1) & (cap - 1);
        if (slot[s] < 0)
            slot[s] = j;
        g->canon[j] = slot[s];
        g->shard[j] = kv_shard_of_key(ctx->shard, keys[j].p, keys[j].n);
    }
    free(slot);
    return g;
}

/* Step 0: one setsget per shard with its distinct keys, in shard order. */
static void gather_send(kv_ctx *ctx, kv_coord *co, const gather *g, const kv_str *keys)
{
    kv_str *sub = malloc((size_t)(g->n + 2) * sizeof *sub);
    int s, j, nshards = kv_shard_count(ctx->shard);
    if (!sub)
        abort();
    sub[0].p = "smembers";
    sub[0].n = 8;
    sub[1].p = "r"; /* sources are looked up as reads, for STORE too */
    sub[1].n = 1;
    for (s = 0; s < nshards; s++) {
        int m = 2;
        for (j = 0; j < g->n; j++)
            if (g->shard[j] == s && g->canon[j] == j)
                sub[m++] = keys[j];
        if (m > 2)
            kv_coord_send(co, s, ctx->db, &kv_sub_setsget, m, sub);
    }
    free(sub);
}

/* Step 1: turn the replies into set objects; -1 after replying an error. */
static int gather_read(kv_ctx *ctx, kv_coord *co, gather *g)
{
    kv_set_opts opts;
    int s, j, part = 0, nshards = kv_shard_count(ctx->shard);
    kv_set_cmd_opts(ctx, &opts);
    for (s = 0; s < nshards; s++) {
        kv_str r;
        rd in;
        long long n;
        char t;
        int any = 0;
        for (j = 0; j < g->n && !any; j++)
            any = g->shard[j] == s && g->canon[j] == j;
        if (!any)
            continue;
        r = kv_coord_reply(co, part++);
        if (r.n > 0 && r.p[0] == '-') {
            kv_reply_raw(&ctx->out, r.p, r.n);
            ctx->out.errors++;
            return -1;
        }
        in.p = r.p;
        in.end = r.p + r.n;
        if (rd_header(&in, &t, &n) != 0 || t != '*')
            goto bad;
        for (j = 0; j < g->n; j++)
            if (g->shard[j] == s && g->canon[j] == j && rd_set(&in, &opts, &g->objs[j]) != 0)
                goto bad;
    }
    for (j = 0; j < g->n; j++)
        g->objs[j] = g->objs[g->canon[j]];
    return 0;
bad:
    kv_reply_error(&ctx->out, "ERR internal: malformed reply from a shard");
    return -1;
}

typedef struct serial {
    kv_str *argv;
    char *arena;
    int argc;
    size_t used;
} serial;

static int serial_fn(void *arg, const kv_lpval *m)
{
    serial *s = (serial *)arg;
    kv_str *a = &s->argv[s->argc++];
    if (m->s) {
        a->p = (const char *)m->s;
        a->n = m->n;
    } else {
        a->p = s->arena + s->used;
        a->n = (size_t)kv_ll2str(s->arena + s->used, KV_LLSTR_SIZE, m->v);
        s->used += a->n;
    }
    return 0;
}

/* Step 1 of a STORE: send the result to the destination's shard. */
static void send_store(kv_ctx *ctx, kv_coord *co, const kv_str *dst, kv_obj *result, int op)
{
    size_t size = kv_set_size(result);
    serial s;
    s.argv = malloc((size + 3) * sizeof *s.argv);
    s.arena = malloc(size * KV_LLSTR_SIZE + 1);
    if (!s.argv || !s.arena)
        abort();
    s.argv[0].p = kv_setop_event(op);
    s.argv[0].n = strlen(s.argv[0].p);
    s.argv[1] = *dst;
    s.argv[2].p = kv_obj_encoding(result) == KV_ENC_INTSET ? "i" : "h";
    s.argv[2].n = 1;
    s.argc = 3;
    s.used = 0;
    kv_set_foreach(result, serial_fn, &s);
    kv_coord_send(co, kv_shard_of_key(ctx->shard, dst->p, dst->n), ctx->db, &kv_sub_setsstore,
                  s.argc, s.argv);
    free(s.argv);
    free(s.arena);
}

int kv_coord_setop(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    gather *g;
    kv_obj *result;
    kv_setop q;
    long long v;
    kv_str r;
    if (kv_setop_parse(ctx, argc, argv, &q) != 0)
        return KV_COORD_DONE;
    switch (kv_coord_step(co)) {
    case 0:
        g = gather_new(ctx, &argv[q.first], q.n);
        kv_coord_set_data(co, g, gather_free);
        gather_send(ctx, co, g, &argv[q.first]);
        return KV_COORD_WAIT;
    case 1:
        g = (gather *)kv_coord_data(co);
        if (gather_read(ctx, co, g) != 0)
            return KV_COORD_DONE;
        {
            /* The algorithms reorder their array; keep g->objs intact. */
            kv_obj **sets = malloc((size_t)q.n * sizeof *sets);
            if (!sets)
                abort();
            memcpy(sets, g->objs, (size_t)q.n * sizeof *sets);
            result = kv_setop_run(ctx, &q, sets);
            free(sets);
        }
        if (!q.store)
            return KV_COORD_DONE;
        send_store(ctx, co, &argv[1], result, q.op);
        kv_obj_free(result);
        return KV_COORD_WAIT;
    default:
        r = kv_coord_reply(co, 0);
        if (kv_resp_reply_int(r.p, r.n, &v))
            kv_reply_int(&ctx->out, v);
        else
            kv_reply_raw(&ctx->out, r.p, r.n);
        return KV_COORD_DONE;
    }
}
