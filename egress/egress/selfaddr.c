/* SPDX-License-Identifier: MIT */
/*
 * The self-address watcher (see selfaddr.h). The list itself and its
 * bound live in policy.c, which tests inject a fake interface list into;
 * this file is only the getifaddrs() call and its timer. A failed read
 * keeps the previous list: an empty list would silently open the host.
 */
#include "selfaddr.h"

#include <ifaddrs.h>
#include <stddef.h>
#include <stdlib.h>

#include "base/exitcodes.h"
#include "base/log.h"

struct selfaddr {
	ev_timer refresh;
	ev_cleanup cleanup;
	struct policy *p;
	size_t last_n;
	size_t last_dropped;
};

static void
selfaddr_read(struct selfaddr *s)
{
	struct ifaddrs *ifa;
	size_t dropped;

	if (getifaddrs(&ifa) == -1) {
		log_warn("--deny-self: getifaddrs (keeping %zu addresses)", s->p->nself);
		return;
	}
	dropped = policy_set_self(s->p, ifa);
	freeifaddrs(ifa);
	if (dropped != 0 && dropped != s->last_dropped)
		log_warnx("--deny-self: %zu host addresses over the %d kept are not denied", dropped,
		          POLICY_SELF_MAX);
	if (s->p->nself != s->last_n)
		log_debug("--deny-self: %zu host addresses denied", s->p->nself);
	s->last_n = s->p->nself;
	s->last_dropped = dropped;
}

static void
selfaddr_refresh_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	selfaddr_read(w->data);
}

static void
selfaddr_cleanup_cb(struct ev_loop *loop, ev_cleanup *w, int revents)
{
	struct selfaddr *s = w->data;

	(void)revents;
	/* Undo the ev_unref of selfaddr_start before stopping the timer. */
	ev_ref(loop);
	ev_timer_stop(loop, &s->refresh);
	free(s);
}

void
selfaddr_start(struct ev_loop *loop, struct policy *p)
{
	struct selfaddr *s;

	if (!p->deny_self)
		return;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatalx(EX_PW_INTERNAL, "out of memory");
	s->p = p;
	s->last_n = (size_t)-1;
	selfaddr_read(s);
	ev_timer_init(&s->refresh, selfaddr_refresh_cb, SELFADDR_REFRESH, SELFADDR_REFRESH);
	s->refresh.data = s;
	ev_timer_start(loop, &s->refresh);
	/* A periodic refresh is no reason to keep running: the listeners and streams are. */
	ev_unref(loop);
	ev_cleanup_init(&s->cleanup, selfaddr_cleanup_cb);
	s->cleanup.data = s;
	ev_cleanup_start(loop, &s->cleanup);
}
