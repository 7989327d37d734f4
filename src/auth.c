/*
 * auth.c: bearer token -> user id.  With keys.c the only user of libjwt
 * and OpenSSL (with its token cache, tokcache.c); CONTRACT sections 2 and
 * 10 are the rule book.
 *
 * A token is checked here in this order: its shape, its header (alg
 * allowed, typ, kid), its signature with OpenSSL against the HMAC secret or
 * a public key built once at load (keys.c), and only then its claims,
 * which libjwt reads (see claims()).
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <jwt.h>

#include "alg.h"
#include "auth.h"
#include "b64.h"
#include "config.h"
#include "json.h"
#include "keys.h"
#include "log.h"
#include "tokcache.h"

#define HEADER_JSON_MAX	((AUTH_TOKEN_MAX / 4) * 3)	/* decoded header bound */
#define HEADER_DEPTH_MAX	8	/* nesting accepted inside the header */
#define SIG_MAX			1024	/* bytes of an 8192-bit RSA signature */

/* A key set file as it was when last read: a change is a reason to read it. */
struct stamp {
	dev_t		dev;
	ino_t		ino;
	off_t		size;
	struct timespec	mtime;
};

/* The keys a configuration names, built once (auth_prepare). */
struct auth_keys {
	struct keyset	*pem;		/* PRODREC_JWT_PUBLIC_KEY_FILE's key */
	struct keyset	*jwks;		/* PRODREC_JWT_JWKS_FILE's keys */
	struct stamp	 stamp;		/* the key set file when read (or last
					   tried); all zero while unreadable */
	time_t		 checked;	/* when the file was last looked at */
};

/* What auth_install() keeps; the strings belong to the caller's config. */
static struct {
	const struct config	*cfg;		/* NULL until installed */
	const char		*user_claim;	/* cfg's, or "sub" */
	struct auth_keys	*keys;
	EVP_MAC_CTX		*hmac[3];	/* HS256/384/512 keyed with the
						   secret, made on first use */
} auth;

/* A cursor over the decoded token header. */
struct scan {
	const char	*p;
	const char	*end;
};

/* The header members this module looks at. */
enum jose_member { J_ALG, J_TYP, J_KID, J_CRIT, J__MAX };
static const char *const jose_names[J__MAX] = { "alg", "typ", "kid", "crit" };

/* Where each member's value is: into the decoded header, or NULL. */
struct jose {
	const char	*val[J__MAX];
	size_t		 len[J__MAX];
};

/* The token types accepted (CONTRACT 10; RFC 7515 4.1.9 for "application/"). */
static const char *const typs[] = {
	"JWT", "at+jwt", "application/jwt", "application/at+jwt",
};

