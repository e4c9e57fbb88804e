/* SPDX-License-Identifier: MIT */
/*
 * peer-proxy: a volunteer, as snowflake-proxy is one. It polls a broker
 * with Snowflake's proxy wire (POST /proxy, protocol "1.3", one session id
 * kept for the life of the process), answers each client's offer (POST
 * /answer), and relays the client's data channel to the relay as a
 * WebSocket (ws adapter, client role) whose URL carries ?client_ip= (the
 * client's address from its offer's candidates), up to --capacity
 * clients at once. Message boundaries mean nothing on either side:
 * each data-channel message is written to the WebSocket bridge's local
 * stream, and what the relay sends comes back in binary messages.
 *
 * Bounds: at most --capacity clients (no poll while full); each poll
 * within BROKER_TIMEOUT; polls at most every --poll-interval. The
 * clients themselves, and their bounds, are pclient.c's.
 */
#include <ev.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "base/cli.h"
#include "base/exitcodes.h"
#include "base/hex.h"
#include "base/log.h"
#include "net/hpost.h"
#include "nss/nssc.h"
#include "pproxy.h"
#include "rtc/rtc_broker.h"
#include "rtc/rtc_nat.h"
#include "rtc/rtc_stun.h"

static const char usage[] =
	"usage: peer-proxy [-hqv] --broker URL --relay ws://HOST:PORT/ --stun stun:HOST:PORT ...\n"
	"       [--capacity N] [--client-bytes N] [--client-time S] [--poll-interval S]\n"
	"       [--loss-ms N] [--nat TYPE] [--nat-probe] [--gather-ms N] [--allowed-relay-pattern P]\n"
	"       [--broker-front NAME] [--broker-ca FILE]\n";

struct pproxy_opt opt = { .capacity = 10, .client_bytes = (uint64_t)1 << 30, .client_ms = 3600000, .poll_ms = 5000,
	  .loss_ms = 1000, .nat = "unknown", .gather_ms = 500 };
struct pproxy pp;

static struct hpost *poll_req;
static ev_timer poll_w;
static ev_signal sig_term, sig_int;
static int exit_status = EX_PW_OK;

static void poll_schedule(double after);

static void
on_polled(void *arg, int st, const char *body, size_t n, const char *err)
{
	json_t *j;
	const char *status, *offer, *rurl;
	double again = (double)opt.poll_ms / 1000.0;

	(void)arg;
	poll_req = NULL;
	if (st < 0) {
		log_warnx("broker /proxy: %s", err);
		poll_schedule(again < 1.0 ? 1.0 : again);
		return;
	}
	j = json_loadb(body, n, 0, NULL);
	status = json_string_value(json_object_get(j, "Status"));
	offer = json_string_value(json_object_get(j, "Offer"));
	rurl = json_string_value(json_object_get(j, "RelayURL"));
	if (st != 200 || status == NULL) {
		log_warnx("broker /proxy: status %d", st);
		again = again < 1.0 ? 1.0 : again;
	} else if (strcmp(status, "client match") == 0 && offer != NULL) {
		peer_new(offer, rurl);
		again = 0;
	} else {
		log_debug("broker: %s", status);
	}
	json_decref(j);
	poll_schedule(again);
}

static void
poll_now(void)
{
	char pat[ENDPOINT_HOST_MAX + 4], *js = NULL;
	json_t *j;

	if (pp.npeers >= opt.capacity || poll_req != NULL)
		return;
	spare_make();
	if (opt.pattern != NULL)
		snprintf(pat, sizeof(pat), "%s", opt.pattern);
	else
		snprintf(pat, sizeof(pat), "^%s$", pp.relay_ep.host);
	j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "Sid", pp.sid, "Version", "1.3", "Type",
	              "standalone", "NAT", opt.nat, "Clients", (json_int_t)pp.npeers,
	              "AcceptedRelayPattern", pat);
	if (j != NULL)
		js = json_dumps(j, JSON_COMPACT);
	if (js != NULL)
		poll_req = hpost_start(pp.loop, &pp.broker_url, "/proxy", js, strlen(js), BROKER_TIMEOUT,
		                       BROKER_BODY_MAX, on_polled, NULL);
	free(js);
	json_decref(j);
	if (poll_req == NULL) {
		log_warn("broker poll");
		poll_schedule(1.0);
	}
}

