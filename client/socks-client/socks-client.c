/* SPDX-License-Identifier: MIT */
/*
 * socks-client: a local SOCKS5 and HTTP CONNECT proxy whose connections
 * leave through carriers (DESIGN.md §4). This file is the table of
 * contents: options, listeners, signals, run. The work is in proxy.c
 * (per-connection state machine) and carrier.c (opening carriers).
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "carrier.h"
#include "net/endpoint.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "net/net.h"
#include "base/num.h"
#include "proxy.h"

#define LISTEN_MAX 8
#define TIMEOUT_MAX_MS (24ULL * 3600 * 1000)

static const char usage_text[] =
    "usage: socks-client [-qv] [-l endpoint]... -C carrier [-C carrier]...\n"
    "                    [--per-connection | --optimistic] [--max-conns n]\n"
    "                    [--connect-timeout seconds] [--idle-timeout seconds]\n"
    "                    [--drain-timeout seconds]\n";

struct options {
	const char *listen[LISTEN_MAX];
	size_t nlisten;
	struct carrier carriers[CARRIER_MAX];
	size_t ncarriers;
	uint64_t max_conns;
	uint64_t connect_ms, idle_ms, drain_ms;
	int per_connection, optimistic;
	int verbosity;
};

static struct proxy px;
static struct listener listeners[LISTEN_MAX];
static struct endpoint listen_eps[LISTEN_MAX];
static size_t nlisteners;
static ev_signal sig_term, sig_int;
static ev_timer drain_timer;
static int draining;

static void
usage(int status)
{
	fputs(usage_text, status ? stderr : stdout);
	exit(status);
}

static double
ms_to_s(uint64_t ms)
{
	return (double)ms / 1000.0;
}

static void
parse_timeout(const char *name, const char *arg, uint64_t *ms)
{
	if (num_parse_seconds_ms(arg, TIMEOUT_MAX_MS, ms) == -1)
		fatalx(EX_PW_USAGE, "--%s: not a number of seconds: %s", name, arg);
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_MAXCONNS = 256, OPT_CONNECT, OPT_IDLE, OPT_DRAIN, OPT_PERCONN, OPT_OPTIMISTIC };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "max-conns", required_argument, NULL, OPT_MAXCONNS },
		{ "connect-timeout", required_argument, NULL, OPT_CONNECT },
		{ "idle-timeout", required_argument, NULL, OPT_IDLE },
		{ "drain-timeout", required_argument, NULL, OPT_DRAIN },
		{ "per-connection", no_argument, NULL, OPT_PERCONN },
		{ "optimistic", no_argument, NULL, OPT_OPTIMISTIC },
		{ NULL, 0, NULL, 0 },
	};
	char err[128];
	int ch;

	o->max_conns = 1024;
	o->connect_ms = 30000;
	o->drain_ms = 10000;
	o->verbosity = LOG_LVL_WARN;
	while ((ch = getopt_long(argc, argv, "hqvl:C:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(EX_PW_OK);
			break;
		case 'q':
			o->verbosity = LOG_LVL_QUIET;
			break;
		case 'v':
			o->verbosity++;
			break;
		case 'l':
			if (o->nlisten == LISTEN_MAX)
				fatalx(EX_PW_USAGE, "at most %d -l", LISTEN_MAX);
			o->listen[o->nlisten++] = optarg;
			break;
		case 'C':
			if (o->ncarriers == CARRIER_MAX)
				fatalx(EX_PW_USAGE, "at most %d -C", CARRIER_MAX);
			if (carrier_parse(optarg, &o->carriers[o->ncarriers], err, sizeof(err)) == -1)
				fatalx(EX_PW_USAGE, "-C %s: %s", optarg, err);
			o->ncarriers++;
			break;
		case OPT_MAXCONNS:
			if (num_parse_u64(optarg, 1, 1000000, &o->max_conns) == -1)
				fatalx(EX_PW_USAGE, "--max-conns: want 1..1000000: %s", optarg);
			break;
		case OPT_CONNECT:
			parse_timeout("connect-timeout", optarg, &o->connect_ms);
			break;
		case OPT_IDLE:
			parse_timeout("idle-timeout", optarg, &o->idle_ms);
			break;
		case OPT_DRAIN:
			parse_timeout("drain-timeout", optarg, &o->drain_ms);
			break;
		case OPT_PERCONN:
			o->per_connection = 1;
			break;
		case OPT_OPTIMISTIC:
			o->optimistic = 1;
			break;
		default:
			usage(EX_PW_USAGE);
		}
	}
	if (optind != argc) {
		log_warnx("unexpected argument: %s", argv[optind]);
		usage(EX_PW_USAGE);
	}
	if (o->ncarriers == 0) {
		log_warnx("at least one -C carrier is required");
		usage(EX_PW_USAGE);
	}
	if (o->per_connection && o->optimistic)
		fatalx(EX_PW_USAGE, "--optimistic needs session mode, not --per-connection");
	if (o->connect_ms == 0)
		fatalx(EX_PW_USAGE, "--connect-timeout must be positive");
	if (o->nlisten == 0)
		o->listen[o->nlisten++] = "tcp:127.0.0.1:1080";
}

static void
on_accept(struct listener *l, int fd, const struct sockaddr_storage *peer, socklen_t len)
{
	(void)l;
	(void)len;
	proxy_accept(&px, fd, peer);
}

static void
open_listeners(struct ev_loop *loop, const struct options *o)
{
	char err[128], name[ENDPOINT_STR_MAX];
	size_t i;
	int fd;

	for (i = 0; i < o->nlisten; i++) {
		struct endpoint *ep = &listen_eps[i];

		if (endpoint_parse(o->listen[i], ep, err, sizeof(err)) == -1)
			fatalx(EX_PW_USAGE, "-l %s: %s", o->listen[i], err);
		if (ep->kind != EP_TCP && ep->kind != EP_UNIX)
			fatalx(EX_PW_USAGE, "-l %s: only tcp: and unix: can listen", o->listen[i]);
		fd = net_listen(ep, 128);
		if (fd == -1)
			fatal(EX_PW_TEMP, "listen %s", o->listen[i]);
		if (net_listen_name(fd, ep, name, sizeof(name)) == -1)
			fatal(EX_PW_INTERNAL, "getsockname");
		listener_start(loop, &listeners[nlisteners++], fd, on_accept, NULL);
		net_print_ready(name);
	}
}

static void
on_idle(struct proxy *p)
{
	if (draining)
		ev_break(p->loop, EVBREAK_ALL);
}

static void
on_drain_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	log_warnx("drain timeout: closing %zu connections", px.nconns);
	proxy_abort_all(&px);
	ev_break(loop, EVBREAK_ALL);
}

/* First signal: stop accepting and drain. Second: stop now. */
static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	size_t i;

	(void)revents;
	if (draining) {
		proxy_abort_all(&px);
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	draining = 1;
	log_info("signal %d: draining %zu connections", w->signum, px.nconns);
	for (i = 0; i < nlisteners; i++)
		listener_stop(&listeners[i]);
	if (px.nconns == 0) {
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	ev_timer_start(loop, &drain_timer);
}

int
main(int argc, char **argv)
{
	static struct options o;
	struct ev_loop *loop;

	log_init(argv[0], LOG_LVL_WARN);
	/*
	 * Session buffers come and go by the 32 KiB frame; without this glibc
	 * hands the heap top back to the kernel and faults it in again on
	 * every window, which costs more than the copying.
	 */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	parse_options(argc, argv, &o);
	log_set_level(o.verbosity);
	signal(SIGPIPE, SIG_IGN);
	loop = ev_default_loop(EVFLAG_AUTO);
	if (loop == NULL)
		fatalx(EX_PW_INTERNAL, "cannot initialise the event loop");

	px.loop = loop;
	px.carriers = o.carriers;
	px.ncarriers = o.ncarriers;
	px.max_conns = (size_t)o.max_conns;
	px.handshake_timeout = 10.0;
	px.connect_timeout = ms_to_s(o.connect_ms);
	px.idle_timeout = ms_to_s(o.idle_ms);
	px.on_idle = on_idle;
	px.optimistic = o.optimistic;
	if (!o.per_connection) {
		static const struct csession_cb scb = {
			proxy_session_lost, proxy_session_stalled, proxy_stream_readable,
			proxy_stream_writable,
		};

		px.sess = csession_new(loop, o.carriers, o.ncarriers, &scb, &px);
		if (px.sess == NULL)
			fatalx(EX_PW_INTERNAL, "out of memory");
	}

	open_listeners(loop, &o);
	ev_signal_init(&sig_term, on_signal, SIGTERM);
	ev_signal_init(&sig_int, on_signal, SIGINT);
	ev_signal_start(loop, &sig_term);
	ev_signal_start(loop, &sig_int);
	ev_timer_init(&drain_timer, on_drain_timeout, ms_to_s(o.drain_ms), 0);

	ev_run(loop, 0);

	proxy_abort_all(&px);
	csession_free(px.sess);
	for (size_t i = 0; i < nlisteners; i++) {
		listener_stop(&listeners[i]);
		if (listen_eps[i].kind == EP_UNIX)
			(void)unlink(listen_eps[i].path);
	}
	ev_loop_destroy(loop);
	return EX_PW_OK;
}
