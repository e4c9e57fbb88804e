/* SPDX-License-Identifier: MIT */
/*
 * The session engine (see tunnel.h). Data paths:
 *
 *   write:  tunnel_write -> smux_write -> smux output -> kcp_send
 *           -> kcp_flush -> packet callback
 *   read:   tunnel_input -> kcp_input; pump: kcp_recv -> rx -> smux_input
 *           -> readable callback -> tunnel_read -> smux_read (-> UPD)
 *
 * smux forbids smux_input from inside its own callbacks, and those
 * callbacks call tunnel_read, which wants to pump: the pump therefore
 * runs once at a time and a nested request only marks it to go round
 * again. The rx buffer is given back on a tick that finds it empty, so
 * an idle session costs KCP's and smux's own structures and little else.
 */
#include "tt/tunnel.h"
#include "tt/tunnel_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/membudget.h"
#include "tt/kcp.h"
#include "tt/smux.h"

/*
 * What all sessions of the process hold, for owners that pass no budget
 * of their own: counted (no limit until an owner sets one) so that
 * tunnel_free can hand a lot of freed heap back to the kernel.
 */
static struct membudget tunnel_all;

/*
 * After input and stream calls, ACKs alone go out only when there are
 * more than this many: fewer (for a request, an answer, a FIN) ride with
 * the data sent next or leave at the KCP interval (10 ms), as kcp-go's
 * do; a bulk transfer's batches are acknowledged at once as before.
 */
#define TUNNEL_ACK_LAZY 2

struct membudget *
tunnel_global(void)
{
	return &tunnel_all;
}

/* --- sid -> user map: linear probing, backward-shift deletion ------------ */

static size_t
umap_hash(uint32_t sid, size_t nslots)
{
	return (size_t)((sid * 2654435761u) & (nslots - 1));
}

