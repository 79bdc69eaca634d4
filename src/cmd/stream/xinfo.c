/* XINFO STREAM [FULL [COUNT n]], GROUPS, CONSUMERS and HELP, Redis
 * 7.0.15's replies (7.0's max-deleted-entry-id, entries-added,
 * recorded-first-entry-id, a group's entries-read and lag included). The
 * radix-tree figures are those of the rax Redis would hold for the same
 * nodes (t_stream_check.c). */
#include "cmd/stream/stream.h"

#include "store/t_stream_cg.h"

static void kv_cmd_xinfo_help(kv_ctx *ctx, int argc, const kv_str *argv)
{
    static const char *const lines[] = {
        "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CONSUMERS <key> <groupname>",
        "    Show consumers of <groupname>.",
        "GROUPS <key>",
        "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]",
        "    Show information about the stream.",
        "HELP",
        "    Prints this help.",
    };
    (void)argc;
    (void)argv;
    kv_reply_lines(ctx, lines, sizeof lines / sizeof lines[0]);
}

static void reply_entries_read(kv_reply *r, const kv_scg *cg)
{
    if (cg->entries_read != KV_SCG_INVALID_READ)
        kv_reply_int(r, cg->entries_read);
    else
        kv_reply_null(r);
}

static void reply_lag(kv_reply *r, const kv_stream *s, const kv_scg *cg)
{
    int valid;
    long long lag = kv_stream_cg_lag(s, cg, &valid);
    if (valid)
        kv_reply_int(r, lag);
    else
        kv_reply_null(r);
}

/* A PEL's first count NACKs (0: all), with the consumer (the group's) or
 * without (a consumer's). */
static void reply_pel(kv_reply *r, const kv_spel *p, long long count, int with_consumer)
{
    size_t i, n = p->n;
    const kv_snack *nack = kv_spel_first(p);
    if (count > 0 && (size_t)count < n)
        n = (size_t)count;
    kv_reply_array(r, (long)n);
    for (i = 0; i < n; i++, nack = kv_spel_next(p, nack)) {
        kv_reply_array(r, with_consumer ? 4 : 3);
        kv_reply_sid(r, &nack->id);
        if (with_consumer)
            kv_reply_bulk(r, nack->consumer->name, nack->consumer->nlen);
        kv_reply_int(r, nack->delivery_time);
        kv_reply_int(r, nack->delivery_count);
    }
}

static void reply_full_groups(kv_reply *r, const kv_stream *s, long long count)
{
    size_t i, j, n = kv_stream_ngroups(s);
    kv_reply_array(r, (long)n);
    for (i = 0; i < n; i++) {
        const kv_scg *cg = kv_stream_cgs(s)->v[i];
        kv_reply_map(r, 7);
        kv_reply_bulk_cstr(r, "name");
        kv_reply_bulk(r, cg->name, cg->nlen);
        kv_reply_bulk_cstr(r, "last-delivered-id");
        kv_reply_sid(r, &cg->last_id);
        kv_reply_bulk_cstr(r, "entries-read");
        reply_entries_read(r, cg);
        kv_reply_bulk_cstr(r, "lag");
        reply_lag(r, s, cg);
        kv_reply_bulk_cstr(r, "pel-count");
        kv_reply_int(r, (long long)cg->pel.n);
        kv_reply_bulk_cstr(r, "pending");
        reply_pel(r, &cg->pel, count, 1);
        kv_reply_bulk_cstr(r, "consumers");
        kv_reply_array(r, (long)cg->ncons);
        for (j = 0; j < cg->ncons; j++) {
            const kv_sconsumer *c = cg->cons[j];
            kv_reply_map(r, 4);
            kv_reply_bulk_cstr(r, "name");
            kv_reply_bulk(r, c->name, c->nlen);
            kv_reply_bulk_cstr(r, "seen-time");
            kv_reply_int(r, c->seen_time);
            kv_reply_bulk_cstr(r, "pel-count");
            kv_reply_int(r, (long long)c->pel.n);
            kv_reply_bulk_cstr(r, "pending");
            reply_pel(r, &c->pel, count, 0);
        }
    }
}

static void kv_cmd_xinfo_groups(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_reply *r = &ctx->out;
    kv_obj *o;
    kv_stream *s;
    size_t i, n;
    (void)argc;
    if (kv_stream_read(ctx, &argv[2], &o) != 0)
        return;
    if (!o) {
        kv_reply_error(r, "ERR no such key");
        return;
    }
    s = kv_stream_of(o);
    n = kv_stream_ngroups(s);
    kv_reply_array(r, (long)n);
    for (i = 0; i < n; i++) {
        const kv_scg *cg = kv_stream_cgs(s)->v[i];
        kv_reply_map(r, 6);
        kv_reply_bulk_cstr(r, "name");
        kv_reply_bulk(r, cg->name, cg->nlen);
        kv_reply_bulk_cstr(r, "consumers");
        kv_reply_int(r, (long long)cg->ncons);
        kv_reply_bulk_cstr(r, "pending");
        kv_reply_int(r, (long long)cg->pel.n);
        kv_reply_bulk_cstr(r, "last-delivered-id");
        kv_reply_sid(r, &cg->last_id);
        kv_reply_bulk_cstr(r, "entries-read");
        reply_entries_read(r, cg);
        kv_reply_bulk_cstr(r, "lag");
        reply_lag(r, s, cg);
    }
}

