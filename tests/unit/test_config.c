/*
 * test_config.c: cfg_load() from the environment and the PRODREC_CONFIG
 * file (CONTRACT section 6), cfg_check() and cfg_free().  Run under
 * ASan/LSan, every case ends in cfg_free() so any leak shows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alg.h"
#include "config.h"
#include "tap.h"

extern char	**environ;

static char	 tmpdir[] = "/tmp/test_config.XXXXXX";
static char	 err[512];
static struct config cfg;

/* Remove every PRODREC_* variable, so each case starts clean. */
static void
clear_env(void)
{
	char	**e, name[256];
	size_t	  n;
	int	  again = 1;

	while (again) {
		again = 0;
		for (e = environ; e != NULL && *e != NULL; e++) {
			if (strncmp(*e, "PRODREC_", 8) != 0)
				continue;
			n = strcspn(*e, "=");
			if (n >= sizeof(name))
				n = sizeof(name) - 1;
			memcpy(name, *e, n);
			name[n] = '\0';
			unsetenv(name);
			again = 1;	/* environ changed: start over */
			break;
		}
	}
	err[0] = '\0';
}

/* A clean environment with just an HMAC secret. */
static void
base_env(void)
{
	clear_env();
	setenv("PRODREC_JWT_SECRET", "s3cret", 1);
}

/* Write text to tmpdir/name; returns the path (static, overwritten). */
static const char *
write_file(const char *name, const char *text, size_t len)
{
	static char	 path[2][512];
	static int	 which;
	FILE		*fp;
	char		*p = path[which ^= 1];

	snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, name);
	if ((fp = fopen(p, "w")) == NULL || fwrite(text, 1, len, fp) != len ||
	    fclose(fp) != 0)
		abort();
	return p;
}

#define WRITE(name, text)	write_file(name, text, sizeof(text) - 1)

/* cfg_load must fail and err must name what. */
static void
fails_at(int line, const char *what, const char *desc)
{
	int	rc;

	err[0] = '\0';
	rc = cfg_load(&cfg, err, sizeof(err));
	if (!ok_line(line, rc == -1 && strstr(err, what) != NULL,
	    "%s -> -1 naming %s", desc, what))
		printf("# rc %d, err \"%s\"\n", rc, err);
	cfg_free(&cfg);
}
#define fails(...)	fails_at(__LINE__, __VA_ARGS__)

/*
 * A file name holding text (a string literal), with just an HMAC secret in
 * the environment, must not load, and the error must name what.
 */
#define file_fails(name, text, what, desc) do {				\
	clear_env();							\
	setenv("PRODREC_JWT_SECRET", "x", 1);				\
	setenv("PRODREC_CONFIG", WRITE(name, text), 1);			\
	fails_at(__LINE__, what, desc);					\
} while (0)

/* cfg_load must succeed; the caller checks cfg and calls cfg_free. */
static int
loads_at(int line, const char *desc)
{
	int	rc;

	err[0] = '\0';
	rc = cfg_load(&cfg, err, sizeof(err));
	if (!ok_line(line, rc == 0, "%s loads", desc))
		printf("# err \"%s\"\n", err);
	return rc == 0;
}
#define loads(...)	loads_at(__LINE__, __VA_ARGS__)

