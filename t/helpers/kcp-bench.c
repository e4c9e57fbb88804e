/* SPDX-License-Identifier: MIT */
/*
 * kcp-bench — in-process KCP throughput: two engines joined by a lossless
 * zero-delay link on a simulated clock (driven by kcp_check, as an event
 * loop would), one stream pushed from A to B, and wall-clock MB/s
 * reported. It measures the CPU cost of the engine alone: no syscalls,
 * framing or smux. The link holds whole datagrams in per-direction
 * queues, so no kcp_input runs inside an output callback.
 *
 *   kcp-bench [-n MIB] [-c SENDCAP] [-w WND] [-l PERMILLE]
 *
 * -n total MiB (default 1024); -c the sender's send cap in segments
 * (default 2 * window); -w both windows (default 65535, Snowflake's);
 * -l drop this many datagrams per thousand (default 0), each direction.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/exitcodes.h"
#include "tt/kcp.h"
#include "base/num.h"

struct qpkt {
	size_t len;
	uint8_t data[KCP_MTU_MAX];
};

struct queue {
	struct qpkt *p;
	size_t n, cap;
	unsigned loss;
	uint64_t rng;
};

static void
queue_out(const uint8_t *pkt, size_t len, void *arg)
{
	struct queue *q = arg;

	if (q->loss) {
		q->rng ^= q->rng << 13;
		q->rng ^= q->rng >> 7;
		q->rng ^= q->rng << 17;
		if ((q->rng >> 20) % 1000 < q->loss)
			return;
	}
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 1024;
		if ((q->p = realloc(q->p, q->cap * sizeof(*q->p))) == NULL) {
			fprintf(stderr, "kcp-bench: out of memory\n");
			exit(EX_PW_INTERNAL);
		}
	}
	q->p[q->n].len = len;
	memcpy(q->p[q->n].data, pkt, len);
	q->n++;
}

static void
deliver(struct queue *q, struct kcp *to)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		if (kcp_input(to, q->p[i].data, q->p[i].len) < 0) {
			fprintf(stderr, "kcp-bench: datagram refused\n");
			exit(EX_PW_INTERNAL);
		}
	q->n = 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
usage(void)
{
	fprintf(stderr, "usage: kcp-bench [-n MIB] [-c SENDCAP] [-w WND] [-l PERMILLE]\n");
	exit(EX_PW_USAGE);
}

int
main(int argc, char **argv)
{
	static uint8_t chunk[65536], rbuf[65536];
	struct queue ab = { 0 }, ba = { 0 };
	uint64_t mib = 1024, cap = 0, wnd = 65535, loss = 0, total, sent = 0, rcvd = 0;
	struct kcp *a, *b;
	struct kcp_stats st;
	uint32_t t = 0;
	double t0, el;
	int c;

	while ((c = getopt(argc, argv, "n:c:w:l:")) != -1) {
		if ((c == 'n' && num_parse_u64(optarg, 1, 1 << 20, &mib) < 0) ||
		    (c == 'c' && num_parse_u64(optarg, 1, 1 << 30, &cap) < 0) ||
		    (c == 'w' && num_parse_u64(optarg, 1, KCP_WND_MAX, &wnd) < 0) ||
		    (c == 'l' && num_parse_u64(optarg, 0, 999, &loss) < 0) || c == '?')
			usage();
	}
	if (optind != argc)
		usage();
	total = mib << 20;
	ab.loss = ba.loss = (unsigned)loss;
	ab.rng = 1;
	ba.rng = 2;
	if ((a = kcp_new(42, queue_out, &ab)) == NULL || (b = kcp_new(42, queue_out, &ba)) == NULL)
		return EX_PW_INTERNAL;
	kcp_wndsize(a, (unsigned)wnd, (unsigned)wnd);
	kcp_wndsize(b, (unsigned)wnd, (unsigned)wnd);
	if (cap)
		kcp_setsendcap(a, (unsigned)cap);
	kcp_nodelay(a, -1, -1, 2, -1);
	memset(chunk, 0x5a, sizeof(chunk));

	t0 = now_s();
	while (rcvd < total) {
		uint32_t next;
		ssize_t n;

		while (sent < total) {
			size_t len = total - sent < sizeof(chunk) ? total - sent : sizeof(chunk);

			if ((n = kcp_send(a, chunk, len)) <= 0)
				break;
			sent += (uint64_t)n;
		}
		/* Sleep until either engine has work, as an event loop would. */
		next = kcp_check(a, t);
		if ((int32_t)(kcp_check(b, t) - next) < 0)
			next = kcp_check(b, t);
		t = next;
		kcp_update(a, t);
		deliver(&ab, b);
		while ((n = kcp_recv(b, rbuf, sizeof(rbuf))) > 0)
			rcvd += (uint64_t)n;
		kcp_update(b, t);
		deliver(&ba, a);
	}
	el = now_s() - t0;
	kcp_stats(a, &st);
	printf("kcp-bench: %llu MiB in %.3f s (%u ms simulated): %.0f MB/s, window %llu, "
	    "%llu datagrams, %llu retransmissions\n", (unsigned long long)mib, el, t,
	    (double)total / el / 1e6, (unsigned long long)wnd, (unsigned long long)st.out_pkts,
	    (unsigned long long)(st.rto_retrans + st.fast_retrans));
	kcp_free(a);
	kcp_free(b);
	free(ab.p);
	free(ba.p);
	return 0;
}
