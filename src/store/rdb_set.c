/* Set values in RDB form (DUMP/RESTORE, COPY, cross-shard moves), owned
 * by the set type's author. Bodies: INTSET (11), SET (2).
 * rdb.h describes them and the checks a loader must make. Until filled in,
 * DUMP of a set is refused and RESTORE of one answers "Bad data format". */
#include "store/rdb.h"

int kv_rdb_save_set(kv_buf *out, const kv_obj *o)
{
    (void)out;
    (void)o;
    return KV_RDB_UNSUPPORTED;
}

kv_obj *kv_rdb_load_set(int rdbtype, kv_rdb_reader *r)
{
    (void)rdbtype;
    (void)r;
    return NULL;
}
