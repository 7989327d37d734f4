/*
 * test_control.c: the small parsers behind the sessions and control
 * endpoints: the status allow-list (allow.c), query parameters (http.c),
 * the open-session body (validate.c), ObjectId-style session ids (rnd.c)
 * the shared status figures (stats.c) and the verified-token cache
 * (tokcache.c).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "allow.h"
#include "http.h"
#include "json.h"
#include "rnd.h"
#include "stats.h"
#include "tokcache.h"
#include "validate.h"
#include "tap.h"

static void
test_allow(void)
{
	struct allow	a;
	char		err[256];

	ok(allow_parse("127.0.0.0/8,::1", &a, err, sizeof(err), "x") == 0 &&
	    a.n == 2, "the default list parses");
	ok(allow_match(&a, "127.0.0.1") && allow_match(&a, "127.255.1.2"),
	    "127/8 matches loopback addresses");
	ok(allow_match(&a, "::1"), "::1 matches");
	ok(allow_match(&a, "::ffff:127.0.0.1"), "an IPv4-mapped address "
	    "matches as IPv4");
	ok(!allow_match(&a, "128.0.0.1") && !allow_match(&a, "10.0.0.1"),
	    "others do not");
	ok(!allow_match(&a, "::2") && !allow_match(&a, NULL) &&
	    !allow_match(&a, "") && !allow_match(&a, "localhost"),
	    "::2, no address, an empty one and a name do not");
	ok(allow_parse(" 10.1.2.3/16 , 2001:db8::/32 ,192.168.1.7", &a, err,
	    sizeof(err), "x") == 0 && a.n == 3, "spaces around entries");
	ok(allow_match(&a, "10.1.200.9") && !allow_match(&a, "10.2.0.1"),
	    "a /16 with host bits set is masked");
	ok(allow_match(&a, "2001:db8:ffff::1") && !allow_match(&a,
	    "2001:db9::1"), "an IPv6 /32");
	ok(allow_match(&a, "192.168.1.7") && !allow_match(&a, "192.168.1.8"),
	    "a bare address is a /32");
	ok(allow_parse("0.0.0.0/0", &a, err, sizeof(err), "x") == 0 &&
	    allow_match(&a, "8.8.8.8") && !allow_match(&a, "::1"),
	    "0.0.0.0/0 is every IPv4 address and no IPv6 one");
	ok(allow_parse("", &a, err, sizeof(err), "x") == 0 && a.n == 0 &&
	    !allow_match(&a, "127.0.0.1"), "an empty list allows no one");
	ok(allow_parse("127.0.0.1/33", &a, err, sizeof(err), "S") == -1 &&
	    strstr(err, "127.0.0.1/33") != NULL && strncmp(err, "S: ", 3) == 0,
	    "a prefix too long is refused, naming the entry: %s", err);
	ok(allow_parse("10.0.0.0/", &a, err, sizeof(err), "x") == -1,
	    "an empty prefix is refused");
	ok(allow_parse("10.0.0.0/-1", &a, err, sizeof(err), "x") == -1,
	    "a negative prefix is refused");
	ok(allow_parse("localhost", &a, err, sizeof(err), "x") == -1,
	    "a host name is refused");
	ok(allow_parse("1.2.3.4,,5.6.7.8", &a, err, sizeof(err), "x") == 0 &&
	    a.n == 2, "empty entries are skipped");
	ok(allow_parse("::ffff:10.0.0.0/104", &a, err, sizeof(err), "x") == 0 &&
	    allow_match(&a, "10.200.0.1") && allow_match(&a,
	    "::ffff:10.1.2.3") && !allow_match(&a, "11.0.0.1"),
	    "an IPv4-mapped block is its IPv4 block (/104 = /8)");
	ok(allow_parse("::ffff:10.0.0.0/64", &a, err, sizeof(err), "x") == -1,
	    "an IPv4-mapped block shorter than /96 is refused");
}

static void
test_query(void)
{
	const char	*v = NULL;
	size_t		 len = 99;

	ok(http_query_param("limit=5&after=rec_1", "limit", &v, &len) == 1 &&
	    len == 1 && v[0] == '5', "first parameter");
	ok(http_query_param("limit=5&after=rec_1", "after", &v, &len) == 1 &&
	    len == 5 && memcmp(v, "rec_1", 5) == 0, "last parameter");
	ok(http_query_param("limits=5", "limit", &v, &len) == 0,
	    "a longer name is another parameter");
	ok(http_query_param("xlimit=5&limit=7&limit=8", "limit", &v, &len) ==
	    1 && v[0] == '7', "the first occurrence wins");
	ok(http_query_param("limit", "limit", &v, &len) == 1 && len == 0,
	    "a name without = has an empty value");
	ok(http_query_param("limit=&x=1", "limit", &v, &len) == 1 && len == 0,
	    "an empty value");
	ok(http_query_param("", "limit", &v, &len) == 0, "empty query");
}

/* Parse json and validate it as an open-session body. */
static int
open_body(const char *json, struct session_input *in, struct vfail *fail)
{
	struct jbody	*b = NULL;
	const char	*why;
	int		 rc;

	if (json == NULL)
		return validate_session(NULL, in, fail);
	if (json_body_parse(json, strlen(json), &b, &why) == -1)
		return -2;
	rc = validate_session(b, in, fail);
	json_body_free(b);
	return rc;
}

