/* SPDX-License-Identifier: MIT */
/*
 * The STUN servers of a peer (--stun, repeatable): "stun:HOST:PORT" with a
 * name or an address, names resolved once (common/net's c-ares lookups)
 * when the program starts. libnice takes one server per agent: each new
 * connection picks one at random among those that resolved and have not
 * failed; a server whose gathering brought no server-reflexive candidate
 * is marked failed and left out until every server failed (then all are
 * tried again).
 */
#ifndef PW_RTC_STUN_H
#define PW_RTC_STUN_H

#include <stddef.h>
#include <stdint.h>

#define RTC_STUN_MAX 4 /* --stun options taken */
#define RTC_STUN_HOST_MAX 253

struct ev_loop;
struct dns;
struct rtc_stuns;

struct rtc_stun {
	char host[RTC_STUN_HOST_MAX + 1];
	uint16_t port;
	char ip[64]; /* numeric, once resolved; "" before or when it did not */
	int failed;
	struct rtc_stuns *list; /* while its name is being resolved */
};

struct rtc_stuns {
	struct rtc_stun s[RTC_STUN_MAX];
	size_t n, pending;
	struct dns *dns;
	void (*done)(void *arg);
	void *arg;
};

/* Parse "stun:HOST:PORT" (or "HOST:PORT"; [v6] allowed) into l. 0, or -1 (malformed, too many). */
int rtc_stun_add(struct rtc_stuns *l, const char *arg);
/*
 * Resolve the names of l; done(arg) runs from the loop once every lookup
 * ended (at once when all are addresses). 0, or -1 with err.
 */
int rtc_stun_resolve(struct rtc_stuns *l, struct ev_loop *loop, void (*done)(void *arg), void *arg,
                     char *err, size_t errlen);
/* How many resolved. */
size_t rtc_stun_usable(const struct rtc_stuns *l);
/* A server for the next connection, or NULL when none resolved. */
struct rtc_stun *rtc_stun_pick(struct rtc_stuns *l);
void rtc_stun_free(struct rtc_stuns *l);

#endif
