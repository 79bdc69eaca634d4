/* The lock manager (see lock.h). Per shard: a small hash table of locked
 * key names with their owning transaction, the transaction holding the whole
 * shard if any, and one FIFO of waiters: lock requests, connections whose
 * next command touches a locked key, and forwarded requests likewise. On each
 * release the FIFO is scanned in order; a lock request is granted only if no
 * earlier waiting request wants any of its keys, so requests never overtake
 * one another, and plain commands run as soon as their keys are free (they
 * hold nothing, so they cannot starve a request). Keys are locked by name,
 * whatever the database: coarser than needed, never wrong. */
#include "rt/internal.h"

#include <stdlib.h>
#include <string.h>

struct kv_lockent {
    kv_lockent *next; /* bucket chain */
    unsigned long long owner;
    unsigned hash;
    size_t n;
    char key[];
};

enum { W_LOCK, W_CONN, W_MSG };

#define KV_ALIGN8(n) (((n) + 7) & ~(size_t)7)

struct kv_waiter {
    kv_waiter *next;
    int kind;
    unsigned long long txn; /* W_LOCK */
    int whole;
    int nkeys;
    const kv_str *keys;     /* W_LOCK: in the request message or the txn */
    kv_txn *local;          /* W_LOCK for the home shard's own transaction */
    kv_msg *msg;            /* W_LOCK from another shard, or W_MSG */
    kv_conn *conn;          /* W_CONN */
};