static void
test_defaults(void)
{
	base_env();
	if (loads("secret only")) {
		ok(cfg.db_host && strcmp(cfg.db_host, "localhost") == 0,
		    "db_host localhost");
		ok(cfg.db_port == 3306, "db_port 3306");
		ok(cfg.db_socket == NULL, "db_socket unset");
		ok(cfg.db_user && strcmp(cfg.db_user, "prodrec") == 0,
		    "db_user prodrec");
		ok(cfg.db_password && strcmp(cfg.db_password, "") == 0,
		    "db_password empty");
		ok(cfg.db_name && strcmp(cfg.db_name, "prodrec") == 0,
		    "db_name prodrec");
		ok(cfg.db_connect_timeout == 2 && cfg.db_read_timeout == 10 &&
		    cfg.db_write_timeout == 10, "db timeouts 2/10/10");
		ok(cfg.jwt_algs == (1u << ALG_HS256), "jwt_algs HS256 only");
		ok(cfg.jwt_secret && cfg.jwt_secret_len == 6 &&
		    memcmp(cfg.jwt_secret, "s3cret", 6) == 0, "jwt_secret");
		ok(cfg.jwt_public_key == NULL, "no public key");
		ok(cfg.jwt_issuer == NULL && cfg.jwt_audience == NULL,
		    "no issuer, no audience");
		ok(cfg.jwt_leeway == 60, "leeway 60");
		ok(cfg.jwt_user_claim && strcmp(cfg.jwt_user_claim, "sub") == 0,
		    "user claim sub");
		ok(cfg.workers == -1, "workers -1 (default)");
		ok(cfg.listen == NULL, "listen unset");
		ok(cfg.listen_mode == 0660, "listen_mode 0660");
		ok(cfg.listen_backlog == 511, "listen_backlog 511");
		ok(cfg.pid_file == NULL, "pid_file unset");
		ok(cfg.shutdown_timeout == 10, "shutdown_timeout 10");
		ok(cfg.max_requests == 0, "max_requests 0 (never)");
		ok(cfg.max_body == 16384, "max_body 16384");
		ok(cfg.max_units == 1000000, "max_units 1000000");
		ok(cfg.max_clock_skew == 300, "max_clock_skew 300");
	}
	cfg_free(&cfg);
	ok(cfg.db_host == NULL && cfg.jwt_secret == NULL &&
	    cfg.jwt_user_claim == NULL, "cfg_free clears the pointers");
	cfg_free(&cfg);
	ok(1, "cfg_free twice is harmless");
}

static void
test_env_values(void)
{
	base_env();
	setenv("PRODREC_DB_HOST", "db.example", 1);
	setenv("PRODREC_DB_PORT", "3307", 1);
	setenv("PRODREC_DB_SOCKET", "/run/mysqld/mysqld.sock", 1);
	setenv("PRODREC_DB_USER", "u", 1);
	setenv("PRODREC_DB_PASSWORD", "p w", 1);
	setenv("PRODREC_DB_NAME", "n", 1);
	setenv("PRODREC_JWT_ALGS", "hs256, HS512", 1);
	setenv("PRODREC_JWT_ISSUER", "https://issuer/", 1);
	setenv("PRODREC_JWT_AUDIENCE", "api", 1);
	setenv("PRODREC_JWT_LEEWAY", "0", 1);
	setenv("PRODREC_JWT_USER_CLAIM", "email", 1);
	setenv("PRODREC_WORKERS", "0", 1);
	setenv("PRODREC_LISTEN", "127.0.0.1:9000", 1);
	setenv("PRODREC_MAX_BODY", "65536", 1);
	setenv("PRODREC_MAX_UNITS", "2147483647", 1);
	setenv("PRODREC_MAX_CLOCK_SKEW", "0", 1);
	if (loads("every variable set")) {
		ok(strcmp(cfg.db_host, "db.example") == 0, "db_host");
		ok(cfg.db_port == 3307, "db_port");
		ok(cfg.db_socket && strcmp(cfg.db_socket,
		    "/run/mysqld/mysqld.sock") == 0, "db_socket");
		ok(strcmp(cfg.db_user, "u") == 0 &&
		    strcmp(cfg.db_password, "p w") == 0 &&
		    strcmp(cfg.db_name, "n") == 0, "user, password, name");
		ok(cfg.jwt_algs == ((1u << ALG_HS256) | (1u << ALG_HS512)),
		    "algs list, spaces and case ignored");
		ok(cfg.jwt_issuer && strcmp(cfg.jwt_issuer, "https://issuer/")
		    == 0 && cfg.jwt_audience &&
		    strcmp(cfg.jwt_audience, "api") == 0, "issuer, audience");
		ok(cfg.jwt_leeway == 0, "leeway 0");
		ok(strcmp(cfg.jwt_user_claim, "email") == 0, "user claim");
		ok(cfg.workers == 0, "workers 0");
		ok(cfg.listen && strcmp(cfg.listen, "127.0.0.1:9000") == 0,
		    "listen");
		ok(cfg.max_body == 65536, "max_body");
		ok(cfg.max_units == 2147483647u, "max_units at its maximum");
		ok(cfg.max_clock_skew == 0, "max_clock_skew 0");
	}
	cfg_free(&cfg);

	base_env();
	setenv("PRODREC_DB_PORT", "65535", 1);
	setenv("PRODREC_WORKERS", "1024", 1);
	if (loads("port 65535, workers 1024"))
		ok(cfg.db_port == 65535 && cfg.workers == 1024,
		    "range maxima kept");
	cfg_free(&cfg);
}

