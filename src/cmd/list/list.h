/* Shared by the list command files: list.c (single-key commands) and
 * move.c (LMOVE, RPOPLPUSH, LMPOP: commands that may span shards). */
#ifndef KV_CMD_LIST_H
#define KV_CMD_LIST_H

#include "cmd/core/cmd.h"
#include "store/t_list.h"

/* The settings a list created now gets: the shard's live
 * list-max-listpack-size (an existing list keeps its own fill). */
void kv_list_cmd_opts(kv_ctx *ctx, kv_list_opts *opts);
/* The list at key: *e NULL if missing; -1 after replying WRONGTYPE. */
int kv_list_lookup(kv_ctx *ctx, const kv_str *key, int write, kv_entry **e);
/* The entry as a bulk string. */
void kv_list_reply_entry(kv_ctx *ctx, const kv_lpval *v);
/* Push onto key (created if missing; must not hold another type), with
 * its "lpush"/"rpush" event. */
void kv_list_push_key(kv_ctx *ctx, const kv_str *key, kv_entry *e, const char *s, size_t n,
                      int where);
/* Drop the key if its list is now empty (Redis never keeps empty lists);
 * 1 if it did. */
int kv_list_drop_if_empty(kv_ctx *ctx, kv_entry *e);
/* Elements were popped from key's list at e at `where`: the "lpop"/"rpop"
 * event, then the key dropped with "del" if that emptied it (Redis's
 * listElementsRemoved). */
void kv_list_popped(kv_ctx *ctx, const kv_str *key, kv_entry *e, int where);

/* LPOP/RPOP as sub-commands: the pop step of a cross-shard LMOVE (move.c). */
extern const kv_cmd kv_sub_lpop;
extern const kv_cmd kv_sub_rpop;
/* LMOVE src dst LEFT|RIGHT LEFT|RIGHT and LMPOP 1 key LEFT|RIGHT [COUNT n]
 * as requests of the blocking commands that serve with them (blocking.c). */
extern const kv_cmd kv_sub_lmove;
/* RPOPLPUSH src dst the same way (a blocked BRPOPLPUSH served). */
extern const kv_cmd kv_sub_rpoplpush;
/* LEFT -> KV_QL_HEAD, RIGHT -> KV_QL_TAIL, else -1 (move.c). */
int kv_list_arg_where(const kv_str *a);
extern const kv_cmd kv_sub_lmpop;

#endif
