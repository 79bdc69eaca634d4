"""Keyspace notifications of the string commands (SET family, GETSET, GETDEL,
GETEX, SETRANGE, APPEND, INCR/DECR, INCRBYFLOAT, MSET/MSETNX, SETBIT, BITOP,
BITFIELD, PFADD, PFMERGE): the exact events Redis 7.0 publishes, in order,
with "new" (class n) and "keymiss" (class m), and the class filters.

Every key of a case is under the hashtag {t}, so one shard runs it and its
events come in order; the cross-shard tests compare sorted lists, as events
of different shards are not ordered with each other.

The flags that show everything are spelled out ("KEg$lxnm") rather than
"KEAnm": kevy's configuration canonicalises "KEAn" to Redis's printed form
"AKE", which loses the 'n' (Redis keeps the bit, only its CONFIG GET drops
the letter).
"""

import pytest

from notify_helpers import events, keyspace_events, prepare, run_sorted, without_nm

ALL = "KEg$lxnm"






K = "{t}k"
A, B, D, H = "{t}a", "{t}b", "{t}d", "{t}h"

# (id, setup, commands, events with "new" and "keymiss")
CASES = [
    ("set-new", [], [("SET", K, "v")], [("new", K), ("set", K)]),
    ("set-existing", [("SET", K, "v")], [("SET", K, "w")], [("set", K)]),
    ("set-other-type", [("RPUSH", K, "a")], [("SET", K, "v")], [("set", K)]),
    ("set-get-existing", [("SET", K, "v")], [("SET", K, "w", "GET")], [("set", K)]),
    ("set-get-missing", [], [("SET", K, "v", "GET")],
     [("keymiss", K), ("new", K), ("set", K)]),
    ("set-get-wrongtype", [("RPUSH", K, "a")], [("SET", K, "v", "GET")], []),
    ("set-nx-done", [], [("SET", K, "v", "NX")], [("new", K), ("set", K)]),
    ("set-nx-refused", [("SET", K, "v")], [("SET", K, "w", "NX")], []),
    ("set-xx-refused", [], [("SET", K, "v", "XX")], []),
    ("set-xx-done", [("SET", K, "v")], [("SET", K, "w", "XX")], [("set", K)]),
    ("set-ex", [], [("SET", K, "v", "EX", "100")],
     [("new", K), ("set", K), ("expire", K)]),
    ("set-px-existing", [("SET", K, "v")], [("SET", K, "w", "PX", "100000")],
     [("set", K), ("expire", K)]),
    ("set-exat-past", [("SET", K, "v")], [("SET", K, "w", "EXAT", "1")],
     [("set", K), ("expire", K)]),
    ("set-keepttl", [("SET", K, "v", "EX", "100")], [("SET", K, "w", "KEEPTTL")], [("set", K)]),
    ("set-syntax-error", [], [("SET", K, "v", "NX", "XX")], []),
    ("setnx-new", [], [("SETNX", K, "v")], [("new", K), ("set", K)]),
    ("setnx-refused", [("SET", K, "v")], [("SETNX", K, "w")], []),
    ("setex", [], [("SETEX", K, "10", "v")], [("new", K), ("set", K), ("expire", K)]),
    ("psetex", [("SET", K, "v")], [("PSETEX", K, "10000", "w")], [("set", K), ("expire", K)]),
    ("setex-bad-time", [], [("SETEX", K, "0", "v")], []),
    ("getset-missing", [], [("GETSET", K, "v")], [("keymiss", K), ("new", K), ("set", K)]),
    ("getset-existing", [("SET", K, "v")], [("GETSET", K, "w")], [("set", K)]),
    ("getdel-missing", [], [("GETDEL", K)], [("keymiss", K)]),
    ("getdel-existing", [("SET", K, "v")], [("GETDEL", K)], [("del", K)]),
    ("getdel-wrongtype", [("RPUSH", K, "a")], [("GETDEL", K)], []),
    ("getex-plain", [("SET", K, "v")], [("GETEX", K)], []),
    ("getex-missing", [], [("GETEX", K, "EX", "100")], [("keymiss", K)]),
    ("getex-ex", [("SET", K, "v")], [("GETEX", K, "EX", "100")], [("expire", K)]),
    ("getex-pxat", [("SET", K, "v")], [("GETEX", K, "PXAT", "99999999999999")], [("expire", K)]),
    ("getex-exat-past", [("SET", K, "v")], [("GETEX", K, "EXAT", "1")], [("del", K)]),
    ("getex-persist", [("SET", K, "v", "EX", "100")], [("GETEX", K, "PERSIST")],
     [("persist", K)]),
    ("getex-persist-no-ttl", [("SET", K, "v")], [("GETEX", K, "PERSIST")], []),
    ("getex-bad-time", [("SET", K, "v")], [("GETEX", K, "PX", "0")], []),
    ("get-missing", [], [("GET", K)], [("keymiss", K)]),
    ("get-hit", [("SET", K, "v")], [("GET", K)], []),
    ("mget", [("SET", B, "v")], [("MGET", A, B, D)], [("keymiss", A), ("keymiss", D)]),
    ("strlen-getrange-substr", [], [("STRLEN", K), ("GETRANGE", K, "0", "1"),
                                     ("SUBSTR", K, "0", "1")],
     [("keymiss", K)] * 3),
    ("setrange-new", [], [("SETRANGE", K, "2", "ab")], [("new", K), ("setrange", K)]),
    ("setrange-existing", [("SET", K, "v")], [("SETRANGE", K, "0", "ab")], [("setrange", K)]),
    ("setrange-empty-missing", [], [("SETRANGE", K, "0", "")], []),
    ("setrange-empty-existing", [("SET", K, "v")], [("SETRANGE", K, "5", "")], []),
    ("append-new", [], [("APPEND", K, "ab")], [("new", K), ("append", K)]),
    ("append-existing", [("SET", K, "v")], [("APPEND", K, "ab")], [("append", K)]),
    ("append-empty", [("SET", K, "v")], [("APPEND", K, "")], [("append", K)]),
    ("append-wrongtype", [("RPUSH", K, "a")], [("APPEND", K, "x")], []),
    ("incr-family", [], [("INCR", K), ("DECR", K), ("INCRBY", K, "5"), ("DECRBY", K, "2")],
     [("new", K), ("incrby", K), ("incrby", K), ("incrby", K), ("incrby", K)]),
    ("incr-not-integer", [("SET", K, "x")], [("INCR", K)], []),
    ("incr-overflow", [("SET", K, "9223372036854775807")], [("INCR", K)], []),
    ("incrbyfloat-new", [], [("INCRBYFLOAT", K, "1.5")], [("new", K), ("incrbyfloat", K)]),
    ("incrbyfloat-ttl", [("SET", K, "1", "EX", "100")], [("INCRBYFLOAT", K, "1.5")],
     [("incrbyfloat", K)]),
    ("incrbyfloat-bad", [("SET", K, "x")], [("INCRBYFLOAT", K, "1")], []),
    ("mset", [("RPUSH", B, "x")], [("MSET", A, "1", B, "2", A, "3")],
     [("new", A), ("set", A), ("set", B), ("set", A)]),
    ("msetnx-done", [], [("MSETNX", A, "1", B, "2")],
     [("new", A), ("set", A), ("new", B), ("set", B)]),
    ("msetnx-refused", [("SET", B, "v")], [("MSETNX", A, "1", B, "2")], []),
    ("setbit-new", [], [("SETBIT", K, "3", "0")], [("new", K), ("setbit", K)]),
    ("setbit-changed", [("SET", K, "a")], [("SETBIT", K, "3", "1")], [("setbit", K)]),
    ("setbit-unchanged", [("SET", K, "a")], [("SETBIT", K, "1", "1")], []),
    ("setbit-grows", [("SET", K, "a")], [("SETBIT", K, "20", "0")], [("setbit", K)]),
    ("getbit-bitcount-bitpos", [], [("GETBIT", K, "3"), ("BITCOUNT", K), ("BITPOS", K, "1")],
     [("keymiss", K)] * 3),
    ("bitop-missing-sources", [], [("BITOP", "AND", D, A, B)], [("keymiss", A), ("keymiss", B)]),
    ("bitop-empty-deletes", [("SET", D, "x")], [("BITOP", "AND", D, A, B)],
     [("keymiss", A), ("keymiss", B), ("del", D)]),
    ("bitop-store", [("SET", A, "x")], [("BITOP", "OR", D, A, B)],
     [("keymiss", B), ("new", D), ("set", D)]),
    ("bitop-not-existing", [("SET", A, "x"), ("RPUSH", D, "x")], [("BITOP", "NOT", D, A)],
     [("set", D)]),
    ("bitfield-get", [], [("BITFIELD", K, "GET", "u8", "0")], [("keymiss", K)]),
    ("bitfield-ro", [("SET", K, "a")], [("BITFIELD_RO", K, "GET", "u8", "0")], []),
    ("bitfield-set", [], [("BITFIELD", K, "SET", "u8", "0", "1", "INCRBY", "u8", "0", "1")],
     [("new", K), ("setbit", K)]),
    ("bitfield-unchanged", [("SET", K, "a")], [("BITFIELD", K, "SET", "u8", "0", "97")], []),
    ("bitfield-overflow-fail", [], [("BITFIELD", K, "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "5")],
     [("new", K)]),
    ("pfadd-new", [], [("PFADD", H, "a")], [("new", H), ("pfadd", H)]),
    ("pfadd-no-elements", [], [("PFADD", H)], [("new", H), ("pfadd", H)]),
    ("pfadd-unchanged", [("PFADD", H, "a")], [("PFADD", H, "a"), ("PFADD", H)], []),
    ("pfadd-changed", [("PFADD", H, "a")], [("PFADD", H, "b")], [("pfadd", H)]),
    ("pfadd-wrongtype", [("SET", H, "notanhll")], [("PFADD", H, "a")], []),
    ("pfcount", [("PFADD", H, "a"), ("PFADD", A, "b")], [("PFCOUNT", H), ("PFCOUNT", H, A, B)],
     [("keymiss", B)]),
    ("pfmerge-new", [("PFADD", H, "a")], [("PFMERGE", D, H, B)],
     [("keymiss", D), ("keymiss", B), ("new", D), ("pfadd", D)]),
    ("pfmerge-self", [("PFADD", H, "a")], [("PFMERGE", H)], [("pfadd", H)]),
    ("lcs", [("SET", A, "abc")], [("LCS", A, B)], [("keymiss", B)]),
]


@pytest.mark.parametrize("setup,cmds,expected", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_string_events(server, setup, cmds, expected):
    prepare(server, setup)
    with keyspace_events(server, ALL) as ev:
        assert ev.run(*cmds) == events(*expected)


@pytest.mark.parametrize("setup,cmds,expected", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_string_events_kea(server, setup, cmds, expected):
    """KEA: the same without "new" and "keymiss" (neither is part of A)."""
    prepare(server, setup)
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(*cmds) == events(*without_nm(expected))


SEQ = [("SET", K, "v", "EX", "100"), ("INCR", "{t}n"), ("GETDEL", K), ("GET", K),
       ("SETRANGE", K, "1", "x"), ("PFADD", H, "a")]


@pytest.mark.parametrize("flags,expected", [
    ("Kg", [("__keyspace@0__:" + K, "expire"), ("__keyspace@0__:" + K, "del")]),
    ("Eg", [("__keyevent@0__:expire", K), ("__keyevent@0__:del", K)]),
    ("E$", [("__keyevent@0__:set", K), ("__keyevent@0__:incrby", "{t}n"),
            ("__keyevent@0__:setrange", K), ("__keyevent@0__:pfadd", H)]),
    ("K$", [("__keyspace@0__:" + K, "set"), ("__keyspace@0__:{t}n", "incrby"),
            ("__keyspace@0__:" + K, "setrange"), ("__keyspace@0__:" + H, "pfadd")]),
    ("Km", [("__keyspace@0__:" + K, "keymiss")]),
    ("En", [("__keyevent@0__:new", K), ("__keyevent@0__:new", "{t}n"),
            ("__keyevent@0__:new", K), ("__keyevent@0__:new", H)]),
    ("Kl", []),
    ("g$", []),  # neither K nor E: nothing is published
])
def test_string_event_classes(server, flags, expected):
    prepare(server, [])
    with keyspace_events(server, flags) as ev:
        assert ev.run(*SEQ) == expected


def test_string_events_other_db(server):
    prepare(server, [])
    with keyspace_events(server, ALL) as ev:
        assert ev.run(("SELECT", "5"), ("SET", K, "v"), ("APPEND", K, "w"), ("GET", A),
                      ("SELECT", "0")) == [
            ("__keyspace@5__:" + K, "new"), ("__keyevent@5__:new", K),
            ("__keyspace@5__:" + K, "set"), ("__keyevent@5__:set", K),
            ("__keyspace@5__:" + K, "append"), ("__keyevent@5__:append", K),
            ("__keyspace@5__:" + A, "keymiss"), ("__keyevent@5__:keymiss", A)]


KEYS = ["k%d" % i for i in range(12)]


def test_mset_across_shards(server):
    args = []
    for k in KEYS:
        args += [k, "v"]
    prepare(server, [("SET", "k0", "x")])
    with keyspace_events(server, ALL) as ev:
        got = run_sorted(ev, ("MSET",) + tuple(args))
    expected = events(*[("set", k) for k in KEYS] + [("new", k) for k in KEYS[1:]])
    assert got == sorted(expected)


def test_msetnx_across_shards(server):
    args = []
    for k in KEYS:
        args += [k, "v"]
    prepare(server, [("SET", "k7", "x")])
    with keyspace_events(server, ALL) as ev:
        assert run_sorted(ev, ("MSETNX",) + tuple(args)) == []
        assert run_sorted(ev, ("DEL", "k7"), ("MSETNX",) + tuple(args)) == sorted(
            events(("del", "k7"), *[(e, k) for k in KEYS for e in ("new", "set")]))


def test_mget_across_shards(server):
    prepare(server, [("SET", "k3", "x")])
    with keyspace_events(server, ALL) as ev:
        assert run_sorted(ev, ("MGET",) + tuple(KEYS)) == sorted(
            events(*[("keymiss", k) for k in KEYS if k != "k3"]))


def test_bitop_pfmerge_across_shards(server):
    prepare(server, [("SET", "k1", "x"), ("PFADD", "k5", "a"), ("SET", "k9", "x")])
    with keyspace_events(server, ALL) as ev:
        assert run_sorted(ev, ("BITOP", "OR", "k0", "k1", "k2", "k3")) == sorted(
            events(("keymiss", "k2"), ("keymiss", "k3"), ("new", "k0"), ("set", "k0")))
        assert run_sorted(ev, ("BITOP", "AND", "k9", "k2", "k3")) == sorted(
            events(("keymiss", "k2"), ("keymiss", "k3"), ("del", "k9")))
        assert run_sorted(ev, ("PFMERGE", "k4", "k5", "k6")) == sorted(
            events(("keymiss", "k4"), ("keymiss", "k6"), ("new", "k4"), ("pfadd", "k4")))
        assert run_sorted(ev, ("PFCOUNT", "k4", "k5", "k7")) == sorted(
            events(("keymiss", "k7")))
