/* Hash values in RDB form (DUMP/RESTORE, COPY, cross-shard moves), owned
 * by the hash type's author. Saves what Redis 7.0 saves: LISTPACK (16), the
 * blob as kept in memory, or HASH (4), the pair count then field and value
 * strings. Loads those and, from older Redis, ZIPLIST (13) and ZIPMAP (9),
 * with Redis's deep checks (no empty hash, no field twice, an even number
 * of entries, a consistent blob) and Redis 7.0's encoding choices: a HASH
 * body becomes a listpack unless it has more than hash-max-listpack-entries
 * pairs or a field or value longer than hash-max-listpack-value; LISTPACK
 * and ZIPLIST blobs convert on the entry count alone, ZIPMAP on both (the
 * reader's limits; with keep, a HASH body is a hashtable, blobs listpacks). */
#include "store/rdb.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/listpack.h"
#include "store/mem.h"
#include "store/siphash.h"
#include "store/t_hash.h"

static void save_pair(void *arg, const kv_lpval *f, const kv_lpval *v)
{
    kv_buf *out = (kv_buf *)arg;
    if (f->s)
        kv_rdb_write_string(out, f->s, f->n);
    else
        kv_rdb_write_ll(out, f->v);
    if (v->s)
        kv_rdb_write_string(out, v->s, v->n);
    else
        kv_rdb_write_ll(out, v->v);
}

int kv_rdb_save_hash(kv_buf *out, const kv_obj *o)
{
    if (kv_obj_encoding(o) == KV_ENC_LISTPACK) {
        const unsigned char *lp = (const unsigned char *)kv_obj_ptr(o);
        kv_rdb_write_type(out, KV_RDB_TYPE_HASH_LISTPACK);
        kv_rdb_write_string(out, lp, kv_lp_bytes(lp));
        return KV_RDB_OK;
    }
    if (kv_obj_encoding(o) != KV_ENC_HT)
        return KV_RDB_UNSUPPORTED;
    kv_rdb_write_type(out, KV_RDB_TYPE_HASH);
    kv_rdb_write_len(out, kv_hash_len(o));
    /* The walk only reads; the API is not const because scans may rehash. */
    kv_hash_foreach((kv_obj *)(uintptr_t)o, save_pair, out);
    return KV_RDB_OK;
}

/* The rdb API carries no server seed, so a hashtable built here gets a key
 * from what this process cannot be made to predict from outside: the clock
 * and a fresh heap address (as rdb_zset.c does for its skiplists). */
static void load_seed(uint8_t seed[16])
{
    static const uint8_t k[16] = {0x6b, 0x65, 0x76, 0x79, 0x2d, 0x68, 0x61, 0x73,
                                  0x68, 0x2d, 0x72, 0x64, 0x62, 0x2d, 0x76, 0x31};
    struct timespec ts;
    uint64_t mix[3], a, b;
    void *p = kv_xmalloc(1);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    mix[0] = (uint64_t)ts.tv_sec;
    mix[1] = (uint64_t)ts.tv_nsec;
    mix[2] = (uint64_t)(uintptr_t)p;
    free(p);
    a = kv_siphash(mix, sizeof mix, k);
    mix[0] ^= a;
    b = kv_siphash(mix, sizeof mix, k);
    memcpy(seed, &a, 8);
    memcpy(seed + 8, &b, 8);
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ------------------------------------------------------------ HASH (4) */

static kv_obj *load_pairs(kv_rdb_reader *r)
{
    uint64_t len, i;
    kv_obj *o;
    kv_hash_opts opts;
    uint8_t seed[16];
    /* Every pair takes at least two bytes: a count past that is a lie. */
    if (kv_rdb_read_len(r, &len, NULL) != 0 || len == 0 || len > kv_rdb_remaining(r) / 2)
        return NULL;
    load_seed(seed);
    kv_hash_opts_init(&opts, seed);
    opts.max_lp_entries = kv_rdb_limits(r)->hash_lp_entries;
    opts.max_lp_value = kv_rdb_limits(r)->hash_lp_value;
    o = kv_hash_new();
    if (len > opts.max_lp_entries || r->keep)
        kv_hash_convert(o, seed);
    /* kv_hash_set converts at the first long field or value, as Redis's
     * loader does, and reports a field it already has (a corrupt payload). */
    for (i = 0; i < len; i++) {
        kv_rdb_str f, v;
        int added;
        if (kv_rdb_read_string(r, &f) != 0) {
            kv_obj_free(o);
            return NULL;
        }
        if (kv_rdb_read_string(r, &v) != 0) {
            kv_rdb_str_free(&f);
            kv_obj_free(o);
            return NULL;
        }
        added = kv_hash_set(o, f.p, f.n, v.p, v.n, &opts);
        kv_rdb_str_free(&f);
        kv_rdb_str_free(&v);
        if (!added) {
            kv_obj_free(o);
            return NULL;
        }
    }
    return o;
}

/* ------------------------------------------------- listpack of pairs */

typedef struct fref {
    const char *p;
    size_t n;
} fref;

static int fref_cmp(const void *a, const void *b)
{
    const fref *x = (const fref *)a, *y = (const fref *)b;
    int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);
    if (c)
        return c;
    return x->n < y->n ? -1 : x->n > y->n;
}

