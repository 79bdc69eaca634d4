/* List commands (Redis 7.0 "list" group) on one key.
 * Argument checks come in Redis's order (some commands parse numbers before
 * looking the key up, others after), since that decides which error a bad
 * call gets. The multi-key commands are in move.c. */
#include "cmd/list/list.h"

#include "cmd/config/cfg.h"
#include "cmd/multi/watch.h"

#include <stdlib.h>
#include <string.h>

void kv_list_cmd_opts(kv_ctx *ctx, kv_list_opts *opts)
{
    const kv_enc_limits *lim = &kv_state(ctx)->cfg->enc;
    kv_list_opts_init(opts);
    opts->fill = lim->list_fill;
    opts->compress_depth = lim->list_compress;
}

int kv_list_lookup(kv_ctx *ctx, const kv_str *key, int write, kv_entry **e)
{
    *e = write ? kv_lookup_write(ctx, key) : kv_lookup_read(ctx, key);
    if (*e && kv_obj_type(kv_entry_val(*e)) != KV_TYPE_LIST) {
        kv_reply_wrongtype(ctx);
        return -1;
    }
    return 0;
}

void kv_list_reply_entry(kv_ctx *ctx, const kv_lpval *v)
{
    if (v->s)
        kv_reply_bulk(&ctx->out, v->s, v->n);
    else
        kv_reply_bulk_ll(&ctx->out, v->v);
}

/* Signals the key's watchers too: every caller (LMOVE on one shard, the
 * push step of a cross-shard move) really modifies it. Not a change of its
 * own in the dirty counter: Redis counts a move once, at the pop. */
void kv_list_push_key(kv_ctx *ctx, const kv_str *key, kv_entry *e, const char *s, size_t n,
                      int where)
{
    if (e == NULL) {
        kv_list_opts opts;
        int created;
        kv_list_cmd_opts(ctx, &opts);
        e = kv_db_upsert(kv_ctx_db(ctx), key->p, key->n, &created);
        kv_set_val(ctx, e, kv_list_new(&opts));
    }
    kv_list_push(kv_entry_val(e), s, n, where);
    kv_signal_modified(ctx, ctx->db, key);
    kv_notify(ctx, KV_NOTIFY_LIST, where == KV_QL_HEAD ? "lpush" : "rpush", ctx->db, key);
}

int kv_list_drop_if_empty(kv_ctx *ctx, kv_entry *e)
{
    if (kv_list_len(kv_entry_val(e)) != 0)
        return 0;
    kv_db_delete_entry(kv_ctx_db(ctx), e);
    return 1;
}

/* A change that may have emptied the list: `event`, then the key dropped
 * with "del" if so (Redis reports the change before the deletion). */
static void changed(kv_ctx *ctx, const kv_str *key, kv_entry *e, const char *event)
{
    kv_notify(ctx, KV_NOTIFY_LIST, event, ctx->db, key);
    if (kv_list_drop_if_empty(ctx, e))
        kv_notify(ctx, KV_NOTIFY_GENERIC, "del", ctx->db, key);
}

void kv_list_popped(kv_ctx *ctx, const kv_str *key, kv_entry *e, int where)
{
    changed(ctx, key, e, where == KV_QL_HEAD ? "lpop" : "rpop");
}

static kv_quicklist *ql_of(kv_entry *e)
{
    return kv_list_ql(kv_entry_val(e));
}

/* ------------------------------------------------------------ push/pop */

