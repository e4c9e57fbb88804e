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
 * Bounds: at most --capacity clients (no poll while full); each poll and
 * each answer within BROKER_TIMEOUT; polls at most every --poll-interval;
 * a client's ICE, DTLS and channel within RTC_CONNECT_MS (common/rtc), its
 * WebSocket upgrade within WS_TIMEOUT, its life within --client-time and
 * its bytes (both ways) within --client-bytes; toward the relay at most
 * UP_MAX bytes wait per client (the channel is paused above UP_HIGH, and
 * SCTP's window holds the client back), toward the client one message.
 */
#include <errno.h>
#include <ev.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/cli.h"
#include "base/exitcodes.h"
#include "base/hex.h"
#include "base/log.h"
#include "net/hpost.h"
#include "net/net.h"
#include "nss/nssc.h"
#include "peerp.h"
#include "rtc/rtc.h"
#include "rtc/rtc_broker.h"
#include "rtc/rtc_nat.h"
#include "rtc/rtc_stun.h"
#include "ws/ws.h"

static const char usage[] =
	"usage: peer-proxy [-hqv] --broker URL --relay ws://HOST:PORT/ --stun stun:HOST:PORT ...\n"
	"       [--capacity N] [--client-bytes N] [--client-time S] [--poll-interval S]\n"
	"       [--loss-ms N] [--nat TYPE] [--nat-probe] [--gather-ms N] [--allowed-relay-pattern P]\n"
	"       [--broker-front NAME] [--broker-ca FILE]\n";

#define BROKER_BODY_MAX 100000
#define BROKER_TIMEOUT 30.0
#define WS_TIMEOUT 10.0
#define CHUNK_MAX 65535 /* bytes per message: pion reads a message into 65535 bytes */
#define UP_HIGH 262144
#define UP_MAX (UP_HIGH + RTC_MAX_MSG_DEFAULT)
#define SPARE_MAX_AGE 20.0 /* seconds a connection gathered ahead is kept for the next client */

static struct {
	const char *broker, *relay, *nat, *pattern, *broker_front, *broker_ca;
	struct rtc_stuns stuns;
	int nat_probe;
	uint64_t capacity, client_bytes, client_ms, poll_ms, loss_ms, gather_ms;
} opt = { .capacity = 10, .client_bytes = (uint64_t)1 << 30, .client_ms = 3600000, .poll_ms = 5000,
	  .loss_ms = 1000, .nat = "unknown", .gather_ms = 500 };

struct peer {
	struct peer *prev, *next;
	struct rtc *pc;
	struct ws *ws;
	struct hpost *ans;
	int lfd, up_eof, paused, killing, open, spare;
	ev_io lr, lw;
	ev_timer life, kill;
	uint8_t down[CHUNK_MAX];
	size_t down_len;
	uint8_t *up;
	size_t up_len, up_cap;
	uint64_t bytes;
	char client_ip[64];
	char relay[ENDPOINT_STR_MAX];
	struct endpoint relay_ep; /* --relay, or the broker's RelayURL when the pattern admits it */
	const char *why;
	ev_tstamp t0;
	struct rtc_stun *stun; /* the STUN server this connection gathered with */
};

static struct ev_loop *loop;
static struct endpoint relay_ep;
static struct hpost_url broker_url;
static struct nssc_id *id;
static struct hpost *poll_req;
static ev_timer poll_w;
static ev_signal sig_term, sig_int;
static struct peer *peers;
static uint64_t npeers, nserved;
static char sid[33];
static int exit_status = EX_PW_OK;

static void poll_schedule(double after);
static void spare_drop(void);
static void peer_maybe_free(struct peer *p);

static void
peer_kill_now(struct peer *p, const char *why)
{
	if (p->killing)
		return;
	p->killing = 1;
	log_info("client %s: %s", p->client_ip, why);
	hpost_cancel(p->ans);
	p->ans = NULL;
	if (p->pc != NULL)
		rtc_free(p->pc);
	p->pc = NULL;
	if (p->ws != NULL)
		ws_abort(p->ws, why); /* done clears p->ws */
	p->killing = 0;
	peer_maybe_free(p);
}

/* From inside a callback of rtc: end it from the loop instead. */
static void
peer_kill_later(struct peer *p, const char *why)
{
	p->why = why;
	ev_timer_start(loop, &p->kill);
}

static void
on_kill(struct ev_loop *l, ev_timer *w, int revents)
{
	struct peer *p = w->data;

	(void)l;
	(void)revents;
	peer_kill_now(p, p->why);
}

static void
on_life(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)revents;
	peer_kill_now(w->data, "time limit");
}

