/* Bitmap commands (Redis 7.0 "bitmap" group): SETBIT, GETBIT, BITCOUNT,
 * BITPOS and BITOP (BITFIELD lives in bitfield.c). Bits
 * are numbered from the most significant bit of the first byte; a missing
 * key reads as an endless run of zero bits. Redis's checking order is kept
 * exactly: BITCOUNT looks the key up before parsing its range (a missing
 * key answers 0 to anything), BITPOS parses the bit first. */
#include "cmd/string/string.h"
#include "cmd/multi/watch.h"

#include <stdlib.h>
#include <string.h>

int kv_bit_offset(kv_ctx *ctx, const kv_str *a, int bits, uint64_t *off)
{
    int usehash = bits > 0 && a->n > 0 && a->p[0] == '#';
    long long v;
    if (!kv_str2ll(a->p + usehash, a->n - (size_t)usehash, &v))
        goto err;
    if (usehash) {
        /* Redis multiplies in 64 bits and lets it wrap. */
        uint64_t m = (uint64_t)v * (uint64_t)bits;
        v = m <= (uint64_t)INT64_MAX ? (long long)m : -(long long)(~m) - 1;
    }
    if (v < 0 || (v >> 3) >= kv_state(ctx)->srv->proto_max_bulk_len)
        goto err;
    *off = (uint64_t)v;
    return 0;
err:
    kv_reply_error(&ctx->out, "ERR bit offset is not an integer or out of range");
    return -1;
}

/* kv_bit_string_grow, also telling whether the key was created or grew
 * (which makes a SETBIT a modification even when the bit was already so). */
static unsigned char *kv_bit_grow(kv_ctx *ctx, const kv_str *key, uint64_t maxbit, size_t *len,
                                  int *grew)
{
    kv_entry *e = kv_lookup_write(ctx, key);
    size_t need = (size_t)(maxbit >> 3) + 1;
    kv_obj *o;
    unsigned char *p;
    *grew = 1;
    if (!e) {
        int created;
        /* Grown before it is attached, so the db accounts its full size. */
        o = kv_new_zeroed_string(need);
        p = (unsigned char *)kv_str_grow(o, 0);
        e = kv_db_upsert(kv_ctx_db(ctx), key->p, key->n, &created);
        kv_set_val(ctx, e, o);
    } else {
        o = kv_entry_val(e);
        if (kv_obj_type(o) != KV_TYPE_STRING) {
            kv_reply_wrongtype(ctx);
            return NULL;
        }
        *grew = kv_str_len(o) < need;
        p = (unsigned char *)kv_str_grow(o, need);
    }
    *len = kv_str_len(o);
    return p;
}

unsigned char *kv_bit_string_grow(kv_ctx *ctx, const kv_str *key, uint64_t maxbit, size_t *len)
{
    int grew;
    return kv_bit_grow(ctx, key, maxbit, len, &grew);
}

/* The bytes of the string under key for reading: NULL with *len 0 when
 * missing; *wrong = 1 (after the reply) when it is another type. */
static const unsigned char *kv_bit_read(kv_ctx *ctx, const kv_str *key, char *llbuf,
                                        size_t *len, int *wrong)
{
    kv_entry *e = kv_lookup_read(ctx, key);
    *len = 0;
    *wrong = 0;
    if (!e)
        return NULL;
    if (kv_obj_type(kv_entry_val(e)) != KV_TYPE_STRING) {
        kv_reply_wrongtype(ctx);
        *wrong = 1;
        return NULL;
    }
    return (const unsigned char *)kv_str_ptr(kv_entry_val(e), llbuf, len);
}

