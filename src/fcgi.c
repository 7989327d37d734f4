/* fcgi.c: the accept loop; request in, response out (the only user of libfcgi). */
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "app.h"
#include "config.h"
#include "fcgi.h"
#include "http.h"
#include "listen.h"
#include "log.h"
#include "pool.h"
#include "proc.h"
#include "route.h"
#include "stats.h"

#define PATH_MAX_LEN	2048	/* longer SCRIPT_NAME + PATH_INFO is a 404 */
#define DRAIN_MAX	(1024 * 1024)	/* bytes of an unread body read ... */
#define DRAIN_MS	1000		/* ... and time spent, at most */

static volatile sig_atomic_t	stopping;
static int			peer_timeout;	/* seconds, from the config */
static int			draining;	/* serving the last of the
						   backlog: keep no connection */

/*
 * From the SIGTERM/SIGINT handler: leave the accept loop.  The stop signals
 * are only let through while the worker waits for work, so a request in
 * flight is never interrupted (no EINTR inside libfcgi or Connector/C).
 */
void
fcgi_request_stop(void)
{
	stopping = 1;
}

/* CONTENT_LENGTH as a number, or CONTENT_LENGTH_ABSENT or _BAD. */
static long long
content_length(const char *v)
{
	char		*end;
	long long	 n;

	if (v == NULL || *v == '\0')
		return CONTENT_LENGTH_ABSENT;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (*v < '0' || *v > '9' || *end != '\0')
		return CONTENT_LENGTH_BAD;
	/* Digits beyond long long are still a length: too large (413). */
	return errno == ERANGE ? LLONG_MAX : n;
}

/* The FastCGI parameters this program reads. */
enum param {
	P_METHOD, P_URI, P_SCRIPT, P_INFO, P_QUERY, P_CTYPE, P_CLEN, P_AUTH,
	P_IKEY, P_ADDR, P__MAX
};

static const char *const param_names[P__MAX] = {
	[P_METHOD] = "REQUEST_METHOD=",
	[P_URI] = "REQUEST_URI=",
	[P_SCRIPT] = "SCRIPT_NAME=",
	[P_INFO] = "PATH_INFO=",
	[P_QUERY] = "QUERY_STRING=",
	[P_CTYPE] = "CONTENT_TYPE=",
	[P_CLEN] = "CONTENT_LENGTH=",
	[P_AUTH] = "HTTP_AUTHORIZATION=",
	[P_IKEY] = "HTTP_IDEMPOTENCY_KEY=",
	[P_ADDR] = "REMOTE_ADDR=",
};

/*
 * Find every parameter of param_names in one pass over envp (the first of
 * a repeated name wins, as with FCGX_GetParam); NULL when absent.
 */
static void
find_params(FCGX_ParamArray envp, const char *v[P__MAX])
{
	const char	*e, *n;
	int		 i;

	memset(v, 0, sizeof(*v) * P__MAX);
	for (; (e = *envp) != NULL; envp++)
		for (i = 0; i < P__MAX; i++) {
			n = param_names[i];
			if (e[0] != n[0] || v[i] != NULL)
				continue;
			while (*n != '\0' && *e == *n)
				e++, n++;
			if (*n == '\0') {
				v[i] = e;
				break;
			}
			e = *envp;
		}
}

/*
 * The request path without its query string: REQUEST_URI, or SCRIPT_NAME
 * + PATH_INFO when the front end sends no REQUEST_URI.
 */
static void
request_path(struct request *req, const char *const v[P__MAX],
    char *scratch, size_t scratchsz)
{
	int	n;

	if (v[P_URI] != NULL) {
		req->path = v[P_URI];
		req->path_len = strcspn(v[P_URI], "?#");
		return;
	}
	n = snprintf(scratch, scratchsz, "%s%s", v[P_SCRIPT] ? v[P_SCRIPT] :
	    "", v[P_INFO] ? v[P_INFO] : "");
	req->path = scratch;
	req->path_len = n < 0 || (size_t)n >= scratchsz ? 0 : (size_t)n;
}

/*
 * The request's read_body: the whole body from its FastCGI stream (req->io)
 * into b.
 */
