"""The conformance suite as a compatibility report: which Redis 7.0 commands
and subcommands a server passes the suite's tests for.

While KEVY_COMPAT_REPORT=<path prefix> is set, conftest.py installs this
recorder: every command a test sends in its body (not its fixtures), through
the raw client or redis-py, is noted against that test, with the test's
outcome and its first failing assertion. At the end of the session
<prefix>.json and <prefix>.md hold, for every command of Redis 7.0
(data/redis-7.0-commands.txt), the tests that exercise it: passed, failed,
and the first failure; commands no test sends are "not covered".

A test is counted for the commands it is about: those it sends whose name
appears in the test's name (test_zadd_xx -> ZADD), or, if none does, every
command it sends. Setup commands thus do not inherit a failure that is not
theirs. `make compat-report TARGET=host:port` runs it against any server;
`make compat-docs` regenerates docs/compat/ for kevy and Redis 7.0.15.
"""

import argparse
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
UNIVERSE_FILE = os.path.join(HERE, "data", "redis-7.0-commands.txt")

_sending = None  # the set of commands sent by the test running now, or None


def load_universe(path=UNIVERSE_FILE):
    names = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                names.append(line)
    return names


_UNIVERSE = None
_CONTAINERS = None


def _containers():
    global _UNIVERSE, _CONTAINERS
    if _CONTAINERS is None:
        _UNIVERSE = set(load_universe())
        _CONTAINERS = {n.split("|")[0] for n in _UNIVERSE if "|" in n}
    return _CONTAINERS


def command_name(args):
    """The report's name for a command's arguments: "get", "client|list";
    a container without a known subcommand is named by itself."""
    if not args:
        return None
    first = args[0]
    name = (first.decode("latin-1") if isinstance(first, bytes) else str(first)).lower()
    if name in _containers() and len(args) > 1:
        sub = args[1]
        sub = (sub.decode("latin-1") if isinstance(sub, bytes) else str(sub)).lower()
        if name + "|" + sub in _UNIVERSE:
            return name + "|" + sub
    return name


def record(args):
    """Note one command sent (a list of arguments)."""
    if _sending is not None:
        name = command_name(args)
        if name:
            _sending.add(name)


_BULK = re.compile(rb"\$(\d+)\r\n")


def record_bytes(data):
    """Note the commands in raw RESP bytes (multibulk requests only; inline
    and malformed requests are protocol tests, not command tests)."""
    if _sending is None:
        return
    pos, n = 0, len(data)
    while pos < n and data[pos:pos + 1] == b"*":
        end = data.find(b"\r\n", pos)
        if end < 0:
            return
        try:
            count = int(data[pos + 1:end])
        except ValueError:
            return
        pos = end + 2
        args = []
        for _ in range(max(count, 0)):
            m = _BULK.match(data, pos)
            if not m:
                return
            size = int(m.group(1))
            start = m.end()
            args.append(data[start:start + size])
            pos = start + size + 2
        record(args)


def begin_test():
    global _sending
    _sending = set()


def end_test():
    global _sending
    sent, _sending = _sending or set(), None
    return sent


# -------------------------------------------------------------- the report


def subjects(test_name, sent):
    """The commands a test is about (see the module's docstring)."""
    tokens = set(re.split(r"[^a-z0-9]+", test_name.lower()))
    about = {c for c in sent if c.split("|")[-1] in tokens or c.replace("|", "_") in tokens}
    return about or set(sent)


