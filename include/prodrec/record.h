/* record.h: the create-record handler. */
#ifndef PRODREC_RECORD_H
#define PRODREC_RECORD_H

#include "app.h"
#include "http.h"

/* record.c */
void	record_create(struct app *, struct request *, struct response *);

#endif
