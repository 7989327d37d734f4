/* route.c: method + path -> handler, from one table. */
#include <string.h>

#include "app.h"
#include "record.h"
#include "route.h"

typedef void (*handler)(struct app *, struct request *, struct response *);

struct route {
	const char	*method;
	const char	*path;		/* the full request path */
	handler		 handle;
};

static const struct route routes[] = {
	{ "POST", "/api/control/production/records", record_create },
};
#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

/* Methods served on the path of route r, for the 405's Allow header. */
static const char *
allowed_methods(const struct route *r)
{
	/* One method per path today; a path served by several lists them. */
	return r->method;
}

/*
 * Dispatch on the full path (the web server's prefix mapping does not
 * matter): unknown path 404, known path with another method 405 + Allow.
 */
void
route_request(struct app *app, struct request *req, struct response *resp)
{
	const struct route	*path_match = NULL;
	size_t			 i;

	for (i = 0; i < NROUTES; i++) {
		if (strlen(routes[i].path) != req->path_len ||
		    memcmp(routes[i].path, req->path, req->path_len) != 0)
			continue;
		if (strcmp(routes[i].method, req->method) == 0) {
			routes[i].handle(app, req, resp);
			return;
		}
		path_match = &routes[i];
	}
	if (path_match != NULL) {
		resp->allow = allowed_methods(path_match);
		http_error(resp, OUT_METHOD_NOT_ALLOWED,
		    "this path does not serve that method");
		return;
	}
	http_error(resp, OUT_NOT_FOUND, "no such path");
}
