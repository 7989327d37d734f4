
-- ---- 004_galera: the guarantees kept on a MariaDB Galera cluster ----
--
-- Needs 003.  On a Galera cluster every node takes writes, row locks are
-- local to a node, and a transaction's write set is certified against the
-- others' when it commits: two transactions on two nodes that wrote the
-- same row, one of them not having seen the other, cannot both commit
-- (the later one gets error 1213 and the program runs it again).  Two
-- changes follow (sql/README.md, "On a Galera cluster"):
--
--  - The kept session totals get the node in their key.  Connections on
--    two nodes can have the same CONNECTION_ID(), so with the bucket alone
--    inserts into one session through two nodes wrote the same counts row
--    and failed certification against each other, again and again under
--    load.  With the node (@@hostname:@@port, distinct for every server)
--    in the key, inserts through different nodes never touch the same row;
--    on one server nothing changes.
--  - production_sessions.open_page_reads: a page of an open session read on
--    a Galera node adds one to it, in the transaction that reads the page.
--    Every insert refers to its session row (the foreign key), so an insert
--    on another node that the page did not see cannot commit after it with
--    a smaller id: certification refuses one of the two, and the one that
--    runs again sees the other.  On one server the page holds the session
--    row's lock instead and never writes this column.
--
-- Run with the program stopped or not.  On a Galera cluster each ALTER
-- runs on every node at once, in the cluster's order (total order
-- isolation): writes wait for it, a fraction of a second for the counts
-- table, which holds a few rows per session.

SET NAMES utf8mb4;
SET time_zone = '+00:00';

DELIMITER //
BEGIN NOT ATOMIC
	IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS
	    WHERE TABLE_SCHEMA = DATABASE()
	      AND TABLE_NAME = 'production_session_counts'
	      AND COLUMN_NAME = 'node') THEN
		ALTER TABLE production_session_counts
		    ADD COLUMN node VARCHAR(255) COLLATE utf8mb4_bin NOT NULL
			DEFAULT ''
			COMMENT 'the server (@@hostname:@@port) whose connections made these changes; empty: before migration 004'
			AFTER session_id,
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
VALUES (NEW.session_id, CONCAT(@@hostname, ':', @@port),
    CONNECTION_ID() % 16, 1, NEW.units)
ON DUPLICATE KEY UPDATE record_count = record_count + 1,
    total_units = total_units + VALUES(total_units);

CREATE OR REPLACE TRIGGER trg_records_count_delete
AFTER DELETE ON production_records FOR EACH ROW
INSERT INTO production_session_counts
    (session_id, node, bucket, record_count, total_units)
VALUES (OLD.session_id, CONCAT(@@hostname, ':', @@port),
    CONNECTION_ID() % 16, -1, -CAST(OLD.units AS SIGNED))
ON DUPLICATE KEY UPDATE record_count = record_count - 1,
    total_units = total_units + VALUES(total_units);

DELIMITER //
CREATE OR REPLACE TRIGGER trg_records_count_update
AFTER UPDATE ON production_records FOR EACH ROW
IF OLD.session_id <> NEW.session_id OR OLD.units <> NEW.units THEN
	INSERT INTO production_session_counts
	    (session_id, node, bucket, record_count, total_units)
	VALUES (OLD.session_id, CONCAT(@@hostname, ':', @@port),
	    CONNECTION_ID() % 16, -1, -CAST(OLD.units AS SIGNED)),
	    (NEW.session_id, CONCAT(@@hostname, ':', @@port),
	    CONNECTION_ID() % 16, 1, NEW.units)
	ON DUPLICATE KEY UPDATE
	    record_count = record_count + VALUES(record_count),
	    total_units = total_units + VALUES(total_units);
END IF//
DELIMITER ;

ALTER TABLE production_sessions
	ADD COLUMN IF NOT EXISTS open_page_reads BIGINT UNSIGNED NOT NULL
	    DEFAULT 0
	    COMMENT 'pages of records read through a Galera node while the session was open; each read writes it, so the cluster certifies the read against concurrent inserts';

INSERT INTO schema_version (version, name) VALUES (4, 'galera')
ON DUPLICATE KEY UPDATE version = version;
