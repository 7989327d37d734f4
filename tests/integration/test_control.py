"""Health and pool status (CONTRACT 8): GET /api/control/health with no
token (200, and 503 while MariaDB is stopped or hung), GET
/api/control/status in JSON and the Prometheus text format, answered only
to PRODREC_STATUS_ALLOW (default loopback), a bad allow-list stopping the
program at start; and the status figures adding up: requests and answers
by class across a pool of 4 workers (standalone and under lighttpd), and
across a worker's kill -9 (its figures are kept, workerRestarts counts
it). Shapes run over every front end; the MariaDB outage and the pools on
their own servers. The outage tests stop MariaDB: their own
(itbase.PrivateDatabase)."""

import collections
import concurrent.futures
import datetime
import os
import re
import signal
import time

import fcgi
import harness
from harness import post_record
from itbase import (ALL_FRONTS, Base, Pool, PrivateDatabase, StartChecks,
                    for_each_front, proc_state, wait_until)

HEALTH = "/api/control/health"
STATUS = "/api/control/status"
STATUS_KEYS = {"startTime", "acceptedRequests", "responses",
               "activeWorkers", "idleWorkers", "totalWorkers",
               "maxActiveWorkers", "workerRestarts", "listenQueue",
               "databaseNodes"}
PROM_CT = "text/plain; version=0.0.4; charset=utf-8"
START_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
                      r"[0-9]{2}(\.[0-9]{1,9})?Z$")
PROM_REQUIRED = {
    "prodrec_start_time_seconds": "gauge",
    "prodrec_accepted_requests_total": "counter",
    "prodrec_responses_total": "counter",
    "prodrec_active_workers": "gauge",
    "prodrec_idle_workers": "gauge",
    "prodrec_total_workers": "gauge",
    "prodrec_max_active_workers": "gauge",
    "prodrec_worker_restarts_total": "counter",
    "prodrec_database_node_workers": "gauge",
}
PROM_OPTIONAL = {"prodrec_listen_queue": "gauge"}
SAMPLE_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? "
                       r"([^ ]+)( -?[0-9]+)?$")
LABEL_RE = re.compile(r'^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"$')
_MISSING = object()


def parse_start(s):
    s = s.rstrip("Z")
    if "." in s:
        head, frac = s.split(".")
        s = head + "." + frac[:6]
        fmt = "%Y-%m-%dT%H:%M:%S.%f"
    else:
        fmt = "%Y-%m-%dT%H:%M:%S"
    return datetime.datetime.strptime(s, fmt).replace(
        tzinfo=datetime.timezone.utc).timestamp()


def status_via(server, query="", remote_addr=_MISSING, timeout=15):
    """GET /api/control/status straight to a DirectServer's socket with
    REMOTE_ADDR of our choice (None: no REMOTE_ADDR at all)."""
    params = fcgi.cgi_params("GET", STATUS + query, {})
    if remote_addr is None:
        params.pop("REMOTE_ADDR", None)
    elif remote_addr is not _MISSING:
        params["REMOTE_ADDR"] = remote_addr
    return fcgi.request(server.address, params, b"", timeout=timeout)


