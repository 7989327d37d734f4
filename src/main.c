/* main.c: start-up, options, signals; then the pool (or this process alone) serves. */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "auth.h"
#include "config.h"
#include "db.h"
#include "fcgi.h"
#include "listen.h"
#include "log.h"
#include "pool.h"
#include "proc.h"
#include "stats.h"

static struct config	cfg;		/* in force; a worker has its own copy */
static unsigned		cfg_gen;	/* in a worker: the pool generation
					   cfg was loaded for */
static struct app	app;
static int		listen_fd = -1;

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: prodrec [--config FILE] [--listen ADDR] [--foreground]\n"
	    "               [--pid-file FILE] [--check-config | --version | --help]\n"
	    "\n"
	    "A FastCGI responder for POST /api/control/production/records.\n"
	    "Under a web server that passes the listening socket on fd 0\n"
	    "(lighttpd bin-path, mod_fcgid) it needs no option.  Configuration\n"
	    "comes from PRODREC_* environment variables and the file named by\n"
	    "PRODREC_CONFIG; see README.md and deploy/README.md.\n"
	    "\n"
	    "  --config FILE    read FILE (same as PRODREC_CONFIG=FILE)\n"
	    "  --listen ADDR    standalone: listen on host:port, [v6]:port, *:port\n"
	    "                   or an absolute unix socket path (PRODREC_LISTEN)\n"
	    "  --foreground     standalone: do not detach; log to stderr\n"
	    "  --pid-file FILE  write the master's pid to FILE (PRODREC_PID_FILE)\n"
	    "  --check-config   check the configuration, print \"configuration OK\"\n"
	    "                   (and on stderr each token key loaded) or what is\n"
	    "                   wrong, and exit 0 or 1\n"
	    "  --version        print the version and exit\n"
	    "  --help, -h       print this text and exit\n"
	    "\n"
	    "Signals: SIGTERM/SIGINT stop after the requests in flight; SIGHUP\n"
	    "re-reads the configuration and replaces the workers one at a time.\n"
	    "A changed PRODREC_JWT_JWKS_FILE is read again without a signal.\n");
}

/* What the command line asks for beyond the configuration. */
struct options {
	int	check_only;
	int	foreground;
};

/* Options that name settings become the environment, which wins. */
static void
set_from_option(const char *var, const char *value)
{
	if (setenv(var, value, 1) == -1)
		fatal("setenv");
}

/* A daemon leaves its directory: keep the file findable for SIGHUP. */
static void
absolute_config_path(void)
{
	const char	*path = getenv("PRODREC_CONFIG");
	char		 abs[PATH_MAX];

	if (path == NULL || path[0] == '\0' || path[0] == '/')
		return;
	if (proc_absolute_path(path, abs, sizeof(abs)) == -1)
		fatal("PRODREC_CONFIG %s", path);
	if (setenv("PRODREC_CONFIG", abs, 1) == -1)
		fatal("setenv");
}

/* Parse argv; exits for --help, --version and bad usage. */
static void
parse_options(int argc, char *argv[], struct options *o)
{
	static const struct option longopts[] = {
		{ "config",	  required_argument, NULL, 'c' },
		{ "listen",	  required_argument, NULL, 'l' },
		{ "pid-file",	  required_argument, NULL, 'p' },
		{ "foreground",	  no_argument,	     NULL, 'f' },
		{ "check-config", no_argument,	     NULL, 'C' },
		{ "version",	  no_argument,	     NULL, 'V' },
		{ "help",	  no_argument,	     NULL, 'h' },
		{ NULL,		  0,		     NULL, 0 }
	};
	int	ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': set_from_option("PRODREC_CONFIG", optarg); break;
		case 'l': set_from_option("PRODREC_LISTEN", optarg); break;
		case 'p': set_from_option("PRODREC_PID_FILE", optarg); break;
		case 'f': o->foreground = 1; break;
		case 'C': o->check_only = 1; break;
		case 'V': printf("prodrec %s\n", PACKAGE_VERSION); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(2);
	}
}

/*
 * PRODREC_WORKERS unset: alone under mod_fcgid, else WORKERS_PER_CPU per
 * CPU, at most WORKERS_DEFAULT_MAX.  A create waits on its commit most of
 * its time, so with one worker per CPU the machine sat a quarter idle; with
 * four, commits share the log's flushes (README.md, "Against the peers":
 * creates 3515/s at 2 workers, 3576 at 4, 4652 at 8, 4859 at 16 on 2
 * CPUs).  The cap keeps a large host's pool within MariaDB's default
 * max_connections (151).
 */
