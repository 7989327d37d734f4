/*
 * auth.c: bearer token -> user id.  The only user of libjwt and OpenSSL
 * (with its token cache, tokcache.c); CONTRACT section 2 is the rule book.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/pem.h>

#include <jwt.h>

#include "auth.h"
#include "json.h"
#include "tokcache.h"

#define HEADER_JSON_MAX	((AUTH_TOKEN_MAX / 4) * 3)	/* decoded header bound */
#define HEADER_DEPTH_MAX	8	/* nesting accepted inside the header */
#define RSA_BITS_MIN		2048	/* smaller RSA keys are refused */

enum alg_family {
	FAM_HMAC,		/* key: the shared secret */
	FAM_RSA,		/* key: the PEM public key, type RSA */
	FAM_EC			/* key: the PEM public key, type EC */
};

/* One row per enum cfg_alg, in its order. */
static const struct alg_info {
	const char	*name;		/* the header's "alg", exact case */
	jwt_alg_t	 jwt_alg;	/* what jwt_get_alg() reports */
	enum alg_family	 family;
	int		 curve;		/* FAM_EC: the NID the key must use */
	size_t		 secret_min;	/* FAM_HMAC: bytes of the hash, the
					   shortest secret (RFC 7518 3.2) */
} algs[ALG__MAX] = {
	[ALG_HS256] = { "HS256", JWT_ALG_HS256, FAM_HMAC, NID_undef, 32 },
	[ALG_HS384] = { "HS384", JWT_ALG_HS384, FAM_HMAC, NID_undef, 48 },
	[ALG_HS512] = { "HS512", JWT_ALG_HS512, FAM_HMAC, NID_undef, 64 },
	[ALG_RS256] = { "RS256", JWT_ALG_RS256, FAM_RSA, NID_undef, 0 },
	[ALG_RS384] = { "RS384", JWT_ALG_RS384, FAM_RSA, NID_undef, 0 },
	[ALG_RS512] = { "RS512", JWT_ALG_RS512, FAM_RSA, NID_undef, 0 },
	[ALG_ES256] = { "ES256", JWT_ALG_ES256, FAM_EC, NID_X9_62_prime256v1, 0 },
	[ALG_ES384] = { "ES384", JWT_ALG_ES384, FAM_EC, NID_secp384r1, 0 },
	[ALG_ES512] = { "ES512", JWT_ALG_ES512, FAM_EC, NID_secp521r1, 0 },
};

/* What auth_init() keeps; the strings belong to the caller's config. */
static struct {
	const struct config	*cfg;		/* NULL until auth_init() succeeds */
	const char		*user_claim;	/* cfg's, or "sub" */
	EVP_MAC_CTX		*hmac[3];	/* HS256/384/512 keyed with the
						   secret, made on first use */
} auth;

static const char *const hmac_digest[3] = { "SHA256", "SHA384", "SHA512" };

/* A cursor over the decoded token header. */
struct scan {
	const char	*p;
	const char	*end;
};

/* The two header members this module looks at. */
struct jose {
	const char	*alg;		/* points into the decoded header, or NULL */
	size_t		 alg_len;
	const char	*typ;		/* likewise */
	size_t		 typ_len;
};

/*
 * Check that the public key PEM in cfg holds a key that algorithm a can
 * use.  Returns 0, or -1 with one sentence in err.
 */
