/* SPDX-License-Identifier: MIT */
/*
 * lanturn-egress: the far end of lanturn calls (issue 15). One UDP
 * socket; every source address (a TURN relay's allocation, or a client
 * reaching it directly) is one call: DTLS server, SRTP, the record
 * framing (common/call). The call's preamble opens one carrier
 * connection to the -u endpoint (an egress listener marked trusted),
 * starting with a PROXY v2 header naming the source, then the preamble;
 * packets run both ways as Turbo Tunnel encapsulation on that
 * connection, and the downstream is shaped by the call's profile.
 *
 * Bounds (DESIGN.md §8): --max-calls in all, --max-calls-per-source per
 * source IP, a handshake rate per source IP (token bucket; there is no
 * DTLS cookie, Firefox's hello has none, so this is what limits
 * amplification), the call layer's handshake timeout, --idle-timeout
 * without input, --max-memory over all calls (their queues, DTLS and
 * SRTP state, connection buffers). Past a bound new sources are ignored,
 * established calls keep going.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cli.h"
#include "base/exitcodes.h"
#include "base/hash.h"
#include "base/log.h"
#include "call/call.h"
#include "net/admin.h"
#include "net/endpoint.h"
#include "net/net.h"
#include "nss/nssc.h"
#include "ubatch.h"
#include "proto/frame.h"
#include "proto/preamble.h"
#include "proto/proxyv2.h"

static const char usage_str[] =
	"usage: lanturn-egress [-hqv] -l udp:HOST:PORT -u ENDPOINT [--cert FILE --key FILE]\n"
	"                      [--max-calls N] [--max-calls-per-source N] [--handshake-rate N]\n"
	"                      [--handshake-timeout SECONDS] [--idle-timeout SECONDS]\n"
	"                      [--max-memory BYTES] [--admin ENDPOINT]\n";

enum { O_MAXCALLS = 0x100, O_PERSRC, O_RATE, O_IDLE, O_MEM, O_HS, O_ADMIN, O_CERT, O_KEY };

static const struct option longopts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "upstream", required_argument, NULL, 'u' },
	{ "max-calls", required_argument, NULL, O_MAXCALLS },
	{ "max-calls-per-source", required_argument, NULL, O_PERSRC },
	{ "handshake-rate", required_argument, NULL, O_RATE },
	{ "idle-timeout", required_argument, NULL, O_IDLE },
	{ "max-memory", required_argument, NULL, O_MEM },
	{ "handshake-timeout", required_argument, NULL, O_HS },
	{ "admin", required_argument, NULL, O_ADMIN },
	{ "cert", required_argument, NULL, O_CERT },
	{ "key", required_argument, NULL, O_KEY },
	CLI_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

#define UP_BUF_MAX (256 * 1024) /* to the egress, per call: over it packets are dropped */
#define DOWN_READ 16384
#define UDP_RECV_BATCH 8
#define RATE_SOURCES 1024
#define SWEEP_IVL 1.0
#define CALL_NEW_MEMORY (192 * 1024) /* what a new call may come to hold (bench/lanturn.sh) */

struct lcall {
	struct lcall *next, *hnext; /* all calls; the source's hash bucket */
	struct lm *m;
	struct sockaddr_storage peer;
	socklen_t plen;
	struct call *call;
	int fd, connected, held, is_up;
	ev_io rio, wio;
	struct buf up;                /* to the egress */
	uint8_t in[DOWN_READ];        /* from the egress, not yet framed */
	size_t in_off, in_len;
	struct frame_reader fr;
	uint8_t pkt[CALL_PKT_MAX];
	size_t pktlen;
	ev_tstamp last_in;
};

struct rate {
	struct sockaddr_storage ip; /* port zeroed */
	double tokens;
	ev_tstamp at;
	size_t calls;
};

struct lm {
	struct ev_loop *loop;
	int ufd;
	ev_io uio;
	struct ubatch *ub;  /* datagrams of a loop turn, sent before it sleeps */
	ev_prepare flush_w;
	struct sockaddr_storage local, upstream;
	socklen_t local_len, upstream_len;
	struct endpoint up_ep;
	struct nssc_id *id;
	struct lcall *calls;
	struct lcall **bucket;  /* by source address and port, keyed by hkey */
	size_t nbuckets;
	uint64_t hkey;
	size_t ncalls, max_calls, max_per_src;
	double rate, idle, hs_timeout;
	size_t max_memory;
	struct rate rates[RATE_SOURCES];
	unsigned long long refused_limit, refused_rate, refused_memory, expired, failed;
	unsigned long long calls_total, calls_up_total, dgrams_in, dgrams_out, bytes_out, ignored;
	size_t nup;
	struct admin admin;
	int has_admin;
	ev_timer sweep;
	ev_signal sigterm, sigint;
};

