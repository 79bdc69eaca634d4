"""ACL, the rest of Redis 7.0's behaviour: first-argument rules for commands
without subcommands ("+select|0": how they are kept, described, checked,
dry-run and logged), Pub/Sub clients disconnected when their user's
channels no longer cover what they subscribed to (subscribers spread over
the shards), and CONFIG REWRITE writing the users as "user" lines.

Every test deletes the users it made (the shared server is reused)."""

import os
import subprocess
import tempfile
import time

import pytest

from conftest import IMPL, SHARDS, Server, _free_port, _pings, _server_bin
from helpers import OK, array, bulk, err, integer, wait_until
from helpers import sha256_hex as sha
from resp_client import RespClient, ServerClosed

NOPERM_SELECT = err("NOPERM this user has no permissions to run the 'select' command")
NOPERM_GET = err("NOPERM this user has no permissions to run the 'get' command")
PONG2 = b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"  # PING in RESP2's subscribed context


def commands_of(c, name):
    v = c.value("ACL", "GETUSER", name)
    return v[v.index(b"commands") + 1]


def list_line(c, name):
    for line in c.value("ACL", "LIST"):
        if line.startswith(b"user %s " % name.encode()):
            return line
    return None


# ------------------------------------------------- first-argument rules

@pytest.mark.parametrize("rules, commands", [
    (["+select|0"], "-@all +select|0"),
    (["+select|0", "+SELECT|1", "+select|0", "+Select|A", "+select|a"],
     "-@all +select|0 +select|1 +select|A"),
    (["+get|x"], "-@all +get|x"),
    (["+select", "+select|0"], "-@all +select"),          # kept, not shown
    (["+select", "+select|0", "-select"], "-@all"),       # -select drops them
    (["+select|0", "-select"], "-@all"),
    (["+select|0", "+@connection"], "-@all +@connection"),
    (["+select|0", "-@connection"], "-@all"),              # a category holding it
    (["+select|0", "-@keyspace"], "-@all +select|0"),      # one that does not
    (["+select|0", "-get"], "-@all +select|0"),
    (["+select|0", "allcommands"], "+@all"),
    (["+select|0", "nocommands"], "-@all"),
    (["+select|0", "-@all"], "-@all"),
    (["+select|0", "+@all", "-select"], "+@all -select"),
    (["+@all", "-select", "+select|0"], "+@all -select +select|0"),
    (["+@all", "-select", "+select|0", "-@connection"], "+@all -@connection"),
    (["+@all", "-select", "+select|0", "+select"], "+@all"),
    (["+select|0", "+@fast", "-select"], "-@all +@fast -select"),
    (["+@all", "-debug", "+debug|object", "+DEBUG|Object"], "+@all -debug +debug|object"),
    (["+CLIENT|KILL"], "-@all +client|kill"),               # a subcommand, not a first arg
])
def test_first_arg_rules_described(raw, users, rules, commands):
    users.append("fa")
    assert raw.raw("ACL", "SETUSER", "fa", "reset", *rules) == OK
    assert commands_of(raw, "fa") == commands.encode()
    assert list_line(raw, "fa") == ("user fa off sanitize-payload resetchannels %s"
                                    % commands).encode()


def test_first_arg_rules_in_selectors(raw, users):
    users.append("fa")
    assert raw.raw("ACL", "SETUSER", "fa", "+select|0", "(+select|1 ~x)") == OK
    assert list_line(raw, "fa") == (b"user fa off resetchannels -@all +select|0 "
                                    b"(~x resetchannels -@all +select|1)")
    assert raw.raw("ACL", "SETUSER", "fa", "+select") == OK
    assert list_line(raw, "fa") == (b"user fa off resetchannels -@all +select "
                                    b"(~x resetchannels -@all +select|1)")
    assert raw.raw("ACL", "DRYRUN", "fa", "SELECT", "5") == OK
    assert raw.raw("ACL", "SETUSER", "fa", "-select") == OK
    assert raw.raw("ACL", "DRYRUN", "fa", "SELECT", "1") == OK  # the selector's
    assert raw.raw("ACL", "DRYRUN", "fa", "SELECT", "0") == bulk(
        "This user has no permissions to run the 'select' command")