static int
check_public_key(const struct config *cfg, enum cfg_alg a, char *err,
    size_t errsz)
{
	const struct alg_info	*ai = &algs[a];
	BIO			*bio = NULL;
	EVP_PKEY		*pkey = NULL;
	char			 group[64];
	size_t			 grouplen;
	int			 type;

	if (cfg->jwt_public_key == NULL || cfg->jwt_public_key_len == 0) {
		snprintf(err, errsz, "PRODREC_JWT_ALGS allows %s, which needs "
		    "PRODREC_JWT_PUBLIC_KEY_FILE", ai->name);
		goto fail;
	}
	if (cfg->jwt_public_key_len > INT_MAX) {
		snprintf(err, errsz, "PRODREC_JWT_PUBLIC_KEY_FILE is too large");
		goto fail;
	}
	if ((bio = BIO_new_mem_buf(cfg->jwt_public_key,
	    (int)cfg->jwt_public_key_len)) == NULL) {
		snprintf(err, errsz, "out of memory reading the public key");
		goto fail;
	}
	if ((pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)) == NULL) {
		snprintf(err, errsz, "PRODREC_JWT_PUBLIC_KEY_FILE does not hold "
		    "a PEM public key (BEGIN PUBLIC KEY)");
		goto fail;
	}
	type = EVP_PKEY_get_base_id(pkey);
	if (ai->family == FAM_RSA && type != EVP_PKEY_RSA) {
		snprintf(err, errsz, "PRODREC_JWT_PUBLIC_KEY_FILE does not hold "
		    "an RSA public key, which %s needs", ai->name);
		goto fail;
	}
	if (ai->family == FAM_RSA && EVP_PKEY_get_bits(pkey) < RSA_BITS_MIN) {
		snprintf(err, errsz, "PRODREC_JWT_PUBLIC_KEY_FILE holds a "
		    "%d-bit RSA key; %s needs at least %d bits",
		    EVP_PKEY_get_bits(pkey), ai->name, RSA_BITS_MIN);
		goto fail;
	}
	if (ai->family == FAM_EC && type != EVP_PKEY_EC) {
		snprintf(err, errsz, "PRODREC_JWT_PUBLIC_KEY_FILE does not hold "
		    "an EC public key, which %s needs", ai->name);
		goto fail;
	}
	if (ai->family == FAM_EC && (EVP_PKEY_get_group_name(pkey, group,
	    sizeof(group), &grouplen) != 1 || OBJ_sn2nid(group) != ai->curve)) {
		snprintf(err, errsz, "PRODREC_JWT_PUBLIC_KEY_FILE holds an EC "
		    "key on a curve other than %s, which %s needs",
		    OBJ_nid2sn(ai->curve), ai->name);
		goto fail;
	}
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	return 0;
fail:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	return -1;
}

/*
 * Check the token settings of cfg once, at start, and keep a pointer to
 * cfg (which must outlive this module's use).  Returns 0, or -1 with one
 * sentence in err.
 */
int
auth_init(const struct config *cfg, char *err, size_t errsz)
{
	enum cfg_alg	a;

	auth.cfg = NULL;
	if (cfg == NULL) {
		snprintf(err, errsz, "no configuration");
		return -1;
	}
	if (cfg->jwt_algs == 0 || (cfg->jwt_algs >> ALG__MAX) != 0) {
		snprintf(err, errsz, "PRODREC_JWT_ALGS names no usable algorithm");
		return -1;
	}
	for (a = 0; a < ALG__MAX; a++) {
		if ((cfg->jwt_algs & (1u << a)) == 0)
			continue;
		if (algs[a].family != FAM_HMAC) {
			if (check_public_key(cfg, a, err, errsz) == -1)
				return -1;
			continue;
		}
		if (cfg->jwt_secret == NULL || cfg->jwt_secret_len == 0) {
			snprintf(err, errsz, "PRODREC_JWT_ALGS allows %s, which "
			    "needs PRODREC_JWT_SECRET or PRODREC_JWT_SECRET_FILE",
			    algs[a].name);
			return -1;
		}
		if (cfg->jwt_secret_len > INT_MAX) {
			snprintf(err, errsz, "the PRODREC_JWT_SECRET is too long");
			return -1;
		}
		if (cfg->jwt_secret_len < algs[a].secret_min) {
			snprintf(err, errsz, "PRODREC_JWT_ALGS allows %s, whose "
			    "secret must be at least %zu bytes (RFC 7518 3.2); "
			    "the one given has %zu", algs[a].name,
			    algs[a].secret_min, cfg->jwt_secret_len);
			return -1;
		}
	}
	if (cfg->jwt_leeway < 0) {
		snprintf(err, errsz, "PRODREC_JWT_LEEWAY must not be negative");
		return -1;
	}
	if ((cfg->jwt_issuer != NULL && cfg->jwt_issuer[0] == '\0') ||
	    (cfg->jwt_audience != NULL && cfg->jwt_audience[0] == '\0') ||
	    (cfg->jwt_user_claim != NULL && cfg->jwt_user_claim[0] == '\0')) {
		snprintf(err, errsz, "PRODREC_JWT_ISSUER, PRODREC_JWT_AUDIENCE "
		    "and PRODREC_JWT_USER_CLAIM must not be empty when set");
		return -1;
	}
	auth_free();
	auth.user_claim = cfg->jwt_user_claim != NULL ?
	    cfg->jwt_user_claim : "sub";
	auth.cfg = cfg;
	return 0;
}

