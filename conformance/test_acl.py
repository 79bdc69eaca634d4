"""ACL users: SETUSER rules and their descriptions (GETUSER, LIST), AUTH and
HELLO AUTH with users, NOPERM for commands, keys and channels, DRYRUN, the
ACL log, CAT, GENPASS, requirepass as the default user's password, CLIENT
KILL USER, and users being server-wide: a change made on one connection
holds for clients on every shard at their next command, and a deleted
user's clients are disconnected.

Every test deletes the users it made (the shared server is reused)."""

import hashlib
import os
import subprocess

import pytest

from conftest import IMPL, _free_port, _server_bin
from helpers import OK, array, bulk, err, integer, wait_until
from helpers import sha256_hex as sha
from resp_client import RespClient, ServerClosed

NULL = b"$-1\r\n"


def getuser(c, name):
    return c.raw("ACL", "GETUSER", name)


def user_reply(flags, passwords, commands, keys, channels, selectors=()):
    out = b"*12\r\n" + bulk("flags") + array(*[bulk(f) for f in flags])
    out += bulk("passwords") + array(*[bulk(p) for p in passwords])
    out += bulk("commands") + bulk(commands) + bulk("keys") + bulk(keys)
    out += bulk("channels") + bulk(channels) + bulk("selectors") + b"*%d\r\n" % len(selectors)
    for cmds, ks, chs in selectors:
        out += b"*6\r\n" + bulk("commands") + bulk(cmds) + bulk("keys") + bulk(ks)
        out += bulk("channels") + bulk(chs)
    return out


def login(c, user, password):
    assert c.raw("AUTH", user, password) == OK


# ------------------------------------------------------------ descriptions

def test_default_user(raw, raw3, users):
    assert getuser(raw, "default") == user_reply(["on", "nopass"], [], "+@all", "~*", "&*")
    assert raw.raw("ACL", "WHOAMI") == bulk("default")
    assert raw.raw("ACL", "USERS") == array(bulk("default"))
    assert raw.raw("ACL", "LIST") == array(bulk("user default on nopass ~* &* +@all"))
    assert getuser(raw, "nosuch") == NULL
    v = raw3.value("ACL", "GETUSER", "default")
    assert list(v.keys()) == [b"flags", b"passwords", b"commands", b"keys", b"channels",
                              b"selectors"]
    assert raw3.raw("ACL", "GETUSER", "default").startswith(b"%6\r\n")


def test_new_user_and_rules(raw, users):
    users += ["u1", "foo"]
    assert raw.raw("ACL", "SETUSER", "foo") == OK
    assert getuser(raw, "foo") == user_reply(["off"], [], "-@all", "", "")
    assert raw.raw("ACL", "SETUSER", "u1", "on", ">p1", "+get", "~k*", "&c*", "%W~w*") == OK
    assert getuser(raw, "u1") == user_reply(["on"], [sha("p1")], "-@all +get", "~k* %W~w*", "&c*")
    assert raw.raw("ACL", "LIST") == array(
        bulk("user default on nopass ~* &* +@all"),
        bulk("user foo off resetchannels -@all"),
        bulk("user u1 on #%s ~k* %%W~w* resetchannels &c* -@all +get" % sha("p1")))
    assert raw.raw("ACL", "USERS") == array(bulk("default"), bulk("foo"), bulk("u1"))


@pytest.mark.parametrize("rules, commands", [
    (["+@all", "-config|get"], "+@all -config|get"),
    (["-@all", "+config"], "-@all +config"),
    (["-@all", "+acl", "-acl|setuser"], "-@all +acl -acl|setuser"),
    (["-@all", "+@hyperloglog"], "-@all +@hyperloglog"),
    (["allcommands", "-get"], "+@all -get"),
    (["+@all", "-@dangerous"], "+@all -@dangerous"),
    (["nocommands", "+@read", "-@read"], "-@all"),
    (["-@all", "+@read", "-get"], "-@all +@read -get"),
    (["-@all", "+config|get"], "-@all +config|get"),
])
def test_command_rules_described(raw, users, rules, commands):
    users.append("cr")
    assert raw.raw("ACL", "SETUSER", "cr", *rules) == OK
    assert getuser(raw, "cr") == user_reply(["off"], [], commands, "", "")


