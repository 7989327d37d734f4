/*
 * stub_db.c: db.h answered from a script (stub_db.h) instead of MariaDB,
 * for the fuzz targets: rows are made up, records read back carry the
 * payload of the last insert unless the script says otherwise.
 */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "validate.h"
#include "stub_db.h"

#define SESSION	"6507f1e3c9d8e2a4b1f9c3d5"
#define T0	1760884200000LL		/* 2025-10-19T14:30:00Z, in ms */

static struct {
	const char		*script;
	size_t			 len, next;
	struct record_input	 last;		/* of the last insert */
	int			 has_last;
	char			 record_id[RECORD_ID_LEN + 1];
	int			 closed;	/* a close was asked for */
} db;

void
stub_db_script(const char *script, size_t len)
{
	memset(&db, 0, sizeof(db));
	db.script = script;
	db.len = len;
}

/* The next answer of the script, or 0 past its end. */
static char
answer(void)
{
	return db.next < db.len ? db.script[db.next++] : '\0';
}

static enum db_status
status_of(char c)
{
	return c == 'n' ? DB_NOT_FOUND : c == 'u' ? DB_UNAVAILABLE :
	    c == 'e' ? DB_ERROR : DB_OK;
}

/* Copy len bytes of s (NULL: none) into a field of size sz, NUL-terminated. */
static size_t
put(char *field, size_t sz, const char *s, size_t len)
{
	if (s == NULL)
		len = 0;
	if (len >= sz)
		len = sz - 1;
	if (len > 0)
		memcpy(field, s, len);
	field[len] = '\0';
	return len;
}

/* A stored record: the last insert's payload, or another, per c. */
static void
make_row(struct record_row *r, char c)
{
	const struct record_input	*in = &db.last;

	memset(r, 0, sizeof(*r));
	r->id = 7;
	memcpy(r->record_id, c == 'r' && db.record_id[0] ? db.record_id :
	    "rec_00000000000000a1", RECORD_ID_LEN + 1);
	memcpy(r->session_id, db.has_last ? in->session_id : SESSION,
	    SESSION_ID_LEN + 1);
	if (c == 'w')
		r->session_id[0] = r->session_id[0] == 'f' ? '0' : 'f';
	r->worker_id_len = put(r->worker_id, sizeof(r->worker_id),
	    db.has_last ? in->worker_id : "JS0315", db.has_last ?
	    in->worker_id_len : 6);
	r->worker_name_len = put(r->worker_name, sizeof(r->worker_name),
	    db.has_last ? in->worker_name : "John Smith", db.has_last ?
	    in->worker_name_len : 10);
	r->units = db.has_last ? in->units + (c == 'x') : 5;
	r->recorded_at_ms = db.has_last ? in->recorded_at_ms : T0;
	r->client_event_id_len = put(r->client_event_id,
	    sizeof(r->client_event_id), db.has_last ? in->client_event_id :
	    "evt_1", db.has_last ? in->client_event_id_len : 5);
	r->has_idempotency_key = db.has_last && in->idempotency_key != NULL;
	r->idempotency_key_len = put(r->idempotency_key,
	    sizeof(r->idempotency_key), in->idempotency_key,
	    in->idempotency_key_len);
	r->auth0_id_len = put(r->auth0_id, sizeof(r->auth0_id), STUB_DB_USER,
	    strlen(STUB_DB_USER));
	r->created_at_ms = T0 + 1;
}

int
db_init(const struct config *cfg)
{
	(void)cfg;
	return 0;
}

int
db_connect(void)
{
	return 0;
}

void
db_close(void)
{
}

enum db_status
db_record_insert(const struct record_input *in, const char *user,
    const char *record_id, enum db_insert *ins, struct record_row *r)
{
	char	c = answer();

	(void)user;
	db.last = *in;
	db.has_last = 1;
	memcpy(db.record_id, record_id, RECORD_ID_LEN + 1);
	*ins = c == 'd' ? INSERT_DUPLICATE : c == 's' ? INSERT_NO_SESSION :
	    INSERT_CREATED;
	if (*ins == INSERT_DUPLICATE)
		make_row(r, answer());
	return status_of(c);
}

