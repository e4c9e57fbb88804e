/* SPDX-License-Identifier: MIT */
/*
 * See lanc.h. One struct lanc per process (stdin/stdout are per
 * process). Legs are cur (carries the session), next (a rotation or a
 * replacement being set up) and old (released after the overlap). Read
 * interest on stdin and write interest on stdout come from state in
 * lanc_update only.
 */
#include "lanc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "base/exitcodes.h"
#include "base/log.h"
#include "base/stdio_carrier.h"
#include "net/net.h"
#include "nss/nssc.h"
#include "tt/carrier_io.h"
#include "tt/pktq.h"

struct lanc;

struct leg {
	struct lanc *l;
	unsigned no;
	struct turnpath *tp;
	struct call *call;
	struct nssc_id *id;
	int up, releasing;
	ev_timer overlap, watch;
	double last_out, last_in; /* ev_now of the last datagram each way (from ready) */
	double first_out;         /* the first datagram out since last_in */
	double probed_in;         /* last_in when the TURN server was last probed */
};

struct lanc {
	struct ev_loop *loop;
	struct lanc_cfg *cfg;
	struct stdio_carrier sc;
	struct carrier_codec k;
	struct pktq outq;
	ev_prepare flush; /* packets from calls reach stdout once a loop turn */
	uint8_t in[CARRIER_IO_BUF];
	size_t in_off, in_len;
	int in_eof;
	uint8_t pre[PREAMBLE_LEN];
	int have_pre;
	uint8_t pending[PKTQ_PKT_MAX];
	size_t pending_len;
	int has_pending;
	uint8_t last[PKTQ_PKT_MAX]; /* the last packet a call took: the poke of a new call */
	size_t last_len;
	struct leg *cur, *next, *old;
	unsigned legs;
	ev_timer rotate, retry, stop;
	int stopping, status, nonauth_fail;
	char why[TURNPATH_WHY_MAX];
	uint64_t refused, dropped_down, oversize;
};

static void lanc_update(struct lanc *l);
static void leg_start(struct lanc *l);

static uint64_t
rnd_between(uint64_t lo, uint64_t hi)
{
	uint64_t r = 0;

	if (hi <= lo)
		return lo;
	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (uint64_t)rand();
	return lo + r % (hi - lo + 1);
}

/* --- ending --------------------------------------------------------------- */

static void
leg_free(struct leg *g)
{
	if (g == NULL)
		return;
	ev_timer_stop(g->l->loop, &g->overlap);
	ev_timer_stop(g->l->loop, &g->watch);
	call_free(g->call);
	nssc_id_free(g->id);
	turnpath_free(g->tp);
	free(g);
}

static int
legs_left(const struct lanc *l)
{
	return l->cur != NULL || l->next != NULL || l->old != NULL;
}

static void
leg_detach(struct leg *g)
{
	struct lanc *l = g->l;

	if (l->cur == g)
		l->cur = NULL;
	if (l->next == g)
		l->next = NULL;
	if (l->old == g)
		l->old = NULL;
}

/* The call goes at once; the allocation is released (Refresh 0), then the leg is freed. */
static void
leg_release(struct leg *g)
{
	if (g->releasing)
		return;
	g->releasing = 1;
	ev_timer_stop(g->l->loop, &g->overlap);
	ev_timer_stop(g->l->loop, &g->watch);
	if (g->call != NULL) {
		struct call_stats st;

		call_stats(g->call, &st);
		log_info("call %u: %llu datagrams out (%llu bytes), %llu in (%llu bytes), %llu packets out, %llu in",
		    g->no, st.pkts_out, st.bytes_out, st.pkts_in, st.bytes_in, st.tt_out, st.tt_in);
		log_info("call %u: %llu consent checks sent, %llu answered", g->no, st.consent_out, st.consent_ok);
		if (st.pace_rate > 0)
			log_info("call %u: paced at %.0f bytes/s, %llu rate cuts, %llu waits, %llu reports in, "
			         "%llu out", g->no, st.pace_rate, st.pace_cuts, st.pace_waits, st.rr_in, st.rr_out);
		if (st.rtt_samples > 0)
			log_info("call %u: window closed %llu times for %.3f s in all, %u packets at most; "
			         "round trip min %.6f s, mean %.6f s", g->no, st.wnd_waits, st.wnd_closed,
			         st.wnd_top, st.rtt_min, st.rtt_sum / (double)st.rtt_samples);
	}
	call_free(g->call);
	g->call = NULL;
	turnpath_release(g->tp);
}