def test_flags_passwords_and_patterns(raw, users):
    users.append("u3")
    h = sha("x")
    assert raw.raw("ACL", "SETUSER", "u3", "#" + sha("a"), ">b") == OK
    assert getuser(raw, "u3") == user_reply(["off"], [sha("a"), sha("b")], "-@all", "", "")
    assert raw.raw("ACL", "SETUSER", "u3", "<b", "!" + sha("a")) == OK
    assert getuser(raw, "u3") == user_reply(["off"], [], "-@all", "", "")
    assert raw.raw("ACL", "SETUSER", "u3", ">x", "nopass") == OK
    assert getuser(raw, "u3") == user_reply(["off", "nopass"], [], "-@all", "", "")
    assert raw.raw("ACL", "SETUSER", "u3", ">x") == OK
    assert getuser(raw, "u3") == user_reply(["off"], [h], "-@all", "", "")
    assert raw.raw("ACL", "SETUSER", "u3", "resetpass", "on") == OK
    assert getuser(raw, "u3") == user_reply(["on"], [], "-@all", "", "")
    assert raw.raw("ACL", "SETUSER", "u3", "reset") == OK
    assert getuser(raw, "u3") == user_reply(["off", "sanitize-payload"], [], "-@all", "", "")
    assert raw.raw("ACL", "SETUSER", "u3", "skip-sanitize-payload") == OK
    assert getuser(raw, "u3") == user_reply(["off", "skip-sanitize-payload"], [], "-@all", "", "")
    assert raw.raw("ACL", "SETUSER", "u3", "%RW~q*", "%W~q*", "%R~r*", "~a", "~a", "%R~a") == OK
    assert getuser(raw, "u3") == user_reply(["off", "skip-sanitize-payload"], [], "-@all",
                                            "~q* %R~r* ~a", "")
    assert raw.raw("ACL", "SETUSER", "u3", "allkeys", "allchannels") == OK
    assert getuser(raw, "u3") == user_reply(["off", "skip-sanitize-payload"], [], "-@all", "~*",
                                            "&*")
    assert raw.raw("ACL", "SETUSER", "u3", "resetkeys", "~b", "resetchannels", "&x", "&x") == OK
    assert getuser(raw, "u3") == user_reply(["off", "skip-sanitize-payload"], [], "-@all", "~b",
                                            "&x")
    assert raw.raw("ACL", "LIST").endswith(
        b"user u3 off skip-sanitize-payload ~b resetchannels &x -@all\r\n")


def test_selectors(raw, users):
    users.append("u2")
    assert raw.raw("ACL", "SETUSER", "u2", "on", "nopass", "+@all", "allkeys", "&c*",
                   "(+get ~a*)", "(+set", "%R~b*", "&x)") == OK
    assert getuser(raw, "u2") == user_reply(
        ["on", "nopass"], [], "+@all", "~*", "&c*",
        [("-@all +get", "~a*", ""), ("-@all +set", "%R~b*", "&x")])
    assert raw.raw("ACL", "LIST").endswith(
        b"user u2 on nopass ~* resetchannels &c* +@all (~a* resetchannels -@all +get) "
        b"(%R~b* resetchannels &x -@all +set)\r\n")
    assert raw.raw("ACL", "DRYRUN", "u2", "publish", "zz", "m") == bulk(
        "This user has no permissions to access the 'zz' channel")
    assert raw.raw("ACL", "DRYRUN", "u2", "subscribe", "c1", "zz") == bulk(
        "This user has no permissions to access the 'zz' channel")
    assert raw.raw("ACL", "DRYRUN", "u2", "psubscribe", "c*") == OK
    assert raw.raw("ACL", "DRYRUN", "u2", "psubscribe", "c1*") == bulk(
        "This user has no permissions to access the 'c1*' channel")
    assert raw.raw("ACL", "SETUSER", "u2", "clearselectors") == OK
    assert getuser(raw, "u2") == user_reply(["on", "nopass"], [], "+@all", "~*", "&c*")


def test_acl_pubsub_default(raw, users):
    users += ["pd1", "pd2", "pd3", "pd4"]
    assert raw.raw("CONFIG", "SET", "acl-pubsub-default", "allchannels") == OK
    assert raw.raw("ACL", "SETUSER", "pd1") == OK
    assert raw.raw("ACL", "SETUSER", "pd2", "resetchannels", "reset") == OK
    assert raw.raw("ACL", "SETUSER", "pd3", "(+get)") == OK
    assert raw.raw("CONFIG", "SET", "acl-pubsub-default", "resetchannels") == OK
    assert raw.raw("ACL", "SETUSER", "pd4", "(+get)") == OK
    assert raw.raw("ACL", "LIST") == array(
        bulk("user default on nopass ~* &* +@all"), bulk("user pd1 off &* -@all"),
        bulk("user pd2 off sanitize-payload &* -@all"),
        bulk("user pd3 off &* -@all (&* -@all +get)"),
        bulk("user pd4 off resetchannels -@all (resetchannels -@all +get)"))


def test_selector_grants_what_the_root_does_not(raw, connect, users):
    users.append("sel")
    assert raw.raw("ACL", "SETUSER", "sel", "on", ">p", "+get", "~a*", "(+set ~b*)") == OK
    c = connect()
    login(c, "sel", "p")
    assert c.raw("SET", "b1", "v") == OK
    assert c.raw("GET", "a1") == NULL
    assert c.raw("SET", "a1", "v") == err(
        "NOPERM this user has no permissions to access one of the keys used as arguments")
    assert c.raw("GET", "b1") == err(
        "NOPERM this user has no permissions to access one of the keys used as arguments")
    assert c.raw("DEL", "b1") == err("NOPERM this user has no permissions to run the 'del' command")


