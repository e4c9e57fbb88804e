/* SPDX-License-Identifier: MIT */
/*
 * I/O interest derived from state (STYLE.md "Event loop"): an object's one
 * update function says, for each watcher, whether it wants it, and evio_want
 * starts or stops it only when that differs from what libev has. Calling
 * it after every state change is cheap and never double-starts a watcher.
 */
#ifndef PW_EVIO_H
#define PW_EVIO_H

#include <ev.h>

static inline void
evio_want(struct ev_loop *loop, ev_io *w, int on)
{
	if (on && !ev_is_active(w))
		ev_io_start(loop, w);
	else if (!on && ev_is_active(w))
		ev_io_stop(loop, w);
}

#endif
