/* SPDX-License-Identifier: MIT */
/*
 * The destination phase of a stream, shared by SOCKS5 connections and
 * Turbo Tunnel session streams: resolve the name (c-ares), keep the
 * resolved addresses the policy allows, try them in order, each attempt
 * bounded by --connect-timeout and all of them by EGRESS_CONNECT_BUDGET
 * connect timeouts. The outcome is one callback: a connected fd, or the
 * SOCKS5 reply code and event result that say why not. The callback is
 * never called from inside dial_start(), and never after dial_cancel().
 */
#ifndef PW_EGRESS_DIAL_H
#define PW_EGRESS_DIAL_H

#include <stdint.h>

#include "egress.h"
#include "events.h"
#include "proto/socksaddr.h"

struct dial;

/* fd >= 0: connected (the callee owns it; rep is 0). fd == -1: failed. */
typedef void (*dial_cb)(void *arg, int fd, uint8_t rep, enum events_result result);

/* who names the client in log lines. NULL only when out of memory. */
struct dial *dial_start(struct egress *eg, const struct socksaddr *dst, const char *who,
                        dial_cb cb, void *arg);
void dial_cancel(struct dial *d);

#endif
