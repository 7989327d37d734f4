/* json.c: request bodies and key sets in; the only user of json-c. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "json.h"
#include "lex.h"

/* One tokener per worker process, reset for each body. */
static struct json_tokener	*tokener;

/* Only white space may follow the object. */
static int
only_space(const char *p, size_t n)
{
	for (; n > 0; p++, n--)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return 0;
	return 1;
}

static const char	*parse_error(enum json_tokener_error);

/* Is the run of letters outside strings a JSON literal? */
static int
json_word(const char *w, size_t n)
{
	return (n == 4 && (memcmp(w, "true", 4) == 0 ||
	    memcmp(w, "null", 4) == 0)) ||
	    (n == 5 && memcmp(w, "false", 5) == 0);
}

/* The code unit of the \uXXXX escape at p[i] (at the backslash), or -1. */
static long
escape_unit(const char *p, size_t n, size_t i)
{
	long	v = 0;
	size_t	k;

	if (i + 6 > n || p[i] != '\\' || p[i + 1] != 'u')
		return -1;
	for (k = i + 2; k < i + 6; k++) {
		char c = p[k];
		v = v * 16 + (c >= '0' && c <= '9' ? c - '0' :
		    c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1000000);
	}
	return v < 0 ? -1 : v;
}

/*
 * The length of the escape at p[i] (the backslash), or 0 for a lone
 * surrogate, which json-c would quietly turn into U+FFFD.
 */
static size_t
escape_len(const char *p, size_t n, size_t i)
{
	long	unit = escape_unit(p, n, i), low;

	if (unit < 0xd800 || unit > 0xdfff)
		return 2;	/* json-c checks the rest of the escape */
	if (unit > 0xdbff)
		return 0;
	low = escape_unit(p, n, i + 6);
	return low >= 0xdc00 && low <= 0xdfff ? 12 : 0;
}

/*
 * Skip the string starting after its opening quote (valid UTF-8, no lone
 * surrogate escape, no raw control character); returns the index after its
 * closing quote, or 0 with *why set.
 */
static size_t
skip_string(const char *p, size_t n, size_t i, const char **why)
{
	unsigned long	cp;
	size_t		len;

	while (i < n) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"')
			return i + 1;
		if (c < 0x20) {
			*why = "request body has an unescaped control "
			    "character in a string";
			return 0;
		}
		if (c == '\\') {
			if ((len = escape_len(p, n, i)) == 0) {
				*why = "request body has a lone surrogate "
				    "escape in a string";
				return 0;
			}
			i += len;
			continue;
		}
		if (lex_utf8((const unsigned char *)p, n, &i, &cp) == -1) {
			*why = parse_error(json_tokener_error_parse_utf8_string);
			return 0;
		}
	}
	*why = parse_error(json_tokener_continue);
	return 0;
}

/*
 * What json-c accepts even in strict mode but JSON does not: single-quoted
 * strings, NaN and Infinity, raw control characters in strings, overlong
 * or surrogate UTF-8, lone surrogate escapes, numbers such as 01 or 1.
 * Also counts nesting, since json-c's own depth limit counts scalars as
 * levels.  Outside strings only structural characters, numbers and the
 * words of json_word() may appear.
 * Returns NULL or why the body is refused.
 */
static const char *
prescan(const char *p, size_t n)
{
	struct numlit	 num;
	const char	*why = NULL;
	size_t		 i, w, depth = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '"') {
			if ((i = skip_string(p, n, i + 1, &why)) == 0)
				return why;
			i--;
		} else if (p[i] == '{' || p[i] == '[') {
			if (++depth > JSON_MAX_DEPTH)
				return parse_error(json_tokener_error_depth);
		} else if (p[i] == '}' || p[i] == ']')
			depth -= depth > 0;
		else if (p[i] == '-' || (p[i] >= '0' && p[i] <= '9')) {
			if ((w = lex_number(p, n, i, &num)) == 0)
				return parse_error(json_tokener_error_parse_number);
			i = w - 1;
		} else if ((p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= 'A' && p[i] <= 'Z')) {
			for (w = i; w < n && ((p[w] >= 'a' && p[w] <= 'z') ||
			    (p[w] >= 'A' && p[w] <= 'Z')); w++)
				;
			if (!json_word(p + i, w - i))
				return parse_error(json_tokener_error_parse_unexpected);
			i = w - 1;
		} else if (p[i] == '\0' ||
		    strchr(" \t\r\n:,", p[i]) == NULL)
			return (unsigned char)p[i] >= 0x80 ?
			    parse_error(json_tokener_error_parse_utf8_string) :
			    parse_error(json_tokener_error_parse_unexpected);
	}
	return NULL;
}

