/*
 * dbloop.c: the database ceilings.  CONCURRENCY processes, each with one
 * MariaDB connection over the unix socket set up as prodrec sets up its own
 * (utf8mb4, UTC, REPEATABLE READ), run one statement as a prepared
 * statement in a loop for SECONDS, each execution a new row, autocommit
 * (so each a durable commit when the server is configured so).
 * Connecting and preparing happen before the clock starts.
 *
 * Default mode: the new-record statement prodrec runs (SQL_INSERT_RECORD
 * of src/db_sql.h), each time a new record (distinct record_id and
 * client_event_id) into the open session SESSION owned by OWNER.
 *
 * --ceiling: the machine ceiling, not prodrec's design: a minimal
 * single-row INSERT ... VALUES ... ON DUPLICATE KEY UPDATE (sql_ceiling)
 * into a table with a primary key and one unique key and a few columns
 * (ceiling_table, which --print-ceiling-table prints for the caller to
 * create), each time a new key.
 *
 * usage: dbloop SOCKET USER PASSWORD DATABASE SESSION OWNER CONCURRENCY
 *               SECONDS TAG
 *        dbloop --ceiling SOCKET USER PASSWORD DATABASE CONCURRENCY SECONDS
 *               TAG
 *        dbloop --print-sql | --print-ceiling-sql | --print-ceiling-table
 * Prints "dbloop conc C statements N failed F broken B seconds S sps X
 * mean_ms M".  Exits 1 when a call failed or a statement did not insert
 * exactly one row.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>

#include "db_sql.h"

/* prodrec's own statement, from the same text (src/db_sql.h). */
static const char sql_insert[] = SQL_INSERT_RECORD;

/* The machine ceiling's table and statement (--ceiling). */
static const char ceiling_table[] =
    "CREATE TABLE ceiling ("
    " id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,"
    " k VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
    " n INT UNSIGNED NOT NULL,"
    " at_utc DATETIME(3) NOT NULL,"
    " PRIMARY KEY (id),"
    " UNIQUE KEY uq_ceiling_k (k)"
    ") ENGINE=InnoDB";

static const char sql_ceiling[] =
    "INSERT INTO ceiling (k, n, at_utc) VALUES (?, ?, ?)"
    " ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)";

/* What prodrec's db_connect sets on its connection (read timeout 10 s). */
static const char init_command[] =
    "SET time_zone = '+00:00', tx_isolation = 'REPEATABLE-READ',"
    " innodb_lock_wait_timeout = 5";

#define MAX_CONC	1024

/* Shared between the processes. */
struct shared {
	int64_t		start_ns;	/* 0 until every child is ready */
	int64_t		stop_ns;
	uint64_t	done[MAX_CONC];
	uint64_t	failed[MAX_CONC];
	int		ready[MAX_CONC];
	int		broken[MAX_CONC];
};

static int64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A bijection on 64 bits (splitmix64's finaliser): distinct, random-looking. */
static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static void
bind_str(MYSQL_BIND *b, char *s, unsigned long *len)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_STRING;
	b->buffer = s;
	b->buffer_length = *len;
	b->length = len;
}

/* The command line, parsed. */
struct args {
	int		 ceiling;	/* --ceiling: sql_ceiling, else sql_insert */
	const char	*sock, *user, *pass, *db, *session, *owner, *tag;
	int		 conc;
	double		 seconds;
};

#define NPARAM	10

/* One connection's statement, its parameters and their buffers. */
struct loop {
	MYSQL_BIND	 p[NPARAM];
	unsigned long	 len[NPARAM];
	char		 record_id[21], worker_id[64], event[128], key[96];
	char		 worker_name[16];
	char		 when[24];
	char		 session[64], owner[256];
	uint32_t	 units;
	uint64_t	 salt;
};

/* Bind prodrec's new-record statement's ten parameters. */
static void
bind_insert(struct loop *l, const struct args *a)
{
	MYSQL_BIND	*p = l->p;
	unsigned long	*len = l->len;

	snprintf(l->session, sizeof(l->session), "%s", a->session);
	snprintf(l->owner, sizeof(l->owner), "%s", a->owner);
	len[0] = 20;
	bind_str(&p[0], l->record_id, &len[0]);
	len[1] = strlen(l->session);
	bind_str(&p[1], l->session, &len[1]);
	len[2] = strlen(l->owner);
	bind_str(&p[2], l->owner, &len[2]);
	bind_str(&p[3], l->worker_id, &len[3]);
	len[4] = strlen(l->worker_name);
	bind_str(&p[4], l->worker_name, &len[4]);
	memset(&p[5], 0, sizeof(p[5]));
	p[5].buffer_type = MYSQL_TYPE_LONG;
	p[5].buffer = &l->units;
	p[5].is_unsigned = 1;
	len[6] = strlen(l->when);
	bind_str(&p[6], l->when, &len[6]);
	bind_str(&p[7], l->event, &len[7]);
	memset(&p[8], 0, sizeof(p[8]));
	p[8].buffer_type = MYSQL_TYPE_NULL;	/* no idempotency key */
	len[9] = strlen(l->owner);
	bind_str(&p[9], l->owner, &len[9]);
}

