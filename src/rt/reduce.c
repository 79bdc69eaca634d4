/* Ready-made ways to combine the replies of a command that ran on several
 * shards. Parts arrive as complete RESP replies; the helpers only frame and
 * reorder bytes, so element encodings (RESP2 or RESP3) pass through as the
 * shards wrote them. Any error part wins, as it would on one server. */
#include "rt/internal.h"

#include <stdlib.h>
#include <string.h>

static const kv_part *kv_first_error(const kv_part *parts, int nparts)
{
    int i;
    for (i = 0; i < nparts; i++)
        if (parts[i].len > 0 && parts[i].reply[0] == '-')
            return &parts[i];
    return NULL;
}

/* Pass a part through; an error passed on counts as an error reply (INFO's
 * total_error_replies), as if written with kv_reply_error. */
static void kv_reply_part(kv_ctx *ctx, const kv_part *p)
{
    kv_reply_raw(&ctx->out, p->reply, p->len);
    if (p->len > 0 && p->reply[0] == '-')
        ctx->out.errors++;
}

void kv_reduce_first(kv_ctx *ctx, const kv_part *parts, int nparts)
{
    const kv_part *err = kv_first_error(parts, nparts);
    kv_reply_part(ctx, err ? err : &parts[0]);
}

void kv_reduce_sum(kv_ctx *ctx, const kv_part *parts, int nparts)
{
    const kv_part *err = kv_first_error(parts, nparts);
    long long sum = 0, v;
    int i;
    if (err) {
        kv_reply_part(ctx, err);
        return;
    }
    for (i = 0; i < nparts; i++) {
        if (!kv_resp_reply_int(parts[i].reply, parts[i].len, &v)) {
            kv_reply_error(&ctx->out, "ERR internal: a shard replied a non-integer");
            return;
        }
        sum += v;
    }
    kv_reply_int(&ctx->out, sum);
}

/* Parse "*<n>\r\n"; returns the header length and sets *count, or -1. */
static long kv_array_header(const char *p, size_t n, long long *count)
{
    const char *cr;
    if (n < 4 || p[0] != '*' || !(cr = memchr(p, '\r', n)) || (size_t)(cr - p) + 1 >= n)
        return -1;
    if (!kv_str2ll(p + 1, (size_t)(cr - p - 1), count) || *count < 0)
        return -1;
    return (long)(cr - p) + 2;
}

void kv_reduce_keyorder(kv_ctx *ctx, const kv_part *parts, int nparts)
{
    const kv_part *err = kv_first_error(parts, nparts);
    kv_str *elem;
    int total = 0, i, k;
    if (err) {
        kv_reply_part(ctx, err);
        return;
    }
    for (i = 0; i < nparts; i++)
        total += parts[i].nkeys;
    elem = calloc((size_t)total + 1, sizeof *elem);
    if (!elem)
        abort();
    for (i = 0; i < nparts; i++) {
        const char *p = parts[i].reply;
        size_t left = parts[i].len;
        long long count;
        long h = kv_array_header(p, left, &count);
        if (h < 0 || count != parts[i].nkeys)
            goto bad;
        p += h;
        left -= (size_t)h;
        for (k = 0; k < parts[i].nkeys; k++) {
            long len = kv_resp_reply_len(p, left);
            int ord = parts[i].keys[k];
            if (len < 0 || ord < 0 || ord >= total)
                goto bad;
            elem[ord].p = p;
            elem[ord].n = (size_t)len;
            p += len;
            left -= (size_t)len;
        }
    }
    kv_reply_array(&ctx->out, total);
    for (k = 0; k < total; k++)
        kv_reply_raw(&ctx->out, elem[k].p, elem[k].n);
    free(elem);
    return;
bad:
    free(elem);
    kv_reply_error(&ctx->out, "ERR internal: a shard replied a malformed array");
}

void kv_reduce_concat(kv_ctx *ctx, const kv_part *parts, int nparts)
{
    const kv_part *err = kv_first_error(parts, nparts);
    long long total = 0, count;
    long hdr[64], *h = hdr;
    int i;
    if (err) {
        kv_reply_part(ctx, err);
        return;
    }
    if (nparts > 64 && !(h = malloc((size_t)nparts * sizeof *h)))
        abort();
    for (i = 0; i < nparts; i++) {
        h[i] = kv_array_header(parts[i].reply, parts[i].len, &count);
        if (h[i] < 0) {
            kv_reply_error(&ctx->out, "ERR internal: a shard replied a malformed array");
            goto out;
        }
        total += count;
    }
    kv_reply_array(&ctx->out, (long)total);
    for (i = 0; i < nparts; i++)
        kv_reply_raw(&ctx->out, parts[i].reply + h[i], parts[i].len - (size_t)h[i]);
out:
    if (h != hdr)
        free(h);
}
