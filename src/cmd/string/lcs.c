/* LCS: the longest common subsequence of two strings, as Redis 7.0 computes
 * and reports it: the full (alen+1) x (blen+1) table of prefix LCS lengths,
 * bounded by proto-max-bulk-len, walked back from the end, preferring to
 * drop a byte of the second string on ties; IDX lists the matched ranges
 * in that walk's order (last first). Keys on two shards are read there and
 * compared on the client's shard. */
#include "cmd/string/string.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct kv_lcs_opts {
    int getlen, getidx, withmatchlen;
    long long minmatchlen;
} kv_lcs_opts;

/* Options come after the keys were read (Redis looks them up first). */
static int kv_lcs_options(kv_ctx *ctx, int argc, const kv_str *argv, kv_lcs_opts *o)
{
    int j;
    memset(o, 0, sizeof *o);
    for (j = 3; j < argc; j++) {
        if (kv_arg_eq(&argv[j], "idx")) {
            o->getidx = 1;
        } else if (kv_arg_eq(&argv[j], "len")) {
            o->getlen = 1;
        } else if (kv_arg_eq(&argv[j], "withmatchlen")) {
            o->withmatchlen = 1;
        } else if (kv_arg_eq(&argv[j], "minmatchlen") && j < argc - 1) {
            if (kv_arg_ll_or_reply(ctx, &argv[++j], &o->minmatchlen) != 0)
                return -1;
            if (o->minmatchlen < 0)
                o->minmatchlen = 0;
        } else {
            kv_reply_syntax(ctx);
            return -1;
        }
    }
    if (o->getidx && o->getlen) {
        kv_reply_error(&ctx->out, "ERR If you want both the length and indexes, please just use IDX.");
        return -1;
    }
    return 0;
}

/* LEN alone needs no walk back: two rows of the table are enough. */
static uint32_t kv_lcs_length(const unsigned char *a, uint32_t alen, const unsigned char *b,
                              uint32_t blen)
{
    uint32_t *prev = calloc((size_t)blen + 1, sizeof *prev);
    uint32_t *cur = calloc((size_t)blen + 1, sizeof *cur);
    uint32_t i, j, r;
    if (!prev || !cur)
        abort();
    for (i = 1; i <= alen; i++) {
        uint32_t *t;
        for (j = 1; j <= blen; j++) {
            if (a[i - 1] == b[j - 1])
                cur[j] = prev[j - 1] + 1;
            else
                cur[j] = prev[j] > cur[j - 1] ? prev[j] : cur[j - 1];
        }
        t = prev;
        prev = cur;
        cur = t;
    }
    r = prev[blen];
    free(prev);
    free(cur);
    return r;
}

typedef struct kv_lcs_range {
    uint32_t a0, a1, b0, b1;
} kv_lcs_range;

static void kv_lcs_reply_idx(kv_ctx *ctx, const kv_lcs_range *rg, size_t n, int withlen,
                             uint32_t total)
{
    size_t i;
    kv_reply_map(&ctx->out, 2);
    kv_reply_bulk_cstr(&ctx->out, "matches");
    kv_reply_array(&ctx->out, (long)n);
    for (i = 0; i < n; i++) {
        kv_reply_array(&ctx->out, 2 + withlen);
        kv_reply_array(&ctx->out, 2);
        kv_reply_int(&ctx->out, rg[i].a0);
        kv_reply_int(&ctx->out, rg[i].a1);
        kv_reply_array(&ctx->out, 2);
        kv_reply_int(&ctx->out, rg[i].b0);
        kv_reply_int(&ctx->out, rg[i].b1);
        if (withlen)
            kv_reply_int(&ctx->out, (long long)rg[i].a1 - rg[i].a0 + 1);
    }
    kv_reply_bulk_cstr(&ctx->out, "len");
    kv_reply_int(&ctx->out, total);
}

/* The table walk: the LCS bytes into out (filled from the end) and, for
 * IDX, the ranges of consecutive matches long enough to report. */
static size_t kv_lcs_walk(const uint32_t *t, const unsigned char *a, uint32_t alen,
                          const unsigned char *b, uint32_t blen, const kv_lcs_opts *o,
                          char *out, kv_lcs_range *rg)
{
    size_t w = (size_t)blen + 1, nr = 0;
    uint32_t i = alen, j = blen, k = t[(size_t)alen * w + blen];
    int open = 0;
    kv_lcs_range cur = {0, 0, 0, 0};
    while (i > 0 && j > 0) {
        int emit = 0;
        if (a[i - 1] == b[j - 1]) {
            out[--k] = (char)a[i - 1];
            /* After a match both indexes step back, so the next match (if
             * any) extends the open range at its start. */
            if (!open) {
                cur.a0 = cur.a1 = i - 1;
                cur.b0 = cur.b1 = j - 1;
                open = 1;
            } else {
                cur.a0--;
                cur.b0--;
            }
            if (cur.a0 == 0 || cur.b0 == 0)
                emit = 1;
            i--;
            j--;
        } else {
            if (t[(size_t)(i - 1) * w + j] > t[(size_t)i * w + j - 1])
                i--;
            else
                j--;
            emit = open;
        }
        if (emit) {
            if (o->getidx && (o->minmatchlen == 0 ||
                              (long long)(cur.a1 - cur.a0 + 1) >= o->minmatchlen))
                rg[nr++] = cur;
            open = 0;
        }
    }
    return nr;
}

