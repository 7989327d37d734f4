"""JSON Web Key Sets (CONTRACT 10): PRODREC_JWT_JWKS_FILE as Auth0 serves it
at https://TENANT/.well-known/jwks.json, the kid that picks a key, the typ
header, key rotation under load in a pool of workers (a file renamed over
the set, a broken set, a removed set, SIGHUP), PRODREC_JWT_PUBLIC_KEY_FILE
holding a certificate, a refused start and --check-config.

Keys and tokens come from the npm package jose (tests/jose: package.json,
package-lock.json, jose.mjs), the JWT library of an Auth0 user's Node
tooling, not from the harness's own signing helpers: node runs
tests/jose/jose.mjs with a batch of operations on stdin and writes the
results on stdout (one node start per batch). Certificates (x5c and the
PEM case) come from `openssl req -x509`, a 1024-bit RSA key from `openssl
genpkey`. node must be on PATH; tests/jose/node_modules is installed with
`npm ci` when missing. Without node (or npm) the module is skipped, and
under CI=true that is an error instead.
"""

import base64
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

import harness
from harness import REPO, post_record
from itbase import Base, NamedServers, StartChecks

JOSE_DIR = os.path.join(REPO, "tests", "jose")
JOSE_SCRIPT = os.path.join(JOSE_DIR, "jose.mjs")
CHALLENGE = 'Bearer error="invalid_token"'
RELOAD_WITHIN = 5.0     # seconds a changed key set may take to be in force
KEPT_FOR = 2.2          # seconds a broken / removed set must not change keys

NODE = None
KEYS = {}       # name -> {"alg", "jwk" (public, no kid), "pkcs8", "spki"}
CERTS = {}      # name -> (PEM path, DER bytes) of a self-signed certificate
WORK = None     # this module's files, under the harness's directory


# ---- jose (node) --------------------------------------------------------

def _ci():
    return os.environ.get("CI") == "true"


def _unavailable(msg):
    if _ci():
        raise RuntimeError(msg + " (CI=true: a failure, not a skip)")
    raise unittest.SkipTest(msg)


def jose(ops, timeout=60):
    """Run a batch of jose.mjs operations; returns their results."""
    p = subprocess.run([NODE, JOSE_SCRIPT], input=json.dumps(ops).encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, cwd=JOSE_DIR)
    if p.returncode != 0:
        raise harness.HarnessError("jose.mjs exited %d: %s" % (
            p.returncode, p.stderr.decode("utf-8", "replace")))
    out = json.loads(p.stdout.decode("utf-8"))
    if len(out) != len(ops):
        raise harness.HarnessError("jose.mjs: %d results for %d ops"
                                   % (len(out), len(ops)))
    return out


def setUpModule():
    global NODE, WORK
    NODE = shutil.which("node")
    if NODE is None:
        _unavailable("node is not on PATH (tests/jose needs Node.js 18+)")
    if not os.path.isdir(os.path.join(JOSE_DIR, "node_modules", "jose")):
        npm = shutil.which("npm")
        if npm is None:
            _unavailable("npm is not on PATH and tests/jose/node_modules "
                         "is missing")
        p = subprocess.run([npm, "ci", "--no-audit", "--no-fund"],
                           cwd=JOSE_DIR, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=300)
        if p.returncode != 0:
            raise harness.HarnessError("npm ci in tests/jose failed:\n%s"
                                       % p.stdout.decode("utf-8", "replace"))
    WORK = os.path.join(harness.H.root, "jwks")
    os.makedirs(WORK, exist_ok=True)
    # Every key of the module in one node start.
    want = [("k1", "RS256"), ("k2", "RS256"), ("e1", "ES256"),
            ("o1", "EdDSA")]
    out = jose([{"op": "generate", "alg": alg} for _, alg in want])
    for (name, alg), res in zip(want, out):
        KEYS[name] = dict(res, alg=alg)
        with open(os.path.join(WORK, name + ".key"), "w") as f:
            f.write(res["pkcs8"])


def tearDownModule():
    KEYS.clear()
    CERTS.clear()


def given(d, **members):
    """d with each of members that is not None added."""
    d.update((k, v) for k, v in members.items() if v is not None)
    return d


