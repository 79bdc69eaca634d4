/* Blob checks shared by the RDB collection loaders (rdb_*.c only). Redis
 * <= 6.2's ziplists (a list's ZIPLIST body and QUICKLIST nodes, a hash's
 * and a sorted set's ZIPLIST body; layout in rdb.h) go through one walker
 * that checks a blob as Redis 7.0's ziplistValidateIntegrity(deep) does,
 * so each loader refuses exactly what Redis refuses ("Bad data format");
 * listpack blobs through one reader and, for pairs (hash, zset), one
 * duplicate check. */
#ifndef KEVY_STORE_RDB_ZIPLIST_H
#define KEVY_STORE_RDB_ZIPLIST_H

#include <stddef.h>

#include "store/listpack.h"
#include "store/rdb.h"

/* Called once per entry in order, with a string (v->s, v->n) or, when
 * v->s is NULL, an integer v->v; nonzero stops the walk as malformed. */
typedef int (*kv_rdb_zl_fn)(void *arg, const kv_lpval *v);

/* Walk an untrusted ziplist of size bytes: 0 if it is well formed (sizes,
 * every entry's header and prevlen, the tail offset, the count) and fn
 * accepted every entry, -1 otherwise. fn may have seen entries either way. */
int kv_rdb_ziplist_walk(const unsigned char *zl, size_t size, kv_rdb_zl_fn fn, void *arg);

/* A listpack holding the entries of an untrusted ziplist (empty if it has
 * none), as Redis converts one when loading; NULL if malformed. */
unsigned char *kv_rdb_ziplist_to_lp(const unsigned char *zl, size_t size);

/* The same for a ziplist read from r as a string blob. */
unsigned char *kv_rdb_read_ziplist(kv_rdb_reader *r);

/* A listpack blob read from r that passes kv_lp_validate; NULL if not. */
unsigned char *kv_rdb_read_listpack(kv_rdb_reader *r);

/* A listpack of pairs (hash fields and values, zset members and scores)
 * as Redis's deep check wants it: not empty, an even number of entries,
 * no first-of-pair twice (compared as text). */
int kv_rdb_lp_pairs_ok(unsigned char *lp);

#endif
