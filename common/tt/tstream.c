/* SPDX-License-Identifier: MIT */
/*
 * fd <-> tunnel stream relay (see tstream.h). Interest in the fd is
 * derived from buffer state in tstream_update(); the stream side is
 * driven by the tunnel's readable/writable callbacks plus an attempt
 * after every change, since those callbacks only fire on transitions.
 * tstream_finish() is the one way out; every path returns right after.
 */
#include "tt/tstream.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/evio.h"

struct tstream {
	struct ev_loop *loop;
	struct tunnel *t;
	uint32_t sid;
	int fd;
	unsigned flags;
	int have_status;
	ev_io rd, wr;
	ev_timer idle;
	ev_timer kick; /* never started: fed to run once after the current callbacks */
	double idle_timeout;
	ev_tstamp last;
	struct buf up, down; /* up: fd -> stream; down: stream -> fd */
	int fd_eof, up_shut;      /* fd said EOF; FIN sent on the stream */
	int stream_eof, fd_shut;  /* stream said EOF; fd shut for writing */
	int busy, again;          /* re-entrancy: a nested run asks for another round */
	struct tstream_stats st;
	struct tstream_cb cb;
	void *arg;
};

static void tstream_update(struct tstream *ts);
static void tstream_kick_cb(struct ev_loop *loop, ev_timer *w, int revents);

static void
tstream_finish(struct tstream *ts, int aborted)
{
	if ((ts->flags & TSTREAM_STATUS) && !ts->have_status && ts->cb.status) {
		ts->have_status = 1;
		(void)ts->cb.status(ts, -1, ts->arg);
	}
	ev_io_stop(ts->loop, &ts->rd);
	ev_io_stop(ts->loop, &ts->wr);
	ev_timer_stop(ts->loop, &ts->idle);
	ev_clear_pending(ts->loop, &ts->kick);
	close(ts->fd);
	tunnel_close(ts->t, ts->sid); /* also drops the owner's user pointer */
	buf_free(&ts->up);
	buf_free(&ts->down);
	ts->st.aborted |= aborted;
	ts->cb.done(ts, &ts->st, ts->arg);
	free(ts);
}

static int
tstream_fail(struct tstream *ts, int err)
{
	ts->st.err = err;
	tstream_finish(ts, 1);
	return -1;
}

/*
 * Stream -> down buffer -> fd, until the stream has nothing more or the
 * fd will take nothing more. Stopping only because the buffer was full
 * would strand bytes in smux: its readable callback fires on arrivals,
 * not on what is already there. Return -1 after finishing.
 */
static int
tstream_pull(struct tstream *ts)
{
	uint8_t *w;
	size_t room;
	ssize_t n;
	int drained = 0; /* the stream said EAGAIN or EOF */

	for (;;) {
		while (!ts->stream_eof && !drained) {
			w = buf_wptr(&ts->down, &room);
			if (room == 0)
				break;
			n = tunnel_read(ts->t, ts->sid, w, room);
			if (n == 0) {
				ts->stream_eof = 1;
				break;
			}
			if (n < 0) {
				if (errno == EAGAIN) {
					drained = 1;
					break;
				}
				return tstream_fail(ts, 0);
			}
			if ((ts->flags & TSTREAM_STATUS) && !ts->have_status) {
				ts->have_status = 1;
				ts->st.status = w[0];
				if (ts->cb.status && ts->cb.status(ts, w[0], ts->arg) == -1) {
					tstream_finish(ts, 1);
					return -1;
				}
				/* Drop the status byte; the rest is the connection's. */
				buf_commit(&ts->down, (size_t)n);
				buf_consume(&ts->down, 1);
			} else
				buf_commit(&ts->down, (size_t)n);
			ts->last = ev_now(ts->loop);
		}
		if (buf_len(&ts->down) == 0)
			break;
		while (buf_len(&ts->down) > 0) {
			n = send(ts->fd, buf_rptr(&ts->down), buf_len(&ts->down), MSG_NOSIGNAL);
			if (n == -1) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					break;
				return tstream_fail(ts, errno);
			}
			buf_consume(&ts->down, (size_t)n);
			ts->st.down += (uint64_t)n;
		}
		/* The fd is full (wait for writable) or the stream is empty: done for now. */
		if (buf_len(&ts->down) > 0 || drained || ts->stream_eof)
			break;
	}
	if (ts->stream_eof && buf_len(&ts->down) == 0 && !ts->fd_shut) {
		ts->fd_shut = 1;
		/*
		 * The fd said EOF and nothing waits to go up: the stream ends in
		 * this run, and close() sends the same FIN (all was read, so it
		 * cannot reset). One call fewer per connection at the egress,
		 * where the far end usually closes first.
		 */
		if (!ts->fd_eof || buf_len(&ts->up) > 0)
			(void)shutdown(ts->fd, SHUT_WR);
	}
	return 0;
}

/* up buffer -> stream. Return -1 after finishing. */
static int
tstream_push(struct tstream *ts)
{
	ssize_t n;

	while (buf_len(&ts->up) > 0) {
		n = tunnel_write(ts->t, ts->sid, buf_rptr(&ts->up), buf_len(&ts->up));
		if (n < 0)
			return tstream_fail(ts, 0);
		if (n == 0)
			break;
		buf_consume(&ts->up, (size_t)n);
		ts->st.up += (uint64_t)n;
	}
	if (ts->fd_eof && buf_len(&ts->up) == 0 && !ts->up_shut) {
		int lazy = (ts->flags & TSTREAM_LAZY_FIN) && ts->stream_eof;

		ts->up_shut = 1;
		if ((lazy ? tunnel_shutdown_lazy(ts->t, ts->sid) : tunnel_shutdown(ts->t, ts->sid)) == -1)
			return tstream_fail(ts, 0);
	}
	return 0;
}

