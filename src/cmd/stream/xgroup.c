/* XGROUP (CREATE, SETID, DESTROY, CREATECONSUMER, DELCONSUMER, HELP) and
 * XACK, Redis 7.0.15's xgroupCommand and xackCommand: options are checked
 * before the key, the key before the group, replies and error texts are
 * Redis's. Only MKSTREAM's new key touches WATCH (signalModifiedKey); each
 * change counts one in dirty and reports its xgroup-* event as Redis. */
#include "cmd/stream/stream.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/block/block.h"
#include "cmd/multi/watch.h"
#include "store/mem.h"
#include "store/t_stream_cg.h"

static void kv_cmd_xgroup_help(kv_ctx *ctx, int argc, const kv_str *argv)
{
    static const char *const lines[] = {
        "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CREATE <key> <groupname> <id|$> [option]",
        "    Create a new consumer group. Options are:",
        "    * MKSTREAM",
        "      Create the empty stream if it does not exist.",
        "    * ENTRIESREAD entries_read",
        "      Set the group's entries_read counter (internal use).",
        "CREATECONSUMER <key> <groupname> <consumer>",
        "    Create a new consumer in the specified group.",
        "DELCONSUMER <key> <groupname> <consumer>",
        "    Remove the specified consumer.",
        "DESTROY <key> <groupname>",
        "    Remove the specified group.",
        "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
        "    Set the current group ID and entries_read counter.",
        "HELP",
        "    Prints this help.",
    };
    (void)argc;
    (void)argv;
    kv_reply_lines(ctx, lines, sizeof lines / sizeof lines[0]);
}

/* ENTRIESREAD's value: 0, or -1 after replying. */
static int parse_entries_read(kv_ctx *ctx, const kv_str *a, long long *v)
{
    if (kv_arg_ll_or_reply(ctx, a, v) != 0)
        return -1;
    if (*v < 0 && *v != KV_SCG_INVALID_READ) {
        kv_reply_error(&ctx->out, "ERR value for ENTRIESREAD must be positive or -1");
        return -1;
    }
    return 0;
}

/* The common part of every subcommand but HELP: the stream (missing is an
 * error unless mkstream) and, when need_group, the group. 0, or -1 after
 * replying. */
static int xgroup_target(kv_ctx *ctx, const kv_str *argv, int mkstream, int need_group,
                         kv_obj **o, kv_scg **cg)
{
    if (kv_stream_write(ctx, &argv[2], o) != 0)
        return -1;
    *cg = NULL;
    if (mkstream)
        return 0;
    if (!*o) {
        kv_reply_error(&ctx->out,
                       "ERR The XGROUP subcommand requires the key to exist. Note that for "
                       "CREATE you may want to use the MKSTREAM option to create an empty "
                       "stream automatically.");
        return -1;
    }
    *cg = kv_stream_cg_find(kv_stream_of(*o), argv[3].p, argv[3].n);
    if (!*cg && need_group) {
        kv_reply_errorf(&ctx->out, "NOGROUP No such consumer group '%.*s' for key name '%.*s'",
                        KV_ARGF(&argv[3]), KV_ARGF(&argv[2]));
        return -1;
    }
    return 0;
}

static void kv_cmd_xgroup_create(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long entries_read = KV_SCG_INVALID_READ;
    int mkstream = 0, i = 5, created;
    kv_obj *o;
    kv_scg *cg;
    kv_sid id;
    while (i < argc) {
        if (kv_arg_eq(&argv[i], "mkstream")) {
            mkstream = 1;
            i++;
        } else if (kv_arg_eq(&argv[i], "entriesread") && i + 1 < argc) {
            if (parse_entries_read(ctx, &argv[i + 1], &entries_read) != 0)
                return;
            i += 2;
        } else {
            kv_reply_sub_arity(ctx, "XGROUP", &argv[1]);
            return;
        }
    }
    if (xgroup_target(ctx, argv, mkstream, 0, &o, &cg) != 0)
        return;
    if (argc > 8) {
        kv_reply_sub_arity(ctx, "XGROUP", &argv[1]);
        return;
    }
    if (argv[4].n == 1 && argv[4].p[0] == '$') {
        id = o ? kv_stream_of(o)->last_id : (kv_sid){0, 0};
    } else if (kv_stream_parse_id(ctx, &argv[4], &id, 0, 1, NULL) != 0) {
        return;
    }
    if (!o) { /* MKSTREAM, now that nothing can fail */
        kv_entry *e = kv_db_upsert(kv_ctx_db(ctx), argv[2].p, argv[2].n, &created);
        o = kv_stream_new();
        kv_obj_set_lru(o, kv_ks_fresh_lru(kv_state(ctx)->ks, kv_now_ms(ctx)));
        kv_set_val(ctx, e, o);
        kv_signal_modified(ctx, ctx->db, &argv[2]);
    }
    if (!kv_stream_cg_create(kv_stream_of(o), argv[3].p, argv[3].n, &id, entries_read)) {
        kv_reply_error(&ctx->out, "BUSYGROUP Consumer Group name already exists");
        return;
    }
    kv_dirty(ctx, 1);
    kv_notify(ctx, KV_NOTIFY_STREAM, "xgroup-create", ctx->db, &argv[2]);
    kv_reply_status(&ctx->out, "OK");
}

