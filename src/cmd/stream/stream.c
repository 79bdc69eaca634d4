/* Stream commands that read or change entries by ID (Redis 7.0 "stream"
 * group): XLEN, XRANGE, XREVRANGE, XDEL, XSETID, and the helpers the family
 * shares (stream.h). Semantics and error texts follow Redis 7.0.15's
 * t_stream.c: a stream emptied by XDEL stays, IDs parse with string2ull's
 * rules. */
#include "cmd/stream/stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/multi/watch.h"

/* Redis's string2ull: string2ll, else strtoull (so "+5", " 5" and "007"
 * pass, and "-01" wraps, as in Redis). */
static int str2ull(const char *s, unsigned long long *v)
{
    long long ll;
    char *end = NULL;
    if (kv_store_str2ll(s, strlen(s), &ll)) {
        if (ll < 0)
            return 0;
        *v = (unsigned long long)ll;
        return 1;
    }
    errno = 0;
    *v = strtoull(s, &end, 10);
    return !(errno == EINVAL || errno == ERANGE || !(*s != '\0' && *end == '\0'));
}

int kv_stream_parse_id(kv_ctx *ctx, const kv_str *a, kv_sid *id, uint64_t missing_seq,
                       int strict, int *seq_given)
{
    char buf[128], *dash;
    unsigned long long ms, seq;
    if (a->n > sizeof buf - 1)
        goto invalid;
    memcpy(buf, a->p, a->n);
    buf[a->n] = '\0';
    if (strict && (buf[0] == '-' || buf[0] == '+') && buf[1] == '\0')
        goto invalid;
    if (seq_given)
        *seq_given = 1;
    if ((buf[0] == '-' || buf[0] == '+') && buf[1] == '\0') {
        id->ms = id->seq = buf[0] == '-' ? 0 : UINT64_MAX;
        return 0;
    }
    if ((dash = strchr(buf, '-')) != NULL)
        *dash = '\0';
    if (!str2ull(buf, &ms))
        goto invalid;
    if (dash) {
        if (seq_given && dash[1] == '*' && dash[2] == '\0') {
            seq = 0;
            *seq_given = 0;
        } else if (!str2ull(dash + 1, &seq)) {
            goto invalid;
        }
    } else {
        seq = missing_seq;
    }
    id->ms = ms;
    id->seq = seq;
    return 0;
invalid:
    if (ctx)
        kv_reply_error(&ctx->out, "ERR Invalid stream ID specified as stream command argument");
    return -1;
}

int kv_stream_read(kv_ctx *ctx, const kv_str *key, kv_obj **o)
{
    kv_entry *e = kv_lookup_read(ctx, key);
    *o = e ? kv_entry_val(e) : NULL;
    if (*o && kv_obj_type(*o) != KV_TYPE_STREAM) {
        kv_reply_wrongtype(ctx);
        return -1;
    }
    return 0;
}

int kv_stream_write(kv_ctx *ctx, const kv_str *key, kv_obj **o)
{
    kv_entry *e = kv_lookup_write(ctx, key);
    *o = e ? kv_entry_val(e) : NULL;
    if (*o && kv_obj_type(*o) != KV_TYPE_STREAM) {
        kv_reply_wrongtype(ctx);
        return -1;
    }
    return 0;
}

void kv_reply_sid(kv_reply *r, const kv_sid *id)
{
    char buf[48];
    kv_reply_bulk(r, buf, kv_sid_fmt(buf, id));
}

static void reply_lpval(kv_reply *r, const kv_lpval *v)
{
    if (v->s)
        kv_reply_bulk(r, v->s, v->n);
    else
        kv_reply_bulk_ll(r, v->v);
}

size_t kv_stream_reply_entries(kv_reply *r, const kv_stream *s, const kv_sid *start,
                               const kv_sid *end, size_t count, int rev)
{
    kv_sit it;
    kv_sid id;
    kv_lpval f, v;
    long long nf;
    size_t n = 0;
    kv_sit_start(&it, s, start, end, rev);
    while ((count == 0 || n < count) && kv_sit_next(&it, &id, &nf)) {
        kv_reply_array(r, 2);
        kv_reply_sid(r, &id);
        kv_reply_array(r, 2 * (long)nf);
        while (nf-- > 0) {
            kv_sit_field(&it, &f, &v);
            reply_lpval(r, &f);
            reply_lpval(r, &v);
        }
        n++;
    }
    return n;
}

