/*
 * coldstart.c: time from exec to the first answered request of a single
 * prodrec process.  Each run forks and execs
 *     PRODREC --listen SOCKET --foreground
 * (the configuration comes from the environment; set PRODREC_WORKERS=0),
 * connects in a tight loop until the socket accepts, sends one FastCGI
 * create request (a new record: 201) and stops the clock when the answer
 * has arrived; then stops the process (SIGTERM) and waits for it.
 *
 * usage: coldstart PRODREC SOCKET RUNS TOKEN SESSION TAG RECORDED_AT LOG
 * Prints one line per run, then
 *     coldstart runs N ok M median_ms X min_ms Y max_ms Z
 * Exits 1 if any run did not get a 201.
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "fcgiclient.h"

#define GIVE_UP_NS	(10LL * 1000000000)	/* a start slower than this failed */

static int64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* SIGTERM, then SIGKILL after 5 s; reap. */
static void
stop_child(pid_t pid)
{
	int64_t	deadline = now_ns() + 5LL * 1000000000;
	int	st;

	kill(pid, SIGTERM);
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (now_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return;
		}
		usleep(1000);
	}
}

/* One cold start; returns the milliseconds, or -1 (why on stderr). */
static double
one_run(char *prodrec, char *sock, const unsigned char *req, size_t reqlen,
    int logfd)
{
	char	*argv[] = { prodrec, "--listen", sock, "--foreground", NULL };
	int64_t	 t0, t1;
	pid_t	 pid;
	int	 fd = -1, status, st;

	unlink(sock);
	t0 = now_ns();
	if ((pid = fork()) == -1) {
		perror("fork");
		return -1;
	}
	if (pid == 0) {
		dup2(logfd, 1);
		dup2(logfd, 2);
		execv(prodrec, argv);
		_exit(127);
	}
	while ((fd = fc_connect(sock)) == -1) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fprintf(stderr, "coldstart: prodrec exited (status %d) "
			    "before it listened\n", st);
			return -1;
		}
		if (now_ns() - t0 > GIVE_UP_NS) {
			fprintf(stderr, "coldstart: no listening socket after "
			    "10 s\n");
			stop_child(pid);
			return -1;
		}
		sched_yield();
	}
	status = fc_exchange(fd, req, reqlen);
	t1 = now_ns();
	close(fd);
	stop_child(pid);
	if (status != 201) {
		fprintf(stderr, "coldstart: the answer was %d, not 201\n",
		    status);
		return -1;
	}
	return (double)(t1 - t0) / 1e6;
}

int
main(int argc, char *argv[])
{
	unsigned char	 req[FC_BUF_MAX];
	char		 body[2048];
	double		*ms;
	size_t		 reqlen;
	int		 runs, i, ok = 0, logfd;

	if (argc != 9) {
		fprintf(stderr, "usage: coldstart PRODREC SOCKET RUNS TOKEN "
		    "SESSION TAG RECORDED_AT LOG\n");
		return 2;
	}
	runs = atoi(argv[3]);
	if (runs < 1 || (ms = calloc((size_t)runs, sizeof(*ms))) == NULL)
		return 2;
	if ((logfd = open(argv[8], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) == -1) {
		perror(argv[8]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < runs; i++) {
		fc_body(body, sizeof(body), argv[5], argv[6], (unsigned long)i,
		    argv[7]);
		if ((reqlen = fc_request(req, argv[4], body)) == 0)
			return 2;
		double t = one_run(argv[1], argv[2], req, reqlen, logfd);
		if (t < 0)
			continue;
		printf("coldstart run %d ms %.2f\n", i + 1, t);
		ms[ok++] = t;
	}
	if (ok > 0) {
		qsort(ms, (size_t)ok, sizeof(*ms), cmp_double);
		printf("coldstart runs %d ok %d median_ms %.2f min_ms %.2f "
		    "max_ms %.2f\n", runs, ok, ok % 2 ? ms[ok / 2] :
		    (ms[ok / 2 - 1] + ms[ok / 2]) / 2, ms[0], ms[ok - 1]);
	} else
		printf("coldstart runs %d ok 0\n", runs);
	unlink(argv[2]);
	return ok == runs ? 0 : 1;
}
