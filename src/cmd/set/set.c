/* Set commands (Redis 7.0 "set" group) on one key, and SMOVE; the
 * multi-key algebra is in setops.c. Semantics follow
 * Redis 7.0.15's t_set.c: an emptied set is deleted, SPOP of the whole set
 * replies it as a freshly built set would iterate (ascending when it is all
 * integers), SRANDMEMBER and HRANDFIELD share their count rules. */
#include "cmd/core/cmd.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/keys/collscan.h"
#include "cmd/keys/keys.h"
#include "cmd/set/set.h"
#include "cmd/config/cfg.h"
#include "cmd/multi/watch.h"
#include "store/t_set.h"

#define RANDOM_BATCH 1000

/* A new value gets the LRU clock, as Redis's createObject does. */
static kv_obj *stamped(kv_ctx *ctx, kv_obj *o)
{
    kv_obj_set_lru(o, kv_ks_fresh_lru(kv_state(ctx)->ks, kv_now_ms(ctx)));
    return o;
}

void kv_set_cmd_opts(kv_ctx *ctx, kv_set_opts *opts)
{
    kv_set_opts_init(opts, kv_state(ctx)->srv->seed);
    opts->max_intset_entries = kv_state(ctx)->cfg->enc.set_intset_entries;
}

/* The set at key (read or write lookup): *o NULL if missing, *e its entry;
 * -1 after replying WRONGTYPE. */
static int set_lookup(kv_ctx *ctx, const kv_str *key, int write, kv_entry **e, kv_obj **o)
{
    *e = write ? kv_lookup_write(ctx, key) : kv_lookup_read(ctx, key);
    *o = *e ? kv_entry_val(*e) : NULL;
    if (*o && kv_obj_type(*o) != KV_TYPE_SET) {
        kv_reply_wrongtype(ctx);
        return -1;
    }
    return 0;
}

static void reply_member(kv_ctx *ctx, const kv_lpval *m)
{
    if (m->s)
        kv_reply_bulk(&ctx->out, m->s, m->n);
    else
        kv_reply_bulk_ll(&ctx->out, m->v);
}

static int reply_member_fn(void *arg, const kv_lpval *m)
{
    reply_member((kv_ctx *)arg, m);
    return 0;
}

/* SREM key member in the AOF: how Redis 7.0 logs each member SPOP took
 * (the member is copied: call it before removing it). */
static void propagate_srem(kv_ctx *ctx, const kv_str *key, const kv_lpval *m)
{
    char num[KV_LLSTR_SIZE];
    kv_str a[3];
    a[0].p = "SREM";
    a[0].n = 4;
    a[1] = *key;
    if (m->s) {
        a[2].p = (const char *)m->s;
        a[2].n = m->n;
    } else {
        a[2].p = num;
        a[2].n = (size_t)kv_ll2str(num, sizeof num, m->v);
    }
    kv_propagate(ctx, 3, a);
}

typedef struct srem_ctx {
    kv_ctx *ctx;
    const kv_str *key;
} srem_ctx;

static int propagate_srem_fn(void *arg, const kv_lpval *m)
{
    srem_ctx *s = (srem_ctx *)arg;
    propagate_srem(s->ctx, s->key, m);
    return 0;
}

/* ------------------------------------------------------------ writes */

static void kv_cmd_sadd(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_set_opts opts;
    long long added = 0;
    kv_entry *e;
    kv_obj *o;
    int j, created;
    if (set_lookup(ctx, &argv[1], 1, &e, &o) != 0)
        return;
    kv_set_cmd_opts(ctx, &opts);
    if (!o) {
        o = stamped(ctx, kv_set_new_for(argv[2].p, argv[2].n, &opts));
        e = kv_db_upsert(kv_ctx_db(ctx), argv[1].p, argv[1].n, &created);
        kv_set_val(ctx, e, o);
    }
    for (j = 2; j < argc; j++)
        added += kv_set_add(o, argv[j].p, argv[j].n, &opts);
    if (added) {
        kv_signal_modified(ctx, ctx->db, &argv[1]);
        kv_notify(ctx, KV_NOTIFY_SET, "sadd", ctx->db, &argv[1]);
        kv_dirty(ctx, added);
    }
    kv_reply_int(&ctx->out, added);
}

