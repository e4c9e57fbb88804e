/* SPDX-License-Identifier: MIT */
/*
 * smux protocol version 2 (reference/tor.md §1.10), byte-compatible with
 * xtaci/smux v1.5.x as Snowflake configures it. A pure session engine:
 * no sockets, no event loop, no clock. The caller feeds it the bytes of
 * the reliable stream underneath (KCP) with smux_input(), takes bytes to
 * send through the output callback, and passes the time to smux_tick().
 *
 * Frame: ver u8 (2), cmd u8, length u16 LE, sid u32 LE, then length
 * bytes. SYN, FIN and NOP carry nothing; UPD carries consumed u32 LE and
 * window u32 LE; PSH carries data. Any other shape kills the session.
 *
 * Streams belong to the caller: the engine never frees one behind its
 * back. FIN is a half-close both ways (smux_read returns 0, writes still
 * go out; after smux_shutdown, data still comes in); smux_close is the
 * one way a stream goes away, as with a socket. smux v2 has no reset.
 *
 * Callbacks may call smux_read, smux_write, smux_shutdown, smux_close,
 * smux_open and smux_flush on the same session, never smux_input or
 * smux_free. output may call nothing on the session.
 *
 * As Go does: a SYN for a known sid, and PSH, FIN or UPD for an unknown
 * one, are ignored (they race with a close); PSH payloads up to 65535 are
 * accepted although we send at most frame_max. Where Go would misparse or
 * grow without bound we end the session instead: SYN/FIN/NOP with a
 * payload or UPD with length other than 8 (Go reads a fixed size and
 * loses sync; it never sends these), and a PSH that would leave more than
 * max(stream_window, 256 KiB) unread on a stream (an honest sender
 * cannot). A SYN beyond streams_max, or for sid 0 (which Go never
 * opens), is answered with FIN: no stream here ever has id 0.
 */
#ifndef PW_SMUX_H
#define PW_SMUX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SMUX_VERSION 2
#define SMUX_HDR_LEN 8
#define SMUX_UPD_LEN 8        /* UPD payload: consumed, window */

#define SMUX_CMD_SYN 0
#define SMUX_CMD_FIN 1
#define SMUX_CMD_PSH 2
#define SMUX_CMD_NOP 3
#define SMUX_CMD_UPD 4

/* Defaults: Go smux DefaultConfig() with Snowflake's overrides. */
#define SMUX_FRAME_MAX 32768           /* MaxFrameSize: PSH payload we send */
#define SMUX_PSH_MAX 65535             /* PSH payload we accept (u16; Go accepts it) */
#define SMUX_STREAM_WINDOW 1048576     /* MaxStreamBuffer (Snowflake StreamSize) */
#define SMUX_SESSION_WINDOW 4194304    /* MaxReceiveBuffer (Go default, kept) */
#define SMUX_INITIAL_PEER_WINDOW 262144 /* assumed peer window before its first UPD */
#define SMUX_KEEPALIVE_MS 10000        /* KeepAliveInterval */
#define SMUX_TIMEOUT_CLIENT_MS 600000  /* KeepAliveTimeout, Snowflake client */
#define SMUX_TIMEOUT_SERVER_MS 240000  /* KeepAliveTimeout, Snowflake server */
#define SMUX_STREAMS_MAX 4096          /* ours: streams per session, closing ones included */

struct membudget;

struct smux_hdr {
	uint8_t ver;
	uint8_t cmd;
	uint16_t len;
	uint32_t sid;
};

/*
 * Decode a frame header. Return SMUX_HDR_LEN, 0 when more input is
 * needed, -1 for a version other than 2, an unknown command, or a length
 * that does not fit the command (SYN/FIN/NOP not 0, UPD not 8). Errors
 * are reported as soon as the offending byte is present.
 */
ssize_t smux_hdr_decode(const uint8_t *p, size_t n, struct smux_hdr *h);

/* Write the 8 header bytes of h to out. */
void smux_hdr_encode(uint8_t out[SMUX_HDR_LEN], const struct smux_hdr *h);

/* One whole frame in p: header and payload. Return its size, 0, or -1. */
ssize_t smux_frame_decode(const uint8_t *p, size_t n, struct smux_hdr *h,
    const uint8_t **payload);

struct smux_config {
	uint32_t frame_max;      /* 1..65535: PSH payload per frame sent */
	uint32_t stream_window;  /* receive window per stream, announced in UPD */
	uint32_t session_window; /* receive bytes buffered per session, all streams */
	uint32_t keepalive_ms;   /* NOP interval; 0 disables NOPs and the timeout */
	uint32_t timeout_ms;     /* session dies after this long with nothing received */
	uint32_t streams_max;    /* a SYN beyond this is answered with FIN */
	/*
	 * Charged for received data chunks and streams, by allocation size;
	 * never refused (session_window and streams_max bound them), so the
	 * owner's budget sees what smux holds. NULL: not counted.
	 */
	struct membudget *mb;
};

/* Snowflake's values for one side. */
void smux_config_default(struct smux_config *cfg, int is_client);

