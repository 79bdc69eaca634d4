/* Skiplist + dict encoding of sorted sets (see t_zset_sl.h). A node is one
 * allocation: dict link, score, backward link, member length, level, then
 * `level` forward links, level-1 spans (level 0's span is implicit: 1 to a
 * next node, 0 at the tail) and the member bytes. Spans count how many
 * elements a link jumps over, so walking down from the top gives ranks. */
#include "store/t_zset_sl.h"

#include <string.h>

#include "store/mem.h"
#include "store/siphash.h"

#define ZSL_MAXLEVEL 32
#define ZSL_P 0.25

struct kv_zsl_node {
    kv_dnode link; /* first: the dict hands back kv_dnode pointers */
    double score;
    struct kv_zsl_node *back;
    uint32_t mlen;
    uint8_t level;
    struct kv_zsl_node *fwd[]; /* [level], then spans and member bytes */
};

#define NODE_HDR offsetof(kv_zsl_node, fwd)

struct kv_zsl {
    kv_dict dict;
    kv_zsl_node *head; /* ZSL_MAXLEVEL levels, no member */
    kv_zsl_node *tail;
    size_t length;
    size_t bytes; /* allocator chunks of the nodes */
    int level;
    uint64_t rng;
};

/* ------------------------------------------------------------- nodes */

static size_t *spans(const kv_zsl_node *x)
{
    /* spans[i] for 1 <= i < level; index 0 is never read. */
    return (size_t *)(uintptr_t)(x->fwd + x->level) - 1;
}

static size_t span(const kv_zsl_node *x, int i)
{
    if (i == 0)
        return x->fwd[0] != NULL;
    return spans(x)[i];
}

static void set_span(kv_zsl_node *x, int i, size_t v)
{
    if (i > 0)
        spans(x)[i] = v;
}

static char *mbytes(const kv_zsl_node *x)
{
    return (char *)(uintptr_t)(spans(x) + x->level);
}

static size_t node_size(int level, size_t mlen)
{
    return NODE_HDR + (size_t)level * sizeof(kv_zsl_node *) +
           (size_t)(level - 1) * sizeof(size_t) + mlen;
}

static kv_zsl_node *node_new(int level, double score, const char *m, size_t n)
{
    kv_zsl_node *x = (kv_zsl_node *)kv_xmalloc(node_size(level, n));
    int i;
    x->link.next = NULL;
    x->score = score;
    x->back = NULL;
    x->mlen = (uint32_t)n;
    x->level = (uint8_t)level;
    for (i = 0; i < level; i++) {
        x->fwd[i] = NULL;
        set_span(x, i, 0);
    }
    if (n)
        memcpy(mbytes(x), m, n);
    return x;
}

const char *kv_zsl_member(const kv_zsl_node *x, size_t *n)
{
    *n = x->mlen;
    return mbytes(x);
}

double kv_zsl_score(const kv_zsl_node *x) { return x->score; }
kv_zsl_node *kv_zsl_next(const kv_zsl_node *x) { return x->fwd[0]; }
kv_zsl_node *kv_zsl_prev(const kv_zsl_node *x) { return x->back; }
kv_zsl_node *kv_zsl_first(const kv_zsl *z) { return z->head->fwd[0]; }
kv_zsl_node *kv_zsl_last(const kv_zsl *z) { return z->tail; }
size_t kv_zsl_len(const kv_zsl *z) { return z->length; }

/* memcmp order, the shorter string first on a common prefix (sdscmp). */
static int mcmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c)
        return c;
    return an < bn ? -1 : an > bn;
}

/* 1 if node x sorts before (score, m). */
static int before(const kv_zsl_node *x, double score, const char *m, size_t n)
{
    return x->score < score || (x->score == score && mcmp(mbytes(x), x->mlen, m, n) < 0);
}

/* --------------------------------------------------------------- dict */

static uint64_t node_hash(const kv_dnode *d, const uint8_t seed[16])
{
    const kv_zsl_node *x = (const kv_zsl_node *)d;
    return kv_siphash(mbytes(x), x->mlen, seed);
}

static int node_eq(const kv_dnode *d, const void *key, size_t klen)
{
    const kv_zsl_node *x = (const kv_zsl_node *)d;
    return x->mlen == klen && memcmp(mbytes(x), key, klen) == 0;
}

static const kv_dict_type zsl_dict_type = {node_hash, node_eq};

