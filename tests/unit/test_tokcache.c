/*
 * test_tokcache.c: tokcache.c, a worker's cache of verified tokens: hits
 * inside the token's window only, exact bytes, the size limit, clearing.
 */
#include <string.h>
#include <time.h>

#include "tokcache.h"
#include "tap.h"

static void
test_tokcache(void)
{
	static const char	tok[] = "aaa.bbb.signature-one";
	static const char	other[] = "aaa.bbb.signature-two";
	struct tokwindow	w = { 1000, 2000 };
	char			user[USER_ID_MAX + 1], big[TOKCACHE_TOKEN_MAX + 2];

	ok(!tokcache_get(tok, strlen(tok), 1500, user), "empty: a miss");
	tokcache_put(tok, strlen(tok), &w, "alice");
	ok(tokcache_get(tok, strlen(tok), 1500, user) &&
	    strcmp(user, "alice") == 0, "a hit gives the user");
	ok(tokcache_get(tok, strlen(tok), 1000, user) &&
	    tokcache_get(tok, strlen(tok), 2000, user), "both ends of the "
	    "window are inside");
	ok(!tokcache_get(tok, strlen(tok), 2001, user), "after exp + leeway: "
	    "a miss");
	ok(!tokcache_get(tok, strlen(tok), 999, user), "before nbf - leeway: "
	    "a miss");
	ok(!tokcache_get(other, strlen(other), 1500, user), "other bytes: a "
	    "miss");
	ok(!tokcache_get(tok, strlen(tok) - 1, 1500, user), "a prefix: a miss");
	tokcache_put(other, strlen(other), &w, "bob");
	ok(tokcache_get(other, strlen(other), 1500, user) &&
	    strcmp(user, "bob") == 0, "a second token");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	tokcache_put(big, strlen(big), &w, "carol");
	ok(!tokcache_get(big, strlen(big), 1500, user), "a token over "
	    "TOKCACHE_TOKEN_MAX is not kept");
	tokcache_clear();
	ok(!tokcache_get(tok, strlen(tok), 1500, user) &&
	    !tokcache_get(other, strlen(other), 1500, user), "clear empties it");
}

int
main(void)
{
	test_tokcache();
	return done_testing();
}
