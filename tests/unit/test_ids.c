/*
 * test_ids.c: the ids a request names in its path or query:
 * session_id_parse() (validate.c for now), 24 hex digits of either case,
 * and record_id_parse() (api.c for now), "rec_" and 16 lower-case hex
 * digits (CONTRACT sections 1, 5 and 8).
 */
#include <string.h>

#include "ids.h"
#include "tap.h"

#define SESSION	"6507f1e3c9d8e2a4b1f9c3d5"

static void
test_session_id(void)
{
	char	out[SESSION_ID_LEN + 1];

	ok(session_id_parse(SESSION, 24, out) == 0 &&
	    strcmp(out, SESSION) == 0, "24 lower-case hex digits");
	ok(session_id_parse("6507F1E3C9D8E2A4B1F9C3D5", 24, out) == 0 &&
	    strcmp(out, SESSION) == 0, "upper case, lowered");
	ok(session_id_parse("0123456789abcdefABCDEF00", 24, out) == 0 &&
	    strcmp(out, "0123456789abcdefabcdef00") == 0, "every digit");
	ok(session_id_parse(SESSION "ff", 24, out) == 0 &&
	    strcmp(out, SESSION) == 0, "only len bytes are read");
	memcpy(out, "untouched", 10);
	ok(session_id_parse(SESSION, 23, out) == -1, "23 digits");
	ok(session_id_parse(SESSION "0", 25, out) == -1, "25 digits");
	ok(session_id_parse("", 0, out) == -1, "empty");
	ok(session_id_parse("6507f1e3c9d8e2a4b1f9c3dg", 24, out) == -1,
	    "a g");
	ok(session_id_parse("6507f1e3c9d8e2a4b1f9c3dG", 24, out) == -1,
	    "a G");
	ok(session_id_parse("6507f1e3c9d8e2a4b1f9c3d ", 24, out) == -1,
	    "a space");
	ok(session_id_parse("6507f1e3c9d8e2a4b1f9\0c3d", 24, out) == -1,
	    "a NUL");
	ok(session_id_parse("0x07f1e3c9d8e2a4b1f9c3d5", 24, out) == -1,
	    "0x");
	ok(session_id_parse("6507f1e3c9d8e2a4b1f9c3d:", 24, out) == -1 &&
	    session_id_parse("6507f1e3c9d8e2a4b1f9c3d/", 24, out) == -1 &&
	    session_id_parse("6507f1e3c9d8e2a4b1f9c3d@", 24, out) == -1 &&
	    session_id_parse("6507f1e3c9d8e2a4b1f9c3d`", 24, out) == -1,
	    "the characters next to 0-9, A-F and a-f");
}

static void
test_record_id(void)
{
	char	out[RECORD_ID_LEN + 1];

	ok(record_id_parse("rec_0123456789abcdef", 20, out) == 0 &&
	    strcmp(out, "rec_0123456789abcdef") == 0, "rec_ and 16 hex digits");
	ok(record_id_parse("rec_0123456789abcdefXX", 20, out) == 0 &&
	    strcmp(out, "rec_0123456789abcdef") == 0, "only len bytes");
	memcpy(out, "untouched", 10);
	ok(record_id_parse("rec_0123456789ABCDEF", 20, out) == -1 &&
	    strcmp(out, "untouched") == 0, "upper-case digits are no recordId, "
	    "and out is untouched");
	ok(record_id_parse("REC_0123456789abcdef", 20, out) == -1, "REC_");
	ok(record_id_parse("rec-0123456789abcdef", 20, out) == -1, "rec-");
	ok(record_id_parse("rec_0123456789abcde", 19, out) == -1, "15 digits");
	ok(record_id_parse("rec_0123456789abcdef0", 21, out) == -1, "17 digits");
	ok(record_id_parse("rec_0123456789abcdeg", 20, out) == -1, "a g");
	ok(record_id_parse("rec_0123456789abcde\0", 20, out) == -1, "a NUL");
	ok(record_id_parse("", 0, out) == -1, "empty");
	ok(record_id_parse("rec_", 4, out) == -1, "rec_ alone");
	ok(record_id_parse("6507f1e3c9d8e2a4b1f9c3d5", 24, out) == -1,
	    "a session id");
}

int
main(void)
{
	test_session_id();
	test_record_id();
	return done_testing();
}
