/* SPDX-License-Identifier: MIT */
/*
 * What rendezvous processes tell each other through redis-server (--redis):
 * a proxy advertisement (a list entry "PROC|SID|RELAYS|EXPIRY_MS|CLIENTS")
 * and the messages published to a process's channel, JSON objects
 * {"op":"offer"|"nak"|"answer", "sid", "from", "offer", "nat", "relay",
 * "answer"}. Pure functions over (p, n): n, or -1 for anything malformed
 * (a peer process is trusted no more than a client). Strings are copied
 * into allocations the caller frees with rmsg_free.
 */
#ifndef RDV_RMSG_H
#define RDV_RMSG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sfmsg.h"

#define RMSG_PROC_LEN 16
#define RMSG_MAX (SF_BODY_MAX + 1024)

struct rmsg_ad {
	char proc[RMSG_PROC_LEN + 1];
	char sid[SF_SID_MAX + 1];
	uint64_t relays, expiry_ms, clients;
};

ssize_t rmsg_ad_decode(const uint8_t *p, size_t n, struct rmsg_ad *ad);
/* The entry's text; -1 if it does not fit or the sid holds a '|'. */
ssize_t rmsg_ad_encode(char *out, size_t cap, const struct rmsg_ad *ad);

enum rmsg_op { RMSG_OFFER = 1, RMSG_NAK, RMSG_ANSWER };

struct rmsg {
	enum rmsg_op op;
	char sid[SF_SID_MAX + 1];
	char from[RMSG_PROC_LEN + 1];
	char *offer, *relay, *answer; /* NULL when absent */
	size_t offer_len, answer_len;
	enum sf_nat nat;
};

ssize_t rmsg_decode(const uint8_t *p, size_t n, struct rmsg *m);
void rmsg_free(struct rmsg *m);

#endif
