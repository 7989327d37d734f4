/*
 * test_validate.c: validate_record() against request bodies parsed by
 * json.c, every rule of CONTRACT section 1 at and beyond its boundaries,
 * and validate_session(), the open-session body of CONTRACT section 8.
 * (utc_parse/utc_format: test_utc.c; session_id_parse: test_ids.c.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "utc.h"
#include "validate.h"
#include "tap.h"

#define NOW		((time_t)1760884200)	/* 2025-10-19T14:30:00Z */
#define NOW_TS		"2025-10-19T14:30:00.000Z"
#define SESSION		"6507f1e3c9d8e2a4b1f9c3d5"
#define OMIT		((const char *)-1)	/* leave the field out */

static struct limits	 lim = { 1000000, 300 };
static struct jbody	*body;		/* the body in points into */
static struct record_input in;
static struct vfail	 fail;

/* A valid request's members, as raw JSON values, in the contract's order. */
static const struct member {
	const char	*name;
	const char	*raw;
} base[] = {
	{ "sessionId",		"\"" SESSION "\"" },
	{ "workerId",		"\"JS0315\"" },
	{ "worker_name",	"\"John Smith\"" },
	{ "units",		"5" },
	{ "recordedAtUtc",	"\"" NOW_TS "\"" },
	{ "clientEventId",	"\"evt_1234567890abcdef\"" },
	{ "idempotencyKey",	"\"mobile-app-key-timestamp-123456\"" },
	{ "auth0Id",		"\"user_123456789\"" },
};
#define NBASE	(sizeof(base) / sizeof(base[0]))

/*
 * The valid request with member a set to raw value va and member b to vb
 * (either name may be NULL; OMIT as a value leaves the member out).
 * Returns a static buffer.
 */
static const char *
body2(const char *a, const char *va, const char *b, const char *vb)
{
	static char	 text[65536];
	size_t		 i, n = 0;
	const char	*raw;

	text[n++] = '{';
	for (i = 0; i < NBASE; i++) {
		raw = base[i].raw;
		if (a != NULL && strcmp(base[i].name, a) == 0)
			raw = va;
		if (b != NULL && strcmp(base[i].name, b) == 0)
			raw = vb;
		if (raw == OMIT)
			continue;
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s\"%s\":%s",
		    n > 1 ? "," : "", base[i].name, raw);
		if (n >= sizeof(text))
			abort();
	}
	snprintf(text + n, sizeof(text) - n, "}");
	return text;
}

/* Parse text and validate it with header hdr; the body stays for in. */
static int
run_hdr(const char *text, const char *hdr)
{
	const char	*why;

	json_body_free(body);
	body = NULL;
	memset(&fail, 0, sizeof(fail));
	if (json_body_parse(text, strlen(text), &body, &why) == -1) {
		printf("# body did not parse (%s): %s\n", why ? why : "ENOMEM",
		    text);
		return -2;
	}
	return validate_record(body, hdr, hdr ? strlen(hdr) : 0, &lim, NOW,
	    &in, &fail);
}

static int
run(const char *text)
{
	return run_hdr(text, NULL);
}

/* Member name set to raw is accepted. */
static int
accept_at(int line, const char *name, const char *raw, const char *why)
{
	int	rc = run(body2(name, raw, NULL, NULL));

	if (!ok_line(line, rc == 0, "%s: %s accepted", name, why))
		printf("# detail: %s\n", fail.detail);
	return rc == 0;
}
#define accept(...)	accept_at(__LINE__, __VA_ARGS__)

/*
 * Request text is refused on field, with a detail that names the field
 * (or holds say, when not NULL).
 */
