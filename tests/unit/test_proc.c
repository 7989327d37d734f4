/*
 * test_proc.c: proc.c, the process plumbing, in a fresh temporary
 * directory: proc_absolute_path, proc_cpus, proc_now_ms; the pid file
 * (written, refused while another process or this one holds it, taken
 * once it is free, removed only by its writer, at its absolute path);
 * proc_parent_is_apache and proc_die_with_parent in forked children; and
 * proc_daemonize with proc_ready in a forked child (never this program),
 * made this program's subreaper so that the daemon is reaped here.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
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

#include "proc.h"
#include "tap.h"

static char	dir[PATH_MAX];		/* the temporary directory */
static char	err[512];

/* dir/name into path (PATH_MAX + 64 bytes). */
static char *
in_dir(char *path, const char *name)
{
	snprintf(path, PATH_MAX + 64, "%s/%s", dir, name);
	return path;
}

/* The first line of the file at path (static), or "" when unreadable. */
static const char *
first_line(const char *path)
{
	static char	line[64];
	FILE		*fp;

	line[0] = '\0';
	if ((fp = fopen(path, "r")) != NULL) {
		if (fgets(line, sizeof(line), fp) == NULL)
			line[0] = '\0';
		fclose(fp);
	}
	return line;
}

/* Does the file at path hold exactly "pid\n"? */
static int
holds_pid(const char *path, pid_t pid)
{
	char		want[32];
	struct stat	sb;

	snprintf(want, sizeof(want), "%ld\n", (long)pid);
	return stat(path, &sb) == 0 && (size_t)sb.st_size == strlen(want) &&
	    strcmp(first_line(path), want) == 0;
}

