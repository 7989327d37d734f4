/*
 * db_conn.c: the worker's MariaDB connection: which node, its options and
 * health; the statements prepared on it and how a failed one is retried;
 * transactions.  db_record.c and db_session.c hold the statements
 * themselves (db_int.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "config.h"
#include "db.h"
#include "db_int.h"
#include "log.h"
#include "proc.h"
#include "rnd.h"
#include "stats.h"

#define SLOW_CONNECT_MS		500	/* a failed connect this slow ... */
#define RECONNECT_BACKOFF_MS	1000	/* ... is not tried again this soon */
#define DEADLOCK_RETRIES	8	/* a statement rolled back by InnoDB, or
					   by Galera's certification, is run
					   again at least this often ... */
#define RETRY_BUDGET_MS		2000	/* ... and then until this long has
					   passed since the first try */
#define BACKOFF_MAX_US		16000	/* the wait before a retry doubles
					   up to this, times a random share */
#define HEALTH_TIMEOUT		1	/* seconds the health check waits */

static const struct config	*cfg;
static MYSQL			*conn;			/* NULL while down */
static int			 conn_galera;		/* conn is on a Galera
							   node */
static int			 in_tx;			/* an explicit transaction
							   is open on conn */
static MYSQL			*health_conn;		/* db_health's own */
static struct stmt		*prepared_list;		/* on conn */
static int64_t			 retry_after_ms;	/* no connect before */
static char			 last_error[256];
static unsigned int		 last_code;	/* its MariaDB error, or 0 */

/* Remember why the last operation failed, for the caller's log line. */
void
db_error(const char *what, unsigned int code, const char *msg)
{
	snprintf(last_error, sizeof(last_error), "%s: MariaDB error %u: %s",
	    what, code, msg);
	last_code = code;
}

const char *
db_last_error(void)
{
	return last_error;
}

/* The MariaDB error of the last failure, or 0. */
unsigned int
db_error_code(void)
{
	return last_code;
}

/* Is the open connection on a Galera node? */
int
db_on_galera(void)
{
	return conn_galera;
}

int
db_init(const struct config *c)
{
	cfg = c;
	return mysql_library_init(0, NULL, NULL) == 0 ? 0 : -1;
}

static void
close_health(void)
{
	if (health_conn != NULL) {
		mysql_close(health_conn);
		health_conn = NULL;
	}
}

/*
 * Drop the connections and statements: the next call reconnects.  A
 * worker calls it as it leaves, so the server sees a clean quit.
 */
void
db_close(void)
{
	struct stmt	*s;

	for (s = prepared_list; s != NULL; s = s->next) {
		mysql_stmt_close(s->handle);
		s->handle = NULL;
	}
	prepared_list = NULL;
	if (conn != NULL) {
		mysql_close(conn);
		conn = NULL;
		stats_set_node(-2);
	}
	close_health();
}

/* The connect, read and write time-outs of m, in seconds.  0 or -1. */
static int
set_timeouts(MYSQL *m, unsigned int connect, unsigned int rd,
    unsigned int wr)
{
	return (mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect) ||
	    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &rd) ||
	    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &wr)) ? -1 : 0;
}

/* The worker's connection: c's time-outs, character set, UTC, isolation. */
static int
set_options(MYSQL *m, const struct config *c)
{
	unsigned int	rt = c->db_read_timeout;
	char		init[160];

	/* Lock waits give up well before the client's read timeout does. */
	snprintf(init, sizeof(init), "SET time_zone = '+00:00',"
	    " tx_isolation = 'REPEATABLE-READ', innodb_lock_wait_timeout = %u",
	    rt > 2 ? rt / 2 : 1);
	return (set_timeouts(m, c->db_connect_timeout, rt,
	    c->db_write_timeout) == -1 ||
	    mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4") ||
	    mysql_options(m, MYSQL_INIT_COMMAND, init)) ? -1 : 0;
}

/* The health check's connection: HEALTH_TIMEOUT on everything. */
static int
health_options(MYSQL *m, const struct config *c)
{
	(void)c;
	return set_timeouts(m, HEALTH_TIMEOUT, HEALTH_TIMEOUT, HEALTH_TIMEOUT);
}

/* Does c name a unix socket? */
static int
has_socket(const struct config *c)
{
	return c->db_socket != NULL && c->db_socket[0] != '\0';
}

