"""RDB persistence across restarts: every type, encoding and TTL survives a
save and a restart of the same binary in the same directory; which
SHUTDOWN modes (and SIGTERM) save; DEBUG RELOAD; FLUSHALL's save; the
`save` schedule; keys that expired while the server was down; corrupt or
truncated dump files refused at startup; a Redis 6.2 (RDB 9) file; the
exchange of dump files with a real Redis 7.0 both ways (the migration
path); and BGSAVE as a point-in-time snapshot while clients write, across
kevy's shards (state at the moment BGSAVE was issued, cross-shard MULTI
transfers conserved exactly).

Against Redis (KEVY_IMPL=redis) the exchange runs Redis -> Redis, still a
valid test. kevy-only: restarts with another shard count, and what kevy's
log says about a corrupt file.
"""

import os
import random
import re
import threading
import time

import pytest

from helpers import NIL, OK, bulk, err, integer, lp, wait_until
from persist_helpers import (DUMP, aux, after_load, assert_same, check_frame, check_rdb,
                             copy_dump, entry, fill, persist_servers, persistence, pinfo,
                             rdb_file, rdb_str, read_file, redis6_file, select_db, snapshot,
                             total_keys, wait_bgsave, ziplist)

pytestmark = pytest.mark.restart

STARTED = b"+Background saving started\r\n"
SHUTDOWN_FAILED = err("ERR Errors trying to SHUTDOWN. Check logs.")


@pytest.fixture
def persist():
    yield from persist_servers()


def restart(persist, srv, *flags, **kw):
    """Start the same kind of server again on srv's directory."""
    new = persist.start(srv.dir, *flags, **kw)
    return new, persist.client(new)


# ------------------------------------------------- every type survives


@pytest.mark.parametrize("how", ["shutdown-save", "save-then-nosave", "bgsave-then-nosave",
                                 "sigterm-with-save-points", "shutdown-default-with-save-points"])
def test_restart_keeps_every_type(persist, how):
    flags = ("--save", "3600 1") if how.endswith("with-save-points") else ()
    d = persist.dir()
    srv = persist.start(d, *flags)
    c = persist.client(srv)
    snap = fill(c)
    if how == "shutdown-save":
        persist.shutdown(srv, "SAVE")
    elif how == "save-then-nosave":
        assert c.raw("SAVE") == OK
        persist.shutdown(srv, "NOSAVE")
    elif how == "bgsave-then-nosave":
        assert c.raw("BGSAVE") == STARTED
        assert wait_bgsave(c)["rdb_last_bgsave_status"] == "ok"
        persist.shutdown(srv, "NOSAVE")
    elif how == "sigterm-with-save-points":
        persist.sigterm(srv)
    else:
        persist.shutdown(srv)
    check_frame(read_file(os.path.join(d, DUMP)))
    srv, c = restart(persist, srv)
    want = after_load(snap)
    assert_same(want, snapshot(c))
    info = persistence(c)
    assert info["rdb_last_load_keys_loaded"] == str(total_keys(snap))
    assert info["rdb_last_load_keys_expired"] == "0"
    assert info["rdb_changes_since_last_save"] == "0"
    # What was loaded saves and loads again to the same.
    assert c.raw("SAVE") == OK
    persist.shutdown(srv, "NOSAVE")
    srv, c = restart(persist, srv)
    assert_same(want, snapshot(c))


def test_start_without_dump_is_empty(persist):
    d = persist.dir()
    srv = persist.start(d)
    c = persist.client(srv)
    assert c.raw("DBSIZE") == integer(0)
    assert pinfo(c, "rdb_last_load_keys_loaded") == 0
    assert os.listdir(d) == []


# ---------------------------------------------------------------- SHUTDOWN


SHUTDOWN_CASES = [
    ("", ("SAVE",), True),
    ("", (), False),
    ("", ("NOSAVE",), False),
    ("", ("NOW",), False),
    ("", ("SAVE", "NOW", "FORCE"), True),
    ("", "SIGTERM", False),
    ("3600 1", (), True),
    ("3600 1", ("NOW",), True),
    ("3600 1", ("FORCE",), True),
    ("3600 1", ("nosave", "now"), False),
    ("3600 1", ("NOSAVE",), False),
    ("3600 1", "SIGTERM", True),
]


