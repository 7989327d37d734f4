"""Paths, methods and the FastCGI transport: 404/405, routing on REQUEST_URI
or SCRIPT_NAME+PATH_INFO, and clients that lie about CONTENT_LENGTH, stop
short or hang up (the program must answer 4xx or survive, and serve the next
request)."""

import json
import struct
import threading
import time

import fcgi
import harness
from harness import RECORDS_PATH, post_record
from itbase import Base, OwnDirect, for_each_front


class _Paths(Base):
    def setUp(self):
        self.setup_user()

    def test_unknown_paths_404_before_401(self):
        for path in ("/api/control/production/record",
                     "/api/control/production/recordsx",
                     "/api/control/production/records/extra/more",
                     "/api/control/production/sessions/x/y/close",
                     "/api/control/production",
                     "/api/control/production/RECORDS",
                     "/api/nothing"):
            for token in (None, self.tok):
                with self.subTest(path=path, token=bool(token)):
                    r = post_record(self.front, self.body(), token, path=path)
                    self.assert_error(r, 404)

    def test_405_with_allow(self):
        for method in ("GET", "PUT", "DELETE", "PATCH"):
            with self.subTest(method=method):
                r = self.front.request(method, RECORDS_PATH)
                self.assert_error(r, 405)
                self.assertEqual(r.header("allow"), "POST", r)
        # 405 comes before the token check even with a bad token.
        r = self.front.request("GET", RECORDS_PATH, b"",
                               {"Authorization": "Bearer x.y.z"})
        self.assert_error(r, 405)

    def test_query_string_ignored(self):
        b = self.body()
        r = post_record(self.front, b, self.tok, path=RECORDS_PATH + "?x=1&y")
        self.assert_success(r, 201, b, False)


for_each_front(globals(), _Paths)