def parse_prometheus(text):
    """The text exposition format 0.0.4: returns (helps, types, samples,
    problems); samples: [(name, {label: value}, float)], problems: what
    breaks the format."""
    helps, types, samples, problems = {}, {}, [], []
    seen_sample = set()
    if not text.endswith("\n"):
        problems.append("no final newline")
    for line in text.split("\n"):
        if line == "":
            continue
        if line.startswith("# HELP "):
            name, _, doc = line[len("# HELP "):].partition(" ")
            if name in helps:
                problems.append("HELP twice for %s" % name)
            if not doc.strip():
                problems.append("empty HELP for %s" % name)
            helps[name] = doc
        elif line.startswith("# TYPE "):
            parts = line[len("# TYPE "):].split(" ")
            if len(parts) != 2 or parts[1] not in (
                    "counter", "gauge", "histogram", "summary", "untyped"):
                problems.append("bad TYPE line %r" % line)
                continue
            if parts[0] in types:
                problems.append("TYPE twice for %s" % parts[0])
            if parts[0] in seen_sample:
                problems.append("TYPE after samples of %s" % parts[0])
            types[parts[0]] = parts[1]
        elif line.startswith("#"):
            continue
        else:
            m = SAMPLE_RE.match(line)
            if not m:
                problems.append("unparsable line %r" % line)
                continue
            labels = {}
            if m.group(3):
                for pair in m.group(3).split(","):
                    lm = LABEL_RE.match(pair.strip())
                    if not lm:
                        problems.append("bad label %r" % pair)
                        continue
                    labels[lm.group(1)] = lm.group(2)
            try:
                value = float(m.group(4))
            except ValueError:
                problems.append("bad value in %r" % line)
                continue
            seen_sample.add(m.group(1))
            samples.append((m.group(1), labels, value))
    return helps, types, samples, problems


class _Control(Base):
    """Status and health requests and the checks of their shapes."""

    def get(self, path, front=None, headers=None):
        return (front or self.front).request("GET", path, b"",
                                             headers or {})

    def status(self, front=None, query=""):
        """The status JSON's data (200 and shape checked)."""
        r = self.get(STATUS + query, front)
        return self.assert_status_json(r)

    def assert_status_json(self, r):
        self.assertEqual(r.status, 200, r)
        self.assert_json_ct(r)
        j = r.json()
        self.assertEqual(set(j), {"status", "data"}, j)
        self.assertEqual(j["status"], "success")
        d = j["data"]
        self.assertEqual(set(d), STATUS_KEYS, d)
        self.assertRegex(d["startTime"], START_RE)
        started = parse_start(d["startTime"])
        self.assertLessEqual(started, time.time() + 1, "start in the past")
        self.assertGreater(started, time.time() - 7200, "start is recent")
        for k in ("acceptedRequests", "activeWorkers", "idleWorkers",
                  "totalWorkers", "maxActiveWorkers", "workerRestarts"):
            self.assertIs(type(d[k]), int, "%s is an integer: %r" % (k, d))
            self.assertGreaterEqual(d[k], 0, k)
        self.assertEqual(set(d["responses"]), {"2xx", "4xx", "5xx"}, d)
        for k, v in d["responses"].items():
            self.assertIs(type(v), int, "responses %s: %r" % (k, d))
            self.assertGreaterEqual(v, 0)
        self.assertTrue(d["listenQueue"] is None or
                        (type(d["listenQueue"]) is int and
                         d["listenQueue"] >= 0), d)
        self.assertIs(type(d["databaseNodes"]), list, d)
        for n in d["databaseNodes"]:
            self.assertEqual(set(n), {"node", "workers"}, n)
            self.assertTrue(type(n["node"]) is str and n["node"], n)
            self.assertTrue(type(n["workers"]) is int and n["workers"] >= 0,
                            n)
        self.assertLessEqual(sum(n["workers"] for n in d["databaseNodes"]),
                             d["totalWorkers"], "workers on nodes <= all")
        self.assertGreaterEqual(d["acceptedRequests"], 1, "counts itself")
        self.assertGreaterEqual(d["totalWorkers"], 1)
        self.assertGreaterEqual(d["activeWorkers"], 1,
                                "the answering worker is active")
        self.assertLessEqual(d["activeWorkers"], d["totalWorkers"], d)
        self.assertLessEqual(d["idleWorkers"], d["totalWorkers"], d)
        self.assertGreaterEqual(d["maxActiveWorkers"], d["activeWorkers"])
        self.assertLessEqual(sum(d["responses"].values()),
                             d["acceptedRequests"], "answered <= taken")
        return d

    def prometheus(self, front=None, query="?format=prometheus"):
        """The metrics of a Prometheus answer: {name or name{class}:
        value}, with the format checked."""
        r = self.get(STATUS + query, front)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("content-type"), PROM_CT, r)
        text = r.body.decode("utf-8")
        helps, types, samples, problems = parse_prometheus(text)
        self.assertEqual(problems, [], text)
        names = {s[0] for s in samples}
        for name in names:
            self.assertIn(name, helps, "# HELP for %s" % name)
            self.assertIn(name, types, "# TYPE for %s" % name)
        self.assertEqual(set(helps), set(types), "HELP and TYPE pair up")
        for name, typ in types.items():
            self.assertIn(name, names, "%s has samples" % name)
            self.assertEqual(typ == "counter", name.endswith("_total"),
                             "counters and only counters end in _total: "
                             "%s is a %s" % (name, typ))
        want = dict(PROM_REQUIRED)
        for name, typ in PROM_OPTIONAL.items():
            if name in types:
                want[name] = typ
        self.assertEqual(types, want, text)
        out = {}
        for name, labels, value in samples:
            if name == "prodrec_responses_total":
                self.assertEqual(set(labels), {"class"}, labels)
                key = "%s{%s}" % (name, labels["class"])
            elif name == "prodrec_database_node_workers":
                self.assertEqual(set(labels), {"node"}, labels)
                key = "%s{%s}" % (name, labels["node"])
            else:
                self.assertEqual(labels, {}, name)
                key = name
            self.assertNotIn(key, out, "one sample of %s" % key)
            self.assertGreaterEqual(value, 0, key)
            if name != "prodrec_start_time_seconds":
                self.assertEqual(value, int(value), "%s is whole" % key)
            out[key] = value
        self.assertEqual({k for k in out if k.startswith(
            "prodrec_responses_total")}, {
            "prodrec_responses_total{%s}" % c for c in ("2xx", "4xx",
                                                        "5xx")})
        return out

    def assert_health_up(self, r):
        self.assertEqual(r.status, 200, r)
        self.assert_json_ct(r)
        self.assertEqual(r.json(), {"status": "success",
                                    "data": {"database": "up"}})

    def assert_health_down(self, r):
        self.assertEqual(r.status, 503, r)
        self.assert_json_ct(r)
        self.assertEqual(r.json(), {"status": "error",
                                    "message": "Service Unavailable",
                                    "error": "database down"})
        self.assertEqual(r.header("retry-after"), "1", r)

    def assert_405(self, r, allow):
        self.assert_error(r, 405)
        got = r.header("allow") or ""
        self.assertEqual({m.strip() for m in got.split(",") if m.strip()},
                         set(allow.split(",")), "Allow of %r" % r)


