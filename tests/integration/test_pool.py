"""The pre-forked pool as an operator meets it (issue 3): a standalone
prodrec (--listen, --foreground) and the pool under lighttpd, under a steady
load of new records while workers are killed, the master is killed, the pool
is stopped and reloaded, workers crash at start or reach their request
limit; plus the daemon, pid file and socket options. After every load, each
201 a client received is a row and no (sessionId, clientEventId) is stored
twice."""

import os
import signal
import socket
import stat
import subprocess
import threading
import time

import fcgi
import harness
from harness import post_record
from itbase import (Base, Load, Pool, RecipeFront, children, recipe,
                    running, start_server, wait_until)


def sighup_blocked(pid):
    """Is SIGHUP in the blocked mask of pid (or is pid gone)?"""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("SigBlk:"):
                    return int(line.split()[1], 16) & (1 << (signal.SIGHUP
                                                             - 1)) != 0
    except OSError:
        return True
    return False


class _PoolBase(Base):
    def setUp(self):
        self.setup_user()

    def pool(self, **kw):
        p = Pool(self.H, **kw).start()
        self.addCleanup(p.stop)
        return p

    def load(self, front, threads=4):
        ld = Load(self, front, threads).start()
        self.addCleanup(ld.stop)
        ld.wait_for(20)
        return ld

    def assert_gone(self, pids, within):
        self.assertTrue(wait_until(lambda: not any(running(p) for p in pids),
                                   within, 0.02),
                        "still running after %ss: %s" % (
                            within, [p for p in pids if running(p)]))


