/* SPDX-License-Identifier: MIT */
/*
 * rtc: one peer connection, one data channel (rtc.h). The layers are
 * wired by callbacks: ICE datagrams that look like DTLS (first byte
 * 20–63, RFC 7983) go to NSS; what NSS decrypts goes to usrsctp; what
 * usrsctp sends is encrypted by NSS and sent by libnice.
 */
#include "rtc/rtc.h"

#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/log.h"
#include "ice/icea.h"
#include "nss/fp.h"
#include "nss/nssc.h"
#include "proto/dcep.h"
#include "proto/sdp.h"
#include "rtc/rtc_dgram.h"
#include "sctp/sctpc.h"

_Static_assert(ICEA_CAND_MAX == SDP_CAND_MAX, "candidate sizes differ");

enum rtc_state { RTC_NEW, RTC_ICE, RTC_DTLS, RTC_SCTP, RTC_OPEN, RTC_CLOSED };

struct rtc {
	struct ev_loop *loop;
	struct rtc_opts o;
	struct rtc_cb cb;
	enum rtc_state st;
	struct icea *ice;
	struct nssc *dtls;
	struct sctpc *sctp;
	struct sdp remote;
	int have_remote, gathered, remote_applied, dtls_client, paused, srflx, gather_cut;
	uint16_t sid;
	size_t peer_max;
	char label[RTC_LABEL_MAX + 1];
	ev_tstamp last_rx, last_live, watch_since, hb_at;
	int watching;
	ev_timer rtx, live, deadline, gather;
	ev_idle notify;
	char reason[160];
	char desc[256];
};

/* usrsctp's timers, shared by every connection of the loop. */
static ev_timer sctp_tick;
static int sctp_users;

#define rtc_of(w, field) ((struct rtc *)(void *)((char *)(w) - offsetof(struct rtc, field)))

static void
rtc_on_closed_idle(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct rtc *r = rtc_of(w, notify);

	(void)revents;
	ev_idle_stop(loop, w);
	if (r->cb.closed != NULL)
		r->cb.closed(r->cb.arg, r->reason);
}

/* The one way to fail: remember why, stop, tell the owner from the loop. */
static void
rtc_fail(struct rtc *r, const char *why)
{
	if (r->st == RTC_CLOSED)
		return;
	r->st = RTC_CLOSED;
	snprintf(r->reason, sizeof(r->reason), "%s", why);
	ev_timer_stop(r->loop, &r->rtx);
	ev_timer_stop(r->loop, &r->live);
	ev_timer_stop(r->loop, &r->deadline);
	ev_timer_stop(r->loop, &r->gather);
	ev_idle_start(r->loop, &r->notify);
}

static void
rtc_rearm(struct rtc *r)
{
	long ms = r->dtls != NULL && r->st != RTC_CLOSED ? nssc_timeout_ms(r->dtls) : -1;

	ev_timer_stop(r->loop, &r->rtx);
	if (ms >= 0) {
		ev_timer_set(&r->rtx, (double)ms / 1000.0, 0.);
		ev_timer_start(r->loop, &r->rtx);
	}
}

static void
rtc_on_rtx(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct rtc *r = rtc_of(w, rtx);

	(void)loop;
	(void)revents;
	if (nssc_timer_fired(r->dtls) < 0)
		rtc_fail(r, "DTLS handshake timed out");
	else
		rtc_rearm(r);
}

static void
rtc_on_sctp_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	sctpc_tick();
}

/*
 * Loss, watched only while data moves (rtc.h): a tick every eighth of
 * loss_ms. Idle, nothing of ours goes on the wire.
 */
static void
rtc_watch(struct rtc *r)
{
	if (!r->watching) {
		r->watching = 1;
		r->watch_since = ev_now(r->loop);
		r->hb_at = 0;
	}
}

