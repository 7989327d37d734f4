"""galera.py: a MariaDB Galera cluster on loopback, for the integration tests.

A Galera drives scripts/galera-sandbox (read its header for what it does and
where it keeps things): N nodes on 127.0.0.1, each with its own SQL port and
unix socket, sql/schema.sql and sql/grants.sql loaded once through node 1,
the account 'prodrec'@'localhost' reachable over TCP on every node. The
directory given may be the harness's own 0700 temporary directory: the
sandbox keeps the nodes where the mysql user reaches them.

    g = galera.Galera(os.path.join(H.root, "galera"), password=H.db_password)
    missing = g.missing()          # "" when every package is installed
    g.start()
    env = g.prodrec_env()          # PRODREC_DB_HOST=127.0.0.1:P1,...,Pk
    g.kill(2); g.restart(2)        # SIGKILL, then back and Synced
    g.shutdown(2)                  # SIGTERM: node 2 leaves the cluster
    g.isolate(3)                   # returns when node 3 answers 1047
    g.sql(3, "SELECT 1")           # raises SqlError with .code 1047
    g.heal(3)
    g.wait_size(1, 3)              # node 1 Synced in a cluster of 3
    g.stop()

stop() is safe to call twice and after a failed start; a test that starts
a cluster stops it in a finally block (or harness shutdown).
"""

import os
import pwd
import re
import subprocess
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, "scripts", "galera-sandbox")
# The MariaDB account of this OS user on the nodes (unix_socket): root as
# root, else the one mariadb-install-db made for the user.
ADMIN = pwd.getpwuid(os.getuid()).pw_name


class GaleraError(Exception):
    pass


class SqlError(GaleraError):
    """A statement failed; code is MariaDB's error number (1047: the node
    is not in the primary component), or None when there was none."""

    def __init__(self, node, code, message):
        GaleraError.__init__(self, "node %d: %s" % (node, message))
        self.node = node
        self.code = code


class Node:
    def __init__(self, number, port, gmcast, ist, sst, socket):
        self.number = number
        self.port = port
        self.gmcast = gmcast
        self.ist = ist
        self.sst = sst
        self.socket = socket

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def __repr__(self):
        return "<Node %d %s %s>" % (self.number, self.address, self.socket)


