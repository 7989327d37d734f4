/*
 * test_keys.c: keys.c's key sets (JWKS, RFC 7517) and PEM keys, key
 * choice and signature checks, with keys made here (jwk.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alg.h"
#include "b64.h"
#include "jwk.h"
#include "keys.h"
#include "tap.h"

static EVP_PKEY	*rsa, *rsa2, *rsa1024, *ec256, *ec384, *ec521;
static char	 err[512];

/* A key set from json, which is freed; prints the error as a TAP comment. */
static struct keyset *
set(char *json)
{
	struct keyset	*ks;

	err[0] = '\0';
	if ((ks = keyset_from_jwks(json, strlen(json), err, sizeof(err))) ==
	    NULL)
		printf("# refused: %s\n", err);
	free(json);
	return ks;
}

/* Is the set refused with an error that holds phrase?  Frees json. */
static int
refused(char *json, const char *phrase)
{
	struct keyset	*ks = set(json);
	int		 rc = ks == NULL && strstr(err, phrase) != NULL;

	keyset_free(ks);
	return rc;
}

/* {"keys":[the JWK of k with an x5c of cert's key]}. */
static char *
one_x5c(EVP_PKEY *k, EVP_PKEY *cert)
{
	char	*x5c = tk_x5c(cert), *j = tk_jwk(k, x5c);

	free(x5c);
	return tk_set(j, NULL);
}

#define ONE(k, extra)	tk_set(tk_jwk((k), (extra)), NULL)

/* The JWK of k with member name's value replaced by value (JSON text). */
static char *
jwk_with(EVP_PKEY *k, const char *name, const char *value)
{
	char	*j = tk_jwk(k, ""), *p, *end, *out, key[32];

	snprintf(key, sizeof(key), "\"%s\":", name);
	if ((p = strstr(j, key)) == NULL || (out = malloc(strlen(j) +
	    strlen(value) + 1)) == NULL)
		abort();
	p += strlen(key);
	end = strchr(p + 1, '"') + 1;
	sprintf(out, "%.*s%s%s", (int)(p - j), j, value, end);
	free(j);
	return out;
}

static void
test_good_sets(void)
{
	struct keyset		*ks;
	const struct pubkey	*k;
	size_t			 fits;

	ks = set(ONE(rsa, ",\"kid\":\"r1\",\"use\":\"sig\",\"alg\":\"RS256\""));
	ok(ks != NULL && keyset_size(ks) == 1, "RSA key with kid, use, alg");
	k = keyset_by_kid(ks, "r1", 2);
	ok(k != NULL && pubkey_fits(k, ALG_RS256, NULL), "found by kid, fits RS256");
	ok(!pubkey_fits(k, ALG_RS384, NULL), "its alg RS256 does not fit RS384");
	ok(!pubkey_fits(k, ALG_ES256, NULL), "an RSA key does not fit ES256");
	ok(keyset_by_kid(ks, "r", 1) == NULL && keyset_by_kid(ks, "r1x", 3) ==
	    NULL, "no prefix or longer match of kid");
	keyset_free(ks);

	ks = set(ONE(rsa, ""));
	k = keyset_key(ks, 0);
	ok(k != NULL && pubkey_fits(k, ALG_RS256, NULL) &&
	    pubkey_fits(k, ALG_RS512, NULL), "RSA key without alg fits RS*");
	ok(keyset_only_fit(ks, ALG_RS384, &fits) == k && fits == 1,
	    "the only key that fits");
	keyset_free(ks);

	ks = set(tk_set(tk_jwk(ec256, ",\"kid\":\"e\""), tk_jwk(ec384, "")));
	ok(ks != NULL && keyset_size(ks) == 2, "P-256 and P-384 keys");
	ok(keyset_only_fit(ks, ALG_ES256, &fits) == keyset_by_kid(ks, "e", 1)
	    && fits == 1, "ES256 picks the P-256 key");
	ok(keyset_only_fit(ks, ALG_ES384, &fits) == keyset_key(ks, 1) &&
	    fits == 1, "ES384 picks the P-384 key");
	ok(keyset_only_fit(ks, ALG_ES512, &fits) == NULL && fits == 0,
	    "no key for ES512");
	keyset_free(ks);

	ks = set(ONE(ec521, ",\"alg\":\"ES512\""));
	ok(ks != NULL && pubkey_fits(keyset_key(ks, 0), ALG_ES512, NULL),
	    "P-521 key (66-byte coordinates) for ES512");
	keyset_free(ks);

	ks = set(tk_set(tk_jwk(rsa, ""), tk_jwk(rsa2, "")));
	ok(keyset_only_fit(ks, ALG_RS256, &fits) == NULL && fits == 2,
	    "two RSA keys: none is the only one");
	keyset_free(ks);

	ks = set(one_x5c(rsa, rsa));
	ok(ks != NULL, "x5c holding the same key");
	keyset_free(ks);
	ks = set(one_x5c(ec256, ec256));
	ok(ks != NULL, "x5c holding the same EC key");
	keyset_free(ks);
	ks = set(strdup("  {\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\"},"
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AA\",\"kid\":\"o\"},"
	    "{\"kty\":\"RSA\",\"use\":\"enc\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
	    "{\"kty\":\"RSA\",\"alg\":\"PS256\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
	    "{\"kty\":\"EC\",\"alg\":\"ECDH-ES\"}], \"extra\": 1}\n"));
	ok(ks == NULL && strstr(err, "no key") != NULL && strstr(err,
	    "5 skipped") != NULL, "a set of only skipped keys is refused");
}

