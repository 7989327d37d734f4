/* db.c: the worker's MariaDB connection and prepared statements; the only user of Connector/C. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "db.h"
#include "log.h"

#define SLOW_CONNECT_MS		500	/* a failed connect this slow ... */
#define RECONNECT_BACKOFF_MS	1000	/* ... is not tried again this soon */
#define DEADLOCK_RETRIES	3	/* a statement rolled back by InnoDB */

/*
 * The new-record statement.  One round trip decides everything on the
 * fast path, and InnoDB's locks make it race-free:
 *
 *  - The SELECT reads the session row with a shared lock (REPEATABLE READ,
 *    which db_connect sets, locks the rows an INSERT ... SELECT reads, and
 *    the foreign key check locks it again).  A close is an UPDATE that needs
 *    an exclusive lock on that row, so a close and an insert serialise: the
 *    insert either commits before the close (and is counted by it) or runs
 *    after it, reads status 'closed' and inserts nothing.
 *  - The unique keys (session_id, client_event_id) and (auth0_id,
 *    idempotency_key) make concurrent identical requests collide inside
 *    InnoDB: exactly one inserts, the rest take the ON DUPLICATE KEY branch,
 *    whose LAST_INSERT_ID(id) hands back the existing row's id without
 *    changing the row.  No read-then-write in the program.
 *
 * affected rows 1 = created; 0 with an insert id = duplicate of that row;
 * 0 without = no open session owned by the user (nothing stored).
 */
static const char sql_insert[] =
    "INSERT INTO production_records (record_id, session_id, worker_id,"
    " worker_name, units, recorded_at_utc, client_event_id,"
    " idempotency_key, auth0_id)"
    " SELECT ?, session_id, ?, ?, ?, ?, ?, ?, ?"
    " FROM production_sessions"
    " WHERE session_id = ? AND owner_auth0_id = ? AND status = 'open'"
    " ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)";

#define RECORD_COLUMNS \
    "id, record_id, session_id, worker_id, worker_name, units," \
    " CAST(UNIX_TIMESTAMP(recorded_at_utc) * 1000 AS SIGNED)," \
    " client_event_id, idempotency_key, auth0_id"

static const char sql_by_id[] =
    "SELECT " RECORD_COLUMNS " FROM production_records WHERE id = ?";

static const char sql_by_keys[] =
    "SELECT " RECORD_COLUMNS " FROM production_records"
    " WHERE (session_id = ? AND client_event_id = ?)"
    " OR (auth0_id = ? AND idempotency_key = ?)"
    " ORDER BY id LIMIT 1";

static const char sql_session[] =
    "SELECT owner_auth0_id, status = 'open' FROM production_sessions"
    " WHERE session_id = ?";

enum stmt_id { S_INSERT, S_BY_ID, S_BY_KEYS, S_SESSION, S__MAX };

static const char *const stmt_sql[S__MAX] = {
	[S_INSERT] = sql_insert,
	[S_BY_ID] = sql_by_id,
	[S_BY_KEYS] = sql_by_keys,
	[S_SESSION] = sql_session,
};

static const struct config	*cfg;
static MYSQL			*conn;			/* NULL while down */
static MYSQL_STMT		*stmts[S__MAX];
static int64_t			 retry_after_ms;	/* no connect before */
static char			 last_error[256];

/* A monotonic clock in milliseconds. */
static int64_t
now_ms(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Remember why the last operation failed, for the caller's log line. */
static void
set_error(const char *what, unsigned int code, const char *msg)
{
	snprintf(last_error, sizeof(last_error), "%s: MariaDB error %u: %s",
	    what, code, msg);
}

const char *
db_last_error(void)
{
	return last_error;
}

int
db_init(const struct config *c)
{
	cfg = c;
	return mysql_library_init(0, NULL, NULL) == 0 ? 0 : -1;
}

/* Drop the connection and its statements; the next call reconnects. */
void
db_close(void)
{
	int	i;

	for (i = 0; i < S__MAX; i++)
		if (stmts[i] != NULL) {
			mysql_stmt_close(stmts[i]);
			stmts[i] = NULL;
		}
	if (conn != NULL) {
		mysql_close(conn);
		conn = NULL;
	}
}

/* Set the per-connection options: timeouts, character set, UTC, isolation. */
static int
set_options(MYSQL *m)
{
	unsigned int	ct = cfg->db_connect_timeout, rt = cfg->db_read_timeout;
	unsigned int	wt = cfg->db_write_timeout;
	char		init[160];

	/* Lock waits give up well before the client's read timeout does. */
	snprintf(init, sizeof(init), "SET time_zone = '+00:00',"
	    " tx_isolation = 'REPEATABLE-READ', innodb_lock_wait_timeout = %u",
	    rt > 2 ? rt / 2 : 1);
	return (mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &ct) ||
	    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &rt) ||
	    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &wt) ||
	    mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4") ||
	    mysql_options(m, MYSQL_INIT_COMMAND, init)) ? -1 : 0;
}

