"""MariaDB going away (CONTRACT 5): 503 with Retry-After and a request id
found in the log; recovery without restarting prodrec; a restart in the
middle of a steady run of requests. The MariaDB it stops and restarts is
the class's own (itbase.PrivateDatabase), with its own direct and lighttpd
fronts."""

import re
import threading
import time

from harness import post_record
from itbase import PrivateDatabase

INTERNALS = ("mysql", "mariadb", "socket", "connect", "errno", "SQL",
             "/tmp/")


class Database(PrivateDatabase):
    def setUp(self):
        self.setup_user()

    def fronts(self):
        return [self.H.direct, self.H.web]

    def send(self, front, **over):
        b = self.body(**over)
        return b, post_record(front, b, self.tok)

    def assert_503(self, front, r):
        j = self.assert_error(r, 503)
        ra = r.header("retry-after")
        self.assertIsNotNone(ra, "503 without Retry-After: %r" % r)
        self.assertRegex(ra, r"^[1-9][0-9]*$")
        for word in INTERNALS:
            self.assertNotIn(word.lower(), r.body.decode().lower(),
                             "503 shows internals: %r" % r.body)
        ids = re.findall(r"[0-9A-Za-z_-]{8,}", j["error"])
        self.assertTrue(ids, "no request id in %r" % j["error"])
        deadline = time.time() + 3
        logged = False
        while time.time() < deadline and not logged:
            text = front.read_log()
            logged = any(i in text for i in ids)
            time.sleep(0.05)
        self.assertTrue(logged, "request id of %r not in %s" % (
            j["error"], front.logpath))

    def test_503_then_recovery_without_restart(self):
        web_pids = self.H.web.prodrec_pids()
        for f in self.fronts():
            b, r = self.send(f)
            self.assert_success(r, 201, b, False)
        self.H.db_stop()
        fresh = None
        try:
            fresh = self.H.new_direct(label="direct-started-db-down")
            for f in self.fronts() + [fresh]:
                with self.subTest(front=getattr(f, "label", f.name)):
                    for _ in range(6):
                        _, r = self.send(f)
                        self.assert_503(f, r)
                    # The checks before the session's still answer.
                    r = post_record(f, self.body(), "bad.token.x")
                    self.assert_401(r)
                    _, r = self.send(f, units=0)
                    self.assert_error(r, 400, "units")
        finally:
            # Clients keep asking while MariaDB comes back (as they do),
            # until it accepts connections again.
            stop = threading.Event()

            def hammer(front):
                while not stop.is_set():
                    try:
                        self.send(front)
                    except Exception:  # noqa: BLE001
                        pass
                    time.sleep(0.01)
            ts = [threading.Thread(target=hammer, args=(f,), daemon=True)
                  for f in self.fronts() + [fresh] if f is not None]
            for t in ts:
                t.start()
            starter = self.H.db_start_async()
            try:
                deadline = time.time() + 60
                while not self.H.db_answers() and time.time() < deadline:
                    time.sleep(0.01)
            finally:
                stop.set()
                for t in ts:
                    t.join(20)
        try:
            self.check_recovered(fresh, web_pids)
        finally:
            starter.wait(90)
            fresh.stop()

    def check_recovered(self, fresh, web_pids):
        self.assertTrue(self.H.db_answers(), "MariaDB is back")
        for f in self.fronts() + [fresh]:
            with self.subTest(front=getattr(f, "label", f.name)):
                # The very next requests succeed: every process (4 per
                # front) meets its dead connection and must reconnect.
                for i in range(12):
                    b, r = self.send(f)
                    self.assertEqual(r.status, 201, "request %d after "
                                     "MariaDB came back: %r" % (i + 1, r))
                    self.assert_success(r, 201, b, False)
                self.assertTrue(f.alive())
        self.assertEqual(self.H.web.prodrec_pids(), web_pids,
                         "lighttpd's prodrec processes were not restarted")

    def test_restart_in_steady_run(self):
        fronts = self.fronts()
        web_pids = self.H.web.prodrec_pids()
        sids = {f.name: self.H.open_session(self.user) for f in fronts}
        answers = []    # (front, t_start, status, recordId, clientEventId)
        lock = threading.Lock()
        stop = threading.Event()
        seq = [0]

        def worker(front):
            while not stop.is_set():
                with lock:
                    seq[0] += 1
                    ceid = "steady-%d" % seq[0]
                b = self.body(sessionId=sids[front.name], clientEventId=ceid)
                t0 = time.time()
                try:
                    r = post_record(front, b, self.tok, timeout=20)
                    rid = None
                    if r.status == 201:
                        rid = r.json()["data"]["payloadPreview"]["recordId"]
                    item = (front.name, t0, r.status, rid, ceid)
                except BaseException as e:  # noqa: BLE001
                    item = (front.name, t0, "exception %r" % e, None, ceid)
                with lock:
                    answers.append(item)
                time.sleep(0.01)

        ts = [threading.Thread(target=worker, args=(f,), daemon=True)
              for f in fronts for _ in range(3)]
        for t in ts:
            t.start()
        try:
            time.sleep(1.0)
            self.H.db_stop()
            time.sleep(0.5)
        finally:
            self.H.db_start()
        t_up = time.time()
        time.sleep(3.0)
        stop.set()
        for t in ts:
            t.join(30)

        statuses = [a[2] for a in answers]
        odd = [s for s in statuses if s not in (201, 503)]
        self.assertEqual(odd, [], "only 201 and 503 around a restart")
        self.assertIn(503, statuses, "the outage was seen")
        after = [a for a in answers if a[1] > t_up]
        self.assertTrue(after, "requests after the restart")
        # Immediate recovery is test_503_then_recovery_without_restart's
        # business; here a client that honours Retry-After must succeed.
        grace = 1.0 + 1.0
        bad_after = [a for a in after if a[2] != 201 and a[1] > t_up + grace]
        self.assertEqual(bad_after, [], "all succeed once MariaDB is back "
                         "(Retry-After honoured); last failure %.2fs after "
                         "the restart" % max([a[1] - t_up for a in after
                                              if a[2] != 201] or [0]))
        self.assertTrue([a for a in after if a[1] > t_up + grace],
                        "requests after the grace")
        for f in fronts:
            self.assertTrue(f.alive(), "%s alive" % f.name)
        self.assertEqual(self.H.web.prodrec_pids(), web_pids,
                         "no prodrec process died under lighttpd")
        for name, sid in sids.items():
            rows = self.H.session_records(sid)
            ceids = [r["client_event_id"] for r in rows]
            self.assertEqual(len(ceids), len(set(ceids)), "no duplicates")
            ok = {a[3]: a[4] for a in answers if a[0] == name and
                  a[2] == 201}
            stored = {r["record_id"]: r["client_event_id"] for r in rows}
            missing = {k: v for k, v in ok.items() if stored.get(k) != v}
            self.assertEqual(missing, {}, "every 201 has its row (%s)" % name)
            sent = {a[4] for a in answers if a[0] == name}
            self.assertTrue(set(ceids) <= sent)

