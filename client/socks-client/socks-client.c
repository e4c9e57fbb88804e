/* SPDX-License-Identifier: MIT */
/*
 * socks-client: a local SOCKS5 and HTTP CONNECT proxy whose connections
 * leave through carriers (DESIGN.md §4). This file is the table of
 * contents: options, listeners, signals, run. The work is in proxy.c
 * (per-connection state machine) and carrier.c (opening carriers).
 *
 * Shutdown: the first SIGTERM/SIGINT closes the listeners and lets open
 * connections finish, for at most --drain-timeout seconds; a second
 * signal closes them at once.
 */
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cli.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "carrier.h"
#include "cws.h"
#include "csecure.h"
#include "net/endpoint.h"
#include "net/net.h"
#include "proxy.h"

#define LISTEN_MAX 8
#define TIMEOUT_MAX_MS (24ULL * 3600 * 1000)

static const char usage_text[] =
    "usage: socks-client [-hqv] [-l ENDPOINT]... -C CARRIER [-C CARRIER]...\n"
    "                    [--per-connection | --optimistic] [--max-conns N]\n"
    "                    [--connect-timeout SECONDS] [--idle-timeout SECONDS]\n"
    "                    [--drain-timeout SECONDS]\n"
    "                    [--egress-fingerprint sha256:HEX]... [--credentials-file FILE]\n"
    "                    [--plaintext]\n";

enum {
	OPT_MAXCONNS = 256,
	OPT_CONNECT,
	OPT_IDLE,
	OPT_DRAIN,
	OPT_PERCONN,
	OPT_OPTIMISTIC,
	OPT_FINGERPRINT,
	OPT_CREDENTIALS,
	OPT_PLAINTEXT,
};
static const struct option longopts[] = {
	{ "max-conns", required_argument, NULL, OPT_MAXCONNS },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE },
	{ "drain-timeout", required_argument, NULL, OPT_DRAIN },
	{ "per-connection", no_argument, NULL, OPT_PERCONN },
	{ "optimistic", no_argument, NULL, OPT_OPTIMISTIC },
	{ "egress-fingerprint", required_argument, NULL, OPT_FINGERPRINT },
	{ "credentials-file", required_argument, NULL, OPT_CREDENTIALS },
	{ "plaintext", no_argument, NULL, OPT_PLAINTEXT },
	CLI_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

struct socks_main {
	struct proxy px;
	const char *listen[LISTEN_MAX];
	size_t nlisten;
	struct carrier carriers[CARRIER_MAX];
	size_t ncarriers;
	struct cws_live cws; /* the ws:// and wss:// carriers' live bridges */
	uint64_t max_conns;
	uint64_t connect_ms, idle_ms, drain_ms;
	int per_connection, optimistic, plaintext;
	uint8_t pin[32]; /* the latest --egress-fingerprint */
	int have_pin;
	const char *cred_path;
	struct csecure sec;
	struct listener listeners[LISTEN_MAX];
	struct endpoint listen_eps[LISTEN_MAX];
	size_t nlisteners;
	ev_signal sig_term, sig_int;
	ev_timer drain_timer;
	int draining;
};

static double
ms_to_s(uint64_t ms)
{
	return (double)ms / 1000.0;
}

static void
parse_carrier(struct socks_main *m, const char *s)
{
	char err[128];

	if (m->ncarriers == CARRIER_MAX)
		cli_usage_error("at most %d -C", CARRIER_MAX);
	if (carrier_parse(s, &m->carriers[m->ncarriers], err, sizeof(err)) == -1)
		cli_usage_error("-C %s: %s", s, err);
	csecure_pin_carrier(&m->carriers[m->ncarriers], m->pin, m->have_pin);
	m->carriers[m->ncarriers].live = &m->cws;
	m->ncarriers++;
}

static void
parse(struct socks_main *m, int argc, char **argv)
{
	int ch;

	m->max_conns = 1024;
	m->connect_ms = 30000;
	m->drain_ms = 10000;
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS "l:C:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			if (m->nlisten == LISTEN_MAX)
				cli_usage_error("at most %d -l", LISTEN_MAX);
			m->listen[m->nlisten++] = optarg;
			break;
		case 'C':
			parse_carrier(m, optarg);
			break;
		case OPT_MAXCONNS:
			m->max_conns = cli_u64("--max-conns", optarg, 1, 1000000);
			break;
		case OPT_CONNECT:
			m->connect_ms = cli_seconds_ms("--connect-timeout", optarg, 1, TIMEOUT_MAX_MS);
			break;
		case OPT_IDLE:
			m->idle_ms = cli_seconds_ms("--idle-timeout", optarg, 0, TIMEOUT_MAX_MS);
			break;
		case OPT_DRAIN:
			m->drain_ms = cli_seconds_ms("--drain-timeout", optarg, 0, TIMEOUT_MAX_MS);
			break;
		case OPT_PERCONN:
			m->per_connection = 1;
			break;
		case OPT_OPTIMISTIC:
			m->optimistic = 1;
			break;
		case OPT_FINGERPRINT:
			csecure_pin_arg(m->carriers, m->ncarriers, optarg, m->pin, &m->have_pin);
			break;
		case OPT_CREDENTIALS:
			m->cred_path = optarg;
			break;
		case OPT_PLAINTEXT:
			m->plaintext = 1;
			break;
		default:
			cli_option(ch);
		}
	}
	cli_no_operands(argc, argv);
}

