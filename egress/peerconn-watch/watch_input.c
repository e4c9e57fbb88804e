/* SPDX-License-Identifier: MIT */
/*
 * Input readers (see watch_input.h). A reader is one struct embedding
 * its ev_io; reader_close() is its only way out: it stops the watcher,
 * closes the fd (never standard input), unlinks and frees. A line that
 * a connection leaves unterminated at EOF is handed to the parser as it
 * is, so a line the egress cut short is counted as garbage.
 */
#include "watch_input.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/exitcodes.h"
#include "base/log.h"
#include "net/net.h"
#include "watch_lines.h"

struct reader {
	ev_io rd;
	int fd;
	int is_stdin;
	int regular; /* a regular file: read() never blocks, loop a while */
	struct watch_input *in;
	struct reader *prev, *next;
	struct watch_lines lines;
};

struct watch_input {
	struct ev_loop *loop;
	struct watch *w;
	void (*done)(void *);
	void *arg;
	struct listener l;
	int listening;
	struct reader *readers;
	size_t nreaders;
	char chunk[WATCH_CHUNK];
};

static void
flush_out(struct watch_input *in)
{
	if (fflush(in->w->out) == EOF)
		fatal(EX_PW_TEMP, "write findings");
}

static void
reader_close(struct reader *r)
{
	struct watch_input *in = r->in;
	int was_stdin = r->is_stdin;

	ev_io_stop(in->loop, &r->rd);
	if (!r->is_stdin)
		close(r->fd);
	if (r->prev)
		r->prev->next = r->next;
	else
		in->readers = r->next;
	if (r->next)
		r->next->prev = r->prev;
	in->nreaders--;
	free(r);
	if (was_stdin)
		in->done(in->arg);
}

static void
reader_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct reader *r = (struct reader *)w;
	struct watch_input *in = r->in;
	int turns = r->regular ? WATCH_CHUNKS_PER_TURN : 1;
	ssize_t n;

	(void)loop;
	(void)revents;
	while (turns-- > 0) {
		n = read(r->fd, in->chunk, sizeof(in->chunk));
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			if (n == -1)
				log_warn("read events");
			else
				log_debug("events reader on fd %d: end of input", r->fd);
			watch_lines_finish(&r->lines, watch_line, in->w);
			flush_out(in);
			reader_close(r);
			return;
		}
		watch_lines_feed(&r->lines, in->chunk, (size_t)n, watch_line, in->w);
	}
	flush_out(in);
}

static struct reader *
reader_new(struct watch_input *in, int fd, int is_stdin)
{
	struct reader *r = malloc(sizeof(*r));
	struct stat st;

	if (r == NULL)
		return NULL;
	r->fd = fd;
	r->is_stdin = is_stdin;
	r->regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	r->in = in;
	watch_lines_init(&r->lines);
	r->prev = NULL;
	r->next = in->readers;
	if (in->readers)
		in->readers->prev = r;
	in->readers = r;
	in->nreaders++;
	ev_io_init(&r->rd, reader_cb, fd, EV_READ);
	ev_io_start(in->loop, &r->rd);
	return r;
}

static void
on_accept(struct listener *l, int fd, const struct sockaddr_storage *peer, socklen_t len)
{
	struct watch_input *in = l->arg;

	(void)peer;
	(void)len;
	if (in->nreaders >= WATCH_READERS_MAX) {
		log_warnx("%d event writers connected already: closing a new one", WATCH_READERS_MAX);
		close(fd);
		return;
	}
	if (reader_new(in, fd, 0) == NULL) {
		log_warnx("out of memory: closing an event writer");
		close(fd);
		return;
	}
	log_info("event writer connected (fd %d)", fd);
}

struct watch_input *
watch_input_new(struct ev_loop *loop, struct watch *w, void (*done)(void *), void *arg)
{
	struct watch_input *in = calloc(1, sizeof(*in));

	if (in == NULL)
		return NULL;
	in->loop = loop;
	in->w = w;
	in->done = done;
	in->arg = arg;
	in->l.fd = -1;
	return in;
}

int
watch_input_fd(struct watch_input *in, int fd)
{
	return reader_new(in, fd, 1) == NULL ? -1 : 0;
}

void
watch_input_listen(struct watch_input *in, int fd)
{
	listener_start(in->loop, &in->l, fd, on_accept, in);
	in->listening = 1;
}

void
watch_input_free(struct watch_input *in)
{
	struct reader *r;

	if (in == NULL)
		return;
	if (in->listening)
		listener_stop(&in->l);
	while ((r = in->readers) != NULL) {
		ev_io_stop(in->loop, &r->rd);
		if (!r->is_stdin)
			close(r->fd);
		in->readers = r->next;
		free(r);
	}
	free(in);
}