enum body_read
fcgi_read_body(struct request *req, struct buf *b, size_t max)
{
	FCGX_Stream	*in = req->io;
	size_t		 want;
	char		 extra;
	int		 n;

	buf_reset(b);
	if (req->content_length == CONTENT_LENGTH_BAD)
		return BODY_SHORT;
	if (req->content_length > (long long)max)
		return BODY_TOO_LARGE;
	/* Without a length, read to the end, one byte past max to notice. */
	want = req->content_length >= 0 ? (size_t)req->content_length : max + 1;
	if (buf_reserve(b, want) == -1)
		return BODY_NO_MEMORY;
	while (b->len < want) {
		n = FCGX_GetStr(b->data + b->len, (int)(want - b->len), in);
		if (n <= 0)
			break;
		b->len += (size_t)n;
	}
	/* Take the record that ends the body too (finish_input need not). */
	if (req->content_length >= 0 && b->len == want)
		(void)FCGX_GetStr(&extra, 1, in);
	b->data[b->len] = '\0';
	if (req->content_length < 0)
		return b->len > max ? BODY_TOO_LARGE : BODY_OK;
	return b->len == want ? BODY_OK : BODY_SHORT;
}

/* Fill req from the FastCGI parameters; pointers live until Finish. */
static void
read_request(struct request *req, FCGX_Request *fr, char *scratch,
    size_t scratchsz)
{
	const char	*v[P__MAX];

	find_params(fr->envp, v);
	memset(req, 0, sizeof(*req));
	req->method = v[P_METHOD] != NULL ? v[P_METHOD] : "";
	request_path(req, v, scratch, scratchsz);
	req->query = v[P_QUERY] != NULL ? v[P_QUERY] : "";
	req->content_type = v[P_CTYPE];
	req->content_length = content_length(v[P_CLEN]);
	req->authorization = v[P_AUTH];
	req->idempotency_key = v[P_IKEY];
	req->remote_addr = v[P_ADDR];
	req->read_body = fcgi_read_body;
	req->io = fr->in;
}

/* A response head being built: strings and numbers appended, no printf. */
struct head {
	char	buf[768];
	size_t	len;
	int	overflow;
};

static void
head_put(struct head *h, const char *s)
{
	size_t	n = strlen(s);

	if (h->len + n >= sizeof(h->buf)) {
		h->overflow = 1;
		return;
	}
	memcpy(h->buf + h->len, s, n);
	h->len += n;
}

static void
head_num(struct head *h, unsigned long long v)
{
	char	digits[24], *p = digits + sizeof(digits) - 1;

	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	head_put(h, p);
}

/* "Name: value\r\n" when value is set. */
static void
head_field(struct head *h, const char *name, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return;
	head_put(h, name);
	head_put(h, value);
	head_put(h, "\r\n");
}

/*
 * Write the CGI-style head and the body; libfcgi sends them in one record
 * where they fit.  Every answer but the Prometheus text is JSON (CONTRACT
 * section 5).
 */
static void
write_response(FCGX_Request *fr, const struct response *resp)
{
	struct head	h = { .len = 0 };

	head_put(&h, "Status: ");
	head_num(&h, (unsigned)resp->status);
	head_put(&h, " ");
	head_put(&h, http_reason(resp->status));
	head_put(&h, "\r\nContent-Type: ");
	head_put(&h, resp->content_type ? resp->content_type :
	    "application/json; charset=utf-8");
	head_put(&h, "\r\nContent-Length: ");
	head_num(&h, resp->body.len);
	head_put(&h, "\r\nCache-Control: no-store\r\n");
	head_field(&h, "Allow: ", resp->allow);
	head_field(&h, "WWW-Authenticate: ", resp->www_authenticate);
	head_field(&h, "Location: ", resp->location);
	if (resp->retry_after > 0) {
		head_put(&h, "Retry-After: ");
		head_num(&h, resp->retry_after);
		head_put(&h, "\r\n");
	}
	head_put(&h, "\r\n");
	if (h.overflow) {
		log_warnx("response head too long");
		return;
	}
	if (FCGX_PutStr(h.buf, (int)h.len, fr->out) != (int)h.len ||
	    (resp->body.len > 0 && FCGX_PutStr(resp->body.data,
	    (int)resp->body.len, fr->out) != (int)resp->body.len))
		log_warnx("client went away before the response was written");
}

