
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
