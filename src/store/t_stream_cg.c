/* Consumer groups (t_stream_cg.h): the sorted vectors of groups and
 * consumers, NACK bookkeeping across the two PELs that share each NACK
 * (t_stream_pel.c holds the PELs), and Redis 7.0.15's entries-read and
 * lag estimates. */
#include "store/t_stream_cg.h"

#include <stdlib.h>
#include <string.h>

#include "store/mem.h"

/* Redis's rax order for names: bytewise, a prefix first. */
static int name_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c)
        return c;
    return an < bn ? -1 : an > bn;
}

static char *name_dup(const char *p, size_t n)
{
    char *s = kv_xmalloc(n + 1);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* ---------------------------------------------------------------- NACKs */

kv_snack *kv_scg_nack_add(kv_scg *cg, const kv_sid *id, kv_sconsumer *c, long long now)
{
    kv_snack *nack = kv_xmalloc(sizeof *nack);
    nack->id = *id;
    nack->delivery_time = now;
    nack->delivery_count = 1;
    nack->consumer = c;
    kv_spel_insert(&cg->pel, nack);
    if (c)
        kv_spel_insert(&c->pel, nack);
    return nack;
}

void kv_scg_nack_del(kv_scg *cg, kv_snack *nack)
{
    kv_spel_remove(&cg->pel, nack);
    if (nack->consumer)
        kv_spel_remove(&nack->consumer->pel, nack);
    free(nack);
}

void kv_scg_nack_move(kv_snack *nack, kv_sconsumer *to)
{
    if (nack->consumer == to)
        return;
    if (nack->consumer)
        kv_spel_remove(&nack->consumer->pel, nack);
    kv_spel_insert(&to->pel, nack);
    nack->consumer = to;
}

/* ----------------------------------------------------------- consumers */

/* Index of the first consumer not below name; *found if it is name. */
static size_t cons_lower(const kv_scg *cg, const char *name, size_t n, int *found)
{
    size_t lo = 0, hi = cg->ncons;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (name_cmp(cg->cons[mid]->name, cg->cons[mid]->nlen, name, n) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < cg->ncons && name_cmp(cg->cons[lo]->name, cg->cons[lo]->nlen, name, n) == 0;
    return lo;
}

kv_sconsumer *kv_scg_consumer_find(const kv_scg *cg, const char *name, size_t n)
{
    int found;
    size_t i = cons_lower(cg, name, n, &found);
    return found ? cg->cons[i] : NULL;
}

kv_sconsumer *kv_scg_consumer_create(kv_scg *cg, const char *name, size_t n, long long now)
{
    int found;
    size_t i = cons_lower(cg, name, n, &found);
    kv_sconsumer *c;
    if (found)
        return NULL;
    c = kv_xcalloc(1, sizeof *c);
    c->name = name_dup(name, n);
    c->nlen = n;
    c->seen_time = now;
    c->pel.side = KV_SPEL_CONSUMER;
    if (cg->ncons == cg->ccap) {
        cg->ccap = cg->ccap ? cg->ccap * 2 : 4;
        cg->cons = kv_xrealloc(cg->cons, cg->ccap * sizeof *cg->cons);
    }
    memmove(cg->cons + i + 1, cg->cons + i, (cg->ncons - i) * sizeof *cg->cons);
    cg->cons[i] = c;
    cg->ncons++;
    return c;
}

static void consumer_free(kv_sconsumer *c)
{
    free(c->name);
    free(c);
}

void kv_scg_consumer_delete(kv_scg *cg, kv_sconsumer *c)
{
    int found;
    size_t i = cons_lower(cg, c->name, c->nlen, &found);
    kv_snack *nack;
    /* Its entries leave the group's PEL too, as Redis's streamDelConsumer. */
    while ((nack = kv_spel_first(&c->pel)) != NULL) {
        kv_spel_remove(&c->pel, nack);
        kv_spel_remove(&cg->pel, nack);
        free(nack);
    }
    if (found) {
        memmove(cg->cons + i, cg->cons + i + 1, (cg->ncons - i - 1) * sizeof *cg->cons);
        cg->ncons--;
    }
    consumer_free(c);
}

/* -------------------------------------------------------------- groups */

static size_t cg_lower(const kv_scgroups *g, const char *name, size_t n, int *found)
{
    size_t lo = 0, hi = g->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (name_cmp(g->v[mid]->name, g->v[mid]->nlen, name, n) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < g->n && name_cmp(g->v[lo]->name, g->v[lo]->nlen, name, n) == 0;
    return lo;
}

kv_scg *kv_stream_cg_find(const kv_stream *s, const char *name, size_t n)
{
    int found;
    size_t i;
    if (!s || !s->cgroups)
        return NULL;
    i = cg_lower(kv_stream_cgs(s), name, n, &found);
    return found ? kv_stream_cgs(s)->v[i] : NULL;
}

kv_scg *kv_stream_cg_create(kv_stream *s, const char *name, size_t n, const kv_sid *last,
                            long long entries_read)
{
    kv_scgroups *g;
    kv_scg *cg;
    int found;
    size_t i;
    if (!s->cgroups)
        s->cgroups = kv_xcalloc(1, sizeof(kv_scgroups));
    g = kv_stream_cgs(s);
    i = cg_lower(g, name, n, &found);
    if (found)
        return NULL;
    cg = kv_xcalloc(1, sizeof *cg);
    cg->name = name_dup(name, n);
    cg->nlen = n;
    cg->last_id = *last;
    cg->entries_read = entries_read;
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 4;
        g->v = kv_xrealloc(g->v, g->cap * sizeof *g->v);
    }
    memmove(g->v + i + 1, g->v + i, (g->n - i) * sizeof *g->v);
    g->v[i] = cg;
    g->n++;
    return cg;
}

static void cg_free(kv_scg *cg)
{
    size_t i;
    kv_spel_free_all(&cg->pel);
    for (i = 0; i < cg->ncons; i++)
        consumer_free(cg->cons[i]);
    free(cg->cons);
    free(cg->name);
    free(cg);
}

void kv_stream_cg_destroy(kv_stream *s, kv_scg *cg)
{
    kv_scgroups *g = kv_stream_cgs(s);
    int found;
    size_t i = cg_lower(g, cg->name, cg->nlen, &found);
    if (found) {
        memmove(g->v + i, g->v + i + 1, (g->n - i - 1) * sizeof *g->v);
        g->n--;
    }
    cg_free(cg);
}

void kv_stream_cg_free_all(kv_stream *s)
{
    kv_scgroups *g = kv_stream_cgs(s);
    size_t i;
    if (!g)
        return;
    for (i = 0; i < g->n; i++)
        cg_free(g->v[i]);
    free(g->v);
    free(g);
    s->cgroups = NULL;
}

size_t kv_stream_cg_mem(const kv_stream *s)
{
    const kv_scgroups *g = kv_stream_cgs(s);
    size_t m, i, j;
    if (!g)
        return 0;
    m = kv_mem_chunk(sizeof *g) + (g->cap ? kv_mem_chunk(g->cap * sizeof *g->v) : 0);
    for (i = 0; i < g->n; i++) {
        const kv_scg *cg = g->v[i];
        m += kv_mem_chunk(sizeof *cg) + kv_mem_chunk(cg->nlen + 1);
        m += cg->pel.n * kv_mem_chunk(sizeof(kv_snack)); /* both PELs' links inside */
        if (cg->ccap)
            m += kv_mem_chunk(cg->ccap * sizeof *cg->cons);
        for (j = 0; j < cg->ncons; j++) {
            const kv_sconsumer *c = cg->cons[j];
            m += kv_mem_chunk(sizeof *c) + kv_mem_chunk(c->nlen + 1);
        }
    }
    return m;
}

/* ------------------------------------------------------------- lag */

static int id_zero(const kv_sid *id)
{
    return id->ms == 0 && id->seq == 0;
}

int kv_stream_range_has_tombstones(const kv_stream *s, const kv_sid *start, const kv_sid *end)
{
    static const kv_sid lo = {0, 0}, hi = {UINT64_MAX, UINT64_MAX};
    if (!s->length || id_zero(&s->max_deleted))
        return 0; /* empty, or never an XDEL */
    if (kv_sid_cmp(&s->first_id, &s->max_deleted) > 0)
        return 0; /* the last tombstone is before the first entry */
    if (!start)
        start = &lo;
    if (!end)
        end = &hi;
    return kv_sid_cmp(start, &s->max_deleted) <= 0 && kv_sid_cmp(&s->max_deleted, end) <= 0;
}

long long kv_stream_estimate_read(const kv_stream *s, const kv_sid *id)
{
    int cmp_last, cmp_first;
    if (!s->entries_added)
        return 0; /* never used: every ID counts 0 */
    if (!s->length && kv_sid_cmp(id, &s->last_id) < 1)
        return (long long)s->entries_added;
    cmp_last = kv_sid_cmp(id, &s->last_id);
    if (cmp_last == 0)
        return (long long)s->entries_added;
    if (cmp_last > 0)
        return KV_SCG_INVALID_READ; /* a future ID */
    cmp_first = kv_sid_cmp(id, &s->first_id);
    if (id_zero(&s->max_deleted) || kv_sid_cmp(&s->max_deleted, &s->first_id) < 0) {
        /* no fragmentation ahead */
        if (cmp_first < 0)
            return (long long)(s->entries_added - s->length);
        if (cmp_first == 0)
            return (long long)(s->entries_added - s->length + 1);
    }
    return KV_SCG_INVALID_READ;
}

long long kv_stream_cg_lag(const kv_stream *s, const kv_scg *cg, int *valid)
{
    long long read;
    *valid = 1;
    if (!s->entries_added)
        return 0;
    if (cg->entries_read != KV_SCG_INVALID_READ &&
        !kv_stream_range_has_tombstones(s, &cg->last_id, NULL))
        return (long long)s->entries_added - cg->entries_read;
    read = kv_stream_estimate_read(s, &cg->last_id);
    if (read != KV_SCG_INVALID_READ)
        return (long long)s->entries_added - read;
    *valid = 0;
    return 0;
}

int kv_stream_entry_exists(const kv_stream *s, const kv_sid *id)
{
    kv_sit it;
    kv_sid got;
    long long nf;
    kv_sit_start(&it, s, id, id, 0);
    return kv_sit_next(&it, &got, &nf);
}
