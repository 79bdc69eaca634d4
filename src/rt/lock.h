/* Key-granular locks that make multi-shard operations atomic. A transaction
 * (a fan-out spanning shards, a cross-shard coordination, a whole-keyspace
 * command) locks its keys shard by shard in ascending shard index, all of a
 * shard's keys in one step; a conflicting request waits in that shard's FIFO
 * queue. Every transaction acquiring in the same global order, no wait cycle
 * can form. Commands that are not transactions check the table only while a
 * shard holds some lock: on the hot path that is one branch. */
#ifndef KV_RT_LOCK_H
#define KV_RT_LOCK_H

#include "kevy/rt.h"

struct kv_msg;
struct kv_shard;

typedef struct kv_lockent kv_lockent;
typedef struct kv_waiter kv_waiter;

/* One shard's part of a transaction's lock set. */
typedef struct kv_txn_part {
    int shard;
    int whole;    /* the whole shard (FLUSHALL, SWAPDB, KEYS...) */
    int nkeys;
    kv_str *keys; /* into the transaction's own copy */
} kv_txn_part;

/* A transaction, driven by its home shard. */
typedef struct kv_txn {
    unsigned long long id;
    int nparts;
    int next;     /* parts[next] is the next shard to lock */
    kv_txn_part *parts; /* ascending shard order */
    int held;     /* every lock granted */
    void (*ready)(struct kv_shard *sh, void *owner); /* called once all are held */
    void *owner;
    const kv_cmd *cmd; /* the command it is for (the txn_end hook), may be NULL */
} kv_txn;

/* The shard's side: lock table, holders, waiters. */
typedef struct kv_locks {
    kv_lockent **tab;
    size_t cap, used;
    unsigned long long whole; /* transaction holding the whole shard, 0 if none */
    int held;                 /* locks held here (keys + whole): the fast-path test */
    kv_waiter *head, *tail;   /* FIFO of requests and commands waiting */
} kv_locks;

void kv_locks_free(kv_locks *l);
/* How many requests and commands wait in the queue. */
long long kv_locks_waiters(const kv_locks *l);

/* 1 if running a command on these keys now would cut into a transaction
 * other than `txn` (0: none). Only meaningful while l->held. */
int kv_locks_conflict(const kv_locks *l, unsigned long long txn, const kv_str *keys, int n);

/* Queue a connection (its command waits, buffered) or a forwarded request
 * until the locks in its way are released. */
void kv_locks_wait_conn(struct kv_shard *sh, kv_conn *c);
void kv_locks_wait_msg(struct kv_shard *sh, struct kv_msg *m);

/* Home shard: build a transaction from per-shard key lists (copied), start
 * acquiring; `ready` runs (maybe at once) when every lock is held. */
kv_txn *kv_txn_new(struct kv_shard *sh, int nparts, const kv_txn_part *parts,
                   void (*ready)(struct kv_shard *, void *), void *owner);
void kv_txn_begin(struct kv_shard *sh, kv_txn *t);
/* Release every lock of the transaction (on every shard) and free it. */
void kv_txn_end(struct kv_shard *sh, kv_txn *t);

/* Messages: a lock request arriving at a shard, its grant back home, and a
 * release. */
void kv_locks_on_request(struct kv_shard *sh, struct kv_msg *m);
void kv_txn_on_grant(struct kv_shard *sh, struct kv_msg *m);
void kv_locks_on_release(struct kv_shard *sh, struct kv_msg *m);

#endif
