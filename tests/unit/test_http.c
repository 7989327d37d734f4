/*
 * test_http.c: http.c, request outcomes mapped to status and error body
 * (CONTRACT section 5), the media type check of section 1, reason phrases,
 * and query parameters (http_query_param).
 */
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "tap.h"

static void
test_query(void)
{
	const char	*v = NULL;
	size_t		 len = 99;

	ok(http_query_param("limit=5&after=rec_1", "limit", &v, &len) == 1 &&
	    len == 1 && v[0] == '5', "first parameter");
	ok(http_query_param("limit=5&after=rec_1", "after", &v, &len) == 1 &&
	    len == 5 && memcmp(v, "rec_1", 5) == 0, "last parameter");
	ok(http_query_param("limits=5", "limit", &v, &len) == 0,
	    "a longer name is another parameter");
	ok(http_query_param("xlimit=5&limit=7&limit=8", "limit", &v, &len) ==
	    1 && v[0] == '7', "the first occurrence wins");
	ok(http_query_param("limit", "limit", &v, &len) == 1 && len == 0,
	    "a name without = has an empty value");
	ok(http_query_param("limit=&x=1", "limit", &v, &len) == 1 && len == 0,
	    "an empty value");
	ok(http_query_param("", "limit", &v, &len) == 0, "empty query");
}

static void
test_query_more(void)
{
	const char	*v = NULL;
	size_t		 len = 99;

	ok(http_query_param(NULL, "limit", &v, &len) == 0, "no query at all");
	ok(http_query_param("a=1&&limit=3", "limit", &v, &len) == 1 &&
	    len == 1 && v[0] == '3', "an empty pair is skipped");
	ok(http_query_param("a=1&", "a", &v, &len) == 1 && len == 1 &&
	    v[0] == '1', "a trailing &");
	ok(http_query_param("lim=1&limit", "limit", &v, &len) == 1 &&
	    len == 0, "a shorter name is another parameter, a bare last one "
	    "found");
	ok(http_query_param("limit=a%20b", "limit", &v, &len) == 1 &&
	    len == 5 && memcmp(v, "a%20b", 5) == 0, "values are not decoded");
	ok(http_query_param("limit=1=2", "limit", &v, &len) == 1 && len == 3 &&
	    memcmp(v, "1=2", 3) == 0, "a value runs to the next &");
	ok(http_query_param("Limit=1", "limit", &v, &len) == 0,
	    "names are case-sensitive");
}

static void
test_content_type(void)
{
	ok(http_content_type_is_json("application/json"), "application/json");
	ok(http_content_type_is_json("application/json; charset=utf-8"),
	    "with a charset");
	ok(http_content_type_is_json("application/json;charset=UTF-8"),
	    "with a charset, no space");
	ok(http_content_type_is_json("Application/JSON"), "any case");
	ok(http_content_type_is_json(" \tapplication/json \t"),
	    "white space around");
	ok(http_content_type_is_json("application/json ;x=y"),
	    "space before the parameters");
	ok(!http_content_type_is_json(NULL), "no Content-Type");
	ok(!http_content_type_is_json(""), "an empty one");
	ok(!http_content_type_is_json("text/plain"), "text/plain");
	ok(!http_content_type_is_json("application/jsonx"),
	    "application/jsonx");
	ok(!http_content_type_is_json("application/json-patch+json"),
	    "application/json-patch+json");
	ok(!http_content_type_is_json("application/json x"),
	    "a word after the type");
	ok(!http_content_type_is_json("application/x-www-form-urlencoded"),
	    "a form");
}

static void
test_reason(void)
{
	static const struct {
		int		 status;
		const char	*reason;
	} want[] = {
		{ 200, "OK" }, { 201, "Created" }, { 400, "Bad Request" },
		{ 401, "Unauthorized" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 409, "Conflict" }, { 413, "Payload Too Large" },
		{ 500, "Internal Server Error" },
		{ 503, "Service Unavailable" },
	};
	size_t	i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ok(strcmp(http_reason(want[i].status), want[i].reason) == 0,
		    "http_reason(%d) is %s", want[i].status, want[i].reason);
	ok(strcmp(http_reason(302), "Unknown") == 0, "http_reason(302) is "
	    "Unknown");
	ok(strcmp(http_reason(0), "Unknown") == 0, "http_reason(0) is "
	    "Unknown");
}