static int
umap_grow(struct tunnel *t)
{
	size_t n = t->nslots ? t->nslots * 2 : 16, i, j;
	struct umap_slot *s = calloc(n, sizeof(*s));

	if (s == NULL)
		return -1;
	for (i = 0; i < t->nslots; i++) {
		if (t->slots[i].sid == 0)
			continue;
		for (j = umap_hash(t->slots[i].sid, n); s[j].sid != 0; j = (j + 1) & (n - 1))
			;
		s[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = s;
	t->nslots = n;
	return 0;
}

static struct umap_slot *
umap_find(const struct tunnel *t, uint32_t sid)
{
	size_t i;

	if (t->nslots == 0 || sid == 0)
		return NULL;
	for (i = umap_hash(sid, t->nslots); t->slots[i].sid != 0; i = (i + 1) & (t->nslots - 1))
		if (t->slots[i].sid == sid)
			return &t->slots[i];
	return NULL;
}

static void
umap_delete(struct tunnel *t, struct umap_slot *hole)
{
	size_t mask = t->nslots - 1, i = (size_t)(hole - t->slots), j = i, k;

	/* Shift later members of the cluster back so lookups never stop early. */
	for (;;) {
		j = (j + 1) & mask;
		if (t->slots[j].sid == 0)
			break;
		k = umap_hash(t->slots[j].sid, t->nslots);
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].sid = 0;
	t->slots[i].user = NULL;
	t->nused--;
}

int
tunnel_set_user(struct tunnel *t, uint32_t sid, void *user)
{
	struct umap_slot *s = umap_find(t, sid);
	size_t i;

	if (user == NULL) {
		if (s)
			umap_delete(t, s);
		return 0;
	}
	if (s) {
		s->user = user;
		return 0;
	}
	if (sid == 0) {
		errno = EINVAL;
		return -1;
	}
	if ((t->nused + 1) * 4 > t->nslots * 3 && umap_grow(t) == -1) {
		errno = ENOMEM;
		return -1;
	}
	for (i = umap_hash(sid, t->nslots); t->slots[i].sid != 0; i = (i + 1) & (t->nslots - 1))
		;
	t->slots[i].sid = sid;
	t->slots[i].user = user;
	t->nused++;
	return 0;
}

void *
tunnel_user(const struct tunnel *t, uint32_t sid)
{
	struct umap_slot *s = umap_find(t, sid);

	return s ? s->user : NULL;
}

/* --- glue ------------------------------------------------------------------ */

void
tunnel_die(struct tunnel *t, const char *why)
{
	if (!t->dead)
		snprintf(t->err, sizeof(t->err), "%s", why);
	t->dead = 1;
}

static void
kcp_out(const uint8_t *pkt, size_t len, void *arg)
{
	struct tunnel *t = arg;

	t->cb.packet(t->arg, pkt, len);
}

/* Let KCP's next flush send only as much new data as the carrier can take. */
static void
tunnel_budget(struct tunnel *t)
{
	size_t room;

	if (t->cb.room == NULL)
		return;
	room = t->cb.room(t->arg);
	room = room > TUNNEL_ROOM_RESERVE ? room - TUNNEL_ROOM_RESERVE : 0;
	kcp_setbudget(t->kcp, room > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)room);
}

static size_t
smux_out(void *arg, const uint8_t *p, size_t n)
{
	struct tunnel *t = arg;
	ssize_t r;

	if (t->sec != NULL)
		return tunnel_sec_out(t, p, n);
	r = kcp_send(t->kcp, p, n);

	return r > 0 ? (size_t)r : 0;
}

static void
smux_accept_cb(void *arg, uint32_t sid)
{
	struct tunnel *t = arg;

	if (t->cb.accept && !membudget_refuse(t->mb.parent, TUNNEL_ADMIT_STREAM))
		t->cb.accept(t->arg, sid);
	else
		smux_close(t->smux, sid);
}

static void
smux_readable_cb(void *arg, uint32_t sid)
{
	struct tunnel *t = arg;

	if (t->cb.readable)
		t->cb.readable(t->arg, sid);
}

static void
smux_writable_cb(void *arg, uint32_t sid)
{
	struct tunnel *t = arg;

	if (t->cb.writable)
		t->cb.writable(t->arg, sid);
}

/* Bounded by its size and needed to make progress: charged, never refused. */
int
tunnel_rx_alloc(struct tunnel *t)
{
	if ((t->rx = malloc(TUNNEL_RX_MAX)) == NULL)
		return -1;
	membudget_force(&t->mb, membudget_cost(TUNNEL_RX_MAX));
	return 0;
}

static void
rx_free(struct tunnel *t)
{
	if (t->rx == NULL)
		return;
	free(t->rx);
	t->rx = NULL;
	membudget_uncharge(&t->mb, membudget_cost(TUNNEL_RX_MAX));
}

/*
 * Size the stream window from the path, as TCP's receive autotuning does:
 * the window becomes the initial one plus twice what arrives per round
 * trip (KCP's estimate). It is measured over a round trip, or sooner when
 * a quarter of the initial window arrived in less than one: a window
 * filled faster than it is acknowledged is what holds the stream back,
 * and the UPDs that announce the growth must reach the sender before it
 * runs dry. It only grows, up to window_max. A consumer that does not
 * keep up lets smux's buffer fill and the pump stop, and with it the
 * growth; a slow carrier keeps the initial window too, so a bulk stream
 * does not queue more ahead of the others than before.
 */
void
tunnel_size(struct tunnel *t)
{
	struct kcp_stats st;
	uint64_t span = t->now_ms - t->rate_ms, got = t->rx_total - t->rate_bytes, want;
	uint32_t win = smux_window(t->smux);

	if (win >= t->window_max)
		return;
	kcp_stats(t->kcp, &st);
	if (st.srtt == 0 || (span < st.srtt && got < TUNNEL_STREAM_WINDOW / 4))
		return;
	if (span < st.srtt)
		want = (uint64_t)win + 2 * got; /* twice what came, as a round trip's worth would */
	else
		want = TUNNEL_STREAM_WINDOW + 2 * got * st.srtt / span;
	if (want > t->window_max)
		want = t->window_max;
	/* Each raise costs an UPD per stream: only in steps worth one. */
	if (want >= win + TUNNEL_STREAM_WINDOW / 4 || want == t->window_max)
		smux_set_window(t->smux, (uint32_t)want);
	t->rate_bytes = t->rx_total;
	t->rate_ms = t->now_ms;
}

/* Move bytes from KCP into smux while smux wants them. */
static void
tunnel_pump(struct tunnel *t)
{
	ssize_t r;

	if (t->pumping) {
		t->pump_again = 1;
		return;
	}
	t->pumping = 1;
	do {
		t->pump_again = 0;
		while (!t->dead) {
			if (t->rx_len > 0) {
				if (t->sec != NULL && !t->sec_in) {
					if (tunnel_sec_preface(t) <= 0)
						break;
					continue;
				}
				if (!smux_want_input(t->smux))
					break;
				r = smux_input(t->smux, t->rx + t->rx_off, t->rx_len);
				if (r < 0) {
					tunnel_die(t, smux_error(t->smux) ? smux_error(t->smux) : "smux error");
					break;
				}
				if (r == 0)
					break;
				t->rx_off += (size_t)r;
				t->rx_len -= (size_t)r;
				continue;
			}
			if (t->sec != NULL) {
				if (tunnel_sec_fill(t) <= 0)
					break;
				continue;
			}
			if (kcp_readable(t->kcp) == 0)
				break;
			if (t->rx == NULL && tunnel_rx_alloc(t) < 0) {
				tunnel_die(t, "out of memory");
				break;
			}
			r = kcp_recv(t->kcp, t->rx, TUNNEL_RX_MAX);
			if (r <= 0)
				break;
			t->rx_off = 0;
			t->rx_len = (size_t)r;
			/* Sized before smux sees them: the UPDs their reads send carry it. */
			t->rx_total += (uint64_t)r;
			tunnel_size(t);
		}
	} while (t->pump_again && !t->dead);
	t->pumping = 0;
}

static void
tunnel_check_dead(struct tunnel *t)
{
	if (kcp_dead(t->kcp))
		tunnel_die(t, "KCP: the peer stopped acknowledging (dead link)");
	else if (smux_dead(t->smux))
		tunnel_die(t, smux_error(t->smux) ? smux_error(t->smux) : "smux session died");
}

/* The receive window in full segments that fit the receive share of the budget. */
static unsigned
rcv_wnd_for(size_t mem_max)
{
	size_t w = mem_max / TUNNEL_RCV_SHARE / kcp_seg_cost(KCP_MTU_DEFAULT - KCP_OVERHEAD);

	return w > KCP_WND_MAX ? KCP_WND_MAX : (unsigned)w; /* kcp_wndsize raises it to its minimum */
}

/*
 * Segments queued plus in flight: a peer with our receive window can take
 * that many in flight, and a quarter of TUNNEL_SEND_CAP more wait queued
 * so the window refills without waiting for smux. Never below
 * TUNNEL_SEND_CAP.
 */
static unsigned
send_cap_for(size_t mem_max)
{
	unsigned c = rcv_wnd_for(mem_max) + TUNNEL_SEND_CAP / 4;

	return c > TUNNEL_SEND_CAP ? c : TUNNEL_SEND_CAP;
}

static int
tunnel_engines(struct tunnel *t, int is_client, uint32_t conv, const struct tunnel_config *cfg,
               uint64_t now_ms)
{
	static const struct smux_cb scb = { smux_out, smux_accept_cb, smux_readable_cb,
		                            smux_writable_cb };
	struct smux_config sc;

	smux_config_default(&sc, is_client);
	sc.stream_window = TUNNEL_STREAM_WINDOW;
	sc.mb = &t->mb;
	if (cfg && cfg->smux_timeout)
		sc.timeout_ms = cfg->smux_timeout;
	if ((t->kcp = kcp_new(conv, kcp_out, t)) == NULL)
		return -1;
	t->kcp_base = membudget_cost(kcp_memory(t->kcp));
	membudget_force(&t->mb, t->kcp_base);
	(void)kcp_set_membudget(t->kcp, &t->mb);
	/* A share of a limited process budget stays for in-order traffic. */
	kcp_set_ooo_spare(t->kcp, t->mb.parent && t->mb.parent->limit
	                              ? t->mb.parent->limit / TUNNEL_OOO_SPARE_SHARE : 0);
	if ((t->smux = smux_new(is_client, &sc, &scb, t, now_ms)) == NULL)
		return -1;
	if (cfg && cfg->tls && tunnel_sec_new(t, is_client, cfg) == -1)
		return -1;
	/* Snowflake's parameters; fast resend is ours to choose (sender only). */
	kcp_nodelay(t->kcp, 0, 10, cfg ? cfg->fast_resend : 0, 1);
	kcp_wndsize(t->kcp, KCP_WND_DEFAULT, rcv_wnd_for(t->mb.limit));
	kcp_setsendcap(t->kcp, send_cap_for(t->mb.limit));
	/* smux's buffer plus all KCP can have in flight toward it. */
	t->window_max = TUNNEL_STREAM_WINDOW +
	                rcv_wnd_for(t->mb.limit) * (KCP_MTU_DEFAULT - KCP_OVERHEAD);
	t->rate_ms = t->now_ms = now_ms;
	kcp_update(t->kcp, (uint32_t)now_ms);
	/* The client speaks first: its ClientHello goes out with the first flush. */
	if (t->sec != NULL && is_client)
		tunnel_pump(t);
	return 0;
}

struct tunnel *
tunnel_new(int is_client, uint32_t conv, const struct tunnel_config *cfg,
           const struct tunnel_cb *cb, void *arg, uint64_t now_ms)
{
	struct membudget *global = cfg && cfg->global ? cfg->global : &tunnel_all;
	size_t mem_max = cfg && cfg->mem_max ? cfg->mem_max : TUNNEL_MEM_DEFAULT;
	struct tunnel *t;

	if (membudget_refuse(global, TUNNEL_ADMIT_SESSION)) {
		errno = ENOBUFS;
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	membudget_init(&t->mb, mem_max < TUNNEL_MEM_MIN ? TUNNEL_MEM_MIN : mem_max, global);
	membudget_force(&t->mb, membudget_cost(sizeof(*t)));
	t->cb = *cb;
	t->arg = arg;
	if (tunnel_engines(t, is_client, conv, cfg, now_ms) < 0) {
		tunnel_free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

void
tunnel_free(struct tunnel *t)
{
	struct membudget *global;

	if (t == NULL)
		return;
	global = t->mb.parent;
	tunnel_sec_free(t);
	smux_free(t->smux);
	kcp_free(t->kcp); /* uncharges its segments and arrays, not its struct */
	membudget_uncharge(&t->mb, t->kcp_base);
	rx_free(t);
	free(t->slots);
	membudget_uncharge(&t->mb, membudget_cost(sizeof(*t)));
	membudget_release(global);
	free(t);
}

int
tunnel_input(struct tunnel *t, const uint8_t *pkt, size_t n, uint64_t now_ms)
{
	t->now_ms = now_ms;
	tunnel_budget(t);
	kcp_update(t->kcp, (uint32_t)now_ms);
	if (kcp_input(t->kcp, pkt, n) == -1)
		return -1;
	tunnel_pump(t);
	return 0;
}

void
tunnel_flush(struct tunnel *t)
{
	if (t->dead)
		return;
	/* Acks may have made room in KCP: let smux's held frame and writers in first. */
	if (smux_flush(t->smux) == -1)
		tunnel_check_dead(t);
	tunnel_sec_seal(t);
	tunnel_budget(t);
	kcp_flush_lazy(t->kcp, TUNNEL_ACK_LAZY);
	tunnel_check_dead(t);
}

void
tunnel_room(struct tunnel *t)
{
	tunnel_sec_seal(t);
	if (t->dead || kcp_queued(t->kcp) == 0)
		return;
	tunnel_budget(t);
	kcp_flush(t->kcp);
	if (t->cb.wake)
		t->cb.wake(t->arg);
}

void
tunnel_tick(struct tunnel *t, uint64_t now_ms)
{
	if (t->dead)
		return;
	t->now_ms = now_ms;
	(void)smux_tick(t->smux, now_ms);
	(void)smux_flush(t->smux);
	tunnel_sec_seal(t);
	tunnel_budget(t);
	kcp_update(t->kcp, (uint32_t)now_ms);
	tunnel_pump(t);
	/* Give the rx buffer back when idle; not per pump, where it would churn. */
	if (t->rx_len == 0 && t->rx != NULL && !t->pumping)
		rx_free(t);
	tunnel_check_dead(t);
}

uint64_t
tunnel_next(const struct tunnel *t, uint64_t now_ms)
{
	uint32_t now32 = (uint32_t)now_ms;
	uint64_t k = now_ms + (uint32_t)(kcp_check(t->kcp, now32) - now32);
	uint64_t s = smux_next_tick(t->smux);

	/* Frames batched for a record (tunnel_sec_out) are KCP's data already. */
	if (t->batch_len > 0 && k > now_ms + KCP_INTERVAL_MIN)
		k = now_ms + KCP_INTERVAL_MIN;
	return s < k ? s : k;
}

int
tunnel_dead(const struct tunnel *t)
{
	return t->dead;
}

const char *
tunnel_error(const struct tunnel *t)
{
	return t->dead ? t->err : NULL;
}

uint32_t
tunnel_conv(const struct tunnel *t)
{
	return kcp_conv(t->kcp);
}

size_t
tunnel_nstreams(const struct tunnel *t)
{
	return smux_nstreams(t->smux);
}

size_t
tunnel_pending(const struct tunnel *t)
{
	return kcp_pending(t->kcp) + (t->batch_len > 0);
}

size_t
tunnel_mem_used(const struct tunnel *t)
{
	return t->mb.used;
}

void
tunnel_kcp_stats(const struct tunnel *t, struct kcp_stats *st)
{
	kcp_stats(t->kcp, st);
}

size_t
tunnel_mem_max(const struct tunnel *t)
{
	return t->mb.limit;
}

size_t
tunnel_memory(const struct tunnel *t)
{
	return sizeof(*t) + kcp_memory(t->kcp) + (t->rx ? TUNNEL_RX_MAX : 0) +
	       t->nslots * sizeof(*t->slots);
}

/* Send what a stream call queued, and let the owner re-arm its timer. */
static void
tunnel_kick(struct tunnel *t)
{
	tunnel_sec_seal(t);
	tunnel_budget(t);
	kcp_flush_lazy(t->kcp, TUNNEL_ACK_LAZY);
	if (t->cb.wake)
		t->cb.wake(t->arg);
}

/*
 * What a stream call queued may wait for the next datagram (data sent
 * next, the ACKs of the next input) or the interval; whatever else is
 * due goes now.
 */
static void
tunnel_kick_later(struct tunnel *t)
{
	tunnel_budget(t);
	kcp_flush_due(t->kcp, TUNNEL_ACK_LAZY);
	if (t->cb.wake)
		t->cb.wake(t->arg);
}

void
tunnel_poke(struct tunnel *t)
{
	if (t->dead)
		return;
	kcp_tell(t->kcp);
	tunnel_kick(t);
}

unsigned
tunnel_moved(struct tunnel *t)
{
	size_t room, max;
	uint32_t n;

	if (t->dead)
		return 0;
	max = TUNNEL_MOVE_RESEND;
	if (t->cb.room != NULL) {
		room = t->cb.room(t->arg);
		room = room > TUNNEL_ROOM_RESERVE ? room - TUNNEL_ROOM_RESERVE : 0;
		if (room > max)
			max = room;
	}
	n = kcp_resend_inflight(t->kcp, max > UINT32_MAX ? UINT32_MAX : (uint32_t)max);
	kcp_tell(t->kcp);
	tunnel_kick(t);
	return n;
}

int
tunnel_open(struct tunnel *t, uint32_t *sid)
{
	int r = smux_open(t->smux, sid);

	/*
	 * The SYN waits for the stream's first bytes (an opener writes at
	 * once: socks-client its destination), so that both leave in one
	 * datagram; alone, it leaves with the next datagram or the interval.
	 */
	if (r == 0)
		tunnel_kick_later(t);
	return r;
}

ssize_t
tunnel_write(struct tunnel *t, uint32_t sid, const uint8_t *p, size_t n)
{
	ssize_t r = smux_write(t->smux, sid, p, n);

	/* No write delay: what was taken goes out now, as kcp-go does by default. */
	if (r > 0)
		tunnel_kick(t);
	return r;
}

ssize_t
tunnel_read(struct tunnel *t, uint32_t sid, uint8_t *buf, size_t n)
{
	ssize_t r = smux_read(t->smux, sid, buf, n);

	/*
	 * Reading freed session buffer: smux may take more from KCP now, and
	 * may have queued an UPD that the peer's writer is waiting for. A
	 * first read's UPD that nobody waits for (smux says) stays queued for
	 * the next datagram: the request that usually follows an answer, the
	 * ACKs of the next input, or the interval. A short request-answer
	 * stream then costs no datagram of its own for it.
	 */
	if (r > 0) {
		int wait = smux_read_upd_can_wait(t->smux);

		tunnel_pump(t);
		if (wait)
			tunnel_kick_later(t);
		else
			tunnel_kick(t);
	}
	return r;
}

int
tunnel_shutdown(struct tunnel *t, uint32_t sid)
{
	int r = smux_shutdown(t->smux, sid);

	if (r == 0)
		tunnel_kick(t);
	return r;
}

int
tunnel_shutdown_lazy(struct tunnel *t, uint32_t sid)
{
	int r = smux_shutdown(t->smux, sid);

	if (r == 0)
		tunnel_kick_later(t);
	return r;
}

void
tunnel_close(struct tunnel *t, uint32_t sid)
{
	struct umap_slot *s = umap_find(t, sid);
	/* Both FINs already passed: closing sends nothing, and a lazy FIN may still wait. */
	int quiet = smux_finished(t->smux, sid);

	if (s)
		umap_delete(t, s);
	smux_close(t->smux, sid);
	tunnel_pump(t);
	if (quiet)
		tunnel_kick_later(t);
	else
		tunnel_kick(t);
}

int
tunnel_error_is_pin(const struct tunnel *t)
{
	return t->sec_pin;
}

int
tunnel_secured(const struct tunnel *t)
{
	return t->sec != NULL && t->sec_in && t->sec_out;
}
