/* RDB primitives (lengths, strings, doubles), the string type's body, the
 * dispatch to each collection's file and DUMP payload framing. Written to
 * accept exactly what Redis 7.0's loader accepts for these forms and to
 * refuse the rest without reading out of bounds (see rdb.h). */
#include "store/rdb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/crc64.h"
#include "store/lzf.h"
#include "store/mem.h"
#include "store/siphash.h"
#include "store/t_hash.h"
#include "store/t_stream.h"
#include "store/t_list.h"
#include "store/t_set.h"
#include "store/t_zset.h"

#define ENC_INT8 0
#define ENC_INT16 1
#define ENC_INT32 2
#define ENC_LZF 3
#define LEN_6BIT 0
#define LEN_14BIT 1
#define LEN_32BIT 0x80
#define LEN_64BIT 0x81
#define ENCVAL 3

/* ------------------------------------------------------------- writing */

static void put_u8(kv_buf *out, unsigned v)
{
    unsigned char c = (unsigned char)v;
    kv_buf_append(out, &c, 1);
}

void kv_rdb_write_type(kv_buf *out, int type)
{
    put_u8(out, (unsigned)type);
}

void kv_rdb_write_len(kv_buf *out, uint64_t len)
{
    unsigned char b[9];
    int i;
    if (len < (1u << 6)) {
        put_u8(out, (unsigned)len);
    } else if (len < (1u << 14)) {
        b[0] = (unsigned char)((len >> 8) | (LEN_14BIT << 6));
        b[1] = (unsigned char)(len & 0xff);
        kv_buf_append(out, b, 2);
    } else if (len <= UINT32_MAX) {
        b[0] = LEN_32BIT;
        for (i = 0; i < 4; i++)
            b[1 + i] = (unsigned char)(len >> (24 - 8 * i));
        kv_buf_append(out, b, 5);
    } else {
        b[0] = LEN_64BIT;
        for (i = 0; i < 8; i++)
            b[1 + i] = (unsigned char)(len >> (56 - 8 * i));
        kv_buf_append(out, b, 9);
    }
}

/* Redis's rdbEncodeInteger: the shortest int form, or 0 if v needs more
 * than 32 bits. */
static size_t encode_int(unsigned char *b, long long v)
{
    unsigned long long u = (unsigned long long)v;
    if (v >= -128 && v <= 127) {
        b[0] = (ENCVAL << 6) | ENC_INT8;
        b[1] = (unsigned char)(u & 0xff);
        return 2;
    }
    if (v >= -32768 && v <= 32767) {
        b[0] = (ENCVAL << 6) | ENC_INT16;
        b[1] = (unsigned char)(u & 0xff);
        b[2] = (unsigned char)((u >> 8) & 0xff);
        return 3;
    }
    if (v >= -2147483647LL - 1 && v <= 2147483647LL) {
        b[0] = (ENCVAL << 6) | ENC_INT32;
        b[1] = (unsigned char)(u & 0xff);
        b[2] = (unsigned char)((u >> 8) & 0xff);
        b[3] = (unsigned char)((u >> 16) & 0xff);
        b[4] = (unsigned char)((u >> 24) & 0xff);
        return 5;
    }
    return 0;
}

void kv_rdb_write_ll(kv_buf *out, long long v)
{
    unsigned char b[5];
    char digits[KV_LLSTR_SIZE];
    size_t n = encode_int(b, v);
    if (n) {
        kv_buf_append(out, b, n);
        return;
    }
    n = kv_store_ll2str(digits, v);
    kv_rdb_write_len(out, n);
    kv_buf_append(out, digits, n);
}

/* LZF form if it saves at least 4 bytes (Redis's rdbSaveLzfStringObject). */
static int write_lzf(kv_buf *out, const void *p, size_t n)
{
    size_t cap = n - 4, clen;
    unsigned char *c = (unsigned char *)kv_xmalloc(cap);
    clen = kv_lzf_compress(p, n, c, cap);
    if (clen) {
        put_u8(out, (ENCVAL << 6) | ENC_LZF);
        kv_rdb_write_len(out, clen);
        kv_rdb_write_len(out, n);
        kv_buf_append(out, c, clen);
    }
    free(c);
    return clen != 0;
}

