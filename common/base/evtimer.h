/* SPDX-License-Identifier: MIT */
/*
 * One-shot libev timers set from millisecond deadlines, the form the
 * session engines give (tunnel_next). With sooner_only an active timer
 * that already fires no later is left alone, so callers may ask after
 * every write without re-arming each time.
 */
#ifndef PW_EVTIMER_H
#define PW_EVTIMER_H

#include <ev.h>
#include <stdint.h>

static inline void
evtimer_at_ms(struct ev_loop *loop, ev_timer *w, uint64_t now_ms, uint64_t at_ms, int sooner_only)
{
	double after = at_ms > now_ms ? (double)(at_ms - now_ms) / 1000.0 : 0;

	if (sooner_only && ev_is_active(w) && ev_timer_remaining(loop, w) <= after)
		return;
	ev_timer_stop(loop, w);
	ev_timer_set(w, after, 0);
	ev_timer_start(loop, w);
}

#endif
