/*
 * dbloop.c: the database ceiling.  CONCURRENCY processes, each with one
 * MariaDB connection over the unix socket set up as prodrec sets up its own
 * (utf8mb4, UTC, REPEATABLE READ), run the new-record statement prodrec runs
 * (sql_insert, copied from src/db.c) as a prepared statement in a loop for
 * SECONDS, each time a new record (distinct record_id and client_event_id)
 * into the open session SESSION owned by OWNER.  Connecting and preparing
 * happen before the clock starts.
 *
 * usage: dbloop SOCKET USER PASSWORD DATABASE SESSION OWNER CONCURRENCY
 *               SECONDS TAG
 *        dbloop --print-sql
 * Prints "dbloop conc C statements N failed F seconds S sps X mean_ms M".
 * Exits 1 when a statement failed or did not insert exactly one row.
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

/* Keep in step with sql_insert in src/db.c (tests/bench/run compares). */
static const char sql_insert[] =
    "INSERT INTO production_records (record_id, session_id, worker_id,"
    " worker_name, units, recorded_at_utc, client_event_id,"
    " idempotency_key, auth0_id)"
    " SELECT ?, session_id, ?, ?, ?, ?, ?, ?, ?"
    " FROM production_sessions"
    " WHERE session_id = ? AND owner_auth0_id = ? AND status = 'open'"
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

/* One connection's loop; never returns. */
static void
child(int idx, char **av, struct shared *sh)
{
	const char	*sock = av[1], *user = av[2], *pass = av[3], *db = av[4];
	char		*session = av[5], *owner = av[6], *tag = av[9];
	char		 record_id[21], worker_id[64], event[128];
	char		 worker_name[] = "Bench Worker";
	char		 when[] = "2025-10-19 14:30:00.000";
	unsigned long	 len[10];
	uint32_t	 units;
	uint64_t	 n, salt = 0;
	unsigned int	 timeout = 10;
	const char	*c;
	MYSQL_BIND	 p[10];
	MYSQL		*m;
	MYSQL_STMT	*st;

	if (mysql_library_init(0, NULL, NULL) != 0 ||
	    (m = mysql_init(NULL)) == NULL)
		goto fail;
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(m, MYSQL_INIT_COMMAND, init_command);
	if (mysql_real_connect(m, NULL, user, pass, db, 0, sock, 0) == NULL) {
		fprintf(stderr, "dbloop: connect: %s\n", mysql_error(m));
		goto fail;
	}
	if ((st = mysql_stmt_init(m)) == NULL ||
	    mysql_stmt_prepare(st, sql_insert, strlen(sql_insert)) != 0) {
		fprintf(stderr, "dbloop: prepare: %s\n", mysql_error(m));
		goto fail;
	}
	len[0] = 20;
	bind_str(&p[0], record_id, &len[0]);
	bind_str(&p[1], worker_id, &len[1]);
	len[2] = strlen(worker_name);
	bind_str(&p[2], worker_name, &len[2]);
	memset(&p[3], 0, sizeof(p[3]));
	p[3].buffer_type = MYSQL_TYPE_LONG;
	p[3].buffer = &units;
	p[3].is_unsigned = 1;
	len[4] = strlen(when);
	bind_str(&p[4], when, &len[4]);
	bind_str(&p[5], event, &len[5]);
	memset(&p[6], 0, sizeof(p[6]));
	p[6].buffer_type = MYSQL_TYPE_NULL;	/* no idempotency key */
	len[7] = strlen(owner);
	bind_str(&p[7], owner, &len[7]);
	len[8] = strlen(session);
	bind_str(&p[8], session, &len[8]);
	len[9] = strlen(owner);
	bind_str(&p[9], owner, &len[9]);
	/* record_id: a bijection of (idx, n), salted by TAG across runs. */
	for (c = tag; *c != '\0'; c++)
		salt = salt * 131 + (unsigned char)*c;
	salt = mix(salt + 1);
	sh->ready[idx] = 1;
	while (__atomic_load_n(&sh->start_ns, __ATOMIC_ACQUIRE) == 0)
		usleep(1000);
	for (n = 0; now_ns() < sh->stop_ns; n++) {
		snprintf(record_id, sizeof(record_id), "rec_%016llx",
		    (unsigned long long)mix(salt + ((uint64_t)idx << 40 | n)));
		len[1] = (unsigned long)snprintf(worker_id, sizeof(worker_id),
		    "D%s.%d-%llu", tag, idx, (unsigned long long)n);
		len[5] = (unsigned long)snprintf(event, sizeof(event),
		    "dbevt-%s.%d-%llu", tag, idx, (unsigned long long)n);
		units = (uint32_t)(1 + n % 9);
		if (mysql_stmt_bind_param(st, p) != 0 ||
		    mysql_stmt_execute(st) != 0) {
			if (sh->failed[idx]++ == 0)
				fprintf(stderr, "dbloop: execute: %s\n",
				    mysql_stmt_error(st));
			continue;
		}
		if (mysql_stmt_affected_rows(st) != 1) {
			if (sh->failed[idx]++ == 0)
				fprintf(stderr, "dbloop: the statement stored "
				    "no new row (affected rows %llu)\n",
				    (unsigned long long)
				    mysql_stmt_affected_rows(st));
			continue;
		}
		sh->done[idx]++;
	}
	mysql_stmt_close(st);
	mysql_close(m);
	_exit(0);
fail:
	sh->broken[idx] = 1;
	sh->ready[idx] = 1;
	_exit(1);
}

