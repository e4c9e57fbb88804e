/* SPDX-License-Identifier: MIT */
/*
 * One lanturn call (issue 15, pipeworks-protocol(5) "lanturn"): DTLS on
 * the NSS adapter, SRTP AES_CM_128_HMAC_SHA1_80 keyed from the DTLS
 * exporter, our record framing inside RTP payloads, and a media profile
 * that shapes what leaves. The call has no socket: every datagram it
 * wants on the wire goes out through cbs->send (the client hands it to
 * its TURN channel, lanturn-egress to its UDP socket) and every datagram
 * that arrives for it goes in through call_input. libev timers run
 * inside (DTLS retransmission, the profile's packet clock, RTCP, the
 * handshake timeout).
 *
 * Roles: the client is the DTLS client (Firefox's WebRTC persona, the
 * server's certificate pinned by cfg->pin, its own certificate
 * presented); the server answers as Firefox answers, requires the
 * client's certificate, and does not pin it (any client may call;
 * authentication of the session is the Turbo Tunnel layer's job).
 *
 * What the call carries: first a preamble (the carrier preamble of
 * preamble.h, client to server, set with call_set_preamble before or
 * after call_start), delivered exactly once and reliably (it is repeated
 * in every packet until the peer's acknowledgement comes back), then
 * encapsulated Turbo Tunnel packets in both directions, each one
 * delivered whole by cbs->packet or not at all (a fragment lost on the
 * wire loses its packet; KCP above retransmits).
 *
 * Backpressure, never loss of what it was handed: call_write takes one
 * packet whole, or refuses it (-1, errno EAGAIN) when the profile's
 * queue is full; cbs->writable fires once room comes back after a
 * refusal. call_room says how many bytes would be accepted now.
 *
 * Callbacks run from call_input, call_write or a timer. Any of them may
 * call call_free on this call except send (which must just send); after
 * failed the call only waits to be freed.
 *
 * ICE consent freshness (consent.h): once up, the client sends a STUN
 * Binding request to the server every 4-6 s, as a browser does through
 * its TURN relay, and the server answers it; both authenticate with ICE
 * credentials drawn from the DTLS exporter. A request left unanswered
 * for CONSENT_WAIT while nothing else came from the peer for as long
 * fires cbs->silent; for bulk, whose idle peer may be silent for 5.5 s
 * between sender reports, the silence must last CONSENT_SILENCE_BULK.
 *
 * Limits: a packet is at most CALL_PKT_MAX bytes, the preamble at most
 * CALL_PREAMBLE_MAX; the send queue holds at most cfg->queue_bytes
 * (default CALL_QUEUE_DEFAULT, but 16 KiB for opus without the camera:
 * about 2 s of its capacity, so KCP's timers see the path, not a
 * backlog); the reassembly of incoming packets at most CALL_PKT_MAX
 * bytes in flight.
 */
#ifndef PW_CALL_CALL_H
#define PW_CALL_CALL_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "nss/fp.h"

#define CALL_PKT_MAX 2048          /* largest encapsulated packet carried */
#define CALL_PREAMBLE_MAX 64       /* largest preamble */
#define CALL_QUEUE_DEFAULT 65536   /* bytes queued for sending */
#define CALL_HANDSHAKE_TIMEOUT 10.0 /* seconds from call_start to up */
#define CALL_ERR_MAX 256

enum call_role {
	CALL_CLIENT,
	CALL_SERVER,
};

enum call_profile {
	CALL_PROFILE_OPUS,  /* 50 pps always, 110-169-byte payloads, RTCP SR every ~5 s */
	CALL_PROFILE_VIDEO, /* 30 fps, frames in <= 1200-byte packets, 0.3-2.5 Mbit/s by demand */
	CALL_PROFILE_BULK,  /* no shaping, but paced: a rate that follows the peer's loss reports */
};

/* "opus" "video" "bulk" <-> the profile; -1 for an unknown name. */
int call_profile_parse(const char *name);
const char *call_profile_name(enum call_profile p);

struct nssc_id;

struct call_cfg {
	enum call_role role;
	enum call_profile profile;
	struct nssc_id *id;    /* required: our certificate (not owned) */
	const uint8_t *pin;    /* client: FP_LEN bytes, the server's certificate (required) */
	int dtx;               /* opus: upstream's DTX state machine (quiet periods at 1 pps) */
	int camera;            /* opus: turn to video while data waits, back to audio when idle */
	size_t queue_bytes;    /* 0: by profile (see above) */
	double handshake_timeout; /* 0: CALL_HANDSHAKE_TIMEOUT */
};

