#!/usr/bin/python3
"""kevy vs Redis throughput: start kevy-server and a real redis-server on free
ports, run the same redis-benchmark workloads against each, alternating over
several rounds, and print median requests/s and the kevy/Redis ratio per
workload, per core (both pinned to one CPU) and for the whole machine.
Stdlib only; see bench/README.md. Usage: bench.py [--quick] [--mode ...]."""

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKLOADS = ("set", "get", "incr", "mset")
# The test names redis-benchmark prints in its --csv output.
CSV_NAME = {"set": "SET", "get": "GET", "incr": "INCR", "mset": "MSET (10 keys)"}


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


def _expect(sock, want, count=1):
    """Read exactly count copies of the simple reply want."""
    need = want * count
    got = b""
    while len(got) < len(need):
        chunk = sock.recv(min(1 << 20, len(need) - len(got)))
        if not chunk:
            raise BenchError("connection closed")
        got += chunk
    if got != need:
        bad = next(i for i in range(0, len(need), len(want))
                   if got[i:i + len(want)] != want)
        raise BenchError("unexpected reply %r" % got[bad:bad + 60])


def call_simple(port, want, *args, timeout=5.0):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(_cmd(*args))
        _expect(s, want)


def wait_ready(port, proc, log, timeout=15.0):
    deadline = time.time() + timeout
    while True:
        if proc.poll() is not None:
            raise BenchError("server on port %d exited with %s; log:\n%s"
                             % (port, proc.returncode, tail(log)))
        try:
            call_simple(port, b"+PONG\r\n", "PING", timeout=1.0)
            return
        except (OSError, BenchError):
            if time.time() > deadline:
                raise BenchError("server on port %d does not answer PING; log:\n%s"
                                 % (port, tail(log)))
            time.sleep(0.05)


def prefill_get_keys(port, keyspace):
    """GET should measure hits: store every key redis-benchmark -r can pick
    ("key:" + 12-digit number, see its __rand_int__ rule)."""
    batch = 1000
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        for lo in range(0, keyspace, batch):
            hi = min(keyspace, lo + batch)
            s.sendall(b"".join(_cmd("SET", "key:%012d" % i, "xxx") for i in range(lo, hi)))
            _expect(s, b"+OK\r\n", hi - lo)


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

    def argv(self):
        if self.impl == "kevy":
            argv = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
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