/* -------------------------------------------------------------- lists */

kv_zsl *kv_zsl_new(const uint8_t seed[16])
{
    kv_zsl *z = (kv_zsl *)kv_xmalloc(sizeof *z);
    kv_dict_init(&z->dict, &zsl_dict_type, seed);
    z->head = node_new(ZSL_MAXLEVEL, 0, NULL, 0);
    z->tail = NULL;
    z->length = 0;
    z->bytes = kv_mem_chunk(sizeof *z) + kv_mem_chunk(node_size(ZSL_MAXLEVEL, 0));
    z->level = 1;
    z->rng = kv_siphash(&z, sizeof z, seed);
    return z;
}

static void free_node(kv_dnode *d, void *arg)
{
    (void)arg;
    free(d);
}

void kv_zsl_free(kv_zsl *z)
{
    if (!z)
        return;
    kv_dict_clear(&z->dict, free_node, NULL);
    free(z->head);
    free(z);
}

size_t kv_zsl_mem(const kv_zsl *z)
{
    return z->bytes + kv_mem_chunk(kv_dict_buckets(&z->dict) * sizeof(kv_dnode *));
}

/* Level k with probability ZSL_P^(k-1)(1-ZSL_P), as Redis draws it. */
static int random_level(kv_zsl *z)
{
    int level = 1;
    while (level < ZSL_MAXLEVEL &&
           (kv_dict_rng_next(&z->rng) & 0xFFFF) < (uint64_t)(ZSL_P * 0xFFFF))
        level++;
    return level;
}

/* Link x (score and member set) where it belongs. */
static void link_node(kv_zsl *z, kv_zsl_node *x)
{
    kv_zsl_node *update[ZSL_MAXLEVEL], *p = z->head;
    size_t rank[ZSL_MAXLEVEL];
    int i, lvl = x->level;
    for (i = z->level - 1; i >= 0; i--) {
        rank[i] = i == z->level - 1 ? 0 : rank[i + 1];
        while (p->fwd[i] && before(p->fwd[i], x->score, mbytes(x), x->mlen)) {
            rank[i] += span(p, i);
            p = p->fwd[i];
        }
        update[i] = p;
    }
    if (lvl > z->level) {
        for (i = z->level; i < lvl; i++) {
            rank[i] = 0;
            update[i] = z->head;
            set_span(z->head, i, z->length);
        }
        z->level = lvl;
    }
    for (i = 0; i < lvl; i++) {
        x->fwd[i] = update[i]->fwd[i];
        update[i]->fwd[i] = x;
        set_span(x, i, span(update[i], i) - (rank[0] - rank[i]));
        set_span(update[i], i, rank[0] - rank[i] + 1);
    }
    for (i = lvl; i < z->level; i++)
        set_span(update[i], i, span(update[i], i) + 1);
    x->back = update[0] == z->head ? NULL : update[0];
    if (x->fwd[0])
        x->fwd[0]->back = x;
    else
        z->tail = x;
    z->length++;
}

/* Find the predecessors of x at every level. */
static void find_update(const kv_zsl *z, const kv_zsl_node *x, kv_zsl_node **update)
{
    kv_zsl_node *p = z->head;
    int i;
    for (i = z->level - 1; i >= 0; i--) {
        while (p->fwd[i] && p->fwd[i] != x && before(p->fwd[i], x->score, mbytes(x), x->mlen))
            p = p->fwd[i];
        update[i] = p;
    }
}

/* Unlink x given its predecessors (they stay valid for x's successor). */
static void unlink_node(kv_zsl *z, kv_zsl_node *x, kv_zsl_node **update)
{
    int i;
    for (i = 0; i < z->level; i++) {
        if (update[i]->fwd[i] == x) {
            if (i > 0)
                set_span(update[i], i, span(update[i], i) + span(x, i) - 1);
            update[i]->fwd[i] = x->fwd[i];
        } else {
            set_span(update[i], i, span(update[i], i) - 1);
        }
    }
    if (x->fwd[0])
        x->fwd[0]->back = x->back;
    else
        z->tail = x->back;
    while (z->level > 1 && z->head->fwd[z->level - 1] == NULL)
        z->level--;
    z->length--;
}

kv_zsl_node *kv_zsl_find(const kv_zsl *z, const char *m, size_t n)
{
    uint64_t h = kv_dict_hash(&z->dict, m, n);
    return (kv_zsl_node *)kv_dict_find_ro(&z->dict, m, n, h);
}