/* Does the server refuse the configured account or database itself? */
static int
refused_account(unsigned int code)
{
	return code == ER_ACCESS_DENIED_ERROR ||
	    code == ER_DBACCESS_DENIED_ERROR || code == ER_BAD_DB_ERROR ||
	    code == ER_ACCESS_DENIED_NO_PASSWORD_ERROR;
}

/* What node_ready() found. */
enum node_state {
	NODE_FAILED = -1,	/* it does not answer (m's error) */
	NODE_NOT_READY,		/* a Galera node that is not Synced */
	NODE_PLAIN,		/* a server without Galera: always ready */
	NODE_GALERA		/* a Galera node, Synced */
};

/*
 * Is the server m is connected to ready for work?  A Galera node is when
 * wsrep_ready is ON and wsrep_local_state is 4 (Synced): a node that is
 * joining, donating or cut off from the primary component takes the
 * connection but answers statements with error 1047, or serves stale
 * reads.  A plain server (wsrep off, or a build without it) always is.
 */
static enum node_state
node_ready(MYSQL *m)
{
	MYSQL_RES	*res;
	MYSQL_ROW	 row;
	int		 ready = 1;

	if (mysql_query(m, "SELECT @@GLOBAL.wsrep_on") != 0)
		return mysql_errno(m) == ER_UNKNOWN_SYSTEM_VARIABLE ?
		    NODE_PLAIN : NODE_FAILED;
	if ((res = mysql_store_result(m)) == NULL)
		return NODE_FAILED;
	row = mysql_fetch_row(res);
	ready = row == NULL || row[0] == NULL || strcmp(row[0], "1") != 0;
	mysql_free_result(res);
	if (ready)
		return NODE_PLAIN;
	if (mysql_query(m, "SHOW GLOBAL STATUS WHERE Variable_name IN "
	    "('wsrep_ready', 'wsrep_local_state')") != 0 ||
	    (res = mysql_store_result(m)) == NULL)
		return NODE_FAILED;
	ready = 0;
	while ((row = mysql_fetch_row(res)) != NULL)
		if (row[0] != NULL && row[1] != NULL)
			ready += (strcasecmp(row[0], "wsrep_ready") == 0 &&
			    strcasecmp(row[1], "ON") == 0) ||
			    (strcasecmp(row[0], "wsrep_local_state") == 0 &&
			    strcmp(row[1], "4") == 0);
	mysql_free_result(res);
	return ready == 2 ? NODE_GALERA : NODE_NOT_READY;
}

/*
 * On a Galera node, make every read wait until the node has applied what
 * the cluster committed before it (wsrep_sync_wait=1): a record answered
 * 201 through another node is then found (read after write), and a close
 * counts every record certified before it.  Returns 0 or -1 (m's error).
 */
static int
read_committed_cluster(MYSQL *m)
{
	return mysql_query(m, "SET SESSION wsrep_sync_wait = 1") == 0 ? 0 : -1;
}

/* Options for one kind of connection (the worker's, health's). */
typedef int (*options_fn)(MYSQL *, const struct config *);

/*
 * Connect to node i of c (-1: the socket), options set by opts, and check
 * that it is ready.  Returns the connection, or NULL with *code (0 when
 * there is no such node) and the error set.
 */
static MYSQL *
open_node(const struct config *c, int i, options_fn opts, unsigned int *code,
    enum node_state *statep)
{
	char		 host[CFG_HOST_MAX + 1];
	unsigned	 port = 0;
	MYSQL		*m;
	enum node_state	 state = NODE_FAILED;

