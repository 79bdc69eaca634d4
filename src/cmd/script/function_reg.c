/* The server's function libraries, one set for every shard, behind one
 * mutex (touched by FUNCTION commands, by a shard's first FCALL after a
 * change, and by saves). Libraries are kept sorted by name; function names
 * are unique over the libraries, in any case, as in Redis. A generation
 * moves on with each change: a shard compiles the libraries again when
 * its state is of an older one. Also: the function each shard runs, for
 * FUNCTION STATS on any shard. */
#include "cmd/script/script.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct running {
    char *name;
    int argc;
    kv_str *argv;
    char *bytes;
    long long start_ms;
} running;

struct kv_fnreg {
    pthread_mutex_t mu;
    kv_fnlib **libs;
    int n, cap;
    unsigned long long gen;
    running *run[KV_SCRIPT_MAX_SHARDS];
    /* Verdicts of the changes of the transaction whose parts run now: the
     * k-th change a shard runs in it is the k-th change of the command. */
    pthread_mutex_t vmu;
    unsigned long long vtxn;
    struct verdict {
        kv_buf reply;
        int changed;
    } *v;
    int nv;
    unsigned long long shard_txn[KV_SCRIPT_MAX_SHARDS];
    int shard_k[KV_SCRIPT_MAX_SHARDS];
};

kv_fnreg *kv_fnreg_new(void)
{
    kv_fnreg *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    pthread_mutex_init(&r->mu, NULL);
    pthread_mutex_init(&r->vmu, NULL);
    r->gen = 1;
    return r;
}

static void running_free(running *x)
{
    if (!x)
        return;
    free(x->name);
    free(x->argv);
    free(x->bytes);
    free(x);
}

void kv_fnreg_free(kv_fnreg *r)
{
    int i;
    if (!r)
        return;
    kv_fnlibs_free(r->libs, r->n);
    for (i = 0; i < KV_SCRIPT_MAX_SHARDS; i++)
        running_free(r->run[i]);
    for (i = 0; i < r->nv; i++)
        kv_buf_free(&r->v[i].reply);
    free(r->v);
    pthread_mutex_destroy(&r->vmu);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static int cmp_name(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an < bn ? -1 : an > bn);
}

static int find_lib(kv_fnlib **libs, int n, const char *name, size_t len)
{
    int i;
    for (i = 0; i < n; i++)
        if (!cmp_name(libs[i]->name, libs[i]->namelen, name, len))
            return i;
    return -1;
}

static int same_fn(const kv_fn *a, const kv_fn *b)
{
    return a->namelen == b->namelen && !strncasecmp(a->name, b->name, a->namelen);
}

/* A function of lib already in libs (skip: the library lib replaces)? */
static const kv_fn *clash(kv_fnlib **libs, int n, const kv_fnlib *lib, int skip)
{
    int i, j, k;
    for (i = 0; i < n; i++) {
        if (i == skip || !libs[i])
            continue;
        for (j = 0; j < libs[i]->nfn; j++)
            for (k = 0; k < lib->nfn; k++)
                if (same_fn(&libs[i]->fn[j], &lib->fn[k]))
                    return &lib->fn[k];
    }
    return NULL;
}

static void sort_libs(kv_fnlib **libs, int n)
{
    int i, j;
    for (i = 1; i < n; i++) {
        kv_fnlib *x = libs[i];
        for (j = i; j > 0 && cmp_name(libs[j - 1]->name, libs[j - 1]->namelen, x->name,
                                      x->namelen) > 0;
             j--)
            libs[j] = libs[j - 1];
        libs[j] = x;
    }
}

