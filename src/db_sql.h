/*
 * db_sql.h: SQL texts that leave the database module: the new-record
 * statement, which tests/bench/dbloop.c runs as it is to measure the
 * database's ceiling.  No library is needed to include it.
 */
#ifndef PRODREC_DB_SQL_H
#define PRODREC_DB_SQL_H

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
 * cannot both commit.  The loser gets 1213 and runs again (stmt_run), now
 * seeing the winner: a replay, or status 'closed'.  sql/README.md, "On a
 * Galera cluster", has the whole design.
 *
 * RETURNING hands back the stored row, in one round trip either way: the
 * new one (its record_id is the one sent) or, on ON DUPLICATE KEY, the row
 * the request duplicates, for the replay or conflict answer.  Error 1048:
 * no open session owned by the user (nothing stored).
 */
#define SQL_INSERT_RECORD \
    "INSERT INTO production_records (record_id, session_id, worker_id," \
    " worker_name, units, recorded_at_utc, client_event_id," \
    " idempotency_key, auth0_id)" \
    " VALUES (?, (SELECT session_id FROM production_sessions" \
    " WHERE session_id = ? AND owner_auth0_id = ? AND status = 'open'" \
    " LOCK IN SHARE MODE), ?, ?, ?, ?, ?, ?, ?)" \
    " ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)" \
    " RETURNING " RECORD_COLUMNS

#endif