/* Forget the configuration; auth_check() refuses every token afterwards. */
void
auth_free(void)
{
	int	i;

	auth.cfg = NULL;
	auth.user_claim = NULL;
	for (i = 0; i < 3; i++) {
		EVP_MAC_CTX_free(auth.hmac[i]);
		auth.hmac[i] = NULL;
	}
	tokcache_clear();
}

/*
 * Find the token in an Authorization header value: the scheme "Bearer"
 * (any case), one or more blanks, the token, optional trailing blanks.
 * Returns the token's length and sets *tok, or 0 when there is none.
 */
static size_t
bearer_token(const char *authorization, const char **tok)
{
	const char	*p = authorization, *end;

	if (p == NULL)
		return 0;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncasecmp(p, "Bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
		return 0;
	p += 6;
	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*tok = p;
	return (size_t)(end - p);
}

/* The value of base64url character c, or -1. */
static int
b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Check that tok is three non-empty unpadded base64url segments and return
 * the length of the first one, or 0 when it is malformed.
 */
static size_t
token_shape(const char *tok, size_t len)
{
	size_t	i, seg = 0, start = 0, first = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && tok[i] != '.') {
			if (b64url_value((unsigned char)tok[i]) == -1)
				return 0;
			continue;
		}
		/* A segment ends here: not empty, not a length b64 cannot have. */
		if (i == start || (i - start) % 4 == 1 || seg > 2)
			return 0;
		if (seg++ == 0)
			first = i;
		start = i + 1;
	}
	return seg == 3 ? first : 0;
}

/*
 * Decode len base64url characters of in into out (room for len * 3 / 4
 * bytes).  The characters were checked by token_shape().  Returns the
 * number of bytes written.
 */
static size_t
b64url_decode(const char *in, size_t len, char *out)
{
	unsigned long	bits = 0;
	size_t		i, n = 0;
	int		nbits = 0;

	for (i = 0; i < len; i++) {
		bits = ((bits << 6) |
		    (unsigned)b64url_value((unsigned char)in[i])) & 0xffff;
		nbits += 6;
		if (nbits >= 8) {
			nbits -= 8;
			out[n++] = (char)((bits >> nbits) & 0xff);
		}
	}
	return n;
}


/* Skip JSON white space. */
static void
scan_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/*
 * Read the JSON string at s->p (at its opening quote).  Sets *str and *len
 * to its raw contents and *escaped when it holds a backslash escape.
 * Returns 0, or -1 when it is malformed.
 */
