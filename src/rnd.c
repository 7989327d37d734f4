/* rnd.c: identifiers from getrandom(2), the kernel's CSPRNG. */
#include <sys/random.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "rnd.h"

/* Fill p with n cryptographically random bytes.  Returns 0 or -1. */
int
rnd_bytes(void *p, size_t n)
{
	unsigned char	*out = p;
	ssize_t		 got;

	while (n > 0) {
		got = getrandom(out, n, 0);
		if (got == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		out += got;
		n -= (size_t)got;
	}
	return 0;
}

/* Write 2 * nbytes lower-case hex digits and a NUL into out. */
static int
rnd_hex(char *out, size_t nbytes)
{
	static const char	 digits[] = "0123456789abcdef";
	unsigned char		 raw[32];
	size_t			 i;

	if (nbytes > sizeof(raw) || rnd_bytes(raw, nbytes) == -1)
		return -1;
	for (i = 0; i < nbytes; i++) {
		out[2 * i] = digits[raw[i] >> 4];
		out[2 * i + 1] = digits[raw[i] & 0xf];
	}
	out[2 * nbytes] = '\0';
	return 0;
}

/* "rec_" and 16 hex digits (64 random bits), CONTRACT section 5. */
int
rnd_record_id(char out[21])
{
	memcpy(out, "rec_", 4);
	return rnd_hex(out + 4, 8);
}

/* 16 hex digits naming one request in the log and in a 5xx answer. */
int
rnd_request_id(char out[17])
{
	return rnd_hex(out, 8);
}

/*
 * A session id made the way MongoDB makes an ObjectId: the time in seconds
 * as 4 big-endian bytes (8 hex digits), then 8 random bytes, 24 hex digits
 * in all.  Ids sort roughly by creation time.
 */
int
rnd_session_id(char out[25], time_t now)
{
	static const char	digits[] = "0123456789abcdef";
	uint32_t		t = (uint32_t)now;
	int			i;

	for (i = 0; i < 8; i++)
		out[i] = digits[(t >> (28 - 4 * i)) & 0xf];
	return rnd_hex(out + 8, 8);
}