static void
peer_maybe_free(struct peer *p)
{
	if (p->killing || p->pc != NULL || p->ws != NULL)
		return;
	if (p->lfd >= 0) {
		ev_io_stop(loop, &p->lr);
		ev_io_stop(loop, &p->lw);
		close(p->lfd);
		p->lfd = -1;
	}
	hpost_cancel(p->ans);
	ev_timer_stop(loop, &p->life);
	ev_timer_stop(loop, &p->kill);
	if (p->prev)
		p->prev->next = p->next;
	else
		peers = p->next;
	if (p->next)
		p->next->prev = p->prev;
	free(p->up);
	free(p);
	npeers--;
	if (poll_req == NULL && !ev_is_active(&poll_w))
		poll_schedule(0);
}

static void
local_want(struct peer *p)
{
	if (p->lfd < 0)
		return;
	if (!p->up_eof && p->down_len == 0 && p->open)
		ev_io_start(loop, &p->lr);
	else
		ev_io_stop(loop, &p->lr);
	if (p->up_len > 0)
		ev_io_start(loop, &p->lw);
	else
		ev_io_stop(loop, &p->lw);
}

static int
count_bytes(struct peer *p, size_t n)
{
	p->bytes += n;
	if (p->bytes > opt.client_bytes) {
		peer_kill_later(p, "byte limit");
		return -1;
	}
	return 0;
}

/* Relay to client: read the bridge's stream into messages. */
static void
pump_down(struct peer *p)
{
	size_t max;
	ssize_t n;

	if (p->pc == NULL)
		return;
	max = rtc_max_send(p->pc);
	if (max > CHUNK_MAX)
		max = CHUNK_MAX;
	for (;;) {
		if (p->down_len == 0) {
			if (p->up_eof || p->lfd < 0)
				break;
			n = read(p->lfd, p->down, max);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n <= 0) {
				p->up_eof = 1; /* the relay is gone: deliver what is queued, then close */
				rtc_shutdown(p->pc);
				break;
			}
			if (count_bytes(p, (size_t)n) < 0)
				return;
			p->down_len = (size_t)n;
		}
		n = rtc_send(p->pc, p->down, p->down_len, 1);
		if (n == 0)
			break;
		if (n < 0) {
			peer_kill_later(p, "channel refused a message");
			return;
		}
		p->down_len = 0;
	}
	local_want(p);
}

static void
flush_up(struct peer *p)
{
	ssize_t n;

	while (p->up_len > 0 && p->lfd >= 0) {
		n = write(p->lfd, p->up, p->up_len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n < 0) {
			peer_kill_later(p, "relay stream closed");
			return;
		}
		memmove(p->up, p->up + n, p->up_len - (size_t)n);
		p->up_len -= (size_t)n;
	}
	if (p->paused && p->up_len < UP_HIGH / 2 && p->pc != NULL) {
		p->paused = 0;
		rtc_pause(p->pc, 0);
	}
	local_want(p);
}

static void
on_lr(struct ev_loop *l, ev_io *w, int revents)
{
	(void)l;
	(void)revents;
	pump_down(w->data);
}

static void
on_lw(struct ev_loop *l, ev_io *w, int revents)
{
	(void)l;
	(void)revents;
	flush_up(w->data);
}

static void
on_ws_open(void *arg)
{
	struct peer *p = arg;

	log_info("client %s: relay %s open", p->client_ip, p->relay);
}

static void
on_ws_done(void *arg, const char *why)
{
	struct peer *p = arg;

	log_info("client %s: relay closed: %s", p->client_ip, why);
	p->ws = NULL;
	peer_maybe_free(p);
}

static const struct ws_cb ws_cbs = { .open = on_ws_open, .done = on_ws_done };

/* The channel is open: dial the relay, bridge it to a socketpair end of ours. */
static int
relay_dial(struct peer *p)
{
	struct ws_opts o = { .role = WS_CLIENT, .handshake_timeout = WS_TIMEOUT, .connecting = 1 };
	char host[ENDPOINT_HOST_MAX + 16], path[ENDPOINT_PATH_MAX + 96];
	struct endpoint tcp = p->relay_ep;
	int fd, sv[2];

	tcp.kind = EP_TCP;
	tcp.nopts = 0;
	snprintf(host, sizeof(host), p->relay_ep.host_is_v6 ? "[%s]:%u" : "%s:%u", p->relay_ep.host,
	         (unsigned)p->relay_ep.port);
	if (p->client_ip[0] != '\0')
		snprintf(path, sizeof(path), "%s%sclient_ip=%s", p->relay_ep.path[0] ? p->relay_ep.path : "/",
		         strchr(p->relay_ep.path, '?') ? "&" : "?", p->client_ip);
	else
		snprintf(path, sizeof(path), "%s", p->relay_ep.path[0] ? p->relay_ep.path : "/");
	snprintf(p->relay, sizeof(p->relay), "ws://%s%s", host, path);
	if ((fd = net_connect(&tcp)) == -1)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == -1) {
		close(fd);
		return -1;
	}
	o.host = host;
	o.path = path;
	if ((p->ws = ws_new(loop, fd, sv[1], &o, &ws_cbs, p)) == NULL) {
		close(sv[0]);
		return -1;
	}
	p->lfd = sv[0];
	ev_io_init(&p->lr, on_lr, p->lfd, EV_READ);
	p->lr.data = p;
	ev_io_init(&p->lw, on_lw, p->lfd, EV_WRITE);
	p->lw.data = p;
	return 0;
}

