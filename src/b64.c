/* b64.c: base64 and base64url decoding, strict about the alphabet. */
#include "b64.h"

/* The value of character c in alphabet a, or -1. */
int
b64_value(unsigned char c, enum b64_alphabet a)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (a == B64_URL ? '-' : '+'))
		return 62;
	if (c == (a == B64_URL ? '_' : '/'))
		return 63;
	return -1;
}

/*
 * How many of the len characters of in are data: for B64_STD the length
 * must be a multiple of 4 with at most two '=' at the end; for B64_URL
 * there is no padding.  Returns the count, or -1.
 */
static long
data_chars(const char *in, size_t len, enum b64_alphabet a)
{
	size_t	n = len;

	if (a == B64_STD) {
		if (len % 4 != 0)
			return -1;
		while (n > 0 && len - n < 2 && in[n - 1] == '=')
			n--;
	}
	return n % 4 == 1 ? -1 : (long)n;
}

/*
 * Decode len characters of in (alphabet a) into out (outsz bytes).  Sets
 * *outlen.  Returns 0, or -1 when in holds a character outside the
 * alphabet, has an impossible length or padding, or out is too small.
 */
int
b64_decode(const char *in, size_t len, enum b64_alphabet a,
    unsigned char *out, size_t outsz, size_t *outlen)
{
	unsigned long	bits = 0;
	size_t		i, n = 0;
	long		chars;
	int		nbits = 0, v;

	if ((chars = data_chars(in, len, a)) == -1)
		return -1;
	for (i = 0; i < (size_t)chars; i++) {
		if ((v = b64_value((unsigned char)in[i], a)) == -1)
			return -1;
		bits = ((bits << 6) | (unsigned)v) & 0xffff;
		if ((nbits += 6) < 8)
			continue;
		nbits -= 8;
		if (n == outsz)
			return -1;
		out[n++] = (unsigned char)((bits >> nbits) & 0xff);
	}
	*outlen = n;
	return 0;
}
