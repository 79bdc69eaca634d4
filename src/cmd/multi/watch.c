/* The per-shard watch registry (see watch.h). Watches are few and short
 * lived, so the structure is simple: a hash table of (db, key, client)
 * records chained by key hash, plus the set of clients made dirty. A client
 * is also dirty if a key it watched existed then and has expired since (the
 * key may not be deleted yet), as Redis 7.0 checks at EXEC. */
#include "cmd/multi/watch.h"

#include "cmd/block/block.h"
#include "cmd/pubsub/tracking.h"

#include <stdlib.h>
#include <string.h>

typedef struct kv_wrec {
    struct kv_wrec *next;
    unsigned long long client;
    unsigned hash;
    int db;
    int existed; /* the key existed when watched */
    size_t n;
    char key[];
} kv_wrec;

struct kv_watchreg {
    kv_wrec **tab;
    size_t cap, n;
    unsigned long long *dirty; /* clients with a touched watched key */
    size_t ndirty, dcap;
};

kv_watchreg *kv_watchreg_new(void)
{
    kv_watchreg *w = calloc(1, sizeof *w);
    if (!w)
        abort();
    return w;
}

void kv_watchreg_free(kv_watchreg *w)
{
    size_t i;
    if (!w)
        return;
    for (i = 0; i < w->cap; i++) {
        kv_wrec *r = w->tab[i], *next;
        for (; r; r = next) {
            next = r->next;
            free(r);
        }
    }
    free(w->tab);
    free(w->dirty);
    free(w);
}

