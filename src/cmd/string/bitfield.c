/* BITFIELD and BITFIELD_RO: integers of 1..64 bits (u63 at most) at any
 * bit offset of a string, read, written and incremented with Redis's
 * overflow rules (WRAP, SAT, FAIL). Every operation is parsed before the
 * key is touched; a write grows the string to cover its furthest field
 * first, even when every write then fails on overflow. */
#include "cmd/string/string.h"
#include "cmd/multi/watch.h"

#include <stdlib.h>
#include <string.h>

/* The uint64 bit pattern read as two's complement, without relying on an
 * implementation-defined conversion. */
static int64_t kv_bf_u2s(uint64_t v)
{
    return v <= (uint64_t)INT64_MAX ? (int64_t)v : -(int64_t)(~v) - 1;
}

uint64_t kv_bf_get(const unsigned char *p, uint64_t off, int bits)
{
    uint64_t v = 0;
    int i;
    for (i = 0; i < bits; i++, off++)
        v = (v << 1) | (uint64_t)((p[off >> 3] >> (7 - (off & 7))) & 1);
    return v;
}

void kv_bf_set(unsigned char *p, uint64_t off, int bits, uint64_t v)
{
    int i;
    for (i = bits - 1; i >= 0; i--, off++) {
        unsigned char mask = (unsigned char)(0x80u >> (off & 7));
        if ((v >> i) & 1)
            p[off >> 3] |= mask;
        else
            p[off >> 3] &= (unsigned char)~mask;
    }
}

int64_t kv_bf_signed(uint64_t v, int bits)
{
    if (bits < 64) {
        uint64_t mask = ((uint64_t)1 << bits) - 1;
        v &= mask;
        if (v >> (bits - 1))
            v |= ~mask;
    }
    return kv_bf_u2s(v);
}

int kv_bf_signed_add(int64_t value, int64_t incr, int bits, int ow, int64_t *res)
{
    int64_t max = bits >= 64 ? INT64_MAX : ((int64_t)1 << (bits - 1)) - 1;
    int64_t min = -max - 1;
    int dir = 0;
    /* Compare without computing value + incr, which may not fit. */
    if (value > max || (incr > 0 && value > max - incr))
        dir = 1;
    else if (value < min || (incr < 0 && value < min - incr))
        dir = -1;
    if (dir == 0) {
        *res = value + incr;
        return 0;
    }
    if (ow == KV_BF_WRAP)
        *res = kv_bf_signed((uint64_t)value + (uint64_t)incr, bits);
    else if (ow == KV_BF_SAT)
        *res = dir > 0 ? max : min;
    return dir;
}

int kv_bf_unsigned_add(uint64_t value, int64_t incr, int bits, int ow, uint64_t *res)
{
    uint64_t max = bits >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << bits) - 1;
    int dir = 0;
    if (value > max || (incr > 0 && (uint64_t)incr > max - value))
        dir = 1;
    else if (incr < 0 && (uint64_t)(-(incr + 1)) + 1 > value)
        dir = -1;
    if (dir == 0) {
        *res = value + (uint64_t)incr;
        return 0;
    }
    if (ow == KV_BF_WRAP)
        *res = (value + (uint64_t)incr) & max;
    else if (ow == KV_BF_SAT)
        *res = dir > 0 ? max : 0;
    return dir;
}

enum { KV_BF_GET, KV_BF_SETOP, KV_BF_INCRBY };

typedef struct kv_bfop {
    uint64_t off;
    long long val;
    int op, ow, bits, sign;
} kv_bfop;