static void
test_env_errors(void)
{
	static const char *const bad[] = {
		"abc", "-1", "99999", "", "0", "+5", " 5", "5 ", "5x",
		"3306.0", "0x10", "99999999999999999999999"
	};
	size_t	i;
	char	desc[80];

	clear_env();
	fails("PRODREC_JWT_SECRET", "no secret with HS256");
	clear_env();
	setenv("PRODREC_JWT_SECRET", "", 1);
	fails("PRODREC_JWT_SECRET", "an empty secret");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		base_env();
		setenv("PRODREC_DB_PORT", bad[i], 1);
		snprintf(desc, sizeof(desc), "PRODREC_DB_PORT=\"%s\"", bad[i]);
		fails("PRODREC_DB_PORT", desc);
	}
	base_env();
	setenv("PRODREC_JWT_LEEWAY", "-1", 1);
	fails("PRODREC_JWT_LEEWAY", "negative leeway");
	base_env();
	setenv("PRODREC_MAX_UNITS", "0", 1);
	fails("PRODREC_MAX_UNITS", "max_units 0");
	base_env();
	setenv("PRODREC_MAX_UNITS", "2147483648", 1);
	fails("PRODREC_MAX_UNITS", "max_units 2^31");
	base_env();
	setenv("PRODREC_MAX_BODY", "abc", 1);
	fails("PRODREC_MAX_BODY", "max_body abc");
	base_env();
	setenv("PRODREC_WORKERS", "1025", 1);
	fails("PRODREC_WORKERS", "workers 1025");
	base_env();
	setenv("PRODREC_WORKERS", "-1", 1);
	fails("PRODREC_WORKERS", "workers -1 set explicitly");
	base_env();
	setenv("PRODREC_MAX_CLOCK_SKEW", "", 1);
	fails("PRODREC_MAX_CLOCK_SKEW", "empty max_clock_skew");
	base_env();
	setenv("PRODREC_LISTEN_MODE", "0666", 1);
	setenv("PRODREC_LISTEN_BACKLOG", "65535", 1);
	setenv("PRODREC_SHUTDOWN_TIMEOUT", "3600", 1);
	setenv("PRODREC_MAX_REQUESTS", "2147483647", 1);
	setenv("PRODREC_PID_FILE", "/run/prodrec.pid", 1);
	if (loads("pool and listen settings at their largest")) {
		ok(cfg.listen_mode == 0666, "listen_mode is octal");
		ok(cfg.listen_backlog == 65535 && cfg.shutdown_timeout == 3600 &&
		    cfg.max_requests == 2147483647, "backlog, timeout, requests");
		ok(cfg.pid_file && strcmp(cfg.pid_file, "/run/prodrec.pid") == 0,
		    "pid_file");
	}
	cfg_free(&cfg);
	base_env();
	setenv("PRODREC_LISTEN_MODE", "600", 1);
	if (loads("listen_mode without a leading 0"))
		ok(cfg.listen_mode == 0600, "600 is 0600");
	cfg_free(&cfg);
	base_env();
	setenv("PRODREC_LISTEN_MODE", "0778", 1);
	fails("PRODREC_LISTEN_MODE", "listen_mode with an 8");
	base_env();
	setenv("PRODREC_LISTEN_MODE", "01777", 1);
	fails("PRODREC_LISTEN_MODE", "listen_mode above 0777");
	base_env();
	setenv("PRODREC_LISTEN_MODE", "-660", 1);
	fails("PRODREC_LISTEN_MODE", "negative listen_mode");
	base_env();
	setenv("PRODREC_LISTEN_BACKLOG", "0", 1);
	fails("PRODREC_LISTEN_BACKLOG", "backlog 0");
	base_env();
	setenv("PRODREC_SHUTDOWN_TIMEOUT", "0", 1);
	fails("PRODREC_SHUTDOWN_TIMEOUT", "shutdown_timeout 0");
	base_env();
	setenv("PRODREC_MAX_REQUESTS", "-1", 1);
	fails("PRODREC_MAX_REQUESTS", "max_requests -1");

	base_env();
	setenv("PRODREC_JWT_ALGS", "HS256,RS256", 1);
	fails("PRODREC_JWT_PUBLIC_KEY_FILE", "RS256 without a key file");
	base_env();
	setenv("PRODREC_JWT_ALGS", "ES384", 1);
	fails("PRODREC_JWT_PUBLIC_KEY_FILE", "ES384 without a key file");
	base_env();
	setenv("PRODREC_JWT_ALGS", "HS256,XX999", 1);
	fails("XX999", "an unknown algorithm");
	base_env();
	setenv("PRODREC_JWT_ALGS", "none", 1);
	fails("PRODREC_JWT_ALGS", "alg none");
	base_env();
	setenv("PRODREC_JWT_ALGS", "", 1);
	fails("PRODREC_JWT_ALGS", "an empty algorithm list");
	base_env();
	setenv("PRODREC_JWT_ALGS", "HS256,,HS384", 1);
	fails("PRODREC_JWT_ALGS", "an empty name in the list");
	base_env();
	setenv("PRODREC_JWT_USER_CLAIM", "", 1);
	fails("PRODREC_JWT_USER_CLAIM", "an empty user claim");

	/* RS256 only: no HMAC secret needed, but a key is. */