/* Wait for child pid: its exit status, or 128 + the signal that ended it. */
static int
reap(pid_t pid)
{
	int	st;

	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Read one byte from fd: it, or -1 at the end. */
static int
get_byte(int fd)
{
	unsigned char	c;

	return read(fd, &c, 1) == 1 ? c : -1;
}

static void
test_paths(void)
{
	char	cwd[PATH_MAX], out[PATH_MAX + 64], want[PATH_MAX + 64];

	ok(proc_absolute_path("/etc/prodrec.pid", out, sizeof(out)) == 0 &&
	    strcmp(out, "/etc/prodrec.pid") == 0, "an absolute path as is");
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		abort();
	snprintf(want, sizeof(want), "%s/run/x.pid", cwd);
	ok(proc_absolute_path("run/x.pid", out, sizeof(out)) == 0 &&
	    strcmp(out, want) == 0, "a relative one against the working "
	    "directory: %s", out);
	ok(proc_absolute_path("run/x.pid", out, strlen(want) + 1) == 0 &&
	    strcmp(out, want) == 0, "into a buffer just large enough");
	errno = 0;
	ok(proc_absolute_path("run/x.pid", out, strlen(want)) == -1 &&
	    errno == ENAMETOOLONG, "one byte short: ENAMETOOLONG");
	errno = 0;
	ok(proc_absolute_path("/etc/prodrec.pid", out, 16) == -1 &&
	    errno == ENAMETOOLONG, "an absolute path too long for out");
}

static void
test_clock(void)
{
	struct timespec	ts = { 0, 30 * 1000000 };
	long		n = sysconf(_SC_NPROCESSORS_ONLN);
	int64_t		t0, t1, t2;

	ok(proc_cpus() >= 1 && proc_cpus() <= 1024 &&
	    (n < 1 || n > 1024 || proc_cpus() == n), "proc_cpus: %d, as "
	    "sysconf says (%ld)", proc_cpus(), n);
	t0 = proc_now_ms();
	t1 = proc_now_ms();
	nanosleep(&ts, NULL);
	t2 = proc_now_ms();
	ok(t0 > 0 && t1 >= t0, "proc_now_ms never goes back");
	ok(t2 - t1 >= 30 && t2 - t1 < 10000, "30 ms of sleep count %lld ms",
	    (long long)(t2 - t1));
}

/*
 * A child that takes the pid file at path and holds it until told (a byte
 * on *go, or its end); returns its pid once it holds the lock, or -1.
 */
static pid_t
holder(const char *path, int *go)
{
	int	up[2], down[2];
	pid_t	pid;

	if (pipe(up) == -1 || pipe(down) == -1 || (pid = fork()) == -1)
		abort();
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		if (proc_pidfile(path, err, sizeof(err)) == -1)
			_exit(1);
		(void)write(up[1], "h", 1);
		(void)get_byte(down[0]);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	*go = down[1];
	pid = get_byte(up[0]) == 'h' ? pid : -1;
	close(up[0]);
	return pid;
}

static void
test_pidfile(void)
{
	char	path[PATH_MAX + 64], want[PATH_MAX + 128], cwd[PATH_MAX];
	pid_t	pid;
	int	go, fd;

	in_dir(path, "prodrec.pid");
	pid = holder(path, &go);
	ok(pid > 0 && holds_pid(path, pid), "a child holds the pid file");
	snprintf(want, sizeof(want), "pid file %s is locked: prodrec already "
	    "runs (pid %ld)", path, (long)pid);
	ok(proc_pidfile(path, err, sizeof(err)) == -1 &&
	    strcmp(err, want) == 0 && holds_pid(path, pid),
	    "refused while held, naming the holder: %s", err);
	close(go);
	ok(reap(pid) == 0, "the holder ends");
	ok(proc_pidfile(path, err, sizeof(err)) == 0 &&
	    holds_pid(path, getpid()), "then the file is ours, with our pid");
	snprintf(want, sizeof(want), "pid file %s is locked: prodrec already "
	    "runs (pid %ld)", path, (long)getpid());
	ok(proc_pidfile(path, err, sizeof(err)) == -1 &&
	    strcmp(err, want) == 0, "a second open in this process is "
	    "refused too");
	if ((pid = fork()) == 0) {
		proc_pidfile_remove();
		_exit(0);
	}
	ok(reap(pid) == 0 && holds_pid(path, getpid()), "a forked worker "
	    "does not remove it");
	proc_pidfile_remove();
	ok(access(path, F_OK) == -1 && errno == ENOENT, "its writer does");

	in_dir(path, "stale.pid");
	if ((fd = open(path, O_CREAT | O_WRONLY, 0644)) == -1 ||
	    write(fd, "4194304\nand more than a pid\n", 28) != 28)
		abort();
	close(fd);
	ok(proc_pidfile(path, err, sizeof(err)) == 0 &&
	    holds_pid(path, getpid()), "a stale file, unlocked: rewritten");
	proc_pidfile_remove();

	/* A relative path is removed where it was made, whatever the cwd. */
	if (getcwd(cwd, sizeof(cwd)) == NULL || chdir(dir) == -1)
		abort();
	ok(proc_pidfile("relative.pid", err, sizeof(err)) == 0,
	    "a relative path");
	if (chdir("/") == -1)
		abort();
	proc_pidfile_remove();
	ok(access(in_dir(path, "relative.pid"), F_OK) == -1 && errno == ENOENT,
	    "removed from its directory after a chdir");
	if (chdir(cwd) == -1)
		abort();

	in_dir(path, "none/prodrec.pid");
	snprintf(want, sizeof(want), "pid file %s: No such file or directory",
	    path);
	ok(proc_pidfile(path, err, sizeof(err)) == -1 &&
	    strcmp(err, want) == 0, "no such directory: %s", err);
}

/* proc_parent_is_apache() in a child of this process named comm. */
static int
child_sees_apache(const char *comm)
{
	char	self[16];
	pid_t	pid;
	int	rc;

	if (prctl(PR_GET_NAME, self) == -1 || prctl(PR_SET_NAME, comm) == -1)
		abort();
	if ((pid = fork()) == 0)
		_exit(proc_parent_is_apache());
	rc = reap(pid);
	(void)prctl(PR_SET_NAME, self);
	return rc;
}

static void
test_parent(void)
{
	ok(child_sees_apache("apache2") == 1, "a parent named apache2 is "
	    "Apache");
	ok(child_sees_apache("httpd") == 1, "httpd too");
	ok(child_sees_apache("apache2x") == 0, "apache2x is not");
	ok(child_sees_apache("lighttpd") == 0, "lighttpd is not");
}

/*
 * proc_die_with_parent: a grandchild that asked for it gets SIGTERM when
 * its parent exits (and comes to this subreaper to be reaped).
 */
static void
test_die_with_parent(void)
{
	int	p[2], q[2];
	pid_t	pid, grandchild = -1;

	if (pipe(p) == -1 || pipe(q) == -1 || (pid = fork()) == -1)
		abort();
	if (pid == 0) {
		/* The parent: wait until its child has asked, then go. */
		close(p[0]);
		if ((pid = fork()) == 0) {
			alarm(20);	/* a failure, not a hang */
			proc_die_with_parent();
			(void)write(q[1], "d", 1);
			for (;;)
				pause();
		}
		close(q[1]);
		if (pid > 0 && get_byte(q[0]) == 'd')
			(void)write(p[1], &pid, sizeof(pid));
		_exit(0);
	}
	close(p[1]);
	close(q[0]);
	close(q[1]);
	if (read(p[0], &grandchild, sizeof(grandchild)) !=
	    (ssize_t)sizeof(grandchild))
		grandchild = -1;
	close(p[0]);
	ok(reap(pid) == 0 && grandchild > 0, "the parent exits");
	ok(grandchild > 0 && reap(grandchild) == 128 + SIGTERM,
	    "its child got SIGTERM");
}

/*
 * In a child: daemonize, and report through fd out what the daemon finds
 * (s: its own session, c: at / after proc_ready, n: stdout on /dev/null),
 * or die at once when early.
 */
static void __attribute__((noreturn))
daemon_child(int out, int early)
{
	struct stat	sb, null;
	char		cwd[PATH_MAX];

	if (proc_daemonize(err, sizeof(err)) == -1)
		_exit(2);
	if (early)
		_exit(3);
	if (getsid(0) == getpid())
		(void)write(out, "s", 1);
	proc_ready();
	if (getcwd(cwd, sizeof(cwd)) != NULL && strcmp(cwd, "/") == 0)
		(void)write(out, "c", 1);
	if (fstat(1, &sb) == 0 && stat("/dev/null", &null) == 0 &&
	    sb.st_rdev == null.st_rdev)
		(void)write(out, "n", 1);
	_exit(0);
}

static void
test_daemon(void)
{
	char	got[8] = "", cwd[PATH_MAX], now[PATH_MAX];
	int	p[2], early, c;
	size_t	n;
	pid_t	pid;

	for (early = 0; early <= 1; early++) {
		if (pipe(p) == -1 || (pid = fork()) == -1)
			abort();
		if (pid == 0) {
			close(p[0]);
			daemon_child(p[1], early);
		}
		close(p[1]);
		ok(reap(pid) == early, early ? "a daemon that dies before it "
		    "is ready: the starter exits 1" : "the starter exits 0 "
		    "once the daemon is ready");
		for (n = 0; n < sizeof(got) - 1 && (c = get_byte(p[0])) != -1;
		    n++)
			got[n] = (char)c;
		got[n] = '\0';
		close(p[0]);
		while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
			;	/* the daemon, orphaned to this subreaper */
		if (!early)
			ok(strcmp(got, "scn") == 0, "the daemon leads its own "
			    "session, then is at / with stdout on /dev/null "
			    "(%s)", got);
	}
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		abort();
	proc_ready();
	ok(getcwd(now, sizeof(now)) != NULL && strcmp(cwd, now) == 0,
	    "proc_ready without proc_daemonize changes nothing");
}

int
main(void)
{
	const char	*tmp = getenv("TMPDIR");

	setvbuf(stdout, NULL, _IONBF, 0);	/* nothing doubled by fork */
	snprintf(dir, sizeof(dir), "%s/prodrec-test_proc.XXXXXX",
	    tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL || prctl(PR_SET_CHILD_SUBREAPER, 1) == -1) {
		perror(dir);
		return 1;
	}
	test_paths();
	test_clock();
	test_pidfile();
	test_parent();
	test_die_with_parent();
	test_daemon();
	if (rmdir(dir) == -1)
		printf("# %s left behind: %s\n", dir, strerror(errno));
	return done_testing();
}
