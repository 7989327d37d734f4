/*
 * test_json.c: json_body_parse() and json_body_get() on request bodies,
 * json_string_in_array().  (The response writers of
 * CONTRACT sections 5 and 8: test_reply.c.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tap.h"

/* Parse a NUL-terminated body; returns the result and frees the body. */
static int
parse(const char *text, const char **why)
{
	struct jbody	*body = NULL;
	int		 rc;

	*why = "(unset)";
	rc = json_body_parse(text, strlen(text), &body, why);
	if (rc == 0 && body == NULL)
		rc = -2;	/* success must hand out a body */
	if (rc == -1 && body != NULL)
		rc = -3;	/* failure must not */
	json_body_free(body);
	return rc;
}

static void
accepts_at(int line, const char *text, const char *desc)
{
	const char	*why;

	ok_line(line, parse(text, &why) == 0, "accepts %s", desc);
}
#define accepts(...)	accepts_at(__LINE__, __VA_ARGS__)

static void
refuses_at(int line, const char *text, const char *desc)
{
	const char	*why = NULL;
	int		 rc;

	rc = parse(text, &why);
	if (!ok_line(line, rc == -1 && why != NULL &&
	    strcmp(why, "(unset)") != 0, "refuses %s", desc))
		printf("# rc %d, why %s\n", rc, why ? why : "NULL");
}
#define refuses(...)	refuses_at(__LINE__, __VA_ARGS__)

/* Same with an explicit length, for bodies holding NUL bytes. */
static void
refuses_n_at(int line, const char *text, size_t len, const char *desc)
{
	struct jbody	*body = NULL;
	const char	*why = NULL;
	int		 rc;

	rc = json_body_parse(text, len, &body, &why);
	ok_line(line, rc == -1 && why != NULL && body == NULL, "refuses %s",
	    desc);
	json_body_free(body);
}
#define refuses_n(...)	refuses_n_at(__LINE__, __VA_ARGS__)

/*
 * An object nesting depth levels (counting the root), alternating arrays
 * and objects below it, with a scalar innermost.  Caller frees.
 */
static char *
nest(int depth)
{
	char	*s, *p, *closers;
	int	 i, nc = 0;

	if ((s = malloc(32 * (size_t)depth + 16)) == NULL ||
	    (closers = malloc((size_t)depth + 1)) == NULL)
		abort();
	p = s;
	p += sprintf(p, "{\"k\":");
	closers[nc++] = '}';
	for (i = 2; i <= depth; i++) {
		if (i % 2 == 0) {
			p += sprintf(p, "[");
			closers[nc++] = ']';
		} else {
			p += sprintf(p, "{\"k%d\":", i);
			closers[nc++] = '}';
		}
	}
	p += sprintf(p, "1");
	while (nc > 0)
		*p++ = closers[--nc];
	*p = '\0';
	free(closers);
	return s;
}

/* Only arrays below the root object. */
static char *
nest_arrays(int depth)
{
	char	*s, *p;
	int	 i;

	if ((s = malloc(2 * (size_t)depth + 16)) == NULL)
		abort();
	p = s;
	p += sprintf(p, "{\"a\":");
	for (i = 1; i < depth; i++)
		*p++ = '[';
	for (i = 1; i < depth; i++)
		*p++ = ']';
	*p++ = '}';
	*p = '\0';
	return s;
}

