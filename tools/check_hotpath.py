#!/usr/bin/python3
"""Check the README's promise "no lock and no atomic read-modify-write on
the single-shard hot path" on the built binary.

Runs kevy-server (one shard) under callgrind while redis-benchmark sends
pipelined GETs and SETs, and takes every function called at least once per
command: the per-command path (per-turn work, such as the loop's park and
publish, is called once per batch of 16 and left out). Then it disassembles
exactly those functions (inlined code is inside them) and fails if any holds
a locked instruction (`lock` prefix, or `xchg` with memory, which x86 always
locks), a full fence, or a call to a mutex, spinlock or condition variable.

    /usr/bin/python3 tools/check_hotpath.py build/kevy-server

Linux/x86-64 with valgrind, objdump and redis-benchmark; exits 0 when clean.
"""

import argparse
import collections
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

REQUESTS = 20000
LOCKED = re.compile(r"\block\b|\bxchg\w*\s+[^,]*\(|\bxchg\w*\s+%\w+,\s*[^%\s]*\(|\bmfence\b")
BLOCKING = re.compile(r"<(pthread_mutex_\w+|pthread_spin_\w+|pthread_cond_\w+|pthread_rwlock_\w+|"
                      r"sem_wait|sem_post|__lll_lock\w*)(@plt)?>")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ping(port, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"*1\r\n$4\r\nPING\r\n")
                if s.recv(16) == b"+PONG\r\n":
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("kevy-server under valgrind did not answer PING")


def call_counts(path):
    """Calls per function from a callgrind output file (name compression
    resolved)."""
    names, counts = {}, collections.Counter()
    cfn = None
    pat = re.compile(r"^\((\d+)\)(?: (.*))?$")

    def name(spec):
        m = pat.match(spec)
        if not m:
            return spec
        if m.group(2):
            names[m.group(1)] = m.group(2)
        return names.get(m.group(1), spec)

    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("fn="):
                name(line[3:])
            elif line.startswith("cfn="):
                cfn = name(line[4:])
            elif line.startswith("calls=") and cfn:
                counts[cfn] += int(line[6:].split()[0])
                cfn = None
    return counts


def profile(binary, workdir):
    port = free_port()
    out = os.path.join(workdir, "cg.out")
    vg = subprocess.Popen(["valgrind", "--tool=callgrind", "--instr-atstart=no",
                           "--callgrind-out-file=" + out, binary, "--port", str(port),
                           "--bind", "127.0.0.1", "--shards", "1"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ping(port)
        bench = ["redis-benchmark", "-p", str(port), "-c", "1", "-r", "100000", "-q"]
        subprocess.run(bench + ["-n", "2000", "-t", "set,get"], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run(["callgrind_control", "-i", "on", str(vg.pid)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(bench + ["-n", str(REQUESTS), "-P", "16", "-t", "set,get"], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run(["callgrind_control", "-i", "off", str(vg.pid)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finally:
        vg.terminate()
        vg.wait(timeout=60)
    return call_counts(out)


def disassembly(binary):
    """{function name: [instruction lines]} for the binary's own code."""
    text = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "-M", "att", binary],
                          check=True, capture_output=True, text=True).stdout
    funcs, cur = {}, None
    head = re.compile(r"^[0-9a-f]+ <(.+)>:$")
    for line in text.splitlines():
        m = head.match(line)
        if m:
            cur = funcs.setdefault(m.group(1), [])
        elif cur is not None and line.strip():
            cur.append(line.strip())
    return funcs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary", nargs="?", default="build/kevy-server")
    a = ap.parse_args()
    for tool in ("valgrind", "callgrind_control", "objdump", "redis-benchmark"):
        if not shutil.which(tool):
            raise SystemExit("check_hotpath: needs %s" % tool)
    work = tempfile.mkdtemp(prefix="hotpath-")
    try:
        counts = profile(a.binary, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    commands = 2 * REQUESTS  # SETs, then GETs
    funcs = disassembly(a.binary)
    # Callgrind names a function "name" or "name'2" (recursion); the binary's own only.
    hot = sorted({n.split("'")[0] for n, c in counts.items() if c >= commands // 2}
                 & set(funcs))
    bad = []
    for fn in hot:
        for ins in funcs[fn]:
            if LOCKED.search(ins) or BLOCKING.search(ins):
                bad.append("%s: %s" % (fn, ins))
    print("check_hotpath: %d functions run per command (of %d commands), checked for locked "
          "instructions, fences and lock calls" % (len(hot), commands))
    for fn in hot:
        print("  " + fn)
    if bad:
        print("check_hotpath: FAILED, the per-command path locks:")
        for b in bad:
            print("  " + b)
        return 1
    print("check_hotpath: clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
