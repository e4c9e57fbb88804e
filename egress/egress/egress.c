/* SPDX-License-Identifier: MIT */
/*
 * egress: the exit of a pipeworks tunnel. Listens on tcp: and unix:
 * endpoints, serves SOCKS5 CONNECT to destinations the policy allows,
 * and Turbo Tunnel sessions (tt.c), and reports every stream to
 * --events. This file is options, wiring and shutdown; connections live
 * in conn.c, destinations in dial.c, the policy in policy.c, events in
 * events.c and evsink.c, name resolution in common/net/dns.c.
 *
 * Shutdown: the first SIGTERM/SIGINT closes the listeners and lets open
 * connections finish, for at most --drain-timeout seconds; a second
 * signal closes them at once. Either way the exit status is 0.
 */
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "egress.h"
#include "net/dns.h"
#include "net/endpoint.h"
#include "evsink.h"
#include "base/cli.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "net/net.h"
#include "selfaddr.h"
#include "setup.h"
#include "secure.h"
#include "tt.h"
#include "wsl.h"
#include "base/membudget.h"
#include "tt/tunnel.h"

#define EGRESS_TIMEOUT_MAX_MS (86400 * 1000ULL)
#define EGRESS_MAX_CONNS_MAX 1000000
#define EGRESS_EVENTS_FLUSH 1.0 /* seconds to flush queued events at exit */

static const char usage_str[] =
	"usage: egress [-hqv] -l ENDPOINT[,trusted][,socks][,upstream=ENDPOINT] ...\n"
	"              [--allow RULE] ... [--deny RULE] ...\n"
	"              [--events ENDPOINT] [--max-conns N] [--connect-timeout SECONDS]\n"
	"              [--handshake-timeout SECONDS] [--idle-timeout SECONDS]\n"
	"              [--drain-timeout SECONDS] [--max-sessions N] [--upstream ENDPOINT]\n"
	"              [--deny-self | --no-deny-self] [--max-per-source N]\n"
	"              [--max-streams N] [--max-session-streams N] [--max-source-streams N]\n"
	"              [--max-source-sessions N] [--max-memory BYTES] [--admin ENDPOINT]\n"
	"              [--key FILE --users FILE] [--max-auth-failures N]\n"
	"       egress --genkey > FILE\n"
	"       egress --print-fingerprint --key FILE\n";

/* Long-only options: their values are not in the getopt string. */
static const struct option longopts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "allow", required_argument, NULL, 'A' },
	{ "deny", required_argument, NULL, 'D' },
	{ "events", required_argument, NULL, 'E' },
	{ "max-conns", required_argument, NULL, 'M' },
	{ "connect-timeout", required_argument, NULL, 'C' },
	{ "handshake-timeout", required_argument, NULL, 'H' },
	{ "idle-timeout", required_argument, NULL, 'I' },
	{ "drain-timeout", required_argument, NULL, 'T' },
	{ "max-sessions", required_argument, NULL, 'S' },
	{ "upstream", required_argument, NULL, 'U' },
	{ "deny-self", no_argument, NULL, 'Y' },
	{ "no-deny-self", no_argument, NULL, 'N' },
	{ "max-per-source", required_argument, NULL, 'P' },
	{ "max-streams", required_argument, NULL, 'R' },
	{ "max-session-streams", required_argument, NULL, 'r' },
	{ "max-source-streams", required_argument, NULL, 'O' },
	{ "max-source-sessions", required_argument, NULL, 'o' },
	{ "max-memory", required_argument, NULL, 'm' },
	{ "admin", required_argument, NULL, 'a' },
	{ "genkey", no_argument, NULL, 'G' },
	{ "print-fingerprint", no_argument, NULL, 'F' },
	{ "key", required_argument, NULL, 'K' },
	{ "users", required_argument, NULL, 'u' },
	{ "max-auth-failures", required_argument, NULL, 'f' },
	CLI_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static const int egress_signals[3] = { SIGTERM, SIGINT, SIGHUP };

