/*
 * db_session.c: the sessions: open, read, close one; and for a page of its
 * records (db_record.c), hold, settle and seal its row.
 */
#include <string.h>

#include <mysql.h>

#include "db.h"
#include "db_int.h"
#include "db_sql.h"

static const char sql_session_owner[] =
    "SELECT owner_auth0_id, status = 'open' FROM production_sessions"
    " WHERE session_id = ?";

/*
 * A session with its totals.  production_session_counts holds them per
 * bucket, kept by triggers on production_records in the same transaction
 * as each insert, delete or change (sql/migrations/003): what a read sees
 * is exactly what the records it would see add up to, in a handful of rows
 * however large the session is.
 */
static const char sql_session_view[] =
    "SELECT s.session_id, s.owner_auth0_id, s.status = 'open', s.label, "
    MS("s.opened_at_utc") ", " MS("s.closed_at_utc") ", t.n, t.u"
    " FROM production_sessions s,"
    " (SELECT CAST(COALESCE(SUM(record_count), 0) AS UNSIGNED) AS n,"
    " CAST(COALESCE(SUM(total_units), 0) AS UNSIGNED) AS u"
    " FROM production_session_counts WHERE session_id = ?) t"
    " WHERE s.session_id = ?";

/*
 * Open a session.  The unique key (owner_auth0_id, client_event_id) makes
 * concurrent opens with one clientEventId collide inside InnoDB: one row is
 * inserted, the others wait for it and change nothing (affected rows 0),
 * then find it with sql_session_by_event.
 */
static const char sql_session_open[] =
    "INSERT INTO production_sessions (session_id, owner_auth0_id, label,"
    " client_event_id) VALUES (?, ?, ?, ?)"
    " ON DUPLICATE KEY UPDATE session_id = session_id";

static const char sql_session_by_event[] =
    "SELECT session_id FROM production_sessions"
    " WHERE owner_auth0_id = ? AND client_event_id = ?";

/*
 * Close a session: the exclusive row lock this UPDATE takes waits for every
 * insert that holds the session row's shared lock (see sql_insert), and
 * every later insert reads status 'closed'.  Once it has committed, the
 * records are final.
 */
static const char sql_session_close[] =
    "UPDATE production_sessions SET status = 'closed',"
    " closed_at_utc = UTC_TIMESTAMP(3)"
    " WHERE session_id = ? AND owner_auth0_id = ? AND status = 'open'";

/*
 * Before a page of an open session: wait for the inserts in flight (they
 * hold the session row's shared lock) and hold new ones back until the
 * page is read.  Ids are handed out when an insert runs, not when it
 * commits, so without this a page could show id N+1 while N, committed a
 * moment later, is then behind every "after" the client will send.
 */
static const char sql_session_settle[] =
    "SELECT status FROM production_sessions WHERE session_id = ? FOR UPDATE";

/*
 * On a Galera node row locks stay on the node, and what decides between
 * nodes is certification at commit: of two transactions that wrote the
 * same row, the later fails unless it saw the other.  Every insert writes
 * one kept-totals row of its session (its trigger; the row of its node, its
 * @@auto_increment_offset, and bucket, sql/migrations/004).  A close, and a
 * page's settling, write them all (seals): those of every node, 1 to the
 * cluster's size, and whatever rows the session already has.  So an insert
 * through another node that a close or a settling did not see cannot
 * commit after it: certification refuses one of the two, and the one that
 * runs again sees the other (the insert a closed session: 409).  The
 * session row alone would not do: an insert refers to it as a foreign-key
 * parent, which certification orders after an UPDATE of that row but does
 * not refuse.  On this node, the UPDATE of the session row that comes
 * first in both (sql_session_close, sql_session_settle_id) waits for the
 * inserts in flight, as on one server.
 */
static const char sql_session_seal[] =
    "INSERT INTO production_session_counts (session_id, node, bucket, seals)"
    " WITH RECURSIVE n (k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n"
    " WHERE k < @@auto_increment_increment),"
    " b (k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM b WHERE k < 15)"
    " SELECT ?, n.k, b.k, 1 FROM n, b"
    " UNION SELECT session_id, node, bucket, 1 FROM production_session_counts"
    " WHERE session_id = ?"
    " ON DUPLICATE KEY UPDATE seals = seals + 1";

/*
 * A page of an open session on a Galera node: its records with ids up to
 * settled_id are final (no smaller id can commit any more), so a page that
 * ends there needs no lock.  Ids are handed out when an insert runs, and
 * those of different nodes interleave, so a record committed a moment
 * after a page was read can have a smaller id than the page's last.  To
 * show more, the page first settles the session: in one transaction with
 * the seal, settled_id becomes the largest id stored.  Any insert that
 * commits after that transaction either conflicted with it or ran after its
 * node applied it, and with it every id before it: its id is larger.
 */
static const char sql_session_settle_id[] =
    "UPDATE production_sessions SET settled_id = GREATEST(settled_id,"
    " (SELECT COALESCE(MAX(id), 0) FROM production_records"
    " WHERE session_id = ?))"
    " WHERE session_id = ? AND status = 'open'";