kv_zsl_node *kv_zsl_insert(kv_zsl *z, double score, const char *m, size_t n)
{
    int level = random_level(z);
    kv_zsl_node *x = node_new(level, score, m, n);
    link_node(z, x);
    kv_dict_add(&z->dict, &x->link, kv_dict_hash(&z->dict, m, n));
    z->bytes += kv_mem_chunk(node_size(level, n));
    return x;
}

void kv_zsl_update(kv_zsl *z, kv_zsl_node *x, double score)
{
    kv_zsl_node *update[ZSL_MAXLEVEL];
    /* Still between its neighbours: only the score changes. */
    if ((x->back == NULL || x->back->score < score ||
         (x->back->score == score && mcmp(mbytes(x->back), x->back->mlen, mbytes(x), x->mlen) < 0)) &&
        (x->fwd[0] == NULL || x->fwd[0]->score > score ||
         (x->fwd[0]->score == score && mcmp(mbytes(x->fwd[0]), x->fwd[0]->mlen, mbytes(x), x->mlen) > 0))) {
        x->score = score;
        return;
    }
    find_update(z, x, update);
    unlink_node(z, x, update);
    x->score = score;
    link_node(z, x);
}

static void delete_node(kv_zsl *z, kv_zsl_node *x, kv_zsl_node **update)
{
    unlink_node(z, x, update);
    kv_dict_unlink(&z->dict, mbytes(x), x->mlen, kv_dict_hash(&z->dict, mbytes(x), x->mlen));
    z->bytes -= kv_mem_chunk(node_size(x->level, x->mlen));
    free(x);
}

void kv_zsl_delete(kv_zsl *z, kv_zsl_node *x)
{
    kv_zsl_node *update[ZSL_MAXLEVEL];
    find_update(z, x, update);
    delete_node(z, x, update);
}

/* ------------------------------------------------------------- ranks */

size_t kv_zsl_rank(const kv_zsl *z, const kv_zsl_node *x)
{
    const kv_zsl_node *p = z->head;
    size_t rank = 0;
    int i;
    for (i = z->level - 1; i >= 0; i--) {
        while (p->fwd[i] && (p->fwd[i] == x || before(p->fwd[i], x->score, mbytes(x), x->mlen))) {
            rank += span(p, i);
            p = p->fwd[i];
            if (p == x)
                return rank;
        }
    }
    return 0;
}

kv_zsl_node *kv_zsl_at(const kv_zsl *z, size_t rank)
{
    kv_zsl_node *p = z->head;
    size_t seen = 0;
    int i;
    if (rank == 0 || rank > z->length)
        return NULL;
    for (i = z->level - 1; i >= 0; i--) {
        while (p->fwd[i] && seen + span(p, i) <= rank) {
            seen += span(p, i);
            p = p->fwd[i];
        }
        if (seen == rank)
            return p;
    }
    return NULL;
}

/* ------------------------------------------------------------- ranges */

/* Redis's zslIsInRange / zslIsInLexRange: the range is not empty, the
 * last element is >= min and the first <= max. */
static int may_match(const kv_zsl *z, const kv_zrange *r)
{
    return !kv_zrange_empty(r) && z->tail && kv_zrange_gte_min(z->tail->score, r) &&
           kv_zrange_lte_max(z->head->fwd[0]->score, r);
}

static int lex_may_match(const kv_zsl *z, const kv_zlex *r)
{
    const kv_zsl_node *f = z->head->fwd[0];
    return !kv_zlex_empty(r) && z->tail && kv_zlex_gte_min(mbytes(z->tail), z->tail->mlen, r) &&
           kv_zlex_lte_max(mbytes(f), f->mlen, r);
}

kv_zsl_node *kv_zsl_first_in(const kv_zsl *z, const kv_zrange *r)
{
    kv_zsl_node *p = z->head;
    int i;
    if (!may_match(z, r))
        return NULL;
    for (i = z->level - 1; i >= 0; i--)
        while (p->fwd[i] && !kv_zrange_gte_min(p->fwd[i]->score, r))
            p = p->fwd[i];
    p = p->fwd[0];
    return p && kv_zrange_lte_max(p->score, r) ? p : NULL;
}

