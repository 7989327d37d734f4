/* fcgi.h: the accept loop (the only user of libfcgi). */
#ifndef PRODREC_FCGI_H
#define PRODREC_FCGI_H

#include <stddef.h>

#include "http.h"

struct app;		/* app.h */

/* fcgi.c */
int		fcgi_serve(struct app *, int listen_fd);
void		fcgi_request_stop(void);
enum body_read	fcgi_read_body(struct request *, struct buf *, size_t max);

#endif
