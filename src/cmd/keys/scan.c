/* Whole-keyspace readers: KEYS and RANDOMKEY run on every shard (KEYS's
 * arrays concatenated; RANDOMKEY picks among the shards' offers weighted by
 * size); SCAN runs on one shard per call, its cursor dict_cursor * nshards +
 * shard, each shard handing over to the next at its end, so Redis's
 * guarantee (a key present throughout is returned) holds shard by shard. */
#include "cmd/keys/keys.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cmd/lib/glob.h"
#include "store/dict.h"

/* ---------------------------------------------------------------- KEYS */

typedef struct keys_walk {
    kv_reply out; /* the matching keys as bulks, counted */
    long n;
    const kv_str *pat;
    int all;
    kv_db *db;
    long long now;
} keys_walk;

static void keys_visit(void *arg, kv_entry *e)
{
    keys_walk *w = (keys_walk *)arg;
    size_t klen;
    const char *k = kv_entry_key(e, &klen);
    if (!w->all && !kv_glob_match(w->pat->p, w->pat->n, k, klen, 0))
        return;
    if (kv_entry_has_expire(e) && kv_db_is_expired(w->db, e, w->now))
        return; /* logically gone; KEYS does not delete it */
    kv_reply_bulk(&w->out, k, klen);
    w->n++;
}

static void kv_cmd_keys(kv_ctx *ctx, int argc, const kv_str *argv)
{
    keys_walk w;
    kv_buf b;
    unsigned long c = 0;
    (void)argc;
    kv_buf_init(&b);
    w.out.buf = &b;
    w.out.proto = ctx->out.proto;
    w.out.errors = 0;
    w.n = 0;
    w.pat = &argv[1];
    w.all = argv[1].n == 1 && argv[1].p[0] == '*';
    w.db = kv_ctx_db(ctx);
    w.now = kv_now_ms(ctx);
    do
        c = kv_db_scan(w.db, c, keys_visit, &w);
    while (c);
    kv_reply_array(&ctx->out, w.n);
    kv_reply_raw(&ctx->out, b.p, b.len);
    kv_buf_free(&b);
}

/* ---------------------------------------------------------------- SCAN */

int kv_scan_cursor(const kv_str *a, unsigned long *cursor)
{
    size_t n = kv_arg_cstrlen(a), i = 0, start;
    unsigned long v = 0;
    int neg = 0;
    if (n > 0 && isspace((unsigned char)a->p[0]))
        return -1;
    if (i < n && (a->p[i] == '+' || a->p[i] == '-'))
        neg = a->p[i++] == '-';
    start = i;
    for (; i < n && a->p[i] >= '0' && a->p[i] <= '9'; i++) {
        unsigned d = (unsigned)(a->p[i] - '0');
        if (v > (ULONG_MAX - d) / 10)
            return -1; /* ERANGE */
        v = v * 10 + d;
    }
    if (i == start) /* no digits: strtoul ends where it began */
        return n == 0 ? (*cursor = 0, 0) : -1;
    if (i < n)
        return -1;
    *cursor = neg ? 0UL - v : v;
    return 0;
}

static int kv_target_scan(int nshards, int argc, const kv_str *argv)
{
    unsigned long c;
    (void)argc;
    if (kv_scan_cursor(&argv[1], &c) != 0 || nshards < 1)
        return -1;
    return (int)(c % (unsigned long)nshards);
}

typedef struct scan_opts {
    long long count;
    const kv_str *pat;  /* NULL: every key */
    const kv_str *type; /* NULL: any type */
} scan_opts;

static int scan_options(kv_ctx *ctx, int argc, const kv_str *argv, scan_opts *o)
{
    int j;
    o->count = 10;
    o->pat = o->type = NULL;
    for (j = 2; j < argc; j += 2) {
        if (j + 1 >= argc) {
            kv_reply_syntax(ctx);
            return -1;
        }
        if (kv_arg_eq(&argv[j], "count")) {
            if (kv_arg_ll_or_reply(ctx, &argv[j + 1], &o->count) != 0)
                return -1;
            if (o->count < 1) {
                kv_reply_syntax(ctx);
                return -1;
            }
        } else if (kv_arg_eq(&argv[j], "match")) {
            const kv_str *p = &argv[j + 1];
            o->pat = p->n == 1 && p->p[0] == '*' ? NULL : p;
        } else if (kv_arg_eq(&argv[j], "type")) {
            o->type = &argv[j + 1];
        } else {
            kv_reply_syntax(ctx);
            return -1;
        }
    }
    return 0;
}

/* Keys seen by the dict scan, copied (the filter may delete entries):
 * each as a size_t length then the bytes. */
typedef struct scan_batch {
    kv_buf keys;
    long long n;
} scan_batch;

static void scan_visit(void *arg, kv_entry *e)
{
    scan_batch *b = (scan_batch *)arg;
    size_t klen;
    const char *k = kv_entry_key(e, &klen);
    kv_buf_append(&b->keys, &klen, sizeof klen);
    kv_buf_append(&b->keys, k, klen);
    b->n++;
}

/* Redis's filters, in its order: pattern, type (a lookup that counts a hit
 * or miss and may expire the key, which then reads "none"), expiry. */
static int scan_keep(kv_ctx *ctx, const scan_opts *o, const kv_str *key)
{
    if (o->pat && !kv_glob_match(o->pat->p, o->pat->n, key->p, key->n, 0))
        return 0;
    if (o->type) {
        kv_entry *e = kv_lookup_read_notouch(ctx, key);
        if (!kv_arg_eq(o->type, e ? kv_obj_type_name(kv_entry_val(e)) : "none"))
            return 0;
    }
    return kv_lookup_write(ctx, key) != NULL;
}

