/* control.h: the operators' endpoints: health and pool status. */
#ifndef PRODREC_CONTROL_H
#define PRODREC_CONTROL_H

struct app;		/* app.h */
struct request;		/* http.h */
struct response;	/* http.h */

/* control.c */
void	control_health(struct app *, struct request *, struct response *);
void	control_status(struct app *, struct request *, struct response *);

#endif
