/* Loading an RDB file image (rdbfile.h): one pass over untrusted bytes, the
 * opcodes handled here, each value through rdb.c's object loaders. When a
 * read fails, a structural walk of the same bytes (lengths and strings
 * only, no allocation) tells a truncated image ("Short read") from a
 * malformed one, and finds the empty collections Redis skips as it loads. */
#include "store/rdbfile.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/crc64.h"
#include "store/listpack.h"
#include "store/rdb_ziplist.h"

/* The three kinds of failure, each naming the offset (see rdbfile.h). */
#define SHORT "Short read at offset %zu: "
#define BAD "Bad RDB format at offset %zu: "
#define UNSUPPORTED "Unsupported RDB content at offset %zu: "

/* What a structural walk found. */
enum { WALK_OK = 0, WALK_SHORT = -1, WALK_BAD = -2 };

typedef struct loader {
    kv_rdb_reader r;
    const kv_rdbf_load_cb *cb;
    kv_rdbf_load_info *info;
    char *err;
    size_t errlen;
    int db;
} loader;

static int fail(loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(loader *l, const char *fmt, ...)
{
    va_list ap;
    if (l->errlen) {
        va_start(ap, fmt);
        vsnprintf(l->err, l->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* A key for a message: at most 40 bytes, the unprintable ones escaped. */
static void key_text(char *out, size_t cap, const char *k, size_t n)
{
    size_t i, o = 0;
    for (i = 0; i < n && i < 40 && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)k[i];
        if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
    }
    if (i < n && o + 4 < cap) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

/* ----------------------------------------------------- structural walk */

static int walk_bytes(kv_rdb_reader *r, uint64_t n)
{
    if (n > kv_rdb_remaining(r))
        return WALK_SHORT;
    r->pos += (size_t)n;
    return WALK_OK;
}

/* A length as kv_rdb_read_len reads it (enc: an 11xxxxxx byte). */
static int walk_len(kv_rdb_reader *r, uint64_t *len, int *enc)
{
    unsigned b;
    uint64_t v = 0;
    size_t i, n;
    *enc = 0;
    if (kv_rdb_read_u8(r, &b) != 0)
        return WALK_SHORT;
    switch (b >> 6) {
    case 0:
        *len = b & 0x3f;
        return WALK_OK;
    case 1:
        if (kv_rdb_remaining(r) < 1)
            return WALK_SHORT;
        *len = (uint64_t)(b & 0x3f) << 8 | r->p[r->pos++];
        return WALK_OK;
    case 2:
        if (b != 0x80 && b != 0x81)
            return WALK_BAD;
        n = b == 0x80 ? 4 : 8;
        if (kv_rdb_remaining(r) < n)
            return WALK_SHORT;
        for (i = 0; i < n; i++)
            v = v << 8 | r->p[r->pos++];
        *len = v;
        return WALK_OK;
    default:
        *enc = 1;
        *len = b & 0x3f;
        return WALK_OK;
    }
}

static int walk_plain_len(kv_rdb_reader *r)
{
    uint64_t len;
    int enc;
    return walk_len(r, &len, &enc);
}

static int walk_string(kv_rdb_reader *r)
{
    uint64_t len, clen;
    int enc, rc;
    if ((rc = walk_len(r, &len, &enc)) != WALK_OK)
        return rc;
    if (!enc)
        return walk_bytes(r, len);
    if (len <= 2) /* int8, int16, int32 */
        return walk_bytes(r, (uint64_t)1 << len);
    if (len != 3)
        return WALK_BAD;
    if ((rc = walk_len(r, &clen, &enc)) != WALK_OK || (rc = walk_len(r, &len, &enc)) != WALK_OK)
        return rc;
    return walk_bytes(r, clen);
}

static int walk_double_str(kv_rdb_reader *r)
{
    unsigned n;
    if (kv_rdb_read_u8(r, &n) != 0)
        return WALK_SHORT;
    return n >= 253 ? WALK_OK : walk_bytes(r, n);
}

/* Every element takes at least one byte, so a lying count runs out of
 * bytes (WALK_SHORT) after at most the rest of the image. */
static int walk_body(unsigned t, kv_rdb_reader *r)
{
    uint64_t n, i;
    int enc, rc = WALK_OK;
    switch (t) {
    case KV_RDB_TYPE_LIST:
    case KV_RDB_TYPE_SET:
    case KV_RDB_TYPE_ZSET:
    case KV_RDB_TYPE_ZSET_2:
    case KV_RDB_TYPE_HASH:
    case KV_RDB_TYPE_LIST_QUICKLIST:
    case KV_RDB_TYPE_LIST_QUICKLIST_2:
        break;
    default: /* the string type and the one-blob bodies */
        return walk_string(r);
    }
    if ((rc = walk_len(r, &n, &enc)) != WALK_OK)
        return rc;
    for (i = 0; i < n && rc == WALK_OK; i++) {
        if (t == KV_RDB_TYPE_LIST_QUICKLIST_2 && (rc = walk_plain_len(r)) != WALK_OK)
            break;
        rc = walk_string(r);
        if (rc == WALK_OK && t == KV_RDB_TYPE_HASH)
            rc = walk_string(r);
        else if (rc == WALK_OK && t == KV_RDB_TYPE_ZSET)
            rc = walk_double_str(r);
        else if (rc == WALK_OK && t == KV_RDB_TYPE_ZSET_2)
            rc = walk_bytes(r, 8);
    }
    return rc;
}

/* 1 if a blob read from r is a well-formed listpack (ziplist: 0) without
 * entries. */
static int empty_blob(kv_rdb_reader *r, int listpack)
{
    unsigned char *lp = listpack ? kv_rdb_read_listpack(r) : kv_rdb_read_ziplist(r);
    int empty = lp != NULL && kv_lp_count(lp) == 0;
    kv_lp_free(lp);
    return empty;
}

/* Redis 7.0 skips a key whose value is an empty collection (an old bug
 * wrote some) where DUMP's loader refuses it: a zero count, a quicklist
 * of no nodes or only empty ones, an empty ziplist or listpack. 1 (r
 * past the value) if the body at r is one of those. */
static int empty_body(unsigned t, kv_rdb_reader *r)
{
    uint64_t n, i, container;
    switch (t) {
    case KV_RDB_TYPE_LIST:
    case KV_RDB_TYPE_SET:
    case KV_RDB_TYPE_ZSET:
    case KV_RDB_TYPE_ZSET_2:
    case KV_RDB_TYPE_HASH:
        return kv_rdb_read_len(r, &n, NULL) == 0 && n == 0;
    case KV_RDB_TYPE_LIST_QUICKLIST:
    case KV_RDB_TYPE_LIST_QUICKLIST_2:
        if (kv_rdb_read_len(r, &n, NULL) != 0)
            return 0;
        for (i = 0; i < n; i++) {
            if (t == KV_RDB_TYPE_LIST_QUICKLIST_2 &&
                (kv_rdb_read_len(r, &container, NULL) != 0 ||
                 container != KV_RDB_QUICKLIST_PACKED))
                return 0;
            if (!empty_blob(r, t == KV_RDB_TYPE_LIST_QUICKLIST_2))
                return 0;
        }
        return 1;
    case KV_RDB_TYPE_LIST_ZIPLIST:
    case KV_RDB_TYPE_ZSET_ZIPLIST:
    case KV_RDB_TYPE_HASH_ZIPLIST:
        return empty_blob(r, 0);
    case KV_RDB_TYPE_ZSET_LISTPACK:
    case KV_RDB_TYPE_HASH_LISTPACK:
        return empty_blob(r, 1);
    default:
        return 0;
    }
}

/* Report why a read of something at offset `at` failed. */
static int read_fail(loader *l, size_t at, int (*walk)(kv_rdb_reader *), const char *what)
{
    kv_rdb_reader w = l->r;
    w.pos = at;
    if (walk(&w) == WALK_SHORT)
        return fail(l, SHORT "the image ends inside the %s", at, what);
    return fail(l, BAD "invalid %s", at, what);
}

/* ------------------------------------------------------------- values */

/* Redis 7.0's object types: 0..7 and 9..19 (8 was never used). */
static int is_value_type(unsigned t)
{
    return t <= KV_RDB_TYPE_STREAM_LISTPACKS_2 && t != 8;
}

/* A value that did not load: truncated, an empty collection to skip (0,
 * the reader past it), or malformed. */
static int value_fail(loader *l, unsigned t, size_t vpos, const kv_rdb_str *key)
{
    kv_rdb_reader w = l->r;
    char kt[200];
    int rc;
    w.pos = vpos;
    rc = walk_body(t, &w);
    key_text(kt, sizeof kt, key->p, key->n);
    if (rc == WALK_SHORT)
        return fail(l, SHORT "the image ends inside the value of key '%s'", vpos, kt);
    w.pos = vpos;
    if (rc == WALK_OK && empty_body(t, &w)) {
        l->r.pos = w.pos;
        if (l->info)
            l->info->empty_skipped++;
        return 0;
    }
    return fail(l, BAD "invalid value of type %u for key '%s'", vpos, t, kt);
}

/* Type byte t (at offset at) was read: the key and its value. */
static int load_key(loader *l, unsigned t, size_t at, long long expire_ms, long long idle_s,
                    int freq)
{
    kv_rdb_str key;
    kv_obj *val;
    size_t kpos = l->r.pos, vpos;
    int rc = 0;
    if (t == KV_RDB_TYPE_MODULE || t == KV_RDB_TYPE_MODULE_2)
        return fail(l, UNSUPPORTED "module values (type %u) are not supported", at, t);
    if (!is_value_type(t))
        return fail(l, BAD "unknown type %u", at, t);
    if (kv_rdb_read_string(&l->r, &key) != 0)
        return read_fail(l, kpos, walk_string, "key");
    vpos = l->r.pos;
    if ((val = kv_rdb_load_value((int)t, &l->r)) == NULL) {
        rc = value_fail(l, t, vpos, &key);
        kv_rdb_str_free(&key);
        return rc;
    }
    if (l->cb && l->cb->key) {
        if (l->errlen)
            l->err[0] = '\0';
        rc = l->cb->key(l->cb->arg, l->db, key.p, key.n, val, expire_ms, idle_s, freq, l->err,
                        l->errlen);
        if (rc != 0 && l->errlen && l->err[0] == '\0')
            fail(l, "Loading stopped at offset %zu by the key callback", at);
        else if (rc != 0 && l->errlen) { /* name where: the key's record */
            size_t used = strlen(l->err);
            snprintf(l->err + used, l->errlen - used, " (key at offset %zu)", at);
        }
    } else {
        kv_obj_free(val);
    }
    kv_rdb_str_free(&key);
    if (rc != 0)
        return -1;
    if (l->info)
        l->info->keys++;
    return 0;
}

/* ---------------------------------------------------------- the file */

/* The number after "REDIS", read as Redis reads it (atoi of 4 bytes). */
static int header_version(const unsigned char *p)
{
    char v[5];
    memcpy(v, p, 4);
    v[4] = '\0';
    return atoi(v);
}

static uint64_t le_u(const unsigned char *p, int n)
{
    uint64_t v = 0;
    while (n-- > 0)
        v = v << 8 | p[n];
    return v;
}

/* AUX: two strings, handed to cb->aux. */
static int load_aux(loader *l)
{
    kv_rdb_str k, v;
    size_t at = l->r.pos;
    if (kv_rdb_read_string(&l->r, &k) != 0)
        return read_fail(l, at, walk_string, "AUX field name");
    at = l->r.pos;
    if (kv_rdb_read_string(&l->r, &v) != 0) {
        kv_rdb_str_free(&k);
        return read_fail(l, at, walk_string, "AUX field value");
    }
    if (l->cb && l->cb->aux)
        l->cb->aux(l->cb->arg, k.p, k.n, v.p, v.n);
    kv_rdb_str_free(&k);
    kv_rdb_str_free(&v);
    return 0;
}

/* A function library (its code): to the callback, skipped without one. */
static int load_function(loader *l, size_t at)
{
    kv_rdb_str code;
    char msg[512];
    int rc = 0;
    if (kv_rdb_read_string(&l->r, &code) != 0)
        return read_fail(l, at + 1, walk_string, "function library code");
    msg[0] = '\0';
    if (l->cb && l->cb->function &&
        l->cb->function(l->cb->arg, code.p, code.n, msg, sizeof msg) != 0)
        rc = fail(l, "Failed loading the library at offset %zu: %s", at,
                  msg[0] ? msg : "rejected");
    kv_rdb_str_free(&code);
    return rc;
}

static int load_len(loader *l, uint64_t *v, const char *what)
{
    size_t at = l->r.pos;
    if (kv_rdb_read_len(&l->r, v, NULL) != 0)
        return read_fail(l, at, walk_plain_len, what);
    return 0;
}

/* Opcodes and keys up to EOF. Key attributes set by opcodes (expire, idle,
 * freq) apply to the next key only, as in Redis. */
static int load_body(loader *l)
{
    long long expire_ms = -1, idle_s = -1;
    int freq = -1;
    for (;;) {
        size_t at = l->r.pos;
        const unsigned char *b;
        uint64_t v, w;
        unsigned t;
        if (kv_rdb_read_u8(&l->r, &t) != 0)
            return fail(l, SHORT "the image ends before the EOF opcode", at);
        switch (t) {
        case KV_RDB_OPCODE_EOF:
            return 0;
        case KV_RDB_OPCODE_EXPIRETIME:
            if (kv_rdb_read_bytes(&l->r, 4, &b) != 0)
                return fail(l, SHORT "the image ends inside EXPIRETIME", at);
            expire_ms = (long long)(int32_t)(uint32_t)le_u(b, 4) * 1000;
            break;
        case KV_RDB_OPCODE_EXPIRETIME_MS:
            if (kv_rdb_read_bytes(&l->r, 8, &b) != 0)
                return fail(l, SHORT "the image ends inside EXPIRETIME_MS", at);
            expire_ms = (long long)(int64_t)le_u(b, 8);
            break;
        case KV_RDB_OPCODE_FREQ:
            if (kv_rdb_read_bytes(&l->r, 1, &b) != 0)
                return fail(l, SHORT "the image ends inside FREQ", at);
            freq = b[0];
            break;
        case KV_RDB_OPCODE_IDLE:
            if (load_len(l, &v, "IDLE time") != 0)
                return -1;
            idle_s = v > (uint64_t)LLONG_MAX ? LLONG_MAX : (long long)v;
            break;
        case KV_RDB_OPCODE_SELECTDB:
            if (load_len(l, &v, "SELECTDB") != 0)
                return -1;
            if (v > INT32_MAX)
                return fail(l, BAD "SELECTDB %llu out of range", at,
                            (unsigned long long)v);
            l->db = (int)v;
            break;
        case KV_RDB_OPCODE_RESIZEDB:
            if (load_len(l, &v, "RESIZEDB key count") != 0 ||
                load_len(l, &w, "RESIZEDB expire count") != 0)
                return -1;
            if (l->cb && l->cb->resizedb)
                l->cb->resizedb(l->cb->arg, l->db, v, w);
            break;
        case KV_RDB_OPCODE_AUX:
            if (load_aux(l) != 0)
                return -1;
            break;
        case KV_RDB_OPCODE_MODULE_AUX:
            return fail(l, UNSUPPORTED "module AUX data is not supported", at);
        case KV_RDB_OPCODE_FUNCTION:
            return fail(l, UNSUPPORTED "Pre-GA function format not supported", at);
        case KV_RDB_OPCODE_FUNCTION2:
            if (load_function(l, at) != 0)
                return -1;
            break;
        default:
            if (load_key(l, t, at, expire_ms, idle_s, freq) != 0)
                return -1;
            expire_ms = idle_s = -1;
            freq = -1;
            break;
        }
    }
}

int kv_rdbf_load_mem(const unsigned char *p, size_t n, const kv_enc_limits *lim,
                     const uint8_t *seed, int verify_crc, const kv_rdbf_load_cb *cb,
                     kv_rdbf_load_info *info, char *err, size_t errlen)
{
    loader l;
    int version, rc;
    memset(&l, 0, sizeof l);
    l.cb = cb;
    l.info = info;
    l.err = err;
    l.errlen = errlen;
    if (errlen)
        err[0] = '\0';
    if (info)
        memset(info, 0, sizeof *info);
    if (n < 9)
        return fail(&l, "Short read at offset 0: the image ends inside the 9-byte header");
    if (memcmp(p, "REDIS", 5) != 0)
        return fail(&l, "Bad RDB format at offset 0: wrong signature (not \"REDIS\")");
    version = header_version(p + 5);
    if (info)
        info->version = version;
    if (version < 1 || version > KV_RDB_VERSION)
        return fail(&l, "Can't handle RDB format version %d (offset 5)", version);
    kv_rdb_reader_init(&l.r, p, n);
    l.r.lim = lim;
    l.r.seed = seed;
    l.r.pos = 9;
    rc = load_body(&l);
    if (rc == 0 && version >= 5) { /* the checksum came with version 5 */
        size_t at = l.r.pos;
        const unsigned char *b;
        uint64_t stored, computed;
        if (kv_rdb_read_bytes(&l.r, 8, &b) != 0) {
            rc = fail(&l, SHORT "the image ends inside the checksum", at);
        } else if (verify_crc && (stored = le_u(b, 8)) != 0 &&
                   (computed = kv_crc64(0, p, at)) != stored) {
            rc = fail(&l, "Wrong RDB checksum expected: (%llx) got (%llx) at offset %zu",
                      (unsigned long long)computed, (unsigned long long)stored, at);
        }
    }
    if (info)
        info->bytes = l.r.pos;
    return rc;
}