int
main(int argc, char *argv[])
{
	struct shared	*sh;
	uint64_t	 total = 0, failed = 0;
	double		 seconds, secs;
	pid_t		 pids[MAX_CONC];
	int		 conc, i, ready, broken = 0, st, rc = 0;

	if (argc == 2 && strcmp(argv[1], "--print-sql") == 0) {
		puts(sql_insert);
		return 0;
	}
	if (argc != 10) {
		fprintf(stderr, "usage: dbloop SOCKET USER PASSWORD DATABASE "
		    "SESSION OWNER CONCURRENCY SECONDS TAG | --print-sql\n");
		return 2;
	}
	conc = atoi(argv[7]);
	seconds = atof(argv[8]);
	if (conc < 1 || conc > MAX_CONC || seconds <= 0)
		return 2;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 2;
	memset(sh, 0, sizeof(*sh));
	for (i = 0; i < conc; i++) {
		if ((pids[i] = fork()) == -1) {
			perror("fork");
			conc = i;
			rc = 1;
			break;
		}
		if (pids[i] == 0)
			child(i, argv, sh);
	}
	/* Every connection open and prepared (or failed) before the clock. */
	for (;;) {
		for (i = 0, ready = 0; i < conc; i++)
			ready += __atomic_load_n(&sh->ready[i], __ATOMIC_ACQUIRE);
		if (ready == conc)
			break;
		usleep(2000);
	}
	sh->stop_ns = now_ns() + (int64_t)(seconds * 1e9);
	__atomic_store_n(&sh->start_ns, now_ns(), __ATOMIC_RELEASE);
	for (i = 0; i < conc; i++)
		waitpid(pids[i], &st, 0);
	secs = (double)(now_ns() - sh->start_ns) / 1e9;
	for (i = 0; i < conc; i++) {
		total += sh->done[i];
		failed += sh->failed[i];
		broken += sh->broken[i];
	}
	printf("dbloop conc %d statements %llu failed %llu broken %d seconds "
	    "%.2f sps %.0f mean_ms %.3f\n", conc, (unsigned long long)total,
	    (unsigned long long)failed, broken, secs, total / secs,
	    total > 0 ? conc * secs * 1000 / total : 0.0);
	return rc || failed || broken ? 1 : 0;
}
