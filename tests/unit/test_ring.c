/* The SPSC message ring between two shards: capacity rules, FIFO order,
 * wrap-around, publish as the only way messages become visible, and a real
 * producer/consumer pair moving ten million sequence numbers. Run it under
 * ThreadSanitizer (SAN=tsan): every slot handoff must be an acquire/release
 * pair TSan can see. Messages here are integers dressed as pointers. */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>

#include "rt/ring.h"
#include "test.h"

#define MSG(i) ((struct kv_msg *)(uintptr_t)(i))
#define NUM(m) ((unsigned long long)(uintptr_t)(m))

static unsigned long long rng_next(unsigned long long *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_ring_init_capacity(void)
{
    kv_ring r;
    static const size_t bad[] = {0, 3, 5, 6, 7, 12, 1000, 1025};
    static const size_t good[] = {1, 2, 4, 8, 1024, 65536};
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ_LL(kv_ring_init(&r, bad[i]), -1);
        CHECK(r.slots == NULL);
    }
    for (i = 0; i < sizeof good / sizeof good[0]; i++) {
        CHECK_EQ_LL(kv_ring_init(&r, good[i]), 0);
        CHECK(r.slots != NULL);
        CHECK_EQ_LL(r.mask, good[i] - 1);
        kv_ring_destroy(&r);
        CHECK(r.slots == NULL);
    }
    /* Producer and consumer indexes sit on different cache lines. */
    CHECK((size_t)((char *)&r.head - (char *)&r.tail) >= KV_CACHELINE);
}

static void test_ring_fill_publish_take(void)
{
    kv_ring r;
    struct kv_msg *out[16];
    size_t i, n;
    CHECK_EQ_LL(kv_ring_init(&r, 8), 0);
    CHECK_EQ_LL(kv_ring_pending(&r), 0);
    CHECK_EQ_LL(kv_ring_publish(&r), 0); /* nothing staged */
    for (i = 0; i < 8; i++)
        CHECK_EQ_LL(kv_ring_stage(&r, MSG(100 + i)), 0);
    CHECK_EQ_LL(kv_ring_stage(&r, MSG(999)), -1); /* full at capacity */
    CHECK_EQ_LL(kv_ring_stage(&r, MSG(999)), -1);
    /* Staged but unpublished: invisible to the consumer. */
    CHECK_EQ_LL(kv_ring_pending(&r), 0);
    CHECK_EQ_LL(kv_ring_take(&r, out, 16), 0);
    CHECK_EQ_LL(kv_ring_publish(&r), 1);
    CHECK_EQ_LL(kv_ring_publish(&r), 0); /* nothing new */
    CHECK_EQ_LL(kv_ring_pending(&r), 1);
    CHECK_EQ_LL(kv_ring_stage(&r, MSG(999)), -1); /* still full */
    n = kv_ring_take(&r, out, 3);
    CHECK_EQ_LL(n, 3);
    for (i = 0; i < n; i++)
        CHECK_EQ_LL(NUM(out[i]), 100 + i);
    CHECK_EQ_LL(kv_ring_pending(&r), 1);
    /* Three slots were handed back: exactly three more fit. */
    CHECK_EQ_LL(kv_ring_stage(&r, MSG(108)), 0);
    CHECK_EQ_LL(kv_ring_stage(&r, MSG(109)), 0);
    CHECK_EQ_LL(kv_ring_stage(&r, MSG(110)), 0);
    CHECK_EQ_LL(kv_ring_stage(&r, MSG(999)), -1);
    n = kv_ring_take(&r, out, 16); /* only the published five */
    CHECK_EQ_LL(n, 5);
    for (i = 0; i < n; i++)
        CHECK_EQ_LL(NUM(out[i]), 103 + i);
    CHECK_EQ_LL(kv_ring_pending(&r), 0);
    CHECK_EQ_LL(kv_ring_take(&r, out, 16), 0);
    CHECK_EQ_LL(kv_ring_publish(&r), 1);
    CHECK_EQ_LL(kv_ring_pending(&r), 1);
    n = kv_ring_take(&r, out, 16);
    CHECK_EQ_LL(n, 3);
    for (i = 0; i < n; i++)
        CHECK_EQ_LL(NUM(out[i]), 108 + i);
    CHECK_EQ_LL(kv_ring_pending(&r), 0);
    CHECK_EQ_LL(kv_ring_take(&r, out, 0), 0);
    kv_ring_destroy(&r);
}

