/*
 * fcgiclient.h: the smallest FastCGI client, for coldstart.c and
 * fcgidrive.c: one request per connection, as lighttpd sends them.  It
 * builds the bench's create request (the body wrk.lua sends) and reads the
 * answer's status.  Header-only: each program is one file plus this.
 */
#ifndef BENCH_FCGICLIENT_H
#define BENCH_FCGICLIENT_H

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FC_BEGIN_REQUEST	1
#define FC_END_REQUEST		3
#define FC_PARAMS		4
#define FC_STDIN		5
#define FC_STDOUT		6
#define FC_STDERR		7
#define FC_RESPONDER		1

#define FC_BUF_MAX		32768	/* one whole request */

/* The request body; tag and n make clientEventId distinct (see wrk.lua). */
static inline int
fc_body(char *out, size_t cap, const char *session, const char *tag,
    unsigned long n, const char *recorded_at)
{
	return snprintf(out, cap,
	    "{\"sessionId\":\"%s\",\"workerId\":\"W%s-%lu\","
	    "\"worker_name\":\"Bench Worker\",\"units\":%lu,"
	    "\"recordedAtUtc\":\"%s\",\"clientEventId\":\"evt-%s-%lu\"}",
	    session, tag, n, 1 + n % 9, recorded_at, tag, n);
}

/* Append a record header for type/len to b at *off. */
static inline void
fc_header(unsigned char *b, size_t *off, int type, size_t len)
{
	unsigned char *h = b + *off;

	h[0] = 1;			/* version */
	h[1] = (unsigned char)type;
	h[2] = 0;			/* request id 1 */
	h[3] = 1;
	h[4] = (unsigned char)(len >> 8);
	h[5] = (unsigned char)(len & 0xff);
	h[6] = 0;			/* padding */
	h[7] = 0;
	*off += 8;
}

/* Append one name-value pair (FastCGI length encoding). */
static inline void
fc_pair(unsigned char *b, size_t *off, const char *name, const char *value)
{
	size_t	nl = strlen(name), vl = strlen(value), i;
	size_t	lens[2] = { nl, vl };

	for (i = 0; i < 2; i++) {
		if (lens[i] < 128)
			b[(*off)++] = (unsigned char)lens[i];
		else {
			b[(*off)++] = (unsigned char)(0x80 | (lens[i] >> 24));
			b[(*off)++] = (unsigned char)(lens[i] >> 16);
			b[(*off)++] = (unsigned char)(lens[i] >> 8);
			b[(*off)++] = (unsigned char)lens[i];
		}
	}
	memcpy(b + *off, name, nl);
	*off += nl;
	memcpy(b + *off, value, vl);
	*off += vl;
}

/*
 * Build the whole create request (BEGIN_REQUEST, PARAMS as lighttpd sends
 * them, STDIN) into b, FC_BUF_MAX bytes.  Returns its length, 0 when it
 * does not fit.
 */
static inline size_t
fc_request(unsigned char *b, const char *token, const char *body)
{
	char		 auth[9000], clen[24];
	unsigned char	 params[12000];
	size_t		 off = 0, plen = 0, blen = strlen(body), sent, chunk;

	if (strlen(token) > 8192 || blen > 16384)
		return 0;
	snprintf(auth, sizeof(auth), "Bearer %s", token);
	snprintf(clen, sizeof(clen), "%zu", blen);
	fc_pair(params, &plen, "CONTENT_LENGTH", clen);
	fc_pair(params, &plen, "CONTENT_TYPE", "application/json");
	fc_pair(params, &plen, "REQUEST_METHOD", "POST");
	fc_pair(params, &plen, "REQUEST_URI", "/api/control/production/records");
	fc_pair(params, &plen, "SCRIPT_NAME", "/api/control");
	fc_pair(params, &plen, "PATH_INFO", "/production/records");
	fc_pair(params, &plen, "QUERY_STRING", "");
	fc_pair(params, &plen, "SERVER_PROTOCOL", "HTTP/1.1");
	fc_pair(params, &plen, "GATEWAY_INTERFACE", "CGI/1.1");
	fc_pair(params, &plen, "SERVER_SOFTWARE", "bench");
	fc_pair(params, &plen, "SERVER_NAME", "127.0.0.1");
	fc_pair(params, &plen, "SERVER_ADDR", "127.0.0.1");
	fc_pair(params, &plen, "SERVER_PORT", "80");
	fc_pair(params, &plen, "REMOTE_ADDR", "127.0.0.1");
	fc_pair(params, &plen, "REMOTE_PORT", "40000");
	fc_pair(params, &plen, "HTTP_HOST", "127.0.0.1");
	fc_pair(params, &plen, "HTTP_AUTHORIZATION", auth);
	fc_pair(params, &plen, "HTTP_CONTENT_TYPE", "application/json");

	fc_header(b, &off, FC_BEGIN_REQUEST, 8);
	memset(b + off, 0, 8);
	b[off + 1] = FC_RESPONDER;		/* flags 0: close when done */
	off += 8;
	for (sent = 0; sent < plen; sent += chunk) {
		chunk = plen - sent > 65535 ? 65535 : plen - sent;
		fc_header(b, &off, FC_PARAMS, chunk);
		memcpy(b + off, params + sent, chunk);
		off += chunk;
	}
	fc_header(b, &off, FC_PARAMS, 0);
	if (blen > 0) {
		fc_header(b, &off, FC_STDIN, blen);
		memcpy(b + off, body, blen);
		off += blen;
	}
	fc_header(b, &off, FC_STDIN, 0);
	return off;
}

/* A connected unix stream socket, or -1 (errno from connect). */
static inline int
fc_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static inline int
fc_read_full(int fd, unsigned char *p, size_t n)
{
	ssize_t	r;

	while (n > 0) {
		if ((r = read(fd, p, n)) <= 0) {
			if (r == -1 && errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/*
 * Send req on fd and read records until END_REQUEST.  Returns the HTTP
 * status of the answer ("Status: NNN", 200 when absent), -1 on a transport
 * error.
 */
static inline int
fc_exchange(int fd, const unsigned char *req, size_t len)
{
	unsigned char	 h[8], content[65536 + 256];
	char		 head[64];
	size_t		 done = 0, headlen = 0, clen;
	ssize_t		 w;
	int		 status = -1;

	while (done < len) {
		if ((w = write(fd, req + done, len - done)) <= 0) {
			if (w == -1 && errno == EINTR)
				continue;
			return -1;
		}
		done += (size_t)w;
	}
	for (;;) {
		if (fc_read_full(fd, h, 8) == -1)
			return -1;
		clen = ((size_t)h[4] << 8 | h[5]) + h[6];
		if (fc_read_full(fd, content, clen) == -1)
			return -1;
		clen -= h[6];
		if (h[1] == FC_STDOUT && headlen < sizeof(head) - 1) {
			size_t take = clen < sizeof(head) - 1 - headlen ?
			    clen : sizeof(head) - 1 - headlen;
			memcpy(head + headlen, content, take);
			headlen += take;
		}
		if (h[1] == FC_END_REQUEST)
			break;
	}
	head[headlen] = '\0';
	if (strncmp(head, "Status: ", 8) == 0)
		status = atoi(head + 8);
	else if (headlen > 0)
		status = 200;
	return status;
}

#endif
