/* Unit tests for sorted set values: both encodings against a sorted-array
 * model under random adds, updates and deletes (order, ranks, ranges, range
 * deletions), the listpack/skiplist thresholds, and the number texts (how
 * scores parse and how a listpack stores them). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/listpack.h"
#include "store/rdb.h"
#include "store/t_zset.h"
#include "test.h"

static const uint8_t seed[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};
/* Redis's default limits with that seed. */
static const kv_zset_opts zopts = {KV_ZSET_MAX_LISTPACK_ENTRIES, KV_ZSET_MAX_LISTPACK_VALUE,
                                   seed};

/* ------------------------------------------------------------- the model */

typedef struct melem {
    double score;
    char m[80];
    size_t n;
} melem;

typedef struct model {
    melem e[4096];
    size_t len;
} model;

static int mcmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c)
        return c;
    return an < bn ? -1 : an > bn;
}

static int elem_cmp(const void *a, const void *b)
{
    const melem *x = (const melem *)a, *y = (const melem *)b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    return mcmp(x->m, x->n, y->m, y->n);
}

static long model_find(const model *md, const char *m, size_t n)
{
    size_t i;
    for (i = 0; i < md->len; i++)
        if (md->e[i].n == n && memcmp(md->e[i].m, m, n) == 0)
            return (long)i;
    return -1;
}

static void model_set(model *md, double score, const char *m, size_t n)
{
    long i = model_find(md, m, n);
    if (i < 0) {
        i = (long)md->len++;
        memcpy(md->e[i].m, m, n);
        md->e[i].n = n;
    }
    md->e[i].score = score;
    qsort(md->e, md->len, sizeof md->e[0], elem_cmp);
}

