/* app.h: what a worker holds for the life of its process. */
#ifndef PRODREC_APP_H
#define PRODREC_APP_H

#include "buf.h"

struct config;		/* config.h */

struct app {
	const struct config	*cfg;
	struct buf		 body;		/* request body, reused */
	int			 listen_fd;	/* the socket workers accept on */
	int			(*renew)(void);	/* before each request: take a
						   configuration the master
						   reloaded; -1: cannot (503,
						   then the worker leaves) */
};

#endif
