"""The append-only file, commands and files: the AOF parameters (CONFIG
GET/SET and their exact errors), the directory, manifest, base and incr
files `--appendonly yes` creates, INFO persistence's aof_* fields (the exact
list Redis 7.0.15 prints with the AOF on, and how they move), BGREWRITEAOF
(its replies, scheduled behind a BGSAVE or in MULTI, refused while one
runs, the manifest after it), CONFIG SET appendonly yes/no on a live
server, the automatic rewrite, #TS annotations, and what an incr file holds
(exact bytes where Redis and kevy must write the same: simple commands and
the SELECTs before them; every incr file passes redis-check-aof).

Every test starts its own server in its own directory (persist_helpers).
Files are found in either layout (Redis: <dir>/appendonlydir/; kevy: one
such directory per shard, <dir>/appendonlydir/shard-<i>/); restarts,
truncated and corrupt files are in test_aof_recovery.py, kill -9 in
test_aof_crash.py. kevy-only: its shard layout, and each shard's directory
loading in a real Redis.
"""

import os
import re
import time

import pytest

from conftest import IMPL
from helpers import NIL, OK, arity_err, bulk, err, integer, spread_keys, wait_until
from persist_helpers import (AOF_FILENAME, AOF_ON_FIELDS, AOF_PERSISTENCE_FIELDS,
                             AOF_REWRITE_IN_PROGRESS, AOF_REWRITE_SCHEDULED, AOF_REWRITE_STARTED,
                             PERSISTENCE_FIELDS, RDB_MAGIC, aof_base_files, aof_commands,
                             aof_entries, aof_incr_files, aof_manifests, aof_root, aof_sizes,
                             check_aof, fill, manifest_paths, persist_servers,
                             persistence, pinfo, read_file, read_manifest, snapshot,
                             wait_aof_rewrite, wait_bgsave, without_encoding)
from resp_client import encode

pytestmark = pytest.mark.restart

AOF = ("--appendonly", "yes")
BGSAVE_STARTED = b"+Background saving started\r\n"
BGSAVE_SCHEDULED = b"+Background saving scheduled\r\n"
BGSAVE_REFUSED = err("ERR Another child process is active (AOF?): can't BGSAVE right now. "
                     "Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")

kevy_layout = pytest.mark.skipif(IMPL == "redis", reason="kevy's per-shard AOF layout")


@pytest.fixture
def persist():
    yield from persist_servers()


def serve(persist, *flags, name="data"):
    d = persist.dir(name)
    srv = persist.start(d, *flags)
    return d, srv, persist.client(srv)


def failed(name, why):
    return err("ERR CONFIG SET failed (possibly related to argument '%s') - %s" % (name, why))


def get1(c, name):
    v = c.value("CONFIG", "GET", name)
    assert len(v) == 2 and v[0] == name.encode(), v
    return v[1]


def restart(persist, srv, *flags):
    new = persist.start(srv.dir, *flags)
    return new, persist.client(new)


def incr_contents(d, **kw):
    return [read_file(p) for p in aof_incr_files(d, **kw)]


def check_fresh_layout(d, dirname="appendonlydir", filename=AOF_FILENAME, base="rdb"):
    """What a start with --appendonly yes on an empty directory leaves:
    <d> holds only the AOF directory; every manifest names exactly a base
    (seq 1) and an incr file (seq 1), and its directory holds exactly those
    three files; the incr files are empty."""
    assert os.listdir(d) == [dirname]
    manifests = aof_manifests(d, dirname, filename)
    assert manifests, "no %s.manifest under %s" % (filename, aof_root(d, dirname))
    names = ["%s.1.base.%s" % (filename, base), "%s.1.incr.aof" % filename]
    for m in manifests:
        assert read_manifest(m) == [(names[0], 1, "b"), (names[1], 1, "i")]
        assert sorted(os.listdir(os.path.dirname(m))) == \
            sorted([filename + ".manifest"] + names), m
        assert read_file(os.path.join(os.path.dirname(m), names[1])) == b""
    return manifests


def many_keys(c, n=100, prefix="k:", size=10):
    """n keys spread over every slot (every shard of kevy)."""
    keys = spread_keys(n, prefix)
    assert c.raw("MSET", *sum(([k, "v" * size] for k in keys), [])) == OK
    return keys


# ------------------------------------------------------------------ CONFIG


