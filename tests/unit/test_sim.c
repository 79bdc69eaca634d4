/* Cross-shard paths driven step by step with kv_sim (two shards in one
 * thread): clients that vanish while their command waits for a lock or for
 * another shard, and the connection lifetime rule that keeps that safe.
 * Each case is the smallest sequence that once broke (use-after-free under
 * ASan, or a connection left waiting forever). */
#include "test.h"

#include "cmd/cmd.h"
#include "kevy/rt.h"

static kv_server srv;
static kv_cmdset cs;

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

static void send_cmds(kv_sim *s, unsigned long long id, const char *const *words, int n)
{
    kv_buf b;
    int i;
    kv_buf_init(&b);
    for (i = 0; i < n; i++)
        kv_buf_append(&b, words[i], strlen(words[i]));
    CHECK(kv_sim_send(s, id, b.p, b.len) == 0);
    kv_buf_free(&b);
}

static void check_idle(kv_sim *s)
{
    kv_shard_gauges g;
    CHECK(kv_sim_settle(s, 1000) == 0);
    kv_sim_tick(s);
    CHECK(kv_sim_settle(s, 1000) == 0);
    kv_sim_gauges(s, &g);
    CHECK_EQ_LL(g.inflight, 0);
    CHECK_EQ_LL(g.locks_held, 0);
    CHECK_EQ_LL(g.lock_waiters, 0);
    CHECK_EQ_LL(g.operations, 0);
    CHECK_EQ_LL(g.closing_clients, 0);
}

static kv_sim *sim2(void)
{
    kv_sim *s;
    kv_commands_fini(&srv); /* the previous test's */
    kv_server_fixed(&srv, 2);
    kv_commands_init(&cs, &srv);
    s = kv_sim_new(&cs, 2);
    CHECK(s != NULL);
    return s;
}

static char *resp(char *buf, size_t cap, const char *a, const char *b, const char *c)
{
    if (c)
        snprintf(buf, cap, "*3\r\n$%zu\r\n%s\r\n$%zu\r\n%s\r\n$%zu\r\n%s\r\n", strlen(a), a,
                 strlen(b), b, strlen(c), c);
    else if (b)
        snprintf(buf, cap, "*2\r\n$%zu\r\n%s\r\n$%zu\r\n%s\r\n", strlen(a), a, strlen(b), b);
    else
        snprintf(buf, cap, "*1\r\n$%zu\r\n%s\r\n", strlen(a), a);
    return buf;
}

/* A client waits for a key a cross-shard EXEC holds, and disconnects; the
 * lock queue must not wake a freed connection when the EXEC releases. */
static void test_lock_waiter_disconnects(void)
{
    kv_sim *s = sim2();
    char k0[32], k1[32], c1[128], c2[128], c3[128];
    const char *txn[4];
    unsigned long long a = kv_sim_connect(s, 0), b = kv_sim_connect(s, 0);
    kv_buf out;
    key_on(0, "k", k0, sizeof k0);
    key_on(1, "k", k1, sizeof k1);
    txn[0] = "*1\r\n$5\r\nMULTI\r\n";
    txn[1] = resp(c1, sizeof c1, "INCR", k0, NULL);
    txn[2] = resp(c2, sizeof c2, "INCR", k1, NULL);
    txn[3] = "*1\r\n$4\r\nEXEC\r\n";
    send_cmds(s, a, txn, 4); /* k0 locked here, the lock request for k1 queued */
    txn[0] = resp(c3, sizeof c3, "GET", k0, NULL);
    send_cmds(s, b, txn, 1); /* waits for k0 */
    kv_sim_close(s, b);
    kv_sim_turn(s, 0); /* the reaper runs: b must survive it */
    check_idle(s);
    kv_buf_init(&out);
    CHECK(kv_sim_recv(s, a, &out) == 0);
    CHECK_MEM(out.p, out.len, "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:1\r\n:1\r\n");
    kv_buf_free(&out);
    kv_sim_free(s);
}

/* The same client killed (CLIENT KILL from another shard's client) rather
 * than disconnecting. */
