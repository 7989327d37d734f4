/*
 * utc.c: instants as the API writes them, 2025-10-19T14:30:00.000Z, and
 * milliseconds since 1970 (the proleptic Gregorian calendar, no leap
 * seconds, no time zones but UTC).
 */
#include <stdio.h>
#include <string.h>

#include "utc.h"

#define MIN_YEAR	1970	/* earlier production records are mistakes */

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t		era;
	unsigned	yoe, doy, doe;

	/* Howard Hinnant's algorithm: years start in March. */
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int
days_in_month(int y, int m)
{
	static const int	days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
				    31, 30, 31 };
	int			leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : days[m - 1];
}

/* n decimal digits at s into *v; -1 if any is not a digit. */
static int
digits_at(const char *s, int n, int *v)
{
	int	i;

	for (*v = 0, i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/*
 * Parse YYYY-MM-DDTHH:MM:SS[.fraction](Z|+00:00), fraction 1 to 9 digits
 * truncated (not rounded) to milliseconds, into ms since the epoch.  The
 * date must exist, hours run to 23, minutes and seconds to 59, the year
 * is at least 1970.  s need not be NUL-terminated.  Returns 0 or -1.
 */
int
utc_parse(const char *s, size_t len, int64_t *ms)
{
	int	y, mo, d, h, mi, sec, frac = 0, nfrac = 0;
	size_t	i = 19;

	if (len < 20 || digits_at(s, 4, &y) || s[4] != '-' ||
	    digits_at(s + 5, 2, &mo) || s[7] != '-' || digits_at(s + 8, 2, &d) ||
	    s[10] != 'T' || digits_at(s + 11, 2, &h) || s[13] != ':' ||
	    digits_at(s + 14, 2, &mi) || s[16] != ':' ||
	    digits_at(s + 17, 2, &sec))
		return -1;
	if (s[i] == '.') {
		for (i++; i < len && is_digit(s[i]); i++, nfrac++)
			if (nfrac < 3)
				frac = frac * 10 + (s[i] - '0');
		if (nfrac == 0 || nfrac > 9)
			return -1;
		for (; nfrac < 3; nfrac++)
			frac *= 10;
	}
	if (!((len - i == 1 && s[i] == 'Z') ||
	    (len - i == 6 && memcmp(s + i, "+00:00", 6) == 0)))
		return -1;
	if (y < MIN_YEAR || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
		return -1;
	*ms = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 24 + h) * 60 +
	    mi) * 60000 + (int64_t)sec * 1000 + frac;
	return 0;
}

/*
 * ms since the epoch as YYYY-MM-DDTHH:MM:SS.mmmZ plus NUL into out
 * (UTC_TEXT_SIZE bytes).  Meant for what utc_parse gives (years 1970-9999);
 * other years are written modulo 10000 so the width never changes.
 */
void
utc_format(int64_t ms, char out[UTC_TEXT_SIZE])
{
	int64_t		days = ms / 86400000, rem = ms % 86400000, z, era, y;
	unsigned	doe, yoe, doy, mp, d, m;

	if (rem < 0)
		rem += 86400000, days--;
	/* civil_from_days, after Howard Hinnant's algorithm */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	snprintf(out, UTC_TEXT_SIZE, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ",
	    (unsigned)((y % 10000 + 10000) % 10000), m % 100, d % 100,
	    (unsigned)(rem / 3600000) % 100, (unsigned)(rem / 60000 % 60),
	    (unsigned)(rem / 1000 % 60), (unsigned)(rem % 1000));
}