# ======================================================================
# Shapes over every front end
# ======================================================================

class _Health(_Control):
    def test_200_without_token(self):
        self.assert_health_up(self.get(HEALTH))

    def test_200_with_a_token_too(self):
        tok = self.H.token(self.new_user())
        self.assert_health_up(self.get(HEALTH, headers={
            "Authorization": "Bearer " + tok}))

    def test_other_methods_405(self):
        for method in ("POST", "PUT", "DELETE"):
            with self.subTest(method=method):
                self.assert_405(self.front.request(method, HEALTH, b"", {}),
                                "GET")


for_each_front(globals(), _Health, ALL_FRONTS)


class _Status(_Control):
    def test_json_shape(self):
        d = self.status()
        d2 = self.status(query="?format=json")
        self.assertEqual(d2["startTime"], d["startTime"])
        self.assertEqual(d2["totalWorkers"], d["totalWorkers"])

    def test_prometheus(self):
        d = self.status()
        m = self.prometheus()
        self.assertLess(abs(m["prodrec_start_time_seconds"] -
                            parse_start(d["startTime"])), 1.01)
        self.assertEqual(m["prodrec_total_workers"], d["totalWorkers"])
        self.assertGreaterEqual(m["prodrec_active_workers"], 1)
        self.assertEqual("prodrec_listen_queue" in m,
                         d["listenQueue"] is not None,
                         "the gauge is there exactly when the queue is "
                         "known")

    def test_unknown_format_400(self):
        for q in ("?format=xml", "?format=text"):
            with self.subTest(query=q):
                self.assert_error(self.get(STATUS + q), 400, "format")

    def test_other_methods_405(self):
        for method in ("POST", "PUT", "DELETE"):
            with self.subTest(method=method):
                self.assert_405(self.front.request(method, STATUS, b"", {}),
                                "GET")


