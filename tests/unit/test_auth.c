/*
 * test_auth.c: auth_init() and auth_check() against tokens minted here with
 * libjwt and keys made here with OpenSSL (no files).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <jwt.h>

#include "alg.h"
#include "auth.h"
#include "config.h"
#include "jwk.h"
#include "tap.h"

#define NOW	((time_t)1700000000)
#define SECRET	"a-test-secret-of-thirty-two-byte"

static struct config	 cfg;
static char		*rsa_priv, *rsa_pub, *ec_priv, *ec_pub, *ec384_pub;

/* Make the test keys: RSA 2048, EC P-256 and EC P-384 (jwk.h). */
static void
make_keys(void)
{
	EVP_PKEY	*rsa = tk_rsa(2048), *ec = tk_ec("P-256");
	EVP_PKEY	*ec384 = tk_ec("P-384");

	rsa_priv = tk_pem(rsa, 1);
	rsa_pub = tk_pem(rsa, 0);
	ec_priv = tk_pem(ec, 1);
	ec_pub = tk_pem(ec, 0);
	ec384_pub = tk_pem(ec384, 0);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ec384);
}

/* Reset cfg to: the given algorithms, the HMAC secret, the RSA key. */
static void
set_config(unsigned algs, const char *public_key)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.jwt_algs = algs;
	cfg.jwt_secret = SECRET;
	cfg.jwt_secret_len = strlen(SECRET);
	cfg.jwt_public_key = (char *)public_key;
	cfg.jwt_public_key_len = public_key ? strlen(public_key) : 0;
	cfg.jwt_leeway = 60;
	cfg.jwt_user_claim = "sub";
}

/* cfg_check() and auth_init() on cfg, as main.c does; prints the error as a TAP comment. */
static int
init(void)
{
	char	err[256] = "";
	int	rc;

	rc = cfg_check(&cfg, err, sizeof(err));
	if (rc == 0)
		rc = auth_init(&cfg, err, sizeof(err));
	if (rc == -1)
		printf("# init: %s\n", err);
	return rc;
}

/* A token with claims (a JSON object) signed by alg with key. */
static char *
mint(jwt_alg_t alg, const char *key, const char *claims)
{
	jwt_t	*jwt;
	char	*tok;

	if (jwt_new(&jwt) != 0 || jwt_add_grants_json(jwt, claims) != 0 ||
	    jwt_set_alg(jwt, alg, (const unsigned char *)key,
	    key ? (int)strlen(key) : 0) != 0 || (tok = jwt_encode_str(jwt)) == NULL)
		abort();
	jwt_free(jwt);
	return tok;
}

/* A token built by hand, HS256-signed with secret (or unsigned if NULL). */
static char *
hand(const char *header, const char *payload, const char *secret)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen;
	char		*tok;

	if ((tok = calloc(1, 4 * (strlen(header) + strlen(payload)) + 200)) == NULL)
		abort();
	tk_b64(tok, header, strlen(header), 1);
	strcat(tok, ".");
	tk_b64(tok, payload, strlen(payload), 1);
	strcat(tok, ".");
	if (secret == NULL)
		return tok;
	if (HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (unsigned char *)tok, strlen(tok) - 1, mac, &maclen) == NULL)
		abort();
	tk_b64(tok, mac, maclen, 1);
	return tok;
}

static char		 user[USER_ID_MAX + 1];
static const char	*why;

/* auth_check() of "Bearer tok" at now; frees tok. */
static enum auth_result
check_at(char *tok, time_t now)
{
	enum auth_result	 res;
	char			*hdr;

	if ((hdr = malloc(strlen(tok) + 8)) == NULL)
		abort();
	strcpy(hdr, "Bearer ");
	strcat(hdr, tok);
	res = auth_check(hdr, now, user, &why);
	if (res != AUTH_OK)
		printf("# refused: %s\n", why ? why : "(null)");
	free(hdr);
	free(tok);
	return res;
}

