"""A script that runs past busy-reply-threshold: as Redis 7.0, other clients
of the server it blocks get -BUSY (on kevy: the clients of the script's
shard; others are served, and wait if they touch keys the script holds),
SCRIPT KILL stops it unless it wrote (-UNKILLABLE then), and SHUTDOWN
NOSAVE stops the server. Each test has its own server."""

import hashlib
import os
import threading
import time

import pytest

from conftest import IMPL
from helpers import OK, err, wait_busy
from resp_client import RespClient, ServerClosed

LOOP = "local i = 0 while true do i = i + 1 end"
WRITE_LOOP = "redis.call('set', KEYS[1], '1') local i = 0 while true do i = i + 1 end"
BUSY = err("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN "
           "NOSAVE.")
UNKILLABLE = err("UNKILLABLE Sorry the script already executed write commands against the "
                 "dataset. You can either wait the script termination or kill the server in a "
                 "hard way using the SHUTDOWN NOSAVE command.")


def start_busy(srv, body, *keys):
    """Run body in a thread on its own connection; return (thread, result)."""
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("CONFIG", "SET", "busy-reply-threshold", "100") == OK
    result = {}

    def run():
        c = RespClient(srv.host, srv.port, timeout=30)
        try:
            result["reply"] = c.raw("EVAL", body, str(len(keys)), *keys)
        except (ServerClosed, OSError) as e:
            result["reply"] = e
        finally:
            c.close()

    t = threading.Thread(target=run)
    t.start()
    return t, result


def test_script_kill_stops_a_busy_script(server_factory):
    srv = server_factory()
    t, result = start_busy(srv, LOOP)
    wait_busy(srv, BUSY)
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("SCRIPT", "KILL") == OK
    t.join(10)
    sha = hashlib.sha1(LOOP.encode()).hexdigest()
    assert result["reply"] == err("ERR Script killed by user with SCRIPT KILL... script: %s, "
                                  "on @user_script:1." % sha)
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("PING") == b"+PONG\r\n"
        assert c.raw("SCRIPT", "KILL") == err("NOTBUSY No scripts in execution right now.")


def test_busy_allows_multi_and_refuses_the_rest(server_factory):
    srv = server_factory()
    t, _ = start_busy(srv, LOOP)
    wait_busy(srv, BUSY)
    deadline = time.monotonic() + 10
    checked = False
    while not checked and time.monotonic() < deadline:
        c = RespClient(srv.host, srv.port, timeout=5)
        if c.raw("PING") == BUSY:
            assert c.raw("MULTI") == OK  # allow-busy, as in Redis
            assert c.raw("GET", "k") == BUSY
            assert c.raw("INFO") == BUSY
            assert c.raw("DISCARD") == OK
            checked = True
        c.close()
    assert checked
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("SCRIPT", "KILL") == OK
    t.join(10)


def test_unkillable_script_and_shutdown_nosave(server_factory):
    srv = server_factory()
    t, result = start_busy(srv, WRITE_LOOP, "w")
    wait_busy(srv, BUSY)
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("SCRIPT", "KILL") == UNKILLABLE
        assert c.raw("SHUTDOWN") == BUSY
        c.send("SHUTDOWN", "NOSAVE")
        assert c.is_closed(timeout=10)
    assert srv.proc.wait(timeout=10) == 0
    t.join(10)
    assert isinstance(result["reply"], (ServerClosed, OSError))


BOUNDED = "local n = tonumber(ARGV[1]) local i = 0 while n < 0 or i < n do i = i + 1 end"


def run_eval(srv, body, *args):
    """EVAL body in a thread on a new connection; return (thread, result)."""
    result = {}

    def run():
        with RespClient(srv.host, srv.port, timeout=30) as c:
            result["reply"] = c.raw("EVAL", body, "0", *args)

    t = threading.Thread(target=run)
    t.start()
    return t, result


