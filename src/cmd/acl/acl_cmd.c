/* The ACL command. Every subcommand runs on the client's home shard: the
 * users are server-wide (acl_reg.c), so a change published there is seen
 * by the next command on any shard. DELUSER, LOAD and a SETUSER that cuts
 * channels also tell every shard at once (acl|sync) so idle clients of a
 * deleted user, or subscribers cut off, are closed without waiting for
 * their shard's tick. */
#include "cmd/acl/acl.h"
#include "cmd/config/cfg.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const kv_acl_snap *snap_of(kv_ctx *ctx)
{
    return kv_acl_shard_snap(ctx->shard, kv_state(ctx));
}

/* Another shard: adopt the current users now (acl|sync, internal). */
static void kv_cmd_acl_sync(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    (void)argv;
    snap_of(ctx);
}

static const kv_cmd kv_acl_sync_cmd = {.name = "acl|sync", .arity = 1, .route = KV_ROUTE_LOCAL,
                                       .exec = kv_cmd_acl_sync};

/* Every shard adopts the users now: this one at once (its clients to close
 * go, the caller after its reply), the others at their next loop turn. */
static void sync_all(kv_ctx *ctx)
{
    kv_str a;
    snap_of(ctx);
    a.p = "acl";
    a.n = 3;
    kv_shard_broadcast(ctx->shard, &kv_acl_sync_cmd, 0, 1, &a);
}

/* A change that cut channels off closes the user's subscribers that used
 * them, on every shard, as Redis does at once. */
static void kv_cmd_acl_setuser(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int rc = kv_acl_setuser(kv_state(ctx)->srv->acl, ctx, argc, argv);
    if (rc < 0)
        return;
    kv_reply_status(&ctx->out, "OK");
    if (rc > 0)
        sync_all(ctx);
}

static void kv_cmd_acl_deluser(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long n = kv_acl_deluser(kv_state(ctx)->srv->acl, ctx, argc, argv);
    if (n < 0)
        return;
    if (n > 0)
        sync_all(ctx); /* those users' clients, the caller after its reply */
    kv_reply_int(&ctx->out, n);
}

static void kv_cmd_acl_getuser(kv_ctx *ctx, int argc, const kv_str *argv)
{
    const kv_acl_user *u = kv_acl_find(snap_of(ctx), argv[2].p, argv[2].n);
    (void)argc;
    if (!u)
        kv_reply_null(&ctx->out);
    else
        kv_acl_getuser_reply(kv_state(ctx)->srv, u, &ctx->out);
}

static void kv_cmd_acl_list(kv_ctx *ctx, int argc, const kv_str *argv)
{
    const kv_acl_snap *s = snap_of(ctx);
    kv_buf b;
    int i;
    (void)argc;
    (void)argv;
    kv_buf_init(&b);
    kv_reply_array(&ctx->out, s->nusers);
    for (i = 0; i < s->nusers; i++) {
        b.len = 0;
        kv_acl_user_describe(kv_state(ctx)->srv, s->users[i], &b);
        kv_reply_bulk(&ctx->out, b.p, b.len);
    }
    kv_buf_free(&b);
}

static void kv_cmd_acl_users(kv_ctx *ctx, int argc, const kv_str *argv)
{
    const kv_acl_snap *s = snap_of(ctx);
    int i;
    (void)argc;
    (void)argv;
    kv_reply_array(&ctx->out, s->nusers);
    for (i = 0; i < s->nusers; i++)
        kv_reply_bulk(&ctx->out, s->users[i]->name, s->users[i]->namelen);
}

static void kv_cmd_acl_whoami(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    (void)argv;
    kv_reply_bulk_cstr(&ctx->out, kv_session_user_name(kv_conn_data(ctx->conn)));
}

