/* kv_glob_match against Redis 7.0's glob: every expected value was read off a
 * real redis-server 7.0.15 (KEYS on a db holding only the candidate key;
 * COMMAND LIST FILTERBY PATTERN for nocase); a reference matcher written from
 * those semantics cross-checks random patterns. An empty string matches only
 * an empty pattern, even "*" (KEYS and SCAN special-case a lone "*"). */
#include <string.h>
#include <time.h>

#include "cmd/lib/glob.h"
#include "test.h"

typedef struct glob_case {
    const char *pat;
    size_t plen;
    const char *str;
    size_t slen;
    int want;
} glob_case;

/* Case-sensitive: KEYS <pat> on a db whose only key is <str>. */
static const glob_case glob_cases[] = {
    {"*", 1, "anything", 8, 1},
    {"***", 3, "", 0, 0},
    {"a*", 2, "a", 1, 1},
    {"a**", 3, "a", 1, 1},
    {"*a", 2, "a", 1, 1},
    {"[]*", 3, "", 0, 0},
    {"", 0, "", 0, 1},
    {"", 0, "a", 1, 0},
    {"a", 1, "", 0, 0},
    {"?", 1, "", 0, 0},
    {"**", 2, "", 0, 0},
    {"*?", 2, "", 0, 0},
    {"?", 1, "a", 1, 1},
    {"?", 1, "ab", 2, 0},
    {"??", 2, "ab", 2, 1},
    {"a?c", 3, "abc", 3, 1},
    {"a?c", 3, "ac", 2, 0},
    {"h*o", 3, "hello", 5, 1},
    {"h*o", 3, "hellox", 6, 0},
    {"*o", 2, "hello", 5, 1},
    {"h*", 2, "hello", 5, 1},
    {"h**o", 4, "ho", 2, 1},
    {"*l*l*", 5, "hello", 5, 1},
    {"*x*", 3, "hello", 5, 0},
    {"h[ae]llo", 8, "hello", 5, 1},
    {"h[ae]llo", 8, "hallo", 5, 1},
    {"h[ae]llo", 8, "hillo", 5, 0},
    {"h[^e]llo", 8, "hallo", 5, 1},
    {"h[^e]llo", 8, "hello", 5, 0},
    {"h[^ae]llo", 9, "hbllo", 5, 1},
    {"h[a-b]llo", 9, "hbllo", 5, 1},
    {"h[a-b]llo", 9, "hcllo", 5, 0},
    {"[a-z]", 5, "m", 1, 1},
    {"[a-z]", 5, "M", 1, 0},
    {"[a-z]", 5, "-", 1, 0},
    {"[z-a]", 5, "m", 1, 1},
    {"[z-a]", 5, "A", 1, 0},
    {"[9-0]x", 6, "5x", 2, 1},
    {"[abc]", 5, "]", 1, 0},
    {"[]", 2, "a", 1, 0},
    {"[]]", 3, "]", 1, 0},
    {"[]a]", 4, "a", 1, 0},
    {"[]a]", 4, "]a", 2, 0},
    {"[^]", 3, "x", 1, 1},
    {"[^]]", 4, "]", 1, 0},
    {"[a-]", 4, "_", 1, 1},
    {"[a-]", 4, "-", 1, 0},
    {"[a-]", 4, "a", 1, 1},
    {"[-a]", 4, "-", 1, 1},
    {"[-a]", 4, "a", 1, 1},
    {"[-a]", 4, "b", 1, 0},
    {"\\*", 2, "*", 1, 1},
    {"\\*", 2, "a", 1, 0},
    {"\\?", 2, "?", 1, 1},
    {"\\?", 2, "x", 1, 0},
    {"\\[a]", 4, "[a]", 3, 1},
    {"\\[a]", 4, "a", 1, 0},
    {"a\\", 2, "a\\", 2, 1},
    {"\\", 1, "\\", 1, 1},
    {"\\a", 2, "a", 1, 1},
    {"[\\]]", 4, "]", 1, 1},
    {"[\\^a]", 5, "^", 1, 1},
    {"[\\-]", 4, "-", 1, 1},
    {"[a\\-z]", 6, "m", 1, 0},
    {"[a\\-z]", 6, "-", 1, 1},
    {"[\\", 2, "\\", 1, 1},
    {"[abc", 4, "a", 1, 1},
    {"[abc", 4, "d", 1, 0},
    {"[abc", 4, "ab", 2, 0},
    {"a[", 2, "a", 1, 0},
    {"a[", 2, "a[", 2, 0},
    {"[", 1, "[", 1, 0},
    {"[", 1, "", 0, 0},
    {"[^", 2, "x", 1, 1},
    {"[^a", 3, "b", 1, 1},
    {"[^a", 3, "a", 1, 0},
    {"[a-", 3, "a", 1, 1},
    {"[a-", 3, "-", 1, 1},
    {"*[", 2, "x", 1, 0},
    {"[*]", 3, "*", 1, 1},
    {"[*]", 3, "x", 1, 0},
    {"[?]", 3, "?", 1, 1},
    {"[?]", 3, "x", 1, 0},
    {"H*", 2, "hello", 5, 0},
    {"[A-Z]", 5, "a", 1, 0},
    {"a\000b", 3, "a\000b", 3, 1},
    {"a?b", 3, "a\000b", 3, 1},
    {"*\000", 2, "x\000", 2, 1},
    {"[\000-\002]", 5, "\001", 1, 1},
    {"[\200-\377]", 5, "\303", 1, 1},
    {"[^\200-\377]", 6, "\303", 1, 0},
    {"\377*", 2, "\377\376", 2, 1},
    {"?", 1, "\344", 1, 1},
    {"*a*b", 4, "aaab", 4, 1},
    {"*a*b", 4, "aaac", 4, 0},
    {"a*b*c", 5, "abxbc", 5, 1},
    {"*ab", 3, "aab", 3, 1},
    {"a*a", 3, "a", 1, 0},
    {"a*a", 3, "aa", 2, 1},
    {"*[a]*", 5, "xyz", 3, 0},
    {"*?", 2, "a", 1, 1},
    {"*??", 3, "a", 1, 0},
    {"?*?", 3, "ab", 2, 1},
};

