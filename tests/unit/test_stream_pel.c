/* PEL trees (src/store/t_stream_pel.c): random insertions and removals in
 * two PELs sharing their NACKs, checked against a model after every step
 * (order, count, seek, find) and for the AVL invariants (heights, balance,
 * parent links), so the depth stays logarithmic; removal while iterating;
 * freeing a whole PEL. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/t_stream_pel.h"
#include "test.h"

#define N 3000

/* A deterministic generator, so a failure replays. */
static uint64_t rnd_state = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

/* Checks the subtree at x; returns its height, *count its size. */
static int check_subtree(const kv_spel *p, const kv_snack *x, const kv_snack *up,
                         const kv_sid *lo, const kv_sid *hi, size_t *count)
{
    const kv_spel_link *l;
    size_t cl = 0, cr = 0;
    int hl, hr;
    if (!x) {
        *count = 0;
        return 0;
    }
    l = &x->link[p->side];
    CHECK(l->up == up);
    CHECK(!lo || kv_sid_cmp(lo, &x->id) < 0);
    CHECK(!hi || kv_sid_cmp(&x->id, hi) < 0);
    hl = check_subtree(p, l->left, x, lo, &x->id, &cl);
    hr = check_subtree(p, l->right, x, &x->id, hi, &cr);
    CHECK(hl - hr <= 1 && hr - hl <= 1);
    CHECK_EQ_LL(l->height, 1 + (hl > hr ? hl : hr));
    *count = cl + cr + 1;
    return l->height;
}

static void check_tree(const kv_spel *p)
{
    size_t count = 0;
    int h = check_subtree(p, p->root, NULL, NULL, NULL, &count);
    CHECK_EQ_LL((long long)count, (long long)p->n);
    /* AVL: height < 1.4405 log2(n + 2) */
    {
        int bound = 0;
        size_t m = p->n + 2;
        while (m >>= 1)
            bound++;
        CHECK(h <= (bound + 1) * 1441 / 1000 + 1);
    }
}

/* The PEL against the model in[] (1: in the PEL), IDs i-i. */
static void check_model(const kv_spel *p, const unsigned char *in)
{
    const kv_snack *x = kv_spel_first(p), *last = NULL;
    size_t i, n = 0;
    for (i = 0; i < N; i++) {
        kv_sid id = {i, i};
        const kv_snack *f = kv_spel_find(p, &id);
        if (!in[i]) {
            CHECK(f == NULL);
            continue;
        }
        CHECK(f != NULL && f == x && f->id.ms == i);
        last = x;
        x = x ? kv_spel_next(p, x) : NULL;
        n++;
    }
    CHECK(x == NULL);
    CHECK(kv_spel_last(p) == last);
    CHECK_EQ_LL((long long)n, (long long)p->n);
}

static void test_random_two_pels(void)
{
    kv_snack *nacks = calloc(N, sizeof *nacks);
    unsigned char in_g[N], in_c[N];
    kv_spel g, c;
    int step, i;
    memset(&g, 0, sizeof g);
    memset(&c, 0, sizeof c);
    c.side = KV_SPEL_CONSUMER;
    memset(in_g, 0, sizeof in_g);
    memset(in_c, 0, sizeof in_c);
    for (i = 0; i < N; i++)
        nacks[i].id.ms = nacks[i].id.seq = (uint64_t)i;
    CHECK(kv_spel_first(&g) == NULL && kv_spel_last(&g) == NULL);
    /* Ascending (the common case: IDs delivered in order), then random
     * removals and insertions in both PELs. */
    for (i = 0; i < N; i += 2) {
        kv_spel_insert(&g, &nacks[i]);
        in_g[i] = 1;
    }
    check_tree(&g);
    check_model(&g, in_g);
    for (step = 0; step < 4 * N; step++) {
        int k = (int)(rnd() % N), side = (int)(rnd() % 2);
        kv_spel *p = side ? &c : &g;
        unsigned char *in = side ? in_c : in_g;
        if (in[k])
            kv_spel_remove(p, &nacks[k]);
        else
            kv_spel_insert(p, &nacks[k]);
        in[k] = !in[k];
        if (step % 500 == 0) {
            check_tree(&g);
            check_tree(&c);
            check_model(&g, in_g);
            check_model(&c, in_c);
        }
    }
    check_tree(&g);
    check_tree(&c);
    check_model(&g, in_g);
    check_model(&c, in_c);
    /* seek: the first NACK at or after an ID */
    for (i = 0; i < N; i++) {
        kv_sid id = {(uint64_t)i, 0};
        const kv_snack *s = kv_spel_seek(&g, &id);
        int j = i;
        while (j < N && !in_g[j])
            j++;
        if (j == N)
            CHECK(s == NULL);
        else
            CHECK(s == &nacks[j]);
    }
    /* Remove every other NACK while iterating: the next one stays put. */
    {
        kv_snack *x = kv_spel_first(&g), *next;
        int odd = 0;
        while (x) {
            next = kv_spel_next(&g, x);
            if (odd++ % 2 == 0) {
                in_g[x->id.ms] = 0;
                kv_spel_remove(&g, x);
            }
            x = next;
        }
        check_tree(&g);
        check_model(&g, in_g);
    }
    /* Empty both in random order. */
    for (i = 0; i < N; i++) {
        int k = (int)(rnd() % N);
        while (!in_c[k])
            k = (k + 1) % N;
        kv_spel_remove(&c, &nacks[k]);
        in_c[k] = 0;
        if (c.n == 0)
            break;
    }
    CHECK(c.root == NULL && c.n == 0);
    free(nacks);
}

/* Descending insertions (XCLAIM of ever older entries) stay balanced;
 * free_all frees every NACK (ASan reports a leak or a double free). */
static void test_descending_and_free_all(void)
{
    kv_spel p;
    int i;
    memset(&p, 0, sizeof p);
    for (i = N; i > 0; i--) {
        kv_snack *x = calloc(1, sizeof *x);
        x->id.ms = (uint64_t)i;
        kv_spel_insert(&p, x);
    }
    check_tree(&p);
    CHECK(kv_spel_first(&p)->id.ms == 1 && kv_spel_last(&p)->id.ms == N);
    kv_spel_free_all(&p);
    CHECK(p.root == NULL && p.n == 0);
}

TEST_MAIN("stream_pel", TEST(test_random_two_pels), TEST(test_descending_and_free_all))