struct egress_main {
	struct egress eg;
	struct endpoint ep[EGRESS_LISTEN_MAX];
	struct endpoint upstream;
	struct endpoint admin;
	const char *admin_spec;
	ev_signal sig[3];
	ev_timer drain;
	int hard_exit;
	int genkey, print_fingerprint;
};

static double
parse_seconds(const char *opt, const char *s, int zero_ok)
{
	return (double)cli_seconds_ms(opt, s, zero_ok ? 0 : 1, EGRESS_TIMEOUT_MAX_MS) / 1000.0;
}

static void
parse(struct egress_main *m, int argc, char **argv)
{
	struct egress *eg = &m->eg;
	int c;

	policy_init(&eg->policy);
	eg->max_conns = EGRESS_MAX_CONNS_DEFAULT;
	eg->max_per_source = EGRESS_MAX_PER_SOURCE_DEFAULT;
	eg->max_streams = EGRESS_MAX_STREAMS_DEFAULT;
	eg->max_session_streams = EGRESS_MAX_SESSION_STREAMS_DEFAULT;
	eg->max_source_streams = EGRESS_MAX_SOURCE_STREAMS_DEFAULT;
	eg->max_source_sessions = EGRESS_MAX_SOURCE_SESSIONS_DEFAULT;
	eg->max_memory = EGRESS_MAX_MEMORY_DEFAULT;
	eg->connect_timeout = EGRESS_CONNECT_TIMEOUT_DEFAULT;
	eg->handshake_timeout = EGRESS_HANDSHAKE_TIMEOUT_DEFAULT;
	eg->idle_timeout = EGRESS_IDLE_TIMEOUT_DEFAULT;
	eg->drain_timeout = EGRESS_DRAIN_TIMEOUT_DEFAULT;
	eg->max_auth_failures = EGRESS_MAX_AUTH_FAILURES_DEFAULT;
	while ((c = getopt_long(argc, argv, CLI_SHORTOPTS "l:", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			setup_listen_arg(eg, &m->ep[eg->nlisten], optarg);
			break;
		case 'A':
		case 'D':
			setup_rule_arg(eg, optarg, c == 'A');
			break;
		case 'E':
			eg->events_spec = optarg;
			break;
		case 'M':
			eg->max_conns = (size_t)cli_u64("--max-conns", optarg, 1, EGRESS_MAX_CONNS_MAX);
			break;
		case 'C':
			eg->connect_timeout = parse_seconds("--connect-timeout", optarg, 0);
			break;
		case 'H':
			eg->handshake_timeout = parse_seconds("--handshake-timeout", optarg, 0);
			break;
		case 'I':
			eg->idle_timeout = parse_seconds("--idle-timeout", optarg, 1);
			break;
		case 'T':
			eg->drain_timeout = parse_seconds("--drain-timeout", optarg, 1);
			break;
		case 'S':
			eg->max_sessions = (size_t)cli_u64("--max-sessions", optarg, 1, EGRESS_MAX_CONNS_MAX);
			break;
		case 'U': {
			char err[128];

			if (endpoint_parse(optarg, &m->upstream, err, sizeof(err)) == -1)
				cli_usage_error("--upstream %s: %s", optarg, err);
			if ((m->upstream.kind != EP_TCP && m->upstream.kind != EP_UNIX) ||
			    (m->upstream.kind == EP_TCP && m->upstream.port == 0))
				cli_usage_error("--upstream %s: want tcp:HOST:PORT or unix:PATH", optarg);
			eg->upstream = &m->upstream;
			break;
		}
		case 'Y':
		case 'N':
			eg->policy.deny_self = c == 'Y';
			break;
		case 'P':
			eg->max_per_source = (size_t)cli_u64("--max-per-source", optarg, 0,
			                                     EGRESS_MAX_CONNS_MAX);
			break;
		case 'R':
			eg->max_streams = (size_t)cli_u64("--max-streams", optarg, 1, EGRESS_MAX_CONNS_MAX);
			break;
		case 'r':
			eg->max_session_streams = (size_t)cli_u64("--max-session-streams", optarg, 1,
			                                          EGRESS_MAX_CONNS_MAX);
			break;
		case 'O':
			eg->max_source_streams = (size_t)cli_u64("--max-source-streams", optarg, 0,
			                                         EGRESS_MAX_CONNS_MAX);
			break;
		case 'o':
			eg->max_source_sessions = (size_t)cli_u64("--max-source-sessions", optarg, 0,
			                                          EGRESS_MAX_CONNS_MAX);
			break;
		case 'm':
			eg->max_memory = cli_u64("--max-memory", optarg, EGRESS_MAX_MEMORY_MIN,
			                         EGRESS_MAX_MEMORY_MAX);
			break;
		case 'a':
			setup_admin_arg(&m->admin, optarg);
			m->admin_spec = optarg;
			break;
		case 'G':
			m->genkey = 1;
			break;
		case 'F':
			m->print_fingerprint = 1;
			break;
		case 'K':
			eg->key_path = optarg;
			break;
		case 'u':
			eg->users_path = optarg;
			break;
		case 'f':
			eg->max_auth_failures = (size_t)cli_u64("--max-auth-failures", optarg, 0,
			                                        EGRESS_MAX_CONNS_MAX);
			break;
		default:
			cli_option(c);
		}
	}
	cli_no_operands(argc, argv);
}

static void
validate(const struct egress_main *m)
{
	if (m->genkey)
		secure_genkey();
	if (m->print_fingerprint) {
		if (m->eg.key_path == NULL)
			cli_usage_error("--print-fingerprint needs --key FILE");
		secure_print_fingerprint(m->eg.key_path);
	}
	if (m->eg.nlisten == 0)
		cli_usage_error("at least one -l is required");
	if ((m->eg.key_path == NULL) != (m->eg.users_path == NULL))
		cli_usage_error("--key and --users go together: secure sessions need both "
		                "(without them, sessions are served only with --upstream)");
}

static void
acquire(struct egress_main *m)
{
	struct egress *eg = &m->eg;
	struct dns_opts dns_o = {0};
	char err[256];

	setup_listeners(eg, m->ep);
	if (m->admin_spec != NULL)
		setup_admin(eg, &m->admin);
	if (limits_init(&eg->lim, eg->max_per_source, eg->max_conns) == -1 ||
	    limits_init(&eg->lim_streams, eg->max_source_streams, eg->max_streams) == -1 ||
	    limits_init(&eg->lim_sessions, eg->max_source_sessions,
	                eg->max_sessions ? eg->max_sessions : TT_SESSIONS_MAX_DEFAULT) == -1)
		fatalx(EX_PW_INTERNAL, "out of memory");
	/* A lookup is one connect timeout of the destination phase (dial.h). */
	dns_o.timeout = eg->connect_timeout;
	dns_o.max_inflight = eg->max_conns;
	if ((eg->resolver = dns_new(eg->loop, &dns_o, err, sizeof(err))) == NULL)
		fatalx(EX_PW_INTERNAL, "resolver: %s", err);
	selfaddr_start(eg->loop, &eg->policy);
	/* Sessions charge the process budget: new ones are refused before it is passed. */
	tunnel_global()->limit = (size_t)eg->max_memory;
	if (tt_init(eg) == -1)
		fatalx(EX_PW_INTERNAL, "out of memory");
	secure_acquire(eg);
	if (eg->events_spec != NULL &&
	    (eg->events = evsink_open(eg->loop, eg->events_spec, err, sizeof(err))) == NULL)
		fatalx(EX_PW_USAGE, "--events %s: %s", eg->events_spec, err);
}

static void
on_accept(struct listener *l, int fd, const struct sockaddr_storage *peer, socklen_t len)
{
	struct egress_listen *el = l->arg;

	if (el->ws)
		wsl_accept(el->eg, fd, peer, el);
	else
		conn_accept(el->eg, fd, peer, len, el);
}

static void
on_drain_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct egress_main *m = w->data;

	(void)loop;
	(void)revents;
	log_info("drain timeout: closing %zu connections", m->eg.nconns);
	conn_abort_all(&m->eg);
	tt_abort_all(&m->eg);
	wsl_abort_all(&m->eg);
}

