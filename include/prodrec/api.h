/* api.h: the steps every API handler shares: token, body, path ids, faults. */
#ifndef PRODREC_API_H
#define PRODREC_API_H

#include <stddef.h>

#include "app.h"
#include "db.h"
#include "http.h"
#include "json.h"
#include "validate.h"

/* api.c */
int	api_user(const struct request *, struct response *,
	    char user[USER_ID_MAX + 1]);
int	api_read_json(struct app *, struct request *, struct response *,
	    int optional, struct jbody **);
int	api_session_id(const struct request *, struct response *,
	    char out[SESSION_ID_LEN + 1]);
int	api_record_id(const char *, size_t, char out[RECORD_ID_LEN + 1]);
void	api_db_fault(struct response *, enum db_status);

#endif
