/* proc.c: process plumbing for main: the daemon, the pid file, the parent, the CPUs. */
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"

static int	ready_fd = -1;	/* the daemon's pipe to its waiting parent */
static char	pidfile_path[PATH_MAX];	/* absolute; ours to remove at exit */
static pid_t	pidfile_owner;

/* Point stdin, stdout and stderr at /dev/null. */
static int
null_stdio(void)
{
	int	fd, i;

	if ((fd = open("/dev/null", O_RDWR)) == -1)
		return -1;
	for (i = 0; i < 3; i++)
		if (fd != i && dup2(fd, i) == -1)
			return -1;
	if (fd > 2)
		close(fd);
	return 0;
}

/*
 * The parent's side of proc_daemonize(): wait until the daemon says it is
 * ready (one byte) and exit 0, or exit 1 when it died first (it has said
 * why on the shared stderr).
 */
static void __attribute__((noreturn))
wait_ready(int fd, pid_t pid)
{
	char	c;
	ssize_t	n;

	while ((n = read(fd, &c, 1)) == -1 && errno == EINTR)
		;
	if (n == 1)
		_exit(0);
	(void)waitpid(pid, NULL, 0);
	_exit(1);
}

/*
 * Detach: fork, let the parent wait until proc_ready() (so that the shell
 * sees a failure to start), start a new session.  Standard streams and the
 * working directory (for relative paths in the settings) stay until
 * proc_ready(), so start-up errors still reach the terminal.  Returns 0 in
 * the daemon, -1 on error.
 */
int
proc_daemonize(char *err, size_t errsz)
{
	int	p[2];
	pid_t	pid;

	if (pipe2(p, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
		snprintf(err, errsz, "cannot detach: %s", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		close(p[1]);
		wait_ready(p[0], pid);
	}
	close(p[0]);
	ready_fd = p[1];
	if (setsid() == -1) {
		snprintf(err, errsz, "cannot detach: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The daemon serves: logs go to syslog, the standard streams to /dev/null,
 * it leaves its directory and the waiting parent exits 0.  A no-op when
 * not daemonized.
 */
void
proc_ready(void)
{
	if (ready_fd == -1)
		return;
	if (chdir("/") == -1)
		log_warn("chdir /");
	log_to_syslog();
	if (null_stdio() == -1)
		log_warn("/dev/null");
	if (write(ready_fd, "", 1) != 1)
		log_warn("telling the parent we are ready");
	close(ready_fd);
	ready_fd = -1;
}

/*
 * path, made absolute against the working directory, into out.  Returns 0,
 * or -1 with errno set.
 */
int
proc_absolute_path(const char *path, char *out, size_t outsz)
{
	char	cwd[PATH_MAX];
	int	n;

	if (path[0] == '/')
		n = snprintf(out, outsz, "%s", path);
	else if (getcwd(cwd, sizeof(cwd)) == NULL)
		return -1;
	else
		n = snprintf(out, outsz, "%s/%s", cwd, path);
	if (n < 0 || (size_t)n >= outsz) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * Write our pid to path, holding a lock on it for as long as we (and our
 * workers) run, so that a second instance with the same pid file refuses
 * to start.  Returns 0, or -1 with one sentence in err.
 */
int
proc_pidfile(const char *path, char *err, size_t errsz)
{
	char	buf[32];
	int	fd, n;

	if (proc_absolute_path(path, pidfile_path, sizeof(pidfile_path)) == -1) {
		snprintf(err, errsz, "pid file %s: %s", path, strerror(errno));
		return -1;
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1) {
		snprintf(err, errsz, "pid file %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		n = (int)read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(err, errsz, "pid file %s is locked: prodrec already "
		    "runs (pid %s)", path, buf[0] ? buf : "unknown");
		close(fd);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || write(fd, buf, n) != n) {
		snprintf(err, errsz, "pid file %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	pidfile_owner = getpid();	/* the fd stays open: it holds the lock */
	return 0;
}

/* Remove the pid file, from the process that wrote it only. */
void
proc_pidfile_remove(void)
{
	if (pidfile_owner != 0 && getpid() == pidfile_owner)
		(void)unlink(pidfile_path);
}

/*
 * Under a web server (lighttpd bin-path, mod_fcgid), go when it goes:
 * SIGTERM when the parent dies, so a killed web server leaves no process
 * holding its socket.
 */
void
proc_die_with_parent(void)
{
	pid_t	parent = getppid();

	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
		log_warn("prctl(PR_SET_PDEATHSIG)");
	else if (getppid() != parent)
		(void)raise(SIGTERM);	/* it died before prctl() */
}

/* Online CPUs, at least 1. */
int
proc_cpus(void)
{
	long	n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
}

/*
 * Was this process spawned by Apache httpd (mod_fcgid)?  mod_fcgid gives no
 * sign in the environment, only its process manager as our parent.
 */
int
proc_parent_is_apache(void)
{
	char	path[64], comm[32];
	FILE	*fp;
	int	is = 0;

	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)getppid());
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(comm, sizeof(comm), fp) != NULL) {
		comm[strcspn(comm, "\n")] = '\0';
		is = strcmp(comm, "apache2") == 0 || strcmp(comm, "httpd") == 0;
	}
	fclose(fp);
	return is;
}

/* A monotonic clock in milliseconds (0 if it cannot be read). */
int64_t
proc_now_ms(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