static void
test_skipped(void)
{
	struct keyset	*ks;
	char		*j, *line = NULL;
	size_t		 len = 0;
	FILE		*fp;

	j = tk_set(tk_jwk(rsa, ",\"kid\":\"r\""), strdup("{\"kty\":\"OKP\","
	    "\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaP"
	    "cHURo\",\"kid\":\"okp\"}"));
	ks = set(j);
	ok(ks != NULL && keyset_size(ks) == 1, "unknown kty skipped beside RSA");
	if ((fp = open_memstream(&line, &len)) == NULL)
		abort();
	keyset_report(ks, "F", fp);
	fclose(fp);
	printf("# %s", line);
	ok(strstr(line, "F: key kid \"r\", RSA 2048 bits, for RS256 RS384 "
	    "RS512\n") != NULL, "report: the RSA key");
	ok(strstr(line, "F: key kid \"okp\" skipped: kty is neither RSA nor "
	    "EC\n") != NULL, "report: the skipped key");
	free(line);
	keyset_free(ks);
	j = tk_set(tk_jwk(rsa, ",\"use\":\"enc\""), tk_jwk(ec256, ""));
	ks = set(j);
	ok(ks != NULL && keyset_size(ks) == 1 && pubkey_fits(keyset_key(ks, 0),
	    ALG_ES256, NULL), "use enc skipped");
	keyset_free(ks);
	j = tk_set(tk_jwk(rsa, ",\"alg\":\"RSA-OAEP\""), tk_jwk(ec256, ""));
	ks = set(j);
	ok(ks != NULL && keyset_size(ks) == 1, "alg RSA-OAEP skipped");
	keyset_free(ks);
	j = tk_set(jwk_with(ec256, "crv", "\"secp256k1\""), tk_jwk(rsa, ""));
	ks = set(j);
	ok(ks != NULL && keyset_size(ks) == 1 && pubkey_fits(keyset_key(ks, 0),
	    ALG_RS256, NULL), "EC key on secp256k1 (ES256K) skipped");
	keyset_free(ks);
}

