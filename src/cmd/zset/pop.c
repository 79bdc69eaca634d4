/* Pops and sampling: ZPOPMIN/ZPOPMAX, ZMPOP (a coordination when its keys
 * span shards: find the first non-empty key, then pop on its shard),
 * ZRANDMEMBER and ZSCAN. */
#include "cmd/zset/zset.h"

#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "cmd/keys/collscan.h"
#include "cmd/lib/glob.h"
#include "store/dict.h"

/* Pop up to count elements of key's zset (min first unless max). With
 * nested, each element is a [member, score] pair (ZMPOP, RESP3 counts);
 * with emitkey the reply is [key, elements] (ZMPOP). Deletes the key when
 * it empties. */
static void zpop_reply(kv_ctx *ctx, const kv_str *key, kv_obj *o, long long count, int max,
                       int nested, int emitkey)
{
    size_t len = kv_zset_len(o), n = (unsigned long long)count < len ? (size_t)count : len, i;
    if (emitkey) {
        kv_reply_array(&ctx->out, 2);
        kv_reply_bulk(&ctx->out, key->p, key->n);
    }
    kv_reply_array(&ctx->out, (long)(nested ? n : n * 2));
    for (i = 0; i < n; i++) {
        kv_zit it;
        char buf[KV_ZSET_D2STR_MAX];
        const char *m;
        kv_zit_rank(&it, o, 0, max);
        if (nested)
            kv_reply_array(&ctx->out, 2);
        kv_reply_bulk(&ctx->out, it.m, it.mlen);
        kv_reply_double(&ctx->out, it.score);
        /* The member bytes may live in the iterator: copy before deleting. */
        m = it.m;
        if (m == it.buf) {
            memcpy(buf, it.buf, it.mlen);
            m = buf;
        }
        kv_zset_del(o, m, it.mlen);
    }
    kv_notify(ctx, KV_NOTIFY_ZSET, max ? "zpopmax" : "zpopmin", ctx->db, key);
    if (kv_zset_len(o) == 0) {
        kv_db_delete(kv_ctx_db(ctx), key->p, key->n);
        kv_notify(ctx, KV_NOTIFY_GENERIC, "del", ctx->db, key);
    }
    kv_signal_modified(ctx, ctx->db, key);
    kv_dirty(ctx, (long long)n);
    if (emitkey && kv_state(ctx)->aof) {
        /* ZMPOP (and BZMPOP) as Redis 7.0 logs it: ZPOPMIN|ZPOPMAX key
         * <popped>. ZPOPMIN and ZPOPMAX are logged as they ran. */
        char num[KV_LLSTR_SIZE];
        kv_str a[3];
        a[0].p = max ? "ZPOPMAX" : "ZPOPMIN";
        a[0].n = 7;
        a[1] = *key;
        a[2].p = num;
        a[2].n = (size_t)kv_ll2str(num, sizeof num, (long long)n);
        kv_propagate(ctx, 3, a);
    }
}

static void zpop_generic(kv_ctx *ctx, int argc, const kv_str *argv, int max)
{
    long long count = 1;
    int err = 0;
    kv_obj *o;
    if (argc > 3) {
        kv_reply_syntax(ctx);
        return;
    }
    if (argc == 3 && (!kv_arg_ll(&argv[2], &count) || count < 0)) {
        kv_reply_error(&ctx->out, "ERR value is out of range, must be positive");
        return;
    }
    o = kv_zget(ctx, &argv[1], 1, &err);
    if (err)
        return;
    if (!o || count == 0) {
        kv_reply_array(&ctx->out, 0);
        return;
    }
    zpop_reply(ctx, &argv[1], o, count, max, argc == 3 && ctx->out.proto == 3, 0);
}

static void kv_cmd_zpopmin(kv_ctx *ctx, int argc, const kv_str *argv)
{
    zpop_generic(ctx, argc, argv, 0);
}

static void kv_cmd_zpopmax(kv_ctx *ctx, int argc, const kv_str *argv)
{
    zpop_generic(ctx, argc, argv, 1);
}

/* ------------------------------------------------------------------ ZMPOP */

