/* SPDX-License-Identifier: MIT */
/*
 * Batched datagrams with sendmmsg and UDP_SEGMENT (ubatch.h).
 */
#include "ubatch.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

struct ubatch {
	int fd;
	int no_gso;           /* the kernel or the route refused UDP_SEGMENT: plain sends */
	struct sockaddr_storage to;
	socklen_t tolen;
	size_t len;
	unsigned count;
	unsigned long long dropped, batches, gso;
	size_t off[UBATCH_SEGS], n[UBATCH_SEGS];
	uint8_t buf[UBATCH_BYTES];
};

struct ubatch *
ubatch_new(int fd)
{
	struct ubatch *b = calloc(1, sizeof(*b));

	if (b != NULL)
		b->fd = fd;
	return b;
}

void
ubatch_free(struct ubatch *b)
{
	free(b);
}

size_t
ubatch_runs(const size_t *n, unsigned count, int gso, unsigned *first, unsigned *segs, size_t *seg)
{
	unsigned i = 0, j, k = 0;

	while (i < count) {
		j = i + 1;
		if (gso && n[i] >= UBATCH_GSO_MIN) /* equal datagrams, the last may be shorter */
			while (j < count && n[j] <= n[i] && n[j - 1] == n[i])
				j++;
		first[k] = i;
		segs[k] = j - i;
		seg[k] = gso && n[i] >= UBATCH_GSO_MIN ? n[i] : 0;
		k++;
		i = j;
	}
	return k;
}

/*
 * The messages mm[0, nm) by sendmmsg: how many went. Those the socket
 * cannot take are dropped, their datagrams counted; *refused when the
 * kernel refused UDP_SEGMENT on the first message not sent.
 */
static unsigned
send_msgs(struct ubatch *b, struct mmsghdr *mm, const unsigned *segs, unsigned nm, int *refused)
{
	unsigned done = 0;
	int k;

	*refused = 0;
	while (done < nm) {
		k = sendmmsg(b->fd, mm + done, nm - done, MSG_DONTWAIT);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			/* EAGAIN, ENOBUFS: the socket is full; what waits is lost, as on a network */
			if (k < 0 && mm[done].msg_hdr.msg_controllen > 0 && errno != EAGAIN &&
			    errno != EWOULDBLOCK && errno != ENOBUFS) {
				*refused = 1;
				return done;
			}
			for (; done < nm; done++)
				b->dropped += segs[done];
			return done;
		}
		done += (unsigned)k;
	}
	return done;
}

/* Datagrams [from, count) as messages: runs of them with UDP_SEGMENT, or one each. */
static void
flush_from(struct ubatch *b, unsigned from, int gso)
{
	struct mmsghdr mm[UBATCH_SEGS];
	struct iovec iov[UBATCH_SEGS];
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} cb[UBATCH_SEGS];
	unsigned first[UBATCH_SEGS], segs[UBATCH_SEGS], i, nm, done;
	size_t seg[UBATCH_SEGS], last;
	int refused;

	nm = (unsigned)ubatch_runs(b->n + from, b->count - from, gso, first, segs, seg);
	memset(mm, 0, nm * sizeof(mm[0]));
	for (i = 0; i < nm; i++) {
		first[i] += from;
		last = first[i] + segs[i] - 1;
		iov[i].iov_base = b->buf + b->off[first[i]];
		iov[i].iov_len = b->off[last] + b->n[last] - b->off[first[i]];
		mm[i].msg_hdr.msg_name = &b->to;
		mm[i].msg_hdr.msg_namelen = b->tolen;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		if (seg[i] > 0) {
			struct cmsghdr *cm;
			uint16_t s16 = (uint16_t)seg[i];

			memset(&cb[i], 0, sizeof(cb[i]));
			mm[i].msg_hdr.msg_control = cb[i].buf;
			mm[i].msg_hdr.msg_controllen = sizeof(cb[i].buf);
			cm = CMSG_FIRSTHDR(&mm[i].msg_hdr);
			cm->cmsg_level = SOL_UDP;
			cm->cmsg_type = UDP_SEGMENT;
			cm->cmsg_len = CMSG_LEN(sizeof(s16));
			memcpy(CMSG_DATA(cm), &s16, sizeof(s16));
		}
	}
	done = send_msgs(b, mm, segs, nm, &refused);
	for (i = 0; i < done; i++)
		if (seg[i] > 0)
			b->gso++;
	if (refused) {
		/* EIO (no checksum offload on the route, IPsec), EINVAL, EMSGSIZE: plain from now on */
		b->no_gso = 1;
		flush_from(b, first[done], 0);
	}
}

void
ubatch_flush(struct ubatch *b)
{
	if (b->count == 0)
		return;
	flush_from(b, 0, !b->no_gso);
	if (b->count > 1)
		b->batches++;
	b->len = b->count = 0;
}

void
ubatch_send(struct ubatch *b, const struct sockaddr *to, socklen_t tolen, const uint8_t *p, size_t n)
{
	if (b->count > 0 && (tolen != b->tolen || memcmp(to, &b->to, tolen) != 0 ||
	                     b->len + n > UBATCH_BYTES || b->count >= UBATCH_SEGS))
		ubatch_flush(b);
	if (n > UBATCH_BYTES || tolen > sizeof(b->to)) {
		if (sendto(b->fd, p, n, MSG_DONTWAIT, to, tolen) < 0)
			b->dropped++;
		return;
	}
	if (b->count == 0) {
		memcpy(&b->to, to, tolen);
		b->tolen = tolen;
	}
	memcpy(b->buf + b->len, p, n);
	b->off[b->count] = b->len;
	b->n[b->count] = n;
	b->len += n;
	b->count++;
}

unsigned long long
ubatch_dropped(const struct ubatch *b)
{
	return b->dropped;
}

unsigned long long
ubatch_batches(const struct ubatch *b)
{
	return b->batches;
}

unsigned long long
ubatch_gso(const struct ubatch *b)
{
	return b->gso;
}
