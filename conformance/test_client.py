"""CLIENT: ID SETNAME GETNAME LIST INFO KILL PAUSE UNPAUSE NO-EVICT REPLY
TRACKINGINFO HELP, and HELLO SETNAME. Several connections are opened so
that on a sharded server they live on different shards: LIST and KILL see
every shard, PAUSE holds clients everywhere."""

import re
import threading
import time

import pytest

from conftest import IMPL
from helpers import NIL, NULL3, OK, SYNTAX, bulk, err, integer, wait_until
from resp_client import Verbatim

LINE = re.compile(
    r"id=(\d+) addr=(\S+):(\d+) laddr=(\S+):(\d+) fd=(-?\d+) name=(\S*) age=(\d+) idle=(\d+) "
    r"flags=([A-Za-z]+) db=(\d+) sub=0 psub=0 ssub=0 multi=-1 qbuf=(\d+) qbuf-free=(\d+) "
    r"argv-mem=(\d+) multi-mem=0 rbs=(\d+) rbp=(\d+) obl=(\d+) oll=(\d+) omem=(\d+) "
    r"tot-mem=(\d+) events=(r|rw|w) cmd=(\S+) user=default redir=-1 resp=([23])")

NAME_ERR = err("ERR Client names cannot contain spaces, newlines or special characters.")


def parse_list(text):
    if isinstance(text, bytes):
        text = text.decode()
    assert text.endswith("\n")
    out = []
    for line in text[:-1].split("\n"):
        m = LINE.fullmatch(line)
        assert m, line
        out.append(dict(kv.split("=", 1) for kv in line.split(" ")))
    return out


def client_id(c):
    return c.value("CLIENT", "ID")


# -------------------------------------------------------------- identity

def test_id_is_unique_and_positive(connect):
    ids = [client_id(connect()) for _ in range(6)]
    assert all(isinstance(i, int) and i > 0 for i in ids)
    assert len(set(ids)) == 6


def test_setname_getname(raw, raw3):
    assert raw.raw("CLIENT", "GETNAME") == NIL
    assert raw3.raw("CLIENT", "GETNAME") == NULL3
    assert raw.raw("CLIENT", "SETNAME", "worker-1") == OK
    assert raw.raw("CLIENT", "GETNAME") == bulk("worker-1")
    assert raw.raw("CLIENT", "SETNAME", "") == OK
    assert raw.raw("CLIENT", "GETNAME") == NIL
    for bad in ("a b", "a\nb", "\x01", "é", "a\x7f"):
        assert raw.raw("CLIENT", "SETNAME", bad) == NAME_ERR
    assert raw.raw("CLIENT", "SETNAME") == err("ERR wrong number of arguments for 'client|setname' command")
    assert raw.raw("CLIENT", "GETNAME", "x") == err("ERR wrong number of arguments for 'client|getname' command")


def test_hello_setname_keeps_the_name(raw):
    raw.call("HELLO", "2", "SETNAME", "via-hello")
    assert raw.raw("CLIENT", "GETNAME") == bulk("via-hello")
    assert raw.raw("HELLO", "2", "SETNAME", "bad name") == NAME_ERR
    assert raw.raw("CLIENT", "GETNAME") == bulk("via-hello")


def test_unknown_subcommand_and_arity(raw):
    assert raw.raw("CLIENT") == err("ERR wrong number of arguments for 'client' command")
    assert raw.raw("CLIENT", "FOO") == err("ERR unknown subcommand 'FOO'. Try CLIENT HELP.")
    assert raw.raw("CLIENT", "ID", "x") == err("ERR wrong number of arguments for 'client|id' command")


# ---------------------------------------------------------- LIST and INFO

def test_info_line(raw, raw3):
    raw.raw("CLIENT", "SETNAME", "me")
    raw.raw("SELECT", "3")
    info = raw.value("CLIENT", "INFO")
    (me,) = parse_list(info)
    assert me["id"] == str(client_id(raw))
    assert me["name"] == "me" and me["db"] == "3" and me["flags"] == "N"
    assert me["cmd"] == "client|info" and me["resp"] == "2"
    assert me["qbuf"] == "26" and me["argv-mem"] == "10"
    value, wire = raw3.call("CLIENT", "INFO")
    assert isinstance(value, Verbatim) and value.format == b"txt"
    assert wire.startswith(b"=%d\r\ntxt:id=" % (len(value) + 4))
    assert parse_list(value)[0]["resp"] == "3"