def test_config_defaults(persist):
    _, _, c = serve(persist)
    assert get1(c, "appendonly") == b"no"       # the helper starts Redis with --appendonly no
    assert get1(c, "appendfsync") == b"everysec"
    assert get1(c, "appenddirname") == b"appendonlydir"
    assert get1(c, "appendfilename") == b"appendonly.aof"
    assert get1(c, "aof-use-rdb-preamble") == b"yes"
    assert get1(c, "aof-load-truncated") == b"yes"
    assert get1(c, "aof-timestamp-enabled") == b"no"
    assert get1(c, "auto-aof-rewrite-percentage") == b"100"
    assert get1(c, "auto-aof-rewrite-min-size") == b"67108864"
    v = c.value("CONFIG", "GET", "append*")
    assert dict(zip(v[::2], v[1::2])) == {
        b"appendonly": b"no", b"appendfsync": b"everysec", b"appenddirname": b"appendonlydir",
        b"appendfilename": b"appendonly.aof"}


def test_config_from_flags(persist):
    _, _, c = serve(persist, "--appendonly", "yes", "--appendfsync", "always",
                    "--appenddirname", "aofs", "--appendfilename", "my.aof",
                    "--aof-use-rdb-preamble", "no", "--aof-load-truncated", "no",
                    "--aof-timestamp-enabled", "yes", "--auto-aof-rewrite-percentage", "0",
                    "--auto-aof-rewrite-min-size", "1mb")
    assert [get1(c, n) for n in (
        "appendonly", "appendfsync", "appenddirname", "appendfilename", "aof-use-rdb-preamble",
        "aof-load-truncated", "aof-timestamp-enabled", "auto-aof-rewrite-percentage",
        "auto-aof-rewrite-min-size")] == [b"yes", b"always", b"aofs", b"my.aof", b"no", b"no",
                                          b"yes", b"0", b"1048576"]


def test_config_set_appendfsync(persist):
    _, _, c = serve(persist)
    for value, shown in (("always", b"always"), ("no", b"no"), ("everysec", b"everysec"),
                         ("ALWAYS", b"always"), ("No", b"no"), ("EverySec", b"everysec")):
        assert c.raw("CONFIG", "SET", "appendfsync", value) == OK
        assert get1(c, "appendfsync") == shown
    bad = failed("appendfsync", "argument(s) must be one of the following: everysec, always, no")
    for value in ("bad", "", "everysecond", "1", "always no"):
        assert c.raw("CONFIG", "SET", "appendfsync", value) == bad
    assert get1(c, "appendfsync") == b"everysec"


def test_config_immutable_names(persist):
    _, _, c = serve(persist)
    for name, value in (("appenddirname", "x"), ("appenddirname", "appendonlydir"),
                        ("appendfilename", "x.aof"), ("appendfilename", "appendonly.aof")):
        assert c.raw("CONFIG", "SET", name, value) == failed(name, "can't set immutable config")
    assert get1(c, "appenddirname") == b"appendonlydir"
    assert get1(c, "appendfilename") == b"appendonly.aof"


def test_config_set_booleans(persist):
    _, _, c = serve(persist)
    for name in ("aof-use-rdb-preamble", "aof-load-truncated", "aof-timestamp-enabled"):
        before = get1(c, name)
        assert c.raw("CONFIG", "SET", name, "no") == OK
        assert get1(c, name) == b"no"
        assert c.raw("CONFIG", "SET", name, "YES") == OK
        assert get1(c, name) == b"yes"
        assert c.raw("CONFIG", "SET", name, before) == OK
    for name in ("appendonly", "aof-use-rdb-preamble", "aof-load-truncated",
                 "aof-timestamp-enabled"):
        for bad in ("maybe", "2", ""):
            assert c.raw("CONFIG", "SET", name, bad) == \
                failed(name, "argument must be 'yes' or 'no'")
    assert get1(c, "appendonly") == b"no"


def test_config_auto_rewrite_parameters(persist):
    _, _, c = serve(persist)
    assert c.raw("CONFIG", "SET", "auto-aof-rewrite-percentage", "0") == OK
    assert get1(c, "auto-aof-rewrite-percentage") == b"0"
    assert c.raw("CONFIG", "SET", "auto-aof-rewrite-percentage", "2147483647") == OK
    for bad in ("-1", "2147483648"):
        assert c.raw("CONFIG", "SET", "auto-aof-rewrite-percentage", bad) == \
            failed("auto-aof-rewrite-percentage",
                   "argument must be between 0 and 2147483647 inclusive")
    assert get1(c, "auto-aof-rewrite-percentage") == b"2147483647"
    for value, shown in (("1mb", b"1048576"), ("1kb", b"1024"), ("0", b"0"),
                         ("64mb", b"67108864"), ("12345", b"12345")):
        assert c.raw("CONFIG", "SET", "auto-aof-rewrite-min-size", value) == OK
        assert get1(c, "auto-aof-rewrite-min-size") == shown
    for bad in ("abc", "-1", "1xb"):
        assert c.raw("CONFIG", "SET", "auto-aof-rewrite-min-size", bad) == \
            failed("auto-aof-rewrite-min-size", "argument must be a memory value")
    assert get1(c, "auto-aof-rewrite-min-size") == b"12345"


