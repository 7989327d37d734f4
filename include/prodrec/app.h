/* app.h: what a worker holds for the life of its process. */
#ifndef PRODREC_APP_H
#define PRODREC_APP_H

#include "buf.h"
#include "config.h"
#include "validate.h"

struct app {
	const struct config	*cfg;
	struct limits		 limits;	/* from cfg, for validate */
	struct buf		 body;		/* request body, reused */
	int			 listen_fd;	/* the socket workers accept on */
	int			(*renew)(void);	/* before each request: take a
						   configuration the master
						   reloaded; -1: cannot (503,
						   then the worker leaves) */
};

#endif
