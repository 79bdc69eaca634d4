"""Keyspace notifications of the generic key commands (DEL/UNLINK, the
EXPIRE family, PERSIST, RENAME/RENAMENX, MOVE, COPY, RESTORE, SORT ...
STORE, and the readers that report "keymiss"), and of expiry, lazy and
active: the exact events Redis 7.0 publishes, in order.

As in test_notify_strings.py, every key of a case is under {t}, the flags
that show everything are spelled out ("KEg$lxnm", see there why not
"KEAnm"), and cross-shard tests compare sorted lists.
"""

import time

import pytest

from notify_helpers import MARK, events, keyspace_events, pair, prepare, run_sorted, without_nm
from resp_client import RespClient

ALL = "KEg$lxnm"






A, B, C, D, L, X = "{t}a", "{t}b", "{t}c", "{t}d", "{t}l", "{t}x"
FUTURE_S, FUTURE_MS = "99999999999", "99999999999000"

# (id, setup, commands, events with "new" and "keymiss")
CASES = [
    ("del", [("SET", A, "1"), ("RPUSH", B, "x")], [("DEL", A, X, B)], [("del", A), ("del", B)]),
    ("del-missing", [], [("DEL", X)], []),
    ("unlink-order", [("SET", A, "1"), ("SET", B, "2")], [("UNLINK", B, A, B)],
     [("del", B), ("del", A)]),
    ("expire", [("SET", A, "1")], [("EXPIRE", A, "100")], [("expire", A)]),
    ("pexpire", [("SET", A, "1")], [("PEXPIRE", A, "100000")], [("expire", A)]),
    ("expireat", [("SET", A, "1")], [("EXPIREAT", A, FUTURE_S)], [("expire", A)]),
    ("pexpireat", [("SET", A, "1")], [("PEXPIREAT", A, FUTURE_MS)], [("expire", A)]),
    ("expire-negative", [("SET", A, "1")], [("EXPIRE", A, "-1")], [("del", A)]),
    ("expire-zero", [("SET", A, "1")], [("EXPIRE", A, "0")], [("del", A)]),
    ("pexpireat-past", [("SET", A, "1")], [("PEXPIREAT", A, "1")], [("del", A)]),
    ("expire-missing", [], [("EXPIRE", A, "100"), ("EXPIRE", A, "-1")], []),
    ("expire-xx-refused", [("SET", A, "1")], [("EXPIRE", A, "100", "XX")], []),
    ("expire-xx-past-refused", [("SET", A, "1")], [("EXPIRE", A, "-1", "XX")], []),
    ("expire-nx", [("SET", A, "1")], [("EXPIRE", A, "100", "NX")], [("expire", A)]),
    ("expire-nx-refused", [("SET", A, "1", "EX", "50")], [("EXPIRE", A, "100", "NX")], []),
    ("expire-lt-refused", [("SET", A, "1", "EX", "50")], [("EXPIRE", A, "100", "LT")], []),
    ("expire-gt", [("SET", A, "1", "EX", "50")], [("EXPIRE", A, "100", "GT")], [("expire", A)]),
    ("expire-gt-refused", [("SET", A, "1", "EX", "50")], [("EXPIRE", A, "10", "GT")], []),
    ("expire-gt-past-refused", [("SET", A, "1", "EX", "50")], [("EXPIRE", A, "-1", "GT")], []),
    ("expire-lt-past", [("SET", A, "1", "EX", "50")], [("EXPIRE", A, "-1", "LT")], [("del", A)]),
    ("expire-bad-option", [("SET", A, "1")], [("EXPIRE", A, "100", "NX", "XX")], []),
    ("persist", [("SET", A, "1", "EX", "50")], [("PERSIST", A)], [("persist", A)]),
    ("persist-no-ttl", [("SET", A, "1")], [("PERSIST", A), ("PERSIST", X)], []),
    ("rename", [("SET", A, "1")], [("RENAME", A, B)],
     [("new", B), ("rename_from", A), ("rename_to", B)]),
    ("rename-overwrites", [("SET", A, "1", "EX", "100"), ("RPUSH", B, "x")], [("RENAME", A, B)],
     [("new", B), ("rename_from", A), ("rename_to", B)]),
    ("rename-same-key", [("SET", A, "1")], [("RENAME", A, A)], []),
    ("rename-missing", [], [("RENAME", A, B)], []),
    ("renamenx", [("SET", A, "1")], [("RENAMENX", A, B)],
     [("new", B), ("rename_from", A), ("rename_to", B)]),
    ("renamenx-refused", [("SET", A, "1"), ("SET", B, "2")], [("RENAMENX", A, B)], []),
    ("renamenx-same-key", [("SET", A, "1")], [("RENAMENX", A, A)], []),
    ("move", [("SET", A, "1", "EX", "100")], [("MOVE", A, "3")],
     [("new", A, 3), ("move_from", A), ("move_to", A, 3)]),
    ("move-refused", [("SET", A, "1"), ("SELECT", "3"), ("SET", A, "2")], [("MOVE", A, "3")], []),
    ("move-missing", [], [("MOVE", A, "3")], []),
    ("copy", [("SET", A, "1")], [("COPY", A, B)], [("new", B), ("copy_to", B)]),
    ("copy-refused", [("SET", A, "1"), ("SET", B, "2")], [("COPY", A, B)], []),
    ("copy-replace", [("SET", A, "1"), ("SET", B, "2")], [("COPY", A, B, "REPLACE")],
     [("new", B), ("copy_to", B)]),
    ("copy-db", [("RPUSH", A, "1")], [("COPY", A, B, "DB", "2")],
     [("new", B, 2), ("copy_to", B, 2)]),
    ("copy-missing", [], [("COPY", A, B)], [("keymiss", A)]),
    ("copy-same", [("SET", A, "1")], [("COPY", A, A)], []),
    ("touch", [("SET", A, "1")], [("TOUCH", A, X, B)], [("keymiss", X), ("keymiss", B)]),
    ("exists-type", [("SET", A, "1")], [("EXISTS", A, X), ("TYPE", B), ("TYPE", A)],
     [("keymiss", X), ("keymiss", B)]),
    ("ttl-family", [], [("TTL", X), ("PTTL", X), ("EXPIRETIME", X), ("PEXPIRETIME", X)],
     [("keymiss", X)] * 4),
    ("object-no-keymiss", [], [("OBJECT", "ENCODING", X), ("OBJECT", "FREQ", X),
                               ("OBJECT", "IDLETIME", X), ("OBJECT", "REFCOUNT", X)], []),
    ("dump-missing", [("SET", A, "1")], [("DUMP", X), ("DUMP", A)], [("keymiss", X)]),
    ("keyspace-readers", [("SET", A, "1")], [("KEYS", "*"), ("SCAN", "0"), ("RANDOMKEY",),
                                             ("DBSIZE",)], []),
    ("sort-store", [("RPUSH", L, "3", "1", "2")], [("SORT", L, "STORE", D)],
     [("new", D), ("sortstore", D)]),
    ("sort-store-existing", [("RPUSH", L, "3", "1", "2"), ("SET", D, "x")],
     [("SORT", L, "STORE", D)], [("sortstore", D)]),
    ("sort-store-empty", [("SET", D, "x")], [("SORT", L, "STORE", D)],
     [("keymiss", L), ("del", D)]),
    ("sort-store-empty-missing", [], [("SORT", L, "STORE", D)], [("keymiss", L)]),
    ("sort-by-get", [("RPUSH", L, "3", "1", "2"), ("SET", "{t}w_1", "5")],
     [("SORT", L, "BY", "{t}w_*", "GET", "{t}o_*", "STORE", D)],
     [("keymiss", "{t}w_3"), ("keymiss", "{t}w_2"), ("keymiss", "{t}o_2"),
      ("keymiss", "{t}o_3"), ("keymiss", "{t}o_1"), ("new", D), ("sortstore", D)]),
    ("sort-ro", [("RPUSH", L, "3", "1")], [("SORT_RO", L, "BY", "{t}w_*"), ("SORT_RO", X)],
     [("keymiss", "{t}w_3"), ("keymiss", "{t}w_1"), ("keymiss", X)]),
]