static int
scan_string(struct scan *s, const char **str, size_t *len, int *escaped)
{
	const char	*start;

	if (s->p >= s->end || *s->p != '"')
		return -1;
	start = ++s->p;
	*escaped = 0;
	while (s->p < s->end && *s->p != '"') {
		if ((unsigned char)*s->p < 0x20)
			return -1;
		if (*s->p == '\\') {
			if (s->end - s->p < 2)
				return -1;
			*escaped = 1;
			s->p++;
		}
		s->p++;
	}
	if (s->p >= s->end)
		return -1;
	*str = start;
	*len = (size_t)(s->p - start);
	s->p++;
	return 0;
}

/*
 * Skip one JSON value of any kind.  Only the structure is followed;
 * libjwt's own parser judges numbers and literals later.  Returns 0 or -1.
 */
static int
scan_value(struct scan *s, int depth)
{
	const char	*str, *start;
	size_t		 len;
	int		 escaped;
	char		 close;

	scan_ws(s);
	if (s->p >= s->end)
		return -1;
	if (*s->p == '"')
		return scan_string(s, &str, &len, &escaped);
	if (*s->p != '{' && *s->p != '[') {
		start = s->p;
		while (s->p < s->end && strchr("+-.0123456789Eaeflnrstu",
		    *s->p) != NULL && *s->p != '\0')
			s->p++;
		return s->p == start ? -1 : 0;
	}
	if (depth >= HEADER_DEPTH_MAX)
		return -1;
	close = *s->p++ == '{' ? '}' : ']';
	scan_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			scan_ws(s);
			if (scan_string(s, &str, &len, &escaped) == -1)
				return -1;
			scan_ws(s);
			if (s->p >= s->end || *s->p++ != ':')
				return -1;
		}
		if (scan_value(s, depth + 1) == -1)
			return -1;
		scan_ws(s);
		if (s->p >= s->end)
			return -1;
		if (*s->p == close) {
			s->p++;
			return 0;
		}
		if (*s->p++ != ',')
			return -1;
	}
}

/*
 * Read one member of the header object at s->p and note it in h when it
 * is "alg" or "typ".  A value that is not a plain string (no escapes) is
 * noted as "", which no check accepts.  Returns 0 or -1.
 */
static int
scan_member(struct scan *s, struct jose *h)
{
	const char	*key, *val = "", **slot = NULL;
	size_t		 keylen, vallen = 0, *slotlen = NULL;
	int		 escaped;

	/* Escaped names could spell "alg" in a way this scan would miss. */
	if (scan_string(s, &key, &keylen, &escaped) == -1 || escaped)
		return -1;
	scan_ws(s);
	if (s->p >= s->end || *s->p++ != ':')
		return -1;
	scan_ws(s);
	if (s->p < s->end && *s->p == '"') {
		if (scan_string(s, &val, &vallen, &escaped) == -1)
			return -1;
		if (escaped) {
			val = "";
			vallen = 0;
		}
	} else if (scan_value(s, 1) == -1)
		return -1;
	if (keylen == 3 && memcmp(key, "alg", 3) == 0) {
		slot = &h->alg;
		slotlen = &h->alg_len;
	} else if (keylen == 3 && memcmp(key, "typ", 3) == 0) {
		slot = &h->typ;
		slotlen = &h->typ_len;
	}
	if (slot == NULL)
		return 0;
	if (*slot != NULL)
		return -1;	/* twice: parsers disagree on which wins */
	*slot = val;
	*slotlen = vallen;
	return 0;
}

/*
 * Find "alg" and "typ" in the header object json (jsonlen bytes).  The
 * header is refused when it is not one object, when a member name holds an
 * escape, or when alg or typ appears twice, so that what is found here is
 * what libjwt finds too.  Returns 0 or -1.
 */
static int
scan_header(const char *json, size_t jsonlen, struct jose *h)
{
	struct scan	 s = { json, json + jsonlen };

	memset(h, 0, sizeof(*h));
	scan_ws(&s);
	if (s.p >= s.end || *s.p++ != '{')
		return -1;
	scan_ws(&s);
	if (s.p < s.end && *s.p == '}')
		s.p++;
	else {
		for (;;) {
			if (scan_member(&s, h) == -1)
				return -1;
			scan_ws(&s);
			if (s.p >= s.end)
				return -1;
			if (*s.p == '}') {
				s.p++;
				break;
			}
			if (*s.p++ != ',')
				return -1;
			scan_ws(&s);
		}
	}
	scan_ws(&s);
	return s.p == s.end ? 0 : -1;
}

