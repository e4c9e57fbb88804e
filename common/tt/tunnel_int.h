/* SPDX-License-Identifier: MIT */
/*
 * Inside the session engine: the tunnel's state, shared by tunnel.c
 * (KCP, smux, the pump) and tunnel_sec.c (secure mode: TLS between them).
 */
#ifndef PW_TUNNEL_INT_H
#define PW_TUNNEL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "base/membudget.h"
#include "tt/tunnel.h"

struct kcp;
struct smux;
struct tlsmem;

struct umap_slot {
	uint32_t sid; /* 0: empty (smux never uses stream id 0) */
	void *user;
};

struct tunnel {
	struct membudget mb; /* the session's; its parent is the global one */
	size_t kcp_base;     /* KCP's own struct, charged here: KCP charges the rest */
	struct kcp *kcp;
	struct smux *smux;
	struct tunnel_cb cb;
	void *arg;
	uint8_t *rx;
	size_t rx_off, rx_len;
	int pumping, pump_again;
	uint64_t now_ms;              /* at the last input or tick */
	uint64_t rx_total;            /* bytes taken from KCP for smux */
	uint64_t rate_bytes, rate_ms; /* rx_total and the time at the last sizing */
	uint32_t window_max;          /* most the smux window may grow to */
	int dead;
	char err[160];
	/* secure mode (tunnel_sec.c); sec NULL: plaintext */
	struct tlsmem *sec;
	int sec_client;
	int sec_out;  /* smux frames may go out (client: after its hello) */
	int sec_in;   /* smux frames may come in (after the hello or status byte) */
	int sec_pin;  /* died because the key was not the pinned one */
	uint8_t hello[TUNNEL_HELLO_MAX];
	size_t hello_len;
	/* smux frames taken but not yet sealed: one record for all of them */
	uint8_t batch[TUNNEL_SEC_BATCH];
	size_t batch_len;
	struct umap_slot *slots;
	size_t nslots, nused; /* nslots a power of two, or 0 */
};


void tunnel_die(struct tunnel *t, const char *why);
/* Bytes came from KCP (rx_total grew): resize the smux window to the path. */
void tunnel_size(struct tunnel *t);
int tunnel_rx_alloc(struct tunnel *t);

/* tunnel_sec.c */
int tunnel_sec_new(struct tunnel *t, int is_client, const struct tunnel_config *cfg);
void tunnel_sec_free(struct tunnel *t);
/* smux output: TLS records into KCP; bytes of p taken. */
size_t tunnel_sec_out(struct tunnel *t, const uint8_t *p, size_t n);
/* Seal the frames tunnel_sec_out batched, before KCP may send or anything else writes. */
void tunnel_sec_seal(struct tunnel *t);
/* Handshake, then plaintext into rx: 1 when rx has bytes, 0 to wait, -1 dead. */
int tunnel_sec_fill(struct tunnel *t);
/* Credentials or status byte from rx: 1 progress, 0 to wait, -1 dead. */
int tunnel_sec_preface(struct tunnel *t);

#endif
