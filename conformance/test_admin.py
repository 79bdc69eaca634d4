"""TIME, LASTSAVE, RESET, MONITOR (sees commands from every shard),
FUNCTION / SCRIPT on a server with no scripts, and DEBUG (SLEEP,
SET-ACTIVE-EXPIRE, OBJECT, DIGEST and DIGEST-VALUE with Redis's
algorithm: the expected digests are computed here, independently)."""

import hashlib
import re
import struct
import time

import pytest

from helpers import NIL, OK, SYNTAX, bulk, err, integer, parse_info, spread_keys, wait_until
from resp_client import RespClient

# ------------------------------------------------------------ TIME, LASTSAVE

def test_time(raw):
    value, wire = raw.call("TIME")
    assert re.fullmatch(rb"\*2\r\n\$\d+\r\n\d+\r\n\$\d+\r\n\d+\r\n", wire)
    secs, usecs = int(value[0]), int(value[1])
    assert abs(secs + usecs / 1e6 - time.time()) < 5
    assert 0 <= usecs < 1000000
    assert raw.raw("TIME", "x") == err("ERR wrong number of arguments for 'time' command")


def test_lastsave(raw):
    value = raw.value("LASTSAVE")
    assert isinstance(value, int) and value <= time.time() + 1
    persistence = parse_info(raw.value("INFO", "persistence"))["persistence"]
    assert int(persistence["rdb_last_save_time"]) == value
    assert raw.raw("LASTSAVE", "x") == err("ERR wrong number of arguments for 'lastsave' command")


# ------------------------------------------------------------------- RESET

def test_reset(connect):
    c = connect()
    assert c.raw("SELECT", "3") == OK
    assert c.raw("CLIENT", "SETNAME", "before") == OK
    assert c.raw("CLIENT", "NO-EVICT", "on") == OK
    c.hello(3)
    c.send("CLIENT", "REPLY", "OFF")
    assert c.raw("RESET") == b"+RESET\r\n"
    info = c.value("CLIENT", "INFO").decode()
    assert " db=0 " in info and " name= " in info and " resp=2" in info
    assert " flags=e " in info  # NO-EVICT survives RESET
    assert c.raw("CLIENT", "GETNAME") == NIL
    assert c.raw("GET", "nosuch") == NIL


def test_reset_arity(raw):
    assert raw.raw("RESET", "x") == err("ERR wrong number of arguments for 'reset' command")


# ----------------------------------------------------------------- MONITOR

LINE = re.compile(rb'\+(\d+)\.(\d{6}) \[(\d+) ([0-9.:]+)\] (.*)\r\n')


def monitor_line(m):
    value, wire = m.read()
    match = LINE.fullmatch(wire)
    assert match, wire
    return int(match.group(3)), match.group(4), match.group(5)


@pytest.fixture
def mon(connect):
    m = connect()
    assert m.raw("MONITOR") == OK
    return m


def test_monitor_sees_commands(mon, connect):
    c = connect()
    assert c.raw("SET", "k", "v") == OK
    db, addr, args = monitor_line(mon)
    assert db == 0 and args == b'"SET" "k" "v"'
    assert c.raw("SELECT", "5") == OK
    assert c.raw("get", "k") == NIL
    assert monitor_line(mon)[::2] == (5, b'"SELECT" "5"')
    assert monitor_line(mon)[::2] == (5, b'"get" "k"')


def test_monitor_escaping(mon, connect):
    c = connect()
    assert c.raw("ECHO", b'a\n\r\t\x07\x08"\\\x01\xff z') == bulk(b'a\n\r\t\x07\x08"\\\x01\xff z')
    assert monitor_line(mon)[2] == b'"ECHO" "a\\n\\r\\t\\a\\b\\"\\\\\\x01\\xff z"'
    assert c.raw("ECHO", "") == bulk("")
    assert monitor_line(mon)[2] == b'"ECHO" ""'


