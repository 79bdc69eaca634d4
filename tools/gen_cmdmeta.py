#!/usr/bin/python3
"""Generate src/cmd/core/cmdmeta_gen.c: Redis 7.0.15's exact COMMAND INFO and
COMMAND DOCS replies (RESP3 bytes) plus the parsed arity, key positions, flags
and ACL categories (as names and as bit sets), for every command named in
tools/cmdmeta_commands.txt (a container's subcommands cut to those named
there, the ones kevy implements); and src/cmd/core/cmdmeta_flags.h, the bits.
Usage: gen_cmdmeta.py [--redis host:port] [--check]   (stdlib only)."""

import argparse
import difflib
import os
import re
import sys

sys.dont_write_bytecode = True  # keep tools/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis_oracle as ro  # noqa: E402

EXPECTED_VERSION = "7.0.15"
# Redis 7.0's command flags and ACL categories, in Redis's own order (server.h):
# bit i of a descriptor's set is entry i. A name Redis reports that is not
# here stops the generator: the bit sets must be complete.
RFLAGS = ["write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript",
          "blocking", "loading", "stale", "skip_monitor", "skip_slowlog", "fast", "no_auth",
          "may_replicate", "sentinel", "only_sentinel", "no_mandatory_keys", "protected",
          "module_getkeys", "module_no_cluster", "no_async_loading", "no_multi", "movablekeys",
          "allow_busy", "module_getchannels"]
ACLCATS = ["keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
           "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
           "dangerous", "connection", "transaction", "scripting"]

# ISO C99 only promises string literals of 4095 characters; longer replies
# become char arrays so the file stays -pedantic clean with gcc and clang.
MAX_LITERAL = 4000


def read_names(path):
    names = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip().lower()
            if line and line not in names:
                names.append(line)
    return names


# ------------------------------------------------------------ canonical form
#
# Redis keeps subcommands in a dict whose hash seed is random per process, so
# a container's subcommand order changes from one redis-server to the next.
# We sort them by name: one valid Redis order, and regeneration stays stable.

def canonical_info(node, keep):
    """COMMAND INFO element with its subcommand array (item 10) sorted and
    cut to the subcommands in keep (those kevy implements)."""
    items = node.value
    if len(items) < 10 or not items[9].value:
        return node.raw
    subs = sorted((n for n in items[9].value if n.value[0].value.decode() in keep),
                  key=lambda n: n.value[0].value)
    head = node.raw[:node.raw.index(b"\r\n") + 2]
    subhead = items[9].raw[:1] + b"%d\r\n" % len(subs)
    return (head + b"".join(i.raw for i in items[:9]) + subhead
            + b"".join(s.raw for s in subs))


def canonical_docs(node, keep):
    """COMMAND DOCS value with its 'subcommands' map sorted by name and cut
    to the subcommands in keep."""
    head = node.raw[:node.raw.index(b"\r\n") + 2]
    out = [head]
    for k, v in node.pairs():
        out.append(k.raw)
        if k.value == b"subcommands" and v.value:
            pairs = sorted((p for p in v.pairs() if p[0].value.decode() in keep),
                           key=lambda p: p[0].value)
            # A RESP2 map is a flat array: twice as many elements.
            n = len(pairs) * (1 if v.raw[:1] == b"%" else 2)
            out.append(v.raw[:1] + b"%d\r\n" % n + b"".join(a.raw + b.raw for a, b in pairs))
        else:
            out.append(v.raw)
    return b"".join(out)


def resp3_to_resp2(node):
    """RESP2 form by the rules of kv_resp3_to_resp2 in include/kevy/resp.h."""
    k, v = node.kind, node.value
    if k == "|":
        raise ro.RespError("attribute in reply")
    if k in "*%~>":
        if v is None:
            return b"*-1\r\n"
        # A map's children are already flat (key, value, ...): 2n elements.
        return b"*%d\r\n" % len(v) + b"".join(resp3_to_resp2(c) for c in v)
    if k == "_":
        return b"$-1\r\n"
    if k == "#":
        return b":1\r\n" if v == b"t" else b":0\r\n"
    if k in ",(":
        return b"$%d\r\n%s\r\n" % (len(v), v)
    if k == "=":
        return b"$%d\r\n%s\r\n" % (len(v) - 4, v[4:])
    if k == "!":
        return b"-" + v + b"\r\n"
    return node.raw


# --------------------------------------------------------------- capture

class Entry:
    def __init__(self, name, info3, docs3, info2, docs2):
        self.name = name
        self.info = info3      # canonical RESP3 bytes
        self.docs = docs3
        self.info2 = info2     # canonical RESP2 bytes as Redis sent them
        self.docs2 = docs2
        n = ro.parse_exact(info3).value
        if n[0].value.decode() != name:
            raise ro.RespError("COMMAND INFO %s named %r" % (name, n[0].value))
        self.arity = int(n[1].value)
        self.flags = [c.value.decode() for c in n[2].value]
        self.first, self.last, self.step = (int(c.value) for c in n[3:6])
        self.acl = [c.value.decode() for c in n[6].value]


