/* Incrementally rehashed chained hash table (see dict.h). While a rehash runs,
 * nodes live in exactly one of two tables: buckets of table[0] below rehashidx
 * are empty, everything else is where its hash says in the table it is in.
 * Every lookup, add and unlink moves one bucket, so resizes cost O(1) each. */
#include "store/dict.h"

#include <limits.h>
#include <string.h>

#include "store/mem.h"
#include "store/siphash.h"

#define DICT_MIN_EXP 2                 /* 4 buckets, like Redis */
#define DICT_MIN_FILL_PERCENT 10       /* shrink below this load */
#define DICT_FAIR_SAMPLE 20

static size_t tsize(const kv_dict *d, int t)
{
    return d->exp[t] < 0 ? 0 : (size_t)1 << d->exp[t];
}

static int rehashing(const kv_dict *d)
{
    return d->rehashidx != -1;
}

uint64_t kv_dict_rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void kv_dict_init(kv_dict *d, const kv_dict_type *t, const uint8_t seed[16])
{
    d->type = t;
    d->table[0] = d->table[1] = NULL;
    d->used[0] = d->used[1] = 0;
    d->rehashidx = -1;
    d->pause = 0;
    d->exp[0] = d->exp[1] = -1;
    d->capped = 0;
    if (seed)
        memcpy(d->seed, seed, 16);
    else
        memset(d->seed, 0, 16);
}

uint64_t kv_dict_hash(const kv_dict *d, const void *key, size_t klen)
{
    return kv_siphash(key, klen, d->seed);
}

size_t kv_dict_size(const kv_dict *d)
{
    return d->used[0] + d->used[1];
}

int kv_dict_is_rehashing(const kv_dict *d)
{
    return rehashing(d);
}

size_t kv_dict_buckets(const kv_dict *d)
{
    return tsize(d, 0) + tsize(d, 1);
}

static void shrink_if_needed(kv_dict *d);

/* Move up to n non-empty buckets from table[0] to table[1]; visiting more
 * than 10*n empty buckets ends the step early so one call stays cheap. */
static int rehash(kv_dict *d, int n)
{
    size_t empty_visits = (size_t)(n > 0 ? n : 1) * 10;
    size_t mask1;

    if (!rehashing(d))
        return 0;
    mask1 = tsize(d, 1) - 1;
    while (n-- > 0 && d->used[0] != 0) {
        kv_dnode *node;
        while (d->table[0][d->rehashidx] == NULL) {
            d->rehashidx++;
            if (--empty_visits == 0)
                return 1;
        }
        node = d->table[0][d->rehashidx];
        while (node) {
            kv_dnode *next = node->next;
            size_t idx = (size_t)d->type->hash_node(node, d->seed) & mask1;
            node->next = d->table[1][idx];
            d->table[1][idx] = node;
            d->used[0]--;
            d->used[1]++;
            node = next;
        }
        d->table[0][d->rehashidx] = NULL;
        d->rehashidx++;
    }
    if (d->used[0] == 0) {
        free(d->table[0]);
        d->table[0] = d->table[1];
        d->used[0] = d->used[1];
        d->exp[0] = d->exp[1];
        d->table[1] = NULL;
        d->used[1] = 0;
        d->exp[1] = -1;
        d->rehashidx = -1;
        /* Deletes made during the rehash could not shrink; check now. */
        shrink_if_needed(d);
        return rehashing(d);
    }
    return 1;
}

int kv_dict_rehash_step(kv_dict *d, int nbuckets)
{
    if (d->pause > 0)
        return rehashing(d);
    return rehash(d, nbuckets);
}

static void step_if_rehashing(kv_dict *d)
{
    if (d->pause == 0 && rehashing(d))
        rehash(d, 1);
}

/* Start moving to a table of the smallest power of two >= max(want, 4). */
static void resize(kv_dict *d, size_t want)
{
    int e = DICT_MIN_EXP;
    kv_dnode **t;

    while (e < (int)(sizeof(size_t) * CHAR_BIT - 2) && ((size_t)1 << e) < want)
        e++;
    if (rehashing(d) || e == d->exp[0])
        return;
    t = (kv_dnode **)kv_xcalloc((size_t)1 << e, sizeof *t);
    if (d->table[0] == NULL) {
        d->table[0] = t;
        d->exp[0] = (signed char)e;
        return;
    }
    d->table[1] = t;
    d->exp[1] = (signed char)e;
    d->rehashidx = 0;
}

static void expand_if_needed(kv_dict *d)
{
    if (rehashing(d))
        return;
    if (d->table[0] == NULL)
        resize(d, 4);
    else if (d->used[0] >= tsize(d, 0) && d->pause == 0 &&
             (!d->capped || d->used[0] * 1000 > tsize(d, 0) * 1618))
        resize(d, d->used[0] + 1);
}

