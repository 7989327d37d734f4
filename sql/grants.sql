-- Least privilege for the prodrec program's account.
--
-- Create the account first, with a password of your own, then run this file
-- against the service's database:
--
--   CREATE USER IF NOT EXISTS 'prodrec'@'localhost' IDENTIFIED BY '...';
--   mariadb prodrec < sql/grants.sql
--
-- The program reads sessions and records and inserts records; it never
-- changes or deletes a record.  Its insert is an
-- INSERT ... ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id), which needs the
-- UPDATE privilege on the table (MariaDB checks it for every inserted column,
-- so a grant on the id column alone is refused); the clause itself leaves
-- the row as it was.  Opening and closing sessions through SQL is a
-- DBA's job and needs no grant here.

GRANT SELECT ON production_sessions TO 'prodrec'@'localhost';
GRANT SELECT, INSERT, UPDATE ON production_records TO 'prodrec'@'localhost';
GRANT SELECT ON production_session_totals TO 'prodrec'@'localhost';
