/* Shared by the list command files: lists.c (single-key commands and the
 * family table) and listmove.c (LMOVE, RPOPLPUSH, LMPOP: commands that may
 * span shards). */
#ifndef KV_CMD_LISTS_H
#define KV_CMD_LISTS_H

#include "cmd/cmd.h"
#include "store/t_list.h"

/* The settings a list created now gets: the shard's live
 * list-max-listpack-size (an existing list keeps its own fill). */
void kv_list_cmd_opts(kv_ctx *ctx, kv_list_opts *opts);
/* The list at key: *e NULL if missing; -1 after replying WRONGTYPE. */
int kv_list_lookup(kv_ctx *ctx, const kv_str *key, int write, kv_entry **e);
/* The entry as a bulk string. */
void kv_list_reply_entry(kv_ctx *ctx, const kv_lpval *v);
/* Push onto key (created if missing; must not hold another type). */
void kv_list_push_key(kv_ctx *ctx, const kv_str *key, kv_entry *e, const char *s, size_t n,
                      int where);
/* Drop the key if its list is now empty (Redis never keeps empty lists). */
void kv_list_drop_if_empty(kv_ctx *ctx, kv_entry *e);

/* LPOP/RPOP as sub-commands of the coordinations. */
void kv_cmd_lpop(kv_ctx *ctx, int argc, const kv_str *argv);
void kv_cmd_rpop(kv_ctx *ctx, int argc, const kv_str *argv);

void kv_cmd_lmove(kv_ctx *ctx, int argc, const kv_str *argv);
int kv_coord_lmove(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv);
int kv_check_lmove(kv_ctx *ctx, int argc, const kv_str *argv);
void kv_cmd_lmpop(kv_ctx *ctx, int argc, const kv_str *argv);
int kv_coord_lmpop(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv);
int kv_check_lmpop(kv_ctx *ctx, int argc, const kv_str *argv);
int kv_getkeys_lmpop(int argc, const kv_str *argv, int *pos, int max);

#endif
