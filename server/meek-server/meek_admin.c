/* SPDX-License-Identifier: MIT */
/*
 * The --admin listener (a UNIX socket or a loopback port, never the
 * public one): GET /healthz answers "ok sessions=N", GET /metrics the
 * counters in the Prometheus text format ("name value" lines, and
 * meek_refused_total{reason="…"} for each refusal reason). Everything else
 * is a 404; every answer closes the connection.
 *
 * Refusals for a limit are counted here too, with one log line per reason
 * at most every MEEKS_REFUSAL_LOG_EVERY seconds (saying how many were not
 * logged), so a flood shows in the log without filling it.
 *
 * And the bookkeeping every answer does: its status counted for
 * /metrics, and the Date header it carries.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "meeks.h"

static const char *const refusal_names[MR_NREASON] = {
	"session_rate", "addr_sessions", "sessions", "memory", "conns",
	"idle_evicted", "waiters", "head_timeout", "body_timeout",
};

void
meeks_refuse(struct meeks *m, enum meeks_refusal r)
{
	struct meeks_stats *st = &m->st;
	ev_tstamp now = ev_now(m->loop);

	st->refused[r]++;
	if (st->refused_logged[r] != 0 && now - st->refused_logged[r] < MEEKS_REFUSAL_LOG_EVERY) {
		st->refused_unlogged[r]++;
		return;
	}
	log_warnx("limit: %s (%llu in all; %llu more since the last line)", refusal_names[r],
	          (unsigned long long)st->refused[r], (unsigned long long)st->refused_unlogged[r]);
	st->refused_logged[r] = now;
	st->refused_unlogged[r] = 0;
}

static int
admin_append(char *body, size_t cap, size_t *off, const char *name, const char *label,
             unsigned long long v)
{
	int n = snprintf(body + *off, cap - *off, "%s%s %llu\n", name, label, v);

	if (n < 0 || (size_t)n >= cap - *off)
		return -1;
	*off += (size_t)n;
	return 0;
}

static int
admin_refusals(struct meeks *m, char *body, size_t cap, size_t *off)
{
	char label[64];
	int i;

	if (admin_append(body, cap, off, "meek_memory_bytes", "", m->mem_used) == -1 ||
	    admin_append(body, cap, off, "meek_memory_budget_bytes", "", m->max_memory) == -1 ||
	    admin_append(body, cap, off, "meek_limit_addresses", "", m->limit.nentries) == -1)
		return -1;
	i = snprintf(body + *off, cap - *off, "# TYPE meek_refused_total counter\n");
	if (i < 0 || (size_t)i >= cap - *off)
		return -1;
	*off += (size_t)i;
	for (i = 0; i < MR_NREASON; i++) {
		snprintf(label, sizeof(label), "{reason=\"%s\"}", refusal_names[i]);
		if (admin_append(body, cap, off, "meek_refused_total", label, m->st.refused[i]) == -1)
			return -1;
	}
	return 0;
}

static int
admin_path(const struct http_head *h, const char *path)
{
	const char *q = memchr(h->target, '?', h->target_len);
	size_t n = q ? (size_t)(q - h->target) : h->target_len;

	return strlen(path) == n && memcmp(h->target, path, n) == 0;
}

static int
admin_metrics(struct meeks *m, char *body, size_t cap, size_t *len)
{
	static const char *const names[MS_NSTAT] = { "200", "400", "403", "404", "405", "410",
		                                     "411", "413", "429", "431", "502", "503",
		                                     "other" };
	const struct meeks_stats *st = &m->st;
	size_t off;
	int n, i;

	n = snprintf(body, cap,
	             "sessions_open %zu\nsessions_created %llu\nsessions_reaped %llu\n"
	             "sessions_closed %llu\nconnections_open %zu\nconnections_accepted %llu\n"
	             "connections_refused %llu\nbytes_up %llu\nbytes_down %llu\nreplays %llu\n",
	             m->nsessions, (unsigned long long)st->sessions_created,
	             (unsigned long long)st->sessions_reaped, (unsigned long long)st->sessions_closed,
	             m->nconns, (unsigned long long)st->conns_accepted,
	             (unsigned long long)st->conns_refused, (unsigned long long)st->bytes_up,
	             (unsigned long long)st->bytes_down, (unsigned long long)st->replays);
	if (n < 0 || (size_t)n >= cap)
		return 500;
	off = (size_t)n;
	n = snprintf(body + off, cap - off,
	             "pipelined_sessions %llu\npipelined_inflight_max %llu\npipelined_reordered %llu\n"
	             "pipelined_gaps %llu\n",
	             (unsigned long long)st->pipe_sessions, (unsigned long long)st->pipe_inflight_max,
	             (unsigned long long)st->pipe_reordered, (unsigned long long)st->pipe_gaps);
	if (n < 0 || (size_t)n >= cap - off)
		return 500;
	off += (size_t)n;
	for (i = 0; i < MS_NSTAT; i++) {
		n = snprintf(body + off, cap - off, "requests_%s %llu\n", names[i],
		             (unsigned long long)st->status[i]);
		if (n < 0 || (size_t)n >= cap - off)
			return 500;
		off += (size_t)n;
	}
	if (admin_refusals(m, body, cap, &off) == -1)
		return 500;
	*len = off;
	return 200;
}

int
meeks_admin_answer(struct meeks *m, const struct http_head *h, char *body, size_t cap, size_t *len)
{
	int n;

	if (strcmp(h->method, "GET") == 0 || strcmp(h->method, "HEAD") == 0) {
		if (admin_path(h, "/healthz")) {
			n = snprintf(body, cap, "ok sessions=%zu\n", m->nsessions);
			if (n < 0 || (size_t)n >= cap)
				return 500;
			*len = (size_t)n;
			return 200;
		}
		if (admin_path(h, "/metrics"))
			return admin_metrics(m, body, cap, len);
	}
	n = snprintf(body, cap, "404 page not found\n");
	*len = n > 0 ? (size_t)n : 0;
	return 404;
}

/* The answers sent, by status (MS_OTHER for the rest). */
void
meeks_count(struct meeks *m, int status)
{
	static const int codes[MS_OTHER] = { 200, 400, 403, 404, 405, 410, 411, 413, 429, 431, 502,
		                              503 };
	int i;

	for (i = 0; i < MS_OTHER; i++)
		if (codes[i] == status)
			break;
	m->st.status[i]++;
}

/* The Date header of every answer, formatted at most once a second. */
const char *
meeks_date(struct meeks *m)
{
	ev_tstamp now = ev_now(m->loop);
	time_t t = (time_t)now;
	struct tm tm;

	if (m->date[0] == '\0' || now - m->date_at >= 1.0) {
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(m->date, sizeof(m->date), "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
			m->date[0] = '\0';
		m->date_at = (ev_tstamp)t;
	}
	return m->date[0] ? m->date : NULL;
}
