/* allow.c: address allow-lists (addresses and CIDR blocks, IPv4 and IPv6). */
#include <arpa/inet.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allow.h"

/* Zero the bits of addr past prefix. */
static void
mask(unsigned char *addr, size_t len, unsigned prefix)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (prefix >= 8) {
			prefix -= 8;
			continue;
		}
		addr[i] &= (unsigned char)(0xff00u >> prefix);
		prefix = 0;
	}
}

/*
 * An address as text into family and bytes; an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) becomes the IPv4 address, and *mapped (if not NULL)
 * says so.  Returns 0 or -1.
 */
static int
parse_addr(const char *s, int *family, unsigned char addr[16], int *mapped)
{
	static const unsigned char	v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
					    0, 0, 0xff, 0xff };

	memset(addr, 0, 16);
	if (mapped != NULL)
		*mapped = 0;
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) != 1)
		return -1;
	*family = AF_INET6;
	if (memcmp(addr, v4mapped, sizeof(v4mapped)) == 0) {
		memmove(addr, addr + 12, 4);
		memset(addr + 4, 0, 12);
		*family = AF_INET;
		if (mapped != NULL)
			*mapped = 1;
	}
	return 0;
}

/* One entry, "addr" or "addr/prefix", into net.  Returns 0 or -1. */
static int
parse_net(char *entry, struct allow_net *net)
{
	char		*slash = strchr(entry, '/'), *end;
	unsigned long	 prefix;
	unsigned	 bits;
	int		 mapped;

	if (slash != NULL)
		*slash = '\0';
	if (parse_addr(entry, &net->family, net->addr, &mapped) == -1)
		return -1;
	bits = net->family == AF_INET ? 32 : 128;
	net->prefix = bits;
	if (slash != NULL) {
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		prefix = strtoul(slash + 1, &end, 10);
		/* ::ffff:a.b.c.d/N is the IPv4 block a.b.c.d/(N - 96). */
		if (mapped && prefix >= 96 && prefix <= 128)
			prefix -= 96;
		else if (mapped)
			return -1;
		if (*end != '\0' || prefix > bits)
			return -1;
		net->prefix = (unsigned)prefix;
	}
	mask(net->addr, bits / 8, net->prefix);
	return 0;
}

/*
 * Parse a comma-separated list such as "127.0.0.0/8, ::1" into a.  An
 * empty list allows no address.  Returns 0, or -1 with one line in err
 * (what names the setting).
 */
int
allow_parse(const char *spec, struct allow *a, char *err, size_t errsz,
    const char *what)
{
	char	entry[64];
	size_t	len, lead;

	memset(a, 0, sizeof(*a));
	while (*spec != '\0') {
		lead = strspn(spec, " \t,");
		spec += lead;
		if (*spec == '\0')
			break;
		len = strcspn(spec, " \t,");
		if (len >= sizeof(entry) || a->n == ALLOW_MAX)
			goto bad;
		memcpy(entry, spec, len);
		entry[len] = '\0';
		if (parse_net(entry, &a->nets[a->n]) == -1)
			goto bad;
		a->n++;
		spec += len;
	}
	return 0;
bad:
	snprintf(err, errsz, "%s: \"%.*s\" is not an IPv4 or IPv6 address or "
	    "CIDR block (at most %d entries)", what, (int)strcspn(spec, " \t,"),
	    spec, ALLOW_MAX);
	return -1;
}

/* Is the address (text, as in REMOTE_ADDR) in the list?  NULL is not. */
int
allow_match(const struct allow *a, const char *addr)
{
	unsigned char	bytes[16];
	int		family;
	size_t		i;

	if (addr == NULL || parse_addr(addr, &family, bytes, NULL) == -1)
		return 0;
	for (i = 0; i < a->n; i++) {
		const struct allow_net *net = &a->nets[i];
		unsigned char masked[16];

		if (net->family != family)
			continue;
		memcpy(masked, bytes, sizeof(masked));
		mask(masked, family == AF_INET ? 4 : 16, net->prefix);
		if (memcmp(masked, net->addr, 16) == 0)
			return 1;
	}
	return 0;
}
