"""Validation (CONTRACT 1): a table of bad bodies, each a 400 naming the
field; the check order; bodies that are not a JSON object; over both front
ends."""

from itbase import Base, OMIT, for_each_front, utc_now_iso

# (field, bad value or OMIT) -> 400 whose `error` names field.
BAD_FIELDS = [
    ("sessionId", OMIT), ("sessionId", None), ("sessionId", 123),
    ("sessionId", ""), ("sessionId", "a" * 23), ("sessionId", "a" * 25),
    ("sessionId", "g" * 24), ("sessionId", " " + "a" * 23),
    ("sessionId", ["a" * 24]), ("sessionId", "0x" + "a" * 22),

    ("workerId", OMIT), ("workerId", None), ("workerId", 5),
    ("workerId", ""), ("workerId", "W" * 65), ("workerId", "JS\u00010315"),
    ("workerId", "JS\n"), ("workerId", "JS\t1"), ("workerId", "JS\u007f"),
    ("workerId", True),

    ("worker_name", OMIT), ("worker_name", None), ("worker_name", 7),
    ("worker_name", ""), ("worker_name", " "), ("worker_name", "   "),
    ("worker_name", "n" * 129), ("worker_name", "\u00e9" * 129),
    ("worker_name", "John\nSmith"), ("worker_name", "John\u0000Smith"),
    ("worker_name", {"a": 1}),

    ("units", None), ("units", "5"), ("units", True), ("units", False),
    ("units", 2.5), ("units", 0), ("units", -1), ("units", 1000001),
    ("units", 0.0), ("units", 1.0000001), ("units", 4294967297),
    ("units", 1e300), ("units", [5]), ("units", 18446744073709551617),

    ("recordedAtUtc", OMIT), ("recordedAtUtc", None),
    ("recordedAtUtc", 1760884200), ("recordedAtUtc", ""),
    ("recordedAtUtc", "2025-10-19"),
    ("recordedAtUtc", "2025-10-19T14:30:00"),
    ("recordedAtUtc", "2025-10-19T14:30:00.000"),
    ("recordedAtUtc", "2025-10-19T14:30:00+01:00"),
    ("recordedAtUtc", "2025-10-19T14:30:00-00:30"),
    ("recordedAtUtc", "2025-10-19 14:30:00Z"),
    ("recordedAtUtc", "2025-02-30T00:00:00Z"),
    ("recordedAtUtc", "2023-02-29T00:00:00Z"),
    ("recordedAtUtc", "2025-13-01T00:00:00Z"),
    ("recordedAtUtc", "2025-00-10T00:00:00Z"),
    ("recordedAtUtc", "2025-10-00T00:00:00Z"),
    ("recordedAtUtc", "2025-04-31T00:00:00Z"),
    ("recordedAtUtc", "2025-10-19T24:00:00Z"),
    ("recordedAtUtc", "2025-10-19T14:60:00Z"),
    ("recordedAtUtc", "2025-10-19T14:30:60Z"),
    ("recordedAtUtc", "2025-10-19T14:30:00.Z"),
    ("recordedAtUtc", "2025-10-19T14:30:00.1234567890Z"),
    ("recordedAtUtc", "2025-10-19T14:30:00.000Zjunk"),
    ("recordedAtUtc", "2025-10-19T14:30:00.000Z "),
    ("recordedAtUtc", "25-10-19T14:30:00Z"),
    ("recordedAtUtc", "2025-1-19T14:30:00Z"),
    ("recordedAtUtc", "2025-10-19T4:30:00Z"),
    ("recordedAtUtc", "+2025-10-19T14:30:00Z"),
    ("recordedAtUtc", "2025-10-19T14:30:00.12a Z"),
    ("recordedAtUtc", "2099-01-01T00:00:00Z"),

    ("clientEventId", OMIT), ("clientEventId", None), ("clientEventId", 1),
    ("clientEventId", ""), ("clientEventId", "e" * 129),
    ("clientEventId", "evt 1"), ("clientEventId", "evt\u00e9"),
    ("clientEventId", "evt\t1"), ("clientEventId", "evt\u007f"),

    ("idempotencyKey", None), ("idempotencyKey", ""),
    ("idempotencyKey", "k" * 256), ("idempotencyKey", "a key"),
    ("idempotencyKey", 42), ("idempotencyKey", "k\u00e9y"),
    ("idempotencyKey", "k\n"),

    ("auth0Id", None), ("auth0Id", 123), ("auth0Id", ["x"]),
]


