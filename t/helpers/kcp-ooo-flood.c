/* SPDX-License-Identifier: MIT */
/*
 * kcp-ooo-flood — an attack client for egress memory tests. Each session
 * connects to ENDPOINT, sends the Turbo Tunnel preamble with a random
 * ClientID (the secure-session token), opens a KCP conversation with
 * segment 0 (the head of a TLS record, so the session waits for the
 * rest of it), then never sends segment 1 but sends 2..LAST,
 * each with SIZE data bytes, packed into datagrams of at most 1400 bytes:
 * everything after the hole is out of order and must be held or dropped.
 * A window probe (WASK) ends the flood; the egress answers it with a WINS
 * once it has taken every datagram before it, which is when this session
 * counts as done.
 *
 *   kcp-ooo-flood [-n SESSIONS] [-l LAST] [-s SIZE] [-t SECONDS] ENDPOINT
 *
 * Prints "ready acked=A wins=W" once every session is done (A: segments
 * the egress acknowledged, over all sessions), then holds the connections
 * open until SIGTERM (exit 0), so the sessions stay alive while a test
 * measures. Exit 111 when a session's connection fails or the egress
 * does not answer within SECONDS (default 60).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/exitcodes.h"
#include "base/num.h"
#include "net/endpoint.h"
#include "net/net.h"
#include "proto/frame.h"
#include "proto/preamble.h"
#include "tt/kcp.h"

#define FLOOD_DGRAM 1400
#define FLOOD_SESSIONS_MAX 1000
#define FLOOD_OUT (64 * (FRAME_PREFIX_MAX + FLOOD_DGRAM)) /* generated per refill */

struct flood {
	int fd;
	int connected, done;
	uint32_t conv, next_sn, last, size; /* next_sn past last: only the probe is left */
	int probed;
	uint8_t out[PREAMBLE_LEN + FLOOD_OUT];
	size_t outlen, outoff;
	struct frame_reader fr;
	uint8_t pkt[KCP_MTU_MAX];
	uint64_t acks, wins;
};

static void
on_term(int sig)
{
	(void)sig;
	_exit(EX_PW_OK);
}

static void
usage(void)
{
	fprintf(stderr, "usage: kcp-ooo-flood [-n SESSIONS] [-l LAST] [-s SIZE] [-t SECONDS] ENDPOINT\n");
	exit(EX_PW_USAGE);
}

/* Append one framed datagram of dlen bytes. */
static void
put_dgram(struct flood *f, const uint8_t *d, size_t dlen)
{
	ssize_t r = frame_encode_data(d, dlen, f->out + f->outlen, FRAME_PREFIX_MAX + dlen);

	if (r < 0) {
		fprintf(stderr, "kcp-ooo-flood: frame_encode_data failed\n");
		exit(EX_PW_INTERNAL);
	}
	f->outlen += (size_t)r;
}

static size_t
put_seg(uint8_t *p, uint32_t conv, uint8_t cmd, uint32_t sn, const uint8_t *data, uint32_t len)
{
	struct kcp_seghdr h = { conv, cmd, 0, KCP_WND_MAX, 0, sn, 0, len };

	(void)kcp_seg_encode(&h, p, KCP_OVERHEAD);
	if (len > 0)
		memcpy(p + KCP_OVERHEAD, data, len);
	return KCP_OVERHEAD + len;
}

/* The session's start: preamble and segment 0, a smux NOP. */
static void
flood_start(struct flood *f, uint32_t last, uint32_t size)
{
	/*
	 * The head of a TLS handshake record of 16 KiB: the egress's TLS waits
	 * for the rest, which is the hole, so the session lives and holds.
	 */
	static const uint8_t nop[5] = { 0x16, 0x03, 0x01, 0x40, 0x00 };
	uint8_t id[CLIENTID_LEN], d[FLOOD_DGRAM];

	if (clientid_random(id) < 0) {
		fprintf(stderr, "kcp-ooo-flood: no random ClientID\n");
		exit(EX_PW_INTERNAL);
	}
	memcpy(&f->conv, id, sizeof(f->conv));
	f->next_sn = 2;
	f->last = last;
	f->size = size;
	preamble_encode_kind(id, 1, f->out);
	f->outlen = PREAMBLE_LEN;
	put_dgram(f, d, put_seg(d, f->conv, KCP_CMD_PUSH, 0, nop, sizeof(nop)));
}

/*
 * The output drained: generate the next datagrams of segments behind the
 * hole, then the closing probe. Generated as they go, so many sessions
 * cost this process little.
 */
static void
flood_fill(struct flood *f)
{
	static const uint8_t data[FLOOD_DGRAM];
	size_t segsz = KCP_OVERHEAD + f->size, n = 0;
	uint8_t d[FLOOD_DGRAM];

	f->outlen = f->outoff = 0;
	while (f->next_sn - 1 != f->last && f->outlen + FRAME_PREFIX_MAX + FLOOD_DGRAM <= FLOOD_OUT) {
		n += put_seg(d + n, f->conv, KCP_CMD_PUSH, f->next_sn, data, f->size);
		if (n + segsz > FLOOD_DGRAM || f->next_sn == f->last) {
			put_dgram(f, d, n);
			n = 0;
		}
		f->next_sn++;
	}
	if (n > 0)
		put_dgram(f, d, n);
	if (f->next_sn - 1 == f->last && !f->probed &&
	    f->outlen + FRAME_PREFIX_MAX + FLOOD_DGRAM <= FLOOD_OUT) {
		put_dgram(f, d, put_seg(d, f->conv, KCP_CMD_WASK, 0, NULL, 0));
		f->probed = 1;
	}
}

