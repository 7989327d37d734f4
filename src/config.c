/* config.c: the environment and the PRODREC_CONFIG file -> struct config, checked once at start. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alg.h"
#include "config.h"
#include "proc.h"

#define KEY_FILE_MAX	(64 * 1024)	/* largest secret or PEM file read */

enum ktype {
	K_STRING,	/* char *, may be empty */
	K_NUMBER,	/* a decimal in [min, max], stored per size */
	K_ALGS,		/* comma-separated algorithm names -> bit set */
	K_FILE,		/* a path whose contents are kept (the path is not) */
	K_PATH,		/* a path, kept made absolute (read later) */
	K_MODE,		/* octal file permissions, 0 to 0777 */
	K_ALLOW,	/* addresses and CIDR blocks -> struct allow */
	K__MAX
};

/* One configuration key: lighttpd-style table of names, types and limits. */
struct key {
	const char	*name;		/* file key; PRODREC_ + upper case in env */
	enum ktype	 type;
	size_t		 offset;	/* where in struct config */
	size_t		 size;		/* K_NUMBER: sizeof the field */
	long long	 min, max;	/* K_NUMBER: inclusive range */
	size_t		 len_offset;	/* K_FILE: where the length goes */
	const char	*def;		/* default as text, or NULL */
};

#define S(f)		K_STRING, offsetof(struct config, f), 0, 0, 0, 0
#define N(f, lo, hi)	K_NUMBER, offsetof(struct config, f), \
			sizeof(((struct config *)0)->f), lo, hi, 0
