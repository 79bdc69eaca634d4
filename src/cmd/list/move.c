/* LMOVE, RPOPLPUSH and LMPOP: list commands over several keys. On one shard
 * they run as in Redis. Across shards they are coordinated with every read
 * first (types, as Redis checks them before popping), then the writes, so
 * they can later run under the multi-shard locks unchanged. Until those
 * land, a type change racing between the steps can lose a moved element. */
#include "cmd/list/list.h"

#include "cmd/multi/watch.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ LMOVE */

int kv_list_arg_where(const kv_str *a)
{
    if (kv_arg_eq(a, "left"))
        return KV_QL_HEAD;
    if (kv_arg_eq(a, "right"))
        return KV_QL_TAIL;
    return -1;
}

/* RPOPLPUSH is LMOVE src dst RIGHT LEFT. */
static int move_sides(int argc, const kv_str *argv, int *from, int *to)
{
    if (argc == 3) {
        *from = KV_QL_TAIL;
        *to = KV_QL_HEAD;
        return 0;
    }
    *from = kv_list_arg_where(&argv[3]);
    *to = kv_list_arg_where(&argv[4]);
    return *from < 0 || *to < 0 ? -1 : 0;
}

static int kv_check_lmove(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int from, to;
    if (move_sides(argc, argv, &from, &to) == 0)
        return 0;
    kv_reply_syntax(ctx);
    return -1;
}

/* Served for a blocking BLMOVE or BRPOPLPUSH (its request, kv_sub_lmove
 * or kv_sub_rpoplpush), the move is logged as Redis 7.0 logs one: LMOVE
 * src dst <from> <to>, RPOPLPUSH src dst. A client's LMOVE and RPOPLPUSH
 * are logged as they ran. */
static void lmove_propagate(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_str a[5];
    int i;
    if (ctx->cmd != &kv_sub_lmove && ctx->cmd != &kv_sub_rpoplpush)
        return;
    for (i = 1; i < argc && i < 5; i++)
        a[i] = argv[i];
    a[0].p = argc == 3 ? "RPOPLPUSH" : "LMOVE";
    a[0].n = strlen(a[0].p);
    kv_propagate(ctx, argc < 5 ? argc : 5, a);
}

static void kv_cmd_lmove(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *se, *de;
    kv_qliter it;
    kv_lpval v;
    char num[KV_LLSTR_SIZE], *copy = NULL;
    const char *s;
    size_t n;
    int from, to;
    if (move_sides(argc, argv, &from, &to) < 0) {
        kv_reply_syntax(ctx);
        return;
    }
    if (kv_list_lookup(ctx, &argv[1], 1, &se) < 0)
        return;
    if (se == NULL) {
        kv_reply_null(&ctx->out);
        return;
    }
    if (kv_list_lookup(ctx, &argv[2], 1, &de) < 0)
        return;
    kv_ql_iter_at(&it, kv_list_ql(kv_entry_val(se)), from == KV_QL_HEAD ? 0 : -1, from);
    kv_ql_next(&it, &v);
    if (v.s) {
        n = v.n;
        copy = malloc(n ? n : 1);
        if (copy == NULL)
            abort();
        memcpy(copy, v.s, n);
        s = copy;
    } else {
        n = kv_store_ll2str(num, v.v);
        s = num;
    }
    kv_ql_iter_delete(&it);
    /* Push before dropping an emptied source: with src == dst the list
     * is never empty, exactly as in Redis. */
    kv_list_push_key(ctx, &argv[2], de, s, n, to); /* signals the destination */
    /* The destination's event first, then the source's, as in Redis. */
    kv_list_popped(ctx, &argv[1], se, from);
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    kv_dirty(ctx, 1);
    lmove_propagate(ctx, argc, argv);
    kv_reply_bulk(&ctx->out, s, n);
    free(copy);
}

/* Sub-command: :0 if the key is missing, :1 if it holds a list, else
 * WRONGTYPE (a write lookup, as LMOVE's). */
static void kv_cmd_listtype(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *e;
    (void)argc;
    if (kv_list_lookup(ctx, &argv[1], 1, &e) == 0)
        kv_reply_int(&ctx->out, e != NULL);
}

static const kv_cmd kv_sub_listtype = {.name = "lmove", .arity = 2, .exec = kv_cmd_listtype};

/* Sub-command: push argv[2] onto argv[1] at the head (argv[0] "lpush") or
 * tail; replies the new length or WRONGTYPE. */
