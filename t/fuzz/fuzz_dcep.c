/* SPDX-License-Identifier: MIT */
/*
 * DCEP. A decoded OPEN stays inside the input, asks for more one byte
 * short, and re-encodes (when its label and protocol hold no NUL) to
 * the same bytes apart from priority and reliability, which we always
 * write as zero.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dcep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[DCEP_OPEN_HDR + 2 * DCEP_LABEL_MAX];
	static char label[DCEP_LABEL_MAX + 1], proto[DCEP_LABEL_MAX + 1];
	struct dcep_msg m, m2;
	int k, n;

	k = dcep_parse(data, size, &m);
	if (k <= 0 || m.type == DCEP_ACK)
		return 0;
	if ((size_t)k > size || m.label_len > DCEP_LABEL_MAX || m.protocol_len > DCEP_LABEL_MAX)
		abort();
	if (dcep_parse(data, (size_t)k - 1, &m2) != 0)
		abort();
	if (memchr(m.label, 0, m.label_len) || memchr(m.protocol, 0, m.protocol_len))
		return 0;
	memcpy(label, m.label, m.label_len);
	label[m.label_len] = '\0';
	memcpy(proto, m.protocol, m.protocol_len);
	proto[m.protocol_len] = '\0';
	n = dcep_write_open(m.chan_type, label, proto, out, sizeof(out));
	if (n != k || out[1] != data[1] || memcmp(out + 8, data + 8, (size_t)k - 8) != 0)
		abort();
	return 0;
}