static void
lanc_stop(struct lanc *l, int status, const char *why)
{
	if (l->stopping)
		return;
	l->stopping = 1;
	l->status = status;
	snprintf(l->why, sizeof(l->why), "%s", why);
	ev_timer_stop(l->loop, &l->rotate);
	ev_timer_stop(l->loop, &l->retry);
	if (l->cur != NULL)
		leg_release(l->cur);
	if (l->next != NULL)
		leg_release(l->next);
	if (l->old != NULL)
		leg_release(l->old);
	if (!legs_left(l)) {
		ev_break(l->loop, EVBREAK_ALL);
		return;
	}
	ev_timer_set(&l->stop, (double)LANC_STOP_MS / 1000.0, 0);
	ev_timer_start(l->loop, &l->stop);
	lanc_update(l);
}

static void
stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	(void)w;
	log_debug("no answer to every Refresh 0 within %d ms", LANC_STOP_MS);
	ev_break(loop, EVBREAK_ALL);
}

/* --- stdout ---------------------------------------------------------------- */

static void
out_flush(struct lanc *l)
{
	ssize_t w;

	for (;;) {
		if (buf_len(&l->k.out) == 0 && carrier_codec_fill(&l->k, &l->outq) == 0 &&
		    buf_len(&l->k.out) == 0)
			return;
		w = write(l->sc.out_fd, buf_rptr(&l->k.out), buf_len(&l->k.out));
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (w <= 0) {
			lanc_stop(l, EX_PW_OK, "stdout closed");
			return;
		}
		buf_consume(&l->k.out, (size_t)w);
	}
}

/* --- stdin ------------------------------------------------------------------- */

/* Hand the pending packet to the current call: 1 done (or dropped), 0 refused. */
static int
pending_send(struct lanc *l)
{
	if (!l->has_pending)
		return 1;
	if (l->cur == NULL || !l->cur->up)
		return 0;
	if (call_write(l->cur->call, l->pending, l->pending_len) == -1) {
		if (errno == EAGAIN) {
			l->refused++;
			return 0;
		}
		l->oversize++; /* EMSGSIZE: cannot be carried; KCP's MTU keeps this from happening */
	} else {
		memcpy(l->last, l->pending, l->pending_len);
		l->last_len = l->pending_len;
	}
	l->has_pending = 0;
	return 1;
}

/* Parse what is buffered from stdin until it is used up or a packet waits. */
static void
in_process(struct lanc *l)
{
	const uint8_t *pkt;
	size_t used, len;
	int r;

	while (pending_send(l) && l->in_off < l->in_len && !l->stopping) {
		r = carrier_codec_read(&l->k, l->in + l->in_off, l->in_len - l->in_off, &used, &pkt, &len);
		l->in_off += used;
		if (r < 0) {
			lanc_stop(l, EX_PW_USAGE, r == CARRIER_EPREAMBLE ? "stdin: not a Turbo Tunnel preamble" :
			    "stdin: bad encapsulation");
			return;
		}
		if (r == CARRIER_PREAMBLE) {
			preamble_encode_kind(carrier_codec_id(&l->k), l->k.secure, l->pre);
			l->have_pre = 1;
			if (l->cur != NULL && l->cur->call != NULL)
				(void)call_set_preamble(l->cur->call, l->pre, sizeof(l->pre));
			if (l->next != NULL && l->next->call != NULL)
				(void)call_set_preamble(l->next->call, l->pre, sizeof(l->pre));
		} else if (r == CARRIER_PKT) {
			memcpy(l->pending, pkt, len);
			l->pending_len = len;
			l->has_pending = 1;
		}
	}
	if (l->in_off == l->in_len)
		l->in_off = l->in_len = 0;
	if (l->in_eof && l->in_len == 0 && !l->has_pending)
		lanc_stop(l, EX_PW_OK, "stdin closed");
}