static void kv_cmd_setbit(kv_ctx *ctx, int argc, const kv_str *argv)
{
    uint64_t off;
    long long on;
    unsigned char *p, mask;
    size_t len;
    int old, grew;
    (void)argc;
    if (kv_bit_offset(ctx, &argv[2], 0, &off) != 0)
        return;
    if (!kv_arg_ll(&argv[3], &on) || (on & ~1LL)) {
        kv_reply_error(&ctx->out, "ERR bit is not an integer or out of range");
        return;
    }
    if (!(p = kv_bit_grow(ctx, &argv[1], off, &len, &grew)))
        return;
    mask = (unsigned char)(0x80u >> (off & 7));
    old = (p[off >> 3] & mask) != 0;
    if (on)
        p[off >> 3] |= mask;
    else
        p[off >> 3] &= (unsigned char)~mask;
    /* Like Redis 7.0: a bit already set so (in a string long enough) is no
     * modification. */
    if (grew || old != on) {
        kv_signal_modified(ctx, ctx->db, &argv[1]);
        kv_notify(ctx, KV_NOTIFY_STRING, "setbit", ctx->db, &argv[1]);
        kv_dirty(ctx, 1);
    }
    kv_reply_int(&ctx->out, old);
}

static void kv_cmd_getbit(kv_ctx *ctx, int argc, const kv_str *argv)
{
    char llbuf[KV_LLSTR_SIZE];
    const unsigned char *p;
    uint64_t off;
    size_t len;
    int wrong, bit = 0;
    (void)argc;
    if (kv_bit_offset(ctx, &argv[2], 0, &off) != 0)
        return;
    p = kv_bit_read(ctx, &argv[1], llbuf, &len, &wrong);
    if (wrong)
        return;
    if (p && (off >> 3) < len)
        bit = (p[off >> 3] >> (7 - (off & 7))) & 1;
    kv_reply_int(&ctx->out, bit);
}

static int kv_popcount8(unsigned v)
{
    v = v - ((v >> 1) & 0x55u);
    v = (v & 0x33u) + ((v >> 2) & 0x33u);
    return (int)((v + (v >> 4)) & 0x0fu);
}

static long long kv_popcount(const unsigned char *p, size_t n)
{
    long long c = 0;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w = w - ((w >> 1) & 0x5555555555555555ULL);
        w = (w & 0x3333333333333333ULL) + ((w >> 2) & 0x3333333333333333ULL);
        w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
        c += (long long)((w * 0x0101010101010101ULL) >> 56);
        p += 8;
        n -= 8;
    }
    while (n--)
        c += kv_popcount8(*p++);
    return c;
}

/* Parse the optional BYTE|BIT unit word; 0 ok, -1 after a syntax error. */
static int kv_bit_unit(kv_ctx *ctx, const kv_str *a, int *isbit)
{
    if (kv_arg_eq(a, "bit"))
        *isbit = 1;
    else if (kv_arg_eq(a, "byte"))
        *isbit = 0;
    else {
        kv_reply_syntax(ctx);
        return -1;
    }
    return 0;
}

/* Redis's range normalisation: negative indexes count from the end, then
 * both are clamped into [0, total - 1] (end may become -1 when total is 0). */
static void kv_bit_clamp(long long total, long long *start, long long *end)
{
    if (*start < 0)
        *start += total;
    if (*end < 0)
        *end += total;
    if (*start < 0)
        *start = 0;
    if (*end < 0)
        *end = 0;
    if (*end >= total)
        *end = total - 1;
}

static void kv_cmd_bitcount(kv_ctx *ctx, int argc, const kv_str *argv)
{
    char llbuf[KV_LLSTR_SIZE];
    const unsigned char *p;
    long long start, end, count;
    size_t len;
    int wrong, isbit = 0;

    p = kv_bit_read(ctx, &argv[1], llbuf, &len, &wrong);
    if (wrong)
        return;
    if (!p) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    if (argc == 2) {
        kv_reply_int(&ctx->out, kv_popcount(p, len));
        return;
    }
    if (argc > 5 || argc == 3) {
        kv_reply_syntax(ctx);
        return;
    }
    if (kv_arg_ll_or_reply(ctx, &argv[2], &start) != 0 ||
        kv_arg_ll_or_reply(ctx, &argv[3], &end) != 0)
        return;
    if (start < 0 && end < 0 && start > end) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    if (argc == 5 && kv_bit_unit(ctx, &argv[4], &isbit) != 0)
        return;
    kv_bit_clamp(isbit ? (long long)len * 8 : (long long)len, &start, &end);
    if (start > end) {
        kv_reply_int(&ctx->out, 0);
        return;
    }
    if (!isbit) {
        kv_reply_int(&ctx->out, kv_popcount(p + start, (size_t)(end - start + 1)));
        return;
    }
    /* Whole bytes, less the bits before start and after end. */
    count = kv_popcount(p + (start >> 3), (size_t)((end >> 3) - (start >> 3) + 1));
    count -= kv_popcount8(p[start >> 3] & (0xffu << (8 - (start & 7))) & 0xffu);
    count -= kv_popcount8(p[end >> 3] & ((1u << (7 - (end & 7))) - 1));
    kv_reply_int(&ctx->out, count);
}

