/* libFuzzer harness for the cross-shard paths: 2 to 4 shards in one thread
 * (kv_sim), several clients, and the input choosing everything that
 * interleaves: which client sends which command (split, coordinated,
 * transactions, whole-shard, kills), which shard takes its next loop turn,
 * when a client disconnects or a new one arrives, and raw bytes.
 *
 * Checked per input: replies are whole RESP values; once every shard has
 * settled, a client that sent only well-formed commands and was never
 * killed got exactly one reply per command (nothing lost, nothing left
 * waiting); after every client is gone nothing is in flight, locked, queued
 * or kept. ASan and UBSan catch the rest. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "kevy/resp.h"
#include "kevy/rt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FUZZ_SHARDS_TRACE=1 prints every step of an input (to replay a crash). */
static int trace;
#define TRACE(...)                                                                    \
    do {                                                                              \
        if (trace)                                                                    \
            fprintf(stderr, __VA_ARGS__);                                             \
    } while (0)

#define NCONN 6
#define NKEYS 8
#define MAX_OPS 400
#define MAX_RAW 200

#define FUZZ_ASSERT(c)                                                            \
    do {                                                                          \
        if (!(c)) {                                                               \
            fprintf(stderr, "fuzz_shards: %s:%d: %s\n", __FILE__, __LINE__, #c);  \
            abort();                                                              \
        }                                                                         \
    } while (0)

typedef struct client {
    unsigned long long id; /* 0: no client in this slot */
    int clean;             /* only whole commands, never killed: replies are counted */
    long sent, replies;
    kv_buf in;             /* received, not yet parsed */
} client;

typedef struct input {
    const uint8_t *p;
    size_t n, pos;
} input;

static unsigned next(input *in)
{
    return in->pos < in->n ? in->p[in->pos++] : 0;
}

/* Keys without hashtags spread over the shards; two databases. */
static const char *const keys[NKEYS] = {"a", "b", "c", "d", "e", "f", "g", "h"};

typedef struct cmdbuf {
    kv_buf b;
    char words[16][128];
    int nwords;
} cmdbuf;

static void word(cmdbuf *c, const char *w)
{
    if (c->nwords < 16)
        snprintf(c->words[c->nwords++], sizeof c->words[0], "%s", w);
}

static const char *key(input *in)
{
    return keys[next(in) % NKEYS];
}

static void emit(cmdbuf *c)
{
    int i;
    char hdr[32];
    snprintf(hdr, sizeof hdr, "*%d\r\n", c->nwords);
    kv_buf_append(&c->b, hdr, strlen(hdr));
    for (i = 0; i < c->nwords; i++) {
        size_t n = strlen(c->words[i]);
        snprintf(hdr, sizeof hdr, "$%zu\r\n", n);
        kv_buf_append(&c->b, hdr, strlen(hdr));
        kv_buf_append(&c->b, c->words[i], n);
        kv_buf_append(&c->b, "\r\n", 2);
    }
    c->nwords = 0;
}

/* One well-formed command, of a kind chosen to reach every route: split,
 * coordinated, transactions, whole-shard, kills, blocking pops (served from
 * other shards, timed out, unblocked, their clients vanishing). */
static int template_cmd(cmdbuf *c, input *in, const client *clients)
{
    char num[32];
    unsigned t = next(in) % 56;
    switch (t) {
    case 0: word(c, "MULTI"); break;
    case 1: word(c, "EXEC"); break;
    case 2: word(c, "DISCARD"); break;
    case 3: word(c, "WATCH"); word(c, key(in)); word(c, key(in)); break;
    case 4: word(c, "UNWATCH"); break;
    case 5: word(c, "MSET"); word(c, key(in)); word(c, "1"); word(c, key(in)); word(c, "2"); break;
    case 6: word(c, "MGET"); word(c, key(in)); word(c, key(in)); word(c, key(in)); break;
    case 7: word(c, "DEL"); word(c, key(in)); word(c, key(in)); break;
    case 8: word(c, "RENAME"); word(c, key(in)); word(c, key(in)); break;
    case 9: word(c, "SMOVE"); word(c, key(in)); word(c, key(in)); word(c, "m"); break;
    case 10: word(c, "SADD"); word(c, key(in)); word(c, "m"); word(c, "n"); break;
    case 11: word(c, "LMOVE"); word(c, key(in)); word(c, key(in)); word(c, "LEFT"); word(c, "RIGHT"); break;
    case 12: word(c, "RPUSH"); word(c, key(in)); word(c, "3"); word(c, "1"); break;
    case 13: word(c, "INCR"); word(c, key(in)); break;
    case 14: word(c, "SUNIONSTORE"); word(c, key(in)); word(c, key(in)); word(c, key(in)); break;
    case 15: word(c, "ZUNIONSTORE"); word(c, key(in)); word(c, "2"); word(c, key(in)); word(c, key(in)); break;
    case 16: word(c, "ZADD"); word(c, key(in)); word(c, "1"); word(c, "m"); break;
    case 17: word(c, "SORT"); word(c, key(in)); word(c, "BY"); word(c, "*"); word(c, "GET"); word(c, "*"); break;
    case 18: word(c, "SORT"); word(c, key(in)); word(c, "BY"); word(c, "nosort"); word(c, "GET"); word(c, "#"); word(c, "STORE"); word(c, key(in)); break;
    case 19: word(c, next(in) & 1 ? "FLUSHALL" : "FLUSHDB"); break;
    case 20: word(c, "DBSIZE"); break;
    case 21: word(c, "KEYS"); word(c, "*"); break;
    case 22: word(c, "RANDOMKEY"); break;
    case 23: word(c, "SELECT"); word(c, next(in) & 1 ? "1" : "0"); break;
    case 24: /* kill another client by id */
        snprintf(num, sizeof num, "%llu", clients[next(in) % NCONN].id);
        word(c, "CLIENT"); word(c, "KILL"); word(c, "ID"); word(c, num);
        break;
    case 25: word(c, "COPY"); word(c, key(in)); word(c, key(in)); word(c, "REPLACE"); break;
    case 26: word(c, "EXISTS"); word(c, key(in)); word(c, key(in)); word(c, key(in)); break;
    case 27: word(c, "SINTERCARD"); word(c, "2"); word(c, key(in)); word(c, key(in)); break;
    case 28: word(c, "GET"); word(c, key(in)); break;
    case 29: word(c, "SET"); word(c, key(in)); word(c, "2"); break;
    case 30: word(c, "SCAN"); snprintf(num, sizeof num, "%u", next(in) * 977u); word(c, num); break;
    case 31: word(c, "CLIENT"); word(c, "KILL"); word(c, "TYPE"); word(c, "normal"); word(c, "SKIPME"); word(c, "yes"); break;
    case 32: word(c, "PING"); break;
    case 33: word(c, "HELLO"); word(c, next(in) & 1 ? "3" : "2"); break;
    case 34: word(c, "MSETNX"); word(c, key(in)); word(c, "1"); word(c, key(in)); word(c, "1"); break;
    case 35: word(c, "RENAMENX"); word(c, key(in)); word(c, key(in)); break;
    case 36: word(c, "SWAPDB"); word(c, "0"); word(c, "1"); break;
    case 37: word(c, "MOVE"); word(c, key(in)); word(c, "1"); break;
    case 38: word(c, "SINTERSTORE"); word(c, key(in)); word(c, key(in)); word(c, key(in)); break;
    case 39: word(c, "LMPOP"); word(c, "2"); word(c, key(in)); word(c, key(in)); word(c, "LEFT"); break;
    /* blocking: served, timed out, unblocked, or left for the final unblock */
    case 40: word(c, "BLPOP"); word(c, key(in)); word(c, key(in)); word(c, next(in) & 1 ? "0" : "0.01"); break;
    case 41: word(c, "BLMOVE"); word(c, key(in)); word(c, key(in)); word(c, "LEFT"); word(c, "RIGHT"); word(c, "0"); break;
    case 42: word(c, "BZPOPMIN"); word(c, key(in)); word(c, key(in)); word(c, "0"); break;
    case 43: word(c, "BLMPOP"); word(c, "0"); word(c, "2"); word(c, key(in)); word(c, key(in)); word(c, "RIGHT"); word(c, "COUNT"); word(c, "2"); break;
    case 44: word(c, "BRPOPLPUSH"); word(c, key(in)); word(c, key(in)); word(c, "0"); break;
    case 45: word(c, "WAIT"); word(c, "1"); word(c, next(in) & 1 ? "0" : "5"); break;
    /* Pub/Sub: directories updated across shards, deliveries in flight */
    case 46: word(c, "SUBSCRIBE"); word(c, key(in)); word(c, key(in)); break;
    case 47: word(c, "PSUBSCRIBE"); word(c, next(in) & 1 ? "*" : "[a-d]"); break;
    case 48: word(c, "SSUBSCRIBE"); word(c, key(in)); word(c, key(in)); break;
    case 49: word(c, next(in) & 1 ? "UNSUBSCRIBE" : "SUNSUBSCRIBE"); if (next(in) & 1) word(c, key(in)); break;
    case 50: word(c, next(in) & 1 ? "PUBLISH" : "SPUBLISH"); word(c, key(in)); word(c, "m"); break;
    case 51: word(c, next(in) & 1 ? "RESET" : "PUNSUBSCRIBE"); break;
    /* scripts: declared keys, undeclared ones, and one that strays on data */
    case 52: word(c, "EVAL"); word(c, "redis.call('incr', KEYS[1]) return redis.call('incr', KEYS[2])");
        word(c, "2"); word(c, key(in)); word(c, key(in)); break;
    case 53: word(c, "EVAL"); word(c, "redis.call('incr', ARGV[1]) return redis.call('get', ARGV[2])");
        word(c, "0"); word(c, key(in)); word(c, key(in)); break;
    case 54: word(c, "EVAL");
        word(c, "local v = redis.call('get', KEYS[1]) if v == '2' then return redis.call('get', ARGV[1]) end return v");
        word(c, "1"); word(c, key(in)); word(c, key(in)); break;
    default: /* unblock another client */
        snprintf(num, sizeof num, "%llu", clients[next(in) % NCONN].id);
        word(c, "CLIENT"); word(c, "UNBLOCK"); word(c, num); word(c, next(in) & 1 ? "ERROR" : "TIMEOUT");
        break;
    }
    emit(c);
    return t >= 46 && t <= 51; /* Pub/Sub: not one reply per command */
}

/* Take what the server sent; every reply must be whole. */
static void drain(kv_sim *s, client *cl)
{
    size_t pos = 0;
    if (!cl->id)
        return;
    if (kv_sim_recv(s, cl->id, &cl->in) < 0) {
        cl->id = 0; /* killed, or closed after its last reply */
        cl->in.len = 0;
        return;
    }
    while (pos < cl->in.len) {
        long n = kv_resp_reply_len(cl->in.p + pos, cl->in.len - pos);
        if (n <= 0) {
            fprintf(stderr, "fuzz_shards: client %llu got a partial or bad reply: \"%.*s\"\n",
                    cl->id, (int)(cl->in.len - pos > 200 ? 200 : cl->in.len - pos),
                    cl->in.p + pos);
            FUZZ_ASSERT(0);
        }
        pos += (size_t)n;
        cl->replies++;
    }
    cl->in.len = 0;
}

static void settle(kv_sim *s)
{
    if (kv_sim_settle(s, 20000) != 0) {
        fprintf(stderr, "fuzz_shards: the shards never settle (work left in flight)\n");
        FUZZ_ASSERT(0);
    }
}

/* Every client is gone: no blocked client, no key waited on, no
 * registration (a served one awaiting its home included) on any shard, and
 * no subscription left in a directory. */
static void check_no_blocking_left(kv_sim *s)
{
    static const char info[] = "*2\r\n$4\r\nINFO\r\n$3\r\nall\r\n";
    static const char *const zero[] = {"blocked_clients:0\r\n", "kevy_blocking_keys:0\r\n",
                                       "kevy_block_registrations:0\r\n", "pubsub_channels:0\r\n",
                                       "pubsub_patterns:0\r\n", "pubsubshard_channels:0\r\n"};
    unsigned long long id = kv_sim_connect(s, 0);
    kv_buf out;
    size_t i;
    kv_buf_init(&out);
    FUZZ_ASSERT(kv_sim_send(s, id, info, sizeof info - 1) == 0);
    settle(s);
    FUZZ_ASSERT(kv_sim_recv(s, id, &out) == 0);
    kv_buf_append(&out, "", 1);
    for (i = 0; i < sizeof zero / sizeof zero[0]; i++)
        if (!strstr(out.p, zero[i])) {
            fprintf(stderr, "fuzz_shards: left behind, not %s", zero[i]);
            FUZZ_ASSERT(0);
        }
    kv_sim_close(s, id);
    settle(s);
    kv_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kv_server srv;
    kv_cmdset cs;
    kv_sim *s;
    client cl[NCONN];
    cmdbuf cb;
    input in;
    kv_shard_gauges g;
    int nshards, i, ops = 0, round;

    in.p = data;
    in.n = size;
    in.pos = 0;
    trace = getenv("FUZZ_SHARDS_TRACE") != NULL;
    nshards = 2 + (int)(next(&in) % 3);
    kv_server_fixed(&srv, nshards);
    kv_commands_init(&cs, &srv);
    s = kv_sim_new(&cs, nshards);
    FUZZ_ASSERT(s != NULL);
    memset(cl, 0, sizeof cl);
    memset(&cb, 0, sizeof cb);
    kv_buf_init(&cb.b);
    for (i = 0; i < NCONN; i++) {
        kv_buf_init(&cl[i].in);
        cl[i].id = kv_sim_connect(s, i);
        cl[i].clean = 1;
    }

    while (in.pos < in.n && ops++ < MAX_OPS) {
        unsigned op = next(&in), arg = op >> 3;
        client *c = &cl[arg % NCONN];
        switch (op & 7) {
        case 0: case 1: case 2: /* a command */
            if (!c->id)
                break;
            cb.b.len = 0;
            if (template_cmd(&cb, &in, cl))
                c->clean = 0; /* subscription replies and messages come as they do */
            TRACE("client %d (id %llu): %.*s\n", (int)(arg % NCONN), c->id, (int)cb.b.len, cb.b.p);
            if (kv_sim_send(s, c->id, cb.b.p, cb.b.len) == 0)
                c->sent++;
            break;
        case 3: case 4: /* a shard's loop turn */
            TRACE("turn shard %d\n", (int)(arg % (unsigned)nshards));
            kv_sim_turn(s, (int)(arg % (unsigned)nshards));
            break;
        case 5: /* replies read, or a client vanishes */
            if (arg & 16) {
                TRACE("close client %d (id %llu)\n", (int)(arg % NCONN), c->id);
                kv_sim_close(s, c->id);
                c->id = 0;
            } else {
                drain(s, c);
            }
            break;
        case 6: /* a new client where one was */
            if (!c->id) {
                c->id = kv_sim_connect(s, (int)(arg / NCONN));
                TRACE("connect client %d (id %llu)\n", (int)(arg % NCONN), c->id);
                c->clean = 1;
                c->sent = c->replies = 0;
                c->in.len = 0;
            } else {
                kv_sim_tick(s);
            }
            break;
        default: { /* raw bytes, anything goes */
            size_t n = next(&in) % MAX_RAW;
            if (n > in.n - in.pos)
                n = in.n - in.pos;
            TRACE("raw client %d: %zu bytes\n", (int)(arg % NCONN), n);
            if (c->id && kv_sim_send(s, c->id, (const char *)in.p + in.pos, n) < 0)
                c->id = 0;
            c->clean = 0;
            in.pos += n;
            break;
        }
        }
    }

    /* Nothing may stay in flight: a fresh client lifts any CLIENT PAUSE the
     * raw bytes set, then every shard settles and has its tick. */
    {
        static const char unpause[] = "*2\r\n$6\r\nCLIENT\r\n$7\r\nUNPAUSE\r\n";
        unsigned long long id = kv_sim_connect(s, 0);
        kv_buf sink;
        kv_buf_init(&sink);
        FUZZ_ASSERT(kv_sim_send(s, id, unpause, sizeof unpause - 1) == 0);
        settle(s);
        /* Blocked clients get their reply (a timeout's); a client may have
         * pipelined another blocking command behind: again, until each has
         * every reply (bounded by the commands it sent). */
        for (round = 0; round < MAX_OPS; round++) {
            int waiting = 0;
            for (i = 0; i < NCONN; i++) {
                char cmd[96];
                int n;
                drain(s, &cl[i]);
                if (!cl[i].id || cl[i].replies >= cl[i].sent)
                    continue;
                waiting = 1;
                n = snprintf(cmd, sizeof cmd,
                             "*3\r\n$6\r\nCLIENT\r\n$7\r\nUNBLOCK\r\n$%d\r\n%llu\r\n",
                             snprintf(NULL, 0, "%llu", cl[i].id), cl[i].id);
                if (kv_sim_send(s, id, cmd, (size_t)n) != 0) { /* killed by a queued KILL */
                    id = kv_sim_connect(s, 0);
                    FUZZ_ASSERT(kv_sim_send(s, id, cmd, (size_t)n) == 0);
                }
                settle(s);
            }
            if (!waiting)
                break;
        }
        kv_sim_tick(s);
        settle(s);
        kv_sim_recv(s, id, &sink);
        kv_sim_close(s, id);
        kv_buf_free(&sink);
    }
    for (i = 0; i < NCONN; i++) {
        drain(s, &cl[i]);
        if (cl[i].id && cl[i].clean && cl[i].replies != cl[i].sent) {
            fprintf(stderr, "fuzz_shards: client %llu sent %ld commands, got %ld replies\n",
                    cl[i].id, cl[i].sent, cl[i].replies);
            FUZZ_ASSERT(0);
        }
        if (cl[i].id)
            kv_sim_close(s, cl[i].id);
    }
    settle(s);
    kv_sim_tick(s);
    settle(s);
    kv_sim_gauges(s, &g);
    if (g.inflight || g.locks_held || g.lock_waiters || g.operations || g.closing_clients) {
        fprintf(stderr, "fuzz_shards: left behind: inflight %lld locks %lld waiters %lld "
                        "operations %lld closing %lld\n",
                g.inflight, g.locks_held, g.lock_waiters, g.operations, g.closing_clients);
        FUZZ_ASSERT(0);
    }
    check_no_blocking_left(s);
    for (i = 0; i < NCONN; i++)
        kv_buf_free(&cl[i].in);
    kv_buf_free(&cb.b);
    kv_sim_free(s);
    kv_commands_fini(&srv);
    return 0;
}
