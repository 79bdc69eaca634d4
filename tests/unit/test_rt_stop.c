/* Regression: a stop requested before the runtime's thread reached sigwait
 * (here: by a shard, at once, as SHUTDOWN can under load) left a SIGTERM
 * pending, and restoring the signal mask then killed the process instead
 * of returning cleanly. Each round must come back from kv_rt_run. */
#include "kevy/rt.h"
#include "test.h"

static kv_rt *current;

static void *stop_at_start(kv_shard *sh, void *udata)
{
    (void)udata;
    kv_rt_stop(kv_shard_rt(sh));
    return NULL;
}

static const kv_cmd any = {.name = "any", .arity = -1, .route = KV_ROUTE_LOCAL};

static const kv_cmd *lookup(void *udata, int argc, const kv_str *argv)
{
    (void)udata;
    (void)argc;
    (void)argv;
    return &any;
}

static void test_stop_before_wait(void)
{
    int round;
    for (round = 0; round < 50; round++) {
        kv_rt_config cfg;
        char err[256];
        kv_rt_config_defaults(&cfg);
        cfg.port = 0;
        cfg.nshards = 2;
        cfg.loglevel = 3;
        cfg.cmds.lookup = lookup;
        cfg.cmds.shard_init = stop_at_start;
        current = kv_rt_new(&cfg, err, sizeof err);
        CHECK(current != NULL);
        if (!current)
            return;
        CHECK_EQ_LL(kv_rt_run(current), 0);
        kv_rt_free(current);
    }
}

TEST_MAIN("rt_stop", TEST(test_stop_before_wait))
