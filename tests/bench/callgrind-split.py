#!/usr/bin/env python3
"""callgrind-split.py: instructions per request of a callgrind dump, split by
component (the shared object the instructions ran in), with allocation
calls per request, the inclusive cost of prodrec's main steps and the
costliest functions.

usage: callgrind-split.py FILE REQUESTS [LABEL]

FILE is a callgrind output (tests/bench/profile zeroes the counters, sends
REQUESTS identical-kind requests and dumps).  Self cost is what ran in a
function itself; inclusive adds what it called (recursion counted twice).
"""

import collections
import os
import re
import sys

# Shared object -> component, first match wins.
COMPONENTS = [
    (r"/prodrec$", "our code (prodrec)"),
    (r"libfcgi\.so", "libfcgi"),
    (r"libjson-c\.so", "json-c"),
    (r"libjwt\.so|libjansson\.so|libb64\.so", "libjwt (+jansson, b64)"),
    (r"libcrypto\.so|libssl\.so", "OpenSSL"),
    (r"libmariadb\.so", "Connector/C"),
    (r"libc\.so|libm\.so", "libc"),
    (r"ld-linux", "dynamic loader"),
]

# prodrec's steps, and the library calls they make, for the inclusive view.
STEPS = [
    "fcgi_serve", "FCGX_Accept_r", "FCGX_Finish_r", "FCGX_PutStr",
    "FCGX_GetParam", "route_request", "record_create", "auth_check",
    "jwt_decode", "int_claim", "fcgi_read_body", "json_body_parse",
    "json_tokener_parse_ex", "validate_record", "decide", "rnd_record_id",
    "getrandom", "db_record_insert", "db_record_by_id", "stmt_run",
    "fetch_record", "mysql_stmt_bind_param", "mysql_stmt_execute",
    "mysql_stmt_store_result", "mysql_stmt_fetch", "reply_preview",
    "http_error", "HMAC", "EVP_MAC_fetch", "EVP_DigestSignInit",
    "EVP_PKEY_new_raw_private_key", "json_loads", "json_loadb",
    "jwt_get_grants_json", "time", "clock_gettime", "ppoll", "accept4",
    "read", "write", "writev", "recv", "send", "poll", "close",
]
ALLOC = ["malloc", "calloc", "realloc", "free"]


def component(obj):
    for pat, name in COMPONENTS:
        if obj and re.search(pat, obj):
            return name
    return "other (%s)" % os.path.basename(obj or "?")


def parse(path):
    names = {"ob": {}, "fl": {}, "fn": {}}
    kinds = {"ob": "ob", "cob": "ob", "fl": "fl", "fi": "fl", "fe": "fl",
             "cfi": "fl", "cfl": "fl", "fn": "fn", "cfn": "fn"}
    self_cost = collections.Counter()
    call_cost = collections.Counter()
    calls_to = collections.Counter()
    calls_from = collections.Counter()
    ob = fn = cob = cfn = None
    in_call = False
    defn = re.compile(r"^\((\d+)\)(?: (.*))?$")

    def resolve(kind, val):
        m = defn.match(val)
        if not m:
            return val
        if m.group(2) is not None:
            names[kind][m.group(1)] = m.group(2)
            return m.group(2)
        return names[kind].get(m.group(1), "?")

    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            c = line[0]
            if c.isdigit() or c in "+-*":
                parts = line.split()
                ir = int(parts[1]) if len(parts) > 1 else 0
                if in_call:
                    call_cost[(ob, fn)] += ir
                    in_call = False
                    cob = None
                else:
                    self_cost[(ob, fn)] += ir
                continue
            key, sep, val = line.partition("=")
            if not sep:
                continue
            if key in kinds:
                name = resolve(kinds[key], val)
                if key == "ob":
                    ob = name
                elif key == "fn":
                    fn = name
                elif key == "cob":
                    cob = name
                elif key == "cfn":
                    cfn = name
            elif key == "calls":
                count = int(val.split()[0])
                calls_to[(cob or ob, cfn)] += count
                calls_from[(ob, cfn)] += count
                in_call = True
    return self_cost, call_cost, calls_to, calls_from


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    path, n = sys.argv[1], int(sys.argv[2])
    label = sys.argv[3] if len(sys.argv) > 3 else os.path.basename(path)
    self_cost, call_cost, calls_to, calls_from = parse(path)
    total = sum(self_cost.values())
    if total == 0 or n <= 0:
        print("%s: no cost recorded" % label)
        return 1
    print("== %s: %d requests, %d instructions in all, %d per request"
          % (label, n, total, total // n))
    by_comp = collections.Counter()
    for (ob, _), ir in self_cost.items():
        by_comp[component(ob)] += ir
    print("  %-28s %12s %7s" % ("component", "Ir/request", "share"))
    for name, ir in by_comp.most_common():
        print("  %-28s %12.0f %6.1f%%" % (name, ir / n, 100.0 * ir / total))
    per_fn = collections.Counter()
    for (ob, fn), cnt in calls_to.items():
        per_fn[fn] += cnt
    print("  calls per request: " + ", ".join(
        "%s %.1f" % (a, per_fn[a] / n) for a in ALLOC))
    allocs = collections.Counter()
    for (ob, fn), cnt in calls_from.items():
        if fn in ("malloc", "calloc", "realloc"):
            allocs[component(ob)] += cnt
    print("  malloc+calloc+realloc per request, by the caller's component: "
          + ", ".join("%s %.1f" % (c, k / n) for c, k in allocs.most_common()))
    incl = collections.Counter()
    for key in set(self_cost) | set(call_cost):
        incl[key[1]] += self_cost[key] + call_cost[key]
    print("  inclusive Ir per request (calls per request):")
    for name in STEPS:
        if incl.get(name):
            print("    %-28s %10.0f %6.1f%%  (%.2f)" % (
                name, incl[name] / n, 100.0 * incl[name] / total,
                per_fn[name] / n))
    print("  top functions by self Ir per request:")
    for (ob, fn), ir in self_cost.most_common(25):
        print("    %10.0f %6.1f%%  %-22s %s" % (
            ir / n, 100.0 * ir / total, component(ob)[:22], fn))
    return 0


if __name__ == "__main__":
    sys.exit(main())