static void kv_cmd_listpush(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *e;
    (void)argc;
    if (kv_list_lookup(ctx, &argv[1], 1, &e) < 0)
        return;
    kv_list_push_key(ctx, &argv[1], e, argv[2].p, argv[2].n,
                     argv[0].p[0] == 'l' ? KV_QL_HEAD : KV_QL_TAIL);
    /* The push is no change of its own in the dirty counter (the move
     * counted at the pop) but one in the data: logged as the LPUSH or
     * RPUSH it is. */
    kv_propagate(ctx, argc, argv);
    e = kv_lookup_write(ctx, &argv[1]);
    kv_reply_int(&ctx->out, e ? (long long)kv_list_len(kv_entry_val(e)) : 0);
}

static const kv_cmd kv_sub_listpush = {.name = "lpush", .arity = 3, .exec = kv_cmd_listpush};

/* An error reply is handed on to the client as it is. */
static int pass_error(kv_ctx *ctx, kv_str r)
{
    if (r.n == 0 || r.p[0] != '-')
        return 0;
    kv_reply_raw(&ctx->out, r.p, r.n);
    ctx->out.errors++;
    return 1;
}

static void free_copy(void *p) { free(p); }

/* Across shards: both types (reads), then pop from the source, then push
 * onto the destination, then reply the element. The pop and push steps
 * signal WATCH on their own shards. */
static int kv_coord_lmove(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    int src = kv_shard_of_key(ctx->shard, argv[1].p, argv[1].n);
    int dst = kv_shard_of_key(ctx->shard, argv[2].p, argv[2].n);
    int from, to;
    long long v = 0;
    kv_str sub[3], r, el;
    char *copy;
    if (move_sides(argc, argv, &from, &to) < 0) {
        kv_reply_syntax(ctx);
        return KV_COORD_DONE;
    }
    switch (kv_coord_step(co)) {
    case 0:
        sub[0] = argv[0];
        sub[1] = argv[1];
        kv_coord_send(co, src, ctx->db, &kv_sub_listtype, 2, sub);
        sub[1] = argv[2];
        kv_coord_send(co, dst, ctx->db, &kv_sub_listtype, 2, sub);
        return KV_COORD_WAIT;
    case 1:
        r = kv_coord_reply(co, 0);
        if (pass_error(ctx, r))
            return KV_COORD_DONE;
        if (!kv_resp_reply_int(r.p, r.n, &v) || v == 0) {
            kv_reply_null(&ctx->out);
            return KV_COORD_DONE;
        }
        if (pass_error(ctx, kv_coord_reply(co, 1)))
            return KV_COORD_DONE;
        sub[0].p = from == KV_QL_HEAD ? "lpop" : "rpop";
        sub[0].n = 4;
        sub[1] = argv[1];
        kv_coord_send(co, src, ctx->db, from == KV_QL_HEAD ? &kv_sub_lpop : &kv_sub_rpop, 2,
                      sub);
        return KV_COORD_WAIT;
    case 2:
        r = kv_coord_reply(co, 0);
        if (pass_error(ctx, r))
            return KV_COORD_DONE;
        if (!kv_rd_bulk(r, &el)) {
            kv_reply_null(&ctx->out); /* emptied since the check */
            return KV_COORD_DONE;
        }
        /* Kept for the client's reply: this step's replies go away. */
        copy = malloc(sizeof(size_t) + el.n + 1);
        if (copy == NULL)
            abort();
        memcpy(copy, &el.n, sizeof(size_t));
        memcpy(copy + sizeof(size_t), el.p, el.n);
        kv_coord_set_data(co, copy, free_copy);
        sub[0].p = to == KV_QL_HEAD ? "lpush" : "rpush";
        sub[0].n = 5;
        sub[1] = argv[2];
        sub[2].p = copy + sizeof(size_t);
        sub[2].n = el.n;
        kv_coord_send(co, dst, ctx->db, &kv_sub_listpush, 3, sub);
        return KV_COORD_WAIT;
    default:
        if (pass_error(ctx, kv_coord_reply(co, 0)))
            return KV_COORD_DONE;
        copy = kv_coord_data(co);
        memcpy(&el.n, copy, sizeof(size_t));
        kv_reply_bulk(&ctx->out, copy + sizeof(size_t), el.n);
        return KV_COORD_DONE;
    }
}

/* ------------------------------------------------------------ LMPOP */

typedef struct mpop_args {
    long long numkeys;
    int where;
    long long count;
} mpop_args;

/* LMPOP numkeys key... LEFT|RIGHT [COUNT n], checked in Redis's order;
 * on error the reply is written (when ctx is given) and -1 returned. */
