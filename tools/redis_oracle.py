"""Talk to a real redis-server as the oracle for generated tables: start a
throwaway one on a free port (or use a given host:port), send commands over a
raw socket and parse RESP2/RESP3 replies while keeping each value's exact byte
span, so callers can copy Redis's bytes verbatim. Stdlib only."""

import os
import shutil
import socket
import subprocess
import tempfile
import time


class RespError(Exception):
    pass


class Node:
    """One parsed reply: kind is the RESP type byte ('*', '%', '$', ...);
    value is bytes for scalars, a list of Nodes for aggregates (a map holds
    2n children, key then value), None for nulls. raw is the exact bytes."""

    __slots__ = ("kind", "value", "raw")

    def __init__(self, kind, value, raw):
        self.kind = kind
        self.value = value
        self.raw = raw

    def text(self):
        return self.value.decode() if isinstance(self.value, bytes) else None

    def pairs(self):
        """Key/value Node pairs of a map (or of a flat RESP2 array)."""
        v = self.value
        return [(v[i], v[i + 1]) for i in range(0, len(v), 2)]

    def __repr__(self):
        return "Node(%r, %r)" % (self.kind, self.value)


_AGG = {"*", "%", "~", ">", "|"}


def parse(buf, pos=0):
    """Parse one complete reply at buf[pos:]. Returns (Node, end) or raises
    IndexError when the buffer holds only part of a reply."""
    start = pos
    nl = buf.index(b"\r\n", pos)
    kind = chr(buf[pos])
    line = buf[pos + 1:nl]
    pos = nl + 2
    if kind in "+-:(,#":
        return Node(kind, line, buf[start:pos]), pos
    if kind == "_":
        if line:
            raise RespError("bad null")
        return Node(kind, None, buf[start:pos]), pos
    if kind in "$=!":
        n = int(line)
        if n < 0:
            return Node(kind, None, buf[start:pos]), pos
        if len(buf) < pos + n + 2:
            raise IndexError("short bulk")
        if buf[pos + n:pos + n + 2] != b"\r\n":
            raise RespError("bulk not terminated")
        return Node(kind, buf[pos:pos + n], buf[start:pos + n + 2]), pos + n + 2
    if kind in _AGG:
        n = int(line)
        if n < 0:
            return Node(kind, None, buf[start:pos]), pos
        count = 2 * n if kind in "%|" else n
        items = []
        for _ in range(count):
            item, pos = parse(buf, pos)
            items.append(item)
        return Node(kind, items, buf[start:pos]), pos
    raise RespError("unknown type byte %r" % kind)


def parse_exact(data):
    """Parse bytes that must hold exactly one reply."""
    node, end = parse(data, 0)
    if end != len(data):
        raise RespError("trailing bytes after reply")
    return node


def encode_command(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    """A blocking raw connection; call() returns the reply Node."""

    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def call(self, *args):
        self.sock.sendall(encode_command(args))
        while True:
            if self.buf:
                try:
                    node, end = parse(self.buf, 0)
                except (IndexError, ValueError):
                    node = None
                if node is not None:
                    self.buf = self.buf[end:]
                    return node
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise RespError("connection closed")
            self.buf += chunk

    def close(self):
        self.sock.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Oracle:
    """Context manager yielding (host, port) of a Redis: the one named by
    addr ("host:port") or a private redis-server started for the occasion."""

    def __init__(self, addr=None, redis_bin=None):
        self.addr = addr
        self.redis_bin = redis_bin or shutil.which("redis-server") or "redis-server"
        self.proc = None
        self.tmp = None

    def __enter__(self):
        if self.addr:
            host, _, port = self.addr.rpartition(":")
            return host or "127.0.0.1", int(port)
        self.tmp = tempfile.mkdtemp(prefix="kevy-oracle-")
        port = free_port()
        self.proc = subprocess.Popen(
            [self.redis_bin, "--port", str(port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.tmp],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while True:
            try:
                c = Conn("127.0.0.1", port, timeout=1)
                c.call("PING")
                c.close()
                return "127.0.0.1", port
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    self.__exit__(None, None, None)
                    raise RespError("redis-server did not start on port %d" % port)
                time.sleep(0.05)

    def __exit__(self, *exc):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        return False


def server_version(conn):
    """redis_version from INFO server."""
    info = conn.call("INFO", "server").value.decode()
    for line in info.splitlines():
        if line.startswith("redis_version:"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def repo_root():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
