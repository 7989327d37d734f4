/* log.c: err(3)-style log lines on stderr (the web server's log), or syslog for a daemon. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static const char	*log_name = "prodrec";
static int		 log_syslog;	/* 1 once daemonized */

void
log_init(const char *progname)
{
	if (progname != NULL)
		log_name = progname;
}

/* From now on, log to syslog (facility daemon) instead of stderr. */
void
log_to_syslog(void)
{
	openlog(log_name, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_syslog = 1;
}

/*
 * Write one line "prodrec[pid]: message[: strerror]" with a single write(2)
 * so lines from several workers never interleave.
 */
static void
vlog(int errnum, const char *fmt, va_list ap)
{
	char	line[1024];
	int	n, m, prefix;

	n = snprintf(line, sizeof(line), "%s[%ld]: ", log_name, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	prefix = n;
	m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (m < 0)
		return;
	n = (size_t)(n + m) >= sizeof(line) - 2 ? (int)sizeof(line) - 2 : n + m;
	if (errnum != 0) {
		m = snprintf(line + n, sizeof(line) - n, ": %s", strerror(errnum));
		if (m > 0)
			n = (size_t)(n + m) >= sizeof(line) - 2 ?
			    (int)sizeof(line) - 2 : n + m;
	}
	if (log_syslog) {
		syslog(LOG_WARNING, "%.*s", n - prefix, line + prefix);
		return;
	}
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	vlog(saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	vlog(saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(0, fmt, ap);
	va_end(ap);
	exit(1);
}
