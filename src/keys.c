/*
 * keys.c: the keys that check token signatures: the algorithm table,
 * public keys read once from a PEM file (public key or certificate) or
 * built from a JSON Web Key Set's n/e and x/y (RFC 7517, 7518 section 6),
 * and signature checks against them.  With auth.c the only user of
 * OpenSSL; CONTRACT section 10 is the rule book.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "alg.h"
#include "b64.h"
#include "json.h"
#include "keys.h"

#define RSA_BITS_MIN	2048		/* smaller RSA keys are refused */
#define RSA_BYTES_MAX	1024		/* 8192-bit moduli at most */
#define EC_COORD_MAX	66		/* P-521 */
#define SKIP_WHY_MAX	64

/* The curves a JWK's "crv" may name, and OpenSSL's names for them. */
static const struct curve {
	const char	*crv;
	const char	*group;
	size_t		 size;		/* bytes of a coordinate */
} curves[] = {
	{ "P-256", "prime256v1", 32 },
	{ "P-384", "secp384r1", 48 },
	{ "P-521", "secp521r1", 66 },
};
#define NCURVES	(sizeof(curves) / sizeof(curves[0]))

struct pubkey {
	char			 kid[KEY_KID_MAX + 1];
	int			 has_kid;
	enum alg_family		 family;	/* FAM_RSA or FAM_EC */
	const struct curve	*curve;		/* FAM_EC */
	int			 alg;		/* the JWK's "alg", or -1: any */
	EVP_PKEY		*pkey;
};

/* A key of the set that is never used, and why (for --check-config). */
struct skipped {
	char	kid[KEY_KID_MAX + 1];
	char	why[SKIP_WHY_MAX];
};

struct keyset {
	size_t		n, nskipped;
	struct pubkey	keys[JWKS_KEYS_MAX];
	struct skipped	skipped[JWKS_KEYS_MAX];
};

static const struct curve *
curve_by(const char *crv, const char *group)
{
	size_t	i;

	for (i = 0; i < NCURVES; i++)
		if ((crv != NULL && strcmp(curves[i].crv, crv) == 0) ||
		    (group != NULL && strcmp(curves[i].group, group) == 0))
			return &curves[i];
	return NULL;
}

static struct keyset *
keyset_new(char *err, size_t errsz)
{
	struct keyset	*ks;

	if ((ks = calloc(1, sizeof(*ks))) == NULL)
		snprintf(err, errsz, "out of memory");
	return ks;
}

void
keyset_free(struct keyset *ks)
{
	size_t	i;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->n; i++)
		EVP_PKEY_free(ks->keys[i].pkey);
	free(ks);
}

size_t
keyset_size(const struct keyset *ks)
{
	return ks == NULL ? 0 : ks->n;
}

/*
 * Take pkey into k when it is an RSA key of at least RSA_BITS_MIN bits or
 * an EC key on a curve of curves[].  Returns 0, or -1 with err set (and
 * pkey freed).
 */
static int
take_pkey(struct pubkey *k, EVP_PKEY *pkey, char *err, size_t errsz)
{
	char	group[64];
	size_t	grouplen;

	k->pkey = pkey;
	if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA) {
		k->family = FAM_RSA;
		if (EVP_PKEY_get_bits(pkey) >= RSA_BITS_MIN)
			return 0;
		snprintf(err, errsz, "a %d-bit RSA key; at least %d bits are "
		    "needed", EVP_PKEY_get_bits(pkey), RSA_BITS_MIN);
	} else if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC) {
		k->family = FAM_EC;
		if (EVP_PKEY_get_group_name(pkey, group, sizeof(group),
		    &grouplen) == 1 && (k->curve = curve_by(NULL, group)) !=
		    NULL)
			return 0;
		snprintf(err, errsz, "an EC key on a curve other than P-256, "
		    "P-384 and P-521");
	} else
		snprintf(err, errsz, "neither an RSA nor an EC key");
	EVP_PKEY_free(pkey);
	k->pkey = NULL;
	return -1;
}

