/* http.c: request outcomes mapped to status and error body, in one place. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "log.h"
#include "reply.h"
#include "rnd.h"

#define RETRY_AFTER_SECONDS	1	/* a 503's Retry-After */

static const struct {
	int		 status;
	const char	*message;	/* the error body's "message" */
	unsigned	 retry_after;	/* Retry-After seconds, or 0: none */
} outcomes[OUT__MAX] = {
	[OUT_OK] =			{ 200, "OK" },
	[OUT_CREATED] =			{ 201, "Created" },
	[OUT_BAD_REQUEST] =		{ 400, "Bad Request" },
	[OUT_UNAUTHORIZED] =		{ 401, "Unauthorized" },
	[OUT_FORBIDDEN] =		{ 403, "Forbidden" },
	[OUT_NOT_FOUND] =		{ 404, "Not Found" },
	[OUT_METHOD_NOT_ALLOWED] =	{ 405, "Method Not Allowed" },
	[OUT_CONFLICT] =		{ 409, "Conflict" },
	[OUT_TOO_LARGE] =		{ 413, "Payload Too Large" },
	[OUT_INTERNAL] =		{ 500, "Internal Server Error" },
	[OUT_UNAVAILABLE] =		{ 503, "Service Unavailable",
					    RETRY_AFTER_SECONDS },
};

/* Forget the previous request's answer but keep the body's memory. */
void
http_response_reset(struct response *r)
{
	r->status = 0;
	r->content_type = NULL;
	r->allow = NULL;
	r->www_authenticate = NULL;
	r->location[0] = '\0';
	r->retry_after = 0;
	buf_reset(&r->body);
}

/* Answer with outcome's status (and Retry-After); the body is the caller's. */
void
http_status(struct response *r, enum outcome outcome)
{
	r->status = outcomes[outcome].status;
	r->retry_after = outcomes[outcome].retry_after;
}

/*
 * Answer with outcome's status and the error shape of CONTRACT section 5;
 * detail becomes "error".  If even that body cannot be built, the status
 * stands with an empty body (the front end still answers).
 */
void
http_error(struct response *r, enum outcome outcome, const char *detail)
{
	http_status(r, outcome);
	if (reply_error(&r->body, outcomes[outcome].message, detail) == -1)
		buf_reset(&r->body);
}

/*
 * Answer a fault (500, or 503 while the database is unreachable) without
 * showing internals: "error" holds a fresh request id, and one log line
 * ties that id to the cause.
 */
void
http_fault(struct response *r, enum outcome outcome, const char *cause)
{
	char	id[17], detail[48];

	if (rnd_request_id(id) == -1)
		snprintf(id, sizeof(id), "unknown");
	log_warnx("request %s: %d: %s", id, outcomes[outcome].status, cause);
	snprintf(detail, sizeof(detail), "request id %s", id);
	http_error(r, outcome, detail);
}

/*
 * Is the Content-Type application/json, with at most parameters after it
 * (charset=utf-8 and the like)?  Case-insensitive, as media types are.
 */
int
http_content_type_is_json(const char *ct)
{
	static const char	json[] = "application/json";
	size_t			len = sizeof(json) - 1;

	if (ct == NULL)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, json, len) != 0)
		return 0;
	ct += len;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/* The reason phrase for a status this program answers with. */
const char *
http_reason(int status)
{
	int	i;

	for (i = 0; i < OUT__MAX; i++)
		if (outcomes[i].status == status)
			return outcomes[i].message;
	return "Unknown";
}

/*
 * The value of parameter name in a query string ("a=1&b=2"), not decoded:
 * the values this program takes are plain ASCII.  The first occurrence
 * wins.  Returns 1 with *val and *len set, or 0 when absent.
 */
int
http_query_param(const char *query, const char *name, const char **val,
    size_t *len)
{
	size_t		 nlen = strlen(name), plen;
	const char	*p = query;

	while (p != NULL && *p != '\0') {
		plen = strcspn(p, "&");
		if (plen > nlen && strncmp(p, name, nlen) == 0 &&
		    p[nlen] == '=') {
			*val = p + nlen + 1;
			*len = plen - nlen - 1;
			return 1;
		}
		if (plen == nlen && strncmp(p, name, nlen) == 0) {
			*val = p + plen;
			*len = 0;
			return 1;
		}
		p += plen;
		if (*p == '&')
			p++;
	}
	return 0;
}