static void
on_poll_timer(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
	poll_now();
}

static void
poll_schedule(double after)
{
	ev_timer_stop(pp.loop, &poll_w);
	ev_timer_set(&poll_w, after, 0.);
	ev_timer_start(pp.loop, &poll_w);
}

void
poll_soon(void)
{
	if (poll_req == NULL && !ev_is_active(&poll_w))
		poll_schedule(0);
}

static void
on_signal(struct ev_loop *l, ev_signal *w, int revents)
{
	(void)revents;
	log_info("signal %d: closing %llu clients", w->signum, (unsigned long long)pp.npeers);
	ev_break(l, EVBREAK_ALL);
}

static void
parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "broker", required_argument, NULL, 'b' },
		{ "relay", required_argument, NULL, 'r' },
		{ "stun", required_argument, NULL, 's' },
		{ "capacity", required_argument, NULL, 'c' },
		{ "client-bytes", required_argument, NULL, 'B' },
		{ "client-time", required_argument, NULL, 'T' },
		{ "poll-interval", required_argument, NULL, 'P' },
		{ "loss-ms", required_argument, NULL, 'L' },
		{ "nat", required_argument, NULL, 'N' },
		{ "gather-ms", required_argument, NULL, 'G' },
		{ "allowed-relay-pattern", required_argument, NULL, 'A' },
		{ "nat-probe", no_argument, NULL, 'p' },
		{ "broker-front", required_argument, NULL, 'F' },
		{ "broker-ca", required_argument, NULL, 'C' },
		CLI_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	char err[160];
	int ch;

	cli_init(argv, usage);
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case 'b': opt.broker = optarg; break;
		case 'r': opt.relay = optarg; break;
		case 's':
			if (rtc_stun_add(&opt.stuns, optarg) == -1)
				cli_usage_error("--stun stun:HOST:PORT (at most %d)", RTC_STUN_MAX);
			break;
		case 'c': opt.capacity = cli_u64("--capacity", optarg, 1, 10000); break;
		case 'B': opt.client_bytes = cli_u64("--client-bytes", optarg, 1, UINT64_MAX / 2); break;
		case 'T': opt.client_ms = cli_seconds_ms("--client-time", optarg, 1000, 86400000); break;
		case 'P': opt.poll_ms = cli_seconds_ms("--poll-interval", optarg, 100, 3600000); break;
		case 'L': opt.loss_ms = cli_u64("--loss-ms", optarg, 200, 600000); break;
		case 'G': opt.gather_ms = cli_u64("--gather-ms", optarg, 0, 60000); break;
		case 'p': opt.nat_probe = 1; break;
		case 'F': opt.broker_front = optarg; break;
		case 'C': opt.broker_ca = optarg; break;
		case 'A':
			if (strlen(optarg) == 0 || strlen(optarg) > ENDPOINT_HOST_MAX)
				cli_usage_error("--allowed-relay-pattern: a host name or suffix");
			opt.pattern = optarg;
			break;
		case 'N':
			if (strcmp(optarg, "unknown") != 0 && strcmp(optarg, "restricted") != 0 &&
			    strcmp(optarg, "unrestricted") != 0)
				cli_usage_error("--nat: unknown, restricted or unrestricted");
			opt.nat = optarg;
			break;
		default: cli_option(ch);
		}
	}
	cli_no_operands(argc, argv);
	if (opt.broker == NULL || opt.relay == NULL || opt.stuns.n == 0)
		cli_usage_error("--broker, --relay and --stun are required");
	if (hpost_parse_url(opt.broker, opt.broker_front, &pp.broker_url, err, sizeof(err)) == -1)
		cli_usage_error("--broker: %s", err);
	if (opt.broker_ca != NULL && !pp.broker_url.https)
		cli_usage_error("--broker-ca: the broker is not https://");
	if (endpoint_parse(opt.relay, &pp.relay_ep, err, sizeof(err)) == -1 || pp.relay_ep.kind != EP_WS ||
	    pp.relay_ep.nopts > 0)
		cli_usage_error("--relay: a ws:// URL%s%s", err[0] ? ": " : "", err);
}

