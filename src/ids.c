/* ids.c: the API's identifiers, recognised in paths, queries and bodies. */
#include <string.h>

#include "ids.h"

/* A lower-case hexadecimal digit. */
static int
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/*
 * A session id: 24 hex digits of either case (len bytes of s) into out,
 * lower-case and NUL-terminated.  Returns 0, or -1 when s is not one.
 */
int
session_id_parse(const char *s, size_t len, char out[SESSION_ID_LEN + 1])
{
	size_t	i;
	char	ch;

	if (len != SESSION_ID_LEN)
		return -1;
	for (i = 0; i < SESSION_ID_LEN; i++) {
		ch = s[i];
		if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch - 'A' + 'a');
		else if (!is_hex(ch))
			return -1;
		out[i] = ch;
	}
	out[SESSION_ID_LEN] = '\0';
	return 0;
}

/*
 * A recordId, "rec_" and 16 lower-case hex digits (len bytes of s), into
 * out NUL-terminated.  Returns 0, or -1 when s is not one.
 */
int
record_id_parse(const char *s, size_t len, char out[RECORD_ID_LEN + 1])
{
	size_t	i;

	if (len != RECORD_ID_LEN || memcmp(s, "rec_", 4) != 0)
		return -1;
	for (i = 4; i < RECORD_ID_LEN; i++)
		if (!is_hex(s[i]))
			return -1;
	memcpy(out, s, RECORD_ID_LEN);
	out[RECORD_ID_LEN] = '\0';
	return 0;
}