def test_setuser_errors(raw, users):
    users += ["e1", "e2"]
    mod = "ERR Error in ACL SETUSER modifier '%s': %s"
    unknown = "Unknown command or category name in ACL"
    cases = [
        ("+nosuch", unknown), ("+@nosuch", unknown), ("-config|nosuch", unknown),
        ("garbage", "Syntax error"), ("%X~a", "Syntax error"), ("%~a", "Syntax error"),
        ("+config|", "Syntax error"),
        ("#abc", "The password hash must be exactly 64 characters and contain only lowercase "
                 "hexadecimal characters"),
        ("!" + sha("a").upper(), "The password hash must be exactly 64 characters and contain "
                                 "only lowercase hexadecimal characters"),
        ("<nope", "The password you are trying to remove from the user does not exist"),
        ("!" + sha("nope"), "The password you are trying to remove from the user does not exist"),
    ]
    for op, msg in cases:
        assert raw.raw("ACL", "SETUSER", "e1", op) == err(mod % (op, msg)), op
    assert getuser(raw, "e1") == NULL  # a failed SETUSER creates nothing
    assert raw.raw("ACL", "SETUSER", "e2", "allkeys", "~x") == err(mod % (
        "~x", "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and "
              "does not have any effect. Try 'resetkeys' to start with an empty list of patterns"))
    assert raw.raw("ACL", "SETUSER", "e2", "allchannels", "&x") == err(mod % (
        "&x", "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid "
              "and does not have any effect. Try 'resetchannels' to start with an empty list of "
              "channels"))
    assert raw.raw("ACL", "SETUSER", "e2", "on", "+get", "+nosuch") == err(
        mod % ("+nosuch", unknown))
    assert getuser(raw, "e2") == NULL  # all or nothing
    assert raw.raw("ACL", "SETUSER", "e2", "(+get") == err(
        "ERR Unmatched parenthesis in acl selector starting at '(+get'.")
    assert raw.raw("ACL", "SETUSER", "e2", "(+nosuch)") == err(mod % ("(+nosuch)", unknown))
    assert raw.raw("ACL", "SETUSER", "u 4", "on") == err(
        "ERR Usernames can't contain spaces or null characters")
    assert raw.raw("ACL", "SETUSER") == err(
        "ERR wrong number of arguments for 'acl|setuser' command")
    assert raw.raw("ACL") == err("ERR wrong number of arguments for 'acl' command")
    assert raw.raw("ACL", "nosuch") == err("ERR unknown subcommand 'nosuch'. Try ACL HELP.")


# -------------------------------------------------------- authentication

def test_auth_with_users(raw, connect, users):
    users.append("u1")
    assert raw.raw("ACL", "SETUSER", "u1", "on", ">p1", "+get", "+acl|whoami", "~k*") == OK
    c = connect()
    wrong = err("WRONGPASS invalid username-password pair or user is disabled.")
    assert c.raw("AUTH", "u1", "bad") == wrong
    assert c.raw("AUTH", "nosuch", "bad") == wrong
    assert c.raw("AUTH", "x") == err(
        "ERR AUTH <password> called without any password configured for the default user. "
        "Are you sure your configuration is correct?")
    assert c.raw("ACL", "WHOAMI") == bulk("default")
    login(c, "u1", "p1")
    assert c.raw("ACL", "WHOAMI") == bulk("u1")
    assert c.raw("AUTH", "default", "anything") == OK  # nopass takes any password
    assert c.raw("ACL", "WHOAMI") == bulk("default")
    assert raw.raw("ACL", "SETUSER", "u1", "off") == OK
    assert c.raw("AUTH", "u1", "p1") == wrong
    assert raw.raw("ACL", "SETUSER", "u1", "on", "nopass") == OK
    assert c.raw("AUTH", "u1", "whatever") == OK


def test_hello_auth(raw, connect, users):
    users.append("hu")
    assert raw.raw("ACL", "SETUSER", "hu", "on", ">p", "+@all", "~*") == OK
    c = connect()
    assert c.raw("HELLO", "3", "AUTH", "hu", "bad") == err(
        "WRONGPASS invalid username-password pair or user is disabled.")
    v = c.value("HELLO", "3", "AUTH", "hu", "p")
    assert v[b"proto"] == 3
    assert c.raw("ACL", "WHOAMI") == bulk("hu")


