"""Configuration (CONTRACT 6): --check-config, and a bad configuration stops
the program at start with one line on stderr and a non-zero exit."""

import os

import harness
from itbase import Base, OwnDirect, StartChecks


class CheckConfig(StartChecks, Base):
    def assert_ok(self, p):
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.decode(), "configuration OK\n")

    def test_ok(self):
        self.assert_ok(self.run_prodrec({}))

    def test_ok_with_all_settings(self):
        _, pub = self.H.key("rsa")
        self.assert_ok(self.run_prodrec({
            "PRODREC_JWT_ALGS": "HS256,RS256",
            "PRODREC_JWT_PUBLIC_KEY_FILE": pub,
            "PRODREC_JWT_ISSUER": "https://tenant.auth0.com/",
            "PRODREC_JWT_AUDIENCE": "api", "PRODREC_JWT_LEEWAY": "0",
            "PRODREC_MAX_BODY": "1024", "PRODREC_MAX_UNITS": "10",
            "PRODREC_MAX_CLOCK_SKEW": "0"}))

    def test_bad_numbers(self):
        for var in ("PRODREC_MAX_BODY", "PRODREC_MAX_UNITS",
                    "PRODREC_MAX_CLOCK_SKEW", "PRODREC_JWT_LEEWAY",
                    "PRODREC_WORKERS", "PRODREC_DB_PORT"):
            for value in ("abc", "12x", "-1", "99999999999999999999999"):
                with self.subTest(var=var, value=value):
                    p = self.run_prodrec({var: value})
                    self.assert_one_line_error(p, var)

    def test_rs256_without_key(self):
        p = self.run_prodrec({"PRODREC_JWT_ALGS": "RS256"})
        self.assert_one_line_error(p)

    def test_unreadable_or_bad_key_file(self):
        p = self.run_prodrec({"PRODREC_JWT_ALGS": "RS256",
                              "PRODREC_JWT_PUBLIC_KEY_FILE":
                              os.path.join(self.H.root, "nope.pem")})
        self.assert_one_line_error(p)
        junk = os.path.join(self.H.root, "junk.pem")
        with open(junk, "w") as f:
            f.write("-----BEGIN PUBLIC KEY-----\nnot a key\n"
                    "-----END PUBLIC KEY-----\n")
        p = self.run_prodrec({"PRODREC_JWT_ALGS": "ES256",
                              "PRODREC_JWT_PUBLIC_KEY_FILE": junk})
        self.assert_one_line_error(p)

    def test_hs256_without_secret(self):
        p = self.run_prodrec({"PRODREC_JWT_SECRET": None})
        self.assert_one_line_error(p)

    def test_unknown_algorithm(self):
        for algs in ("none", "HS256,none", "FOO"):
            with self.subTest(algs=algs):
                self.assert_one_line_error(
                    self.run_prodrec({"PRODREC_JWT_ALGS": algs}))

    def test_hmac_secret_shorter_than_its_hash(self):
        """RFC 7518 3.2: a secret at least as long as the hash output."""
        for algs, size in (("HS256", 32), ("HS384", 48), ("HS512", 64),
                           ("HS256,HS512", 64)):
            with self.subTest(algs=algs):
                env = {"PRODREC_JWT_ALGS": algs}
                self.assert_one_line_error(self.run_prodrec(dict(
                    env, PRODREC_JWT_SECRET="s" * (size - 1))),
                    "at least %d bytes" % size)
                self.assert_ok(self.run_prodrec(dict(
                    env, PRODREC_JWT_SECRET="s" * size)))

    def test_rsa_key_under_2048_bits(self):
        d = os.path.join(self.H.root, "keys")
        os.makedirs(d, exist_ok=True)
        priv, pub = (os.path.join(d, "rsa1024" + e) for e in (".key", ".pub"))
        harness.run_cmd(["openssl", "genpkey", "-algorithm", "RSA",
                         "-pkeyopt", "rsa_keygen_bits:1024", "-out", priv])
        harness.run_cmd(["openssl", "pkey", "-in", priv, "-pubout",
                         "-out", pub])
        self.assert_one_line_error(self.run_prodrec({
            "PRODREC_JWT_ALGS": "RS256", "PRODREC_JWT_PUBLIC_KEY_FILE": pub}),
            "1024-bit")

    def test_config_file(self):
        self.assert_ok(self.run_prodrec(
            {"PRODREC_JWT_SECRET": None},
            config_file="# comment\n\njwt_secret = %s\nmax_units=10\n"
            % ("s3cret" * 6)))
        p = self.run_prodrec({}, config_file="no_such_key = 1\n")
        self.assert_one_line_error(p)
        p = self.run_prodrec({}, config_file="max_body = lots\n")
        self.assert_one_line_error(p)

    def test_environment_wins_over_file(self):
        p = self.run_prodrec({"PRODREC_MAX_BODY": "abc"},
                             config_file="max_body = 100\n")
        self.assert_one_line_error(p, "PRODREC_MAX_BODY")
        self.assert_ok(self.run_prodrec({"PRODREC_MAX_BODY": "100"},
                                        config_file="max_body = abc\n"))

    def test_bad_config_stops_before_serving(self):
        p = self.run_on_socket({"PRODREC_MAX_BODY": "abc"}, "badcfg.sock")
        self.assert_one_line_error(p, "PRODREC_MAX_BODY")

    def test_secret_not_logged(self):
        p = self.run_prodrec({"PRODREC_MAX_BODY": "abc"})
        self.assertNotIn(self.H.secret.encode(), p.stderr + p.stdout)


class ConfiguredLimits(OwnDirect):
    """PRODREC_MAX_BODY / MAX_UNITS / MAX_CLOCK_SKEW change the limits."""

    direct_env = {"PRODREC_MAX_BODY": "1024", "PRODREC_MAX_UNITS": "10",
                  "PRODREC_MAX_CLOCK_SKEW": "0"}
    direct_label = "direct-limits"

    def test_limits(self):
        from harness import post_record
        from itbase import utc_now_iso
        s = self.server
        b = self.body(units=10)
        self.assert_success(post_record(s, b, self.tok), 201, b, False)
        self.assert_error(post_record(s, self.body(units=11), self.tok),
                          400, "units")
        big = self.body(pad="x" * 1100)
        self.assert_error(post_record(s, big, self.tok), 413)
        self.assert_error(post_record(
            s, self.body(recordedAtUtc=utc_now_iso(30)), self.tok), 400,
            "recordedAtUtc")
