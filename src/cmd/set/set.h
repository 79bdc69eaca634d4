/* Shared by the set command files: set.c (one-key commands and SMOVE) and
 * the multi-key set algebra (SINTER, SUNION, SDIFF, their STORE forms and
 * SINTERCARD): setops.c has the arguments, the algorithms, the one-shard
 * command and the table; setops_shards.c runs them over several shards. */
#ifndef KV_CMD_SET_H
#define KV_CMD_SET_H

#include "cmd/core/cmd.h"
#include "store/listpack.h"
#include "store/t_set.h"

/* set.c: the options set writes use, with the shard's live
 * set-max-intset-entries (shared by the set command files). */
void kv_set_cmd_opts(kv_ctx *ctx, kv_set_opts *opts);

enum { KV_SETOP_INTER, KV_SETOP_UNION, KV_SETOP_DIFF };

/* One command's request: its operation (the descriptor's data) and its
 * arguments. */
typedef struct kv_setop {
    int op;        /* KV_SETOP_* */
    int store;     /* argv[1] is the destination */
    int card;      /* SINTERCARD: reply the cardinality */
    long limit;    /* SINTERCARD LIMIT; 0: none */
    int first, n;  /* source keys: argv[first .. first + n) */
} kv_setop;

/* The coordination for keys on several shards (setops_shards.c). */
int kv_coord_setop(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv);

/* Shared by the two files. */
int kv_setop_parse(kv_ctx *ctx, int argc, const kv_str *argv, kv_setop *q); /* -1: replied */
/* Run q over sets (by argument position, NULL for a missing key; reordered
 * in place). Replies, unless q is a STORE: then it returns the result. */
kv_obj *kv_setop_run(kv_ctx *ctx, const kv_setop *q, kv_obj **sets);
/* Replace dst with result (Redis's setKey: the old value and its TTL go),
 * with `event` ("sinterstore"...), or delete it ("del") when result is
 * empty; replies the size. Takes result. */
void kv_setop_store(kv_ctx *ctx, const kv_str *dst, kv_obj *result, const char *event);
/* The event a STORE of op reports: "sinterstore", "sunionstore" or
 * "sdiffstore"; and back from that name (NULL if it is none of them). */
const char *kv_setop_event(int op);
const char *kv_setop_event_named(const kv_str *name);
/* kv_set_foreach callback replying a member as a bulk; arg is the kv_ctx. */
int kv_setop_reply_fn(void *arg, const kv_lpval *m);

#endif
