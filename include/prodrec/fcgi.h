/* fcgi.h: the accept loop (the only user of libfcgi). */
#ifndef PRODREC_FCGI_H
#define PRODREC_FCGI_H

struct app;		/* app.h */

/* fcgi.c */
int	fcgi_serve(struct app *, int listen_fd);
void	fcgi_request_stop(void);

#endif
