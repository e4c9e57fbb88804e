/* SPDX-License-Identifier: MIT */
/*
 * tt_carrier: one carrier connection on the egress, handed over by the
 * listener once it has seen the Turbo Tunnel token. The stream itself
 * (preamble, encapsulation, a TT_CARRIER_BUF output buffer, the fd's
 * watchers) is tt/carrier_io; this file attaches it to its client. Until
 * the preamble is complete the carrier has no client and sends nothing.
 * Downstream follows the carrier that spoke last, and only a carrier
 * that proved itself: a packet on it passed the session's checks (its
 * conversation, sane KCP). Knowing a ClientID is not enough to take a
 * session's downstream; a carrier whose packets fail a live session's
 * checks is closed and the session goes on. Only the client's current
 * carrier takes packets from its send queue. Ending a carrier detaches
 * it from its client but never ends the client, which waits TT_IDLE_MS
 * for another.
 *
 * Limits: the carrier keeps the connection slot it was accepted with
 * and its charge to --max-memory; it must deliver an accepted packet
 * before its handshake time runs out, and closes after TT_CARRIER_IDLE
 * without one.
 */
#include "tt_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/log.h"
#include "base/membudget.h"
#include "tt/kcp.h"

void
tt_carrier_end(struct tt_carrier *c, const char *why)
{
	struct tt *tt = c->tt;

	if (why)
		log_debug("carrier %s: %s", c->has_source ? c->source : "unix", why);
	ev_timer_stop(tt->eg->loop, &c->timer);
	conn_slot_give(tt->eg, &c->slot);
	membudget_uncharge(tunnel_global(), c->charged);
	carrier_io_free(&c->io);
	if (c->e != NULL) {
		struct tt_client *cl = c->e->user;

		clientmap_detach(&tt->map, c->e, c, tt_now_ms(tt));
		/*
		 * A ClientID whose carriers never started a session holds a
		 * --max-sessions slot for nothing: a preamble alone must not
		 * keep one for TT_IDLE_MS after its carrier is gone.
		 */
		if (c->e->ncarriers == 0 && (cl == NULL || cl->t == NULL))
			clientmap_remove(&tt->map, c->e);
		/* Draining: nothing can carry this client's streams to their end. */
		else if (tt->eg->draining && c->e->ncarriers == 0 && cl != NULL)
			tt_client_streams_abort(cl);
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		tt->carriers = c->next;
	if (c->next)
		c->next->prev = c->prev;
	tt->ncarriers--;
	free(c);
}

void
tt_carrier_kick(struct tt_carrier *c)
{
	carrier_io_update(&c->io);
}

/* --- carrier_io callbacks: -1 once the carrier has ended ------------------ */

/* The preamble is complete: find or make the client. */
static int
tt_carrier_preamble(void *arg, const uint8_t id[CLIENTID_LEN])
{
	struct tt_carrier *c = arg;
	struct tt *tt = c->tt;
	struct tt_client *cl;
	int secure = c->io.k.secure;

	/* Without --upstream the egress is no open proxy: sessions prove who they are. */
	if (!secure && c->upstream == NULL) {
		limits_refuse(&tt->eg->lim, LIMIT_PLAINTEXT, ev_now(tt->eg->loop));
		tt_carrier_end(c, "plaintext session refused (no --upstream: secure sessions only)");
		return -1;
	}
	if (secure && tt->eg->tls == NULL) {
		tt_carrier_end(c, "secure session refused: this egress has no --key");
		return -1;
	}
	c->e = clientmap_get(&tt->map, id, tt_now_ms(tt), 1);
	if (c->e == NULL) {
		limits_refuse(&tt->eg->lim, LIMIT_SESSIONS, ev_now(tt->eg->loop));
		tt_carrier_end(c, NULL);
		return -1;
	}
	if ((cl = tt_client_get(tt, c->e, id)) == NULL) {
		clientmap_remove(&tt->map, c->e);
		c->e = NULL;
		tt_carrier_end(c, "out of memory");
		return -1;
	}
	if (cl->t != NULL && cl->secure != secure) {
		limits_refuse(&tt->eg->lim, LIMIT_FOREIGN, ev_now(tt->eg->loop));
		c->e = NULL; /* the entry is the client's, not this carrier's */
		tt_carrier_end(c, "a carrier of the other session kind");
		return -1;
	}
	if (cl->t == NULL) {
		cl->secure = secure;
		/* A listener's upstream is for Snowflake's plaintext sessions; ours name destinations. */
		cl->upstream = secure ? tt->eg->upstream : c->upstream;
	}
	if (c->has_source) {
		snprintf(cl->source, sizeof(cl->source), "%s", c->source);
		cl->has_source = 1;
	}
	clientmap_attach(&tt->map, c->e, tt_now_ms(tt));
	return 0;
}

static int
tt_carrier_packet(void *arg, const uint8_t *pkt, size_t len)
{
	struct tt_carrier *c = arg;
	struct egress *eg = c->tt->eg;
	struct tt_client *cl = c->e->user;
	int moved;

	/*
	 * Window probes and answers alone (WASK, WINS) pass KCP's checks
	 * whatever their fields, so they prove nothing. On a carrier other
	 * than the session's current one they are dropped unread: they can
	 * neither take the downstream nor set the send window (a WASK with
	 * window 0 from someone who knows the ClientID and conversation
	 * would stall the owner's download until its next datagram). A
	 * carrier that brings nothing else never proves itself and ends at
	 * its handshake time; with no current carrier (the owner's died) a
	 * probe is taken as before.
	 */
	if (c->e->carrier != NULL && c->e->carrier != c && kcp_probe_only(pkt, len))
		return 0;
	switch (tt_client_input(c->e->user, pkt, len, &c->slot)) {
	case 1:
		/* Proven: downstream follows the carrier that spoke last. */
		moved = c->e->carrier != c;
		if (c->last_ok == 0) {
			ev_timer_stop(eg->loop, &c->timer);
			ev_timer_set(&c->timer, TT_CARRIER_IDLE, 0);
			ev_timer_start(eg->loop, &c->timer);
		}
		c->last_ok = ev_now(eg->loop);
		clientmap_prove(c->e, c);
		if (c->slot.keyed) {
			cl->key = c->slot.key;
			cl->keyed = 1;
		}
		if (moved)
			tt_client_moved(cl);
		return 0;
	case -1:
		limits_refuse(&eg->lim, LIMIT_FOREIGN, ev_now(eg->loop));
		tt_carrier_end(c, "a datagram failed its session's checks");
		return -1;
	case -2:
		tt_carrier_end(c, "its source holds --max-source-sessions sessions");
		return -1;
	default:
		return 0;
	}
}

/*
 * The handshake deadline (no accepted packet yet), then the idle check:
 * last_ok is updated per packet and the timer re-armed lazily here, so
 * the hot path never touches the timer heap.
 */
static void
tt_carrier_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tt_carrier *c = w->data;
	struct egress *eg = c->tt->eg;
	double idle = ev_now(loop) - c->last_ok;

	(void)revents;
	if (c->last_ok == 0) {
		limits_refuse(&eg->lim, LIMIT_HANDSHAKE, ev_now(loop));
		tt_carrier_end(c, "no accepted datagram within the handshake timeout");
		return;
	}
	if (idle >= TT_CARRIER_IDLE) {
		limits_refuse(&eg->lim, LIMIT_IDLE, ev_now(loop));
		tt_carrier_end(c, "idle");
		return;
	}
	ev_timer_set(w, TT_CARRIER_IDLE - idle, 0);
	ev_timer_start(loop, w);
}

