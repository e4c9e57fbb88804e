/* SPDX-License-Identifier: MIT */
/*
 * lanturn-client's engine: the carrier stream on stdin/stdout (the
 * preamble, then encapsulated packets) carried by calls (common/call)
 * through TURN channels (stun/turnpath), one call at a time but for the
 * overlap of a rotation.
 *
 * A call is a "leg": a TURN path to the egress's peer address, then a
 * call over its channel. The first leg starts at once (the preamble is
 * handed to its call when it arrives). A leg that is lost (allocation
 * gone, DTLS failed) is replaced by a new one on the fleet's next pick;
 * when no endpoint is healthy the carrier exits with the reason
 * (DESIGN.md §4). Rotation: after a duration drawn uniformly from
 * [dur_min_ms, dur_max_ms] a new leg is made (new allocation,
 * credentials, certificate, DTLS, SSRC) while the old one still carries
 * the session; once the new call is up, packets go to it and the old one
 * is released LANC_OVERLAP_MS later, so the egress's downstream, which
 * follows the newest carrier, loses nothing in flight. A new call that
 * replaces another (rotation or failover) carries the last packet sent
 * once more at once: the egress moves the downstream to a carrier only
 * when a packet on it passes the session's checks, and a session that is
 * downloading may not send one for seconds.
 *
 * A call that was up and is closed by the far end ends the carrier (the
 * egress chose to end it; socks-client redials). A TURN server that
 * dies under a call is found by the call's ICE consent checks (a Binding
 * request to lanturn-egress through the relay every 4-6 s, as a browser
 * sends; call/consent.h): unanswered while the call is silent too, the
 * call is replaced through the next server. Sooner: when we have sent
 * to the peer what it owes an answer (call_owed) and heard nothing for
 * LANC_QUIET_MS since, the TURN server is asked whether it is still
 * there (turnpath_probe: a STUN Binding request, which any TURN server
 * answers and no browser sends: once per silence); no answer (TURNPATH_PROBE_MS) or an ICMP refusal
 * fails the path, which counts against its endpoint, and a new call goes
 * up through the next. A server that answers is alive: when consent
 * then finds the peer gone, the call is replaced without blaming it.
 *
 * Backpressure: a packet the call refuses stays here (one packet) and
 * stdin is not read until the call says it is writable again; with no
 * call up, reading stops at the first packet (the preamble and an EOF are
 * still seen at once). Downstream, packets from calls
 * wait in a bounded queue for stdout (dropped when full: KCP repairs).
 */
#ifndef PW_LANC_H
#define PW_LANC_H

#include <stdint.h>
#include <sys/socket.h>

#include "call/call.h"
#include "nss/fp.h"
#include "stun/turnpath.h"

#define LANC_OVERLAP_MS 3000     /* old call kept after the new one is up */
#define LANC_WATCH_MS 500        /* the check for a quiet peer */
#define LANC_QUIET_MS 1000       /* sent, nothing heard back: probe the TURN server */
#define LANC_RETRY_MS 200        /* between a lost leg and the next */
#define LANC_ROTATE_RETRY_MS 5000 /* a rotation whose new leg failed */
#define LANC_STOP_MS 3000        /* waiting for Refresh 0 answers at exit */
#define LANC_OUTQ 512            /* packets waiting for stdout */
#define LANC_DUR_MIN_MS (25 * 60 * 1000ULL)
#define LANC_DUR_MAX_MS (35 * 60 * 1000ULL)

struct lanc_cfg {
	struct turnpath_fleet fleet;
	struct sockaddr_storage peer;
	socklen_t plen;
	uint8_t pin[FP_LEN];
	enum call_profile profile;
	int dtx, camera;
	uint64_t dur_min_ms, dur_max_ms;
};

/* Run until the session or the path is gone; the exit status. */
int lanc_run(struct lanc_cfg *cfg);

#endif