static void test_lock_waiter_killed(void)
{
    kv_sim *s = sim2();
    char k0[32], k1[32], c1[128], c2[128], c3[128], id[32];
    const char *txn[4];
    unsigned long long a = kv_sim_connect(s, 1), b = kv_sim_connect(s, 0),
                       k = kv_sim_connect(s, 1);
    kv_buf out;
    key_on(0, "k", k0, sizeof k0);
    key_on(1, "k", k1, sizeof k1);
    txn[0] = "*1\r\n$5\r\nMULTI\r\n";
    txn[1] = resp(c1, sizeof c1, "SET", k0, "x");
    txn[2] = resp(c2, sizeof c2, "SET", k1, "y");
    txn[3] = "*1\r\n$4\r\nEXEC\r\n";
    send_cmds(s, a, txn, 4);
    kv_sim_turn(s, 0); /* shard 0 grants k0 */
    txn[0] = resp(c3, sizeof c3, "GET", k0, NULL);
    send_cmds(s, b, txn, 1); /* waits for k0 */
    snprintf(id, sizeof id, "%llu", b);
    {
        char kill[128];
        snprintf(kill, sizeof kill, "*4\r\n$6\r\nCLIENT\r\n$4\r\nKILL\r\n$2\r\nID\r\n$%zu\r\n%s\r\n",
                 strlen(id), id);
        CHECK(kv_sim_send(s, k, kill, strlen(kill)) == 0);
    }
    check_idle(s);
    kv_buf_init(&out);
    CHECK(kv_sim_recv(s, k, &out) == 0);
    CHECK_MEM(out.p, out.len, ":1\r\n");
    out.len = 0;
    CHECK(kv_sim_recv(s, b, &out) == -1);
    CHECK(kv_sim_recv(s, a, &out) == 0);
    CHECK_MEM(out.p, out.len, "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n+OK\r\n");
    kv_buf_free(&out);
    kv_sim_free(s);
}

/* A coordination nested in EXEC (RENAME across shards) waits for the
 * other shard; it must not leave the connection counted as busy. */
static void test_nested_coordination_releases_the_connection(void)
{
    kv_sim *s = sim2();
    char k0[32], k1[32], c1[128], c2[128];
    const char *cmds[5];
    unsigned long long a = kv_sim_connect(s, 0);
    kv_buf out;
    key_on(0, "r", k0, sizeof k0);
    key_on(1, "r", k1, sizeof k1);
    cmds[0] = resp(c1, sizeof c1, "SET", k0, "v");
    cmds[1] = "*1\r\n$5\r\nMULTI\r\n";
    cmds[2] = resp(c2, sizeof c2, "RENAME", k0, k1);
    cmds[3] = "*1\r\n$4\r\nEXEC\r\n";
    cmds[4] = "*1\r\n$4\r\nPING\r\n";
    send_cmds(s, a, cmds, 5);
    check_idle(s);
    kv_buf_init(&out);
    CHECK(kv_sim_recv(s, a, &out) == 0);
    CHECK_MEM(out.p, out.len, "+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n+PONG\r\n");
    kv_buf_free(&out);
    kv_sim_free(s);
}

/* A client with a split command in flight disconnects before the parts
 * come back: the parts still complete, nothing is left behind. */
static void test_fanout_client_vanishes(void)
{
    kv_sim *s = sim2();
    char k0[32], k1[32], cmd[256];
    unsigned long long a = kv_sim_connect(s, 0), b = kv_sim_connect(s, 1);
    kv_buf out;
    key_on(0, "m", k0, sizeof k0);
    key_on(1, "m", k1, sizeof k1);
    snprintf(cmd, sizeof cmd, "*5\r\n$4\r\nMSET\r\n$%zu\r\n%s\r\n$1\r\n1\r\n$%zu\r\n%s\r\n$1\r\n2\r\n",
             strlen(k0), k0, strlen(k1), k1);
    CHECK(kv_sim_send(s, a, cmd, strlen(cmd)) == 0);
    kv_sim_close(s, a);
    check_idle(s);
    snprintf(cmd, sizeof cmd, "*3\r\n$4\r\nMGET\r\n$%zu\r\n%s\r\n$%zu\r\n%s\r\n", strlen(k0), k0,
             strlen(k1), k1);
    CHECK(kv_sim_send(s, b, cmd, strlen(cmd)) == 0);
    check_idle(s);
    kv_buf_init(&out);
    CHECK(kv_sim_recv(s, b, &out) == 0);
    CHECK_MEM(out.p, out.len, "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"); /* MSET is whole, or not at all */
    kv_buf_free(&out);
    kv_sim_free(s);
}

