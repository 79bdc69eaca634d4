"""Helpers for the persistence tests: RDB (test_persist_rdb.py,
test_persist_restart.py) and AOF (test_aof*.py).

Those tests start their own servers in directories they choose, so that a
second server can load what the first one saved: their `persist` fixture
(a wrapper around persist_servers()) starts them, like conftest.start_server
but with `--dir` (and the working directory) set to a given folder, and
stops and checks them at the end of the test as `server_factory` does.

Every server is started with `--save ''` unless the test passes its own
`--save`, so nothing is saved behind a test's back (Redis and kevy both
default to "3600 1 300 100 60 10000").

The oracle is the real redis-server on PATH (`shutil.which`); the exchange
tests need it and fail, saying so, when it is missing (CI installs it).

Also here: the dataset of every type and encoding, whole-dataset snapshots
(type, encoding, value, absolute expiry of every key in every db), INFO
persistence, waiting for a BGSAVE, and checks on an RDB file's frame; for
the AOF (at the end): the manifests and base/incr files under the AOF
directory in either layout (Redis: `<dir>/<appenddirname>/`; kevy: one such
directory per shard, `<dir>/<appenddirname>/shard-<i>/`), a reader of the
RESP commands in an incr file, redis-check-aof, waiting for a rewrite, and
kill -9 of a server.
"""

import glob
import os
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import time

import pytest

from conftest import (IMPL, SHARDS, START_TIMEOUT, STOP_TIMEOUT, TARGET, Server,
                      _free_port, _pings, _port_clash, _server_bin)
from helpers import crc64, parse_info, wait_until
from resp_client import RespClient

RDB_MAGIC = b"REDIS0010"          # Redis 7.0 writes RDB version 10
DUMP = "dump.rdb"

# 2100-01-01T00:00:00.123Z in ms: far enough that nothing expires.
FAR_MS = 4102444800123

MISCONF = (b"-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
           b"persist to disk. Commands that may modify the data set are disabled, because this "
           b"instance is configured to report errors during writes if RDB snapshotting fails "
           b"(stop-writes-on-bgsave-error option). Please check the Redis logs for details "
           b"about the RDB error.\r\n")

# INFO persistence of Redis 7.0.15 with AOF off, in its order.
PERSISTENCE_FIELDS = [
    "loading", "async_loading", "current_cow_peak", "current_cow_size", "current_cow_size_age",
    "current_fork_perc", "current_save_keys_processed", "current_save_keys_total",
    "rdb_changes_since_last_save", "rdb_bgsave_in_progress", "rdb_last_save_time",
    "rdb_last_bgsave_status", "rdb_last_bgsave_time_sec", "rdb_current_bgsave_time_sec",
    "rdb_saves", "rdb_last_cow_size", "rdb_last_load_keys_expired", "rdb_last_load_keys_loaded",
    "aof_enabled", "aof_rewrite_in_progress", "aof_rewrite_scheduled",
    "aof_last_rewrite_time_sec", "aof_current_rewrite_time_sec", "aof_last_bgrewrite_status",
    "aof_rewrites", "aof_rewrites_consecutive_failures", "aof_last_write_status",
    "aof_last_cow_size", "module_fork_in_progress", "module_fork_last_cow_size",
]


def oracle_bin():
    """The real redis-server (the exchange tests' other side)."""
    binary = shutil.which("redis-server")
    if not binary:
        pytest.fail("redis-server (real Redis 7.0) is not on PATH: the RDB exchange tests load "
                    "files in it and need it (CI installs it; apt-get install redis-server)")
    return binary


def check_rdb_bin():
    binary = shutil.which("redis-check-rdb")
    if not binary:
        pytest.fail("redis-check-rdb is not on PATH (apt-get install redis-tools; CI has it)")
    return binary


# ------------------------------------------------------------------ servers