class WorkerDeaths(_PoolBase):
    def test_killed_worker_is_replaced_under_load(self):
        p = self.pool(workers=4)
        ld = self.load(p)
        before = p.workers()
        victim = sorted(before)[0]
        os.kill(victim, signal.SIGKILL)
        self.assertTrue(wait_until(lambda: len(p.workers()) == 4 and
                                   victim not in p.workers(), 5),
                        "a fourth worker replaces %d" % victim)
        ld.wait_for(50)
        ld.stop()
        self.assertLessEqual(len(ld.failures()), 1,
                             "only the request the worker held may fail: %r"
                             % ld.failures()[:5])
        ld.check_rows()
        self.assertIn("worker %d killed by signal 9" % victim, p.read_log())

    def test_killed_master_takes_every_worker_with_it(self):
        p = self.pool(workers=4)
        ld = self.load(p, threads=2)
        workers = p.workers()
        self.assertEqual(len(workers), 4)
        os.kill(p.pid, signal.SIGKILL)
        self.assert_gone(workers, 1.0)
        ld.stop()
        ld.check_rows()

    def test_worker_dying_at_start_does_not_spin(self):
        p = self.pool(workers=2)
        seen = set(p.workers())
        deadline = time.time() + 4
        while time.time() < deadline:       # every new worker dies at once
            for w in p.workers():
                seen.add(w)
                try:
                    os.kill(w, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.005)
        forks = len(seen)
        self.assertLessEqual(forks, 15, "workers started in 4 s: %d" % forks)
        self.assertTrue(running(p.pid), "the master keeps going")
        self.assertIn("next start in", p.read_log())
        # Once workers stop dying, the pool comes back (the back-off is
        # capped at 10 s).
        self.assertTrue(wait_until(lambda: len(p.workers()) == 2, 15),
                        "the pool recovers")
        p.wait_serving()

    def test_one_slot_dying_at_start_does_not_spin(self):
        """Healthy siblings do not reset the back-off of a slot whose new
        workers keep dying at start."""
        p = self.pool(workers=3)
        first = p.workers()
        time.sleep(1.2)                     # the first workers are mature
        seen = set()
        deadline = time.time() + 4
        while time.time() < deadline:       # every replacement dies at once
            for w in p.workers() - first:
                seen.add(w)
                try:
                    os.kill(w, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if not seen:                    # start: kill one first worker
                victim = sorted(first)[0]
                first.discard(victim)
                os.kill(victim, signal.SIGKILL)
                seen.add(victim)
            time.sleep(0.005)
        self.assertLessEqual(len(seen), 15,
                             "workers started in 4 s: %d" % len(seen))
        self.assertTrue(first <= p.workers(), "the others keep serving")

    def test_max_requests_recycles_workers(self):
        p = self.pool(workers=2, env={"PRODREC_MAX_REQUESTS": "3"})
        first = p.workers()
        for i in range(24):
            b = self.body()
            self.assert_success(post_record(p, b, self.tok), 201, b, False)
        self.assertTrue(wait_until(lambda: len(p.workers()) == 2, 5))
        self.assertTrue(first.isdisjoint(p.workers()),
                        "the first workers were recycled")
        self.assertGreaterEqual(p.log_count("served its request limit"), 6)
        self.assertNotIn("next start in", p.read_log(),
                         "a recycled worker is no failed start")
        self.assertEqual(len(self.H.session_records(self.sid)), 24)


class StopAndReload(_PoolBase):
    def send_record(self, p, whole):
        """A new record on a new connection to p, its body sent whole or
        only its first 10 bytes (the request is then in flight); returns
        (the socket, the body, its bytes)."""
        b = self.body()
        body = harness.json_compact(b).encode()
        params = fcgi.cgi_params("POST", harness.RECORDS_PATH, {
            "Content-Type": "application/json",
            "Authorization": "Bearer " + self.tok,
            "Content-Length": str(len(body))})
        sock = fcgi.connect(fcgi_address(p), 20)
        sock.sendall(fcgi.begin(params) + (fcgi.stdin(body, end=True)
                                           if whole else
                                           fcgi.stdin(body[:10])))
        return sock, b, body

    def partial_request(self, p):
        """A request whose body is only half sent: it is in flight."""
        return self.send_record(p, whole=False)

    def test_sigterm_finishes_requests_in_flight(self):
        p = self.pool(workers=2, env={"PRODREC_SHUTDOWN_TIMEOUT": "10"})
        ld = self.load(p, threads=3)
        sock, b, body = self.partial_request(p)
        try:
            time.sleep(0.3)                 # a worker has accepted it
            p.proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            self.assertIsNone(p.proc.poll(), "the master waits for it")
            sock.sendall(fcgi.stdin(body[10:], end=True))
            r = fcgi.finish(sock)
        finally:
            sock.close()
        self.assert_success(r, 201, b, False)
        self.assertEqual(p.proc.wait(10), 0, "exit status 0")
        ld.stop()
        statuses = {o for _, o, _ in ld.results if isinstance(o, int)}
        self.assertEqual(statuses, {201}, "no request failed with a status")
        ld.check_rows()
        self.assertNotIn("still busy", p.read_log())
        self.assertFalse(os.path.exists(p.address), "socket removed")

    def test_sigterm_leaves_idle_workers_at_once(self):
        p = self.pool(workers=4)
        workers = p.workers()
        t0 = time.time()
        p.proc.send_signal(signal.SIGTERM)
        self.assertEqual(p.proc.wait(10), 0)
        self.assertLess(time.time() - t0, 5)
        self.assert_gone(workers, 1.0)

    def test_shutdown_timeout_bounds_a_stuck_request(self):
        p = self.pool(workers=1, env={"PRODREC_SHUTDOWN_TIMEOUT": "1"})
        sock, _, _ = self.partial_request(p)
        try:
            time.sleep(0.3)
            t0 = time.time()
            p.proc.send_signal(signal.SIGTERM)
            self.assertEqual(p.proc.wait(10), 0)
            self.assertLess(time.time() - t0, 4)
        finally:
            sock.close()
        self.assertIn("still busy after the stop timeout", p.read_log())

    def write_config(self, text):
        with open(self.cfg_path, "w") as f:
            f.write(text)

    def test_sighup_under_load_replaces_workers_without_a_failure(self):
        self.cfg_path = os.path.join(self.H.root, "hup-%s.conf" % self.sid)
        self.write_config("max_units = 1000\n")
        p = self.pool(workers=4, env={"PRODREC_CONFIG": self.cfg_path})
        b = self.body(units=500)
        self.assert_success(post_record(p, b, self.tok), 201, b, False)
        ld = self.load(p)
        old = p.workers()
        self.write_config("max_units = 100\n")
        os.kill(p.pid, signal.SIGHUP)
        self.assertTrue(wait_until(lambda: "reload done" in p.read_log(),
                                   20), p.read_log()[-2000:])
        ld.wait_for(20)
        ld.stop()
        self.assertEqual(ld.failures(), [], "no request failed")
        ld.check_rows()
        new = p.workers()
        self.assertEqual(len(new), 4)
        self.assertTrue(old.isdisjoint(new), "every worker was replaced")
        r = post_record(p, self.body(units=500), self.tok)
        self.assert_error(r, 400, "units")

    def test_sighup_to_workers_0_keeps_the_pool(self):
        self.cfg_path = os.path.join(self.H.root, "hup0-%s.conf" % self.sid)
        self.write_config("workers = 2\n")
        p = Pool(self.H, workers=2, env={"PRODREC_CONFIG": self.cfg_path})
        p.env.pop("PRODREC_WORKERS")        # the file says it
        p.start()
        self.addCleanup(p.stop)
        old = p.workers()
        self.write_config("workers = 0\n")
        os.kill(p.pid, signal.SIGHUP)
        self.assertTrue(wait_until(lambda: "keeping the old configuration"
                                   in p.read_log(), 10))
        self.assertIn("workers = 0 (no pool) takes a restart", p.read_log())
        self.assertEqual(p.workers(), old, "the workers stay")

    def test_sighup_at_start_does_not_kill_the_master(self):
        """The master's signals are blocked from the start of main, not
        only once the pool runs."""
        p = Pool(self.H, workers=2)
        p.start(wait=False)
        self.addCleanup(p.stop)
        self.assertTrue(wait_until(lambda: sighup_blocked(p.pid), 10,
                                   0.0005), "main blocks SIGHUP")
        os.kill(p.pid, signal.SIGHUP)
        p.wait_serving()
        self.assertIsNone(p.proc.poll(), "the master lives")

    def test_bad_config_on_sighup_keeps_the_old_one(self):
        self.cfg_path = os.path.join(self.H.root, "hup-%s.conf" % self.sid)
        self.write_config("max_units = 1000\n")
        p = self.pool(workers=2, env={"PRODREC_CONFIG": self.cfg_path})
        old = p.workers()
        self.write_config("max_units = many\n")
        os.kill(p.pid, signal.SIGHUP)
        self.assertTrue(wait_until(lambda: "keeping the old configuration"
                                   in p.read_log(), 10))
        self.assertIn("max_units", p.read_log())
        self.assertEqual(p.workers(), old, "the workers stay")
        b = self.body(units=500)
        self.assert_success(post_record(p, b, self.tok), 201, b, False)


def fcgi_address(p):
    """The address of Pool p for fcgi.connect."""
    if p.address.startswith("/"):
        return p.address
    host, port = p.address.rsplit(":", 1)
    return (host, int(port))


def lighttpd_before(test, backend):
    """lighttpd from deploy/lighttpd-standalone.conf in front of backend:
    a unix socket path, or host:port (the recipe's TCP variant)."""
    h = test.H
    d = os.path.join(h.root, "lt-%s" % os.urandom(4).hex())
    os.makedirs(os.path.join(d, "htdocs"))
    port = harness.free_port()
    conf = recipe("lighttpd-standalone.conf")
    if not backend.startswith("/"):
        host, bport = backend.rsplit(":", 1)
        conf = conf.replace('"socket"      => "@SOCKET@",',
                            '"host" => "%s", "port" => %s,' % (host, bport))
        test.assertIn('"host" => "%s"' % host, conf, "the recipe's socket line")
    for old, new in (("@PORT@", str(port)), ("@RUNDIR@", d),
                     ("@SOCKET@", backend)):
        conf = conf.replace(old, new)
    path = os.path.join(d, "lighttpd.conf")
    with open(path, "w") as f:
        f.write(conf)
    log = os.path.join(d, "lighttpd-error.log")
    h.logs.append(log)
    web = RecipeFront("lighttpd", port, start_server(
        ["lighttpd", "-D", "-f", path], port, log, h), log)
    test.addCleanup(web.stop)
    return web


class StopDrains(_PoolBase):
    """SIGTERM with every worker busy and requests queued on the listening
    socket (issue 11): at once the socket takes no new connection, what it
    had queued is served, the requests in flight finish. A request is
    answered or refused, never taken and then dropped."""

    send_record = StopAndReload.send_record
    partial_request = StopAndReload.partial_request

    def queue_requests(self, p, n):
        """n whole requests on new connections, queued behind busy workers."""
        return [self.send_record(p, whole=True)[:2] for _ in range(n)]

    def assert_refused_at_once(self, p):
        """A new connection is refused (unix: at once; TCP: the SYN goes
        unanswered and is refused once the queue is served)."""
        t0 = time.time()
        with self.assertRaises(OSError, msg="a new connection is taken"):
            sock = fcgi.connect(fcgi_address(p), 0.5)
            sock.close()
        if p.address.startswith("/"):
            self.assertLess(time.time() - t0, 0.2, "refused at once")

    def drain_case(self, listen):
        p = self.pool(workers=2, listen=listen,
                      env={"PRODREC_SHUTDOWN_TIMEOUT": "10"})
        busy = [self.partial_request(p) for _ in range(2)]
        time.sleep(0.3)                     # both workers hold one
        queued = self.queue_requests(p, 3)
        time.sleep(0.2)
        p.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        self.assert_refused_at_once(p)
        self.assertIsNone(p.proc.poll(), "the master waits")
        answers = []
        for sock, b, body in busy:
            sock.sendall(fcgi.stdin(body[10:], end=True))
            answers.append((fcgi.finish(sock), b))
            sock.close()
        for sock, b in queued:
            answers.append((fcgi.finish(sock), b))
            sock.close()
        for r, b in answers:
            self.assert_success(r, 201, b, False)
        self.assertEqual(p.proc.wait(10), 0, "exit status 0")
        self.assertEqual(len(self.H.session_records(self.sid)), 5,
                         "every answered request is a row")
        self.assertNotIn("still busy", p.read_log())

    def test_sigterm_serves_what_the_unix_socket_queued(self):
        self.drain_case(None)

    def test_sigterm_serves_what_the_tcp_socket_queued(self):
        self.drain_case("127.0.0.1:%d" % harness.free_port())

    def load_case(self, listen):
        """A steady load through lighttpd and two half-sent requests; every
        answer is a 201 or a 503, none a 500/502."""
        p = self.pool(workers=4, listen=listen,
                      env={"PRODREC_SHUTDOWN_TIMEOUT": "10"})
        web = lighttpd_before(self, p.address)
        ld = self.load(web, threads=4)
        busy = [self.partial_request(p) for _ in range(2)]
        time.sleep(0.3)
        p.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        for sock, b, body in busy:
            sock.sendall(fcgi.stdin(body[10:], end=True))
            self.assert_success(fcgi.finish(sock), 201, b, False)
            sock.close()
        self.assertEqual(p.proc.wait(10), 0, "exit status 0")
        time.sleep(1.5)                     # the load meets a stopped pool
        ld.stop()
        statuses = {}
        for _, outcome, _ in ld.results:
            statuses[outcome] = statuses.get(outcome, 0) + 1
        self.assertTrue(set(statuses) <= {201, 503},
                        "answers: %r" % statuses)
        self.assertGreater(statuses.get(201, 0), 0)
        self.assertGreater(statuses.get(503, 0), 0, "the stop was met")
        ld.check_rows()

    def test_sigterm_under_load_behind_lighttpd_tcp(self):
        self.load_case("127.0.0.1:%d" % harness.free_port())

    def test_sigterm_under_load_behind_lighttpd_unix(self):
        self.load_case(None)


class ReloadKeys(_PoolBase):
    """SIGHUP that changes the secret (issue 11): the old one is refused
    from the moment the master says it reloaded, by every worker, also by
    the old ones still waiting to be replaced, also while the replacements
    keep dying at start."""

    def keyed_pool(self, secret, workers=2):
        self.cfg_path = os.path.join(self.H.root, "keys-%s.conf" % self.sid)
        self.write_secret(secret)
        p = Pool(self.H, workers=workers, env={"PRODREC_CONFIG":
                                               self.cfg_path})
        p.env.pop("PRODREC_JWT_SECRET")     # the file says it
        p.start()
        self.addCleanup(p.stop)
        return p

    def write_secret(self, secret):
        with open(self.cfg_path, "w") as f:
            f.write("jwt_secret = %s\n" % secret)

    def signed(self, secret):
        return self.H.jwt_hmac(self.H.claims(self.user), secret=secret)

    def post_with(self, p, token):
        return post_record(p, self.body(), token)

    def reload_to(self, p, secret):
        n = p.log_count("configuration reloaded")
        self.write_secret(secret)
        os.kill(p.pid, signal.SIGHUP)
        self.assertTrue(wait_until(lambda: p.log_count(
            "configuration reloaded") > n, 10, 0.005), p.read_log()[-2000:])

    def test_old_secret_refused_right_after_the_reload(self):
        old, new = "old-" + "a" * 40, "new-" + "b" * 40
        p = self.keyed_pool(old)
        t_old, t_new = self.signed(old), self.signed(new)
        for _ in range(8):                  # in every worker's cache
            self.assertEqual(self.post_with(p, t_old).status, 201)
        self.reload_to(p, new)
        for _ in range(8):
            self.assert_401(self.post_with(p, t_old))
        self.assertEqual(self.post_with(p, t_new).status, 201)

    def test_old_secret_refused_while_replacements_die_at_start(self):
        old, new = "old-" + "c" * 40, "new-" + "d" * 40
        p = self.keyed_pool(old)
        first = p.workers()
        t_old, t_new = self.signed(old), self.signed(new)
        for _ in range(8):
            self.assertEqual(self.post_with(p, t_old).status, 201)
        stop = threading.Event()

        def kill_newcomers():               # no replacement lives
            while not stop.is_set():
                for w in p.workers() - first:
                    try:
                        os.kill(w, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.002)
        killer = threading.Thread(target=kill_newcomers, daemon=True)
        killer.start()
        try:
            self.reload_to(p, new)
            deadline = time.time() + 3
            answered = 0
            while time.time() < deadline:
                try:
                    r = self.post_with(p, t_old)
                except (fcgi.FcgiError, OSError):
                    continue        # taken by a newcomer, then killed
                self.assert_401(r)
                answered += 1
            self.assertGreater(answered, 10)
            self.assertTrue(first & p.workers(), "old workers still serve")
            self.assertEqual(self.post_with(p, t_new).status, 201)
        finally:
            stop.set()
            killer.join(5)


class DatabaseSettings(_PoolBase):
    """A database that refuses the account or does not have the schema is
    a configuration error (issue 11): at start one line and exit 1, on
    SIGHUP the old configuration stays. A database that is merely down is
    not: the pool starts and answers 503 until it is back."""

    BAD = {"wrong password": {"PRODREC_DB_PASSWORD": "not-the-password"},
           "unknown user": {"PRODREC_DB_USER": "nobody_here"},
           "unknown database": {"PRODREC_DB_NAME": "no_such_db"}}

    def test_refused_settings_stop_the_start(self):
        for what, env in self.BAD.items():
            with self.subTest(what=what):
                p = Pool(self.H, workers=2, env=env)
                p.start(wait=False)
                self.addCleanup(p.stop)
                self.assertEqual(p.proc.wait(20), 1, "exit status 1")
                lines = [ln for ln in p.read_log().split("\n") if ln]
                self.assertEqual(len(lines), 1, lines)
                self.assertIn("configuration error", lines[0])
                self.assertIn("MariaDB error", lines[0])
                self.assertNotIn("not-the-password", lines[0])
                self.assertFalse(os.path.exists(p.address),
                                 "no socket left")

    def test_database_down_at_start_is_no_error(self):
        gone = os.path.join(self.H.root, "no-db-%s.sock" % self.sid)
        p = Pool(self.H, workers=2, env={"PRODREC_DB_SOCKET": gone})
        p.start(wait=False)
        self.addCleanup(p.stop)
        self.assertTrue(wait_until(lambda: len(p.workers()) == 2, 10))
        r = post_record(p, self.body(), self.tok)
        self.assertEqual(r.status, 503, r)
        self.assertIsNone(p.proc.poll(), "the pool runs")

    def test_refused_settings_on_sighup_keep_the_old_ones(self):
        cfg = os.path.join(self.H.root, "dbhup-%s.conf" % self.sid)
        with open(cfg, "w") as f:
            f.write("max_units = 1000\n")
        p = Pool(self.H, workers=2, env={"PRODREC_CONFIG": cfg})
        p.env.pop("PRODREC_DB_PASSWORD")
        with open(cfg, "a") as f:
            f.write("db_password = %s\n" % self.H.db_password)
        p.start()
        self.addCleanup(p.stop)
        old = p.workers()
        with open(cfg, "w") as f:
            f.write("max_units = 1000\ndb_password = wrong\n")
        os.kill(p.pid, signal.SIGHUP)
        self.assertTrue(wait_until(lambda: "keeping the old configuration"
                                   in p.read_log(), 10), p.read_log())
        self.assertIn("the database refuses the settings", p.read_log())
        time.sleep(0.5)
        self.assertEqual(p.workers(), old, "the workers stay")
        b = self.body()
        self.assert_success(post_record(p, b, self.tok), 201, b, False)


class Standalone(_PoolBase):
    def test_tcp_listen(self):
        port = harness.free_port()
        p = self.pool(workers=2, listen="127.0.0.1:%d" % port)
        b = self.body()
        self.assert_success(post_record(p, b, self.tok), 201, b, False)

    def test_socket_mode(self):
        p = self.pool(workers=1)
        self.assertEqual(stat.S_IMODE(os.stat(p.address).st_mode), 0o660)
        q = self.pool(workers=1, env={"PRODREC_LISTEN_MODE": "0600"})
        self.assertEqual(stat.S_IMODE(os.stat(q.address).st_mode), 0o600)

    def test_workers_default_to_four_per_cpu(self):
        want = min(4 * os.cpu_count(), 64)
        p = Pool(self.H, workers=want)
        p.env.pop("PRODREC_WORKERS")
        p.start()
        self.addCleanup(p.stop)
        self.assertEqual(len(p.workers()), want)

    def test_workers_0_serves_alone(self):
        p = Pool(self.H, workers=0)
        p.start(wait=False)
        self.addCleanup(p.stop)
        self.assertTrue(wait_until(lambda: os.path.exists(p.address), 10))
        b = self.body()
        self.assert_success(post_record(p, b, self.tok), 201, b, False)
        self.assertEqual(p.workers(), set())
        p.proc.send_signal(signal.SIGTERM)
        self.assertEqual(p.proc.wait(10), 0)

    def test_max_requests_alone_on_its_own_socket_is_refused(self):
        """Serving alone on its own socket, a process that reached its
        request limit would leave nothing serving."""
        p = Pool(self.H, workers=0, env={"PRODREC_MAX_REQUESTS": "5"},
                 args=("--check-config",))
        q = subprocess.run(p.argv, env=p.env, timeout=20,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.assertEqual(q.returncode, 1)
        self.assertIn(b"max_requests needs workers >= 1", q.stderr)

    def test_live_socket_is_not_taken_over(self):
        p = self.pool(workers=1)
        q = subprocess.run(p.argv, env=p.env, timeout=20,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.assertEqual(q.returncode, 1)
        self.assertIn(b"in use", q.stderr)
        b = self.body()
        self.assert_success(post_record(p, b, self.tok), 201, b, False)

    def test_stale_socket_is_replaced(self):
        path = os.path.join(self.H.root, "stale-%s.sock" % self.sid)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.close()                           # a socket file nobody listens on
        p = self.pool(workers=1, listen=path)
        b = self.body()
        self.assert_success(post_record(p, b, self.tok), 201, b, False)

    def start_daemon(self, workers, pid_arg, cwd=None):
        """Start a detached prodrec with --pid-file pid_arg (relative to
        cwd); returns its Pool and the pid the file holds."""
        p = Pool(self.H, workers=workers, args=("--pid-file", pid_arg),
                 foreground=False)
        q = subprocess.run(p.argv, env=p.env, timeout=20, cwd=cwd,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.assertEqual(q.returncode, 0, q.stderr)
        with open(os.path.join(cwd or "", pid_arg)) as f:
            pid = int(f.read().strip())
        self.addCleanup(lambda: running(pid) and os.kill(pid, signal.SIGKILL))
        return p, pid

    def test_daemon_with_pid_file(self):
        pidfile = os.path.join(self.H.root, "d-%s.pid" % self.sid)
        p, pid = self.start_daemon(2, pidfile)
        self.assertTrue(running(pid), "the daemon runs")
        self.assertTrue(wait_until(lambda: len(children(pid)) == 2, 10))
        b = self.body()
        self.assert_success(post_record(p, b, self.tok), 201, b, False)
        # A second instance with the same pid file refuses to start.
        other = os.path.join(self.H.root, "d2-%s.sock" % self.sid)
        q = subprocess.run([self.H.bin, "--listen", other, "--pid-file",
                            pidfile, "--foreground"], env=p.env, timeout=20,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.assertEqual(q.returncode, 1)
        self.assertIn(b"already runs (pid %d)" % pid, q.stderr)
        self.assertFalse(os.path.exists(other), "its socket is cleaned up")
        os.kill(pid, signal.SIGTERM)
        self.assertTrue(wait_until(lambda: not running(pid), 10))
        self.assertFalse(os.path.exists(pidfile), "pid file removed")
        self.assertFalse(os.path.exists(p.address), "socket removed")

    def test_daemon_with_relative_paths(self):
        """A daemon leaves its directory only once its files are made:
        a relative pid file is written and removed where it was named."""
        name = "rel-%s.pid" % self.sid
        _, pid = self.start_daemon(1, name, cwd=self.H.root)
        pidfile = os.path.join(self.H.root, name)
        self.assertEqual(os.readlink("/proc/%d/cwd" % pid), "/")
        os.kill(pid, signal.SIGTERM)
        self.assertTrue(wait_until(lambda: not running(pid), 10))
        self.assertFalse(os.path.exists(pidfile), "pid file removed")


class UnderLighttpd(_PoolBase):
    """The pool as lighttpd's bin-path process (max-procs 1), each test's
    lighttpd its own (as the suite's, a pool of 4): the suite's shared
    lighttpd keeps its workers."""

    def web(self, what):
        web = self.H.new_web(None, "web-%s-%s" % (what, self.sid))
        self.addCleanup(web.stop)
        return web

    def master(self, web):
        pids = web.prodrec_pids()
        self.assertEqual(len(pids), 1, "one prodrec master under lighttpd")
        return pids.pop()

    def test_killed_worker_under_lighttpd(self):
        started = time.time()
        web = self.web("worker")
        master = self.master(web)
        # The whole pool, grown up (a worker younger than a second counts
        # as a failed start and comes back only after a back-off), as the
        # suite's long-running lighttpd has it.
        self.assertTrue(wait_until(lambda: len(children(master)) ==
                                   web.workers, 10), "the pool fills up")
        time.sleep(max(0, started + 1.5 - time.time()))
        workers = children(master)
        self.assertGreaterEqual(len(workers), 2, "the pool runs")
        ld = self.load(web)
        victim = sorted(workers)[-1]
        os.kill(victim, signal.SIGKILL)
        self.assertTrue(wait_until(lambda: len(children(master)) ==
                                   len(workers) and victim not in
                                   children(master), 5))
        ld.wait_for(50)
        ld.stop()
        self.assertLessEqual(len(ld.failures()), 1, ld.failures()[:5])
        ld.check_rows()

    def test_killed_master_under_lighttpd_is_started_again(self):
        """kill -9 of the master: its workers leave within a second and
        lighttpd starts a new master, because the workers make the old
        socket refuse connections before lighttpd probes it."""
        web = self.web("kill")
        master = web.prodrec_pids().pop()
        workers = children(master)
        os.kill(master, signal.SIGKILL)
        self.assert_gone(workers, 1.0)
        self.assertTrue(wait_until(lambda: web.prodrec_pids() - {master},
                                   10), "lighttpd starts a new master:\n%s"
                        % web.read_log()[-2000:])
        ld = self.load(web)
        ld.stop()
        self.assertEqual(ld.failures(), [])
        ld.check_rows()
