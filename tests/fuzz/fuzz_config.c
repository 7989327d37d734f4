/*
 * fuzz_config.c: a configuration file and PRODREC_* variables through
 * config.c (cfg_load), then auth_init on what loads, as main.c does.
 *
 * Input: leading lines "@NAME=VALUE" set PRODREC_NAME for this input only
 * (NAME of A-Z, 0-9 and _); the rest is the file PRODREC_CONFIG names.
 * "%D" in either stands for a directory holding "secret" (FUZZ_SECRET and
 * a newline), "rsa.pub" and "ec.pub" (PEM public keys) and "empty".  The
 * caller's PRODREC_* variables are removed at start; the ones an input
 * sets are removed after it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "fuzz.h"
#include "fuzz_keys.h"

#define ENV_MAX		8	/* "@" lines taken per input */
#define ENV_LEN		512	/* bytes of one, expanded */
#define TEXT_MAX	(64 * 1024)

extern char	**environ;

static char	 dir[256];		/* the %D directory */
static char	 conf_path[300];	/* the file written per input */
static char	 conf_env[320];		/* "PRODREC_CONFIG=..." for putenv */
static char	 env_bufs[ENV_MAX][ENV_LEN];	/* putenv keeps these */

/* Remove every PRODREC_* variable. */
static void
clear_env(void)
{
	char	**e, name[256];
	size_t	  n;

	for (e = environ; e != NULL && *e != NULL; ) {
		if (strncmp(*e, "PRODREC_", 8) != 0) {
			e++;
			continue;
		}
		n = strcspn(*e, "=");
		if (n >= sizeof(name))
			abort();
		memcpy(name, *e, n);
		name[n] = '\0';
		if (unsetenv(name) == -1)
			abort();
		e = environ;	/* environ changed: start over */
	}
}

/* Write len bytes of text to dir/name; aborts on failure. */
static void
write_file(const char *path, const char *text, size_t len)
{
	FILE	*fp;

	if ((fp = fopen(path, "w")) == NULL ||
	    fwrite(text, 1, len, fp) != len || fclose(fp) != 0)
		abort();
}

static const char *const files[] = { "secret", "rsa.pub", "ec.pub", "empty",
    "prodrec.conf" };

static void
remove_dir(void)
{
	char	path[300];
	size_t	i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		(void)unlink(path);
	}
	(void)rmdir(dir);
}

/* The %D directory and its files, under TMPDIR. */
static void
make_dir(void)
{
	const char	*tmp = getenv("TMPDIR");
	char		 path[300];

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	if ((size_t)snprintf(dir, sizeof(dir), "%s/fuzz_config.XXXXXX", tmp) >=
	    sizeof(dir) || mkdtemp(dir) == NULL || atexit(remove_dir) != 0)
		abort();
	snprintf(path, sizeof(path), "%s/secret", dir);
	write_file(path, FUZZ_SECRET "\n", strlen(FUZZ_SECRET) + 1);
	snprintf(path, sizeof(path), "%s/rsa.pub", dir);
	write_file(path, rsa_public_pem, strlen(rsa_public_pem));
	snprintf(path, sizeof(path), "%s/ec.pub", dir);
	write_file(path, ec_public_pem, strlen(ec_public_pem));
	snprintf(path, sizeof(path), "%s/empty", dir);
	write_file(path, "", 0);
	snprintf(conf_path, sizeof(conf_path), "%s/prodrec.conf", dir);
	snprintf(conf_env, sizeof(conf_env), "PRODREC_CONFIG=%s", conf_path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	clear_env();
	make_dir();
	return 0;
}

/* len bytes of s into out (size outsz) with %D expanded; -1 if too long. */
static ssize_t
expand(const char *s, size_t len, char *out, size_t outsz)
{
	size_t	i, n = 0, dlen = strlen(dir);

	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 1 < len && s[i + 1] == 'D') {
			if (n + dlen >= outsz)
				return -1;
			memcpy(out + n, dir, dlen);
			n += dlen;
			i++;
			continue;
		}
		if (n + 1 >= outsz)
			return -1;
		out[n++] = s[i];
	}
	out[n] = '\0';
	return (ssize_t)n;
}

