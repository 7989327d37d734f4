/* http.h: the request and response as handlers see them, and request outcomes. */
#ifndef PRODREC_HTTP_H
#define PRODREC_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Every way a request can end; http.c's outcomes[] gives each its status and message. */
enum outcome {
	OUT_OK,			/* 200 */
	OUT_CREATED,		/* 201 */
	OUT_BAD_REQUEST,	/* 400 */
	OUT_UNAUTHORIZED,	/* 401 */
	OUT_FORBIDDEN,		/* 403 */
	OUT_NOT_FOUND,		/* 404 */
	OUT_METHOD_NOT_ALLOWED,	/* 405 */
	OUT_CONFLICT,		/* 409 */
	OUT_TOO_LARGE,		/* 413 */
	OUT_INTERNAL,		/* 500 */
	OUT_UNAVAILABLE,	/* 503 */
	OUT__MAX
};

#define CONTENT_LENGTH_ABSENT	(-1)	/* no CONTENT_LENGTH */
#define CONTENT_LENGTH_BAD	(-2)	/* CONTENT_LENGTH is not a number */

/* How reading a request's body ended. */
enum body_read {
	BODY_OK,
	BODY_SHORT,		/* fewer bytes than CONTENT_LENGTH, or it is bad */
	BODY_TOO_LARGE,		/* more than the largest body taken */
	BODY_NO_MEMORY
};

struct request {
	const char	*method;		/* REQUEST_METHOD */
	const char	*path;			/* request path, no query string */
	size_t		 path_len;
	const char	*query;			/* QUERY_STRING or "" */
	const char	*content_type;		/* CONTENT_TYPE or NULL */
	long long	 content_length;	/* CONTENT_LENGTH, or CONTENT_LENGTH_* */
	const char	*authorization;		/* HTTP_AUTHORIZATION or NULL */
	const char	*idempotency_key;	/* HTTP_IDEMPOTENCY_KEY or NULL */
	const char	*remote_addr;		/* REMOTE_ADDR or NULL */
	/* The front end's reader: the whole body into b, at most max bytes. */
	enum body_read	(*read_body)(struct request *, struct buf *b, size_t max);
	void		*io;			/* the front end's stream, for read_body */
	const char	*param;			/* the route's {id} segment, or NULL */
	size_t		 param_len;
};

struct response {
	int		 status;		/* HTTP status */
	const char	*content_type;		/* NULL: application/json; charset=utf-8 */
	const char	*allow;			/* Allow header (405) or NULL */
	const char	*www_authenticate;	/* WWW-Authenticate (401) or NULL */
	char		 location[128];		/* Location (201) or "" */
	unsigned	 retry_after;		/* Retry-After seconds (503) or 0 */
	struct buf	 body;			/* JSON body */
};

/* http.c */
void	http_response_reset(struct response *);
void	http_status(struct response *, enum outcome);
void	http_error(struct response *, enum outcome, const char *detail);
void	http_fault(struct response *, enum outcome, const char *cause);
int	http_content_type_is_json(const char *);
int	http_query_param(const char *query, const char *name, const char **val,
	    size_t *len);
const char	*http_reason(int status);

#endif