static void
rtc_on_live(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct rtc *r = rtc_of(w, live);
	double now = ev_now(loop), loss = r->o.loss_ms / 1000.0, quiet;
	char why[64];
	int late;

	(void)revents;
	late = now - r->last_live > loss / 4;
	r->last_live = now;
	if (r->st < RTC_SCTP || !r->watching)
		return; /* until SCTP is up the connect deadline rules; idle, consent does */
	quiet = now - (r->last_rx > r->watch_since ? r->last_rx : r->watch_since);
	/*
	 * A tick far behind its time means this process did not run (a
	 * loaded machine, a stopped process): the peer's answers may be
	 * waiting unread, so ask again before judging.
	 */
	if (quiet >= loss && !late) {
		snprintf(why, sizeof(why), "peer silent for %.0f ms", quiet * 1000.0);
		rtc_fail(r, why);
		return;
	}
	/* The flow ended and the peer answered since: idle again. */
	if (r->hb_at > 0 && r->last_rx > r->hb_at && sctpc_unacked(r->sctp) == 0) {
		r->watching = 0;
		return;
	}
	/* Quiet while data moved (the flow ended, a closed window, or a dead peer): ask once. */
	if (quiet >= loss / 4 && now - r->hb_at >= loss / 4) {
		r->hb_at = now;
		sctpc_heartbeat(r->sctp);
	}
}

static void
rtc_on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct rtc *r = rtc_of(w, deadline);

	(void)loop;
	(void)revents;
	rtc_fail(r, r->st == RTC_ICE ? "ICE did not connect in time" : "connection did not open in time");
}

/* --- SCTP and DCEP ------------------------------------------------------ */

static void
rtc_opened(struct rtc *r)
{
	r->st = RTC_OPEN;
	ev_timer_stop(r->loop, &r->deadline);
	if (r->cb.open != NULL)
		r->cb.open(r->cb.arg, r->label);
}

static void
rtc_sctp_send(void *arg, const uint8_t *p, size_t n)
{
	struct rtc *r = arg;

	if (r->st != RTC_CLOSED && nssc_connected(r->dtls) && nssc_write(r->dtls, p, n) < 0)
		rtc_fail(r, "DTLS write failed");
}

static void
rtc_sctp_up(void *arg)
{
	struct rtc *r = arg;
	uint8_t open[DCEP_OPEN_HDR + RTC_LABEL_MAX];
	int n;

	r->st = RTC_SCTP;
	r->last_rx = ev_now(r->loop);
	if (!r->o.offerer)
		return; /* the offerer opens */
	n = dcep_write_open(r->o.unordered ? DCEP_UNORDERED : DCEP_RELIABLE, r->label, "", open,
	                    sizeof(open));
	if (n < 0 || sctpc_send(r->sctp, r->sid, DCEP_PPID, 0, open, (size_t)n) <= 0)
		rtc_fail(r, "cannot send DATA_CHANNEL_OPEN");
}

static void
rtc_dcep(struct rtc *r, uint16_t sid, const uint8_t *p, size_t n)
{
	struct dcep_msg m;
	uint8_t ack = DCEP_ACK;

	if (dcep_parse(p, n, &m) <= 0) {
		rtc_fail(r, "malformed DCEP message");
		return;
	}
	if (m.type == DCEP_ACK) {
		if (r->o.offerer && r->st == RTC_SCTP && sid == r->sid)
			rtc_opened(r);
		return;
	}
	/* An OPEN: the answerer takes the first; later ones (a second channel) are refused. */
	if (r->o.offerer || r->st != RTC_SCTP) {
		log_debug("rtc: a second data channel (stream %u) ignored", (unsigned)sid);
		return;
	}
	r->sid = sid;
	r->o.unordered = (m.chan_type & DCEP_UNORDERED) != 0;
	snprintf(r->label, sizeof(r->label), "%.*s",
	         (int)(m.label_len > RTC_LABEL_MAX ? RTC_LABEL_MAX : m.label_len), (const char *)m.label);
	if (sctpc_send(r->sctp, sid, DCEP_PPID, 0, &ack, 1) <= 0) {
		rtc_fail(r, "cannot send DATA_CHANNEL_ACK");
		return;
	}
	rtc_opened(r);
}

