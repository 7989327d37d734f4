/* tokcache.h: a worker's small cache of tokens it has verified. */
#ifndef PRODREC_TOKCACHE_H
#define PRODREC_TOKCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ids.h"

#define TOKCACHE_SLOTS		64	/* entries, direct-mapped */
#define TOKCACHE_TOKEN_MAX	2048	/* longer tokens are not kept */

/* When a token is accepted: from <= now <= until (unix seconds). */
struct tokwindow {
	int64_t	from;		/* nbf - leeway, or INT64_MIN */
	int64_t	until;		/* exp + leeway */
};

/* tokcache.c */
int	tokcache_get(const char *tok, size_t len, time_t now,
	    char user[USER_ID_MAX + 1]);
void	tokcache_put(const char *tok, size_t len, const struct tokwindow *,
	    const char *user);
void	tokcache_clear(void);

#endif