static void
refused_text_at(int line, const char *text, const char *hdr,
    const char *field, const char *say, const char *why)
{
	int	rc = run_hdr(text, hdr);

	if (!ok_line(line, rc == -1 && fail.field != NULL &&
	    strcmp(fail.field, field) == 0 &&
	    strstr(fail.detail, say ? say : field) != NULL,
	    "%s: %s refused", field, why))
		printf("# rc %d field %s detail: %s\n", rc,
		    fail.field ? fail.field : "(none)", fail.detail);
}
#define refused_text(...)	refused_text_at(__LINE__, __VA_ARGS__)

/* Member name set to raw is refused, naming it. */
static void
refuse_at(int line, const char *name, const char *raw, const char *why)
{
	refused_text_at(line, body2(name, raw, NULL, NULL), NULL, name, NULL,
	    why);
}
#define refuse(...)	refuse_at(__LINE__, __VA_ARGS__)

/* A JSON string literal of n copies of unit (which may be an escape). */
static const char *
rep(const char *unit, size_t n)
{
	static char	 bufs[4][16384];
	static int	 next;
	char		*s = bufs[next++ % 4];
	size_t		 i, len = strlen(unit), at = 0;

	if ((n * len) + 3 > sizeof(bufs[0]))
		abort();
	s[at++] = '"';
	for (i = 0; i < n; i++, at += len)
		memcpy(s + at, unit, len);
	s[at++] = '"';
	s[at] = '\0';
	return s;
}

/* A JSON string literal of text. */
static const char *
str(const char *text)
{
	return rep(text, 1);
}

static void
test_valid(void)
{
	ok(run(body2(NULL, NULL, NULL, NULL)) == 0, "the API example is valid");
	ok(strcmp(in.session_id, SESSION) == 0, "sessionId stored");
	ok(in.worker_id_len == 6 && memcmp(in.worker_id, "JS0315", 6) == 0,
	    "workerId stored");
	ok(in.worker_name_len == 10 &&
	    memcmp(in.worker_name, "John Smith", 10) == 0, "worker_name stored");
	ok(in.units == 5, "units stored");
	ok(in.recorded_at_ms == (int64_t)NOW * 1000, "recordedAtUtc stored");
	ok(in.client_event_id_len == 20 &&
	    memcmp(in.client_event_id, "evt_1234567890abcdef", 20) == 0,
	    "clientEventId stored");
	ok(in.idempotency_key_len == 31 && memcmp(in.idempotency_key,
	    "mobile-app-key-timestamp-123456", 31) == 0,
	    "idempotencyKey stored");
	ok(in.auth0_id_len == 14 &&
	    memcmp(in.auth0_id, "user_123456789", 14) == 0, "auth0Id stored");

	ok(run(body2("idempotencyKey", OMIT, "auth0Id", OMIT)) == 0 &&
	    in.idempotency_key == NULL && in.idempotency_key_len == 0 &&
	    in.auth0_id == NULL && in.auth0_id_len == 0,
	    "absent optional strings are NULL");
	ok(run(body2("units", OMIT, NULL, NULL)) == 0 && in.units == 1,
	    "absent units is 1");
	ok(run("{\"extra\":[1,{\"x\":null}],\"sessionId\":\"" SESSION "\","
	    "\"workerId\":\"w\",\"worker_name\":\"n\",\"recordedAtUtc\":\""
	    NOW_TS "\",\"clientEventId\":\"e\",\"other\":null}") == 0 &&
	    in.units == 1, "unknown fields are ignored");
}

