/* SPDX-License-Identifier: MIT */
/*
 * smux v2 session engine (see smux.h). Behaviour follows xtaci/smux
 * v1.5.16 (Debian's golang-github-xtaci-smux-dev) wherever it is visible
 * on the wire: ids, UPD timing and values, window arithmetic, which
 * frames are ignored. Where Go would grow memory or desynchronise, we
 * refuse instead, and say so below.
 *
 * Memory. An idle session is one struct, a few hundred bytes; the stream
 * table and receive buffers (smux_stream.c) exist only while streams do.
 * Received data per stream is bounded by the receive window; all streams
 * together by session_window ("bucket", as Go calls it). Output the
 * stream underneath refused is kept as one heap copy of
 * the unsent tail of one frame; while it exists no new data frame is
 * made, and control frames are recorded as flags on their stream (the
 * "owed" list) and sent, in order, when it drains.
 *
 * Re-entrancy: callbacks run only at points where the engine's state is
 * consistent, and nothing is touched through a stream pointer after a
 * callback that might have closed it.
 */
#include "tt/smux.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tt/smux_impl.h"

const char smux_enomem[] = "out of memory";

/* ---- configuration ----------------------------------------------------- */

void
smux_config_default(struct smux_config *cfg, int is_client)
{
	cfg->frame_max = SMUX_FRAME_MAX;
	cfg->stream_window = SMUX_STREAM_WINDOW;
	cfg->session_window = SMUX_SESSION_WINDOW;
	cfg->keepalive_ms = SMUX_KEEPALIVE_MS;
	cfg->timeout_ms = is_client ? SMUX_TIMEOUT_CLIENT_MS : SMUX_TIMEOUT_SERVER_MS;
	cfg->streams_max = SMUX_STREAMS_MAX;
	cfg->mb = NULL;
}

static int
config_ok(const struct smux_config *c)
{
	if (c->frame_max == 0 || c->frame_max > SMUX_PSH_MAX)
		return 0;
	if (c->stream_window == 0 || c->stream_window > c->session_window ||
	    c->session_window > INT32_MAX)
		return 0;
	if (c->keepalive_ms != 0 && c->timeout_ms < c->keepalive_ms)
		return 0;
	return c->streams_max > 0;
}


static struct stream *
live(struct smux *s, uint32_t sid)
{
	struct stream *st;

	if (s->why != NULL) {
		errno = ECONNRESET;
		return NULL;
	}
	st = smux_lookup(s, sid);
	if (st == NULL || (st->flags & ST_CLOSED)) {
		errno = EBADF;
		return NULL;
	}
	return st;
}

/* ---- session ----------------------------------------------------------- */

struct smux *
smux_new(int is_client, const struct smux_config *cfg, const struct smux_cb *cb, void *arg,
    uint64_t now_ms)
{
	struct smux *s;

	if (cb == NULL || cb->output == NULL || (cfg != NULL && !config_ok(cfg))) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->cb = *cb;
	s->arg = arg;
	if (cfg != NULL)
		s->cfg = *cfg;
	else
		smux_config_default(&s->cfg, is_client);
	s->is_client = !!is_client;
	/* Go: client counter 1, server 0, plus 2 before each use. */
	s->next_sid = is_client ? 1 : 0;
	s->bucket = s->cfg.session_window;
	s->window = s->cfg.stream_window;
	s->last_rx = now_ms;
	s->next_nop = now_ms + s->cfg.keepalive_ms;
	return s;
}

void
smux_free(struct smux *s)
{
	if (s == NULL)
		return;
	smux_streams_free_all(s);
	free(s->pend);
	free(s->wq);
	free(s);
}

int
smux_dead(const struct smux *s)
{
	return s->why != NULL;
}

const char *
smux_error(const struct smux *s)
{
	return s->why;
}

size_t
smux_nstreams(const struct smux *s)
{
	return s->nlive;
}

