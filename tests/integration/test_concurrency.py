"""Requests at once (CONTRACT 3 and 4): identical requests give one 201 and
replays; different ones all land; a session closed while inserts race
either counts a record (201, row) or refuses it (409, no row); over both
front ends, each with 4 prodrec processes."""

import datetime
import threading
import time

from harness import post_record
from itbase import Base, for_each_front, run_at_once


class _Concurrency(Base):
    def setUp(self):
        self.setup_user()

    def send(self, body):
        return post_record(self.front, body, self.tok)

    def check_identical(self, body):
        results = run_at_once(self.send, [(body,)] * 32)
        errors = [r for r in results if isinstance(r, BaseException)]
        self.assertEqual(errors, [], "every request answered")
        statuses = sorted(r.status for r in results)
        self.assertEqual(statuses, [200] * 31 + [201], statuses)
        ids = set()
        for r in results:
            j = r.json()
            self.assertIs(j["data"]["idempotent"], r.status == 200)
            ids.add(j["data"]["payloadPreview"]["recordId"])
        self.assertEqual(len(ids), 1, ids)
        rows = self.H.session_records(self.sid)
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["record_id"], ids.pop())

    def test_32_identical_at_once(self):
        self.check_identical(self.body())

    def test_32_identical_with_key_at_once(self):
        self.check_identical(self.body(idempotencyKey="race-" + self.sid))

    def test_64_different_at_once(self):
        bodies = [(self.body(clientEventId="evt-%d" % i, units=i + 1),)
                  for i in range(64)]
        results = run_at_once(self.send, bodies)
        errors = [r for r in results if isinstance(r, BaseException)]
        self.assertEqual(errors, [], "every request answered")
        self.assertEqual([r.status for r in results], [201] * 64)
        ids = [r.json()["data"]["payloadPreview"]["recordId"]
               for r in results]
        self.assertEqual(len(set(ids)), 64)
        rows = self.H.session_records(self.sid)
        self.assertEqual(len(rows), 64)
        self.assertEqual(sorted(r["record_id"] for r in rows), sorted(ids))
        by_event = {r["client_event_id"]: int(r["units"]) for r in rows}
        self.assertEqual(by_event, {"evt-%d" % i: i + 1 for i in range(64)})

    def close_race_round(self, threads=8):
        sid = self.H.open_session(self.user)
        answers = []        # (status, recordId or None, clientEventId)
        lock = threading.Lock()
        stop = threading.Event()
        counter = [0]

        def worker(k):
            while not stop.is_set():
                with lock:
                    counter[0] += 1
                    n = counter[0]
                b = self.body(sessionId=sid, clientEventId="r%d-%d" % (k, n))
                try:
                    r = self.send(b)
                    rid = None
                    if r.status in (200, 201):
                        rid = r.json()["data"]["payloadPreview"]["recordId"]
                    item = (r.status, rid, b["clientEventId"])
                except BaseException as e:  # noqa: BLE001
                    item = ("exception %r" % e, None, b["clientEventId"])
                with lock:
                    answers.append(item)

        ts = [threading.Thread(target=worker, args=(k,), daemon=True)
              for k in range(threads)]
        for t in ts:
            t.start()
        deadline = time.time() + 10
        while len(answers) < 40 and time.time() < deadline:
            time.sleep(0.005)
        self.H.close_session(sid)
        closed_by = datetime.datetime.utcnow()
        time.sleep(0.3)
        stop.set()
        for t in ts:
            t.join(30)
        return sid, answers, closed_by

    def test_close_race(self):
        for _ in range(2):
            sid, answers, closed_by = self.close_race_round()
            statuses = [a[0] for a in answers]
            odd = [s for s in statuses if s not in (201, 409)]
            self.assertEqual(odd, [], "only 201 and 409 while closing")
            created = {a[1]: a[2] for a in answers if a[0] == 201}
            refused = {a[2] for a in answers if a[0] == 409}
            self.assertGreater(len(created), 0)
            self.assertGreater(len(refused), 0, "requests after the close")
            rows = self.H.session_records(sid)
            self.assertEqual(len(rows), len(created),
                             "count of 201 == rows stored")
            self.assertEqual({r["record_id"]: r["client_event_id"]
                              for r in rows}, created)
            self.assertFalse(refused & {r["client_event_id"] for r in rows},
                             "a 409 has no row")
            # No insert began after the close had committed.
            limit = closed_by.strftime("%Y-%m-%dT%H:%M:%S.%f")
            late = [r for r in rows if r["created_at"] > limit]
            self.assertEqual(late, [], "rows created after the close "
                             "committed at %s" % limit)
            # And after the close nothing more is accepted.
            r = self.send(self.body(sessionId=sid))
            self.assert_error(r, 409)


for_each_front(globals(), _Concurrency)
