/*
 * fake.h: a request as the FastCGI front end would hand it to a handler,
 * without a web server: the body comes from memory through a reader
 * FCGX_Stream (fcgiapp.h's public struct, refilled by fake_fill), and a
 * bearer token is minted with libjwt for an HS256 secret the program is
 * configured with (fake_auth).  For test_api.c, test_route.c,
 * test_control.c, test_record.c and test_session.c.
 */
#ifndef PRODREC_FAKE_H
#define PRODREC_FAKE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fcgiapp.h>
#include <jwt.h>

#include "alg.h"
#include "app.h"
#include "auth.h"
#include "buf.h"
#include "config.h"
#include "fcgi.h"
#include "http.h"
#include "tap.h"

#define FAKE_SECRET	"a-test-secret-of-thirty-two-byte"
#define FAKE_USER	"auth0|alice"

/* The body: handed out in pieces of at most chunk bytes. */
struct fake_io {
	FCGX_Stream		 stream;
	const unsigned char	*data;
	size_t			 len, at, chunk;
};

/* fillBuffProc: the next piece, or the end (isClosed). */
static void __attribute__((unused))
fake_fill(FCGX_Stream *s)
{
	struct fake_io	*io = (struct fake_io *)s;
	size_t		 n = io->len - io->at;

	if (n == 0) {
		s->isClosed = 1;
		return;
	}
	if (io->chunk != 0 && n > io->chunk)
		n = io->chunk;
	s->rdNext = s->stopUnget = (unsigned char *)io->data + io->at;
	s->stop = s->rdNext + n;
	io->at += n;
}

/* Make io a reader of len bytes of data, chunk bytes at a time (0: all). */
static void __attribute__((unused))
fake_body(struct fake_io *io, const char *data, size_t len, size_t chunk)
{
	memset(io, 0, sizeof(*io));
	io->data = (const unsigned char *)data;
	io->len = len;
	io->chunk = chunk;
	io->stream.isReader = 1;
	io->stream.fillBuffProc = fake_fill;
	io->stream.rdNext = io->stream.stop = io->stream.stopUnget =
	    (unsigned char *)data;
}

/* A request with no headers and an empty body. */
static void __attribute__((unused))
fake_request(struct request *req, struct fake_io *io, const char *method,
    const char *path)
{
	memset(req, 0, sizeof(*req));
	req->method = method;
	req->path = path;
	req->path_len = strlen(path);
	req->query = "";
	req->content_length = CONTENT_LENGTH_ABSENT;
	fake_body(io, "", 0, 0);
	req->read_body = fcgi_read_body;
	req->io = &io->stream;
}

/* A response as the front end resets it before each request. */
static void __attribute__((unused))
fake_response(struct response *resp)
{
	buf_free(&resp->body);
	memset(resp, 0, sizeof(*resp));
	http_response_reset(resp);
}

/* Configure auth_check for HS256 with FAKE_SECRET.  Returns 0 or -1. */
static int __attribute__((unused))
fake_auth(struct config *cfg)
{
	char	err[256];

	cfg->jwt_algs = 1u << ALG_HS256;
	cfg->jwt_secret = (char *)FAKE_SECRET;
	cfg->jwt_secret_len = strlen(FAKE_SECRET);
	cfg->jwt_leeway = 60;
	cfg->jwt_user_claim = (char *)"sub";
	if (auth_init(cfg, err, sizeof(err)) == -1) {
		printf("# auth_init: %s\n", err);
		return -1;
	}
	return 0;
}

/* "Bearer <token>" for sub, valid for an hour from now (static). */
static __attribute__((unused)) const char *
fake_bearer(const char *sub)
{
	static char	 header[1024];
	char		 claims[256];
	jwt_t		*jwt;
	char		*tok;

	snprintf(claims, sizeof(claims), "{\"sub\":\"%s\",\"exp\":%lld}", sub,
	    (long long)time(NULL) + 3600);
	if (jwt_new(&jwt) != 0 || jwt_add_grants_json(jwt, claims) != 0 ||
	    jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)FAKE_SECRET,
	    (int)strlen(FAKE_SECRET)) != 0 ||
	    (tok = jwt_encode_str(jwt)) == NULL)
		abort();
	jwt_free(jwt);
	snprintf(header, sizeof(header), "Bearer %s", tok);
	free(tok);
	return header;
}