int
smux_blocked(const struct smux *s)
{
	return smux_o_blocked(s);
}

int
smux_flush(struct smux *s)
{
	return smux_o_flush(s);
}

int
smux_want_input(const struct smux *s)
{
	return s->why == NULL && (s->rx_state != RX_HDR || s->hfill > 0 || s->bucket > 0);
}

/* ---- input ------------------------------------------------------------- */

/*
 * A SYN for a sid we have is ignored, as Go does. Beyond streams_max (or
 * with no accept callback) the stream is refused with a FIN, which a Go
 * peer reads as EOF; if output is held even that is skipped, so a SYN
 * flood costs nothing. Sid 0 is refused too: Go never opens it (its
 * counters start at 1 and 0 and add 2 first) and callers may use 0 as
 * "no stream".
 */
static int
on_syn(struct smux *s, uint32_t sid)
{
	struct stream *st;
	uint8_t f[SMUX_HDR_LEN];

	if (smux_lookup(s, sid) != NULL)
		return 0;
	if (sid == 0 || s->tcount >= s->cfg.streams_max || s->cb.accept == NULL) {
		if (smux_o_blocked(s))
			return 0;
		frame_hdr(f, SMUX_CMD_FIN, 0, sid);
		return smux_o_frame(s, f, sizeof(f), NULL, 0) < 0 ? -1 : 0;
	}
	st = smux_stream_new(s, sid);
	if (st == NULL) {
		smux_o_die(s, smux_enomem);
		return -1;
	}
	s->cb.accept(s->arg, sid);
	return 0;
}

/*
 * A PSH for an unknown or closed sid is read and dropped, as Go does (it
 * raced with our FIN). For a live stream the whole length is reserved
 * now. An honest sender never has more than our window (or the initial
 * 256 KiB it assumes before our first UPD) unread at our end; Go would
 * buffer a cheater's excess and stall the session, we end it.
 */
static int
on_psh(struct smux *s, uint32_t sid, uint32_t len)
{
	struct stream *st = smux_lookup(s, sid);
	uint32_t limit = s->window;

	s->rx_left = len;
	s->rx_st = NULL;
	if (len == 0)
		return 0;
	s->rx_state = RX_PSH;
	if (st == NULL || (st->flags & ST_CLOSED))
		return 0;
	if (limit < SMUX_INITIAL_PEER_WINDOW)
		limit = SMUX_INITIAL_PEER_WINDOW;
	if ((uint64_t)st->rbytes + len > limit) {
		smux_o_die(s, "peer overran the stream window");
		return -1;
	}
	st->rbytes += len;
	s->bucket -= len;
	s->rx_st = st;
	return 0;
}

static int
on_header(struct smux *s, const struct smux_hdr *h)
{
	struct stream *st;

	s->rx_seen = 1;
	switch (h->cmd) {
	case SMUX_CMD_SYN:
		return on_syn(s, h->sid);
	case SMUX_CMD_FIN:
		st = smux_lookup(s, h->sid);
		if (st != NULL && !(st->flags & (ST_CLOSED | ST_FIN_RCVD))) {
			st->flags |= ST_FIN_RCVD;
			if (s->cb.readable != NULL)
				s->cb.readable(s->arg, h->sid);
		}
		return 0;
	case SMUX_CMD_PSH:
		return on_psh(s, h->sid, h->len);
	case SMUX_CMD_UPD:
		s->rx_state = RX_UPD;
		s->rx_sid = h->sid;
		s->ufill = 0;
		return 0;
	default: /* NOP */
		return 0;
	}
}

/*
 * Go's window arithmetic: inflight = int32(written - peerConsumed),
 * negative meaning the peer acknowledged bytes never sent (ErrConsumed);
 * room = int32(peerWindow) - inflight. Counters wrap mod 2^32 and the
 * difference stays right; the subtraction is done in 64 bits because a
 * hostile UPD can push it past int32.
 */