static enum auth_result
check(char *tok)
{
	return check_at(tok, NOW);
}

/* A check that must be refused as invalid, with a reason. */
static int
invalid(char *tok)
{
	return check(tok) == AUTH_INVALID && why != NULL && user[0] == '\0';
}

#define CLAIMS	"{\"sub\":\"auth0|alice\",\"exp\":1700000600"
#define HS(c)	mint(JWT_ALG_HS256, SECRET, c)

static void
test_header(void)
{
	ok(auth_check(NULL, NOW, user, &why) == AUTH_NO_TOKEN, "no header");
	ok(auth_check("", NOW, user, &why) == AUTH_NO_TOKEN, "empty header");
	ok(auth_check("Basic eHl6", NOW, user, &why) == AUTH_NO_TOKEN,
	    "Basic scheme");
	ok(auth_check("Bearer", NOW, user, &why) == AUTH_NO_TOKEN,
	    "Bearer alone");
	ok(auth_check("Bearer   \t ", NOW, user, &why) == AUTH_NO_TOKEN,
	    "Bearer and blanks");
	ok(auth_check("Bearerabc.def.ghi", NOW, user, &why) == AUTH_NO_TOKEN,
	    "Bearer glued to the token");
	ok(auth_check("Bearer abc", NOW, user, &why) == AUTH_INVALID,
	    "one segment");
}

static void
test_valid(void)
{
	char	*tok, *hdr;

	ok(check(HS(CLAIMS "}")) == AUTH_OK && strcmp(user, "auth0|alice") == 0
	    && why == NULL, "valid HS256, user returned");
	tok = HS(CLAIMS "}");
	if ((hdr = malloc(strlen(tok) + 16)) == NULL)
		abort();
	snprintf(hdr, strlen(tok) + 16, "bearer   %s  \t", tok);
	ok(auth_check(hdr, NOW, user, &why) == AUTH_OK &&
	    strcmp(user, "auth0|alice") == 0,
	    "lower-case bearer, several spaces, trailing blanks");
	free(hdr);
	free(tok);
	set_config(1u << ALG_RS256, rsa_pub);
	ok(init() == 0, "init RS256");
	ok(check(mint(JWT_ALG_RS256, rsa_priv, CLAIMS "}")) == AUTH_OK &&
	    strcmp(user, "auth0|alice") == 0, "valid RS256");
	ok(check(mint(JWT_ALG_RS384, rsa_priv, CLAIMS "}")) == AUTH_INVALID,
	    "RS384 token when only RS256 allowed");
	set_config(1u << ALG_ES256, ec_pub);
	ok(init() == 0, "init ES256");
	ok(check(mint(JWT_ALG_ES256, ec_priv, CLAIMS "}")) == AUTH_OK &&
	    strcmp(user, "auth0|alice") == 0, "valid ES256");
	set_config(1u << ALG_HS256, NULL);
	ok(init() == 0, "init HS256");
}