/* Bind the ceiling statement's three parameters. */
static void
bind_ceiling(struct loop *l)
{
	MYSQL_BIND	*p = l->p;
	unsigned long	*len = l->len;

	bind_str(&p[0], l->key, &len[0]);
	memset(&p[1], 0, sizeof(p[1]));
	p[1].buffer_type = MYSQL_TYPE_LONG;
	p[1].buffer = &l->units;
	p[1].is_unsigned = 1;
	len[2] = strlen(l->when);
	bind_str(&p[2], l->when, &len[2]);
}

/* The parameters of execution n of connection idx: a new row each time. */
static void
fill(struct loop *l, const struct args *a, int idx, uint64_t n)
{
	l->units = (uint32_t)(1 + n % 9);
	if (a->ceiling) {
		l->len[0] = (unsigned long)snprintf(l->key, sizeof(l->key),
		    "C%s.%d-%llu", a->tag, idx, (unsigned long long)n);
		return;
	}
	/* record_id: a bijection of (idx, n), salted by TAG across runs. */
	snprintf(l->record_id, sizeof(l->record_id), "rec_%016llx",
	    (unsigned long long)mix(l->salt + ((uint64_t)idx << 40 | n)));
	l->len[3] = (unsigned long)snprintf(l->worker_id,
	    sizeof(l->worker_id), "D%s.%d-%llu", a->tag, idx,
	    (unsigned long long)n);
	l->len[7] = (unsigned long)snprintf(l->event, sizeof(l->event),
	    "dbevt-%s.%d-%llu", a->tag, idx, (unsigned long long)n);
}

/*
 * The rows the statement just run stored: its affected rows, or for
 * sql_insert (RETURNING the row) the rows it returned; (my_ulonglong)-1 when
 * they could not be read.
 */
static my_ulonglong
stored(MYSQL_STMT *st)
{
	my_ulonglong	n;

	if (mysql_stmt_field_count(st) == 0)
		return mysql_stmt_affected_rows(st);
	if (mysql_stmt_store_result(st) != 0)
		return (my_ulonglong)-1;
	n = mysql_stmt_num_rows(st);
	mysql_stmt_free_result(st);
	return n;
}

/* One connection's loop; never returns. */
static void
child(int idx, const struct args *a, struct shared *sh)
{
	static struct loop	 l;
	const char		*sql = a->ceiling ? sql_ceiling : sql_insert;
	const char		*c;
	unsigned int		 timeout = 10;
	unsigned long		 nparam;
	uint64_t		 n;
	MYSQL			*m = NULL;
	MYSQL_STMT		*st = NULL;

	memset(&l, 0, sizeof(l));
	snprintf(l.worker_name, sizeof(l.worker_name), "Bench Worker");
	snprintf(l.when, sizeof(l.when), "2025-10-19 14:30:00.000");
	if (mysql_library_init(0, NULL, NULL) != 0 ||
	    (m = mysql_init(NULL)) == NULL) {
		fprintf(stderr, "dbloop: cannot initialise Connector/C\n");
		goto fail;
	}
	if (mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &timeout) != 0 ||
	    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &timeout) != 0 ||
	    mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4") != 0 ||
	    mysql_options(m, MYSQL_INIT_COMMAND, init_command) != 0) {
		fprintf(stderr, "dbloop: mysql_options: %s\n", mysql_error(m));
		goto fail;
	}
	if (mysql_real_connect(m, NULL, a->user, a->pass, a->db, 0, a->sock,
	    0) == NULL) {
		fprintf(stderr, "dbloop: connect: %s\n", mysql_error(m));
		goto fail;
	}
	if ((st = mysql_stmt_init(m)) == NULL ||
	    mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
		fprintf(stderr, "dbloop: prepare: %s\n",
		    st != NULL ? mysql_stmt_error(st) : mysql_error(m));
		goto fail;
	}
	if (a->ceiling)
		bind_ceiling(&l);
	else
		bind_insert(&l, a);
	nparam = mysql_stmt_param_count(st);
	if (nparam != (a->ceiling ? 3 : 10)) {
		fprintf(stderr, "dbloop: the statement has %lu parameters\n",
		    nparam);
		goto fail;
	}
	for (c = a->tag; *c != '\0'; c++)
		l.salt = l.salt * 131 + (unsigned char)*c;
	l.salt = mix(l.salt + 1);
	/* The buffers stay where they are: bind once. */
	if (mysql_stmt_bind_param(st, l.p) != 0) {
		fprintf(stderr, "dbloop: bind: %s\n", mysql_stmt_error(st));
		goto fail;
	}
	sh->ready[idx] = 1;
	while (__atomic_load_n(&sh->start_ns, __ATOMIC_ACQUIRE) == 0)
		usleep(1000);
	for (n = 0; now_ns() < sh->stop_ns; n++) {
		my_ulonglong	affected;

		fill(&l, a, idx, n);
		if (mysql_stmt_execute(st) != 0) {
			if (sh->failed[idx]++ == 0)
				fprintf(stderr, "dbloop: execute: %s\n",
				    mysql_stmt_error(st));
			continue;
		}
		if ((affected = stored(st)) != 1) {
			if (sh->failed[idx]++ == 0)
				fprintf(stderr, "dbloop: the statement stored "
				    "no new row (affected rows %llu)\n",
				    (unsigned long long)affected);
			continue;
		}
		sh->done[idx]++;
	}
	if (mysql_stmt_close(st) != 0) {
		fprintf(stderr, "dbloop: close: %s\n", mysql_error(m));
		sh->broken[idx] = 1;
	}
	mysql_close(m);
	_exit(sh->broken[idx]);