static void kv_cmd_acl_cat(kv_ctx *ctx, int argc, const kv_str *argv)
{
    const kv_cmd_index *ix = &kv_state(ctx)->srv->index;
    unsigned long bit = 0;
    unsigned i;
    long n = 0;
    int c;
    if (argc > 3) {
        kv_reply_sub_arity(ctx, "ACL", &argv[1]);
        return;
    }
    if (argc == 2) {
        kv_reply_array(&ctx->out, KV_ACL_COUNT);
        for (c = 0; c < KV_ACL_COUNT; c++)
            kv_reply_bulk_cstr(&ctx->out, kv_acl_names[c]);
        return;
    }
    for (c = 0; c < KV_ACL_COUNT; c++)
        if (kv_arg_eq(&argv[2], kv_acl_names[c]) && strlen(kv_acl_names[c]) == argv[2].n)
            bit = 1ul << c;
    if (!bit) {
        kv_reply_errorf(&ctx->out, "ERR Unknown category '%.*s'", (int)kv_arg_cstrlen(&argv[2]),
                        argv[2].p);
        return;
    }
    for (i = 0; i < ix->ncmd; i++)
        n += (ix->desc[i].acl & bit) != 0;
    kv_reply_array(&ctx->out, n);
    for (i = 0; i < ix->ncmd; i++)
        if (ix->desc[i].acl & bit)
            kv_reply_bulk_cstr(&ctx->out, ix->cmd[i].name);
}

