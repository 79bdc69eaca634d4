"""Chaos: clients that vanish while their cross-shard work is in flight.

Many clients pipeline commands of every route kind (split, coordination,
MULTI/EXEC with WATCH, whole-shard, SORT with BY/GET patterns, big values,
blocking moves and pops) and then vanish at a random point: mid-request or mid-reply, with a FIN or
an RST. Others are killed with CLIENT KILL (every filter) or left idle until
the server's `timeout` closes them. Afterwards the server must answer on a
fresh connection with every invariant intact: the bank total, the tokens in
the sets, the items in the lists, and the client count back to idle.

Used by test_chaos.py (short, in every run; CI runs it under ASan and TSan)
and standalone for long local runs:

    /usr/bin/python3 conformance/chaos.py --port 7000 --seconds 600
"""

import argparse
import os
import random
import socket
import struct
import sys
import threading
import time

from resp_client import RespClient, RespError, encode

ACCOUNTS = 8          # few accounts: transactions collide and wait for locks
START = 1000
TOKENS = 16           # members moved between two sets with SMOVE
ITEMS = 16            # elements moved between two lists with LMOVE
BIG = 300 * 1024      # the largest value a client writes


def acct(i):
    return "chaos:acct:%d" % i


SETS = ("chaos:set:a", "chaos:set:b")
LISTS = ("chaos:list:a", "chaos:list:b")
SORTSRC = "chaos:sortsrc"


def setup(c):
    """Fill the invariant keys (db 0). Keys carry no hashtag: they spread
    over every shard."""
    for i in range(ACCOUNTS):
        assert c.call("SET", acct(i), START)[0] == "OK"
    c.call("DEL", *SETS, *LISTS, SORTSRC)
    c.call("SADD", SETS[0], *["t%d" % i for i in range(TOKENS)])
    c.call("RPUSH", LISTS[0], *["i%d" % i for i in range(ITEMS)])
    c.call("RPUSH", SORTSRC, *range(ACCOUNTS))


def check(c):
    """The invariants; returns a list of problems (empty: all good)."""
    problems = []
    vals = c.value("MGET", *[acct(i) for i in range(ACCOUNTS)])
    total = sum(int(v) for v in vals)
    if total != ACCOUNTS * START:
        problems.append("bank total %d, expected %d (%r)" % (total, ACCOUNTS * START, vals))
    members = set()
    for s in SETS:
        members |= set(c.value("SMEMBERS", s))
    if members != {b"t%d" % i for i in range(TOKENS)}:
        problems.append("set tokens %r" % sorted(members))
    items = []
    for key in LISTS:
        items += c.value("LRANGE", key, 0, -1)
    if sorted(items) != sorted(b"i%d" % i for i in range(ITEMS)):
        problems.append("list items %r" % items)
    return problems


# ------------------------------------------------------------ workloads


def _pair(rnd):
    a, b = rnd.sample(range(ACCOUNTS), 2)
    return acct(a), acct(b)


def _scratch(rnd):
    return "chaos:s:%d" % rnd.randrange(64)


def _value(rnd):
    if rnd.random() < 0.05:
        return b"v" * rnd.randrange(1024, BIG)
    return b"v%d" % rnd.randrange(1 << 30)


