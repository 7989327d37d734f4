/*
 * listen.c: the listening socket: open it for a standalone prodrec, check
 * the one a web server passes, and stop it without dropping what it queued.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <linux/filter.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listen.h"

/*
 * Decide what to do with a file already at a unix socket path: a socket
 * nobody listens on is left over from a crash and may go; a live socket or
 * any other file is an error.  Returns 0 when the path is free.
 */
static int
clear_stale(const char *path, const struct sockaddr_un *sun, char *err,
    size_t errsz)
{
	struct stat	sb;
	int		fd, rc, e;

	if (lstat(path, &sb) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(sb.st_mode)) {
		snprintf(err, errsz, "%s exists and is not a socket", path);
		return -1;
	}
	/* Non-blocking: a live server with a full backlog answers EAGAIN. */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		snprintf(err, errsz, "socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	e = errno;
	close(fd);
	if (rc == 0 || e == EAGAIN) {
		snprintf(err, errsz, "%s is in use by another process", path);
		return -1;
	}
	if (e != ECONNREFUSED && e != ENOENT) {
		snprintf(err, errsz, "cannot tell whether %s is in use: %s",
		    path, strerror(e));
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errsz, "cannot remove the stale %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* A unix socket at path with permissions mode (never wider, even briefly). */
static int
open_unix(const char *path, int backlog, unsigned mode, char *err,
    size_t errsz)
{
	struct sockaddr_un	sun;
	mode_t			old;
	int			fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errsz, "socket path longer than %zu bytes: %s",
		    sizeof(sun.sun_path) - 1, path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if (clear_stale(path, &sun, err, errsz) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errsz, "socket: %s", strerror(errno));
		return -1;
	}
	old = umask(~mode & 0777);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc == -1 || chmod(path, mode) == -1 || listen(fd, backlog) == -1) {
		snprintf(err, errsz, "cannot listen on %s: %s", path,
		    strerror(errno));
		if (rc == 0)
			unlink(path);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Split "host:port", "[v6]:port" or "*:port" into host (NULL for any
 * address) and port, in buf.  Returns 0 or -1.
 */
static int
split_host_port(const char *spec, char *buf, size_t bufsz, char **host,
    char **port)
{
	char	*colon;

	if (strlen(spec) >= bufsz)
		return -1;
	strcpy(buf, spec);
	if ((colon = strrchr(buf, ':')) == NULL || colon[1] == '\0')
		return -1;
	*colon = '\0';
	*port = colon + 1;
	*host = buf;
	if (buf[0] == '[') {
		if (colon == buf + 1 || colon[-1] != ']')
			return -1;
		colon[-1] = '\0';
		*host = buf + 1;
	} else if (strchr(buf, ':') != NULL)
		return -1;	/* an IPv6 address needs its brackets */
	if (strcmp(*host, "*") == 0)
		*host = NULL;
	else if (**host == '\0')
		return -1;
	/* Digits, and at most 65535: getaddrinfo would wrap a larger one. */
	return strspn(*port, "0123456789") == strlen(*port) &&
	    strlen(*port) <= 5 && atoi(*port) <= 65535 ? 0 : -1;
}

/* A TCP socket bound to the first address host:port resolves to. */
static int
open_tcp(const char *spec, int backlog, char *err, size_t errsz)
{
	struct addrinfo	 hints, *res, *ai;
	char		 buf[300], *host, *port;
	int		 fd = -1, on = 1, gai, saved = 0;

	if (split_host_port(spec, buf, sizeof(buf), &host, &port) == -1) {
		snprintf(err, errsz, "listen address \"%s\" is neither "
		    "host:port, [v6]:port, *:port nor an absolute socket path",
		    spec);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((gai = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errsz, "listen address %s: %s", spec,
		    gai_strerror(gai));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on)) == 0 && bind(fd, ai->ai_addr,
		    ai->ai_addrlen) == 0 && listen(fd, backlog) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		snprintf(err, errsz, "cannot listen on %s: %s", spec,
		    strerror(saved ? saved : EADDRNOTAVAIL));
	return fd;
}

/*
 * Open the listening socket spec names: an absolute path is a unix socket
 * made with permissions mode (a stale one from a crash is replaced, a live
 * one is an error), anything else host:port.  Returns the descriptor, or
 * -1 with one sentence in err.
 */
int
listen_open(const char *spec, int backlog, unsigned mode, char *err,
    size_t errsz)
{
	if (spec[0] == '/')
		return open_unix(spec, backlog, mode, err, errsz);
	return open_tcp(spec, backlog, err, errsz);
}

/* Remove the unix socket file listen_open() made for spec, if any. */
void
listen_remove(const char *spec)
{
	if (spec != NULL && spec[0] == '/')
		(void)unlink(spec);
}

/*
 * Check that fd is a listening stream socket (the one a web server passes
 * on fd 0).  Returns 0, or -1 with one sentence in err.
 */
int
listen_check_fd(int fd, char *err, size_t errsz)
{
	struct stat	sb;
	int		on = 0;
	socklen_t	len = sizeof(on);

	if (fstat(fd, &sb) == -1 || !S_ISSOCK(sb.st_mode) ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == -1 ||
	    !on) {
		snprintf(err, errsz, "fd %d is not a listening socket: run "
		    "prodrec under a FastCGI web server (lighttpd bin-path, "
		    "mod_fcgid) or give it --listen", fd);
		return -1;
	}
	return 0;
}

/*
 * Stop taking new connections on the listening socket fd at once, for every
 * process that shares it, while the connections already queued stay there
 * to be accepted and served: a stop must refuse a new connection (the web
 * server then answers 503 or tries another backend) or serve it, never
 * queue it and then reset it.
 *
 * A unix socket shut for reading refuses connect() with ECONNREFUSED and
 * still hands out what it queued.  A TCP listener cannot do that:
 * shutdown() resets every queued connection.  Instead a socket filter that
 * drops every packet is attached: the kernel then completes no new
 * handshake (a SYN goes unanswered and is sent again a second later, by
 * when listen_close_drained() has made the socket refuse it), and the
 * queue can only shrink.  Async-signal-safe.  Returns 0 or -1 (errno).
 */
int
listen_stop(int fd)
{
	static struct sock_filter	drop_all[] = {
		BPF_STMT(BPF_RET | BPF_K, 0)
	};
	struct sock_fprog		prog = { 1, drop_all };
	int				domain;
	socklen_t			len = sizeof(domain);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == -1)
		return -1;
	if (domain == AF_UNIX)
		return shutdown(fd, SHUT_RD);
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof(prog));
}

/*
 * After listen_stop(), once accept() found nothing queued: make the socket
 * refuse connections outright.  Nothing is queued and nothing can be, so
 * shutting a TCP listener now resets no connection.
 */
void
listen_close_drained(int fd)
{
	(void)shutdown(fd, SHUT_RD);
}
