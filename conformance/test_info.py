"""INFO: sections, Redis's field names, the keyspace line, counters that
move with commands, the body format and its RESP3 (verbatim) type."""

import re

import pytest

from helpers import OK, bulk, integer, parse_info, spread_keys, wait_until
from resp_client import Verbatim

DEFAULT_SECTIONS = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication",
                    "CPU", "Modules", "Errorstats", "Cluster", "Keyspace"]

INT_FIELDS = {
    "server": ["arch_bits", "process_id", "tcp_port", "uptime_in_seconds", "uptime_in_days"],
    "clients": ["connected_clients", "blocked_clients", "maxclients"],
    "stats": ["total_connections_received", "total_commands_processed",
              "instantaneous_ops_per_sec", "total_net_input_bytes", "total_net_output_bytes",
              "rejected_connections", "expired_keys", "evicted_keys", "keyspace_hits",
              "keyspace_misses", "total_error_replies"],
}


def headers(body):
    return [line[2:] for line in body.decode().split("\r\n") if line.startswith("# ")]


def check_body_format(body):
    """Sections of `field:value` lines, one blank line between sections."""
    assert body.endswith(b"\r\n") and not body.endswith(b"\r\n\r\n"), body[-40:]
    for section in body[:-2].split(b"\r\n\r\n"):
        lines = section.split(b"\r\n")
        assert lines[0].startswith(b"# "), lines[0]
        for line in lines[1:]:
            assert re.fullmatch(rb"[a-z_0-9|]+:[^\r\n]*", line, re.I), line


def stats(raw):
    return {k: int(v) for k, v in parse_info(raw.value("INFO", "stats"))["stats"].items()
            if re.fullmatch(r"-?\d+", v)}


# --------------------------------------------------------------- sections

def test_default_sections(raw):
    body = raw.value("INFO")
    assert isinstance(body, bytes)
    assert headers(body) == DEFAULT_SECTIONS
    check_body_format(body)
    assert headers(raw.value("INFO", "default")) == DEFAULT_SECTIONS


@pytest.mark.parametrize("name", ["server", "clients", "stats", "keyspace"])
def test_single_section(raw, name):
    body = raw.value("INFO", name)
    assert headers(body) == [next(s for s in DEFAULT_SECTIONS if s.lower() == name)]
    check_body_format(body)


def test_section_names_are_case_insensitive(raw):
    assert headers(raw.value("INFO", "SERVER")) == ["Server"]
    assert headers(raw.value("info", "KeySpace")) == ["Keyspace"]


def test_several_sections(raw):
    body = raw.value("INFO", "server", "clients")
    assert headers(body) == ["Server", "Clients"]
    check_body_format(body)
    assert headers(raw.value("INFO", "keyspace", "nosuchsection")) == ["Keyspace"]


def test_unknown_section_is_empty(raw, raw3):
    assert raw.raw("INFO", "nosuchsection") == b"$0\r\n\r\n"
    assert raw.raw("INFO", "x", "y") == b"$0\r\n\r\n"
    assert raw3.raw("INFO", "nosuchsection") == b"=4\r\ntxt:\r\n"


def test_resp3_info_is_verbatim_text(raw3, raw):
    value, wire = raw3.call("INFO", "server")
    assert isinstance(value, Verbatim) and value.format == b"txt"
    assert wire.startswith(b"=%d\r\ntxt:# Server\r\n" % (len(value) + 4))
    assert headers(value) == ["Server"]
    check_body_format(value)
    keyspace3 = raw3.value("INFO", "keyspace")
    assert bytes(keyspace3) == raw.value("INFO", "keyspace") == b"# Keyspace\r\n"


# ----------------------------------------------------------------- fields

@pytest.mark.parametrize("section", sorted(INT_FIELDS))
def test_integer_fields(raw, section):
    fields = parse_info(raw.value("INFO", section))[section]
    for name in INT_FIELDS[section]:
        assert name in fields, name
        assert re.fullmatch(r"\d+", fields[name]), (name, fields[name])