def test_list_sees_every_connection_in_id_order(raw, connect):
    others = [connect() for _ in range(10)]
    for i, c in enumerate(others):
        assert c.raw("CLIENT", "SETNAME", "c%d" % i) == OK
    clients = parse_list(raw.value("CLIENT", "LIST"))
    ids = [int(c["id"]) for c in clients]
    if IMPL == "redis":
        # Redis lists its clients list as it is: clientsCron rotates it (a
        # few clients per call), so the order is by id only until the cron
        # reaches a client. kevy merges its shards' lists by id.
        assert len(set(ids)) == len(ids)
    else:
        assert ids == sorted(ids)
    byid = {c["id"]: c for c in clients}
    for i, c in enumerate(others):
        line = byid[str(client_id(c))]
        assert line["name"] == "c%d" % i
        assert line["cmd"] in ("client|setname", "client|id")
    mine = byid[str(client_id(raw))]
    assert mine["cmd"] == "client|list"


def test_list_filters(raw, connect):
    a, b = connect(), connect()
    ida, idb = client_id(a), client_id(b)
    # in argument order, as often as asked for
    got = parse_list(raw.value("CLIENT", "LIST", "ID", str(idb), str(ida), "999999", str(idb)))
    assert [int(c["id"]) for c in got] == [idb, ida, idb]
    assert parse_list(raw.value("CLIENT", "LIST", "TYPE", "normal"))
    for t in ("pubsub", "master", "replica", "slave", "PUBSUB"):
        assert raw.raw("CLIENT", "LIST", "TYPE", t) == b"$0\r\n\r\n"
    assert raw.raw("CLIENT", "LIST", "TYPE", "foo") == err("ERR Unknown client type 'foo'")
    assert raw.raw("CLIENT", "LIST", "ID", "1", "x") == err("ERR Invalid client ID")
    assert raw.raw("CLIENT", "LIST", "ID") == SYNTAX
    assert raw.raw("CLIENT", "LIST", "foo") == SYNTAX
    assert raw.raw("CLIENT", "LIST", "TYPE", "normal", "x") == SYNTAX


def test_list_resp3_is_verbatim(raw3):
    value, wire = raw3.call("CLIENT", "LIST")
    assert isinstance(value, Verbatim) and value.format == b"txt"
    assert parse_list(value)


# ------------------------------------------------------------------- KILL

def test_kill_by_id_on_any_shard(raw, connect):
    victims = [connect() for _ in range(8)]
    for v in victims:
        assert raw.raw("CLIENT", "KILL", "ID", str(client_id(v))) == integer(1)
        assert v.is_closed()
    assert raw.raw("CLIENT", "KILL", "ID", "999999") == integer(0)
    assert raw.raw("PING") == b"+PONG\r\n"


def test_kill_by_addr_old_and_new_form(raw, connect):
    v1, v2 = connect(), connect()
    addr1 = parse_list(v1.value("CLIENT", "INFO"))[0]["addr"]
    addr2 = parse_list(v2.value("CLIENT", "INFO"))[0]["addr"]
    assert raw.raw("CLIENT", "KILL", addr1) == OK
    assert v1.is_closed()
    assert raw.raw("CLIENT", "KILL", addr1) == err("ERR No such client")
    assert raw.raw("CLIENT", "KILL", "ADDR", addr2) == integer(1)
    assert v2.is_closed()
    assert raw.raw("CLIENT", "KILL", "ADDR", addr2) == integer(0)


def test_kill_by_laddr_and_skipme(raw, connect):
    laddr = parse_list(raw.value("CLIENT", "INFO"))[0]["laddr"]
    victims = [connect() for _ in range(5)]
    for v in victims:
        assert v.raw("PING") == b"+PONG\r\n"
    # every client but the caller (SKIPME yes); earlier tests' clients may
    # still be on their way out, so at least the five
    assert raw.value("CLIENT", "KILL", "LADDR", laddr) >= 5
    for v in victims:
        assert v.is_closed()
    assert raw.raw("PING") == b"+PONG\r\n"
    assert wait_until(lambda: len(parse_list(raw.value("CLIENT", "LIST"))) == 1)
    assert raw.raw("CLIENT", "KILL", "LADDR", "1.2.3.4:5") == integer(0)


