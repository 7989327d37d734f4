/*
 * test_allow.c: allow.c, the address allow-lists of PRODREC_STATUS_ALLOW:
 * IPv4 and IPv6 addresses and CIDR blocks, and what a list refuses.
 */
#include <string.h>

#include "allow.h"
#include "tap.h"

static void
test_allow(void)
{
	struct allow	a;
	char		err[256];

	ok(allow_parse("127.0.0.0/8,::1", &a, err, sizeof(err), "x") == 0 &&
	    a.n == 2, "the default list parses");
	ok(allow_match(&a, "127.0.0.1") && allow_match(&a, "127.255.1.2"),
	    "127/8 matches loopback addresses");
	ok(allow_match(&a, "::1"), "::1 matches");
	ok(allow_match(&a, "::ffff:127.0.0.1"), "an IPv4-mapped address "
	    "matches as IPv4");
	ok(!allow_match(&a, "128.0.0.1") && !allow_match(&a, "10.0.0.1"),
	    "others do not");
	ok(!allow_match(&a, "::2") && !allow_match(&a, NULL) &&
	    !allow_match(&a, "") && !allow_match(&a, "localhost"),
	    "::2, no address, an empty one and a name do not");
	ok(allow_parse(" 10.1.2.3/16 , 2001:db8::/32 ,192.168.1.7", &a, err,
	    sizeof(err), "x") == 0 && a.n == 3, "spaces around entries");
	ok(allow_match(&a, "10.1.200.9") && !allow_match(&a, "10.2.0.1"),
	    "a /16 with host bits set is masked");
	ok(allow_match(&a, "2001:db8:ffff::1") && !allow_match(&a,
	    "2001:db9::1"), "an IPv6 /32");
	ok(allow_match(&a, "192.168.1.7") && !allow_match(&a, "192.168.1.8"),
	    "a bare address is a /32");
	ok(allow_parse("0.0.0.0/0", &a, err, sizeof(err), "x") == 0 &&
	    allow_match(&a, "8.8.8.8") && !allow_match(&a, "::1"),
	    "0.0.0.0/0 is every IPv4 address and no IPv6 one");
	ok(allow_parse("", &a, err, sizeof(err), "x") == 0 && a.n == 0 &&
	    !allow_match(&a, "127.0.0.1"), "an empty list allows no one");
	ok(allow_parse("127.0.0.1/33", &a, err, sizeof(err), "S") == -1 &&
	    strstr(err, "127.0.0.1/33") != NULL && strncmp(err, "S: ", 3) == 0,
	    "a prefix too long is refused, naming the entry: %s", err);
	ok(allow_parse("10.0.0.0/", &a, err, sizeof(err), "x") == -1,
	    "an empty prefix is refused");
	ok(allow_parse("10.0.0.0/-1", &a, err, sizeof(err), "x") == -1,
	    "a negative prefix is refused");
	ok(allow_parse("localhost", &a, err, sizeof(err), "x") == -1,
	    "a host name is refused");
	ok(allow_parse("1.2.3.4,,5.6.7.8", &a, err, sizeof(err), "x") == 0 &&
	    a.n == 2, "empty entries are skipped");
	ok(allow_parse("::ffff:10.0.0.0/104", &a, err, sizeof(err), "x") == 0 &&
	    allow_match(&a, "10.200.0.1") && allow_match(&a,
	    "::ffff:10.1.2.3") && !allow_match(&a, "11.0.0.1"),
	    "an IPv4-mapped block is its IPv4 block (/104 = /8)");
	ok(allow_parse("::ffff:10.0.0.0/64", &a, err, sizeof(err), "x") == -1,
	    "an IPv4-mapped block shorter than /96 is refused");
}

int
main(void)
{
	test_allow();
	return done_testing();
}
