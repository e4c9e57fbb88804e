/* SPDX-License-Identifier: MIT */
/*
 * See stunc.h. Invariants: a transaction is on its transport's list from
 * stunc_request until it completes or is cancelled, and completes exactly
 * once, after being unlinked, so its callback may start or cancel other
 * transactions. Callbacks may free the transport itself: stunc_free
 * during a callback only marks it, and the outermost dispatcher frees it
 * on the way out (c->busy counts the nesting).
 *
 * This file has the transactions and the UDP transport; stunc_stream.c
 * has TCP/TLS.
 */
#include "stun/stunc.h"
#include "stun/stunc_int.h"

#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/secret.h"
#include "tls/tls.h"

#define STUNC_RECV_BURST 64 /* datagrams read per wakeup before yielding */
#define STUNC_RECV_BATCH 8  /* datagrams per recvmmsg, each in a slot of STUNC_DGRAM_MAX */

uint64_t
stunc_send_at_ms(unsigned i, uint64_t rto0)
{
	if (i >= 32)
		return UINT64_MAX;
	return rto0 * ((UINT64_C(1) << i) - 1);
}

uint64_t
stunc_give_up_ms(unsigned rc, unsigned rm, uint64_t rto0)
{
	if (rc == 0)
		return 0;
	return stunc_send_at_ms(rc - 1, rto0) + (uint64_t)rm * rto0;
}

const char *
stunc_result_name(enum stunc_result r)
{
	static const char *const names[] = { "response", "timeout", "refused", "failed" };

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

const char *
stunc_drop_name(enum stunc_drop d)
{
	static const char *const names[] = { "none", "malformed response", "wrong transaction id",
		"bad integrity", "unknown comprehension-required attribute", "response from wrong address" };

	return (unsigned)d < sizeof(names) / sizeof(names[0]) ? names[d] : "?";
}

const char *
stunc_close_reason(const struct stunc *c)
{
	return c->why;
}

enum stunc_kind
stunc_kind(const struct stunc *c)
{
	return c->kind;
}

const struct stunc_stats *
stunc_stats(const struct stunc *c)
{
	return &c->stats;
}

int
stunc_local(const struct stunc *c, struct sockaddr_storage *ss, socklen_t *len)
{
	*len = sizeof(*ss);
	return getsockname(c->fd, (struct sockaddr *)ss, len);
}

int
stunc_set_buffers(struct stunc *c, int bytes)
{
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) == -1 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes)) == -1)
		return -1;
	return 0;
}

static int
same_addr(const struct sockaddr *a, const struct sockaddr_storage *b)
{
	if (a->sa_family != b->ss_family)
		return 0;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;

		return x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return 0;
}

/* --- transactions ------------------------------------------------------ */

static void
tx_unlink(struct stunc_tx *tx)
{
	struct stunc *c = tx->c;

	ev_timer_stop(c->loop, &tx->timer);
	if (tx->prev != NULL)
		tx->prev->next = tx->next;
	else
		c->txs = tx->next;
	if (tx->next != NULL)
		tx->next->prev = tx->prev;
	tx->prev = tx->next = NULL;
}

void
stunc_tx_finish(struct stunc_tx *tx, enum stunc_result res, const struct stun_msg *m,
          const struct sockaddr *from)
{
	struct stunc *c = tx->c;
	double rtt = tx->sends > 0 ? (ev_time() - tx->t0) * 1000.0 : 0;

	tx_unlink(tx);
	stunc_enter(c);
	tx->cb(tx->arg, res, m, from, rtt, tx->drop);
	secret_wipe(tx->key, sizeof(tx->key));
	free(tx);
	stunc_leave(c);
}

static int stunc_out(struct stunc *c, const struct sockaddr *to, socklen_t tolen, const void *p,
                     size_t n);

