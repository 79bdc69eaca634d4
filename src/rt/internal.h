/* Private structures of the runtime, shared by its files and by nothing else.
 * Ownership rules: a shard's fields are touched only by its own thread, except
 * the ones marked "shared" (rings, parked flag), which go through atomic.h.
 * A connection lives and dies on its home shard; other shards only carry its
 * pointer inside messages and hand it back untouched (the lifetime rule is
 * written at kv_conn_hold below). */
#ifndef KV_RT_INTERNAL_H
#define KV_RT_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <time.h>

#include "kevy/rt.h"
#include "rt/atomic.h"
#include "rt/lock.h"
#include "rt/msg.h"
#include "rt/reactor.h"
#include "rt/ring.h"
#include "rt/timer.h"

#define KV_RING_CAPACITY 1024
/* Most commands one connection may have in flight to one other shard. Their
 * replies arrive whatever the output backlog, so this window, times the
 * largest reply, bounds what a client that stops reading can pin beyond
 * KV_OUTPUT_PAUSE; 32 still batches a pipeline well across a ring. */
#define KV_MAX_INFLIGHT 32
/* Stop parsing a connection's input while this much output is unsent. */
#define KV_OUTPUT_PAUSE (4u * 1024 * 1024)
/* Read size per read(2), and the most one connection may read per loop turn. */
#define KV_READ_CHUNK (16u * 1024)
#define KV_READ_TURN_MAX (1024u * 1024)
/* "busy shard" values besides a shard index. */
#define KV_BUSY_NONE (-1)
#define KV_BUSY_MANY (-2)

#define KV_LOG_DEBUG 0
#define KV_LOG_VERBOSE 1
#define KV_LOG_NOTICE 2
#define KV_LOG_WARNING 3

/* Whatever is registered with the reactor starts with this: the loop hands
 * each event to its source's handler (a connection, the listener, an fd
 * watched by the command set). */
typedef struct kv_io kv_io;
struct kv_io {
    void (*on_event)(kv_shard *sh, kv_io *io, unsigned events);
};

/* An fd the command set watches (kv_shard_watch_fd). Unwatched ones are
 * freed at the end of the turn, as an event for them may still be queued. */
struct kv_fdwatch {
    kv_io io;
    int fd;
    int dead;
    kv_fd_fn fn;
    void *arg;
    kv_fdwatch *next; /* the shard's list of unwatched ones */
};

/* One part of a fanned-out command. */
typedef struct kv_fan_part {
    int shard;
    int nkeys;
    int *keys;   /* key ordinals, into kv_fan.keymem */
    kv_buf reply;
} kv_fan_part;

/* A command split over several shards, gathered on the home shard. */
struct kv_fan {
    kv_fan *prev, *next; /* the home shard's list */
    kv_conn *conn;
    unsigned long long seq;
    kv_req req;        /* the whole command; argv is the fan's own copy */
    int nparts;
    int remaining;
    kv_fan_part *parts;
    int *keymem;
    int drop;
    long long start_us, dur_us;
    kv_txn *txn;       /* spans shards: its locks, held while the parts run */
    kv_coord *parent;  /* nested (inside EXEC): its reply is parent's reply `slot` */
    int slot;
    int waited;        /* counted in the connection's in-flight work */
    int first, last;   /* the command's key range (KV_ROUTE_KEYS) */
};

/* One step's sub-command replies of a coordination. */
typedef struct kv_coord_replies {
    kv_buf *buf;
    int n, cap;
} kv_coord_replies;

/* A command whose keys span shards, driven on the home shard (kv_coord_fn).
 * Lives until its last step, even if the client goes away meanwhile. */
