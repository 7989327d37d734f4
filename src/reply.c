/*
 * reply.c: every answer's JSON body, written with buf_printf and friends
 * (CONTRACT section 5 for errors, 8 for sessions, records and status).
 * Request bodies are read by json.c.
 */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "reply.h"
#include "stats.h"
#include "utc.h"

/*
 * Append s (len bytes of UTF-8) to b as a JSON string literal with quotes.
 * Control characters are escaped; everything else is copied as is.
 */
int
reply_string(struct buf *b, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	char			 esc[6] = { '\\', 'u', '0', '0', 0, 0 };
	size_t			 i, run;

	if (buf_append(b, "\"", 1) == -1)
		return -1;
	for (i = 0; i < len; i += run) {
		for (run = 0; i + run < len; run++) {
			unsigned char c = (unsigned char)s[i + run];
			if (c < 0x20 || c == '"' || c == '\\')
				break;
		}
		if (run > 0) {
			if (buf_append(b, s + i, run) == -1)
				return -1;
			continue;
		}
		run = 1;
		if (s[i] == '"' || s[i] == '\\') {
			esc[1] = s[i];
			if (buf_append(b, esc, 2) == -1)
				return -1;
			esc[1] = 'u';
			continue;
		}
		esc[4] = hex[((unsigned char)s[i]) >> 4];
		esc[5] = hex[((unsigned char)s[i]) & 0xf];
		if (buf_append(b, esc, 6) == -1)
			return -1;
	}
	return buf_append(b, "\"", 1);
}

/* The health answer: the database is up. */
int
reply_health(struct buf *b)
{
	buf_reset(b);
	return buf_puts(b, "{\"status\":\"success\",\"data\":"
	    "{\"database\":\"up\"}}");
}

/* {"status":"error","message":message,"error":error} into b. */
int
reply_error(struct buf *b, const char *message, const char *error)
{
	buf_reset(b);
	if (buf_puts(b, "{\"status\":\"error\",\"message\":") == -1 ||
	    reply_string(b, message, strlen(message)) == -1 ||
	    buf_puts(b, ",\"error\":") == -1 ||
	    reply_string(b, error, strlen(error)) == -1 ||
	    buf_puts(b, "}") == -1)
		return -1;
	return 0;
}

/*
 * The 201/200 body of CONTRACT section 5:
 * {"status":"success","data":{"payloadPreview":{"recordId":..,"sessionId":..,
 * "workerId":..,"units":..},"idempotent":..}}
 */
int
reply_preview(struct buf *b, const struct preview *p)
{
	buf_reset(b);
	if (buf_puts(b, "{\"status\":\"success\",\"data\":{\"payloadPreview\":"
	    "{\"recordId\":") == -1 ||
	    reply_string(b, p->record_id, strlen(p->record_id)) == -1 ||
	    buf_puts(b, ",\"sessionId\":") == -1 ||
	    reply_string(b, p->session_id, strlen(p->session_id)) == -1 ||
	    buf_puts(b, ",\"workerId\":") == -1 ||
	    reply_string(b, p->worker_id, p->worker_id_len) == -1 ||
	    buf_printf(b, ",\"units\":%lu},\"idempotent\":%s}}",
	    (unsigned long)p->units, p->idempotent ? "true" : "false") == -1)
		return -1;
	return 0;
}

/* ,"name":"2025-10-19T14:30:00.000Z" or ,"name":null when !present. */
static int
put_time(struct buf *b, const char *name, int64_t ms, int present)
{
	char	t[UTC_TEXT_SIZE];

	if (!present)
		return buf_printf(b, ",\"%s\":null", name);
	utc_format(ms, t);
	return buf_printf(b, ",\"%s\":\"%s\"", name, t);
}

/* ,"name":"s" or ,"name":null when s is NULL. */
static int
put_member(struct buf *b, const char *name, const char *s, size_t len)
{
	if (buf_printf(b, ",\"%s\":", name) == -1)
		return -1;
	return s == NULL ? buf_puts(b, "null") : reply_string(b, s, len);
}

/*
 * A session answer (CONTRACT section 8): {"status":"success","data":{...}},
 * with "idempotent" when idempotent is 0 or 1 (open and close), not when -1.
 */
