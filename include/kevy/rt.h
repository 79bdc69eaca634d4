/* kevy runtime: a shared-nothing, thread-per-core RESP server that knows
 * commands only through a command set (kv_cmdset + a table of kv_cmd).
 * Each shard is one thread with its own reactor, listener, connections and
 * keyspace partition; shards talk only through SPSC message rings.
 * Everything here is the C form of kevy_rt's `Commands` trait and `Runtime`. */
#ifndef KEVY_RT_H
#define KEVY_RT_H

#include <stddef.h>
#include <stdint.h>

#include "kevy/resp.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kv_rt kv_rt;       /* the whole server */
typedef struct kv_shard kv_shard; /* one thread, one reactor, one keyspace part */
typedef struct kv_conn kv_conn;   /* one client connection (lives on its home shard) */
typedef struct kv_ctx kv_ctx;     /* one command's execution context */
typedef struct kv_cmd kv_cmd;     /* one command table entry */

/* ------------------------------------------------------------- routing */

#define KV_SLOTS 16384

/* Redis Cluster's key slot: CRC16 of the key, or of its first non-empty
 * {hashtag}, modulo 16384. Equal to CLUSTER KEYSLOT. */
unsigned kv_key_slot(const char *key, size_t n);
/* Contiguous slot ranges per shard: (slot * nshards) >> 14. */
static inline int kv_slot_shard(unsigned slot, int nshards)
{
    return (int)(((unsigned long)slot * (unsigned long)nshards) >> 14);
}

/* How a command maps onto shards. */
typedef enum kv_route {
    KV_ROUTE_LOCAL = 0, /* runs on the client's home shard, with the connection */
    KV_ROUTE_KEY,       /* one key, argv[first_key]: runs on the shard owning it */
    KV_ROUTE_KEYS,      /* keys first..last by step: each owning shard runs the
                           command on its keys; `reduce` combines the replies */
    KV_ROUTE_ALL,       /* every shard runs it; `reduce` combines the replies */
    KV_ROUTE_COORD,     /* several keys that cannot be split (RENAME, SMOVE,
                           SINTERSTORE): all on one shard, `exec` runs there;
                           spread over shards, `coord` runs on the home shard
                           and drives sub-commands (see kv_coord below) */
    KV_ROUTE_CUSTOM     /* `target` picks the shard (SCAN: from its cursor) */
} kv_route;

/* Runtime-visible command flags (the command set may keep more in `meta`). */
#define KV_CMD_WRITE 0x0001u    /* modifies the keyspace */
#define KV_CMD_READONLY 0x0002u /* only reads the keyspace */
#define KV_CMD_NOSCRIPT 0x0004u
#define KV_CMD_FAST 0x0008u
/* The entry stands for a name the command set does not know: it replies the
 * error but does not count as a processed command (Redis's rejectCommand). */
#define KV_CMD_UNKNOWN 0x0010u
/* Whole-keyspace: across shards it runs under shard-wide locks, atomic with
 * respect to everything else (FLUSHALL, FLUSHDB, SWAPDB, KEYS, DBSIZE). */
#define KV_CMD_WHOLE 0x0020u
/* A KV_ROUTE_COORD command with lockkeys whose lock set lies on one other
 * shard runs at home, uncoordinated, unlocked: its exec hands the work to
 * that shard in one message (kv_shard_cast), atomic there, and may suspend
 * for the answer (blocking pops). Inside EXEC its lock set is locked as any
 * command's. */
#define KV_CMD_DELEGATES 0x0040u
/* A KV_ROUTE_COORD command that talks to other shards for reasons of its
 * own (Pub/Sub's directories): with more than one shard its coordination
 * always runs, without key locks. */
#define KV_CMD_COORD_ALWAYS 0x0080u

/* One shard's reply to a fanned-out command, handed to `reduce`. */
typedef struct kv_part {
    const char *reply; /* exactly one complete RESP reply */
    size_t len;
    int shard;
    const int *keys; /* KV_ROUTE_KEYS: ordinals (0 = first key) this shard ran, ascending */
    int nkeys;
} kv_part;

typedef struct kv_coord kv_coord;

typedef void (*kv_exec_fn)(kv_ctx *ctx, int argc, const kv_str *argv);
/* Combine the parts (in ascending shard order) into the client's reply. */
typedef void (*kv_reduce_fn)(kv_ctx *ctx, const kv_part *parts, int nparts);
/* Optional check on the home shard before a command is split or routed:
 * return 0 to go on, or write an error reply and return -1. */
