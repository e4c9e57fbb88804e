/* SPDX-License-Identifier: MIT */
/*
 * smux v2. Input: byte 0 seeds the choices, the rest is what a peer sends
 * to a server session. Three sessions get it:
 *   - "whole": fed in one call, reads everything at once;
 *   - "cut": fed in pieces whose sizes come from the seed, same reader;
 *     both must end the same (alive or dead, same error) and deliver the
 *     same bytes to the same streams in the same order;
 *   - "chaos": callbacks read, write, shut down, close and open streams
 *     at random, output accepts a random share, time moves on; it must
 *     not crash, must keep its invariants (input refused only when it
 *     says it wants none) and must stay within its memory bounds.
 * Plus the header codec: decode, encode, decode gives the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tt/smux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct obs {
	struct smux *s;
	uint64_t hash;
	size_t bytes;
	uint32_t eof[128]; /* sids whose EOF was seen: counted once, however cut */
	size_t neof;
	/* chaos only */
	int chaos;
	uint32_t rng;
	size_t out_budget;
	size_t out_total;
};

static uint32_t
rnd(struct obs *o)
{
	o->rng = o->rng * 1103515245 + 12345;
	return o->rng >> 16;
}

static void
mix(struct obs *o, uint64_t v)
{
	o->hash = (o->hash ^ v) * 0x100000001b3ull;
}

static size_t
cb_output(void *arg, const uint8_t *p, size_t n)
{
	struct obs *o = arg;

	(void)p;
	if (!o->chaos)
		return n;
	if (n > o->out_budget)
		n = o->out_budget;
	o->out_budget -= n;
	o->out_total += n;
	return n;
}

static void
cb_accept(void *arg, uint32_t sid)
{
	struct obs *o = arg;
	uint32_t nsid;

	mix(o, 0x100000000ull | sid);
	if (!o->chaos)
		return;
	switch (rnd(o) % 8) {
	case 0:
		smux_close(o->s, sid);
		break;
	case 1:
		(void)smux_open(o->s, &nsid);
		break;
	}
}

static void
cb_readable(void *arg, uint32_t sid)
{
	static uint8_t buf[70000];
	struct obs *o = arg;
	ssize_t r;
	size_t i, want;

	if (!o->chaos) {
		while ((r = smux_read(o->s, sid, buf, sizeof(buf))) > 0) {
			for (i = 0; i < (size_t)r; i++)
				mix(o, (uint64_t)sid << 8 | buf[i]);
			o->bytes += (size_t)r;
		}
		if (r == 0) {
			for (i = 0; i < o->neof && o->eof[i] != sid; i++)
				;
			if (i == o->neof && o->neof < sizeof(o->eof) / sizeof(o->eof[0])) {
				o->eof[o->neof++] = sid;
				mix(o, 0x200000000ull | sid);
			}
		}
		return;
	}
	switch (rnd(o) % 6) {
	case 0: /* a slow reader: leave it */
		break;
	case 1:
		smux_close(o->s, sid);
		break;
	case 2:
		(void)smux_shutdown(o->s, sid);
		/* fall through */
	default:
		want = 1 + rnd(o) % sizeof(buf);
		r = smux_read(o->s, sid, buf, want);
		if (r > 0 && rnd(o) % 2)
			(void)smux_write(o->s, sid, buf, (size_t)r);
		if (r == 0 && rnd(o) % 2)
			smux_close(o->s, sid);
		break;
	}
}

static void
cb_writable(void *arg, uint32_t sid)
{
	static const uint8_t junk[40000];
	struct obs *o = arg;

	if (o->chaos && rnd(o) % 2)
		(void)smux_write(o->s, sid, junk, rnd(o) % sizeof(junk));
}

static const struct smux_cb cbs = { cb_output, cb_accept, cb_readable, cb_writable };

