#!/usr/bin/python3
"""Generate src/cmd/config/cfgtab_gen.c: every Redis 7.0 configuration parameter with
its type, bounds, enum values, default, flags and alias, learnt from a real
redis-server by experiment (never from its sources):

  * names and defaults: CONFIG GET * of a server started with no options;
  * type: the error CONFIG SET gives for a nonsense value ("must be 'yes' or
    'no'" = bool, "couldn't be parsed into an integer" = integer, "must be a
    memory value" = memory, "one of the following: ..." = enum and its values,
    accepted = string); immutable parameters are probed the same way on the
    command line of a server that then fails to start;
  * bounds: the "between X and Y inclusive" error for extreme values;
  * aliases: setting one parameter and seeing which other one changes too.

Parameters whose values have their own syntax (save, bind, ...) are listed in
SPECIAL below and get hand-written parsers in src/cmd/config/cfg.c.
Usage: /usr/bin/python3 tools/gen_config.py [--check] [--redis host:port]
Stdlib only; deterministic output."""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis_oracle as ro  # noqa: E402

OUT = os.path.join(ro.repo_root(), "src", "cmd", "config", "cfgtab_gen.c")
PROBE = "kevyprobe"
LLMAX = 9223372036854775807
LLMIN = -9223372036854775808
ULLMAX = 18446744073709551615

# Value syntaxes of their own -> the C type tag (src/cmd/config/cfgtab.h).
SPECIAL = {
    "save": "KV_CT_SAVE",
    "client-output-buffer-limit": "KV_CT_COBL",
    "notify-keyspace-events": "KV_CT_NOTIFY",
    "oom-score-adj-values": "KV_CT_OOMVALS",
    "bind": "KV_CT_BIND",
    "latency-tracking-info-percentiles": "KV_CT_PERCENTILES",
    "dir": "KV_CT_DIR",
    "replicaof": "KV_CT_REPLICAOF",
    "slaveof": "KV_CT_REPLICAOF",
}
# Not listed by CONFIG GET * (Redis's hidden debugging parameters), found by
# asking for each name exactly.
HIDDEN_CANDIDATES = ["key-load-delay", "rdb-key-save-delay",
                     "loading-process-events-interval-bytes", "watchdog-period"]
# Instance-specific defaults: what a server started with no options reports
# depends on where and how it runs; these are Redis's built-in defaults.
FIXED_DEFAULTS = {"port": "6379", "dir": "", "daemonize": "no", "pidfile": "",
                  "logfile": ""}
# Setting these to another valid value would rebind sockets or need TLS.
NO_ALIAS_PROBE = {"port", "tls-port", "cluster-port", "requirepass", "appendonly",
                  "tls-cluster", "tls-replication", "maxclients", "enable-debug-command"}

ERR_PREFIX = re.compile(r"^ERR CONFIG SET failed \(possibly related to argument '[^']*'\) - ")


class Redis:
    """A throwaway redis-server with the given extra options."""

    def __init__(self, *extra):
        self.tmp = tempfile.mkdtemp(prefix="kevy-gencfg-")
        self.port = ro.free_port()
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port)] + list(extra),
                                     cwd=self.tmp, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while True:
            try:
                self.conn = ro.Conn("127.0.0.1", self.port)
                self.conn.call("PING")
                return
            except OSError:
                if time.time() > deadline:
                    raise SystemExit("redis-server did not start")
                time.sleep(0.05)

    def call(self, *args):
        return self.conn.call(*args)

    def config(self):
        node = self.call("CONFIG", "GET", "*")
        return {k.text(): v.value.decode() for k, v in node.pairs()}

    def set(self, name, value):
        """None if accepted, else the error text after Redis's prefix."""
        r = self.call("CONFIG", "SET", name, value)
        if r.kind == "+":
            return None
        return ERR_PREFIX.sub("", r.value.decode())

    def close(self):
        self.conn.close()
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.tmp, ignore_errors=True)


