/* Generic key commands: DEL, EXISTS, EXPIRE/PEXPIRE (NX XX GT LT), TTL/PTTL.
 * Multi-key forms run per shard on that shard's keys and are summed by the
 * runtime (kv_reduce_sum), so each function only ever sees local keys. */
#include "cmd/cmd.h"

#include <limits.h>

#define EXP_NX 1
#define EXP_XX 2
#define EXP_GT 4
#define EXP_LT 8

static void kv_cmd_del(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long deleted = 0;
    int j;
    for (j = 1; j < argc; j++) {
        kv_entry *e = kv_lookup_write(ctx, &argv[j]); /* expires it lazily first */
        if (e) {
            kv_db_delete_entry(kv_ctx_db(ctx), e);
            deleted++;
        }
    }
    kv_reply_int(&ctx->out, deleted);
}

static void kv_cmd_exists(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long count = 0;
    int j;
    for (j = 1; j < argc; j++)
        if (kv_lookup_read(ctx, &argv[j]))
            count++;
    kv_reply_int(&ctx->out, count);
}

/* The option words after EXPIRE key time; 0, or -1 after replying. */
static int kv_expire_options(kv_ctx *ctx, int argc, const kv_str *argv, int *flags)
{
    int j;
    for (j = 3; j < argc; j++) {
        if (kv_arg_eq(&argv[j], "nx"))
            *flags |= EXP_NX;
        else if (kv_arg_eq(&argv[j], "xx"))
            *flags |= EXP_XX;
        else if (kv_arg_eq(&argv[j], "gt"))
            *flags |= EXP_GT;
        else if (kv_arg_eq(&argv[j], "lt"))
            *flags |= EXP_LT;
        else {
            kv_reply_errorf(&ctx->out, "ERR Unsupported option %.*s",
                            (int)kv_arg_cstrlen(&argv[j]), argv[j].p);
            return -1;
        }
    }
    if ((*flags & EXP_NX) && (*flags & (EXP_XX | EXP_GT | EXP_LT))) {
        kv_reply_error(&ctx->out,
                       "ERR NX and XX, GT or LT options at the same time are not compatible");
        return -1;
    }
    if ((*flags & EXP_GT) && (*flags & EXP_LT)) {
        kv_reply_error(&ctx->out, "ERR GT and LT options at the same time are not compatible");
        return -1;
    }
    return 0;
}

static void kv_expire_generic(kv_ctx *ctx, int argc, const kv_str *argv, long long base,
                              int seconds)
{
    int flags = 0;
    long long when, cur;
    kv_entry *e;
    kv_db *db;

    if (kv_expire_options(ctx, argc, argv, &flags) != 0 ||
        kv_arg_ll_or_reply(ctx, &argv[2], &when) != 0)
        return;
    if (seconds) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000)
            goto invalid;
        when *= 1000;
    }
    if (when > LLONG_MAX - base)
        goto invalid;
    when += base;
    if (!(e = kv_lookup_write(ctx, &argv[1]))) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    db = kv_ctx_db(ctx);
    cur = kv_db_get_expire(db, e);
    if (((flags & EXP_NX) && cur != -1) || ((flags & EXP_XX) && cur == -1) ||
        ((flags & EXP_GT) && (cur == -1 || when <= cur)) ||
        ((flags & EXP_LT) && cur != -1 && when >= cur)) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    if (when <= kv_now_ms(ctx))
        kv_db_delete_entry(db, e); /* already in the past: deleted now */
    else
        kv_db_set_expire(db, e, when);
    kv_reply_int(&ctx->out, 1);
    return;
invalid:
    kv_reply_errorf(&ctx->out, "ERR invalid expire time in '%s' command", ctx->cmd->name);
}

static void kv_cmd_expire(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_expire_generic(ctx, argc, argv, kv_now_ms(ctx), 1);
}

static void kv_cmd_pexpire(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_expire_generic(ctx, argc, argv, kv_now_ms(ctx), 0);
}

static void kv_ttl_generic(kv_ctx *ctx, const kv_str *key, int ms)
{
    kv_entry *e = kv_lookup_read(ctx, key);
    long long when, ttl;
    if (!e) {
        kv_reply_int(&ctx->out, -2);
        return;
    }
    when = kv_db_get_expire(kv_ctx_db(ctx), e);
    if (when == -1) {
        kv_reply_int(&ctx->out, -1);
        return;
    }
    ttl = when - kv_now_ms(ctx);
    if (ttl < 0)
        ttl = 0;
    kv_reply_int(&ctx->out, ms ? ttl : (ttl + 500) / 1000);
}

static void kv_cmd_ttl(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    kv_ttl_generic(ctx, &argv[1], 0);
}

static void kv_cmd_pttl(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    kv_ttl_generic(ctx, &argv[1], 1);
}

#define F KV_CMD_FAST
#define W KV_CMD_WRITE
#define R KV_CMD_READONLY

const kv_cmddef kv_cmds_keys[] = {
    {{.name = "del", .arity = -2, .flags = W, KV_KEYS(1, -1, 1), .route = KV_ROUTE_KEYS, .exec = kv_cmd_del, .reduce = kv_reduce_sum}, NULL, 0},
    {{.name = "exists", .arity = -2, .flags = R | F, KV_KEYS(1, -1, 1), .route = KV_ROUTE_KEYS, .exec = kv_cmd_exists, .reduce = kv_reduce_sum}, NULL, 0},
    {{.name = "expire", .arity = -3, .flags = W | F, KV_KEYS(1, 1, 1), .route = KV_ROUTE_KEY, .exec = kv_cmd_expire}, NULL, 0},
    {{.name = "pexpire", .arity = -3, .flags = W | F, KV_KEYS(1, 1, 1), .route = KV_ROUTE_KEY, .exec = kv_cmd_pexpire}, NULL, 0},
    {{.name = "pttl", .arity = 2, .flags = R | F, KV_KEYS(1, 1, 1), .route = KV_ROUTE_KEY, .exec = kv_cmd_pttl}, NULL, 0},
    {{.name = "ttl", .arity = 2, .flags = R | F, KV_KEYS(1, 1, 1), .route = KV_ROUTE_KEY, .exec = kv_cmd_ttl}, NULL, 0},
    KV_CMDDEF_END
};
