/* tap.h: a few lines of the Test Anything Protocol for the unit tests. */
#ifndef PRODREC_TAP_H
#define PRODREC_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_count, tap_failed;

/* Report one check; returns cond so callers can chain diagnostics. */
static int __attribute__((format(printf, 2, 3), unused))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return cond;
}

/* Print the plan and the exit status automake's TAP driver expects. */
static int __attribute__((unused))
done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
