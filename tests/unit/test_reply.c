/*
 * test_reply.c: the response bodies of CONTRACT sections 5 and 8 (json.c
 * for now): the error shape, the record preview, a session, a record, a
 * page of records and the status figures, each exact and each one that
 * json.c itself reads back as an object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "json.h"
#include "reply.h"
#include "stats.h"
#include "tap.h"

#define SESSION	"6507f1e3c9d8e2a4b1f9c3d5"
#define T0	1760884200000LL		/* 2025-10-19T14:30:00.000Z */

/* b holds exactly want, and parses back as an object. */
static void
is_at(int line, const struct buf *b, const char *want, const char *desc)
{
	struct jbody	*body = NULL;
	const char	*why;
	int		 same, parses;

	same = b->data != NULL && b->len == strlen(want) &&
	    strcmp(b->data, want) == 0;
	parses = b->data != NULL &&
	    json_body_parse(b->data, b->len, &body, &why) == 0;
	json_body_free(body);
	if (!ok_line(line, same && parses, "%s", desc))
		printf("# got  %s\n# want %s\n# parses %d\n",
		    b->data ? b->data : "NULL", want, parses);
}
#define is(...)	is_at(__LINE__, __VA_ARGS__)

/* Run reply_string on len bytes of s and compare to want. */
static void
put_at(int line, const char *s, size_t len, const char *want,
    const char *desc)
{
	struct buf	b = { NULL, 0, 0 };
	int		rc;

	rc = reply_string(&b, s, len);
	if (!ok_line(line, rc == 0 && b.data != NULL &&
	    b.len == strlen(want) && memcmp(b.data, want, b.len) == 0,
	    "reply_string: %s", desc))
		printf("# got %s, want %s\n", b.data ? b.data : "NULL", want);
	buf_free(&b);
}
#define put(...)	put_at(__LINE__, __VA_ARGS__)

static void
test_put_string(void)
{
	struct buf	b = { NULL, 0, 0 };

	put("", 0, "\"\"", "empty");
	put("abc", 3, "\"abc\"", "plain");
	put("a\"b", 3, "\"a\\\"b\"", "a quote");
	put("a\\b", 3, "\"a\\\\b\"", "a backslash");
	put("\"\\\"", 3, "\"\\\"\\\\\\\"\"", "quotes and backslash only");
	put("/", 1, "\"/\"", "a slash is not escaped");
	put("a\nb\tc\rd", 7, "\"a\\u000ab\\u0009c\\u000dd\"",
	    "newline, tab, CR as \\u00XX");
	put("\x01\x1f", 2, "\"\\u0001\\u001f\"", "0x01 and 0x1f");
	put("a\0b", 3, "\"a\\u0000b\"", "an embedded NUL");
	put("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
	    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
	    "UTF-8 passed through");
	put("\x7f", 1, "\"\x7f\"", "DEL passed through");
	put("abcdef", 3, "\"abc\"", "only len bytes");

	/* Appends, does not reset. */
	buf_puts(&b, "x=");
	ok(reply_string(&b, "y", 1) == 0 && strcmp(b.data, "x=\"y\"") == 0,
	    "reply_string appends");
	buf_free(&b);

	/* A long string with escapes spread through it. */
	{
		char	in[3000], want[3000 * 6 + 3], *w = want;
		size_t	i;

		*w++ = '"';
		for (i = 0; i < sizeof(in); i++) {
			in[i] = i % 7 == 0 ? '"' : i % 11 == 0 ? '\n' : 'a';
			if (in[i] == '"')
				w += sprintf(w, "\\\"");
			else if (in[i] == '\n')
				w += sprintf(w, "\\u000a");
			else
				*w++ = 'a';
		}
		*w++ = '"';
		*w = '\0';
		put(in, sizeof(in), want, "3000 bytes with escapes");
	}
}

