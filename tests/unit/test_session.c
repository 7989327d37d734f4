/*
 * test_session.c: session.c, the session handlers' decisions (CONTRACT
 * section 8), with the database played by tests/fuzz/stub_db.c from a
 * script of answers (see stub_db.h; linked instead of the db_*.c modules).
 * session_open: 201 with Location and a fresh ObjectId-style id, a taken
 * id tried again, replays by clientEventId (200) and a different label
 * (409).  session_close: 200, a replayed close, a session reopened
 * meanwhile.  session_get: 200, 404, 403.  session_records: pages and
 * their "next" cursor, limit and after refused (400), faults.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake.h"
#include "session.h"
#include "stub_db.h"
#include "tap.h"

#define PROD	"/api/control/production"
#define SID	"6507f1e3c9d8e2a4b1f9c3d5"
#define NO_QUERY	"e"	/* fails the first query: none was made */

typedef void (*handler)(struct app *, struct request *, struct response *);

/* session_open by sub (NULL: no token) with body (NULL: none). */
static void
open_session(const char *sub, const char *body, const char *script)
{
	fake_send("POST", PROD "/sessions", "", sub, body);
	stub_db_script(script, strlen(script));
	session_open(&app, &req, &resp);
}

/*
 * h by sub on the path segment param (up to a slash, as route.c hands it
 * over) with query, the database answering script.
 */
static void
on(handler h, const char *param, const char *query, const char *sub,
    const char *script)
{
	fake_send("GET", PROD "/sessions/x", query, sub, NULL);
	req.param = param;
	req.param_len = strcspn(param, "/");
	stub_db_script(script, strlen(script));
	h(&app, &req, &resp);
}

/* How the stub's session looks: closed, without a label. */
#define CLOSED		1
#define NO_LABEL	2

/*
 * The answer is status with session id as the stub shows it (flags: CLOSED,
 * NO_LABEL) and "idempotent" (-1: none); a 201 has its Location.
 */
static void
session_is_at(int line, int status, const char *id, int flags,
    int idempotent, const char *desc)
{
	char	want[512], location[128];

	snprintf(want, sizeof(want), "{\"status\":\"success\",\"data\":"
	    "{\"sessionId\":\"%s\",\"label\":%s,\"status\":\"%s\","
	    "\"openedAtUtc\":\"2025-10-19T14:30:00.000Z\",\"closedAtUtc\":%s,"
	    "\"recordCount\":3,\"totalUnits\":15%s}}", id, flags & NO_LABEL ?
	    "null" : "\"Line 4\"", flags & CLOSED ? "closed" : "open",
	    flags & CLOSED ? "\"2025-10-19T14:31:00.000Z\"" : "null",
	    idempotent < 0 ? "" : idempotent ? ",\"idempotent\":true" :
	    ",\"idempotent\":false");
	snprintf(location, sizeof(location), PROD "/sessions/%s", id);
	fake_replied_at(__FILE__, line, status, want, status == 201 ?
	    location : NULL, desc);
}
#define session_is(...)	session_is_at(__LINE__, __VA_ARGS__)

/*
 * The answer is 201 for a fresh session: 24 lower-case hex digits, the
 * first 8 the time of the open (CONTRACT section 8), shown as the stub does.
 */
static void
opened_at(int line, const char *desc)
{
	const char	*p = NULL;
	char		 id[SESSION_ID_LEN + 1] = "", secs[9];
	long long	 t = 0, now = (long long)time(NULL);

	if (resp.body.data != NULL &&
	    (p = strstr(resp.body.data, "\"sessionId\":\"")) != NULL)
		snprintf(id, sizeof(id), "%s", p + strlen("\"sessionId\":\""));
	memcpy(secs, id, 8);
	secs[8] = '\0';
	t = strtoll(secs, NULL, 16);
	ok_line(line, strlen(id) == SESSION_ID_LEN &&
	    strspn(id, "0123456789abcdef") == SESSION_ID_LEN &&
	    t >= now - 5 && t <= now, "%s: a fresh id %s, made now", desc, id);
	session_is_at(line, 201, id, 0, 0, desc);
}
#define opened(desc)	opened_at(__LINE__, desc)