# ------------------------------------------------------- files at start


def test_start_creates_dir_manifest_base_and_incr(persist):
    d, _, c = serve(persist, *AOF)
    manifests = check_fresh_layout(d)
    for m in manifests:
        base = manifest_paths(m, "b")[0]
        assert read_file(base)[:9] == RDB_MAGIC     # the RDB preamble of an empty dataset
        check_aof(m)
    assert get1(c, "appendonly") == b"yes"


def test_start_with_custom_names_and_no_preamble(persist):
    d, _, _ = serve(persist, *AOF, "--appenddirname", "aofs", "--appendfilename", "my.aof",
                    "--aof-use-rdb-preamble", "no")
    for m in check_fresh_layout(d, "aofs", "my.aof", base="aof"):
        assert aof_entries(read_file(manifest_paths(m, "b")[0])) == []
        check_aof(m)
    assert aof_manifests(d, "aofs", AOF_FILENAME) == []


def test_appendonly_no_creates_nothing(persist):
    d, _, c = serve(persist)
    assert c.raw("SET", "k", "v") == OK
    assert os.listdir(d) == []


# ------------------------------------------------------------------- INFO


def test_info_fields_with_aof(persist):
    _, _, c = serve(persist, *AOF)
    body = c.value("INFO", "persistence").decode()
    lines = [ln for ln in body.split("\r\n") if ln]
    assert lines[0] == "# Persistence"
    assert [ln.split(":", 1)[0] for ln in lines[1:]] == AOF_PERSISTENCE_FIELDS
    info = persistence(c)
    assert {k: info[k] for k in (
        "aof_enabled", "aof_rewrite_in_progress", "aof_rewrite_scheduled",
        "aof_last_rewrite_time_sec", "aof_current_rewrite_time_sec", "aof_last_bgrewrite_status",
        "aof_rewrites", "aof_rewrites_consecutive_failures", "aof_last_write_status",
        "aof_current_size", "aof_base_size", "aof_pending_rewrite", "aof_buffer_length",
        "aof_delayed_fsync")} == {
        "aof_enabled": "1", "aof_rewrite_in_progress": "0", "aof_rewrite_scheduled": "0",
        "aof_last_rewrite_time_sec": "-1", "aof_current_rewrite_time_sec": "-1",
        "aof_last_bgrewrite_status": "ok", "aof_rewrites": "0",
        "aof_rewrites_consecutive_failures": "0", "aof_last_write_status": "ok",
        # Redis counts neither the base it creates at start nor the empty incr.
        "aof_current_size": "0", "aof_base_size": "0", "aof_pending_rewrite": "0",
        "aof_buffer_length": "0", "aof_delayed_fsync": "0"}
    assert info["aof_pending_bio_fsync"] in ("0", "1")


def test_info_sizes_follow_the_files(persist):
    d, srv, c = serve(persist, *AOF, "--appendfsync", "always")
    keys = many_keys(c)
    assert c.raw("SELECT", "3") == OK
    assert c.raw("RPUSH", "list", "a", "b") == integer(2)
    base, incr = aof_sizes(d)
    assert incr > 0
    info = persistence(c)
    # A fresh start: the bytes appended since.
    assert (int(info["aof_current_size"]), int(info["aof_base_size"])) == (incr, 0)
    persist.shutdown(srv)
    srv, c = restart(persist, srv, *AOF, "--appendfsync", "always")
    assert c.value("MGET", *keys) == [b"v" * 10] * len(keys)
    # Loaded: every file counts, the base files as the base.
    base, incr = aof_sizes(d)
    info = persistence(c)
    assert (int(info["aof_current_size"]), int(info["aof_base_size"])) == (base + incr, base)
    assert c.raw("SET", "more", "x") == OK
    base2, incr2 = aof_sizes(d)
    assert (base2, incr2 > incr) == (base, True)
    assert pinfo(c, "aof_current_size") == base2 + incr2
    # After a rewrite, the new base is all there is.
    assert c.raw("BGREWRITEAOF") == AOF_REWRITE_STARTED
    wait_aof_rewrite(c)
    base3, incr3 = aof_sizes(d)
    info = persistence(c)
    assert incr3 == 0
    assert (int(info["aof_current_size"]), int(info["aof_base_size"])) == (base3, base3)


def test_info_with_aof_off(persist):
    _, _, c = serve(persist)
    body = c.value("INFO", "persistence").decode()
    assert [ln.split(":", 1)[0] for ln in body.split("\r\n")[1:] if ln] == PERSISTENCE_FIELDS
    assert pinfo(c, "aof_enabled") == 0
    for field in AOF_ON_FIELDS:
        assert field + ":" not in body


# ---------------------------------------------------------- BGREWRITEAOF


