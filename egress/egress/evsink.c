/* SPDX-License-Identifier: MIT */
/*
 * The event sink (see evsink.h). One state machine for three kinds:
 *
 *   stdout   O_NONBLOCK for our lifetime (restored on close); EPIPE means
 *            the reader is gone for good and later lines are dropped.
 *   file     regular files never return EAGAIN (a FIFO may, and is then
 *            watched like a socket); a write error (disk full) is
 *            retried after a backoff, never in a busy loop.
 *   unix     connect, write, watch for the reader hanging up; on any
 *            failure close and reconnect after a growing backoff.
 *
 * Invariant: the queue holds whole lines only, except that its head may
 * be the unsent tail of a line whose beginning already went out
 * (midline). That tail is still sent to the same fd, or discarded when
 * the fd is replaced, so a reader never sees half a line.
 */
#include "evsink.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "net/endpoint.h"
#include "base/log.h"
#include "net/net.h"

enum evsink_kind { EVSINK_STDOUT, EVSINK_FILE, EVSINK_UNIX };

struct evsink {
	struct ev_loop *loop;
	enum evsink_kind kind;
	int fd;           /* -1 while disconnected */
	int connecting;   /* unix: connect() in progress */
	int dead;         /* stdout reader gone: drop everything */
	int midline;      /* queue head is the tail of a partly sent line */
	int stdout_flags; /* to restore on close */
	ev_io wr, rd;
	ev_timer retry;
	double backoff;
	struct buf q;
	uint64_t dropped, dropped_logged;
	ev_tstamp last_drop_log;
	char path[PATH_MAX];
	struct endpoint ep;
};

static void evsink_flush(struct evsink *s);

static uint64_t
evsink_queued_lines(const struct evsink *s)
{
	const uint8_t *p = buf_rptr(&s->q);
	uint64_t lines = 0;
	size_t i;

	for (i = 0; i < buf_len(&s->q); i++)
		lines += p[i] == '\n';
	return lines;
}

static void
evsink_count_drop(struct evsink *s, uint64_t lines)
{
	ev_tstamp now = ev_now(s->loop);

	s->dropped += lines;
	if (now - s->last_drop_log >= EVSINK_LOG_INTERVAL) {
		log_warnx("events: dropped %llu line%s (reader slow or absent), %llu in total",
		          (unsigned long long)(s->dropped - s->dropped_logged),
		          s->dropped - s->dropped_logged == 1 ? "" : "s",
		          (unsigned long long)s->dropped);
		s->dropped_logged = s->dropped;
		s->last_drop_log = now;
	}
}

/* Drop the unsent tail of a half-written line: the next fd never sees it. */
static void
evsink_discard_partial(struct evsink *s)
{
	const uint8_t *p = buf_rptr(&s->q), *nl;

	if (!s->midline)
		return;
	nl = memchr(p, '\n', buf_len(&s->q));
	buf_consume(&s->q, nl ? (size_t)(nl - p) + 1 : buf_len(&s->q));
	s->midline = 0;
	evsink_count_drop(s, 1);
}

static void
evsink_schedule_retry(struct evsink *s)
{
	ev_timer_stop(s->loop, &s->retry);
	ev_timer_set(&s->retry, s->backoff, 0);
	ev_timer_start(s->loop, &s->retry);
	s->backoff *= 2;
	if (s->backoff > EVSINK_BACKOFF_MAX)
		s->backoff = EVSINK_BACKOFF_MAX;
}

static void
evsink_disconnect(struct evsink *s)
{
	ev_io_stop(s->loop, &s->wr);
	ev_io_stop(s->loop, &s->rd);
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
	s->connecting = 0;
	evsink_discard_partial(s);
}

static void
evsink_connect(struct evsink *s)
{
	int fd = net_connect(&s->ep);

	if (fd == -1) {
		if (s->backoff <= EVSINK_BACKOFF_MIN)
			log_warn("events: connect %s (retrying)", s->path);
		evsink_schedule_retry(s);
		return;
	}
	s->fd = fd;
	s->connecting = 1;
	ev_io_set(&s->wr, fd, EV_WRITE);
	ev_io_set(&s->rd, fd, EV_READ);
	ev_io_start(s->loop, &s->wr);
}

