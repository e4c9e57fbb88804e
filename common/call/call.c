/* SPDX-License-Identifier: MIT */
/*
 * The call: DTLS (nssc) until up, then SRTP packets built by the profile
 * clocks (shape.c) from the send queue (queue.c), and the records of
 * incoming packets handed to the callbacks.
 */
#include "call/call.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "call/call_int.h"
#include "call/consent.h"
#include "nss/nssc.h"
#include "proto/lanframe.h"
#include "proto/rtp.h"
#include "proto/stun.h"
#include "srtp/srtpc.h"

int
call_profile_parse(const char *name)
{
	if (strcmp(name, "opus") == 0)
		return CALL_PROFILE_OPUS;
	if (strcmp(name, "video") == 0)
		return CALL_PROFILE_VIDEO;
	if (strcmp(name, "bulk") == 0)
		return CALL_PROFILE_BULK;
	return -1;
}

const char *
call_profile_name(enum call_profile p)
{
	switch (p) {
	case CALL_PROFILE_OPUS: return "opus";
	case CALL_PROFILE_VIDEO: return "video";
	default: return "bulk";
	}
}

/* Entry and exit of every public entry point and timer: a callback may free the call. */
void
call_enter(struct call *c)
{
	c->busy++;
}

int
call_leave(struct call *c)
{
	if (--c->busy == 0 && c->zombie) {
		call_free(c);
		return 1;
	}
	return c->zombie;
}

static void
stop_timers(struct call *c)
{
	ev_timer_stop(c->loop, &c->rtx);
	ev_timer_stop(c->loop, &c->hs);
	ev_timer_stop(c->loop, &c->cons_w);
	ev_timer_stop(c->loop, &c->cons_wait);
	shape_stop(c);
}

void
call_fail(struct call *c, const char *why)
{
	if (c->failed || c->zombie)
		return;
	c->failed = 1;
	stop_timers(c);
	snprintf(c->why, sizeof(c->why), "%s", why);
	if (c->cbs.failed)
		c->cbs.failed(c->arg, c->why);
}

static void
rearm_rtx(struct call *c)
{
	long ms;

	if (!c->tls || c->failed || c->zombie)
		return;
	ms = nssc_timeout_ms(c->tls);
	ev_timer_stop(c->loop, &c->rtx);
	if (ms >= 0) {
		ev_timer_set(&c->rtx, (double)ms / 1000.0, 0.);
		ev_timer_start(c->loop, &c->rtx);
	}
}

void
call_send_dgram(struct call *c, const uint8_t *p, size_t n)
{
	c->st.pkts_out++;
	c->st.bytes_out += n;
	c->cbs.send(c->arg, p, n);
}

static void
on_tls_send(void *arg, const uint8_t *p, size_t n)
{
	struct call *c = arg;

	/* Freeing: NSS may send an alert, but the owner is gone; a call ends quietly. */
	if (!c->closing)
		call_send_dgram(c, p, n);
}

static void
on_tls_data(void *arg, const uint8_t *p, size_t n)
{
	struct call *c = arg;

	(void)p;
	(void)n;
	c->st.bad_in++; /* nothing rides on DTLS application data */
}

/* --- ICE consent freshness (consent.h) --------------------------------------- */

static double
consent_next(struct call *c)
{
	double r = (double)call_rand(c) / 4294967296.0;

	return CONSENT_IVL * (1 - CONSENT_IVL_SPREAD + 2 * CONSENT_IVL_SPREAD * r);
}

static void
on_consent(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct call *c = w->data;
	uint8_t buf[CONSENT_MSG_MAX];
	ssize_t k;

	(void)revents;
	call_enter(c);
	if (stun_new_tid(c->cons_tid) == 0 &&
	    (k = consent_request_build(&c->cons, c->cons_tid, c->cons_tiebreak, buf, sizeof(buf))) > 0) {
		c->cons_pending = 1;
		c->st.consent_out++;
		call_send_dgram(c, buf, (size_t)k);
		ev_timer_stop(loop, &c->cons_wait);
		ev_timer_set(&c->cons_wait, CONSENT_WAIT, 0.);
		ev_timer_start(loop, &c->cons_wait);
	}
	if (!c->failed && !c->zombie) {
		ev_timer_set(w, consent_next(c), 0.);
		ev_timer_start(loop, w);
	}
	call_leave(c);
}