static void
test_session_id(void)
{
	refuse("sessionId", rep("a", 23), "23 hex digits");
	accept("sessionId", rep("a", 24), "24 hex digits");
	refuse("sessionId", rep("a", 25), "25 hex digits");
	refuse("sessionId", str(""), "empty");
	refuse("sessionId", str("6507f1e3c9d8e2a4b1f9c3dg"), "non-hex g");
	refuse("sessionId", str("6507f1e3c9d8e2a4b1f9c3d "), "trailing space");
	refuse("sessionId", str("6507f1e3c9d8e2a4b1f9c3\\u0000d"), "a NUL");
	refuse("sessionId", str("0x07f1e3c9d8e2a4b1f9c3d5"), "0x prefix");
	refuse("sessionId", str("6507f1e3c9d8e2a4b1f9c3d\\u00e9"),
	    "non-ASCII, 24 code points");
	ok(run(body2("sessionId", str("6507F1E3C9D8E2A4B1F9C3D5"), NULL,
	    NULL)) == 0 && strcmp(in.session_id, SESSION) == 0,
	    "sessionId: upper case stored lower case");
	ok(run(body2("sessionId", str("ABCDEFabcdef0123456789AF"), NULL,
	    NULL)) == 0 && strcmp(in.session_id,
	    "abcdefabcdef0123456789af") == 0, "sessionId: mixed case");
	refuse("sessionId", "6507", "a number");
	refuse("sessionId", "[\"" SESSION "\"]", "an array");
}

static void
test_worker_id(void)
{
	refuse("workerId", str(""), "0 characters");
	accept("workerId", str("J"), "1 character");
	accept("workerId", rep("x", 64), "64 characters");
	refuse("workerId", rep("x", 65), "65 characters");
	accept("workerId", rep("\\u00e9", 64), "64 two-byte characters");
	ok(in.worker_id_len == 128, "workerId: 64 two-byte characters are "
	    "128 bytes");
	refuse("workerId", rep("\\u00e9", 65), "65 two-byte characters");
	accept("workerId", rep("\\u4e2d", 64), "64 three-byte characters");
	accept("workerId", rep("\\ud834\\udd1e", 64), "64 four-byte characters");
	refuse("workerId", rep("\\ud834\\udd1e", 65), "65 four-byte characters");
	refuse("workerId", str("a\\u0000b"), "U+0000");
	refuse("workerId", str("a\\tb"), "a tab");
	refuse("workerId", str("a\\nb"), "a newline");
	refuse("workerId", str("a\\u001fb"), "U+001F");
	refuse("workerId", str("a\\u007fb"), "U+007F");
	refuse("workerId", str("a\\u0080b"), "U+0080");
	refuse("workerId", str("a\\u0085b"), "U+0085");
	refuse("workerId", str("a\\u009fb"), "U+009F");
	accept("workerId", str("a\\u00a0b"), "U+00A0 (not a control)");
	accept("workerId", str(" "), "a space alone");
	refuse("workerId", rep("\\u0000", 64), "64 NULs");
	refuse("workerId", "true", "a boolean");
}

static void
test_worker_name(void)
{
	refuse("worker_name", str(""), "0 characters");
	accept("worker_name", str("J"), "1 character");
	accept("worker_name", rep("n", 128), "128 characters");
	refuse("worker_name", rep("n", 129), "129 characters");
	accept("worker_name", rep("\\u00e9", 128), "128 two-byte characters");
	refuse("worker_name", rep("\\u00e9", 129), "129 two-byte characters");
	accept("worker_name", rep("\\u4e2d", 128), "128 three-byte characters");
	refuse("worker_name", rep("\\u4e2d", 129), "129 three-byte characters");
	refuse("worker_name", str(" "), "one space");
	refuse("worker_name", rep(" ", 128), "only spaces");
	refused_text(body2("worker_name", rep(" ", 3), NULL, NULL), NULL,
	    "worker_name", "white space", "only spaces says white space");
	refuse("worker_name", str("\\u3000"), "only U+3000");
	refuse("worker_name", str("\\u00a0\\u1680\\u2000\\u200a\\u2028\\u2029"
	    "\\u202f\\u205f\\u3000 "), "only Unicode white space");
	accept("worker_name", str("John  Smith"), "inner spaces");
	accept("worker_name", str(" John "), "outer spaces");
	accept("worker_name", str("\\u3000J\\u3000"), "U+3000 around a letter");
	accept("worker_name", str("\\u200b"), "U+200B (not White_Space)");
	accept("worker_name", str("Jos\\u00e9 \\u738b"), "non-ASCII letters");
	refuse("worker_name", str("John\\tSmith"), "a tab");
	refuse("worker_name", str("John\\u0000"), "U+0000");
	refuse("worker_name", str("John\\u007f"), "U+007F");
	refuse("worker_name", str("John\\u0085"), "U+0085");
	refuse("worker_name", str("\\u0085"), "only U+0085");
	refuse("worker_name", "{}", "an object");
}

