/* SPDX-License-Identifier: MIT */
/*
 * rendezvous: the broker that matches censored clients with volunteer
 * proxies, speaking Snowflake's broker wire (POST /client, /proxy,
 * /answer) over plain HTTP/1.1 behind Caddy. This file is options,
 * wiring and shutdown; connections live in rdv_conn.c, the wire in
 * rdv_sf.c, matchmaking in match.c, relay choice in relays.c, per-address
 * state in addrtab.c, metrics in rdv_admin.c.
 *
 * SIGTERM/SIGINT: held polls and waiting clients are dropped, the
 * listeners closed, and the exit status is 0.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/cli.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "rdv.h"

static const char usage_str[] =
	"usage: rendezvous [-hqv] -l ENDPOINT [-l ENDPOINT ...] [--relay URL ...]\n"
	"                  [--bridge-list FILE] [--admin ENDPOINT] [--client-timeout SECONDS]\n"
	"                  [--proxy-timeout SECONDS] [--client-wait SECONDS]\n"
	"                  [--read-timeout SECONDS] [--idle-timeout SECONDS] [--max-conns N]\n"
	"                  [--max-conns-per-addr N] [--max-proxies N] [--max-clients N]\n"
	"                  [--max-memory BYTES] [--poll-rate N] [--poll-burst N]\n"
	"                  [--trust-forwarded] [--redis ENDPOINT]\n";

static const struct option longopts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "relay", required_argument, NULL, 'R' },
	{ "bridge-list", required_argument, NULL, 'B' },
	{ "admin", required_argument, NULL, 'A' },
	{ "client-timeout", required_argument, NULL, 'c' },
	{ "proxy-timeout", required_argument, NULL, 'p' },
	{ "client-wait", required_argument, NULL, 'w' },
	{ "read-timeout", required_argument, NULL, 'r' },
	{ "idle-timeout", required_argument, NULL, 'i' },
	{ "max-conns", required_argument, NULL, 'M' },
	{ "max-conns-per-addr", required_argument, NULL, 'a' },
	{ "max-proxies", required_argument, NULL, 'P' },
	{ "max-clients", required_argument, NULL, 'C' },
	{ "max-memory", required_argument, NULL, 'm' },
	{ "poll-rate", required_argument, NULL, 'o' },
	{ "poll-burst", required_argument, NULL, 'b' },
	{ "trust-forwarded", no_argument, NULL, 'F' },
	{ "redis", required_argument, NULL, 'D' },
	CLI_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

struct rdv_main {
	struct rdv r;
	const char *listen[RDV_LISTEN_MAX];
	size_t nlisten;
	const char *admin, *bridges, *redis;
	struct endpoint redis_ep;
	ev_signal sigterm, sigint;
};

static double
seconds(const char *opt, const char *s, uint64_t min_ms, uint64_t max_s)
{
	return (double)cli_seconds_ms(opt, s, min_ms, max_s * 1000) / 1000.0;
}

static void
relay_arg(struct rdv *r, const char *url)
{
	char err[256];

	if (relays_add(&r->relays, url, err, sizeof(err)) == -1)
		cli_usage_error("--relay %s: %s", url, err);
}

static void
parse(struct rdv_main *mm, int argc, char **argv)
{
	struct rdv_cfg *cfg = &mm->r.cfg;
	int c;

	cfg->client_timeout = RDV_CLIENT_TIMEOUT;
	cfg->proxy_timeout = RDV_PROXY_TIMEOUT;
	cfg->read_timeout = RDV_READ_TIMEOUT;
	cfg->idle_timeout = RDV_IDLE_TIMEOUT;
	cfg->max_conns = RDV_CONNS_DEFAULT;
	cfg->max_per_addr = RDV_PER_ADDR_DEFAULT;
	cfg->max_proxies = RDV_PROXIES_DEFAULT;
	cfg->max_clients = RDV_CLIENTS_DEFAULT;
	cfg->max_memory = RDV_MEMORY_DEFAULT;
	cfg->poll_rate = RDV_POLL_RATE;
	cfg->poll_burst = RDV_POLL_BURST;
	while ((c = getopt_long(argc, argv, CLI_SHORTOPTS "l:", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (mm->nlisten == RDV_LISTEN_MAX)
				cli_usage_error("-l: at most %d listeners", RDV_LISTEN_MAX);
			mm->listen[mm->nlisten++] = optarg;
			break;
		case 'R':
			relay_arg(&mm->r, optarg);
			break;
		case 'B':
			mm->bridges = optarg;
			break;
		case 'A':
			mm->admin = optarg;
			break;
		case 'c':
			cfg->client_timeout = seconds("--client-timeout", optarg, 100, 600);
			break;
		case 'p':
			cfg->proxy_timeout = seconds("--proxy-timeout", optarg, 100, 600);
			break;
		case 'w':
			cfg->client_wait = seconds("--client-wait", optarg, 0, 600);
			break;
		case 'r':
			cfg->read_timeout = seconds("--read-timeout", optarg, 100, 3600);
			break;
		case 'i':
			cfg->idle_timeout = seconds("--idle-timeout", optarg, 100, 3600);
			break;
		case 'M':
			cfg->max_conns = cli_u64("--max-conns", optarg, 1, RDV_CONNS_MAX);
			break;
		case 'a':
			cfg->max_per_addr = cli_u64("--max-conns-per-addr", optarg, 1, RDV_CONNS_MAX);
			break;
		case 'P':
			cfg->max_proxies = cli_u64("--max-proxies", optarg, 1, RDV_CONNS_MAX);
			break;
		case 'C':
			cfg->max_clients = cli_u64("--max-clients", optarg, 1, RDV_CONNS_MAX);
			break;
		case 'm':
			cfg->max_memory = cli_u64("--max-memory", optarg, RDV_MEMORY_MIN, RDV_MEMORY_MAX);
			break;
		case 'o':
			cfg->poll_rate = (double)cli_u64("--poll-rate", optarg, 1, 1000000);
			break;
		case 'b':
			cfg->poll_burst = (double)cli_u64("--poll-burst", optarg, 1, 1000000);
			break;
		case 'F':
			cfg->trust_forwarded = 1;
			break;
		case 'D':
			mm->redis = optarg;
			break;
		default:
			cli_option(c);
		}
	}
	cli_no_operands(argc, argv);
}

static void
validate(struct rdv_main *mm)
{
	struct rdv *r = &mm->r;
	char err[320];
	size_t i;

	if (mm->nlisten == 0)
		cli_usage_error("-l is required");
	for (i = 0; i < mm->nlisten; i++) {
		if (endpoint_parse(mm->listen[i], &r->pub_ep[i], err, sizeof(err)) == -1)
			cli_usage_error("-l %s: %s", mm->listen[i], err);
		if ((r->pub_ep[i].kind != EP_TCP && r->pub_ep[i].kind != EP_UNIX) || r->pub_ep[i].nopts != 0)
			cli_usage_error("-l %s: want tcp:HOST:PORT or unix:PATH", mm->listen[i]);
	}
	r->npub = mm->nlisten;
	if (mm->bridges != NULL && relays_load_bridges(&r->relays, mm->bridges, err, sizeof(err)) == -1)
		fatalx(EX_PW_USAGE, "--bridge-list %s", err);
	if (r->relays.n == 0)
		cli_usage_error("no relay to hand out: give --relay or --bridge-list");
	if (mm->redis != NULL &&
	    (endpoint_parse(mm->redis, &mm->redis_ep, err, sizeof(err)) == -1 || mm->redis_ep.nopts > 0 ||
	     (mm->redis_ep.kind != EP_TCP && mm->redis_ep.kind != EP_UNIX) ||
	     (mm->redis_ep.kind == EP_TCP && mm->redis_ep.port == 0)))
		cli_usage_error("--redis %s: want tcp:HOST:PORT or unix:PATH", mm->redis);
	if (mm->admin != NULL) {
		struct endpoint ep;

		if (endpoint_parse(mm->admin, &ep, err, sizeof(err)) == -1 || ep.nopts > 0 ||
		    !admin_endpoint_ok(&ep))
			cli_usage_error("--admin %s: only unix:PATH or a loopback tcp:HOST:PORT", mm->admin);
	}
}

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
on_accept(struct listener *l, int fd, const struct sockaddr_storage *peer, socklen_t len)
{
	rconn_accept(l->arg, fd, peer, len);
}

static void
acquire(struct rdv_main *mm)
{
	struct rdv *r = &mm->r;
	size_t i;
	int fd;

	raise_nofile();
	membudget_init(&r->mem, r->cfg.max_memory, NULL);
	match_init(&r->match);
	match_init(&r->fmatch);
	if (addrtab_init(&r->addrs, RDV_ADDRS_MAX) == -1)
		fatalx(EX_PW_INTERNAL, "out of memory");
	for (i = 0; i < r->npub; i++) {
		if ((fd = net_listen(&r->pub_ep[i], 1024)) == -1)
			fatal(EX_PW_TEMP, "-l %s", mm->listen[i]);
		if (net_listen_name(fd, &r->pub_ep[i], r->pub_name[i], sizeof(r->pub_name[i])) == -1)
			fatal(EX_PW_INTERNAL, "-l %s: name", mm->listen[i]);
		r->pub[i].fd = fd;
	}
	if (mm->admin != NULL) {
		struct endpoint ep;
		char err[64];

		(void)endpoint_parse(mm->admin, &ep, err, sizeof(err));
		if (admin_open(&r->admin, r->loop, &ep, rdv_admin_body, r) == -1)
			fatal(EX_PW_TEMP, "--admin %s", mm->admin);
		r->has_admin = 1;
	}
	if (mm->redis != NULL)
		rdv_redis_open(r, &mm->redis_ep);
}

static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct rdv *r = w->data;

	(void)revents;
	log_info("signal %d: %zu connections, %zu proxies, %zu clients", w->signum, r->nconns,
	         r->nproxies, r->nclients);
	ev_break(loop, EVBREAK_ALL);
}

static void
watchers(struct rdv_main *mm)
{
	struct rdv *r = &mm->r;
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	ev_signal_init(&mm->sigterm, on_signal, SIGTERM);
	ev_signal_init(&mm->sigint, on_signal, SIGINT);
	mm->sigterm.data = mm->sigint.data = r;
	ev_signal_start(r->loop, &mm->sigterm);
	ev_signal_start(r->loop, &mm->sigint);
	for (i = 0; i < r->npub; i++) {
		listener_start(r->loop, &r->pub[i], r->pub[i].fd, on_accept, r);
		net_print_ready(r->pub_name[i]);
	}
	if (r->has_admin) {
		admin_start(&r->admin);
		net_print_ready(r->admin.name);
	}
	log_info("listening on %s, %zu relays, %zu bridges", r->pub_name[0], r->relays.n, r->relays.nb);
}

static void
teardown(struct rdv_main *mm)
{
	struct rdv *r = &mm->r;
	size_t i;

	rconn_close_all(r);
	rdv_redis_close(r);
	for (i = 0; i < r->npub; i++) {
		listener_stop(&r->pub[i]);
		if (r->pub_ep[i].kind == EP_UNIX)
			(void)unlink(r->pub_ep[i].path);
	}
	if (r->has_admin)
		admin_close(&r->admin);
	ev_signal_stop(r->loop, &mm->sigterm);
	ev_signal_stop(r->loop, &mm->sigint);
	addrtab_free(&r->addrs);
	relays_free(&r->relays);
	ev_loop_destroy(r->loop);
}

int
main(int argc, char **argv)
{
	static struct rdv_main mm;

	cli_init(argv, usage_str);
	parse(&mm, argc, argv);
	validate(&mm);
	if ((mm.r.loop = ev_default_loop(EVFLAG_AUTO)) == NULL)
		fatalx(EX_PW_INTERNAL, "cannot initialise libev");
	acquire(&mm);
	watchers(&mm);
	ev_run(mm.r.loop, 0);
	teardown(&mm);
	return EX_PW_OK;
}
