/* Byte-range string commands: APPEND, STRLEN, GETRANGE (and its old name
 * SUBSTR), SETRANGE. Growing a value happens in place (kv_str_append /
 * kv_str_grow keep the TTL and make the value "raw", as Redis's
 * dbUnshareStringValue does); a new key from APPEND is encoded like SET's
 * value, one from SETRANGE is always "raw". */
#include "cmd/string/string.h"
#include "cmd/multi/watch.h"

#include <stdlib.h>
#include <string.h>

int kv_check_string_length(kv_ctx *ctx, unsigned long long size)
{
    long long max = kv_state(ctx)->srv->proto_max_bulk_len;
    if (max >= 0 && size > (unsigned long long)max) {
        kv_reply_error(&ctx->out,
                       "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        return -1;
    }
    return 0;
}

kv_obj *kv_new_zeroed_string(size_t n)
{
    char *zeros = calloc(n ? n : 1, 1);
    kv_obj *o;
    if (!zeros)
        abort();
    o = kv_str_new_raw(zeros, n);
    free(zeros);
    return o;
}

static void kv_cmd_append(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *e = kv_lookup_write(ctx, &argv[1]);
    kv_obj *o;
    (void)argc;

    if (!e) {
        int created;
        e = kv_db_upsert(kv_ctx_db(ctx), argv[1].p, argv[1].n, &created);
        kv_set_val(ctx, e, kv_str_new(argv[2].p, argv[2].n));
        kv_signal_modified(ctx, ctx->db, &argv[1]);
        kv_notify(ctx, KV_NOTIFY_STRING, "append", ctx->db, &argv[1]);
        kv_dirty(ctx, 1);
        kv_reply_int(&ctx->out, (long long)argv[2].n);
        return;
    }
    o = kv_entry_val(e);
    if (kv_obj_type(o) != KV_TYPE_STRING) {
        kv_reply_wrongtype(ctx);
        return;
    }
    if (kv_check_string_length(ctx, (unsigned long long)kv_str_len(o) + argv[2].n) != 0)
        return;
    /* Even an empty append leaves the value "raw" and counts as a
     * modification, like Redis. */
    kv_str_append(o, argv[2].p, argv[2].n);
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    kv_notify(ctx, KV_NOTIFY_STRING, "append", ctx->db, &argv[1]);
    kv_dirty(ctx, 1);
    kv_reply_int(&ctx->out, (long long)kv_str_len(o));
}

static void kv_cmd_strlen(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *e = kv_lookup_read(ctx, &argv[1]);
    (void)argc;
    if (!e) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    if (kv_obj_type(kv_entry_val(e)) != KV_TYPE_STRING) {
        kv_reply_wrongtype(ctx);
        return;
    }
    kv_reply_int(&ctx->out, (long long)kv_str_len(kv_entry_val(e)));
}

/* Both indexes are parsed before the key is looked up; a missing key is
 * the empty string (not a null). */
static void kv_cmd_getrange(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long start, end, len;
    char llbuf[KV_LLSTR_SIZE];
    const char *p;
    size_t n;
    kv_entry *e;
    (void)argc;

    if (kv_arg_ll_or_reply(ctx, &argv[2], &start) != 0 ||
        kv_arg_ll_or_reply(ctx, &argv[3], &end) != 0)
        return;
    e = kv_lookup_read(ctx, &argv[1]);
    if (!e) {
        kv_reply_bulk(&ctx->out, "", 0);
        return;
    }
    if (kv_obj_type(kv_entry_val(e)) != KV_TYPE_STRING) {
        kv_reply_wrongtype(ctx);
        return;
    }
    p = kv_str_ptr(kv_entry_val(e), llbuf, &n);
    len = (long long)n;
    if (start < 0 && end < 0 && start > end) {
        kv_reply_bulk(&ctx->out, "", 0);
        return;
    }
    if (start < 0)
        start += len;
    if (end < 0)
        end += len;
    if (start < 0)
        start = 0;
    if (end < 0)
        end = 0;
    if (end >= len)
        end = len - 1;
    if (start > end || len == 0)
        kv_reply_bulk(&ctx->out, "", 0);
    else
        kv_reply_bulk(&ctx->out, p + start, (size_t)(end - start + 1));
}

/* An empty value never creates the key nor checks the size limit: it only
 * reports the current length. */
static void kv_cmd_setrange(kv_ctx *ctx, int argc, const kv_str *argv)
{
    const kv_str *v = &argv[3];
    long long offset;
    kv_entry *e;
    kv_obj *o;
    char *bytes;
    (void)argc;

    if (kv_arg_ll_or_reply(ctx, &argv[2], &offset) != 0)
        return;
    if (offset < 0) {
        kv_reply_error(&ctx->out, "ERR offset is out of range");
        return;
    }
    e = kv_lookup_write(ctx, &argv[1]);
    if (!e) {
        int created;
        if (v->n == 0) {
            kv_reply_int(&ctx->out, 0);
            return;
        }
        if (kv_check_string_length(ctx, (unsigned long long)offset + v->n) != 0)
            return;
        /* Filled before it is attached, so the db accounts its full size. */
        o = kv_new_zeroed_string((size_t)offset + v->n);
        bytes = kv_str_grow(o, 0);
        memcpy(bytes + offset, v->p, v->n);
        e = kv_db_upsert(kv_ctx_db(ctx), argv[1].p, argv[1].n, &created);
        kv_set_val(ctx, e, o);
        kv_signal_modified(ctx, ctx->db, &argv[1]);
        kv_notify(ctx, KV_NOTIFY_STRING, "setrange", ctx->db, &argv[1]);
        kv_dirty(ctx, 1);
        kv_reply_int(&ctx->out, (long long)kv_str_len(o));
        return;
    }
    o = kv_entry_val(e);
    if (kv_obj_type(o) != KV_TYPE_STRING) {
        kv_reply_wrongtype(ctx);
        return;
    }
    if (v->n == 0) {
        kv_reply_int(&ctx->out, (long long)kv_str_len(o));
        return;
    }
    if (kv_check_string_length(ctx, (unsigned long long)offset + v->n) != 0)
        return;
    bytes = kv_str_grow(o, (size_t)offset + v->n);
    memcpy(bytes + offset, v->p, v->n);
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    kv_notify(ctx, KV_NOTIFY_STRING, "setrange", ctx->db, &argv[1]);
    kv_dirty(ctx, 1);
    kv_reply_int(&ctx->out, (long long)kv_str_len(o));
}

const kv_cmdspec kv_cmds_string_range[] = {
    {.name = "append", .route = KV_ROUTE_KEY, .exec = kv_cmd_append},
    {.name = "getrange", .route = KV_ROUTE_KEY, .exec = kv_cmd_getrange},
    {.name = "setrange", .route = KV_ROUTE_KEY, .exec = kv_cmd_setrange},
    {.name = "strlen", .route = KV_ROUTE_KEY, .exec = kv_cmd_strlen},
    {.name = "substr", .route = KV_ROUTE_KEY, .exec = kv_cmd_getrange},
    KV_SPEC_END
};