/*
 * Open the connection and prepare every statement, once per connection.
 * Called at worker start (after any fork) and again after a failure.  A
 * refused connect (server down) costs nothing and is tried again on the
 * next request, so service resumes as soon as the server is back; a connect
 * that failed slowly (server hung, timeouts) is not tried again for
 * RECONNECT_BACKOFF_MS, so requests meanwhile get 503 at once instead of
 * each waiting out the connect timeout.
 * Returns 0 or -1 (see db_last_error).
 */
int
db_connect(void)
{
	const char	*sock;
	int64_t		 start;
	int		 i;

	if (conn != NULL)
		return 0;
	start = now_ms();
	if (start < retry_after_ms) {
		snprintf(last_error, sizeof(last_error), "database unreachable "
		    "(the last connect timed out; retrying within %d ms)",
		    RECONNECT_BACKOFF_MS);
		return -1;
	}
	sock = cfg->db_socket != NULL && cfg->db_socket[0] != '\0' ?
	    cfg->db_socket : NULL;
	if ((conn = mysql_init(NULL)) == NULL) {
		set_error("mysql_init", 0, "out of memory");
		goto fail;
	}
	if (set_options(conn) == -1 || mysql_real_connect(conn, cfg->db_host,
	    cfg->db_user, cfg->db_password, cfg->db_name, cfg->db_port, sock,
	    0) == NULL) {
		set_error("connect", mysql_errno(conn), mysql_error(conn));
		goto fail;
	}
	for (i = 0; i < S__MAX; i++) {
		if ((stmts[i] = mysql_stmt_init(conn)) == NULL) {
			set_error("mysql_stmt_init", mysql_errno(conn),
			    mysql_error(conn));
			goto fail;
		}
		if (mysql_stmt_prepare(stmts[i], stmt_sql[i],
		    strlen(stmt_sql[i])) != 0) {
			set_error("prepare", mysql_stmt_errno(stmts[i]),
			    mysql_stmt_error(stmts[i]));
			goto fail;
		}
	}
	retry_after_ms = 0;
	return 0;
fail:
	db_close();
	if (now_ms() - start >= SLOW_CONNECT_MS)
		retry_after_ms = start + RECONNECT_BACKOFF_MS;
	return -1;
}

/* Did the error lose the connection (as opposed to failing one statement)? */
static int
connection_lost(unsigned int code)
{
	switch (code) {
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_SERVER_LOST_EXTENDED:
	case CR_ERR_NET_READ:
	case CR_ERR_NET_WRITE:
	case ER_SERVER_SHUTDOWN:
	case ER_CONNECTION_KILLED:
	case ER_UNKNOWN_STMT_HANDLER:
		return 1;
	default:
		return 0;
	}
}

/*
 * Bind params and execute statement id, storing any result set.
 *
 * A deadlock or lock wait timeout rolls back only this single autocommit
 * statement, so it is run again (DEADLOCK_RETRIES times).  A lost
 * connection is reopened and the statement run once more: every statement
 * here is safe to repeat, since the insert carries its own record_id and
 * keys, so a first attempt that did commit is found as a duplicate of the
 * row with that same record_id, never stored twice.
 */
static enum db_status
execute(enum stmt_id id, MYSQL_BIND *params, MYSQL_BIND *results)
{
	unsigned int	code = 0;
	int		tries = 0, reconnected = 0;

	for (;;) {
		if (db_connect() == -1)
			return DB_UNAVAILABLE;
		MYSQL_STMT *st = stmts[id];
		if ((params == NULL || !mysql_stmt_bind_param(st, params)) &&
		    (results == NULL || !mysql_stmt_bind_result(st, results)) &&
		    mysql_stmt_execute(st) == 0 &&
		    (results == NULL || mysql_stmt_store_result(st) == 0))
			return DB_OK;
		code = mysql_stmt_errno(st);
		set_error(id == S_INSERT ? "insert" : "select", code,
		    mysql_stmt_error(st));
		if (connection_lost(code) && !reconnected) {
			log_warnx("%s; reconnecting", last_error);
			db_close();
			retry_after_ms = 0;
			reconnected = 1;
			continue;
		}
		if ((code == ER_LOCK_DEADLOCK || code == ER_LOCK_WAIT_TIMEOUT) &&
		    ++tries < DEADLOCK_RETRIES)
			continue;
		break;
	}
	if (connection_lost(code)) {
		db_close();
		return DB_UNAVAILABLE;
	}
	return DB_ERROR;
}