def test_server_fields(raw, server):
    fields = parse_info(raw.value("INFO", "server"))["server"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", fields["redis_version"])
    assert fields["redis_mode"] == "standalone"
    assert re.fullmatch(r"[0-9a-f]{40}", fields["run_id"])
    assert int(fields["tcp_port"]) == server.port
    if server.pid is not None:
        assert int(fields["process_id"]) == server.pid
    assert int(fields["uptime_in_days"]) == int(fields["uptime_in_seconds"]) // 86400


def test_connected_clients(connect):
    clients = [connect() for _ in range(4)]
    count = lambda: int(parse_info(clients[0].value("INFO", "clients"))["clients"]
                        ["connected_clients"])
    peak = count()
    assert peak >= 4
    for c in clients[1:]:
        c.close()
    assert wait_until(lambda: count() <= peak - 3), count()


def test_total_connections_received(raw, connect):
    before = stats(raw)["total_connections_received"]
    other = connect()
    assert other.raw("PING") == b"+PONG\r\n"
    assert stats(raw)["total_connections_received"] == before + 1


# ---------------------------------------------------------------- counters

@pytest.mark.parametrize("cmd,hits,misses", [
    (["GET", "a"], 1, 0),
    (["GET", "nosuch"], 0, 1),
    (["MGET", "a", "nosuch", "a"], 2, 1),
    (["EXISTS", "a", "nosuch"], 1, 1),
    (["TTL", "a"], 1, 0),
    (["PTTL", "nosuch"], 0, 1),
    (["SET", "a", "2", "GET"], 1, 0),
    (["SET", "b", "2"], 0, 0),
    (["INCR", "n"], 0, 0),
    (["DEL", "a"], 0, 0),
    (["EXPIRE", "a", "100"], 0, 0),
])
def test_keyspace_hits_misses(raw, cmd, hits, misses):
    assert raw.raw("SET", "a", "1") == OK
    before = stats(raw)
    raw.call(*cmd)
    after = stats(raw)
    assert after["keyspace_hits"] - before["keyspace_hits"] == hits
    assert after["keyspace_misses"] - before["keyspace_misses"] == misses


@pytest.mark.parametrize("cmd,errors,processed", [
    (["PING"], 0, 2),
    (["SET", "k", "v"], 0, 2),
    (["NOSUCHCOMMAND"], 1, 1),  # rejected commands are not counted as processed
    (["GET"], 1, 1),
    (["SET", "k", "v", "FOO"], 1, 2),  # ran, and failed
    (["SELECT", "99"], 1, 2),
])
def test_error_and_command_counters(raw, cmd, errors, processed):
    before = stats(raw)
    raw.call(*cmd)
    after = stats(raw)
    # `processed` includes the first INFO: a command is counted once it ran.
    assert after["total_error_replies"] - before["total_error_replies"] == errors
    assert after["total_commands_processed"] - before["total_commands_processed"] == processed


# ----------------------------------------------------------------- keyspace

def test_keyspace_empty(raw):
    assert raw.raw("INFO", "keyspace") == bulk("# Keyspace\r\n")


def test_keyspace_lines(raw, r):
    keys = spread_keys(200)
    r.mset({k: "v" for k in keys})
    for k in keys[:50]:
        assert raw.raw("EXPIRE", k, "1000") == integer(1)
    assert raw.raw("SELECT", "2") == OK
    assert raw.raw("SET", "x", "1", "EX", "1000") == OK
    assert raw.raw("SET", "y", "1") == OK
    assert raw.raw("SELECT", "0") == OK
    body = raw.value("INFO", "keyspace").decode()
    assert re.fullmatch(r"# Keyspace\r\n"
                        r"db0:keys=200,expires=50,avg_ttl=\d+\r\n"
                        r"db2:keys=2,expires=1,avg_ttl=\d+\r\n", body), body
    assert raw.raw("FLUSHDB") == OK
    body = raw.value("INFO", "keyspace").decode()
    assert re.fullmatch(r"# Keyspace\r\ndb2:keys=2,expires=1,avg_ttl=\d+\r\n", body), body


def test_keyspace_without_ttls(raw):
    assert raw.raw("MSET", "a", "1", "b", "2", "c", "3") == OK
    assert raw.raw("INFO", "keyspace") == \
        bulk("# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\n")


def test_info_redis_py(r, server):
    info = r.info()
    assert info["redis_mode"] == "standalone"
    assert info["tcp_port"] == server.port
    assert "keyspace_hits" in info and "connected_clients" in info