def test_bgrewriteaof_rewrites_and_advances_the_manifest(persist):
    d, srv, c = serve(persist, *AOF)
    keys = many_keys(c)
    assert c.raw("SELECT", "5") == OK
    assert c.raw("HSET", "h", "f", "v") == integer(1)
    assert c.raw("SELECT", "0") == OK
    assert c.raw("BGREWRITEAOF") == AOF_REWRITE_STARTED
    info = wait_aof_rewrite(c)
    assert info["aof_last_bgrewrite_status"] == "ok"
    assert info["aof_rewrites"] == "1"
    assert int(info["aof_last_rewrite_time_sec"]) >= 0
    assert info["aof_current_rewrite_time_sec"] == "-1"
    for m in aof_manifests(d):
        # A new base and a new incr file, seq 2; the old ones are gone.
        assert read_manifest(m) == [(AOF_FILENAME + ".2.base.rdb", 2, "b"),
                                    (AOF_FILENAME + ".2.incr.aof", 2, "i")]
        assert sorted(os.listdir(os.path.dirname(m))) == sorted([
            AOF_FILENAME + ".manifest", AOF_FILENAME + ".2.base.rdb",
            AOF_FILENAME + ".2.incr.aof"])
        assert read_file(manifest_paths(m, "b")[0])[:9] == RDB_MAGIC
        assert read_file(manifest_paths(m, "i")[0]) == b""
        check_aof(m)
    # Writes after it go to the new incr files; a second rewrite: seq 3.
    assert c.raw("SET", "after", "1") == OK
    assert c.raw("BGREWRITEAOF") == AOF_REWRITE_STARTED
    assert wait_aof_rewrite(c)["aof_rewrites"] == "2"
    for m in aof_manifests(d):
        assert [(s, t) for _, s, t in read_manifest(m)] == [(3, "b"), (3, "i")]
    persist.shutdown(srv)
    srv, c = restart(persist, srv, *AOF)
    assert c.value("MGET", *keys) == [b"v" * 10] * len(keys)
    assert c.raw("GET", "after") == bulk("1")
    assert c.raw("SELECT", "5") == OK
    assert c.raw("HGET", "h", "f") == bulk("v")


def test_bgrewriteaof_without_preamble(persist):
    d, srv, c = serve(persist, *AOF, "--aof-use-rdb-preamble", "no")
    keys = many_keys(c)
    assert c.raw("BGREWRITEAOF") == AOF_REWRITE_STARTED
    wait_aof_rewrite(c)
    commands = []
    for m in aof_manifests(d):
        assert [(n, s, t) for n, s, t in read_manifest(m)] == [
            (AOF_FILENAME + ".2.base.aof", 2, "b"), (AOF_FILENAME + ".2.incr.aof", 2, "i")]
        base = read_file(manifest_paths(m, "b")[0])
        commands += aof_commands(base)
        check_aof(m)
    # The base is commands that rebuild the keys (which ones is the
    # server's choice); every key is named in it.
    named = {a for cmd in commands for a in cmd[1:]}
    assert all(k.encode() in named for k in keys)
    persist.shutdown(srv)
    srv, c = restart(persist, srv, *AOF)
    assert c.value("MGET", *keys) == [b"v" * 10] * len(keys)


def test_bgrewriteaof_history_kept_with_auto_gc_off(persist):
    d, _, c = serve(persist, *AOF, "--aof-disable-auto-gc", "yes")
    many_keys(c)
    assert c.raw("BGREWRITEAOF") == AOF_REWRITE_STARTED
    wait_aof_rewrite(c)
    for m in aof_manifests(d):
        entries = read_manifest(m)
        assert entries[0] == (AOF_FILENAME + ".2.base.rdb", 2, "b")
        assert entries[-1] == (AOF_FILENAME + ".2.incr.aof", 2, "i")
        assert sorted(entries[1:-1]) == [(AOF_FILENAME + ".1.base.rdb", 1, "h"),
                                         (AOF_FILENAME + ".1.incr.aof", 1, "h")]
        for p in manifest_paths(m):
            assert os.path.isfile(p), p
    # Turning the collection back on removes the history.
    assert c.raw("CONFIG", "SET", "aof-disable-auto-gc", "no") == OK

    def collected():
        return all([t for _, _, t in read_manifest(m)] == ["b", "i"] and
                   len(os.listdir(os.path.dirname(m))) == 3 for m in aof_manifests(d))
    assert wait_until(collected, timeout=5)