/* Count ":n" replies in out, checking they increase; returns how many. */
static int increasing_ints(const kv_buf *out)
{
    long prev = 0;
    size_t pos = 0;
    int n = 0;
    while (pos < out->len) {
        long v = strtol(out->p + pos + 1, NULL, 10);
        CHECK(out->p[pos] == ':' && v > prev);
        prev = v;
        n++;
        while (pos < out->len && out->p[pos] != '\n')
            pos++;
        pos++;
    }
    return n;
}

/* More messages in one turn than a ring holds (1024): the outbox keeps the
 * rest and publishes them on later turns; every reply arrives, and each
 * client's in program order. */
static void test_ring_full_loses_nothing(void)
{
    kv_sim *s = sim2();
    enum { CLIENTS = 60, EACH = 30 };
    unsigned long long ids[CLIENTS];
    char k1[32], incr[128], get[128];
    kv_buf out;
    int i, j;
    key_on(1, "f", k1, sizeof k1);
    snprintf(incr, sizeof incr, "*2\r\n$4\r\nINCR\r\n$%zu\r\n%s\r\n", strlen(k1), k1);
    snprintf(get, sizeof get, "*2\r\n$3\r\nGET\r\n$%zu\r\n%s\r\n", strlen(k1), k1);
    for (i = 0; i < CLIENTS; i++)
        ids[i] = kv_sim_connect(s, 0);
    for (j = 0; j < EACH; j++) /* 1800 forwarded commands before any turn */
        for (i = 0; i < CLIENTS; i++)
            CHECK(kv_sim_send(s, ids[i], incr, strlen(incr)) == 0);
    CHECK_EQ_LL(kv_sim_turn(s, 0), 1); /* the ring filled: a backlog is left */
    check_idle(s);
    kv_buf_init(&out);
    for (i = 0; i < CLIENTS; i++) {
        out.len = 0;
        CHECK(kv_sim_recv(s, ids[i], &out) == 0);
        CHECK_EQ_LL(increasing_ints(&out), EACH);
    }
    out.len = 0;
    CHECK(kv_sim_send(s, ids[0], get, strlen(get)) == 0);
    check_idle(s);
    CHECK(kv_sim_recv(s, ids[0], &out) == 0);
    CHECK_MEM(out.p, out.len, "$4\r\n1800\r\n");
    kv_buf_free(&out);
    kv_sim_free(s);
}

/* A client popping with BLPOP goes away at every point of being served
 * (READY, the serve's locks, the pop, the reply on its way), whether it
 * blocked first or the element was there already, with the key on its own
 * shard or on the other, having read what had reached it or not: the
 * element either reached it or is back in the list, never both, never
 * neither. */
static void vanish_while_served(int key_shard, int blocked_first, int reads)
{
    char k1[32], blpop[128], rpush[128], lrange[128];
    int at;
    key_on(key_shard, "q", k1, sizeof k1);
    snprintf(blpop, sizeof blpop, "*3\r\n$5\r\nBLPOP\r\n$%zu\r\n%s\r\n$1\r\n0\r\n",
             strlen(k1), k1);
    snprintf(rpush, sizeof rpush, "*3\r\n$5\r\nRPUSH\r\n$%zu\r\n%s\r\n$1\r\nx\r\n",
             strlen(k1), k1);
    snprintf(lrange, sizeof lrange,
             "*4\r\n$6\r\nLRANGE\r\n$%zu\r\n%s\r\n$1\r\n0\r\n$2\r\n-1\r\n", strlen(k1), k1);
    for (at = 0; at < 12; at++) {
        kv_sim *s = sim2();
        unsigned long long a = kv_sim_connect(s, 0), b = kv_sim_connect(s, 1);
        kv_buf got, list;
        int t, received;
        kv_buf_init(&got);
        kv_buf_init(&list);
        if (blocked_first) {
            CHECK(kv_sim_send(s, a, blpop, strlen(blpop)) == 0);
            check_idle(s); /* A is blocked, registered on the key's shard */
            CHECK(kv_sim_send(s, b, rpush, strlen(rpush)) == 0);
        } else {
            CHECK(kv_sim_send(s, b, rpush, strlen(rpush)) == 0);
            check_idle(s);
            CHECK(kv_sim_send(s, a, blpop, strlen(blpop)) == 0);
        }
        for (t = 0; t < at; t++) /* the serve advances a turn at a time */
            kv_sim_turn(s, t % 2 == 0 ? 1 : 0);
        if (reads)
            kv_sim_recv(s, a, &got); /* else a reply queued is never sent */
        kv_sim_close(s, a);
        check_idle(s);
        received = got.len > 0;
        if (received) {
            char want[128];
            snprintf(want, sizeof want, "*2\r\n$%zu\r\n%s\r\n$1\r\nx\r\n", strlen(k1), k1);
            CHECK_MEM(got.p, got.len, want);
        }
        kv_sim_recv(s, b, &list);
        list.len = 0;
        CHECK(kv_sim_send(s, b, lrange, strlen(lrange)) == 0);
        check_idle(s);
        CHECK(kv_sim_recv(s, b, &list) == 0);
        CHECK_MEM(list.p, list.len, received ? "*0\r\n" : "*1\r\n$1\r\nx\r\n");
        kv_buf_free(&got);
        kv_buf_free(&list);
        kv_sim_free(s);
    }
}