static void
on_readable(void *arg)
{
	struct lanc *l = arg;
	ssize_t r;

	r = read(l->sc.in_fd, l->in, sizeof(l->in));
	if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (r <= 0) {
		l->in_eof = 1;
		if (r == -1)
			log_warn("stdin");
	} else {
		l->in_off = 0;
		l->in_len = (size_t)r;
	}
	in_process(l);
	lanc_update(l);
}

static void
on_writable(void *arg)
{
	struct lanc *l = arg;

	out_flush(l);
	lanc_update(l);
}

static void
on_gone(void *arg)
{
	lanc_stop(arg, EX_PW_OK, "stdout closed");
}

static void
on_signal(void *arg, int signum)
{
	(void)signum;
	lanc_stop(arg, EX_PW_OK, "signal");
}

static void
lanc_update(struct lanc *l)
{
	/* Read while nothing waits: a packet read with no call up waits as the pending one. */
	int rd = !l->stopping && !l->in_eof && !l->has_pending && l->in_len == 0;
	int wr = buf_len(&l->k.out) > 0 || pktq_len(&l->outq) > 0;

	if (l->stopping)
		wr = 0;
	stdio_carrier_want(&l->sc, rd, wr);
}

/* --- legs: the call half --------------------------------------------------- */

static void
c_send(void *arg, const uint8_t *d, size_t n)
{
	struct leg *g = arg;

	/* RTCP (RFC 5761: PT 192-223) expects no answer: a sender report of an idle call is not a question. */
	if (!(n >= 2 && d[0] >= 128 && d[0] <= 191 && d[1] >= 192 && d[1] <= 223)) {
		if (g->last_out <= g->last_in)
			g->first_out = ev_now(g->l->loop);
		g->last_out = ev_now(g->l->loop);
	}
	(void)turnpath_send(g->tp, d, n);
}

/*
 * Queued for stdout, written before the loop sleeps: the packets of all
 * the datagrams a turn read go in one write, not one each (a syscall and
 * a wakeup of the reader per packet was a third of our CPU in a bulk
 * download).
 */
static void
c_packet(void *arg, const uint8_t *p, size_t n)
{
	struct leg *g = arg;
	struct lanc *l = g->l;

	if (pktq_push(&l->outq, p, n) == -1)
		l->dropped_down++;
	if (!ev_is_active(&l->flush))
		ev_prepare_start(l->loop, &l->flush);
}

static void
flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct lanc *l = w->data;

	(void)revents;
	ev_prepare_stop(loop, w);
	out_flush(l);
	lanc_update(l);
}

static void
c_writable(void *arg)
{
	struct leg *g = arg;
	struct lanc *l = g->l;

	if (g != l->cur)
		return;
	in_process(l);
	lanc_update(l);
}

static void
overlap_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct leg *g = w->data;

	(void)loop;
	(void)revents;
	leg_release(g);
}

static void
schedule_rotation(struct lanc *l)
{
	uint64_t ms = rnd_between(l->cfg->dur_min_ms, l->cfg->dur_max_ms);

	ev_timer_stop(l->loop, &l->rotate);
	ev_timer_set(&l->rotate, (double)ms / 1000.0, 0);
	ev_timer_start(l->loop, &l->rotate);
	log_debug("next call in %.1f s", (double)ms / 1000.0);
}