static void lcall_free(struct lcall *lc);

static int
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b, int port)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_addr.s_addr == y->sin_addr.s_addr && (!port || x->sin_port == y->sin_port);
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0 &&
		       (!port || x->sin6_port == y->sin6_port);
	}
	return 0;
}

static size_t
addr_bucket(const struct lm *m, const struct sockaddr_storage *a)
{
	uint64_t h = m->hkey;

	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a;

		h = hash_mix64(h ^ ((uint64_t)x->sin_addr.s_addr << 16 | x->sin_port));
	} else if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a;
		uint64_t w[2];

		memcpy(w, &x->sin6_addr, 16);
		h = hash_mix64(hash_mix64(h ^ w[0]) ^ w[1] ^ x->sin6_port);
	}
	return (size_t)(h & (m->nbuckets - 1));
}

static struct lcall *
lcall_find(const struct lm *m, const struct sockaddr_storage *peer)
{
	struct lcall *lc;

	for (lc = m->bucket[addr_bucket(m, peer)]; lc; lc = lc->hnext)
		if (same_addr(&lc->peer, peer, 1))
			return lc;
	return NULL;
}

/* The rate entry of a source IP (the least recently used one is recycled). */
static struct rate *
rate_of(struct lm *m, const struct sockaddr_storage *peer)
{
	struct rate *r, *old = &m->rates[0];
	size_t i;

	for (i = 0; i < RATE_SOURCES; i++) {
		r = &m->rates[i];
		if (r->ip.ss_family && same_addr(&r->ip, peer, 0))
			return r;
		if (!r->ip.ss_family || (r->calls == 0 && (old->calls || r->at < old->at)))
			old = r;
	}
	if (old->calls)
		return NULL; /* every slot holds live calls: refuse */
	memset(old, 0, sizeof(*old));
	old->ip = *peer;
	old->tokens = m->rate * 2; /* burst: two seconds' worth */
	old->at = ev_now(m->loop);
	return old;
}

static size_t
memory_used(const struct lm *m)
{
	const struct lcall *lc;
	size_t sum = 0;

	for (lc = m->calls; lc; lc = lc->next)
		sum += sizeof(*lc) + call_memory(lc->call) + lc->up.cap;
	return sum;
}

static void
on_call_send(void *arg, const uint8_t *p, size_t n)
{
	struct lcall *lc = arg;

	lc->m->dgrams_out++;
	lc->m->bytes_out += n;
	/* UDP: a full socket buffer drops, as the network would (counted by ubatch). */
	ubatch_send(lc->m->ub, (const struct sockaddr *)&lc->peer, lc->plen, p, n);
}

static void
on_flush(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct lm *m = w->data;

	(void)loop;
	(void)revents;
	ubatch_flush(m->ub);
}

static void
up_want(struct lcall *lc)
{
	if (lc->fd < 0)
		return;
	if (!lc->connected || buf_len(&lc->up) > 0)
		ev_io_start(lc->m->loop, &lc->wio);
	else
		ev_io_stop(lc->m->loop, &lc->wio);
}