kv_zsl_node *kv_zsl_last_in(const kv_zsl *z, const kv_zrange *r)
{
    kv_zsl_node *p = z->head;
    int i;
    if (!may_match(z, r))
        return NULL;
    for (i = z->level - 1; i >= 0; i--)
        while (p->fwd[i] && kv_zrange_lte_max(p->fwd[i]->score, r))
            p = p->fwd[i];
    return p != z->head && kv_zrange_gte_min(p->score, r) ? p : NULL;
}

kv_zsl_node *kv_zsl_first_in_lex(const kv_zsl *z, const kv_zlex *r)
{
    kv_zsl_node *p = z->head;
    int i;
    if (!lex_may_match(z, r))
        return NULL;
    for (i = z->level - 1; i >= 0; i--)
        while (p->fwd[i] && !kv_zlex_gte_min(mbytes(p->fwd[i]), p->fwd[i]->mlen, r))
            p = p->fwd[i];
    p = p->fwd[0];
    return p && kv_zlex_lte_max(mbytes(p), p->mlen, r) ? p : NULL;
}

kv_zsl_node *kv_zsl_last_in_lex(const kv_zsl *z, const kv_zlex *r)
{
    kv_zsl_node *p = z->head;
    int i;
    if (!lex_may_match(z, r))
        return NULL;
    for (i = z->level - 1; i >= 0; i--)
        while (p->fwd[i] && kv_zlex_lte_max(mbytes(p->fwd[i]), p->fwd[i]->mlen, r))
            p = p->fwd[i];
    return p != z->head && kv_zlex_gte_min(mbytes(p), p->mlen, r) ? p : NULL;
}

size_t kv_zsl_del_rank(kv_zsl *z, size_t start, size_t end)
{
    kv_zsl_node *update[ZSL_MAXLEVEL], *p = z->head;
    size_t seen = 0, removed = 0;
    int i;
    for (i = z->level - 1; i >= 0; i--) {
        while (p->fwd[i] && seen + span(p, i) < start) {
            seen += span(p, i);
            p = p->fwd[i];
        }
        update[i] = p;
    }
    seen++;
    p = p->fwd[0];
    while (p && seen <= end) {
        kv_zsl_node *next = p->fwd[0];
        delete_node(z, p, update);
        removed++;
        seen++;
        p = next;
    }
    return removed;
}

size_t kv_zsl_del_score(kv_zsl *z, const kv_zrange *r)
{
    kv_zsl_node *update[ZSL_MAXLEVEL], *p = z->head;
    size_t removed = 0;
    int i;
    if (kv_zrange_empty(r))
        return 0;
    for (i = z->level - 1; i >= 0; i--) {
        while (p->fwd[i] && !kv_zrange_gte_min(p->fwd[i]->score, r))
            p = p->fwd[i];
        update[i] = p;
    }
    p = p->fwd[0];
    while (p && kv_zrange_lte_max(p->score, r)) {
        kv_zsl_node *next = p->fwd[0];
        delete_node(z, p, update);
        removed++;
        p = next;
    }
    return removed;
}

size_t kv_zsl_del_lex(kv_zsl *z, const kv_zlex *r)
{
    kv_zsl_node *update[ZSL_MAXLEVEL], *p = z->head;
    size_t removed = 0;
    int i;
    if (kv_zlex_empty(r))
        return 0;
    for (i = z->level - 1; i >= 0; i--) {
        while (p->fwd[i] && !kv_zlex_gte_min(mbytes(p->fwd[i]), p->fwd[i]->mlen, r))
            p = p->fwd[i];
        update[i] = p;
    }
    p = p->fwd[0];
    while (p && kv_zlex_lte_max(mbytes(p), p->mlen, r)) {
        kv_zsl_node *next = p->fwd[0];
        delete_node(z, p, update);
        removed++;
        p = next;
    }
    return removed;
}

/* -------------------------------------------------------------- scan */

typedef struct scan_arg {
    void (*fn)(void *arg, const kv_zsl_node *x);
    void *arg;
} scan_arg;

static void scan_one(void *arg, kv_dnode *d)
{
    scan_arg *a = (scan_arg *)arg;
    a->fn(a->arg, (const kv_zsl_node *)d);
}

unsigned long kv_zsl_scan(kv_zsl *z, unsigned long cursor,
                          void (*fn)(void *arg, const kv_zsl_node *x), void *arg)
{
    scan_arg a;
    a.fn = fn;
    a.arg = arg;
    return kv_dict_scan(&z->dict, cursor, scan_one, &a);
}