static void
on_consent_wait(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct call *c = w->data;
	char why[CALL_ERR_MAX];
	/* An idle bulk peer may be silent between sender reports (<= 5.5 s). */
	double need = c->cfg.profile == CALL_PROFILE_BULK ? CONSENT_SILENCE_BULK : CONSENT_WAIT;
	double silence = ev_now(loop) - c->last_heard;

	(void)revents;
	if (!c->cons_pending || silence < CONSENT_WAIT)
		return;
	if (silence < need) { /* look again when the silence would be long enough */
		ev_timer_set(w, need - silence, 0.);
		ev_timer_start(loop, w);
		return;
	}
	c->cons_pending = 0;
	snprintf(why, sizeof(why), "no answer to a Binding request to the peer (ICE consent), silent for %.1f s",
	         silence);
	call_enter(c);
	if (c->cbs.silent)
		c->cbs.silent(c->arg, why);
	call_leave(c);
}

/* A STUN message from the peer: the server answers a consent request, the client takes its answer. */
static int
consent_input(struct call *c, const uint8_t *p, size_t n)
{
	uint8_t buf[CONSENT_MSG_MAX], tid[STUN_TID_LEN];
	ssize_t k;

	if (!c->cons_ready)
		return -1;
	if (c->cfg.role == CALL_SERVER) {
		if (!consent_request_check(&c->cons, p, n, tid))
			return -1;
		k = consent_response_build(&c->cons, tid,
		                           c->peer_len ? (const struct sockaddr *)&c->peer_addr : NULL, buf,
		                           sizeof(buf));
		if (k < 0)
			return -1;
		c->st.consent_in++;
		call_send_dgram(c, buf, (size_t)k);
		return 0;
	}
	if (!c->cons_pending || !consent_response_check(&c->cons, c->cons_tid, p, n))
		return -1;
	c->cons_pending = 0;
	c->st.consent_ok++;
	return 0;
}

void
call_set_peer_addr(struct call *c, const struct sockaddr *sa, socklen_t len)
{
	if (len > sizeof(c->peer_addr))
		return;
	memcpy(&c->peer_addr, sa, len);
	c->peer_len = len;
}

static void
consent_start(struct call *c)
{
	uint8_t km[CONSENT_KM_LEN];

	if (nssc_export(c->tls, CONSENT_LABEL, NULL, 0, km, sizeof(km)) < 0)
		return; /* no consent: the call works without */
	consent_creds_init(&c->cons, km);
	memset(km, 0, sizeof(km));
	c->cons_ready = 1;
	if (c->cfg.role != CALL_CLIENT)
		return;
	c->cons_tiebreak = (uint64_t)call_rand(c) << 32 | call_rand(c);
	ev_timer_set(&c->cons_w, consent_next(c), 0.);
	ev_timer_start(c->loop, &c->cons_w);
}

static void
went_up(struct call *c)
{
	uint8_t km[SRTPC_KEYMAT_LEN];
	char err[CALL_ERR_MAX];
	uint16_t prof = nssc_srtp_profile(c->tls);
	size_t kl = srtpc_keymat_len(prof);

	if (kl == 0 || kl > sizeof(km)) {
		call_fail(c, "DTLS: no SRTP profile of ours negotiated (AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80)");
		return;
	}
	if (nssc_export(c->tls, SRTPC_LABEL, NULL, 0, km, kl) < 0) {
		call_fail(c, "DTLS: exporter failed");
		return;
	}
	c->srtp = srtpc_new_profile(prof, km, c->cfg.role == CALL_CLIENT, err, sizeof(err));
	memset(km, 0, sizeof(km));
	if (!c->srtp) {
		call_fail(c, err);
		return;
	}
	ev_timer_stop(c->loop, &c->hs);
	c->up = 1;
	c->last_heard = ev_now(c->loop);
	consent_start(c);
	if (c->cfg.role == CALL_CLIENT)
		shape_start(c, c->cfg.profile, c->cfg.camera);
	if (c->cbs.up)
		c->cbs.up(c->arg);
}

static void
on_tls_event(void *arg, enum nssc_event ev)
{
	struct call *c = arg;
	char why[CALL_ERR_MAX];

	switch (ev) {
	case NSSC_EV_CONNECTED:
		went_up(c);
		break;
	case NSSC_EV_CLOSED:
		call_fail(c, "DTLS: the peer closed the call");
		break;
	default:
		snprintf(why, sizeof(why), "DTLS: %s", nssc_error(c->tls));
		call_fail(c, why);
		break;
	}
}

static void
on_rtx(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct call *c = w->data;

	(void)loop;
	(void)revents;
	call_enter(c);
	if (nssc_timer_fired(c->tls) < 0 && !c->failed)
		call_fail(c, "DTLS: retransmission failed");
	rearm_rtx(c);
	call_leave(c);
}

static void
on_hs_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct call *c = w->data;

	(void)loop;
	(void)revents;
	call_enter(c);
	call_fail(c, "DTLS handshake timed out");
	call_leave(c);
}