def _shutdown_id(case):
    save, how, saved = case
    how = how if isinstance(how, str) else "_".join(("SHUTDOWN",) + how)
    return "%s-%s-%s" % ("save-points" if save else "no-save-points", how,
                         "saves" if saved else "does-not-save")


@pytest.mark.parametrize("save,how,saved", SHUTDOWN_CASES,
                         ids=[_shutdown_id(c) for c in SHUTDOWN_CASES])
def test_shutdown_saves_or_not(persist, save, how, saved):
    d = persist.dir()
    srv = persist.start(d, "--save", save)
    c = persist.client(srv)
    assert c.raw("SET", "a", "old") == OK
    assert c.raw("SAVE") == OK
    assert c.raw("SET", "a", "new") == OK
    assert c.raw("SELECT", "5") == OK
    assert c.raw("SET", "b", "1") == OK
    if how == "SIGTERM":
        persist.sigterm(srv)
    else:
        persist.shutdown(srv, *how)
    assert os.listdir(d) == [DUMP]
    srv, c = restart(persist, srv)
    if saved:
        assert c.raw("GET", "a") == bulk("new")
        assert c.raw("SELECT", "5") == OK
        assert c.raw("GET", "b") == bulk("1")
        assert pinfo(c, "rdb_last_load_keys_loaded") == 2
    else:
        # What changed after the last save is lost.
        assert c.raw("GET", "a") == bulk("old")
        assert c.raw("SELECT", "5") == OK
        assert c.raw("DBSIZE") == integer(0)
        assert pinfo(c, "rdb_last_load_keys_loaded") == 1


def test_shutdown_without_save_points_writes_no_file(persist):
    d = persist.dir()
    srv = persist.start(d)
    c = persist.client(srv)
    assert c.raw("SET", "a", "1") == OK
    persist.shutdown(srv)
    assert os.listdir(d) == []
    srv, c = restart(persist, srv)
    assert c.raw("DBSIZE") == integer(0)


def test_shutdown_arguments(persist):
    d = persist.dir()
    srv = persist.start(d)
    c = persist.client(srv)
    syntax = err("ERR syntax error")
    assert c.raw("SHUTDOWN", "ABORT") == err("ERR No shutdown in progress.")
    assert c.raw("SHUTDOWN", "SAVE", "NOSAVE") == syntax
    assert c.raw("SHUTDOWN", "NOSAVE", "SAVE") == syntax
    assert c.raw("SHUTDOWN", "NOSAVE", "ABORT") == syntax
    assert c.raw("SHUTDOWN", "ABORT", "NOW") == syntax
    assert c.raw("SHUTDOWN", "x") == syntax
    assert c.raw("PING") == b"+PONG\r\n"
    assert os.listdir(d) == []


def test_shutdown_fails_when_the_save_fails(persist):
    d = persist.dir()
    srv = persist.start(d, "--save", "3600 1", "--enable-protected-configs", "yes")
    c = persist.client(srv)
    assert c.raw("SET", "k", "v") == OK
    gone = os.path.join(d, "gone")
    os.mkdir(gone)
    assert c.raw("CONFIG", "SET", "dir", gone) == OK
    os.rmdir(gone)
    assert c.raw("SHUTDOWN") == SHUTDOWN_FAILED
    assert c.raw("SHUTDOWN", "SAVE") == SHUTDOWN_FAILED
    assert c.raw("SHUTDOWN", "NOW") == SHUTDOWN_FAILED
    # Still serving, writes included (a failed foreground save is no MISCONF).
    assert c.raw("PING") == b"+PONG\r\n"
    assert c.raw("SET", "k2", "v") == OK
    # FORCE exits anyway.
    persist.shutdown(srv, "SAVE", "FORCE")
    assert os.listdir(d) == []


