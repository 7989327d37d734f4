-- Least privilege for the prodrec program's account.
--
-- Create the account first, with a password of your own, then run this file
-- against the service's database, after sql/schema.sql:
--
--   CREATE USER IF NOT EXISTS 'prodrec'@'localhost' IDENTIFIED BY '...';
--   mariadb prodrec < sql/grants.sql
--
-- GRANT only adds: running this again, or over the grants of an earlier
-- release, is safe.
--
-- Sessions: the program opens them with an INSERT ... ON DUPLICATE KEY
-- UPDATE session_id = session_id (a replayed open changes nothing and finds
-- its session by owner and clientEventId) and closes them with an UPDATE of
-- status and closed_at_utc.  MariaDB checks the UPDATE privilege of an
-- INSERT ... ON DUPLICATE KEY UPDATE for every inserted column, so a grant on
-- a few columns is refused: UPDATE on the table.  The trigger that records
-- closed_at_utc runs with its creator's rights and needs nothing here.
--
-- Records: the program reads them and inserts them; it never changes or
-- deletes one.  Its insert is an INSERT ... ON DUPLICATE KEY UPDATE id =
-- LAST_INSERT_ID(id), which needs UPDATE on the table for the same reason;
-- the clause itself leaves the row as it was.
--
-- The views are SQL SECURITY INVOKER (they read with the reader's own
-- rights, which the table grants above give); schema_version tells which
-- schema the database has.  Deleting anything is a DBA's job.

GRANT SELECT, INSERT, UPDATE ON production_sessions TO 'prodrec'@'localhost';
GRANT SELECT, INSERT, UPDATE ON production_records TO 'prodrec'@'localhost';
GRANT SELECT ON production_session_totals TO 'prodrec'@'localhost';
GRANT SELECT ON production_worker_daily_totals TO 'prodrec'@'localhost';
GRANT SELECT ON schema_version TO 'prodrec'@'localhost';
-- The session totals the triggers of production_records keep (migration
-- 003); the triggers write them with their definer's rights.  The program
-- reads them, and on a Galera cluster a close or a page of an open session
-- writes the session's rows (seals, migration 004).
GRANT SELECT, INSERT, UPDATE ON production_session_counts TO 'prodrec'@'localhost';
