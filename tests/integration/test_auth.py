"""Tokens (CONTRACT 2) end to end: HS256 cases over both front ends; RS256,
ES256, algorithm confusion, iss/aud and the user claim with prodrec
restarted under another configuration."""

import time

import harness
from harness import b64u, json_compact, post_record
from itbase import Base, NamedServers, for_each_front


class _Tokens(Base):
    def setUp(self):
        self.setup_user()

    def send(self, token=None, auth_header=None):
        hdrs = {}
        if auth_header is not None:
            hdrs["Authorization"] = auth_header
        return self.post(self.body(), token=token, headers=hdrs)

    def claims(self, **kw):
        return self.H.claims(self.user, **kw)

    def test_missing_header_401_plain_bearer(self):
        self.assert_401(self.send(), no_token=True)

    def test_valid_token_201(self):
        self.assertEqual(self.send(self.tok).status, 201)

    def test_not_bearer_401(self):
        for h in ("Basic dXNlcjpwYXNz", "Token " + self.tok, self.tok):
            with self.subTest(header=h[:20]):
                r = self.send(auth_header=h)
                self.assert_error(r, 401)
                self.assertTrue(r.header("www-authenticate", "")
                                .startswith("Bearer"), r)

    def test_bearer_without_token_401(self):
        for h in ("Bearer", "Bearer ", "Bearer  "):
            with self.subTest(header=h):
                r = self.send(auth_header=h)
                self.assert_error(r, 401)
                self.assertTrue(r.header("www-authenticate", "")
                                .startswith("Bearer"), r)

    def test_malformed_401(self):
        for t in ("abc", "a.b", "a.b.c", "a.b.c.d", "...", "%%%.%%%.%%%",
                  b64u("{}") + "." + b64u("{}") + ".",
                  self.tok + "x", self.tok.replace(".", "..", 1)):
            with self.subTest(token=t[:30]):
                self.assert_401(self.send(t))

    def test_expired_401(self):
        t = self.H.jwt_hmac(self.claims(ttl=-3600))
        self.assert_401(self.send(t))

    def test_expired_within_leeway_ok(self):
        t = self.H.jwt_hmac(self.claims(ttl=-20))
        self.assertEqual(self.send(t).status, 201)

    def test_not_yet_valid_401(self):
        t = self.H.jwt_hmac(self.claims(nbf=int(time.time()) + 3600))
        self.assert_401(self.send(t))

    def test_nbf_within_leeway_ok(self):
        t = self.H.jwt_hmac(self.claims(nbf=int(time.time()) + 20))
        self.assertEqual(self.send(t).status, 201)

    def test_bad_signature_401(self):
        t = self.H.jwt_hmac(self.claims(), secret=self.H.secret + "x")
        self.assert_401(self.send(t))
        # Payload changed after signing.
        h, p, s = self.tok.split(".")
        forged = b64u(json_compact(dict(self.claims(), sub="someone")))
        self.assert_401(self.send(h + "." + forged + "." + s))
        # Signature of another token.
        other = self.H.token(self.user + "x").split(".")[2]
        self.assert_401(self.send(h + "." + p + "." + other))

    def test_alg_none_401(self):
        for alg in ("none", "None", "NONE"):
            hdr = b64u(json_compact({"alg": alg, "typ": "JWT"}))
            body = b64u(json_compact(self.claims()))
            for t in (hdr + "." + body + ".", hdr + "." + body):
                with self.subTest(alg=alg, token=t[-5:]):
                    self.assert_401(self.send(t))

    def test_alg_not_configured_401(self):
        for alg in ("HS384", "HS512"):
            t = self.H.jwt_hmac(self.claims(), alg=alg)
            with self.subTest(alg=alg):
                self.assert_401(self.send(t))

    def test_exp_missing_or_not_integer_401(self):
        for exp in (None, "9999999999", 1.9e9, True, 0, -5):
            c = self.claims()
            if exp is None:
                del c["exp"]
            else:
                c["exp"] = exp
            with self.subTest(exp=exp):
                self.assert_401(self.send(self.H.jwt_hmac(c)))

    def test_no_user_claim_401(self):
        c = self.claims()
        del c["sub"]
        self.assert_401(self.send(self.H.jwt_hmac(c)))

    def test_user_claim_with_control_characters_401(self):
        for sub in ("auth0|a\nb", "auth0|a\tb", "auth0|a\x7fb",
                    "auth0|a\u0085b", "\x1b[31mred"):
            c = self.claims()
            c["sub"] = sub
            with self.subTest(sub=sub):
                self.assert_401(self.send(self.H.jwt_hmac(c)))

    def test_token_over_8k_401(self):
        t = self.H.jwt_hmac(self.claims(pad="x" * 9000))
        self.assertGreater(len(t), 8192)
        self.assert_401(self.send(t))

    def test_token_just_under_8k_ok(self):
        base = len(self.H.jwt_hmac(self.claims(pad="")))
        n = (8192 - base) * 3 // 4 - 8
        t = self.H.jwt_hmac(self.claims(pad="x" * n))
        self.assertLessEqual(len(t), 8192)
        self.assertEqual(self.send(t).status, 201)

    def test_token_of_other_user_on_own_session_403(self):
        t = self.H.token(self.new_user())
        self.assert_error(self.send(t), 403)