void kv_rdb_write_string(kv_buf *out, const void *p, size_t n)
{
    kv_rdb_write_string_opt(out, p, n, 1);
}

void kv_rdb_write_string_opt(kv_buf *out, const void *p, size_t n, int compress)
{
    long long v;
    unsigned char b[5];
    size_t enc;
    if (n <= 11 && kv_store_str2ll((const char *)p, n, &v) && (enc = encode_int(b, v)) > 0) {
        kv_buf_append(out, b, enc);
        return;
    }
    if (compress && n > 20 && write_lzf(out, p, n))
        return;
    kv_rdb_write_len(out, n);
    kv_buf_append(out, p, n);
}

void kv_rdb_write_lpval(kv_buf *out, const kv_lpval *v)
{
    kv_rdb_write_lpval_opt(out, v, 1);
}

void kv_rdb_write_lpval_opt(kv_buf *out, const kv_lpval *v, int compress)
{
    if (v->s)
        kv_rdb_write_string_opt(out, v->s, v->n, compress);
    else
        kv_rdb_write_ll(out, v->v);
}

void kv_rdb_write_double_bin(kv_buf *out, double d)
{
    unsigned char b[8];
    uint64_t u;
    int i;
    memcpy(&u, &d, sizeof u);
    for (i = 0; i < 8; i++)
        b[i] = (unsigned char)(u >> (8 * i));
    kv_buf_append(out, b, 8);
}

void kv_rdb_write_double_str(kv_buf *out, double d)
{
    char buf[128];
    int n;
    if (isnan(d)) {
        put_u8(out, 253);
        return;
    }
    if (isinf(d)) {
        put_u8(out, d > 0 ? 254 : 255);
        return;
    }
    n = snprintf(buf, sizeof buf, "%.17g", d);
    put_u8(out, (unsigned)n);
    kv_buf_append(out, buf, (size_t)n);
}

/* ------------------------------------------------------------- reading */

static const kv_enc_limits enc_defaults = {
    KV_HASH_MAX_LISTPACK_ENTRIES, KV_HASH_MAX_LISTPACK_VALUE, KV_SET_MAX_INTSET_ENTRIES,
    KV_ZSET_MAX_LISTPACK_ENTRIES, KV_ZSET_MAX_LISTPACK_VALUE, KV_LIST_MAX_LISTPACK_SIZE,
    KV_LIST_COMPRESS_DEPTH, KV_STREAM_NODE_MAX_BYTES, KV_STREAM_NODE_MAX_ENTRIES};

void kv_enc_limits_default(kv_enc_limits *l)
{
    *l = enc_defaults;
}

void kv_rdb_reader_init(kv_rdb_reader *r, const void *p, size_t len)
{
    r->p = (const unsigned char *)p;
    r->len = len;
    r->pos = 0;
    r->lim = NULL;
    r->keep = 0;
    r->seed = NULL;
}

const kv_enc_limits *kv_rdb_limits(const kv_rdb_reader *r)
{
    return r->lim ? r->lim : &enc_defaults;
}

void kv_rdb_seed(const kv_rdb_reader *r, uint8_t out[16])
{
    static const uint8_t k[16] = {0x6b, 0x65, 0x76, 0x79, 0x2d, 0x72, 0x64, 0x62,
                                  0x2d, 0x73, 0x65, 0x65, 0x64, 0x2d, 0x76, 0x31};
    struct timespec ts;
    uint64_t mix[3], a, b;
    void *p;
    if (r->seed) {
        memcpy(out, r->seed, 16);
        return;
    }
    p = kv_xmalloc(1);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    mix[0] = (uint64_t)ts.tv_sec;
    mix[1] = (uint64_t)ts.tv_nsec;
    mix[2] = (uint64_t)(uintptr_t)p;
    free(p);
    a = kv_siphash(mix, sizeof mix, k);
    mix[0] ^= a;
    b = kv_siphash(mix, sizeof mix, k);
    memcpy(out, &a, 8);
    memcpy(out + 8, &b, 8);
}