	*code = 0;
	if (i == -1 ? !has_socket(c) :
	    cfg_db_node(c->db_host, (size_t)i, host, sizeof(host), &port) != 0)
		return NULL;
	if ((m = mysql_init(NULL)) == NULL) {
		db_error("mysql_init", *code = CR_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	if (opts(m, c) == -1 || mysql_real_connect(m, i == -1 ? NULL : host,
	    c->db_user, c->db_password, c->db_name, i == -1 || port == 0 ?
	    c->db_port : port, i == -1 ? c->db_socket : NULL, 0) == NULL ||
	    (state = node_ready(m)) == NODE_FAILED || (state == NODE_GALERA &&
	    read_committed_cluster(m) == -1)) {
		*code = mysql_errno(m) != 0 ? mysql_errno(m) : CR_UNKNOWN_ERROR;
		db_error("connect", *code, mysql_error(m));
	} else if (state == NODE_NOT_READY) {
		*code = ER_UNKNOWN_COM_ERROR;
		db_error("connect", *code, "the Galera node is not Synced");
	} else {
		*statep = state;
		return m;
	}
	mysql_close(m);
	return NULL;
}

/* The node open_first_ready chose. */
struct picked {
	int	node;		/* -1 the socket, then db_host's, in order */
	int	galera;		/* 1: a Galera node (Synced when chosen) */
};

/* The last node open_first_ready may try (-1: the socket alone). */
static int
last_node(const struct config *c)
{
	if (has_socket(c) && strcmp(c->db_host, "localhost") == 0)
		return -1;
	return CFG_NODES_MAX - 1;
}

/*
 * The name of node i as the status page shows it (-1 the socket, then the
 * nodes of db_host): 0 with buf filled, 1 when there is no node i.
 */
int
db_node_name(int i, char *buf, size_t bufsz)
{
	char		host[CFG_HOST_MAX + 1];
	unsigned	port;

	if (i == -1) {
		if (!has_socket(cfg))
			return 1;
		snprintf(buf, bufsz, "%s", cfg->db_socket);
		return 0;
	}
	if (i > last_node(cfg) || cfg_db_node(cfg->db_host, (size_t)i, host,
	    sizeof(host), &port) != 0)
		return 1;
	snprintf(buf, bufsz, strchr(host, ':') != NULL ? "[%s]:%u" : "%s:%u",
	    host, port != 0 ? port : cfg->db_port);
	return 0;
}

/*
 * The first node of c that answers and is ready (CONTRACT 9): the socket
 * when set, then each node of db_host in order; with the socket set and
 * db_host left at "localhost", the socket alone (as with one server: the
 * socket wins, and no other local server is tried behind its back).
 * *picked (when not NULL) says which one (db_node_name's numbering)
 * and whether it is a Galera node.
 * Returns it, or NULL with *code the error of the last node tried, or of
 * the first that refused the account, which says more (see
 * db_last_error).
 */
static MYSQL *
open_first_ready(const struct config *c, options_fn opts, unsigned int *code,
    struct picked *picked)
{
	char		 refusal[sizeof(last_error)] = "";
	unsigned int	 c1 = 0;
	MYSQL		*m;
	enum node_state	 state;
	int		 i, last = last_node(c);

	for (i = -1; i <= last; i++) {
		if ((m = open_node(c, i, opts, &c1, &state)) != NULL) {
			if (picked != NULL) {
				picked->node = i;
				picked->galera = state == NODE_GALERA;
			}
			return m;
		}
		if (c1 == 0 && i >= 0)
			break;		/* past the last node */
		if (c1 == 0 || refusal[0] != '\0')
			continue;	/* no socket; or a refusal is kept */
		*code = c1;
		if (refused_account(c1))
			memcpy(refusal, last_error, sizeof(refusal));
	}
	if (refusal[0] != '\0')
		memcpy(last_error, refusal, sizeof(last_error));
	return NULL;
}

/*
 * Open the connection (statements are prepared on first use, once per
 * connection).
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
	unsigned int	 code = 0;
	int64_t		 start;
	struct picked	 picked;

	if (conn != NULL)
		return 0;
	start = proc_now_ms();
	if (start < retry_after_ms) {
		snprintf(last_error, sizeof(last_error), "database unreachable "
		    "(the last connect timed out; retrying within %d ms)",
		    RECONNECT_BACKOFF_MS);
		return -1;
	}
	if ((conn = open_first_ready(cfg, set_options, &code, &picked)) !=
	    NULL) {
		retry_after_ms = 0;
		conn_galera = picked.galera;
		stats_set_node(picked.node);
		return 0;
	}
	db_close();
	if (proc_now_ms() - start >= SLOW_CONNECT_MS)
		retry_after_ms = start + RECONNECT_BACKOFF_MS;
	return -1;
}

/*
 * Try the database settings of c once (at start, and on SIGHUP before the
 * new settings are taken): a wrong password, an account without access to
 * the database or a database that does not exist is a configuration error
 * like any other, which no waiting mends.  A server that does not answer
 * is not: it comes back, and requests get 503 meanwhile.  Returns 0 (the
 * server took the account, or could not be reached: see db_last_error),
 * or -1 with one sentence in err.
 */
int
db_probe(const struct config *c, char *err, size_t errsz)
{
	unsigned int	 code = 0;
	MYSQL		*m;

	if ((m = open_first_ready(c, set_options, &code, NULL)) != NULL) {
		mysql_close(m);
		return 0;
	}
	if (!refused_account(code))
		return 0;
	snprintf(err, errsz, "the database refuses the settings (db_user, "
	    "db_password, db_name): %s", last_error);
	return -1;
}

/*
 * Did the error lose the connection, or make its node unusable (as opposed
 * to failing one statement)?  Either way the next statement goes to a new
 * connection, on the first node that is ready.
 */
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
	case ER_UNKNOWN_COM_ERROR:	/* Galera: "WSREP has not yet prepared
					   node for application use" */
	case ER_ERROR_DURING_COMMIT:	/* Galera: the node left the primary
					   component during the commit, which
					   was not replicated: run it again
					   on a node that is ready (a commit
					   that did happen is then found as
					   a duplicate of its own record_id) */
		return 1;
	default:
		return 0;
	}
}

