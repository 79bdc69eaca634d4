/* Hash values in RDB form (DUMP/RESTORE, COPY, cross-shard moves), owned
 * by the hash type's author. Bodies: LISTPACK (16), HASH (4); from
 * older Redis ZIPLIST (13), ZIPMAP (9).
 * rdb.h describes them and the checks a loader must make. Until filled in,
 * DUMP of a hash is refused and RESTORE of one answers "Bad data format". */
#include "store/rdb.h"

int kv_rdb_save_hash(kv_buf *out, const kv_obj *o)
{
    (void)out;
    (void)o;
    return KV_RDB_UNSUPPORTED;
}

kv_obj *kv_rdb_load_hash(int rdbtype, kv_rdb_reader *r)
{
    (void)rdbtype;
    (void)r;
    return NULL;
}