def test_kill_myself(raw):
    me = str(client_id(raw))
    assert raw.raw("CLIENT", "KILL", "ID", me) == integer(0)
    assert raw.raw("CLIENT", "KILL", "ID", me, "SKIPME", "no") == integer(1)
    assert raw.is_closed()


def test_kill_myself_old_form(raw):
    addr = parse_list(raw.value("CLIENT", "INFO"))[0]["addr"]
    assert raw.raw("CLIENT", "KILL", addr) == OK
    assert raw.is_closed()


def test_kill_type_and_user(raw, connect):
    v = connect()
    assert raw.raw("CLIENT", "KILL", "TYPE", "pubsub") == integer(0)
    assert raw.raw("CLIENT", "KILL", "TYPE", "master") == integer(0)
    assert raw.raw("CLIENT", "KILL", "TYPE", "replica") == integer(0)
    assert raw.raw("CLIENT", "KILL", "ID", str(client_id(v)), "TYPE", "normal",
                   "USER", "default") == integer(1)
    assert v.is_closed()


@pytest.mark.parametrize("args,reply", [
    (["ID", "x"], err("ERR client-id should be greater than 0")),
    (["ID", "0"], err("ERR client-id should be greater than 0")),
    (["ID", "-1"], err("ERR client-id should be greater than 0")),
    (["TYPE", "foo"], err("ERR Unknown client type 'foo'")),
    (["TYPE", "normal", "SKIPME", "maybe"], SYNTAX),
    (["USER", "nobody"], err("ERR No such user 'nobody'")),
    (["MAXAGE", "100"], SYNTAX),
    (["foo", "bar"], SYNTAX),
    (["ID", "1", "TYPE"], SYNTAX),
    (["ID"], err("ERR No such client")),
    (["1.2.3.4:5"], err("ERR No such client")),
])
def test_kill_errors(raw, args, reply):
    assert raw.raw("CLIENT", "KILL", *args) == reply


def test_kill_arity(raw):
    assert raw.raw("CLIENT", "KILL") == err("ERR wrong number of arguments for 'client|kill' command")


# ------------------------------------------------------------------ PAUSE

def _timed(c, *args):
    t = time.monotonic()
    reply = c.raw(*args)
    return reply, time.monotonic() - t


def test_pause_write_holds_writes_everywhere(raw, connect):
    clients = [connect() for _ in range(6)]
    assert raw.raw("CLIENT", "PAUSE", "400", "WRITE") == OK
    # reads and non-keyspace commands go on
    for c in clients:
        reply, dt = _timed(c, "GET", "k")
        assert reply == NIL and dt < 0.3
    reply, dt = _timed(clients[0], "SET", "k", "v")
    assert reply == OK and dt > 0.2
    for c in clients[1:]:
        reply, dt = _timed(c, "SET", "k", "v")
        assert reply == OK


def test_pause_all_holds_everything(raw, connect):
    other = connect()
    assert raw.raw("CLIENT", "PAUSE", "300") == OK
    reply, dt = _timed(other, "PING")
    assert reply == b"+PONG\r\n" and dt > 0.15


def test_unpause_releases_at_once(raw, connect):
    others = [connect() for _ in range(4)]
    assert raw.raw("CLIENT", "PAUSE", "20000", "WRITE") == OK
    for c in others:
        c.send("SET", "k", "v")
    time.sleep(0.2)
    t = time.monotonic()
    assert raw.raw("CLIENT", "UNPAUSE") == OK
    for c in others:
        assert c.read()[1] == OK
    assert time.monotonic() - t < 5


