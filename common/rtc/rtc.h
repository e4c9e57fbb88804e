/* SPDX-License-Identifier: MIT */
/*
 * A WebRTC peer connection carrying one data channel, as a browser
 * makes one: offer/answer in SDP (proto/sdp), ICE (ice adapter), DTLS
 * with the Firefox persona (nss adapter), SCTP over DTLS (sctp adapter)
 * and one data channel opened with DCEP (proto/dcep).
 *
 * Roles (RFC 5763, 8842): the offerer writes setup:actpass and controls
 * ICE; the answerer writes setup:active and is the DTLS client. Each
 * side pins the other's certificate to the sha-256 fingerprint of its
 * SDP; a client certificate is always presented. The offerer opens the
 * channel (stream id even for the DTLS client, odd for the server,
 * RFC 8832 6); the answerer accepts the first OPEN and acknowledges it.
 *
 * Loss, watched while data moves (a message sent or received): after
 * loss_ms with no datagram from the peer the connection is closed; a
 * quarter of loss_ms of quiet demands one SCTP HEARTBEAT (the peer
 * answers it whatever its stack), and an answered heartbeat with nothing
 * unacknowledged ends the watch. Idle, nothing of ours is sent (SCTP's
 * own 30 s heartbeat and ICE consent, as a browser's); a peer gone while
 * idle is noticed within loss_ms of the next send, or by ICE consent
 * (libnice gives up after about 10 s).
 *
 * Every callback is made from the libev loop, never from inside libnice,
 * NSS or usrsctp's stack frames for closed (deferred), so closed may
 * call rtc_free. Other callbacks must not free.
 */
#ifndef PW_RTC_RTC_H
#define PW_RTC_RTC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RTC_MAX_MSG_DEFAULT 262144 /* max-message-size we accept and advertise (Chrome's) */
#define RTC_LOSS_MS_DEFAULT 1000
#define RTC_CONNECT_MS_DEFAULT 30000 /* from the remote description to the open channel */
#define RTC_LABEL_MAX 256
#define RTC_GATHER_GRACE_MS 50 /* gathering goes on this long after the first srflx candidate */

struct ev_loop;
struct nssc_id;
struct persona;

struct rtc_opts {
	int offerer;
	const char *stun_ip;  /* numeric; NULL: host candidates only */
	uint16_t stun_port;
	const char *label;    /* the channel the offerer opens */
	int unordered;        /* open it unordered */
	size_t max_msg;       /* 0: RTC_MAX_MSG_DEFAULT */
	unsigned loss_ms;     /* 0: RTC_LOSS_MS_DEFAULT */
	unsigned connect_ms;  /* 0: RTC_CONNECT_MS_DEFAULT */
	unsigned gather_ms;   /* >0: the local description after at most this long, with the
	                         candidates gathered by then; 0: once gathering is done */
	struct nssc_id *id;   /* our DTLS identity (required) */
	const struct persona *persona; /* NULL: firefox-webrtc */
	int dtls_max12;
};

struct rtc_cb {
	void (*local_sdp)(void *arg, const char *sdp); /* our offer or answer, candidates gathered */
	void (*open)(void *arg, const char *label);
	void (*message)(void *arg, const uint8_t *p, size_t n, int binary);
	void (*writable)(void *arg);
	void (*closed)(void *arg, const char *reason);
	void *arg;
};

struct rtc;
struct rtc *rtc_new(struct ev_loop *loop, const struct rtc_opts *o, const struct rtc_cb *cb,
                    char *err, size_t errlen);
/*
 * Gather candidates; local_sdp follows (the answerer: once rtc_set_remote
 * was called too, in either order: a volunteer may gather ahead of its
 * next offer). 0/-1.
 */
int rtc_start(struct rtc *r);
/* The peer's offer or answer. 0, or -1 with the reason in err. */
int rtc_set_remote(struct rtc *r, const char *sdp, size_t n, char *err, size_t errlen);
/*
 * Send one message on the open channel: n when queued, 0 when SCTP's
 * buffer is full (writable follows), -1 when closed or n is over what
 * the peer accepts (rtc_max_send).
 */
ssize_t rtc_send(struct rtc *r, const void *p, size_t n, int binary);
size_t rtc_max_send(const struct rtc *r);
/* 1 when gathering ended at gather_ms with no answer from the STUN server. */
int rtc_stun_silent(const struct rtc *r);
/*
 * Stop (1) or resume (0) receiving: while paused no message callback is
 * made and the peer is held back by SCTP's window once
 * SCTPC_RECV_SPACE is waiting; resuming delivers what waits, from
 * inside this call.
 */
void rtc_pause(struct rtc *r, int paused);
/* "ice host 192.0.2.1:… -> host …; DTLSv1.2 0xc02b", for logs. */
const char *rtc_describe(struct rtc *r);
/* SCTP's round trip, windows and retransmissions so far (sctpc_describe), for logs. */
const char *rtc_sctp_describe(struct rtc *r);
/* Close gracefully: what is queued is delivered, then closed ("SCTP shutdown") follows. */
void rtc_shutdown(struct rtc *r);
void rtc_free(struct rtc *r);

/* Snowflake's wrapping, {"type":"offer","sdp":"…"}: a malloc'd string, or NULL. */
char *rtc_sdp_to_json(const char *type, const char *sdp);
/* The sdp of such JSON (malloc'd) when its type is want; NULL otherwise. */
char *rtc_sdp_from_json(const char *json, size_t n, const char *want);

#endif