typedef int (*kv_check_fn)(kv_ctx *ctx, int argc, const kv_str *argv);
/* KV_ROUTE_COORD across shards; returns KV_COORD_WAIT or KV_COORD_DONE. */
typedef int (*kv_coord_fn)(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv);
/* KV_ROUTE_CUSTOM: the shard to run on, 0..nshards-1 (out of range: home). */
typedef int (*kv_target_fn)(int nshards, int argc, const kv_str *argv);
/* Key positions of commands the (first, last, step) spec cannot describe
 * (ZUNIONSTORE dest numkeys k..., SORT ... STORE d). Writes at most max
 * argv indexes into pos and returns how many keys there are (which may be
 * more than max), or -1 if the arguments are malformed. */
typedef int (*kv_getkeys_fn)(int argc, const kv_str *argv, int *pos, int max);
/* KV_ROUTE_COORD, optional: the keys to lock, decided at run time from the
 * client's state (EXEC: every key of the queued commands and the watched
 * ones). Writes at most max keys (valid until the command is done) and
 * returns how many there are; *whole = 1 asks for every shard whole. -1:
 * this call has no such lock set, it routes by its key positions as any
 * KV_ROUTE_COORD command (XREAD without BLOCK). */
typedef int (*kv_lockkeys_fn)(kv_ctx *ctx, int argc, const kv_str *argv, kv_str *keys, int max,
                              int *whole);

struct kv_cmd {
    const char *name;  /* full lower-case name: "get", "config|get" */
    int arity;         /* Redis's: n exact, -n at least n (name included) */
    unsigned flags;    /* KV_CMD_* */
    int first_key;     /* Redis's legacy key spec; 0 = no keys */
    int last_key;      /* negative counts from the end: -1 = last argument */
    int key_step;
    kv_route route;
    kv_exec_fn exec;
    kv_reduce_fn reduce; /* KV_ROUTE_KEYS and KV_ROUTE_ALL */
    kv_check_fn check;   /* optional */
    kv_coord_fn coord;   /* KV_ROUTE_COORD */
    kv_target_fn target; /* KV_ROUTE_CUSTOM */
    kv_getkeys_fn getkeys; /* optional: overrides first/last/step */
    kv_lockkeys_fn lockkeys; /* optional, KV_ROUTE_COORD: run-time lock set */
    const void *meta;    /* the command set's own data, opaque to the runtime */
};

/* ------------------------------------------------------ execution context */

/* Big arguments read straight into memory a command may keep as its value
 * (as Redis reads a bulk of 32 KB or more into the object that will hold
 * it), so a SET of 1 MB copies nothing. The command set owns the memory:
 * alloc returns a handle holding one reference, with *data pointing at
 * room for n bytes; ref adds a reference (on a thread holding one), unref
 * drops one on any thread. */
typedef struct kv_blob_ops {
    size_t min; /* arguments at least this long are read into such memory */
    void *(*alloc)(size_t n, char **data);
    void (*ref)(void *h);
    void (*unref)(void *h);
} kv_blob_ops;

/* One such argument and a reference to it: its bytes and its handle. */
typedef struct kv_blob {
    const kv_blob_ops *ops;
    void *h;
    const char *p;
    size_t n;
} kv_blob;

struct kv_ctx {
    kv_reply out;       /* the reply goes here (protocol already set) */
    void *state;        /* the command set's per-shard state */
    kv_shard *shard;    /* the shard running the command */
    kv_conn *conn;      /* the client: set only on its home shard */
    const kv_cmd *cmd;
    int db;             /* the client's selected database */
    int home;           /* the client's home shard */
    unsigned long long client_id; /* the client's id (0: internal work) */
    unsigned client_flags; /* the client's request flags (kv_conn_set_req_flags), on any
                              shard; 0 for internal work */
    int may_suspend;    /* run inline for its client: kv_ctx_suspend works */
    unsigned long long txn; /* a part of a transaction over several shards, or 0 */
    /* The one buffer a reply may refer to stored bytes in without copying
     * them (kv_reply_bulk_ref): the client's own reply, bound for its socket
     * as it is. NULL when the reply is read back (scripts, EXEC's parts,
     * fan-outs) or the client has no socket. */
    const kv_buf *ref_buf;
    /* An argument (argv[i].p == arg_blob->p) in memory the command may keep
     * as a value without copying it (kv_blob_ops); NULL if none. */
    const kv_blob *arg_blob;
};

/* What the runtime tells the command set after each client command, on the
 * client's home shard (SLOWLOG, commandstats, errorstats, MONITOR). */
