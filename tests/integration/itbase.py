"""itbase.py: the TestCase base of the integration tests and the helper that
runs one set of cases over every front end (direct FastCGI, lighttpd, Apache
with mod_fcgid, Apache with mod_proxy_fcgi)."""

import datetime
import json
import re
import secrets
import threading
import time
import unittest

import harness
from harness import RECORDS_PATH, post_record  # noqa: F401 (re-exported)

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
    """Helpers shared by every integration test. front: the front end."""

    front_name = None
    maxDiff = 4000

    @property
    def H(self):
        return harness.H

    # front_name -> the Harness attribute holding that front end.
    FRONTS = {"direct": "direct", "lighttpd": "web", "fcgid": "fcgid",
              "proxy": "proxy"}

    @property
    def front(self):
        return getattr(harness.H, self.FRONTS[self.front_name or "direct"])

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