static void
count_reply(struct flood *f, const uint8_t *p, size_t n)
{
	struct kcp_seghdr h;
	ssize_t r;

	while ((r = kcp_seg_decode(p, n, &h)) > 0) {
		if (h.cmd == KCP_CMD_ACK)
			f->acks++;
		else if (h.cmd == KCP_CMD_WINS && f->probed && f->outoff == f->outlen)
			f->done = 1;
		if (h.cmd == KCP_CMD_WINS)
			f->wins++;
		p += r;
		n -= (size_t)r;
	}
}

/* Readable: take the egress's datagrams. -1 when the connection ended. */
static int
flood_read(struct flood *f)
{
	uint8_t buf[16384];
	ssize_t n = read(f->fd, buf, sizeof(buf));
	size_t off = 0, used, len;
	int tr, r;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	while (off < (size_t)n) {
		r = frame_reader_feed(&f->fr, buf + off, (size_t)n - off, &used, f->pkt, &len, &tr);
		if (r < 0)
			return -1;
		off += used;
		if (r == FRAME_READER_PKT)
			count_reply(f, f->pkt, len);
	}
	return 0;
}

static int
flood_write(struct flood *f)
{
	ssize_t n;

	if (!f->connected) {
		if (net_connect_result(f->fd) != 0)
			return -1;
		f->connected = 1;
	}
	if (f->outoff == f->outlen && !f->probed)
		flood_fill(f);
	if (f->outoff == f->outlen)
		return 0;
	n = write(f->fd, f->out + f->outoff, f->outlen - f->outoff);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	f->outoff += (size_t)n;
	return 0;
}

/* Drive every session until each got its WINS; -1 on failure or timeout. */
static int
flood_run(struct flood *fl, size_t nf, uint64_t secs)
{
	struct pollfd *pf = calloc(nf, sizeof(*pf));
	time_t end = time(NULL) + (time_t)secs;
	size_t i, left = nf;

	if (pf == NULL)
		return -1;
	while (left > 0 && time(NULL) < end) {
		for (i = 0; i < nf; i++) {
			pf[i].fd = fl[i].fd;
			pf[i].events = POLLIN | (fl[i].outoff < fl[i].outlen || !fl[i].probed ? POLLOUT : 0);
		}
		if (poll(pf, nf, 1000) < 0 && errno != EINTR)
			break;
		for (i = 0; i < nf; i++) {
			int was = fl[i].done;

			if ((pf[i].revents & (POLLOUT | POLLERR | POLLHUP)) && flood_write(&fl[i]) < 0)
				goto fail;
			if ((pf[i].revents & (POLLIN | POLLHUP)) && flood_read(&fl[i]) < 0)
				goto fail;
			if (fl[i].done && !was)
				left--;
		}
	}
	free(pf);
	return left == 0 ? 0 : -1;
fail:
	fprintf(stderr, "kcp-ooo-flood: session %zu: connection ended\n", i);
	free(pf);
	return -1;
}

int
main(int argc, char **argv)
{
	uint64_t nsess = 1, last = 65535, size = 0, secs = 60, acks = 0, wins = 0;
	struct endpoint ep;
	struct flood *fl;
	char err[128];
	size_t i;
	int ch;

	while ((ch = getopt(argc, argv, "n:l:s:t:")) != -1) {
		if ((ch == 'n' && num_parse_u64(optarg, 1, FLOOD_SESSIONS_MAX, &nsess) < 0) ||
		    (ch == 'l' && num_parse_u64(optarg, 2, UINT32_MAX, &last) < 0) ||
		    (ch == 's' && num_parse_u64(optarg, 0, FLOOD_DGRAM - KCP_OVERHEAD, &size) < 0) ||
		    (ch == 't' && num_parse_u64(optarg, 1, 3600, &secs) < 0) || ch == '?')
			usage();
	}
	if (optind != argc - 1 || endpoint_parse(argv[optind], &ep, err, sizeof(err)) < 0)
		usage();
	signal(SIGTERM, on_term);
	signal(SIGPIPE, SIG_IGN);
	if ((fl = calloc(nsess, sizeof(*fl))) == NULL)
		return EX_PW_INTERNAL;
	for (i = 0; i < nsess; i++) {
		flood_start(&fl[i], (uint32_t)last, (uint32_t)size);
		frame_reader_init(&fl[i].fr, KCP_MTU_MAX);
		if ((fl[i].fd = net_connect(&ep)) < 0) {
			fprintf(stderr, "kcp-ooo-flood: connect: %s\n", strerror(errno));
			return EX_PW_TEMP;
		}
	}
	if (flood_run(fl, nsess, secs) < 0) {
		fprintf(stderr, "kcp-ooo-flood: the egress did not take the whole flood\n");
		return EX_PW_TEMP;
	}
	for (i = 0; i < nsess; i++) {
		acks += fl[i].acks;
		wins += fl[i].wins;
	}
	printf("ready acked=%llu wins=%llu\n", (unsigned long long)acks, (unsigned long long)wins);
	fflush(stdout);
	/* Hold the sessions until the test is done measuring. */
	for (;;)
		pause();
}