static void
test_malformed(void)
{
	ok(refused(strdup(""), "not valid JSON"), "empty file");
	ok(refused(strdup("{\"keys\":[}"), "not valid JSON"), "broken JSON");
	ok(refused(strdup("{\"keys\":[]} x"), "not valid JSON"), "trailing text");
	ok(refused(strdup("[]"), "not a key set"), "an array");
	ok(refused(strdup("{\"key\":[]}"), "not a key set"), "no keys member");
	ok(refused(strdup("{\"keys\":{}}"), "not a key set"), "keys an object");
	ok(refused(strdup("{\"keys\":[]}"), "holds 0 keys"), "no key");
	ok(refused(strdup("{\"keys\":[1]}"), "keys[0] is not an object"),
	    "a key that is a number");
	ok(refused(strdup("{\"keys\":[{\"n\":\"AQAB\"}]}"), "keys[0] has no "
	    "\"kty\""), "no kty");
	ok(refused(tk_set(tk_jwk(ec256, ""), strdup("{\"kty\":7}")),
	    "keys[1].kty is not a string"), "kty a number");
	ok(refused(tk_set(jwk_with(rsa, "n", "null"), NULL),
	    "keys[0].n is not a string"), "n null");
	ok(refused(tk_set(jwk_with(rsa, "e", "\"AQ=B\""), NULL),
	    "keys[0].e is not base64url"), "e with padding inside");
	ok(refused(tk_set(jwk_with(rsa, "n", "\"ab+c\""), NULL),
	    "keys[0].n is not base64url"), "n in the + / alphabet");
	ok(refused(tk_set(jwk_with(rsa, "n", "\"\""), NULL),
	    "keys[0].n is not base64url"), "n empty");
	ok(refused(strdup("{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\"}]}"),
	    "keys[0] has no \"n\""), "n missing");
	ok(refused(strdup("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\"}]}"),
	    "keys[0] has no \"e\""), "e missing");
	ok(refused(tk_set(jwk_with(rsa, "e", "\"AA\""), NULL),
	    "not an RSA public key"), "e zero");
	ok(refused(tk_set(jwk_with(ec256, "crv", "\"P-192\""), NULL),
	    "no key for RS256"), "a set of one key on an unknown curve");
	ok(refused(strdup("{\"keys\":[{\"kty\":\"EC\",\"x\":\"AA\","
	    "\"y\":\"AA\"}]}"), "keys[0] has no \"crv\""), "crv missing");
	ok(refused(tk_set(jwk_with(ec256, "x", "\"AAAA\""), NULL),
	    "must be 32 bytes"), "x too short");
	ok(refused(tk_set(jwk_with(ec256, "y", "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAE\""), NULL), "not a point on P-256"),
	    "point not on the curve");
	ok(refused(tk_set(jwk_with(ec384, "crv", "\"P-256\""), NULL),
	    "keys[0].x is not base64url"), "P-384 coordinates under P-256");
	ok(refused(ONE(rsa, ",\"kid\":\"\""), "kid is empty"), "empty kid");
	ok(refused(ONE(rsa, ",\"kid\":5"), "keys[0].kid is not a string"),
	    "kid a number");
	ok(refused(ONE(rsa, ",\"use\":[\"sig\"]"), "keys[0].use is not a "
	    "string"), "use an array");
	ok(refused(ONE(rsa, ",\"alg\":null"), "keys[0].alg is not a string"),
	    "alg null");
	ok(refused(ONE(rsa, ",\"x5c\":\"MIIB\""), "x5c is not a non-empty "
	    "array"), "x5c a string");
	ok(refused(ONE(rsa, ",\"x5c\":[]"), "x5c is not a non-empty array"),
	    "x5c empty");
	ok(refused(ONE(rsa, ",\"x5c\":[1]"), "x5c is not a non-empty array"),
	    "x5c of a number");
	ok(refused(ONE(rsa, ",\"x5c\":[\"bm90IGEgY2VydA==\"]"), "x5c[0] is "
	    "not a base64 DER certificate"), "x5c not a certificate");
	ok(refused(ONE(rsa, ",\"x5c\":[\"%%%%\"]"), "x5c[0] is not a base64 "
	    "DER certificate"), "x5c not base64");
}

static void
test_refused_keys(void)
{
	ok(refused(tk_set(tk_jwk(rsa, ",\"kid\":\"a\""), tk_jwk(rsa2,
	    ",\"kid\":\"a\"")), "the same kid \"a\""), "duplicate kid");
	ok(refused(tk_set(tk_jwk(rsa, ",\"kid\":\"a\""), strdup("{\"kty\":"
	    "\"OKP\",\"kid\":\"a\"}")), "the same kid"),
	    "duplicate kid, one of them skipped");
	ok(refused(ONE(rsa1024, ""), "a 1024-bit RSA key; at least 2048"),
	    "RSA modulus under 2048 bits");
	ok(refused(ONE(ec384, ",\"alg\":\"ES256\""), "alg ES256 needs crv "
	    "P-256, not P-384"), "wrong curve for the alg");
	ok(refused(ONE(rsa, ",\"alg\":\"ES256\""), "alg ES256 does not go with "
	    "kty RSA"), "EC alg on an RSA key");
	ok(refused(ONE(ec256, ",\"alg\":\"RS256\""), "does not go with kty EC"),
	    "RSA alg on an EC key");
	ok(refused(one_x5c(rsa, rsa2), "x5c[0] holds another public key"),
	    "x5c of another key");
	ok(refused(one_x5c(ec256, rsa), "x5c[0] holds another public key"),
	    "x5c of an RSA key on an EC key");
}

