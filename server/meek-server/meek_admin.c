/* SPDX-License-Identifier: MIT */
/*
 * The --admin listener (a UNIX socket or a loopback port, never the
 * public one): GET /healthz answers "ok sessions=N", GET /metrics the
 * counters as "name value" lines. Everything else is a 404; every
 * answer closes the connection.
 */
#include <stdio.h>
#include <string.h>

#include "meeks.h"

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
		                                     "411", "413", "431", "502", "503", "other" };
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
	for (i = 0; i < MS_NSTAT; i++) {
		n = snprintf(body + off, cap - off, "requests_%s %llu\n", names[i],
		             (unsigned long long)st->status[i]);
		if (n < 0 || (size_t)n >= cap - off)
			return 500;
		off += (size_t)n;
	}
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
