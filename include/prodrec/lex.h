/*
 * lex.h: the lexical rules of JSON text that json.c's strict pre-scan and
 * validate.c's field checks share: UTF-8 sequences and number literals.
 */
#ifndef PRODREC_LEX_H
#define PRODREC_LEX_H

#include <stddef.h>

/* A JSON number literal taken apart; digit positions count digits only. */
struct numlit {
	int	neg;
	size_t	ndigits;	/* digits before the exponent */
	size_t	nfrac;		/* of which after the point */
	size_t	first, last;	/* first and last non-zero digit */
	int	nonzero;	/* any non-zero digit at all */
	long	exp;		/* the exponent; stops growing once past
				   +-LEX_EXP_CAP, where all mean the same */
	size_t	mant_end;	/* offset of the exponent part, or its end */
};

#define LEX_EXP_CAP	1000000000L	/* larger exponents mean the same */

/* lex.c */
int	lex_utf8(const unsigned char *, size_t len, size_t *i,
	    unsigned long *cp);
size_t	lex_number(const char *, size_t len, size_t i, struct numlit *);

#endif
