/* INFO's shared pieces: the section bits, the fixed counters every shard
 * reports, and the totals the home shard prints (info.c merges the shards'
 * parts, info_fmt.c prints Redis's sections). */
#ifndef KV_CMD_INFO_H
#define KV_CMD_INFO_H

#include "cmd/server/svc.h"

enum {
    SEC_SERVER = 1 << 0, SEC_CLIENTS = 1 << 1, SEC_MEMORY = 1 << 2,
    SEC_PERSISTENCE = 1 << 3, SEC_STATS = 1 << 4, SEC_REPLICATION = 1 << 5,
    SEC_CPU = 1 << 6, SEC_MODULES = 1 << 7, SEC_ERRORSTATS = 1 << 8,
    SEC_CLUSTER = 1 << 9, SEC_KEYSPACE = 1 << 10, SEC_COMMANDSTATS = 1 << 11,
    SEC_LATENCYSTATS = 1 << 12
};
#define SEC_DEFAULT 0x7ff
#define SEC_ALL (SEC_DEFAULT | SEC_COMMANDSTATS | SEC_LATENCYSTATS)

/* The fixed counters of a shard's part, in order. */
enum {
    F_MASK, F_CLIENTS, F_CONNS, F_CMDS, F_NET_IN, F_NET_OUT, F_ERRORS, F_REJECTED,
    F_READS, F_WRITES, F_MAX_IN, F_MAX_OUT, F_FORWARDED, F_EXPIRED, F_HITS, F_MISSES,
    F_TIMECAP, F_STALE_X100, F_MEMORY, F_PEAK, F_DIRTY, F_OPS, F_IN_BPS, F_OUT_BPS,
    F_PAUSED, F_BLOCKED, F_TIMEOUT_TABLE, F_INFLIGHT, F_LOCKS, F_LOCKWAIT, F_OPERATIONS, F_CLOSING,
    F_WAITED_KEYS, F_BLOCK_REGS, F_PS_CHANNELS, F_PS_PATTERNS, F_PS_SHARD,
    F_TRK_CLIENTS, F_TRK_KEYS, F_TRK_ITEMS, F_TRK_PREFIXES,
    F_AOF_ON, F_AOF_SIZE, F_AOF_BASE, F_AOF_BUF, F_AOF_WERR, F_AOF_RW, F_AOF_RW_SCHED,
    F_AOF_RW_ERR, F_AOF_RWS, F_AOF_RW_FAILS, F_AOF_RW_LAST, F_AOF_RW_CUR, F_AOF_BIO,
    F_AOF_DELAYED, F_LUA_VM, F_SCRIPTS, F_SCRIPTS_MEM,
    F_EVICTED, F_EVICT_OVER_TOTAL, F_EVICT_OVER_CUR, F_LAZY_PENDING, F_LAZY_FREED,
    F_CLIENTS_MEM, F_EVICTED_CLIENTS, F_EXPIRE_US, F_KEYS_OVERHEAD, F_COUNT
};

typedef struct kv_infocmd {
    const kv_cmd *cmd;
    long long calls, usec, rejected, failed;
    long long total;   /* latency samples */
    long long *counts; /* KV_HIST_LEN, or NULL */
} kv_infocmd;

/* Every shard's numbers added up. */
typedef struct kv_infototal {
    long long f[F_COUNT]; /* F_MASK is the requested sections */
    long long *db;        /* keys, expires, avg_ttl * expires, per db */
    int ndb;
    kv_infocmd *cmds;     /* sorted by name (kv_cmddesc.rank) */
    size_t ncmds, capcmds;
    kv_errstat errs[KV_ERRSTAT_MAX];
    int nerrs;
} kv_infototal;

void kv_info_format(kv_ctx *ctx, kv_buf *b, const kv_infototal *t);

#endif
