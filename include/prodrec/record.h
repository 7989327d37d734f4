/* record.h: the record handlers: create one, read one. */
#ifndef PRODREC_RECORD_H
#define PRODREC_RECORD_H

#include "app.h"
#include "http.h"

/* record.c */
void	record_create(struct app *, struct request *, struct response *);
void	record_get(struct app *, struct request *, struct response *);

#endif