static void kv_cmd_acl_genpass(kv_ctx *ctx, int argc, const kv_str *argv)
{
    static const char hex[] = "0123456789abcdef";
    long long bits = 256;
    unsigned char rnd[512];
    char out[1024];
    size_t chars, i, got = 0;
    int fd;
    if (argc > 3) {
        kv_reply_sub_arity(ctx, "ACL", &argv[1]);
        return;
    }
    if (argc == 3 && kv_arg_ll_or_reply(ctx, &argv[2], &bits) != 0)
        return;
    if (bits <= 0 || bits > 4096) {
        kv_reply_error(&ctx->out, "ERR ACL GENPASS argument must be the number of bits for the "
                                  "output password, a positive number up to 4096");
        return;
    }
    chars = (size_t)(bits + 3) / 4;
    if ((fd = open("/dev/urandom", O_RDONLY)) >= 0) {
        while (got < (chars + 1) / 2) {
            ssize_t r = read(fd, rnd + got, (chars + 1) / 2 - got);
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        close(fd);
    }
    if (got < (chars + 1) / 2) {
        kv_reply_error(&ctx->out, "ERR Failed to generate a random password");
        return;
    }
    for (i = 0; i < chars; i++)
        out[i] = hex[(rnd[i / 2] >> (i % 2 ? 0 : 4)) & 15];
    kv_reply_bulk(&ctx->out, out, chars);
}

static void kv_cmd_acl_dryrun(kv_ctx *ctx, int argc, const kv_str *argv)
{
    const kv_acl_user *u = kv_acl_find(snap_of(ctx), argv[2].p, argv[2].n);
    const kv_cmd *cmd;
    int r, pos = 0, cargc = argc - 3;
    const kv_str *cargv = argv + 3;
    if (!u) {
        kv_reply_errorf(&ctx->out, "ERR User '%.*s' not found", (int)kv_arg_cstrlen(&argv[2]),
                        argv[2].p);
        return;
    }
    cmd = kv_cmd_lookup((void *)(uintptr_t)kv_state(ctx)->srv, cargc, cargv);
    if ((cmd->flags & KV_CMD_UNKNOWN) || !kv_desc(cmd)) {
        kv_reply_errorf(&ctx->out, "ERR Command '%.*s' not found", (int)kv_arg_cstrlen(&argv[3]),
                        argv[3].p);
        return;
    }
    if ((cmd->arity > 0 && cmd->arity != cargc) || cargc < -cmd->arity) {
        kv_reply_errorf(&ctx->out, "ERR wrong number of arguments for '%s' command", cmd->name);
        return;
    }
    r = kv_acl_permits(kv_state(ctx)->srv->acl, u, cmd, cargc, cargv, &pos);
    if (r == KV_ACL_OK) {
        kv_reply_status(&ctx->out, "OK");
    } else {
        char buf[256];
        int n;
        if (r == KV_ACL_DENIED_CMD)
            n = snprintf(buf, sizeof buf, "This user has no permissions to run the '%s' command",
                         cmd->name);
        else
            n = snprintf(buf, sizeof buf, "This user has no permissions to access the '%.*s' %s",
                         (int)(cargv[pos].n > 128 ? 128 : cargv[pos].n), cargv[pos].p,
                         r == KV_ACL_DENIED_KEY ? "key" : "channel");
        kv_reply_bulk(&ctx->out, buf, (size_t)(n < (int)sizeof buf ? n : (int)sizeof buf - 1));
    }
}

static void kv_cmd_acl_log(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_acl *acl = kv_state(ctx)->srv->acl;
    long long count = 10;
    if (argc > 3) {
        kv_reply_sub_arity(ctx, "ACL", &argv[1]);
        return;
    }
    if (argc == 3 && kv_arg_eq(&argv[2], "reset")) {
        kv_acl_log_reset(acl);
        kv_reply_status(&ctx->out, "OK");
        return;
    }
    if (argc == 3 && kv_arg_ll_or_reply(ctx, &argv[2], &count) != 0)
        return;
    kv_acl_log_reply(acl, ctx, count, kv_now_ms(ctx));
}

/* The aclfile, or NULL after Redis's answer for a server without one. */
static const char *aclfile(kv_ctx *ctx)
{
    const char *path = kv_cfg_get(kv_state(ctx)->cfg, "aclfile");
    if (*path)
        return path;
    kv_reply_error(&ctx->out, "ERR This Redis instance is not configured to use an ACL file. You "
                              "may want to specify users via the ACL SETUSER command and then "
                              "issue a CONFIG REWRITE (assuming you have a Redis configuration "
                              "file set) in order to store users in the Redis configuration.");
    return NULL;
}

/* Every user from the file, or none of it; the old users' clients (the
 * caller too, after this reply) are disconnected, as in Redis. */
static void kv_cmd_acl_load(kv_ctx *ctx, int argc, const kv_str *argv)
{
    const char *path = aclfile(ctx);
    char err[4096];
    (void)argc;
    (void)argv;
    if (!path)
        return;
    if (kv_acl_load_file(kv_state(ctx)->srv->acl, path, err, sizeof err) != 0) {
        kv_reply_errorf(&ctx->out, "ERR %s", err);
        return;
    }
    sync_all(ctx);
    kv_reply_status(&ctx->out, "OK");
}

static void kv_cmd_acl_save(kv_ctx *ctx, int argc, const kv_str *argv)
{
    const char *path = aclfile(ctx);
    (void)argc;
    (void)argv;
    if (!path)
        return;
    if (kv_acl_save_file(kv_state(ctx)->srv->acl, path) != 0) {
        kv_shard_log(ctx->shard, 3, "Saving the ACLs to '%s' failed", path);
        kv_reply_error(&ctx->out, "ERR There was an error trying to save the ACLs. Please check "
                                  "the server logs for more information");
        return;
    }
    kv_reply_status(&ctx->out, "OK");
}

static void kv_cmd_acl_help(kv_ctx *ctx, int argc, const kv_str *argv)
{
    static const char *const lines[] = {
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
        "HELP",
        "    Prints this help.",
    };
    (void)argc;
    (void)argv;
    kv_reply_lines(ctx, lines, sizeof lines / sizeof lines[0]);
}

static const kv_cmdspec kv_acl_subs[] = {
    {.name = "acl|cat", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_acl_cat},
    {.name = "acl|deluser", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_acl_deluser},
    {.name = "acl|dryrun", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_acl_dryrun},
    {.name = "acl|genpass", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_acl_genpass},
    {.name = "acl|getuser", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_acl_getuser},
    {.name = "acl|help", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_acl_help},
    {.name = "acl|list", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_acl_list},
    {.name = "acl|load", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_acl_load},
    {.name = "acl|log", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_acl_log},
    {.name = "acl|save", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_acl_save},
    {.name = "acl|setuser", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_acl_setuser},
    {.name = "acl|users", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_acl_users},
    {.name = "acl|whoami", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_acl_whoami},
    KV_SPEC_END
};

const kv_cmdspec kv_cmds_acl[] = {
    {.name = "acl", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_container, .subs = kv_acl_subs},
    KV_SPEC_END
};
