/*
 * test_route.c: route.c, method + path -> handler, without a database:
 * each route reaches its handler (told apart by an answer the handler
 * gives before any query: a token missing, a body, an id or a limit
 * refused), the "{}" segment, trailing slashes and other near misses
 * (404), and 405 with an Allow header naming the path's methods (CONTRACT
 * section 1's order: unknown path 404, then method 405, then the token).
 */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "fake.h"
#include "route.h"
#include "tap.h"

#define PROD	"/api/control/production"
#define SID	"6507f1e3c9d8e2a4b1f9c3d5"

/*
 * Route method path?query (token: a valid one, else none) with body (NULL:
 * none).
 */
static void
send_q(const char *method, const char *path, const char *query, int token,
    const char *body)
{
	fake_send(method, path, query, token ? FAKE_USER : NULL, body);
	req.remote_addr = "192.0.2.1";
	route_request(&app, &req, &resp);
}

static void
send_req(const char *method, const char *path, int token, const char *body)
{
	send_q(method, path, "", token, body);
}

/* method path answers 404 "no such path". */
static void
not_found_at(int line, const char *method, const char *path,
    const char *desc)
{
	send_req(method, path, 1, NULL);
	if (!ok_line(line, resp.status == 404 && resp.allow == NULL &&
	    fake_error_is(&resp, "Not Found", "no such path"),
	    "404: %s %s (%s)", method, path, desc))
		printf("# %d %s\n", resp.status, resp.body.data);
}
#define not_found(...)	not_found_at(__LINE__, __VA_ARGS__)

/* method path answers 405 with Allow: allow. */
static void
not_allowed_at(int line, const char *method, const char *path,
    const char *allow)
{
	send_req(method, path, 1, NULL);
	if (!ok_line(line, resp.status == 405 && resp.allow != NULL &&
	    strcmp(resp.allow, allow) == 0 && fake_error_is(&resp,
	    "Method Not Allowed", "this path does not serve that method"),
	    "405: %s %s, Allow: %s", method, path, allow))
		printf("# %d allow %s %s\n", resp.status,
		    resp.allow ? resp.allow : "(none)", resp.body.data);
}
#define not_allowed(...)	not_allowed_at(__LINE__, __VA_ARGS__)

/* Each route, no token: its handler answers 401 (so it was reached). */
static void
test_reached(void)
{
	static const struct {
		const char	*method, *path;
	} all[] = {
		{ "POST", PROD "/records" },
		{ "GET", PROD "/records/rec_0123456789abcdef" },
		{ "POST", PROD "/sessions" },
		{ "GET", PROD "/sessions/" SID },
		{ "POST", PROD "/sessions/" SID "/close" },
		{ "GET", PROD "/sessions/" SID "/records" },
	};
	size_t	i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		send_req(all[i].method, all[i].path, 0, NULL);
		ok(resp.status == 401 && resp.www_authenticate != NULL &&
		    strcmp(resp.www_authenticate, "Bearer") == 0,
		    "%s %s reaches a handler that wants a token", all[i].method,
		    all[i].path);
	}
}

/* Each route to its own handler, told apart by what it refuses first. */
static void
test_handlers(void)
{
	send_req("POST", PROD "/records", 1, "{}");
	ok(resp.status == 400 && strstr(resp.body.data, "sessionId") != NULL,
	    "POST records: record_create checks the record's fields (%s)",
	    resp.body.data);
	send_req("POST", PROD "/sessions", 1, "{\"label\":5}");
	ok(resp.status == 400 && strstr(resp.body.data, "label") != NULL,
	    "POST sessions: session_open checks the label (%s)",
	    resp.body.data);
	send_req("GET", PROD "/records/rec_0123456789ABCDEF", 1, NULL);
	ok(resp.status == 404 && fake_error_is(&resp, "Not Found",
	    "no such record") && req.param_len == 20 &&
	    memcmp(req.param, "rec_0123456789ABCDEF", 20) == 0,
	    "GET records/{}: record_get, given the segment");
	send_req("GET", PROD "/sessions/xyz", 1, NULL);
	ok(resp.status == 404 && fake_error_is(&resp, "Not Found",
	    "no such session") && req.param_len == 3 &&
	    memcmp(req.param, "xyz", 3) == 0,
	    "GET sessions/{}: session_get, given the segment");
	send_req("POST", PROD "/sessions/" SID "x/close", 1, NULL);
	ok(resp.status == 404 && fake_error_is(&resp, "Not Found",
	    "no such session") && req.param_len == 25 &&
	    memcmp(req.param, SID "x", 25) == 0,
	    "POST sessions/{}/close: session_close, given the middle segment");
	send_q("GET", PROD "/sessions/" SID "/records", "limit=0", 1, NULL);
	ok(resp.status == 400 && fake_error_is(&resp, "Bad Request",
	    "limit must be an integer from 1 to 500") && req.param_len == 24,
	    "GET sessions/{}/records: session_records checks limit (%s)",
	    resp.body.data);
	send_req("GET", "/api/control/status", 0, NULL);
	ok(resp.status == 403 && strstr(resp.body.data, "PRODREC_STATUS_ALLOW")
	    != NULL && req.param == NULL, "GET status: control_status, no "
	    "token needed, this address refused");
	send_req("GET", "/api/control/health", 0, NULL);
	ok(resp.status == 503 && fake_error_is(&resp, "Service Unavailable",
	    "database down"), "GET health: control_health, no token needed "
	    "(no database here: 503)");
}

