/* The arguments of XREAD and XREADGROUP, read once for all their users:
 * the commands, their blockers (xblock.c), their key positions and their
 * routing. Without BLOCK a read never waits, so it routes by its keys like
 * any multi-key command (all on one shard: forwarded there whole); with
 * BLOCK it runs at its client's home under its keys' locks, as the
 * blocking engine needs (docs/architecture.md section 20). */
#include "cmd/stream/stream.h"

#include <string.h>

#include "cmd/block/block.h"

int kv_stream_xread_parse(kv_ctx *ctx, int argc, const kv_str *argv, int kind,
                          kv_xread_args *a)
{
    const char *err = NULL;
    int i;
    memset(a, 0, sizeof *a);
    /* Redis 7.0.15's xreadCommand: options in any order up to STREAMS,
     * each checked as it is read, so the first bad one is the error. */
    for (i = 1; i < argc && !err && !a->streams; i++) {
        int more = argc - i - 1;
        if (kv_arg_eq(&argv[i], "block") && more) {
            a->block = ++i;
            if (kv_block_timeout_arg(ctx, &argv[i], 0, &a->timeout_ms) != 0)
                return -1;
        } else if (kv_arg_eq(&argv[i], "count") && more) {
            if (!kv_arg_ll(&argv[++i], &a->count))
                err = "ERR value is not an integer or out of range";
            else if (a->count < 0)
                a->count = 0;
            a->count_arg = i;
        } else if (kv_arg_eq(&argv[i], "streams") && more) {
            a->streams = i + 1;
            if ((argc - a->streams) % 2 != 0)
                err = "ERR Unbalanced XREAD list of streams: for each stream key an ID or "
                      "'$' must be specified.";
            a->nkeys = (argc - a->streams) / 2;
        } else if (kv_arg_eq(&argv[i], "group") && more >= 2) {
            if (kind == KV_XREAD_PLAIN)
                err = "ERR The GROUP option is only supported by XREADGROUP. You called "
                      "XREAD instead.";
            a->group = i + 1;
            i += 2;
        } else if (kv_arg_eq(&argv[i], "noack")) {
            if (kind == KV_XREAD_PLAIN)
                err = "ERR The NOACK option is only supported by XREADGROUP. You called "
                      "XREAD instead.";
            a->noack = i;
        } else {
            err = "ERR syntax error";
        }
    }
    if (!err && !a->streams)
        err = "ERR syntax error";
    if (!err && kind == KV_XREAD_GROUP && !a->group)
        err = "ERR Missing GROUP option for XREADGROUP";
    if (err) {
        if (ctx)
            kv_reply_error(&ctx->out, err);
        return -1;
    }
    return 0;
}

int kv_stream_has_block(int argc, const kv_str *argv)
{
    kv_xread_args a;
    /* BLOCK is noted as it is read: a later bad option is the blocking
     * form's error (either form replies the same). */
    kv_stream_xread_parse(NULL, argc, argv, KV_XREAD_ANY, &a);
    return a.block != 0;
}

/* The keys: the first half of what follows STREAMS. */
int kv_stream_xread_getkeys(int argc, const kv_str *argv, int *pos, int max)
{
    int i, j, first = 0, n;
    for (i = 1; i < argc; i++)
        if (kv_arg_eq(&argv[i], "streams")) {
            first = i + 1;
            break;
        }
    if (!first || (argc - first) % 2 != 0 || argc == first)
        return -1;
    n = (argc - first) / 2;
    for (j = 0; j < n && j < max; j++)
        pos[j] = first + j;
    return n;
}

/* With BLOCK the blocking engine's lock set (it runs at its client's
 * home); without, none: routed by its keys, so a read whose keys are all
 * on one other shard is forwarded there, one message, no locks. */
int kv_stream_xread_lockkeys(kv_ctx *ctx, int argc, const kv_str *argv, kv_str *keys, int max,
                             int *whole)
{
    if (!kv_stream_has_block(argc, argv))
        return -1;
    return kv_block_lockkeys(ctx, argc, argv, keys, max, whole);
}
