/*
 * test_b64.c: b64.c, base64 (RFC 4648 section 4, padded) and base64url
 * (section 5, unpadded, as JOSE uses it): the RFC's test vectors, the
 * alphabets kept apart, bad lengths, padding and output sizes.
 */
#include <string.h>

#include "b64.h"
#include "tap.h"

/* in decodes (alphabet a) to want. */
static void
decodes_at(int line, const char *in, enum b64_alphabet a, const char *want)
{
	unsigned char	out[64];
	size_t		n = 99;
	int		rc;

	memset(out, 0, sizeof(out));
	rc = b64_decode(in, strlen(in), a, out, sizeof(out), &n);
	ok_line(line, rc == 0 && n == strlen(want) && memcmp(out, want, n) == 0,
	    "%s \"%s\" -> \"%s\"", a == B64_URL ? "base64url" : "base64", in,
	    want);
}
#define decodes(...)	decodes_at(__LINE__, __VA_ARGS__)

static void
refused_at(int line, const char *in, enum b64_alphabet a, const char *why)
{
	unsigned char	out[64];
	size_t		n = 99;

	ok_line(line, b64_decode(in, strlen(in), a, out, sizeof(out), &n) ==
	    -1 && n == 99, "%s refuses \"%s\" (%s)", a == B64_URL ?
	    "base64url" : "base64", in, why);
}
#define refused(...)	refused_at(__LINE__, __VA_ARGS__)

static void
test_vectors(void)
{
	/* RFC 4648 section 10. */
	decodes("", B64_STD, "");
	decodes("Zg==", B64_STD, "f");
	decodes("Zm8=", B64_STD, "fo");
	decodes("Zm9v", B64_STD, "foo");
	decodes("Zm9vYg==", B64_STD, "foob");
	decodes("Zm9vYmE=", B64_STD, "fooba");
	decodes("Zm9vYmFy", B64_STD, "foobar");
	decodes("", B64_URL, "");
	decodes("Zg", B64_URL, "f");
	decodes("Zm8", B64_URL, "fo");
	decodes("Zm9v", B64_URL, "foo");
	decodes("Zm9vYg", B64_URL, "foob");
	decodes("Zm9vYmE", B64_URL, "fooba");
	decodes("Zm9vYmFy", B64_URL, "foobar");
	/* 0xfb 0xff 0xbf: the two alphabets' last characters. */
	decodes("-_-_", B64_URL, "\xfb\xff\xbf");
	decodes("+/+/", B64_STD, "\xfb\xff\xbf");
	decodes("eyJhbGciOiJIUzI1NiJ9", B64_URL, "{\"alg\":\"HS256\"}");
}

static void
test_refused(void)
{
	unsigned char	out[8];
	size_t		n = 99;

	refused("-_-_", B64_STD, "the url alphabet in base64");
	refused("+/+/", B64_URL, "the standard alphabet in base64url");
	refused("Zg", B64_STD, "unpadded base64");
	refused("Zg=", B64_STD, "a length not a multiple of 4");
	refused("Zg==", B64_URL, "padding in base64url");
	refused("Z===", B64_STD, "three =");
	refused("====", B64_STD, "padding only");
	refused("Zg==Zg==", B64_STD, "padding inside");
	refused("Z", B64_URL, "one character");
	refused("Zm9vY", B64_URL, "a length of 1 mod 4");
	refused("Zm\n9", B64_URL, "a newline");
	refused("Zm 9", B64_STD, "a space");
	refused("Zm9\xc3", B64_STD, "a byte over 0x7f");
	ok(b64_decode("Zm\0v", 4, B64_STD, out, sizeof(out), &n) == -1,
	    "a NUL inside");
	ok(b64_decode("Zm9vYmFy", 8, B64_STD, out, 5, &n) == -1 && n == 99,
	    "6 bytes do not fit in 5");
	ok(b64_decode("Zm9vYmFy", 8, B64_STD, out, 6, &n) == 0 && n == 6,
	    "they fit in 6");
	ok(b64_decode("Zm9vYmFyZmFy", 4, B64_URL, out, sizeof(out), &n) == 0 &&
	    n == 3 && memcmp(out, "foo", 3) == 0, "only len characters");
	ok(b64_decode("Zh==", 4, B64_STD, out, sizeof(out), &n) == 0 &&
	    n == 1 && out[0] == 'f', "leftover bits are not checked: Zh== is "
	    "f, like Zg==");
}

static void
test_value(void)
{
	static const char	std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
	    "opqrstuvwxyz0123456789+/";
	int			i, c, good = 1, count = 0;

	for (i = 0; i < 64; i++)
		good &= b64_value((unsigned char)std[i], B64_STD) == i;
	ok(good, "b64_value: the standard alphabet in order");
	ok(b64_value('-', B64_URL) == 62 && b64_value('_', B64_URL) == 63 &&
	    b64_value('A', B64_URL) == 0 && b64_value('9', B64_URL) == 61,
	    "b64_value: the url alphabet");
	for (c = 0; c < 256; c++)
		count += b64_value((unsigned char)c, B64_STD) != -1;
	ok(count == 64, "64 characters in the standard alphabet, %d", count);
	ok(b64_value('=', B64_STD) == -1 && b64_value('-', B64_STD) == -1 &&
	    b64_value('/', B64_URL) == -1 && b64_value(0, B64_URL) == -1,
	    "=, the other alphabet's characters and NUL are not values");
	ok(B64_DECODED_MAX(4) >= 3 && B64_DECODED_MAX(3) >= 2 &&
	    B64_DECODED_MAX(2) >= 1 && B64_DECODED_MAX(86) >= 64,
	    "B64_DECODED_MAX covers what len characters decode to");
}

int
main(void)
{
	test_vectors();
	test_refused();
	test_value();
	return done_testing();
}