/*
 * Read the header of tok (its first segment is hlen characters) and find
 * its algorithm among the allowed ones, before any key is used.  Returns
 * the algorithm, or ALG__MAX with *why set.
 */
static enum cfg_alg
header_alg(const char *tok, size_t hlen, const char **why)
{
	char		 json[HEADER_JSON_MAX + 1];
	struct jose	 h;
	size_t		 len;
	enum cfg_alg	 a;

	len = b64url_decode(tok, hlen, json);
	json[len] = '\0';
	if (scan_header(json, len, &h) == -1) {
		*why = "malformed token header";
		return ALG__MAX;
	}
	if (h.alg == NULL) {
		*why = "missing alg header";
		return ALG__MAX;
	}
	/* libjwt refuses other types inside jwt_decode(); say why here. */
	if (h.typ != NULL && (h.typ_len != 3 ||
	    strncasecmp(h.typ, "JWT", 3) != 0)) {
		*why = "token type is not JWT";
		return ALG__MAX;
	}
	for (a = 0; a < ALG__MAX; a++)
		if ((auth.cfg->jwt_algs & (1u << a)) != 0 &&
		    strlen(algs[a].name) == h.alg_len &&
		    memcmp(algs[a].name, h.alg, h.alg_len) == 0)
			return a;
	*why = "algorithm not allowed";
	return ALG__MAX;
}

/*
 * Read the integer claim name of jwt into *val.  The claim's JSON text is
 * parsed strictly: an optional minus and digits, nothing else.  Returns 0,
 * 1 when the claim is absent, or -1 when it is not an integer.
 */
static int
int_claim(jwt_t *jwt, const char *name, long long *val)
{
	char		*text, *p;
	long long	 v = 0;
	int		 neg, rc = -1;

	errno = 0;
	if ((text = jwt_get_grants_json(jwt, name)) == NULL)
		return errno == ENOMEM ? -1 : 1;
	p = text;
	if ((neg = *p == '-'))
		p++;
	if (*p < '0' || *p > '9' || (*p == '0' && p[1] != '\0'))
		goto fail;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (LLONG_MAX - (*p - '0')) / 10)
			goto fail;
		v = v * 10 + (*p - '0');
	}
	if (*p != '\0')
		goto fail;
	*val = neg ? -v : v;
	rc = 0;
fail:
	free(text);
	return rc;
}

/*
 * Check exp (required) and nbf (optional) of jwt against now, allowing
 * the configured leeway, and say in *w when the token is valid.  Returns
 * 0, or -1 with *why set.
 */
static int
check_times(jwt_t *jwt, time_t now, struct tokwindow *w, const char **why)
{
	long long	 t, leeway = auth.cfg->jwt_leeway, when = now;
	int		 rc;

	if ((rc = int_claim(jwt, "exp", &t)) == 1) {
		*why = "missing exp claim";
		return -1;
	}
	if (rc == -1 || t <= 0) {
		*why = "exp claim is not a positive integer";
		return -1;
	}
	w->until = t > LLONG_MAX - leeway ? LLONG_MAX : t + leeway;
	w->from = INT64_MIN;
	/* Differences, not sums: exp + leeway could overflow. */
	if (t < when && when - t > leeway) {
		*why = "token expired";
		return -1;
	}
	if ((rc = int_claim(jwt, "nbf", &t)) == -1) {
		*why = "nbf claim is not an integer";
		return -1;
	}
	if (rc == 0 && t > when && t - when > leeway) {
		*why = "token not yet valid";
		return -1;
	}
	if (rc == 0)
		w->from = t < LLONG_MIN + leeway ? LLONG_MIN : t - leeway;
	return 0;
}

