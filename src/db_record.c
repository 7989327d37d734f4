/*
 * db_record.c: the records: store one (the one-statement decision of
 * CONTRACT section 4), find one, read a page of a session's.
 */
#include <string.h>

#include <mysql.h>
#include <mysqld_error.h>

#include "db.h"
#include "db_int.h"
#include "db_sql.h"
#include "utc.h"
#include "validate.h"

static const char sql_insert[] = SQL_INSERT_RECORD;

static const char sql_by_keys[] =
    "SELECT " RECORD_COLUMNS " FROM production_records"
    " WHERE (session_id = ? AND client_event_id = ?)"
    " OR (key_owner = ? AND idempotency_key = ?)"
    " ORDER BY id LIMIT 1";

static const char sql_by_public_id[] =
    "SELECT " RECORD_COLUMNS " FROM production_records WHERE record_id = ?";

/*
 * Keyset pagination on idx_records_session (session_id, id, units).  The
 * hint makes MariaDB seek to (session_id, after) instead of stepping
 * through the session's earlier records (ref on session_id alone), which
 * costs milliseconds deep into a large session.
 */
static const char sql_page[] =
    "SELECT " RECORD_COLUMNS " FROM production_records"
    " FORCE INDEX (idx_records_session)"
    " WHERE session_id = ? AND id > ? AND id <= ? ORDER BY id LIMIT ?";

static struct stmt	st_insert = { "insert record", sql_insert, NULL, NULL };
static struct stmt	st_by_keys = { "record by keys", sql_by_keys, NULL, NULL };
static struct stmt	st_by_public_id = { "record by recordId", sql_by_public_id,
			    NULL, NULL };
static struct stmt	st_page = { "page of records", sql_page, NULL, NULL };

#define RECORD_NCOLS	11

/* The result binding of a RECORD_COLUMNS query, filling one record_row. */
struct record_out {
	MYSQL_BIND	 out[RECORD_NCOLS];
	unsigned long	 len[RECORD_NCOLS];
	my_bool		 isnull[RECORD_NCOLS], error[RECORD_NCOLS];
	long long	 recorded_ms, created_ms;
	struct record_row *r;
};

static void
bind_record(struct record_out *o, struct record_row *r)
{
#define OUT(i, type, p, size) bind_out(&o->out[i], type, p, size, \
	&o->len[i], &o->isnull[i], &o->error[i])
	memset(r, 0, sizeof(*r));
	o->r = r;
	OUT(0, MYSQL_TYPE_LONGLONG, &r->id, 0);
	OUT(1, MYSQL_TYPE_STRING, r->record_id, sizeof(r->record_id));
	OUT(2, MYSQL_TYPE_STRING, r->session_id, sizeof(r->session_id));
	OUT(3, MYSQL_TYPE_STRING, r->worker_id, sizeof(r->worker_id));
	OUT(4, MYSQL_TYPE_STRING, r->worker_name, sizeof(r->worker_name));
	OUT(5, MYSQL_TYPE_LONG, &r->units, 0);
	OUT(6, MYSQL_TYPE_LONGLONG, &o->recorded_ms, 0);
	o->out[6].is_unsigned = 0;
	OUT(7, MYSQL_TYPE_STRING, r->client_event_id, sizeof(r->client_event_id));
	OUT(8, MYSQL_TYPE_STRING, r->idempotency_key, sizeof(r->idempotency_key));
	OUT(9, MYSQL_TYPE_STRING, r->auth0_id, sizeof(r->auth0_id));
	OUT(10, MYSQL_TYPE_LONGLONG, &o->created_ms, 0);
	o->out[10].is_unsigned = 0;
#undef OUT
}

/*
 * After a fetch of a RECORD_COLUMNS query ended in st: complete the row
 * when there is one.  Returns st, or DB_ERROR when a time is missing.
 */
static enum db_status
record_fetched(struct record_out *o, enum db_status st)
{
	struct record_row	*r = o->r;

	if (st != DB_OK)
		return st;
	if (o->isnull[6] || o->isnull[10]) {
		db_error("fetch record", 0, "a time is out of range");
		return DB_ERROR;
	}
	r->recorded_at_ms = o->recorded_ms;
	r->created_at_ms = o->created_ms;
	r->worker_id_len = o->len[3];
	r->worker_name_len = o->len[4];
	r->client_event_id_len = o->len[7];
	r->has_idempotency_key = !o->isnull[8];
	r->idempotency_key_len = o->isnull[8] ? 0 : o->len[8];
	r->auth0_id_len = o->len[9];
	return DB_OK;
}

