/* session.c: open, close and read sessions, and list their records (CONTRACT section 8). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "db.h"
#include "json.h"
#include "reply.h"
#include "rnd.h"
#include "session.h"
#include "validate.h"

#define SESSIONS_PATH	"/api/control/production/sessions/"
#define OPEN_ATTEMPTS	3	/* fresh ids to try if one is taken */
#define CLOSE_ATTEMPTS	3	/* closes to try if the session is reopened */

/* Answer the session v, with "idempotent" unless it is -1. */
static void
answer(struct response *resp, enum outcome outcome,
    const struct session_view *v, int idempotent)
{
	if (reply_session(&resp->body, v, idempotent) == -1) {
		http_fault(resp, OUT_INTERNAL, "out of memory building answer");
		return;
	}
	http_status(resp, outcome);
	if (outcome == OUT_CREATED)
		snprintf(resp->location, sizeof(resp->location), "%s%s",
		    SESSIONS_PATH, v->session_id);
}

/*
 * Read the session and check it is user's: 0 with v filled, or the 404,
 * 403 or fault answered and -1.
 */
static int
owned_session(struct response *resp, const char *id, const char *user,
    struct session_view *v)
{
	return api_session_owner(resp, db_session_view(id, v), v->owner, user,
	    NULL);
}

/* Does the stored label equal the request's (both absent counts)? */
static int
same_label(const struct session_view *v, const struct session_input *in)
{
	if (!v->has_label || in->label == NULL)
		return !v->has_label && in->label == NULL;
	return v->label_len == in->label_len &&
	    memcmp(v->label, in->label, in->label_len) == 0;
}

/*
 * The open matched the user's session with this clientEventId: replay it
 * (200) if the label agrees, else 409.  Returns 0 when found, 1 when no
 * such session exists (the id itself was taken: try another), -1 answered.
 */
static int
replay_open(struct response *resp, const char *user,
    const struct session_input *in)
{
	struct session_view	v;
	enum db_status		st;
	char			id[SESSION_ID_LEN + 1];

	if (in->client_event_id == NULL)
		return 1;
	st = db_session_by_event(user, in->client_event_id,
	    in->client_event_id_len, id);
	if (st == DB_NOT_FOUND)
		return 1;
	if (st != DB_OK) {
		api_db_fault(resp, st);
		return -1;
	}
	if (owned_session(resp, id, user, &v) == -1)
		return -1;
	if (!same_label(&v, in)) {
		http_error(resp, OUT_CONFLICT, "clientEventId was already used "
		    "to open a session with a different label");
		return -1;
	}
	answer(resp, OUT_OK, &v, 1);
	return 0;
}

/*
 * The open inserted nothing: is the row with our new id ours after all,
 * from an attempt that committed before a lost connection was retried
 * (db_conn.c runs a statement again after reconnecting)?  1 yes, 0 no (a
 * clientEventId matched, or the id was another's), -1 answered a fault.
 */
static int
committed_by_us(struct response *resp, const char *id, const char *user)
{
	struct session_view	v;
	enum db_status		st;

	if ((st = db_session_view(id, &v)) == DB_NOT_FOUND)
		return 0;
	if (st != DB_OK) {
		api_db_fault(resp, st);
		return -1;
	}
	return strcmp(v.owner, user) == 0;
}

/* Store a new session for user (201), or find the one to replay (200). */
static void
open_new(struct response *resp, const char *user,
    const struct session_input *in)
{
	struct session_new	n = { .owner = user, .label = in->label,
				    .label_len = in->label_len,
				    .client_event_id = in->client_event_id,
				    .client_event_id_len =
				    in->client_event_id_len };
	struct session_view	v;
	enum db_status		st;
	int			attempt, created;

	for (attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
		if (rnd_session_id(n.session_id, time(NULL)) == -1) {
			http_fault(resp, OUT_INTERNAL, "getrandom failed");
			return;
		}
		if ((st = db_session_open(&n, &created)) != DB_OK) {
			api_db_fault(resp, st);
			return;
		}
		if (!created && (created = committed_by_us(resp, n.session_id,
		    user)) == -1)
			return;
		if (created) {
			if (owned_session(resp, n.session_id, user, &v) == 0)
				answer(resp, OUT_CREATED, &v, 0);
			return;
		}
		if (replay_open(resp, user, in) <= 0)
			return;
	}
	http_fault(resp, OUT_INTERNAL, "no free session id after retries");
}

/* POST /api/control/production/sessions */
void
session_open(struct app *app, struct request *req, struct response *resp)
{
	struct session_input	 in;
	struct vfail		 fail;
	struct jbody		*body = NULL;
	char			 user[USER_ID_MAX + 1];

	if (api_user(req, resp, user) == -1 ||
	    api_read_json(app, req, resp, 1, &body) == -1)
		goto done;
	if (validate_session(body, &in, &fail) == -1) {
		http_error(resp, OUT_BAD_REQUEST, fail.detail);
		goto done;
	}
	open_new(resp, user, &in);
done:
	json_body_free(body);
}

/*
 * POST /api/control/production/sessions/{sessionId}/close.  The totals in
 * the answer are read after the close committed, so they are final (see
 * db_session_close).  A session someone reopened with SQL between the two
 * statements is closed again.
 */
