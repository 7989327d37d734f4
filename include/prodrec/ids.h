/* ids.h: the API's identifiers and the sizes of its fields. */
#ifndef PRODREC_IDS_H
#define PRODREC_IDS_H

#include <stddef.h>

#define SESSION_ID_LEN		24	/* hex digits */
#define RECORD_ID_LEN		20	/* "rec_" + 16 hex digits */
#define WORKER_ID_MAX		64	/* characters */
#define WORKER_NAME_MAX		128	/* characters */
#define CLIENT_EVENT_ID_MAX	128
#define IDEMPOTENCY_KEY_MAX	255
#define USER_ID_MAX		255	/* bytes of the token's user claim */
#define LABEL_MAX		128	/* characters of a session's label */

/* ids.c */
int	session_id_parse(const char *, size_t, char out[SESSION_ID_LEN + 1]);
int	record_id_parse(const char *, size_t, char out[RECORD_ID_LEN + 1]);

#endif