static void kv_cmd_srem(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long removed = 0;
    kv_entry *e;
    kv_obj *o;
    int j, dropped = 0;
    if (set_lookup(ctx, &argv[1], 1, &e, &o) != 0)
        return;
    for (j = 2; o && j < argc; j++) {
        removed += kv_set_remove(o, argv[j].p, argv[j].n);
        if (kv_set_size(o) == 0) {
            kv_db_delete_entry(kv_ctx_db(ctx), e);
            dropped = 1;
            break;
        }
    }
    if (removed) {
        kv_signal_modified(ctx, ctx->db, &argv[1]);
        kv_notify(ctx, KV_NOTIFY_SET, "srem", ctx->db, &argv[1]);
        if (dropped)
            kv_notify(ctx, KV_NOTIFY_GENERIC, "del", ctx->db, &argv[1]);
        kv_dirty(ctx, removed);
    }
    kv_reply_int(&ctx->out, removed);
}

/* ------------------------------------------------------------ reads */

static void kv_cmd_smembers(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *e;
    kv_obj *o;
    (void)argc;
    if (set_lookup(ctx, &argv[1], 0, &e, &o) != 0)
        return;
    kv_reply_set(&ctx->out, o ? (long)kv_set_size(o) : 0);
    if (o)
        kv_set_foreach(o, reply_member_fn, ctx);
}

static void kv_cmd_sismember(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *e;
    kv_obj *o;
    (void)argc;
    if (set_lookup(ctx, &argv[1], 0, &e, &o) == 0)
        kv_reply_int(&ctx->out, o && kv_set_ismember(o, argv[2].p, argv[2].n));
}

static void kv_cmd_smismember(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *e;
    kv_obj *o;
    int j;
    if (set_lookup(ctx, &argv[1], 0, &e, &o) != 0)
        return;
    kv_reply_array(&ctx->out, argc - 2);
    for (j = 2; j < argc; j++)
        kv_reply_int(&ctx->out, o && kv_set_ismember(o, argv[j].p, argv[j].n));
}

static void kv_cmd_scard(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *e;
    kv_obj *o;
    (void)argc;
    if (set_lookup(ctx, &argv[1], 0, &e, &o) == 0)
        kv_reply_int(&ctx->out, o ? (long long)kv_set_size(o) : 0);
}

/* ------------------------------------------------------------ SPOP */

typedef struct copy_ctx {
    kv_obj *dst;
    kv_set_opts opts;
} copy_ctx;

static int copy_fn(void *arg, const kv_lpval *m)
{
    copy_ctx *c = (copy_ctx *)arg;
    kv_set_add_val(c->dst, m, &c->opts);
    return 0;
}

/* SPOP key count with count >= size: Redis replies the set as SUNION of it
 * would (a set rebuilt from an intset: ascending when all integers). */
static void spop_all(kv_ctx *ctx, kv_entry *e, kv_obj *o)
{
    copy_ctx c;
    kv_obj *src = o;
    if (kv_obj_encoding(o) != KV_ENC_INTSET) {
        c.dst = kv_set_new();
        kv_set_cmd_opts(ctx, &c.opts);
        kv_set_foreach(o, copy_fn, &c);
        src = c.dst;
    }
    kv_reply_set(&ctx->out, (long)kv_set_size(src));
    kv_set_foreach(src, reply_member_fn, ctx);
    if (src != o)
        kv_obj_free(src);
    kv_db_delete_entry(kv_ctx_db(ctx), e);
}

/* Redis's SPOP strategy switch: when at most count / 5 members remain, it
 * picks those at random into a new set, made as SADD would make it (so by
 * the live set-max-intset-entries: an intset when they are few integers,
 * whatever the old encoding), replies what is left of the old set in its
 * encoding's order and puts the new set under the key. */
#define SPOP_MOVE_MUL 5

