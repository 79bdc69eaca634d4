/* The blocking list commands: BLPOP BRPOP BRPOPLPUSH BLMOVE BLMPOP. Each is
 * a kv_blocker for the engine (block/block.h): its syntax and timeout, the
 * non-blocking request that serves it from one key, and the request that
 * puts the element back if its client went away before the reply. */
#include "cmd/block/block.h"
#include "cmd/list/list.h"
#include "cmd/multi/watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------- the serve requests */

/* blpop-serve key left|right: pop one element, reply [key, element], or a
 * null array if the key is gone. */
static void kv_exec_bpop(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int where = argv[2].p[0] == 'l' ? KV_QL_HEAD : KV_QL_TAIL;
    kv_entry *e;
    kv_qliter it;
    kv_lpval v;
    (void)argc;
    if (kv_list_lookup(ctx, &argv[1], 1, &e) < 0)
        return;
    if (!e) {
        kv_reply_null_array(&ctx->out);
        return;
    }
    kv_reply_array(&ctx->out, 2);
    kv_reply_bulk(&ctx->out, argv[1].p, argv[1].n);
    kv_ql_iter_at(&it, kv_list_ql(kv_entry_val(e)), where == KV_QL_HEAD ? 0 : -1, where);
    kv_ql_next(&it, &v);
    kv_list_reply_entry(ctx, &v);
    kv_ql_iter_delete(&it);
    kv_list_popped(ctx, &argv[1], e, where);
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    kv_dirty(ctx, 1);
    {
        /* LPOP key or RPOP key, as Redis 7.0 logs a BLPOP or BRPOP it served. */
        kv_str a[2];
        a[0].p = where == KV_QL_HEAD ? "LPOP" : "RPOP";
        a[0].n = 4;
        a[1] = argv[1];
        kv_propagate(ctx, 2, a);
    }
}

static const kv_cmd kv_sub_bpop = {.name = "blpop-serve", .arity = 3, .first_key = 1,
                                   .last_key = 1, .key_step = 1, .route = KV_ROUTE_KEY,
                                   .exec = kv_exec_bpop};

/* blpop-undo key left|right element...: push them back, in the order
 * given, at that end (creating the key): what a pop took, as it was. */
static void kv_exec_bundo(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int where = argv[2].p[0] == 'l' ? KV_QL_HEAD : KV_QL_TAIL, j;
    kv_entry *e;
    if (kv_list_lookup(ctx, &argv[1], 1, &e) < 0)
        return;
    /* One push of them all, reported once as LPUSH/RPUSH of many is: the
     * keyspace's watchers saw them popped. */
    kv_list_push_key(ctx, &argv[1], e, argv[3].p, argv[3].n, where);
    e = kv_lookup_write(ctx, &argv[1]);
    for (j = 4; j < argc; j++)
        kv_list_push(kv_entry_val(e), argv[j].p, argv[j].n, where);
    kv_dirty(ctx, argc - 3);
    if (kv_state(ctx)->aof) {
        /* LPUSH|RPUSH key element...: the same pushes, in the same order. */
        kv_str *a = malloc((size_t)(argc - 1) * sizeof *a);
        if (!a)
            abort();
        a[0].p = where == KV_QL_HEAD ? "LPUSH" : "RPUSH";
        a[0].n = 5;
        a[1] = argv[1];
        for (j = 3; j < argc; j++)
            a[j - 1] = argv[j];
        kv_propagate(ctx, argc - 1, a);
        free(a);
    }
    kv_reply_int(&ctx->out, argc - 3);
}

static const kv_cmd kv_sub_bundo = {.name = "blpop-undo", .arity = -4, .first_key = 1,
                                    .last_key = 1, .key_step = 1, .route = KV_ROUTE_KEY,
                                    .exec = kv_exec_bundo};

/* --------------------------------------------------------- arguments */


static kv_str side(int where)
{
    kv_str s;
    s.p = where == KV_QL_HEAD ? "left" : "right";
    s.n = where == KV_QL_HEAD ? 4 : 5;
    return s;
}

static int serve_pop(const kv_str *argv, int keyi, int where, kv_str *sub, const kv_cmd **cmd)
{
    sub[0].p = "blpop-serve";
    sub[0].n = 11;
    sub[1] = argv[keyi];
    sub[2] = side(where);
    *cmd = &kv_sub_bpop;
    return 3;
}

