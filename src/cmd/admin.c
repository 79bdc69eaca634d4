/* Small server commands: TIME, LASTSAVE, RESET, MONITOR, and FUNCTION /
 * SCRIPT answering as a server with no scripts or functions loaded.
 * MONITOR: every shard keeps the list of all monitors (registered on every
 * shard before MONITOR replies, so no later command is missed) and each
 * shard's after_exec pushes Redis's line for its clients' commands to
 * every monitor, wherever it lives. */
#define _POSIX_C_SOURCE 200809L
#include "cmd/multi.h"
#include "cmd/svc.h"

#include <ctype.h>
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

/* No save has happened: the last one is the server's start. */
static void kv_cmd_lastsave(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    (void)argv;
    kv_reply_int(&ctx->out, kv_state(ctx)->srv->start_ms / 1000);
}

/* ---------------------------------------------------------------- MONITOR */

int kv_arg_redacted(const kv_cmd *cmd, int argc, const kv_str *argv, int j)
{
    int k;
    if (!strcmp(cmd->name, "auth"))
        return j >= 1;
    if (strcmp(cmd->name, "hello") != 0)
        return 0;
    /* HELLO [protover [AUTH user pass] [SETNAME name]]: the AUTH pair. */
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

/* Redis's sdscatrepr: a quoted string with C escapes. */
static void kv_repr(kv_buf *b, const char *p, size_t n)
{
    char tmp[8];
    size_t i;
    kv_buf_append(b, "\"", 1);
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        const char *esc = NULL;
        switch (ch) {
        case '\\': esc = "\\\\"; break;
        case '"': esc = "\\\""; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\a': esc = "\\a"; break;
        case '\b': esc = "\\b"; break;
        default: break;
        }
        if (esc) {
            kv_buf_append(b, esc, 2);
        } else if (isprint(ch)) {
            kv_buf_append(b, &p[i], 1);
        } else {
            snprintf(tmp, sizeof tmp, "\\x%02x", ch);
            kv_buf_append(b, tmp, 4);
        }
    }
    kv_buf_append(b, "\"", 1);
}

void kv_monitor_feed(kv_shard *sh, kv_svc *sv, kv_conn *c, const kv_exec_info *info)
{
    long long now = kv_shard_now_us(sh);
    kv_conn_info ci;
    kv_buf line;
    char head[128];
    int j, n;
    if (!c)
        return;
    kv_conn_get_info(c, &ci);
    kv_buf_init(&line);
    n = snprintf(head, sizeof head, "+%lld.%06lld [%d %s]", now / 1000000, now % 1000000, ci.db,
                 kv_conn_peer(c));
    kv_buf_append(&line, head, (size_t)n);
    for (j = 0; j < info->argc; j++) {
        kv_buf_append(&line, " ", 1);
        if (kv_arg_redacted(info->cmd, info->argc, info->argv, j))
            kv_buf_append(&line, "\"(redacted)\"", 12);
        else
            kv_repr(&line, info->argv[j].p, info->argv[j].n);
    }
    kv_buf_append(&line, "\r\n", 2);
    for (j = 0; j < sv->nmons; j++)
        kv_shard_push(sh, sv->mons[j].home, sv->mons[j].id, line.p, line.len);
    kv_buf_free(&line);
}

static void kv_monitor_add(kv_svc *sv, int home, unsigned long long id)
{
    int i;
    for (i = 0; i < sv->nmons; i++)
        if (sv->mons[i].id == id)
            return;
    if (sv->nmons == sv->capmons) {
        sv->capmons = sv->capmons ? sv->capmons * 2 : 4;
        if (!(sv->mons = realloc(sv->mons, (size_t)sv->capmons * sizeof *sv->mons)))
            abort();
    }
    sv->mons[sv->nmons].home = home;
    sv->mons[sv->nmons++].id = id;
}

static void kv_monitor_remove(kv_svc *sv, unsigned long long id)
{
    int i;
    for (i = 0; i < sv->nmons; i++)
        if (sv->mons[i].id == id) {
            sv->mons[i] = sv->mons[--sv->nmons];
            return;
        }
}

/* Internal: drop a monitor (argv[1] = its id) on the shard running it. */
static void kv_cmd_monitor_unreg(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long id;
    if (argc == 2 && kv_arg_ll(&argv[1], &id))
        kv_monitor_remove(kv_svc_of(ctx), (unsigned long long)id);
}

static const kv_cmd kv_monitor_unreg_cmd = {.name = "monitor|unregister", .arity = 2,
                                            .route = KV_ROUTE_LOCAL,
                                            .exec = kv_cmd_monitor_unreg};

void kv_monitor_forget(kv_shard *sh, kv_svc *sv, unsigned long long id, int broadcast)
{
    char buf[32];
    kv_str argv[2];
    kv_monitor_remove(sv, id);
    if (!broadcast)
        return;
    argv[0].p = "monitor";
    argv[0].n = 7;
    argv[1].p = buf;
    argv[1].n = (size_t)snprintf(buf, sizeof buf, "%llu", id);
    kv_shard_broadcast(sh, &kv_monitor_unreg_cmd, 0, 2, argv);
}