/* Point b at a string parameter (NULL s binds SQL NULL). */
static void
bind_str(MYSQL_BIND *b, const char *s, size_t len, unsigned long *lenp)
{
	memset(b, 0, sizeof(*b));
	if (s == NULL) {
		b->buffer_type = MYSQL_TYPE_NULL;
		return;
	}
	*lenp = len;
	b->buffer_type = MYSQL_TYPE_STRING;
	b->buffer = (void *)s;
	b->buffer_length = len;
	b->length = lenp;
}

/* Point b at a result column: a string buffer of size bytes, or a number. */
static void
bind_out(MYSQL_BIND *b, enum enum_field_types type, void *p, size_t size,
    unsigned long *lenp, my_bool *isnull, my_bool *error)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = type;
	b->buffer = p;
	b->buffer_length = size;
	b->length = lenp;
	b->is_null = isnull;
	b->error = error;
	b->is_unsigned = type == MYSQL_TYPE_LONGLONG || type == MYSQL_TYPE_LONG;
}

/*
 * Insert the record (see sql_insert for how the decision is made).
 * *outcome says what happened; for INSERT_CREATED and INSERT_DUPLICATE
 * *row_id is the stored row's id.
 */
enum db_status
db_record_insert(const struct record_input *in, const char *user,
    const char *record_id, enum db_insert *outcome, uint64_t *row_id)
{
	MYSQL_BIND	p[10];
	unsigned long	len[10];
	char		when[25];
	uint32_t	units = in->units;
	enum db_status	st;
	size_t		user_len = strlen(user);

	ts_format_utc(in->recorded_at_ms, when);
	bind_str(&p[0], record_id, RECORD_ID_LEN, &len[0]);
	bind_str(&p[1], in->worker_id, in->worker_id_len, &len[1]);
	bind_str(&p[2], in->worker_name, in->worker_name_len, &len[2]);
	memset(&p[3], 0, sizeof(p[3]));
	p[3].buffer_type = MYSQL_TYPE_LONG;
	p[3].buffer = &units;
	p[3].is_unsigned = 1;
	bind_str(&p[4], when, 23, &len[4]);	/* without the Z */
	bind_str(&p[5], in->client_event_id, in->client_event_id_len, &len[5]);
	bind_str(&p[6], in->idempotency_key, in->idempotency_key_len, &len[6]);
	bind_str(&p[7], user, user_len, &len[7]);
	bind_str(&p[8], in->session_id, SESSION_ID_LEN, &len[8]);
	bind_str(&p[9], user, user_len, &len[9]);
	if ((st = execute(S_INSERT, p, NULL)) != DB_OK)
		return st;
	*row_id = mysql_stmt_insert_id(stmts[S_INSERT]);
	if (mysql_stmt_affected_rows(stmts[S_INSERT]) == 1)
		*outcome = INSERT_CREATED;
	else if (*row_id != 0)
		*outcome = INSERT_DUPLICATE;
	else
		*outcome = INSERT_NO_SESSION;
	return DB_OK;
}