static void
on_call_preamble(void *arg, const uint8_t *p, size_t n)
{
	struct lcall *lc = arg;
	struct lm *m = lc->m;
	struct proxyv2 h;
	uint8_t hdr[PROXYV2_ENCODED_MAX];
	ssize_t k;
	uint8_t id[CLIENTID_LEN];
	char show[CLIENTID_SHOW_LEN + 1], name[64];

	if (preamble_decode(p, n, id) != (ssize_t)n) {
		log_info("call: not a carrier preamble; closing");
		lcall_free(lc);
		return;
	}
	clientid_show(id, show);
	net_addr_format((const struct sockaddr *)&lc->peer, name, sizeof(name));
	log_debug("call from %s: session %s…", name, show);
	lc->fd = m->up_ep.kind == EP_UNIX ? net_connect(&m->up_ep)
	                                  : net_connect_addr((const struct sockaddr *)&m->upstream,
	                                                     m->upstream_len);
	if (lc->fd < 0) {
		log_warn("connect to the egress");
		lcall_free(lc);
		return;
	}
	memset(&h, 0, sizeof(h));
	h.family = lc->peer.ss_family;
	memcpy(&h.src, &lc->peer, sizeof(h.src));
	if (m->local.ss_family == h.family)
		memcpy(&h.dst, &m->local, sizeof(h.dst));
	else
		h.dst.ss_family = (sa_family_t)h.family;
	if ((k = proxyv2_encode(&h, hdr, sizeof(hdr))) < 0 || buf_append(&lc->up, hdr, (size_t)k) < 0 ||
	    buf_append(&lc->up, p, n) < 0) {
		lcall_free(lc);
		return;
	}
	ev_io_set(&lc->rio, lc->fd, EV_READ);
	ev_io_set(&lc->wio, lc->fd, EV_WRITE);
	up_want(lc);
}

static void
on_call_packet(void *arg, const uint8_t *p, size_t n)
{
	struct lcall *lc = arg;
	uint8_t *w;
	size_t room;
	ssize_t k;

	if (lc->fd < 0)
		return; /* before the preamble: nowhere to go */
	w = buf_reserve(&lc->up, n + FRAME_PREFIX_MAX, UP_BUF_MAX, &room);
	if (!w || room < n + FRAME_PREFIX_MAX)
		return; /* the egress is not reading: drop, KCP retransmits */
	k = frame_encode_data(p, n, w, room);
	if (k > 0)
		buf_commit(&lc->up, (size_t)k);
	up_want(lc);
}

/* Framed packets from the egress into the call, until it refuses one. */
static void
pump_down(struct lcall *lc)
{
	size_t used;
	int trunc, r;

	for (;;) {
		if (lc->held) {
			if (call_write(lc->call, lc->pkt, lc->pktlen) < 0) {
				ev_io_stop(lc->m->loop, &lc->rio);
				return;
			}
			lc->held = 0;
		}
		if (lc->in_off == lc->in_len)
			break;
		r = frame_reader_feed(&lc->fr, lc->in + lc->in_off, lc->in_len - lc->in_off, &used, lc->pkt,
		                      &lc->pktlen, &trunc);
		lc->in_off += used;
		if (r < 0) {
			log_info("call: bad framing from the egress; closing");
			lcall_free(lc);
			return;
		}
		if (r == FRAME_READER_PKT)
			lc->held = 1;
	}
	lc->in_off = lc->in_len = 0;
	if (lc->connected)
		ev_io_start(lc->m->loop, &lc->rio);
}

static void
on_call_writable(void *arg)
{
	pump_down(arg);
}

static void
on_call_up(void *arg)
{
	struct lcall *lc = arg;

	lc->is_up = 1;
	lc->m->nup++;
	lc->m->calls_up_total++;
}

static void
on_call_failed(void *arg, const char *why)
{
	struct lcall *lc = arg;
	char name[64];

	net_addr_format((const struct sockaddr *)&lc->peer, name, sizeof(name));
	log_info("call from %s: %s", name, why);
	lc->m->failed++;
	lcall_free(lc);
}

static void
on_up_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct lcall *lc = w->data;
	ssize_t n;

	(void)loop;
	(void)revents;
	n = read(lc->fd, lc->in, sizeof(lc->in));
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		lcall_free(lc);
		return;
	}
	if (n < 0)
		return;
	lc->in_off = 0;
	lc->in_len = (size_t)n;
	ev_io_stop(lc->m->loop, &lc->rio);
	pump_down(lc);
}

static void
on_up_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct lcall *lc = w->data;
	ssize_t n;

	(void)loop;
	(void)revents;
	if (!lc->connected) {
		if (net_connect_result(lc->fd) != 0) {
			log_info("egress connection failed");
			lcall_free(lc);
			return;
		}
		lc->connected = 1;
		ev_io_start(lc->m->loop, &lc->rio);
	}
	if (buf_len(&lc->up) > 0) {
		n = send(lc->fd, buf_rptr(&lc->up), buf_len(&lc->up), MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			lcall_free(lc);
			return;
		}
		if (n > 0)
			buf_consume(&lc->up, (size_t)n);
	}
	up_want(lc);
}

