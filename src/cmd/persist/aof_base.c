/* A key as the commands that rebuild it, for an AOF base written without
 * an RDB preamble (aof-use-rdb-preamble no), as Redis's rewrite writes
 * them: SET, RPUSH, SADD, ZADD or HMSET (at most 64 elements per
 * command), XADD per entry and XSETID, then PEXPIREAT when the key has a
 * TTL. */
#include "cmd/persist/aof_int.h"

#include <stdio.h>
#include <string.h>

#include "store/quicklist.h"
#include "store/t_hash.h"
#include "store/t_list.h"
#include "store/t_set.h"
#include "store/t_stream.h"
#include "store/t_stream_cg.h"
#include "store/t_zset.h"

#define ITEMS_PER_CMD 64 /* Redis's AOF_REWRITE_ITEMS_PER_CMD */

/* A command built element by element: the header is written once its
 * argument count is known (at most 2 + 2 * ITEMS_PER_CMD). */
typedef struct cmdbuf {
    kv_buf *out;
    const char *name, *key;
    size_t klen;
    int per;      /* arguments per element (1, or 2 for pairs) */
    int items;    /* elements in the pending command */
    int remaining; /* elements of the value not written yet */
    kv_buf args;  /* the pending arguments, already in RESP */
} cmdbuf;

static void bulk(kv_buf *b, const char *p, size_t n)
{
    char hdr[32];
    int h = snprintf(hdr, sizeof hdr, "$%zu\r\n", n);
    kv_buf_append(b, hdr, (size_t)h);
    kv_buf_append(b, p, n);
    kv_buf_append(b, "\r\n", 2);
}

static void bulk_val(kv_buf *b, const kv_lpval *v)
{
    char num[32];
    if (v->s) {
        bulk(b, (const char *)v->s, v->n);
        return;
    }
    bulk(b, num, (size_t)snprintf(num, sizeof num, "%lld", v->v));
}

static void cmd_flush(cmdbuf *c)
{
    char hdr[32];
    int h;
    if (c->items == 0)
        return;
    h = snprintf(hdr, sizeof hdr, "*%d\r\n", 2 + c->items * c->per);
    kv_buf_append(c->out, hdr, (size_t)h);
    bulk(c->out, c->name, strlen(c->name));
    bulk(c->out, c->key, c->klen);
    kv_buf_append(c->out, c->args.p, c->args.len);
    c->args.len = 0;
    c->items = 0;
}

static void cmd_item_done(cmdbuf *c)
{
    c->items++;
    c->remaining--;
    if (c->items == ITEMS_PER_CMD || c->remaining == 0)
        cmd_flush(c);
}

static void on_member(cmdbuf *c, const kv_lpval *m)
{
    bulk_val(&c->args, m);
    cmd_item_done(c);
}

static int set_member(void *arg, const kv_lpval *m)
{
    on_member(arg, m);
    return 0;
}

static void hash_pair(void *arg, const kv_lpval *f, const kv_lpval *v)
{
    cmdbuf *c = arg;
    bulk_val(&c->args, f);
    bulk_val(&c->args, v);
    cmd_item_done(c);
}

/* A stream's consumer groups as Redis's rewriteStreamObject writes them:
 * per group XGROUP CREATE key group last-id ENTRIESREAD n, then per
 * consumer an XCLAIM key group consumer 0 id TIME t RETRYCOUNT c JUSTID
 * FORCE per pending entry, or XGROUP CREATECONSUMER for one without. */
static void write_stream_groups(kv_buf *out, const char *key, size_t klen, const kv_stream *s)
{
    size_t i, j, n = kv_stream_ngroups(s);
    const kv_snack *nack;
    char num[64];
    for (i = 0; i < n; i++) {
        const kv_scg *cg = kv_stream_cgs(s)->v[i];
        kv_buf_append(out, "*7\r\n$6\r\nXGROUP\r\n$6\r\nCREATE\r\n", 28);
        bulk(out, key, klen);
        bulk(out, cg->name, cg->nlen);
        bulk(out, num, kv_sid_fmt(num, &cg->last_id));
        bulk(out, "ENTRIESREAD", 11);
        bulk(out, num, (size_t)snprintf(num, sizeof num, "%lld", cg->entries_read));
        for (j = 0; j < cg->ncons; j++) {
            const kv_sconsumer *c = cg->cons[j];
            if (c->pel.n == 0) {
                kv_buf_append(out, "*5\r\n$6\r\nXGROUP\r\n$14\r\nCREATECONSUMER\r\n", 37);
                bulk(out, key, klen);
                bulk(out, cg->name, cg->nlen);
                bulk(out, c->name, c->nlen);
                continue;
            }
            for (nack = kv_spel_first(&c->pel); nack; nack = kv_spel_next(&c->pel, nack)) {
                kv_buf_append(out, "*12\r\n$6\r\nXCLAIM\r\n", 17);
                bulk(out, key, klen);
                bulk(out, cg->name, cg->nlen);
                bulk(out, c->name, c->nlen);
                bulk(out, "0", 1);
                bulk(out, num, kv_sid_fmt(num, &nack->id));
                bulk(out, "TIME", 4);
                bulk(out, num, (size_t)snprintf(num, sizeof num, "%lld", nack->delivery_time));
                bulk(out, "RETRYCOUNT", 10);
                bulk(out, num, (size_t)snprintf(num, sizeof num, "%lld", nack->delivery_count));
                bulk(out, "JUSTID", 6);
                bulk(out, "FORCE", 5);
            }
        }
    }
}