#define REPLAY(label)	"{\"clientEventId\":\"evt-open-1\"" label "}"

static void
test_open(void)
{
	open_session(FAKE_USER, NULL, "");
	opened("no body");
	open_session(FAKE_USER, "{\"label\":\"Line 4\",\"clientEventId\":"
	    "\"evt-open-1\"}", "");
	opened("a label and a clientEventId");
	open_session(FAKE_USER, NULL, "knknk.");
	opened("the id was taken twice: a third id");
	open_session(FAKE_USER, NULL, "knknkn");
	fake_answered(500, NULL, "the id taken three times");
	open_session(FAKE_USER, NULL, "k.");
	opened("nothing inserted, but the row with our id is ours: our own "
	    "insert before a reconnect");
	open_session(FAKE_USER, REPLAY(",\"label\":\"Line 4\""), "kf..");
	session_is(200, SID, 0, 1, "the same clientEventId and label: the "
	    "first session again");
	open_session(FAKE_USER, REPLAY(""), "kf.x");
	session_is(200, SID, NO_LABEL, 1, "the same without a label");
	open_session(FAKE_USER, REPLAY(",\"label\":\"Line 5\""), "kf..");
	fake_answered(409, "clientEventId was already used to open a session "
	    "with a different label", "the same clientEventId, another label");
	open_session(FAKE_USER, REPLAY(""), "kf..");
	fake_answered(409, "clientEventId was already used to open a session "
	    "with a different label", "a label first, none now");
	open_session(FAKE_USER, REPLAY(",\"label\":\"Line 4\""), "kf.x");
	fake_answered(409, "clientEventId was already used to open a session "
	    "with a different label", "no label first, one now");
	open_session(FAKE_USER, REPLAY(""), "kfn.");
	opened("the id was taken, no session of that clientEventId: another "
	    "id");

	open_session(NULL, NULL, NO_QUERY);
	fake_answered(401, "an Authorization: Bearer token is required",
	    "no token");
	open_session(FAKE_USER, "{\"label\":5}", NO_QUERY);
	fake_answered(400, "label must be a string, not a number",
	    "a label of another type");
	open_session(FAKE_USER, "{\"clientEventId\":\"a b\"}", NO_QUERY);
	ok(resp.status == 400 && strstr(resp.body.data, "clientEventId") !=
	    NULL, "a clientEventId with a space: 400 naming it (%s)",
	    resp.body.data);
	open_session(FAKE_USER, "[]", NO_QUERY);
	ok(resp.status == 400, "a body that is not an object: 400");
}

/* An open by FAKE_USER with a clientEventId, the database answering script. */
static void
open_replayable(const char *script)
{
	open_session(FAKE_USER, REPLAY(""), script);
}

static void
test_open_faults(void)
{
	static const struct fake_fault	all[] = {
		{ "u", 503, "the insert: unavailable" },
		{ "e", 500, "the insert: an error" },
		{ "ku", 503, "the look at the taken id: unavailable" },
		{ "kfu", 503, "the lookup by clientEventId: unavailable" },
		{ "kfe", 500, "the lookup by clientEventId: an error" },
		{ "kf.u", 503, "reading the session to replay: unavailable" },
		{ ".u", 503, "reading the new session: unavailable" },
	};

	fake_faults(open_replayable, all);
	open_session(FAKE_USER, REPLAY(""), "kf.f");
	fake_answered(403, "the session belongs to another user",
	    "the session to replay is another user's");
}

/*
 * What h refuses on the path SID rest (as route.c hands it over), its
 * session read after the database answered prefix: no token (401), an id
 * that is not one (404), no such session (404), another user's (403), the
 * database unavailable (503) or failing (500).  Checks made at line.
 */
