/* Small server commands: TIME and RESET. */
#define _POSIX_C_SOURCE 200809L
#include "cmd/acl/acl.h"
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
    kv_session *s = kv_session_get(ctx->conn, kv_acl_need_auth(ctx->shard, kv_state(ctx)));
    const kv_acl_snap *snap = kv_acl_shard_snap(ctx->shard, kv_state(ctx));
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
    kv_acl_session_login(s, snap->dflt, snap); /* the default user again, as Redis */
    kv_session_set_auth(ctx->conn, s, !kv_acl_need_auth(ctx->shard, kv_state(ctx)));
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

const kv_cmdspec kv_cmds_server_admin[] = {
    {.name = "reset", .flags = KV_CMDF_MULTI_RUNS | KV_CMDF_PUBSUB_CTX | KV_CMDF_MULTI_OOM_OK, .route = KV_ROUTE_LOCAL, .exec = kv_cmd_reset,
     .prepare = kv_prepare_reset},
    {.name = "time", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_time},
    KV_SPEC_END
};