static void spop_keep_few(kv_ctx *ctx, const kv_str *key, kv_entry *e, kv_obj *o,
                          size_t remaining)
{
    kv_lpval *keep = malloc(remaining * sizeof *keep);
    kv_set_opts opts;
    kv_obj *ns = NULL;
    size_t i, n;
    if (!keep)
        abort();
    kv_set_cmd_opts(ctx, &opts);
    n = kv_set_random_distinct(o, remaining, &kv_state(ctx)->ks->rng, keep);
    for (i = 0; i < n; i++) {
        if (!ns) /* an intset member is an integer: an intset then */
            ns = keep[i].s ? kv_set_new_for((const char *)keep[i].s, keep[i].n, &opts)
                           : kv_set_new();
        kv_set_add_val(ns, &keep[i], &opts);
    }
    /* Removing a member frees only its own node: the other views stay valid. */
    for (i = 0; i < n; i++)
        kv_set_remove_val(o, &keep[i]);
    free(keep);
    kv_reply_set(&ctx->out, (long)kv_set_size(o));
    kv_set_foreach(o, reply_member_fn, ctx);
    if (kv_state(ctx)->aof) { /* what is left of the old set went: one SREM each */
        srem_ctx sc;
        sc.ctx = ctx;
        sc.key = key;
        kv_set_foreach(o, propagate_srem_fn, &sc);
    }
    kv_set_val(ctx, e, ns);
}

/* count (> 0) distinct random members of o, replied as a set (SPOP) or an
 * array (SRANDMEMBER); returned (*n of them) for the caller to free. */
static kv_lpval *reply_distinct(kv_ctx *ctx, kv_obj *o, size_t count, int as_set, size_t *n)
{
    kv_lpval *picked = malloc(count * sizeof *picked);
    size_t i;
    if (!picked)
        abort();
    *n = kv_set_random_distinct(o, count, &kv_state(ctx)->ks->rng, picked);
    if (as_set)
        kv_reply_set(&ctx->out, (long)*n);
    else
        kv_reply_array(&ctx->out, (long)*n);
    for (i = 0; i < *n; i++)
        reply_member(ctx, &picked[i]);
    return picked;
}

static void spop_count(kv_ctx *ctx, const kv_str *argv)
{
    long long l;
    kv_lpval *picked;
    size_t size, n, i;
    kv_entry *e;
    kv_obj *o;
    if (!kv_arg_ll(&argv[2], &l) || l < 0 || l > LONG_MAX) {
        kv_reply_error(&ctx->out, "ERR value is out of range, must be positive");
        return;
    }
    if (set_lookup(ctx, &argv[1], 1, &e, &o) != 0)
        return;
    if (!o || l == 0) {
        kv_reply_set(&ctx->out, 0);
        return;
    }
    kv_signal_modified(ctx, ctx->db, &argv[1]); /* pops at least one member */
    kv_notify(ctx, KV_NOTIFY_SET, "spop", ctx->db, &argv[1]);
    size = kv_set_size(o);
    kv_dirty(ctx, (unsigned long long)l < size ? l : (long long)size);
    /* Logged as Redis 7.0 does: the whole set as DEL key, else one SREM
     * per member taken, in the order replied. */
    if ((unsigned long long)l >= size) {
        spop_all(ctx, e, o);
        kv_notify(ctx, KV_NOTIFY_GENERIC, "del", ctx->db, &argv[1]);
        kv_propagate_del(ctx, &argv[1], NULL);
        return;
    }
    if ((size - (size_t)l) * SPOP_MOVE_MUL <= (size_t)l) {
        spop_keep_few(ctx, &argv[1], e, o, size - (size_t)l);
        return;
    }
    picked = reply_distinct(ctx, o, (size_t)l, 1, &n);
    /* Removing a member frees only its own node: the other views stay valid. */
    for (i = 0; i < n; i++) {
        if (kv_state(ctx)->aof)
            propagate_srem(ctx, &argv[1], &picked[i]);
        kv_set_remove_val(o, &picked[i]);
    }
    free(picked);
}