static void
tx_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct stunc_tx *tx = w->data;
	double elapsed;
	uint64_t next;

	(void)revents;
	if (tx->fail != STUNC_RESPONSE) {
		stunc_tx_finish(tx, tx->fail, NULL, NULL);
		return;
	}
	elapsed = (ev_now(loop) - tx->start) * 1000.0;
	if (elapsed + 1 >= (double)tx->give_up_ms) {
		stunc_tx_finish(tx, STUNC_TIMEOUT, NULL, NULL);
		return;
	}
	/* UDP: the next send is due (timers fire no earlier than asked). */
	if (stunc_out(tx->c, (struct sockaddr *)&tx->to, tx->tolen, tx->msg, tx->len) == 0) {
		tx->c->stats.resent++;
		tx->sends++;
	}
	next = tx->sends < STUNC_RC ? stunc_send_at_ms(tx->sends, STUNC_RTO_MS) : UINT64_MAX;
	if (next > tx->give_up_ms)
		next = tx->give_up_ms;
	ev_timer_set(w, ((double)next - elapsed) / 1000.0, 0);
	ev_timer_start(loop, w);
}

struct stunc_tx *
stunc_request(struct stunc *c, const struct sockaddr *to, socklen_t tolen, const uint8_t *msg,
              size_t len, const struct stunc_opts *o, stunc_tx_cb cb, void *arg)
{
	struct stunc_tx *tx;
	uint64_t sched, first;

	if (len < STUN_HEADER_LEN || len > STUNC_REQ_MAX || o->keylen > STUNC_KEY_MAX ||
	    (c->kind == STUNC_UDP && (to == NULL || tolen > sizeof(tx->to)))) {
		errno = EMSGSIZE;
		return NULL;
	}
	if (c->dead) {
		errno = EPIPE;
		return NULL;
	}
	if ((tx = calloc(1, sizeof(*tx))) == NULL)
		return NULL;
	tx->c = c;
	memcpy(tx->msg, msg, len);
	tx->len = len;
	if (to != NULL) {
		memcpy(&tx->to, to, tolen);
		tx->tolen = tolen;
	}
	if (o->keylen > 0)
		memcpy(tx->key, o->key, o->keylen);
	tx->keylen = o->keylen;
	tx->any_source = o->any_source;
	tx->cb = cb;
	tx->arg = arg;
	tx->fail = STUNC_RESPONSE;
	sched = c->kind == STUNC_UDP ? stunc_give_up_ms(STUNC_RC, STUNC_RM, STUNC_RTO_MS)
	                             : STUNC_STREAM_TIMEOUT_MS;
	tx->give_up_ms = o->timeout_ms > 0 && o->timeout_ms < sched ? o->timeout_ms : sched;
	ev_init(&tx->timer, tx_timer);
	tx->timer.data = tx;
	if (c->kind != STUNC_UDP && buf_room(&c->wbuf) < len) {
		free(tx);
		errno = ENOBUFS;
		return NULL;
	}
	tx->next = c->txs;
	if (c->txs != NULL)
		c->txs->prev = tx;
	c->txs = tx;
	tx->t0 = ev_time();
	tx->start = ev_now(c->loop);
	if (stunc_out(c, to, tolen, msg, len) == -1) {
		/* Reported from the loop, never from inside this call. */
		tx->fail = errno == ECONNREFUSED ? STUNC_REFUSED : STUNC_FAILED;
		ev_timer_set(&tx->timer, 0, 0);
		ev_timer_start(c->loop, &tx->timer);
		return tx;
	}
	c->stats.sent++;
	tx->sends = 1;
	first = c->kind == STUNC_UDP ? stunc_send_at_ms(1, STUNC_RTO_MS) : UINT64_MAX;
	if (first > tx->give_up_ms)
		first = tx->give_up_ms;
	ev_timer_set(&tx->timer, (double)first / 1000.0, 0);
	ev_timer_start(c->loop, &tx->timer);
	return tx;
}

