/* The timer heap (src/rt/timer.c) against a fake clock: firing order (by
 * deadline, ties by age), cancellation (pending, fired, stale handles after
 * a slot is reused), periodic timers (re-armed before the callback, missed
 * beats skipped), callbacks that add or cancel timers, and a random model
 * check against a sorted list. */
#include "rt/timer.h"
#include "test.h"

#define MAXLOG 4096

static int fired_log[MAXLOG];
static int nfired;

static void record(kv_shard *sh, void *arg)
{
    (void)sh;
    if (nfired < MAXLOG)
        fired_log[nfired++] = (int)(long)arg;
}

static void test_order_and_ties(void)
{
    kv_timers t;
    kv_timers_init(&t);
    nfired = 0;
    kv_timers_add(&t, 0, 300, 0, record, (void *)3L);
    kv_timers_add(&t, 0, 100, 0, record, (void *)1L);
    kv_timers_add(&t, 0, 200, 0, record, (void *)2L);
    kv_timers_add(&t, 0, 100, 0, record, (void *)11L); /* same deadline, younger */
    CHECK_EQ_LL(kv_timers_next(&t), 100);
    CHECK_EQ_LL(kv_timers_run(&t, 99, NULL), 0);
    CHECK_EQ_LL(kv_timers_run(&t, 150, NULL), 2);
    CHECK_EQ_LL(kv_timers_run(&t, 1000, NULL), 2);
    CHECK_EQ_LL(nfired, 4);
    CHECK_EQ_LL(fired_log[0], 1);
    CHECK_EQ_LL(fired_log[1], 11);
    CHECK_EQ_LL(fired_log[2], 2);
    CHECK_EQ_LL(fired_log[3], 3);
    CHECK_EQ_LL(kv_timers_next(&t), -1);
    kv_timers_free(&t);
}

static void test_cancel(void)
{
    kv_timers t;
    kv_timer_id a, b, c;
    kv_timers_init(&t);
    nfired = 0;
    a = kv_timers_add(&t, 0, 10, 0, record, (void *)1L);
    b = kv_timers_add(&t, 0, 20, 0, record, (void *)2L);
    c = kv_timers_add(&t, 0, 30, 0, record, (void *)3L);
    CHECK(a && b && c && a != b && b != c);
    CHECK_EQ_LL(kv_timers_cancel(&t, b), 1);
    CHECK_EQ_LL(kv_timers_cancel(&t, b), 0); /* already cancelled */
    CHECK_EQ_LL(kv_timers_run(&t, 100, NULL), 2);
    CHECK_EQ_LL(kv_timers_cancel(&t, a), 0); /* already fired */
    CHECK_EQ_LL(kv_timers_cancel(&t, 0), 0);
    CHECK_EQ_LL(kv_timers_cancel(&t, 12345), 0);
    /* A slot reused by a new timer: the old handle stays dead. */
    b = kv_timers_add(&t, 100, 10, 0, record, (void *)4L);
    CHECK(b != a && b != c);
    CHECK_EQ_LL(kv_timers_cancel(&t, a), 0);
    CHECK_EQ_LL(kv_timers_cancel(&t, c), 0);
    CHECK_EQ_LL(kv_timers_run(&t, 200, NULL), 1);
    CHECK_EQ_LL(nfired, 3);
    CHECK_EQ_LL(fired_log[0], 1);
    CHECK_EQ_LL(fired_log[1], 3);
    CHECK_EQ_LL(fired_log[2], 4);
    kv_timers_free(&t);
}

static void test_periodic(void)
{
    kv_timers t;
    kv_timer_id p;
    kv_timers_init(&t);
    nfired = 0;
    p = kv_timers_add(&t, 0, 10, 10, record, (void *)7L);
    CHECK_EQ_LL(kv_timers_run(&t, 10, NULL), 1);
    CHECK_EQ_LL(kv_timers_next(&t), 20);
    CHECK_EQ_LL(kv_timers_run(&t, 20, NULL), 1);
    /* Far behind: one firing, then the next beat a period from now. */
    CHECK_EQ_LL(kv_timers_run(&t, 95, NULL), 1);
    CHECK_EQ_LL(kv_timers_next(&t), 105);
    CHECK_EQ_LL(kv_timers_cancel(&t, p), 1);
    CHECK_EQ_LL(kv_timers_run(&t, 1000, NULL), 0);
    CHECK_EQ_LL(nfired, 3);
    kv_timers_free(&t);
}

static kv_timers *cb_timers;
static kv_timer_id self_id;
static int rearmed;

static void rearm_now(kv_shard *sh, void *arg)
{
    (void)sh;
    (void)arg;
    rearmed++;
    kv_timers_add(cb_timers, 50, 0, 0, rearm_now, NULL); /* due at once */
}

static void cancel_self(kv_shard *sh, void *arg)
{
    (void)sh;
    (void)arg;
    rearmed++;
    CHECK_EQ_LL(kv_timers_cancel(cb_timers, self_id), 1); /* periodic: still pending */
}

static void test_callbacks_add_and_cancel(void)
{
    kv_timers t;
    kv_timers_init(&t);
    cb_timers = &t;
    rearmed = 0;
    kv_timers_add(&t, 0, 50, 0, rearm_now, NULL);
    /* A callback that re-arms itself with no delay fires once per run. */
    CHECK_EQ_LL(kv_timers_run(&t, 50, NULL), 1);
    CHECK_EQ_LL(kv_timers_run(&t, 50, NULL), 1);
    CHECK_EQ_LL(rearmed, 2);
    kv_timers_free(&t);
    kv_timers_init(&t);
    rearmed = 0;
    self_id = kv_timers_add(&t, 0, 5, 5, cancel_self, NULL);
    CHECK_EQ_LL(kv_timers_run(&t, 100, NULL), 1);
    CHECK_EQ_LL(kv_timers_run(&t, 200, NULL), 0);
    CHECK_EQ_LL(rearmed, 1);
    kv_timers_free(&t);
}

/* Random adds and cancels against a model: every pending timer fires
 * exactly once, in (deadline, age) order. */
static void test_random_model(void)
{
    enum { N = 3000 };
    static long long when[N];
    static kv_timer_id ids[N];
    static int cancelled[N];
    kv_timers t;
    unsigned seed = 12345;
    int i, expect = 0, prev = -1, ok = 1;
    kv_timers_init(&t);
    nfired = 0;
    for (i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        when[i] = (seed >> 8) % 1000;
        ids[i] = kv_timers_add(&t, 0, when[i], 0, record, (void *)(long)i);
        cancelled[i] = 0;
    }
    for (i = 0; i < N; i += 3) {
        CHECK_EQ_LL(kv_timers_cancel(&t, ids[i]), 1);
        cancelled[i] = 1;
    }
    for (i = 0; i < N; i++)
        expect += !cancelled[i];
    nfired = 0;
    kv_timers_run(&t, 2000, NULL);
    CHECK_EQ_LL(nfired, expect > MAXLOG ? MAXLOG : expect);
    for (i = 0; i < nfired; i++) {
        int k = fired_log[i];
        if (cancelled[k] || (prev >= 0 && (when[k] < when[prev] ||
                                           (when[k] == when[prev] && k < prev))))
            ok = 0;
        prev = k;
    }
    CHECK(ok);
    CHECK_EQ_LL(kv_timers_next(&t), -1);
    kv_timers_free(&t);
}

TEST_MAIN("timer", TEST(test_order_and_ties), TEST(test_cancel), TEST(test_periodic),
          TEST(test_callbacks_add_and_cancel), TEST(test_random_model))
