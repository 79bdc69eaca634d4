/* XREAD BLOCK and XREADGROUP BLOCK as kv_blockers for the blocking engine
 * (block/block.h). A stream waiter is ready by its own measure (the ready
 * hook): XREAD when the stream has an entry past the ID it waits for ($
 * fixed to the stream's last ID when it blocks: the fix hook), XREADGROUP
 * ">" when the group has entries past its last delivered ID, or when the
 * key or group went away (Redis 7.0.15's UNBLOCKED and NOGROUP errors).
 * Served as it runs: the command without BLOCK; woken: that key alone. */
#include "cmd/stream/stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/block/block.h"
#include "store/t_stream_cg.h"

/* The engine's parse: Redis's option errors in Redis's order (ctx NULL:
 * silent), the keys, BLOCK's milliseconds (0: forever). */
static int xb_parse(kv_ctx *ctx, int argc, const kv_str *argv, kv_blockargs *a, int kind)
{
    kv_xread_args x;
    int i;
    a->dst = 0;
    a->nkeys = 0;
    a->timeout_ms = 0;
    if (kv_stream_xread_parse(ctx, argc, argv, kind, &x) != 0)
        return -1;
    a->timeout_ms = x.timeout_ms;
    a->nkeys = x.nkeys;
    for (i = 0; i < a->nkeys; i++)
        a->keyidx[i] = x.streams + i;
    return 0;
}

static int parse_xread(kv_ctx *ctx, int argc, const kv_str *argv, kv_blockargs *a)
{
    return xb_parse(ctx, argc, argv, a, KV_XREAD_PLAIN);
}

static int parse_xreadgroup(kv_ctx *ctx, int argc, const kv_str *argv, kv_blockargs *a)
{
    return xb_parse(ctx, argc, argv, a, KV_XREAD_GROUP);
}

/* Where things are in arguments the command has already checked (the
 * blocked copy, a serve request): a silent parse, NULL if they are not
 * whole (the command then runs and replies its error). */
static const kv_xread_args *xb_layout(int argc, const kv_str *argv, kv_xread_args *l)
{
    return kv_stream_xread_parse(NULL, argc, argv, KV_XREAD_ANY, l) == 0 ? l : NULL;
}

/* The highest entry the stream holds; 0 if it is empty. */
static int top_id(const kv_stream *s, kv_sid *top)
{
    return s->length && kv_stream_edge(s, 0, 0, top);
}

/* ------------------------------------------------------------- XREAD */

static int waitarg_xread(int argc, const kv_str *argv, int keyi)
{
    kv_xread_args l;
    return xb_layout(argc, argv, &l) && keyi + l.nkeys < argc ? keyi + l.nkeys : 0;
}

/* As it runs: ready when the command answers now (entries past the ID,
 * or an error such as WRONGTYPE or a bad ID, which the full command
 * reports in Redis's order). Woken: entries past the fixed ID; a key
 * deleted or of another type leaves the client waiting, as in Redis. */
static int ready_xread(const kv_obj *o, int argc, const kv_str *argv, int keyi, int later)
{
    int w = waitarg_xread(argc, argv, keyi);
    const kv_str *ida;
    kv_sid id, top;
    if (w <= 0)
        return later ? 0 : 1;
    ida = &argv[w];
    if (o && kv_obj_type(o) != KV_TYPE_STREAM)
        return later ? 0 : 1;
    if (ida->n == 1 && ida->p[0] == '$')
        return 0;
    if (kv_stream_parse_id(NULL, ida, &id, 0, 1, NULL) != 0)
        return later ? 0 : 1; /* ">" or malformed: the command's error */
    if (!o || !top_id(kv_stream_of(o), &top))
        return 0;
    return kv_sid_cmp(&top, &id) > 0;
}

/* $ waits for what comes after the stream's last ID now (0-0 if none). */
static void fix_xread(const kv_obj *o, const kv_str *arg, char *buf, kv_str *out)
{
    kv_sid id = {0, 0};
    if (arg->n != 1 || arg->p[0] != '$')
        return;
    if (o && kv_obj_type(o) == KV_TYPE_STREAM)
        id = kv_stream_of(o)->last_id;
    out->p = buf;
    out->n = (size_t)snprintf(buf, 48, "%llu-%llu", (unsigned long long)id.ms,
                              (unsigned long long)id.seq);
}

static const kv_cmd kv_sub_xread_now = {.name = "xread", .arity = -4, .route = KV_ROUTE_COORD,
                                        .exec = kv_stream_xread_cmd,
                                        .coord = kv_stream_xread_coord,
                                        .getkeys = kv_stream_xread_getkeys};
static const kv_cmd kv_sub_xread_later = {.name = "xread", .arity = -4, .route = KV_ROUTE_KEY,
                                          .exec = kv_stream_xread_cmd,
                                          .getkeys = kv_stream_xread_getkeys};

/* The command without "BLOCK ms" (as it runs: every key, in Redis's
 * order), or woken "XREAD [COUNT n] STREAMS key id" for that key alone. */
