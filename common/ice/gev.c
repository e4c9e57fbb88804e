/* SPDX-License-Identifier: MIT */
/*
 * gev: GLib's main context run by libev (gev.h). The pattern is the one
 * libev's manual gives for embedding a foreign loop: prepare/query in an
 * ev_prepare watcher, check/dispatch in an ev_check watcher; the ev_io
 * and ev_timer watchers only wake libev, their pending state is read
 * back in the check.
 *
 * The fd watchers stay started from one turn to the next while GLib asks
 * for the same descriptors and events: restarting one (ev_io_init) makes
 * libev tell the kernel again, one epoll_ctl per descriptor per turn of
 * the loop (six for libnice's agent, the commonest syscall of peer-proxy
 * in a download). A descriptor GLib closed and opened again under the
 * same number between two turns would keep a stale registration, so every
 * GEV_REFRESH seconds each watcher is set afresh anyway.
 */
#include "ice/gev.h"

#include <ev.h>
#include <stdlib.h>

#define GEV_FDS_MAX 64 /* descriptors one context may ask for (libnice: a few per stream) */
#define GEV_REFRESH 0.25 /* seconds between settings of every fd watcher afresh */

struct gev {
	struct ev_loop *loop;
	GMainContext *ctx;
	ev_prepare prep;
	ev_check chk;
	ev_timer tw;
	gint prio;
	int nfd;  /* descriptors GLib asked for this turn */
	int nact; /* watchers that may be started (the last turn's nfd) */
	ev_tstamp refreshed;
	GPollFD pfd[GEV_FDS_MAX];
	ev_io iow[GEV_FDS_MAX];
};

#define gev_of(w, field) ((struct gev *)(void *)((char *)(w) - offsetof(struct gev, field)))

static void
gev_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
}

static void
gev_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
}

static void
gev_prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct gev *g = gev_of(w, prep);
	gint timeout = -1, n, i;
	int ev, fresh = 0;

	(void)revents;
	g_main_context_prepare(g->ctx, &g->prio);
	n = g_main_context_query(g->ctx, g->prio, &timeout, g->pfd, GEV_FDS_MAX);
	if (n > GEV_FDS_MAX)
		n = GEV_FDS_MAX; /* never reached with one agent; the rest would wait for the timer */
	g->nfd = n;
	if (ev_now(loop) - g->refreshed >= GEV_REFRESH) {
		fresh = 1;
		g->refreshed = ev_now(loop);
	}
	for (i = 0; i < n; i++) {
		ev = (g->pfd[i].events & G_IO_IN ? EV_READ : 0) | (g->pfd[i].events & G_IO_OUT ? EV_WRITE : 0);
		g->pfd[i].revents = 0;
		if (!fresh && ev_is_active(&g->iow[i]) && g->iow[i].fd == g->pfd[i].fd &&
		    (g->iow[i].events & (EV_READ | EV_WRITE)) == ev)
			continue; /* as last turn: no word to the kernel */
		ev_io_stop(loop, &g->iow[i]);
		ev_io_init(&g->iow[i], gev_io_cb, g->pfd[i].fd, ev);
		ev_io_start(loop, &g->iow[i]);
	}
	for (; i < g->nact; i++)
		ev_io_stop(loop, &g->iow[i]);
	g->nact = n;
	if (timeout >= 0) {
		ev_timer_set(&g->tw, (double)timeout / 1000.0, 0.);
		ev_timer_start(loop, &g->tw);
	}
}

static void
gev_check_cb(struct ev_loop *loop, ev_check *w, int revents)
{
	struct gev *g = gev_of(w, chk);
	int i, r;

	(void)revents;
	for (i = 0; i < g->nfd; i++) {
		if (ev_is_pending(&g->iow[i])) {
			r = ev_clear_pending(loop, &g->iow[i]);
			g->pfd[i].revents |= (r & EV_READ ? G_IO_IN : 0) | (r & EV_WRITE ? G_IO_OUT : 0);
		}
	}
	if (ev_is_active(&g->tw))
		ev_timer_stop(loop, &g->tw);
	else if (ev_is_pending(&g->tw))
		ev_clear_pending(loop, &g->tw);
	if (g_main_context_check(g->ctx, g->prio, g->pfd, g->nfd))
		g_main_context_dispatch(g->ctx);
	g->nfd = 0;
}

struct gev *
gev_new(struct ev_loop *loop, GMainContext *ctx)
{
	struct gev *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->loop = loop;
	g->ctx = ctx;
	if (!g_main_context_acquire(ctx)) {
		free(g);
		return NULL;
	}
	ev_prepare_init(&g->prep, gev_prepare_cb);
	ev_check_init(&g->chk, gev_check_cb);
	ev_init(&g->tw, gev_timer_cb);
	ev_prepare_start(loop, &g->prep);
	ev_check_start(loop, &g->chk);
	return g;
}

void
gev_free(struct gev *g)
{
	int i;

	if (g == NULL)
		return;
	for (i = 0; i < g->nact; i++)
		ev_io_stop(g->loop, &g->iow[i]);
	ev_timer_stop(g->loop, &g->tw);
	ev_prepare_stop(g->loop, &g->prep);
	ev_check_stop(g->loop, &g->chk);
	g_main_context_release(g->ctx);
	free(g);
}
