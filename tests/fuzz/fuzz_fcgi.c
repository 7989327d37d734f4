/*
 * fuzz_fcgi.c: FastCGI parameters and a body through what fcgi.c does
 * with a request libfcgi has taken: find the parameters (find_params),
 * the path (REQUEST_URI, or SCRIPT_NAME + PATH_INFO), CONTENT_LENGTH, the
 * body from the input stream (fcgi.c's read_body), routing with stub_db.c in
 * place of MariaDB, the response head (write_response) and the reading of
 * what is left (finish_input).  Its functions are static, so fcgi.c is
 * included here.
 *
 * Input: parameters "NAME=VALUE", one per line, up to an empty line (or,
 * when the input starts with a NUL byte, separated by NULs up to an empty
 * one); the rest is the body.  Two parameters prodrec does not read are
 * for this target: FUZZ_DB is the stub database's script (stub_db.h),
 * FUZZ_CHUNK the size of the pieces the body arrives in (all at once
 * otherwise).
 */
/* fcgi.c is checked with -Werror by the program's build; here a warning
   clang has about it stays a warning (in run/fuzz/build.log). */
#pragma clang diagnostic push
#pragma clang diagnostic warning "-Wall"
#pragma clang diagnostic warning "-Wextra"
#pragma clang diagnostic warning "-Wshadow"
#pragma clang diagnostic warning "-Wmissing-prototypes"
#pragma clang diagnostic warning "-Wstrict-prototypes"
#include "../../src/fcgi.c"
#pragma clang diagnostic pop

#include <sys/socket.h>
#include <unistd.h>

#include "auth.h"
#include "fuzz.h"
#include "fuzz_app.h"
#include "stub_db.h"
#include "tokcache.h"

#define PARAMS_MAX	64

/* The body arriving in pieces, each in a buffer of its own size. */
struct source {
	const unsigned char	*p;
	size_t			 left, chunk;
	unsigned char		*piece;		/* the current piece */
};

/* What the program writes, gathered. */
struct sink {
	unsigned char	 piece[512];
	struct buf	 all;
};

static struct config	cfg;
static struct app	app;
static struct response	resp;
static struct sink	sink;
static int		peer[2];	/* a socket for the time-outs */

static void
free_all(void)
{
	auth_free();
	buf_free(&app.body);
	buf_free(&resp.body);
	buf_free(&sink.all);
	(void)close(peer[0]);
	(void)close(peer[1]);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_app_setup(&cfg, &app);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, peer) == -1 ||
	    atexit(free_all) != 0)
		abort();
	app.listen_fd = -1;
	return 0;
}

/* libfcgi's fill procedure: the next piece, or the end of the stream. */
static void
fill(FCGX_Stream *s)
{
	struct source	*src = s->data;
	size_t		 n = src->left < src->chunk ? src->left : src->chunk;

	free(src->piece);
	src->piece = NULL;
	if (n == 0) {
		s->isClosed = 1;
		s->rdNext = s->stop = s->stopUnget = NULL;
		return;
	}
	if ((src->piece = malloc(n)) == NULL)
		abort();
	memcpy(src->piece, src->p, n);
	src->p += n;
	src->left -= n;
	s->rdNext = s->stopUnget = src->piece;
	s->stop = src->piece + n;
}

/* libfcgi's empty procedure: keep what was written. */
static void
empty(FCGX_Stream *s, int close)
{
	struct sink	*k = s->data;

	(void)close;
	if (buf_append(&k->all, k->piece, (size_t)(s->wrNext - k->piece)) == -1)
		abort();
	s->wrNext = k->piece;
}

/*
 * Split the parameters off the input into envp (NUL-terminated copies in
 * text, which the caller frees); *body is what follows.  Returns the count.
 */
static int
split_params(const uint8_t *data, size_t len, char **text, char **envp,
    struct fuzz_in *body)
{
	char		 sep = '\n';
	const char	*line;
	size_t		 line_len;
	char		*t;
	int		 n = 0;

	if (len > 0 && data[0] == '\0') {
		sep = '\0';
		data++, len--;
	}
	*text = t = fuzz_strndup(data, len);
	body->p = t;
	body->left = len;
	while (n < PARAMS_MAX - 1 && fuzz_line(body, sep, &line, &line_len) == 0
	    && line_len > 0) {
		t[line - *text + line_len] = '\0';
		envp[n++] = (char *)line;
	}
	envp[n] = NULL;
	return n;
}

