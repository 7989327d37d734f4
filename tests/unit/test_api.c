/*
 * test_api.c: api.c, the steps every handler shares, without a database:
 * the token (api_user, CONTRACT section 2), the body checks of section 1
 * in their order (api_read_json, the body read from memory through a fake
 * FCGX_Stream, see fake.h), the session id in the path (api_session_id)
 * and the mapping of database failures to 503/500 (api_db_fault).
 * record_id_parse: test_ids.c.
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "fake.h"
#include "json.h"
#include "tap.h"

static void
test_user(void)
{
	char	user[USER_ID_MAX + 1];

	fake_request(&req, &io, "GET", "/x");
	fake_response(&resp);
	ok(api_user(&req, &resp, user) == -1 && resp.status == 401 &&
	    strcmp(resp.www_authenticate, "Bearer") == 0 &&
	    fake_error_is(&resp, "Unauthorized", "an Authorization: Bearer "
	    "token is required"), "no token: 401, WWW-Authenticate: Bearer");
	fake_response(&resp);
	req.authorization = "Basic eHl6";
	ok(api_user(&req, &resp, user) == -1 && resp.status == 401 &&
	    strcmp(resp.www_authenticate, "Bearer") == 0,
	    "another scheme is no token");
	fake_response(&resp);
	req.authorization = "Bearer not-a-token";
	ok(api_user(&req, &resp, user) == -1 && resp.status == 401 &&
	    strcmp(resp.www_authenticate, "Bearer error=\"invalid_token\"") ==
	    0 && fake_error_is(&resp, "Unauthorized", "malformed token"),
	    "a malformed token: 401 invalid_token with the reason");
	fake_response(&resp);
	req.authorization = fake_bearer(FAKE_USER);
	ok(api_user(&req, &resp, user) == 0 && strcmp(user, FAKE_USER) == 0 &&
	    resp.status == 0 && resp.body.len == 0,
	    "a good token: the user, nothing answered");
	fake_response(&resp);
	auth_free();
	ok(api_user(&req, &resp, user) == -1 && resp.status == 401 &&
	    strcmp(resp.www_authenticate, "Bearer error=\"invalid_token\"") ==
	    0 && fake_error_is(&resp, "Unauthorized",
	    "authentication not configured"),
	    "without a configuration every token is refused");
	(void)fake_auth(&cfg);
}

/* api_read_json of body (content_length cl, -1: none) with type ct. */
static int
read_json(const char *ct, long long cl, const char *body, int optional,
    struct jbody **out)
{
	fake_request(&req, &io, "POST", "/x");
	fake_body(&io, body, strlen(body), 5);
	req.content_type = ct;
	req.content_length = cl;
	fake_response(&resp);
	return api_read_json(&app, &req, &resp, optional, out);
}

#define JSON	"application/json"