/*
 * Statement s on the open connection, prepared on its first use there (see
 * struct stmt).  Returns its handle, or NULL with *code and the error set.
 */
static MYSQL_STMT *
prepared(struct stmt *s, unsigned int *code)
{
	MYSQL_STMT	*h;

	if (s->handle != NULL)
		return s->handle;
	if ((h = mysql_stmt_init(conn)) == NULL) {
		*code = mysql_errno(conn);
		db_error("mysql_stmt_init", *code, mysql_error(conn));
		return NULL;
	}
	if (mysql_stmt_prepare(h, s->sql, strlen(s->sql)) != 0) {
		*code = mysql_stmt_errno(h);
		snprintf(last_error, sizeof(last_error), "prepare %s: MariaDB "
		    "error %u: %s", s->name, *code, mysql_stmt_error(h));
		last_code = *code;
		mysql_stmt_close(h);
		return NULL;
	}
	s->handle = h;
	s->next = prepared_list;
	prepared_list = s;
	return h;
}

/* The status of a failure with code; a lost connection is dropped. */
static enum db_status
failed(unsigned int code)
{
	if (connection_lost(code)) {
		db_close();
		return DB_UNAVAILABLE;
	}
	return DB_ERROR;
}

/*
 * Before retry number tries (from 1) of a statement or transaction that
 * lost a deadlock or a certification conflict: wait a random part of a
 * span that doubles with each try, so that the two sides of a conflict
 * (on two Galera nodes, the same counts row, say) do not meet again.
 */
static void
back_off(int tries)
{
	unsigned int	 r = 0;
	long		 span = 500L << (tries < 6 ? tries : 6);
	struct timespec	 ts;

	if (span > BACKOFF_MAX_US)
		span = BACKOFF_MAX_US;
	(void)rnd_bytes(&r, sizeof(r));
	span = span / 2 + (long)(r % (unsigned)(span / 2 + 1));
	ts.tv_sec = 0;
	ts.tv_nsec = span * 1000;
	(void)nanosleep(&ts, NULL);
}

/*
 * May a statement that failed with code be run again, as it is?  Besides
 * deadlocks and lock waits, what a migration's DDL on the table can give a
 * statement that runs meanwhile, nothing stored: the server's own "retry"
 * errors (the table's definition changed, the statement needs preparing
 * again), and a syntax error (1064), which a prepared statement can only
 * meet in a stored body the server loads for it, a trigger of its table.
 * MariaDB 10.11 on a Galera cluster gives that one now and then ("Trigger
 * ... has an error in its body") while schema.sql runs again (tests/galera,
 * Schema); the trigger is intact and the statement succeeds run again.  A
 * trigger broken for good still ends as 503 once the retries run out.
 */
static int
retryable(unsigned int code)
{
	return code == ER_LOCK_DEADLOCK || code == ER_LOCK_WAIT_TIMEOUT ||
	    code == ER_TABLE_DEF_CHANGED || code == ER_NEED_REPREPARE ||
	    code == ER_PARSE_ERROR;
}

/*
 * Work that still lost deadlocks or certification conflicts when its
 * retries ran out has stored nothing: DB_UNAVAILABLE, answered 503 with
 * Retry-After, as the client may safely send it again.  Measured on a
 * Galera cluster, this is what a node rejoining (and its donor) gives for
 * a couple of seconds; the connection is closed, so that the next request
 * goes to the first node that is Synced.
 */
static enum db_status
unresolved_conflict(void)
{
	if (conn_galera)
		db_close();
	return DB_UNAVAILABLE;
}

/*
 * After a failure with code of try number *tries (from 0) of work begun at
 * start (proc_now_ms): 1, after the back-off, when it is to be run again.
 * On a Galera cluster, a close or a page's settling and the inserts into
 * the session through other nodes refuse each other at certification
 * (sql_session_seal) as long as both keep coming: a count alone would give
 * up on a busy session within milliseconds.
 */