struct kv_coord {
    kv_coord *prev, *next; /* the home shard's list */
    kv_shard *sh;
    kv_conn *conn;
    unsigned long long seq;
    kv_req req;            /* the command; argv into this allocation */
    int step;
    int pending;           /* remote sub-commands not yet answered */
    int waited;            /* counted in the connection's in-flight work */
    int drop;              /* the client asked for no reply */
    long long start_us;
    kv_txn *txn;           /* the locks held while it runs */
    kv_coord *parent;      /* nested (inside EXEC): reply goes to parent's `slot` */
    int slot;
    int running;           /* inside its coord function right now */
    int suspend;           /* kv_coord_suspend called: it ends suspended */
    kv_coord_replies fill; /* this step's sub-commands */
    kv_coord_replies done; /* the previous step's, readable by the command */
    void *data;
    void (*free_data)(void *);
    kv_buf sink;           /* reply target once the client is gone */
    int sub_proto;         /* sub-commands reply in this protocol (0: the client's) */
};

/* How a command maps onto shards, worked out once per command (route.c). */
typedef struct kv_plan {
    int arity_ok;
    int target;        /* the shard that runs it, or KV_BUSY_MANY */
    int nkeys;         /* KV_ROUTE_KEYS: keys first..last */
    int first, last;
    int *owner;        /* KV_ROUTE_KEYS over several shards: each key's shard */
    int ownerbuf[16];
    kv_str *lock;      /* commands with a lockkeys hook: the keys they lock (NULL: -1) */
    int nlock, lock_whole;
    kv_str lockbuf[16];
} kv_plan;

/* A reply that completed out of order, waiting for earlier ones; `after`
 * holds pushes that arrived while it was pending and go right after it. */
typedef struct kv_pending {
    int ready;
    kv_buf buf;
    kv_buf after;
} kv_pending;

#define KV_CONN_CLOSE_AFTER_REPLY 0x01u
#define KV_CONN_CLOSED 0x02u
#define KV_CONN_READABLE 0x04u  /* the socket may have unread bytes */
#define KV_CONN_IN_WLIST 0x08u  /* queued for a write this turn */
#define KV_CONN_IN_RLIST 0x10u  /* queued to resume input this turn */
#define KV_CONN_WAITING 0x20u   /* input paused until in-flight work is back */
#define KV_CONN_FAKE 0x40u      /* no socket: kv_local and kv_sim feed it, take its output */
#define KV_CONN_DEFERRED 0x80u  /* input paused until before_exec allows it */
#define KV_CONN_IN_DLIST 0x100u /* on the shard's deferred list */
#define KV_CONN_AUTH_REQ 0x200u /* parse with the unauthenticated limits */
#define KV_CONN_EXEC 0x400u     /* running a command right now */
#define KV_CONN_KILLED 0x800u   /* close once the running command replied */
#define KV_CONN_NO_TIMEOUT 0x1000u /* exempt from the idle timeout (MONITOR) */
#define KV_CONN_LOCKWAIT 0x2000u   /* its next command waits for a lock */
#define KV_CONN_HIDDEN 0x4000u     /* not listed (kv_local's one client) */
#define KV_CONN_SUSPENDED 0x8000u  /* a command's reply comes later (kv_ctx_suspend) */
#define KV_CONN_SUSPENDING 0x10000u /* the running command just suspended */
#define KV_CONN_SUSPEND_DROP 0x20000u /* ...with CLIENT REPLY OFF or SKIP */
#define KV_CONN_RESUMING 0x40000u  /* a command runs to deliver the suspended reply */
#define KV_CONN_PUBSUB 0x80000u    /* the pubsub output limits apply (a subscriber) */
#define KV_CONN_NO_EVICT 0x100000u /* CLIENT NO-EVICT: client eviction passes it by */