static void
check_codec(const uint8_t *p, size_t n)
{
	struct smux_hdr h, h2;
	const uint8_t *pay;
	uint8_t enc[SMUX_HDR_LEN];
	ssize_t k = smux_hdr_decode(p, n, &h), f;

	f = smux_frame_decode(p, n, &h2, &pay);
	if (k < 0 ? f != -1 : (f != 0 && f != SMUX_HDR_LEN + (ssize_t)h.len))
		abort();
	if (k != SMUX_HDR_LEN)
		return;
	if (h.ver != SMUX_VERSION || h.cmd > SMUX_CMD_UPD)
		abort();
	smux_hdr_encode(enc, &h);
	if (memcmp(enc, p, SMUX_HDR_LEN) != 0)
		abort();
	if (smux_hdr_decode(enc, sizeof(enc), &h2) != SMUX_HDR_LEN || memcmp(&h, &h2, sizeof(h)) != 0)
		abort();
}

static void
config(struct smux_config *cfg)
{
	/* Small windows so that limits are reached with small inputs. */
	smux_config_default(cfg, 0);
	cfg->stream_window = 4096;
	cfg->session_window = 16384;
	cfg->streams_max = 64;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smux_config cfg;
	struct obs whole = { 0 }, cut = { 0 }, chaos = { 0 };
	size_t off, i;
	ssize_t r1, r2 = 0;
	uint32_t seed;
	uint64_t now = 0;

	if (size < 1)
		return 0;
	seed = data[0];
	data++;
	size--;
	for (i = 0; i < size && i < 64; i++)
		check_codec(data + i, size - i);

	config(&cfg);
	whole.s = smux_new(0, &cfg, &cbs, &whole, 0);
	cut.s = smux_new(0, &cfg, &cbs, &cut, 0);
	if (whole.s == NULL || cut.s == NULL)
		abort();
	r1 = smux_input(whole.s, data, size);
	/* Readers drain at once, so the session buffer never fills. */
	if (r1 >= 0 && (size_t)r1 != size)
		abort();
	cut.rng = seed;
	for (off = 0; off < size;) {
		size_t n = 1 + rnd(&cut) % (seed & 1 ? 3 : 300);

		if (n > size - off)
			n = size - off;
		r2 = smux_input(cut.s, data + off, n);
		if (r2 < 0)
			break;
		if ((size_t)r2 != n)
			abort();
		off += n;
	}
	if ((r1 < 0) != (r2 < 0) || smux_dead(whole.s) != smux_dead(cut.s) ||
	    whole.hash != cut.hash || whole.bytes != cut.bytes)
		abort();
	if (smux_dead(whole.s) && strcmp(smux_error(whole.s), smux_error(cut.s)) != 0)
		abort();
	smux_free(whole.s);
	smux_free(cut.s);

	chaos.chaos = 1;
	chaos.rng = seed * 2654435761u;
	chaos.s = smux_new(0, &cfg, &cbs, &chaos, 0);
	if (chaos.s == NULL)
		abort();
	for (off = 0; off < size && !smux_dead(chaos.s);) {
		size_t n = 1 + rnd(&chaos) % 200;
		ssize_t r;

		if (n > size - off)
			n = size - off;
		chaos.out_budget = rnd(&chaos) % 4 == 0 ? 0 : rnd(&chaos) * 4u;
		r = smux_input(chaos.s, data + off, n);
		if (r < 0)
			break;
		if ((size_t)r > n || ((size_t)r < n && smux_want_input(chaos.s)))
			abort();
		off += (size_t)r;
		if ((size_t)r < n) {
			/* Full: read a little from every stream we may know. */
			uint8_t b[512];
			uint32_t sid;

			for (sid = 0; sid < 256; sid++)
				(void)smux_read(chaos.s, sid, b, sizeof(b));
			if (!smux_want_input(chaos.s))
				break; /* all known streams unread by choice: a stalled peer */
		}
		now += rnd(&chaos) % 4000;
		chaos.out_budget = rnd(&chaos) * 8u;
		if (smux_tick(chaos.s, now) < 0 && !smux_dead(chaos.s))
			abort();
		if (smux_nstreams(chaos.s) > cfg.streams_max)
			abort();
	}
	smux_free(chaos.s);
	return 0;
}