static int64_t
send_room(const struct stream *st, int32_t *inflight)
{
	*inflight = (int32_t)(st->written - st->peer_consumed);
	return (int64_t)(int32_t)st->peer_window - *inflight;
}

static void
on_upd(struct smux *s)
{
	struct stream *st = smux_lookup(s, s->rx_sid);
	int32_t inflight;

	if (st == NULL || (st->flags & ST_CLOSED))
		return;
	/* Stored as sent, not max'ed: Go does the same. */
	st->peer_consumed = get32(s->upd);
	st->peer_window = get32(s->upd + 4);
	if ((st->flags & ST_WANT_WIN) && send_room(st, &inflight) > 0) {
		st->flags &= ~ST_WANT_WIN;
		if (s->cb.writable != NULL)
			s->cb.writable(s->arg, st->sid);
	}
}

ssize_t
smux_input(struct smux *s, const uint8_t *p, size_t n)
{
	size_t off = 0, k;
	struct smux_hdr h;
	ssize_t r;

	if (s->why != NULL) {
		errno = ECONNRESET;
		return -1;
	}
	while (off < n) {
		switch (s->rx_state) {
		case RX_HDR:
			/* Like Go's recvLoop: no new frame while the bucket is empty. */
			if (s->hfill == 0 && s->bucket <= 0)
				return (ssize_t)off;
			k = SMUX_HDR_LEN - s->hfill;
			if (k > n - off)
				k = n - off;
			memcpy(s->hdr + s->hfill, p + off, k);
			s->hfill += (uint32_t)k;
			off += k;
			r = smux_hdr_decode(s->hdr, s->hfill, &h);
			if (r < 0) {
				smux_o_die(s, "bad frame header");
				break;
			}
			if (r == 0)
				break;
			s->hfill = 0;
			if (on_header(s, &h) < 0)
				break;
			break;
		case RX_PSH:
			k = s->rx_left;
			if (k > n - off)
				k = n - off;
			if (s->rx_st != NULL && smux_stream_append(s, s->rx_st, p + off, k, s->rx_left) < 0) {
				smux_o_die(s, smux_enomem);
				break;
			}
			off += k;
			s->rx_left -= (uint32_t)k;
			if (s->rx_left == 0)
				s->rx_state = RX_HDR;
			if (s->rx_st != NULL) {
				uint32_t sid = s->rx_st->sid;

				if (s->rx_left == 0)
					s->rx_st = NULL;
				if (s->cb.readable != NULL)
					s->cb.readable(s->arg, sid);
			}
			break;
		case RX_UPD:
			k = SMUX_UPD_LEN - s->ufill;
			if (k > n - off)
				k = n - off;
			memcpy(s->upd + s->ufill, p + off, k);
			s->ufill += (uint32_t)k;
			off += k;
			if (s->ufill == SMUX_UPD_LEN) {
				s->rx_state = RX_HDR;
				on_upd(s);
			}
			break;
		}
		if (s->why != NULL) {
			errno = s->why == smux_enomem ? ENOMEM : EPROTO;
			return -1;
		}
	}
	return (ssize_t)off;
}

/* ---- streams ----------------------------------------------------------- */