static void test_blocked_client_vanishes_while_served(void)
{
    int reads;
    for (reads = 0; reads < 2; reads++) {
        vanish_while_served(1, 1, reads); /* key elsewhere: READY, blk-serve */
        vanish_while_served(0, 1, reads); /* key at home: served after the push */
    }
}

/* The element was there: served at once, locally or through the probe
 * coordination; a client gone before its reply left puts it back too. */
static void test_client_served_at_once_vanishes(void)
{
    int reads;
    for (reads = 0; reads < 2; reads++) {
        vanish_while_served(1, 0, reads);
        vanish_while_served(0, 0, reads);
    }
}

/* A blocked client whose keys are all on another shard hands its command
 * there (blk-try). The try waits while a transaction holds the key; the
 * client disconnects meanwhile, and its blk-unregister must wait behind the
 * try (it once overtook it: the try then registered, served the element the
 * transaction pushed, and nobody took it). */
static void test_unregister_waits_behind_the_try(void)
{
    kv_sim *s = sim2();
    char q[32], k1[32], c1[128], c2[128], c3[128];
    const char *txn[4];
    unsigned long long a = kv_sim_connect(s, 1), w = kv_sim_connect(s, 1);
    kv_buf out;
    key_on(0, "q", q, sizeof q);
    key_on(1, "k", k1, sizeof k1);
    txn[0] = "*1\r\n$5\r\nMULTI\r\n";
    txn[1] = resp(c1, sizeof c1, "RPUSH", q, "x");
    txn[2] = resp(c2, sizeof c2, "SET", k1, "y");
    txn[3] = "*1\r\n$4\r\nEXEC\r\n";
    send_cmds(s, a, txn, 4);
    kv_sim_turn(s, 0); /* shard 0 grants q to the EXEC */
    txn[0] = resp(c3, sizeof c3, "BLPOP", q, "0");
    send_cmds(s, w, txn, 1); /* blocks; its blk-try goes to shard 0 */
    kv_sim_turn(s, 1);
    kv_sim_turn(s, 0); /* the try waits for q */
    kv_sim_close(s, w);
    kv_sim_turn(s, 1);
    kv_sim_turn(s, 0); /* so does the unregister */
    check_idle(s);
    kv_buf_init(&out);
    CHECK(kv_sim_recv(s, a, &out) == 0);
    CHECK_MEM(out.p, out.len, "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:1\r\n+OK\r\n");
    out.len = 0;
    txn[0] = "*4\r\n$6\r\nLRANGE\r\n";
    send_cmds(s, a, txn, 1);
    CHECK(kv_sim_send(s, a, c3, (size_t)snprintf(c3, sizeof c3, "$%zu\r\n%s\r\n$1\r\n0\r\n$2\r\n-1\r\n",
                                                  strlen(q), q)) == 0);
    check_idle(s);
    CHECK(kv_sim_recv(s, a, &out) == 0);
    CHECK_MEM(out.p, out.len, "*1\r\n$1\r\nx\r\n"); /* back where it was */
    out.len = 0;
    txn[0] = "*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n";
    send_cmds(s, a, txn, 1);
    check_idle(s);
    CHECK(kv_sim_recv(s, a, &out) == 0);
    kv_buf_append(&out, "", 1); /* a C string */
    CHECK(strstr(out.p, "kevy_blocking_keys:0\r\n") != NULL);
    kv_buf_free(&out);
    kv_sim_free(s);
}