/*
 * Put the "@NAME=VALUE" line (len bytes, after the @) in env_bufs[slot].
 * Returns 0 when it set a variable, -1 when the line is not one.
 */
static int
env_line(const char *line, size_t len, int slot)
{
	const char	*eq = memchr(line, '=', len);
	size_t		 i, nlen = eq ? (size_t)(eq - line) : 0;
	char		*b = env_bufs[slot];

	if (nlen == 0 || nlen > 40 || memchr(line, '\0', len) != NULL)
		return -1;
	for (i = 0; i < nlen; i++)
		if (!((line[i] >= 'A' && line[i] <= 'Z') ||
		    (line[i] >= '0' && line[i] <= '9') || line[i] == '_'))
			return -1;
	memcpy(b, "PRODREC_", 8);
	if (expand(line, len, b + 8, ENV_LEN - 8) == -1 || putenv(b) != 0)
		return -1;
	return 0;
}

/* Remove what env_line set, and PRODREC_CONFIG. */
static void
unset_env(int n)
{
	char	name[64];
	int	i;

	for (i = 0; i < n; i++) {
		size_t len = strcspn(env_bufs[i], "=");
		memcpy(name, env_bufs[i], len);
		name[len] = '\0';
		if (unsetenv(name) == -1)
			abort();
	}
	if (unsetenv("PRODREC_CONFIG") == -1)
		abort();
}

/* What main.c does with a configuration: load, check the token settings. */
static void
load(void)
{
	struct config	 cfg;
	char		 err[512] = "";

	if (cfg_load(&cfg, err, sizeof(err)) == -1) {
		FUZZ_CHECK(err[0] != '\0' && strchr(err, '\n') == NULL);
		cfg_free(&cfg);		/* again: must be harmless */
		return;
	}
	FUZZ_CHECK(cfg.db_host != NULL && cfg.db_user != NULL &&
	    cfg.db_name != NULL && cfg.jwt_user_claim != NULL &&
	    cfg.jwt_user_claim[0] != '\0' && cfg.jwt_algs != 0 &&
	    cfg.max_body >= 2 && cfg.max_units >= 1);
	FUZZ_CHECK(cfg.jwt_secret == NULL ||
	    strlen(cfg.jwt_secret) <= cfg.jwt_secret_len);
	if (auth_init(&cfg, err, sizeof(err)) == -1)
		FUZZ_CHECK(err[0] != '\0');
	auth_free();
	cfg_free(&cfg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static char	 text[TEXT_MAX];
	struct fuzz_in	 in = { (const char *)data, len };
	const char	*line;
	size_t		 line_len;
	ssize_t		 n;
	int		 nenv = 0;

	/* Devices and kernel files could block or never end: not config. */
	if (memmem(data, len, "/dev", 4) != NULL ||
	    memmem(data, len, "/proc", 5) != NULL ||
	    memmem(data, len, "/sys", 4) != NULL)
		return 0;
	while (nenv < ENV_MAX && in.left > 0 && in.p[0] == '@') {
		struct fuzz_in	save = in;

		if (fuzz_line(&in, '\n', &line, &line_len) == -1 ||
		    env_line(line + 1, line_len - 1, nenv) == -1) {
			in = save;
			break;
		}
		nenv++;
	}
	if ((n = expand(in.p, in.left, text, sizeof(text))) == -1) {
		unset_env(nenv);
		return 0;
	}
	write_file(conf_path, text, (size_t)n);
	if (getenv("PRODREC_CONFIG") == NULL && putenv(conf_env) != 0)
		abort();
	load();
	unset_env(nenv);
	return 0;
}
