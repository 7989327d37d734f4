/* test_lex.c: UTF-8 sequences and JSON number literals (lex.c). */
#include <stdio.h>
#include <string.h>

#include "lex.h"
#include "tap.h"

/* lex_utf8 over all of s: the code points' count, or -1 at the first refusal. */
static long
count_cps(const char *s, size_t len)
{
	size_t		i = 0;
	unsigned long	cp;
	long		n = 0;

	while (i < len) {
		if (lex_utf8((const unsigned char *)s, len, &i, &cp) == -1)
			return -1;
		n++;
	}
	return n;
}

static void
test_utf8(void)
{
	size_t		i = 0;
	unsigned long	cp = 0;

	ok(lex_utf8((const unsigned char *)"\xe2\x82\xac", 3, &i, &cp) == 0 &&
	    cp == 0x20ac && i == 3, "the euro sign is U+20AC, 3 bytes");
	i = 0;
	ok(lex_utf8((const unsigned char *)"\xf0\x9f\x98\x80", 4, &i, &cp) ==
	    0 && cp == 0x1f600 && i == 4, "an emoji, 4 bytes");
	ok(count_cps("a\xc3\xa9" "b", 4) == 3, "ASCII and a 2-byte sequence");
	ok(count_cps("\xc0\xaf", 2) == -1, "an overlong slash");
	ok(count_cps("\xe0\x80\xaf", 3) == -1, "an overlong 3-byte slash");
	ok(count_cps("\xed\xa0\x80", 3) == -1, "a surrogate");
	ok(count_cps("\xf4\x90\x80\x80", 4) == -1, "above U+10FFFF");
	ok(count_cps("\x80", 1) == -1, "a stray continuation byte");
	ok(count_cps("\xe2\x82", 2) == -1, "a cut sequence");
	ok(count_cps("\xe2\x82" "a", 3) == -1, "a sequence broken by ASCII");
	ok(count_cps("\xf5\x80\x80\x80", 4) == -1, "a lead byte above F4");
}

/* Does lex_number take all of s (NUL-terminated) as one literal? */
static int
whole(const char *s)
{
	struct numlit	n;
	size_t		len = strlen(s);

	return len > 0 && lex_number(s, len, 0, &n) == len;
}

static void
test_number(void)
{
	struct numlit	n;
	const char	*good[] = { "0", "-0", "5", "10", "1.5", "0.25", "1e2",
			    "1E+2", "1e-2", "-12.5e10", "100e-2" };
	const char	*bad[] = { "", "-", "01", "-01", "1.", ".5", "1.e2", "1e",
			    "1e+", "+1", "00" };
	size_t		i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(whole(good[i]), "a number: %s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!whole(bad[i]), "not a number: \"%s\"", bad[i]);
	ok(lex_number("[12,3]", 6, 1, &n) == 3, "scanning stops at the comma");
	ok(lex_number("-12.50e3", 8, 0, &n) == 8 && n.neg && n.ndigits == 4 &&
	    n.nfrac == 2 && n.first == 0 && n.last == 2 && n.exp == 3 &&
	    n.mant_end == 6, "the parts of -12.50e3");
	ok(lex_number("1e99999999999", 13, 0, &n) == 13 &&
	    n.exp >= LEX_EXP_CAP && n.exp < 10 * LEX_EXP_CAP + 10,
	    "a huge exponent stops growing past the cap");
	ok(lex_number("0.000", 5, 0, &n) == 5 && !n.nonzero, "zero is zero");
}

int
main(void)
{
	test_utf8();
	test_number();
	return done_testing();
}
