/* SPDX-License-Identifier: MIT */
/*
 * Turbo Tunnel on the egress, inside (see tt.h for the outside). Three
 * objects, one file each:
 *
 *   tt_carrier  one connection: preamble, then datagrams both ways
 *   tt_client   one ClientID: its tunnel, tick timer and streams
 *   tt_stream   one smux stream: prefix, dial, status byte, relay
 *
 * and tt.c, which owns the ClientMap and the list of carriers. Each
 * object has one end function (tt_carrier_end, tt_client_expire via the
 * ClientMap's expire callback, tt_stream_end) and every callback returns
 * right after calling it. A client outlives its carriers; a stream lives
 * inside its client's tunnel and ends before it.
 */
#ifndef PW_EGRESS_TT_INT_H
#define PW_EGRESS_TT_INT_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "egress.h"
#include "events.h"
#include "net/net.h"
#include "proto/preamble.h"
#include "tt/kcp.h"
#include "proto/socksaddr.h"
#include "tt.h"
#include "tt/carrier_io.h"
#include "tt/clientmap.h"
#include "tt/tunnel.h"

struct tt_carrier;
struct tt_stream;

struct tt {
	struct egress *eg;
	struct clientmap map;
	ev_timer sweep;
	struct tt_carrier *carriers;
	size_t ncarriers;
	unsigned revokes; /* tt_revoke rounds so far */
};

struct tt_client {
	struct tt *tt;
	struct clientmap_entry *e;
	struct tunnel *t; /* NULL until a datagram with segment 0 */
	ev_timer tick;
	char idhex[CLIENTID_SHOW_LEN + 1];
	char source[NET_ADDRSTR_MAX]; /* of the latest carrier */
	int has_source;
	struct tt_stream *streams;
	size_t nstreams;
	struct limit_key key; /* the source of its latest proven carrier */
	int keyed;
	int secure;        /* its session is secure (the carriers' token); fixed once it has one */
	/* Where its streams go without a prefix (--upstream, or the listener's for plaintext). */
	const struct endpoint *upstream;
	char user[USERS_NAME_MAX + 1]; /* secure: whose credentials it presented; "" before */
	ev_tstamp t_session; /* when its session started: TLS and credentials are due by --handshake-timeout */
	ev_tstamp t_moved;   /* when a new carrier last made it resend what was in flight */
	unsigned revoked;    /* the tt_revoke round that ended its session; 0: none */
	struct limit_key skey; /* the source its session counts against (--max-source-sessions) */
	int skeyed;
};

struct tt_carrier {
	struct tt *tt;
	struct tt_carrier *prev, *next;
	struct clientmap_entry *e; /* NULL until the preamble is complete */
	struct carrier_io io;
	struct conn_slot slot;     /* its share of --max-conns, --max-per-source */
	ev_timer timer;            /* handshake deadline, then the idle check */
	ev_tstamp last_ok;         /* the last packet its session accepted; 0: none yet */
	const struct endpoint *upstream; /* its listener's, else --upstream */
	char source[NET_ADDRSTR_MAX];
	int has_source;
	size_t charged; /* of --max-memory: tt_carrier_cost(), or 0 when its caller holds it */
};

enum tt_stream_state { TS_PREFIX, TS_DIAL, TS_RELAY };

struct tt_stream {
	struct tt_client *cl;
	struct tt_stream *prev, *next;
	uint32_t sid;
	enum tt_stream_state st;
	struct dial *dial;
	struct tstream *ts;
	ev_timer timer;    /* the destination must arrive within --connect-timeout */
	struct limit_key key; /* counted against this source's streams */
	int keyed;
	ev_tstamp t_start; /* 0 until the prefix is parsed: no events before */
	char dest[SOCKSADDR_STR_MAX];
	size_t inlen;
	uint8_t in[TT_PREFIX_MAX];
};

static inline uint64_t
tt_now_ms(const struct tt *tt)
{
	return (uint64_t)(ev_now(tt->eg->loop) * 1000.0);
}

/* tt_carrier.c */
void tt_carrier_end(struct tt_carrier *c, const char *why);
/* The client has packets queued for c: write when the fd allows. */
void tt_carrier_kick(struct tt_carrier *c);

/* tt_client.c */
/* e's client, made on its first carrier. NULL when out of memory. */
struct tt_client *tt_client_get(struct tt *tt, struct clientmap_entry *e,
                                const uint8_t id[CLIENTID_LEN]);
/* Add one session's KCP counters to sum (tt.c). */
void tt_kcp_add(struct tt_kcp_totals *sum, const struct tunnel *t);
/*
 * One datagram from any of the client's carriers (slot: that carrier's,
 * whose source a new session counts against): 1 when the session
 * accepted it (the carrier has proved it belongs to the session), 0 when
 * it was ignored (no session yet, or it did not start one), -1 when it
 * failed the checks of the client's live session (another conversation,
 * malformed or insane KCP): the sender is not that session; -2 when it
 * would start a session and the source holds --max-source-sessions
 * (counted).
 */
int tt_client_input(struct tt_client *cl, const uint8_t *p, size_t n, const struct conn_slot *slot);
/*
 * Its downstream moved to a carrier that just proved itself, away from one
 * that died or another: resend what was in flight (tunnel_moved), at
 * most once per TT_MOVE_INTERVAL, so a client switching carriers back
 * and forth cannot make the egress repeat its window on every packet.
 */
#define TT_MOVE_INTERVAL 1.0
void tt_client_moved(struct tt_client *cl);
/* After input: end a dead session, else re-arm the tick. */
void tt_client_update(struct tt_client *cl);
void tt_client_streams_abort(struct tt_client *cl);
/* End the session if its user is no longer in the users table: 1 when it did. */
int tt_client_revoke(struct tt_client *cl, const struct users *u);
/* ClientMap expiry: the client has had no carrier for TT_IDLE_MS. */
void tt_client_expire(struct clientmap_entry *e, void *arg);

/* tt_stream.c: the tunnel's stream callbacks (arg is the client), and the end. */
void tt_stream_accept(void *arg, uint32_t sid);
void tt_stream_readable(void *arg, uint32_t sid);
void tt_stream_writable(void *arg, uint32_t sid);
void tt_stream_end(struct tt_stream *s, uint64_t up, uint64_t down, enum events_result result);

#endif