/* The first bit equal to `bit` in bits [sb, eb] of p, or -1. Whole words
 * holding only the other value are skipped. */
static long long kv_bit_find(const unsigned char *p, uint64_t sb, uint64_t eb, int bit)
{
    uint64_t byte = sb >> 3, last = eb >> 3;
    unsigned char skip = bit ? 0x00 : 0xff;
    for (; byte <= last; byte++) {
        unsigned v = bit ? p[byte] : (unsigned)(unsigned char)~p[byte];
        int k;
        if (byte == sb >> 3)
            v &= 0xffu >> (sb & 7);
        if (byte == last)
            v &= (0xff00u >> ((eb & 7) + 1)) & 0xffu;
        if (v) {
            for (k = 0; !(v & (0x80u >> k)); k++)
                ;
            return (long long)(byte * 8 + (uint64_t)k);
        }
        /* Skip 8 bytes at a time while they cannot hold a match. */
        while (byte + 8 < last) {
            uint64_t w, all = skip ? ~0ULL : 0ULL;
            memcpy(&w, p + byte + 1, 8);
            if (w != all)
                break;
            byte += 8;
        }
    }
    return -1;
}

static void kv_cmd_bitpos(kv_ctx *ctx, int argc, const kv_str *argv)
{
    char llbuf[KV_LLSTR_SIZE];
    const unsigned char *p;
    long long bit, start = 0, end, pos, total;
    size_t len;
    int wrong, isbit = 0, end_given = 0;

    if (kv_arg_ll_or_reply(ctx, &argv[2], &bit) != 0)
        return;
    if (bit != 0 && bit != 1) {
        kv_reply_error(&ctx->out, "ERR The bit argument must be 1 or 0.");
        return;
    }
    p = kv_bit_read(ctx, &argv[1], llbuf, &len, &wrong);
    if (wrong)
        return;
    if (!p) {
        kv_reply_int(&ctx->out, bit ? -1 : 0);
        return;
    }
    end = (long long)len - 1;
    if (argc > 6) {
        kv_reply_syntax(ctx);
        return;
    }
    if (argc >= 4) {
        if (kv_arg_ll_or_reply(ctx, &argv[3], &start) != 0)
            return;
        if (argc == 6 && kv_bit_unit(ctx, &argv[5], &isbit) != 0)
            return;
        if (argc >= 5) {
            if (kv_arg_ll_or_reply(ctx, &argv[4], &end) != 0)
                return;
            end_given = 1;
        } else {
            end = isbit ? (long long)len * 8 - 1 : (long long)len - 1;
        }
        kv_bit_clamp(isbit ? (long long)len * 8 : (long long)len, &start, &end);
    }
    if (start > end) {
        kv_reply_int(&ctx->out, -1);
        return;
    }
    if (!isbit) { /* byte range -> bit range */
        start *= 8;
        end = end * 8 + 7;
    }
    pos = kv_bit_find(p, (uint64_t)start, (uint64_t)end, (int)bit);
    total = end + 1;
    /* No clear bit in range: without an explicit end the string continues
     * with zero bits, so the answer is the first bit past it. */
    if (pos < 0 && bit == 0 && !end_given)
        pos = total;
    kv_reply_int(&ctx->out, pos);
}

/* ------------------------------------------------------------- BITOP */

enum { KV_BITOP_AND, KV_BITOP_OR, KV_BITOP_XOR, KV_BITOP_NOT };