/* A field/value listpack: not empty, an even number of entries, no field
 * twice (compared as text, as Redis's deep check compares them). */
static int pairs_ok(unsigned char *lp)
{
    size_t n = kv_lp_count(lp), i = 0, k;
    unsigned char *p;
    char (*bufs)[24];
    fref *v;
    int ok = 1;
    if (n == 0 || n % 2)
        return 0;
    v = (fref *)kv_xmalloc(n / 2 * sizeof *v);
    bufs = (char (*)[24])kv_xmalloc(n / 2 * sizeof *bufs);
    for (p = kv_lp_first(lp); p; p = kv_lp_next(lp, p), i++)
        if (i % 2 == 0)
            v[i / 2].p = (const char *)kv_lp_get_str(p, (unsigned char *)bufs[i / 2], &v[i / 2].n);
    qsort(v, n / 2, sizeof *v, fref_cmp);
    for (k = 1; k < n / 2 && ok; k++)
        ok = fref_cmp(&v[k - 1], &v[k]) != 0;
    free(bufs);
    free(v);
    return ok;
}

/* Take a checked listpack (any origin) as a hash, converting it when it
 * holds more pairs than the limit or (convert_long) a long element, unless
 * r->keep. Like Redis's lpLength, an unknown count in the header is filled
 * in, so the value DUMPs back as Redis would dump it. */
static kv_obj *adopt(const kv_rdb_reader *r, unsigned char *lp, int convert_long, size_t maxlen)
{
    const kv_enc_limits *lim = kv_rdb_limits(r);
    size_t n;
    kv_obj *o;
    uint8_t seed[16];
    if (!pairs_ok(lp)) {
        kv_lp_free(lp);
        return NULL;
    }
    n = kv_lp_count(lp);
    if (n < 0xFFFF) {
        lp[4] = (unsigned char)(n & 0xFF);
        lp[5] = (unsigned char)(n >> 8);
    }
    o = kv_obj_new(KV_TYPE_HASH, KV_ENC_LISTPACK, lp);
    if (!r->keep &&
        (n / 2 > lim->hash_lp_entries || (convert_long && maxlen > lim->hash_lp_value))) {
        load_seed(seed);
        kv_hash_convert(o, seed);
    }
    return o;
}

static kv_obj *load_listpack(kv_rdb_reader *r)
{
    size_t n;
    unsigned char *lp = kv_rdb_read_blob(r, &n);
    if (!lp)
        return NULL;
    if (!kv_lp_validate(lp, n)) {
        free(lp);
        return NULL;
    }
    return adopt(r, lp, 0, 0);
}

/* ------------------------------------------------------- ZIPLIST (13) */

/* One ziplist entry at zl + off, checked as Redis's zipEntrySafe checks it
 * (end is the offset of the final 0xFF): its value is appended to *lp and
 * its size returned, or 0 if it is malformed or its prevlen is not prev. */
static size_t zl_entry(const unsigned char *zl, size_t off, size_t end, size_t prev,
                       unsigned char **lp)
{
    const unsigned char *p = zl + off;
    size_t avail = end - off, h, len = 0, w = 0, i;
    unsigned c;
    uint64_t u = 0;
    long long v;
    if (p[0] < 0xFE) {
        if (p[0] != prev)
            return 0;
        h = 1;
    } else {
        if (avail < 5 || rd32(p + 1) != prev)
            return 0;
        h = 5;
    }
    if (avail < h + 1)
        return 0;
    c = p[h];
    switch (c >> 6) {
    case 0: /* up to 63 bytes */
        len = c & 0x3F;
        h += 1;
        break;
    case 1: /* up to 16383 bytes, 14 bits big-endian */
        if (avail < h + 2)
            return 0;
        len = (size_t)(c & 0x3F) << 8 | p[h + 1];
        h += 2;
        break;
    case 2: /* 32 bits big-endian (Redis ignores the low 6 bits) */
        if (avail < h + 5)
            return 0;
        len = (size_t)p[h + 1] << 24 | (size_t)p[h + 2] << 16 | (size_t)p[h + 3] << 8 | p[h + 4];
        h += 5;
        break;
    default: /* an integer */
        switch (c) {
        case 0xC0: w = 2; break;
        case 0xD0: w = 4; break;
        case 0xE0: w = 8; break;
        case 0xF0: w = 3; break;
        case 0xFE: w = 1; break;
        default:
            if (c < 0xF1 || c > 0xFD)
                return 0;
        }
        h += 1;
        if (avail - h < w)
            return 0;
        if (w == 0) {
            v = (long long)(c & 0x0F) - 1; /* an immediate 0..12 */
        } else {
            for (i = 0; i < w; i++)
                u |= (uint64_t)p[h + i] << (8 * i);
            if (w < 8 && (u >> (8 * w - 1)) & 1u)
                u |= ~(uint64_t)0 << (8 * w); /* sign-extend */
            memcpy(&v, &u, sizeof v);
        }
        *lp = kv_lp_append_int(*lp, v);
        return h + w;
    }
    if (avail - h < len)
        return 0;
    *lp = kv_lp_append(*lp, (const char *)p + h, len);
    return h + len;
}

