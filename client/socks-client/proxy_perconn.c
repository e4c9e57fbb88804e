/* SPDX-License-Identifier: MIT */
/*
 * Per-connection mode of socks-client (see proxy_int.h): each
 * application connection gets a carrier of its own and speaks SOCKS5
 * to the far end through it. The far side, started at accept so that
 * it overlaps the application's own handshake:
 *
 *     DIAL   open carrier i (connect in progress or child started)
 *     METHOD send the SOCKS5 greeting, read the method choice
 *     READY  wait for the application's request
 *     REPLY  send CONNECT, read the reply
 *   relay    hand both fds to the relay module; the conn is freed
 *
 * A carrier that fails before the far end has replied is replaced by
 * the next -C (nothing of the application's has been sent yet, so the
 * retry is invisible to it). Bytes the application sends early, and
 * bytes the far end sends after its reply (CONN_FAR_MAX with the reply),
 * are preloaded into the relay.
 */
#include "proxy_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "net/relay.h"
#include "proto/socks5.h"

void
conn_carrier_stop(struct conn *c)
{
	struct ev_loop *loop = c->px->loop;

	ev_io_stop(loop, &c->car_io);
	if (c->car_fd != -1)
		close(c->car_fd);
	c->car_fd = -1;
	if (c->pid > 0) {
		/* Still ours only while unreaped: the child watcher clears pid. */
		ev_child_stop(loop, &c->child);
		kill(c->pid, SIGTERM);
		c->pid = 0;
	}
	c->farlen = 0;
}

static void
conn_relay_done(struct relay *r, const struct relay_stats *st, void *arg)
{
	struct conn *c = arg;

	(void)r;
	if (st->end == RELAY_END_ERROR)
		errno = st->err, log_debug("%s: relay ended: %s", c->peer, strerror(st->err));
	log_info("%s: done, %llu up, %llu down", c->peer, (unsigned long long)st->a_to_b,
	         (unsigned long long)st->b_to_a);
	if (c->pid > 0) {
		ev_child_stop(c->px->loop, &c->child);
		kill(c->pid, SIGTERM);
	}
	conn_unlink(c);
}

/* Far end said yes: answer the application and start relaying. */
static void
conn_start_relay(struct conn *c, size_t far_used)
{
	struct ev_loop *loop = c->px->loop;
	struct relay_opts ro = { 0, c->px->idle_timeout };
	struct relay *r;

	if (conn_answer(c, SOCKS5_REP_SUCCEEDED) == -1) {
		conn_close(c, "application went away");
		return;
	}
	ev_io_stop(loop, &c->app_io);
	ev_io_stop(loop, &c->car_io);
	ev_timer_stop(loop, &c->timer);
	r = relay_new(loop, c->app_fd, c->car_fd, &ro, conn_relay_done, c);
	if (r == NULL) {
		conn_close(c, "out of memory");
		return;
	}
	/* The relay owns both fds now; keep the child watcher and pid. */
	c->app_fd = c->car_fd = -1;
	c->relay = r;
	if (relay_preload_a_to_b(r, c->in + c->head_len, c->inlen - c->head_len) == -1 ||
	    relay_preload_b_to_a(r, c->far + far_used, c->farlen - far_used) == -1)
		relay_abort(r);
}

static void
conn_next_carrier(struct conn *c, const char *why)
{
	log_info("%s: carrier %s: %s", c->peer, c->px->carriers[c->carrier_idx].spec, why);
	conn_carrier_stop(c);
	c->carrier_idx++;
	conn_carrier_dial(c);
}

/*
 * No carrier left. Before the application's request is in there is no
 * one to answer yet; conn_head_done() answers then.
 */
static void
conn_carriers_exhausted(struct conn *c)
{
	c->far_st = FAR_FAILED;
	if (c->head_done)
		conn_fail(c, SOCKS5_REP_GENERAL_FAILURE, "no carrier worked");
}

/* Send the CONNECT request once the far end has accepted no-auth. */
static int
conn_far_request(struct conn *c)
{
	uint8_t out[SOCKS5_REQUEST_MAX];
	ssize_t n;

	n = socks5_encode_request(SOCKS5_CMD_CONNECT, &c->dst, out, sizeof(out));
	if (n < 0 || send(c->car_fd, out, (size_t)n, MSG_NOSIGNAL) != n) {
		conn_next_carrier(c, n < 0 ? "bad destination" : strerror(errno));
		return -1;
	}
	c->far_st = FAR_REPLY;
	return 0;
}