void
stunc_cancel(struct stunc_tx *tx)
{
	if (tx == NULL)
		return;
	tx_unlink(tx);
	secret_wipe(tx->key, sizeof(tx->key));
	free(tx);
}

static struct stunc_tx *
tx_by_tid(struct stunc *c, const uint8_t tid[STUN_TID_LEN])
{
	struct stunc_tx *tx;

	for (tx = c->txs; tx != NULL; tx = tx->next)
		if (memcmp(tx->msg + 8, tid, STUN_TID_LEN) == 0)
			return tx;
	return NULL;
}

/* Remember a dropped response in the first transaction it may belong to. */
static void
blame(struct stunc *c, const struct sockaddr *from, enum stunc_drop d)
{
	struct stunc_tx *tx;

	for (tx = c->txs; tx != NULL; tx = tx->next)
		if (c->kind != STUNC_UDP || from == NULL || same_addr(from, &tx->to)) {
			tx->drop = d;
			return;
		}
}

/* Error responses a server cannot or need not protect (RFC 8489 §9.2.4, §14.5). */
static int
unprotected_ok(const struct stun_msg *m)
{
	int code;
	const char *r;
	size_t rl;

	if (m->cls != STUN_ERROR_RESP || m->mi_idx >= 0 || m->mi256_idx >= 0)
		return 0;
	if (stun_attr_error(stun_find(m, STUN_ATTR_ERROR_CODE), &code, &r, &rl) == -1)
		return 0;
	return code == 400 || code == 401 || code == 420 || code == 438;
}

static void
dispatch_stun(struct stunc *c, const uint8_t *p, size_t n, const struct sockaddr *from)
{
	struct stun_msg m;
	struct stunc_tx *tx;

	if (stun_decode_dgram(p, n, &m) == -1) {
		c->stats.malformed++;
		blame(c, from, STUNC_DROP_MALFORMED);
		return;
	}
	if (m.cls == STUN_INDICATION) {
		if (c->cbs.indication != NULL)
			c->cbs.indication(c->arg, &m, from);
		return;
	}
	if (m.cls == STUN_REQUEST)
		return;
	if ((tx = tx_by_tid(c, m.tid)) == NULL) {
		c->stats.unknown_tid++;
		blame(c, from, STUNC_DROP_UNKNOWN_TID);
		return;
	}
	if (c->kind == STUNC_UDP && !tx->any_source && !same_addr(from, &tx->to)) {
		c->stats.wrong_source++;
		tx->drop = STUNC_DROP_SOURCE;
		return;
	}
	if (tx->keylen > 0 && !unprotected_ok(&m) && stun_check_integrity(&m, tx->key, tx->keylen) != 1) {
		c->stats.bad_integrity++;
		tx->drop = STUNC_DROP_INTEGRITY;
		return;
	}
	c->stats.responses++;
	if (m.nunknown > 0 && m.cls == STUN_SUCCESS) {
		c->stats.unknown_attr++;
		tx->drop = STUNC_DROP_UNKNOWN_ATTR;
		stunc_tx_finish(tx, STUNC_FAILED, NULL, from);
		return;
	}
	stunc_tx_finish(tx, STUNC_RESPONSE, &m, from);
}

/* One frame (a datagram, or a frame cut from a stream). */
void
stunc_dispatch(struct stunc *c, const uint8_t *p, size_t n, const struct sockaddr *from)
{
	const uint8_t *data;
	uint16_t chan;
	size_t dlen;

	if (n > 0 && (p[0] & 0xC0) == 0x40) {
		/* Without a channel callback nobody asked for ChannelData: garbage. */
		if (c->cbs.channel == NULL ||
		    turn_channeldata_decode(p, n, c->kind != STUNC_UDP, &chan, &data, &dlen) <= 0) {
			c->stats.malformed++;
			blame(c, from, STUNC_DROP_MALFORMED);
			return;
		}
		c->cbs.channel(c->arg, chan, data, dlen);
		return;
	}
	dispatch_stun(c, p, n, from);
}

