/* SPDX-License-Identifier: MIT */
/*
 * ICE consent checks (call/consent.h), as lanturn-egress and
 * lanturn-client take them from the peer: the input is one datagram.
 * Neither check reads past it; a request taken has its answer taken by
 * the client side.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "call/consent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t km[CONSENT_KM_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
		13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24 };
	struct consent_creds cr;
	uint8_t tid[STUN_TID_LEN], out[CONSENT_MSG_MAX];
	ssize_t n;

	consent_creds_init(&cr, km);
	memset(tid, 0, sizeof(tid));
	(void)consent_response_check(&cr, tid, data, size);
	if (consent_request_check(&cr, data, size, tid) == 1) {
		n = consent_response_build(&cr, tid, NULL, out, sizeof(out));
		if (n <= 0 || consent_response_check(&cr, tid, out, (size_t)n) != 1)
			abort();
	}
	return 0;
}
