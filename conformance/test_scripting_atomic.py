"""Scripts are atomic, whatever keys they touch and wherever those keys
live (on kevy: on several shards, declared in KEYS or not). Bank transfers
by scripts run concurrently with readers that sum every account in one
script or one MULTI/EXEC: the total never moves. A client that goes away
while its script runs leaves the script whole. redis-py's Lock, which
releases and extends with scripts, works."""

import hashlib
import random
import socket
import threading
import time

import redis

from helpers import OK, bulk, integer, spread_keys, wait_until
from resp_client import encode

ACCOUNTS = spread_keys(12, "acct:")
START = 100

TRANSFER = ("local a = tonumber(redis.call('get', KEYS[1])) "
            "if a < tonumber(ARGV[1]) then return 0 end "
            "redis.call('decrby', KEYS[1], ARGV[1]) "
            "redis.call('incrby', KEYS[2], ARGV[1]) return 1")
# The same, with the accounts named in ARGV (keys it does not declare).
TRANSFER_UNDECLARED = ("local a = tonumber(redis.call('get', ARGV[1])) "
                       "if a < tonumber(ARGV[3]) then return 0 end "
                       "redis.call('decrby', ARGV[1], ARGV[3]) "
                       "redis.call('incrby', ARGV[2], ARGV[3]) return 1")
SUM = ("local s = 0 for _, k in ipairs(KEYS) do s = s + tonumber(redis.call('get', k)) end "
       "return s")


def test_transfers_never_show_a_half(server, r):
    for k in ACCOUNTS:
        r.set(k, START)
    total = START * len(ACCOUNTS)
    stop = time.monotonic() + 3
    errors = []

    def mover(seed, undeclared):
        c = redis.Redis(host=server.host, port=server.port, socket_timeout=30)
        rnd = random.Random(seed)
        try:
            while time.monotonic() < stop:
                a, b = rnd.sample(ACCOUNTS, 2)
                amount = rnd.randint(1, 30)
                if undeclared:
                    c.eval(TRANSFER_UNDECLARED, 0, a, b, amount)
                else:
                    c.eval(TRANSFER, 2, a, b, amount)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))
        finally:
            c.close()

    def reader(seed, with_multi):
        c = redis.Redis(host=server.host, port=server.port, socket_timeout=30)
        try:
            while time.monotonic() < stop:
                if with_multi:
                    p = c.pipeline(transaction=True)
                    p.mget(ACCOUNTS)
                    got = sum(int(v) for v in p.execute()[0])
                else:
                    got = c.eval(SUM, len(ACCOUNTS), *ACCOUNTS)
                if got != total:
                    errors.append("saw a total of %d" % got)
                    return
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))
        finally:
            c.close()

    threads = [threading.Thread(target=mover, args=(i, i % 2 == 1)) for i in range(4)]
    threads += [threading.Thread(target=reader, args=(10 + i, i == 1)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(int(v) for v in r.mget(ACCOUNTS)) == total


def test_script_whose_client_vanishes_runs_whole(server, r):
    # A script over keys of every shard, sent by clients that close their
    # socket at once: each script ran whole or not at all.
    keys = spread_keys(8, "gone:")
    body = ("for i, k in ipairs(KEYS) do redis.call('incr', k) end "
            "redis.call('incr', 'gone:count') return 1")
    for _ in range(40):
        s = socket.create_connection((server.host, server.port))
        s.sendall(encode(["EVAL", body, str(len(keys))] + keys))
        s.close()
    r.ping()

    def settled():
        vals = r.mget(keys + ["gone:count"])
        return all(v is not None for v in vals) and len(set(vals)) == 1
    # Every script that ran, ran whole: every counter has the same value.
    assert wait_until(lambda: settled() or r.get("gone:count") is None, timeout=5)
    vals = r.mget(keys + ["gone:count"])
    assert len(set(vals)) == 1, vals


def test_redis_py_lock(r):
    lock = r.lock("resource", timeout=10)
    assert lock.acquire(blocking=False)
    other = r.lock("resource", timeout=10)
    assert not other.acquire(blocking=False)
    assert lock.extend(5)
    assert 10000 < r.pttl("resource") <= 15000
    assert lock.reacquire()
    lock.release()
    assert other.acquire(blocking=False)
    stale = r.lock("resource", timeout=10)
    stale.local.token = b"not-the-owner"
    not_owned = False
    try:
        stale.release()  # the release script checks the token
    except redis.exceptions.LockNotOwnedError:
        not_owned = True
    assert not_owned
    other.release()
    assert r.exists("resource") == 0


def test_register_script(r):
    incr_by = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    assert incr_by(keys=["n"], args=[5]) == 5
    r.script_flush()
    assert incr_by(keys=["n"], args=[5]) == 10  # NOSCRIPT, then EVAL, as redis-py does


def test_script_between_pipelined_commands(connect):
    # Pipelined around a script, on keys of several shards: replies keep
    # their order and each command sees the ones before it.
    keys = spread_keys(6, "pipe:")
    c = connect()
    cmds = [("SET", keys[0], "1"),
            ("EVAL", "return redis.call('incr', KEYS[1]) + redis.call('incr', KEYS[2])", "2",
             keys[0], keys[1]),
            ("GET", keys[0]), ("GET", keys[1])]
    got = [raw for _, raw in c.pipeline(cmds)]
    assert got == [OK, integer(3), bulk("2"), bulk("1")]


def test_script_flush_while_scripts_run(server, r):
    # SCRIPT FLUSH while scripts wait on other shards: each finishes on the
    # Lua state it started on, later ones get a fresh state (NOSCRIPT for a
    # name flushed away: the body is sent again).
    keys = spread_keys(8, "fl:")
    body = "local n = 0 for _, k in ipairs(KEYS) do n = n + redis.call('incr', k) end return n"
    stop = time.monotonic() + 2
    errors = []

    def runner(by_name):
        c = redis.Redis(host=server.host, port=server.port, socket_timeout=30)
        try:
            while time.monotonic() < stop:
                if not by_name:
                    c.eval(body, len(keys), *keys)
                    continue
                try:
                    c.evalsha(hashlib.sha1(body.encode()).hexdigest(), len(keys), *keys)
                except redis.exceptions.NoScriptError:
                    c.script_load(body)
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))
        finally:
            c.close()

    def flusher():
        c = redis.Redis(host=server.host, port=server.port, socket_timeout=30)
        try:
            while time.monotonic() < stop:
                c.script_flush()
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))
        finally:
            c.close()

    threads = [threading.Thread(target=runner, args=(i % 2 == 1,)) for i in range(3)]
    threads.append(threading.Thread(target=flusher))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    vals = r.mget(keys)
    assert len(set(vals)) == 1  # every script incremented every key
