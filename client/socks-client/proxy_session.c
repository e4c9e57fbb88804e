/* SPDX-License-Identifier: MIT */
/*
 * Session mode of socks-client (see proxy_int.h): each application
 * connection is one stream on the Turbo Tunnel session that csession
 * keeps. The stream starts with the destination prefix and the early
 * data; the egress's status byte is the application's answer (unless
 * --optimistic answered at once). A stream the egress never answered
 * is reopened, once, when the session is lost. The csession callbacks
 * that pass stream events on live here too.
 */
#include "proxy_int.h"

#include "base/log.h"
#include "proto/socks5.h"
#include "tt/tstream.h"

/* The egress's status byte: the application's answer, unless already given. */
static int
conn_ts_status(struct tstream *ts, int status, void *arg)
{
	struct conn *c = arg;

	(void)ts;
	ev_timer_stop(c->px->loop, &c->timer);
	if (c->px->optimistic || c->answered)
		return status == 0 ? 0 : -1;
	c->answered = 1;
	if (status == 0)
		return conn_answer(c, SOCKS5_REP_SUCCEEDED) == 0 ? 0 : -1;
	(void)conn_answer(c, status > 0 ? (uint8_t)status : SOCKS5_REP_GENERAL_FAILURE);
	log_info("%s: far end: %s", c->peer,
	         status > 0 ? socks5_reply_str((uint8_t)status) : "session lost");
	return -1;
}

static void
conn_ts_done(struct tstream *ts, const struct tstream_stats *st, void *arg)
{
	struct conn *c = arg;

	(void)ts;
	log_info("%s: done, %llu up, %llu down%s", c->peer, (unsigned long long)st->up,
	         (unsigned long long)st->down, st->aborted ? " (aborted)" : "");
	ev_timer_stop(c->px->loop, &c->timer);
	conn_unlink(c);
}

/* Destination prefix and early data first, then relay. */
void
conn_stream_open(struct conn *c)
{
	static const struct tstream_cb tcb = { conn_ts_status, conn_ts_done };
	struct proxy *px = c->px;
	uint8_t prefix[SOCKSADDR_WIRE_MAX];
	struct tunnel *t;
	struct tstream *ts;
	unsigned flags = TSTREAM_STATUS | TSTREAM_LAZY_FIN | (px->optimistic ? TSTREAM_OPTIMISTIC : 0);
	ssize_t n;
	uint32_t sid;

	if ((t = csession_tunnel(px->sess)) == NULL || tunnel_open(t, &sid) == -1) {
		conn_fail(c, SOCKS5_REP_GENERAL_FAILURE, "cannot open a stream");
		return;
	}
	ts = tstream_new(px->loop, t, sid, c->app_fd, flags, px->idle_timeout, &tcb, c);
	if (ts == NULL) {
		tunnel_close(t, sid);
		conn_fail(c, SOCKS5_REP_GENERAL_FAILURE, "out of memory");
		return;
	}
	/* The stream owns the fd now; replies still go out on it before any data. */
	c->ts = ts;
	c->tun = t;
	if (tunnel_set_user(t, sid, c) == -1) {
		tstream_abort(ts);
		return;
	}
	n = socksaddr_encode(&c->dst, prefix, sizeof(prefix));
	if (n < 0 || tstream_preload_up(ts, prefix, (size_t)n) == -1 ||
	    tstream_preload_up(ts, c->in + c->head_len, c->inlen - c->head_len) == -1) {
		tstream_abort(ts);
		return;
	}
	if (px->optimistic) {
		c->answered = 1;
		ev_timer_stop(px->loop, &c->timer);
		if (conn_answer(c, SOCKS5_REP_SUCCEEDED) == -1) {
			tstream_abort(ts);
			return;
		}
	}
	tstream_start(ts);
}

void
conn_stream_timeout(struct conn *c)
{
	if (c->ts == NULL) {
		/* A retry after a lost session. */
		conn_arm_timer(c, c->px->connect_timeout);
		conn_stream_open(c);
		return;
	}
	(void)conn_answer(c, SOCKS5_REP_TTL_EXPIRED);
	c->answered = 1;
	tstream_abort(c->ts);
}

/*
 * The session is gone. A stream the egress never answered has had
 * nothing delivered either way but what conn->in still holds (without
 * --optimistic the application is not read before the answer), so it
 * is reopened, once, on the next session; the others fail.
 */
void
proxy_session_lost(void *arg, struct tunnel *t)
{
	struct proxy *px = arg;
	struct conn *c, *next;

	for (c = px->conns; c != NULL; c = next) {
		next = c->next;
		if (c->ts == NULL || c->tun != t)
			continue;
		if (!px->optimistic && !c->answered && c->retries == 0) {
			c->retries++;
			c->app_fd = tstream_release(c->ts);
			c->ts = NULL;
			c->tun = NULL;
			/* From the loop, once the old session is gone. */
			conn_arm_timer(c, 0);
			continue;
		}
		tstream_abort(c->ts);
	}
}

/* Carriers keep failing: answer the streams still waiting instead of making them wait. */
void
proxy_session_stalled(void *arg, struct tunnel *t)
{
	struct proxy *px = arg;
	struct conn *c, *next;

	for (c = px->conns; c != NULL; c = next) {
		next = c->next;
		if (c->ts == NULL || c->tun != t || c->answered)
			continue;
		(void)conn_answer(c, SOCKS5_REP_GENERAL_FAILURE);
		c->answered = 1;
		log_info("%s: no carrier works", c->peer);
		tstream_abort(c->ts);
	}
}

void
proxy_stream_readable(void *arg, struct tunnel *t, uint32_t sid)
{
	struct conn *c = tunnel_user(t, sid);

	(void)arg;
	if (c != NULL && c->ts != NULL)
		tstream_readable(c->ts);
}

void
proxy_stream_writable(void *arg, struct tunnel *t, uint32_t sid)
{
	struct conn *c = tunnel_user(t, sid);

	(void)arg;
	if (c != NULL && c->ts != NULL)
		tstream_writable(c->ts);
}
