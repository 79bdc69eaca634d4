/* XREAD without BLOCK (Redis 7.0.15's xreadCommand for plain consumers):
 * COUNT, STREAMS with explicit IDs or "$" (arguments: xread_args.c). Keys
 * on one shard run there;
 * keys on several shards are a coordination that asks each key's shard
 * for its part (the same command with that key alone) and joins the parts
 * in key order, the first error in key order winning as in Redis, which
 * checks every key before serving any. With BLOCK it is the blocking
 * engine's (xblock.c), which serves it with this command. */
#include "cmd/stream/stream.h"

#include "cmd/block/block.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kv_stream_xread_cmd(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_xread_args a;
    kv_sid ids[64], *id = ids, top;
    kv_obj *o;
    kv_buf tmp;
    kv_reply r;
    long n = 0;
    int i;
    if (kv_stream_has_block(argc, argv)) { /* the blocking engine's (xblock.c) */
        kv_block_exec(ctx, argc, argv, &kv_xread_blocker);
        return;
    }
    if (kv_stream_xread_parse(ctx, argc, argv, KV_XREAD_PLAIN, &a) != 0)
        return;
    if (a.nkeys > 64 && !(id = malloc((size_t)a.nkeys * sizeof *id)))
        abort();
    for (i = 0; i < a.nkeys; i++) {
        const kv_str *ida = &argv[a.streams + a.nkeys + i];
        if (kv_stream_read(ctx, &argv[a.streams + i], &o) != 0)
            goto done;
        if (ida->n == 1 && ida->p[0] == '$') {
            id[i] = o ? kv_stream_of(o)->last_id : (kv_sid){0, 0};
        } else if (ida->n == 1 && ida->p[0] == '>') {
            kv_reply_error(&ctx->out, "ERR The > ID can be specified only when calling "
                                      "XREADGROUP using the GROUP <group> <consumer> option.");
            goto done;
        } else if (kv_stream_parse_id(ctx, ida, &id[i], 0, 1, NULL) != 0) {
            goto done;
        }
    }
    kv_buf_init(&tmp);
    r.buf = &tmp;
    r.proto = ctx->out.proto;
    r.errors = 0;
    for (i = 0; i < a.nkeys; i++) {
        kv_stream *s;
        kv_sid start;
        kv_stream_read(ctx, &argv[a.streams + i], &o);
        if (!o || !(s = kv_stream_of(o))->length)
            continue;
        kv_stream_edge(s, 0, 0, &top);
        if (kv_sid_cmp(&top, &id[i]) <= 0)
            continue;
        start = id[i];
        kv_sid_incr(&start);
        if (r.proto == 2)
            kv_reply_array(&r, 2);
        kv_reply_bulk(&r, argv[a.streams + i].p, argv[a.streams + i].n);
        {
            kv_buf tmp2;
            kv_reply r2 = r;
            size_t got;
            kv_buf_init(&tmp2);
            r2.buf = &tmp2;
            got = kv_stream_reply_entries(&r2, s, &start, NULL, (size_t)a.count, 0);
            kv_reply_array(&r, (long)got);
            kv_reply_raw(&r, tmp2.p, tmp2.len);
            kv_buf_free(&tmp2);
        }
        n++;
    }
    if (n == 0) {
        kv_reply_null_array(&ctx->out);
    } else {
        if (ctx->out.proto == 2)
            kv_reply_array(&ctx->out, n);
        else
            kv_reply_map(&ctx->out, n);
        kv_reply_raw(&ctx->out, tmp.p, tmp.len);
    }
    kv_buf_free(&tmp);
done:
    if (id != ids)
        free(id);
}

/* Keys on several shards: step 0 sends "XREAD [COUNT n] STREAMS key id"
 * per key to its shard, step 1 joins the parts in key order. */
int kv_stream_xread_coord(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    kv_xread_args a;
    int i;
    if (kv_stream_has_block(argc, argv))
        return kv_block_coord(ctx, co, argc, argv, &kv_xread_blocker);
    if (kv_stream_xread_parse(ctx, argc, argv, KV_XREAD_PLAIN, &a) != 0)
        return KV_COORD_DONE;
    if (kv_coord_step(co) == 0) {
        for (i = 0; i < a.nkeys; i++) {
            kv_str sub[6];
            int m = 0;
            const kv_str *key = &argv[a.streams + i];
            sub[m++] = argv[0];
            if (a.count_arg) {
                sub[m++] = argv[a.count_arg - 1];
                sub[m++] = argv[a.count_arg];
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

/* The per-key replies of a read over shards as one: every key that has
 * entries, in key order, or the first error. */
int kv_stream_merge_replies(kv_ctx *ctx, kv_coord *co, int nkeys)
{
    kv_buf out;
    int i, n = 0;
    kv_buf_init(&out);
    for (i = 0; i < nkeys; i++) {
        kv_str rep = kv_coord_reply(co, i);
        const char *eol;
        if (rep.n > 0 && rep.p[0] == '-') { /* the first error, in key order */
            kv_reply_raw(&ctx->out, rep.p, rep.n);
            ctx->out.errors++;
            kv_buf_free(&out);
            return KV_COORD_DONE;
        }
        if (rep.n < 3 || rep.p[0] == '_' || (rep.p[0] == '*' && rep.p[1] == '-'))
            continue; /* nothing for this key */
        if (!(eol = memchr(rep.p, '\n', rep.n)))
            continue;
        eol++; /* past "*1" or "%1": the key and its entries follow */
        kv_buf_append(&out, eol, rep.n - (size_t)(eol - rep.p));
        n++;
    }
    if (n == 0) {
        kv_reply_null_array(&ctx->out);
    } else {
        if (ctx->out.proto == 2)
            kv_reply_array(&ctx->out, n);
        else
            kv_reply_map(&ctx->out, n);
        kv_reply_raw(&ctx->out, out.p, out.len);
    }
    kv_buf_free(&out);
    return KV_COORD_DONE;
}

const kv_cmdspec kv_cmds_stream_xread[] = {
    /* lockkeys: BLOCK runs at its client's home, under its keys' locks;
     * without, it runs where its keys are. */
    {.name = "xread", .route = KV_ROUTE_COORD, .exec = kv_stream_xread_cmd,
     .coord = kv_stream_xread_coord, .getkeys = kv_stream_xread_getkeys,
     .lockkeys = kv_stream_xread_lockkeys, .data = &kv_xread_blocker},
    KV_SPEC_END
};
