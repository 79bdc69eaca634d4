/* Argument parsing shared by the per-key SCAN commands (see collscan.h):
 * the cursor rule (SCAN's own, also ZSCAN's) and HSCAN's and SSCAN's option
 * loop, so their errors are Redis's and identical. */
#include "cmd/keys/collscan.h"

#include <limits.h>

#include "cmd/lib/glob.h"
#include "cmd/keys/keys.h"

int kv_scan_cursor_or_reply(kv_ctx *ctx, const kv_str *arg, unsigned long *cursor)
{
    if (kv_scan_cursor(arg, cursor) == 0)
        return 0;
    kv_reply_error(&ctx->out, "ERR invalid cursor");
    return -1;
}

int kv_scan_options(kv_ctx *ctx, int argc, const kv_str *argv, int first, kv_scan_opts *o)
{
    int i = first;
    o->count = 10;
    o->pat = NULL;
    o->patlen = 0;
    o->use_pattern = 0;
    while (i < argc) {
        int more = argc - i >= 2;
        if (more && kv_arg_eq(&argv[i], "count")) {
            long long v;
            if (!kv_arg_ll(&argv[i + 1], &v) || v < LONG_MIN || v > LONG_MAX) {
                kv_reply_error(&ctx->out, "ERR value is not an integer or out of range");
                return -1;
            }
            if (v < 1) {
                kv_reply_syntax(ctx);
                return -1;
            }
            o->count = (long)v;
            i += 2;
        } else if (more && kv_arg_eq(&argv[i], "match")) {
            o->pat = argv[i + 1].p;
            o->patlen = argv[i + 1].n;
            o->use_pattern = !(o->patlen == 1 && o->pat[0] == '*');
            i += 2;
        } else {
            kv_reply_syntax(ctx);
            return -1;
        }
    }
    return 0;
}

int kv_scan_match(const kv_scan_opts *o, const char *s, size_t n)
{
    return !o->use_pattern || kv_glob_match(o->pat, o->patlen, s, n, 0);
}

void kv_scan_reply_empty(kv_ctx *ctx)
{
    kv_reply_array(&ctx->out, 2);
    kv_reply_bulk(&ctx->out, "0", 1);
    kv_reply_array(&ctx->out, 0);
}
