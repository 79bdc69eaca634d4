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

#include "store/listpack.h"
#include "store/rdb_ziplist.h"
#include "store/t_hash.h"

/* Where the pairs go, and whether LZF may be used on them. */
typedef struct save_ctx {
    kv_buf *out;
    int compress;
} save_ctx;

static void save_pair(void *arg, const kv_lpval *f, const kv_lpval *v)
{
    save_ctx *c = (save_ctx *)arg;
    kv_rdb_write_lpval_opt(c->out, f, c->compress);
    kv_rdb_write_lpval_opt(c->out, v, c->compress);
}

int kv_rdb_save_hash(kv_buf *out, const kv_obj *o, int compress)
{
    save_ctx c;
    if (kv_obj_encoding(o) == KV_ENC_LISTPACK) {
        const unsigned char *lp = (const unsigned char *)kv_obj_ptr(o);
        kv_rdb_write_type(out, KV_RDB_TYPE_HASH_LISTPACK);
        kv_rdb_write_string_opt(out, lp, kv_lp_bytes(lp), compress);
        return KV_RDB_OK;
    }
    if (kv_obj_encoding(o) != KV_ENC_HT)
        return KV_RDB_UNSUPPORTED;
    kv_rdb_write_type(out, KV_RDB_TYPE_HASH);
    kv_rdb_write_len(out, kv_hash_len(o));
    /* The walk only reads; the API is not const because scans may rehash. */
    c.out = out;
    c.compress = compress;
    kv_hash_foreach((kv_obj *)(uintptr_t)o, save_pair, &c);
    return KV_RDB_OK;
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
    kv_rdb_seed(r, seed);
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

/* ------------------------------------------ LISTPACK (16), ZIPLIST (13) */

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
    if (!kv_rdb_lp_pairs_ok(lp)) {
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
        kv_rdb_seed(r, seed);
        kv_hash_convert(o, seed);
    }
    return o;
}

/* LISTPACK (16) and, converted to one, ZIPLIST (13). */
static kv_obj *load_blob(kv_rdb_reader *r, int rdbtype)
{
    unsigned char *lp = rdbtype == KV_RDB_TYPE_HASH_LISTPACK ? kv_rdb_read_listpack(r)
                                                             : kv_rdb_read_ziplist(r);
    return lp ? adopt(r, lp, 0, 0) : NULL;
}

/* -------------------------------------------------------- ZIPMAP (9) */

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

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
    case KV_RDB_TYPE_HASH_ZIPLIST:
        return load_blob(r, rdbtype);
    case KV_RDB_TYPE_HASH:
        return load_pairs(r);
    case KV_RDB_TYPE_HASH_ZIPMAP:
        return load_zipmap(r);
    default:
        return NULL;
    }
}
