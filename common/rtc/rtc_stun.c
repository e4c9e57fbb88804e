/* SPDX-License-Identifier: MIT */
/*
 * rtc_stun: the STUN servers of a peer (rtc_stun.h).
 */
#include "rtc/rtc_stun.h"

#include <arpa/inet.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/log.h"
#include "net/dns.h"

int
rtc_stun_add(struct rtc_stuns *l, const char *arg)
{
	const char *hp = arg, *colon, *h;
	struct rtc_stun *s;
	unsigned long v;
	size_t hl;
	char *end;

	if (l->n >= RTC_STUN_MAX)
		return -1;
	if (strncmp(hp, "stun:", 5) == 0)
		hp += 5;
	if ((colon = strrchr(hp, ':')) == NULL || colon[1] == '\0')
		return -1;
	h = hp;
	hl = (size_t)(colon - hp);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl == 0 || hl > RTC_STUN_HOST_MAX || memchr(h, '/', hl) != NULL || memchr(h, ' ', hl) != NULL)
		return -1;
	v = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || v == 0 || v > 65535 || colon[1] < '0' || colon[1] > '9')
		return -1;
	s = &l->s[l->n++];
	memset(s, 0, sizeof(*s));
	memcpy(s->host, h, hl);
	s->host[hl] = '\0';
	s->port = (uint16_t)v;
	return 0;
}

static void
rtc_stun_one_done(struct rtc_stuns *l)
{
	if (--l->pending == 0 && l->done != NULL)
		l->done(l->arg);
}

static void
on_resolved(void *arg, enum dns_status st, const struct dns_result *res)
{
	struct rtc_stun *s = arg;
	struct rtc_stuns *l = s->list;
	const void *a;

	if (st == DNS_OK && res->n > 0) {
		a = res->addr[0].sa.sa_family == AF_INET6 ? (const void *)&res->addr[0].sin6.sin6_addr
		                                          : (const void *)&res->addr[0].sin.sin_addr;
		if (inet_ntop(res->addr[0].sa.sa_family, a, s->ip, sizeof(s->ip)) == NULL)
			s->ip[0] = '\0';
	}
	if (s->ip[0] == '\0')
		log_warnx("STUN server %s: %s", s->host, res != NULL && res->why ? res->why : "not resolved");
	else
		log_info("STUN server %s is %s", s->host, s->ip);
	rtc_stun_one_done(l);
}

static void
on_now(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct rtc_stuns *l = w->data;

	(void)revents;
	ev_timer_stop(loop, w);
	free(w);
	rtc_stun_one_done(l);
}

int
rtc_stun_resolve(struct rtc_stuns *l, struct ev_loop *loop, void (*done)(void *arg), void *arg,
                 char *err, size_t errlen)
{
	unsigned char tmp[16];
	ev_timer *now;
	size_t i;

	l->done = done;
	l->arg = arg;
	l->pending = 1; /* the loop's own turn, below: done never runs from inside this call */
	for (i = 0; i < l->n; i++) {
		if (inet_pton(AF_INET, l->s[i].host, tmp) == 1 || inet_pton(AF_INET6, l->s[i].host, tmp) == 1) {
			snprintf(l->s[i].ip, sizeof(l->s[i].ip), "%s", l->s[i].host);
			continue;
		}
		if (l->dns == NULL && (l->dns = dns_new(loop, NULL, err, errlen)) == NULL)
			return -1;
		l->s[i].list = l;
		l->pending++;
		if (dns_lookup(l->dns, l->s[i].host, l->s[i].port, on_resolved, &l->s[i]) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	if ((now = calloc(1, sizeof(*now))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ev_timer_init(now, on_now, 0., 0.);
	now->data = l;
	ev_timer_start(loop, now);
	return 0;
}

size_t
rtc_stun_usable(const struct rtc_stuns *l)
{
	size_t i, k = 0;

	for (i = 0; i < l->n; i++)
		if (l->s[i].ip[0] != '\0')
			k++;
	return k;
}

struct rtc_stun *
rtc_stun_pick(struct rtc_stuns *l)
{
	struct rtc_stun *c[RTC_STUN_MAX];
	size_t i, k = 0, round;
	uint32_t r = 0;

	for (round = 0; round < 2 && k == 0; round++) {
		for (i = 0; i < l->n; i++)
			if (l->s[i].ip[0] != '\0' && !l->s[i].failed)
				c[k++] = &l->s[i];
		if (k == 0) /* every one failed: all again */
			for (i = 0; i < l->n; i++)
				l->s[i].failed = 0;
	}
	if (k == 0)
		return NULL;
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint32_t)ev_time();
	return c[r % k];
}

void
rtc_stun_free(struct rtc_stuns *l)
{
	if (l->dns != NULL)
		dns_free(l->dns);
	l->dns = NULL;
}