int kv_stream_reply_one(kv_reply *r, const kv_stream *s, const kv_sid *id)
{
    return kv_stream_reply_entries(r, s, id, id, 1, 0) == 1;
}

size_t kv_stream_reply_range(kv_ctx *ctx, const kv_stream *s, const kv_sid *start,
                             const kv_sid *end, size_t count, int rev)
{
    kv_buf tmp;
    kv_reply r;
    size_t n;
    kv_buf_init(&tmp);
    r.buf = &tmp;
    r.proto = ctx->out.proto;
    r.errors = 0;
    n = kv_stream_reply_entries(&r, s, start, end, count, rev);
    kv_reply_array(&ctx->out, (long)n);
    kv_reply_raw(&ctx->out, tmp.p, tmp.len);
    kv_buf_free(&tmp);
    return n;
}

/* ------------------------------------------------------------ commands */

static void kv_cmd_xlen(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_obj *o;
    (void)argc;
    if (kv_stream_read(ctx, &argv[1], &o) != 0)
        return;
    kv_reply_int(&ctx->out, o ? (long long)kv_stream_of(o)->length : 0);
}

/* An interval bound: "(" makes it exclusive (then "-" and "+" are not
 * allowed), as Redis's streamParseIntervalIDOrReply. */
int kv_stream_parse_bound(kv_ctx *ctx, const kv_str *a, kv_sid *id, int *excl,
                          uint64_t missing)
{
    kv_str t;
    *excl = a->n > 1 && a->p[0] == '(';
    if (!*excl)
        return kv_stream_parse_id(ctx, a, id, missing, 0, NULL);
    t.p = a->p + 1;
    t.n = a->n - 1;
    return kv_stream_parse_id(ctx, &t, id, missing, 1, NULL);
}

/* XRANGE key start end [COUNT n], XREVRANGE key end start [COUNT n]
 * (data: non-NULL for the reverse one). */
static void kv_cmd_xrange(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int rev = kv_cmd_data(ctx) != NULL, sx, ex, j;
    const kv_str *sa = rev ? &argv[3] : &argv[2], *ea = rev ? &argv[2] : &argv[3];
    kv_sid start, end;
    long long count = -1;
    kv_obj *o;
    if (kv_stream_parse_bound(ctx, sa, &start, &sx, 0) != 0)
        return;
    if (sx && kv_sid_incr(&start) != 0) {
        kv_reply_error(&ctx->out, "ERR invalid start ID for the interval");
        return;
    }
    if (kv_stream_parse_bound(ctx, ea, &end, &ex, UINT64_MAX) != 0)
        return;
    if (ex && kv_sid_decr(&end) != 0) {
        kv_reply_error(&ctx->out, "ERR invalid end ID for the interval");
        return;
    }
    for (j = 4; j < argc; j++) {
        if (kv_arg_eq(&argv[j], "count") && j + 1 < argc) {
            if (kv_arg_ll_or_reply(ctx, &argv[++j], &count) != 0)
                return;
            if (count < 0)
                count = 0;
        } else {
            kv_reply_syntax(ctx);
            return;
        }
    }
    if (kv_stream_read(ctx, &argv[1], &o) != 0)
        return;
    if (!o) {
        kv_reply_array(&ctx->out, 0);
        return;
    }
    if (count == 0) {
        kv_reply_null_array(&ctx->out);
        return;
    }
    kv_stream_reply_range(ctx, kv_stream_of(o), &start, &end, count < 0 ? 0 : (size_t)count,
                          rev);
}