static void
c_up(void *arg)
{
	struct leg *g = arg;
	struct lanc *l = g->l;
	struct turnpath_stats st;

	g->up = 1;
	turnpath_success(g->tp);
	turnpath_stats(g->tp, &st);
	log_info("call %u up through %s%s", g->no, turnpath_name(g->tp), st.fell_back ? " (UDP fell back)" : "");
	if (g == l->next) {
		if (l->old != NULL)
			leg_release(l->old);
		l->old = l->cur;
		l->cur = g;
		l->next = NULL;
		if (l->old != NULL) {
			ev_timer_set(&l->old->overlap, (double)LANC_OVERLAP_MS / 1000.0, 0);
			ev_timer_start(l->loop, &l->old->overlap);
		}
	}
	if (g == l->cur) {
		schedule_rotation(l);
		/*
		 * A replacement call: the egress moves the session's downstream
		 * to a carrier only once a packet on it passed the session's
		 * checks, and during a download the session may have nothing to
		 * send for a while. The last packet sent, again, is that proof
		 * (KCP takes a duplicate as one).
		 */
		if (l->last_len > 0 && !l->has_pending)
			(void)call_write(g->call, l->last, l->last_len);
	}
	in_process(l);
	lanc_update(l);
}

/* A leg is gone: replace it, or give up when no endpoint is healthy. */
static void
leg_lost(struct leg *g, const char *why, int auth)
{
	struct lanc *l = g->l;
	int was_cur = g == l->cur, was_next = g == l->next;

	if (!auth)
		l->nonauth_fail = 1;
	log_warnx("call %u: %s", g->no, why);
	snprintf(l->why, sizeof(l->why), "%s", why);
	leg_detach(g);
	leg_free(g);
	if (l->stopping) {
		if (!legs_left(l))
			ev_break(l->loop, EVBREAK_ALL);
		return;
	}
	if (was_next && l->cur != NULL) {
		ev_timer_set(&l->rotate, (double)LANC_ROTATE_RETRY_MS / 1000.0, 0);
		ev_timer_start(l->loop, &l->rotate);
		return;
	}
	if ((was_cur || was_next) && l->next == NULL && l->cur == NULL) {
		ev_timer_stop(l->loop, &l->rotate);
		ev_timer_set(&l->retry, (double)LANC_RETRY_MS / 1000.0, 0);
		ev_timer_start(l->loop, &l->retry);
	}
	lanc_update(l);
}

static void
c_failed(void *arg, const char *why)
{
	struct leg *g = arg;
	char msg[TURNPATH_WHY_MAX];

	snprintf(msg, sizeof(msg), "call through %s: %s", turnpath_name(g->tp), why);
	if (g->up && g == g->l->cur) {
		struct lanc *l = g->l;

		/* The far end ended a call that worked: the carrier ends, socks-client decides. */
		l->nonauth_fail = 1;
		leg_detach(g);
		leg_free(g);
		lanc_stop(l, EX_PW_TEMP, msg);
		return;
	}
	if (!g->up)
		turnpath_blame(g->tp);
	leg_lost(g, msg, 0);
}

/* Consent checks unanswered and the call silent: its TURN server (or the path) is gone. */
static void
c_silent(void *arg, const char *why)
{
	struct leg *g = arg;
	char msg[TURNPATH_WHY_MAX];

	struct turnpath_stats st;

	if (g->releasing)
		return;
	turnpath_stats(g->tp, &st);
	if (st.probes_answered > 0 && st.answered >= g->last_in) {
		/* The TURN server answered since the peer went quiet: the peer is gone, not it. */
		snprintf(msg, sizeof(msg), "call through %s: %s (the TURN server answers)", turnpath_name(g->tp),
		    why);
	} else {
		snprintf(msg, sizeof(msg), "call through %s: %s", turnpath_name(g->tp), why);
		turnpath_blame(g->tp);
	}
	leg_lost(g, msg, 0);
}