/* keyset_from_pem of what: 0 public key, 2 certificate. */
static struct keyset *
pem_set(EVP_PKEY *k, int what)
{
	char		*pem = tk_pem(k, what);
	struct keyset	*ks;

	err[0] = '\0';
	ks = keyset_from_pem(pem, strlen(pem), err, sizeof(err));
	free(pem);
	return ks;
}

static void
test_pem(void)
{
	struct keyset	*ks;
	char		*pem;

	ks = pem_set(rsa, 0);
	ok(ks != NULL && pubkey_fits(keyset_key(ks, 0), ALG_RS256, NULL),
	    "BEGIN PUBLIC KEY");
	keyset_free(ks);
	ks = pem_set(rsa, 2);
	ok(ks != NULL && pubkey_fits(keyset_key(ks, 0), ALG_RS256, NULL),
	    "BEGIN CERTIFICATE (RSA)");
	keyset_free(ks);
	ks = pem_set(ec384, 2);
	ok(ks != NULL && pubkey_fits(keyset_key(ks, 0), ALG_ES384, NULL) &&
	    !pubkey_fits(keyset_key(ks, 0), ALG_ES256, NULL),
	    "BEGIN CERTIFICATE (EC P-384)");
	keyset_free(ks);
	ks = pem_set(rsa1024, 0);
	ok(ks == NULL && strstr(err, "1024-bit") != NULL, "1024-bit RSA refused");
	pem = tk_pem(rsa, 1);
	ks = keyset_from_pem(pem, strlen(pem), err, sizeof(err));
	ok(ks == NULL && strstr(err, "does not hold a PEM public key") != NULL,
	    "a private key is not a public key");
	free(pem);
	ks = keyset_from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END "
	    "CERTIFICATE-----\n", 60, err, sizeof(err));
	ok(ks == NULL, "a broken certificate");
}

/* Check a token of tk_sign against key k of alg a. */
static int
verifies(const struct pubkey *k, enum sig_alg a, const char *tok)
{
	const char	*dot = strrchr(tok, '.');
	unsigned char	 sig[1024];
	size_t		 siglen;

	if (b64_decode(dot + 1, strlen(dot + 1), B64_URL, sig, sizeof(sig),
	    &siglen) == -1)
		return 0;
	return pubkey_verify(k, a, tok, (size_t)(dot - tok), sig, siglen);
}

static void
test_verify(void)
{
	struct keyset	*ks;
	char		*tok;

	ks = set(tk_set(tk_jwk(rsa, ""), tk_jwk(ec256, "")));
	tok = tk_sign(rsa, "RS256", "{\"alg\":\"RS256\"}", "{\"a\":1}");
	ok(verifies(keyset_key(ks, 0), ALG_RS256, tok), "RS256 signature");
	ok(!verifies(keyset_key(ks, 0), ALG_RS384, tok),
	    "RS256 signature checked as RS384");
	tok[5] ^= 1;
	ok(!verifies(keyset_key(ks, 0), ALG_RS256, tok), "changed header");
	free(tok);
	tok = tk_sign(rsa2, "RS256", "{\"alg\":\"RS256\"}", "{\"a\":1}");
	ok(!verifies(keyset_key(ks, 0), ALG_RS256, tok), "another RSA key");
	free(tok);
	tok = tk_sign(ec256, "ES256", "{\"alg\":\"ES256\"}", "{\"a\":1}");
	ok(verifies(keyset_key(ks, 1), ALG_ES256, tok), "ES256 signature");
	ok(!pubkey_verify(keyset_key(ks, 1), ALG_ES256, "x", 1,
	    (const unsigned char *)"short", 5), "ES256 signature of 5 bytes");
	free(tok);
	keyset_free(ks);
	ks = set(ONE(ec521, ""));
	tok = tk_sign(ec521, "ES512", "{\"alg\":\"ES512\"}", "{\"a\":1}");
	ok(verifies(keyset_key(ks, 0), ALG_ES512, tok), "ES512 on P-521");
	free(tok);
	keyset_free(ks);
}

int
main(void)
{
	rsa = tk_rsa(2048);
	rsa2 = tk_rsa(2048);
	rsa1024 = tk_rsa(1024);
	ec256 = tk_ec("P-256");
	ec384 = tk_ec("P-384");
	ec521 = tk_ec("P-521");
	test_good_sets();
	test_skipped();
	test_malformed();
	test_refused_keys();
	test_pem();
	test_verify();
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(rsa2);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(ec256);
	EVP_PKEY_free(ec384);
	EVP_PKEY_free(ec521);
	return done_testing();
}
