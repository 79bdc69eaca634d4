/* Transactions: MULTI queues a client's commands, EXEC runs them as one
 * atomic step, WATCH makes EXEC conditional. The queue and the watched keys
 * live in the client's session; EXEC's lock set is every key of the queue
 * plus the watched ones, so on several shards it runs under the atomic
 * multi-shard protocol, and with every key at home it just runs. */
#ifndef KV_CMD_MULTI_H
#define KV_CMD_MULTI_H

#include "cmd/core/cmd.h"

/* before_exec: inside MULTI, queue the command and reply QUEUED
 * (KV_EXEC_QUEUED); an unknown command flags the transaction and runs
 * (its error is the reply). */
int kv_multi_before_exec(kv_ctx *ctx, int argc, const kv_str *argv);
/* after_exec: a command rejected inside MULTI (wrong arity, NOAUTH) makes
 * EXEC abort with EXECABORT. */
void kv_multi_after_exec(kv_conn *c, const kv_exec_info *info);
/* Is EXEC running c's queue inline right now (Redis's server.in_exec)? A
 * queue run across shards is a coordination: see kv_coord_nested. */
int kv_multi_running(kv_conn *c);
/* For maxmemory's refusals (server/evict.c): c is between MULTI and EXEC;
 * cmd is EXEC; the OR of Redis's flags of c's queued commands; EXEC
 * refused: the transaction is discarded and the reply is "EXECABORT
 * Transaction discarded because of: <err>". */
int kv_multi_active(kv_conn *c);
int kv_multi_is_exec(const kv_cmd *cmd);
unsigned long kv_multi_queue_rflags(kv_conn *c);
void kv_multi_abort(kv_ctx *ctx, const char *err);
/* CLIENT LIST's multi= (queued commands, -1 outside MULTI) and multi-mem=
 * (their argument bytes), and the bytes c's transaction state holds
 * (client eviction weighs them). O(1). */
void kv_multi_info(kv_conn *c, int *queued, size_t *qbytes, size_t *mem);
/* Forget the transaction and the watches (DISCARD, RESET, connection
 * closed); watches on other shards are released by message. */
void kv_multi_reset(kv_shard *sh, void *state, kv_conn *c);
/* The same, and free the client's MULTI state (the connection closed). */
void kv_multi_forget(kv_shard *sh, void *state, kv_conn *c);

#endif