static void kv_cmd_xgroup_setid(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long entries_read = KV_SCG_INVALID_READ;
    kv_obj *o;
    kv_scg *cg;
    kv_sid id;
    if (argc == 7) {
        if (!kv_arg_eq(&argv[5], "entriesread")) {
            kv_reply_sub_arity(ctx, "XGROUP", &argv[1]);
            return;
        }
        if (parse_entries_read(ctx, &argv[6], &entries_read) != 0)
            return;
    } else if (argc != 5) {
        kv_reply_sub_arity(ctx, "XGROUP", &argv[1]);
        return;
    }
    if (xgroup_target(ctx, argv, 0, 1, &o, &cg) != 0)
        return;
    if (argv[4].n == 1 && argv[4].p[0] == '$')
        id = kv_stream_of(o)->last_id;
    else if (kv_stream_parse_id(ctx, &argv[4], &id, 0, 0, NULL) != 0)
        return;
    cg->last_id = id;
    cg->entries_read = entries_read;
    kv_dirty(ctx, 1);
    kv_notify(ctx, KV_NOTIFY_STREAM, "xgroup-setid", ctx->db, &argv[2]);
    kv_reply_status(&ctx->out, "OK");
}

static void kv_cmd_xgroup_destroy(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_obj *o;
    kv_scg *cg;
    (void)argc;
    if (xgroup_target(ctx, argv, 0, 0, &o, &cg) != 0)
        return;
    if (!cg) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    kv_stream_cg_destroy(kv_stream_of(o), cg);
    kv_dirty(ctx, 1);
    kv_notify(ctx, KV_NOTIFY_STREAM, "xgroup-destroy", ctx->db, &argv[2]);
    /* Its blocked XREADGROUP clients get NOGROUP (Redis's signalKeyAsReady:
     * no WATCH invalidation). */
    kv_block_touch(ctx, ctx->db, &argv[2]);
    kv_reply_int(&ctx->out, 1);
}

static void kv_cmd_xgroup_createconsumer(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_obj *o;
    kv_scg *cg;
    (void)argc;
    if (xgroup_target(ctx, argv, 0, 1, &o, &cg) != 0)
        return;
    if (!kv_scg_consumer_create(cg, argv[4].p, argv[4].n, kv_now_ms(ctx))) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    kv_dirty(ctx, 1);
    kv_notify(ctx, KV_NOTIFY_STREAM, "xgroup-createconsumer", ctx->db, &argv[2]);
    kv_reply_int(&ctx->out, 1);
}

static void kv_cmd_xgroup_delconsumer(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_obj *o;
    kv_scg *cg;
    kv_sconsumer *c;
    long long pending = 0;
    (void)argc;
    if (xgroup_target(ctx, argv, 0, 1, &o, &cg) != 0)
        return;
    if ((c = kv_scg_consumer_find(cg, argv[4].p, argv[4].n)) != NULL) {
        pending = (long long)c->pel.n;
        kv_scg_consumer_delete(cg, c);
        kv_dirty(ctx, 1);
        kv_notify(ctx, KV_NOTIFY_STREAM, "xgroup-delconsumer", ctx->db, &argv[2]);
    }
    kv_reply_int(&ctx->out, pending);
}

/* XACK key group id...: no key or group acknowledges nothing; every ID is
 * checked before any is acknowledged. */
static void kv_cmd_xack(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_obj *o;
    kv_scg *cg = NULL;
    kv_sid one, *ids = &one;
    long long acked = 0;
    int j, n = argc - 3;
    if (kv_stream_read(ctx, &argv[1], &o) != 0)
        return;
    if (o)
        cg = kv_stream_cg_find(kv_stream_of(o), argv[2].p, argv[2].n);
    if (!cg) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    if (n > 1)
        ids = kv_xmalloc((size_t)n * sizeof *ids);
    for (j = 0; j < n; j++)
        if (kv_stream_parse_id(ctx, &argv[3 + j], &ids[j], 0, 1, NULL) != 0)
            goto done;
    for (j = 0; j < n; j++) {
        kv_snack *nack = kv_spel_find(&cg->pel, &ids[j]);
        if (nack) {
            kv_scg_nack_del(cg, nack);
            acked++;
        }
    }
    kv_dirty(ctx, acked);
    kv_reply_int(&ctx->out, acked);
done:
    if (ids != &one)
        free(ids);
}

static const kv_cmdspec xgroup_subs[] = {
    {.name = "xgroup|help", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_xgroup_help},
    {.name = "xgroup|create", .route = KV_ROUTE_KEY, .exec = kv_cmd_xgroup_create},
    {.name = "xgroup|setid", .route = KV_ROUTE_KEY, .exec = kv_cmd_xgroup_setid},
    {.name = "xgroup|destroy", .route = KV_ROUTE_KEY, .exec = kv_cmd_xgroup_destroy},
    {.name = "xgroup|createconsumer", .route = KV_ROUTE_KEY,
     .exec = kv_cmd_xgroup_createconsumer},
    {.name = "xgroup|delconsumer", .route = KV_ROUTE_KEY, .exec = kv_cmd_xgroup_delconsumer},
    KV_SPEC_END
};

const kv_cmdspec kv_cmds_stream_cg[] = {
    {.name = "xgroup", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_container, .subs = xgroup_subs},
    {.name = "xack", .route = KV_ROUTE_KEY, .exec = kv_cmd_xack},
    KV_SPEC_END
};
