/* CLIENT: connection introspection and control over every shard. LIST and
 * KILL run on all shards (each looks at its own connections; LIST's lines
 * are merged by client id), PAUSE/UNPAUSE set every shard's pause (the
 * before_exec hook then defers commands), the rest act on the caller. */
#include "cmd/acl/acl.h"
#include "cmd/block/block.h"
#include "cmd/multi/multi.h"
#include "cmd/pubsub/pubsub.h"
#include "cmd/pubsub/tracking.h"
#include "cmd/server/svc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static kv_session *kv_sess(kv_ctx *ctx)
{
    return kv_session_get(ctx->conn, kv_acl_need_auth(ctx->shard, kv_state(ctx)));
}

/* ------------------------------------------------------------ the lines */

/* Redis 7.0's CLIENT LIST line. Memory figures are kevy's buffers;
 * tot-mem is what client eviction weighs (kv_conn_memory). */
static void kv_line(kv_buf *b, kv_conn *c, long long now_ms, size_t argv_mem)
{
    kv_session *s = kv_conn_data(c);
    kv_conn_info ci;
    char flags[16], *f = flags, tmp[1024];
    size_t totmem, multi_mem, multi_bytes;
    long long sub, psub, ssub;
    int n, queued;
    kv_conn_get_info(c, &ci);
    kv_pubsub_client_counts(c, &sub, &psub, &ssub);
    /* Redis's order (getClientInfoString): O, P, b, t, R, B, e. */
    if (s && (s->flags & KV_SESS_MONITOR))
        *f++ = 'O';
    if (sub + psub + ssub > 0)
        *f++ = 'P';
    if (kv_block_client_blocked(c))
        *f++ = 'b';
    f += kv_tracking_list_flags(c, f);
    if (s && (s->flags & KV_SESS_NO_EVICT))
        *f++ = 'e';
    if (f == flags)
        *f++ = 'N';
    *f = '\0';
    totmem = kv_conn_memory(c);
    kv_multi_info(c, &queued, &multi_bytes, &multi_mem);
    n = snprintf(tmp, sizeof tmp,
                 "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d "
                 "sub=%lld psub=%lld ssub=%lld multi=%d qbuf=%zu qbuf-free=%zu argv-mem=%zu multi-mem=%zu "
                 "rbs=%zu rbp=%zu obl=0 oll=%d omem=%zu tot-mem=%zu events=%s cmd=%s "
                 "user=%s redir=%lld resp=%d\n",
                 ci.id, ci.peer, ci.local, ci.fd, s && s->name ? s->name : "",
                 (now_ms - ci.created_ms) / 1000, (now_ms - ci.last_ms) / 1000, flags, ci.db, sub, psub,
                 ssub, queued,
                 ci.qbuf, ci.qbuf_free, argv_mem, multi_bytes, ci.obuf_cap, ci.obuf_cap,
                 ci.pending_replies > 1 ? ci.pending_replies - 1 : 0, ci.obuf, totmem,
                 ci.writing ? "rw" : "r", ci.last_cmd, kv_session_user_name(s),
                 kv_tracking_redir(c), ci.proto);
    kv_buf_append(b, tmp, (size_t)(n < (int)sizeof tmp ? n : (int)sizeof tmp - 1));
}

void kv_client_line(kv_buf *b, kv_conn *c, long long now_ms)
{
    kv_line(b, c, now_ms, 0);
    if (b->len && b->p[b->len - 1] == '\n')
        b->len--;
}

static size_t kv_argv_mem(int argc, const kv_str *argv)
{
    size_t m = 0;
    int j;
    for (j = 0; j < argc; j++)
        m += argv[j].n;
    return m;
}

/* Client types by name (getClientTypeByName): 0 normal, 1 replica,
 * 2 pubsub, 3 master; -1 unknown. */
static int kv_client_type(const kv_str *a)
{
    if (kv_arg_eq(a, "normal"))
        return 0;
    if (kv_arg_eq(a, "slave") || kv_arg_eq(a, "replica"))
        return 1;
    if (kv_arg_eq(a, "pubsub"))
        return 2;
    if (kv_arg_eq(a, "master"))
        return 3;
    return -1;
}

/* Redis's getClientType: a subscriber is "pubsub"; kevy has no replica or
 * master clients (a MONITOR is "normal", as in Redis). */
static int kv_client_type_of(kv_conn *c)
{
    return kv_pubsub_client_active(c) ? 2 : 0;
}