struct kv_conn {
    kv_io io;             /* first: the reactor's udata */
    kv_shard *sh;
    int fd;
    unsigned flags;
    unsigned long long id;
    int proto;
    int db;
    void *data;
    kv_conn *prev, *next; /* the shard's list of every connection */
    kv_conn *wnext;       /* write list */
    kv_conn *rnext;       /* resume list */
    kv_conn *dnext;       /* deferred list */
    int reply_mode;       /* KV_REPLY_* */
    unsigned req_flags;   /* copied into each request it issues (kv_conn_set_req_flags) */
    size_t in_peak, out_peak; /* most of each buffer used since the last tick */
    long long obuf_soft_since_ms; /* over the soft output limit since, or 0 */
    const char *last_cmd;
    kv_buf in;
    size_t in_pos;        /* bytes of `in` already executed */
    kv_parser parser;
    kv_blob bigarg;       /* the current command's big argument, read apart (h NULL: none) */
    kv_buf out;
    size_t out_sent;      /* own bytes of `out` written */
    /* Spans of `out` (big values sent from where they are stored): the next
     * one to write, how much of it is written, span bytes written in all. */
    size_t out_span, out_span_off, out_span_sent;
    unsigned long long sent_total; /* bytes written to the socket, ever */
    /* Reply ordering: seq_next is the next number to hand out, seq_done the
     * oldest not yet in `out`; replies in between wait in pend (a ring). */
    unsigned long long seq_next, seq_done;
    kv_pending *pend;
    size_t pend_cap;
    size_t pend_head;     /* slot of seq_done */
    /* Replies asked about (kv_conn_track_reply): once in `out`, end is the
     * output offset (in sent_total's count) where the reply ends. */
    struct kv_tracked { unsigned long long seq, end; int out; } *tracked;
    int ntracked, tracked_cap;
    unsigned long long exec_seq;      /* the reply slot of the command running inline */
    unsigned long long suspended_seq; /* KV_CONN_SUSPENDED: the reply awaited */
    /* The suspended command, kept for its report when it completes. */
    const kv_cmd *susp_cmd;
    kv_str *susp_argv;    /* one allocation, with the bytes */
    int susp_argc;
    long long susp_start_us, susp_dur_us;
    int inflight;         /* forwarded commands and fan-outs not yet answered */
    int holds;            /* references kept past the current call: see kv_conn_hold */
    int busy;             /* shard the in-flight work runs on, or KV_BUSY_* */
    long long created_ms;
    long long last_ms;
    long long mem, mem_ev; /* its memory as last measured, and the part counted evictable (cevict.c) */
    char peer[64];
    char local[64];
};

typedef struct kv_cmemslot kv_cmemslot;

/* Per destination: messages produced this turn, not yet in the ring. */
typedef struct kv_outbox {
    kv_msg *head, *tail;
} kv_outbox;

struct kv_shard {
    kv_rt *rt;
    int id;
    int n;
    pthread_t thread;
    kv_reactor *reactor;
    int lfd;
    kv_io listener;     /* the listening socket's event source */
    void *state; /* the command set's */
    kv_ring *in_rings;  /* shared: in_rings[src] carries src -> this shard */
    kv_outbox *outbox;  /* outbox[dst] */
    int parked;         /* shared: 1 while sleeping with empty rings */
    int busy;           /* kv_shard_poll_busy: answering others from inside a long command */
    kv_conn *conns;     /* open connections */
    kv_conn *closed;    /* closed, freed once nothing refers to them */
    kv_fan *fans;       /* fan-outs in progress (freed at exit if unfinished) */
    kv_coord *coords;   /* coordinations in progress (likewise) */
    kv_conn *wlist;
    kv_conn *rlist, *rlist_tail;
    kv_conn *dlist;     /* deferred by before_exec */
    kv_conn *internal;  /* the server's own client (kv_shard_run_internal), or NULL */
    int want_executed;  /* call cmds.executed after every exec here */
    kv_fdwatch *unwatched; /* freed at the end of the turn */
    kv_locks locks;     /* transactions' key locks held on this shard */
    unsigned long long txn_seq;
    kv_conn **byid;     /* open-addressed id -> connection map */
    size_t byid_cap, byid_used;
    int inflight_total; /* remote work this shard waits for */
    int after_wanted;   /* the command set asked for after_command */
    long long now_us;   /* wall clock, refreshed every turn */
    long long mono_us;  /* monotonic clock of the timers, refreshed every turn */
    long long start_ms;
    kv_timers timers;
    kv_timer_id tick;   /* the periodic shard_tick */
    long long tick_us;
    int spin_us; /* adaptive spin budget before parking */
    int spin_max_us;
    kv_shard_stats stats;
    kv_limits lim;
    /* Client eviction (cevict.c): what this shard's connections hold, all
     * and evictable ones, as last measured; published in cmem_pub (shared,
     * written by this shard only) for the others' sums. */
    long long cmem, cmem_evictable;
    long long cmem_largest; /* its largest evictable client: exact after a scan, else at least */
    long long cmem_woke_us; /* when it last woke the shard holding the largest */
    kv_cmemslot *cmem_pub;
    kv_msg **batch; /* scratch for ring draining */
};

