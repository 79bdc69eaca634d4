/* Client-side caching, the client side: CLIENT TRACKING, CACHING, GETREDIR
 * and TRACKINGINFO (Redis 7.0's checks, in its order), the client's state
 * on its home shard, and what before_exec attaches to each command. CLIENT
 * TRACKING is a coordination with more than one shard: a REDIRECT target
 * that is not here is looked for on every shard (its home is remembered),
 * and BCAST prefixes reach every shard's table before the reply. */
#include "cmd/pubsub/tracking.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/server/session.h"

static kv_trkclient *kv_trk_get(kv_ctx *ctx, int create)
{
    kv_session *s = kv_session_get(ctx->conn, 0) /* made by before_exec */;
    if (!s->trk && create && !(s->trk = calloc(1, sizeof *s->trk)))
        abort();
    return s->trk;
}

void kv_trkclient_free(kv_trkclient *tc)
{
    size_t i;
    if (!tc)
        return;
    for (i = 0; i < tc->nprefixes; i++)
        free((void *)(uintptr_t)tc->prefixes[i].p);
    free(tc->prefixes);
    free(tc);
}

/* ------------------------------------------------------ before_exec */

/* Is cmd a CLIENT subcommand? (CLIENT CACHING's effect survives them, as
 * Redis's resetClient keeps the flag after clientCommand.) */
static int kv_trk_is_client(const kv_ctx *ctx)
{
    const kv_cmd *parent = kv_cmd_find(kv_state(ctx)->srv, "client", 6), *subs;
    size_t n;
    if (!parent)
        return 0;
    if (ctx->cmd == parent)
        return 1;
    subs = kv_cmd_subs(parent, &n);
    return subs && ctx->cmd >= subs && ctx->cmd < subs + n;
}

void kv_tracking_before_exec(kv_ctx *ctx, int verdict)
{
    kv_session *s = kv_conn_data(ctx->conn);
    kv_trkclient *tc = s ? s->trk : NULL;
    unsigned f = 0;
    if (!tc)
        return; /* never tracked: its requests carry nothing */
    if (verdict == KV_EXEC_QUEUED) {
        tc->caching_ends = 0; /* inside MULTI, CACHING lasts until EXEC */
        return;
    }
    if (tc->caching_ends)
        tc->flags &= ~KV_TRK_CACHING;
    tc->caching_ends = !kv_trk_is_client(ctx);
    if ((tc->flags & (KV_TRK_ON | KV_TRK_BCAST)) == KV_TRK_ON) {
        int caching = (tc->flags & KV_TRK_CACHING) != 0;
        if (!(((tc->flags & KV_TRK_OPTIN) && !caching) || ((tc->flags & KV_TRK_OPTOUT) && caching)))
            f = KV_TRK_REQ;
    }
    kv_conn_set_req_flags(ctx->conn, f);
}

/* -------------------------------------------------------- CLIENT LIST */

size_t kv_tracking_list_flags(const kv_conn *c, char *out)
{
    const kv_session *s = kv_conn_data(c);
    const kv_trkclient *tc = s ? s->trk : NULL;
    size_t n = 0;
    if (!tc || !(tc->flags & KV_TRK_ON))
        return 0;
    out[n++] = 't';
    if (tc->flags & KV_TRK_BROKEN)
        out[n++] = 'R';
    if (tc->flags & KV_TRK_BCAST)
        out[n++] = 'B';
    return n;
}

long long kv_tracking_redir(const kv_conn *c)
{
    const kv_session *s = kv_conn_data(c);
    const kv_trkclient *tc = s ? s->trk : NULL;
    return tc && (tc->flags & KV_TRK_ON) ? (long long)tc->redir : -1;
}

/* ------------------------------------------------------- disconnection */

static void kv_trk_disable(kv_shard *sh, kv_tracking *t, kv_trkclient *tc, unsigned long long id,
                           kv_coord *co, int *sent)
{
    size_t i;
    if (tc->flags & KV_TRK_BCAST) {
        for (i = 0; i < tc->nprefixes; i++)
            kv_trk_prefix_del(t, tc->prefixes[i].p, tc->prefixes[i].n, kv_shard_id(sh), id);
        *sent += kv_trk_prefix_send(sh, co, 0, id, tc->prefixes, tc->nprefixes);
        for (i = 0; i < tc->nprefixes; i++)
            free((void *)(uintptr_t)tc->prefixes[i].p);
        free(tc->prefixes);
        tc->prefixes = NULL;
        tc->nprefixes = 0;
    }
    if (tc->flags & KV_TRK_ON) {
        kv_trk_home_count(t, -1);
        tc->flags = 0; /* Redis clears every tracking flag, CACHING included */
    }
}