static void
validate(struct socks_main *m)
{
	char err[128];
	size_t i;

	if (m->ncarriers == 0)
		cli_usage_error("at least one -C carrier is required");
	if (m->per_connection && m->optimistic)
		cli_usage_error("--optimistic needs session mode, not --per-connection");
	if (m->plaintext && (m->have_pin || m->cred_path != NULL))
		cli_usage_error("--plaintext sessions pin no key and present no credentials");
	if (m->nlisten == 0)
		m->listen[m->nlisten++] = "tcp:127.0.0.1:1080";
	for (i = 0; i < m->nlisten; i++) {
		struct endpoint *ep = &m->listen_eps[i];

		if (endpoint_parse(m->listen[i], ep, err, sizeof(err)) == -1)
			cli_usage_error("-l %s: %s", m->listen[i], err);
		if (ep->kind != EP_TCP && ep->kind != EP_UNIX)
			cli_usage_error("-l %s: only tcp: and unix: can listen", m->listen[i]);
	}
}

static void
on_idle(struct proxy *p)
{
	struct socks_main *m = (struct socks_main *)((char *)p - offsetof(struct socks_main, px));

	if (m->draining)
		ev_break(p->loop, EVBREAK_ALL);
}

/* The proxy and, in session mode, the one session its streams share. */
static void
acquire(struct socks_main *m, struct ev_loop *loop)
{
	struct proxy *px = &m->px;

	px->loop = loop;
	px->carriers = m->carriers;
	px->ncarriers = m->ncarriers;
	px->max_conns = (size_t)m->max_conns;
	px->handshake_timeout = 10.0;
	px->connect_timeout = ms_to_s(m->connect_ms);
	px->idle_timeout = ms_to_s(m->idle_ms);
	px->on_idle = on_idle;
	px->optimistic = m->optimistic;
	if (!m->per_connection) {
		static const struct csession_cb scb = {
			proxy_session_lost, proxy_session_stalled, proxy_stream_readable,
			proxy_stream_writable,
		};

		/* Secure unless asked: only an --upstream egress serves plaintext sessions. */
		if (!m->plaintext)
			csecure_acquire(&m->sec, m->carriers, m->ncarriers, m->cred_path);
		px->sess = csession_new(loop, m->carriers, m->ncarriers, m->plaintext ? NULL : &m->sec,
		                        &scb, px);
		if (px->sess == NULL)
			fatalx(EX_PW_INTERNAL, "out of memory");
	}
}

static void
on_accept(struct listener *l, int fd, const struct sockaddr_storage *peer, socklen_t len)
{
	struct socks_main *m = l->arg;

	(void)len;
	proxy_accept(&m->px, fd, peer);
}

static void
open_listeners(struct socks_main *m)
{
	char name[ENDPOINT_STR_MAX];
	size_t i;
	int fd;

	for (i = 0; i < m->nlisten; i++) {
		fd = net_listen(&m->listen_eps[i], 128);
		if (fd == -1)
			fatal(EX_PW_TEMP, "listen %s", m->listen[i]);
		if (net_listen_name(fd, &m->listen_eps[i], name, sizeof(name)) == -1)
			fatal(EX_PW_INTERNAL, "getsockname");
		listener_start(m->px.loop, &m->listeners[m->nlisteners++], fd, on_accept, m);
		net_print_ready(name);
	}
}

static void
on_drain_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct socks_main *m = w->data;

	(void)revents;
	log_warnx("drain timeout: closing %zu connections", m->px.nconns);
	proxy_abort_all(&m->px);
	ev_break(loop, EVBREAK_ALL);
}

/* First signal: stop accepting and drain. Second: stop now. */
static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct socks_main *m = w->data;
	size_t i;

	(void)revents;
	if (m->draining) {
		proxy_abort_all(&m->px);
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	m->draining = 1;
	log_info("signal %d: draining %zu connections", w->signum, m->px.nconns);
	for (i = 0; i < m->nlisteners; i++)
		listener_stop(&m->listeners[i]);
	if (m->px.nconns == 0) {
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	ev_timer_start(loop, &m->drain_timer);
}

static void
watchers(struct socks_main *m)
{
	struct ev_loop *loop = m->px.loop;

	signal(SIGPIPE, SIG_IGN);
	open_listeners(m);
	ev_signal_init(&m->sig_term, on_signal, SIGTERM);
	ev_signal_init(&m->sig_int, on_signal, SIGINT);
	m->sig_term.data = m->sig_int.data = m;
	ev_signal_start(loop, &m->sig_term);
	ev_signal_start(loop, &m->sig_int);
	ev_timer_init(&m->drain_timer, on_drain_timeout, ms_to_s(m->drain_ms), 0);
	m->drain_timer.data = m;
}

static void
teardown(struct socks_main *m)
{
	size_t i;

	proxy_abort_all(&m->px);
	csession_free(m->px.sess);
	cws_abort_all(&m->cws);
	for (i = 0; i < m->ncarriers; i++)
		carrier_free(&m->carriers[i]);
	csecure_free(&m->sec);
	for (i = 0; i < m->nlisteners; i++) {
		listener_stop(&m->listeners[i]);
		if (m->listen_eps[i].kind == EP_UNIX)
			(void)unlink(m->listen_eps[i].path);
	}
	ev_loop_destroy(m->px.loop);
}

int
main(int argc, char **argv)
{
	static struct socks_main m;
	struct ev_loop *loop;

	cli_init(argv, usage_text);
	/*
	 * Session buffers come and go by the 32 KiB frame; without this glibc
	 * hands the heap top back to the kernel and faults it in again on
	 * every window, which costs more than the copying.
	 */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	parse(&m, argc, argv);
	validate(&m);
	if ((loop = ev_default_loop(EVFLAG_AUTO)) == NULL)
		fatalx(EX_PW_INTERNAL, "cannot initialise the event loop");
	acquire(&m, loop);
	watchers(&m);
	ev_run(loop, 0);
	teardown(&m);
	return EX_PW_OK;
}
