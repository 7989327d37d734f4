/* db.c: the worker's MariaDB connection and prepared statements; the only user of Connector/C. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "proc.h"
#include "rnd.h"
#include "stats.h"
#include "utc.h"
#include "validate.h"

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

/* Milliseconds since the epoch of a DATETIME(3) column (the session is UTC). */
#define MS(col)	"CAST(UNIX_TIMESTAMP(" col ") * 1000 AS SIGNED)"

#define RECORD_COLUMNS \
    "id, record_id, session_id, worker_id, worker_name, units, " \
    MS("recorded_at_utc") ", client_event_id, idempotency_key, auth0_id, " \
    MS("created_at_utc")

/*
 * The new-record statement.  One round trip decides everything on the
 * fast path, and InnoDB's locks make it race-free:
 *
 *  - The session id stored is what a subquery reads from the session row,
 *    with a shared lock (LOCK IN SHARE MODE; the foreign key check locks it
 *    again), only if the session is open and the user's: else it is NULL,
 *    and the NOT NULL column refuses the row (error 1048, in every
 *    sql_mode for a one-row INSERT).  A close is an UPDATE that needs an
 *    exclusive lock on that row, so a close and an insert serialise: the
 *    insert either commits before the close (and is counted by it) or runs
 *    after it, reads status 'closed' and stores nothing.  (The same as an
 *    INSERT ... SELECT FROM production_sessions, at about 60 % of its cost
 *    in the server: tests/bench/README.md.)
 *  - The unique keys (session_id, client_event_id) and (key_owner,
 *    idempotency_key) (key_owner: auth0_id when a key is given, see
 *    sql/migrations/004) make concurrent identical requests collide inside
 *    InnoDB: exactly one inserts, the rest take the ON DUPLICATE KEY branch,
 *    whose LAST_INSERT_ID(id) hands back the existing row's id without
 *    changing the row.  No read-then-write in the program.
 *
 * On a Galera cluster the locks are only the node's own; what decides
 * between nodes is certification at commit: the same unique key inserted
 * through two nodes, or an insert and a close that wrote the same kept-
 * totals row of the session (the close writes them all: sql_session_seal),
 * cannot both commit.  The loser gets 1213 and runs again (execute), now
 * seeing the winner: a replay, or status 'closed'.  sql/README.md, "On a
 * Galera cluster", has the whole design.
 *
 * RETURNING hands back the stored row, in one round trip either way: the
 * new one (its record_id is the one sent) or, on ON DUPLICATE KEY, the row
 * the request duplicates, for the replay or conflict answer.  Error 1048:
 * no open session owned by the user (nothing stored).
 */
static const char sql_insert[] =
    "INSERT INTO production_records (record_id, session_id, worker_id,"
    " worker_name, units, recorded_at_utc, client_event_id,"
    " idempotency_key, auth0_id)"
    " VALUES (?, (SELECT session_id FROM production_sessions"
    " WHERE session_id = ? AND owner_auth0_id = ? AND status = 'open'"
    " LOCK IN SHARE MODE), ?, ?, ?, ?, ?, ?, ?)"
    " ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)"
    " RETURNING " RECORD_COLUMNS;

static const char sql_by_keys[] =
    "SELECT " RECORD_COLUMNS " FROM production_records"
    " WHERE (session_id = ? AND client_event_id = ?)"
    " OR (key_owner = ? AND idempotency_key = ?)"
    " ORDER BY id LIMIT 1";

static const char sql_session[] =
    "SELECT owner_auth0_id, status = 'open' FROM production_sessions"
    " WHERE session_id = ?";

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

enum stmt_id {
	S_INSERT, S_BY_KEYS, S_SESSION_OWNER, S_BY_PUBLIC_ID, S_PAGE,
	S_SESSION_VIEW, S_SESSION_OPEN, S_SESSION_BY_EVENT, S_SESSION_CLOSE,
	S_SESSION_SETTLE, S_SESSION_SEAL, S_SESSION_SETTLE_ID,
	S_SESSION_HORIZON, S__MAX
};

