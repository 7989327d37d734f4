/*
 * alg.h: the token signature algorithms (CONTRACT section 6): their names
 * and what each needs of a key.  Plain data, no library: config.c parses
 * the names, keys.c and auth.c verify with OpenSSL.
 */
#ifndef PRODREC_ALG_H
#define PRODREC_ALG_H

#include <stddef.h>

enum sig_alg {
	ALG_HS256, ALG_HS384, ALG_HS512,
	ALG_RS256, ALG_RS384, ALG_RS512,
	ALG_ES256, ALG_ES384, ALG_ES512,
	ALG__MAX
};

enum alg_family {
	FAM_HMAC,		/* key: the shared secret */
	FAM_RSA,		/* RSASSA-PKCS1-v1_5 */
	FAM_EC			/* ECDSA */
};

/* What an algorithm needs. */
struct alg_info {
	const char	*name;		/* the header's "alg", exact case */
	enum alg_family	 family;
	const char	*digest;	/* OpenSSL's name of its hash */
	const char	*curve;		/* FAM_EC: the JWK "crv" it needs */
	size_t		 size;		/* FAM_HMAC: the shortest secret
					   (RFC 7518 3.2); FAM_EC: bytes of
					   r and of s in a signature */
};

/* alg.c */
const struct alg_info	*alg_info(enum sig_alg);
int			 alg_lookup(const char *name, size_t len);
int			 alg_by_name(const char *name);
unsigned		 alg_family_set(enum alg_family);

#endif
