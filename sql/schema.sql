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

-- ---- 002_sessions_api: sessions opened, closed and read through the API ----
--
-- Needs 001.  Adds the open request's event id to sessions (a replayed open
-- finds its session), refuses session ids that are not 24 lower-case hex
-- digits, records closed_at_utc when anyone closes a session, makes the
-- records' per-session index cover the totals and the pages of the API, and
-- adds the per-worker daily totals view.
--
-- On a large production_records the index build takes a while (1.6 s for
-- a million records on a 2-core machine); InnoDB builds it in place and
-- keeps accepting inserts meanwhile.  When this has run, the program of
-- this release can start; the program of the first release still works
-- against it.

SET NAMES utf8mb4;
SET time_zone = '+00:00';

ALTER TABLE production_sessions
	ADD COLUMN IF NOT EXISTS client_event_id VARCHAR(128)
	    CHARACTER SET ascii COLLATE ascii_bin NULL
	    COMMENT 'the app''s event id of the open request (clientEventId); unique per owner; NULL when none was sent or opened by SQL',
	ADD UNIQUE KEY IF NOT EXISTS uq_sessions_owner_event
	    (owner_auth0_id, client_event_id);

-- Session ids are lower case.  The program has always lower-cased the ids it
-- is sent, so a session a DBA opened with upper-case hex digits could never
-- be reached: lower-case such ids here, together with the records that
-- point at them (the foreign key refuses to change a session id that
-- records use, so its checks are off for these two statements only).  This
-- fails with a duplicate-key error when the same id exists in both cases:
-- merge or delete one of the two sessions, then run this again.
-- READ COMMITTED: the scans lock only the rows they change (none, on a
-- database where this has run), so that running this file again on a live
-- database, or a Galera cluster, does not hold every session row while the
-- program inserts (on a cluster, the node's inserts from other nodes would
-- abort it with a deadlock error).
SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
START TRANSACTION;
SET @old_fk_checks = @@foreign_key_checks, foreign_key_checks = 0;
UPDATE production_sessions s
JOIN production_records r ON r.session_id = s.session_id
SET r.session_id = LOWER(r.session_id)
WHERE s.session_id <> LOWER(s.session_id);
UPDATE production_sessions SET session_id = LOWER(session_id)
WHERE session_id <> LOWER(session_id);
SET foreign_key_checks = @old_fk_checks;
COMMIT;

-- If this fails with "CONSTRAINT `chk_sessions_id` failed", some session id
-- is not 24 hex digits at all.  List them with
--   SELECT session_id FROM production_sessions
--   WHERE session_id NOT REGEXP '^[0-9a-f]{24}$';
-- give each a proper id (records pointing at one must move with it, as
-- above), then run this file again.
ALTER TABLE production_sessions
	ADD CONSTRAINT IF NOT EXISTS chk_sessions_id
	    CHECK (session_id REGEXP '^[0-9a-f]{24}$');

-- A DBA's UPDATE production_sessions SET status = 'closed' records the time
-- (an explicit closed_at_utc is kept); reopening a session clears it.  A
-- trigger runs as the account that created it: if that account is dropped,
-- every UPDATE of production_sessions fails (error 1449) until a DBA runs
-- DROP TRIGGER trg_sessions_closed_at and then this file again.
CREATE TRIGGER IF NOT EXISTS trg_sessions_closed_at
BEFORE UPDATE ON production_sessions FOR EACH ROW
SET NEW.closed_at_utc = CASE
	WHEN NEW.status = 'open' THEN NULL
	WHEN OLD.status = 'open' AND NEW.closed_at_utc IS NULL
	    THEN UTC_TIMESTAMP(3)
	ELSE NEW.closed_at_utc
END;

-- One index per session serves the totals (COUNT, SUM(units)) and the pages
-- (id > after ORDER BY id) from the index alone.  The foreign key keeps
-- using an index that starts with session_id.  Built online: it fails
-- rather than block the program's inserts.
ALTER TABLE production_records
	ADD KEY IF NOT EXISTS idx_records_session (session_id, id, units),
	DROP KEY IF EXISTS idx_records_session_order,
	ALGORITHM = INPLACE, LOCK = NONE;

-- One row per session with its totals, computed from the records themselves.
-- Same columns as before.  MariaDB pushes a WHERE on session_id into the
-- grouping; the index hint makes it read that session's records through
-- idx_records_session however large the session is (without it, a session
-- holding a tenth of all records was read by a scan of the whole table).
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
LEFT JOIN production_records r FORCE INDEX (idx_records_session)
	ON r.session_id = s.session_id
