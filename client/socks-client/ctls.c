/* SPDX-License-Identifier: MIT */
/*
 * The TLS pump under wss:// carriers (ctls.h). One step function tries
 * everything that can progress and derives the four watchers' interest
 * from what is left; every callback calls it.
 */
#include "ctls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/evio.h"
#include "base/log.h"

struct ctls {
	struct ctls *prev, *next;
	struct ctls **list; /* the owner's list of live pumps */
	struct ev_loop *loop;
	int tcp, plain;
	int connecting, handshaking;
	int tcp_want_rd, tcp_want_wr; /* what the TLS layer last asked for */
	struct tls_conn *tls;
	ev_io trd, twr, prd, pwr;
	struct buf up, down;
	char name[300];
};

static void
ctls_end(struct ctls *c, const char *why)
{
	log_debug("wss %s: %s", c->name, why);
	ev_io_stop(c->loop, &c->trd);
	ev_io_stop(c->loop, &c->twr);
	ev_io_stop(c->loop, &c->prd);
	ev_io_stop(c->loop, &c->pwr);
	if (c->tls != NULL)
		tls_conn_free(c->tls);
	close(c->tcp);
	close(c->plain);
	buf_free(&c->up);
	buf_free(&c->down);
	if (c->prev)
		c->prev->next = c->next;
	else
		*c->list = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

/* The TLS layer's answer: 0 to stop trying this way, -1 after ending. */
static int
ctls_want(struct ctls *c, ssize_t r)
{
	if (r == TLS_WANT_READ)
		c->tcp_want_rd = 1;
	else if (r == TLS_WANT_WRITE)
		c->tcp_want_wr = 1;
	else if (r == TLS_EOF) {
		ctls_end(c, "the server closed");
		return -1;
	} else {
		log_info("wss %s: %s", c->name, tls_error(c->tls));
		ctls_end(c, "TLS failed");
		return -1;
	}
	return 0;
}

static void
ctls_step(struct ctls *c)
{
	ssize_t r;

	c->tcp_want_rd = c->tcp_want_wr = 0;
	if (c->connecting) {
		evio_want(c->loop, &c->twr, 1);
		return;
	}
	if (c->handshaking) {
		r = tls_handshake(c->tls);
		if (r != TLS_OK) {
			if (ctls_want(c, r) == -1)
				return;
			evio_want(c->loop, &c->trd, c->tcp_want_rd);
			evio_want(c->loop, &c->twr, c->tcp_want_wr);
			return;
		}
		c->handshaking = 0;
		log_info("wss %s: %s %s", c->name, tls_version(c->tls), tls_cipher(c->tls));
	}
	/* plain -> TLS */
	for (;;) {
		if (buf_len(&c->up) == 0) {
			size_t room;
			uint8_t *p = buf_wptr(&c->up, &room);

			r = read(c->plain, p, room);
			if (r == 0) {
				ctls_end(c, "the WebSocket ended");
				return;
			}
			if (r < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
					break;
				ctls_end(c, strerror(errno));
				return;
			}
			buf_commit(&c->up, (size_t)r);
		}
		r = tls_write(c->tls, buf_rptr(&c->up), buf_len(&c->up));
		if (r > 0) {
			buf_reset(&c->up);
			continue;
		}
		if (ctls_want(c, r) == -1)
			return;
		break;
	}
	/* TLS -> plain: read while there is room, whatever waits inside TLS included. */
	while (buf_room(&c->down) > 0) {
		size_t room;
		uint8_t *p = buf_wptr(&c->down, &room);

		r = tls_read(c->tls, p, room);
		if (r > 0) {
			buf_commit(&c->down, (size_t)r);
			continue;
		}
		if (r == TLS_EOF && buf_len(&c->down) > 0)
			break; /* deliver first; EOF is seen again */
		if (ctls_want(c, r) == -1)
			return;
		break;
	}
	while (buf_len(&c->down) > 0) {
		r = write(c->plain, buf_rptr(&c->down), buf_len(&c->down));
		if (r > 0) {
			buf_consume(&c->down, (size_t)r);
			continue;
		}
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			break;
		ctls_end(c, "the WebSocket ended");
		return;
	}
	evio_want(c->loop, &c->trd, c->tcp_want_rd || buf_room(&c->down) > 0);
	evio_want(c->loop, &c->twr, c->tcp_want_wr);
	evio_want(c->loop, &c->prd, buf_len(&c->up) == 0);
	evio_want(c->loop, &c->pwr, buf_len(&c->down) > 0);
}

static void
ctls_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctls *c = w->data;

	(void)loop;
	(void)revents;
	if (c->connecting) {
		int e = 0;
		socklen_t el = sizeof(e);

		if (getsockopt(c->tcp, SOL_SOCKET, SO_ERROR, &e, &el) == -1 || e != 0) {
			log_info("wss %s: connect: %s", c->name, strerror(e ? e : errno));
			ctls_end(c, "connect failed");
			return;
		}
		c->connecting = 0;
		ev_io_stop(loop, &c->twr);
	}
	ctls_step(c);
}

int
ctls_start(struct ev_loop *loop, struct ctls **list, int tcpfd, int plainfd, struct tls_ctx *ctx,
           const struct tls_conn_opts *o, const char *name, char *err, size_t errlen)
{
	struct ctls *c = calloc(1, sizeof(*c));

	if (c == NULL || buf_init(&c->up, 16384) == -1 || buf_init(&c->down, CTLS_BUF) == -1) {
		snprintf(err, errlen, "out of memory");
	} else {
		c->tls = tls_conn_new(ctx, tcpfd, o, err, errlen);
	}
	if (c == NULL || c->tls == NULL) {
		if (c != NULL) {
			buf_free(&c->up);
			buf_free(&c->down);
		}
		free(c);
		close(tcpfd);
		close(plainfd);
		return -1;
	}
	c->loop = loop;
	c->tcp = tcpfd;
	c->plain = plainfd;
	c->connecting = 1;
	c->handshaking = 1;
	snprintf(c->name, sizeof(c->name), "%s", name);
	ev_io_init(&c->trd, ctls_cb, tcpfd, EV_READ);
	ev_io_init(&c->twr, ctls_cb, tcpfd, EV_WRITE);
	ev_io_init(&c->prd, ctls_cb, plainfd, EV_READ);
	ev_io_init(&c->pwr, ctls_cb, plainfd, EV_WRITE);
	c->trd.data = c->twr.data = c->prd.data = c->pwr.data = c;
	c->list = list;
	c->next = *list;
	if (*list)
		(*list)->prev = c;
	*list = c;
	ctls_step(c);
	return 0;
}

void
ctls_abort_all(struct ctls **list)
{
	while (*list != NULL)
		ctls_end(*list, "shutting down");
}
