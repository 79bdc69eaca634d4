/* Redis's cpu list format (kv_cpulist_parse, src/rt/affinity.c): single
 * CPUs, ranges, ranges with a stride, and the malformed lists that leave a
 * thread where it was (Redis ignores them the same way). */
#include "kevy/rt.h"
#include "test.h"

static void test_forms(void)
{
    int c[16], n;
    n = kv_cpulist_parse("3", c, 16);
    CHECK_EQ_LL(n, 1);
    CHECK_EQ_LL(c[0], 3);
    n = kv_cpulist_parse("0,2-4,7", c, 16);
    CHECK_EQ_LL(n, 5);
    CHECK(c[0] == 0 && c[1] == 2 && c[2] == 3 && c[3] == 4 && c[4] == 7);
    n = kv_cpulist_parse("0-9:3", c, 16);
    CHECK_EQ_LL(n, 4);
    CHECK(c[0] == 0 && c[1] == 3 && c[2] == 6 && c[3] == 9);
    n = kv_cpulist_parse("5-5", c, 16);
    CHECK(n == 1 && c[0] == 5);
    /* More CPUs than room: the count says so, the room is filled. */
    n = kv_cpulist_parse("0-19", c, 16);
    CHECK_EQ_LL(n, 20);
    CHECK_EQ_LL(c[15], 15);
}

static void test_malformed(void)
{
    static const char *bad[] = {"", "x", "1-", "-1", "3-1", "0-4:0", "0-4:", "0,,1", "0,",
                                "1 ", " 1", "1-2-3", "0:2", "99999999999"};
    int c[4];
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ_LL(kv_cpulist_parse(bad[i], c, 4), -1);
    CHECK_EQ_LL(kv_cpulist_parse(NULL, c, 4), -1);
}

TEST_MAIN("cpulist", TEST(test_forms), TEST(test_malformed))