static void
lcall_free(struct lcall *lc)
{
	struct lm *m = lc->m;
	struct lcall **pp;
	struct rate *r;

	for (pp = &m->calls; *pp; pp = &(*pp)->next)
		if (*pp == lc) {
			*pp = lc->next;
			break;
		}
	for (pp = &m->bucket[addr_bucket(m, &lc->peer)]; *pp; pp = &(*pp)->hnext)
		if (*pp == lc) {
			*pp = lc->hnext;
			break;
		}
	m->ncalls--;
	if (lc->is_up)
		m->nup--;
	if ((r = rate_of(m, &lc->peer)) != NULL && r->calls > 0)
		r->calls--;
	ev_io_stop(m->loop, &lc->rio);
	ev_io_stop(m->loop, &lc->wio);
	if (lc->fd >= 0)
		close(lc->fd);
	call_free(lc->call);
	buf_free(&lc->up);
	free(lc);
}

static struct lcall *
lcall_new(struct lm *m, const struct sockaddr_storage *peer, socklen_t plen)
{
	struct call_cfg cfg = { .role = CALL_SERVER, .id = m->id, .handshake_timeout = m->hs_timeout };
	struct call_cbs cbs = { .send = on_call_send, .preamble = on_call_preamble,
		.packet = on_call_packet, .writable = on_call_writable, .up = on_call_up,
		.failed = on_call_failed };
	ev_tstamp now = ev_now(m->loop);
	char err[CALL_ERR_MAX];
	struct lcall *lc;
	struct rate *r;

	/* Every attempt spends a token, so a flood stays refused by the rate. */
	if ((r = rate_of(m, peer)) == NULL) {
		m->refused_limit++;
		return NULL;
	}
	r->tokens += (now - r->at) * m->rate;
	if (r->tokens > m->rate * 2)
		r->tokens = m->rate * 2;
	r->at = now;
	if (r->tokens < 1) {
		m->refused_rate++;
		return NULL;
	}
	r->tokens -= 1;
	if (m->ncalls >= m->max_calls || r->calls >= m->max_per_src) {
		m->refused_limit++;
		return NULL;
	}
	if (memory_used(m) + CALL_NEW_MEMORY > m->max_memory) {
		m->refused_memory++;
		return NULL;
	}
	if ((lc = calloc(1, sizeof(*lc))) == NULL)
		return NULL;
	lc->m = m;
	lc->peer = *peer;
	lc->plen = plen;
	lc->fd = -1;
	lc->last_in = now;
	frame_reader_init(&lc->fr, CALL_PKT_MAX);
	if (buf_init(&lc->up, 4096) < 0 ||
	    (lc->call = call_new(m->loop, &cfg, &cbs, lc, err, sizeof(err))) == NULL) {
		buf_free(&lc->up);
		free(lc);
		return NULL;
	}
	/* ICE consent answers say where the request came from (the relayed address). */
	call_set_peer_addr(lc->call, (const struct sockaddr *)peer, plen);
	ev_io_init(&lc->rio, on_up_read, -1, EV_READ);
	ev_io_init(&lc->wio, on_up_write, -1, EV_WRITE);
	lc->rio.data = lc->wio.data = lc;
	lc->next = m->calls;
	m->calls = lc;
	lc->hnext = m->bucket[addr_bucket(m, peer)];
	m->bucket[addr_bucket(m, peer)] = lc;
	m->ncalls++;
	m->calls_total++;
	r->calls++;
	if (call_start(lc->call) < 0) {
		lcall_free(lc);
		return NULL;
	}
	return lc;
}

