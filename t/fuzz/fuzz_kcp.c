/* SPDX-License-Identifier: MIT */
/*
 * KCP engine and segment codec. The input is a script run against two
 * engines A and B joined by a small lossy queue:
 *
 *   byte 0: settings (bit 0 message mode, bit 1 fast resend, bit 2
 *           nodelay, bit 3 congestion control, bits 4-7 A's window / 16)
 *   then records: op u8, len u16 little-endian, len bytes
 *     op % 6 == 0  the bytes are a datagram for A (attacker input)
 *               1  advance the clock by len ms (capped) and update both
 *               2  A sends len bytes of its stream
 *               3  B reads up to len bytes
 *               4  deliver len % 64 queued datagrams each way (the rest wait)
 *               5  drop the queued datagrams (a dead carrier)
 *
 * Checked: the codec decodes every segment of the injected datagram and
 * re-encodes its header to the same 24 bytes, and kcp_probe_only agrees
 * with its segments; a datagram A rejects leaves
 * A byte for byte unchanged; every datagram either engine emits is at
 * most MTU bytes and is accepted by the other until an injected datagram
 * was accepted by A (forged data or acks put A's sequence numbers where
 * B never was, and B then rightly finds A's datagrams insane); and what
 * B reads is always
 * a prefix of what A sent (injected ACKs may make A give up on data, so
 * B may stall, but it must never read a wrong byte).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tt/kcp.h"
#include "tt/kcp_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define QMAX 64

struct fq {
	size_t n;
	size_t len[QMAX];
	uint8_t pkt[QMAX][KCP_MTU_MAX];
};

static struct fq q[2]; /* q[0]: A → B, q[1]: B → A */
static int forged;     /* A accepted an injected datagram */
static struct kcp *eng[2];

static void
out(const uint8_t *pkt, size_t len, void *arg)
{
	struct fq *d = arg;
	size_t i = (size_t)(d - q);

	if (len == 0 || len > eng[i]->mtu)
		abort();
	if (d->n == QMAX)
		return; /* a full queue drops, as carriers do */
	d->len[d->n] = len;
	memcpy(d->pkt[d->n], pkt, len);
	d->n++;
}

static void
codec_check(const uint8_t *p, size_t n)
{
	struct kcp_seghdr h, g;
	uint8_t enc[KCP_OVERHEAD];
	size_t off = 0;
	ssize_t r;
	int probes = n > 0 && n <= KCP_MTU_MAX; /* what kcp_probe_only must say */

	while (off < n && (r = kcp_seg_decode(p + off, n - off, &h)) > 0) {
		if (h.cmd != KCP_CMD_WASK && h.cmd != KCP_CMD_WINS)
			probes = 0;
		if ((size_t)r != KCP_OVERHEAD + h.len || (size_t)r > n - off)
			abort();
		if (kcp_seg_encode(&h, enc, sizeof(enc)) != KCP_OVERHEAD ||
		    memcmp(enc, p + off, KCP_OVERHEAD) != 0)
			abort();
		if (kcp_seg_decode(enc, KCP_OVERHEAD, &g) != (h.len == 0 ? KCP_OVERHEAD : 0))
			abort();
		off += (size_t)r;
	}
	if (kcp_probe_only(p, n) != (probes && off == n))
		abort();
}

static void
deliver(int from, size_t count)
{
	struct fq *d = &q[from];
	size_t i;

	if (count > d->n)
		count = d->n;
	for (i = 0; i < count; i++)
		if (kcp_input(eng[1 - from], d->pkt[i], d->len[i]) != 0 && !forged)
			abort();
	memmove(d->pkt, d->pkt + count, (d->n - count) * sizeof(d->pkt[0]));
	memmove(d->len, d->len + count, (d->n - count) * sizeof(d->len[0]));
	d->n -= count;
}

static uint8_t
pattern(uint64_t i)
{
	return (uint8_t)(i * 131 + (i >> 9));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kcp snap;
	static uint8_t buf[1 << 16];
	uint64_t sent = 0, rcvd = 0;
	uint32_t now = 0;
	size_t off = 1;
	int i;

	if (size < 1)
		return 0;
	q[0].n = q[1].n = 0;
	forged = 0;
	for (i = 0; i < 2; i++) {
		eng[i] = kcp_new(0x01020304, out, &q[i]);
		if (eng[i] == NULL)
			return 0;
		if (data[0] & 1)
			kcp_stream(eng[i], 0);
		kcp_nodelay(eng[i], data[0] >> 2 & 1, 10, data[0] & 2 ? 2 : 0, !(data[0] & 8));
	}
	if (data[0] >> 4)
		kcp_wndsize(eng[0], (unsigned)(data[0] >> 4) * 16, 0);
	kcp_wndsize(eng[1], 0, 128);

	while (off + 3 <= size) {
		uint8_t op = data[off] % 6;
		size_t len = (size_t)data[off + 1] | (size_t)data[off + 2] << 8, j;
		ssize_t n;

		off += 3;
		switch (op) {
		case 0:
			if (len > size - off)
				len = size - off;
			codec_check(data + off, len);
			memcpy(&snap, eng[0], sizeof(snap));
			if (kcp_input(eng[0], data + off, len) != 0) {
				snap.st.in_bad++;
				if (memcmp(&snap, eng[0], sizeof(snap)) != 0)
					abort();
			} else {
				forged = 1;
			}
			off += len;
			break;
		case 1:
			now += (uint32_t)(len % 20000);
			kcp_update(eng[0], now);
			kcp_update(eng[1], now);
			if (kcp_diff(kcp_check(eng[0], now), now) < 0)
				abort();
			break;
		case 2:
			if (len > sizeof(buf))
				len = sizeof(buf);
			for (j = 0; j < len; j++)
				buf[j] = pattern(sent + j);
			n = kcp_send(eng[0], buf, len);
			if (n < -1 || n > (ssize_t)len)
				abort();
			if (n > 0)
				sent += (uint64_t)n;
			break;
		case 3:
			n = kcp_recv(eng[1], buf, len);
			if (n < -1 || n > (ssize_t)len)
				abort();
			if (n > 0 && !(data[0] & 1))
				for (j = 0; j < (size_t)n; j++)
					if (buf[j] != pattern(rcvd + j))
						abort();
			if (n > 0)
				rcvd += (uint64_t)n;
			if (rcvd > sent)
				abort();
			break;
		case 4:
			deliver(0, len % 64);
			deliver(1, len % 64);
			break;
		case 5:
			q[0].n = q[1].n = 0;
			break;
		}
	}
	kcp_free(eng[0]);
	kcp_free(eng[1]);
	return 0;
}
