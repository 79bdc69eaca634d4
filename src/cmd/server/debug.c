/* DEBUG: HELP, SLEEP and SET-ACTIVE-EXPIRE (every shard), OBJECT (the
 * key's shard), DIGEST and DIGEST-VALUE with Redis's algorithm (digest.h):
 * each shard XORs the digests of its own keys per database, and the home
 * shard chains the databases as Redis does, so the result equals Redis's
 * for the same data. Every subcommand runs on all shards; each part is
 * [tag, payload] and the merge reads the payloads by tag. */
#define _POSIX_C_SOURCE 200809L
#include "cmd/persist/persist.h"
#include "cmd/server/svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/digest.h"
#include "store/rdb.h"

enum { TAG_FIRST = 0, TAG_OBJECT = 1, TAG_DIGEST = 2, TAG_DVALUE = 3 };

/* debug_help.c */
extern const char *const kv_debug_help_lines[];
extern const size_t kv_debug_help_count;

static int kv_debug_argerr(kv_ctx *ctx, const kv_str *sub)
{
    return kv_reply_sub_arity(ctx, "DEBUG", sub);
}

static int kv_check_debug(kv_ctx *ctx, int argc, const kv_str *argv)
{
    const kv_str *sub = &argv[1];
    if ((kv_arg_eq(sub, "help") && argc == 2) || (kv_arg_eq(sub, "sleep") && argc == 3) ||
        (kv_arg_eq(sub, "set-active-expire") && argc == 3) ||
        (kv_arg_eq(sub, "object") && argc == 3) || (kv_arg_eq(sub, "digest") && argc == 2) ||
        kv_arg_eq(sub, "digest-value") || kv_arg_eq(sub, "reload") ||
        (kv_arg_eq(sub, "kevy-aof-write-errors") && argc == 3) ||
        (kv_arg_eq(sub, "kevy-aof-slow-fsync") && argc == 3) ||
        (kv_arg_eq(sub, "kevy-aof-fsync-errors") && argc == 3) ||
        (kv_arg_eq(sub, "loadaof") && argc == 2))
        return 0;
    return kv_debug_argerr(ctx, sub);
}

/* ------------------------------------------------------------------ OBJECT */

static int kv_owns(kv_ctx *ctx, const kv_str *key)
{
    return kv_shard_of_key(ctx->shard, key->p, key->n) == kv_shard_id(ctx->shard);
}

static void kv_debug_object(kv_ctx *ctx, const kv_str *key)
{
    kv_entry *e;
    kv_obj *o;
    kv_buf ser;
    long long n;
    unsigned lru, clock = kv_state(ctx)->ks->lru_clock, idle;
    char line[256];
    if (!kv_owns(ctx, key)) {
        kv_reply_null(&ctx->out);
        return;
    }
    /* Like Redis: no expiry check, a logically expired key still shows. */
    if (!(e = kv_db_lookup(kv_ctx_db(ctx), key->p, key->n))) {
        kv_reply_error(&ctx->out, "ERR no such key");
        return;
    }
    o = kv_entry_val(e);
    kv_buf_init(&ser);
    n = kv_rdb_save_object(&ser, o) == KV_RDB_OK && ser.len > 0 ? (long long)ser.len - 1 : 0;
    kv_buf_free(&ser);
    lru = kv_obj_lru(o);
    idle = clock >= lru ? clock - lru : clock + ((1u << 24) - 1 - lru);
    /* Small non-negative integers are Redis's shared objects. */
    {
        long long v;
        int shared = kv_obj_encoding(o) == KV_ENC_INT && kv_str_to_ll(o, &v) && v >= 0 && v < 10000;
        snprintf(line, sizeof line,
                 "Value at:%p refcount:%d encoding:%s serializedlength:%lld lru:%u lru_seconds_idle:%u",
                 (const void *)o, shared ? 2147483647 : 1, kv_obj_encoding_name(o), n, lru, idle);
    }
    kv_reply_status(&ctx->out, line);
}

