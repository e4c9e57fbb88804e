/* SPDX-License-Identifier: MIT */
/*
 * The hiredis adapter: one asynchronous connection to redis-server on
 * the program's libev loop (hiredis's own libev adapter), reconnected
 * with a capped backoff when it drops, so a restarted redis-server is
 * picked up again without the program's help. The only code that
 * includes hiredis's headers; replies reach the caller as struct
 * redisc_reply (strings, integers, nil, errors and arrays of at most
 * REDISC_ELEMS_MAX of those), valid during the callback only.
 *
 * Callbacks carry a 64-bit token, not a pointer: a reply may come after
 * the object that asked is gone, so the caller looks its object up again.
 * Every pending callback is called once, with NULL when the connection
 * drops before the reply.
 */
#ifndef PW_REDISC_H
#define PW_REDISC_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "net/endpoint.h"

#define REDISC_ELEMS_MAX 4
#define REDISC_BACKOFF_MIN 0.1
#define REDISC_BACKOFF_MAX 2.0

enum redisc_kind { REDISC_NIL, REDISC_STRING, REDISC_INTEGER, REDISC_ARRAY, REDISC_ERROR, REDISC_OTHER };

struct redisc_reply {
	enum redisc_kind kind;
	long long integer;
	const char *str; /* STRING, ERROR, and status replies (OTHER) */
	size_t len;
	size_t nelem; /* ARRAY: elements in elem (the first REDISC_ELEMS_MAX) */
	struct redisc_reply *elem;
};

struct redisc;

typedef void (*redisc_cb)(void *arg, uint64_t token, const struct redisc_reply *r);
/* up = 1 once connected (again), 0 when the connection is lost. */
typedef void (*redisc_state_cb)(void *arg, int up);

/* A connection to ep (tcp: or unix:), opened now and kept open. NULL on allocation failure. */
struct redisc *redisc_new(struct ev_loop *loop, const struct endpoint *ep, redisc_state_cb st, void *arg);
int redisc_up(const struct redisc *rc);
/* Reconnections so far. */
uint64_t redisc_reconnects(const struct redisc *rc);

/*
 * One command, its arguments given as strings with lengths (binary safe);
 * cb (may be NULL) gets the reply. -1 when not connected.
 */
int redisc_cmd(struct redisc *rc, redisc_cb cb, void *arg, uint64_t token, int argc, const char **argv,
               const size_t *lens);

void redisc_free(struct redisc *rc);

#endif
