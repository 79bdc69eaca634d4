/* Whole-keyspace readers: KEYS and RANDOMKEY run on every shard (KEYS's
 * arrays concatenated; RANDOMKEY picks among the shards' offers weighted by
 * size); SCAN's cursor is dict_cursor * nshards + shard: a call goes on
 * into the next shards while its COUNT budget lasts, each shard handing
 * over to the next at its end, so Redis's guarantee (a key present
 * throughout is returned) holds shard by shard. */
#include "cmd/keys/keys.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
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

typedef struct scan_opts {
    long long count;
    const kv_str *pat;  /* NULL: every key */
    const kv_str *type; /* NULL: any type */
} scan_opts;

/* The options from argv[from]: SCAN's (from 2) or a part's copy of them. */
static int scan_options(kv_ctx *ctx, int from, int argc, const kv_str *argv, scan_opts *o)
{
    int j;
    o->count = 10;
    o->pat = o->type = NULL;
    for (j = from; j < argc; j += 2) {
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

/* What is left of one SCAN call's budget as it moves from shard to shard:
 * Redis's loop stops once COUNT keys were seen (before filtering) or after
 * COUNT*10 buckets, whichever comes first. */
typedef struct scan_budget {
    long long keys;
    long long buckets;
} scan_budget;

static void scan_budget_init(scan_budget *b, long long count)
{
    b->keys = count;
    b->buckets = count > LLONG_MAX / 10 ? LLONG_MAX : count * 10;
}

/* One shard's share of a SCAN from dict cursor dc: the kept keys as bulks
 * appended to kr (*nkept counted), the budget spent; returns the shard's
 * next dict cursor (0: this shard is done). */
static unsigned long scan_shard(kv_ctx *ctx, unsigned long dc, const scan_opts *o,
                                scan_budget *bud, kv_reply *kr, long long *nkept)
{
    scan_batch b;
    size_t off;
    kv_buf_init(&b.keys);
    b.n = 0;
    do
        dc = kv_db_scan(kv_ctx_db(ctx), dc, scan_visit, &b);
    while (dc && bud->buckets-- > 0 && b.n < bud->keys);
    bud->keys -= b.n;
    for (off = 0; off < b.keys.len;) {
        kv_str key;
        memcpy(&key.n, b.keys.p + off, sizeof key.n);
        key.p = b.keys.p + off + sizeof key.n;
        off += sizeof key.n + key.n;
        if (scan_keep(ctx, o, &key)) {
            kv_reply_bulk(kr, key.p, key.n);
            (*nkept)++;
        }
    }
    kv_buf_free(&b.keys);
    return dc;
}

static void scan_reply(kv_ctx *ctx, unsigned long cursor, const kv_buf *kept, long long nkept)
{
    char cbuf[32];
    snprintf(cbuf, sizeof cbuf, "%lu", cursor);
    kv_reply_array(&ctx->out, 2);
    kv_reply_bulk_cstr(&ctx->out, cbuf);
    kv_reply_array(&ctx->out, nkept);
    kv_reply_raw(&ctx->out, kept->p, kept->len);
}

static void scan_kept_init(kv_reply *kr, kv_buf *kept, int proto)
{
    kv_buf_init(kept);
    kr->buf = kept;
    kr->proto = proto;
    kr->errors = 0;
}

/* One shard: the whole SCAN runs here. */
static void kv_cmd_scan(kv_ctx *ctx, int argc, const kv_str *argv)
{
    unsigned long cursor;
    scan_opts opt;
    scan_budget bud;
    kv_buf kept;
    kv_reply kr;
    long long nkept = 0;

    if (kv_scan_cursor(&argv[1], &cursor) != 0) {
        kv_reply_error(&ctx->out, "ERR invalid cursor");
        return;
    }
    if (scan_options(ctx, 2, argc, argv, &opt) != 0)
        return;
    scan_budget_init(&bud, opt.count);
    scan_kept_init(&kr, &kept, ctx->out.proto);
    cursor = scan_shard(ctx, cursor, &opt, &bud, &kr, &nkept);
    scan_reply(ctx, cursor, &kept, nkept);
    kv_buf_free(&kept);
}

/* Sub-command `scanpart dc keys buckets [SCAN's options]`: this shard's
 * share, replying *4 [next dict cursor, keys budget left, buckets budget
 * left, *n kept keys]. */
static void kv_scanpart_exec(kv_ctx *ctx, int argc, const kv_str *argv)
{
    unsigned long dc;
    scan_opts opt;
    scan_budget bud;
    kv_buf kept;
    kv_reply kr;
    long long nkept = 0;
    if (kv_scan_cursor(&argv[1], &dc) != 0 || !kv_arg_ll(&argv[2], &bud.keys) ||
        !kv_arg_ll(&argv[3], &bud.buckets)) {
        kv_reply_syntax(ctx);
        return;
    }
    if (scan_options(ctx, 4, argc, argv, &opt) != 0)
        return;
    scan_kept_init(&kr, &kept, ctx->out.proto);
    dc = scan_shard(ctx, dc, &opt, &bud, &kr, &nkept);
    kv_reply_array(&ctx->out, 4);
    kv_reply_int(&ctx->out, (long long)dc);
    kv_reply_int(&ctx->out, bud.keys);
    kv_reply_int(&ctx->out, bud.buckets);
    kv_reply_array(&ctx->out, nkept);
    kv_reply_raw(&ctx->out, kept.p, kept.len);
    kv_buf_free(&kept);
}

static const kv_cmd kv_sub_scanpart = {.name = "scanpart", .arity = -4, .exec = kv_scanpart_exec};

/* Several shards: the cursor is dict_cursor * nshards + shard. A call runs
 * on the cursor's shard and, while that shard is done and the budget is not
 * spent, goes on from the start of the next shard, so a small keyspace is
 * scanned in one call as on Redis. Each shard's own scan keeps Redis's
 * guarantee, and the shards are visited in order, so every key present for
 * the whole iteration is returned at least once. */
typedef struct scan_co {
    int shard;
    long long nkept;
    scan_budget bud;
    kv_buf kept;
} scan_co;

static void scan_co_free(void *p)
{
    scan_co *s = (scan_co *)p;
    kv_buf_free(&s->kept);
    free(s);
}

static void scan_co_send(kv_ctx *ctx, kv_coord *co, scan_co *s, unsigned long dc, int argc,
                         const kv_str *argv)
{
    char n[3][32];
    kv_str *sub = malloc((size_t)(argc + 2) * sizeof *sub);
    int i;
    if (!sub)
        abort();
    snprintf(n[0], sizeof n[0], "%lu", dc);
    snprintf(n[1], sizeof n[1], "%lld", s->bud.keys);
    snprintf(n[2], sizeof n[2], "%lld", s->bud.buckets);
    sub[0].p = kv_sub_scanpart.name;
    sub[0].n = strlen(kv_sub_scanpart.name);
    for (i = 0; i < 3; i++) {
        sub[i + 1].p = n[i];
        sub[i + 1].n = strlen(n[i]);
    }
    for (i = 2; i < argc; i++)
        sub[i + 2] = argv[i];
    kv_coord_send(co, s->shard, ctx->db, &kv_sub_scanpart, argc + 2, sub);
    free(sub);
}

/* A part's reply: its keys appended to s, the next dict cursor; -1 if it
 * is not a part's reply (then it is passed on as it is). */
static int scan_co_take(scan_co *s, kv_str r, unsigned long *dc)
{
    const char *p = r.p, *end = r.p + r.n;
    long long n, v;
    if (kv_rd_header(&p, end, '*', &n) != 0 || n != 4 || kv_rd_header(&p, end, ':', &v) != 0 ||
        kv_rd_header(&p, end, ':', &s->bud.keys) != 0 ||
        kv_rd_header(&p, end, ':', &s->bud.buckets) != 0 || kv_rd_header(&p, end, '*', &n) != 0)
        return -1;
    *dc = (unsigned long)v;
    s->nkept += n;
    kv_buf_append(&s->kept, p, (size_t)(end - p));
    return 0;
}

static int kv_coord_scan(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    unsigned long nshards = (unsigned long)kv_shard_count(ctx->shard), cursor, dc;
    scan_co *s = (scan_co *)kv_coord_data(co);
    scan_opts opt;
    if (kv_coord_step(co) == 0) {
        if (kv_scan_cursor(&argv[1], &cursor) != 0) {
            kv_reply_error(&ctx->out, "ERR invalid cursor");
            return KV_COORD_DONE;
        }
        if (scan_options(ctx, 2, argc, argv, &opt) != 0)
            return KV_COORD_DONE;
        if (!(s = calloc(1, sizeof *s)))
            abort();
        kv_buf_init(&s->kept);
        scan_budget_init(&s->bud, opt.count);
        s->shard = (int)(cursor % nshards);
        kv_coord_set_data(co, s, scan_co_free);
        scan_co_send(ctx, co, s, cursor / nshards, argc, argv);
        return KV_COORD_WAIT;
    }
    if (scan_co_take(s, kv_coord_reply(co, 0), &dc) != 0) {
        kv_str r = kv_coord_reply(co, 0);
        kv_reply_raw(&ctx->out, r.p, r.n);
        return KV_COORD_DONE;
    }
    if (!dc && (unsigned long)s->shard + 1 < nshards && s->bud.keys > 0 && s->bud.buckets > 0) {
        s->shard++;
        scan_co_send(ctx, co, s, 0, argc, argv);
        return KV_COORD_WAIT;
    }
    if (dc)
        cursor = dc * nshards + (unsigned long)s->shard;
    else
        cursor = (unsigned long)s->shard + 1 < nshards ? (unsigned long)s->shard + 1 : 0;
    scan_reply(ctx, cursor, &s->kept, s->nkept);
    return KV_COORD_DONE;
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
    /* Inside EXEC it needs every shard (its coordination visits them). */
    {.name = "scan", .flags = KV_CMD_COORD_ALWAYS, .route = KV_ROUTE_COORD, .exec = kv_cmd_scan,
     .coord = kv_coord_scan, .lockkeys = kv_lockkeys_whole},
    KV_SPEC_END
};
