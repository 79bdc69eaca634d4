/* The waiters a shard keeps for its keys (block.h): per (db, key) a FIFO of
 * registrations, oldest first; per blocked command (its ticket) what it
 * registered here. A key modified while clients wait on it goes on the
 * ready list, and after the unit of work the ready keys are served in the
 * order they became ready, each key's waiters oldest first: here when the
 * waiter's client and everything its serve touches are here
 * (kv_block_serve_here), else the client's home is told and serves it under
 * locks. Until that outcome comes back this shard serves nobody else, so
 * clients are served first-blocked, first-served and keys in the order they
 * became ready, as on Redis, whatever shard the clients live on. */
#include "cmd/block/block.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct kv_wkey kv_wkey;
typedef struct kv_waiter kv_waiter;
typedef struct kv_wblock kv_wblock;

struct kv_waiter { /* one key of a registration */
    kv_waiter *prev, *next;
    kv_wkey *key;
    kv_wblock *blk;
    int keyi; /* the key's argv index in the blocking command */
};

struct kv_wblock { /* one blocked command's registration on this shard */
    kv_wblock *hnext;
    kv_ticket t;
    int type;
    int mode;     /* KV_REG_* */
    int attached; /* its waiters are in their keys' FIFOs */
    /* KV_REG_DIRECT: what it takes to serve it here, and once served, the
     * reply sent home (to undo if the home does not take it). */
    const kv_blocker *b;
    int proto, argc, db, keyi;
    kv_str *argv;
    int served;
    kv_buf reply;
    int nw;
    kv_waiter w[];
};

struct kv_wkey {
    kv_wkey *hnext;
    unsigned hash;
    int db;
    kv_waiter *head, *tail;
 int listed;                          /* on the ready or the sweep list */
    kv_wkey *lnext;
    size_t n;
    char key[];
};

struct kv_blockreg {
    kv_shard *sh;
    kv_wkey **keys;
    size_t kcap, nkeys;
    kv_wblock **blks;
    size_t bcap, nblks;
    kv_wkey *ready, *ready_tail; /* to look at after the unit of work */
    int serving;                 /* inside kv_block_serve_ready */
    /* A READY sent, its outcome awaited: the key and the waiter. */
    kv_wkey *out_key;
    unsigned long long out_id, out_seq;
};

kv_blockreg *kv_blockreg_new(kv_shard *sh)
{
    kv_blockreg *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    r->sh = sh;
    return r;
}

void kv_blockreg_free(kv_blockreg *r)
{
    size_t i;
    if (!r)
        return;
    for (i = 0; i < r->kcap; i++) {
        kv_wkey *k = r->keys[i], *next;
        for (; k; k = next) {
            next = k->hnext;
            free(k);
        }
    }
    for (i = 0; i < r->bcap; i++) {
        kv_wblock *b = r->blks[i], *next;
        for (; b; b = next) {
            next = b->hnext;
            free(b->argv);
            kv_buf_free(&b->reply);
            free(b);
        }
    }
    free(r->keys);
    free(r->blks);
    free(r);
}

/* --------------------------------------------------------------- tables */