/*
 * A worker serves one connection at a time, so a peer that stops sending
 * mid-request must not hold it for ever: reads and writes on the accepted
 * connection give up after peer_timeout seconds (the body then reads short
 * and the request ends with a 400 or a dropped connection).
 */
static void
limit_peer(int fd)
{
	struct timeval	tv = { peer_timeout, 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		log_warn("setsockopt on the FastCGI connection");
}

/*
 * Has a stop signal come while a request was being served?  It is still
 * pending: ppoll() delivers it only when it has to wait, not when the
 * socket is ready at once, which under load it always is.
 */
static int
stop_pending(void)
{
	sigset_t	pending;

	if (sigpending(&pending) == -1)
		return 0;
	return sigismember(&pending, SIGTERM) == 1 ||
	    sigismember(&pending, SIGINT) == 1;
}

/* What waiting for work came to. */
enum wait {
	WAIT_READY,		/* the socket is readable */
	WAIT_SIGNAL,		/* a signal came (a stop?) */
	WAIT_TIMEOUT,		/* nothing within the time-out */
	WAIT_ERROR
};

/*
 * Wait until fd has work (a connection to accept, or the next request on a
 * connection the web server keeps open), for at most timeout (NULL: for
 * ever), letting the stop signals in only here.
 */
static enum wait
wait_for_work(int fd, const struct timespec *timeout, const sigset_t *waitmask)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };
	int		n;

	if ((n = ppoll(&pfd, 1, timeout, waitmask)) > 0)
		return WAIT_READY;
	if (n == 0)
		return WAIT_TIMEOUT;
	if (errno == EINTR)
		return WAIT_SIGNAL;
	log_warn("poll on the FastCGI socket");
	return WAIT_ERROR;
}

/*
 * Block the stop signals (they stay pending while a request is served) and
 * make the listening socket non-blocking: every worker of the pool wakes
 * for a new connection and the ones that lose the race must not block in
 * accept, where a stop signal could no longer reach them.
 */
static int
prepare(int listen_fd, sigset_t *waitmask)
{
	sigset_t	stopset;
	int		fl;

	sigemptyset(&stopset);
	sigaddset(&stopset, SIGTERM);
	sigaddset(&stopset, SIGINT);
	if (sigprocmask(SIG_BLOCK, &stopset, waitmask) == -1) {
		log_warn("sigprocmask");
		return -1;
	}
	sigdelset(waitmask, SIGTERM);
	sigdelset(waitmask, SIGINT);
	if ((fl = fcntl(listen_fd, F_GETFL)) == -1 ||
	    fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK) == -1) {
		log_warn("fcntl on the FastCGI socket");
		return -1;
	}
	/*
	 * libfcgi closes a connection with shutdown(), then waits (2 s at
	 * most) for the web server to close its end first, on every request:
	 * a fifth of a worker's CPU and a wait per request.  The wait only
	 * matters when input is left unread (closing then resets the
	 * connection, and the answer can be lost); finish_input() reads what
	 * a handler left, so it is not needed.  An operator's own setting
	 * wins.
	 */
	if (setenv("LIBFCGI_OS_CLOSE_POLL_TIMEOUT", "0", 0) == -1) {
		log_warn("setenv");
		return -1;
	}
	if (FCGX_Init() != 0) {
		log_warnx("cannot set up libfcgi");
		return -1;
	}
	return 0;
}

/* What next_request() found. */
enum next {
	NEXT_REQUEST,		/* a request to serve */
	NEXT_NONE,		/* a connection ended without one (the peer
				   went away, timed out or spoke no FastCGI) */
	NEXT_EMPTY,		/* nothing queued on the listening socket
				   (another worker took it, or it is stopped) */
	NEXT_ERROR		/* the worker cannot go on */
};

/*
 * Take the next request: from the connection the web server keeps open, or
 * from a new connection accepted here rather than in libfcgi, so that the
 * peer's time-outs hold from its first byte: libfcgi reads the parameters
 * inside FCGX_Accept_r, where no stop signal gets through.  libfcgi's own
 * listening socket is -1, so when a connection ends without a request it
 * returns -EBADF instead of accepting one itself.
 */
