"""Where the clone is (issue 11): the sandboxes run from a directory that
Apache's user (www-data) cannot search and whose path holds a space, as a
clone in root's home or in a `mktemp -d` directory is. A copy of the
scripts, recipes, SQL and prodrec binary under PARENT/"a b"/"clone" (both
mode 0700) starts its own MariaDB (scripts/db-sandbox), lighttpd
(scripts/web-sandbox) and Apache with mod_fcgid and with mod_proxy_fcgi
(scripts/apache-sandbox), with the JWT secret in a 0600 file of the clone,
as scripts/demo has it. Each front must store a record and replay it; the
clone's directories keep their modes and stay out of www-data's reach
while Apache's prodrec processes run as www-data from a copy it can reach;
stop removes what start put outside the clone."""

import os
import pwd
import secrets
import shutil
import subprocess
import threading

import harness
from harness import REPO, child_env, free_port, post_record
from itbase import Base

SESSION = "6507f1e3c9d8e2a4b1f9c3d5"


def as_www_data(*argv):
    """Exit status of argv run as www-data."""
    return subprocess.run(["setpriv", "--reuid=www-data", "--regid=www-data",
                           "--init-groups", "--"] + list(argv),
                          stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode


def proc_uid(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return int(line.split()[1])
    return None


def pids_running(exe):
    """Pids of processes whose executable is the file exe."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if os.readlink("/proc/%s/exe" % d) == exe:
                pids.append(int(d))
        except OSError:
            continue
    return pids


class Places(Base):
    """One clone in a private place with a space, every sandbox from it."""

    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise harness.HarnessError("test_places needs root (www-data)")
        h = harness.H
        cls.private = os.path.join(h.root, "places", "a b")
        os.makedirs(cls.private, mode=0o700)
        os.chmod(cls.private, 0o700)
        cls.clone = os.path.join(cls.private, "clone")
        os.mkdir(cls.clone, 0o700)
        for sub in ("scripts", "deploy", "sql"):
            shutil.copytree(os.path.join(REPO, sub),
                            os.path.join(cls.clone, sub), symlinks=True)
        cls.bin = os.path.join(cls.clone, "build dir", "src", "prodrec")
        os.makedirs(os.path.dirname(cls.bin))
        shutil.copy2(h.bin, cls.bin)
        cls.run_dir = os.path.join(cls.clone, "run")
        os.mkdir(cls.run_dir, 0o700)
        cls.secret = "places-" + secrets.token_hex(16)
        secret_file = os.path.join(cls.run_dir, "jwt-secret")
        fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(cls.secret + "\n")
        cls.db_dir = os.path.join(cls.run_dir, "db")
        cls.db_sock = os.path.join(cls.db_dir, "mysqld.sock")
        cls.env = child_env({
            "DB_PASSWORD": "places-" + secrets.token_hex(8),
            "PRODREC_BIN": cls.bin,
            "PRODREC_DB_SOCKET": cls.db_sock,
            "PRODREC_JWT_SECRET_FILE": secret_file,
            "WEB_WORKERS": "1",
            "APACHE_MAX_PROCS": "2",
            "APACHE_PRODREC_WORKERS": "1",
        })
        cls.stops = []
        cls.fronts = {}
        try:
            cls.sandbox("db-sandbox", "start", cls.db_dir)
            cls.stops.append(("db-sandbox", cls.db_dir))
            cls.sql("INSERT INTO production_sessions (session_id, "
                    "owner_auth0_id, status) VALUES ('%s', 'places', 'open')"
                    % SESSION)
            starts = [("web-sandbox", "web", []),
                      ("apache-sandbox", "fcgid", ["fcgid"]),
                      ("apache-sandbox", "proxy", ["proxy"])]
            errors = []

            def start(script, name, extra):
                d = os.path.join(cls.run_dir, name)
                port = free_port()
                cls.stops.append((script, d))
                try:
                    cls.sandbox(script, "start", d, str(port), *extra)
                except Exception as e:  # noqa: BLE001 - raised below
                    errors.append(e)
                    return
                front = harness.HttpFront()
                front.port = port
                front.name = name
                front.dir = d
                cls.fronts[name] = front
            threads = [threading.Thread(target=start, args=a, daemon=True)
                       for a in starts]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for name in ("web/lighttpd-error.log", "fcgid/apache-error.log",
                         "proxy/apache-error.log", "proxy/prodrec.log"):
                h.logs.append(os.path.join(cls.run_dir, name))
            if errors:
                raise errors[0]
        except BaseException:
            cls.stop_all()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.stop_all()

    @classmethod
    def stop_all(cls):
        while cls.stops:
            script, d = cls.stops.pop()
            try:
                cls.sandbox(script, "stop", d)
            except Exception as e:  # noqa: BLE001 - keep stopping the rest
                harness.log("stopping %s: %s" % (d, e))

    @classmethod
    def sandbox(cls, script, *args):
        """Runs the clone's scripts/SCRIPT from the clone, as a user would."""
        argv = [os.path.join(cls.clone, "scripts", script)] + list(args)
        p = subprocess.run(argv, cwd=cls.clone, env=cls.env, timeout=90,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if p.returncode != 0:
            raise harness.HarnessError("%s exited %d:\n%s" % (
                " ".join(argv), p.returncode,
                p.stdout.decode("utf-8", "replace")))
        return p.stdout.decode("utf-8", "replace")

    @classmethod
    def sql(cls, query):
        return harness.run_cmd(["mariadb", "--no-defaults", "-S", cls.db_sock,
                                "-u", "root", "--batch", "--skip-column-names",
                                "prodrec", "-e", query]
                               ).stdout.decode("utf-8").split()

    def token(self):
        return self.H.jwt_hmac(self.H.claims("places"), secret=self.secret)

    def test_each_front_stores_and_replays(self):
        tok = self.token()
        for name in ("web", "fcgid", "proxy"):
            with self.subTest(front=name):
                self.sid = SESSION
                b = self.body(clientEventId="evt_places_" + name)
                front = self.fronts[name]
                rid = self.assert_success(post_record(front, b, tok), 201,
                                          b, False)
                self.assertEqual(self.assert_success(
                    post_record(front, b, tok), 200, b, True), rid)
                self.assertEqual(self.sql(
                    "SELECT record_id FROM production_records WHERE "
                    "client_event_id = '%s'" % b["clientEventId"]), [rid])

    def test_clone_stays_private(self):
        for path in (self.private, self.clone, self.run_dir):
            self.assertEqual(os.stat(path).st_mode & 0o7777, 0o700, path)
        self.assertNotEqual(as_www_data("test", "-x", self.private), 0,
                            "www-data can search %s: nothing shown" %
                            self.private)
        # Apache's prodrec processes run as www-data, from copies of the
        # binary that www-data reaches, outside the clone.
        www = pwd.getpwnam("www-data").pw_uid
        for name in ("fcgid", "proxy"):
            with self.subTest(front=name):
                rt = os.readlink(os.path.join(self.fronts[name].dir,
                                              "runtime"))
                self.assertFalse(rt.startswith(self.clone + "/"), rt)
                exe = os.path.join(rt, "prodrec")
                self.assertEqual(as_www_data("test", "-x", exe), 0, exe)
                # mod_fcgid starts its processes on demand: one request.
                post_record(self.fronts[name], {}, self.token())
                pids = pids_running(exe)
                self.assertTrue(pids, "no prodrec runs from %s" % exe)
                for pid in pids:
                    self.assertEqual(proc_uid(pid), www, pid)
        # The MariaDB socket they connect to: every directory above the
        # real one searchable by www-data.
        real = os.path.realpath(self.db_sock)
        self.assertFalse(real.startswith(self.clone + "/"), real)
        self.assertEqual(as_www_data("test", "-w", real), 0, real)

    def test_stop_removes_what_start_put_outside(self):
        # Runs last of the class (names sort): it stops everything.
        outside = [os.readlink(os.path.join(f.dir, "runtime"))
                   for f in self.fronts.values()]
        outside.append(os.path.dirname(os.path.realpath(self.db_sock)))
        self.stop_all()
        self.assertEqual([p for p in outside if os.path.lexists(p)], [])
        self.assertFalse(os.path.lexists(self.db_sock))
        for f in self.fronts.values():
            self.assertFalse(os.path.lexists(os.path.join(f.dir, "runtime")))