size_t kv_rdb_remaining(const kv_rdb_reader *r)
{
    return r->len - r->pos;
}

int kv_rdb_read_bytes(kv_rdb_reader *r, size_t n, const unsigned char **p)
{
    if (n > r->len - r->pos)
        return -1;
    *p = r->p + r->pos;
    r->pos += n;
    return 0;
}

int kv_rdb_read_u8(kv_rdb_reader *r, unsigned *v)
{
    const unsigned char *p;
    if (kv_rdb_read_bytes(r, 1, &p) != 0)
        return -1;
    *v = p[0];
    return 0;
}

int kv_rdb_read_len(kv_rdb_reader *r, uint64_t *len, int *isencoded)
{
    const unsigned char *p;
    unsigned b;
    int i, n;
    if (isencoded)
        *isencoded = 0;
    if (kv_rdb_read_u8(r, &b) != 0)
        return -1;
    switch (b >> 6) {
    case ENCVAL:
        if (isencoded)
            *isencoded = 1;
        *len = b & 0x3f;
        return 0;
    case LEN_6BIT:
        *len = b & 0x3f;
        return 0;
    case LEN_14BIT:
        if (kv_rdb_read_bytes(r, 1, &p) != 0)
            return -1;
        *len = ((uint64_t)(b & 0x3f) << 8) | p[0];
        return 0;
    default:
        if (b != LEN_32BIT && b != LEN_64BIT)
            return -1;
        n = b == LEN_32BIT ? 4 : 8;
        if (kv_rdb_read_bytes(r, (size_t)n, &p) != 0)
            return -1;
        *len = 0;
        for (i = 0; i < n; i++)
            *len = (*len << 8) | p[i];
        return 0;
    }
}

static int read_int(kv_rdb_reader *r, unsigned enc, long long *v)
{
    const unsigned char *p;
    size_t n = enc == ENC_INT8 ? 1 : enc == ENC_INT16 ? 2 : 4;
    if (kv_rdb_read_bytes(r, n, &p) != 0)
        return -1;
    if (n == 1)
        *v = (signed char)p[0];
    else if (n == 2)
        *v = (int16_t)(uint16_t)(p[0] | (unsigned)p[1] << 8);
    else
        *v = (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                       (uint32_t)p[3] << 24);
    return 0;
}

/* Redis reads both lengths, then the compressed bytes, and wants the
 * decompressed size to equal the declared one (an empty result included). */
static int read_lzf(kv_rdb_reader *r, kv_rdb_str *s)
{
    uint64_t clen, len;
    const unsigned char *c;
    if (kv_rdb_read_len(r, &clen, NULL) != 0 || kv_rdb_read_len(r, &len, NULL) != 0 ||
        clen > kv_rdb_remaining(r) || kv_rdb_read_bytes(r, (size_t)clen, &c) != 0)
        return -1;
    if (len > (uint64_t)clen * KV_LZF_MAX_RATIO || len > SIZE_MAX - 1)
        return -1; /* cannot be valid: refuse before allocating */
    if (!(s->heap = (char *)malloc((size_t)len + 1)))
        return -1;
    if (kv_lzf_decompress(c, (size_t)clen, s->heap, (size_t)len) != len) {
        free(s->heap);
        s->heap = NULL;
        return -1;
    }
    s->p = s->heap;
    s->n = (size_t)len;
    return 0;
}

int kv_rdb_read_string(kv_rdb_reader *r, kv_rdb_str *s)
{
    uint64_t len;
    int enc;
    const unsigned char *p;
    s->heap = NULL;
    s->is_int = 0;
    s->ll = 0;
    if (kv_rdb_read_len(r, &len, &enc) != 0)
        return -1;
    if (enc) {
        if (len == ENC_LZF)
            return read_lzf(r, s);
        if (len > ENC_INT32 || read_int(r, (unsigned)len, &s->ll) != 0)
            return -1;
        s->is_int = 1;
        s->n = kv_store_ll2str(s->ibuf, s->ll);
        s->p = s->ibuf;
        return 0;
    }
    if (len > kv_rdb_remaining(r) || kv_rdb_read_bytes(r, (size_t)len, &p) != 0)
        return -1;
    s->p = (const char *)p;
    s->n = (size_t)len;
    return 0;
}

