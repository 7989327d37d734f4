/* validate.c: the field rules of CONTRACT section 1, as a table of validators (after kcgi's kvalid). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "validate.h"

#define MIN_YEAR	1970	/* earlier production records are mistakes */

static int	refuse(struct vfail *, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Why a field failed: fills fail and returns -1, for one-line validators. */
static int
refuse(struct vfail *fail, const char *field, const char *fmt, ...)
{
	va_list	ap;

	fail->field = field;
	va_start(ap, fmt);
	vsnprintf(fail->detail, sizeof(fail->detail), fmt, ap);
	va_end(ap);
	return -1;
}

/* A JSON type's name, for "must be a string, not null". */
static const char *
type_name(enum jtype t)
{
	static const char *const names[JT__MAX] = {
		"absent", "null", "a boolean", "a number", "a string",
		"an object", "an array",
	};

	return t < JT__MAX ? names[t] : "unknown";
}

/*
 * Decode one UTF-8 code point at s[*i] (the input is valid UTF-8: json-c
 * checked it) and advance *i.
 */
static unsigned long
next_cp(const unsigned char *s, size_t len, size_t *i)
{
	unsigned long	cp = s[*i];
	int		extra = cp >= 0xf0 ? 3 : cp >= 0xe0 ? 2 : cp >= 0xc0 ? 1 : 0;

	if (extra > 0)
		cp &= 0x3f >> extra;
	for ((*i)++; extra > 0 && *i < len; extra--, (*i)++)
		cp = (cp << 6) | (s[*i] & 0x3f);
	return cp;
}

static int
is_control(unsigned long cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* Unicode White_Space, as far as it lies outside the control characters. */
static int
is_space(unsigned long cp)
{
	return cp == 0x20 || cp == 0xa0 || cp == 0x1680 ||
	    (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
	    cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/*
 * Check a text field: 1..max code points, no control characters, and, when
 * need_ink, not white space only.  Returns 0 or -1 with fail set.
 */
static int
check_text(const struct jvalue *v, const char *field, size_t max,
    int need_ink, struct vfail *fail)
{
	const unsigned char	*s = (const unsigned char *)v->str;
	size_t			 i = 0, count = 0;
	unsigned long		 cp;
	int			 ink = 0;

	while (i < v->len) {
		cp = next_cp(s, v->len, &i);
		if (is_control(cp))
			return refuse(fail, field, "%s must not contain control "
			    "characters", field);
		ink |= !is_space(cp);
		count++;
	}
	if (count == 0 || count > max)
		return refuse(fail, field, "%s must be 1 to %zu characters long",
		    field, max);
	if (need_ink && !ink)
		return refuse(fail, field, "%s must not be only white space",
		    field);
	return 0;
}

/* Printable ASCII (0x21-0x7e), 1..max bytes.  Returns 0 or -1. */
static int
check_token(const char *s, size_t len, const char *field, size_t max,
    struct vfail *fail)
{
	size_t	i;

	if (len == 0 || len > max)
		return refuse(fail, field, "%s must be 1 to %zu printable ASCII "
		    "characters", field, max);
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return refuse(fail, field, "%s must be 1 to %zu printable "
			    "ASCII characters (no spaces)", field, max);
	return 0;
}

/*
 * The value of a JSON number literal when it is a whole number in
 * [1, max] ("5", "5.0", "1e2", "1.5e1"), decided from the text itself so
 * no rounding can turn 1.0000000000000001 into 1.  Returns 0 or -1.
 */
static int
literal_units(const char *s, size_t len, unsigned max, uint32_t *out)
{
	char		digits[64];
	size_t		i = 0, nd = 0, frac = 0, lead;
	long		exp = 0, esign = 1;
	int		neg = 0, seen_point = 0;
	uint64_t	v = 0;

	if (i < len && s[i] == '-')
		neg = 1, i++;
	for (; i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'); i++) {
		if (s[i] == '.') {
			seen_point = 1;
			continue;
		}
		if (nd == sizeof(digits))
			return -1;		/* far beyond any max */
		digits[nd++] = s[i];
		frac += seen_point;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < len && (s[i] == '+' || s[i] == '-'))
			esign = s[i++] == '-' ? -1 : 1;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			if (exp < 100000)
				exp = exp * 10 + (s[i] - '0');
	}
	if (i != len || nd == 0)
		return -1;
	exp = esign * exp - (long)frac;
	for (lead = 0; lead < nd && digits[lead] == '0'; lead++)
		;
	while (nd > lead && digits[nd - 1] == '0')
		nd--, exp++;
	if (nd == lead || neg || exp < 0 || (long)(nd - lead) + exp > 10)
		return -1;			/* zero, negative, fraction, huge */
	for (i = lead; i < nd; i++)
		v = v * 10 + (uint64_t)(digits[i] - '0');
	for (; exp > 0; exp--)
		v *= 10;
	if (v < 1 || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t		era;
	unsigned	yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
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
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/*
 * Parse YYYY-MM-DDTHH:MM:SS[.fraction](Z|+00:00), fraction 1 to 9 digits
 * truncated to milliseconds, into ms since the epoch.  The date must exist,
 * hours run to 23 and seconds to 59, the year is at least 1970.
 * Returns 0 or -1.
 */
int
ts_parse_utc(const char *s, size_t len, int64_t *ms)
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
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, nfrac++)
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

/* ms since the epoch as YYYY-MM-DDTHH:MM:SS.mmmZ (out holds 25 bytes). */
void
ts_format_utc(int64_t ms, char out[25])
{
	int64_t		days = ms / 86400000, rem = ms % 86400000, z, era;
	unsigned	doe, yoe, doy, mp, d, m;
	int64_t		y;

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
	snprintf(out, 25, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ",
	    (unsigned)(y % 10000 + 10000) % 10000, m % 100, d % 100,
	    (unsigned)(rem / 3600000) % 100, (unsigned)(rem / 60000 % 60),
	    (unsigned)(rem / 1000 % 60), (unsigned)(rem % 1000));
}

/* What every validator gets besides its value. */
struct vctx {
	const struct limits	*lim;
	time_t			 now;
	const char		*key_header;	/* Idempotency-Key or NULL */
	size_t			 key_header_len;
};

typedef int (*validator)(const struct jvalue *, const struct vctx *,
    struct record_input *, struct vfail *);

static int
v_session_id(const struct jvalue *v, const struct vctx *c,
    struct record_input *in, struct vfail *fail)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			i;
	const char		*p;

	(void)c;
	if (v->len != SESSION_ID_LEN)
		return refuse(fail, "sessionId", "sessionId must be 24 hex "
		    "digits");
	for (i = 0; i < SESSION_ID_LEN; i++) {
		char ch = v->str[i];
		if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch - 'A' + 'a');
		if (ch == '\0' || (p = strchr(hex, ch)) == NULL)
			return refuse(fail, "sessionId", "sessionId must be 24 "
			    "hex digits");
		in->session_id[i] = *p;
	}
	in->session_id[SESSION_ID_LEN] = '\0';
	return 0;
}

static int
v_worker_id(const struct jvalue *v, const struct vctx *c,
    struct record_input *in, struct vfail *fail)
{
	(void)c;
	in->worker_id = v->str;
	in->worker_id_len = v->len;
	return check_text(v, "workerId", WORKER_ID_MAX, 0, fail);
}

static int
v_worker_name(const struct jvalue *v, const struct vctx *c,
    struct record_input *in, struct vfail *fail)
{
	(void)c;
	in->worker_name = v->str;
	in->worker_name_len = v->len;
	return check_text(v, "worker_name", WORKER_NAME_MAX, 1, fail);
}

static int
v_units(const struct jvalue *v, const struct vctx *c,
    struct record_input *in, struct vfail *fail)
{
	in->units = 1;
	if (v->type == JT_ABSENT)
		return 0;
	if (literal_units(v->str, v->len, c->lim->max_units, &in->units) == -1)
		return refuse(fail, "units", "units must be a whole number from "
		    "1 to %u", c->lim->max_units);
	return 0;
}

static int
v_recorded_at(const struct jvalue *v, const struct vctx *c,
    struct record_input *in, struct vfail *fail)
{
	if (ts_parse_utc(v->str, v->len, &in->recorded_at_ms) == -1)
		return refuse(fail, "recordedAtUtc", "recordedAtUtc must be a "
		    "real UTC time from 1970 on, like 2025-10-19T14:30:00.000Z");
	if (in->recorded_at_ms / 1000 > (int64_t)c->now + c->lim->max_clock_skew)
		return refuse(fail, "recordedAtUtc", "recordedAtUtc must not be "
		    "more than %ld seconds in the future",
		    c->lim->max_clock_skew);
	return 0;
}

static int
v_client_event_id(const struct jvalue *v, const struct vctx *c,
    struct record_input *in, struct vfail *fail)
{
	(void)c;
	in->client_event_id = v->str;
	in->client_event_id_len = v->len;
	return check_token(v->str, v->len, "clientEventId",
	    CLIENT_EVENT_ID_MAX, fail);
}

/* The field, the Idempotency-Key header, or both when they agree. */
static int
v_idempotency_key(const struct jvalue *v, const struct vctx *c,
    struct record_input *in, struct vfail *fail)
{
	if (c->key_header != NULL && check_token(c->key_header,
	    c->key_header_len, "Idempotency-Key", IDEMPOTENCY_KEY_MAX,
	    fail) == -1) {
		fail->field = "idempotencyKey";
		return -1;
	}
	if (v->type == JT_ABSENT) {
		in->idempotency_key = c->key_header;
		in->idempotency_key_len = c->key_header_len;
		return 0;
	}
	if (check_token(v->str, v->len, "idempotencyKey", IDEMPOTENCY_KEY_MAX,
	    fail) == -1)
		return -1;
	if (c->key_header != NULL && (c->key_header_len != v->len ||
	    memcmp(c->key_header, v->str, v->len) != 0))
		return refuse(fail, "idempotencyKey", "idempotencyKey and the "
		    "Idempotency-Key header differ");
	in->idempotency_key = v->str;
	in->idempotency_key_len = v->len;
	return 0;
}

static int
v_auth0_id(const struct jvalue *v, const struct vctx *c,
    struct record_input *in, struct vfail *fail)
{
	(void)c;
	(void)fail;
	if (v->type != JT_ABSENT) {
		in->auth0_id = v->str;
		in->auth0_id_len = v->len;
	}
	return 0;
}

/* The fields in the order CONTRACT section 1 checks them. */
static const struct field {
	const char	*name;
	int		 required;
	enum jtype	 type;		/* the JSON type it must have */
	validator	 check;
} fields[] = {
	{ "sessionId",		1, JT_STRING, v_session_id },
	{ "workerId",		1, JT_STRING, v_worker_id },
	{ "worker_name",	1, JT_STRING, v_worker_name },
	{ "units",		0, JT_NUMBER, v_units },
	{ "recordedAtUtc",	1, JT_STRING, v_recorded_at },
	{ "clientEventId",	1, JT_STRING, v_client_event_id },
	{ "idempotencyKey",	0, JT_STRING, v_idempotency_key },
	{ "auth0Id",		0, JT_STRING, v_auth0_id },
};
#define NFIELDS	(sizeof(fields) / sizeof(fields[0]))

/*
 * Check the create-record body field by field; the first failure fills
 * fail and returns -1.  On 0, in points into body and key_header.
 */
int
validate_record(const struct jbody *body, const char *key_header,
    size_t key_header_len, const struct limits *lim, time_t now,
    struct record_input *in, struct vfail *fail)
{
	const struct vctx	c = { lim, now, key_header, key_header_len };
	struct jvalue		v;
	size_t			i;

	memset(in, 0, sizeof(*in));
	for (i = 0; i < NFIELDS; i++) {
		json_body_get(body, fields[i].name, &v);
		if (v.type == JT_ABSENT && fields[i].required)
			return refuse(fail, fields[i].name, "%s is required",
			    fields[i].name);
		if (v.type != JT_ABSENT && v.type != fields[i].type)
			return refuse(fail, fields[i].name, "%s must be %s, not "
			    "%s", fields[i].name, type_name(fields[i].type),
			    type_name(v.type));
		if (fields[i].check(&v, &c, in, fail) == -1)
			return -1;
	}
	return 0;
}