/* Up to 64 datagrams a wakeup, UDP_RECV_BATCH a recvmmsg (longer ones are cut, as before). */
static void
on_udp(struct ev_loop *loop, ev_io *w, int revents)
{
	struct lm *m = w->data;
	static uint8_t buf[UDP_RECV_BATCH][4096];
	struct sockaddr_storage peer[UDP_RECV_BATCH];
	struct mmsghdr mm[UDP_RECV_BATCH];
	struct iovec iov[UDP_RECV_BATCH];
	struct lcall *lc;
	int i, k, got;

	(void)loop;
	(void)revents;
	for (got = 0; got < 64; got += k) {
		memset(mm, 0, sizeof(mm));
		for (i = 0; i < UDP_RECV_BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = sizeof(buf[i]);
			mm[i].msg_hdr.msg_name = &peer[i];
			mm[i].msg_hdr.msg_namelen = sizeof(peer[i]);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		if ((k = recvmmsg(m->ufd, mm, UDP_RECV_BATCH, MSG_DONTWAIT, NULL)) <= 0)
			return;
		for (i = 0; i < k; i++) {
			size_t n = mm[i].msg_len;

			m->dgrams_in++;
			if ((lc = lcall_find(m, &peer[i])) == NULL) {
				/* Only a DTLS ClientHello record opens a call. */
				if (n < 14 || buf[i][0] != 22 || buf[i][13] != 1) {
					m->ignored++;
					continue;
				}
				if ((lc = lcall_new(m, &peer[i], mm[i].msg_hdr.msg_namelen)) == NULL)
					continue;
			}
			lc->last_in = ev_now(m->loop);
			call_input(lc->call, buf[i], n);
		}
		if (k < UDP_RECV_BATCH)
			return; /* drained */
	}
}

static void
on_sweep(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct lm *m = w->data;
	struct lcall *lc, *next;
	ev_tstamp now = ev_now(loop);

	(void)revents;
	for (lc = m->calls; lc; lc = next) {
		next = lc->next;
		if (now - lc->last_in > m->idle) {
			m->expired++;
			lcall_free(lc);
		}
	}
	log_debug("calls %zu memory %zu refused limit %llu rate %llu memory %llu expired %llu",
	          m->ncalls, memory_used(m), m->refused_limit, m->refused_rate, m->refused_memory,
	          m->expired);
}

static int
admin_body(void *arg, int which, char *out, size_t cap)
{
	const struct lm *m = arg;
	const struct lcall *lc;
	struct call_stats st;
	unsigned long long rr_in = 0, rr_out = 0, cuts = 0, waits = 0, consent = 0, wwaits = 0, nrtt = 0;
	double rate = 0, wclosed = 0, rtt_sum = 0, rtt_min = 0;
	unsigned wtop = 0;
	int k;

	for (lc = m->calls; lc; lc = lc->next) {
		call_stats(lc->call, &st);
		rr_in += st.rr_in;
		rr_out += st.rr_out;
		cuts += st.pace_cuts;
		waits += st.pace_waits;
		rate += st.pace_rate;
		consent += st.consent_in;
		wwaits += st.wnd_waits;
		wclosed += st.wnd_closed;
		nrtt += st.rtt_samples;
		rtt_sum += st.rtt_sum;
		if (st.rtt_min > 0 && (rtt_min == 0 || st.rtt_min < rtt_min))
			rtt_min = st.rtt_min;
		if (st.rtt_samples > 0 && st.wnd_top > wtop)
			wtop = st.wnd_top;
	}
	if (which == 0)
		return snprintf(out, cap, "ok calls=%zu up=%zu\n", m->ncalls, m->nup);
	k = snprintf(out, cap,
	                "lanturn_calls %zu\nlanturn_calls_up %zu\nlanturn_calls_max %zu\n"
	                "lanturn_calls_total %llu\nlanturn_calls_up_total %llu\n"
	                "lanturn_calls_failed_total %llu\nlanturn_calls_expired_total %llu\n"
	                "lanturn_refused_total{reason=\"limit\"} %llu\n"
	                "lanturn_refused_total{reason=\"rate\"} %llu\n"
	                "lanturn_refused_total{reason=\"memory\"} %llu\n"
	                "lanturn_ignored_total %llu\nlanturn_datagrams_in_total %llu\n"
	                "lanturn_datagrams_out_total %llu\nlanturn_bytes_out_total %llu\n"
	                "lanturn_memory_bytes %zu\nlanturn_memory_max_bytes %zu\n",
	                m->ncalls, m->nup, m->max_calls, m->calls_total, m->calls_up_total, m->failed,
	                m->expired, m->refused_limit, m->refused_rate, m->refused_memory, m->ignored,
	                m->dgrams_in, m->dgrams_out, m->bytes_out, memory_used(m), m->max_memory);
	if (k < 0 || (size_t)k >= cap)
		return k;
	/* Bulk pacing, summed over the calls alive now (rate: of the bulk calls, bytes/s). */
	return k + snprintf(out + k, cap - (size_t)k,
	                    "lanturn_send_dropped_total %llu\nlanturn_pace_rate_bytes %.0f\n"
	                    "lanturn_pace_cuts %llu\nlanturn_pace_waits %llu\n"
	                    "lanturn_receiver_reports_in %llu\nlanturn_receiver_reports_out %llu\n"
	                    "lanturn_consent_answered %llu\nlanturn_pace_window_waits %llu\n"
	                    "lanturn_pace_window_closed_seconds %.3f\nlanturn_pace_rtt_samples %llu\n"
	                    "lanturn_pace_rtt_min_seconds %.6f\nlanturn_pace_rtt_mean_seconds %.6f\n"
	                    "lanturn_send_batches_total %llu\nlanturn_pace_window_max_packets %u\n",
	                    ubatch_dropped(m->ub), rate, cuts, waits, rr_in, rr_out, consent, wwaits, wclosed, nrtt,
	                    rtt_min, nrtt ? rtt_sum / (double)nrtt : 0.0, ubatch_batches(m->ub), wtop);
}

static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static int
open_udp(struct lm *m, const char *spec, char *name, size_t cap)
{
	struct endpoint ep;
	char err[128];
	int e, fd, rcv = 4 << 20;

	if (endpoint_parse(spec, &ep, err, sizeof(err)) < 0)
		cli_usage_error("-l %s: %s", spec, err);
	if (ep.kind != EP_UDP)
		cli_usage_error("-l %s: want udp:HOST:PORT", spec);
	if ((e = net_resolve_once(ep.host, ep.port, &m->local, &m->local_len)) != 0)
		fatalx(EX_PW_TEMP, "-l %s: %s", spec, gai_strerror(e));
	if ((fd = socket(m->local.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		fatal(EX_PW_TEMP, "socket");
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &rcv, sizeof(rcv));
	if (bind(fd, (struct sockaddr *)&m->local, m->local_len) < 0)
		fatal(EX_PW_TEMP, "bind %s", spec);
	m->local_len = sizeof(m->local);
	if (getsockname(fd, (struct sockaddr *)&m->local, &m->local_len) < 0)
		fatal(EX_PW_INTERNAL, "getsockname");
	net_addr_format((struct sockaddr *)&m->local, name, cap);
	return fd;
}

int
main(int argc, char **argv)
{
	static struct lm m;
	const char *listen = NULL, *upstream = NULL, *admin = NULL, *cert = NULL, *key = NULL;
	struct endpoint admin_ep;
	char err[NSSC_ERR_MAX], fps[FP_STR_MAX], name[ENDPOINT_STR_MAX + 8];
	uint8_t fp[FP_LEN];
	struct lcall *lc;
	int c, e;

	cli_init(argv, usage_str);
	m.max_calls = 256;
	m.max_per_src = 64;
	m.rate = 20;
	m.idle = 30;
	m.hs_timeout = CALL_HANDSHAKE_TIMEOUT;
	m.max_memory = 64u << 20;
	while ((c = getopt_long(argc, argv, CLI_SHORTOPTS "l:u:", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': listen = optarg; break;
		case 'u': upstream = optarg; break;
		case O_MAXCALLS: m.max_calls = cli_u64("--max-calls", optarg, 1, 100000); break;
		case O_PERSRC: m.max_per_src = cli_u64("--max-calls-per-source", optarg, 1, 100000); break;
		case O_RATE: m.rate = (double)cli_u64("--handshake-rate", optarg, 1, 100000); break;
		case O_IDLE:
			m.idle = (double)cli_seconds_ms("--idle-timeout", optarg, 1000, 86400000) / 1000.0;
			break;
		case O_HS:
			m.hs_timeout =
			    (double)cli_seconds_ms("--handshake-timeout", optarg, 100, 600000) / 1000.0;
			break;
		case O_ADMIN: admin = optarg; break;
		case O_CERT: cert = optarg; break;
		case O_KEY: key = optarg; break;
		case O_MEM: m.max_memory = cli_u64("--max-memory", optarg, 1u << 20, 1ULL << 40); break;
		default: cli_option(c);
		}
	}
	cli_no_operands(argc, argv);
	if (!listen || !upstream)
		cli_usage_error("-l and -u are required");
	if (!cert != !key)
		cli_usage_error("--cert and --key go together");
	if (endpoint_parse(upstream, &m.up_ep, err, sizeof(err)) < 0)
		cli_usage_error("-u %s: %s", upstream, err);
	if (m.up_ep.kind == EP_TCP) {
		if ((e = net_resolve_once(m.up_ep.host, m.up_ep.port, &m.upstream, &m.upstream_len)) != 0)
			fatalx(EX_PW_TEMP, "-u %s: %s", upstream, gai_strerror(e));
	} else if (m.up_ep.kind != EP_UNIX)
		cli_usage_error("-u %s: want tcp:HOST:PORT or unix:PATH", upstream);
	if (admin && (endpoint_parse(admin, &admin_ep, err, sizeof(err)) < 0 || admin_ep.nopts > 0 ||
	              !admin_endpoint_ok(&admin_ep)))
		cli_usage_error("--admin %s: only unix:PATH or a loopback tcp:HOST:PORT", admin);
	if (nssc_use_nss_dir("auto", argv) < 0)
		fatalx(EX_PW_INTERNAL, "cannot use Firefox's NSS");
	if (nssc_global_init(err, sizeof(err)) < 0)
		fatalx(EX_PW_INTERNAL, "NSS: %s", err);
	if (cert && (m.id = nssc_id_load(cert, key, err, sizeof(err))) == NULL)
		fatalx(EX_PW_USAGE, "%s", err);
	if (!cert && (m.id = nssc_id_new(err, sizeof(err))) == NULL)
		fatalx(EX_PW_INTERNAL, "NSS: %s", err);
	signal(SIGPIPE, SIG_IGN);
	for (m.nbuckets = 64; m.nbuckets < m.max_calls; m.nbuckets *= 2)
		;
	if ((m.bucket = calloc(m.nbuckets, sizeof(*m.bucket))) == NULL ||
	    getrandom(&m.hkey, sizeof(m.hkey), 0) != sizeof(m.hkey))
		fatalx(EX_PW_INTERNAL, "out of memory or no randomness");
	if ((m.loop = ev_default_loop(EVFLAG_AUTO)) == NULL)
		fatalx(EX_PW_INTERNAL, "cannot initialise libev");
	m.ufd = open_udp(&m, listen, name, sizeof(name));
	if ((m.ub = ubatch_new(m.ufd)) == NULL)
		fatalx(EX_PW_INTERNAL, "out of memory");
	nssc_id_fingerprint(m.id, fp);
	fp_format(fp, fps);
	/* The fingerprint first: a reader waiting for "ready" has it then. */
	printf("fingerprint %s\n", fps);
	printf("ready udp:%s\n", name);
	if (admin) {
		if (admin_open(&m.admin, m.loop, &admin_ep, admin_body, &m) < 0)
			fatal(EX_PW_TEMP, "--admin %s", admin);
		admin_start(&m.admin);
		m.has_admin = 1;
		printf("ready %s\n", m.admin.name);
	}
	fflush(stdout);
	ev_io_init(&m.uio, on_udp, m.ufd, EV_READ);
	m.uio.data = &m;
	ev_io_start(m.loop, &m.uio);
	ev_prepare_init(&m.flush_w, on_flush);
	m.flush_w.data = &m;
	ev_prepare_start(m.loop, &m.flush_w);
	ev_timer_init(&m.sweep, on_sweep, SWEEP_IVL, SWEEP_IVL);
	m.sweep.data = &m;
	ev_timer_start(m.loop, &m.sweep);
	ev_signal_init(&m.sigterm, on_signal, SIGTERM);
	ev_signal_init(&m.sigint, on_signal, SIGINT);
	ev_signal_start(m.loop, &m.sigterm);
	ev_signal_start(m.loop, &m.sigint);
	log_info("listening on udp, upstream %s, NSS %s", upstream, nssc_nss_version());
	ev_run(m.loop, 0);
	while ((lc = m.calls) != NULL)
		lcall_free(lc);
	ev_io_stop(m.loop, &m.uio);
	if (m.has_admin)
		admin_close(&m.admin);
	ev_timer_stop(m.loop, &m.sweep);
	ev_signal_stop(m.loop, &m.sigterm);
	ev_signal_stop(m.loop, &m.sigint);
	ev_prepare_stop(m.loop, &m.flush_w);
	ubatch_flush(m.ub);
	ubatch_free(m.ub);
	close(m.ufd);
	free(m.bucket);
	nssc_id_free(m.id);
	ev_loop_destroy(m.loop);
	return EX_PW_OK;
}
