/* pool.h: the master that pre-forks, supervises and replaces workers. */
#ifndef PRODREC_POOL_H
#define PRODREC_POOL_H

#include <signal.h>

#define POOL_MAX_WORKERS	1024	/* the largest PRODREC_WORKERS */
#define POOL_MAX_CHILDREN	(2 * POOL_MAX_WORKERS + 2) /* during a reload */

/* What the pool asks of the program; ctx is passed back unchanged. */
struct pool_ops {
	int		(*workers)(void *ctx);	/* workers wanted now (>= 1) */
	unsigned	(*stop_timeout)(void *ctx); /* seconds a stop may take */
	int		(*serve)(void *ctx);	/* in a worker: serve, return
						   its exit status */
	int		(*reload)(void *ctx);	/* SIGHUP: 0 when a new
						   configuration is in force,
						   -1 when the old one stays */
};

/* pool.c: the master */
void		pool_sigset(sigset_t *);
int		pool_run(const struct pool_ops *, void *ctx, int listen_fd);
/* pool.c: a worker (or the process serving alone) */
unsigned	pool_generation(void);
int		pool_stopping(void);

#endif
