/* The runtime services the command set builds on, each through the public
 * API with a tiny command set of its own:
 *   - push to a client from any shard, ordered after the replies of the
 *     commands it had issued, and a suspended command resumed from another
 *     shard (kv_sim, two shards);
 *   - the after_command hook: once per unit of work, never while a
 *     transaction still holds the keys it wrote (kv_sim);
 *   - timers and watched file descriptors on a live runtime (threads,
 *     reactor, a pipe written by a helper thread). */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "kevy/rt.h"
#include "test.h"

/* ------------------------------------------------------- a command set */

static kv_ticket ticket;
static int after_calls[2];
static int after_saw_locked;
static char written[2][8][16];
static int nwritten[2];

static int eq(const kv_str *a, const char *s)
{
    return a->n == strlen(s) && memcmp(a->p, s, a->n) == 0;
}

static long long num(const kv_str *a)
{
    char b[32];
    size_t n = a->n < 31 ? a->n : 31;
    memcpy(b, a->p, n);
    b[n] = '\0';
    return atoll(b);
}

/* susp: the reply comes later. wake TEXT: resume it with +TEXT. */
static void cmd_susp(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    (void)argv;
    if (kv_ctx_suspend(ctx, &ticket) != 0)
        kv_reply_error(&ctx->out, "ERR cannot suspend here");
}

static void cmd_wake(kv_ctx *ctx, int argc, const kv_str *argv)
{
    char r[64];
    (void)argc;
    snprintf(r, sizeof r, "+%.*s\r\n", (int)argv[1].n, argv[1].p);
    kv_shard_resume(ctx->shard, &ticket, r, strlen(r));
    kv_reply_status(&ctx->out, "OK");
}

/* push ID HOME TEXT */
static void cmd_push(kv_ctx *ctx, int argc, const kv_str *argv)
{
    char r[64];
    (void)argc;
    snprintf(r, sizeof r, "+%.*s\r\n", (int)argv[3].n, argv[3].p);
    kv_shard_push(ctx->shard, (int)num(&argv[2]), (unsigned long long)num(&argv[1]), r,
                  strlen(r));
    kv_reply_status(&ctx->out, "OK");
}

static void cmd_ping(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    (void)argv;
    kv_reply_status(&ctx->out, "PONG");
}

/* w KEY / mw KEY...: a write that asks for the after_command hook. */
static void cmd_write(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int s = kv_shard_id(ctx->shard), i;
    for (i = 1; i < argc; i++)
        if (nwritten[s] < 8) {
            snprintf(written[s][nwritten[s]++], 16, "%.*s", (int)argv[i].n, argv[i].p);
        }
    kv_shard_want_after(ctx->shard);
    kv_reply_status(&ctx->out, "OK");
}

static void after_command(kv_shard *sh, void *state)
{
    int s = kv_shard_id(sh), i;
    (void)state;
    after_calls[s]++;
    for (i = 0; i < nwritten[s]; i++)
        if (kv_shard_key_locked(sh, written[s][i], strlen(written[s][i])))
            after_saw_locked++;
    nwritten[s] = 0;
}

static const kv_cmd cmds[] = {
    {.name = "susp", .arity = 1, .route = KV_ROUTE_LOCAL, .exec = cmd_susp},
    {.name = "suspk", .arity = 2, .first_key = 1, .last_key = 1, .key_step = 1,
     .route = KV_ROUTE_KEY, .exec = cmd_susp},
    {.name = "wake", .arity = 2, .route = KV_ROUTE_LOCAL, .exec = cmd_wake},
    {.name = "push", .arity = 4, .route = KV_ROUTE_LOCAL, .exec = cmd_push},
    {.name = "ping", .arity = 1, .route = KV_ROUTE_LOCAL, .exec = cmd_ping},
    {.name = "w", .arity = 2, .first_key = 1, .last_key = 1, .key_step = 1,
     .route = KV_ROUTE_KEY, .exec = cmd_write},
    {.name = "mw", .arity = -2, .first_key = 1, .last_key = -1, .key_step = 1,
     .route = KV_ROUTE_KEYS, .exec = cmd_write, .reduce = kv_reduce_first},
};

static const kv_cmd *lookup(void *udata, int argc, const kv_str *argv)
{
    size_t i;
    (void)udata;
    (void)argc;
    for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (eq(&argv[0], cmds[i].name))
            return &cmds[i];
    return &cmds[4];
}

static kv_cmdset cmdset(void)
{
    kv_cmdset cs;
    memset(&cs, 0, sizeof cs);
    cs.lookup = lookup;
    cs.after_command = after_command;
    return cs;
}

/* ------------------------------------------------------------- helpers */

static void sendf(kv_sim *s, unsigned long long id, int argc, const char *const *words)
{
    char buf[512];
    size_t n = (size_t)snprintf(buf, sizeof buf, "*%d\r\n", argc);
    int i;
    for (i = 0; i < argc; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "$%zu\r\n%s\r\n", strlen(words[i]),
                              words[i]);
    CHECK(kv_sim_send(s, id, buf, n) == 0);
}