static void
test_not_allowed(void)
{
	not_allowed("GET", PROD "/records", "POST");
	not_allowed("PUT", PROD "/records/rec_0123456789abcdef", "GET");
	not_allowed("DELETE", PROD "/sessions", "POST");
	not_allowed("POST", PROD "/sessions/" SID, "GET");
	not_allowed("GET", PROD "/sessions/" SID "/close", "POST");
	not_allowed("POST", PROD "/sessions/" SID "/records", "GET");
	not_allowed("POST", "/api/control/health", "GET");
	not_allowed("HEAD", "/api/control/health", "GET");
	not_allowed("OPTIONS", "/api/control/status", "GET");
	not_allowed("get", "/api/control/health", "GET");
	not_allowed("", "/api/control/health", "GET");
	not_allowed("POST", PROD "/sessions/close", "GET");
	/* 405 comes before the token (CONTRACT section 1). */
	send_req("GET", PROD "/records", 0, NULL);
	ok(resp.status == 405 && resp.www_authenticate == NULL,
	    "405 before 401");
}

static void
test_not_found(void)
{
	char	path[64];

	not_found("GET", "/", "the root");
	not_found("GET", "", "an empty path");
	not_found("GET", "/api/control", "a prefix");
	not_found("GET", "/api/control/production", "a prefix");
	not_found("POST", PROD "/records/", "a trailing slash, empty segment");
	not_found("GET", PROD "/records/", "the same with GET");
	not_found("POST", PROD "/sessions/", "an empty segment");
	not_found("POST", PROD "/sessions//close", "an empty middle segment");
	not_found("GET", PROD "/sessions//records", "an empty middle segment");
	not_found("GET", PROD "/sessions/" SID "/", "a trailing slash after "
	    "{}");
	not_found("POST", PROD "/sessions/" SID "/close/", "a trailing slash");
	not_found("GET", PROD "/sessions/" SID "/records/", "a trailing slash");
	not_found("POST", PROD "/records/x/y", "{} holds no slash");
	not_found("GET", PROD "/sessions/a/b/records", "{} holds no slash");
	not_found("GET", "/api/control/health/", "a trailing slash");
	not_found("GET", "/api/control/healthz", "a longer name");
	not_found("GET", "/api/control/status.json", "a longer name");
	not_found("GET", "/API/control/health", "paths are case-sensitive");
	not_found("POST", PROD "/Records", "paths are case-sensitive");
	not_found("GET", PROD "//records/x", "a double slash");
	not_found("GET", "/prefix" PROD "/records/x", "the full path counts, "
	    "not a tail");
	not_found("POST", PROD "/sessions/" SID "/open", "another action");
	not_found("GET", PROD "/sessions/" SID "/records/rec_1", "deeper");
	not_found("GET", PROD "/records?x=1", "a query in the path is path");
	/* Only path_len bytes count. */
	snprintf(path, sizeof(path), "/api/control/healthXYZ");
	send_req("GET", path, 0, NULL);
	ok(resp.status == 404, "GET /api/control/healthXYZ is no path...");
	req.path_len = strlen("/api/control/health");
	fake_response(&resp);
	route_request(&app, &req, &resp);
	ok(resp.status == 503 && fake_error_is(&resp, "Service Unavailable",
	    "database down"), "...but with path_len 19 it is the health path");
	send_req("GET", PROD "/sessions/records", 1, NULL);
	ok(resp.status == 404 && fake_error_is(&resp, "Not Found",
	    "no such session"), "GET sessions/records is sessions/{}: 404 "
	    "from session_get");
}

int
main(void)
{
	char	err[256];

	cfg.max_units = 1000000;
	cfg.max_clock_skew = 300;
	cfg.db_host = (char *)"localhost";
	cfg.db_port = 3306;
	cfg.db_socket = (char *)"/nonexistent/prodrec-test_route.sock";
	cfg.db_user = cfg.db_name = (char *)"prodrec";
	cfg.db_password = (char *)"";
	cfg.db_connect_timeout = 1;
	(void)allow_parse("127.0.0.0/8", &cfg.status_allow, err, sizeof(err),
	    "x");
	if (fake_init(16384) == -1 || db_init(&cfg) == -1)
		return 1;
	test_reached();
	test_handlers();
	test_not_allowed();
	test_not_found();
	db_close();
	return fake_done();
}
