/* Unit tests for the quicklist: node layouts (entries and bytes per node,
 * and a hash of every node's listpack) must equal what Redis 7.0.15 builds
 * for the same commands (captured with DUMP), for pushes, LINSERT splits
 * and merges, big elements and several list-max-listpack-size values; and
 * random edits must agree with a plain array model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/quicklist.h"
#include "test.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* name, fill, node count, FNV-1a over the node listpacks, then per node its
 * entry count and listpack bytes. */
static const struct layout {
    const char *name;
    int fill;
    size_t nodes;
    unsigned long long fnv;
    unsigned sizes[960];
} layouts[] = {
    {"rpush10", -2, 3, 0xb8531c3457869e7cULL, {681, 8179, 681, 8179, 638, 7663}},
    {"lpush10", -2, 3, 0x8eab4c47ec3fa7ccULL, {638, 7663, 681, 8179, 681, 8179}},
    {"ints", -2, 3, 0x57f5851e76659dc5ULL, {1835, 8181, 1635, 8182, 1530, 7657}},
    {"linsert", -2, 5, 0x95a754feccf9d98aULL, {1, 14, 682, 8190, 1, 16, 682, 8184, 640, 7678}},
    {"fill5", 5, 6, 0xd0d8fc3b889a0cf9ULL, {5, 26, 5, 24, 4, 22, 4, 27, 4, 25, 2, 17}},
    {"big", -2, 6, 0x71f67a744b1733a0ULL, {1, 3011, 2, 6015, 1, 9014, 1, 10, 1, 9014, 2, 5017}},
    {"fill0", 0, 5, 0x719723c2819e3d4fULL, {1, 10, 1, 10, 1, 10, 1, 10, 1, 10}},
    {"fill-1", -1, 3, 0x225fdaeb73432d21ULL, {340, 4087, 340, 4087, 320, 3847}},
    {"fill-5", -5, 2, 0x1e8af3a6fc471406ULL, {5460, 65527, 4540, 54487}},
    {"manyinsert", -2, 4, 0x3a70bbc6562f70bdULL, {217, 2486, 640, 7367, 376, 4342, 367, 4273}},
    {"manyinsert5", 5, 480, 0x1e340345a47bcadaULL, {1, 19, 5, 61, 3, 43, 3, 37, 5, 67, 1, 14, 5,
        67, 2, 31, 4, 50, 4, 55, 2, 26, 5, 67, 1, 19, 5, 62, 3, 43, 3, 38, 5, 67, 1, 14, 5, 67, 2, 31, 4,
        50, 4, 55, 2, 26, 5, 67, 1, 19, 5, 62, 3, 43, 3, 38, 5, 67, 1, 14, 5, 67, 2, 31, 4, 50, 4, 55, 2,
        26, 5, 67, 1, 19, 5, 63, 3, 43, 3, 39, 5, 67, 1, 15, 5, 67, 2, 31, 4, 51, 4, 55, 2, 27, 5, 67, 1,
        19, 5, 63, 3, 43, 3, 39, 5, 67, 1, 15, 5, 67, 2, 31, 4, 51, 4, 55, 2, 27, 5, 67, 1, 19, 5, 63, 3,
        43, 3, 39, 5, 67, 1, 15, 5, 67, 2, 31, 4, 51, 4, 55, 2, 27, 5, 67, 1, 19, 5, 63, 3, 43, 3, 39, 5,
        67, 1, 15, 5, 67, 2, 31, 4, 51, 4, 55, 2, 27, 5, 67, 1, 19, 5, 63, 3, 43, 3, 39, 5, 67, 1, 15, 5,
        67, 2, 31, 4, 51, 4, 55, 2, 27, 5, 67, 1, 19, 5, 63, 3, 43, 3, 39, 5, 67, 1, 15, 5, 67, 2, 31, 4,
        51, 4, 55, 2, 27, 5, 67, 1, 19, 5, 63, 3, 43, 3, 39, 5, 67, 1, 15, 5, 67, 2, 31, 4, 51, 4, 55, 2,
        27, 5, 67, 1, 19, 5, 63, 3, 43, 3, 39, 5, 67, 1, 15, 5, 67, 2, 31, 4, 51, 4, 55, 2, 27, 5, 67, 1,
        19, 5, 63, 3, 43, 3, 39, 5, 67, 1, 15, 5, 67, 2, 31, 4, 51, 4, 55, 2, 27, 5, 67, 1, 19, 5, 63, 3,
        43, 3, 39, 5, 67, 1, 15, 5, 67, 2, 31, 4, 51, 4, 55, 2, 27, 5, 67, 1, 19, 5, 63, 3, 43, 3, 39, 5,
        67, 1, 15, 5, 67, 2, 31, 4, 51, 4, 55, 2, 27, 5, 67, 1, 19, 5, 63, 3, 43, 3, 39, 5, 67, 1, 15, 5,
        67, 2, 31, 4, 51, 4, 55, 2, 27, 5, 67, 1, 19, 5, 63, 3, 43, 3, 39, 5, 67, 1, 15, 5, 67, 2, 31, 4,
        51, 4, 55, 2, 27, 5, 67, 1, 19, 5, 63, 3, 43, 3, 39, 5, 67, 1, 15, 5, 67, 2, 31, 4, 51, 4, 55, 2,
        27, 5, 67, 1, 19, 5, 63, 3, 43, 3, 39, 5, 67, 1, 15, 5, 67, 2, 31, 4, 51, 4, 55, 2, 27, 5, 67, 1,
        19, 5, 63, 3, 43, 3, 39, 5, 67, 1, 15, 5, 67, 2, 31, 4, 51, 4, 55, 2, 27, 5, 67, 1, 19, 5, 63, 3,
        43, 3, 39, 5, 67, 1, 15, 5, 67, 2, 31, 4, 51, 4, 55, 2, 27, 5, 67, 1, 19, 5, 63, 3, 43, 3, 39, 5,
        67, 1, 15, 5, 67, 2, 31, 4, 51, 4, 55, 2, 27, 5, 67, 1, 19, 5, 63, 3, 43, 3, 39, 5, 67, 1, 15, 5,
        67, 2, 31, 4, 51, 4, 55, 2, 27, 5, 67, 1, 19, 5, 63, 3, 43, 3, 39, 5, 67, 1, 15, 5, 67, 2, 31, 4,
        51, 4, 55, 2, 27, 5, 67, 1, 19, 5, 63, 3, 43, 3, 39, 5, 67, 1, 15, 5, 67, 2, 31, 4, 51, 4, 55, 2,
        27, 5, 67, 1, 19, 5, 63, 3, 43, 3, 39, 5, 67, 1, 15, 5, 67, 2, 31, 4, 51, 4, 55, 2, 27, 5, 67, 1,
        19, 5, 63, 3, 43, 3, 39, 5, 67, 1, 15, 5, 67, 2, 31, 4, 51, 4, 55, 2, 27, 5, 67, 1, 19, 5, 63, 3,
        43, 3, 39, 5, 67, 1, 15, 5, 67, 2, 31, 4, 51, 4, 55, 2, 27, 5, 67, 1, 19, 5, 63, 3, 43, 3, 39, 5,
        67, 1, 15, 5, 67, 2, 31, 4, 51, 4, 55, 2, 27, 5, 67, 1, 19, 5, 63, 3, 43, 3, 39, 5, 67, 1, 15, 5,
        67, 2, 31, 4, 52, 4, 55, 2, 28, 5, 67, 1, 19, 5, 64, 3, 43, 3, 40, 5, 67, 1, 16, 5, 67, 2, 31, 4,
        52, 4, 55, 2, 28, 5, 67, 1, 19, 5, 64, 3, 43, 3, 40, 5, 67, 1, 16, 5, 67, 2, 31, 4, 52, 4, 55, 2,
        28, 5, 67, 1, 19, 5, 64, 3, 43, 3, 40, 5, 67, 1, 16, 5, 67, 2, 31, 4, 52, 4, 55, 2, 28, 5, 67, 1,
        19, 5, 64, 3, 43, 3, 40, 5, 67, 1, 16, 5, 67, 2, 31, 4, 52, 4, 55, 2, 28, 5, 67, 1, 19, 5, 64, 3,
        43, 3, 40, 5, 67, 1, 16, 5, 67, 2, 31, 4, 52, 4, 55, 2, 28, 5, 67, 1, 19, 5, 64, 3, 43, 3, 40, 5,
        67, 1, 16, 5, 67, 2, 31, 4, 52, 4, 55, 2, 28, 5, 67, 1, 19, 5, 64, 3, 43, 3, 40, 5, 67, 1, 16, 5,
        67, 2, 31, 4, 52, 4, 55, 2, 28, 5, 67, 1, 19, 5, 64, 3, 43, 3, 40, 5, 67, 1, 16, 5, 67, 2, 31, 4,
        52, 4, 55, 2, 28, 5, 67, 1, 19, 5, 64, 3, 43, 3, 40, 5, 67, 1, 16, 5, 67, 2, 31, 4, 52, 4, 55, 2,
        28, 5, 67, 1, 19, 5, 64, 3, 43, 3, 40, 5, 67, 1, 16, 5, 67, 2, 31, 4, 52, 4, 55, 2, 28, 5, 67, 1,
        19, 5, 64, 3, 43, 3, 40, 5, 67, 1, 16, 5, 67, 2, 31, 4, 52, 4, 55, 2, 28, 5, 67}},
    {"manyinsert-1", -1, 7, 0xbecdda0b294a5eeaULL, {209, 2394, 232, 2675, 344, 3963, 96, 1111, 320,
        3694, 328, 3820, 71, 832}},
};