static struct rtc_nat *nat_probe;

static void
start_polling(void)
{
	log_info("polling %s as %s, relay %s, capacity %llu", opt.broker, pp.sid, opt.relay,
	         (unsigned long long)opt.capacity);
	poll_now();
}

/* The NAT probe ended: its type goes with every poll (an inconclusive one leaves --nat's). */
static void
on_nat(void *arg, const char *nat, const char *why)
{
	(void)arg;
	rtc_nat_free(nat_probe);
	nat_probe = NULL;
	if (strcmp(nat, "unknown") != 0)
		opt.nat = nat;
	log_info("NAT probe: %s%s%s", nat, why != NULL ? ": " : "", why != NULL ? why : "");
	start_polling();
}

/* The STUN servers' names resolved: probe the NAT if asked, then poll. */
static void
on_stun_ready(void *arg)
{
	struct rtc_stun *st;

	(void)arg;
	if ((st = rtc_stun_pick(&opt.stuns)) == NULL) {
		log_warnx("no STUN server resolved");
		exit_status = EX_PW_TEMP;
		ev_break(pp.loop, EVBREAK_ALL);
		return;
	}
	if (opt.nat_probe && (nat_probe = rtc_nat_probe(pp.loop, st->ip, st->port, on_nat, NULL)) != NULL)
		return;
	if (opt.nat_probe)
		log_warn("NAT probe");
	start_polling();
}

int
main(int argc, char **argv)
{
	char err[NSSC_ERR_MAX];
	uint8_t rnd[16];
	struct rusage ru;

	err[0] = '\0';
	parse_args(argc, argv);
	if (nssc_global_init(err, sizeof(err)) < 0 || (pp.id = nssc_id_new(err, sizeof(err))) == NULL)
		fatalx(EX_PW_INTERNAL, "%s", err);
	if (rtc_broker_tls(&pp.broker_url, opt.broker_ca, err, sizeof(err)) < 0)
		fatalx(EX_PW_USAGE, "--broker-ca: %s", err);
	if (getentropy(rnd, sizeof(rnd)) != 0)
		fatal(EX_PW_INTERNAL, "getentropy");
	hex_encode(pp.sid, rnd, sizeof(rnd));
	pp.loop = EV_DEFAULT;
	signal(SIGPIPE, SIG_IGN);
	ev_signal_init(&sig_term, on_signal, SIGTERM);
	ev_signal_start(pp.loop, &sig_term);
	ev_signal_init(&sig_int, on_signal, SIGINT);
	ev_signal_start(pp.loop, &sig_int);
	ev_timer_init(&poll_w, on_poll_timer, 0., 0.);
	if (rtc_stun_resolve(&opt.stuns, pp.loop, on_stun_ready, NULL, err, sizeof(err)) < 0)
		fatalx(EX_PW_INTERNAL, "STUN servers: %s", err);
	ev_run(pp.loop, 0);
	hpost_cancel(poll_req);
	peers_close_all();
	rtc_nat_free(nat_probe);
	rtc_stun_free(&opt.stuns);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		log_info("served %llu clients; peak RSS %ld KiB", (unsigned long long)pp.nserved, ru.ru_maxrss);
	nssc_id_free(pp.id);
	return exit_status;
}