def test_bgrewriteaof_while_one_runs(persist):
    d, srv, c = serve(persist, *AOF)
    keys = many_keys(c)
    # 100 keys at 5 ms each: the rewrite runs for about half a second.
    assert c.raw("CONFIG", "SET", "rdb-key-save-delay", "5000") == OK
    assert c.raw("BGREWRITEAOF") == AOF_REWRITE_STARTED
    info = persistence(c)
    assert info["aof_rewrite_in_progress"] == "1"
    assert int(info["aof_current_rewrite_time_sec"]) >= 0
    assert info["aof_rewrites"] == "1"        # counted when it starts
    assert c.raw("BGREWRITEAOF") == AOF_REWRITE_IN_PROGRESS
    assert c.raw("BGSAVE") == BGSAVE_REFUSED
    assert c.raw("BGSAVE", "SCHEDULE") == BGSAVE_SCHEDULED
    # Writes go on and are kept.
    assert c.raw("SET", "during", "1") == OK
    assert c.raw("DEL", keys[0]) == integer(1)
    assert c.raw("CONFIG", "SET", "rdb-key-save-delay", "0") == OK
    info = wait_aof_rewrite(c)
    assert info["aof_last_bgrewrite_status"] == "ok"
    assert info["aof_rewrites"] == "1"        # the refused one is not
    # The scheduled BGSAVE runs after it.
    assert wait_until(lambda: pinfo(c, "rdb_saves") == 1, timeout=10)
    wait_bgsave(c)
    persist.shutdown(srv, "NOSAVE")
    srv, c = restart(persist, srv, *AOF)
    assert c.raw("GET", "during") == bulk("1")
    assert c.raw("EXISTS", keys[0]) == integer(0)
    assert c.value("MGET", *keys[1:]) == [b"v" * 10] * (len(keys) - 1)


def test_bgrewriteaof_scheduled_during_bgsave(persist):
    _, _, c = serve(persist, *AOF)
    many_keys(c)
    assert c.raw("CONFIG", "SET", "rdb-key-save-delay", "5000") == OK
    assert c.raw("BGSAVE") == BGSAVE_STARTED
    assert c.raw("BGREWRITEAOF") == AOF_REWRITE_SCHEDULED
    assert c.raw("BGREWRITEAOF") == AOF_REWRITE_SCHEDULED
    info = persistence(c)
    assert (info["rdb_bgsave_in_progress"], info["aof_rewrite_in_progress"],
            info["aof_rewrite_scheduled"], info["aof_pending_rewrite"],
            info["aof_rewrites"]) == ("1", "0", "1", "1", "0")
    assert c.raw("CONFIG", "SET", "rdb-key-save-delay", "0") == OK
    wait_bgsave(c)
    info = wait_aof_rewrite(c)
    assert (info["aof_rewrites"], info["aof_last_bgrewrite_status"]) == ("1", "ok")


def test_bgrewriteaof_in_multi_is_scheduled(persist):
    _, _, c = serve(persist, *AOF)
    assert c.raw("SET", "k", "v") == OK
    assert c.raw("MULTI") == OK
    assert c.raw("BGREWRITEAOF") == b"+QUEUED\r\n"
    assert c.raw("EXEC") == b"*1\r\n" + AOF_REWRITE_SCHEDULED
    assert wait_until(lambda: pinfo(c, "aof_rewrites") == 1, timeout=5)
    assert wait_aof_rewrite(c)["aof_last_bgrewrite_status"] == "ok"


def test_bgrewriteaof_arity(persist):
    _, _, c = serve(persist, *AOF)
    assert c.raw("BGREWRITEAOF", "x") == arity_err("bgrewriteaof")
    assert c.raw("bgrewriteaof", "now") == arity_err("bgrewriteaof")
    assert pinfo(c, "aof_rewrites") == 0


def test_bgrewriteaof_with_aof_off_writes_a_base(persist):
    """With appendonly no, BGREWRITEAOF still writes the AOF directory: a
    manifest naming only a base file; a later start with --appendonly yes
    loads it."""
    d, srv, c = serve(persist)
    keys = many_keys(c)
    assert c.raw("BGREWRITEAOF") == AOF_REWRITE_STARTED
    info = wait_aof_rewrite(c)
    assert (info["aof_enabled"], info["aof_rewrites"], info["aof_last_bgrewrite_status"]) == \
        ("0", "1", "ok")
    manifests = aof_manifests(d)
    assert manifests
    for m in manifests:
        assert read_manifest(m) == [(AOF_FILENAME + ".1.base.rdb", 1, "b")]
        check_aof(m)
    assert aof_incr_files(d) == []
    persist.shutdown(srv)
    srv, c = restart(persist, srv, *AOF)
    assert c.value("MGET", *keys) == [b"v" * 10] * len(keys)


# ------------------------------------------------ CONFIG SET appendonly


