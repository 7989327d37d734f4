/* session.h: the session handlers: open, close, read, list its records. */
#ifndef PRODREC_SESSION_H
#define PRODREC_SESSION_H

struct app;		/* app.h */
struct request;		/* http.h */
struct response;	/* http.h */

#define PAGE_DEFAULT	100	/* records per page without ?limit= */
#define PAGE_MAX	500	/* the largest ?limit= */

/* session.c */
void	session_open(struct app *, struct request *, struct response *);
void	session_close(struct app *, struct request *, struct response *);
void	session_get(struct app *, struct request *, struct response *);
void	session_records(struct app *, struct request *, struct response *);

#endif
