/* SPDX-License-Identifier: MIT */
/*
 * ICE for one data-channel peer connection, on libnice: full ICE
 * (RFC 8445) with regular nomination, one stream of one UDP component,
 * host candidates and, with a STUN server, server-reflexive ones. The
 * agent runs on its own GLib main context, which gev.c drives from the
 * caller's libev loop: everything here happens on the caller's thread,
 * inside ev_run.
 *
 * The checks look like a browser's: local ufrag and password are 8 and
 * 32 hex digits as Firefox makes them, and no SOFTWARE attribute is
 * sent. Candidates and credentials go out as SDP attribute values
 * ("candidate:…" without "a="), ready for proto/sdp.
 *
 * Callbacks are made from inside GLib's dispatch; a callback must not
 * free the agent (defer it: rtc does).
 *
 * Only this library sees GLib and libnice; the header uses neither.
 */
#ifndef PW_ICE_ICEA_H
#define PW_ICE_ICEA_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ICEA_UFRAG_LEN 8     /* Firefox: 8 hex digits */
#define ICEA_PWD_LEN 32      /* Firefox: 32 hex digits */
#define ICEA_CRED_MAX 256    /* longest remote ufrag/pwd accepted (RFC 8839: 256) */
#define ICEA_CAND_MAX 256    /* longest candidate line, with its NUL */
#define ICEA_CANDS_MAX 16    /* candidates given or taken per side */
#define ICEA_SOCKBUF 2097152 /* the selected pair's socket buffers, each way (capped by the kernel) */
#define ICEA_DGRAM_MAX 1500   /* datagrams batched by icea_send; longer ones go alone */
#define ICEA_BATCH_SEGS 32    /* datagrams in one batch (the kernel takes up to 64) */
#define ICEA_BATCH_MAX 49152  /* bytes in one batch (at most 64 KiB) */

struct ev_loop;

enum icea_event {
	ICEA_EV_GATHERED,  /* local candidates complete */
	ICEA_EV_CONNECTED, /* a pair is valid (or nominated): icea_send works */
	ICEA_EV_FAILED,    /* checks failed, or consent was lost */
	ICEA_EV_SRFLX,     /* a server-reflexive candidate: the STUN server answered */
};

struct icea_cb {
	void (*recv)(void *arg, const uint8_t *p, size_t n); /* a datagram (not STUN) */
	void (*event)(void *arg, enum icea_event ev);
	void *arg;
};

struct icea_opts {
	int controlling;                /* the offerer controls (RFC 8445 6.1.1) */
	const char *stun_ip;            /* a numeric address, or NULL */
	uint16_t stun_port;
	int consent;                    /* RFC 7675 consent freshness */
};

struct icea;
struct icea *icea_new(struct ev_loop *loop, const struct icea_opts *o, const struct icea_cb *cb,
                      char *err, size_t errlen);
/* Start gathering; ICEA_EV_GATHERED follows. 0/-1. */
int icea_gather(struct icea *a);
const char *icea_ufrag(const struct icea *a);
const char *icea_pwd(const struct icea *a);
/* Up to max local candidates, "candidate:…" each; how many. */
size_t icea_candidates(struct icea *a, char (*out)[ICEA_CAND_MAX], size_t max);
/* The remote side: credentials and "candidate:…" values. 0/-1 (err). */
int icea_set_remote(struct icea *a, const char *ufrag, const char *pwd,
                    const char *const *cands, size_t ncands, char *err, size_t errlen);
/* Send one datagram on the nominated pair: n, or -1 (dropped). */
ssize_t icea_send(struct icea *a, const uint8_t *p, size_t n);
/* The selected pair, "host 192.0.2.1:4000 -> srflx 198.51.100.1:5000", or "". */
const char *icea_pair(struct icea *a);
void icea_free(struct icea *a);

#endif