#define PEM	"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
	clear_env();
	setenv("PRODREC_JWT_ALGS", "RS256", 1);
	setenv("PRODREC_JWT_PUBLIC_KEY_FILE", WRITE("key.pem", PEM), 1);
	if (loads("RS256 with a key file and no secret")) {
		ok(cfg.jwt_algs == (1u << ALG_RS256), "RS256 only");
		ok(cfg.jwt_public_key &&
		    cfg.jwt_public_key_len == sizeof(PEM) - 2 &&
		    strlen(cfg.jwt_public_key) == sizeof(PEM) - 2 &&
		    memcmp(cfg.jwt_public_key, PEM, sizeof(PEM) - 2) == 0,
		    "key text kept, last newline dropped (len %zu)",
		    cfg.jwt_public_key_len);
		ok(cfg.jwt_secret == NULL, "no secret");
	}
	cfg_free(&cfg);

	clear_env();
	setenv("PRODREC_JWT_ALGS", "RS256", 1);
	setenv("PRODREC_JWT_PUBLIC_KEY_FILE", "/nonexistent/key.pem", 1);
	fails("PRODREC_JWT_PUBLIC_KEY_FILE", "a missing key file");
	clear_env();
	setenv("PRODREC_JWT_ALGS", "RS256", 1);
	setenv("PRODREC_JWT_PUBLIC_KEY_FILE", tmpdir, 1);
	fails("PRODREC_JWT_PUBLIC_KEY_FILE", "a directory as key file");
	/* A key set is named by its path, read by the auth module. */
	clear_env();
	setenv("PRODREC_JWT_ALGS", "RS256", 1);
	setenv("PRODREC_JWT_JWKS_FILE", "keys/jwks.json", 1);
	if (loads("RS256 with a key set file and no PEM")) {
		char	cwd[2048], want[4200];

		snprintf(want, sizeof(want), "%s/keys/jwks.json",
		    getcwd(cwd, sizeof(cwd)) != NULL ? cwd : "?");
		ok(cfg.jwt_jwks_file != NULL &&
		    strcmp(cfg.jwt_jwks_file, want) == 0,
		    "relative key set path made absolute (%s)",
		    cfg.jwt_jwks_file ? cfg.jwt_jwks_file : "NULL");
	}
	cfg_free(&cfg);
	clear_env();
	setenv("PRODREC_JWT_ALGS", "ES256", 1);
	setenv("PRODREC_JWT_JWKS_FILE", "/etc/prodrec/jwks.json", 1);
	if (loads("an absolute key set path"))
		ok(strcmp(cfg.jwt_jwks_file, "/etc/prodrec/jwks.json") == 0,
		    "absolute path kept as given");
	cfg_free(&cfg);
	clear_env();
	setenv("PRODREC_JWT_ALGS", "RS256", 1);
	setenv("PRODREC_JWT_JWKS_FILE", "", 1);
	fails("PRODREC_JWT_JWKS_FILE", "an empty key set path");
}