static void push(kv_quicklist *ql, int fill, const char *s, int where)
{
    kv_ql_push(ql, fill, s, strlen(s), where);
}

static void pushf(kv_quicklist *ql, int fill, int where, const char *fmt, long i)
{
    char b[32];
    snprintf(b, sizeof b, fmt, i);
    push(ql, fill, b, where);
}

static void pushn(kv_quicklist *ql, int fill, int c, size_t n, int where)
{
    char *s = (char *)malloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    push(ql, fill, s, where);
    free(s);
}

/* LINSERT: 1 if the pivot was found. */
static int linsert(kv_quicklist *ql, int fill, int after, const char *pivot, const char *s)
{
    kv_qliter it;
    kv_lpval v;
    kv_ql_iter_at(&it, ql, 0, KV_QL_HEAD);
    while (kv_ql_next(&it, &v)) {
        if (kv_lp_equal(it.node->lp + it.off, pivot, strlen(pivot))) {
            kv_ql_iter_insert(&it, fill, s, strlen(s), after);
            return 1;
        }
    }
    return 0;
}

static void lrem_all(kv_quicklist *ql, const char *s)
{
    kv_qliter it;
    kv_lpval v;
    kv_ql_iter_at(&it, ql, 0, KV_QL_HEAD);
    while (kv_ql_next(&it, &v))
        if (kv_lp_equal(it.node->lp + it.off, s, strlen(s)))
            kv_ql_iter_delete(&it);
}