/* ZMPOP numkeys key... MIN|MAX [COUNT n]; 0, or -1 after replying. */
static int zmpop_parse(kv_ctx *ctx, int argc, const kv_str *argv, long long *numkeys, int *max,
                       long long *count)
{
    long long where, j;
    *count = -1;
    if (!kv_arg_ll(&argv[1], numkeys) || *numkeys < 1) {
        kv_reply_error(&ctx->out, "ERR numkeys should be greater than 0");
        return -1;
    }
    where = 1 + *numkeys + 1;
    if (*numkeys > argc || where >= argc) {
        kv_reply_syntax(ctx);
        return -1;
    }
    if (kv_arg_eq(&argv[where], "min"))
        *max = 0;
    else if (kv_arg_eq(&argv[where], "max"))
        *max = 1;
    else {
        kv_reply_syntax(ctx);
        return -1;
    }
    for (j = where + 1; j < argc; j++) {
        if (*count == -1 && kv_arg_eq(&argv[j], "count") && j + 1 < argc) {
            j++;
            if (!kv_arg_ll(&argv[j], count) || *count < 1) {
                kv_reply_error(&ctx->out, "ERR count should be greater than 0");
                return -1;
            }
        } else {
            kv_reply_syntax(ctx);
            return -1;
        }
    }
    if (*count == -1)
        *count = 1;
    return 0;
}

static void kv_cmd_zmpop(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long numkeys, count, i;
    int max, err = 0;
    if (zmpop_parse(ctx, argc, argv, &numkeys, &max, &count) != 0)
        return;
    for (i = 0; i < numkeys; i++) {
        kv_obj *o = kv_zget(ctx, &argv[2 + i], 1, &err);
        if (err)
            return;
        if (o) {
            zpop_reply(ctx, &argv[2 + i], o, count, max, 1, 1);
            return;
        }
    }
    kv_reply_null_array(&ctx->out);
}

/* Sub-command "zmpop-probe key": :1 a zset, :0 no key, or WRONGTYPE. */
static void kv_cmd_zmpop_probe(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int err = 0;
    kv_obj *o = kv_zget(ctx, &argv[1], 1, &err);
    (void)argc;
    if (!err)
        kv_reply_int(&ctx->out, o != NULL);
}

static const kv_cmd zsub_probe = {.name = "zmpop-probe", .arity = 2, .flags = KV_CMD_READONLY,
                                  .exec = kv_cmd_zmpop_probe};
const kv_cmd kv_zsub_zmpop = {.name = "zmpop", .arity = -4, .flags = KV_CMD_WRITE,
                                  .exec = kv_cmd_zmpop};

/* Across shards: probe every key (in argument order), then pop from the
 * first one holding a zset with "ZMPOP 1 key MIN|MAX COUNT n" on its shard
 * (a WRONGTYPE met before it is the reply). */
static int kv_coord_zmpop(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    long long numkeys, count, i, v;
    int max;
    char nbuf[24];
    kv_str sub[6];
    if (kv_coord_step(co) == 2) {
        kv_zrelay(ctx, kv_coord_reply(co, 0));
        return KV_COORD_DONE;
    }
    if (zmpop_parse(ctx, argc, argv, &numkeys, &max, &count) != 0)
        return KV_COORD_DONE;
    if (kv_coord_step(co) == 0) {
        for (i = 0; i < numkeys; i++) {
            const kv_str *k = &argv[2 + i];
            sub[0] = argv[0];
            sub[1] = *k;
            kv_coord_send(co, kv_shard_of_key(ctx->shard, k->p, k->n), ctx->db, &zsub_probe, 2,
                          sub);
        }
        return KV_COORD_WAIT;
    }
    for (i = 0; i < numkeys; i++) {
        kv_str r = kv_coord_reply(co, (int)i);
        if (!kv_resp_reply_int(r.p, r.n, &v)) {
            kv_zrelay(ctx, r);
            return KV_COORD_DONE;
        }
        if (v)
            break;
    }
    if (i == numkeys) {
        kv_reply_null_array(&ctx->out);
        return KV_COORD_DONE;
    }
    sub[0] = argv[0];
    sub[1].p = "1";
    sub[1].n = 1;
    sub[2] = argv[2 + i];
    sub[3].p = max ? "max" : "min";
    sub[3].n = 3;
    sub[4].p = "count";
    sub[4].n = 5;
    sub[5].p = nbuf;
    sub[5].n = (size_t)kv_ll2str(nbuf, sizeof nbuf, count);
    kv_coord_send(co, kv_shard_of_key(ctx->shard, argv[2 + i].p, argv[2 + i].n), ctx->db,
                  &kv_zsub_zmpop, 6, sub);
    return KV_COORD_WAIT;
}