static int serve_common(int argc, const kv_str *argv, int keyi, int later, kv_str *sub)
{
    kv_xread_args l;
    int n = 0, i;
    if (!xb_layout(argc, argv, &l))
        later = 0; /* not whole: the command as it is, which replies its error */
    if (!later) {
        for (i = 0; i < argc; i++)
            if (!l.block || (i != l.block && i != l.block - 1))
                sub[n++] = argv[i];
        return n;
    }
    sub[n++] = argv[0];
    if (l.group) {
        sub[n++] = argv[l.group - 1];
        sub[n++] = argv[l.group];
        sub[n++] = argv[l.group + 1];
    }
    if (l.count_arg) {
        sub[n++] = argv[l.count_arg - 1];
        sub[n++] = argv[l.count_arg];
    }
    if (l.noack)
        sub[n++] = argv[l.noack];
    sub[n++] = argv[l.streams - 1];
    sub[n++] = argv[keyi];
    sub[n++] = argv[keyi + l.nkeys];
    return n;
}

static int serve_xread(int argc, const kv_str *argv, int keyi, int later, kv_str *sub,
                       char *scratch, const kv_cmd **cmd)
{
    (void)scratch;
    *cmd = later ? &kv_sub_xread_later : &kv_sub_xread_now;
    return serve_common(argc, argv, keyi, later, sub);
}

/* XREAD takes nothing: a client gone before its reply loses nothing. */
static int undo_none(int argc, const kv_str *argv, int keyi, kv_str r, int proto, kv_str *sub,
                     char *scratch, const kv_cmd **cmd)
{
    (void)argc, (void)argv, (void)keyi, (void)r, (void)proto, (void)sub, (void)scratch;
    (void)cmd;
    return 0;
}

const kv_blocker kv_xread_blocker = {KV_TYPE_STREAM,      parse_xread,         serve_xread,
                                     undo_none,           kv_block_none_array, kv_block_none_array,
                                     ready_xread,         waitarg_xread,       fix_xread};

/* --------------------------------------------------------- XREADGROUP */

/* As it runs: ready unless every check passes and the group has nothing
 * new for ">" (the command then answers: NOGROUP, WRONGTYPE, history...).
 * Woken: new entries for the group, or the key or group gone (answered
 * with Redis's errors by xreadgroup-serve). */
static int ready_xreadgroup(const kv_obj *o, int argc, const kv_str *argv, int keyi, int later)
{
    kv_xread_args l;
    const kv_str *ida;
    const kv_scg *cg;
    kv_sid top;
    (void)later; /* the same measure either way: the serve picks the answer */
    if (!xb_layout(argc, argv, &l) || !l.group || keyi + l.nkeys >= argc)
        return 1;
    ida = &argv[keyi + l.nkeys];
    if (!o || kv_obj_type(o) != KV_TYPE_STREAM)
        return 1;
    cg = kv_stream_cg_find(kv_stream_of(o), argv[l.group].p, argv[l.group].n);
    if (!cg || !(ida->n == 1 && ida->p[0] == '>'))
        return 1;
    if (!top_id(kv_stream_of(o), &top))
        return 0;
    return kv_sid_cmp(&top, &cg->last_id) > 0;
}

/* xreadgroup-serve (XREADGROUP's arguments without BLOCK, one key): a
 * woken client; the key or the group gone is Redis 7.0.15's error for a
 * client blocked on them, else the non-blocking command serves it. */
static void kv_exec_xrg_serve(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_xread_args l;
    kv_entry *e;
    const kv_obj *o;
    if (!xb_layout(argc, argv, &l) || !l.group) {
        kv_stream_xreadgroup_cmd(ctx, argc, argv); /* its error */
        return;
    }
    e = kv_lookup_write(ctx, &argv[l.streams]);
    o = e ? kv_entry_val(e) : NULL;
    if (!o || kv_obj_type(o) != KV_TYPE_STREAM) {
        kv_reply_error(&ctx->out, "UNBLOCKED the stream key no longer exists");
        return;
    }
    if (!kv_stream_cg_find(kv_stream_of(o), argv[l.group].p, argv[l.group].n)) {
        kv_reply_error(&ctx->out,
                       "NOGROUP the consumer group this client was blocked on no longer exists");
        return;
    }
    kv_stream_xreadgroup_cmd(ctx, argc, argv);
}

static const kv_cmd kv_sub_xrg_now = {.name = "xreadgroup", .arity = -7, .flags = KV_CMD_WRITE,
                                      .route = KV_ROUTE_COORD,
                                      .exec = kv_stream_xreadgroup_cmd,
                                      .coord = kv_stream_xreadgroup_coord,
                                      .getkeys = kv_stream_xread_getkeys};
static const kv_cmd kv_sub_xrg_later = {.name = "xreadgroup-serve", .arity = -7,
                                        .flags = KV_CMD_WRITE, .route = KV_ROUTE_KEY,
                                        .exec = kv_exec_xrg_serve,
                                        .getkeys = kv_stream_xread_getkeys};

static int serve_xreadgroup(int argc, const kv_str *argv, int keyi, int later, kv_str *sub,
                            char *scratch, const kv_cmd **cmd)
{
    (void)scratch;
    *cmd = later ? &kv_sub_xrg_later : &kv_sub_xrg_now;
    return serve_common(argc, argv, keyi, later, sub);
}

/* Delivered entries stay in the consumer's PEL when the client went away
 * before its reply left, as in Redis (the group delivered them): undo_none. */
const kv_blocker kv_xreadgroup_blocker = {
    KV_TYPE_STREAM,      parse_xreadgroup, serve_xreadgroup, undo_none,
    kv_block_none_array, kv_block_none_array, ready_xreadgroup, NULL,
    NULL};