int
smux_open(struct smux *s, uint32_t *sid)
{
	struct stream *st;
	uint32_t id;

	if (s->why != NULL) {
		errno = ECONNRESET;
		return -1;
	}
	if (s->tcount >= s->cfg.streams_max) {
		errno = EMFILE;
		return -1;
	}
	/* Skip ids the peer took with its own SYNs; Go would clobber them. */
	do {
		if (s->goaway) {
			errno = ENOSPC;
			return -1;
		}
		s->next_sid += 2;
		id = s->next_sid;
		if (id == id % 2) /* wrapped: Go's ErrGoAway */
			s->goaway = 1;
	} while (s->goaway || smux_lookup(s, id) != NULL);
	st = smux_stream_new(s, id);
	if (st == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (smux_o_ctrl(s, st, ST_OWE_SYN) < 0) {
		errno = ECONNRESET;
		return -1;
	}
	*sid = id;
	return 0;
}

ssize_t
smux_write(struct smux *s, uint32_t sid, const uint8_t *p, size_t n)
{
	struct stream *st = live(s, sid);
	uint8_t h[SMUX_HDR_LEN];
	size_t todo, sent = 0, sz;
	int32_t inflight;
	int64_t win;
	int r = 0;

	if (st == NULL)
		return -1;
	if (n == 0)
		return 0;
	/* Held output first; its writable callbacks may change this stream. */
	if (smux_o_flush(s) < 0) {
		errno = ECONNRESET;
		return -1;
	}
	if ((st = live(s, sid)) == NULL)
		return -1;
	if (st->flags & ST_FIN_SENT) {
		errno = EPIPE;
		return -1;
	}
	if (smux_o_blocked(s)) {
		smux_o_want_out(s, st);
		return 0;
	}
	win = send_room(st, &inflight);
	if (inflight < 0) {
		errno = EPROTO;
		return -1;
	}
	if (win <= 0) {
		st->flags |= ST_WANT_WIN;
		return 0;
	}
	todo = (uint64_t)win < n ? (size_t)win : n;
	while (sent < todo && r == 0) {
		sz = todo - sent;
		if (sz > s->cfg.frame_max)
			sz = s->cfg.frame_max;
		frame_hdr(h, SMUX_CMD_PSH, (uint16_t)sz, sid);
		st->written += (uint32_t)sz;
		r = smux_o_frame(s, h, sizeof(h), p + sent, sz);
		if (r < 0) {
			errno = ECONNRESET;
			return -1;
		}
		sent += sz;
	}
	if (sent < n) {
		if (smux_o_blocked(s))
			smux_o_want_out(s, st);
		else
			st->flags |= ST_WANT_WIN;
	}
	return (ssize_t)sent;
}

ssize_t
smux_read(struct smux *s, uint32_t sid, uint8_t *buf, size_t n)
{
	struct stream *st = live(s, sid);
	size_t got;

	if (st == NULL)
		return -1;
	if (n == 0) {
		errno = EINVAL;
		return -1;
	}
	got = smux_stream_take(s, st, buf, n);
	if (got == 0) {
		if (st->flags & ST_FIN_RCVD)
			return 0;
		errno = EAGAIN;
		return -1;
	}
	st->rbytes -= (uint32_t)got;
	s->bucket += (int64_t)got;
	st->nread += (uint32_t)got;
	st->incr += (uint32_t)got;
	/* Go: announce at the first read, then each half window consumed. */
	s->upd_can_wait = 0;
	if (st->incr >= s->cfg.stream_window / 2 || st->nread == (uint32_t)got) {
		/*
		 * A first read of a stream that has received little: the peer
		 * is far from the window it assumes, so nothing waits for the
		 * announcement and it may ride with the next datagram.
		 */
		s->upd_can_wait = st->incr < s->cfg.stream_window / 2 &&
		                  (uint64_t)st->nread + st->rbytes < SMUX_INITIAL_PEER_WINDOW / 4;
		st->incr = 0;
		if (smux_o_ctrl(s, st, ST_OWE_UPD) < 0) {
			errno = ECONNRESET;
			return -1;
		}
	}
	return (ssize_t)got;
}

int
smux_read_upd_can_wait(const struct smux *s)
{
	return s->upd_can_wait;
}

void
smux_set_window(struct smux *s, uint32_t window)
{
	uint32_t i;

	/* Never lowered: the peer may already be using what we announced. */
	if (window <= s->window || window > INT32_MAX)
		return;
	s->window = window;
	if (s->why != NULL || s->tab == NULL)
		return;
	/*
	 * Told now on every stream the peer writes on: a sender that used up
	 * the old window may otherwise wait a round trip for the next UPD.
	 */
	for (i = 0; i < 1u << s->tbits; i++) {
		struct stream *st = s->tab[i];

		if (st != NULL && st->nread != 0 && !(st->flags & (ST_CLOSED | ST_FIN_RCVD)) &&
		    smux_o_ctrl(s, st, ST_OWE_UPD) < 0)
			return;
	}
}

uint32_t
smux_window(const struct smux *s)
{
	return s->window;
}

int
smux_shutdown(struct smux *s, uint32_t sid)
{
	struct stream *st = live(s, sid);

	if (st == NULL)
		return -1;
	if (st->flags & ST_FIN_SENT)
		return 0;
	st->flags |= ST_FIN_SENT;
	if (smux_o_ctrl(s, st, ST_OWE_FIN) < 0) {
		errno = ECONNRESET;
		return -1;
	}
	return 0;
}

int
smux_finished(const struct smux *s, uint32_t sid)
{
	const struct stream *st = smux_lookup(s, sid);

	return st != NULL && !(st->flags & ST_CLOSED) &&
	       (st->flags & (ST_FIN_SENT | ST_FIN_RCVD)) == (ST_FIN_SENT | ST_FIN_RCVD);
}

void
smux_close(struct smux *s, uint32_t sid)
{
	struct stream *st = smux_lookup(s, sid);

	if (st == NULL || (st->flags & ST_CLOSED))
		return;
	if (s->why == NULL && !(st->flags & ST_FIN_SENT)) {
		st->flags |= ST_FIN_SENT;
		(void)smux_o_ctrl(s, st, ST_OWE_FIN); /* death is reported by the next call */
	}
	/* No more UPD after close, as in Go; SYN/FIN still owed go out first. */
	st->flags = (st->flags & ~(ST_OWE_UPD | ST_WANT_WIN | ST_WANT_OUT)) | ST_CLOSED;
	s->nlive--;
	smux_stream_drop(s, st);
	if (!(st->flags & ST_OWED))
		smux_stream_free(s, st);
}

/* ---- time -------------------------------------------------------------- */

/*
 * Go checks every timeout period whether anything arrived during it, so
 * it gives up after one to two periods of silence; we give up after one
 * (at the resolution of our ticks). Neither counts silence while our
 * own receive buffer is full, since then we are the ones not reading.
 */
int
smux_tick(struct smux *s, uint64_t now_ms)
{
	uint8_t f[SMUX_HDR_LEN];

	if (s->why != NULL)
		return -1;
	if (smux_o_flush(s) < 0)
		return -1;
	if (s->cfg.keepalive_ms == 0)
		return 0;
	if (s->rx_seen || s->bucket <= 0) {
		s->rx_seen = 0;
		s->last_rx = now_ms;
	}
	if (now_ms >= s->last_rx + s->cfg.timeout_ms) {
		smux_o_die(s, "keepalive timeout");
		return -1;
	}
	if (now_ms >= s->next_nop) {
		/* Behind held output a NOP would only arrive after the data anyway. */
		if (!smux_o_blocked(s)) {
			frame_hdr(f, SMUX_CMD_NOP, 0, 0);
			if (smux_o_frame(s, f, sizeof(f), NULL, 0) < 0)
				return -1;
		}
		s->next_nop += s->cfg.keepalive_ms;
		if (s->next_nop <= now_ms) /* a late tick: skip missed beats, like a Go ticker */
			s->next_nop = now_ms + s->cfg.keepalive_ms;
	}
	return 0;
}

uint64_t
smux_next_tick(const struct smux *s)
{
	uint64_t t;

	if (s->why != NULL || s->cfg.keepalive_ms == 0)
		return UINT64_MAX;
	t = s->last_rx + s->cfg.timeout_ms;
	return s->next_nop < t ? s->next_nop : t;
}