static void
test_units(void)
{
	static const struct {
		const char	*raw;
		uint32_t	 want;
	} good[] = {
		{ "1", 1 }, { "5", 5 }, { "5.0", 5 }, { "5.00", 5 },
		{ "5e0", 5 }, { "5E0", 5 }, { "1e2", 100 }, { "1E+2", 100 },
		{ "1.5e1", 15 }, { "100e-2", 1 }, { "0.5e1", 5 },
		{ "0.001e3", 1 }, { "1000000", 1000000 }, { "1E+6", 1000000 },
		{ "1000000.000", 1000000 }, { "10e5", 1000000 },
		{ "1.000000000000000000000000000000000000000000000000000000000"
		    "00000000000000000000000000000000000000000000", 1 },
		{ "100000000000000000000000000000000000000000000000000000000000"
		    "000000e-65", 1 },
		{ "123456000000000000000000000000000000000000000000000000000000"
		    "e-54", 123456 },
	};
	static const char *const bad[] = {
		"0", "-1", "-0", "0.0", "0e5", "2.5", "1e-1", "0.5",
		"1.0000000000000001", "1000000.0000000001", "1000001",
		"1000000.5", "1e7", "2E+6", "4294967296", "4294967297",
		"18446744073709551617", "99999999999999999999",
		"1e400", "1e-400", "1e999999999999999999", "-5",
		"\"5\"", "\"\"", "null", "true", "false", "[5]", "{}",
	};
	size_t	i;
	char	desc[256];

	ok(run(body2("units", OMIT, NULL, NULL)) == 0 && in.units == 1,
	    "units: absent is 1");
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(desc, sizeof(desc), "%.40s is %u", good[i].raw,
		    (unsigned)good[i].want);
		if (accept("units", good[i].raw, desc))
			ok(in.units == good[i].want, "units: %.40s stored as %u",
			    good[i].raw, (unsigned)in.units);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refuse("units", bad[i], bad[i]);
	refused_text(body2("units", "2.5", NULL, NULL), NULL, "units",
	    "units must be an integer from 1 to 1000000", "2.5 says the range");
	refused_text(body2("units", "\"5\"", NULL, NULL), NULL, "units",
	    "units must be a number, not a string", "a string says its type");

	lim.max_units = 10;
	accept("units", "10", "10 with max_units 10");
	accept("units", "1e1", "1e1 with max_units 10");
	refuse("units", "11", "11 with max_units 10");
	refused_text(body2("units", "11", NULL, NULL), NULL, "units",
	    "from 1 to 10", "message shows max_units 10");
	lim.max_units = 4294967295u;
	accept("units", "4294967295", "4294967295 with max_units UINT_MAX");
	ok(in.units == 4294967295u, "units: 4294967295 stored");
	refuse("units", "4294967296", "4294967296 with max_units UINT_MAX");
	refuse("units", "99999999999", "11 digits with max_units UINT_MAX");
	lim.max_units = 1000000;
}