static void
test_times(void)
{
	ok(invalid(HS("{\"sub\":\"a\",\"exp\":1699999000}")), "expired");
	ok(check(HS("{\"sub\":\"a\",\"exp\":1699999950}")) == AUTH_OK,
	    "expired 50 s ago, within leeway");
	ok(invalid(HS("{\"sub\":\"a\",\"exp\":1699999939}")),
	    "expired 61 s ago, beyond leeway");
	ok(check(HS("{\"sub\":\"a\",\"exp\":1699999940}")) == AUTH_OK,
	    "expired exactly leeway ago");
	ok(invalid(HS("{\"sub\":\"a\"}")), "missing exp");
	ok(invalid(HS("{\"sub\":\"a\",\"exp\":1.9e9}")), "exp 1.9e9");
	ok(invalid(HS("{\"sub\":\"a\",\"exp\":\"1900000000\"}")), "exp string");
	ok(invalid(HS("{\"sub\":\"a\",\"exp\":true}")), "exp true");
	ok(invalid(HS("{\"sub\":\"a\",\"exp\":null}")), "exp null");
	ok(invalid(HS("{\"sub\":\"a\",\"exp\":0}")), "exp 0");
	ok(invalid(HS("{\"sub\":\"a\",\"exp\":-5}")), "exp negative");
	ok(check(HS("{\"sub\":\"a\",\"exp\":9223372036854775807}")) == AUTH_OK,
	    "exp LLONG_MAX (no overflow)");
	ok(invalid(HS(CLAIMS ",\"nbf\":1700000100}")), "nbf in the future");
	ok(check(HS(CLAIMS ",\"nbf\":1700000030}")) == AUTH_OK,
	    "nbf ahead within leeway");
	ok(check(HS(CLAIMS ",\"nbf\":1699990000}")) == AUTH_OK, "nbf past");
	ok(invalid(HS(CLAIMS ",\"nbf\":1.5}")), "nbf not an integer");
	ok(invalid(HS(CLAIMS ",\"nbf\":\"1\"}")), "nbf string");
}

static void
test_iss_aud(void)
{
	cfg.jwt_issuer = "https://tenant.auth0.com/";
	ok(init() == 0, "init with issuer");
	ok(check(HS(CLAIMS ",\"iss\":\"https://tenant.auth0.com/\"}")) ==
	    AUTH_OK, "right iss");
	ok(invalid(HS(CLAIMS ",\"iss\":\"https://tenant.auth0.com\"}")),
	    "wrong iss (no slash)");
	ok(invalid(HS(CLAIMS "}")), "missing iss");
	ok(invalid(HS(CLAIMS ",\"iss\":[\"https://tenant.auth0.com/\"]}")),
	    "iss as array");
	cfg.jwt_issuer = NULL;
	cfg.jwt_audience = "https://api.example/";
	ok(init() == 0, "init with audience");
	ok(check(HS(CLAIMS ",\"aud\":\"https://api.example/\"}")) == AUTH_OK,
	    "aud string right");
	ok(invalid(HS(CLAIMS ",\"aud\":\"https://other/\"}")), "aud string wrong");
	ok(check(HS(CLAIMS ",\"aud\":[\"https://x/userinfo\","
	    "\"https://api.example/\"]}")) == AUTH_OK, "aud array containing");
	ok(invalid(HS(CLAIMS ",\"aud\":[\"https://x/userinfo\",\"b\"]}")),
	    "aud array not containing");
	ok(invalid(HS(CLAIMS ",\"aud\":[]}")), "aud empty array");
	ok(invalid(HS(CLAIMS ",\"aud\":42}")), "aud number");
	ok(invalid(HS(CLAIMS "}")), "aud missing");
	cfg.jwt_audience = NULL;
	ok(init() == 0, "init plain HS256");
	ok(check(HS(CLAIMS ",\"aud\":\"whatever\"}")) == AUTH_OK,
	    "aud ignored when not configured");
}