static void check_cases(const glob_case *cases, size_t n, int nocase)
{
    size_t i;
    for (i = 0; i < n; i++) {
        const glob_case *c = &cases[i];
        int got = kv_glob_match(c->pat, c->plen, c->str, c->slen, nocase);
        CHECK_EQ_LL(got, c->want);
        if (got != c->want)
            fprintf(stderr, "  pattern \"%.*s\" (%zu bytes) vs \"%.*s\" (%zu bytes): want %d\n",
                    (int)c->plen, c->pat, c->plen, (int)c->slen, c->str, c->slen, c->want);
    }
}

static void test_glob_redis_table(void)
{
    check_cases(glob_cases, sizeof glob_cases / sizeof glob_cases[0], 0);
}

/* "*" and "**" never match "" in Redis: KEYS "**" skips an empty key, and
 * PSUBSCRIBE "*" does not receive PUBLISH "" m (the reply is :0). */
static void test_glob_star_empty_string(void)
{
    CHECK_EQ_LL(kv_glob_match("*", 1, "", 0, 0), 0);
    CHECK_EQ_LL(kv_glob_match("**", 2, "", 0, 0), 0);
    CHECK_EQ_LL(kv_glob_match("*", 1, "", 0, 1), 0);
    CHECK_EQ_LL(kv_glob_match("", 0, "", 0, 0), 1);
    CHECK_EQ_LL(kv_glob_match("*", 1, "x", 1, 0), 1);
    CHECK_EQ_LL(kv_glob_match("x*", 2, "x", 1, 0), 1);
}

/* nocase: COMMAND LIST FILTERBY PATTERN <pat> (which folds case) listing
 * "get" or not. In a class, an escaped character is compared exactly, and
 * a range is ordered before its bounds are folded, so "[Z-a]" and "[f-H]"
 * match no letter at all. */