static void
on_rtc_open(void *arg, const char *label)
{
	struct peer *p = arg;

	log_info("client %s: channel %s open: %s", p->client_ip, label, rtc_describe(p->pc));
	if (relay_dial(p) == -1) {
		log_warn("client %s: relay %s", p->client_ip, p->relay);
		peer_kill_later(p, "relay unreachable");
		return;
	}
	p->open = 1;
	nserved++;
	local_want(p);
}

static void
on_rtc_message(void *arg, const uint8_t *b, size_t n, int binary)
{
	struct peer *p = arg;
	size_t cap;
	uint8_t *nb;

	(void)binary;
	if (p->lfd < 0 || count_bytes(p, n) < 0)
		return;
	if (p->up_len + n > p->up_cap) {
		cap = p->up_cap ? p->up_cap : 65536;
		while (cap < p->up_len + n)
			cap *= 2;
		if (cap > UP_MAX || (nb = realloc(p->up, cap)) == NULL) {
			peer_kill_later(p, "client sent past the paused window");
			return;
		}
		p->up = nb;
		p->up_cap = cap;
	}
	memcpy(p->up + p->up_len, b, n);
	p->up_len += n;
	if (!p->paused && p->up_len >= UP_HIGH) {
		p->paused = 1;
		rtc_pause(p->pc, 1);
	}
	flush_up(p);
}

static void
on_rtc_writable(void *arg)
{
	pump_down(arg);
}

static void
on_rtc_closed(void *arg, const char *reason)
{
	struct peer *p = arg;

	if (p->spare) {
		log_warnx("gathering ahead: %s", reason);
		spare_drop();
		return;
	}
	log_info("client %s: channel closed: %s", p->client_ip, reason);
	log_info("client %s: SCTP %s", p->client_ip, rtc_sctp_describe(p->pc));
	rtc_free(p->pc);
	p->pc = NULL;
	if (p->lfd >= 0) {
		/* EOF toward the bridge: what it holds goes to the relay, then a Close */
		ev_io_stop(loop, &p->lr);
		ev_io_stop(loop, &p->lw);
		close(p->lfd);
		p->lfd = -1;
	}
	hpost_cancel(p->ans);
	p->ans = NULL;
	peer_maybe_free(p);
}

static void
on_answered(void *arg, int st, const char *body, size_t n, const char *err)
{
	struct peer *p = arg;
	json_t *j;
	const char *s;

	p->ans = NULL;
	if (st < 0) {
		log_warnx("broker /answer: %s", err);
		peer_kill_now(p, "answer not delivered");
		return;
	}
	j = json_loadb(body, n, 0, NULL);
	s = json_string_value(json_object_get(j, "Status"));
	if (st != 200 || s == NULL || strcmp(s, "success") != 0) {
		log_warnx("broker /answer: status %d %s", st, s != NULL ? s : "");
		json_decref(j);
		peer_kill_now(p, "client gone before our answer");
		return;
	}
	json_decref(j);
}

static void
on_local_sdp(void *arg, const char *sdp)
{
	struct peer *p = arg;
	char *ans = rtc_sdp_to_json("answer", sdp), *js = NULL;
	json_t *j = NULL;

	/* The STUN server did not answer in --gather-ms: the next connections try another. */
	if (p->stun != NULL && rtc_stun_silent(p->pc) && opt.stuns.n > 1) {
		log_warnx("STUN server %s did not answer: trying another next", p->stun->host);
		p->stun->failed = 1;
	}

	if (ans != NULL)
		j = json_pack("{s:s, s:s, s:s}", "Version", "1.3", "Sid", sid, "Answer", ans);
	if (j != NULL)
		js = json_dumps(j, JSON_COMPACT);
	if (js != NULL)
		p->ans = hpost_start(loop, &broker_url, "/answer", js, strlen(js), BROKER_TIMEOUT,
		                     BROKER_BODY_MAX, on_answered, p);
	if (p->ans == NULL)
		peer_kill_later(p, "cannot post the answer");
	else
		log_info("client %s: answer posted after %.0f ms", p->client_ip, (ev_time() - p->t0) * 1000.0);
	free(js);
	json_decref(j);
	free(ans);
}