struct smux_cb {
	/*
	 * Bytes for the stream underneath. Return how many were taken (0..n);
	 * the engine keeps the rest (at most one frame) and offers it again on
	 * smux_flush(). Required.
	 */
	size_t (*output)(void *arg, const uint8_t *p, size_t n);
	/* The peer opened sid. NULL: peer-opened streams are refused (FIN). */
	void (*accept)(void *arg, uint32_t sid);
	/*
	 * Data or the peer's FIN arrived on sid: smux_read has something.
	 * Edge-triggered, once per arrival: read until EAGAIN or leave it
	 * (a slow reader simply lets the window close).
	 */
	void (*readable)(void *arg, uint32_t sid);
	/* smux_write on sid, refused or cut short before, may go on. */
	void (*writable)(void *arg, uint32_t sid);
};

struct smux;

/*
 * A new session; cfg NULL means smux_config_default(is_client). NULL
 * with errno EINVAL for a bad configuration (Go's VerifyConfig rules:
 * stream_window <= session_window <= INT32_MAX, timeout >= keepalive)
 * or ENOMEM.
 */
struct smux *smux_new(int is_client, const struct smux_config *cfg, const struct smux_cb *cb,
    void *arg, uint64_t now_ms);
void smux_free(struct smux *s);

/*
 * Bytes from the stream underneath. Return how many were consumed:
 * fewer than n when the session's receive buffer is full (keep the rest
 * and offer it again once smux_want_input() says so), -1 when the
 * session died (protocol error, out of memory; smux_error says which).
 * A partial frame is held inside: at most one header or UPD payload,
 * PSH data goes straight to its stream.
 */
ssize_t smux_input(struct smux *s, const uint8_t *p, size_t n);

/* 1 when smux_input would consume something now. */
int smux_want_input(const struct smux *s);

/*
 * Open a stream (sends SYN). Client ids are odd from 3, server ids even
 * from 2, as Go counts. 0, or -1 with errno EMFILE (streams_max), ENOSPC
 * (ids used up: start a new session), ENOMEM, ECONNRESET (dead).
 */
int smux_open(struct smux *s, uint32_t *sid);

/*
 * Queue data on sid. Return bytes taken (split into frames of at most
 * frame_max): fewer than n, maybe 0, when the peer's window or the
 * output is full; writable() follows when it is worth trying again.
 * n == 0 returns 0. -1 with errno EBADF (no such stream), EPIPE (after
 * smux_shutdown), EPROTO (the peer acknowledged more than was sent; Go's
 * ErrConsumed), ECONNRESET (session dead).
 */
ssize_t smux_write(struct smux *s, uint32_t sid, const uint8_t *p, size_t n);

/*
 * Read buffered data from sid, announcing consumption to the peer with
 * UPD as Go does. >0 bytes; 0 at EOF (peer's FIN and nothing left); -1
 * with errno EAGAIN (nothing yet), EBADF, EINVAL (n == 0), ECONNRESET.
 */
ssize_t smux_read(struct smux *s, uint32_t sid, uint8_t *buf, size_t n);

/*
 * After a smux_read that returned data: 1 when the only frame it queued
 * is a first read's UPD on a stream that has received under a quarter of
 * the window the peer assumes (SMUX_INITIAL_PEER_WINDOW) — no writer can
 * be waiting for it, so it need not leave in a datagram of its own. 0
 * when it queued nothing or an UPD the peer may wait for.
 */
int smux_read_upd_can_wait(const struct smux *s);

/*
 * Raise the window announced in every later UPD (never lowered; at most
 * INT32_MAX), for a path whose bandwidth-delay product outgrows
 * cfg.stream_window. It may pass session_window: what this end buffers is
 * still bounded by session_window, since input stops while the buffer is
 * full, and what the peer has in flight beyond it waits underneath (KCP's
 * windows). Streams the peer writes on get an UPD at once; later ones
 * still go out each half of cfg.stream_window consumed.
 */
void smux_set_window(struct smux *s, uint32_t window);
/* The window announced now. */
uint32_t smux_window(const struct smux *s);

/* Send FIN: no more writes on sid; reading goes on. 0 or -1 (EBADF, ECONNRESET). */
int smux_shutdown(struct smux *s, uint32_t sid);

/* 1 when sid has sent its FIN (or owes it) and received the peer's; 0 otherwise. */
int smux_finished(const struct smux *s, uint32_t sid);

/* Forget sid: FIN if not sent yet, buffered data dropped. Unknown sid: no-op. */
void smux_close(struct smux *s, uint32_t sid);

/*
 * Offer held output again (call when the stream underneath has room).
 * 0 when everything is out, 1 when output is still full, -1 if dead.
 * While output is held, smux_write takes nothing and control frames
 * (SYN, UPD, FIN) wait in order on their streams, so held output never
 * exceeds one frame however long the stream underneath stays full.
 */
int smux_flush(struct smux *s);

/* 1 while output is held. */
int smux_blocked(const struct smux *s);

/*
 * Keepalive: a NOP every keepalive_ms, and death when nothing has been
 * received for timeout_ms (not while our own receive buffer is full, as
 * in Go). 0, or -1 when the session is dead.
 */
int smux_tick(struct smux *s, uint64_t now_ms);

/* When smux_tick wants to run next (absolute ms); UINT64_MAX: never. */
uint64_t smux_next_tick(const struct smux *s);

int smux_dead(const struct smux *s);
/* Why the session died, or NULL. */
const char *smux_error(const struct smux *s);
/* Streams open from the caller's point of view (not yet smux_close'd). */
size_t smux_nstreams(const struct smux *s);

#endif
