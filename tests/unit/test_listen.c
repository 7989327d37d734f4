/*
 * test_listen.c: listen.c, the standalone listening socket, in a fresh
 * temporary directory and on loopback: a unix socket made with its mode, a
 * stale one from a crash replaced, a live one or another file left alone;
 * TCP on 127.0.0.1 and [::1] with port 0; the addresses refused, each with
 * its sentence; listen_check_fd (the socket a web server passes);
 * listen_remove; listen_stop and listen_close_drained (queued connections
 * stay, new ones are refused or never complete).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listen.h"
#include "tap.h"

static char	dir[PATH_MAX];		/* the temporary directory */
static char	err[512];

/* dir/name into a static buffer. */
static const char *
in_dir(const char *name)
{
	static char	path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* A connection to the unix socket path: 0, or the errno of connect. */
static int
connect_unix(const char *path, int *fdp)
{
	struct sockaddr_un	sun;
	int			fd, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		*fdp = fd;
		return 0;
	}
	e = errno;
	close(fd);
	return e;
}

/*
 * listen_open(spec) fails with err equal to want (with %s: spec's
 * sentence formatted with spec).  One check at line.
 */
static void
refused_at(int line, const char *spec, const char *want)
{
	char	text[1024];
	int	fd;

	snprintf(text, sizeof(text), want, spec);
	err[0] = '\0';
	fd = listen_open(spec, 8, 0600, err, sizeof(err));
	if (!ok_line(line, fd == -1 && strcmp(err, text) == 0, "refused: %s",
	    spec))
		printf("# fd %d, err \"%s\"\n# want \"%s\"\n", fd, err, text);
	if (fd != -1)
		close(fd);
}
#define refused(spec, want)	refused_at(__LINE__, spec, want)

/* The socket's mode bits. */
static unsigned
mode_of(const char *path)
{
	struct stat	sb;

	return lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode) ?
	    (unsigned)(sb.st_mode & 07777) : 0;
}

static void
test_unix(void)
{
	char	path[PATH_MAX + 64], lng[PATH_MAX + 64];
	int	fd, c = -1;

	snprintf(path, sizeof(path), "%s", in_dir("a.sock"));
	fd = listen_open(path, 8, 0660, err, sizeof(err));
	ok(fd >= 0 && mode_of(path) == 0660, "a unix socket with mode 0660 "
	    "(%s)", fd < 0 ? err : "made");
	ok(listen_check_fd(fd, err, sizeof(err)) == 0, "it listens");
	ok(fcntl(fd, F_GETFD) == FD_CLOEXEC, "close-on-exec");
	ok(connect_unix(path, &c) == 0, "a client connects");
	close(c);

	refused(path, "%s is in use by another process");
	ok(mode_of(path) == 0660 && connect_unix(path, &c) == 0,
	    "and keeps working");
	close(c);

	close(fd);	/* a crash: the file stays, nobody listens */
	ok(mode_of(path) == 0660 && connect_unix(path, &c) == ECONNREFUSED,
	    "a closed socket leaves its file behind");
	fd = listen_open(path, 8, 0600, err, sizeof(err));
	ok(fd >= 0 && mode_of(path) == 0600, "the stale socket is replaced, "
	    "with the new mode (%s)", fd < 0 ? err : "made");
	ok(connect_unix(path, &c) == 0, "and answers");
	close(c);
	listen_remove(path);
	ok(mode_of(path) == 0 && errno == ENOENT, "listen_remove removes the "
	    "file");
	close(fd);

	fd = listen_open(path, 8, 0, err, sizeof(err));
	ok(fd >= 0 && access(path, F_OK) == 0 && mode_of(path) == 0,
	    "mode 0 is mode 0, not widened (%s)", fd < 0 ? err : "made");
	if (fd >= 0)
		close(fd);
	listen_remove(path);

	snprintf(path, sizeof(path), "%s", in_dir("file"));
	if ((fd = open(path, O_CREAT | O_WRONLY, 0600)) != -1)
		close(fd);
	refused(path, "%s exists and is not a socket");
	ok(access(path, F_OK) == 0, "the file is left alone");
	snprintf(path, sizeof(path), "%s", in_dir("none/a.sock"));
	refused(path, "cannot listen on %s: No such file or directory");
	/* sun_path holds 107 bytes and a NUL. */
	snprintf(lng, sizeof(lng), "%s/%0*d", dir, (int)(107 - strlen(dir) - 1),
	    0);
	fd = listen_open(lng, 8, 0600, err, sizeof(err));
	ok(fd >= 0 && strlen(lng) == 107, "a path of 107 bytes (%s)",
	    fd < 0 ? err : "made");
	if (fd >= 0)
		close(fd);
	listen_remove(lng);
	strcat(lng, "0");
	refused(lng, "socket path longer than 107 bytes: %s");
}