static void
test_open_body(void)
{
	struct session_input	in;
	struct vfail		f;
	char			json[1024], label[600];

	ok(open_body(NULL, &in, &f) == 0 && in.label == NULL &&
	    in.client_event_id == NULL, "no body: neither field");
	ok(open_body("{}", &in, &f) == 0, "an empty object");
	ok(open_body("{\"label\":\"Line 4\",\"clientEventId\":\"o-1\","
	    "\"x\":1}", &in, &f) == 0 && in.label_len == 6 &&
	    in.client_event_id_len == 3, "both fields, unknown ignored");
	ok(open_body("{\"label\":\"\"}", &in, &f) == 0 && in.label != NULL &&
	    in.label_len == 0, "an empty label is a label");
	ok(open_body("{\"label\":null}", &in, &f) == -1 &&
	    strcmp(f.field, "label") == 0, "label null: %s", f.detail);
	ok(open_body("{\"label\":5}", &in, &f) == -1 &&
	    strcmp(f.field, "label") == 0, "label a number: %s", f.detail);
	memset(label, 'a', 128);
	label[128] = '\0';
	snprintf(json, sizeof(json), "{\"label\":\"%s\"}", label);
	ok(open_body(json, &in, &f) == 0, "128 characters");
	snprintf(json, sizeof(json), "{\"label\":\"%sa\"}", label);
	ok(open_body(json, &in, &f) == -1 && strstr(f.detail, "128") != NULL,
	    "129 characters: %s", f.detail);
	ok(open_body("{\"label\":\"a\\u0007b\"}", &in, &f) == -1,
	    "a control character: %s", f.detail);
	ok(open_body("{\"clientEventId\":\"has space\"}", &in, &f) == -1 &&
	    strcmp(f.field, "clientEventId") == 0, "clientEventId with a "
	    "space: %s", f.detail);
	ok(open_body("{\"clientEventId\":\"\"}", &in, &f) == -1,
	    "clientEventId empty");
	ok(open_body("{\"clientEventId\":[]}", &in, &f) == -1 &&
	    strcmp(f.field, "clientEventId") == 0, "clientEventId an array");
}

static void
test_session_id(void)
{
	char	a[25], b[25], want[9];
	time_t	now = (time_t)0x6507f1e3;

	ok(rnd_session_id(a, now) == 0 && strlen(a) == 24 &&
	    strspn(a, "0123456789abcdef") == 24, "24 lower-case hex: %s", a);
	snprintf(want, sizeof(want), "%08x", (unsigned)now);
	ok(memcmp(a, want, 8) == 0, "the first 4 bytes are the time, big-"
	    "endian");
	ok(rnd_session_id(b, now) == 0 && strcmp(a, b) != 0,
	    "the rest is random");
}

static void
test_stats(void)
{
	struct stats_figures	f;

	stats_read(&f);
	ok(f.accepted == 0 && f.total == 0, "nothing before stats_init");
	ok(stats_init(4) == 0, "stats_init");
	stats_set_workers(1);
	stats_use_slot(2);
	stats_request_begin();
	stats_read(&f);
	ok(f.accepted == 1 && f.active == 1 && f.max_active == 1,
	    "a request taken is counted and active");
	stats_request_end(201);
	stats_request_begin();
	stats_request_end(404);
	stats_request_begin();
	stats_request_end(503);
	stats_read(&f);
	ok(f.accepted == 3 && f.responses[0] == 1 && f.responses[1] == 1 &&
	    f.responses[2] == 1 && f.active == 0, "classes 2xx, 4xx, 5xx");
	stats_request_begin();
	stats_slot_reset(2);
	stats_read(&f);
	ok(f.active == 0 && f.accepted == 4, "a dead worker's busy mark is "
	    "taken back, its counts stay");
	stats_count_restart();
	stats_read(&f);
	ok(f.restarts == 1 && f.total == 1 && f.start_time > 0, "restarts, "
	    "workers, start time");
}

static void
test_tokcache(void)
{
	static const char	tok[] = "aaa.bbb.signature-one";
	static const char	other[] = "aaa.bbb.signature-two";
	struct tokwindow	w = { 1000, 2000 };
	char			user[USER_ID_MAX + 1], big[TOKCACHE_TOKEN_MAX + 2];

	ok(!tokcache_get(tok, strlen(tok), 1500, user), "empty: a miss");
	tokcache_put(tok, strlen(tok), &w, "alice");
	ok(tokcache_get(tok, strlen(tok), 1500, user) &&
	    strcmp(user, "alice") == 0, "a hit gives the user");
	ok(tokcache_get(tok, strlen(tok), 1000, user) &&
	    tokcache_get(tok, strlen(tok), 2000, user), "both ends of the "
	    "window are inside");
	ok(!tokcache_get(tok, strlen(tok), 2001, user), "after exp + leeway: "
	    "a miss");
	ok(!tokcache_get(tok, strlen(tok), 999, user), "before nbf - leeway: "
	    "a miss");
	ok(!tokcache_get(other, strlen(other), 1500, user), "other bytes: a "
	    "miss");
	ok(!tokcache_get(tok, strlen(tok) - 1, 1500, user), "a prefix: a miss");
	tokcache_put(other, strlen(other), &w, "bob");
	ok(tokcache_get(other, strlen(other), 1500, user) &&
	    strcmp(user, "bob") == 0, "a second token");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	tokcache_put(big, strlen(big), &w, "carol");
	ok(!tokcache_get(big, strlen(big), 1500, user), "a token over "
	    "TOKCACHE_TOKEN_MAX is not kept");
	tokcache_clear();
	ok(!tokcache_get(tok, strlen(tok), 1500, user) &&
	    !tokcache_get(other, strlen(other), 1500, user), "clear empties it");
}

int
main(void)
{
	test_allow();
	test_query();
	test_open_body();
	test_session_id();
	test_stats();
	test_tokcache();
	return done_testing();
}