/* --- lifetime ---------------------------------------------------------- */

void
stunc_destroy(struct stunc *c)
{
	while (c->txs != NULL)
		stunc_cancel(c->txs);
	ev_io_stop(c->loop, &c->rd);
	ev_io_stop(c->loop, &c->wr);
	if (c->tls != NULL)
		tls_conn_free(c->tls);
	if (c->fd != -1)
		close(c->fd);
	buf_free(&c->wbuf);
	free(c->rbuf);
	free(c);
}

void
stunc_enter(struct stunc *c)
{
	c->busy++;
}

void
stunc_leave(struct stunc *c)
{
	if (--c->busy == 0 && c->doomed)
		stunc_destroy(c);
}

void
stunc_free(struct stunc *c)
{
	if (c == NULL)
		return;
	if (c->busy > 0) {
		/* Inside one of our callbacks: quiet now, free on the way out. */
		c->doomed = 1;
		c->dead = 1;
		while (c->txs != NULL)
			stunc_cancel(c->txs);
		ev_io_stop(c->loop, &c->rd);
		ev_io_stop(c->loop, &c->wr);
		return;
	}
	stunc_destroy(c);
}

/* --- UDP --------------------------------------------------------------- */

/* ICMP errors queued by IP_RECVERR: fail what was sent to that address. */
static void
udp_errqueue(struct stunc *c)
{
	uint8_t ctl[512], dummy[64];
	struct sockaddr_storage dst;
	struct iovec iov = { dummy, sizeof(dummy) };
	struct msghdr mh;
	struct cmsghdr *cm;

	for (;;) {
		struct sock_extended_err *ee = NULL;
		struct stunc_tx *tx, *next;

		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &dst;
		mh.msg_namelen = sizeof(dst);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl;
		mh.msg_controllen = sizeof(ctl);
		if (recvmsg(c->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) == -1)
			return;
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
			if ((cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR) ||
			    (cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_RECVERR))
				ee = (struct sock_extended_err *)CMSG_DATA(cm);
		if (ee == NULL || (ee->ee_origin != SO_EE_ORIGIN_ICMP && ee->ee_origin != SO_EE_ORIGIN_ICMP6))
			continue;
		stunc_enter(c);
		for (tx = c->txs; tx != NULL && !c->doomed; tx = next) {
			next = tx->next;
			if (same_addr((struct sockaddr *)&dst, &tx->to)) {
				stunc_tx_finish(tx, ee->ee_errno == ECONNREFUSED ? STUNC_REFUSED : STUNC_FAILED,
				    NULL, NULL);
				next = c->txs; /* the list may have changed under the callback */
			}
		}
		stunc_leave(c);
		if (c->doomed)
			return;
	}
}

/*
 * Up to STUNC_RECV_BATCH datagrams a syscall (recvmmsg), STUNC_RECV_BURST
 * a wakeup. The error queue (IP_RECVERR) is read when a wakeup finds no
 * datagram (POLLERR alone woke us) or a read fails: not once per wakeup
 * of a busy socket, where it would cost a syscall each time for nothing.
 */