static void
test_alg(void)
{
	char	*tok;

	ok(invalid(hand("{\"alg\":\"none\"}", CLAIMS "}", NULL)), "alg none");
	ok(invalid(hand("{\"alg\":\"none\",\"typ\":\"JWT\"}", CLAIMS "}", "x")),
	    "alg none with a signature");
	ok(invalid(mint(JWT_ALG_HS384, SECRET, CLAIMS "}")),
	    "HS384 token when only HS256 allowed");
	ok(check(hand("{\"typ\":\"JWT\",\"alg\":\"HS256\"}", CLAIMS "}", SECRET))
	    == AUTH_OK, "hand-built HS256 token (control)");
	ok(invalid(hand("{\"alg\":\"hs256\"}", CLAIMS "}", SECRET)),
	    "alg in lower case");
	ok(invalid(hand("{\"alg\":\"HS256\",\"alg\":\"HS256\"}", CLAIMS "}",
	    SECRET)), "alg twice");
	ok(invalid(hand("{\"\\u0061lg\":\"HS256\"}", CLAIMS "}", SECRET)),
	    "escaped member name");
	ok(invalid(hand("{\"alg\":\"HS\\u0032\\u0035\\u0036\"}", CLAIMS "}",
	    SECRET)), "escaped alg value");
	ok(invalid(hand("{\"alg\":256}", CLAIMS "}", SECRET)), "alg a number");
	ok(invalid(hand("{\"typ\":\"JWT\"}", CLAIMS "}", SECRET)), "no alg");
	ok(check(hand("{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}", CLAIMS "}",
	    SECRET)) == AUTH_OK, "typ at+jwt (RFC 9068)");
	ok(check(hand("{\"alg\":\"HS256\",\"typ\":\"AT+JWT\"}", CLAIMS "}",
	    SECRET)) == AUTH_OK, "typ AT+JWT, any case");
	ok(check(hand("{\"alg\":\"HS256\",\"typ\":\"application/at+jwt\"}",
	    CLAIMS "}", SECRET)) == AUTH_OK, "typ application/at+jwt");
	ok(invalid(hand("{\"alg\":\"HS256\",\"typ\":\"JOSE\"}", CLAIMS "}",
	    SECRET)), "typ JOSE");
	ok(invalid(hand("{\"alg\":\"HS256\",\"typ\":\"at+jwtx\"}", CLAIMS "}",
	    SECRET)), "typ at+jwtx");
	ok(invalid(hand("{\"alg\":\"HS256\",\"typ\":7}", CLAIMS "}",
	    SECRET)), "typ a number");
	ok(invalid(hand("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", CLAIMS "}",
	    SECRET)), "crit header (an extension not understood)");
	ok(check(hand("{\"alg\":\"HS256\",\"kid\":{\"a\":[1,\"}\",{}]}}",
	    CLAIMS "}", SECRET)) == AUTH_OK, "nested header member skipped");
	ok(invalid(hand("[\"alg\",\"HS256\"]", CLAIMS "}", SECRET)),
	    "header not an object");
	ok(invalid(hand("{\"alg\":\"HS256\"} x", CLAIMS "}", SECRET)),
	    "junk after the header");
	ok(invalid(hand("{\"alg\":\"HS256\"", CLAIMS "}", SECRET)),
	    "header unterminated");
	ok(invalid(hand("{\"alg\":\"HS256\"}", CLAIMS, SECRET)),
	    "payload not JSON");

	/* Algorithm confusion: the PEM used as an HMAC secret. */
	set_config(1u << ALG_RS256, rsa_pub);
	ok(init() == 0, "init RS256");
	ok(invalid(mint(JWT_ALG_HS256, rsa_pub, CLAIMS "}")),
	    "HS256 signed with the RSA PEM, only RS256 allowed");
	set_config(1u << ALG_HS256 | 1u << ALG_RS256, rsa_pub);
	ok(init() == 0, "init HS256+RS256");
	ok(invalid(mint(JWT_ALG_HS256, rsa_pub, CLAIMS "}")),
	    "HS256 signed with the RSA PEM, HS256 and RS256 allowed");
	ok(check(mint(JWT_ALG_HS256, SECRET, CLAIMS "}")) == AUTH_OK,
	    "HS256 with the secret, HS256 and RS256 allowed");
	ok(check(mint(JWT_ALG_RS256, rsa_priv, CLAIMS "}")) == AUTH_OK,
	    "RS256, HS256 and RS256 allowed");
	tok = mint(JWT_ALG_RS256, rsa_priv, CLAIMS "}");
	set_config(1u << ALG_HS256, NULL);
	ok(init() == 0, "init HS256");
	ok(invalid(tok), "RS256 token when only HS256 allowed");
}

