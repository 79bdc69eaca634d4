#!/usr/bin/python3
"""kevy vs Redis throughput: start kevy-server and a real redis-server on free
ports, run the same redis-benchmark workloads against each, alternating over
several rounds, and print median requests/s and the kevy/Redis ratio per
workload, per core (both pinned to one CPU) and for the whole machine. The
job-queue workload (LPUSH producers, BRPOP consumers) runs kevy-queuebench
(bench/queuebench.c) instead of redis-benchmark, the Pub/Sub fan-out
(PUBLISH publishers, SUBSCRIBE subscribers) kevy-fanoutbench
(bench/fanoutbench.c), the stream consumer group (XADD producers,
XREADGROUP + XACK consumers) kevy-streambench (bench/streambench.c). The
value-size sweep (--workloads values) is SET and GET of 1 KB to 1 MB
strings, and GET of a 100 KB and a 1 MB value on a 2-shard kevy from the
key's shard and from another one (kevy-getbench, bench/getbench.c). Every
run also reports the server's CPU time per request.
Stdlib only; see bench/README.md. Usage: bench.py [--quick] [--mode ...]
[--workloads all] [--memory] (then bench/mem.py's bytes-per-element report)."""

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# mem.py does `from bench import ...`: let it get this very module, so that
# its BenchError is the one main() catches.
sys.modules.setdefault("bench", sys.modules[__name__])


class BenchError(Exception):
    pass


