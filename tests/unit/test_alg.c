/* test_alg.c: the algorithm table (alg.c): names, lookups, families. */
#include <stdio.h>
#include <string.h>

#include "alg.h"
#include "tap.h"

static void
test_lookup(void)
{
	ok(alg_lookup("HS256", 5) == ALG_HS256, "HS256");
	ok(alg_lookup("hs256", 5) == ALG_HS256, "hs256");
	ok(alg_lookup("Rs384", 5) == ALG_RS384, "Rs384");
	ok(alg_lookup("es512", 5) == ALG_ES512, "es512");
	ok(alg_lookup("HS2567", 5) == ALG_HS256, "only len bytes looked at");
	ok(alg_lookup("HS256", 4) == -1, "a prefix is not a name");
	ok(alg_lookup("HS256x", 6) == -1, "a longer name");
	ok(alg_lookup("none", 4) == -1, "none");
	ok(alg_lookup("", 0) == -1, "empty");
	ok(alg_lookup("PS256", 5) == -1, "PS256 is not offered");
	ok(strcmp(alg_info(ALG_ES384)->name, "ES384") == 0, "alg_info");
	ok(alg_info(ALG__MAX) == alg_info(ALG_HS256),
	    "alg_info out of range reads as HS256");
}

static void
test_table(void)
{
	enum sig_alg	a;
	int		named = 0;

	for (a = 0; a < ALG__MAX; a++)
		named += alg_by_name(alg_info(a)->name) == (int)a &&
		    alg_lookup(alg_info(a)->name,
		    strlen(alg_info(a)->name)) == (int)a;
	ok(named == ALG__MAX, "every row is found by its own name");
	ok(alg_by_name("hs256") == -1, "alg_by_name is exact (a JWK's alg)");
	ok(alg_by_name("") == -1 && alg_by_name("none") == -1, "no none");
	ok(alg_family_set(FAM_HMAC) == ((1u << ALG_HS256) | (1u << ALG_HS384) |
	    (1u << ALG_HS512)), "the HMAC family");
	ok(alg_family_set(FAM_EC) == ((1u << ALG_ES256) | (1u << ALG_ES384) |
	    (1u << ALG_ES512)), "the EC family");
	ok(alg_info(ALG_HS384)->size == 48 && alg_info(ALG_ES512)->size == 66 &&
	    strcmp(alg_info(ALG_ES512)->curve, "P-521") == 0 &&
	    strcmp(alg_info(ALG_RS512)->digest, "SHA512") == 0,
	    "secret sizes (RFC 7518 3.2), curves and digests");
}

int
main(void)
{
	test_lookup();
	test_table();
	return done_testing();
}
