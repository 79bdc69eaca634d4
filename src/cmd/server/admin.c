/* Small server commands: TIME, RESET, and FUNCTION / SCRIPT
 * answering as a server with no scripts or functions loaded. */
#define _POSIX_C_SOURCE 200809L
#include "cmd/multi/multi.h"
#include "cmd/pubsub/pubsub.h"
#include "cmd/pubsub/tracking.h"
#include "cmd/server/svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ TIME */

static void kv_cmd_time(kv_ctx *ctx, int argc, const kv_str *argv)
{
    struct timespec ts;
    char buf[32];
    (void)argc;
    (void)argv;
    clock_gettime(CLOCK_REALTIME, &ts);
    kv_reply_array(&ctx->out, 2);
    kv_reply_bulk(&ctx->out, buf, (size_t)snprintf(buf, sizeof buf, "%lld", (long long)ts.tv_sec));
    kv_reply_bulk(&ctx->out, buf, (size_t)snprintf(buf, sizeof buf, "%ld", ts.tv_nsec / 1000));
}

/* ------------------------------------------------------------------ RESET */

static void kv_cmd_reset(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_svc *sv = kv_svc_of(ctx);
    kv_session *s = kv_session_get(ctx->conn, sv->requirepass != NULL);
    (void)argc;
    (void)argv;
    if (s->flags & KV_SESS_MONITOR) {
        s->flags &= ~KV_SESS_MONITOR;
        kv_conn_set_no_timeout(ctx->conn, 0);
        kv_monitor_forget(ctx->shard, sv, ctx->client_id, 1);
    }
    kv_multi_reset(ctx->shard, ctx->state, ctx->conn); /* DISCARD and UNWATCH */
    kv_pubsub_client_reset(ctx->shard, ctx->state, ctx->conn); /* every subscription */
    kv_tracking_client_gone(ctx->shard, ctx->state, ctx->conn); /* CLIENT TRACKING off */
    kv_conn_set_db(ctx->conn, 0);
    kv_conn_set_proto(ctx->conn, 2);
    ctx->out.proto = 2;
    kv_session_set_name(s, NULL, 0);
    kv_session_set_auth(ctx->conn, s, sv->requirepass == NULL);
    kv_conn_set_reply_mode(ctx->conn, KV_REPLY_ON);
    s->flags &= ~KV_SESS_REPLY_OFF;
    kv_reply_status(&ctx->out, "RESET");
}

/* RESET and CLIENT REPLY ON turn replies back on before they run, so their
 * own reply is sent. */
static void kv_prepare_reset(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    (void)argv;
    kv_conn_set_reply_mode(ctx->conn, KV_REPLY_ON);
}

/* ------------------------------------------------------------- FUNCTION */

static void kv_cmd_function_flush(kv_ctx *ctx, int argc, const kv_str *argv)
{
    if (argc > 3) {
        kv_reply_sub_arity(ctx, "FUNCTION", &argv[1]);
        return;
    }
    if (argc == 3 && !kv_arg_eq(&argv[2], "sync") && !kv_arg_eq(&argv[2], "async")) {
        kv_reply_error(&ctx->out, "ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
        return;
    }
    kv_dirty(ctx, 1); /* Redis counts a flush of its (here always empty) functions */
    kv_reply_status(&ctx->out, "OK");
}

static void kv_cmd_function_list(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int j, withcode = 0, libname = 0;
    for (j = 2; j < argc; j++) {
        if (!withcode && kv_arg_eq(&argv[j], "withcode")) {
            withcode = 1;
        } else if (!libname && kv_arg_eq(&argv[j], "libraryname")) {
            if (j >= argc - 1) {
                kv_reply_error(&ctx->out, "ERR library name argument was not given");
                return;
            }
            libname = 1;
            j++;
        } else {
            kv_reply_errorf(&ctx->out, "ERR Unknown argument %.*s",
                            (int)kv_arg_cstrlen(&argv[j]), argv[j].p);
            return;
        }
    }
    kv_reply_array(&ctx->out, 0);
}

static const kv_cmdspec kv_function_subs[] = {
    {.name = "function|flush", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_function_flush},
    {.name = "function|list", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_function_list},
    KV_SPEC_END
};

const kv_cmdspec kv_cmds_server_admin[] = {
    {.name = "function", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_container,
     .subs = kv_function_subs},
    {.name = "reset", .flags = KV_CMDF_MULTI_RUNS | KV_CMDF_PUBSUB_CTX, .route = KV_ROUTE_LOCAL, .exec = kv_cmd_reset,
     .prepare = kv_prepare_reset},
    {.name = "time", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_time},
    KV_SPEC_END
};
