/* WATCH support, per shard: which clients watch which keys here, and which
 * of them saw a watched key change. A write command reports each key it
 * really modified with kv_signal_modified (Redis's signalModifiedKey); while
 * nothing is watched on the shard that costs one branch. Expiry deletions
 * and FLUSHDB/FLUSHALL/SWAPDB touch watched keys too. EXEC asks every shard
 * holding its client's watches, under the transaction's locks, whether the
 * client is dirty there. */
#ifndef KV_CMD_WATCH_H
#define KV_CMD_WATCH_H

#include "cmd/core/cmd.h"

typedef struct kv_watchreg kv_watchreg;

kv_watchreg *kv_watchreg_new(void);
void kv_watchreg_free(kv_watchreg *w);

/* A command modified `key` in `db` on this shard (Redis's
 * signalModifiedKey): the key's watchers become dirty. */
void kv_signal_modified(kv_ctx *ctx, int db, const kv_str *key);
/* The same, from the keyspace's own work (expiry), without a context. */
void kv_watch_touch(kv_watchreg *w, int db, const char *key, size_t n);
/* FLUSHDB/FLUSHALL (other = -1) and SWAPDB (other = the db swapped with):
 * watchers of keys that exist in `db` or in `other` become dirty. Call
 * before the keys go. */
void kv_watch_touch_db(kv_watchreg *w, kv_keyspace *ks, int db, int other);

/* Sub-commands for a client's watches on a shard (ctx->client_id, or an id
 * given as the last argument): add keys, ask "dirty?", forget them. */
extern const kv_cmd kv_sub_watch_add;
extern const kv_cmd kv_sub_watch_check;
extern const kv_cmd kv_sub_watch_clear;

#endif