def batch(rnd):
    """One random group of commands. Every group keeps the invariants,
    whichever of its commands run and whatever the others do."""
    k = rnd.randrange(18)
    if k == 0:  # a cross-shard transfer in a transaction
        a, b = _pair(rnd)
        x = rnd.randint(1, 9)
        return [["MULTI"], ["DECRBY", a, x], ["INCRBY", b, x], ["EXEC"]]
    if k == 1:  # WATCH across shards, then a transaction
        a, b = _pair(rnd)
        x = rnd.randint(1, 9)
        return [["WATCH", a, b, _scratch(rnd)], ["MGET", a, b], ["MULTI"],
                ["DECRBY", a, x], ["INCRBY", b, x], ["SET", _scratch(rnd), _value(rnd)],
                ["EXEC"]]
    if k == 2:  # split writes and reads
        args = ["MSET"]
        for _ in range(rnd.randint(2, 6)):
            args += [_scratch(rnd), _value(rnd)]
        return [args, ["MGET"] + [_scratch(rnd) for _ in range(5)] + list(_pair(rnd))]
    if k == 3:
        return [["DEL"] + [_scratch(rnd) for _ in range(rnd.randint(2, 6))],
                ["EXISTS"] + [_scratch(rnd) for _ in range(4)]]
    if k == 4:  # coordinations
        return [["RENAME", _scratch(rnd), _scratch(rnd)],
                ["COPY", _scratch(rnd), _scratch(rnd), "REPLACE"]]
    if k == 5:
        src, dst = rnd.sample(SETS, 2)
        return [["SMOVE", src, dst, "t%d" % rnd.randrange(TOKENS)],
                ["SUNIONSTORE", _scratch(rnd)] + list(SETS)]
    if k == 6:
        src, dst = rnd.sample(LISTS, 2)
        return [["LMOVE", src, dst, rnd.choice(["LEFT", "RIGHT"]), rnd.choice(["LEFT", "RIGHT"])],
                ["RPOPLPUSH", src, dst]]
    if k == 7:  # whole-shard operations (db 1 holds only scratch keys)
        return [["SELECT", 1], ["MSET", _scratch(rnd), "x", _scratch(rnd), "y"],
                ["FLUSHDB"], ["SELECT", 0], ["DBSIZE"], ["KEYS", "chaos:s:1*"],
                ["RANDOMKEY"]]
    if k == 8:  # SORT with patterns naming keys on every shard
        return [["SORT", SORTSRC, "BY", "chaos:acct:*", "GET", "chaos:acct:*", "GET", "#"],
                ["SORT", SORTSRC, "BY", "nosort", "GET", "chaos:acct:*", "STORE", _scratch(rnd)]]
    if k == 9:  # a transaction mixing every route kind
        a, b = _pair(rnd)
        x = rnd.randint(1, 9)
        return [["MULTI"], ["INCRBY", a, x], ["MSET", _scratch(rnd), _value(rnd), _scratch(rnd), 1],
                ["SMOVE", SETS[0], SETS[1], "t%d" % rnd.randrange(TOKENS)],
                ["SORT", SORTSRC, "BY", "chaos:acct:*", "GET", "#"], ["DBSIZE"],
                ["RENAME", _scratch(rnd), _scratch(rnd)], ["DECRBY", b, x], ["EXEC"]]
    if k == 10:
        return [["SCAN", rnd.randrange(1 << 20), "COUNT", 50], ["MGET", *_pair(rnd)]]
    if k == 11:
        return [["ZUNIONSTORE", _scratch(rnd), 2, _scratch(rnd), _scratch(rnd)],
                ["SINTERCARD", 2] + list(SETS)]
    if k == 12:  # a big value read back through another shard
        key = _scratch(rnd)
        return [["SET", key, b"b" * rnd.randrange(BIG)], ["GET", key], ["MGET", key, _scratch(rnd)]]
    if k == 13:
        return [["CLIENT", "LIST"], ["INFO", "clients"], ["PING"]]
    if k == 14:  # blocking moves: served, timed out or gone while blocked
        src, dst = rnd.sample(LISTS, 2)
        t = rnd.choice(["0.01", "0.05", "0.3"])
        return [["BLMOVE", src, dst, rnd.choice(["LEFT", "RIGHT"]), rnd.choice(["LEFT", "RIGHT"]), t],
                ["BRPOPLPUSH", dst, src, t]]
    if k == 15:  # blocked on keys nobody fills, on every shard, then gone
        return [["BLPOP"] + [_scratch(rnd) + ":empty" for _ in range(3)] + ["0.3"]]
    if k == 16:  # a blocking command inside MULTI never blocks
        src, dst = rnd.sample(LISTS, 2)
        return [["MULTI"], ["BLMOVE", src, dst, "LEFT", "RIGHT", "0"],
                ["BZPOPMIN", _scratch(rnd), "0"], ["EXEC"]]
    return [["MULTI"], ["SET", _scratch(rnd), _value(rnd)], ["DISCARD"], ["UNWATCH"]]