/* Map a tokener failure to a sentence for the 400's "error". */
static const char *
parse_error(enum json_tokener_error e)
{
	switch (e) {
	case json_tokener_continue:
		return "request body is incomplete JSON";
	case json_tokener_error_depth:
		return "request body nests deeper than 16 levels";
	case json_tokener_error_parse_utf8_string:
		return "request body is not valid UTF-8";
	default:
		return "request body is not valid JSON";
	}
}

/*
 * Parse a request body that must be one JSON object: strict JSON, valid
 * UTF-8, at most JSON_MAX_DEPTH levels, nothing but white space after it.
 * On success *out owns the document (free with json_body_free) and 0 is
 * returned; otherwise *why says what is wrong and -1 is returned.
 */
int
json_body_parse(const char *text, size_t len, struct jbody **out,
    const char **why)
{
	struct json_object	*root;
	size_t			 end;

	*out = NULL;
	if (len == 0 || only_space(text, len)) {
		*why = "request body is empty";
		return -1;
	}
	if (len > INT32_MAX) {
		*why = "request body is too large";
		return -1;
	}
	if ((*why = prescan(text, len)) != NULL)
		return -1;
	if (tokener == NULL &&
	    (tokener = json_tokener_new_ex(2 * JSON_MAX_DEPTH)) == NULL) {
		*why = NULL;	/* out of memory: the caller answers 500 */
		return -1;
	}
	json_tokener_reset(tokener);
	json_tokener_set_flags(tokener,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tokener, text, (int)len);
	if (root == NULL) {
		*why = parse_error(json_tokener_get_error(tokener));
		return -1;
	}
	end = json_tokener_get_parse_end(tokener);
	if (end < len && !only_space(text + end, len - end)) {
		json_object_put(root);
		*why = "request body has data after the JSON object";
		return -1;
	}
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		*why = "request body must be a JSON object";
		return -1;
	}
	/* The document is the root object itself; jbody only hides the type. */
	*out = (struct jbody *)root;
	return 0;
}

/* Describe member key of the body; v borrows from the body. */
void
json_body_get(const struct jbody *body, const char *key, struct jvalue *v)
{
	struct json_object	*o;

	v->str = NULL;
	v->len = 0;
	if (!json_object_object_get_ex((struct json_object *)body, key, &o)) {
		v->type = JT_ABSENT;
		return;
	}
	switch (json_object_get_type(o)) {
	case json_type_null:
		v->type = JT_NULL;
		return;
	case json_type_boolean:
		v->type = JT_BOOL;
		return;
	case json_type_int:
	case json_type_double:
		/* The literal as written (json-c keeps it for doubles). */
		v->type = JT_NUMBER;
		break;
	case json_type_string:
		v->type = JT_STRING;
		break;
	case json_type_object:
		v->type = JT_OBJECT;
		return;
	case json_type_array:
		v->type = JT_ARRAY;
		return;
	}
	v->str = json_object_get_string(o);
	v->len = v->type == JT_STRING ? (size_t)json_object_get_string_len(o) :
	    (v->str != NULL ? strlen(v->str) : 0);
}

void
json_body_free(struct jbody *body)
{
	if (body != NULL)
		json_object_put((struct json_object *)body);
}

/*
 * Is json (a NUL-terminated JSON text) an array with a string element equal
 * to want?  Returns 1 or 0, or -1 when json does not parse.
 */
int
json_string_in_array(const char *json, const char *want)
{
	struct json_object	*arr, *el;
	size_t			 i, n;
	int			 found = 0;

	if ((arr = json_tokener_parse(json)) == NULL)
		return -1;
	if (json_object_is_type(arr, json_type_array)) {
		n = json_object_array_length(arr);
		for (i = 0; i < n && !found; i++) {
			el = json_object_array_get_idx(arr, i);
			found = json_object_is_type(el, json_type_string) &&
			    strcmp(json_object_get_string(el), want) == 0;
		}
	}
	json_object_put(arr);
	return found;
}

/* The members of a JWK this program reads, in struct jwk_text's order. */
static const char *const jwk_members[] = {
	"kty", "kid", "use", "alg", "n", "e", "crv", "x", "y",
};

/* Where member i of jwk_members goes in k. */
static char **
jwk_slot(struct jwk_text *k, size_t i)
{
	char	**slots[] = { &k->kty, &k->kid, &k->use, &k->alg, &k->n,
		    &k->e, &k->crv, &k->x, &k->y };

	return slots[i];
}

