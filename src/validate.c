/*
 * validate.c: the field rules of CONTRACT section 1, as a table of
 * validators walked in order (after kcgi's kvalid).  No allocation.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "lex.h"
#include "utc.h"
#include "validate.h"

#define UNITS_DIGITS	10	/* digits of the largest unsigned max_units */

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

/* A JSON type's name, for "units must be a number, not null". */
static const char *
type_name(enum jtype t)
{
	static const char *const names[JT__MAX] = {
		"absent", "null", "a boolean", "a number", "a string",
		"an object", "an array",
	};

	return t < JT__MAX ? names[t] : "unknown";
}

/* C0, DEL and C1 control characters. */
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
 * Check a text field: valid UTF-8, no control characters, min..max code
 * points and, when need_ink, not white space only.  Returns 0 or -1 with
 * fail set.
 */
static int
check_text(const struct jvalue *v, const char *field, size_t min, size_t max,
    int need_ink, struct vfail *fail)
{
	const unsigned char	*s = (const unsigned char *)v->str;
	size_t			 i = 0, count = 0;
	unsigned long		 cp;
	int			 ink = 0;

	while (i < v->len) {
		if (lex_utf8(s, v->len, &i, &cp) == -1)
			return refuse(fail, field, "%s must be valid UTF-8",
			    field);
		if (is_control(cp))
			return refuse(fail, field, "%s must not contain control "
			    "characters", field);
		ink |= !is_space(cp);
		count++;
	}
	if (count < min || count > max)
		return refuse(fail, field, "%s must be %zu to %zu characters "
		    "long", field, min, max);
	if (need_ink && !ink)
		return refuse(fail, field, "%s must not be only white space",
		    field);
	return 0;
}

/*
 * Is s 1..max printable ASCII characters (0x21-0x7e)?  what names the
 * value in the message ("clientEventId", "the Idempotency-Key header").
 * Returns 0 or -1 with fail set.
 */
static int
check_token(const char *s, size_t len, const char *field, const char *what,
    size_t max, struct vfail *fail)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			break;
	if (len == 0 || len > max || i < len)
		return refuse(fail, field, "%s must be 1 to %zu printable ASCII "
		    "characters (0x21-0x7E, no spaces)", what, max);
	return 0;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The value of a JSON number literal when it is a whole number in
 * [1, max] ("5", "5.0", "1e2", "1.5e1", "100e-2"), decided from the text
 * alone: no conversion to double, so 1.0000000000000001 is not 1, and a
 * literal of any length is handled.  Returns 0 or -1.
 */