static void
test_secret_file(void)
{
	const char	*path;

	clear_env();
	setenv("PRODREC_JWT_SECRET_FILE", WRITE("secret", "from-file\n"), 1);
	if (loads("secret file with a newline"))
		ok(cfg.jwt_secret && cfg.jwt_secret_len == 9 &&
		    strcmp(cfg.jwt_secret, "from-file") == 0,
		    "trailing newline stripped (len %zu)", cfg.jwt_secret_len);
	cfg_free(&cfg);

	clear_env();
	setenv("PRODREC_JWT_SECRET_FILE", WRITE("secret", "crlf\r\n"), 1);
	if (loads("secret file with CRLF"))
		ok(cfg.jwt_secret_len == 4 &&
		    strcmp(cfg.jwt_secret, "crlf") == 0, "CRLF stripped");
	cfg_free(&cfg);

	clear_env();
	setenv("PRODREC_JWT_SECRET_FILE", WRITE("secret", "no-newline"), 1);
	if (loads("secret file without a newline"))
		ok(cfg.jwt_secret_len == 10 &&
		    strcmp(cfg.jwt_secret, "no-newline") == 0, "kept as is");
	cfg_free(&cfg);

	clear_env();
	setenv("PRODREC_JWT_SECRET_FILE", WRITE("secret", "a\nb\n\n"), 1);
	if (loads("secret file with inner newlines"))
		ok(cfg.jwt_secret_len == 4 &&
		    memcmp(cfg.jwt_secret, "a\nb\n", 4) == 0,
		    "only one trailing newline dropped");
	cfg_free(&cfg);

	clear_env();
	setenv("PRODREC_JWT_SECRET_FILE", write_file("secret", "a\0b\n", 4),
	    1);
	if (loads("secret file holding a NUL"))
		ok(cfg.jwt_secret_len == 3 &&
		    memcmp(cfg.jwt_secret, "a\0b", 3) == 0,
		    "binary secret length kept");
	cfg_free(&cfg);

	clear_env();
	setenv("PRODREC_JWT_SECRET_FILE", WRITE("secret", "\n"), 1);
	fails("PRODREC_JWT_SECRET", "a secret file of just a newline");

	clear_env();
	setenv("PRODREC_JWT_SECRET_FILE", "/nonexistent/secret", 1);
	fails("PRODREC_JWT_SECRET_FILE", "an unreadable secret file");

	{
		char	*big;
		size_t	 n = 64 * 1024 + 1;

		if ((big = malloc(n)) == NULL)
			abort();
		memset(big, 'x', n);
		path = write_file("big", big, n);
		free(big);
		clear_env();
		setenv("PRODREC_JWT_SECRET_FILE", path, 1);
		fails("PRODREC_JWT_SECRET_FILE", "a secret file over 64 KiB");
	}

	base_env();
	setenv("PRODREC_JWT_SECRET_FILE", WRITE("secret", "from-file\n"), 1);
	fails("PRODREC_JWT_SECRET", "both SECRET and SECRET_FILE");
}

