/* json.h: request bodies in, response bodies out (the only user of json-c). */
#ifndef PRODREC_JSON_H
#define PRODREC_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

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
struct record_row;	/* db.h */
struct session_view;	/* db.h */
struct stats_figures;	/* stats.h */

/* What a 201/200 answer to a create shows of the record. */
struct preview {
	const char	*record_id;	/* "rec_..." */
	const char	*session_id;	/* lower-case */
	const char	*worker_id;	/* UTF-8, worker_id_len bytes */
	size_t		 worker_id_len;
	uint32_t	 units;
	int		 idempotent;	/* 1 for a replay */
};

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
int	json_put_string(struct buf *, const char *, size_t);
int	json_error_body(struct buf *, const char *message, const char *error);
int	json_record_preview(struct buf *, const struct preview *);
int	json_session(struct buf *, const struct session_view *, int idempotent);
int	json_record(struct buf *, const struct record_row *);
int	json_record_append(struct buf *, const struct record_row *);
int	json_page_begin(struct buf *);
int	json_page_item(struct buf *, const struct record_row *, int first);
int	json_page_end(struct buf *, const char *next);
/* A database node and the workers connected to it, for json_status. */
struct status_node {
	const char	*name;		/* socket path or host:port */
	unsigned	 workers;
};
int	json_status(struct buf *, const struct stats_figures *, long queue,
	    const struct status_node *, size_t nnodes);

#endif