static void shrink_if_needed(kv_dict *d)
{
    size_t size = tsize(d, 0);
    if (rehashing(d) || d->pause > 0)
        return;
    if (size > ((size_t)1 << DICT_MIN_EXP) &&
        d->used[0] * 100 < size * DICT_MIN_FILL_PERCENT)
        resize(d, d->used[0]);
}

/* The address of the link that points at the bucket for `hash` in table t,
 * or NULL when that bucket cannot hold anything (no table, or already moved). */
static kv_dnode *const *bucket_ro(const kv_dict *d, int t, uint64_t hash)
{
    size_t idx;
    if (d->table[t] == NULL)
        return NULL;
    idx = (size_t)hash & (tsize(d, t) - 1);
    if (t == 0 && rehashing(d) && idx < (size_t)d->rehashidx)
        return NULL;
    return &d->table[t][idx];
}

static kv_dnode **bucket_of(kv_dict *d, int t, uint64_t hash)
{
    size_t idx;
    if (d->table[t] == NULL)
        return NULL;
    idx = (size_t)hash & (tsize(d, t) - 1);
    if (t == 0 && rehashing(d) && idx < (size_t)d->rehashidx)
        return NULL;
    return &d->table[t][idx];
}

kv_dnode *kv_dict_find_ro(const kv_dict *d, const void *key, size_t klen, uint64_t hash)
{
    int t;
    for (t = 0; t < 2; t++) {
        kv_dnode *const *b = bucket_ro(d, t, hash);
        kv_dnode *n;
        if (b)
            for (n = *b; n; n = n->next)
                if (d->type->node_eq(n, key, klen))
                    return n;
        if (!rehashing(d))
            break;
    }
    return NULL;
}

kv_dnode *kv_dict_find(kv_dict *d, const void *key, size_t klen, uint64_t hash)
{
    if (kv_dict_size(d) == 0)
        return NULL;
    step_if_rehashing(d);
    return kv_dict_find_ro(d, key, klen, hash);
}

size_t kv_dict_peek(const kv_dict *d, const kv_dnode **out, size_t count)
{
    size_t stored = 0, total = kv_dict_size(d), nb = kv_dict_buckets(d), stride, i;
    if (total == 0 || count == 0)
        return 0;
    stride = total <= count ? 1 : nb / count;
    if (stride == 0)
        stride = 1;
    for (i = 0; i < nb && stored < count; i += stride) {
        int t = i < tsize(d, 0) ? 0 : 1;
        const kv_dnode *n = d->table[t][t == 0 ? i : i - tsize(d, 0)];
        for (; n && stored < count; n = n->next)
            out[stored++] = n;
    }
    return stored;
}

void kv_dict_add(kv_dict *d, kv_dnode *n, uint64_t hash)
{
    int t;
    size_t idx;
    step_if_rehashing(d);
    expand_if_needed(d);
    t = rehashing(d) ? 1 : 0;
    idx = (size_t)hash & (tsize(d, t) - 1);
    n->next = d->table[t][idx];
    d->table[t][idx] = n;
    d->used[t]++;
}

kv_dnode *kv_dict_unlink(kv_dict *d, const void *key, size_t klen, uint64_t hash)
{
    int t;
    if (kv_dict_size(d) == 0)
        return NULL;
    step_if_rehashing(d);
    for (t = 0; t < 2; t++) {
        kv_dnode **pp = bucket_of(d, t, hash);
        for (; pp && *pp; pp = &(*pp)->next) {
            kv_dnode *n = *pp;
            if (d->type->node_eq(n, key, klen)) {
                *pp = n->next;
                d->used[t]--;
                shrink_if_needed(d);
                return n;
            }
        }
        if (!rehashing(d))
            break;
    }
    return NULL;
}

void kv_dict_replace(kv_dict *d, kv_dnode *old, kv_dnode *repl, uint64_t hash)
{
    int t;
    for (t = 0; t < 2; t++) {
        kv_dnode **pp = bucket_of(d, t, hash);
        for (; pp && *pp; pp = &(*pp)->next) {
            if (*pp == old) {
                repl->next = old->next;
                *pp = repl;
                return;
            }
        }
    }
}

void kv_dict_clear(kv_dict *d, void (*free_node)(kv_dnode *n, void *arg), void *arg)
{
    int t;
    for (t = 0; t < 2; t++) {
        size_t i, size = tsize(d, t);
        if (d->table[t] == NULL)
            continue;
        for (i = 0; i < size && free_node; i++) {
            kv_dnode *n = d->table[t][i];
            while (n) {
                kv_dnode *next = n->next;
                free_node(n, arg);
                n = next;
            }
        }
        free(d->table[t]);
        d->table[t] = NULL;
        d->used[t] = 0;
        d->exp[t] = -1;
    }
    d->rehashidx = -1;
}

