/* XREADGROUP without BLOCK (Redis 7.0.15's xreadCommand with GROUP):
 * COUNT, NOACK, ">" (new entries: delivered, added to the PELs, the
 * group's last ID and entries-read moved on) and any other ID (the
 * consumer's own history from its PEL, a deleted entry as [id, nil]).
 * A consumer is created, and seen, only where a key is served. What it
 * logs is what Redis propagates: XCLAIM ... FORCE JUSTID LASTID per
 * delivered entry, XGROUP SETID and CREATECONSUMER with NOACK, never the
 * command itself. Keys over several shards are a coordination: step 0
 * checks every key's group (XPENDING), step 1 reports the first error in
 * key order as Redis, which checks all keys before serving any, or sends
 * each key's part, step 2 joins them in key order. With BLOCK it is the
 * blocking engine's (xblock.c), which serves it with this command. */
#include "cmd/stream/stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/block/block.h"
#include "store/mem.h"
#include "store/t_stream_cg.h"

static const kv_sid kv_max_sid = {UINT64_MAX, UINT64_MAX};

static void reply_nogroup(kv_ctx *ctx, const kv_str *key, const kv_str *group)
{
    kv_reply_errorf(&ctx->out, "NOGROUP No such key '%.*s' or consumer group '%.*s' in "
                               "XREADGROUP with GROUP option",
                    KV_ARGF(key), KV_ARGF(group));
}

/* One key's ID: ">" is the maximum ID; 0, or -1 after replying. */
static int parse_read_id(kv_ctx *ctx, const kv_str *a, kv_sid *id)
{
    if (a->n == 1 && a->p[0] == '$') {
        kv_reply_error(&ctx->out, "ERR The $ ID is meaningless in the context of XREADGROUP: "
                                  "you want to read the history of this consumer by "
                                  "specifying a proper ID, or use the > ID to get new "
                                  "messages. The $ ID would just return an empty result set.");
        return -1;
    }
    if (a->n == 1 && a->p[0] == '>') {
        *id = kv_max_sid;
        return 0;
    }
    return kv_stream_parse_id(ctx, a, id, 0, 1, NULL);
}

/* The consumer's pending entries from start on (Redis's
 * streamReplyWithRangeFromConsumerPEL): each delivered again. */
static size_t reply_history(kv_ctx *ctx, kv_reply *r, const kv_stream *s,
                            const kv_sconsumer *c, const kv_sid *start, size_t count)
{
    size_t n = 0;
    long long now = kv_now_ms(ctx);
    kv_snack *nack;
    for (nack = kv_spel_seek(&c->pel, start); nack && (!count || n < count);
         nack = kv_spel_next(&c->pel, nack)) {
        if (!kv_stream_reply_one(r, s, &nack->id)) {
            kv_reply_array(r, 2); /* deleted from the stream meanwhile */
            kv_reply_sid(r, &nack->id);
            kv_reply_null_array(r);
        } else {
            nack->delivery_time = now;
            nack->delivery_count++;
        }
        n++;
    }
    return n;
}