static unsigned kv_wkey_hash(int db, const char *p, size_t n)
{
    unsigned h = 2166136261u ^ (unsigned)db;
    size_t i;
    for (i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

static int kv_is_dirty(const kv_watchreg *w, unsigned long long client)
{
    size_t i;
    for (i = 0; i < w->ndirty; i++)
        if (w->dirty[i] == client)
            return 1;
    return 0;
}

static void kv_mark_dirty(kv_watchreg *w, unsigned long long client)
{
    if (kv_is_dirty(w, client))
        return;
    if (w->ndirty == w->dcap) {
        size_t cap = w->dcap ? w->dcap * 2 : 8;
        unsigned long long *d = realloc(w->dirty, cap * sizeof *d);
        if (!d)
            abort();
        w->dirty = d;
        w->dcap = cap;
    }
    w->dirty[w->ndirty++] = client;
}

void kv_watch_touch(kv_watchreg *w, int db, const char *key, size_t n)
{
    unsigned h;
    kv_wrec *r;
    if (!w || w->n == 0)
        return;
    h = kv_wkey_hash(db, key, n);
    for (r = w->tab[h & (w->cap - 1)]; r; r = r->next)
        if (r->hash == h && r->db == db && r->n == n && memcmp(r->key, key, n) == 0)
            kv_mark_dirty(w, r->client);
}

void kv_signal_modified(kv_ctx *ctx, int db, const kv_str *key)
{
    kv_cmdstate *st = kv_state(ctx);
    if (st->watch)
        kv_watch_touch(st->watch, db, key->p, key->n);
    kv_block_touch(ctx, db, key); /* clients blocked on it (one branch if none) */
    if (st->trk_live) /* client-side caching: trackingInvalidateKey */
        kv_tracking_touch(st, key->p, key->n, ctx->home, ctx->client_id);
}

void kv_watch_touch_db(kv_watchreg *w, kv_keyspace *ks, int db, int other)
{
    size_t i;
    kv_wrec *r;
    if (!w || w->n == 0)
        return;
    for (i = 0; i < w->cap; i++)
        for (r = w->tab[i]; r; r = r->next) {
            if (r->db != db && r->db != other)
                continue;
            if (kv_db_lookup(ks->db[db], r->key, r->n) ||
                (other >= 0 && kv_db_lookup(ks->db[other], r->key, r->n)))
                kv_mark_dirty(w, r->client);
        }
}

static void kv_watch_add(kv_watchreg *w, unsigned long long client, int db, const char *key,
                         size_t n, int existed)
{
    unsigned h = kv_wkey_hash(db, key, n);
    kv_wrec *r;
    if (w->cap) /* watching a key twice is one watch */
        for (r = w->tab[h & (w->cap - 1)]; r; r = r->next)
            if (r->client == client && r->db == db && r->n == n && memcmp(r->key, key, n) == 0)
                return;
    if ((w->n + 1) * 2 > w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16, i;
        kv_wrec **t = calloc(cap, sizeof *t);
        if (!t)
            abort();
        for (i = 0; i < w->cap; i++) {
            kv_wrec *x = w->tab[i], *next;
            for (; x; x = next) {
                next = x->next;
                x->next = t[x->hash & (cap - 1)];
                t[x->hash & (cap - 1)] = x;
            }
        }
        free(w->tab);
        w->tab = t;
        w->cap = cap;
    }
    r = malloc(sizeof *r + n);
    if (!r)
        abort();
    r->client = client;
    r->hash = h;
    r->db = db;
    r->existed = existed;
    r->n = n;
    memcpy(r->key, key, n);
    r->next = w->tab[h & (w->cap - 1)];
    w->tab[h & (w->cap - 1)] = r;
    w->n++;
}

/* Forget every watch of a client here, and its dirtiness: a later WATCH
 * (which reaches this shard after this, in order) starts clean. */
static void kv_watch_clear(kv_watchreg *w, unsigned long long client)
{
    size_t i;
    for (i = 0; i < w->cap; i++) {
        kv_wrec **pp = &w->tab[i], *r;
        while ((r = *pp) != NULL) {
            if (r->client == client) {
                *pp = r->next;
                free(r);
                w->n--;
            } else {
                pp = &r->next;
            }
        }
    }
    for (i = 0; i < w->ndirty; i++)
        if (w->dirty[i] == client) {
            w->dirty[i] = w->dirty[--w->ndirty];
            break;
        }
}

/* Dirty, or a watched key that existed has logically expired since. */
static int kv_watch_is_dirty(kv_watchreg *w, kv_keyspace *ks, unsigned long long client,
                             long long now)
{
    size_t i;
    kv_wrec *r;
    if (kv_is_dirty(w, client))
        return 1;
    for (i = 0; i < w->cap; i++)
        for (r = w->tab[i]; r; r = r->next) {
            kv_entry *e;
            if (r->client != client || !r->existed)
                continue;
            e = kv_db_lookup(ks->db[r->db], r->key, r->n);
            if (e && kv_db_is_expired(ks->db[r->db], e, now))
                return 1;
        }
    return 0;
}

/* ---------------------------------------------------------- sub-commands */

static unsigned long long kv_watch_client(const kv_ctx *ctx, int argc, const kv_str *argv,
                                          int *nkeys)
{
    long long id;
    /* watch-add carries keys; check/clear may carry the client id. */
    if (argc >= 2 && argv[0].n == 5 && memcmp(argv[0].p, "clear", 5) == 0 &&
        kv_arg_ll(&argv[argc - 1], &id)) {
        *nkeys = argc - 2;
        return (unsigned long long)id;
    }
    *nkeys = argc - 1;
    return ctx->client_id;
}

static void kv_exec_watch_add(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_cmdstate *st = kv_state(ctx);
    int j;
    for (j = 1; j < argc; j++) {
        kv_entry *e = kv_db_lookup(kv_ctx_db(ctx), argv[j].p, argv[j].n);
        int existed = e && !kv_db_is_expired(kv_ctx_db(ctx), e, kv_now_ms(ctx));
        kv_watch_add(st->watch, ctx->client_id, ctx->db, argv[j].p, argv[j].n, existed);
    }
    kv_reply_status(&ctx->out, "OK");
}

static void kv_exec_watch_check(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_cmdstate *st = kv_state(ctx);
    (void)argc;
    (void)argv;
    kv_reply_int(&ctx->out, kv_watch_is_dirty(st->watch, st->ks, ctx->client_id, kv_now_ms(ctx)));
}

static void kv_exec_watch_clear(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int nkeys;
    unsigned long long client = kv_watch_client(ctx, argc, argv, &nkeys);
    kv_watch_clear(kv_state(ctx)->watch, client);
    kv_reply_int(&ctx->out, 0);
}

const kv_cmd kv_sub_watch_add = {.name = "watch", .arity = -2, .exec = kv_exec_watch_add};
const kv_cmd kv_sub_watch_check = {.name = "exec", .arity = 1, .exec = kv_exec_watch_check};
const kv_cmd kv_sub_watch_clear = {.name = "clear", .arity = -1, .exec = kv_exec_watch_clear};