static enum next
next_request(int listen_fd, FCGX_Request *fr)
{
	int	fd, n;

	if (fr->ipcFd < 0) {
		if ((fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				return NEXT_NONE;
			/* EINVAL: a stopped TCP listener (listen_close_drained) */
			if (errno == EAGAIN || (errno == EINVAL && draining))
				return NEXT_EMPTY;
			log_warn("accept on the FastCGI socket");
			return NEXT_ERROR;
		}
		limit_peer(fd);
		fr->ipcFd = fd;
		fr->keepConnection = 1;	/* FCGX_Accept_r first finishes the
					   last request: keep this one open */
	}
	if ((n = FCGX_Accept_r(fr)) == 0)
		return NEXT_REQUEST;
	if (n == -EBADF)
		return NEXT_NONE;
	log_warnx("libfcgi cannot take a request (%d)", n);
	return NEXT_ERROR;
}

/* Close the connection the web server keeps open, if any. */
static void
close_kept(FCGX_Request *fr)
{
	if (fr->ipcFd < 0)
		return;
	fr->keepConnection = 0;
	FCGX_Finish_r(fr);	/* the request is finished: this only closes */
}

/* Set the receive time-out of the web server's connection. */
static void
recv_timeout(int fd, int seconds)
{
	struct timeval	tv = { seconds, 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		log_warn("setsockopt on the FastCGI connection");
}

/*
 * How many bytes to ask FCGX_GetStr for, so that it blocks for one read at
 * most: what its buffer holds, else 1 (which reads what has come).  It
 * returns short only at the end of the input, so asking for more would let
 * a body trickling in a byte at a time keep it reading, past any deadline.
 * The buffer's bounds are fields of the stream that fcgiapp.h declares
 * (rdNext, stop), read only.
 */
static int
read_size(const FCGX_Stream *in, int max)
{
	ptrdiff_t	n = in->stop - in->rdNext;

	return n <= 0 ? 1 : n < max ? (int)n : max;
}

/* Read in up to max bytes until EOF or deadline_ms; 1 when EOF was seen. */
static int
drain(FCGX_Stream *in, size_t max, int64_t deadline_ms)
{
	char	buf[4096];
	size_t	total = 0;
	int	n;

	while (total <= max && proc_now_ms() < deadline_ms && (n =
	    FCGX_GetStr(buf, read_size(in, (int)sizeof(buf)), in)) > 0)
		total += (size_t)n;
	return FCGX_HasSeenEOF(in) != 0;
}

/*
 * Read what the handler left of the request (an answer given before the
 * body: 401, 413, 405), so that the connection closes cleanly: closing
 * with input unread resets it, and the web server may lose the answer.
 * Web servers send a request whole, so this is normally one read of what
 * is buffered (without a body, only the empty record that ends it, sent
 * with the parameters).  A body that is huge or trickles in is not waited
 * for, whatever CONTENT_LENGTH says or does not say: DRAIN_MAX bytes within
 * DRAIN_MS (reads time out after a second), then the connection is closed,
 * never offered for the next request, which could be another client's.
 */
static void
finish_input(FCGX_Request *fr)
{
	if (FCGX_HasSeenEOF(fr->in))
		return;
	recv_timeout(fr->ipcFd, 1);
	if (!drain(fr->in, DRAIN_MAX, proc_now_ms() + DRAIN_MS))
		fr->keepConnection = 0;
	else if (fr->keepConnection)
		recv_timeout(fr->ipcFd, peer_timeout);
}

/*
 * Wait for the next request and take it.  On a connection the web server
 * keeps open, wait first (stop signals get in only while waiting), for at
 * most peer_timeout: an idle kept connection is closed then, or it would
 * hold this worker for ever.  For a new connection, try to accept first
 * and wait only when none is queued: under load one system call less per
 * request.  Returns 1 with a request, 0 when there is none yet (or a
 * signal came), -1 on error.
 */
static int
take_request(int listen_fd, FCGX_Request *fr, const sigset_t *waitmask)
{
	struct timespec	idle = { peer_timeout, 0 };
	enum wait	w;

	if (fr->ipcFd >= 0) {
		if ((w = wait_for_work(fr->ipcFd, &idle, waitmask)) ==
		    WAIT_TIMEOUT)
			close_kept(fr);
		if (w != WAIT_READY)
			return w == WAIT_ERROR ? -1 : 0;
	}
	switch (next_request(listen_fd, fr)) {
	case NEXT_REQUEST:
		return 1;
	case NEXT_ERROR:
		return -1;
	case NEXT_EMPTY:
		return wait_for_work(listen_fd, NULL, waitmask) == WAIT_ERROR ?
		    -1 : 0;
	default:
		return 0;
	}
}

/* Serve one accepted request: parse, route, answer, finish. */
static void
serve_one(struct app *app, FCGX_Request *fr, struct response *resp)
{
	struct request	req;
	char		path[PATH_MAX_LEN];

	stats_request_begin();
	read_request(&req, fr, path, sizeof(path));
	http_response_reset(resp);
	if (app->renew != NULL && app->renew() == -1) {
		http_fault(resp, OUT_UNAVAILABLE, "configuration reload");
		stopping = 1;	/* the master starts a worker that has it */
	} else {
		peer_timeout = (int)app->cfg->peer_timeout;
		route_request(app, &req, resp);
	}
	/* Counted before it is sent: a worker killed the moment its answer
	   is out has counted it. */
	stats_request_end(resp->status);
	write_response(fr, resp);
	finish_input(fr);
	if (draining)
		fr->keepConnection = 0;
	FCGX_Finish_r(fr);
}

/*
 * The whole pool is stopping, not only this worker: its listening socket
 * takes no new connection (listen_stop, done by the master, or here when
 * this process serves alone), but what it queued before is served, not
 * dropped: accept until nothing is left, one request per connection, then
 * make the socket refuse outright.  A request already sent on a connection
 * the web server keeps open is served; an idle kept connection is closed.
 */
static void
drain_backlog(struct app *app, int listen_fd, FCGX_Request *fr,
    struct response *resp)
{
	struct timespec	now = { 0, 0 };
	enum next	n;

	draining = 1;
	if (listen_stop(listen_fd) == -1)
		log_warn("cannot stop the listening socket");
	if (fr->ipcFd >= 0 && wait_for_work(fr->ipcFd, &now, NULL) !=
	    WAIT_READY)
		close_kept(fr);
	while ((n = next_request(listen_fd, fr)) != NEXT_EMPTY &&
	    n != NEXT_ERROR)
		if (n == NEXT_REQUEST)
			serve_one(app, fr, resp);
	listen_close_drained(listen_fd);
}

/*
 * Serve requests from listen_fd until told to stop, the request limit
 * (PRODREC_MAX_REQUESTS) is reached or the socket fails.  One request at a
 * time: a worker is one process.  Returns 0 on a clean stop, -1 on error.
 */
int
fcgi_serve(struct app *app, int listen_fd)
{
	FCGX_Request	fr;
	struct response	resp;
	sigset_t	waitmask;
	unsigned	served = 0, limit = app->cfg->max_requests;
	int		rc = 0, n;

	peer_timeout = (int)app->cfg->peer_timeout;
	if (prepare(listen_fd, &waitmask) == -1 ||
	    FCGX_InitRequest(&fr, -1, 0) != 0)	/* next_request accepts */
		return -1;
	memset(&resp, 0, sizeof(resp));
	while (!stopping && !stop_pending() && (limit == 0 || served < limit)) {
		if ((n = take_request(listen_fd, &fr, &waitmask)) < 0) {
			rc = -1;
			break;
		}
		if (n == 0)
			continue;	/* a signal (a stop?), or no request yet */
		serve_one(app, &fr, &resp);
		served++;
	}
	if (limit != 0 && served == limit)
		log_warnx("served its request limit (PRODREC_MAX_REQUESTS=%u); "
		    "exiting for a fresh process", limit);
	else if (rc == 0 && pool_stopping())
		drain_backlog(app, listen_fd, &fr, &resp);
	FCGX_Free(&fr, 1);
	buf_free(&resp.body);
	return rc;
}
