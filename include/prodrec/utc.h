/* utc.h: the API's UTC instants, text <-> milliseconds since 1970. */
#ifndef PRODREC_UTC_H
#define PRODREC_UTC_H

#include <stddef.h>
#include <stdint.h>

#define UTC_TEXT_SIZE	25	/* "YYYY-MM-DDTHH:MM:SS.mmmZ" and its NUL */

/* utc.c */
int	utc_parse(const char *, size_t, int64_t *ms);
void	utc_format(int64_t ms, char out[UTC_TEXT_SIZE]);

#endif