/* SPOP and SRANDMEMBER: the form with a count goes to with_count; without
 * one, a random member of the set at argv[1] is replied (nil if none) and
 * returned in *m with its set and entry (1), or 0 when nothing was picked. */
static int pick_one(kv_ctx *ctx, int argc, const kv_str *argv, int write,
                    void (*with_count)(kv_ctx *, const kv_str *), kv_entry **e, kv_obj **o,
                    kv_lpval *m)
{
    if (argc == 3) {
        with_count(ctx, argv);
        return 0;
    }
    if (argc > 3) {
        kv_reply_syntax(ctx);
        return 0;
    }
    if (set_lookup(ctx, &argv[1], write, e, o) != 0)
        return 0;
    if (!*o) {
        kv_reply_null(&ctx->out);
        return 0;
    }
    kv_set_random_members(*o, 1, &kv_state(ctx)->ks->rng, m);
    reply_member(ctx, m);
    return 1;
}

static void kv_cmd_spop(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_lpval m;
    kv_entry *e;
    kv_obj *o;
    if (!pick_one(ctx, argc, argv, 1, spop_count, &e, &o, &m))
        return;
    if (kv_state(ctx)->aof) /* SREM key member, as Redis 7.0 logs it */
        propagate_srem(ctx, &argv[1], &m);
    kv_set_remove_val(o, &m);
    kv_notify(ctx, KV_NOTIFY_SET, "spop", ctx->db, &argv[1]);
    if (kv_set_size(o) == 0) {
        kv_db_delete_entry(kv_ctx_db(ctx), e);
        kv_notify(ctx, KV_NOTIFY_GENERIC, "del", ctx->db, &argv[1]);
    }
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    kv_dirty(ctx, 1);
}

/* ------------------------------------------------------------ SRANDMEMBER */

static void srandmember_count(kv_ctx *ctx, const kv_str *argv)
{
    long long l;
    unsigned long want, i;
    kv_lpval *picked;
    kv_entry *e;
    kv_obj *o;
    if (kv_arg_ll_or_reply(ctx, &argv[2], &l) != 0)
        return;
    if (l < -LONG_MAX || l > LONG_MAX) {
        kv_reply_errorf(&ctx->out, "ERR value is out of range, value must between %ld and %ld",
                        -LONG_MAX, LONG_MAX);
        return;
    }
    if (set_lookup(ctx, &argv[1], 0, &e, &o) != 0)
        return;
    if (!o || l == 0) {
        kv_reply_array(&ctx->out, 0);
        return;
    }
    want = l < 0 ? (unsigned long)-l : (unsigned long)l;
    if (l < 0) {
        unsigned long batch = want < RANDOM_BATCH ? want : RANDOM_BATCH;
        picked = malloc(batch * sizeof *picked);
        if (!picked)
            abort();
        kv_reply_array(&ctx->out, (long)want);
        while (want > 0) {
            unsigned long k = want < batch ? want : batch;
            kv_set_random_members(o, k, &kv_state(ctx)->ks->rng, picked);
            for (i = 0; i < k; i++)
                reply_member(ctx, &picked[i]);
            want -= k;
        }
    } else {
        size_t size = kv_set_size(o), n;
        picked = reply_distinct(ctx, o, want < size ? want : size, 0, &n);
    }
    free(picked);
}

static void kv_cmd_srandmember(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_lpval m;
    kv_entry *e;
    kv_obj *o;
    (void)pick_one(ctx, argc, argv, 0, srandmember_count, &e, &o, &m);
}

/* ------------------------------------------------------------ SSCAN */

typedef struct sscan_acc {
    kv_lpval *m;
    size_t n, cap;
} sscan_acc;

static int sscan_fn(void *arg, const kv_lpval *m)
{
    sscan_acc *a = (sscan_acc *)arg;
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 32;
        if (!(a->m = realloc(a->m, a->cap * sizeof *a->m)))
            abort();
    }
    a->m[a->n++] = *m;
    return 0;
}

