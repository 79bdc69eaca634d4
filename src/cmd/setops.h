/* The multi-key set algebra (SINTER, SUNION, SDIFF, their STORE forms and
 * SINTERCARD): setops.c has the arguments, the algorithms and the one-shard
 * command; setops_shards.c runs them over keys on several shards. Both are
 * listed in sets.c's table. */
#ifndef KV_CMD_SETOPS_H
#define KV_CMD_SETOPS_H

#include "cmd/cmd.h"
#include "store/listpack.h"
#include "store/t_set.h"

/* sets.c: the options set writes use, with the shard's live
 * set-max-intset-entries (shared by the set command files). */
void kv_set_cmd_opts(kv_ctx *ctx, kv_set_opts *opts);

enum { KV_SETOP_INTER, KV_SETOP_UNION, KV_SETOP_DIFF };

/* One command's request, from its name and arguments. */
typedef struct kv_setop {
    int op;        /* KV_SETOP_* */
    int store;     /* argv[1] is the destination */
    int card;      /* SINTERCARD: reply the cardinality */
    long limit;    /* SINTERCARD LIMIT; 0: none */
    int first, n;  /* source keys: argv[first .. first + n) */
} kv_setop;

/* exec: every key on this shard. coord: keys on several shards. Which
 * operation runs follows ctx->cmd->name. */
void kv_cmd_setop(kv_ctx *ctx, int argc, const kv_str *argv);
int kv_coord_setop(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv);

/* SINTERCARD numkeys key... [LIMIT n]: argument checks (Redis's errors)
 * and key positions. */
int kv_check_sintercard(kv_ctx *ctx, int argc, const kv_str *argv);
int kv_getkeys_sintercard(int argc, const kv_str *argv, int *pos, int max);

/* Shared by the two files. */
int kv_setop_parse(kv_ctx *ctx, int argc, const kv_str *argv, kv_setop *q); /* -1: replied */
/* Run q over sets (by argument position, NULL for a missing key; reordered
 * in place). Replies, unless q is a STORE: then it returns the result. */
kv_obj *kv_setop_run(kv_ctx *ctx, const kv_setop *q, kv_obj **sets);
/* Replace dst with result (Redis's setKey: the old value and its TTL go), or
 * delete it when result is empty; replies the size. Takes result. */
void kv_setop_store(kv_ctx *ctx, const kv_str *dst, kv_obj *result);
/* kv_set_foreach callback replying a member as a bulk; arg is the kv_ctx. */
int kv_setop_reply_fn(void *arg, const kv_lpval *m);

#endif