/* Replace character i of tok by one that differs, as base64url. */
static char *
flip(char *tok, size_t i)
{
	tok[i] = tok[i] == 'A' ? 'B' : 'A';
	return tok;
}

/* Append s to the malloc'd tok. */
static char *
append(char *tok, const char *s)
{
	if ((tok = realloc(tok, strlen(tok) + strlen(s) + 1)) == NULL)
		abort();
	return strcat(tok, s);
}

static void
test_tamper(void)
{
	char	*tok, *claims, *dot;
	size_t	 n;

	tok = HS(CLAIMS "}");
	ok(invalid(flip(tok, strlen(tok) - 2)), "tampered signature");
	tok = HS(CLAIMS "}");
	dot = strchr(tok, '.');
	ok(invalid(flip(tok, (size_t)(dot - tok) + 3)), "tampered payload");
	tok = HS(CLAIMS "}");
	*strrchr(tok, '.') = '\0';
	ok(invalid(tok), "two segments");
	ok(invalid(append(HS(CLAIMS "}"), ".")), "four segments");
	ok(invalid(append(HS(CLAIMS "}"), ".x")), "four segments, last not empty");
	tok = HS(CLAIMS "}");
	*strchr(tok, '.') = '*';
	ok(invalid(tok), "bad base64 character");
	tok = HS(CLAIMS "}");
	*strrchr(tok, '.') = '\0';
	tok = append(tok, ".abcde");
	ok(invalid(tok), "signature of impossible length");
	ok(invalid(strdup("..")), "empty segments");
	ok(invalid(strdup("garbage")), "garbage");
	ok(invalid(strdup("eyJhbGciOiJIUzI1NiJ9.e30.=")), "padding");

	/* Sizes: a little under the limit passes, over it is refused. */
	if ((claims = malloc(9000)) == NULL)
		abort();
	n = 5800;
	snprintf(claims, 9000, CLAIMS ",\"pad\":\"%0*d\"}", (int)n, 0);
	tok = HS(claims);
	printf("# token of %zu bytes\n", strlen(tok));
	ok(strlen(tok) <= AUTH_TOKEN_MAX && check(tok) == AUTH_OK,
	    "token under 8192 bytes accepted");
	snprintf(claims, 9000, CLAIMS ",\"pad\":\"%0*d\"}", (int)n + 400, 0);
	tok = HS(claims);
	ok(strlen(tok) > AUTH_TOKEN_MAX && invalid(tok),
	    "token over 8192 bytes refused");
	free(claims);
}

static void
test_user(void)
{
	char	claims[600];

	ok(invalid(HS("{\"exp\":1700000600}")), "missing user claim");
	ok(invalid(HS("{\"sub\":\"\",\"exp\":1700000600}")), "empty user claim");
	ok(invalid(HS("{\"sub\":42,\"exp\":1700000600}")), "user claim a number");
	snprintf(claims, sizeof(claims), "{\"sub\":\"%0*d\",\"exp\":1700000600}",
	    USER_ID_MAX, 0);
	ok(check(HS(claims)) == AUTH_OK && strlen(user) == USER_ID_MAX,
	    "user claim of USER_ID_MAX bytes");
	snprintf(claims, sizeof(claims), "{\"sub\":\"%0*d\",\"exp\":1700000600}",
	    USER_ID_MAX + 1, 0);
	ok(invalid(HS(claims)), "user claim too long");
	cfg.jwt_user_claim = "https://example/uid";
	ok(init() == 0, "init custom user claim");
	ok(check(HS("{\"sub\":\"no\",\"https://example/uid\":\"u-7\","
	    "\"exp\":1700000600}")) == AUTH_OK && strcmp(user, "u-7") == 0,
	    "custom user claim");
	ok(invalid(HS(CLAIMS "}")), "custom user claim missing");
	cfg.jwt_user_claim = "sub";
	ok(init() == 0, "init sub again");
}

