/* SCRIPT LOAD, EXISTS, FLUSH, KILL, DEBUG and HELP: the script cache is
 * server-wide (registry.c), each shard compiles a body when it first runs
 * it (eval.c); KILL reaches the busy scripts of every shard. */
#include "cmd/script/script.h"

static void kv_cmd_script_load(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_cmdstate *st = kv_state(ctx);
    kv_lua *l = kv_lua_get(st);
    char sha[41], err[1024];
    (void)argc;
    kv_sha1_hex(argv[2].p, argv[2].n, sha);
    if (!kv_lua_compile(l, sha, argv[2].p, argv[2].n, err, sizeof err)) {
        kv_reply_errorf(&ctx->out, "ERR %s", err);
        return;
    }
    kv_scripts_add(st->srv->scripts, sha, argv[2].p, argv[2].n);
    kv_reply_bulk(&ctx->out, sha, 40);
}

static void kv_cmd_script_exists(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_scripts *s = kv_state(ctx)->srv->scripts;
    int j;
    kv_reply_array(&ctx->out, argc - 2);
    for (j = 2; j < argc; j++)
        kv_reply_int(&ctx->out, kv_scripts_exists(s, argv[j].p, argv[j].n));
}

static void kv_cmd_script_flush(kv_ctx *ctx, int argc, const kv_str *argv)
{
    if (argc > 3 ||
        (argc == 3 && !kv_arg_eq(&argv[2], "sync") && !kv_arg_eq(&argv[2], "async"))) {
        kv_reply_error(&ctx->out, "ERR SCRIPT FLUSH only support SYNC|ASYNC option");
        return;
    }
    kv_scripts_flush(kv_state(ctx)->srv->scripts);
    kv_reply_status(&ctx->out, "OK");
}

/* Any shard may ask: the busy script's shard sees the request in its hook. */
static void kv_cmd_script_kill(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int other, unkillable;
    int n = kv_scripts_kill_kind(kv_state(ctx)->srv->scripts, 0, &other, &unkillable);
    (void)argc;
    (void)argv;
    if (n == 0 && other == 0)
        kv_reply_error(&ctx->out, "NOTBUSY No scripts in execution right now.");
    else if (n == 0)
        kv_reply_error(&ctx->out, KV_FN_BUSY); /* functions only: FUNCTION KILL's */
    else if (unkillable)
        kv_reply_error(&ctx->out, KV_SCRIPT_UNKILLABLE); /* the others were stopped */
    else
        kv_reply_status(&ctx->out, "OK");
}

static void kv_cmd_script_help(kv_ctx *ctx, int argc, const kv_str *argv)
{
    static const char *const lines[] = {
        "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
        "HELP",
        "    Prints this help.",
    };
    (void)argc;
    (void)argv;
    kv_reply_lines(ctx, lines, sizeof lines / sizeof lines[0]);
}

static void kv_cmd_script_debug(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    if (kv_arg_eq(&argv[2], "no")) {
        kv_reply_status(&ctx->out, "OK");
    } else if (kv_arg_eq(&argv[2], "yes") || kv_arg_eq(&argv[2], "sync")) {
        kv_reply_error(&ctx->out, "ERR kevy has no Lua debugger (SCRIPT DEBUG NO is accepted)");
    } else {
        kv_reply_error(&ctx->out, "ERR Use SCRIPT DEBUG YES/SYNC/NO");
    }
}

const kv_cmdspec kv_script_subs[] = {
    {.name = "script|debug", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_script_debug},
    {.name = "script|exists", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_script_exists},
    {.name = "script|flush", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_script_flush},
    {.name = "script|help", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_script_help},
    {.name = "script|kill", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_script_kill},
    {.name = "script|load", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_script_load},
    KV_SPEC_END
};