/* Every shard registers the monitor before the reply goes out. */
static void kv_cmd_monitor(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    (void)argv;
    kv_monitor_add(kv_svc_of(ctx), ctx->home, ctx->client_id);
    kv_reply_status(&ctx->out, "OK");
}

static void kv_reduce_monitor(kv_ctx *ctx, const kv_part *parts, int nparts)
{
    kv_svc *sv = kv_svc_of(ctx);
    kv_session *s;
    (void)parts;
    (void)nparts;
    if (!ctx->conn) { /* gone meanwhile: undo everywhere */
        kv_monitor_forget(ctx->shard, sv, ctx->client_id, 1);
        return;
    }
    s = kv_session_get(ctx->conn, sv->requirepass != NULL);
    if (s->flags & KV_SESS_MONITOR)
        return; /* already one: Redis says nothing */
    s->flags |= KV_SESS_MONITOR;
    kv_conn_set_no_timeout(ctx->conn, 1);
    kv_reply_status(&ctx->out, "OK");
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
    kv_conn_set_db(ctx->conn, 0);
    kv_conn_set_proto(ctx->conn, 2);
    ctx->out.proto = 2;
    kv_session_set_name(s, NULL, 0);
    kv_session_set_auth(ctx->conn, s, sv->requirepass == NULL);
    kv_conn_set_reply_mode(ctx->conn, KV_REPLY_ON);
    s->flags &= ~KV_SESS_REPLY_OFF;
    kv_reply_status(&ctx->out, "RESET");
}

/* ------------------------------------------------------- FUNCTION, SCRIPT */

static void kv_cmd_function_flush(kv_ctx *ctx, int argc, const kv_str *argv)
{
    if (argc > 3) {
        kv_reply_errorf(&ctx->out, "ERR unknown subcommand or wrong number of arguments for "
                                   "'%.*s'. Try FUNCTION HELP.",
                        (int)kv_arg_cstrlen(&argv[1]), argv[1].p);
        return;
    }
    if (argc == 3 && !kv_arg_eq(&argv[2], "sync") && !kv_arg_eq(&argv[2], "async")) {
        kv_reply_error(&ctx->out, "ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
        return;
    }
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

static void kv_cmd_script_flush(kv_ctx *ctx, int argc, const kv_str *argv)
{
    if (argc > 3 ||
        (argc == 3 && !kv_arg_eq(&argv[2], "sync") && !kv_arg_eq(&argv[2], "async"))) {
        kv_reply_error(&ctx->out, "ERR SCRIPT FLUSH only support SYNC|ASYNC option");
        return;
    }
    kv_reply_status(&ctx->out, "OK");
}

static const kv_cmd kv_function_subs[] = {
    {.name = "function|flush", .arity = -2, .flags = KV_CMD_WRITE | KV_CMD_NOSCRIPT,
     .route = KV_ROUTE_LOCAL, .exec = kv_cmd_function_flush},
    {.name = "function|list", .arity = -2, .flags = KV_CMD_NOSCRIPT, .route = KV_ROUTE_LOCAL,
     .exec = kv_cmd_function_list},
};

static const kv_cmd kv_script_subs[] = {
    {.name = "script|flush", .arity = -2, .flags = KV_CMD_NOSCRIPT, .route = KV_ROUTE_LOCAL,
     .exec = kv_cmd_script_flush},
};

const kv_cmddef kv_cmds_admin[] = {
    {{.name = "function", .arity = -2, .route = KV_ROUTE_LOCAL, .exec = kv_cmd_container},
     KV_SUBS(kv_function_subs)},
    {{.name = "lastsave", .arity = 1, .flags = KV_CMD_NOSCRIPT | KV_CMD_FAST,
      .route = KV_ROUTE_LOCAL, .exec = kv_cmd_lastsave}, NULL, 0},
    {{.name = "monitor", .arity = 1, .flags = KV_CMD_NOSCRIPT, .route = KV_ROUTE_ALL,
      .exec = kv_cmd_monitor, .reduce = kv_reduce_monitor}, NULL, 0},
    {{.name = "reset", .arity = 1, .flags = KV_CMD_NOSCRIPT | KV_CMD_FAST,
      .route = KV_ROUTE_LOCAL, .exec = kv_cmd_reset}, NULL, 0},
    {{.name = "script", .arity = -2, .route = KV_ROUTE_LOCAL, .exec = kv_cmd_container},
     KV_SUBS(kv_script_subs)},
    {{.name = "time", .arity = 1, .flags = KV_CMD_FAST, .route = KV_ROUTE_LOCAL,
      .exec = kv_cmd_time}, NULL, 0},
    KV_CMDDEF_END
};
