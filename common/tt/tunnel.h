/* SPDX-License-Identifier: MIT */
/*
 * One Turbo Tunnel session engine (DESIGN.md §3): KCP carrying smux v2,
 * glued so that neither grows without bound. No fds and no clock of its
 * own: the caller feeds KCP datagrams from whatever carrier delivered
 * them (tunnel_input), sends the datagrams the engine emits on whatever
 * carrier it likes (the packet callback), and calls tunnel_tick() at
 * tunnel_next(). Carriers can therefore come and go under a session.
 *
 * Backpressure, both ways:
 *   - smux output goes into kcp_send(), which refuses bytes past KCP's
 *     send cap; smux then holds at most one frame and stops taking
 *     stream writes until tunnel_flush() finds room again;
 *   - KCP is read only while smux wants input (its per-session receive
 *     buffer is not full); what smux did not take waits in one bounded
 *     buffer here, and KCP's receive window closes behind it.
 *
 * Streams are smux's; a user pointer per stream id is kept here so that
 * callbacks find the caller's object in O(1).
 */
#ifndef PW_TUNNEL_H
#define PW_TUNNEL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tt/smux.h"

#define TUNNEL_RX_MAX 65536 /* KCP bytes read but not yet taken by smux */
/*
 * KCP segments queued plus in flight before writers are held back, at
 * least: the cap is the receive window a peer with our budget announces
 * (TUNNEL_RCV_SHARE) plus a quarter of this, 6,722 segments (9.2 MB) at
 * the default budget, so the peer's window, not the cap, bounds a long
 * pipe. What leaves for the carrier is paced separately by the owner's
 * room callback, so a burst never overflows a carrier queue: inside the
 * process we push back instead of dropping.
 */
#define TUNNEL_SEND_CAP 4096
/*
 * The receive window each stream announces first. Snowflake's 1 MiB
 * bounds one stream to 1 MiB per round trip (about 5 MB/s at 100 ms,
 * with UPDs at half a window); ours starts at the whole session buffer
 * and grows with what arrives per round trip (tunnel.c, tunnel_size) up
 * to that buffer plus the KCP receive window, 12 MiB at the default
 * budget: what is in flight beyond the buffer waits in KCP's windows,
 * which the budget already bounds, so a bigger window costs no memory.
 */
#define TUNNEL_STREAM_WINDOW SMUX_SESSION_WINDOW
/* Carrier queue slots kept free for ACKs and repairs when pacing new data. */
#define TUNNEL_ROOM_RESERVE 32
/*
 * Memory one session may hold, counted by allocation size (DESIGN.md §8):
 * KCP segments queued, in flight, received in order and out of order,
 * smux's receive buffers, the rx buffer and the engine's arrays. It is
 * sized for what the limits above already allow an honest peer (9.7 MB
 * of KCP send segments at the send cap, 4 MiB of smux buffer plus its
 * chunks) plus a receive window of TUNNEL_RCV_SHARE of it (8 MiB, 5,785
 * full segments: 80 MB/s at a 100 ms round trip), so throughput is what
 * it was while a peer flooding out-of-order segments gets 8 MiB, not 94.
 */
#define TUNNEL_MEM_DEFAULT (24u << 20)
#define TUNNEL_MEM_MIN (1u << 20)
#define TUNNEL_RCV_SHARE 3 /* the KCP receive window is mem_max / 3 in full segments */
/*
 * Global budget room a new session, or a new stream, needs before it is
 * admitted: refusing new work while there is still some room keeps the
 * sessions that exist moving.
 */
#define TUNNEL_ADMIT_SESSION (1u << 20)
#define TUNNEL_ADMIT_STREAM (256u << 10)
/*
 * Out-of-order segments never take the last 1/TUNNEL_OOO_SPARE_SHARE of
 * a limited global budget: holes are what a flood sends, and in-order
 * traffic (sends, acks, data smux takes at once) of every session keeps
 * that share whatever the floods hold.
 */
#define TUNNEL_OOO_SPARE_SHARE 8

struct tunnel;

