
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