/* Does the error body say "error": detail? */
static int __attribute__((unused))
fake_error_is(const struct response *resp, const char *message,
    const char *detail)
{
	char	want[512];

	snprintf(want, sizeof(want), "{\"status\":\"error\",\"message\":\"%s\","
	    "\"error\":\"%s\"}", message, detail);
	return resp->body.data != NULL && strcmp(resp->body.data, want) == 0;
}

/* The program's state, and the request in hand, of a test program. */
static struct config	cfg __attribute__((unused));
static struct app	app __attribute__((unused));
static struct request	req __attribute__((unused));
static struct response	resp __attribute__((unused));
static struct fake_io	io __attribute__((unused));

/*
 * The program's state for a test: bodies of at most max_body bytes, no
 * listening socket, HS256 tokens (fake_auth).  Returns 0 or -1.
 */
static int __attribute__((unused))
fake_init(size_t max_body)
{
	cfg.max_body = max_body;
	app.cfg = &cfg;
	app.listen_fd = -1;
	return fake_auth(&cfg);
}

/*
 * A fresh req for method path?query, with a token for sub (NULL: none) and
 * body (NULL: none, else sent whole as application/json), and a fresh resp.
 */
static void __attribute__((unused))
fake_send(const char *method, const char *path, const char *query,
    const char *sub, const char *body)
{
	fake_request(&req, &io, method, path);
	req.query = query;
	fake_response(&resp);
	if (sub != NULL)
		req.authorization = fake_bearer(sub);
	if (body != NULL) {
		fake_body(&io, body, strlen(body), 0);
		req.content_type = "application/json";
		req.content_length = (long long)strlen(body);
	}
}

/*
 * One check, made at file:line: resp is status with the error body whose
 * "error" is detail, or with detail NULL a fault (CONTRACT section 5): a
 * request id for "error", and Retry-After on a 503 only.
 */
static int __attribute__((unused))
fake_answered_at(const char *file, int line, int status, const char *detail,
    const char *desc)
{
	int	good = resp.status == status && resp.location[0] == '\0';

	if (detail != NULL)
		good = good && resp.retry_after == 0 &&
		    fake_error_is(&resp, http_reason(status), detail);
	else
		good = good && resp.retry_after == (status == 503 ? 1u : 0u) &&
		    resp.body.data != NULL && strstr(resp.body.data,
		    "\",\"error\":\"request id ") != NULL;
	if (!ok_at(file, line, good, "%s: %d", desc, status))
		printf("# got %d %s\n", resp.status, resp.body.data != NULL ?
		    resp.body.data : "(no body)");
	return good;
}
#define fake_answered(...)	fake_answered_at(__FILE__, __LINE__, __VA_ARGS__)

/*
 * One check, made at file:line: resp is status with exactly the body want
 * and, for a 201 only, Location: location.
 */
static int __attribute__((unused))
fake_replied_at(const char *file, int line, int status, const char *want,
    const char *location, const char *desc)
{
	int	good = resp.status == status && resp.body.data != NULL &&
		    strcmp(resp.body.data, want) == 0 &&
		    strcmp(resp.location, location != NULL ? location : "") == 0;

	if (!ok_at(file, line, good, "%s: %d", desc, status))
		printf("# got %d %s (Location: %s)\n# want %s\n", resp.status,
		    resp.body.data != NULL ? resp.body.data : "(no body)",
		    resp.location, want);
	return good;
}
#define fake_replied(...)	fake_replied_at(__FILE__, __LINE__, __VA_ARGS__)

/* A script of database answers (tests/fuzz/stub_db.h) and the fault it ends in. */
struct fake_fault {
	const char	*script;
	int		 status;	/* 500 or 503 */
	const char	*desc;
};

/*
 * For each of the n faults, run(script) and check that it answered the
 * fault (fake_answered_at, at file:line).
 */
static void __attribute__((unused))
fake_faults_at(const char *file, int line, void (*run)(const char *),
    const struct fake_fault *f, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		run(f[i].script);
		fake_answered_at(file, line, f[i].status, NULL, f[i].desc);
	}
}
#define fake_faults(run, f) \
	fake_faults_at(__FILE__, __LINE__, (run), (f), sizeof(f) / sizeof((f)[0]))

/* The end of a test program: free what the fake request held, the plan. */
static int __attribute__((unused))
fake_done(void)
{
	buf_free(&resp.body);
	buf_free(&app.body);
	auth_free();
	return done_testing();
}

#endif