struct tunnel_cb {
	/* A KCP datagram (1..1400 bytes) for a carrier. The buffer is reused. */
	void (*packet)(void *arg, const uint8_t *pkt, size_t n);
	/* The peer opened sid (server side). NULL: refused. */
	void (*accept)(void *arg, uint32_t sid);
	/* tunnel_read on sid has data or EOF. */
	void (*readable)(void *arg, uint32_t sid);
	/* tunnel_write on sid may take more. */
	void (*writable)(void *arg, uint32_t sid);
	/*
	 * Data went out outside tunnel_tick (a stream call sent data, an UPD
	 * or a FIN): tunnel_next may be earlier than the owner's timer. May
	 * be NULL. Must not call back into the tunnel.
	 */
	void (*wake)(void *arg);
	/*
	 * Packets the carrier queue can take now. New data goes out only
	 * while there is room (less TUNNEL_ROOM_RESERVE); the rest waits in
	 * KCP until the owner calls tunnel_room(). NULL: no limit.
	 */
	size_t (*room)(void *arg);
	/*
	 * Secure server: the client's credentials arrived (name: printable,
	 * 1..TUNNEL_NAME_MAX bytes; secret 1..TUNNEL_SECRET_MAX bytes). 0
	 * accepts; anything else refuses and the session dies ("bad
	 * credentials") once the refusal is sent. NULL: refuse all.
	 */
	int (*auth)(void *arg, const char *name, const uint8_t *secret, size_t slen);
};

/*
 * Secure mode (pipeworks-protocol(5)): KCP's byte stream carries TLS 1.3
 * records (tls/tlsmem.h) and smux frames are their application data.
 * The client starts the handshake at tunnel_new; right behind its
 * Finished it sends its credentials, 01 NLEN NAME SLEN SECRET, and then
 * smux frames without waiting; the server answers one status byte
 * (TUNNEL_AUTH_OK or TUNNEL_AUTH_REFUSED) before any smux frame. Streams
 * opened before that owe only their SYN, held by smux until the channel
 * is open. Session start costs the TLS 1.3 round trip and no more.
 */
#define TUNNEL_HELLO_VERSION 1
#define TUNNEL_NAME_MAX 64
#define TUNNEL_SECRET_MAX 128
#define TUNNEL_HELLO_MAX (3 + TUNNEL_NAME_MAX + TUNNEL_SECRET_MAX)
#define TUNNEL_AUTH_OK 0
#define TUNNEL_AUTH_REFUSED 1
/* Record header, content type and AEAD tag: room kept per TLS record. */
#define TUNNEL_TLS_OVERHEAD 64
/* Small smux frames written in one go are sealed as one record of at most this. */
#define TUNNEL_SEC_BATCH 2048

struct tlsmem_ctx;

struct membudget;

struct tunnel_config {
	int fast_resend;       /* KCP fast retransmit threshold; 0 off (Snowflake) */
	uint32_t smux_timeout; /* ms without input before the session dies */
	size_t mem_max;        /* bytes the session may hold; 0: TUNNEL_MEM_DEFAULT; at least TUNNEL_MEM_MIN */
	/*
	 * The process-wide budget every session charges as well (its limit
	 * is the server's --max-memory); NULL: tunnel_global(). Must outlive
	 * the sessions.
	 */
	struct membudget *global;
	/* Secure mode when non-NULL: a server or client context (tlsmem.h). */
	struct tlsmem_ctx *tls;
	const uint8_t *pin;     /* client: the egress key's fingerprint (32 bytes) */
	const char *user;       /* client: credentials to present */
	const uint8_t *secret;
	size_t secret_len;
};

/*
 * The default process-wide budget: counts what every session given no
 * budget of its own holds, with no limit until the owner sets one
 * (tunnel_global()->limit = bytes, e.g. from --max-memory).
 */
struct membudget *tunnel_global(void);

/*
 * A new session; NULL with errno ENOMEM, or ENOBUFS when the global
 * budget has less than TUNNEL_ADMIT_SESSION bytes of room left (so an
 * owner can tell a refusal for memory from a failure).
 */
struct tunnel *tunnel_new(int is_client, uint32_t conv, const struct tunnel_config *cfg,
                          const struct tunnel_cb *cb, void *arg, uint64_t now_ms);
/* Free the session; when a lot was freed, heap is handed back to the kernel (membudget_release). */
void tunnel_free(struct tunnel *t);