void kv_tracking_client_gone(kv_shard *sh, kv_cmdstate *st, kv_conn *c)
{
    kv_session *s = kv_conn_data(c);
    int sent = 0;
    if (!s || !s->trk)
        return;
    kv_trk_disable(sh, st->trk, s->trk, kv_conn_id(c), NULL, &sent);
    kv_trkclient_free(s->trk);
    s->trk = NULL;
    kv_conn_set_req_flags(c, 0); /* RESET: its next commands carry nothing */
}

/* ----------------------------------------------------- CLIENT TRACKING */

typedef struct kv_trkop {
    int on;            /* 1 ON, 0 OFF, -1 neither */
    unsigned opts;     /* KV_TRK_BCAST, OPTIN, OPTOUT, NOLOOP */
    long long redir;   /* REDIRECT's id (0: none) */
    int redir_at;      /* its argv index, 0 if none */
    const char *err;   /* the first parse error, or NULL */
    int err_at;
    kv_str *prefixes;  /* into argv (the coordination's copy lives long enough) */
    size_t nprefixes;
    int redir_home;    /* where the target is, -1 if nowhere */
    kv_buf reply;
} kv_trkop;

static void kv_trkop_free(void *p)
{
    kv_trkop *op = p;
    free(op->prefixes);
    kv_buf_free(&op->reply);
    free(op);
}

/* Redis's option loop: stops at the first error; REDIRECT's target is
 * checked where it stands, so an error after it shows only if it exists. */
static kv_trkop *kv_trk_parse(int argc, const kv_str *argv)
{
    kv_trkop *op = calloc(1, sizeof *op);
    int j;
    if (!op || !(op->prefixes = malloc((size_t)argc * sizeof *op->prefixes)))
        abort();
    kv_buf_init(&op->reply);
    op->redir_home = -1;
    op->on = kv_arg_eq(&argv[2], "on") ? 1 : kv_arg_eq(&argv[2], "off") ? 0 : -1;
    for (j = 3; j < argc; j++) {
        int more = argc - 1 - j;
        if (kv_arg_eq(&argv[j], "redirect") && more) {
            j++;
            if (op->redir_at) {
                op->err = "ERR A client can only redirect to a single other client";
            } else if (!kv_arg_ll(&argv[j], &op->redir)) {
                op->err = "ERR value is not an integer or out of range";
            } else {
                op->redir_at = j;
                continue;
            }
            op->err_at = j;
            return op;
        } else if (kv_arg_eq(&argv[j], "bcast")) {
            op->opts |= KV_TRK_BCAST;
        } else if (kv_arg_eq(&argv[j], "optin")) {
            op->opts |= KV_TRK_OPTIN;
        } else if (kv_arg_eq(&argv[j], "optout")) {
            op->opts |= KV_TRK_OPTOUT;
        } else if (kv_arg_eq(&argv[j], "noloop")) {
            op->opts |= KV_TRK_NOLOOP;
        } else if (kv_arg_eq(&argv[j], "prefix") && more) {
            op->prefixes[op->nprefixes++] = argv[++j];
        } else {
            op->err = "ERR syntax error";
            op->err_at = j;
            return op;
        }
    }
    return op;
}

/* Redis's stringCheckPrefix: one is a prefix of the other. */
static int kv_trk_overlap(const kv_str *a, const kv_str *b)
{
    size_t m = a->n < b->n ? a->n : b->n;
    return memcmp(a->p, b->p, m) == 0;
}

static int kv_str_cmp(const void *a, const void *b)
{
    const kv_str *x = a, *y = b;
    size_t m = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->p, y->p, m);
    return c ? c : x->n < y->n ? -1 : x->n > y->n;
}

