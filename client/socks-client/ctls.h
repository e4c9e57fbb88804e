/* SPDX-License-Identifier: MIT */
/*
 * TLS under a wss:// carrier: a client TLS session (the tls adapter) on
 * a TCP socket, its plaintext bridged to a local fd (one end of a
 * socketpair, the other end being the WebSocket bridge's network side).
 * Bounds: CTLS_BUF bytes each way; neither side is read while the other
 * has not taken what came before. It ends, closing both fds, when
 * either side ends or fails (the WebSocket bridge's own timer bounds the
 * connect and the handshake: it closes its end). The live pumps are kept
 * on a list the caller owns (in the program's state) for shutdown
 * (ctls_abort_all).
 */
#ifndef PW_SOCKS_CLIENT_CTLS_H
#define PW_SOCKS_CLIENT_CTLS_H

#include <ev.h>

#include "tls/tls.h"

#define CTLS_BUF 65536

struct ctls;

/*
 * Start on tcpfd (connect in progress, non-blocking) and plainfd; both
 * owned from now on; the pump joins *list until it ends. -1 (both
 * closed, why in err) when the session cannot be made.
 */
int ctls_start(struct ev_loop *loop, struct ctls **list, int tcpfd, int plainfd, struct tls_ctx *ctx,
               const struct tls_conn_opts *o, const char *name, char *err, size_t errlen);

/* End every pump on *list now (shutdown). */
void ctls_abort_all(struct ctls **list);

#endif
