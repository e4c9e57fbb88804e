/* SPDX-License-Identifier: MIT */
/*
 * SCTP associations over DTLS, on usrsctp with AF_CONN: no socket and
 * no thread of usrsctp's own (usrsctp_init_nothreads). The caller feeds
 * what DTLS decrypted (sctpc_input) and sends what the send callback
 * hands out through DTLS; sctpc_tick runs usrsctp's timers and must be
 * called every SCTPC_TICK_MS or so while an association exists.
 *
 * Configured as browsers configure usrsctp: no ECN, no ASCONF, no AUTH,
 * stream reset enabled, path MTU fixed at SCTPC_MTU (no PMTU discovery
 * over DTLS), both ends connecting from and to port 5000 (RFC 8841).
 * Messages are delivered whole: parts are put back together up to the
 * association's max_msg, beyond which the association is aborted.
 * Reading is driven by usrsctp's upcall and can be paused (sctpc_pause),
 * which is how a slow consumer holds the peer back.
 *
 * Events raised inside usrsctp are delivered from inside sctpc_input,
 * sctpc_send or sctpc_tick; a callback must not free the association
 * (defer it).
 *
 * Only this library sees usrsctp; the header does not.
 */
#ifndef PW_SCTP_SCTPC_H
#define PW_SCTP_SCTPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SCTPC_PORT 5000           /* a=sctp-port of every browser */
#define SCTPC_MTU 1200            /* SCTP packet size over DTLS, as Firefox and Chrome */
#define SCTPC_STREAMS 1024        /* streams offered each way */
#define SCTPC_TICK_MS 10          /* usrsctp's timer granularity we drive */
#define SCTPC_SEND_SPACE 262144   /* send buffer: what sctpc_send queues before refusing */
#define SCTPC_RECV_SPACE 262144   /* receive window: what a paused reader lets the peer send */
#define SCTPC_READ_MAX 65536      /* one read from usrsctp; bigger messages come in parts */

struct sctpc_cb {
	void (*send)(void *arg, const uint8_t *p, size_t n); /* one SCTP packet, for DTLS */
	void (*up)(void *arg);                               /* association established */
	void (*message)(void *arg, uint16_t sid, uint32_t ppid, const uint8_t *p, size_t n);
	void (*writable)(void *arg); /* room again after sctpc_send returned 0 */
	void (*down)(void *arg, const char *why);
	void *arg;
};

struct sctpc_opts {
	size_t max_msg;       /* largest message received; a bigger one aborts */
	uint32_t hb_ms;       /* heartbeat interval on an idle path, 0: usrsctp's 30 s */
};

/* Once per process. 0/-1. */
int sctpc_global_init(void);
/* At exit, after every association is freed (releases usrsctp's memory). */
void sctpc_global_finish(void);
/* The CRC32c an SCTP packet of n bytes carries (its checksum field taken as zero). */
uint32_t sctpc_crc32c(const uint8_t *p, size_t n);
/* Run usrsctp's timers for the time passed since the last call. */
void sctpc_tick(void);

struct sctpc;
struct sctpc *sctpc_new(const struct sctpc_opts *o, const struct sctpc_cb *cb, char *err,
                        size_t errlen);
/* Start the association (both ends do: simultaneous open is normal). 0/-1. */
int sctpc_connect(struct sctpc *s);
/* One SCTP packet that DTLS decrypted. */
void sctpc_input(struct sctpc *s, const uint8_t *p, size_t n);
/*
 * Send one whole message on stream sid: n when queued, 0 when the send
 * buffer is full (the writable callback follows), -1 when the
 * association cannot send.
 */
ssize_t sctpc_send(struct sctpc *s, uint16_t sid, uint32_t ppid, int unordered, const void *p,
                   size_t n);
/*
 * Stop (1) or resume (0) taking messages from usrsctp: while paused,
 * what arrives stays in the receive buffer and the window the peer sees
 * shrinks to nothing, so a sender is held back after SCTPC_RECV_SPACE.
 * Resuming delivers what waits, from inside this call.
 */
void sctpc_pause(struct sctpc *s, int paused);
/* Ask for a HEARTBEAT now (so a quiet path proves it is alive). 0/-1. */
int sctpc_heartbeat(struct sctpc *s);
/* DATA chunks queued or sent and not yet acknowledged (0 when down). */
int sctpc_unacked(struct sctpc *s);
/*
 * "srtt 1 ms, cwnd 262144, peer window 251904; this process: 0 DATA
 * chunks retransmitted (0 fast), 0 T3 timeouts, 0 window probes", for
 * a log line when a transfer was slower than it should be. The counts
 * are usrsctp's, for every association of the process.
 */
void sctpc_describe(struct sctpc *s, char *buf, size_t len);
/* Graceful SHUTDOWN, then free later. */
void sctpc_shutdown(struct sctpc *s);
void sctpc_free(struct sctpc *s);

#endif