static void kv_cmd_scan(kv_ctx *ctx, int argc, const kv_str *argv)
{
    unsigned long cursor, dc, nshards = (unsigned long)kv_shard_count(ctx->shard), shard;
    unsigned long long maxiter;
    scan_opts opt;
    scan_batch b;
    kv_buf kept;
    kv_reply kr;
    long nkept = 0;
    size_t off;
    char cbuf[32];

    if (kv_scan_cursor(&argv[1], &cursor) != 0) {
        kv_reply_error(&ctx->out, "ERR invalid cursor");
        return;
    }
    if (scan_options(ctx, argc, argv, &opt) != 0)
        return;
    if (nshards < 1)
        nshards = 1;
    shard = cursor % nshards;
    dc = cursor / nshards;
    maxiter = opt.count > LLONG_MAX / 10 ? ULLONG_MAX : (unsigned long long)opt.count * 10;
    kv_buf_init(&b.keys);
    b.n = 0;
    do
        dc = kv_db_scan(kv_ctx_db(ctx), dc, scan_visit, &b);
    while (dc && maxiter-- && b.n < opt.count);

    kv_buf_init(&kept);
    kr.buf = &kept;
    kr.proto = ctx->out.proto;
    kr.errors = 0;
    for (off = 0; off < b.keys.len;) {
        kv_str key;
        memcpy(&key.n, b.keys.p + off, sizeof key.n);
        key.p = b.keys.p + off + sizeof key.n;
        off += sizeof key.n + key.n;
        if (scan_keep(ctx, &opt, &key)) {
            kv_reply_bulk(&kr, key.p, key.n);
            nkept++;
        }
    }
    if (dc)
        cursor = dc * nshards + shard;
    else
        cursor = shard + 1 < nshards ? shard + 1 : 0;
    snprintf(cbuf, sizeof cbuf, "%lu", cursor);
    kv_reply_array(&ctx->out, 2);
    kv_reply_bulk_cstr(&ctx->out, cbuf);
    kv_reply_array(&ctx->out, nkept);
    kv_reply_raw(&ctx->out, kept.p, kept.len);
    kv_buf_free(&kept);
    kv_buf_free(&b.keys);
}

/* ----------------------------------------------------------- RANDOMKEY */

/* Each shard: :0 when empty, else *2 [its key count, a random live key]
 * (expired keys met on the way are deleted, as Redis does). */
static void kv_cmd_randomkey(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_db *db = kv_ctx_db(ctx);
    kv_buf key;
    (void)argc;
    (void)argv;
    kv_buf_init(&key);
    for (;;) {
        kv_entry *e = kv_db_random(db);
        size_t klen;
        const char *k;
        if (!e) {
            kv_reply_int(&ctx->out, 0);
            break;
        }
        k = kv_entry_key(e, &klen);
        if (kv_entry_has_expire(e) && kv_db_is_expired(db, e, kv_now_ms(ctx))) {
            kv_str ks;
            key.len = 0;
            kv_buf_append(&key, k, klen); /* the lookup frees the entry */
            ks.p = key.p;
            ks.n = key.len;
            kv_lookup_write(ctx, &ks);
            continue;
        }
        kv_reply_array(&ctx->out, 2);
        kv_reply_int(&ctx->out, (long long)kv_db_size(db));
        kv_reply_bulk(&ctx->out, k, klen);
        break;
    }
    kv_buf_free(&key);
}

/* A shard's offer: 1 with its key count and the key's bulk reply bytes,
 * 0 when it is empty (or the reply is not an offer). */
static int rk_offer(const kv_part *p, long long *count, const char **bulk, size_t *blen)
{
    const char *s = p->reply, *end = p->reply + p->len;
    long long n;
    if (kv_rd_header(&s, end, '*', &n) != 0 || n != 2 || kv_rd_header(&s, end, ':', count) != 0 ||
        *count < 1 || s >= end)
        return 0;
    *bulk = s;
    *blen = (size_t)(end - s);
    return 1;
}

static void kv_reduce_randomkey(kv_ctx *ctx, const kv_part *parts, int nparts)
{
    unsigned long long total = 0, pick;
    long long count;
    const char *bulk;
    size_t blen;
    int i;
    for (i = 0; i < nparts; i++) {
        if (parts[i].len > 0 && parts[i].reply[0] == '-') {
            kv_reply_raw(&ctx->out, parts[i].reply, parts[i].len);
            ctx->out.errors++;
            return;
        }
        if (rk_offer(&parts[i], &count, &bulk, &blen))
            total += (unsigned long long)count;
    }
    if (total == 0) {
        kv_reply_null(&ctx->out);
        return;
    }
    pick = kv_dict_rng_next(&kv_state(ctx)->ks->rng) % total;
    for (i = 0; i < nparts; i++) {
        if (!rk_offer(&parts[i], &count, &bulk, &blen))
            continue;
        if (pick < (unsigned long long)count) {
            kv_reply_raw(&ctx->out, bulk, blen);
            return;
        }
        pick -= (unsigned long long)count;
    }
    kv_reply_null(&ctx->out);
}

const kv_cmdspec kv_cmds_keys_scan[] = {
    {.name = "keys", .flags = KV_CMD_WHOLE, .route = KV_ROUTE_ALL, .exec = kv_cmd_keys,
     .reduce = kv_reduce_concat},
    {.name = "randomkey", .flags = KV_CMD_WHOLE, .route = KV_ROUTE_ALL, .exec = kv_cmd_randomkey,
     .reduce = kv_reduce_randomkey},
    {.name = "scan", .route = KV_ROUTE_CUSTOM, .exec = kv_cmd_scan, .target = kv_target_scan},
    KV_SPEC_END
};