/* The listpack with an untrusted ziplist's entries, after Redis's deep
 * ziplist check: sizes, every prevlen, the tail offset and the count. */
static unsigned char *lp_from_ziplist(const unsigned char *zl, size_t size)
{
    size_t off = 10, prev = 0, count = 0, last = 0, end;
    unsigned char *lp;
    if (size < 11 || rd32(zl) != size || zl[size - 1] != 0xFF || rd32(zl + 4) > size - 1)
        return NULL;
    end = size - 1;
    lp = kv_lp_new();
    while (zl[off] != 0xFF) {
        size_t used = zl_entry(zl, off, end, prev, &lp);
        if (!used) {
            kv_lp_free(lp);
            return NULL;
        }
        last = off;
        prev = used;
        off += used;
        count++;
    }
    if (off != end || (count && rd32(zl + 4) != last) ||
        ((zl[8] | zl[9] << 8) != 0xFFFF && (size_t)(zl[8] | zl[9] << 8) != count)) {
        kv_lp_free(lp);
        return NULL;
    }
    return lp;
}

static kv_obj *load_ziplist(kv_rdb_reader *r)
{
    size_t n;
    unsigned char *zl = kv_rdb_read_blob(r, &n), *lp;
    if (!zl)
        return NULL;
    lp = lp_from_ziplist(zl, n);
    free(zl);
    return lp ? adopt(r, lp, 0, 0) : NULL;
}

/* -------------------------------------------------------- ZIPMAP (9) */

/* A zipmap length at zm + off (before end, the final 0xFF): 1 byte below
 * 254, else a marker and a u32 little-endian, which must then be >= 254
 * (Redis walks by the canonical size and misreads anything else). Returns
 * the bytes it takes, 0 if malformed. */
static size_t zm_len(const unsigned char *zm, size_t off, size_t end, size_t *len)
{
    if (zm[off] < 0xFE) {
        *len = zm[off];
        return off + 1 <= end ? 1 : 0;
    }
    if (end - off < 5)
        return 0;
    *len = rd32(zm + off + 1);
    return *len >= 0xFE ? 5 : 0;
}

/* Redis 2.x's zipmap: a count byte (254: unknown), then per pair a field
 * length, the field, a value length, a free-space byte, the value and that
 * much padding, then 0xFF. Checked as zipmapValidateIntegrity does. */
static kv_obj *load_zipmap(kv_rdb_reader *r)
{
    size_t n, off = 1, count = 0, maxlen = 0, end;
    unsigned char *zm = kv_rdb_read_blob(r, &n), *lp;
    if (!zm)
        return NULL;
    if (n < 2 || zm[n - 1] != 0xFF) {
        free(zm);
        return NULL;
    }
    end = n - 1;
    lp = kv_lp_new();
    /* Like Redis, the walk ends at the first 0xFF where a field would
     * start, whatever follows it. */
    while (zm[off] != 0xFF) {
        size_t fl, vl, s, f, v, e;
        if (!(s = zm_len(zm, off, end, &fl)) || fl > end - off - s)
            goto bad;
        f = off + s;
        off = f + fl;
        if (off >= end || !(s = zm_len(zm, off, end, &vl)) || end - off - s < 1)
            goto bad;
        e = zm[off + s];
        v = off + s + 1;
        if (vl > end - v || e > end - v - vl)
            goto bad;
        off = v + vl + e;
        lp = kv_lp_append(lp, (const char *)zm + f, fl);
        lp = kv_lp_append(lp, (const char *)zm + v, vl);
        maxlen = fl > maxlen ? fl : maxlen;
        maxlen = vl > maxlen ? vl : maxlen;
        count++;
    }
    if (count == 0 || (zm[0] != 0xFE && zm[0] != count))
        goto bad;
    free(zm);
    return adopt(r, lp, 1, maxlen);
bad:
    free(zm);
    kv_lp_free(lp);
    return NULL;
}

kv_obj *kv_rdb_load_hash(int rdbtype, kv_rdb_reader *r)
{
    switch (rdbtype) {
    case KV_RDB_TYPE_HASH_LISTPACK:
        return load_listpack(r);
    case KV_RDB_TYPE_HASH:
        return load_pairs(r);
    case KV_RDB_TYPE_HASH_ZIPLIST:
        return load_ziplist(r);
    case KV_RDB_TYPE_HASH_ZIPMAP:
        return load_zipmap(r);
    default:
        return NULL;
    }
}