static void
test_error_body(void)
{
	struct buf	b = { NULL, 0, 0 };

	ok(reply_error(&b, "M", "E") == 0 && strcmp(b.data,
	    "{\"status\":\"error\",\"message\":\"M\",\"error\":\"E\"}") == 0 &&
	    b.len == strlen(b.data), "error body exact");
	ok(reply_error(&b, "Bad Request", "units: must be \"1\"\n") == 0 &&
	    strcmp(b.data, "{\"status\":\"error\",\"message\":\"Bad Request\","
	    "\"error\":\"units: must be \\\"1\\\"\\u000a\"}") == 0,
	    "error body escapes, and resets the buffer (%s)", b.data);
	ok(reply_error(&b, "", "") == 0 && strcmp(b.data,
	    "{\"status\":\"error\",\"message\":\"\",\"error\":\"\"}") == 0,
	    "error body with empty strings");
	buf_free(&b);
}

static void
test_preview(void)
{
	struct buf	b = { NULL, 0, 0 };
	struct preview	p = {
		"rec_0123456789abcdef", "6507f1e3c9d8e2a4b1f9c3d5",
		"JS0315", 6, 5, 0
	};

	buf_puts(&b, "left over");
	ok(reply_preview(&b, &p) == 0 && strcmp(b.data,
	    "{\"status\":\"success\",\"data\":{\"payloadPreview\":{"
	    "\"recordId\":\"rec_0123456789abcdef\","
	    "\"sessionId\":\"6507f1e3c9d8e2a4b1f9c3d5\","
	    "\"workerId\":\"JS0315\",\"units\":5},\"idempotent\":false}}") == 0
	    && b.len == strlen(b.data), "preview, idempotent false (%s)",
	    b.data);

	p.idempotent = 1;
	p.units = 1000000;
	ok(reply_preview(&b, &p) == 0 && strcmp(b.data,
	    "{\"status\":\"success\",\"data\":{\"payloadPreview\":{"
	    "\"recordId\":\"rec_0123456789abcdef\","
	    "\"sessionId\":\"6507f1e3c9d8e2a4b1f9c3d5\","
	    "\"workerId\":\"JS0315\",\"units\":1000000},\"idempotent\":true}}")
	    == 0, "preview, idempotent true (%s)", b.data);

	p.idempotent = 0;
	p.units = 4294967295u;
	p.worker_id = "J\"S\\0\xc3\xa9" "3\n5trailing";
	p.worker_id_len = 10;
	ok(reply_preview(&b, &p) == 0 && strcmp(b.data,
	    "{\"status\":\"success\",\"data\":{\"payloadPreview\":{"
	    "\"recordId\":\"rec_0123456789abcdef\","
	    "\"sessionId\":\"6507f1e3c9d8e2a4b1f9c3d5\","
	    "\"workerId\":\"J\\\"S\\\\0\xc3\xa9" "3\\u000a5\","
	    "\"units\":4294967295},\"idempotent\":false}}") == 0,
	    "preview, workerId escaped and cut at worker_id_len (%s)", b.data);

	/* What we write must itself be a body we accept (an object). */
	{
		struct jbody	*body = NULL;
		struct jvalue	 v;
		const char	*why;

		ok(json_body_parse(b.data, b.len, &body, &why) == 0,
		    "the preview parses back");
		json_body_get(body, "status", &v);
		ok(v.type == JT_STRING && v.len == 7 &&
		    memcmp(v.str, "success", 7) == 0, "status reads back");
		json_body_free(body);
	}
	buf_free(&b);
}

