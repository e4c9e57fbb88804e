/* SPDX-License-Identifier: MIT */
/*
 * What the broker may hand out as a RelayURL: the --relay URLs and the
 * bridges of --bridge-list (Snowflake's JSON lines,
 * {"displayName":…,"webSocketAddress":"wss://…","fingerprint":"<40 hex>"}).
 * Each distinct URL is one relay, one bit in a 64-bit mask; a client's
 * fingerprint selects the relays of its bridge (any relay when there is no
 * bridge list), a proxy's AcceptedRelayPattern selects the relays whose
 * host it admits. A ws:// relay goes only to proxies not known to refuse
 * non-TLS relays; when both kinds fit, wss:// is handed out.
 */
#ifndef RDV_RELAYS_H
#define RDV_RELAYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sfmsg.h"

#define RELAYS_MAX 64
#define RELAY_URL_MAX 255
#define BRIDGES_MAX 1024
#define BRIDGE_LINE_MAX 4096

struct relay {
	char url[RELAY_URL_MAX + 1];
	char host[RELAY_URL_MAX + 1];
	int tls;
};

struct bridge {
	char fpr[SF_FPR_LEN + 1]; /* upper case */
	uint64_t relays;
};

struct relays {
	struct relay r[RELAYS_MAX];
	size_t n;
	struct bridge *b;
	size_t nb;
	uint64_t nontls; /* bit i: relay i is ws:// */
};

/* Add a ws:// or wss:// URL (again: its index). Index, or -1 with err. */
int relays_add(struct relays *rs, const char *url, char *err, size_t errlen);

/*
 * One bridge-list line (pure): its fingerprint (upper-cased) and
 * webSocketAddress. n, or -1 when it is not a bridge line.
 */
ssize_t relays_bridge_decode(const uint8_t *p, size_t n, char fpr[SF_FPR_LEN + 1],
                             char url[RELAY_URL_MAX + 1]);

/* Read a bridge-list file; 0, or -1 with err. */
int relays_load_bridges(struct relays *rs, const char *path, char *err, size_t errlen);
void relays_free(struct relays *rs);

/* The relays a client asking for bridge fpr may get; 0 for an unknown bridge. */
uint64_t relays_for_bridge(const struct relays *rs, const char *fpr);

/* The relays a proxy admits; legacy proxies (no pattern) take any. */
uint64_t relays_for_proxy(const struct relays *rs, int has_pattern, const char *pattern,
                          int nontls_ok);

/* The relay to hand out from a non-empty mask: wss:// first, then the lowest index. */
int relays_pick(const struct relays *rs, uint64_t mask);

#endif
