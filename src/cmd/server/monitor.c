/* MONITOR: every shard keeps the list of all monitors (registered on every
 * shard before MONITOR replies, so no later command is missed) and each
 * shard's after_exec pushes Redis's line for its clients' commands to every
 * monitor, wherever it lives. Arguments a command's descriptor marks
 * (AUTH's, HELLO's AUTH pair) read "(redacted)", here and in SLOWLOG. */
#define _POSIX_C_SOURCE 200809L
#include "cmd/acl/acl.h"
#include "cmd/server/svc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kv_arg_redacted(const kv_cmd *cmd, int argc, const kv_str *argv, int j)
{
    const kv_cmddesc *d = kv_desc(cmd);
    return d && d->redact && d->redact(argc, argv, j);
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

/* Push a line to a monitor of this shard, if it still monitors: a line in
 * flight from another shard when the client sent RESET is dropped. */
static void kv_monitor_push_here(kv_shard *sh, unsigned long long id, const char *p, size_t n)
{
    kv_conn *c = kv_shard_find_conn(sh, id);
    kv_session *s = c ? kv_conn_data(c) : NULL;
    if (s && (s->flags & KV_SESS_MONITOR))
        kv_shard_push(sh, kv_shard_id(sh), id, p, n);
}

/* Internal: monitor|line id line, cast to the monitor's home. */
static void kv_cmd_monitor_line(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long id;
    if (argc == 3 && kv_arg_ll(&argv[1], &id))
        kv_monitor_push_here(ctx->shard, (unsigned long long)id, argv[2].p, argv[2].n);
}

static const kv_cmd kv_monitor_line_cmd = {.name = "monitor|line", .arity = 3,
                                           .route = KV_ROUTE_LOCAL,
                                           .exec = kv_cmd_monitor_line};

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
    for (j = 0; j < sv->nmons; j++) {
        char id[24];
        kv_str a[3];
        if (sv->mons[j].home == kv_shard_id(sh)) {
            kv_monitor_push_here(sh, sv->mons[j].id, line.p, line.len);
            continue;
        }
        a[0].p = "monitor";
        a[0].n = 7;
        a[1].p = id;
        a[1].n = (size_t)snprintf(id, sizeof id, "%llu", sv->mons[j].id);
        a[2].p = line.p;
        a[2].n = line.len;
        kv_shard_cast(sh, sv->mons[j].home, &kv_monitor_line_cmd, 0, 3, a);
    }
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
    s = kv_session_get(ctx->conn, kv_acl_need_auth(ctx->shard, kv_state(ctx)));
    if (s->flags & KV_SESS_MONITOR)
        return; /* already one: Redis says nothing */
    s->flags |= KV_SESS_MONITOR;
    kv_conn_set_no_timeout(ctx->conn, 1);
    kv_reply_status(&ctx->out, "OK");
}

const kv_cmdspec kv_cmds_server_monitor[] = {
    {.name = "monitor", .route = KV_ROUTE_ALL, .exec = kv_cmd_monitor,
     .reduce = kv_reduce_monitor},
    KV_SPEC_END
};