int
reply_session(struct buf *b, const struct session_view *v, int idempotent)
{
	buf_reset(b);
	if (buf_printf(b, "{\"status\":\"success\",\"data\":{\"sessionId\":"
	    "\"%s\"", v->session_id) == -1 ||
	    put_member(b, "label", v->has_label ? v->label : NULL,
	    v->label_len) == -1 ||
	    buf_printf(b, ",\"status\":\"%s\"", v->state == SESSION_OPEN ?
	    "open" : "closed") == -1 ||
	    put_time(b, "openedAtUtc", v->opened_at_ms, 1) == -1 ||
	    put_time(b, "closedAtUtc", v->closed_at_ms, v->has_closed_at) == -1 ||
	    buf_printf(b, ",\"recordCount\":%llu,\"totalUnits\":%llu",
	    (unsigned long long)v->record_count,
	    (unsigned long long)v->total_units) == -1)
		return -1;
	if (idempotent >= 0 && buf_printf(b, ",\"idempotent\":%s",
	    idempotent ? "true" : "false") == -1)
		return -1;
	return buf_puts(b, "}}");
}

/* One record object, appended to b. */
static int
record_object(struct buf *b, const struct record_row *r)
{
	if (buf_printf(b, "{\"recordId\":\"%s\",\"sessionId\":\"%s\"",
	    r->record_id, r->session_id) == -1 ||
	    put_member(b, "workerId", r->worker_id, r->worker_id_len) == -1 ||
	    put_member(b, "worker_name", r->worker_name,
	    r->worker_name_len) == -1 ||
	    buf_printf(b, ",\"units\":%lu", (unsigned long)r->units) == -1 ||
	    put_time(b, "recordedAtUtc", r->recorded_at_ms, 1) == -1 ||
	    put_member(b, "clientEventId", r->client_event_id,
	    r->client_event_id_len) == -1 ||
	    put_member(b, "idempotencyKey", r->has_idempotency_key ?
	    r->idempotency_key : NULL, r->idempotency_key_len) == -1 ||
	    put_time(b, "createdAtUtc", r->created_at_ms, 1) == -1)
		return -1;
	return buf_puts(b, "}");
}

/* {"status":"success","data":<record>} */
int
reply_record(struct buf *b, const struct record_row *r)
{
	buf_reset(b);
	if (buf_puts(b, "{\"status\":\"success\",\"data\":") == -1 ||
	    record_object(b, r) == -1)
		return -1;
	return buf_puts(b, "}");
}

/* A page of records: begin, then record_object with commas, then end. */
int
reply_page_begin(struct buf *b)
{
	buf_reset(b);
	return buf_puts(b, "{\"status\":\"success\",\"data\":{\"records\":[");
}

int
reply_page_item(struct buf *b, const struct record_row *r, int first)
{
	if (!first && buf_puts(b, ",") == -1)
		return -1;
	return record_object(b, r);
}

/* next: the recordId the following page starts after, or NULL. */
int
reply_page_end(struct buf *b, const char *next)
{
	if (next == NULL)
		return buf_puts(b, "],\"next\":null}}");
	return buf_printf(b, "],\"next\":\"%s\"}}", next);
}

/* ,"databaseNodes":[{"node":"...","workers":N},...] */
static int
status_nodes(struct buf *b, const struct status_node *nodes, size_t n)
{
	size_t	i;

	if (buf_puts(b, ",\"databaseNodes\":[") == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (buf_puts(b, i == 0 ? "{\"node\":" : ",{\"node\":") == -1 ||
		    reply_string(b, nodes[i].name, strlen(nodes[i].name)) ==
		    -1 || buf_printf(b, ",\"workers\":%u}", nodes[i].workers) ==
		    -1)
			return -1;
	return buf_puts(b, "]");
}

/*
 * The status figures (CONTRACT section 8), with the workers on each
 * database node; queue -1 is null.
 */
int
reply_status(struct buf *b, const struct stats_figures *f, long queue,
    const struct status_node *nodes, size_t nnodes)
{
	char	start[UTC_TEXT_SIZE];

	buf_reset(b);
	utc_format(f->start_time * 1000, start);
	if (buf_printf(b, "{\"status\":\"success\",\"data\":{\"startTime\":"
	    "\"%s\",\"acceptedRequests\":%llu,\"responses\":{\"2xx\":%llu,"
	    "\"4xx\":%llu,\"5xx\":%llu},\"activeWorkers\":%u,"
	    "\"idleWorkers\":%u,\"totalWorkers\":%u,\"maxActiveWorkers\":%u,"
	    "\"workerRestarts\":%llu,\"listenQueue\":", start,
	    (unsigned long long)f->accepted,
	    (unsigned long long)f->responses[0],
	    (unsigned long long)f->responses[1],
	    (unsigned long long)f->responses[2], f->active, f->idle, f->total,
	    f->max_active, (unsigned long long)f->restarts) == -1 ||
	    (queue < 0 ? buf_puts(b, "null") : buf_printf(b, "%ld", queue)) ==
	    -1 || status_nodes(b, nodes, nnodes) == -1)
		return -1;
	return buf_puts(b, "}}");
}