/* New entries after gt (Redis's streamReplyWithRange with a group). */
static size_t reply_new(kv_ctx *ctx, kv_reply *r, const kv_str *key, const kv_str *gname,
                        kv_stream *s, kv_scg *cg, kv_sconsumer *c, const kv_sid *gt,
                        size_t count, int noack)
{
    kv_sid start = *gt, id;
    kv_sit it;
    kv_lpval f, v;
    long long nf, now = kv_now_ms(ctx);
    size_t n = 0;
    int propagate_last = 0;
    kv_sid_incr(&start);
    kv_sit_start(&it, s, &start, NULL, 0);
    while ((!count || n < count) && kv_sit_next(&it, &id, &nf)) {
        kv_reply_array(r, 2);
        kv_reply_sid(r, &id);
        kv_reply_array(r, 2 * (long)nf);
        while (nf-- > 0) {
            kv_sit_field(&it, &f, &v);
            if (f.s)
                kv_reply_bulk(r, f.s, f.n);
            else
                kv_reply_bulk_ll(r, f.v);
            if (v.s)
                kv_reply_bulk(r, v.s, v.n);
            else
                kv_reply_bulk_ll(r, v.v);
        }
        n++;
        if (kv_sid_cmp(&id, &cg->last_id) > 0) {
            if (cg->entries_read != KV_SCG_INVALID_READ &&
                !kv_stream_range_has_tombstones(s, &id, NULL))
                cg->entries_read++;
            else if (s->entries_added)
                cg->entries_read = kv_stream_estimate_read(s, &id);
            cg->last_id = id;
            /* Without NOACK the XCLAIM below carries the last ID. */
            if (noack)
                propagate_last = 1;
        }
        if (!noack) {
            kv_snack *nack = kv_spel_find(&cg->pel, &id);
            if (!nack) {
                nack = kv_scg_nack_add(cg, &id, c, now);
            } else { /* pending already (XGROUP SETID went back): now c's */
                kv_scg_nack_move(nack, c);
                nack->delivery_time = now;
                nack->delivery_count = 1;
            }
            kv_stream_propagate_xclaim(ctx, key, gname, cg, &id, nack);
        }
    }
    if (propagate_last)
        kv_stream_propagate_setid(ctx, key, gname, cg);
    return n;
}

void kv_stream_xreadgroup_cmd(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_xread_args a;
    kv_sid one[8], *ids = one;
    kv_obj *o;
    kv_defer d;
    kv_reply *dr;
    const kv_str *gname, *cname;
    long served = 0;
    int i;
    if (kv_stream_has_block(argc, argv)) { /* the blocking engine's (xblock.c) */
        kv_block_exec(ctx, argc, argv, &kv_xreadgroup_blocker);
        return;
    }
    if (kv_stream_xread_parse(ctx, argc, argv, KV_XREAD_GROUP, &a) != 0)
        return;
    gname = &argv[a.group];
    cname = &argv[a.group + 1];
    if (a.nkeys > 8)
        ids = kv_xmalloc((size_t)a.nkeys * sizeof *ids);
    for (i = 0; i < a.nkeys; i++) {
        const kv_str *key = &argv[a.streams + i];
        if (kv_stream_read(ctx, key, &o) != 0)
            goto done;
        if (!o || !kv_stream_cg_find(kv_stream_of(o), gname->p, gname->n)) {
            reply_nogroup(ctx, key, gname);
            goto done;
        }
        if (parse_read_id(ctx, &argv[a.streams + a.nkeys + i], &ids[i]) != 0)
            goto done;
    }
    dr = kv_defer_start(&d, &ctx->out);
    for (i = 0; i < a.nkeys; i++) {
        const kv_str *key = &argv[a.streams + i];
        kv_stream *s;
        kv_scg *cg;
        kv_sconsumer *c;
        kv_sid gt = ids[i], top;
        int history = kv_sid_cmp(&gt, &kv_max_sid) != 0, created;
        kv_stream_read(ctx, key, &o);
        s = kv_stream_of(o);
        cg = kv_stream_cg_find(s, gname->p, gname->n);
        if (!history) {
            if (!s->length)
                continue;
            kv_stream_edge(s, 0, 0, &top);
            if (kv_sid_cmp(&top, &cg->last_id) <= 0)
                continue;
            gt = cg->last_id;
        }
        c = kv_stream_consumer_get(ctx, cg, key, cname, &created);
        if (created && a.noack)
            kv_stream_propagate_consumer(ctx, key, gname, c);
        c->seen_time = kv_now_ms(ctx);
        served++;
        if (dr->proto == 2)
            kv_reply_array(dr, 2);
        kv_reply_bulk(dr, key->p, key->n);
        {
            kv_defer e;
            kv_reply *er = kv_defer_start(&e, dr);
            size_t got;
            if (history) {
                kv_sid start = gt;
                kv_sid_incr(&start);
                got = reply_history(ctx, er, s, c, &start, (size_t)a.count);
            } else {
                got = reply_new(ctx, er, key, gname, s, cg, c, &gt, (size_t)a.count, a.noack);
            }
            kv_defer_end(&e, dr, (long)got);
        }
        kv_dirty(ctx, 1);
    }
    if (served == 0) {
        kv_buf_free(&d.buf);
        kv_reply_null_array(&ctx->out);
    } else {
        if (ctx->out.proto == 2)
            kv_reply_array(&ctx->out, served);
        else
            kv_reply_map(&ctx->out, served);
        kv_reply_raw(&ctx->out, d.buf.p, d.buf.len);
        kv_buf_free(&d.buf);
    }
done:
    kv_propagate_none(ctx);
    if (ids != one)
        free(ids);
}