/* ------------------------------------------------------------------ DIGEST */

typedef struct kv_entries {
    kv_entry **e;
    size_t n, cap;
} kv_entries;

static void kv_collect(void *arg, kv_entry *e)
{
    kv_entries *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        if (!(l->e = realloc(l->e, l->cap * sizeof *l->e)))
            abort();
    }
    l->e[l->n++] = e;
}

static int kv_ptr_cmp(const void *a, const void *b)
{
    const kv_entry *x = *(kv_entry *const *)a, *y = *(kv_entry *const *)b;
    return x < y ? -1 : x > y;
}

/* A key's digest: the key mixed in, then its value and TTL mark. */
static int kv_key_digest(kv_db *db, kv_entry *e, unsigned char d[20], int with_key)
{
    size_t klen;
    const char *key = kv_entry_key(e, &klen);
    memset(d, 0, 20);
    if (with_key)
        kv_digest_mix(d, key, klen);
    if (kv_digest_value(d, kv_entry_val(e)) != KV_DIGEST_OK)
        return -1;
    if (kv_db_get_expire(db, e) != -1)
        kv_digest_xor(d, "!!expire!!", 10);
    return 0;
}

/* XOR of this shard's key digests in one db; 0 if it has no keys there,
 * -1 for a type with no digest yet. */
static int kv_db_digest(kv_db *db, unsigned char out[20])
{
    kv_entries l = {NULL, 0, 0};
    unsigned long cursor = 0;
    size_t i;
    int rc = 1;
    memset(out, 0, 20);
    if (kv_db_size(db) == 0)
        return 0;
    /* A scan may visit a key twice; XOR would cancel it, so dedupe. */
    do
        cursor = kv_db_scan(db, cursor, kv_collect, &l);
    while (cursor != 0);
    qsort(l.e, l.n, sizeof *l.e, kv_ptr_cmp);
    for (i = 0; i < l.n; i++) {
        unsigned char d[20];
        if (i > 0 && l.e[i] == l.e[i - 1])
            continue;
        if (kv_key_digest(db, l.e[i], d, 1) < 0) {
            rc = -1;
            break;
        }
        kv_digest_xor(out, d, 20); /* Redis adds SHA1(key digest) */
    }
    free(l.e);
    return rc;
}

static const char kv_digest_unsupported[] =
    "ERR DEBUG DIGEST is not supported yet for some of the data types stored";

static void kv_debug_digest(kv_ctx *ctx)
{
    kv_keyspace *ks = kv_state(ctx)->ks;
    int i;
    kv_buf tmp;
    kv_reply r;
    kv_buf_init(&tmp);
    r.buf = &tmp;
    r.proto = 2;
    r.errors = 0;
    kv_reply_array(&r, ks->ndb);
    for (i = 0; i < ks->ndb; i++) {
        unsigned char d[20];
        int rc = kv_db_digest(ks->db[i], d);
        if (rc < 0) {
            kv_buf_free(&tmp);
            kv_reply_error(&ctx->out, kv_digest_unsupported);
            return;
        }
        if (rc == 0)
            kv_reply_null(&r);
        else
            kv_reply_bulk(&r, d, 20);
    }
    kv_reply_raw(&ctx->out, tmp.p, tmp.len);
    kv_buf_free(&tmp);
}

