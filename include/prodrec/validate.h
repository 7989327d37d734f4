/* validate.h: the field rules of CONTRACT section 1, as a table of validators. */
#ifndef PRODREC_VALIDATE_H
#define PRODREC_VALIDATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ids.h"

struct jbody;		/* json.h */

/* Limits a request is checked against (from the configuration). */
struct limits {
	unsigned	max_units;		/* largest units accepted */
	long		max_clock_skew;		/* seconds recordedAtUtc may lie ahead */
};

/*
 * A validated create-record request.  String members point into the parsed
 * body (or the request's header) and live as long as it does; they are not
 * NUL-terminated unless stated.
 */
struct record_input {
	char		 session_id[SESSION_ID_LEN + 1];	/* lower-case, NUL-terminated */
	const char	*worker_id;
	size_t		 worker_id_len;
	const char	*worker_name;
	size_t		 worker_name_len;
	uint32_t	 units;
	int64_t		 recorded_at_ms;	/* ms since 1970-01-01T00:00:00Z */
	const char	*client_event_id;
	size_t		 client_event_id_len;
	const char	*idempotency_key;	/* NULL when absent */
	size_t		 idempotency_key_len;
	const char	*auth0_id;		/* NULL when absent */
	size_t		 auth0_id_len;
};

/* A validated open-session request; strings point into the body. */
struct session_input {
	const char	*label;			/* NULL when absent */
	size_t		 label_len;
	const char	*client_event_id;	/* NULL when absent */
	size_t		 client_event_id_len;
};

/* Why a request was refused: the field and the rule, for the 400's "error". */
struct vfail {
	const char	*field;		/* e.g. "units" */
	char		 detail[192];	/* e.g. "units must be an integer from 1 to 1000000" */
};

/* validate.c */
int	validate_record(const struct jbody *, const char *key_header,
	    size_t key_header_len, const struct limits *, time_t now,
	    struct record_input *, struct vfail *);
int	validate_session(const struct jbody *, struct session_input *,
	    struct vfail *);

#endif