/* Fetch the one row of a record query into r: DB_OK or DB_NOT_FOUND. */
static enum db_status
fetch_record(struct stmt *s, MYSQL_BIND *params, struct record_row *r)
{
	struct record_out	 o;

	bind_record(&o, r);
	return record_fetched(&o, stmt_fetch_one(s, params, o.out));
}

/* Bind sql_insert's parameters; when and units are the buffers they use. */
static void
bind_insert(MYSQL_BIND p[10], unsigned long len[10], char when[UTC_TEXT_SIZE],
    uint32_t *units, const struct record_input *in, const char *user,
    const char *record_id)
{
	size_t	user_len = strlen(user);

	utc_format(in->recorded_at_ms, when);
	bind_str(&p[0], record_id, RECORD_ID_LEN, &len[0]);
	bind_session_id(&p[1], in->session_id, &len[1]);
	bind_str(&p[2], user, user_len, &len[2]);
	bind_str(&p[3], in->worker_id, in->worker_id_len, &len[3]);
	bind_str(&p[4], in->worker_name, in->worker_name_len, &len[4]);
	memset(&p[5], 0, sizeof(p[5]));
	*units = in->units;
	p[5].buffer_type = MYSQL_TYPE_LONG;
	p[5].buffer = units;
	p[5].is_unsigned = 1;
	bind_str(&p[6], when, 23, &len[6]);	/* without the Z */
	bind_str(&p[7], in->client_event_id, in->client_event_id_len, &len[7]);
	bind_str(&p[8], in->idempotency_key, in->idempotency_key_len, &len[8]);
	bind_str(&p[9], user, user_len, &len[9]);
}

/*
 * Insert the record (see sql_insert for how the decision is made).
 * *outcome says what happened; for INSERT_CREATED and INSERT_DUPLICATE
 * *row is the stored row (for INSERT_CREATED, the one with record_id: it
 * may be the commit of an earlier try whose answer the connection lost).
 */
enum db_status
db_record_insert(const struct record_input *in, const char *user,
    const char *record_id, enum db_insert *outcome, struct record_row *row)
{
	MYSQL_BIND		p[10];
	unsigned long		len[10];
	char			when[UTC_TEXT_SIZE];
	uint32_t		units;
	struct record_out	o;
	enum db_status		st;

	bind_insert(p, len, when, &units, in, user, record_id);
	bind_record(&o, row);
	st = stmt_run(&st_insert, p, o.out);
	if (st == DB_ERROR && db_error_code() == ER_BAD_NULL_ERROR) {
		*outcome = INSERT_NO_SESSION;	/* the subquery found none */
		return DB_OK;
	}
	if (st != DB_OK)
		return st;
	st = record_fetched(&o, stmt_fetch(&st_insert));
	stmt_free_result(&st_insert);
	if (st == DB_NOT_FOUND) {
		db_error(st_insert.name, 0, "no row returned");
		return DB_ERROR;
	}
	if (st == DB_OK)
		*outcome = strcmp(row->record_id, record_id) == 0 ?
		    INSERT_CREATED : INSERT_DUPLICATE;
	return st;
}

/* The record either of the request's unique keys names, if any. */
enum db_status
db_record_by_keys(const struct record_input *in, const char *user,
    struct record_row *r)
{
	MYSQL_BIND	p[4];
	unsigned long	len[4];

	bind_session_id(&p[0], in->session_id, &len[0]);
	bind_str(&p[1], in->client_event_id, in->client_event_id_len, &len[1]);
	bind_str(&p[2], user, strlen(user), &len[2]);
	bind_str(&p[3], in->idempotency_key, in->idempotency_key_len, &len[3]);
	return fetch_record(&st_by_keys, p, r);
}

/* The record with the recordId record_id: DB_OK or DB_NOT_FOUND. */
enum db_status
db_record_by_public_id(const char *record_id, struct record_row *r)
{
	MYSQL_BIND	p[1];
	unsigned long	len;

	bind_str(&p[0], record_id, RECORD_ID_LEN, &len);
	return fetch_record(&st_by_public_id, p, r);
}

/* A page being read: its parameters and where its rows are fetched to. */
struct page_read {
	const char		*session_id;
	uint64_t		 after_id;	/* ids after this one ... */
	uint64_t		 upto;		/* ... up to this one */
	unsigned		 limit;
	struct record_out	 o;
	struct record_row	 row;
};

/*
 * Run the page's query; its rows stay stored in st_page for
 * page_rows, so that a transaction that reads it can still be run again
 * (until page_rows has handed any out).
 */
