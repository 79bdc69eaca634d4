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
        args = [binary, "--port", str(port), "--bind", "127.0.0.1"]
        if IMPL == "redis":
            args += ["--save", "", "--appendonly", "no", "--dir", workdir]
        else:
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


# ----------------------------------------------------------------- markers


def pytest_collection_modifyitems(config, items):
    if not TARGET:
        return
    skip = pytest.mark.skip(reason="needs a dedicated server with its own flags; "
                                   "not possible with KEVY_TARGET=%s" % TARGET)
    for item in items:
        if "restart" in item.keywords:
            item.add_marker(skip)


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def server():
    if TARGET:
        host, _, port = TARGET.rpartition(":")
        yield Server(host.strip("[]") or "127.0.0.1", int(port))
        return
    srv = start_server()
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
