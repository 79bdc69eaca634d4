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
#include <stdlib.h>
#include <string.h>

#include "store/listpack.h"
#include "store/mem.h"
#include "store/rdb_ziplist.h"
#include "store/t_zset.h"

int kv_rdb_save_zset(kv_buf *out, const kv_obj *o, int compress)
{
    kv_zit it;
    int more;
    if (kv_obj_encoding(o) == KV_ENC_LISTPACK) {
        const unsigned char *lp = kv_obj_ptr(o);
        kv_rdb_write_type(out, KV_RDB_TYPE_ZSET_LISTPACK);
        kv_rdb_write_string_opt(out, lp, kv_lp_bytes(lp), compress);
        return KV_RDB_OK;
    }
    kv_rdb_write_type(out, KV_RDB_TYPE_ZSET_2);
    kv_rdb_write_len(out, kv_zset_len(o));
    /* Highest first: Redis then inserts each at the head when loading. */
    for (more = kv_zit_rank(&it, o, 0, 1); more; more = kv_zit_next(&it)) {
        kv_rdb_write_string_opt(out, it.m, it.mlen, compress);
        kv_rdb_write_double_bin(out, it.score);
    }
    return KV_RDB_OK;
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
        kv_rdb_seed(r, seed);
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

/* --------------------------------------------------- LISTPACK, ZIPLIST */

static kv_obj *adopt_listpack(const kv_rdb_reader *r, unsigned char *lp)
{
    kv_obj *o;
    uint8_t seed[16];
    if (!kv_rdb_lp_pairs_ok(lp)) {
        kv_lp_free(lp);
        return NULL;
    }
    o = kv_obj_new(KV_TYPE_ZSET, KV_ENC_LISTPACK, lp);
    if (!r->keep && kv_zset_len(o) > kv_rdb_limits(r)->zset_lp_entries) {
        kv_rdb_seed(r, seed);
        kv_zset_convert(o, KV_ENC_SKIPLIST, seed);
    }
    return o;
}

/* LISTPACK (17) and, converted to one, ZIPLIST (12). */
static kv_obj *load_blob(kv_rdb_reader *r, int rdbtype)
{
    unsigned char *lp = rdbtype == KV_RDB_TYPE_ZSET_LISTPACK ? kv_rdb_read_listpack(r)
                                                             : kv_rdb_read_ziplist(r);
    return lp ? adopt_listpack(r, lp) : NULL;
}

kv_obj *kv_rdb_load_zset(int rdbtype, kv_rdb_reader *r)
{
    switch (rdbtype) {
    case KV_RDB_TYPE_ZSET_LISTPACK:
    case KV_RDB_TYPE_ZSET_ZIPLIST:
        return load_blob(r, rdbtype);
    case KV_RDB_TYPE_ZSET_2:
    case KV_RDB_TYPE_ZSET:
        return load_pairs(rdbtype, r);
    default:
        return NULL;
    }
}
