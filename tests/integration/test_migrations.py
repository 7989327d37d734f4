"""The schema's migrations (sql/migrations, sql/schema.sql): schema.sql is the
migrations put together; a database of the first release, with rows in it,
upgrades to exactly what a fresh install is and keeps its rows; schema.sql
runs twice; the closed_at_utc trigger, the session id CHECK, the program's
grants and the totals view's index. Works in databases of its own on the
suite's MariaDB, as root, and drops them afterwards."""

import glob
import hashlib
import os
import re
import secrets

from harness import REPO, post_record, run_cmd
from itbase import Base

SQL_DIR = os.path.join(REPO, "sql")
SCHEMA = os.path.join(SQL_DIR, "schema.sql")
GRANTS = os.path.join(SQL_DIR, "grants.sql")
MIGRATION_RE = re.compile(r"^([0-9]{3})_([a-z0-9_]+)\.sql$")
# sha256 of the first release's sql/schema.sql (commit 01454ce):
#   git show 01454ce:sql/schema.sql | sha256sum
FIRST_RELEASE_SHA256 = \
    "1c2b7f2e12a440db0ac8523d38f0099bfc7a23f6c3d9386f9aaefb65a4a11c95"
SID_A = "6507f1e3c9d8e2a4b1f9c3d5"
SID_UPPER = "6507F1E3C9D8E2A4B1F9C3D6"
SID_CLOSED = "6507f1e3c9d8e2a4b1f9c3d7"


def migrations():
    """[(version, name, path)] of sql/migrations, in order."""
    out = []
    for path in sorted(glob.glob(os.path.join(SQL_DIR, "migrations", "*"))):
        m = MIGRATION_RE.match(os.path.basename(path))
        if m:
            out.append((int(m.group(1)), m.group(2), path))
    return out


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


class _Sql(Base):
    """SQL on databases of the test's own, as root or as the program."""

    def mysql(self, db, sql, user="root", check=True):
        """Runs sql (str or bytes: a whole file) in db; the process.  Rows
        come back in batch form: tab-separated, with \\n, \\t and \\\\
        escaped, NULL as NULL."""
        argv = ["mariadb", "--no-defaults", "-S", self.H.db_sock, "-u", user,
                "--batch", "--skip-column-names",
                "--default-character-set=utf8mb4"]
        if user != "root":
            argv.append("--password=" + self.H.db_password)
        argv.append(db)
        if isinstance(sql, str):
            sql = sql.encode("utf-8")
        return run_cmd(argv, input=sql, check=check)

    def rows(self, db, sql, user="root"):
        out = self.mysql(db, sql, user).stdout.decode("utf-8")
        return [tuple(line.split("\t")) for line in out.split("\n") if line]

    def new_db(self, tag):
        """An empty database (as db-sandbox makes prodrec), dropped when
        the test ends."""
        name = "it_%s_%s" % (tag, secrets.token_hex(4))
        self.mysql("mysql", "CREATE DATABASE `%s` CHARACTER SET utf8mb4 "
                   "COLLATE utf8mb4_unicode_ci" % name)
        self.addCleanup(self.mysql, "mysql",
                        "DROP DATABASE IF EXISTS `%s`" % name, check=False)
        return name

    def load(self, db, path, check=True):
        return self.mysql(db, read_bytes(path), check=check)


