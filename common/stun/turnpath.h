/* SPDX-License-Identifier: MIT */
/*
 * A path through a fleet of TURN servers: one allocation with a channel
 * bound to one peer, on an endpoint the fleet picks (fleet.h), with the
 * credentials of the file turncred.h reads, and the TURNS fallback.
 *
 * An endpoint is what one coturn offers: a turn: server (UDP, or TCP
 * with ?transport=tcp) and/or a turns: server (TLS). A turns: URI given
 * right after a turn: URI of the same host is that server's TLS
 * listener, so "--turn turn:h:3478 --turn turns:h:5349" is one server
 * reachable both ways (and the turns: one may use the turn: one's
 * credentials line); every other URI is an endpoint of its own. Over UDP the
 * allocation, permission and channel must be in place within udp_wait_ms
 * (TURNPATH_UDP_WAIT_MS, 1.5 s, as upstream's phase 4); if not, or if UDP
 * fails otherwise, the path goes on over TLS (RFC 8656 §12.4 framing,
 * inside turnc/stunc) when the endpoint has a turns: server, and the
 * endpoint is tried over TLS first for FLEET_HEAL_MS after that.
 *
 * Accounting: a path that never got its channel counts one failure for
 * its endpoint (refused credentials, 401 or 441, make it unhealthy at
 * once: they will not change by retrying); a path lost later counts one
 * failure. The owner says when a path proved itself (turnpath_success:
 * lanturn-client once its call is up, so a server that binds channels
 * but relays nothing is not "healthy"), which resets the count, and may
 * blame a path for something above TURN (turnpath_blame).
 *
 * Liveness: a relayed path says nothing when the TURN server dies (UDP
 * to it just vanishes, and the next refresh may be minutes away).
 * turnpath_probe sends a STUN Binding request to the server (answered by
 * any TURN server, RFC 8656 §5.1 keeps STUN's Binding); no answer within
 * TURNPATH_PROBE_MS, or an ICMP refusal, fails the path. The owner
 * probes when its peer has been silent.
 *
 * Credentials are read from the file for every transport attempt and
 * wiped once turnc has them (turnc wipes the password once it has the
 * key). Callbacks never run inside a turnpath_* call; a path may be
 * freed from inside any of its callbacks.
 */
#ifndef PW_TURNPATH_H
#define PW_TURNPATH_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "stun/fleet.h"
#include "stun/stunuri.h"
#include "stun/turnc.h"

#define TURNPATH_UDP_WAIT_MS 1500   /* UDP allocation + channel, else TURNS */
#define TURNPATH_TX_TIMEOUT_MS 5000 /* one TURN transaction, retransmissions included */
#define TURNPATH_WHY_MAX 512
#define TURNPATH_PROBE_MS 2000    /* a Binding request's answer */
#define TURNPATH_SOCKBUF (2 << 20) /* socket buffers asked for, each way */

struct tls_ctx;

struct turnpath_server {
	struct stun_uri uri;
	struct sockaddr_storage addr;
	socklen_t len;
};

struct turnpath_ep {
	int has_plain, has_tls;
	struct turnpath_server plain, tls; /* plain: turn: (UDP or TCP); tls: turns: */
	uint64_t tls_first_until_ms;       /* UDP failed: TLS first until then */
};

struct turnpath_fleet {
	struct ev_loop *loop;
	size_t n;
	struct turnpath_ep ep[FLEET_MAX];
	struct fleet health;
	const char *cred_file;
	struct tls_ctx *tls;       /* for turns: servers (NULL: none usable) */
	int tls_insecure;          /* tests only: no certificate check */
	uint32_t perm_lifetime_s, chan_lifetime_s; /* the servers' (0: RFC defaults) */
	uint64_t udp_wait_ms;      /* 0: TURNPATH_UDP_WAIT_MS */
	uint64_t tx_timeout_ms;    /* 0: TURNPATH_TX_TIMEOUT_MS */
};

/* Before adding: zero f, then set loop and cred_file (and the rest as needed). */
/*
 * Add a --turn URI (resolved now, once). 0, or -1 with a reason in err:
 * not turn:/turns:, unresolvable, more than FLEET_MAX endpoints.
 */
int turnpath_fleet_add(struct turnpath_fleet *f, const char *uri, char *err, size_t errlen);
/*
 * After the last add: the credentials file has a line for every server
 * (checked, then wiped), a turns: server has a TLS context. 0 or -1.
 */
int turnpath_fleet_ready(struct turnpath_fleet *f, char *err, size_t errlen);
/* Healthy endpoints now. */
size_t turnpath_fleet_healthy(struct turnpath_fleet *f);

struct turnpath_cbs {
	/* The channel to the peer is bound: turnpath_send works from now on. */
	void (*ready)(void *arg, const struct sockaddr *relayed, socklen_t rlen);
	/* Data from the peer. */
	void (*data)(void *arg, const uint8_t *p, size_t n);
	/* The path is gone (never was, or lost); auth: the credentials were refused. */
	void (*failed)(void *arg, const char *why, int auth);
	/* turnpath_release finished. */
	void (*released)(void *arg);
};

struct turnpath_stats {
	int tls;                  /* on the turns: server */
	int fell_back;            /* UDP was tried first and given up */
	uint64_t probes;          /* Binding requests sent */
	uint64_t probes_answered;
	double answered;          /* ev_now of the last answer (0: none) */
	struct turnc_stats turn;  /* of the current transport */
};

struct turnpath;

/*
 * Pick an endpoint and start. NULL with a reason in err when no endpoint
 * is healthy or the first transport cannot even start (that counts as
 * the endpoint's failure; call again for the next).
 */
struct turnpath *turnpath_new(struct turnpath_fleet *f, const struct sockaddr *peer, socklen_t plen,
                              const struct turnpath_cbs *cbs, void *arg, char *err, size_t errlen);
void turnpath_free(struct turnpath *p);
/* To the peer through the channel: 0, or -1 with errno (EAGAIN before ready). */
int turnpath_send(struct turnpath *p, const void *data, size_t n);
/* Refresh with LIFETIME 0, then released (also when not ready: at once). */
void turnpath_release(struct turnpath *p);
/* Count a failure above TURN against this path's endpoint (once per path). */
void turnpath_blame(struct turnpath *p);
/* The path proved itself: its endpoint's failure count is reset. */
void turnpath_success(struct turnpath *p);
/* Ask the server whether it is still there (see above); one probe at a time. */
void turnpath_probe(struct turnpath *p);
/* "turn:127.0.0.1:3478" or "turns:…" as now in use. */
const char *turnpath_name(const struct turnpath *p);
void turnpath_stats(const struct turnpath *p, struct turnpath_stats *st);

#endif
