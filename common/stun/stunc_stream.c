/* SPDX-License-Identifier: MIT */
/*
 * The TCP/TLS half of stunc (see stunc.h): a connect in progress, then
 * an optional TLS handshake, then frames cut from a bounded read buffer
 * with the codec's stream splitter. I/O interest comes from buffer state
 * in stunc_update: read while the read buffer has room, write while the
 * write buffer holds bytes or the connect/handshake wants it. A stream
 * closes once (stunc_stream_close): every transaction fails, then the
 * owner hears why.
 */
#include "stun/stunc.h"
#include "stun/stunc_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/evio.h"
#include "net/net.h"
#include "tls/tls.h"

/* A stream died: every transaction fails, then the owner hears of it once. */
void
stunc_stream_close(struct stunc *c, int err, const char *why)
{
	enum stunc_result res = err == ECONNREFUSED ? STUNC_REFUSED : STUNC_FAILED;

	if (c->dead)
		return;
	c->dead = 1;
	snprintf(c->why, sizeof(c->why), "%s%s%s", why, err ? ": " : "", err ? strerror(err) : "");
	ev_io_stop(c->loop, &c->rd);
	ev_io_stop(c->loop, &c->wr);
	stunc_enter(c);
	while (c->txs != NULL && !c->doomed)
		stunc_tx_finish(c->txs, res, NULL, NULL);
	if (!c->doomed && c->cbs.closed != NULL)
		c->cbs.closed(c->arg, err, why);
	stunc_leave(c);
}

void
stunc_update(struct stunc *c)
{
	int want_rd, want_wr;

	if (c->dead)
		return;
	if (c->connecting) {
		want_rd = 0;
		want_wr = 1;
	} else {
		want_rd = c->rlen < STUNC_RBUF;
		want_wr = buf_len(&c->wbuf) > 0 || c->handshaking == 2;
		if (c->handshaking == 1)
			want_rd = 1;
	}
	evio_want(c->loop, &c->rd, want_rd);
	evio_want(c->loop, &c->wr, want_wr);
}

/* Drive the TLS handshake: 0 done, 1 waiting, -1 failed (closed). */
static int
stream_handshake(struct stunc *c)
{
	int r = tls_handshake(c->tls);

	if (r == TLS_OK) {
		c->handshaking = 0;
		return 0;
	}
	if (r == TLS_WANT_READ || r == TLS_WANT_WRITE) {
		c->handshaking = r == TLS_WANT_READ ? 1 : 2;
		return 1;
	}
	stunc_stream_close(c, 0, tls_error(c->tls));
	return -1;
}

static void
stream_flush(struct stunc *c)
{
	while (buf_len(&c->wbuf) > 0) {
		ssize_t w;

		if (c->tls != NULL) {
			w = tls_write(c->tls, buf_rptr(&c->wbuf), buf_len(&c->wbuf));
			if (w == TLS_WANT_READ || w == TLS_WANT_WRITE)
				return;
			if (w < 0) {
				stunc_stream_close(c, 0, tls_error(c->tls));
				return;
			}
		} else {
			w = write(c->fd, buf_rptr(&c->wbuf), buf_len(&c->wbuf));
			if (w == -1 && (errno == EAGAIN || errno == EINTR))
				return;
			if (w == -1) {
				stunc_stream_close(c, errno, "write");
				return;
			}
		}
		buf_consume(&c->wbuf, (size_t)w);
	}
}

/* Cut whole frames off the front of the read buffer. */
static void
stream_frames(struct stunc *c)
{
	size_t off = 0;

	while (!c->dead && off < c->rlen) {
		int kind;
		ssize_t fl = stun_frame_len(c->rbuf + off, c->rlen - off, 1, &kind);

		if (fl == 0)
			break;
		if (fl < 0 || (size_t)fl > STUNC_RBUF) {
			c->stats.malformed++;
			stunc_stream_close(c, 0, "garbage on the stream");
			return;
		}
		if ((size_t)fl > c->rlen - off)
			break;
		stunc_dispatch(c, c->rbuf + off, (size_t)fl, NULL);
		off += (size_t)fl;
	}
	if (c->dead)
		return;
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
}

static void
stream_read(struct stunc *c)
{
	for (;;) {
		ssize_t r;

		if (c->rlen == STUNC_RBUF)
			break;
		if (c->tls != NULL) {
			r = tls_read(c->tls, c->rbuf + c->rlen, STUNC_RBUF - c->rlen);
			if (r == TLS_WANT_READ || r == TLS_WANT_WRITE)
				break;
			if (r == TLS_EOF) {
				stunc_stream_close(c, 0, "closed by the server");
				return;
			}
			if (r < 0) {
				stunc_stream_close(c, 0, tls_error(c->tls));
				return;
			}
		} else {
			r = read(c->fd, c->rbuf + c->rlen, STUNC_RBUF - c->rlen);
			if (r == -1 && (errno == EAGAIN || errno == EINTR))
				break;
			if (r == -1) {
				stunc_stream_close(c, errno, "read");
				return;
			}
			if (r == 0) {
				stunc_stream_close(c, 0, "closed by the server");
				return;
			}
		}
		c->rlen += (size_t)r;
		stream_frames(c);
		if (c->dead)
			return;
	}
}

static void
stream_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct stunc *c = w->data;

	(void)loop;
	(void)revents;
	stunc_enter(c);
	if (c->connecting) {
		int e = net_connect_result(c->fd);

		if (e != 0) {
			stunc_stream_close(c, e, "connect");
			goto out;
		}
		c->connecting = 0;
		if (c->tls != NULL)
			c->handshaking = 2;
	}
	if (c->handshaking && stream_handshake(c) != 0)
		goto out;
	stream_flush(c);
	if (!c->dead)
		stream_read(c);
	if (!c->dead && !c->doomed)
		stream_flush(c);
out:
	stunc_update(c);
	stunc_leave(c);
}

struct stunc *
stunc_stream_new(struct ev_loop *loop, int fd, enum stunc_kind kind, struct tls_ctx *ctx,
                 const struct tls_conn_opts *tlso, const struct stunc_cbs *cbs, void *arg,
                 char *err, size_t errlen)
{
	struct stunc *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->rbuf = malloc(STUNC_RBUF)) == NULL || buf_init(&c->wbuf, STUNC_WBUF) == -1) {
		if (c != NULL) {
			free(c->rbuf);
			free(c);
		}
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->loop = loop;
	c->kind = kind;
	c->fd = fd;
	c->cbs = *cbs;
	c->arg = arg;
	c->connecting = 1;
	if (kind == STUNC_TLS) {
		if (ctx == NULL || tlso == NULL ||
		    (c->tls = tls_conn_new(ctx, fd, tlso, err, errlen)) == NULL) {
			if (ctx == NULL || tlso == NULL)
				snprintf(err, errlen, "TLS needs a context");
			stunc_destroy(c);
			return NULL;
		}
	}
	ev_io_init(&c->rd, stream_io, fd, EV_READ);
	ev_io_init(&c->wr, stream_io, fd, EV_WRITE);
	c->rd.data = c->wr.data = c;
	stunc_update(c);
	return c;
}