static const char *const stmt_sql[S__MAX] = {
	[S_INSERT] = sql_insert,
	[S_BY_KEYS] = sql_by_keys,
	[S_SESSION_OWNER] = sql_session,
	[S_BY_PUBLIC_ID] = sql_by_public_id,
	[S_PAGE] = sql_page,
	[S_SESSION_VIEW] = sql_session_view,
	[S_SESSION_OPEN] = sql_session_open,
	[S_SESSION_BY_EVENT] = sql_session_by_event,
	[S_SESSION_CLOSE] = sql_session_close,
	[S_SESSION_SETTLE] = sql_session_settle,
	[S_SESSION_SEAL] = sql_session_seal,
	[S_SESSION_SETTLE_ID] = sql_session_settle_id,
	[S_SESSION_HORIZON] = sql_session_horizon,
};

/* For log lines. */
static const char *const stmt_name[S__MAX] = {
	[S_INSERT] = "insert record",
	[S_BY_KEYS] = "record by keys",
	[S_SESSION_OWNER] = "session owner",
	[S_BY_PUBLIC_ID] = "record by recordId",
	[S_PAGE] = "page of records",
	[S_SESSION_VIEW] = "session with totals",
	[S_SESSION_OPEN] = "open session",
	[S_SESSION_BY_EVENT] = "session by clientEventId",
	[S_SESSION_CLOSE] = "close session",
	[S_SESSION_SETTLE] = "lock session for a page",
	[S_SESSION_SEAL] = "seal session counts",
	[S_SESSION_SETTLE_ID] = "settle session",
	[S_SESSION_HORIZON] = "settled part of session",
};

static const struct config	*cfg;
static MYSQL			*conn;			/* NULL while down */
static int			 conn_galera;		/* conn is on a Galera
							   node */
static int			 in_tx;			/* an explicit transaction
							   is open on conn */
static MYSQL			*health_conn;		/* db_health's own */
static MYSQL_STMT		*stmts[S__MAX];
static int64_t			 retry_after_ms;	/* no connect before */
static char			 last_error[256];
static unsigned int		 last_code;	/* its MariaDB error, or 0 */

/* Remember why the last operation failed, for the caller's log line. */
static void
set_error(const char *what, unsigned int code, const char *msg)
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

/* Drop the connections and statements; the next call reconnects. */
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
		stats_set_node(-2);
	}
	close_health();
}