static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct egress_main *m = w->data;
	struct egress *eg = &m->eg;
	size_t i;

	(void)revents;
	if (w->signum == SIGHUP) {
		if (eg->events)
			evsink_reopen(eg->events);
		secure_reload(eg);
		return;
	}
	if (eg->draining) {
		log_info("second signal: closing %zu connections now", eg->nconns);
		m->hard_exit = 1;
		conn_abort_all(eg);
		tt_abort_all(eg);
		wsl_abort_all(eg);
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	log_info("signal %d: draining %zu connections", w->signum, eg->nconns);
	eg->draining = 1;
	tt_drain(eg);
	for (i = 0; i < eg->nlisten; i++)
		listener_stop(&eg->listen[i].l);
	if (eg->nconns == 0) {
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	ev_timer_set(&m->drain, eg->drain_timeout, 0);
	ev_timer_start(loop, &m->drain);
}

static void
watchers(struct egress_main *m)
{
	struct egress *eg = &m->eg;
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < 3; i++) {
		ev_signal_init(&m->sig[i], on_signal, egress_signals[i]);
		m->sig[i].data = m;
		ev_signal_start(eg->loop, &m->sig[i]);
	}
	ev_init(&m->drain, on_drain_timeout);
	m->drain.data = m;
	for (i = 0; i < eg->nlisten; i++) {
		struct egress_listen *el = &eg->listen[i];

		listener_start(eg->loop, &el->l, el->l.fd, on_accept, el);
		net_print_ready(el->name);
		log_info("listening on %s%s", el->name, el->trusted ? " (trusted)" : "");
	}
	if (eg->has_admin) {
		admin_start(&eg->admin);
		net_print_ready(eg->admin.name);
		log_info("admin on %s", eg->admin.name);
	}
	secure_print_ready(eg);
}