/* LPUSH/RPUSH (x = 0) and LPUSHX/RPUSHX (x = 1). */
static void push(kv_ctx *ctx, int argc, const kv_str *argv, int where, int x)
{
    kv_list_opts opts;
    kv_entry *e;
    int fill;
    int j;
    if (kv_list_lookup(ctx, &argv[1], 1, &e) < 0)
        return;
    if (e == NULL) {
        int created;
        if (x) {
            kv_reply_int(&ctx->out, 0);
            return;
        }
        kv_list_cmd_opts(ctx, &opts);
        e = kv_db_upsert(kv_ctx_db(ctx), argv[1].p, argv[1].n, &created);
        kv_set_val(ctx, e, kv_list_new(&opts));
    }
    fill = kv_list_fill(kv_entry_val(e)); /* the list's own, as in Redis */
    for (j = 2; j < argc; j++)
        kv_ql_push(ql_of(e), fill, argv[j].p, argv[j].n, where);
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    kv_notify(ctx, KV_NOTIFY_LIST, where == KV_QL_HEAD ? "lpush" : "rpush", ctx->db, &argv[1]);
    kv_dirty(ctx, argc - 2);
    kv_reply_int(&ctx->out, (long long)kv_ql_count(ql_of(e)));
}

static void kv_cmd_lpush(kv_ctx *ctx, int argc, const kv_str *argv) { push(ctx, argc, argv, KV_QL_HEAD, 0); }
static void kv_cmd_rpush(kv_ctx *ctx, int argc, const kv_str *argv) { push(ctx, argc, argv, KV_QL_TAIL, 0); }
static void kv_cmd_lpushx(kv_ctx *ctx, int argc, const kv_str *argv) { push(ctx, argc, argv, KV_QL_HEAD, 1); }
static void kv_cmd_rpushx(kv_ctx *ctx, int argc, const kv_str *argv) { push(ctx, argc, argv, KV_QL_TAIL, 1); }

/* LPOP/RPOP key [count]: without count a bulk (or null); with it an array
 * (a null array for a missing key, an empty one for count 0). */
static void pop(kv_ctx *ctx, int argc, const kv_str *argv, int where)
{
    long long count = 1, i, n;
    kv_entry *e;
    kv_qliter it;
    kv_lpval v;
    if (argc > 3) {
        kv_reply_errorf(&ctx->out, "ERR wrong number of arguments for '%s' command",
                        where == KV_QL_HEAD ? "lpop" : "rpop");
        return;
    }
    if (argc == 3 && (!kv_arg_ll(&argv[2], &count) || count < 0)) {
        kv_reply_error(&ctx->out, "ERR value is out of range, must be positive");
        return;
    }
    if (kv_list_lookup(ctx, &argv[1], 1, &e) < 0)
        return;
    if (e == NULL) {
        if (argc == 3)
            kv_reply_null_array(&ctx->out);
        else
            kv_reply_null(&ctx->out);
        return;
    }
    n = (long long)kv_ql_count(ql_of(e));
    if (count > n)
        count = n;
    if (argc == 3)
        kv_reply_array(&ctx->out, count);
    kv_ql_iter_at(&it, ql_of(e), where == KV_QL_HEAD ? 0 : -1, where);
    for (i = 0; i < count && kv_ql_next(&it, &v); i++) {
        kv_list_reply_entry(ctx, &v);
        kv_ql_iter_delete(&it);
    }
    /* COUNT 0 pops nothing: Redis leaves watchers alone then, and the
     * list (not empty: it exists) stays. */
    if (count > 0) {
        kv_list_popped(ctx, &argv[1], e, where);
        kv_signal_modified(ctx, ctx->db, &argv[1]);
        kv_dirty(ctx, count);
    }
}

static void kv_cmd_lpop(kv_ctx *ctx, int argc, const kv_str *argv) { pop(ctx, argc, argv, KV_QL_HEAD); }
static void kv_cmd_rpop(kv_ctx *ctx, int argc, const kv_str *argv) { pop(ctx, argc, argv, KV_QL_TAIL); }

const kv_cmd kv_sub_lpop = {.name = "lpop", .arity = -2, .exec = kv_cmd_lpop};
const kv_cmd kv_sub_rpop = {.name = "rpop", .arity = -2, .exec = kv_cmd_rpop};

/* ------------------------------------------------------------ reading */