int kv_fnreg_add(kv_fnreg *r, kv_fnlib **add, int nadd, int policy, char *err, size_t errlen)
{
    kv_fnlib **next;
    int n, i, rc = 0;
    pthread_mutex_lock(&r->mu);
    /* Work on a new array: nothing changes unless every library fits. */
    if (!(next = calloc((size_t)(r->n + nadd + 1), sizeof *next)))
        abort();
    n = 0;
    if (policy != KV_FN_FLUSH)
        for (i = 0; i < r->n; i++)
            next[n++] = r->libs[i];
    for (i = 0; i < nadd && rc == 0; i++) {
        int at = find_lib(next, n, add[i]->name, add[i]->namelen);
        const kv_fn *f;
        if (at >= 0 && policy == KV_FN_APPEND) {
            snprintf(err, errlen, "Library '%s' already exists", add[i]->name);
            rc = -1;
        } else if ((f = clash(next, n, add[i], at))) {
            snprintf(err, errlen, "Function %s already exists", f->name);
            rc = -1;
        } else if (at >= 0) {
            next[at] = add[i];
        } else {
            next[n++] = add[i];
        }
    }
    if (rc != 0) {
        free(next);
        kv_fnlibs_free(add, nadd);
        pthread_mutex_unlock(&r->mu);
        return -1;
    }
    /* The libraries left out (replaced, or flushed) go. */
    for (i = 0; i < r->n; i++) {
        int j, kept = 0;
        for (j = 0; j < n && !kept; j++)
            kept = next[j] == r->libs[i];
        if (!kept)
            kv_fnlib_free(r->libs[i]);
    }
    free(r->libs);
    free(add);
    sort_libs(next, n);
    r->libs = next;
    r->n = n;
    r->gen++;
    pthread_mutex_unlock(&r->mu);
    return 0;
}

int kv_fnreg_delete(kv_fnreg *r, const char *name, size_t len)
{
    int at;
    pthread_mutex_lock(&r->mu);
    at = find_lib(r->libs, r->n, name, len);
    if (at >= 0) {
        kv_fnlib_free(r->libs[at]);
        memmove(r->libs + at, r->libs + at + 1, (size_t)(r->n - at - 1) * sizeof *r->libs);
        r->n--;
        r->gen++;
    }
    pthread_mutex_unlock(&r->mu);
    return at >= 0 ? 0 : -1;
}

void kv_fnreg_flush(kv_fnreg *r)
{
    pthread_mutex_lock(&r->mu);
    kv_fnlibs_free(r->libs, r->n);
    r->libs = NULL;
    r->n = 0;
    r->gen++;
    pthread_mutex_unlock(&r->mu);
}

unsigned long long kv_fnreg_gen(kv_fnreg *r)
{
    unsigned long long g;
    pthread_mutex_lock(&r->mu);
    g = r->gen;
    pthread_mutex_unlock(&r->mu);
    return g;
}

int kv_fnreg_exists(kv_fnreg *r, const char *name, size_t n)
{
    int at;
    pthread_mutex_lock(&r->mu);
    at = find_lib(r->libs, r->n, name, n);
    pthread_mutex_unlock(&r->mu);
    return at >= 0;
}

