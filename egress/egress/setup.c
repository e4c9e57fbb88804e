/* SPDX-License-Identifier: MIT */
/*
 * Start-up steps of the egress (setup.h).
 */
#include "setup.h"

#include <stdio.h>
#include <string.h>

#include "base/cli.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "net/admin.h"
#include "net/net.h"
#include "base/membudget.h"
#include "tt.h"
#include "tt/tunnel.h"

void
setup_rule_arg(struct egress *eg, const char *s, int allow)
{
	struct policy_rule r;
	char err[128];

	if (policy_parse_rule(s, allow, &r, err, sizeof(err)) == -1)
		cli_usage_error("--%s %s: %s", allow ? "allow" : "deny", s, err);
	if (policy_add(&eg->policy, &r) == -1)
		cli_usage_error("too many --allow/--deny rules (at most %d)",
		                POLICY_RULES_MAX - (int)eg->policy.ndefaults);
}

/* ",upstream=tcp:HOST:PORT" or ",upstream=unix:PATH" of a listener. */
static void
setup_listen_upstream(struct egress_listen *el, const char *s, const char *val)
{
	char err[128];

	if (endpoint_parse(val, &el->upstream_ep, err, sizeof(err)) == -1)
		cli_usage_error("-l %s: upstream=%s: %s", s, val, err);
	if ((el->upstream_ep.kind != EP_TCP && el->upstream_ep.kind != EP_UNIX) ||
	    (el->upstream_ep.kind == EP_TCP && el->upstream_ep.port == 0) || el->upstream_ep.nopts > 0)
		cli_usage_error("-l %s: upstream= wants tcp:HOST:PORT or unix:PATH", s);
	el->upstream = &el->upstream_ep;
}

void
setup_listen_arg(struct egress *eg, struct endpoint *ep, const char *s)
{
	struct egress_listen *el = &eg->listen[eg->nlisten];
	char url[ENDPOINT_STR_MAX + 8];
	const char *spec = s;
	char err[128];
	size_t i;

	if (eg->nlisten == EGRESS_LISTEN_MAX)
		cli_usage_error("too many -l (at most %d)", EGRESS_LISTEN_MAX);
	/* "ws:HOST:PORT" is "ws://HOST:PORT/", as tcp: endpoints are written. */
	if (strncmp(s, "ws:", 3) == 0 && strncmp(s, "ws://", 5) != 0) {
		if (snprintf(url, sizeof(url), "ws://%s", s + 3) >= (int)sizeof(url))
			cli_usage_error("-l %s: too long", s);
		spec = url;
	}
	if (endpoint_parse(spec, ep, err, sizeof(err)) == -1)
		cli_usage_error("-l %s: %s", s, err);
	if (ep->kind != EP_TCP && ep->kind != EP_UNIX && ep->kind != EP_WS)
		cli_usage_error("-l %s: only tcp:, unix: and ws:// endpoints", s);
	for (i = 0; i < ep->nopts; i++) {
		const struct endpoint_opt *o = &ep->opts[i];

		if (strcmp(o->key, "trusted") == 0 && !o->has_val && !el->trusted)
			el->trusted = 1;
		else if (strcmp(o->key, "upstream") == 0 && o->has_val && el->upstream == NULL)
			setup_listen_upstream(el, s, o->val);
		else if (strcmp(o->key, "socks") == 0 && !o->has_val && !el->socks)
			el->socks = 1;
		else
			cli_usage_error("-l %s: the options are ',trusted', ',socks' and ',upstream=ENDPOINT'",
			                s);
	}
	if (ep->kind == EP_WS) {
		if (el->socks)
			cli_usage_error("-l %s: ,socks is for tcp: and unix: listeners", s);
		/* Any path is served, as Snowflake's server does: it names nothing. */
		el->ws = 1;
		ep->kind = EP_TCP;
	}
	eg->nlisten++;
}

