"""scripts/fetch-jwks (CONTRACT 10): a key set fetched from a URL, checked by
prodrec, and renamed over the file prodrec reads; a failed or bad fetch
leaves the file as it was. Sets are served as file: URLs (the tests reach
no network); https: is what an operator gives."""

import os
import subprocess
import tempfile
import unittest

import harness
from harness import REPO, run_cmd
from itbase import Base

FETCH = os.path.join(REPO, "scripts", "fetch-jwks")


def rsa_jwk(pub_pem, kid):
    """The JWK of an RSA public key PEM file, with kid."""
    out = run_cmd(["openssl", "rsa", "-pubin", "-in", pub_pem, "-noout",
                   "-modulus"]).stdout.decode()
    n = bytes.fromhex(out.strip().split("=", 1)[1])
    return ('{"kty":"RSA","kid":"%s","use":"sig","alg":"RS256",'
            '"n":"%s","e":"AQAB"}' % (kid, harness.b64u(n)))


class FetchJwks(Base):
    def setUp(self):
        self.dir = tempfile.mkdtemp(dir=self.H.root)
        self.dest = os.path.join(self.dir, "jwks.json")
        _, pub = self.H.key("rsa")
        self.good = '{"keys":[%s]}' % rsa_jwk(pub, "k1")

    def served(self, text, name="served.json"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return "file://" + path

    def fetch(self, url, *extra):
        return subprocess.run(
            [FETCH, "--prodrec", self.H.bin] + list(extra) +
            [url, self.dest], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, timeout=30)

    def leftovers(self):
        return [n for n in os.listdir(self.dir) if n.startswith(".jwks")]

    def test_good_set_written_whole_and_readable(self):
        p = self.fetch(self.served(self.good))
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(self.dest) as f:
            self.assertEqual(f.read(), self.good)
        self.assertEqual(os.stat(self.dest).st_mode & 0o777, 0o644)
        self.assertEqual(self.leftovers(), [])

    def test_unchanged_set_not_written_again(self):
        url = self.served(self.good)
        self.assertEqual(self.fetch(url).returncode, 0)
        before = os.stat(self.dest)
        p = self.fetch(url)
        self.assertEqual(p.returncode, 0, p.stderr)
        after = os.stat(self.dest)
        self.assertEqual((before.st_ino, before.st_mtime_ns),
                         (after.st_ino, after.st_mtime_ns))

    def test_new_set_replaces_by_rename(self):
        self.assertEqual(self.fetch(self.served(self.good)).returncode, 0)
        ino = os.stat(self.dest).st_ino
        _, pub2 = self.H.key("rsa2")
        newer = '{"keys":[%s,%s]}' % (rsa_jwk(self.H.key("rsa")[1], "k1"),
                                      rsa_jwk(pub2, "k2"))
        p = self.fetch(self.served(newer, "newer.json"))
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(self.dest) as f:
            self.assertEqual(f.read(), newer)
        self.assertNotEqual(os.stat(self.dest).st_ino, ino,
                            "not renamed over: written in place")

    def assert_unchanged_after(self, url, phrase, *extra):
        self.assertEqual(self.fetch(self.served(self.good)).returncode, 0)
        p = self.fetch(url, *extra)
        self.assertEqual(p.returncode, 1, p)
        self.assertIn(phrase, p.stderr.decode())
        with open(self.dest) as f:
            self.assertEqual(f.read(), self.good)
        self.assertEqual(self.leftovers(), [])

    def test_broken_set_leaves_file(self):
        self.assert_unchanged_after(self.served('{"keys":[', "bad.json"),
                                    "does not check")

    def test_set_without_a_key_for_the_algorithm_leaves_file(self):
        self.assert_unchanged_after(self.served(self.good, "rs.json"),
                                    "ES256", "--algs", "ES256")

    def test_failed_download_leaves_file(self):
        self.assert_unchanged_after("file://" + self.dir + "/missing.json",
                                    "could not fetch")

    def test_plain_http_refused(self):
        # Refused before any connection: curl names the protocol.
        self.assert_unchanged_after("http://127.0.0.1:9/jwks.json",
                                    'Protocol "http" not supported')


if __name__ == "__main__":
    unittest.main()
