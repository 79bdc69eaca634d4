/* maxmemory: the server's limit on the keyspace's memory, shared by the
 * shards (docs/architecture.md, "Memory limit and eviction"). Each shard
 * publishes what its keyspace holds; a shard that finds the sum over the
 * limit evicts from its own keyspace by the policy (store/evict.h), and the
 * home shard refuses deny-oom commands with Redis's -OOM when eviction
 * cannot bring the sum under the limit. */
#ifndef KV_CMD_SERVER_EVICT_H
#define KV_CMD_SERVER_EVICT_H

#include "cmd/core/cmd.h"

#define KV_OOM_ERR "OOM command not allowed when used memory > 'maxmemory'."

/* What every shard publishes (rt/atomic.h), one cache line each. */
typedef struct kv_memslot {
    long long used;      /* bytes of this shard's keyspace (kv_ks_memory) */
    long long evictable; /* keys the policy could evict here */
    char pad[64 - 2 * sizeof(long long)];
} kv_memslot;

/* The server's slots, one per shard: made before the shards start
 * (kv_commands_load), freed after they stop. */
void kv_evict_shared_init(kv_server *srv);
void kv_evict_shared_free(kv_server *srv);

/* Per shard: made at shard start, re-read at every CONFIG SET. */
void kv_evict_init(kv_cmdstate *st);
void kv_evict_free(kv_cmdstate *st);
void kv_evict_apply(kv_cmdstate *st);

/* Redis's performEvictions for this shard: evict from its keyspace until
 * the server's sum is under maxmemory (or the time limit of
 * maxmemory-eviction-tenacity is spent: the rest follows at the next
 * command or tick). KV_EVICT_FAIL: still over and nothing can be evicted
 * anywhere (noeviction, or no candidate on any shard). */
#define KV_EVICT_OK 0
#define KV_EVICT_RUNNING 1
#define KV_EVICT_FAIL 2
int kv_evict_perform(kv_cmdstate *st);

/* before_exec, on the home shard (Redis's processCommand rules): 1 after
 * replying -OOM (or EXEC's -EXECABORT) to a command refused over the
 * limit, else 0. Costs one branch while maxmemory is 0. */
int kv_evict_refuse(kv_ctx *ctx, int argc, const kv_str *argv);
/* After a command ran on this shard (the runtime's `executed`), and at
 * every tick: evict if the sum went over. */
void kv_evict_after_command(kv_ctx *ctx);
void kv_evict_tick(kv_cmdstate *st);
/* OOM now, for a script starting (Redis's script_oom): over the limit
 * after trying to evict. */
int kv_evict_oom(kv_cmdstate *st);

/* INFO: keys evicted here, and (shard 0) the time spent over the limit. */
void kv_evict_info(const kv_cmdstate *st, long long *evicted, long long *exceeded_total_ms,
                   long long *exceeded_current_ms);
/* CONFIG RESETSTAT: the counters above start again. */
void kv_evict_reset_stats(kv_cmdstate *st);

#endif