void
setup_admin_arg(struct endpoint *ep, const char *s)
{
	char err[128];

	if (endpoint_parse(s, ep, err, sizeof(err)) == -1)
		cli_usage_error("--admin %s: %s", s, err);
	if (ep->nopts > 0 || !admin_endpoint_ok(ep))
		cli_usage_error("--admin %s: only unix:PATH or a loopback tcp:HOST:PORT", s);
}

void
setup_listeners(struct egress *eg, const struct endpoint *ep)
{
	char err[256];
	size_t i;
	int fd;

	for (i = 0; i < eg->nlisten; i++) {
		struct egress_listen *el = &eg->listen[i];

		if ((fd = net_listen(&ep[i], EGRESS_BACKLOG)) == -1) {
			if (endpoint_format(&ep[i], err, sizeof(err)) == -1)
				err[0] = '\0';
			fatal(EX_PW_TEMP, "listen %s", err);
		}
		if (net_listen_name(fd, &ep[i], el->name, sizeof(el->name)) == -1)
			fatal(EX_PW_INTERNAL, "getsockname");
		/* "tcp:127.0.0.1:PORT" -> "ws://127.0.0.1:PORT/", ready to paste into --relay. */
		if (el->ws) {
			char tcp[sizeof(el->name)];

			memcpy(tcp, el->name, sizeof(tcp));
			if (snprintf(el->name, sizeof(el->name), "ws://%s/", tcp + 4) >= (int)sizeof(el->name))
				fatalx(EX_PW_INTERNAL, "listener name too long");
		}
		el->eg = eg;
		el->l.fd = fd;
	}
}

void
setup_admin(struct egress *eg, const struct endpoint *ep)
{
	char name[256];

	if (admin_open(&eg->admin, eg->loop, ep, setup_admin_body, eg) == -1) {
		if (endpoint_format(ep, name, sizeof(name)) == -1)
			name[0] = '\0';
		fatal(EX_PW_TEMP, "--admin %s", name);
	}
	eg->has_admin = 1;
}

int
setup_admin_body(void *arg, int which, char *out, size_t cap)
{
	const struct egress *eg = arg;
	const struct membudget *mb = tunnel_global();
	size_t sessions, carriers;
	struct tt_kcp_totals kcp;
	int n, m;

	tt_counts(eg, &sessions, &carriers);
	if (which == 0)
		return snprintf(out, cap, "ok sessions=%zu carriers=%zu streams=%zu%s\n", sessions,
		                carriers, eg->nstreams, eg->draining ? " draining" : "");
	n = snprintf(out, cap,
	             "egress_inbound %zu\negress_inbound_max %zu\negress_carriers %zu\n"
	             "egress_sessions %zu\negress_streams %zu\negress_streams_max %zu\n"
	             "egress_relays %zu\negress_draining %d\n"
	             "egress_memory_bytes %zu\negress_memory_max_bytes %zu\n"
	             "egress_memory_peak_bytes %zu\negress_memory_refused_total %llu\n"
	             "egress_websockets %zu\negress_session_datagrams_in_total %llu\n",
	             eg->ninbound, eg->max_conns, carriers, sessions, eg->nstreams, eg->max_streams,
	             eg->nconns - eg->nstreams, eg->draining, mb->used, mb->limit, mb->peak,
	             (unsigned long long)mb->refused, eg->nwsl, (unsigned long long)eg->datagrams_in);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	tt_kcp_totals(eg, &kcp);
	if ((m = snprintf(out + n, cap - (size_t)n,
	                  "egress_kcp_retransmits_total %llu\n"
	                  "egress_kcp_window_drops_total %llu\negress_kcp_memory_drops_total %llu\n",
	                  (unsigned long long)kcp.retrans, (unsigned long long)kcp.win_drops,
	                  (unsigned long long)kcp.mem_drops)) < 0 || (size_t)m >= cap - (size_t)n)
		return -1;
	n += m;
	if ((m = limits_metrics(&eg->lim, out + n, cap - (size_t)n)) < 0)
		return -1;
	return n + m;
}