static int kv_unknown_type(kv_ctx *ctx, const kv_str *a)
{
    kv_reply_errorf(&ctx->out, "ERR Unknown client type '%.*s'", (int)kv_arg_cstrlen(a), a->p);
    return -1;
}

/* ----------------------------------------------------------- CLIENT LIST */

typedef struct kv_listq {
    kv_ctx *ctx;
    kv_buf *out;
    int type; /* -1: any */
    const kv_str *ids;
    int nids;
    int argc;
    const kv_str *argv;
} kv_listq;

static int kv_check_client_list(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long id;
    int j;
    if (argc == 4 && kv_arg_eq(&argv[2], "type")) {
        if (kv_client_type(&argv[3]) < 0)
            return kv_unknown_type(ctx, &argv[3]);
    } else if (argc > 3 && kv_arg_eq(&argv[2], "id")) {
        for (j = 3; j < argc; j++)
            if (!kv_arg_ll(&argv[j], &id)) {
                kv_reply_error(&ctx->out, "ERR Invalid client ID");
                return -1;
            }
    } else if (argc != 2) {
        kv_reply_syntax(ctx);
        return -1;
    }
    return 0;
}

/* Each line goes out as "<rank> <line>": the merge orders by rank (the
 * client id, or with ID filters the argument's position, as Redis lists
 * them in argument order) and drops it. */
static void kv_list_line(kv_listq *q, kv_conn *c, unsigned long long rank)
{
    unsigned long long id = kv_conn_id(c);
    int self = id == q->ctx->client_id && kv_shard_id(q->ctx->shard) == q->ctx->home;
    char prefix[32];
    kv_buf_append(q->out, prefix, (size_t)snprintf(prefix, sizeof prefix, "%llu ", rank));
    kv_line(q->out, c, kv_now_ms(q->ctx), self ? kv_argv_mem(q->argc, q->argv) : 0);
}

static void kv_list_one(void *arg, kv_conn *c)
{
    kv_listq *q = arg;
    if (q->type >= 0 && kv_client_type_of(c) != q->type)
        return;
    kv_list_line(q, c, kv_conn_id(c));
}

/* This shard's lines, as one bulk string. */
static void kv_cmd_client_list(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_listq q;
    kv_buf b;
    if (kv_check_client_list(ctx, argc, argv) != 0)
        return;
    memset(&q, 0, sizeof q);
    kv_buf_init(&b);
    q.ctx = ctx;
    q.out = &b;
    q.type = argc == 4 && kv_arg_eq(&argv[2], "type") ? kv_client_type(&argv[3]) : -1;
    if (argc > 3 && kv_arg_eq(&argv[2], "id")) {
        q.ids = argv + 3;
        q.nids = argc - 3;
    }
    q.argc = argc;
    q.argv = argv;
    if (q.nids) {
        int j;
        for (j = 0; j < q.nids; j++) {
            long long id;
            kv_conn *c;
            if (kv_arg_ll(&q.ids[j], &id) && id > 0 &&
                (c = kv_shard_find_conn(ctx->shard, (unsigned long long)id)))
                kv_list_line(&q, c, (unsigned long long)j);
        }
    } else {
        kv_shard_foreach_conn(ctx->shard, kv_list_one, &q);
    }
    kv_reply_bulk(&ctx->out, b.p ? b.p : "", b.len);
    kv_buf_free(&b);
}

typedef struct kv_lineref {
    unsigned long long id;
    const char *p;
    size_t n;
} kv_lineref;

static int kv_lineref_cmp(const void *a, const void *b)
{
    unsigned long long x = ((const kv_lineref *)a)->id, y = ((const kv_lineref *)b)->id;
    return x < y ? -1 : x > y;
}