def test_shutdown_nosave_during_bgsave(persist):
    """The running BGSAVE is abandoned: no temporary file is left and the
    last good dump is untouched."""
    d = persist.dir()
    srv = persist.start(d)
    c = persist.client(srv)
    assert c.raw("SET", "a", "old") == OK
    assert c.raw("SAVE") == OK
    before = read_file(os.path.join(d, DUMP))
    assert c.raw("MSET", *sum((["k%d" % i, "v"] for i in range(200)), [])) == OK
    assert c.raw("CONFIG", "SET", "rdb-key-save-delay", "20000") == OK   # 4 s
    assert c.raw("BGSAVE") == STARTED
    assert pinfo(c, "rdb_bgsave_in_progress") == 1
    t0 = time.monotonic()
    persist.shutdown(srv, "NOSAVE")
    assert time.monotonic() - t0 < 3, "SHUTDOWN NOSAVE waited for the BGSAVE"
    assert os.listdir(d) == [DUMP]
    assert read_file(os.path.join(d, DUMP)) == before
    srv, c = restart(persist, srv)
    assert c.raw("DBSIZE") == integer(1)
    assert c.raw("GET", "a") == bulk("old")


def test_shutdown_save_during_bgsave(persist):
    """SHUTDOWN SAVE while a BGSAVE runs saves what is there at SHUTDOWN."""
    d = persist.dir()
    srv = persist.start(d)
    c = persist.client(srv)
    assert c.raw("MSET", *sum((["k%d" % i, "v"] for i in range(200)), [])) == OK
    assert c.raw("CONFIG", "SET", "rdb-key-save-delay", "20000") == OK
    assert c.raw("BGSAVE") == STARTED
    assert c.raw("SET", "during", "1") == OK
    assert c.raw("DEL", "k0") == integer(1)
    assert c.raw("CONFIG", "SET", "rdb-key-save-delay", "0") == OK
    persist.shutdown(srv, "SAVE")
    assert os.listdir(d) == [DUMP]
    srv, c = restart(persist, srv)
    assert c.raw("DBSIZE") == integer(200)
    assert c.raw("GET", "during") == bulk("1")
    assert c.raw("EXISTS", "k0") == integer(0)


# ------------------------------------------------------------ DEBUG RELOAD


def test_debug_reload_keeps_everything(persist):
    d = persist.dir()
    srv = persist.start(d, "--enable-debug-command", "yes")
    c = persist.client(srv)
    snap = fill(c)
    assert c.raw("DEBUG", "RELOAD") == OK
    assert_same(after_load(snap), snapshot(c))
    assert pinfo(c, "rdb_last_load_keys_loaded") == total_keys(snap)
    assert pinfo(c, "rdb_changes_since_last_save") == 0
    assert os.listdir(d) == [DUMP]
    check_frame(read_file(os.path.join(d, DUMP)))