def run_benchmark(args, port, workload, pipeline, requests, cpus):
    argv = taskset(cpus) + [
        args.benchmark_bin, "-h", "127.0.0.1", "-p", str(port),
        "-c", str(args.clients), "-n", str(requests), "-r", str(args.keyspace),
        "-P", str(pipeline), "-t", workload, "--csv"]
    if args.client_threads:
        argv += ["--threads", str(args.client_threads)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    CHILDREN.append(proc)
    try:
        out, _ = proc.communicate(timeout=args.run_timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise BenchError("redis-benchmark %s -P %d on port %d timed out"
                         % (workload, pipeline, port))
    finally:
        CHILDREN.remove(proc)
    text = out.decode(errors="replace")
    if proc.returncode != 0 or "Error from server" in text:
        raise BenchError("redis-benchmark %s -P %d on port %d failed:\n%s"
                         % (workload, pipeline, port, text[-2000:]))
    for line in text.splitlines():
        cols = [c.strip('"') for c in line.split('","')]
        if len(cols) >= 2 and cols[0] == CSV_NAME[workload]:
            return float(cols[1])
    raise BenchError("no %s row in redis-benchmark output:\n%s" % (CSV_NAME[workload], text))


def prepare(server, workload, args):
    call_simple(server.port, b"+OK\r\n", "FLUSHALL")
    if workload == "get":
        prefill_get_keys(server.port, args.keyspace)


def calibrate(args, ref, workload, pipeline, client_cpus):
    """Requests per run so one run lasts about --seconds on the reference."""
    if args.requests:
        return args.requests
    if args.quick:
        return 5000 * pipeline if workload != "mset" else 1000 * pipeline
    probe = 20000 * pipeline if workload != "mset" else 4000 * pipeline
    prepare(ref, workload, args)
    rps = run_benchmark(args, ref.port, workload, pipeline, probe, client_cpus)
    n = max(1000, int(rps * args.seconds))
    digits = len(str(n)) - 2  # two significant digits keep -n readable
    return int(round(n, -digits))


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
    try:
        for s in servers:
            s.start()
        print("\n== mode %s: %s, %s; client %s; %d rounds, -c %d -r %d"
              % (mode, redis.describe(), kevy.describe(),
                 "cpu %s" % cli_cpus if cli_cpus else "unpinned", args.rounds,
                 args.clients, args.keyspace), flush=True)
        plan = []
        for w in args.workloads:
            for p in args.pipelines:
                n = calibrate(args, redis, w, p, cli_cpus)
                row = {"mode": mode, "workload": w, "pipeline": p, "requests": n,
                       "redis": [], "kevy": []}
                results.append(row)
                plan.append(row)
        for rnd in range(args.rounds):
            # Swap who goes first each round so slow drift hits both sides.
            order = servers if rnd % 2 == 0 else servers[::-1]
            for row in plan:
                for s in order:
                    prepare(s, row["workload"], args)
                    rps = run_benchmark(args, s.port, row["workload"], row["pipeline"],
                                        row["requests"], cli_cpus)
                    row[s.label].append(rps)
            print("  round %d/%d done" % (rnd + 1, args.rounds), flush=True)
        print_table(plan)
    finally:
        for s in servers:
            s.stop()


# --------------------------------------------------------------- output

def summarize(row):
    for side in ("redis", "kevy"):
        v = row[side]
        row[side + "_median"] = statistics.median(v) if v else None
        # Spread (max-min)/median tells whether a ratio is signal or noise.
        row[side + "_spread"] = (max(v) - min(v)) / statistics.median(v) if v else None
    r, k = row["redis_median"], row["kevy_median"]
    row["ratio"] = k / r if r and k is not None else None


def print_table(rows):
    print("%-10s %10s %14s %7s %14s %7s %11s"
          % ("workload", "requests", "redis rps", "spread", "kevy rps", "spread",
             "kevy/redis"))
    for row in rows:
        summarize(row)
        if row["redis_median"] is None or row["kevy_median"] is None:
            continue
        print("%-10s %10d %14.0f %6.1f%% %14.0f %6.1f%% %11.2f"
              % ("%s P%d" % (row["workload"].upper(), row["pipeline"]), row["requests"],
                 row["redis_median"], 100 * row["redis_spread"],
                 row["kevy_median"], 100 * row["kevy_spread"], row["ratio"]))
    sys.stdout.flush()


def version_of(binary):
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, timeout=5)
        return out.stdout.decode(errors="replace").strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def parse_args():
    ap = argparse.ArgumentParser(description="kevy vs Redis with redis-benchmark")
    ap.add_argument("--mode", choices=("percore", "machine", "both"), default="both")
    ap.add_argument("--workloads", default=",".join(WORKLOADS),
                    help="comma list from: %s" % ",".join(WORKLOADS))
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
    ap.add_argument("--json", metavar="FILE", help="save raw numbers here")
    ap.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"),
                    help="compare two --json files and exit (runs nothing)")
    args = ap.parse_args()
    if args.compare:
        return args
    args.workloads = [w.strip().lower() for w in args.workloads.split(",") if w.strip()]
    for w in args.workloads:
        if w not in WORKLOADS:
            ap.error("unknown workload %r" % w)
    args.pipelines = [int(p) for p in args.pipelines.split(",") if p.strip()]
    if args.quick and args.rounds == 5:
        args.rounds = 2
    for b in ("kevy_bin", "redis_bin", "benchmark_bin"):  # fail before starting anything
        path = getattr(args, b)
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            hint = " (run `make` first)" if b == "kevy_bin" else ""
            ap.error("--%s %s: not an executable file%s" % (b.replace("_", "-"), path, hint))
        setattr(args, b, os.path.abspath(path))  # servers run from other directories
    return args


def compare(old_path, new_path):
    """Per workload: each side's median in NEW over OLD, and both ratios."""
    def load(path):
        with open(path) as f:
            rows = json.load(f)["results"]
        return {(r["mode"], r["workload"], r["pipeline"]): r for r in rows}
    old, new = load(old_path), load(new_path)
    print("%-8s %-10s %13s %13s %8s %8s" % ("mode", "workload", "kevy new/old",
                                            "redis new/old", "old k/r", "new k/r"))
    for key in sorted(set(old) & set(new)):
        o, n = old[key], new[key]
        if None in (o["kevy_median"], n["kevy_median"], o["redis_median"], n["redis_median"]):
            continue
        print("%-8s %-10s %13.3f %13.3f %8.2f %8.2f"
              % (key[0], "%s P%d" % (key[1].upper(), key[2]),
                 n["kevy_median"] / o["kevy_median"], n["redis_median"] / o["redis_median"],
                 o["ratio"], n["ratio"]))
    return 0


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
    results = []
    modes = ("percore", "machine") if args.mode == "both" else (args.mode,)
    status = 0
    try:
        for mode in modes:
            run_mode(args, mode, workdir, results)
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
                "keyspace": args.keyspace, "rounds": args.rounds, "complete": status == 0}
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "results": results}, f, indent=1)
        print("raw numbers saved to %s" % args.json)
    return status


if __name__ == "__main__":
    sys.exit(main())
