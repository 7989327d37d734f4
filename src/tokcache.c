/*
 * tokcache.c: a worker's small cache of tokens it has verified, so that an
 * app sending the same token with every request pays for the signature
 * and the claims once, not per request (with RS256/ES256, libjwt parses
 * the PEM key and checks the signature every time).  A hit needs the very
 * same bytes: the hash only picks the slot, the whole token is compared.
 * An entry holds between the token's nbf and exp, widened by the leeway;
 * the other checks (signature, iss, aud, the user claim) depend only on
 * the token and the configuration, and a new configuration (auth_init)
 * empties the cache.  Refused tokens are never kept.  Part of the token
 * module (only auth.c calls it), and so it may use OpenSSL too.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "tokcache.h"

struct entry {
	char	*tok;			/* malloc'd copy, NULL when empty */
	size_t	 len;
	struct tokwindow w;		/* when it is accepted */
	char	 user[USER_ID_MAX + 1];
};

static struct entry	cache[TOKCACHE_SLOTS];

/* FNV-1a over the token's last 32 bytes: its signature, random enough. */
static size_t
slot_of(const char *tok, size_t len)
{
	uint64_t	h = 14695981039346656037ULL;
	size_t		i = len > 32 ? len - 32 : 0;

	for (; i < len; i++) {
		h ^= (unsigned char)tok[i];
		h *= 1099511628211ULL;
	}
	return (size_t)(h % TOKCACHE_SLOTS);
}

/* Is tok (len bytes) verified and still valid at now?  1 with user, or 0. */
int
tokcache_get(const char *tok, size_t len, time_t now,
    char user[USER_ID_MAX + 1])
{
	const struct entry	*e = &cache[slot_of(tok, len)];

	/* In constant time: how much of a guess matches must not show. */
	if (e->tok == NULL || e->len != len || (int64_t)now > e->w.until ||
	    (int64_t)now < e->w.from || CRYPTO_memcmp(e->tok, tok, len) != 0)
		return 0;
	memcpy(user, e->user, sizeof(e->user));
	return 1;
}

/* Keep a verified token (replacing its slot's), if it is not too long. */
void
tokcache_put(const char *tok, size_t len, const struct tokwindow *w,
    const char *user)
{
	struct entry	*e = &cache[slot_of(tok, len)];
	char		*copy;

	if (len > TOKCACHE_TOKEN_MAX || strlen(user) > USER_ID_MAX)
		return;
	if (e->tok != NULL && e->len >= len)
		copy = e->tok;			/* reuse the allocation */
	else if ((copy = malloc(len)) == NULL)
		return;				/* a cache: just miss */
	else
		free(e->tok);
	memcpy(copy, tok, len);
	e->tok = copy;
	e->len = len;
	e->w = *w;
	strcpy(e->user, user);
}

void
tokcache_clear(void)
{
	size_t	i;

	for (i = 0; i < TOKCACHE_SLOTS; i++) {
		free(cache[i].tok);
		memset(&cache[i], 0, sizeof(cache[i]));
	}
}
