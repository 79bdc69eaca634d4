/* WAIT, as a server without replicas answers it, and CLIENT UNBLOCK: the
 * two commands about blocked clients that are not pops. WAIT is a block
 * on no key: it answers 0 at once when it asks for no replica or runs
 * inside MULTI, else when its timeout ends (or CLIENT UNBLOCK ends it). */
#include "cmd/block/block.h"

#include <stdlib.h>

static int parse_wait(kv_ctx *ctx, int argc, const kv_str *argv, kv_blockargs *a)
{
    (void)argc;
    a->nkeys = 0;
    a->dst = 0;
    if (!kv_arg_ll(&argv[1], &a->timeout_ms)) { /* numreplicas, checked first */
        if (ctx)
            kv_reply_error(&ctx->out, "ERR value is not an integer or out of range");
        return -1;
    }
    return kv_block_timeout_arg(ctx, &argv[2], 0, &a->timeout_ms);
}

/* No replica ever acknowledges: the count is 0. */
static void none_wait(kv_reply *out)
{
    kv_reply_int(out, 0);
}

static const kv_blocker wait_blocker = {0, parse_wait, NULL, NULL, none_wait, none_wait, NULL, NULL, NULL};

static void kv_cmd_wait(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long numreplicas = 0;
    kv_blockargs a;
    kv_ticket t;
    int home = kv_shard_id(ctx->shard);
    a.keyidx = NULL;
    if (parse_wait(ctx, argc, argv, &a) != 0)
        return;
    kv_arg_ll(&argv[1], &numreplicas);
    if (numreplicas <= 0 || kv_ctx_suspend(ctx, &t) != 0) {
        none_wait(&ctx->out);
        return;
    }
    kv_block_begin(ctx, ctx->conn, &t, &wait_blocker, argc, argv, &a, &home, 0);
}

/* CLIENT UNBLOCK id [TIMEOUT|ERROR]: the reason is checked before the id,
 * as in Redis; each shard looks for the client among its own. */
static int unblock_args(kv_ctx *ctx, int argc, const kv_str *argv, long long *id, int *error)
{
    *error = 0;
    if (argc > 4)
        return kv_reply_sub_arity(ctx, "CLIENT", &argv[1]);
    if (argc == 4) {
        if (kv_arg_eq(&argv[3], "error")) {
            *error = 1;
        } else if (!kv_arg_eq(&argv[3], "timeout")) {
            kv_reply_error(&ctx->out, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return -1;
        }
    }
    if (!kv_arg_ll(&argv[2], id)) {
        kv_reply_error(&ctx->out, "ERR value is not an integer or out of range");
        return -1;
    }
    return 0;
}

int kv_check_client_unblock(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long id;
    int error;
    return unblock_args(ctx, argc, argv, &id, &error);
}

void kv_cmd_client_unblock(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long id;
    int error;
    if (unblock_args(ctx, argc, argv, &id, &error) != 0)
        return;
    kv_reply_int(&ctx->out, id > 0 && kv_block_unblock(ctx->shard, kv_state(ctx),
                                                       (unsigned long long)id, error));
}

const kv_cmdspec kv_cmds_block_wait[] = {
    {.name = "wait", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_wait},
    KV_SPEC_END
};
