-- prodrec schema, one migration after another.
--
-- sql/schema.sql is the files sql/migrations/NNN_name.sql put together in
-- order, byte for byte (tests/integration/test_migrations.py checks it):
-- after changing or adding a migration, run from the top of the tree
--
--   cat sql/migrations/[0-9][0-9][0-9]_*.sql > sql/schema.sql
--
-- Run schema.sql against the service's database as a DBA:
--
--   mariadb prodrec < sql/schema.sql
--
-- It brings an empty database, or one of any earlier version, to the current
-- version, and is safe to run again on a live database: every statement only
-- adds what is missing (IF NOT EXISTS, CREATE OR REPLACE VIEW).  Each
-- migration records itself in schema_version when it has run to its end;
-- SELECT * FROM schema_version shows where a database stands.  A migration
-- never changes once released: a change is a new file with the next number.
-- sql/README.md describes the tables and views for DBAs.

-- ---- 001_initial: the first release (its sql/schema.sql, unchanged) ----

-- prodrec schema: production sessions and the records counted into them.
--
-- Run it against the service's database (mariadb prodrec < sql/schema.sql).
-- It only creates what is missing and never drops anything, so it is safe to
-- run again on a live database.  All times are UTC; all text is utf8mb4.
-- User ids use a NO PAD collation: 'alice ' and 'alice' are different users.

SET NAMES utf8mb4;
SET time_zone = '+00:00';

CREATE TABLE IF NOT EXISTS production_sessions (
	session_id	CHAR(24) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
	    COMMENT 'MongoDB ObjectId style id: 24 lower-case hex digits',
	owner_auth0_id	VARCHAR(255) COLLATE utf8mb4_nopad_bin NOT NULL
	    COMMENT 'user (token sub claim) who owns the session; only they can add records',
	status		ENUM('open','closed') NOT NULL DEFAULT 'open'
	    COMMENT 'open: records are accepted; closed: no record is accepted any more',
	label		VARCHAR(128) NULL
	    COMMENT 'free text shown to people, e.g. the line or shift name',
	opened_at_utc	DATETIME(3) NOT NULL DEFAULT UTC_TIMESTAMP(3)
	    COMMENT 'when the session was opened (UTC)',
	closed_at_utc	DATETIME(3) NULL
	    COMMENT 'when the session was closed (UTC); NULL while open',
	PRIMARY KEY (session_id),
	KEY idx_sessions_owner_status (owner_auth0_id, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Production sessions: a worker''s shift or run on a line; open or closed';

CREATE TABLE IF NOT EXISTS production_records (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT
	    COMMENT 'surrogate key: the order in which records were stored',
	record_id	CHAR(20) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
	    COMMENT 'public id: rec_ + 16 random lower-case hex digits',
	session_id	CHAR(24) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
	    COMMENT 'the session the units were counted into',
	worker_id	VARCHAR(64) COLLATE utf8mb4_bin NOT NULL
	    COMMENT 'worker identifier as sent by the app, e.g. JS0315',
	worker_name	VARCHAR(128) COLLATE utf8mb4_bin NOT NULL
	    COMMENT 'worker full name as sent by the app',
	units		INT UNSIGNED NOT NULL
	    COMMENT 'units produced (1 to the configured maximum)',
	recorded_at_utc	DATETIME(3) NOT NULL
	    COMMENT 'when the app recorded the units (UTC, to the millisecond)',
	client_event_id	VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
	    COMMENT 'the app''s event id; unique within a session (idempotency)',
	idempotency_key	VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL
	    COMMENT 'optional idempotency key; unique per user when given',
	auth0_id	VARCHAR(255) COLLATE utf8mb4_nopad_bin NOT NULL
	    COMMENT 'user (token sub claim) who sent the record: the session owner',
	created_at_utc	DATETIME(3) NOT NULL DEFAULT UTC_TIMESTAMP(3)
	    COMMENT 'when the server stored the record (UTC)',
	PRIMARY KEY (id),
	UNIQUE KEY uq_records_record_id (record_id),
	UNIQUE KEY uq_records_session_event (session_id, client_event_id),
	UNIQUE KEY uq_records_user_key (auth0_id, idempotency_key),
	KEY idx_records_session_order (session_id, id),
	KEY idx_records_recorded_at (recorded_at_utc),
	CONSTRAINT fk_records_session FOREIGN KEY (session_id)
	    REFERENCES production_sessions (session_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Production records: units a worker made in a session; each stored exactly once';

-- One row per session with its totals, computed from the records themselves.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW production_session_totals AS
SELECT	s.session_id,
	s.owner_auth0_id,
	s.status,
	s.label,
	s.opened_at_utc,
	s.closed_at_utc,
	COUNT(r.id)			AS record_count,
	COALESCE(SUM(r.units), 0)	AS total_units,
	MIN(r.recorded_at_utc)		AS first_recorded_at_utc,
	MAX(r.recorded_at_utc)		AS last_recorded_at_utc
FROM production_sessions s
LEFT JOIN production_records r ON r.session_id = s.session_id
GROUP BY s.session_id, s.owner_auth0_id, s.status, s.label,
	s.opened_at_utc, s.closed_at_utc;

-- The migrations applied to this database.  The first release had no such
-- table: on a database of that release, this file changes nothing but this.
CREATE TABLE IF NOT EXISTS schema_version (
	version		INT UNSIGNED NOT NULL
	    COMMENT 'migration number: the NNN of sql/migrations/NNN_name.sql',
	name		VARCHAR(64) NOT NULL
	    COMMENT 'migration name: the name of sql/migrations/NNN_name.sql',
	applied_at_utc	DATETIME(3) NOT NULL DEFAULT UTC_TIMESTAMP(3)
	    COMMENT 'when the migration first ran to its end on this database (UTC)',
	PRIMARY KEY (version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Schema migrations applied here; the highest version is the schema''s version';

INSERT INTO schema_version (version, name) VALUES (1, 'initial')
ON DUPLICATE KEY UPDATE version = version;