/* checkPrefixCollisionsOrReply, quirk included: an overlap among the new
 * prefixes found past the first one replies the error and still goes on
 * (Redis 7.0 returns the index as success), so the OK follows it. Returns
 * 0 to go on, -1 to stop. */
static int kv_trk_collisions(kv_reply *r, const kv_trkclient *tc, const kv_trkop *op)
{
    size_t i, j, k;
    for (i = 0; i < op->nprefixes; i++) {
        const kv_str *p = &op->prefixes[i];
        for (k = 0; tc && k < tc->nprefixes; k++)
            if (kv_trk_overlap(&tc->prefixes[k], p)) {
                kv_reply_errorf(r,
                                "ERR Prefix '%.*s' overlaps with an existing prefix '%.*s'. "
                                "Prefixes for a single client must not overlap.",
                                (int)kv_arg_cstrlen(p), p->p,
                                (int)kv_arg_cstrlen(&tc->prefixes[k]), tc->prefixes[k].p);
                return -1;
            }
        for (j = i + 1; j < op->nprefixes; j++)
            if (kv_trk_overlap(p, &op->prefixes[j])) {
                kv_reply_errorf(r,
                                "ERR Prefix '%.*s' overlaps with another provided prefix '%.*s'. "
                                "Prefixes for a single client must not overlap.",
                                (int)kv_arg_cstrlen(p), p->p,
                                (int)kv_arg_cstrlen(&op->prefixes[j]), op->prefixes[j].p);
                return i == 0 ? -1 : 0;
            }
    }
    return 0;
}

/* Add a prefix to the client's sorted set; 1 if it is new. */
static int kv_trk_client_prefix(kv_trkclient *tc, const kv_str *p)
{
    size_t i;
    char *copy;
    for (i = 0; i < tc->nprefixes; i++)
        if (kv_str_cmp(&tc->prefixes[i], p) == 0)
            return 0;
    if (!(tc->prefixes = realloc(tc->prefixes, (tc->nprefixes + 1) * sizeof *tc->prefixes)) ||
        !(copy = malloc(p->n + 1)))
        abort();
    memcpy(copy, p->p, p->n);
    tc->prefixes[tc->nprefixes].p = copy;
    tc->prefixes[tc->nprefixes++].n = p->n;
    qsort(tc->prefixes, tc->nprefixes, sizeof *tc->prefixes, kv_str_cmp);
    return 1;
}

/* The rest of Redis's checks, then enable or disable. The reply goes to
 * r; prefix changes to the other shards go through co (waited for) or are
 * cast. Returns how many shards were sent to. */
