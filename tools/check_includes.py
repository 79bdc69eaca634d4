#!/usr/bin/python3
"""Find include loops among the headers under src/ (or the folders given).

A header stands for its module: the header and the .c files that implement
it (a .c implements a header it includes when it defines a function or
variable that header declares). Module A depends on module B when A's
header, or a file implementing A, includes B's header. A loop in that graph
is a set of modules that cannot be understood, tested or layered one
without the other, even though include guards let it compile: for example
a helpers file that also wires the whole command set, so the helpers'
header depends on every service that uses the helpers.

Usage: check_includes.py [--src ROOT] [DIR ...]   (default: src/cmd src/rt;
quoted includes resolve under ROOT, default src/).
Prints each loop with the includes that close it; exits 1 if there is one.
Stdlib only; `make` does not need it, CI runs it."""

import os
import re
import sys

sys.dont_write_bytecode = True

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "src")

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
STRING = re.compile(r'"(?:\\.|[^"\\])*"')
# Identifiers a header declares: functions and extern variables at file scope.
DECL_FN = re.compile(r"\b([A-Za-z_]\w*)\s*\([^;{]*\)\s*(?:__attribute__\s*\(\(.*?\)\)\s*)?;", re.S)
DECL_VAR = re.compile(r"^\s*extern\b[^;(]*?\b([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*;", re.M)
# Identifiers a .c file defines with external linkage.
DEF_FN = re.compile(r"^(?!static\b|typedef\b)[A-Za-z_][\w \t\*]*?\b([A-Za-z_]\w*)\s*\([^;{]*\)\s*\{",
                    re.M | re.S)
DEF_VAR = re.compile(r"^(?!static\b|typedef\b|extern\b)(?:const\s+)?[A-Za-z_]\w*[\s\*]+(?:const\s+)?"
                     r"([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*=", re.M)


def strip(text):
    return STRING.sub('""', COMMENT.sub(" ", text))


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def resolve(inc):
    """A quoted include as a path under src/, or None (system, include/)."""
    path = os.path.normpath(os.path.join(SRC, inc))
    return path if os.path.isfile(path) else None


def scan(dirs):
    headers, sources = {}, {}
    for d in dirs:
        for base, _, files in os.walk(d):
            for name in sorted(files):
                path = os.path.normpath(os.path.join(base, name))
                if name.endswith(".h"):
                    headers[path] = read(path)
                elif name.endswith(".c"):
                    sources[path] = read(path)
    return headers, sources


def includes(text):
    return [p for p in (resolve(i) for i in INCLUDE.findall(text)) if p]


def declared(text):
    body = strip(text)
    body = re.sub(r"static\s+inline[^{;]*\{(?:[^{}]|\{[^{}]*\})*\}", " ", body)
    names = set(DECL_FN.findall(body)) | set(DECL_VAR.findall(body))
    return {n for n in names if n not in ("if", "while", "for", "switch", "return", "sizeof")}


def defined(text):
    body = strip(text)
    return set(DEF_FN.findall(body)) | set(DEF_VAR.findall(body))


def build(dirs):
    headers, sources = scan(dirs)
    decls = {h: declared(t) for h, t in headers.items()}
    # edges[a][b] = the file whose include makes module a depend on module b
    edges = {h: {} for h in headers}
    for h, text in headers.items():
        for inc in includes(text):
            if inc in headers and inc != h:
                edges[h].setdefault(inc, h)
    for c, text in sources.items():
        incs = includes(text)
        defs = defined(text)
        for h in incs:
            if h in headers and decls[h] & defs:
                for inc in incs:
                    if inc in headers and inc != h:
                        edges[h].setdefault(inc, c)
    return edges


def loops(edges):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def rel(p):
    return os.path.relpath(p, SRC)


def main(argv):
    global SRC
    if len(argv) >= 2 and argv[0] == "--src":
        SRC = os.path.abspath(argv[1])
        argv = argv[2:]
    dirs = [os.path.abspath(d) for d in argv] or [os.path.join(SRC, "cmd"), os.path.join(SRC, "rt")]
    edges = build(dirs)
    found = loops(edges)
    for comp in found:
        members = set(comp)
        print("include loop: " + ", ".join(rel(h) for h in comp))
        for h in comp:
            for to, via in sorted(edges[h].items()):
                if to in members:
                    print("    %s -> %s   (%s)" % (rel(h), rel(to), rel(via)))
    if not found:
        print("no include loop among %d headers under %s"
              % (len(edges), ", ".join(rel(d) or "." for d in dirs)))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