/* Where a page of an open session on a Galera node may read up to. */
static const char sql_session_horizon[] =
    "SELECT s.settled_id, s.status = 'open',"
    " (SELECT COALESCE(MAX(id), 0) FROM production_records r"
    " WHERE r.session_id = s.session_id)"
    " FROM production_sessions s WHERE s.session_id = ?";

static struct stmt	st_owner = { "session owner", sql_session_owner, NULL,
			    NULL };
static struct stmt	st_view = { "session with totals", sql_session_view,
			    NULL, NULL };
static struct stmt	st_open = { "open session", sql_session_open, NULL,
			    NULL };
static struct stmt	st_by_event = { "session by clientEventId",
			    sql_session_by_event, NULL, NULL };
static struct stmt	st_close = { "close session", sql_session_close, NULL,
			    NULL };
static struct stmt	st_hold = { "lock session for a page",
			    sql_session_settle, NULL, NULL };
static struct stmt	st_seal = { "seal session counts", sql_session_seal,
			    NULL, NULL };
static struct stmt	st_settle_id = { "settle session",
			    sql_session_settle_id, NULL, NULL };
static struct stmt	st_horizon = { "settled part of session",
			    sql_session_horizon, NULL, NULL };

/* The session's owner and state: DB_OK or DB_NOT_FOUND. */
enum db_status
db_session_get(const char *session_id, struct session_row *s)
{
	MYSQL_BIND	 p[1], out[2];
	unsigned long	 len[2], plen;
	my_bool		 isnull[2], error[2];
	int		 open = 0;
	enum db_status	 st;

	memset(s, 0, sizeof(*s));
	bind_session_id(&p[0], session_id, &plen);
	bind_out(&out[0], MYSQL_TYPE_STRING, s->owner, sizeof(s->owner),
	    &len[0], &isnull[0], &error[0]);
	bind_out(&out[1], MYSQL_TYPE_LONG, &open, 0, &len[1], &isnull[1],
	    &error[1]);
	out[1].is_unsigned = 0;
	if ((st = stmt_fetch_one(&st_owner, p, out)) != DB_OK)
		return st;
	s->owner_len = len[0];
	s->state = open ? SESSION_OPEN : SESSION_CLOSED;
	return DB_OK;
}

/* Run s, whose two parameters are both the session id. */
static enum db_status
run_twice_bound(struct stmt *s, const char *session_id)
{
	MYSQL_BIND	p[2];
	unsigned long	len;

	bind_session_id(&p[0], session_id, &len);
	bind_session_id(&p[1], session_id, &len);
	return stmt_run(s, p, NULL);
}

/* Write every kept-totals row the session has or can get (sql_session_seal). */
enum db_status
session_seal(const char *session_id)
{
	return run_twice_bound(&st_seal, session_id);
}

/* Settle the session for a page on a Galera node (sql_session_settle_id). */
enum db_status
session_settle(const char *session_id)
{
	return run_twice_bound(&st_settle_id, session_id);
}

/* Hold the session row for the rest of the transaction (sql_session_settle). */
enum db_status
session_hold_row(const char *session_id)
{
	MYSQL_BIND	p[1], out[1];
	unsigned long	len, olen;
	my_bool		isnull, error;
	char		status[8];
	enum db_status	st;

	bind_session_id(&p[0], session_id, &len);
	bind_out(&out[0], MYSQL_TYPE_STRING, status, sizeof(status), &olen,
	    &isnull, &error);
	if ((st = stmt_run(&st_hold, p, out)) == DB_OK)
		stmt_free_result(&st_hold);
	return st;
}

/* Where a page of the open session on a Galera node may read up to. */
enum db_status
session_horizon(const char *session_id, struct horizon *h)
{
	MYSQL_BIND	p[1], out[3];
	unsigned long	len, olen[3];
	my_bool		isnull[3], error[3];
	enum db_status	st;

	bind_session_id(&p[0], session_id, &len);
	bind_out(&out[0], MYSQL_TYPE_LONGLONG, &h->settled, 0, &olen[0],
	    &isnull[0], &error[0]);
	bind_out(&out[1], MYSQL_TYPE_LONG, &h->open, 0, &olen[1], &isnull[1],
	    &error[1]);
	bind_out(&out[2], MYSQL_TYPE_LONGLONG, &h->top, 0, &olen[2],
	    &isnull[2], &error[2]);
	if ((st = stmt_fetch_one(&st_horizon, p, out)) != DB_OK)
		return st;
	if (isnull[0] || isnull[1] || isnull[2]) {
		db_error(st_horizon.name, 0, "unexpected row");
		return DB_ERROR;
	}
	return DB_OK;
}