/* "i1".."i64" or "u1".."u63", read as a C string. */
static int kv_bf_type(kv_ctx *ctx, const kv_str *a, int *sign, int *bits)
{
    size_t n = kv_arg_cstrlen(a);
    long long v;
    if (n >= 2 && (a->p[0] == 'i' || a->p[0] == 'u') && kv_str2ll(a->p + 1, n - 1, &v) &&
        v >= 1 && v <= (a->p[0] == 'i' ? 64 : 63)) {
        *sign = a->p[0] == 'i';
        *bits = (int)v;
        return 0;
    }
    kv_reply_error(&ctx->out, "ERR Invalid bitfield type. Use something like i16 u8. "
                              "Note that u64 is not supported but i64 is.");
    return -1;
}

/* Parse every operation into ops; returns their count, or -1 after an
 * error reply. *writes: whether any SET or INCRBY is there; *maxbit: the
 * furthest bit they reach. */
static int kv_bf_parse(kv_ctx *ctx, int argc, const kv_str *argv, kv_bfop *ops, int *writes,
                       uint64_t *maxbit)
{
    int j, n = 0, ow = KV_BF_WRAP;
    *writes = 0;
    *maxbit = 0;
    for (j = 2; j < argc; j++) {
        int rem = argc - j - 1;
        kv_bfop *o = &ops[n];
        if (kv_arg_eq(&argv[j], "get") && rem >= 2) {
            o->op = KV_BF_GET;
        } else if (kv_arg_eq(&argv[j], "set") && rem >= 3) {
            o->op = KV_BF_SETOP;
        } else if (kv_arg_eq(&argv[j], "incrby") && rem >= 3) {
            o->op = KV_BF_INCRBY;
        } else if (kv_arg_eq(&argv[j], "overflow") && rem >= 1) {
            const kv_str *t = &argv[++j];
            if (kv_arg_eq(t, "wrap"))
                ow = KV_BF_WRAP;
            else if (kv_arg_eq(t, "sat"))
                ow = KV_BF_SAT;
            else if (kv_arg_eq(t, "fail"))
                ow = KV_BF_FAIL;
            else {
                kv_reply_error(&ctx->out, "ERR Invalid OVERFLOW type specified");
                return -1;
            }
            continue;
        } else {
            kv_reply_syntax(ctx);
            return -1;
        }
        if (kv_bf_type(ctx, &argv[j + 1], &o->sign, &o->bits) != 0 ||
            kv_bit_offset(ctx, &argv[j + 2], o->bits, &o->off) != 0)
            return -1;
        o->ow = ow;
        o->val = 0;
        if (o->op != KV_BF_GET) {
            uint64_t last = o->off + (uint64_t)o->bits - 1;
            *writes = 1;
            if (last > *maxbit)
                *maxbit = last;
            if (kv_arg_ll_or_reply(ctx, &argv[j + 3], &o->val) != 0)
                return -1;
        }
        n++;
        j += o->op == KV_BF_GET ? 2 : 3;
    }
    return n;
}

/* A GET reads past the end of the string as zero bits. */
static void kv_bf_reply_get(kv_ctx *ctx, const unsigned char *p, size_t len, const kv_bfop *o)
{
    unsigned char buf[9];
    uint64_t byte = o->off >> 3, v;
    int i;
    memset(buf, 0, sizeof buf);
    for (i = 0; i < 9 && p && byte + (uint64_t)i < len; i++)
        buf[i] = p[byte + (uint64_t)i];
    v = kv_bf_get(buf, o->off & 7, o->bits);
    if (o->sign)
        kv_reply_int(&ctx->out, kv_bf_signed(v, o->bits));
    else
        kv_reply_int(&ctx->out, (long long)v);
}

/* SET replies the old value, INCRBY the new one; an overflow under FAIL
 * replies null and writes nothing (-1); else 1 if the field's value
 * changed, 0 if not. */
