/* route.h: method + path -> handler. */
#ifndef PRODREC_ROUTE_H
#define PRODREC_ROUTE_H

#include "http.h"

struct app;	/* the worker's state: configuration, buffers */

/* route.c */
void	route_request(struct app *, struct request *, struct response *);

#endif
