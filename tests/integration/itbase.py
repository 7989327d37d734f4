"""itbase.py: the TestCase base of the integration tests, the helper that
runs one set of cases over every front end (direct FastCGI, lighttpd, Apache
with mod_fcgid, Apache with mod_proxy_fcgi), and the fixtures more than one
test module uses: PrivateDatabase (a MariaDB of the test class's own, for
tests that stop or restart it), Pool (a standalone prodrec), Load (client
threads posting records), RecipeFront, recipe and start_server (a web server
from a deploy recipe), and the /proc helpers proc_state, running and
children. A test module imports its fixtures from here (or harness.py),
never from another test module."""

import datetime
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
import unittest

import fcgi
import harness
from harness import RECORDS_PATH, post_record  # noqa: F401 (re-exported)
from harness import (HTTP_TIMEOUT, REPO, HarnessError, child_env,
                     read_text)

JSON_CT = "application/json; charset=utf-8"
RECORD_ID_RE = re.compile(r"^rec_[0-9a-f]{16}$")


def utc_now_iso(offset_seconds=0, ms=True):
    t = datetime.datetime.now(datetime.timezone.utc) + \
        datetime.timedelta(seconds=offset_seconds)
    if ms:
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (
            t.microsecond // 1000)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Base(unittest.TestCase):
    """Helpers shared by every integration test. front: the front end.
    system: the Harness the test runs against (None: the suite's shared
    one, harness.H; PrivateDatabase sets its own)."""

    front_name = None
    maxDiff = 4000
    system = None

    @property
    def H(self):
        return type(self).system or harness.H

    # front_name -> the Harness attribute holding that front end.
    FRONTS = {"direct": "direct", "lighttpd": "web", "fcgid": "fcgid",
              "proxy": "proxy"}

    @property
    def front(self):
        return getattr(self.H, self.FRONTS[self.front_name or "direct"])

    # ---- identities and bodies -------------------------------------------

    def new_user(self):
        return "auth0|it-" + secrets.token_hex(6)

    def setup_user(self):
        """A fresh user with an open session and a token."""
        self.user = self.new_user()
        self.sid = self.H.open_session(self.user)
        self.tok = self.H.token(self.user)

    def body(self, **over):
        b = {
            "sessionId": self.sid,
            "workerId": "JS0315",
            "worker_name": "John Smith",
            "units": 5,
            "recordedAtUtc": "2025-10-19T14:30:00.000Z",
            "clientEventId": "evt_" + secrets.token_hex(8),
        }
        return harness.overlay(b, over, drop=OMIT)

    def post(self, body, token="default", **kw):
        if token == "default":
            token = self.tok
        return post_record(self.front, body, token, **kw)

    # ---- assertions ------------------------------------------------------

    def assert_json_ct(self, r):
        self.assertEqual(r.header("content-type"), JSON_CT,
                         "Content-Type of %r" % r)

    def assert_success(self, r, status, body, idempotent):
        """The 200/201 shape of CONTRACT 5; returns the recordId."""
        self.assertEqual(r.status, status, r)
        self.assert_json_ct(r)
        j = r.json()
        self.assertEqual(set(j), {"status", "data"}, j)
        self.assertEqual(j["status"], "success")
        self.assertEqual(set(j["data"]), {"payloadPreview", "idempotent"}, j)
        self.assertIs(j["data"]["idempotent"], idempotent, j)
        pp = j["data"]["payloadPreview"]
        self.assertEqual(set(pp), {"recordId", "sessionId", "workerId",
                                   "units"}, j)
        self.assertRegex(pp["recordId"], RECORD_ID_RE)
        self.assertEqual(pp["sessionId"], body["sessionId"].lower())
        self.assertEqual(pp["workerId"], body["workerId"])
        units = body.get("units", 1)
        self.assertEqual(pp["units"], int(units))
        self.assertIs(type(pp["units"]), int, "units is an integer: %r" % j)
        return pp["recordId"]

    def assert_error(self, r, status, names=None):
        """The error shape; names: a word (or any of several) that `error`
        must contain, e.g. the offending field."""
        self.assertEqual(r.status, status, r)
        self.assert_json_ct(r)
        j = r.json()
        self.assertEqual(set(j), {"status", "message", "error"}, j)
        self.assertEqual(j["status"], "error")
        self.assertIsInstance(j["message"], str)
        self.assertIsInstance(j["error"], str)
        self.assertTrue(j["message"])
        self.assertTrue(j["error"])
        if names is not None:
            if isinstance(names, str):
                names = [names]
            self.assertTrue(any(n in j["error"] for n in names),
                            "error %r names none of %r" % (j["error"], names))
        return j

    def assert_401(self, r, no_token=False):
        self.assert_error(r, 401)
        want = "Bearer" if no_token else 'Bearer error="invalid_token"'
        self.assertEqual(r.header("www-authenticate"), want, r)

    def assert_alive(self):
        f = self.front
        self.assertTrue(f.alive(), "%s not alive" % f.name)


class OwnDirect(Base):
    """A mixin for a test class with a direct prodrec of its own, cls.server
    (direct_env over the suite's settings, labelled direct_label), started
    in setUpClass and stopped in tearDownClass."""

    direct_env = None
    direct_label = None
    server = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = harness.H.new_direct(env=cls.direct_env,
                                          label=cls.direct_label)

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.server is not None:
                cls.server.stop()
        finally:
            super().tearDownClass()

    def setUp(self):
        self.setup_user()


class NamedServers(Base):
    """A mixin for a test class that runs direct prodrecs under settings of
    its own: self.server(name, env) starts one per name on first use (env
    over the suite's settings, labelled label_prefix + name), and
    tearDownClass stops them all."""

    label_prefix = ""
    servers = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.servers = {}

    @classmethod
    def tearDownClass(cls):
        try:
            for s in cls.servers.values():
                s.stop()
        finally:
            cls.servers = {}
            super().tearDownClass()

    def server(self, name, env):
        servers = type(self).servers
        if name not in servers:
            servers[name] = harness.H.new_direct(
                env=env, label=self.label_prefix + name)
        return servers[name]

    def setUp(self):
        self.setup_user()


class StartChecks:
    """A mixin for tests of prodrec run as a one-off command (by default
    --check-config) and of the one line it prints when it refuses to
    start."""

    def run_prodrec(self, env, args=("--check-config",), stdin=None,
                    config_file=None, timeout=20):
        """Run prodrec with the suite's settings, env over them (None
        removes a variable) and, with config_file, a file of that text as
        PRODREC_CONFIG. Fails the test if it is still running after
        timeout seconds."""
        e = dict(self.H.prodrec_env())
        if config_file is not None:
            path = os.path.join(self.H.root, "cfg-%d.conf" % id(config_file))
            with open(path, "w") as f:
                f.write(config_file)
            e["PRODREC_CONFIG"] = path
        e.update(env)
        try:
            return subprocess.run([self.H.bin] + list(args),
                                  env=child_env(e), stdin=stdin
                                  if stdin is not None else
                                  subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=timeout)
        except subprocess.TimeoutExpired:
            self.fail("prodrec %s still runs after %ds with %r: it does not "
                      "stop at start" % (" ".join(args), timeout, env))

    def run_on_socket(self, env, name, timeout=20):
        """Start prodrec as a web server does, on a listening unix socket
        (H.root/name) on fd 0."""
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(os.path.join(self.H.root, name))
        lsock.listen(4)
        try:
            return self.run_prodrec(env, args=(), stdin=lsock.fileno(),
                                    timeout=timeout)
        finally:
            lsock.close()

    def assert_one_line_error(self, p, mentions=None):
        """p refused to start with one line on stderr, naming one of
        mentions (a string or a list), and did not say it was OK."""
        self.assertNotEqual(p.returncode, 0, (p.stdout, p.stderr))
        out = p.stderr.decode("utf-8", "replace")
        lines = [ln for ln in out.split("\n") if ln.strip()]
        self.assertEqual(len(lines), 1, "one line on stderr: %r" % out)
        self.assertNotIn("configuration OK", p.stdout.decode())
        if isinstance(mentions, str):
            mentions = [mentions]
        if mentions:
            self.assertTrue(any(m in lines[0] for m in mentions),
                            "%r names none of %r" % (lines[0], mentions))
        return lines[0]


class PrivateDatabase(Base):
    """A mixin for a test class whose tests stop, kill or restart MariaDB:
    the class gets a MariaDB of its own with prodrec's fronts on it
    (harness.Harness.private_system, started in setUpClass and stopped in
    tearDownClass), and self.H is that system, so the suite's shared
    MariaDB and fronts never see the outage and no test depends on running
    before or after it. private_fronts: which fronts (as H.direct, H.web,
    H.fcgid, H.proxy) the private system has."""

    private_fronts = ("direct", "web")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.system = harness.H.private_system(
            "own-" + cls.__name__, fronts=cls.private_fronts)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.system.stop()
        finally:
            cls.system = None
            super().tearDownClass()


class _Omit:
    def __repr__(self):
        return "OMIT"


OMIT = _Omit()


ALL_FRONTS = ("direct", "lighttpd", "fcgid", "proxy")


def for_each_front(namespace, mixin, fronts=ALL_FRONTS):
    """Make X_direct, X_lighttpd, X_fcgid and X_proxy from mixin (a Base
    subclass whose name starts with an underscore so the loader skips it):
    prodrec over FastCGI directly, behind lighttpd (deploy/lighttpd.conf),
    behind Apache with mod_fcgid (deploy/apache-fcgid.conf) and behind
    Apache with mod_proxy_fcgi (deploy/apache-proxy-fcgi.conf)."""
    base = mixin.__name__.lstrip("_")
    for f in fronts:
        name = "%s_%s" % (base, f)
        namespace[name] = type(name, (mixin,), {"front_name": f,
                                                "__module__":
                                                namespace["__name__"]})


def parse_json(r):
    return json.loads(r.body.decode("utf-8"))


def wait_until(pred, timeout=10, step=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def run_at_once(fn, args_list, timeout=60):
    """Call fn(*args) for each args in a thread of its own, all released
    together; returns the results (or the exceptions) in order."""
    n = len(args_list)
    barrier = threading.Barrier(n)
    results = [None] * n

    def work(i):
        try:
            barrier.wait(timeout=20)
            results[i] = fn(*args_list[i])
        except BaseException as e:  # noqa: BLE001 - reported by the test
            results[i] = e

    threads = [threading.Thread(target=work, args=(i,), daemon=True)
               for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results


# ---- processes ------------------------------------------------------

def proc_state(pid):
    """The state letter of /proc/pid/stat, or None when there is no pid."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def running(pid):
    return proc_state(pid) not in (None, "Z", "X")


def children(pid):
    """Live processes whose parent is pid."""
    kids = set()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
            kids.add(int(d))
    return kids


class Pool:
    """A standalone prodrec: `prodrec --listen ADDR --foreground` (a master
    and its workers), with its own log file."""

    counter = 0

    def __init__(self, h, env=None, workers=4, listen=None, args=(),
                 foreground=True):
        Pool.counter += 1
        self.h = h
        self.label = "pool%d" % Pool.counter
        self.address = listen or os.path.join(h.root, self.label + ".sock")
        self.logpath = os.path.join(h.root, self.label + ".log")
        e = dict(h.prodrec_env(), PRODREC_WORKERS=str(workers))
        e.update(env or {})
        self.env = child_env(e)
        self.nworkers = workers
        self.argv = [h.bin, "--listen", self.address] + list(args)
        if foreground:
            self.argv.append("--foreground")
        self.proc = None
        h.logs.append(self.logpath)
        h.servers.append(self)

    def start(self, wait=True):
        with open(self.logpath, "ab") as logf:
            self.proc = subprocess.Popen(self.argv, stdout=logf, stderr=logf,
                                         stdin=subprocess.DEVNULL,
                                         env=self.env, close_fds=True,
                                         start_new_session=True)
        self.h.children.append(self.proc)
        if wait:
            self.wait_serving()
        return self

    @property
    def pid(self):
        return self.proc.pid

    def workers(self):
        return children(self.pid)

    def wait_serving(self, timeout=15):
        def serving():
            if len(self.workers()) < self.nworkers:
                return False
            try:
                self.request("GET", "/api/__ready__", timeout=2)
                return True
            except Exception:  # noqa: BLE001 - not yet
                return False
        if not wait_until(serving, timeout):
            raise HarnessError("pool not serving:\n%s"
                                       % self.read_log()[-2000:])

    def request(self, method, path, body=b"", headers=None,
                timeout=HTTP_TIMEOUT, **_ignored):
        params = fcgi.cgi_params(method, path, headers or {})
        address = self.address
        if not address.startswith("/"):
            host, port = address.rsplit(":", 1)
            address = (host, int(port))
        return fcgi.request(address, params, body, timeout=timeout)

    def read_log(self):
        return read_text(self.logpath)

    def log_count(self, text):
        return self.read_log().count(text)

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


class Load:
    """Client threads posting new records into one session until stopped;
    every answer (or exception) is kept with the clientEventId it was for."""

    def __init__(self, test, front, threads=4):
        self.test = test
        self.front = front
        self.nthreads = threads
        self.results = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = []
        self.seq = 0

    def _next_body(self):
        with self.lock:
            self.seq += 1
            n = self.seq
        return self.test.body(clientEventId="load-%d-%s" % (n, os.urandom(
            4).hex()))

    def _run(self):
        while not self.stopping.is_set():
            b = self._next_body()
            try:
                r = post_record(self.front, b, self.test.tok, timeout=20)
                outcome = r.status
                rid = r.json()["data"]["payloadPreview"]["recordId"] \
                    if r.status == 201 else None
            except Exception as e:  # noqa: BLE001 - counted as a failure
                outcome, rid = repr(e), None
            with self.lock:
                self.results.append((b["clientEventId"], outcome, rid))

    def start(self):
        for _ in range(self.nthreads):
            t = threading.Thread(target=self._run, daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def count(self):
        with self.lock:
            return len(self.results)

    def wait_for(self, n, timeout=20):
        """Wait until n more answers have come in."""
        target = self.count() + n
        wait_until(lambda: self.count() >= target, timeout, 0.02)

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(30)

    def failures(self):
        return [r for r in self.results if r[1] != 201]

    def check_rows(self):
        """Each 201 is its row; no clientEventId is stored twice."""
        t = self.test
        rows = t.H.session_records(t.sid)
        by_event = {}
        for row in rows:
            t.assertNotIn(row["client_event_id"], by_event,
                          "stored twice: %s" % row["client_event_id"])
            by_event[row["client_event_id"]] = row["record_id"]
        created = [r for r in self.results if r[1] == 201]
        t.assertGreater(len(created), 0, "the load made records")
        for event, _, rid in created:
            t.assertEqual(by_event.get(event), rid,
                          "the 201 for %s is its row" % event)


# ---- web servers from the deploy recipes ------------------------------

class RecipeFront:
    """A web server we started from a deploy recipe (start_server), on
    127.0.0.1:port (requests as harness.WebFront)."""

    request = harness.WebFront.request

    def __init__(self, name, port, proc, logpath):
        self.name = name
        self.port = port
        self.proc = proc
        self.logpath = logpath

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def recipe(name):
    """The text of deploy/NAME."""
    with open(os.path.join(REPO, "deploy", name)) as f:
        return f.read()


def start_server(argv, port, logpath, h):
    """Popen of argv (a web server), once it listens on port."""
    with open(logpath, "ab") as logf:
        p = subprocess.Popen(argv, stdout=logf, stderr=logf,
                             stdin=subprocess.DEVNULL, start_new_session=True)
    h.children.append(p)
    ok = wait_until(lambda: p.poll() is not None or port_open(port), 10)
    if not ok or p.poll() is not None:
        raise HarnessError("%s did not start:\n%s" % (
            argv[0], read_text(logpath)[-2000:]))
    return p


def port_open(port):
    s = socket.socket()
    s.settimeout(0.5)
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()
