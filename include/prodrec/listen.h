/* listen.h: the standalone listening socket (TCP or unix). */
#ifndef PRODREC_LISTEN_H
#define PRODREC_LISTEN_H

#include <stddef.h>

/* listen.c */
int	listen_open(const char *spec, int backlog, unsigned mode, char *err,
	    size_t errsz);
void	listen_remove(const char *spec);
int	listen_check_fd(int fd, char *err, size_t errsz);
int	listen_stop(int fd);
void	listen_close_drained(int fd);

#endif