def _rst_close(sock):
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.connections = 0
        self.killed = 0
        self.errors = []

    def add(self, name, n=1):
        with self.lock:
            setattr(self, name, getattr(self, name) + n)


def _connect(host, port, stats):
    try:
        sock = socket.create_connection((host, port), timeout=5)
    except OSError:
        time.sleep(0.01)  # out of ports or backlog: try again shortly
        return None
    stats.add("connections")
    return sock


def vanisher(host, port, rnd, stop, stats):
    """Open, pipeline some groups, cut the request or the reply at a random
    byte, and close with a FIN or an RST."""
    while not stop.is_set():
        payload = b""
        if rnd.random() < 0.2:
            payload += encode(["HELLO", 3])
        for _ in range(rnd.randint(1, 12)):
            payload += b"".join(encode(cmd) for cmd in batch(rnd))
        sock = _connect(host, port, stats)
        if sock is None:
            continue
        try:
            mode = rnd.randrange(4)
            if mode == 0:  # mid-request
                sock.sendall(payload[:rnd.randrange(1, len(payload))])
            else:
                sock.sendall(payload)
            if mode == 2:  # mid-reply: take some of the replies
                want = rnd.randrange(1, 4096)
                got = 0
                while got < want:
                    chunk = sock.recv(want - got)
                    if not chunk:
                        break
                    got += len(chunk)
            elif mode == 3 and rnd.random() < 0.5:
                time.sleep(rnd.random() * 0.01)
        except OSError:
            pass
        if rnd.random() < 0.5:
            _rst_close(sock)
        else:
            sock.close()


def idler(host, port, rnd, stop, stats):
    """Start a transaction or a request and go quiet: the server's
    `timeout` closes these (or a killer gets there first)."""
    while not stop.is_set():
        sock = _connect(host, port, stats)
        if sock is None:
            continue
        a, b = _pair(rnd)
        payload = b"".join(encode(c) for c in [["WATCH", a], ["MULTI"], ["INCRBY", a, 1],
                                                ["DECRBY", b, 1]])
        if rnd.random() < 0.5:
            payload += b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$100\r\nhalf"  # never finished
        try:
            sock.sendall(payload)
        except OSError:
            pass
        stop.wait(rnd.uniform(0.5, 2.5))
        sock.close()


