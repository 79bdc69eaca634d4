/* XADD and XTRIM: Redis 7.0.15's argument rules (streamParseAddOrTrimArgs:
 * MAXLEN/MINID with = or ~, LIMIT only with ~, NOMKSTREAM, explicit, "ms-*"
 * and "*" IDs), its trimming, and what the AOF logs: an XADD with the ID it
 * generated, and after an approximate trim the arguments rewritten to the
 * exact "= <what is left>" so a replay trims the same entries. */
#include "cmd/stream/stream.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/config/cfg.h"
#include "cmd/multi/watch.h"

typedef struct trim_args {
    int strategy; /* 0, KV_TRIM_MAXLEN, KV_TRIM_MINID */
    int approx;
    long long maxlen, limit;
    kv_sid minid;
    int arg;      /* position of the MAXLEN/MINID value */
    int nomk;
    int id_given, seq_given;
    kv_sid id;
} trim_args;

/* Returns the ID's position for XADD (or argc for XTRIM), -1 after an
 * error reply. */
static int parse_args(kv_ctx *ctx, int argc, const kv_str *argv, trim_args *a, int xadd)
{
    int i, limit_given = 0;
    memset(a, 0, sizeof *a);
    a->maxlen = -1;
    for (i = 2; i < argc; i++) {
        int more = argc - 1 - i;
        const kv_str *o = &argv[i];
        if (xadd && o->n == 1 && o->p[0] == '*')
            break;
        if ((kv_arg_eq(o, "maxlen") || kv_arg_eq(o, "minid")) && more) {
            int maxlen = kv_arg_eq(o, "maxlen");
            const kv_str *next = &argv[i + 1];
            if (a->strategy) {
                kv_reply_error(&ctx->out, "ERR syntax error, MAXLEN and MINID options at the "
                                          "same time are not compatible");
                return -1;
            }
            a->approx = 0;
            if (more >= 2 && next->n == 1 && (next->p[0] == '~' || next->p[0] == '=')) {
                a->approx = next->p[0] == '~';
                i++;
            }
            if (maxlen) {
                if (kv_arg_ll_or_reply(ctx, &argv[i + 1], &a->maxlen) != 0)
                    return -1;
                if (a->maxlen < 0) {
                    kv_reply_error(&ctx->out, "ERR The MAXLEN argument must be >= 0.");
                    return -1;
                }
            } else if (kv_stream_parse_id(ctx, &argv[i + 1], &a->minid, 0, 1, NULL) != 0) {
                return -1;
            }
            i++;
            a->strategy = maxlen ? KV_TRIM_MAXLEN : KV_TRIM_MINID;
            a->arg = i;
        } else if (kv_arg_eq(o, "limit") && more) {
            if (kv_arg_ll_or_reply(ctx, &argv[i + 1], &a->limit) != 0)
                return -1;
            if (a->limit < 0) {
                kv_reply_error(&ctx->out, "ERR The LIMIT argument must be >= 0.");
                return -1;
            }
            limit_given = 1;
            i++;
        } else if (xadd && kv_arg_eq(o, "nomkstream")) {
            a->nomk = 1;
        } else if (xadd) {
            if (kv_stream_parse_id(ctx, o, &a->id, 0, 1, &a->seq_given) != 0)
                return -1;
            a->id_given = 1;
            break;
        } else {
            kv_reply_syntax(ctx);
            return -1;
        }
    }
    if (a->limit && !a->strategy) {
        kv_reply_error(&ctx->out,
                       "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
        return -1;
    }
    if (!xadd && !a->strategy) {
        kv_reply_error(&ctx->out, "ERR syntax error, XTRIM must be called with a trimming strategy");
        return -1;
    }
    if (kv_state(ctx)->ks->loading) {
        a->limit = 0; /* the AOF's arguments were made exact: obey them */
    } else if (limit_given) {
        if (!a->approx) {
            kv_reply_error(&ctx->out,
                           "ERR syntax error, LIMIT cannot be used without the special ~ option");
            return -1;
        }
    } else if (a->approx) {
        long long entries = kv_state(ctx)->cfg->enc.stream_node_entries;
        a->limit = 100 * entries;
        if (a->limit <= 0 || a->limit > 10000)
            a->limit = 10000;
    } else {
        a->limit = 0;
    }
    return i;
}

static long long do_trim(kv_stream *s, const trim_args *a)
{
    return kv_stream_trim(s, a->strategy, (uint64_t)a->maxlen, &a->minid, a->approx, a->limit);
}

/* After an approximate trim the AOF gets "=" and what is left (the length,
 * or the first entry's ID, tombstones included), as Redis rewrites them. */
static void rewrite_trim(const kv_stream *s, const trim_args *a, kv_str *argv, char *buf)
{
    kv_sid first;
    argv[a->arg - 1].p = "=";
    argv[a->arg - 1].n = 1;
    if (a->strategy == KV_TRIM_MAXLEN) {
        argv[a->arg].n = kv_store_ll2str(buf, (long long)s->length);
    } else {
        kv_stream_edge(s, 1, 1, &first);
        argv[a->arg].n = kv_sid_fmt(buf, &first);
    }
    argv[a->arg].p = buf;
}

static void kv_cmd_xadd(kv_ctx *ctx, int argc, const kv_str *argv)
{
    trim_args a;
    int idpos = parse_args(ctx, argc, argv, &a, 1), created;
    const kv_enc_limits *lim = &kv_state(ctx)->cfg->enc;
    kv_entry *e;
    kv_obj *o;
    kv_stream *s;
    kv_sid id;
    size_t total = 0;
    kv_str *prop;
    char idbuf[48], trimbuf[48];
    int j, rewrite;
    if (idpos < 0)
        return;
    if (argc - (idpos + 1) < 2 || (argc - (idpos + 1)) % 2 == 1) {
        kv_reply_errorf(&ctx->out, "ERR wrong number of arguments for '%s' command",
                        ctx->cmd->name);
        return;
    }
    if (a.id_given && a.seq_given && a.id.ms == 0 && a.id.seq == 0) {
        kv_reply_error(&ctx->out, "ERR The ID specified in XADD must be greater than 0-0");
        return;
    }
    e = kv_lookup_write(ctx, &argv[1]);
    if (e && kv_obj_type(kv_entry_val(e)) != KV_TYPE_STREAM) {
        kv_reply_wrongtype(ctx);
        return;
    }
    if (!e) {
        if (a.nomk) {
            kv_reply_null(&ctx->out);
            return;
        }
        e = kv_db_upsert(kv_ctx_db(ctx), argv[1].p, argv[1].n, &created);
        o = kv_stream_new();
        kv_obj_set_lru(o, kv_ks_fresh_lru(kv_state(ctx)->ks, kv_now_ms(ctx)));
        kv_set_val(ctx, e, o);
    }
    o = kv_entry_val(e);
    s = kv_stream_of(o);
    if (s->last_id.ms == UINT64_MAX && s->last_id.seq == UINT64_MAX) {
        kv_reply_error(&ctx->out, "ERR The stream has exhausted the last possible ID, unable "
                                  "to add more items");
        return;
    }
    if (kv_stream_next_id(s, a.id_given ? &a.id : NULL, a.seq_given, (uint64_t)kv_now_ms(ctx),
                          &id) != 0) {
        kv_reply_error(&ctx->out, "ERR The ID specified in XADD is equal or smaller than the "
                                  "target stream top item");
        return;
    }
    for (j = idpos + 1; j < argc; j++)
        total += argv[j].n;
    if (total > KV_STREAM_LP_MAX) {
        kv_reply_error(&ctx->out, "ERR Elements are too large to be stored");
        return;
    }
    kv_stream_append(s, &id, &argv[idpos + 1], (size_t)(argc - idpos - 1) / 2,
                     lim->stream_node_bytes, lim->stream_node_entries);
    kv_reply_bulk(&ctx->out, idbuf, kv_sid_fmt(idbuf, &id));
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    kv_notify(ctx, KV_NOTIFY_STREAM, "xadd", ctx->db, &argv[1]);
    kv_dirty(ctx, 1);
    if (a.strategy && do_trim(s, &a))
        kv_notify(ctx, KV_NOTIFY_STREAM, "xtrim", ctx->db, &argv[1]);
    /* The AOF logs the ID that was generated and an exact trim. */
    rewrite = (a.strategy && a.approx) || !a.id_given || !a.seq_given;
    if (!rewrite)
        return;
    prop = malloc((size_t)argc * sizeof *prop);
    if (!prop)
        abort();
    memcpy(prop, argv, (size_t)argc * sizeof *prop);
    if (a.strategy && a.approx)
        rewrite_trim(s, &a, prop, trimbuf);
    if (!a.id_given || !a.seq_given) {
        prop[idpos].p = idbuf;
        prop[idpos].n = kv_sid_fmt(idbuf, &id);
    }
    kv_propagate(ctx, argc, prop);
    free(prop);
}

static void kv_cmd_xtrim(kv_ctx *ctx, int argc, const kv_str *argv)
{
    trim_args a;
    kv_entry *e;
    kv_stream *s;
    long long deleted;
    if (parse_args(ctx, argc, argv, &a, 0) < 0)
        return;
    if (!(e = kv_lookup_write(ctx, &argv[1]))) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    if (kv_obj_type(kv_entry_val(e)) != KV_TYPE_STREAM) {
        kv_reply_wrongtype(ctx);
        return;
    }
    s = kv_stream_of(kv_entry_val(e));
    deleted = do_trim(s, &a);
    if (deleted) {
        kv_notify(ctx, KV_NOTIFY_STREAM, "xtrim", ctx->db, &argv[1]);
        if (a.approx) {
            kv_str *prop = malloc((size_t)argc * sizeof *prop);
            char buf[48];
            if (!prop)
                abort();
            memcpy(prop, argv, (size_t)argc * sizeof *prop);
            rewrite_trim(s, &a, prop, buf);
            kv_propagate(ctx, argc, prop);
            free(prop);
        }
        kv_signal_modified(ctx, ctx->db, &argv[1]);
        kv_dirty(ctx, deleted);
    }
    kv_reply_int(&ctx->out, deleted);
}

const kv_cmdspec kv_cmds_stream_add[] = {
    {.name = "xadd", .route = KV_ROUTE_KEY, .exec = kv_cmd_xadd},
    {.name = "xtrim", .route = KV_ROUTE_KEY, .exec = kv_cmd_xtrim},
    KV_SPEC_END
};
