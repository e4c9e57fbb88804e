/* SPDX-License-Identifier: MIT */
/*
 * A carrier's stdin/stdout (see stdio_carrier.h). Both descriptors' flags
 * are read before either is changed: stdin and stdout are often one open
 * file description (a terminal opened once, a socket given as both), so
 * O_NONBLOCK set on one shows on the other, and flags read after the
 * first change would restore the second as non-blocking.
 */
#include "base/stdio_carrier.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "base/evio.h"

static const int carrier_signals[] = { SIGTERM, SIGINT, SIGHUP };
_Static_assert(sizeof(carrier_signals) / sizeof(carrier_signals[0]) ==
                   sizeof(((struct stdio_carrier *)0)->sig) / sizeof(ev_signal),
               "one watcher per carrier signal");

/* The open carrier, for the exit handler; one per process. */
static struct stdio_carrier *live;

static void
restore_flags(struct stdio_carrier *sc)
{
	if (sc->fl_out != -1)
		(void)fcntl(sc->out_fd, F_SETFL, sc->fl_out);
	if (sc->fl_in != -1)
		(void)fcntl(sc->in_fd, F_SETFL, sc->fl_in);
	sc->fl_in = sc->fl_out = -1;
}

/* A process that exits without closing (fatal) still gives the flags back. */
static void
restore_at_exit(void)
{
	if (live != NULL)
		restore_flags(live);
}

static int
set_nonblock(struct stdio_carrier *sc)
{
	int e;

	sc->fl_in = fcntl(sc->in_fd, F_GETFL);
	sc->fl_out = fcntl(sc->out_fd, F_GETFL);
	if (sc->fl_in == -1 || sc->fl_out == -1) {
		sc->fl_in = sc->fl_out = -1;
		return -1;
	}
	if (fcntl(sc->in_fd, F_SETFL, sc->fl_in | O_NONBLOCK) == -1 ||
	    fcntl(sc->out_fd, F_SETFL, sc->fl_out | O_NONBLOCK) == -1) {
		e = errno;
		restore_flags(sc);
		errno = e;
		return -1;
	}
	return 0;
}

static void
on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct stdio_carrier *sc = w->data;

	(void)loop;
	(void)revents;
	if (w == &sc->in)
		sc->cbs->readable(sc->arg);
	else if (w == &sc->out)
		sc->cbs->writable(sc->arg);
	else
		sc->cbs->gone(sc->arg);
}

static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct stdio_carrier *sc = w->data;

	(void)loop;
	(void)revents;
	sc->cbs->signal(sc->arg, w->signum);
}

int
stdio_carrier_open(struct stdio_carrier *sc, struct ev_loop *loop, int in_fd, int out_fd,
                   const struct stdio_carrier_cbs *cbs, void *arg)
{
	static int exit_hooked;
	struct stat st;
	size_t i;

	sc->loop = loop;
	sc->in_fd = in_fd;
	sc->out_fd = out_fd;
	sc->cbs = cbs;
	sc->arg = arg;
	if (set_nonblock(sc) == -1)
		return -1;
	if (!exit_hooked)
		exit_hooked = atexit(restore_at_exit) == 0;
	live = sc;
	signal(SIGPIPE, SIG_IGN);
	sc->out_is_pipe = fstat(out_fd, &st) == 0 && S_ISFIFO(st.st_mode);
	ev_io_init(&sc->in, on_io, in_fd, EV_READ);
	ev_io_init(&sc->out, on_io, out_fd, EV_WRITE);
	ev_io_init(&sc->gone, on_io, out_fd, EV_READ);
	sc->in.data = sc->out.data = sc->gone.data = sc;
	for (i = 0; i < sizeof(sc->sig) / sizeof(sc->sig[0]); i++) {
		ev_signal_init(&sc->sig[i], on_signal, carrier_signals[i]);
		sc->sig[i].data = sc;
		ev_signal_start(loop, &sc->sig[i]);
	}
	sc->open = 1;
	return 0;
}

void
stdio_carrier_want(struct stdio_carrier *sc, int want_read, int want_write)
{
	evio_want(sc->loop, &sc->in, want_read);
	evio_want(sc->loop, &sc->out, want_write);
	evio_want(sc->loop, &sc->gone, sc->out_is_pipe && !want_write);
}

void
stdio_carrier_close(struct stdio_carrier *sc)
{
	size_t i;

	if (!sc->open)
		return;
	sc->open = 0;
	ev_io_stop(sc->loop, &sc->in);
	ev_io_stop(sc->loop, &sc->out);
	ev_io_stop(sc->loop, &sc->gone);
	for (i = 0; i < sizeof(sc->sig) / sizeof(sc->sig[0]); i++)
		ev_signal_stop(sc->loop, &sc->sig[i]);
	restore_flags(sc);
	if (live == sc)
		live = NULL;
}