static void
refusals_at(int line, handler h, const char *rest, const char *prefix,
    const char *name)
{
	static const struct {
		char		 answer;
		int		 status;
		const char	*detail;
	} all[] = {
		{ 'n', 404, "no such session" },
		{ 'f', 403, "the session belongs to another user" },
		{ 'u', 503, NULL },
		{ 'e', 500, NULL },
	};
	char	param[64], script[8], desc[96];
	size_t	i;

	snprintf(param, sizeof(param), SID "%s", rest);
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		snprintf(script, sizeof(script), "%s%c", prefix, all[i].answer);
		snprintf(desc, sizeof(desc), "%s, the session read %c", name,
		    all[i].answer);
		on(h, param, "", FAKE_USER, script);
		fake_answered_at(__FILE__, line, all[i].status, all[i].detail,
		    desc);
	}
	snprintf(desc, sizeof(desc), "%s without a token", name);
	on(h, param, "", NULL, NO_QUERY);
	fake_answered_at(__FILE__, line, 401, "an Authorization: Bearer token "
	    "is required", desc);
	snprintf(param, sizeof(param), "6507f1e3c9d8e2a4b1f9c3d%s", rest);
	snprintf(desc, sizeof(desc), "%s of 23 digits", name);
	on(h, param, "", FAKE_USER, NO_QUERY);
	fake_answered_at(__FILE__, line, 404, "no such session", desc);
}
#define refusals(...)	refusals_at(__LINE__, __VA_ARGS__)

static void
test_close(void)
{
	on(session_close, SID "/close", "", FAKE_USER, "");
	session_is(200, SID, CLOSED, 0, "closed now");
	on(session_close, SID "/close", "", FAKE_USER, "a");
	session_is(200, SID, CLOSED, 1, "closed already: a replay");
	on(session_close, "6507F1E3C9D8E2A4B1F9C3D5/close", "", FAKE_USER, "");
	session_is(200, SID, CLOSED, 0, "an upper-case id, answered "
	    "lower-case");
	on(session_close, SID "/close", "", FAKE_USER, ".p");
	session_is(200, SID, CLOSED, 0, "reopened between close and read: "
	    "closed again");
	on(session_close, SID "/close", "", FAKE_USER, ".p.p.p");
	fake_answered(500, NULL, "reopened after every close");
	refusals(session_close, "/close", ".", "close");
	on(session_close, SID "/close", "", FAKE_USER, "u");
	fake_answered(503, NULL, "the close: unavailable");
	on(session_close, SID "/close", "", FAKE_USER, "e");
	fake_answered(500, NULL, "the close: an error");
}

static void
test_get(void)
{
	on(session_get, SID, "", FAKE_USER, "");
	session_is(200, SID, 0, -1, "an open session, no \"idempotent\"");
	on(session_get, SID, "", FAKE_USER, "c");
	session_is(200, SID, CLOSED, -1, "a closed one");
	on(session_get, SID, "", FAKE_USER, "x");
	session_is(200, SID, NO_LABEL, -1, "without a label: null");
	on(session_get, "6507F1E3C9D8E2A4B1F9C3D5", "", FAKE_USER, "");
	session_is(200, SID, 0, -1, "an upper-case id, answered lower-case");
	refusals(session_get, "", "", "get");
}

/*
 * The answer is 200 with the stub's records 1 to n (recordId
 * rec_<16 hex digits of i>) and "next" the recordId of record next, or
 * null when next is 0.
 */