static void kv_cmd_sscan(kv_ctx *ctx, int argc, const kv_str *argv)
{
    unsigned long cursor, budget;
    kv_scan_opts so;
    sscan_acc acc = {NULL, 0, 0};
    char cbuf[32];
    size_t i, kept = 0;
    kv_entry *e;
    kv_obj *o;
    if (kv_scan_cursor_or_reply(ctx, &argv[2], &cursor) != 0 || set_lookup(ctx, &argv[1], 0, &e, &o) != 0)
        return;
    if (!o) {
        kv_scan_reply_empty(ctx);
        return;
    }
    if (kv_scan_options(ctx, argc, argv, 3, &so) != 0)
        return;
    budget = (unsigned long)so.count > ULONG_MAX / 10 ? ULONG_MAX : (unsigned long)so.count * 10;
    do
        cursor = kv_set_scan(o, cursor, sscan_fn, &acc);
    while (cursor && budget-- && acc.n < (size_t)so.count);
    for (i = 0; i < acc.n; i++) {
        char b[KV_LLSTR_SIZE];
        const kv_lpval *m = &acc.m[i];
        size_t n = m->s ? m->n : (size_t)kv_ll2str(b, sizeof b, m->v);
        if (kv_scan_match(&so, m->s ? (const char *)m->s : b, n))
            acc.m[kept++] = *m;
    }
    kv_reply_array(&ctx->out, 2);
    kv_reply_bulk(&ctx->out, cbuf, (size_t)snprintf(cbuf, sizeof cbuf, "%lu", cursor));
    kv_reply_array(&ctx->out, (long)kept);
    for (i = 0; i < kept; i++)
        reply_member(ctx, &acc.m[i]);
    free(acc.m);
}

/* ------------------------------------------------------------ SMOVE */

static void kv_cmd_smove(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *se, *de;
    kv_obj *src, *dst;
    kv_set_opts opts;
    int created;
    (void)argc;
    se = kv_lookup_write(ctx, &argv[1]);
    de = kv_lookup_write(ctx, &argv[2]);
    if (!se) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    src = kv_entry_val(se);
    dst = de ? kv_entry_val(de) : NULL;
    if (kv_obj_type(src) != KV_TYPE_SET || (dst && kv_obj_type(dst) != KV_TYPE_SET)) {
        kv_reply_wrongtype(ctx);
        return;
    }
    if (src == dst) {
        kv_reply_int(&ctx->out, kv_set_ismember(src, argv[3].p, argv[3].n));
        return;
    }
    if (!kv_set_remove(src, argv[3].p, argv[3].n)) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    kv_notify(ctx, KV_NOTIFY_SET, "srem", ctx->db, &argv[1]);
    if (kv_set_size(src) == 0) {
        kv_db_delete_entry(kv_ctx_db(ctx), se);
        kv_notify(ctx, KV_NOTIFY_GENERIC, "del", ctx->db, &argv[1]);
    }
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    kv_dirty(ctx, 1);
    kv_set_cmd_opts(ctx, &opts);
    if (!dst) {
        dst = stamped(ctx, kv_set_new_for(argv[3].p, argv[3].n, &opts));
        de = kv_db_upsert(kv_ctx_db(ctx), argv[2].p, argv[2].n, &created);
        kv_set_val(ctx, de, dst);
    }
    /* A destination that already had the member is not modified. */
    if (kv_set_add(dst, argv[3].p, argv[3].n, &opts)) {
        kv_signal_modified(ctx, ctx->db, &argv[2]);
        kv_notify(ctx, KV_NOTIFY_SET, "sadd", ctx->db, &argv[2]);
        kv_dirty(ctx, 1);
    }
    kv_reply_int(&ctx->out, 1);
}

/* Sub-command: :0 if the key is missing, :1 if it holds a set, else
 * WRONGTYPE (looked up as a write, like SMOVE does). */
static void kv_cmd_settype(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *e;
    kv_obj *o;
    (void)argc;
    if (set_lookup(ctx, &argv[1], 1, &e, &o) == 0)
        kv_reply_int(&ctx->out, o != NULL);
}

