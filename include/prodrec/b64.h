/* b64.h: base64 (RFC 4648 section 4) and base64url (section 5) decoding. */
#ifndef PRODREC_B64_H
#define PRODREC_B64_H

#include <stddef.h>

enum b64_alphabet {
	B64_STD,	/* + and /, padded with = to a multiple of 4 */
	B64_URL		/* - and _, no padding (JOSE, RFC 7515 section 2) */
};

/* The most bytes len characters decode to. */
#define B64_DECODED_MAX(len)	((len) / 4 * 3 + 2)

/* b64.c */
int	b64_value(unsigned char c, enum b64_alphabet);
int	b64_decode(const char *in, size_t len, enum b64_alphabet,
	    unsigned char *out, size_t outsz, size_t *outlen);

#endif
