/* route.c: method + path -> handler, from one table. */
#include <string.h>

#include "control.h"
#include "http.h"
#include "record.h"
#include "route.h"
#include "session.h"

typedef void (*handler)(struct app *, struct request *, struct response *);

struct route {
	const char	*method;
	const char	*path;		/* the full request path; "{}" stands
					   for one non-empty segment */
	handler		 handle;
};

#define PROD	"/api/control/production"

static const struct route routes[] = {
	{ "POST", PROD "/records",			record_create },
	{ "GET",  PROD "/records/{}",			record_get },
	{ "POST", PROD "/sessions",			session_open },
	{ "GET",  PROD "/sessions/{}",			session_get },
	{ "POST", PROD "/sessions/{}/close",		session_close },
	{ "GET",  PROD "/sessions/{}/records",		session_records },
	{ "GET",  "/api/control/health",		control_health },
	{ "GET",  "/api/control/status",		control_status },
};
#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

/*
 * Does path (len bytes) match pattern?  On a match, *param and *param_len
 * give the segment "{}" stood for (NULL when the pattern has none).
 */
static int
match(const char *pattern, const char *path, size_t len, const char **param,
    size_t *param_len)
{
	const char	*hole = strstr(pattern, "{}");
	size_t		 head, tail, seg;

	*param = NULL;
	*param_len = 0;
	if (hole == NULL)
		return strlen(pattern) == len && memcmp(pattern, path, len) == 0;
	head = (size_t)(hole - pattern);
	tail = strlen(hole + 2);
	if (len <= head + tail || memcmp(pattern, path, head) != 0 ||
	    memcmp(hole + 2, path + len - tail, tail) != 0)
		return 0;
	seg = len - head - tail;
	if (memchr(path + head, '/', seg) != NULL)
		return 0;
	*param = path + head;
	*param_len = seg;
	return 1;
}

/* The methods served on a path, for the 405's Allow header. */
static const char *
allowed_methods(const struct request *req, char *out, size_t outsz)
{
	const char	*param;
	size_t		 i, plen;

	out[0] = '\0';
	for (i = 0; i < NROUTES; i++) {
		if (!match(routes[i].path, req->path, req->path_len, &param,
		    &plen) || strstr(out, routes[i].method) != NULL)
			continue;
		if (out[0] != '\0')
			strncat(out, ", ", outsz - strlen(out) - 1);
		strncat(out, routes[i].method, outsz - strlen(out) - 1);
	}
	return out;
}

/*
 * Dispatch on the full path (the web server's prefix mapping does not
 * matter): unknown path 404, known path with another method 405 + Allow.
 */
void
route_request(struct app *app, struct request *req, struct response *resp)
{
	static char	 allow[32];
	int		 path_known = 0;
	size_t		 i;

	for (i = 0; i < NROUTES; i++) {
		if (!match(routes[i].path, req->path, req->path_len,
		    &req->param, &req->param_len))
			continue;
		if (strcmp(routes[i].method, req->method) == 0) {
			routes[i].handle(app, req, resp);
			return;
		}
		path_known = 1;
	}
	if (path_known) {
		resp->allow = allowed_methods(req, allow, sizeof(allow));
		http_error(resp, OUT_METHOD_NOT_ALLOWED,
		    "this path does not serve that method");
		return;
	}
	http_error(resp, OUT_NOT_FOUND, "no such path");
}