static void
page_is_at(int line, unsigned n, unsigned next, const char *desc)
{
	char		want[4096], id[RECORD_ID_LEN + 1];
	size_t		len;
	unsigned	i;

	len = (size_t)snprintf(want, sizeof(want), "{\"status\":\"success\","
	    "\"data\":{\"records\":[");
	for (i = 1; i <= n; i++)
		len += (size_t)snprintf(want + len, sizeof(want) - len,
		    "%s{\"recordId\":\"rec_%016x\",\"sessionId\":\"" SID "\","
		    "\"workerId\":\"JS0315\",\"worker_name\":\"John Smith\","
		    "\"units\":5,\"recordedAtUtc\":\"2025-10-19T14:30:00.000Z\","
		    "\"clientEventId\":\"evt_1\",\"idempotencyKey\":null,"
		    "\"createdAtUtc\":\"2025-10-19T14:30:00.001Z\"}",
		    i == 1 ? "" : ",", i);
	snprintf(id, sizeof(id), "rec_%016x", next);
	snprintf(want + len, sizeof(want) - len, "],\"next\":%s%s%s}}",
	    next ? "\"" : "", next ? id : "null", next ? "\"" : "");
	fake_replied_at(__FILE__, line, 200, want, NULL, desc);
}
#define page_is(...)	page_is_at(__LINE__, __VA_ARGS__)

#define RECORDS	SID "/records"

static void
test_pages(void)
{
	static const struct {
		const char	*query, *script;
		unsigned	 n, next;	/* page_is */
		const char	*desc;
	} all[] = {
		{ "", "", 3, 0, "three records, limit 100: all, next null" },
		{ "limit=2", "", 2, 2, "limit 2 of 3: next names the second" },
		{ "limit=1", "", 1, 1, "limit 1" },
		{ "limit=3", "", 3, 0, "a full page with nothing after it: next "
		    "null" },
		{ "limit=500&x=1", ".9", 9, 0, "limit 500, the largest" },
		{ "limit=007", "", 3, 0, "leading zeros" },
		{ "limit=10", ".7", 7, 7, "cut short before unsettled records: "
		    "next names the last shown" },
		{ "", ".0", 0, 0, "no records" },
		{ "", "c", 3, 0, "a closed session's records" },
		{ "after=rec_0000000000000002&limit=2", "...", 2, 2, "after a "
		    "record of the session" },
	};
	size_t	i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		on(session_records, RECORDS, all[i].query, FAKE_USER,
		    all[i].script);
		page_is(all[i].n, all[i].next, all[i].desc);
	}
}

static void
test_page_refused(void)
{
	static const char *const limits[] = {
		"limit=0", "limit=501", "limit=1000", "limit=abc", "limit=",
		"limit", "limit=-1", "limit=+5", "limit=5x", "limit=%35",
	};
	size_t	i;

	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		on(session_records, RECORDS, limits[i], FAKE_USER, NO_QUERY);
		fake_answered(400, "limit must be an integer from 1 to 500",
		    limits[i]);
	}
	on(session_records, RECORDS, "after=xyz", FAKE_USER, NO_QUERY);
	fake_answered(400, "after must be a recordId from the previous page",
	    "after malformed");
	on(session_records, RECORDS, "after=", FAKE_USER, NO_QUERY);
	fake_answered(400, "after must be a recordId from the previous page",
	    "after empty");
	on(session_records, RECORDS, "after=rec_0000000000000002", FAKE_USER,
	    ".w");
	fake_answered(400, "after names no record of this session",
	    "after names a record of another session");
	on(session_records, RECORDS, "after=rec_0000000000000002", FAKE_USER,
	    ".n");
	fake_answered(400, "after names no record of this session",
	    "after names no record");
	on(session_records, RECORDS, "after=rec_0000000000000002", FAKE_USER,
	    ".u");
	fake_answered(503, NULL, "the after lookup: unavailable");
	refusals(session_records, "/records", "", "records");
	on(session_records, RECORDS, "", FAKE_USER, ".u");
	fake_answered(503, NULL, "the page: unavailable");
	on(session_records, RECORDS, "", FAKE_USER, ".e");
	fake_answered(500, NULL, "the page: an error");
}

int
main(void)
{
	if (fake_init(16384) == -1)
		return 1;
	test_open();
	test_open_faults();
	test_close();
	test_get();
	test_pages();
	test_page_refused();
	return fake_done();
}
