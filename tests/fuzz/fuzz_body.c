/*
 * fuzz_body.c: a request body through json.c (the pre-scan, then json-c)
 * and the field tables of validate.c, as a create-record body and as an
 * open-session body.  What validates is written back with json.c's
 * writers, which must give JSON that parses again to the same values.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "db.h"
#include "fuzz.h"
#include "json.h"
#include "reply.h"
#include "utc.h"
#include "validate.h"

#define NOW		((time_t)1760884200)	/* 2025-10-19T14:30:00Z */
#define KEY_HEADER	"mobile-app-key-timestamp-123456"
#define AUD		"https://api.example/"

static const struct limits	lim = { 1000000, 300 };
static struct buf		out;	/* reused, freed at exit */

static void
free_out(void)
{
	buf_free(&out);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (atexit(free_out) != 0)
		abort();
	return 0;
}

/* Member key of the text in out must be the string s (len bytes). */
static void
check_member(const char *key, const char *s, size_t len)
{
	struct jbody	*body = NULL;
	struct jvalue	 v;
	const char	*why = NULL;

	FUZZ_CHECK(json_body_parse(out.data, out.len, &body, &why) == 0);
	json_body_get(body, key, &v);
	FUZZ_CHECK(v.type == JT_STRING && v.len == len &&
	    memcmp(v.str, s, len) == 0);
	json_body_free(body);
}

/* Keep only the "data" object of the success answer in out. */
static void
unwrap_data(void)
{
	static const char	head[] = "{\"status\":\"success\",\"data\":";
	size_t			n = sizeof(head) - 1;

	FUZZ_CHECK(out.len > n + 1 && memcmp(out.data, head, n) == 0 &&
	    out.data[out.len - 1] == '}');
	memmove(out.data, out.data + n, out.len - n - 1);
	out.len -= n + 1;
	out.data[out.len] = '\0';
}

/* Accepted units are the literal's exact value. */
static void
check_units(const struct jbody *body, uint32_t units)
{
	struct jvalue	v;

	json_body_get(body, "units", &v);
	if (v.type == JT_ABSENT) {
		FUZZ_CHECK(units == 1);
		return;
	}
	FUZZ_CHECK(v.type == JT_NUMBER && v.str != NULL);
	FUZZ_CHECK(strtod(v.str, NULL) == (double)units);
}

/* A stored row made of the validated input, as db_record.c would read it back. */
static void
row_of(const struct record_input *in, struct record_row *r)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->record_id, "rec_0123456789abcdef", RECORD_ID_LEN + 1);
	memcpy(r->session_id, in->session_id, SESSION_ID_LEN + 1);
	FUZZ_CHECK(in->worker_id_len < sizeof(r->worker_id));
	memcpy(r->worker_id, in->worker_id, in->worker_id_len);
	r->worker_id_len = in->worker_id_len;
	FUZZ_CHECK(in->worker_name_len < sizeof(r->worker_name));
	memcpy(r->worker_name, in->worker_name, in->worker_name_len);
	r->worker_name_len = in->worker_name_len;
	r->units = in->units;
	r->recorded_at_ms = in->recorded_at_ms;
	FUZZ_CHECK(in->client_event_id_len < sizeof(r->client_event_id));
	memcpy(r->client_event_id, in->client_event_id,
	    in->client_event_id_len);
	r->client_event_id_len = in->client_event_id_len;
	if (in->idempotency_key != NULL) {
		FUZZ_CHECK(in->idempotency_key_len <
		    sizeof(r->idempotency_key));
		memcpy(r->idempotency_key, in->idempotency_key,
		    in->idempotency_key_len);
		r->idempotency_key_len = in->idempotency_key_len;
		r->has_idempotency_key = 1;
	}
	r->created_at_ms = in->recorded_at_ms;
}

/* A valid record, written as the answers write it, reads back the same. */
static void
write_record(const struct record_input *in)
{
	struct record_row	r;
	struct preview		p = { "rec_0123456789abcdef", in->session_id,
				    in->worker_id, in->worker_id_len,
				    in->units, 0 };
	char			ts[UTC_TEXT_SIZE];
	int64_t			ms;

	FUZZ_CHECK(reply_preview(&out, &p) == 0);
	check_member("status", "success", 7);
	row_of(in, &r);
	FUZZ_CHECK(reply_record(&out, &r) == 0);
	unwrap_data();
	check_member("workerId", in->worker_id, in->worker_id_len);
	check_member("worker_name", in->worker_name, in->worker_name_len);
	check_member("clientEventId", in->client_event_id,
	    in->client_event_id_len);
	if (in->idempotency_key != NULL)
		check_member("idempotencyKey", in->idempotency_key,
		    in->idempotency_key_len);
	utc_format(in->recorded_at_ms, ts);
	check_member("recordedAtUtc", ts, strlen(ts));
	/* Formatting then parsing is the identity on what parsing gives. */
	FUZZ_CHECK(utc_parse(ts, strlen(ts), &ms) == 0 &&
	    ms == in->recorded_at_ms);
}

/* The body as a create-record request, without and with the header. */
static void
record_body(const struct jbody *body)
{
	struct record_input	in;
	struct vfail		fail;
	const char		*key;
	int			i;

	for (i = 0; i < 2; i++) {
		key = i == 0 ? NULL : KEY_HEADER;
		memset(&fail, 0, sizeof(fail));
		if (validate_record(body, key, key ? strlen(key) : 0, &lim, NOW,
		    &in, &fail) == -1) {
			FUZZ_CHECK(fail.field != NULL && fail.detail[0] != '\0');
			continue;
		}
		FUZZ_CHECK(in.units >= 1 && in.units <= lim.max_units);
		FUZZ_CHECK(in.recorded_at_ms <= ((int64_t)NOW +
		    lim.max_clock_skew) * 1000);
		check_units(body, in.units);
		write_record(&in);
	}
}

/* The body as an open-session request; a valid label reads back. */
static void
session_body(const struct jbody *body)
{
	struct session_input	in;
	struct session_view	v;
	struct vfail		fail;

	if (validate_session(body, &in, &fail) == -1)
		return;
	memset(&v, 0, sizeof(v));
	memcpy(v.session_id, "6507f1e3c9d8e2a4b1f9c3d5", SESSION_ID_LEN + 1);
	if (in.label != NULL) {
		FUZZ_CHECK(in.label_len < sizeof(v.label));
		memcpy(v.label, in.label, in.label_len);
		v.label_len = in.label_len;
		v.has_label = 1;
	}
	v.opened_at_ms = (int64_t)NOW * 1000;
	FUZZ_CHECK(reply_session(&out, &v, 0) == 0);
	check_member("status", "success", 7);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct jbody	*body = NULL;
	const char	*why = NULL;
	char		*text = fuzz_strndup(data, len);

	/* The aud claim's array goes through json-c's default parser. */
	(void)json_string_in_array(text, AUD);
	if (json_body_parse(text, len, &body, &why) == -1) {
		FUZZ_CHECK(body == NULL && why != NULL);
		free(text);
		return 0;
	}
	FUZZ_CHECK(body != NULL);
	record_body(body);
	session_body(body);
	json_body_free(body);
	free(text);
	return 0;
}
