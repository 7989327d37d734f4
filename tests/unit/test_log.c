/*
 * test_log.c: log.c, err(3)-style lines on stderr: "name[pid]: message"
 * with strerror for log_warn, one write per line, long lines cut, and
 * fatal/fatalx ending the process with status 1.  (log_to_syslog is left
 * alone: it would write to the machine's syslog.)
 */
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"

static char	captured[4096];
static size_t	captured_len;
static int	saved_stderr = -1;
static FILE	*tmp;

/* Send stderr to a temporary file until got(). */
static void
capture(void)
{
	fflush(stderr);
	if ((tmp = tmpfile()) == NULL || (saved_stderr = dup(2)) == -1 ||
	    dup2(fileno(tmp), 2) == -1)
		abort();
}

/* Restore stderr; captured holds what was written meanwhile. */
static const char *
got(void)
{
	if (dup2(saved_stderr, 2) == -1)
		abort();
	close(saved_stderr);
	rewind(tmp);
	captured_len = fread(captured, 1, sizeof(captured) - 1, tmp);
	captured[captured_len] = '\0';
	fclose(tmp);
	return captured;
}

static void
test_lines(void)
{
	char	want[128];
	int	e;

	snprintf(want, sizeof(want), "prodrec[%ld]: hello 42\n",
	    (long)getpid());
	capture();
	log_warnx("hello %d", 42);
	ok(strcmp(got(), want) == 0, "log_warnx: prodrec[pid]: message");

	log_init("unit");
	snprintf(want, sizeof(want), "unit[%ld]: open x: %s\n",
	    (long)getpid(), strerror(ENOENT));
	capture();
	errno = ENOENT;
	log_warn("open %s", "x");
	e = errno;
	ok(strcmp(got(), want) == 0, "log_warn adds strerror, log_init the "
	    "name: %s", captured);
	ok(e == ENOENT, "log_warn keeps errno");

	snprintf(want, sizeof(want), "unit[%ld]: no errno\n", (long)getpid());
	capture();
	errno = EINVAL;
	log_warnx("no errno");
	ok(strcmp(got(), want) == 0, "log_warnx ignores errno");

	log_init(NULL);
	snprintf(want, sizeof(want), "unit[%ld]: same\n", (long)getpid());
	capture();
	log_warnx("same");
	ok(strcmp(got(), want) == 0, "log_init(NULL) keeps the name");
}

static void
test_long(void)
{
	char	msg[3000];
	int	prefix;

	memset(msg, 'm', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	prefix = snprintf(NULL, 0, "unit[%ld]: ", (long)getpid());
	capture();
	log_warnx("%s", msg);
	got();
	ok(captured_len == 1023 && captured[1022] == '\n' &&
	    strspn(captured + prefix, "m") == (size_t)(1022 - prefix),
	    "a long line is cut to 1022 bytes and its newline (%zu)",
	    captured_len);
	capture();
	errno = EACCES;
	log_warn("%s", msg);
	got();
	ok(captured_len == 1023 && captured[1022] == '\n' &&
	    strchr(captured, '\n') == captured + 1022,
	    "so is one with strerror: one line (%zu)", captured_len);
	capture();
	log_warnx("two\nlines");
	got();
	ok(strstr(captured, "two\nlines\n") != NULL, "a newline in the message "
	    "is written as it is");
}

/* Run fatal (or fatalx) in a child; its status and what it wrote. */
static int
dies(int with_errno)
{
	pid_t	pid;
	int	status;

	fflush(stdout);
	capture();
	if ((pid = fork()) == -1)
		abort();
	if (pid == 0) {
		errno = EPERM;
		if (with_errno)
			fatal("cannot %s", "go on");
		fatalx("cannot %s", "go on");
	}
	if (waitpid(pid, &status, 0) != pid)
		abort();
	got();
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
test_fatal(void)
{
	char	want[128];

	ok(dies(0) == 1, "fatalx exits 1");
	snprintf(want, sizeof(want), "]: cannot go on\n");
	ok(strstr(captured, want) != NULL && strstr(captured, "unit[") ==
	    captured, "with its line: %s", captured);
	ok(dies(1) == 1, "fatal exits 1");
	snprintf(want, sizeof(want), "]: cannot go on: %s\n", strerror(EPERM));
	ok(strstr(captured, want) != NULL, "with strerror: %s", captured);
}

int
main(void)
{
	test_lines();
	test_long();
	test_fatal();
	return done_testing();
}
