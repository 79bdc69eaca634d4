/* Connection commands: PING, ECHO, HELLO, AUTH, QUIT, SELECT (SHUTDOWN
 * saves first: persist/save_cmd.c). They run on the client's home shard (KV_ROUTE_LOCAL), with the
 * connection. */
#include "cmd/acl/acl.h"
#include "cmd/core/cmd.h"
#include "cmd/pubsub/pubsub.h"
#include "cmd/server/svc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KV_COMPAT_VERSION "7.0.15"

static void kv_cmd_ping(kv_ctx *ctx, int argc, const kv_str *argv)
{
    if (argc > 2) {
        kv_reply_errorf(&ctx->out, "ERR wrong number of arguments for '%s' command",
                        ctx->cmd->name);
    } else if (ctx->conn && ctx->out.proto == 2 && kv_pubsub_client_active(ctx->conn)) {
        /* A RESP2 subscriber's PING answers in a message's shape. */
        kv_reply_array(&ctx->out, 2);
        kv_reply_bulk(&ctx->out, "pong", 4);
        kv_reply_bulk(&ctx->out, argc == 2 ? argv[1].p : "", argc == 2 ? argv[1].n : 0);
    } else if (argc == 1)
        kv_reply_status(&ctx->out, "PONG");
    else
        kv_reply_bulk(&ctx->out, argv[1].p, argv[1].n);
}

static void kv_cmd_echo(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    kv_reply_bulk(&ctx->out, argv[1].p, argv[1].n);
}

static void kv_cmd_quit(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    (void)argv;
    kv_reply_status(&ctx->out, "OK");
    kv_conn_close_after_reply(ctx->conn);
}

static void kv_cmd_select(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int id;
    (void)argc;
    if (kv_arg_db_or_reply(ctx, &argv[1], &id) != 0)
        return;
    kv_conn_set_db(ctx->conn, id);
    kv_reply_status(&ctx->out, "OK");
}

/* AUTH and HELLO AUTH: a user (NULL: default) and its password. On
 * success the connection is that user's from now on; a failure is logged
 * (ACL LOG, reason "auth") and answers WRONGPASS. */
static int kv_auth(kv_ctx *ctx, kv_session *s, const kv_str *cmdname, const kv_str *user,
                   const kv_str *pass)
{
    const kv_acl_snap *snap = kv_acl_shard_snap(ctx->shard, kv_state(ctx));
    const kv_acl_user *u = NULL;
    char *name;
    if (kv_acl_auth_ok(snap, user, pass, &u)) {
        kv_acl_session_login(s, u, snap);
        kv_session_set_auth(ctx->conn, s, 1);
        return 0;
    }
    if (!(name = malloc(user ? user->n + 1 : 8)))
        abort();
    memcpy(name, user ? user->p : "default", user ? user->n : 7);
    name[user ? user->n : 7] = '\0';
    kv_acl_log_denial(ctx, s, KV_ACL_DENIED_AUTH, NULL, cmdname->p, cmdname->n, name);
    free(name);
    kv_reply_error(&ctx->out, "WRONGPASS invalid username-password pair or user is disabled.");
    return -1;
}

