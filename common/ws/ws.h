/* SPDX-License-Identifier: MIT */
/*
 * The WebSocket adapter (wslay): one WebSocket connection bridged to a
 * local byte stream. The network side is a TCP socket speaking RFC 6455;
 * the local side is any full-duplex fd (one end of a socketpair) that
 * carries the concatenation of the message payloads, both ways, as
 * Snowflake's server and client treat a WebSocket: message boundaries
 * mean nothing. The owner hands the other end of the socketpair to code
 * that knows only fds (a Turbo Tunnel carrier), which is what keeps
 * wslay and this file out of everything else.
 *
 *   server role: upgrade request (proto/wshs, llhttp) ─▶ owner's request
 *                callback picks the local fd ─▶ 101 ─▶ frames
 *   client role: connect ─▶ upgrade request ─▶ 101 checked ─▶ frames
 *
 * Frames: binary (and, received, text) data frames are copied to the
 * local side as their chunks arrive (no message is buffered whole);
 * what the local side gives is sent as binary messages of at most
 * WS_READ bytes. Pings are answered, a Close is answered and ends the
 * bridge; EOF on the local side sends a Close and waits WS_CLOSE_WAIT
 * for the peer's.
 *
 * Bounds: the handshake within its deadline and HTTP_HEAD_MAX bytes; a
 * frame and a fragmented message at most WS_MSG_MAX (else Close 1009);
 * WS_BUF bytes toward the local side (the network is not read while it
 * is full); the network side's send queue at most WS_BUF of data (the
 * local side is not read meanwhile) and WS_SENDQ_MAX in all, so a peer
 * that pings without reading the pongs is closed. Buffers grow on
 * demand and are given back when empty.
 *
 * Memory: with a budget (ws_opts.mb, the owner's --max-memory) the bridge
 * charges what it holds: WS_MEM_BASE for itself and wslay's contexts,
 * the handshake buffers, the buffer toward the local side and the send
 * queue (payload plus WS_QMSG_COST a message). Charges follow the buffers
 * (derived from their state in one place), so they are given back as the
 * buffers drain. They are forced: the buffers are bounded per bridge
 * (above), and a bridge that stopped reading for a full budget would
 * stall the very sessions filling it; the owner bounds the bridges'
 * number instead, admitting a new one only with WS_MEM_ADMIT of room.
 * Pongs, which wslay queues on its own and a peer can make grow without
 * reading them, may not take the last 1/WS_CTRL_RESERVE_DIV of the
 * budget: the bridge whose unread pongs would is closed.
 */
#ifndef PW_WS_H
#define PW_WS_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/http.h"
#include "proto/wshs.h"

#define WS_BUF 65536                 /* toward the local side; data queued toward the peer */
#define WS_READ 65536                /* local bytes per message sent */
#define WS_RECV_BUDGET 65536         /* bytes read from the peer per event */
#define WS_MSG_MAX ((size_t)1 << 20) /* a received frame or message */
#define WS_SENDQ_MAX (4 * WS_BUF)    /* everything queued toward the peer, pongs included */
#define WS_SENDQ_MSGS 1024           /* messages queued toward the peer */
#define WS_CLOSE_WAIT 5.0            /* seconds for the peer's Close after ours */
/* What a bridge costs before it holds data: itself, wslay's event and frame contexts (4 KiB buffer each). */
#define WS_MEM_BASE ((size_t)12 << 10)
#define WS_QMSG_COST 160             /* a message queued in wslay besides its payload */
#define WS_MEM_ADMIT (WS_MEM_BASE + HTTP_HEAD_MAX + 2 * WS_BUF) /* room a new bridge needs */
#define WS_CTRL_RESERVE_DIV 8        /* the budget's share pongs may not take */

enum ws_role { WS_SERVER, WS_CLIENT };

/* The done reason when the upgrade did not finish in time (for the owner's counters). */
#define WS_WHY_TIMEOUT "upgrade timeout"

struct membudget;
struct ws;

struct ws_cb {
	/*
	 * Server role: the upgrade request is in. Return the local fd to
	 * bridge (non-blocking; the bridge owns it from then on), or -1 to
	 * refuse: the peer gets 403 and the bridge ends.
	 */
	int (*request)(void *arg, struct ws *ws, const struct wshs_request *r);
	/* Client role: the 101 is in and frames flow. (May be NULL.) */
	void (*open)(void *arg);
	/* The bridge ended and closed both fds; why is a static string. ws is freed after. */
	void (*done)(void *arg, const char *why);
};

struct ws_opts {
	enum ws_role role;
	double handshake_timeout; /* seconds from ws_new to frames */
	const char *host;         /* client role: Host header */
	const char *path;         /* client role: request-target */
	int connecting;           /* client role: netfd's connect is in progress */
	struct membudget *mb;     /* charged for the bridge's memory; NULL: not counted */
};

/*
 * Start a bridge on netfd (non-blocking; owned from now on, like localfd,
 * which the server role passes as -1). NULL when out of memory (both fds
 * closed, done not called).
 */
struct ws *ws_new(struct ev_loop *loop, int netfd, int localfd, const struct ws_opts *o,
                  const struct ws_cb *cb, void *arg);

/* End now (the owner shuts down): done is called with why. */
void ws_abort(struct ws *ws, const char *why);

/* Counters for tests and metrics. */
struct ws_stats {
	uint64_t in, out;   /* payload bytes from and to the peer */
	uint64_t pings;     /* pings received */
};
const struct ws_stats *ws_stats(const struct ws *ws);
/* Bytes the bridge has charged to its budget now (WS_MEM_BASE and its buffers). */
size_t ws_memory(const struct ws *ws);

#endif