static void
test_parse(void)
{
	char	*s;

	accepts("{}", "an empty object");
	accepts(" \t\r\n{ \"a\" : 1 , \"b\" : [ true , false , null ] } \n",
	    "an object with white space around");
	accepts("{\"a\":{\"b\":\"c\"},\"n\":-1.5e-3}", "nested object, number");
	accepts("{\"s\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}",
	    "valid 2-, 3- and 4-byte UTF-8 in a string");
	accepts("{\"s\":\"\\u00e9\\ud83d\\ude00\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
	    "string escapes");
	accepts("{\"s\":\"[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{{{{\"}",
	    "brackets inside a string do not count as nesting");
	accepts("{\"s\":\"NaN Infinity 'x' // /* */ #\"}",
	    "forbidden words inside a string");

	refuses("", "an empty body");
	refuses_n("", 0, "a zero-length body");
	refuses(" \t\r\n ", "a body of white space only");
	refuses("[]", "an empty array");
	refuses("[{\"a\":1}]", "an array of objects");
	refuses("1", "a number");
	refuses("true", "true");
	refuses("null", "null");
	refuses("\"{}\"", "a string");
	refuses("{", "a lone brace");
	refuses("{\"a\":1", "a truncated object");
	refuses("{\"a\":\"xy", "a truncated string");
	refuses("{\"a\":", "a truncated member");
	refuses("{\"a\":1}x", "trailing garbage");
	refuses("{\"a\":1}{}", "a second object");
	refuses("{\"a\":1} 1", "a trailing number");
	refuses("{\"a\":1,}", "a trailing comma in an object");
	refuses("{\"a\":[1,2,]}", "a trailing comma in an array");
	refuses("{'a':1}", "a single-quoted key");
	refuses("{\"a\":'x'}", "a single-quoted value");
	refuses("{\"a\":NaN}", "NaN");
	refuses("{\"a\":Infinity}", "Infinity");
	refuses("{\"a\":-Infinity}", "-Infinity");
	refuses("{\"a\":nan}", "nan");
	refuses("{\"a\":1 // c\n}", "a // comment");
	refuses("{\"a\":1 /* c */}", "a /* */ comment");
	refuses("/* c */{\"a\":1}", "a leading comment");
	refuses("{\"a\":1}\n# c", "a trailing # comment");
	refuses("{a:1}", "an unquoted key");
	refuses("{\"a\":True}", "True");
	refuses("{\"a\":tru}", "a cut literal");
	refuses("{\"a\" 1}", "a missing colon");
	refuses("{\"a\":1 \"b\":2}", "a missing comma");
	refuses("{\"a\":\"x\xffy\"}", "invalid UTF-8 \\xff in a string");
	refuses("{\"a\xff\":1}", "invalid UTF-8 \\xff in a key");
	refuses("{\"a\":1}\xff", "\\xff after the object");
	refuses("\xef\xbb\xbf{\"a\":1}", "a UTF-8 byte order mark");
	refuses("{\"a\":\"\xc3\"}", "a truncated 2-byte sequence");
	refuses("{\"a\":\"\x80\"}", "a lone continuation byte");
	refuses("{\"a\":\"\xc0\xaf\"}", "overlong \\xc0\\xaf");
	refuses("{\"a\":\"\xe0\x80\xaf\"}", "overlong \\xe0\\x80\\xaf");
	refuses("{\"a\":\"\xed\xa0\x80\"}", "an encoded surrogate \\xed\\xa0\\x80");
	refuses("{\"a\":\"\xf4\x90\x80\x80\"}", "a code point above U+10FFFF");
	refuses("{\"a\":\"\xf8\x88\x80\x80\x80\"}", "a 5-byte sequence");
	refuses("{\"a\":\"x\ty\"}", "a raw tab inside a string");
	refuses("{\"a\":\"x\ny\"}", "a raw newline inside a string");
	refuses("{\"a\":00}", "a number with a leading zero");
	refuses("{\"a\":-01}", "a negative number with a leading zero");
	refuses("{\"a\":1.}", "a number ending in a point");
	refuses("{\"a\":1.e2}", "a point without fraction digits");
	refuses("{\"a\":\"\\ud800\"}", "a lone high surrogate escape");
	refuses("{\"a\":\"\\udc00\"}", "a lone low surrogate escape");
	accepts("{\"a\":\"\\ud83d\\ude00\"}", "a surrogate pair escape");
	accepts("{\"a\":-0.5e-3}", "a number with sign, fraction and exponent");
	refuses_n("{\"a\":1}\0", 8, "a NUL after the object");
	refuses_n("{\"a\":\"x\0y\"}", 11, "a raw NUL inside a string");
	refuses("{\"a\":01}", "a leading zero");
	refuses("{\"a\":+1}", "a plus sign");
	refuses("{\"a\":.5}", "a bare fraction");
	refuses("{\"a\":\"\\x41\"}", "an invalid escape");

	{
		const char	*why = NULL;

		parse("{\"a\":\"x\xffy\"}", &why);
		ok(why != NULL && strstr(why, "UTF-8") != NULL,
		    "invalid UTF-8 is named as such (%s)", why ? why : "NULL");
		parse(s = nest(17), &why);
		free(s);
		ok(why != NULL && strstr(why, "16") != NULL,
		    "deep nesting is named as such (%s)", why ? why : "NULL");
	}

	accepts(s = nest(16), "nesting of exactly 16, objects and arrays mixed");
	free(s);
	refuses(s = nest(17), "nesting of 17, objects and arrays mixed");
	free(s);
	accepts(s = nest_arrays(16), "nesting of exactly 16, arrays below the root");
	free(s);
	refuses(s = nest_arrays(17), "nesting of 17, arrays below the root");
	free(s);
	refuses(s = nest(200), "nesting of 200");
	free(s);

	/* The parser is reused: a failure must not poison the next parse. */
	refuses("{\"a\":", "a truncated body (again)");
	accepts("{\"a\":1}", "a good body after a truncated one");
}