/* The operation named by a, or -1. */
static int kv_bitop_op(const kv_str *a)
{
    if (kv_arg_eq(a, "and"))
        return KV_BITOP_AND;
    if (kv_arg_eq(a, "or"))
        return KV_BITOP_OR;
    if (kv_arg_eq(a, "xor"))
        return KV_BITOP_XOR;
    if (kv_arg_eq(a, "not"))
        return KV_BITOP_NOT;
    return -1;
}

static int kv_bitop_parse(kv_ctx *ctx, int argc, const kv_str *argv, int *op)
{
    if ((*op = kv_bitop_op(&argv[1])) < 0) {
        kv_reply_syntax(ctx);
        return -1;
    }
    if (*op == KV_BITOP_NOT && argc != 4) {
        kv_reply_error(&ctx->out, "ERR BITOP NOT must be called with a single source key.");
        return -1;
    }
    return 0;
}

static int kv_check_bitop(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int op;
    return kv_bitop_parse(ctx, argc, argv, &op);
}

/* The combined value (missing sources are empty, shorter ones padded with
 * zero bytes), malloc'd, and its length: the longest source's. NULL when
 * every source is empty. */
static unsigned char *kv_bitop_compute(int op, const kv_strval *v, int n, size_t *len)
{
    size_t maxlen = 0, i;
    unsigned char *r;
    int k;
    for (k = 0; k < n; k++)
        if (v[k].n > maxlen)
            maxlen = v[k].n;
    *len = maxlen;
    if (!maxlen)
        return NULL;
    if (!(r = malloc(maxlen)))
        abort();
    for (i = 0; i < maxlen; i++) {
        unsigned char b = i < v[0].n ? (unsigned char)v[0].p[i] : 0;
        if (op == KV_BITOP_NOT)
            b = (unsigned char)~b;
        for (k = 1; k < n; k++) {
            unsigned char c = i < v[k].n ? (unsigned char)v[k].p[i] : 0;
            if (op == KV_BITOP_AND)
                b &= c;
            else if (op == KV_BITOP_OR)
                b |= c;
            else
                b ^= c;
        }
        r[i] = b;
    }
    return r;
}

/* The store sub-command's arguments: set dest to the result, or delete it
 * when the result is empty (as Redis does); returns the argument count. */
static int kv_bitop_store_args(kv_str *sub, const kv_str *dest, const unsigned char *r,
                               size_t len)
{
    sub[0].p = kv_sub_strstore.name;
    sub[0].n = strlen(kv_sub_strstore.name);
    sub[1] = *dest;
    sub[2].p = (const char *)r;
    sub[2].n = len;
    return len ? 3 : 2;
}

static void kv_cmd_bitop(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int op, j, n = argc - 3;
    kv_strval *v;
    char(*llbufs)[KV_LLSTR_SIZE];
    unsigned char *r;
    kv_str sub[3];
    size_t len;
    if (kv_bitop_parse(ctx, argc, argv, &op) != 0)
        return;
    v = malloc((size_t)n * sizeof *v);
    llbufs = malloc((size_t)n * sizeof *llbufs);
    if (!v || !llbufs)
        abort();
    for (j = 0; j < n; j++) {
        kv_entry *e = kv_lookup_read(ctx, &argv[j + 3]);
        v[j].kind = KV_SV_MISSING;
        v[j].p = "";
        v[j].n = 0;
        if (!e)
            continue;
        if (kv_obj_type(kv_entry_val(e)) != KV_TYPE_STRING) {
            kv_reply_wrongtype(ctx);
            goto out;
        }
        v[j].kind = KV_SV_STRING;
        v[j].p = kv_str_ptr(kv_entry_val(e), llbufs[j], &v[j].n);
    }
    /* The store replies the stored length, which is BITOP's reply. */
    r = kv_bitop_compute(op, v, n, &len);
    kv_sub_strstore.exec(ctx, kv_bitop_store_args(sub, &argv[2], r, len), sub);
    free(r);
out:
    free(v);
    free(llbufs);
}

