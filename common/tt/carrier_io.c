/* SPDX-License-Identifier: MIT */
/*
 * Carrier stream reader and writer (see carrier_io.h). The codec holds
 * no fd; carrier_io drives it from libev. Every owner callback that may
 * end the carrier is the last thing carrier_io does with the struct when
 * it reports so: the owner may have freed it.
 */
#include "tt/carrier_io.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/evio.h"

/* --- the codec ----------------------------------------------------------- */

int
carrier_codec_init(struct carrier_codec *k, size_t outcap)
{
	memset(k, 0, sizeof(*k));
	return buf_init(&k->out, outcap);
}

void
carrier_codec_free(struct carrier_codec *k)
{
	buf_free(&k->out);
}

void
carrier_codec_reset(struct carrier_codec *k, enum carrier_role role, const uint8_t id[CLIENTID_LEN])
{
	uint8_t pre[PREAMBLE_LEN];

	k->role = role;
	k->prelen = 0;
	k->err = 0;
	frame_reader_init(&k->fr, PKTQ_PKT_MAX);
	buf_reset(&k->out);
	if (role == CARRIER_CLIENT) {
		preamble_encode_kind(id, k->secure, pre);
		/* The output is empty and far larger than a preamble. */
		(void)buf_append(&k->out, pre, sizeof(pre));
	}
}

/* Server role: gather the preamble. CARRIER_MORE until it is whole. */
static int
carrier_codec_preamble(struct carrier_codec *k, const uint8_t *p, size_t n, size_t *used)
{
	size_t take = PREAMBLE_LEN - k->prelen < n ? PREAMBLE_LEN - k->prelen : n;

	memcpy(k->pre + k->prelen, p, take);
	k->prelen += take;
	*used = take;
	if (k->prelen < PREAMBLE_LEN)
		return CARRIER_MORE;
	/* The listener has checked the token's first bytes; the rest is checked here. */
	if (preamble_decode_kind(k->pre, k->prelen, k->id, &k->secure) != PREAMBLE_LEN)
		return k->err = CARRIER_EPREAMBLE;
	return CARRIER_PREAMBLE;
}

int
carrier_codec_read(struct carrier_codec *k, const uint8_t *p, size_t n, size_t *used,
                   const uint8_t **pkt, size_t *len)
{
	int r, truncated;

	*used = 0;
	if (k->err != 0)
		return k->err;
	if (k->role == CARRIER_SERVER && k->prelen < PREAMBLE_LEN)
		return carrier_codec_preamble(k, p, n, used);
	/* A datagram longer than PKTQ_PKT_MAX is cut, as Snowflake's reader does. */
	r = frame_reader_feed(&k->fr, p, n, used, k->pkt, len, &truncated);
	if (r == -1)
		return k->err = CARRIER_EFRAME;
	if (r != FRAME_READER_PKT)
		return CARRIER_MORE;
	*pkt = k->pkt;
	return CARRIER_PKT;
}

const uint8_t *
carrier_codec_id(const struct carrier_codec *k)
{
	return k->id;
}

size_t
carrier_codec_fill(struct carrier_codec *k, struct pktq *q)
{
	size_t before = pktq_len(q);

	pktq_drain_framed(q, &k->out);
	return before - pktq_len(q);
}

/* --- the fd ---------------------------------------------------------------- */

static void carrier_io_rd_cb(struct ev_loop *loop, ev_io *w, int revents);
static void carrier_io_wr_cb(struct ev_loop *loop, ev_io *w, int revents);
static void carrier_io_flush_cb(struct ev_loop *loop, ev_prepare *w, int revents);
static void carrier_io_idle_cb(struct ev_loop *loop, ev_idle *w, int revents);

int
carrier_io_init(struct carrier_io *io, struct ev_loop *loop, size_t outcap,
                const struct carrier_io_cb *cb, void *arg)
{
	io->loop = loop;
	io->cb = cb;
	io->arg = arg;
	io->fd = -1;
	io->connecting = 0;
	ev_init(&io->rd, carrier_io_rd_cb);
	ev_init(&io->wr, carrier_io_wr_cb);
	ev_prepare_init(&io->flush, carrier_io_flush_cb);
	ev_idle_init(&io->idle, carrier_io_idle_cb);
	io->rd.data = io->wr.data = io->flush.data = io->idle.data = io;
	io->blocked = 0;
	return carrier_codec_init(&io->k, outcap);
}

void
carrier_io_free(struct carrier_io *io)
{
	carrier_io_close(io);
	carrier_codec_free(&io->k);
}

void
carrier_io_open(struct carrier_io *io, int fd, enum carrier_role role,
                const uint8_t id[CLIENTID_LEN], int connecting)
{
	carrier_io_close(io);
	carrier_codec_reset(&io->k, role, id);
	io->fd = fd;
	io->connecting = connecting;
	io->blocked = 0;
	ev_io_set(&io->rd, fd, EV_READ);
	ev_io_set(&io->wr, fd, EV_WRITE);
}

