/* auth.h: bearer token -> user id (with keys.c the only user of libjwt and OpenSSL). */
#ifndef PRODREC_AUTH_H
#define PRODREC_AUTH_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "ids.h"

struct config;		/* config.h */

#define AUTH_TOKEN_MAX	8192	/* longer tokens are refused */

enum auth_result {
	AUTH_OK,
	AUTH_NO_TOKEN,		/* header missing or not Bearer: 401, plain challenge */
	AUTH_INVALID,		/* any other failure: 401, error="invalid_token" */
	AUTH__MAX
};

struct auth_keys;	/* the keys a configuration names, built once */

/* auth.c */
struct auth_keys	*auth_prepare(const struct config *, char *err,
			    size_t errsz);
void			 auth_install(const struct config *,
			    struct auth_keys *);
void			 auth_keys_free(struct auth_keys *);
int			 auth_init(const struct config *, char *err, size_t errsz);
void			 auth_free(void);
void			 auth_report(FILE *);
enum auth_result	 auth_check(const char *authorization, time_t now,
			    char user[USER_ID_MAX + 1], const char **why);

#endif