static const struct rtc_cb rtc_cbs = { .local_sdp = on_local_sdp, .open = on_rtc_open,
	                                .message = on_rtc_message, .writable = on_rtc_writable,
	                                .closed = on_rtc_closed };

/*
 * A peer connection made and gathering before there is an offer for it:
 * what a client waits for after the broker matched us is then only the
 * answer's round trip, not our gathering (up to --gather-ms). Replaced
 * when older than SPARE_MAX_AGE (a NAT's mapping of its server-reflexive
 * candidate may not last much longer).
 */
static struct peer *spare;

static struct peer *
peer_alloc(char *err, size_t errlen)
{
	struct rtc_opts ro = { 0 };
	struct rtc_cb cb = rtc_cbs;
	struct rtc_stun *st = rtc_stun_pick(&opt.stuns);
	struct peer *p;

	if (st == NULL) {
		snprintf(err, errlen, "no STUN server resolved");
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->stun = st;
	p->lfd = -1;
	p->t0 = ev_time();
	cb.arg = p;
	ro.offerer = 0;
	ro.stun_ip = st->ip;
	ro.stun_port = st->port;
	ro.loss_ms = (unsigned)opt.loss_ms;
	ro.gather_ms = (unsigned)opt.gather_ms;
	ro.id = id;
	ev_timer_init(&p->life, on_life, (double)opt.client_ms / 1000.0, 0.);
	p->life.data = p;
	ev_timer_init(&p->kill, on_kill, 0., 0.);
	p->kill.data = p;
	if ((p->pc = rtc_new(loop, &ro, &cb, err, errlen)) == NULL) {
		free(p);
		return NULL;
	}
	if (rtc_start(p->pc) < 0) {
		snprintf(err, errlen, "ICE gathering");
		rtc_free(p->pc);
		free(p);
		return NULL;
	}
	return p;
}

static void
spare_drop(void)
{
	if (spare != NULL) {
		rtc_free(spare->pc);
		free(spare);
		spare = NULL;
	}
}

/* Gather ahead for the next client, when there is room for one. */
static void
spare_make(void)
{
	char err[160];

	if (spare != NULL && ev_time() - spare->t0 > SPARE_MAX_AGE)
		spare_drop();
	if (spare != NULL || npeers >= opt.capacity)
		return;
	if ((spare = peer_alloc(err, sizeof(err))) == NULL)
		log_warnx("gathering ahead: %s", err);
	else
		spare->spare = 1;
}

/*
 * The relay for a client: the broker's RelayURL when it names one (a
 * ws:// URL whose host the accepted pattern admits, as snowflake-proxy
 * checks it), --relay when it names none. -1: refused.
 */
static int
relay_for(const char *url, struct endpoint *ep)
{
	char err[160], pat[ENDPOINT_HOST_MAX + 4];

	if (url == NULL || url[0] == '\0') {
		*ep = relay_ep;
		return 0;
	}
	if (opt.pattern != NULL)
		snprintf(pat, sizeof(pat), "%s", opt.pattern);
	else
		snprintf(pat, sizeof(pat), "^%s$", relay_ep.host);
	err[0] = '\0';
	if (endpoint_parse(url, ep, err, sizeof(err)) == -1 || ep->kind != EP_WS || ep->nopts > 0) {
		log_warnx("broker's relay %.200s: not a ws:// URL%s%s", url, err[0] ? ": " : "", err);
		return -1;
	}
	if (!peerp_relay_allowed(pat, ep->host)) {
		log_warnx("broker's relay %.200s: host not admitted by %s", url, pat);
		return -1;
	}
	return 0;
}

static void
peer_new(const char *offer_json, const char *relay_url)
{
	char err[160], *sdp;
	struct endpoint rep;
	struct peer *p;

	if (relay_for(relay_url, &rep) == -1)
		return; /* the client's next poll finds another volunteer */
	if ((sdp = rtc_sdp_from_json(offer_json, strlen(offer_json), "offer")) == NULL) {
		log_warnx("broker: the client's offer is not SDP JSON");
		return;
	}
	if (spare != NULL && ev_time() - spare->t0 > SPARE_MAX_AGE)
		spare_drop();
	if (spare != NULL) {
		p = spare;
		spare = NULL;
		p->spare = 0;
		p->t0 = ev_time();
	} else if ((p = peer_alloc(err, sizeof(err))) == NULL) {
		log_warnx("client offer: %s", err);
		free(sdp);
		return;
	}
	peerp_client_ip((const uint8_t *)sdp, strlen(sdp), p->client_ip, sizeof(p->client_ip));
	p->relay_ep = rep;
	p->next = peers;
	if (peers)
		peers->prev = p;
	peers = p;
	npeers++;
	ev_timer_start(loop, &p->life);
	if (rtc_set_remote(p->pc, sdp, strlen(sdp), err, sizeof(err)) < 0) {
		log_warnx("client offer: %s", err);
		free(sdp);
		peer_kill_now(p, "offer refused");
		return;
	}
	free(sdp);
	log_info("client %s: offer taken (%llu of %llu)", p->client_ip, (unsigned long long)npeers,
	         (unsigned long long)opt.capacity);
}

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

	if (npeers >= opt.capacity || poll_req != NULL)
		return;
	spare_make();
	if (opt.pattern != NULL)
		snprintf(pat, sizeof(pat), "%s", opt.pattern);
	else
		snprintf(pat, sizeof(pat), "^%s$", relay_ep.host);
	j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "Sid", sid, "Version", "1.3", "Type",
	              "standalone", "NAT", opt.nat, "Clients", (json_int_t)npeers,
	              "AcceptedRelayPattern", pat);
	if (j != NULL)
		js = json_dumps(j, JSON_COMPACT);
	if (js != NULL)
		poll_req = hpost_start(loop, &broker_url, "/proxy", js, strlen(js), BROKER_TIMEOUT,
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
	ev_timer_stop(loop, &poll_w);
	ev_timer_set(&poll_w, after, 0.);
	ev_timer_start(loop, &poll_w);
}

