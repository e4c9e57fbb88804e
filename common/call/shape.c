/* SPDX-License-Identifier: MIT */
/*
 * The profile clocks: what leaves a call and when (issue 15).
 *
 * opus: PT 111, one packet every 20 ms +-1.5 ms of jitter (the average
 *   rate stays 50 pps: the jitter moves each packet around its ideal
 *   time), timestamp +960, 110-169-byte payloads while data or owed
 *   records wait, smaller VBR-like ones (40-89) when quiet. With dtx,
 *   upstream's state machine: periods of 1-4 s, talking -> quiet with
 *   probability 0.3 and quiet -> talking with 0.7, quiet sends one 5-12
 *   byte packet a second; data waiting ends a quiet period at once.
 * video: an audio stream as above plus PT 96 frames at 30 fps, timestamp
 *   +3000 (90 kHz), each frame cut into equal packets of at most 1,200
 *   bytes with the marker on its last; a keyframe (4x) every 2-5 s; the
 *   bitrate follows demand between 0.3 and 2.5 Mbit/s: up 20 % a frame
 *   while more than a frame's worth waits, down 3 % a frame when nothing
 *   does.
 * camera (opus): the video stream starts when data has waited for
 *   0.5 s and stops after 10 s without any.
 * bulk: PT 96 packets of up to 1,200 bytes as soon as data is queued and
 *   the pacer (pace.h) has tokens, unpadded (full payloads while a writer
 *   is still queueing, the tail on the next loop iteration); with no tokens the queue
 *   fills and the writer is refused (backpressure, never loss); a 50 ms
 *   clock for owed records; a receiver report every 25 ms while packets
 *   arrive, which drives the peer's pacer.
 * Every stream sends an RTCP sender report every 4.5-5.5 s.
 */
#include <math.h>
#include <string.h>

#include "call/call_int.h"
#include "proto/rtp.h"
#include "srtp/srtpc.h"

#define PT_OPUS 111
#define PT_VIDEO 96
#define OPUS_IVL 0.020
#define OPUS_JITTER 0.0015
#define VIDEO_IVL (1.0 / 30)
#define VIDEO_BPS_MIN 300000.0
#define VIDEO_BPS_MAX 2500000.0
#define BULK_IVL 0.050
#define CAMERA_ON_AFTER 0.5
#define CAMERA_OFF_AFTER 10.0
#define NTP_UNIX_OFFSET 2208988800ULL

uint32_t
call_rand(struct call *c)
{
	/* xorshift64*: shaping decisions only, never keys */
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return (uint32_t)((c->rng * 0x2545F4914F6CDD1DULL) >> 32);
}

static double
rand_unit(struct call *c)
{
	return (double)call_rand(c) / 4294967296.0;
}

static void
stream_init(struct call *c, struct rtp_stream *s, uint8_t pt)
{
	s->ssrc = call_rand(c);
	s->seq = (uint16_t)call_rand(c);
	s->ts = call_rand(c);
	s->pt = pt;
	s->pkts = s->octets = 0;
	s->on = 1;
}

/* One SRTP packet of payload size on stream s. */
static void
send_rtp(struct call *c, struct rtp_stream *s, int marker, size_t size, int pad)
{
	uint8_t buf[RTP_HDR_LEN + CALL_PAYLOAD_MAX + SRTPC_ROOM];
	struct rtp_hdr h = { .pt = s->pt, .marker = (uint8_t)marker, .seq = s->seq, .ts = s->ts,
		.ssrc = s->ssrc };
	size_t pl;
	ssize_t k;

	if (size > CALL_PAYLOAD_MAX)
		size = CALL_PAYLOAD_MAX;
	rtp_build(&h, buf, sizeof(buf));
	pl = queue_fill(c, buf + RTP_HDR_LEN, size, pad);
	if (pl == 0)
		pl = (size_t)lanf_put_pad(buf + RTP_HDR_LEN, 1);
	k = srtpc_protect(c->srtp, buf, RTP_HDR_LEN + pl, sizeof(buf));
	if (k < 0) {
		call_fail(c, "SRTP: protect failed");
		return;
	}
	s->seq++;
	s->pkts++;
	s->octets += (uint32_t)pl;
	c->st.rtp_out++;
	call_send_dgram(c, buf, (size_t)k);
}