static unsigned long rev_bits(unsigned long v)
{
    unsigned s = sizeof(v) * CHAR_BIT;
    unsigned long mask = ~0UL;
    while ((s >>= 1) > 0) {
        mask ^= mask << s;
        v = ((v >> s) & mask) | ((v << s) & ~mask);
    }
    return v;
}

static void scan_bucket(kv_dict *d, int t, size_t idx,
                        void (*fn)(void *arg, kv_dnode *n), void *arg)
{
    kv_dnode *n = d->table[t][idx];
    while (n) {
        kv_dnode *next = n->next;   /* fn may unlink n */
        fn(arg, n);
        n = next;
    }
}

/* The cursor counts with its bits reversed: incrementing the high bits first
 * means a bucket visited in a small table corresponds to all its expansions
 * in a larger one, so growing or shrinking between calls never skips a node. */
unsigned long kv_dict_scan(kv_dict *d, unsigned long v,
                           void (*fn)(void *arg, kv_dnode *n), void *arg)
{
    if (kv_dict_size(d) == 0)
        return 0;
    d->pause++;
    if (!rehashing(d)) {
        unsigned long m0 = (unsigned long)(tsize(d, 0) - 1);
        scan_bucket(d, 0, v & m0, fn, arg);
        v |= ~m0;
        v = rev_bits(v);
        v++;
        v = rev_bits(v);
    } else {
        int small = tsize(d, 0) <= tsize(d, 1) ? 0 : 1, big = 1 - small;
        unsigned long m0 = (unsigned long)(tsize(d, small) - 1);
        unsigned long m1 = (unsigned long)(tsize(d, big) - 1);
        scan_bucket(d, small, v & m0, fn, arg);
        do {
            scan_bucket(d, big, v & m1, fn, arg);
            v |= ~m1;
            v = rev_bits(v);
            v++;
            v = rev_bits(v);
        } while (v & (m0 ^ m1));
    }
    /* Deletes made by fn could not shrink the table while it was paused. */
    if (--d->pause == 0)
        shrink_if_needed(d);
    return v;
}

size_t kv_dict_sample(kv_dict *d, kv_dnode **out, size_t count, uint64_t *rng)
{
    size_t total = kv_dict_size(d), stored = 0, maxsize, maxmask, steps, i, j;
    int t, nt;

    if (count > total)
        count = total;
    if (count == 0)
        return 0;
    for (j = 0; j < count && rehashing(d) && d->pause == 0; j++)
        rehash(d, 1);
    nt = rehashing(d) ? 2 : 1;
    maxsize = tsize(d, 0);
    if (nt == 2 && tsize(d, 1) > maxsize)
        maxsize = tsize(d, 1);
    maxmask = maxsize - 1;
    /* Visiting each index at most once keeps the result free of duplicates. */
    steps = count * 10 < maxsize ? count * 10 : maxsize;
    i = (size_t)kv_dict_rng_next(rng) & maxmask;
    while (stored < count && steps-- > 0) {
        for (t = 0; t < nt; t++) {
            kv_dnode *n;
            if (i >= tsize(d, t) || (t == 0 && nt == 2 && i < (size_t)d->rehashidx))
                continue;
            for (n = d->table[t][i]; n; n = n->next) {
                out[stored++] = n;
                if (stored == count)
                    return stored;
            }
        }
        i = (i + 1) & maxmask;
    }
    return stored;
}

/* Fallback for sparse tables: a random non-empty bucket, then a random node
 * of its chain. */
static kv_dnode *random_by_bucket(kv_dict *d, uint64_t *rng)
{
    kv_dnode *head, *n;
    size_t len = 0, pick;

    step_if_rehashing(d);
    do {
        if (rehashing(d)) {
            size_t s0 = tsize(d, 0), s1 = tsize(d, 1);
            size_t idx = (size_t)d->rehashidx +
                         (size_t)(kv_dict_rng_next(rng) % (s0 + s1 - (size_t)d->rehashidx));
            head = idx >= s0 ? d->table[1][idx - s0] : d->table[0][idx];
        } else {
            head = d->table[0][(size_t)kv_dict_rng_next(rng) & (tsize(d, 0) - 1)];
        }
    } while (head == NULL);
    for (n = head; n; n = n->next)
        len++;
    pick = (size_t)(kv_dict_rng_next(rng) % len);
    for (n = head; pick--; n = n->next)
        ;
    return n;
}

kv_dnode *kv_dict_random(kv_dict *d, uint64_t *rng)
{
    kv_dnode *s[DICT_FAIR_SAMPLE];
    size_t n;

    if (kv_dict_size(d) == 0)
        return NULL;
    n = kv_dict_sample(d, s, DICT_FAIR_SAMPLE, rng);
    if (n > 0)
        return s[kv_dict_rng_next(rng) % n];
    return random_by_bucket(d, rng);
}
