/*
 * test_record.c: record.c, the record handlers' decisions, with the
 * database played by tests/fuzz/stub_db.c from a script of answers (see
 * stub_db.h; this program links it instead of the db_*.c modules).
 * record_create: 201 with Location and the preview, replays (200,
 * "idempotent":true), a different payload (409), the session checks of
 * CONTRACT section 3 in order (404, 403, 409), a session opened meanwhile,
 * database faults (503 with Retry-After, 500), and what is refused before
 * any query (401, 400 naming the field, 403 for auth0Id).  record_get:
 * 200 with the record, 404, 403 and faults.  The field rules themselves:
 * test_validate.c; the body checks: test_api.c.
 */
#include <stdio.h>
#include <string.h>

#include "fake.h"
#include "record.h"
#include "stub_db.h"
#include "tap.h"

#define PROD	"/api/control/production"
#define SID	"6507f1e3c9d8e2a4b1f9c3d5"

/* A create body with units (JSON text) and more members at the end. */
#define BODY(units, more)	"{\"sessionId\":\"" SID "\",\"workerId\":" \
	"\"JS0315\",\"worker_name\":\"John Smith\",\"units\":" units "," \
	"\"recordedAtUtc\":\"2025-10-19T14:30:00.000Z\",\"clientEventId\":" \
	"\"evt_1\"" more "}"
#define RECORD(more)	BODY("5", more)

/* A script that fails at the first query: a 400 or 401 made none. */
#define NO_QUERY	"e"

/* The Idempotency-Key header and Content-Type of the next creates. */
static const char	*key_header, *media_type = "application/json";

/* record_create by sub (NULL: no token) of body, the database answering script. */
static void
create(const char *sub, const char *body, const char *script)
{
	fake_send("POST", PROD "/records", "", sub, body);
	req.idempotency_key = key_header;
	req.content_type = media_type;
	stub_db_script(script, strlen(script));
	record_create(&app, &req, &resp);
}

/* Is id rec_ and 16 lower-case hexadecimal digits (CONTRACT section 5)? */
static int
record_id_form(const char *id)
{
	return strlen(id) == RECORD_ID_LEN && strncmp(id, "rec_", 4) == 0 &&
	    strspn(id + 4, "0123456789abcdef") == RECORD_ID_LEN - 4;
}

/*
 * The answer is the preview of RECORD("") with status (201: a new record,
 * with Location; 200: a replay) and recordId id, or with id NULL a fresh
 * one (its form checked too), copied to fresh when not NULL.
 */
static void
preview_at(int line, int status, const char *id, const char *desc,
    char fresh[RECORD_ID_LEN + 1])
{
	const char	*p = NULL;
	char		 got[RECORD_ID_LEN + 1] = "", want[512], location[128];

	if (resp.body.data != NULL &&
	    (p = strstr(resp.body.data, "\"recordId\":\"")) != NULL)
		snprintf(got, sizeof(got), "%s", p + strlen("\"recordId\":\""));
	got[strcspn(got, "\"")] = '\0';
	if (id == NULL) {
		ok_line(line, record_id_form(got), "%s: a fresh recordId %s",
		    desc, got);
		id = got;
	}
	if (fresh != NULL)
		memcpy(fresh, got, sizeof(got));
	snprintf(want, sizeof(want), "{\"status\":\"success\",\"data\":"
	    "{\"payloadPreview\":{\"recordId\":\"%s\",\"sessionId\":\"" SID
	    "\",\"workerId\":\"JS0315\",\"units\":5},\"idempotent\":%s}}", id,
	    status == 200 ? "true" : "false");
	snprintf(location, sizeof(location), PROD "/records/%s", id);
	fake_replied_at(__FILE__, line, status, want, status == 201 ?
	    location : NULL, desc);
}
#define preview(status, id, desc)	preview_at(__LINE__, status, id, desc, NULL)