GROUP BY s.session_id, s.owner_auth0_id, s.status, s.label,
	s.opened_at_utc, s.closed_at_utc;

-- One row per worker and UTC day (of recorded_at_utc: when the units were
-- made) with what the worker made that day.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW production_worker_daily_totals AS
SELECT	CAST(r.recorded_at_utc AS DATE)	AS day_utc,
	r.worker_id,
	MAX(r.worker_name)		AS worker_name,
	COUNT(*)			AS record_count,
	SUM(r.units)			AS total_units,
	COUNT(DISTINCT r.session_id)	AS session_count
FROM production_records r
GROUP BY CAST(r.recorded_at_utc AS DATE), r.worker_id;

INSERT INTO schema_version (version, name) VALUES (2, 'sessions_api')
ON DUPLICATE KEY UPDATE version = version;

-- ---- 003_session_counts: session totals kept by the database ----
--
-- Needs 002.  GET sessions/{id} and a close answer a session's record count
-- and units.  Counted from the records on every read, that costs about
-- 0.25 us per record (25 ms for a session of 100,000).  Here the database
-- keeps the totals itself: triggers on production_records add every
-- insert, delete and change of units or session into
-- production_session_counts, in the same transaction as the change, so the
-- totals are exactly the records' at every commit, as a view would be
-- (production_session_totals still counts the records themselves, and
-- sql/README.md shows the query that compares the two).  Only TRUNCATE,
-- which fires no trigger, gets past them: rebuild with the statements of
-- the recount below after one.
--
-- A session's totals are spread over up to 16 rows (the inserting
-- connection's CONNECTION_ID() % 16), so that the program's workers, one
-- connection each, inserting into one session at once do not queue on one
-- row; a read adds them up.
--
-- Run with the program stopped or not, on one server or on any node of a
-- Galera cluster: the triggers come first, and the recount then adds, in
-- one consistent read, what the records hold beyond what the triggers have
-- counted (about a second per million records; nothing is locked).
-- The first release of this file held the tables with LOCK TABLES instead,
-- which Galera does not replicate; both leave the same totals.

SET NAMES utf8mb4;
SET time_zone = '+00:00';