/* A write to the fd failed with err: decide by kind what happens next. */
static void
evsink_write_failed(struct evsink *s, int err)
{
	switch (s->kind) {
	case EVSINK_STDOUT:
		if (err == EPIPE) {
			log_warnx("events: stdout closed; dropping events from now on");
			s->dead = 1;
			evsink_count_drop(s, evsink_queued_lines(s));
			buf_reset(&s->q);
			return;
		}
		/* FALLTHROUGH */
	case EVSINK_FILE:
		errno = err;
		if (s->backoff <= EVSINK_BACKOFF_MIN)
			log_warn("events: write %s (retrying)", s->path);
		evsink_schedule_retry(s);
		return;
	case EVSINK_UNIX:
		errno = err;
		log_warn("events: reader %s went away (reconnecting)", s->path);
		evsink_disconnect(s);
		evsink_schedule_retry(s);
		return;
	}
}

static void
evsink_flush(struct evsink *s)
{
	ssize_t n;

	if (s->fd == -1 || s->connecting || ev_is_active(&s->retry))
		return;
	while (buf_len(&s->q) > 0) {
		n = write(s->fd, buf_rptr(&s->q), buf_len(&s->q));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_io_start(s->loop, &s->wr);
			return;
		}
		if (n <= 0) {
			evsink_write_failed(s, n == 0 ? EIO : errno);
			return;
		}
		s->midline = buf_rptr(&s->q)[n - 1] != '\n';
		buf_consume(&s->q, (size_t)n);
		s->backoff = EVSINK_BACKOFF_MIN;
	}
	ev_io_stop(s->loop, &s->wr);
}

static void
evsink_writable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct evsink *s = w->data;
	int err;

	(void)loop;
	(void)revents;
	if (s->connecting) {
		if ((err = net_connect_result(s->fd)) != 0) {
			errno = err;
			if (s->backoff <= EVSINK_BACKOFF_MIN)
				log_warn("events: connect %s (retrying)", s->path);
			evsink_disconnect(s);
			evsink_schedule_retry(s);
			return;
		}
		s->connecting = 0;
		log_info("events: connected to %s", s->path);
		ev_io_start(s->loop, &s->rd);
	}
	ev_io_stop(s->loop, &s->wr);
	evsink_flush(s);
}

/* The reader is not supposed to talk; readability means EOF or junk. */
static void
evsink_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct evsink *s = w->data;
	char scratch[512];
	ssize_t n;

	(void)loop;
	(void)revents;
	n = read(s->fd, scratch, sizeof(scratch));
	if (n > 0 || (n == -1 && (errno == EAGAIN || errno == EINTR)))
		return;
	if (n == 0)
		log_warnx("events: reader %s went away (reconnecting)", s->path);
	else
		log_warn("events: reader %s (reconnecting)", s->path);
	evsink_disconnect(s);
	evsink_schedule_retry(s);
}

static void
evsink_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct evsink *s = w->data;

	(void)loop;
	(void)revents;
	if (s->kind == EVSINK_UNIX && s->fd == -1)
		evsink_connect(s);
	else
		evsink_flush(s);
}

static int
evsink_open_file(struct evsink *s)
{
	/* O_NONBLOCK: a FIFO without a reader fails (ENXIO) instead of hanging. */
	int fl = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	int fd = open(s->path, fl, 0600);

	if (fd == -1)
		return -1;
	ev_io_stop(s->loop, &s->wr);
	if (s->fd != -1)
		close(s->fd);
	s->fd = fd;
	ev_io_set(&s->wr, fd, EV_WRITE);
	return 0;
}

