/* XPENDING (summary and extended, IDLE, consumer filter), XCLAIM and
 * XAUTOCLAIM, Redis 7.0.15's xpendingCommand, xclaimCommand and
 * xautoclaimCommand, and what the stream commands log to the AOF in
 * place of themselves (Redis's streamPropagateXCLAIM, GroupID and
 * ConsumerCreation): an idempotent XCLAIM ... FORCE JUSTID LASTID per
 * pending entry they touch, XGROUP SETID, XGROUP CREATECONSUMER. */
#include "cmd/stream/stream.h"

#include <stdio.h>
#include <string.h>

#include "store/mem.h"
#include "store/t_stream_cg.h"

/* ------------------------------------------------------- propagation */

void kv_stream_propagate_xclaim(kv_ctx *ctx, const kv_str *key, const kv_str *group,
                                const kv_scg *cg, const kv_sid *id, const kv_snack *nack)
{
    char sid[48], last[48], when[32], count[32];
    kv_str a[14] = {{"XCLAIM", 6}, {0, 0}, {0, 0}, {0, 0}, {"0", 1}, {0, 0}, {"TIME", 4},
                    {0, 0}, {"RETRYCOUNT", 10}, {0, 0}, {"FORCE", 5}, {"JUSTID", 6},
                    {"LASTID", 6}, {0, 0}};
    a[1] = *key;
    a[2] = *group;
    a[3].p = nack->consumer->name;
    a[3].n = nack->consumer->nlen;
    a[5].p = sid;
    a[5].n = kv_sid_fmt(sid, id);
    a[7].p = when;
    a[7].n = (size_t)snprintf(when, sizeof when, "%lld", nack->delivery_time);
    a[9].p = count;
    a[9].n = (size_t)snprintf(count, sizeof count, "%lld", nack->delivery_count);
    a[13].p = last;
    a[13].n = kv_sid_fmt(last, &cg->last_id);
    kv_propagate(ctx, 14, a);
}

void kv_stream_propagate_setid(kv_ctx *ctx, const kv_str *key, const kv_str *group,
                               const kv_scg *cg)
{
    char last[48], read[32];
    kv_str a[7] = {{"XGROUP", 6}, {"SETID", 5}, {0, 0}, {0, 0}, {0, 0}, {"ENTRIESREAD", 11},
                   {0, 0}};
    a[2] = *key;
    a[3] = *group;
    a[4].p = last;
    a[4].n = kv_sid_fmt(last, &cg->last_id);
    a[6].p = read;
    a[6].n = (size_t)snprintf(read, sizeof read, "%lld", cg->entries_read);
    kv_propagate(ctx, 7, a);
}

void kv_stream_propagate_consumer(kv_ctx *ctx, const kv_str *key, const kv_str *group,
                                  const kv_sconsumer *c)
{
    kv_str a[5] = {{"XGROUP", 6}, {"CREATECONSUMER", 14}, {0, 0}, {0, 0}, {0, 0}};
    a[2] = *key;
    a[3] = *group;
    a[4].p = c->name;
    a[4].n = c->nlen;
    kv_propagate(ctx, 5, a);
}

kv_sconsumer *kv_stream_consumer_get(kv_ctx *ctx, kv_scg *cg, const kv_str *key,
                                     const kv_str *name, int *created)
{
    kv_sconsumer *c = kv_scg_consumer_find(cg, name->p, name->n);
    *created = 0;
    if (c) { /* Redis's streamLookupConsumer(SLC_DEFAULT) refreshes it */
        c->seen_time = kv_now_ms(ctx);
        return c;
    }
    c = kv_scg_consumer_create(cg, name->p, name->n, kv_now_ms(ctx));
    kv_dirty(ctx, 1);
    kv_notify(ctx, KV_NOTIFY_STREAM, "xgroup-createconsumer", ctx->db, key);
    *created = 1;
    return c;
}

/* The stream and group for XPENDING, XCLAIM, XAUTOCLAIM: 0, or -1 after
 * WRONGTYPE or NOGROUP. */
static int stream_group(kv_ctx *ctx, const kv_str *argv, kv_obj **o, kv_scg **cg)
{
    if (kv_stream_read(ctx, &argv[1], o) != 0)
        return -1;
    *cg = *o ? kv_stream_cg_find(kv_stream_of(*o), argv[2].p, argv[2].n) : NULL;
    if (!*cg) {
        kv_reply_errorf(&ctx->out, "NOGROUP No such key '%.*s' or consumer group '%.*s'",
                        KV_ARGF(&argv[1]), KV_ARGF(&argv[2]));
        return -1;
    }
    return 0;
}

