"""The standalone deploy recipes, run for real: deploy/nginx.conf and
deploy/lighttpd-standalone.conf in front of `prodrec --listen` (a pool of
workers), with the recipe's own text (only paths and ports substituted),
so a broken recipe fails here. Each front end gets the same smoke set:
201, replay 200, 401 with WWW-Authenticate, prodrec's own JSON 404, 405 and
413, and the Authorization and Idempotency-Key headers reaching prodrec."""

import os
import shutil

import harness
from itbase import Base, Pool, RecipeFront, recipe, start_server

NGINX_SOCKET = "/run/prodrec/prodrec.sock"     # as written in the recipe


class _Smoke(Base):
    """The same checks through whichever front end setUpClass made."""

    web = None
    pool = None

    @property
    def front(self):
        return type(self).web

    @classmethod
    def tearDownClass(cls):
        for s in (cls.web, cls.pool):
            if s is not None:
                s.stop()

    @classmethod
    def start_pool(cls, workdir):
        sock = os.path.join(workdir, "prodrec.sock")
        cls.pool = Pool(harness.H, workers=2, listen=sock,
                        env={"PRODREC_LISTEN_MODE": "0666"}).start()
        return sock

    def setUp(self):
        self.setup_user()

    def test_create_then_replay(self):
        b = self.body()
        self.assert_success(self.post(b), 201, b, False)
        self.assert_success(self.post(b), 200, b, True)
        self.assertEqual(len(self.H.session_records(self.sid)), 1)

    def test_idempotency_key_header_reaches_prodrec(self):
        b = self.body()
        key = "hdr-" + self.sid
        self.assert_success(self.post(b, headers={"Idempotency-Key": key}),
                            201, b, False)
        self.assertEqual(self.H.session_records(self.sid)[0]
                         ["idempotency_key"], key)

    def test_401_without_and_with_a_bad_token(self):
        self.assert_401(self.post(self.body(), token=None), no_token=True)
        self.assert_401(self.post(self.body(), token=self.tok[:-4] + "AAAA"))

    def test_prodrec_answers_404_405_413_itself(self):
        self.assert_error(self.front.request("GET", "/api/nowhere"), 404)
        r = self.front.request("GET", harness.RECORDS_PATH)
        self.assert_error(r, 405)
        self.assertEqual(r.header("allow"), "POST")
        big = self.body(pad="x" * 20000)
        self.assert_error(self.post(big), 413)


class Nginx(_Smoke):
    """deploy/nginx.conf as a server block of a private nginx."""

    @classmethod
    def setUpClass(cls):
        if shutil.which("nginx") is None and \
                not os.path.exists("/usr/sbin/nginx"):
            raise harness.HarnessError("nginx is not installed")
        h = harness.H
        d = os.path.join(h.root, "nginx")
        os.makedirs(d, exist_ok=True)
        sock = cls.start_pool(d)
        port = harness.free_port()
        site = recipe("nginx.conf")
        for old, new in (("listen 80;", "listen 127.0.0.1:%d;" % port),
                         ("listen [::]:80;", ""),
                         (NGINX_SOCKET, sock)):
            if old not in site:
                raise harness.HarnessError("deploy/nginx.conf no longer "
                                           "says %r" % old)
            site = site.replace(old, new)
        with open(os.path.join(d, "site.conf"), "w") as f:
            f.write(site)
        # "include fastcgi_params" is relative to the main file's directory.
        params = os.path.join(d, "fastcgi_params")
        if not os.path.exists(params):
            os.symlink("/etc/nginx/fastcgi_params", params)
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write("""user root;
daemon off;
worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log;
events { worker_connections 256; }
http {
    access_log %(d)s/access.log;
    client_body_temp_path %(d)s/body;
    fastcgi_temp_path %(d)s/fastcgi;
    proxy_temp_path %(d)s/proxy;
    scgi_temp_path %(d)s/scgi;
    uwsgi_temp_path %(d)s/uwsgi;
    include %(d)s/site.conf;
}
""" % {"d": d})
        conf = os.path.join(d, "nginx.conf")
        log = os.path.join(d, "error.log")
        h.logs.append(log)
        harness.run_cmd(["nginx", "-t", "-q", "-e", log, "-c", conf])
        proc = start_server(["nginx", "-e", log, "-c", conf], port, log, h)
        cls.web = RecipeFront("nginx", port, proc, log)


class LighttpdStandalone(_Smoke):
    """deploy/lighttpd-standalone.conf: lighttpd to a separate prodrec."""

    @classmethod
    def setUpClass(cls):
        h = harness.H
        d = os.path.join(h.root, "lighttpd-standalone")
        os.makedirs(os.path.join(d, "htdocs"), exist_ok=True)
        sock = cls.start_pool(d)
        port = harness.free_port()
        conf = recipe("lighttpd-standalone.conf")
        for old, new in (("@PORT@", str(port)), ("@RUNDIR@", d),
                         ("@SOCKET@", sock)):
            conf = conf.replace(old, new)
        path = os.path.join(d, "lighttpd.conf")
        with open(path, "w") as f:
            f.write(conf)
        harness.run_cmd(["lighttpd", "-tt", "-f", path])
        log = os.path.join(d, "lighttpd-error.log")
        h.logs.append(log)
        proc = start_server(["lighttpd", "-D", "-f", path], port, log, h)
        cls.web = RecipeFront("lighttpd-standalone", port, proc, log)