static const glob_case nocase_cases[] = {
    {"GET", 3, "get", 3, 1},
    {"G?T", 3, "get", 3, 1},
    {"[G]et", 5, "get", 3, 1},
    {"[^G]et", 6, "get", 3, 0},
    {"[\\G]et", 6, "get", 3, 0},
    {"[\\g]et", 6, "get", 3, 1},
    {"[Z-a]et", 7, "get", 3, 0},
    {"[a-Z]et", 7, "get", 3, 0},
    {"[F-H]et", 7, "get", 3, 1},
    {"[H-F]et", 7, "get", 3, 1},
    {"[f-H]et", 7, "get", 3, 0},
    {"\\GET", 4, "get", 3, 1},
    {"*T", 2, "get", 3, 1},
    {"G[E-E]T", 7, "get", 3, 1},
    {"[^A-F]et", 8, "get", 3, 1},
    {"get", 3, "get", 3, 1},
    {"GETX", 4, "get", 3, 0},
    {"[g-g]E[t", 8, "get", 3, 1},
};

static void test_glob_nocase(void)
{
    check_cases(nocase_cases, sizeof nocase_cases / sizeof nocase_cases[0], 1);
    /* Folding is ASCII only: bytes >= 0x80 compare exactly. */
    CHECK_EQ_LL(kv_glob_match("\xc3\x89", 2, "\xc3\xa9", 2, 1), 0);
    CHECK_EQ_LL(kv_glob_match("HELLO*", 6, "hello world", 11, 1), 1);
    CHECK_EQ_LL(kv_glob_match("HELLO*", 6, "hello world", 11, 0), 0);
}

/* ------------------------------------------------------ reference matcher */

/* Pattern as tokens: each matches exactly one byte (a set of accepted
 * bytes), or is a star. Built from the semantics above, then matched by a
 * plain dynamic program, so it shares no structure with kv_glob_match. */
#define REF_MAX 64

typedef struct ref_tok {
    int star;
    unsigned char ok[256];
} ref_tok;

static int ref_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static size_t ref_compile(const unsigned char *p, size_t n, int nocase, ref_tok *t)
{
    size_t i = 0, nt = 0;
    int c;
    while (i < n) {
        ref_tok *k = &t[nt++];
        memset(k, 0, sizeof *k);
        if (p[i] == '*') {
            k->star = 1;
            i++;
        } else if (p[i] == '?') {
            memset(k->ok, 1, sizeof k->ok);
            i++;
        } else if (p[i] == '[') {
            int neg = 0;
            i++;
            if (i < n && p[i] == '^') {
                neg = 1;
                i++;
            }
            for (;;) {
                if (i + 1 < n && p[i] == '\\') {
                    k->ok[p[i + 1]] = 1; /* exact, even with nocase */
                    i += 2;
                } else if (i >= n) {
                    break; /* unterminated: the class runs to the end */
                } else if (p[i] == ']') {
                    i++;
                    break;
                } else if (i + 2 < n && p[i + 1] == '-') {
                    int lo = p[i], hi = p[i + 2];
                    if (lo > hi) {
                        int s = lo;
                        lo = hi;
                        hi = s;
                    }
                    if (nocase) {
                        lo = ref_lower(lo);
                        hi = ref_lower(hi);
                    }
                    for (c = 0; c < 256; c++) {
                        int x = nocase ? ref_lower(c) : c;
                        if (x >= lo && x <= hi)
                            k->ok[c] = 1;
                    }
                    i += 3;
                } else {
                    for (c = 0; c < 256; c++)
                        if (nocase ? ref_lower(c) == ref_lower(p[i]) : c == p[i])
                            k->ok[c] = 1;
                    i++;
                }
            }
            if (neg)
                for (c = 0; c < 256; c++)
                    k->ok[c] = !k->ok[c];
        } else {
            int lit = p[i];
            if (lit == '\\' && i + 1 < n)
                lit = p[++i];
            for (c = 0; c < 256; c++)
                if (nocase ? ref_lower(c) == ref_lower(lit) : c == lit)
                    k->ok[c] = 1;
            i++;
        }
    }
    return nt;
}