static void
test_session(void)
{
	struct buf		b = { NULL, 0, 0 };
	struct session_view	v;

	memset(&v, 0, sizeof(v));
	memcpy(v.session_id, SESSION, sizeof(v.session_id));
	v.state = SESSION_OPEN;
	v.opened_at_ms = T0;
	buf_puts(&b, "left over");
	ok(reply_session(&b, &v, -1) == 0, "reply_session");
	is(&b, "{\"status\":\"success\",\"data\":{\"sessionId\":\"" SESSION
	    "\",\"label\":null,\"status\":\"open\",\"openedAtUtc\":"
	    "\"2025-10-19T14:30:00.000Z\",\"closedAtUtc\":null,"
	    "\"recordCount\":0,\"totalUnits\":0}}",
	    "an open session without label, no idempotent (GET)");

	v.has_label = 1;
	memcpy(v.label, "Line \"4\"\n", 9);
	v.label_len = 9;
	v.state = SESSION_CLOSED;
	v.has_closed_at = 1;
	v.closed_at_ms = T0 + 3600007;
	v.record_count = 18446744073709551615ULL;
	v.total_units = 1000000000000ULL;
	ok(reply_session(&b, &v, 1) == 0, "reply_session, closed");
	is(&b, "{\"status\":\"success\",\"data\":{\"sessionId\":\"" SESSION
	    "\",\"label\":\"Line \\\"4\\\"\\u000a\",\"status\":\"closed\","
	    "\"openedAtUtc\":\"2025-10-19T14:30:00.000Z\",\"closedAtUtc\":"
	    "\"2025-10-19T15:30:00.007Z\",\"recordCount\":18446744073709551615,"
	    "\"totalUnits\":1000000000000,\"idempotent\":true}}",
	    "a closed session: label escaped, closedAtUtc, idempotent true");

	v.label_len = 0;
	ok(reply_session(&b, &v, 0) == 0, "reply_session, empty label");
	is(&b, "{\"status\":\"success\",\"data\":{\"sessionId\":\"" SESSION
	    "\",\"label\":\"\",\"status\":\"closed\","
	    "\"openedAtUtc\":\"2025-10-19T14:30:00.000Z\",\"closedAtUtc\":"
	    "\"2025-10-19T15:30:00.007Z\",\"recordCount\":18446744073709551615,"
	    "\"totalUnits\":1000000000000,\"idempotent\":false}}",
	    "an empty label is a label, not null; idempotent false");
	buf_free(&b);
}

/* A stored record with every field set. */
static void
row(struct record_row *r, const char *id, int key)
{
	memset(r, 0, sizeof(*r));
	r->id = 7;
	snprintf(r->record_id, sizeof(r->record_id), "%s", id);
	memcpy(r->session_id, SESSION, sizeof(r->session_id));
	r->worker_id_len = (size_t)snprintf(r->worker_id,
	    sizeof(r->worker_id), "JS0315");
	r->worker_name_len = (size_t)snprintf(r->worker_name,
	    sizeof(r->worker_name), "Jos\xc3\xa9 \"J\"");
	r->units = 4294967295u;
	r->recorded_at_ms = T0 + 1;
	r->client_event_id_len = (size_t)snprintf(r->client_event_id,
	    sizeof(r->client_event_id), "evt_1");
	r->has_idempotency_key = key;
	if (key)
		r->idempotency_key_len = (size_t)snprintf(r->idempotency_key,
		    sizeof(r->idempotency_key), "k-1");
	r->created_at_ms = T0 + 2;
}

#define REC(id, key)	"{\"recordId\":\"" id "\",\"sessionId\":\"" \
	SESSION "\",\"workerId\":\"JS0315\",\"worker_name\":\"Jos\xc3\xa9 " \
	"\\\"J\\\"\",\"units\":4294967295,\"recordedAtUtc\":" \
	"\"2025-10-19T14:30:00.001Z\",\"clientEventId\":\"evt_1\"," \
	"\"idempotencyKey\":" key ",\"createdAtUtc\":" \
	"\"2025-10-19T14:30:00.002Z\"}"

static void
test_record(void)
{
	struct buf		b = { NULL, 0, 0 };
	struct record_row	r;

	row(&r, "rec_0123456789abcdef", 1);
	buf_puts(&b, "left over");
	ok(reply_record(&b, &r) == 0, "reply_record");
	is(&b, "{\"status\":\"success\",\"data\":"
	    REC("rec_0123456789abcdef", "\"k-1\"") "}",
	    "a record: every field of CONTRACT section 8, in order");
	row(&r, "rec_0123456789abcdef", 0);
	memcpy(r.idempotency_key, "stale", 6);
	r.idempotency_key_len = 5;
	ok(reply_record(&b, &r) == 0, "reply_record, no key");
	is(&b, "{\"status\":\"success\",\"data\":"
	    REC("rec_0123456789abcdef", "null") "}",
	    "idempotencyKey null without a key, whatever the buffer holds");
	buf_reset(&b);
	buf_puts(&b, "[");
	ok(reply_page_item(&b, &r, 1) == 0 && strncmp(b.data, "[{", 2) == 0,
	    "reply_page_item appends the first record without a comma");
	buf_free(&b);
}

