/* SPDX-License-Identifier: MIT */
/*
 * peer-proxy's two halves: the broker side, options and main
 * (peer-proxy.c), and the clients it relays (pclient.c). What they share
 * is here: the options, the process's state and the broker's limits.
 */
#ifndef PW_PPROXY_H
#define PW_PPROXY_H

#include <ev.h>
#include <stdint.h>

#include "net/endpoint.h"
#include "net/hpost.h"
#include "rtc/rtc_stun.h"

#define BROKER_BODY_MAX 100000
#define BROKER_TIMEOUT 30.0

struct pproxy_opt {
	const char *broker, *relay, *nat, *pattern, *broker_front, *broker_ca;
	struct rtc_stuns stuns;
	int nat_probe;
	uint64_t capacity, client_bytes, client_ms, poll_ms, loss_ms, gather_ms;
};
extern struct pproxy_opt opt;

struct nssc_id;

struct pproxy {
	struct ev_loop *loop;
	struct endpoint relay_ep;   /* --relay */
	struct hpost_url broker_url;
	struct nssc_id *id;         /* the DTLS identity every client's connection presents */
	char sid[33];               /* the proxy's session id at the broker, for the process's life */
	uint64_t npeers, nserved;   /* clients now (a spare not counted), and served in all */
};
extern struct pproxy pp;

/* peer-proxy.c: poll the broker now, unless a poll is under way or due. */
void poll_soon(void);

/* pclient.c: a client's offer from the broker, with the broker's RelayURL (or NULL). */
void peer_new(const char *offer_json, const char *relay_url);
/* Gather a connection ahead for the next client, if there is room. */
void spare_make(void);
/* End every client and the spare (shutting down). */
void peers_close_all(void);

#endif
