/* main.c: start-up, options, signals; then the worker serves requests. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "auth.h"
#include "config.h"
#include "db.h"
#include "fcgi.h"
#include "log.h"


#define LISTEN_BACKLOG	128

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: prodrec [--check-config | --version | --help]\n"
	    "\n"
	    "A FastCGI responder for POST /api/control/production/records.\n"
	    "Run it under a web server that passes the listening socket on\n"
	    "fd 0 (lighttpd bin-path, mod_fcgid), or set PRODREC_LISTEN.\n"
	    "Configuration comes from PRODREC_* environment variables and the\n"
	    "file named by PRODREC_CONFIG; see README.md.\n"
	    "\n"
	    "  --check-config  check the configuration, print \"configuration OK\"\n"
	    "                  or what is wrong, and exit 0 or 1\n"
	    "  --version       print the version and exit\n"
	    "  --help          print this text and exit\n");
}

static void
on_stop(int sig)
{
	(void)sig;
	fcgi_request_stop();
}

/*
 * SIGTERM and SIGINT without SA_RESTART, so that a worker blocked in
 * accept leaves at once; a request in flight is finished first.
 */
static void
set_signals(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1)
		fatal("sigaction");
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		fatal("sigaction");
}

/* The socket to accept on: PRODREC_LISTEN, or the one on fd 0. */
static int
listen_socket(const struct config *cfg)
{
	struct stat	sb;
	int		fd;

	if (cfg->listen != NULL && cfg->listen[0] != '\0') {
		if ((fd = fcgi_open_listener(cfg->listen, LISTEN_BACKLOG)) < 0)
			fatalx("cannot listen on %s", cfg->listen);
		return fd;
	}
	if (fstat(STDIN_FILENO, &sb) == -1 || !S_ISSOCK(sb.st_mode))
		fatalx("fd 0 is not a listening socket: run prodrec under a "
		    "FastCGI web server (lighttpd bin-path, mod_fcgid) or set "
		    "PRODREC_LISTEN");
	return STDIN_FILENO;
}

/* Load and check the whole configuration; exits with one line if bad. */
static void
configure(struct config *cfg)
{
	char	err[512];

	if (cfg_load(cfg, err, sizeof(err)) == -1 ||
	    auth_init(cfg, err, sizeof(err)) == -1)
		fatalx("configuration error: %s", err);
}

int
main(int argc, char *argv[])
{
	static struct config	cfg;
	static struct app	app;
	int			check_only = 0, fd;

	log_init("prodrec");
	if (argc > 2)
		goto bad_usage;
	if (argc == 2) {
		if (strcmp(argv[1], "--version") == 0) {
			printf("prodrec %s\n", PACKAGE_VERSION);
			return 0;
		}
		if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[1], "--check-config") != 0)
			goto bad_usage;
		check_only = 1;
	}
	configure(&cfg);
	if (check_only) {
		printf("configuration OK\n");
		return 0;
	}
	set_signals();
	fd = listen_socket(&cfg);
	app.cfg = &cfg;
	app.limits.max_units = cfg.max_units;
	app.limits.max_clock_skew = cfg.max_clock_skew;
	/* The connection is opened in the process that serves, never before a fork. */
	if (db_init(&cfg) == -1)
		fatalx("cannot initialise the MariaDB client library");
	if (db_connect() == -1)
		log_warnx("database not reachable yet (%s); answering 503 "
		    "until it is", db_last_error());
	return fcgi_serve(&app, fd) == 0 ? 0 : 1;
bad_usage:
	usage(stderr);
	return 2;
}
