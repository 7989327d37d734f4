#!/usr/bin/env python3
"""structure.py: the modules' boundaries, drawn from the code's own includes
and definitions (TAP, for make check).

- No circle between modules: a module is a name (db_record for
  src/db_record.c), its .c and its header; "a includes b" is an edge.
- No file includes a header of this project that it uses nothing of: no
  function, type, enum constant or macro it declares, and no member of its
  structs reached with . or ->.
- Each third-party library is included by its own modules only.

Run from the top of the tree, or with srcdir set to it.
"""

import glob
import os
import re
import sys

SRCDIR = os.environ.get("srcdir", ".")

# Library header -> the modules that may include it.
LIBRARIES = {
    r"mysql\.h|errmsg\.h|mysqld_error\.h": {"db_conn", "db_int", "db_record",
                                            "db_session"},
    r"json-c/": {"json"},
    r"jwt\.h": {"auth"},
    r"fcgiapp\.h": {"fcgi"},
    r"openssl/": {"auth", "keys", "tokcache"},
}

count = 0
failed = 0


def ok(cond, text):
    global count, failed
    count += 1
    if not cond:
        failed += 1
    print("%sok %d - %s" % ("" if cond else "not ", count, text))


def strip_comments(text):
    return re.sub(r"/\*.*?\*/", " ", text, flags=re.S)


def declared(text):
    """The names a header gives its users, and its structs' members."""
    text = strip_comments(text)
    names = set(re.findall(r"^#define\s+([A-Za-z_]\w*)", text, re.M))
    names |= set(re.findall(r"\b(?:struct|enum)\s+(\w+)", text))
    names |= set(re.findall(r"\b(\w+)\s*\(", text))
    names |= set(re.findall(r"\btypedef\b[^;]*?\b(\w+)\s*;", text))
    members = set()
    for kind, body in re.findall(r"\b(struct|enum)\s+\w+\s*\{(.*?)\}", text,
                                 re.S):
        found = set(re.findall(
            r"\b([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*[;,=]", body))
        if kind == "enum":
            names |= set(re.findall(r"\b([A-Z_][A-Z0-9_]*)\b", body))
        else:
            members |= found
    guard = re.findall(r"#ifndef\s+(\w+)", text)
    names -= set(guard) | {"if", "while", "for", "return", "sizeof",
                           "__attribute__", "unused", "format"}
    return names, members


def module(path):
    return os.path.splitext(os.path.basename(path))[0]


def main():
    files = sorted(glob.glob(os.path.join(SRCDIR, "src", "*.[ch]")) +
                   glob.glob(os.path.join(SRCDIR, "include", "prodrec",
                                          "*.h")))
    headers = {os.path.basename(f): f for f in files if f.endswith(".h")}
    decls = {h: declared(open(f).read()) for h, f in headers.items()}
    graph = {}
    for f in files:
        text = open(f).read()
        body = strip_comments(re.sub(r"^#include.*$", "", text, flags=re.M))
        words = set(re.findall(r"\w+", body))
        reached = set(re.findall(r"(?:\.|->)\s*(\w+)", body))
        m = module(f)
        for inc in re.findall(r'^#include "(\w+\.h)"', text, re.M):
            if inc not in headers or module(inc) == m:
                continue
            graph.setdefault(m, set()).add(module(inc))
            names, members = decls[inc]
            ok(bool(names & words or members & reached),
               "%s uses what %s declares" %
               (os.path.relpath(f, SRCDIR), inc))
        for lib in re.findall(r"^#include <([\w/.-]+)>", text, re.M):
            for pattern, owners in LIBRARIES.items():
                if re.match(pattern, lib):
                    ok(m in owners, "%s: <%s> belongs to %s" %
                       (os.path.relpath(f, SRCDIR), lib,
                        ", ".join(sorted(owners))))
    # Tarjan's strongly connected components: any of more than one module
    # is a circle.
    index, low, stack, on, circles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
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
                circles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    ok(not circles, "no circle between modules%s" %
       "".join(": " + " <-> ".join(c) for c in circles))
    print("1..%d" % count)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