static void kv_cmd_llen(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *e;
    (void)argc;
    if (kv_list_lookup(ctx, &argv[1], 0, &e) == 0)
        kv_reply_int(&ctx->out, e ? (long long)kv_ql_count(ql_of(e)) : 0);
}

static void kv_cmd_lrange(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long start, end, len, i;
    kv_entry *e;
    kv_qliter it;
    kv_lpval v;
    (void)argc;
    if (kv_arg_ll_or_reply(ctx, &argv[2], &start) || kv_arg_ll_or_reply(ctx, &argv[3], &end))
        return;
    if (kv_list_lookup(ctx, &argv[1], 0, &e) < 0)
        return;
    if (e == NULL) {
        kv_reply_array(&ctx->out, 0);
        return;
    }
    len = (long long)kv_ql_count(ql_of(e));
    if (start < 0)
        start += len;
    if (end < 0)
        end += len;
    if (start < 0)
        start = 0;
    if (start > end || start >= len) {
        kv_reply_array(&ctx->out, 0);
        return;
    }
    if (end >= len)
        end = len - 1;
    kv_reply_array(&ctx->out, end - start + 1);
    kv_ql_iter_at(&it, ql_of(e), (long)start, KV_QL_HEAD);
    for (i = start; i <= end && kv_ql_next(&it, &v); i++)
        kv_list_reply_entry(ctx, &v);
}

static void kv_cmd_lindex(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long index;
    kv_entry *e;
    kv_lpval v;
    (void)argc;
    if (kv_list_lookup(ctx, &argv[1], 0, &e) < 0)
        return;
    if (e == NULL) {
        kv_reply_null(&ctx->out);
        return;
    }
    if (kv_arg_ll_or_reply(ctx, &argv[2], &index))
        return;
    if (kv_ql_index(ql_of(e), (long)index, &v))
        kv_list_reply_entry(ctx, &v);
    else
        kv_reply_null(&ctx->out);
}

/* ------------------------------------------------------------ editing */

static void kv_cmd_lset(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long index;
    kv_entry *e;
    kv_qliter it;
    kv_lpval v;
    (void)argc;
    if (kv_list_lookup(ctx, &argv[1], 1, &e) < 0)
        return;
    if (e == NULL) {
        kv_reply_error(&ctx->out, "ERR no such key");
        return;
    }
    if (kv_arg_ll_or_reply(ctx, &argv[2], &index))
        return;
    if (!kv_ql_iter_at(&it, ql_of(e), (long)index, KV_QL_HEAD) || !kv_ql_next(&it, &v)) {
        kv_reply_error(&ctx->out, "ERR index out of range");
        return;
    }
    kv_ql_iter_replace(&it, argv[3].p, argv[3].n);
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    kv_notify(ctx, KV_NOTIFY_LIST, "lset", ctx->db, &argv[1]);
    kv_dirty(ctx, 1);
    kv_reply_status(&ctx->out, "OK");
}

static void kv_cmd_linsert(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *e;
    kv_qliter it;
    kv_lpval v;
    int after;
    (void)argc;
    if (kv_arg_eq(&argv[2], "after"))
        after = 1;
    else if (kv_arg_eq(&argv[2], "before"))
        after = 0;
    else {
        kv_reply_syntax(ctx);
        return;
    }
    if (kv_list_lookup(ctx, &argv[1], 1, &e) < 0)
        return;
    if (e == NULL) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    kv_ql_iter_at(&it, ql_of(e), 0, KV_QL_HEAD);
    while (kv_ql_next(&it, &v)) {
        if (kv_lp_equal(it.node->lp + it.off, argv[3].p, argv[3].n)) {
            kv_ql_iter_insert(&it, kv_list_fill(kv_entry_val(e)), argv[4].p, argv[4].n, after);
            kv_signal_modified(ctx, ctx->db, &argv[1]);
            kv_notify(ctx, KV_NOTIFY_LIST, "linsert", ctx->db, &argv[1]);
            kv_dirty(ctx, 1);
            kv_reply_int(&ctx->out, (long long)kv_ql_count(ql_of(e)));
            return;
        }
    }
    kv_reply_int(&ctx->out, -1);
}