static int
again_after_conflict(unsigned int code, int *tries, int64_t start)
{
	if (!retryable(code) || (++*tries >= DEADLOCK_RETRIES &&
	    proc_now_ms() - start >= RETRY_BUDGET_MS))
		return 0;
	back_off(*tries);
	return 1;
}

/*
 * Bind params, execute statement s (prepared: st) and store its result
 * set, if it has one (its columns are known once it has run: a prepared
 * INSERT ... RETURNING has none before), then bind results to it.  0, or
 * the error's code, with the error set.  An error can come after the rows:
 * sql_insert's, when the commit fails after RETURNING sent the row.
 * Connector/C then needs the statement reset before it runs again.
 */
static unsigned int
run_prepared(const struct stmt *s, MYSQL_STMT *st, MYSQL_BIND *params,
    MYSQL_BIND *results)
{
	unsigned int	code;
	int		ran = 0;

	if ((params == NULL || !mysql_stmt_bind_param(st, params)) &&
	    (ran = mysql_stmt_execute(st) == 0) &&
	    (mysql_stmt_field_count(st) == 0 ||
	    mysql_stmt_store_result(st) == 0) &&
	    (results == NULL || !mysql_stmt_bind_result(st, results)))
		return 0;
	if ((code = mysql_stmt_errno(st)) == 0)
		code = CR_UNKNOWN_ERROR;	/* failed, but said nothing */
	db_error(s->name, code, mysql_stmt_error(st));
	if (ran && !connection_lost(code))
		(void)mysql_stmt_reset(st);
	return code;
}

/*
 * Bind params and execute statement s, storing any result set.
 *
 * A deadlock or lock wait timeout rolls back only this single autocommit
 * statement, so it is run again (DEADLOCK_RETRIES times).  A lost
 * connection is reopened and the statement run once more: every statement
 * here is safe to repeat, since the insert carries its own record_id and
 * keys, so a first attempt that did commit is found as a duplicate of the
 * row with that same record_id, never stored twice.
 *
 * Inside an explicit transaction (in_tx) nothing is retried here: the
 * failure has rolled back or lost the whole transaction, and running the
 * statement again would run it outside the transaction, without the locks
 * taken before it.  tx_run() retries the whole transaction.
 */
enum db_status
stmt_run(struct stmt *s, MYSQL_BIND *params, MYSQL_BIND *results)
{
	unsigned int	code = 0;
	int		tries = 0, reconnected = in_tx;
	int64_t		start = proc_now_ms();

	for (;;) {
		if (db_connect() == -1)
			return DB_UNAVAILABLE;
		MYSQL_STMT *st = prepared(s, &code);
		if (st != NULL && (code = run_prepared(s, st, params,
		    results)) == 0)
			return DB_OK;
		if (connection_lost(code) && !reconnected) {
			log_warnx("%s; reconnecting", last_error);
			db_close();
			retry_after_ms = 0;
			reconnected = 1;
			continue;
		}
		if (in_tx || !again_after_conflict(code, &tries, start))
			break;
	}
	return retryable(code) && !in_tx ? unresolved_conflict() : failed(code);
}

/* Point b at a string parameter (NULL s binds SQL NULL). */
void
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

/* Point b at a session id parameter. */
void
bind_session_id(MYSQL_BIND *b, const char *session_id, unsigned long *lenp)
{
	bind_str(b, session_id, SESSION_ID_LEN, lenp);
}

/* Point b at a result column: a string buffer of size bytes, or a number. */
void
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
 * Fetch the next row of s's stored result into its bound columns: DB_OK,
 * DB_NOT_FOUND (no more rows), or DB_ERROR with the error set (a column
 * too small for its value included).
 */
enum db_status
stmt_fetch(struct stmt *s)
{
	int	rc = mysql_stmt_fetch(s->handle);

	if (rc == 0)
		return DB_OK;
	if (rc == MYSQL_NO_DATA)
		return DB_NOT_FOUND;
	db_error(s->name, mysql_stmt_errno(s->handle), rc ==
	    MYSQL_DATA_TRUNCATED ? "column truncated" :
	    mysql_stmt_error(s->handle));
	return DB_ERROR;
}

/* Free s's stored result, if it has one. */
void
stmt_free_result(struct stmt *s)
{
	if (s->handle != NULL)
		(void)mysql_stmt_free_result(s->handle);
}

/*
 * Run s with params and fetch its one row into results: DB_OK,
 * DB_NOT_FOUND, or stmt_run's or stmt_fetch's failure.
 */