static void test_ring_capacity_one(void)
{
    kv_ring r;
    struct kv_msg *out[2];
    int round;
    CHECK_EQ_LL(kv_ring_init(&r, 1), 0);
    for (round = 0; round < 5; round++) {
        CHECK_EQ_LL(kv_ring_stage(&r, MSG(round + 1)), 0);
        CHECK_EQ_LL(kv_ring_stage(&r, MSG(77)), -1);
        CHECK_EQ_LL(kv_ring_publish(&r), 1);
        CHECK_EQ_LL(kv_ring_take(&r, out, 2), 1);
        CHECK_EQ_LL(NUM(out[0]), round + 1);
    }
    kv_ring_destroy(&r);
}

/* Staged messages become visible only at publish, and in one step: a take
 * between publishes sees exactly what had been published. */
static void test_ring_pending_visibility(void)
{
    kv_ring r;
    struct kv_msg *out[8];
    CHECK_EQ_LL(kv_ring_init(&r, 8), 0);
    CHECK_EQ_LL(kv_ring_stage(&r, MSG(1)), 0);
    CHECK_EQ_LL(kv_ring_stage(&r, MSG(2)), 0);
    CHECK_EQ_LL(kv_ring_stage(&r, MSG(3)), 0);
    CHECK_EQ_LL(kv_ring_publish(&r), 1);
    CHECK_EQ_LL(kv_ring_stage(&r, MSG(4)), 0);
    CHECK_EQ_LL(kv_ring_stage(&r, MSG(5)), 0);
    CHECK_EQ_LL(kv_ring_pending(&r), 1);
    CHECK_EQ_LL(kv_ring_take(&r, out, 8), 3);
    CHECK_EQ_LL(NUM(out[0]), 1);
    CHECK_EQ_LL(NUM(out[2]), 3);
    CHECK_EQ_LL(kv_ring_pending(&r), 0); /* 4 and 5 are staged only */
    CHECK_EQ_LL(kv_ring_take(&r, out, 8), 0);
    CHECK_EQ_LL(kv_ring_publish(&r), 1);
    CHECK_EQ_LL(kv_ring_pending(&r), 1);
    CHECK_EQ_LL(kv_ring_take(&r, out, 8), 2);
    CHECK_EQ_LL(NUM(out[0]), 4);
    CHECK_EQ_LL(NUM(out[1]), 5);
    CHECK_EQ_LL(kv_ring_pending(&r), 0);
    kv_ring_destroy(&r);
}

/* Many laps around a small ring with random batch and take sizes. */
static void test_ring_wraparound(void)
{
    kv_ring r;
    struct kv_msg *out[16];
    unsigned long long seed = 12345, next_in = 0, next_out = 0;
    size_t staged = 0, published = 0; /* not yet taken */
    int round, disorder = 0, over = 0; /* over: any broken accounting */
    CHECK_EQ_LL(kv_ring_init(&r, 16), 0);
    for (round = 0; round < 200000; round++) {
        size_t want = (size_t)(rng_next(&seed) % 20), i, n, max;
        for (i = 0; i < want; i++) {
            if (kv_ring_stage(&r, MSG(next_in + 1)) != 0)
                break;
            next_in++;
            staged++;
        }
        /* A stage fails exactly when the ring holds its capacity. */
        if (i < want && staged + published != 16)
            over++;
        if (staged + published > 16)
            over++;
        if (rng_next(&seed) % 4 != 0) {
            if (kv_ring_publish(&r) != (staged > 0))
                over++;
            published += staged;
            staged = 0;
        }
        if ((kv_ring_pending(&r) != 0) != (published > 0))
            over++;
        max = (size_t)(rng_next(&seed) % 17);
        n = kv_ring_take(&r, out, max);
        /* Take may stop at what its cached view of tail shows, but never
         * returns nothing while something is published. */
        if (n > (published < max ? published : max) || (n == 0 && published > 0 && max > 0))
            over++;
        for (i = 0; i < n; i++)
            if (NUM(out[i]) != ++next_out)
                disorder++;
        published -= n;
    }
    CHECK_EQ_LL(disorder, 0);
    CHECK_EQ_LL(over, 0);
    CHECK(next_in > 16 * 10000); /* wrapped many times */
    kv_ring_destroy(&r);
}

