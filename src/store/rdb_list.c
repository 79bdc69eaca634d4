/* List values in RDB form (DUMP/RESTORE, COPY, cross-shard moves), owned
 * by the list type's author. Bodies: QUICKLIST_2 (18), written as Redis
 * 7.0 writes it (one packed listpack per node, so with Redis's node layout
 * the payload is byte-identical), and LIST (1). From older Redis, QUICKLIST
 * (14) and ZIPLIST (10) are read through the ziplist walker. */
#include "store/rdb.h"

#include <stdlib.h>

#include "store/listpack.h"
#include "store/rdb_ziplist.h"
#include "store/t_list.h"

int kv_rdb_save_list(kv_buf *out, const kv_obj *o, int compress)
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
        kv_rdb_write_string_opt(out, n->lp, kv_lp_bytes(n->lp), compress);
    }
    return KV_RDB_OK;
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
            lp = kv_rdb_ziplist_to_lp(blob, n);
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
        unsigned char *lp = kv_rdb_read_ziplist(r);
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
