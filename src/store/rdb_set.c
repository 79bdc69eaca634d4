/* Set values in RDB form (DUMP/RESTORE, COPY, cross-shard moves), owned
 * by the set type's author. Saves what Redis 7.0 saves: INTSET (11), the
 * blob as kept in memory, or SET (2), the member count then each member.
 * Loads both with Redis's checks (no empty set, no duplicate member, a
 * valid intset, checked deeply) and Redis's encoding choice: a SET body of
 * at most set-max-intset-entries canonical integers becomes an intset, an
 * intset above that limit a hashtable (the reader's limit; with keep, a SET
 * body is a hashtable and an intset stays one). */
#include "store/rdb.h"

#include <stdlib.h>

#include "store/intset.h"
#include "store/t_set.h"

/* Where the members go, and whether LZF may be used on them. */
typedef struct save_ctx {
    kv_buf *out;
    int compress;
} save_ctx;

static int save_member(void *arg, const kv_lpval *m)
{
    save_ctx *c = (save_ctx *)arg;
    kv_rdb_write_lpval_opt(c->out, m, c->compress);
    return 0;
}

int kv_rdb_save_set(kv_buf *out, const kv_obj *o, int compress)
{
    save_ctx c;
    if (kv_obj_encoding(o) == KV_ENC_INTSET) {
        const unsigned char *is = (const unsigned char *)kv_obj_ptr(o);
        kv_rdb_write_type(out, KV_RDB_TYPE_SET_INTSET);
        kv_rdb_write_string_opt(out, is, kv_is_bytes(is), compress);
        return KV_RDB_OK;
    }
    if (kv_obj_encoding(o) != KV_ENC_HT)
        return KV_RDB_UNSUPPORTED;
    kv_rdb_write_type(out, KV_RDB_TYPE_SET);
    kv_rdb_write_len(out, kv_set_size(o));
    /* The walk only reads; the API is not const because scans may rehash. */
    c.out = out;
    c.compress = compress;
    kv_set_foreach((kv_obj *)(uintptr_t)o, save_member, &c);
    return KV_RDB_OK;
}

/* INTSET: the blob itself once it passes the deep check (sorted, distinct,
 * sizes consistent, not empty). Redis keeps a wider-than-needed encoding as
 * it is, and so does kevy, so the blob DUMPs back unchanged. */
static kv_obj *load_intset(kv_rdb_reader *r)
{
    size_t n;
    unsigned char *is = kv_rdb_read_blob(r, &n);
    kv_obj *o;
    uint8_t seed[16];
    if (!is)
        return NULL;
    if (!kv_is_validate(is, n)) {
        free(is);
        return NULL;
    }
    o = kv_obj_new(KV_TYPE_SET, KV_ENC_INTSET, is);
    if (!r->keep && kv_is_len(is) > kv_rdb_limits(r)->set_intset_entries) {
        kv_rdb_seed(r, seed);
        kv_set_convert(o, seed);
    }
    return o;
}

/* SET: a count, then that many members. Like Redis, an intset while the
 * count allows one and every member so far is an integer, a hashtable from
 * the first other member on (or from the start when the count is above the
 * limit); a member seen twice makes the payload corrupt. */
static kv_obj *load_members(kv_rdb_reader *r)
{
    uint64_t len, i;
    kv_obj *o;
    kv_set_opts opts;
    uint8_t seed[16];
    /* Every member takes at least one byte: a count past that is a lie. */
    if (kv_rdb_read_len(r, &len, NULL) != 0 || len == 0 || len > kv_rdb_remaining(r))
        return NULL;
    kv_rdb_seed(r, seed);
    kv_set_opts_init(&opts, seed);
    opts.max_intset_entries = kv_rdb_limits(r)->set_intset_entries;
    o = kv_set_new();
    if (len > opts.max_intset_entries || r->keep)
        kv_set_convert(o, seed);
    for (i = 0; i < len; i++) {
        kv_rdb_str s;
        int added;
        if (kv_rdb_read_string(r, &s) != 0) {
            kv_obj_free(o);
            return NULL;
        }
        added = kv_set_add(o, s.p, s.n, &opts);
        kv_rdb_str_free(&s);
        if (!added) {
            kv_obj_free(o);
            return NULL;
        }
    }
    return o;
}

kv_obj *kv_rdb_load_set(int rdbtype, kv_rdb_reader *r)
{
    switch (rdbtype) {
    case KV_RDB_TYPE_SET_INTSET:
        return load_intset(r);
    case KV_RDB_TYPE_SET:
        return load_members(r);
    default:
        return NULL;
    }
}