@pytest.mark.parametrize("rule, why", [
    ("-select|0", "Unknown command or category name in ACL"),
    ("+select|", "Syntax error"),
    ("-select|", "Unknown command or category name in ACL"),
    ("+config|get|x", "Allowing first-arg of a subcommand is not supported"),
    ("+client|kill|x", "Allowing first-arg of a subcommand is not supported"),
    ("-client|kill|x", "Unknown command or category name in ACL"),
    ("+select|0|1", "Unknown command or category name in ACL"),
    ("+nosuch|x", "Unknown command or category name in ACL"),
    ("+config|nosuch", "Unknown command or category name in ACL"),
    ("+config|", "Syntax error"),
    ("+|x", "Unknown command or category name in ACL"),
    ("+select||0", "Unknown command or category name in ACL"),
])
def test_first_arg_rule_errors(raw, users, rule, why):
    users.append("fa")
    assert raw.raw("ACL", "SETUSER", "fa", "+get", rule) == err(
        "ERR Error in ACL SETUSER modifier '%s': %s" % (rule, why))
    assert raw.raw("ACL", "GETUSER", "fa") == b"$-1\r\n"  # nothing made


def test_first_arg_rules_at_command_time(raw, connect, users):
    users.append("fa")
    assert raw.raw("ACL", "SETUSER", "fa", "on", "nopass", "~*", "+select|0", "+get|Foo",
                   "+select|A", "+multi", "+exec") == OK
    assert raw.raw("ACL", "LOG", "RESET") == OK
    c = connect()
    assert c.raw("AUTH", "fa", "x") == OK
    assert c.raw("SELECT", "0") == OK
    assert c.raw("SELECT", "1") == NOPERM_SELECT
    assert c.raw("select", "a") == err("ERR value is not an integer or out of range")
    assert c.raw("GET", "foo") == b"$-1\r\n"  # any case
    assert c.raw("GET", "FOO") == b"$-1\r\n"
    assert c.raw("GET", "fooo") == NOPERM_GET
    assert c.raw("GET", "foo\x00") == b"$-1\r\n"  # compared up to a NUL, as strcasecmp
    assert c.raw("SELECT") == err("ERR wrong number of arguments for 'select' command")
    assert c.raw("SET", "foo", "1") == err(
        "NOPERM this user has no permissions to run the 'set' command")
    for args, ok in [(["SELECT", "0"], True), (["select", "A"], True), (["SELECT", "1"], False),
                     (["GET", "fOO"], True), (["GET", "x"], False)]:
        want = OK if ok else bulk("This user has no permissions to run the '%s' command"
                                  % args[0].lower())
        assert raw.raw("ACL", "DRYRUN", "fa", *args) == want, args
    log = raw.value("ACL", "LOG")
    seen = {(e[e.index(b"object") + 1], e[e.index(b"reason") + 1], e[e.index(b"count") + 1])
            for e in log}
    assert seen == {(b"select", b"command", 1), (b"get", b"command", 1),
                    (b"set", b"command", 1)}
    # MULTI: a denied first argument is refused when queued
    assert c.raw("MULTI") == OK
    assert c.raw("SELECT", "0") == b"+QUEUED\r\n"
    assert c.raw("SELECT", "1") == NOPERM_SELECT
    assert c.raw("EXEC") == err(
        "EXECABORT Transaction discarded because of previous errors.")
    # rules change between queueing and EXEC
    assert c.raw("MULTI") == OK
    assert c.raw("SELECT", "0") == b"+QUEUED\r\n"
    assert raw.raw("ACL", "SETUSER", "fa", "-select") == OK
    assert c.raw("EXEC") == array(err(
        "NOPERM ACLs rules changed between the moment the transaction was accumulated and the "
        "EXEC call. This command is no longer allowed for the following reason: no permission "
        "to execute the command or subcommand"))
    assert raw.raw("ACL", "SETUSER", "fa", "+select|0") == OK
    assert c.raw("SELECT", "0") == OK


# ------------------------------------- subscribers whose channels are cut

def subscriber(connect, user, cmd, *names, proto=2):
    c = connect(proto)
    if user != "default":
        assert c.raw("AUTH", user, "p") == OK
    word = cmd.lower().encode()
    for i, n in enumerate(names):
        frame = b"%s3\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n:%d\r\n" % (
            b">" if proto == 3 else b"*", len(word), word, len(n), n.encode(), i + 1)
        assert c.raw(cmd, n) == frame, (cmd, n)
    return c


def alive(c, proto=2):
    return c.raw("PING") == (PONG2 if proto == 2 else b"+PONG\r\n")