void kv_rdb_str_free(kv_rdb_str *s)
{
    free(s->heap);
    s->heap = NULL;
}

unsigned char *kv_rdb_read_blob(kv_rdb_reader *r, size_t *n)
{
    kv_rdb_str s;
    unsigned char *b;
    if (kv_rdb_read_string(r, &s) != 0)
        return NULL;
    if (s.heap) {
        b = (unsigned char *)s.heap; /* already a private copy */
    } else {
        b = (unsigned char *)kv_xmalloc(s.n);
        memcpy(b, s.p, s.n);
    }
    *n = s.n;
    return b;
}

int kv_rdb_read_double_bin(kv_rdb_reader *r, double *d)
{
    const unsigned char *p;
    uint64_t u = 0;
    int i;
    if (kv_rdb_read_bytes(r, 8, &p) != 0)
        return -1;
    for (i = 7; i >= 0; i--)
        u = (u << 8) | p[i];
    memcpy(d, &u, sizeof *d);
    return 0;
}

int kv_rdb_read_double_str(kv_rdb_reader *r, double *d)
{
    unsigned n;
    const unsigned char *p;
    char buf[256], *end;
    if (kv_rdb_read_u8(r, &n) != 0)
        return -1;
    if (n >= 253) {
        *d = n == 253 ? NAN : n == 254 ? INFINITY : -INFINITY;
        return 0;
    }
    if (kv_rdb_read_bytes(r, n, &p) != 0)
        return -1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    *d = strtod(buf, &end);
    return end == buf ? -1 : 0; /* sscanf("%lg") wants one number */
}

/* ------------------------------------------------------------- objects */

static kv_obj *load_string(kv_rdb_reader *r)
{
    kv_rdb_str s;
    kv_obj *o;
    if (kv_rdb_read_string(r, &s) != 0)
        return NULL;
    o = s.is_int ? kv_str_from_ll(s.ll) : kv_str_new(s.p, s.n);
    kv_rdb_str_free(&s);
    return o;
}

int kv_rdb_save_object(kv_buf *out, const kv_obj *o)
{
    return kv_rdb_save_object_opt(out, o, 1);
}

int kv_rdb_save_object_opt(kv_buf *out, const kv_obj *o, int compress)
{
    size_t start = out->len;
    int rc;
    switch (kv_obj_type(o)) {
    case KV_TYPE_STRING:
        kv_rdb_write_type(out, KV_RDB_TYPE_STRING);
        if (kv_obj_encoding(o) == KV_ENC_INT) {
            long long v = 0;
            kv_str_to_ll(o, &v);
            kv_rdb_write_ll(out, v);
        } else {
            char buf[KV_LLSTR_SIZE];
            size_t n;
            const char *p = kv_str_ptr(o, buf, &n);
            kv_rdb_write_string_opt(out, p, n, compress);
        }
        return KV_RDB_OK;
    case KV_TYPE_LIST:
        rc = kv_rdb_save_list(out, o, compress);
        break;
    case KV_TYPE_SET:
        rc = kv_rdb_save_set(out, o, compress);
        break;
    case KV_TYPE_ZSET:
        rc = kv_rdb_save_zset(out, o, compress);
        break;
    case KV_TYPE_HASH:
        rc = kv_rdb_save_hash(out, o, compress);
        break;
    case KV_TYPE_STREAM:
        rc = kv_rdb_save_stream(out, o, compress);
        break;
    default:
        rc = KV_RDB_UNSUPPORTED;
        break;
    }
    if (rc != KV_RDB_OK)
        out->len = start;
    return rc;
}

kv_obj *kv_rdb_load_object(kv_rdb_reader *r)
{
    unsigned t;
    if (kv_rdb_read_u8(r, &t) != 0)
        return NULL;
    return kv_rdb_load_value((int)t, r);
}

