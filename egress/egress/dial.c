/* SPDX-License-Identifier: MIT */
/*
 * Dialling a destination (see dial.h). The policy is applied to
 * resolved addresses only, so a name that resolves to a denied address
 * is refused like the address. When several addresses fail differently
 * the outcome reports the most telling error. A name that only looks
 * like an IPv4 address ("0177.0.0.1", "127.1") is refused before
 * resolution: resolvers and browsers read such names differently, so
 * the address the policy checked might not be the one the client meant.
 * Outcomes known at once (a denied literal address, such a name) are
 * delivered from a zero timer, so callers
 * never see their callback run inside dial_start().
 */
#include "dial.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "net/dns.h"
#include "net/net.h"
#include "proto/socks5.h"

struct dial {
	struct egress *eg;
	dial_cb cb;
	void *arg;
	int fd; /* attempt in flight; -1 when none */
	ev_io io;
	ev_timer timer;
	struct dns_query *q;
	struct dns_result addrs;
	size_t next_addr;
	int best_err;
	ev_tstamp deadline;
	int done;          /* outcome decided; the timer delivers it */
	uint8_t rep;
	enum events_result result;
	char who[NET_ADDRSTR_MAX];
	char dest[SOCKSADDR_STR_MAX];
};

static void dial_connect_next(struct dial *d);

static void
dial_stop(struct dial *d)
{
	ev_io_stop(d->eg->loop, &d->io);
	ev_timer_stop(d->eg->loop, &d->timer);
	dns_cancel(d->q);
	d->q = NULL;
	if (d->fd != -1)
		close(d->fd);
	d->fd = -1;
}

void
dial_cancel(struct dial *d)
{
	if (d == NULL)
		return;
	dial_stop(d);
	free(d);
}

/* Decide a failure now, report it from the loop; why goes to the one debug line. */
static void
dial_fail_why(struct dial *d, uint8_t rep, enum events_result result, const char *why)
{
	log_debug("%s -> %s: %s", d->who, d->dest, why);
	dial_stop(d);
	d->done = 1;
	d->rep = rep;
	d->result = result;
	ev_timer_set(&d->timer, 0, 0);
	ev_timer_start(d->eg->loop, &d->timer);
}

static void
dial_fail(struct dial *d, uint8_t rep, enum events_result result)
{
	dial_fail_why(d, rep, result, socks5_reply_str(rep));
}

static void
dial_report(struct dial *d, int fd)
{
	dial_cb cb = d->cb;
	void *arg = d->arg;
	uint8_t rep = d->rep;
	enum events_result result = d->result;

	if (fd != -1)
		d->fd = -1;
	dial_stop(d);
	free(d);
	cb(arg, fd, rep, result);
}

static int
dial_err_rank(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return 5;
	case ETIMEDOUT:
		return 4;
	case EHOSTUNREACH:
		return 3;
	case ENETUNREACH:
		return 2;
	case 0:
		return 0;
	default:
		return 1;
	}
}

static void
dial_note_err(struct dial *d, int err)
{
	if (dial_err_rank(err) > dial_err_rank(d->best_err))
		d->best_err = err;
}

static void
dial_fail_connect(struct dial *d)
{
	switch (d->best_err) {
	case ECONNREFUSED:
		dial_fail(d, SOCKS5_REP_REFUSED, EVENTS_REFUSED);
		break;
	case ENETUNREACH:
		dial_fail(d, SOCKS5_REP_NET_UNREACHABLE, EVENTS_UNREACHABLE);
		break;
	case EHOSTUNREACH:
		dial_fail(d, SOCKS5_REP_HOST_UNREACHABLE, EVENTS_UNREACHABLE);
		break;
	case ETIMEDOUT:
		dial_fail(d, SOCKS5_REP_TTL_EXPIRED, EVENTS_TIMEOUT);
		break;
	case EACCES:
	case EPERM: /* a local firewall said no */
		dial_fail(d, SOCKS5_REP_NOT_ALLOWED, EVENTS_REFUSED);
		break;
	default:
		dial_fail(d, SOCKS5_REP_GENERAL_FAILURE, EVENTS_ERROR);
	}
}

static void
dial_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct dial *d = (struct dial *)((char *)w - offsetof(struct dial, io));
	int err = net_connect_result(d->fd);

	(void)loop;
	(void)revents;
	if (err == 0) {
		log_debug("%s -> %s: connected", d->who, d->dest);
		dial_report(d, d->fd);
		return;
	}
	ev_io_stop(d->eg->loop, &d->io);
	close(d->fd);
	d->fd = -1;
	dial_note_err(d, err);
	dial_connect_next(d);
}

