/*
 * fake.h: a request as the FastCGI front end would hand it to a handler,
 * without a web server: the body comes from memory through a reader
 * FCGX_Stream (fcgiapp.h's public struct, refilled by fake_fill), and a
 * bearer token is minted with libjwt for an HS256 secret the program is
 * configured with (fake_auth).  For test_api.c, test_route.c and
 * test_control.c.
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

#endif