static char *dupn(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static kv_fnlib *copy_lib(const kv_fnlib *a)
{
    kv_fnlib *b = calloc(1, sizeof *b);
    int i;
    if (!b || !(b->fn = calloc((size_t)(a->nfn ? a->nfn : 1), sizeof *b->fn)))
        abort();
    b->name = dupn(a->name, a->namelen);
    b->namelen = a->namelen;
    b->code = dupn(a->code, a->codelen);
    b->codelen = a->codelen;
    b->nfn = a->nfn;
    for (i = 0; i < a->nfn; i++) {
        b->fn[i] = a->fn[i];
        b->fn[i].name = dupn(a->fn[i].name, a->fn[i].namelen);
        b->fn[i].desc = a->fn[i].desc ? dupn(a->fn[i].desc, a->fn[i].desclen) : NULL;
    }
    return b;
}

kv_fnlib **kv_fnreg_copy(kv_fnreg *r, int *n, unsigned long long *gen)
{
    kv_fnlib **out;
    int i;
    pthread_mutex_lock(&r->mu);
    if (!(out = calloc((size_t)(r->n ? r->n : 1), sizeof *out)))
        abort();
    for (i = 0; i < r->n; i++)
        out[i] = copy_lib(r->libs[i]);
    *n = r->n;
    if (gen)
        *gen = r->gen;
    pthread_mutex_unlock(&r->mu);
    return out;
}

void kv_fnreg_counts(kv_fnreg *r, long long *libs, long long *fns, long long *bytes)
{
    int i;
    pthread_mutex_lock(&r->mu);
    *libs = r->n;
    *fns = 0;
    if (bytes)
        *bytes = 0;
    for (i = 0; i < r->n; i++) {
        *fns += r->libs[i]->nfn;
        if (bytes)
            *bytes += (long long)r->libs[i]->codelen;
    }
    pthread_mutex_unlock(&r->mu);
}

/* ------------------------------------------------------------ running */

void kv_fnreg_set_running(kv_fnreg *r, int shard, const char *name, int argc,
                          const kv_str *argv, long long start_ms)
{
    running *x = NULL;
    int i;
    if (shard < 0 || shard >= KV_SCRIPT_MAX_SHARDS)
        return;
    if (argc > 0) {
        size_t total = 0, off = 0;
        if (!(x = calloc(1, sizeof *x)) || !(x->argv = malloc((size_t)argc * sizeof *x->argv)))
            abort();
        for (i = 0; i < argc; i++)
            total += argv[i].n;
        if (!(x->bytes = malloc(total + 1)))
            abort();
        for (i = 0; i < argc; i++) {
            memcpy(x->bytes + off, argv[i].p, argv[i].n);
            x->argv[i].p = x->bytes + off;
            x->argv[i].n = argv[i].n;
            off += argv[i].n;
        }
        x->argc = argc;
        x->name = dupn(name, strlen(name));
        x->start_ms = start_ms;
    }
    pthread_mutex_lock(&r->mu);
    running_free(r->run[shard]);
    r->run[shard] = x;
    pthread_mutex_unlock(&r->mu);
}

void kv_fnreg_reply_running(kv_fnreg *r, kv_reply *out, long long now_ms)
{
    int i, j;
    pthread_mutex_lock(&r->mu);
    for (i = 0; i < KV_SCRIPT_MAX_SHARDS; i++)
        if (r->run[i])
            break;
    if (i == KV_SCRIPT_MAX_SHARDS) {
        kv_reply_null(out);
    } else {
        running *x = r->run[i];
        kv_reply_map(out, 3);
        kv_reply_bulk_cstr(out, "name");
        kv_reply_bulk_cstr(out, x->name);
        kv_reply_bulk_cstr(out, "command");
        kv_reply_array(out, x->argc);
        for (j = 0; j < x->argc; j++)
            kv_reply_bulk(out, x->argv[j].p, x->argv[j].n);
        kv_reply_bulk_cstr(out, "duration_ms");
        kv_reply_int(out, now_ms - x->start_ms);
    }
    pthread_mutex_unlock(&r->mu);
}

int kv_fnreg_running(kv_fnreg *r, int shard)
{
    int yes;
    if (shard < 0 || shard >= KV_SCRIPT_MAX_SHARDS)
        return 0;
    pthread_mutex_lock(&r->mu);
    yes = r->run[shard] != NULL;
    pthread_mutex_unlock(&r->mu);
    return yes;
}

/* ------------------------------------------------------------ verdicts */

int kv_fnreg_verdict(kv_fnreg *r, kv_ctx *ctx, int argc, const kv_str *argv, kv_fn_change_fn fn,
                     kv_buf *out)
{
    int shard = kv_shard_id(ctx->shard), k, changed, i;
    if (!ctx->txn || shard < 0 || shard >= KV_SCRIPT_MAX_SHARDS)
        return fn(ctx, argc, argv, out); /* one shard: nobody to share with */
    pthread_mutex_lock(&r->vmu);
    if (r->shard_txn[shard] != ctx->txn) {
        r->shard_txn[shard] = ctx->txn;
        r->shard_k[shard] = 0;
    }
    k = r->shard_k[shard]++;
    if (r->vtxn != ctx->txn) { /* a new transaction: the last one's parts all ran */
        for (i = 0; i < r->nv; i++)
            kv_buf_free(&r->v[i].reply);
        r->nv = 0;
        r->vtxn = ctx->txn;
    }
    if (k < r->nv) {
        kv_buf_append(out, r->v[k].reply.p, r->v[k].reply.len);
        changed = r->v[k].changed;
    } else {
        changed = fn(ctx, argc, argv, out);
        if (!(r->v = realloc(r->v, (size_t)(r->nv + 1) * sizeof *r->v)))
            abort();
        kv_buf_init(&r->v[r->nv].reply);
        kv_buf_append(&r->v[r->nv].reply, out->p ? out->p : "", out->len);
        r->v[r->nv].changed = changed;
        r->nv++;
    }
    pthread_mutex_unlock(&r->vmu);
    return changed;
}
