"""harness.py: the running system under test, for the integration tests.

One Harness per run (harness.H, set up by run.py) owns a temporary directory
holding a throwaway MariaDB (scripts/db-sandbox), prodrec processes driven
directly over FastCGI (a listening unix socket passed on fd 0, as a web
server's bin-path spawn does), lighttpd hosting prodrec (scripts/web-sandbox
with deploy/lighttpd.conf) and two Apache httpd (scripts/apache-sandbox):
one spawning prodrec through mod_fcgid (deploy/apache-fcgid.conf), one
in front of a standalone prodrec pool through mod_proxy_fcgi
(deploy/apache-proxy-fcgi.conf). Apache's children and their prodrec
processes run as www-data, who cannot search the directory (mode 0700, as
mkdtemp makes it): the sandboxes put what www-data needs where it can reach
it (see scripts/apache-sandbox and scripts/db-sandbox), and so every test
runs them from a directory www-data cannot enter. It mints tokens (HS* with
hmac, RS256/ES256 with the openssl CLI), opens and closes sessions and reads
rows through the mariadb CLI as root, and restarts MariaDB or prodrec on
demand. A test that stops, kills or restarts MariaDB does so to a private
system of its own (Harness.private_system: a second MariaDB and fronts on
it, itbase.PrivateDatabase), never to the shared one, so no test depends on
the order the suite runs in. Everything it starts it stops again in
shutdown(), which run.py calls in a finally block.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import fcgi

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
RECORDS_PATH = "/api/control/production/records"
HTTP_TIMEOUT = 15.0
CMD_TIMEOUT = 90

H = None    # the Harness of this run, set by init()



def read_text(path):
    """The file's text ("" when it cannot be read), for log scans."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def overlay(base, over, drop):
    """base updated with over, where a value that is drop removes the key."""
    for k, v in over.items():
        if v is drop:
            base.pop(k, None)
        else:
            base[k] = v
    return base

class HarnessError(Exception):
    pass


def log(msg):
    sys.stderr.write("[harness] %s\n" % msg)
    sys.stderr.flush()


