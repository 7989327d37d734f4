/* route.h: method + path -> handler. */
#ifndef PRODREC_ROUTE_H
#define PRODREC_ROUTE_H

struct app;		/* app.h */
struct request;		/* http.h */
struct response;	/* http.h */

/* route.c */
void	route_request(struct app *, struct request *, struct response *);

#endif
