"""fcgi.py: a small FastCGI client (responder role) for the integration tests.

It speaks just enough of the FastCGI 1.0 protocol to drive prodrec without a
web server: BEGIN_REQUEST, PARAMS, STDIN in, STDOUT/STDERR/END_REQUEST out,
and parses the CGI-style head ("Status:", other headers, blank line) of the
answer. It can also misbehave on purpose: declare a CONTENT_LENGTH that does
not match the body, send a non-numeric one, stop the body short, leave out the
end-of-stdin record or hang up half way, so the tests can check that the
program survives clients like that.
"""

import socket
import struct

FCGI_VERSION_1 = 1
FCGI_BEGIN_REQUEST = 1
FCGI_ABORT_REQUEST = 2
FCGI_END_REQUEST = 3
FCGI_PARAMS = 4
FCGI_STDIN = 5
FCGI_STDOUT = 6
FCGI_STDERR = 7
FCGI_RESPONDER = 1
FCGI_KEEP_CONN = 1

MAX_CONTENT = 65535
DEFAULT_TIMEOUT = 15.0


class FcgiError(Exception):
    """The server broke the protocol, hung up early or did not answer."""


class Response:
    """One answer: status, headers (lower-case names), body, stderr bytes."""

    def __init__(self, status, headers, body, stderr=b"", app_status=None,
                 protocol_status=None, raw=b""):
        self.status = status
        self.headers = headers          # dict: lower-case name -> value
        self.body = body
        self.stderr = stderr
        self.app_status = app_status
        self.protocol_status = protocol_status
        self.raw = raw

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def json(self):
        import json
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        body = self.body[:300]
        return "<Response %s %r %r>" % (self.status, self.headers, body)


def _record(rtype, request_id, content=b""):
    if len(content) > MAX_CONTENT:
        raise ValueError("record content too long")
    padding = (-len(content)) % 8
    return struct.pack("!BBHHBx", FCGI_VERSION_1, rtype, request_id,
                       len(content), padding) + content + b"\0" * padding


def _records(rtype, request_id, data):
    """data split into as many records as it needs (never an empty one)."""
    out = []
    for i in range(0, len(data), MAX_CONTENT):
        out.append(_record(rtype, request_id, data[i:i + MAX_CONTENT]))
    return b"".join(out)


def _nv_len(n):
    if n < 128:
        return struct.pack("!B", n)
    return struct.pack("!I", n | 0x80000000)


def encode_params(params):
    """Name-value pairs of a PARAMS stream; values may be str or bytes."""
    out = []
    for name, value in params.items():
        if isinstance(name, str):
            name = name.encode("latin-1")
        if isinstance(value, str):
            value = value.encode("utf-8")
        out.append(_nv_len(len(name)) + _nv_len(len(value)) + name + value)
    return b"".join(out)


def parse_cgi_response(raw):
    """Split a CGI response into (status, headers, body)."""
    sep = raw.find(b"\r\n\r\n")
    seplen = 4
    alt = raw.find(b"\n\n")
    if sep < 0 or (alt >= 0 and alt < sep):
        sep, seplen = alt, 2
    if sep < 0:
        raise FcgiError("no end of head in response: %r" % raw[:200])
    head, body = raw[:sep], raw[sep + seplen:]
    headers = {}
    status = 200
    for line in head.split(b"\n"):
        line = line.rstrip(b"\r")
        if not line:
            continue
        if b":" not in line:
            raise FcgiError("bad header line %r" % line)
        name, value = line.split(b":", 1)
        name = name.decode("latin-1").strip().lower()
        value = value.decode("latin-1").strip()
        if name == "status":
            status = int(value.split()[0])
        if name in headers:
            headers[name] += ", " + value
        else:
            headers[name] = value
    return status, headers, body


def _recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return bytes(buf)
        buf += chunk
    return bytes(buf)


def read_response(sock, request_id=1):
    """Read records until END_REQUEST; returns (stdout, stderr, app, proto)."""
    stdout, stderr = bytearray(), bytearray()
    while True:
        head = _recv_exact(sock, 8)
        if len(head) == 0:
            raise FcgiError("connection closed before END_REQUEST "
                            "(stdout so far %r)" % bytes(stdout[:200]))
        if len(head) < 8:
            raise FcgiError("short record header")
        version, rtype, rid, clen, plen = struct.unpack("!BBHHBx", head)
        if version != FCGI_VERSION_1:
            raise FcgiError("bad version %d" % version)
        content = _recv_exact(sock, clen + plen)[:clen]
        if len(content) < clen:
            raise FcgiError("short record content")
        if rid != request_id:
            raise FcgiError("record for request id %d, expected %d"
                            % (rid, request_id))
        if rtype == FCGI_STDOUT:
            stdout += content
        elif rtype == FCGI_STDERR:
            stderr += content
        elif rtype == FCGI_END_REQUEST:
            app_status, proto = struct.unpack("!IB3x", content)
            return bytes(stdout), bytes(stderr), app_status, proto
        else:
            raise FcgiError("unexpected record type %d" % rtype)