/*
 * Check iss and aud of jwt when the configuration asks for them.  aud may
 * be a string or an array holding the wanted string.  Returns 0, or -1
 * with *why set.
 */
static int
check_iss_aud(jwt_t *jwt, const char **why)
{
	const char	*iss, *aud, *want = auth.cfg->jwt_audience;
	char		*list;
	int		 found;

	if (auth.cfg->jwt_issuer != NULL) {
		if ((iss = jwt_get_grant(jwt, "iss")) == NULL) {
			*why = "iss claim missing or not a string";
			return -1;
		}
		if (strcmp(iss, auth.cfg->jwt_issuer) != 0) {
			*why = "wrong issuer";
			return -1;
		}
	}
	if (want == NULL)
		return 0;
	if ((aud = jwt_get_grant(jwt, "aud")) != NULL) {
		if (strcmp(aud, want) == 0)
			return 0;
		*why = "wrong audience";
		return -1;
	}
	if ((list = jwt_get_grants_json(jwt, "aud")) == NULL) {
		*why = "missing aud claim";
		return -1;
	}
	found = json_string_in_array(list, want);
	free(list);
	if (found != 1) {
		*why = "wrong audience";
		return -1;
	}
	return 0;
}

/* Does s hold a control character (C0, DEL, or C1 in UTF-8)? */
static int
has_control(const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f ||
		    (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			return 1;
	return 0;
}

/*
 * Copy the user claim of jwt into user.  It must be a string of 1 to
 * USER_ID_MAX bytes without control characters (it is stored, logged and
 * compared as the records' auth0Id).  Returns 0, or -1 with *why set.
 */
static int
copy_user(jwt_t *jwt, char user[USER_ID_MAX + 1], const char **why)
{
	const char	*id;
	size_t		 len;

	if ((id = jwt_get_grant(jwt, auth.user_claim)) == NULL) {
		*why = "user claim missing or not a string";
		return -1;
	}
	if ((len = strlen(id)) == 0 || len > USER_ID_MAX) {
		*why = "user claim empty or too long";
		return -1;
	}
	if (has_control(id)) {
		*why = "user claim holds a control character";
		return -1;
	}
	memcpy(user, id, len + 1);
	return 0;
}

/* The HMAC of algorithm a keyed with the secret, made once per process. */
static EVP_MAC_CTX *
hmac_ctx(enum cfg_alg a)
{
	OSSL_PARAM	 params[2];
	EVP_MAC		*mac;
	EVP_MAC_CTX	*ctx;
	int		 i = (int)(a - ALG_HS256);

	if (auth.hmac[i] != NULL)
		return auth.hmac[i];
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return NULL;
	ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)hmac_digest[i], 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx == NULL || !EVP_MAC_init(ctx, (const unsigned char *)
	    auth.cfg->jwt_secret, auth.cfg->jwt_secret_len, params)) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return auth.hmac[i] = ctx;
}

/*
 * For an HS* token (shape checked), compare its signature with the HMAC
 * of its first two parts before libjwt parses anything: a forged token
 * costs one HMAC with a context keyed once, not a JSON parse and an
 * OpenSSL set-up per request.  Returns 0 when the signature is right (libjwt
 * still decodes and checks it), -1 when it is not, and 0 also when the
 * check cannot run (out of memory): libjwt then decides.
 */
