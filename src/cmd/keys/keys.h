/* What the generic key family's files share: keys.c (DEL, EXISTS, TYPE,
 * the expire commands), rename.c (RENAME, RENAMENX, COPY, MOVE, SWAPDB),
 * scan.c (KEYS, SCAN, RANDOMKEY), object.c (OBJECT), dump.c (DUMP, RESTORE
 * and the sub-commands that move serialized values between shards); SORT
 * has its own header (sort.h). */
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

#endif