/* Every shard's lines, in rank order. */
static void kv_reduce_client_list(kv_ctx *ctx, const kv_part *parts, int nparts)
{
    kv_lineref *refs = NULL;
    size_t n = 0, cap = 0, i;
    kv_buf b;
    int k;
    for (k = 0; k < nparts; k++) {
        const char *p = parts[k].reply, *end = p + parts[k].len, *nl;
        if (parts[k].len == 0 || p[0] != '$') {
            kv_reply_raw(&ctx->out, p, parts[k].len);
            free(refs);
            return;
        }
        p = (const char *)memchr(p, '\n', parts[k].len) + 1;
        end -= 2; /* the bulk's CRLF */
        for (; p < end; p = nl + 1) {
            if (!(nl = memchr(p, '\n', (size_t)(end - p))))
                break;
            if (n == cap) {
                cap = cap ? cap * 2 : 32;
                if (!(refs = realloc(refs, cap * sizeof *refs)))
                    abort();
            }
            {
                char *after;
                refs[n].id = strtoull(p, &after, 10);
                refs[n].p = after + 1;
                refs[n++].n = (size_t)(nl + 1 - (after + 1));
            }
        }
    }
    if (n)
        qsort(refs, n, sizeof *refs, kv_lineref_cmp);
    kv_buf_init(&b);
    for (i = 0; i < n; i++)
        kv_buf_append(&b, refs[i].p, refs[i].n);
    kv_reply_verbatim(&ctx->out, b.p ? b.p : "", b.len, "txt");
    kv_buf_free(&b);
    free(refs);
}

static void kv_cmd_client_info(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_buf b;
    kv_buf_init(&b);
    kv_line(&b, ctx->conn, kv_now_ms(ctx), kv_argv_mem(argc, argv));
    kv_reply_verbatim(&ctx->out, b.p, b.len, "txt");
    kv_buf_free(&b);
}

/* ----------------------------------------------------------- CLIENT KILL */

typedef struct kv_killq {
    kv_ctx *ctx;
    int old;   /* CLIENT KILL addr: may kill the caller */
    long long id;
    int type;
    const kv_str *addr, *laddr, *user;
    int skipme;
    long long killed;
} kv_killq;

static int kv_addr_eq(const kv_str *a, const char *s)
{
    return strlen(s) == a->n && memcmp(s, a->p, a->n) == 0;
}

/* Parse the filters; 0, or -1 with the error replied. */
static int kv_kill_parse(kv_ctx *ctx, int argc, const kv_str *argv, kv_killq *q)
{
    int i;
    memset(q, 0, sizeof q[0]);
    q->ctx = ctx;
    q->type = -1;
    q->skipme = 1;
    if (argc == 3) {
        q->old = 1;
        q->addr = &argv[2];
        q->skipme = 0; /* with the old form you can kill yourself */
        return 0;
    }
    for (i = 2; i < argc; i += 2) {
        int more = argc > i + 1;
        if (kv_arg_eq(&argv[i], "id") && more) {
            if (!kv_arg_ll(&argv[i + 1], &q->id) || q->id < 1) {
                kv_reply_error(&ctx->out, "ERR client-id should be greater than 0");
                return -1;
            }
        } else if (kv_arg_eq(&argv[i], "type") && more) {
            if ((q->type = kv_client_type(&argv[i + 1])) < 0)
                return kv_unknown_type(ctx, &argv[i + 1]);
        } else if (kv_arg_eq(&argv[i], "addr") && more) {
            q->addr = &argv[i + 1];
        } else if (kv_arg_eq(&argv[i], "laddr") && more) {
            q->laddr = &argv[i + 1];
        } else if (kv_arg_eq(&argv[i], "user") && more) {
            q->user = &argv[i + 1];
            if (!kv_acl_find(kv_acl_shard_snap(ctx->shard, kv_state(ctx)), argv[i + 1].p,
                             argv[i + 1].n)) {
                kv_reply_errorf(&ctx->out, "ERR No such user '%.*s'",
                                (int)kv_arg_cstrlen(&argv[i + 1]), argv[i + 1].p);
                return -1;
            }
        } else if (kv_arg_eq(&argv[i], "skipme") && more) {
            if (kv_arg_eq(&argv[i + 1], "yes"))
                q->skipme = 1;
            else if (kv_arg_eq(&argv[i + 1], "no"))
                q->skipme = 0;
            else {
                kv_reply_syntax(ctx);
                return -1;
            }
        } else {
            kv_reply_syntax(ctx);
            return -1;
        }
    }
    return 0;
}

static int kv_check_client_kill(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_killq q;
    return kv_kill_parse(ctx, argc, argv, &q);
}

static void kv_kill_one(void *arg, kv_conn *c)
{
    kv_killq *q = arg;
    unsigned long long id = kv_conn_id(c);
    int self = id == q->ctx->client_id && kv_shard_id(q->ctx->shard) == q->ctx->home;
    if (q->id && (unsigned long long)q->id != id)
        return;
    if (q->type >= 0 && kv_client_type_of(c) != q->type)
        return;
    if (q->addr && !kv_addr_eq(q->addr, kv_conn_peer(c)))
        return;
    if (q->laddr && !kv_addr_eq(q->laddr, kv_conn_local(c)))
        return;
    if (q->user && !kv_addr_eq(q->user, kv_session_user_name(kv_conn_data(c))))
        return;
    if (self && q->skipme)
        return;
    q->killed++;
    if (self)
        kv_conn_close_after_reply(c); /* the reply still goes out */
    else
        kv_conn_kill(c);
}

