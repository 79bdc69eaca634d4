"""RDB persistence, the commands: SAVE, BGSAVE (and SCHEDULE, in MULTI,
while one runs), LASTSAVE, INFO persistence (every Redis 7.0.15 field, and
the rdb_* ones moving), the parameters (dir, dbfilename, rdbcompression,
rdbchecksum, save, stop-writes-on-bgsave-error) with their exact errors,
the MISCONF state after a failed BGSAVE, and the file a save writes (frame,
checksum, compression, accepted by redis-check-rdb).

Every test starts its own server in its own directory (persist_helpers);
restarts and the exchange with a real Redis are in test_persist_restart.py.
"""

import os
import time

import pytest

from helpers import OK, SYNTAX, arity_err, bulk, err, integer, wait_until
from persist_helpers import (DUMP, MISCONF, PERSISTENCE_FIELDS, RDB_MAGIC, check_frame, check_rdb,
                             fill, persist_servers, persistence, pinfo, read_file, wait_bgsave)

pytestmark = pytest.mark.restart

STARTED = b"+Background saving started\r\n"
SCHEDULED = b"+Background saving scheduled\r\n"
IN_PROGRESS = err("ERR Background save already in progress")


@pytest.fixture
def persist():
    yield from persist_servers()


def failed(name, why):
    return err("ERR CONFIG SET failed (possibly related to argument '%s') - %s" % (name, why))


def serve(persist, *flags, name="data"):
    d = persist.dir(name)
    srv = persist.start(d, *flags)
    return d, srv, persist.client(srv)


def get1(c, name):
    v = c.value("CONFIG", "GET", name)
    assert len(v) == 2, v
    return v[1]


# ------------------------------------------------------------ INFO persistence


def test_info_persistence_fields(persist):
    _, _, c = serve(persist)
    body = c.value("INFO", "persistence").decode()
    lines = [ln for ln in body.split("\r\n") if ln]
    assert lines[0] == "# Persistence"
    assert [ln.split(":", 1)[0] for ln in lines[1:]] == PERSISTENCE_FIELDS
    info = persistence(c)
    assert {k: info[k] for k in (
        "loading", "async_loading", "rdb_changes_since_last_save", "rdb_bgsave_in_progress",
        "rdb_last_bgsave_status", "rdb_last_bgsave_time_sec", "rdb_current_bgsave_time_sec",
        "rdb_saves", "rdb_last_load_keys_expired", "rdb_last_load_keys_loaded", "aof_enabled",
        "aof_rewrite_in_progress", "aof_last_bgrewrite_status", "aof_last_write_status",
        "module_fork_in_progress")} == {
        "loading": "0", "async_loading": "0", "rdb_changes_since_last_save": "0",
        "rdb_bgsave_in_progress": "0", "rdb_last_bgsave_status": "ok",
        "rdb_last_bgsave_time_sec": "-1", "rdb_current_bgsave_time_sec": "-1", "rdb_saves": "0",
        "rdb_last_load_keys_expired": "0", "rdb_last_load_keys_loaded": "0", "aof_enabled": "0",
        "aof_rewrite_in_progress": "0", "aof_last_bgrewrite_status": "ok",
        "aof_last_write_status": "ok", "module_fork_in_progress": "0"}
    # Started with no dump: the last save time is the start time.
    assert abs(int(info["rdb_last_save_time"]) - time.time()) < 5
    assert int(info["rdb_last_save_time"]) == c.value("LASTSAVE")
    # The whole INFO (and INFO all / everything) carries the same section.
    assert "# Persistence\r\nloading:0\r\n" in c.value("INFO").decode()


# ------------------------------------------------------------------- SAVE


def test_save_counts_and_resets_changes(persist):
    d, _, c = serve(persist)
    assert not os.path.exists(os.path.join(d, DUMP))
    for i in range(3):
        assert c.raw("SET", "k%d" % i, "v") == OK
    assert c.raw("MSET", "a", "1", "b", "2") == OK
    assert pinfo(c, "rdb_changes_since_last_save") == 5
    assert c.raw("SAVE") == OK
    info = persistence(c)
    assert info["rdb_changes_since_last_save"] == "0"
    assert info["rdb_saves"] == "1"
    assert info["rdb_last_bgsave_status"] == "ok"
    assert info["rdb_last_bgsave_time_sec"] == "-1"    # SAVE is not a BGSAVE
    assert os.path.isfile(os.path.join(d, DUMP))
    # Writes after the save are counted again; reads and no-ops are not.
    assert c.raw("GET", "a") == bulk("1")
    assert c.raw("DEL", "nosuch") == integer(0)
    assert c.raw("DEL", "k0", "k1") == integer(2)
    assert c.raw("INCR", "a") == integer(2)
    assert pinfo(c, "rdb_changes_since_last_save") == 3
    assert c.raw("SAVE") == OK
    assert pinfo(c, "rdb_saves") == 2
    assert pinfo(c, "rdb_changes_since_last_save") == 0
    # Saving an unchanged dataset is still a save.
    assert c.raw("SAVE") == OK
    assert pinfo(c, "rdb_saves") == 3