static void kv_cmd_xinfo_consumers(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_reply *r = &ctx->out;
    kv_obj *o;
    kv_scg *cg;
    long long now = kv_now_ms(ctx);
    size_t i;
    (void)argc;
    if (kv_stream_read(ctx, &argv[2], &o) != 0)
        return;
    if (!o) {
        kv_reply_error(r, "ERR no such key");
        return;
    }
    if (!(cg = kv_stream_cg_find(kv_stream_of(o), argv[3].p, argv[3].n))) {
        kv_reply_errorf(r, "NOGROUP No such consumer group '%.*s' for key name '%.*s'",
                        KV_ARGF(&argv[3]), KV_ARGF(&argv[2]));
        return;
    }
    kv_reply_array(r, (long)cg->ncons);
    for (i = 0; i < cg->ncons; i++) {
        const kv_sconsumer *c = cg->cons[i];
        long long idle = now - c->seen_time;
        kv_reply_map(r, 3);
        kv_reply_bulk_cstr(r, "name");
        kv_reply_bulk(r, c->name, c->nlen);
        kv_reply_bulk_cstr(r, "pending");
        kv_reply_int(r, (long long)c->pel.n);
        kv_reply_bulk_cstr(r, "idle");
        kv_reply_int(r, idle < 0 ? 0 : idle);
    }
}

static void kv_cmd_xinfo_stream(kv_ctx *ctx, int argc, const kv_str *argv)
{
    static const kv_sid lo = {0, 0}, hi = {UINT64_MAX, UINT64_MAX};
    long long count = 10;
    int full = argc > 3;
    kv_reply *r = &ctx->out;
    kv_obj *o;
    kv_stream *s;
    if (kv_stream_read(ctx, &argv[2], &o) != 0)
        return;
    if (!o) {
        kv_reply_error(r, "ERR no such key");
        return;
    }
    if (full) {
        if ((argc != 4 && argc != 6) || !kv_arg_eq(&argv[3], "full") ||
            (argc == 6 && !kv_arg_eq(&argv[4], "count"))) {
            kv_reply_sub_arity(ctx, "XINFO", &argv[1]);
            return;
        }
        if (argc == 6) {
            if (kv_arg_ll_or_reply(ctx, &argv[5], &count) != 0)
                return;
            if (count < 0)
                count = 10;
        }
    }
    s = kv_stream_of(o);
    kv_reply_map(r, full ? 9 : 10);
    kv_reply_bulk_cstr(r, "length");
    kv_reply_int(r, (long long)s->length);
    kv_reply_bulk_cstr(r, "radix-tree-keys");
    kv_reply_int(r, (long long)s->n);
    kv_reply_bulk_cstr(r, "radix-tree-nodes");
    kv_reply_int(r, (long long)kv_stream_rax_nodes(s));
    kv_reply_bulk_cstr(r, "last-generated-id");
    kv_reply_sid(r, &s->last_id);
    kv_reply_bulk_cstr(r, "max-deleted-entry-id");
    kv_reply_sid(r, &s->max_deleted);
    kv_reply_bulk_cstr(r, "entries-added");
    kv_reply_int(r, (long long)s->entries_added);
    kv_reply_bulk_cstr(r, "recorded-first-entry-id");
    kv_reply_sid(r, &s->first_id);
    if (full) {
        kv_reply_bulk_cstr(r, "entries");
        kv_stream_reply_range(ctx, s, &lo, &hi, (size_t)count, 0);
        kv_reply_bulk_cstr(r, "groups");
        reply_full_groups(r, s, count);
        return;
    }
    kv_reply_bulk_cstr(r, "groups");
    kv_reply_int(r, (long long)kv_stream_ngroups(s));
    kv_reply_bulk_cstr(r, "first-entry");
    if (!kv_stream_reply_entries(r, s, &lo, &hi, 1, 0))
        kv_reply_null(r);
    kv_reply_bulk_cstr(r, "last-entry");
    if (!kv_stream_reply_entries(r, s, &lo, &hi, 1, 1))
        kv_reply_null(r);
}

static const kv_cmdspec xinfo_subs[] = {
    {.name = "xinfo|help", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_xinfo_help},
    {.name = "xinfo|stream", .route = KV_ROUTE_KEY, .exec = kv_cmd_xinfo_stream},
    {.name = "xinfo|groups", .route = KV_ROUTE_KEY, .exec = kv_cmd_xinfo_groups},
    {.name = "xinfo|consumers", .route = KV_ROUTE_KEY, .exec = kv_cmd_xinfo_consumers},
    KV_SPEC_END
};

const kv_cmdspec kv_cmds_stream_xinfo[] = {
    {.name = "xinfo", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_container, .subs = xinfo_subs},
    KV_SPEC_END
};