static int mpop_parse(kv_ctx *ctx, int argc, const kv_str *argv, mpop_args *a)
{
    const char *err = NULL;
    int j, where_at;
    a->count = -1;
    if (!kv_arg_ll(&argv[1], &a->numkeys) || a->numkeys <= 0)
        err = "ERR numkeys should be greater than 0";
    else if (a->numkeys > argc - 3)
        err = "ERR syntax error";
    if (err == NULL) {
        where_at = 2 + (int)a->numkeys;
        a->where = kv_list_arg_where(&argv[where_at]);
        if (a->where < 0)
            err = "ERR syntax error";
        for (j = where_at + 1; err == NULL && j < argc; j++) {
            if (a->count == -1 && kv_arg_eq(&argv[j], "count") && j + 1 < argc) {
                if (!kv_arg_ll(&argv[++j], &a->count) || a->count <= 0)
                    err = "ERR count should be greater than 0";
            } else {
                err = "ERR syntax error";
            }
        }
    }
    if (err == NULL) {
        if (a->count == -1)
            a->count = 1;
        return 0;
    }
    if (ctx)
        kv_reply_error(&ctx->out, err);
    return -1;
}

static int kv_check_lmpop(kv_ctx *ctx, int argc, const kv_str *argv)
{
    mpop_args a;
    return mpop_parse(ctx, argc, argv, &a);
}

static int kv_getkeys_lmpop(int argc, const kv_str *argv, int *pos, int max)
{
    mpop_args a;
    int i;
    if (mpop_parse(NULL, argc, argv, &a) < 0)
        return -1;
    for (i = 0; i < (int)a.numkeys && i < max; i++)
        pos[i] = 2 + i;
    return (int)a.numkeys;
}

/* Pop up to count entries from the list at e and reply [key, [entries]]. */
static void mpop_from(kv_ctx *ctx, const kv_str *key, kv_entry *e, int where, long long count)
{
    kv_quicklist *ql = kv_list_ql(kv_entry_val(e));
    long long n = (long long)kv_ql_count(ql), i;
    kv_qliter it;
    kv_lpval v;
    if (count > n)
        count = n;
    kv_reply_array(&ctx->out, 2);
    kv_reply_bulk(&ctx->out, key->p, key->n);
    kv_reply_array(&ctx->out, count);
    kv_ql_iter_at(&it, ql, where == KV_QL_HEAD ? 0 : -1, where);
    for (i = 0; i < count && kv_ql_next(&it, &v); i++) {
        kv_list_reply_entry(ctx, &v);
        kv_ql_iter_delete(&it);
    }
    kv_list_popped(ctx, key, e, where);
    kv_signal_modified(ctx, ctx->db, key);
    kv_dirty(ctx, count);
    if (kv_state(ctx)->aof) { /* LPOP|RPOP key <popped>, as Redis 7.0 logs LMPOP */
        char num[KV_LLSTR_SIZE];
        kv_str a[3];
        a[0].p = where == KV_QL_HEAD ? "LPOP" : "RPOP";
        a[0].n = 4;
        a[1] = *key;
        a[2].p = num;
        a[2].n = (size_t)kv_ll2str(num, sizeof num, count);
        kv_propagate(ctx, 3, a);
    }
}

static void kv_cmd_lmpop(kv_ctx *ctx, int argc, const kv_str *argv)
{
    mpop_args a;
    kv_entry *e;
    int j;
    if (mpop_parse(ctx, argc, argv, &a) < 0)
        return;
    for (j = 2; j < 2 + (int)a.numkeys; j++) {
        if (kv_list_lookup(ctx, &argv[j], 1, &e) < 0)
            return;
        if (e) {
            mpop_from(ctx, &argv[j], e, a.where, a.count);
            return;
        }
    }
    kv_reply_null_array(&ctx->out);
}

/* Sub-command: per key, :0 missing, :1 a list, :2 another type. */
static void kv_cmd_listprobe(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int j;
    kv_reply_array(&ctx->out, argc - 1);
    for (j = 1; j < argc; j++) {
        kv_entry *e = kv_lookup_write(ctx, &argv[j]);
        kv_reply_int(&ctx->out, e == NULL ? 0 : kv_obj_type(kv_entry_val(e)) == KV_TYPE_LIST ? 1 : 2);
    }
}

static const kv_cmd kv_sub_listprobe = {.name = "lmpop", .arity = -2, .exec = kv_cmd_listprobe};
const kv_cmd kv_sub_lmpop = {.name = "lmpop", .arity = -4, .exec = kv_cmd_lmpop};

/* The i-th integer of an array-of-integers reply, or -1. */
static long long array_int(kv_str r, long long i)
{
    const char *p = r.p, *end = r.p + r.n;
    long long n, v = -1, k;
    if (kv_rd_header(&p, end, '*', &n) != 0 || i < 0 || i >= n)
        return -1;
    for (k = 0; k <= i; k++)
        if (kv_rd_header(&p, end, ':', &v) != 0)
            return -1;
    return v;
}