/* RESET ends MONITOR at once: a line another shard sent before it heard of
 * the RESET is dropped, not delivered after +RESET (it once was, and the
 * client read it as the reply to its next command). */
static void test_no_monitor_line_after_reset(void)
{
    kv_sim *s = sim2();
    char k1[32], set[128];
    const char *cmd[1];
    unsigned long long m = kv_sim_connect(s, 0), c = kv_sim_connect(s, 1);
    kv_buf out;
    kv_buf_init(&out);
    key_on(1, "k", k1, sizeof k1);
    cmd[0] = "*1\r\n$7\r\nMONITOR\r\n";
    send_cmds(s, m, cmd, 1);
    check_idle(s);
    CHECK(kv_sim_recv(s, m, &out) == 0);
    CHECK_MEM(out.p, out.len, "+OK\r\n");
    out.len = 0;
    cmd[0] = "*1\r\n$5\r\nRESET\r\n";
    send_cmds(s, m, cmd, 1); /* shard 1 does not know yet */
    cmd[0] = resp(set, sizeof set, "SET", k1, "v");
    send_cmds(s, c, cmd, 1); /* runs on shard 1, which feeds the monitor */
    check_idle(s);
    CHECK(kv_sim_recv(s, m, &out) == 0);
    CHECK_MEM(out.p, out.len, "+RESET\r\n");
    kv_buf_free(&out);
    kv_sim_free(s);
}

/* A push that waits for the lock of a blocking command's coordination
 * runs when that command has just suspended: the client must be waiting
 * already (it once was not yet, and the popped element went nowhere). */
static void test_push_behind_a_blocking_coordination(void)
{
    kv_sim *s = sim2();
    char f[32], h[32], cmd[256];
    unsigned long long a = kv_sim_connect(s, 0), b = kv_sim_connect(s, 1);
    kv_buf out;
    key_on(0, "f", f, sizeof f);
    key_on(1, "h", h, sizeof h);
    snprintf(cmd, sizeof cmd, "*3\r\n$5\r\nRPUSH\r\n$%zu\r\n%s\r\n$1\r\nx\r\n", strlen(f), f);
    CHECK(kv_sim_send(s, b, cmd, strlen(cmd)) == 0); /* forwarded, not yet run */
    snprintf(cmd, sizeof cmd,
             "*6\r\n$6\r\nBLMPOP\r\n$1\r\n0\r\n$1\r\n2\r\n$%zu\r\n%s\r\n$%zu\r\n%s\r\n"
             "$5\r\nRIGHT\r\n",
             strlen(f), f, strlen(h), h);
    CHECK(kv_sim_send(s, a, cmd, strlen(cmd)) == 0);
    check_idle(s);
    kv_buf_init(&out);
    CHECK(kv_sim_recv(s, a, &out) == 0);
    snprintf(cmd, sizeof cmd, "*2\r\n$%zu\r\n%s\r\n*1\r\n$1\r\nx\r\n", strlen(f), f);
    CHECK_MEM(out.p, out.len, cmd);
    kv_buf_free(&out);
    kv_sim_free(s);
}

/* A SUBSCRIBE whose directory update is still on its way to the other
 * shard when the client disconnects: the update and the departure arrive
 * in that order, and the other shard's directory ends empty. */
static void test_subscriber_vanishes_mid_subscribe(void)
{
    kv_sim *s = sim2();
    char c[128];
    const char *cmd[1];
    unsigned long long a = kv_sim_connect(s, 0), b = kv_sim_connect(s, 1);
    kv_buf out;
    kv_buf_init(&out);
    cmd[0] = resp(c, sizeof c, "SUBSCRIBE", "ch", NULL);
    send_cmds(s, a, cmd, 1); /* shard 0 ran step 0; shard 1 has not heard */
    kv_sim_close(s, a);
    check_idle(s);
    cmd[0] = resp(c, sizeof c, "PUBLISH", "ch", "m");
    send_cmds(s, b, cmd, 1);
    check_idle(s);
    CHECK(kv_sim_recv(s, b, &out) == 0);
    CHECK_MEM(out.p, out.len, ":0\r\n");
    kv_buf_free(&out);
    kv_sim_free(s);
}

/* A message in flight to a subscriber's shard when it unsubscribes: it is
 * delivered before the UNSUBSCRIBE reply or not at all, never after. */