static int serve_blpop(int argc, const kv_str *argv, int keyi, int later, kv_str *sub,
                       char *scratch, const kv_cmd **cmd)
{
    (void)argc;
    (void)later;
    (void)scratch;
    return serve_pop(argv, keyi, KV_QL_HEAD, sub, cmd);
}

static int serve_brpop(int argc, const kv_str *argv, int keyi, int later, kv_str *sub,
                       char *scratch, const kv_cmd **cmd)
{
    (void)argc;
    (void)later;
    (void)scratch;
    return serve_pop(argv, keyi, KV_QL_TAIL, sub, cmd);
}

/* Undo a pop at `where` whose elements are r's: push them back, last popped
 * first. Element bytes point into r. */
static int undo_pop(const kv_str *key, int where, kv_str *elems, int n, kv_str *sub,
                    const kv_cmd **cmd)
{
    int i;
    if (n <= 0)
        return 0;
    sub[0].p = "blpop-undo";
    sub[0].n = 10;
    sub[1] = *key;
    sub[2] = side(where);
    for (i = 0; i < n; i++)
        sub[3 + i] = elems[n - 1 - i];
    *cmd = &kv_sub_bundo;
    return 3 + n;
}

/* [key, element] */
static int undo_bpop(const kv_str *argv, int keyi, int where, kv_str r, kv_str *sub,
                     const kv_cmd **cmd)
{
    const char *p = r.p, *end = r.p + r.n;
    kv_str key, el;
    long long n;
    if (kv_rd_header(&p, end, '*', &n) != 0 || n != 2 || kv_rd_bulk_at(&p, end, &key) != 0 ||
        kv_rd_bulk_at(&p, end, &el) != 0)
        return 0;
    return undo_pop(&argv[keyi], where, &el, 1, sub, cmd);
}

static int undo_blpop(int argc, const kv_str *argv, int keyi, kv_str r, int proto, kv_str *sub,
                      char *scratch, const kv_cmd **cmd)
{
    (void)argc;
    (void)proto;
    (void)scratch;
    return undo_bpop(argv, keyi, KV_QL_HEAD, r, sub, cmd);
}

static int undo_brpop(int argc, const kv_str *argv, int keyi, kv_str r, int proto, kv_str *sub,
                      char *scratch, const kv_cmd **cmd)
{
    (void)argc;
    (void)proto;
    (void)scratch;
    return undo_bpop(argv, keyi, KV_QL_TAIL, r, sub, cmd);
}

static const kv_blocker blpop = {KV_TYPE_LIST, kv_block_parse_keys, serve_blpop, undo_blpop,
                                 kv_block_none_array, kv_block_none_array, NULL, NULL, NULL};
static const kv_blocker brpop = {KV_TYPE_LIST, kv_block_parse_keys, serve_brpop, undo_brpop,
                                 kv_block_none_array, kv_block_none_array, NULL, NULL, NULL};

/* ------------------------------------------------- BLMOVE, BRPOPLPUSH */

/* BLMOVE src dst LEFT|RIGHT LEFT|RIGHT timeout, BRPOPLPUSH src dst timeout */
static int move_sides(int argc, const kv_str *argv, int *from, int *to)
{
    if (argc == 4) {
        *from = KV_QL_TAIL;
        *to = KV_QL_HEAD;
        return 0;
    }
    *from = kv_list_arg_where(&argv[3]);
    *to = kv_list_arg_where(&argv[4]);
    return *from < 0 || *to < 0 ? -1 : 0;
}

static int parse_bmove(kv_ctx *ctx, int argc, const kv_str *argv, kv_blockargs *a)
{
    int from, to;
    a->nkeys = 1;
    a->keyidx[0] = 1;
    a->dst = 2;
    if (move_sides(argc, argv, &from, &to) < 0) {
        if (ctx)
            kv_reply_syntax(ctx);
        return -1;
    }
    return kv_block_timeout_arg(ctx, &argv[argc - 1], 1, &a->timeout_ms);
}

/* LMOVE a b ea eb, the sub-command both directions use. */
static int lmove_sub(kv_str *sub, const kv_str *a, const kv_str *b, int ea, int eb,
                     const kv_cmd **cmd)
{
    sub[0].p = "lmove";
    sub[0].n = 5;
    sub[1] = *a;
    sub[2] = *b;
    sub[3] = side(ea);
    sub[4] = side(eb);
    *cmd = &kv_sub_lmove;
    return 5;
}

