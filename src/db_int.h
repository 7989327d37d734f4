/*
 * db_int.h: what the three parts of the database module share, and no one
 * else sees (kcgi's extern.h): the connection and its statements
 * (db_conn.c), the records (db_record.c) and the sessions (db_session.c).
 * db.h is the module's face; only these three include <mysql.h>.
 */
#ifndef PRODREC_DB_INT_H
#define PRODREC_DB_INT_H

#include <stdint.h>

#include <mysql.h>

#include "db.h"


/*
 * One statement.  Prepared on its first use on each connection, so that a
 * statement the schema cannot serve (a release started before its
 * migration) fails only the requests that need it; the prepared ones form
 * a list, closed with the connection.
 */
struct stmt {
	const char	*name;		/* for log lines: "insert record" */
	const char	*sql;
	MYSQL_STMT	*handle;	/* on the open connection, or NULL */
	struct stmt	*next;		/* the next prepared one */
};

/* What sql_session_horizon reads: where a page on a Galera node may go. */
struct horizon {
	uint64_t	settled;	/* settled_id */
	int		open;
	uint64_t	top;		/* the largest id stored */
};

/* db_conn.c: errors, statements, transactions, bindings */
void		db_error(const char *what, unsigned int code, const char *msg);
unsigned int	db_error_code(void);
int		db_on_galera(void);
enum db_status	stmt_run(struct stmt *, MYSQL_BIND *params,
		    MYSQL_BIND *results);
enum db_status	stmt_fetch(struct stmt *);
enum db_status	stmt_fetch_one(struct stmt *, MYSQL_BIND *params,
		    MYSQL_BIND *results);
void		stmt_free_result(struct stmt *);
enum db_status	tx_run(enum db_status (*body)(void *), void *arg);
void		bind_str(MYSQL_BIND *, const char *, size_t,
		    unsigned long *lenp);
void		bind_session_id(MYSQL_BIND *, const char *session_id,
		    unsigned long *lenp);
void		bind_out(MYSQL_BIND *, enum enum_field_types, void *,
		    size_t size, unsigned long *lenp, my_bool *isnull,
		    my_bool *error);

/* db_session.c: the session row, for a page of its records */
enum db_status	session_hold_row(const char *session_id);
enum db_status	session_seal(const char *session_id);
enum db_status	session_settle(const char *session_id);
enum db_status	session_horizon(const char *session_id, struct horizon *);

#endif