/* ------------------------------------------------------------ two threads */

#define XFER_COUNT 10000000ULL
#define XFER_CAP 1024

typedef struct xfer {
    kv_ring ring;
    unsigned long long received;
    unsigned long long disorder;
    unsigned long long producer_full; /* times the producer found it full */
} xfer;

static void *xfer_producer(void *arg)
{
    xfer *x = arg;
    unsigned long long seed = 0xabcdef12345ULL, seq = 1;
    while (seq <= XFER_COUNT) {
        unsigned long long batch = 1 + rng_next(&seed) % 300, i;
        for (i = 0; i < batch && seq <= XFER_COUNT;) {
            if (kv_ring_stage(&x->ring, MSG(seq)) == 0) {
                seq++;
                i++;
                continue;
            }
            /* Full: what is staged must be published, or the consumer can
             * never make room. */
            x->producer_full++;
            kv_ring_publish(&x->ring);
            sched_yield();
        }
        kv_ring_publish(&x->ring);
    }
    return NULL;
}

static void *xfer_consumer(void *arg)
{
    xfer *x = arg;
    static struct kv_msg *out[XFER_CAP];
    unsigned long long seed = 0x5eed5eedULL, expect = 1;
    int idle = 0;
    while (expect <= XFER_COUNT) {
        size_t max = 1 + (size_t)(rng_next(&seed) % XFER_CAP), n, i;
        n = kv_ring_take(&x->ring, out, max);
        if (n == 0) {
            if (++idle > 64) {
                /* The parking re-check must agree with take. */
                if (kv_ring_pending(&x->ring))
                    idle = 0;
                sched_yield();
            }
            continue;
        }
        idle = 0;
        for (i = 0; i < n; i++) {
            if (NUM(out[i]) != expect)
                x->disorder++;
            expect = NUM(out[i]) + 1;
            x->received++;
        }
    }
    return NULL;
}

static void test_ring_two_threads(void)
{
    static xfer x;
    pthread_t prod, cons;
    struct kv_msg *out[4];
    memset(&x, 0, sizeof x);
    CHECK_EQ_LL(kv_ring_init(&x.ring, XFER_CAP), 0);
    CHECK_EQ_LL(pthread_create(&cons, NULL, xfer_consumer, &x), 0);
    CHECK_EQ_LL(pthread_create(&prod, NULL, xfer_producer, &x), 0);
    pthread_join(prod, NULL);
    pthread_join(cons, NULL);
    CHECK_EQ_LL(x.received, XFER_COUNT);
    CHECK_EQ_LL(x.disorder, 0);
    CHECK_EQ_LL(kv_ring_pending(&x.ring), 0);
    CHECK_EQ_LL(kv_ring_take(&x.ring, out, 4), 0); /* nothing duplicated */
    kv_ring_destroy(&x.ring);
}

TEST_MAIN("ring",
          TEST(test_ring_init_capacity),
          TEST(test_ring_fill_publish_take),
          TEST(test_ring_capacity_one),
          TEST(test_ring_pending_visibility),
          TEST(test_ring_wraparound),
          TEST(test_ring_two_threads))