/* Each shard kills its own matching clients. The old form's part is an
 * array so the merge can tell the forms apart. */
static void kv_cmd_client_kill(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_killq q;
    if (kv_kill_parse(ctx, argc, argv, &q) != 0)
        return;
    kv_shard_foreach_conn(ctx->shard, kv_kill_one, &q);
    if (q.old)
        kv_reply_array(&ctx->out, 1);
    kv_reply_int(&ctx->out, q.killed);
}

static void kv_reduce_client_kill(kv_ctx *ctx, const kv_part *parts, int nparts)
{
    long long sum = 0, v;
    int k, old = 0;
    for (k = 0; k < nparts; k++) {
        const char *p = parts[k].reply;
        size_t len = parts[k].len;
        if (len && p[0] == '*') {
            old = 1;
            p += 4;
            len -= 4;
        }
        if (!kv_resp_reply_int(p, len, &v)) {
            kv_reply_raw(&ctx->out, parts[k].reply, parts[k].len);
            return;
        }
        sum += v;
    }
    if (!old)
        kv_reply_int(&ctx->out, sum);
    else if (sum == 0)
        kv_reply_error(&ctx->out, "ERR No such client");
    else
        kv_reply_status(&ctx->out, "OK");
}

/* ---------------------------------------------------------- PAUSE, UNPAUSE */

static int kv_pause_parse(kv_ctx *ctx, int argc, const kv_str *argv, long long *ms, int *type)
{
    if (argc > 4)
        return kv_reply_sub_arity(ctx, "CLIENT", &argv[1]);
    if (!kv_arg_ll(&argv[2], ms)) {
        kv_reply_error(&ctx->out, "ERR timeout is not an integer or out of range");
        return -1;
    }
    if (*ms < 0) {
        kv_reply_error(&ctx->out, "ERR timeout is negative");
        return -1;
    }
    *type = 2;
    if (argc == 4) {
        if (kv_arg_eq(&argv[3], "write"))
            *type = 1;
        else if (!kv_arg_eq(&argv[3], "all")) {
            kv_reply_error(&ctx->out, "ERR CLIENT PAUSE mode must be WRITE or ALL");
            return -1;
        }
    }
    return 0;
}

static int kv_check_client_pause(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long ms;
    int type;
    return kv_pause_parse(ctx, argc, argv, &ms, &type);
}

/* A longer or stronger pause wins over the one in effect. */
static void kv_cmd_client_pause(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_svc *sv = kv_svc_of(ctx);
    long long ms, now = kv_now_ms(ctx), end;
    int type = 2;
    if (kv_pause_parse(ctx, argc, argv, &ms, &type) != 0)
        return;
    end = ms > LLONG_MAX - now ? LLONG_MAX : now + ms;
    if (!kv_svc_paused(sv, now)) {
        sv->pause_type = type;
        sv->pause_end_ms = end;
    } else {
        if (type > sv->pause_type)
            sv->pause_type = type;
        if (end > sv->pause_end_ms)
            sv->pause_end_ms = end;
    }
    kv_reply_status(&ctx->out, "OK");
}

static void kv_cmd_client_unpause(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    (void)argv;
    kv_svc_of(ctx)->pause_type = 0;
    kv_shard_retry_deferred(ctx->shard);
    kv_reply_status(&ctx->out, "OK");
}

/* ------------------------------------------------- the caller's settings */

static void kv_cmd_client_id(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    (void)argv;
    kv_reply_int(&ctx->out, (long long)ctx->client_id);
}

static void kv_cmd_client_setname(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    if (!kv_session_valid_name(argv[2].p, argv[2].n)) {
        kv_reply_error(&ctx->out,
                       "ERR Client names cannot contain spaces, newlines or special characters.");
        return;
    }
    kv_session_set_name(kv_sess(ctx), argv[2].p, argv[2].n);
    kv_reply_status(&ctx->out, "OK");
}

static void kv_cmd_client_getname(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_session *s = kv_sess(ctx);
    (void)argc;
    (void)argv;
    if (s->name)
        kv_reply_bulk_cstr(&ctx->out, s->name);
    else
        kv_reply_null(&ctx->out);
}

