/* alg.c: the token signature algorithms, one row each. */
#include <string.h>
#include <strings.h>

#include "alg.h"

/* One row per enum sig_alg, in its order. */
static const struct alg_info algs[ALG__MAX] = {
	[ALG_HS256] = { "HS256", FAM_HMAC, "SHA256", NULL, 32 },
	[ALG_HS384] = { "HS384", FAM_HMAC, "SHA384", NULL, 48 },
	[ALG_HS512] = { "HS512", FAM_HMAC, "SHA512", NULL, 64 },
	[ALG_RS256] = { "RS256", FAM_RSA, "SHA256", NULL, 0 },
	[ALG_RS384] = { "RS384", FAM_RSA, "SHA384", NULL, 0 },
	[ALG_RS512] = { "RS512", FAM_RSA, "SHA512", NULL, 0 },
	[ALG_ES256] = { "ES256", FAM_EC, "SHA256", "P-256", 32 },
	[ALG_ES384] = { "ES384", FAM_EC, "SHA384", "P-384", 48 },
	[ALG_ES512] = { "ES512", FAM_EC, "SHA512", "P-521", 66 },
};

/* Algorithm a's row; an out-of-range a reads as HS256's. */
const struct alg_info *
alg_info(enum sig_alg a)
{
	return &algs[a < ALG__MAX ? a : ALG_HS256];
}

/*
 * The algorithm name[0..len) names in any case (as the configuration
 * writes them), or -1.
 */
int
alg_lookup(const char *name, size_t len)
{
	int	a;

	for (a = 0; a < ALG__MAX; a++)
		if (strlen(algs[a].name) == len &&
		    strncasecmp(algs[a].name, name, len) == 0)
			return a;
	return -1;
}

/* The algorithm the NUL-terminated name names exactly (a JWK's "alg"), or -1. */
int
alg_by_name(const char *name)
{
	int	a;

	for (a = 0; a < ALG__MAX; a++)
		if (strcmp(algs[a].name, name) == 0)
			return a;
	return -1;
}

/* The algorithms of family f, as a bit set (1u << enum sig_alg). */
unsigned
alg_family_set(enum alg_family f)
{
	unsigned	set = 0;
	int		a;

	for (a = 0; a < ALG__MAX; a++)
		if (algs[a].family == f)
			set |= 1u << a;
	return set;
}