static const struct call_cbs call_cbs = { c_send, NULL, c_packet, c_writable, c_up, c_failed, c_silent };

/* --- legs: the TURN half ----------------------------------------------------- */

static void
t_ready(void *arg, const struct sockaddr *relayed, socklen_t rlen)
{
	struct leg *g = arg;
	struct lanc *l = g->l;
	struct call_cfg cc;
	char err[CALL_ERR_MAX], a[NET_ADDRSTR_MAX];

	net_addr_format(relayed, a, sizeof(a));
	(void)rlen;
	g->last_in = g->last_out = ev_now(l->loop);
	ev_timer_start(l->loop, &g->watch);
	log_debug("call %u: relayed address %s", g->no, a);
	if ((g->id = nssc_id_new(err, sizeof(err))) == NULL) {
		leg_lost(g, err, 0);
		return;
	}
	memset(&cc, 0, sizeof(cc));
	cc.role = CALL_CLIENT;
	cc.profile = l->cfg->profile;
	cc.id = g->id;
	cc.pin = l->cfg->pin;
	cc.dtx = l->cfg->dtx;
	cc.camera = l->cfg->camera;
	if ((g->call = call_new(l->loop, &cc, &call_cbs, g, err, sizeof(err))) == NULL) {
		leg_lost(g, err, 0);
		return;
	}
	if (l->have_pre)
		(void)call_set_preamble(g->call, l->pre, sizeof(l->pre));
	if (call_start(g->call) == -1)
		leg_lost(g, "call did not start", 0);
}

/*
 * Sent, the peer owes an answer, nothing heard for LANC_QUIET_MS since: is the
 * TURN server still there? Once per silence: a browser sends no Binding
 * request to its TURN server in a call, so an idle call must never send one
 * (529) and a silent one only one (turnpath retransmits it).
 */
static void
watch_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct leg *g = w->data;
	double now = ev_now(loop);

	(void)revents;
	if (g->releasing || g->last_out <= g->last_in || now - g->first_out < LANC_QUIET_MS / 1000.0 ||
	    g->probed_in == g->last_in || (g->call != NULL && !call_owed(g->call)))
		return;
	g->probed_in = g->last_in;
	turnpath_probe(g->tp);
}

static void
t_data(void *arg, const uint8_t *p, size_t n)
{
	struct leg *g = arg;

	g->last_in = ev_now(g->l->loop);
	if (g->call != NULL)
		call_input(g->call, p, n);
}

static void
t_failed(void *arg, const char *why, int auth)
{
	leg_lost(arg, why, auth);
}

static void
t_released(void *arg)
{
	struct leg *g = arg;
	struct lanc *l = g->l;
	struct turnpath_stats st;

	turnpath_stats(g->tp, &st);
	log_info("call %u released (%s: refreshes %llu, permission %llu, channel %llu)", g->no,
	    turnpath_name(g->tp), (unsigned long long)st.turn.refreshes,
	    (unsigned long long)st.turn.perm_refreshes, (unsigned long long)st.turn.chan_refreshes);
	leg_detach(g);
	leg_free(g);
	if (l->stopping && !legs_left(l))
		ev_break(l->loop, EVBREAK_ALL);
}

static const struct turnpath_cbs turn_cbs = { t_ready, t_data, t_failed, t_released };