static void
send_sr(struct call *c, struct rtp_stream *s)
{
	uint8_t buf[RTCP_SR_LEN + SRTPC_ROOM];
	ev_tstamp now = ev_now(c->loop);
	struct rtcp_sr sr = { .ssrc = s->ssrc, .rtp_ts = s->ts, .packets = s->pkts,
		.octets = s->octets };
	double sec = floor(now);
	ssize_t k;

	sr.ntp = ((uint64_t)sec + NTP_UNIX_OFFSET) << 32 | (uint64_t)((now - sec) * 4294967296.0);
	rtcp_sr_build(&sr, buf, sizeof(buf));
	if ((k = srtpc_protect_rtcp(c->srtp, buf, RTCP_SR_LEN, sizeof(buf))) < 0) {
		call_fail(c, "SRTCP: protect failed");
		return;
	}
	c->st.rtcp_out++;
	call_send_dgram(c, buf, (size_t)k);
}

/* Arm w for ideal time *next plus jitter; catch up when far behind. */
static void
arm(struct call *c, ev_timer *w, ev_tstamp *next, double ivl, double jitter)
{
	ev_tstamp now = ev_now(c->loop);
	double d;

	*next += ivl;
	if (*next < now - 0.2)
		*next = now; /* the loop stalled: do not burst to catch up */
	d = *next - now + (jitter > 0 ? (rand_unit(c) * 2 - 1) * jitter : 0);
	ev_timer_stop(c->loop, w);
	ev_timer_set(w, d > 0 ? d : 0, 0.);
	ev_timer_start(c->loop, w);
}

static void
video_on(struct call *c, int on)
{
	if (on == c->video_on)
		return;
	c->video_on = on;
	if (on) {
		stream_init(c, &c->video, PT_VIDEO);
		c->bitrate = VIDEO_BPS_MIN;
		c->next_key = ev_now(c->loop);
		c->video_next = ev_now(c->loop);
		ev_timer_set(&c->video_w, 0, 0.);
		ev_timer_start(c->loop, &c->video_w);
	} else {
		c->video.on = 0;
		ev_timer_stop(c->loop, &c->video_w);
	}
}

static void
on_audio(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct call *c = w->data;
	ev_tstamp now = ev_now(loop);
	int talking = queue_pending(c) > 0 || queue_owes(c);
	size_t size;
	double ivl = OPUS_IVL;

	(void)revents;
	call_enter(c);
	if (c->camera) {
		if (queue_pending(c) > 0) {
			c->idle_since = 0;
			if (c->busy_since == 0)
				c->busy_since = now;
			if (now - c->busy_since >= CAMERA_ON_AFTER)
				video_on(c, 1);
		} else {
			c->busy_since = 0;
			if (c->idle_since == 0)
				c->idle_since = now;
			if (c->video_on && now - c->idle_since >= CAMERA_OFF_AFTER)
				video_on(c, 0);
		}
	}
	if (c->cfg.dtx) {
		if (now >= c->dtx_until) {
			double p = rand_unit(c);

			c->dtx_quiet = c->dtx_quiet ? p >= 0.7 : p < 0.3;
			c->dtx_until = now + 1 + 3 * rand_unit(c);
		}
		if (talking)
			c->dtx_quiet = 0;
	}
	if (c->dtx_quiet) {
		size = 5 + call_rand(c) % 8;
		ivl = 1.0;
	} else if (talking)
		size = 110 + call_rand(c) % 60;
	else
		size = 40 + call_rand(c) % 50;
	send_rtp(c, &c->audio, 0, size, 1);
	c->audio.ts += (uint32_t)(960 * (ivl / OPUS_IVL) + 0.5);
	if (!c->failed && !c->zombie) {
		arm(c, &c->audio_w, &c->audio_next, ivl, OPUS_JITTER);
		queue_maybe_writable(c);
	}
	call_leave(c);
}

