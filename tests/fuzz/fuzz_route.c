/*
 * fuzz_route.c: a method, a path and a query string through route.c and
 * every handler behind it (record.c, session.c, control.c, api.c, http.c),
 * with a valid token and stub_db.c in place of MariaDB.
 *
 * Input: "METHOD URI" on the first line (the URI is split at '?' into path
 * and query, as a web server does), the stub database's script on the
 * second (stub_db.h), and the body after it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "allow.h"
#include "app.h"
#include "auth.h"
#include "fuzz.h"
#include "fuzz_app.h"
#include "http.h"
#include "json.h"
#include "route.h"
#include "stub_db.h"
#include "tokcache.h"


/* The body as fcgi.c's read_body would find it on the stream. */
struct body_stream {
	const char	*p;
	size_t		 len;
};

static struct config	cfg;
static struct app	app;
static struct response	resp;
static char		authorization[512];

/* Same contract as fcgi.c's, from memory. */
static enum body_read
read_body(struct request *req, struct buf *b, size_t max)
{
	const struct body_stream	*s = req->io;
	size_t				 n = s->len;

	buf_reset(b);
	if (req->content_length == CONTENT_LENGTH_BAD)
		return BODY_SHORT;
	if (req->content_length > (long long)max)
		return BODY_TOO_LARGE;
	if (req->content_length >= 0 && n > (size_t)req->content_length)
		n = (size_t)req->content_length;
	if (n > max + 1)
		n = max + 1;
	if (buf_append(b, s->p, n) == -1)
		return BODY_NO_MEMORY;
	if (req->content_length < 0)
		return b->len > max ? BODY_TOO_LARGE : BODY_OK;
	return b->len == (size_t)req->content_length ? BODY_OK : BODY_SHORT;
}

static size_t
b64url(char *out, const void *in, size_t len)
{
	unsigned char	 enc[512];
	size_t		 n;
	int		 m;

	FUZZ_CHECK(len <= 300);
	m = EVP_EncodeBlock(enc, in, (int)len);
	for (n = 0; n < (size_t)m && enc[n] != '='; n++)
		out[n] = enc[n] == '+' ? '-' : enc[n] == '/' ? '_' :
		    (char)enc[n];
	return n;
}

/* "Bearer <token>" for STUB_DB_USER, valid until 2100. */
static void
make_authorization(void)
{
	static const char	 head[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	static const char	 claims[] = "{\"sub\":\"" STUB_DB_USER "\","
				    "\"exp\":4102444800}";
	unsigned char		 mac[EVP_MAX_MD_SIZE];
	size_t			 n = 7, maclen;

	memcpy(authorization, "Bearer ", 7);
	n += b64url(authorization + n, head, sizeof(head) - 1);
	authorization[n++] = '.';
	n += b64url(authorization + n, claims, sizeof(claims) - 1);
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, FUZZ_SECRET,
	    strlen(FUZZ_SECRET), (unsigned char *)authorization + 7, n - 7, mac,
	    sizeof(mac), &maclen) == NULL)
		abort();
	authorization[n++] = '.';
	n += b64url(authorization + n, mac, maclen);
	authorization[n] = '\0';
}

static void
free_all(void)
{
	auth_free();
	buf_free(&app.body);
	buf_free(&resp.body);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_app_setup(&cfg, &app);
	if (atexit(free_all) != 0)
		abort();
	app.listen_fd = -1;
	make_authorization();
	return 0;
}

/* What every answer must have (CONTRACT section 5). */
static void
check_response(const struct response *r)
{
	struct jbody	*body = NULL;
	const char	*why = NULL;
	struct jvalue	 v;

	FUZZ_CHECK(strcmp(http_reason(r->status), "Unknown") != 0);
	FUZZ_CHECK(r->status != 405 || r->allow != NULL);
	FUZZ_CHECK(r->status != 401 || r->www_authenticate != NULL);
	FUZZ_CHECK(r->status != 201 || r->location[0] == '/');
	if (r->content_type != NULL)
		return;		/* the Prometheus text */
	FUZZ_CHECK(json_body_parse(r->body.data, r->body.len, &body, &why) ==
	    0);
	json_body_get(body, "status", &v);
	FUZZ_CHECK(v.type == JT_STRING);
	json_body_free(body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fuzz_in		 in = { (const char *)data, len };
	struct body_stream	 stream;
	struct request		 req;
	const char		*line, *script = "", *sp;
	size_t			 line_len, script_len = 0;
	char			*method, *uri, *q;

	if (fuzz_line(&in, '\n', &line, &line_len) == -1)
		return 0;
	if ((sp = memchr(line, ' ', line_len)) == NULL)
		return 0;
	method = fuzz_strndup((const uint8_t *)line, (size_t)(sp - line));
	uri = fuzz_strndup((const uint8_t *)sp + 1, line_len -
	    (size_t)(sp - line) - 1);
	if (fuzz_line(&in, '\n', &script, &script_len) == -1)
		script_len = 0;
	stub_db_script(script, script_len);
	stream.p = in.p;
	stream.len = in.left;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = uri;
	req.path_len = strcspn(uri, "?#");
	q = strchr(uri, '?');
	req.query = q != NULL ? q + 1 : "";
	req.content_type = "application/json";
	req.content_length = (long long)stream.len;
	req.authorization = authorization;
	req.remote_addr = "127.0.0.1";
	req.read_body = read_body;
	req.io = &stream;

	http_response_reset(&resp);
	route_request(&app, &req, &resp);
	check_response(&resp);
	tokcache_clear();
	free(method);
	free(uri);
	return 0;
}