def capture_one(conn, name, keep):
    info = conn.call("COMMAND", "INFO", name)
    if info.kind != "*" or len(info.value) != 1 or info.value[0].value is None:
        raise ro.RespError("Redis does not know command %r" % name)
    docs = conn.call("COMMAND", "DOCS", name)
    pairs = docs.pairs()
    if len(pairs) != 1 or pairs[0][0].value.decode() != name:
        raise ro.RespError("COMMAND DOCS %s: unexpected reply %r" % (name, docs.raw[:80]))
    # RESP2 maps arrive as flat arrays: pairs() and canonical_docs work alike.
    return canonical_info(info.value[0], keep), canonical_docs(pairs[0][1], keep)


def capture(host, port, names, allow_any_version=False):
    c2 = ro.Conn(host, port)
    c3 = ro.Conn(host, port)
    version = ro.server_version(c2)
    if version != EXPECTED_VERSION and not allow_any_version:
        raise SystemExit("oracle is Redis %s, want %s (use --any-version to override)"
                         % (version, EXPECTED_VERSION))
    hello = c3.call("HELLO", "3")
    if hello.kind != "%":
        raise SystemExit("HELLO 3 failed: %r" % hello.raw[:80])
    entries = []
    keep = set(names)  # a container lists only the subcommands kevy has
    for name in names:
        info3, docs3 = capture_one(c3, name, keep)
        info2, docs2 = capture_one(c2, name, keep)
        entries.append(Entry(name, info3, docs3, info2, docs2))
    c2.close()
    c3.close()
    return version, entries


# ------------------------------------------------------------ C emission

def c_ident(name):
    return re.sub(r"[^0-9a-zA-Z]", "_", name)


def _lit_byte(b):
    ch = chr(b)
    if ch == '"' or ch == "\\" or ch == "?":   # '?' escaped: no trigraphs
        return "\\" + ch
    if 32 <= b < 127:
        return ch
    return {10: "\\n", 13: "\\r", 9: "\\t"}.get(b, "\\%03o" % b)


def _chr_byte(b):
    ch = chr(b)
    if ch == "'" or ch == "\\":
        return "'\\%s'" % ch
    if 32 <= b < 127:
        return "'%s'" % ch
    return {10: "'\\n'", 13: "'\\r'", 9: "'\\t'"}.get(b, "'\\%03o'" % b)


def _resp_lines(data):
    """Split on CRLF for presentation only: one RESP line per source line."""
    lines, start = [], 0
    while start < len(data):
        end = data.find(b"\r\n", start)
        end = len(data) if end < 0 else end + 2
        lines.append(data[start:end])
        start = end
    return lines


def emit_bytes(ident, data):
    if len(data) <= MAX_LITERAL:
        body = "\n".join('    "%s"' % "".join(_lit_byte(b) for b in line)
                         for line in _resp_lines(data))
        return "static const char %s[] =\n%s;\n" % (ident, body)
    body = "\n".join("    " + ",".join(_chr_byte(b) for b in line) + ","
                     for line in _resp_lines(data))
    return "static const char %s[] = {\n%s\n};\n" % (ident, body)


def c_str(s):
    return '"%s"' % "".join(_lit_byte(b) for b in s.encode())


def c_const(prefix, name):
    return prefix + re.sub(r"[^0-9A-Za-z]", "_", name).upper()


def bits(prefix, names, known, what, cmd):
    out = []
    for n in names:
        if n not in known:
            raise SystemExit("Redis reports %s %r for %s: add it to %s in tools/gen_cmdmeta.py"
                             % (what, n, cmd, "RFLAGS" if prefix == "KV_RF_" else "ACLCATS"))
        out.append(c_const(prefix, n))
    return " | ".join(out) if out else "0"


def render_flags(version):
    out = ["/* GENERATED FILE - DO NOT EDIT. Made by tools/gen_cmdmeta.py from Redis %s:\n"
           " * its command flags (KV_RF_*) and ACL categories (KV_ACL_*) as bits, in\n"
           " * Redis's order; kv_rflag_names / kv_acl_names (cmdmeta_gen.c) name bit i. */\n"
           "#ifndef KEVY_CMD_CMDMETA_FLAGS_H\n#define KEVY_CMD_CMDMETA_FLAGS_H\n\n" % version]
    for i, n in enumerate(RFLAGS):
        out.append("#define %s (1ul << %d)\n" % (c_const("KV_RF_", n), i))
    out.append("#define KV_RF_COUNT %d\n\n" % len(RFLAGS))
    for i, n in enumerate(ACLCATS):
        out.append("#define %s (1ul << %d)\n" % (c_const("KV_ACL_", n), i))
    out.append("#define KV_ACL_COUNT %d\n\n#endif\n" % len(ACLCATS))
    return "".join(out)