static void
test_file(void)
{
	const char	*path;

	clear_env();
	path = WRITE("prodrec.conf",
	    "# prodrec configuration\n"
	    "\n"
	    "   \n"
	    "db_host = db1\n"
	    "db_port=3310\n"
	    "  db_user   =   worker  \n"
	    "\t# an indented comment\n"
	    "db_password =\n"
	    "jwt_secret = file secret\n"
	    "jwt_algs = HS256, hs384\n"
	    "jwt_leeway= 5\n"
	    "max_units =42\n"
	    "listen = /run/prodrec.sock\r\n"
	    "db_name = a=b\n");
	setenv("PRODREC_CONFIG", path, 1);
	if (loads("a file with comments, blanks and spacing")) {
		ok(strcmp(cfg.db_host, "db1") == 0, "db_host from the file");
		ok(cfg.db_port == 3310, "db_port without spaces");
		ok(strcmp(cfg.db_user, "worker") == 0, "value trimmed");
		ok(strcmp(cfg.db_password, "") == 0, "an empty value");
		ok(cfg.jwt_secret && cfg.jwt_secret_len == 11 &&
		    strcmp(cfg.jwt_secret, "file secret") == 0,
		    "secret from the file, inner space kept");
		ok(cfg.jwt_algs == ((1u << ALG_HS256) | (1u << ALG_HS384)),
		    "algs from the file");
		ok(cfg.jwt_leeway == 5 && cfg.max_units == 42, "numbers");
		ok(cfg.listen && strcmp(cfg.listen, "/run/prodrec.sock") == 0,
		    "CRLF line end trimmed");
		ok(strcmp(cfg.db_name, "a=b") == 0,
		    "split at the first '='");
		ok(cfg.max_body == 16384 && cfg.jwt_user_claim &&
		    strcmp(cfg.jwt_user_claim, "sub") == 0,
		    "keys not in the file keep defaults");
	}
	cfg_free(&cfg);

	/* The environment wins over the file. */
	setenv("PRODREC_DB_HOST", "env-host", 1);
	setenv("PRODREC_DB_PORT", "4000", 1);
	if (loads("file and environment")) {
		ok(strcmp(cfg.db_host, "env-host") == 0, "env wins: db_host");
		ok(cfg.db_port == 4000, "env wins: db_port");
		ok(strcmp(cfg.db_user, "worker") == 0, "file still used");
	}
	cfg_free(&cfg);

	/* Env wins even over a value the file gets wrong. */
	clear_env();
	setenv("PRODREC_CONFIG", WRITE("c2.conf", "db_port = junk\n"), 1);
	setenv("PRODREC_DB_PORT", "3306", 1);
	setenv("PRODREC_JWT_SECRET", "x", 1);
	if (loads("bad file value overridden by env"))
		ok(cfg.db_port == 3306, "env value used");
	cfg_free(&cfg);

	file_fails("c3.conf", "# ok\ndb_host = h\n\nbogus_key = 1\n",
	    "c3.conf:4", "an unknown key (file:line)");
	fails("bogus_key", "an unknown key (named)");

	file_fails("c4.conf", "db_host h\n",
	    "c4.conf:1", "a line without '='");

	file_fails("c5.conf", "DB_HOST = h\n",
	    "c5.conf:1", "an upper-case key");

	file_fails("c6.conf", "prodrec_db_host = h\n",
	    "c6.conf:1", "a key with the PRODREC_ prefix");

	file_fails("c7.conf", "= h\n",
	    "c7.conf:1", "an empty key");

	file_fails("c8.conf", "\n\ndb_port = 70000\n",
	    "c8.conf:3", "a bad number in the file");

	file_fails("c9.conf", "jwt_algs = HS256,RS256\n",
	    "PRODREC_JWT_PUBLIC_KEY_FILE", "RS256 from the file, no key");

	clear_env();
	setenv("PRODREC_CONFIG", WRITE("c10.conf", "db_host = h\n"), 1);
	fails("PRODREC_JWT_SECRET", "a file without a secret");

	clear_env();
	setenv("PRODREC_JWT_SECRET", "x", 1);
	setenv("PRODREC_CONFIG", "/nonexistent/prodrec.conf", 1);
	fails("/nonexistent/prodrec.conf", "a missing config file");

	clear_env();
	setenv("PRODREC_JWT_SECRET", "x", 1);
	setenv("PRODREC_CONFIG", "", 1);
	ok(cfg_load(&cfg, err, sizeof(err)) == 0,
	    "an empty PRODREC_CONFIG is no file");
	cfg_free(&cfg);

	/* The secret file named in the config file. */
	clear_env();
	path = WRITE("secret2", "file-secret\n");
	{
		char	line[600];

		snprintf(line, sizeof(line), "jwt_secret_file = %s\n", path);
		setenv("PRODREC_CONFIG", write_file("c11.conf", line,
		    strlen(line)), 1);
	}
	if (loads("jwt_secret_file in the file"))
		ok(cfg.jwt_secret_len == 11 &&
		    strcmp(cfg.jwt_secret, "file-secret") == 0,
		    "secret read from the file named in the file");
	cfg_free(&cfg);

	/* SECRET and SECRET_FILE together, through the file. */
	clear_env();
	path = WRITE("secret3", "file-secret\n");
	{
		char	line[700];

		snprintf(line, sizeof(line), "jwt_secret = inline\n"
		    "jwt_secret_file = %s\n", path);
		setenv("PRODREC_CONFIG", write_file("c13.conf", line,
		    strlen(line)), 1);
	}
	fails("secret", "jwt_secret and jwt_secret_file both in the file");
	clear_env();
	{
		char	line[700];

		snprintf(line, sizeof(line), "jwt_secret_file = %s\n", path);
		setenv("PRODREC_CONFIG", write_file("c14.conf", line,
		    strlen(line)), 1);
	}
	setenv("PRODREC_JWT_SECRET", "env-secret", 1);
	fails("secret", "PRODREC_JWT_SECRET with jwt_secret_file in the "
	    "file");

	/* A key given twice in the file: the later line wins, no leak. */
	clear_env();
	setenv("PRODREC_JWT_SECRET", "x", 1);
	setenv("PRODREC_CONFIG", WRITE("c12.conf",
	    "db_host = first\ndb_host = second\n"), 1);
	if (loads("a key twice in the file"))
		ok(strcmp(cfg.db_host, "second") == 0, "the later line wins");
	cfg_free(&cfg);
}