def test_monitor_sees_every_shard(mon, connect):
    clients = [connect() for _ in range(12)]
    for i, c in enumerate(clients):
        assert c.raw("SET", "key:%d" % i, "v") == OK
    got = sorted(monitor_line(mon)[2] for _ in clients)
    assert got == sorted(b'"SET" "key:%d" "v"' % i for i in range(12))


def test_monitor_skips_admin_rejected_and_redacts(mon, connect):
    c = connect()
    c.call("CONFIG", "GET", "hz")
    c.call("CLIENT", "LIST")
    c.call("NOSUCHCOMMAND")
    c.call("GET")
    c.call("AUTH", "secret")
    c.call("HELLO", "2", "AUTH", "default", "pw")
    c.call("PING")
    assert monitor_line(mon)[2] == b'"AUTH" "(redacted)"'
    assert monitor_line(mon)[2] == b'"HELLO" "2" "AUTH" "(redacted)" "(redacted)"'
    assert monitor_line(mon)[2] == b'"PING"'


def test_monitor_client_restrictions(mon):
    assert mon.raw("GET", "k") == err("ERR Replica can't interact with the keyspace")
    assert mon.raw("SET", "k", "v") == err("ERR Replica can't interact with the keyspace")
    assert mon.raw("PING") == b"+PONG\r\n"
    assert monitor_line(mon)[2] == b'"PING"'
    # MONITOR again says nothing
    mon.send("MONITOR")
    assert mon.raw("ECHO", "x") == bulk("x")
    assert monitor_line(mon)[2] == b'"ECHO" "x"'


def test_reset_stops_monitoring(mon, connect):
    c = connect()
    assert mon.raw("RESET") == b"+RESET\r\n"
    assert c.raw("SET", "k", "v") == OK
    assert mon.raw("GET", "k") == bulk("v")
    assert mon.raw("PING") == b"+PONG\r\n"


def test_closed_monitor_is_forgotten(connect):
    ms = [connect() for _ in range(4)]
    for m in ms:
        assert m.raw("MONITOR") == OK
    for m in ms:
        m.close()
    c = connect()
    for i in range(50):
        assert c.raw("SET", "k:%d" % i, "v") == OK
    assert c.raw("PING") == b"+PONG\r\n"


def test_monitor_resp3(connect):
    m = connect(3)
    assert m.raw("MONITOR") == OK
    c = connect()
    assert c.raw("PING", "x") == bulk("x")
    assert monitor_line(m)[2] == b'"PING" "x"'


# ------------------------------------------------------- FUNCTION, SCRIPT

def test_function_list_and_flush(raw, raw3):
    assert raw.raw("FUNCTION", "LIST") == b"*0\r\n"
    assert raw3.raw("FUNCTION", "LIST") == b"*0\r\n"
    assert raw.raw("FUNCTION", "LIST", "WITHCODE") == b"*0\r\n"
    assert raw.raw("FUNCTION", "LIST", "LIBRARYNAME", "x*") == b"*0\r\n"
    assert raw.raw("FUNCTION", "LIST", "withcode", "libraryname", "x") == b"*0\r\n"
    assert raw.raw("FUNCTION", "LIST", "LIBRARYNAME") == err("ERR library name argument was not given")
    assert raw.raw("FUNCTION", "LIST", "x") == err("ERR Unknown argument x")
    assert raw.raw("FUNCTION", "LIST", "WITHCODE", "WITHCODE") == err("ERR Unknown argument WITHCODE")
    assert raw.raw("FUNCTION", "LIST", "LIBRARYNAME", "a", "LIBRARYNAME", "b") == \
        err("ERR Unknown argument LIBRARYNAME")
    for args in ([], ["ASYNC"], ["sync"]):
        assert raw.raw("FUNCTION", "FLUSH", *args) == OK
    assert raw.raw("FUNCTION", "FLUSH", "x") == err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
    assert raw.raw("FUNCTION", "FLUSH", "sync", "x") == err(
        "ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP.")
    assert raw.raw("FUNCTION") == err("ERR wrong number of arguments for 'function' command")