def render(version, entries):
    entries = sorted(entries, key=lambda e: e.name)
    idents = [c_ident(e.name) for e in entries]
    if len(set(idents)) != len(idents):
        raise SystemExit("two command names map to one C identifier")
    out = []
    out.append("/* GENERATED FILE - DO NOT EDIT. Made by tools/gen_cmdmeta.py from "
               "Redis %s:\n" % version)
    out.append(" * the exact RESP3 bytes of COMMAND INFO / COMMAND DOCS for each command\n"
               " * in tools/cmdmeta_commands.txt, plus their parsed basic fields.\n"
               " * Regenerate: /usr/bin/python3 tools/gen_cmdmeta.py   "
               "(verify: ... --check).\n"
               " * Subcommands of containers are sorted by name (Redis's own order is\n"
               " * random per process). The table is sorted by name for kv_cmdmeta_find. */\n")
    out.append('#include <stddef.h>\n\n#include "cmd/core/cmdmeta.h"\n')
    out.append("\nconst char *const kv_rflag_names[KV_RF_COUNT] = {\n%s};\n"
               % "".join("    %s,\n" % c_str(n) for n in RFLAGS))
    out.append("\nconst char *const kv_acl_names[KV_ACL_COUNT] = {\n%s};\n"
               % "".join("    %s,\n" % c_str(n) for n in ACLCATS))
    for e, ident in zip(entries, idents):
        out.append("\n/* ---- %s */\n" % e.name)
        out.append("static const char *const flags_%s[] = {%s};\n"
                   % (ident, ", ".join([c_str(f) for f in e.flags] + ["NULL"])))
        out.append("static const char *const acl_%s[] = {%s};\n"
                   % (ident, ", ".join([c_str(a) for a in e.acl] + ["NULL"])))
        out.append(emit_bytes("info_" + ident, e.info))
        out.append(emit_bytes("docs_" + ident, e.docs))
    out.append("\nstatic const kv_cmdmeta cmdmeta_table[] = {\n")
    for e, ident in zip(entries, idents):
        out.append("    {%s, %d, %d, %d, %d, flags_%s, acl_%s,\n"
                   "     %s,\n"
                   "     %s,\n"
                   "     info_%s, %d, docs_%s, %d},\n"
                   % (c_str(e.name), e.arity, e.first, e.last, e.step, ident, ident,
                      bits("KV_RF_", e.flags, RFLAGS, "flag", e.name),
                      bits("KV_ACL_", [a.lstrip("@") for a in e.acl], ACLCATS, "ACL category",
                           e.name),
                      ident, len(e.info), ident, len(e.docs)))
    out.append("};\n\n")
    out.append("size_t kv_cmdmeta_count(void)\n{\n"
               "    return sizeof cmdmeta_table / sizeof cmdmeta_table[0];\n}\n\n")
    out.append("const kv_cmdmeta *kv_cmdmeta_at(size_t i)\n{\n"
               "    return i < kv_cmdmeta_count() ? &cmdmeta_table[i] : NULL;\n}\n")
    return "".join(out)


# ------------------------------------------------------------------ main

def check_resp2(entries):
    """Redis's RESP2 replies must equal the mechanical RESP3->RESP2 conversion,
    so kevy can serve RESP2 from the stored RESP3 bytes."""
    bad = 0
    for e in entries:
        for what, r3, r2 in (("info", e.info, e.info2), ("docs", e.docs, e.docs2)):
            if resp3_to_resp2(ro.parse_exact(r3)) != r2:
                print("RESP2 %s of %s differs from converted RESP3" % (what, e.name))
                bad += 1
    return bad


def main():
    root = ro.repo_root()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--redis", metavar="HOST:PORT",
                    help="use this Redis instead of starting one")
    ap.add_argument("--redis-bin", help="redis-server to start (default: from PATH)")
    ap.add_argument("--commands", default=os.path.join(root, "tools", "cmdmeta_commands.txt"))
    ap.add_argument("--out", default=os.path.join(root, "src", "cmd", "core", "cmdmeta_gen.c"))
    ap.add_argument("--out-flags",
                    default=os.path.join(root, "src", "cmd", "core", "cmdmeta_flags.h"))
    ap.add_argument("--check", action="store_true",
                    help="verify --out matches what Redis says; write nothing")
    ap.add_argument("--any-version", action="store_true",
                    help="accept an oracle that is not Redis %s" % EXPECTED_VERSION)
    args = ap.parse_args()

    names = read_names(args.commands)
    with ro.Oracle(args.redis, args.redis_bin) as (host, port):
        version, entries = capture(host, port, names, args.any_version)
    outputs = [(args.out, render(version, entries)), (args.out_flags, render_flags(version))]
    bad = check_resp2(entries)

    if args.check:
        for path, text in outputs:
            try:
                with open(path) as f:
                    current = f.read()
            except FileNotFoundError:
                current = ""
            if current != text:
                diff = difflib.unified_diff(current.splitlines(True), text.splitlines(True),
                                            path, "expected from Redis %s" % version)
                sys.stdout.writelines(list(diff)[:200])
                print("%s is out of date: run /usr/bin/python3 tools/gen_cmdmeta.py" % path)
                return 1
        print("%s matches Redis %s for %d commands" % (args.out, version, len(entries)))
        return 1 if bad else 0
    for path, text in outputs:
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    print("wrote %s and %s: %d commands from Redis %s"
          % (args.out, args.out_flags, len(entries), version))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
