/* buf.h: a growable byte buffer, reused per worker to avoid per-request allocation. */
#ifndef PRODREC_BUF_H
#define PRODREC_BUF_H

#include <stddef.h>

struct buf {
	char	*data;		/* NUL-terminated when len < cap */
	size_t	 len;		/* bytes in use */
	size_t	 cap;		/* bytes allocated */
};

/* buf.c */
int	buf_reserve(struct buf *, size_t extra);
int	buf_append(struct buf *, const void *, size_t);
int	buf_puts(struct buf *, const char *);
int	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_reset(struct buf *);
void	buf_free(struct buf *);

#endif