struct call *
call_new(struct ev_loop *loop, const struct call_cfg *cfg, const struct call_cbs *cbs, void *arg,
         char *err, size_t errlen)
{
	struct persona server_persona;
	struct nssc_opts o = { 0 };
	struct nssc_cb ncb = { .send = on_tls_send, .data = on_tls_data, .event = on_tls_event };
	struct call *c;

	if (!cfg->id || !cbs->send || (cfg->role == CALL_CLIENT && !cfg->pin)) {
		snprintf(err, errlen, "call: an identity, a send callback and (client) a pin are required");
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->loop = loop;
	c->cfg = *cfg;
	c->cfg.pin = NULL;
	if (cfg->pin) {
		memcpy(c->pin, cfg->pin, FP_LEN);
		c->cfg.pin = c->pin;
	}
	c->cbs = *cbs;
	c->arg = arg;
	if (getrandom(&c->rng, sizeof(c->rng), 0) != sizeof(c->rng) || c->rng == 0)
		c->rng = (uint64_t)(uintptr_t)c ^ 0x9e3779b97f4a7c15ULL;
	if (queue_init(c, cfg->queue_bytes) < 0) {
		snprintf(err, errlen, "out of memory");
		free(c);
		return NULL;
	}
	lanf_reasm_init(&c->ra);
	ev_timer_init(&c->rtx, on_rtx, 1., 0.);
	c->rtx.data = c;
	ev_timer_init(&c->hs, on_hs_timeout,
	              cfg->handshake_timeout > 0 ? cfg->handshake_timeout : CALL_HANDSHAKE_TIMEOUT, 0.);
	c->hs.data = c;
	ev_timer_init(&c->cons_w, on_consent, CONSENT_IVL, 0.);
	ev_timer_init(&c->cons_wait, on_consent_wait, CONSENT_WAIT, 0.);
	c->cons_w.data = c->cons_wait.data = c;
	shape_init(c);

	ncb.arg = c;
	o.persona = &persona_firefox_webrtc;
	o.id = cfg->id;
	if (cfg->role == CALL_SERVER) {
		/*
		 * Firefox's answer: the first of its own profiles the client offers
		 * (AEAD_AES_128_GCM before AES_CM_128_HMAC_SHA1_80), of the two
		 * srtpc keys.
		 */
		server_persona = persona_firefox_webrtc;
		server_persona.nsrtp = 2;
		server_persona.srtp[0] = SRTPC_PROFILE_GCM;
		server_persona.srtp[1] = SRTPC_PROFILE;
		o.persona = &server_persona;
		o.server = 1;
	} else
		o.pin = c->pin;
	if ((c->tls = nssc_new(&o, &ncb, err, errlen)) == NULL) {
		queue_free(c);
		free(c);
		return NULL;
	}
	return c;
}

int
call_start(struct call *c)
{
	int r = 0;

	call_enter(c);
	ev_timer_start(c->loop, &c->hs);
	if (nssc_start(c->tls) < 0) {
		call_fail(c, "DTLS: could not start");
		r = -1;
	}
	rearm_rtx(c);
	call_leave(c);
	return r;
}

/* The records of one decrypted RTP payload. */
static void
take_records(struct call *c, const uint8_t *p, size_t n)
{
	struct lanf_rec r;
	const uint8_t *pkt;
	size_t len;
	ssize_t k;

	while (n > 0 && !c->zombie && !c->failed) {
		k = lanf_parse(p, n, &r);
		if (k <= 0) {
			c->st.bad_in++;
			return;
		}
		p += k;
		n -= (size_t)k;
		switch (r.type) {
		case LANF_PREAMBLE:
			if (c->cfg.role != CALL_SERVER)
				break;
			c->ack_owed = CALL_ACK_REPEAT;
			if (!c->pre_got) {
				c->pre_got = 1;
				if (c->cbs.preamble)
					c->cbs.preamble(c->arg, r.body, r.len);
			}
			break;
		case LANF_PROFILE:
			if (c->cfg.role == CALL_SERVER && !c->prof_known) {
				c->prof_known = 1;
				shape_start(c, (enum call_profile)(r.profile & 0x0f) <= CALL_PROFILE_BULK
				                   ? (enum call_profile)(r.profile & 0x0f) : CALL_PROFILE_OPUS,
				            !!(r.profile & 0x10));
			}
			break;
		case LANF_ACK:
			if (c->cfg.role == CALL_CLIENT)
				c->pre_acked = 1;
			break;
		case LANF_PKT:
			c->st.tt_in++;
			c->st.tt_bytes_in += r.len;
			if (c->cbs.packet)
				c->cbs.packet(c->arg, r.body, r.len);
			break;
		case LANF_FRAG:
			if (lanf_reasm_add(&c->ra, &r, &pkt, &len)) {
				c->st.tt_in++;
				c->st.tt_bytes_in += len;
				if (c->cbs.packet)
					c->cbs.packet(c->arg, pkt, len);
			}
			break;
		default:
			break;
		}
	}
}

void
call_input(struct call *c, const uint8_t *dgram, size_t n)
{
	uint8_t buf[CALL_DGRAM_MAX];
	struct rtp_hdr h;
	size_t paylen;
	ssize_t k, hl;
	uint8_t pt;
	uint32_t ssrc;

	if (c->failed || c->zombie)
		return;
	call_enter(c);
	c->st.pkts_in++;
	c->st.bytes_in += n;
	switch (demux_classify(dgram, n)) {
	case DEMUX_STUN:
		if (consent_input(c, dgram, n) < 0)
			goto bad;
		c->last_heard = ev_now(c->loop);
		break;
	case DEMUX_DTLS:
		if (nssc_input(c->tls, dgram, n) < 0 && !c->failed)
			call_fail(c, "DTLS: bad input");
		rearm_rtx(c);
		break;
	case DEMUX_RTP:
		if (!c->srtp || n > sizeof(buf))
			goto bad;
		memcpy(buf, dgram, n);
		if ((k = srtpc_unprotect(c->srtp, buf, n)) < 0)
			goto bad;
		if ((hl = rtp_parse(buf, (size_t)k, &h, &paylen)) <= 0)
			goto bad;
		c->st.rtp_in++;
		c->last_in = c->last_heard = ev_now(c->loop);
		pace_rx_seen(&c->rx, h.ssrc, h.seq);
		shape_rx(c);
		take_records(c, buf + hl, paylen);
		break;
	case DEMUX_RTCP:
		if (!c->srtp || n > sizeof(buf))
			goto bad;
		memcpy(buf, dgram, n);
		if ((k = srtpc_unprotect_rtcp(c->srtp, buf, n)) < 0 ||
		    rtcp_parse(buf, (size_t)k, &pt, &ssrc, NULL) <= 0)
			goto bad;
		c->st.rtcp_in++;
		c->last_heard = ev_now(c->loop);
		shape_rtcp(c, buf, (size_t)k);
		break;
	default:
	bad:
		c->st.bad_in++;
		break;
	}
	call_leave(c);
}

int
call_set_preamble(struct call *c, const uint8_t *p, size_t n)
{
	if (c->cfg.role != CALL_CLIENT || c->npre || n == 0 || n > CALL_PREAMBLE_MAX ||
	    n > LANF_PREAMBLE_MAX)
		return -1;
	memcpy(c->pre, p, n);
	c->npre = n;
	return 0;
}

int
call_write(struct call *c, const uint8_t *pkt, size_t n)
{
	if (n == 0 || n > CALL_PKT_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (!c->up || c->failed || c->zombie || queue_put(c, pkt, n) < 0) {
		c->want_writable = 1;
		errno = EAGAIN;
		return -1;
	}
	c->st.tt_out++;
	c->st.tt_bytes_out += n;
	call_enter(c);
	shape_kick(c);
	call_leave(c);
	return 0;
}

size_t
call_room(const struct call *c)
{
	if (!c->up || c->failed || c->zombie)
		return 0;
	return queue_room(c);
}

void
call_stats(const struct call *c, struct call_stats *st)
{
	*st = c->st;
	st->queued = queue_used(c);
	st->up = c->up;
	st->video = c->video_on;
	st->pace_cuts = c->pace.cuts;
	st->pace_waits = c->pace.waits;
	st->wnd_waits = c->pace.wnd_waits;
	st->wnd_closed = c->pace.wnd_closed;
	st->rtt_samples = c->pace.rtt_samples;
	st->rtt_min = c->pace.rtt_min;
	st->rtt_sum = c->pace.rtt_sum;
	st->wnd = c->pace.wnd;
	st->wnd_top = c->pace.wnd_top;
	st->pace_rate = c->prof == CALL_PROFILE_BULK && c->shaping ? c->pace.rate : 0;
}

int
call_owed(const struct call *c)
{
	if (!c->up || c->prof != CALL_PROFILE_BULK || !c->shaping)
		return 1;
	return pace_in_flight(&c->pace) > 0;
}

size_t
call_memory(const struct call *c)
{
	return sizeof(*c) + c->qcap + CALL_TLS_MEMORY;
}

int
call_peer_fingerprint(const struct call *c, uint8_t d[FP_LEN])
{
	if (!c->up)
		return -1;
	return nssc_peer_fingerprint(c->tls, d);
}

void
call_free(struct call *c)
{
	if (!c)
		return;
	stop_timers(c);
	if (c->busy) {
		c->zombie = 1;
		return;
	}
	c->closing = 1;
	nssc_free(c->tls);
	srtpc_free(c->srtp);
	queue_free(c);
	free(c);
}