static int
hmac_refuses(const char *tok, size_t len, enum cfg_alg a)
{
	const char	*dot = memrchr(tok, '.', len);
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	char		 sig[EVP_MAX_MD_SIZE + 3];
	size_t		 siglen, maclen = 0, enclen = len - (size_t)(dot - tok) - 1;
	EVP_MAC_CTX	*ctx = hmac_ctx(a);

	if (ctx == NULL)
		return 0;
	if (enclen > (EVP_MAX_MD_SIZE * 4 + 2) / 3)
		return -1;
	siglen = b64url_decode(dot + 1, enclen, sig);
	if (!EVP_MAC_init(ctx, NULL, 0, NULL) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)tok,
	    (size_t)(dot - tok)) || !EVP_MAC_final(ctx, mac, &maclen,
	    sizeof(mac)))
		return 0;
	return siglen == maclen && CRYPTO_memcmp(sig, mac, maclen) == 0 ?
	    0 : -1;
}

/*
 * Decode tok (NUL-terminated, shape already checked) with the key of
 * algorithm a's family and check that libjwt verified it with a itself.
 * Returns the token (free with jwt_free()), or NULL with *why set.
 */
static jwt_t *
verify(const char *tok, enum cfg_alg a, const char **why)
{
	const struct config	*cfg = auth.cfg;
	jwt_t			*jwt = NULL;
	const unsigned char	*key;
	int			 keylen, rc;

	/* Never the PEM for HS*: that is the algorithm confusion attack. */
	if (algs[a].family == FAM_HMAC) {
		key = (const unsigned char *)cfg->jwt_secret;
		keylen = (int)cfg->jwt_secret_len;
	} else {
		key = (const unsigned char *)cfg->jwt_public_key;
		keylen = (int)cfg->jwt_public_key_len;
	}
	if ((rc = jwt_decode(&jwt, tok, key, keylen)) != 0 || jwt == NULL) {
		*why = rc == ENOMEM ? "out of memory" :
		    "bad signature or malformed token";
		return NULL;
	}
	if (jwt_get_alg(jwt) != algs[a].jwt_alg) {
		*why = "algorithm mismatch";
		jwt_free(jwt);
		return NULL;
	}
	return jwt;
}

/*
 * Check the Authorization header value (or NULL) at time now.  On AUTH_OK
 * user holds the token's user id and *why is NULL; otherwise user is empty
 * and *why is a short static reason that never quotes the token.
 */
enum auth_result
auth_check(const char *authorization, time_t now,
    char user[USER_ID_MAX + 1], const char **why)
{
	char			 tok[AUTH_TOKEN_MAX + 1];
	const char		*raw = NULL, *reason = NULL;
	jwt_t			*jwt = NULL;
	enum auth_result	 res = AUTH_INVALID;
	enum cfg_alg		 a;
	size_t			 len, hlen;
	struct tokwindow	 w;

	user[0] = '\0';
	if ((len = bearer_token(authorization, &raw)) == 0) {
		res = AUTH_NO_TOKEN;
		reason = "no bearer token";
		goto done;
	}
	if (auth.cfg == NULL) {
		reason = "authentication not configured";
		goto done;
	}
	if (len > AUTH_TOKEN_MAX) {
		reason = "token too long";
		goto done;
	}
	if (tokcache_get(raw, len, now, user)) {
		res = AUTH_OK;
		goto done;
	}
	memcpy(tok, raw, len);
	tok[len] = '\0';
	if ((hlen = token_shape(tok, len)) == 0) {
		reason = "malformed token";
		goto done;
	}
	if ((a = header_alg(tok, hlen, &reason)) == ALG__MAX)
		goto done;
	if (algs[a].family == FAM_HMAC && hmac_refuses(tok, len, a) == -1) {
		reason = "bad signature or malformed token";
		goto done;
	}
	if ((jwt = verify(tok, a, &reason)) == NULL)
		goto done;
	if (check_times(jwt, now, &w, &reason) == -1 ||
	    check_iss_aud(jwt, &reason) == -1 ||
	    copy_user(jwt, user, &reason) == -1)
		goto done;
	tokcache_put(tok, len, &w, user);
	res = AUTH_OK;
done:
	jwt_free(jwt);
	if (why != NULL)
		*why = reason;
	return res;
}