static void
rtc_sctp_message(void *arg, uint16_t sid, uint32_t ppid, const uint8_t *p, size_t n)
{
	struct rtc *r = arg;

	if (ppid == DCEP_PPID) {
		rtc_dcep(r, sid, p, n);
		return;
	}
	if (r->st != RTC_OPEN || sid != r->sid)
		return; /* data before the channel, or on another stream */
	switch (ppid) {
	case DCEP_PPID_STRING:
	case DCEP_PPID_BINARY:
		rtc_watch(r);
		r->cb.message(r->cb.arg, p, n, ppid == DCEP_PPID_BINARY);
		break;
	case DCEP_PPID_STRING_EMPTY:
	case DCEP_PPID_BINARY_EMPTY:
		r->cb.message(r->cb.arg, p, 0, ppid == DCEP_PPID_BINARY_EMPTY);
		break;
	default:
		log_debug("rtc: PPID %u ignored", (unsigned)ppid);
	}
}

static void
rtc_sctp_writable(void *arg)
{
	struct rtc *r = arg;

	if (r->st == RTC_OPEN && r->cb.writable != NULL)
		r->cb.writable(r->cb.arg);
}

static void
rtc_sctp_down(void *arg, const char *why)
{
	rtc_fail(arg, why);
}

/* --- DTLS ------------------------------------------------------------- */

static void
rtc_dtls_send(void *arg, const uint8_t *p, size_t n)
{
	struct rtc *r = arg;

	icea_send(r->ice, p, n); /* a lost datagram is what retransmission is for */
}

static void
rtc_dtls_data(void *arg, const uint8_t *p, size_t n)
{
	struct rtc *r = arg;

	if (r->st >= RTC_DTLS && r->st != RTC_CLOSED)
		sctpc_input(r->sctp, p, n);
}

static void
rtc_dtls_event(void *arg, enum nssc_event ev)
{
	struct rtc *r = arg;
	char why[NSSC_ERR_MAX + 8];

	switch (ev) {
	case NSSC_EV_CONNECTED:
		if (sctpc_connect(r->sctp) < 0)
			rtc_fail(r, "SCTP connect failed");
		break;
	case NSSC_EV_CLOSED:
		rtc_fail(r, "DTLS closed by peer");
		break;
	case NSSC_EV_ERROR:
		snprintf(why, sizeof(why), "DTLS: %s", nssc_error(r->dtls));
		rtc_fail(r, why);
		break;
	}
}

static void
rtc_start_dtls(struct rtc *r)
{
	struct nssc_opts no = { .persona = r->o.persona, .server = !r->dtls_client, .id = r->o.id,
		                .pin = r->remote.fp, .dtls_max12 = r->o.dtls_max12 };
	struct nssc_cb ncb = { .send = rtc_dtls_send, .data = rtc_dtls_data, .event = rtc_dtls_event,
		               .arg = r };
	struct sctpc_opts so = { .max_msg = r->o.max_msg };
	struct sctpc_cb scb = { .send = rtc_sctp_send, .up = rtc_sctp_up, .message = rtc_sctp_message,
		                .writable = rtc_sctp_writable, .down = rtc_sctp_down, .arg = r };
	char err[NSSC_ERR_MAX];

	r->st = RTC_DTLS;
	r->last_rx = ev_now(r->loop);
	if ((r->sctp = sctpc_new(&so, &scb, err, sizeof(err))) == NULL ||
	    (r->dtls = nssc_new(&no, &ncb, err, sizeof(err))) == NULL) {
		rtc_fail(r, err);
		return;
	}
	sctpc_pause(r->sctp, r->paused);
	if (nssc_start(r->dtls) < 0)
		rtc_fail(r, "DTLS start failed");
	rtc_rearm(r);
}

/* --- ICE -------------------------------------------------------------- */

static void
rtc_ice_recv(void *arg, const uint8_t *p, size_t n)
{
	struct rtc *r = arg;

	ssize_t k;
	size_t take;

	r->last_rx = ev_now(r->loop);
	if (n == 0 || p[0] < 20 || p[0] > 63 || r->dtls == NULL || r->st == RTC_CLOSED)
		return; /* RFC 7983: only DTLS is ours here (libnice keeps STUN) */
	/* A run of datagrams read at once (UDP_GRO): NSS takes them record by record. */
	while (n > 0 && r->st != RTC_CLOSED) {
		k = rtc_dtls_record(p, n);
		take = k > 0 ? (size_t)k : n;
		if (nssc_input(r->dtls, p, take) < 0)
			return; /* the error event says why */
		p += take;
		n -= take;
	}
	rtc_rearm(r);
}