static int kv_bf_write(kv_ctx *ctx, unsigned char *p, const kv_bfop *o)
{
    uint64_t old = kv_bf_get(p, o->off, o->bits), nu;
    long long ret;
    int ovf;
    if (o->sign) {
        int64_t olds = kv_bf_signed(old, o->bits), ns;
        if (o->op == KV_BF_INCRBY) {
            ovf = kv_bf_signed_add(olds, o->val, o->bits, o->ow, &ns);
            ret = ns;
        } else {
            ovf = kv_bf_signed_add(o->val, 0, o->bits, o->ow, &ns);
            ret = olds;
        }
        nu = (uint64_t)ns;
    } else {
        if (o->op == KV_BF_INCRBY) {
            ovf = kv_bf_unsigned_add(old, o->val, o->bits, o->ow, &nu);
            ret = (long long)nu;
        } else {
            ovf = kv_bf_unsigned_add((uint64_t)o->val, 0, o->bits, o->ow, &nu);
            ret = (long long)old;
        }
    }
    if (ovf && o->ow == KV_BF_FAIL) {
        kv_reply_null(&ctx->out);
        return -1;
    }
    kv_reply_int(&ctx->out, ret);
    kv_bf_set(p, o->off, o->bits, nu);
    return kv_bf_get(p, o->off, o->bits) != old;
}

static void kv_bitfield(kv_ctx *ctx, int argc, const kv_str *argv, int readonly_cmd)
{
    kv_bfop *ops = malloc(((size_t)argc / 2 + 1) * sizeof *ops);
    char llbuf[KV_LLSTR_SIZE];
    const unsigned char *rp = NULL;
    unsigned char *wp = NULL;
    uint64_t maxbit;
    size_t len = 0, oldlen = 0;
    int n, writes, i, changes = 0;

    if (!ops)
        abort();
    if ((n = kv_bf_parse(ctx, argc, argv, ops, &writes, &maxbit)) < 0)
        goto out;
    if (!writes) {
        kv_entry *e = kv_lookup_read(ctx, &argv[1]);
        if (e) {
            if (kv_obj_type(kv_entry_val(e)) != KV_TYPE_STRING) {
                kv_reply_wrongtype(ctx);
                goto out;
            }
            rp = (const unsigned char *)kv_str_ptr(kv_entry_val(e), llbuf, &len);
        }
    } else if (readonly_cmd) {
        kv_reply_error(&ctx->out, "ERR BITFIELD_RO only supports the GET subcommand");
        goto out;
    } else {
        kv_entry *e = kv_lookup_write(ctx, &argv[1]);
        if (e && kv_obj_type(kv_entry_val(e)) == KV_TYPE_STRING)
            oldlen = kv_str_len(kv_entry_val(e));
        if (!(wp = kv_bit_string_grow(ctx, &argv[1], maxbit, &len)))
            goto out;
        rp = wp;
    }
    kv_reply_array(&ctx->out, n);
    for (i = 0; i < n; i++) {
        int rc;
        if (ops[i].op == KV_BF_GET) {
            kv_bf_reply_get(ctx, rp, len, &ops[i]);
            continue;
        }
        /* Redis counts a write done (not refused by FAIL) that changed the
         * field or came with a grown string. */
        rc = kv_bf_write(ctx, wp, &ops[i]);
        if (rc > 0 || (rc == 0 && len != oldlen))
            changes++;
    }
    if (changes) {
        kv_signal_modified(ctx, ctx->db, &argv[1]);
        kv_notify(ctx, KV_NOTIFY_STRING, "setbit", ctx->db, &argv[1]);
        kv_dirty(ctx, changes);
    }
out:
    free(ops);
}

static void kv_cmd_bitfield(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_bitfield(ctx, argc, argv, 0);
}

static void kv_cmd_bitfield_ro(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_bitfield(ctx, argc, argv, 1);
}

const kv_cmdspec kv_cmds_string_bitfield[] = {
    {.name = "bitfield", .route = KV_ROUTE_KEY, .exec = kv_cmd_bitfield},
    {.name = "bitfield_ro", .route = KV_ROUTE_KEY, .exec = kv_cmd_bitfield_ro},
    KV_SPEC_END
};