typedef struct kv_exec_info {
    const kv_cmd *cmd;
    int argc;
    const kv_str *argv;
    long long start_us;    /* wall clock when it started */
    long long duration_us; /* time spent executing (summed over shards) */
    int rejected;          /* refused before running: unknown, arity, before_exec */
    const char *reply;     /* the reply's bytes, to tell errors apart */
    size_t reply_len;
    /* A command that suspended (kv_ctx_suspend, kv_coord_suspend) is
     * reported twice: when it suspends (suspended = 1, no reply yet), and
     * when its reply is finally delivered (resumed = 1: the command and
     * argv are the suspended one's, the duration its execution plus the
     * work that served it, not the time it waited). */
    int suspended;
    int resumed;
} kv_exec_info;

/* before_exec results */
#define KV_EXEC_RUN 0     /* go on */
#define KV_EXEC_REPLIED (-1) /* the hook wrote the reply; the command is done */
#define KV_EXEC_DEFER 1   /* not now: keep it buffered and retry (CLIENT PAUSE) */
#define KV_EXEC_QUEUED 2  /* the hook took it and replied (MULTI): not run, not
                             rejected, not reported to after_exec */

/* Per-shard limits, live-settable (CONFIG SET applies them on each shard). */
typedef struct kv_limits {
    long long proto_max_bulk_len;        /* default 512mb */
    long long client_query_buffer_limit; /* default 1gb */
    long long obuf_hard;                 /* client-output-buffer-limit normal: 0 = none */
    long long obuf_soft;
    long long obuf_soft_seconds;
    long long pubsub_hard;               /* client-output-buffer-limit pubsub */
    long long pubsub_soft;
    long long pubsub_soft_seconds;
    long long idle_timeout_s;            /* timeout: 0 = never */
    int tcp_keepalive_s;                 /* 0 = off */
    /* Client eviction: the most all clients of the server together may
     * hold (kv_conn_memory); at or over it the largest are closed. 0: off. */
    long long maxmemory_clients;
} kv_limits;

/* The command set: kevy_rt's `Commands` trait. Immutable once the runtime
 * starts; every shard calls it concurrently with its own state. */
typedef struct kv_cmdset {
    /* Resolve argv[0] (and a subcommand, for containers) to a table entry.
     * Never NULL: unknown names resolve to an entry whose exec replies the
     * error. Called on the home shard. */
    const kv_cmd *(*lookup)(void *udata, int argc, const kv_str *argv);
    /* Per-shard state (the keyspace), created on the shard's own thread. */
    void *(*shard_init)(kv_shard *sh, void *udata);
    void (*shard_fini)(kv_shard *sh, void *state);
    /* Periodic work (active expiry): `hz` times a second on each shard. */
    void (*shard_tick)(kv_shard *sh, void *state);
    /* Optional: on the home shard, after arity and before routing: one of
     * KV_EXEC_RUN, KV_EXEC_REPLIED (it wrote the reply: authentication,
     * transaction queueing) or KV_EXEC_DEFER (retried later). */
    int (*before_exec)(kv_ctx *ctx, int argc, const kv_str *argv);
    /* Optional: after each client command (see kv_exec_info). */
    void (*after_exec)(kv_shard *sh, void *state, kv_conn *c, const kv_exec_info *info);
    /* Optional: a new connection, before it is served. Write an error reply
     * into `out` and return -1 to refuse it (protected mode, maxclients):
     * the reply is sent and the connection closed. */
    int (*conn_open)(kv_shard *sh, void *state, kv_conn *c, kv_buf *out);
    /* Optional: a connection closed; free what the set hung on it. */
    void (*conn_closed)(kv_shard *sh, void *state, kv_conn *c);
    /* Optional: bytes the set keeps for a connection (its transaction
     * queue, subscriptions...), counted in its memory (kv_conn_memory).
     * Called often while maxmemory_clients is set: keep it O(1). */
    size_t (*conn_mem)(kv_shard *sh, void *state, kv_conn *c);
    /* Optional: after a unit of work on this shard, when the set asked for
     * it with kv_shard_want_after: a command run outside any transaction,
     * or a transaction (EXEC, a command over several shards) releasing this
     * shard's locks. Where blocked clients are served and the AOF framed:
     * once per unit, never between the commands of an EXEC. */
    void (*after_command)(kv_shard *sh, void *state);
    /* Optional: once per loop turn, after its work and before its replies
     * are written (a group commit's fsync goes here). */
    void (*turn_end)(kv_shard *sh, void *state);
    /* Optional: replies are about to leave in the middle of a command
     * (kv_shard_poll_busy answers other clients while one runs long): make
     * durable what turn_end would before them (an AOF's group commit),
     * without closing anything the running command has open. */
    void (*mid_turn_flush)(kv_shard *sh, void *state);
    /* Optional: right after a command, or its part, ran on a shard for a
     * request whose client_flags are non-zero, on that shard, with the argv
     * it ran with; for a coordination, on the home shard as it begins,
     * under its locks (so a message it sends to a key's shard arrives
     * before the unlock). Client-side caching remembers there the keys a
     * client read. Never called for requests without flags. */
    void (*ran)(kv_ctx *ctx, int argc, const kv_str *argv);
    /* Optional: right after a command, or its part, or a coordination's
     * sub-command, ran on a shard, with the argv it ran with; only on
     * shards that asked with kv_shard_want_executed (the AOF logs there
     * what changed). One branch per command otherwise. */
    void (*executed)(kv_ctx *ctx, int argc, const kv_str *argv);
    /* Optional: on the home shard, a transaction over several shards (a
     * split command, a coordination) is whole on every shard it touched and
     * about to release its locks; its reply has not left yet. txn is what
     * its parts saw in kv_ctx.txn; cmd the command (NULL if unknown). */
    void (*txn_end)(kv_shard *sh, void *state, unsigned long long txn, const kv_cmd *cmd);
    /* Optional: SIGINT or SIGTERM arrived; on shard 0, at its next tick.
     * Without it the runtime stops at once; with it the set decides (Redis
     * saves first), and a second signal stops the runtime at once. */
    void (*on_signal)(kv_shard *sh, void *state);
    /* Optional: big arguments read into memory commands can keep. */
    const kv_blob_ops *blobs;
    void *udata;
} kv_cmdset;

