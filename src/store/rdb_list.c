/* List values in RDB form (DUMP/RESTORE, COPY, cross-shard moves), owned
 * by the list type's author. Bodies: QUICKLIST_2 (18), written as Redis
 * 7.0 writes it (one packed listpack per node, so with Redis's node layout
 * the payload is byte-identical), and LIST (1). From older Redis, QUICKLIST
 * (14) and ZIPLIST (10) are read through listpack_from_ziplist. */
#include "store/rdb.h"

#include <stdlib.h>
#include <string.h>

#include "store/listpack.h"
#include "store/t_list.h"

int kv_rdb_save_list(kv_buf *out, const kv_obj *o)
{
    const kv_quicklist *ql;
    const kv_qlnode *n;
    if (kv_obj_encoding(o) != KV_ENC_QUICKLIST)
        return KV_RDB_UNSUPPORTED;
    ql = kv_list_ql(o);
    kv_rdb_write_type(out, KV_RDB_TYPE_LIST_QUICKLIST_2);
    kv_rdb_write_len(out, ql->nodes);
    for (n = ql->head; n; n = n->next) {
        kv_rdb_write_len(out, KV_RDB_QUICKLIST_PACKED);
        kv_rdb_write_string(out, n->lp, kv_lp_bytes(n->lp));
    }
    return KV_RDB_OK;
}

/* ------------------------------------------------------------ ziplists */

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One ziplist entry at p (avail bytes before the end marker): its value
 * into s/n or *v, its size into *size. -1 if malformed. */
static int zl_entry(const unsigned char *p, size_t avail, size_t prevlen, const unsigned char **s,
                    size_t *n, long long *v, size_t *size)
{
    size_t h, len = 0;
    unsigned c;
    /* prevlen: 1 byte below 254, else 0xFE and 4 bytes; must match */
    if (avail < 1)
        return -1;
    if (p[0] < 254) {
        if (p[0] != prevlen)
            return -1;
        h = 1;
    } else {
        if (p[0] != 254 || avail < 5 || rd32(p + 1) != prevlen)
            return -1;
        h = 5;
    }
    if (avail < h + 1)
        return -1;
    c = p[h];
    *s = NULL;
    switch (c >> 6) {
    case 0:
        len = c & 0x3F;
        h += 1;
        break;
    case 1:
        if (avail < h + 2)
            return -1;
        len = ((size_t)(c & 0x3F) << 8) | p[h + 1];
        h += 2;
        break;
    case 2:
        if (c != 0x80 || avail < h + 5)
            return -1;
        len = (size_t)p[h + 1] << 24 | (size_t)p[h + 2] << 16 | (size_t)p[h + 3] << 8 | p[h + 4];
        h += 5;
        break;
    default: {
        size_t w = c == 0xC0 ? 2 : c == 0xD0 ? 4 : c == 0xE0 ? 8 : c == 0xF0 ? 3 : c == 0xFE ? 1 : 0;
        uint64_t u = 0;
        size_t i;
        if (w == 0) {
            if (c < 0xF1 || c > 0xFD)
                return -1;
            *v = (long long)(c & 0x0F) - 1; /* immediate 0..12 */
            *size = h + 1;
            return 0;
        }
        if (avail < h + 1 + w)
            return -1;
        for (i = 0; i < w; i++)
            u |= (uint64_t)p[h + 1 + i] << (8 * i);
        if (w < 8 && (u >> (8 * w - 1)) & 1u)
            u |= ~(uint64_t)0 << (8 * w);
        *v = u > (uint64_t)INT64_MAX ? -(long long)(~u) - 1 : (long long)u;
        *size = h + 1 + w;
        return 0;
    }
    }
    if (len > avail - h)
        return -1;
    *s = p + h;
    *n = len;
    *size = h + len;
    return 0;
}

/* A listpack with the entries of an untrusted ziplist blob, checked the
 * way Redis checks one deeply: sizes, the tail offset, every prevlen and
 * the count. NULL if malformed. */