/* Keys on several shards (see the opening comment). */
int kv_stream_xreadgroup_coord(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    kv_xread_args a;
    int i, step = kv_coord_step(co);
    if (kv_stream_has_block(argc, argv))
        return kv_block_coord(ctx, co, argc, argv, &kv_xreadgroup_blocker);
    if (kv_stream_xread_parse(ctx, argc, argv, KV_XREAD_GROUP, &a) != 0)
        return KV_COORD_DONE;
    if (step == 0) {
        const kv_cmd *xp = kv_cmd_find(kv_state(ctx)->srv, "xpending", 8);
        for (i = 0; i < a.nkeys; i++) {
            const kv_str *key = &argv[a.streams + i];
            kv_str sub[3];
            sub[0].p = "XPENDING";
            sub[0].n = 8;
            sub[1] = *key;
            sub[2] = argv[a.group];
            kv_coord_send(co, kv_shard_of_key(ctx->shard, key->p, key->n), ctx->db, xp, 3,
                          sub);
        }
        return KV_COORD_WAIT;
    }
    if (step == 1) {
        for (i = 0; i < a.nkeys; i++) {
            kv_str rep = kv_coord_reply(co, i);
            kv_sid id;
            if (rep.n > 0 && rep.p[0] == '-') {
                if (rep.n > 10 && memcmp(rep.p, "-WRONGTYPE", 10) == 0) {
                    kv_reply_raw(&ctx->out, rep.p, rep.n);
                    ctx->out.errors++;
                } else {
                    reply_nogroup(ctx, &argv[a.streams + i], &argv[a.group]);
                }
                return KV_COORD_DONE;
            }
            if (parse_read_id(ctx, &argv[a.streams + a.nkeys + i], &id) != 0)
                return KV_COORD_DONE;
        }
        for (i = 0; i < a.nkeys; i++) {
            kv_str sub[10];
            int m = 0;
            const kv_str *key = &argv[a.streams + i];
            sub[m++] = argv[0];
            sub[m++] = argv[a.group - 1];
            sub[m++] = argv[a.group];
            sub[m++] = argv[a.group + 1];
            if (a.count_arg) {
                sub[m++] = argv[a.count_arg - 1];
                sub[m++] = argv[a.count_arg];
            }
            if (a.noack) {
                sub[m].p = "NOACK";
                sub[m++].n = 5;
            }
            sub[m++] = argv[a.streams - 1];
            sub[m++] = *key;
            sub[m++] = argv[a.streams + a.nkeys + i];
            kv_coord_send(co, kv_shard_of_key(ctx->shard, key->p, key->n), ctx->db, ctx->cmd, m,
                          sub);
        }
        return KV_COORD_WAIT;
    }
    return kv_stream_merge_replies(ctx, co, a.nkeys);
}

const kv_cmdspec kv_cmds_stream_xreadgroup[] = {
    /* lockkeys: BLOCK runs at its client's home, under its keys' locks;
     * without, it runs where its keys are. */
    {.name = "xreadgroup", .route = KV_ROUTE_COORD, .exec = kv_stream_xreadgroup_cmd,
     .coord = kv_stream_xreadgroup_coord, .getkeys = kv_stream_xread_getkeys,
     .lockkeys = kv_stream_xread_lockkeys, .data = &kv_xreadgroup_blocker},
    KV_SPEC_END
};