static void
rtc_apply_remote(struct rtc *r)
{
	const char *cands[SDP_CANDS_MAX];
	char err[128];
	size_t i;

	if (!r->gathered || !r->have_remote || r->remote_applied)
		return;
	r->remote_applied = 1;
	for (i = 0; i < r->remote.ncand; i++)
		cands[i] = r->remote.cand[i];
	if (icea_set_remote(r->ice, r->remote.ufrag, r->remote.pwd, cands, r->remote.ncand, err,
	                    sizeof(err)) < 0) {
		rtc_fail(r, err);
		return;
	}
	r->st = RTC_ICE;
	r->last_rx = ev_now(r->loop);
	ev_timer_set(&r->deadline, r->o.connect_ms / 1000.0, 0.);
	ev_timer_start(r->loop, &r->deadline);
}

static void
rtc_write_local(struct rtc *r)
{
	char cands[SDP_CANDS_MAX][ICEA_CAND_MAX];
	char *text;
	struct sdp *d;
	uint8_t fp[FP_LEN];
	size_t n, i;

	if ((d = calloc(1, sizeof(*d))) == NULL || (text = malloc(SDP_MAX)) == NULL) {
		free(d);
		rtc_fail(r, "out of memory");
		return;
	}
	snprintf(d->ufrag, sizeof(d->ufrag), "%s", icea_ufrag(r->ice));
	snprintf(d->pwd, sizeof(d->pwd), "%s", icea_pwd(r->ice));
	nssc_id_fingerprint(r->o.id, fp);
	memcpy(d->fp, fp, SDP_FP_LEN);
	d->setup = r->o.offerer ? SDP_SETUP_ACTPASS : SDP_SETUP_ACTIVE;
	d->sctp_port = SCTPC_PORT;
	d->max_msg = r->o.max_msg;
	snprintf(d->mid, sizeof(d->mid), "%s", r->have_remote && r->remote.mid[0] ? r->remote.mid : "0");
	if (getrandom(&d->sess_id, sizeof(d->sess_id), 0) != sizeof(d->sess_id))
		d->sess_id = (uint64_t)ev_time();
	d->sess_id >>= 1; /* Firefox's are 63-bit */
	n = icea_candidates(r->ice, cands, SDP_CANDS_MAX);
	for (i = 0; i < n; i++)
		memcpy(d->cand[i], cands[i], SDP_CAND_MAX); /* ICEA_CAND_MAX == SDP_CAND_MAX */
	d->ncand = n;
	d->end_of_candidates = 1;
	if (n == 0)
		rtc_fail(r, "ICE gathered no candidate");
	else if (sdp_write(d, text, SDP_MAX) < 0)
		rtc_fail(r, "local SDP does not fit");
	else if (r->cb.local_sdp != NULL)
		r->cb.local_sdp(r->cb.arg, text);
	free(text);
	free(d);
}

static void rtc_ice_event(void *arg, enum icea_event ev);

/* gather_ms passed: describe ourselves with the candidates found so far. */
static void
rtc_on_gather(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct rtc *r = w->data;

	(void)loop;
	(void)revents;
	if (!r->srflx)
		r->gather_cut = 1;
	rtc_ice_event(r, ICEA_EV_GATHERED);
}