def test_config_set_appendonly_yes_live(persist):
    """Turning the AOF on starts a rewrite of the dataset; writes made while
    it runs are kept; a restart with --appendonly yes has everything."""
    d, srv, c = serve(persist)
    keys = many_keys(c)
    assert c.raw("SELECT", "7") == OK
    assert c.raw("SADD", "s", "a", "b") == integer(2)
    assert c.raw("SELECT", "0") == OK
    assert c.raw("CONFIG", "SET", "rdb-key-save-delay", "5000") == OK
    assert c.raw("CONFIG", "SET", "appendonly", "yes") == OK
    info = persistence(c)
    assert (info["aof_enabled"], info["aof_rewrite_in_progress"], info["aof_rewrites"]) == \
        ("1", "1", "1")
    assert get1(c, "appendonly") == b"yes"
    assert c.raw("SET", "during", "1") == OK
    assert c.raw("DEL", keys[1]) == integer(1)
    assert c.raw("CONFIG", "SET", "rdb-key-save-delay", "0") == OK
    info = wait_aof_rewrite(c)
    assert (info["aof_enabled"], info["aof_last_bgrewrite_status"], info["aof_rewrites"]) == \
        ("1", "ok", "1")
    assert [ln.split(":", 1)[0] for ln in
            c.value("INFO", "persistence").decode().split("\r\n")[1:] if ln] == \
        AOF_PERSISTENCE_FIELDS
    for m in aof_manifests(d):
        assert [(s, t) for _, s, t in read_manifest(m)] == [(1, "b"), (1, "i")]
        check_aof(m)
    # Already on: nothing new.
    assert c.raw("CONFIG", "SET", "appendonly", "yes") == OK
    assert pinfo(c, "aof_rewrites") == 1
    assert c.raw("SET", "after", "2") == OK
    persist.shutdown(srv)
    assert os.listdir(d) == ["appendonlydir"]
    srv, c = restart(persist, srv, *AOF)
    assert c.raw("GET", "during") == bulk("1")
    assert c.raw("GET", "after") == bulk("2")
    assert c.raw("EXISTS", keys[1]) == integer(0)
    assert c.raw("DBSIZE") == integer(len(keys) + 1)
    assert c.raw("SELECT", "7") == OK
    assert c.raw("SMEMBERS", "s") in (b"*2\r\n$1\r\na\r\n$1\r\nb\r\n",
                                       b"*2\r\n$1\r\nb\r\n$1\r\na\r\n")


def test_config_set_appendonly_no_stops_logging(persist):
    d, srv, c = serve(persist, *AOF, "--appendfsync", "always")
    assert c.raw("SET", "a", "1") == OK
    assert c.raw("CONFIG", "SET", "appendonly", "no") == OK
    info = persistence(c)
    assert info["aof_enabled"] == "0"
    assert list(info) == PERSISTENCE_FIELDS
    before = {p: read_file(p) for p in aof_incr_files(d)}
    assert c.raw("SET", "b", "2") == OK
    assert c.raw("DEL", "a") == integer(1)
    assert {p: read_file(p) for p in aof_incr_files(d)} == before
    persist.shutdown(srv)
    srv, c = restart(persist, srv, *AOF)
    assert c.raw("GET", "a") == bulk("1")
    assert c.raw("GET", "b") == NIL


def test_appendonly_yes_ignores_dump_rdb(persist):
    """With the AOF on, the AOF is what a start loads: a dump.rdb beside a
    missing AOF is not read (Redis 7.0 starts empty and creates the AOF)."""
    d, srv, c = serve(persist)
    assert c.raw("SET", "k", "v") == OK
    assert c.raw("SAVE") == OK
    persist.shutdown(srv)
    srv, c = restart(persist, srv, *AOF)
    assert c.raw("DBSIZE") == integer(0)
    assert "appendonlydir" in os.listdir(d)


# ------------------------------------------------------ automatic rewrite


@pytest.mark.slow
def test_auto_rewrite(persist):
    d, srv, c = serve(persist, *AOF, "--auto-aof-rewrite-min-size", "4kb")
    # Percentage 0: never.
    assert c.raw("CONFIG", "SET", "auto-aof-rewrite-percentage", "0") == OK
    keys = many_keys(c, 200, size=200)
    time.sleep(0.5)
    assert pinfo(c, "aof_rewrites") == 0
    # 100: once the AOF is past the minimum and twice the last base.
    assert c.raw("CONFIG", "SET", "auto-aof-rewrite-percentage", "100") == OK
    assert c.raw("SET", "trigger", "x") == OK
    assert wait_until(lambda: pinfo(c, "aof_rewrites") >= 1, timeout=5)
    info = wait_aof_rewrite(c)
    assert info["aof_last_bgrewrite_status"] == "ok"
    for m in aof_manifests(d):
        assert read_manifest(m)[0][2] == "b" and read_manifest(m)[0][1] >= 2
    persist.shutdown(srv)
    srv, c = restart(persist, srv, *AOF)
    assert c.value("MGET", *keys) == [b"v" * 200] * len(keys)


# --------------------------------------------------------- incr contents


