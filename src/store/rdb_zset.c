/* Sorted-set values in RDB form (DUMP/RESTORE, COPY, cross-shard moves), owned
 * by the zset type's author. Saves what Redis 7.0 saves: LISTPACK (17), the
 * blob as kept in memory, or ZSET_2 (5) from the highest score down. Loads
 * those, ZSET (3) and Redis 6's ZIPLIST (12), with Redis's checks: no empty
 * set, no duplicate member, no NaN, a valid blob; small ZSET_2/ZSET loads
 * become listpacks and big listpacks skiplists, as in Redis, by the
 * reader's limits (with keep, ZSET_2/ZSET bodies are skiplists and
 * listpacks stay listpacks). */
#include "store/rdb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/listpack.h"
#include "store/mem.h"
#include "store/siphash.h"
#include "store/t_zset.h"

int kv_rdb_save_zset(kv_buf *out, const kv_obj *o)
{
    kv_zit it;
    int more;
    if (kv_obj_encoding(o) == KV_ENC_LISTPACK) {
        const unsigned char *lp = kv_obj_ptr(o);
        kv_rdb_write_type(out, KV_RDB_TYPE_ZSET_LISTPACK);
        kv_rdb_write_string(out, lp, kv_lp_bytes(lp));
        return KV_RDB_OK;
    }
    kv_rdb_write_type(out, KV_RDB_TYPE_ZSET_2);
    kv_rdb_write_len(out, kv_zset_len(o));
    /* Highest first: Redis then inserts each at the head when loading. */
    for (more = kv_zit_rank(&it, o, 0, 1); more; more = kv_zit_next(&it)) {
        kv_rdb_write_string(out, it.m, it.mlen);
        kv_rdb_write_double_bin(out, it.score);
    }
    return KV_RDB_OK;
}

/* The rdb API carries no server seed, so a skiplist built here gets a key
 * from what this process cannot be made to predict from outside: the clock
 * and a fresh heap address. (Small sets, the common case, are listpacks.) */
static void load_seed(uint8_t seed[16])
{
    static const uint8_t k[16] = {0x6b, 0x65, 0x76, 0x79, 0x2d, 0x7a, 0x73, 0x65,
                                  0x74, 0x2d, 0x72, 0x64, 0x62, 0x2d, 0x76, 0x31};
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

/* ----------------------------------------------------------- ZSET, ZSET_2 */

typedef struct elem {
    kv_rdb_str m;
    double score;
} elem;

static kv_obj *load_pairs(int rdbtype, kv_rdb_reader *r)
{
    uint64_t n, i, got = 0;
    elem *v;
    size_t maxlen = 0;
    kv_obj *o = NULL;
    uint8_t seed[16];
    kv_zset_opts opts;
    if (kv_rdb_read_len(r, &n, NULL) != 0 || n == 0)
        return NULL;
    /* Every element needs at least 2 bytes: a count past that is a lie. */
    if (n > kv_rdb_remaining(r) / 2)
        return NULL;
    memset(seed, 0, sizeof seed);
    v = (elem *)kv_xcalloc((size_t)n, sizeof *v);
    for (i = 0; i < n; i++) {
        if (kv_rdb_read_string(r, &v[i].m) != 0)
            goto out;
        got++;
        if ((rdbtype == KV_RDB_TYPE_ZSET_2 ? kv_rdb_read_double_bin(r, &v[i].score)
                                           : kv_rdb_read_double_str(r, &v[i].score)) != 0 ||
            isnan(v[i].score))
            goto out;
        if (v[i].m.n > maxlen)
            maxlen = v[i].m.n;
    }
    kv_zset_opts_init(&opts, seed);
    opts.max_lp_entries = kv_rdb_limits(r)->zset_lp_entries;
    opts.max_lp_value = kv_rdb_limits(r)->zset_lp_value;
    /* Redis loads into a skiplist and converts it after, by these rules. */
    if (!r->keep && n <= opts.max_lp_entries && maxlen <= opts.max_lp_value) {
        o = kv_zset_new(KV_ENC_LISTPACK, NULL);
    } else {
        load_seed(seed);
        o = kv_zset_new(KV_ENC_SKIPLIST, seed);
    }
    for (i = 0; i < n; i++) {
        double s;
        int out;
        if (kv_zset_score(o, v[i].m.p, v[i].m.n, &s)) { /* a duplicate */
            kv_obj_free(o);
            o = NULL;
            break;
        }
        kv_zset_add(o, v[i].score, v[i].m.p, v[i].m.n, 0, &out, NULL, &opts);
    }
out:
    for (i = 0; i < got; i++)
        kv_rdb_str_free(&v[i].m);
    free(v);
    return o;
}

/* ------------------------------------------------------------ LISTPACK */

typedef struct mref {
    const char *p;
    size_t n;
} mref;

static int mref_cmp(const void *a, const void *b)
{
    const mref *x = a, *y = b;
    int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);
    if (c)
        return c;
    return x->n < y->n ? -1 : x->n > y->n;
}

/* A member/score listpack: an even number of entries, no member twice
 * (compared as text, as Redis compares them). */