static void kv_cmd_lrem(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long count, removed = 0;
    unsigned long long limit;
    kv_entry *e;
    kv_qliter it;
    kv_lpval v;
    int dir;
    (void)argc;
    if (kv_arg_ll_or_reply(ctx, &argv[2], &count))
        return;
    if (kv_list_lookup(ctx, &argv[1], 1, &e) < 0)
        return;
    if (e == NULL) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    /* count < 0: from the tail; LLONG_MIN's magnitude still fits unsigned */
    dir = count < 0 ? KV_QL_TAIL : KV_QL_HEAD;
    limit = count < 0 ? 0ULL - (unsigned long long)count : (unsigned long long)count;
    kv_ql_iter_at(&it, ql_of(e), dir == KV_QL_HEAD ? 0 : -1, dir);
    while (kv_ql_next(&it, &v)) {
        if (!kv_lp_equal(it.node->lp + it.off, argv[3].p, argv[3].n))
            continue;
        kv_ql_iter_delete(&it);
        removed++;
        if (limit && (unsigned long long)removed == limit)
            break;
    }
    if (removed) {
        changed(ctx, &argv[1], e, "lrem");
        kv_signal_modified(ctx, ctx->db, &argv[1]);
        kv_dirty(ctx, removed);
    }
    kv_reply_int(&ctx->out, removed);
}

static void kv_cmd_ltrim(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long start, end, len, ltrim, rtrim;
    kv_entry *e;
    (void)argc;
    if (kv_arg_ll_or_reply(ctx, &argv[2], &start) || kv_arg_ll_or_reply(ctx, &argv[3], &end))
        return;
    if (kv_list_lookup(ctx, &argv[1], 1, &e) < 0)
        return;
    if (e != NULL) {
        len = (long long)kv_ql_count(ql_of(e));
        if (start < 0)
            start += len;
        if (end < 0)
            end += len;
        if (start < 0)
            start = 0;
        if (start > end || start >= len) {
            ltrim = len;
            rtrim = 0;
        } else {
            if (end >= len)
                end = len - 1;
            ltrim = start;
            rtrim = len - end - 1;
        }
        kv_ql_del_range(ql_of(e), 0, (size_t)ltrim);
        kv_ql_del_range(ql_of(e), (size_t)(len - ltrim - rtrim), (size_t)rtrim);
        /* Redis signals and notifies an existing list even when nothing
         * was trimmed; it counts the elements removed. */
        changed(ctx, &argv[1], e, "ltrim");
        kv_signal_modified(ctx, ctx->db, &argv[1]);
        kv_dirty(ctx, ltrim + rtrim);
    }
    kv_reply_status(&ctx->out, "OK");
}

/* ------------------------------------------------------------ LPOS */

/* A non-negative number, or reply err (Redis's getPositiveLong...). */
static int arg_nonneg(kv_ctx *ctx, const kv_str *a, long long *v, const char *err)
{
    if (kv_arg_ll(a, v) && *v >= 0)
        return 0;
    kv_reply_error(&ctx->out, err);
    return -1;
}