# ------------------------------------------------------------ raw client

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cmd(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    """A blocking RESP2 connection: enough to prefill data and read INFO.
    An error reply raises BenchError (a prefill that fails must not go on)."""

    def __init__(self, port, timeout=30.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.rf = self.sock.makefile("rb")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.rf.close()
        self.sock.close()

    def reply(self):
        line = self.rf.readline()
        if not line.endswith(b"\r\n"):
            raise BenchError("connection closed")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise BenchError("server replied -%s" % rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.rf.read(n + 2)[:-2]
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise BenchError("unexpected reply %r" % line[:60])

    def call(self, *args):
        self.sock.sendall(_cmd(*args))
        return self.reply()

    def pipeline(self, cmds):
        """Send encoded commands in one write; return their replies."""
        self.sock.sendall(b"".join(cmds))
        return [self.reply() for _ in cmds]


def call_simple(port, want, *args, timeout=5.0):
    with Conn(port, timeout) as c:
        got = c.call(*args)
    if got != want:
        raise BenchError("%s: expected %r, got %r" % (args[0], want, got))


def wait_ready(port, proc, log, timeout=15.0):
    deadline = time.time() + timeout
    while True:
        if proc.poll() is not None:
            raise BenchError("server on port %d exited with %s; log:\n%s"
                             % (port, proc.returncode, tail(log)))
        try:
            call_simple(port, "PONG", "PING", timeout=1.0)
            return
        except (OSError, BenchError):
            if time.time() > deadline:
                raise BenchError("server on port %d does not answer PING; log:\n%s"
                                 % (port, tail(log)))
            time.sleep(0.05)


# ------------------------------------------------------------- workloads

def _store_keys(conn, keyspace, value):
    """GET should measure hits: store every key redis-benchmark -r keyspace
    can pick ("key:" + 12-digit number, see its __rand_int__ rule). A few MB
    per write, whatever the value size."""
    batch = max(1, min(1000, (4 << 20) // (len(value) + 64)))
    for lo in range(0, keyspace, batch):
        hi = min(keyspace, lo + batch)
        conn.pipeline([_cmd("SET", "key:%012d" % i, value) for i in range(lo, hi)])
    if conn.call("DBSIZE") != keyspace:
        raise BenchError("GET prefill: DBSIZE is not %d" % keyspace)


def _prefill_get(conn, args, _requests):
    _store_keys(conn, args.keyspace, b"xxx")


def _prefill_lpop(conn, args, requests):
    """LPOP should pop, not answer nil: "mylist" (the key redis-benchmark's
    LPOP uses) gets more elements than the run can pop, even overshooting
    by a pipeline per client."""
    left = requests + args.clients * max(args.pipelines) + 1000
    while left > 0:
        batch = min(left, 1000)
        conn.call("RPUSH", "mylist", *(["xxx"] * batch))
        left -= batch


def _check_lpop(conn):
    if not conn.call("LLEN", "mylist"):
        raise BenchError("LPOP emptied mylist: the last pops missed")


ZRANGE_MEMBERS = 1000


def _prefill_zrange(conn, _args, _requests):
    pairs = []
    for i in range(ZRANGE_MEMBERS):
        pairs += [i, "member:%d" % i]
    conn.call("ZADD", "zr", *pairs)


EVAL_SCRIPT = "redis.call('GET', KEYS[1]) return redis.call('INCR', KEYS[1])"
EVAL_SHA = hashlib.sha1(EVAL_SCRIPT.encode()).hexdigest()


def _prefill_evalsha(conn, _args, _requests):
    if conn.call("SCRIPT", "LOAD", EVAL_SCRIPT) != EVAL_SHA.encode():
        raise BenchError("SCRIPT LOAD did not answer the script's SHA-1")


class Workload:
    """test: a redis-benchmark -t name, or cmd: a custom command line (its
    CSV row is then named by the command line itself), or queue: the job
    queue of kevy-queuebench, or fanout: the Pub/Sub fan-out of
    kevy-fanoutbench, or stream: the consumer group of kevy-streambench
    (run as queue is, queue also true), or getplace: GET of one value from
    the key's shard and from another (kevy-getbench, a 2-shard kevy). cost:
    time per request relative to
    SET, sizes the probe and --quick runs. size, pipeline, clients,
    keyspace: this workload's -d, -P, -c, -r where it fixes its own (the
    value-size sweep); None: redis-benchmark's -d 3, --pipelines,
    --clients, --keyspace."""

    def __init__(self, name, doc, test=None, csv=None, cmd=None, cost=1.0,
                 prefill=None, check=None, queue=False, fanout=False, stream=False,
                 getplace=False, size=None, pipeline=None, clients=None, keyspace=None):
        self.name, self.doc, self.test, self.cmd = name, doc, test, cmd
        self.csv = csv if test else " ".join(cmd) if cmd else None
        self.cost, self.prefill, self.check = cost, prefill, check
        self.queue, self.fanout, self.stream = queue or stream, fanout, stream
        self.getplace = getplace
        self.size, self.pipeline = size, pipeline
        self.clients, self.keyspace = clients, keyspace

    def argv(self):
        return ["-t", self.test] if self.test else list(self.cmd)


WORKLOAD_LIST = (
    Workload("set", "SET key:<rand> <v>", "set", "SET"),
    Workload("get", "GET key:<rand>, all keys stored first (hits)", "get", "GET",
             prefill=_prefill_get),
    Workload("incr", "INCR counter:<rand>", "incr", "INCR"),
    Workload("mset", "MSET of 10 key:<rand> (cross-shard on a multi-shard kevy)",
             "mset", "MSET (10 keys)", cost=5),
    Workload("mset_tag", "MSET of 10 {t}key:<rand> (one hashtag: one shard)",
             cmd=["MSET"] + ["{t}key:__rand_int__", "xxx"] * 10, cost=5),
    Workload("lpush", "LPUSH mylist <v> (one growing list)", "lpush", "LPUSH"),
    Workload("lpop", "LPOP mylist, list prefilled so every pop hits", "lpop", "LPOP",
             prefill=_prefill_lpop, check=_check_lpop),
    Workload("sadd", "SADD myset element:<rand>", "sadd", "SADD"),
    Workload("hset", "HSET myhash element:<rand> <v>", "hset", "HSET"),
    Workload("zadd", "ZADD myzset <rand> element:<rand>", "zadd", "ZADD"),
    Workload("zrange", "ZRANGE zr 0 99 WITHSCORES on a %d-member zset" % ZRANGE_MEMBERS,
             cmd=["ZRANGE", "zr", "0", "99", "WITHSCORES"], cost=3,
             prefill=_prefill_zrange),
    Workload("evalsha", "EVALSHA of GET + INCR of one declared key:<rand> (a short script)",
             cmd=["EVALSHA", EVAL_SHA, "1", "key:__rand_int__"], cost=2,
             prefill=_prefill_evalsha),
    Workload("xadd", "XADD mystream * sensor <rand> value <v> (one growing stream)",
             cmd=["XADD", "mystream", "*", "sensor", "__rand_int__", "value", "xxx"]),
    Workload("queue", "job queue: LPUSH producers, BRPOP consumers (kevy-queuebench); "
             "msg/s, latency p50/p99", queue=True),
    Workload("fanout", "Pub/Sub fan-out: PUBLISH publishers, SUBSCRIBE subscribers "
             "(kevy-fanoutbench); delivered msg/s, latency p50/p99", fanout=True),
    Workload("stream", "consumer group: XADD producers, XREADGROUP COUNT n BLOCK + XACK "
             "consumers (kevy-streambench); acked entries/s, latency p50/p99", stream=True),
)
WORKLOADS = {w.name: w for w in WORKLOAD_LIST}
# The default keeps `make bench` near 12 minutes on a 2-core box (fanout,
# about 2 more minutes, only on request).
DEFAULT_WORKLOADS = ("set", "get", "mset", "mset_tag", "hset", "zrange", "queue")


# --------------------------------------------------- value-size sweep

# Issue 16 measures large values as `redis-benchmark -P 4 -c 20 -r 100 -d
# SIZE`, SET and GET: few keys, so the cost is the bytes, not the keyspace.
# A workload per command and size, named set_1k, get_100k, set_1m, set_3000
# (bytes); `values` is all of them for --value-sizes, and getplace_<size>
# (GET across shards, below) for --getplace-sizes.
VALUE_KEYS = 100
VALUE_NAME = re.compile(r"(set|get|getplace)_([1-9][0-9]*)([km]?)$")
VALUE_UNITS = {"": 1, "k": 1024, "m": 1024 * 1024}


def size_name(size):
    for unit in ("m", "k"):
        if size % VALUE_UNITS[unit] == 0:
            return "%d%s" % (size // VALUE_UNITS[unit], unit)
    return str(size)


def value_workload(name, args):
    """The Workload named set_<size>, get_<size> or getplace_<size> (renamed
    as --workloads values names it: set_1024 is set_1k), or None."""
    m = VALUE_NAME.match(name)
    if not m:
        return None
    test, size = m.group(1), int(m.group(2)) * VALUE_UNITS[m.group(3)]
    if test == "getplace":
        return Workload(
            "getplace_%s" % size_name(size),
            "GET of one %d-byte value, -P %d -c %d, kevy --shards 2: from the key's "
            "shard and from the other (kevy-getbench)"
            % (size, args.value_pipeline, args.value_clients),
            getplace=True, size=size, pipeline=args.value_pipeline,
            clients=args.value_clients)
    store = b"x" * size if test == "get" else None
    return Workload(
        "%s_%s" % (test, size_name(size)), "%s of a %d-byte value, -P %d -c %d -r %d" % (
            test.upper(), size, args.value_pipeline, args.value_clients, VALUE_KEYS),
        test, test.upper(), size=size, pipeline=args.value_pipeline,
        clients=args.value_clients, keyspace=VALUE_KEYS,
        # Past a few KB copying the value dominates: each 8 KB costs about a
        # 3-byte SET (2-core box, loopback), so every probe lasts ~0.2 s.
        cost=1 + size / 8192,
        prefill=(lambda conn, _args, _n: _store_keys(conn, VALUE_KEYS, store))
        if store else None)


def tail(path, n=20):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return "(no log)"


# --------------------------------------------------------------- servers

def detect_impl(binary, hint):
    if hint != "auto":
        return hint
    return "redis" if "redis" in os.path.basename(binary) else "kevy"


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")  # the unit of /proc/<pid>/stat's CPU times


class Server:
    """One server process; label is "kevy" or "redis" (the side of the table),
    impl says which flags it understands."""

    def __init__(self, label, binary, impl, cpus, shards, workdir):
        self.label, self.binary, self.impl = label, binary, impl
        self.cpus, self.shards = cpus, shards
        self.port = free_port()
        self.dir = os.path.join(workdir, "%s-%d" % (label, self.port))
        os.makedirs(self.dir)
        self.log = os.path.join(self.dir, "server.log")
        self.proc = None

    def cpu_seconds(self):
        """user + sys CPU time of the server so far, all its threads (every
        kevy shard), from /proc/<pid>/stat (taskset execs the server: same
        pid). The kernel counts it in clock ticks, 1/SC_CLK_TCK s (10 ms);
        None where there is no /proc."""
        try:
            with open("/proc/%d/stat" % self.proc.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()  # the name may hold spaces
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def cpu_us_per(self, start, count):
        """Server CPU in us per request (or message) since cpu_seconds()
        returned start; None where it cannot tell."""
        now = self.cpu_seconds()
        if start is None or now is None or not count:
            return None
        return (now - start) * 1e6 / count

    def argv(self):
        if self.impl == "kevy":
            # Like Redis below: no save points, nothing written meanwhile.
            argv = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", self.dir]
            if self.shards:
                argv += ["--shards", str(self.shards)]
        else:
            argv = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", self.dir]
        return taskset(self.cpus) + argv

    def start(self):
        with open(self.log, "wb") as logf:
            self.proc = subprocess.Popen(self.argv(), stdout=logf, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=self.dir)
        wait_ready(self.port, self.proc, self.log)

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def describe(self):
        where = "cpu %s" % self.cpus if self.cpus else "unpinned"
        extra = ", --shards %d" % self.shards if self.impl == "kevy" and self.shards else ""
        return "%s=%s (%s%s)" % (self.label, self.binary, where, extra)


def taskset(cpus):
    return ["taskset", "-c", cpus] if cpus else []


# ---------------------------------------------------------- benchmarking

CHILDREN = []  # live redis-benchmark processes, killed on the way out


def run_benchmark(args, port, wl, pipeline, requests, cpus):
    argv = taskset(cpus) + [
        args.benchmark_bin, "-h", "127.0.0.1", "-p", str(port),
        "-c", str(wl.clients or args.clients), "-n", str(requests),
        "-r", str(wl.keyspace or args.keyspace), "-P", str(pipeline), "--csv"]
    if wl.size:
        argv += ["-d", str(wl.size)]
    if args.client_threads:
        argv += ["--threads", str(args.client_threads)]
    argv += wl.argv()  # a custom command must come last
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    CHILDREN.append(proc)
    try:
        out, _ = proc.communicate(timeout=args.run_timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise BenchError("redis-benchmark %s -P %d on port %d timed out"
                         % (wl.name, pipeline, port))
    finally:
        CHILDREN.remove(proc)
    text = out.decode(errors="replace")
    if proc.returncode != 0 or "Error from server" in text:
        raise BenchError("redis-benchmark %s -P %d on port %d failed:\n%s"
                         % (wl.name, pipeline, port, text[-2000:]))
    for line in text.splitlines():
        cols = [c.strip('"') for c in line.split('","')]
        if len(cols) >= 2 and cols[0] == wl.csv:
            return float(cols[1])
    raise BenchError("no %s row in redis-benchmark output:\n%s" % (wl.csv, text))


def prepare(server, wl, args, requests):
    with Conn(server.port) as c:
        if c.call("FLUSHALL") != "OK":
            raise BenchError("FLUSHALL failed on %s" % server.label)
        if wl.prefill:
            wl.prefill(c, args, requests)


def after_run(server, wl):
    if wl.check:
        with Conn(server.port) as c:
            wl.check(c)


def calibrate(args, ref, wl, pipeline, client_cpus):
    """Requests per run so one run lasts about --seconds on the reference."""
    if args.requests:
        return args.requests
    # Large values make the cost-scaled counts tiny: still give every
    # client a few full pipelines, or connecting is all a run measures.
    floor = 5 * (wl.clients or args.clients) * pipeline
    if args.quick:
        return max(floor, int(5000 * pipeline / wl.cost))
    probe = max(floor, int(20000 * pipeline / wl.cost))
    prepare(ref, wl, args, probe)
    rps = run_benchmark(args, ref.port, wl, pipeline, probe, client_cpus)
    after_run(ref, wl)
    n = max(1000, int(rps * args.seconds))
    digits = len(str(n)) - 2  # two significant digits keep -n readable
    return int(round(n, -digits))


# ------------------------------------------------------------ job queue

QUEUE_KEY = "queue:jobs"


def crc16(data):
    """Redis Cluster's CRC16 (XMODEM: polynomial 0x1021, initial value 0)."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1) & 0xFFFF
    return crc


def key_slot(key):
    """As src/rt/slot.c: the first non-empty {hashtag} if there is one."""
    key = key.encode() if isinstance(key, str) else key
    lo = key.find(b"{")
    if lo >= 0:
        hi = key.find(b"}", lo + 1)
        if hi > lo + 1:
            key = key[lo + 1:hi]
    return crc16(key) & 16383


def key_shard(key, nshards):
    return (key_slot(key) * nshards) >> 14


def queue_variants(kevy, wl="queue"):
    """(row name, where kevy's consumer connections must be) for this kevy:
    on the key's shard, and with several shards on another one too."""
    if kevy.impl != "kevy":
        return [(wl, "any")]  # a Redis on the kevy side: nothing to place
    if (kevy.shards or 1) < 2:
        return [(wl, "local")]
    return [(wl, "local"), (wl + "_xshard", "remote")]


def run_tool(tool, argv, what, timeout):
    """Run a load generator (kevy-queuebench, kevy-fanoutbench) with --json;
    the JSON object on its last line. A non-zero exit fails the run."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    CHILDREN.append(proc)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise BenchError("%s %s timed out" % (tool, what))
    finally:
        CHILDREN.remove(proc)
    text = out.decode(errors="replace")
    lines = text.strip().splitlines()
    try:
        res = json.loads(lines[-1]) if proc.returncode == 0 and lines else None
    except ValueError:
        res = None
    if res is None:
        raise BenchError("%s %s failed (exit %s):\n%s"
                         % (tool, what, proc.returncode, text[-2000:]))
    return res


def run_queue(args, server, pipeline, place, cpus):
    """One kevy-queuebench run; its JSON object. place: where the consumer
    connections must be relative to the key's shard (kevy only); the
    producers then go on the key's shard, so the variants differ only by
    where the consumers are."""
    seconds = min(args.seconds, 1.0) if args.quick else args.seconds
    argv = taskset(cpus) + [
        args.queuebench_bin, "--host", "127.0.0.1", "--port", str(server.port),
        "--key", QUEUE_KEY, "--producers", str(args.queue_producers),
        "--consumers", str(args.queue_consumers), "--pipeline", str(pipeline),
        "--size", str(args.queue_size), "--seconds", str(seconds), "--json"]
    if args.queue_inflight:
        argv += ["--inflight", str(args.queue_inflight)]
    if place != "any":
        argv += ["--place-consumers", place, "--place-producers", "local"]
    what = "queue -P %d (%s) on %s" % (pipeline, place, server.label)
    res = run_tool("kevy-queuebench", argv, what, seconds + 120)
    if res["lost"] != 0:
        raise BenchError("kevy-queuebench %s: %d elements lost (produced %d, consumed %d, "
                         "left %d)" % (what, res["lost"], res["produced"], res["consumed"],
                                       res["left"]))
    if res["consumed"] == 0:
        raise BenchError("kevy-queuebench %s: nothing consumed" % what)
    return res


def plan_queue(args, mode, kevy, results, wl="queue"):
    rows = []
    for p in args.pipelines:
        for name, place in queue_variants(kevy, wl):
            row = {"mode": mode, "workload": name, "pipeline": p, "requests": None,
                   "place": place, "redis": [], "kevy": [], "redis_p50": [],
                   "kevy_p50": [], "redis_p99": [], "kevy_p99": [], "redis_cpu": [],
                   "kevy_cpu": [], "redis_runs": [], "kevy_runs": []}
            results.append(row)
            rows.append(row)
    return rows


def queue_round(args, rnd, redis, kevy, rows, cpus, wl="queue"):
    """Per pipeline: Redis once (its figures serve every kevy variant), then
    each kevy variant; the order flips every round. wl: queue or stream.
    Server CPU is per message consumed (stream: acknowledged), the drain
    after the window included."""
    run, rate, count = ((run_stream, "acked_per_s", "acked") if wl == "stream" else
                        (run_queue, "consumed_per_s", "consumed"))
    for p in args.pipelines:
        prows = [r for r in rows if r["pipeline"] == p]
        seq = [(redis, None)] + [(kevy, r) for r in prows]
        if rnd % 2:
            seq.reverse()
        for server, row in seq:
            prepare(server, WORKLOADS[wl], args, 0)
            cpu = server.cpu_seconds()
            res = run(args, server, p, row["place"] if row else "any", cpus)
            cpu = server.cpu_us_per(cpu, res[count])
            for r in (prows if row is None else [row]):
                side = server.label
                r[side].append(res[rate])
                r[side + "_p50"].append(res["p50_us"])
                r[side + "_p99"].append(res["p99_us"])
                r[side + "_cpu"].append(cpu)
                r[side + "_runs"].append(res)


# ------------------------------------------------ stream consumer group

STREAM_KEY = "stream:jobs"


def run_stream(args, server, pipeline, place, cpus):
    """One kevy-streambench run; its JSON object. It fails itself (exit 1)
    when an entry is lost, delivered twice or acknowledged twice. place: as
    for the queue (consumers on or off the key's shard, producers on it)."""
    seconds = min(args.seconds, 1.0) if args.quick else args.seconds
    argv = taskset(cpus) + [
        args.streambench_bin, "--host", "127.0.0.1", "--port", str(server.port),
        "--key", STREAM_KEY, "--producers", str(args.stream_producers),
        "--consumers", str(args.stream_consumers), "--count", str(args.stream_count),
        "--pipeline", str(pipeline), "--size", str(args.stream_size),
        "--seconds", str(seconds), "--json"]
    if place != "any":
        argv += ["--place-consumers", place, "--place-producers", "local"]
    what = "stream -P %d (%s) on %s" % (pipeline, place, server.label)
    res = run_tool("kevy-streambench", argv, what, seconds + 120)
    if res["acked"] != res["produced"] or res["pending"] != 0:  # it exits 1 first
        raise BenchError("kevy-streambench %s: produced %d, acknowledged %d, pending %d"
                         % (what, res["produced"], res["acked"], res["pending"]))
    if res["acked"] == 0:
        raise BenchError("kevy-streambench %s: nothing acknowledged" % what)
    return res


def print_stream_table(args, kevy, rows):
    where = ""
    if kevy.impl == "kevy":
        n = kevy.shards or 1
        where = " (slot %d: kevy shard %d of %d)" % (key_slot(STREAM_KEY),
                                                     key_shard(STREAM_KEY, n), n)
    print("stream consumer group: %d producers XADD (MAXLEN ~ 100000), %d consumers "
          "XREADGROUP COUNT %d BLOCK 1000 + XACK, %d-byte payloads; key %s%s"
          % (args.stream_producers, args.stream_consumers, args.stream_count,
             args.stream_size, STREAM_KEY, where))
    _latency_table(rows)
    print("msg/s: entries delivered and acknowledged per second; p50/p99: XADD sent -> "
          "XACK answered, in us (k/r below 1.00: kevy faster).\nSTREAM: kevy's consumers "
          "on the key's shard; STREAM_XSHARD: on another shard (producers on the key's "
          "shard in both).")
    print(_cpu_legend("entry acknowledged (XADD + XREADGROUP + XACK)"))
    sys.stdout.flush()


# ------------------------------------------------------- Pub/Sub fan-out

FANOUT_PREFIX = "fanout:"


def run_fanout(args, server, pipeline, cpus):
    """One kevy-fanoutbench run; its JSON object. kevy-fanoutbench itself
    fails (exit 1) when a message is lost or duplicated."""
    seconds = min(args.seconds, 1.0) if args.quick else args.seconds
    argv = taskset(cpus) + [
        args.fanoutbench_bin, "--host", "127.0.0.1", "--port", str(server.port),
        "--prefix", FANOUT_PREFIX, "--subscribers", str(args.fanout_subscribers),
        "--publishers", str(args.fanout_publishers), "--channels", str(args.fanout_channels),
        "--pipeline", str(pipeline), "--size", str(args.fanout_size),
        "--seconds", str(seconds), "--json"]
    if args.fanout_inflight:
        argv += ["--inflight", str(args.fanout_inflight)]
    if args.fanout_sub_threads:
        argv += ["--sub-threads", str(args.fanout_sub_threads)]
    what = "fanout -P %d on %s" % (pipeline, server.label)
    res = run_tool("kevy-fanoutbench", argv, what, seconds + 120)
    if res["lost"] != 0 or res["receivers"] != res["expected"]:  # it exits 1 first
        raise BenchError("kevy-fanoutbench %s: %d lost, %d receivers for %d subscriptions"
                         % (what, res["lost"], res["receivers"], res["expected"]))
    if res["delivered"] == 0:
        raise BenchError("kevy-fanoutbench %s: nothing delivered" % what)
    return res


def plan_fanout(args, mode, results):
    rows = []
    for p in args.fanout_pipelines:
        row = {"mode": mode, "workload": "fanout", "pipeline": p, "requests": None,
               "redis": [], "kevy": [], "redis_p50": [], "kevy_p50": [], "redis_p99": [],
               "kevy_p99": [], "redis_cpu": [], "kevy_cpu": [], "redis_runs": [],
               "kevy_runs": []}
        results.append(row)
        rows.append(row)
    return rows


def fanout_round(args, rnd, servers, rows, cpus):
    """Per pipeline, each server once; who goes first flips every round.
    Server CPU is per message delivered (to one subscriber)."""
    order = servers if rnd % 2 == 0 else servers[::-1]
    for row in rows:
        for server in order:
            prepare(server, WORKLOADS["fanout"], args, 0)
            cpu = server.cpu_seconds()
            res = run_fanout(args, server, row["pipeline"], cpus)
            side = server.label
            row[side].append(res["delivered_per_s"])
            row[side + "_p50"].append(res["p50_us"])
            row[side + "_p99"].append(res["p99_us"])
            row[side + "_cpu"].append(server.cpu_us_per(cpu, res["delivered"]))
            row[side + "_runs"].append(res)


# ------------------------------------------------- GET across shards

# Issue 16: with 2 shards, GET of a large value homed on the other shard
# (forwarded there and back) should reach 0.8x or more of the same GET on
# the connection's own shard, at 100 KB and 1 MB. kevy-getbench places its
# connections (benchplace.c) so that all are on the key's shard ("local") or
# all on the other one ("remote"); one key, so the shard is fixed.
GETPLACE_KEY = "getplace:v"
GETPLACE_SHARDS = 2
# (side of the row, where kevy-getbench's connections go); Redis has no
# shards: the same tool on it, --place any, is the reference.
GETPLACE_SIDES = (("redis", "any"), ("kevy", "local"), ("kevy_remote", "remote"))


def getplace_server(args, kevy, cpus, workdir):
    """The kevy that the getplace rows run on: this mode's own when it has
    2 shards (or is a Redis standing in for kevy: nothing to place), else a
    second one with --shards 2 under the same pinning (percore: both shards
    share --server-cpu)."""
    if kevy.impl != "kevy" or kevy.shards == GETPLACE_SHARDS:
        return kevy
    return Server("kevy", args.kevy_bin, "kevy", cpus, GETPLACE_SHARDS, workdir)


def run_getbench(args, server, wl, place, cpus):
    """One kevy-getbench run; its JSON object (it fails itself, exit 1, on
    a reply that is not the value's length)."""
    seconds = min(args.seconds, 1.0) if args.quick else args.seconds
    argv = taskset(cpus) + [
        args.getbench_bin, "--host", "127.0.0.1", "--port", str(server.port),
        "--key", GETPLACE_KEY, "--size", str(wl.size), "--connections", str(wl.clients),
        "--pipeline", str(wl.pipeline), "--place", place, "--seconds", str(seconds),
        "--json"]
    res = run_tool("kevy-getbench", argv, "%s (%s) on %s" % (wl.name, place, server.label),
                   seconds + 120)
    if res["in_window"] == 0:  # it exits 1 first
        raise BenchError("kevy-getbench %s (%s): no GET answered" % (wl.name, place))
    return res


def plan_getplace(args, mode, results):
    rows = []
    for w in args.workloads:
        wl = WORKLOADS[w]
        if not wl.getplace:
            continue
        row = {"mode": mode, "workload": w, "pipeline": wl.pipeline, "requests": None,
               "value_size": wl.size, "clients": wl.clients}
        for side, _ in GETPLACE_SIDES:
            row[side], row[side + "_cpu"], row[side + "_runs"] = [], [], []
        results.append(row)
        rows.append(row)
    return rows


def getplace_round(args, rnd, redis, kevy2, rows, cpus):
    """Per size: Redis, kevy local, kevy remote; the order flips every
    round. Server CPU is per GET answered (the tail after the window
    included: the tool leaves nothing in flight)."""
    for row in rows:
        wl = WORKLOADS[row["workload"]]
        seq = list(GETPLACE_SIDES) if rnd % 2 == 0 else list(GETPLACE_SIDES)[::-1]
        for side, place in seq:
            server = redis if side == "redis" else kevy2
            if server.impl != "kevy":
                place = "any"
            prepare(server, wl, args, 0)
            cpu = server.cpu_seconds()
            res = run_getbench(args, server, wl, place, cpus)
            row[side].append(res["requests_per_s"])
            row[side + "_cpu"].append(server.cpu_us_per(cpu, res["requests"]))
            row[side + "_runs"].append(res)


def print_getplace_table(kevy2, rows):
    where = ""
    if kevy2.impl == "kevy":
        where = " (slot %d: kevy shard %d of %d)" % (
            key_slot(GETPLACE_KEY), key_shard(GETPLACE_KEY, GETPLACE_SHARDS), GETPLACE_SHARDS)
    print("GET across shards: one key %s%s, kevy-getbench -c %d -P %d; %s"
          % (GETPLACE_KEY, where, rows[0]["clients"], rows[0]["pipeline"],
             kevy2.describe()))
    print("%-17s %10s %6s %10s %6s %10s %6s %5s %9s %9s %10s %5s"
          % ("workload", "redis rps", "spread", "local rps", "spread", "remote rps", "spread",
             "r/l", "redis cpu", "local cpu", "remote cpu", "r/l"))
    for row in rows:
        summarize(row)
        if None in (row["redis_median"], row["kevy_median"], row["kevy_remote_median"]):
            continue
        ratio, cpu_ratio = row["remote_ratio"], row["remote_cpu_ratio"]
        print("%-17s %10.0f %5.1f%% %10.0f %5.1f%% %10.0f %5.1f%% %5s %9s %9s %10s %5s"
              % ("%s P%d" % (row["workload"].upper(), row["pipeline"]),
                 row["redis_median"], 100 * row["redis_spread"],
                 row["kevy_median"], 100 * row["kevy_spread"],
                 row["kevy_remote_median"], 100 * row["kevy_remote_spread"],
                 "-" if ratio is None else "%.2f" % ratio, _us(row["redis_cpu_median"]),
                 _us(row["kevy_cpu_median"]), _us(row["kevy_remote_cpu_median"]),
                 "-" if cpu_ratio is None else "%.2f" % cpu_ratio))
    print("rps: GETs answered per second, medians; local: kevy's connections on the key's "
          "shard; remote: all on the other shard (every GET forwarded); redis: the same "
          "tool, no shards.\nr/l: remote over local; issue 16 asks rps r/l >= 0.80.")
    print(_cpu_legend("GET", "r/l above 1.00: forwarding costs kevy CPU"))
    sys.stdout.flush()


def run_mode(args, mode, workdir, results):
    ncpu = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if mode == "percore":
        if not shutil.which("taskset"):
            raise BenchError("--mode percore needs taskset (util-linux)")
        srv_cpus, cli_cpus, shards = str(args.server_cpu), str(args.client_cpu), 1
        if ncpu < 2:
            print("warning: one CPU only; client shares it with the server")
    else:
        srv_cpus, cli_cpus, shards = "", "", args.shards or ncpu
    redis = Server("redis", args.redis_bin, "redis", srv_cpus, 0, workdir)
    kevy = Server("kevy", args.kevy_bin, detect_impl(args.kevy_bin, args.impl),
                  srv_cpus, shards, workdir)
    servers = (redis, kevy)
    gplan = plan_getplace(args, mode, results)
    kevy2 = getplace_server(args, kevy, srv_cpus, workdir) if gplan else kevy
    started = list(servers) + ([kevy2] if kevy2 not in servers else [])
    try:
        for s in started:
            s.start()
        flags = []  # redis-benchmark's, for the rows of print_table
        if any(not WORKLOADS[w].size for w in args.workloads):
            flags.append("-c %d -r %d" % (args.clients, args.keyspace))
        if any(WORKLOADS[w].size and not WORKLOADS[w].getplace for w in args.workloads):
            flags.append("values: -P %d -c %d -r %d -d SIZE"
                         % (args.value_pipeline, args.value_clients, VALUE_KEYS))
        print("\n== mode %s: %s, %s; client %s; %d rounds%s"
              % (mode, redis.describe(), kevy.describe(),
                 "cpu %s" % cli_cpus if cli_cpus else "unpinned", args.rounds,
                 ", " + "; ".join(flags) if flags else ""), flush=True)
        plan, qplan, fplan, splan = [], [], [], []
        if "queue" in args.workloads:
            qplan = plan_queue(args, mode, kevy, results)
        if "stream" in args.workloads:
            splan = plan_queue(args, mode, kevy, results, "stream")
        if "fanout" in args.workloads:
            fplan = plan_fanout(args, mode, results)
        for w in args.workloads:
            wl = WORKLOADS[w]
            if wl.queue or wl.fanout or wl.getplace:
                continue
            for p in [wl.pipeline] if wl.pipeline else args.pipelines:
                n = calibrate(args, redis, wl, p, cli_cpus)
                row = {"mode": mode, "workload": w, "pipeline": p, "requests": n,
                       "redis": [], "kevy": [], "redis_cpu": [], "kevy_cpu": []}
                if wl.size:
                    row["value_size"] = wl.size
                results.append(row)
                plan.append(row)
        for rnd in range(args.rounds):
            # Swap who goes first each round so slow drift hits both sides.
            order = servers if rnd % 2 == 0 else servers[::-1]
            for row in plan:
                wl = WORKLOADS[row["workload"]]
                for s in order:
                    prepare(s, wl, args, row["requests"])
                    cpu = s.cpu_seconds()
                    rps = run_benchmark(args, s.port, wl, row["pipeline"],
                                        row["requests"], cli_cpus)
                    row[s.label + "_cpu"].append(s.cpu_us_per(cpu, row["requests"]))
                    after_run(s, wl)
                    row[s.label].append(rps)
            if qplan:
                queue_round(args, rnd, redis, kevy, qplan, cli_cpus)
            if splan:
                queue_round(args, rnd, redis, kevy, splan, cli_cpus, "stream")
            if fplan:
                fanout_round(args, rnd, servers, fplan, cli_cpus)
            if gplan:
                getplace_round(args, rnd, redis, kevy2, gplan, cli_cpus)
            print("  round %d/%d done" % (rnd + 1, args.rounds), flush=True)
        if plan:
            print_table(plan)
        if qplan:
            print_queue_table(args, kevy, qplan)
        if fplan:
            print_fanout_table(args, kevy, fplan)
        if splan:
            print_stream_table(args, kevy, splan)
        if gplan:
            print_getplace_table(kevy2, gplan)
    finally:
        for s in started:
            s.stop()


# --------------------------------------------------------------- output

def _over(a, b):
    return a / b if b and a is not None else None


def summarize(row):
    # getplace rows: kevy is the local side, kevy_remote the other shard's.
    sides = [s for s in ("redis", "kevy", "kevy_remote") if s in row]
    for side in sides:
        v = row[side]
        row[side + "_median"] = statistics.median(v) if v else None
        # Spread (max-min)/median tells whether a ratio is signal or noise.
        row[side + "_spread"] = (max(v) - min(v)) / statistics.median(v) if v else None
    row["ratio"] = _over(row["kevy_median"], row["redis_median"])
    # Job-queue rows: latency medians too; every row: server CPU.
    for q in ("p50", "p99", "cpu"):
        for side in sides:
            v = row.get("%s_%s" % (side, q))
            if v is not None:
                v = [x for x in v if x is not None]  # cpu: None without /proc
                row["%s_%s_median" % (side, q)] = statistics.median(v) if v else None
    row["cpu_ratio"] = _over(row.get("kevy_cpu_median"), row.get("redis_cpu_median"))
    if "kevy_remote" in sides:
        row["remote_ratio"] = _over(row["kevy_remote_median"], row["kevy_median"])
        row["remote_cpu_ratio"] = _over(row.get("kevy_remote_cpu_median"),
                                        row.get("kevy_cpu_median"))


def print_queue_table(args, kevy, rows):
    inflight = (str(args.queue_inflight) if args.queue_inflight else
                "max(4*%d, 2*P*%d)" % (args.queue_consumers, args.queue_producers))
    where = ""
    if kevy.impl == "kevy":
        n = kevy.shards or 1
        where = " (slot %d: kevy shard %d of %d)" % (key_slot(QUEUE_KEY),
                                                     key_shard(QUEUE_KEY, n), n)
    print("job queue: %d producers LPUSH, %d consumers BRPOP, inflight %s, %d-byte "
          "payloads; key %s%s"
          % (args.queue_producers, args.queue_consumers, inflight, args.queue_size,
             QUEUE_KEY, where))
    _latency_table(rows)
    print("msg/s: messages consumed per second; p50/p99: producer->consumer latency in us "
          "(k/r below 1.00: kevy faster).\nQUEUE: kevy's consumers on the queue key's shard; "
          "QUEUE_XSHARD: on another shard (producers on the key's shard in both).")
    print(_cpu_legend("message consumed (LPUSH + BRPOP)"))
    sys.stdout.flush()


def _us(v):
    """A CPU time in us: three significant digits or so, '-' for none."""
    if v is None:
        return "-"
    return "%.2f" % v if v < 10 else "%.1f" % v if v < 1000 else "%.0f" % v


CPU_HEADER = "%9s %8s %5s" % ("redis cpu", "kevy cpu", "k/r")


def _cpu_columns(row):
    ratio = row["cpu_ratio"]
    return "%9s %8s %5s" % (_us(row["redis_cpu_median"]), _us(row["kevy_cpu_median"]),
                            "-" if ratio is None else "%.2f" % ratio)


def _cpu_legend(per, ratio="k/r below 1.00: kevy cheaper"):
    return ("cpu: server CPU (user+sys, all threads) per %s, us; /proc/<pid>/stat, "
            "%d ms ticks; %s." % (per, 1000 // CLOCK_TICKS, ratio))


def _latency_table(rows):
    """The msg/s, p50/p99 and cpu columns of the job-queue, fan-out and
    stream tables."""
    print("%-17s %11s %7s %11s %7s %6s %9s %8s %5s %9s %8s %5s %s"
          % ("workload", "redis msg/s", "spread", "kevy msg/s", "spread", "k/r",
             "redis p50", "kevy p50", "k/r", "redis p99", "kevy p99", "k/r", CPU_HEADER))
    for row in rows:
        summarize(row)
        if row["redis_median"] is None or row["kevy_median"] is None:
            continue
        rp50, kp50 = row["redis_p50_median"], row["kevy_p50_median"]
        rp99, kp99 = row["redis_p99_median"], row["kevy_p99_median"]
        print("%-17s %11.0f %6.1f%% %11.0f %6.1f%% %6.2f %9.0f %8.0f %5.2f %9.0f %8.0f %5.2f %s"
              % ("%s P%d" % (row["workload"].upper(), row["pipeline"]),
                 row["redis_median"], 100 * row["redis_spread"],
                 row["kevy_median"], 100 * row["kevy_spread"], row["ratio"],
                 rp50, kp50, kp50 / rp50 if rp50 else 0.0,
                 rp99, kp99, kp99 / rp99 if rp99 else 0.0, _cpu_columns(row)))


def print_fanout_table(args, kevy, rows):
    inflight = (str(args.fanout_inflight) if args.fanout_inflight else
                "max(4, 2*P*%d)" % args.fanout_publishers)
    chans = args.fanout_channels
    print("pub/sub fan-out: %d publishers PUBLISH to %d channel%s (%s0%s), %d subscribers "
          "(%d per channel%s), inflight %s messages, %d-byte payloads"
          % (args.fanout_publishers, chans, "" if chans == 1 else "s", FANOUT_PREFIX,
             "" if chans == 1 else "..%d" % (chans - 1), args.fanout_subscribers,
             args.fanout_subscribers // chans,
             "" if args.fanout_subscribers % chans == 0 else " or one more", inflight,
             args.fanout_size))
    spreads = [r["shards"] for row in rows for r in row["kevy_runs"] if r.get("shards")]
    if spreads and len(spreads[0]) > 1:
        print("kevy subscribers per shard, per run: %s"
              % " ".join("/".join(str(n) for n in sh) for sh in spreads))
        empty = sum(1 for sh in spreads if min(sh) == 0)
        if empty:
            print("warning: in %d run(s) a kevy shard got no subscriber "
                  "(use more --fanout-subscribers)" % empty)
    _latency_table(rows)
    reordered = sum(r["out_of_order"] for row in rows
                    for side in ("redis", "kevy") for r in row[side + "_runs"])
    if reordered:
        print("warning: %d messages came out of their publisher's order" % reordered)
    print("msg/s: messages delivered per second, summed over the subscribers; p50/p99: "
          "publish->receive latency in us (k/r below 1.00: kevy faster).")
    print(_cpu_legend("message delivered to one subscriber"))
    sys.stdout.flush()


def print_table(rows):
    print("%-13s %10s %11s %7s %11s %7s %6s %s"
          % ("workload", "requests", "redis rps", "spread", "kevy rps", "spread", "k/r",
             CPU_HEADER))
    for row in rows:
        summarize(row)
        if row["redis_median"] is None or row["kevy_median"] is None:
            continue
        print("%-13s %10d %11.0f %6.1f%% %11.0f %6.1f%% %6.2f %s"
              % ("%s P%d" % (row["workload"].upper(), row["pipeline"]), row["requests"],
                 row["redis_median"], 100 * row["redis_spread"],
                 row["kevy_median"], 100 * row["kevy_spread"], row["ratio"],
                 _cpu_columns(row)))
    print("rps: requests per second, medians; k/r above 1.00: kevy faster.")
    print(_cpu_legend("request"))
    sys.stdout.flush()


def version_of(binary):
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, timeout=5)
        return out.stdout.decode(errors="replace").strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def parse_args():
    epilog = "workloads (* = default):\n" + "\n".join(
        "  %-9s %s %s" % (w.name, "*" if w.name in DEFAULT_WORKLOADS else " ", w.doc)
        for w in WORKLOAD_LIST) + (
        "\n  values      the value-size sweep: set_<size> and get_<size> for each of"
        "\n              --value-sizes (-P 4 -c 20 by default, -r %d -d <size>; every GET a hit);"
        "\n              one size alone: set_1k, get_100k, set_1m, get_3000 (bytes);"
        "\n              and getplace_<size> for each of --getplace-sizes"
        "\n  getplace    GET of one value on a 2-shard kevy, connections on the key's shard"
        "\n              and on the other (kevy-getbench): getplace_100k, getplace_1m"
        % VALUE_KEYS)
    ap = argparse.ArgumentParser(description="kevy vs Redis with redis-benchmark",
                                 epilog=epilog,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=("percore", "machine", "both", "none"),
                    default="both", help="none: no throughput runs (with --memory)")
    ap.add_argument("--workloads", default=",".join(DEFAULT_WORKLOADS),
                    help="comma list from: %s, values, getplace, set_<size>, get_<size>, "
                    "getplace_<size>; all: every one but the values" % ",".join(WORKLOADS))
    ap.add_argument("--pipelines", default="1,16", help="comma list of -P values")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=2.0,
                    help="target length of one run; sets -n by a probe on Redis")
    ap.add_argument("--requests", type=int, default=0, help="fixed -n (skips the probe)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 2 rounds, small fixed -n")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--keyspace", type=int, default=100000, help="-r value")
    ap.add_argument("--client-threads", type=int, default=0,
                    help="redis-benchmark --threads (0: its default, one thread)")
    ap.add_argument("--server-cpu", type=int, default=0, help="percore: servers' CPU")
    ap.add_argument("--client-cpu", type=int, default=1, help="percore: client's CPU")
    ap.add_argument("--shards", type=int, default=0,
                    help="machine mode: kevy shards (default: one per CPU)")
    ap.add_argument("--kevy-bin", default=os.path.join(ROOT, "build", "kevy-server"))
    ap.add_argument("--impl", choices=("auto", "kevy", "redis"), default="auto",
                    help="flags --kevy-bin understands (auto: by its file name)")
    ap.add_argument("--redis-bin", default=shutil.which("redis-server") or "redis-server")
    ap.add_argument("--benchmark-bin",
                    default=shutil.which("redis-benchmark") or "redis-benchmark")
    ap.add_argument("--run-timeout", type=float, default=300.0)
    ap.add_argument("--queuebench-bin",
                    default=os.path.join(ROOT, "build", "kevy-queuebench"),
                    help="the queue workload's load generator (make builds it)")
    ap.add_argument("--queue-producers", type=int, default=4,
                    help="queue: producer connections (LPUSH)")
    ap.add_argument("--queue-consumers", type=int, default=8,
                    help="queue: consumer connections (BRPOP)")
    ap.add_argument("--queue-inflight", type=int, default=0,
                    help="queue: most messages pushed and not yet popped "
                         "(0: kevy-queuebench's default, max(4*consumers, 2*P*producers))")
    ap.add_argument("--queue-size", type=int, default=32, help="queue: payload bytes")
    ap.add_argument("--fanoutbench-bin",
                    default=os.path.join(ROOT, "build", "kevy-fanoutbench"),
                    help="the fanout workload's load generator (make bench builds it)")
    ap.add_argument("--fanout-subscribers", type=int, default=16,
                    help="fanout: subscriber connections (kevy spreads them over its "
                         "shards; keep it at 4x the shards or more)")
    ap.add_argument("--fanout-publishers", type=int, default=2,
                    help="fanout: publisher connections (PUBLISH)")
    ap.add_argument("--fanout-channels", type=int, default=1,
                    help="fanout: channels; subscriber i takes channel i mod C (1: every "
                         "subscriber gets every message)")
    ap.add_argument("--fanout-pipelines", default="16",
                    help="fanout: comma list of PUBLISH pipeline depths, a row each "
                         "(default 16; --pipelines does not apply)")
    ap.add_argument("--fanout-inflight", type=int, default=0,
                    help="fanout: most messages published and not yet delivered to all "
                         "their subscribers (0: kevy-fanoutbench's default, "
                         "max(4, 2*P*publishers))")
    ap.add_argument("--fanout-size", type=int, default=32, help="fanout: payload bytes")
    ap.add_argument("--fanout-sub-threads", type=int, default=0,
                    help="fanout: client threads that poll() the subscribers "
                         "(0: kevy-fanoutbench's default, min(subscribers, 4))")
    ap.add_argument("--streambench-bin",
                    default=os.path.join(ROOT, "build", "kevy-streambench"),
                    help="the stream workload's load generator (make builds it)")
    ap.add_argument("--stream-producers", type=int, default=2,
                    help="stream: producer connections (XADD)")
    ap.add_argument("--stream-consumers", type=int, default=4,
                    help="stream: consumer connections of the group (XREADGROUP + XACK)")
    ap.add_argument("--stream-count", type=int, default=10,
                    help="stream: XREADGROUP COUNT")
    ap.add_argument("--stream-size", type=int, default=32, help="stream: payload bytes")
    ap.add_argument("--value-sizes", default="1024,10240,102400,1048576",
                    help="values: comma list of value sizes in bytes (k and m suffixes "
                         "allowed), a set_ and a get_ workload each")
    ap.add_argument("--getplace-sizes", default="102400,1048576",
                    help="values, getplace: comma list of sizes, a getplace_ workload "
                         "each (GET from the key's shard and from the other; '' for none)")
    ap.add_argument("--getbench-bin",
                    default=os.path.join(ROOT, "build", "kevy-getbench"),
                    help="the getplace workloads' load generator (make builds it)")
    ap.add_argument("--value-pipeline", type=int, default=4,
                    help="values: -P of the sweep (--pipelines does not apply)")
    ap.add_argument("--value-clients", type=int, default=20,
                    help="values: -c of the sweep (--clients does not apply)")
    ap.add_argument("--memory", action=argparse.BooleanOptionalAction, default=False,
                    help="then the bytes-per-element report of bench/mem.py")
    ap.add_argument("--memory-elements", type=int, default=0,
                    help="elements per type there (default 1000000, --quick 100000)")
    ap.add_argument("--memory-types", default="",
                    help="types there, as mem.py --types (default: its default)")
    ap.add_argument("--json", metavar="FILE", help="save raw numbers here")
    ap.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"),
                    help="compare two --json files and exit (runs nothing)")
    args = ap.parse_args()
    if args.compare:
        return args
    def sizes(flag, value):
        out = []
        for size in value.split(",") if value.strip() else []:
            m = re.match(r"\s*([1-9][0-9]*)([km]?)\s*$", size.lower())
            if not m:
                ap.error("%s: %r is not a size" % (flag, size))
            out.append(size_name(int(m.group(1)) * VALUE_UNITS[m.group(2)]))
        return out
    sweep = [c + "_" + n for n in sizes("--value-sizes", args.value_sizes)
             for c in ("set", "get")]
    getplace = ["getplace_" + n for n in sizes("--getplace-sizes", args.getplace_sizes)]
    # `all` leaves the sweep out: `make bench` runs it next, on its own
    # (`--workloads all,values` for everything in one go).
    groups = {"all": [w.name for w in WORKLOAD_LIST], "values": sweep + getplace,
              "getplace": getplace}
    names = []
    for w in args.workloads.split(","):
        w = w.strip().lower()
        for name in groups.get(w, [w] if w else []):
            wl = WORKLOADS.get(name) or value_workload(name, args)
            if wl is None:
                ap.error("unknown workload %r" % name)
            WORKLOADS.setdefault(wl.name, wl)
            if wl.name not in names:
                names.append(wl.name)
    args.workloads = names
    args.pipelines = [int(p) for p in args.pipelines.split(",") if p.strip()]
    args.fanout_pipelines = [int(p) for p in args.fanout_pipelines.split(",") if p.strip()]
    if args.quick and args.rounds == 5:
        args.rounds = 2
    if not args.memory_elements:
        args.memory_elements = 100000 if args.quick else 1000000
    import mem  # not at the top: mem imports this file
    try:
        args.memory_types = (mem.parse_kinds(args.memory_types) if args.memory_types
                             else mem.DEFAULT_KINDS)
    except ValueError as e:
        ap.error("--memory-types: %s" % e)
    bins = ["kevy_bin", "redis_bin", "benchmark_bin"]
    if "queue" in args.workloads and args.mode != "none":
        bins.append("queuebench_bin")
    if "fanout" in args.workloads and args.mode != "none":
        bins.append("fanoutbench_bin")
    if "stream" in args.workloads and args.mode != "none":
        bins.append("streambench_bin")
    if any(WORKLOADS[w].getplace for w in args.workloads) and args.mode != "none":
        bins.append("getbench_bin")
    for b in bins:  # fail before starting anything
        path = getattr(args, b)
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            hint = {"kevy_bin": " (run `make` first)",
                    "queuebench_bin": " (run `make bench`, or make <O>/kevy-queuebench)",
                    "fanoutbench_bin": " (run `make bench`, or make <O>/kevy-fanoutbench)",
                    "streambench_bin": " (run `make bench`, or make <O>/kevy-streambench)",
                    "getbench_bin": " (run `make bench`, or make <O>/kevy-getbench)"
                    }.get(b, "")
            ap.error("--%s %s: not an executable file%s" % (b.replace("_", "-"), path, hint))
        setattr(args, b, os.path.abspath(path))  # servers run from other directories
    return args


def compare(old_path, new_path):
    """Per workload: each side's median in NEW over OLD, and both ratios
    (of throughput, and of server CPU per request where both files have it);
    then, for the getplace rows (kevy = local there), remote over local."""
    def load(path):
        with open(path) as f:
            rows = json.load(f)["results"]
        return {(r["mode"], r["workload"], r["pipeline"]): r for r in rows}
    old, new = load(old_path), load(new_path)
    def cpu(row):
        ratio = row.get("cpu_ratio")  # files from before the cpu columns lack it
        return "-" if ratio is None else "%.2f" % ratio
    print("%-8s %-13s %13s %13s %8s %8s %12s %12s"
          % ("mode", "workload", "kevy new/old", "redis new/old", "old k/r", "new k/r",
             "old cpu k/r", "new cpu k/r"))
    for key in sorted(set(old) & set(new)):
        o, n = old[key], new[key]
        if None in (o["kevy_median"], n["kevy_median"], o["redis_median"], n["redis_median"]):
            continue
        print("%-8s %-13s %13.3f %13.3f %8.2f %8.2f %12s %12s"
              % (key[0], "%s P%d" % (key[1].upper(), key[2]),
                 n["kevy_median"] / o["kevy_median"], n["redis_median"] / o["redis_median"],
                 o["ratio"], n["ratio"], cpu(o), cpu(n)))
    for key in sorted(k for k in set(old) & set(new) if "remote_ratio" in old[k]):
        o, n = old[key], new[key]
        print("%-8s %-13s remote/local rps old %s new %s, cpu old %s new %s"
              % ((key[0], "%s P%d" % (key[1].upper(), key[2])) + tuple(
                  "-" if r.get(f) is None else "%.2f" % r[f]
                  for f in ("remote_ratio", "remote_cpu_ratio") for r in (o, n))))
    return 0


def run_memory(args, workdir):
    import mem  # not at the top: mem imports this file
    return mem.run(args.kevy_bin, args.redis_bin, args.impl, args.memory_elements,
                   args.memory_types, workdir)


def on_signal(signum, _frame):
    raise SystemExit(128 + signum)


def main():
    args = parse_args()
    if args.compare:
        return compare(*args.compare)
    # Explicit, so Ctrl-C works even where SIGINT was inherited as ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    workdir = tempfile.mkdtemp(prefix="kevy-bench-")
    results, memory = [], None
    modes = {"both": ("percore", "machine"), "none": ()}.get(args.mode, (args.mode,))
    status = 0
    try:
        for mode in modes:
            run_mode(args, mode, workdir, results)
        if args.memory:
            memory = run_memory(args, workdir)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        status = 130
    except BenchError as e:
        print("bench: %s" % e, file=sys.stderr)
        status = 1
    finally:
        for p in list(CHILDREN):
            p.kill()
            p.wait()
        shutil.rmtree(workdir, ignore_errors=True)
    for row in results:
        summarize(row)
    if args.json:
        meta = {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "kevy_bin": args.kevy_bin, "kevy_version": version_of(args.kevy_bin),
                "redis_bin": args.redis_bin, "redis_version": version_of(args.redis_bin),
                "cpus": os.cpu_count(), "clients": args.clients,
                "keyspace": args.keyspace, "rounds": args.rounds, "complete": status == 0,
                "queue": {"producers": args.queue_producers,
                          "consumers": args.queue_consumers,
                          "inflight": args.queue_inflight, "size": args.queue_size,
                          "key": QUEUE_KEY},
                "fanout": {"subscribers": args.fanout_subscribers,
                           "publishers": args.fanout_publishers,
                           "channels": args.fanout_channels,
                           "inflight": args.fanout_inflight, "size": args.fanout_size,
                           "sub_threads": args.fanout_sub_threads,
                           "prefix": FANOUT_PREFIX},
                "stream": {"producers": args.stream_producers,
                           "consumers": args.stream_consumers, "count": args.stream_count,
                           "size": args.stream_size, "key": STREAM_KEY},
                "values": {"pipeline": args.value_pipeline, "clients": args.value_clients,
                           "keyspace": VALUE_KEYS},
                "getplace": {"key": GETPLACE_KEY, "shards": GETPLACE_SHARDS,
                             "slot": key_slot(GETPLACE_KEY),
                             "key_shard": key_shard(GETPLACE_KEY, GETPLACE_SHARDS)},
                "clock_ticks_per_s": CLOCK_TICKS}
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "results": results, "memory": memory}, f, indent=1)
        print("raw numbers saved to %s" % args.json)
    return status


if __name__ == "__main__":
    sys.exit(main())