static int pairs_ok(unsigned char *lp)
{
    size_t n = kv_lp_count(lp), i = 0, k;
    unsigned char *p;
    char (*bufs)[24];
    mref *v;
    int ok = 1;
    if (n == 0 || n % 2)
        return 0;
    v = (mref *)kv_xmalloc(n / 2 * sizeof *v);
    bufs = (char (*)[24])kv_xmalloc(n / 2 * sizeof *bufs);
    for (p = kv_lp_first(lp); p; p = kv_lp_next(lp, p), i++) {
        if (i % 2)
            continue;
        v[i / 2].p = (const char *)kv_lp_get_str(p, (unsigned char *)bufs[i / 2], &v[i / 2].n);
    }
    qsort(v, n / 2, sizeof *v, mref_cmp);
    for (k = 1; k < n / 2 && ok; k++)
        ok = mref_cmp(&v[k - 1], &v[k]) != 0;
    free(bufs);
    free(v);
    return ok;
}

static kv_obj *adopt_listpack(const kv_rdb_reader *r, unsigned char *lp)
{
    kv_obj *o;
    uint8_t seed[16];
    if (!pairs_ok(lp)) {
        kv_lp_free(lp);
        return NULL;
    }
    o = kv_obj_new(KV_TYPE_ZSET, KV_ENC_LISTPACK, lp);
    if (!r->keep && kv_zset_len(o) > kv_rdb_limits(r)->zset_lp_entries) {
        load_seed(seed);
        kv_zset_convert(o, KV_ENC_SKIPLIST, seed);
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
    return adopt_listpack(r, lp);
}

/* ------------------------------------------------------------- ZIPLIST */

/* One ziplist entry at p (end bounds the entries): its value appended to
 * the listpack; returns the entry's size, or 0 if malformed. */
static size_t zl_entry(const unsigned char *p, const unsigned char *end, unsigned char **lp)
{
    size_t prev = 0, hdr, len = 0;
    unsigned enc;
    long long v = 0;
    char digits[24];
    if (p >= end || p[0] == 0xFF)
        return 0;
    prev = p[0] < 0xFE ? 1 : 5;
    if ((size_t)(end - p) < prev + 1)
        return 0;
    enc = p[prev];
    hdr = prev + 1;
    if ((enc >> 6) < 3) { /* a string */
        if ((enc >> 6) == 0) {
            len = enc & 0x3F;
        } else if ((enc >> 6) == 1) {
            if ((size_t)(end - p) < hdr + 1)
                return 0;
            len = ((size_t)(enc & 0x3F) << 8) | p[hdr];
            hdr += 1;
        } else {
            if (enc != 0x80 || (size_t)(end - p) < hdr + 4)
                return 0;
            len = (size_t)p[hdr] << 24 | (size_t)p[hdr + 1] << 16 | (size_t)p[hdr + 2] << 8 |
                  p[hdr + 3];
            hdr += 4;
        }
        if ((size_t)(end - p) - hdr < len)
            return 0;
        *lp = kv_lp_append(*lp, (const char *)p + hdr, len);
        return hdr + len;
    }
    switch (enc) {
    case 0xC0: len = 2; break;
    case 0xD0: len = 4; break;
    case 0xE0: len = 8; break;
    case 0xF0: len = 3; break;
    case 0xFE: len = 1; break;
    default:
        if (enc < 0xF1 || enc > 0xFD)
            return 0;
        v = (long long)(enc & 0x0F) - 1; /* an immediate 0..12 */
    }
    if ((size_t)(end - p) - hdr < len)
        return 0;
    if (len) {
        uint64_t u = 0;
        size_t i;
        for (i = 0; i < len; i++)
            u |= (uint64_t)p[hdr + i] << (8 * i);
        if (len < 8 && (u >> (8 * len - 1)) & 1)
            u |= ~(uint64_t)0 << (8 * len); /* sign-extend */
        memcpy(&v, &u, sizeof v);
    }
    *lp = kv_lp_append(*lp, digits, (size_t)snprintf(digits, sizeof digits, "%lld", v));
    return hdr + len;
}

static kv_obj *load_ziplist(kv_rdb_reader *r)
{
    size_t n, pos = 10;
    unsigned char *zl = kv_rdb_read_blob(r, &n), *lp;
    if (!zl)
        return NULL;
    if (n < 11 || ((size_t)zl[0] | (size_t)zl[1] << 8 | (size_t)zl[2] << 16 |
                   (size_t)zl[3] << 24) != n || zl[n - 1] != 0xFF) {
        free(zl);
        return NULL;
    }
    lp = kv_lp_new();
    while (pos < n - 1) {
        size_t used = zl_entry(zl + pos, zl + n - 1, &lp);
        if (!used) {
            kv_lp_free(lp);
            free(zl);
            return NULL;
        }
        pos += used;
    }
    free(zl);
    return adopt_listpack(r, lp);
}

kv_obj *kv_rdb_load_zset(int rdbtype, kv_rdb_reader *r)
{
    switch (rdbtype) {
    case KV_RDB_TYPE_ZSET_LISTPACK:
        return load_listpack(r);
    case KV_RDB_TYPE_ZSET_2:
    case KV_RDB_TYPE_ZSET:
        return load_pairs(rdbtype, r);
    case KV_RDB_TYPE_ZSET_ZIPLIST:
        return load_ziplist(r);
    default:
        return NULL;
    }
}