/*
 * Copy the string member name of obj into *slot.  Absent is fine; any
 * other type is an error naming keys[idx].name.  Returns 0 or -1.
 */
static int
jwk_copy(struct json_object *obj, const char *name, size_t idx, char **slot,
    char *err, size_t errsz)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(obj, name, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		snprintf(err, errsz, "keys[%zu].%s is not a string", idx, name);
		return -1;
	}
	if ((*slot = strdup(json_object_get_string(v))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	return 0;
}

/* keys[idx].x5c: an array of strings; the first one into k->x5c. */
static int
jwk_x5c(struct json_object *obj, size_t idx, struct jwk_text *k, char *err,
    size_t errsz)
{
	struct json_object	*v, *first;
	size_t			 i, n;

	if (!json_object_object_get_ex(obj, "x5c", &v))
		return 0;
	n = json_object_is_type(v, json_type_array) ?
	    json_object_array_length(v) : 0;
	for (i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(v, i),
		    json_type_string))
			break;
	if (n == 0 || i < n) {
		snprintf(err, errsz, "keys[%zu].x5c is not a non-empty array "
		    "of strings", idx);
		return -1;
	}
	first = json_object_array_get_idx(v, 0);
	if ((k->x5c = strdup(json_object_get_string(first))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	return 0;
}

/* keys[idx] of a key set into k.  Returns 0 or -1 with err set. */
static int
jwk_read(struct json_object *obj, size_t idx, struct jwk_text *k, char *err,
    size_t errsz)
{
	size_t	i;

	memset(k, 0, sizeof(*k));
	if (!json_object_is_type(obj, json_type_object)) {
		snprintf(err, errsz, "keys[%zu] is not an object", idx);
		return -1;
	}
	for (i = 0; i < sizeof(jwk_members) / sizeof(jwk_members[0]); i++)
		if (jwk_copy(obj, jwk_members[i], idx, jwk_slot(k, i), err,
		    errsz) == -1)
			return -1;
	return jwk_x5c(obj, idx, k, err, errsz);
}

/* A whole document of len bytes, white space around it allowed, or NULL. */
static struct json_object *
parse_document(const char *text, size_t len)
{
	struct json_tokener	*tok;
	struct json_object	*obj;
	size_t			 used;

	if (len > INT_MAX || (tok = json_tokener_new()) == NULL)
		return NULL;
	obj = json_tokener_parse_ex(tok, text, (int)len);
	used = json_tokener_get_parse_end(tok);
	if (obj != NULL && (json_tokener_get_error(tok) != json_tokener_success
	    || !only_space(text + used, len - used))) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

/*
 * Parse a JSON Web Key Set: an object whose "keys" is an array of 1 to
 * JWKS_KEYS_MAX objects.  Fills keys[] (release with json_jwks_free()) and
 * *nkeys.  Members other than those of struct jwk_text are ignored; one
 * of those that is not a string is an error.  Returns 0, or -1 with one
 * phrase in err and nothing to free.
 */
int
json_jwks_parse(const char *text, size_t len, struct jwk_text *keys,
    size_t *nkeys, char *err, size_t errsz)
{
	struct json_object	*top, *arr;
	size_t			 i, n = 0;
	int			 rc = -1;

	*nkeys = 0;
	if ((top = parse_document(text, len)) == NULL) {
		snprintf(err, errsz, "not valid JSON");
		return -1;
	}
	if (!json_object_is_type(top, json_type_object) ||
	    !json_object_object_get_ex(top, "keys", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		snprintf(err, errsz, "not a key set (an object with a "
		    "\"keys\" array)");
	else if ((n = json_object_array_length(arr)) == 0 ||
	    n > JWKS_KEYS_MAX)
		snprintf(err, errsz, "\"keys\" holds %zu keys (1 to %d)", n,
		    JWKS_KEYS_MAX);
	else
		for (rc = 0, i = 0; i < n && rc == 0; i++)
			if ((rc = jwk_read(json_object_array_get_idx(arr, i),
			    i, &keys[i], err, errsz)) == -1)
				json_jwks_free(keys, i + 1);
	json_object_put(top);
	if (rc == 0)
		*nkeys = n;
	return rc;
}

void
json_jwks_free(struct jwk_text *keys, size_t nkeys)
{
	size_t	i, m;

	for (i = 0; i < nkeys; i++) {
		for (m = 0; m < sizeof(jwk_members) / sizeof(jwk_members[0]);
		    m++)
			free(*jwk_slot(&keys[i], m));
		free(keys[i].x5c);
		memset(&keys[i], 0, sizeof(keys[i]));
	}
}