static void
test_get(void)
{
	struct jbody	*body = NULL;
	struct jvalue	 v;
	const char	*why = NULL;
	static const char text[] = "{\"n\":null,\"t\":true,\"f\":false,"
	    "\"i\":5,\"d\":5.0,\"e\":1e2,\"neg\":-12,\"s\":\"abc\","
	    "\"z\":\"a\\u0000b\",\"empty\":\"\",\"u\":\"caf\xc3\xa9\","
	    "\"o\":{\"x\":1},\"a\":[1,\"x\"]}";

	if (!ok(json_body_parse(text, strlen(text), &body, &why) == 0,
	    "parse the typed body"))
		return;

	json_body_get(body, "missing", &v);
	ok(v.type == JT_ABSENT && v.str == NULL && v.len == 0, "absent key");
	json_body_get(body, "N", &v);
	ok(v.type == JT_ABSENT, "keys are case-sensitive");
	json_body_get(body, "n", &v);
	ok(v.type == JT_NULL && v.str == NULL, "null");
	json_body_get(body, "t", &v);
	ok(v.type == JT_BOOL, "true is a bool");
	json_body_get(body, "f", &v);
	ok(v.type == JT_BOOL, "false is a bool");
	json_body_get(body, "i", &v);
	ok(v.type == JT_NUMBER && v.len == 1 && v.str != NULL &&
	    strcmp(v.str, "5") == 0, "integer 5, text \"5\"");
	json_body_get(body, "d", &v);
	ok(v.type == JT_NUMBER && v.str != NULL && v.len == 3 &&
	    strcmp(v.str, "5.0") == 0, "5.0 keeps its text (got \"%s\")",
	    v.str ? v.str : "NULL");
	json_body_get(body, "e", &v);
	ok(v.type == JT_NUMBER && v.str != NULL && v.len == 3 &&
	    strcmp(v.str, "1e2") == 0, "1e2 keeps its text (got \"%s\")",
	    v.str ? v.str : "NULL");
	json_body_get(body, "neg", &v);
	ok(v.type == JT_NUMBER && v.str != NULL && strcmp(v.str, "-12") == 0,
	    "negative integer text");
	json_body_get(body, "s", &v);
	ok(v.type == JT_STRING && v.len == 3 && memcmp(v.str, "abc", 3) == 0,
	    "string");
	json_body_get(body, "z", &v);
	ok(v.type == JT_STRING && v.len == 3 && memcmp(v.str, "a\0b", 3) == 0,
	    "\\u0000 is kept, its length counted (len %zu)", v.len);
	json_body_get(body, "empty", &v);
	ok(v.type == JT_STRING && v.len == 0 && v.str != NULL, "empty string");
	json_body_get(body, "u", &v);
	ok(v.type == JT_STRING && v.len == 5 &&
	    memcmp(v.str, "caf\xc3\xa9", 5) == 0, "UTF-8 length in bytes");
	json_body_get(body, "o", &v);
	ok(v.type == JT_OBJECT, "object");
	json_body_get(body, "x", &v);
	ok(v.type == JT_ABSENT, "nested keys are not members of the root");
	json_body_get(body, "a", &v);
	ok(v.type == JT_ARRAY, "array");
	json_body_free(body);
	json_body_free(NULL);
	ok(1, "json_body_free(NULL) is harmless");

	/* A duplicate key: some value of it, and no leak. */
	body = NULL;
	ok(json_body_parse("{\"a\":1,\"a\":2}", 13, &body, &why) == 0,
	    "duplicate keys parse");
	json_body_get(body, "a", &v);
	ok(v.type == JT_NUMBER, "a duplicate key gives a number");
	json_body_free(body);
}

static void
test_in_array(void)
{
	ok(json_string_in_array("[\"a\",\"b\"]", "b") == 1, "string in array");
	ok(json_string_in_array("[\"a\",\"b\"]", "c") == 0, "string not in array");
	ok(json_string_in_array("[]", "a") == 0, "empty array");
	ok(json_string_in_array("[1,null,{\"a\":\"a\"},[\"a\"]]", "a") == 0,
	    "only string elements count");
	ok(json_string_in_array("[\"ab\"]", "a") == 0, "no prefix match");
	ok(json_string_in_array("[\"A\"]", "a") == 0, "case-sensitive");
	ok(json_string_in_array("\"a\"", "a") == 0, "a string is not an array");
	ok(json_string_in_array("{\"a\":\"a\"}", "a") == 0,
	    "an object is not an array");
	ok(json_string_in_array("[\"a\"", "a") == -1, "unparsable -> -1");
	ok(json_string_in_array("", "a") == -1, "empty text -> -1");
	ok(json_string_in_array("[\"x\",\"api://prodrec\"]", "api://prodrec")
	    == 1, "an audience-like value");
}

int
main(void)
{
	test_parse();
	test_get();
	test_in_array();
	return done_testing();
}