static unsigned key_hash(int db, const char *p, size_t n)
{
    unsigned h = 2166136261u ^ (unsigned)db;
    size_t i;
    for (i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

static size_t blk_slot(unsigned long long id, unsigned long long seq, size_t cap)
{
    return (size_t)(((id * 0x9e3779b97f4a7c15ULL) ^ seq) >> 17) & (cap - 1);
}

static kv_wkey *wkey_find(kv_blockreg *r, int db, const char *p, size_t n, unsigned h)
{
    kv_wkey *k;
    if (!r->kcap)
        return NULL;
    for (k = r->keys[h & (r->kcap - 1)]; k; k = k->hnext)
        if (k->hash == h && k->db == db && k->n == n && memcmp(k->key, p, n) == 0)
            return k;
    return NULL;
}

static void keys_grow(kv_blockreg *r)
{
    size_t cap = r->kcap ? r->kcap * 2 : 16, i;
    kv_wkey **t = calloc(cap, sizeof *t);
    if (!t)
        abort();
    for (i = 0; i < r->kcap; i++) {
        kv_wkey *k = r->keys[i], *next;
        for (; k; k = next) {
            next = k->hnext;
            k->hnext = t[k->hash & (cap - 1)];
            t[k->hash & (cap - 1)] = k;
        }
    }
    free(r->keys);
    r->keys = t;
    r->kcap = cap;
}

static kv_wkey *wkey_get(kv_cmdstate *st, int db, const char *p, size_t n)
{
    kv_blockreg *r = st->blk;
    unsigned h = key_hash(db, p, n);
    kv_wkey *k = wkey_find(r, db, p, n, h);
    if (k)
        return k;
    if ((r->nkeys + 1) * 2 > r->kcap)
        keys_grow(r);
    if (!(k = calloc(1, sizeof *k + n)))
        abort();
    k->hash = h;
    k->db = db;
    k->n = n;
    memcpy(k->key, p, n);
    k->hnext = r->keys[h & (r->kcap - 1)];
    r->keys[h & (r->kcap - 1)] = k;
    r->nkeys++;
    st->blk_keys = r->nkeys;
    return k;
}

/* Free a key nobody waits on any more (not while serving: the serve loop
 * may hold it; it is swept at the end). */
static void wkey_maybe_free(kv_cmdstate *st, kv_wkey *k)
{
    kv_blockreg *r = st->blk;
    kv_wkey **pp;
    if (k->head || k == r->out_key || k->listed)
        return;
    if (r->serving) {
        k->listed = 2; /* the sweep list */
        k->lnext = r->ready; /* swept entries ride the ready list, marked */
        if (!r->ready)
            r->ready_tail = k;
        r->ready = k;
        return;
    }
    for (pp = &r->keys[k->hash & (r->kcap - 1)]; *pp != k; pp = &(*pp)->hnext)
        ;
    *pp = k->hnext;
    free(k);
    r->nkeys--;
    st->blk_keys = r->nkeys;
}

static kv_wblock **blk_find(kv_blockreg *r, unsigned long long id, unsigned long long seq)
{
    kv_wblock **pp;
    if (!r->bcap)
        return NULL;
    for (pp = &r->blks[blk_slot(id, seq, r->bcap)]; *pp; pp = &(*pp)->hnext)
        if ((*pp)->t.client_id == id && (*pp)->t.seq == seq)
            return pp;
    return NULL;
}

static void blks_grow(kv_blockreg *r)
{
    size_t cap = r->bcap ? r->bcap * 2 : 16, i;
    kv_wblock **t = calloc(cap, sizeof *t);
    if (!t)
        abort();
    for (i = 0; i < r->bcap; i++) {
        kv_wblock *b = r->blks[i], *next;
        for (; b; b = next) {
            size_t s = blk_slot(b->t.client_id, b->t.seq, cap);
            next = b->hnext;
            b->hnext = t[s];
            t[s] = b;
        }
    }
    free(r->blks);
    r->blks = t;
    r->bcap = cap;
}

/* ------------------------------------------------------------ the ready list */

static void ready_add(kv_shard *sh, kv_blockreg *r, kv_wkey *k)
{
    if (k->listed == 1)
        return;
    if (k->listed == 2) { /* on the sweep: now it is to be looked at */
        k->listed = 1;
        kv_shard_want_after(sh);
        return;
    }
    k->listed = 1;
    k->lnext = NULL;
    if (r->ready_tail)
        r->ready_tail->lnext = k;
    else
        r->ready = k;
    r->ready_tail = k;
    kv_shard_want_after(sh);
}

void kv_block_touch_slow(kv_ctx *ctx, int db, const kv_str *key)
{
    kv_blockreg *r = kv_state(ctx)->blk;
    kv_wkey *k = wkey_find(r, db, key->p, key->n, key_hash(db, key->p, key->n));
    if (k && k->head)
        ready_add(ctx->shard, r, k);
}

void kv_block_touch_db(kv_shard *sh, kv_cmdstate *st, int a, int b)
{
    kv_blockreg *r = st->blk;
    size_t i;
    kv_wkey *k;
    if (!r || !st->blk_keys)
        return;
    for (i = 0; i < r->kcap; i++)
        for (k = r->keys[i]; k; k = k->hnext)
            if (k->head && (k->db == a || k->db == b))
                ready_add(sh, r, k);
}

/* ------------------------------------------------------ registrations */

static kv_wblock *blockreg_add(kv_cmdstate *st, const kv_ticket *t, int type, int mode, int db,
                               int n, const kv_str *keys, const int *keyidx,
                               const kv_blockdirect *d)
{
    kv_blockreg *r = st->blk;
    kv_wblock *b;
    size_t s;
    int i;
    if (blk_find(r, t->client_id, t->seq))
        return NULL; /* registered already (a retried step) */
    if (!(b = calloc(1, sizeof *b + (size_t)n * sizeof(kv_waiter))))
        abort();
    b->t = *t;
    b->type = type;
    /* A stream registration of any mode carries the command (b->ready). */
    b->mode = mode == KV_REG_DIRECT && !d ? KV_REG_REMOTE : mode;
    b->db = db;
    if (d) {
        b->b = d->b;
        b->proto = d->proto;
        b->argc = d->argc;
        b->argv = kv_block_argv_dup(d->argc, d->argv);
    }
    b->attached = 1;
    b->nw = n;
    if ((r->nblks + 1) * 2 > r->bcap)
        blks_grow(r);
    s = blk_slot(t->client_id, t->seq, r->bcap);
    b->hnext = r->blks[s];
    r->blks[s] = b;
    r->nblks++;
    st->blk_regs = r->nblks;
    for (i = 0; i < n; i++) {
        kv_waiter *w = &b->w[i];
        kv_wkey *k = wkey_get(st, db, keys[i].p, keys[i].n);
        w->key = k;
        w->blk = b;
        w->keyi = keyidx[i];
        w->prev = k->tail;
        if (k->tail)
            k->tail->next = w;
        else
            k->head = w;
        k->tail = w;
    }
    return b;
}

void kv_blockreg_add(kv_shard *sh, kv_cmdstate *st, const kv_ticket *t, int type, int mode,
                     int db, int n, const kv_str *keys, const int *keyidx,
                     const kv_blockdirect *d)
{
    (void)sh;
    blockreg_add(st, t, type, mode, db, n, keys, keyidx, d);
}

/* Take a registration's waiters out of their keys' FIFOs. */
static void blk_detach(kv_cmdstate *st, kv_wblock *b)
{
    kv_blockreg *r = st->blk;
    int i;
    if (!b->attached)
        return;
    b->attached = 0;
    for (i = 0; i < b->nw; i++) {
        kv_waiter *w = &b->w[i];
        kv_wkey *k = w->key;
        int was_head = !w->prev;
        if (w->prev)
            w->prev->next = w->next;
        else
            k->head = w->next;
        if (w->next)
            w->next->prev = w->prev;
        else
            k->tail = w->prev;
        /* A waiter behind it may be served now (it held the key while its
         * home was busy elsewhere); not the registration's own next waiter
         * (a key named twice), which goes in this same loop. */
        if (was_head && k->head && k->head->blk != b)
            ready_add(r->sh, r, k);
        wkey_maybe_free(st, k);
    }
}

/* Forget a registration; a direct serve the home did not take is undone. */
static void blk_remove(kv_cmdstate *st, unsigned long long id, unsigned long long seq, int undo)
{
    kv_blockreg *r = st->blk;
    kv_wblock **pp = r ? blk_find(r, id, seq) : NULL, *b;
    if (!pp)
        return;
    b = *pp;
    *pp = b->hnext;
    r->nblks--;
    st->blk_regs = r->nblks;
    blk_detach(st, b);
    if (b->served && undo)
        kv_block_run_undo(r->sh, b->b, b->argc, b->argv, b->keyi, b->db, b->proto, b->reply.p,
                          b->reply.len);
    free(b->argv);
    kv_buf_free(&b->reply);
    free(b);
}

void kv_blockreg_remove(kv_cmdstate *st, unsigned long long id, unsigned long long seq)
{
    blk_remove(st, id, seq, 1);
}

void kv_blockreg_retouch(kv_shard *sh, kv_cmdstate *st, unsigned long long id,
                         unsigned long long seq)
{
    kv_blockreg *r = st->blk;
    kv_wblock **pp = r ? blk_find(r, id, seq) : NULL;
    int i;
    if (!pp || !(*pp)->attached)
        return;
    for (i = 0; i < (*pp)->nw; i++)
        ready_add(sh, r, (*pp)->w[i].key);
}

/* A direct registration is served from argv[keyi] with the reply `out`
 * (taken; NULL: the key holds another type, the reply is WRONGTYPE): it
 * leaves the keys, and stays until the home answers. */
static void send_served(kv_shard *sh, kv_cmdstate *st, kv_wblock *b, int keyi, int db,
                        kv_buf *reply)
{
    char num[4][24];
    kv_str a[6];
    kv_buf out;
    kv_buf_init(&out);
    if (reply) {
        out = *reply;
        kv_buf_init(reply);
    } else {
        kv_reply r;
        r.buf = &out;
        r.proto = b->proto;
        r.errors = 0;
        kv_reply_error(&r, "WRONGTYPE Operation against a key holding the wrong kind of value");
    }
    blk_detach(st, b);
    b->served = 1;
    b->keyi = keyi;
    b->reply = out;
    a[0].p = "blk-served";
    a[0].n = 10;
    a[1].p = num[0];
    a[1].n = (size_t)snprintf(num[0], sizeof num[0], "%d", kv_shard_id(sh));
    a[2].p = num[1];
    a[2].n = (size_t)snprintf(num[1], sizeof num[1], "%llu", b->t.client_id);
    a[3].p = num[2];
    a[3].n = (size_t)snprintf(num[2], sizeof num[2], "%llu", b->t.seq);
    a[4].p = num[3];
    a[4].n = (size_t)snprintf(num[3], sizeof num[3], "%d", keyi);
    a[5].p = out.p ? out.p : "";
    a[5].n = out.len;
    kv_shard_cast(sh, b->t.home, &kv_blk_served, db, 6, a);
}

/* Serve a direct registration from the key at argv[keyi] here and send the
 * reply home; 0 if the key could not serve it. */
static int serve_direct(kv_shard *sh, kv_cmdstate *st, kv_wblock *b, int keyi, int later,
                        int db)
{
    kv_buf out;
    kv_buf_init(&out);
    if (!kv_block_run_serve(sh, st, b->b, b->argc, b->argv, keyi, later, db, b->proto,
                            b->t.client_id, &out)) {
        kv_buf_free(&out);
        return 0;
    }
    send_served(sh, st, b, keyi, db, &out);
    return 1;
}

/* ------------------------------------------------------------ serving */

/* Serve the waiters of one ready key, oldest first, while it holds a value
 * of their type. Returns 1 if a transaction holds the key: look again after
 * the next unit of work. */
static int serve_key(kv_shard *sh, kv_cmdstate *st, kv_wkey *k)
{
    kv_blockreg *r = st->blk;
    kv_waiter *w = k->head;
    while (w && !r->out_key) {
        kv_wblock *b = w->blk;
        kv_entry *e;
        char num[4][24];
        kv_str a[6];
        /* A stream waiter is ready by its own measure (what it waits for,
         * b->ready); one that is not lets those behind it be looked at. */
        int own = b->b && b->b->ready;
        if (kv_shard_key_locked(sh, k->key, k->n))
            return 1;
        e = kv_ks_lookup_write(st->ks, k->db, k->key, k->n, kv_shard_now_ms(sh));
        if (own) {
            if (b->b->ready(e ? kv_entry_val(e) : NULL, b->argc, b->argv, w->keyi, 1) != 1) {
                w = w->next;
                continue;
            }
        } else if (!e || (int)kv_obj_type(kv_entry_val(e)) != b->type) {
            return 0; /* not (or no longer) something it waits for */
        }
        if (b->mode == KV_REG_DIRECT) {
            if (!serve_direct(sh, st, b, w->keyi, 1, k->db)) {
                if (!own)
                    return 0;
                w = w->next;
                continue;
            }
            w = k->head;
            continue;
        }
        if (b->mode == KV_REG_LOCAL) {
            int res = kv_block_serve_here(sh, st, &b->t, w->keyi, k->db);
            if (res == KV_SERVE_GONE) {
                kv_blockreg_remove(st, b->t.client_id, b->t.seq);
                w = k->head;
                continue;
            }
            if (res == KV_SERVE_DONE) {
                w = k->head;
                continue; /* the block ended: its registrations are gone */
            }
            if (!own)
                return 0; /* BUSY: its home serves it elsewhere and will retouch */
            w = w->next;
            continue;
        }
        /* Its home serves it under the locks; nobody else gets this key
         * until the outcome is back. */
        r->out_key = k;
        r->out_id = b->t.client_id;
        r->out_seq = b->t.seq;
        a[0].p = "blk-ready";
        a[0].n = 9;
        a[1].p = num[0];
        a[1].n = (size_t)snprintf(num[0], sizeof num[0], "%d", kv_shard_id(sh));
        a[2].p = num[1];
        a[2].n = (size_t)snprintf(num[1], sizeof num[1], "%llu", b->t.client_id);
        a[3].p = num[2];
        a[3].n = (size_t)snprintf(num[2], sizeof num[2], "%llu", b->t.seq);
        a[4].p = k->key;
        a[4].n = k->n;
        a[5].p = num[3];
        a[5].n = (size_t)snprintf(num[3], sizeof num[3], "%d", w->keyi);
        /* On this shard (BLMOVE to elsewhere) the answer may come at once:
         * w and b may be gone after the cast; the loop looks again. */
        kv_shard_cast(sh, b->t.home, &kv_blk_ready, k->db, 6, a);
    }
    return 0;
}

void kv_block_serve_ready(kv_shard *sh, kv_cmdstate *st)
{
    kv_blockreg *r = st->blk;
    kv_wkey *again = NULL, *again_tail = NULL, *k;
    if (!r || r->serving)
        return;
    r->serving = 1;
    while ((k = r->ready) != NULL && !r->out_key) {
        r->ready = k->lnext;
        if (!r->ready)
            r->ready_tail = NULL;
        if (k->listed == 1 && serve_key(sh, st, k)) {
            k->lnext = NULL; /* locked: look again later */
            if (again_tail)
                again_tail->lnext = k;
            else
                again = k;
            again_tail = k;
            continue;
        }
        k->listed = 0;
        r->serving = 0;
        wkey_maybe_free(st, k);
        r->serving = 1;
    }
    r->serving = 0;
    if (again) { /* in front: they were ready before what is left */
        again_tail->lnext = r->ready;
        if (!r->ready)
            r->ready_tail = again_tail;
        r->ready = again;
        kv_shard_want_after(sh);
    }
}

/* ---------------------------------------------------- internal commands */

static unsigned long long arg_u(const kv_str *a)
{
    long long v = 0;
    kv_arg_ll(a, &v);
    return (unsigned long long)v;
}

/* blk-register home id seq type mode proto nkeys dst (keyi key)...
 * [argv...]: on the key's shard, inside the blocking command's coordination
 * (under its locks); a direct registration (mode 2) ends with the blocking
 * command. Returns the registration, NULL if none was made. */
static kv_wblock *register_from(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_cmdstate *st = kv_state(ctx);
    kv_ticket t;
    int n = (int)arg_u(&argv[7]), mode = (int)arg_u(&argv[5]), i, *idx, rest;
    kv_blockdirect d, *dp = NULL;
    kv_wblock *b;
    kv_str *keys;
    t.home = (int)arg_u(&argv[1]);
    t.client_id = arg_u(&argv[2]);
    t.seq = arg_u(&argv[3]);
    rest = 9 + 2 * n;
    if (n < 1 || rest > argc) {
        kv_reply_error(&ctx->out, "ERR internal: bad blk-register");
        return NULL;
    }
    if (rest < argc) {
        const kv_cmd *cmd = kv_cmd_find(st->srv, argv[rest].p, argv[rest].n);
        d.b = cmd ? kv_desc(cmd)->data : NULL;
        d.proto = (int)arg_u(&argv[6]);
        d.argc = argc - rest;
        d.argv = argv + rest;
        if (d.b)
            dp = &d;
    }
    idx = malloc((size_t)(n + 1) * sizeof *idx);
    keys = malloc((size_t)(n + 1) * sizeof *keys);
    if (!idx || !keys)
        abort();
    for (i = 0; i < n; i++) {
        idx[i] = (int)arg_u(&argv[9 + 2 * i]);
        keys[i] = argv[10 + 2 * i];
    }
    b = blockreg_add(st, &t, (int)arg_u(&argv[4]), mode, ctx->db, n, keys, idx, dp);
    free(idx);
    free(keys);
    kv_reply_status(&ctx->out, "OK");
    return b;
}

static void kv_exec_register(kv_ctx *ctx, int argc, const kv_str *argv)
{
    register_from(ctx, argc, argv);
}

/* blk-try (blk-register's arguments, direct): the blocking command, handed
 * over by a home that holds none of its keys (engine.c). Registered, then
 * served at once from the first key in argument order that holds a value
 * (WRONGTYPE if it holds another type), as the command would have been at
 * home; else it waits. */
static void kv_exec_try(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_cmdstate *st = kv_state(ctx);
    kv_wblock *b = register_from(ctx, argc, argv);
    int i;
    if (!b || b->mode != KV_REG_DIRECT)
        return;
    for (i = 0; i < b->nw; i++) {
        const kv_wkey *k = b->w[i].key;
        kv_entry *e = kv_ks_lookup_write(st->ks, k->db, k->key, k->n,
                                         kv_shard_now_ms(ctx->shard));
        int ready = kv_block_key_ready(b->b, e ? kv_entry_val(e) : NULL, b->argc, b->argv,
                                       b->w[i].keyi, 0);
        if (!ready)
            continue;
        if (ready < 0)
            send_served(ctx->shard, st, b, b->w[i].keyi, k->db, NULL);
        else
            serve_direct(ctx->shard, st, b, b->w[i].keyi, 0, k->db); /* as the command ran */
        return;
    }
    if (b->b->fix) { /* it waits: what for is fixed now (XREAD's $) */
        for (i = 0; i < b->nw; i++) {
            const kv_wkey *k = b->w[i].key;
            int wi = b->b->waitarg(b->argc, b->argv, b->w[i].keyi);
            kv_entry *e;
            kv_str *v, *old;
            char buf[48];
            if (wi <= 0 || wi >= b->argc)
                continue;
            e = kv_ks_lookup_write(st->ks, k->db, k->key, k->n, kv_shard_now_ms(ctx->shard));
            if (!(v = malloc((size_t)b->argc * sizeof *v)))
                abort();
            memcpy(v, b->argv, (size_t)b->argc * sizeof *v);
            b->b->fix(e ? kv_entry_val(e) : NULL, &b->argv[wi], buf, &v[wi]);
            v[wi] = v[wi].p ? v[wi] : b->argv[wi];
            old = b->argv; /* v points into it until the copy */
            b->argv = kv_block_argv_dup(b->argc, v);
            free(old);
            free(v);
        }
    }
}

/* Its keys: the waited ones and the destination (so that a cast of it
 * waits for a transaction holding one). */
static int try_keys(int argc, const kv_str *argv, int *pos, int max)
{
    int n = argc > 7 ? (int)arg_u(&argv[7]) : 0, dst = argc > 8 ? (int)arg_u(&argv[8]) : 0, i,
        got = 0;
    for (i = 0; i < n && 10 + 2 * i < argc; i++, got++)
        if (got < max)
            pos[got] = 10 + 2 * i;
    if (dst > 0 && 9 + 2 * n + dst < argc) {
        if (got < max)
            pos[got] = 9 + 2 * n + dst;
        got++;
    }
    return got;
}

/* blk-unregister id seq [key...]: the block ended (served, timed out,
 * unblocked, gone); a direct serve of it that the home did not take is
 * undone. The keys (a delegated block's) make it wait behind its blk-try. */
static void kv_exec_unregister(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    blk_remove(kv_state(ctx), arg_u(&argv[1]), arg_u(&argv[2]), 1);
}

/* blk-taken id seq: the home took this shard's direct serve. */
static void kv_exec_taken(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    blk_remove(kv_state(ctx), arg_u(&argv[1]), arg_u(&argv[2]), 0);
}

/* blk-outcome id seq key result: the home's answer to a READY. */
static void kv_exec_outcome(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_cmdstate *st = kv_state(ctx);
    kv_blockreg *r = st->blk;
    unsigned long long id = arg_u(&argv[1]), seq = arg_u(&argv[2]);
    int result = (int)arg_u(&argv[4]);
    kv_wkey *k = wkey_find(r, ctx->db, argv[3].p, argv[3].n,
                           key_hash(ctx->db, argv[3].p, argv[3].n));
    (void)argc;
    if (r->out_key == k && r->out_id == id && r->out_seq == seq) {
        r->out_key = NULL; /* this shard serves again, ready keys in order */
        r->out_id = r->out_seq = 0;
        if (r->ready)
            kv_shard_want_after(ctx->shard);
    }
    if (result == KV_SERVE_DONE || result == KV_SERVE_GONE) {
        kv_blockreg_remove(st, id, seq); /* its other keys are looked at again */
        k = wkey_find(r, ctx->db, argv[3].p, argv[3].n, key_hash(ctx->db, argv[3].p, argv[3].n));
    }
    if (!k)
        return;
    /* The next waiter, or the same one if a race was lost (BUSY: its home
     * retouches it once the serve in flight is over). */
    if (result != KV_SERVE_BUSY && k->head)
        ready_add(ctx->shard, r, k);
    wkey_maybe_free(st, k);
}

/* blk-retouch id seq: a serve in flight failed; look at its keys again. */
static void kv_exec_retouch(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    kv_blockreg_retouch(ctx->shard, kv_state(ctx), arg_u(&argv[1]), arg_u(&argv[2]));
}

/* blk-probe key type: :0 missing, :1 holds that type, else WRONGTYPE.
 * blk-probe key type keyi argv... (a blocker with a ready hook): :1 ready,
 * :0 not, or not and its wait argument fixed as a bulk (b->fix). */
static void kv_exec_probe(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_entry *e = kv_lookup_write(ctx, &argv[1]);
    if (argc > 4) {
        const kv_cmd *cmd = kv_cmd_find(kv_state(ctx)->srv, argv[4].p, argv[4].n);
        const kv_blocker *b = cmd ? kv_desc(cmd)->data : NULL;
        const kv_obj *o = e ? kv_entry_val(e) : NULL;
        int keyi = (int)arg_u(&argv[3]), ready, wi;
        char buf[48];
        kv_str fixed;
        if (!b || !b->ready || keyi <= 0 || keyi >= argc - 4) {
            kv_reply_error(&ctx->out, "ERR internal: bad blk-probe");
            return;
        }
        ready = b->ready(o, argc - 4, argv + 4, keyi, 0);
        if (ready < 0) {
            kv_reply_wrongtype(ctx);
        } else if (ready > 0) {
            kv_reply_int(&ctx->out, 1);
        } else if (b->fix && (wi = b->waitarg(argc - 4, argv + 4, keyi)) > 0 && wi < argc - 4) {
            fixed.p = NULL;
            b->fix(o, &argv[4 + wi], buf, &fixed);
            if (fixed.p)
                kv_reply_bulk(&ctx->out, fixed.p, fixed.n);
            else
                kv_reply_int(&ctx->out, 0);
        } else {
            kv_reply_int(&ctx->out, 0);
        }
        return;
    }
    if (!e)
        kv_reply_int(&ctx->out, 0);
    else if ((int)kv_obj_type(kv_entry_val(e)) != (int)arg_u(&argv[2]))
        kv_reply_wrongtype(ctx);
    else
        kv_reply_int(&ctx->out, 1);
}

const kv_cmd kv_blk_probe = {.name = "blk-probe", .arity = -3, .exec = kv_exec_probe};
const kv_cmd kv_blk_register = {.name = "blk-register", .arity = -11, .exec = kv_exec_register};
const kv_cmd kv_blk_taken = {.name = "blk-taken", .arity = 3, .exec = kv_exec_taken};
const kv_cmd kv_blk_try = {.name = "blk-try", .arity = -11, .exec = kv_exec_try,
                           .getkeys = try_keys};
const kv_cmd kv_blk_unregister = {.name = "blk-unregister", .arity = -3, .first_key = 3,
                                  .last_key = -1, .key_step = 1, .exec = kv_exec_unregister};
const kv_cmd kv_blk_outcome = {.name = "blk-outcome", .arity = 5, .exec = kv_exec_outcome};
const kv_cmd kv_blk_retouch = {.name = "blk-retouch", .arity = 3, .exec = kv_exec_retouch};