enum db_status
stmt_fetch_one(struct stmt *s, MYSQL_BIND *params, MYSQL_BIND *results)
{
	enum db_status	st;

	if ((st = stmt_run(s, params, results)) != DB_OK)
		return st;
	st = stmt_fetch(s);
	stmt_free_result(s);
	return st;
}

/* Run sql (a transaction statement) on conn: 0, or the error's code. */
static unsigned int
tx_statement(const char *sql)
{
	if (mysql_query(conn, sql) == 0)
		return 0;
	db_error(sql, mysql_errno(conn), mysql_error(conn));
	return mysql_errno(conn) != 0 ? mysql_errno(conn) : CR_UNKNOWN_ERROR;
}

/*
 * One attempt at the transaction body(arg): START TRANSACTION, the body,
 * COMMIT (ROLLBACK when the body failed).  Returns 0 when it committed, or
 * the code of the failure, with *st what the caller is to answer.
 */
static unsigned int
tx_attempt(enum db_status (*body)(void *), void *arg, enum db_status *st)
{
	unsigned int	code;

	last_code = 0;
	if (db_connect() == -1) {
		*st = DB_UNAVAILABLE;
		return CR_CONNECTION_ERROR;
	}
	if ((code = tx_statement("START TRANSACTION")) != 0) {
		*st = failed(code);
		return code;
	}
	in_tx = 1;
	*st = body(arg);
	in_tx = 0;
	if (*st != DB_OK && *st != DB_NOT_FOUND) {
		code = last_code != 0 ? last_code : CR_UNKNOWN_ERROR;
		if (conn != NULL)
			(void)tx_statement("ROLLBACK");
		return code;
	}
	if ((code = tx_statement("COMMIT")) != 0)
		*st = failed(code);
	return code;
}

/*
 * Run body(arg) as one transaction.  A failure inside it is never mended by
 * running one statement again (the transaction's locks would be gone): a
 * deadlock or lock wait time-out runs the whole transaction again
 * (DEADLOCK_RETRIES times), a lost connection reconnects and runs it once
 * more, anything else fails it.  body must be safe to run again: hand
 * nothing out before its last statement has stored its result.
 */
enum db_status
tx_run(enum db_status (*body)(void *), void *arg)
{
	enum db_status	st;
	unsigned int	code;
	int		tries = 0, reconnected = 0;
	int64_t		start = proc_now_ms();

	for (;;) {
		if ((code = tx_attempt(body, arg, &st)) == 0)
			return st;
		if (connection_lost(code) && !reconnected) {
			log_warnx("%s; running the transaction again",
			    last_error);
			db_close();
			retry_after_ms = 0;
			reconnected = 1;
			continue;
		}
		if (!again_after_conflict(code, &tries, start))
			return retryable(code) ? unresolved_conflict() :
			    st == DB_OK ? DB_ERROR : st;
	}
}

/* Open health_conn to the first ready node.  Returns 0 or -1. */
static int
connect_health(void)
{
	unsigned int	code = 0;

	if ((health_conn = open_first_ready(cfg, health_options, &code,
	    NULL)) == NULL)
		return -1;
	return 0;
}

/*
 * Does the database answer within HEALTH_TIMEOUT seconds?  The check has
 * a connection of its own, with short time-outs, so that it neither waits
 * behind the worker's long ones nor disturbs its prepared statements; it
 * is kept between checks and opened again once, time permitting, when the
 * server has restarted since.  A failure is remembered for a second: while
 * the database is down, probes (which need no token) are answered at once
 * instead of each holding a worker for up to two seconds.  Returns 1 (up)
 * or 0 (down, see db_last_error).
 */
int
db_health(void)
{
	static int64_t	down_until_ms;
	int64_t		start = proc_now_ms();
	int		attempt;

	if (start < down_until_ms)
		return 0;
	down_until_ms = start + HEALTH_TIMEOUT * 1000;
	for (attempt = 0; attempt < 2; attempt++) {
		if (health_conn == NULL && connect_health() == -1)
			return 0;
		if (node_ready(health_conn) >= NODE_PLAIN) {
			down_until_ms = 0;
			return 1;
		}
		db_error("health", mysql_errno(health_conn),
		    mysql_errno(health_conn) != 0 ? mysql_error(health_conn) :
		    "the Galera node is not Synced");
		close_health();
		if (proc_now_ms() - start >= HEALTH_TIMEOUT * 1000)
			break;		/* no time left for a second try */
	}
	return 0;
}