class Transport(OwnDirect):
    """Direct FastCGI only, one process, so 'the next request' is served
    by the same process that met the bad one."""

    direct_label = "direct-transport"

    def setUp(self):
        super().setUp()
        if not self.server.alive():
            # An earlier test killed it: report there, start afresh here.
            type(self).server = harness.H.new_direct(
                label="direct-transport-again")

    def raw(self, body, **kw):
        hdrs = {"Content-Type": "application/json",
                "Authorization": "Bearer " + self.tok}
        return self.server.request("POST", RECORDS_PATH, body, hdrs, **kw)

    def assert_still_serves(self):
        self.assertTrue(self.server.alive(), "prodrec exited: %s\n%s" % (
            self.server.exit_codes(), self.server.read_log()[-2000:]))
        b = self.body()
        r = post_record(self.server, b, self.tok)
        self.assert_success(r, 201, b, False)

    def test_route_on_script_name_and_path_info(self):
        for script, info in (("/api/control", "/production/records"),
                             ("/api", "/control/production/records"),
                             ("/api/control/production/records", None)):
            with self.subTest(script=script, info=info):
                b = self.body()
                r = post_record(self.server, b, self.tok, uri=False,
                                script_name=script, path_info=info)
                self.assert_success(r, 201, b, False)

    def test_request_uri_wins(self):
        b = self.body()
        r = post_record(self.server, b, self.tok, script_name="/cgi-bin/x",
                        path_info="/y")
        self.assert_success(r, 201, b, False)
        r = post_record(self.server, self.body(), self.tok,
                        path="/api/control/production/nope",
                        script_name="/api/control",
                        path_info="/production/records")
        self.assert_error(r, 404)

    def test_content_length_larger_than_body(self):
        b = json.dumps(self.body()).encode()
        r = self.raw(b, content_length=len(b) + 10)
        self.assertTrue(400 <= r.status < 500, r)
        self.assert_json_ct(r)
        self.assert_still_serves()

    def test_content_length_smaller_than_body(self):
        b = json.dumps(self.body()).encode()
        r = self.raw(b, content_length=len(b) - 5)
        self.assert_error(r, 400)
        self.assert_still_serves()

    def test_content_length_not_a_number(self):
        b = json.dumps(self.body()).encode()
        for cl in ("abc", "-1", "12x", " 12", "1e3", "0x10", "+5"):
            with self.subTest(content_length=cl):
                r = self.raw(b, content_length=cl)
                self.assert_error(r, 400, "Content-Length")
        self.assert_still_serves()

    def test_content_length_huge(self):
        b = json.dumps(self.body()).encode()
        for cl in ("99999999999999999999", "9223372036854775807",
                   "18446744073709551615", "4294967296", "2147483648"):
            with self.subTest(content_length=cl):
                r = self.raw(b, content_length=cl)
                self.assert_error(r, 413)
        self.assert_still_serves()

    def test_content_length_absent(self):
        b = json.dumps(self.body()).encode()
        r = self.raw(b, content_length=None)
        self.assertTrue(r.status in (201, 400, 411), r)
        self.assert_still_serves()

    def test_body_stops_short_then_end_of_stdin(self):
        b = json.dumps(self.body()).encode()
        r = self.raw(b[:20], content_length=len(b))
        self.assertTrue(400 <= r.status < 500, r)
        self.assert_still_serves()

    def test_client_hangs_up_mid_body(self):
        b = json.dumps(self.body()).encode()
        self.raw(b[:20], content_length=len(b), hang_up=True, timeout=5)
        self.assert_still_serves()
        self.raw(b"", content_length=1000, hang_up=True, timeout=5)
        self.assert_still_serves()

    def test_client_hangs_up_after_big_declared_body(self):
        self.raw(b"{" * 1000, content_length=100000, hang_up=True, timeout=5)
        self.assert_still_serves()

    def test_garbage_and_partial_records(self):
        addr = self.server.address
        fcgi.send_raw(addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        fcgi.send_raw(addr, b"\x01\x01\x00")     # a third of a header
        # BEGIN_REQUEST then a PARAMS record claiming more than it holds.
        begin = fcgi._record(fcgi.FCGI_BEGIN_REQUEST, 1,
                             struct.pack("!HB5x", fcgi.FCGI_RESPONDER, 0))
        bad = struct.pack("!BBHHBx", 1, fcgi.FCGI_PARAMS, 1, 500, 0) + b"x"
        fcgi.send_raw(addr, begin + bad)
        # A name-value pair whose lengths run past the record (small
        # lengths: huge ones make libfcgi itself malloc ~2 GiB, which is
        # libfcgi's business and the web server is a trusted peer).
        nv = b"\x7f\x40" + b"AB"
        fcgi.send_raw(addr, begin + fcgi._record(fcgi.FCGI_PARAMS, 1, nv)
                      + fcgi._record(fcgi.FCGI_PARAMS, 1))
        # Just BEGIN_REQUEST, then nothing.
        fcgi.send_raw(addr, begin)
        self.assert_still_serves()

    def test_413_without_reading_whole_body(self):
        big = b"{" + b" " * 60000 + b"}"
        r = self.raw(big)
        self.assert_error(r, 413)
        self.assert_still_serves()


class StalledUpload(Base):
    """An answer given before the body (401 here) to an upload that is huge
    and stalls: the worker reads what has come for about a second at most,
    answers, closes the connection and serves the next request, instead of
    waiting for a body it will never use."""

    def test_401_to_a_stalled_huge_upload_frees_the_worker(self):
        one = harness.H.new_direct(label="direct-stalled-upload")
        self.addCleanup(one.stop)
        params = fcgi.cgi_params("POST", RECORDS_PATH, {
            "Content-Type": "application/json",
            "Content-Length": str(100 * 1024 * 1024)})
        sock = fcgi.connect(one.address, timeout=10)
        try:
            sock.sendall(fcgi.begin(params) + fcgi.stdin(b"x" * 60000))
            t0 = time.time()
            r = fcgi.finish(sock)
            took = time.time() - t0
        finally:
            sock.close()
        self.assertEqual(r.status, 401, r)
        self.assertLess(took, 4, "answered after %.1fs" % took)
        t0 = time.time()
        r = one.request("GET", "/api/control/health")
        self.assertEqual(r.status, 200, r)
        self.assertLess(time.time() - t0, 4, "the worker is free again")
        self.assertTrue(one.alive())

    def test_401_with_a_small_unread_body_keeps_the_answer(self):
        """The usual early answer: the body is read and dropped, the
        connection closes cleanly, the answer arrives whole at once."""
        one = harness.H.new_direct(label="direct-unread-body")
        self.addCleanup(one.stop)
        body = json.dumps({"pad": "y" * 12000}).encode()
        params = fcgi.cgi_params("POST", RECORDS_PATH, {
            "Content-Type": "application/json"})
        for _ in range(20):
            t0 = time.time()
            r = fcgi.request(one.address, params, body)
            self.assertEqual(r.status, 401, r)
            self.assertLess(time.time() - t0, 2)


class KeptConnections(Base):
    """Connections the web server keeps open (FCGI_KEEP_CONN, as nginx's
    fastcgi_keep_conn): each holds a worker while it is open, so an idle one
    is closed after PRODREC_PEER_TIMEOUT, and one whose request left input
    unread is closed after its answer, never offered for the next request
    (which could be another client's)."""

    PEER_TIMEOUT = 2

    def setUp(self):
        self.setup_user()

    def server(self, workers):
        s = harness.H.new_direct(label="direct-kept-%d-%s" % (
            workers, self.sid[:6]), env={
            "PRODREC_WORKERS": str(workers),
            "PRODREC_PEER_TIMEOUT": str(self.PEER_TIMEOUT)})
        self.addCleanup(s.stop)
        return s

    @staticmethod
    def kept_request(sock, params, body=b"", end=True):
        sock.sendall(fcgi.begin(params, keep=True) +
                     fcgi.stdin(body, end=end))
        return fcgi.finish(sock)

    def assert_closed_by_server(self, sock, within):
        """The server closes sock (EOF or reset) within the time."""
        sock.settimeout(within)
        try:
            data = sock.recv(1)
        except ConnectionResetError:
            data = b""
        except TimeoutError:
            self.fail("the connection is still kept after %ss" % within)
        self.assertEqual(data, b"", "nothing more is sent")

    def health(self):
        return fcgi.cgi_params("GET", "/api/control/health", {})

    def test_kept_connection_serves_several_requests(self):
        s = self.server(1)
        sock = fcgi.connect(s.address, 10)
        try:
            for _ in range(3):
                r = self.kept_request(sock, self.health())
                self.assertEqual(r.status, 200, r)
        finally:
            sock.close()

    def test_idle_kept_connections_are_closed_after_the_peer_timeout(self):
        """Two idle kept connections hold both workers of a pool of two;
        a third client is served once the peer time-out closes them."""
        s = self.server(2)
        socks = [fcgi.connect(s.address, 10) for _ in range(2)]
        self.addCleanup(lambda: [k.close() for k in socks])
        for k in socks:
            self.assertEqual(self.kept_request(k, self.health()).status, 200)
        t0 = time.time()
        r = s.request("GET", "/api/control/health", timeout=15)
        took = time.time() - t0
        self.assertEqual(r.status, 200, r)
        self.assertGreater(took, self.PEER_TIMEOUT * 0.5,
                           "the idle connections held both workers")
        self.assertLess(took, self.PEER_TIMEOUT + 4, "answered in %.1fs"
                        % took)
        for k in socks:
            self.assert_closed_by_server(k, 3)

    def send_in_background(self, sock, data, pause=0.0):
        """Send data on sock from a thread (byte by byte with a pause
        between them when pause is set); errors end it quietly."""
        def run():
            try:
                if not pause:
                    sock.sendall(data)
                    return
                for i in range(len(data)):
                    sock.sendall(data[i:i + 1])
                    time.sleep(pause)
            except OSError:
                pass
        t = threading.Thread(target=run, daemon=True)
        t.start()
        self.addCleanup(t.join, 10)
        return t

    def records_params(self, token):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        p = fcgi.cgi_params("POST", RECORDS_PATH, headers)
        p.pop("CONTENT_LENGTH", None)
        return p

    def test_413_without_length_on_a_kept_connection_closes_it(self):
        """A body without CONTENT_LENGTH, over max_body, whose end has not
        come: after the 413 the connection is closed, not kept with the
        rest of the body still to come as the "next request"."""
        s = self.server(1)
        big = b"{" + b" " * (1024 * 1024)
        sock = fcgi.connect(s.address, 10)
        self.addCleanup(sock.close)
        sock.sendall(fcgi.begin(self.records_params(self.tok), keep=True))
        self.send_in_background(sock, fcgi.stdin(big, end=False))
        r = fcgi.finish(sock)
        self.assert_error(r, 413)
        self.assert_closed_by_server(sock, 5)
        b = self.body()
        self.assert_success(post_record(s, b, self.tok), 201, b, False)

    def test_trickled_body_without_length_frees_the_worker(self):
        """An early answer (401) to a body without CONTENT_LENGTH that
        trickles in: the worker gives up on the rest within about two
        seconds, closes the connection and serves the next client."""
        s = self.server(1)
        sock = fcgi.connect(s.address, 10)
        self.addCleanup(sock.close)
        sock.sendall(fcgi.begin(self.records_params(None), keep=True))
        self.send_in_background(sock, fcgi.stdin(b"{" + b" " * 400),
                                pause=0.05)
        r = fcgi.finish(sock)
        self.assertEqual(r.status, 401, r)
        self.assert_closed_by_server(sock, 4)
        t0 = time.time()
        r = s.request("GET", "/api/control/health", timeout=10)
        self.assertEqual(r.status, 200, r)
        self.assertLess(time.time() - t0, 3, "the worker is free again")