struct kv_rt {
    kv_rt_config cfg;
    int n;
    int port;
    kv_shard *shards;
    pthread_t main_thread;
    int stop;                           /* shared */
    int signalled;                      /* shared: SIGINT/SIGTERM for cmds.on_signal */
    unsigned long long next_client_id;  /* shared */
    long long nclients;                 /* shared: open connections, all shards */
    long long maxclients;               /* shared */
    int loglevel;
    /* Start barrier: no shard serves before every shard's state exists
     * (a client landing on shard 1 must not see shard 0 half loaded). */
    pthread_mutex_t start_mu;
    pthread_cond_t start_cv;
    int nready; /* under start_mu */
};

/* rt.c: a shard thread waits here once its state is built. */
void kv_rt_barrier(kv_rt *rt);

/* log.c */
void kv_rt_log(const kv_rt *rt, int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* net.c */
int kv_net_listen(const char *bind, int port, int reuseport, int backlog,
                  char *err, size_t errlen);
int kv_net_bound_port(int fd);
int kv_net_accept(int lfd, char *peer, size_t peerlen, char *local, size_t locallen,
                  int keepalive_s);

/* shard.c */
int kv_shard_setup(kv_shard *sh, kv_rt *rt, int id);
void kv_shard_teardown(kv_shard *sh);
void *kv_shard_main(void *arg);
/* The shard's life without its thread (kv_sim drives these): state
 * created, one loop turn after I/O (returns 1 if messages are left for a
 * full ring), everything freed. */
void kv_shard_start(kv_shard *sh);
int kv_shard_turn(kv_shard *sh);
void kv_shard_finish(kv_shard *sh);
/* The periodic work (a timer at `hz`): the command set's shard_tick, CLIENT
 * PAUSE's retry, connections' idle timeout and soft output limit. */
void kv_shard_cron(kv_shard *sh, void *arg);
long long kv_clock_us(void);
/* The monotonic clock in microseconds (timers, command durations). */
static inline long long kv_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}
void kv_shard_send(kv_shard *sh, int dst, kv_msg *m);
void kv_shard_resume_later(kv_shard *sh, kv_conn *c);
void kv_shard_write_later(kv_shard *sh, kv_conn *c);
/* A unit of work ended on this shard (a command outside any transaction,
 * or a transaction's release of this shard's locks): the after_command
 * hook runs if the command set asked for it. */
static inline void kv_shard_unit_done(kv_shard *sh)
{
    /* Not from inside a long command's poll: what it changed so far is
     * not whole yet (a blocked client must not be served from it). */
    if (sh->after_wanted && !sh->busy) {
        sh->after_wanted = 0;
        sh->rt->cfg.cmds.after_command(sh, sh->state);
    }
}
/* A message arriving from another shard. */
void kv_shard_deliver(kv_shard *sh, kv_msg *m);
void kv_shard_deliver_ready(kv_shard *sh, kv_msg *m); /* its locks known free */

/* conn.c */
/* The connection lifetime rule. A kv_conn is used on its home shard only
 * and freed only there, by the reaper at the end of a loop turn, once it is
 * closed AND nothing holds it. Whatever keeps a kv_conn pointer past the
 * current call (a turn list, a lock queue, in-flight work, a waiting
 * command) takes a hold, checks KV_CONN_CLOSED before it acts on the
 * connection again, and drops the hold when it lets go. Other shards never
 * dereference a kv_conn: they name a client by (home shard, id), or carry
 * the pointer back home inside a message whose sender took a hold
 * (kv_inflight_add). Closing frees buffers and unregisters the client at
 * once; the struct outlives every holder. */
