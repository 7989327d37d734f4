/*
 * jwk.h: test keys made with OpenSSL, as JWK members (RFC 7518 section 6),
 * PEM, X.509 certificates, and tokens signed with them, for test_keys and
 * test_auth.  Every failure aborts: these are fixtures, not checks.
 */
#ifndef PRODREC_TEST_JWK_H
#define PRODREC_TEST_JWK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* Append the base64 (url: base64url, unpadded) of in (len bytes) to out. */
static __attribute__((unused)) void
tk_b64(char *out, const void *in, size_t len, int url)
{
	char	*p = out + strlen(out);

	EVP_EncodeBlock((unsigned char *)p, in, (int)len);
	for (; url && *p != '\0'; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
		else if (*p == '=')
			*p = '\0';
	}
}

static __attribute__((unused)) EVP_PKEY *
tk_rsa(size_t bits)
{
	EVP_PKEY	*k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);

	if (k == NULL)
		abort();
	return k;
}

/* An EC key on curve ("P-256", "P-384", "P-521"). */
static __attribute__((unused)) EVP_PKEY *
tk_ec(const char *curve)
{
	EVP_PKEY	*k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);

	if (k == NULL)
		abort();
	return k;
}

/* Append BIGNUM param name of k, left-padded to pad bytes, as base64url. */
static __attribute__((unused)) void
tk_put_bn(char *out, EVP_PKEY *k, const char *name, size_t pad)
{
	unsigned char	 bin[1024];
	BIGNUM		*bn = NULL;
	int		 n;

	if (EVP_PKEY_get_bn_param(k, name, &bn) != 1)
		abort();
	n = BN_num_bytes(bn);
	if (pad < (size_t)n)
		pad = (size_t)n;
	if (pad > sizeof(bin) || BN_bn2binpad(bn, bin, (int)pad) != (int)pad)
		abort();
	tk_b64(out, bin, pad, 1);
	BN_free(bn);
}

/*
 * The JWK of k's public key: kty and n/e or crv/x/y, then extra (members
 * with a leading comma, or "") before the closing brace.  Caller frees.
 */
static __attribute__((unused)) char *
tk_jwk(EVP_PKEY *k, const char *extra)
{
	char	*j, group[64];
	size_t	 glen, size;

	if ((j = calloc(1, 4096 + strlen(extra))) == NULL)
		abort();
	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA) {
		strcat(j, "{\"kty\":\"RSA\",\"n\":\"");
		tk_put_bn(j, k, OSSL_PKEY_PARAM_RSA_N, 0);
		strcat(j, "\",\"e\":\"");
		tk_put_bn(j, k, OSSL_PKEY_PARAM_RSA_E, 0);
	} else {
		if (EVP_PKEY_get_group_name(k, group, sizeof(group), &glen) != 1)
			abort();
		size = strcmp(group, "prime256v1") == 0 ? 32 :
		    strcmp(group, "secp384r1") == 0 ? 48 : 66;
		sprintf(j, "{\"kty\":\"EC\",\"crv\":\"P-%s\",\"x\":\"",
		    size == 32 ? "256" : size == 48 ? "384" : "521");
		tk_put_bn(j, k, OSSL_PKEY_PARAM_EC_PUB_X, size);
		strcat(j, "\",\"y\":\"");
		tk_put_bn(j, k, OSSL_PKEY_PARAM_EC_PUB_Y, size);
	}
	strcat(j, "\"");
	strcat(j, extra);
	strcat(j, "}");
	return j;
}

/* {"keys":[a, b]}, a key set of JWK texts (b may be NULL); frees both. */
static __attribute__((unused)) char *
tk_set(char *a, char *b)
{
	char	*j;

	if ((j = malloc(strlen(a) + (b ? strlen(b) : 0) + 32)) == NULL)
		abort();
	sprintf(j, "{\"keys\":[%s%s%s]}", a, b ? "," : "", b ? b : "");
	free(a);
	free(b);
	return j;
}