static void
udp_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct stunc *c = w->data;
	struct mmsghdr mm[STUNC_RECV_BATCH];
	struct iovec iov[STUNC_RECV_BATCH];
	struct sockaddr_storage from[STUNC_RECV_BATCH];
	int i, k, got = 0, tries = 0;

	(void)loop;
	(void)revents;
	stunc_enter(c);
	while (got < STUNC_RECV_BURST && tries++ < STUNC_RECV_BURST && !c->doomed) {
		memset(mm, 0, sizeof(mm));
		for (i = 0; i < STUNC_RECV_BATCH; i++) {
			iov[i].iov_base = c->rbuf + (size_t)i * STUNC_DGRAM_MAX;
			iov[i].iov_len = STUNC_DGRAM_MAX;
			mm[i].msg_hdr.msg_name = &from[i];
			mm[i].msg_hdr.msg_namelen = sizeof(from[i]);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		k = recvmmsg(c->fd, mm, STUNC_RECV_BATCH, MSG_DONTWAIT, NULL);
		if (k == -1) {
			int again = errno == EAGAIN || errno == EWOULDBLOCK;

			if (errno == EINTR)
				continue;
			/* Nothing read: what woke us may wait in the error queue (sk_err, ICMP). */
			if (got == 0 || !again)
				udp_errqueue(c);
			if (again)
				break;
			continue;
		}
		for (i = 0; i < k && !c->doomed; i++)
			stunc_dispatch(c, iov[i].iov_base, mm[i].msg_len, (struct sockaddr *)&from[i]);
		got += k;
		if (k < STUNC_RECV_BATCH)
			break; /* drained */
	}
	stunc_leave(c);
}

struct stunc *
stunc_udp_new(struct ev_loop *loop, int family, const struct sockaddr *bind_sa, socklen_t bind_len,
              const struct stunc_cbs *cbs, void *arg)
{
	struct sockaddr_storage any;
	struct stunc *c;
	int on = 1;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->loop = loop;
	c->kind = STUNC_UDP;
	c->family = family;
	c->cbs = *cbs;
	c->arg = arg;
	/* Untouched pages of the slots cost no memory: a slot holds what the datagram wrote. */
	if ((c->rbuf = malloc((size_t)STUNC_RECV_BATCH * STUNC_DGRAM_MAX)) == NULL)
		goto fail;
	c->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1)
		goto fail;
	if (family == AF_INET)
		(void)setsockopt(c->fd, SOL_IP, IP_RECVERR, &on, sizeof(on));
	else
		(void)setsockopt(c->fd, SOL_IPV6, IPV6_RECVERR, &on, sizeof(on));
	if (bind_sa == NULL) {
		memset(&any, 0, sizeof(any));
		any.ss_family = (sa_family_t)family;
		bind_sa = (struct sockaddr *)&any;
		bind_len = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	}
	if (bind(c->fd, bind_sa, bind_len) == -1)
		goto fail;
	ev_io_init(&c->rd, udp_read, c->fd, EV_READ);
	c->rd.data = c;
	ev_init(&c->wr, NULL);
	ev_io_start(loop, &c->rd);
	return c;
fail:
	{
		int e = errno;

		if (c->fd > 0)
			close(c->fd);
		free(c->rbuf);
		free(c);
		errno = e;
	}
	return NULL;
}

/* --- output ------------------------------------------------------------ */

static int
stunc_out(struct stunc *c, const struct sockaddr *to, socklen_t tolen, const void *p, size_t n)
{
	if (c->kind == STUNC_UDP) {
		int tries;

		/*
		 * With IP_RECVERR an ICMP error about another destination may be
		 * pending on the socket and fail this send once; its details wait
		 * in the error queue. Only a repeated failure is this send's own.
		 */
		for (tries = 0; tries < 4; tries++) {
			if (sendto(c->fd, p, n, 0, to, tolen) == (ssize_t)n)
				return 0;
			if (errno != EINTR && errno != ECONNREFUSED && errno != EHOSTUNREACH &&
			    errno != ENETUNREACH)
				break;
		}
		/* A full socket buffer loses this datagram; the RTO resends it. */
		return errno == EAGAIN || errno == ENOBUFS ? 0 : -1;
	}
	if (c->dead) {
		errno = EPIPE;
		return -1;
	}
	if (buf_append(&c->wbuf, p, n) == -1) {
		errno = ENOBUFS;
		return -1;
	}
	/* Written from the loop: a failure then never re-enters the caller. */
	stunc_update(c);
	return 0;
}

int
stunc_send(struct stunc *c, const struct sockaddr *to, socklen_t tolen, const void *p, size_t n)
{
	return stunc_out(c, to, tolen, p, n);
}