def test_noperm_replies(raw, connect, users):
    users.append("u1")
    assert raw.raw("ACL", "SETUSER", "u1", "on", ">p1", "+get", "+publish", "+subscribe",
                   "+psubscribe", "+multi", "+exec", "+set", "+config|get", "~k*", "&c*") == OK
    c = connect()
    login(c, "u1", "p1")
    keys = err("NOPERM this user has no permissions to access one of the keys used as arguments")
    chans = err("NOPERM this user has no permissions to access one of the channels used as "
                "arguments")
    assert c.raw("GET", "k1") == NULL
    assert c.raw("GET", "x") == keys
    assert c.raw("DEL", "k1") == err("NOPERM this user has no permissions to run the 'del' command")
    assert c.raw("CONFIG", "SET", "x", "y") == err(
        "NOPERM this user has no permissions to run the 'config|set' command")
    assert c.value("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"0"]
    assert c.raw("ACL", "WHOAMI") == err(
        "NOPERM this user has no permissions to run the 'acl|whoami' command")
    assert c.raw("GET") == err("ERR wrong number of arguments for 'get' command")
    assert c.raw("PUBLISH", "zz", "m") == chans
    assert c.raw("PUBLISH", "c1", "m") == integer(0)
    assert c.raw("PSUBSCRIBE", "c1*") == chans
    assert c.raw("SUBSCRIBE", "c1", "zz") == chans
    assert c.raw("MULTI") == OK
    assert c.raw("SET", "x", "1") == keys
    assert c.raw("GET", "k") == b"+QUEUED\r\n"
    assert c.raw("EXEC") == err("EXECABORT Transaction discarded because of previous errors.")


def test_read_and_write_key_patterns(raw, connect, users):
    users.append("rw")
    assert raw.raw("ACL", "SETUSER", "rw", "on", ">p", "+@all", "%R~r*", "%W~w*") == OK
    c = connect()
    login(c, "rw", "p")
    keys = err("NOPERM this user has no permissions to access one of the keys used as arguments")
    assert c.raw("SET", "w1", "v") == OK
    assert c.raw("GET", "w1") == keys
    assert c.raw("GET", "r1") == NULL
    assert c.raw("SET", "r1", "v") == keys
    assert c.raw("SET", "w1", "v", "GET") == keys
    assert c.raw("EXISTS", "w1") == integer(1)  # no ACCESS flag: any pattern will do
    assert raw.raw("ACL", "DRYRUN", "rw", "copy", "r1", "w2") == OK
    assert raw.raw("ACL", "DRYRUN", "rw", "copy", "w1", "w2") == bulk(
        "This user has no permissions to access the 'w1' key")


def test_dryrun(raw, users):
    users.append("u1")
    assert raw.raw("ACL", "SETUSER", "u1", "on", ">p1", "+get", "~k*", "&c*") == OK
    assert raw.raw("ACL", "DRYRUN", "u1", "get", "k1") == OK
    assert raw.raw("ACL", "DRYRUN", "u1", "get", "x1") == bulk(
        "This user has no permissions to access the 'x1' key")
    assert raw.raw("ACL", "DRYRUN", "u1", "set", "k1", "v") == bulk(
        "This user has no permissions to run the 'set' command")
    assert raw.raw("ACL", "DRYRUN", "u1", "config", "get", "x") == bulk(
        "This user has no permissions to run the 'config|get' command")
    assert raw.raw("ACL", "DRYRUN", "nosuch", "get", "x") == err("ERR User 'nosuch' not found")
    assert raw.raw("ACL", "DRYRUN", "u1", "nosuchcmd") == err("ERR Command 'nosuchcmd' not found")
    assert raw.raw("ACL", "DRYRUN", "u1", "config", "nosuch") == err(
        "ERR Command 'config' not found")
    assert raw.raw("ACL", "DRYRUN", "u1", "get") == err(
        "ERR wrong number of arguments for 'get' command")
    assert raw.raw("ACL", "DRYRUN", "u1", "config") == err(
        "ERR wrong number of arguments for 'config' command")
    assert raw.raw("ACL", "DRYRUN", "u1") == err(
        "ERR wrong number of arguments for 'acl|dryrun' command")


# ------------------------------------------------------------------ log

def log_entry(v):
    assert list(v.keys()) == [b"count", b"reason", b"context", b"object", b"username",
                              b"age-seconds", b"client-info"]
    return (v[b"count"], v[b"reason"], v[b"context"], v[b"object"], v[b"username"])


def test_acl_log(raw, raw3, connect, users):
    users.append("lu")
    assert raw.raw("ACL", "LOG", "RESET") == OK
    assert raw.raw("ACL", "SETUSER", "lu", "on", ">p", "+get", "+set", "+multi", "~k*") == OK
    c = connect()
    assert c.raw("auth", "lu", "bad") == err(
        "WRONGPASS invalid username-password pair or user is disabled.")
    assert c.raw("HELLO", "2", "AUTH", "nosuch", "p")[:10] == b"-WRONGPASS"
    login(c, "lu", "p")
    c.call("GET", "x")
    c.call("GET", "x")
    c.call("DEL", "k")
    c.call("MULTI")
    c.call("SET", "y", "1")
    entries = [log_entry(e) for e in raw3.value("ACL", "LOG")]
    assert entries == [
        (1, b"key", b"multi", b"y", b"lu"),
        (1, b"command", b"toplevel", b"del", b"lu"),
        (2, b"key", b"toplevel", b"x", b"lu"),
        (1, b"auth", b"toplevel", b"HELLO", b"nosuch"),
        (1, b"auth", b"toplevel", b"auth", b"lu"),
    ]
    v = raw.value("ACL", "LOG", "1")
    assert len(v) == 1 and v[0][0:2] == [b"count", 1]
    info = v[0][13]
    assert info.startswith(b"id=") and b" user=lu " in info and not info.endswith(b"\n")
    assert isinstance(v[0][11], bytes) and float(v[0][11]) < 5
    assert raw.raw("ACL", "LOG", "-1") == b"*0\r\n"
    assert raw.raw("ACL", "LOG", "x") == err("ERR value is not an integer or out of range")
    assert raw.raw("ACL", "LOG", "1", "2") == err(
        "ERR unknown subcommand or wrong number of arguments for 'LOG'. Try ACL HELP.")
    assert raw.raw("ACL", "LOG", "reset") == OK
    assert raw.raw("ACL", "LOG") == b"*0\r\n"


# ------------------------------------------------------- the other ones

CATEGORIES = ["keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
              "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
              "blocking", "dangerous", "connection", "transaction", "scripting"]


def test_cat_genpass_help_save_load(raw):
    assert raw.raw("ACL", "CAT") == array(*[bulk(c) for c in CATEGORIES])
    assert sorted(raw.value("ACL", "CAT", "geo")) == sorted(
        [b"geodist", b"georadius_ro", b"geoadd", b"georadiusbymember_ro", b"geosearchstore",
         b"georadius", b"geohash", b"geopos", b"geosearch", b"georadiusbymember"])
    assert b"config|get" in raw.value("ACL", "CAT", "admin")
    assert raw.raw("ACL", "CAT", "nosuch") == err("ERR Unknown category 'nosuch'")
    assert raw.raw("ACL", "CAT", "a", "b") == err(
        "ERR unknown subcommand or wrong number of arguments for 'CAT'. Try ACL HELP.")
    p = raw.value("ACL", "GENPASS")
    assert len(p) == 64 and all(ch in b"0123456789abcdef" for ch in p)
    assert p != raw.value("ACL", "GENPASS")
    assert len(raw.value("ACL", "GENPASS", "5")) == 2
    assert len(raw.value("ACL", "GENPASS", "4096")) == 1024
    bad = err("ERR ACL GENPASS argument must be the number of bits for the output password, "
              "a positive number up to 4096")
    assert raw.raw("ACL", "GENPASS", "0") == bad
    assert raw.raw("ACL", "GENPASS", "4097") == bad
    assert raw.raw("ACL", "GENPASS", "x") == err("ERR value is not an integer or out of range")
    help_ = raw.value("ACL", "HELP")
    assert len(help_) == 29 and help_[0] == "ACL <subcommand> [<arg> [value] [opt] ...]. " \
                                            "Subcommands are:"
    assert help_[-2:] == ["HELP", "    Prints this help."]
    noacl = err("ERR This Redis instance is not configured to use an ACL file. You may want to "
                "specify users via the ACL SETUSER command and then issue a CONFIG REWRITE "
                "(assuming you have a Redis configuration file set) in order to store users in "
                "the Redis configuration.")
    assert raw.raw("ACL", "SAVE") == noacl
    assert raw.raw("ACL", "LOAD") == noacl
    assert raw.raw("ACL", "WHOAMI", "x") == err(
        "ERR wrong number of arguments for 'acl|whoami' command")


def test_deluser(raw, users):
    assert raw.raw("ACL", "DELUSER", "default") == err("ERR The 'default' user cannot be removed")
    assert raw.raw("ACL", "DELUSER", "d1", "default") == err(
        "ERR The 'default' user cannot be removed")
    assert raw.raw("ACL", "SETUSER", "d1") == OK
    assert raw.raw("ACL", "SETUSER", "d2") == OK
    assert raw.raw("ACL", "DELUSER", "d1", "nosuch", "d2", "d1") == integer(2)
    assert raw.raw("ACL", "USERS") == array(bulk("default"))


def test_requirepass_is_the_default_users_password(raw, connect, users):
    assert raw.raw("CONFIG", "SET", "requirepass", "sec") == OK
    assert getuser(raw, "default") == user_reply(["on"], [sha("sec")], "+@all", "~*", "&*")
    c = connect()
    assert c.raw("PING") == err("NOAUTH Authentication required.")
    assert c.raw("AUTH", "sec") == OK
    assert raw.raw("ACL", "SETUSER", "default", ">other") == OK
    assert raw.value("CONFIG", "GET", "requirepass") == [b"requirepass", b"sec"]
    d = connect()
    assert d.raw("AUTH", "other") == OK
    assert d.raw("AUTH", "default", "sec") == OK
    assert raw.raw("ACL", "LIST") == array(bulk(
        "user default on #%s #%s ~* &* +@all" % (sha("sec"), sha("other"))))
    assert raw.raw("CONFIG", "SET", "maxmemory-samples", "5") == OK  # leaves the user alone
    assert getuser(raw, "default") == user_reply(["on"], [sha("sec"), sha("other")], "+@all",
                                                 "~*", "&*")
    assert raw.raw("CONFIG", "SET", "requirepass", "") == OK
    assert getuser(raw, "default") == user_reply(["on", "nopass"], [], "+@all", "~*", "&*")
    assert connect().raw("PING") == b"+PONG\r\n"


def test_client_list_and_kill_user(raw, connect, users):
    users.append("ku")
    assert raw.raw("ACL", "SETUSER", "ku", "on", ">p", "+@all", "~*") == OK
    assert raw.raw("CLIENT", "KILL", "USER", "nosuch") == err("ERR No such user 'nosuch'")
    cs = [connect() for _ in range(3)]
    for c in cs:
        login(c, "ku", "p")
        c.raw("CLIENT", "SETNAME", "kuc")
    lines = [ln for ln in raw.value("CLIENT", "LIST").split(b"\n") if b" name=kuc " in ln]
    assert len(lines) == 3 and all(b" user=ku " in ln for ln in lines)
    assert b" user=default " in raw.value("CLIENT", "INFO")
    assert raw.raw("CLIENT", "KILL", "USER", "ku") == integer(3)
    for c in cs:
        assert c.is_closed()


# ------------------------------------------------------ across shards

def test_permission_change_reaches_every_shard(raw, connect, users):
    """Clients spread over the shards see a SETUSER made elsewhere at their
    next command, and again when it is undone."""
    users.append("sh")
    assert raw.raw("ACL", "SETUSER", "sh", "on", ">p", "+@all", "~*") == OK
    cs = [connect() for _ in range(12)]
    for c in cs:
        login(c, "sh", "p")
        assert c.raw("GET", "k") == NULL
    for rnd in range(3):
        assert raw.raw("ACL", "SETUSER", "sh", "-get") == OK
        for c in cs:
            assert c.raw("GET", "k") == err(
                "NOPERM this user has no permissions to run the 'get' command")
            assert c.raw("SET", "k", "v") == OK
        assert raw.raw("ACL", "SETUSER", "sh", "+get", "resetkeys", "~a*") == OK
        for c in cs:
            assert c.raw("GET", "a") == NULL
            assert c.raw("GET", "k") == err(
                "NOPERM this user has no permissions to access one of the keys used as arguments")
        assert raw.raw("ACL", "SETUSER", "sh", "allkeys") == OK


def test_deleted_user_is_disconnected(raw, connect, users):
    """A user deleted mid-session loses its connections on every shard, idle
    or not; its name made again is another user."""
    users.append("gone")
    assert raw.raw("ACL", "SETUSER", "gone", "on", ">p", "+@all", "~*") == OK
    cs = [connect() for _ in range(8)]
    for c in cs:
        login(c, "gone", "p")
        c.raw("CLIENT", "SETNAME", "gonec")
    keep = connect()
    assert raw.raw("ACL", "DELUSER", "gone") == integer(1)
    assert raw.raw("ACL", "SETUSER", "gone", "on", ">p", "+@all", "~*") == OK
    for c in cs[:4]:  # idle ones: closed without sending anything
        assert c.is_closed()
    for c in cs[4:]:
        try:
            c.send("PING")
            closed = c.is_closed()
        except (ServerClosed, OSError):
            closed = True
        assert closed
    assert wait_until(lambda: b"name=gonec" not in raw.value("CLIENT", "LIST"))
    assert keep.raw("PING") == b"+PONG\r\n"


def test_deleting_ones_own_user_answers_then_closes(raw, connect, users):
    users.append("self")
    assert raw.raw("ACL", "SETUSER", "self", "on", ">p", "+@all", "~*") == OK
    c = connect()
    login(c, "self", "p")
    assert c.raw("ACL", "DELUSER", "self") == integer(1)
    assert c.is_closed()


def test_off_keeps_existing_connections(raw, connect, users):
    users.append("offu")
    assert raw.raw("ACL", "SETUSER", "offu", "on", ">p", "+@all", "~*") == OK
    c = connect()
    login(c, "offu", "p")
    assert raw.raw("ACL", "SETUSER", "offu", "off", "resetpass", ">q") == OK
    assert c.raw("PING") == b"+PONG\r\n"
    assert connect().raw("AUTH", "offu", "q") == err(
        "WRONGPASS invalid username-password pair or user is disabled.")


# -------------------------------------------------------------- scripts

def script_err(msg, body):
    return err("ERR %s script: %s, on @user_script:1." % (
        msg, hashlib.sha1(body.encode()).hexdigest()))


def test_scripts_run_under_the_callers_rules(raw, raw3, connect, users):
    users.append("su")
    assert raw.raw("ACL", "LOG", "RESET") == OK
    assert raw.raw("ACL", "SETUSER", "su", "on", ">p", "+eval", "+get", "+publish", "~k*",
                   "&c*") == OK
    c = connect()
    login(c, "su", "p")
    cmd = "The user executing the script can't run this command or subcommand"
    key = ("The user executing the script can't access at least one of the keys mentioned in "
           "the command arguments")
    chan = "The user executing the script can't publish to the channel mentioned in the command"
    body = "return redis.call('set','k','v')"
    assert c.raw("EVAL", body, "0") == script_err(cmd, body)
    body = "return redis.call('get','x')"
    assert c.raw("EVAL", body, "0") == script_err(key, body)
    assert c.raw("EVAL", "return redis.pcall('get','x')", "0") == err("ERR " + key)
    body = "return redis.call('publish','zz','m')"
    assert c.raw("EVAL", body, "0") == script_err(chan, body)
    assert c.raw("EVAL", "return redis.call('get','k')", "0") == NULL
    # keys on several shards: the calls go through a coordination
    body = "redis.call('get',KEYS[1]) return redis.call('set',KEYS[2],'v')"
    for other in ("k2", "k3", "k4", "k5"):
        assert c.raw("EVAL", body, "2", "k1", other) == script_err(cmd, body)
    assert c.raw("EVAL", "return redis.acl_check_cmd('publish','zz','m')", "0") == NULL
    assert c.raw("EVAL", "return redis.acl_check_cmd('publish','c1','m')", "0") == integer(1)
    assert c.raw("EVAL", "return redis.acl_check_cmd('set','k','v')", "0") == NULL
    assert raw.raw("EVAL", "return redis.acl_check_cmd('set','k','v')", "0") == integer(1)
    entries = [log_entry(e) for e in raw3.value("ACL", "LOG")]
    assert entries == [(5, b"command", b"lua", b"set", b"su"),
                       (1, b"channel", b"lua", b"zz", b"su"),
                       (2, b"key", b"lua", b"x", b"su")]


def test_exec_checks_rules_changed_since_queueing(raw, raw3, connect, users):
    """EXEC runs each queued command only if the rules still allow it, on
    one shard or over several."""
    users.append("ex")
    assert raw.raw("ACL", "LOG", "RESET") == OK
    assert raw.raw("ACL", "SETUSER", "ex", "on", ">p", "+@all", "~*", "&*") == OK
    changed = ("NOPERM ACLs rules changed between the moment the transaction was accumulated and "
               "the EXEC call. This command is no longer allowed for the following reason: ")
    for keys in (["k"], ["k1", "k2", "k3", "k4"]):
        c = connect()
        login(c, "ex", "p")
        assert c.raw("MULTI") == OK
        for k in keys:
            assert c.raw("GET", k) == b"+QUEUED\r\n"
            assert c.raw("SET", "a" + k, "v") == b"+QUEUED\r\n"
        assert c.raw("PUBLISH", "zz", "v") == b"+QUEUED\r\n"
        assert c.raw("DEL", "a" + keys[0]) == b"+QUEUED\r\n"
        assert raw.raw("ACL", "SETUSER", "ex", "resetkeys", "~a*", "resetchannels", "-del") == OK
        want = b""
        for k in keys:
            want += err(changed + "no permission to touch the specified keys") + OK
        want += err(changed + "no permission to access one of the channels used as arguments")
        want += err(changed + "no permission to execute the command or subcommand")
        assert c.raw("EXEC") == b"*%d\r\n" % (2 * len(keys) + 2) + want
        assert raw.raw("ACL", "SETUSER", "ex", "allkeys", "allchannels", "+del") == OK
    entries = [log_entry(e) for e in raw3.value("ACL", "LOG")]
    assert entries[:3] == [(2, b"command", b"multi", b"del", b"ex"),
                           (2, b"channel", b"multi", b"zz", b"ex"),
                           (1, b"key", b"multi", b"k4", b"ex")]


# --------------------------------------------------- the config file's users

@pytest.mark.restart
def test_user_directives(server_factory):
    srv = server_factory("--user", "alice", "on", ">p", "~*", "+@all", "--user", "bob", "+get",
                         "(+set", "~s*)")
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("ACL", "LIST") == array(
            bulk("user alice on #%s ~* resetchannels +@all" % sha("p")),
            bulk("user bob off resetchannels -@all +get (~s* resetchannels -@all +set)"),
            bulk("user default on nopass ~* &* +@all"))
        login(c, "alice", "p")
        assert c.raw("ACL", "WHOAMI") == bulk("alice")


@pytest.mark.restart
def test_user_directive_for_the_default_user(server_factory):
    srv = server_factory("--user", "default", "on", "nopass", "~*", "&*", "+@all", "-flushall")
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("FLUSHALL") == err(
            "NOPERM this user has no permissions to run the 'flushall' command")
        assert c.raw("ACL", "LIST") == array(
            bulk("user default on nopass sanitize-payload ~* &* +@all -flushall"))


@pytest.mark.restart
@pytest.mark.parametrize("flags, why", [
    (["--user", "alice", "on", "badrule"], "Error in user declaration 'alice': Syntax error"),
    (["--user", "alice", "+nosuch"],
     "Error loading ACL rule '+nosuch' for the user named 'alice': Unknown command or category "
     "name in ACL"),
    (["--user", "alice", "on", "--user", "alice", "off"],
     "Error in user declaration 'alice': Duplicate user found. A user can only be defined once "
     "in config files"),
])
def test_bad_user_directives(flags, why):
    args = [_server_bin(), "--port", str(_free_port())] + flags
    if IMPL == "kevy":
        args += ["--shards", "1"]
    out = subprocess.run(args, capture_output=True, timeout=10)
    assert out.returncode == 1
    assert why in (out.stdout + out.stderr).decode()


# ------------------------------------------------------------ the aclfile

@pytest.mark.restart
def test_aclfile_load_and_save(server_factory, tmp_path):
    path = str(tmp_path / "users.acl")
    with open(path, "w") as f:
        f.write("user alice on >p ~* +@all\n\n  user default on nopass ~* &* +@all  \n")
    srv = server_factory("--aclfile", path)
    alice_line = "user alice on #%s ~* resetchannels +@all" % sha("p")
    with RespClient(srv.host, srv.port) as c, RespClient(srv.host, srv.port) as a, \
            RespClient(srv.host, srv.port) as d:
        assert c.raw("ACL", "LIST") == array(bulk(alice_line),
                                             bulk("user default on nopass ~* &* +@all"))
        assert c.raw("ACL", "SETUSER", "bob", "on", ">q", "+get", "(+set ~s*)") == OK
        assert c.raw("ACL", "SAVE") == OK
        bob_line = ("user bob on #%s resetchannels -@all +get (~s* resetchannels -@all +set)"
                    % sha("q"))
        with open(path) as f:
            assert f.read() == "%s\n%s\nuser default on nopass ~* &* +@all\n" % (alice_line,
                                                                                  bob_line)
        bad = [
            ("user alice on >p ~* +@all\nuser carol badrule\nbogus line\n",
             "%s:2: Syntax error. %s:3 should start with user keyword followed by the username. "
             % (path, path)),
            ("user alice on\nuser alice off\n", "WARNING: Duplicate user 'alice' found on line 2. "),
            ("user alice on >p ~* +nosuch\n",
             "%s:1: Error in applying operation '+nosuch': Unknown command or category name in "
             "ACL. " % path),
            ("# comment\n", "%s:1 should start with user keyword followed by the username. " % path),
        ]
        for text, errors in bad:
            with open(path, "w") as f:
                f.write(text)
            assert c.raw("ACL", "LOAD") == err(
                "ERR " + errors + "WARNING: ACL errors detected, no change to the previously "
                "active ACL rules was performed"), text
        assert c.value("ACL", "USERS") == [b"alice", b"bob", b"default"]
        login(a, "alice", "p")
        with open(path, "w") as f:
            f.write("user alice on >p2 ~* +@all\n")
        assert c.raw("ACL", "LOAD") == OK
        assert a.is_closed()  # every user but the default one is new
        assert d.raw("PING") == b"+PONG\r\n"
        assert c.raw("ACL", "LIST") == array(
            bulk("user alice on #%s ~* resetchannels +@all" % sha("p2")),
            bulk("user default on nopass ~* &* +@all"))
        os.remove(path)
        assert c.raw("ACL", "LOAD") == err(
            "ERR Error loading ACLs, opening file '%s': No such file or directory" % path)


@pytest.mark.restart
def test_aclfile_and_user_directives_exclude_each_other(tmp_path):
    path = str(tmp_path / "users.acl")
    with open(path, "w") as f:
        f.write("user alice on\n")
    args = [_server_bin(), "--port", str(_free_port()), "--aclfile", path, "--user", "bob"]
    if IMPL == "kevy":
        args += ["--shards", "1"]
    out = subprocess.run(args, capture_output=True, timeout=10)
    assert out.returncode == 1
    assert ("Configuring Redis with users defined in redis.conf and at the same setting an ACL "
            "file path is invalid.") in (out.stdout + out.stderr).decode()
    args = [_server_bin(), "--port", str(_free_port()), "--aclfile", path + ".nosuch"]
    if IMPL == "kevy":
        args += ["--shards", "1"]
    out = subprocess.run(args, capture_output=True, timeout=10)
    assert out.returncode == 1
    assert "because of ACL errors: Error loading ACLs, opening file '%s.nosuch': No such file or " \
           "directory" % path in (out.stdout + out.stderr).decode()
