/* What the generic key family's files share: keys.c (DEL, EXISTS, TYPE,
 * the expire commands), rename.c (RENAME, RENAMENX, COPY, MOVE, SWAPDB),
 * scan.c (KEYS, SCAN, RANDOMKEY), object.c (OBJECT), dump.c (DUMP, RESTORE,
 * the sub-commands that move serialized values between shards, and what
 * the AOF logs for a key or a deletion, shared by every family); SORT has
 * its own header (sort.h). */
#ifndef KV_CMD_KEYS_H
#define KV_CMD_KEYS_H

#include "cmd/core/cmd.h"

/* Redis's LRU clock: seconds, 24 bits; idle time wraps like Redis's. */
#define KV_LRU_CLOCK_MAX ((1u << 24) - 1)

/* ---------------------------------------------------------- keys.c */

/* lookupKeyReadWithFlags(LOOKUP_NOTOUCH): lazy expiry and hit/miss
 * counting like kv_lookup_read, but the value's LRU stamp is left alone
 * (TYPE, TTL, EXISTS, OBJECT, SCAN's TYPE filter). */
kv_entry *kv_lookup_read_notouch(kv_ctx *ctx, const kv_str *key);
/* The same with LOOKUP_NONOTIFY: a miss is not a "keymiss" event (OBJECT). */
kv_entry *kv_lookup_read_nonotify(kv_ctx *ctx, const kv_str *key);
/* Stamp a value created by a command with the shard's LRU clock, as
 * Redis's createObject does. */
void kv_keys_stamp(kv_ctx *ctx, kv_obj *o);

/* ---------------------------------------------------------- scan.c */

/* Redis's cursor parsing (strtoul, base 10, C-string view): 0 and the
 * cursor, or -1 if Redis would answer "ERR invalid cursor". */
int kv_scan_cursor(const kv_str *a, unsigned long *cursor);

/* ---------------------------------------------------------- object.c */

/* Whether Redis would hold this value as one of its shared integers
 * (OBJECT REFCOUNT 2147483647), and marking a copy that it would not. */
int kv_obj_shared_int(const kv_obj *o);
void kv_obj_mark_unshared(kv_obj *o);

/* ---------------------------------------------------------- dump.c */

/* The error for a value whose type's rdb file is still a stub (DUMP, and
 * COPY or RENAME that must serialize it). */
void kv_reply_dump_unsupported(kv_ctx *ctx, const kv_obj *o);

/* Sub-commands for moving a value between shards; argv[0] is the name.
 * get  key                 -> :0 missing, or *2 [payload, expire ms or -1]
 *                             (a lookup as a write: RENAME's source)
 * getr key                 -> the same, read as COPY does (counts a hit)
 * has  key                 -> :0 / :1 (lookup as a write)
 * put  key payload when nx -> :0 if nx is "1" and the key exists, else
 *                             replaces it (an expired `when` only deletes)
 *                             and :1
 * del  key                 -> :0 / :1 */
extern const kv_cmd kv_sub_val_get;
extern const kv_cmd kv_sub_val_getr;
extern const kv_cmd kv_sub_val_has;
extern const kv_cmd kv_sub_val_put;
extern const kv_cmd kv_sub_val_del;
/* Parse a `get` reply: 1 with the payload and expire time, 0 if the key was
 * missing, -1 if it is not such a reply (an error: pass it on). */
int kv_val_reply(kv_str r, kv_str *payload, long long *when);

/* ------------------------------------- the append-only file (dump.c) */

/* Redis's checkAlreadyExpired: an absolute expire time at or before now
 * deletes the key at once, except while an append-only file replays
 * (server.loading): then the key keeps its past time, as in Redis, and
 * expires afterwards (the log goes on using it as it was when written). */
static inline int kv_already_expired(kv_ctx *ctx, long long when)
{
    return !kv_state(ctx)->ks->loading && when <= kv_now_ms(ctx);
}
/* Log (kv_propagate) what reproduces key's state now, for a sub-command
 * whose own argv is no Redis command (a store across shards, RENAME's
 * destination): RESTORE key 0|<pexpiretime> <payload> REPLACE [ABSTTL],
 * or DEL key when it is gone. Nothing while the AOF is off. */
void kv_propagate_key(kv_ctx *ctx, const kv_str *key);
/* Log a deletion as Redis propagates one: UNLINK key when the boolean
 * parameter `lazy` (a lazyfree-lazy-* name) is yes, else DEL key (lazy
 * NULL: always DEL). */
void kv_propagate_del(kv_ctx *ctx, const kv_str *key, const char *lazy);

#endif
