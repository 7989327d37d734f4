/*
 * tap.h: a few lines of the Test Anything Protocol for the unit tests.
 *
 * ok(cond, fmt, ...) reports one check; a failure names the file and line
 * of the check: "not ok 7 - text (test_route.c:42)".  A helper that runs
 * checks for its callers takes the caller's line (a macro passing
 * __LINE__) and reports with ok_line(line, cond, fmt, ...), so that a
 * failure names the line of the check, not of the helper.
 */
#ifndef PRODREC_TAP_H
#define PRODREC_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

/* Report one check made at file:line; returns cond for diagnostics. */
static int __attribute__((format(printf, 4, 5), unused))
ok_at(const char *file, int line, int cond, const char *fmt, ...)
{
	const char	*base = strrchr(file, '/');
	va_list		 ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!cond)
		printf(" (%s:%d)", base != NULL ? base + 1 : file, line);
	putchar('\n');
	return cond;
}

#define ok(...)			ok_at(__FILE__, __LINE__, __VA_ARGS__)
#define ok_line(line, ...)	ok_at(__FILE__, (line), __VA_ARGS__)

/* Print the plan and the exit status automake's TAP driver expects. */
static int __attribute__((unused))
done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
