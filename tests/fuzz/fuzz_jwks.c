/*
 * fuzz_jwks.c: a JSON Web Key Set file through keys.c (keyset_from_jwks):
 * json.c's key set reader and json-c, base64url, the RSA and EC keys built
 * with OpenSSL, x5c certificates, kids.  A set that loads must answer
 * every lookup and report itself without fault.
 *
 * Input: the file's bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alg.h"
#include "fuzz.h"
#include "keys.h"

static FILE	*devnull;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char			*text = fuzz_strndup(data, len), err[512];
	struct keyset		*ks;
	const struct pubkey	*k;
	size_t			 i, fits;
	enum sig_alg		 a;

	err[0] = '\0';
	ks = keyset_from_jwks(text, len, err, sizeof(err));
	FUZZ_CHECK(ks != NULL || err[0] != '\0');
	FUZZ_CHECK(ks == NULL || keyset_size(ks) > 0);
	for (i = 0; ks != NULL && i < keyset_size(ks); i++) {
		k = keyset_key(ks, i);
		FUZZ_CHECK(k != NULL);
		for (a = ALG_RS256; a < ALG__MAX; a++)
			if (pubkey_fits(k, a, NULL))
				FUZZ_CHECK(!pubkey_verify(k, a, "x", 1,
				    (const unsigned char *)"sig", 3));
	}
	for (a = ALG_RS256; ks != NULL && a < ALG__MAX; a++)
		FUZZ_CHECK(keyset_only_fit(ks, a, &fits) == NULL || fits == 1);
	FUZZ_CHECK(keyset_by_kid(ks, "", 0) == NULL);
	keyset_report(ks, "fuzz", devnull);
	keyset_free(ks);
	free(text);
	return 0;
}