/* Across shards, non-blocking: probe every key's type on its shard (one
 * probe per shard, in shard order, keys in argument order), then pop from
 * the first key in argument order that holds a list, unless a key before
 * it holds another type (WRONGTYPE: Redis stops there too). */
static int kv_coord_lmpop(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    int nsh = kv_shard_count(ctx->shard), nk, s, j, n, step = kv_coord_step(co);
    int *shard_of, *ridx, *seen;
    kv_str *sub, r;
    mpop_args a;
    if (mpop_parse(ctx, argc, argv, &a) < 0)
        return KV_COORD_DONE;
    if (step >= 2) {
        r = kv_coord_reply(co, 0);
        kv_reply_raw(&ctx->out, r.p, r.n);
        if (r.n && r.p[0] == '-')
            ctx->out.errors++;
        return KV_COORD_DONE;
    }
    nk = (int)a.numkeys;
    sub = malloc((size_t)argc * sizeof *sub);
    shard_of = malloc((size_t)nk * sizeof *shard_of);
    ridx = calloc((size_t)nsh * 2, sizeof *ridx);
    if (sub == NULL || shard_of == NULL || ridx == NULL)
        abort();
    seen = ridx + nsh;
    for (j = 0; j < nk; j++) {
        shard_of[j] = kv_shard_of_key(ctx->shard, argv[2 + j].p, argv[2 + j].n);
        seen[shard_of[j]] = 1;
    }
    for (s = 0, n = 0; s < nsh; s++)
        ridx[s] = seen[s] ? n++ : -1;
    if (step == 0) {
        for (s = 0; s < nsh; s++) {
            if (ridx[s] < 0)
                continue;
            sub[0] = argv[0];
            for (j = 0, n = 1; j < nk; j++)
                if (shard_of[j] == s)
                    sub[n++] = argv[2 + j];
            kv_coord_send(co, s, ctx->db, &kv_sub_listprobe, n, sub);
        }
        step = KV_COORD_WAIT;
        goto out;
    }
    memset(seen, 0, (size_t)nsh * sizeof *seen); /* now: keys of each shard seen so far */
    for (j = 0; j < nk; j++) {
        long long status;
        s = shard_of[j];
        status = array_int(kv_coord_reply(co, ridx[s]), seen[s]++);
        if (status == 0)
            continue;
        if (status != 1) {
            kv_reply_wrongtype(ctx);
            step = KV_COORD_DONE;
            goto out;
        }
        /* LMPOP 1 key LEFT|RIGHT [COUNT n] on the key's shard */
        sub[0] = argv[0];
        sub[1].p = "1";
        sub[1].n = 1;
        sub[2] = argv[2 + j];
        for (n = 3, s = 2 + nk; s < argc; s++)
            sub[n++] = argv[s];
        kv_coord_send(co, shard_of[j], ctx->db, &kv_sub_lmpop, n, sub);
        step = KV_COORD_WAIT;
        goto out;
    }
    kv_reply_null_array(&ctx->out);
    step = KV_COORD_DONE;
out:
    free(sub);
    free(shard_of);
    free(ridx);
    return step;
}

/* LMOVE as a request of another command (a blocked BLMOVE being served):
 * on one shard it runs whole, across shards it coordinates (nested). */
const kv_cmd kv_sub_lmove = {.name = "lmove", .arity = 5, .first_key = 1, .last_key = 2,
                             .key_step = 1, .route = KV_ROUTE_COORD, .exec = kv_cmd_lmove,
                             .coord = kv_coord_lmove};
const kv_cmd kv_sub_rpoplpush = {.name = "rpoplpush", .arity = 3, .first_key = 1, .last_key = 2,
                                 .key_step = 1, .route = KV_ROUTE_COORD, .exec = kv_cmd_lmove,
                                 .coord = kv_coord_lmove};

const kv_cmdspec kv_cmds_list_move[] = {
    {.name = "lmove", .route = KV_ROUTE_COORD, .exec = kv_cmd_lmove, .check = kv_check_lmove,
     .coord = kv_coord_lmove},
    {.name = "lmpop", .route = KV_ROUTE_COORD, .exec = kv_cmd_lmpop, .check = kv_check_lmpop,
     .coord = kv_coord_lmpop, .getkeys = kv_getkeys_lmpop},
    {.name = "rpoplpush", .route = KV_ROUTE_COORD, .exec = kv_cmd_lmove, .check = kv_check_lmove,
     .coord = kv_coord_lmove},
    KV_SPEC_END
};
