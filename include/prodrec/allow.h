/* allow.h: address allow-lists (addresses and CIDR blocks, IPv4 and IPv6). */
#ifndef PRODREC_ALLOW_H
#define PRODREC_ALLOW_H

#include <stddef.h>

#define ALLOW_MAX	32	/* entries in one list */

struct allow_net {
	int		family;		/* AF_INET or AF_INET6 */
	unsigned char	addr[16];	/* network byte order, masked */
	unsigned	prefix;		/* bits that must match */
};

struct allow {
	struct allow_net	nets[ALLOW_MAX];
	size_t			n;
};

/* allow.c */
int	allow_parse(const char *spec, struct allow *, char *err, size_t errsz,
	    const char *what);
int	allow_match(const struct allow *, const char *addr);

#endif