/* Same file, same contents as far as stat(2) can tell? */
static int
same_stamp(const struct stamp *a, const struct stat *st)
{
	return a->dev == st->st_dev && a->ino == st->st_ino &&
	    a->size == st->st_size && a->mtime.tv_sec == st->st_mtim.tv_sec &&
	    a->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static void
set_stamp(struct stamp *a, const struct stat *st)
{
	memset(a, 0, sizeof(*a));
	if (st == NULL)
		return;
	a->dev = st->st_dev;
	a->ino = st->st_ino;
	a->size = st->st_size;
	a->mtime = st->st_mtim;
}

/*
 * Read and build the key set of path.  *st is the file as it was read.
 * Returns the set, or NULL with one sentence in err.
 */
static struct keyset *
jwks_read(const char *path, struct stat *st, char *err, size_t errsz)
{
	struct keyset	*ks;
	char		*text, why[400];
	size_t		 len;

	if ((text = cfg_read_file(path, JWKS_FILE_MAX, &len, st, err, errsz,
	    "PRODREC_JWT_JWKS_FILE")) == NULL)
		return NULL;
	if ((ks = keyset_from_jwks(text, len, why, sizeof(why))) == NULL)
		snprintf(err, errsz, "PRODREC_JWT_JWKS_FILE %s: %s", path, why);
	free(text);
	return ks;
}

void
auth_keys_free(struct auth_keys *k)
{
	if (k == NULL)
		return;
	keyset_free(k->pem);
	keyset_free(k->jwks);
	free(k);
}

/*
 * Does every RS and ES algorithm cfg allows have a key: the PEM key, which
 * alone must fit each (as before key sets), or with a key set, the PEM key
 * or a key of the set?  Returns 0, or -1 with one sentence in err.
 */
static int
check_coverage(const struct config *cfg, const struct auth_keys *k,
    char *err, size_t errsz)
{
	const char	*why = "it is not set";
	enum sig_alg	 a;
	size_t		 fits;
	int		 pem_fits;

	for (a = 0; a < ALG__MAX; a++) {
		if ((cfg->jwt_algs & (1u << a)) == 0 ||
		    alg_info(a)->family == FAM_HMAC)
			continue;
		pem_fits = k->pem != NULL && pubkey_fits(keyset_key(k->pem,
		    0), a, &why);
		if (k->jwks == NULL && !pem_fits) {
			snprintf(err, errsz, "PRODREC_JWT_ALGS allows %s, but "
			    "PRODREC_JWT_PUBLIC_KEY_FILE does not fit it: %s",
			    alg_info(a)->name, why);
			return -1;
		}
		(void)keyset_only_fit(k->jwks, a, &fits);
		if (k->jwks != NULL && !pem_fits && fits == 0) {
			snprintf(err, errsz, "PRODREC_JWT_ALGS allows %s, but "
			    "no key of PRODREC_JWT_JWKS_FILE fits it",
			    alg_info(a)->name);
			return -1;
		}
	}
	return 0;
}

/* Is the HMAC secret long enough for each HS algorithm allowed?  0 or -1. */
static int
check_secret(const struct config *cfg, char *err, size_t errsz)
{
	enum sig_alg	a;

	if (cfg->jwt_secret_len > INT_MAX) {
		snprintf(err, errsz, "the PRODREC_JWT_SECRET is too long");
		return -1;
	}
	for (a = 0; a < ALG__MAX; a++) {
		if ((cfg->jwt_algs & (1u << a)) == 0 ||
		    alg_info(a)->family != FAM_HMAC ||
		    cfg->jwt_secret_len >= alg_info(a)->size)
			continue;
		snprintf(err, errsz, "PRODREC_JWT_ALGS allows %s, whose "
		    "secret must be at least %zu bytes (RFC 7518 3.2); the one "
		    "given has %zu", alg_info(a)->name, alg_info(a)->size,
		    cfg->jwt_secret_len);
		return -1;
	}
	return 0;
}

/* Build the keys cfg names.  Returns 0, or -1 with err set. */
static int
build_keys(const struct config *cfg, struct auth_keys *k, char *err,
    size_t errsz)
{
	struct stat	st;
	char		why[400];

	if (check_secret(cfg, err, errsz) == -1)
		return -1;
	if (cfg->jwt_public_key != NULL && (k->pem = keyset_from_pem(
	    cfg->jwt_public_key, cfg->jwt_public_key_len, why,
	    sizeof(why))) == NULL) {
		snprintf(err, errsz, "PRODREC_JWT_PUBLIC_KEY_FILE %s", why);
		return -1;
	}
	if (cfg->jwt_jwks_file != NULL) {
		if ((k->jwks = jwks_read(cfg->jwt_jwks_file, &st, err,
		    errsz)) == NULL)
			return -1;
		set_stamp(&k->stamp, &st);
	}
	return check_coverage(cfg, k, err, errsz);
}

/*
 * Build the keys of cfg, which cfg_check() has passed (reading the key set
 * file, and checking each allowed RS/ES algorithm has a key that fits),
 * without changing what is in force.  Returns the keys for
 * auth_install(), or NULL with one sentence in err.
 */
struct auth_keys *
auth_prepare(const struct config *cfg, char *err, size_t errsz)
{
	struct auth_keys	*k;

	if (cfg == NULL) {
		snprintf(err, errsz, "no configuration");
		return NULL;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	if (build_keys(cfg, k, err, errsz) == -1) {
		auth_keys_free(k);
		return NULL;
	}
	return k;
}

/*
 * Put cfg and its prepared keys k in force (this module keeps both; cfg
 * must outlive its use).  Tokens checked before are forgotten.
 */
void
auth_install(const struct config *cfg, struct auth_keys *k)
{
	auth_free();
	auth.user_claim = cfg->jwt_user_claim != NULL ?
	    cfg->jwt_user_claim : "sub";
	auth.keys = k;
	auth.cfg = cfg;
}

/* auth_prepare() and auth_install() at once.  0, or -1 with err set. */
int
auth_init(const struct config *cfg, char *err, size_t errsz)
{
	struct auth_keys	*k;

	if ((k = auth_prepare(cfg, err, errsz)) == NULL)
		return -1;
	auth_install(cfg, k);
	return 0;
}

/* Forget the configuration; auth_check() refuses every token afterwards. */
void
auth_free(void)
{
	int	i;

	auth.cfg = NULL;
	auth.user_claim = NULL;
	auth_keys_free(auth.keys);
	auth.keys = NULL;
	for (i = 0; i < 3; i++) {
		EVP_MAC_CTX_free(auth.hmac[i]);
		auth.hmac[i] = NULL;
	}
	tokcache_clear();
}

/* The public keys in force, one line each, on fp (--check-config). */
void
auth_report(FILE *fp)
{
	if (auth.keys == NULL)
		return;
	keyset_report(auth.keys->pem, "PRODREC_JWT_PUBLIC_KEY_FILE", fp);
	keyset_report(auth.keys->jwks, "PRODREC_JWT_JWKS_FILE", fp);
}

/* Warn about each RS/ES algorithm allowed that no key in force fits now. */
static void
warn_uncovered(void)
{
	char	err[256];

	if (check_coverage(auth.cfg, auth.keys, err, sizeof(err)) == -1)
		log_warnx("%s: tokens of it are refused until a key fits", err);
}

/*
 * Read the key set file again when it changed (another file renamed over
 * it, or new contents), looking at most once a second.  A file that no
 * longer reads or builds is logged once, and the keys in use are kept.
 * Tokens checked with the old keys are forgotten with them.
 */
static void
jwks_refresh(time_t now)
{
	struct auth_keys	*k = auth.keys;
	struct keyset		*ks;
	struct stat		 st;
	char			 err[512];

	if (auth.cfg->jwt_jwks_file == NULL || k->checked == now)
		return;
	k->checked = now;
	if (stat(auth.cfg->jwt_jwks_file, &st) == -1) {
		if (k->stamp.ino != 0)
			log_warnx("PRODREC_JWT_JWKS_FILE %s: %s; keeping the "
			    "keys in use (%zu)", auth.cfg->jwt_jwks_file,
			    strerror(errno), keyset_size(k->jwks));
		set_stamp(&k->stamp, NULL);
		return;
	}
	if (same_stamp(&k->stamp, &st))
		return;
	ks = jwks_read(auth.cfg->jwt_jwks_file, &st, err, sizeof(err));
	set_stamp(&k->stamp, &st);
	if (ks == NULL) {
		log_warnx("%s; keeping the keys in use (%zu)", err,
		    keyset_size(k->jwks));
		return;
	}
	keyset_free(k->jwks);
	k->jwks = ks;
	tokcache_clear();
	log_warnx("PRODREC_JWT_JWKS_FILE %s read again: %zu keys in use",
	    auth.cfg->jwt_jwks_file, keyset_size(ks));
	warn_uncovered();
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
			if (b64_value((unsigned char)tok[i], B64_URL) == -1)
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
 * is one of jose_names.  A value that is not a plain string (no escapes)
 * is noted as "", which no check accepts.  Returns 0 or -1.
 */
static int
scan_member(struct scan *s, struct jose *h)
{
	const char	*key, *val = "";
	size_t		 keylen, vallen = 0;
	int		 escaped, m;

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
	for (m = 0; m < J__MAX; m++)
		if (strlen(jose_names[m]) == keylen &&
		    memcmp(jose_names[m], key, keylen) == 0)
			break;
	if (m == J__MAX)
		return 0;
	if (h->val[m] != NULL)
		return -1;	/* twice: parsers disagree on which wins */
	h->val[m] = val;
	h->len[m] = vallen;
	return 0;
}

/*
 * Find the members of jose_names in the header object json (jsonlen
 * bytes).  The header is refused when it is not one object, when a member
 * name holds an escape, or when one of those members appears twice.
 * Returns 0 or -1.
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

/* Is typ[0..len) one of typs[] (any case)? */
static int
typ_ok(const char *typ, size_t len)
{
	size_t	i;

	for (i = 0; i < sizeof(typs) / sizeof(typs[0]); i++)
		if (strlen(typs[i]) == len && strncasecmp(typs[i], typ, len) == 0)
			return 1;
	return 0;
}

/*
 * Read the header of tok (its first segment is hlen characters) into h
 * and find its algorithm among the allowed ones, before any key is used.
 * The decoded header is kept in json (HEADER_JSON_MAX + 1 bytes), where h
 * points.  Returns the algorithm, or ALG__MAX with *why set.
 */
static enum sig_alg
read_header(const char *tok, size_t hlen, char *json, struct jose *h,
    const char **why)
{
	size_t		 len;
	enum sig_alg	 a;

	if (b64_decode(tok, hlen, B64_URL, (unsigned char *)json,
	    HEADER_JSON_MAX, &len) == -1 || scan_header(json, len, h) == -1) {
		*why = "malformed token header";
		return ALG__MAX;
	}
	if (h->val[J_ALG] == NULL) {
		*why = "missing alg header";
		return ALG__MAX;
	}
	if (h->val[J_TYP] != NULL && !typ_ok(h->val[J_TYP], h->len[J_TYP])) {
		*why = "token type is neither JWT nor at+jwt";
		return ALG__MAX;
	}
	/* RFC 7515 4.1.11: extensions this program does not know. */
	if (h->val[J_CRIT] != NULL) {
		*why = "crit header not supported";
		return ALG__MAX;
	}
	for (a = 0; a < ALG__MAX; a++)
		if ((auth.cfg->jwt_algs & (1u << a)) != 0 &&
		    strlen(alg_info(a)->name) == h->len[J_ALG] &&
		    memcmp(alg_info(a)->name, h->val[J_ALG], h->len[J_ALG]) == 0)
			return a;
	*why = "algorithm not allowed";
	return ALG__MAX;
}

/*
 * The public key for a token of algorithm a with header h (CONTRACT 10):
 * with a kid and a key set, the set's key of that kid; else the PEM key;
 * else the one key of the set that fits a.  Returns it, or NULL with *why
 * set.
 */
static const struct pubkey *
choose_key(const struct jose *h, enum sig_alg a, const char **why)
{
	const struct auth_keys	*k = auth.keys;
	const struct pubkey	*key;
	size_t			 fits;

	if (h->val[J_KID] != NULL && k->jwks != NULL) {
		key = keyset_by_kid(k->jwks, h->val[J_KID], h->len[J_KID]);
		if (key == NULL) {
			*why = "no key has the token's kid";
			return NULL;
		}
	} else if (k->pem != NULL)
		key = keyset_key(k->pem, 0);
	else if ((key = keyset_only_fit(k->jwks, a, &fits)) == NULL) {
		*why = fits == 0 ? "no key fits the token's alg" :
		    "no kid, and more than one key fits the token's alg";
		return NULL;
	}
	return pubkey_fits(key, a, why) ? key : NULL;
}

/* The HMAC of algorithm a keyed with the secret, made once per process. */
static EVP_MAC_CTX *
hmac_ctx(enum sig_alg a)
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
	    (char *)alg_info(a)->digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx == NULL || !EVP_MAC_init(ctx, (const unsigned char *)
	    auth.cfg->jwt_secret, auth.cfg->jwt_secret_len, params)) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return auth.hmac[i] = ctx;
}

/* Is sig the HMAC of data (len bytes) with algorithm a?  1 or 0. */
static int
hmac_verify(enum sig_alg a, const char *data, size_t len,
    const unsigned char *sig, size_t siglen)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	size_t		 maclen = 0;
	EVP_MAC_CTX	*ctx = hmac_ctx(a);

	if (ctx == NULL || !EVP_MAC_init(ctx, NULL, 0, NULL) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)data, len) ||
	    !EVP_MAC_final(ctx, mac, &maclen, sizeof(mac)))
		return 0;
	return siglen == maclen && CRYPTO_memcmp(sig, mac, maclen) == 0;
}