/* Set the per-connection options: timeouts, character set, UTC, isolation. */
static int
set_options(MYSQL *m, const struct config *c)
{
	unsigned int	ct = c->db_connect_timeout, rt = c->db_read_timeout;
	unsigned int	wt = c->db_write_timeout;
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
	if (i == -1 ? c->db_socket == NULL || c->db_socket[0] == '\0' :
	    cfg_db_node(c->db_host, (size_t)i, host, sizeof(host), &port) != 0)
		return NULL;
	if ((m = mysql_init(NULL)) == NULL) {
		set_error("mysql_init", *code = CR_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	if (opts(m, c) == -1 || mysql_real_connect(m, i == -1 ? NULL : host,
	    c->db_user, c->db_password, c->db_name, i == -1 || port == 0 ?
	    c->db_port : port, i == -1 ? c->db_socket : NULL, 0) == NULL ||
	    (state = node_ready(m)) == NODE_FAILED || (state == NODE_GALERA &&
	    read_committed_cluster(m) == -1)) {
		*code = mysql_errno(m) != 0 ? mysql_errno(m) : CR_UNKNOWN_ERROR;
		set_error("connect", *code, mysql_error(m));
	} else if (state == NODE_NOT_READY) {
		*code = ER_UNKNOWN_COM_ERROR;
		set_error("connect", *code, "the Galera node is not Synced");
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
	if (c->db_socket != NULL && c->db_socket[0] != '\0' &&
	    strcmp(c->db_host, "localhost") == 0)
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
		if (cfg->db_socket == NULL || cfg->db_socket[0] == '\0')
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
 * Statement id on the open connection, prepared on its first use, so that a
 * statement the schema cannot serve (a release started before its
 * migration) fails only the requests that need it.  Returns it, or NULL
 * with *code and the error set.
 */
static MYSQL_STMT *
prepared(enum stmt_id id, unsigned int *code)
{
	MYSQL_STMT	*st = stmts[id];

	if (st != NULL)
		return st;
	if ((st = mysql_stmt_init(conn)) == NULL) {
		*code = mysql_errno(conn);
		set_error("mysql_stmt_init", *code, mysql_error(conn));
		return NULL;
	}
	if (mysql_stmt_prepare(st, stmt_sql[id], strlen(stmt_sql[id])) != 0) {
		*code = mysql_stmt_errno(st);
		snprintf(last_error, sizeof(last_error), "prepare %s: MariaDB "
		    "error %u: %s", stmt_name[id], *code, mysql_stmt_error(st));
		last_code = *code;
		mysql_stmt_close(st);
		return NULL;
	}
	return stmts[id] = st;
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
 * Bind params, execute statement id (prepared: st) and store its result
 * set, if it has one (its columns are known once it has run: a prepared
 * INSERT ... RETURNING has none before), then bind results to it.  0, or
 * the error's code, with the error set.  An error can come after the rows:
 * sql_insert's, when the commit fails after RETURNING sent the row.
 * Connector/C then needs the statement reset before it runs again.
 */
static unsigned int
run_prepared(enum stmt_id id, MYSQL_STMT *st, MYSQL_BIND *params,
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
	set_error(stmt_name[id], code, mysql_stmt_error(st));
	if (ran && !connection_lost(code))
		(void)mysql_stmt_reset(st);
	return code;
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
 *
 * Inside an explicit transaction (in_tx) nothing is retried here: the
 * failure has rolled back or lost the whole transaction, and running the
 * statement again would run it outside the transaction, without the locks
 * taken before it.  in_transaction() retries the whole transaction.
 */
static enum db_status
execute(enum stmt_id id, MYSQL_BIND *params, MYSQL_BIND *results)
{
	unsigned int	code = 0;
	int		tries = 0, reconnected = in_tx;
	int64_t		start = proc_now_ms();

	for (;;) {
		if (db_connect() == -1)
			return DB_UNAVAILABLE;
		MYSQL_STMT *st = prepared(id, &code);
		if (st != NULL && (code = run_prepared(id, st, params,
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
 * After mysql_stmt_fetch() of statement s returned rc: complete the row.
 * Returns DB_OK, DB_NOT_FOUND (no more rows) or DB_ERROR.
 */
static enum db_status
record_fetched(struct record_out *o, MYSQL_STMT *s, int rc)
{
	struct record_row	*r = o->r;

	if (rc == MYSQL_NO_DATA)
		return DB_NOT_FOUND;
	if (rc != 0) {
		set_error("fetch record", mysql_stmt_errno(s), rc ==
		    MYSQL_DATA_TRUNCATED ? "column truncated" : mysql_stmt_error(s));
		return DB_ERROR;
	}
	if (o->isnull[6] || o->isnull[10]) {
		set_error("fetch record", 0, "a time is out of range");
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
fetch_record(enum stmt_id id, MYSQL_BIND *params, struct record_row *r)
{
	struct record_out	 o;
	enum db_status		 st;
	int			 rc;

	bind_record(&o, r);
	if ((st = execute(id, params, o.out)) != DB_OK)
		return st;
	rc = mysql_stmt_fetch(stmts[id]);
	st = record_fetched(&o, stmts[id], rc);
	mysql_stmt_free_result(stmts[id]);
	return st;
}

/* Bind sql_insert's parameters; when and units are the buffers they use. */
static void
bind_insert(MYSQL_BIND p[10], unsigned long len[10], char when[25],
    uint32_t *units, const struct record_input *in, const char *user,
    const char *record_id)
{
	size_t	user_len = strlen(user);

	utc_format(in->recorded_at_ms, when);
	bind_str(&p[0], record_id, RECORD_ID_LEN, &len[0]);
	bind_str(&p[1], in->session_id, SESSION_ID_LEN, &len[1]);
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
	char			when[25];
	uint32_t		units;
	struct record_out	o;
	enum db_status		st;

	bind_insert(p, len, when, &units, in, user, record_id);
	bind_record(&o, row);
	st = execute(S_INSERT, p, o.out);
	if (st == DB_ERROR && last_code == ER_BAD_NULL_ERROR) {
		*outcome = INSERT_NO_SESSION;	/* the subquery found none */
		return DB_OK;
	}
	if (st != DB_OK)
		return st;
	st = record_fetched(&o, stmts[S_INSERT],
	    mysql_stmt_fetch(stmts[S_INSERT]));
	mysql_stmt_free_result(stmts[S_INSERT]);
	if (st == DB_NOT_FOUND) {
		set_error(stmt_name[S_INSERT], 0, "no row returned");
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
	if ((st = execute(S_SESSION_OWNER, p, out)) != DB_OK)
		return st;
	rc = mysql_stmt_fetch(stmts[S_SESSION_OWNER]);
	mysql_stmt_free_result(stmts[S_SESSION_OWNER]);
	if (rc == MYSQL_NO_DATA)
		return DB_NOT_FOUND;
	if (rc != 0) {
		set_error("fetch session", mysql_stmt_errno(stmts[S_SESSION_OWNER]),
		    rc == MYSQL_DATA_TRUNCATED ? "column truncated" :
		    mysql_stmt_error(stmts[S_SESSION_OWNER]));
		return DB_ERROR;
	}
	s->owner_len = len[0];
	s->state = open ? SESSION_OPEN : SESSION_CLOSED;
	return DB_OK;
}

enum db_status
db_record_by_public_id(const char *record_id, struct record_row *r)
{
	MYSQL_BIND	p[1];
	unsigned long	len;

	bind_str(&p[0], record_id, RECORD_ID_LEN, &len);
	return fetch_record(S_BY_PUBLIC_ID, p, r);
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
 * Run the page's query; its rows stay stored in stmts[S_PAGE] for
 * page_rows, so that a transaction that reads it can still be run again
 * (until page_rows has handed any out).
 */
static enum db_status
page_query(struct page_read *t)
{
	MYSQL_BIND	p[4];
	unsigned long	len;

	bind_str(&p[0], t->session_id, SESSION_ID_LEN, &len);
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
	if (stmts[S_PAGE] != NULL)	/* an earlier try's, not handed out */
		mysql_stmt_free_result(stmts[S_PAGE]);
	return execute(S_PAGE, p, t->o.out);
}

/* Hand each row page_query stored to fn (see db_record_page), then free them. */
static enum db_status
page_rows(struct page_read *t, db_record_fn fn, void *arg)
{
	MYSQL_STMT	*s = stmts[S_PAGE];
	enum db_status	 st;

	while ((st = record_fetched(&t->o, s, mysql_stmt_fetch(s))) == DB_OK)
		if (fn(&t->row, arg) != 0) {
			set_error("page of records", 0, "out of memory");
			st = DB_ERROR;
			break;
		}
	mysql_stmt_free_result(s);
	return st == DB_NOT_FOUND ? DB_OK : st;
}

/* Bind the session id to p[0], and to p[1] when two are wanted. */
static void
bind_session_twice(MYSQL_BIND *p, const char *session_id, unsigned long *len,
    int twice)
{
	bind_str(&p[0], session_id, SESSION_ID_LEN, len);
	if (twice)
		bind_str(&p[1], session_id, SESSION_ID_LEN, len);
}

/* Write every kept-totals row the session has or can get (sql_session_seal). */
static enum db_status
seal(const char *session_id)
{
	MYSQL_BIND	p[2];
	unsigned long	len;

	bind_session_twice(p, session_id, &len, 1);
	return execute(S_SESSION_SEAL, p, NULL);
}

/* Hold the session row for the rest of the transaction (sql_session_settle). */
static enum db_status
hold_session_row(const char *session_id)
{
	MYSQL_BIND	p[1], out[1];
	unsigned long	len, olen;
	my_bool		isnull, error;
	char		status[8];
	enum db_status	st;

	bind_session_twice(p, session_id, &len, 0);
	bind_out(&out[0], MYSQL_TYPE_STRING, status, sizeof(status), &olen,
	    &isnull, &error);
	if ((st = execute(S_SESSION_SETTLE, p, out)) == DB_OK)
		mysql_stmt_free_result(stmts[S_SESSION_SETTLE]);
	return st;
}

/* What sql_session_horizon reads: where a page on a Galera node may go. */
struct horizon {
	uint64_t	settled;	/* settled_id */
	int		open;
	uint64_t	top;		/* the largest id stored */
};

static enum db_status
read_horizon(const char *session_id, struct horizon *h)
{
	MYSQL_BIND	p[1], out[3];
	unsigned long	len, olen[3];
	my_bool		isnull[3], error[3];
	enum db_status	st;
	int		rc;

	bind_session_twice(p, session_id, &len, 0);
	bind_out(&out[0], MYSQL_TYPE_LONGLONG, &h->settled, 0, &olen[0],
	    &isnull[0], &error[0]);
	bind_out(&out[1], MYSQL_TYPE_LONG, &h->open, 0, &olen[1], &isnull[1],
	    &error[1]);
	bind_out(&out[2], MYSQL_TYPE_LONGLONG, &h->top, 0, &olen[2],
	    &isnull[2], &error[2]);
	if ((st = execute(S_SESSION_HORIZON, p, out)) != DB_OK)
		return st;
	rc = mysql_stmt_fetch(stmts[S_SESSION_HORIZON]);
	mysql_stmt_free_result(stmts[S_SESSION_HORIZON]);
	if (rc == MYSQL_NO_DATA)
		return DB_NOT_FOUND;
	if (rc != 0 || isnull[0] || isnull[1] || isnull[2]) {
		set_error("settled part of session", 0, "unexpected row");
		return DB_ERROR;
	}
	return DB_OK;
}

/*
 * Settle the session (sql_session_settle_id, then the seal), for
 * in_transaction; t->upto becomes the new settled_id, which this
 * transaction's own write makes visible to it.
 */
static enum db_status
settle_body(void *arg)
{
	struct page_read	*t = arg;
	struct horizon		 h;
	MYSQL_BIND		 p[2];
	unsigned long		 len;
	enum db_status		 st;

	bind_session_twice(p, t->session_id, &len, 1);
	if ((st = execute(S_SESSION_SETTLE_ID, p, NULL)) != DB_OK ||
	    (st = seal(t->session_id)) != DB_OK ||
	    (st = read_horizon(t->session_id, &h)) != DB_OK)
		return st;
	t->upto = h.open ? h.settled : UINT64_MAX;
	return DB_OK;
}

/* Run sql (a transaction statement) on conn: 0, or the error's code. */
static unsigned int
tx_statement(const char *sql)
{
	if (mysql_query(conn, sql) == 0)
		return 0;
	set_error(sql, mysql_errno(conn), mysql_error(conn));
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
static enum db_status
in_transaction(enum db_status (*body)(void *), void *arg)
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

/* A page of an open session on one server, for in_transaction. */
static enum db_status
page_body(void *arg)
{
	struct page_read	*t = arg;
	enum db_status		 st;

	if ((st = hold_session_row(t->session_id)) != DB_OK)
		return st;
	return page_query(t);
}

/*
 * A page of an open session on a Galera node (sql_session_settle_id): what
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

	if ((st = read_horizon(t->session_id, &h)) == DB_NOT_FOUND)
		h.open = 0;			/* gone: no records either */
	else if (st != DB_OK)
		return st;
	t->upto = !h.open ? UINT64_MAX : h.settled;
	if ((st = page_query(t)) != DB_OK || !h.open || h.top <= h.settled ||
	    mysql_stmt_num_rows(stmts[S_PAGE]) == t->limit)
		return st;
	if ((st = in_transaction(settle_body, t)) == DB_OK)
		return page_query(t);
	if (st != DB_UNAVAILABLE)
		return st;
	t->upto = h.settled;		/* the connection may be a new one */
	if ((st = page_query(t)) == DB_OK &&
	    mysql_stmt_num_rows(stmts[S_PAGE]) == 0)
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
	else if (conn_galera)
		st = galera_page(&t, cut);
	else
		st = in_transaction(page_body, &t);
	if (st != DB_OK) {
		if (stmts[S_PAGE] != NULL)
			mysql_stmt_free_result(stmts[S_PAGE]);
		return st;
	}
	return page_rows(&t, fn, arg);
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
	unsigned long	 plen[2], len[8];
	my_bool		 isnull[8], error[8];
	long long	 ms[2] = { 0, 0 };
	int		 open = 0, rc;
	enum db_status	 st;
	MYSQL_STMT	*s;

	memset(v, 0, sizeof(*v));
	bind_str(&p[0], session_id, SESSION_ID_LEN, &plen[0]);
	bind_str(&p[1], session_id, SESSION_ID_LEN, &plen[1]);
	bind_session_view(out, len, isnull, error, v, &open, ms);
	if ((st = execute(S_SESSION_VIEW, p, out)) != DB_OK)
		return st;
	s = stmts[S_SESSION_VIEW];
	rc = mysql_stmt_fetch(s);
	if (rc != 0 && rc != MYSQL_NO_DATA)
		set_error("fetch session", mysql_stmt_errno(s), rc ==
		    MYSQL_DATA_TRUNCATED ? "column truncated" : mysql_stmt_error(s));
	mysql_stmt_free_result(s);
	if (rc == MYSQL_NO_DATA)
		return DB_NOT_FOUND;
	if (rc != 0)
		return DB_ERROR;
	if (isnull[4]) {
		set_error("fetch session", 0, "opened_at_utc out of range");
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

	bind_str(&p[0], n->session_id, SESSION_ID_LEN, &len[0]);
	bind_str(&p[1], n->owner, strlen(n->owner), &len[1]);
	bind_str(&p[2], n->label, n->label_len, &len[2]);
	bind_str(&p[3], n->client_event_id, n->client_event_id_len, &len[3]);
	if ((st = execute(S_SESSION_OPEN, p, NULL)) != DB_OK)
		return st;
	*created = mysql_stmt_affected_rows(stmts[S_SESSION_OPEN]) == 1;
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
	enum db_status	 st;
	MYSQL_STMT	*s;
	int		 rc;

	memset(session_id, 0, SESSION_ID_LEN + 1);
	bind_str(&p[0], owner, strlen(owner), &plen[0]);
	bind_str(&p[1], event, event_len, &plen[1]);
	bind_out(&out[0], MYSQL_TYPE_STRING, session_id, SESSION_ID_LEN + 1,
	    &len, &isnull, &error);
	if ((st = execute(S_SESSION_BY_EVENT, p, out)) != DB_OK)
		return st;
	s = stmts[S_SESSION_BY_EVENT];
	rc = mysql_stmt_fetch(s);
	if (rc != 0 && rc != MYSQL_NO_DATA)
		set_error("fetch session id", mysql_stmt_errno(s),
		    mysql_stmt_error(s));
	mysql_stmt_free_result(s);
	if (rc == MYSQL_NO_DATA)
		return DB_NOT_FOUND;
	return rc == 0 ? DB_OK : DB_ERROR;
}

/* A close, for in_transaction on a Galera node (see sql_session_seal). */
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

	bind_str(&p[0], session_id, SESSION_ID_LEN, &len[0]);
	bind_str(&p[1], owner, strlen(owner), &len[1]);
	if ((st = execute(S_SESSION_CLOSE, p, NULL)) != DB_OK)
		return st;
	*closed_now = mysql_stmt_affected_rows(stmts[S_SESSION_CLOSE]) == 1;
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
	return seal(t->session_id);
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
	if (!conn_galera)
		return close_statement(session_id, owner, closed_now);
	return in_transaction(close_body, &t);
}

/* HEALTH_TIMEOUT on everything. */
static int
health_options(MYSQL *m, const struct config *c)
{
	unsigned int	t = HEALTH_TIMEOUT;

	(void)c;
	return mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &t) ||
	    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &t) ||
	    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &t) ? -1 : 0;
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
		set_error("health", mysql_errno(health_conn),
		    mysql_errno(health_conn) != 0 ? mysql_error(health_conn) :
		    "the Galera node is not Synced");
		close_health();
		if (proc_now_ms() - start >= HEALTH_TIMEOUT * 1000)
			break;		/* no time left for a second try */
	}
	return 0;
}
