/* stats.h: the pool's figures, in memory the master shares with its workers. */
#ifndef PRODREC_STATS_H
#define PRODREC_STATS_H

#include <stdint.h>

#define STATS_NODES	17	/* database nodes counted: the socket, then
				   up to 16 of PRODREC_DB_HOST */

/* What /api/control/status shows. */
struct stats_figures {
	int64_t		start_time;		/* unix seconds of the start */
	uint64_t	accepted;		/* requests taken */
	uint64_t	responses[3];		/* answered 2xx, 4xx, 5xx */
	uint64_t	restarts;		/* workers started after the first */
	unsigned	active;			/* workers serving a request */
	unsigned	idle;			/* workers waiting for one */
	unsigned	total;			/* workers running */
	unsigned	max_active;		/* the most active at once */
	unsigned	node_workers[STATS_NODES]; /* workers connected to each
						   node (db_node_name order) */
};

/* stats.c: the master (or the lone process) */
int	stats_init(unsigned slots);
void	stats_set_workers(unsigned total);
void	stats_count_restart(void);
void	stats_slot_reset(unsigned slot);
/* stats.c: a worker */
void	stats_use_slot(unsigned slot);
void	stats_set_node(int node);
void	stats_request_begin(void);
void	stats_request_end(int status);
void	stats_read(struct stats_figures *);

#endif