def jwk(name, kid=None, use="sig", alg=None, **extra):
    """The public JWK of key name (jose's exportJWK) with kid / use / alg."""
    k = given(dict(KEYS[name]["jwk"]), kid=kid, use=use, alg=alg)
    k.update(extra)
    return k


def cert(name):
    """(PEM path, DER) of a self-signed certificate of key name (openssl)."""
    if name not in CERTS:
        key = os.path.join(WORK, name + ".key")
        pem = os.path.join(WORK, name + ".crt")
        harness.run_cmd(["openssl", "req", "-x509", "-new", "-key", key,
                         "-subj", "/CN=test", "-days", "1", "-out", pem])
        der = harness.run_cmd(["openssl", "x509", "-in", pem, "-outform",
                               "DER"]).stdout
        CERTS[name] = (pem, der)
    return CERTS[name]


def x5c_members(name):
    """x5c and x5t as Auth0 publishes them for key name."""
    _, der = cert(name)
    return {"x5c": [base64.b64encode(der).decode("ascii")],
            "x5t": harness.b64u(hashlib.sha1(der).digest())}


def rsa1024_jwk(kid):
    """The JWK of a 1024-bit RSA key (jose cannot generate one)."""
    key = os.path.join(WORK, "rsa1024.key")
    pub = os.path.join(WORK, "rsa1024.pub")
    if not os.path.exists(pub):
        harness.run_cmd(["openssl", "genpkey", "-algorithm", "RSA",
                         "-pkeyopt", "rsa_keygen_bits:1024", "-out", key])
        harness.run_cmd(["openssl", "pkey", "-in", key, "-pubout",
                         "-out", pub])
    with open(pub) as f:
        spki = f.read()
    return jose([{"op": "jwk", "spki": spki, "kid": kid, "use": "sig"}])[0][
        "jwk"]


def sign_op(key, sub, kid=None, alg=None, typ="JWT", **kw):
    """A jose.mjs sign operation: key name, subject, header kid / typ, and
    iss / aud / ttl / claims in kw."""
    op = given({"op": "sign", "pkcs8": KEYS[key]["pkcs8"],
                "alg": alg or KEYS[key]["alg"], "sub": sub}, kid=kid, typ=typ)
    op.update(kw)
    return op


def tokens(*ops):
    """The tokens of sign operations, in one node start."""
    return [r["token"] for r in jose(list(ops))]


def header_of(token):
    h = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))


_seq = [0]


def write_set(path, keys=None, text=None):
    """Put a key set at path as a deploy would: written beside it, then
    renamed over it (a new inode). keys: a list of JWKs; text: raw bytes."""
    if text is None:
        text = json.dumps({"keys": keys}, indent=2)
    if isinstance(text, str):
        text = text.encode("utf-8")
    _seq[0] += 1
    tmp = "%s.tmp%d" % (path, _seq[0])
    with open(tmp, "wb") as f:
        f.write(text)
    os.replace(tmp, path)


def set_path(name):
    return os.path.join(WORK, name + ".json")


def jwks_env(path, algs, **extra):
    env = {"PRODREC_JWT_ALGS": algs, "PRODREC_JWT_SECRET": None,
           "PRODREC_JWT_JWKS_FILE": path}
    env.update(extra)
    return env


# ---- the base of the classes ------------------------------------------------