static int kv_trk_apply(kv_ctx *ctx, kv_trkop *op, kv_reply *r, kv_coord *co)
{
    kv_cmdstate *st = kv_state(ctx);
    kv_trkclient *tc = kv_trk_get(ctx, 0);
    unsigned cur = tc ? tc->flags : 0;
    unsigned long long id = ctx->client_id;
    kv_str *added;
    size_t i, nadded = 0;
    int sent = 0;
    if (op->redir_at && op->redir_home < 0 && (!op->err || op->err_at > op->redir_at)) {
        kv_reply_error(r, "ERR The client ID you want redirect to does not exist");
        return 0;
    }
    if (op->err || op->on < 0) {
        kv_reply_error(r, op->err ? op->err : "ERR syntax error");
        return 0;
    }
    if (op->on == 0) {
        if (tc)
            kv_trk_disable(ctx->shard, st->trk, tc, id, co, &sent);
        kv_reply_status(r, "OK");
        return sent;
    }
    if (!(op->opts & KV_TRK_BCAST) && op->nprefixes) {
        kv_reply_error(r, "ERR PREFIX option requires BCAST mode to be enabled");
        return 0;
    }
    if ((cur & KV_TRK_ON) && !(cur & KV_TRK_BCAST) != !(op->opts & KV_TRK_BCAST)) {
        kv_reply_error(r, "ERR You can't switch BCAST mode on/off before disabling tracking for "
                          "this client, and then re-enabling it with a different mode.");
        return 0;
    }
    if ((op->opts & KV_TRK_BCAST) && (op->opts & (KV_TRK_OPTIN | KV_TRK_OPTOUT))) {
        kv_reply_error(r, "ERR OPTIN and OPTOUT are not compatible with BCAST");
        return 0;
    }
    if ((op->opts & KV_TRK_OPTIN) && (op->opts & KV_TRK_OPTOUT)) {
        kv_reply_error(r, "ERR You can't specify both OPTIN mode and OPTOUT mode");
        return 0;
    }
    if (((op->opts & KV_TRK_OPTIN) && (cur & KV_TRK_OPTOUT)) ||
        ((op->opts & KV_TRK_OPTOUT) && (cur & KV_TRK_OPTIN))) {
        kv_reply_error(r, "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for "
                          "this client, and then re-enabling it with a different mode.");
        return 0;
    }
    if ((op->opts & KV_TRK_BCAST) && kv_trk_collisions(r, tc, op) != 0)
        return 0;
    /* enableTracking */
    tc = kv_trk_get(ctx, 1);
    if (!(tc->flags & KV_TRK_ON))
        kv_trk_home_count(st->trk, 1);
    tc->flags = KV_TRK_ON | (tc->flags & KV_TRK_CACHING) | op->opts;
    tc->redir = (unsigned long long)op->redir;
    tc->redir_home = op->redir_home;
    if (op->opts & KV_TRK_BCAST) {
        static const kv_str all = {"", 0};
        size_t n = op->nprefixes ? op->nprefixes : 1;
        const kv_str *want = op->nprefixes ? op->prefixes : &all;
        if (!(added = malloc(n * sizeof *added)))
            abort();
        for (i = 0; i < n; i++)
            if (kv_trk_client_prefix(tc, &want[i])) {
                added[nadded++] = want[i];
                kv_trk_prefix_add(st->trk, want[i].p, want[i].n, kv_shard_id(ctx->shard), id);
            }
        sent = kv_trk_prefix_send(ctx->shard, co, 1, id, added, nadded);
        free(added);
    }
    kv_reply_status(r, "OK");
    return sent;
}

/* Internal: tracking|probe {id}: is the client on this shard? */
static void kv_cmd_trk_probe(kv_ctx *ctx, int argc, const kv_str *argv)
{
    unsigned long long id;
    if (argc != 2 || argv[1].n != sizeof id) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    memcpy(&id, argv[1].p, sizeof id);
    kv_reply_int(&ctx->out, kv_shard_find_conn(ctx->shard, id) != NULL);
}

static const kv_cmd kv_trk_probe_cmd = {.name = "tracking|probe", .arity = 2,
                                        .route = KV_ROUTE_LOCAL, .exec = kv_cmd_trk_probe};

/* Does the redirection need looking for elsewhere? Finds it here if it can. */
static int kv_trk_find_local(kv_ctx *ctx, kv_trkop *op)
{
    if (!op->redir_at || op->redir <= 0)
        return 0;
    if (kv_shard_find_conn(ctx->shard, (unsigned long long)op->redir)) {
        op->redir_home = kv_shard_id(ctx->shard);
        return 0;
    }
    return 1;
}

/* One shard (or run at home whole): everything here. */
void kv_cmd_client_tracking(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_trkop *op;
    if (!ctx->conn)
        return;
    op = kv_trk_parse(argc, argv);
    kv_trk_find_local(ctx, op);
    kv_trk_apply(ctx, op, &ctx->out, NULL);
    kv_trkop_free(op);
}

/* Several shards: step 0 parses and looks for the redirection target on
 * the other shards if it is not here; the next step applies and sends the
 * prefix changes; the last replies once every shard has them. */