/* ------------------------------------------------------------- runtime */

typedef struct kv_rt_config {
    const char *bind;   /* address to listen on, e.g. "127.0.0.1" */
    int port;           /* 0: pick a free port (see kv_rt_port) */
    int nshards;        /* 0: one per online CPU */
    int hz;             /* shard_tick frequency (Redis's hz), default 10 */
    int tcp_backlog;    /* default 511 */
    int pin_threads;    /* 1: pin shard i to CPU i (Linux only) */
    const char *cpulist; /* shards run on these CPUs (Redis's server_cpulist);
                            with pin_threads, shard i on the i-th of them */
    int loglevel;       /* 0 debug, 1 verbose, 2 notice (default), 3 warning */
    long long maxclients; /* 0: no limit */
    kv_limits limits;   /* initial per-shard limits */
    kv_cmdset cmds;
} kv_rt_config;

/* Fill cfg with Redis's defaults (bind 127.0.0.1, port 6379, ...). */
void kv_rt_config_defaults(kv_rt_config *cfg);

/* Create the runtime and bind every shard's listener (so a busy port fails
 * here, synchronously). Returns NULL and fills err on failure. */
kv_rt *kv_rt_new(const kv_rt_config *cfg, char *err, size_t errlen);
/* Run every shard until SIGINT/SIGTERM or kv_rt_stop. Blocks SIGINT, SIGTERM
 * and ignores SIGPIPE in the calling thread. Returns 0 on a clean stop. */
int kv_rt_run(kv_rt *rt);
/* Ask the runtime to stop; safe from any thread. */
void kv_rt_stop(kv_rt *rt);
void kv_rt_free(kv_rt *rt);
int kv_rt_port(const kv_rt *rt);
/* CPU lists in Redis's *_cpulist format ("0,2-3", "0-20:2"): the CPUs in
 * cpus (at most max) and their count, or -1 if malformed. */
int kv_cpulist_parse(const char *list, int *cpus, int max);
/* Run the calling thread on the CPUs of cpulist (nth >= 0: on its nth CPU
 * only, wrapping). NULL or "" leaves it as it is; a malformed list is
 * logged and ignored, as Redis does. 0, or -1. Linux only: a no-op
 * elsewhere, as is naming the thread (what ps and /proc show). */
int kv_thread_set_cpus(const char *cpulist, int nth);
void kv_thread_name(const char *name);
int kv_rt_nshards(const kv_rt *rt);
/* The reactor backend compiled in: "epoll" or "kqueue". */
const char *kv_rt_backend(void);

/* ------------------------------------------------------------- shards */

int kv_shard_id(const kv_shard *sh);
/* The command set's state of this shard (what shard_init returned). */
void *kv_shard_state(kv_shard *sh);
int kv_shard_count(const kv_shard *sh);
kv_rt *kv_shard_rt(kv_shard *sh);
/* Wall clock cached by the shard loop (refreshed every loop turn). */
long long kv_shard_now_ms(const kv_shard *sh);
/* A server log line in Redis's format at level (0 debug .. 3 warning),
 * filtered by the runtime's loglevel; sh may be NULL (always printed). */
