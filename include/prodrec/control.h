/* control.h: the operators' endpoints: health and pool status. */
#ifndef PRODREC_CONTROL_H
#define PRODREC_CONTROL_H

#include "app.h"
#include "http.h"

/* control.c */
void	control_health(struct app *, struct request *, struct response *);
void	control_status(struct app *, struct request *, struct response *);

#endif