/* The pieces the body comes in: FUZZ_CHUNK, or all at once. */
static size_t
chunk_size(char **envp, size_t len)
{
	const char	*v = FCGX_GetParam("FUZZ_CHUNK", envp);
	long		 n = v != NULL ? strtol(v, NULL, 10) : 0;

	return n > 0 && n < 1 << 20 ? (size_t)n : len + 1;
}

/* find_params gives what FCGX_GetParam gives, for every name. */
static void
check_params(char **envp)
{
	const char	*v[P__MAX];
	char		 name[64];
	int		 i;

	find_params(envp, v);
	for (i = 0; i < P__MAX; i++) {
		size_t len = strlen(param_names[i]) - 1;	/* no '=' */
		memcpy(name, param_names[i], len);
		name[len] = '\0';
		FUZZ_CHECK(v[i] == FCGX_GetParam(name, envp));
	}
}

/*
 * The answer is a CGI head of "Name: value" lines, the Status first, a
 * blank line, and as many body bytes as Content-Length says.
 */
static void
check_answer(const struct buf *b)
{
	const char	*p = b->data, *end, *eoh, *cl;

	FUZZ_CHECK(b->len > 0 && b->data[b->len] == '\0');
	FUZZ_CHECK(strncmp(p, "Status: ", 8) == 0);
	eoh = strstr(p, "\r\n\r\n");
	FUZZ_CHECK(eoh != NULL);
	for (; p < eoh + 2; p = end + 2) {
		end = strstr(p, "\r\n");
		FUZZ_CHECK(memchr(p, '\n', (size_t)(end - p)) == NULL &&
		    memchr(p, '\r', (size_t)(end - p)) == NULL);
		FUZZ_CHECK(memmem(p, (size_t)(end - p), ": ", 2) != NULL);
	}
	cl = strstr(b->data, "\r\nContent-Length: ");
	FUZZ_CHECK(cl != NULL && cl < eoh);
	FUZZ_CHECK(strtoull(cl + 18, NULL, 10) ==
	    (unsigned long long)(b->len - (size_t)(eoh + 4 - b->data)));
}

/* serve_one() without the status figures and libfcgi's own finishing. */
static void
serve(FCGX_Request *fr)
{
	struct request	req;
	char		path[PATH_MAX_LEN];

	read_request(&req, fr, path, sizeof(path));
	FUZZ_CHECK(req.method != NULL && req.path != NULL &&
	    req.query != NULL && req.content_length >= -2);
	FUZZ_CHECK(req.path_len <= strlen(req.path));
	http_response_reset(&resp);
	route_request(&app, &req, &resp);
	write_response(fr, &resp);
	empty(fr->out, 0);
	check_answer(&sink.all);
	finish_input(fr);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char		*envp[PARAMS_MAX], *text, *script;
	struct fuzz_in	 body;
	struct source	 src;
	FCGX_Stream	 in, out;
	FCGX_Request	 fr;

	split_params(data, len, &text, envp, &body);
	check_params(envp);
	script = FCGX_GetParam("FUZZ_DB", envp);
	stub_db_script(script ? script : "", script ? strlen(script) : 0);

	memset(&src, 0, sizeof(src));
	src.p = (const unsigned char *)body.p;
	src.left = body.left;
	src.chunk = chunk_size(envp, body.left);
	memset(&in, 0, sizeof(in));
	in.isReader = 1;
	in.fillBuffProc = fill;
	in.data = &src;
	memset(&out, 0, sizeof(out));
	out.wrNext = sink.piece;
	out.stop = sink.piece + sizeof(sink.piece);
	out.emptyBuffProc = empty;
	out.data = &sink;
	buf_reset(&sink.all);
	memset(&fr, 0, sizeof(fr));
	fr.in = &in;
	fr.out = &out;
	fr.envp = envp;
	fr.ipcFd = peer[0];
	fr.keepConnection = 1;

	serve(&fr);
	free(src.piece);
	tokcache_clear();
	free(text);
	return 0;
}