static void kv_cmd_xdel(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_obj *o;
    kv_stream *s;
    kv_sid *ids;
    long long deleted = 0;
    int j, first = 0;
    if (kv_stream_write(ctx, &argv[1], &o) != 0)
        return;
    if (!o) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    /* Every ID is checked before any is deleted, as Redis does. */
    ids = malloc((size_t)(argc - 2) * sizeof *ids);
    if (!ids)
        abort();
    for (j = 2; j < argc; j++)
        if (kv_stream_parse_id(ctx, &argv[j], &ids[j - 2], 0, 1, NULL) != 0) {
            free(ids);
            return;
        }
    s = kv_stream_of(o);
    for (j = 0; j < argc - 2; j++) {
        if (!kv_stream_delete(s, &ids[j]))
            continue;
        if (kv_sid_cmp(&ids[j], &s->first_id) == 0)
            first = 1;
        if (kv_sid_cmp(&ids[j], &s->max_deleted) > 0)
            s->max_deleted = ids[j];
        deleted++;
    }
    free(ids);
    if (deleted) {
        if (s->length == 0)
            s->first_id.ms = s->first_id.seq = 0;
        else if (first)
            kv_stream_edge(s, 1, 0, &s->first_id);
        kv_signal_modified(ctx, ctx->db, &argv[1]);
        kv_notify(ctx, KV_NOTIFY_STREAM, "xdel", ctx->db, &argv[1]);
        kv_dirty(ctx, deleted);
    }
    kv_reply_int(&ctx->out, deleted);
}

static void kv_cmd_xsetid(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_sid id, maxdel = {0, 0}, top;
    long long added = -1;
    kv_obj *o;
    kv_stream *s;
    int i;
    if (kv_stream_parse_id(ctx, &argv[2], &id, 0, 1, NULL) != 0)
        return;
    for (i = 3; i < argc; i += 2) {
        if (kv_arg_eq(&argv[i], "entriesadded") && i + 1 < argc) {
            if (kv_arg_ll_or_reply(ctx, &argv[i + 1], &added) != 0)
                return;
            if (added < 0) {
                kv_reply_error(&ctx->out, "ERR entries_added must be positive");
                return;
            }
        } else if (kv_arg_eq(&argv[i], "maxdeletedid") && i + 1 < argc) {
            if (kv_stream_parse_id(ctx, &argv[i + 1], &maxdel, 0, 1, NULL) != 0)
                return;
            if (kv_sid_cmp(&id, &maxdel) < 0) {
                kv_reply_error(&ctx->out, "ERR The ID specified in XSETID is smaller than "
                                          "the provided max_deleted_entry_id");
                return;
            }
        } else {
            kv_reply_syntax(ctx);
            return;
        }
    }
    if (kv_stream_write(ctx, &argv[1], &o) != 0)
        return;
    if (!o) {
        kv_reply_error(&ctx->out, "ERR no such key");
        return;
    }
    s = kv_stream_of(o);
    if (s->length > 0) {
        kv_stream_edge(s, 0, 0, &top);
        if (kv_sid_cmp(&id, &top) < 0) {
            kv_reply_error(&ctx->out,
                           "ERR The ID specified in XSETID is smaller than the target stream top item");
            return;
        }
        if (added != -1 && s->length > (uint64_t)added) {
            kv_reply_error(&ctx->out, "ERR The entries_added specified in XSETID is smaller "
                                      "than the target stream length");
            return;
        }
    }
    s->last_id = id;
    if (added != -1)
        s->entries_added = (uint64_t)added;
    if (maxdel.ms || maxdel.seq)
        s->max_deleted = maxdel;
    kv_signal_modified(ctx, ctx->db, &argv[1]);
    kv_notify(ctx, KV_NOTIFY_STREAM, "xsetid", ctx->db, &argv[1]);
    kv_dirty(ctx, 1);
    kv_reply_status(&ctx->out, "OK");
}

static const int kv_rev = 1;

const kv_cmdspec kv_cmds_stream[] = {
    {.name = "xdel", .route = KV_ROUTE_KEY, .exec = kv_cmd_xdel},
    {.name = "xlen", .route = KV_ROUTE_KEY, .exec = kv_cmd_xlen},
    {.name = "xrange", .route = KV_ROUTE_KEY, .exec = kv_cmd_xrange},
    {.name = "xrevrange", .route = KV_ROUTE_KEY, .exec = kv_cmd_xrange, .data = &kv_rev},
    {.name = "xsetid", .route = KV_ROUTE_KEY, .exec = kv_cmd_xsetid},
    KV_SPEC_END
};
