#!/usr/bin/python3
"""kevy vs Redis memory per element: for each data type, start a fresh kevy
(one shard) and a fresh redis-server, fill one key with N elements over a
pipelined socket, and print (after - before) / N for INFO used_memory and the
process RSS, with OBJECT ENCODING as a sanity check. Stdlib only; run alone
or through bench.py --memory; see bench/README.md."""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import ROOT, BenchError, Conn, Server, _cmd, detect_impl  # noqa: E402

BATCH = 1000     # elements per command
PIPELINE = 10    # commands per write
SMALL = 100      # elements per key of the *_small types


def _one_key(cmd, key, elem):
    """Element i of a one-key type is elem(i): the arguments it adds."""
    def gen(lo, hi):
        args = []
        for i in range(lo, hi):
            args += elem(i)
        return _cmd(cmd, key, *args)
    return gen


def _small_keys(cmd, prefix, elem):
    """Element i goes to key prefix:<i // SMALL>, one command per key."""
    def gen(lo, hi):
        out = []
        for k in range(lo // SMALL, (hi + SMALL - 1) // SMALL):
            args = []
            for i in range(max(lo, k * SMALL), min(hi, (k + 1) * SMALL)):
                args += elem(i)
            out.append(_cmd(cmd, "%s:%d" % (prefix, k), *args))
        return b"".join(out)
    return gen


class Kind:
    """gen(lo, hi): encoded commands adding elements lo..hi-1. count: the
    command that must answer N afterwards. key: the key OBJECT ENCODING
    looks at; expect: Redis 7.0's encoding for it with default settings."""

    def __init__(self, name, doc, gen, count, key, expect, ncmds=None):
        self.name, self.doc, self.gen = name, doc, gen
        self.count, self.key, self.expect = count, key, expect
        self.ncmds = ncmds or (lambda lo, hi: 1)


def _per_key(lo, hi):
    return (hi + SMALL - 1) // SMALL - lo // SMALL


def _mset(lo, hi):
    args = []
    for i in range(lo, hi):
        args += ["k:%d" % i, "v:%d" % i]
    return _cmd("MSET", *args)


def _xadd(lo, hi):
    """One XADD per entry (XADD adds one): explicit ids, so both servers
    store the same ids, and the same two field names (Redis's master entry
    compresses them)."""
    return b"".join(_cmd("XADD", "x", "%d-1" % (i + 1), "sensor", i % 100, "value", "v:%d" % i)
                    for i in range(lo, hi))


KIND_LIST = (
    Kind("hash", "HSET h f:<i> <i>", _one_key("HSET", "h", lambda i: ["f:%d" % i, i]),
         ("HLEN", "h"), "h", "hashtable"),
    Kind("set", "SADD s m:<i>", _one_key("SADD", "s", lambda i: ["m:%d" % i]),
         ("SCARD", "s"), "s", "hashtable"),
    Kind("zset", "ZADD z <i> m:<i>", _one_key("ZADD", "z", lambda i: [i, "m:%d" % i]),
         ("ZCARD", "z"), "z", "skiplist"),
    Kind("list", "RPUSH l v:<i>", _one_key("RPUSH", "l", lambda i: ["v:%d" % i]),
         ("LLEN", "l"), "l", "quicklist"),
    Kind("string", "SET k:<i> v:<i> (one key per element)", _mset,
         ("DBSIZE",), "k:0", "embstr"),
    Kind("stream", "XADD x <i+1>-1 sensor <i%100> value v:<i>", _xadd, ("XLEN", "x"), "x",
         "stream", lambda lo, hi: hi - lo),
    Kind("hash_small", "HSET hs:<i/100> f:<i> <i> (100 fields per key)",
         _small_keys("HSET", "hs", lambda i: ["f:%d" % i, i]), None, "hs:0", "listpack",
         _per_key),
    Kind("set_small", "SADD ss:<i/100> <i> (100 integers per key)",
         _small_keys("SADD", "ss", lambda i: [i]), None, "ss:0", "intset", _per_key),
    Kind("zset_small", "ZADD zs:<i/100> <i> m:<i> (100 members per key)",
         _small_keys("ZADD", "zs", lambda i: [i, "m:%d" % i]), None, "zs:0", "listpack",
         _per_key),
)
KINDS = {k.name: k for k in KIND_LIST}
DEFAULT_KINDS = ("hash", "set", "zset", "list", "string", "stream")


def rss_bytes(server):
    """VmRSS of the server process; INFO's used_memory_rss where there is no
    /proc (both come from the same place on Linux)."""
    try:
        with open("/proc/%d/status" % server.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return info_memory(server)["used_memory_rss"]


def info_memory(server):
    with Conn(server.port) as c:
        text = c.call("INFO", "memory").decode()
    out = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if value.isdigit():
            out[name] = int(value)
    return out


def snapshot(server):
    return {"used": info_memory(server)["used_memory"], "rss": rss_bytes(server)}


def fill(server, kind, n):
    with Conn(server.port, timeout=120) as c:
        step = BATCH * PIPELINE
        for lo in range(0, n, step):
            cmds, replies = [], 0
            for blo in range(lo, min(n, lo + step), BATCH):
                bhi = min(n, blo + BATCH)
                cmds.append(kind.gen(blo, bhi))
                replies += kind.ncmds(blo, bhi)
            c.sock.sendall(b"".join(cmds))
            for _ in range(replies):
                c.reply()  # an error reply raises
        if kind.count:
            got = c.call(*kind.count)
            if got != n:
                raise BenchError("%s after filling %s on %s: %r, not %d"
                                 % (" ".join(kind.count), kind.name, server.label, got, n))
        else:
            want = (n + SMALL - 1) // SMALL
            got = c.call("DBSIZE")
            if got != want:
                raise BenchError("DBSIZE after filling %s on %s: %r, not %d"
                                 % (kind.name, server.label, got, want))
        enc = c.call("OBJECT", "ENCODING", kind.key)
    return enc.decode() if isinstance(enc, bytes) else str(enc)


def measure(kind, n, kevy_bin, impl, redis_bin, workdir):
    row = {"type": kind.name, "elements": n, "expect": kind.expect}
    servers = (Server("redis", redis_bin, "redis", "", 0, workdir),
               Server("kevy", kevy_bin, impl, "", 1, workdir))
    try:
        for s in servers:
            s.start()
        for s in servers:
            before = snapshot(s)
            t0 = time.time()
            row[s.label + "_encoding"] = fill(s, kind, n)
            row[s.label + "_fill_s"] = time.time() - t0
            time.sleep(0.3)  # let the server drop the fill connection's buffers
            after = snapshot(s)
            for m in ("used", "rss"):
                row["%s_%s_before" % (s.label, m)] = before[m]
                row["%s_%s_after" % (s.label, m)] = after[m]
                row["%s_%s_per_elem" % (s.label, m)] = (after[m] - before[m]) / n
    finally:
        for s in servers:
            s.stop()
    for m in ("used", "rss"):
        r, k = row["redis_%s_per_elem" % m], row["kevy_%s_per_elem" % m]
        row[m + "_ratio"] = k / r if r > 0 else None
    return row


def _ratio(x):
    return "%5.2f" % x if x is not None else "  n/a"


def print_table(rows):
    print("%-11s %-23s %21s %21s" % ("", "", "used_memory B/elem", "RSS B/elem"))
    print("%-11s %-23s %7s %7s %5s %7s %7s %5s"
          % ("type", "encoding redis/kevy", "redis", "kevy", "k/r", "redis", "kevy", "k/r"))
    odd = []
    for r in rows:
        enc = "%s/%s" % (r["redis_encoding"], r["kevy_encoding"])
        if r["redis_encoding"] != r["expect"] or r["kevy_encoding"] != r["redis_encoding"]:
            enc += " !"
            odd.append(r)
        print("%-11s %-23s %7.1f %7.1f %5s %7.1f %7.1f %5s"
              % (r["type"], enc, r["redis_used_per_elem"], r["kevy_used_per_elem"],
                 _ratio(r["used_ratio"]), r["redis_rss_per_elem"], r["kevy_rss_per_elem"],
                 _ratio(r["rss_ratio"])))
    for r in odd:
        print("note: %s: expected %s on Redis and the same on kevy"
              % (r["type"], r["expect"]))
    sys.stdout.flush()


def run(kevy_bin, redis_bin, impl="auto", elements=1000000, kinds=DEFAULT_KINDS,
        workdir=None):
    """The whole report; returns its rows (bench.py saves them in --json)."""
    own = workdir is None
    workdir = workdir or tempfile.mkdtemp(prefix="kevy-mem-")
    impl = detect_impl(kevy_bin, impl)
    print("\n== memory: %d elements per type; redis=%s, kevy=%s (--shards 1); "
          "bytes per element = (after - before) / elements" % (elements, redis_bin, kevy_bin),
          flush=True)
    rows = []
    try:
        for name in kinds:
            rows.append(measure(KINDS[name], elements, kevy_bin, impl, redis_bin, workdir))
            print("  %s done" % name, flush=True)
    finally:
        if own:
            shutil.rmtree(workdir, ignore_errors=True)
        if rows:
            print_table(rows)
    return rows


def parse_kinds(text):
    if text == "all":
        return [k.name for k in KIND_LIST]
    names = [t.strip().lower() for t in text.split(",") if t.strip()]
    for t in names:
        if t not in KINDS:
            raise ValueError("unknown type %r (known: %s, all)" % (t, ", ".join(KINDS)))
    return names


def main():
    ap = argparse.ArgumentParser(description="kevy vs Redis bytes per element")
    ap.add_argument("--elements", type=int, default=1000000)
    ap.add_argument("--types", default=",".join(DEFAULT_KINDS),
                    help="comma list from: %s; or all" % ",".join(KINDS))
    ap.add_argument("--kevy-bin", default=os.path.join(ROOT, "build", "kevy-server"))
    ap.add_argument("--impl", choices=("auto", "kevy", "redis"), default="auto")
    ap.add_argument("--redis-bin", default=shutil.which("redis-server") or "redis-server")
    ap.add_argument("--json", metavar="FILE", help="save the rows here")
    args = ap.parse_args()
    try:
        kinds = parse_kinds(args.types)
    except ValueError as e:
        ap.error(str(e))
    for b in ("kevy_bin", "redis_bin"):
        path = getattr(args, b)
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            ap.error("--%s %s: not an executable file" % (b.replace("_", "-"), path))
    try:
        rows = run(os.path.abspath(args.kevy_bin), os.path.abspath(args.redis_bin),
                   args.impl, args.elements, kinds)
    except BenchError as e:
        print("mem: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"memory": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
