"""Atomicity across shards: the "bank" test and the deadlock test.

On single-threaded Redis every command and every MULTI/EXEC block is atomic.
kevy must keep that promise when the keys live on different shards. Many
clients move amounts between accounts (MULTI/EXEC, WATCH retry loops, MSET
under WATCH, RENAMENX and SMOVE moves) while readers take snapshots (MGET,
and MULTI/EXEC reads); the total never changes and no snapshot ever sees a
half-applied transfer. Account keys carry no hashtag, so they spread over
every shard. KEVY_STRESS_SECONDS makes the run longer (CI runs it under
ThreadSanitizer)."""

import os
import random
import threading
import time

import pytest
import redis

ACCOUNTS = 12
START = 1000
TOKENS = 24
SLOTS = 8
SECONDS = float(os.environ.get("KEVY_STRESS_SECONDS", "2"))


def _client(server):
    return redis.Redis(host=server.host, port=server.port, socket_timeout=60)


def _acct(i):
    return "acct:%d" % i


class Stop:
    def __init__(self, seconds):
        self.deadline = time.monotonic() + seconds
        self.errors = []
        self.lock = threading.Lock()

    def running(self):
        return not self.errors and time.monotonic() < self.deadline

    def fail(self, msg):
        with self.lock:
            self.errors.append(msg)


def _run(threads, stop):
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=SECONDS + 120)
        assert not t.is_alive(), "a client is stuck (deadlock?)"
    assert not stop.errors, stop.errors[:5]


def _worker(fn, server, stop, seed):
    def run():
        c = _client(server)
        rnd = random.Random(seed)
        try:
            while stop.running():
                fn(c, rnd, stop)
        except Exception as e:  # a reply error is a test failure, not a crash
            stop.fail("%s: %r" % (fn.__name__, e))
        finally:
            c.close()
    return threading.Thread(target=run, daemon=True)


# ------------------------------------------------------------ transfers

def _pair(rnd):
    a, b = rnd.sample(range(ACCOUNTS), 2)
    return _acct(a), _acct(b)


def multi_transfer(c, rnd, stop):
    a, b = _pair(rnd)
    x = rnd.randint(1, 50)
    p = c.pipeline(transaction=True)
    p.decrby(a, x)
    p.incrby(b, x)
    p.execute()


def watch_transfer(c, rnd, stop):
    a, b = _pair(rnd)
    x = rnd.randint(1, 50)
    with c.pipeline(transaction=True) as p:
        while True:
            try:
                p.watch(a, b)
                va, vb = int(p.get(a)), int(p.get(b))
                p.multi()
                p.set(a, va - x)
                p.set(b, vb + x)
                p.execute()
                return
            except redis.WatchError:
                continue


def mset_transfer(c, rnd, stop):
    a, b = _pair(rnd)
    x = rnd.randint(1, 50)
    with c.pipeline(transaction=True) as p:
        while True:
            try:
                p.watch(a, b)
                va, vb = (int(v) for v in p.mget(a, b))
                p.multi()
                p.mset({a: va - x, b: vb + x})
                p.execute()
                return
            except redis.WatchError:
                continue


def token_move(c, rnd, stop):
    """SMOVE a token between two token sets: the number of tokens is fixed."""
    a, b = rnd.sample(range(ACCOUNTS), 2)
    members = c.srandmember("tok:%d" % a, 1)
    if members:
        c.smove("tok:%d" % a, "tok:%d" % b, members[0])


def slot_move(c, rnd, stop):
    """RENAMENX a coin from one slot name to another free one: at any instant
    exactly the same set of coins exists."""
    a, b = rnd.sample(range(SLOTS), 2)
    try:
        c.renamenx("slot:%d" % a, "slot:%d" % b)
    except redis.ResponseError as e:
        if "no such key" not in str(e):
            raise


# ------------------------------------------------------------- readers

def mget_reader(c, rnd, stop):
    values = c.mget([_acct(i) for i in range(ACCOUNTS)])
    total = sum(int(v) for v in values)
    if total != ACCOUNTS * START:
        stop.fail("MGET snapshot total %d != %d: %r" % (total, ACCOUNTS * START, values))


def multi_reader(c, rnd, stop):
    p = c.pipeline(transaction=True)
    for i in range(ACCOUNTS):
        p.scard("tok:%d" % i)
    p.mget(["slot:%d" % i for i in range(SLOTS)])
    res = p.execute()
    tokens = sum(res[:ACCOUNTS])
    coins = sorted(v for v in res[ACCOUNTS] if v is not None)
    if tokens != TOKENS:
        stop.fail("token total %d != %d" % (tokens, TOKENS))
    if coins != sorted(b"coin%d" % i for i in range(SLOTS // 2)):
        stop.fail("coins seen %r" % coins)


def _setup(c):
    c.mset({_acct(i): START for i in range(ACCOUNTS)})
    for t in range(TOKENS):
        c.sadd("tok:%d" % (t % ACCOUNTS), "t%d" % t)
    for i in range(SLOTS // 2):  # half the slots hold a coin
        c.set("slot:%d" % (2 * i), "coin%d" % i)


def test_bank(server, r):
    _setup(r)
    stop = Stop(SECONDS)
    kinds = [multi_transfer, watch_transfer, mset_transfer, token_move, slot_move,
             mget_reader, multi_reader]
    threads = [_worker(k, server, stop, seed) for seed, k in enumerate(kinds * 2)]
    _run(threads, stop)
    values = r.mget([_acct(i) for i in range(ACCOUNTS)])
    assert sum(int(v) for v in values) == ACCOUNTS * START
    assert sum(r.scard("tok:%d" % i) for i in range(ACCOUNTS)) == TOKENS
    coins = [v for v in r.mget(["slot:%d" % i for i in range(SLOTS)]) if v is not None]
    assert sorted(coins) == sorted(b"coin%d" % i for i in range(SLOTS // 2))


# ------------------------------------------------------------- deadlock

def test_no_deadlock(server, r):
    """Transactions over overlapping key sets, taken in opposite orders, plus
    cross-shard MSET/MGET/DEL and FLUSHDB-free whole-key operations, under
    load: everything completes, and every increment that EXEC confirmed is
    counted exactly once."""
    keys = ["dl:%d" % i for i in range(10)]
    done = [0] * len(keys)
    done_lock = threading.Lock()
    stop = Stop(SECONDS)

    def incr_many(c, rnd, stop):
        chosen = rnd.sample(range(len(keys)), rnd.randint(2, 6))
        if rnd.random() < 0.5:
            chosen.reverse()
        p = c.pipeline(transaction=True)
        for i in chosen:
            p.incr(keys[i])
        p.execute()
        with done_lock:
            for i in chosen:
                done[i] += 1

    def mixed(c, rnd, stop):
        others = ["dlx:%d" % i for i in rnd.sample(range(20), 4)]
        c.mset({k: "v" for k in others})
        c.mget(list(reversed(others)) + keys[:3])
        c.delete(*others)

    threads = [_worker(incr_many, server, stop, s) for s in range(6)]
    threads += [_worker(mixed, server, stop, 100 + s) for s in range(3)]
    _run(threads, stop)
    values = [int(v or 0) for v in r.mget(keys)]
    assert values == done
