"""A script that runs past busy-reply-threshold: as Redis 7.0, other clients
of the server it blocks get -BUSY (on kevy: the clients of the script's
shard; others are served, and wait if they touch keys the script holds),
SCRIPT KILL stops it unless it wrote (-UNKILLABLE then), and SHUTDOWN
NOSAVE stops the server. Each test has its own server."""

import hashlib
import threading
import time

import pytest

from helpers import OK, err
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


def wait_busy(srv):
    """New clients until one is answered BUSY (on kevy, one of the busy
    shard's; the others answer PONG)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with RespClient(srv.host, srv.port, timeout=5) as c:
            r = c.raw("PING")
        if r == BUSY:
            return
        assert r == b"+PONG\r\n", r
        time.sleep(0.01)
    raise AssertionError("no client was ever answered BUSY")


def test_script_kill_stops_a_busy_script(server_factory):
    srv = server_factory()
    t, result = start_busy(srv, LOOP)
    wait_busy(srv)
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
    wait_busy(srv)
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
    wait_busy(srv)
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
    wait_busy(srv)
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
