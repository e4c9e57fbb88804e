/* SPDX-License-Identifier: MIT */
/*
 * smux internals shared by smux.c (session, input, output, API),
 * smux_stream.c (stream table and receive buffers) and smux_frame.c
 * (header codec). Not for use outside those files.
 */
#ifndef PW_SMUX_IMPL_H
#define PW_SMUX_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "tt/smux.h"

/* Small PSH frames share chunks of this size, so 1-byte frames cost ~1 byte. */
#define SMUX_CHUNK_MIN 2048
#define SMUX_TAB_BITS_MIN 4

#define ST_FIN_SENT 0x001 /* smux_shutdown: FIN sent or owed, no more writes */
#define ST_FIN_RCVD 0x002
#define ST_CLOSED 0x004   /* smux_close: kept only until its owed frames are out */
#define ST_OWE_SYN 0x008
#define ST_OWE_UPD 0x010
#define ST_OWE_FIN 0x020
#define ST_OWED 0x040     /* on the owed list */
#define ST_WANT_WIN 0x080 /* a write hit the peer's window: writable on UPD */
#define ST_WANT_OUT 0x100 /* a write hit held output: sid is in wq */

enum { RX_HDR, RX_PSH, RX_UPD };

struct chunk {
	struct chunk *next;
	uint32_t cap, fill, off;
	uint8_t data[];
};

struct stream {
	uint32_t sid;
	uint32_t flags;
	uint32_t rbytes;        /* buffered + still due of the PSH being received */
	uint32_t nread;         /* Go's numRead: consumed by the app, mod 2^32 */
	uint32_t incr;          /* consumed since the last UPD */
	uint32_t written;       /* Go's numWritten, mod 2^32 */
	uint32_t peer_consumed; /* from the peer's last UPD */
	uint32_t peer_window;
	struct chunk *head, *tail;
	struct stream *owed_next;
};

struct smux {
	struct smux_cb cb;
	void *arg;
	struct smux_config cfg;
	const char *why; /* NULL while alive */
	int is_client, goaway, notifying, rx_seen;
	int upd_can_wait; /* the last smux_read's UPD (if any) is only the first-read announcement */
	uint32_t next_sid;
	int64_t bucket; /* session_window minus all streams' rbytes */
	uint32_t window; /* announced in UPD: cfg.stream_window, raised by smux_set_window */

	struct stream **tab; /* open addressing, linear probing */
	uint32_t tbits, tcount, nlive;

	int rx_state;
	uint8_t hdr[SMUX_HDR_LEN], upd[SMUX_UPD_LEN];
	uint32_t hfill, ufill, rx_left, rx_sid;
	struct stream *rx_st; /* where PSH bytes go; NULL: skip them */

	uint8_t *pend; /* unsent tail of one frame */
	size_t pend_len, pend_off;
	struct stream *owed_head, *owed_tail;
	uint32_t *wq, wq_len, wq_cap; /* sids waiting for held output to drain */

	uint64_t last_rx, next_nop;
};

static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline void
frame_hdr(uint8_t *out, uint8_t cmd, uint16_t len, uint32_t sid)
{
	struct smux_hdr h = { SMUX_VERSION, cmd, len, sid };

	smux_hdr_encode(out, &h);
}

/* smux.c: the reason a session died of memory (compared by address). */
extern const char smux_enomem[];

/*
 * smux_out.c: output. smux_o_die ends the session with why; blocked: a
 * held tail or owed control frames wait; frame: offer one frame (a, then
 * b), committed either way: 0 all taken, 1 some held, -1 dead; ctrl: a
 * control frame now, or owed; want_out: sid waits for held output to
 * drain (its writable callback); flush: send what is held and owed, then
 * tell waiting writers: -1 dead, 1 still held, 0 clear.
 */
void smux_o_die(struct smux *s, const char *why);
int smux_o_blocked(const struct smux *s);
int smux_o_frame(struct smux *s, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
int smux_o_ctrl(struct smux *s, struct stream *st, uint32_t what);
void smux_o_want_out(struct smux *s, struct stream *st);
int smux_o_flush(struct smux *s);

/* smux_stream.c: the table owns every stream; ids are looked up in O(1). */
struct stream *smux_lookup(const struct smux *s, uint32_t sid);
/* A new stream in the table, or NULL (out of memory). */
struct stream *smux_stream_new(struct smux *s, uint32_t sid);
/* Drop buffered data and give its bytes back to the session. */
void smux_stream_drop(struct smux *s, struct stream *st);
void smux_stream_free(struct smux *s, struct stream *st);
void smux_streams_free_all(struct smux *s);
/* Append received bytes; due is what is left of the frame. -1: no memory. */
int smux_stream_append(struct smux *s, struct stream *st, const uint8_t *p, size_t n, uint32_t due);
/* Copy out up to n buffered bytes, freeing drained chunks; bytes copied. */
size_t smux_stream_take(struct smux *s, struct stream *st, uint8_t *buf, size_t n);

#endif