def test_debug_reload_nosave_and_errors(persist):
    d = persist.dir()
    srv = persist.start(d, "--enable-debug-command", "yes")
    c = persist.client(srv)
    assert c.raw("DEBUG", "RELOAD", "NOSAVE") == err("ERR Error trying to load the RDB dump")
    assert c.raw("DEBUG", "RELOAD", "x") == \
        err("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
    assert c.raw("DEBUG", "RELOAD", "NOSAVE", "x") == \
        err("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
    assert c.raw("SET", "a", "1") == OK
    assert c.raw("SAVE") == OK
    assert c.raw("SET", "a", "2") == OK
    assert c.raw("SET", "b", "1") == OK
    # NOSAVE loads the file as it is: the changes since are gone.
    assert c.raw("DEBUG", "RELOAD", "NOSAVE") == OK
    assert c.raw("GET", "a") == bulk("1")
    assert c.raw("GET", "b") == NIL
    assert c.raw("DBSIZE") == integer(1)


# ----------------------------------------------------------------- FLUSHALL


@pytest.mark.parametrize("mode", [(), ("ASYNC",), ("SYNC",)], ids=["plain", "ASYNC", "SYNC"])
def test_flushall_saves_with_save_points(persist, mode):
    d = persist.dir()
    srv = persist.start(d, "--save", "3600 1")
    c = persist.client(srv)
    assert c.raw("SET", "k", "v") == OK
    assert c.raw("SAVE") == OK
    assert c.raw("SET", "k2", "v") == OK
    assert c.raw("SELECT", "5") == OK
    assert c.raw("SET", "k5", "v") == OK
    saves = pinfo(c, "rdb_saves")
    assert c.raw("FLUSHALL", *mode) == OK
    info = persistence(c)
    # Saved (the dump that held k is now empty), though Redis counts only
    # SAVE, BGSAVE and scheduled saves in rdb_saves.
    assert info["rdb_changes_since_last_save"] == "0"
    assert info["rdb_saves"] == str(saves)
    path = os.path.join(d, DUMP)
    check_frame(read_file(path))
    assert "0 keys read" in check_rdb(path)
    persist.shutdown(srv, "NOSAVE")
    srv, c = restart(persist, srv)
    assert snapshot(c) == {}
    assert pinfo(c, "rdb_last_load_keys_loaded") == 0


def test_flushall_without_save_points_does_not_save(persist):
    d = persist.dir()
    srv = persist.start(d)
    c = persist.client(srv)
    assert c.raw("SET", "k", "v") == OK
    assert c.raw("SAVE") == OK
    assert c.raw("FLUSHALL") == OK
    assert pinfo(c, "rdb_saves") == 1
    assert pinfo(c, "rdb_changes_since_last_save") >= 1
    persist.shutdown(srv, "NOSAVE")
    srv, c = restart(persist, srv)
    assert c.raw("GET", "k") == bulk("v")


# ---------------------------------------------------------- save schedule


@pytest.mark.slow
def test_save_schedule(persist):
    d = persist.dir()
    srv = persist.start(d)
    c = persist.client(srv)
    assert c.raw("CONFIG", "SET", "save", "1 1") == OK
    l0 = c.value("LASTSAVE")
    assert c.raw("SET", "k", "v") == OK
    assert c.raw("SELECT", "5") == OK
    assert c.raw("SET", "k5", "v") == OK
    # More than 1 s since the last save and at least 1 change: it saves.
    assert wait_until(lambda: c.value("LASTSAVE") > l0, timeout=5)
    info = wait_bgsave(c)
    assert info["rdb_last_bgsave_status"] == "ok"
    assert info["rdb_saves"] == "1"
    assert info["rdb_changes_since_last_save"] == "0"
    persist.shutdown(srv, "NOSAVE")
    srv, c = restart(persist, srv)
    assert c.raw("GET", "k") == bulk("v")
    assert c.raw("SELECT", "5") == OK
    assert c.raw("GET", "k5") == bulk("v")


@pytest.mark.slow
def test_save_schedule_from_flag(persist):
    d = persist.dir()
    srv = persist.start(d, "--save", "1 2")
    c = persist.client(srv)
    l0 = c.value("LASTSAVE")
    assert c.raw("SET", "k", "v") == OK
    assert c.raw("SET", "k2", "v") == OK
    assert wait_until(lambda: c.value("LASTSAVE") > l0, timeout=5)
    wait_bgsave(c)
    assert os.path.isfile(os.path.join(d, DUMP))
    persist.shutdown(srv, "NOSAVE")
    srv, c = restart(persist, srv)
    assert c.raw("DBSIZE") == integer(2)


# ------------------------------------------------ expiry across a restart


def test_keys_expired_while_down_are_not_loaded(persist):
    d = persist.dir()
    srv = persist.start(d)
    c = persist.client(srv)
    t0 = time.time()
    assert c.raw("SET", "short", "v", "PX", "300") == OK
    assert c.raw("SET", "long", "v", "PX", "100000") == OK
    assert c.raw("SET", "plain", "v") == OK
    assert c.raw("SELECT", "2") == OK
    assert c.raw("RPUSH", "short2", "x") == integer(1)
    assert c.raw("PEXPIRE", "short2", "300") == integer(1)
    assert c.raw("SELECT", "0") == OK
    exp_long = c.value("PEXPIRETIME", "long")
    assert c.raw("SAVE") == OK
    persist.shutdown(srv, "NOSAVE")
    time.sleep(max(0.0, t0 + 0.45 - time.time()))
    srv, c = restart(persist, srv)
    info = persistence(c)
    assert info["rdb_last_load_keys_expired"] == "2"
    assert info["rdb_last_load_keys_loaded"] == "2"
    assert c.raw("EXISTS", "short", "long", "plain") == integer(2)
    assert c.value("PEXPIRETIME", "long") == exp_long
    assert 0 < c.value("PTTL", "long") <= 100000
    assert c.raw("SELECT", "2") == OK
    assert c.raw("DBSIZE") == integer(0)


# --------------------------------------------------- corrupt dump files

GOOD_BODY = (aux("redis-ver", "7.0.15") + aux("redis-bits", 64) + select_db(0, 2, 0) +
             entry(0, "k", rdb_str("value")) + entry(16, "h", rdb_str(lp([b"f", b"v"]))))


def _corrupt_cases():
    good = rdb_file(GOOD_BODY)
    bad_lp = lp([b"f", b"v"])
    bad_lp = (len(bad_lp) + 3).to_bytes(4, "little") + bad_lp[4:]     # wrong total size
    return [
        ("truncated-half", good[:len(good) // 2]),
        ("truncated-before-eof", good[:-9]),
        ("truncated-checksum", good[:-4]),
        ("checksum", good[:-1] + bytes([good[-1] ^ 1])),
        ("magic", b"XEDIS" + good[5:]),
        ("version-99", b"REDIS0099" + good[9:]),
        ("empty", b""),
        ("unknown-type", rdb_file(select_db(0) + entry(0x7F, "k", rdb_str("v")))),
        ("listpack-size", rdb_file(select_db(0) + entry(16, "h", rdb_str(bad_lp)))),
        ("ziplist-odd-hash", rdb_file(select_db(0) + entry(13, "h", rdb_str(ziplist([b"a"]))))),
        ("db-out-of-range", rdb_file(select_db(16) + entry(0, "k", rdb_str("v")))),
        ("duplicate-key", rdb_file(select_db(0) + entry(0, "k", rdb_str("a")) +
                                   entry(0, "k", rdb_str("b")))),
    ]


CORRUPT = _corrupt_cases()


def test_good_handmade_file_loads(persist):
    d = persist.dir()
    with open(os.path.join(d, DUMP), "wb") as f:
        f.write(rdb_file(GOOD_BODY))
    srv = persist.start(d)
    c = persist.client(srv)
    assert c.raw("GET", "k") == bulk("value")
    assert c.value("HGETALL", "h") == [b"f", b"v"]
    assert c.value("OBJECT", "ENCODING", "h") == b"listpack"
    assert pinfo(c, "rdb_last_load_keys_loaded") == 2


@pytest.mark.parametrize("name,data", CORRUPT, ids=[n for n, _ in CORRUPT])
def test_corrupt_dump_refuses_to_start(persist, name, data):
    d = persist.dir()
    path = os.path.join(d, DUMP)
    with open(path, "wb") as f:
        f.write(data)
    status, log = persist.start_failing(d)
    assert status != 0, log
    assert log.strip(), "the server said nothing about why it stopped"
    assert read_file(path) == data, "the corrupt file was changed"


def test_truncated_saved_file_refuses_to_start(persist):
    """A file the server under test wrote, cut at several points."""
    d = persist.dir("src")
    srv = persist.start(d)
    c = persist.client(srv)
    fill(c)
    assert c.raw("SAVE") == OK
    data = read_file(os.path.join(d, DUMP))
    for frac in (0.05, 0.3, 0.5, 0.8, 0.99):
        cut = int(len(data) * frac)
        bad = persist.dir("cut%d" % cut)
        with open(os.path.join(bad, DUMP), "wb") as f:
            f.write(data[:cut])
        status, log = persist.start_failing(bad)
        assert status != 0, (cut, log)


@pytest.mark.kevy_only
@pytest.mark.parametrize("name,data", CORRUPT, ids=[n for n, _ in CORRUPT])
def test_corrupt_dump_log_names_file_and_offset(persist, name, data):
    d = persist.dir()
    with open(os.path.join(d, DUMP), "wb") as f:
        f.write(data)
    status, log = persist.start_failing(d)
    assert status != 0
    assert DUMP in log, log
    offsets = [int(x) for x in re.findall(r"offset\D{0,3}(\d+)", log, re.I)]
    assert offsets and min(offsets) <= len(data), log


# --------------------------------------------- files from other versions


@pytest.mark.parametrize("checksum", [True, False])
def test_load_redis62_rdb9_file(persist, checksum):
    """Ziplists, quicklist version 1, integer and LZF strings, the seconds
    expiry opcode: what a Redis 6.2 dump holds; loaded as Redis 7.0 does."""
    data, want = redis6_file()
    if not checksum:
        data = data[:-8] + bytes(8)
    d = persist.dir()
    with open(os.path.join(d, DUMP), "wb") as f:
        f.write(data)
    srv = persist.start(d)
    c = persist.client(srv)
    assert_same(want, snapshot(c))
    assert pinfo(c, "rdb_last_load_keys_loaded") == total_keys(want)
    # And it saves back as version 10.
    assert c.raw("SAVE") == OK
    check_frame(read_file(os.path.join(d, DUMP)))


# ------------------------------------------------ exchange with real Redis

EXCHANGE_VARIANTS = {
    "default": (),
    "rdbcompression-no": ("--rdbcompression", "no"),
    "rdbchecksum-no": ("--rdbchecksum", "no"),
    "lru-idle": ("--maxmemory-policy", "allkeys-lru"),
    "lfu-freq": ("--maxmemory-policy", "allkeys-lfu"),
    "list-compress-depth": ("--list-compress-depth", "1"),
}


@pytest.mark.parametrize("variant", list(EXCHANGE_VARIANTS))
def test_exchange_redis_dump_loads_in_server(persist, variant):
    """A dump.rdb written by real Redis 7.0 loads with identical contents."""
    src = persist.dir("redis")
    oracle = persist.oracle(src, *EXCHANGE_VARIANTS[variant])
    oc = persist.client(oracle)
    snap = fill(oc)
    assert oc.raw("SAVE") == OK
    dst = persist.dir("server")
    copy_dump(src, dst)
    srv = persist.start(dst)
    c = persist.client(srv)
    assert_same(after_load(snap), snapshot(c))
    assert pinfo(c, "rdb_last_load_keys_loaded") == total_keys(snap)


@pytest.mark.parametrize("variant", list(EXCHANGE_VARIANTS))
def test_exchange_server_dump_loads_in_redis(persist, variant):
    """A dump.rdb written by the server under test loads in real Redis 7.0
    with identical contents (and passes redis-check-rdb)."""
    src = persist.dir("server")
    srv = persist.start(src, *EXCHANGE_VARIANTS[variant])
    c = persist.client(srv)
    snap = fill(c)
    assert c.raw("SAVE") == OK
    check_rdb(os.path.join(src, DUMP))
    dst = persist.dir("redis")
    copy_dump(src, dst)
    oracle = persist.oracle(dst)
    oc = persist.client(oracle)
    assert_same(after_load(snap), snapshot(oc))
    assert pinfo(oc, "rdb_last_load_keys_loaded") == total_keys(snap)


def test_exchange_round_trip_through_redis(persist):
    """server -> Redis -> server, with a BGSAVE on each side."""
    a = persist.dir("a")
    srv = persist.start(a)
    c = persist.client(srv)
    snap = after_load(fill(c))
    assert c.raw("BGSAVE") == STARTED
    wait_bgsave(c)
    b = persist.dir("b")
    copy_dump(a, b)
    oracle = persist.oracle(b)
    oc = persist.client(oracle)
    assert oc.raw("BGSAVE") == STARTED
    wait_bgsave(oc)
    c2 = persist.dir("c")
    copy_dump(b, c2)
    srv2 = persist.start(c2)
    assert_same(snap, snapshot(persist.client(srv2)))


# ------------------------------------- BGSAVE: a point-in-time snapshot


@pytest.mark.slow
def test_bgsave_is_point_in_time(persist):
    """The file holds the dataset as it was when BGSAVE was issued, whatever
    clients on every shard write while it runs."""
    n, writers = 20000, 4
    d = persist.dir()
    srv = persist.start(d)
    c = persist.client(srv)
    keys = ["pit:%d" % i for i in range(n)]
    for i in range(0, n, 1000):
        assert c.raw("MSET", *sum(([k, "old:" + k] for k in keys[i:i + 1000]), [])) == OK
    assert c.raw("HSET", "pit:hash", *sum((["f%d" % i, "v"] for i in range(100)), [])) == \
        integer(100)
    assert c.raw("RPUSH", "pit:list", *("e%d" % i for i in range(100))) == integer(100)
    hash_before = c.value("HGETALL", "pit:hash")
    list_before = c.value("LRANGE", "pit:list", "0", "-1")
    conns = [persist.client(srv) for _ in range(writers)]
    # 20000 keys at 100 us each: the save outlasts the writes below.
    assert c.raw("CONFIG", "SET", "rdb-key-save-delay", "100") == OK
    assert c.raw("BGSAVE") == STARTED
    results = [None] * writers

    def write(t):
        own = keys[t::writers]
        cmds = [("SET", k, "new:" + k) for k in own[:2000]]
        cmds += [("DEL", k) for k in own[2000:3000]]
        cmds += [("SET", "pit:added:%d:%d" % (t, i), "x") for i in range(1000)]
        if t == 0:
            cmds += [("HSET", "pit:hash", "new1", "x", "new2", "y"),
                     ("HDEL", "pit:hash", "f0", "f1"),
                     ("LPUSH", "pit:list", "a", "b"), ("RPOP", "pit:list")]
        results[t] = [w for _, w in conns[t].pipeline(cmds)]

    threads = [threading.Thread(target=write, args=(t,)) for t in range(writers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert all(r is not None and not any(w.startswith(b"-") for w in r) for r in results)
    assert pinfo(c, "rdb_bgsave_in_progress") == 1, "the BGSAVE ended before the writes did"
    assert c.raw("CONFIG", "SET", "rdb-key-save-delay", "0") == OK
    info = wait_bgsave(c, timeout=50)
    assert info["rdb_last_bgsave_status"] == "ok"
    # The writes made during the save are not in the file: still changes.
    assert info["rdb_changes_since_last_save"] == str(writers * 4000 + 7)
    assert c.raw("GET", keys[0]) == bulk("new:" + keys[0])
    persist.shutdown(srv, "NOSAVE")

    srv, c = restart(persist, srv)
    assert c.raw("DBSIZE") == integer(n + 2)
    for i in range(0, n, 1000):
        assert c.value("MGET", *keys[i:i + 1000]) == \
            [b"old:" + k.encode() for k in keys[i:i + 1000]]
    assert c.value("EXISTS", *("pit:added:%d:%d" % (t, i) for t in range(writers)
                               for i in range(0, 1000, 50))) == 0
    assert sorted(c.value("HGETALL", "pit:hash")) == sorted(hash_before)
    assert c.value("LRANGE", "pit:list", "0", "-1") == list_before


@pytest.mark.slow
def test_bgsave_during_cross_shard_transfers(persist):
    """MULTI/EXEC transfers between accounts on every shard run before,
    during and after a BGSAVE: the saved balances sum exactly."""
    accounts, start, workers = 64, 1000, 4
    d = persist.dir()
    srv = persist.start(d)
    c = persist.client(srv)
    names = ["acct:%d" % i for i in range(accounts)]
    assert c.raw("MSET", *sum(([k, str(start)] for k in names), [])) == OK
    conns = [persist.client(srv) for _ in range(workers)]
    stop = threading.Event()
    done = [0] * workers
    failures = []

    def transfer(t):
        rnd = random.Random(t)
        cc = conns[t]
        try:
            while not stop.is_set():
                a, b = rnd.sample(names, 2)
                amount = str(rnd.randint(1, 100))
                replies = cc.pipeline([("MULTI",), ("DECRBY", a, amount), ("INCRBY", b, amount),
                                       ("EXEC",)])
                result = replies[3][0]
                if not (isinstance(result, list) and len(result) == 2):
                    failures.append(replies)
                    return
                done[t] += 1
        except Exception as e:  # noqa: BLE001 - reported below
            failures.append(repr(e))

    threads = [threading.Thread(target=transfer, args=(t,)) for t in range(workers)]
    for th in threads:
        th.start()
    try:
        assert wait_until(lambda: sum(done) >= 200, timeout=10)
        # 64 keys at 20 ms each: about 1.3 s of saving.
        assert c.raw("CONFIG", "SET", "rdb-key-save-delay", "20000") == OK
        assert c.raw("BGSAVE") == STARTED
        at_start = sum(done)
        info = wait_bgsave(c, timeout=50)
        during = sum(done) - at_start
    finally:
        stop.set()
        for th in threads:
            th.join()
    assert not failures, failures[:3]
    assert info["rdb_last_bgsave_status"] == "ok"
    assert during > 0, "no transfer ran during the BGSAVE"
    live = [int(v) for v in c.value("MGET", *names)]
    assert sum(live) == accounts * start
    persist.shutdown(srv, "NOSAVE")
    srv, c = restart(persist, srv)
    saved = [int(v) for v in c.value("MGET", *names)]
    assert sum(saved) == accounts * start, saved
    assert saved != [start] * accounts, "the file holds none of the transfers made before BGSAVE"


# ------------------------------------------------------------ kevy only


@pytest.mark.kevy_only
@pytest.mark.parametrize("before,after", [(1, 4), (4, 1), (2, 3)])
def test_restart_with_another_shard_count(persist, before, after):
    d = persist.dir()
    srv = persist.start(d, shards=before)
    c = persist.client(srv)
    snap = fill(c)
    assert c.raw("SAVE") == OK
    persist.shutdown(srv, "NOSAVE")
    srv, c = restart(persist, srv, shards=after)
    assert_same(after_load(snap), snapshot(c))
    # Every key is found where the new shard count routes it.
    for i in range(200):
        assert c.raw("GET", "spread:%d" % i) == bulk("v%d" % i)
    # And a BGSAVE with the new count loads back with the old one.
    assert c.raw("BGSAVE") == STARTED
    wait_bgsave(c)
    persist.shutdown(srv, "NOSAVE")
    srv, c = restart(persist, srv, shards=before)
    assert_same(after_load(snap), snapshot(c))


@pytest.mark.kevy_only
def test_bgsave_point_in_time_loads_in_redis(persist):
    """kevy's BGSAVE taken while every shard is written loads in real Redis
    with the dataset as it was when BGSAVE was issued."""
    d = persist.dir()
    srv = persist.start(d, shards=4)
    c = persist.client(srv)
    keys = ["k%d" % i for i in range(5000)]
    for i in range(0, len(keys), 1000):
        assert c.raw("MSET", *sum(([k, "old"] for k in keys[i:i + 1000]), [])) == OK
    assert c.raw("CONFIG", "SET", "rdb-key-save-delay", "200") == OK
    assert c.raw("BGSAVE") == STARTED
    replies = c.pipeline([("SET", k, "new") for k in keys[::2]] + [("DEL", k) for k in keys[1::4]])
    assert all(w == OK or w == integer(1) for _, w in replies)
    assert pinfo(c, "rdb_bgsave_in_progress") == 1
    assert c.raw("CONFIG", "SET", "rdb-key-save-delay", "0") == OK
    wait_bgsave(c, timeout=50)
    other = persist.dir("redis")
    copy_dump(d, other)
    oc = persist.client(persist.oracle(other))
    assert oc.raw("DBSIZE") == integer(len(keys))
    for i in range(0, len(keys), 1000):
        assert oc.value("MGET", *keys[i:i + 1000]) == [b"old"] * len(keys[i:i + 1000])
