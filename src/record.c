/* record.c: POST /api/control/production/records: check -> decide -> answer. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "app.h"
#include "config.h"
#include "db.h"
#include "json.h"
#include "record.h"
#include "reply.h"
#include "rnd.h"
#include "validate.h"

#define DECIDE_ATTEMPTS	3	/* insert tries when a session appears meanwhile */

/* What the decision produced, for the answer. */
struct decision {
	enum outcome	 outcome;
	char		 record_id[RECORD_ID_LEN + 1];
	const char	*detail;	/* 4xx: the "error" text */
	const char	*fault;		/* 5xx: the logged cause */
};

/* Does the stored row carry the same payload as the request (CONTRACT 4)? */
static int
same_payload(const struct record_input *in, const struct record_row *r)
{
	return strcmp(r->session_id, in->session_id) == 0 &&
	    r->worker_id_len == in->worker_id_len &&
	    memcmp(r->worker_id, in->worker_id, in->worker_id_len) == 0 &&
	    r->worker_name_len == in->worker_name_len &&
	    memcmp(r->worker_name, in->worker_name, in->worker_name_len) == 0 &&
	    r->units == in->units &&
	    r->recorded_at_ms == in->recorded_at_ms &&
	    r->client_event_id_len == in->client_event_id_len &&
	    memcmp(r->client_event_id, in->client_event_id,
	    in->client_event_id_len) == 0 &&
	    r->has_idempotency_key == (in->idempotency_key != NULL) &&
	    (in->idempotency_key == NULL ||
	    (r->idempotency_key_len == in->idempotency_key_len &&
	    memcmp(r->idempotency_key, in->idempotency_key,
	    in->idempotency_key_len) == 0));
}

/* A 5xx decision from a failed database call (api_db_outcome). */
static void
fault_from_db(struct decision *d, enum db_status st)
{
	d->outcome = api_db_outcome(st);
	d->fault = db_last_error();
}

/* An existing row matched one of the request's keys: replay or conflict. */
static void
replay_or_conflict(struct decision *d, const struct record_input *in,
    const struct record_row *row)
{
	if (!same_payload(in, row)) {
		d->outcome = OUT_CONFLICT;
		d->detail = "clientEventId or idempotencyKey was already used "
		    "for a record with a different payload";
		return;
	}
	/* Our own insert, committed before a lost connection was retried. */
	d->outcome = strcmp(row->record_id, d->record_id) == 0 ?
	    OUT_CREATED : OUT_OK;
	memcpy(d->record_id, row->record_id, sizeof(d->record_id));
}

/*
 * The slow path, after the insert stored nothing: say why, in the order of
 * CONTRACT section 3, or find the replay of a record accepted before the
 * session closed.  Returns 1 when the insert should be tried again (the
 * session is open and owned after all: it was opened meanwhile).
 */
static int
why_not_stored(struct decision *d, const struct record_input *in, const char *user)
{
	struct session_row	s;
	struct record_row	row;
	enum db_status		st;

	if ((st = db_session_get(in->session_id, &s)) == DB_NOT_FOUND) {
		d->outcome = OUT_NOT_FOUND;
		d->detail = "sessionId names no session";
		return 0;
	}
	if (st != DB_OK) {
		fault_from_db(d, st);
		return 0;
	}
	if (strcmp(s.owner, user) != 0) {
		d->outcome = OUT_FORBIDDEN;
		d->detail = "the session belongs to another user";
		return 0;
	}
	if ((st = db_record_by_keys(in, user, &row)) == DB_OK) {
		replay_or_conflict(d, in, &row);
		return 0;
	}
	if (st != DB_NOT_FOUND) {
		fault_from_db(d, st);
		return 0;
	}
	if (s.state == SESSION_CLOSED) {
		d->outcome = OUT_CONFLICT;
		d->detail = "the session is closed";
		return 0;
	}
	return 1;
}

/*
 * Store the record or recognise it: one statement, db_record_insert(), for
 * a new record and for a duplicate (which hands back the stored row, to
 * compare payloads); its comment in db_sql.h says why the decision is
 * race-free.
 */