CREATE TABLE IF NOT EXISTS production_session_counts (
	session_id	CHAR(24) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
	    COMMENT 'the session these counts belong to',
	bucket		TINYINT UNSIGNED NOT NULL
	    COMMENT 'CONNECTION_ID() % 16 of the connections that changed records; 255: counted when this table was made',
	record_count	BIGINT NOT NULL DEFAULT 0
	    COMMENT 'records added minus records removed by those connections (one bucket may go below 0; the sum cannot)',
	total_units	BIGINT NOT NULL DEFAULT 0
	    COMMENT 'units added minus units removed by those connections',
	PRIMARY KEY (session_id, bucket)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Per-session totals of production_records, kept by its triggers in the same transaction as each change: SUM per session = COUNT(*), SUM(units) of its records';

CREATE TRIGGER IF NOT EXISTS trg_records_count_insert
AFTER INSERT ON production_records FOR EACH ROW
INSERT INTO production_session_counts
    (session_id, bucket, record_count, total_units)
VALUES (NEW.session_id, CONNECTION_ID() % 16, 1, NEW.units)
ON DUPLICATE KEY UPDATE record_count = record_count + 1,
    total_units = total_units + VALUES(total_units);

CREATE TRIGGER IF NOT EXISTS trg_records_count_delete
AFTER DELETE ON production_records FOR EACH ROW
INSERT INTO production_session_counts
    (session_id, bucket, record_count, total_units)
VALUES (OLD.session_id, CONNECTION_ID() % 16, -1, -CAST(OLD.units AS SIGNED))
ON DUPLICATE KEY UPDATE record_count = record_count - 1,
    total_units = total_units + VALUES(total_units);

-- Only a change of session or units counts.  The program's replays run an
-- UPDATE that changes nothing (ON DUPLICATE KEY UPDATE id = id), so the
-- test comes first and costs them no statement.
DELIMITER //
CREATE TRIGGER IF NOT EXISTS trg_records_count_update
AFTER UPDATE ON production_records FOR EACH ROW
IF OLD.session_id <> NEW.session_id OR OLD.units <> NEW.units THEN
	INSERT INTO production_session_counts
	    (session_id, bucket, record_count, total_units)
	VALUES (OLD.session_id, CONNECTION_ID() % 16, -1,
	    -CAST(OLD.units AS SIGNED)),
	    (NEW.session_id, CONNECTION_ID() % 16, 1, NEW.units)
	ON DUPLICATE KEY UPDATE
	    record_count = record_count + VALUES(record_count),
	    total_units = total_units + VALUES(total_units);
END IF//
DELIMITER ;

-- The recount, once (until this migration has recorded itself): the
-- records that were there before the triggers.  A record inserted since
-- the triggers exist is in a trigger's bucket, committed together with the
-- record, so one consistent read (READ COMMITTED: the statement's own
-- snapshot, no locks) of the records and of the other buckets gives
-- exactly what bucket 255 must hold: the records minus what the triggers
-- counted.  The same statements repair the totals at any time
-- (sql/README.md).
SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
START TRANSACTION;
DELETE FROM production_session_counts
WHERE bucket = 255
  AND NOT EXISTS (SELECT 1 FROM schema_version WHERE version = 3);
INSERT INTO production_session_counts
    (session_id, bucket, record_count, total_units)
SELECT session_id, 255, SUM(n), SUM(u)
FROM (SELECT session_id, COUNT(*) AS n, SUM(units) AS u
      FROM production_records GROUP BY session_id
      UNION ALL
      SELECT session_id, -SUM(record_count), -SUM(total_units)
      FROM production_session_counts WHERE bucket <> 255
      GROUP BY session_id) t
WHERE NOT EXISTS (SELECT 1 FROM schema_version WHERE version = 3)
GROUP BY session_id
HAVING SUM(n) <> 0 OR SUM(u) <> 0;
COMMIT;

INSERT INTO schema_version (version, name) VALUES (3, 'session_counts')
ON DUPLICATE KEY UPDATE version = version;

-- ---- 004_galera: the guarantees kept on a MariaDB Galera cluster ----
--
-- Needs 003.  On a Galera cluster every node takes writes, row locks are
-- local to a node, and a transaction's write set is certified against the
-- others' when it commits: two transactions on two nodes that wrote the
-- same row, one of them not having seen the other, cannot both commit
-- (the later one gets error 1213 and the program runs it again).  The
-- single-server design's locks do not reach across nodes, so three changes
-- follow (sql/README.md, "On a Galera cluster", has the whole design):
--
--  - The kept session totals get the node in their key: its
--    @@auto_increment_offset, which Galera (wsrep_auto_increment_control)
--    makes distinct for each node, 1 to the cluster's size (1 on one
--    server).  Connections on two nodes can have the same CONNECTION_ID(),
--    so with the bucket alone inserts into one session through two nodes
--    wrote the same counts row and failed certification against each other.
--    Now inserts through different nodes never write the same row.
--  - Seals.  Every insert writes one counts row of its session (its
--    trigger).  A close, or a page of an open session read through a Galera
--    node, writes every counts row the session has or can get (seals: one
--    per node, 1 to @@auto_increment_increment, and bucket), so it conflicts
--    at certification with each insert into the session that it did not
--    see, and the one that loses runs again after the other.  The session
--    row alone does not do that: an insert refers to it as a foreign-key
--    parent, and certification takes that reference and an UPDATE of the
--    row for an ordering dependency, not a conflict.
--    production_sessions.settled_id is what a page's seal leaves behind: no
--    record of the session with an id up to it can commit any more, so
--    pages up to it need no seal.
--  - The per-user key of production_records becomes (key_owner,
--    idempotency_key), key_owner being auth0_id when a key is given and
--    NULL when not.  Galera checks a unique key's value at commit unless
--    every column of it is NULL: (auth0_id, NULL) was one and the same
--    value for every record a user sent without idempotencyKey, so that
--    user's inserts through two nodes at once failed certification against
--    each other (the benchmark's Galera phase: 3,360 conflicts for 8,023
--    records).  The rule is unchanged: a key, when given, is unique per
--    user.  The program of this release looks keys up through key_owner;
--    an older one's lookup by (auth0_id, idempotency_key) still works but
--    reads the user's records without an index.
--
-- Run with the program stopped or not.  On a Galera cluster each ALTER
-- runs on every node at once, in the cluster's order (total order
-- isolation): writes wait for it, a fraction of a second for the counts
-- and sessions tables, and about as long as migration 002's index build
-- for production_records' new key.

SET NAMES utf8mb4;
SET time_zone = '+00:00';