static int ref_match(const char *pat, size_t plen, const char *str, size_t slen, int nocase)
{
    static ref_tok tok[REF_MAX];
    unsigned char dp[REF_MAX + 1][REF_MAX + 1]; /* dp[t][s]: tokens t.. match str s.. */
    const unsigned char *s = (const unsigned char *)str;
    size_t nt, t, i;
    if (slen == 0)
        return plen == 0;
    nt = ref_compile((const unsigned char *)pat, plen, nocase, tok);
    for (t = nt + 1; t-- > 0;) {
        for (i = slen + 1; i-- > 0;) {
            if (t == nt)
                dp[t][i] = i == slen;
            else if (tok[t].star)
                dp[t][i] = dp[t + 1][i] || (i < slen && dp[t][i + 1]);
            else
                dp[t][i] = i < slen && tok[t].ok[s[i]] && dp[t + 1][i + 1];
        }
    }
    return dp[0][0];
}

static unsigned long long rng_state = 0x9e3779b97f4a7c15ULL;

static unsigned rng(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state >> 33) % n;
}

/* The reference agrees with every Redis-verified case. */
static void test_glob_reference_agrees_with_redis(void)
{
    size_t i;
    for (i = 0; i < sizeof glob_cases / sizeof glob_cases[0]; i++) {
        const glob_case *c = &glob_cases[i];
        CHECK_EQ_LL(ref_match(c->pat, c->plen, c->str, c->slen, 0), c->want);
    }
    for (i = 0; i < sizeof nocase_cases / sizeof nocase_cases[0]; i++) {
        const glob_case *c = &nocase_cases[i];
        CHECK_EQ_LL(ref_match(c->pat, c->plen, c->str, c->slen, 1), c->want);
    }
}

static void test_glob_random_vs_reference(void)
{
    static const char pat_alpha[] = "ab*?[]^-\\Ax";
    static const char str_alpha[] = "abAB-]^\\[*";
    char pat[12], str[10];
    int iter, bad = 0;
    for (iter = 0; iter < 200000; iter++) {
        size_t plen = rng(sizeof pat + 1), slen = rng(sizeof str + 1), i;
        int nocase = (int)rng(2), got, want;
        for (i = 0; i < plen; i++)
            pat[i] = pat_alpha[rng(sizeof pat_alpha - 1)];
        for (i = 0; i < slen; i++)
            str[i] = str_alpha[rng(sizeof str_alpha - 1)];
        got = kv_glob_match(pat, plen, str, slen, nocase);
        want = ref_match(pat, plen, str, slen, nocase);
        if (got != want && bad++ < 5)
            fprintf(stderr, "  pattern \"%.*s\" vs \"%.*s\" nocase=%d: got %d, want %d\n",
                    (int)plen, pat, (int)slen, str, nocase, got, want);
    }
    CHECK_EQ_LL(bad, 0);
}

/* ----------------------------------------------------------- worst cases */

static double elapsed_ms(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void time_match(const char *pat, const char *str, size_t slen, int nocase, int want)
{
    struct timespec t0, t1;
    int got;
    double ms;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    got = kv_glob_match(pat, strlen(pat), str, slen, nocase);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = elapsed_ms(&t0, &t1);
    CHECK_EQ_LL(got, want);
    CHECK(ms < 100.0);
    if (ms >= 100.0)
        fprintf(stderr, "  \"%s\" took %.1f ms\n", pat, ms);
}

static void test_glob_pathological(void)
{
    static char as[10001];
    memset(as, 'a', 10000);
    as[10000] = '\0';
    time_match("a*a*a*a*a*a*a*a*a*b", as, 10000, 0, 0);
    time_match("a*a*a*a*a*a*a*a*a*b", as, 10000, 1, 0);
    time_match("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*[b]", as, 10000, 0, 0);
    time_match("*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?b", as, 10000, 0, 0);
    time_match("a*a*a*a*a*a*a*a*a*a", as, 10000, 0, 1);
    time_match("*[^b]*[a-b]*a*?*a", as, 10000, 0, 1);
}

TEST_MAIN("glob",
          TEST(test_glob_redis_table),
          TEST(test_glob_star_empty_string),
          TEST(test_glob_nocase),
          TEST(test_glob_reference_agrees_with_redis),
          TEST(test_glob_random_vs_reference),
          TEST(test_glob_pathological))
