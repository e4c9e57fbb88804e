/* SPDX-License-Identifier: MIT */
/*
 * The Data Channel Establishment Protocol (RFC 8832) and the data
 * channel PPIDs (RFC 8831): DATA_CHANNEL_OPEN and DATA_CHANNEL_ACK on
 * PPID 50. Pure: no I/O, no allocation; the label and protocol of a
 * decoded OPEN point into the caller's buffer.
 */
#ifndef PW_PROTO_DCEP_H
#define PW_PROTO_DCEP_H

#include <stddef.h>
#include <stdint.h>

#define DCEP_PPID 50
#define DCEP_PPID_STRING 51
#define DCEP_PPID_BINARY 53
#define DCEP_PPID_STRING_EMPTY 56 /* an empty message is sent as one byte with this PPID */
#define DCEP_PPID_BINARY_EMPTY 57

#define DCEP_ACK 0x02
#define DCEP_OPEN 0x03

/* Channel types: reliable ordered, and the unordered bit. */
#define DCEP_RELIABLE 0x00
#define DCEP_PARTIAL_RELIABLE_REXMIT 0x01
#define DCEP_PARTIAL_RELIABLE_TIMED 0x02
#define DCEP_UNORDERED 0x80

#define DCEP_OPEN_HDR 12
#define DCEP_LABEL_MAX 1024 /* longer labels or protocols are refused */

struct dcep_msg {
	uint8_t type;          /* DCEP_OPEN or DCEP_ACK */
	uint8_t chan_type;
	uint16_t priority;
	uint32_t reliability;
	const uint8_t *label, *protocol;
	size_t label_len, protocol_len;
};

/*
 * One DCEP message (the whole SCTP message): bytes consumed, 0 when it
 * is shorter than its lengths say, -1 when malformed or of another type.
 */
int dcep_parse(const uint8_t *p, size_t n, struct dcep_msg *m);
/* A DATA_CHANNEL_OPEN into out: its length, or -1 when it does not fit. */
int dcep_write_open(uint8_t chan_type, const char *label, const char *protocol, uint8_t *out,
                    size_t cap);

#endif