/* ------------------------------------------------------------ ZRANDMEMBER */

static uint64_t *zrng(kv_ctx *ctx)
{
    return &kv_state(ctx)->ks->rng;
}

static void zrand_one(kv_ctx *ctx, const kv_obj *o, size_t rank, int withscores)
{
    kv_zit it;
    kv_zit_rank(&it, o, rank, 0);
    kv_zreply_member_score(ctx, it.m, it.mlen, it.score, withscores);
}

/* Add v to an open-addressed set of ranks (stored + 1); 0 if present. */
static int rank_set_add(size_t *set, size_t cap, size_t v)
{
    size_t h = (size_t)((v * 0x9E3779B97F4A7C15ULL) >> 20) & (cap - 1);
    for (; set[h]; h = (h + 1) & (cap - 1))
        if (set[h] == v + 1)
            return 0;
    set[h] = v + 1;
    return 1;
}

static void zrandmember_count(kv_ctx *ctx, const kv_obj *o, long long l, int withscores)
{
    size_t size = kv_zset_len(o), count, i;
    int uniq = l >= 0;
    count = (size_t)(l >= 0 ? l : -l);
    if (!uniq || count == 1) {
        kv_zreply_range_len(ctx, count, withscores);
        for (i = 0; i < count; i++)
            zrand_one(ctx, o, (size_t)(kv_dict_rng_next(zrng(ctx)) % size), withscores);
        return;
    }
    if (count >= size) {
        /* The whole set, from the highest score down (as Redis walks it). */
        kv_zit it;
        int more;
        kv_zreply_range_len(ctx, size, withscores);
        for (more = kv_zit_rank(&it, o, 0, 1); more; more = kv_zit_next(&it))
            kv_zreply_member_score(ctx, it.m, it.mlen, it.score, withscores);
        return;
    }
    {
        /* count distinct ranks out of size (count < size): Floyd's sampling,
         * with a small open-addressed set, so memory follows count. */
        size_t cap = 16, j, *set;
        while (cap < count * 2)
            cap *= 2;
        set = calloc(cap, sizeof *set);
        if (!set)
            abort();
        kv_zreply_range_len(ctx, count, withscores);
        for (j = size - count; j < size; j++) {
            size_t t = (size_t)(kv_dict_rng_next(zrng(ctx)) % (j + 1));
            if (!rank_set_add(set, cap, t))
                rank_set_add(set, cap, t = j);
            zrand_one(ctx, o, t, withscores);
        }
        free(set);
    }
}

static void kv_cmd_zrandmember(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long l = 0;
    int withscores = 0, err = 0;
    kv_obj *o;
    if (argc >= 3) {
        if (kv_arg_ll_or_reply(ctx, &argv[2], &l) != 0)
            return;
        if (l == LLONG_MIN) {
            kv_reply_error(&ctx->out, "ERR value is out of range, value must between "
                                      "-9223372036854775807 and 9223372036854775807");
            return;
        }
        if (argc > 4 || (argc == 4 && !kv_arg_eq(&argv[3], "withscores"))) {
            kv_reply_syntax(ctx);
            return;
        }
        withscores = argc == 4;
        if (withscores && (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2)) {
            kv_reply_error(&ctx->out, "ERR value is out of range");
            return;
        }
    }
    o = kv_zget(ctx, &argv[1], 0, &err);
    if (err)
        return;
    if (argc < 3) {
        if (o)
            zrand_one(ctx, o, (size_t)(kv_dict_rng_next(zrng(ctx)) % kv_zset_len(o)), 0);
        else
            kv_reply_null(&ctx->out);
        return;
    }
    if (!o || l == 0) {
        kv_reply_array(&ctx->out, 0);
        return;
    }
    zrandmember_count(ctx, o, l, withscores);
}