/* cfg_check on a configuration made by hand, as tests and SIGHUP give it. */
static int
check_says(const struct config *c, const char *want)
{
	char	why[512] = "";

	if (cfg_check(c, why, sizeof(why)) == 0)
		return want == NULL;
	if (want == NULL || strstr(why, want) == NULL)
		printf("# cfg_check: %s\n", why);
	return want != NULL && strstr(why, want) != NULL;
}

static void
test_check(void)
{
	struct config	c;

	memset(&c, 0, sizeof(c));
	c.jwt_algs = 1u << ALG_HS256;
	c.jwt_secret = (char *)"a-secret";
	c.jwt_secret_len = 8;
	ok(check_says(&c, NULL), "cfg_check passes a short secret (auth's to "
	    "refuse) and no db_host (the default, localhost)");
	c.jwt_algs = 0;
	ok(check_says(&c, "names no usable algorithm"), "no algorithm");
	c.jwt_algs = 1u << ALG__MAX;
	ok(check_says(&c, "names no usable algorithm"), "an unknown bit");
	c.jwt_algs = 1u << ALG_RS256;
	ok(check_says(&c, "allows RS/ES tokens"), "RS256 without a key");
	c.jwt_algs = 1u << ALG_HS256;
	c.jwt_secret = NULL;
	c.jwt_secret_len = 0;
	ok(check_says(&c, "gives a secret"), "HS256 without a secret");
	c.jwt_secret = (char *)"a-secret";
	c.jwt_secret_len = 8;
	c.jwt_leeway = -1;
	ok(check_says(&c, "LEEWAY must not be negative"), "negative leeway");
	c.jwt_leeway = 0;
	c.jwt_issuer = (char *)"";
	ok(check_says(&c, "must not be empty"), "an empty issuer");
	c.jwt_issuer = NULL;
	c.jwt_user_claim = (char *)"";
	ok(check_says(&c, "USER_CLAIM is empty"), "an empty user claim");
	c.jwt_user_claim = NULL;
	c.db_host = (char *)"a:1,b:x";
	ok(check_says(&c, "node 2 is not host"), "a bad second node");
	c.db_host = NULL;
	c.workers = 0;
	c.max_requests = 10;
	c.listen = (char *)"127.0.0.1:9000";
	ok(check_says(&c, "max_requests needs workers >= 1"),
	    "a request limit without a pool on its own socket");
	c.listen = NULL;
	ok(check_says(&c, NULL), "the same under a web server");
}

