/* INCRBYFLOAT. Redis computes in long double (x87 80-bit on x86-64) and
 * prints "%.17Lf" with the trailing zeros cut (fmt_float.c), so 0.1 three
 * times reads "0.3" and 1e5 more reads "100000.29999999999999716". The
 * result is a new "embstr" value (never "int") that keeps the key's TTL. */
#include "cmd/core/cmd.h"
#include "cmd/lib/fmt_float.h"
#include "cmd/multi/watch.h"

#include <math.h>

static void kv_cmd_incrbyfloat(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *e = kv_lookup_write(ctx, &argv[1]);
    long double value = 0, incr;
    char out[KV_LD_MAX_CHARS];
    kv_obj *nv;
    size_t n;
    (void)argc;

    if (e) {
        const kv_obj *o = kv_entry_val(e);
        char llbuf[KV_LLSTR_SIZE];
        const char *p;
        if (kv_obj_type(o) != KV_TYPE_STRING) {
            kv_reply_wrongtype(ctx);
            return;
        }
        p = kv_str_ptr(o, llbuf, &n);
        if (!kv_str2ld(p, n, &value)) {
            kv_reply_error(&ctx->out, "ERR value is not a valid float");
            return;
        }
    }
    if (!kv_str2ld(argv[2].p, argv[2].n, &incr)) {
        kv_reply_error(&ctx->out, "ERR value is not a valid float");
        return;
    }
    value += incr;
    if (isnan(value) || isinf(value)) {
        kv_reply_error(&ctx->out, "ERR increment would produce NaN or Infinity");
        return;
    }
    n = kv_ld2str_human(out, sizeof out, value);
    nv = kv_str_new_embstr(out, n);
    if (e) {
        kv_set_val(ctx, e, nv); /* a new value under the same key: the TTL stays */
    } else {
        int created;
        e = kv_db_upsert(kv_ctx_db(ctx), argv[1].p, argv[1].n, &created);
        kv_set_val(ctx, e, nv);
    }
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    kv_notify(ctx, KV_NOTIFY_STRING, "incrbyfloat", ctx->db, &argv[1]);
    kv_dirty(ctx, 1);
    {
        /* Logged as its result, as Redis does (long double arithmetic and
         * its printing may differ where the log is replayed): SET key
         * <result> KEEPTTL. */
        kv_str a[4];
        a[0].p = "SET";
        a[0].n = 3;
        a[1] = argv[1];
        a[2].p = out;
        a[2].n = n;
        a[3].p = "KEEPTTL";
        a[3].n = 7;
        kv_propagate(ctx, 4, a);
    }
    kv_reply_bulk(&ctx->out, out, n);
}

const kv_cmdspec kv_cmds_string_incrbyfloat[] = {
    {.name = "incrbyfloat", .route = KV_ROUTE_KEY, .exec = kv_cmd_incrbyfloat},
    KV_SPEC_END
};
