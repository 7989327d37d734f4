/* config.h: the program's configuration, from the environment and PRODREC_CONFIG. */
#ifndef PRODREC_CONFIG_H
#define PRODREC_CONFIG_H

#include <sys/stat.h>

#include <stddef.h>

#include "allow.h"

#define CFG_NODES_MAX	16	/* database nodes PRODREC_DB_HOST may list */
#define CFG_HOST_MAX	255	/* bytes of one node's host name */

struct config {
	char		*db_host;		/* MariaDB node(s): "host[:port],...",
						   "localhost" (cfg_db_node) */
	unsigned	 db_port;		/* TCP port of a node that names
						   none, 3306 */
	char		*db_socket;		/* unix socket path or NULL */
	char		*db_user;		/* "prodrec" */
	char		*db_password;		/* "" */
	char		*db_name;		/* "prodrec" */
	unsigned	 db_connect_timeout;	/* seconds, 2 */
	unsigned	 db_read_timeout;	/* seconds, 10 */
	unsigned	 db_write_timeout;	/* seconds, 10 */
	unsigned	 jwt_algs;		/* bit (1u << enum sig_alg) per allowed alg */
	char		*jwt_secret;		/* HMAC secret or NULL */
	size_t		 jwt_secret_len;	/* its length in bytes */
	char		*jwt_public_key;	/* PEM text or NULL */
	size_t		 jwt_public_key_len;	/* its length in bytes */
	char		*jwt_jwks_file;		/* JSON Web Key Set path (absolute) or NULL */
	char		*jwt_issuer;		/* required iss or NULL */
	char		*jwt_audience;		/* required aud or NULL */
	long		 jwt_leeway;		/* seconds, 60 */
	char		*jwt_user_claim;	/* "sub" */
	int		 workers;		/* pre-forked workers, -1 = default */
	char		*listen;		/* host:port, socket path, or NULL (fd 0) */
	unsigned	 listen_mode;		/* unix socket permissions, 0660 */
	int		 listen_backlog;	/* listen(2) backlog, 511 */
	char		*pid_file;		/* master's pid file or NULL */
	unsigned	 shutdown_timeout;	/* seconds a stop waits, 10 */
	unsigned	 peer_timeout;		/* seconds a silent web server
						   connection may hold a worker, 30 */
	unsigned	 max_requests;		/* per worker, 0 = unlimited */
	size_t		 max_body;		/* bytes, 16384 */
	unsigned	 max_units;		/* 1000000 */
	long		 max_clock_skew;	/* seconds, 300 */
	struct allow	 status_allow;		/* who may read /api/control/status */
};

/* config.c */
int		 cfg_load(struct config *, char *err, size_t errsz);
int		 cfg_check(const struct config *, char *err, size_t errsz);
void		 cfg_free(struct config *);
char		*cfg_read_file(const char *path, size_t max, size_t *len,
		    struct stat *, char *err, size_t errsz, const char *what);
int		 cfg_db_node(const char *list, size_t i, char *host,
		    size_t hostsz, unsigned *port);

#endif