@pytest.mark.parametrize("before, after, subs", [
    # (rules before, rules after, [(command, channel, stays)])
    (["resetchannels", "&foo", "&bar"], ["resetchannels", "&foo"],
     [("SUBSCRIBE", "foo", True), ("SUBSCRIBE", "bar", False), ("PSUBSCRIBE", "foo", True),
      ("SSUBSCRIBE", "bar", False), ("SSUBSCRIBE", "foo", True)]),
    (["allchannels"], ["resetchannels", "&foo"],
     [("SUBSCRIBE", "foo", True), ("SUBSCRIBE", "bar", False), ("PSUBSCRIBE", "f*", False)]),
    (["resetchannels", "&f*"], ["resetchannels", "&foo"],
     [("SUBSCRIBE", "foo", True), ("SUBSCRIBE", "fab", False), ("PSUBSCRIBE", "f*", False)]),
    (["resetchannels", "&f*"], ["resetchannels", "&f*", "&x"],
     [("SUBSCRIBE", "foo", True), ("PSUBSCRIBE", "f*", True)]),
    (["resetchannels", "&a", "&b"], ["resetchannels", "&a", "(&b)"],   # any selector's
     [("SUBSCRIBE", "a", True), ("SUBSCRIBE", "b", True)]),
    (["resetchannels", "&a", "&b"], ["resetchannels", "&a", "(+@all &*)"],
     [("SUBSCRIBE", "a", True), ("SUBSCRIBE", "b", True)]),
    (["resetchannels", "&a", "&b"], ["resetchannels", "&a", "-subscribe"],  # channels only
     [("SUBSCRIBE", "a", True), ("SUBSCRIBE", "b", False)]),
    (["resetchannels", "&a", "&B"], ["resetchannels", "&a", "&b"],     # case matters
     [("SUBSCRIBE", "a", True), ("SUBSCRIBE", "B", False)]),
    (["resetchannels", "&a", "&b"], ["reset"],
     [("SUBSCRIBE", "a", False), ("SUBSCRIBE", "b", False)]),
    (["resetchannels", "&a"], ["on", "nopass", "off", "resetpass", ">p", "-get"],
     [("SUBSCRIBE", "a", True)]),
])
def test_subscribers_cut_off_by_setuser(raw, connect, users, before, after, subs):
    users.append("ps")
    assert raw.raw("ACL", "SETUSER", "ps", "on", ">p", "+@all", "~*", *before) == OK
    cs = [subscriber(connect, "ps", cmd, name) for cmd, name, _ in subs]
    assert raw.raw("ACL", "SETUSER", "ps", *after) == OK
    for c, (cmd, name, stays) in zip(cs, subs):
        if stays:
            assert alive(c), (cmd, name)
        else:
            assert c.is_closed(), (cmd, name)


def test_cut_off_on_every_shard(raw, connect, users):
    """Subscribers spread over the shards: those the new rules leave out are
    closed, and a message published right after SETUSER's reply never
    reaches them; the others, another user's and a client that is not
    subscribed stay."""
    users += ["ps", "other"]
    assert raw.raw("ACL", "SETUSER", "ps", "on", ">p", "+@all", "~*", "resetchannels", "&keep",
                   "&cut") == OK
    assert raw.raw("ACL", "SETUSER", "other", "on", ">p", "+@all", "~*", "resetchannels",
                   "&cut") == OK
    for rnd in range(2):
        cut = [subscriber(connect, "ps", "SUBSCRIBE", "cut", proto=2 + i % 2) for i in range(4)]
        cut += [subscriber(connect, "ps", "SSUBSCRIBE", "cut") for _ in range(2)]
        cut.append(subscriber(connect, "ps", "SUBSCRIBE", "keep", "cut"))
        keep = [subscriber(connect, "ps", "SUBSCRIBE", "keep", proto=2 + i % 2) for i in range(4)]
        keep.append(subscriber(connect, "ps", "PSUBSCRIBE", "keep"))
        others = [subscriber(connect, "other", "SUBSCRIBE", "cut") for _ in range(3)]
        plain = connect()
        assert plain.raw("AUTH", "ps", "p") == OK
        pub = connect()
        assert raw.raw("ACL", "SETUSER", "ps", "resetchannels", "&keep") == OK
        pub.raw("PUBLISH", "cut", "late")  # the counts may still include them (see notes)
        pub.raw("SPUBLISH", "cut", "late")
        for c in cut:
            assert c.is_closed()  # closed, and the message never came
        for c in others:
            assert c.read()[1] == b"*3\r\n$7\r\nmessage\r\n$3\r\ncut\r\n$4\r\nlate\r\n"
            assert alive(c)
        for i, c in enumerate(keep):
            assert alive(c, 2 + i % 2)
        assert plain.raw("PING") == b"+PONG\r\n"
        assert wait_until(lambda: pub.value("PUBSUB", "NUMSUB", "cut") == [b"cut", 3])
        assert pub.raw("PUBLISH", "cut", "x") == integer(3)
        assert pub.raw("PUBSUB", "SHARDNUMSUB", "cut") == array(bulk("cut"), integer(0))
        for c in others:
            assert c.read()[1] == b"*3\r\n$7\r\nmessage\r\n$3\r\ncut\r\n$1\r\nx\r\n"
        for c in cut + keep + others + [plain, pub]:
            c.close()
        assert raw.raw("ACL", "SETUSER", "ps", "&cut") == OK