static void
test_created(void)
{
	char	first[RECORD_ID_LEN + 1], second[RECORD_ID_LEN + 1];

	create(FAKE_USER, RECORD(""), "");
	preview_at(__LINE__, 201, NULL, "a new record", first);
	create(FAKE_USER, RECORD(""), "");
	preview_at(__LINE__, 201, NULL, "another", second);
	ok(strcmp(first, second) != 0, "each record its own recordId");
	create(FAKE_USER, RECORD(",\"auth0Id\":\"" FAKE_USER "\""), "");
	preview(201, NULL, "auth0Id equal to the token's user");
	create(FAKE_USER, "{\"sessionId\":\"6507F1E3C9D8E2A4B1F9C3D5\","
	    "\"workerId\":\"JS0315\",\"worker_name\":\"John Smith\","
	    "\"units\":5.0,\"recordedAtUtc\":\"2025-10-19T14:30:00Z\","
	    "\"clientEventId\":\"evt_1\",\"unknown\":[1]}", "");
	preview(201, NULL, "sessionId echoed lower-case, 5.0 is 5, unknown "
	    "members ignored");
	/* The session opened between the insert and the look at why not. */
	create(FAKE_USER, RECORD(""), "s.n");
	preview(201, NULL, "no session at the insert, open and owned at the "
	    "look: inserted on the second try");
	create(FAKE_USER, RECORD(""), "dr");
	preview(201, NULL, "the duplicate is our own insert, committed before "
	    "a reconnect: still 201");
	create(FAKE_USER, RECORD(""), "scr");
	preview(201, NULL, "the same, found after the session closed");
}

static void
test_replay(void)
{
	create(FAKE_USER, RECORD(""), "d");
	preview(200, "rec_00000000000000a1", "a duplicate with the same "
	    "payload: replay of the original");
	create(FAKE_USER, RECORD(",\"idempotencyKey\":\"key-1\""), "d");
	preview(200, "rec_00000000000000a1", "the same with idempotencyKey");
	key_header = "key-1";
	create(FAKE_USER, RECORD(""), "d");
	key_header = NULL;
	preview(200, "rec_00000000000000a1", "the same with the "
	    "Idempotency-Key header");
	create(FAKE_USER, RECORD(""), "sc.");
	preview(200, "rec_00000000000000a1", "accepted before the session "
	    "closed: still a replay");

	create(FAKE_USER, RECORD(""), "dx");
	fake_answered(409, "clientEventId or idempotencyKey was already used "
	    "for a record with a different payload", "the same key, another "
	    "payload");
	create(FAKE_USER, RECORD(""), "scx");
	fake_answered(409, "clientEventId or idempotencyKey was already used "
	    "for a record with a different payload", "the same in a closed "
	    "session");
}

static void
test_session(void)
{
	create(FAKE_USER, RECORD(""), "sn");
	fake_answered(404, "sessionId names no session", "no such session");
	create(FAKE_USER, RECORD(""), "sf");
	fake_answered(403, "the session belongs to another user",
	    "another user's session");
	create(FAKE_USER, RECORD(""), "scn");
	fake_answered(409, "the session is closed", "a closed session");
	create(FAKE_USER, RECORD(""), "s.ns.ns.n");
	fake_answered(500, NULL, "the session keeps changing: 500 after "
	    "three tries");
}

/* A good create by FAKE_USER, the database answering script. */
static void
create_good(const char *script)
{
	create(FAKE_USER, RECORD(""), script);
}

static void
test_faults(void)
{
	static const struct fake_fault	all[] = {
		{ "u", 503, "the insert: unavailable" },
		{ "e", 500, "the insert: an error" },
		{ "su", 503, "the session's lookup: unavailable" },
		{ "se", 500, "the session's lookup: an error" },
		{ "s.u", 503, "the lookup by keys: unavailable" },
		{ "s.e", 500, "the lookup by keys: an error" },
		{ "s.nu", 503, "the second insert: unavailable" },
	};

	fake_faults(create_good, all);
}