/* LTRIM with Redis's index rules. */
static void ltrim(kv_quicklist *ql, long start, long end)
{
    long len = (long)kv_ql_count(ql), l, r;
    if (start < 0)
        start += len;
    if (end < 0)
        end += len;
    if (start < 0)
        start = 0;
    if (start > end || start >= len) {
        l = len;
        r = 0;
    } else {
        if (end >= len)
            end = len - 1;
        l = start;
        r = len - end - 1;
    }
    kv_ql_del_range(ql, 0, (size_t)l);
    kv_ql_del_range(ql, (size_t)(len - l - r), (size_t)r);
}

static void scenario(kv_quicklist *ql, const char *name, int fill)
{
    char a[32], b[32];
    long i;
    if (!strcmp(name, "rpush10") || !strcmp(name, "linsert")) {
        for (i = 0; i < 2000; i++)
            pushf(ql, fill, KV_QL_TAIL, "e%09ld", i);
    }
    if (!strcmp(name, "lpush10"))
        for (i = 0; i < 2000; i++)
            pushf(ql, fill, KV_QL_HEAD, "e%09ld", i);
    if (!strcmp(name, "ints"))
        for (i = 0; i < 5000; i++)
            pushf(ql, fill, KV_QL_TAIL, "%ld", i * 37);
    if (!strcmp(name, "linsert")) {
        CHECK(linsert(ql, fill, 0, "e000000300", "NEWBEFORE"));
        CHECK(linsert(ql, fill, 1, "e000000680", "TAILNEW"));
        CHECK(linsert(ql, fill, 1, "e000001000", "MID"));
        CHECK(linsert(ql, fill, 0, "e000001362", "HEADNEW"));
        CHECK(linsert(ql, fill, 0, "e000000000", "FIRST"));
        CHECK(linsert(ql, fill, 1, "e000001999", "LAST"));
    }
    if (!strcmp(name, "fill5")) {
        for (i = 0; i < 23; i++)
            pushf(ql, fill, KV_QL_TAIL, "a%ld", i);
        CHECK(linsert(ql, fill, 0, "a7", "X"));
        CHECK(linsert(ql, fill, 1, "a4", "Y"));
        CHECK(linsert(ql, fill, 0, "a5", "Z"));
        lrem_all(ql, "a11");
        lrem_all(ql, "a12");
        lrem_all(ql, "a13");
        CHECK(linsert(ql, fill, 1, "a16", "W"));
        CHECK(linsert(ql, fill, 0, "a10", "V"));
        ltrim(ql, 1, -2);
        CHECK(linsert(ql, fill, 1, "a2", "U"));
    }
    if (!strcmp(name, "big")) {
        pushn(ql, fill, 'x', 9000, KV_QL_TAIL);
        push(ql, fill, "y", KV_QL_TAIL);
        pushn(ql, fill, 'x', 9000, KV_QL_TAIL);
        pushn(ql, fill, 'z', 5000, KV_QL_TAIL);
        push(ql, fill, "w", KV_QL_TAIL);
        for (i = 0; i < 3; i++)
            pushn(ql, fill, 'h', 3000, KV_QL_HEAD);
    }
    if (!strcmp(name, "fill0")) {
        push(ql, fill, "a", KV_QL_TAIL);
        push(ql, fill, "b", KV_QL_TAIL);
        push(ql, fill, "c", KV_QL_TAIL);
        CHECK(linsert(ql, fill, 0, "b", "X"));
        CHECK(linsert(ql, fill, 1, "c", "Y"));
    }
    if (!strcmp(name, "fill-1"))
        for (i = 0; i < 1000; i++)
            pushf(ql, fill, KV_QL_TAIL, "e%09ld", i);
    if (!strcmp(name, "fill-5"))
        for (i = 0; i < 10000; i++)
            pushf(ql, fill, KV_QL_TAIL, "e%09ld", i);
    if (!strncmp(name, "manyinsert", 10)) {
        for (i = 0; i < 1400; i++)
            pushf(ql, fill, KV_QL_TAIL, "e%09ld", i);
        for (i = 0; i < 1400; i += 7) {
            snprintf(a, sizeof a, "e%09ld", i);
            snprintf(b, sizeof b, "ins%ld", i);
            CHECK(linsert(ql, fill, 1, a, b));
        }
    }
}