def test_cut_off_client_does_not_run_its_next_command(raw, connect, users):
    users.append("ps")
    assert raw.raw("ACL", "SETUSER", "ps", "on", ">p", "+@all", "~*", "resetchannels",
                   "&a") == OK
    cs = [subscriber(connect, "ps", "SUBSCRIBE", "a") for _ in range(6)]
    assert raw.raw("ACL", "SETUSER", "ps", "resetchannels") == OK
    for c in cs:
        try:
            c.send("PING")
        except OSError:
            continue
        assert c.is_closed()


def test_default_user_subscribers(raw, connect, users):
    c = subscriber(connect, "default", "SUBSCRIBE", "q")
    d = subscriber(connect, "default", "PSUBSCRIBE", "q*")
    assert raw.raw("ACL", "SETUSER", "default", "resetchannels", "&q") == OK
    assert alive(c)
    assert d.is_closed()
    assert raw.raw("ACL", "SETUSER", "default", "resetchannels") == OK
    assert c.is_closed()
    assert raw.raw("PING") == b"+PONG\r\n"  # raw is the default user's, not subscribed


@pytest.mark.kevy_only
def test_setuser_cutting_off_its_own_client_answers_then_closes(raw, connect, users):
    """Redis 7.0.15 crashes here (it frees the client running the command);
    kevy answers, then closes it, as DELUSER of one's own user does."""
    users.append("ps")
    assert raw.raw("ACL", "SETUSER", "ps", "on", ">p", "+@all", "~*", "resetchannels",
                   "&q") == OK
    c = connect(3)
    assert c.raw("AUTH", "ps", "p") == OK
    assert c.raw("SUBSCRIBE", "q") == b">3\r\n$9\r\nsubscribe\r\n$1\r\nq\r\n:1\r\n"
    assert c.raw("ACL", "SETUSER", "ps", "resetchannels") == OK
    assert c.is_closed()


# ------------------------------------------------------------- ACL LOAD

def start_server(*flags, config=None):
    """A server of our own (config file first, as redis-server wants it)."""
    port = _free_port()
    workdir = tempfile.mkdtemp(prefix="kevy-aclmore-")
    logpath = os.path.join(workdir, "server.log")
    args = [_server_bin()] + ([config] if config else [])
    args += ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", workdir]
    if IMPL == "kevy":
        args += ["--shards", str(SHARDS)]
    args += list(flags)
    with open(logpath, "wb") as log:
        proc = subprocess.Popen(args, cwd=workdir, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT)
    srv = Server("127.0.0.1", port, proc, workdir, logpath)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        if _pings("127.0.0.1", port):
            return srv
        time.sleep(0.05)
    srv.stop()
    pytest.fail("server did not start: %s" % srv.log())


@pytest.fixture
def own():
    started = []

    def start(*flags, config=None):
        srv = start_server(*flags, config=config)
        started.append(srv)
        return srv
    yield start
    problems = []
    for srv in started:
        problems += srv.stop()
        srv.cleanup()
    assert not problems, problems