static void
test_recorded_at(void)
{
	char	ts[25], raw[32];

	accept("recordedAtUtc", str("2024-02-29T10:00:00Z"), "2024-02-29");
	refuse("recordedAtUtc", str("2023-02-29T10:00:00Z"), "2023-02-29");
	refuse("recordedAtUtc", str("1969-12-31T23:59:59.999Z"), "1969");
	refuse("recordedAtUtc", str("2025-10-19T24:00:00Z"), "24:00");
	refuse("recordedAtUtc", str("2025-10-19T14:30:00-00:00"), "-00:00");
	refuse("recordedAtUtc", str("2025-10-19T14:30:00z"), "lower-case z");
	refuse("recordedAtUtc", str("2025-10-19T14:30:00Z\\u0000"), "a NUL");
	refuse("recordedAtUtc", "1760884200000", "a number");
	refused_text(body2("recordedAtUtc", str("2025-10-19"), NULL, NULL),
	    NULL, "recordedAtUtc", "2025-10-19T14:30:00.000Z",
	    "the message shows an example");
	accept("recordedAtUtc", str("2025-10-19T14:35:00.000Z"),
	    "now + 300 s exactly");
	accept("recordedAtUtc", str("2025-10-19T14:35:00+00:00"),
	    "now + 300 s exactly, +00:00");
	refuse("recordedAtUtc", str("2025-10-19T14:35:01.000Z"), "now + 301 s");
	refuse("recordedAtUtc", str("2025-10-19T14:35:00.001Z"),
	    "now + 300.001 s");
	refused_text(body2("recordedAtUtc", str("2025-10-20T00:00:00Z"), NULL,
	    NULL), NULL, "recordedAtUtc", "more than 300 seconds in the future",
	    "the future message");
	accept("recordedAtUtc", str("1970-01-01T00:00:00Z"), "the epoch");
	accept("recordedAtUtc", str("2025-10-19T14:29:59.9999Z"), "a past time");
	ok(in.recorded_at_ms == (int64_t)NOW * 1000 - 1,
	    "recordedAtUtc: .9999 truncated to 999 ms");

	lim.max_clock_skew = 0;
	accept("recordedAtUtc", str(NOW_TS), "now with no skew");
	refuse("recordedAtUtc", str("2025-10-19T14:30:00.001Z"),
	    "now + 1 ms with no skew");
	lim.max_clock_skew = 300;

	utc_format((int64_t)NOW * 1000 + 300000, ts);
	snprintf(raw, sizeof(raw), "\"%s\"", ts);
	accept("recordedAtUtc", raw, "formatted now + skew");
}

static void
test_client_event_id(void)
{
	refuse("clientEventId", str(""), "0 characters");
	accept("clientEventId", str("e"), "1 character");
	accept("clientEventId", rep("e", 128), "128 characters");
	refuse("clientEventId", rep("e", 129), "129 characters");
	accept("clientEventId", str("!~\\\"\\\\{}[]:,#"), "punctuation");
	refuse("clientEventId", str("evt 1"), "a space");
	refuse("clientEventId", str("evt\\u007f"), "0x7F");
	refuse("clientEventId", str("evt\\u0000"), "a NUL");
	refuse("clientEventId", str("evt\\t1"), "a tab");
	refuse("clientEventId", str("\\u00e9vt"), "non-ASCII");
	refuse("clientEventId", rep("\\u00e9", 64), "64 two-byte characters");
	refused_text(body2("clientEventId", str("a b"), NULL, NULL), NULL,
	    "clientEventId", "printable ASCII", "the message says printable");
	refuse("clientEventId", "12", "a number");
}