/* The port a TCP socket is bound to. */
static unsigned
port_of(int fd)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

/* A connection to 127.0.0.1:port, non-blocking: 0 or errno. */
static int
connect_tcp(unsigned port, int *fdp)
{
	struct sockaddr_in	sin;
	int			fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		return errno;
	*fdp = fd;
	return connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 ? 0 :
	    errno;
}

/* Is the connection fd up within ms milliseconds (1), or refused (-1)? */
static int
connected(int fd, int ms)
{
	struct pollfd	pfd = { fd, POLLOUT, 0 };
	int		e = 0;
	socklen_t	len = sizeof(e);

	if (poll(&pfd, 1, ms) != 1)
		return 0;
	(void)getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len);
	return e == 0 ? 1 : -1;
}

/*
 * A port over 65535 is refused (glibc's getaddrinfo would take it modulo
 * 65536: 65536 would be port 0, any free port).
 */
static void
out_of_range_at(int line, const char *spec)
{
	int	fd = listen_open(spec, 8, 0, err, sizeof(err));

	ok_line(line, fd == -1 && strstr(err, "is neither host:port") != NULL,
	    "refused: %s (%s)", spec, fd == -1 ? err : "taken");
	if (fd >= 0)
		close(fd);
}
#define out_of_range(spec)	out_of_range_at(__LINE__, spec)

static void
test_tcp(void)
{
	char		spec[64];
	unsigned	port;
	int		fd, fd6, c = -1, rc;

	fd = listen_open("127.0.0.1:0", 8, 0, err, sizeof(err));
	port = fd >= 0 ? port_of(fd) : 0;
	ok(fd >= 0 && port != 0 && listen_check_fd(fd, err, sizeof(err)) == 0,
	    "127.0.0.1:0: listening on port %u", port);
	rc = connect_tcp(port, &c);
	ok((rc == 0 || rc == EINPROGRESS) && connected(c, 2000) == 1,
	    "a client connects");
	close(c);
	snprintf(spec, sizeof(spec), "127.0.0.1:%u", port);
	refused(spec, "cannot listen on %s: Address already in use");
	close(fd);
	fd = listen_open(spec, 8, 0, err, sizeof(err));
	ok(fd >= 0 && port_of(fd) == port, "the port again once free");
	close(fd);
	/* A file named like the address (relative) is not the socket's. */
	fd = open(spec, O_WRONLY | O_CREAT | O_EXCL, 0600);
	listen_remove(spec);
	ok(fd >= 0 && access(spec, F_OK) == 0,
	    "listen_remove of host:port removes no file named %s", spec);
	if (fd >= 0) {
		close(fd);
		unlink(spec);
	}
	listen_remove(NULL);

	fd = listen_open("*:0", 8, 0, err, sizeof(err));
	ok(fd >= 0 && port_of(fd) != 0, "*:0, any address (%s)",
	    fd < 0 ? err : "made");
	if (fd >= 0)
		close(fd);
	fd6 = listen_open("[::1]:0", 8, 0, err, sizeof(err));
	if (fd6 == -1 && strstr(err, "Cannot assign requested address"))
		printf("# no IPv6 loopback here: %s\n", err);
	else
		ok(fd6 >= 0 && port_of(fd6) != 0, "[::1]:0 (%s)",
		    fd6 < 0 ? err : "made");
	if (fd6 >= 0)
		close(fd6);

	refused("192.0.2.1:0", "cannot listen on %s: Cannot assign requested "
	    "address");
	out_of_range("127.0.0.1:65536");
	out_of_range("127.0.0.1:99999");
}

