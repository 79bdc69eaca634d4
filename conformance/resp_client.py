"""A raw RESP2/RESP3 client for byte-exact conformance tests.

redis-py hides the wire: it folds RESP3 types together and raises on errors.
This client sends exact bytes, reads exactly one reply at a time and returns
both a typed Python value and the raw bytes the server sent for it.

Decoded types (one per RESP type, so tests can tell them apart):
  +simple      -> str                      -error / !blob error -> RespError
  :integer     -> int                      $bulk      -> bytes
  $-1 / *-1 / _  -> None (the raw bytes say which one)
  *array       -> list                     %map       -> Map (an ordered dict)
  ~set         -> RSet (a list, server order kept)
  >push        -> Push (a list)            ,double    -> Double (a float)
  #bool        -> bool                     (bignum    -> BigNum (an int)
  =verbatim    -> Verbatim (bytes, with .format such as b"txt")
  |attribute   -> read and dropped; the value it annotates is returned
"""

import socket
import time


class RespError(Exception):
    """An error reply. Returned as a value, never raised by read()."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message  # str, without the leading '-' and the CRLF

    def __eq__(self, other):
        return isinstance(other, RespError) and other.message == self.message

    def __hash__(self):
        return hash(self.message)

    def __repr__(self):
        return "RespError(%r)" % self.message


class Map(dict):
    """RESP3 map; keys that are arrays become tuples so they can be hashed."""


class RSet(list):
    """RESP3 set, in the order the server sent it."""


class Push(list):
    """RESP3 out-of-band push."""


class Double(float):
    """RESP3 double."""


class BigNum(int):
    """RESP3 big number."""


class Verbatim(bytes):
    """RESP3 verbatim string; .format is the three-byte type, e.g. b"txt"."""

    def __new__(cls, fmt, data):
        obj = super().__new__(cls, data)
        obj.format = fmt
        return obj


class ServerClosed(Exception):
    """The server closed the connection while a reply was expected."""


class ProtocolViolation(Exception):
    """The server sent bytes that are not valid RESP."""


def encode(args):
    """Encode one command (a list of bytes/str/int) as a RESP multibulk."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n" % len(a))
        out.append(a)
        out.append(b"\r\n")
    return b"".join(out)


def _hashable(v):
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, dict):
        return tuple((k, _hashable(x)) for k, x in v.items())
    return v


class RespClient:
    def __init__(self, host, port, timeout=10.0, sock=None):
        self.host = host
        self.port = port
        self.timeout = timeout
        if sock is None:
            sock = socket.create_connection((host, port), timeout=timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        else:
            sock.settimeout(timeout)
        self.sock = sock
        self._buf = bytearray()
        self._pos = 0

    @classmethod
    def from_socket(cls, sock, timeout=10.0):
        """Wrap an already connected socket (used to test the client itself)."""
        return cls(None, None, timeout, sock)

    # ------------------------------------------------------------ writing

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, *args):
        """Send one command: send("SET", "k", b"v")."""
        self.send_raw(encode(list(args)))

    def send_many(self, commands):
        """Send many commands (lists of args) in one write."""
        self.send_raw(b"".join(encode(list(c)) for c in commands))

    # ------------------------------------------------------------ reading

    def _fill(self):
        try:
            chunk = self.sock.recv(1 << 18)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            raise ServerClosed("connection closed by server")
        self._buf += chunk

    def _line(self):
        while True:
            i = self._buf.find(b"\r\n", self._pos)
            if i >= 0:
                line = bytes(self._buf[self._pos : i])
                self._pos = i + 2
                return line
            self._fill()

    def _exact(self, n):
        while len(self._buf) - self._pos < n + 2:
            self._fill()
        data = bytes(self._buf[self._pos : self._pos + n])
        if self._buf[self._pos + n : self._pos + n + 2] != b"\r\n":
            raise ProtocolViolation("bulk not followed by CRLF")
        self._pos += n + 2
        return data

    def _value(self):
        line = self._line()
        if not line:
            raise ProtocolViolation("empty line")
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode("utf-8", "surrogateescape")
        if t == b"-":
            return RespError(rest.decode("utf-8", "surrogateescape"))
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self._value() for _ in range(n)]
        if t == b"_":
            return None
        if t == b",":
            return Double(float(rest))
        if t == b"#":
            if rest not in (b"t", b"f"):
                raise ProtocolViolation("bad boolean %r" % rest)
            return rest == b"t"
        if t == b"(":
            return BigNum(int(rest))
        if t == b"!":
            return RespError(self._exact(int(rest)).decode("utf-8", "surrogateescape"))
        if t == b"=":
            data = self._exact(int(rest))
            if data[3:4] != b":":
                raise ProtocolViolation("verbatim without format")
            return Verbatim(data[:3], data[4:])
        if t == b"%":
            m = Map()
            for _ in range(int(rest)):
                k = self._value()
                m[_hashable(k)] = self._value()
            return m
        if t == b"~":
            return RSet(self._value() for _ in range(int(rest)))
        if t == b">":
            return Push(self._value() for _ in range(int(rest)))
        if t == b"|":
            for _ in range(2 * int(rest)):
                self._value()
            return self._value()
        raise ProtocolViolation("unknown reply type %r" % line)

    def read(self):
        """Read exactly one reply: (decoded value, raw bytes)."""
        if self._pos > 1 << 16:  # drop consumed bytes, only between replies
            del self._buf[: self._pos]
            self._pos = 0
        start = self._pos
        value = self._value()
        raw = bytes(self._buf[start : self._pos])
        return value, raw

    def read_many(self, n):
        return [self.read() for _ in range(n)]

    # --------------------------------------------------------- conveniences

    def call(self, *args):
        """Send one command, return (value, raw)."""
        self.send(*args)
        return self.read()

    def value(self, *args):
        return self.call(*args)[0]

    def raw(self, *args):
        return self.call(*args)[1]

    def pipeline(self, commands):
        """Send all commands in one write, return their replies in order."""
        self.send_many(commands)
        return self.read_many(len(commands))

    def hello(self, proto=3, *extra):
        value, _ = self.call("HELLO", str(proto), *extra)
        return value

    def pending(self):
        """Bytes received but not yet consumed as replies."""
        return bytes(self._buf[self._pos :])

    def is_closed(self, timeout=3.0):
        """True once the server closes the connection (EOF or reset) within
        `timeout`; False if it stays open. Fails if unexpected data arrives."""
        if self._pos < len(self._buf):
            raise AssertionError("unread reply bytes: %r" % self.pending()[:200])
        deadline = time.monotonic() + timeout
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.sock.settimeout(left)
                try:
                    chunk = self.sock.recv(65536)
                except socket.timeout:
                    return False
                except ConnectionResetError:
                    return True
                if not chunk:
                    return True
                raise AssertionError("unexpected data before close: %r" % chunk[:200])
        finally:
            self.sock.settimeout(self.timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