enum db_status
db_record_by_keys(const struct record_input *in, const char *user,
    struct record_row *r)
{
	char	c = answer();

	(void)in;
	(void)user;
	make_row(r, c);
	return status_of(c);
}

enum db_status
db_record_by_public_id(const char *record_id, struct record_row *r)
{
	char	c = answer();

	make_row(r, c);
	memcpy(r->record_id, record_id, RECORD_ID_LEN + 1);
	return status_of(c);
}

enum db_status
db_session_get(const char *session_id, struct session_row *s)
{
	char	c = answer();

	(void)session_id;
	memset(s, 0, sizeof(*s));
	s->owner_len = put(s->owner, sizeof(s->owner), c == 'f' ?
	    "someone-else" : STUB_DB_USER, c == 'f' ? 12 : strlen(STUB_DB_USER));
	s->state = c == 'c' ? SESSION_CLOSED : SESSION_OPEN;
	return status_of(c);
}

enum db_status
db_session_view(const char *session_id, struct session_view *v)
{
	char	c = answer();

	memset(v, 0, sizeof(*v));
	memcpy(v->session_id, session_id, SESSION_ID_LEN + 1);
	v->owner_len = put(v->owner, sizeof(v->owner), c == 'f' ?
	    "someone-else" : STUB_DB_USER, c == 'f' ? 12 : strlen(STUB_DB_USER));
	v->state = c == 'c' || (db.closed && c != 'p') ? SESSION_CLOSED :
	    SESSION_OPEN;
	v->label_len = put(v->label, sizeof(v->label), "Line 4", 6);
	v->has_label = c != 'x';
	v->opened_at_ms = T0;
	v->closed_at_ms = T0 + 60000;
	v->has_closed_at = v->state == SESSION_CLOSED;
	v->record_count = 3;
	v->total_units = 15;
	return status_of(c);
}

enum db_status
db_session_open(const struct session_new *n, int *created)
{
	char	c = answer();

	(void)n;
	*created = c != 'k';
	return status_of(c);
}

enum db_status
db_session_by_event(const char *owner, const char *event, size_t event_len,
    char session_id[SESSION_ID_LEN + 1])
{
	char	c = answer();

	(void)owner;
	(void)event;
	(void)event_len;
	memcpy(session_id, SESSION, SESSION_ID_LEN + 1);
	return status_of(c);
}

enum db_status
db_session_close(const char *session_id, const char *owner, int *closed_now)
{
	char	c = answer();

	(void)session_id;
	(void)owner;
	db.closed = 1;
	*closed_now = c != 'a';
	return status_of(c);
}

enum db_status
db_record_page(const char *session_id, uint64_t after_id, unsigned limit,
    int open, db_record_fn fn, void *arg, int *cut)
{
	struct record_row	r;
	char			c = answer();
	unsigned		i, n = c >= '0' && c <= '9' ? (unsigned)(c - '0') : 3;

	(void)session_id;
	(void)open;
	*cut = c == '7';
	if (status_of(c) != DB_OK)
		return status_of(c);
	for (i = 0; i < n && i < limit; i++) {
		make_row(&r, '\0');
		r.id = after_id + i + 1;
		snprintf(r.record_id, sizeof(r.record_id), "rec_%016x", i + 1);
		if (fn(&r, arg) != 0)
			return DB_ERROR;
	}
	return DB_OK;
}

int
db_health(void)
{
	return answer() != 'n';
}

const char *
db_last_error(void)
{
	return "stub database";
}

/* One node, the socket, for the status page. */
int
db_node_name(int i, char *buf, size_t bufsz)
{
	if (i != -1)
		return 1;
	snprintf(buf, bufsz, "/run/mysqld/mysqld.sock");
	return 0;
}