/* One datagram from a carrier. 0, or -1 when KCP rejected it (bad or another conv). */
int tunnel_input(struct tunnel *t, const uint8_t *pkt, size_t n, uint64_t now_ms);
/* Send what is due now (ACKs after a batch of input, data after writes). */
void tunnel_flush(struct tunnel *t);
/* The carrier queue drained: send the new data that was waiting for room. */
void tunnel_room(struct tunnel *t);
/*
 * A new carrier is up: send a datagram of the session now (a KCP window
 * tell), so that a server that moves downstream only to a carrier that
 * proved itself hears from this one even when nothing else is due.
 */
void tunnel_poke(struct tunnel *t);
/*
 * The session moved to a new carrier because its old one died: what was
 * in flight on the old one is resent at once, as much as the carrier's
 * queue has room for (at least TUNNEL_MOVE_RESEND segments), the rest one
 * RTO later or as ACKs on the new path pass it, instead of when KCP's
 * timers, backed off while the path was dead, expire. Callers limit how
 * often a peer can make this happen.
 */
#define TUNNEL_MOVE_RESEND 64
unsigned tunnel_moved(struct tunnel *t); /* segments queued for resending */
/* Timers: KCP retransmissions and flushes, smux keepalive. */
void tunnel_tick(struct tunnel *t, uint64_t now_ms);
/* Absolute ms when tunnel_tick should next run. */
uint64_t tunnel_next(const struct tunnel *t, uint64_t now_ms);

/*
 * 1 once KCP declared the link dead, smux died, or (secure mode) TLS
 * failed or the credentials were refused; tunnel_error says why.
 */
int tunnel_dead(const struct tunnel *t);
const char *tunnel_error(const struct tunnel *t);
/* Secure mode: 1 when the session died because the server's key was not the pinned one. */
int tunnel_error_is_pin(const struct tunnel *t);
/* Secure mode: 1 once the channel carries smux (handshake done, credentials accepted). */
int tunnel_secured(const struct tunnel *t);
/* Secure mode: the TLS cipher suite's name once negotiated; NULL before or in plaintext mode. */
const char *tunnel_cipher(const struct tunnel *t);
uint32_t tunnel_conv(const struct tunnel *t);
size_t tunnel_nstreams(const struct tunnel *t);
/* KCP segments sent or queued and not yet acknowledged; frames batched for a record count one. */
size_t tunnel_pending(const struct tunnel *t);
/* Heap bytes of the engine (KCP, smux, buffers), for memory figures. */
size_t tunnel_memory(const struct tunnel *t);
/* Bytes charged to the session's budget now, and its cap. */
size_t tunnel_mem_used(const struct tunnel *t);
size_t tunnel_mem_max(const struct tunnel *t);
/* KCP's counters so far (retransmissions, segments dropped), for metrics. */
struct kcp_stats;
void tunnel_kcp_stats(const struct tunnel *t, struct kcp_stats *st);

/*
 * Streams: smux semantics (smux.h), plus the pumping around them. A
 * stream the peer opens while the global budget has less than
 * TUNNEL_ADMIT_STREAM of room is refused (FIN) before accept is called.
 * tunnel_open's SYN waits for the stream's first write (both leave in one
 * datagram) or, without one, for the next datagram or the KCP interval;
 * a first read's window update waits likewise (smux_read_upd_can_wait).
 */
int tunnel_open(struct tunnel *t, uint32_t *sid);
ssize_t tunnel_write(struct tunnel *t, uint32_t sid, const uint8_t *p, size_t n);
ssize_t tunnel_read(struct tunnel *t, uint32_t sid, uint8_t *buf, size_t n);
int tunnel_shutdown(struct tunnel *t, uint32_t sid);
/*
 * tunnel_shutdown for a FIN that only tears the stream down: the peer's
 * FIN came first and nobody on this side is waiting for anything. It
 * waits, like a lone SYN, for the next datagram (the next stream's SYN)
 * or the KCP interval. Socks-client's side only: there the peer is a
 * server that has finished sending; an application waiting for its EOF
 * is on this side.
 */
int tunnel_shutdown_lazy(struct tunnel *t, uint32_t sid);
/* Forget sid (smux_close). Once both FINs have passed, nothing is sent at once. */
void tunnel_close(struct tunnel *t, uint32_t sid);

/* The caller's object for sid; NULL when none. set with NULL removes. 0 or -1 (ENOMEM). */
int tunnel_set_user(struct tunnel *t, uint32_t sid, void *user);
void *tunnel_user(const struct tunnel *t, uint32_t sid);

#endif
