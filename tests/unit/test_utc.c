/*
 * test_utc.c: the UTC instants of CONTRACT section 1: utc_parse() and
 * utc_format() (validate.c for now), against timegm().
 */
#define _DEFAULT_SOURCE		/* timegm */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "utc.h"
#include "tap.h"

#define NOW		((time_t)1760884200)	/* 2025-10-19T14:30:00Z */

/* utc_parse on a NUL-terminated s; *ms untouched on failure. */
static int
parse(const char *s, int64_t *ms)
{
	return utc_parse(s, strlen(s), ms);
}

/* s parses to exactly want ms. */
static void
ts_is_at(int line, const char *s, int64_t want)
{
	int64_t	ms = -1;
	int	rc = parse(s, &ms);

	if (!ok_line(line, rc == 0 && ms == want, "utc_parse %s", s))
		printf("# rc %d ms %lld want %lld\n", rc, (long long)ms,
		    (long long)want);
}
#define ts_is(...)	ts_is_at(__LINE__, __VA_ARGS__)

static void
ts_bad_at(int line, const char *s, const char *why)
{
	int64_t	ms;

	ok_line(line, parse(s, &ms) == -1, "utc_parse refuses %s (%s)", s,
	    why);
}
#define ts_bad(...)	ts_bad_at(__LINE__, __VA_ARGS__)

static void
test_ts_parse(void)
{
	static const char *const good[] = {
		"2024-02-29T00:00:00Z", "2000-02-29T12:00:00Z",
		"2025-12-31T23:59:59Z", "2025-04-30T00:00:00Z",
		"1970-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z", NULL,
	};
	const char *const	*p;
	int64_t			 ms;

	ts_is("1970-01-01T00:00:00Z", 0);
	ts_is("1970-01-01T00:00:00.001Z", 1);
	ts_is("2025-10-19T14:30:00.000Z", (int64_t)NOW * 1000);
	ts_is("2025-10-19T14:30:00Z", (int64_t)NOW * 1000);
	ts_is("2025-10-19T14:30:00+00:00", (int64_t)NOW * 1000);
	ts_is("2025-10-19T14:30:00.5Z", (int64_t)NOW * 1000 + 500);
	ts_is("2025-10-19T14:30:00.12Z", (int64_t)NOW * 1000 + 120);
	ts_is("2025-10-19T14:30:00.123Z", (int64_t)NOW * 1000 + 123);
	ts_is("2025-10-19T14:30:00.9999Z", (int64_t)NOW * 1000 + 999);
	ts_is("2025-10-19T14:30:00.999999999Z", (int64_t)NOW * 1000 + 999);
	ts_is("2025-10-19T14:30:00.123456789+00:00",
	    (int64_t)NOW * 1000 + 123);
	ts_is("2025-10-19T14:30:00.000000000Z", (int64_t)NOW * 1000);
	ts_is("2024-02-29T23:59:59Z", (int64_t)1709251199 * 1000);
	ts_is("2000-02-29T00:00:00Z", (int64_t)951782400 * 1000);
	ts_is("2038-01-19T03:14:08Z", (int64_t)2147483648LL * 1000);
	for (p = good; *p != NULL; p++)
		ok(parse(*p, &ms) == 0, "utc_parse accepts %s", *p);
}

static void
test_ts_refused(void)
{
	int64_t	ms;

	ts_bad("2023-02-29T00:00:00Z", "not a leap year");
	ts_bad("2100-02-29T00:00:00Z", "century, not a leap year");
	ts_bad("1900-02-29T00:00:00Z", "1900");
	ts_bad("2024-02-30T00:00:00Z", "Feb 30");
	ts_bad("2025-04-31T00:00:00Z", "April 31");
	ts_bad("2025-06-31T00:00:00Z", "June 31");
	ts_bad("2025-13-01T00:00:00Z", "month 13");
	ts_bad("2025-00-01T00:00:00Z", "month 0");
	ts_bad("2025-01-00T00:00:00Z", "day 0");
	ts_bad("2025-01-32T00:00:00Z", "day 32");
	ts_bad("2025-10-19T24:00:00Z", "24:00");
	ts_bad("2025-10-19T23:60:00Z", "minute 60");
	ts_bad("2025-10-19T23:59:60Z", "leap second");
	ts_bad("1969-12-31T23:59:59Z", "1969");
	ts_bad("0000-01-01T00:00:00Z", "year 0");
	ts_bad("2025-10-19T14:30:00.Z", "0 fraction digits");
	ts_bad("2025-10-19T14:30:00.1234567890Z", "10 fraction digits");
	ts_bad("2025-10-19T14:30:00-00:00", "-00:00");
	ts_bad("2025-10-19T14:30:00+01:00", "+01:00");
	ts_bad("2025-10-19T14:30:00+0000", "+0000");
	ts_bad("2025-10-19T14:30:00+00", "+00");
	ts_bad("2025-10-19T14:30:00z", "lower-case z");
	ts_bad("2025-10-19t14:30:00Z", "lower-case t");
	ts_bad("2025-10-19 14:30:00Z", "space for T");
	ts_bad("2025-10-19T14:30:00", "no Z");
	ts_bad("2025-10-19T14:30:00.000", "fraction, no Z");
	ts_bad("2025-10-19T14:30:00ZZ", "two Zs");
	ts_bad("2025-10-19T14:30:00Z ", "trailing space");
	ts_bad(" 2025-10-19T14:30:00Z", "leading space");
	ts_bad("2025-10-19T14:30Z", "no seconds");
	ts_bad("2025-1-19T14:30:00Z", "one-digit month");
	ts_bad("+2025-10-19T14:30:00Z", "signed year");
	ts_bad("20251019T143000Z", "basic format");
	ts_bad("2025-10-19T14:30:00,5Z", "comma fraction");
	ts_bad("2025-10-19T1a:30:00Z", "a letter");
	ts_bad("2025-10-19T-1:30:00Z", "negative hour");
	ts_bad("", "empty");
	ok(utc_parse("2025-10-19T14:30:00Zjunk", 20, &ms) == 0 &&
	    ms == (int64_t)NOW * 1000, "utc_parse reads only len bytes");
	ok(utc_parse("2025-10-19T14:30:00.5Z", 19, &ms) == -1,
	    "utc_parse refuses a cut-off time");
	ok(utc_parse("2025-10-19T14:30:00\0Z", 21, &ms) == -1,
	    "utc_parse refuses a NUL");
}