/* ------------------------------------------------------------------ ZSCAN */

typedef struct zscan_acc {
    kv_buf out;     /* the matching elements, already as RESP bulks */
    long long seen; /* entries visited (member and score count 2, as in Redis) */
    long matched;   /* bulks in out */
    const kv_str *pat;
} zscan_acc;

static void zscan_one(void *arg, const char *m, size_t mlen, const char *s, size_t slen)
{
    zscan_acc *a = arg;
    kv_reply r;
    a->seen += 2; /* Redis filters after collecting */
    if (a->pat && !kv_glob_match(a->pat->p, a->pat->n, m, mlen, 0))
        return;
    r.buf = &a->out;
    r.proto = 2;
    r.errors = 0;
    kv_reply_bulk(&r, m, mlen);
    kv_reply_bulk(&r, s, slen);
    a->matched += 2;
}

static void kv_cmd_zscan(kv_ctx *ctx, int argc, const kv_str *argv)
{
    unsigned long cursor;
    long long count = 10;
    int err = 0, j;
    zscan_acc acc;
    kv_obj *o;
    char cbuf[24];
    if (kv_scan_cursor_or_reply(ctx, &argv[2], &cursor) != 0)
        return;
    o = kv_zget(ctx, &argv[1], 0, &err);
    if (err)
        return;
    if (!o) {
        kv_reply_array(&ctx->out, 2);
        kv_reply_bulk(&ctx->out, "0", 1);
        kv_reply_array(&ctx->out, 0);
        return;
    }
    acc.pat = NULL;
    for (j = 3; j < argc; j += 2) {
        if (kv_arg_eq(&argv[j], "count") && j + 1 < argc) {
            if (kv_arg_ll_or_reply(ctx, &argv[j + 1], &count) != 0)
                return;
            if (count < 1) {
                kv_reply_syntax(ctx);
                return;
            }
        } else if (kv_arg_eq(&argv[j], "match") && j + 1 < argc) {
            acc.pat = &argv[j + 1];
            if (acc.pat->n == 1 && acc.pat->p[0] == '*')
                acc.pat = NULL;
        } else {
            kv_reply_syntax(ctx);
            return;
        }
    }
    kv_buf_init(&acc.out);
    acc.seen = 0;
    acc.matched = 0;
    if (kv_obj_encoding(o) == KV_ENC_LISTPACK) {
        cursor = kv_zset_scan(o, 0, zscan_one, &acc);
    } else {
        long long iters = count * 10;
        do {
            cursor = kv_zset_scan(o, cursor, zscan_one, &acc);
        } while (cursor && iters-- && acc.seen < count);
    }
    kv_reply_array(&ctx->out, 2);
    kv_reply_bulk(&ctx->out, cbuf, (size_t)snprintf(cbuf, sizeof cbuf, "%lu", cursor));
    kv_reply_array(&ctx->out, acc.matched);
    kv_reply_raw(&ctx->out, acc.out.p, acc.out.len);
    kv_buf_free(&acc.out);
}

const kv_cmdspec kv_cmds_zset_pop[] = {
    {.name = "zmpop", .route = KV_ROUTE_COORD, .exec = kv_cmd_zmpop, .coord = kv_coord_zmpop,
     .getkeys = kv_zgetkeys_numkeys},
    {.name = "zpopmax", .route = KV_ROUTE_KEY, .exec = kv_cmd_zpopmax},
    {.name = "zpopmin", .route = KV_ROUTE_KEY, .exec = kv_cmd_zpopmin},
    {.name = "zrandmember", .route = KV_ROUTE_KEY, .exec = kv_cmd_zrandmember},
    {.name = "zscan", .route = KV_ROUTE_KEY, .exec = kv_cmd_zscan},
    KV_SPEC_END
};