static void
on_video(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct call *c = w->data;
	ev_tstamp now = ev_now(loop);
	double frame = c->bitrate / 8 / 30;
	size_t pend = queue_pending(c), npk, per, i;

	(void)revents;
	call_enter(c);
	if (pend > frame)
		c->bitrate *= 1.2;
	else if (pend == 0)
		c->bitrate *= 0.97;
	if (c->bitrate < VIDEO_BPS_MIN)
		c->bitrate = VIDEO_BPS_MIN;
	if (c->bitrate > VIDEO_BPS_MAX)
		c->bitrate = VIDEO_BPS_MAX;
	frame = c->bitrate / 8 / 30 * (0.85 + 0.3 * rand_unit(c));
	if (now >= c->next_key) {
		frame *= 4;
		c->next_key = now + 2 + 3 * rand_unit(c);
	}
	npk = ((size_t)frame + CALL_PAYLOAD_MAX - 1) / CALL_PAYLOAD_MAX;
	if (npk == 0)
		npk = 1;
	per = ((size_t)frame + npk - 1) / npk;
	for (i = 0; i < npk && !c->failed && !c->zombie; i++)
		send_rtp(c, &c->video, i + 1 == npk, per, 1);
	c->video.ts += 3000;
	c->frames++;
	if (!c->failed && !c->zombie) {
		arm(c, &c->video_w, &c->video_next, VIDEO_IVL, 0);
		queue_maybe_writable(c);
	}
	call_leave(c);
}

/*
 * Send what the pacer allows. full_only (a writer is still queueing):
 * only full payloads now, the tail on the next loop iteration, so a run
 * of packets leaves in full 1,200-byte payloads instead of one packet and
 * a fragment each.
 */
static void
bulk_flush(struct call *c, int full_only)
{
	int sent = 0;
	double now = ev_time();
	size_t before;

	pace_refill(&c->pace, now);
	/* Owed records ride in each packet; alone they need one packet a tick. */
	while (!c->failed && !c->zombie && (queue_pending(c) > 0 || (!sent && queue_owes(c)))) {
		if (full_only && queue_pending(c) < CALL_PAYLOAD_MAX) {
			if (!ev_is_active(&c->pace_w)) {
				ev_timer_set(&c->pace_w, 0., 0.);
				ev_timer_start(c->loop, &c->pace_w);
			}
			break;
		}
		if (!pace_window_open(&c->pace, now))
			break; /* the next report reopens it (shape_rtcp), or the timeout */
		if (!pace_may_send(&c->pace)) {
			double d = pace_wait(&c->pace, CALL_PAYLOAD_MAX);

			if (!ev_is_active(&c->pace_w)) {
				ev_timer_set(&c->pace_w, d, 0.);
				ev_timer_start(c->loop, &c->pace_w);
			}
			break;
		}
		if (!ev_is_active(&c->rr_w))
			ev_timer_again(c->loop, &c->rr_w);
		before = c->st.bytes_out;
		send_rtp(c, &c->video, 0, CALL_PAYLOAD_MAX, 0);
		pace_spent(&c->pace, (size_t)(c->st.bytes_out - before));
		pace_sent_seq(&c->pace, (uint16_t)(c->video.seq - 1), now);
		sent = 1;
	}
	c->video.ts += 90 * 20;
}

static void
on_bulk(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct call *c = w->data;

	(void)loop;
	(void)revents;
	call_enter(c);
	bulk_flush(c, 0);
	if (!c->failed && !c->zombie)
		queue_maybe_writable(c);
	call_leave(c);
}

/* The pacer has tokens again. */
static void
on_pace(struct ev_loop *loop, ev_timer *w, int revents)
{
	on_bulk(loop, w, revents);
}

/* A receiver report on what arrived since the last: 0 when nothing did. */
static int
send_rr(struct call *c)
{
	uint8_t buf[PACE_RR_LEN + SRTPC_ROOM];
	struct pace_rr rr;
	ssize_t k;

	if (!pace_rx_report(&c->rx, c->video.ssrc, &rr))
		return 0;
	pace_rr_build(&rr, buf, sizeof(buf));
	if ((k = srtpc_protect_rtcp(c->srtp, buf, PACE_RR_LEN, sizeof(buf))) < 0)
		call_fail(c, "SRTCP: protect failed");
	else {
		c->st.rtcp_out++;
		c->st.rr_out++;
		call_send_dgram(c, buf, (size_t)k);
	}
	return 1;
}

static void
on_rr(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct call *c = w->data;

	(void)loop;
	(void)revents;
	call_enter(c);
	pace_tick(&c->pace, ev_time());
	/* Nothing arrived: an idle call needs no clock (shape_rx and sending restart it). */
	if (!send_rr(c) && !c->pace.sent)
		ev_timer_stop(loop, w);
	call_leave(c);
}

