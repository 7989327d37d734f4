/*
 * test_buf.c: buf.c, the growable NUL-terminated byte buffer a worker
 * reuses across requests: growth, appending, printf, reset and free, and
 * the sizes it refuses.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "buf.h"
#include "tap.h"

static void
test_empty(void)
{
	struct buf	b = { NULL, 0, 0 };

	buf_reset(&b);
	ok(b.data == NULL && b.len == 0 && b.cap == 0,
	    "buf_reset of a buffer never used allocates nothing");
	buf_free(&b);
	ok(b.data == NULL && b.len == 0 && b.cap == 0, "nor does buf_free");
	ok(buf_reserve(&b, 0) == 0 && b.cap == 256 && b.len == 0 &&
	    b.data[0] == '\0', "the first reserve allocates 256 bytes, an "
	    "empty string");
	buf_free(&b);
	ok(buf_append(&b, "", 0) == 0 && b.data != NULL && b.data[0] == '\0' &&
	    b.len == 0, "appending nothing leaves an empty string");
	buf_free(&b);
	ok(buf_puts(&b, "") == 0 && b.data != NULL && strcmp(b.data, "") == 0,
	    "buf_puts of an empty string");
	buf_free(&b);
}

static void
test_append(void)
{
	struct buf	b = { NULL, 0, 0 };

	ok(buf_puts(&b, "abc") == 0 && b.len == 3 &&
	    strcmp(b.data, "abc") == 0, "buf_puts");
	ok(buf_append(&b, "d\0e", 3) == 0 && b.len == 6 &&
	    memcmp(b.data, "abcd\0e", 7) == 0, "buf_append keeps NUL bytes "
	    "and ends with one");
	ok(buf_append(&b, "xyz", 1) == 0 && b.len == 7 && b.data[6] == 'x' &&
	    b.data[7] == '\0', "only n bytes");
	buf_reset(&b);
	ok(b.len == 0 && b.data[0] == '\0' && b.cap == 256,
	    "reset empties it and keeps its memory");
	ok(buf_puts(&b, "again") == 0 && strcmp(b.data, "again") == 0,
	    "and it fills again");
	buf_free(&b);
	ok(b.data == NULL && b.len == 0 && b.cap == 0, "buf_free");
}

static void
test_growth(void)
{
	struct buf	 b = { NULL, 0, 0 };
	char		 chunk[100];
	size_t		 i, caps = 0, last = 0;
	int		 good = 1;

	memset(chunk, 'a', sizeof(chunk));
	for (i = 0; i < 1000; i++) {
		if (buf_append(&b, chunk, sizeof(chunk)) == -1) {
			good = 0;
			break;
		}
		if (b.cap != last) {
			caps++;
			if (last != 0 && b.cap != last * 2)
				good = 0;
			last = b.cap;
		}
		if (b.len >= b.cap || b.data[b.len] != '\0')
			good = 0;
	}
	ok(good && b.len == 100000, "100000 bytes in 100-byte pieces, the "
	    "capacity doubling, always room for the NUL");
	ok(b.cap == 131072 && caps == 10, "256 doubled to 131072: %zu bytes, "
	    "%zu sizes", b.cap, caps);
	for (i = 0, good = 1; i < b.len; i++)
		good &= b.data[i] == 'a';
	ok(good, "the bytes survive every move");
	buf_free(&b);

	ok(buf_reserve(&b, 1000) == 0 && b.cap == 1024,
	    "a reserve over 256 doubles to fit 1000 + NUL");
	ok(buf_reserve(&b, 1023) == 0 && b.cap == 1024,
	    "1023 and the NUL fit in 1024");
	ok(buf_reserve(&b, 1024) == 0 && b.cap == 2048,
	    "1024 and the NUL do not");
	ok(b.len == 0, "reserving adds no bytes");
	buf_free(&b);
}

static void
test_printf(void)
{
	struct buf	 b = { NULL, 0, 0 };
	char		 big[1000];
	int		 good = 1;
	size_t		 i;

	ok(buf_printf(&b, "%d-%s", 42, "x") == 0 && b.len == 4 &&
	    strcmp(b.data, "42-x") == 0, "buf_printf");
	ok(buf_printf(&b, ",%llu", 18446744073709551615ULL) == 0 &&
	    strcmp(b.data, "42-x,18446744073709551615") == 0,
	    "buf_printf appends");
	ok(buf_printf(&b, "%s", "") == 0 && b.len == 25, "printing nothing");
	buf_reset(&b);
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < 5; i++)
		good &= buf_printf(&b, "%s|", big) == 0;
	ok(good && b.len == 5000 && b.data[999] == '|' &&
	    b.data[4999] == '|' && b.data[5000] == '\0' && b.cap == 8192,
	    "buf_printf grows past 256 and the output is whole: %zu", b.len);
	buf_free(&b);
	ok(buf_printf(&b, "%c", 0) == 0 && b.len == 1 && b.data[0] == '\0',
	    "a NUL character counts");
	buf_free(&b);
}

static void
test_refusals(void)
{
	static const wchar_t	wide[] = { 0x263a, 0 };
	struct buf		b = { NULL, 0, 0 };
	char			mem[8] = "abc";

	ok(buf_reserve(&b, SIZE_MAX) == -1 && b.data == NULL && b.cap == 0,
	    "SIZE_MAX bytes are refused before any allocation");
	ok(buf_append(&b, "x", SIZE_MAX) == -1 && b.data == NULL,
	    "so is an append of SIZE_MAX bytes");
	/* A buffer that claims to hold nearly everything already. */
	b.data = mem;
	b.len = SIZE_MAX - 3;
	b.cap = 8;
	ok(buf_reserve(&b, 3) == -1 && b.data == mem && b.cap == 8,
	    "len + extra + NUL past SIZE_MAX is refused, the buffer "
	    "untouched");
	ok(buf_append(&b, "xyz", 3) == -1 && buf_puts(&b, "xyz") == -1 &&
	    b.len == SIZE_MAX - 3 && strcmp(mem, "abc") == 0,
	    "and appends are refused without writing");
	b.data = NULL;
	b.len = b.cap = 0;
	/* A wide character the C locale cannot convert: vsnprintf fails. */
	ok(buf_puts(&b, "keep") == 0 && buf_printf(&b, "%ls", wide) == -1 &&
	    b.len == 4 && strcmp(b.data, "keep") == 0,
	    "a printf that fails (EILSEQ) leaves the buffer as it was");
	buf_free(&b);
}

int
main(void)
{
	test_empty();
	test_append();
	test_growth();
	test_printf();
	test_refusals();
	return done_testing();
}