/*
 * Check the signature of tok (len characters, shape checked) made with
 * algorithm a, whose header is h.  Returns 0, or -1 with *why set.
 */
static int
check_signature(const char *tok, size_t len, enum sig_alg a,
    const struct jose *h, const char **why)
{
	const char		*dot = memrchr(tok, '.', len);
	const struct pubkey	*key = NULL;
	unsigned char		 sig[SIG_MAX];
	size_t			 siglen, signed_len = (size_t)(dot - tok);
	int			 good;

	if (b64_decode(dot + 1, len - signed_len - 1, B64_URL, sig,
	    sizeof(sig), &siglen) == -1) {
		*why = "bad signature";
		return -1;
	}
	if (alg_info(a)->family == FAM_HMAC)
		good = hmac_verify(a, tok, signed_len, sig, siglen);
	else if ((key = choose_key(h, a, why)) == NULL)
		return -1;
	else
		good = pubkey_verify(key, a, tok, signed_len, sig, siglen);
	if (!good)
		*why = "bad signature";
	return good ? 0 : -1;
}

/*
 * The claims of tok (len characters; its header is hlen of them), whose
 * signature check_signature() has checked.  libjwt 1.10 checks signatures
 * only against PEM text that it parses again for every token, and refuses
 * inside jwt_decode() any typ but JWT, so RFC 9068 access tokens (typ
 * at+jwt, as Auth0 issues them) cannot pass it (../shared/notes/
 * libjwt-1.10.md).  It is handed instead the token's own claims under the
 * header {"alg":"none"} with an empty signature and no key, which it
 * decodes without checking a signature: safe here only because the
 * signature was checked above, with the algorithm pinned to the key.
 * Returns the claims (free with jwt_free()), or NULL with *why set.
 */