/* OFF and SKIP reply nothing themselves; SKIP does nothing while OFF. */
static void kv_cmd_client_reply(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_session *s = kv_sess(ctx);
    (void)argc;
    if (kv_arg_eq(&argv[2], "on")) {
        s->flags &= ~KV_SESS_REPLY_OFF;
        kv_conn_set_reply_mode(ctx->conn, KV_REPLY_ON);
        kv_reply_status(&ctx->out, "OK");
    } else if (kv_arg_eq(&argv[2], "off")) {
        s->flags |= KV_SESS_REPLY_OFF;
        kv_conn_set_reply_mode(ctx->conn, KV_REPLY_OFF);
    } else if (kv_arg_eq(&argv[2], "skip")) {
        if (!(s->flags & KV_SESS_REPLY_OFF))
            kv_conn_set_reply_mode(ctx->conn, KV_REPLY_SKIP);
    } else {
        kv_reply_syntax(ctx);
    }
}

static void kv_cmd_client_no_evict(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_session *s = kv_sess(ctx);
    (void)argc;
    if (kv_arg_eq(&argv[2], "on"))
        s->flags |= KV_SESS_NO_EVICT;
    else if (kv_arg_eq(&argv[2], "off"))
        s->flags &= ~KV_SESS_NO_EVICT;
    else {
        kv_reply_syntax(ctx);
        return;
    }
    kv_conn_set_no_evict(ctx->conn, (s->flags & KV_SESS_NO_EVICT) != 0);
    kv_reply_status(&ctx->out, "OK");
}

static void kv_cmd_client_help(kv_ctx *ctx, int argc, const kv_str *argv)
{
    static const char *const lines[] = {
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Control server assisted client side caching.",
        "TRACKINGINFO",
        "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
        "HELP",
        "    Prints this help.",
    };
    (void)argc;
    (void)argv;
    kv_reply_lines(ctx, lines, sizeof lines / sizeof lines[0]);
}

/* CLIENT REPLY ON turns replies back on before it runs, so its own OK is
 * sent. */
static void kv_prepare_client_reply(kv_ctx *ctx, int argc, const kv_str *argv)
{
    if (argc == 3 && kv_arg_eq(&argv[2], "on"))
        kv_conn_set_reply_mode(ctx->conn, KV_REPLY_ON);
}

static const kv_cmdspec kv_client_subs[] = {
    {.name = "client|caching", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_client_caching},
    {.name = "client|getname", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_client_getname},
    {.name = "client|getredir", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_client_getredir},
    {.name = "client|help", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_client_help},
    {.name = "client|id", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_client_id},
    {.name = "client|info", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_client_info},
    {.name = "client|kill", .route = KV_ROUTE_ALL, .exec = kv_cmd_client_kill,
     .reduce = kv_reduce_client_kill, .check = kv_check_client_kill},
    {.name = "client|list", .route = KV_ROUTE_ALL, .exec = kv_cmd_client_list,
     .reduce = kv_reduce_client_list, .check = kv_check_client_list},
    {.name = "client|no-evict", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_client_no_evict},
    {.name = "client|pause", .route = KV_ROUTE_ALL, .exec = kv_cmd_client_pause,
     .reduce = kv_reduce_first, .check = kv_check_client_pause},
    {.name = "client|reply", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_client_reply,
     .prepare = kv_prepare_client_reply},
    {.name = "client|setname", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_client_setname},
    /* Looks for a REDIRECT target on every shard and puts BCAST prefixes
     * in every shard's table before it replies (pubsub/tracking.h). */
    {.name = "client|tracking", .route = KV_ROUTE_COORD, .flags = KV_CMD_COORD_ALWAYS,
     .exec = kv_cmd_client_tracking, .coord = kv_coord_client_tracking},
    {.name = "client|trackinginfo", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_client_trackinginfo},
    {.name = "client|unblock", .route = KV_ROUTE_ALL, .exec = kv_cmd_client_unblock,
     .reduce = kv_reduce_sum, .check = kv_check_client_unblock},
    {.name = "client|unpause", .route = KV_ROUTE_ALL, .exec = kv_cmd_client_unpause,
     .reduce = kv_reduce_first},
    KV_SPEC_END
};

const kv_cmdspec kv_cmds_server_client[] = {
    {.name = "client", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_container, .subs = kv_client_subs},
    KV_SPEC_END
};