static void
dial_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct dial *d = (struct dial *)((char *)w - offsetof(struct dial, timer));

	(void)loop;
	(void)revents;
	if (d->done) {
		dial_report(d, -1);
		return;
	}
	ev_io_stop(d->eg->loop, &d->io);
	close(d->fd);
	d->fd = -1;
	dial_note_err(d, ETIMEDOUT);
	dial_connect_next(d);
}

static void
dial_timer(struct dial *d, double after)
{
	ev_timer_stop(d->eg->loop, &d->timer);
	ev_timer_set(&d->timer, after > 0 ? after : 0, 0);
	ev_timer_start(d->eg->loop, &d->timer);
}

static void
dial_connect_next(struct dial *d)
{
	ev_tstamp now = ev_now(d->eg->loop);
	double left;
	int fd;

	while (d->next_addr < d->addrs.n) {
		const union dns_addr *a = &d->addrs.addr[d->next_addr++];

		if ((left = d->deadline - now) <= 0) {
			dial_note_err(d, ETIMEDOUT);
			break;
		}
		if ((fd = net_connect_addr(&a->sa, dns_addr_len(a))) == -1) {
			dial_note_err(d, errno);
			continue;
		}
		d->fd = fd;
		ev_io_set(&d->io, fd, EV_WRITE);
		ev_io_start(d->eg->loop, &d->io);
		dial_timer(d, left < d->eg->connect_timeout ? left : d->eg->connect_timeout);
		return;
	}
	dial_fail_connect(d);
}

/* Keep the allowed addresses, in order; refuse when none is left. */
static void
dial_apply_policy(struct dial *d)
{
	char a[NET_ADDRSTR_MAX];
	size_t i, n = 0;

	for (i = 0; i < d->addrs.n; i++) {
		if (policy_allows_sa(&d->eg->policy, &d->addrs.addr[i].sa))
			d->addrs.addr[n++] = d->addrs.addr[i];
		else if (log_get_level() >= LOG_LVL_INFO) {
			net_addr_format(&d->addrs.addr[i].sa, a, sizeof(a));
			log_info("%s -> %s: %s denied by policy", d->who, d->dest, a);
		}
	}
	d->addrs.n = n;
	d->next_addr = 0;
	if (n == 0) {
		dial_fail(d, SOCKS5_REP_NOT_ALLOWED, EVENTS_REFUSED);
		return;
	}
	dial_connect_next(d);
}

static void
dial_resolved(void *arg, enum dns_status st, const struct dns_result *res)
{
	struct dial *d = arg;

	d->q = NULL;
	switch (st) {
	case DNS_OK:
		d->addrs = *res;
		dial_apply_policy(d);
		return;
	case DNS_TIMEOUT:
		dial_fail(d, SOCKS5_REP_TTL_EXPIRED, EVENTS_TIMEOUT);
		return;
	case DNS_BUSY:
		dial_fail(d, SOCKS5_REP_GENERAL_FAILURE, EVENTS_ERROR);
		return;
	default:
		dial_fail(d, SOCKS5_REP_HOST_UNREACHABLE, EVENTS_UNREACHABLE);
		return;
	}
}

struct dial *
dial_start(struct egress *eg, const struct socksaddr *dst, const char *who, dial_cb cb, void *arg)
{
	struct sockaddr_storage ss;
	struct dial *d;
	socklen_t len;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->eg = eg;
	d->cb = cb;
	d->arg = arg;
	d->fd = -1;
	snprintf(d->who, sizeof(d->who), "%s", who);
	if (socksaddr_format(dst, d->dest, sizeof(d->dest)) == -1)
		snprintf(d->dest, sizeof(d->dest), "?");
	ev_init(&d->io, dial_io_cb);
	ev_init(&d->timer, dial_timer_cb);
	d->deadline = ev_now(eg->loop) + eg->connect_timeout * EGRESS_CONNECT_BUDGET;

	if (dst->atyp != SOCKS_ATYP_DOMAIN) {
		if (socksaddr_to_sockaddr(dst, &ss, &len) == -1) {
			dial_fail(d, SOCKS5_REP_ATYP_UNSUPPORTED, EVENTS_ERROR);
			return d;
		}
		memcpy(&d->addrs.addr[0], &ss, len);
		d->addrs.n = 1;
		dial_apply_policy(d);
		return d;
	}
	if (policy_name_ambiguous(dst->name)) {
		dial_fail_why(d, SOCKS5_REP_NOT_ALLOWED, EVENTS_REFUSED,
		              "refused: numeric host name that is not a dotted quad");
		return d;
	}
	/* The resolver bounds this phase by --connect-timeout (egress.c). */
	d->q = dns_lookup(eg->resolver, dst->name, dst->port, dial_resolved, d);
	if (d->q == NULL)
		dial_fail(d, SOCKS5_REP_GENERAL_FAILURE, EVENTS_ERROR);
	return d;
}
