/* The bodies of every script the server knows (EVAL, SCRIPT LOAD), by
 * SHA-1, shared by the shards behind one mutex: a shard reads it only when
 * its own Lua state lacks a function (an EVALSHA of a script another shard
 * loaded), so the lock is off the hot path. SCRIPT FLUSH empties it and
 * moves the generation on; each shard then rebuilds its Lua state. */
#include "cmd/script/script.h"

#include "rt/atomic.h"
#include "store/sha1.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct entry {
    char sha[41];
    char *body;
    size_t n;
    struct entry *next;
} entry;

struct kv_scripts {
    pthread_mutex_t mu;
    entry **tab;
    size_t cap, count, bytes;
    unsigned long long gen;
    kv_fnreg *fn; /* the function libraries (function_reg.c, their own mutex) */
    /* Per shard, through rt/atomic.h (any shard reads, SCRIPT KILL writes):
     * a script of that shard is busy, has written, is asked to stop. */
    struct {
        int busy, wrote, kill;
    } shard[KV_SCRIPT_MAX_SHARDS];
};

void kv_sha1_hex(const void *data, size_t n, char out[41])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char d[20];
    int i;
    kv_sha1(data, n, d);
    for (i = 0; i < 20; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[40] = '\0';
}

kv_scripts *kv_scripts_new(void)
{
    kv_scripts *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    pthread_mutex_init(&s->mu, NULL);
    s->cap = 64;
    if (!(s->tab = calloc(s->cap, sizeof *s->tab)))
        abort();
    s->fn = kv_fnreg_new();
    return s;
}

kv_fnreg *kv_scripts_functions(kv_scripts *s)
{
    return s->fn;
}

static void clear(kv_scripts *s)
{
    size_t i;
    for (i = 0; i < s->cap; i++) {
        entry *e = s->tab[i], *next;
        for (; e; e = next) {
            next = e->next;
            free(e->body);
            free(e);
        }
        s->tab[i] = NULL;
    }
    s->count = s->bytes = 0;
}

void kv_scripts_free(kv_scripts *s)
{
    if (!s)
        return;
    clear(s);
    kv_fnreg_free(s->fn);
    free(s->tab);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* The first hex digits are as good a hash as any. */
static size_t slot(const kv_scripts *s, const char *sha)
{
    size_t h = 0;
    int i;
    for (i = 0; i < 12; i++)
        h = h * 16 + (size_t)(isdigit((unsigned char)sha[i]) ? sha[i] - '0'
                                                             : (tolower((unsigned char)sha[i]) - 'a' + 10));
    return h & (s->cap - 1);
}

static int valid(const char *sha, size_t n)
{
    size_t i;
    if (n != 40)
        return 0;
    for (i = 0; i < 40; i++)
        if (!isxdigit((unsigned char)sha[i]))
            return 0;
    return 1;
}

static entry *find(kv_scripts *s, const char *sha)
{
    entry *e = s->tab[slot(s, sha)];
    for (; e; e = e->next)
        if (!strncasecmp(e->sha, sha, 40))
            return e;
    return NULL;
}

static void grow(kv_scripts *s)
{
    entry **old = s->tab;
    size_t oc = s->cap, i;
    s->cap *= 2;
    if (!(s->tab = calloc(s->cap, sizeof *s->tab)))
        abort();
    for (i = 0; i < oc; i++) {
        entry *e = old[i], *next;
        for (; e; e = next) {
            size_t k = slot(s, e->sha);
            next = e->next;
            e->next = s->tab[k];
            s->tab[k] = e;
        }
    }
    free(old);
}

void kv_scripts_add(kv_scripts *s, const char *sha, const char *body, size_t n)
{
    entry *e;
    size_t k;
    pthread_mutex_lock(&s->mu);
    if (!find(s, sha)) {
        if (s->count >= s->cap)
            grow(s);
        if (!(e = malloc(sizeof *e)) || !(e->body = malloc(n ? n : 1)))
            abort();
        memcpy(e->sha, sha, 40);
        e->sha[40] = '\0';
        memcpy(e->body, body, n);
        e->n = n;
        k = slot(s, sha);
        e->next = s->tab[k];
        s->tab[k] = e;
        s->count++;
        s->bytes += n;
    }
    pthread_mutex_unlock(&s->mu);
}

char *kv_scripts_get(kv_scripts *s, const char *sha, size_t shalen, size_t *n)
{
    entry *e;
    char *copy = NULL;
    if (!valid(sha, shalen))
        return NULL;
    pthread_mutex_lock(&s->mu);
    if ((e = find(s, sha))) {
        if (!(copy = malloc(e->n ? e->n : 1)))
            abort();
        memcpy(copy, e->body, e->n);
        *n = e->n;
    }
    pthread_mutex_unlock(&s->mu);
    return copy;
}

int kv_scripts_exists(kv_scripts *s, const char *sha, size_t shalen)
{
    int found;
    if (!valid(sha, shalen))
        return 0;
    pthread_mutex_lock(&s->mu);
    found = find(s, sha) != NULL;
    pthread_mutex_unlock(&s->mu);
    return found;
}

void kv_scripts_flush(kv_scripts *s)
{
    pthread_mutex_lock(&s->mu);
    clear(s);
    s->gen++;
    pthread_mutex_unlock(&s->mu);
}

unsigned long long kv_scripts_gen(kv_scripts *s)
{
    unsigned long long g;
    pthread_mutex_lock(&s->mu);
    g = s->gen;
    pthread_mutex_unlock(&s->mu);
    return g;
}

void kv_scripts_set_busy(kv_scripts *s, int shard, int busy, int wrote)
{
    if (shard < 0 || shard >= KV_SCRIPT_MAX_SHARDS)
        return;
    kv_atomic_store_seqcst(&s->shard[shard].wrote, wrote);
    kv_atomic_store_seqcst(&s->shard[shard].busy, busy);
    if (!busy)
        kv_atomic_store_seqcst(&s->shard[shard].kill, 0);
}

int kv_scripts_busy(kv_scripts *s, int *wrote)
{
    int i;
    for (i = 0; i < KV_SCRIPT_MAX_SHARDS; i++)
        if (kv_atomic_load_seqcst(&s->shard[i].busy)) {
            if (wrote)
                *wrote = kv_atomic_load_seqcst(&s->shard[i].wrote);
            return i;
        }
    return -1;
}

int kv_scripts_kill_kind(kv_scripts *s, int functions, int *other, int *unkillable)
{
    int i, n = 0;
    *other = *unkillable = 0;
    for (i = 0; i < KV_SCRIPT_MAX_SHARDS; i++) {
        if (!kv_atomic_load_seqcst(&s->shard[i].busy))
            continue;
        if (!kv_fnreg_running(kv_scripts_functions(s), i) != !functions) {
            (*other)++;
            continue;
        }
        n++;
        if (kv_atomic_load_seqcst(&s->shard[i].wrote))
            (*unkillable)++;
        else
            kv_atomic_store_seqcst(&s->shard[i].kill, 1);
    }
    return n;
}

int kv_scripts_killed(kv_scripts *s, int shard)
{
    return shard >= 0 && shard < KV_SCRIPT_MAX_SHARDS &&
           kv_atomic_load_seqcst(&s->shard[shard].kill);
}

void kv_scripts_stats(kv_scripts *s, long long *count, long long *bytes)
{
    pthread_mutex_lock(&s->mu);
    *count = (long long)s->count;
    *bytes = (long long)s->bytes;
    pthread_mutex_unlock(&s->mu);
}
