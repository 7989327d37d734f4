/*
 * keys.h: the keys that check token signatures (the auth module, with
 * auth.c; OpenSSL stays inside the two): the algorithms, public keys from
 * a PEM file or a JSON Web Key Set (CONTRACT section 10), and verifying.
 */
#ifndef PRODREC_KEYS_H
#define PRODREC_KEYS_H

#include <stddef.h>
#include <stdio.h>

#include "alg.h"

#define KEY_KID_MAX	255	/* bytes of a key id */
#define JWKS_FILE_MAX	(256 * 1024)	/* largest key set file read */

struct pubkey;		/* one public key, opaque */
struct keyset;		/* the keys of one file, opaque */

/* keys.c */
struct keyset		*keyset_from_pem(const char *, size_t, char *err,
			    size_t errsz);
struct keyset		*keyset_from_jwks(const char *, size_t, char *err,
			    size_t errsz);
void			 keyset_free(struct keyset *);
size_t			 keyset_size(const struct keyset *);
const struct pubkey	*keyset_key(const struct keyset *, size_t i);
const struct pubkey	*keyset_by_kid(const struct keyset *, const char *kid,
			    size_t kidlen);
const struct pubkey	*keyset_only_fit(const struct keyset *, enum sig_alg,
			    size_t *fits);
int			 pubkey_fits(const struct pubkey *, enum sig_alg,
			    const char **why);
int			 pubkey_verify(const struct pubkey *, enum sig_alg,
			    const char *data, size_t len,
			    const unsigned char *sig, size_t siglen);
void			 keyset_report(const struct keyset *, const char *from,
			    FILE *);

#endif