class _JwksBase(NamedServers):
    """prodrec (direct, over FastCGI) started per class under its own key
    settings, stopped in tearDownClass."""

    label_prefix = "jwks-"

    def server(self, name, env, workers=0):
        return super().server(name, dict(env, PRODREC_WORKERS=str(workers)))

    def send(self, server, token, sid=None):
        body = self.body()
        if sid is not None:
            body["sessionId"] = sid
        return post_record(server, body, token)

    def assert_201(self, server, token, what=""):
        r = self.send(server, token)
        self.assertEqual(r.status, 201, "%s header %r: %r"
                         % (what, header_of(token), r))
        return r

    def assert_token_401(self, server, token, what=""):
        r = self.send(server, token)
        self.assertEqual(r.status, 401, "%s header %r: %r"
                         % (what, header_of(token), r))
        self.assert_401(r)
        return r

    def burst(self, server, token, n=20, parallel=4):
        """n requests with token, parallel at a time (so that each worker
        of a pool gets some); returns the responses (or exceptions)."""
        def one(_):
            try:
                return self.send(server, token)
            except Exception as e:  # noqa: BLE001 - reported by the caller
                return e
        with ThreadPoolExecutor(parallel) as ex:
            return list(ex.map(one, range(n)))

    @staticmethod
    def statuses(responses):
        return [getattr(r, "status", r) for r in responses]

    def wait_all(self, server, token, status, since, n=20, what=""):
        """Poll with bursts of n until every answer is status, at most
        RELOAD_WITHIN seconds after since; returns the seconds taken."""
        last = None
        while True:
            rs = self.burst(server, token, n)
            st = self.statuses(rs)
            if all(s == status for s in st):
                return time.time() - since, rs
            last = rs
            if time.time() - since > RELOAD_WITHIN:
                bad = [r for r in rs if getattr(r, "status", None) != status]
                self.fail("%s: not all %d within %.0fs of the write: %r; "
                          "first other: %r" % (what, status, RELOAD_WITHIN,
                                               st, bad[0] if bad else last))
            time.sleep(0.1)

    def log_offset(self, server):
        return len(server.read_log())

    def new_log_lines(self, server, offset):
        return [ln for ln in server.read_log()[offset:].splitlines()
                if ln.strip()]


# ---- 1-5: picking the key, typ, an Auth0-like token ------------------------