@pytest.mark.slow
def test_lastsave_moves_on_save(persist):
    _, _, c = serve(persist)
    l0 = c.value("LASTSAVE")
    assert isinstance(l0, int) and c.raw("LASTSAVE") == integer(l0)
    # LASTSAVE has one-second resolution: wait for the next second (and a
    # bit: time(2) may lag the precise clock by a tick).
    assert wait_until(lambda: time.time() > l0 + 1.1, timeout=3)
    before = int(time.time())
    assert c.raw("SAVE") == OK
    after = int(time.time())
    l1 = c.value("LASTSAVE")
    assert l0 < l1 and before <= l1 <= after
    assert pinfo(c, "rdb_last_save_time") == l1


def test_save_arity_and_syntax(persist):
    _, _, c = serve(persist)
    assert c.raw("SAVE", "x") == arity_err("save")
    assert c.raw("LASTSAVE", "x") == arity_err("lastsave")
    assert c.raw("BGSAVE", "x") == SYNTAX
    assert c.raw("BGSAVE", "SCHEDULE", "x") == SYNTAX
    assert c.raw("BGSAVE", "NOW") == SYNTAX
    assert pinfo(c, "rdb_saves") == 0


def test_save_not_allowed_in_multi(persist):
    d, _, c = serve(persist)
    assert c.raw("SET", "k", "v") == OK
    assert c.raw("MULTI") == OK
    assert c.raw("SAVE") == err("ERR Command not allowed inside a transaction")
    assert c.raw("EXEC") == err("EXECABORT Transaction discarded because of previous errors.")
    assert not os.path.exists(os.path.join(d, DUMP))
    assert pinfo(c, "rdb_saves") == 0


# ----------------------------------------------------------------- BGSAVE


def test_bgsave(persist):
    d, _, c = serve(persist)
    l0 = c.value("LASTSAVE")
    for i in range(100):
        c.raw("SET", "k%d" % i, "v%d" % i)
    assert c.raw("BGSAVE") == STARTED
    info = wait_bgsave(c)
    assert info["rdb_last_bgsave_status"] == "ok"
    assert int(info["rdb_last_bgsave_time_sec"]) >= 0
    assert info["rdb_current_bgsave_time_sec"] == "-1"
    assert info["rdb_saves"] == "1"
    assert info["rdb_changes_since_last_save"] == "0"
    assert int(info["rdb_last_save_time"]) >= l0
    assert c.value("LASTSAVE") == int(info["rdb_last_save_time"])
    data = read_file(os.path.join(d, DUMP))
    check_frame(data)
    # Lower case, and SCHEDULE when nothing runs: it starts at once.
    assert c.raw("bgsave", "schedule") == STARTED
    info = wait_bgsave(c)
    assert info["rdb_saves"] == "2" and info["rdb_last_bgsave_status"] == "ok"
    assert sorted(os.listdir(d)) == [DUMP]   # no temporary file left behind


def test_bgsave_while_one_runs(persist):
    d, _, c = serve(persist)
    assert c.raw("MSET", *sum((["k%d" % i, "v"] for i in range(100)), [])) == OK
    # 100 keys at 5 ms each: the save runs for about half a second.
    assert c.raw("CONFIG", "SET", "rdb-key-save-delay", "5000") == OK
    assert c.raw("BGSAVE") == STARTED
    info = persistence(c)
    assert info["rdb_bgsave_in_progress"] == "1"
    assert int(info["rdb_current_bgsave_time_sec"]) >= 0
    assert c.raw("BGSAVE") == IN_PROGRESS
    assert c.raw("BGSAVE", "SCHEDULE") == IN_PROGRESS
    assert c.raw("SAVE") == IN_PROGRESS
    # Writes and reads go on while it runs.
    assert c.raw("SET", "during", "1") == OK
    assert c.raw("GET", "k1") == bulk("v")
    assert c.raw("CONFIG", "SET", "rdb-key-save-delay", "0") == OK
    info = wait_bgsave(c)
    assert info["rdb_last_bgsave_status"] == "ok"
    assert info["rdb_saves"] == "1"        # the refused ones are not counted
    assert info["rdb_current_bgsave_time_sec"] == "-1"
    # The write made during the save is not in the file: still a change.
    assert info["rdb_changes_since_last_save"] == "1"
    check_frame(read_file(os.path.join(d, DUMP)))