static int
tstream_done(const struct tstream *ts)
{
	return ts->up_shut && ts->fd_shut;
}

/* Run both directions until nothing moves; finish when both are closed. */
static void
tstream_run(struct tstream *ts)
{
	if (ts->busy) {
		ts->again = 1;
		return;
	}
	ts->busy = 1;
	do {
		ts->again = 0;
		if (tstream_pull(ts) == -1 || tstream_push(ts) == -1)
			return;
	} while (ts->again);
	ts->busy = 0;
	if (tstream_done(ts)) {
		tstream_finish(ts, 0);
		return;
	}
	if (tunnel_dead(ts->t)) {
		tstream_finish(ts, 1);
		return;
	}
	tstream_update(ts);
}

static void
tstream_update(struct tstream *ts)
{
	int want_rd = !ts->fd_eof && buf_room(&ts->up) > 0 &&
	              (!(ts->flags & TSTREAM_STATUS) || ts->have_status ||
	               (ts->flags & TSTREAM_OPTIMISTIC));
	int want_wr = buf_len(&ts->down) > 0;

	evio_want(ts->loop, &ts->rd, want_rd);
	evio_want(ts->loop, &ts->wr, want_wr);
}

static void
tstream_rd_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tstream *ts = w->data;
	uint8_t *p;
	size_t room;
	ssize_t n;

	(void)loop;
	(void)revents;
	p = buf_wptr(&ts->up, &room);
	if (room > 0) {
		n = read(ts->fd, p, room);
		if (n == 0)
			ts->fd_eof = 1;
		else if (n > 0) {
			buf_commit(&ts->up, (size_t)n);
			ts->last = ev_now(ts->loop);
		} else if (errno != EAGAIN && errno != EINTR) {
			tstream_fail(ts, errno);
			return;
		}
	}
	tstream_run(ts);
}

static void
tstream_wr_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	tstream_run(w->data);
}

static void
tstream_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tstream *ts = w->data;
	ev_tstamp after = ts->last + ts->idle_timeout - ev_now(loop);

	(void)revents;
	if (after <= 0) {
		tstream_finish(ts, 1);
		return;
	}
	ev_timer_set(w, after, 0);
	ev_timer_start(loop, w);
}

struct tstream *
tstream_new(struct ev_loop *loop, struct tunnel *t, uint32_t sid, int fd, unsigned flags,
            double idle_timeout, const struct tstream_cb *cb, void *arg)
{
	struct tstream *ts = calloc(1, sizeof(*ts));

	if (ts == NULL)
		return NULL;
	if (buf_init(&ts->up, TSTREAM_BUF) == -1 || buf_init(&ts->down, TSTREAM_BUF) == -1) {
		buf_free(&ts->up);
		buf_free(&ts->down);
		free(ts);
		return NULL;
	}
	ts->loop = loop;
	ts->t = t;
	ts->sid = sid;
	ts->fd = fd;
	ts->flags = flags;
	ts->cb = *cb;
	ts->arg = arg;
	ts->st.status = -1;
	ts->idle_timeout = idle_timeout;
	ts->last = ev_now(loop);
	ev_io_init(&ts->rd, tstream_rd_cb, fd, EV_READ);
	ev_io_init(&ts->wr, tstream_wr_cb, fd, EV_WRITE);
	ts->rd.data = ts->wr.data = ts;
	ev_timer_init(&ts->idle, tstream_idle_cb, idle_timeout, 0);
	ts->idle.data = ts;
	ev_timer_init(&ts->kick, tstream_kick_cb, 0, 0);
	ts->kick.data = ts;
	if (idle_timeout > 0)
		ev_timer_start(loop, &ts->idle);
	tstream_update(ts);
	return ts;
}

int
tstream_preload_up(struct tstream *ts, const void *p, size_t n)
{
	return buf_append(&ts->up, p, n);
}

int
tstream_preload_down(struct tstream *ts, const void *p, size_t n)
{
	return buf_append(&ts->down, p, n);
}

void
tstream_start(struct tstream *ts)
{
	tstream_run(ts);
}

static void
tstream_kick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	tstream_run(w->data);
}

/*
 * The tunnel calls these once per smux frame, from inside its input
 * path. Running at once would move one frame per syscall; instead run
 * once, after the whole batch, when the loop invokes the fed event.
 */
static void
tstream_defer(struct tstream *ts)
{
	if (!ev_is_pending(&ts->kick))
		ev_feed_event(ts->loop, &ts->kick, EV_CUSTOM);
}

void
tstream_readable(struct tstream *ts)
{
	tstream_defer(ts);
}

void
tstream_writable(struct tstream *ts)
{
	tstream_defer(ts);
}

void
tstream_abort(struct tstream *ts)
{
	tstream_finish(ts, 1);
}

int
tstream_release(struct tstream *ts)
{
	int fd = ts->fd;

	ev_io_stop(ts->loop, &ts->rd);
	ev_io_stop(ts->loop, &ts->wr);
	ev_timer_stop(ts->loop, &ts->idle);
	ev_clear_pending(ts->loop, &ts->kick);
	buf_free(&ts->up);
	buf_free(&ts->down);
	free(ts);
	return fd;
}
