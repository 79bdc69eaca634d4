#!/usr/bin/python3
"""Persistence, kevy beside Redis, as issue 11 measures it. Per core: both
servers pinned to CPU 0 (kevy with 1 shard), redis-benchmark on CPU 1,
alternating rounds, medians.
  - SET throughput with appendonly yes, appendfsync everysec and always
    (redis-benchmark -t set -c 50 -P 16);
  - loading 1M keys from dump.rdb at startup (the "DB loaded from disk"
    time each server logs);
  - GET p99 latency (-c 50 -P 1) while BGSAVE, then BGREWRITEAOF, run back
    to back, against the same with nothing running.
Stdlib only; reuses bench.py's server handling. Usage:
  persist.py [--rounds 3] [--keys 1000000] [--kevy-bin build/kevy-server]"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Conn, Server, taskset  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class PServer(Server):
    """A server with extra flags (later flags win, for both programs)."""

    def __init__(self, *a, extra=(), **kw):
        super().__init__(*a, **kw)
        self.extra = list(extra)

    def argv(self):
        return super().argv() + self.extra


def bench_csv(port, args):
    out = subprocess.run(taskset("1") + ["redis-benchmark", "-p", str(port), "--csv"] + args,
                         capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    rows = [r for r in out.stdout.splitlines() if r and not r.startswith('"test"')]
    return [c.strip('"') for c in rows[-1].split(",")]


def fill(port, keys):
    """keys keys of 16-byte names and 32-byte values, in MSETs of 1000."""
    with Conn(port, timeout=300) as c:
        c.call("FLUSHALL")
        for base in range(0, keys, 1000):
            args = []
            for i in range(base, min(keys, base + 1000)):
                args += ["key:%012d" % i, "v" * 32]
            c.call("MSET", *args)


def set_rps(args, impl, binary, fsync, workdir):
    s = PServer(impl, binary, impl, "0", 1, workdir,
                extra=["--appendonly", "yes", "--appendfsync", fsync])
    s.start()
    try:
        n = str(args.requests if fsync == "everysec" else args.requests // 4)
        row = bench_csv(s.port, ["-t", "set", "-c", "50", "-P", "16", "-r", "1000000", "-n", n])
        return float(row[1])
    finally:
        s.stop()


def load_seconds(impl, binary, dump, workdir):
    s = PServer(impl, binary, impl, "0", 1, workdir)
    shutil.copy(dump, os.path.join(s.dir, "dump.rdb"))
    s.start()
    try:
        with open(s.log) as f:
            m = re.search(r"DB loaded from disk: ([0-9.]+) seconds", f.read())
        return float(m.group(1)) if m else float("nan")
    finally:
        s.stop()


def p99(impl, binary, dump, workdir, busy):
    """GET p99 (ms) with 1M keys; busy: BGSAVE and BGREWRITEAOF back to back."""
    s = PServer(impl, binary, impl, "0", 1, workdir)
    shutil.copy(dump, os.path.join(s.dir, "dump.rdb"))
    s.start()
    stop = threading.Event()
    saves = [0]

    def churn():
        with Conn(s.port) as c:
            while not stop.is_set():
                info = c.call("INFO", "persistence").decode()
                if "rdb_bgsave_in_progress:0" in info and "aof_rewrite_in_progress:0" in info:
                    try:
                        c.call("BGSAVE" if saves[0] % 2 == 0 else "BGREWRITEAOF")
                        saves[0] += 1
                    except Exception:
                        pass
                time.sleep(0.01)

    t = threading.Thread(target=churn)
    try:
        if busy:
            t.start()
        row = bench_csv(s.port, ["-t", "get", "-c", "50", "-P", "1", "-r", "1000000",
                                 "-n", "200000"])
        return float(row[6]), saves[0]  # p99_latency_ms
    finally:
        stop.set()
        if busy:
            t.join()
        s.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--requests", type=int, default=2000000)
    ap.add_argument("--kevy-bin", default=os.path.join(ROOT, "build", "kevy-server"))
    ap.add_argument("--redis-bin", default=shutil.which("redis-server") or "redis-server")
    args = ap.parse_args()
    impls = [("kevy", args.kevy_bin), ("redis", args.redis_bin)]
    work = tempfile.mkdtemp(prefix="kevy-bench-persist-")
    try:
        # One dump.rdb for both (written by Redis: the format both load).
        filler = PServer("redis", args.redis_bin, "redis", "", 0, work)
        filler.start()
        fill(filler.port, args.keys)
        with Conn(filler.port) as c:
            c.call("SAVE")
        dump = os.path.join(work, "dump-%d.rdb" % args.keys)
        shutil.copy(os.path.join(filler.dir, "dump.rdb"), dump)
        filler.stop()
        res = {}
        for r in range(args.rounds):
            order = impls if r % 2 == 0 else impls[::-1]
            for impl, binary in order:
                for fsync in ("everysec", "always"):
                    res.setdefault((impl, "set " + fsync), []).append(
                        set_rps(args, impl, binary, fsync, work))
                res.setdefault((impl, "load"), []).append(load_seconds(impl, binary, dump, work))
                res.setdefault((impl, "p99 idle"), []).append(p99(impl, binary, dump, work, 0)[0])
                res.setdefault((impl, "p99 saving"), []).append(p99(impl, binary, dump, work, 1)[0])
        print("persistence, per core (CPU 0; redis-benchmark on CPU 1), medians of %d rounds"
              % args.rounds)
        print("%-22s %14s %14s %8s" % ("measure", "kevy", "redis", "ratio"))
        for m, unit in (("set everysec", "rps"), ("set always", "rps"), ("load", "s"),
                        ("p99 idle", "ms"), ("p99 saving", "ms")):
            k = statistics.median(res[("kevy", m)])
            rd = statistics.median(res[("redis", m)])
            print("%-22s %14.3f %14.3f %8.2f   (%s)" % (m, k, rd, k / rd if rd else 0, unit))
        for impl, _ in impls:
            idle = statistics.median(res[(impl, "p99 idle")])
            busy = statistics.median(res[(impl, "p99 saving")])
            print("%s: GET p99 while saving / idle = %.2f" % (impl, busy / idle if idle else 0))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