class JwksKeys(_JwksBase):
    """Which key checks a token: its kid, or the one key that fits."""

    def rsa_server(self):
        p = set_path("rsa-only")
        if "rsa" not in type(self).servers:
            write_set(p, [jwk("k1", kid="k1")])
        return self.server("rsa", jwks_env(p, "RS256"))

    def ec_server(self):
        p = set_path("ec-only")
        if "ec" not in type(self).servers:
            write_set(p, [jwk("e1", kid="e1")])
        return self.server("ec", jwks_env(p, "ES256"))

    def mixed_server(self):
        p = set_path("mixed")
        if "mixed" not in type(self).servers:
            write_set(p, [jwk("k1", kid="k1"), jwk("e1", kid="e1")])
        return self.server("mixed", jwks_env(p, "RS256,ES256"))

    def test_rs256_with_kid_accepted(self):
        s = self.rsa_server()
        t, = tokens(sign_op("k1", self.user, kid="k1"))
        self.assertEqual(header_of(t), {"alg": "RS256", "kid": "k1",
                                        "typ": "JWT"})
        self.assert_201(s, t)

    def test_es256_with_kid_accepted(self):
        s = self.ec_server()
        t, = tokens(sign_op("e1", self.user, kid="e1"))
        self.assert_201(s, t)

    def test_rsa_and_ec_set_accepts_each(self):
        s = self.mixed_server()
        rs, es, rs_nokid, es_nokid = tokens(
            sign_op("k1", self.user, kid="k1"),
            sign_op("e1", self.user, kid="e1"),
            sign_op("k1", self.user),
            sign_op("e1", self.user))
        self.assert_201(s, rs, "RS256 kid k1")
        self.assert_201(s, es, "ES256 kid e1")
        # Without kid, exactly one key of the set fits each algorithm.
        self.assert_201(s, rs_nokid, "RS256 without kid")
        self.assert_201(s, es_nokid, "ES256 without kid")

    def test_unknown_kid_401(self):
        s = self.mixed_server()
        ts = tokens(
            sign_op("k1", self.user, kid="nope"),    # right key, other kid
            sign_op("k2", self.user, kid="k2"),      # a key not in the set
            sign_op("k2", self.user, kid="k1"),      # a known kid, other key
            sign_op("e1", self.user, kid="k1"),      # the RSA key's kid, ES256
            sign_op("k1", self.user, kid=""))        # an empty kid
        for t in ts:
            with self.subTest(header=header_of(t)):
                self.assert_token_401(s, t)

    def test_no_kid_one_key_in_set_201(self):
        s = self.rsa_server()
        t, = tokens(sign_op("k1", self.user))
        self.assertNotIn("kid", header_of(t))
        self.assert_201(s, t)

    def test_no_kid_two_rsa_keys_401(self):
        p = set_path("two-rsa")
        if "two-rsa" not in type(self).servers:
            write_set(p, [jwk("k1", kid="k1"), jwk("k2", kid="k2")])
        s = self.server("two-rsa", jwks_env(p, "RS256"))
        nokid1, nokid2, kid1, kid2 = tokens(
            sign_op("k1", self.user), sign_op("k2", self.user),
            sign_op("k1", self.user, kid="k1"),
            sign_op("k2", self.user, kid="k2"))
        self.assert_token_401(s, nokid1, "k1 without kid")
        self.assert_token_401(s, nokid2, "k2 without kid")
        self.assert_201(s, kid1, "k1 with kid")
        self.assert_201(s, kid2, "k2 with kid")

    def test_key_alg_limits_its_tokens(self):
        """A key whose alg is set checks only tokens of that alg."""
        p = set_path("alg-bound")
        if "alg-bound" not in type(self).servers:
            write_set(p, [jwk("k1", kid="k1", alg="RS256"),
                          jwk("k2", kid="k2", alg="RS384")])
        s = self.server("alg-bound", jwks_env(p, "RS256,RS384"))
        ok1, ok2, bad1, bad2 = tokens(
            sign_op("k1", self.user, kid="k1", alg="RS256"),
            sign_op("k2", self.user, kid="k2", alg="RS384"),
            sign_op("k1", self.user, kid="k1", alg="RS384"),
            sign_op("k2", self.user, kid="k2", alg="RS256"))
        self.assert_201(s, ok1)
        self.assert_201(s, ok2)
        self.assert_token_401(s, bad1)
        self.assert_token_401(s, bad2)

    def test_use_enc_key_not_used(self):
        """A key whose use is not sig is skipped: its kid is unknown."""
        p = set_path("use-enc")
        if "use-enc" not in type(self).servers:
            write_set(p, [jwk("k1", kid="k1"), jwk("k2", kid="k2",
                                                   use="enc")])
        s = self.server("use-enc", jwks_env(p, "RS256"))
        ok, enc, nokid = tokens(sign_op("k1", self.user, kid="k1"),
                                sign_op("k2", self.user, kid="k2"),
                                sign_op("k1", self.user))
        self.assert_201(s, ok)
        self.assert_token_401(s, enc)
        # k1 is the only key that fits RS256.
        self.assert_201(s, nokid)

    def test_typ_at_jwt_201(self):
        s = self.rsa_server()
        typs = ("at+jwt", "AT+JWT", "At+Jwt", "JWT", "jwt",
                "application/at+jwt", "application/jwt",
                "Application/AT+JWT")
        ts = tokens(*[sign_op("k1", self.user, kid="k1", typ=typ)
                      for typ in typs])
        for typ, t in zip(typs, ts):
            with self.subTest(typ=typ):
                self.assertEqual(header_of(t)["typ"], typ)
                self.assert_201(s, t)

    def test_typ_other_401(self):
        s = self.rsa_server()
        typs = ("JOSE+JSON", "foo", "JOSE", "", "application/json",
                "jwt+at", "JWT ")
        ts = tokens(*[sign_op("k1", self.user, kid="k1", typ=typ)
                      for typ in typs])
        for typ, t in zip(typs, ts):
            with self.subTest(typ=typ):
                self.assert_token_401(s, t)

    def test_auth0_like_token_201(self):
        """An access token as an Auth0 tenant issues it, checked against
        a key set shaped like the tenant's jwks.json (two RS256 keys with
        use, alg, kid, x5t and x5c)."""
        tenant = "https://it-%s.eu.auth0.com/" % secrets.token_hex(3)
        api = "https://api.example/prodrec"
        p = set_path("auth0")
        keyset = [jwk("k1", kid="Kx1" + secrets.token_hex(8), alg="RS256",
                      **x5c_members("k1")),
                  jwk("k2", kid="Kx2" + secrets.token_hex(8), alg="RS256",
                      **x5c_members("k2"))]
        write_set(p, keyset)
        s = self.server("auth0", jwks_env(p, "RS256",
                                          PRODREC_JWT_ISSUER=tenant,
                                          PRODREC_JWT_AUDIENCE=api))
        kid1, kid2 = keyset[0]["kid"], keyset[1]["kid"]
        extra = {"claims": {"azp": "client" + secrets.token_hex(4),
                            "scope": "openid profile write:records",
                            "gty": "client-credentials"}}
        aud = [api, tenant + "userinfo"]
        ts = tokens(
            sign_op("k1", self.user, kid=kid1, iss=tenant, aud=aud, **extra),
            sign_op("k1", self.user, kid=kid1, typ="at+jwt", iss=tenant,
                    aud=aud, **extra),
            sign_op("k2", self.user, kid=kid2, iss=tenant, aud=api, **extra),
            # Not for this API, or not from this tenant.
            sign_op("k1", self.user, kid=kid1, iss=tenant,
                    aud=[tenant + "userinfo"]),
            sign_op("k1", self.user, kid=kid1, iss=tenant.rstrip("/"),
                    aud=aud))
        for t in ts[:3]:
            with self.subTest(ok=header_of(t)):
                self.assert_201(s, t)
        for t in ts[3:]:
            with self.subTest(bad=header_of(t)):
                self.assert_token_401(s, t)


