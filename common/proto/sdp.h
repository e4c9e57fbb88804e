/* SPDX-License-Identifier: MIT */
/*
 * SDP for one WebRTC data channel (RFC 8866, 8839, 8841, 8842): what a
 * browser writes as offer or answer, and a strict parser for what a
 * peer sends us. Pure: no I/O, no allocation.
 *
 * The parser accepts exactly one "m=application PORT UDP/DTLS/SCTP
 * webrtc-datachannel" section and refuses any other m= line, unknown
 * line types, lines over SDP_LINE_MAX, control bytes, and descriptions
 * without ICE credentials, a sha-256 fingerprint or a setup role.
 * Attributes it does not need (ice-options, msid-semantic, group …)
 * are skipped. Lines end in CRLF (a bare LF is taken, as browsers do).
 * A description ends at the end of the input or before a following
 * "v=" line (glued descriptions); 0 means its last line is not yet
 * terminated. Candidates past SDP_CANDS_MAX are counted, not kept.
 */
#ifndef PW_PROTO_SDP_H
#define PW_PROTO_SDP_H

#include <stddef.h>
#include <stdint.h>

#define SDP_MAX 16384        /* a whole description */
#define SDP_LINE_MAX 1024    /* one line, without its line end */
#define SDP_CANDS_MAX 16     /* candidates kept */
#define SDP_CAND_MAX 256     /* one candidate value, with its NUL */
#define SDP_CRED_MAX 256     /* ice-ufrag / ice-pwd (RFC 8839: 256) */
#define SDP_MID_MAX 32
#define SDP_FP_LEN 32        /* sha-256 */
#define SDP_MAX_MSG_DEFAULT 65536 /* RFC 8841 6.1: when max-message-size is absent */

enum sdp_setup { SDP_SETUP_NONE, SDP_SETUP_ACTPASS, SDP_SETUP_ACTIVE, SDP_SETUP_PASSIVE };

struct sdp {
	char ufrag[SDP_CRED_MAX + 1];
	char pwd[SDP_CRED_MAX + 1];
	uint8_t fp[SDP_FP_LEN];
	enum sdp_setup setup;
	uint16_t sctp_port;       /* 5000 when absent */
	uint64_t max_msg;         /* 0: no limit (RFC 8841 "0"); absent: SDP_MAX_MSG_DEFAULT */
	char mid[SDP_MID_MAX + 1];
	uint64_t sess_id;         /* o= session id (writer) */
	size_t ncand;
	size_t cand_dropped;
	char cand[SDP_CANDS_MAX][SDP_CAND_MAX]; /* "candidate:…" values */
	int end_of_candidates;
};

/* Parse one description into d: bytes consumed, 0 need more, -1 malformed. */
int sdp_parse(const uint8_t *p, size_t n, struct sdp *d);

/*
 * Write d as a browser (Firefox) writes an offer or answer for one
 * data channel. Returns the length (NUL-terminated in out) or -1 when
 * it does not fit or a field cannot be written.
 */
int sdp_write(const struct sdp *d, char *out, size_t cap);

const char *sdp_setup_name(enum sdp_setup s);

#endif