/* Every day from 1970 to 2399 at 23:59:59.999 agrees with timegm(). */
static void
test_ts_calendar(void)
{
	struct tm	tm;
	char		s[64];
	int64_t		ms;
	int		y, m, d, mdays, bad = 0, n = 0;

	for (y = 1970; y < 2400; y++)
		for (m = 1; m <= 12; m++)
			for (d = 1; d <= 32; d++) {
				memset(&tm, 0, sizeof(tm));
				tm.tm_year = y - 1900;
				tm.tm_mon = m - 1;
				tm.tm_mday = d;
				tm.tm_hour = 23;
				tm.tm_min = 59;
				tm.tm_sec = 59;
				(void)timegm(&tm);
				mdays = tm.tm_mon == m - 1;	/* no roll-over */
				snprintf(s, sizeof(s),
				    "%04d-%02d-%02dT23:59:59.999Z", y, m, d);
				n++;
				if (parse(s, &ms) != (mdays ? 0 : -1) ||
				    (mdays && ms != (int64_t)timegm(&tm) *
				    1000 + 999)) {
					if (bad++ < 5)
						printf("# disagrees: %s\n", s);
				}
			}
	ok(bad == 0, "utc_parse agrees with timegm on %d dates", n);
}

static void
test_ts_format(void)
{
	static const char *const instants[] = {
		"1970-01-01T00:00:00.000Z", "2025-10-19T14:30:00.000Z",
		"2024-02-29T23:59:59.999Z", "2000-03-01T00:00:00.001Z",
		"2100-03-01T12:34:56.789Z", "9999-12-31T23:59:59.999Z",
		"2038-01-19T03:14:08.000Z", NULL,
	};
	const char *const	*p;
	char			 out[25];
	int64_t			 ms, back;
	size_t			 i;
	int			 bad = 0;

	utc_format(0, out);
	ok(strcmp(out, "1970-01-01T00:00:00.000Z") == 0, "utc_format(0)");
	utc_format((int64_t)NOW * 1000 + 7, out);
	ok(strcmp(out, "2025-10-19T14:30:00.007Z") == 0,
	    "utc_format(now + 7 ms) is %s", out);
	for (p = instants; *p != NULL; p++) {
		ok(parse(*p, &ms) == 0, "parse %s", *p);
		utc_format(ms, out);
		ok(strcmp(out, *p) == 0, "round trip to %s", out);
	}
	ok(parse("2025-10-19T14:30:00.123456789+00:00", &ms) == 0, "parse "
	    "9 digits +00:00");
	utc_format(ms, out);
	ok(strcmp(out, "2025-10-19T14:30:00.123Z") == 0,
	    "9 digits +00:00 formats as %s", out);
	srand(7);
	for (i = 0; i < 100000; i++) {
		ms = ((int64_t)rand() << 20 ^ rand()) % 253402300800000LL;
		utc_format(ms, out);
		if (strlen(out) != 24 || parse(out, &back) != 0 || back != ms)
			if (bad++ < 5)
				printf("# %lld -> %s\n", (long long)ms, out);
	}
	ok(bad == 0, "utc_format/utc_parse round trip 100000 instants");
}

int
main(void)
{
	test_ts_parse();
	test_ts_refused();
	test_ts_calendar();
	test_ts_format();
	return done_testing();
}
