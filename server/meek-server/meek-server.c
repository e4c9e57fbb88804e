/* SPDX-License-Identifier: MIT */
/*
 * meek-server: the HTTP end of meek, behind Caddy or a CDN. Each meek
 * session (X-Session-Id) becomes a byte pipe to the -u endpoint; both
 * lantern-box meek-v1 and classic Tor meek clients are served. This file
 * is options, wiring and shutdown; connections live in meek_conn.c,
 * sessions in meek_session.c, the admin answers and the status counters
 * in meek_admin.c, the pure request checks in meek_req.c and the start-up
 * steps (endpoints, token, listeners) in meek_setup.c.
 *
 * Shutdown: the first SIGTERM/SIGINT closes the listeners and idle
 * connections and lets requests in flight be answered, for at most
 * MEEKS_DRAIN_TIMEOUT seconds; a second signal stops at once. Either way
 * the sessions are closed and the exit status is 0.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cli.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "base/secret.h"
#include "meek_setup.h"
#include "meeks.h"

static const char usage_str[] =
	"usage: meek-server [-hqv] -l ENDPOINT -u ENDPOINT [--auth-token-file FILE] [--path PATH]\n"
	"                   [--max-body BYTES] [--holdoff MS] [--idle-timeout SECONDS]\n"
	"                   [--max-sessions N] [--max-conns N] [--read-timeout SECONDS]\n"
	"                   [--max-memory BYTES] [--session-rate N] [--session-burst N]\n"
	"                   [--max-sessions-per-addr N] [--proxy-protocol] [--trust-forwarded]\n"
	"                   [--trusted-hops N] [--trust-meek-ip] [--admin ENDPOINT]\n"
	"                   [--pipeline N] [--hold MS]\n";

static const struct option longopts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "upstream", required_argument, NULL, 'u' },
	{ "auth-token-file", required_argument, NULL, 'K' },
	{ "path", required_argument, NULL, 'P' },
	{ "max-body", required_argument, NULL, 'B' },
	{ "holdoff", required_argument, NULL, 'H' },
	{ "idle-timeout", required_argument, NULL, 'I' },
	{ "max-sessions", required_argument, NULL, 'S' },
	{ "max-conns", required_argument, NULL, 'M' },
	{ "read-timeout", required_argument, NULL, 'R' },
	{ "proxy-protocol", no_argument, NULL, 'X' },
	{ "trust-forwarded", no_argument, NULL, 'F' },
	{ "admin", required_argument, NULL, 'A' },
	{ "max-memory", required_argument, NULL, 'm' },
	{ "session-rate", required_argument, NULL, 'r' },
	{ "session-burst", required_argument, NULL, 'b' },
	{ "max-sessions-per-addr", required_argument, NULL, 'a' },
	{ "trusted-hops", required_argument, NULL, 'T' },
	{ "trust-meek-ip", no_argument, NULL, 'i' },
	{ "pipeline", required_argument, NULL, 'w' },
	{ "hold", required_argument, NULL, 'o' },
	CLI_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

struct meeks_main {
	struct meeks m;
	const char *listen, *upstream, *admin, *token_file;
	ev_signal sigterm, sigint;
	ev_timer drain;
};

static double
parse_seconds(const char *opt, const char *s, uint64_t max_s)
{
	return (double)cli_seconds_ms(opt, s, 1, max_s * 1000) / 1000.0;
}

static void
parse(struct meeks_main *mm, int argc, char **argv)
{
	struct meeks *m = &mm->m;
	int c;

	m->cfg.max_body = MEEK_BODY_DEFAULT;
	m->holdoff = MEEK_HOLDOFF_MS / 1000.0;
	m->idle_timeout = MEEK_IDLE_TIMEOUT_S;
	m->read_timeout = MEEKS_READ_TIMEOUT_DEFAULT;
	m->drain_timeout = MEEKS_DRAIN_TIMEOUT;
	m->max_sessions = MEEKS_MAX_SESSIONS_DEFAULT;
	m->max_conns = MEEKS_MAX_CONNS_DEFAULT;
	m->max_memory = MEEKS_MAX_MEMORY_DEFAULT;
	m->session_rate = MLIMIT_RATE_DEFAULT;
	m->session_burst = MLIMIT_BURST_DEFAULT;
	m->max_sessions_per_addr = MLIMIT_PER_ADDR_DEFAULT;
	m->cfg.trusted_hops = 1;
	m->pipe_window = MEEK_PIPE_WINDOW_DEFAULT;
	m->hold = MEEK_HOLD_DEFAULT_MS / 1000.0;
	snprintf(m->path, sizeof(m->path), "/");
	while ((c = getopt_long(argc, argv, CLI_SHORTOPTS "l:u:", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			mm->listen = optarg;
			break;
		case 'u':
			mm->upstream = optarg;
			break;
		case 'K':
			mm->token_file = optarg;
			break;
		case 'P':
			if (optarg[0] != '/' || strlen(optarg) > MEEK_PATH_MAX ||
			    strpbrk(optarg, "?# \t\r\n") != NULL)
				cli_usage_error("--path: want an absolute URL path, not '%s'", optarg);
			snprintf(m->path, sizeof(m->path), "%s", optarg);
			break;
		case 'B':
			m->cfg.max_body = cli_u64("--max-body", optarg, 1024, MEEK_BODY_MAX);
			break;
		case 'H':
			m->holdoff = (double)cli_u64("--holdoff", optarg, 0, MEEKS_HOLDOFF_MAX_MS) / 1000.0;
			break;
		case 'I':
			m->idle_timeout = parse_seconds("--idle-timeout", optarg, MEEKS_IDLE_TIMEOUT_MAX_S);
			break;
		case 'R':
			m->read_timeout = parse_seconds("--read-timeout", optarg, 3600);
			break;
		case 'S':
			m->max_sessions = cli_u64("--max-sessions", optarg, 1, MEEKS_MAX_SESSIONS_MAX);
			break;
		case 'M':
			m->max_conns = cli_u64("--max-conns", optarg, 1, MEEKS_MAX_CONNS_MAX);
			break;
		case 'X':
			m->proxy_protocol = 1;
			break;
		case 'F':
			m->cfg.trust_forwarded = 1;
			break;
		case 'A':
			mm->admin = optarg;
			break;
		case 'w':
			m->pipe_window = (unsigned)cli_u64("--pipeline", optarg, 0, MEEK_PIPE_WINDOW_MAX);
			break;
		case 'o':
			m->hold = (double)cli_u64("--hold", optarg, 0, MEEK_HOLD_MAX_MS) / 1000.0;
			break;
		case 'm':
			m->max_memory = cli_u64("--max-memory", optarg, MEEKS_MAX_MEMORY_MIN,
			                        MEEKS_MAX_MEMORY_MAX);
			break;
		case 'r':
			m->session_rate = (double)cli_u64("--session-rate", optarg, 1, 1000000);
			break;
		case 'b':
			m->session_burst = (double)cli_u64("--session-burst", optarg, 1, 1000000);
			break;
		case 'a':
			m->max_sessions_per_addr = cli_u64("--max-sessions-per-addr", optarg, 1,
			                                   MEEKS_MAX_SESSIONS_MAX);
			break;
		case 'T':
			m->cfg.trusted_hops = (unsigned)cli_u64("--trusted-hops", optarg, 1,
			                                        MEEKS_TRUSTED_HOPS_MAX);
			break;
		case 'i':
			m->cfg.trust_meek_ip = 1;
			break;
		default:
			cli_option(c);
		}
	}
	cli_no_operands(argc, argv);
}

static void
validate(struct meeks_main *mm)
{
	struct meeks *m = &mm->m;

	if (mm->listen == NULL || mm->upstream == NULL)
		cli_usage_error("-l and -u are required");
	msetup_endpoint("-l", mm->listen, &m->listen_ep);
	msetup_upstream(m, mm->upstream);
	if (mm->admin != NULL)
		msetup_admin(m, mm->admin);
	m->cfg.path = m->path;
	m->pipe_answer.window = m->pipe_window;
	m->pipe_answer.hold_ms = (unsigned)(m->hold * 1000 + 0.5);
	msetup_token(m, mm->token_file, mm->upstream);
}

static void
on_accept(struct listener *l, int fd, const struct sockaddr_storage *peer, socklen_t len)
{
	struct meeks *m = l->arg;

	mconn_accept(m, fd, peer, len, l == &m->admin);
}

static void
acquire(struct meeks_main *mm)
{
	struct meeks *m = &mm->m;

	msetup_raise_nofile();
	msetup_listen(&m->pub, &m->listen_ep, m->pub_name, sizeof(m->pub_name));
	if (m->has_admin)
		msetup_listen(&m->admin, &m->admin_ep, m->admin_name, sizeof(m->admin_name));
	if (msess_init(m) == -1)
		fatalx(EX_PW_INTERNAL, "out of memory");
}

static void
on_drain_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct meeks *m = w->data;

	(void)revents;
	log_info("drain timeout: closing %zu connections", m->nconns);
	ev_break(loop, EVBREAK_ALL);
}

static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct meeks_main *mm = w->data;
	struct meeks *m = &mm->m;

	(void)revents;
	if (m->draining) {
		log_info("second signal: stopping now");
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	log_info("signal %d: draining %zu connections, %zu sessions", w->signum, m->nconns,
	         m->nsessions);
	m->draining = 1;
	listener_stop(&m->pub);
	if (m->has_admin)
		listener_stop(&m->admin);
	mconn_drain(m);
	if (m->nconns == 0) {
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	ev_timer_set(&mm->drain, m->drain_timeout, 0);
	ev_timer_start(loop, &mm->drain);
}

static void
watchers(struct meeks_main *mm)
{
	struct meeks *m = &mm->m;

	signal(SIGPIPE, SIG_IGN);
	ev_signal_init(&mm->sigterm, on_signal, SIGTERM);
	ev_signal_init(&mm->sigint, on_signal, SIGINT);
	mm->sigterm.data = mm->sigint.data = mm;
	ev_signal_start(m->loop, &mm->sigterm);
	ev_signal_start(m->loop, &mm->sigint);
	ev_init(&mm->drain, on_drain_timeout);
	mm->drain.data = m;
	listener_start(m->loop, &m->pub, m->pub.fd, on_accept, m);
	net_print_ready(m->pub_name);
	log_info("listening on %s, upstream %s", m->pub_name, mm->upstream);
	if (m->has_admin) {
		listener_start(m->loop, &m->admin, m->admin.fd, on_accept, m);
		net_print_ready(m->admin_name);
		log_info("admin on %s", m->admin_name);
	}
}

static void
teardown(struct meeks_main *mm)
{
	struct meeks *m = &mm->m;

	mconn_abort_all(m);
	msess_free_all(m);
	listener_stop(&m->pub);
	if (m->listen_ep.kind == EP_UNIX)
		(void)unlink(m->listen_ep.path);
	if (m->has_admin) {
		listener_stop(&m->admin);
		if (m->admin_ep.kind == EP_UNIX)
			(void)unlink(m->admin_ep.path);
	}
	ev_timer_stop(m->loop, &mm->drain);
	ev_signal_stop(m->loop, &mm->sigterm);
	ev_signal_stop(m->loop, &mm->sigint);
	secret_wipe(m->token, sizeof(m->token));
	ev_loop_destroy(m->loop);
}

int
main(int argc, char **argv)
{
	static struct meeks_main mm;

	cli_init(argv, usage_str);
	parse(&mm, argc, argv);
	validate(&mm);
	if ((mm.m.loop = ev_default_loop(EVFLAG_AUTO)) == NULL)
		fatalx(EX_PW_INTERNAL, "cannot initialise libev");
	acquire(&mm);
	watchers(&mm);
	ev_run(mm.m.loop, 0);
	teardown(&mm);
	return EX_PW_OK;
}
