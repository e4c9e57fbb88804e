/* SPDX-License-Identifier: MIT */
/*
 * DTLS records in a received buffer. With UDP_GRO (common/ice) the
 * kernel hands a run of datagrams from one peer over in one buffer; each
 * datagram of it starts a record, and records carry their length, so the
 * buffer is cut back into records before NSS sees them (NSS takes one
 * datagram at a time, and a datagram may hold several records anyway).
 */
#ifndef PW_RTC_DGRAM_H
#define PW_RTC_DGRAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The length, header included, of the DTLS record at the start of p:
 * the DTLS 1.0/1.2 header (content type 20..25, version 0xfe.., 13 bytes,
 * RFC 6347 4.1) or RFC 9147's unified header (001CSLEE) with its length
 * present. 0: p holds only part of the record (or of its header). -1:
 * p does not start a record whose length can be known (another protocol,
 * a connection ID, or a 1.3 record without length, which runs to the end
 * of its datagram): the caller takes the rest as one datagram.
 */
ssize_t rtc_dtls_record(const uint8_t *p, size_t n);

#endif