/* Served by LMOVE itself (nested when the keys span shards), or by
 * RPOPLPUSH for BRPOPLPUSH: each is logged as the command Redis 7.0 logs
 * (move.c), LMOVE with the client's words for the sides when it ran at
 * once, with "left"/"right" for a blocked client served. */
static int serve_bmove(int argc, const kv_str *argv, int keyi, int later, kv_str *sub,
                       char *scratch, const kv_cmd **cmd)
{
    int from, to, n;
    (void)keyi;
    (void)scratch;
    if (argc == 4) {
        sub[0].p = "rpoplpush";
        sub[0].n = 9;
        sub[1] = argv[1];
        sub[2] = argv[2];
        *cmd = &kv_sub_rpoplpush;
        return 3;
    }
    move_sides(argc, argv, &from, &to);
    n = lmove_sub(sub, &argv[1], &argv[2], from, to, cmd);
    if (!later) {
        sub[3] = argv[3];
        sub[4] = argv[4];
    }
    return n;
}

/* The element went to dst's `to` end: move it back to src's `from` end. */
static int undo_bmove(int argc, const kv_str *argv, int keyi, kv_str r, int proto, kv_str *sub,
                      char *scratch, const kv_cmd **cmd)
{
    int from, to;
    (void)keyi;
    (void)r;
    (void)proto;
    (void)scratch;
    move_sides(argc, argv, &from, &to);
    return lmove_sub(sub, &argv[2], &argv[1], to, from, cmd);
}

static const kv_blocker blmove = {KV_TYPE_LIST, parse_bmove, serve_bmove, undo_bmove,
                                  kv_block_none_bulk, kv_block_none_array, NULL, NULL, NULL};

/* ------------------------------------------------------------ BLMPOP */

static int side_ok(const kv_str *side)
{
    return kv_list_arg_where(side) >= 0;
}

static int parse_blmpop(kv_ctx *ctx, int argc, const kv_str *argv, kv_blockargs *a)
{
    return kv_block_parse_mpop(ctx, argc, argv, a, side_ok);
}

/* Served by LMPOP 1 key LEFT|RIGHT [COUNT n]: its reply is BLMPOP's. */
static int serve_blmpop(int argc, const kv_str *argv, int keyi, int later, kv_str *sub,
                        char *scratch, const kv_cmd **cmd)
{
    (void)later;
    (void)scratch;
    *cmd = &kv_sub_lmpop;
    return kv_block_serve_mpop("lmpop", argc, argv, keyi, sub);
}

/* [key, [element...]]: push them back at the end they came from. */
static int undo_blmpop(int argc, const kv_str *argv, int keyi, kv_str r, int proto, kv_str *sub,
                       char *scratch, const kv_cmd **cmd)
{
    const char *p = r.p, *end = r.p + r.n;
    long long numkeys = 0, n, i;
    kv_str key, *el;
    int where, k;
    (void)argc;
    (void)proto;
    (void)scratch;
    kv_arg_ll(&argv[2], &numkeys);
    where = kv_list_arg_where(&argv[3 + (int)numkeys]);
    if (kv_rd_header(&p, end, '*', &n) != 0 || n != 2 || kv_rd_bulk_at(&p, end, &key) != 0 ||
        kv_rd_header(&p, end, '*', &n) != 0 || n <= 0)
        return 0;
    el = sub + 3 + n; /* scratch room past what the request uses */
    for (i = 0; i < n; i++)
        if (kv_rd_bulk_at(&p, end, &el[i]) != 0)
            return 0;
    k = undo_pop(&argv[keyi], where, el, (int)n, sub, cmd);
    return k;
}

static const kv_blocker blmpop = {KV_TYPE_LIST, parse_blmpop, serve_blmpop, undo_blmpop,
                                  kv_block_none_array, kv_block_none_array, NULL, NULL, NULL};

/* ------------------------------------------------------------ commands */

const kv_cmdspec kv_cmds_list_blocking[] = {
    KV_BLOCKING("blpop", blpop),
    KV_BLOCKING("brpop", brpop),
    KV_BLOCKING("blmove", blmove),
    KV_BLOCKING("brpoplpush", blmove),
    KV_BLOCKING("blmpop", blmpop),
    KV_SPEC_END
};
