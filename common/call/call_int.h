/* SPDX-License-Identifier: MIT */
/*
 * The inside of a call, shared by call.c (DTLS, input, records),
 * queue.c (the send queue) and shape.c (the profile clocks that build
 * and send RTP). Not for users of the layer.
 */
#ifndef PW_CALL_CALL_INT_H
#define PW_CALL_CALL_INT_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "call/call.h"
#include "call/consent.h"
#include "call/pace.h"
#include "proto/lanframe.h"

#define CALL_DGRAM_MAX 2048
#define CALL_ACK_REPEAT 3          /* packets that carry an ACK after each preamble seen */
#define CALL_TLS_MEMORY 131072     /* NSS and libsrtp per call (bench/lanturn.sh: ~190 kB RSS in all) */
#define CALL_QUEUE_OPUS 16384      /* opus without camera: ~2 s of its capacity */
#define CALL_PAYLOAD_MAX 1200      /* largest RTP payload we build */

struct rtp_stream {
	uint32_t ssrc;
	uint16_t seq;
	uint32_t ts;
	uint8_t pt;
	uint32_t pkts, octets;
	int on;
};

struct call {
	struct ev_loop *loop;
	struct call_cfg cfg;
	struct call_cbs cbs;
	void *arg;
	uint8_t pin[FP_LEN];
	struct nssc *tls;
	struct srtpc *srtp;
	ev_timer rtx, hs;
	int busy, zombie, failed, up, closing;
	char why[CALL_ERR_MAX];
	uint64_t rng;
	ev_tstamp last_in;

	/* preamble: client sends it (and its profile) until acknowledged */
	uint8_t pre[CALL_PREAMBLE_MAX];
	size_t npre;
	int pre_acked, pre_got, prof_known, ack_owed;

	/* send queue: [len 2][bytes] records in q[qstart..qend) */
	uint8_t *q;
	size_t qcap, qstart, qend;
	size_t qoff;          /* bytes of the head packet already sent as fragments */
	uint16_t frag_id;
	int want_writable;
	struct lanf_reasm ra;

	/* shaping (shape.c) */
	enum call_profile prof;
	int camera, video_on, shaping;
	struct rtp_stream audio, video;
	ev_timer audio_w, video_w, rtcp_w, bulk_w;
	ev_tstamp audio_next, video_next;
	int dtx_quiet;        /* in a DTX quiet period */
	ev_tstamp dtx_until;
	double bitrate;       /* video, bit/s */
	ev_tstamp next_key;
	ev_tstamp busy_since, idle_since;
	unsigned long long frames;

	/* bulk pacing (pace.h): our sender's bucket, the peer's stream as received */
	struct pace pace;
	struct pace_rx rx;
	ev_timer pace_w, rr_w;

	/* ICE consent freshness (consent.h): the client asks, the server answers */
	struct consent_creds cons;
	int cons_ready, cons_pending;
	uint8_t cons_tid[STUN_TID_LEN];
	uint64_t cons_tiebreak;
	ev_timer cons_w, cons_wait;
	ev_tstamp last_heard;  /* anything from the peer that was ours */
	struct sockaddr_storage peer_addr;
	socklen_t peer_len;

	struct call_stats st;
};

void call_enter(struct call *c);
int call_leave(struct call *c);
void call_fail(struct call *c, const char *why);
void call_send_dgram(struct call *c, const uint8_t *p, size_t n);

int queue_init(struct call *c, size_t bytes);
void queue_free(struct call *c);
int queue_put(struct call *c, const uint8_t *p, size_t n);
size_t queue_room(const struct call *c);
size_t queue_used(const struct call *c);
/* Bytes of the next packets still to send (all queued data). */
size_t queue_pending(const struct call *c);
/*
 * Fill out[cap] with the records owed (preamble, profile, ACK) and as much
 * queued data as fits; pad to cap when pad. Bytes written.
 */
size_t queue_fill(struct call *c, uint8_t *out, size_t cap, int pad);
/* The records owed that are not data (preamble, profile, ACK). */
int queue_owes(const struct call *c);
/* Fire writable if it was refused and there is room again. 1 if the call was freed. */
int queue_maybe_writable(struct call *c);

uint32_t call_rand(struct call *c);
void shape_init(struct call *c);
void shape_start(struct call *c, enum call_profile prof, int camera);
void shape_stop(struct call *c);
/* Data was queued: bulk sends now (as the pacer allows), the clocks may start the camera. */
void shape_kick(struct call *c);
/* An RTP packet arrived: bulk's receiver-report clock runs while packets do. */
void shape_rx(struct call *c);
/* An authenticated, decrypted RTCP packet from the peer (bulk: receiver reports). */
void shape_rtcp(struct call *c, const uint8_t *p, size_t n);

#endif