@pytest.mark.kevy_only
def test_script_kill_stops_the_busy_scripts_of_every_shard(server_factory):
    """Each shard runs its own scripts: two shards can be busy at once (Redis
    has one). One SCRIPT KILL stops both. A script's first run on a shard
    locks every shard (section 21), so the script runs once everywhere first."""
    srv = server_factory("--shards", "2", "--busy-reply-threshold", "100")
    for _ in range(16):  # new connections land on both shards
        with RespClient(srv.host, srv.port) as c:
            assert c.raw("EVAL", BOUNDED, "0", "0") == b"$-1\r\n"
    runs = [run_eval(srv, BOUNDED, "-1")]
    wait_busy(srv, BUSY)
    deadline = time.monotonic() + 10
    while len(runs) < 2:  # a script sent to the busy shard is answered BUSY
        assert time.monotonic() < deadline, "no script ever ran on the other shard"
        t, result = run_eval(srv, BOUNDED, "-1")
        t.join(0.3)
        if t.is_alive():
            runs.append((t, result))
        else:
            assert result["reply"] == BUSY
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("PING") == BUSY  # every shard is busy now
        assert c.raw("SCRIPT", "KILL") == OK
    sha = hashlib.sha1(BOUNDED.encode()).hexdigest()
    for t, result in runs:
        t.join(10)
        assert result["reply"] == err("ERR Script killed by user with SCRIPT KILL... script: "
                                      "%s, on @user_script:1." % sha)
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("SCRIPT", "KILL") == err("NOTBUSY No scripts in execution right now.")


def aof_bytes(directory):
    """Every AOF file under directory (Redis's appenddirname, or kevy's
    per-shard folders in it), concatenated."""
    out = b""
    for root, _, files in os.walk(directory):
        for name in sorted(files):
            if ".aof" in name and not name.endswith(".manifest"):
                with open(os.path.join(root, name), "rb") as f:
                    out += f.read()
    return out


def test_a_reply_sent_while_a_script_is_busy_follows_its_aof_record(server_factory):
    """appendfsync always: a write's reply leaves only once its record is in
    the AOF, also when a busy script makes the server answer clients in the
    middle of a command (the write ran just before the script, in the same
    loop turn: both clients' commands arrive while DEBUG SLEEP holds it)."""
    flags = ("--appendonly", "yes", "--appendfsync", "always", "--busy-reply-threshold", "200",
             "--enable-debug-command", "yes")
    if IMPL != "redis":
        flags = ("--shards", "1") + flags
    srv = server_factory(*flags)
    with RespClient(srv.host, srv.port) as admin:
        directory = admin.value("CONFIG", "GET", "dir")[1].decode()
    # The write must run before the script, in the same turn: on a loaded
    # machine the script may come first (then the write is answered -BUSY
    # and proves nothing); try again then.
    for attempt in range(5):
        key = "durable:key:%d" % attempt
        sleeper, writer = RespClient(srv.host, srv.port), RespClient(srv.host, srv.port)
        runner = RespClient(srv.host, srv.port, timeout=30)
        try:
            sleeper.send("DEBUG", "SLEEP", "0.5")
            time.sleep(0.2)
            writer.send("SET", key, "v1")
            time.sleep(0.05)
            runner.send("EVAL", LOOP, "0")
            got = writer.read()[1]  # sent while the script runs
            if got == OK:
                assert key.encode() in aof_bytes(directory)
            else:
                assert got == BUSY, got
            wait_busy(srv, BUSY)
            with RespClient(srv.host, srv.port) as admin:
                assert admin.raw("SCRIPT", "KILL") == OK
            assert runner.read()[1].startswith(
                b"-ERR Script killed by user with SCRIPT KILL...")
            assert sleeper.read()[1] == OK
        finally:
            for c in (sleeper, writer, runner):
                c.close()
        if got == OK:
            return
    raise AssertionError("the write never ran before the script")