/* Bind the columns of sql_session_view into v. */
static void
bind_session_view(MYSQL_BIND *out, unsigned long *len, my_bool *isnull,
    my_bool *error, struct session_view *v, int *open, long long *ms)
{
#define OUT(i, type, p, size) \
	bind_out(&out[i], type, p, size, &len[i], &isnull[i], &error[i])
	OUT(0, MYSQL_TYPE_STRING, v->session_id, sizeof(v->session_id));
	OUT(1, MYSQL_TYPE_STRING, v->owner, sizeof(v->owner));
	OUT(2, MYSQL_TYPE_LONG, open, 0);
	OUT(3, MYSQL_TYPE_STRING, v->label, sizeof(v->label));
	OUT(4, MYSQL_TYPE_LONGLONG, &ms[0], 0);
	OUT(5, MYSQL_TYPE_LONGLONG, &ms[1], 0);
	OUT(6, MYSQL_TYPE_LONGLONG, &v->record_count, 0);
	OUT(7, MYSQL_TYPE_LONGLONG, &v->total_units, 0);
#undef OUT
	out[2].is_unsigned = out[4].is_unsigned = out[5].is_unsigned = 0;
}

/* The session with its totals: DB_OK or DB_NOT_FOUND. */
enum db_status
db_session_view(const char *session_id, struct session_view *v)
{
	MYSQL_BIND	 p[2], out[8];
	unsigned long	 plen, len[8];
	my_bool		 isnull[8], error[8];
	long long	 ms[2] = { 0, 0 };
	int		 open = 0;
	enum db_status	 st;

	memset(v, 0, sizeof(*v));
	bind_session_id(&p[0], session_id, &plen);
	bind_session_id(&p[1], session_id, &plen);
	bind_session_view(out, len, isnull, error, v, &open, ms);
	if ((st = stmt_fetch_one(&st_view, p, out)) != DB_OK)
		return st;
	if (isnull[4]) {
		db_error(st_view.name, 0, "opened_at_utc out of range");
		return DB_ERROR;
	}
	v->owner_len = len[1];
	v->state = open ? SESSION_OPEN : SESSION_CLOSED;
	v->has_label = !isnull[3];
	v->label_len = isnull[3] ? 0 : len[3];
	v->opened_at_ms = ms[0];
	v->has_closed_at = !isnull[5];
	v->closed_at_ms = ms[1];
	return DB_OK;
}

/*
 * Insert the session n.  *created is 1 when it was stored, 0 when a unique
 * key matched an existing row instead (the owner's clientEventId, or, very
 * rarely, the id itself): nothing was changed.
 */
enum db_status
db_session_open(const struct session_new *n, int *created)
{
	MYSQL_BIND	p[4];
	unsigned long	len[4];
	enum db_status	st;

	bind_session_id(&p[0], n->session_id, &len[0]);
	bind_str(&p[1], n->owner, strlen(n->owner), &len[1]);
	bind_str(&p[2], n->label, n->label_len, &len[2]);
	bind_str(&p[3], n->client_event_id, n->client_event_id_len, &len[3]);
	if ((st = stmt_run(&st_open, p, NULL)) != DB_OK)
		return st;
	*created = mysql_stmt_affected_rows(st_open.handle) == 1;
	return DB_OK;
}

/* The id of the session owner opened with clientEventId event, if any. */
enum db_status
db_session_by_event(const char *owner, const char *event, size_t event_len,
    char session_id[SESSION_ID_LEN + 1])
{
	MYSQL_BIND	 p[2], out[1];
	unsigned long	 plen[2], len;
	my_bool		 isnull, error;

	memset(session_id, 0, SESSION_ID_LEN + 1);
	bind_str(&p[0], owner, strlen(owner), &plen[0]);
	bind_str(&p[1], event, event_len, &plen[1]);
	bind_out(&out[0], MYSQL_TYPE_STRING, session_id, SESSION_ID_LEN + 1,
	    &len, &isnull, &error);
	return stmt_fetch_one(&st_by_event, p, out);
}

/* A close, for tx_run on a Galera node (see sql_session_seal). */
struct close_tx {
	const char	*session_id;
	const char	*owner;
	int		*closed_now;
};

static enum db_status
close_statement(const char *session_id, const char *owner, int *closed_now)
{
	MYSQL_BIND	p[2];
	unsigned long	len[2];
	enum db_status	st;

	bind_session_id(&p[0], session_id, &len[0]);
	bind_str(&p[1], owner, strlen(owner), &len[1]);
	if ((st = stmt_run(&st_close, p, NULL)) != DB_OK)
		return st;
	*closed_now = mysql_stmt_affected_rows(st_close.handle) == 1;
	return DB_OK;
}

static enum db_status
close_body(void *arg)
{
	struct close_tx	*t = arg;
	enum db_status	 st;

	if ((st = close_statement(t->session_id, t->owner, t->closed_now)) !=
	    DB_OK || !*t->closed_now)
		return st;
	return session_seal(t->session_id);
}

/*
 * Close the session if it is open and owner's (see sql_session_close for
 * why this is race-free).  *closed_now is 1 when this call closed it, 0
 * when nothing changed (closed already, not owner's, or no such session).
 * On a Galera node the close also seals the session's kept totals, in the
 * same transaction (sql_session_seal).
 */
enum db_status
db_session_close(const char *session_id, const char *owner, int *closed_now)
{
	struct close_tx	t = { session_id, owner, closed_now };

	if (db_connect() == -1)
		return DB_UNAVAILABLE;
	if (!db_on_galera())
		return close_statement(session_id, owner, closed_now);
	return tx_run(close_body, &t);
}
