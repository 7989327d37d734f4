/*
 * test_rnd.c: rnd.c, identifiers from the kernel's random source: the
 * ObjectId-style session ids of CONTRACT section 8, the recordIds of
 * section 5 and the request ids of 5xx answers.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rnd.h"
#include "tap.h"

/* The module itself, for its static rnd_hex (as fuzz_fcgi.c takes fcgi.c). */
#include "../../src/rnd.c"

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
test_session_id_time(void)
{
	char	a[25];

	ok(rnd_session_id(a, 0) == 0 && memcmp(a, "00000000", 8) == 0,
	    "time 0 is 00000000");
	ok(rnd_session_id(a, (time_t)0xffffffff) == 0 &&
	    memcmp(a, "ffffffff", 8) == 0, "the last 32-bit second");
	ok(rnd_session_id(a, (time_t)0x1234567890LL) == 0 &&
	    memcmp(a, "34567890", 8) == 0 && strlen(a) == 24,
	    "a later time keeps its low 32 bits: %s", a);
}

static void
test_ids(void)
{
	char	r[21], s[21], q[17], h[65];
	int	i, differ = 0;

	ok(rnd_record_id(r) == 0 && strlen(r) == 20 &&
	    memcmp(r, "rec_", 4) == 0 &&
	    strspn(r + 4, "0123456789abcdef") == 16, "recordId %s", r);
	for (i = 0; i < 8; i++)
		differ += rnd_record_id(s) == 0 && strcmp(r, s) != 0;
	ok(differ == 8, "recordIds differ");
	ok(rnd_request_id(q) == 0 && strlen(q) == 16 &&
	    strspn(q, "0123456789abcdef") == 16, "request id %s", q);
	memset(h, 'x', sizeof(h));
	ok(rnd_hex(h, 32) == 0 && strlen(h) == 64 &&
	    strspn(h, "0123456789abcdef") == 64, "rnd_hex of 32 bytes");
	memset(h, 'x', sizeof(h));
	ok(rnd_hex(h, 0) == 0 && h[0] == '\0', "rnd_hex of none");
	memset(h, 'x', sizeof(h));
	ok(rnd_hex(h, 33) == -1 && h[0] == 'x', "rnd_hex refuses more than 32 "
	    "bytes and writes nothing");
}

static void
test_bytes(void)
{
	unsigned char	a[4096], b[4096];
	int		seen[256] = { 0 }, kinds = 0;
	size_t		i;

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	ok(rnd_bytes(a, sizeof(a)) == 0 && rnd_bytes(b, sizeof(b)) == 0 &&
	    memcmp(a, b, sizeof(a)) != 0, "rnd_bytes fills 4096 bytes, "
	    "differently each time");
	for (i = 0; i < sizeof(a); i++)
		if (!seen[a[i]]++)
			kinds++;
	ok(kinds > 200, "and uses most byte values (%d)", kinds);
	ok(rnd_bytes(a, 0) == 0, "rnd_bytes of nothing");
}

int
main(void)
{
	test_session_id();
	test_session_id_time();
	test_ids();
	test_bytes();
	return done_testing();
}