static int
tt_carrier_read_done(void *arg, int any)
{
	struct tt_carrier *c = arg;
	struct tt_client *cl;

	if (!any || c->e == NULL)
		return 0;
	cl = c->e->user;
	if (cl->t != NULL) {
		tunnel_flush(cl->t);
		tt_client_update(cl);
	}
	return 0;
}

static struct pktq *
tt_carrier_queue(void *arg)
{
	struct tt_carrier *c = arg;

	/* Only the carrier that most recently delivered takes from the queue. */
	return c->e != NULL && c->e->carrier == c ? &c->e->sendq : NULL;
}

static void
tt_carrier_room(void *arg)
{
	struct tt_carrier *c = arg;
	struct tt_client *cl = c->e->user;

	if (cl != NULL && cl->t != NULL)
		tunnel_room(cl->t);
}

static void
tt_carrier_failed(void *arg, const char *why)
{
	tt_carrier_end(arg, why);
}

size_t
tt_carrier_cost(void)
{
	return membudget_cost(sizeof(struct tt_carrier)) + membudget_cost(TT_CARRIER_BUF);
}

void
tt_carrier(struct egress *eg, int fd, const uint8_t *p, size_t n, const char *source,
           const struct conn_slot *slot, double handshake_left, const struct endpoint *upstream,
           int precharged)
{
	static const struct carrier_io_cb iocb = {
		.preamble = tt_carrier_preamble,
		.packet = tt_carrier_packet,
		.read_done = tt_carrier_read_done,
		.queue = tt_carrier_queue,
		.room = tt_carrier_room,
		.failed = tt_carrier_failed,
	};
	struct tt *tt = eg->tt;
	struct tt_carrier *c;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    carrier_io_init(&c->io, eg->loop, TT_CARRIER_BUF, &iocb, c) == -1) {
		struct conn_slot s = *slot;

		log_warnx("out of memory for a carrier");
		conn_slot_give(eg, &s);
		free(c);
		close(fd);
		return;
	}
	c->tt = tt;
	c->slot = *slot;
	/*
	 * Held to its end, never refused for it: it may be the way back of a
	 * session that exists. --max-conns bounds how many there are; new
	 * sessions and streams see the budget these take.
	 */
	if (!precharged) {
		c->charged = tt_carrier_cost();
		membudget_force(tunnel_global(), c->charged);
	}
	c->upstream = upstream != NULL ? upstream : eg->upstream;
	ev_timer_init(&c->timer, tt_carrier_timer, handshake_left > 0 ? handshake_left : 0, 0);
	c->timer.data = c;
	ev_timer_start(eg->loop, &c->timer);
	if (source != NULL) {
		snprintf(c->source, sizeof(c->source), "%s", source);
		c->has_source = 1;
	}
	carrier_io_open(&c->io, fd, CARRIER_SERVER, NULL, 0);
	c->next = tt->carriers;
	if (tt->carriers)
		tt->carriers->prev = c;
	tt->carriers = c;
	tt->ncarriers++;
	/* The bytes the listener read; with none, this only starts the watchers. */
	(void)carrier_io_input(&c->io, p, n);
}
