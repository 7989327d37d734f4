/* lex.c: UTF-8 sequences and JSON number literals, for json.c and validate.c. */
#include <string.h>

#include "lex.h"

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Decode the UTF-8 sequence at s[*i] into *cp and advance *i.  Refuses
 * (-1) what is not well-formed UTF-8: stray continuation bytes, truncated
 * or overlong sequences, surrogates and code points above U+10FFFF.
 */
int
lex_utf8(const unsigned char *s, size_t len, size_t *i, unsigned long *cp)
{
	static const unsigned long	 least[] = { 0, 0x80, 0x800, 0x10000 };
	unsigned char			 c = s[(*i)++];
	int				 extra;

	if (c < 0x80) {
		*cp = c;
		return 0;
	}
	if (c < 0xc2 || c > 0xf4)
		return -1;
	extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
	*cp = c & (0x3f >> extra);
	for (; extra > 0; extra--, (*i)++) {
		if (*i >= len || (s[*i] & 0xc0) != 0x80)
			return -1;
		*cp = (*cp << 6) | (s[*i] & 0x3f);
	}
	extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
	if (*cp < least[extra] || *cp > 0x10ffff ||
	    (*cp >= 0xd800 && *cp <= 0xdfff))
		return -1;
	return 0;
}

/* Take in the run of digits at s[*i], noting where the non-zeros are. */
static void
scan_digits(const char *s, size_t len, size_t *i, struct numlit *n)
{
	for (; *i < len && is_digit(s[*i]); (*i)++, n->ndigits++) {
		if (s[*i] == '0')
			continue;
		if (!n->nonzero)
			n->first = n->ndigits;
		n->last = n->ndigits;
		n->nonzero = 1;
	}
}

/*
 * Take apart the literal of JSON's number grammar,
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, that starts at s[i],
 * into n (json-c enforces the grammar only loosely: it takes 00, -01, 1.
 * and 1.e2).  Returns the index after it, or 0 when none starts there.
 */
size_t
lex_number(const char *s, size_t len, size_t i, struct numlit *n)
{
	size_t	start;
	int	eneg = 0;

	memset(n, 0, sizeof(*n));
	if (i < len && s[i] == '-')
		n->neg = 1, i++;
	if (i == len || !is_digit(s[i]) ||
	    (s[i] == '0' && i + 1 < len && is_digit(s[i + 1])))
		return 0;
	scan_digits(s, len, &i, n);
	if (i < len && s[i] == '.') {
		start = ++i;
		scan_digits(s, len, &i, n);
		if ((n->nfrac = i - start) == 0)
			return 0;
	}
	n->mant_end = i;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < len && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		if (i == len || !is_digit(s[i]))
			return 0;
		for (; i < len && is_digit(s[i]); i++)
			if (n->exp < LEX_EXP_CAP)
				n->exp = n->exp * 10 + (s[i] - '0');
		if (eneg)
			n->exp = -n->exp;
	}
	return i;
}