def connect(address, timeout=DEFAULT_TIMEOUT):
    """A connected socket: address is a unix socket path or (host, port)."""
    family = socket.AF_INET if isinstance(address, tuple) else socket.AF_UNIX
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(address)
    except BaseException:
        sock.close()
        raise
    return sock


def begin(params, request_id=1, keep=False):
    """The records that open a request: BEGIN_REQUEST and all PARAMS;
    keep asks the application to keep the connection open afterwards
    (FCGI_KEEP_CONN, as nginx's fastcgi_keep_conn does)."""
    flags = FCGI_KEEP_CONN if keep else 0
    out = [_record(FCGI_BEGIN_REQUEST, request_id,
                   struct.pack("!HB5x", FCGI_RESPONDER, flags))]
    p = encode_params(params)
    if p:
        out.append(_records(FCGI_PARAMS, request_id, p))
    out.append(_record(FCGI_PARAMS, request_id))
    return b"".join(out)


def stdin(data, request_id=1, end=False):
    """STDIN records carrying data, and the empty one that ends it."""
    out = _records(FCGI_STDIN, request_id, data) if data else b""
    return out + (_record(FCGI_STDIN, request_id) if end else b"")


def finish(sock, request_id=1):
    """Read the answer to a request sent by hand; returns a Response."""
    stdout, stderr, app_status, proto = read_response(sock, request_id)
    status, headers, rbody = parse_cgi_response(stdout)
    return Response(status, headers, rbody, stderr, app_status, proto, stdout)


def request(address, params, body=b"", *, content_length="auto",
            end_stdin=True, hang_up=False, timeout=DEFAULT_TIMEOUT,
            request_id=1):
    """Send one request to address (a unix socket path or (host, port))
    and return a Response.

    content_length: "auto" sets CONTENT_LENGTH to len(body) (unless params
    already holds one); None leaves it out; anything else (int or str) is
    sent as given, whatever the body's real length.
    end_stdin: send the empty STDIN record that ends the body.
    hang_up: after sending, shut down the write side without END of stdin
    and return None once the server closes (or the timeout passes); used
    for clients that vanish half way.
    """
    params = dict(params)
    if content_length == "auto":
        params.setdefault("CONTENT_LENGTH", str(len(body)))
    elif content_length is not None:
        params["CONTENT_LENGTH"] = str(content_length)
    if isinstance(body, str):
        body = body.encode("utf-8")
    sock = connect(address, timeout)
    try:
        out = begin(params, request_id) + stdin(
            body, request_id, end=end_stdin and not hang_up)
        try:
            sock.sendall(out)
        except (BrokenPipeError, ConnectionResetError):
            # The server may answer (e.g. 413) and close before reading all.
            pass
        if hang_up:
            sock.shutdown(socket.SHUT_WR)
            try:
                while sock.recv(65536):
                    pass
            except (OSError, socket.timeout):
                pass
            return None
        return finish(sock, request_id)
    except socket.timeout as e:
        raise FcgiError("timed out after %ss" % timeout) from e
    finally:
        sock.close()


def send_raw(address, data, timeout=5.0):
    """Send arbitrary bytes, half-close, read whatever comes back."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    got = bytearray()
    try:
        sock.connect(address)
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                got += chunk
        except (OSError, socket.timeout):
            pass
    finally:
        sock.close()
    return bytes(got)


def cgi_params(method, path, headers, *, uri=True, script_name=None,
               path_info=None):
    """CGI parameters as a web server would send them for an HTTP request.

    headers: HTTP header name -> value. Content-Type becomes CONTENT_TYPE,
    Content-Length CONTENT_LENGTH, the rest HTTP_*. With uri=False no
    REQUEST_URI is sent (the program must route on SCRIPT_NAME+PATH_INFO).
    """
    p = {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_SOFTWARE": "prodrec-it-fcgi/1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "40000",
        "REQUEST_METHOD": method,
    }
    query = ""
    bare = path
    if "?" in path:
        bare, query = path.split("?", 1)
    p["QUERY_STRING"] = query
    if uri:
        p["REQUEST_URI"] = path
    if script_name is None:
        # What lighttpd does with the prefix "/api/".
        if bare.startswith("/api/"):
            rest = bare[len("/api/"):]
            first, sep, tail = rest.partition("/")
            script_name = "/api/" + first
            path_info = sep + tail if sep else ""
        else:
            script_name, path_info = bare, ""
    p["SCRIPT_NAME"] = script_name
    if path_info:
        p["PATH_INFO"] = path_info
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            p["CONTENT_TYPE"] = value
        elif key == "CONTENT_LENGTH":
            p["CONTENT_LENGTH"] = value
        else:
            p["HTTP_" + key] = value
    return p