void kv_shard_log(const kv_shard *sh, int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
long long kv_shard_now_us(const kv_shard *sh);
/* A monotonic clock in microseconds, for measuring durations. */
long long kv_monotonic_us(void);
/* The shard's unix-time start and the runtime's listening port. */
long long kv_shard_start_ms(const kv_shard *sh);

/* This shard's limits; a command running on every shard (CONFIG SET)
 * changes them everywhere. */
void kv_shard_set_limits(kv_shard *sh, const kv_limits *l);
const kv_limits *kv_shard_limits(const kv_shard *sh);
/* The global client limit and count (all shards). */
void kv_rt_set_maxclients(kv_rt *rt, long long n);
long long kv_rt_clients(const kv_rt *rt);

/* Fire and forget: run cmd->exec with argv on every other shard (no reply,
 * ctx->conn NULL, db as given), after this shard's earlier messages. */
void kv_shard_broadcast(kv_shard *sh, const kv_cmd *cmd, int db, int argc, const kv_str *argv);
/* The same to one shard (this one: at once). A command with keys waits
 * there while a transaction holds one of them (it never runs inside
 * another's atomic step). */
void kv_shard_cast(kv_shard *sh, int dst, const kv_cmd *cmd, int db, int argc,
                   const kv_str *argv);
/* Run a command as the server's own client on this shard (a `save` point
 * starting BGSAVE from a tick): any route, coordinations included, after
 * the commands it was given before; the reply is dropped. The client is
 * hidden (not listed or counted) and kv_conn_is_internal says it is one. */
void kv_shard_run_internal(kv_shard *sh, int argc, const kv_str *argv);
int kv_conn_is_internal(const kv_conn *c);
/* Out-of-band bytes (MONITOR lines, Pub/Sub messages, invalidations) for
 * client `id` whose home is shard `home`, from any shard. They reach the
 * client after the replies of every command it had issued when they
 * arrived home, never inside or before one; pushes from one shard keep
 * their order. Dropped if the client is gone. */
void kv_shard_push(kv_shard *sh, int home, unsigned long long id, const char *p, size_t n);

/* A command that cannot answer yet (a blocking pop): from inside its exec,
 * on the client's home shard, kv_ctx_suspend keeps the reply's place in the
 * client's stream and pauses its input (later commands wait, as behind a
 * blocked client in Redis); fills the ticket and returns 0, or -1 where a
 * command cannot suspend (no client here: a sub-command, inside EXEC).
 * kv_shard_resume, from any shard, delivers the reply in that place and
 * lets the client go on; dropped if the client is gone. */
typedef struct kv_ticket {
    int home;
    unsigned long long client_id;
    unsigned long long seq;
} kv_ticket;
int kv_ctx_suspend(kv_ctx *ctx, kv_ticket *t);
/* The ticket of the command running for its client, without suspending it
 * (to track its reply: kv_conn_track_reply); 0, or -1 as kv_ctx_suspend. */
int kv_ctx_ticket(const kv_ctx *ctx, kv_ticket *t);
void kv_shard_resume(kv_shard *sh, const kv_ticket *t, const char *reply, size_t n);
/* On the client's home shard only: continue the suspended command by
 * running `cmd` for its client now, as if the client had sent it in the
 * suspended command's place: inline when every key it locks (lockkeys, or
 * its key positions) is here, else coordinated under the keys' locks. Its
 * reply becomes the suspended reply, or it suspends again. Returns 0, or -1
 * (nothing run) if the client is gone or not suspended on this ticket. */
int kv_shard_resume_cmd(kv_shard *sh, const kv_ticket *t, const kv_cmd *cmd, int argc,
                        const kv_str *argv);
/* Is the client (of this shard) still suspended on this ticket? */
int kv_shard_suspended(kv_shard *sh, const kv_ticket *t);

/* From inside a command that runs long (a busy script), on its shard:
 * accept and read the other clients now, so that before_exec can answer
 * them (-BUSY) or let through what may run meanwhile (SCRIPT KILL). The
 * running client, messages from other shards and timers wait. */
void kv_shard_poll_busy(kv_shard *sh);

/* Turn the executed hook on or off for this shard. */
void kv_shard_want_executed(kv_shard *sh, int on);
/* Ask for the after_command hook at the end of the current unit of work. */
void kv_shard_want_after(kv_shard *sh);
/* Is this key locked by a transaction on this shard right now? (An
 * after_command hook leaves such keys for the hook after their release.) */
int kv_shard_key_locked(const kv_shard *sh, const char *key, size_t n);

/* Timers: fn runs on this shard's thread `delay_ms` from now, then every
 * `period_ms` if it is > 0, until cancelled. Millisecond resolution,
 * O(log n) add and cancel. */
typedef unsigned long long kv_timer_id; /* 0 is never a timer */
typedef void (*kv_timer_fn)(kv_shard *sh, void *arg);
kv_timer_id kv_timer_add(kv_shard *sh, long long delay_ms, long long period_ms, kv_timer_fn fn,
                         void *arg);
/* 1 if the timer was pending and will not run; 0 if it already ran (a
 * one-shot), was cancelled, or never existed. */
int kv_timer_cancel(kv_shard *sh, kv_timer_id id);

/* File descriptors with a handler, on this shard's reactor: an eventfd or a
 * pipe from a helper thread, a socket of the set's own. Edge-triggered: the
 * handler must read (or write) until EAGAIN. Regular files are not
 * pollable; write them from a helper thread that signals an eventfd. */
#define KV_FD_READ 1u
#define KV_FD_WRITE 2u
#define KV_FD_ERROR 4u
typedef struct kv_fdwatch kv_fdwatch;
typedef void (*kv_fd_fn)(kv_shard *sh, int fd, unsigned events, void *arg);
/* NULL if the reactor refuses the fd. */
kv_fdwatch *kv_shard_watch_fd(kv_shard *sh, int fd, unsigned events, kv_fd_fn fn, void *arg);
/* Stop watching (the fd stays open: closing it is the caller's). */
void kv_shard_unwatch_fd(kv_shard *sh, kv_fdwatch *w);
/* Commands deferred by before_exec are retried at every tick; this retries
 * them now (after CLIENT UNPAUSE). */
void kv_shard_retry_deferred(kv_shard *sh);
void kv_shard_foreach_conn(kv_shard *sh, void (*fn)(void *arg, kv_conn *c), void *arg);
/* This shard's client by id, or NULL. */
kv_conn *kv_shard_find_conn(kv_shard *sh, unsigned long long id);

/* Counters a shard keeps on its own connections (summed for INFO). */
typedef struct kv_shard_stats {
    long long connected_clients;
    long long total_connections_received;
    long long total_commands_processed;
    long long total_net_input_bytes;
    long long total_net_output_bytes;
    long long total_error_replies;
    long long rejected_connections;
    long long total_reads_processed;
    long long total_writes_processed;
    long long forwarded_commands; /* commands this shard sent to another shard */
    long long max_input_buffer;   /* largest query buffer seen since the last tick */
    long long max_output_buffer;
    long long clients_memory;     /* its clients' kv_conn_memory, as last measured */
    long long evicted_clients;    /* closed by client eviction (maxmemory_clients) */
} kv_shard_stats;

const kv_shard_stats *kv_shard_stats_get(const kv_shard *sh);

/* What a shard holds right now. All zero on an idle server: the chaos test
 * checks that clients vanishing mid-work leave nothing behind. */
typedef struct kv_shard_gauges {
    long long inflight;        /* work sent to other shards, reply not back yet */
    long long locks_held;      /* key and whole-shard locks held here */
    long long lock_waiters;    /* lock requests and commands queued behind them */
    long long operations;      /* fan-outs and coordinations waiting on shards */
    long long closing_clients; /* closed connections something still holds */
} kv_shard_gauges;

void kv_shard_gauges_get(const kv_shard *sh, kv_shard_gauges *g);

/* ---------------------------------------------------------- connections */

/* Valid only on the connection's home shard (kv_ctx.conn != NULL). */
unsigned long long kv_conn_id(const kv_conn *c);
int kv_conn_proto(const kv_conn *c);
void kv_conn_set_proto(kv_conn *c, int proto);
int kv_conn_db(const kv_conn *c);
void kv_conn_set_db(kv_conn *c, int db);
/* Send what is already queued, then close (QUIT, protocol errors). */
void kv_conn_close_after_reply(kv_conn *c);
/* Stop the whole server after this command's reply is sent (SHUTDOWN). */
void kv_conn_shutdown_server(kv_conn *c);
/* Close the connection: at once, or, if it is running a command, after
 * that command's reply (CLIENT KILL of oneself). */
void kv_conn_kill(kv_conn *c);
/* While set, the parser applies Redis's limits for unauthenticated clients. */
void kv_conn_set_auth_required(kv_conn *c, int required);
/* Bits the command set attaches to every request this connection issues
 * from now on (ctx->client_flags wherever it runs, its sub-requests and
 * parts included); opaque to the runtime, except that non-zero asks for the
 * `ran` hook. Set from before_exec, they apply to that command already. */
void kv_conn_set_req_flags(kv_conn *c, unsigned flags);
/* kv_shard_push for a client of this shard already at hand. */
void kv_conn_push(kv_conn *c, const char *p, size_t n);
/* A subscriber: the pubsub class of client-output-buffer-limit applies. */
void kv_conn_set_pubsub(kv_conn *c, int on);
/* Exempt from the idle `timeout` (MONITOR and Pub/Sub clients, as in Redis). */
void kv_conn_set_no_timeout(kv_conn *c, int exempt);
/* Exempt from client eviction (CLIENT NO-EVICT). */
void kv_conn_set_no_evict(kv_conn *c, int exempt);
/* The memory a connection holds (CLIENT LIST's tot-mem; what client
 * eviction weighs): buffers, pending replies and the set's conn_mem. */
size_t kv_conn_memory(kv_conn *c);
/* CLIENT REPLY: replies of later commands are sent (ON), dropped (OFF), or
 * the next one is dropped (SKIP). */
#define KV_REPLY_ON 0
#define KV_REPLY_OFF 1
#define KV_REPLY_SKIP 2
void kv_conn_set_reply_mode(kv_conn *c, int mode);

/* What CLIENT LIST and CLIENT INFO show of a connection. */
typedef struct kv_conn_info {
    unsigned long long id;
    int fd;
    const char *peer, *local;
    long long created_ms, last_ms;
    int db, proto;
    size_t qbuf, qbuf_free; /* pending request bytes, spare buffer */
    size_t obuf, obuf_cap;  /* unsent reply bytes, buffer size */
    int pending_replies;    /* replies waiting for earlier ones */
    int writing;            /* waiting for the socket to accept output */
    const char *last_cmd;   /* full name of the last command, "NULL" if none */
} kv_conn_info;
void kv_conn_get_info(const kv_conn *c, kv_conn_info *out);

/* Has the reply of command seq (a ticket's) left for the socket? For a
 * reply whose loss must be undone (a served blocked client): track it
 * before it is delivered, ask later, in conn_closed at the latest. A reply
 * answered "sent" is forgotten; so is every one when the connection is
 * freed. Answers 1 for a reply that is not tracked. */
void kv_conn_track_reply(kv_conn *c, unsigned long long seq);
int kv_conn_reply_sent(kv_conn *c, unsigned long long seq);

/* The command set's per-connection data, freed through conn_closed. */
void *kv_conn_data(const kv_conn *c);
void kv_conn_set_data(kv_conn *c, void *data);
/* "ip:port" of the peer and of the local end. */
const char *kv_conn_peer(const kv_conn *c);
const char *kv_conn_local(const kv_conn *c);

/* ------------------------------------------------------- coordination */

/* A command whose keys span shards runs `coord` on the home shard as a small
 * state machine. Each call (step 0, 1, ...) may send sub-commands to shards
 * with kv_coord_send and return KV_COORD_WAIT: the next step runs once every
 * one of them has replied, with their replies readable in send order. The
 * last step writes the client's reply to ctx->out and returns
 * KV_COORD_DONE. argv is a copy that lives until then. Sub-commands run with
 * their cmd's exec, without a connection (ctx->conn == NULL), on their shard;
 * one sent to the home shard runs at once. A coordination always runs to its
 * end, even if the client disconnects, so its writes are never half done. */
#define KV_COORD_WAIT 0
#define KV_COORD_DONE 1
/* The command suspended itself (kv_coord_suspend): it ends without a reply,
 * its locks are released, and the client waits for kv_shard_resume or
 * kv_shard_resume_cmd. */
#define KV_COORD_SUSPENDED 2

int kv_coord_step(const kv_coord *co);
void kv_coord_send(kv_coord *co, int shard, int db, const kv_cmd *cmd, int argc,
                   const kv_str *argv);
/* Run a whole client command (any route) as one sub-command of this
 * coordination, under its locks: it goes to its shard, or fans out and is
 * reduced, or runs its own coordination steps; its reply is one reply of
 * the next step, like kv_coord_send's. KV_ROUTE_LOCAL commands run here,
 * with the client. (EXEC sends its queued commands this way, one per step,
 * so each sees the effects of the ones before.) */
void kv_coord_send_cmd(kv_coord *co, int db, const kv_cmd *cmd, int argc, const kv_str *argv);
/* From a coordination step: end it without a reply and leave the client
 * suspended (return KV_COORD_SUSPENDED next). 0, or -1 where the command
 * cannot suspend (nested in EXEC, the client gone): then it must reply. */
int kv_coord_suspend(kv_coord *co, kv_ticket *t);
/* The command's ticket without suspending it (kv_ctx_ticket); 0 or -1. */
int kv_coord_ticket(const kv_coord *co, kv_ticket *t);
/* Does it run for another coordination (EXEC's queue), not for a client? */
int kv_coord_nested(const kv_coord *co);
int kv_coord_nreplies(const kv_coord *co);
/* Later sub-commands reply in RESP `proto` (2 or 3; 0: the client's), as a
 * script's calls do after redis.setresp. */
void kv_coord_set_sub_proto(kv_coord *co, int proto);
/* Reply i (one complete RESP reply) of the previous step's sub-commands. */
kv_str kv_coord_reply(const kv_coord *co, int i);
/* The command's own state across steps, freed with free_fn at the end. */
void *kv_coord_data(const kv_coord *co);
void kv_coord_set_data(kv_coord *co, void *data, void (*free_fn)(void *));
/* The shard owning a key, for this shard's runtime. */
int kv_shard_of_key(const kv_shard *sh, const char *key, size_t n);
/* The argv positions of a command's keys (its getkeys, or first/last/step):
 * fills pos (at most max) and returns the count, which may exceed max; -1
 * if the arguments are malformed. */
int kv_command_keys(const kv_cmd *cmd, int argc, const kv_str *argv, int *pos, int max);

/* --------------------------------------------------------- reduce helpers */

/* First error part if any, else the first part unchanged (FLUSHALL, MSET). */
void kv_reduce_first(kv_ctx *ctx, const kv_part *parts, int nparts);
/* Sum of integer replies (DEL, EXISTS, DBSIZE). */
void kv_reduce_sum(kv_ctx *ctx, const kv_part *parts, int nparts);
/* Array replies whose elements follow each part's keys: reassemble them in
 * the order of the command's keys (MGET). */
void kv_reduce_keyorder(kv_ctx *ctx, const kv_part *parts, int nparts);
/* Concatenate array replies (KEYS). */
void kv_reduce_concat(kv_ctx *ctx, const kv_part *parts, int nparts);

/* ------------------------------------------------ in-process execution */

/* A single shard with no thread and no sockets, for tests and fuzzing: runs
 * commands through the same lookup/route/exec path as a live shard. */
typedef struct kv_local kv_local;
kv_local *kv_local_new(const kv_cmdset *cmds);
/* Run one command as a client of protocol `proto`; append its reply to out. */
void kv_local_exec(kv_local *l, int argc, const kv_str *argv, kv_buf *out);
void kv_local_free(kv_local *l);
/* The command set's state of its shard (what shard_init returned). */
void *kv_local_state(kv_local *l);

/* Several shards in one thread, for tests and fuzzing of the cross-shard
 * paths: clients without sockets, and each shard's loop turn run only when
 * asked, so the caller picks the interleaving. Clients are named by id. */
typedef struct kv_sim kv_sim;
kv_sim *kv_sim_new(const kv_cmdset *cmds, int nshards);
void kv_sim_free(kv_sim *s);
/* A new client homed on `shard`; its id, 0 if the command set refused it. */
unsigned long long kv_sim_connect(kv_sim *s, int shard);
/* Bytes from the client, processed at once; -1 if it is gone. */
int kv_sim_send(kv_sim *s, unsigned long long id, const char *p, size_t n);
/* Append what the server sent the client since the last call to out; -1 if
 * the client is gone (killed, or closed after its last reply). */
int kv_sim_recv(kv_sim *s, unsigned long long id, kv_buf *out);
/* The client disconnects (as if the server saw its socket close). */
void kv_sim_close(kv_sim *s, unsigned long long id);
/* One loop turn of a shard: messages from the others, resumed clients,
 * publishing what it produced. Returns 1 if a ring was full. */
int kv_sim_turn(kv_sim *s, int shard);
/* One turn of every shard with its periodic work due (time passes). */
void kv_sim_tick(kv_sim *s);
/* Turns on every shard until nothing is in flight or queued to move (at
 * most max_rounds rounds): 0 once quiet, -1 if still busy. */
int kv_sim_settle(kv_sim *s, int max_rounds);
/* Every shard's gauges added up. */
void kv_sim_gauges(kv_sim *s, kv_shard_gauges *total);

#ifdef __cplusplus
}
#endif
#endif