static void
test_idempotency_key(void)
{
	const char	*hdr;
	char		 raw[257];

	refuse("idempotencyKey", str(""), "0 characters");
	accept("idempotencyKey", str("k"), "1 character");
	accept("idempotencyKey", rep("k", 255), "255 characters");
	refuse("idempotencyKey", rep("k", 256), "256 characters");
	refuse("idempotencyKey", str("a key"), "a space");
	refuse("idempotencyKey", str("key\\u007f"), "0x7F");
	refuse("idempotencyKey", str("cl\\u00e9"), "non-ASCII");
	refuse("idempotencyKey", "123", "a number");

	hdr = "header-key-1";
	ok(run_hdr(body2("idempotencyKey", OMIT, NULL, NULL), hdr) == 0 &&
	    in.idempotency_key == hdr && in.idempotency_key_len == 12,
	    "idempotencyKey: header alone is the key");
	ok(run_hdr(body2("idempotencyKey", str("header-key-1"), NULL, NULL),
	    hdr) == 0 && in.idempotency_key_len == 12 &&
	    memcmp(in.idempotency_key, hdr, 12) == 0,
	    "idempotencyKey: header and field equal");
	refused_text(body2("idempotencyKey", str("header-key-2"), NULL, NULL),
	    hdr, "idempotencyKey", "Idempotency-Key header",
	    "header and field differ");
	refused_text(body2("idempotencyKey", str("header-key-"), NULL, NULL),
	    hdr, "idempotencyKey", "differs", "field a prefix of the header");
	refused_text(body2("idempotencyKey", OMIT, NULL, NULL), "a b",
	    "idempotencyKey", "Idempotency-Key header", "header with a space");
	refused_text(body2("idempotencyKey", OMIT, NULL, NULL), "",
	    "idempotencyKey", "Idempotency-Key header", "empty header");
	memset(raw, 'h', sizeof(raw));
	raw[255] = '\0';
	ok(run_hdr(body2("idempotencyKey", OMIT, NULL, NULL), raw) == 0 &&
	    in.idempotency_key == raw && in.idempotency_key_len == 255,
	    "idempotencyKey: 255-character header");
	raw[255] = 'h';
	raw[256] = '\0';
	refused_text(body2("idempotencyKey", OMIT, NULL, NULL), raw,
	    "idempotencyKey", "Idempotency-Key header", "256-character header");
	ok(run_hdr(body2("idempotencyKey", str(raw + 1), NULL, NULL),
	    raw + 1) == 0 && in.idempotency_key_len == 255,
	    "idempotencyKey: 255-character header and field equal");
	refused_text(body2("idempotencyKey", str("bad key"), NULL, NULL),
	    "good", "idempotencyKey", "idempotencyKey must", "bad field, "
	    "good header: the field is named");
	refused_text(body2("idempotencyKey", "null", NULL, NULL), "good",
	    "idempotencyKey", "not null", "null field with a header");
}

static void
test_auth0_id(void)
{
	accept("auth0Id", str("auth0|abc"), "a string");
	ok(in.auth0_id_len == 9 && memcmp(in.auth0_id, "auth0|abc", 9) == 0,
	    "auth0Id: stored");
	accept("auth0Id", str("someone-else"), "another user (403 is not "
	    "validation's business)");
	refuse("auth0Id", "123", "a number");
	refuse("auth0Id", "true", "a boolean");
	refuse("auth0Id", "{\"sub\":\"x\"}", "an object");
	refuse("auth0Id", "[\"x\"]", "an array");
}

/* null, and absence of the required ones, for every field. */
static void
test_null_and_absent(void)
{
	char	say[64];
	size_t	i;

	for (i = 0; i < NBASE; i++) {
		snprintf(say, sizeof(say), "%s must be %s, not null",
		    base[i].name, strcmp(base[i].name, "units") == 0 ?
		    "a number" : "a string");
		refused_text(body2(base[i].name, "null", NULL, NULL), NULL,
		    base[i].name, say, "null");
	}
	for (i = 0; i < NBASE; i++) {
		if (strcmp(base[i].name, "units") == 0 ||
		    strcmp(base[i].name, "idempotencyKey") == 0 ||
		    strcmp(base[i].name, "auth0Id") == 0) {
			ok(run(body2(base[i].name, OMIT, NULL, NULL)) == 0,
			    "%s: absent is fine", base[i].name);
			continue;
		}
		snprintf(say, sizeof(say), "%s is required", base[i].name);
		refused_text(body2(base[i].name, OMIT, NULL, NULL), NULL,
		    base[i].name, say, "absent");
	}
	refused_text("{}", NULL, "sessionId", "sessionId is required",
	    "an empty object");
}