static inline void kv_conn_hold(kv_conn *c)
{
    c->holds++;
}
static inline void kv_conn_drop(kv_conn *c)
{
    c->holds--;
}
kv_conn *kv_conn_new(kv_shard *sh, int fd);
void kv_conn_close(kv_conn *c);
void kv_conn_free(kv_conn *c);
int kv_conn_flush(kv_conn *c);
/* Output not yet written, spans included (conn_out.c). */
size_t kv_conn_unsent(const kv_conn *c);
/* Unsent output at which input stops being parsed. */
size_t kv_conn_pause_at(const kv_conn *c);
/* client-output-buffer-limit: -1 if the client was closed for it. */
int kv_conn_check_output(kv_conn *c);
/* Memory its output holds: the buffer, and the big values it refers to and
 * has not written yet (as Redis counts a reply's copy of them). */
size_t kv_conn_out_mem(const kv_conn *c);
void kv_conn_resume(kv_conn *c);
void kv_conn_input(kv_conn *c);
void kv_conn_tick(kv_conn *c);
/* Where the reply for `seq` must be written right now. */
kv_buf *kv_conn_reply_buf(kv_conn *c, unsigned long long seq);
/* The reply for `seq` is complete (written through kv_conn_reply_buf, or in
 * `src`, whose bytes are taken). Moves every completed prefix to `out`. */
void kv_conn_reply_done(kv_conn *c, unsigned long long seq, kv_buf *src);
/* Out-of-band bytes, after the replies of every command already issued. */
void kv_conn_push(kv_conn *c, const char *p, size_t n);
/* The suspended command's reply: deliver it and let input go on. */
void kv_conn_resume_reply(kv_conn *c, unsigned long long seq, const char *p, size_t n);

/* cevict.c: client memory and client eviction (maxmemory-clients). */
int kv_cmem_setup(kv_shard *sh);
void kv_cmem_teardown(kv_shard *sh);
/* Measure c again (its buffers changed); the shard's sums follow. */
void kv_cmem_update(kv_conn *c);
/* c closed: its memory leaves the sums. */
void kv_cmem_forget(kv_conn *c);
/* Measure every connection (each tick, and when the limit is set). */
void kv_cmem_refresh(kv_shard *sh);
/* At the end of a turn: close the largest evictable clients while the
 * server's sum is at or over the limit (Redis's evictClients); how many. */
int kv_cevict_run(kv_shard *sh);
/* The same before a command runs and as a turn begins (Redis evicts in
 * processCommand): nothing but the sum's check while under the limit. */
static inline int kv_cevict_check(kv_shard *sh)
{
    return sh->lim.maxmemory_clients ? kv_cevict_run(sh) : 0;
}
/* The measure where buffers grow: one branch while the limit is off (the
 * tick measures then, for INFO). */
static inline void kv_cmem_touch(kv_conn *c)
{
    if (c->sh->lim.maxmemory_clients)
        kv_cmem_update(c);
}

/* route.c: where a command runs. */
void kv_plan_route_shards(kv_shard *sh, kv_conn *c, int db, const kv_cmd *cmd, int argc,
                          const kv_str *argv, kv_plan *p);
void kv_plan_free(kv_plan *p);
/* Work out cmd's plan for a client (db: the database it runs in); release
 * it with kv_plan_done. The common case (one shard, a connection command,
 * wrong arity) is four stores; the rest is route.c's. */
static inline void kv_plan_route(kv_shard *sh, kv_conn *c, int db, const kv_cmd *cmd, int argc,
                                 const kv_str *argv, kv_plan *p)
{
    p->arity_ok = cmd->arity >= 0 ? argc == cmd->arity : argc >= -cmd->arity;
    p->target = sh->id;
    p->owner = NULL;
    p->lock = NULL;
    if (!p->arity_ok || cmd->route == KV_ROUTE_LOCAL)
        return;
    if (cmd->route == KV_ROUTE_ALL) {
        p->target = sh->n > 1 ? KV_BUSY_MANY : sh->id;
        return;
    }
    if (sh->n > 1)
        kv_plan_route_shards(sh, c, db, cmd, argc, argv, p);
}
static inline void kv_plan_done(kv_plan *p)
{
    if (p->owner || p->lock)
        kv_plan_free(p);
}
/* The argv positions of a command's keys (getkeys or first/last/step):
 * fills pos (at most max), returns the count (may exceed max), -1 if the
 * arguments are malformed. */
