
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