class Persist:
    """Servers started in chosen directories; see the module docstring."""

    def __init__(self):
        self.root = os.path.realpath(tempfile.mkdtemp(prefix="kevy-persist-"))
        self.servers = []       # (Server, expected to fail)
        self.clients = []
        self.count = 0

    def dir(self, name="data"):
        """A fresh empty directory (realpath) for a server's files."""
        path = os.path.join(self.root, name)
        os.makedirs(path)
        return path

    def _args(self, binary, impl, port, dir, flags, shards):
        flags = [str(f) for f in flags]
        args = [binary, "--port", str(port), "--bind", "127.0.0.1"]
        if impl == "redis":
            args += ["--appendonly", "no"]
        else:
            args += ["--shards", str(shards or SHARDS)]
        args += ["--dir", dir]
        if "--save" not in flags:
            args += ["--save", ""]
        return args + flags

    def _launch(self, dir, flags, impl, binary, shards, cwd):
        self.count += 1
        logpath = os.path.join(self.root, "server-%d-%s.log" % (self.count, impl))
        port = _free_port()
        args = self._args(binary, impl, port, dir, flags, shards)
        with open(logpath, "wb") as log:
            proc = subprocess.Popen(args, cwd=cwd or dir, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT)
        srv = Server("127.0.0.1", port, proc, None, logpath, impl)
        srv.dir = dir
        srv.args = args
        return srv

    def start(self, dir, *flags, impl=None, binary=None, shards=None, cwd=None):
        """Start the server under test (or, with impl="redis" and the oracle's
        binary, a real Redis) with `--dir dir` and `flags`; wait for PING."""
        impl = impl or IMPL
        binary = binary or _server_bin()
        if not os.path.exists(binary) and not shutil.which(binary):
            pytest.fail("server binary not found: %s (set KEVY_SERVER_BIN or build it)" % binary)
        last = ""
        for _ in range(5):
            srv = self._launch(dir, flags, impl, binary, shards, cwd)
            self.servers.append((srv, False))
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline and srv.proc.poll() is None:
                if _pings(srv.host, srv.port):
                    return srv
                time.sleep(0.02)
            if srv.proc.poll() is None:
                srv.proc.kill()
            srv.proc.wait()
            self.servers[-1] = (srv, True)
            last = srv.log()
            if not _port_clash(last):
                pytest.fail("server did not answer PING within %gs (status %s): %s\n--- log ---\n%s"
                            % (START_TIMEOUT, srv.proc.returncode, " ".join(srv.args), last))
        pytest.fail("server could not get a free port after 5 tries\n--- log ---\n%s" % last)

    def oracle(self, dir, *flags):
        """A real Redis 7.0 in `dir` (loads dir/dump.rdb if there is one)."""
        return self.start(dir, *flags, impl="redis", binary=oracle_bin())

    def start_failing(self, dir, *flags, timeout=START_TIMEOUT):
        """Start the server under test expecting it to refuse to start: it must
        exit non-zero without ever answering PING. Returns (status, log)."""
        impl, binary = IMPL, _server_bin()
        for _ in range(5):
            srv = self._launch(dir, flags, impl, binary, None, None)
            self.servers.append((srv, True))
            answered = False
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and srv.proc.poll() is None:
                if _pings(srv.host, srv.port):
                    answered = True
                    break
                time.sleep(0.02)
            if answered or srv.proc.poll() is None:
                srv.proc.kill()
                srv.proc.wait()
                pytest.fail("the server started (answered PING: %s) instead of refusing to"
                            "\n--- log ---\n%s" % (answered, srv.log()))
            log = srv.log()
            if not _port_clash(log):
                return srv.proc.returncode, log
        pytest.fail("server could not get a free port after 5 tries")

    def client(self, srv, timeout=10.0):
        c = RespClient(srv.host, srv.port, timeout=timeout)
        self.clients.append(c)
        return c

    def shutdown(self, srv, *args):
        """SHUTDOWN args on a new connection: the connection is closed and the
        server exits 0."""
        with RespClient(srv.host, srv.port) as c:
            c.send("SHUTDOWN", *args)
            assert c.is_closed(timeout=STOP_TIMEOUT), "SHUTDOWN %s did not close" % (args,)
        status = srv.wait_exit(timeout=STOP_TIMEOUT)
        assert status == 0, "SHUTDOWN %s: exit status %s\n--- log ---\n%s" % (args, status,
                                                                             srv.log()[-5000:])

    def sigterm(self, srv):
        srv.proc.send_signal(signal.SIGTERM)
        status = srv.wait_exit(timeout=STOP_TIMEOUT)
        assert status == 0, "SIGTERM: exit status %s\n--- log ---\n%s" % (status,
                                                                          srv.log()[-5000:])

    @staticmethod
    def _shutdown_nosave(srv):
        """Stop a server still running at the end without saving (a test may
        have left it unable to save, and SIGTERM saves when save points are
        set); SIGTERM follows in stop() if this did not work."""
        if srv.proc.poll() is not None:
            return
        try:
            with RespClient(srv.host, srv.port, timeout=5) as c:
                c.send("SHUTDOWN", "NOSAVE")
                c.is_closed(timeout=5)
            srv.proc.wait(timeout=STOP_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired):
            pass

    def close(self):
        for c in self.clients:
            try:
                c.close()
            except OSError:
                pass
        problems = []
        for srv, failing in self.servers:
            if failing:
                if srv.proc.poll() is None:
                    srv.proc.kill()
                    srv.proc.wait()
                continue
            self._shutdown_nosave(srv)
            for p in srv.stop():
                problems.append("%s (%s)\n--- server log ---\n%s"
                                % (p, " ".join(srv.args), srv.log()[-20000:]))
        shutil.rmtree(self.root, ignore_errors=True)
        return problems