static void
rtc_ice_event(void *arg, enum icea_event ev)
{
	struct rtc *r = arg;

	if (r->st == RTC_CLOSED)
		return;
	switch (ev) {
	case ICEA_EV_GATHERED:
		if (r->gathered)
			break;
		r->gathered = 1;
		ev_timer_stop(r->loop, &r->gather);
		/* An answerer that gathered ahead of its offer answers once it has one. */
		if (!r->o.offerer && !r->have_remote)
			break;
		rtc_write_local(r);
		if (r->st != RTC_CLOSED)
			rtc_apply_remote(r);
		break;
	case ICEA_EV_CONNECTED:
		if (r->st == RTC_ICE)
			rtc_start_dtls(r);
		break;
	case ICEA_EV_FAILED:
		rtc_fail(r, r->st == RTC_ICE ? "ICE failed" : "ICE consent lost");
		break;
	case ICEA_EV_SRFLX:
		r->srflx = 1;
		/*
		 * The STUN server answered: what is left (another address's
		 * answer, or a request that will time out) gets a short grace,
		 * not the rest of gather_ms.
		 */
		if (!r->gathered && ev_is_active(&r->gather) &&
		    ev_timer_remaining(r->loop, &r->gather) > RTC_GATHER_GRACE_MS / 1000.0) {
			ev_timer_stop(r->loop, &r->gather);
			ev_timer_set(&r->gather, RTC_GATHER_GRACE_MS / 1000.0, 0.);
			ev_timer_start(r->loop, &r->gather);
		}
		break;
	}
}

/* --- the connection --------------------------------------------------- */