static void
test_page(void)
{
	struct buf		b = { NULL, 0, 0 };
	struct record_row	r1, r2;

	row(&r1, "rec_0000000000000001", 1);
	row(&r2, "rec_0000000000000002", 0);
	buf_puts(&b, "left over");
	ok(reply_page_begin(&b) == 0 && reply_page_end(&b, NULL) == 0,
	    "an empty page");
	is(&b, "{\"status\":\"success\",\"data\":{\"records\":[],"
	    "\"next\":null}}", "an empty page: no records, next null");
	ok(reply_page_begin(&b) == 0 && reply_page_item(&b, &r1, 1) == 0 &&
	    reply_page_item(&b, &r2, 0) == 0 &&
	    reply_page_end(&b, "rec_0000000000000002") == 0, "a page of two");
	is(&b, "{\"status\":\"success\",\"data\":{\"records\":["
	    REC("rec_0000000000000001", "\"k-1\"") ","
	    REC("rec_0000000000000002", "null") "],"
	    "\"next\":\"rec_0000000000000002\"}}",
	    "two records, comma-separated, and next");
	buf_free(&b);
}

static void
test_status(void)
{
	struct buf		b = { NULL, 0, 0 };
	struct stats_figures	f;
	struct status_node	nodes[2] = {
		{ "/run/mysqld/mysqld.sock", 3 }, { "[::1]:3307", 0 },
	};

	memset(&f, 0, sizeof(f));
	f.start_time = 1760884200;
	f.accepted = 12;
	f.responses[0] = 9;
	f.responses[1] = 2;
	f.responses[2] = 1;
	f.restarts = 18446744073709551615ULL;
	f.active = 1;
	f.idle = 3;
	f.total = 4;
	f.max_active = 4;
	buf_puts(&b, "left over");
	ok(reply_status(&b, &f, -1, NULL, 0) == 0, "reply_status");
	is(&b, "{\"status\":\"success\",\"data\":{\"startTime\":"
	    "\"2025-10-19T14:30:00.000Z\",\"acceptedRequests\":12,"
	    "\"responses\":{\"2xx\":9,\"4xx\":2,\"5xx\":1},\"activeWorkers\":1,"
	    "\"idleWorkers\":3,\"totalWorkers\":4,\"maxActiveWorkers\":4,"
	    "\"workerRestarts\":18446744073709551615,\"listenQueue\":null,"
	    "\"databaseNodes\":[]}}",
	    "the figures of CONTRACT section 8; queue unknown is null");
	ok(reply_status(&b, &f, 0, nodes, 2) == 0, "reply_status with nodes");
	is(&b, "{\"status\":\"success\",\"data\":{\"startTime\":"
	    "\"2025-10-19T14:30:00.000Z\",\"acceptedRequests\":12,"
	    "\"responses\":{\"2xx\":9,\"4xx\":2,\"5xx\":1},\"activeWorkers\":1,"
	    "\"idleWorkers\":3,\"totalWorkers\":4,\"maxActiveWorkers\":4,"
	    "\"workerRestarts\":18446744073709551615,\"listenQueue\":0,"
	    "\"databaseNodes\":[{\"node\":\"/run/mysqld/mysqld.sock\","
	    "\"workers\":3},{\"node\":\"[::1]:3307\",\"workers\":0}]}}",
	    "a queue of 0 is a number; the nodes with their workers");
	nodes[0].name = "a\"b";
	ok(reply_status(&b, &f, 5, nodes, 1) == 0 &&
	    strstr(b.data, "\"listenQueue\":5,\"databaseNodes\":[{\"node\":"
	    "\"a\\\"b\",\"workers\":3}]}}") != NULL, "a node name is escaped");
	buf_free(&b);
}

int
main(void)
{
	test_put_string();
	test_error_body();
	test_preview();
	test_session();
	test_record();
	test_page();
	test_status();
	return done_testing();
}