/* ----------------------------------------------------------- XPENDING */

static void xpending_summary(kv_reply *r, const kv_scg *cg)
{
    kv_defer d;
    kv_reply *dr;
    size_t i;
    long n = 0;
    kv_reply_array(r, 4);
    kv_reply_int(r, (long long)cg->pel.n);
    if (cg->pel.n == 0) {
        kv_reply_null(r);
        kv_reply_null(r);
        kv_reply_null_array(r);
        return;
    }
    kv_reply_sid(r, &kv_spel_first(&cg->pel)->id);
    kv_reply_sid(r, &kv_spel_last(&cg->pel)->id);
    dr = kv_defer_start(&d, r);
    for (i = 0; i < cg->ncons; i++) {
        const kv_sconsumer *c = cg->cons[i];
        if (c->pel.n == 0)
            continue;
        kv_reply_array(dr, 2);
        kv_reply_bulk(dr, c->name, c->nlen);
        kv_reply_bulk_ll(dr, (long long)c->pel.n);
        n++;
    }
    kv_defer_end(&d, r, n);
}

static void kv_cmd_xpending(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_sid start, end;
    long long count = 0, minidle = 0, now;
    int sx, ex, si = 3;
    const kv_str *cname = NULL;
    kv_obj *o;
    kv_scg *cg;
    const kv_spel *pel;
    const kv_snack *nack;
    kv_defer d;
    kv_reply *dr;
    long n = 0;
    if (argc != 3 && (argc < 6 || argc > 9)) {
        kv_reply_syntax(ctx);
        return;
    }
    if (argc >= 6) {
        if (kv_arg_eq(&argv[3], "idle")) {
            if (kv_arg_ll_or_reply(ctx, &argv[4], &minidle) != 0)
                return;
            if (argc < 8) {
                kv_reply_syntax(ctx);
                return;
            }
            si += 2;
        }
        if (kv_arg_ll_or_reply(ctx, &argv[si + 2], &count) != 0)
            return;
        if (count < 0)
            count = 0;
        if (kv_stream_parse_bound(ctx, &argv[si], &start, &sx, 0) != 0)
            return;
        if (sx && kv_sid_incr(&start) != 0) {
            kv_reply_error(&ctx->out, "ERR invalid start ID for the interval");
            return;
        }
        if (kv_stream_parse_bound(ctx, &argv[si + 1], &end, &ex, UINT64_MAX) != 0)
            return;
        if (ex && kv_sid_decr(&end) != 0) {
            kv_reply_error(&ctx->out, "ERR invalid end ID for the interval");
            return;
        }
        if (si + 3 < argc)
            cname = &argv[si + 3];
    }
    if (stream_group(ctx, argv, &o, &cg) != 0)
        return;
    if (argc == 3) {
        xpending_summary(&ctx->out, cg);
        return;
    }
    pel = &cg->pel;
    if (cname) {
        const kv_sconsumer *c = kv_scg_consumer_find(cg, cname->p, cname->n);
        if (!c) {
            kv_reply_array(&ctx->out, 0);
            return;
        }
        pel = &c->pel;
    }
    now = kv_now_ms(ctx);
    dr = kv_defer_start(&d, &ctx->out);
    for (nack = kv_spel_seek(pel, &start); count && nack; nack = kv_spel_next(pel, nack)) {
        long long idle = now - nack->delivery_time;
        if (kv_sid_cmp(&nack->id, &end) > 0)
            break;
        if (minidle && idle < minidle)
            continue;
        n++;
        count--;
        kv_reply_array(dr, 4);
        kv_reply_sid(dr, &nack->id);
        kv_reply_bulk(dr, nack->consumer->name, nack->consumer->nlen);
        kv_reply_int(dr, idle < 0 ? 0 : idle);
        kv_reply_int(dr, nack->delivery_count);
    }
    kv_defer_end(&d, &ctx->out, n);
}

/* ------------------------------------------------------------- XCLAIM */

/* An integer argument with Redis's custom message: 0, or -1 after it. */
static int ll_or(kv_ctx *ctx, const kv_str *a, long long *v, const char *msg)
{
    if (kv_arg_ll(a, v))
        return 0;
    kv_reply_errorf(&ctx->out, "ERR %s", msg);
    return -1;
}