def test_bgsave_in_multi_is_scheduled(persist):
    d, _, c = serve(persist)
    assert c.raw("SET", "k", "v") == OK
    assert c.raw("MULTI") == OK
    assert c.raw("BGSAVE") == b"+QUEUED\r\n"
    assert c.raw("EXEC") == b"*1\r\n" + SCHEDULED
    # The scheduled save starts soon after.
    assert wait_until(lambda: pinfo(c, "rdb_saves") == 1, timeout=5)
    info = wait_bgsave(c)
    assert info["rdb_last_bgsave_status"] == "ok"
    assert info["rdb_changes_since_last_save"] == "0"
    check_frame(read_file(os.path.join(d, DUMP)))
    assert c.raw("MULTI") == OK
    assert c.raw("BGSAVE", "SCHEDULE") == b"+QUEUED\r\n"
    assert c.raw("EXEC") == b"*1\r\n" + SCHEDULED
    assert wait_until(lambda: pinfo(c, "rdb_saves") == 2, timeout=5)
    wait_bgsave(c)


# ----------------------------------------------------------------- CONFIG


def test_config_defaults(persist):
    d, _, c = serve(persist)
    assert get1(c, "dir") == d.encode()
    assert get1(c, "dbfilename") == b"dump.rdb"
    assert get1(c, "rdbcompression") == b"yes"
    assert get1(c, "rdbchecksum") == b"yes"
    assert get1(c, "stop-writes-on-bgsave-error") == b"yes"
    assert get1(c, "save") == b""      # the helper starts servers with --save ''


def test_config_set_errors(persist):
    _, _, c = serve(persist)
    assert c.raw("CONFIG", "SET", "rdbchecksum", "no") == failed("rdbchecksum",
                                                                 "can't set immutable config")
    assert c.raw("CONFIG", "SET", "rdbcompression", "maybe") == \
        failed("rdbcompression", "argument must be 'yes' or 'no'")
    assert c.raw("CONFIG", "SET", "stop-writes-on-bgsave-error", "1") == \
        failed("stop-writes-on-bgsave-error", "argument must be 'yes' or 'no'")
    for bad in ("1", "1 2 3", "0 1", "-1 1", "1 -1", "1.5 1", "a b"):
        assert c.raw("CONFIG", "SET", "save", bad) == failed("save", "Invalid save parameters")
    assert c.raw("CONFIG", "SET", "dir", "/tmp") == failed("dir", "can't set protected config")
    assert c.raw("CONFIG", "SET", "dbfilename", "x.rdb") == \
        failed("dbfilename", "can't set protected config")
    assert get1(c, "save") == b"" and get1(c, "dbfilename") == b"dump.rdb"


def test_config_set_values(persist):
    _, _, c = serve(persist)
    for name in ("rdbcompression", "stop-writes-on-bgsave-error"):
        assert c.raw("CONFIG", "SET", name, "no") == OK
        assert get1(c, name) == b"no"
        assert c.raw("CONFIG", "SET", name, "YES") == OK
        assert get1(c, name) == b"yes"
    assert c.raw("CONFIG", "SET", "save", "1 1 2 2") == OK
    assert get1(c, "save") == b"1 1 2 2"
    assert c.raw("CONFIG", "SET", "save", "") == OK
    assert get1(c, "save") == b""


def test_config_dbfilename_and_dir_when_protected_configs_allowed(persist):
    d, _, c = serve(persist, "--enable-protected-configs", "yes")
    for bad in ("a/b", "../x.rdb", "/abs.rdb", "a\\b"):
        assert c.raw("CONFIG", "SET", "dbfilename", bad) == \
            failed("dbfilename", "dbfilename can't be a path, just a filename")
    assert c.raw("CONFIG", "SET", "dir", os.path.join(d, "nosuch")) == \
        failed("dir", "No such file or directory")
    open(os.path.join(d, "afile"), "wb").close()
    assert c.raw("CONFIG", "SET", "dir", os.path.join(d, "afile")) == \
        failed("dir", "Not a directory")
    assert get1(c, "dir") == d.encode() and get1(c, "dbfilename") == b"dump.rdb"
    # Valid ones take effect for the next save.
    other = persist.dir("other")
    assert c.raw("CONFIG", "SET", "dir", other) == OK
    assert c.raw("CONFIG", "SET", "dbfilename", "other.rdb") == OK
    assert get1(c, "dir") == other.encode() and get1(c, "dbfilename") == b"other.rdb"
    assert c.raw("SET", "k", "v") == OK
    assert c.raw("SAVE") == OK
    assert os.listdir(other) == ["other.rdb"]
    assert not os.path.exists(os.path.join(d, DUMP))
    check_frame(read_file(os.path.join(other, "other.rdb")))