static jwt_t *
claims(const char *tok, size_t len, size_t hlen, const char **why)
{
	static const char	 none[] = "eyJhbGciOiJub25lIn0";	/* {"alg":"none"} */
	char			 text[sizeof(none) + AUTH_TOKEN_MAX + 2];
	const char		*payload = tok + hlen + 1;
	size_t			 plen = (size_t)((const char *)memrchr(tok,
				    '.', len) - payload);
	jwt_t			*jwt = NULL;
	int			 rc;

	snprintf(text, sizeof(text), "%s.%.*s.", none, (int)plen, payload);
	if ((rc = jwt_decode(&jwt, text, NULL, 0)) != 0 || jwt == NULL ||
	    jwt_get_alg(jwt) != JWT_ALG_NONE) {
		*why = rc == ENOMEM ? "out of memory" : "malformed claims";
		jwt_free(jwt);
		return NULL;
	}
	return jwt;
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
	char			 header[HEADER_JSON_MAX + 1];
	const char		*raw = NULL, *reason = NULL;
	jwt_t			*jwt = NULL;
	enum auth_result	 res = AUTH_INVALID;
	enum sig_alg		 a;
	size_t			 len, hlen;
	struct jose		 h;
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
	jwks_refresh(now);
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
	if ((a = read_header(tok, hlen, header, &h, &reason)) == ALG__MAX ||
	    check_signature(tok, len, a, &h, &reason) == -1 ||
	    (jwt = claims(tok, len, hlen, &reason)) == NULL)
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
