/*
 * fuzz_token.c: an Authorization header through auth.c (the bearer scan,
 * the shape and header scans, the signature checks, the claims by libjwt) and
 * tokcache.c, under one of five configurations.
 *
 * Input: byte 0 picks the configuration ('0'-'4', others modulo 5); byte 1
 * is 's' for a token to sign here, anything else for a raw header.  Raw:
 * the rest is the header value.  Signed: the rest is the header JSON, a
 * newline and the payload JSON, which are encoded and signed with the HMAC
 * secret (SHA-384 or SHA-512 when the header names HS384 or HS512), so
 * that mutated claims get past the signature.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "alg.h"
#include "auth.h"
#include "config.h"
#include "fuzz.h"
#include "fuzz_keys.h"
#include "tokcache.h"

#define NOW	((time_t)1700000000)	/* the seeds' exp is NOW + 600 */

enum setup {
	SET_HS256,		/* HS256, leeway 60 */
	SET_HMAC_ISS_AUD,	/* HS256/384/512, iss and aud required */
	SET_RS256,		/* RS256 and HS256, the RSA key */
	SET_ES256,		/* ES256, the P-256 key */
	SET_CLAIM,		/* HS512, a custom user claim, no leeway */
	SET__MAX
};

static struct config	setups[SET__MAX];

/* Times each answer is compared at, with and without the cache. */
static const time_t	probes[] = { NOW, NOW + 700, NOW - 100000 };

static void
set_hmac(struct config *c, unsigned algs)
{
	c->jwt_algs = algs;
	c->jwt_secret = FUZZ_SECRET;
	c->jwt_secret_len = strlen(FUZZ_SECRET);
	c->jwt_leeway = 60;
	c->jwt_user_claim = "sub";
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	set_hmac(&setups[SET_HS256], 1u << ALG_HS256);
	set_hmac(&setups[SET_HMAC_ISS_AUD], 1u << ALG_HS256 |
	    1u << ALG_HS384 | 1u << ALG_HS512);
	setups[SET_HMAC_ISS_AUD].jwt_issuer = "https://tenant.auth0.com/";
	setups[SET_HMAC_ISS_AUD].jwt_audience = "https://api.example/";
	set_hmac(&setups[SET_RS256], 1u << ALG_RS256 | 1u << ALG_HS256);
	setups[SET_RS256].jwt_public_key = (char *)rsa_public_pem;
	setups[SET_RS256].jwt_public_key_len = strlen(rsa_public_pem);
	set_hmac(&setups[SET_ES256], 1u << ALG_ES256);
	setups[SET_ES256].jwt_public_key = (char *)ec_public_pem;
	setups[SET_ES256].jwt_public_key_len = strlen(ec_public_pem);
	set_hmac(&setups[SET_CLAIM], 1u << ALG_HS512);
	setups[SET_CLAIM].jwt_leeway = 0;
	setups[SET_CLAIM].jwt_user_claim = "https://example/uid";
	return 0;
}

/* Append the unpadded base64url form of in (len bytes) at out; returns
   the characters written (4 * len / 3 + 2 at most). */
static size_t
b64url(char *out, const unsigned char *in, size_t len)
{
	static const char	abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t			i, n = 0;
	unsigned long		v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned long)in[i] << 16 | in[i + 1] << 8 | in[i + 2];
		out[n++] = abc[v >> 18 & 63];
		out[n++] = abc[v >> 12 & 63];
		out[n++] = abc[v >> 6 & 63];
		out[n++] = abc[v & 63];
	}
	if (len - i == 1) {
		out[n++] = abc[in[i] >> 2];
		out[n++] = abc[(in[i] & 3) << 4];
	} else if (len - i == 2) {
		v = (unsigned long)in[i] << 8 | in[i + 1];
		out[n++] = abc[v >> 10 & 63];
		out[n++] = abc[v >> 4 & 63];
		out[n++] = abc[(v & 15) << 2];
	}
	return n;
}

/*
 * "Bearer " and the token of header and payload JSON (text, len bytes,
 * split at the first newline), HMAC-signed with the secret.  The caller
 * frees it.
 */
static char *
signed_header(const char *text, size_t len)
{
	const char	*nl = memchr(text, '\n', len), *digest = "SHA256";
	size_t		 hlen = nl ? (size_t)(nl - text) : len;
	size_t		 plen = nl ? len - hlen - 1 : 0, n, maclen;
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	char		*out;

	if ((out = malloc(7 + 2 * (len + 4) + 2 * EVP_MAX_MD_SIZE + 4)) ==
	    NULL)
		abort();
	if (memmem(text, hlen, "HS384", 5) != NULL)
		digest = "SHA384";
	else if (memmem(text, hlen, "HS512", 5) != NULL)
		digest = "SHA512";
	memcpy(out, "Bearer ", 7);
	n = 7;
	n += b64url(out + n, (const unsigned char *)text, hlen);
	out[n++] = '.';
	n += b64url(out + n, (const unsigned char *)(nl ? nl + 1 : ""), plen);
	if (EVP_Q_mac(NULL, "HMAC", NULL, digest, NULL, FUZZ_SECRET,
	    strlen(FUZZ_SECRET), (const unsigned char *)out + 7, n - 7, mac,
	    sizeof(mac), &maclen) == NULL)
		abort();
	out[n++] = '.';
	n += b64url(out + n, mac, maclen);
	out[n] = '\0';
	return out;
}

/* One check and what every answer must look like. */
static enum auth_result
check(const char *header, time_t now, char user[USER_ID_MAX + 1])
{
	enum auth_result	 r;
	const char		*why = (const char *)1;

	r = auth_check(header, now, user, &why);
	FUZZ_CHECK(r < AUTH__MAX);
	if (r == AUTH_OK)
		FUZZ_CHECK(why == NULL && user[0] != '\0' &&
		    strlen(user) <= USER_ID_MAX);
	else
		FUZZ_CHECK(why != NULL && why != (const char *)1 &&
		    user[0] == '\0');
	return r;
}

/* At each probe time, the cached answer is the answer of a fresh check. */
static void
check_cache(const char *header)
{
	char			 cached[USER_ID_MAX + 1], fresh[USER_ID_MAX + 1];
	enum auth_result	 a, b;
	size_t			 i;

	(void)check(header, NOW, fresh);
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		a = check(header, probes[i], cached);
		tokcache_clear();
		b = check(header, probes[i], fresh);
		FUZZ_CHECK(a == b && strcmp(cached, fresh) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char		 err[256];
	char		*header;
	unsigned	 set;

	if (len < 2)
		return 0;
	set = data[0] >= '0' && data[0] < '0' + SET__MAX ?
	    (unsigned)(data[0] - '0') : data[0] % SET__MAX;
	FUZZ_CHECK(auth_init(&setups[set], err, sizeof(err)) == 0);
	if (data[1] == 's')
		header = signed_header((const char *)data + 2, len - 2);
	else
		header = fuzz_strndup(data + 2, len - 2);
	check_cache(header);
	auth_free();
	free(header);
	return 0;
}
