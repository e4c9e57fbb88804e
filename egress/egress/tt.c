/* SPDX-License-Identifier: MIT */
/*
 * Turbo Tunnel on the egress (see tt.h): the ClientMap of clients and
 * the list of carriers, their sweep timer, and the lifetime calls the
 * rest of the egress makes. The objects themselves are in tt_carrier.c,
 * tt_client.c and tt_stream.c (see tt_int.h). Clients are capped at
 * --max-sessions (TT_SESSIONS_MAX_DEFAULT). A carrier keeps the
 * connection slot it was accepted with (--max-conns, --max-per-source)
 * until it ends.
 */
#include "tt_int.h"

#include <stdlib.h>

#define TT_SWEEP_INTERVAL 5.0

static void
tt_sweep_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tt *tt = w->data;

	(void)loop;
	(void)revents;
	clientmap_sweep(&tt->map, tt_now_ms(tt));
}

/* --- lifetime -------------------------------------------------------------- */

int
tt_init(struct egress *eg)
{
	struct tt *tt = calloc(1, sizeof(*tt));

	if (tt == NULL)
		return -1;
	tt->eg = eg;
	if (clientmap_init(&tt->map, eg->max_sessions ? eg->max_sessions : TT_SESSIONS_MAX_DEFAULT,
	                   TT_QUEUE, TT_IDLE_MS, tt_client_expire, tt) == -1) {
		free(tt);
		return -1;
	}
	ev_timer_init(&tt->sweep, tt_sweep_cb, TT_SWEEP_INTERVAL, TT_SWEEP_INTERVAL);
	tt->sweep.data = tt;
	ev_timer_start(eg->loop, &tt->sweep);
	eg->tt = tt;
	return 0;
}

void
tt_abort_all(struct egress *eg)
{
	struct tt *tt = eg->tt;
	struct clientmap_entry *e;

	if (tt == NULL)
		return;
	for (e = tt->map.head; e != NULL; e = e->next)
		if (e->user != NULL)
			tt_client_streams_abort(e->user);
}

void
tt_drain(struct egress *eg)
{
	struct tt *tt = eg->tt;
	struct clientmap_entry *e, *next;

	if (tt == NULL)
		return;
	for (e = tt->map.head; e != NULL; e = next) {
		next = e->next;
		if (e->ncarriers == 0 && e->user != NULL)
			tt_client_streams_abort(e->user);
	}
}

size_t
tt_revoke(struct egress *eg, size_t *carriers)
{
	struct tt *tt = eg->tt;
	struct clientmap_entry *e;
	struct tt_carrier *c, *next;
	struct tt_client *cl;
	size_t n = 0;

	*carriers = 0;
	if (tt == NULL)
		return 0;
	tt->revokes++;
	for (e = tt->map.head; e != NULL; e = e->next)
		if ((cl = e->user) != NULL && tt_client_revoke(cl, &eg->users)) {
			cl->revoked = tt->revokes;
			n++;
		}
	/*
	 * Their carriers too, at once: they would otherwise stay open until
	 * the idle check, each holding a connection slot for a client that
	 * can no longer start a session. A second pass, since the last
	 * carrier to go takes its entry out of the map.
	 */
	for (c = tt->carriers; c != NULL; c = next) {
		next = c->next;
		if (c->e != NULL && (cl = c->e->user) != NULL && cl->revoked == tt->revokes) {
			tt_carrier_end(c, "its session's user was revoked");
			(*carriers)++;
		}
	}
	return n;
}

/* One session's KCP counters into sum. */
void
tt_kcp_add(struct tt_kcp_totals *sum, const struct tunnel *t)
{
	struct kcp_stats st;

	tunnel_kcp_stats(t, &st);
	sum->retrans += st.rto_retrans + st.fast_retrans;
	sum->win_drops += st.win_drops;
	sum->mem_drops += st.mem_drops;
}

void
tt_kcp_totals(const struct egress *eg, struct tt_kcp_totals *sum)
{
	const struct clientmap_entry *e;
	const struct tt_client *cl;

	*sum = eg->kcp_ended;
	if (eg->tt == NULL)
		return;
	for (e = eg->tt->map.head; e != NULL; e = e->next)
		if ((cl = e->user) != NULL && cl->t != NULL)
			tt_kcp_add(sum, cl->t);
}

void
tt_free(struct egress *eg)
{
	struct tt *tt = eg->tt;

	if (tt == NULL)
		return;
	while (tt->carriers)
		tt_carrier_end(tt->carriers, NULL);
	clientmap_free(&tt->map);
	ev_timer_stop(eg->loop, &tt->sweep);
	free(tt);
	eg->tt = NULL;
}

void
tt_counts(const struct egress *eg, size_t *sessions, size_t *carriers)
{
	const struct tt *tt = eg->tt;

	*sessions = tt ? tt->map.count : 0;
	*carriers = tt ? tt->ncarriers : 0;
}