static void
conn_far_read(struct conn *c)
{
	ssize_t n, r;
	uint8_t method, rep;

	n = read(c->car_fd, c->far + c->farlen, sizeof(c->far) - c->farlen);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		conn_next_carrier(c, n == 0 ? "closed before the far end replied" : strerror(errno));
		return;
	}
	if (n == -1)
		return;
	c->farlen += (size_t)n;
	if (c->far_st == FAR_METHOD) {
		r = socks5_parse_method(c->far, c->farlen, &method);
		if (r == 0)
			return;
		if (r < 0 || method != SOCKS5_METHOD_NOAUTH) {
			conn_next_carrier(c, "far end refused no-auth SOCKS5");
			return;
		}
		c->far_st = FAR_READY;
		memmove(c->far, c->far + r, c->farlen - (size_t)r);
		c->farlen -= (size_t)r;
		/*
		 * Not pipelined with the greeting: some servers (microsocks)
		 * read the greeting and drop whatever followed it.
		 */
		if (c->head_done && conn_far_request(c) == -1)
			return;
	}
	if (c->far_st == FAR_READY) {
		/* Nothing may come before we ask. */
		if (c->farlen > 0)
			conn_next_carrier(c, "far end spoke out of turn");
		return;
	}
	r = socks5_parse_reply(c->far, c->farlen, &rep, NULL);
	if (r == 0) {
		if (c->farlen == sizeof(c->far))
			conn_next_carrier(c, "oversized reply");
		return;
	}
	if (r < 0) {
		conn_next_carrier(c, "malformed SOCKS5 reply");
		return;
	}
	if (rep != SOCKS5_REP_SUCCEEDED) {
		char why[96];

		snprintf(why, sizeof(why), "far end: %s", socks5_reply_str(rep));
		conn_fail(c, rep, why);
		return;
	}
	conn_start_relay(c, (size_t)r);
}

static void
conn_car_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	uint8_t out[3];
	int err;

	if (c->far_st == FAR_DIAL && (revents & EV_WRITE)) {
		/* Connected, or the child is up. */
		if (c->pid == 0 && (err = net_connect_result(c->car_fd)) != 0) {
			conn_next_carrier(c, strerror(err));
			return;
		}
		socks5_encode_greeting(out);
		if (send(c->car_fd, out, 3, MSG_NOSIGNAL) != 3) {
			conn_next_carrier(c, strerror(errno));
			return;
		}
		c->far_st = FAR_METHOD;
		ev_io_stop(loop, &c->car_io);
		ev_io_set(&c->car_io, c->car_fd, EV_READ);
		ev_io_start(loop, &c->car_io);
		return;
	}
	if (c->far_st != FAR_DIAL && (revents & EV_READ))
		conn_far_read(c);
}

static void
conn_child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct conn *c = w->data;

	(void)revents;
	ev_child_stop(loop, w);
	/* Reaped: never signal this pid again. EOF on the socket drives the rest. */
	c->pid = 0;
	log_debug("%s: carrier exited with status %d", c->peer, w->rstatus);
}

void
conn_carrier_dial(struct conn *c)
{
	struct ev_loop *loop = c->px->loop;
	const struct carrier *car;

	for (; c->carrier_idx < c->px->ncarriers; c->carrier_idx++) {
		car = &c->px->carriers[c->carrier_idx];
		c->car_fd = carrier_open(loop, car, &c->pid);
		if (c->car_fd != -1)
			break;
		log_warn("%s: carrier %s", c->peer, car->spec);
	}
	if (c->car_fd == -1) {
		conn_carriers_exhausted(c);
		return;
	}
	if (c->pid > 0) {
		ev_child_init(&c->child, conn_child_cb, c->pid, 0);
		c->child.data = c;
		ev_child_start(loop, &c->child);
	}
	c->far_st = FAR_DIAL;
	ev_io_init(&c->car_io, conn_car_cb, c->car_fd, EV_WRITE);
	c->car_io.data = c;
	ev_io_start(loop, &c->car_io);
	/* Each carrier gets the full connect timeout once the request is in. */
	if (c->head_done)
		conn_arm_timer(c, c->px->connect_timeout);
}

void
conn_carrier_request(struct conn *c)
{
	if (c->far_st == FAR_READY)
		(void)conn_far_request(c);
	else if (c->far_st == FAR_FAILED)
		conn_fail(c, SOCKS5_REP_GENERAL_FAILURE, "no carrier worked");
}

void
conn_carrier_timeout(struct conn *c)
{
	conn_fail(c, SOCKS5_REP_TTL_EXPIRED, "far end did not answer in time");
}
