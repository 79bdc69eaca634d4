/* Moving string values between shards for the multi-key string commands
 * that cannot be split (LCS, BITOP): one sub-command reads values on their
 * shard, another stores a result on the destination's shard. Replies use
 * only arrays, bulks and integers, which read the same in RESP2 and RESP3,
 * so the coordinator parses them whatever the client's protocol. */
#include "cmd/string/string.h"
#include "cmd/multi/watch.h"

#include <stdio.h>
#include <string.h>

static void kv_strvals_exec(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int j;
    kv_reply_array(&ctx->out, argc - 1);
    for (j = 1; j < argc; j++) {
        kv_entry *e = kv_lookup_read(ctx, &argv[j]);
        const kv_obj *o;
        char llbuf[KV_LLSTR_SIZE], hdr[32];
        const char *p;
        size_t n;
        int hl;
        if (!e) {
            kv_reply_bulk(&ctx->out, "N", 1);
            continue;
        }
        o = kv_entry_val(e);
        if (kv_obj_type(o) != KV_TYPE_STRING) {
            kv_reply_bulk(&ctx->out, "W", 1);
            continue;
        }
        /* The tag and the bytes as one bulk, without copying the value twice. */
        p = kv_str_ptr(o, llbuf, &n);
        hl = snprintf(hdr, sizeof hdr, "$%zu\r\nS", n + 1);
        kv_reply_raw(&ctx->out, hdr, (size_t)hl);
        kv_reply_raw(&ctx->out, p, n);
        kv_reply_raw(&ctx->out, "\r\n", 2);
    }
}

/* The sub-command's argv is no Redis command: its effect is logged as one
 * (SET key value, which drops the TTL as the store does, or DEL key). Run
 * by BITOP itself on one shard, the BITOP is what the AOF logs. */
static void strstore_propagate(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_str a[3];
    if (ctx->cmd != &kv_sub_strstore)
        return;
    a[0].p = argc < 3 ? "DEL" : "SET";
    a[0].n = 3;
    a[1] = argv[1];
    if (argc >= 3)
        a[2] = argv[2];
    kv_propagate(ctx, argc < 3 ? 2 : 3, a);
}

static void kv_strstore_exec(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_db *db = kv_ctx_db(ctx);
    kv_entry *e;
    int created;
    if (argc < 3) {
        /* An empty result deletes the destination (dbDelete: lazy under
         * lazyfree-lazy-server-del): a change only if it existed. */
        if ((e = kv_db_lookup(db, argv[1].p, argv[1].n)) != NULL) {
            kv_ks_delete_entry(kv_state(ctx)->ks, ctx->db, e, KV_LAZY_SERVER_DEL);
            kv_signal_modified(ctx, ctx->db, &argv[1]);
            kv_notify(ctx, KV_NOTIFY_GENERIC, "del", ctx->db, &argv[1]);
            kv_dirty(ctx, 1);
            strstore_propagate(ctx, argc, argv);
        }
        kv_reply_int(&ctx->out, 0);
        return;
    }
    e = kv_lookup_write(ctx, &argv[1]);
    if (!e)
        e = kv_db_upsert(db, argv[1].p, argv[1].n, &created);
    else
        kv_db_persist(db, e);
    kv_set_val(ctx, e, kv_str_new_raw(argv[2].p, argv[2].n));
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    /* BITOP's store: Redis's setKey, reported as a plain "set". */
    kv_notify(ctx, KV_NOTIFY_STRING, "set", ctx->db, &argv[1]);
    kv_dirty(ctx, 1);
    strstore_propagate(ctx, argc, argv);
    kv_reply_int(&ctx->out, (long long)argv[2].n);
}

const kv_cmd kv_sub_strvals = {.name = "strvals", .arity = -2, .exec = kv_strvals_exec};
const kv_cmd kv_sub_strstore = {.name = "strstore", .arity = -2, .exec = kv_strstore_exec};

int kv_strvals_parse(kv_str reply, kv_strval *out, int max)
{
    const char *p = reply.p, *end = reply.p + reply.n;
    long long count, i, len;
    if (kv_rd_header(&p, end, '*', &count) != 0 || count < 0 || count > max)
        return -1;
    for (i = 0; i < count; i++) {
        if (kv_rd_header(&p, end, '$', &len) != 0 || len < 1 || end - p < len + 2)
            return -1;
        out[i].kind = p[0];
        out[i].p = p + 1;
        out[i].n = len - 1;
        if (out[i].kind != KV_SV_STRING && out[i].kind != KV_SV_MISSING &&
            out[i].kind != KV_SV_WRONGTYPE)
            return -1;
        p += len + 2;
    }
    return (int)count;
}