static void model_del_at(model *md, size_t i)
{
    memmove(&md->e[i], &md->e[i + 1], (md->len - i - 1) * sizeof md->e[0]);
    md->len--;
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* --------------------------------------------------------------- checks */

static int same_as_model(const kv_obj *o, const model *md)
{
    kv_zit it;
    size_t i = 0;
    int ok = kv_zset_len(o) == md->len, more;
    for (more = kv_zit_rank(&it, o, 0, 0); more && ok; more = kv_zit_next(&it), i++)
        ok = i < md->len && it.score == md->e[i].score &&
             mcmp(it.m, it.mlen, md->e[i].m, md->e[i].n) == 0;
    ok = ok && i == md->len;
    i = md->len;
    for (more = kv_zit_rank(&it, o, 0, 1); more && ok; more = kv_zit_next(&it)) {
        i--;
        ok = it.score == md->e[i].score && mcmp(it.m, it.mlen, md->e[i].m, md->e[i].n) == 0;
    }
    return ok && i == 0;
}

static void check_ranks(const kv_obj *o, const model *md)
{
    size_t i;
    for (i = 0; i < md->len; i++) {
        double s;
        kv_zit it;
        CHECK_EQ_LL(kv_zset_rank(o, md->e[i].m, md->e[i].n, 0, &s), i);
        CHECK(s == md->e[i].score);
        CHECK_EQ_LL(kv_zset_rank(o, md->e[i].m, md->e[i].n, 1, NULL), md->len - 1 - i);
        CHECK(kv_zit_rank(&it, o, i, 0) && mcmp(it.m, it.mlen, md->e[i].m, md->e[i].n) == 0);
    }
    CHECK_EQ_LL(kv_zset_rank(o, "nope", 4, 0, NULL), -1);
}

static void check_score_ranges(const kv_obj *o, const model *md)
{
    int t;
    for (t = 0; t < 50; t++) {
        kv_zrange r;
        kv_zit it;
        size_t i, want = 0, first = md->len, last = 0, got = 0;
        int more;
        r.min = (double)(rnd() % 24) - 2;
        r.max = (double)(rnd() % 24) - 2;
        r.minex = (int)(rnd() & 1);
        r.maxex = (int)(rnd() & 1);
        for (i = 0; i < md->len; i++)
            if (kv_zrange_gte_min(md->e[i].score, &r) && kv_zrange_lte_max(md->e[i].score, &r)) {
                if (!want)
                    first = i;
                last = i;
                want++;
            }
        CHECK_EQ_LL(kv_zset_count(o, &r), want);
        more = kv_zit_score(&it, o, &r, 0);
        CHECK(more == (want > 0));
        if (more)
            CHECK(mcmp(it.m, it.mlen, md->e[first].m, md->e[first].n) == 0);
        for (; more && kv_zrange_lte_max(it.score, &r); more = kv_zit_next(&it))
            got++;
        CHECK_EQ_LL(got, want);
        more = kv_zit_score(&it, o, &r, 1);
        CHECK(more == (want > 0));
        if (more)
            CHECK(mcmp(it.m, it.mlen, md->e[last].m, md->e[last].n) == 0);
    }
}

static void run_random(unsigned start_enc, int steps, size_t universe, size_t maxlen_extra)
{
    static model md;
    kv_obj *o = kv_zset_new(start_enc, seed);
    int step;
    md.len = 0;
    for (step = 0; step < steps; step++) {
        char m[80];
        size_t n = (size_t)sprintf(m, "m%u", (unsigned)(rnd() % universe));
        double score = (double)(rnd() % 20);
        int op = (int)(rnd() % 10), out = 0;
        long i;
        if (maxlen_extra && rnd() % 50 == 0) {
            memset(m + n, 'x', maxlen_extra);
            n += maxlen_extra;
        }
        i = model_find(&md, m, n);
        if (op < 6) {
            double ns = 0;
            CHECK(kv_zset_add(o, score, m, n, 0, &out, &ns, &zopts) == 1);
            CHECK(out == (i < 0 ? KV_ZADD_OUT_ADDED
                                : md.e[i].score != score ? KV_ZADD_OUT_UPDATED : 0));
            CHECK(ns == score);
            model_set(&md, score, m, n);
        } else if (op < 8) {
            double ns = 0;
            CHECK(kv_zset_add(o, 1, m, n, KV_ZADD_INCR, &out, &ns, &zopts) == 1);
            model_set(&md, i < 0 ? 1 : md.e[i].score + 1, m, n);
            CHECK(ns == md.e[model_find(&md, m, n)].score);
        } else {
            CHECK_EQ_LL(kv_zset_del(o, m, n), i >= 0);
            if (i >= 0)
                model_del_at(&md, (size_t)i);
        }
        if (step % 97 == 0) {
            CHECK(same_as_model(o, &md));
            check_ranks(o, &md);
            check_score_ranges(o, &md);
        }
    }
    CHECK(same_as_model(o, &md));
    check_ranks(o, &md);
    check_score_ranges(o, &md);
    kv_obj_free(o);
}

static void test_random_small(void)
{
    /* Stays a listpack (at most 100 members). */
    run_random(KV_ENC_LISTPACK, 3000, 100, 0);
}

static void test_random_grows(void)
{
    /* Starts as a listpack, converts when it passes 128 members. */
    run_random(KV_ENC_LISTPACK, 6000, 600, 0);
}

static void test_random_skiplist(void)
{
    run_random(KV_ENC_SKIPLIST, 20000, 2000, 70);
}

/* ------------------------------------------------------------ deletions */

static void fill(kv_obj *o, model *md, size_t count)
{
    size_t i;
    md->len = 0;
    for (i = 0; i < count; i++) {
        char m[16];
        size_t n = (size_t)sprintf(m, "e%03u", (unsigned)i);
        int out;
        double s = (double)(i / 3);
        kv_zset_add(o, s, m, n, 0, &out, NULL, &zopts);
        model_set(md, s, m, n);
    }
}

static void test_range_deletions(void)
{
    static model md;
    unsigned encs[2] = {KV_ENC_LISTPACK, KV_ENC_SKIPLIST};
    int e, t;
    for (e = 0; e < 2; e++) {
        for (t = 0; t < 40; t++) {
            kv_obj *o = kv_zset_new(encs[e], seed);
            size_t count = e ? 300 : 100, a, b, i, got;
            kv_zrange r;
            fill(o, &md, count);
            a = rnd() % count;
            b = a + rnd() % (count - a);
            if (t % 2 == 0) {
                got = kv_zset_del_rank(o, a, b);
                CHECK_EQ_LL(got, b - a + 1);
                for (i = a; i <= b; i++)
                    model_del_at(&md, a);
            } else {
                r.min = (double)a / 3;
                r.max = (double)b / 3;
                r.minex = (int)(rnd() & 1);
                r.maxex = (int)(rnd() & 1);
                got = kv_zset_del_score(o, &r);
                for (i = md.len, a = 0; i-- > 0;)
                    if (kv_zrange_gte_min(md.e[i].score, &r) &&
                        kv_zrange_lte_max(md.e[i].score, &r)) {
                        model_del_at(&md, i);
                        a++;
                    }
                CHECK_EQ_LL(got, a);
            }
            CHECK(kv_obj_encoding(o) == encs[e]);
            CHECK(same_as_model(o, &md));
            check_ranks(o, &md);
            kv_obj_free(o);
        }
    }
}

static void test_lex(void)
{
    unsigned encs[2] = {KV_ENC_LISTPACK, KV_ENC_SKIPLIST};
    const char *names[] = {"", "a", "aa", "ab", "b", "ba", "c", "\xff"};
    int e;
    for (e = 0; e < 2; e++) {
        kv_obj *o = kv_zset_new(encs[e], seed);
        kv_zlex r;
        kv_zit it;
        size_t i;
        int out;
        for (i = 0; i < 8; i++)
            kv_zset_add(o, 0, names[i], strlen(names[i]), 0, &out, NULL, &zopts);
        CHECK(kv_zset_parse_lex("-", 1, "+", 1, &r));
        CHECK_EQ_LL(kv_zset_lexcount(o, &r), 8);
        CHECK(kv_zset_parse_lex("[a", 2, "(b", 2, &r));
        CHECK_EQ_LL(kv_zset_lexcount(o, &r), 3);
        CHECK(kv_zit_lex(&it, o, &r, 1) && it.mlen == 2 && memcmp(it.m, "ab", 2) == 0);
        CHECK(kv_zset_parse_lex("(a", 2, "[b", 2, &r));
        CHECK_EQ_LL(kv_zset_lexcount(o, &r), 3);
        CHECK(kv_zit_lex(&it, o, &r, 0) && it.mlen == 2 && memcmp(it.m, "aa", 2) == 0);
        CHECK(kv_zset_parse_lex("[", 1, "[", 1, &r));
        CHECK_EQ_LL(kv_zset_lexcount(o, &r), 1);
        CHECK(kv_zset_parse_lex("+", 1, "-", 1, &r));
        CHECK_EQ_LL(kv_zset_lexcount(o, &r), 0);
        CHECK(kv_zset_parse_lex("-", 1, "-", 1, &r));
        CHECK_EQ_LL(kv_zset_lexcount(o, &r), 0);
        CHECK(kv_zset_parse_lex("(c", 2, "+", 1, &r));
        CHECK_EQ_LL(kv_zset_lexcount(o, &r), 1);
        CHECK_EQ_LL(kv_zset_del_lex(o, &r), 1);
        CHECK(kv_zset_parse_lex("[aa", 3, "[b", 2, &r));
        CHECK_EQ_LL(kv_zset_del_lex(o, &r), 3);
        CHECK_EQ_LL(kv_zset_len(o), 4);
        CHECK(kv_zit_rank(&it, o, 1, 0) && it.mlen == 1 && it.m[0] == 'a');
        CHECK(kv_zit_rank(&it, o, 2, 0) && it.mlen == 2 && memcmp(it.m, "ba", 2) == 0);
        kv_obj_free(o);
    }
    {
        kv_zlex r;
        CHECK(!kv_zset_parse_lex("a", 1, "+", 1, &r));
        CHECK(!kv_zset_parse_lex("", 0, "+", 1, &r));
        CHECK(!kv_zset_parse_lex("-", 1, "+x", 2, &r));
        CHECK(kv_zset_parse_lex("-", 1, "+\0x", 3, &r));
    }
}

/* ------------------------------------------------------------ encodings */

static void test_thresholds(void)
{
    kv_obj *o = kv_zset_new(KV_ENC_LISTPACK, seed);
    char m[80];
    int i, out;
    for (i = 0; i < KV_ZSET_MAX_LISTPACK_ENTRIES; i++) {
        size_t n = (size_t)sprintf(m, "%d", i); /* integer members: listpack ints */
        kv_zset_add(o, i, m, n, 0, &out, NULL, &zopts);
    }
    CHECK(kv_obj_encoding(o) == KV_ENC_LISTPACK);
    /* Updates and XX misses do not convert. */
    kv_zset_add(o, 5, "0", 1, 0, &out, NULL, &zopts);
    kv_zset_add(o, 5, "new", 3, KV_ZADD_XX, &out, NULL, &zopts);
    CHECK(out == KV_ZADD_OUT_NOP);
    CHECK(kv_obj_encoding(o) == KV_ENC_LISTPACK);
    kv_zset_add(o, 1000, "x", 1, 0, &out, NULL, &zopts);
    CHECK(kv_obj_encoding(o) == KV_ENC_SKIPLIST);
    CHECK_EQ_LL(kv_zset_len(o), 129);
    CHECK_EQ_LL(kv_zset_rank(o, "0", 1, 0, NULL), 4);
    kv_zset_del(o, "x", 1);
    CHECK(kv_obj_encoding(o) == KV_ENC_SKIPLIST); /* never back on delete */
    kv_zset_shrink_if_small(o, 3, &zopts);
    CHECK(kv_obj_encoding(o) == KV_ENC_LISTPACK);
    CHECK_EQ_LL(kv_zset_rank(o, "0", 1, 0, NULL), 4);
    kv_obj_free(o);

    o = kv_zset_new(KV_ENC_LISTPACK, seed);
    memset(m, 'm', sizeof m);
    kv_zset_add(o, 1, m, KV_ZSET_MAX_LISTPACK_VALUE, 0, &out, NULL, &zopts);
    CHECK(kv_obj_encoding(o) == KV_ENC_LISTPACK);
    kv_zset_add(o, 1, m, KV_ZSET_MAX_LISTPACK_VALUE + 1, 0, &out, NULL, &zopts);
    CHECK(kv_obj_encoding(o) == KV_ENC_SKIPLIST);
    kv_zset_shrink_if_small(o, KV_ZSET_MAX_LISTPACK_VALUE + 1, &zopts);
    CHECK(kv_obj_encoding(o) == KV_ENC_SKIPLIST);
    kv_obj_free(o);
}

/* Live limits (CONFIG SET zset-max-listpack-*) through kv_zset_opts. */
static void test_opts_limits(void)
{
    kv_zset_opts small = {2, 3, seed};
    kv_obj *o;
    int out;
    o = kv_zset_new_for(3, &small);
    CHECK(kv_obj_encoding(o) == KV_ENC_LISTPACK);
    kv_zset_add(o, 1, "abc", 3, 0, &out, NULL, &small);
    kv_zset_add(o, 2, "b", 1, 0, &out, NULL, &small);
    CHECK(kv_obj_encoding(o) == KV_ENC_LISTPACK);
    kv_zset_add(o, 3, "c", 1, 0, &out, NULL, &small);
    CHECK(kv_obj_encoding(o) == KV_ENC_SKIPLIST);
    kv_zset_del(o, "c", 1);
    kv_zset_shrink_if_small(o, 3, &small);
    CHECK(kv_obj_encoding(o) == KV_ENC_LISTPACK);
    kv_zset_add(o, 4, "abcd", 4, 0, &out, NULL, &small);
    CHECK(kv_obj_encoding(o) == KV_ENC_SKIPLIST);
    kv_zset_shrink_if_small(o, 4, &small);
    CHECK(kv_obj_encoding(o) == KV_ENC_SKIPLIST);
    kv_obj_free(o);
    o = kv_zset_new_for(4, &small);
    CHECK(kv_obj_encoding(o) == KV_ENC_SKIPLIST);
    kv_obj_free(o);
    small.max_lp_entries = 0;
    o = kv_zset_new_for(1, &small);
    CHECK(kv_obj_encoding(o) == KV_ENC_SKIPLIST);
    kv_obj_free(o);
}

static void test_add_flags(void)
{
    unsigned encs[2] = {KV_ENC_LISTPACK, KV_ENC_SKIPLIST};
    int e;
    for (e = 0; e < 2; e++) {
        kv_obj *o = kv_zset_new(encs[e], seed);
        int out;
        double ns = -1, s;
        CHECK(kv_zset_add(o, 5, "a", 1, KV_ZADD_XX, &out, &ns, &zopts) == 1 && out == KV_ZADD_OUT_NOP);
        CHECK(kv_zset_add(o, 5, "a", 1, KV_ZADD_GT, &out, &ns, &zopts) == 1 && out == KV_ZADD_OUT_ADDED);
        CHECK(kv_zset_add(o, 4, "a", 1, KV_ZADD_GT, &out, &ns, &zopts) == 1 && out == KV_ZADD_OUT_NOP);
        CHECK(kv_zset_add(o, 6, "a", 1, KV_ZADD_LT, &out, &ns, &zopts) == 1 && out == KV_ZADD_OUT_NOP);
        CHECK(kv_zset_add(o, 1, "a", 1, KV_ZADD_LT | KV_ZADD_INCR, &out, &ns, &zopts) == 1 &&
              out == KV_ZADD_OUT_NOP);
        CHECK(kv_zset_add(o, -1, "a", 1, KV_ZADD_LT | KV_ZADD_INCR, &out, &ns, &zopts) == 1 &&
              out == KV_ZADD_OUT_UPDATED && ns == 4);
        CHECK(kv_zset_add(o, 9, "a", 1, KV_ZADD_NX, &out, &ns, &zopts) == 1 && out == KV_ZADD_OUT_NOP);
        CHECK(kv_zset_add(o, 4, "a", 1, 0, &out, &ns, &zopts) == 1 && out == 0 && ns == 4);
        CHECK(kv_zset_add(o, HUGE_VAL, "a", 1, KV_ZADD_INCR, &out, &ns, &zopts) == 1);
        CHECK(kv_zset_add(o, -HUGE_VAL, "a", 1, KV_ZADD_INCR, &out, &ns, &zopts) == 0 &&
              out == KV_ZADD_OUT_NAN);
        CHECK(kv_zset_score(o, "a", 1, &s) && s == HUGE_VAL);
        CHECK(!kv_zset_score(o, "b", 1, &s));
        CHECK(kv_obj_encoding(o) == encs[e]);
        kv_obj_free(o);
    }
}

/* --------------------------------------------------------------- texts */

static void test_d2str(void)
{
    char b[KV_ZSET_D2STR_MAX];
    size_t n;
    n = kv_zset_d2str(b, 1.5);
    CHECK_MEM(b, n, "1.5");
    n = kv_zset_d2str(b, 1.1);
    CHECK_MEM(b, n, "1.1000000000000001");
    n = kv_zset_d2str(b, -0.0);
    CHECK_MEM(b, n, "0");
    n = kv_zset_d2str(b, 1e18);
    CHECK_MEM(b, n, "1000000000000000000");
    n = kv_zset_d2str(b, 4611686018427387904.0);
    CHECK_MEM(b, n, "4611686018427387904");
    n = kv_zset_d2str(b, 4611686018427389952.0);
    CHECK_MEM(b, n, "4.61168601842739e+18");
    n = kv_zset_d2str(b, -9223372036854775808.0);
    CHECK_MEM(b, n, "-9.2233720368547758e+18");
    n = kv_zset_d2str(b, 1e19);
    CHECK_MEM(b, n, "1e+19");
    n = kv_zset_d2str(b, HUGE_VAL);
    CHECK_MEM(b, n, "inf");
    n = kv_zset_d2str(b, -HUGE_VAL);
    CHECK_MEM(b, n, "-inf");
}

static void test_parse(void)
{
    double d = 0;
    kv_zrange r;
    CHECK(kv_zset_parse_score("1.5", 3, &d) && d == 1.5);
    CHECK(kv_zset_parse_score("-inf", 4, &d) && d == -HUGE_VAL);
    CHECK(kv_zset_parse_score("0x10", 4, &d) && d == 16);
    CHECK(kv_zset_parse_score("5e-324", 6, &d) && d > 0);
    CHECK(!kv_zset_parse_score("", 0, &d));
    CHECK(!kv_zset_parse_score(" 1", 2, &d));
    CHECK(!kv_zset_parse_score("1 ", 2, &d));
    CHECK(!kv_zset_parse_score("nan", 3, &d));
    CHECK(!kv_zset_parse_score("1e400", 5, &d));
    CHECK(!kv_zset_parse_score("1e-400", 6, &d));
    CHECK(!kv_zset_parse_score("1\0", 2, &d));
    CHECK(kv_zset_parse_range("(1", 2, "+inf", 4, &r) && r.min == 1 && r.minex && !r.maxex);
    CHECK(kv_zset_parse_range("", 0, " 2", 2, &r) && r.min == 0 && r.max == 2);
    CHECK(kv_zset_parse_range("(", 1, "1e400", 5, &r) && r.min == 0 && r.max == HUGE_VAL);
    CHECK(kv_zset_parse_range("1\0junk", 6, "2", 1, &r) && r.min == 1);
    CHECK(!kv_zset_parse_range("1 ", 2, "2", 1, &r));
    CHECK(!kv_zset_parse_range("(nan", 4, "2", 1, &r));
    CHECK(!kv_zset_parse_range("1", 1, "x", 1, &r));
}

static void test_listpack_bytes(void)
{
    /* Scores are stored as Redis stores them: integers as integer entries. */
    kv_obj *o = kv_zset_new(KV_ENC_LISTPACK, seed);
    int out;
    kv_zset_add(o, 1, "a", 1, 0, &out, NULL, &zopts);
    kv_zset_add(o, 0.5, "b", 1, 0, &out, NULL, &zopts);
    {
        const unsigned char want[] = {0x14, 0, 0, 0, 4, 0, 0x81, 'b', 2, 0x83, '0', '.', '5', 4,
                                      0x81, 'a', 2, 1, 1, 0xff};
        CHECK_EQ_LL(kv_lp_bytes(kv_obj_ptr(o)), sizeof want);
        CHECK(memcmp(kv_obj_ptr(o), want, sizeof want) == 0);
    }
    kv_obj_free(o);
}

/* ------------------------------------------------------------------ RDB */

static void test_rdb_roundtrip(void)
{
    unsigned encs[2] = {KV_ENC_LISTPACK, KV_ENC_SKIPLIST};
    int e, i, out;
    for (e = 0; e < 2; e++) {
        kv_obj *o = kv_zset_new(encs[e], seed), *c;
        kv_buf b;
        kv_rdb_reader r;
        kv_zit x, y;
        int mx, my;
        for (i = 0; i < (e ? 300 : 50); i++) {
            char m[16];
            kv_zset_add(o, i * 0.25, m, (size_t)sprintf(m, "m%d", i), 0, &out, NULL, &zopts);
        }
        kv_buf_init(&b);
        CHECK(kv_rdb_save_object(&b, o) == KV_RDB_OK);
        kv_rdb_reader_init(&r, b.p, b.len);
        c = kv_rdb_load_object(&r);
        CHECK(c != NULL);
        if (c) {
            CHECK(kv_obj_encoding(c) == encs[e]);
            CHECK_EQ_LL(kv_zset_len(c), kv_zset_len(o));
            for (mx = kv_zit_rank(&x, o, 0, 0), my = kv_zit_rank(&y, c, 0, 0); mx && my;
                 mx = kv_zit_next(&x), my = kv_zit_next(&y))
                CHECK(x.score == y.score && x.mlen == y.mlen && memcmp(x.m, y.m, x.mlen) == 0);
            CHECK(!mx && !my);
            kv_obj_free(c);
        }
        kv_buf_free(&b);
        kv_obj_free(o);
    }
}

static void test_rdb_garbage(void)
{
    /* Random and truncated bodies must be refused, never crash. */
    static const int types[] = {KV_RDB_TYPE_ZSET, KV_RDB_TYPE_ZSET_2, KV_RDB_TYPE_ZSET_LISTPACK,
                                KV_RDB_TYPE_ZSET_ZIPLIST};
    unsigned char buf[96];
    int t, k;
    size_t i, n;
    for (t = 0; t < 4; t++) {
        for (k = 0; k < 3000; k++) {
            kv_rdb_reader r;
            kv_obj *o;
            n = (size_t)(rnd() % sizeof buf);
            for (i = 0; i < n; i++)
                buf[i] = (unsigned char)rnd();
            if (n > 0 && k % 2)
                buf[0] = (unsigned char)(rnd() % 8); /* small counts and lengths */
            kv_rdb_reader_init(&r, buf, n);
            o = kv_rdb_load_zset(types[t], &r);
            if (o) {
                CHECK(kv_obj_type(o) == KV_TYPE_ZSET && kv_zset_len(o) > 0);
                kv_obj_free(o);
            }
        }
    }
}

TEST_MAIN("t_zset", TEST(test_random_small), TEST(test_random_grows), TEST(test_random_skiplist),
          TEST(test_range_deletions), TEST(test_lex), TEST(test_thresholds), TEST(test_opts_limits),
          TEST(test_add_flags),
          TEST(test_d2str), TEST(test_parse), TEST(test_listpack_bytes), TEST(test_rdb_roundtrip),
          TEST(test_rdb_garbage))