static void
test_read_json(void)
{
	struct jbody	*b = (struct jbody *)&b;
	struct jvalue	 v;
	char		 big[200];
	int		 rc;

	ok(read_json(JSON, 11, "{\"units\":5}", 0, &b) == 0 && b != NULL &&
	    resp.status == 0, "a JSON object, read in pieces");
	json_body_get(b, "units", &v);
	ok(v.type == JT_NUMBER && v.len == 1 && v.str[0] == '5',
	    "its members read back");
	json_body_free(b);
	ok(read_json(JSON "; charset=utf-8", -1, "{}", 0, &b) == 0 &&
	    b != NULL, "no Content-Length: read to the end");
	json_body_free(b);

	ok(read_json(JSON, 101, "{}", 0, &b) == -1 && b == NULL &&
	    resp.status == 413 && fake_error_is(&resp, "Payload Too Large",
	    "request body is larger than 100 bytes"),
	    "a Content-Length over max_body: 413 naming the limit");
	ok(read_json("text/plain", 101, "{}", 0, &b) == -1 &&
	    resp.status == 413, "413 comes before the media type");
	ok(read_json(JSON, 100, "{}", 0, &b) == -1 && resp.status == 400 &&
	    fake_error_is(&resp, "Bad Request", "request body is shorter "
	    "than its Content-Length"), "a body shorter than its "
	    "Content-Length: 400");
	memset(big, ' ', sizeof(big) - 1);
	big[0] = '{';
	big[sizeof(big) - 2] = '}';
	big[sizeof(big) - 1] = '\0';
	ok(read_json(JSON, -1, big, 0, &b) == -1 && resp.status == 413,
	    "no Content-Length and more than max_body bytes: 413");
	big[100] = '\0';
	ok(read_json(JSON, -1, big, 0, &b) == -1 && resp.status == 400,
	    "exactly max_body bytes are read (then: not JSON, 400)");
	ok(read_json(JSON, -2, "{}", 0, &b) == -1 && resp.status == 400 &&
	    fake_error_is(&resp, "Bad Request", "Content-Length is not a "
	    "number"), "a Content-Length that is not a number: 400");

	ok(read_json("text/plain", 2, "{}", 0, &b) == -1 && b == NULL &&
	    resp.status == 400 && fake_error_is(&resp, "Bad Request",
	    "Content-Type must be application/json"), "text/plain: 400");
	ok(read_json(NULL, 2, "{}", 0, &b) == -1 && resp.status == 400,
	    "no Content-Type: 400");
	ok(read_json(NULL, -1, "", 0, &b) == -1 && resp.status == 400,
	    "no Content-Type and no body, required: 400");

	rc = read_json(JSON, 3, "{x}", 0, &b);
	ok(rc == -1 && b == NULL && resp.status == 400 &&
	    strstr(resp.body.data, "\"message\":\"Bad Request\"") != NULL,
	    "malformed JSON: 400 (%s)", resp.body.data);
	ok(read_json(JSON, 2, "[]", 0, &b) == -1 && resp.status == 400,
	    "an array: 400");
	ok(read_json(JSON, 0, "", 0, &b) == -1 && resp.status == 400,
	    "an empty body, required: 400");

	b = (struct jbody *)&b;
	ok(read_json(NULL, -1, "", 1, &b) == 0 && b == NULL &&
	    resp.status == 0, "optional: no body, no type, no body parsed");
	ok(read_json(NULL, 0, "", 1, &b) == 0 && b == NULL,
	    "optional: Content-Length 0");
	ok(read_json("text/plain", 0, "", 1, &b) == 0 && b == NULL,
	    "optional: an empty body of another type is no body");
	ok(read_json("text/plain", 2, "{}", 1, &b) == -1 && b == NULL &&
	    resp.status == 400 && fake_error_is(&resp, "Bad Request",
	    "Content-Type must be application/json"),
	    "optional: a body of another type is 400");
	ok(read_json(NULL, 101, "", 1, &b) == -1 && resp.status == 413,
	    "optional: too large is 413 still");
	ok(read_json(JSON, 9, "{\"a\":\"b\"}", 1, &b) == 0 && b != NULL,
	    "optional: a JSON body is parsed");
	json_body_free(b);
	ok(read_json(JSON, 1, "x", 1, &b) == -1 && resp.status == 400,
	    "optional: a body that is not JSON is 400");
}

static void
test_session_id(void)
{
	char	id[SESSION_ID_LEN + 1];

	fake_request(&req, &io, "GET", "/x");
	fake_response(&resp);
	req.param = "6507F1E3C9D8E2A4B1F9C3D5/close";
	req.param_len = 24;
	ok(api_session_id(&req, &resp, id) == 0 &&
	    strcmp(id, "6507f1e3c9d8e2a4b1f9c3d5") == 0 && resp.status == 0,
	    "the path's id, lower-cased");
	req.param_len = 23;
	ok(api_session_id(&req, &resp, id) == -1 && resp.status == 404 &&
	    fake_error_is(&resp, "Not Found", "no such session"),
	    "23 digits name no session: 404");
	fake_response(&resp);
	req.param = "rec_0123456789abcdef0000";
	req.param_len = 24;
	ok(api_session_id(&req, &resp, id) == -1 && resp.status == 404,
	    "24 characters that are not hex: 404");
}

static void
test_db_fault(void)
{
	static const struct {
		enum db_status	 st;
		int		 status;
		unsigned	 retry;
		const char	*message;
	} want[] = {
		{ DB_OK, 500, 0, "Internal Server Error" },
		{ DB_NOT_FOUND, 500, 0, "Internal Server Error" },
		{ DB_UNAVAILABLE, 503, 1, "Service Unavailable" },
		{ DB_ERROR, 500, 0, "Internal Server Error" },
	};
	char	msg[64];
	size_t	i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		fake_response(&resp);
		api_db_fault(&resp, want[i].st);
		snprintf(msg, sizeof(msg), "\"message\":\"%s\",\"error\":"
		    "\"request id ", want[i].message);
		ok(resp.status == want[i].status &&
		    resp.retry_after == want[i].retry &&
		    strstr(resp.body.data, msg) != NULL, "db_status %d: %d%s",
		    (int)want[i].st, want[i].status, want[i].retry ?
		    " with Retry-After" : "");
	}
}

int
main(void)
{
	if (fake_init(100) == -1)
		return 1;
	test_user();
	test_read_json();
	test_session_id();
	test_db_fault();
	return fake_done();
}
