/* api.c: the steps every API handler shares: token, body, path ids, faults. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "app.h"
#include "auth.h"
#include "config.h"
#include "json.h"

/*
 * The token (CONTRACT section 2): fills user and returns 0, or answers 401
 * with its WWW-Authenticate challenge and returns -1.
 */
int
api_user(const struct request *req, struct response *resp,
    char user[USER_ID_MAX + 1])
{
	const char	*why = NULL;

	switch (auth_check(req->authorization, time(NULL), user, &why)) {
	case AUTH_OK:
		return 0;
	case AUTH_NO_TOKEN:
		resp->www_authenticate = "Bearer";
		http_error(resp, OUT_UNAUTHORIZED,
		    "an Authorization: Bearer token is required");
		return -1;
	default:
		resp->www_authenticate = "Bearer error=\"invalid_token\"";
		http_error(resp, OUT_UNAUTHORIZED, why != NULL ? why :
		    "invalid token");
		return -1;
	}
}

static void
too_large(struct response *resp, size_t max)
{
	char	detail[96];

	snprintf(detail, sizeof(detail), "request body is larger than %zu "
	    "bytes", max);
	http_error(resp, OUT_TOO_LARGE, detail);
}

/* Read the whole body into app->body.  Returns 0, or answers and -1. */
static int
read_body(struct app *app, struct request *req, struct response *resp)
{
	if (req->content_length == CONTENT_LENGTH_BAD) {
		http_error(resp, OUT_BAD_REQUEST,
		    "Content-Length is not a number");
		return -1;
	}
	switch (req->read_body(req, &app->body, app->cfg->max_body)) {
	case BODY_OK:
		return 0;
	case BODY_NO_MEMORY:
		http_fault(resp, OUT_INTERNAL, "out of memory reading body");
		return -1;
	case BODY_TOO_LARGE:
		too_large(resp, app->cfg->max_body);
		return -1;
	case BODY_SHORT:
	default:
		http_error(resp, OUT_BAD_REQUEST,
		    "request body is shorter than its Content-Length");
		return -1;
	}
}

static int
not_json(struct response *resp)
{
	http_error(resp, OUT_BAD_REQUEST, "Content-Type must be "
	    "application/json");
	return -1;
}

/*
 * The body checks of CONTRACT section 1, in order: size (413), media type
 * (400), a JSON object (400).  With optional, an empty body is no body:
 * *body stays NULL and no media type is needed.  Returns 0 with *body set
 * (the caller frees it), or answers and returns -1.
 */
int
api_read_json(struct app *app, struct request *req, struct response *resp,
    int optional, struct jbody **body)
{
	const char	*why = NULL;
	int		 is_json = http_content_type_is_json(req->content_type);

	*body = NULL;
	if (req->content_length > (long long)app->cfg->max_body) {
		too_large(resp, app->cfg->max_body);
		return -1;
	}
	if (!optional && !is_json)
		return not_json(resp);
	if (read_body(app, req, resp) == -1)
		return -1;
	if (optional && app->body.len == 0)
		return 0;
	if (!is_json)
		return not_json(resp);
	if (json_body_parse(app->body.data, app->body.len, body, &why) == -1) {
		if (why == NULL)
			http_fault(resp, OUT_INTERNAL, "out of memory parsing "
			    "body");
		else
			http_error(resp, OUT_BAD_REQUEST, why);
		return -1;
	}
	return 0;
}

/*
 * The session id in the path, lower-cased into out.  One that is not 24
 * hexadecimal digits names no session: 404, and -1.
 */
int
api_session_id(const struct request *req, struct response *resp,
    char out[SESSION_ID_LEN + 1])
{
	if (session_id_parse(req->param, req->param_len, out) == -1) {
		http_error(resp, OUT_NOT_FOUND, "no such session");
		return -1;
	}
	return 0;
}

/* What a failed database call answers: 503 while unreachable, else 500. */
enum outcome
api_db_outcome(enum db_status st)
{
	return st == DB_UNAVAILABLE ? OUT_UNAVAILABLE : OUT_INTERNAL;
}

/* Answer a failed database call (api_db_outcome), with its log line. */
void
api_db_fault(struct response *resp, enum db_status st)
{
	http_fault(resp, api_db_outcome(st), db_last_error());
}

/*
 * The session's owner check (CONTRACT section 8), after the lookup that
 * ended in st found owner: 0 when the session exists and is user's, or
 * the 404, the fault or the 403 (with forbidden, or the usual sentence
 * when NULL) answered and -1.
 */
int
api_session_owner(struct response *resp, enum db_status st,
    const char *owner, const char *user, const char *forbidden)
{
	if (st == DB_NOT_FOUND) {
		http_error(resp, OUT_NOT_FOUND, "no such session");
		return -1;
	}
	if (st != DB_OK) {
		api_db_fault(resp, st);
		return -1;
	}
	if (strcmp(owner, user) != 0) {
		http_error(resp, OUT_FORBIDDEN, forbidden != NULL ? forbidden :
		    "the session belongs to another user");
		return -1;
	}
	return 0;
}