for_each_front(globals(), _Status, ALL_FRONTS)


# ======================================================================
# The allow-list
# ======================================================================

class StatusAllow(StartChecks, _Control):
    servers = []

    @classmethod
    def tearDownClass(cls):
        for s in cls.servers:
            s.stop()
        cls.servers = []

    def server(self, allow=None, config=None):
        env = {}
        if allow is not None:
            env["PRODREC_STATUS_ALLOW"] = allow
        if config is not None:
            path = os.path.join(self.H.root, "allow-%d.conf"
                                % len(self.servers))
            with open(path, "w") as f:
                f.write(config)
            env["PRODREC_CONFIG"] = path
        s = self.H.new_direct(env=env, label="direct-allow-%d"
                              % len(self.servers))
        self.servers.append(s)
        return s

    def assert_allowed(self, server, addr):
        self.assert_status_json(status_via(server, remote_addr=addr))

    def assert_refused(self, server, addr):
        r = status_via(server, remote_addr=addr)
        self.assert_error(r, 403, "PRODREC_STATUS_ALLOW")
        r = status_via(server, "?format=prometheus", remote_addr=addr)
        self.assertEqual(r.status, 403, r)

    def test_default_loopback_only(self):
        s = self.H.direct
        for addr in ("127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1",
                     "0:0:0:0:0:0:0:1"):
            with self.subTest(addr=addr):
                self.assert_allowed(s, addr)
        for addr in ("10.1.2.3", "192.168.0.1", "128.0.0.1", "::2",
                     "::ffff:10.0.0.1", "2001:db8::1", "fe80::1",
                     "not-an-address", "", None):
            with self.subTest(addr=addr):
                self.assert_refused(s, addr)

    def test_health_is_not_restricted(self):
        params = fcgi.cgi_params("GET", HEALTH, {})
        params["REMOTE_ADDR"] = "203.0.113.9"
        r = fcgi.request(self.H.direct.address, params, b"")
        self.assert_health_up(r)

    def test_cidr_excluding_loopback(self):
        s = self.server("10.0.0.0/8,2001:db8::/32")
        for addr in ("127.0.0.1", "::1", "11.0.0.1", "2001:db9::1"):
            with self.subTest(addr=addr):
                self.assert_refused(s, addr)
        for addr in ("10.0.0.1", "10.255.255.255", "::ffff:10.9.8.7",
                     "2001:db8::5", "2001:db8:ffff::1"):
            with self.subTest(addr=addr):
                self.assert_allowed(s, addr)
        # The harness's loopback request (the default REMOTE_ADDR).
        self.assert_error(s.request("GET", STATUS), 403)

    def test_cidr_including_loopback(self):
        s = self.server("192.0.2.0/24,127.0.0.1")
        for addr in ("127.0.0.1", "192.0.2.1", "192.0.2.254"):
            with self.subTest(addr=addr):
                self.assert_allowed(s, addr)
        for addr in ("127.0.0.2", "192.0.3.1", "::1"):
            with self.subTest(addr=addr):
                self.assert_refused(s, addr)
        self.assert_status_json(s.request("GET", STATUS))

    def test_config_file_key(self):
        s = self.server(config="status_allow = 198.51.100.0/24\n")
        self.assert_refused(s, "127.0.0.1")
        self.assert_allowed(s, "198.51.100.7")

    # ---- bad values stop the program at start --------------------------

    def test_good_values_check(self):
        for allow in ("127.0.0.1", "10.0.0.0/8,::1", "2001:db8::/32",
                      "0.0.0.0/0,::/0", "::ffff:127.0.0.1", "192.0.2.5/32"):
            with self.subTest(allow=allow):
                p = self.run_prodrec({"PRODREC_STATUS_ALLOW": allow})
                self.assertEqual(p.returncode, 0, p.stderr)

    def test_bad_values_stop_at_start(self):
        for allow in ("10.0.0.0/33", "256.1.1.1", "abc", "10.0.0.0/8,x",
                      "::1/129", "10.0.0.0/-1", "10.0.0/8",
                      "127.0.0.1;10.0.0.1", "10.0.0.0/8x", "1::2::3"):
            with self.subTest(allow=allow):
                p = self.run_prodrec({"PRODREC_STATUS_ALLOW": allow})
                self.assert_one_line_error(p, "PRODREC_STATUS_ALLOW")

    def test_bad_file_value_stops_at_start(self):
        path = os.path.join(self.H.root, "allow-bad.conf")
        with open(path, "w") as f:
            f.write("status_allow = 10.0.0.0/99\n")
        p = self.run_prodrec({"PRODREC_CONFIG": path})
        self.assert_one_line_error(p, ["status_allow",
                                       "PRODREC_STATUS_ALLOW"])

    def test_bad_value_stops_before_serving(self):
        p = self.run_on_socket({"PRODREC_STATUS_ALLOW": "nope"},
                               "badallow.sock", timeout=5)
        self.assert_one_line_error(p, "PRODREC_STATUS_ALLOW")