/* With two bad fields, the first in the contract's order is named. */
static void
test_order(void)
{
	static const char *const badv[] = {
		"\"abc\"", "\"\"", "\"  \"", "0", "\"yesterday\"", "\"a b\"",
		"\"\"", "5",
	};
	char	desc[96];
	size_t	i, j;

	for (i = 0; i < NBASE; i++)
		for (j = i + 1; j < NBASE; j++) {
			snprintf(desc, sizeof(desc), "before %s (null)",
			    base[j].name);
			refused_text(body2(base[i].name, badv[i], base[j].name,
			    "null"), NULL, base[i].name, NULL, desc);
			snprintf(desc, sizeof(desc), "null before %s",
			    base[j].name);
			refused_text(body2(base[i].name, "null", base[j].name,
			    badv[j]), NULL, base[i].name, NULL, desc);
		}
	refused_text(body2("units", "0", NULL, NULL), "a b", "units", NULL,
	    "units before a bad header");
}

/* Parse json and validate it as an open-session body. */
static int
open_body(const char *json, struct session_input *si, struct vfail *vf)
{
	struct jbody	*b = NULL;
	const char	*why;
	int		 rc;

	if (json == NULL)
		return validate_session(NULL, si, vf);
	if (json_body_parse(json, strlen(json), &b, &why) == -1)
		return -2;
	rc = validate_session(b, si, vf);
	json_body_free(b);
	return rc;
}

static void
test_open_body(void)
{
	struct session_input	si;
	struct vfail		f;
	char			json[1024], label[600];

	ok(open_body(NULL, &si, &f) == 0 && si.label == NULL &&
	    si.client_event_id == NULL, "no body: neither field");
	ok(open_body("{}", &si, &f) == 0, "an empty object");
	ok(open_body("{\"label\":\"Line 4\",\"clientEventId\":\"o-1\","
	    "\"x\":1}", &si, &f) == 0 && si.label_len == 6 &&
	    si.client_event_id_len == 3, "both fields, unknown ignored");
	ok(open_body("{\"label\":\"\"}", &si, &f) == 0 && si.label != NULL &&
	    si.label_len == 0, "an empty label is a label");
	ok(open_body("{\"label\":null}", &si, &f) == -1 &&
	    strcmp(f.field, "label") == 0, "label null: %s", f.detail);
	ok(open_body("{\"label\":5}", &si, &f) == -1 &&
	    strcmp(f.field, "label") == 0, "label a number: %s", f.detail);
	memset(label, 'a', 128);
	label[128] = '\0';
	snprintf(json, sizeof(json), "{\"label\":\"%s\"}", label);
	ok(open_body(json, &si, &f) == 0, "128 characters");
	snprintf(json, sizeof(json), "{\"label\":\"%sa\"}", label);
	ok(open_body(json, &si, &f) == -1 && strstr(f.detail, "128") != NULL,
	    "129 characters: %s", f.detail);
	ok(open_body("{\"label\":\"a\\u0007b\"}", &si, &f) == -1,
	    "a control character: %s", f.detail);
	ok(open_body("{\"clientEventId\":\"has space\"}", &si, &f) == -1 &&
	    strcmp(f.field, "clientEventId") == 0, "clientEventId with a "
	    "space: %s", f.detail);
	ok(open_body("{\"clientEventId\":\"\"}", &si, &f) == -1,
	    "clientEventId empty");
	ok(open_body("{\"clientEventId\":[]}", &si, &f) == -1 &&
	    strcmp(f.field, "clientEventId") == 0, "clientEventId an array");
}

int
main(void)
{
	test_valid();
	test_session_id();
	test_worker_id();
	test_worker_name();
	test_units();
	test_recorded_at();
	test_client_event_id();
	test_idempotency_key();
	test_auth0_id();
	test_null_and_absent();
	test_order();
	test_open_body();
	json_body_free(body);
	return done_testing();
}