kv_obj *kv_rdb_load_value(int t, kv_rdb_reader *r)
{
    switch (t) {
    case KV_RDB_TYPE_STRING:
        return load_string(r);
    case KV_RDB_TYPE_LIST:
    case KV_RDB_TYPE_LIST_ZIPLIST:
    case KV_RDB_TYPE_LIST_QUICKLIST:
    case KV_RDB_TYPE_LIST_QUICKLIST_2:
        return kv_rdb_load_list((int)t, r);
    case KV_RDB_TYPE_SET:
    case KV_RDB_TYPE_SET_INTSET:
        return kv_rdb_load_set((int)t, r);
    case KV_RDB_TYPE_ZSET:
    case KV_RDB_TYPE_ZSET_2:
    case KV_RDB_TYPE_ZSET_ZIPLIST:
    case KV_RDB_TYPE_ZSET_LISTPACK:
        return kv_rdb_load_zset((int)t, r);
    case KV_RDB_TYPE_HASH:
    case KV_RDB_TYPE_HASH_ZIPMAP:
    case KV_RDB_TYPE_HASH_ZIPLIST:
    case KV_RDB_TYPE_HASH_LISTPACK:
        return kv_rdb_load_hash((int)t, r);
    case KV_RDB_TYPE_STREAM_LISTPACKS:
    case KV_RDB_TYPE_STREAM_LISTPACKS_2:
        return kv_rdb_load_stream((int)t, r);
    default:
        return NULL; /* modules, unknown types */
    }
}

kv_obj *kv_rdb_dup(const kv_obj *o, const uint8_t *seed)
{
    kv_buf b;
    kv_rdb_reader r;
    kv_obj *c = NULL;
    if (kv_obj_type(o) == KV_TYPE_STRING)
        return kv_str_dup(o);
    kv_buf_init(&b);
    if (kv_rdb_save_object(&b, o) == KV_RDB_OK) {
        kv_rdb_reader_init(&r, b.p, b.len);
        r.keep = 1;
        r.seed = seed;
        c = kv_rdb_load_object(&r);
    }
    kv_buf_free(&b);
    /* A list's fill is not in its payload; Redis's duplicate keeps it. */
    if (c && kv_obj_type(c) == KV_TYPE_LIST)
        kv_list_set_fill(c, kv_list_fill(o));
    return c;
}

/* ------------------------------------------------------- DUMP payloads */

int kv_rdb_dump(kv_buf *out, const kv_obj *o)
{
    size_t start = out->len;
    unsigned char f[KV_RDB_FOOTER];
    uint64_t crc;
    int i;
    if (kv_rdb_save_object(out, o) != KV_RDB_OK)
        return KV_RDB_UNSUPPORTED;
    f[0] = KV_RDB_VERSION & 0xff;
    f[1] = (KV_RDB_VERSION >> 8) & 0xff;
    kv_buf_append(out, f, 2);
    crc = kv_crc64(0, out->p + start, out->len - start);
    for (i = 0; i < 8; i++)
        f[i] = (unsigned char)(crc >> (8 * i));
    kv_buf_append(out, f, 8);
    return KV_RDB_OK;
}

int kv_rdb_payload_check(const void *p, size_t n)
{
    const unsigned char *b = (const unsigned char *)p, *footer;
    unsigned version;
    uint64_t crc = 0;
    int i;
    if (n < KV_RDB_FOOTER)
        return -1;
    footer = b + n - KV_RDB_FOOTER;
    version = footer[0] | (unsigned)footer[1] << 8;
    if (version > KV_RDB_VERSION)
        return -1;
    for (i = 7; i >= 0; i--)
        crc = (crc << 8) | footer[2 + i];
    return kv_crc64(0, b, n - 8) == crc ? 0 : -1;
}

kv_obj *kv_rdb_payload_load(const void *p, size_t n)
{
    return kv_rdb_payload_load_enc(p, n, NULL, 0, NULL);
}

kv_obj *kv_rdb_payload_load_enc(const void *p, size_t n, const kv_enc_limits *lim, int keep,
                                const uint8_t *seed)
{
    kv_rdb_reader r;
    kv_rdb_reader_init(&r, p, n);
    r.lim = lim;
    r.keep = keep;
    r.seed = seed;
    return kv_rdb_load_object(&r);
}
