#!/usr/bin/env python3
"""run.py: the integration suite's runner.

Usage: python3 tests/integration/run.py [--build DIR] [-k PATTERN]... [--keep]
                                        [--reverse | --shuffle SEED]

DIR is the build directory holding src/prodrec (default: the current
directory). Starts a throwaway MariaDB, prodrec over FastCGI, lighttpd and
Apache httpd (mod_fcgid, and mod_proxy_fcgi before a standalone prodrec)
(see harness.py), runs every test_*.py module with one line per test, then
scans prodrec's logs for sanitizer reports (one more check). The last line is
exactly "N passed, M failed"; the exit status is non-zero when M > 0. Skipped
tests count as failures when CI=true. Everything started is stopped and the
temporary directory removed, also on failure, timeout or interrupt (--keep or
IT_KEEP=1 keeps the directory for a post-mortem). The whole run is bounded by
IT_TIMEOUT seconds (default 300).

-k PATTERN (repeatable) runs only the tests whose id (module.Class.test)
contains one of the patterns: "-k test_database." runs that module alone.
The modules' order does not matter: no test relies on state another left
(a test that stops, kills or restarts MariaDB has a private one of its own,
itbase.PrivateDatabase; fixtures shared by modules live in itbase.py and
harness.py). --reverse runs the modules in the reverse of MODULES, and
--shuffle SEED in an order shuffled by SEED (an integer; the order used is
printed), to show it; the tests within a module keep unittest's order.

tests/galera/run runs the Galera suite through main(), with its own modules.
"""

import argparse
import atexit
import os
import random
import signal
import sys
import time
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402

MODULES = [
    "test_create",
    "test_validation",
    "test_auth",
    "test_jwks",
    "test_fetch_jwks",
    "test_transport",
    "test_config",
    "test_concurrency",
    "test_pool",
    "test_deploy",
    "test_places",
    "test_sessions",
    "test_migrations",
    "test_control",
    "test_openapi",
    "test_database",
]


class SuiteTimeout(KeyboardInterrupt):
    """A KeyboardInterrupt, so that unittest lets it through."""


class Terminated(KeyboardInterrupt):
    pass


def on_alarm(signum, frame):
    raise SuiteTimeout("the suite ran out of time")


def on_term(signum, frame):
    raise Terminated("signal %d" % signum)


RESULTS = []    # the runner's result, also when the run is interrupted


class CountingResult(unittest.TextTestResult):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.passed = 0
        RESULTS.append(self)

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


def matches(test, patterns):
    if not patterns:
        return True
    tid = test.id()
    return any(p in tid for p in patterns)


def flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from flatten(t)
        else:
            yield t


def tail(path, n=40):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join(lines[-n:])
    except OSError:
        return "(no %s)" % path


def main(modules=None, name="integration"):
    """Run the test modules named (default MODULES); returns the exit
    status. name is the suite's name in the last lines."""
    modules = MODULES if modules is None else modules
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=".")
    ap.add_argument("-k", action="append", default=[],
                    help="run only tests whose id contains this")
    ap.add_argument("--keep", action="store_true")
    order = ap.add_mutually_exclusive_group()
    order.add_argument("--reverse", action="store_true",
                       help="run the modules in reverse order")
    order.add_argument("--shuffle", type=int, metavar="SEED",
                       help="run the modules in an order shuffled by SEED")
    args = ap.parse_args()
    modules = list(modules)
    if args.reverse:
        modules.reverse()
    elif args.shuffle is not None:
        random.Random(args.shuffle).shuffle(modules)
    if args.reverse or args.shuffle is not None:
        print("module order: %s" % " ".join(modules))
    ci = os.environ.get("CI") == "true"
    keep = args.keep or os.environ.get("IT_KEEP") == "1"
    limit = int(os.environ.get("IT_TIMEOUT", "300"))

    passed = failed = skipped = 0
    t0 = time.time()
    H = harness.init(args.build)
    done = []

    def cleanup():
        if done:
            return
        done.append(1)
        try:
            H.shutdown(keep=keep)
        except BaseException as e:  # noqa: BLE001
            print("cleanup failed: %r" % e)

    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(limit)
    result = None
    try:
        missing = H.check_tools()
        if missing:
            msg = "missing programs: %s" % ", ".join(missing)
            print("integration tests skipped: " + msg)
            skipped += 1
        else:
            try:
                H.start()
            except Exception as e:  # noqa: BLE001
                print("FAILED to start the system under test: %s" % e)
                traceback.print_exc(file=sys.stdout)
                failed += 1
            else:
                loader = unittest.TestLoader()
                suite = unittest.TestSuite()
                for mod_name in modules:
                    try:
                        mod = __import__(mod_name)
                    except Exception:  # noqa: BLE001
                        print("cannot load %s:" % mod_name)
                        traceback.print_exc(file=sys.stdout)
                        failed += 1
                        continue
                    for t in flatten(loader.loadTestsFromModule(mod)):
                        if type(t).__name__.startswith("_"):
                            continue    # a mixin, run through its subclasses
                        if matches(t, args.k):
                            suite.addTest(t)
                print("running %d tests (build %s, work dir %s)"
                      % (suite.countTestCases(), H.build, H.root))
                sys.stdout.flush()
                runner = unittest.TextTestRunner(
                    stream=sys.stdout, verbosity=2, resultclass=CountingResult)
                result = runner.run(suite)
                if result.failures or result.errors:
                    print("---- end of prodrec log (direct-main) ----")
                    print(tail(os.path.join(H.root, "direct-main.log")))
                    print("---- end of lighttpd-error.log ----")
                    print(tail(os.path.join(H.root, "web",
                                            "lighttpd-error.log")))
                    for f in (H.fcgid, H.proxy):
                        for path in sorted({f.errlog, f.logpath}):
                            print("---- end of %s/%s ----" % (
                                f.label, os.path.basename(path)))
                            print(tail(path))
    except SuiteTimeout as e:
        print("TIMEOUT: %s after %ds" % (e, limit))
        failed += 1
        if result is None:
            pass
    except KeyboardInterrupt as e:
        print("interrupted: %s" % (e or "SIGINT"))
        failed += 1
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        try:
            cleanup()
        except BaseException:  # noqa: BLE001
            pass

    for res in RESULTS:
        passed += res.passed
        failed += len(res.failures) + len(res.errors) + \
            len(res.unexpectedSuccesses)
        skipped += len(res.skipped)
    if H.direct is not None:
        if H.sanitizer_hits:
            print("sanitizer log scan ... FAIL")
            for line in H.sanitizer_hits[:50]:
                print("  " + line)
            failed += 1
        else:
            print("sanitizer log scan (AddressSanitizer, runtime error:) "
                  "... ok")
            passed += 1
    if skipped:
        if ci:
            print("%d skipped tests count as failures (CI=true)" % skipped)
            failed += skipped
        else:
            print("%d tests skipped (not counted)" % skipped)
    print("%s suite took %.1fs" % (name, time.time() - t0))
    print("%d passed, %d failed" % (passed, failed))
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