class Migrations(_Sql):
    # ---- the files ---------------------------------------------------------

    def test_schema_is_the_migrations_put_together(self):
        ms = migrations()
        self.assertGreaterEqual(len(ms), 2, ms)
        whole = b"".join(read_bytes(p) for _, _, p in ms)
        self.assertTrue(read_bytes(SCHEMA) == whole,
                        "sql/schema.sql is not sql/migrations/*.sql put "
                        "together: run  cat sql/migrations/"
                        "[0-9][0-9][0-9]_*.sql > sql/schema.sql")

    def test_migrations_numbered_and_each_records_itself(self):
        ms = migrations()
        names = sorted(os.listdir(os.path.join(SQL_DIR, "migrations")))
        self.assertEqual(len(names), len(ms),
                         "every file in sql/migrations is NNN_name.sql: %r"
                         % names)
        self.assertEqual([v for v, _, _ in ms], list(range(1, len(ms) + 1)))
        for version, name, path in ms:
            text = read_bytes(path).decode("utf-8")
            self.assertLessEqual(len(name), 64)
            inserts = re.findall(r"INSERT INTO schema_version \(version, "
                                 r"name\) VALUES \((\d+), '([a-z0-9_]+)'\)",
                                 text)
            self.assertEqual(inserts, [(str(version), name)], path)
            # Recorded only once everything before it has run.
            last = text.rstrip().rsplit(";", 2)[-2]
            self.assertIn("INSERT INTO schema_version", last, path)

    def test_001_is_the_first_release(self):
        first = migrations()[0][2]
        text = read_bytes(first)
        start = text.find(b"-- prodrec schema: production sessions and the "
                          b"records counted into them.\n")
        end = text.find(b"\n-- The migrations applied to this database.")
        self.assertTrue(0 <= start < end, first)
        self.assertEqual(hashlib.sha256(text[start:end]).hexdigest(),
                         FIRST_RELEASE_SHA256,
                         "%s holds the released schema.sql unchanged" % first)

    # ---- upgrade = fresh install ----------------------------------------

    def snapshot(self, db):
        """The schema of db, as comparable rows (the name of db removed)."""
        q = self.H.q(db)
        queries = {
            "tables": "SELECT TABLE_NAME, TABLE_TYPE, ENGINE, ROW_FORMAT, "
                      "TABLE_COLLATION, CREATE_OPTIONS, TABLE_COMMENT FROM "
                      "information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                      "ORDER BY TABLE_NAME",
            "columns": "SELECT TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, "
                       "COLUMN_DEFAULT, IS_NULLABLE, COLUMN_TYPE, "
                       "CHARACTER_SET_NAME, COLLATION_NAME, COLUMN_KEY, "
                       "EXTRA, PRIVILEGES, COLUMN_COMMENT, IS_GENERATED, "
                       "GENERATION_EXPRESSION FROM information_schema.COLUMNS "
                       "WHERE TABLE_SCHEMA = %s "
                       "ORDER BY TABLE_NAME, ORDINAL_POSITION",
            "indexes": "SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, "
                       "NON_UNIQUE, COLUMN_NAME, SUB_PART, NULLABLE, "
                       "INDEX_TYPE, COMMENT, INDEX_COMMENT, IGNORED FROM "
                       "information_schema.STATISTICS WHERE TABLE_SCHEMA = %s "
                       "ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
            "constraints": "SELECT TABLE_NAME, CONSTRAINT_NAME, "
                           "CONSTRAINT_TYPE FROM "
                           "information_schema.TABLE_CONSTRAINTS WHERE "
                           "CONSTRAINT_SCHEMA = %s "
                           "ORDER BY TABLE_NAME, CONSTRAINT_NAME",
            "checks": "SELECT TABLE_NAME, CONSTRAINT_NAME, LEVEL, "
                      "CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
                      "WHERE CONSTRAINT_SCHEMA = %s "
                      "ORDER BY TABLE_NAME, CONSTRAINT_NAME",
            "foreign_keys": "SELECT TABLE_NAME, CONSTRAINT_NAME, "
                            "UNIQUE_CONSTRAINT_NAME, MATCH_OPTION, "
                            "UPDATE_RULE, DELETE_RULE, REFERENCED_TABLE_NAME "
                            "FROM information_schema.REFERENTIAL_CONSTRAINTS "
                            "WHERE CONSTRAINT_SCHEMA = %s "
                            "ORDER BY TABLE_NAME, CONSTRAINT_NAME",
            "key_columns": "SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, "
                           "ORDINAL_POSITION, REFERENCED_TABLE_NAME, "
                           "REFERENCED_COLUMN_NAME FROM "
                           "information_schema.KEY_COLUMN_USAGE WHERE "
                           "CONSTRAINT_SCHEMA = %s ORDER BY TABLE_NAME, "
                           "CONSTRAINT_NAME, ORDINAL_POSITION",
            "views": "SELECT TABLE_NAME, VIEW_DEFINITION, CHECK_OPTION, "
                     "IS_UPDATABLE, DEFINER, SECURITY_TYPE, "
                     "CHARACTER_SET_CLIENT, COLLATION_CONNECTION, ALGORITHM "
                     "FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s "
                     "ORDER BY TABLE_NAME",
            "triggers": "SELECT TRIGGER_NAME, EVENT_MANIPULATION, "
                        "EVENT_OBJECT_TABLE, ACTION_ORDER, ACTION_STATEMENT, "
                        "ACTION_ORIENTATION, ACTION_TIMING, SQL_MODE, "
                        "DEFINER, CHARACTER_SET_CLIENT, COLLATION_CONNECTION, "
                        "DATABASE_COLLATION FROM information_schema.TRIGGERS "
                        "WHERE TRIGGER_SCHEMA = %s ORDER BY TRIGGER_NAME",
            "versions": "SELECT version, name FROM `%s`.schema_version "
                        "ORDER BY version",
        }
        snap = {}
        for key, sql in queries.items():
            arg = db if key == "versions" else q
            rows = self.rows("mysql", sql % arg)
            snap[key] = [tuple(c.replace("`%s`." % db, "`DB`.") for c in r)
                         for r in rows]
        for table, _ in self.rows(db, "SHOW FULL TABLES WHERE Table_type "
                                      "= 'BASE TABLE'"):
            ddl = self.rows(db, "SHOW CREATE TABLE `%s`" % table)[0][1]
            snap["create " + table] = re.sub(r" AUTO_INCREMENT=\d+", "", ddl)
        return snap

    def assert_same_schema(self, got, want, what):
        self.assertEqual(sorted(got), sorted(want))
        for key in want:
            self.assertEqual(got[key], want[key], "%s: %s" % (what, key))

    def fresh(self):
        db = self.new_db("fresh")
        self.load(db, SCHEMA)
        return db

    def test_fresh_install_twice(self):
        db = self.fresh()
        once = self.snapshot(db)
        self.load(db, SCHEMA)
        self.assert_same_schema(self.snapshot(db), once, "schema.sql again")
        self.assertEqual(once["versions"],
                         [(str(v), n) for v, n, _ in migrations()])
        for table in ("production_sessions", "production_records",
                      "schema_version"):
            self.assertTrue(self.rows(db, "SELECT TABLE_COMMENT FROM "
                                      "information_schema.TABLES WHERE "
                                      "TABLE_SCHEMA = DATABASE() AND "
                                      "TABLE_NAME = '%s'" % table)[0][0])
        blank = [r for r in once["columns"]
                 if r[0] in ("production_sessions", "production_records",
                             "schema_version") and not r[11]]
        self.assertEqual(blank, [], "every column has a comment")

    def old_database(self, released):
        """A database made by migration 001 alone, with rows.  released:
        as the first release left it, without schema_version."""
        db = self.new_db("old")
        self.load(db, migrations()[0][2])
        if released:
            self.mysql(db, "DROP TABLE schema_version")
        self.mysql(db, """
            SET time_zone = '+00:00';
            INSERT INTO production_sessions (session_id, owner_auth0_id,
                status, label, opened_at_utc) VALUES
              ('%(a)s', 'auth0|alice', 'open', 'line 1',
               '2025-10-19 06:00:00.000'),
              ('%(u)s', 'auth0|bob', 'open', NULL,
               '2025-10-19 07:00:00.000');
            INSERT INTO production_sessions (session_id, owner_auth0_id,
                status, label, opened_at_utc, closed_at_utc) VALUES
              ('%(c)s', 'auth0|alice', 'closed', 'line 2',
               '2025-10-18 06:00:00.000', '2025-10-18 14:00:00.000');
            INSERT INTO production_records (record_id, session_id, worker_id,
                worker_name, units, recorded_at_utc, client_event_id,
                idempotency_key, auth0_id, created_at_utc) VALUES
              ('rec_00000000000000a1', '%(a)s', 'JS0315', 'John Smith', 5,
               '2025-10-19 14:30:00.123', 'evt-1', NULL, 'auth0|alice',
               '2025-10-19 14:30:01.000'),
              ('rec_00000000000000a2', '%(a)s', 'JS0316', 'Jane Doe', 7,
               '2025-10-19 14:31:00.000', 'evt-2', 'key-2', 'auth0|alice',
               '2025-10-19 15:40:00.000'),
              ('rec_00000000000000b1', '%(u)s', 'JS0317', 'Ann Lee', 3,
               '2025-10-19 14:32:00.000', 'evt-1', NULL, 'auth0|bob',
               '2025-10-19 14:32:00.500'),
              ('rec_00000000000000c1', '%(c)s', 'JS0315', 'John Smith', 2,
               '2025-10-18 09:00:00.000', 'evt-9', NULL, 'auth0|alice',
               '2025-10-18 09:00:00.200');
            """ % {"a": SID_A, "u": SID_UPPER, "c": SID_CLOSED})
        return db

    def dump(self, db):
        sessions = self.rows(db, "SELECT session_id, owner_auth0_id, status, "
                             "label, opened_at_utc, closed_at_utc FROM "
                             "production_sessions ORDER BY session_id")
        records = self.rows(db, "SELECT id, record_id, session_id, "
                            "worker_id, worker_name, units, recorded_at_utc, "
                            "client_event_id, idempotency_key, auth0_id, "
                            "created_at_utc FROM production_records "
                            "ORDER BY id")
        return sessions, records

    def check_upgrade(self, released):
        fresh = self.snapshot(self.fresh())
        db = self.old_database(released)
        sessions, records = self.dump(db)
        for n in (1, 2):
            self.load(db, SCHEMA)
            self.assert_same_schema(self.snapshot(db), fresh,
                                    "upgraded (run %d)" % n)
        # The rows are all there; the upper-case id is lower-cased, with
        # its record.
        low = SID_UPPER.lower()
        sessions = sorted(tuple(low if c == SID_UPPER else c for c in r)
                          for r in sessions)
        records = [tuple(low if c == SID_UPPER else c for c in r)
                   for r in records]
        self.assertEqual(self.dump(db), (sessions, records))
        self.assertEqual(self.rows(db, "SELECT COUNT(*) FROM "
                                   "production_sessions WHERE "
                                   "client_event_id IS NOT NULL"), [("0",)])
        totals = self.rows(db, "SELECT session_id, record_count, total_units "
                           "FROM production_session_totals "
                           "ORDER BY session_id")
        self.assertEqual(totals, [(SID_A, "2", "12"), (low, "1", "3"),
                                  (SID_CLOSED, "1", "2")])
        # 003 counted the records that were there into the kept totals,
        # once, however often schema.sql ran.
        counts = self.rows(db, "SELECT session_id, SUM(record_count), "
                           "SUM(total_units) FROM production_session_counts "
                           "GROUP BY session_id ORDER BY session_id")
        self.assertEqual(counts, totals)
        daily = self.rows(db, "SELECT day_utc, worker_id, worker_name, "
                          "record_count, total_units, session_count FROM "
                          "production_worker_daily_totals "
                          "ORDER BY day_utc, worker_id")
        self.assertEqual(daily, [
            ("2025-10-18", "JS0315", "John Smith", "1", "2", "1"),
            ("2025-10-19", "JS0315", "John Smith", "1", "5", "1"),
            ("2025-10-19", "JS0316", "Jane Doe", "1", "7", "1"),
            ("2025-10-19", "JS0317", "Ann Lee", "1", "3", "1")])
        # Where the first release's program wrote, the new one can.
        self.load(db, GRANTS)

    def test_upgrade_from_first_release(self):
        self.check_upgrade(released=True)

    def test_upgrade_from_migration_001(self):
        self.check_upgrade(released=False)

    def assert_upgrade_stops(self, db, message):
        """schema.sql fails with message and records no new version."""
        p = self.load(db, SCHEMA, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(message, p.stderr)
        self.assertEqual(self.rows(db, "SELECT MAX(version) FROM "
                                   "schema_version"), [("1",)])

    def test_upgrade_stops_on_ids_it_cannot_fix(self):
        db = self.new_db("bad")
        self.load(db, migrations()[0][2])
        self.mysql(db, "INSERT INTO production_sessions (session_id, "
                   "owner_auth0_id) VALUES ('%s', 'a'), ('%s', 'b'), "
                   "('line-7 night', 'c')" % (SID_A, SID_A.upper()))
        self.assert_upgrade_stops(db, b"Duplicate entry")
        self.mysql(db, "DELETE FROM production_sessions WHERE "
                   "owner_auth0_id = 'b'")
        self.assert_upgrade_stops(db, b"CONSTRAINT `chk_sessions_id` failed")
        self.mysql(db, "UPDATE production_sessions SET session_id = "
                   "'0123456789abcdef01234567' WHERE owner_auth0_id = 'c'")
        self.load(db, SCHEMA)
        self.assert_same_schema(self.snapshot(db), self.snapshot(
            self.fresh()), "upgraded after the fixes")


class MigrationRules(_Sql):
    """What the current schema enforces, on the suite's database."""

    DB = "prodrec"

    def session(self, sid):
        return self.rows(self.DB, "SELECT status, closed_at_utc, "
                         "TIMESTAMPDIFF(SECOND, closed_at_utc, "
                         "UTC_TIMESTAMP(3)) FROM production_sessions "
                         "WHERE session_id = '%s'" % sid)[0]

    def assert_closed_now(self, sid):
        status, closed, age = self.session(sid)
        self.assertEqual(status, "closed")
        self.assertNotEqual(closed, "NULL")
        self.assertLess(abs(int(age)), 30, "closed_at_utc is UTC now")

    def counts_and_records(self, sids, db=None):
        """Per session: (kept count, kept units) and (COUNT, SUM) of its
        records."""
        out, db = [], db or self.DB
        for sid in sids:
            kept = self.rows(db, "SELECT COALESCE(SUM(record_count), 0),"
                             " COALESCE(SUM(total_units), 0) FROM "
                             "production_session_counts WHERE session_id = "
                             "'%s'" % sid)[0]
            real = self.rows(db, "SELECT COUNT(*), COALESCE(SUM(units),"
                             " 0) FROM production_records WHERE session_id = "
                             "'%s'" % sid)[0]
            out.append((kept, real))
        return out

    def insert_records(self, db, sid, user, n):
        self.mysql(db, "INSERT INTO production_records (record_id, "
                   "session_id, worker_id, worker_name, units, "
                   "recorded_at_utc, client_event_id, auth0_id) VALUES " +
                   ", ".join("('rec_%016x', '%s', 'W1', 'Worker', %d, "
                             "UTC_TIMESTAMP(3), 'e%d', '%s')" % (
                                 secrets.randbits(64), sid, i + 1, i, user)
                             for i in range(n)))

    def test_rebuild_of_the_kept_totals_in_sql_readme(self):
        """sql/README.md's rebuild, as printed there, mends the totals after
        a TRUNCATE (which fires no trigger), keeping what the triggers
        counted since."""
        text = read_bytes(os.path.join(SQL_DIR, "README.md")).decode()
        m = re.search(r"\n(SET TRANSACTION ISOLATION LEVEL READ COMMITTED;"
                      r"\nSTART TRANSACTION;\nDELETE FROM "
                      r"production_session_counts WHERE bucket = 255;.*?"
                      r"\nCOMMIT;)\n", text, re.S)
        self.assertIsNotNone(m, "the rebuild in sql/README.md")
        db = self.new_db("rebuild")
        self.load(db, SCHEMA)
        user = self.new_user()
        a, b = secrets.token_hex(12), secrets.token_hex(12)
        self.mysql(db, "INSERT INTO production_sessions (session_id, "
                   "owner_auth0_id) VALUES ('%s', '%s'), ('%s', '%s')"
                   % (a, user, b, user))
        self.insert_records(db, a, user, 10)
        self.mysql(db, "TRUNCATE production_records")
        self.insert_records(db, b, user, 3)
        self.assertNotEqual(*self.counts_and_records((a,), db)[0])
        self.mysql(db, m.group(1))
        for kept, real in self.counts_and_records((a, b), db):
            self.assertEqual(kept, real)
        self.assertEqual(self.counts_and_records((b,), db)[0][1], ("3", "6"))
        self.mysql(db, m.group(1))      # again: nothing changes
        for kept, real in self.counts_and_records((a, b), db):
            self.assertEqual(kept, real)

    def test_kept_totals_follow_every_change(self):
        """A DBA's inserts, deletes, corrections of units and moves between
        sessions all reach production_session_counts (and a statement that
        fails changes neither)."""
        user = self.new_user()
        a, b = secrets.token_hex(12), secrets.token_hex(12)
        self.mysql(self.DB, "INSERT INTO production_sessions (session_id, "
                   "owner_auth0_id) VALUES ('%s', '%s'), ('%s', '%s')"
                   % (a, user, b, user))
        values = ", ".join(
            "('rec_%016x', '%s', 'W1', 'Worker', %d, UTC_TIMESTAMP(3), "
            "'e%d', '%s')" % (secrets.randbits(64), a, i + 1, i, user)
            for i in range(10))
        self.mysql(self.DB, "INSERT INTO production_records (record_id, "
                   "session_id, worker_id, worker_name, units, "
                   "recorded_at_utc, client_event_id, auth0_id) VALUES "
                   + values)
        steps = [
            "DELETE FROM production_records WHERE session_id = '%s' "
            "ORDER BY id LIMIT 2" % a,
            "UPDATE production_records SET units = units + 100 WHERE "
            "session_id = '%s' ORDER BY id LIMIT 3" % a,
            "UPDATE production_records SET session_id = '%s' WHERE "
            "session_id = '%s' ORDER BY id DESC LIMIT 4" % (b, a),
            "UPDATE production_records SET worker_name = 'W. Orker' "
            "WHERE session_id = '%s'" % b,
        ]
        for sql in steps:
            self.mysql(self.DB, sql)
            for kept, real in self.counts_and_records((a, b)):
                self.assertEqual(kept, real, sql)
        # A statement that fails half-way takes its counting back too.
        before = self.counts_and_records((a, b))
        p = self.mysql(self.DB, "UPDATE production_records SET "
                       "client_event_id = 'same' WHERE session_id = '%s'"
                       % b, check=False)
        self.assertIn(b"Duplicate entry", p.stderr)
        self.assertEqual(self.counts_and_records((a, b)), before)
        for kept, real in before:
            self.assertEqual(kept, real)
        self.assertEqual(before[0][1], ("4", str(3 + 4 + 5 + 6 + 300)))

    def test_trigger_records_closed_at(self):
        user = self.new_user()
        sid = self.H.open_session(user)
        self.mysql(self.DB, "UPDATE production_sessions SET status = "
                   "'closed' WHERE session_id = '%s'" % sid)
        self.assert_closed_now(sid)
        closed = self.session(sid)[1]
        self.mysql(self.DB, "UPDATE production_sessions SET label = 'x' "
                   "WHERE session_id = '%s'" % sid)
        self.assertEqual(self.session(sid)[1], closed, "kept on other "
                         "changes")
        self.mysql(self.DB, "UPDATE production_sessions SET status = 'open' "
                   "WHERE session_id = '%s'" % sid)
        self.assertEqual(self.session(sid)[:2], ("open", "NULL"))
        self.mysql(self.DB, "UPDATE production_sessions SET status = "
                   "'closed', closed_at_utc = '2025-10-19 16:00:00.250' "
                   "WHERE session_id = '%s'" % sid)
        self.assertEqual(self.session(sid)[:2],
                         ("closed", "2025-10-19 16:00:00.250"))

    def test_trigger_for_the_program(self):
        user = self.new_user()
        sid = self.H.open_session(user)
        self.mysql(self.DB, "UPDATE production_sessions SET status = "
                   "'closed' WHERE session_id = '%s'" % sid, user="prodrec")
        self.assert_closed_now(sid)

    def test_check_refuses_bad_ids(self):
        good = secrets.token_hex(12)
        for sid in (good.upper(), good[:23], good[:23] + "g",
                    "line-7 night shift 00000"):
            p = self.mysql(self.DB, "INSERT INTO production_sessions "
                           "(session_id, owner_auth0_id) VALUES ('%s', 'x')"
                           % sid, check=False)
            self.assertNotEqual(p.returncode, 0, sid)
            self.assertIn(b"CONSTRAINT `chk_sessions_id` failed", p.stderr)
        self.H.open_session("x", session_id=good)
        p = self.mysql(self.DB, "UPDATE production_sessions SET session_id = "
                       "UPPER(session_id) WHERE session_id = '%s'" % good,
                       check=False)
        self.assertIn(b"CONSTRAINT `chk_sessions_id` failed", p.stderr)

    def test_program_grants(self):
        user = self.new_user()
        event = "evt-" + secrets.token_hex(4)
        opened = []
        for _ in range(2):
            sid = secrets.token_hex(12)
            self.mysql(self.DB, "INSERT INTO production_sessions (session_id,"
                       " owner_auth0_id, label, client_event_id) VALUES "
                       "('%s', '%s', NULL, '%s') ON DUPLICATE KEY UPDATE "
                       "session_id = session_id" % (sid, user, event),
                       user="prodrec")
            opened.append(sid)
        found = self.rows(self.DB, "SELECT session_id FROM "
                          "production_sessions WHERE owner_auth0_id = '%s' "
                          "AND client_event_id = '%s'" % (user, event),
                          user="prodrec")
        self.assertEqual(found, [(opened[0],)], "the second open found the "
                         "first")
        for table in ("production_session_totals",
                      "production_worker_daily_totals", "schema_version"):
            self.mysql(self.DB, "SELECT * FROM %s LIMIT 1" % table,
                       user="prodrec")
        p = self.mysql(self.DB, "DELETE FROM production_sessions WHERE "
                       "session_id = '%s'" % opened[0], user="prodrec",
                       check=False)
        self.assertIn(b"DELETE command denied", p.stderr)

    def test_totals_view_reads_one_session_by_its_index(self):
        sid = self.H.open_session(self.new_user())
        plan = self.rows(self.DB, "EXPLAIN SELECT * FROM "
                         "production_session_totals WHERE session_id = '%s'"
                         % sid)
        by_table = {r[2]: r for r in plan}
        self.assertEqual(by_table["s"][3], "const", plan)
        self.assertEqual(by_table["r"][3], "ref", plan)
        self.assertEqual(by_table["r"][5], "idx_records_session", plan)


class OldSchema(_Sql):
    """The program started before its migration (a deploy done in the
    wrong order): statements are prepared on first use, so what the old
    schema serves keeps working and only the new endpoints fail, with 500
    and a log line naming the statement."""

    def test_records_work_before_the_migration(self):
        db = Migrations.old_database(self, released=True)
        self.mysql(db, "GRANT SELECT, INSERT, UPDATE ON `%s`.* TO "
                   "'prodrec'@'localhost'" % db)
        one = self.H.new_direct(env={"PRODREC_DB_NAME": db},
                                label="direct-old-schema")
        self.addCleanup(one.stop)
        tok = self.H.token("auth0|alice")
        body = {"sessionId": SID_A, "workerId": "JS0315",
                "worker_name": "John Smith", "units": 4,
                "recordedAtUtc": "2025-10-19T15:00:00.000Z",
                "clientEventId": "evt-" + secrets.token_hex(4)}
        r = post_record(one, body, tok)
        self.assertEqual(r.status, 201, r)
        r = post_record(one, body, tok)
        self.assertEqual(r.status, 200, r)
        r = one.request("POST", "/api/control/production/sessions", b"",
                        {"Authorization": "Bearer " + tok})
        self.assert_error(r, 500)
        self.assertIn("prepare open session", one.read_log())
        r = post_record(one, dict(body, clientEventId="evt-after"), tok)
        self.assertEqual(r.status, 201, "records still work: %r" % r)