static void test_no_message_after_unsubscribe_reply(void)
{
    kv_sim *s = sim2();
    char c[128];
    const char *cmd[1];
    unsigned long long sub = kv_sim_connect(s, 1), pub = kv_sim_connect(s, 0);
    const char *unsub = "*3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n";
    kv_buf out;
    kv_buf_init(&out);
    cmd[0] = resp(c, sizeof c, "SUBSCRIBE", "ch", NULL);
    send_cmds(s, sub, cmd, 1);
    check_idle(s);
    CHECK(kv_sim_recv(s, sub, &out) == 0);
    out.len = 0;
    cmd[0] = resp(c, sizeof c, "PUBLISH", "ch", "m");
    send_cmds(s, pub, cmd, 1); /* the delivery waits in shard 0's ring */
    cmd[0] = resp(c, sizeof c, "UNSUBSCRIBE", "ch", NULL);
    send_cmds(s, sub, cmd, 1);
    check_idle(s);
    CHECK(kv_sim_recv(s, sub, &out) == 0);
    CHECK(out.len >= strlen(unsub));
    CHECK_MEM(out.p + out.len - strlen(unsub), strlen(unsub), unsub);
    kv_buf_free(&out);
    kv_sim_free(s);
}

/* Deliveries to a subscriber that left while they travelled are dropped. */
static void test_delivery_to_a_gone_subscriber(void)
{
    kv_sim *s = sim2();
    char c[128];
    const char *cmd[1];
    unsigned long long sub = kv_sim_connect(s, 1), pub = kv_sim_connect(s, 0);
    cmd[0] = resp(c, sizeof c, "PSUBSCRIBE", "c*", NULL);
    send_cmds(s, sub, cmd, 1);
    check_idle(s);
    cmd[0] = resp(c, sizeof c, "PUBLISH", "ch", "m");
    send_cmds(s, pub, cmd, 1);
    send_cmds(s, pub, cmd, 1);
    CHECK(kv_sim_turn(s, 0) == 0);
    kv_sim_close(s, sub);
    check_idle(s);
    send_cmds(s, pub, cmd, 1);
    check_idle(s);
    kv_sim_free(s);
}

/* A client blocked on a key it named twice disconnects: leaving its first
 * waiter once made the key "ready" for its own second waiter, and the key
 * stayed in the registry until some later command ran the after hook
 * (found by fuzz_shards: kevy_blocking_keys stayed 1). */
static void test_blocked_on_a_key_named_twice_then_gone(void)
{
    kv_sim *s = sim2();
    char k0[32], c[160];
    const char *cmd[1];
    unsigned long long a = kv_sim_connect(s, 0), q = kv_sim_connect(s, 0);
    kv_buf out;
    kv_buf_init(&out);
    key_on(0, "k", k0, sizeof k0);
    snprintf(c, sizeof c, "*4\r\n$5\r\nBLPOP\r\n$%zu\r\n%s\r\n$%zu\r\n%s\r\n$1\r\n0\r\n",
             strlen(k0), k0, strlen(k0), k0);
    cmd[0] = c;
    send_cmds(s, a, cmd, 1);
    check_idle(s);
    kv_sim_close(s, a);
    check_idle(s);
    cmd[0] = "*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n";
    send_cmds(s, q, cmd, 1);
    check_idle(s);
    CHECK(kv_sim_recv(s, q, &out) == 0);
    kv_buf_append(&out, "", 1);
    CHECK(strstr(out.p, "kevy_blocking_keys:0\r\n") != NULL);
    kv_buf_free(&out);
    kv_sim_free(s);
}

TEST_MAIN("sim", TEST(test_lock_waiter_disconnects), TEST(test_lock_waiter_killed),
          TEST(test_nested_coordination_releases_the_connection),
          TEST(test_fanout_client_vanishes), TEST(test_ring_full_loses_nothing),
          TEST(test_blocked_client_vanishes_while_served),
          TEST(test_client_served_at_once_vanishes),
          TEST(test_unregister_waits_behind_the_try),
          TEST(test_no_monitor_line_after_reset),
          TEST(test_push_behind_a_blocking_coordination),
          TEST(test_subscriber_vanishes_mid_subscribe),
          TEST(test_no_message_after_unsubscribe_reply),
          TEST(test_delivery_to_a_gone_subscriber),
          TEST(test_blocked_on_a_key_named_twice_then_gone))