static void
decide(struct decision *d, const struct record_input *in, const char *user)
{
	struct record_row	row;
	enum db_insert		ins;
	enum db_status		st;
	int			attempt;

	if (rnd_record_id(d->record_id) == -1) {
		d->outcome = OUT_INTERNAL;
		d->fault = "getrandom failed";
		return;
	}
	for (attempt = 0; attempt < DECIDE_ATTEMPTS; attempt++) {
		if ((st = db_record_insert(in, user, d->record_id, &ins,
		    &row)) != DB_OK) {
			fault_from_db(d, st);
			return;
		}
		if (ins == INSERT_CREATED) {
			d->outcome = OUT_CREATED;
			return;
		}
		if (ins == INSERT_DUPLICATE) {
			replay_or_conflict(d, in, &row);
			return;
		}
		if (!why_not_stored(d, in, user))
			return;
	}
	d->outcome = OUT_INTERNAL;
	d->fault = "session state kept changing during the insert";
}

/*
 * Check the request and its body into in; *body owns what in points to.
 * Returns 0, or answers and returns -1.
 */
static int
read_input(struct app *app, struct request *req, struct response *resp,
    char user[USER_ID_MAX + 1], struct jbody **body, struct record_input *in)
{
	struct limits	 lim = { app->cfg->max_units, app->cfg->max_clock_skew };
	struct vfail	 fail;
	const char	*key = req->idempotency_key;

	if (api_user(req, resp, user) == -1 ||
	    api_read_json(app, req, resp, 0, body) == -1)
		return -1;
	if (validate_record(*body, key, key != NULL ? strlen(key) : 0,
	    &lim, time(NULL), in, &fail) == -1) {
		http_error(resp, OUT_BAD_REQUEST, fail.detail);
		return -1;
	}
	return 0;
}

/* Answer a decision: the record preview for 200/201, else an error. */
static void
answer(struct response *resp, const struct decision *d,
    const struct record_input *in)
{
	struct preview	p;

	if (d->outcome == OUT_INTERNAL || d->outcome == OUT_UNAVAILABLE) {
		http_fault(resp, d->outcome, d->fault);
		return;
	}
	if (d->outcome != OUT_CREATED && d->outcome != OUT_OK) {
		http_error(resp, d->outcome, d->detail);
		return;
	}
	p.record_id = d->record_id;
	p.session_id = in->session_id;
	p.worker_id = in->worker_id;
	p.worker_id_len = in->worker_id_len;
	p.units = in->units;
	p.idempotent = d->outcome == OUT_OK;
	if (reply_preview(&resp->body, &p) == -1) {
		http_fault(resp, OUT_INTERNAL, "out of memory building answer");
		return;
	}
	http_status(resp, d->outcome);
	if (d->outcome == OUT_CREATED)
		snprintf(resp->location, sizeof(resp->location),
		    "/api/control/production/records/%s", d->record_id);
}

/* POST /api/control/production/records (CONTRACT sections 1 to 5). */
void
record_create(struct app *app, struct request *req, struct response *resp)
{
	struct record_input	 in;
	struct decision		 d;
	struct jbody		*body = NULL;
	char			 user[USER_ID_MAX + 1];

	if (read_input(app, req, resp, user, &body, &in) == -1)
		goto done;
	if (in.auth0_id != NULL && (in.auth0_id_len != strlen(user) ||
	    memcmp(in.auth0_id, user, in.auth0_id_len) != 0)) {
		http_error(resp, OUT_FORBIDDEN,
		    "auth0Id does not match the token's user");
		goto done;
	}
	memset(&d, 0, sizeof(d));
	decide(&d, &in, user);
	answer(resp, &d, &in);
done:
	json_body_free(body);
}

/* GET /api/control/production/records/{recordId}, to its session's owner. */
void
record_get(struct app *app, struct request *req, struct response *resp)
{
	struct record_row	r;
	struct session_row	s;
	enum db_status		st;
	char			user[USER_ID_MAX + 1], id[RECORD_ID_LEN + 1];

	(void)app;
	if (api_user(req, resp, user) == -1)
		return;
	if (record_id_parse(req->param, req->param_len, id) == -1 ||
	    (st = db_record_by_public_id(id, &r)) == DB_NOT_FOUND) {
		http_error(resp, OUT_NOT_FOUND, "no such record");
		return;
	}
	if (st != DB_OK) {
		api_db_fault(resp, st);
		return;
	}
	/* The record's session is gone only if something is broken: 500. */
	if ((st = db_session_get(r.session_id, &s)) == DB_NOT_FOUND)
		st = DB_ERROR;
	if (api_session_owner(resp, st, s.owner, user, "the record's session "
	    "belongs to another user") == -1)
		return;
	if (reply_record(&resp->body, &r) == -1) {
		http_fault(resp, OUT_INTERNAL, "out of memory building answer");
		return;
	}
	http_status(resp, OUT_OK);
}