static void kv_cmd_xclaim(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long minidle, retrycount = -1, deliverytime = -1, now;
    int force = 0, justid = 0, propagate_last = 0, j, last_arg, created;
    kv_sid id, last_id = {0, 0};
    kv_obj *o;
    kv_scg *cg;
    kv_stream *s;
    kv_sconsumer *consumer = NULL;
    kv_defer d;
    kv_reply *dr;
    long n = 0;
    if (stream_group(ctx, argv, &o, &cg) != 0)
        return;
    s = kv_stream_of(o);
    if (ll_or(ctx, &argv[4], &minidle, "Invalid min-idle-time argument for XCLAIM") != 0)
        return;
    if (minidle < 0)
        minidle = 0;
    /* IDs first, until one does not parse: options follow. */
    for (j = 5; j < argc; j++)
        if (kv_stream_parse_id(NULL, &argv[j], &id, 0, 1, NULL) != 0)
            break;
    last_arg = j - 1;
    now = kv_now_ms(ctx);
    for (; j < argc; j++) {
        int more = argc - 1 - j;
        if (kv_arg_eq(&argv[j], "force")) {
            force = 1;
        } else if (kv_arg_eq(&argv[j], "justid")) {
            justid = 1;
        } else if (kv_arg_eq(&argv[j], "idle") && more) {
            if (ll_or(ctx, &argv[++j], &deliverytime,
                      "Invalid IDLE option argument for XCLAIM") != 0)
                return;
            deliverytime = now - deliverytime;
        } else if (kv_arg_eq(&argv[j], "time") && more) {
            if (ll_or(ctx, &argv[++j], &deliverytime,
                      "Invalid TIME option argument for XCLAIM") != 0)
                return;
        } else if (kv_arg_eq(&argv[j], "retrycount") && more) {
            if (ll_or(ctx, &argv[++j], &retrycount,
                      "Invalid RETRYCOUNT option argument for XCLAIM") != 0)
                return;
        } else if (kv_arg_eq(&argv[j], "lastid") && more) {
            if (kv_stream_parse_id(ctx, &argv[++j], &last_id, 0, 1, NULL) != 0)
                return;
        } else {
            kv_reply_errorf(&ctx->out, "ERR Unrecognized XCLAIM option '%.*s'",
                            KV_ARGF(&argv[j]));
            return;
        }
    }
    if (kv_sid_cmp(&last_id, &cg->last_id) > 0) {
        cg->last_id = last_id;
        propagate_last = 1;
    }
    /* A bogus time is now rather than an error: clients compute it from
     * their own clocks. */
    if (deliverytime == -1 || deliverytime < 0 || deliverytime > now)
        deliverytime = now;
    dr = kv_defer_start(&d, &ctx->out);
    for (j = 5; j <= last_arg; j++) {
        kv_snack *nack;
        kv_stream_parse_id(ctx, &argv[j], &id, 0, 1, NULL);
        nack = kv_spel_find(&cg->pel, &id);
        if (!kv_stream_entry_exists(s, &id)) {
            if (nack) { /* gone from the stream: its NACK goes too */
                kv_stream_propagate_xclaim(ctx, &argv[1], &argv[2], cg, &id, nack);
                propagate_last = 0;
                kv_dirty(ctx, 1);
                kv_scg_nack_del(cg, nack);
            }
            continue;
        }
        if (force && !nack)
            nack = kv_scg_nack_add(cg, &id, NULL, now);
        if (!nack)
            continue;
        if (nack->consumer && minidle && now - nack->delivery_time < minidle)
            continue;
        if (!consumer)
            consumer = kv_stream_consumer_get(ctx, cg, &argv[1], &argv[3], &created);
        nack->delivery_time = deliverytime;
        if (retrycount >= 0)
            nack->delivery_count = retrycount;
        else if (!justid)
            nack->delivery_count++;
        kv_scg_nack_move(nack, consumer);
        if (justid)
            kv_reply_sid(dr, &id);
        else if (!kv_stream_reply_one(dr, s, &id))
            kv_reply_null(dr);
        n++;
        kv_stream_propagate_xclaim(ctx, &argv[1], &argv[2], cg, &id, nack);
        propagate_last = 0;
        kv_dirty(ctx, 1);
    }
    if (propagate_last) {
        kv_stream_propagate_setid(ctx, &argv[1], &argv[2], cg);
        kv_dirty(ctx, 1);
    }
    kv_defer_end(&d, &ctx->out, n);
    kv_propagate_none(ctx);
}

