/*
 * tap.h: a few lines of the Test Anything Protocol for the unit tests.
 *
 * ok(cond, fmt, ...) reports one check; a failure names the file and line
 * of the check: "not ok 7 - text (test_route.c:42)".  A helper that runs
 * checks for its callers takes the caller's line (a macro passing
 * __LINE__) and reports with ok_line(line, cond, fmt, ...), so that a
 * failure names the line of the check, not of the helper.  A check of a
 * known bug is todo_line(line, why, cond, fmt, ...) (see todo_at).
 */
#ifndef PRODREC_TAP_H
#define PRODREC_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

/* One check made at file:line, of a known bug when todo is not NULL. */
static int __attribute__((format(printf, 5, 0), unused))
vok_at(const char *file, int line, const char *todo, int cond,
    const char *fmt, va_list ap)
{
	const char	*base = strrchr(file, '/');

	tap_count++;
	if (!cond && todo == NULL)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	vprintf(fmt, ap);
	if (todo != NULL)
		printf(" # TODO %s", todo);
	if (!cond)
		printf(" (%s:%d)", base != NULL ? base + 1 : file, line);
	putchar('\n');
	return cond;
}

/* Report one check made at file:line; returns cond for diagnostics. */
static int __attribute__((format(printf, 4, 5), unused))
ok_at(const char *file, int line, int cond, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cond = vok_at(file, line, NULL, cond, fmt, ap);
	va_end(ap);
	return cond;
}

/*
 * A check of a known bug, with TAP's TODO directive and why: its failure
 * is expected (automake's XFAIL) and fails nothing; once the bug is fixed
 * it passes (XPASS), which make check reports, to turn it into ok().
 */
static int __attribute__((format(printf, 5, 6), unused))
todo_at(const char *file, int line, const char *why, int cond,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cond = vok_at(file, line, why, cond, fmt, ap);
	va_end(ap);
	return cond;
}

#define ok(...)			ok_at(__FILE__, __LINE__, __VA_ARGS__)
#define ok_line(line, ...)	ok_at(__FILE__, (line), __VA_ARGS__)
#define todo_line(line, why, ...) \
	todo_at(__FILE__, (line), (why), __VA_ARGS__)

/* Print the plan and the exit status automake's TAP driver expects. */
static int __attribute__((unused))
done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