for_each_front(globals(), _Tokens)


class ConfiguredTokens(NamedServers):
    """prodrec (direct) restarted with other token settings."""

    def send(self, server, token):
        return post_record(server, self.body(), token)

    def rs256_server(self):
        _, pub = self.H.key("rsa")
        return self.server("rs256", {"PRODREC_JWT_ALGS": "RS256",
                                     "PRODREC_JWT_SECRET": None,
                                     "PRODREC_JWT_PUBLIC_KEY_FILE": pub})

    def test_rs256_accepted(self):
        s = self.rs256_server()
        t = self.H.jwt_openssl(self.H.claims(self.user), "rsa", "RS256")
        self.assertEqual(self.send(s, t).status, 201)

    def test_rs256_other_key_401(self):
        s = self.rs256_server()
        t = self.H.jwt_openssl(self.H.claims(self.user), "rsa2", "RS256")
        self.assert_401(self.send(s, t))

    def test_rs256_hs256_signed_with_public_pem_401(self):
        s = self.rs256_server()
        _, pub = self.H.key("rsa")
        with open(pub, "rb") as f:
            pem = f.read()
        for secret in (pem, pem.rstrip(b"\n")):
            t = self.H.jwt_hmac(self.H.claims(self.user), secret=secret)
            self.assert_401(self.send(s, t))
        # Nor an HS256 token under the usual secret (not configured).
        self.assert_401(self.send(s, self.tok))

    def test_rs256_alg_none_401(self):
        s = self.rs256_server()
        hdr = b64u(json_compact({"alg": "none", "typ": "JWT"}))
        t = hdr + "." + b64u(json_compact(self.H.claims(self.user))) + "."
        self.assert_401(self.send(s, t))
        # A header claiming RS256 with an empty signature.
        hdr = b64u(json_compact({"alg": "RS256", "typ": "JWT"}))
        t = hdr + "." + b64u(json_compact(self.H.claims(self.user))) + "."
        self.assert_401(self.send(s, t))

    def test_mixed_hs256_rs256_no_confusion(self):
        _, pub = self.H.key("rsa")
        s = self.server("mixed", {"PRODREC_JWT_ALGS": "HS256,RS256",
                                  "PRODREC_JWT_PUBLIC_KEY_FILE": pub})
        self.assertEqual(self.send(s, self.tok).status, 201)
        t = self.H.jwt_openssl(self.H.claims(self.user), "rsa", "RS256")
        self.assertEqual(self.send(s, t).status, 201)
        with open(pub, "rb") as f:
            pem = f.read()
        t = self.H.jwt_hmac(self.H.claims(self.user), secret=pem)
        self.assert_401(self.send(s, t))

    def test_es256_accepted(self):
        _, pub = self.H.key("ec")
        s = self.server("es256", {"PRODREC_JWT_ALGS": "ES256",
                                  "PRODREC_JWT_SECRET": None,
                                  "PRODREC_JWT_PUBLIC_KEY_FILE": pub})
        t = self.H.jwt_openssl(self.H.claims(self.user), "ec", "ES256")
        self.assertEqual(self.send(s, t).status, 201)
        h, p, sig = t.split(".")
        bad = bytearray(harness.base64.urlsafe_b64decode(sig + "=="))
        bad[5] ^= 1
        self.assert_401(self.send(s, h + "." + p + "." + b64u(bytes(bad))))
        self.assert_401(self.send(s, self.tok))

    def iss_aud_server(self):
        return self.server("issaud", {
            "PRODREC_JWT_ISSUER": "https://tenant.auth0.com/",
            "PRODREC_JWT_AUDIENCE": "https://api.example/prodrec"})

    def test_iss_aud(self):
        s = self.iss_aud_server()
        iss, aud = "https://tenant.auth0.com/", "https://api.example/prodrec"
        ok = [dict(iss=iss, aud=aud),
              dict(iss=iss, aud=[aud, "https://tenant.auth0.com/userinfo"]),
              dict(iss=iss, aud=["https://tenant.auth0.com/userinfo", aud])]
        bad = [dict(iss=None, aud=aud), dict(iss=iss, aud=None),
               dict(iss="https://tenant.auth0.com", aud=aud),
               dict(iss="https://evil.auth0.com/", aud=aud),
               dict(iss=iss, aud="https://api.example/other"),
               dict(iss=iss, aud=["https://api.example/other"]),
               dict(iss=iss, aud=[]),
               dict(iss=[iss], aud=aud)]
        for extra in ok:
            with self.subTest(ok=extra):
                t = self.H.jwt_hmac(self.H.claims(self.user, **extra))
                self.assertEqual(self.send(s, t).status, 201)
        for extra in bad:
            with self.subTest(bad=extra):
                t = self.H.jwt_hmac(self.H.claims(self.user, **extra))
                self.assert_401(self.send(s, t))

    def test_user_claim_configured(self):
        s = self.server("uid", {"PRODREC_JWT_USER_CLAIM": "uid"})
        c = self.H.claims("not-the-owner", uid=self.user)
        r = self.send(s, self.H.jwt_hmac(c))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.H.session_records(self.sid)[0]["auth0_id"],
                         self.user)
        c = self.H.claims(self.user)
        self.assert_401(self.send(s, self.H.jwt_hmac(c)))

    def test_leeway_configured(self):
        s = self.server("leeway0", {"PRODREC_JWT_LEEWAY": "0"})
        t = self.H.jwt_hmac(self.H.claims(self.user, ttl=-20))
        self.assert_401(self.send(s, t))