static void
test_init(void)
{
	set_config(1u << ALG_HS256, NULL);
	cfg.jwt_secret = NULL;
	cfg.jwt_secret_len = 0;
	ok(init() == -1, "HS256 without a secret");
	cfg.jwt_secret = "";
	ok(init() == -1, "HS256 with an empty secret");
	ok(auth_check("Bearer a.b.c", NOW, user, &why) == AUTH_INVALID,
	    "check after a failed init refuses");
	set_config(1u << ALG_RS256, NULL);
	ok(init() == -1, "RS256 without a key");
	set_config(1u << ALG_RS256, ec_pub);
	ok(init() == -1, "RS256 with an EC key");
	set_config(1u << ALG_ES256, rsa_pub);
	ok(init() == -1, "ES256 with an RSA key");
	set_config(1u << ALG_ES384, ec_pub);
	ok(init() == -1, "ES384 with a P-256 key");
	set_config(1u << ALG_ES384, ec384_pub);
	ok(init() == 0, "ES384 with a P-384 key");
	set_config(1u << ALG_ES512, ec384_pub);
	ok(init() == -1, "ES512 with a P-384 key");
	set_config(1u << ALG_RS256 | 1u << ALG_ES256, rsa_pub);
	ok(init() == -1, "RS256 and ES256 with one RSA key");
	set_config(1u << ALG_RS256, "-----BEGIN PUBLIC KEY-----\ngarbage\n"
	    "-----END PUBLIC KEY-----\n");
	ok(init() == -1, "garbage PEM");
	set_config(1u << ALG_RS256, rsa_priv);
	ok(init() == -1, "private key PEM");
	set_config(0, NULL);
	ok(init() == -1, "no algorithm");
	set_config(1u << ALG__MAX, NULL);
	ok(init() == -1, "unknown algorithm bit");
	set_config(1u << ALG_HS256, NULL);
	cfg.jwt_leeway = -1;
	ok(init() == -1, "negative leeway");
	set_config(1u << ALG_HS256, NULL);
	cfg.jwt_issuer = "";
	ok(init() == -1, "empty issuer");
	set_config(1u << ALG_HS256, NULL);
	ok(init() == 0, "HS256 with a secret");
}

static char	jwks_dir[] = "/tmp/test_auth.XXXXXX", jwks_path[64];

/* Write the key set file as a fetcher does: a new file renamed over it. */
static void
write_jwks(char *text)
{
	char	tmp[80];
	FILE	*fp;

	snprintf(tmp, sizeof(tmp), "%s.new", jwks_path);
	if ((fp = fopen(tmp, "w")) == NULL || fputs(text, fp) == EOF ||
	    fclose(fp) != 0 || rename(tmp, jwks_path) != 0)
		abort();
	free(text);
}

/* {"keys":[JWK of a with kid ka, JWK of b with kid kb]}; b may be NULL. */
static char *
jwks2(EVP_PKEY *a, const char *ka, EVP_PKEY *b, const char *kb)
{
	char	ea[64], eb[64], *ja, *jb = NULL;

	snprintf(ea, sizeof(ea), ",\"kid\":\"%s\"", ka);
	snprintf(eb, sizeof(eb), ",\"kid\":\"%s\"", kb ? kb : "");
	ja = tk_jwk(a, ea);
	if (b != NULL)
		jb = tk_jwk(b, eb);
	return tk_set(ja, jb);
}

/* A token of k by alg with kid (NULL: none) and typ (NULL: none). */
static char *
signed_by(EVP_PKEY *k, const char *alg, const char *kid, const char *typ)
{
	char	h[200];

	snprintf(h, sizeof(h), "{\"alg\":\"%s\"%s%s%s%s%s%s}", alg,
	    kid ? ",\"kid\":\"" : "", kid ? kid : "", kid ? "\"" : "",
	    typ ? ",\"typ\":\"" : "", typ ? typ : "", typ ? "\"" : "");
	return tk_sign(k, alg, h, CLAIMS "}");
}