def test_incr_file_exact_bytes(persist):
    """Simple commands are logged as sent, each after a SELECT when its db
    is not the last one logged; reads, errors and no-ops are not logged. One
    key, so on kevy every command is in one shard's file."""
    d, _, c = serve(persist, *AOF, "--appendfsync", "always")
    logged = []
    db = ["0"]

    def run(reply, *cmd):
        assert c.raw(*cmd) == reply, cmd
        logged.append((db[0], cmd))

    def unlogged(*cmd):
        c.raw(*cmd)

    def select(n):
        assert c.raw("SELECT", n) == OK
        db[0] = n

    run(OK, "SET", "k", "v")
    unlogged("GET", "k")
    unlogged("SET", "k", "w", "NX")                 # no change
    unlogged("INCR", "k")                           # an error
    unlogged("LPUSH", "k", "x")                     # WRONGTYPE
    run(integer(4), "APPEND", "k", "xyz")
    run(integer(1), "DEL", "k")
    unlogged("DEL", "k")
    run(integer(2), "SADD", "k", "a", "b")
    unlogged("SADD", "k", "a")
    unlogged("SREM", "k", "zz")
    unlogged("SRANDMEMBER", "k")
    unlogged("SISMEMBER", "k", "a")
    run(integer(1), "DEL", "k")
    select("3")
    unlogged("EXISTS", "k")
    run(OK, "SET", "k", "10")
    run(integer(11), "INCR", "k")
    run(integer(16), "INCRBY", "k", "5")
    run(integer(15), "DECR", "k")
    select("0")
    run(integer(2), "RPUSH", "k", "a", "b")
    run(integer(3), "LPUSH", "k", "c")
    select("3")
    select("12")            # a SELECT alone is not logged
    select("3")
    run(integer(1), "DEL", "k")
    want, last = b"", None
    for cdb, cmd in logged:
        if cdb != last:
            want += encode(["SELECT", cdb])
            last = cdb
        want += encode(list(cmd))
    assert [x for x in incr_contents(d) if x] == [want]


def test_reads_errors_and_noops_are_not_logged(persist):
    d, _, c = serve(persist, *AOF, "--appendfsync", "always")
    keys = many_keys(c, 20)
    assert c.raw("SADD", "s", "a", "b", "c") == integer(3)
    assert c.raw("ZADD", "z", "1", "a", "2", "b") == integer(2)
    assert c.raw("HSET", "h", "f", "v", "g", "w") == integer(2)
    assert c.raw("RPUSH", "l", "a") == integer(1)
    before = incr_contents(d)
    for cmd in (("GET", keys[0]), ("MGET", *keys), ("EXISTS", *keys), ("SRANDMEMBER", "s", "2"),
                ("ZRANDMEMBER", "z"), ("HRANDFIELD", "h", "-5"), ("RANDOMKEY",),
                ("SCAN", "0"), ("TTL", keys[1]), ("DEL", "nosuch", "nosuch2"),
                ("SPOP", "nosuch"), ("LPOP", "nosuch"), ("EXPIRE", "nosuch", "10"),
                ("PERSIST", keys[2]), ("SET", keys[3], "v", "NX"), ("HSETNX", "h", "f", "x"),
                ("SREM", "s", "zz"), ("ZREM", "z", "zz"), ("INCR", "s"), ("SET", "k", "v", "XX"),
                ("LPUSHX", "nosuch", "a"), ("MSETNX", keys[4], "x", "fresh", "y"),
                ("RENAMENX", keys[5], keys[6]), ("MULTI",), ("DISCARD",), ("PING",)):
        c.raw(*cmd)
    # Commands, not annotations: a kevy transaction over shards (MSETNX,
    # RENAMENX here) may note its commit even when it changed nothing.
    assert [aof_commands(b) for b in incr_contents(d)] == [aof_commands(b) for b in before]


def test_every_incr_file_passes_redis_check_aof(persist):
    d, _, c = serve(persist, *AOF, "--appendfsync", "always")
    fill(c)
    names = spread_keys(8, "acct:")
    assert c.raw("MSET", *sum(([k, "100"] for k in names), [])) == OK
    for i in range(8):
        replies = c.pipeline([("MULTI",), ("DECRBY", names[i], "5"),
                              ("INCRBY", names[(i + 3) % 8], "5"), ("EXEC",)])
        assert [type(v) for v in replies[3][0]] == [int, int], replies
    assert sum(int(v) for v in c.value("MGET", *names)) == 800
    files = aof_incr_files(d)
    assert files and any(os.path.getsize(p) for p in files)
    for p in files:
        check_aof(p)
        entries = aof_commands(read_file(p))
        if entries:
            assert entries[0][0] == b"SELECT", entries[0]
    for m in aof_manifests(d):
        check_aof(m)


