"""Fixtures for the kevy conformance suite: server lifecycle and clients.

Environment:
  KEVY_TARGET=host:port  use that running server; `restart` tests are skipped.
  KEVY_IMPL=kevy|redis   which binary the fixtures start (default kevy).
  KEVY_SERVER_BIN=path   the binary (default: <repo>/build/kevy-server).
  KEVY_SHARDS=N          shards for kevy (default 2).
A started server is stopped at the end and the session fails if it exited
non-zero or its log shows a sanitizer report.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import redis

from resp_client import RespClient

HERE = os.path.dirname(os.path.abspath(__file__))
SANITIZER_MARKS = ("AddressSanitizer", "ThreadSanitizer", "runtime error:", "LeakSanitizer")
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


def _env(name, default=None):
    v = os.environ.get(name, "")
    return v if v.strip() else default


TARGET = _env("KEVY_TARGET")
IMPL = _env("KEVY_IMPL", "kevy")
SHARDS = int(_env("KEVY_SHARDS", "2"))


def _server_bin():
    if IMPL == "redis":
        return _env("KEVY_SERVER_BIN") or shutil.which("redis-server") or "redis-server"
    return _env("KEVY_SERVER_BIN") or os.path.join(os.path.dirname(HERE), "build", "kevy-server")


# ------------------------------------------------------------------ servers


class Server:
    """A server the suite talks to: started by us (proc set) or a target."""

    def __init__(self, host, port, proc=None, workdir=None, logpath=None, impl=IMPL):
        self.host = host
        self.port = port
        self.proc = proc
        self.workdir = workdir
        self.logpath = logpath
        self.impl = impl
        self.returncode = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def log(self):
        if not self.logpath or not os.path.exists(self.logpath):
            return ""
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_exit(self, timeout=STOP_TIMEOUT):
        """Wait for the process to exit on its own; return its status."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.returncode = None
        return self.returncode

    def stop(self):
        """SIGTERM, then SIGKILL after a timeout; return a list of problems."""
        if self.proc is None:
            return []
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.returncode = self.proc.returncode
                return ["server did not exit %gs after SIGTERM (killed)" % STOP_TIMEOUT]
        self.returncode = self.proc.returncode
        return self.problems()

    def problems(self):
        out = []
        if self.returncode not in (0, None):
            out.append("server exited with status %s" % self.returncode)
        text = self.log()
        for mark in SANITIZER_MARKS:
            if mark in text:
                out.append("server log contains %r" % mark)
        return out

    def cleanup(self):
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pings(host, port):
    try:
        with socket.create_connection((host, port), timeout=1.0) as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            return s.recv(64) == b"+PONG\r\n"
    except OSError:
        return False


def _port_clash(text):
    t = text.lower()
    return "address already in use" in t or "eaddrinuse" in t