# ======================================================================
# The figures add up
# ======================================================================

def status_class(code):
    return "%dxx" % (code // 100)


class StatusFigures(_Control):
    """Counting rule (design): acceptedRequests counts each request when
    a worker takes it, so a status answer counts itself; responses are
    counted once the answer is made, so a status answer's own 2xx shows
    in the next one. Hence, between status answers S0 and Sk with
    N other requests and k-1 status requests between them:
    accepted(Sk) - accepted(S0) = N + k, and the answers by class grow
    by the N answers' classes plus k 2xx."""

    def setUp(self):
        self.setup_user()

    def traffic(self, front, n, threads=8):
        """n requests through front, a mix of 201, 200, 400, 401, 404,
        405; returns a Counter of the classes the client received."""
        b0 = self.body(units=2)
        r = post_record(front, b0, self.tok)
        self.assert_success(r, 201, b0, False)

        def one(i):
            kind = i % 6
            if kind == 0:
                r = post_record(front, self.body(), self.tok)
            elif kind == 1:
                r = post_record(front, b0, self.tok)        # a replay
            elif kind == 2:
                r = post_record(front, self.body(units=0), self.tok)
            elif kind == 3:
                r = post_record(front, self.body(), None)
            elif kind == 4:
                r = front.request("GET", "/api/control/nothing-here", b"",
                                  {})
            else:
                r = front.request("GET", harness.RECORDS_PATH, b"", {})
            return r.status

        with concurrent.futures.ThreadPoolExecutor(threads) as ex:
            codes = list(ex.map(one, range(n)))
        want = {0: 201, 1: 200, 2: 400, 3: 401, 4: 404, 5: 405}
        self.assertEqual(codes, [want[i % 6] for i in range(n)])
        c = collections.Counter(status_class(x) for x in codes)
        c["2xx"] += 1           # the first record above
        return c, n + 1

    def settle(self, front, before, sent, nsent, restarts=0, timeout=5):
        """Poll the status until the answers of sent (a Counter of
        classes, nsent requests) show: checks the rule of the class
        docstring at every poll; returns the last status."""
        deadline = time.time() + timeout
        k = 0
        while True:
            k += 1
            d = self.status(front)
            acc = d["acceptedRequests"] - before["acceptedRequests"]
            self.assertEqual(acc, nsent + k, "acceptedRequests grew by the "
                             "%d requests sent and %d status requests (a "
                             "smaller growth after a worker died: its "
                             "figures were lost)" % (nsent, k))
            want = {"2xx": sent["2xx"] + k, "4xx": sent["4xx"],
                    "5xx": sent["5xx"]}
            got = {c: d["responses"][c] - before["responses"][c]
                   for c in want}
            for c in want:
                self.assertLessEqual(got[c], want[c], "responses %s: %r, "
                                     "sent %r" % (c, got, want))
            rs = d["workerRestarts"] - before["workerRestarts"]
            self.assertLessEqual(rs, restarts, "workerRestarts")
            if got == want and rs == restarts:
                return d
            if time.time() > deadline:
                self.assertEqual((got, rs), (want, restarts),
                                 "responses by class and restarts")
            time.sleep(0.05)

    def test_one_process_counts_exactly(self):
        s = self.H.new_direct(label="direct-status-one")
        self.addCleanup(s.stop)
        before = self.status(s)
        self.assertEqual(before["totalWorkers"], 1, before)
        self.assertEqual(before["activeWorkers"], 1, before)
        self.assertEqual(before["idleWorkers"], 0, before)
        self.assertEqual(before["maxActiveWorkers"], 1, before)
        self.assertEqual(before["workerRestarts"], 0, before)
        self.assertIsNone(before["listenQueue"], "unix socket: unknown")
        sent, n = self.traffic(s, 36, threads=1)
        after = self.settle(s, before, sent, n, timeout=0)
        self.assertEqual(after["startTime"], before["startTime"])
        m = self.prometheus(s)
        self.assertEqual(m["prodrec_accepted_requests_total"],
                         after["acceptedRequests"] + 1)
        for c in ("2xx", "4xx", "5xx"):
            self.assertEqual(m["prodrec_responses_total{%s}" % c],
                             after["responses"][c] + (c == "2xx"))
        self.assertNotIn("prodrec_listen_queue", m)

    def check_pool(self, front, workers, n=200):
        before = self.status(front)
        self.assertEqual(before["totalWorkers"], workers, before)
        sent, nsent = self.traffic(front, n)
        self.assertGreater(sent["2xx"], 0)
        self.assertGreater(sent["4xx"], 0)
        after = self.settle(front, before, sent, nsent)
        self.assertEqual(after["startTime"], before["startTime"])
        self.assertEqual(after["totalWorkers"], workers)
        self.assertGreaterEqual(after["activeWorkers"], 1)
        self.assertGreaterEqual(after["maxActiveWorkers"], 1)
        self.assertEqual(after["activeWorkers"] + after["idleWorkers"],
                         workers, "a quiet pool: active + idle = total")
        self.assertEqual(after["workerRestarts"], before["workerRestarts"])
        nodes = after["databaseNodes"]
        self.assertEqual([(os.path.realpath(n["node"]), n["workers"])
                          for n in nodes],
                         [(os.path.realpath(self.H.db_sock), workers)],
                         "every worker on the one server, named by its "
                         "socket: %r" % nodes)
        return after

    def test_standalone_pool_of_4_over_tcp(self):
        port = harness.free_port()
        p = Pool(self.H, workers=4, listen="127.0.0.1:%d" % port).start()
        self.addCleanup(p.stop)
        after = self.check_pool(p, 4)
        self.assertIs(type(after["listenQueue"]), int,
                      "TCP: the accept queue is known")
        m = self.prometheus(p)
        self.assertIn("prodrec_listen_queue", m)
        self.assertEqual(m["prodrec_total_workers"], 4)
        self.assertEqual(m["prodrec_database_node_workers{%s}" %
                           self.H.db_sock], 4)
        self.assertEqual(m["prodrec_accepted_requests_total"],
                         after["acceptedRequests"] + 1)

    def test_pool_of_4_under_lighttpd(self):
        self.assertEqual(self.H.web.workers, 4)
        after = self.check_pool(self.H.web, 4)
        self.assertIsNone(after["listenQueue"], "unix socket: unknown")

    def hold_request(self, p):
        """A request whose body is half sent: a worker holds it, busy."""
        body = harness.json_compact(self.body()).encode()
        params = fcgi.cgi_params("POST", harness.RECORDS_PATH, {
            "Content-Type": "application/json",
            "Authorization": "Bearer " + self.tok,
            "Content-Length": str(len(body))})
        sock = fcgi.connect(p.address, 20)
        self.addCleanup(sock.close)
        sock.sendall(fcgi.begin(params) + fcgi.stdin(body[:10]))
        return sock

    def test_killed_workers_keep_their_figures(self):
        p = Pool(self.H, workers=4).start()
        self.addCleanup(p.stop)
        started = time.time()
        before = self.status(p)
        self.assertEqual(before["totalWorkers"], 4)
        sent, nsent = self.traffic(p, 60)
        base = self.settle(p, before, sent, nsent)
        originals = p.workers()
        self.assertEqual(len(originals), 4)
        # Workers younger than a second count as failed starts and come
        # back only after a back-off: kill grown-up ones.
        time.sleep(max(0, started + 1.5 - time.time()))
        # One original worker holds a request when it dies (below).
        self.hold_request(p)
        time.sleep(0.2)
        held = self.settle(p, base, collections.Counter(), 1)
        self.assertEqual(held["activeWorkers"], 2, "the worker holding a "
                         "request and the one answering: %r" % held)

        def replaced(gone):
            w = p.workers()
            return len(w) == 4 and not (w & gone)

        victim = sorted(originals)[0]
        os.kill(victim, signal.SIGKILL)
        self.assertTrue(wait_until(lambda: replaced({victim}), 10),
                        "a new worker replaces %d" % victim)
        one = self.settle(p, held, collections.Counter(), 0, restarts=1)
        self.assertEqual(one["totalWorkers"], 4)
        # Every original worker dies, among them the one holding the
        # request: whatever each had counted stays, and the busy one is
        # no longer active.
        rest = originals - {victim}
        for w in rest:
            os.kill(w, signal.SIGKILL)
        self.assertTrue(wait_until(lambda: replaced(originals), 10),
                        "new workers replace %s" % sorted(rest))
        two = self.settle(p, one, collections.Counter(), 0, restarts=3)
        self.assertEqual(two["activeWorkers"], 1, two)
        self.assertEqual(two["activeWorkers"] + two["idleWorkers"], 4, two)
        # And the pool still counts new requests.
        sent, nsent = self.traffic(p, 24)
        self.settle(p, two, sent, nsent)


    def test_last_answer_counted_when_its_worker_dies(self):
        """kill -9 of a worker the moment its status answer has arrived:
        the worker has counted that answer (the count must not wait until
        after the answer is out). The window is short (about half the
        kills land in it when the count follows the write), so this tries
        12 times: 4 pools of one worker, 3 kills each (the back-off after
        a death at start is 100, then 200 ms)."""
        pools = [Pool(self.H, workers=1) for _ in range(4)]
        for p in pools:
            self.addCleanup(p.stop)
            p.start(wait=False)
        for p in pools:
            p.wait_serving()
        params = fcgi.cgi_params("GET", STATUS, {})
        rounds = 3
        for _ in range(rounds):
            for p in pools:
                worker = p.workers()
                self.assertEqual(len(worker), 1)
                r = fcgi.request(p.address, params, b"")
                os.kill(worker.pop(), signal.SIGKILL)
                self.assert_status_json(r)
            for p in pools:
                self.assertTrue(wait_until(lambda: len(p.workers()) == 1,
                                           10), "the worker is replaced")
        lost = {}
        for i, p in enumerate(pools):
            d = self.status(p)
            self.assertEqual(d["workerRestarts"], rounds, d)
            missing = d["acceptedRequests"] - 1 - sum(
                d["responses"].values())
            if missing:
                lost[p.label] = missing
        self.assertEqual(lost, {}, "answers not counted because their "
                         "worker died just after writing them (of %d)"
                         % (rounds * len(pools)))


# ======================================================================
# MariaDB stopped or hung: a MariaDB of the class's own
# ======================================================================

class HealthDown(PrivateDatabase, _Control):
    def setUp(self):
        self.setup_user()

    def ensure_db(self):
        if not self.H.db_answers():
            self.H.db_start()

    def mariadbd_pid(self):
        """The pid of the class's MariaDB (checked: it is ours)."""
        with open(os.path.join(self.H.db_dir, "mysqld.pid")) as f:
            pid = int(f.read().strip())
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmd = f.read()
        self.assertIn(self.H.db_dir.encode(), cmd, "pid %d is not the "
                      "harness's MariaDB" % pid)
        return pid

    def wait_health_up(self, front, timeout=10, streak=8):
        """Health answers 200 streak times in a row within timeout;
        returns the answers before the streak."""
        deadline = time.time() + timeout
        run, before = 0, []
        while time.time() < deadline:
            r = self.get(HEALTH, front)
            if r.status == 200:
                self.assert_health_up(r)
                run += 1
                if run >= streak:
                    return before
            else:
                self.assert_health_down(r)
                before.append(r.status)
                run = 0
                time.sleep(0.05)
        self.fail("health not back to 200 on %s (answers %r)"
                  % (getattr(front, "label", front.name), before))

    def test_503_while_stopped_then_200(self):
        one = self.H.new_direct(label="direct-health-down")
        self.addCleanup(one.stop)
        fronts = [self.H.direct, self.H.web, one]
        for f in fronts:
            self.assert_health_up(self.get(HEALTH, f))
        before = self.status(one)
        self.addCleanup(self.ensure_db)
        self.H.db_stop()
        try:
            for f in fronts:
                with self.subTest(front=f.label):
                    for _ in range(3):
                        t0 = time.time()
                        r = self.get(HEALTH, f)
                        took = time.time() - t0
                        self.assert_health_down(r)
                        self.assertLess(took, 2.5, "answered within about "
                                        "a second")
                    # The status page does not need the database.
                    self.status(f)
            # Three 503 health answers and a 200 status answer.
            d = self.status(one)
            self.assertEqual(d["responses"]["5xx"] -
                             before["responses"]["5xx"], 3, d)
            # 3 health + 1 status between, and this status itself.
            self.assertEqual(d["acceptedRequests"] -
                             before["acceptedRequests"], 5, d)
        finally:
            self.H.db_start()
        for f in fronts:
            with self.subTest(front=f.label, phase="back"):
                self.wait_health_up(f)
        b = self.body()
        self.assert_success(post_record(self.H.direct, b, self.tok), 201, b,
                            False)

    def test_503_within_a_second_while_hung(self):
        one = self.H.new_direct(label="direct-health-hung")
        self.addCleanup(one.stop)
        self.assert_health_up(self.get(HEALTH, one))
        pid = self.mariadbd_pid()
        os.kill(pid, signal.SIGSTOP)
        try:
            self.assertTrue(wait_until(lambda: proc_state(pid) == "T",
                                       5, 0.01), "MariaDB (pid %d) stopped"
                            % pid)
            t0 = time.time()
            r = self.get(HEALTH, one)
            took = time.time() - t0
            self.assert_health_down(r)
            self.assertLess(took, 2.5, "503 within about a second of a "
                            "database that does not answer (%.2fs)" % took)
        finally:
            os.kill(pid, signal.SIGCONT)
        self.wait_health_up(one)