def test_timestamp_annotations(persist):
    d, srv, c = serve(persist, *AOF, "--aof-timestamp-enabled", "yes", "--appendfsync",
                      "always")
    # Right after a second starts, so the first two commands share it.
    start = int(time.time())
    assert wait_until(lambda: int(time.time()) > start, timeout=3, interval=0.005)
    t0 = int(time.time())
    assert c.raw("SET", "k", "1") == OK
    assert c.raw("INCR", "k") == integer(2)
    # The next second: a new annotation before the next command.
    assert wait_until(lambda: int(time.time()) > t0 + 1, timeout=3, interval=0.01)
    assert c.raw("INCR", "k") == integer(3)
    t1 = int(time.time())
    files = [(p, aof_entries(read_file(p))) for p in aof_incr_files(d)]
    files = [(p, e) for p, e in files if e]
    assert len(files) == 1, files
    entries = files[0][1]
    stamps = [e for e in entries if isinstance(e, bytes)]
    assert len(stamps) == 2, entries
    assert entries[0] == stamps[0] and entries[-2] == stamps[1], entries
    ts = []
    for s in stamps:
        m = re.fullmatch(rb"#TS:(\d+)", s)
        assert m, s
        ts.append(int(m.group(1)))
    assert t0 <= ts[0] < ts[1] <= t1, (t0, ts, t1)
    assert [e for e in entries if isinstance(e, tuple)] == [
        (b"SELECT", b"0"), (b"SET", b"k", b"1"), (b"INCR", b"k"), (b"INCR", b"k")]
    check_aof(files[0][0])
    # Off: no more annotations.
    assert c.raw("CONFIG", "SET", "aof-timestamp-enabled", "no") == OK
    t2 = int(time.time())
    assert wait_until(lambda: int(time.time()) > t2, timeout=3, interval=0.01)
    assert c.raw("INCR", "k") == integer(4)
    entries = aof_entries(read_file(files[0][0]))
    assert len([e for e in entries if isinstance(e, bytes)]) == 2
    # The annotations load.
    persist.shutdown(srv)
    srv, c = restart(persist, srv, *AOF)
    assert c.raw("GET", "k") == bulk("4")


# ------------------------------------------------------------ kevy only


@pytest.mark.kevy_only
@kevy_layout
@pytest.mark.parametrize("shards", [1, 4])
def test_kevy_layout_one_aof_dir_per_shard(persist, shards):
    d = persist.dir()
    srv = persist.start(d, *AOF, shards=shards)
    c = persist.client(srv)
    many_keys(c)
    root = aof_root(d)
    assert sorted(os.listdir(root)) == sorted(["kevy-shards"] +
                                              ["shard-%d" % i for i in range(shards)])
    # It names the shard count (the first number in it).
    assert int(re.findall(rb"\d+", read_file(os.path.join(root, "kevy-shards")))[0]) == shards
    manifests = aof_manifests(d)
    assert manifests == [os.path.join(root, "shard-%d" % i, AOF_FILENAME + ".manifest")
                         for i in range(shards)]
    for m in manifests:
        assert [(s, t) for _, s, t in read_manifest(m)] == [(1, "b"), (1, "i")]
        check_aof(m)
    assert len(aof_base_files(d)) == shards


@pytest.mark.kevy_only
@kevy_layout
def test_kevy_shard_dirs_load_in_redis(persist):
    """Each shard's directory is a Redis 7.0 AOF directory: loaded in a real
    Redis, the shards together hold kevy's whole dataset."""
    d = persist.dir()
    srv = persist.start(d, *AOF, shards=4)
    c = persist.client(srv)
    fill(c)
    assert c.raw("BGREWRITEAOF") == AOF_REWRITE_STARTED
    wait_aof_rewrite(c)
    assert c.raw("SET", "after:rewrite", "1") == OK
    assert c.raw("SELECT", "9") == OK
    assert c.raw("RPUSH", "after:list", "a") == integer(1)
    assert c.raw("SELECT", "0") == OK
    want = snapshot(c)
    persist.shutdown(srv)
    merged = {}
    for i, m in enumerate(aof_manifests(d)):
        other = persist.dir("redis-%d" % i)
        os.makedirs(os.path.join(other, "appendonlydir"))
        for p in [m] + manifest_paths(m):
            with open(p, "rb") as src, \
                    open(os.path.join(other, "appendonlydir", os.path.basename(p)), "wb") as dst:
                dst.write(src.read())
        oc = persist.client(persist.oracle(other, *AOF))
        for db, entries in snapshot(oc).items():
            assert not set(entries) & set(merged.get(db, {})), "a key in two shards"
            merged.setdefault(db, {}).update(entries)
    # Encodings left out: a load picks them (see test_persist_restart).
    assert without_encoding(merged) == without_encoding(want)