void
carrier_io_close(struct carrier_io *io)
{
	if (io->fd == -1)
		return;
	ev_io_stop(io->loop, &io->rd);
	ev_io_stop(io->loop, &io->wr);
	ev_prepare_stop(io->loop, &io->flush);
	ev_idle_stop(io->loop, &io->idle);
	close(io->fd);
	io->fd = -1;
	buf_reset(&io->k.out);
}

void
carrier_io_update(struct carrier_io *io)
{
	struct pktq *q;
	int want_wr;

	if (io->fd == -1)
		return;
	q = io->cb->queue(io->arg);
	want_wr = io->connecting || buf_len(&io->k.out) > 0 || (q != NULL && pktq_len(q) > 0);
	evio_want(io->loop, &io->rd, !io->connecting);
	/* The fd is armed only while the kernel said no; otherwise send before blocking. */
	evio_want(io->loop, &io->wr, want_wr && (io->connecting || io->blocked));
	if (want_wr && !io->connecting && !io->blocked) {
		if (!ev_is_active(&io->flush)) {
			io->grace = 1;
			ev_prepare_start(io->loop, &io->flush);
			ev_idle_start(io->loop, &io->idle);
		}
	} else if (ev_is_active(&io->flush)) {
		ev_prepare_stop(io->loop, &io->flush);
		ev_idle_stop(io->loop, &io->idle);
	}
}

/* The owner's queue -> encapsulated -> output -> fd. 0, or -1 after a failure. */
static int
carrier_io_write(struct carrier_io *io)
{
	struct pktq *q;
	ssize_t w;

	for (;;) {
		q = io->cb->queue(io->arg);
		if (q != NULL && carrier_codec_fill(&io->k, q) > 0 && io->cb->room != NULL)
			io->cb->room(io->arg);
		if (buf_len(&io->k.out) == 0)
			return 0;
		w = send(io->fd, buf_rptr(&io->k.out), buf_len(&io->k.out), MSG_NOSIGNAL);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				io->blocked = 1;
				return 0;
			}
			io->cb->failed(io->arg, strerror(errno));
			return -1;
		}
		buf_consume(&io->k.out, (size_t)w);
	}
}

static void
carrier_io_send(struct carrier_io *io)
{
	if (carrier_io_write(io) == 0)
		carrier_io_update(io);
}

/*
 * Before the loop blocks. The first time, let it look once more without
 * blocking (the idle watcher makes that poll not wait), so that what is
 * ready by then (a connect that completed, the next request) adds to the
 * same send; the second time, send.
 */
static void
carrier_io_flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct carrier_io *io = w->data;

	(void)loop;
	(void)revents;
	if (io->grace) {
		io->grace = 0;
		return;
	}
	carrier_io_send(io);
}

/* That look found nothing to do: send now. */
static void
carrier_io_idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)loop;
	(void)revents;
	carrier_io_send(w->data);
}

static void
carrier_io_wr_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct carrier_io *io = w->data;

	(void)loop;
	(void)revents;
	if (io->connecting) {
		if (io->cb->connected(io->arg) == -1)
			return;
		io->connecting = 0;
	}
	io->blocked = 0;
	if (carrier_io_write(io) == 0)
		carrier_io_update(io);
}

/* Hand every complete datagram in p to the owner. 0, or -1 after ending. */
static int
carrier_io_feed(struct carrier_io *io, const uint8_t *p, size_t n, int *any)
{
	const uint8_t *pkt;
	size_t used, len;
	int r;

	while (n > 0) {
		r = carrier_codec_read(&io->k, p, n, &used, &pkt, &len);
		p += used;
		n -= used;
		if (r < 0) {
			io->cb->failed(io->arg, r == CARRIER_EPREAMBLE ? "bad preamble" : "bad encapsulation");
			return -1;
		}
		if (r == CARRIER_PREAMBLE && io->cb->preamble(io->arg, carrier_codec_id(&io->k)) == -1)
			return -1;
		if (r == CARRIER_PKT) {
			*any = 1;
			if (io->cb->packet(io->arg, pkt, len) == -1)
				return -1;
		}
	}
	return 0;
}

int
carrier_io_input(struct carrier_io *io, const uint8_t *p, size_t n)
{
	int any = 0;

	if (n > 0 && (carrier_io_feed(io, p, n, &any) == -1 ||
	              io->cb->read_done(io->arg, any) == -1))
		return -1;
	carrier_io_update(io);
	return 0;
}

static void
carrier_io_rd_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	/* One per process: a read is fed whole before the callback returns. */
	static uint8_t rbuf[CARRIER_IO_BUF];
	struct carrier_io *io = w->data;
	ssize_t n;

	(void)loop;
	(void)revents;
	n = read(io->fd, rbuf, sizeof(rbuf));
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		io->cb->failed(io->arg, n == 0 ? "closed" : strerror(errno));
		return;
	}
	if (n > 0)
		(void)carrier_io_input(io, rbuf, (size_t)n);
}