/* A stream as Redis's rewriteStreamObject writes it: one XADD per entry
 * (an empty stream: XADD key MAXLEN 0 0-1 x y), then XSETID with the last
 * ID, entries added and the max deleted ID, then the groups. */
static void write_stream(kv_buf *out, const char *key, size_t klen, const kv_obj *o)
{
    const kv_stream *s = kv_stream_of(o);
    kv_sit it;
    kv_sid id;
    kv_lpval f, v;
    long long nf;
    char num[64], hdr[32];
    kv_sit_start(&it, s, NULL, NULL, 0);
    while (kv_sit_next(&it, &id, &nf)) {
        kv_buf_append(out, hdr, (size_t)snprintf(hdr, sizeof hdr, "*%lld\r\n", 3 + 2 * nf));
        bulk(out, "XADD", 4);
        bulk(out, key, klen);
        bulk(out, num, kv_sid_fmt(num, &id));
        while (nf-- > 0) {
            kv_sit_field(&it, &f, &v);
            bulk_val(out, &f);
            bulk_val(out, &v);
        }
    }
    if (s->length == 0) {
        kv_buf_append(out, "*7\r\n$4\r\nXADD\r\n", 14);
        bulk(out, key, klen);
        kv_buf_append(out, "$6\r\nMAXLEN\r\n$1\r\n0\r\n$3\r\n0-1\r\n$1\r\nx\r\n$1\r\ny\r\n", 42);
    }
    kv_buf_append(out, "*7\r\n$6\r\nXSETID\r\n", 16);
    bulk(out, key, klen);
    bulk(out, num, kv_sid_fmt(num, &s->last_id));
    bulk(out, "ENTRIESADDED", 12);
    bulk(out, num, (size_t)snprintf(num, sizeof num, "%llu", (unsigned long long)s->entries_added));
    bulk(out, "MAXDELETEDID", 12);
    bulk(out, num, kv_sid_fmt(num, &s->max_deleted));
    write_stream_groups(out, key, klen, s);
}

void kv_aof_write_key(kv_buf *out, const char *key, size_t klen, kv_obj *o, long long expire_ms)
{
    cmdbuf c;
    char num[64];
    memset(&c, 0, sizeof c);
    c.out = out;
    c.key = key;
    c.klen = klen;
    c.per = 1;
    kv_buf_init(&c.args);
    switch (kv_obj_type(o)) {
    case KV_TYPE_STRING: {
        size_t n;
        const char *p = kv_str_ptr(o, num, &n);
        kv_buf_append(out, "*3\r\n$3\r\nSET\r\n", 13);
        bulk(out, key, klen);
        bulk(out, p, n);
        break;
    }
    case KV_TYPE_LIST: {
        kv_qliter it;
        kv_lpval v;
        c.name = "RPUSH";
        c.remaining = (int)kv_list_len(o);
        if (kv_ql_iter_at(&it, kv_list_ql(o), 0, KV_QL_HEAD))
            while (kv_ql_next(&it, &v))
                on_member(&c, &v);
        break;
    }
    case KV_TYPE_SET:
        c.name = "SADD";
        c.remaining = (int)kv_set_size(o);
        kv_set_foreach(o, set_member, &c);
        break;
    case KV_TYPE_ZSET: {
        kv_zit it;
        c.name = "ZADD";
        c.per = 2;
        c.remaining = (int)kv_zset_len(o);
        if (kv_zit_rank(&it, o, 0, 0)) {
            do { /* Redis 7.0's rioWriteBulkDouble: "%.17g" */
                bulk(&c.args, num, (size_t)snprintf(num, sizeof num, "%.17g", it.score));
                bulk(&c.args, it.m, it.mlen);
                cmd_item_done(&c);
            } while (kv_zit_next(&it));
        }
        break;
    }
    case KV_TYPE_STREAM:
        write_stream(out, key, klen, o);
        break;
    default: /* KV_TYPE_HASH */
        c.name = "HMSET";
        c.per = 2;
        c.remaining = (int)kv_hash_len(o);
        kv_hash_foreach(o, hash_pair, &c);
        break;
    }
    kv_buf_free(&c.args);
    if (expire_ms >= 0) {
        kv_buf_append(out, "*3\r\n$9\r\nPEXPIREAT\r\n", 19);
        bulk(out, key, klen);
        bulk(out, num, (size_t)snprintf(num, sizeof num, "%lld", expire_ms));
    }
}