struct rtc *
rtc_new(struct ev_loop *loop, const struct rtc_opts *o, const struct rtc_cb *cb, char *err,
        size_t errlen)
{
	struct icea_opts io = { .controlling = o->offerer, .stun_ip = o->stun_ip,
		                .stun_port = o->stun_port, .consent = 1 };
	struct icea_cb icb;
	struct rtc *r;

	if (o->id == NULL) {
		snprintf(err, errlen, "no DTLS identity");
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->loop = loop;
	r->o = *o;
	r->cb = *cb;
	if (r->o.max_msg == 0)
		r->o.max_msg = RTC_MAX_MSG_DEFAULT;
	if (r->o.loss_ms == 0)
		r->o.loss_ms = RTC_LOSS_MS_DEFAULT;
	if (r->o.connect_ms == 0)
		r->o.connect_ms = RTC_CONNECT_MS_DEFAULT;
	if (r->o.persona == NULL)
		r->o.persona = persona_find("firefox-webrtc");
	snprintf(r->label, sizeof(r->label), "%s", o->label != NULL ? o->label : "");
	ev_init(&r->rtx, rtc_on_rtx);
	ev_timer_init(&r->live, rtc_on_live, r->o.loss_ms / 8000.0, r->o.loss_ms / 8000.0);
	ev_init(&r->deadline, rtc_on_deadline);
	ev_timer_init(&r->gather, rtc_on_gather, r->o.gather_ms / 1000.0, 0.);
	r->gather.data = r;
	ev_idle_init(&r->notify, rtc_on_closed_idle);
	icb.recv = rtc_ice_recv;
	icb.event = rtc_ice_event;
	icb.arg = r;
	if ((r->ice = icea_new(loop, &io, &icb, err, errlen)) == NULL) {
		free(r);
		return NULL;
	}
	if (sctp_users++ == 0) {
		sctpc_global_init();
		ev_timer_init(&sctp_tick, rtc_on_sctp_tick, SCTPC_TICK_MS / 1000.0, SCTPC_TICK_MS / 1000.0);
		ev_timer_start(loop, &sctp_tick);
	}
	r->last_rx = r->last_live = ev_now(loop);
	ev_timer_start(loop, &r->live);
	return r;
}

int
rtc_start(struct rtc *r)
{
	if (r->o.gather_ms > 0)
		ev_timer_start(r->loop, &r->gather);
	return icea_gather(r->ice);
}

int
rtc_set_remote(struct rtc *r, const char *text, size_t n, char *err, size_t errlen)
{
	int k;

	if (r->have_remote) {
		snprintf(err, errlen, "remote description already set");
		return -1;
	}
	k = sdp_parse((const uint8_t *)text, n, &r->remote);
	if (k <= 0 || (size_t)k != n) {
		snprintf(err, errlen, "remote SDP %s", k == 0 ? "is truncated" : "is malformed");
		return -1;
	}
	/* RFC 5763 5: the offerer says actpass, the answer picks a role. */
	if (r->o.offerer ? r->remote.setup == SDP_SETUP_ACTPASS : r->remote.setup != SDP_SETUP_ACTPASS) {
		snprintf(err, errlen, "remote SDP has setup:%s", sdp_setup_name(r->remote.setup));
		return -1;
	}
	if (r->remote.sctp_port != SCTPC_PORT) {
		snprintf(err, errlen, "remote sctp-port %u unsupported", (unsigned)r->remote.sctp_port);
		return -1;
	}
	r->dtls_client = r->o.offerer ? r->remote.setup == SDP_SETUP_PASSIVE : 1;
	/* RFC 8832 6: the DTLS client uses even stream ids, the server odd ones. */
	r->sid = r->dtls_client ? 0 : 1;
	r->peer_max = r->remote.max_msg == 0 || r->remote.max_msg > r->o.max_msg ? r->o.max_msg
	                                                                          : r->remote.max_msg;
	r->have_remote = 1;
	if (!r->o.offerer && r->gathered) {
		rtc_write_local(r); /* gathered ahead (rtc_start before this) */
		if (r->st == RTC_CLOSED)
			return 0; /* closed follows, with the reason */
	}
	rtc_apply_remote(r);
	return 0;
}

ssize_t
rtc_send(struct rtc *r, const void *p, size_t n, int binary)
{
	static const uint8_t zero;
	uint32_t ppid;

	if (r->st != RTC_OPEN || n > r->peer_max)
		return -1;
	if (n == 0) {
		/* RFC 8831 6.6: an empty message is one byte with the "empty" PPID. */
		ppid = binary ? DCEP_PPID_BINARY_EMPTY : DCEP_PPID_STRING_EMPTY;
		return sctpc_send(r->sctp, r->sid, ppid, r->o.unordered, &zero, 1) > 0 ? 0 : -1;
	}
	ppid = binary ? DCEP_PPID_BINARY : DCEP_PPID_STRING;
	rtc_watch(r);
	return sctpc_send(r->sctp, r->sid, ppid, r->o.unordered, p, n);
}

void
rtc_pause(struct rtc *r, int paused)
{
	r->paused = paused;
	if (r->sctp != NULL && r->st != RTC_CLOSED)
		sctpc_pause(r->sctp, paused);
}

int
rtc_stun_silent(const struct rtc *r)
{
	return r->gather_cut && !r->srflx;
}

size_t
rtc_max_send(const struct rtc *r)
{
	return r->peer_max;
}

const char *
rtc_describe(struct rtc *r)
{
	snprintf(r->desc, sizeof(r->desc), "ice %s", icea_pair(r->ice));
	if (r->dtls != NULL && nssc_connected(r->dtls))
		snprintf(r->desc + strlen(r->desc), sizeof(r->desc) - strlen(r->desc), "; %s 0x%04x",
		         nssc_version(r->dtls), nssc_cipher(r->dtls));
	return r->desc;
}

const char *
rtc_sctp_describe(struct rtc *r)
{
	r->desc[0] = '\0';
	if (r->sctp != NULL)
		sctpc_describe(r->sctp, r->desc, sizeof(r->desc));
	return r->desc;
}

void
rtc_shutdown(struct rtc *r)
{
	if (r->st == RTC_OPEN || r->st == RTC_SCTP)
		sctpc_shutdown(r->sctp);
	else
		rtc_fail(r, "closed before the channel opened");
}

void
rtc_free(struct rtc *r)
{
	if (r == NULL)
		return;
	/* First, while DTLS still works: usrsctp's ABORT tells the peer at once. */
	sctpc_free(r->sctp);
	r->st = RTC_CLOSED;
	ev_timer_stop(r->loop, &r->rtx);
	ev_timer_stop(r->loop, &r->live);
	ev_timer_stop(r->loop, &r->deadline);
	ev_timer_stop(r->loop, &r->gather);
	ev_idle_stop(r->loop, &r->notify);
	nssc_free(r->dtls);
	icea_free(r->ice);
	if (--sctp_users == 0) {
		ev_timer_stop(r->loop, &sctp_tick);
		sctpc_global_finish();
	}
	free(r);
}
