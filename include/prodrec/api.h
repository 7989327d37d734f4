/* api.h: the steps every API handler shares: token, body, path ids, faults. */
#ifndef PRODREC_API_H
#define PRODREC_API_H

#include "db.h"
#include "http.h"
#include "ids.h"

struct app;		/* app.h */
struct jbody;		/* json.h */

/* api.c */
int		api_user(const struct request *, struct response *,
		    char user[USER_ID_MAX + 1]);
int		api_read_json(struct app *, struct request *, struct response *,
		    int optional, struct jbody **);
int		api_session_id(const struct request *, struct response *,
		    char out[SESSION_ID_LEN + 1]);
enum outcome	api_db_outcome(enum db_status);
void		api_db_fault(struct response *, enum db_status);
int		api_session_owner(struct response *, enum db_status,
		    const char *owner, const char *user, const char *forbidden);

#endif
