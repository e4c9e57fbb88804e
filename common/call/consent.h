/* SPDX-License-Identifier: MIT */
/*
 * ICE consent freshness (RFC 7675) inside a lanturn call, as a browser
 * in a TURN-relayed call sends it: a STUN Binding request to the peer
 * through the relay every 4-6 s (Firefox's nICEr: 5 s +-20 %, uniform,
 * each request sent once, no retransmission), answered by a Binding
 * success response. The requests carry what an ICE check carries
 * (USERNAME "remote-ufrag:local-ufrag", 8 hex digits each as Firefox's,
 * PRIORITY, ICE-CONTROLLING and a tiebreaker, MESSAGE-INTEGRITY,
 * FINGERPRINT); the response XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY and
 * FINGERPRINT.
 *
 * There is no SDP between lanturn-client and lanturn-egress, so the ICE
 * credentials come from the DTLS session: 24 bytes of the exporter under
 * CONSENT_LABEL give the client's ufrag (4 bytes, as hex), the server's
 * ufrag (4) and the server's password (16, as 32 hex digits, the key of
 * MESSAGE-INTEGRITY both ways as ICE's short-term credential is). Only
 * the two ends of the call can make or check a request; the server
 * ignores any other STUN.
 *
 * Pure: no I/O, no clock.
 */
#ifndef PW_CALL_CONSENT_H
#define PW_CALL_CONSENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "proto/stun.h"

#define CONSENT_LABEL "EXTRACTOR-lanturn-ice-consent"
#define CONSENT_KM_LEN 24
#define CONSENT_IVL 5.0            /* seconds between requests, */
#define CONSENT_IVL_SPREAD 0.2     /* +- this fraction, uniform (nICEr's 5000 ms +- 20 %) */
#define CONSENT_WAIT 2.0           /* unanswered this long with the call silent as long: lost */
#define CONSENT_SILENCE_BULK 6.0   /* bulk: the silence needed (an idle peer's reports are 5.5 s apart) */
#define CONSENT_MSG_MAX 128
/* A relayed UDP candidate's priority (RFC 8445 §5.1.2.1: type preference 5, local 65535, component 1). */
#define CONSENT_PRIORITY ((5u << 24) | (65535u << 8) | 255u)

struct consent_creds {
	char ufrag_c[9], ufrag_s[9]; /* 8 hex digits */
	char pwd_s[33];               /* 32 hex digits */
};

/* The credentials from CONSENT_KM_LEN bytes of exporter output. */
void consent_creds_init(struct consent_creds *cr, const uint8_t km[CONSENT_KM_LEN]);

/* Client: the request with this transaction ID: its length, or -1. */
ssize_t consent_request_build(const struct consent_creds *cr, const uint8_t tid[STUN_TID_LEN],
                              uint64_t tiebreaker, uint8_t *out, size_t cap);
/*
 * Server: p[n] (one datagram) is a consent request of this call (USERNAME
 * and MESSAGE-INTEGRITY right, FINGERPRINT right): 1 with its transaction
 * ID in tid, 0 otherwise.
 */
int consent_request_check(const struct consent_creds *cr, const uint8_t *p, size_t n,
                          uint8_t tid[STUN_TID_LEN]);
/* Server: the success response (XOR-MAPPED-ADDRESS from, when not NULL): its length, or -1. */
ssize_t consent_response_build(const struct consent_creds *cr, const uint8_t tid[STUN_TID_LEN],
                               const struct sockaddr *from, uint8_t *out, size_t cap);
/* Client: p[n] is the success response to the request tid: 1, else 0. */
int consent_response_check(const struct consent_creds *cr, const uint8_t tid[STUN_TID_LEN],
                           const uint8_t *p, size_t n);

#endif
