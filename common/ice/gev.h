/* SPDX-License-Identifier: MIT */
/*
 * A GLib main context driven by a libev loop, so libnice runs on the
 * caller's thread: before libev blocks (ev_prepare) the context is
 * prepared and queried, and its descriptors and timeout become ev_io
 * watchers and one ev_timer; after libev wakes (ev_check) the context
 * is checked and dispatched. This is the one place where the two loops
 * meet (common/ice/README.md says why not a thread).
 *
 * Internal to the ice adapter: the header names GLib types.
 */
#ifndef PW_ICE_GEV_H
#define PW_ICE_GEV_H

#include <glib.h>

struct ev_loop;
struct gev;

/* Own ctx (acquired here) on loop; NULL on allocation failure. */
struct gev *gev_new(struct ev_loop *loop, GMainContext *ctx);
void gev_free(struct gev *g);

#endif