/* Refused before any query: the script's error is never reached. */
static void
test_refused(void)
{
	create(NULL, RECORD(""), NO_QUERY);
	ok(resp.www_authenticate != NULL &&
	    strcmp(resp.www_authenticate, "Bearer") == 0,
	    "no token: WWW-Authenticate: Bearer");
	fake_answered(401, "an Authorization: Bearer token is required",
	    "no token");
	create(NULL, "{}", NO_QUERY);
	fake_answered(401, "an Authorization: Bearer token is required",
	    "the token before the fields");
	create(FAKE_USER, "{}", NO_QUERY);
	fake_answered(400, "sessionId is required", "an empty object: the "
	    "first field named");
	create(FAKE_USER, "{\"sessionId\":\"" SID "\"}", NO_QUERY);
	fake_answered(400, "workerId is required", "a field missing");
	create(FAKE_USER, "{\"sessionId\":\"xyz\"}", NO_QUERY);
	fake_answered(400, "sessionId must be 24 hexadecimal digits",
	    "a bad sessionId");
	create(FAKE_USER, BODY("0", ""), NO_QUERY);
	fake_answered(400, "units must be an integer from 1 to 1000000",
	    "units 0");
	create(FAKE_USER, RECORD(",\"auth0Id\":5"), NO_QUERY);
	fake_answered(400, "auth0Id must be a string, not a number",
	    "auth0Id of another type");
	key_header = "key-2";
	create(FAKE_USER, RECORD(",\"idempotencyKey\":\"key-1\""), NO_QUERY);
	key_header = NULL;
	fake_answered(400, "idempotencyKey differs from the Idempotency-Key "
	    "header", "the key and the header differ");
	create(FAKE_USER, RECORD(",\"auth0Id\":\"auth0|bob\""), NO_QUERY);
	fake_answered(403, "auth0Id does not match the token's user",
	    "auth0Id of another user");
	create(FAKE_USER, BODY("0", ",\"auth0Id\":\"auth0|bob\""), NO_QUERY);
	fake_answered(400, "units must be an integer from 1 to 1000000",
	    "the fields before auth0Id");
	media_type = "text/plain";
	create(FAKE_USER, RECORD(""), NO_QUERY);
	media_type = "application/json";
	fake_answered(400, "Content-Type must be application/json",
	    "not JSON");
}

/* record_get of the path segment id by sub, the database answering script. */
static void
get(const char *sub, const char *id, const char *script)
{
	fake_send("GET", PROD "/records/x", "", sub, NULL);
	req.param = id;
	req.param_len = strlen(id);
	stub_db_script(script, strlen(script));
	record_get(&app, &req, &resp);
}

#define RID	"rec_0123456789abcdef"

static void
test_get(void)
{
	get(FAKE_USER, RID, "");
	fake_replied(200, "{\"status\":\"success\",\"data\":{\"recordId\":"
	    "\"" RID "\",\"sessionId\":\"" SID "\",\"workerId\":\"JS0315\","
	    "\"worker_name\":\"John Smith\",\"units\":5,\"recordedAtUtc\":"
	    "\"2025-10-19T14:30:00.000Z\",\"clientEventId\":\"evt_1\","
	    "\"idempotencyKey\":null,\"createdAtUtc\":"
	    "\"2025-10-19T14:30:00.001Z\"}}", NULL, "the record, to its "
	    "session's owner");
	get(FAKE_USER, RID, "n");
	fake_answered(404, "no such record", "no such record");
	get(FAKE_USER, "rec_0123456789ABCDEF", NO_QUERY);
	fake_answered(404, "no such record", "upper-case digits name no "
	    "record");
	get(FAKE_USER, "rec_0123456789abcde", NO_QUERY);
	fake_answered(404, "no such record", "15 digits name no record");
	get(FAKE_USER, RID, ".f");
	fake_answered(403, "the record's session belongs to another user",
	    "another user's record");
	get(NULL, RID, NO_QUERY);
	fake_answered(401, "an Authorization: Bearer token is required",
	    "no token");
	get(FAKE_USER, RID, "u");
	fake_answered(503, NULL, "the record's lookup: unavailable");
	get(FAKE_USER, RID, "e");
	fake_answered(500, NULL, "the record's lookup: an error");
	get(FAKE_USER, RID, ".u");
	fake_answered(503, NULL, "the session's lookup: unavailable");
	get(FAKE_USER, RID, ".n");
	fake_answered(500, NULL, "a record without its session is broken");
}

int
main(void)
{
	cfg.max_units = 1000000;
	cfg.max_clock_skew = 300;
	if (fake_init(16384) == -1)
		return 1;
	test_created();
	test_replay();
	test_session();
	test_faults();
	test_refused();
	test_get();
	return fake_done();
}
