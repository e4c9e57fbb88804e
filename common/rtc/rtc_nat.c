/* SPDX-License-Identifier: MIT */
/*
 * rtc_nat: RFC 5780 mapping behaviour, as snowflake-client classifies it
 * (rtc_nat.h). One UDP socket, two transactions in turn.
 */
#include "rtc/rtc_nat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/stun.h"

struct rtc_nat {
	struct ev_loop *loop;
	int fd, step, tries;
	ev_io rw;
	ev_timer rtx;
	ev_idle fin;
	rtc_nat_cb done;
	void *arg;
	const char *nat, *why;
	uint8_t tid[STUN_TID_LEN];
	struct sockaddr_storage to, m1;
	socklen_t tolen, m1len;
};

#define nat_of(w, field) ((struct rtc_nat *)(void *)((char *)(w) - offsetof(struct rtc_nat, field)))

static void
nat_end(struct rtc_nat *n, const char *nat, const char *why)
{
	ev_io_stop(n->loop, &n->rw);
	ev_timer_stop(n->loop, &n->rtx);
	n->nat = nat;
	n->why = why;
	ev_idle_start(n->loop, &n->fin); /* never from inside rtc_nat_probe */
}

static void
on_fin(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct rtc_nat *n = nat_of(w, fin);

	(void)revents;
	ev_idle_stop(loop, w);
	n->done(n->arg, n->nat, n->why);
}

static void
nat_send(struct rtc_nat *n)
{
	struct stun_builder b;
	uint8_t buf[64];
	ssize_t len;

	stun_build_begin(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, n->tid);
	stun_add_fingerprint(&b);
	if ((len = stun_build_end(&b)) < 0 ||
	    (sendto(n->fd, buf, (size_t)len, 0, (struct sockaddr *)&n->to, n->tolen) < 0 && errno != EAGAIN)) {
		nat_end(n, "unknown", "cannot send to the STUN server");
		return;
	}
	ev_timer_set(&n->rtx, RTC_NAT_RTO_MS / 1000.0, 0.);
	ev_timer_start(n->loop, &n->rtx);
}

static void
nat_step(struct rtc_nat *n)
{
	n->tries = 0;
	if (stun_new_tid(n->tid) < 0) {
		nat_end(n, "unknown", "no random transaction id");
		return;
	}
	nat_send(n);
}

static void
on_rtx(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct rtc_nat *n = nat_of(w, rtx);

	(void)loop;
	(void)revents;
	if (++n->tries >= RTC_NAT_TRIES) {
		nat_end(n, "unknown", n->step == 1 ? "no answer from the STUN server"
		                                   : "no answer from the STUN server's other address");
		return;
	}
	nat_send(n);
}

static int
mapped_of(const struct stun_msg *m, struct sockaddr_storage *ss, socklen_t *len)
{
	if (stun_attr_addr(m, stun_find(m, STUN_ATTR_XOR_MAPPED_ADDRESS), ss, len) == 0)
		return 0;
	return stun_attr_addr(m, stun_find(m, STUN_ATTR_MAPPED_ADDRESS), ss, len);
}

static void
on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct rtc_nat *n = nat_of(w, rw);
	struct sockaddr_storage ss, other;
	socklen_t len, olen;
	struct stun_msg m;
	uint8_t buf[1500];
	ssize_t k;

	(void)loop;
	(void)revents;
	while ((k = recv(n->fd, buf, sizeof(buf), 0)) >= 0) {
		if (stun_decode_dgram(buf, (size_t)k, &m) < 0 || m.method != STUN_BINDING ||
		    memcmp(m.tid, n->tid, STUN_TID_LEN) != 0)
			continue; /* not ours, or a late answer to an earlier step */
		if (m.cls != STUN_SUCCESS || mapped_of(&m, &ss, &len) < 0) {
			nat_end(n, "unknown", "the STUN server refused a Binding");
			return;
		}
		ev_timer_stop(n->loop, &n->rtx);
		if (n->step == 2) {
			nat_end(n, len == n->m1len && memcmp(&ss, &n->m1, len) == 0 ? "unrestricted" : "restricted",
			        NULL);
			return;
		}
		if (stun_attr_addr(&m, stun_find(&m, STUN_ATTR_OTHER_ADDRESS), &other, &olen) < 0 ||
		    other.ss_family != n->to.ss_family) {
			nat_end(n, "unknown", "the STUN server has no OTHER-ADDRESS (no RFC 5780)");
			return;
		}
		n->m1 = ss;
		n->m1len = len;
		/* Test II: the alternate IP, the primary port. */
		if (other.ss_family == AF_INET)
			((struct sockaddr_in *)&other)->sin_port = ((struct sockaddr_in *)&n->to)->sin_port;
		else
			((struct sockaddr_in6 *)&other)->sin6_port = ((struct sockaddr_in6 *)&n->to)->sin6_port;
		n->to = other;
		n->tolen = olen;
		n->step = 2;
		nat_step(n);
		return;
	}
}

struct rtc_nat *
rtc_nat_probe(struct ev_loop *loop, const char *ip, uint16_t port, rtc_nat_cb done, void *arg)
{
	struct rtc_nat *n = calloc(1, sizeof(*n));
	struct sockaddr_in *s4;
	struct sockaddr_in6 *s6;

	if (n == NULL)
		return NULL;
	n->loop = loop;
	n->done = done;
	n->arg = arg;
	s4 = (struct sockaddr_in *)&n->to;
	s6 = (struct sockaddr_in6 *)&n->to;
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		n->tolen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		n->tolen = sizeof(*s6);
	} else {
		free(n);
		return NULL;
	}
	if ((n->fd = socket(n->to.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
		free(n);
		return NULL;
	}
	ev_io_init(&n->rw, on_read, n->fd, EV_READ);
	ev_init(&n->rtx, on_rtx);
	ev_idle_init(&n->fin, on_fin);
	ev_io_start(loop, &n->rw);
	n->step = 1;
	nat_step(n);
	return n;
}

void
rtc_nat_free(struct rtc_nat *n)
{
	if (n == NULL)
		return;
	ev_io_stop(n->loop, &n->rw);
	ev_timer_stop(n->loop, &n->rtx);
	ev_idle_stop(n->loop, &n->fin);
	close(n->fd);
	free(n);
}
