/* SPDX-License-Identifier: MIT */
/*
 * Batched datagrams with sendmmsg (ubatch.h).
 */
#include "ubatch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

struct ubatch {
	int fd;
	struct sockaddr_storage to;
	socklen_t tolen;
	size_t len;
	unsigned count;
	unsigned long long dropped, batches;
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

void
ubatch_flush(struct ubatch *b)
{
	struct mmsghdr mm[UBATCH_SEGS];
	struct iovec iov[UBATCH_SEGS];
	unsigned i, done = 0;
	int k;

	if (b->count == 0)
		return;
	memset(mm, 0, sizeof(mm));
	for (i = 0; i < b->count; i++) {
		iov[i].iov_base = b->buf + b->off[i];
		iov[i].iov_len = b->n[i];
		mm[i].msg_hdr.msg_name = &b->to;
		mm[i].msg_hdr.msg_namelen = b->tolen;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	while (done < b->count) {
		k = sendmmsg(b->fd, mm + done, b->count - done, MSG_DONTWAIT);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			/* EAGAIN, ENOBUFS: the socket is full; what waits is lost, as on a network */
			b->dropped += b->count - done;
			break;
		}
		done += (unsigned)k;
	}
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