fail:
	if (m != NULL)
		mysql_close(m);
	sh->broken[idx] = 1;
	sh->ready[idx] = 1;
	_exit(1);
}

static int
usage(void)
{
	fprintf(stderr, "usage: dbloop SOCKET USER PASSWORD DATABASE "
	    "SESSION OWNER CONCURRENCY SECONDS TAG\n"
	    "       dbloop --ceiling SOCKET USER PASSWORD DATABASE "
	    "CONCURRENCY SECONDS TAG\n"
	    "       dbloop --print-sql | --print-ceiling-sql | "
	    "--print-ceiling-table\n");
	return 2;
}

int
main(int argc, char *argv[])
{
	struct shared	*sh;
	struct args	 a;
	uint64_t	 total = 0, failed = 0;
	double		 secs;
	pid_t		 pids[MAX_CONC];
	int		 i, ready, broken = 0, st, rc = 0;

	if (argc == 2 && strcmp(argv[1], "--print-sql") == 0)
		return puts(sql_insert) < 0;
	if (argc == 2 && strcmp(argv[1], "--print-ceiling-sql") == 0)
		return puts(sql_ceiling) < 0;
	if (argc == 2 && strcmp(argv[1], "--print-ceiling-table") == 0)
		return puts(ceiling_table) < 0;
	memset(&a, 0, sizeof(a));
	if (argc == 9 && strcmp(argv[1], "--ceiling") == 0) {
		a.ceiling = 1;
		a.sock = argv[2];
		a.user = argv[3];
		a.pass = argv[4];
		a.db = argv[5];
		a.conc = atoi(argv[6]);
		a.seconds = atof(argv[7]);
		a.tag = argv[8];
	} else if (argc == 10 && argv[1][0] != '-') {
		a.sock = argv[1];
		a.user = argv[2];
		a.pass = argv[3];
		a.db = argv[4];
		a.session = argv[5];
		a.owner = argv[6];
		a.conc = atoi(argv[7]);
		a.seconds = atof(argv[8]);
		a.tag = argv[9];
	} else
		return usage();
	if (a.conc < 1 || a.conc > MAX_CONC || a.seconds <= 0 ||
	    strlen(a.tag) > 32)
		return usage();
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	memset(sh, 0, sizeof(*sh));
	for (i = 0; i < a.conc; i++) {
		if ((pids[i] = fork()) == -1) {
			perror("fork");
			a.conc = i;
			rc = 1;
			break;
		}
		if (pids[i] == 0)
			child(i, &a, sh);
	}
	/* Every connection open and prepared (or failed) before the clock. */
	for (;;) {
		for (i = 0, ready = 0; i < a.conc; i++)
			ready += __atomic_load_n(&sh->ready[i], __ATOMIC_ACQUIRE);
		if (ready == a.conc)
			break;
		usleep(2000);
	}
	sh->stop_ns = now_ns() + (int64_t)(a.seconds * 1e9);
	__atomic_store_n(&sh->start_ns, now_ns(), __ATOMIC_RELEASE);
	for (i = 0; i < a.conc; i++) {
		if (waitpid(pids[i], &st, 0) == -1) {
			perror("waitpid");
			rc = 1;
		} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			rc = 1;
	}
	secs = (double)(now_ns() - sh->start_ns) / 1e9;
	for (i = 0; i < a.conc; i++) {
		total += sh->done[i];
		failed += sh->failed[i];
		broken += sh->broken[i];
	}
	printf("dbloop conc %d statements %llu failed %llu broken %d seconds "
	    "%.2f sps %.0f mean_ms %.3f\n", a.conc, (unsigned long long)total,
	    (unsigned long long)failed, broken, secs, total / secs,
	    total > 0 ? a.conc * secs * 1000 / total : 0.0);
	return rc || failed || broken ? 1 : 0;
}