def build(records, universe, target="", identity=("", "")):
    """records: [{"test", "name", "outcome", "message", "sent"}] in run
    order -> the report as a dict (what the JSON file holds)."""
    cmds = {name: {"passed": 0, "failed": 0, "tests": 0, "first_failure": None}
            for name in universe}
    extra = {}
    for r in records:
        if r["outcome"] not in ("passed", "failed"):
            continue
        for c in sorted(subjects(r["name"], r["sent"])):
            entry = cmds.get(c)
            if entry is None:  # not a Redis 7.0 command (a kevy extension, a typo test)
                entry = extra.setdefault(c, {"passed": 0, "failed": 0, "tests": 0,
                                             "first_failure": None})
            entry["tests"] += 1
            entry[r["outcome"]] += 1
            if r["outcome"] == "failed" and entry["first_failure"] is None:
                entry["first_failure"] = {"test": r["test"], "message": r["message"]}
    covered = [c for c in universe if cmds[c]["tests"]]
    return {
        "target": target,
        "identity": list(identity),
        "totals": {
            "commands": len(universe),
            "covered": len(covered),
            "passing": sum(1 for c in covered if cmds[c]["failed"] == 0),
            "failing": sum(1 for c in covered if cmds[c]["failed"] > 0),
            "not_covered": len(universe) - len(covered),
            "tests": sum(1 for r in records if r["outcome"] in ("passed", "failed")),
        },
        "commands": cmds,
        "other_commands": extra,
    }


def _display(name):
    return name.replace("|", " ").upper()


def markdown(report):
    t = report["totals"]
    impl, version = (report["identity"] + ["", ""])[:2]
    lines = [
        "# Conformance report: %s %s" % (impl or "unknown server", version),
        "",
        "<!-- GENERATED by conformance/compat.py from a run of the conformance suite. -->",
        "",
        "The conformance suite (%d tests ran) against %s, per Redis 7.0 command and "
        "subcommand: the tests that exercise it, how many passed and failed, and the "
        "first failing assertion. A command no test sends is *not covered*: the suite "
        "says nothing about it." % (t["tests"], report["target"] or "a server it started"),
        "",
        "Totals: %d commands and subcommands; %d covered (%d all passing, %d with "
        "failures), %d not covered." % (t["commands"], t["covered"], t["passing"],
                                        t["failing"], t["not_covered"]),
        "",
        "| Command | Tests | Passed | Failed | First failure |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for name in sorted(report["commands"]):
        e = report["commands"][name]
        if e["tests"] == 0:
            lines.append("| `%s` | 0 | | | not covered |" % _display(name))
            continue
        first = ""
        if e["first_failure"]:
            msg = e["first_failure"]["message"].replace("|", "\\|").replace("\n", " ")
            first = "`%s`: %s" % (e["first_failure"]["test"], msg[:160])
        lines.append("| `%s` | %d | %d | %d | %s |" % (_display(name), e["tests"], e["passed"],
                                                     e["failed"], first))
    if report["other_commands"]:
        lines += ["", "Commands the suite sends that Redis 7.0 does not have "
                      "(unknown-command tests, kevy extensions):", ""]
        for name in sorted(report["other_commands"]):
            e = report["other_commands"][name]
            lines.append("- `%s`: %d tests, %d failed" % (_display(name), e["tests"], e["failed"]))
    return "\n".join(lines) + "\n"


def write(prefix, report):
    d = os.path.dirname(prefix)
    if d:
        os.makedirs(d, exist_ok=True)
    with open(prefix + ".json", "w") as f:
        json.dump(report, f, indent=1, sort_keys=True)
        f.write("\n")
    with open(prefix + ".md", "w") as f:
        f.write(markdown(report))


def failure_message(report):
    """The first line of a failed test's assertion, for the report."""
    text = str(report.longrepr) if report.longrepr is not None else ""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("E "):
            return line[2:].strip()
    return text.strip().splitlines()[-1] if text.strip() else "failed"


def _universe_from(target):
    from resp_client import RespClient
    host, _, port = target.rpartition(":")
    with RespClient(host or "127.0.0.1", int(port)) as c:
        names = set()
        for entry in c.value("COMMAND"):
            names.add(entry[0].decode())
            for sub in entry[9]:
                names.add(sub[0].decode())
    head = []
    with open(UNIVERSE_FILE) as f:
        head = [line for line in f if line.startswith("#")]
    with open(UNIVERSE_FILE, "w") as f:
        f.writelines(head)
        f.writelines(n + "\n" for n in sorted(names))
    print("%d commands written to %s" % (len(names), UNIVERSE_FILE))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="compatibility report helpers")
    ap.add_argument("--universe-from", metavar="HOST:PORT",
                    help="rewrite data/redis-7.0-commands.txt from a Redis 7.0 server")
    a = ap.parse_args()
    if a.universe_from:
        _universe_from(a.universe_from)