struct evsink *
evsink_open(struct ev_loop *loop, const char *spec, char *err, size_t errlen)
{
	struct evsink *s = calloc(1, sizeof(*s));

	if (s == NULL || buf_init(&s->q, EVSINK_QUEUE_MAX) == -1) {
		snprintf(err, errlen, "out of memory");
		free(s);
		return NULL;
	}
	s->loop = loop;
	s->fd = -1;
	s->backoff = EVSINK_BACKOFF_MIN;
	s->last_drop_log = -EVSINK_LOG_INTERVAL;
	ev_init(&s->wr, evsink_writable);
	ev_init(&s->rd, evsink_readable);
	ev_init(&s->retry, evsink_retry);
	s->wr.data = s->rd.data = s->retry.data = s;
	snprintf(s->path, sizeof(s->path), "%s", spec);

	if (strcmp(spec, "-") == 0) {
		s->kind = EVSINK_STDOUT;
		s->fd = STDOUT_FILENO;
		s->stdout_flags = fcntl(s->fd, F_GETFL);
		if (s->stdout_flags != -1)
			(void)fcntl(s->fd, F_SETFL, s->stdout_flags | O_NONBLOCK);
		ev_io_set(&s->wr, s->fd, EV_WRITE);
		snprintf(s->path, sizeof(s->path), "stdout");
	} else if (strncmp(spec, "unix:", 5) == 0) {
		s->kind = EVSINK_UNIX;
		if (endpoint_parse(spec, &s->ep, err, errlen) == -1 || s->ep.kind != EP_UNIX ||
		    s->ep.nopts != 0) {
			if (s->ep.nopts != 0)
				snprintf(err, errlen, "no options allowed");
			evsink_close(s, 0);
			return NULL;
		}
		evsink_connect(s);
	} else if (strncmp(spec, "tcp:", 4) == 0 || strncmp(spec, "udp:", 4) == 0 ||
	           strncmp(spec, "ws://", 5) == 0 || strncmp(spec, "wss://", 6) == 0) {
		snprintf(err, errlen, "use -, unix:/path or a file path");
		evsink_close(s, 0);
		return NULL;
	} else {
		s->kind = EVSINK_FILE;
		if (spec[0] == '\0' || strlen(spec) >= sizeof(s->path) ||
		    evsink_open_file(s) == -1) {
			snprintf(err, errlen, "%s", spec[0] ? strerror(errno) : "empty path");
			evsink_close(s, 0);
			return NULL;
		}
	}
	return s;
}

void
evsink_write(struct evsink *s, const char *line, size_t n)
{
	if (s->dead || buf_append(&s->q, line, n) == -1) {
		evsink_count_drop(s, 1);
		return;
	}
	if (!ev_is_active(&s->wr))
		evsink_flush(s);
}

void
evsink_reopen(struct evsink *s)
{
	if (s->kind != EVSINK_FILE)
		return;
	/* A partly written line stays in the old file: finish it there first. */
	if (s->midline)
		evsink_flush(s);
	evsink_discard_partial(s);
	if (evsink_open_file(s) == -1)
		log_warn("events: reopen %s (keeping the old file)", s->path);
	else
		log_info("events: reopened %s", s->path);
	evsink_flush(s);
}

uint64_t
evsink_dropped(const struct evsink *s)
{
	return s->dropped;
}

/* Last chance at shutdown: poll-and-write for at most timeout seconds. */
static void
evsink_drain(struct evsink *s, double timeout)
{
	ev_tstamp end = ev_time() + timeout;
	struct pollfd pfd;
	ssize_t n;

	if (s->fd == -1 || s->connecting || s->dead)
		return;
	pfd.fd = s->fd;
	pfd.events = POLLOUT;
	while (buf_len(&s->q) > 0) {
		double left = end - ev_time();

		if (left <= 0 || poll(&pfd, 1, (int)(left * 1000) + 1) <= 0)
			return;
		n = write(s->fd, buf_rptr(&s->q), buf_len(&s->q));
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return;
		buf_consume(&s->q, (size_t)n);
	}
}

void
evsink_close(struct evsink *s, double timeout)
{
	if (s == NULL)
		return;
	if (timeout > 0)
		evsink_drain(s, timeout);
	s->dropped += evsink_queued_lines(s);
	if (s->dropped > 0)
		log_warnx("events: %llu line%s dropped in total", (unsigned long long)s->dropped,
		          s->dropped == 1 ? "" : "s");
	ev_io_stop(s->loop, &s->wr);
	ev_io_stop(s->loop, &s->rd);
	ev_timer_stop(s->loop, &s->retry);
	if (s->kind == EVSINK_STDOUT) {
		if (s->stdout_flags != -1)
			(void)fcntl(s->fd, F_SETFL, s->stdout_flags);
	} else if (s->fd != -1)
		close(s->fd);
	buf_free(&s->q);
	free(s);
}