static enum db_status
page_query(struct page_read *t)
{
	MYSQL_BIND	p[4];
	unsigned long	len;

	bind_session_id(&p[0], t->session_id, &len);
	memset(&p[1], 0, sizeof(p[1]) * 3);
	p[1].buffer_type = MYSQL_TYPE_LONGLONG;
	p[1].buffer = &t->after_id;
	p[1].is_unsigned = 1;
	p[2].buffer_type = MYSQL_TYPE_LONGLONG;
	p[2].buffer = &t->upto;
	p[2].is_unsigned = 1;
	p[3].buffer_type = MYSQL_TYPE_LONG;
	p[3].buffer = &t->limit;
	p[3].is_unsigned = 1;
	bind_record(&t->o, &t->row);
	stmt_free_result(&st_page);	/* an earlier try's, not handed out */
	return stmt_run(&st_page, p, t->o.out);
}

/* Hand each row page_query stored to fn (see db_record_page), then free them. */
static enum db_status
page_rows(struct page_read *t, db_record_fn fn, void *arg)
{
	enum db_status	st;

	while ((st = record_fetched(&t->o, stmt_fetch(&st_page))) == DB_OK)
		if (fn(&t->row, arg) != 0) {
			db_error(st_page.name, 0, "out of memory");
			st = DB_ERROR;
			break;
		}
	stmt_free_result(&st_page);
	return st == DB_NOT_FOUND ? DB_OK : st;
}

/*
 * Settle the session (session_settle, then the seal), for tx_run;
 * t->upto becomes the new settled_id, which this transaction's own write
 * makes visible to it.
 */
static enum db_status
settle_body(void *arg)
{
	struct page_read	*t = arg;
	struct horizon		 h;
	enum db_status		 st;

	if ((st = session_settle(t->session_id)) != DB_OK ||
	    (st = session_seal(t->session_id)) != DB_OK ||
	    (st = session_horizon(t->session_id, &h)) != DB_OK)
		return st;
	t->upto = h.open ? h.settled : UINT64_MAX;
	return DB_OK;
}

/* A page of an open session on one server, for tx_run. */
static enum db_status
page_body(void *arg)
{
	struct page_read	*t = arg;
	enum db_status		 st;

	if ((st = session_hold_row(t->session_id)) != DB_OK)
		return st;
	return page_query(t);
}

/*
 * A page of an open session on a Galera node (session_settle): what
 * is settled, if that fills the page or is all there is; else the session
 * is settled first.  When settling still loses to the inserts of other
 * nodes after every retry, the settled records are shown and *cut set
 * (more follow), or, with none to show, DB_UNAVAILABLE: 503, try again.
 */
static enum db_status
galera_page(struct page_read *t, int *cut)
{
	struct horizon	h;
	enum db_status	st;

	if ((st = session_horizon(t->session_id, &h)) == DB_NOT_FOUND)
		h.open = 0;			/* gone: no records either */
	else if (st != DB_OK)
		return st;
	t->upto = !h.open ? UINT64_MAX : h.settled;
	if ((st = page_query(t)) != DB_OK || !h.open || h.top <= h.settled ||
	    mysql_stmt_num_rows(st_page.handle) == t->limit)
		return st;
	if ((st = tx_run(settle_body, t)) == DB_OK)
		return page_query(t);
	if (st != DB_UNAVAILABLE)
		return st;
	t->upto = h.settled;		/* the connection may be a new one */
	if ((st = page_query(t)) == DB_OK &&
	    mysql_stmt_num_rows(st_page.handle) == 0)
		return DB_UNAVAILABLE;
	*cut = 1;
	return st;
}

/*
 * The records of a session stored after the row after_id (0: from the
 * first), at most limit, oldest first; each is handed to fn(row, arg),
 * and a non-zero return from fn stops the page (DB_ERROR).  *cut is set
 * when the page ends before limit although records follow (see
 * galera_page).  For a session that may still take records (open), no
 * record with a smaller id than the page's last may commit after it: on
 * one server the page is read in one transaction that first holds the
 * session row; on a Galera node see galera_page.  Rows are handed out only
 * once every transaction has committed (a COMMIT on a Galera node can fail
 * certification, and the transaction then runs again).
 */
enum db_status
db_record_page(const char *session_id, uint64_t after_id, unsigned limit,
    int open, db_record_fn fn, void *arg, int *cut)
{
	struct page_read	t;
	enum db_status		st;

	memset(&t, 0, sizeof(t));
	t.session_id = session_id;
	t.after_id = after_id;
	t.upto = UINT64_MAX;
	t.limit = limit;
	*cut = 0;
	if (db_connect() == -1)
		return DB_UNAVAILABLE;
	if (!open)
		st = page_query(&t);
	else if (db_on_galera())
		st = galera_page(&t, cut);
	else
		st = tx_run(page_body, &t);
	if (st != DB_OK) {
		stmt_free_result(&st_page);
		return st;
	}
	return page_rows(&t, fn, arg);
}