def persist_servers():
    """The body of the test modules' `persist` fixture (a generator):
    yields a Persist (start(dir, *flags), oracle(dir, *flags),
    start_failing(...), dir(name), client(srv), shutdown(srv, *args));
    everything is stopped, checked (exit status, sanitizer reports) and
    removed after the test."""
    if TARGET:
        pytest.skip("persistence tests start their own servers; not possible with KEVY_TARGET")
    p = Persist()
    yield p
    problems = p.close()
    if problems:
        pytest.fail("\n".join(problems))


# --------------------------------------------------------------------- INFO


def persistence(c):
    """INFO persistence as {field: str}."""
    return parse_info(c.value("INFO", "persistence"))["persistence"]


def pinfo(c, field):
    v = persistence(c)[field]
    return int(v) if re.fullmatch(r"-?\d+", v) else v


def wait_bgsave(c, timeout=20.0):
    """Wait until no BGSAVE runs; return INFO persistence read after that.
    On kevy each shard answers its part of one INFO at its own moment, so
    the INFO that first shows the save ended may hold parts from before
    (rdb_changes_since_last_save not yet reset on those shards); one begun
    after it has every part from after."""
    assert wait_until(lambda: persistence(c)["rdb_bgsave_in_progress"] == "0",
                      timeout=timeout, interval=0.02), \
        "BGSAVE still running after %gs" % timeout
    return persistence(c)


# ---------------------------------------------------------------- RDB files


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def check_frame(data, checksum=True):
    """The frame of an RDB file: magic and version, the EOF opcode, then the
    CRC-64 of everything before it (little-endian), or 8 zero bytes when
    saved with rdbchecksum no."""
    assert data[:9] == RDB_MAGIC, data[:9]
    assert len(data) >= 9 + 1 + 8
    assert data[-9] == 0xFF, "no EOF opcode before the checksum: %r" % data[-16:]
    if checksum:
        assert int.from_bytes(data[-8:], "little") == crc64(data[:-8])
    else:
        assert data[-8:] == bytes(8)


def check_rdb(path):
    """redis-check-rdb accepts the file; returns its report."""
    proc = subprocess.run([check_rdb_bin(), path], capture_output=True, timeout=60)
    out = proc.stdout.decode("utf-8", "replace") + proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 0 and "RDB looks OK" in out, out
    return out


def copy_dump(src_dir, dst_dir, name=DUMP, dst_name=DUMP):
    shutil.copyfile(os.path.join(src_dir, name), os.path.join(dst_dir, dst_name))


# ---------------------------------------------------------------- snapshots


def _pairs(flat):
    return [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]


def _keys(c):
    keys, cursor = set(), b"0"
    while True:
        cursor, batch = c.value("SCAN", cursor, "COUNT", "1000")
        keys.update(batch)
        if cursor in (b"0", 0, "0"):
            return sorted(keys)


def snapshot(c, dbs=range(16)):
    """{db: {key: (type, encoding, value, pexpiretime)}} of every non-empty
    db. Values: bytes (string), list (list), sorted list (set), sorted
    (field, value) list (hash), (member, score) list in order (zset). The
    client is left in db 0."""
    out = {}
    for db in dbs:
        assert c.value("SELECT", str(db)) == "OK"
        keys = _keys(c)
        if not keys:
            continue
        types = [v for v, _ in c.pipeline([("TYPE", k) for k in keys])]
        reads = []
        for k, t in zip(keys, types):
            reads.append({
                "string": ("GET", k), "list": ("LRANGE", k, "0", "-1"), "set": ("SMEMBERS", k),
                "hash": ("HGETALL", k), "zset": ("ZRANGE", k, "0", "-1", "WITHSCORES"),
                "stream": ("XRANGE", k, "-", "+"),
            }[t])
            reads.append(("OBJECT", "ENCODING", k))
            reads.append(("PEXPIRETIME", k))
        replies = [v for v, _ in c.pipeline(reads)]
        entries = {}
        for i, (k, t) in enumerate(zip(keys, types)):
            value, enc, exp = replies[3 * i: 3 * i + 3]
            if t == "set":
                value = sorted(value)
            elif t == "hash":
                value = sorted(_pairs(value))
            elif t == "zset":
                value = _pairs(value)
            entries[k] = (t, enc, value, exp)
        out[db] = entries
    assert c.value("SELECT", "0") == "OK"
    return out


