/*
 * test_control.c: control.c, the operators' endpoints of CONTRACT section
 * 8, without a database: GET /api/control/status (the allow-list, the
 * format parameter, the JSON figures and the Prometheus text, the listen
 * queue of a TCP socket, database node names and their label escaping)
 * and GET /api/control/health while the database cannot be reached (503,
 * the error shape, Retry-After, the second probe answered at once).
 * Health "up" needs MariaDB: tests/integration covers it.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "db.h"
#include "fake.h"
#include "json.h"
#include "utc.h"
#include "stats.h"
#include "tap.h"

/* GET /api/control/status?query from addr. */
static void
status(const char *addr, const char *query)
{
	fake_request(&req, &io, "GET", "/api/control/status");
	fake_response(&resp);
	req.remote_addr = addr;
	req.query = query;
	control_status(&app, &req, &resp);
}

static void
test_allowed(void)
{
	status("192.0.2.1", "");
	ok(resp.status == 403 && fake_error_is(&resp, "Forbidden", "this "
	    "address may not read the status (PRODREC_STATUS_ALLOW)"),
	    "an address not listed: 403");
	status(NULL, "");
	ok(resp.status == 403, "no address: 403");
	status("128.0.0.1", "format=prometheus");
	ok(resp.status == 403 && resp.content_type == NULL,
	    "403 before the format, as JSON");
	status("127.0.0.1", "");
	ok(resp.status == 200, "127.0.0.1: 200");
	status("::1", "");
	ok(resp.status == 200, "::1: 200");
	status("::ffff:127.0.0.2", "");
	ok(resp.status == 200, "an IPv4-mapped loopback address: 200");
}

static void
test_format(void)
{
	static const char *const bad[] = {
		"format=xml", "format=", "format", "format=JSON",
		"format=jsonx", "format=prometheu", "format=prometheusx", NULL,
	};
	const char *const	*p;

	for (p = bad; *p != NULL; p++) {
		status("127.0.0.1", *p);
		ok(resp.status == 400 && resp.content_type == NULL &&
		    fake_error_is(&resp, "Bad Request", "format must be json or "
		    "prometheus"), "?%s: 400", *p);
	}
	status("127.0.0.1", "format=json");
	ok(resp.status == 200 && resp.content_type == NULL &&
	    strncmp(resp.body.data, "{\"status\":\"success\"", 19) == 0,
	    "?format=json");
	status("127.0.0.1", "a=1&format=prometheus&format=json");
	ok(resp.status == 200 && resp.content_type != NULL &&
	    strcmp(resp.content_type, "text/plain; version=0.0.4; "
	    "charset=utf-8") == 0, "the first format wins: Prometheus text");
	status("127.0.0.1", "formats=prometheus");
	ok(resp.status == 200 && resp.content_type == NULL,
	    "another parameter: JSON");
}

static void
test_json(void)
{
	struct stats_figures	 f;
	struct jbody		*b = NULL;
	const char		*why;
	char			 start[25], want[160];

	stats_read(&f);
	utc_format(f.start_time * 1000, start);
	snprintf(want, sizeof(want), "{\"status\":\"success\",\"data\":"
	    "{\"startTime\":\"%s\",", start);
	status("127.0.0.1", "");
	ok(resp.status == 200 && resp.content_type == NULL &&
	    strncmp(resp.body.data, want, strlen(want)) == 0,
	    "JSON: the start time first (%s)", start);
	ok(strstr(resp.body.data, ",\"acceptedRequests\":3,\"responses\":"
	    "{\"2xx\":1,\"4xx\":1,\"5xx\":0},\"activeWorkers\":1,"
	    "\"idleWorkers\":1,\"totalWorkers\":2,\"maxActiveWorkers\":1,"
	    "\"workerRestarts\":1,\"listenQueue\":null,\"databaseNodes\":["
	    "{\"node\":\"db1:3307\",\"workers\":1},{\"node\":\"db2:3306\","
	    "\"workers\":0}]}}") != NULL, "the figures, no listen queue, the "
	    "nodes of PRODREC_DB_HOST: %s", resp.body.data);
	ok(json_body_parse(resp.body.data, resp.body.len, &b, &why) == 0,
	    "the answer is a JSON object");
	json_body_free(b);
}

