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
 * the caller sees as EOF. The bridges alive are kept in one list per
 * process so that shutdown can end them (cws_abort_all).
 */
#ifndef PW_SOCKS_CLIENT_CWS_H
#define PW_SOCKS_CLIENT_CWS_H

#include <ev.h>

#include "carrier.h"

#define CWS_HANDSHAKE_TIMEOUT 10.0 /* connect and upgrade */

/* The fd of a new WebSocket carrier (EP_WS or EP_WSS), or -1 (errno set). */
int cws_open(struct ev_loop *loop, const struct carrier *car);

/* End every bridge now (shutdown). */
void cws_abort_all(void);

#endif