# ---- 6: rotation under load -------------------------------------------------

class _Load(threading.Thread):
    """Posts records one after another on its own session, with the
    tokens of `kinds` in turn, until stopped (bounded in time)."""

    def __init__(self, server, sid, tok, limit=60.0):
        super().__init__(daemon=True)
        self.server = server
        self.sid = sid
        self.tok = tok          # kind -> token
        self.kinds = ["k1"]
        self.phase = 0
        self.results = []       # (kind, phase at start, at end, response)
        self.stop_ev = threading.Event()
        self.limit = limit

    def body(self):
        return {"sessionId": self.sid, "workerId": "JS0315",
                "worker_name": "Load", "units": 1,
                "recordedAtUtc": "2025-10-19T14:30:00.000Z",
                "clientEventId": "evt_" + secrets.token_hex(8)}

    def run(self):
        deadline = time.time() + self.limit
        i = 0
        while not self.stop_ev.is_set() and time.time() < deadline:
            kinds = list(self.kinds)
            kind = kinds[i % len(kinds)]
            i += 1
            p0 = self.phase
            try:
                r = post_record(self.server, self.body(), self.tok[kind])
            except Exception as e:  # noqa: BLE001 - judged by the test
                r = e
            self.results.append((kind, p0, self.phase, r))
            time.sleep(0.005)

    def stop(self):
        self.stop_ev.set()
        self.join(30)


class JwksRotation(_JwksBase):
    """A pool of 4 workers: a set renamed over the configured one is in
    force in every worker within seconds, under a steady load."""

    WORKERS = 4

    def test_rotation_under_load(self):
        p = set_path("rotation")
        write_set(p, [jwk("k1", kid="k1")])
        s = self.server("rotation", jwks_env(p, "RS256"),
                        workers=self.WORKERS)
        load_user = self.new_user()
        load_sid = self.H.open_session(load_user)
        t1, t2, probe1, probe2 = tokens(
            sign_op("k1", load_user, kid="k1"),
            sign_op("k2", load_user, kid="k2"),
            sign_op("k1", self.user, kid="k1"),
            sign_op("k2", self.user, kid="k2"))
        # Before: k1 everywhere, k2 unknown.
        st = self.statuses(self.burst(s, probe1))
        self.assertEqual(st, [201] * 20, "k1 before any change")
        st = self.statuses(self.burst(s, probe2, n=8))
        self.assertEqual(st, [401] * 8, "k2 before it is in the set")

        load = _Load(s, load_sid, {"k1": t1, "k2": t2})
        load.start()
        try:
            time.sleep(0.5)
            # Phase 1: {k1, k2}.
            load.phase = 1
            t0 = time.time()
            write_set(p, [jwk("k1", kid="k1"), jwk("k2", kid="k2")])
            took_add, _ = self.wait_all(s, probe2, 201, t0,
                                        what="k2 after {k1,k2}")
            st = self.statuses(self.burst(s, probe2, n=40))
            self.assertEqual(st, [201] * 40, "k2 once in force")
            st = self.statuses(self.burst(s, probe1, n=20))
            self.assertEqual(st, [201] * 20, "k1 still in {k1,k2}")
            # Phase 2: the load uses both.
            load.phase = 2
            load.kinds = ["k1", "k2"]
            time.sleep(1.0)
            # Phase 3: {k2} only; the same k1 token string as before.
            load.phase = 3
            t0 = time.time()
            write_set(p, [jwk("k2", kid="k2")])
            took_remove, _ = self.wait_all(s, probe1, 401, t0,
                                            what="k1 after {k2}")
            for r in self.burst(s, probe1, n=40):
                self.assertEqual(getattr(r, "status", r), 401, r)
                self.assert_401(r)
            st = self.statuses(self.burst(s, probe2, n=20))
            self.assertEqual(st, [201] * 20, "k2 in {k2}")
            time.sleep(1.0)
        finally:
            load.stop()
        self.assertFalse(load.is_alive(), "the load did not stop")
        self.assertTrue(s.alive(), "prodrec master exited: %s"
                        % s.exit_codes())

        res = load.results
        created = 0
        bad = []
        k1_late = {201: 0, 401: 0}
        for kind, p0, p1, r in res:
            st = getattr(r, "status", None)
            if st == 201:
                created += 1
            if kind == "k2" or p1 < 3:
                ok = st == 201
            else:
                ok = st in (201, 401)
                if st in k1_late:
                    k1_late[st] += 1
                if st == 401:
                    ok = r.header("www-authenticate") == CHALLENGE
            if not ok:
                bad.append((kind, p0, p1, r))
        self.assertGreater(len(res), 50, "the load sent too few requests")
        self.assertEqual(bad, [], "load answers other than expected "
                         "(kind, phase at start, at end, response); %d "
                         "requests" % len(res))
        self.assertGreater(k1_late[401], 0, "k1 tokens of the load were "
                           "never refused after k1 left the set")
        rows = self.H.count("session_id=%s" % self.H.q(load_sid))
        self.assertEqual(rows, created, "rows of the load vs its 201s")
        # For the report when run with -v: how long each change took.
        print("(k2 in force after %.2fs, k1 out after %.2fs, %d load "
              "requests) " % (took_add, took_remove, len(res)), end="",
              flush=True)


