/*
 * fuzz.h: what the libFuzzer targets of tests/fuzz/ share: the entry
 * points, a check that turns a broken property into a crash, and a cursor
 * over the input's lines.
 */
#ifndef PRODREC_FUZZ_H
#define PRODREC_FUZZ_H

#include <sanitizer/common_interface_defs.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The HMAC secret of every target's configuration: 64 bytes, enough for
   HS512 (RFC 7518 3.2); tests/fuzz/make-corpus signs with it too. */
#define FUZZ_SECRET \
	"fuzz-secret-0123456789abcdef-fuzz-secret-0123456789abcdef-hs512!"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

#define FUZZ_STR(x)	FUZZ_STR2(x)
#define FUZZ_STR2(x)	#x

/*
 * A property every input must keep; a broken one is a finding.  The
 * message goes where sanitizer reports go, which stays open when
 * libFuzzer closes stderr (-close_fd_mask=2, for the program's log lines).
 */
#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		__sanitizer_report_error_summary("property broken at "	\
		    __FILE__ ":" FUZZ_STR(__LINE__) ": " #cond);	\
		abort();						\
	}								\
} while (0)

/* The input as a NUL-terminated string (it may hold other NULs); the
   caller frees it.  Aborts when memory runs out: no input may cause it. */
static inline char *
fuzz_strndup(const uint8_t *data, size_t len)
{
	char	*s;

	if ((s = malloc(len + 1)) == NULL)
		abort();
	if (len > 0)
		memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

/* A cursor over a buffer, for inputs made of lines then a tail. */
struct fuzz_in {
	const char	*p;
	size_t		 left;
};

/*
 * Take the next line (up to sep, which is dropped) into *line and *len.
 * With no sep left, the rest is the line.  Returns 0, or -1 at the end.
 */
static inline int
fuzz_line(struct fuzz_in *in, char sep, const char **line, size_t *len)
{
	const char	*end;

	if (in->left == 0)
		return -1;
	*line = in->p;
	if ((end = memchr(in->p, sep, in->left)) == NULL) {
		*len = in->left;
		in->p += in->left;
		in->left = 0;
		return 0;
	}
	*len = (size_t)(end - in->p);
	in->left -= *len + 1;
	in->p = end + 1;
	return 0;
}

#endif