int kv_cmd_key_positions(const kv_cmd *cmd, int argc, const kv_str *argv, int *pos, int max);
/* Would running this request here now cut into another transaction's
 * locks? (Only while sh->locks.held.) */
int kv_req_blocked(kv_shard *sh, const kv_req *r);
/* The same test for a client's command about to run here. */
int kv_plan_locked(kv_shard *sh, const kv_plan *p, const kv_cmd *cmd, int argc,
                   const kv_str *argv);

/* dispatch.c: a client's command, and messages arriving. */
/* Execute one parsed command from c; returns 0 if it was taken, or 1 if it
 * must wait for in-flight work first (nothing consumed). */
int kv_dispatch(kv_conn *c, int argc, const kv_str *argv);
/* A context for running req on this shard, its reply into out. */
void kv_ctx_init(kv_ctx *ctx, kv_shard *sh, const kv_req *req, kv_conn *c, kv_buf *out);
/* A request for a client's command. */
void kv_req_for(kv_req *r, kv_conn *c, int db, const kv_cmd *cmd, int argc, const kv_str *argv);
/* Run a request (or part of one) without a connection; returns its
 * execution time in microseconds. */
long long kv_exec_part(kv_shard *sh, const kv_req *req, kv_buf *reply);
/* Send req to another shard; its reply comes back to `done`. */
void kv_send_req(kv_shard *sh, int dst, const kv_req *req, const kv_done *done);
void kv_inflight_add(kv_conn *c, int busy);
void kv_inflight_done(kv_conn *c);
/* A command's reply is complete: deliver it (or drop it, CLIENT REPLY) and
 * report it to after_exec. */
void kv_finish(kv_conn *c, const kv_req *req, unsigned long long seq, int drop,
               long long start_us, long long dur_us, kv_buf *src, size_t from,
               unsigned long errors);
/* Tell the command set a command ran (after_exec); phase KV_PHASE_*. */
#define KV_PHASE_RAN 0
#define KV_PHASE_SUSPENDED 1
#define KV_PHASE_RESUMED 2
void kv_after_exec(kv_conn *c, const kv_req *req, long long start_us, long long dur_us,
                   int rejected, const char *reply, size_t len, int phase);

/* suspend.c: commands whose reply comes later. */
/* The command running for c (reply `seq`) suspended: keep its place, pause
 * the client's input, tell the command set (KV_PHASE_SUSPENDED). */
void kv_conn_suspend(kv_conn *c, const kv_req *req, unsigned long long seq, int drop,
                     long long start_us, long long dur_us);
/* The suspended command's reply is delivered: tell the command set, as the
 * suspended command (KV_PHASE_RESUMED), and forget its copy. */
void kv_report_resumed(kv_conn *c, long long dur_us, const char *reply, size_t len);
void kv_conn_suspend_free(kv_conn *c);

/* coord.c */
void kv_coord_start(kv_conn *c, const kv_cmd *cmd, unsigned long long seq, int drop, int argc,
                    const kv_str *argv, const kv_plan *plan);
void kv_coord_reply_in(kv_shard *sh, kv_msg *m);
void kv_coord_free_all(kv_shard *sh);
/* A nested operation finished; its reply is in `reply`. */
void kv_coord_child_done(kv_coord *parent, int slot, kv_buf *reply);
unsigned long long kv_coord_txn_id(const kv_coord *co);

/* fanout.c */
void kv_fan_out(kv_conn *c, const kv_cmd *cmd, unsigned long long seq, int drop, int argc,
                const kv_str *argv, const kv_plan *plan);
/* Inside a coordination (EXEC): its reply becomes the parent's reply `slot`. */
void kv_fan_nested(kv_coord *parent, int slot, const kv_req *req, const kv_plan *plan);
void kv_fan_reply_in(kv_shard *sh, kv_msg *m);
void kv_fan_free_all(kv_shard *sh);

#endif
