/* Minimal unit-test harness shared by tests/unit: CHECK records a failure and
 * keeps going, so one run reports every broken assertion; TEST_MAIN runs the
 * listed cases and exits non-zero if any check failed. */
#ifndef KEVY_TEST_H
#define KEVY_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failures;
static int test_checks;

#define CHECK(cond)                                                        \
    do {                                                                   \
        test_checks++;                                                     \
        if (!(cond)) {                                                     \
            test_failures++;                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,         \
                    __LINE__, #cond);                                      \
        }                                                                  \
    } while (0)

#define CHECK_EQ_LL(a, b)                                                  \
    do {                                                                   \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);    \
        test_checks++;                                                     \
        if (check_a_ != check_b_) {                                        \
            test_failures++;                                               \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n",      \
                    __FILE__, __LINE__, #a, #b, check_a_, check_b_);       \
        }                                                                  \
    } while (0)

/* Compare n bytes of a with the C string b (lengths must match). */
#define CHECK_MEM(a, n, b)                                                 \
    do {                                                                   \
        size_t check_n_ = (size_t)(n);                                     \
        const char *check_b_ = (b);                                        \
        test_checks++;                                                     \
        if (check_n_ != strlen(check_b_) ||                                \
            memcmp((a), check_b_, check_n_) != 0) {                        \
            test_failures++;                                               \
            fprintf(stderr, "%s:%d: %s != \"%s\" (got %zu bytes: \"%.*s\")\n", \
                    __FILE__, __LINE__, #a, check_b_, check_n_,            \
                    (int)(check_n_ > 200 ? 200 : check_n_),                \
                    (const char *)(a));                                    \
        }                                                                  \
    } while (0)

typedef void (*test_fn)(void);
typedef struct test_case {
    const char *name;
    test_fn fn;
} test_case;

static int test_run(const char *suite, const test_case *cases, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        int before = test_failures;
        cases[i].fn();
        fprintf(stderr, "  %-40s %s\n", cases[i].name,
                test_failures == before ? "ok" : "FAILED");
    }
    fprintf(stderr, "%s: %d checks, %d failed\n", suite, test_checks,
            test_failures);
    return test_failures ? 1 : 0;
}

#define TEST(name) {#name, name}
#define TEST_MAIN(suite, ...)                                              \
    int main(void)                                                         \
    {                                                                      \
        static const test_case cases_[] = {__VA_ARGS__};                   \
        return test_run(suite, cases_, sizeof cases_ / sizeof cases_[0]);  \
    }

#endif