#define F(f)		K_FILE, offsetof(struct config, f), 0, 0, 0, \
			offsetof(struct config, f##_len)

static const struct key keys[] = {
	{ "db_host",		S(db_host),			"localhost" },
	{ "db_port",		N(db_port, 1, 65535),		"3306" },
	{ "db_socket",		S(db_socket),			NULL },
	{ "db_user",		S(db_user),			"prodrec" },
	{ "db_password",	S(db_password),			"" },
	{ "db_name",		S(db_name),			"prodrec" },
	{ "db_connect_timeout",	N(db_connect_timeout, 1, 3600),	"2" },
	{ "db_read_timeout",	N(db_read_timeout, 1, 3600),	"10" },
	{ "db_write_timeout",	N(db_write_timeout, 1, 3600),	"10" },
	{ "jwt_algs",		K_ALGS, offsetof(struct config, jwt_algs),
				    0, 0, 0, 0,			"HS256" },
	{ "jwt_secret",		K_STRING, offsetof(struct config, jwt_secret),
				    0, 0, 0, offsetof(struct config,
				    jwt_secret_len),		NULL },
	{ "jwt_secret_file",	F(jwt_secret),			NULL },
	{ "jwt_public_key_file", F(jwt_public_key),		NULL },
	{ "jwt_jwks_file",	K_PATH, offsetof(struct config, jwt_jwks_file),
				    0, 0, 0, 0,			NULL },
	{ "jwt_issuer",		S(jwt_issuer),			NULL },
	{ "jwt_audience",	S(jwt_audience),		NULL },
	{ "jwt_leeway",		N(jwt_leeway, 0, 86400),	"60" },
	{ "jwt_user_claim",	S(jwt_user_claim),		"sub" },
	{ "workers",		N(workers, 0, 1024),		NULL },
	{ "listen",		S(listen),			NULL },
	{ "listen_mode",	K_MODE, offsetof(struct config, listen_mode),
				    0, 0, 0, 0,			"0660" },
	{ "listen_backlog",	N(listen_backlog, 1, 65535),	"511" },
	{ "pid_file",		S(pid_file),			NULL },
	{ "shutdown_timeout",	N(shutdown_timeout, 1, 3600),	"10" },
	{ "peer_timeout",	N(peer_timeout, 1, 3600),	"30" },
	{ "max_requests",	N(max_requests, 0, 2147483647),	"0" },
	{ "max_body",		N(max_body, 2, 16 * 1024 * 1024), "16384" },
	{ "max_units",		N(max_units, 1, 2147483647),	"1000000" },
	{ "max_clock_skew",	N(max_clock_skew, 0, 31536000),	"300" },
	{ "status_allow",	K_ALLOW, offsetof(struct config, status_allow),
				    0, 0, 0, 0,			"127.0.0.0/8,::1" },
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

/* Which keys the file or the environment gave, during one cfg_load(). */
static unsigned char	given[NKEYS];

static const struct key *
key_lookup(const char *name)
{
	size_t	i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* "PRODREC_" + upper-case name into env. */
static void
env_name(const struct key *k, char *env, size_t envsz)
{
	size_t	i;

	snprintf(env, envsz, "PRODREC_%s", k->name);
	for (i = 8; env[i] != '\0'; i++)
		env[i] = (char)toupper((unsigned char)env[i]);
}

/*
 * Read a whole file of at most max bytes into a NUL-terminated allocation,
 * and when st is not NULL, stat it as it was read.  One trailing newline
 * (LF or CRLF) is dropped, as editors add one to secret files.
 */
char *
cfg_read_file(const char *path, size_t max, size_t *lenp, struct stat *st,
    char *err, size_t errsz, const char *what)
{
	FILE	*fp;
	char	*data;
	size_t	 len;

	if ((fp = fopen(path, "r")) == NULL ||
	    (st != NULL && fstat(fileno(fp), st) == -1)) {
		snprintf(err, errsz, "%s: cannot read %s: %s", what, path,
		    strerror(errno));
		if (fp != NULL)
			fclose(fp);
		return NULL;
	}
	if ((data = malloc(max + 1)) == NULL) {
		fclose(fp);
		snprintf(err, errsz, "%s: out of memory", what);
		return NULL;
	}
	len = fread(data, 1, max + 1, fp);
	if (ferror(fp) || len > max) {
		snprintf(err, errsz, "%s: %s is unreadable or larger than "
		    "%zu bytes", what, path, max);
		fclose(fp);
		free(data);
		return NULL;
	}
	fclose(fp);
	if (len > 0 && data[len - 1] == '\n')
		len--;
	if (len > 0 && data[len - 1] == '\r')
		len--;
	data[len] = '\0';
	*lenp = len;
	return data;
}

/*
 * path made absolute against the working directory (a daemon changes to
 * "/" later), without resolving links: a link swapped to a new file is a
 * change to notice.  Returns an allocation, or NULL with err set.
 */
static char *
absolute_path(const char *path, char *err, size_t errsz, const char *what)
{
	char	abs[PATH_MAX], *copy;

	if (path[0] == '\0') {
		snprintf(err, errsz, "%s: an empty path", what);
		return NULL;
	}
	if (proc_absolute_path(path, abs, sizeof(abs)) == -1) {
		snprintf(err, errsz, "%s: %s: %s", what, path, strerror(errno));
		return NULL;
	}
	if ((copy = strdup(abs)) == NULL)
		snprintf(err, errsz, "%s: out of memory", what);
	return copy;
}

/* Parse comma-separated algorithm names into a bit set. */
static int
parse_algs(const char *v, unsigned *set, char *err, size_t errsz,
    const char *what)
{
	const char	*p, *end;
	int		 alg;

	*set = 0;
	for (p = v; *p != '\0'; p = *end ? end + 1 : end) {
		while (*p == ' ')
			p++;
		for (end = p; *end != '\0' && *end != ','; end++)
			;
		size_t n = (size_t)(end - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n == 0 || (*end == ',' && end[1] == '\0')) {
			snprintf(err, errsz, "%s: an empty algorithm name", what);
			return -1;
		}
		if ((alg = alg_lookup(p, n)) == -1) {
			snprintf(err, errsz, "%s: unknown algorithm \"%.*s\" "
			    "(allowed: HS256/384/512, RS256/384/512, "
			    "ES256/384/512)", what, (int)n, p);
			return -1;
		}
		*set |= 1u << alg;
	}
	if (*set == 0) {
		snprintf(err, errsz, "%s: no algorithm given", what);
		return -1;
	}
	return 0;
}

/* Parse a decimal in [k->min, k->max] and store it at its field's size. */
static int
parse_number(const struct key *k, const char *v, void *field, char *err,
    size_t errsz, const char *what)
{
	char		*end;
	long long	 n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || !isdigit((unsigned char)*v) ||
	    n < k->min || n > k->max) {
		snprintf(err, errsz, "%s: \"%s\" is not a whole number from "
		    "%lld to %lld", what, v, k->min, k->max);
		return -1;
	}
	if (k->size == sizeof(int))
		*(int *)field = (int)n;
	else if (k->size == sizeof(long))
		*(long *)field = (long)n;
	else
		*(size_t *)field = (size_t)n;
	return 0;
}

/* Parse octal permissions such as 0660 (one to four digits, at most 0777). */
static int
parse_mode(const char *v, unsigned *mode, char *err, size_t errsz,
    const char *what)
{
	size_t		n = strspn(v, "01234567");
	unsigned long	m;

	m = strtoul(v, NULL, 8);
	if (n == 0 || n > 4 || v[n] != '\0' || m > 0777) {
		snprintf(err, errsz, "%s: \"%s\" is not an octal mode from "
		    "0000 to 0777", what, v);
		return -1;
	}
	*mode = (unsigned)m;
	return 0;
}

/*
 * Store value for key k.  what names the source for error messages
 * ("PRODREC_DB_PORT" or "prodrec.conf:3: db_port").
 */
static int
set_value(struct config *cfg, const struct key *k, const char *value,
    char *err, size_t errsz, const char *what)
{
	char	**strp = (char **)((char *)cfg + k->offset);
	char	 *copy;
	size_t	  len = 0;

	given[k - keys] = 1;
	switch (k->type) {
	case K_NUMBER:
		return parse_number(k, value, (char *)cfg + k->offset, err,
		    errsz, what);
	case K_MODE:
		return parse_mode(value, (unsigned *)((char *)cfg + k->offset),
		    err, errsz, what);
	case K_ALLOW:
		return allow_parse(value, (struct allow *)((char *)cfg +
		    k->offset), err, errsz, what);
	case K_ALGS:
		return parse_algs(value, (unsigned *)((char *)cfg + k->offset),
		    err, errsz, what);
	case K_FILE:
		if ((copy = cfg_read_file(value, KEY_FILE_MAX, &len, NULL, err,
		    errsz, what)) == NULL)
			return -1;
		break;
	case K_PATH:
		if ((copy = absolute_path(value, err, errsz, what)) == NULL)
			return -1;
		break;
	default:
		if ((copy = strdup(value)) == NULL) {
			snprintf(err, errsz, "%s: out of memory", what);
			return -1;
		}
		len = strlen(copy);
		break;
	}
	free(*strp);
	*strp = copy;
	if (k->len_offset != 0)
		*(size_t *)((char *)cfg + k->len_offset) = len;
	return 0;
}

/* Trim white space at both ends of s, in place. */
static char *
trim(char *s)
{
	size_t	n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/*
 * Read "key = value" lines from path.  '#' starts a comment line, blank
 * lines are ignored, an unknown key or a line without '=' is an error.
 * Keys set in the environment are skipped: the environment wins.
 */
static int
load_file(struct config *cfg, const char *path, char *err, size_t errsz)
{
	FILE			*fp;
	char			 line[4096], what[300], env[64], *eq, *name;
	const struct key	*k;
	int			 lineno = 0, rc = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errsz, "PRODREC_CONFIG: cannot read %s: %s",
		    path, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			snprintf(err, errsz, "%s:%d: line longer than %zu bytes",
			    path, lineno, sizeof(line) - 2);
			rc = -1;
			break;
		}
		name = trim(line);
		if (*name == '\0' || *name == '#')
			continue;
		if ((eq = strchr(name, '=')) == NULL) {
			snprintf(err, errsz, "%s:%d: expected key = value",
			    path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		name = trim(name);
		if ((k = key_lookup(name)) == NULL) {
			snprintf(err, errsz, "%s:%d: unknown key \"%.64s\"",
			    path, lineno, name);
			rc = -1;
			break;
		}
		env_name(k, env, sizeof(env));
		if (getenv(env) != NULL)
			continue;
		snprintf(what, sizeof(what), "%s:%d: %s", path, lineno, name);
		rc = set_value(cfg, k, trim(eq + 1), err, errsz, what);
	}
	if (rc == 0 && ferror(fp)) {
		snprintf(err, errsz, "%s: read error", path);
		rc = -1;
	}
	fclose(fp);
	return rc;
}

/* Defaults first, then the environment. */
static int
load_env(struct config *cfg, int defaults, char *err, size_t errsz)
{
	char		 env[64];
	const char	*v;
	size_t		 i;

	for (i = 0; i < NKEYS; i++) {
		env_name(&keys[i], env, sizeof(env));
		v = defaults ? keys[i].def : getenv(env);
		if (v != NULL && set_value(cfg, &keys[i], v, err, errsz,
		    env) == -1)
			return -1;
	}
	return 0;
}

/*
 * Node i (from 0) of a PRODREC_DB_HOST list "host[:port],host[:port],...";
 * an IPv6 address in brackets ("[::1]:3306").  Fills host (hostsz bytes)
 * and *port (0 when the node names none: db_port).  Returns 0, 1 when
 * there is no node i, or -1 when node i is malformed.
 */
int
cfg_db_node(const char *list, size_t i, char *host, size_t hostsz,
    unsigned *port)
{
	const char	*p = list, *end, *h, *hend, *colon;
	char		*num_end;
	unsigned long	 n;

	for (; i > 0; i--)
		if ((p = strchr(p, ',')) == NULL)
			return 1;
		else
			p++;
	while (*p == ' ')
		p++;
	end = p + strcspn(p, ",");
	while (end > p && end[-1] == ' ')
		end--;
	h = p;
	if (*p == '[') {
		h = p + 1;
		if ((hend = memchr(h, ']', (size_t)(end - h))) == NULL)
			return -1;
		colon = hend + 1 < end ? hend + 1 : NULL;
		if (colon != NULL && *colon != ':')
			return -1;
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		hend = colon != NULL ? colon : end;
		if (colon != NULL && memchr(colon + 1, ':',
		    (size_t)(end - colon - 1)) != NULL)
			return -1;	/* an IPv6 address needs brackets */
	}
	if (hend == h || (size_t)(hend - h) >= hostsz)
		return -1;
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = '\0';
	*port = 0;
	if (colon == NULL)
		return 0;
	if (colon + 1 == end || colon[1] < '0' || colon[1] > '9')
		return -1;
	errno = 0;
	n = strtoul(colon + 1, &num_end, 10);
	if (num_end != end || errno != 0 || n < 1 || n > 65535)
		return -1;
	*port = (unsigned)n;
	return 0;
}

/* Is every node of the PRODREC_DB_HOST list well formed, and are there few enough? */
static int
check_nodes(const char *list, char *err, size_t errsz)
{
	char		host[CFG_HOST_MAX + 1];
	unsigned	port;
	size_t		i;
	int		rc;

	if (list == NULL)
		return 0;	/* the default, localhost */
	for (i = 0; (rc = cfg_db_node(list, i, host, sizeof(host), &port)) !=
	    1; i++)
		if (rc == -1 || i == CFG_NODES_MAX) {
			snprintf(err, errsz, rc == -1 ? "PRODREC_DB_HOST: node "
			    "%zu is not host, host:port or [v6]:port" :
			    "PRODREC_DB_HOST: more than %zu nodes", rc == -1 ?
			    i + 1 : (size_t)CFG_NODES_MAX);
			return -1;
		}
	return 0;
}

/* Are the secret and the public keys the allowed algorithms need given? */
static int
check_key_sources(const struct config *cfg, char *err, size_t errsz)
{
	unsigned	hmac = alg_family_set(FAM_HMAC);

	if ((cfg->jwt_algs & hmac) &&
	    (cfg->jwt_secret == NULL || cfg->jwt_secret_len == 0)) {
		snprintf(err, errsz, "PRODREC_JWT_ALGS allows HMAC tokens but "
		    "neither PRODREC_JWT_SECRET nor PRODREC_JWT_SECRET_FILE "
		    "gives a secret");
		return -1;
	}
	if ((cfg->jwt_algs & ~hmac) && cfg->jwt_public_key == NULL &&
	    cfg->jwt_jwks_file == NULL) {
		snprintf(err, errsz, "PRODREC_JWT_ALGS allows RS/ES tokens "
		    "but neither PRODREC_JWT_PUBLIC_KEY_FILE nor "
		    "PRODREC_JWT_JWKS_FILE is set");
		return -1;
	}
	return 0;
}

/*
 * Settings that are each valid but not together.  A process serving alone
 * on its own socket would stop for good at its request limit: nothing
 * starts a fresh one (under a web server, the web server does).
 */
static int
check_combination(const struct config *cfg, char *err, size_t errsz)
{
	if (cfg->workers == 0 && cfg->max_requests > 0 &&
	    cfg->listen != NULL && cfg->listen[0] != '\0') {
		snprintf(err, errsz, "max_requests needs workers >= 1 when "
		    "prodrec opens its own socket (listen)");
		return -1;
	}
	return 0;
}

/* The token settings that are not about keys. */
static int
check_claims(const struct config *cfg, char *err, size_t errsz)
{
	if (cfg->jwt_leeway < 0) {
		snprintf(err, errsz, "PRODREC_JWT_LEEWAY must not be negative");
		return -1;
	}
	if ((cfg->jwt_issuer != NULL && cfg->jwt_issuer[0] == '\0') ||
	    (cfg->jwt_audience != NULL && cfg->jwt_audience[0] == '\0')) {
		snprintf(err, errsz, "PRODREC_JWT_ISSUER and "
		    "PRODREC_JWT_AUDIENCE must not be empty when set");
		return -1;
	}
	return 0;
}

/*
 * The one check of a whole configuration, for start-up, --check-config
 * and SIGHUP alike (cfg_load runs it): a configuration that cannot work
 * stops the start.  What only the keys themselves can tell (is the secret
 * long enough, does a public key fit an algorithm) is auth_prepare()'s, as
 * it builds them.  Returns 0, or
 * -1 with one sentence in err.
 */
int
cfg_check(const struct config *cfg, char *err, size_t errsz)
{
	if (cfg->jwt_algs == 0 || (cfg->jwt_algs >> ALG__MAX) != 0) {
		snprintf(err, errsz, "PRODREC_JWT_ALGS names no usable "
		    "algorithm");
		return -1;
	}
	if (cfg->jwt_user_claim != NULL && cfg->jwt_user_claim[0] == '\0') {
		snprintf(err, errsz, "PRODREC_JWT_USER_CLAIM is empty");
		return -1;
	}
	if (check_key_sources(cfg, err, errsz) == -1 ||
	    check_nodes(cfg->db_host, err, errsz) == -1 ||
	    check_combination(cfg, err, errsz) == -1)
		return -1;
	return check_claims(cfg, err, errsz);
}

/*
 * Fill cfg from the defaults, the file named by PRODREC_CONFIG and the
 * environment (which wins), and check it.  Returns 0, or -1 with one line
 * in err.  cfg owns its strings: release them with cfg_free().
 */
int
cfg_load(struct config *cfg, char *err, size_t errsz)
{
	const char	*path;

	memset(cfg, 0, sizeof(*cfg));
	cfg->workers = -1;
	if (load_env(cfg, 1, err, errsz) == -1)
		goto fail;
	memset(given, 0, sizeof(given));
	if ((path = getenv("PRODREC_CONFIG")) != NULL && *path != '\0' &&
	    load_file(cfg, path, err, errsz) == -1)
		goto fail;
	if (load_env(cfg, 0, err, errsz) == -1)
		goto fail;
	if (given[key_lookup("jwt_secret") - keys] &&
	    given[key_lookup("jwt_secret_file") - keys]) {
		snprintf(err, errsz, "give the HMAC secret once: "
		    "PRODREC_JWT_SECRET or PRODREC_JWT_SECRET_FILE, not both");
		goto fail;
	}
	if (cfg_check(cfg, err, errsz) == -1)
		goto fail;
	return 0;
fail:
	cfg_free(cfg);
	return -1;
}

void
cfg_free(struct config *cfg)
{
	size_t	i;

	for (i = 0; i < NKEYS; i++)
		if (keys[i].type == K_STRING || keys[i].type == K_FILE ||
		    keys[i].type == K_PATH) {
			char **strp = (char **)((char *)cfg + keys[i].offset);
			free(*strp);
			*strp = NULL;
		}
}
