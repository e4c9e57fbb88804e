/* SPDX-License-Identifier: MIT */
/*
 * Bidirectional relay. dir[0] carries a→b, dir[1] carries b→a; each has
 * one bounded buffer. I/O interest is derived from buffer state in one
 * place, relay_update(): read a source while its buffer is not paused
 * and it has not hit EOF; write a sink while its buffer holds data. A
 * buffer pauses when full and resumes at half, so a slow sink costs
 * bufsize bytes, not more. After each read we try the write at once:
 * on loopback the sink is usually writable and this saves a loop turn.
 *
 * Invariant: relay_finish() is the only path that closes fds and frees;
 * every callback returns immediately after calling it.
 */
#include "net/relay.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/evio.h"

struct relay_dir {
	struct buf buf;
	int eof;    /* source reached EOF */
	int shut;   /* sink was shut down for writing */
	int paused; /* buffer full: stop reading until half drained */
	uint64_t bytes;
};

struct relay {
	struct ev_loop *loop;
	int fd[2];
	ev_io rd[2]; /* rd[i] reads fd[i] into dir[i] */
	ev_io wr[2]; /* wr[i] writes dir[1-i] to fd[i] */
	ev_timer idle;
	double idle_timeout;
	ev_tstamp last_activity;
	struct relay_dir dir[2];
	relay_done_cb done;
	void *arg;
};

static void relay_update(struct relay *r);

static void
relay_finish(struct relay *r, enum relay_end end, int err)
{
	struct relay_stats st;
	int i;

	for (i = 0; i < 2; i++) {
		ev_io_stop(r->loop, &r->rd[i]);
		ev_io_stop(r->loop, &r->wr[i]);
		close(r->fd[i]);
		buf_free(&r->dir[i].buf);
	}
	ev_timer_stop(r->loop, &r->idle);
	st.a_to_b = r->dir[0].bytes;
	st.b_to_a = r->dir[1].bytes;
	st.end = end;
	st.err = err;
	r->done(r, &st, r->arg);
	free(r);
}

/* Flush dir[d] into its sink fd[1-d]. Return -1 after relay_finish(). */
static int
relay_flush(struct relay *r, int d)
{
	struct relay_dir *dir = &r->dir[d];
	int sink = r->fd[1 - d];
	ssize_t n;

	while (buf_len(&dir->buf) > 0) {
		n = send(sink, buf_rptr(&dir->buf), buf_len(&dir->buf), MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			relay_finish(r, RELAY_END_ERROR, errno);
			return -1;
		}
		buf_consume(&dir->buf, (size_t)n);
		dir->bytes += (uint64_t)n;
		r->last_activity = ev_now(r->loop);
	}
	if (dir->paused && buf_len(&dir->buf) <= dir->buf.cap / 2)
		dir->paused = 0;
	if (dir->eof && buf_len(&dir->buf) == 0 && !dir->shut) {
		dir->shut = 1;
		/* The peer may already be gone; the other direction reports that. */
		(void)shutdown(sink, SHUT_WR);
	}
	if (r->dir[0].shut && r->dir[1].shut) {
		relay_finish(r, RELAY_END_DONE, 0);
		return -1;
	}
	return 0;
}

/* Read fd[d] into dir[d]. Return -1 after relay_finish(). */
static int
relay_fill(struct relay *r, int d)
{
	struct relay_dir *dir = &r->dir[d];
	uint8_t *w;
	size_t room;
	ssize_t n;

	w = buf_wptr(&dir->buf, &room);
	if (room == 0) {
		dir->paused = 1;
		return 0;
	}
	n = read(r->fd[d], w, room);
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		relay_finish(r, RELAY_END_ERROR, errno);
		return -1;
	}
	if (n == 0)
		dir->eof = 1;
	else {
		buf_commit(&dir->buf, (size_t)n);
		r->last_activity = ev_now(r->loop);
		if (buf_room(&dir->buf) == 0)
			dir->paused = 1;
	}
	return relay_flush(r, d);
}

static void
relay_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct relay *r = w->data;
	int d = w == &r->rd[0] ? 0 : 1;

	(void)loop;
	(void)revents;
	if (relay_fill(r, d) == -1)
		return;
	relay_update(r);
}

static void
relay_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct relay *r = w->data;
	/* wr[i] drains dir[1-i]. */
	int d = w == &r->wr[0] ? 1 : 0;

	(void)loop;
	(void)revents;
	if (relay_flush(r, d) == -1)
		return;
	relay_update(r);
}

static void
relay_update(struct relay *r)
{
	int d;

	for (d = 0; d < 2; d++) {
		struct relay_dir *dir = &r->dir[d];

		evio_want(r->loop, &r->rd[d], !dir->eof && !dir->paused);
		evio_want(r->loop, &r->wr[1 - d], buf_len(&dir->buf) > 0);
	}
}

/* libev's "last activity" idiom: no timer re-arm per read. */
static void
relay_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct relay *r = w->data;
	ev_tstamp after = r->last_activity + r->idle_timeout - ev_now(loop);

	(void)revents;
	if (after <= 0) {
		relay_finish(r, RELAY_END_IDLE, 0);
		return;
	}
	ev_timer_set(w, after, 0);
	ev_timer_start(loop, w);
}

struct relay *
relay_new(struct ev_loop *loop, int fd_a, int fd_b, const struct relay_opts *opts,
          relay_done_cb done, void *arg)
{
	struct relay *r;
	size_t bufsize = RELAY_BUF_DEFAULT;
	int i;

	if (opts && opts->bufsize)
		bufsize = opts->bufsize > RELAY_BUF_MAX ? RELAY_BUF_MAX : opts->bufsize;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	if (buf_init(&r->dir[0].buf, bufsize) == -1 || buf_init(&r->dir[1].buf, bufsize) == -1) {
		buf_free(&r->dir[0].buf);
		free(r);
		return NULL;
	}
	r->loop = loop;
	r->fd[0] = fd_a;
	r->fd[1] = fd_b;
	r->done = done;
	r->arg = arg;
	for (i = 0; i < 2; i++) {
		ev_io_init(&r->rd[i], relay_read_cb, r->fd[i], EV_READ);
		ev_io_init(&r->wr[i], relay_write_cb, r->fd[i], EV_WRITE);
		r->rd[i].data = r->wr[i].data = r;
	}
	r->last_activity = ev_now(loop);
	r->idle_timeout = opts ? opts->idle_timeout : 0;
	ev_timer_init(&r->idle, relay_idle_cb, r->idle_timeout, 0);
	r->idle.data = r;
	if (r->idle_timeout > 0)
		ev_timer_start(loop, &r->idle);
	relay_update(r);
	return r;
}

static int
relay_preload(struct relay *r, int d, const void *p, size_t n)
{
	if (buf_append(&r->dir[d].buf, p, n) == -1)
		return -1;
	relay_update(r);
	return 0;
}

int
relay_preload_a_to_b(struct relay *r, const void *p, size_t n)
{
	return relay_preload(r, 0, p, n);
}

int
relay_preload_b_to_a(struct relay *r, const void *p, size_t n)
{
	return relay_preload(r, 1, p, n);
}

void
relay_abort(struct relay *r)
{
	relay_finish(r, RELAY_END_ABORT, 0);
}