void
session_close(struct app *app, struct request *req, struct response *resp)
{
	struct session_view	v;
	enum db_status		st;
	char			user[USER_ID_MAX + 1], id[SESSION_ID_LEN + 1];
	int			attempt, closed_now;

	(void)app;
	if (api_user(req, resp, user) == -1 ||
	    api_session_id(req, resp, id) == -1)
		return;
	for (attempt = 0; attempt < CLOSE_ATTEMPTS; attempt++) {
		if ((st = db_session_close(id, user, &closed_now)) != DB_OK) {
			api_db_fault(resp, st);
			return;
		}
		if (owned_session(resp, id, user, &v) == -1)
			return;
		if (v.state == SESSION_CLOSED) {
			answer(resp, OUT_OK, &v, !closed_now);
			return;
		}
	}
	http_fault(resp, OUT_INTERNAL, "the session kept being reopened");
}

/* GET /api/control/production/sessions/{sessionId} */
void
session_get(struct app *app, struct request *req, struct response *resp)
{
	struct session_view	v;
	char			user[USER_ID_MAX + 1], id[SESSION_ID_LEN + 1];

	(void)app;
	if (api_user(req, resp, user) == -1 ||
	    api_session_id(req, resp, id) == -1 ||
	    owned_session(resp, id, user, &v) == -1)
		return;
	answer(resp, OUT_OK, &v, -1);
}

/* Where a page stands while its records are written. */
struct page {
	struct buf	*b;
	unsigned	 limit;		/* records to show */
	unsigned	 n;		/* records seen, up to limit + 1 */
	char		 last[RECORD_ID_LEN + 1];	/* the last recordId
							   written */
};

/* db_record_page's callback: write the first limit records, count one more. */
static int
page_row(const struct record_row *r, void *arg)
{
	struct page	*p = arg;

	if (++p->n > p->limit)
		return 0;
	memcpy(p->last, r->record_id, sizeof(p->last));
	return reply_page_item(p->b, r, p->n == 1);
}

/* ?limit=: 1..PAGE_MAX in plain digits, PAGE_DEFAULT when absent.  0 or -1. */
static int
parse_limit(const char *query, unsigned *limit)
{
	const char	*v;
	size_t		 len, i;

	*limit = PAGE_DEFAULT;
	if (!http_query_param(query, "limit", &v, &len))
		return 0;
	if (len == 0 || len > 3)
		return -1;
	for (*limit = 0, i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		*limit = *limit * 10 + (unsigned)(v[i] - '0');
	}
	return *limit >= 1 && *limit <= PAGE_MAX ? 0 : -1;
}

/*
 * The query of a page: limit, and the recordId to start after (after[0]
 * is NUL when absent).  Returns 0, or answers 400 and returns -1.
 */
static int
page_query(const struct request *req, struct response *resp,
    unsigned *limit, char after[RECORD_ID_LEN + 1])
{
	const char	*v;
	size_t		 len;
	char		 detail[96];

	if (parse_limit(req->query, limit) == -1) {
		snprintf(detail, sizeof(detail), "limit must be an integer "
		    "from 1 to %d", PAGE_MAX);
		http_error(resp, OUT_BAD_REQUEST, detail);
		return -1;
	}
	after[0] = '\0';
	if (http_query_param(req->query, "after", &v, &len) &&
	    record_id_parse(v, len, after) == -1) {
		http_error(resp, OUT_BAD_REQUEST, "after must be a recordId "
		    "from the previous page");
		return -1;
	}
	return 0;
}

/* The id of the record after names, which must belong to session id. */
static int
after_row(struct response *resp, const char *id, const char *after,
    uint64_t *after_id)
{
	struct record_row	r;
	enum db_status		st;

	*after_id = 0;
	if (after[0] == '\0')
		return 0;
	st = db_record_by_public_id(after, &r);
	if (st == DB_NOT_FOUND || (st == DB_OK &&
	    strcmp(r.session_id, id) != 0)) {
		http_error(resp, OUT_BAD_REQUEST, "after names no record of "
		    "this session");
		return -1;
	}
	if (st != DB_OK) {
		api_db_fault(resp, st);
		return -1;
	}
	*after_id = r.id;
	return 0;
}

/*
 * GET /api/control/production/sessions/{sessionId}/records?limit=&after=
 * Keyset pagination: one record more than the page is read, so "next" is
 * null exactly when no record follows.  A page that ends early because the
 * records after it are not settled yet (db_record_page, on a Galera node)
 * names its last record as "next" too.
 */
void
session_records(struct app *app, struct request *req, struct response *resp)
{
	struct session_row	s;
	struct page		p = { .b = &resp->body };
	enum db_status		st;
	uint64_t		after_id;
	int			cut;
	char			user[USER_ID_MAX + 1], id[SESSION_ID_LEN + 1];
	char			after[RECORD_ID_LEN + 1];

	(void)app;
	if (api_user(req, resp, user) == -1 ||
	    api_session_id(req, resp, id) == -1 ||
	    page_query(req, resp, &p.limit, after) == -1)
		return;
	if (api_session_owner(resp, db_session_get(id, &s), s.owner, user,
	    NULL) == -1 || after_row(resp, id, after, &after_id) == -1)
		return;
	if (reply_page_begin(p.b) == -1 || (st = db_record_page(id, after_id,
	    p.limit + 1, s.state == SESSION_OPEN, page_row, &p, &cut)) !=
	    DB_OK || reply_page_end(p.b, p.n > p.limit || (cut && p.n > 0) ?
	    p.last : NULL) == -1) {
		if (st != DB_OK)
			api_db_fault(resp, st);
		else
			http_fault(resp, OUT_INTERNAL, "out of memory building "
			    "answer");
		return;
	}
	http_status(resp, OUT_OK);
}