static void kv_lcs_run(kv_ctx *ctx, const unsigned char *a, size_t alen_z,
                       const unsigned char *b, size_t blen_z, int argc, const kv_str *argv)
{
    kv_lcs_opts o;
    unsigned long long cells, bytes;
    uint32_t alen, blen, i, j, total;
    size_t w, nr;
    uint32_t *t;
    char *out;
    kv_lcs_range *rg = NULL;

    if (kv_lcs_options(ctx, argc, argv, &o) != 0)
        return;
    if (alen_z >= UINT32_MAX - 1 || blen_z >= UINT32_MAX - 1) {
        kv_reply_error(&ctx->out, "ERR String too long for LCS");
        return;
    }
    alen = (uint32_t)alen_z;
    blen = (uint32_t)blen_z;
    cells = ((unsigned long long)alen + 1) * ((unsigned long long)blen + 1);
    bytes = cells * sizeof(uint32_t);
    if (bytes / sizeof(uint32_t) != cells || bytes >= SIZE_MAX) {
        kv_reply_error(&ctx->out, "ERR Insufficient memory, failed allocating transient memory for LCS");
        return;
    }
    if (bytes > (unsigned long long)kv_state(ctx)->srv->proto_max_bulk_len) {
        kv_reply_error(&ctx->out, "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
        return;
    }
    if (o.getlen) {
        kv_reply_int(&ctx->out, kv_lcs_length(a, alen, b, blen));
        return;
    }
    t = malloc((size_t)bytes);
    if (!t) {
        kv_reply_error(&ctx->out, "ERR Insufficient memory, failed allocating transient memory for LCS");
        return;
    }
    w = (size_t)blen + 1;
    for (j = 0; j <= blen; j++)
        t[j] = 0;
    for (i = 1; i <= alen; i++) {
        uint32_t *row = t + (size_t)i * w, *up = row - w;
        row[0] = 0;
        for (j = 1; j <= blen; j++) {
            if (a[i - 1] == b[j - 1])
                row[j] = up[j - 1] + 1;
            else
                row[j] = up[j] > row[j - 1] ? up[j] : row[j - 1];
        }
    }
    total = t[(size_t)alen * w + blen];
    out = malloc((size_t)total + 1);
    if (o.getidx)
        rg = malloc(((size_t)total + 1) * sizeof *rg);
    if (!out || (o.getidx && !rg))
        abort();
    nr = kv_lcs_walk(t, a, alen, b, blen, &o, out, rg);
    free(t);
    if (o.getidx)
        kv_lcs_reply_idx(ctx, rg, nr, o.withmatchlen, total);
    else
        kv_reply_bulk(&ctx->out, out, total);
    free(out);
    free(rg);
}

static void kv_lcs_wrongtype(kv_ctx *ctx)
{
    kv_reply_error(&ctx->out, "ERR The specified keys must contain string values");
}

static void kv_cmd_lcs(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *ea = kv_lookup_read(ctx, &argv[1]);
    kv_entry *eb = kv_lookup_read(ctx, &argv[2]);
    char abuf[KV_LLSTR_SIZE], bbuf[KV_LLSTR_SIZE];
    const char *a = "", *b = "";
    size_t alen = 0, blen = 0;

    if ((ea && kv_obj_type(kv_entry_val(ea)) != KV_TYPE_STRING) ||
        (eb && kv_obj_type(kv_entry_val(eb)) != KV_TYPE_STRING)) {
        kv_lcs_wrongtype(ctx);
        return;
    }
    if (ea)
        a = kv_str_ptr(kv_entry_val(ea), abuf, &alen);
    if (eb)
        b = kv_str_ptr(kv_entry_val(eb), bbuf, &blen);
    kv_lcs_run(ctx, (const unsigned char *)a, alen, (const unsigned char *)b, blen, argc, argv);
}

/* The keys live on two shards: read each where it lives, then compare. */
static int kv_coord_lcs(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    kv_strval v[2];
    int i;
    if (kv_coord_step(co) == 0) {
        for (i = 1; i <= 2; i++) {
            kv_str sub[2];
            sub[0] = argv[0];
            sub[1] = argv[i];
            kv_coord_send(co, kv_shard_of_key(ctx->shard, argv[i].p, argv[i].n), ctx->db,
                          &kv_sub_strvals, 2, sub);
        }
        return KV_COORD_WAIT;
    }
    for (i = 0; i < 2; i++) {
        kv_str r = kv_coord_reply(co, i);
        if (kv_strvals_parse(r, &v[i], 1) != 1) {
            kv_reply_error(&ctx->out, "ERR internal: unexpected reply from a shard");
            return KV_COORD_DONE;
        }
    }
    if (v[0].kind == KV_SV_WRONGTYPE || v[1].kind == KV_SV_WRONGTYPE) {
        kv_lcs_wrongtype(ctx);
        return KV_COORD_DONE;
    }
    for (i = 0; i < 2; i++)
        if (v[i].kind == KV_SV_MISSING)
            v[i].p = "", v[i].n = 0;
    kv_lcs_run(ctx, (const unsigned char *)v[0].p, v[0].n, (const unsigned char *)v[1].p,
               v[1].n, argc, argv);
    return KV_COORD_DONE;
}

const kv_cmdspec kv_cmds_string_lcs[] = {
    {.name = "lcs", .route = KV_ROUTE_COORD, .exec = kv_cmd_lcs, .coord = kv_coord_lcs},
    KV_SPEC_END
};