#define WORKERS_PER_CPU		4
#define WORKERS_DEFAULT_MAX	64

static void
default_workers(struct config *c)
{
	int	standalone = c->listen != NULL && c->listen[0] != '\0';
	int	n = proc_cpus() * WORKERS_PER_CPU;

	if (c->workers == -1)
		c->workers = !standalone && proc_parent_is_apache() ? 0 :
		    n < WORKERS_DEFAULT_MAX ? n : WORKERS_DEFAULT_MAX;
}

/*
 * Load the whole configuration into c, check it and build its token keys
 * into *keys, changing nothing in force.  Returns 0, or -1 with one
 * sentence in err and c freed.
 */
static int
load_checked(struct config *c, struct auth_keys **keys, char *err,
    size_t errsz)
{
	if (cfg_load(c, err, errsz) == -1)
		return -1;
	default_workers(c);
	if ((*keys = auth_prepare(c, err, errsz)) == NULL) {
		cfg_free(c);
		return -1;
	}
	return 0;
}

/* Load, check and put in force the configuration; exits with one line if bad. */
static void
configure(void)
{
	struct auth_keys	*keys;
	char			 err[512];

	if (load_checked(&cfg, &keys, err, sizeof(err)) == -1)
		fatalx("configuration error: %s", err);
	auth_install(&cfg, keys);
}

static void
on_stop(int sig)
{
	(void)sig;
	fcgi_request_stop();
}

/* A worker stops on SIGTERM/SIGINT after its request; SIGHUP is the master's. */
static void
set_worker_signals(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1)
		fatal("sigaction");
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGHUP, &sa, NULL) == -1)
		fatal("sigaction");
}

static void
swap_strings(char **a, char **b)
{
	char	*tmp = *a;

	*a = *b;
	*b = tmp;
}

/* Keep what only a restart can change (the socket, the pid file). */
static void
keep_restart_settings(struct config *next, int quiet)
{
	int	changed;

	changed = (next->listen == NULL) != (cfg.listen == NULL) ||
	    (next->listen != NULL && strcmp(next->listen, cfg.listen) != 0) ||
	    (next->pid_file == NULL) != (cfg.pid_file == NULL) ||
	    (next->pid_file != NULL && strcmp(next->pid_file, cfg.pid_file)) ||
	    next->listen_mode != cfg.listen_mode ||
	    next->listen_backlog != cfg.listen_backlog;
	if (changed && !quiet)
		log_warnx("SIGHUP: listen, listen_mode, listen_backlog and "
		    "pid_file take effect at the next start only");
	swap_strings(&next->listen, &cfg.listen);
	swap_strings(&next->pid_file, &cfg.pid_file);
	next->listen_mode = cfg.listen_mode;
	next->listen_backlog = cfg.listen_backlog;
}

/* Put the checked next and its token keys in force. */
static void
install(struct config *next, struct auth_keys *keys, int quiet)
{
	keep_restart_settings(next, quiet);
	auth_free();		/* it points into cfg */
	cfg_free(&cfg);
	cfg = *next;
	auth_install(&cfg, keys);
}

/*
 * In a worker, before each request: has the master taken a new
 * configuration since this worker's was loaded?  Then load it here too, so
 * that no answer uses a changed key or limit (the master replaces the
 * workers all the same, for what only a new process takes: the database
 * settings).  Returns 0, or -1 when it no longer loads here (changed
 * again since?): the request gets 503 and the worker leaves.
 */
static int
renew(void)
{
	struct config		 next;
	struct auth_keys	*keys;
	unsigned		 gen = pool_generation();
	char			 err[512];

	if (gen == cfg_gen)
		return 0;
	if (load_checked(&next, &keys, err, sizeof(err)) == -1) {
		log_warnx("the configuration the master reloaded does not "
		    "load in this worker: %s", err);
		return -1;
	}
	install(&next, keys, 1);
	cfg_gen = gen;
	return 0;
}