/* Node i of list is host:port (port 0: none given). */
static int
node_is(const char *list, size_t i, const char *host, unsigned port)
{
	char		h[CFG_HOST_MAX + 1];
	unsigned	p = 99;

	return cfg_db_node(list, i, h, sizeof(h), &p) == 0 &&
	    strcmp(h, host) == 0 && p == port;
}

static void
test_db_nodes(void)
{
	char		h[CFG_HOST_MAX + 1], longname[CFG_HOST_MAX + 2];
	unsigned	p;
	size_t		i;
	const char	*bad[] = { "", ",", "a,,b", "a:", "a:0", "a:65536",
			    "a:12x", "a:-1", "::1", "[::1", "[::1]x", "[]:3306",
			    ":3306", "a:1:2", "a, b:99999" };

	ok(node_is("localhost", 0, "localhost", 0), "one node, no port");
	ok(cfg_db_node("localhost", 1, h, sizeof(h), &p) == 1, "no node 2");
	ok(node_is("db1:3307, db2 ,[::1]:3308", 0, "db1", 3307) &&
	    node_is("db1:3307, db2 ,[::1]:3308", 1, "db2", 0) &&
	    node_is("db1:3307, db2 ,[::1]:3308", 2, "::1", 3308),
	    "a list with ports, spaces and an IPv6 literal");
	ok(node_is("[fe80::1]", 0, "fe80::1", 0), "[v6] without a port");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = 0, n;

		for (n = 0; n < 4 && rc == 0; n++)
			rc = cfg_db_node(bad[i], (size_t)n, h, sizeof(h), &p);
		ok(rc == -1, "malformed list \"%s\"", bad[i]);
	}
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ok(cfg_db_node(longname, 0, h, sizeof(h), &p) == -1,
	    "a host name longer than CFG_HOST_MAX");
	base_env();
	setenv("PRODREC_DB_HOST", "a:1,b:2,c:x", 1);
	fails("PRODREC_DB_HOST: node 3", "a malformed third node");
	base_env();
	setenv("PRODREC_DB_HOST", "a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a", 1);
	fails("more than 16 nodes", "17 nodes");
	base_env();
	setenv("PRODREC_DB_HOST", "a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a", 1);
	if (loads("16 nodes"))
		cfg_free(&cfg);
}

int
main(void)
{
	char	cmd[600];

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	test_defaults();
	test_env_values();
	test_env_errors();
	test_secret_file();
	test_file();
	test_check();
	test_db_nodes();
	clear_env();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	return done_testing();
}