static void kv_cmd_hello(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long ver = 0;
    int j = 1;
    const kv_str *setname = NULL, *user = NULL, *pass = NULL;
    kv_session *s = kv_session_get(ctx->conn, kv_acl_need_auth(ctx->shard, kv_state(ctx)));
    kv_reply *r = &ctx->out;

    if (argc >= 2) {
        if (!kv_arg_ll(&argv[1], &ver)) {
            kv_reply_error(r, "ERR Protocol version is not an integer or out of range");
            return;
        }
        j = 2;
        if (ver < 2 || ver > 3) {
            kv_reply_error(r, "NOPROTO unsupported protocol version");
            return;
        }
    }
    for (; j < argc; j++) {
        int more = argc - 1 - j;
        if (kv_arg_eq(&argv[j], "auth") && more >= 2) {
            user = &argv[j + 1];
            pass = &argv[j + 2];
            j += 2;
        } else if (kv_arg_eq(&argv[j], "setname") && more >= 1) {
            setname = &argv[++j];
            if (!kv_session_valid_name(setname->p, setname->n)) {
                kv_reply_error(r, "ERR Client names cannot contain spaces, newlines or special characters.");
                return;
            }
        } else {
            kv_reply_errorf(r, "ERR Syntax error in HELLO option '%.*s'",
                            (int)kv_arg_cstrlen(&argv[j]), argv[j].p);
            return;
        }
    }
    if (user && kv_auth(ctx, s, &argv[0], user, pass) != 0)
        return;
    if (!(s->flags & KV_SESS_AUTHED)) {
        kv_reply_error(r, "NOAUTH HELLO must be called with the client already authenticated, "
                          "otherwise the HELLO AUTH <user> <pass> option can be used to "
                          "authenticate the client and select the RESP protocol version at the "
                          "same time");
        return;
    }
    if (setname)
        kv_session_set_name(s, setname->p, setname->n);
    if (ver) {
        kv_conn_set_proto(ctx->conn, (int)ver);
        r->proto = (int)ver; /* HELLO answers in the protocol it switched to */
    }
    kv_reply_map(r, 7);
    kv_reply_bulk_cstr(r, "server");
    kv_reply_bulk_cstr(r, "redis");
    kv_reply_bulk_cstr(r, "version");
    kv_reply_bulk_cstr(r, KV_COMPAT_VERSION);
    kv_reply_bulk_cstr(r, "proto");
    kv_reply_int(r, kv_conn_proto(ctx->conn));
    kv_reply_bulk_cstr(r, "id");
    kv_reply_int(r, (long long)kv_conn_id(ctx->conn));
    kv_reply_bulk_cstr(r, "mode");
    kv_reply_bulk_cstr(r, "standalone");
    kv_reply_bulk_cstr(r, "role");
    kv_reply_bulk_cstr(r, "master");
    kv_reply_bulk_cstr(r, "modules");
    kv_reply_array(r, 0);
}

/* AUTH [user] password. A failed AUTH leaves an authenticated client
 * authenticated, as in Redis. */
static void kv_cmd_auth(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_session *s = kv_session_get(ctx->conn, kv_acl_need_auth(ctx->shard, kv_state(ctx)));
    if (argc > 3) {
        kv_reply_syntax(ctx);
        return;
    }
    if (argc == 2 && (kv_acl_shard_snap(ctx->shard, kv_state(ctx))->dflt->flags & KV_USER_NOPASS)) {
        kv_reply_error(&ctx->out, "ERR AUTH <password> called without any password configured "
                                  "for the default user. Are you sure your configuration is correct?");
        return;
    }
    if (kv_auth(ctx, s, &argv[0], argc == 3 ? &argv[1] : NULL, &argv[argc - 1]) == 0)
        kv_reply_status(&ctx->out, "OK");
}

/* MONITOR and SLOWLOG show "(redacted)" for AUTH's arguments and HELLO's
 * AUTH pair. */
static int kv_redact_auth(int argc, const kv_str *argv, int j)
{
    (void)argc;
    (void)argv;
    return j >= 1;
}

/* HELLO [protover [AUTH user pass] [SETNAME name]]. */
static int kv_redact_hello(int argc, const kv_str *argv, int j)
{
    int k;
    for (k = 2; k < argc; k++) {
        int more = argc - 1 - k;
        if (kv_arg_eq(&argv[k], "auth") && more >= 2) {
            if (j == k + 1 || j == k + 2)
                return 1;
            k += 2;
        } else if (kv_arg_eq(&argv[k], "setname") && more >= 1) {
            k++;
        } else {
            break;
        }
    }
    return 0;
}

const kv_cmdspec kv_cmds_server_connection[] = {
    {.name = "auth", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_auth, .redact = kv_redact_auth},
    {.name = "echo", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_echo},
    {.name = "hello", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_hello, .redact = kv_redact_hello},
    {.name = "ping", .flags = KV_CMDF_PUBSUB_CTX, .route = KV_ROUTE_LOCAL, .exec = kv_cmd_ping},
    {.name = "quit", .flags = KV_CMDF_MULTI_RUNS | KV_CMDF_PUBSUB_CTX | KV_CMDF_MULTI_OOM_OK, .route = KV_ROUTE_LOCAL, .exec = kv_cmd_quit},
    {.name = "select", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_select},
    KV_SPEC_END
};
