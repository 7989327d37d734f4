/* json.h: request bodies and key sets in (the only user of json-c). */
#ifndef PRODREC_JSON_H
#define PRODREC_JSON_H

#include <stddef.h>

#define JSON_MAX_DEPTH	16	/* deeper nesting is a 400 */

enum jtype {
	JT_ABSENT,		/* key not present */
	JT_NULL,
	JT_BOOL,
	JT_NUMBER,		/* integer or not: see text */
	JT_STRING,
	JT_OBJECT,
	JT_ARRAY,
	JT__MAX
};

/* One member of the request object, borrowed from the parsed body. */
struct jvalue {
	enum jtype	 type;
	const char	*str;	/* JT_STRING: the string (may hold NUL); JT_NUMBER: its
			   literal text (whole numbers as json-c prints them) */
	size_t		 len;	/* length of str in bytes */
};

struct jbody;		/* a parsed request object, opaque */

/*
 * One key of a JSON Web Key Set (RFC 7517) as text: each member NULL when
 * absent; x5c is the first certificate of the chain (base64 DER).
 */
#define JWKS_KEYS_MAX	32	/* keys a set may hold */
struct jwk_text {
	char	*kty, *kid, *use, *alg;
	char	*n, *e;			/* RSA */
	char	*crv, *x, *y;		/* EC */
	char	*x5c;
};

/* json.c */
int	json_jwks_parse(const char *, size_t, struct jwk_text *keys,
	    size_t *nkeys, char *err, size_t errsz);
void	json_jwks_free(struct jwk_text *, size_t nkeys);
int	json_body_parse(const char *, size_t, struct jbody **, const char **why);
void	json_body_get(const struct jbody *, const char *key, struct jvalue *);
void	json_body_free(struct jbody *);
int	json_string_in_array(const char *json, const char *want);

#endif