static void send1(kv_sim *s, unsigned long long id, const char *a)
{
    sendf(s, id, 1, &a);
}

static void send2(kv_sim *s, unsigned long long id, const char *a, const char *b)
{
    const char *w[2];
    w[0] = a;
    w[1] = b;
    sendf(s, id, 2, w);
}

static void expect(kv_sim *s, unsigned long long id, const char *want)
{
    kv_buf out;
    kv_buf_init(&out);
    CHECK(kv_sim_recv(s, id, &out) == 0);
    CHECK_MEM(out.p ? out.p : "", out.len, want);
    kv_buf_free(&out);
}

static void check_idle(kv_sim *s)
{
    kv_shard_gauges g;
    CHECK(kv_sim_settle(s, 1000) == 0);
    kv_sim_tick(s);
    CHECK(kv_sim_settle(s, 1000) == 0);
    kv_sim_gauges(s, &g);
    CHECK_EQ_LL(g.inflight + g.locks_held + g.lock_waiters + g.operations + g.closing_clients, 0);
}

/* A key of `prefix` owned by shard `shard` of 2. */
static void key_on(int shard, const char *prefix, char *out, size_t cap)
{
    int i;
    for (i = 0; i < 100000; i++) {
        snprintf(out, cap, "%s%d", prefix, i);
        if (kv_slot_shard(kv_key_slot(out, strlen(out)), 2) == shard)
            return;
    }
    abort();
}

/* ------------------------------------------------------ push and resume */

static void test_push_follows_issued_replies(void)
{
    kv_cmdset cs = cmdset();
    kv_sim *s = kv_sim_new(&cs, 2);
    unsigned long long a = kv_sim_connect(s, 0), b = kv_sim_connect(s, 1);
    char ida[32];
    const char *push[4];
    snprintf(ida, sizeof ida, "%llu", a);
    push[0] = "push";
    push[1] = ida;
    push[2] = "0";
    push[3] = "idle";
    /* Nothing pending: the push goes straight out. */
    sendf(s, b, 4, push);
    check_idle(s);
    expect(s, a, "+idle\r\n");
    expect(s, b, "+OK\r\n");
    /* A suspended command and one behind it: a push from another shard
     * lands after the suspended reply, before the later command's. */
    send1(s, a, "susp");
    send1(s, a, "ping");
    push[3] = "p1";
    sendf(s, b, 4, push);
    check_idle(s);
    expect(s, a, "");
    send2(s, b, "wake", "r1");
    check_idle(s);
    expect(s, a, "+r1\r\n+p1\r\n+PONG\r\n");
    expect(s, b, "+OK\r\n+OK\r\n");
    /* A stale ticket (already resumed) does nothing. */
    send2(s, b, "wake", "again");
    check_idle(s);
    expect(s, a, "");
    kv_sim_free(s);
}

static void test_resume_on_the_home_shard(void)
{
    kv_cmdset cs = cmdset();
    kv_sim *s = kv_sim_new(&cs, 2);
    unsigned long long a = kv_sim_connect(s, 0), b = kv_sim_connect(s, 0);
    char k1[16];
    send1(s, a, "susp");
    send2(s, b, "wake", "local");
    check_idle(s);
    expect(s, a, "+local\r\n");
    /* A command on another shard has no client to suspend. */
    key_on(1, "k", k1, sizeof k1);
    send2(s, a, "suspk", k1);
    check_idle(s);
    expect(s, a, "-ERR cannot suspend here\r\n");
    kv_sim_free(s);
}

static void test_suspended_client_vanishes(void)
{
    kv_cmdset cs = cmdset();
    kv_sim *s = kv_sim_new(&cs, 2);
    unsigned long long a = kv_sim_connect(s, 0), b = kv_sim_connect(s, 1);
    send1(s, a, "susp");
    send1(s, a, "ping");
    kv_sim_close(s, a);
    check_idle(s); /* nothing holds a suspended client */
    send2(s, b, "wake", "late");
    check_idle(s);
    expect(s, b, "+OK\r\n");
    kv_sim_free(s);
}

/* --------------------------------------------------------- after hook */