int kv_coord_client_tracking(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    kv_trkop *op = kv_coord_data(co);
    int step = kv_coord_step(co), i;
    kv_reply r;
    if (step == 0) {
        if (!ctx->conn)
            return KV_COORD_DONE;
        op = kv_trk_parse(argc, argv);
        kv_coord_set_data(co, op, kv_trkop_free);
        if (kv_trk_find_local(ctx, op)) {
            unsigned long long id = (unsigned long long)op->redir;
            kv_str a[2];
            int s;
            a[0].p = "tracking";
            a[0].n = 8;
            a[1].p = (const char *)&id;
            a[1].n = sizeof id;
            for (s = 0; s < kv_shard_count(ctx->shard); s++)
                if (s != kv_shard_id(ctx->shard))
                    kv_coord_send(co, s, 0, &kv_trk_probe_cmd, 2, a);
            return KV_COORD_WAIT;
        }
    } else if (op->reply.len) {
        kv_reply_raw(&ctx->out, op->reply.p, op->reply.len); /* the prefixes are everywhere */
        return KV_COORD_DONE;
    } else if (step == 1 && op->redir_at && op->redir_home < 0) {
        int s, k = 0;
        for (s = 0; s < kv_shard_count(ctx->shard); s++) {
            long long v = 0;
            if (s == kv_shard_id(ctx->shard))
                continue;
            if (kv_resp_reply_int(kv_coord_reply(co, k).p, kv_coord_reply(co, k).n, &v) == 1 &&
                v == 1)
                op->redir_home = s;
            k++;
        }
    }
    if (!ctx->conn)
        return KV_COORD_DONE; /* gone meanwhile: its state went with it */
    r.buf = &op->reply;
    r.proto = ctx->out.proto;
    r.errors = 0;
    i = kv_trk_apply(ctx, op, &r, co);
    if (i > 0)
        return KV_COORD_WAIT;
    kv_reply_raw(&ctx->out, op->reply.p, op->reply.len);
    ctx->out.errors += r.errors;
    return KV_COORD_DONE;
}

/* ------------------------------------------------------ other commands */

void kv_cmd_client_caching(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_trkclient *tc = kv_trk_get(ctx, 0);
    (void)argc;
    if (!tc || !(tc->flags & KV_TRK_ON)) {
        kv_reply_error(&ctx->out, "ERR CLIENT CACHING can be called only when the client is in "
                                  "tracking mode with OPTIN or OPTOUT mode enabled");
        return;
    }
    if (kv_arg_eq(&argv[2], "yes")) {
        if (!(tc->flags & KV_TRK_OPTIN)) {
            kv_reply_error(&ctx->out, "ERR CLIENT CACHING YES is only valid when tracking is "
                                      "enabled in OPTIN mode.");
            return;
        }
    } else if (kv_arg_eq(&argv[2], "no")) {
        if (!(tc->flags & KV_TRK_OPTOUT)) {
            kv_reply_error(&ctx->out, "ERR CLIENT CACHING NO is only valid when tracking is "
                                      "enabled in OPTOUT mode.");
            return;
        }
    } else {
        kv_reply_syntax(ctx);
        return;
    }
    tc->flags |= KV_TRK_CACHING;
    kv_reply_status(&ctx->out, "OK");
}

void kv_cmd_client_getredir(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    (void)argv;
    kv_reply_int(&ctx->out, kv_tracking_redir(ctx->conn));
}

void kv_cmd_client_trackinginfo(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_trkclient *tc = kv_trk_get(ctx, 0);
    unsigned f = tc ? tc->flags : 0;
    const char *names[8];
    int n = 0, i;
    size_t j;
    (void)argc;
    (void)argv;
    names[n++] = f & KV_TRK_ON ? "on" : "off";
    if (f & KV_TRK_BCAST)
        names[n++] = "bcast";
    if (f & KV_TRK_OPTIN) {
        names[n++] = "optin";
        if (f & KV_TRK_CACHING)
            names[n++] = "caching-yes";
    }
    if (f & KV_TRK_OPTOUT) {
        names[n++] = "optout";
        if (f & KV_TRK_CACHING)
            names[n++] = "caching-no";
    }
    if (f & KV_TRK_NOLOOP)
        names[n++] = "noloop";
    if (f & KV_TRK_BROKEN)
        names[n++] = "broken_redirect";
    kv_reply_map(&ctx->out, 3);
    kv_reply_bulk_cstr(&ctx->out, "flags");
    kv_reply_set(&ctx->out, n);
    for (i = 0; i < n; i++)
        kv_reply_bulk_cstr(&ctx->out, names[i]);
    kv_reply_bulk_cstr(&ctx->out, "redirect");
    kv_reply_int(&ctx->out, kv_tracking_redir(ctx->conn));
    kv_reply_bulk_cstr(&ctx->out, "prefixes");
    kv_reply_array(&ctx->out, tc ? (long)tc->nprefixes : 0);
    for (j = 0; tc && j < tc->nprefixes; j++)
        kv_reply_bulk(&ctx->out, tc->prefixes[j].p, tc->prefixes[j].n);
}