@pytest.mark.restart
def test_acl_load_keeps_the_default_users_subscribers(own, tmp_path):
    """ACL LOAD disconnects the clients of every user but the default one;
    the default user's subscribers stay even if the file cuts their channel
    (Redis checks channels at SETUSER only), until a SETUSER with channels
    checks them (even one adding a channel: Redis compares the old and the
    new list by pointer), unless the old rules had no channel at all."""
    path = str(tmp_path / "users.acl")

    def load(c, line):
        with open(path, "w") as f:
            f.write(line + "\n")
        assert c.raw("ACL", "LOAD") == OK

    with open(path, "w") as f:
        f.write("user default on nopass ~* &* +@all\n")
    srv = own("--aclfile", path)
    with RespClient(srv.host, srv.port) as a, RespClient(srv.host, srv.port) as d:
        assert d.raw("SUBSCRIBE", "q") == b"*3\r\n$9\r\nsubscribe\r\n$1\r\nq\r\n:1\r\n"
        load(a, "user default on nopass ~* resetchannels &zz +@all")
        assert alive(d)
        assert a.raw("ACL", "SETUSER", "default", "resetchannels", "&zz", "&yy") == OK
        assert d.is_closed()
    with RespClient(srv.host, srv.port) as a, RespClient(srv.host, srv.port) as d:
        load(a, "user default on nopass ~* &* +@all")
        assert d.raw("SUBSCRIBE", "q") == b"*3\r\n$9\r\nsubscribe\r\n$1\r\nq\r\n:1\r\n"
        load(a, "user default on nopass ~* resetchannels +@all")
        assert a.raw("ACL", "SETUSER", "default", "resetchannels", "&yy") == OK
        assert alive(d)  # the old rules had no channel: nothing checked
        assert a.raw("ACL", "SETUSER", "default", "&ww") == OK
        assert d.is_closed()


# ------------------------------------------------------- CONFIG REWRITE

@pytest.mark.restart
def test_config_rewrite_writes_the_users(own, tmp_path):
    """The users replace the file's "user" lines in order (in name order),
    the others are appended after the generated parameters, and a restart
    from the file has the same users."""
    path = str(tmp_path / "kevy.conf")
    with open(path, "w") as f:
        f.write("# top\nsave \"\"\nuser alice on >p ~* +@all\n# middle\nuser bob off\n"
                "user carol on nopass\nhz 11\n")
    srv = own(config=path)
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("ACL", "DELUSER", "carol") == integer(1)
        assert c.raw("ACL", "SETUSER", "zed", "on", ">z", "+select|0", "&ch", "~k*") == OK
        assert c.raw("CONFIG", "REWRITE") == OK
    alice = "user alice on #%s ~* resetchannels +@all" % sha("p")
    bob = "user bob off resetchannels -@all"
    dflt = "user default on nopass ~* &* +@all"
    zed = "user zed on #%s ~k* resetchannels &ch -@all +select|0" % sha("z")
    lines = open(path).read().split("\n")
    assert lines[:7] == ["# top", "save \"\"", alice, "# middle", bob, dflt, "hz 11"]
    assert [ln for ln in lines if ln.startswith("user ")] == [alice, bob, dflt, zed]
    assert lines[-2:] == [zed, ""]
    assert lines.index("# Generated by CONFIG REWRITE") < lines.index(zed)
    srv.stop()
    srv2 = own(config=path)
    dflt = "user default on nopass sanitize-payload ~* &* +@all"
    with RespClient(srv2.host, srv2.port) as c:
        # a config file's line for the default user resets it first
        assert c.raw("ACL", "LIST") == array(bulk(alice), bulk(bob), bulk(dflt), bulk(zed))
        assert c.raw("AUTH", "zed", "z") == OK
        assert c.raw("SELECT", "0") == OK
        assert c.raw("SELECT", "1") == NOPERM_SELECT
        assert c.raw("AUTH", "default", "x") == OK
        assert c.raw("ACL", "DELUSER", "alice", "bob", "zed") == integer(3)
        assert c.raw("CONFIG", "REWRITE") == OK
    users = [ln for ln in open(path).read().split("\n") if ln.startswith("user ")]
    assert users == [dflt]


@pytest.mark.restart
def test_config_rewrite_appends_users_to_a_file_without_any(own, tmp_path):
    path = str(tmp_path / "kevy.conf")
    with open(path, "w") as f:
        f.write("save \"\"\n")
    srv = own(config=path)
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("ACL", "SETUSER", "a b") == err(
            "ERR Usernames can't contain spaces or null characters")
        assert c.raw("ACL", "SETUSER", "amy", "on", "nopass", "+get|x") == OK
        assert c.raw("CONFIG", "REWRITE") == OK
    lines = open(path).read().split("\n")
    gen = lines.index("# Generated by CONFIG REWRITE")
    assert lines[-3:] == ["user amy on nopass resetchannels -@all +get|x",
                          "user default on nopass ~* &* +@all", ""]
    assert gen < len(lines) - 3