def startup_error(name, value):
    """The reason redis-server gives for `--name value` on its command line,
    or None if it accepted it (it then fails on port 0 or keeps running)."""
    for _ in range(5):
        tmp = tempfile.mkdtemp(prefix="kevy-gencfg-")
        try:
            r = subprocess.run(["timeout", "3", "redis-server", "--port", "0", "--" + name, value],
                               cwd=tmp, capture_output=True, text=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        lines = (r.stdout + r.stderr).strip().splitlines()
        if any("FATAL CONFIG FILE ERROR" in l for l in lines):
            return lines[-1]
        # Accepted: it started and found nothing to listen on, or it
        # listens on something else (unixsocket) until the timeout.
        # (An accepted logfile sends that complaint to the file.)
        if r.returncode == 124 or not lines or any("not listen anywhere" in l for l in lines):
            return None
    raise SystemExit("%s %s: redis-server gave no verdict" % (name, value))


def classify(err):
    """(type, enum values) from the error a nonsense value gets."""
    if err is None:
        return "KV_CT_STRING", None
    if err == "argument must be 'yes' or 'no'":
        return "KV_CT_BOOL", None
    if err == "argument couldn't be parsed into an integer":
        return "KV_CT_INT", None
    if err == "argument must be a memory value":
        return "KV_CT_MEMORY", None
    if err == "argument must be a memory or percent value":
        return "KV_CT_MEMPERCENT", None
    if err == "argument couldn't be parsed as an octal number":
        return "KV_CT_OCTAL", None
    m = re.fullmatch(r"argument\(s\) must be one of the following: (.*)", err)
    if m:
        return "KV_CT_ENUM", m.group(1).split(", ")
    return None, None


def bounds_from(err):
    m = re.fullmatch(r"argument must be between (-?\d+) and (-?\d+) inclusive", err or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def probe_bounds(setter, ctype, default):
    """[min, max] and whether values are unsigned, from extreme values."""
    hi_val = str(ULLMAX) if ctype != "KV_CT_INT" else str(LLMAX)
    lo_val = "0" if ctype != "KV_CT_INT" else str(LLMIN)
    lo = hi = None
    for val in (hi_val, lo_val):
        err = setter(val)
        b = bounds_from(err)
        if b:
            lo, hi = b
            break
        if err is None:
            if val == hi_val:
                hi = int(val)
            else:
                lo = int(val)
    if lo is None or hi is None:
        for val in (lo_val, hi_val):
            b = bounds_from(setter(val))
            if b:
                lo, hi = b
    if lo is None:
        lo = int(lo_val)
    if hi is None:
        hi = int(hi_val)
    setter(default)
    return lo, hi, hi > LLMAX


def gather():
    plain = Redis()
    try:
        defaults = plain.config()
    finally:
        plain.close()
    main = Redis("--enable-protected-configs", "yes")
    try:
        hidden = {}
        for name in HIDDEN_CANDIDATES:
            r = main.call("CONFIG", "GET", name)
            if r.value:
                hidden[name] = r.value[1].value.decode()
        params = {}
        names = sorted(defaults) + sorted(hidden)
        for name in names:
            default = defaults.get(name, hidden.get(name))
            p = {"name": name, "default": FIXED_DEFAULTS.get(name, default), "flags": [],
                 "enum": None, "min": 0, "max": 0, "alias": None}
            if name in hidden:
                p["flags"].append("KV_CF_HIDDEN")
            err = main.set(name, PROBE)
            if err == "can't set immutable config":
                p["flags"].append("KV_CF_IMMUTABLE")
                err = startup_error(name, PROBE)

                def setter(v, name=name):
                    return startup_error(name, v)
            else:
                def setter(v, name=name):
                    return main.set(name, v)
            if err is None and name not in SPECIAL:
                # A string: put the default back (requirepass too: this
                # connection stays authenticated).
                main.set(name, default)
            ctype, enum = classify(err)
            if name in SPECIAL:
                ctype, enum = SPECIAL[name], None
            if ctype is None:
                raise SystemExit("%s: unknown value syntax (%r); add it to SPECIAL" % (name, err))
            p["type"], p["enum"] = ctype, enum
            if ctype in ("KV_CT_INT", "KV_CT_MEMORY", "KV_CT_MEMPERCENT"):
                lo, hi, unsigned = probe_bounds(setter, ctype, default)
                p["min"], p["max"] = lo, hi
                if unsigned:
                    p["flags"].append("KV_CF_UNSIGNED")
            params[name] = p
        find_aliases(main, params, defaults)
        protected = Redis()
        try:
            for name in params:
                if protected.set(name, params[name]["default"] or PROBE) == "can't set protected config":
                    params[name]["flags"].append("KV_CF_PROTECTED")
        finally:
            protected.close()
        return params, main.call("INFO", "server").value.decode()
    finally:
        main.close()


def other_value(p, current):
    t = p["type"]
    if t == "KV_CT_BOOL":
        return "no" if current == "yes" else "yes"
    if t == "KV_CT_ENUM":
        return next(v for v in p["enum"] if v != current)
    if t in ("KV_CT_INT", "KV_CT_MEMORY"):
        v = int(current) + 1
        return str(v if v <= p["max"] else int(current) - 1)
    if t == "KV_CT_STRING":
        return PROBE
    return None


def find_aliases(main, params, defaults):
    """Two names for one setting change together."""
    for name, p in params.items():
        if "KV_CF_IMMUTABLE" in p["flags"] or "KV_CF_HIDDEN" in p["flags"] \
                or p["type"] in SPECIAL.values() or name in NO_ALIAS_PROBE:
            continue
        before = main.config()
        value = other_value(p, before[name])
        if value is None or main.set(name, value) is not None:
            continue
        after = main.config()
        main.set(name, before[name])
        changed = [n for n in after if n != name and after[n] != before[n]]
        for n in changed:
            if params[n]["type"] == p["type"]:
                p["alias"] = n
    # replicaof and slaveof cannot be set live; they are one setting too.
    params["replicaof"]["alias"] = "slaveof"
    params["slaveof"]["alias"] = "replicaof"


def c_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(params, info):
    version = re.search(r"redis_version:(\S+)", info).group(1)
    names = sorted(params)
    index = {n: i for i, n in enumerate(names)}
    out = ["/* GENERATED FILE - DO NOT EDIT. Made by tools/gen_config.py from Redis %s:" % version,
           " * every configuration parameter, its value syntax, bounds, default and",
           " * alias, learnt by experiment from a real redis-server. Sorted by name.",
           " * Regenerate: /usr/bin/python3 tools/gen_config.py   (verify: --check). */",
           '#include "cmd/config/cfgtab.h"', "",
           "const kv_cfgdef kv_cfgdefs[] = {"]
    for n in names:
        p = params[n]
        enum = "NULL"
        if p["enum"]:
            enum = c_str("".join(v + "\\0" for v in p["enum"])).replace("\\\\0", "\\0")
        flags = " | ".join(p["flags"]) or "0"
        alias = index[p["alias"]] if p["alias"] else -1
        lo, hi = p["min"], p["max"]
        if hi > LLMAX:
            hi = -1  # ULLONG_MAX, read as unsigned (KV_CF_UNSIGNED)
        lo_s = "LLONG_MIN" if lo == LLMIN else "%dLL" % lo
        hi_s = "LLONG_MAX" if hi == LLMAX else "%dLL" % hi
        out.append("    {%s, %s, %s, %s, %s, %s, %s, %d}," % (
            c_str(n), p["type"], flags, lo_s, hi_s, enum, c_str(p["default"]), alias))
    out += ["};", "",
            "const int kv_ncfgdefs = (int)(sizeof kv_cfgdefs / sizeof kv_cfgdefs[0]);", ""]
    text = "\n".join(out)
    if "LLONG_M" in text:
        text = text.replace('#include "cmd/config/cfgtab.h"', '#include <limits.h>\n\n#include "cmd/config/cfgtab.h"')
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if the file is out of date")
    args = ap.parse_args()
    if not shutil.which("redis-server"):
        raise SystemExit("redis-server not found")
    params, info = gather()
    text = render(params, info)
    if args.check:
        with open(OUT) as f:
            if f.read() != text:
                raise SystemExit("%s is out of date" % OUT)
        print("%s is up to date" % OUT)
        return
    with open(OUT, "w") as f:
        f.write(text)
    print("wrote %s (%d parameters)" % (OUT, len(params)))


if __name__ == "__main__":
    main()
