"""Shared pieces of the blocking-command tests (test_blocking*.py): block a
raw client on a command and wait until the server says it is blocked, check
that a client is still waiting, read a reply with a deadline.

A test blocks a client by sending the command and reading nothing; the wake-up
happens on another connection, then the blocked client's reply is read. Every
wait is bounded, so a server that never answers fails a test instead of
hanging it."""

import socket
import time

from helpers import NULL3, array, bulk, info_fields, key_in_quarter, wait_until

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
NIL_ARRAY = b"*-1\r\n"
UNBLOCKED = b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
QUEUED = b"+QUEUED\r\n"


def client_id(c):
    """CLIENT ID of a raw client, asked once and remembered on it."""
    cid = getattr(c, "_blocking_id", None)
    if cid is None:
        cid = c.value("CLIENT", "ID")
        c._blocking_id = cid
    return cid


def client_line(admin, c):
    """The CLIENT LIST line of client c, as {field: str value}."""
    text = admin.value("CLIENT", "LIST", "ID", str(client_id(c)))
    if isinstance(text, bytes):
        text = text.decode()
    line = text.strip("\n")
    if not line:
        return {}
    return dict(kv.split("=", 1) for kv in line.split(" "))


def is_blocked(admin, c):
    return "b" in client_line(admin, c).get("flags", "")


def wait_blocked(admin, *clients, timeout=5.0):
    """Wait until every client shows flags=b in CLIENT LIST; fail at once if
    one gets a reply instead (an error, say), or after `timeout`."""
    for c in clients:
        def blocked():
            if not silent(c, 0):
                raise AssertionError("client %d answered instead of blocking: %r"
                                     % (client_id(c), read_raw(c, 1)))
            return is_blocked(admin, c)
        assert wait_until(blocked, timeout=timeout, interval=0.005), \
            "client %d never blocked: %r" % (client_id(c), client_line(admin, c))


def block(admin, c, *cmd):
    """Send a blocking command on c and return once the server has it blocked
    (so clients blocked one after the other are queued in that order)."""
    client_id(c)
    c.send(*cmd)
    wait_blocked(admin, c)


def silent(c, wait=0.15):
    """True if nothing arrives on c within `wait` seconds."""
    if c.pending():
        return False
    c.sock.settimeout(wait if wait > 0 else 0.0001)
    try:
        c.sock.recv(1, socket.MSG_PEEK)
    except socket.timeout:
        return True
    finally:
        c.sock.settimeout(c.timeout)
    return False  # a reply, or the connection closed


def still_blocked(admin, c, wait=0.15):
    """c got no reply within `wait` seconds and the server lists it blocked."""
    return silent(c, wait) and is_blocked(admin, c)


def read_raw(c, timeout=5.0):
    """The raw bytes of c's next reply, waiting at most `timeout` seconds."""
    c.sock.settimeout(timeout)
    try:
        return c.read()[1]
    finally:
        c.sock.settimeout(c.timeout)


def timed_raw(c, *cmd):
    """Run a command; return (raw reply, seconds it took)."""
    t = time.monotonic()
    reply = c.raw(*cmd)
    return reply, time.monotonic() - t


def blocked_clients(admin):
    return int(info_fields(admin, "clients")["blocked_clients"])


def wait_gone(admin, c, timeout=5.0):
    """Wait until the server no longer lists client c (after a close or kill)."""
    assert wait_until(lambda: client_line(admin, c) == {}, timeout=timeout, interval=0.005), \
        "client %d still listed" % client_id(c)


def shard_keys(prefix, n):
    """n key names, each next one in another quarter of the slots (quarters
    0, 2, 1, 3, 0...): neighbours are on different shards of a server with
    2 or 4 shards, and any 4 in a row are all apart with 4."""
    order = (0, 2, 1, 3)
    return [key_in_quarter(prefix, order[i % 4], i // 4) for i in range(n)]


# ------------------------------------------------------ the commands

LIST_BLOCKERS = ("BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP")
ZSET_BLOCKERS = ("BZPOPMIN", "BZPOPMAX", "BZMPOP")
BLOCKERS = LIST_BLOCKERS + ZSET_BLOCKERS


def bcmd(name, key, timeout, dst=None):
    """The simplest form of blocking command `name` on one key: BLMOVE moves
    LEFT to RIGHT, BLMPOP pops LEFT, BZMPOP pops MIN; BRPOPLPUSH and BLMOVE
    move into `dst` (default key + ":dst")."""
    dst = dst if dst is not None else key + ":dst"
    timeout = str(timeout)
    if name in ("BLPOP", "BRPOP", "BZPOPMIN", "BZPOPMAX"):
        return [name, key, timeout]
    if name == "BRPOPLPUSH":
        return [name, key, dst, timeout]
    if name == "BLMOVE":
        return [name, key, dst, "LEFT", "RIGHT", timeout]
    if name == "BLMPOP":
        return [name, timeout, "1", key, "LEFT"]
    if name == "BZMPOP":
        return [name, timeout, "1", key, "MIN"]
    raise ValueError(name)


def fill(c, name, key, *members):
    """Make `key` non-empty with the type blocking command `name` pops:
    RPUSH the members, or ZADD them with scores 1, 2, 3..."""
    if name in ZSET_BLOCKERS:
        args = []
        for i, m in enumerate(members):
            args += [str(i + 1), m]
        return c.raw("ZADD", key, *args)
    return c.raw("RPUSH", key, *members)


def bulks(*items):
    return array(*[bulk(i) for i in items])


def score(s, proto):
    """A score in a reply: a bulk string in RESP2, a double in RESP3."""
    return bulk(s) if proto == 2 else b",%s\r\n" % s.encode()


def served(name, key, member, proto=2, sc="1"):
    """The reply of bcmd(name, key, ...) that got `member` (score `sc`)."""
    if name in ("BLPOP", "BRPOP"):
        return array(bulk(key), bulk(member))
    if name in ("BRPOPLPUSH", "BLMOVE"):
        return bulk(member)
    if name == "BLMPOP":
        return array(bulk(key), array(bulk(member)))
    if name in ("BZPOPMIN", "BZPOPMAX"):
        return array(bulk(key), bulk(member), score(sc, proto))
    if name == "BZMPOP":
        return array(bulk(key), array(array(bulk(member), score(sc, proto))))
    raise ValueError(name)


def timed_out(proto):
    """What every blocking pop answers when its timeout ends (or CLIENT
    UNBLOCK ... TIMEOUT): a null array in RESP2, even for BRPOPLPUSH and
    BLMOVE whose non-blocking forms answer a null bulk; null in RESP3."""
    return NIL_ARRAY if proto == 2 else NULL3


# What bcmd(name, key, ...) takes when "a" (score 1) and "b" (score 2) are
# pushed (RPUSH a b / ZADD 1 a 2 b): the head, the tail, the min or the max.
TAKES = {"BLPOP": "a", "BRPOP": "b", "BRPOPLPUSH": "b", "BLMOVE": "a", "BLMPOP": "a",
         "BZPOPMIN": "a", "BZPOPMAX": "b", "BZMPOP": "a"}


def served_first(name, key, proto=2):
    """The reply of bcmd(name, key, ...) served from fill(..., "a", "b")."""
    got = TAKES[name]
    return served(name, key, got, proto, "1" if got == "a" else "2")


def length(c, name, key):
    """LLEN or ZCARD of key, whichever blocking command `name` pops from."""
    return c.raw("ZCARD" if name in ZSET_BLOCKERS else "LLEN", key)