/* Fetch the one row of a record query into r: DB_OK or DB_NOT_FOUND. */
static enum db_status
fetch_record(enum stmt_id id, MYSQL_BIND *params, struct record_row *r)
{
	MYSQL_BIND	 out[10];
	unsigned long	 len[10];
	my_bool		 isnull[10], error[10];
	long long	 ms = 0;
	enum db_status	 st;
	MYSQL_STMT	*s;
	int		 rc;

#define OUT(i, type, p, size) \
	bind_out(&out[i], type, p, size, &len[i], &isnull[i], &error[i])
	memset(r, 0, sizeof(*r));
	OUT(0, MYSQL_TYPE_LONGLONG, &r->id, 0);
	OUT(1, MYSQL_TYPE_STRING, r->record_id, sizeof(r->record_id));
	OUT(2, MYSQL_TYPE_STRING, r->session_id, sizeof(r->session_id));
	OUT(3, MYSQL_TYPE_STRING, r->worker_id, sizeof(r->worker_id));
	OUT(4, MYSQL_TYPE_STRING, r->worker_name, sizeof(r->worker_name));
	OUT(5, MYSQL_TYPE_LONG, &r->units, 0);
	OUT(6, MYSQL_TYPE_LONGLONG, &ms, 0);
	out[6].is_unsigned = 0;
	OUT(7, MYSQL_TYPE_STRING, r->client_event_id, sizeof(r->client_event_id));
	OUT(8, MYSQL_TYPE_STRING, r->idempotency_key, sizeof(r->idempotency_key));
	OUT(9, MYSQL_TYPE_STRING, r->auth0_id, sizeof(r->auth0_id));
#undef OUT
	if ((st = execute(id, params, out)) != DB_OK)
		return st;
	s = stmts[id];
	rc = mysql_stmt_fetch(s);
	mysql_stmt_free_result(s);
	if (rc == MYSQL_NO_DATA)
		return DB_NOT_FOUND;
	if (rc != 0) {
		set_error("fetch record", mysql_stmt_errno(s), rc ==
		    MYSQL_DATA_TRUNCATED ? "column truncated" : mysql_stmt_error(s));
		return DB_ERROR;
	}
	if (isnull[6]) {
		set_error("fetch record", 0, "recorded_at_utc out of range");
		return DB_ERROR;
	}
	r->recorded_at_ms = ms;
	r->worker_id_len = len[3];
	r->worker_name_len = len[4];
	r->client_event_id_len = len[7];
	r->has_idempotency_key = !isnull[8];
	r->idempotency_key_len = isnull[8] ? 0 : len[8];
	r->auth0_id_len = len[9];
	return DB_OK;
}

enum db_status
db_record_by_id(uint64_t id, struct record_row *r)
{
	MYSQL_BIND	p[1];

	memset(p, 0, sizeof(p));
	p[0].buffer_type = MYSQL_TYPE_LONGLONG;
	p[0].buffer = &id;
	p[0].is_unsigned = 1;
	return fetch_record(S_BY_ID, p, r);
}

/* The record either of the request's unique keys names, if any. */
enum db_status
db_record_by_keys(const struct record_input *in, const char *user,
    struct record_row *r)
{
	MYSQL_BIND	p[4];
	unsigned long	len[4];

	bind_str(&p[0], in->session_id, SESSION_ID_LEN, &len[0]);
	bind_str(&p[1], in->client_event_id, in->client_event_id_len, &len[1]);
	bind_str(&p[2], user, strlen(user), &len[2]);
	bind_str(&p[3], in->idempotency_key, in->idempotency_key_len, &len[3]);
	return fetch_record(S_BY_KEYS, p, r);
}

/* The session's owner and state: DB_OK or DB_NOT_FOUND. */
enum db_status
db_session_get(const char *session_id, struct session_row *s)
{
	MYSQL_BIND	 p[1], out[2];
	unsigned long	 len[2], plen;
	my_bool		 isnull[2], error[2];
	int		 open = 0, rc;
	enum db_status	 st;

	memset(s, 0, sizeof(*s));
	bind_str(&p[0], session_id, SESSION_ID_LEN, &plen);
	bind_out(&out[0], MYSQL_TYPE_STRING, s->owner, sizeof(s->owner),
	    &len[0], &isnull[0], &error[0]);
	bind_out(&out[1], MYSQL_TYPE_LONG, &open, 0, &len[1], &isnull[1],
	    &error[1]);
	out[1].is_unsigned = 0;
	if ((st = execute(S_SESSION, p, out)) != DB_OK)
		return st;
	rc = mysql_stmt_fetch(stmts[S_SESSION]);
	mysql_stmt_free_result(stmts[S_SESSION]);
	if (rc == MYSQL_NO_DATA)
		return DB_NOT_FOUND;
	if (rc != 0) {
		set_error("fetch session", mysql_stmt_errno(stmts[S_SESSION]),
		    rc == MYSQL_DATA_TRUNCATED ? "column truncated" :
		    mysql_stmt_error(stmts[S_SESSION]));
		return DB_ERROR;
	}
	s->owner_len = len[0];
	s->state = open ? SESSION_OPEN : SESSION_CLOSED;
	return DB_OK;
}