void
shape_rx(struct call *c)
{
	if (!c->shaping || c->prof != CALL_PROFILE_BULK || c->failed || c->zombie)
		return;
	if (!ev_is_active(&c->rr_w))
		ev_timer_again(c->loop, &c->rr_w);
	/* The sender's window moves on these (pace.h); the clock's report comes later. */
	if (c->rx.received - c->rx.received_prior >= PACE_RR_PKTS && send_rr(c))
		ev_timer_again(c->loop, &c->rr_w);
}

void
shape_rtcp(struct call *c, const uint8_t *p, size_t n)
{
	struct pace_rr rr;
	int was_open;

	if (!c->shaping || c->prof != CALL_PROFILE_BULK || pace_rr_parse(p, n, &rr) <= 0 ||
	    rr.src != c->video.ssrc)
		return;
	c->st.rr_in++;
	was_open = pace_in_flight(&c->pace) < pace_wnd(&c->pace);
	pace_on_report(&c->pace, &rr, ev_time());
	c->st.pace_rate = c->pace.rate;
	if (!was_open && pace_in_flight(&c->pace) < pace_wnd(&c->pace)) {
		bulk_flush(c, 0);
		if (!c->failed && !c->zombie)
			queue_maybe_writable(c);
	}
}

static void
on_rtcp(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct call *c = w->data;

	(void)loop;
	(void)revents;
	call_enter(c);
	if (c->audio.on)
		send_sr(c, &c->audio);
	if (c->video.on && !c->failed)
		send_sr(c, &c->video);
	if (!c->failed && !c->zombie) {
		ev_timer_set(w, 4.5 + rand_unit(c), 0.);
		ev_timer_start(loop, w);
	}
	call_leave(c);
}

void
shape_init(struct call *c)
{
	ev_timer_init(&c->audio_w, on_audio, 0., 0.);
	ev_timer_init(&c->video_w, on_video, 0., 0.);
	ev_timer_init(&c->rtcp_w, on_rtcp, 5., 0.);
	ev_timer_init(&c->bulk_w, on_bulk, BULK_IVL, BULK_IVL);
	ev_timer_init(&c->pace_w, on_pace, 0., 0.);
	ev_timer_init(&c->rr_w, on_rr, PACE_RR_IVL, PACE_RR_IVL);
	c->audio_w.data = c->video_w.data = c->rtcp_w.data = c->bulk_w.data = c;
	c->pace_w.data = c->rr_w.data = c;
}

void
shape_start(struct call *c, enum call_profile prof, int camera)
{
	if (c->shaping)
		return;
	c->shaping = 1;
	c->prof = prof;
	c->camera = prof == CALL_PROFILE_OPUS && camera;
	if (prof == CALL_PROFILE_BULK) {
		stream_init(c, &c->video, PT_VIDEO);
		pace_init(&c->pace, ev_time());
		ev_timer_start(c->loop, &c->bulk_w);
		ev_timer_start(c->loop, &c->rr_w);
	} else {
		stream_init(c, &c->audio, PT_OPUS);
		c->audio_next = ev_now(c->loop);
		ev_timer_set(&c->audio_w, 0, 0.);
		ev_timer_start(c->loop, &c->audio_w);
		if (prof == CALL_PROFILE_VIDEO)
			video_on(c, 1);
	}
	ev_timer_set(&c->rtcp_w, 4.5 + rand_unit(c), 0.);
	ev_timer_start(c->loop, &c->rtcp_w);
}

void
shape_stop(struct call *c)
{
	ev_timer_stop(c->loop, &c->audio_w);
	ev_timer_stop(c->loop, &c->video_w);
	ev_timer_stop(c->loop, &c->rtcp_w);
	ev_timer_stop(c->loop, &c->bulk_w);
	ev_timer_stop(c->loop, &c->pace_w);
	ev_timer_stop(c->loop, &c->rr_w);
}

void
shape_kick(struct call *c)
{
	if (!c->shaping || c->failed || c->zombie)
		return;
	if (c->prof == CALL_PROFILE_BULK) {
		bulk_flush(c, 1);
		return;
	}
	if (c->dtx_quiet) { /* a person starts talking: the next packet now */
		c->dtx_quiet = 0;
		c->audio_next = ev_now(c->loop) - OPUS_IVL;
		ev_timer_stop(c->loop, &c->audio_w);
		ev_timer_set(&c->audio_w, 0, 0.);
		ev_timer_start(c->loop, &c->audio_w);
	}
}