def diff(want, got):
    """A short description of how two snapshots differ ('' when equal)."""
    lines = []
    for db in sorted(set(want) | set(got)):
        a, b = want.get(db, {}), got.get(db, {})
        for k in sorted(set(a) - set(b)):
            lines.append("db%d %r: missing" % (db, k))
        for k in sorted(set(b) - set(a)):
            lines.append("db%d %r: unexpected %r" % (db, k, b[k][:2]))
        for k in sorted(set(a) & set(b)):
            if a[k] != b[k]:
                names = ("type", "encoding", "value", "pexpiretime")
                what = [n for n, x, y in zip(names, a[k], b[k]) if x != y]
                lines.append("db%d %r: %s differ: want %s, got %s" % (
                    db, k, "/".join(what), repr(a[k])[:200], repr(b[k])[:200]))
    return "\n".join(lines[:40]) + ("\n... %d more" % (len(lines) - 40) if len(lines) > 40 else "")


def assert_same(want, got):
    d = diff(want, got)
    assert not d, "datasets differ:\n" + d


def total_keys(snap):
    return sum(len(v) for v in snap.values())


# ------------------------------------------------------------------ dataset

BIN_KEY = b"bin\x00key\r\n\xff"


def _ints(n, start=0, step=1):
    return [str(start + i * step) for i in range(n)]


