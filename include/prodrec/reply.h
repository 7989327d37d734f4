/* reply.h: the JSON bodies of the answers. */
#ifndef PRODREC_REPLY_H
#define PRODREC_REPLY_H

#include <stddef.h>
#include <stdint.h>

struct buf;		/* buf.h */
struct record_row;	/* db.h */
struct session_view;	/* db.h */
struct stats_figures;	/* stats.h */

/* What a 201/200 answer to a create shows of the record. */
struct preview {
	const char	*record_id;	/* "rec_..." */
	const char	*session_id;	/* lower-case */
	const char	*worker_id;	/* UTF-8, worker_id_len bytes */
	size_t		 worker_id_len;
	uint32_t	 units;
	int		 idempotent;	/* 1 for a replay */
};

/* A database node and the workers connected to it, for reply_status. */
struct status_node {
	const char	*name;		/* socket path or host:port */
	unsigned	 workers;
};

/* reply.c */
int	reply_string(struct buf *, const char *, size_t);
int	reply_error(struct buf *, const char *message, const char *error);
int	reply_health(struct buf *);
int	reply_preview(struct buf *, const struct preview *);
int	reply_session(struct buf *, const struct session_view *, int idempotent);
int	reply_record(struct buf *, const struct record_row *);
int	reply_page_begin(struct buf *);
int	reply_page_item(struct buf *, const struct record_row *, int first);
int	reply_page_end(struct buf *, const char *next);
int	reply_status(struct buf *, const struct stats_figures *, long queue,
	    const struct status_node *, size_t nnodes);

#endif
