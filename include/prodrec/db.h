/* db.h: the worker's database: connection, records, sessions (db_*.c, the only users of Connector/C). */
#ifndef PRODREC_DB_H
#define PRODREC_DB_H

#include <stddef.h>
#include <stdint.h>

#include "ids.h"

struct config;		/* config.h */
struct record_input;	/* validate.h */

enum db_status {
	DB_OK,			/* done; see the function for what it found */
	DB_NOT_FOUND,		/* no such row */
	DB_UNAVAILABLE,		/* server unreachable or gone: 503 */
	DB_ERROR,		/* anything else: 500 */
	DB__MAX
};

/* A stored record, as read back for replay checks. */
struct record_row {
	uint64_t	id;					/* surrogate key, insertion order */
	char		record_id[RECORD_ID_LEN + 1];
	char		session_id[SESSION_ID_LEN + 1];
	char		worker_id[WORKER_ID_MAX * 4 + 1];	/* UTF-8, NUL-terminated */
	size_t		worker_id_len;
	char		worker_name[WORKER_NAME_MAX * 4 + 1];
	size_t		worker_name_len;
	uint32_t	units;
	int64_t		recorded_at_ms;
	char		client_event_id[CLIENT_EVENT_ID_MAX + 1];
	size_t		client_event_id_len;
	char		idempotency_key[IDEMPOTENCY_KEY_MAX + 1];
	size_t		idempotency_key_len;
	int		has_idempotency_key;
	char		auth0_id[USER_ID_MAX * 4 + 1];	/* column holds 255 characters */
	size_t		auth0_id_len;
	int64_t		created_at_ms;
};

enum session_state { SESSION_OPEN, SESSION_CLOSED };

struct session_row {
	char			owner[USER_ID_MAX * 4 + 1];	/* owner_auth0_id, 255 characters */
	size_t			owner_len;
	enum session_state	state;
};

/* A session as the API shows it, with totals counted from its records. */
struct session_view {
	char			session_id[SESSION_ID_LEN + 1];
	char			owner[USER_ID_MAX * 4 + 1];
	size_t			owner_len;
	enum session_state	state;
	char			label[LABEL_MAX * 4 + 1];
	size_t			label_len;
	int			has_label;
	int64_t			opened_at_ms;
	int64_t			closed_at_ms;
	int			has_closed_at;
	uint64_t		record_count;
	uint64_t		total_units;
};

/* A session to open: the id is made by the caller. */
struct session_new {
	char		 session_id[SESSION_ID_LEN + 1];
	const char	*owner;
	const char	*label;			/* NULL when absent */
	size_t		 label_len;
	const char	*client_event_id;	/* NULL when absent */
	size_t		 client_event_id_len;
};

/* Called for each record of a page, in order; non-zero stops. */
typedef int (*db_record_fn)(const struct record_row *, void *);

/* Outcome of the one-statement insert. */
enum db_insert {
	INSERT_CREATED,		/* a new row */
	INSERT_DUPLICATE,	/* a unique key matched the stored row *row */
	INSERT_NO_SESSION,	/* no open session owned by the user: nothing stored */
	INSERT__MAX
};

/* db_conn.c, db_record.c, db_session.c */
int		db_init(const struct config *);
int		db_connect(void);
int		db_probe(const struct config *, char *err, size_t errsz);
int		db_node_name(int i, char *buf, size_t bufsz);
void		db_close(void);
enum db_status	db_record_insert(const struct record_input *, const char *user,
		    const char *record_id, enum db_insert *, struct record_row *row);
enum db_status	db_record_by_keys(const struct record_input *, const char *user,
		    struct record_row *);
enum db_status	db_session_get(const char *session_id, struct session_row *);
enum db_status	db_session_view(const char *session_id, struct session_view *);
enum db_status	db_session_open(const struct session_new *, int *created);
enum db_status	db_session_by_event(const char *owner, const char *event,
		    size_t event_len, char session_id[SESSION_ID_LEN + 1]);
enum db_status	db_session_close(const char *session_id, const char *owner,
		    int *closed_now);
enum db_status	db_record_by_public_id(const char *record_id,
		    struct record_row *);
enum db_status	db_record_page(const char *session_id, uint64_t after_id,
		    unsigned limit, int open, db_record_fn, void *, int *cut);
int		db_health(void);
const char	*db_last_error(void);

#endif