static const kv_cmd kv_sub_settype = {.name = "smove", .arity = 2, .exec = kv_cmd_settype};
static const kv_cmd kv_sub_srem = {.name = "srem", .arity = -3, .exec = kv_cmd_srem};
static const kv_cmd kv_sub_sadd = {.name = "sadd", .arity = -3, .exec = kv_cmd_sadd};

/* An error reply is handed on to the client as it is. */
static int reply_is_error(kv_ctx *ctx, kv_str r)
{
    if (r.n == 0 || r.p[0] != '-')
        return 0;
    kv_reply_raw(&ctx->out, r.p, r.n);
    ctx->out.errors++;
    return 1;
}

/* A step's reply: 1 if it is a nonzero integer (go on); else 0, the
 * command answered (an error handed on, or :0 for nothing to move). */
static int smove_goes_on(kv_ctx *ctx, kv_str r)
{
    long long v = 0;
    if (reply_is_error(ctx, r))
        return 0;
    if (!kv_resp_reply_int(r.p, r.n, &v) || v == 0) {
        kv_reply_int(&ctx->out, 0);
        return 0;
    }
    return 1;
}

/* cmd with key (and the member, when argc is 3) to key's shard. */
static void smove_send(kv_ctx *ctx, kv_coord *co, const kv_cmd *cmd, int argc,
                       const kv_str *argv, const kv_str *key)
{
    kv_str sub[3];
    /* Its own name: SREM and SADD are then logged as the real commands. */
    sub[0].p = cmd->name;
    sub[0].n = strlen(cmd->name);
    sub[1] = *key;
    sub[2] = argv[3];
    kv_coord_send(co, kv_shard_of_key(ctx->shard, key->p, key->n), ctx->db, cmd, argc, sub);
}

/* SMOVE with source and destination on different shards: check both types
 * (reads), then remove from the source, then add to the destination. SREM
 * and SADD signal WATCH on their shards, each only if it changed its key. */
static int kv_coord_smove(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    (void)argc;
    switch (kv_coord_step(co)) {
    case 0:
        smove_send(ctx, co, &kv_sub_settype, 2, argv, &argv[1]);
        smove_send(ctx, co, &kv_sub_settype, 2, argv, &argv[2]);
        return KV_COORD_WAIT;
    case 1:
        if (!smove_goes_on(ctx, kv_coord_reply(co, 0)) ||
            reply_is_error(ctx, kv_coord_reply(co, 1)))
            return KV_COORD_DONE;
        smove_send(ctx, co, &kv_sub_srem, 3, argv, &argv[1]);
        return KV_COORD_WAIT;
    case 2:
        if (!smove_goes_on(ctx, kv_coord_reply(co, 0)))
            return KV_COORD_DONE;
        smove_send(ctx, co, &kv_sub_sadd, 3, argv, &argv[2]);
        return KV_COORD_WAIT;
    default:
        if (!reply_is_error(ctx, kv_coord_reply(co, 0)))
            kv_reply_int(&ctx->out, 1);
        return KV_COORD_DONE;
    }
}

const kv_cmdspec kv_cmds_set[] = {
    {.name = "sadd", .route = KV_ROUTE_KEY, .exec = kv_cmd_sadd},
    {.name = "scard", .route = KV_ROUTE_KEY, .exec = kv_cmd_scard},
    {.name = "sismember", .route = KV_ROUTE_KEY, .exec = kv_cmd_sismember},
    {.name = "smembers", .route = KV_ROUTE_KEY, .exec = kv_cmd_smembers},
    {.name = "smismember", .route = KV_ROUTE_KEY, .exec = kv_cmd_smismember},
    {.name = "smove", .route = KV_ROUTE_COORD, .exec = kv_cmd_smove, .coord = kv_coord_smove},
    {.name = "spop", .route = KV_ROUTE_KEY, .exec = kv_cmd_spop},
    {.name = "srandmember", .route = KV_ROUTE_KEY, .exec = kv_cmd_srandmember},
    {.name = "srem", .route = KV_ROUTE_KEY, .exec = kv_cmd_srem},
    {.name = "sscan", .route = KV_ROUTE_KEY, .exec = kv_cmd_sscan},
    KV_SPEC_END
};