static void
test_specs(void)
{
	static const char *const bad[] = {
		"localhost", "127.0.0.1:", ":80", "::1:80", "[::1:80",
		"[]:80", "[::1]80", "127.0.0.1:8o", "127.0.0.1:-1",
		"127.0.0.1: 80", "relative/path.sock", "",
	};
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused(bad[i], "listen address \"%s\" is neither host:port, "
		    "[v6]:port, *:port nor an absolute socket path");
}

static void
test_check_fd(void)
{
	char	want[256];
	int	fd;

	if ((fd = open(in_dir("plain"), O_CREAT | O_RDWR, 0600)) == -1)
		abort();
	snprintf(want, sizeof(want), "fd %d is not a listening socket: run "
	    "prodrec under a FastCGI web server (lighttpd bin-path, mod_fcgid) "
	    "or give it --listen", fd);
	ok(listen_check_fd(fd, err, sizeof(err)) == -1 &&
	    strcmp(err, want) == 0, "a regular file: %s", err);
	close(fd);
	ok(listen_check_fd(fd, err, sizeof(err)) == -1 &&
	    strcmp(err, want) == 0, "a closed descriptor");
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ok(listen_check_fd(fd, err, sizeof(err)) == -1 &&
	    strstr(err, "is not a listening socket") != NULL,
	    "a stream socket that does not listen");
	close(fd);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	ok(listen_check_fd(fd, err, sizeof(err)) == -1, "a datagram socket");
	close(fd);
}

/* Accept one queued connection, non-blocking: 1, or 0 when none. */
static int
accept_one(int fd)
{
	int	c;

	if ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK)) == -1)
		return 0;
	close(c);
	return 1;
}

static void
test_stop(void)
{
	const char	*path = in_dir("stop.sock");
	unsigned	 port;
	int		 fd, c1 = -1, c2 = -1, rc;

	fd = listen_open(path, 8, 0600, err, sizeof(err));
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1 ||
	    connect_unix(path, &c1) != 0)
		abort();
	ok(listen_stop(fd) == 0, "unix: listen_stop");
	ok(connect_unix(path, &c2) == ECONNREFUSED, "a new connection is "
	    "refused");
	ok(accept_one(fd) == 1, "the one queued before is still served");
	ok(accept_one(fd) == 0, "and then nothing");
	close(c1);
	close(fd);
	listen_remove(path);

	fd = listen_open("127.0.0.1:0", 8, 0, err, sizeof(err));
	port = port_of(fd);
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
		abort();
	rc = connect_tcp(port, &c1);
	ok((rc == 0 || rc == EINPROGRESS) && connected(c1, 2000) == 1,
	    "TCP: a connection queued");
	ok(listen_stop(fd) == 0, "TCP: listen_stop");
	rc = connect_tcp(port, &c2);
	ok(rc == EINPROGRESS && connected(c2, 300) == 0, "a new connection "
	    "does not complete (its SYN is dropped)");
	close(c2);
	ok(accept_one(fd) == 1, "the one queued before is still served");
	ok(accept_one(fd) == 0, "and nothing more");
	listen_close_drained(fd);
	rc = connect_tcp(port, &c2);
	ok(rc == ECONNREFUSED || (rc == EINPROGRESS && connected(c2, 2000) ==
	    -1), "after listen_close_drained a new connection is refused");
	close(c2);
	close(c1);
	close(fd);
}

int
main(void)
{
	const char	*tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/prodrec-test_listen.XXXXXX",
	    tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		return 1;
	}
	test_unix();
	test_tcp();
	test_specs();
	test_check_fd();
	test_stop();
	(void)unlink(in_dir("file"));
	(void)unlink(in_dir("plain"));
	if (rmdir(dir) == -1)
		printf("# %s left behind: %s\n", dir, strerror(errno));
	return done_testing();
}
