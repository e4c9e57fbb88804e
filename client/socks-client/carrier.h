/* SPDX-License-Identifier: MIT */
/*
 * Carriers (DESIGN.md §4): an endpoint (tcp:, unix:, ws://) reached with a
 * direct connection (a WebSocket through cws.h), or any other string run with /bin/sh -c with the
 * carrier stream on its stdin and stdout. Either way the caller gets one
 * non-blocking, close-on-exec, full-duplex socket.
 */
#ifndef PW_CARRIER_H
#define PW_CARRIER_H

#include <ev.h>
#include <sys/types.h>

#include "net/endpoint.h"

#define CARRIER_MAX 16

struct cws_live;
struct tls_ctx;

/* wss:// carriers: where to connect and what TLS says (cws.h). */
struct carrier_tls {
	struct endpoint front;   /* tcp: the address connected to (front=, else the URL's) */
	char sni[256];           /* "" sends no SNI */
	char verify[256];        /* the name the certificate must carry */
	const char *ca;          /* ca=FILE, NULL for the system store */
	struct tls_ctx *ctx;     /* made by carrier_parse, freed by carrier_free */
};

struct carrier {
	const char *spec; /* as given to -C */
	int is_endpoint;
	struct endpoint ep;
	struct carrier_tls tls; /* wss:// */
	uint8_t pin[32]; /* the egress key's SHA-256 (--egress-fingerprint) */
	int has_pin;
	struct cws_live *live; /* ws://, wss://: the program's list of live bridges (cws.h) */
};

/*
 * Classify spec: an endpoint when it parses as tcp:, unix:, ws:// or
 * wss:// (with ,front=ADDR[:PORT] ,sni=NAME ,verify=NAME ,ca=FILE),
 * else a command.
 */
int carrier_parse(const char *spec, struct carrier *c, char *err, size_t errlen);
void carrier_free(struct carrier *c);

/*
 * Open a carrier. For an endpoint the connect may still be in progress
 * (*pid = 0; wait for writability). For a command *pid is the child,
 * whose stdin and stdout are the other end of the returned socket.
 * Return the fd or -1 (errno set).
 */
int carrier_open(struct ev_loop *loop, const struct carrier *c, pid_t *pid);

#endif
