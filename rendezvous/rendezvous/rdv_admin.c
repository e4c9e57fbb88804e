/* SPDX-License-Identifier: MIT */
/* The admin listener's /healthz and /metrics (Prometheus text) for rendezvous. */
#include "rdv.h"

#include <stdarg.h>
#include <stdio.h>

struct mw {
	char *p;
	size_t cap, len;
	int over;
};

static void __attribute__((format(printf, 2, 3)))
put(struct mw *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->over)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->p + w->len, w->cap - w->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->cap - w->len)
		w->over = 1;
	else
		w->len += (size_t)n;
}

static void
counter(struct mw *w, const char *name, const char *help, unsigned long long v)
{
	put(w, "# HELP rendezvous_%s %s\n# TYPE rendezvous_%s counter\nrendezvous_%s %llu\n", name, help,
	    name, name, v);
}

static void
gauge(struct mw *w, const char *name, const char *help, unsigned long long v)
{
	put(w, "# HELP rendezvous_%s %s\n# TYPE rendezvous_%s gauge\nrendezvous_%s %llu\n", name, help,
	    name, name, v);
}

static void
per_nat(struct mw *w, const char *name, const char *help, const uint64_t v[SF_NAT_N])
{
	int i;

	put(w, "# HELP rendezvous_%s %s\n# TYPE rendezvous_%s counter\n", name, help, name);
	for (i = 0; i < SF_NAT_N; i++)
		put(w, "rendezvous_%s{nat=\"%s\"} %llu\n", name, sf_nat_name((enum sf_nat)i),
		    (unsigned long long)v[i]);
}

int
rdv_admin_body(void *arg, int which, char *out, size_t cap)
{
	struct rdv *r = arg;
	const struct rdv_metrics *m = &r->m;
	struct mw w = { out, cap, 0, 0 };
	int i;

	if (which == 0) {
		put(&w, "ok\n");
		return w.over ? -1 : (int)w.len;
	}
	gauge(&w, "connections", "open connections", r->nconns);
	gauge(&w, "proxies_waiting", "proxy polls held", r->nproxies);
	put(&w, "# HELP rendezvous_proxies_waiting_nat proxy polls held by NAT type\n"
	        "# TYPE rendezvous_proxies_waiting_nat gauge\n");
	for (i = 0; i < SF_NAT_N; i++)
		put(&w, "rendezvous_proxies_waiting_nat{nat=\"%s\"} %zu\n", sf_nat_name((enum sf_nat)i),
		    r->match.npool[i]);
	gauge(&w, "clients_waiting", "clients queued or awaiting an answer", r->nclients);
	gauge(&w, "memory_bytes", "bytes charged to the memory budget", r->mem.used);
	gauge(&w, "memory_peak_bytes", "most bytes ever charged", r->mem.peak);
	counter(&w, "connections_total", "connections accepted", m->conns);
	counter(&w, "requests_total", "requests parsed", m->requests);
	counter(&w, "matches_total", "clients handed to a proxy", m->matches);
	per_nat(&w, "matches_nat_total", "matches by client NAT type", m->matches_nat);
	per_nat(&w, "proxy_polls_total", "proxy polls by proxy NAT type", m->proxy_polls);
	per_nat(&w, "client_polls_total", "client offers by client NAT type", m->client_polls);
	counter(&w, "no_match_total", "clients told no proxy is available", m->client_no_match);
	counter(&w, "proxy_idle_total", "proxy polls ended with no match", m->proxy_idle);
	counter(&w, "client_timeouts_total", "clients whose proxy did not answer in time",
	        m->client_timeouts);
	counter(&w, "answers_total", "answers delivered to clients", m->answers);
	counter(&w, "client_gone_total", "answers for a client no longer waiting", m->client_gone_answers);
	counter(&w, "dead_proxies_total", "held proxy polls found closed before a match",
	        m->dead_proxies);
	counter(&w, "bad_requests_total", "malformed requests", m->bad_requests);
	counter(&w, "bad_version_total", "requests with an unknown protocol version", m->bad_version);
	counter(&w, "oversize_total", "heads or bodies over their cap", m->oversize);
	counter(&w, "read_timeouts_total", "requests not complete within the read timeout",
	        m->timeouts_read);
	counter(&w, "incorrect_relay_pattern_total", "proxies admitting none of our relays",
	        m->relay_pattern);
	counter(&w, "sid_clash_total", "proxy polls with a Sid already held or awaiting an answer", m->sid_clash);
	counter(&w, "unknown_bridge_total", "clients asking for a bridge not in the list",
	        m->unknown_bridge);
	put(&w, "# HELP rendezvous_refused_total work refused for a limit\n"
	        "# TYPE rendezvous_refused_total counter\n");
	put(&w, "rendezvous_refused_total{limit=\"conns\"} %llu\n", (unsigned long long)m->refused_conns);
	put(&w, "rendezvous_refused_total{limit=\"per_addr\"} %llu\n", (unsigned long long)m->refused_per_addr);
	put(&w, "rendezvous_refused_total{limit=\"poll_rate\"} %llu\n", (unsigned long long)m->refused_rate);
	put(&w, "rendezvous_refused_total{limit=\"proxies\"} %llu\n", (unsigned long long)m->refused_proxies);
	put(&w, "rendezvous_refused_total{limit=\"clients\"} %llu\n", (unsigned long long)m->refused_clients);
	put(&w, "rendezvous_refused_total{limit=\"memory\"} %llu\n", (unsigned long long)m->refused_memory);
	gauge(&w, "freddie_volunteers_waiting", "freddie geneses held", r->nvolunteers);
	gauge(&w, "freddie_consumers", "freddie genesis streams open", r->nconsumers);
	counter(&w, "freddie_genesis_total", "freddie geneses posted", m->fr_genesis);
	counter(&w, "freddie_matches_total", "freddie offers delivered to a volunteer", m->fr_matches);
	counter(&w, "freddie_delivered_total", "freddie messages delivered to a held POST", m->fr_delivered);
	counter(&w, "freddie_not_found_total", "freddie POSTs to a reqID no longer waiting (404)",
	        m->fr_not_found);
	counter(&w, "freddie_bad_version_total", "freddie requests with another major version (418)",
	        m->fr_bad_version);
	counter(&w, "freddie_streams_total", "freddie genesis streams opened", m->fr_streams);
	counter(&w, "freddie_streams_cut_total", "freddie streams cut for falling behind", m->fr_stream_cut);
	counter(&w, "freddie_no_reply_total", "freddie POSTs that got no reply in time", m->fr_no_reply);
	gauge(&w, "redis_up", "1 when both redis connections are up (--redis)", rdv_redis_up(r));
	counter(&w, "remote_claims_total", "clients that looked for a proxy in another process",
	        m->remote_claims);
	counter(&w, "remote_matches_total", "clients handed to a proxy in another process", m->remote_matches);
	counter(&w, "remote_served_total", "proxies here handed a client of another process", m->remote_served);
	counter(&w, "remote_naks_total", "remote offers whose proxy was gone", m->remote_naks);
	counter(&w, "remote_answers_total", "answers forwarded to the process of their client",
	        m->remote_answers);
	counter(&w, "redis_errors_total", "redis commands that failed or timed out", m->redis_errors);
	counter(&w, "match_scanned_total", "volunteer and client entries looked at by matchmaking",
	        r->match.scanned);
	return w.over ? -1 : (int)w.len;
}
