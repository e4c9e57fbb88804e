/* SPDX-License-Identifier: MIT */
/*
 * meek-server: the HTTP end of meek, behind Caddy or a CDN. Each meek
 * session (X-Session-Id) becomes a byte pipe to the -u endpoint; both
 * lantern-box meek-v1 and classic Tor meek clients are served. This file
 * is options, wiring and shutdown; connections live in meek_conn.c,
 * sessions in meek_session.c, the admin answers in meek_admin.c and the
 * pure request checks in meek_req.c.
 *
 * Shutdown: the first SIGTERM/SIGINT closes the listeners and idle
 * connections and lets requests in flight be answered, for at most
 * MEEKS_DRAIN_TIMEOUT seconds; a second signal stops at once. Either way
 * the sessions are closed and the exit status is 0.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/exitcodes.h"
#include "base/log.h"
#include "meeks.h"
#include "base/num.h"
#include "base/secret.h"

#define MEEKS_BACKLOG 1024

static const char usage_str[] =
	"usage: meek-server [-hqv] -l ENDPOINT -u ENDPOINT [--auth-token-file FILE] [--path PATH]\n"
	"                   [--max-body BYTES] [--holdoff MS] [--idle-timeout SECONDS]\n"
	"                   [--max-sessions N] [--max-conns N] [--read-timeout SECONDS]\n"
	"                   [--max-memory BYTES] [--session-rate N] [--session-burst N]\n"
	"                   [--max-sessions-per-addr N] [--proxy-protocol] [--trust-forwarded]\n"
	"                   [--trusted-hops N] [--trust-meek-ip] [--admin ENDPOINT]\n";

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
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct meeks_main {
	struct meeks m;
	const char *listen, *upstream, *admin, *token_file;
	ev_signal sigterm, sigint;
	ev_timer drain;
};

static void
usage(int status)
{
	fputs(usage_str, status == EX_PW_OK ? stdout : stderr);
	exit(status);
}

static uint64_t
parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (num_parse_u64(s, min, max, &v) == -1)
		fatalx(EX_PW_USAGE, "%s: want %llu..%llu, not '%s'", opt, (unsigned long long)min,
		       (unsigned long long)max, s);
	return v;
}

static double
parse_seconds(const char *opt, const char *s, uint64_t max_s)
{
	uint64_t ms;

	if (num_parse_seconds_ms(s, max_s * 1000, &ms) == -1 || ms == 0)
		fatalx(EX_PW_USAGE, "%s: bad number of seconds '%s'", opt, s);
	return (double)ms / 1000.0;
}

static void
parse(struct meeks_main *mm, int argc, char **argv)
{
	struct meeks *m = &mm->m;
	int c, level = LOG_LVL_WARN;

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
	strcpy(m->path, "/");
	while ((c = getopt_long(argc, argv, "hl:qu:v", longopts, NULL)) != -1) {
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
				fatalx(EX_PW_USAGE, "--path: want an absolute URL path, not '%s'", optarg);
			strcpy(m->path, optarg);
			break;
		case 'B':
			m->cfg.max_body = parse_u64("--max-body", optarg, 1024, MEEK_BODY_MAX);
			break;
		case 'H':
			m->holdoff = (double)parse_u64("--holdoff", optarg, 0, MEEKS_HOLDOFF_MAX_MS) / 1000.0;
			break;
		case 'I':
			m->idle_timeout = parse_seconds("--idle-timeout", optarg, MEEKS_IDLE_TIMEOUT_MAX_S);
			break;
		case 'R':
			m->read_timeout = parse_seconds("--read-timeout", optarg, 3600);
			break;
		case 'S':
			m->max_sessions = parse_u64("--max-sessions", optarg, 1, MEEKS_MAX_SESSIONS_MAX);
			break;
		case 'M':
			m->max_conns = parse_u64("--max-conns", optarg, 1, MEEKS_MAX_CONNS_MAX);
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
		case 'm':
			m->max_memory = parse_u64("--max-memory", optarg, MEEKS_MAX_MEMORY_MIN,
			                          MEEKS_MAX_MEMORY_MAX);
			break;
		case 'r':
			m->session_rate = (double)parse_u64("--session-rate", optarg, 1, 1000000);
			break;
		case 'b':
			m->session_burst = (double)parse_u64("--session-burst", optarg, 1, 1000000);
			break;
		case 'a':
			m->max_sessions_per_addr = parse_u64("--max-sessions-per-addr", optarg, 1,
			                                     MEEKS_MAX_SESSIONS_MAX);
			break;
		case 'T':
			m->cfg.trusted_hops = (unsigned)parse_u64("--trusted-hops", optarg, 1,
			                                          MEEKS_TRUSTED_HOPS_MAX);
			break;
		case 'i':
			m->cfg.trust_meek_ip = 1;
			break;
		case 'v':
			level = level < LOG_LVL_DEBUG ? level + 1 : level;
			break;
		case 'q':
			level = LOG_LVL_QUIET;
			break;
		case 'h':
			usage(EX_PW_OK);
			break;
		default:
			usage(EX_PW_USAGE);
		}
	}
	log_set_level(level);
	if (optind != argc)
		fatalx(EX_PW_USAGE, "unexpected argument '%s'", argv[optind]);
	if (mm->listen == NULL || mm->upstream == NULL)
		usage(EX_PW_USAGE);
}

static void
parse_endpoint(const char *opt, const char *s, struct endpoint *ep)
{
	char err[128];

	if (endpoint_parse(s, ep, err, sizeof(err)) == -1)
		fatalx(EX_PW_USAGE, "%s %s: %s", opt, s, err);
	if ((ep->kind != EP_TCP && ep->kind != EP_UNIX) || ep->nopts != 0)
		fatalx(EX_PW_USAGE, "%s %s: want tcp:HOST:PORT or unix:PATH", opt, s);
}

static int
is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return strcmp(host, "localhost") == 0;
}

static void
validate(struct meeks_main *mm)
{
	struct meeks *m = &mm->m;
	struct addrinfo hints, *res;
	char port[8], err[256];
	int e, n;

	parse_endpoint("-l", mm->listen, &m->listen_ep);
	parse_endpoint("-u", mm->upstream, &m->upstream_ep);
	if (m->upstream_ep.kind == EP_TCP) {
		if (m->upstream_ep.port == 0)
			fatalx(EX_PW_USAGE, "-u %s: port 0", mm->upstream);
		/* Once, here: a dial must never block the loop on a name lookup. */
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		snprintf(port, sizeof(port), "%u", m->upstream_ep.port);
		if ((e = getaddrinfo(m->upstream_ep.host, port, &hints, &res)) != 0)
			fatalx(EX_PW_TEMP, "-u %s: %s", mm->upstream, gai_strerror(e));
		memcpy(&m->upstream_sa, res->ai_addr, res->ai_addrlen);
		m->upstream_salen = res->ai_addrlen;
		freeaddrinfo(res);
	}
	if (mm->admin != NULL) {
		parse_endpoint("--admin", mm->admin, &m->admin_ep);
		if (m->admin_ep.kind == EP_TCP && !is_loopback(m->admin_ep.host))
			fatalx(EX_PW_USAGE, "--admin %s: only unix: or a loopback address", mm->admin);
		m->has_admin = 1;
	}
	m->cfg.path = m->path;
	if (mm->token_file != NULL) {
		n = secret_read_file(mm->token_file, m->token, sizeof(m->token), err, sizeof(err));
		if (n < 0)
			fatalx(EX_PW_USAGE, "--auth-token-file %s: %s", mm->token_file, err);
		m->cfg.token = m->token;
		m->cfg.token_len = (size_t)n;
	} else
		log_warnx("no --auth-token-file: this is an OPEN RELAY to %s for anyone who finds it",
		          mm->upstream);
}

static void
on_accept(struct listener *l, int fd, const struct sockaddr_storage *peer, socklen_t len)
{
	struct meeks *m = l->arg;

	mconn_accept(m, fd, peer, len, l == &m->admin);
}

static void
listen_on(struct meeks *m, struct listener *l, const struct endpoint *ep, char *name, size_t cap)
{
	int fd;

	if ((fd = net_listen(ep, MEEKS_BACKLOG)) == -1) {
		if (endpoint_format(ep, name, cap) == -1)
			name[0] = '\0';
		fatal(EX_PW_TEMP, "listen %s", name);
	}
	if (net_listen_name(fd, ep, name, cap) == -1)
		fatal(EX_PW_INTERNAL, "getsockname");
	l->fd = fd;
	(void)m;
}

/* Each session holds an upstream fd: take the hard limit, as servers do. */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
acquire(struct meeks_main *mm)
{
	struct meeks *m = &mm->m;

	raise_nofile();

	listen_on(m, &m->pub, &m->listen_ep, m->pub_name, sizeof(m->pub_name));
	if (m->has_admin)
		listen_on(m, &m->admin, &m->admin_ep, m->admin_name, sizeof(m->admin_name));
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

	log_init(argv[0], LOG_LVL_WARN);
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