static void
on_signal(struct ev_loop *l, ev_signal *w, int revents)
{
	(void)revents;
	log_info("signal %d: closing %llu clients", w->signum, (unsigned long long)npeers);
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
	if (hpost_parse_url(opt.broker, opt.broker_front, &broker_url, err, sizeof(err)) == -1)
		cli_usage_error("--broker: %s", err);
	if (opt.broker_ca != NULL && !broker_url.https)
		cli_usage_error("--broker-ca: the broker is not https://");
	if (endpoint_parse(opt.relay, &relay_ep, err, sizeof(err)) == -1 || relay_ep.kind != EP_WS ||
	    relay_ep.nopts > 0)
		cli_usage_error("--relay: a ws:// URL%s%s", err[0] ? ": " : "", err);
}

static struct rtc_nat *nat_probe;

static void
start_polling(void)
{
	log_info("polling %s as %s, relay %s, capacity %llu", opt.broker, sid, opt.relay,
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
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	if (opt.nat_probe && (nat_probe = rtc_nat_probe(loop, st->ip, st->port, on_nat, NULL)) != NULL)
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
	if (nssc_global_init(err, sizeof(err)) < 0 || (id = nssc_id_new(err, sizeof(err))) == NULL)
		fatalx(EX_PW_INTERNAL, "%s", err);
	if (rtc_broker_tls(&broker_url, opt.broker_ca, err, sizeof(err)) < 0)
		fatalx(EX_PW_USAGE, "--broker-ca: %s", err);
	if (getentropy(rnd, sizeof(rnd)) != 0)
		fatal(EX_PW_INTERNAL, "getentropy");
	hex_encode(sid, rnd, sizeof(rnd));
	loop = EV_DEFAULT;
	signal(SIGPIPE, SIG_IGN);
	ev_signal_init(&sig_term, on_signal, SIGTERM);
	ev_signal_start(loop, &sig_term);
	ev_signal_init(&sig_int, on_signal, SIGINT);
	ev_signal_start(loop, &sig_int);
	ev_timer_init(&poll_w, on_poll_timer, 0., 0.);
	if (rtc_stun_resolve(&opt.stuns, loop, on_stun_ready, NULL, err, sizeof(err)) < 0)
		fatalx(EX_PW_INTERNAL, "STUN servers: %s", err);
	ev_run(loop, 0);
	hpost_cancel(poll_req);
	while (peers != NULL)
		peer_kill_now(peers, "shutting down");
	spare_drop();
	rtc_nat_free(nat_probe);
	rtc_stun_free(&opt.stuns);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		log_info("served %llu clients; peak RSS %ld KiB", (unsigned long long)nserved, ru.ru_maxrss);
	nssc_id_free(id);
	return exit_status;
}
