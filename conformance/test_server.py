"""Server lifecycle: SHUTDOWN on a dedicated server (never the shared one)."""

import pytest

from helpers import OK, SYNTAX, bulk, err
from resp_client import RespClient


@pytest.mark.restart
def test_shutdown_nosave(server_factory):
    srv = server_factory()
    with RespClient(srv.host, srv.port) as other:
        assert other.raw("SET", "k", "v") == OK
        with RespClient(srv.host, srv.port) as c:
            c.send("SHUTDOWN", "NOSAVE")
            assert c.is_closed(timeout=10)
        assert srv.wait_exit(timeout=10) == 0
        # Every other connection is closed too.
        assert other.is_closed(timeout=5)


@pytest.mark.restart
def test_shutdown_bad_arguments_keep_serving(server_factory):
    srv = server_factory()
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("SHUTDOWN", "x") == SYNTAX
        assert c.raw("SHUTDOWN", "NOSAVE", "SAVE") == SYNTAX
        assert c.raw("SHUTDOWN", "ABORT") == err("ERR No shutdown in progress.")
        assert c.raw("SET", "k", "v") == OK
        assert c.raw("GET", "k") == bulk("v")
        c.send("shutdown", "nosave")
        assert c.is_closed(timeout=10)
    assert srv.wait_exit(timeout=10) == 0


@pytest.mark.restart
def test_dedicated_servers_are_independent(server_factory, r):
    a, b = server_factory(), server_factory()
    assert a.port != b.port
    with RespClient(a.host, a.port) as ca, RespClient(b.host, b.port) as cb:
        assert ca.raw("SET", "k", "a") == OK
        assert cb.raw("GET", "k") == b"$-1\r\n"
    assert r.get("k") is None