/* --------------------------------------------------------- XAUTOCLAIM */

static void kv_cmd_xautoclaim(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long minidle, count = 100, attempts, now;
    kv_sid start, endid = {0, 0}, *deleted;
    int sx, j, justid = 0, created;
    size_t ndel = 0, dcap = 16, k;
    kv_obj *o;
    kv_scg *cg;
    kv_stream *s;
    kv_sconsumer *consumer = NULL;
    kv_snack *next;
    kv_defer d;
    kv_reply *dr;
    long n = 0;
    if (ll_or(ctx, &argv[4], &minidle, "Invalid min-idle-time argument for XAUTOCLAIM") != 0)
        return;
    if (minidle < 0)
        minidle = 0;
    if (kv_stream_parse_bound(ctx, &argv[5], &start, &sx, 0) != 0)
        return;
    if (sx && kv_sid_incr(&start) != 0) {
        kv_reply_error(&ctx->out, "ERR invalid start ID for the interval");
        return;
    }
    for (j = 6; j < argc; j++) {
        int more = argc - 1 - j;
        if (kv_arg_eq(&argv[j], "count") && more) {
            /* Redis's getRangeLong(1, LONG_MAX / 16) */
            if (!kv_arg_ll(&argv[j + 1], &count) || count < 1 ||
                count > 0x7fffffffffffffffLL / 16) {
                kv_reply_error(&ctx->out, "ERR COUNT must be > 0");
                return;
            }
            j++;
        } else if (kv_arg_eq(&argv[j], "justid")) {
            justid = 1;
        } else {
            kv_reply_syntax(ctx);
            return;
        }
    }
    if (stream_group(ctx, argv, &o, &cg) != 0)
        return;
    s = kv_stream_of(o);
    attempts = count * 10;
    now = kv_now_ms(ctx);
    deleted = kv_xmalloc(dcap * sizeof *deleted);
    dr = kv_defer_start(&d, &ctx->out);
    next = kv_spel_seek(&cg->pel, &start);
    while (attempts-- && count && next) {
        kv_snack *nack = next;
        kv_sid id = nack->id;
        next = kv_spel_next(&cg->pel, nack); /* before nack may go */
        if (!kv_stream_entry_exists(s, &id)) {
            kv_stream_propagate_xclaim(ctx, &argv[1], &argv[2], cg, &id, nack);
            kv_dirty(ctx, 1);
            kv_scg_nack_del(cg, nack);
            if (ndel == dcap) {
                dcap *= 2;
                deleted = kv_xrealloc(deleted, dcap * sizeof *deleted);
            }
            deleted[ndel++] = id;
            count--;
            continue;
        }
        if (minidle && now - nack->delivery_time < minidle)
            continue;
        if (!consumer)
            consumer = kv_stream_consumer_get(ctx, cg, &argv[1], &argv[3], &created);
        kv_scg_nack_move(nack, consumer);
        nack->delivery_time = now;
        if (!justid)
            nack->delivery_count++;
        if (justid)
            kv_reply_sid(dr, &id);
        else
            kv_stream_reply_one(dr, s, &id);
        n++;
        count--;
        kv_stream_propagate_xclaim(ctx, &argv[1], &argv[2], cg, &id, nack);
        kv_dirty(ctx, 1);
    }
    if (next) /* the cursor: where the next call starts */
        endid = next->id;
    kv_reply_array(&ctx->out, 3);
    kv_reply_sid(&ctx->out, &endid);
    kv_defer_end(&d, &ctx->out, n);
    kv_reply_array(&ctx->out, (long)ndel);
    for (k = 0; k < ndel; k++)
        kv_reply_sid(&ctx->out, &deleted[k]);
    free(deleted);
    kv_propagate_none(ctx);
}

const kv_cmdspec kv_cmds_stream_claim[] = {
    {.name = "xpending", .route = KV_ROUTE_KEY, .exec = kv_cmd_xpending},
    {.name = "xclaim", .route = KV_ROUTE_KEY, .exec = kv_cmd_xclaim},
    {.name = "xautoclaim", .route = KV_ROUTE_KEY, .exec = kv_cmd_xautoclaim},
    KV_SPEC_END
};