def b64u(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def json_compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def run_cmd(argv, env=None, timeout=CMD_TIMEOUT, check=True, input=None):
    p = subprocess.run(argv, env=env, timeout=timeout, input=input,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check and p.returncode != 0:
        raise HarnessError("%s exited %d:\n%s%s" % (
            " ".join(map(str, argv)), p.returncode,
            p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace")))
    return p


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def der_ecdsa_to_raw(der, size=32):
    """ECDSA-Sig-Value (DER SEQUENCE of two INTEGERs) -> r || s, fixed size."""
    if der[0] != 0x30:
        raise HarnessError("not a DER sequence")
    i = 2
    if der[1] & 0x80:
        i = 2 + (der[1] & 0x7F)
    out = b""
    for _ in range(2):
        if der[i] != 0x02:
            raise HarnessError("not a DER integer")
        n = der[i + 1]
        v = der[i + 2:i + 2 + n].lstrip(b"\0")
        out += v.rjust(size, b"\0")
        i += 2 + n
    return out


class Response:
    """An HTTP answer shaped like fcgi.Response."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<Response %s %r %r>" % (self.status, self.headers,
                                        self.body[:300])


def child_env(extra):
    """The environment for prodrec / the sandboxes: ours minus PRODREC_*."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PRODREC_") and k not in (
               "WEB_MAX_PROCS", "WEB_WORKERS", "APACHE_MAX_PROCS",
               "APACHE_PRODREC_WORKERS")}
    env.setdefault("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    env["TZ"] = env.get("TZ", "UTC")
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = str(v)
    return env


class DirectServer:
    """prodrec processes sharing one listening unix socket passed on fd 0."""

    name = "direct"
    counter = 0

    def __init__(self, harness, env=None, procs=1, label=None):
        DirectServer.counter += 1
        n = DirectServer.counter
        self.h = harness
        self.label = label or "direct%d" % n
        self.address = os.path.join(harness.root, "d%d.sock" % n)
        self.logpath = os.path.join(harness.root, "%s.log" % self.label)
        self.env = child_env(dict(harness.prodrec_env(), **(env or {})))
        self.nprocs = procs
        self.procs = []
        harness.logs.append(self.logpath)

    def start(self):
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(self.address)
        lsock.listen(128)
        logf = open(self.logpath, "ab")
        try:
            for _ in range(self.nprocs):
                p = subprocess.Popen([self.h.bin], stdin=lsock.fileno(),
                                     stdout=logf, stderr=logf, env=self.env,
                                     start_new_session=True, close_fds=True)
                self.procs.append(p)
                self.h.children.append(p)
        finally:
            logf.close()
            lsock.close()
        return self

    def alive(self):
        return bool(self.procs) and all(p.poll() is None for p in self.procs)

    def exit_codes(self):
        return [p.poll() for p in self.procs]

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    p.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.time() + 5
        for p in self.procs:
            try:
                p.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                pass
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    pass
            else:
                # Children of the process (a pre-forked pool) go with it.
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        try:
            os.unlink(self.address)
        except OSError:
            pass

    def read_log(self):
        return read_text(self.logpath)

    def request(self, method, path, body=b"", headers=None, *, uri=True,
                script_name=None, path_info=None, content_length="auto",
                end_stdin=True, hang_up=False, timeout=HTTP_TIMEOUT):
        params = fcgi.cgi_params(method, path, headers or {}, uri=uri,
                                 script_name=script_name, path_info=path_info)
        if content_length != "auto":
            params.pop("CONTENT_LENGTH", None)
        return fcgi.request(self.address, params, body,
                            content_length=content_length,
                            end_stdin=end_stdin, hang_up=hang_up,
                            timeout=timeout)


class HttpFront:
    """A web server in front of prodrec on 127.0.0.1:port, spoken to in
    HTTP (the transport-level keywords of DirectServer.request are
    ignored)."""

    port = None

    def request(self, method, path, body=b"", headers=None,
                timeout=HTTP_TIMEOUT, **_ignored):
        conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout)
        try:
            hdrs = dict(headers or {})
            if isinstance(body, str):
                body = body.encode("utf-8")
            if method in ("POST", "PUT", "PATCH") or body:
                hdrs.setdefault("Content-Length", str(len(body)))
            conn.request(method, path, body=body if body else None,
                         headers=hdrs)
            r = conn.getresponse()
            data = r.read()
            headers_out = {}
            for k, v in r.getheaders():
                k = k.lower()
                headers_out[k] = headers_out[k] + ", " + v \
                    if k in headers_out else v
            return Response(r.status, headers_out, data)
        finally:
            conn.close()

    def sandbox_env(self, env):
        """Before a start: take env (when given) as this front's own
        settings, pick a port, and return the sandbox's environment."""
        if env is not None:
            self.extra_env = env
        self.port = free_port()
        return self.h.sandbox_env(self.extra_env)


class WebFront(HttpFront):
    """lighttpd hosting prodrec, through scripts/web-sandbox."""

    name = "lighttpd"

    def __init__(self, harness, env=None, max_procs=1, subdir="web",
                 workers=4):
        self.h = harness
        self.label = subdir
        self.workers = workers
        self.dir = os.path.join(harness.root, subdir)
        self.port = None
        self.extra_env = env or {}
        self.max_procs = max_procs
        self.logpath = os.path.join(self.dir, "lighttpd-error.log")
        harness.logs.append(self.logpath)
        self.running = False

    def start(self, env=None):
        e = self.sandbox_env(env)
        e["WEB_MAX_PROCS"] = str(self.max_procs)   # prodrec masters
        e["WEB_WORKERS"] = str(self.workers)        # workers of each
        run_cmd([os.path.join(REPO, "scripts", "web-sandbox"), "start",
                 self.dir, str(self.port)], env=child_env(e), timeout=60)
        self.running = True
        return self

    def stop(self):
        if self.running:
            run_cmd([os.path.join(REPO, "scripts", "web-sandbox"), "stop",
                     self.dir], env=child_env({}), timeout=60, check=False)
            self.running = False

    def lighttpd_pid(self):
        try:
            with open(os.path.join(self.dir, "lighttpd.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def prodrec_pids(self):
        """Pids of processes whose parent is lighttpd and run prodrec."""
        lp = self.lighttpd_pid()
        pids = set()
        if lp is None:
            return pids
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read()
                ppid = int(st.rsplit(")", 1)[1].split()[1])
                if ppid == lp and "prodrec" in st.split("(", 1)[1].split(")")[0]:
                    pids.add(int(d))
            except (OSError, IndexError, ValueError):
                continue
        return pids

    def alive(self):
        lp = self.lighttpd_pid()
        return lp is not None and os.path.exists("/proc/%d" % lp) and \
            len(self.prodrec_pids()) >= 1

    def read_log(self):
        return read_text(self.logpath)

class ApacheFront(HttpFront):
    """Apache httpd hosting prodrec through scripts/apache-sandbox, from
    the deploy recipes: mode "fcgid" (deploy/apache-fcgid.conf: mod_fcgid
    spawns up to max_procs prodrec processes, PRODREC_WORKERS=0) or "proxy"
    (deploy/apache-proxy-fcgi.conf: mod_proxy_fcgi in front of a standalone
    `prodrec --listen SOCKET --foreground` with a pool of `workers`, which
    the sandbox starts as www-data). prodrec's settings reach it through
    the PRODREC_CONFIG file the sandbox writes (DIR/prodrec.conf)."""

    SANDBOX = os.path.join(REPO, "scripts", "apache-sandbox")

    def __init__(self, harness, mode, env=None, subdir=None, max_procs=8,
                 workers=4):
        self.h = harness
        self.name = mode
        self.label = subdir or mode
        self.dir = os.path.join(harness.root, self.label)
        self.extra_env = env or {}
        self.max_procs = max_procs
        self.workers = workers
        self.errlog = os.path.join(self.dir, "apache-error.log")
        # Where prodrec's stderr goes: with mod_fcgid, Apache's error log.
        self.logpath = self.errlog if mode == "fcgid" else \
            os.path.join(self.dir, "prodrec.log")
        harness.logs.extend(sorted({self.errlog, self.logpath}))
        self.running = False

    def start(self, env=None):
        e = self.sandbox_env(env)
        e["APACHE_MAX_PROCS"] = str(self.max_procs)
        e["APACHE_PRODREC_WORKERS"] = str(self.workers)
        # Set first: stop() cleans up after a start that failed half-way.
        self.running = True
        run_cmd([self.SANDBOX, "start", self.dir, str(self.port), self.name],
                env=child_env(e), timeout=60)
        return self

    def stop(self):
        if self.running:
            run_cmd([self.SANDBOX, "stop", self.dir], env=child_env({}),
                    timeout=60, check=False)
            self.running = False

    def _pid(self, name):
        try:
            with open(os.path.join(self.dir, name)) as f:
                pid = int(f.read().strip())
            with open("/proc/%d/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            return pid if state not in ("Z", "X") else None
        except (OSError, ValueError, IndexError):
            return None

    def alive(self):
        """Apache runs (and, for "proxy", the standalone prodrec)."""
        if self._pid("httpd.pid") is None:
            return False
        return self.name != "proxy" or self._pid("prodrec.pid") is not None

    def read_log(self):
        return read_text(self.logpath)


class Harness:
    """The system under test: a MariaDB and prodrec's front ends on it.
    With parent, a private system of that Harness (see private_system):
    it shares the parent's build, JWT secret, keys and log list (scanned
    at the end of the run), has its own MariaDB and fronts under
    PARENT_ROOT/name, and the parent's shutdown stops it if its user has
    not."""

    def __init__(self, build_dir, parent=None, name=None):
        self.build = os.path.abspath(build_dir)
        self.bin = os.path.join(self.build, "src", "prodrec")
        if parent is None:
            # Mode 0700, left so: the sandboxes must not need www-data to
            # enter it (test_places checks a clone's own directories too).
            self.root = tempfile.mkdtemp(prefix="prodrec-it-", dir="/tmp")
            self.secret = "it-" + secrets.token_hex(24)
            self.logs = []
            self.keys = {}
            self.keys_dir = os.path.join(self.root, "keys")
            self._lock = threading.Lock()
        else:
            self.root = os.path.join(parent.root, name)
            os.mkdir(self.root, 0o700)
            self.secret = parent.secret
            self.logs = parent.logs
            self.keys = parent.keys
            self.keys_dir = parent.keys_dir
            self._lock = parent._lock
        self.parent = parent
        self.db_dir = os.path.join(self.root, "db")
        # A link to the socket, which db-sandbox keeps where www-data
        # reaches it.
        self.db_sock = os.path.join(self.db_dir, "mysqld.sock")
        self.db_password = "it-" + secrets.token_hex(8)
        self.children = []
        self.servers = []
        self.private = []       # the private systems made from this one
        self.direct = None
        self.web = None
        self.fcgid = None       # Apache + mod_fcgid (ApacheFront)
        self.proxy = None       # Apache + mod_proxy_fcgi + standalone prodrec
        self.db_running = False
        self.stopped = False
        self.sanitizer_hits = []

    def private_system(self, name, fronts=("direct", "web")):
        """A started system of its own, a MariaDB and the fronts named on
        it, as start() makes them (direct: 4 processes; web: lighttpd with
        one pool of 4), for tests that stop, kill or restart the database:
        the suite's shared MariaDB stays up whatever they do. name: its
        directory under this one's root. Stop it with stop(); this one's
        shutdown does otherwise."""
        h = Harness(self.build, parent=self, name=name)
        self.private.append(h)
        try:
            h.start(fronts)
        except BaseException:
            h.stop()
            raise
        return h

    # ---- start and stop -------------------------------------------------

    def check_tools(self):
        """Names of missing programs the suite needs (skip or fail)."""
        missing = []
        for tool in ("mariadbd", "mariadb", "mariadb-install-db",
                     "mariadb-admin", "lighttpd", "apache2", "openssl",
                     "curl"):
            if shutil.which(tool) is None and \
                    not os.path.exists("/usr/sbin/" + tool):
                missing.append(tool)
        return missing

    def db_env(self):
        return child_env({"DB_PASSWORD": self.db_password})

    def db_start(self):
        run_cmd([os.path.join(REPO, "scripts", "db-sandbox"), "start",
                 self.db_dir], env=self.db_env(), timeout=120)
        self.db_running = True

    def db_start_async(self):
        """Start MariaDB in the background; returns the Popen of
        db-sandbox (wait for it before relying on the schema load)."""
        p = subprocess.Popen([os.path.join(REPO, "scripts", "db-sandbox"),
                              "start", self.db_dir], env=self.db_env(),
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        self.children.append(p)
        self.db_running = True
        return p

    def db_answers(self):
        """Does MariaDB accept connections on its socket?"""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(1)
        try:
            s.connect(self.db_sock)
            return bool(s.recv(1))      # the server's greeting
        except OSError:
            return False
        finally:
            s.close()

    def db_stop(self):
        run_cmd([os.path.join(REPO, "scripts", "db-sandbox"), "stop",
                 self.db_dir], env=self.db_env(), timeout=90, check=False)
        self.db_running = False

    def prodrec_env(self):
        return {
            "PRODREC_DB_SOCKET": self.db_sock,
            "PRODREC_DB_USER": "prodrec",
            "PRODREC_DB_PASSWORD": self.db_password,
            "PRODREC_DB_NAME": "prodrec",
            "PRODREC_JWT_SECRET": self.secret,
            "PRODREC_WORKERS": "0",
        }

    def sandbox_env(self, extra):
        """The environment of a web server sandbox (scripts/web-sandbox,
        scripts/apache-sandbox): the suite's settings without
        PRODREC_WORKERS (the sandbox sets the pool), extra over them, and
        the prodrec to run."""
        e = dict(self.prodrec_env())
        e.pop("PRODREC_WORKERS", None)
        e.update(extra)
        e["PRODREC_BIN"] = self.bin
        return e

    FRONTS = ("direct", "web", "fcgid", "proxy")

    def start(self, fronts=FRONTS):
        """MariaDB, then the fronts named (by default all four)."""
        if not os.access(self.bin, os.X_OK):
            raise HarnessError("no prodrec binary at %s" % self.bin)
        os.makedirs(self.db_dir, exist_ok=True)
        t0 = time.time()
        self.db_start()
        log("MariaDB up in %.1fs (%s)" % (time.time() - t0, self.db_sock))
        t0 = time.time()
        if "direct" in fronts:
            self.direct = self.new_direct(procs=4, label=self.label(
                "direct-main"), wait=False)
        # lighttpd: one prodrec master (max-procs 1) with a pool of 4.
        if "web" in fronts:
            self.web = WebFront(self, max_procs=1, workers=4)
        if "fcgid" in fronts:
            self.fcgid = ApacheFront(self, "fcgid", max_procs=8)
        if "proxy" in fronts:
            self.proxy = ApacheFront(self, "proxy", workers=4)
        # The web servers start at once: each sandbox returns when its
        # front answers.
        self.start_all([f for f in (self.web, self.fcgid, self.proxy)
                        if f is not None])
        if self.direct is not None:
            self.wait_ready(self.direct)
        log("%s%s ready in %.1fs" % (
            "" if self.parent is None else os.path.basename(self.root) + ": ",
            ", ".join("%s (%s)" % (
                f.name, "4 processes" if f is self.direct else
                "port %d" % f.port) for f in (
                    self.direct, self.web, self.fcgid, self.proxy)
                if f is not None), time.time() - t0))

    def label(self, base):
        """base, told apart from the main system's by the private
        system's name."""
        if self.parent is None:
            return base
        return "%s-%s" % (base, os.path.basename(self.root))

    @staticmethod
    def start_all(fronts):
        """Start fronts in parallel threads; raises the first failure once
        all are done (those started are stopped in shutdown)."""
        errors = []

        def one(f):
            try:
                f.start()
            except BaseException as e:  # noqa: BLE001 - raised below
                errors.append(e)
        ts = [threading.Thread(target=one, args=(f,), daemon=True)
              for f in fronts]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        if errors:
            raise errors[0]

    def new_direct(self, env=None, procs=1, label=None, wait=True):
        s = DirectServer(self, env=env, procs=procs, label=label).start()
        self.servers.append(s)
        if wait:
            self.wait_ready(s)
        return s

    def new_web(self, env, subdir, max_procs=1):
        w = WebFront(self, env=env, max_procs=max_procs, subdir=subdir)
        self.servers.append(w)
        return w.start()

    def wait_ready(self, server, timeout=10):
        """A GET on an unknown path answers once the process serves."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                server.request("GET", "/api/__ready__", timeout=2)
                return
            except Exception as e:  # noqa: BLE001 - retry until deadline
                last = e
                if hasattr(server, "alive") and isinstance(
                        server, DirectServer) and not server.alive():
                    raise HarnessError("prodrec exited: %s\n%s" % (
                        server.exit_codes(), server.read_log()[-2000:]))
                time.sleep(0.1)
        raise HarnessError("prodrec not ready: %s" % last)

    def stop(self):
        """Stop everything this system (and each private one) started;
        its directory and logs stay."""
        if self.stopped:
            return
        self.stopped = True
        for h in self.private:
            try:
                h.stop()
            except Exception as e:  # noqa: BLE001
                log("stopping %s: %s" % (h.root, e))
        for s in self.servers:
            try:
                s.stop()
            except Exception as e:  # noqa: BLE001
                log("stopping %s: %s" % (s.label, e))
        for p in self.children:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        fronts = [f for f in (self.web, self.fcgid, self.proxy)
                  if f is not None]
        ts = [threading.Thread(target=self._stop_front, args=(f,),
                               daemon=True) for f in fronts]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        try:
            self.db_stop()
        except Exception as e:  # noqa: BLE001
            log("stopping MariaDB: %s" % e)
            self._kill_mariadb()
        self._kill_mariadb()

    def shutdown(self, keep=False):
        self.stop()
        self.scan_logs()
        if keep:
            log("kept %s" % self.root)
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    @staticmethod
    def _stop_front(front):
        try:
            front.stop()
        except Exception as e:  # noqa: BLE001
            log("stopping %s: %s" % (front.label, e))

    def _kill_mariadb(self):
        pidfile = os.path.join(self.db_dir, "mysqld.pid")
        try:
            with open(pidfile) as f:
                pid = int(f.read().strip())
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmd = f.read()
            if self.db_dir.encode() in cmd:
                os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError):
            pass

    def scan_logs(self):
        """Sanitizer reports in any prodrec log; kept in sanitizer_hits."""
        hits = []
        for path in self.logs:
            try:
                with open(path, "rb") as f:
                    text = f.read().decode("utf-8", "replace")
            except OSError:
                continue
            for line in text.splitlines():
                if "AddressSanitizer" in line or "runtime error:" in line \
                        or "LeakSanitizer" in line:
                    hits.append("%s: %s" % (os.path.basename(path), line))
        self.sanitizer_hits = hits
        return hits

    # ---- SQL --------------------------------------------------------------

    def sql(self, query, timeout=30):
        """Rows of a query run as root: lists of str, None for NULL."""
        p = run_cmd(["mariadb", "--no-defaults", "-S", self.db_sock,
                     "-u", "root", "--batch", "--raw", "--skip-column-names",
                     "--default-character-set=utf8mb4", "prodrec",
                     "-e", "SET time_zone='+00:00'; " + query],
                    timeout=timeout)
        rows = []
        for line in p.stdout.decode("utf-8").split("\n"):
            if line == "":
                continue
            rows.append([None if c == "NULL" else c
                         for c in line.split("\t")])
        return rows

    @staticmethod
    def q(value):
        """A SQL string literal."""
        if value is None:
            return "NULL"
        return "'" + str(value).replace("\\", "\\\\").replace("'", "''") + "'"

    def open_session(self, owner, session_id=None, status="open"):
        sid = session_id or secrets.token_hex(12)
        self.sql("INSERT INTO production_sessions "
                 "(session_id, owner_auth0_id, status, label) "
                 "VALUES (%s, %s, %s, 'it')" % (self.q(sid), self.q(owner),
                                                 self.q(status)))
        if status == "closed":
            self.sql("UPDATE production_sessions SET "
                     "closed_at_utc=UTC_TIMESTAMP(3) WHERE session_id=%s"
                     % self.q(sid))
        return sid

    def close_session(self, sid):
        self.sql("UPDATE production_sessions SET status='closed', "
                 "closed_at_utc=UTC_TIMESTAMP(3) WHERE session_id=%s"
                 % self.q(sid))

    RECORD_COLUMNS = ("record_id", "session_id", "worker_id", "worker_name",
                      "units", "recorded_at", "client_event_id",
                      "idempotency_key", "auth0_id", "created_at")

    def records(self, where):
        rows = self.sql(
            "SELECT record_id, session_id, worker_id, HEX(worker_name), "
            "units, DATE_FORMAT(recorded_at_utc, '%Y-%m-%dT%H:%i:%s.%f'), "
            "client_event_id, idempotency_key, auth0_id, "
            "DATE_FORMAT(created_at_utc, '%Y-%m-%dT%H:%i:%s.%f') "
            "FROM production_records WHERE " + where + " ORDER BY id")
        out = []
        for r in rows:
            d = dict(zip(self.RECORD_COLUMNS, r))
            d["worker_name"] = bytes.fromhex(d["worker_name"]).decode("utf-8")
            out.append(d)
        return out

    def session_records(self, sid):
        return self.records("session_id=%s" % self.q(sid))

    def count(self, where):
        return int(self.sql("SELECT COUNT(*) FROM production_records WHERE "
                            + where)[0][0])

    # ---- tokens -----------------------------------------------------------

    def jwt_hmac(self, claims, secret=None, alg="HS256", header=None):
        secret = self.secret if secret is None else secret
        if isinstance(secret, str):
            secret = secret.encode("utf-8")
        hdr = header if header is not None else {"alg": alg, "typ": "JWT"}
        signing = b64u(json_compact(hdr)) + "." + b64u(
            claims if isinstance(claims, (bytes, str)) else
            json_compact(claims))
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
                  "HS512": hashlib.sha512}[alg]
        sig = hmac.new(secret, signing.encode("ascii"), digest).digest()
        return signing + "." + b64u(sig)

    def key(self, kind):
        """(private PEM path, public PEM path) for 'rsa', 'rsa2', 'ec'."""
        with self._lock:
            if kind in self.keys:
                return self.keys[kind]
            d = self.keys_dir
            os.makedirs(d, exist_ok=True)
            priv = os.path.join(d, kind + ".key")
            pub = os.path.join(d, kind + ".pub")
            if kind.startswith("rsa"):
                gen = ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
            else:
                gen = ["-algorithm", "EC", "-pkeyopt",
                       "ec_paramgen_curve:P-256"]
            run_cmd(["openssl", "genpkey"] + gen + ["-out", priv])
            run_cmd(["openssl", "pkey", "-in", priv, "-pubout", "-out", pub])
            self.keys[kind] = (priv, pub)
            return self.keys[kind]

    def jwt_openssl(self, claims, kind, alg, header=None):
        priv, _ = self.key(kind)
        hdr = header if header is not None else {"alg": alg, "typ": "JWT"}
        signing = b64u(json_compact(hdr)) + "." + b64u(json_compact(claims))
        p = run_cmd(["openssl", "dgst", "-sha256", "-sign", priv],
                    input=signing.encode("ascii"))
        sig = p.stdout
        if alg.startswith("ES"):
            sig = der_ecdsa_to_raw(sig, 32)
        return signing + "." + b64u(sig)

    @staticmethod
    def claims(sub, ttl=600, **extra):
        now = int(time.time())
        return overlay({"sub": sub, "iat": now, "exp": now + ttl}, extra,
                       drop=None)

    def token(self, sub, ttl=600, **extra):
        return self.jwt_hmac(self.claims(sub, ttl, **extra))


def init(build_dir):
    global H
    H = Harness(build_dir)
    return H


def post_record(front, body, token=None, headers=None, path=RECORDS_PATH,
                content_type="application/json", **kw):
    """POST a record body (dict, str or bytes) with a bearer token."""
    if isinstance(body, (dict, list)):
        try:
            body = json_compact(body).encode("utf-8")
        except UnicodeEncodeError:
            # Lone surrogates: only as \u escapes.
            body = json.dumps(body, separators=(",", ":")).encode("ascii")
    elif isinstance(body, str):
        body = body.encode("utf-8")
    hdrs = {}
    if content_type is not None:
        hdrs["Content-Type"] = content_type
    if token is not None:
        hdrs["Authorization"] = "Bearer " + token
    hdrs.update(headers or {})
    return front.request("POST", path, body, hdrs, **kw)