static void test_after_command_once_per_unit(void)
{
    kv_cmdset cs = cmdset();
    kv_sim *s = kv_sim_new(&cs, 2);
    unsigned long long a = kv_sim_connect(s, 0);
    char k0[16], k1[16];
    const char *mw[3];
    key_on(0, "k", k0, sizeof k0);
    key_on(1, "k", k1, sizeof k1);
    memset(after_calls, 0, sizeof after_calls);
    after_saw_locked = 0;
    send1(s, a, "ping"); /* asks for nothing */
    check_idle(s);
    CHECK_EQ_LL(after_calls[0] + after_calls[1], 0);
    send2(s, a, "w", k0); /* inline on shard 0 */
    check_idle(s);
    CHECK_EQ_LL(after_calls[0], 1);
    send2(s, a, "w", k1); /* forwarded to shard 1 */
    check_idle(s);
    CHECK_EQ_LL(after_calls[1], 1);
    /* A write over both shards is one transaction: each shard's hook runs
     * once, after its locks are released. */
    mw[0] = "mw";
    mw[1] = k0;
    mw[2] = k1;
    sendf(s, a, 3, mw);
    check_idle(s);
    CHECK_EQ_LL(after_calls[0], 2);
    CHECK_EQ_LL(after_calls[1], 2);
    CHECK_EQ_LL(after_saw_locked, 0);
    expect(s, a, "+PONG\r\n+OK\r\n+OK\r\n+OK\r\n");
    kv_sim_free(s);
}

/* ------------------------------------------- timers and fds, live */

typedef struct live {
    int pipefd[2];
    pthread_t writer;
    kv_fdwatch *watch;
    int fd_reads;
    unsigned fd_events;
    int beats;
    kv_timer_id periodic;
    long long start_ms, oneshot_ms;
    int done;
} live;

static live lv;

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void maybe_stop(kv_shard *sh)
{
    if (lv.fd_reads && lv.oneshot_ms && lv.beats >= 4)
        kv_rt_stop(kv_shard_rt(sh));
}

static void on_pipe(kv_shard *sh, int fd, unsigned events, void *arg)
{
    char b[16];
    (void)arg;
    lv.fd_events |= events;
    while (read(fd, b, sizeof b) > 0) /* edge-triggered: drain */
        lv.fd_reads++;
    kv_shard_unwatch_fd(sh, lv.watch);
    maybe_stop(sh);
}

static void on_oneshot(kv_shard *sh, void *arg)
{
    (void)arg;
    lv.oneshot_ms = mono_ms();
    maybe_stop(sh);
}

static void on_beat(kv_shard *sh, void *arg)
{
    (void)arg;
    if (++lv.beats == 4)
        CHECK_EQ_LL(kv_timer_cancel(sh, lv.periodic), 1);
    maybe_stop(sh);
}

static void *writer(void *arg)
{
    struct timespec ts = {0, 20 * 1000000L};
    ssize_t rc;
    (void)arg;
    nanosleep(&ts, NULL);
    rc = write(lv.pipefd[1], "x", 1);
    (void)rc;
    return NULL;
}

static void *live_init(kv_shard *sh, void *udata)
{
    (void)udata;
    if (kv_shard_id(sh) != 0)
        return NULL;
    lv.start_ms = mono_ms();
    CHECK(pipe(lv.pipefd) == 0);
    fcntl(lv.pipefd[0], F_SETFL, O_NONBLOCK); /* the handler reads until EAGAIN */
    lv.watch = kv_shard_watch_fd(sh, lv.pipefd[0], KV_FD_READ, on_pipe, NULL);
    CHECK(lv.watch != NULL);
    kv_timer_add(sh, 30, 0, on_oneshot, NULL);
    lv.periodic = kv_timer_add(sh, 5, 5, on_beat, NULL);
    CHECK(pthread_create(&lv.writer, NULL, writer, NULL) == 0);
    return NULL;
}

static void live_fini(kv_shard *sh, void *state)
{
    (void)state;
    if (kv_shard_id(sh) != 0)
        return;
    pthread_join(lv.writer, NULL);
    close(lv.pipefd[0]);
    close(lv.pipefd[1]);
}

static void test_timers_and_fds_live(void)
{
    kv_rt_config cfg;
    char err[256];
    kv_rt *rt;
    int flags;
    memset(&lv, 0, sizeof lv);
    kv_rt_config_defaults(&cfg);
    cfg.port = 0;
    cfg.nshards = 2;
    cfg.loglevel = 3;
    cfg.cmds.lookup = lookup;
    cfg.cmds.shard_init = live_init;
    cfg.cmds.shard_fini = live_fini;
    rt = kv_rt_new(&cfg, err, sizeof err);
    CHECK(rt != NULL);
    if (!rt)
        return;
    CHECK_EQ_LL(kv_rt_run(rt), 0);
    kv_rt_free(rt);
    flags = lv.fd_events & KV_FD_READ;
    CHECK(flags != 0);
    CHECK_EQ_LL(lv.fd_reads, 1);
    CHECK_EQ_LL(lv.beats, 4);
    CHECK(lv.oneshot_ms - lv.start_ms >= 30);
    CHECK(lv.oneshot_ms - lv.start_ms < 2000);
}

TEST_MAIN("services", TEST(test_push_follows_issued_replies), TEST(test_resume_on_the_home_shard),
          TEST(test_suspended_client_vanishes), TEST(test_after_command_once_per_unit),
          TEST(test_timers_and_fds_live))