def killer(host, port, rnd, stop, stats):
    """CLIENT KILL with every filter, aimed at whoever is connected."""
    c = None
    while not stop.is_set():
        try:
            if c is None:
                c = RespClient(host, port, timeout=10)
            listing = c.value("CLIENT", "LIST")
            me = c.value("CLIENT", "ID")
            others = []
            for line in listing.decode().splitlines():
                f = dict(kv.split("=", 1) for kv in line.split(" ") if "=" in kv)
                if int(f.get("id", me)) != me:
                    others.append(f)
            if not others:
                stop.wait(0.005)
                continue
            v = rnd.choice(others)
            kind = rnd.randrange(8)
            if kind == 0:
                cmd = ["CLIENT", "KILL", "ID", v["id"]]
            elif kind == 1:
                cmd = ["CLIENT", "KILL", "ADDR", v["addr"]]
            elif kind == 2:
                cmd = ["CLIENT", "KILL", v["addr"]]  # the old form
            elif kind == 3:
                cmd = ["CLIENT", "KILL", "LADDR", v["laddr"], "SKIPME", "yes"]
            elif kind == 4:
                cmd = ["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]
            elif kind == 5:
                cmd = ["CLIENT", "KILL", "USER", "default", "SKIPME", "yes"]
            elif kind == 6:
                cmd = ["CLIENT", "KILL", "MAXAGE", 0, "SKIPME", "yes"]
            else:
                cmd = ["CLIENT", "KILL", "ID", v["id"], "SKIPME", "no"]
            rep = c.call(*cmd)[0]
            if isinstance(rep, int):
                stats.add("killed", rep)
            elif rep == "OK":
                stats.add("killed")
            stop.wait(rnd.uniform(0, 0.02))
        except (OSError, Exception) as e:  # a killer may kill itself (TYPE, LADDR...)
            if c is not None:
                c.close()
                c = None
            if not isinstance(e, OSError) and "closed" not in repr(e).lower():
                stats.errors.append("killer: %r" % e)
            stop.wait(0.01)
    if c is not None:
        c.close()


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def run(host, port, seconds, seed=None, vanishers=10, idlers=2, killers=2, pid=None,
        log=None):
    """Run the chaos for `seconds`; returns a dict of figures. Raises
    AssertionError with the problems found."""
    seed = random.randrange(1 << 30) if seed is None else seed
    with RespClient(host, port, timeout=30) as c:
        setup(c)
        idle_clients = _connected(c)
    stop = threading.Event()
    stats = Stats()
    threads = []
    roles = [vanisher] * vanishers + [idler] * idlers + [killer] * killers
    for i, fn in enumerate(roles):
        rnd = random.Random(seed * 1000 + i)
        threads.append(threading.Thread(target=fn, args=(host, port, rnd, stop, stats),
                                        daemon=True))
    rss0 = rss_kb(pid) if pid else None
    peak = rss0
    for t in threads:
        t.start()
    deadline = time.monotonic() + seconds
    next_report = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if pid:
            now = rss_kb(pid)
            if now is None:
                stop.set()
                raise AssertionError("the server is gone (seed %d, %d connections)"
                                     % (seed, stats.connections))
            peak = max(peak, now)
        if log and time.monotonic() >= next_report:
            next_report += 30
            log("chaos: %d connections, %d killed, rss %s kB"
                % (stats.connections, stats.killed, rss_kb(pid) if pid else "?"))
    stop.set()
    for t in threads:
        t.join(timeout=30)
        assert not t.is_alive(), "a chaos client is stuck (seed %d)" % seed
    problems = list(stats.errors)
    with RespClient(host, port, timeout=30) as c:
        if c.call("PING")[0] != "PONG":
            problems.append("no PONG on a fresh connection")
        problems += check(c)
        # Every vanished client is reaped: the count returns to idle (this
        # checker's own connection replaces the setup one).
        deadline = time.monotonic() + 10
        while _connected(c) != idle_clients and time.monotonic() < deadline:
            time.sleep(0.05)
        if _connected(c) != idle_clients:
            problems.append("connected_clients %d, idle %d" % (_connected(c), idle_clients))
        blocked = _info_field(c, "blocked_clients")
        if blocked not in (None, 0):
            problems.append("blocked_clients %d after the chaos" % blocked)
        # kevy's runtime gauges: nothing in flight, locked, queued or kept.
        held = {}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            held = {k: v for k, v in _info_section(c, "stats").items()
                    if k in GAUGES and v != "0"}
            if not held:
                break
            time.sleep(0.05)
        if held:
            problems.append("still held after the chaos: %r" % held)
    figures = {"seed": seed, "connections": stats.connections, "killed": stats.killed,
               "rss0_kb": rss0, "rss_peak_kb": peak}
    if problems:
        raise AssertionError("chaos (seed %d, %d connections): %s"
                             % (seed, stats.connections, "; ".join(problems[:10])))
    return figures


GAUGES = ("kevy_inflight", "kevy_locks_held", "kevy_lock_waiters", "kevy_operations",
          "kevy_closing_clients", "kevy_blocking_keys", "kevy_block_registrations")


def _info_section(c, section):
    body = c.value("INFO", section).decode()
    return dict(line.split(":", 1) for line in body.split("\r\n") if ":" in line)


def _info_field(c, name):
    v = _info_section(c, "clients").get(name)
    return None if v is None else int(v)


def _connected(c):
    return _info_field(c, "connected_clients")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--pid", type=int, help="server pid, to watch its RSS")
    a = ap.parse_args()
    figures = run(a.host, a.port, a.seconds, a.seed, pid=a.pid,
                  log=lambda s: print(s, flush=True))
    print("chaos ok: %s" % figures)


if __name__ == "__main__":
    main()
