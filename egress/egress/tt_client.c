/* SPDX-License-Identifier: MIT */
/*
 * tt_client: one ClientID on the egress. It owns the session's tunnel
 * (KCP + smux server, made on the first datagram that carries KCP
 * segment 0; never replaced while it lives: a datagram of another
 * conversation under its ClientID costs its sender that carrier), its tick timer, and the list of its streams. Packets
 * toward the client wait in the ClientMap entry's bounded send queue
 * (TT_QUEUE; full drops, KCP repairs) for the carrier that most
 * recently delivered the client's packets. The client is freed by the
 * ClientMap once it has had no carrier for TT_IDLE_MS.
 */
#include "tt_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/evtimer.h"
#include "base/log.h"
#include "secure.h"
#include "tt/kcp.h"
#include "tt/tstream.h"

static void
tt_packet(void *arg, const uint8_t *pkt, size_t n)
{
	struct tt_client *cl = arg;

	/* A full queue drops, as Snowflake's does; KCP retransmits. */
	if (pktq_push(&cl->e->sendq, pkt, n) == 0 && cl->e->carrier != NULL)
		tt_carrier_kick(cl->e->carrier);
}

static size_t
tt_room(void *arg)
{
	const struct pktq *q = &((struct tt_client *)arg)->e->sendq;

	return q->cap - pktq_len(q);
}

void
tt_client_streams_abort(struct tt_client *cl)
{
	struct tt_stream *s;

	while ((s = cl->streams) != NULL) {
		if (s->ts != NULL)
			tstream_abort(s->ts);
		else
			tt_stream_end(s, 0, 0, EVENTS_ERROR);
	}
}

static void
tt_client_session_end(struct tt_client *cl, const char *why)
{
	if (cl->t == NULL)
		return;
	log_info("session %s ended: %s", cl->idhex, why);
	tt_client_streams_abort(cl);
	tt_kcp_add(&cl->tt->eg->kcp_ended, cl->t);
	tunnel_free(cl->t);
	cl->t = NULL;
	if (cl->skeyed)
		limits_give(&cl->tt->eg->lim_sessions, &cl->skey);
	cl->skeyed = 0;
	ev_timer_stop(cl->tt->eg->loop, &cl->tick);
}

int
tt_client_revoke(struct tt_client *cl, const struct users *u)
{
	char why[USERS_NAME_MAX + 64];

	if (cl->t == NULL || cl->user[0] == '\0' || users_has(u, cl->user))
		return 0;
	snprintf(why, sizeof(why), "user %s is no longer in --users", cl->user);
	tt_client_session_end(cl, why);
	return 1;
}

void
tt_client_update(struct tt_client *cl)
{
	uint64_t now;

	if (cl->t == NULL)
		return;
	if (tunnel_dead(cl->t)) {
		tt_client_session_end(cl, tunnel_error(cl->t));
		return;
	}
	/* A secure session that never authenticates must not hold its TLS state. */
	if (cl->secure && !tunnel_secured(cl->t) &&
	    ev_now(cl->tt->eg->loop) - cl->t_session > cl->tt->eg->handshake_timeout) {
		limits_refuse(&cl->tt->eg->lim, LIMIT_HANDSHAKE, ev_now(cl->tt->eg->loop));
		tt_client_session_end(cl, "no TLS handshake and credentials within --handshake-timeout");
		return;
	}
	now = tt_now_ms(cl->tt);
	evtimer_at_ms(cl->tt->eg->loop, &cl->tick, now, tunnel_next(cl->t, now), 0);
}

static void
tt_client_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tt_client *cl = w->data;

	(void)loop;
	(void)revents;
	if (cl->t == NULL)
		return;
	tunnel_tick(cl->t, tt_now_ms(cl->tt));
	tt_client_update(cl);
}

/* The tunnel sent outside a tick: re-arm the timer if it is now due sooner. */
static void
tt_wake(void *arg)
{
	struct tt_client *cl = arg;
	uint64_t now;

	if (cl->t == NULL)
		return;
	now = tt_now_ms(cl->tt);
	evtimer_at_ms(cl->tt->eg->loop, &cl->tick, now, tunnel_next(cl->t, now), 1);
}

/* A secure session's credentials: its events will name the user. */
static int
tt_auth(void *arg, const char *name, const uint8_t *secret, size_t slen)
{
	struct tt_client *cl = arg;

	if (secure_auth(cl->tt->eg, cl->keyed ? &cl->key : NULL, name, secret, slen) == -1) {
		log_info("session %s: credentials of %s refused (source %s)", cl->idhex, name,
		         cl->has_source ? cl->source : "unknown");
		return -1;
	}
	snprintf(cl->user, sizeof(cl->user), "%s", name);
	log_info("session %s: user %s", cl->idhex, name);
	return 0;
}