/* Step 1 of the coordination: every source value, in key order, from the
 * replies of step 0 (one per shard owning sources, in shard order). 0, or
 * -1 after replying an error. */
static int kv_bitop_gather(kv_ctx *ctx, kv_coord *co, const int *owner, int n, kv_strval *v)
{
    int nsh = kv_shard_count(ctx->shard), s, j, m, r = 0, rc = 0;
    kv_strval *tmp = malloc((size_t)n * sizeof *tmp);
    if (!tmp)
        abort();
    for (s = 0; s < nsh && rc == 0; s++) {
        for (j = 0, m = 0; j < n; j++)
            m += owner[j] == s;
        if (m == 0)
            continue;
        if (kv_strvals_parse(kv_coord_reply(co, r++), tmp, m) != m) {
            kv_reply_error(&ctx->out, "ERR internal: unexpected reply from a shard");
            rc = -1;
            break;
        }
        for (j = 0, m = 0; j < n; j++)
            if (owner[j] == s)
                v[j] = tmp[m++];
    }
    for (j = 0; j < n && rc == 0; j++) {
        if (v[j].kind == KV_SV_WRONGTYPE) {
            kv_reply_wrongtype(ctx);
            rc = -1;
        }
    }
    free(tmp);
    return rc;
}

/* Sources spread over shards: read them where they live (step 0), combine
 * here and store on the destination's shard (step 1), relay the stored
 * length (step 2). All reads come before the one write. */
static int kv_coord_bitop(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    int nsh = kv_shard_count(ctx->shard), n = argc - 3, s, j, m, rc = KV_COORD_WAIT;
    int step = kv_coord_step(co);
    int *owner;
    kv_str *sub;
    kv_strval *v;
    unsigned char *r;
    size_t len;
    long long stored;

    if (step == 2) {
        kv_str rep = kv_coord_reply(co, 0);
        if (kv_resp_reply_int(rep.p, rep.n, &stored))
            kv_reply_int(&ctx->out, stored);
        else
            kv_reply_error(&ctx->out, "ERR internal: unexpected reply from a shard");
        return KV_COORD_DONE;
    }
    owner = malloc((size_t)n * sizeof *owner);
    sub = malloc(((size_t)n + 3) * sizeof *sub);
    v = malloc((size_t)n * sizeof *v);
    if (!owner || !sub || !v)
        abort();
    for (j = 0; j < n; j++)
        owner[j] = kv_shard_of_key(ctx->shard, argv[j + 3].p, argv[j + 3].n);
    if (step == 0) {
        for (s = 0; s < nsh; s++) {
            sub[0] = argv[0];
            for (j = 0, m = 1; j < n; j++)
                if (owner[j] == s)
                    sub[m++] = argv[j + 3];
            if (m > 1)
                kv_coord_send(co, s, ctx->db, &kv_sub_strvals, m, sub);
        }
    } else if (kv_bitop_gather(ctx, co, owner, n, v) != 0) {
        rc = KV_COORD_DONE;
    } else {
        r = kv_bitop_compute(kv_bitop_op(&argv[1]), v, n, &len); /* checked before routing */
        kv_coord_send(co, kv_shard_of_key(ctx->shard, argv[2].p, argv[2].n), ctx->db,
                      &kv_sub_strstore, kv_bitop_store_args(sub, &argv[2], r, len), sub);
        free(r);
    }
    free(owner);
    free(sub);
    free(v);
    return rc;
}

const kv_cmdspec kv_cmds_string_bitmap[] = {
    {.name = "bitcount", .route = KV_ROUTE_KEY, .exec = kv_cmd_bitcount},
    {.name = "bitop", .route = KV_ROUTE_COORD, .exec = kv_cmd_bitop, .check = kv_check_bitop,
     .coord = kv_coord_bitop},
    {.name = "bitpos", .route = KV_ROUTE_KEY, .exec = kv_cmd_bitpos},
    {.name = "getbit", .route = KV_ROUTE_KEY, .exec = kv_cmd_getbit},
    {.name = "setbit", .route = KV_ROUTE_KEY, .exec = kv_cmd_setbit},
    KV_SPEC_END
};