def test_dir_flag_when_started_elsewhere(persist):
    """--dir is where the dump goes, whatever the working directory."""
    d, cwd = persist.dir("data"), persist.dir("cwd")
    srv = persist.start(d, cwd=cwd)
    c = persist.client(srv)
    assert get1(c, "dir") == d.encode()
    assert c.raw("SET", "k", "v") == OK
    assert c.raw("SAVE") == OK
    assert os.listdir(d) == [DUMP] and os.listdir(cwd) == []


def test_dbfilename_flag(persist):
    d, _, c = serve(persist, "--dbfilename", "kevy-test.rdb")
    assert get1(c, "dbfilename") == b"kevy-test.rdb"
    assert c.raw("SET", "k", "v") == OK
    assert c.raw("BGSAVE") == STARTED
    wait_bgsave(c)
    assert os.listdir(d) == ["kevy-test.rdb"]


# ------------------------------------------------------------------ files


def test_saved_file_is_a_valid_rdb(persist):
    d, _, c = serve(persist)
    fill(c)
    assert c.raw("SAVE") == OK
    assert os.listdir(d) == [DUMP]
    path = os.path.join(d, DUMP)
    data = read_file(path)
    assert data.startswith(RDB_MAGIC)
    check_frame(data)
    report = check_rdb(path)
    assert "Checksum OK" in report


def test_empty_dataset_file(persist):
    d, _, c = serve(persist)
    assert c.raw("SAVE") == OK
    data = read_file(os.path.join(d, DUMP))
    check_frame(data)
    check_rdb(os.path.join(d, DUMP))


@pytest.mark.parametrize("compression", ["yes", "no"])
def test_rdbcompression(persist, compression):
    d, _, c = serve(persist, "--rdbcompression", compression)
    value = b"kevy-compressible-" * 1000
    assert c.raw("SET", "big", value) == OK
    assert c.raw("RPUSH", "list", *[value[:60]] * 200) == b":200\r\n"
    assert c.raw("SAVE") == OK
    data = read_file(os.path.join(d, DUMP))
    check_frame(data)
    if compression == "no":
        assert value in data
        assert len(data) > len(value)
    else:
        assert value[:200] not in data
        assert len(data) < 2000
    check_rdb(os.path.join(d, DUMP))
    # CONFIG SET changes it for the next save.
    flip = "yes" if compression == "no" else "no"
    assert c.raw("CONFIG", "SET", "rdbcompression", flip) == OK
    assert c.raw("SAVE") == OK
    assert (value in read_file(os.path.join(d, DUMP))) == (flip == "no")


def test_rdbchecksum_no_writes_zero_checksum(persist):
    d, _, c = serve(persist, "--rdbchecksum", "no")
    assert get1(c, "rdbchecksum") == b"no"
    fill(c, shrunk=False)
    assert c.raw("SAVE") == OK
    data = read_file(os.path.join(d, DUMP))
    check_frame(data, checksum=False)
    report = check_rdb(os.path.join(d, DUMP))
    assert "checksum disabled" in report


def test_rdbchecksum_yes_writes_crc64(persist):
    d, _, c = serve(persist, "--rdbchecksum", "yes")
    fill(c, shrunk=False)
    assert c.raw("BGSAVE") == STARTED
    wait_bgsave(c)
    data = read_file(os.path.join(d, DUMP))
    check_frame(data, checksum=True)
    assert data[-8:] != bytes(8)


# ------------------------------------------- failed saves, MISCONF


def _gone_dir(persist, c, d):
    """Point `dir` at a directory, then remove it: saves there fail."""
    gone = os.path.join(d, "gone")
    os.mkdir(gone)
    assert c.raw("CONFIG", "SET", "dir", gone) == OK
    os.rmdir(gone)