static void
test_prometheus(void)
{
	struct stats_figures	f;
	char			want[4096];

	stats_read(&f);
	snprintf(want, sizeof(want),
	    "# HELP prodrec_start_time_seconds Start time of the pool since "
	    "the epoch.\n"
	    "# TYPE prodrec_start_time_seconds gauge\n"
	    "prodrec_start_time_seconds %lld\n"
	    "# HELP prodrec_accepted_requests_total Requests the workers have "
	    "taken.\n"
	    "# TYPE prodrec_accepted_requests_total counter\n"
	    "prodrec_accepted_requests_total 3\n"
	    "# HELP prodrec_responses_total Responses written, by status "
	    "class.\n"
	    "# TYPE prodrec_responses_total counter\n"
	    "prodrec_responses_total{class=\"2xx\"} 1\n"
	    "prodrec_responses_total{class=\"4xx\"} 1\n"
	    "prodrec_responses_total{class=\"5xx\"} 0\n"
	    "# HELP prodrec_active_workers Workers serving a request.\n"
	    "# TYPE prodrec_active_workers gauge\n"
	    "prodrec_active_workers 1\n"
	    "# HELP prodrec_idle_workers Workers waiting for a request.\n"
	    "# TYPE prodrec_idle_workers gauge\n"
	    "prodrec_idle_workers 1\n"
	    "# HELP prodrec_total_workers Workers running.\n"
	    "# TYPE prodrec_total_workers gauge\n"
	    "prodrec_total_workers 2\n"
	    "# HELP prodrec_max_active_workers The most workers active at once "
	    "since the start.\n"
	    "# TYPE prodrec_max_active_workers gauge\n"
	    "prodrec_max_active_workers 1\n"
	    "# HELP prodrec_worker_restarts_total Workers started to replace "
	    "others since the start.\n"
	    "# TYPE prodrec_worker_restarts_total counter\n"
	    "prodrec_worker_restarts_total 1\n"
	    "# HELP prodrec_database_node_workers Workers connected to each "
	    "database node.\n"
	    "# TYPE prodrec_database_node_workers gauge\n"
	    "prodrec_database_node_workers{node=\"db1:3307\"} 1\n"
	    "prodrec_database_node_workers{node=\"db2:3306\"} 0\n",
	    (long long)f.start_time);
	status("127.0.0.1", "format=prometheus");
	ok(resp.status == 200 && strcmp(resp.content_type, "text/plain; "
	    "version=0.0.4; charset=utf-8") == 0, "Prometheus: 200 and its "
	    "media type");
	if (!ok(strcmp(resp.body.data, want) == 0, "every metric with HELP "
	    "and TYPE, no listen queue when unknown"))
		printf("# got:\n%s", resp.body.data);

	/* The socket alone, with a name that needs escaping. */
	cfg.db_host = (char *)"localhost";
	cfg.db_socket = (char *)"/run/a\"b\\c\nd.sock";
	stats_set_node(-1);
	status("127.0.0.1", "format=prometheus");
	ok(strstr(resp.body.data, "gauge\nprodrec_database_node_workers{node="
	    "\"/run/a\\\"b\\\\c\\nd.sock\"} 1\n") != NULL &&
	    strstr(resp.body.data, "db1") == NULL, "a socket path as a label: "
	    "\\\", \\\\ and \\n escaped");
	status("127.0.0.1", "");
	ok(strstr(resp.body.data, "\"databaseNodes\":[{\"node\":"
	    "\"/run/a\\\"b\\\\c\\u000ad.sock\",\"workers\":1}]") != NULL,
	    "and escaped as a JSON string");
	cfg.db_host = (char *)"db1:3307,db2";
	cfg.db_socket = (char *)"/run/x.sock";
	status("127.0.0.1", "");
	ok(strstr(resp.body.data, "\"databaseNodes\":[{\"node\":"
	    "\"/run/x.sock\",\"workers\":1},{\"node\":\"db1:3307\","
	    "\"workers\":0},{\"node\":\"db2:3306\",\"workers\":0}]") != NULL,
	    "a socket and hosts: the socket first");
	cfg.db_socket = NULL;
	stats_set_node(0);
}

