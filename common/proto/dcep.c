/* SPDX-License-Identifier: MIT */
/* dcep: DATA_CHANNEL_OPEN and DATA_CHANNEL_ACK (dcep.h). */
#include "proto/dcep.h"

#include <string.h>

int
dcep_parse(const uint8_t *p, size_t n, struct dcep_msg *m)
{
	size_t ll, pl;

	memset(m, 0, sizeof(*m));
	if (n < 1)
		return 0;
	m->type = p[0];
	if (m->type == DCEP_ACK)
		return 1;
	if (m->type != DCEP_OPEN)
		return -1;
	if (n < DCEP_OPEN_HDR)
		return 0;
	m->chan_type = p[1];
	switch (m->chan_type & ~DCEP_UNORDERED) {
	case DCEP_RELIABLE:
	case DCEP_PARTIAL_RELIABLE_REXMIT:
	case DCEP_PARTIAL_RELIABLE_TIMED:
		break;
	default:
		return -1;
	}
	m->priority = (uint16_t)(p[2] << 8 | p[3]);
	m->reliability = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	ll = (size_t)(p[8] << 8 | p[9]);
	pl = (size_t)(p[10] << 8 | p[11]);
	if (ll > DCEP_LABEL_MAX || pl > DCEP_LABEL_MAX)
		return -1;
	if (ll + pl > n - DCEP_OPEN_HDR)
		return 0;
	m->label = p + DCEP_OPEN_HDR;
	m->label_len = ll;
	m->protocol = p + DCEP_OPEN_HDR + ll;
	m->protocol_len = pl;
	return (int)(DCEP_OPEN_HDR + ll + pl);
}

int
dcep_write_open(uint8_t chan_type, const char *label, const char *protocol, uint8_t *out, size_t cap)
{
	size_t ll = strlen(label), pl = strlen(protocol);

	if (ll > DCEP_LABEL_MAX || pl > DCEP_LABEL_MAX || cap < DCEP_OPEN_HDR + ll + pl)
		return -1;
	out[0] = DCEP_OPEN;
	out[1] = chan_type;
	out[2] = 0;
	out[3] = 0;
	memset(out + 4, 0, 4); /* reliability: none for a reliable channel */
	out[8] = (uint8_t)(ll >> 8);
	out[9] = (uint8_t)ll;
	out[10] = (uint8_t)(pl >> 8);
	out[11] = (uint8_t)pl;
	memcpy(out + DCEP_OPEN_HDR, label, ll);
	memcpy(out + DCEP_OPEN_HDR + ll, protocol, pl);
	return (int)(DCEP_OPEN_HDR + ll + pl);
}