/* A configuration of RS256 and ES256 from the key set file alone. */
static void
set_jwks_config(void)
{
	set_config(1u << ALG_RS256 | 1u << ALG_ES256, NULL);
	cfg.jwt_secret = NULL;
	cfg.jwt_secret_len = 0;
	cfg.jwt_jwks_file = jwks_path;
}

static void
test_jwks_choice(EVP_PKEY *r1, EVP_PKEY *r2, EVP_PKEY *e1)
{
	write_jwks(jwks2(r1, "r1", e1, "e1"));
	set_jwks_config();
	ok(init() == 0, "init with a key set of an RSA and an EC key");
	ok(check(signed_by(r1, "RS256", "r1", "JWT")) == AUTH_OK,
	    "RS256 with kid");
	ok(check(signed_by(e1, "ES256", "e1", NULL)) == AUTH_OK,
	    "ES256 with kid");
	ok(check(signed_by(r1, "RS256", "r1", "at+jwt")) == AUTH_OK,
	    "RS256 with kid, typ at+jwt");
	ok(invalid(signed_by(r1, "RS256", "zz", NULL)), "unknown kid");
	ok(invalid(signed_by(r1, "RS256", "e1", NULL)),
	    "RS256 token naming the EC key");
	ok(invalid(signed_by(r2, "RS256", "r1", NULL)),
	    "signed by another key than its kid's");
	ok(check(signed_by(r1, "RS256", NULL, NULL)) == AUTH_OK,
	    "no kid, one key fits RS256");
	ok(check(signed_by(e1, "ES256", NULL, NULL)) == AUTH_OK,
	    "no kid, one key fits ES256");
	ok(invalid(signed_by(r1, "RS384", "r1", NULL)),
	    "RS384 not allowed though the key could");
	write_jwks(jwks2(r1, "r1", r2, "r2"));
	ok(init() == -1, "ES256 allowed but no EC key in the set");
	cfg.jwt_algs = 1u << ALG_RS256;
	ok(init() == 0, "two RSA keys");
	ok(invalid(signed_by(r1, "RS256", NULL, NULL)),
	    "no kid, two keys fit: refused");
	ok(check(signed_by(r2, "RS256", "r2", NULL)) == AUTH_OK,
	    "kid r2 of two");
}

/* A key set of one 1024-bit RSA key. */
static char *
keys_1024(void)
{
	EVP_PKEY	*k = tk_rsa(1024);
	char		*j = jwks2(k, "small", NULL, NULL);

	EVP_PKEY_free(k);
	return j;
}

static void
test_jwks_reload(EVP_PKEY *r1, EVP_PKEY *r2)
{
	char	*tok = signed_by(r1, "RS256", "r1", NULL);

	write_jwks(jwks2(r1, "r1", NULL, NULL));
	set_jwks_config();
	cfg.jwt_algs = 1u << ALG_RS256;
	ok(init() == 0, "init with key r1");
	ok(check_at(strdup(tok), NOW) == AUTH_OK, "r1 token (now cached)");
	write_jwks(jwks2(r2, "r2", NULL, NULL));
	ok(check_at(strdup(tok), NOW) == AUTH_OK,
	    "within the same second the file is not looked at");
	ok(check_at(strdup(tok), NOW + 1) == AUTH_INVALID,
	    "a second later: r1 gone, its cached token refused");
	ok(check_at(signed_by(r2, "RS256", "r2", NULL), NOW + 1) == AUTH_OK,
	    "r2 in use without a restart");
	write_jwks(strdup("{\"keys\":["));
	ok(check_at(signed_by(r2, "RS256", "r2", NULL), NOW + 2) == AUTH_OK,
	    "a key set that does not parse: r2 kept");
	write_jwks(keys_1024());
	ok(check_at(signed_by(r2, "RS256", "r2", NULL), NOW + 3) == AUTH_OK,
	    "a key set with a 1024-bit key: r2 kept");
	if (unlink(jwks_path) != 0)
		abort();
	ok(check_at(signed_by(r2, "RS256", "r2", NULL), NOW + 4) == AUTH_OK,
	    "the file removed: r2 kept");
	write_jwks(jwks2(r1, "r1", NULL, NULL));
	ok(check_at(strdup(tok), NOW + 5) == AUTH_OK &&
	    check_at(signed_by(r2, "RS256", "r2", NULL), NOW + 5) ==
	    AUTH_INVALID, "a good file again: r1 back, r2 gone");
	free(tok);
}