/* The public key of a PEM "BEGIN PUBLIC KEY" or "BEGIN CERTIFICATE", or NULL. */
static EVP_PKEY *
pem_pkey(const char *pem, size_t len)
{
	BIO		*bio;
	EVP_PKEY	*pkey = NULL;
	X509		*cert = NULL;

	if (len > INT_MAX || (bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return NULL;
	if (strstr(pem, "-----BEGIN CERTIFICATE-----") != NULL) {
		if ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
			pkey = X509_get_pubkey(cert);
		X509_free(cert);
	} else
		pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return pkey;
}

/*
 * The key of a PEM file (NUL-terminated text): a public key or an X.509
 * certificate, RSA of at least 2048 bits or EC on P-256/384/521.  Returns
 * a set of one key without a kid, or NULL with err set.
 */
struct keyset *
keyset_from_pem(const char *pem, size_t len, char *err, size_t errsz)
{
	struct keyset	*ks;
	EVP_PKEY	*pkey;

	if ((ks = keyset_new(err, errsz)) == NULL)
		return NULL;
	if ((pkey = pem_pkey(pem, len)) == NULL) {
		snprintf(err, errsz, "does not hold a PEM public key (BEGIN "
		    "PUBLIC KEY) or certificate (BEGIN CERTIFICATE)");
		goto fail;
	}
	ks->keys[0].alg = -1;
	if (take_pkey(&ks->keys[0], pkey, err, errsz) == -1)
		goto fail;
	ks->n = 1;
	return ks;
fail:
	keyset_free(ks);
	return NULL;
}

/*
 * Decode member name (text, base64url) of keys[idx] into out (outsz
 * bytes).  Returns its length, or 0 with err set when it is absent,
 * empty, malformed or longer than outsz.
 */
static size_t
member_bytes(const char *text, const char *name, size_t idx,
    unsigned char *out, size_t outsz, char *err, size_t errsz)
{
	size_t	len = 0;

	if (text == NULL)
		snprintf(err, errsz, "keys[%zu] has no \"%s\"", idx, name);
	else if (b64_decode(text, strlen(text), B64_URL, out, outsz,
	    &len) == -1 || len == 0)
		snprintf(err, errsz, "keys[%zu].%s is not base64url of at most "
		    "%zu bytes", idx, name, outsz);
	return len;
}

/* The key that params describe, of OpenSSL's type name, or NULL. */
static EVP_PKEY *
pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
	EVP_PKEY_CTX	*ctx = NULL, *check = NULL;
	EVP_PKEY	*pkey = NULL;
	OSSL_PARAM	*params;

	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		return NULL;
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1)
		goto done;
	if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		/* OpenSSL 3.0 may leave the key it made for a refused one. */
		EVP_PKEY_free(pkey);
		pkey = NULL;
		goto done;
	}
	/* The point is on its curve; n is odd, e odd and at least 65537. */
	if ((check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
	    EVP_PKEY_public_check(check) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
done:
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

/* An RSA public key from keys[idx]'s n and e, or NULL with err set. */
static EVP_PKEY *
rsa_from_jwk(const struct jwk_text *t, size_t idx, char *err, size_t errsz)
{
	unsigned char	 n[RSA_BYTES_MAX], e[8];
	size_t		 nlen, elen;
	BIGNUM		*bn_n = NULL, *bn_e = NULL;
	OSSL_PARAM_BLD	*bld = NULL;
	EVP_PKEY	*pkey = NULL;

	if ((nlen = member_bytes(t->n, "n", idx, n, sizeof(n), err,
	    errsz)) == 0 || (elen = member_bytes(t->e, "e", idx, e,
	    sizeof(e), err, errsz)) == 0)
		return NULL;
	if ((bn_n = BN_bin2bn(n, (int)nlen, NULL)) != NULL &&
	    (bn_e = BN_bin2bn(e, (int)elen, NULL)) != NULL &&
	    (bld = OSSL_PARAM_BLD_new()) != NULL &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
		pkey = pkey_fromdata("RSA", bld);
	if (pkey == NULL)
		snprintf(err, errsz, "keys[%zu]: n and e are not an RSA public "
		    "key", idx);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	return pkey;
}

/* An EC public key from keys[idx]'s crv, x and y, or NULL with err set. */
static EVP_PKEY *
ec_from_jwk(const struct jwk_text *t, size_t idx, char *err, size_t errsz)
{
	const struct curve	*c;
	unsigned char		 point[1 + 2 * EC_COORD_MAX];
	size_t			 xlen, ylen;
	OSSL_PARAM_BLD		*bld;
	EVP_PKEY		*pkey = NULL;

	if ((c = curve_by(t->crv != NULL ? t->crv : "", NULL)) == NULL) {
		snprintf(err, errsz, "keys[%zu] has no \"crv\"", idx);
		return NULL;
	}
	point[0] = POINT_CONVERSION_UNCOMPRESSED;
	if ((xlen = member_bytes(t->x, "x", idx, point + 1, c->size, err,
	    errsz)) == 0 || (ylen = member_bytes(t->y, "y", idx, point + 1 +
	    c->size, c->size, err, errsz)) == 0)
		return NULL;
	if (xlen != c->size || ylen != c->size) {
		snprintf(err, errsz, "keys[%zu]: x and y must be %zu bytes each "
		    "on %s", idx, c->size, c->crv);
		return NULL;
	}
	if ((bld = OSSL_PARAM_BLD_new()) != NULL &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    c->group, 0) && OSSL_PARAM_BLD_push_octet_string(bld,
	    OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * c->size))
		pkey = pkey_fromdata("EC", bld);
	if (pkey == NULL)
		snprintf(err, errsz, "keys[%zu]: x and y are not a point on %s",
		    idx, c->crv);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

/*
 * The first certificate of keys[idx].x5c (base64 DER) must hold the key
 * k was built from.  Returns 0, or -1 with err set.
 */
static int
check_x5c(const struct pubkey *k, const char *x5c, size_t idx, char *err,
    size_t errsz)
{
	unsigned char		*der;
	const unsigned char	*p;
	size_t			 len = strlen(x5c), derlen;
	X509			*cert = NULL;
	int			 same = 0;

	if ((der = malloc(B64_DECODED_MAX(len))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	p = der;
	if (b64_decode(x5c, len, B64_STD, der, B64_DECODED_MAX(len),
	    &derlen) == 0 && derlen <= LONG_MAX &&
	    (cert = d2i_X509(NULL, &p, (long)derlen)) != NULL)
		same = EVP_PKEY_eq(X509_get0_pubkey(cert), k->pkey) == 1;
	if (cert == NULL)
		snprintf(err, errsz, "keys[%zu].x5c[0] is not a base64 DER "
		    "certificate", idx);
	else if (!same)
		snprintf(err, errsz, "keys[%zu].x5c[0] holds another public "
		    "key than the key itself", idx);
	X509_free(cert);
	free(der);
	return same ? 0 : -1;
}

/*
 * Why keys[idx] of a set is not for checking signatures (a kty other than
 * RSA and EC, a curve other than P-256/384/521, a use other than sig, an
 * alg prodrec does not verify), or NULL when it is.  Sets *family for a
 * key that is.
 */
static const char *
jwk_skip(const struct jwk_text *t, enum alg_family *family)
{
	if (strcmp(t->kty, "RSA") == 0)
		*family = FAM_RSA;
	else if (strcmp(t->kty, "EC") == 0)
		*family = FAM_EC;
	else
		return "kty is neither RSA nor EC";
	if (*family == FAM_EC && t->crv != NULL && curve_by(t->crv, NULL) ==
	    NULL)
		return "crv is not P-256, P-384 or P-521";
	if (t->use != NULL && strcmp(t->use, "sig") != 0)
		return "use is not sig";
	if (t->alg != NULL && (alg_by_name(t->alg) == -1 ||
	    alg_info(alg_by_name(t->alg))->family == FAM_HMAC))
		return "alg is not one of RS256/384/512, ES256/384/512";
	return NULL;
}

/*
 * Build k from keys[idx] of a set (t), whose family jwk_skip() found.
 * Returns 0, or -1 with err set.
 */
static int
jwk_build(const struct jwk_text *t, size_t idx, enum alg_family family,
    struct pubkey *k, char *err, size_t errsz)
{
	EVP_PKEY	*pkey;

	k->alg = t->alg != NULL ? alg_by_name(t->alg) : -1;
	if (k->alg != -1 && alg_info(k->alg)->family != family) {
		snprintf(err, errsz, "keys[%zu]: alg %s does not go with kty "
		    "%s", idx, t->alg, t->kty);
		return -1;
	}
	pkey = family == FAM_RSA ? rsa_from_jwk(t, idx, err, errsz) :
	    ec_from_jwk(t, idx, err, errsz);
	if (pkey == NULL)
		return -1;
	if (take_pkey(k, pkey, err, errsz) == -1) {
		/* take_pkey's phrase names no key: say which. */
		char	why[200];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errsz, "keys[%zu]: %s", idx, why);
		return -1;
	}
	if (k->alg != -1 && family == FAM_EC &&
	    strcmp(alg_info(k->alg)->curve, k->curve->crv) != 0) {
		snprintf(err, errsz, "keys[%zu]: alg %s needs crv %s, not %s",
		    idx, t->alg, alg_info(k->alg)->curve, k->curve->crv);
		return -1;
	}
	return t->x5c == NULL ? 0 : check_x5c(k, t->x5c, idx, err, errsz);
}

/* Is kid (of keys[idx]) well formed and not used by an earlier key?  0 or -1. */
static int
check_kid(const struct jwk_text *all, size_t idx, char *err, size_t errsz)
{
	const char	*kid = all[idx].kid;
	size_t		 i;

	if (kid == NULL)
		return 0;
	if (kid[0] == '\0' || strlen(kid) > KEY_KID_MAX) {
		snprintf(err, errsz, "keys[%zu].kid is empty or longer than %d "
		    "bytes", idx, KEY_KID_MAX);
		return -1;
	}
	for (i = 0; i < idx; i++)
		if (all[i].kid != NULL && strcmp(all[i].kid, kid) == 0) {
			snprintf(err, errsz, "keys[%zu] and keys[%zu] have the "
			    "same kid \"%s\"", i, idx, kid);
			return -1;
		}
	return 0;
}

/* Take keys[idx] (t) into ks, used or skipped.  Returns 0 or -1. */
static int
jwk_add(struct keyset *ks, const struct jwk_text *all, size_t idx,
    char *err, size_t errsz)
{
	const struct jwk_text	*t = &all[idx];
	struct pubkey		*k = &ks->keys[ks->n];
	struct skipped		*s = &ks->skipped[ks->nskipped];
	enum alg_family		 family = FAM_RSA;
	const char		*skip;

	if (t->kty == NULL) {
		snprintf(err, errsz, "keys[%zu] has no \"kty\"", idx);
		return -1;
	}
	if (check_kid(all, idx, err, errsz) == -1)
		return -1;
	if ((skip = jwk_skip(t, &family)) != NULL) {
		snprintf(s->kid, sizeof(s->kid), "%s", t->kid ? t->kid : "");
		snprintf(s->why, sizeof(s->why), "%s", skip);
		ks->nskipped++;
		return 0;
	}
	if (jwk_build(t, idx, family, k, err, errsz) == -1) {
		EVP_PKEY_free(k->pkey);
		k->pkey = NULL;
		return -1;
	}
	if ((k->has_kid = t->kid != NULL))
		memcpy(k->kid, t->kid, strlen(t->kid) + 1);
	ks->n++;
	return 0;
}

/*
 * The keys of a JSON Web Key Set (json, len bytes).  Keys that are not for
 * signatures prodrec checks are skipped (RFC 7517 section 5: types, curves,
 * uses and algorithms it does not know); one that is but is malformed,
 * short, on another curve than its alg's, or whose x5c
 * holds another key makes the whole set an error, as do two keys with one
 * kid and a set with no usable key.  Returns the set, or NULL with err set.
 */
struct keyset *
keyset_from_jwks(const char *json, size_t len, char *err, size_t errsz)
{
	struct jwk_text	 text[JWKS_KEYS_MAX];
	struct keyset	*ks;
	size_t		 i, n;
	int		 rc = 0;

	if (json_jwks_parse(json, len, text, &n, err, errsz) == -1)
		return NULL;
	if ((ks = keyset_new(err, errsz)) == NULL)
		rc = -1;
	for (i = 0; rc == 0 && i < n; i++)
		rc = jwk_add(ks, text, i, err, errsz);
	json_jwks_free(text, n);
	if (rc == 0 && ks->n == 0) {
		snprintf(err, errsz, "no key for RS256/384/512 or "
		    "ES256/384/512 (%zu skipped)", ks->nskipped);
		rc = -1;
	}
	if (rc == -1) {
		keyset_free(ks);
		return NULL;
	}
	return ks;
}

/* Key i of ks (from 0), or NULL. */
const struct pubkey *
keyset_key(const struct keyset *ks, size_t i)
{
	return ks != NULL && i < ks->n ? &ks->keys[i] : NULL;
}

/* The key whose kid is kid[0..kidlen), or NULL. */
const struct pubkey *
keyset_by_kid(const struct keyset *ks, const char *kid, size_t kidlen)
{
	size_t	i;

	for (i = 0; ks != NULL && i < ks->n; i++)
		if (ks->keys[i].has_kid && strlen(ks->keys[i].kid) == kidlen &&
		    memcmp(ks->keys[i].kid, kid, kidlen) == 0)
			return &ks->keys[i];
	return NULL;
}

/*
 * Can k check a signature of algorithm a?  Returns 1, or 0 with a short
 * reason in *why (when why is not NULL).
 */
int
pubkey_fits(const struct pubkey *k, enum sig_alg a, const char **why)
{
	const char	*no = NULL;

	if (alg_info(a)->family != k->family)
		no = "the key's type does not fit the token's alg";
	else if (k->family == FAM_EC && strcmp(k->curve->crv,
	    alg_info(a)->curve) != 0)
		no = "the key's curve does not fit the token's alg";
	else if (k->alg != -1 && k->alg != (int)a)
		no = "the key's alg is not the token's";
	if (no != NULL && why != NULL)
		*why = no;
	return no == NULL;
}

/* The one key of ks that fits a, or NULL; *fits says how many do. */
const struct pubkey *
keyset_only_fit(const struct keyset *ks, enum sig_alg a, size_t *fits)
{
	const struct pubkey	*found = NULL;
	size_t			 i;

	*fits = 0;
	for (i = 0; ks != NULL && i < ks->n; i++)
		if (pubkey_fits(&ks->keys[i], a, NULL)) {
			found = &ks->keys[i];
			(*fits)++;
		}
	return *fits == 1 ? found : NULL;
}

/*
 * A JOSE ECDSA signature (r and s, size bytes each, RFC 7518 3.4) as the
 * DER that OpenSSL verifies.  Returns its length and sets *der (free with
 * OPENSSL_free()), or 0.
 */
static size_t
ecdsa_der(const unsigned char *sig, size_t size, unsigned char **der)
{
	ECDSA_SIG	*es;
	BIGNUM		*r, *s;
	int		 len = 0;

	*der = NULL;
	if ((es = ECDSA_SIG_new()) == NULL)
		return 0;
	r = BN_bin2bn(sig, (int)size, NULL);
	s = BN_bin2bn(sig + size, (int)size, NULL);
	if (r != NULL && s != NULL && ECDSA_SIG_set0(es, r, s) == 1) {
		r = s = NULL;	/* es owns them now */
		len = i2d_ECDSA_SIG(es, der);
	}
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return len > 0 ? (size_t)len : 0;
}

/*
 * Check sig (siglen bytes, as a JWS carries it) over data with k and
 * algorithm a, which k fits.  Returns 1 when it is right, 0 when not (or
 * when the check cannot run).
 */
int
pubkey_verify(const struct pubkey *k, enum sig_alg a, const char *data,
    size_t len, const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX	*md;
	unsigned char	*der = NULL;
	int		 good = 0;

	if (k->family == FAM_EC) {
		if (siglen != 2 * alg_info(a)->size ||
		    (siglen = ecdsa_der(sig, alg_info(a)->size, &der)) == 0)
			return 0;
		sig = der;
	}
	if ((md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit_ex(md, NULL, alg_info(a)->digest, NULL, NULL,
	    k->pkey, NULL) == 1)
		good = EVP_DigestVerify(md, sig, siglen,
		    (const unsigned char *)data, len) == 1;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	return good;
}

/* One line per key of ks on fp, each starting with from. */
void
keyset_report(const struct keyset *ks, const char *from, FILE *fp)
{
	const struct pubkey	*k;
	const struct skipped	*s;
	size_t			 i;
	int			 a;

	for (i = 0; ks != NULL && i < ks->n; i++) {
		k = &ks->keys[i];
		fprintf(fp, "%s: key %s%s%s, ", from, k->has_kid ? "kid \"" :
		    "without kid", k->kid, k->has_kid ? "\"" : "");
		if (k->family == FAM_RSA)
			fprintf(fp, "RSA %d bits, for", EVP_PKEY_get_bits(k->pkey));
		else
			fprintf(fp, "EC %s, for", k->curve->crv);
		for (a = 0; a < ALG__MAX; a++)
			if (pubkey_fits(k, a, NULL))
				fprintf(fp, " %s", alg_info(a)->name);
		fputc('\n', fp);
	}
	for (i = 0; ks != NULL && i < ks->nskipped; i++) {
		s = &ks->skipped[i];
		fprintf(fp, "%s: key %s%s%s skipped: %s\n", from, s->kid[0] ?
		    "kid \"" : "without kid", s->kid, s->kid[0] ? "\"" : "",
		    s->why);
	}
}