static unsigned char *listpack_from_ziplist(const unsigned char *zl, size_t size)
{
    size_t off = 10, prevlen = 0, count = 0, last = 0, esize;
    unsigned char *lp;
    if (size < 11 || rd32(zl) != size || zl[size - 1] != 0xFF)
        return NULL;
    lp = kv_lp_new();
    while (off < size - 1) {
        const unsigned char *s;
        size_t n = 0;
        long long v = 0;
        char num[KV_LLSTR_SIZE];
        if (zl_entry(zl + off, size - 1 - off, prevlen, &s, &n, &v, &esize) < 0) {
            kv_lp_free(lp);
            return NULL;
        }
        if (s)
            lp = kv_lp_append(lp, (const char *)s, n);
        else
            lp = kv_lp_append(lp, num, kv_store_ll2str(num, v));
        last = off;
        prevlen = esize;
        off += esize;
        count++;
    }
    if (rd32(zl + 4) != (count ? last : 10) ||
        ((zl[8] | zl[9] << 8) != 0xFFFF && (size_t)(zl[8] | zl[9] << 8) != count)) {
        kv_lp_free(lp);
        return NULL;
    }
    return lp;
}

/* ------------------------------------------------------------ loading */

/* Like Redis's loader, a loaded list gets the current list-max-listpack-size
 * as its fill; nodes in the payload are kept as they are. */
static kv_obj *new_list(const kv_rdb_reader *r)
{
    kv_list_opts opts;
    kv_list_opts_init(&opts);
    opts.fill = kv_rdb_limits(r)->list_fill;
    return kv_list_new(&opts);
}

static kv_obj *load_nodes(int rdbtype, kv_rdb_reader *r)
{
    kv_obj *o = new_list(r);
    kv_quicklist *ql = kv_list_ql(o);
    uint64_t nodes, i, container = KV_RDB_QUICKLIST_PACKED;
    if (kv_rdb_read_len(r, &nodes, NULL) < 0 || nodes > kv_rdb_remaining(r))
        goto bad;
    for (i = 0; i < nodes; i++) {
        unsigned char *blob, *lp;
        size_t n;
        if (rdbtype == KV_RDB_TYPE_LIST_QUICKLIST_2 &&
            (kv_rdb_read_len(r, &container, NULL) < 0 ||
             (container != KV_RDB_QUICKLIST_PACKED && container != KV_RDB_QUICKLIST_PLAIN)))
            goto bad;
        if ((blob = kv_rdb_read_blob(r, &n)) == NULL)
            goto bad;
        if (container == KV_RDB_QUICKLIST_PLAIN) {
            /* one element (Redis's plain node, for huge ones): kept packed */
            kv_list_push(o, (const char *)blob, n, KV_QL_TAIL);
            free(blob);
            continue;
        }
        if (rdbtype == KV_RDB_TYPE_LIST_QUICKLIST_2) {
            lp = kv_lp_validate(blob, n) ? blob : NULL;
            if (lp == NULL)
                free(blob);
        } else {
            lp = listpack_from_ziplist(blob, n);
            free(blob);
        }
        if (lp == NULL)
            goto bad;
        if (kv_lp_count(lp) == 0) { /* Redis skips empty nodes */
            kv_lp_free(lp);
            continue;
        }
        kv_ql_append_node(ql, lp);
    }
    if (kv_ql_count(ql) == 0)
        goto bad;
    return o;
bad:
    kv_obj_free(o);
    return NULL;
}

kv_obj *kv_rdb_load_list(int rdbtype, kv_rdb_reader *r)
{
    kv_obj *o;
    uint64_t len, i;
    if (rdbtype == KV_RDB_TYPE_LIST_QUICKLIST_2 || rdbtype == KV_RDB_TYPE_LIST_QUICKLIST)
        return load_nodes(rdbtype, r);
    if (rdbtype == KV_RDB_TYPE_LIST_ZIPLIST) {
        size_t n;
        unsigned char *blob = kv_rdb_read_blob(r, &n), *lp;
        if (blob == NULL)
            return NULL;
        lp = listpack_from_ziplist(blob, n);
        free(blob);
        if (lp == NULL || kv_lp_count(lp) == 0) {
            kv_lp_free(lp);
            return NULL;
        }
        o = new_list(r);
        kv_ql_append_node(kv_list_ql(o), lp);
        return o;
    }
    if (rdbtype != KV_RDB_TYPE_LIST)
        return NULL;
    if (kv_rdb_read_len(r, &len, NULL) < 0 || len == 0 || len > kv_rdb_remaining(r))
        return NULL;
    o = new_list(r);
    for (i = 0; i < len; i++) {
        kv_rdb_str s;
        if (kv_rdb_read_string(r, &s) < 0) {
            kv_obj_free(o);
            return NULL;
        }
        kv_list_push(o, s.p, s.n, KV_QL_TAIL);
        kv_rdb_str_free(&s);
    }
    return o;
}