def test_script_flush(raw):
    for args in ([], ["ASYNC"], ["sync"]):
        assert raw.raw("SCRIPT", "FLUSH", *args) == OK
    assert raw.raw("SCRIPT", "FLUSH", "x") == err("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
    assert raw.raw("SCRIPT", "FLUSH", "sync", "async") == err("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
    assert raw.raw("SCRIPT") == err("ERR wrong number of arguments for 'script' command")


# ------------------------------------------------------------------- DEBUG

NOT_ALLOWED = err('ERR DEBUG command not allowed. If the enable-debug-command option is set to '
                  '"local", you can run it from a local connection, otherwise you need to set '
                  'this option in the configuration file, and then restart the server.')


def test_debug_is_off_by_default(raw):
    assert raw.raw("DEBUG", "SLEEP", "0") == NOT_ALLOWED
    assert raw.raw("DEBUG", "HELP") == NOT_ALLOWED
    assert raw.raw("DEBUG") == err("ERR wrong number of arguments for 'debug' command")


@pytest.fixture
def dbg(server_factory):
    srv = server_factory("--enable-debug-command", "yes")
    with RespClient(srv.host, srv.port) as c:
        yield c


@pytest.mark.restart
def test_debug_local(server_factory):
    srv = server_factory("--enable-debug-command", "local")
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("DEBUG", "SLEEP", "0") == OK


def _xor(d, data):
    h = hashlib.sha1(data).digest()
    return bytes(a ^ b for a, b in zip(d, h))


def _mix(d, data):
    return hashlib.sha1(_xor(d, data)).digest()


def _object_digest(d, value, ttl):
    """Redis's xorObjectDigest for a string value, on top of d."""
    d = _mix(d, struct.pack(">I", 0))  # the type, OBJ_STRING
    d = _mix(d, value)
    if ttl:
        d = _xor(d, b"!!expire!!")
    return d


def value_digest(value, ttl=False):
    return _object_digest(bytes(20), value, ttl)


def dataset_digest(dbs):
    """dbs: {db: {key: (value, has_ttl)}} -> DEBUG DIGEST's hex: per
    non-empty db, mix the db number in, then XOR in SHA1 of each key's
    digest (the key mixed, then its value)."""
    final = bytes(20)
    for db in sorted(dbs):
        if not dbs[db]:
            continue
        final = _mix(final, struct.pack(">I", db))
        for key, (value, ttl) in dbs[db].items():
            final = _xor(final, _object_digest(_mix(bytes(20), key), value, ttl))
    return final.hex()


@pytest.mark.restart
def test_debug_digest(dbg):
    assert dbg.raw("DEBUG", "DIGEST") == b"+" + b"0" * 40 + b"\r\n"
    data = {0: {}, 3: {}}
    keys = spread_keys(60) + ["{tag}a", "{tag}b", "n:1", "n:2"]
    for i, k in enumerate(keys):
        v = b"%d" % (i * 37) if i % 3 == 0 else b"value-%d-" % i + b"x" * (i % 50)
        assert dbg.raw("SET", k, v) == OK
        data[0][k.encode()] = (v, False)
    for k in keys[:10]:
        assert dbg.raw("EXPIRE", k, "1000") == integer(1)
        data[0][k.encode()] = (data[0][k.encode()][0], True)
    assert dbg.raw("SELECT", "3") == OK
    assert dbg.raw("SET", "other", "db") == OK
    data[3][b"other"] = (b"db", False)
    assert dbg.raw("DEBUG", "DIGEST") == b"+" + dataset_digest(data).encode() + b"\r\n"
    assert dbg.raw("FLUSHDB") == OK
    del data[3][b"other"]
    assert dbg.raw("DEBUG", "DIGEST") == b"+" + dataset_digest(data).encode() + b"\r\n"
    assert dbg.raw("FLUSHALL") == OK
    assert dbg.raw("DEBUG", "DIGEST") == b"+" + b"0" * 40 + b"\r\n"


@pytest.mark.restart
def test_debug_digest_value(dbg):
    assert dbg.raw("SET", "k", "hello") == OK
    assert dbg.raw("SET", "n", "123") == OK
    assert dbg.raw("SET", "t", "x", "EX", "100") == OK
    want = [value_digest(b"hello"), value_digest(b"123"), bytes(20), value_digest(b"x", True)]
    assert dbg.raw("DEBUG", "DIGEST-VALUE", "k", "n", "nokey", "t") == \
        b"*4\r\n" + b"".join(b"+" + d.hex().encode() + b"\r\n" for d in want)
    assert dbg.raw("DEBUG", "DIGEST-VALUE") == b"*0\r\n"
    keys = spread_keys(20)
    for k in keys:
        dbg.raw("SET", k, k)
    assert dbg.value("DEBUG", "DIGEST-VALUE", *keys) == \
        [value_digest(k.encode()).hex() for k in keys]


@pytest.mark.restart
def test_debug_object(dbg):
    assert dbg.raw("SET", "k", "hello") == OK
    assert dbg.raw("SET", "n", "123") == OK
    assert dbg.raw("SET", "n2", "12345") == OK
    assert dbg.raw("SET", "neg", "-5") == OK
    pat = rb"\+Value at:0x[0-9a-f]+ refcount:%s encoding:%s serializedlength:%d lru:\d+ lru_seconds_idle:\d+\r\n"
    assert re.fullmatch(pat % (b"1", b"embstr", 6), dbg.raw("DEBUG", "OBJECT", "k"))
    assert re.fullmatch(pat % (b"2147483647", b"int", 2), dbg.raw("DEBUG", "OBJECT", "n"))
    assert re.fullmatch(pat % (b"1", b"int", 3), dbg.raw("DEBUG", "OBJECT", "n2"))
    assert re.fullmatch(pat % (b"1", b"int", 2), dbg.raw("DEBUG", "OBJECT", "neg"))
    for k in spread_keys(16):
        dbg.raw("SET", k, "v")
        assert re.fullmatch(pat % (b"1", b"embstr", 2), dbg.raw("DEBUG", "OBJECT", k))
    assert dbg.raw("DEBUG", "OBJECT", "nokey") == err("ERR no such key")


@pytest.mark.restart
def test_debug_sleep(dbg, server):
    t = time.monotonic()
    assert dbg.raw("DEBUG", "SLEEP", "0.3") == OK
    assert time.monotonic() - t >= 0.3
    assert dbg.raw("DEBUG", "SLEEP", "0") == OK
    assert dbg.raw("DEBUG", "SLEEP", "x") == OK


@pytest.mark.restart
def test_debug_set_active_expire(dbg):
    keys = spread_keys(40)
    assert dbg.raw("DEBUG", "SET-ACTIVE-EXPIRE", "0") == OK
    for k in keys:
        assert dbg.raw("SET", k, "v", "PX", "1") == OK
    time.sleep(0.5)
    # nothing expired them in the background: the keys are still counted
    assert dbg.raw("DBSIZE") == integer(40)
    assert dbg.raw("DEBUG", "SET-ACTIVE-EXPIRE", "1") == OK
    assert wait_until(lambda: dbg.raw("DBSIZE") == integer(0), timeout=5)


@pytest.mark.restart
def test_debug_errors(dbg):
    sub = "ERR unknown subcommand or wrong number of arguments for '%s'. Try DEBUG HELP."
    assert dbg.raw("DEBUG", "FOO") == err(sub % "FOO")
    assert dbg.raw("DEBUG", "object") == err(sub % "object")
    assert dbg.raw("DEBUG", "OBJECT", "a", "b") == err(sub % "OBJECT")
    assert dbg.raw("DEBUG", "SLEEP") == err(sub % "SLEEP")
    assert dbg.raw("DEBUG", "DIGEST", "x") == err(sub % "DIGEST")
    assert dbg.raw("DEBUG", "SET-ACTIVE-EXPIRE") == err(sub % "SET-ACTIVE-EXPIRE")
    help_ = dbg.value("DEBUG", "HELP")
    assert help_[0] == "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert help_[-2:] == ["HELP", "    Prints this help."]


# Redis's DEBUG HELP lines for the subcommands kevy's DEBUG answers, in
# Redis's order (Redis lists 52 subcommands; the rest answer "unknown
# subcommand" on kevy, so kevy does not list them).
DEBUG_HELP_KEVY = [
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "LOADAOF",
    "    Flush the AOF buffers on disk and reload the AOF in memory.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load, but",
    "      conflicting keys will generate an exception and kill the server.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "    Examples:",
    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
    "      the database.",
    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
    "      existing RDB file.",
    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
    "      file to the database.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "HELP",
    "    Prints this help.",
]


@pytest.mark.restart
def test_debug_help_lines_are_redis_lines(dbg):
    """Whatever DEBUG HELP lists is Redis's own text (a subset on kevy)."""
    help_ = dbg.value("DEBUG", "HELP")
    for i, line in enumerate(DEBUG_HELP_KEVY):
        assert line in help_, line
        if i and not line.startswith(" "):
            at = help_.index(line)
            nxt = DEBUG_HELP_KEVY[i + 1]
            assert help_[at + 1] == nxt


@pytest.mark.restart
@pytest.mark.kevy_only
def test_debug_help_lists_what_debug_answers(dbg):
    help_ = dbg.value("DEBUG", "HELP")
    assert help_ == DEBUG_HELP_KEVY
    unknown = "ERR unknown subcommand or wrong number of arguments for '%s'. Try DEBUG HELP."
    listed = [line.split(" ")[0] for line in help_[1:] if not line.startswith(" ")]
    calls = {"DIGEST": [], "DIGEST-VALUE": ["k"], "LOADAOF": [], "OBJECT": ["k"],
             "RELOAD": [], "SET-ACTIVE-EXPIRE": ["1"], "SLEEP": ["0"], "HELP": []}
    assert sorted(listed) == sorted(calls)
    for sub, args in calls.items():
        reply = dbg.raw("DEBUG", sub, *args)
        assert not reply.startswith(b"-ERR unknown subcommand"), (sub, reply)
    assert dbg.raw("DEBUG", "STRUCTSIZE") == err(unknown % "STRUCTSIZE")
    assert dbg.raw("DEBUG", "POPULATE", "10") == err(unknown % "POPULATE")


@pytest.mark.restart
def test_debug_digest_value_of_sorted_sets(dbg):
    # Values taken from Redis 7.0.15 for the same data: each element digest
    # goes in through SHA1 (xorDigest), in either encoding.
    assert dbg.raw("ZADD", "z", "1.5", "m", "2", "n") == integer(2)
    assert dbg.raw("ZADD", "inf", "inf", "a", "-inf", "b", "0", "c") == integer(3)
    args = []
    for i in range(1, 201):
        args += ["%d.25" % i, "member%d" % i]
    assert dbg.raw("ZADD", "big", *args) == integer(200)
    assert dbg.value("OBJECT", "ENCODING", "big") == b"skiplist"
    assert dbg.value("DEBUG", "DIGEST-VALUE", "z", "big", "inf") == [
        "908aeffe4e922542b456cb5c8f5b1961a763d7dd",
        "7492c63d8cf702cb738c314c7f5be892f49a1675",
        "46134459c6a9364a3944c9eee3fa301502e6bbfa"]
