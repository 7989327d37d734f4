/* control.c: GET /api/control/health and /api/control/status (CONTRACT section 8). */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <string.h>

#include "allow.h"
#include "app.h"
#include "buf.h"
#include "config.h"
#include "control.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "reply.h"
#include "stats.h"

#define PROMETHEUS_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/*
 * GET /api/control/health, no token: is the database answering within a
 * second?  A change of state is logged once per worker, not every probe.
 */
void
control_health(struct app *app, struct request *req, struct response *resp)
{
	static int	was_down;
	int		up = db_health();

	(void)app;
	(void)req;
	if (!up && !was_down)
		log_warnx("health: database down: %s", db_last_error());
	else if (up && was_down)
		log_warnx("health: database up again");
	was_down = !up;
	if (!up) {
		http_error(resp, OUT_UNAVAILABLE, "database down");
		return;
	}
	if (reply_health(&resp->body) == -1) {
		http_fault(resp, OUT_INTERNAL, "out of memory building answer");
		return;
	}
	http_status(resp, OUT_OK);
}

/*
 * Connections waiting in the accept queue of a TCP listening socket (for a
 * socket in LISTEN state, Linux reports the queue in tcpi_unacked); -1 for
 * a unix socket or when unknown.
 */
static long
listen_queue(int fd)
{
	struct sockaddr_storage	ss;
	struct tcp_info		ti;
	socklen_t		len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
		return -1;
	len = sizeof(ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1 ||
	    ti.tcpi_state != TCP_LISTEN)
		return -1;
	return (long)ti.tcpi_unacked;
}

/* One metric in the Prometheus text format, with its HELP and TYPE. */
static int
metric(struct buf *b, const char *name, const char *type, const char *help,
    unsigned long long value)
{
	return buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name,
	    help, name, type, name, value);
}

/* name as a Prometheus label value: \\, \" and \\n escaped. */
static int
label_value(struct buf *b, const char *name)
{
	char	c[3] = { '\\', 0, 0 };

	for (; *name != '\0'; name++) {
		c[1] = *name == '\n' ? 'n' : *name;
		if (strchr("\\\"\n", *name) != NULL ? buf_puts(b, c) :
		    buf_printf(b, "%c", *name))
			return -1;
	}
	return 0;
}

/* The workers on each database node, as a gauge with a label. */
static int
prometheus_nodes(struct buf *b, const struct status_node *nodes, size_t n)
{
	size_t	i;

	if (buf_puts(b, "# HELP prodrec_database_node_workers Workers "
	    "connected to each database node.\n# TYPE "
	    "prodrec_database_node_workers gauge\n") == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (buf_puts(b, "prodrec_database_node_workers{node=\"") == -1 ||
		    label_value(b, nodes[i].name) == -1 ||
		    buf_printf(b, "\"} %u\n", nodes[i].workers) == -1)
			return -1;
	return 0;
}

static int
prometheus(struct buf *b, const struct stats_figures *f, long queue,
    const struct status_node *nodes, size_t nnodes)
{
	static const char	*const class[3] = { "2xx", "4xx", "5xx" };
	int			 c;

	if (metric(b, "prodrec_start_time_seconds", "gauge", "Start time of "
	    "the pool since the epoch.", (unsigned long long)f->start_time) ||
	    metric(b, "prodrec_accepted_requests_total", "counter", "Requests "
	    "the workers have taken.", f->accepted) ||
	    buf_puts(b, "# HELP prodrec_responses_total Responses written, by "
	    "status class.\n# TYPE prodrec_responses_total counter\n"))
		return -1;
	for (c = 0; c < 3; c++)
		if (buf_printf(b, "prodrec_responses_total{class=\"%s\"} %llu\n",
		    class[c], (unsigned long long)f->responses[c]) == -1)
			return -1;
	if (metric(b, "prodrec_active_workers", "gauge", "Workers serving a "
	    "request.", f->active) ||
	    metric(b, "prodrec_idle_workers", "gauge", "Workers waiting for a "
	    "request.", f->idle) ||
	    metric(b, "prodrec_total_workers", "gauge", "Workers running.",
	    f->total) ||
	    metric(b, "prodrec_max_active_workers", "gauge", "The most workers "
	    "active at once since the start.", f->max_active) ||
	    metric(b, "prodrec_worker_restarts_total", "counter", "Workers "
	    "started to replace others since the start.", f->restarts))
		return -1;
	if (queue >= 0 && metric(b, "prodrec_listen_queue", "gauge",
	    "Connections waiting to be accepted.", (unsigned long long)queue))
		return -1;
	return prometheus_nodes(b, nodes, nnodes);
}

/* Name the database nodes (db_node_name) with their workers from f. */
static size_t
list_nodes(const struct stats_figures *f, char names[][CFG_HOST_MAX + 8],
    struct status_node *nodes)
{
	size_t	n = 0;
	int	i;

	for (i = -1; i < STATS_NODES - 1; i++) {
		if (db_node_name(i, names[n], sizeof(names[n])) != 0) {
			if (i == -1)
				continue;
			break;
		}
		nodes[n].name = names[n];
		nodes[n].workers = f->node_workers[i + 1];
		n++;
	}
	return n;
}

/*
 * GET /api/control/status[?format=json|prometheus], to the addresses of
 * PRODREC_STATUS_ALLOW only.
 */
void
control_status(struct app *app, struct request *req, struct response *resp)
{
	struct stats_figures	 f;
	struct status_node	 nodes[STATS_NODES];
	char			 names[STATS_NODES][CFG_HOST_MAX + 8];
	const char		*fmt = "json";
	size_t			 len = 4, nnodes;
	long			 queue;
	int			 rc;

	if (!allow_match(&app->cfg->status_allow, req->remote_addr)) {
		http_error(resp, OUT_FORBIDDEN, "this address may not read the "
		    "status (PRODREC_STATUS_ALLOW)");
		return;
	}
	(void)http_query_param(req->query, "format", &fmt, &len);
	if ((len != 4 || memcmp(fmt, "json", 4) != 0) &&
	    (len != 10 || memcmp(fmt, "prometheus", 10) != 0)) {
		http_error(resp, OUT_BAD_REQUEST, "format must be json or "
		    "prometheus");
		return;
	}
	stats_read(&f);
	nnodes = list_nodes(&f, names, nodes);
	queue = listen_queue(app->listen_fd);
	if (len == 10) {
		resp->content_type = PROMETHEUS_TYPE;
		rc = prometheus(&resp->body, &f, queue, nodes, nnodes);
	} else
		rc = reply_status(&resp->body, &f, queue, nodes, nnodes);
	if (rc == -1) {
		resp->content_type = NULL;
		http_fault(resp, OUT_INTERNAL, "out of memory building answer");
		return;
	}
	http_status(resp, OUT_OK);
}