static unsigned kv_key_hash(const char *p, size_t n)
{
    unsigned h = 2166136261u;
    size_t i;
    for (i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

static kv_lockent *kv_lock_find(const kv_locks *l, const char *p, size_t n, unsigned h)
{
    kv_lockent *e;
    if (!l->cap)
        return NULL;
    for (e = l->tab[h & (l->cap - 1)]; e; e = e->next)
        if (e->hash == h && e->n == n && memcmp(e->key, p, n) == 0)
            return e;
    return NULL;
}

int kv_locks_conflict(const kv_locks *l, unsigned long long txn, const kv_str *keys, int n)
{
    int i;
    if (l->whole && l->whole != txn)
        return 1;
    for (i = 0; i < n; i++) {
        kv_lockent *e = kv_lock_find(l, keys[i].p, keys[i].n, kv_key_hash(keys[i].p, keys[i].n));
        if (e && e->owner != txn)
            return 1;
    }
    return 0;
}

/* Would a whole-shard request conflict with what is held? */
static int kv_locks_busy(const kv_locks *l, unsigned long long txn)
{
    size_t i;
    kv_lockent *e;
    if (l->whole && l->whole != txn)
        return 1;
    for (i = 0; i < l->cap; i++)
        for (e = l->tab[i]; e; e = e->next)
            if (e->owner != txn)
                return 1;
    return 0;
}

static int kv_keysets_meet(const kv_str *a, int na, int wa, const kv_str *b, int nb, int wb)
{
    int i, j;
    if (wa || wb)
        return 1;
    for (i = 0; i < na; i++)
        for (j = 0; j < nb; j++)
            if (a[i].n == b[j].n && memcmp(a[i].p, b[j].p, a[i].n) == 0)
                return 1;
    return 0;
}

/* Could this request be granted now, given holders and the lock requests
 * queued before it (up to `stop`, exclusive)? */
static int kv_grantable(const kv_locks *l, unsigned long long txn, const kv_str *keys, int n,
                        int whole, const kv_waiter *stop)
{
    const kv_waiter *w;
    if (whole ? kv_locks_busy(l, txn) : kv_locks_conflict(l, txn, keys, n))
        return 0;
    for (w = l->head; w && w != stop; w = w->next)
        if (w->kind == W_LOCK && kv_keysets_meet(w->keys, w->nkeys, w->whole, keys, n, whole))
            return 0;
    return 1;
}

static void kv_lock_grow(kv_locks *l)
{
    size_t cap = l->cap ? l->cap * 2 : 16, i;
    kv_lockent **t = calloc(cap, sizeof *t);
    if (!t)
        abort();
    for (i = 0; i < l->cap; i++) {
        kv_lockent *e = l->tab[i], *next;
        for (; e; e = next) {
            next = e->next;
            e->next = t[e->hash & (cap - 1)];
            t[e->hash & (cap - 1)] = e;
        }
    }
    free(l->tab);
    l->tab = t;
    l->cap = cap;
}

static void kv_grant(kv_locks *l, unsigned long long txn, const kv_str *keys, int n, int whole)
{
    int i;
    if (whole) {
        l->whole = txn;
        l->held++;
    }
    for (i = 0; i < n; i++) {
        unsigned h = kv_key_hash(keys[i].p, keys[i].n);
        kv_lockent *e;
        if (kv_lock_find(l, keys[i].p, keys[i].n, h))
            continue; /* a key named twice */
        if ((l->used + 1) * 2 > l->cap)
            kv_lock_grow(l);
        e = malloc(sizeof *e + keys[i].n);
        if (!e)
            abort();
        e->owner = txn;
        e->hash = h;
        e->n = keys[i].n;
        memcpy(e->key, keys[i].p, keys[i].n);
        e->next = l->tab[h & (l->cap - 1)];
        l->tab[h & (l->cap - 1)] = e;
        l->used++;
        l->held++;
    }
}

/* Drop every lock `txn` holds here. */
static void kv_release(kv_locks *l, unsigned long long txn)
{
    size_t i;
    if (l->whole == txn) {
        l->whole = 0;
        l->held--;
    }
    for (i = 0; i < l->cap; i++) {
        kv_lockent **pp = &l->tab[i], *e;
        while ((e = *pp) != NULL) {
            if (e->owner == txn) {
                *pp = e->next;
                free(e);
                l->used--;
                l->held--;
            } else {
                pp = &e->next;
            }
        }
    }
}

static void kv_wait_push(kv_locks *l, kv_waiter *w)
{
    w->next = NULL;
    if (l->tail)
        l->tail->next = w;
    else
        l->head = w;
    l->tail = w;
}

static kv_waiter *kv_waiter_new(int kind)
{
    kv_waiter *w = calloc(1, sizeof *w);
    if (!w)
        abort();
    w->kind = kind;
    return w;
}

void kv_locks_wait_conn(kv_shard *sh, kv_conn *c)
{
    kv_waiter *w = kv_waiter_new(W_CONN);
    w->conn = c;
    kv_conn_hold(c);
    c->flags |= KV_CONN_LOCKWAIT;
    kv_wait_push(&sh->locks, w);
}

void kv_locks_wait_msg(kv_shard *sh, kv_msg *m)
{
    kv_waiter *w = kv_waiter_new(W_MSG);
    w->msg = m;
    kv_wait_push(&sh->locks, w);
}

static void kv_txn_next(kv_shard *sh, kv_txn *t);

/* After a release: grant what can be granted, in FIFO order, and let
 * waiting commands run. Work is collected first and done after the scan,
 * since granting may start new requests. */
static void kv_locks_wakeup(kv_shard *sh)
{
    kv_locks *l = &sh->locks;
    kv_waiter *w = l->head, *prev = NULL, *next, *done = NULL, **done_tail = &done;
    kv_waiter *ins = NULL; /* the last message put back in front, in order */
    for (; w; w = next) {
        int go = 0;
        next = w->next;
        if (w->kind == W_LOCK) {
            go = kv_grantable(l, w->txn, w->keys, w->nkeys, w->whole, w);
            if (go)
                kv_grant(l, w->txn, w->keys, w->nkeys, w->whole);
        } else if (w->kind == W_CONN) {
            go = 1; /* it re-checks its command when it runs */
        } else {
            go = !kv_req_blocked(sh, &w->msg->as.exec.req);
        }
        if (!go) {
            prev = w;
            continue;
        }
        if (prev)
            prev->next = next;
        else
            l->head = next;
        if (l->tail == w)
            l->tail = prev;
        w->next = NULL;
        *done_tail = w;
        done_tail = &w->next;
    }
    for (w = done; w; w = next) {
        next = w->next;
        if (w->kind == W_MSG) {
            /* A lock granted later in the scan may be in its way now: then
             * it goes back in front, in order (at the tail it would let a
             * later message from its shard overtake it). */
            if (kv_req_blocked(sh, &w->msg->as.exec.req)) {
                if (ins) {
                    w->next = ins->next;
                    ins->next = w;
                } else {
                    w->next = l->head;
                    l->head = w;
                }
                if (!w->next)
                    l->tail = w;
                ins = w;
                continue;
            }
            kv_shard_deliver_ready(sh, w->msg);
            free(w);
            continue;
        }
        if (w->kind == W_LOCK && w->local) {
            w->local->next++;
            kv_txn_next(sh, w->local);
        } else if (w->kind == W_LOCK) {
            w->msg->kind = KV_MSG_GRANT;
            kv_shard_send(sh, w->msg->from, w->msg);
        } else if (w->kind == W_CONN) {
            w->conn->flags &= ~KV_CONN_LOCKWAIT;
            kv_shard_resume_later(sh, w->conn); /* ignores a closed one */
            kv_conn_drop(w->conn);
        }
        free(w);
    }
}

long long kv_locks_waiters(const kv_locks *l)
{
    const kv_waiter *w;
    long long n = 0;
    for (w = l->head; w; w = w->next)
        n++;
    return n;
}

void kv_locks_free(kv_locks *l)
{
    size_t i;
    kv_waiter *w, *next;
    for (i = 0; i < l->cap; i++) {
        kv_lockent *e = l->tab[i], *n;
        for (; e; e = n) {
            n = e->next;
            free(e);
        }
    }
    free(l->tab);
    for (w = l->head; w; w = next) {
        next = w->next;
        if (w->msg)
            kv_msg_free(w->msg);
        free(w);
    }
    memset(l, 0, sizeof *l);
}

/* ------------------------------------------------------- transactions */

kv_txn *kv_txn_new(kv_shard *sh, int nparts, const kv_txn_part *parts,
                   void (*ready)(kv_shard *, void *), void *owner)
{
    size_t bytes = (size_t)nparts * sizeof(kv_txn_part);
    kv_txn *t;
    char *p;
    int i, k;
    for (i = 0; i < nparts; i++)
        bytes += KV_ALIGN8(kv_argv_bytes(parts[i].nkeys, parts[i].keys));
    t = calloc(1, sizeof *t + bytes);
    if (!t)
        abort();
    t->id = ((unsigned long long)(sh->id + 1) << 48) | ++sh->txn_seq;
    t->nparts = nparts;
    t->parts = (kv_txn_part *)(t + 1);
    t->ready = ready;
    t->owner = owner;
    p = (char *)(t->parts + nparts);
    for (i = 0; i < nparts; i++) {
        t->parts[i] = parts[i];
        t->parts[i].keys = kv_argv_copy_into(p, parts[i].nkeys, parts[i].keys);
        /* Each part's key array must start aligned for kv_str. */
        p += KV_ALIGN8(kv_argv_bytes(parts[i].nkeys, parts[i].keys));
        for (k = 0; k < i; k++) /* ascending shard order is the protocol */
            if (t->parts[k].shard > t->parts[i].shard)
                abort();
    }
    return t;
}

/* Lock the next shard, or finish: parts in ascending shard order. */
static void kv_txn_next(kv_shard *sh, kv_txn *t)
{
    while (t->next < t->nparts) {
        kv_txn_part *part = &t->parts[t->next];
        kv_msg *m;
        if (part->shard == sh->id) {
            if (!kv_grantable(&sh->locks, t->id, part->keys, part->nkeys, part->whole, NULL)) {
                kv_waiter *w = kv_waiter_new(W_LOCK);
                w->txn = t->id;
                w->whole = part->whole;
                w->nkeys = part->nkeys;
                w->keys = part->keys;
                w->local = t;
                kv_wait_push(&sh->locks, w);
                return;
            }
            kv_grant(&sh->locks, t->id, part->keys, part->nkeys, part->whole);
            t->next++;
            continue;
        }
        m = kv_msg_lock_new(KV_MSG_LOCK, sh->id, t->id, t, part->whole, part->nkeys, part->keys);
        kv_shard_send(sh, part->shard, m);
        return;
    }
    t->held = 1;
    t->ready(sh, t->owner);
}

void kv_txn_begin(kv_shard *sh, kv_txn *t)
{
    t->next = 0;
    kv_txn_next(sh, t);
}

void kv_txn_on_grant(kv_shard *sh, kv_msg *m)
{
    kv_txn *t = m->as.lock.t;
    kv_msg_free(m);
    t->next++;
    kv_txn_next(sh, t);
}

void kv_txn_end(kv_shard *sh, kv_txn *t)
{
    int i;
    /* Its effects are whole on every shard: the command set may record so
     * (the AOF's commit) before the reply and the unlocks leave. */
    if (sh->rt->cfg.cmds.txn_end)
        sh->rt->cfg.cmds.txn_end(sh, sh->state, t->id, t->cmd);
    for (i = 0; i < t->nparts; i++) {
        kv_msg *m;
        if (t->parts[i].shard == sh->id) {
            kv_release(&sh->locks, t->id);
            kv_shard_unit_done(sh); /* the transaction is whole here */
            kv_locks_wakeup(sh);
            continue;
        }
        m = kv_msg_lock_new(KV_MSG_UNLOCK, sh->id, t->id, NULL, 0, 0, NULL);
        kv_shard_send(sh, t->parts[i].shard, m);
    }
    free(t);
}

/* --------------------------------------------------------- messages */

void kv_locks_on_request(kv_shard *sh, kv_msg *m)
{
    kv_waiter *w;
    kv_msg_lock *l = &m->as.lock;
    if (kv_grantable(&sh->locks, l->txn, l->keys, l->nkeys, l->whole, NULL)) {
        kv_grant(&sh->locks, l->txn, l->keys, l->nkeys, l->whole);
        m->kind = KV_MSG_GRANT;
        kv_shard_send(sh, m->from, m);
        return;
    }
    w = kv_waiter_new(W_LOCK);
    w->txn = l->txn;
    w->whole = l->whole;
    w->nkeys = l->nkeys;
    w->keys = l->keys;
    w->msg = m;
    kv_wait_push(&sh->locks, w);
}

void kv_locks_on_release(kv_shard *sh, kv_msg *m)
{
    kv_release(&sh->locks, m->as.lock.txn);
    kv_msg_free(m);
    kv_shard_unit_done(sh); /* the transaction is whole here */
    kv_locks_wakeup(sh);
}