def start_server(extra_args=()):
    """Start a server on a free port in a fresh temp dir; retry port clashes."""
    binary = _server_bin()
    if not os.path.exists(binary) and not shutil.which(binary):
        pytest.fail("server binary not found: %s (set KEVY_SERVER_BIN or build it)" % binary)
    last = ""
    for _ in range(5):
        port = _free_port()
        workdir = tempfile.mkdtemp(prefix="kevy-conf-")
        logpath = os.path.join(workdir, "server.log")
        # No save points and the temp dir: a test that wants persistence
        # passes its own --save / --dir (they come later and win).
        args = [binary, "--port", str(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", workdir]
        if IMPL != "redis":
            args += ["--shards", str(SHARDS)]
        args += [str(a) for a in extra_args]
        with open(logpath, "wb") as log:
            proc = subprocess.Popen(args, cwd=workdir, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT)
        srv = Server("127.0.0.1", port, proc, workdir, logpath)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            if _pings("127.0.0.1", port):
                return srv
            time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        last = srv.log()
        srv.cleanup()
        if not _port_clash(last):
            pytest.fail("server did not answer PING within %gs (status %s): %s\n--- log ---\n%s"
                        % (START_TIMEOUT, proc.returncode, " ".join(args), last))
    pytest.fail("server could not get a free port after 5 tries\n--- log ---\n%s" % last)


# -------------------------------------------------- compatibility report

REPORT = _env("KEVY_COMPAT_REPORT")
_report_records = []
_report_identity = [None]


def _install_recorder():
    """Note every command the tests send (see compat.py)."""
    send_raw = RespClient.send_raw
    pack = redis.connection.Connection.pack_command

    def send_raw_recorded(self, data):
        compat.record_bytes(data)
        return send_raw(self, data)

    def pack_recorded(self, *args):
        compat.record(args)
        return pack(self, *args)

    RespClient.send_raw = send_raw_recorded
    redis.connection.Connection.pack_command = pack_recorded


if REPORT:
    import compat
    _install_recorder()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    if REPORT:
        compat.begin_test()
    yield
    if REPORT:
        item.compat_sent = compat.end_test()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if not REPORT:
        return
    if rep.when == "call" or (rep.when == "setup" and rep.skipped):
        _report_records.append({
            "test": item.nodeid, "name": item.name, "outcome": rep.outcome,
            "message": compat.failure_message(rep) if rep.failed else "",
            "sent": sorted(getattr(item, "compat_sent", ())),
        })


def pytest_sessionfinish(session, exitstatus):
    if not REPORT:
        return
    identity = getattr(session.config, "kevy_target", None) or _report_identity[0] or ("", "")
    report = compat.build(_report_records, compat.load_universe(), TARGET or "", identity)
    compat.write(REPORT, report)


# ----------------------------------------------------------------- markers


def target_identity(host, port):
    """What answers at host:port: ("kevy", version) when its INFO server
    has kevy's own fields, else ("redis", redis_version) or ("unknown", "").
    Decides whether kevy-only tests run against a TARGET."""
    try:
        with RespClient(host, port, timeout=5) as c:
            body = c.value("INFO", "server")
    except Exception as e:  # noqa: BLE001 - the run fails later, loudly
        return "unknown", repr(e)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    fields = dict(line.split(":", 1) for line in body.split("\r\n") if ":" in line)
    if "kevy_version" in fields:
        return "kevy", fields["kevy_version"]
    if "redis_version" in fields:
        return "redis", fields["redis_version"]
    return "unknown", ""


def pytest_collection_modifyitems(config, items):
    if not TARGET:
        return
    host, _, port = TARGET.rpartition(":")
    impl, version = target_identity(host.strip("[]") or "127.0.0.1", int(port))
    config.kevy_target = (impl, version)
    skip = pytest.mark.skip(reason="needs a dedicated server with its own flags; "
                                   "not possible with KEVY_TARGET=%s" % TARGET)
    not_kevy = pytest.mark.skip(reason="kevy-only: the target is %s %s, not kevy"
                                       % (impl, version))
    for item in items:
        if "restart" in item.keywords:
            item.add_marker(skip)
        elif "kevy_only" in item.keywords and impl != "kevy":
            item.add_marker(not_kevy)


def pytest_report_header(config):
    if TARGET:
        return "target: %s (identified at collection)" % TARGET
    return "server: %s started per session (KEVY_IMPL=%s, %d shards)" % (_server_bin(), IMPL,
                                                                          SHARDS)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not TARGET:
        return
    impl, version = getattr(config, "kevy_target", ("unknown", ""))
    left = [r for r in terminalreporter.stats.get("skipped", [])
            if "kevy-only" in str(getattr(r, "longrepr", ""))]
    restart = [r for r in terminalreporter.stats.get("skipped", [])
               if "dedicated server" in str(getattr(r, "longrepr", ""))]
    terminalreporter.write_line(
        "target %s answers as %s %s: %d kevy-only tests left out%s; %d left out that need a "
        "server started with their own flags" % (TARGET, impl, version, len(left),
                                                 "" if impl != "kevy" else " (none: it is kevy)",
                                                 len(restart)))


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def server():
    if TARGET:
        host, _, port = TARGET.rpartition(":")
        yield Server(host.strip("[]") or "127.0.0.1", int(port))
        return
    srv = start_server()
    if REPORT:
        _report_identity[0] = target_identity(srv.host, srv.port)
    yield srv
    problems = srv.stop()
    log = srv.log()
    srv.cleanup()
    if problems:
        pytest.fail("; ".join(problems) + "\n--- server log ---\n" + log[-20000:])


@pytest.fixture
def server_factory():
    """start(*flags) -> Server: a dedicated server with extra `--name value`
    flags, stopped (and checked like the session server) after the test."""
    if TARGET:
        pytest.skip("dedicated servers cannot be started with KEVY_TARGET set")
    started = []

    def start(*flags):
        srv = start_server(flags)
        started.append(srv)
        return srv

    yield start
    problems = []
    for srv in started:
        for p in srv.stop():
            problems.append("%s\n--- server log ---\n%s" % (p, srv.log()[-20000:]))
        srv.cleanup()
    if problems:
        pytest.fail("\n".join(problems))


SHARED_FIXTURES = ("server", "r", "raw", "raw3", "r3", "connect")


@pytest.fixture(autouse=True)
def _clean_state(request):
    """Every test that talks to the shared server starts on an empty one."""
    if not any(n in request.fixturenames for n in SHARED_FIXTURES):
        yield
        return
    srv = request.getfixturevalue("server")
    with RespClient(srv.host, srv.port) as c:
        value, raw = c.call("FLUSHALL")
        assert raw == b"+OK\r\n", raw
    yield


@pytest.fixture
def r(server):
    client = redis.Redis(host=server.host, port=server.port, decode_responses=False,
                         socket_timeout=30)
    yield client
    client.close()
    client.connection_pool.disconnect()


@pytest.fixture
def connect(server):
    """connect(proto=2) -> a new RespClient (HELLO 3 sent when proto=3)."""
    clients = []

    def make(proto=2):
        c = RespClient(server.host, server.port)
        clients.append(c)
        if proto == 3:
            hello = c.hello(3)
            assert hello[b"proto"] == 3, hello
        return c

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def raw(connect):
    """A raw RESP2 client."""
    return connect(2)


@pytest.fixture
def raw3(connect):
    """A raw client switched to RESP3 (redis-py 4.3.4 cannot speak RESP3)."""
    return connect(3)


@pytest.fixture
def r3(raw3):
    return raw3


@pytest.fixture
def users(raw):
    """ACL tests: the users a test names (append them) are deleted after it,
    and the default user, requirepass, acl-pubsub-default and the ACL log
    put back."""
    made = []
    yield made
    c = RespClient(raw.host, raw.port)
    try:
        for u in made:
            c.call("ACL", "DELUSER", u)
        c.call("CONFIG", "SET", "requirepass", "")
        c.call("CONFIG", "SET", "acl-pubsub-default", "resetchannels")
        assert c.raw("ACL", "SETUSER", "default", "on", "nopass", "allkeys", "allchannels",
                     "+@all", "clearselectors") == b"+OK\r\n"
        c.call("ACL", "LOG", "RESET")
    finally:
        c.close()
