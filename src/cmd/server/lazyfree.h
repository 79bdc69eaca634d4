/* Lazy free (Redis's lazyfree.c): values whose free would stall a shard
 * (many allocations) are handed to one background thread of the server,
 * as UNLINK, FLUSHALL/FLUSHDB ASYNC and the lazyfree-lazy-* settings ask.
 * Server-wide (kv_server.lazyfree), its own mutex; INFO reads its counts. */
#ifndef KV_SERVER_LAZYFREE_H
#define KV_SERVER_LAZYFREE_H

#include "cmd/core/cmd.h"

typedef struct kv_lazyfree kv_lazyfree;

kv_lazyfree *kv_lazyfree_new(void);
void kv_lazyfree_free(kv_lazyfree *lf); /* joins the thread, frees what is left */

/* Redis's threshold: a value costing more allocations than this to free
 * goes to the thread. */
#define KV_LAZYFREE_THRESHOLD 64
/* Redis's lazyfreeGetFreeEffort: 1 for flat values, else the allocations
 * the free walks (list nodes, hash table entries, skiplist nodes...). */
size_t kv_lazyfree_effort(const kv_obj *o);

/* Free o now, or in the background when its effort is over the threshold. */
void kv_lazyfree_obj(kv_lazyfree *lf, kv_obj *o);
/* Free a whole database (FLUSHALL/FLUSHDB ASYNC) in the background; its
 * nkeys keys count as pending objects until then, as Redis's. */
void kv_lazyfree_db(kv_lazyfree *lf, kv_db *db, long long nkeys);

/* This shard's keyspace follows lazyfree-lazy-expire, -server-del and
 * -eviction: values dropped for those reasons go through kv_lazyfree_obj
 * (at shard start and after every CONFIG SET). */
void kv_lazyfree_apply(kv_cmdstate *st);

/* INFO's lazyfree_pending_objects and lazyfreed_objects. */
void kv_lazyfree_counts(kv_lazyfree *lf, long long *pending, long long *freed);
/* Wait until nothing is pending (DEBUG, tests, shutdown). */
void kv_lazyfree_drain(kv_lazyfree *lf);

#endif