static void kv_hex(char out[41], const unsigned char d[20])
{
    static const char hex[] = "0123456789abcdef";
    int i;
    for (i = 0; i < 20; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[40] = '\0';
}

static void kv_debug_digest_value(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_db *db = kv_ctx_db(ctx);
    int j;
    kv_reply_array(&ctx->out, argc - 2);
    for (j = 2; j < argc; j++) {
        unsigned char d[20];
        char hex[41];
        kv_entry *e;
        if (!kv_owns(ctx, &argv[j])) {
            kv_reply_null(&ctx->out);
            continue;
        }
        memset(d, 0, sizeof d);
        e = kv_db_lookup(db, argv[j].p, argv[j].n);
        if (e && kv_key_digest(db, e, d, 0) < 0) {
            kv_reply_error(&ctx->out, kv_digest_unsupported);
            continue;
        }
        kv_hex(hex, d);
        kv_reply_status(&ctx->out, hex);
    }
}

/* --------------------------------------------------------------- the rest */

static void kv_cmd_debug(kv_ctx *ctx, int argc, const kv_str *argv)
{
    const kv_str *sub = &argv[1];
    size_t i;
    if (kv_check_debug(ctx, argc, argv) != 0)
        return;
    kv_reply_array(&ctx->out, 2);
    if (kv_arg_eq(sub, "object")) {
        kv_reply_int(&ctx->out, TAG_OBJECT);
        kv_debug_object(ctx, &argv[2]);
        return;
    }
    if (kv_arg_eq(sub, "digest")) {
        kv_reply_int(&ctx->out, TAG_DIGEST);
        kv_debug_digest(ctx);
        return;
    }
    if (kv_arg_eq(sub, "digest-value")) {
        kv_reply_int(&ctx->out, TAG_DVALUE);
        kv_debug_digest_value(ctx, argc, argv);
        return;
    }
    kv_reply_int(&ctx->out, TAG_FIRST);
    if (kv_arg_eq(sub, "help")) {
        kv_reply_array(&ctx->out, (long)kv_debug_help_count);
        for (i = 0; i < kv_debug_help_count; i++)
            kv_reply_status(&ctx->out, kv_debug_help_lines[i]);
    } else if (kv_arg_eq(sub, "kevy-aof-write-errors")) {
        /* kevy's test hook: the next n AOF writes of every shard fail as on
         * a full disk (the error paths of conformance/test_aof_faults.py). */
        long long n = 0;
        kv_arg_ll(&argv[2], &n);
        kv_aof_inject_write_errors(kv_state(ctx), n);
        kv_reply_status(&ctx->out, "OK");
    } else if (kv_arg_eq(sub, "kevy-aof-fsync-errors")) {
        /* kevy's test hook: the next n everysec fsyncs of every shard fail
         * with EIO (test_aof_faults.py). */
        long long n = 0;
        kv_arg_ll(&argv[2], &n);
        kv_aof_fail_fsync(kv_state(ctx), n);
        kv_reply_status(&ctx->out, "OK");
    } else if (kv_arg_eq(sub, "kevy-aof-slow-fsync")) {
        /* kevy's test hook: every everysec fsync takes n ms more (a busy
         * disk; test_aof_faults.py). */
        long long n = 0;
        kv_arg_ll(&argv[2], &n);
        kv_aof_slow_fsync(kv_state(ctx), n);
        kv_reply_status(&ctx->out, "OK");
    } else if (kv_arg_eq(sub, "sleep")) {
        /* strtod on Redis's C string: "x" sleeps 0 s. Every shard sleeps. */
        char buf[64];
        size_t n = kv_arg_cstrlen(&argv[2]);
        double secs;
        struct timespec ts;
        if (n >= sizeof buf)
            n = sizeof buf - 1;
        memcpy(buf, argv[2].p, n);
        buf[n] = '\0';
        secs = strtod(buf, NULL);
        if (secs > 0) {
            long long us = (long long)(secs * 1000000);
            ts.tv_sec = (time_t)(us / 1000000);
            ts.tv_nsec = (long)(us % 1000000) * 1000;
            nanosleep(&ts, NULL);
        }
        kv_reply_status(&ctx->out, "OK");
    } else {
        /* SET-ACTIVE-EXPIRE: atoi, as Redis ("x" is 0). */
        char buf[32];
        size_t n = kv_arg_cstrlen(&argv[2]);
        if (n >= sizeof buf)
            n = sizeof buf - 1;
        memcpy(buf, argv[2].p, n);
        buf[n] = '\0';
        kv_svc_of(ctx)->active_expire = atoi(buf) != 0;
        kv_reply_status(&ctx->out, "OK");
    }
}

/* ------------------------------------------------------------------ merging */

typedef struct kv_rd {
    const char *p, *end;
} kv_rd;

/* One element's span. */
static long kv_rd_elem(kv_rd *r, const char **start)
{
    long len = kv_resp_reply_len(r->p, (size_t)(r->end - r->p));
    *start = r->p;
    if (len > 0)
        r->p += len;
    return len;
}

static void kv_reduce_debug(kv_ctx *ctx, const kv_part *parts, int nparts)
{
    unsigned char final[20], (*acc)[20];
    char hex[41];
    int k, tag = -1, *have, ndb = kv_state(ctx)->ks->ndb, i;
    kv_rd rd[64];
    const char *s;
    long long num;
    char t;
    if (nparts > 64)
        nparts = 64;
    for (k = 0; k < nparts; k++) {
        rd[k].p = parts[k].reply;
        rd[k].end = parts[k].reply + parts[k].len;
        if (parts[k].len == 0 || parts[k].reply[0] != '*') { /* an error */
            kv_reply_raw(&ctx->out, parts[k].reply, parts[k].len);
            return;
        }
        rd[k].p = (const char *)memchr(rd[k].p, '\n', parts[k].len) + 1; /* *2 */
        num = 0;
        kv_rd_line(&rd[k].p, rd[k].end, &t, &num);
        tag = (int)num;
    }
    if (tag == TAG_FIRST) {
        kv_reply_raw(&ctx->out, rd[0].p, (size_t)(rd[0].end - rd[0].p));
        return;
    }
    if (tag == TAG_OBJECT) {
        for (k = 0; k < nparts; k++)
            if (rd[k].p[0] != '$' && rd[k].p[0] != '_')
                s = rd[k].p, kv_reply_raw(&ctx->out, s, (size_t)(rd[k].end - s));
        return;
    }
    for (k = 0; k < nparts; k++)
        if (rd[k].p[0] == '-') {
            kv_reply_raw(&ctx->out, rd[k].p, (size_t)(rd[k].end - rd[k].p));
            return;
        }
    if (tag == TAG_DVALUE) {
        long long n = 0, j;
        for (k = 0; k < nparts; k++) {
            kv_rd_line(&rd[k].p, rd[k].end, &t, &n);
        }
        kv_reply_array(&ctx->out, n);
        for (j = 0; j < n; j++)
            for (k = 0; k < nparts; k++) {
                long len = kv_rd_elem(&rd[k], &s);
                if (len > 0 && s[0] != '$' && s[0] != '_')
                    kv_reply_raw(&ctx->out, s, (size_t)len);
            }
        return;
    }
    /* DIGEST: XOR each db's part over the shards, then chain the dbs. */
    acc = calloc((size_t)ndb, sizeof *acc);
    have = calloc((size_t)ndb, sizeof *have);
    if (!acc || !have)
        abort();
    for (k = 0; k < nparts; k++) {
        long long n = 0;
        kv_rd_line(&rd[k].p, rd[k].end, &t, &n);
        for (i = 0; i < ndb && i < n; i++) {
            long len = kv_rd_elem(&rd[k], &s);
            if (len == 20 + 7 && s[0] == '$') { /* $20\r\n<20 bytes>\r\n */
                int b;
                for (b = 0; b < 20; b++)
                    acc[i][b] ^= (unsigned char)s[5 + b];
                have[i] = 1;
            }
        }
    }
    memset(final, 0, sizeof final);
    for (i = 0; i < ndb; i++) {
        unsigned char be[4];
        int b;
        if (!have[i])
            continue;
        be[0] = (unsigned char)((unsigned)i >> 24);
        be[1] = (unsigned char)((unsigned)i >> 16);
        be[2] = (unsigned char)((unsigned)i >> 8);
        be[3] = (unsigned char)i;
        kv_digest_mix(final, be, 4);
        for (b = 0; b < 20; b++)
            final[b] ^= acc[i][b];
    }
    free(acc);
    free(have);
    kv_hex(hex, final);
    kv_reply_status(&ctx->out, hex);
}

/* ------------------------------------------------------------- the route */

/* DEBUG runs under every shard's lock (RELOAD must save and load the whole
 * keyspace at one moment; the others simply see one moment too): each
 * shard runs its part, and the parts are merged as above. */
static const kv_cmd kv_debug_part_cmd = {.name = "debug", .arity = -2, .exec = kv_cmd_debug};

static void kv_cmd_debug_one(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_buf part;
    kv_buf *out = ctx->out.buf;
    kv_part p;
    if (kv_arg_eq(&argv[1], "reload")) {
        kv_persist_reload_exec(ctx, argc, argv);
        return;
    }
    if (kv_arg_eq(&argv[1], "loadaof")) {
        kv_persist_loadaof_cmd.exec(ctx, argc, argv);
        if (ctx->out.buf->len && ctx->out.buf->p[0] == '+')
            kv_shard_log(ctx->shard, 3, "Append Only File loaded by DEBUG LOADAOF");
        return;
    }
    kv_buf_init(&part);
    ctx->out.buf = &part;
    kv_cmd_debug(ctx, argc, argv);
    ctx->out.buf = out;
    memset(&p, 0, sizeof p);
    p.reply = part.p;
    p.len = part.len;
    kv_reduce_debug(ctx, &p, 1);
    kv_buf_free(&part);
}

static int kv_coord_debug(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    kv_part parts[64];
    int i, n;
    if (kv_arg_eq(&argv[1], "reload"))
        return kv_persist_reload_coord(ctx, co, argc, argv);
    if (kv_coord_step(co) == 0 || (kv_coord_step(co) == 1 && kv_arg_eq(&argv[1], "loadaof"))) {
        const kv_cmd *part = &kv_debug_part_cmd;
        if (kv_arg_eq(&argv[1], "loadaof")) /* every buffer flushed, then the loads */
            part = kv_coord_step(co) == 0 ? &kv_persist_aofflush_cmd : &kv_persist_loadaof_cmd;
        for (i = 0; i < kv_state(ctx)->srv->nshards; i++)
            kv_coord_send(co, i, ctx->db, part, argc, argv);
        return KV_COORD_WAIT;
    }
    if (kv_arg_eq(&argv[1], "loadaof")) { /* OK from every shard, or the first error */
        kv_str r = kv_coord_reply(co, 0);
        for (i = 0; i < kv_coord_nreplies(co); i++)
            if (kv_coord_reply(co, i).n && kv_coord_reply(co, i).p[0] == '-')
                r = kv_coord_reply(co, i);
        if (r.n && r.p[0] == '+')
            kv_shard_log(ctx->shard, 3, "Append Only File loaded by DEBUG LOADAOF");
        kv_reply_raw(&ctx->out, r.p, r.n);
        return KV_COORD_DONE;
    }
    n = kv_coord_nreplies(co);
    if (n > 64)
        n = 64;
    memset(parts, 0, sizeof parts);
    for (i = 0; i < n; i++) {
        kv_str r = kv_coord_reply(co, i);
        parts[i].reply = r.p;
        parts[i].len = r.n;
        parts[i].shard = i;
    }
    kv_reduce_debug(ctx, parts, n);
    return KV_COORD_DONE;
}

const kv_cmdspec kv_cmds_server_debug[] = {
    {.name = "debug", .flags = KV_CMDF_PROTECTED, .route = KV_ROUTE_COORD,
     .exec = kv_cmd_debug_one, .coord = kv_coord_debug, .lockkeys = kv_lockkeys_whole,
     .check = kv_check_debug},
    KV_SPEC_END
};