# ---- 7-8: a broken or removed set keeps the keys in use -------------------

class JwksBrokenSet(_JwksBase):
    """One prodrec process: every broken write is logged once and the good
    keys stay in force; then a good file is taken again."""

    def keep_in_force(self, s, good, gone, what):
        """For KEPT_FOR seconds: good answers 201, gone 401."""
        end = time.time() + KEPT_FOR
        n = 0
        while time.time() < end:
            for t in good:
                self.assert_201(s, t, what + ": a key in use")
            for t in gone:
                self.assert_token_401(s, t, what + ": a key never in force")
            n += 1
            time.sleep(0.2)
        self.assertGreaterEqual(n, 5)

    def test_broken_set_keeps_keys(self):
        p = set_path("broken")
        write_set(p, [jwk("k1", kid="k1")])
        s = self.server("broken", jwks_env(p, "RS256"))
        t1, t2 = tokens(sign_op("k1", self.user, kid="k1"),
                        sign_op("k2", self.user, kid="k2"))
        self.assert_201(s, t1, "start")
        good_text = json.dumps({"keys": [jwk("k1", kid="k1"),
                                         jwk("k2", kid="k2")]})
        broken = [
            ("truncated JSON", good_text[:len(good_text) // 2]),
            ("a 1024-bit RSA key", json.dumps({"keys": [
                jwk("k1", kid="k1"), jwk("k2", kid="k2"),
                rsa1024_jwk("small")]})),
            ("a duplicate kid", json.dumps({"keys": [
                jwk("k1", kid="k1"), jwk("k2", kid="k2"),
                jwk("k2", kid="k1")]})),
        ]
        for what, text in broken:
            with self.subTest(broken=what):
                off = self.log_offset(s)
                write_set(p, text=text)
                # Before and after the worker looks at the file again.
                self.keep_in_force(s, [t1], [t2], what)
                lines = [ln for ln in self.new_log_lines(s, off)
                         if "PRODREC_JWT_JWKS_FILE" in ln]
                self.assertEqual(len(lines), 1, "one log line naming "
                                 "PRODREC_JWT_JWKS_FILE after %s: %r"
                                 % (what, self.new_log_lines(s, off)))
        # A good file again: k2 comes into force.
        t0 = time.time()
        write_set(p, text=good_text)
        self.wait_all(s, t2, 201, t0, n=5, what="k2 after a good set")
        self.assert_201(s, t1, "k1 after a good set")
        self.assertTrue(s.alive())

    def test_removed_set_keeps_keys(self):
        p = set_path("removed")
        write_set(p, [jwk("k1", kid="k1"), jwk("e1", kid="e1")])
        s = self.server("removed", jwks_env(p, "RS256,ES256"))
        t1, te, t2 = tokens(sign_op("k1", self.user, kid="k1"),
                            sign_op("e1", self.user, kid="e1"),
                            sign_op("k2", self.user, kid="k2"))
        self.assert_201(s, t1, "start")
        os.unlink(p)
        self.keep_in_force(s, [t1, te], [t2], "after the file was removed")
        # The file back, with other keys: taken again.
        t0 = time.time()
        write_set(p, [jwk("k2", kid="k2"), jwk("e1", kid="e1")])
        self.wait_all(s, t2, 201, t0, n=5, what="k2 when the file is back")
        self.assert_token_401(s, t1, "k1 no longer in the set")
        self.assert_201(s, te, "e1 still in the set")
        self.assertTrue(s.alive())


# ---- 9: SIGHUP ------------------------------------------------------------

class JwksSighup(_JwksBase):
    """SIGHUP to the master reads the set again, also when the file's stat
    (inode, size, mtime) did not change."""

    def test_sighup_reload(self):
        p = set_path("sighup")
        old = json.dumps({"keys": [jwk("k1", kid="ka")]}).encode()
        new = json.dumps({"keys": [jwk("k2", kid="ka")]}).encode()
        # Both RSA-2048 with e=AQAB: the same length (pad if not).
        width = max(len(old), len(new))
        old, new = old.ljust(width), new.ljust(width)
        write_set(p, text=old)
        s = self.server("sighup", jwks_env(p, "RS256"), workers=2)
        t_old, t_new = tokens(sign_op("k1", self.user, kid="ka"),
                              sign_op("k2", self.user, kid="ka"))
        self.assertEqual(self.statuses(self.burst(s, t_old, n=8)), [201] * 8)
        self.assertEqual(self.statuses(self.burst(s, t_new, n=8)), [401] * 8)
        # Rewrite in place (no request meanwhile), with the old mtime.
        before = os.stat(p)
        with open(p, "r+b") as f:
            f.write(new)
        os.utime(p, ns=(before.st_atime_ns, before.st_mtime_ns))
        after = os.stat(p)
        self.assertEqual((after.st_ino, after.st_size, after.st_mtime_ns),
                         (before.st_ino, before.st_size, before.st_mtime_ns))
        master = s.procs[0].pid
        t0 = time.time()
        os.kill(master, signal.SIGHUP)
        self.wait_all(s, t_new, 201, t0, what="the new key after SIGHUP")
        self.wait_all(s, t_old, 401, t0, what="the old key after SIGHUP")
        self.assertTrue(s.alive(), s.read_log()[-2000:])


# ---- 10: PRODREC_JWT_PUBLIC_KEY_FILE with a certificate ---------------------

class JwksCertificate(_JwksBase):
    def test_certificate_pem_accepted(self):
        pem, _ = cert("k1")
        with open(pem) as f:
            self.assertIn("-----BEGIN CERTIFICATE-----", f.read())
        s = self.server("cert", {"PRODREC_JWT_ALGS": "RS256",
                                 "PRODREC_JWT_SECRET": None,
                                 "PRODREC_JWT_PUBLIC_KEY_FILE": pem})
        ok, other = tokens(sign_op("k1", self.user),
                           sign_op("k2", self.user))
        self.assert_201(s, ok, "the certificate's key")
        self.assert_token_401(s, other, "another key")

    def test_certificate_and_key_set(self):
        """Both settings: the set for tokens with a kid, the certificate's
        key for tokens without."""
        pem, _ = cert("k1")
        p = set_path("with-cert")
        write_set(p, [jwk("k2", kid="k2")])
        s = self.server("cert-set", jwks_env(
            p, "RS256", PRODREC_JWT_PUBLIC_KEY_FILE=pem))
        ts = tokens(sign_op("k1", self.user),
                    sign_op("k2", self.user, kid="k2"),
                    sign_op("k2", self.user),
                    sign_op("k1", self.user, kid="k1"))
        self.assert_201(s, ts[0], "no kid, the certificate's key")
        self.assert_201(s, ts[1], "kid k2 of the set")
        self.assert_token_401(s, ts[2], "no kid, a key of the set")
        self.assert_token_401(s, ts[3], "a kid not in the set")


# ---- 11-12: a refused start, --check-config ---------------------------------

class JwksConfig(StartChecks, Base):
    def assert_refused(self, p, *reasons):
        line = self.assert_one_line_error(p, "PRODREC_JWT_JWKS_FILE")
        self.assertIn("configuration error", line)
        low = line.lower()
        for r in reasons:
            self.assertTrue(any(w.lower() in low for w in r),
                            "stderr %r names none of %r" % (line, r))

    def start_with(self, name, text, algs="RS256"):
        """Start prodrec as a web server does (a start it took would
        serve, and time out here) on the key set text."""
        p = set_path("refused-" + name)
        write_set(p, text=text)
        return self.run_on_socket(jwks_env(p, algs), "refused-%s.sock"
                                  % secrets.token_hex(4))

    def test_start_refused_malformed_set(self):
        good = json.dumps({"keys": [jwk("k1", kid="k1")]})
        cases = [
            ("truncated", good[:len(good) // 2]),
            ("not json", "keys: k1\n"),
            ("keys not an array", json.dumps({"keys": jwk("k1", kid="k1")})),
            ("no keys", json.dumps({"kid": "k1"})),
            ("n not base64url", json.dumps({"keys": [
                jwk("k1", kid="k1", n="not*base64url!")]})),
            ("EC without y", json.dumps({"keys": [
                {k: v for k, v in jwk("e1", kid="e1").items()
                 if k != "y"}]})),
            ("kid not a string", json.dumps({"keys": [
                jwk("k1", kid=7)]})),
        ]
        for name, text in cases:
            with self.subTest(case=name):
                self.assert_refused(self.start_with(name, text))

    def test_start_refused_rsa_1024(self):
        text = json.dumps({"keys": [jwk("k1", kid="k1"),
                                    rsa1024_jwk("small")]})
        self.assert_refused(self.start_with("rsa1024", text), ("1024",))

    def test_start_refused_x5c_of_another_key(self):
        text = json.dumps({"keys": [jwk("k1", kid="k1",
                                        x5c=x5c_members("k2")["x5c"])]})
        self.assert_refused(self.start_with("x5c", text), ("x5c",))
        # The same key with its own certificate starts.
        p = set_path("x5c-own")
        write_set(p, [jwk("k1", kid="k1", **x5c_members("k1"))])
        r = self.run_prodrec(jwks_env(p, "RS256"), args=("--check-config",))
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_start_refused_duplicate_kid(self):
        text = json.dumps({"keys": [jwk("k1", kid="dup"),
                                    jwk("k2", kid="dup")]})
        self.assert_refused(self.start_with("dup", text),
                            ("duplicate", "same kid", "twice", "\"dup\""))

    def test_start_refused_ec_alg_of_other_curve(self):
        text = json.dumps({"keys": [jwk("e1", kid="e1", alg="ES384")]})
        self.assert_refused(self.start_with("ec-curve", text, "ES256,ES384"),
                            ("ES384", "P-384", "curve", "crv"))

    def test_check_config_lists_keys(self):
        p = set_path("check")
        write_set(p, [jwk("k1", kid="k1", alg="RS256", **x5c_members("k1")),
                      jwk("e1", kid="e1"),
                      jwk("o1", kid="o1")])
        self.assertEqual(KEYS["o1"]["jwk"]["kty"], "OKP")
        # stdout stays "configuration OK" alone (scripts compare it); the
        # key lines go to stderr.
        r = self.run_prodrec(jwks_env(p, "RS256,ES256"),
                             args=("--check-config",))
        self.assertEqual(r.stdout, b"configuration OK\n", r)
        out = r.stderr.decode("utf-8", "replace")
        self.assertEqual(r.returncode, 0, out)
        body = out.splitlines()
        pre = "PRODREC_JWT_JWKS_FILE: key "
        self.assertIn(pre + 'kid "k1", RSA 2048 bits, for RS256', body, out)
        self.assertIn(pre + 'kid "e1", EC P-256, for ES256', body, out)
        skipped = [ln for ln in body
                   if ln.startswith(pre + 'kid "o1" skipped: ')]
        self.assertEqual(len(skipped), 1, out)
        self.assertGreater(len(skipped[0]), len(pre + 'kid "o1" skipped: '),
                           "a reason: %r" % skipped[0])
        self.assertEqual(len(body), 3, "one line per key: %r" % out)
