/* SPDX-License-Identifier: MIT */
/*
 * pclient: the clients peer-proxy relays (peer-proxy(8)). Each is one
 * WebRTC connection (common/rtc) answering the client's offer, and one
 * WebSocket to the relay (ws adapter, client role) whose URL carries
 * ?client_ip= (the client's address from its offer's candidates). Each
 * data-channel message is written to the WebSocket bridge's local
 * stream; what the relay sends comes back in binary messages of up to
 * CHUNK_MAX. One connection is gathered ahead (the spare) so a client's
 * offer is answered without waiting for ICE gathering.
 *
 * Bounds: a client's ICE, DTLS and channel within RTC_CONNECT_MS
 * (common/rtc), its WebSocket upgrade within WS_TIMEOUT, its life within
 * --client-time and its bytes (both ways) within --client-bytes; toward
 * the relay at most UP_MAX bytes wait per client (the channel is paused
 * above UP_HIGH, and SCTP's window holds the client back), toward the
 * client one message; the answer within BROKER_TIMEOUT.
 */
#include "pproxy.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "net/net.h"
#include "peerp.h"
#include "rtc/rtc.h"
#include "rtc/rtc_broker.h"
#include "ws/ws.h"

#define WS_TIMEOUT 10.0
#define CHUNK_MAX 65535 /* bytes per message: pion reads a message into 65535 bytes */
#define UP_HIGH 262144
#define UP_MAX (UP_HIGH + RTC_MAX_MSG_DEFAULT)
#define SPARE_MAX_AGE 20.0 /* seconds a connection gathered ahead is kept for the next client */

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

static struct peer *peers;

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
	ev_timer_start(pp.loop, &p->kill);
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
		ev_io_stop(pp.loop, &p->lr);
		ev_io_stop(pp.loop, &p->lw);
		close(p->lfd);
		p->lfd = -1;
	}
	hpost_cancel(p->ans);
	ev_timer_stop(pp.loop, &p->life);
	ev_timer_stop(pp.loop, &p->kill);
	if (p->prev)
		p->prev->next = p->next;
	else
		peers = p->next;
	if (p->next)
		p->next->prev = p->prev;
	free(p->up);
	free(p);
	pp.npeers--;
	poll_soon();
}

static void
local_want(struct peer *p)
{
	if (p->lfd < 0)
		return;
	if (!p->up_eof && p->down_len == 0 && p->open)
		ev_io_start(pp.loop, &p->lr);
	else
		ev_io_stop(pp.loop, &p->lr);
	if (p->up_len > 0)
		ev_io_start(pp.loop, &p->lw);
	else
		ev_io_stop(pp.loop, &p->lw);
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
	if ((p->ws = ws_new(pp.loop, fd, sv[1], &o, &ws_cbs, p)) == NULL) {
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
	pp.nserved++;
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
		ev_io_stop(pp.loop, &p->lr);
		ev_io_stop(pp.loop, &p->lw);
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
		j = json_pack("{s:s, s:s, s:s}", "Version", "1.3", "Sid", pp.sid, "Answer", ans);
	if (j != NULL)
		js = json_dumps(j, JSON_COMPACT);
	if (js != NULL)
		p->ans = hpost_start(pp.loop, &pp.broker_url, "/answer", js, strlen(js), BROKER_TIMEOUT,
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
	ro.id = pp.id;
	ev_timer_init(&p->life, on_life, (double)opt.client_ms / 1000.0, 0.);
	p->life.data = p;
	ev_timer_init(&p->kill, on_kill, 0., 0.);
	p->kill.data = p;
	if ((p->pc = rtc_new(pp.loop, &ro, &cb, err, errlen)) == NULL) {
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
void
spare_make(void)
{
	char err[160];

	if (spare != NULL && ev_time() - spare->t0 > SPARE_MAX_AGE)
		spare_drop();
	if (spare != NULL || pp.npeers >= opt.capacity)
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
		*ep = pp.relay_ep;
		return 0;
	}
	if (opt.pattern != NULL)
		snprintf(pat, sizeof(pat), "%s", opt.pattern);
	else
		snprintf(pat, sizeof(pat), "^%s$", pp.relay_ep.host);
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

void
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
	pp.npeers++;
	ev_timer_start(pp.loop, &p->life);
	if (rtc_set_remote(p->pc, sdp, strlen(sdp), err, sizeof(err)) < 0) {
		log_warnx("client offer: %s", err);
		free(sdp);
		peer_kill_now(p, "offer refused");
		return;
	}
	free(sdp);
	log_info("client %s: offer taken (%llu of %llu)", p->client_ip, (unsigned long long)pp.npeers,
	         (unsigned long long)opt.capacity);
}

void
peers_close_all(void)
{
	while (peers != NULL)
		peer_kill_now(peers, "shutting down");
	spare_drop();
}