@pytest.mark.parametrize("setup,cmds,expected", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_key_events(server, setup, cmds, expected):
    prepare(server, setup)
    with keyspace_events(server, ALL) as ev:
        assert ev.run(*cmds) == events(*expected)


@pytest.mark.parametrize("setup,cmds,expected", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_key_events_kea(server, setup, cmds, expected):
    """KEA: the same without "new" and "keymiss" (neither is part of A)."""
    prepare(server, setup)
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(*cmds) == events(*without_nm(expected))


def test_sortstore_is_a_list_event(server):
    prepare(server, [("RPUSH", L, "1"), ("SET", D, "x")])
    with keyspace_events(server, "Kl") as ev:
        assert ev.run(("SORT", L, "STORE", D), ("SORT", X, "STORE", D),
                      ("SORT", L, "STORE", B)) == [
            ("__keyspace@0__:" + D, "sortstore"), ("__keyspace@0__:" + B, "sortstore")]
    prepare(server, [("SET", D, "x")])
    with keyspace_events(server, "Eg") as ev:
        assert ev.run(("SORT", L, "STORE", D), ("SORT", X, "STORE", D)) == [
            ("__keyevent@0__:del", D)]


def test_generic_class_filter(server):
    prepare(server, [("SET", A, "1"), ("SET", B, "1")])
    with keyspace_events(server, "Kg") as ev:
        assert ev.run(("EXPIRE", A, "100"), ("PERSIST", A), ("RENAME", A, C), ("COPY", C, D),
                      ("MOVE", D, "1"), ("DEL", B), ("GET", B)) == [
            ("__keyspace@0__:" + A, "expire"), ("__keyspace@0__:" + A, "persist"),
            ("__keyspace@0__:" + A, "rename_from"), ("__keyspace@0__:" + C, "rename_to"),
            ("__keyspace@0__:" + D, "copy_to"), ("__keyspace@0__:" + D, "move_from"),
            ("__keyspace@1__:" + D, "move_to"), ("__keyspace@0__:" + B, "del")]
    with keyspace_events(server, "E$") as ev:  # no string event among them
        assert ev.run(("EXPIRE", C, "100"), ("DEL", C)) == []


def test_restore_events(server):
    prepare(server, [("SET", A, "v")])
    with RespClient(server.host, server.port) as c:
        payload = c.call("DUMP", A)[0]
    with keyspace_events(server, ALL) as ev:
        assert ev.run(("RESTORE", B, "0", payload)) == events(("new", B), ("restore", B))
        assert ev.run(("RESTORE", B, "0", payload)) == []  # BUSYKEY
        assert ev.run(("RESTORE", B, "0", payload, "REPLACE")) == events(
            ("new", B), ("restore", B))
        assert ev.run(("RESTORE", C, "100000", payload)) == events(("new", C), ("restore", C))
        # already expired: nothing is created; a replaced key is deleted
        assert ev.run(("RESTORE", D, "1", payload, "ABSTTL")) == []
        assert ev.run(("RESTORE", B, "1", payload, "ABSTTL", "REPLACE")) == events(("del", B))
        assert ev.run(("RESTORE", D, "0", b"garbage")) == []
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("RESTORE", D, "0", payload)) == events(("restore", D))


def test_active_expiry_events(server):
    prepare(server, [("SET", A, "v", "PX", "300"), ("SET", B, "v")])
    with keyspace_events(server, "KEA") as ev:
        got = []
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            got = ev.collect()
            time.sleep(0.05)
        assert got == events(("expired", A))
    with RespClient(server.host, server.port) as c:
        assert c.call("EXISTS", A)[0] == 0


@pytest.fixture
def no_active_expiry(server_factory):
    """A server of its own whose keys expire only lazily."""
    srv = server_factory("--enable-debug-command", "yes")
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"+OK\r\n"
    return srv


LAZY = [
    ("get", [("GET", A)], [("expired", A), ("keymiss", A)]),
    ("exists-ttl", [("EXISTS", A), ("TTL", A)], [("expired", A), ("keymiss", A), ("keymiss", A)]),
    ("object", [("OBJECT", "ENCODING", A)], [("expired", A)]),
    ("set", [("SET", A, "w")], [("expired", A), ("new", A), ("set", A)]),
    ("incr", [("INCR", A)], [("expired", A), ("new", A), ("incrby", A)]),
    ("del", [("DEL", A)], [("expired", A)]),
    ("expire", [("EXPIRE", A, "100")], [("expired", A)]),
    ("rename", [("RENAME", A, B)], [("expired", A)]),
    ("dbsize-keys", [("DBSIZE",), ("KEYS", "*")], []),
    ("move", [("MOVE", A, "1")], [("expired", A)]),
    ("copy", [("COPY", A, B)], [("expired", A), ("keymiss", A)]),
    ("persist", [("PERSIST", A)], [("expired", A)]),
    ("sort", [("SORT", A)], [("expired", A), ("keymiss", A)]),
    ("setrange-empty", [("SETRANGE", A, "0", "")], [("expired", A)]),
    ("msetnx", [("MSETNX", A, "1", B, "2")],
     [("expired", A), ("new", A), ("set", A), ("new", B), ("set", B)]),
    ("set-get", [("SET", A, "w", "GET")], [("expired", A), ("keymiss", A), ("new", A), ("set", A)]),
    ("bitop", [("BITOP", "NOT", A, A)], [("expired", A), ("keymiss", A)]),
]


@pytest.mark.restart
@pytest.mark.parametrize("cmds,expected", [c[1:] for c in LAZY], ids=[c[0] for c in LAZY])
def test_lazy_expiry_events(no_active_expiry, cmds, expected):
    prepare(no_active_expiry, [("SET", A, "v", "PX", "20")])
    time.sleep(0.1)
    with keyspace_events(no_active_expiry, ALL) as ev:
        assert ev.run(*cmds) == events(*expected)


@pytest.mark.restart
@pytest.mark.parametrize("typ,expected", [(None, [("expired", A)]),
                                          ("string", [("expired", A), ("keymiss", A)])])
def test_lazy_expiry_by_scan(no_active_expiry, typ, expected):
    """SCAN deletes the expired keys it meets; its TYPE filter looks them up
    as a read first (a miss). kevy's cursor walks the shards one after the
    other, so the whole iteration is compared."""
    prepare(no_active_expiry, [("SET", A, "v", "PX", "20")])
    time.sleep(0.1)
    with keyspace_events(no_active_expiry, ALL) as ev:
        cursor, found = "0", []
        while True:
            cursor, keys = ev.admin.call(*(("SCAN", cursor) + (("TYPE", typ) if typ else ())))[0]
            cursor = cursor.decode() if isinstance(cursor, bytes) else cursor
            found += [k for k in keys if k not in (MARK, MARK.encode())]
            if cursor == "0":
                break
        assert found == []
        assert ev.collect() == events(*expected)


KEYS = ["k%d" % i for i in range(12)]


def test_del_across_shards(server):
    prepare(server, [("SET", k, "v") for k in KEYS[::2]])
    with keyspace_events(server, ALL) as ev:
        assert run_sorted(ev, ("DEL",) + tuple(KEYS)) == sorted(
            events(*[("del", k) for k in KEYS[::2]]))
        assert run_sorted(ev, ("EXISTS",) + tuple(KEYS[:4]), ("TOUCH",) + tuple(KEYS[:4])) == \
            sorted(events(*[("keymiss", k) for k in KEYS[:4]] * 2))


@pytest.mark.parametrize("dst", KEYS[1:5])
def test_rename_copy_across_shards(server, dst):
    prepare(server, [("SET", "k0", "v", "EX", "100"), ("SET", dst, "old")])
    with keyspace_events(server, ALL) as ev:
        assert run_sorted(ev, ("RENAMENX", "k0", dst)) == []
        assert run_sorted(ev, ("RENAME", "k0", dst)) == sorted(
            events(("new", dst), ("rename_from", "k0"), ("rename_to", dst)))
        assert run_sorted(ev, ("COPY", dst, "k0")) == sorted(
            events(("new", "k0"), ("copy_to", "k0")))
        assert run_sorted(ev, ("COPY", dst, "k0")) == []
        assert run_sorted(ev, ("COPY", dst, "k0", "REPLACE")) == sorted(
            events(("new", "k0"), ("copy_to", "k0")))
        assert run_sorted(ev, ("COPY", "k9", "k0", "DB", "4")) == sorted(events(("keymiss", "k9")))
        assert run_sorted(ev, ("COPY", dst, "k0", "DB", "4")) == sorted(
            events(("new", "k0", 4), ("copy_to", "k0", 4)))
        assert run_sorted(ev, ("RENAME", "k9", dst)) == []


@pytest.mark.parametrize("dst", KEYS[1:5])
def test_sort_store_across_shards(server, dst):
    prepare(server, [("RPUSH", "k0", "2", "1")])
    with keyspace_events(server, ALL) as ev:
        assert run_sorted(ev, ("SORT", "k0", "STORE", dst)) == sorted(
            events(("new", dst), ("sortstore", dst)))
        assert run_sorted(ev, ("SORT", "k0", "STORE", dst)) == sorted(events(("sortstore", dst)))
        assert run_sorted(ev, ("SORT", "k9", "STORE", dst)) == sorted(
            events(("keymiss", "k9"), ("del", dst)))


def test_new_class_stays_on_beside_a(server):
    """'n' is not part of A, and CONFIG GET does not print it beside A, but
    the class stays on (kevy once lost it with the printed text)."""
    with keyspace_events(server, "KEAn") as ev:
        assert ev.admin.raw("CONFIG", "GET", "notify-keyspace-events") == (
            b"*2\r\n$22\r\nnotify-keyspace-events\r\n$3\r\nAKE\r\n")
        assert ev.run(("SET", "{t}n1", "1")) == pair(0, "new", "{t}n1") + pair(0, "set", "{t}n1")
