/*
 * fuzz_app.h: the configuration and application state of the targets that
 * drive whole requests (fuzz_route.c, fuzz_fcgi.c): HS256 with FUZZ_SECRET,
 * the default limits, the default status allow-list.
 */
#ifndef PRODREC_FUZZ_APP_H
#define PRODREC_FUZZ_APP_H

#include <stdlib.h>
#include <string.h>

#include "alg.h"
#include "allow.h"
#include "app.h"
#include "auth.h"
#include "config.h"
#include "fuzz.h"

/* Fill cfg and app and initialise the token module; aborts on failure. */
static inline void
fuzz_app_setup(struct config *cfg, struct app *app)
{
	char	err[256];

	cfg->jwt_algs = 1u << ALG_HS256;
	cfg->jwt_secret = FUZZ_SECRET;
	cfg->jwt_secret_len = strlen(FUZZ_SECRET);
	cfg->jwt_leeway = 60;
	cfg->jwt_user_claim = "sub";
	cfg->max_body = 16384;
	cfg->max_units = 1000000;
	cfg->max_clock_skew = 300;
	cfg->peer_timeout = 30;
	if (allow_parse("127.0.0.0/8,::1", &cfg->status_allow, err,
	    sizeof(err), "status_allow") == -1 ||
	    auth_init(cfg, err, sizeof(err)) == -1)
		abort();
	app->cfg = cfg;
}

#endif