/* Does this datagram start a session (carry KCP segment 0)? */
static int
tt_starts_session(const uint8_t *p, size_t n, uint32_t *conv)
{
	struct kcp_seghdr h;
	ssize_t r;

	if (kcp_peek_conv(p, n, conv) == -1)
		return 0;
	while (n >= KCP_OVERHEAD && (r = kcp_seg_decode(p, n, &h)) > 0) {
		if (h.cmd == KCP_CMD_PUSH && h.sn == 0)
			return 1;
		if (KCP_OVERHEAD + (size_t)h.len > n)
			break;
		p += KCP_OVERHEAD + h.len;
		n -= KCP_OVERHEAD + h.len;
	}
	return 0;
}

int
tt_client_input(struct tt_client *cl, const uint8_t *p, size_t n, const struct conn_slot *slot)
{
	struct egress *eg = cl->tt->eg;
	static const struct tunnel_cb tcb = { tt_packet, tt_stream_accept, tt_stream_readable,
		                              tt_stream_writable, tt_wake, tt_room, tt_auth };
	struct tunnel_config cfg = { .fast_resend = 2 };
	uint32_t conv;

	/*
	 * A live session takes only its own conversation. Our clients start
	 * a new session under a new ClientID, so another conversation here
	 * is someone who knows the ClientID, not its owner: refused, and the
	 * session goes on.
	 */
	if (cl->t != NULL) {
		cl->tt->eg->datagrams_in++;
		return tunnel_input(cl->t, p, n, tt_now_ms(cl->tt)) == 0 ? 1 : -1;
	}
	if (!tt_starts_session(p, n, &conv))
		return 0;
	/*
	 * A session outlives its carriers (TT_IDLE_MS), so --max-per-source
	 * alone would let one source start sessions one carrier at a time
	 * until --max-sessions is full: it counts the sessions its carriers
	 * started too.
	 */
	if (slot->keyed && limits_take(&eg->lim_sessions, &slot->key) == -1) {
		limits_refuse(&eg->lim, LIMIT_SOURCE_SESSIONS, ev_now(eg->loop));
		return -2;
	}
	cl->skey = slot->key;
	cl->skeyed = slot->keyed;
	cfg.tls = cl->secure ? eg->tls : NULL;
	cl->user[0] = '\0';
	cl->t = tunnel_new(0, conv, &cfg, &tcb, cl, tt_now_ms(cl->tt));
	if (cl->t == NULL) {
		if (cl->skeyed)
			limits_give(&eg->lim_sessions, &cl->skey);
		cl->skeyed = 0;
		if (errno == ENOBUFS)
			limits_refuse(&eg->lim, LIMIT_MEMORY, ev_now(eg->loop));
		return 0;
	}
	cl->t_session = ev_now(cl->tt->eg->loop);
	log_info("session %s: new conversation", cl->idhex);
	cl->tt->eg->datagrams_in++;
	if (tunnel_input(cl->t, p, n, tt_now_ms(cl->tt)) == 0)
		return 1;
	tt_client_session_end(cl, "its first datagram failed its checks");
	return -1;
}

void
tt_client_moved(struct tt_client *cl)
{
	ev_tstamp now = ev_now(cl->tt->eg->loop);
	unsigned n;

	if (cl->t == NULL || now - cl->t_moved < TT_MOVE_INTERVAL)
		return;
	cl->t_moved = now;
	/*
	 * What queued while no carrier took it is stale: resent below anyway,
	 * and each old segment's timestamp, echoed in the client's ACK, would
	 * teach KCP a round trip as long as the outage.
	 */
	while (pktq_len(&cl->e->sendq) > 0)
		pktq_pop(&cl->e->sendq);
	n = tunnel_moved(cl->t);
	if (n > 0)
		log_info("session %s: a new carrier; %u segments in flight resent", cl->idhex, n);
}

void
tt_client_expire(struct clientmap_entry *e, void *arg)
{
	struct tt_client *cl = e->user;

	(void)arg;
	if (cl == NULL)
		return;
	log_debug("session %s: forgotten", cl->idhex);
	tt_client_session_end(cl, "no carrier");
	free(cl);
	e->user = NULL;
}

struct tt_client *
tt_client_get(struct tt *tt, struct clientmap_entry *e, const uint8_t id[CLIENTID_LEN])
{
	struct tt_client *cl = e->user;

	if (cl != NULL)
		return cl;
	if ((cl = calloc(1, sizeof(*cl))) == NULL)
		return NULL;
	cl->tt = tt;
	cl->e = e;
	clientid_show(id, cl->idhex);
	ev_init(&cl->tick, tt_client_tick);
	cl->tick.data = cl;
	e->user = cl;
	return cl;
}