/* A self-signed certificate for k, as DER in *der; returns its length. */
static __attribute__((unused)) int
tk_cert_der(EVP_PKEY *k, unsigned char **der)
{
	X509		*x = X509_new();
	X509_NAME	*name;
	int		 len;

	if (x == NULL || X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 1) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400) == NULL ||
	    X509_set_pubkey(x, k) != 1 || (name = X509_get_subject_name(x)) ==
	    NULL || X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"test", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 || X509_sign(x, k,
	    EVP_sha256()) == 0)
		abort();
	*der = NULL;
	if ((len = i2d_X509(x, der)) <= 0)
		abort();
	X509_free(x);
	return len;
}

/* ,"x5c":["<base64 DER of a certificate for k>"] for tk_jwk's extra. */
static __attribute__((unused)) char *
tk_x5c(EVP_PKEY *k)
{
	unsigned char	*der;
	int		 len = tk_cert_der(k, &der);
	char		*s;

	if ((s = calloc(1, (size_t)len * 2 + 32)) == NULL)
		abort();
	strcpy(s, ",\"x5c\":[\"");
	tk_b64(s, der, (size_t)len, 0);
	strcat(s, "\"]");
	OPENSSL_free(der);
	return s;
}

/* The PEM of k: 0 public key, 1 private key, 2 certificate.  Caller frees. */
static __attribute__((unused)) char *
tk_pem(EVP_PKEY *k, int what)
{
	BIO		*bio = BIO_new(BIO_s_mem());
	unsigned char	*der;
	const unsigned char *p;
	X509		*x;
	char		*data, *text;
	long		 len;
	int		 rc;

	if (bio == NULL)
		abort();
	if (what == 2) {
		len = tk_cert_der(k, &der);
		p = der;
		if ((x = d2i_X509(NULL, &p, len)) == NULL)
			abort();
		rc = PEM_write_bio_X509(bio, x);
		X509_free(x);
		OPENSSL_free(der);
	} else
		rc = what == 0 ? PEM_write_bio_PUBKEY(bio, k) :
		    PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL);
	if (rc != 1 || (len = BIO_get_mem_data(bio, &data)) <= 0 ||
	    (text = strndup(data, (size_t)len)) == NULL)
		abort();
	BIO_free(bio);
	return text;
}

/*
 * A JWS signed with k by alg ("RS256", "ES256", ...; the hash is the
 * number after the letters), header and claims as given (JSON text).
 * Caller frees.
 */
static __attribute__((unused)) char *
tk_sign(EVP_PKEY *k, const char *alg, const char *header, const char *claims)
{
	char		 md[16], *tok;
	unsigned char	 sig[1024], raw[132];
	const unsigned char *p = sig;
	size_t		 siglen = sizeof(sig), half;
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	ECDSA_SIG	*es;

	snprintf(md, sizeof(md), "SHA%s", alg + 2);
	if ((tok = calloc(1, 4 * (strlen(header) + strlen(claims)) + 2048)) ==
	    NULL || ctx == NULL)
		abort();
	tk_b64(tok, header, strlen(header), 1);
	strcat(tok, ".");
	tk_b64(tok, claims, strlen(claims), 1);
	if (EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL, k, NULL) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)tok,
	    strlen(tok)) != 1)
		abort();
	EVP_MD_CTX_free(ctx);
	strcat(tok, ".");
	if (alg[0] == 'R') {
		tk_b64(tok, sig, siglen, 1);
		return tok;
	}
	half = strcmp(alg, "ES256") == 0 ? 32 : strcmp(alg, "ES384") == 0 ?
	    48 : 66;
	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)siglen)) == NULL ||
	    BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, (int)half) != (int)half ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + half, (int)half) !=
	    (int)half)
		abort();
	ECDSA_SIG_free(es);
	tk_b64(tok, raw, 2 * half, 1);
	return tok;
}

#endif
