/* rnd.h: identifiers from the kernel's cryptographic random source. */
#ifndef PRODREC_RND_H
#define PRODREC_RND_H

#include <stddef.h>
#include <time.h>

/* rnd.c */
int	rnd_bytes(void *, size_t);
int	rnd_record_id(char out[21]);
int	rnd_request_id(char out[17]);
int	rnd_session_id(char out[25], time_t now);

#endif
