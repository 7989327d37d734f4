/* record.h: the record handlers: create one, read one. */
#ifndef PRODREC_RECORD_H
#define PRODREC_RECORD_H

struct app;		/* app.h */
struct request;		/* http.h */
struct response;	/* http.h */

/* record.c */
void	record_create(struct app *, struct request *, struct response *);
void	record_get(struct app *, struct request *, struct response *);

#endif