static void
test_listen_queue(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			lfd, cfd = -1, ufd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) == -1) {
		ok(0, "a TCP socket on 127.0.0.1");
		return;
	}
	app.listen_fd = lfd;
	status("127.0.0.1", "");
	ok(strstr(resp.body.data, "\"listenQueue\":null") != NULL,
	    "a TCP socket not listening: no queue");
	if (listen(lfd, 8) == -1) {
		ok(0, "listen");
		close(lfd);
		return;
	}
	status("127.0.0.1", "");
	ok(strstr(resp.body.data, "\"listenQueue\":0,") != NULL,
	    "a listening TCP socket: queue 0");
	if ((cfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(cfd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		ok(0, "connect to the listening socket");
	else {
		usleep(50000);
		status("127.0.0.1", "");
		ok(strstr(resp.body.data, "\"listenQueue\":1,") != NULL,
		    "one connection waiting: queue 1 (%s)",
		    strstr(resp.body.data, "listenQueue"));
		status("127.0.0.1", "format=prometheus");
		ok(strstr(resp.body.data, "# HELP prodrec_listen_queue "
		    "Connections waiting to be accepted.\n# TYPE "
		    "prodrec_listen_queue gauge\nprodrec_listen_queue 1\n# HELP "
		    "prodrec_database_node_workers") != NULL,
		    "and in the Prometheus text, before the nodes");
	}
	if (cfd != -1)
		close(cfd);
	close(lfd);
	if ((ufd = socket(AF_UNIX, SOCK_STREAM, 0)) != -1) {
		app.listen_fd = ufd;
		status("127.0.0.1", "");
		ok(strstr(resp.body.data, "\"listenQueue\":null") != NULL,
		    "a unix socket: no queue");
		close(ufd);
	}
	app.listen_fd = -1;
}

static void
test_health(void)
{
	struct timeval	a, b;
	long		ms;

	cfg.db_host = (char *)"localhost";
	cfg.db_socket = (char *)"/nonexistent/prodrec-test_control.sock";
	fake_request(&req, &io, "GET", "/api/control/health");
	fake_response(&resp);
	control_health(&app, &req, &resp);
	ok(resp.status == 503 && resp.retry_after == 1 &&
	    resp.content_type == NULL && fake_error_is(&resp,
	    "Service Unavailable", "database down"),
	    "the database unreachable: 503, Retry-After, the contract's body");
	ok(strstr(db_last_error(), "MariaDB error") != NULL,
	    "the cause is kept for the log: %s", db_last_error());
	fake_response(&resp);
	gettimeofday(&a, NULL);
	control_health(&app, &req, &resp);
	gettimeofday(&b, NULL);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_usec - a.tv_usec) / 1000;
	ok(resp.status == 503 && resp.retry_after == 1 && ms < 500,
	    "a second probe within the second: 503 at once (%ld ms)", ms);
}

int
main(void)
{
	char	err[256];

	cfg.db_host = (char *)"db1:3307,db2";
	cfg.db_port = 3306;
	cfg.db_user = cfg.db_name = (char *)"prodrec";
	cfg.db_password = (char *)"";
	cfg.db_connect_timeout = 1;
	if (allow_parse("127.0.0.0/8,::1", &cfg.status_allow, err,
	    sizeof(err), "x") == -1 || db_init(&cfg) == -1 ||
	    stats_init(2) == -1)
		return 1;
	app.cfg = &cfg;
	app.listen_fd = -1;
	stats_set_workers(2);
	stats_count_restart();
	stats_use_slot(0);
	stats_set_node(0);
	stats_request_begin();
	stats_request_end(200);
	stats_request_begin();
	stats_request_end(404);
	stats_request_begin();
	test_allowed();
	test_format();
	test_json();
	test_prometheus();
	test_listen_queue();
	test_health();
	fake_response(&resp);
	buf_free(&resp.body);
	db_close();
	return done_testing();
}