class RS256ThroughLighttpd(Base):
    """The same settings reach prodrec through lighttpd's environment."""

    web = None

    @classmethod
    def setUpClass(cls):
        _, pub = harness.H.key("rsa")
        cls.web = harness.H.new_web(
            {"PRODREC_JWT_ALGS": "RS256", "PRODREC_JWT_SECRET": None,
             "PRODREC_JWT_PUBLIC_KEY_FILE": pub,
             "PRODREC_JWT_ISSUER": "https://tenant.auth0.com/"},
            subdir="web-rs256")

    @classmethod
    def tearDownClass(cls):
        if cls.web is not None:
            cls.web.stop()

    def setUp(self):
        self.setup_user()

    def test_rs256_via_lighttpd(self):
        iss = "https://tenant.auth0.com/"
        t = self.H.jwt_openssl(self.H.claims(self.user, iss=iss), "rsa",
                               "RS256")
        r = post_record(self.web, self.body(), t)
        self.assertEqual(r.status, 201, r)
        _, pub = self.H.key("rsa")
        with open(pub, "rb") as f:
            pem = f.read()
        t = self.H.jwt_hmac(self.H.claims(self.user, iss=iss), secret=pem)
        self.assert_401(post_record(self.web, self.body(), t))
        t = self.H.jwt_openssl(self.H.claims(self.user), "rsa", "RS256")
        self.assert_401(post_record(self.web, self.body(), t))