def test_failed_save_replies_err(persist):
    d, _, c = serve(persist, "--save", "3600 1", "--enable-protected-configs", "yes")
    assert c.raw("SET", "k", "v") == OK
    _gone_dir(persist, c, d)
    assert c.raw("SAVE") == b"-ERR\r\n"
    info = persistence(c)
    # A failed SAVE is not a failed BGSAVE: writes go on.
    assert info["rdb_last_bgsave_status"] == "ok"
    assert info["rdb_changes_since_last_save"] == "1"
    assert c.raw("SET", "k2", "v") == OK
    assert c.raw("CONFIG", "SET", "dir", d) == OK
    assert c.raw("SAVE") == OK
    assert pinfo(c, "rdb_changes_since_last_save") == 0


def test_stop_writes_on_bgsave_error(persist):
    d, srv, c = serve(persist, "--save", "3600 1", "--enable-protected-configs", "yes")
    assert c.raw("SET", "k", "v") == OK
    _gone_dir(persist, c, d)
    assert c.raw("BGSAVE") == STARTED
    info = wait_bgsave(c)
    assert info["rdb_last_bgsave_status"] == "err"
    assert int(info["rdb_last_bgsave_time_sec"]) >= 0
    assert info["rdb_changes_since_last_save"] == "1"
    # Writes (and PING) are refused; reads are served.
    assert c.raw("SET", "k2", "v") == MISCONF
    assert c.raw("DEL", "k") == MISCONF
    assert c.raw("INCR", "n") == MISCONF
    assert c.raw("PING") == MISCONF
    assert c.raw("GET", "k") == bulk("v")
    assert c.raw("DBSIZE") == integer(1)
    assert c.raw("EXISTS", "k2") == integer(0)
    assert c.raw("MULTI") == OK
    assert c.raw("SET", "k3", "v") == MISCONF
    assert c.raw("EXEC") == err("EXECABORT Transaction discarded because of previous errors.")
    # Every connection sees it.
    other = persist.client(srv)
    assert other.raw("SET", "k2", "v") == MISCONF
    # stop-writes-on-bgsave-error no lets writes through; yes refuses again.
    assert c.raw("CONFIG", "SET", "stop-writes-on-bgsave-error", "no") == OK
    assert c.raw("SET", "k2", "v") == OK
    assert c.raw("CONFIG", "SET", "stop-writes-on-bgsave-error", "yes") == OK
    assert c.raw("SET", "k2", "v") == MISCONF
    # Only while save points are set.
    assert c.raw("CONFIG", "SET", "save", "") == OK
    assert c.raw("SET", "k2", "v2") == OK
    assert c.raw("CONFIG", "SET", "save", "3600 1") == OK
    assert c.raw("SET", "k2", "v3") == MISCONF
    # A good directory alone is not enough; a successful BGSAVE is.
    assert c.raw("CONFIG", "SET", "dir", d) == OK
    assert c.raw("SET", "k2", "v3") == MISCONF
    assert c.raw("BGSAVE") == STARTED
    info = wait_bgsave(c)
    assert info["rdb_last_bgsave_status"] == "ok"
    assert c.raw("SET", "k2", "v3") == OK
    assert c.raw("PING") == b"+PONG\r\n"
    assert c.raw("GET", "k2") == bulk("v3")


def test_successful_save_clears_misconf(persist):
    d, _, c = serve(persist, "--save", "3600 1", "--enable-protected-configs", "yes")
    assert c.raw("SET", "k", "v") == OK
    _gone_dir(persist, c, d)
    assert c.raw("BGSAVE") == STARTED
    assert wait_bgsave(c)["rdb_last_bgsave_status"] == "err"
    assert c.raw("SET", "k", "v2") == MISCONF
    assert c.raw("CONFIG", "SET", "dir", d) == OK
    assert c.raw("SAVE") == OK
    assert pinfo(c, "rdb_last_bgsave_status") == "ok"
    assert c.raw("SET", "k", "v2") == OK


def test_bgsave_error_with_stop_writes_off(persist):
    d, _, c = serve(persist, "--save", "3600 1", "--enable-protected-configs", "yes",
                    "--stop-writes-on-bgsave-error", "no")
    _gone_dir(persist, c, d)
    assert c.raw("SET", "k", "v") == OK
    assert c.raw("BGSAVE") == STARTED
    assert wait_bgsave(c)["rdb_last_bgsave_status"] == "err"
    assert c.raw("SET", "k", "v2") == OK
    assert c.raw("PING") == b"+PONG\r\n"
    assert pinfo(c, "rdb_changes_since_last_save") == 2