static void kv_cmd_lpos(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long rank = 1, count = -1, maxlen = 0, index = 0, matches = 0, found = 0, len, i;
    long long cap = 16, *pos = NULL;
    kv_entry *e;
    kv_qliter it;
    kv_lpval v;
    int j, dir = KV_QL_HEAD;
    for (j = 3; j < argc; j++) {
        int more = j + 1 < argc;
        if (kv_arg_eq(&argv[j], "rank") && more) {
            if (kv_arg_ll_or_reply(ctx, &argv[++j], &rank))
                return;
            if (rank == 0) {
                kv_reply_error(&ctx->out, "ERR RANK can't be zero: use 1 to start from the "
                               "first match, 2 from the second ... or use negative to start "
                               "from the end of the list");
                return;
            }
        } else if (kv_arg_eq(&argv[j], "count") && more) {
            if (arg_nonneg(ctx, &argv[++j], &count, "ERR COUNT can't be negative"))
                return;
        } else if (kv_arg_eq(&argv[j], "maxlen") && more) {
            if (arg_nonneg(ctx, &argv[++j], &maxlen, "ERR MAXLEN can't be negative"))
                return;
        } else {
            kv_reply_syntax(ctx);
            return;
        }
    }
    /* Redis negates a negative rank in two's complement: RANK LLONG_MIN
     * stays negative, so every match qualifies (and COUNT's stop test,
     * computed with wrap-around, never fires). Reproduced exactly. */
    if (rank < 0) {
        rank = (long long)(0ULL - (unsigned long long)rank);
        dir = KV_QL_TAIL;
    }
    if (kv_list_lookup(ctx, &argv[1], 0, &e) < 0)
        return;
    if (e == NULL) {
        if (count != -1)
            kv_reply_array(&ctx->out, 0);
        else
            kv_reply_null(&ctx->out);
        return;
    }
    len = (long long)kv_ql_count(ql_of(e));
    kv_ql_iter_at(&it, ql_of(e), dir == KV_QL_HEAD ? 0 : -1, dir);
    /* With COUNT the matches are collected first: the array length goes first. */
    if (count != -1 && (pos = malloc((size_t)cap * sizeof *pos)) == NULL)
        abort();
    while ((maxlen == 0 || index < maxlen) && kv_ql_next(&it, &v)) {
        if (kv_lp_equal(it.node->lp + it.off, argv[2].p, argv[2].n) && ++matches >= rank) {
            long long at = dir == KV_QL_HEAD ? index : len - index - 1;
            if (count == -1) {
                kv_reply_int(&ctx->out, at);
                return;
            }
            if (found == cap && (pos = realloc(pos, (size_t)(cap *= 2) * sizeof *pos)) == NULL)
                abort();
            pos[found++] = at;
            if (count && (long long)((unsigned long long)matches - (unsigned long long)rank +
                                     1ULL) >= count)
                break;
        }
        index++;
    }
    if (count == -1) {
        kv_reply_null(&ctx->out);
        return;
    }
    kv_reply_array(&ctx->out, found);
    for (i = 0; i < found; i++)
        kv_reply_int(&ctx->out, pos[i]);
    free(pos);
}

const kv_cmdspec kv_cmds_list[] = {
    {.name = "lindex", .route = KV_ROUTE_KEY, .exec = kv_cmd_lindex},
    {.name = "linsert", .route = KV_ROUTE_KEY, .exec = kv_cmd_linsert},
    {.name = "llen", .route = KV_ROUTE_KEY, .exec = kv_cmd_llen},
    {.name = "lpop", .route = KV_ROUTE_KEY, .exec = kv_cmd_lpop},
    {.name = "lpos", .route = KV_ROUTE_KEY, .exec = kv_cmd_lpos},
    {.name = "lpush", .route = KV_ROUTE_KEY, .exec = kv_cmd_lpush},
    {.name = "lpushx", .route = KV_ROUTE_KEY, .exec = kv_cmd_lpushx},
    {.name = "lrange", .route = KV_ROUTE_KEY, .exec = kv_cmd_lrange},
    {.name = "lrem", .route = KV_ROUTE_KEY, .exec = kv_cmd_lrem},
    {.name = "lset", .route = KV_ROUTE_KEY, .exec = kv_cmd_lset},
    {.name = "ltrim", .route = KV_ROUTE_KEY, .exec = kv_cmd_ltrim},
    {.name = "rpop", .route = KV_ROUTE_KEY, .exec = kv_cmd_rpop},
    {.name = "rpush", .route = KV_ROUTE_KEY, .exec = kv_cmd_rpush},
    {.name = "rpushx", .route = KV_ROUTE_KEY, .exec = kv_cmd_rpushx},
    KV_SPEC_END
};