def dataset_commands():
    """Commands that write one value of every type and encoding kevy has,
    with and without TTLs, in dbs 0, 5 and 15."""
    big_list = []
    for i in range(1000):
        big_list.append(str(i * 7919 - 3000000) if i % 3 == 0 else
                        "elem-%d-%s" % (i, "z" * (i % 90)))
    cmds = [
        ("SELECT", "0"),
        # strings: int, embstr, raw, compressible, binary, edge cases
        ("SET", "str:int", "12345"), ("SET", "str:neg", "-9223372036854775808"),
        ("SET", "str:max", "9223372036854775807"), ("SET", "str:small", "7"),
        ("SET", "str:embstr", "hello world"), ("SET", "str:raw", "r" * 100),
        ("SET", "str:big", "kevy-" * 20000), ("SET", "str:bin", bytes(range(256)) * 4),
        ("SET", "str:empty", ""), ("SET", "str:bigint", "123456789012345678901234567890"),
        ("SET", "str:float", "3.14159"), ("SET", "str:lead0", "007"), ("SET", "str:44", "e" * 44),
        ("SET", "str:45", "e" * 45), ("SET", "str:incr", "0"), ("INCRBY", "str:incr", "41"),
        ("SET", "str:app", "ab"), ("APPEND", "str:app", "cd"),
        ("SET", BIN_KEY, "binary key"), ("SET", "", "empty key"),
        ("PFADD", "hll", *("member-%d" % i for i in range(50))),
        ("SETBIT", "bits", "1000", "1"),
        # lists (quicklist in 7.0): small, several nodes, a big element, ints
        ("RPUSH", "list:small", "a", "1", "-2", "b" * 70),
        ("RPUSH", "list:big", *big_list),
        ("RPUSH", "list:ints", *_ints(300, -150)),
        ("LPUSH", "list:bigel", "x" * 10000, "y"),
        # sets: intset, hashtable (strings, many ints, big members)
        ("SADD", "set:intset", "1", "2", "-3", "9223372036854775807", "-9223372036854775808"),
        ("SADD", "set:ht", "a", "b", "c", "1"),
        ("SADD", "set:manyints", *_ints(600, 0, 3)),
        ("SADD", "set:bigmember", "m" * 200, "n"),
        ("SADD", "set:huge", *("member:%d" % i for i in range(17000))),   # 32-bit length
        # hashes: listpack, hashtable (many fields, a long value)
        ("HSET", "hash:lp", "f1", "v1", "f2", "2", "n", "-5", "e", ""),
        ("HSET", "hash:ht", *sum((["field:%d" % i, "value:%d" % i] for i in range(600)), [])),
        ("HSET", "hash:longval", "f", "v" * 100, "g", "1"),
        # zsets: listpack, skiplist (many members, a long member), odd scores
        ("ZADD", "zset:lp", "1", "a", "2.5", "b", "-inf", "c", "inf", "d", "0", "e",
         "-3.75", "f", "1e300", "g", "123456789", "h"),
        ("ZADD", "zset:sl", *sum(([repr(i * 1.25 - 40), "member:%d" % i] for i in range(200)), [])),
        ("ZADD", "zset:longmember", "1", "m" * 100, "2", "short"),
        ("GEOADD", "geo", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"),
        # TTLs, absolute and relative, on every type
        ("SET", "ttl:str", "v"), ("PEXPIREAT", "ttl:str", str(FAR_MS)),
        ("SET", "ttl:int", "42"), ("PEXPIREAT", "ttl:int", str(FAR_MS + 1)),
        ("SET", "ttl:hour", "v", "PX", "3600000"),
        ("PEXPIREAT", "list:big", str(FAR_MS + 2)), ("PEXPIREAT", "set:intset", str(FAR_MS + 3)),
        ("PEXPIREAT", "set:ht", str(FAR_MS + 4)), ("PEXPIREAT", "hash:lp", str(FAR_MS + 5)),
        ("PEXPIREAT", "hash:ht", str(FAR_MS + 6)), ("PEXPIREAT", "zset:lp", str(FAR_MS + 7)),
        ("PEXPIREAT", "zset:sl", str(FAR_MS + 8)), ("PEXPIREAT", "str:big", str(FAR_MS + 9)),
        # another db, with TTLs
        ("SELECT", "5"),
        ("SET", "str:int", "5"), ("SET", "db5:s", "in db 5"), ("PEXPIREAT", "db5:s", str(FAR_MS)),
        ("RPUSH", "db5:l", "x", "y", "z"), ("SADD", "db5:set", "1", "2"),
        ("HSET", "db5:h", "a", "b"), ("ZADD", "db5:z", "1", "one"),
        ("PEXPIREAT", "db5:z", str(FAR_MS + 10)),
        ("SELECT", "15"),
        ("SET", "last", "db"),
        ("SELECT", "0"),
    ]
    # keys spread over every slot (every shard of kevy)
    cmds.append(("MSET", *sum((["spread:%d" % i, "v%d" % i] for i in range(200)), [])))
    return cmds


def shrunk_commands():
    """Values converted to a big encoding and shrunk back: they keep it in
    memory, but a load picks the encoding for their size (see LOAD_ENCODING)."""
    return [
        ("SELECT", "0"),
        ("HSET", "shrunk:hash", *sum((["f%d" % i, "v"] for i in range(600)), [])),
        ("HDEL", "shrunk:hash", *("f%d" % i for i in range(3, 600))),
        ("SADD", "shrunk:set", *_ints(600)),
        ("SREM", "shrunk:set", *_ints(597, 3)),
        ("ZADD", "shrunk:zset", *sum((["1", "m%d" % i] for i in range(200)), [])),
        ("ZREM", "shrunk:zset", *("m%d" % i for i in range(3, 200))),
    ]


# What must hold in the source before it is saved (so the dataset really
# covers these encodings), and the encodings a load gives (Redis 7.0.15:
# a load picks the encoding for the value's size and content).
SOURCE_ENCODING = {
    b"str:int": b"int", b"str:neg": b"int", b"str:max": b"int", b"str:small": b"int",
    b"str:embstr": b"embstr", b"str:raw": b"raw", b"str:big": b"raw", b"str:bin": b"raw",
    b"str:empty": b"embstr", b"str:bigint": b"embstr", b"str:float": b"embstr",
    b"str:lead0": b"embstr", b"str:44": b"embstr", b"str:45": b"raw", b"str:incr": b"int",
    b"str:app": b"raw", b"hll": b"raw", b"bits": b"raw",
    b"list:small": b"quicklist", b"list:big": b"quicklist", b"list:ints": b"quicklist",
    b"list:bigel": b"quicklist", b"set:intset": b"intset", b"set:ht": b"hashtable",
    b"set:manyints": b"hashtable", b"set:bigmember": b"hashtable", b"set:huge": b"hashtable",
    b"hash:lp": b"listpack",
    b"hash:ht": b"hashtable", b"hash:longval": b"hashtable", b"zset:lp": b"listpack",
    b"zset:sl": b"skiplist", b"zset:longmember": b"skiplist", b"geo": b"listpack",
    b"shrunk:hash": b"hashtable", b"shrunk:set": b"hashtable", b"shrunk:zset": b"skiplist",
}
LOAD_ENCODING = {
    b"str:app": b"embstr",
    b"shrunk:hash": b"listpack", b"shrunk:set": b"intset", b"shrunk:zset": b"listpack",
}


def fill(c, shrunk=True):
    """Write the dataset (and the shrunk values) through client c."""
    cmds = dataset_commands() + (shrunk_commands() if shrunk else [])
    for (value, wire), cmd in zip(c.pipeline(cmds), cmds):
        assert not wire.startswith(b"-"), (cmd[:3], wire)
    snap = snapshot(c)
    for key, enc in SOURCE_ENCODING.items():
        if key.startswith(b"shrunk:") and not shrunk:
            continue
        assert snap[0][key][1] == enc, (key, snap[0][key][1], enc)
    return snap


def after_load(snap):
    """The snapshot a load of `snap`'s file gives: LOAD_ENCODING applied."""
    out = {}
    for db, entries in snap.items():
        out[db] = {}
        for k, (t, enc, value, exp) in entries.items():
            if db == 0 and k in LOAD_ENCODING:
                enc = LOAD_ENCODING[k]
            out[db][k] = (t, enc, value, exp)
    return out


# ------------------------------------------------- hand-made RDB files
# The RDB object encodings are those of DUMP payloads (see test_dump_colls).


def rdb_len(n):
    if n < 64:
        return bytes([n])
    if n < 16384:
        return bytes([0x40 | n >> 8, n & 0xff])
    return b"\x80" + n.to_bytes(4, "big")


def rdb_str(b):
    if isinstance(b, str):
        b = b.encode()
    return rdb_len(len(b)) + b


def rdb_file(body, version=10, checksum=True):
    """Magic and version, body, EOF opcode, CRC-64 (or zeros)."""
    data = b"REDIS%04d" % version + body + b"\xff"
    return data + (crc64(data).to_bytes(8, "little") if checksum else bytes(8))


def aux(name, value):
    """An AUX field; an int value is written integer-encoded, as Redis does."""
    return b"\xfa" + rdb_str(name) + (rdb_int(value) if isinstance(value, int) else rdb_str(value))


def rdb_int(n):
    """A string holding an integer, in its integer encoding."""
    for prefix, width in ((b"\xc0", 1), (b"\xc1", 2), (b"\xc2", 4)):
        if -(1 << (8 * width - 1)) <= n < (1 << (8 * width - 1)):
            return prefix + n.to_bytes(width, "little", signed=True)
    raise ValueError(n)


def select_db(db, size=None, expires=0):
    out = b"\xfe" + rdb_len(db)
    if size is not None:
        out += b"\xfb" + rdb_len(size) + rdb_len(expires)
    return out


def entry(rdb_type, key, body, expire_ms=None, expire_s=None):
    out = b""
    if expire_ms is not None:
        out += b"\xfc" + expire_ms.to_bytes(8, "little")
    if expire_s is not None:
        out += b"\xfd" + expire_s.to_bytes(4, "little")
    return out + bytes([rdb_type]) + rdb_str(key) + body


def ziplist(items):
    """A ziplist (Redis <= 6.2) of strings below 16384 bytes and integers
    -32768..32767."""
    body, prev, last = b"", 0, 10
    for it in items:
        e = bytes([prev]) if prev < 254 else b"\xfe" + prev.to_bytes(4, "little")
        if isinstance(it, int):
            e += (bytes([0xF1 + it]) if 0 <= it <= 12 else
                  b"\xc0" + it.to_bytes(2, "little", signed=True))
        elif len(it) < 64:
            e += bytes([len(it)]) + it
        else:
            e += bytes([0x40 | len(it) >> 8, len(it) & 0xff]) + it
        last = 10 + len(body)
        body += e
        prev = len(e)
    return ((10 + len(body) + 1).to_bytes(4, "little") + last.to_bytes(4, "little") +
            len(items).to_bytes(2, "little") + body + b"\xff")


def intset(width, values):
    fmt = {2: "<h", 4: "<i", 8: "<q"}[width]
    return struct.pack("<II", width, len(values)) + b"".join(struct.pack(fmt, v) for v in values)


def redis6_file():
    """An RDB version 9 file as Redis 6.2 writes it (ziplists, quicklist
    version 1, ZSET_2 doubles, integer and LZF strings), plus the old
    seconds-expiry opcode; and the snapshot a Redis 7.0 load gives."""
    lzf_a30 = b"\xc3" + rdb_len(5) + rdb_len(30) + b"\x00a\xe0\x14\x00"   # "a" * 30
    body = (aux("redis-ver", "6.2.14") + aux("redis-bits", 64) +
            aux("ctime", 1700000000) + aux("used-mem", 900000) + aux("aof-preamble", 0) +
            select_db(0, 12, 2) +
            entry(0, "s", rdb_str("hello")) +
            entry(0, "i8", rdb_int(123)) + entry(0, "i16", rdb_int(-1234)) +
            entry(0, "i32", rdb_int(100000)) +
            entry(0, "lzf", lzf_a30, expire_ms=FAR_MS) +
            entry(13, "hash:zl", rdb_str(ziplist([b"f1", b"v1", b"n", 5, b"neg", -300]))) +
            entry(12, "zset:zl", rdb_str(ziplist([b"c", -7, b"a", 1, b"b", b"2.5"]))) +
            entry(14, "list:ql", rdb_len(2) + rdb_str(ziplist([b"x", 1, b"y" * 70])) +
                  rdb_str(ziplist([b"z", -300]))) +
            entry(11, "set:is", rdb_str(intset(2, [-5, 3, 700]))) +
            entry(2, "set:ht", rdb_len(2) + rdb_str("m1") + rdb_str("m2")) +
            entry(4, "hash:ht", rdb_len(1) + rdb_str("f") + rdb_str("v" * 80)) +
            entry(5, "zset:sl", rdb_len(2) + rdb_str("m" * 80) + struct.pack("<d", 1.5) +
                  rdb_str("n") + struct.pack("<d", float("-inf")), expire_s=2100000000) +
            select_db(3) +
            entry(0, "db3", rdb_str("three")))
    want = {
        0: {
            b"s": ("string", b"embstr", b"hello", -1),
            b"i8": ("string", b"int", b"123", -1),
            b"i16": ("string", b"int", b"-1234", -1),
            b"i32": ("string", b"int", b"100000", -1),
            b"lzf": ("string", b"embstr", b"a" * 30, FAR_MS),
            b"hash:zl": ("hash", b"listpack", sorted([(b"f1", b"v1"), (b"n", b"5"),
                                                      (b"neg", b"-300")]), -1),
            b"zset:zl": ("zset", b"listpack", [(b"c", b"-7"), (b"a", b"1"), (b"b", b"2.5")], -1),
            b"list:ql": ("list", b"quicklist", [b"x", b"1", b"y" * 70, b"z", b"-300"], -1),
            b"set:is": ("set", b"intset", [b"-5", b"3", b"700"], -1),
            b"set:ht": ("set", b"hashtable", [b"m1", b"m2"], -1),
            b"hash:ht": ("hash", b"hashtable", [(b"f", b"v" * 80)], -1),
            b"zset:sl": ("zset", b"skiplist", [(b"n", b"-inf"), (b"m" * 80, b"1.5")],
                         2100000000000),
        },
        3: {b"db3": ("string", b"embstr", b"three", -1)},
    }
    return rdb_file(body, version=9), want


# ---------------------------------------------------------------------- AOF
# Redis 7.0 keeps a multi-part AOF in <dir>/<appenddirname>/: a manifest
# <appendfilename>.manifest naming a base file (<appendfilename>.<seq>.base.rdb,
# or .base.aof without the RDB preamble), incr files
# (<appendfilename>.<seq>.incr.aof, RESP commands) and, with
# aof-disable-auto-gc yes, history files. kevy keeps one such directory per
# shard, <dir>/<appenddirname>/shard-<i>/, plus <dir>/<appenddirname>/kevy-shards.
# The helpers below find the files in either layout (a recursive glob), so
# file-level checks hold for both.

AOF_DIRNAME = "appendonlydir"
AOF_FILENAME = "appendonly.aof"

# INFO persistence of Redis 7.0.15 with appendonly yes (the AOF-off fields,
# then these), in its order.
AOF_ON_FIELDS = ["aof_current_size", "aof_base_size", "aof_pending_rewrite", "aof_buffer_length",
                 "aof_pending_bio_fsync", "aof_delayed_fsync"]
AOF_PERSISTENCE_FIELDS = PERSISTENCE_FIELDS + AOF_ON_FIELDS

AOF_REWRITE_STARTED = b"+Background append only file rewriting started\r\n"
AOF_REWRITE_SCHEDULED = b"+Background append only file rewriting scheduled\r\n"
AOF_REWRITE_IN_PROGRESS = b"-ERR Background append only file rewriting already in progress\r\n"


def check_aof_bin():
    binary = shutil.which("redis-check-aof")
    if not binary:
        pytest.fail("redis-check-aof is not on PATH (apt-get install redis-tools; CI has it)")
    return binary


def aof_root(d, dirname=AOF_DIRNAME):
    return os.path.join(d, dirname)


def _aof_glob(d, pattern, dirname):
    return sorted(glob.glob(os.path.join(glob.escape(aof_root(d, dirname)), "**", pattern),
                            recursive=True))


def aof_manifests(d, dirname=AOF_DIRNAME, filename=AOF_FILENAME):
    """Every manifest under <d>/<dirname> (one for Redis, one per shard for
    kevy), sorted by path."""
    return _aof_glob(d, glob.escape(filename) + ".manifest", dirname)


def aof_incr_files(d, dirname=AOF_DIRNAME):
    """Every incr file under <d>/<dirname>, in either layout."""
    return _aof_glob(d, "*.incr.aof", dirname)


def aof_base_files(d, dirname=AOF_DIRNAME):
    return _aof_glob(d, "*.base.rdb", dirname) + _aof_glob(d, "*.base.aof", dirname)


def read_manifest(path):
    """A manifest as [(file name, seq, type)] in file order; every line is
    `file <name> seq <n> type <b|h|i>`."""
    out = []
    with open(path, "rb") as f:
        text = f.read().decode()
    assert text.endswith("\n"), repr(text)
    for line in text.split("\n")[:-1]:
        words = line.split(" ")
        assert len(words) == 6 and words[0::2] == ["file", "seq", "type"], line
        out.append((words[1], int(words[3]), words[5]))
    return out


def manifest_paths(manifest, types="bhi"):
    """The paths of the files a manifest names (of the given types)."""
    d = os.path.dirname(manifest)
    return [os.path.join(d, name) for name, _, t in read_manifest(manifest) if t in types]


def aof_sizes(d, dirname=AOF_DIRNAME):
    """(sum of the sizes of every base file, of every incr file) that the
    manifests name."""
    base = incr = 0
    for m in aof_manifests(d, dirname):
        for p in manifest_paths(m, "b"):
            base += os.path.getsize(p)
        for p in manifest_paths(m, "i"):
            incr += os.path.getsize(p)
    return base, incr


def aof_entries(data):
    """The entries of an AOF incr file (or a base without RDB preamble):
    a tuple of bytes per command, a bytes b"#..." per annotation line
    (`#TS:<unix time>`). Raises ValueError("... at offset N") on anything
    else, a torn end included."""
    out, pos, n = [], 0, len(data)

    def line(at):
        end = data.find(b"\r\n", at)
        if end < 0:
            raise ValueError("unterminated line at offset %d" % at)
        return data[at:end], end + 2

    while pos < n:
        start = pos
        if data[pos:pos + 1] == b"#":
            text, pos = line(pos)
            out.append(text)
            continue
        head, pos = line(pos)
        if not head.startswith(b"*") or not head[1:].isdigit() or int(head[1:]) < 1:
            raise ValueError("bad multibulk header %r at offset %d" % (head[:20], start))
        args = []
        for _ in range(int(head[1:])):
            at = pos
            blen, pos = line(pos)
            if not blen.startswith(b"$") or not blen[1:].isdigit():
                raise ValueError("bad bulk header %r at offset %d" % (blen[:20], at))
            size = int(blen[1:])
            if pos + size + 2 > n or data[pos + size:pos + size + 2] != b"\r\n":
                raise ValueError("bad or torn bulk at offset %d" % pos)
            args.append(data[pos:pos + size])
            pos += size + 2
        out.append(tuple(args))
    return out


def aof_commands(data):
    """The commands of an incr file (annotations left out), each a tuple
    whose first item (the name) is upper-cased."""
    return [(c[0].upper(),) + c[1:] for c in aof_entries(data) if isinstance(c, tuple)]


def check_aof(path):
    """redis-check-aof accepts the file (an incr file alone, or a manifest
    with every file it names); returns its report."""
    proc = subprocess.run([check_aof_bin(), path], capture_output=True, timeout=60)
    out = proc.stdout.decode("utf-8", "replace") + proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 0, "redis-check-aof %s: status %d\n%s" % (path, proc.returncode,
                                                                       out)
    assert re.search(r"is valid|is empty|are valid", out), out
    return out


def wait_aof_rewrite(c, timeout=20.0):
    """Wait until no AOF rewrite runs or is scheduled; return INFO
    persistence."""
    info = {}

    def done():
        info.update(persistence(c))
        return info["aof_rewrite_in_progress"] == "0" and info["aof_rewrite_scheduled"] == "0"

    assert wait_until(done, timeout=timeout, interval=0.02), \
        "AOF rewrite still running after %gs: %r" % (timeout, info)
    return info


def kill9(persist, srv):
    """SIGKILL a server started by `persist` and reap it; the end-of-test
    check then does not count its status (-9) as a failure."""
    srv.proc.kill()
    srv.proc.wait()
    srv.returncode = srv.proc.returncode
    for i, (s, _) in enumerate(persist.servers):
        if s is srv:
            persist.servers[i] = (s, True)


def without_encoding(snap):
    """A snapshot() with the encodings left out: (type, value, pexpiretime)
    per key. Replaying a command log can pick another encoding than the
    original command did (INCRBYFLOAT's result replayed as a SET can become
    an int), as Redis does."""
    return {db: {k: (t, v, e) for k, (t, _, v, e) in entries.items()}
            for db, entries in snap.items()}


def digest(c):
    """DEBUG DIGEST (the server needs --enable-debug-command yes)."""
    value = c.value("DEBUG", "DIGEST")
    assert isinstance(value, str) and len(value) == 40, value
    return value