static int
literal_units(const char *s, size_t len, unsigned max, uint32_t *out)
{
	struct numlit	n;
	long long	scale;	/* power of ten applied to the significant digits */
	size_t		i, k;
	uint64_t	v = 0;

	if (lex_number(s, len, 0, &n) != len || len == 0 || !n.nonzero ||
	    n.neg)
		return -1;			/* not a number, zero, negative */
	scale = (long long)n.exp - (long long)n.nfrac +
	    (long long)(n.ndigits - 1 - n.last);
	if (scale < 0)
		return -1;			/* has a fractional part */
	if ((long long)(n.last - n.first + 1) + scale > UNITS_DIGITS)
		return -1;			/* far above any max */
	for (i = 0, k = 0; i < n.mant_end; i++) {
		if (!is_digit(s[i]))
			continue;
		if (k >= n.first && k <= n.last)
			v = v * 10 + (uint64_t)(s[i] - '0');
		k++;
	}
	for (; scale > 0; scale--)
		v *= 10;
	if (v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* What every validator gets besides its value. */
struct vctx {
	const struct limits	*lim;
	time_t			 now;
	const char		*key_header;	/* Idempotency-Key or NULL */
	size_t			 key_header_len;
};

/*
 * A field's check, called once the field is known to be absent (optional
 * fields only) or of the table's type.  Returns 0 or -1 with fail set.
 */
typedef int (*validator)(const struct jvalue *, const struct vctx *,
    struct record_input *, struct vfail *);

static int
v_session_id(const struct jvalue *v, const struct vctx *c,
    struct record_input *in, struct vfail *fail)
{
	(void)c;
	if (session_id_parse(v->str, v->len, in->session_id) == -1)
		return refuse(fail, "sessionId", "sessionId must be %d "
		    "hexadecimal digits", SESSION_ID_LEN);
	return 0;
}

static int
v_worker_id(const struct jvalue *v, const struct vctx *c,
    struct record_input *in, struct vfail *fail)
{
	(void)c;
	in->worker_id = v->str;
	in->worker_id_len = v->len;
	return check_text(v, "workerId", 1, WORKER_ID_MAX, 0, fail);
}

static int
v_worker_name(const struct jvalue *v, const struct vctx *c,
    struct record_input *in, struct vfail *fail)
{
	(void)c;
	in->worker_name = v->str;
	in->worker_name_len = v->len;
	return check_text(v, "worker_name", 1, WORKER_NAME_MAX, 1, fail);
}

/* Optional, default 1; a whole number in [1, max_units]. */
static int
v_units(const struct jvalue *v, const struct vctx *c,
    struct record_input *in, struct vfail *fail)
{
	in->units = 1;
	if (v->type == JT_ABSENT)
		return 0;
	if (literal_units(v->str, v->len, c->lim->max_units, &in->units) == -1)
		return refuse(fail, "units", "units must be an integer from 1 "
		    "to %u", c->lim->max_units);
	return 0;
}

/* A real UTC instant, not later than now + max_clock_skew (equal is fine). */
static int
v_recorded_at(const struct jvalue *v, const struct vctx *c,
    struct record_input *in, struct vfail *fail)
{
	int64_t	limit_ms;

	if (utc_parse(v->str, v->len, &in->recorded_at_ms) == -1)
		return refuse(fail, "recordedAtUtc", "recordedAtUtc must be a "
		    "real ISO 8601 UTC time from 1970 on, like "
		    "2025-10-19T14:30:00.000Z");
	limit_ms = ((int64_t)c->now + c->lim->max_clock_skew) * 1000;
	if (in->recorded_at_ms > limit_ms)
		return refuse(fail, "recordedAtUtc", "recordedAtUtc is more "
		    "than %ld seconds in the future", c->lim->max_clock_skew);
	return 0;
}

static int
v_client_event_id(const struct jvalue *v, const struct vctx *c,
    struct record_input *in, struct vfail *fail)
{
	(void)c;
	in->client_event_id = v->str;
	in->client_event_id_len = v->len;
	return check_token(v->str, v->len, "clientEventId", "clientEventId",
	    CLIENT_EVENT_ID_MAX, fail);
}

/*
 * Optional; the field, the Idempotency-Key header, or both when they are
 * equal.  Failures of either are reported on idempotencyKey.
 */
static int
v_idempotency_key(const struct jvalue *v, const struct vctx *c,
    struct record_input *in, struct vfail *fail)
{
	if (v->type != JT_ABSENT && check_token(v->str, v->len,
	    "idempotencyKey", "idempotencyKey", IDEMPOTENCY_KEY_MAX, fail) == -1)
		return -1;
	if (c->key_header != NULL && check_token(c->key_header,
	    c->key_header_len, "idempotencyKey", "the Idempotency-Key header",
	    IDEMPOTENCY_KEY_MAX, fail) == -1)
		return -1;
	if (v->type == JT_ABSENT) {
		in->idempotency_key = c->key_header;
		in->idempotency_key_len = c->key_header ? c->key_header_len : 0;
		return 0;
	}
	if (c->key_header != NULL && (c->key_header_len != v->len ||
	    memcmp(c->key_header, v->str, v->len) != 0))
		return refuse(fail, "idempotencyKey", "idempotencyKey differs "
		    "from the Idempotency-Key header");
	in->idempotency_key = v->str;
	in->idempotency_key_len = v->len;
	return 0;
}

/* Optional; kept for the caller to compare with the token's user (403). */
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

/* The fields, in the order CONTRACT section 1 checks them. */
enum field {
	FIELD_SESSION_ID,
	FIELD_WORKER_ID,
	FIELD_WORKER_NAME,
	FIELD_UNITS,
	FIELD_RECORDED_AT,
	FIELD_CLIENT_EVENT_ID,
	FIELD_IDEMPOTENCY_KEY,
	FIELD_AUTH0_ID,
	FIELD__MAX
};

static const struct fieldrule {
	const char	*name;		/* member of the request object */
	int		 required;	/* absent is a 400 */
	enum jtype	 type;		/* the JSON type it must have */
	validator	 check;
} fields[FIELD__MAX] = {
	[FIELD_SESSION_ID] = { "sessionId", 1, JT_STRING, v_session_id },
	[FIELD_WORKER_ID] = { "workerId", 1, JT_STRING, v_worker_id },
	[FIELD_WORKER_NAME] = { "worker_name", 1, JT_STRING, v_worker_name },
	[FIELD_UNITS] = { "units", 0, JT_NUMBER, v_units },
	[FIELD_RECORDED_AT] = { "recordedAtUtc", 1, JT_STRING, v_recorded_at },
	[FIELD_CLIENT_EVENT_ID] = { "clientEventId", 1, JT_STRING,
	    v_client_event_id },
	[FIELD_IDEMPOTENCY_KEY] = { "idempotencyKey", 0, JT_STRING,
	    v_idempotency_key },
	[FIELD_AUTH0_ID] = { "auth0Id", 0, JT_STRING, v_auth0_id },
};

/*
 * Check the create-record body field by field, in the table's order.  The
 * first failure fills fail (field and a sentence naming the rule) and
 * returns -1; in is then partly filled and must not be used.  On 0, in's
 * strings point into body and key_header (key_header_len bytes, NULL when
 * the request had no Idempotency-Key header) and live as long as they do.
 * Unknown members of body are ignored.
 */
int
validate_record(const struct jbody *body, const char *key_header,
    size_t key_header_len, const struct limits *lim, time_t now,
    struct record_input *in, struct vfail *fail)
{
	const struct vctx	 c = { lim, now, key_header, key_header_len };
	const struct fieldrule	*f;
	struct jvalue		 v;

	memset(in, 0, sizeof(*in));
	for (f = fields; f < fields + FIELD__MAX; f++) {
		json_body_get(body, f->name, &v);
		if (v.type == JT_ABSENT && f->required)
			return refuse(fail, f->name, "%s is required", f->name);
		if (v.type != JT_ABSENT && v.type != f->type)
			return refuse(fail, f->name, "%s must be %s, not %s",
			    f->name, type_name(f->type), type_name(v.type));
		if (f->check(&v, &c, in, fail) == -1)
			return -1;
	}
	return 0;
}

/*
 * Check the body of POST sessions (CONTRACT section 8): an optional label
 * of up to LABEL_MAX characters and an optional clientEventId, both
 * strings when present.  body NULL is an empty body.  Returns 0 or -1 with
 * fail set; in's strings point into body.
 */
int
validate_session(const struct jbody *body, struct session_input *in,
    struct vfail *fail)
{
	struct jvalue	v = { JT_ABSENT, NULL, 0 };

	memset(in, 0, sizeof(*in));
	if (body != NULL)
		json_body_get(body, "label", &v);
	if (v.type != JT_ABSENT && v.type != JT_STRING)
		return refuse(fail, "label", "label must be a string, not %s",
		    type_name(v.type));
	if (v.type == JT_STRING) {
		if (check_text(&v, "label", 0, LABEL_MAX, 0, fail) == -1)
			return -1;
		in->label = v.str;
		in->label_len = v.len;
	}
	if (body != NULL)
		json_body_get(body, "clientEventId", &v);
	if (v.type != JT_ABSENT && v.type != JT_STRING)
		return refuse(fail, "clientEventId", "clientEventId must be a "
		    "string, not %s", type_name(v.type));
	if (v.type == JT_STRING) {
		in->client_event_id = v.str;
		in->client_event_id_len = v.len;
		return check_token(v.str, v.len, "clientEventId",
		    "clientEventId", CLIENT_EVENT_ID_MAX, fail);
	}
	return 0;
}