class _Validation(Base):
    def setUp(self):
        self.setup_user()

    def test_bad_fields_table(self):
        for field, value in BAD_FIELDS:
            with self.subTest(field=field, value=value):
                b = self.body(**{field: value})
                r = self.post(b)
                self.assert_error(r, 400, field)
        self.assertEqual(self.H.session_records(self.sid), [],
                         "a 400 stores nothing")

    def test_recorded_at_beyond_clock_skew(self):
        b = self.body(recordedAtUtc=utc_now_iso(600))
        self.assert_error(self.post(b), 400, "recordedAtUtc")

    def test_first_failing_field_in_table_order(self):
        order = ["sessionId", "workerId", "worker_name", "units",
                 "recordedAtUtc", "clientEventId", "idempotencyKey",
                 "auth0Id"]
        bad = {"sessionId": "x", "workerId": "", "worker_name": "",
               "units": 0, "recordedAtUtc": "x", "clientEventId": "",
               "idempotencyKey": "", "auth0Id": 1}
        for i, field in enumerate(order):
            with self.subTest(first=field):
                over = {f: bad[f] for f in order[i:]}
                j = self.assert_error(self.post(self.body(**over)), 400,
                                      field)
                if i + 1 < len(order):
                    self.assertNotIn(
                        order[i + 1], j["error"],
                        "error names a later field: %r" % j["error"])

    def test_header_and_body_key_differ_400(self):
        b = self.body(idempotencyKey="body-key")
        r = self.post(b, headers={"Idempotency-Key": "header-key"})
        self.assert_error(r, 400, ["idempotencyKey", "Idempotency-Key"])

    def test_header_key_invalid_400(self):
        for bad in ("a key", "k" * 256):
            with self.subTest(key=bad):
                r = self.post(self.body(), headers={"Idempotency-Key": bad})
                self.assert_error(r, 400, ["idempotencyKey",
                                           "Idempotency-Key"])

    # ---- the body as a whole ------------------------------------------

    def post_raw(self, raw, **kw):
        return self.post(raw, **kw)

    def test_not_a_json_object(self):
        good = self.body()
        import json
        text = json.dumps(good)
        cases = {
            "malformed": b"{",
            "trailing comma": text[:-1].encode() + b",}",
            "array": ("[" + text + "]").encode(),
            "string": b'"x"',
            "number": b"5",
            "null": b"null",
            "true": b"true",
            "empty": b"",
            "whitespace": b"  \n",
            "trailing garbage": text.encode() + b" x",
            "two objects": text.encode() + text.encode(),
            "single quotes": text.replace('"', "'").encode(),
            "invalid utf-8 in string": text.replace(
                "John Smith", "John \\u00e9").encode().replace(
                b"\\u00e9", b"\xff\xfe"),
            "invalid utf-8 overlong": text.replace(
                "John Smith", "John Smith").encode().replace(
                b"John Smith", b"John \xc0\xafSmith"),
            "invalid utf-8 surrogate bytes": text.encode().replace(
                b"John Smith", b"John \xed\xa0\x80Smith"),
            "nul byte": text.encode().replace(b"John Smith",
                                              b"John\x00Smith"),
            # Valid JSON syntax but no Unicode text: refused with the
            # body's UTF-8 errors (CONTRACT 1 checks the body before the
            # fields), never stored as U+FFFD as json-c would have it.
            "lone surrogate escape": text.encode().replace(
                b"John Smith", b"John\\ud800Smith"),
        }
        for name, raw in cases.items():
            with self.subTest(case=name):
                r = self.post_raw(raw)
                self.assert_error(r, 400)
        self.assertEqual(self.H.session_records(self.sid), [])

    def nested(self, depth_total):
        """A body whose deepest nesting (top-level object = 1) is
        depth_total."""
        import json
        inner = depth_total - 1
        b = json.dumps(self.body())
        return (b[:-1] + ', "deep": ' + "[" * inner + "]" * inner +
                "}").encode()

    def test_nesting_depth_16_ok_17_rejected(self):
        r = self.post_raw(self.nested(16))
        self.assertEqual(r.status, 201, r)
        r = self.post_raw(self.nested(17))
        self.assert_error(r, 400)
        r = self.post_raw(self.nested(200))
        self.assert_error(r, 400)
        # Objects nest too.
        import json
        b = json.dumps(self.body())
        deep = '{"a":' * 16 + "1" + "}" * 16
        r = self.post_raw((b[:-1] + ', "o": ' + deep + "}").encode())
        self.assert_error(r, 400)

    # ---- check order ----------------------------------------------------

    def test_content_type_wrong_400(self):
        for ct in ("text/plain", "application/x-www-form-urlencoded",
                   "application/jsonx", "application/json-patch+json",
                   "json", None):
            with self.subTest(content_type=ct):
                r = self.post(self.body(), content_type=ct)
                self.assert_error(r, 400)
        self.assertEqual(self.H.session_records(self.sid), [])

    def test_order_413_before_content_type(self):
        big = b"x" * 20000
        r = self.post_raw(big, content_type="text/plain")
        self.assert_error(r, 413)

    def test_order_401_before_413(self):
        big = b'{"pad":"' + b"x" * 20000 + b'"}'
        r = self.post_raw(big, token="not-a-token")
        self.assert_401(r)
        r = self.post_raw(big, token=None)
        self.assert_401(r, no_token=True)

    def test_order_401_before_400(self):
        r = self.post_raw(b"{", token=None, content_type="text/plain")
        self.assert_401(r, no_token=True)

    def test_413_boundary(self):
        import json
        b = json.dumps(self.body()).encode()
        exact = b[:-1] + b" " * (16384 - len(b)) + b"}"
        self.assertEqual(len(exact), 16384)
        r = self.post_raw(exact)
        self.assertEqual(r.status, 201, r)
        over = b[:-1] + b" " * (16385 - len(b)) + b"}"
        self.assert_error(self.post_raw(over), 413)
        self.assert_error(self.post_raw(b"{" + b" " * 40000 + b"}"), 413)


for_each_front(globals(), _Validation)
