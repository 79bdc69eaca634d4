#!/usr/bin/python3
"""Large values: SET and GET of 1 KB to 1 MB strings, kevy beside Redis, as
issue 16 measures them: redis-benchmark `-P 4 -c 20 -r 100 -d SIZE`,
alternating rounds, medians; per core (both servers pinned to CPU 0, kevy
1 shard, the client on CPU 1) and for the machine (kevy's default shards,
nothing pinned). Besides requests per second it reports the server's CPU
time per request (user + sys from /proc/<pid>/stat around each run): at
100 KB and above one redis-benchmark client saturates its own core before
the server does, so throughput alone hides what a request costs the server.
Stdlib only; reuses bench.py's server handling. Usage:
  values.py [--sizes 1024,10240,102400,1048576] [--rounds 3] [--seconds 2]
            [--mode percore|machine|both] [--json FILE]"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import BenchError, Conn, Server, taskset  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """user + sys CPU of a process (all its threads), in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def prefill(port, size, keys=100):
    """The keys redis-benchmark -r 100 draws (key:000000000000 ...), so
    every GET hits a value of `size` bytes."""
    value = b"x" * size
    with Conn(port) as c:
        c.call("FLUSHALL")
        for i in range(keys):
            c.call("SET", "key:%012d" % i, value)


def run_one(args, server, test, size, n, cpus):
    """One redis-benchmark run: (requests/s, server CPU us per request)."""
    if test == "get":
        prefill(server.port, size)
    else:
        with Conn(server.port) as c:
            c.call("FLUSHALL")
    argv = taskset(cpus) + ["redis-benchmark", "-p", str(server.port), "-t", test,
                            "-P", "4", "-c", "20", "-r", "100", "-d", str(size),
                            "-n", str(n), "-q", "--csv"]
    before = cpu_seconds(server.proc.pid)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    after = cpu_seconds(server.proc.pid)
    if out.returncode != 0 or "error" in out.stdout.lower():
        raise BenchError("redis-benchmark failed: %s %s" % (out.stdout, out.stderr))
    line = [ln for ln in out.stdout.splitlines() if ln.startswith('"%s"' % test.upper())]
    if not line:
        raise BenchError("no result line: %r" % out.stdout)
    rps = float(line[0].split(",")[1].strip('"'))
    return rps, (after - before) * 1e6 / n


def requests_for(args, server, test, size, cpus):
    """About --seconds of work, from a short probe against `server`."""
    probe = max(50, int(2000 * 1024 / size))
    rps, _ = run_one(args, server, test, size, probe, cpus)
    return max(200, int(rps * args.seconds))


def run_mode(args, mode, workdir):
    percore = mode == "percore"
    servers = {
        "redis": Server("redis", args.redis_bin, "redis", "0" if percore else None, 0, workdir),
        "kevy": Server("kevy", args.kevy_bin, "kevy", "0" if percore else None,
                       1 if percore else args.shards, workdir),
    }
    client_cpus = "1" if percore else None
    rows = {}
    try:
        for s in servers.values():
            s.start()
        plan = {}
        for size in args.sizes:
            for test in ("set", "get"):
                plan[(size, test)] = requests_for(args, servers["redis"], test, size, client_cpus)
        for rnd in range(args.rounds):
            order = ["redis", "kevy"] if rnd % 2 == 0 else ["kevy", "redis"]
            for (size, test), n in plan.items():
                for label in order:
                    r = run_one(args, servers[label], test, size, n, client_cpus)
                    rows.setdefault((size, test), {}).setdefault(label, []).append(r)
            print("  round %d/%d done" % (rnd + 1, args.rounds), flush=True)
    finally:
        for s in servers.values():
            s.stop()
    return rows


def human(size):
    return "%d KB" % (size // 1024) if size < 1024 * 1024 else "%d MB" % (size // (1024 * 1024))


def report(mode, rows):
    print("%-7s %-4s %12s %12s %6s %10s %10s %6s" % (
        "size", "cmd", "redis rps", "kevy rps", "k/r", "redis us", "kevy us", "k/r"))
    out = []
    for (size, test), sides in rows.items():
        med = {k: (statistics.median(r for r, _ in v), statistics.median(c for _, c in v))
               for k, v in sides.items()}
        rr, rc = med["redis"]
        kr, kc = med["kevy"]
        print("%-7s %-4s %12.0f %12.0f %6.2f %10.1f %10.1f %6.2f" % (
            human(size), test.upper(), rr, kr, kr / rr, rc, kc, kc / rc if rc else 0))
        out.append({"mode": mode, "size": size, "cmd": test, "redis_rps": rr, "kevy_rps": kr,
                    "redis_cpu_us": rc, "kevy_cpu_us": kc})
    print("us: server CPU (user+sys) per request; k/r of us below 1.00: kevy cheaper.")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kevy-bin", default=os.path.join(ROOT, "build", "kevy-server"))
    ap.add_argument("--redis-bin", default="redis-server")
    ap.add_argument("--sizes", default="1024,10240,102400,1048576")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--mode", choices=("percore", "machine", "both"), default="both")
    ap.add_argument("--shards", type=int, default=0, help="kevy's shards in machine mode "
                    "(default: its own, one per CPU)")
    ap.add_argument("--json")
    args = ap.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",")]
    args.kevy_bin = os.path.abspath(args.kevy_bin)  # the servers run in their own dirs
    results = []
    with tempfile.TemporaryDirectory(prefix="kevy-values-") as workdir:
        for mode in (("percore", "machine") if args.mode == "both" else (args.mode,)):
            print("\n== mode %s: -P 4 -c 20 -r 100 -d SIZE, %d rounds, medians" % (
                mode, args.rounds), flush=True)
            t0 = time.monotonic()
            rows = run_mode(args, mode, workdir)
            results += report(mode, rows)
            print("(%.0f s)" % (time.monotonic() - t0))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    try:
        main()
    except BenchError as e:
        sys.exit("values.py: %s" % e)
