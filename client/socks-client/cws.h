/* SPDX-License-Identifier: MIT */
/*
 * WebSocket carriers (-C ws://HOST[:PORT]/PATH, -C wss://…): a TCP
 * connection (under TLS for wss://, ctls.h: one more socketpair between
 * the TLS session and the WebSocket) upgraded to a WebSocket (common/ws,
 * client role) and bridged to one end of a socketpair; the caller gets
 * the other end, as from a command carrier, so session code sees an fd
 * either way. wss:// connects to front= when given, sends sni= (none
 * when empty) and verifies verify=, while the Host header is always the
 * URL's: domain fronting as meek-client does it. The bridge ends by
 * itself when that end closes (after a Close handshake of at most
 * WS_CLOSE_WAIT) or when the WebSocket fails, closing the socketpair end
 * the caller sees as EOF. The bridges alive, and their TLS pumps, are
 * kept in a struct cws_live of the program's state (the carrier names it)
 * so that shutdown can end them (cws_abort_all).
 */
#ifndef PW_SOCKS_CLIENT_CWS_H
#define PW_SOCKS_CLIENT_CWS_H

#include <ev.h>

#include "carrier.h"

#define CWS_HANDSHAKE_TIMEOUT 10.0 /* connect and upgrade */

struct cws;
struct ctls;

/* The live WebSocket bridges and TLS pumps of one program (zeroed: none). */
struct cws_live {
	struct cws *ws;
	struct ctls *tls;
};

/* The fd of a new WebSocket carrier (EP_WS or EP_WSS), or -1 (errno set); car->live keeps it. */
int cws_open(struct ev_loop *loop, const struct carrier *car);

/* End every bridge and pump of live now (shutdown). */
void cws_abort_all(struct cws_live *live);

#endif