def test_pause_errors(raw):
    assert raw.raw("CLIENT", "PAUSE", "x") == err("ERR timeout is not an integer or out of range")
    assert raw.raw("CLIENT", "PAUSE", "1.5") == err("ERR timeout is not an integer or out of range")
    assert raw.raw("CLIENT", "PAUSE", "-1") == err("ERR timeout is negative")
    assert raw.raw("CLIENT", "PAUSE", "100", "foo") == err("ERR CLIENT PAUSE mode must be WRITE or ALL")
    assert raw.raw("CLIENT", "PAUSE", "100", "write", "x") == err(
        "ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.")
    assert raw.raw("client", "pause", "100", "write", "x") == err(
        "ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP.")
    assert raw.raw("CLIENT", "PAUSE") == err("ERR wrong number of arguments for 'client|pause' command")
    assert raw.raw("CLIENT", "UNPAUSE", "x") == err("ERR wrong number of arguments for 'client|unpause' command")
    assert raw.raw("CLIENT", "PAUSE", "0") == OK
    assert raw.raw("CLIENT", "UNPAUSE") == OK


def test_unknown_and_wrong_arity_commands_are_not_paused(raw, connect):
    other = connect()
    assert raw.raw("CLIENT", "PAUSE", "500", "WRITE") == OK
    reply, dt = _timed(other, "NOSUCHCOMMAND")
    assert reply.startswith(b"-ERR unknown command") and dt < 0.3
    reply, dt = _timed(other, "SET", "k")
    assert reply == err("ERR wrong number of arguments for 'set' command") and dt < 0.3
    assert raw.raw("CLIENT", "UNPAUSE") == OK


# ----------------------------------------------------------- REPLY, misc

def test_reply_off_skip_on(raw):
    raw.send("CLIENT", "REPLY", "OFF")
    raw.send("SET", "a", "1")
    raw.send("GET", "a")
    raw.send("CLIENT", "REPLY", "ON")
    assert raw.read()[1] == OK
    raw.send("CLIENT", "REPLY", "SKIP")
    raw.send("GET", "a")
    assert raw.raw("GET", "a") == bulk("1")
    # SKIP while OFF changes nothing
    raw.send("CLIENT", "REPLY", "OFF")
    raw.send("CLIENT", "REPLY", "SKIP")
    raw.send("PING")
    assert raw.raw("CLIENT", "REPLY", "ON") == OK
    assert raw.raw("PING") == b"+PONG\r\n"
    assert raw.raw("CLIENT", "REPLY", "foo") == SYNTAX
    assert raw.raw("CLIENT", "REPLY") == err("ERR wrong number of arguments for 'client|reply' command")


def test_reply_off_errors_are_silent_too(raw):
    raw.send("CLIENT", "REPLY", "OFF")
    raw.send("NOSUCH")
    raw.send("GET")
    assert raw.raw("CLIENT", "REPLY", "ON") == OK


def test_no_evict(raw):
    assert raw.raw("CLIENT", "NO-EVICT", "on") == OK
    assert parse_list(raw.value("CLIENT", "INFO"))[0]["flags"] == "e"
    assert raw.raw("CLIENT", "NO-EVICT", "OFF") == OK
    assert parse_list(raw.value("CLIENT", "INFO"))[0]["flags"] == "N"
    assert raw.raw("CLIENT", "NO-EVICT", "x") == SYNTAX


def test_trackinginfo(raw, raw3):
    assert raw.raw("CLIENT", "TRACKINGINFO") == (
        b"*6\r\n" + bulk("flags") + b"*1\r\n" + bulk("off") + bulk("redirect") + b":-1\r\n"
        + bulk("prefixes") + b"*0\r\n")
    assert raw3.raw("CLIENT", "TRACKINGINFO") == (
        b"%3\r\n" + bulk("flags") + b"~1\r\n" + bulk("off") + bulk("redirect") + b":-1\r\n"
        + bulk("prefixes") + b"*0\r\n")


HELP = [
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "HELP",
    "    Prints this help.",
]


def test_help(raw):
    assert raw.raw("CLIENT", "HELP") == \
        b"*48\r\n" + b"".join(b"+" + line.encode() + b"\r\n" for line in HELP)


def test_list_from_many_threads(server, connect):
    """CLIENT LIST while other connections come and go stays well formed."""
    stop = threading.Event()
    main = connect()

    def churn():
        while not stop.is_set():
            c = connect()
            c.raw("PING")
            c.close()

    t = threading.Thread(target=churn)
    t.start()
    try:
        for _ in range(30):
            parse_list(main.value("CLIENT", "LIST"))
    finally:
        stop.set()
        t.join()
    assert wait_until(lambda: len(parse_list(main.value("CLIENT", "LIST"))) >= 1)