static unsigned long long fnv1a(unsigned long long h, const unsigned char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Structure invariants: links, counts, valid non-empty listpacks. */
static int consistent(const kv_quicklist *ql)
{
    const kv_qlnode *n, *prev = NULL;
    size_t count = 0, nodes = 0;
    for (n = ql->head; n; prev = n, n = n->next) {
        if (n->prev != prev || n->count == 0 || kv_lp_count(n->lp) != n->count ||
            !kv_lp_validate(n->lp, kv_lp_bytes(n->lp)))
            return 0;
        count += n->count;
        nodes++;
    }
    return ql->tail == prev && count == ql->count && nodes == ql->nodes;
}

static void test_redis_layouts(void)
{
    size_t i, k;
    for (i = 0; i < NELEM(layouts); i++) {
        const struct layout *L = &layouts[i];
        kv_quicklist *ql = kv_ql_new();
        const kv_qlnode *n;
        unsigned long long h = 0xcbf29ce484222325ULL;
        int same = 1;
        scenario(ql, L->name, L->fill);
        CHECK(consistent(ql));
        for (n = ql->head, k = 0; n; n = n->next, k++) {
            h = fnv1a(h, n->lp, kv_lp_bytes(n->lp));
            if (k >= L->nodes || n->count != L->sizes[2 * k] ||
                kv_lp_bytes(n->lp) != L->sizes[2 * k + 1])
                same = 0;
        }
        if (!same || k != L->nodes || h != L->fnv)
            fprintf(stderr, "  layout %s differs from Redis's (%zu nodes, want %zu)\n",
                    L->name, k, L->nodes);
        CHECK(same && k == L->nodes && h == L->fnv);
        kv_ql_free(ql);
    }
}

/* ------------------------------------------------------------ model */

typedef struct model {
    char **s;
    size_t *n;
    size_t len, cap;
} model;

static void m_insert(model *m, size_t at, const char *s, size_t n)
{
    if (m->len == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->s = (char **)realloc(m->s, m->cap * sizeof *m->s);
        m->n = (size_t *)realloc(m->n, m->cap * sizeof *m->n);
    }
    memmove(m->s + at + 1, m->s + at, (m->len - at) * sizeof *m->s);
    memmove(m->n + at + 1, m->n + at, (m->len - at) * sizeof *m->n);
    m->s[at] = (char *)malloc(n + 1);
    memcpy(m->s[at], s, n);
    m->n[at] = n;
    m->len++;
}

static void m_delete(model *m, size_t at)
{
    free(m->s[at]);
    memmove(m->s + at, m->s + at + 1, (m->len - at - 1) * sizeof *m->s);
    memmove(m->n + at, m->n + at + 1, (m->len - at - 1) * sizeof *m->n);
    m->len--;
}

static int entry_is(const kv_lpval *v, const char *s, size_t n)
{
    char b[32];
    if (v->s)
        return v->n == n && (n == 0 || memcmp(v->s, s, n) == 0);
    return (size_t)snprintf(b, sizeof b, "%lld", v->v) == n && memcmp(b, s, n) == 0;
}

/* Same entries both ways, and a few random lookups by index. */
static int same(kv_quicklist *ql, const model *m)
{
    kv_qliter it;
    kv_lpval v;
    size_t i = 0;
    if (!consistent(ql) || ql->count != m->len)
        return 0;
    kv_ql_iter_at(&it, ql, 0, KV_QL_HEAD);
    for (; kv_ql_next(&it, &v); i++)
        if (i >= m->len || !entry_is(&v, m->s[i], m->n[i]))
            return 0;
    if (i != m->len)
        return 0;
    kv_ql_iter_at(&it, ql, -1, KV_QL_TAIL);
    for (; kv_ql_next(&it, &v); i--)
        if (i == 0 || !entry_is(&v, m->s[i - 1], m->n[i - 1]))
            return 0;
    for (i = 0; i < m->len; i += 1 + m->len / 7) {
        if (!kv_ql_index(ql, (long)i, &v) || !entry_is(&v, m->s[i], m->n[i]))
            return 0;
        if (!kv_ql_index(ql, (long)i - (long)m->len, &v) || !entry_is(&v, m->s[i], m->n[i]))
            return 0;
    }
    return i == 0 || !kv_ql_index(ql, (long)m->len, &v);
}

static unsigned long long rnd(unsigned long long *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void run_model(int fill, unsigned long long seed, int steps)
{
    kv_quicklist *ql = kv_ql_new();
    model m = {NULL, NULL, 0, 0};
    char *big = (char *)malloc(10001), tmp[32];
    int step, ok = 1;
    size_t i;
    for (i = 0; i < 10000; i++)
        big[i] = (char)('a' + i % 26);
    for (step = 0; step < steps && ok; step++) {
        unsigned long long r = rnd(&seed);
        unsigned op = (unsigned)(r % 10);
        size_t at = m.len ? (size_t)(r >> 8) % m.len : 0, n;
        const char *s;
        if ((r >> 20) % 3 == 0) {
            n = (size_t)snprintf(tmp, sizeof tmp, "%lld", (long long)(r >> 24) % 200000 - 100000);
            s = tmp;
        } else {
            n = (r >> 30) % 16 == 0 ? (size_t)(r >> 34) % 10000 : (size_t)(r >> 34) % 40;
            s = big + (r >> 50) % 26;
            if (n > 9974)
                n = 9974;
        }
        if (op <= 2 || m.len == 0) {
            int where = op == 1 ? KV_QL_HEAD : KV_QL_TAIL;
            kv_ql_push(ql, fill, s, n, where);
            m_insert(&m, where == KV_QL_HEAD ? 0 : m.len, s, n);
        } else if (op == 3) {
            /* LINSERT before/after the entry at `at` */
            kv_qliter it;
            kv_lpval v;
            int after = (int)((r >> 60) & 1);
            kv_ql_iter_at(&it, ql, (long)at, KV_QL_HEAD);
            kv_ql_next(&it, &v);
            kv_ql_iter_insert(&it, fill, s, n, after);
            m_insert(&m, at + (size_t)after, s, n);
        } else if (op == 4) {
            /* delete a run of entries walking in either direction */
            kv_qliter it;
            kv_lpval v;
            int dir = (int)((r >> 60) & 1);
            size_t k = 1 + (size_t)(r >> 40) % 5;
            kv_ql_iter_at(&it, ql, (long)at, dir);
            while (k-- && kv_ql_next(&it, &v)) {
                kv_ql_iter_delete(&it);
                m_delete(&m, at);
                if (dir == KV_QL_TAIL) {
                    if (at == 0)
                        break;
                    at--;
                }
            }
        } else if (op == 5) {
            kv_qliter it;
            kv_lpval v;
            kv_ql_iter_at(&it, ql, (long)at - (long)m.len, KV_QL_HEAD);
            kv_ql_next(&it, &v);
            kv_ql_iter_replace(&it, s, n);
            free(m.s[at]);
            m.s[at] = (char *)malloc(n + 1);
            memcpy(m.s[at], s, n);
            m.n[at] = n;
        } else if (op == 6) {
            size_t k = (size_t)(r >> 40) % 30;
            if (k > m.len - at)
                k = m.len - at;
            kv_ql_del_range(ql, at, (size_t)(r >> 40) % 30);
            while (k--)
                m_delete(&m, at);
        } else {
            kv_ql_push(ql, fill, s, n, KV_QL_TAIL);
            m_insert(&m, m.len, s, n);
        }
        if (step % 53 == 0)
            ok = same(ql, &m);
    }
    ok = ok && same(ql, &m);
    if (!ok)
        fprintf(stderr, "  model fill %d seed %llu failed at step %d\n", fill, seed, step);
    CHECK(ok);
    while (m.len)
        m_delete(&m, m.len - 1);
    free(m.s);
    free(m.n);
    free(big);
    kv_ql_free(ql);
}

static void test_model(void)
{
    static const int fills[] = {-2, -1, -5, 0, 1, 2, 5, 100, -7, 40000};
    size_t i;
    for (i = 0; i < NELEM(fills); i++)
        run_model(fills[i], 0x9E3779B97F4A7C15ULL + i, 6000);
}

static void test_basics(void)
{
    kv_quicklist *ql = kv_ql_new();
    kv_qliter it;
    kv_lpval v;
    long i;
    CHECK_EQ_LL(kv_ql_count(ql), 0);
    CHECK(!kv_ql_iter_at(&it, ql, 0, KV_QL_HEAD) && !kv_ql_next(&it, &v));
    CHECK(!kv_ql_index(ql, -1, &v));
    kv_ql_del_range(ql, 0, 10);
    for (i = 0; i < 100; i++)
        pushf(ql, 5, KV_QL_TAIL, "%ld", i);
    CHECK_EQ_LL(ql->nodes, 20);
    CHECK(kv_ql_index(ql, 57, &v) && v.s == NULL && v.v == 57);
    CHECK(kv_ql_index(ql, -1, &v) && v.v == 99);
    CHECK(kv_ql_index(ql, -100, &v) && v.v == 0);
    CHECK(!kv_ql_index(ql, -101, &v) && !kv_ql_index(ql, 100, &v));
    /* Delete every even entry walking backwards. */
    kv_ql_iter_at(&it, ql, -1, KV_QL_TAIL);
    while (kv_ql_next(&it, &v))
        if (v.v % 2 == 0)
            kv_ql_iter_delete(&it);
    CHECK_EQ_LL(kv_ql_count(ql), 50);
    CHECK(kv_ql_index(ql, 0, &v) && v.v == 1);
    CHECK(consistent(ql));
    /* Emptying nodes drops them. */
    kv_ql_del_range(ql, 0, 50);
    CHECK_EQ_LL(ql->nodes, 0);
    CHECK(ql->head == NULL && ql->tail == NULL);
    CHECK(kv_ql_mem(ql) > 0);
    kv_ql_free(ql);
}

TEST_MAIN("quicklist", TEST(test_basics), TEST(test_redis_layouts), TEST(test_model))