static void
leg_start(struct lanc *l)
{
	struct leg *g = calloc(1, sizeof(*g));
	char err[TURNPATH_WHY_MAX];

	if (g == NULL) {
		lanc_stop(l, EX_PW_INTERNAL, "out of memory");
		return;
	}
	g->l = l;
	g->no = ++l->legs;
	ev_init(&g->overlap, overlap_cb);
	g->overlap.data = g;
	ev_timer_init(&g->watch, watch_cb, LANC_WATCH_MS / 1000.0, LANC_WATCH_MS / 1000.0);
	g->watch.data = g;
	for (;;) {
		g->tp = turnpath_new(&l->cfg->fleet, (struct sockaddr *)&l->cfg->peer, l->cfg->plen, &turn_cbs,
		    g, err, sizeof(err));
		if (g->tp != NULL)
			break;
		if (turnpath_fleet_healthy(&l->cfg->fleet) == 0) {
			free(g);
			if (l->cur != NULL && l->cur->up) {
				/* A rotation with nowhere to go: stay on the current call. */
				ev_timer_set(&l->rotate, (double)LANC_ROTATE_RETRY_MS / 1000.0, 0);
				ev_timer_start(l->loop, &l->rotate);
				return;
			}
			char why[2 * TURNPATH_WHY_MAX + 8];

			snprintf(why, sizeof(why), "%s; last: %s", err, l->why[0] ? l->why : "none");
			lanc_stop(l, l->nonauth_fail || !l->why[0] ? EX_PW_TEMP : EX_PW_USAGE, why);
			return;
		}
		log_warnx("%s", err);
		l->nonauth_fail = 1;
	}
	if (l->cur == NULL)
		l->cur = g;
	else
		l->next = g;
}

static void
retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct lanc *l = w->data;

	(void)loop;
	(void)revents;
	if (!l->stopping && l->cur == NULL && l->next == NULL)
		leg_start(l);
}

static void
rotate_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct lanc *l = w->data;

	(void)loop;
	(void)revents;
	if (l->stopping || l->next != NULL)
		return;
	if (l->cur == NULL) {
		leg_start(l);
		return;
	}
	log_info("rotating: a new call after call %u", l->cur->no);
	leg_start(l);
}

/* --- run ------------------------------------------------------------------- */

int
lanc_run(struct lanc_cfg *cfg)
{
	static const struct stdio_carrier_cbs scbs = { on_readable, on_writable, on_gone, on_signal };
	static const uint8_t no_id[CLIENTID_LEN];
	static struct lanc l;

	memset(&l, 0, sizeof(l));
	l.loop = cfg->fleet.loop;
	l.cfg = cfg;
	pktq_init(&l.outq, LANC_OUTQ);
	if (carrier_codec_init(&l.k, 4 * CARRIER_IO_BUF) == -1)
		fatalx(EX_PW_INTERNAL, "out of memory");
	carrier_codec_reset(&l.k, CARRIER_SERVER, no_id);
	ev_init(&l.rotate, rotate_cb);
	l.rotate.data = &l;
	ev_init(&l.retry, retry_cb);
	l.retry.data = &l;
	ev_init(&l.stop, stop_cb);
	l.stop.data = &l;
	ev_prepare_init(&l.flush, flush_cb);
	l.flush.data = &l;
	if (stdio_carrier_open(&l.sc, l.loop, 0, 1, &scbs, &l) == -1)
		fatal(EX_PW_INTERNAL, "stdin/stdout");
	leg_start(&l);
	lanc_update(&l);
	if (!l.stopping || legs_left(&l))
		ev_run(l.loop, 0);
	out_flush(&l); /* what the last turn queued (the loop may stop before its prepare) */
	leg_free(l.cur);
	leg_free(l.next);
	leg_free(l.old);
	ev_timer_stop(l.loop, &l.rotate);
	ev_timer_stop(l.loop, &l.retry);
	ev_timer_stop(l.loop, &l.stop);
	ev_prepare_stop(l.loop, &l.flush);
	stdio_carrier_close(&l.sc);
	if (l.refused || l.dropped_down || l.oversize)
		log_debug("calls refused %llu packets (stdin paused), %llu dropped toward stdout, %llu too big",
		    (unsigned long long)l.refused, (unsigned long long)l.dropped_down,
		    (unsigned long long)l.oversize);
	carrier_codec_free(&l.k);
	pktq_free(&l.outq);
	if (l.status != EX_PW_OK)
		log_warnx("%s", l.why);
	else
		log_info("done: %s", l.why);
	return l.status;
}