/* A response as the front end hands it to a handler. */
static void
fresh(struct response *r)
{
	memset(r, 0, sizeof(*r));
	http_response_reset(r);
}

static void
test_error(void)
{
	static const struct {
		enum outcome	 o;
		int		 status;
		const char	*message;
	} all[] = {
		{ OUT_BAD_REQUEST, 400, "Bad Request" },
		{ OUT_UNAUTHORIZED, 401, "Unauthorized" },
		{ OUT_FORBIDDEN, 403, "Forbidden" },
		{ OUT_NOT_FOUND, 404, "Not Found" },
		{ OUT_METHOD_NOT_ALLOWED, 405, "Method Not Allowed" },
		{ OUT_CONFLICT, 409, "Conflict" },
		{ OUT_TOO_LARGE, 413, "Payload Too Large" },
		{ OUT_INTERNAL, 500, "Internal Server Error" },
		{ OUT_UNAVAILABLE, 503, "Service Unavailable" },
	};
	struct response	r;
	char		want[256];
	size_t		i;

	fresh(&r);
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		http_error(&r, all[i].o, "the \"detail\"");
		snprintf(want, sizeof(want), "{\"status\":\"error\",\"message\":"
		    "\"%s\",\"error\":\"the \\\"detail\\\"\"}", all[i].message);
		ok(r.status == all[i].status && strcmp(r.body.data, want) == 0 &&
		    r.retry_after == (all[i].status == 503 ? 1u : 0u),
		    "http_error %d: %s (Retry-After only on 503)",
		    all[i].status, r.body.data);
	}
	buf_free(&r.body);
}

static void
test_fault(void)
{
	struct response	r;
	const char	*p;

	fresh(&r);
	http_fault(&r, OUT_INTERNAL, "secret: MariaDB error 1045: denied");
	p = r.body.data != NULL ? strstr(r.body.data, "\"error\":\"request id ")
	    : NULL;
	ok(r.status == 500 && r.retry_after == 0 && p != NULL &&
	    strspn(p + 20, "0123456789abcdef") == 16 &&
	    strcmp(p + 36, "\"}") == 0, "a 500 names a request id: %s",
	    r.body.data);
	ok(strstr(r.body.data, "secret") == NULL &&
	    strstr(r.body.data, "MariaDB") == NULL &&
	    strstr(r.body.data, "\"message\":\"Internal Server Error\"") != NULL,
	    "and shows no internals");
	http_response_reset(&r);
	http_fault(&r, OUT_UNAVAILABLE, "down");
	ok(r.status == 503 && r.retry_after == 1 &&
	    strstr(r.body.data, "\"message\":\"Service Unavailable\"") != NULL,
	    "a 503 carries Retry-After: 1");
	buf_free(&r.body);
}

static void
test_reset(void)
{
	struct response	r;
	char		*mem;

	fresh(&r);
	http_error(&r, OUT_METHOD_NOT_ALLOWED, "x");
	r.content_type = "text/plain";
	r.allow = "GET";
	r.www_authenticate = "Bearer";
	snprintf(r.location, sizeof(r.location), "/x");
	r.retry_after = 1;
	mem = r.body.data;
	http_response_reset(&r);
	ok(r.status == 0 && r.content_type == NULL && r.allow == NULL &&
	    r.www_authenticate == NULL && r.location[0] == '\0' &&
	    r.retry_after == 0, "http_response_reset forgets every header");
	ok(r.body.len == 0 && r.body.data == mem && r.body.data[0] == '\0' &&
	    r.body.cap > 0, "and empties the body but keeps its memory");
	buf_free(&r.body);
}

int
main(void)
{
	test_query();
	test_query_more();
	test_content_type();
	test_reason();
	test_error();
	test_fault();
	test_reset();
	return done_testing();
}