static void
teardown(struct egress_main *m)
{
	struct egress *eg = &m->eg;
	size_t i;

	conn_abort_all(eg);
	wsl_abort_all(eg);
	tt_free(eg);
	if (eg->has_admin)
		admin_close(&eg->admin);
	limits_free(&eg->lim);
	limits_free(&eg->lim_streams);
	limits_free(&eg->lim_sessions);
	secure_free(eg);
	for (i = 0; i < eg->nlisten; i++) {
		listener_stop(&eg->listen[i].l);
		if (m->ep[i].kind == EP_UNIX)
			(void)unlink(m->ep[i].path);
	}
	ev_timer_stop(eg->loop, &m->drain);
	for (i = 0; i < 3; i++)
		ev_signal_stop(eg->loop, &m->sig[i]);
	evsink_close(eg->events, m->hard_exit ? 0 : EGRESS_EVENTS_FLUSH);
	dns_free(eg->resolver);
	ev_loop_destroy(eg->loop);
}

int
main(int argc, char **argv)
{
	static struct egress_main m;

	cli_init(argv, usage_str);
	/* As in socks-client: keep freed session buffers instead of refaulting them. */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	parse(&m, argc, argv);
	validate(&m);
	if ((m.eg.loop = ev_default_loop(EVFLAG_AUTO)) == NULL)
		fatalx(EX_PW_INTERNAL, "cannot initialise libev");
	acquire(&m);
	watchers(&m);
	ev_run(m.eg.loop, 0);
	teardown(&m);
	return EX_PW_OK;
}
