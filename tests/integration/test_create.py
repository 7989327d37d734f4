"""Creating records: 201 and the stored row, replays (200), conflicts (409),
session checks (403/404/409) and auth0Id; over both front ends."""

from itbase import Base, OMIT, for_each_front


class _Create(Base):
    def setUp(self):
        self.setup_user()

    def rows(self, sid=None):
        return self.H.session_records(sid or self.sid)

    def test_201_shape_and_row(self):
        b = self.body(recordedAtUtc="2025-10-19T14:30:00.123456789Z")
        r = self.post(b)
        rid = self.assert_success(r, 201, b, False)
        rows = self.rows()
        self.assertEqual(len(rows), 1)
        row = rows[0]
        self.assertEqual(row["record_id"], rid)
        self.assertEqual(row["session_id"], self.sid)
        self.assertEqual(row["worker_id"], "JS0315")
        self.assertEqual(row["worker_name"], "John Smith")
        self.assertEqual(row["units"], "5")
        self.assertEqual(row["recorded_at"], "2025-10-19T14:30:00.123000")
        self.assertEqual(row["client_event_id"], b["clientEventId"])
        self.assertIsNone(row["idempotency_key"])
        self.assertEqual(row["auth0_id"], self.user)
        now = self.H.sql("SELECT UNIX_TIMESTAMP(UTC_TIMESTAMP(3)) - "
                         "UNIX_TIMESTAMP(created_at_utc) FROM production_records"
                         " WHERE record_id='%s'" % rid)[0][0]
        self.assertLess(abs(float(now)), 30, "created_at_utc is UTC now")

    def test_201_idempotency_key_stored(self):
        b = self.body(idempotencyKey="mobile-app-key-" + self.sid)
        rid = self.assert_success(self.post(b), 201, b, False)
        row = self.rows()[0]
        self.assertEqual(row["record_id"], rid)
        self.assertEqual(row["idempotency_key"], b["idempotencyKey"])

    def test_units_default_is_1(self):
        b = self.body(units=OMIT)
        self.assert_success(self.post(b), 201, b, False)
        self.assertEqual(self.rows()[0]["units"], "1")

    def test_units_5_0_is_5(self):
        b = self.body(units=5.0)
        r = self.post(b)
        self.assert_success(r, 201, b, False)
        self.assertIn(b'"units":5}', r.body)
        self.assertEqual(self.rows()[0]["units"], "5")

    def test_units_bounds_accepted(self):
        for units in (1, 1000000, 1000000.0):
            b = self.body(units=units)
            self.assert_success(self.post(b), 201, b, False)
        self.assertEqual([r["units"] for r in self.rows()],
                         ["1", "1000000", "1000000"])

    def test_session_id_upper_case_stored_lower(self):
        b = self.body(sessionId=self.sid.upper())
        r = self.post(b)
        self.assert_success(r, 201, b, False)
        self.assertEqual(r.json()["data"]["payloadPreview"]["sessionId"],
                         self.sid)
        self.assertEqual(self.rows()[0]["session_id"], self.sid)

    def test_recorded_at_truncated_not_rounded(self):
        cases = [
            ("2024-12-31T23:59:59.999999999Z", "2024-12-31T23:59:59.999000"),
            ("2025-10-19T14:30:00.9996Z", "2025-10-19T14:30:00.999000"),
            ("2025-10-19T14:30:00.1Z", "2025-10-19T14:30:00.100000"),
            ("2025-10-19T14:30:00Z", "2025-10-19T14:30:00.000000"),
            ("2025-10-19T14:30:00.5+00:00", "2025-10-19T14:30:00.500000"),
            ("2024-02-29T00:00:00.000Z", "2024-02-29T00:00:00.000000"),
        ]
        for sent, stored in cases:
            b = self.body(recordedAtUtc=sent)
            r = self.post(b)
            rid = self.assert_success(r, 201, b, False)
            got = self.H.records("record_id='%s'" % rid)[0]["recorded_at"]
            self.assertEqual(got, stored, "recordedAtUtc %s" % sent)

    def test_recorded_at_within_clock_skew(self):
        from itbase import utc_now_iso
        b = self.body(recordedAtUtc=utc_now_iso(120))
        self.assert_success(self.post(b), 201, b, False)

    def test_unicode_worker_name_stored_exactly(self):
        name = "Zo\u00eb \u00c5ngstr\u00f6m \U0001F600 \u4e2d\u6587"
        b = self.body(worker_name=name)
        self.assert_success(self.post(b), 201, b, False)
        self.assertEqual(self.rows()[0]["worker_name"], name)

    def test_length_limits_accepted(self):
        b = self.body(workerId="W" * 64, worker_name="\u00e9" * 128,
                      clientEventId="!" + "~" * 127,
                      idempotencyKey="k" * 255)
        self.assert_success(self.post(b), 201, b, False)
        row = self.rows()[0]
        self.assertEqual(row["worker_id"], "W" * 64)
        self.assertEqual(row["worker_name"], "\u00e9" * 128)
        self.assertEqual(row["client_event_id"], b["clientEventId"])
        self.assertEqual(row["idempotency_key"], "k" * 255)

    def test_unknown_fields_ignored(self):
        b = self.body(extra={"a": [1, 2, {"b": None}]}, note="x")
        self.assert_success(self.post(b), 201, b, False)

    def test_content_type_with_charset(self):
        for ct in ("application/json; charset=utf-8",
                   "application/json;charset=UTF-8", "application/json"):
            b = self.body()
            self.assert_success(self.post(b, content_type=ct), 201, b, False)

    def test_bearer_scheme_case_insensitive(self):
        b = self.body()
        r = self.post(b, token=None,
                      headers={"Authorization": "bearer " + self.tok})
        self.assert_success(r, 201, b, False)

    # ---- auth0Id -----------------------------------------------------------

    def test_auth0id_equal_201(self):
        b = self.body(auth0Id=self.user)
        self.assert_success(self.post(b), 201, b, False)
        self.assertEqual(self.rows()[0]["auth0_id"], self.user)

    def test_auth0id_mismatch_403(self):
        b = self.body(auth0Id=self.user + "x")
        self.assert_error(self.post(b), 403)
        self.assertEqual(self.rows(), [])

    # ---- replays and conflicts ------------------------------------------

    def test_replay_200_same_record(self):
        b = self.body()
        rid = self.assert_success(self.post(b), 201, b, False)
        for _ in range(2):
            r = self.post(b)
            self.assertEqual(self.assert_success(r, 200, b, True), rid)
        self.assertEqual(len(self.rows()), 1)

    def test_replay_same_millisecond_is_replay(self):
        b = self.body(recordedAtUtc="2025-10-19T14:30:00.1231Z")
        rid = self.assert_success(self.post(b), 201, b, False)
        b2 = dict(b, recordedAtUtc="2025-10-19T14:30:00.123999Z")
        self.assertEqual(self.assert_success(self.post(b2), 200, b2, True),
                         rid)
        b3 = dict(b, recordedAtUtc="2025-10-19T14:30:00.123+00:00")
        self.assertEqual(self.assert_success(self.post(b3), 200, b3, True),
                         rid)
        self.assertEqual(len(self.rows()), 1)

    def test_replay_units_default_equals_1(self):
        b = self.body(units=OMIT)
        rid = self.assert_success(self.post(b), 201, b, False)
        b1 = dict(b, units=1)
        self.assertEqual(self.assert_success(self.post(b1), 200, b1, True),
                         rid)

    def test_replay_session_id_case(self):
        b = self.body()
        rid = self.assert_success(self.post(b), 201, b, False)
        b2 = dict(b, sessionId=self.sid.upper())
        self.assertEqual(self.assert_success(self.post(b2), 200, b2, True),
                         rid)

    def test_replay_with_key(self):
        b = self.body(idempotencyKey="key-" + self.sid)
        rid = self.assert_success(self.post(b), 201, b, False)
        self.assertEqual(self.assert_success(self.post(b), 200, b, True), rid)
        self.assertEqual(len(self.rows()), 1)

    def test_idempotency_key_header_equivalent(self):
        key = "hdr-key-" + self.sid
        b = self.body()
        r = self.post(b, headers={"Idempotency-Key": key})
        rid = self.assert_success(r, 201, b, False)
        self.assertEqual(self.rows()[0]["idempotency_key"], key)
        # The same thing in the body is the same payload: a replay.
        b2 = dict(b, idempotencyKey=key)
        self.assertEqual(self.assert_success(self.post(b2), 200, b2, True),
                         rid)
        # Both, equal: also the same.
        r = self.post(b2, headers={"Idempotency-Key": key})
        self.assertEqual(self.assert_success(r, 200, b2, True), rid)
        self.assertEqual(len(self.rows()), 1)

    def test_header_and_body_key_equal_201(self):
        key = "both-" + self.sid
        b = self.body(idempotencyKey=key)
        r = self.post(b, headers={"Idempotency-Key": key})
        self.assert_success(r, 201, b, False)
        self.assertEqual(self.rows()[0]["idempotency_key"], key)

    def test_same_event_different_payload_409(self):
        b = self.body()
        self.assert_success(self.post(b), 201, b, False)
        for change in ({"units": 6}, {"workerId": "JS0316"},
                       {"worker_name": "Jane Smith"},
                       {"recordedAtUtc": "2025-10-19T14:30:00.001Z"},
                       {"idempotencyKey": "late-key-" + self.sid}):
            r = self.post(dict(b, **change))
            self.assert_error(r, 409)
        rows = self.rows()
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["units"], "5")
        self.assertIsNone(rows[0]["idempotency_key"])

    def test_same_key_different_payload_409(self):
        key = "k409-" + self.sid
        b = self.body(idempotencyKey=key)
        self.assert_success(self.post(b), 201, b, False)
        # Same key, another clientEventId: a different payload.
        self.assert_error(self.post(self.body(idempotencyKey=key)), 409)
        # Same key via the header, another clientEventId.
        r = self.post(self.body(), headers={"Idempotency-Key": key})
        self.assert_error(r, 409)
        self.assertEqual(len(self.rows()), 1)

    def test_same_key_other_session_same_user_409(self):
        key = "kx-" + self.sid
        b = self.body(idempotencyKey=key)
        self.assert_success(self.post(b), 201, b, False)
        sid2 = self.H.open_session(self.user)
        b2 = dict(b, sessionId=sid2)
        self.assert_error(self.post(b2), 409)
        self.assertEqual(self.rows(sid2), [])

    def test_same_key_other_user_independent(self):
        key = "shared-" + self.sid
        b = self.body(idempotencyKey=key, clientEventId="evt-shared")
        rid = self.assert_success(self.post(b), 201, b, False)
        other = self.new_user()
        sid2 = self.H.open_session(other)
        b2 = dict(b, sessionId=sid2)
        r = self.post(b2, token=self.H.token(other))
        rid2 = self.assert_success(r, 201, b2, False)
        self.assertNotEqual(rid, rid2)

    def test_same_event_other_session_201(self):
        b = self.body(clientEventId="evt-same")
        self.assert_success(self.post(b), 201, b, False)
        sid2 = self.H.open_session(self.user)
        b2 = dict(b, sessionId=sid2)
        self.assert_success(self.post(b2), 201, b2, False)

    # ---- sessions --------------------------------------------------------

    def test_unknown_session_404(self):
        b = self.body(sessionId="0" * 24)
        self.assert_error(self.post(b), 404)

    def test_not_owner_403(self):
        other = self.new_user()
        self.assert_error(self.post(self.body(), token=self.H.token(other)),
                          403)
        self.assertEqual(self.rows(), [])

    def test_owner_with_trailing_space_is_another_user_403(self):
        # SQL's PAD SPACE comparison would make 'alice ' alice.
        self.assert_error(
            self.post(self.body(), token=self.H.token(self.user + " ")), 403)
        self.assertEqual(self.rows(), [])

    def test_not_owner_replay_403(self):
        b = self.body()
        self.assert_success(self.post(b), 201, b, False)
        other = self.new_user()
        self.assert_error(self.post(b, token=self.H.token(other)), 403)
        self.assertEqual(len(self.rows()), 1)

    def test_closed_session_new_record_409(self):
        self.H.close_session(self.sid)
        self.assert_error(self.post(self.body()), 409)
        self.assertEqual(self.rows(), [])

    def test_replay_after_close_200(self):
        b = self.body(idempotencyKey="close-" + self.sid)
        rid = self.assert_success(self.post(b), 201, b, False)
        self.H.close_session(self.sid)
        self.assertEqual(self.assert_success(self.post(b), 200, b, True), rid)
        # A different payload under the same event after close: 409.
        self.assert_error(self.post(dict(b, units=9)), 409)
        self.assertEqual(len(self.rows()), 1)

    def test_closed_and_not_owner_403(self):
        self.H.close_session(self.sid)
        other = self.new_user()
        self.assert_error(self.post(self.body(), token=self.H.token(other)),
                          403)

    def test_order_mismatch_before_session(self):
        b = self.body(sessionId="1" * 24, auth0Id="someone-else")
        self.assert_error(self.post(b), 403)

    def test_order_validation_before_session(self):
        b = self.body(sessionId="2" * 24, units=0)
        self.assert_error(self.post(b), 400, "units")

    def test_order_validation_before_mismatch(self):
        b = self.body(units="5", auth0Id="someone-else")
        self.assert_error(self.post(b), 400, "units")


for_each_front(globals(), _Create)

