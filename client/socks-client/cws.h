/* SPDX-License-Identifier: MIT */
/*
 * WebSocket carriers (-C ws://HOST[:PORT]/PATH): a TCP connection
 * upgraded to a WebSocket (common/ws, client role) and bridged to one end
 * of a socketpair; the caller gets the other end, as from a command
 * carrier, so session code sees an fd either way. The bridge ends by
 * itself when that end closes (after a Close handshake of at most
 * WS_CLOSE_WAIT) or when the WebSocket fails, closing the socketpair end
 * the caller sees as EOF. The bridges alive are kept in one list per
 * process so that shutdown can end them (cws_abort_all).
 */
#ifndef PW_SOCKS_CLIENT_CWS_H
#define PW_SOCKS_CLIENT_CWS_H

#include <ev.h>

#include "net/endpoint.h"

#define CWS_HANDSHAKE_TIMEOUT 10.0 /* connect and upgrade */

/* The fd of a new WebSocket carrier to ep (EP_WS), or -1 (errno set). */
int cws_open(struct ev_loop *loop, const struct endpoint *ep);

/* End every bridge now (shutdown). */
void cws_abort_all(void);

#endif
