/* XINFO STREAM [FULL [COUNT n]] and XINFO HELP, Redis 7.0.15's replies
 * (7.0's max-deleted-entry-id, entries-added and recorded-first-entry-id
 * included). The radix-tree figures are those of the rax Redis would hold
 * for the same nodes (t_stream_check.c). XINFO GROUPS and CONSUMERS come
 * with consumer groups. */
#include "cmd/stream/stream.h"

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
        kv_reply_array(r, 0);
        return;
    }
    kv_reply_bulk_cstr(r, "groups");
    kv_reply_int(r, 0);
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
    KV_SPEC_END
};

const kv_cmdspec kv_cmds_stream_xinfo[] = {
    {.name = "xinfo", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_container, .subs = xinfo_subs},
    KV_SPEC_END
};