struct call_cbs {
	/* One datagram for the wire (DTLS record or SRTP/SRTCP packet). */
	void (*send)(void *arg, const uint8_t *dgram, size_t n);
	/* Server: the client's preamble arrived (once). */
	void (*preamble)(void *arg, const uint8_t *p, size_t n);
	/* One encapsulated packet from the peer. */
	void (*packet)(void *arg, const uint8_t *p, size_t n);
	/* Room again after call_write refused. */
	void (*writable)(void *arg);
	/* DTLS done, SRTP keyed: call_write is accepted from now on. */
	void (*up)(void *arg);
	/* Fatal (handshake failed or timed out, pin mismatch, DTLS error). */
	void (*failed)(void *arg, const char *why);
	/*
	 * Client: the path to the peer looks dead (consent checks unanswered
	 * and nothing else heard, see below). The call itself is intact; the
	 * owner decides (lanturn-client replaces it). Optional.
	 */
	void (*silent)(void *arg, const char *why);
};

struct call_stats {
	unsigned long long pkts_out, bytes_out;   /* datagrams sent, all kinds */
	unsigned long long rtp_out, rtcp_out;     /* SRTP / SRTCP sent */
	unsigned long long pkts_in, bytes_in;     /* datagrams fed in */
	unsigned long long rtp_in, rtcp_in;       /* authenticated SRTP / SRTCP */
	unsigned long long bad_in;                /* dropped: demux, auth, framing */
	unsigned long long tt_out, tt_in;         /* encapsulated packets written / delivered */
	unsigned long long tt_bytes_out, tt_bytes_in;
	/* bulk pacing: receiver reports sent / taken, rate cuts, waits for tokens, the rate (bytes/s) */
	unsigned long long rr_out, rr_in, pace_cuts, pace_waits;
	double pace_rate;
	/* the bulk window: waits, seconds closed; round trips (send to report) */
	unsigned long long wnd_waits, rtt_samples;
	double wnd_closed, rtt_min, rtt_sum;
	unsigned wnd, wnd_top;                    /* the window now and at its largest, packets */
	/* ICE consent: client requests sent / answered; server requests answered */
	unsigned long long consent_out, consent_ok, consent_in;
	size_t queued;                            /* bytes waiting in the send queue */
	int up;
	int video;                                /* currently shaping as video */
};

struct call;

/* A call, not started. NULL with a reason in err. */
struct call *call_new(struct ev_loop *loop, const struct call_cfg *cfg, const struct call_cbs *cbs,
                      void *arg, char *err, size_t errlen);
/* Client: send the first DTLS flight; server: wait for it. 0/-1. */
int call_start(struct call *c);
/* One datagram from the peer (first-byte demux inside; junk is counted and dropped). */
void call_input(struct call *c, const uint8_t *dgram, size_t n);
/* Client: the preamble to deliver first (copied). 0, or -1 (too long, already set, server). */
int call_set_preamble(struct call *c, const uint8_t *p, size_t n);
/* Queue one encapsulated packet: 0, or -1 (errno EAGAIN: full, writable fires later; EMSGSIZE). */
int call_write(struct call *c, const uint8_t *pkt, size_t n);
/* Server: the peer's address as we see it, for consent responses' XOR-MAPPED-ADDRESS. */
void call_set_peer_addr(struct call *c, const struct sockaddr *sa, socklen_t len);
/* Bytes call_write would take now (0 before up). */
size_t call_room(const struct call *c);
void call_stats(const struct call *c, struct call_stats *st);
/* Bytes this call holds (queues, reassembly, DTLS, SRTP), for memory budgets. */
/*
 * Whether the peer owes us an answer, so that its silence means something:
 * during the handshake and in the media profiles (the peer streams media
 * all the time) always; in a bulk call only while packets we sent wait for
 * the peer's receiver report (an idle bulk call is quiet both ways).
 */
int call_owed(const struct call *c);
size_t call_memory(const struct call *c);
/* The peer's certificate fingerprint once up: 0/-1. */
int call_peer_fingerprint(const struct call *c, uint8_t d[FP_LEN]);
/* Stop the timers, close DTLS quietly, free everything. NULL is fine. */
void call_free(struct call *c);

#endif