/* In a worker (or the lone process): connect and serve until told to stop. */
static int
serve(void *ctx)
{
	int	rc;

	(void)ctx;
	set_worker_signals();
	cfg_gen = pool_generation();
	app.cfg = &cfg;
	app.listen_fd = listen_fd;
	app.renew = renew;
	/* The connection is opened in the process that serves, after the fork. */
	if (db_connect() == -1)
		log_warnx("database not reachable yet (%s); answering 503 "
		    "until it is", db_last_error());
	rc = fcgi_serve(&app, listen_fd) == 0 ? 0 : 1;
	db_close();
	return rc;
}

static int
workers(void *ctx)
{
	(void)ctx;
	return cfg.workers;
}

static unsigned
stop_timeout(void *ctx)
{
	(void)ctx;
	return cfg.shutdown_timeout;
}

/* Why a checked new configuration is not taken on SIGHUP, or NULL. */
static const char *
refuse_reload(const struct config *next, char *err, size_t errsz)
{
	if (next->workers == 0)
		return "workers = 0 (no pool) takes a restart";
	if (db_probe(next, err, errsz) == -1)
		return err;
	return NULL;
}

/* SIGHUP in the master: a checked new configuration, or the old one. */
static int
reload(void *ctx)
{
	struct config		 next;
	struct auth_keys	*keys;
	char			 err[512];
	const char		*why;

	(void)ctx;
	if (load_checked(&next, &keys, err, sizeof(err)) == -1) {
		log_warnx("SIGHUP: configuration error: %s", err);
		return -1;
	}
	if ((why = refuse_reload(&next, err, sizeof(err))) != NULL) {
		log_warnx("SIGHUP: %s", why);
		auth_keys_free(keys);
		cfg_free(&next);
		return -1;
	}
	install(&next, keys, 0);
	return 0;
}

/* Clean up what this process made, then exit with one line. */
static void __attribute__((noreturn))
die(const char *what, const char *err)
{
	listen_remove(cfg.listen);
	proc_pidfile_remove();
	fatalx("%s: %s", what, err);
}

/*
 * Before serving: a database that refuses the account is a configuration
 * error (one line, exit 1); one that does not answer yet is only logged.
 */
static void
probe_database(void)
{
	char	err[512];

	if (db_probe(&cfg, err, sizeof(err)) == -1)
		fatalx("configuration error: %s", err);
}

/* The socket to accept on: --listen / PRODREC_LISTEN, or fd 0. */
static int
open_socket(int *standalone)
{
	char	err[512];
	int	fd;

	*standalone = cfg.listen != NULL && cfg.listen[0] != '\0';
	if (*standalone) {
		if ((fd = listen_open(cfg.listen, cfg.listen_backlog,
		    cfg.listen_mode, err, sizeof(err))) == -1)
			fatalx("%s", err);
		return fd;
	}
	if (listen_check_fd(STDIN_FILENO, err, sizeof(err)) == -1)
		fatalx("%s", err);
	proc_die_with_parent();
	return STDIN_FILENO;
}

/* The master's signals wait (pending) until the pool runs, or for ever. */
static void
block_signals(void)
{
	sigset_t	set;

	pool_sigset(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		fatal("sigprocmask");
}

int
main(int argc, char *argv[])
{
	static const struct pool_ops	ops = { workers, stop_timeout, serve,
					    reload };
	struct options			o;
	char				err[512];
	int				standalone, rc;

	log_init("prodrec");
	block_signals();
	parse_options(argc, argv, &o);
	absolute_config_path();
	configure();
	if (o.check_only) {
		auth_report(stderr);
		printf("configuration OK\n");
		return 0;
	}
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	if (db_init(&cfg) == -1)
		fatalx("cannot initialise the MariaDB client library");
	probe_database();
	listen_fd = open_socket(&standalone);
	if (standalone && !o.foreground && proc_daemonize(err,
	    sizeof(err)) == -1)
		die("start", err);
	if (cfg.pid_file != NULL && cfg.pid_file[0] != '\0' &&
	    proc_pidfile(cfg.pid_file, err, sizeof(err)) == -1)
		die("start", err);
	if (stats_init(cfg.workers == 0 ? 1 : POOL_MAX_CHILDREN) == -1)
		die("start", "cannot map memory for the status figures");
	if (cfg.workers == 0) {
		stats_use_slot(0);
		stats_set_workers(1);
	}
	proc_ready();
	rc = cfg.workers == 0 ? serve(NULL) : pool_run(&ops, NULL, listen_fd);
	if (standalone)
		listen_remove(cfg.listen);
	proc_pidfile_remove();
	return rc;
}
