/* Argument and reply helpers every command family uses: options compared
 * the way Redis compares them (a C-string view, case-insensitive), integers
 * with Redis's rules and error text, the replies many commands share, and
 * reading the replies of sub-commands sent to other shards. */
#include "cmd/core/cmd.h"

#include <limits.h>
#include <string.h>
#include <strings.h>

/* Redis often treats an argument as a C string (strcasecmp on options,
 * %s in error texts): it ends at the first NUL byte. */
size_t kv_arg_cstrlen(const kv_str *a)
{
    const char *nul = memchr(a->p, '\0', a->n);
    return nul ? (size_t)(nul - a->p) : a->n;
}

/* So an option matches up to its first NUL byte ("nx\0junk" is NX). */
int kv_arg_eq(const kv_str *a, const char *lit)
{
    size_t n = strlen(lit);
    return kv_arg_cstrlen(a) == n && strncasecmp(a->p, lit, n) == 0;
}

int kv_arg_ll(const kv_str *a, long long *v)
{
    return kv_str2ll(a->p, a->n, v);
}

int kv_arg_ll_or_reply(kv_ctx *ctx, const kv_str *a, long long *v)
{
    if (kv_str2ll(a->p, a->n, v))
        return 0;
    kv_reply_error(&ctx->out, "ERR value is not an integer or out of range");
    return -1;
}

int kv_arg_db_or_reply(kv_ctx *ctx, const kv_str *a, int *db)
{
    long long v;
    if (kv_arg_ll_or_reply(ctx, a, &v) != 0)
        return -1;
    if (v < INT_MIN || v > INT_MAX) {
        kv_reply_errorf(&ctx->out, "ERR value is out of range, value must between %d and %d",
                        INT_MIN, INT_MAX);
        return -1;
    }
    if (v < 0 || v >= kv_state(ctx)->ks->ndb) {
        kv_reply_error(&ctx->out, "ERR DB index is out of range");
        return -1;
    }
    *db = (int)v;
    return 0;
}

void kv_reply_obj(kv_ctx *ctx, const kv_obj *o)
{
    char buf[KV_LLSTR_SIZE];
    size_t n;
    const char *p;
    /* A big value bound straight for the socket is sent from where it is
     * stored (writev), not copied into the reply: the copy would cost more
     * than the reference. */
    if (ctx->ref_buf == ctx->out.buf && kv_obj_encoding(o) == KV_ENC_RAW &&
        kv_str_len(o) >= KV_REPLY_REF_MIN) {
        void *ref;
        p = kv_str_share(o, &n, &ref);
        kv_reply_bulk_ref(&ctx->out, p, n, kv_str_unref, ref);
        return;
    }
    p = kv_str_ptr(o, buf, &n);
    kv_reply_bulk(&ctx->out, p, n);
}

kv_obj *kv_arg_value(kv_ctx *ctx, const kv_str *a)
{
    const kv_blob *b = ctx->arg_blob;
    if (b && a->p == b->p && a->n == b->n)
        return kv_str_adopt(b->h, a->n);
    return kv_str_new(a->p, a->n);
}

void kv_reply_wrongtype(kv_ctx *ctx)
{
    kv_reply_error(&ctx->out,
                   "WRONGTYPE Operation against a key holding the wrong kind of value");
}

void kv_reply_syntax(kv_ctx *ctx)
{
    kv_reply_error(&ctx->out, "ERR syntax error");
}

void kv_reply_lines(kv_ctx *ctx, const char *const *lines, size_t n)
{
    size_t i;
    kv_reply_array(&ctx->out, (long)n);
    for (i = 0; i < n; i++)
        kv_reply_status(&ctx->out, lines[i]);
}

int kv_reply_sub_arity(kv_ctx *ctx, const char *container, const kv_str *sub)
{
    kv_reply_errorf(&ctx->out, "ERR unknown subcommand or wrong number of arguments for "
                               "'%.*s'. Try %s HELP.",
                    (int)kv_arg_cstrlen(sub), sub->p, container);
    return -1;
}

void kv_cmd_container(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    (void)argv;
    kv_reply_errorf(&ctx->out, "ERR wrong number of arguments for '%s' command", ctx->cmd->name);
}

/* ------------------------------------------------- sub-command replies */

int kv_rd_line(const char **pp, const char *end, char *type, long long *n)
{
    const char *p = *pp, *cr = p < end ? memchr(p, '\r', (size_t)(end - p)) : NULL;
    if (!cr || end - cr < 2 || cr[1] != '\n' || cr == p)
        return -1;
    *type = p[0];
    *n = 0;
    if (*type != '_' && !kv_str2ll(p + 1, (size_t)(cr - p - 1), n))
        return -1;
    *pp = cr + 2;
    return 0;
}

int kv_rd_header(const char **pp, const char *end, char lead, long long *n)
{
    const char *p = *pp;
    char type;
    if (kv_rd_line(&p, end, &type, n) != 0 || type != lead)
        return -1;
    *pp = p;
    return 0;
}

int kv_rd_bulk(kv_str r, kv_str *out)
{
    const char *p = r.p, *end = r.p + r.n;
    long long n;
    if (kv_rd_header(&p, end, '$', &n) != 0 || n < 0 || end - p < n + 2)
        return 0;
    out->p = p;
    out->n = (size_t)n;
    return 1;
}

int kv_rd_bulk_at(const char **pp, const char *end, kv_str *out)
{
    const char *p = *pp;
    long long n;
    if (kv_rd_header(&p, end, '$', &n) != 0 || n < 0 || end - p < n + 2)
        return -1;
    out->p = p;
    out->n = (size_t)n;
    *pp = p + n + 2;
    return 0;
}

int kv_lockkeys_whole(kv_ctx *ctx, int argc, const kv_str *argv, kv_str *keys, int max,
                      int *whole)
{
    (void)ctx;
    (void)argc;
    (void)argv;
    (void)keys;
    (void)max;
    *whole = 1;
    return 0;
}