class Galera:
    def __init__(self, directory, nodes=3, password="prodrec",
                 db_name="prodrec", env=None, start_timeout=60,
                 stop_timeout=30):
        self.dir = os.path.abspath(directory)
        self.count = nodes
        self.password = password
        self.db_name = db_name
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.extra_env = dict(env or {})
        self.nodes = {}         # number -> Node, read from DIR/ports
        self.started = False

    # ---- running the script ---------------------------------------------

    def _env(self):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("GALERA_", "PRODREC_"))}
        env.update({
            "DB_PASSWORD": self.password,
            "DB_NAME": self.db_name,
            "GALERA_START_TIMEOUT": str(self.start_timeout),
            "GALERA_STOP_TIMEOUT": str(self.stop_timeout),
        })
        for k, v in self.extra_env.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = str(v)
        return env

    def run(self, *args, timeout=None, check=True):
        """Runs scripts/galera-sandbox ARGS; returns the CompletedProcess
        (stdout, stderr as text)."""
        if timeout is None:
            timeout = self.start_timeout + self.stop_timeout + 30
        p = subprocess.run([SCRIPT] + [str(a) for a in args],
                           env=self._env(), timeout=timeout,
                           stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdout = p.stdout.decode("utf-8", "replace")
        p.stderr = p.stderr.decode("utf-8", "replace")
        if check and p.returncode != 0:
            raise GaleraError("galera-sandbox %s exited %d:\n%s%s" % (
                " ".join(map(str, args)), p.returncode, p.stdout, p.stderr))
        return p

    def missing(self):
        """"" when every package the sandbox needs is installed, else the
        script's message naming them (for a skip)."""
        p = self.run("check", check=False, timeout=30)
        return "" if p.returncode == 0 else (p.stderr or p.stdout).strip()

    # ---- the cluster ----------------------------------------------------

    def start(self):
        self.run("start", self.dir, self.count)
        self.started = True
        self.read_ports()
        return self

    def stop(self):
        if not os.path.isdir(self.dir):
            return
        self.run("stop", self.dir, check=False)
        self.started = False

    def read_ports(self):
        self.nodes = {}
        with open(os.path.join(self.dir, "ports")) as f:
            for line in f:
                if not line.strip() or line.startswith("#"):
                    continue
                k, port, gm, ist, sst, sock = line.split()
                self.nodes[int(k)] = Node(int(k), int(port), int(gm),
                                          int(ist), int(sst), sock)
        return self.nodes

    def port(self, k):
        return self.nodes[k].port

    def socket(self, k):
        return self.nodes[k].socket

    def host_list(self, first=None):
        """PRODREC_DB_HOST for the cluster: every node's 127.0.0.1:PORT,
        node `first` (when given) first, the others in order."""
        order = sorted(self.nodes)
        if first is not None:
            order.remove(first)
            order.insert(0, first)
        return ",".join(self.nodes[k].address for k in order)

    def prodrec_env(self, first=None):
        """The PRODREC_DB_* settings of a pool using the cluster (None:
        unset, as harness.child_env takes it)."""
        return {
            "PRODREC_DB_HOST": self.host_list(first),
            "PRODREC_DB_SOCKET": None,
            "PRODREC_DB_PORT": None,
            "PRODREC_DB_USER": "prodrec",
            "PRODREC_DB_PASSWORD": self.password,
            "PRODREC_DB_NAME": self.db_name,
        }

    def status(self):
        """{node: {"state": "Synced", "size": 3, "primary": True,
        "ready": True}} ({"state": None} for a node that does not answer)
        and whether all are Synced in one cluster of all."""
        p = self.run("status", self.dir, check=False, timeout=60)
        out = {}
        for line in p.stdout.splitlines():
            m = re.match(r"node (\d+) port \d+ (\S+) size (\d+) (\S+) "
                         r"ready (\S+)$", line)
            if m:
                out[int(m.group(1))] = {
                    "state": m.group(2), "size": int(m.group(3)),
                    "primary": m.group(4) == "Primary",
                    "ready": m.group(5) == "ON"}
            else:
                m = re.match(r"node (\d+) ", line)
                if m:
                    out[int(m.group(1))] = {"state": None, "size": None,
                                            "primary": False, "ready": False}
        return out, p.returncode == 0

    def kill(self, k):
        self.run("kill", self.dir, k, timeout=60)

    def shutdown(self, k):
        """Stop node k cleanly (it leaves the cluster)."""
        self.run("shutdown", self.dir, k, timeout=60)

    def restart(self, k):
        self.run("restart", self.dir, k)

    def isolate(self, k):
        self.run("isolate", self.dir, k)

    def heal(self, k):
        self.run("heal", self.dir, k)

    def _mariadb(self, k, args, stdin, timeout):
        """The mariadb client on node k as its administrator, in the
        database; the finished process, or SqlError when it failed."""
        p = subprocess.run(
            ["mariadb", "--no-defaults", "-S", self.socket(k), "-u", ADMIN,
             "--connect-timeout=3", "--batch"] + args + [self.db_name],
            timeout=timeout, stdin=stdin, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        if p.returncode != 0:
            err = p.stderr.decode("utf-8", "replace").strip()
            m = re.search(r"ERROR (\d+)", err)
            raise SqlError(k, int(m.group(1)) if m else None, err)
        return p

    def load(self, k, path, timeout=120):
        """Run the SQL file at path (sql/schema.sql, say) on node k as a
        DBA would with mariadb < FILE; SqlError when it fails."""
        with open(path, "rb") as f:
            self._mariadb(k, [], f, timeout)

    def sql(self, k, query, timeout=60):
        """Rows (tuples of str, NULL as None) of the last result of QUERY
        run as the MariaDB administrator (ADMIN) on node k, in the
        database; SqlError when it fails."""
        p = self._mariadb(k, ["-N", "-e", query], subprocess.DEVNULL,
                          timeout)
        rows = []
        for line in p.stdout.decode("utf-8", "replace").splitlines():
            rows.append(tuple(None if v == "NULL" else v
                              for v in line.split("\t")))
        return rows

    def wait_size(self, k, size, timeout=30):
        """Waits until node k is Synced in a primary component of size
        nodes; returns the seconds it took."""
        t0 = time.time()
        while True:
            st, _ = self.status()
            s = st.get(k, {})
            if s.get("state") == "Synced" and s.get("primary") and \
                    s.get("size") == size:
                return time.time() - t0
            if time.time() - t0 > timeout:
                raise GaleraError("node %d not Synced in a cluster of %d "
                                  "after %ds: %r" % (k, size, timeout, s))
            time.sleep(0.2)

    def error_log(self, k):
        try:
            with open(os.path.join(self.dir, "node%d" % k, "mysqld.err"),
                      "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""