static void
test_jwks_pem(EVP_PKEY *r1, EVP_PKEY *r2)
{
	char	*cert = tk_pem(r2, 2), *line = NULL;
	size_t	 len = 0;
	FILE	*fp;

	write_jwks(jwks2(r1, "r1", NULL, NULL));
	set_jwks_config();
	cfg.jwt_algs = 1u << ALG_RS256;
	cfg.jwt_public_key = cert;
	cfg.jwt_public_key_len = strlen(cert);
	ok(init() == 0, "init with a certificate PEM and a key set");
	ok(check(signed_by(r2, "RS256", NULL, NULL)) == AUTH_OK,
	    "no kid: the certificate's key");
	ok(invalid(signed_by(r1, "RS256", NULL, NULL)),
	    "no kid: not the set's key");
	ok(check(signed_by(r1, "RS256", "r1", NULL)) == AUTH_OK,
	    "kid: the set's key");
	ok(invalid(signed_by(r2, "RS256", "r2", NULL)),
	    "kid not in the set, though the PEM key signed it");
	if ((fp = open_memstream(&line, &len)) == NULL)
		abort();
	auth_report(fp);
	fclose(fp);
	printf("# %s", line);
	ok(strstr(line, "PRODREC_JWT_PUBLIC_KEY_FILE: key without kid, RSA "
	    "2048 bits") != NULL && strstr(line, "PRODREC_JWT_JWKS_FILE: key "
	    "kid \"r1\", RSA 2048 bits") != NULL, "report names both keys");
	free(line);
	cfg.jwt_jwks_file = NULL;
	ok(init() == 0 && check(signed_by(r2, "RS256", "any", NULL)) ==
	    AUTH_OK, "certificate alone: a kid is not looked at");
	cfg.jwt_jwks_file = "/nonexistent/jwks.json";
	ok(init() == -1, "a key set file that does not exist");
	free(cert);
}

static void
test_jwks(void)
{
	EVP_PKEY	*r1 = tk_rsa(2048), *r2 = tk_rsa(2048), *e1 = tk_ec("P-256");

	if (mkdtemp(jwks_dir) == NULL)
		abort();
	snprintf(jwks_path, sizeof(jwks_path), "%s/jwks.json", jwks_dir);
	test_jwks_choice(r1, r2, e1);
	test_jwks_reload(r1, r2);
	test_jwks_pem(r1, r2);
	unlink(jwks_path);
	rmdir(jwks_dir);
	EVP_PKEY_free(r1);
	EVP_PKEY_free(r2);
	EVP_PKEY_free(e1);
	set_config(1u << ALG_HS256, NULL);
	ok(init() == 0, "HS256 again");
}

int
main(void)
{
	make_keys();
	test_init();
	test_header();
	test_valid();
	test_times();
	test_iss_aud();
	test_alg();
	test_tamper();
	test_user();
	test_jwks();
	auth_free();
	ok(check(HS(CLAIMS "}")) == AUTH_INVALID, "refused after auth_free");
	free(rsa_priv);
	free(rsa_pub);
	free(ec_priv);
	free(ec_pub);
	free(ec384_pub);
	return done_testing();
}