DELIMITER //
BEGIN NOT ATOMIC
	IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS
	    WHERE TABLE_SCHEMA = DATABASE()
	      AND TABLE_NAME = 'production_session_counts'
	      AND COLUMN_NAME = 'node') THEN
		ALTER TABLE production_session_counts
		    ADD COLUMN node SMALLINT UNSIGNED NOT NULL DEFAULT 0
			COMMENT 'the server whose connections made these changes: its @@auto_increment_offset (a Galera node''s, 1 to the cluster size; 1 on one server); 0: before migration 004'
			AFTER session_id,
		    ADD COLUMN seals BIGINT UNSIGNED NOT NULL DEFAULT 0
			COMMENT 'seals: closes and pages read through a Galera node that wrote this row so that the cluster certifies them against inserts into the session',
		    DROP PRIMARY KEY,
		    ADD PRIMARY KEY (session_id, node, bucket);
	END IF;
END//
DELIMITER ;

-- The triggers of 003 with the node in the key; CREATE OR REPLACE swaps
-- each at once, and the totals stay exact meanwhile (a read adds up every
-- row of the session, whatever its node).
CREATE OR REPLACE TRIGGER trg_records_count_insert
AFTER INSERT ON production_records FOR EACH ROW
INSERT INTO production_session_counts
    (session_id, node, bucket, record_count, total_units)
VALUES (NEW.session_id, @@auto_increment_offset,
    CONNECTION_ID() % 16, 1, NEW.units)
ON DUPLICATE KEY UPDATE record_count = record_count + 1,
    total_units = total_units + VALUES(total_units);

CREATE OR REPLACE TRIGGER trg_records_count_delete
AFTER DELETE ON production_records FOR EACH ROW
INSERT INTO production_session_counts
    (session_id, node, bucket, record_count, total_units)
VALUES (OLD.session_id, @@auto_increment_offset,
    CONNECTION_ID() % 16, -1, -CAST(OLD.units AS SIGNED))
ON DUPLICATE KEY UPDATE record_count = record_count - 1,
    total_units = total_units + VALUES(total_units);

DELIMITER //
CREATE OR REPLACE TRIGGER trg_records_count_update
AFTER UPDATE ON production_records FOR EACH ROW
IF OLD.session_id <> NEW.session_id OR OLD.units <> NEW.units THEN
	INSERT INTO production_session_counts
	    (session_id, node, bucket, record_count, total_units)
	VALUES (OLD.session_id, @@auto_increment_offset,
	    CONNECTION_ID() % 16, -1, -CAST(OLD.units AS SIGNED)),
	    (NEW.session_id, @@auto_increment_offset,
	    CONNECTION_ID() % 16, 1, NEW.units)
	ON DUPLICATE KEY UPDATE
	    record_count = record_count + VALUES(record_count),
	    total_units = total_units + VALUES(total_units);
END IF//
DELIMITER ;

ALTER TABLE production_sessions
	ADD COLUMN IF NOT EXISTS settled_id BIGINT UNSIGNED NOT NULL DEFAULT 0
	    COMMENT 'no record of this session with an id up to this one can commit any more (written by the seal of a page read through a Galera node; 0 on one server)';

-- key_owner is a plain column that triggers keep, not a generated one:
-- InnoDB's purge of an index on a virtual column needs the server to
-- compute the column, and a node restarted after a crash hung in the
-- recovery Debian's galera_recovery runs (mariadbd --wsrep-recover) until
-- the kernel killed it.  Adding a column that may be NULL is instant; the
-- triggers come before the backfill, so that a record inserted meanwhile
-- is filled in either way; the index is built while inserts go on.
ALTER TABLE production_records
	ADD COLUMN IF NOT EXISTS key_owner VARCHAR(255)
	    COLLATE utf8mb4_nopad_bin NULL
	    COMMENT 'auth0_id when an idempotency key was given, else NULL (kept by trg_records_key_owner_*): the key''s owner in uq_records_key'
	    AFTER auth0_id,
	ALGORITHM = INSTANT;

CREATE OR REPLACE TRIGGER trg_records_key_owner_insert
BEFORE INSERT ON production_records FOR EACH ROW
SET NEW.key_owner = IF(NEW.idempotency_key IS NULL, NULL, NEW.auth0_id);

CREATE OR REPLACE TRIGGER trg_records_key_owner_update
BEFORE UPDATE ON production_records FOR EACH ROW
SET NEW.key_owner = IF(NEW.idempotency_key IS NULL, NULL, NEW.auth0_id);

UPDATE production_records SET key_owner = auth0_id
WHERE idempotency_key IS NOT NULL AND key_owner IS NULL;

ALTER TABLE production_records
	ADD UNIQUE KEY IF NOT EXISTS uq_records_key (key_owner, idempotency_key),
	DROP KEY IF EXISTS uq_records_user_key,
	ALGORITHM = INPLACE, LOCK = NONE;

INSERT INTO schema_version (version, name) VALUES (4, 'galera')
ON DUPLICATE KEY UPDATE version = version;
