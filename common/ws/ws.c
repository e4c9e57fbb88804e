/* SPDX-License-Identifier: MIT */
/*
 * The WebSocket bridge (ws.h) on wslay's event API. One struct per
 * connection with its four watchers and one timer; ws_end() is the only
 * way out and every callback returns right after it. wslay's callbacks
 * never end the bridge themselves: they record a failure in ws->fail,
 * which the caller of wslay_event_recv/send acts on. What the bridge holds
 * is charged to its budget in ws_update (ws_mem_sync), the one place that
 * already derives everything from the buffers' state.
 */
#include "ws/ws.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wslay/wslay.h>

#include "base/buf.h"
#include "base/evio.h"
#include "base/membudget.h"
#include "proto/http.h"

enum ws_state {
	WS_CONNECTING, /* client: connect in progress */
	WS_HANDSHAKE,  /* request or response head being read; hsout being written */
	WS_OPEN,       /* frames */
	WS_CLOSING,    /* our Close is queued: waiting for the peer's */
};

struct ws {
	struct ev_loop *loop;
	const struct ws_cb *cb;
	void *arg;
	enum ws_role role;
	enum ws_state st;
	int netfd, localfd;
	ev_io nrd, nwr, lrd, lwr;
	ev_timer timer;
	wslay_event_context_ptr ctx;
	struct buf hs;     /* handshake bytes read; then frame bytes read with them */
	struct buf hsout;  /* our request or 101, written before any frame */
	struct buf tolocal;
	char key[WSHS_KEY_LEN + 1];
	const char *fail;  /* set inside wslay callbacks */
	int net_eof;
	size_t budget;     /* bytes one wslay_event_recv call may still read */
	int drained;       /* this event's last read was short: the socket is empty */
	int cur_data;      /* the frame being received carries data */
	uint64_t msg_len;  /* payload of the message being received so far */
	struct membudget *mb;
	size_t charged;    /* what mb holds for this bridge */
	struct ws_stats stats;
};

static void ws_update(struct ws *ws);

/* --- memory ----------------------------------------------------------------- */

static size_t
ws_buf_cost(const struct buf *b)
{
	return b->data != NULL ? membudget_cost(b->cap) : 0;
}

/* wslay's send queue: payload, plus each message's own allocations. */
static size_t
ws_queue_cost(const struct ws *ws)
{
	if (ws->ctx == NULL)
		return 0;
	return wslay_event_get_queued_msg_length(ws->ctx) +
	       wslay_event_get_queued_msg_count(ws->ctx) * WS_QMSG_COST;
}

/* Charge (or give back) the difference between what the bridge holds and what it charged. */
static void
ws_mem_sync(struct ws *ws)
{
	size_t now = WS_MEM_BASE + ws_buf_cost(&ws->hs) + ws_buf_cost(&ws->hsout) +
	             ws_buf_cost(&ws->tolocal) + ws_queue_cost(ws);

	if (now > ws->charged)
		membudget_force(ws->mb, now - ws->charged);
	else
		membudget_uncharge(ws->mb, ws->charged - now);
	ws->charged = now;
}

/*
 * grew bytes of control frames (pongs, a Close reply) that one read made
 * wslay queue: 1 when, charged, they would take the share of the budget
 * kept for data.
 */
static int
ws_mem_ctrl_over(const struct ws *ws, size_t grew)
{
	const struct membudget *top = membudget_top(ws->mb);

	if (top == NULL || top->limit == 0 || grew == 0)
		return 0;
	return top->used + grew > top->limit - top->limit / WS_CTRL_RESERVE_DIV;
}

size_t
ws_memory(const struct ws *ws)
{
	return ws->charged;
}

static void
ws_end(struct ws *ws, const char *why)
{
	ev_io_stop(ws->loop, &ws->nrd);
	ev_io_stop(ws->loop, &ws->nwr);
	ev_io_stop(ws->loop, &ws->lrd);
	ev_io_stop(ws->loop, &ws->lwr);
	ev_timer_stop(ws->loop, &ws->timer);
	if (ws->ctx != NULL)
		wslay_event_context_free(ws->ctx);
	close(ws->netfd);
	if (ws->localfd != -1)
		close(ws->localfd);
	buf_free(&ws->hs);
	buf_free(&ws->hsout);
	buf_free(&ws->tolocal);
	membudget_uncharge(ws->mb, ws->charged);
	membudget_release(ws->mb);
	ws->cb->done(ws->arg, why);
	free(ws);
}

void
ws_abort(struct ws *ws, const char *why)
{
	ws_end(ws, why);
}

const struct ws_stats *
ws_stats(const struct ws *ws)
{
	return &ws->stats;
}

/* --- wslay callbacks ------------------------------------------------------ */

static ssize_t
ws_recv_cb(wslay_event_context_ptr ctx, uint8_t *p, size_t len, int flags, void *user)
{
	struct ws *ws = user;
	size_t room = WS_BUF - buf_len(&ws->tolocal), want;
	uint8_t *dst;
	ssize_t n;

	(void)flags;
	/* Payload never outgrows what was read: reading at most room keeps tolocal bounded. */
	if (len > room)
		len = room;
	if (ws->fail != NULL || len == 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	/*
	 * wslay asks for 4096 bytes at a time (its frame buffer): read ahead
	 * into hs what this event may take, in one read, and hand it out from
	 * there; one read per 4 KiB was most of a relaying peer-proxy's
	 * system calls. The read is at most room, so the payload in hs still
	 * fits in tolocal, and at most WS_RECV_BUDGET per event: wslay would
	 * otherwise read a flood of pings to its end, queueing a pong for
	 * each, before we could look at its send queue. The fd stays
	 * readable, so the rest comes on the next turn of the loop.
	 */
	if (buf_len(&ws->hs) == 0) {
		want = room < ws->budget ? room : ws->budget;
		if (want == 0 || ws->drained) {
			wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
			return -1;
		}
		if ((dst = buf_reserve(&ws->hs, want, want, &room)) == NULL || room == 0) {
			dst = p; /* memory is short: wslay's own 4 KiB, as without read-ahead */
			room = len < want ? len : want;
		}
		n = read(ws->netfd, dst, room);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			buf_shrink(&ws->hs);
			wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
			return -1;
		}
		if (n <= 0) {
			buf_shrink(&ws->hs);
			ws->net_eof = 1;
			wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
			return -1;
		}
		ws->budget -= (size_t)n;
		/* A short read emptied the socket: another would only say EAGAIN. */
		ws->drained = (size_t)n < room;
		if (dst == p)
			return n;
		buf_commit(&ws->hs, (size_t)n);
	}
	n = (ssize_t)(len < buf_len(&ws->hs) ? len : buf_len(&ws->hs));
	memcpy(p, buf_rptr(&ws->hs), (size_t)n);
	buf_consume(&ws->hs, (size_t)n);
	if (buf_len(&ws->hs) == 0)
		buf_shrink(&ws->hs);
	return n;
}

static ssize_t
ws_send_cb(wslay_event_context_ptr ctx, const uint8_t *p, size_t len, int flags, void *user)
{
	struct ws *ws = user;
	ssize_t n;

	(void)flags;
	n = send(ws->netfd, p, len, MSG_NOSIGNAL);
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
	else
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
	return -1;
}

static int
ws_genmask_cb(wslay_event_context_ptr ctx, uint8_t *p, size_t len, void *user)
{
	(void)ctx;
	(void)user;
	return wshs_random(p, len) == 0 ? 0 : -1;
}

static void
ws_frame_start_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_frame_recv_start_arg *a,
                  void *user)
{
	struct ws *ws = user;

	ws->cur_data = a->opcode < 8;
	if (!ws->cur_data)
		return;
	if (a->opcode != WSLAY_CONTINUATION_FRAME)
		ws->msg_len = 0;
	if (a->payload_length > WS_MSG_MAX - ws->msg_len) {
		ws->fail = "message over its size limit";
		(void)wslay_event_queue_close(ctx, WSLAY_CODE_MESSAGE_TOO_BIG, NULL, 0);
		return;
	}
	ws->msg_len += a->payload_length;
}

static void
ws_frame_chunk_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_frame_recv_chunk_arg *a,
                  void *user)
{
	struct ws *ws = user;

	(void)ctx;
	if (!ws->cur_data || ws->fail != NULL || ws->st != WS_OPEN)
		return;
	/* Within WS_BUF: ws_recv_cb read no more than the room left. */
	if (a->data_length > 0) {
		size_t room;
		uint8_t *p = buf_reserve(&ws->tolocal, a->data_length, WS_BUF, &room);

		if (p == NULL || room < a->data_length) {
			ws->fail = "out of memory";
			return;
		}
		memcpy(p, a->data, a->data_length);
		buf_commit(&ws->tolocal, a->data_length);
	}
	ws->stats.in += a->data_length;
}

static void
ws_msg_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *a, void *user)
{
	struct ws *ws = user;

	(void)ctx;
	if (a->opcode == WSLAY_PING)
		ws->stats.pings++;
}

static const struct wslay_event_callbacks ws_callbacks = {
	.recv_callback = ws_recv_cb,
	.send_callback = ws_send_cb,
	.genmask_callback = ws_genmask_cb,
	.on_frame_recv_start_callback = ws_frame_start_cb,
	.on_frame_recv_chunk_callback = ws_frame_chunk_cb,
	.on_msg_recv_callback = ws_msg_cb,
};

/* --- frames ----------------------------------------------------------------- */

static int
ws_start_frames(struct ws *ws)
{
	int r;

	r = ws->role == WS_SERVER ? wslay_event_context_server_init(&ws->ctx, &ws_callbacks, ws)
	                          : wslay_event_context_client_init(&ws->ctx, &ws_callbacks, ws);
	if (r != 0) {
		ws->ctx = NULL;
		return -1;
	}
	wslay_event_config_set_no_buffering(ws->ctx, 1);
	wslay_event_config_set_max_recv_msg_length(ws->ctx, WS_MSG_MAX);
	/* tolocal grows on demand (buf_reserve) and is given back when drained. */
	ws->st = WS_OPEN;
	return 0;
}

/* Local EOF or error: our Close, then the peer's within WS_CLOSE_WAIT. */
static void
ws_closing(struct ws *ws)
{
	if (ws->st == WS_CLOSING)
		return;
	ws->st = WS_CLOSING;
	(void)wslay_event_queue_close(ws->ctx, WSLAY_CODE_NORMAL_CLOSURE, NULL, 0);
	close(ws->localfd);
	ws->localfd = -1;
	ev_io_stop(ws->loop, &ws->lrd);
	ev_io_stop(ws->loop, &ws->lwr);
	buf_free(&ws->tolocal);
	ev_timer_stop(ws->loop, &ws->timer);
	ev_timer_set(&ws->timer, WS_CLOSE_WAIT, 0);
	ev_timer_start(ws->loop, &ws->timer);
}

static int ws_flush_local(struct ws *ws);

/* 0, or -1 after ending. */
static int
ws_after_wslay(struct ws *ws, int r)
{
	if (ws->fail != NULL && wslay_event_get_queued_msg_count(ws->ctx) == 0) {
		ws_end(ws, ws->fail);
		return -1;
	}
	if (ws->fail != NULL && !ev_is_active(&ws->timer)) {
		/* Our Close 1009 goes out if the peer reads it soon; no longer waited for. */
		ev_timer_set(&ws->timer, WS_CLOSE_WAIT, 0);
		ev_timer_start(ws->loop, &ws->timer);
	}
	if (r != 0 && !ws->fail) {
		ws_end(ws, ws->net_eof ? "peer closed" : "WebSocket protocol error");
		return -1;
	}
	if (wslay_event_get_queued_msg_length(ws->ctx) > WS_SENDQ_MAX ||
	    wslay_event_get_queued_msg_count(ws->ctx) > WS_SENDQ_MSGS) {
		ws_end(ws, "peer does not read what it asked for (send queue over its bound)");
		return -1;
	}
	if (!wslay_event_want_read(ws->ctx) && !wslay_event_want_write(ws->ctx)) {
		/* What arrived before the Close goes to the local side if it takes it now. */
		(void)ws_flush_local(ws);
		ws_end(ws, ws->fail ? ws->fail : "closed");
		return -1;
	}
	return 0;
}

/* tolocal -> localfd. 0, or -1 after a local failure moved to closing. */
static int
ws_flush_local(struct ws *ws)
{
	while (ws->localfd != -1 && buf_len(&ws->tolocal) > 0) {
		ssize_t n = write(ws->localfd, buf_rptr(&ws->tolocal), buf_len(&ws->tolocal));

		if (n > 0) {
			buf_consume(&ws->tolocal, (size_t)n);
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return 0;
		ws_closing(ws);
		return -1;
	}
	buf_shrink(&ws->tolocal);
	return 0;
}

static void
ws_update(struct ws *ws)
{
	int open = ws->st == WS_OPEN, frames = open || ws->st == WS_CLOSING;
	int nrd, nwr;

	ws_mem_sync(ws);
	switch (ws->st) {
	case WS_CONNECTING:
		nrd = 0;
		nwr = 1;
		break;
	case WS_HANDSHAKE:
		nrd = ws->role == WS_SERVER ? buf_len(&ws->hsout) == 0 : 1;
		nwr = buf_len(&ws->hsout) > 0;
		break;
	default:
		nrd = frames && ws->fail == NULL && wslay_event_want_read(ws->ctx) &&
		      buf_len(&ws->tolocal) < WS_BUF;
		nwr = frames && wslay_event_want_write(ws->ctx);
		break;
	}
	evio_want(ws->loop, &ws->nrd, nrd);
	evio_want(ws->loop, &ws->nwr, nwr);
	if (ws->localfd != -1) {
		evio_want(ws->loop, &ws->lrd,
		          open && ws->fail == NULL &&
		                  wslay_event_get_queued_msg_length(ws->ctx) < WS_BUF);
		evio_want(ws->loop, &ws->lwr, open && buf_len(&ws->tolocal) > 0);
	}
}

/* --- handshake ---------------------------------------------------------- */

/* The head is complete: 0 with frames started, or -1 after ending. */
static int
ws_server_head(struct ws *ws)
{
	struct wshs_request r;
	char out[512];
	ssize_t n, m;

	n = wshs_parse_request(buf_rptr(&ws->hs), buf_len(&ws->hs), &r);
	if (n == 0)
		return 1;
	if (n < 0) {
		static const char bad[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

		(void)!send(ws->netfd, bad, sizeof(bad) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		ws_end(ws, "not a WebSocket upgrade");
		return -1;
	}
	buf_consume(&ws->hs, (size_t)n);
	buf_shrink(&ws->hs);
	ws->localfd = ws->cb->request(ws->arg, ws, &r);
	if (ws->localfd == -1) {
		static const char no[] = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

		(void)!send(ws->netfd, no, sizeof(no) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		ws_end(ws, "upgrade refused");
		return -1;
	}
	ev_io_set(&ws->lrd, ws->localfd, EV_READ);
	ev_io_set(&ws->lwr, ws->localfd, EV_WRITE);
	if ((m = wshs_format_response(out, sizeof(out), r.key)) < 0 ||
	    buf_init(&ws->hsout, (size_t)m) == -1 || buf_append(&ws->hsout, out, (size_t)m) == -1 ||
	    ws_start_frames(ws) == -1) {
		ws_end(ws, "out of memory");
		return -1;
	}
	/* Frames wait until the 101 is out: ws_net_write moves the state on. */
	ws->st = WS_HANDSHAKE;
	return 0;
}

static int
ws_client_head(struct ws *ws)
{
	int status = 0;
	ssize_t n = wshs_parse_response(buf_rptr(&ws->hs), buf_len(&ws->hs), ws->key, &status);

	if (n == 0)
		return 1;
	if (n < 0) {
		ws_end(ws, status != 0 && status != 101 ? "upgrade refused by the server"
		                                        : "bad upgrade response");
		return -1;
	}
	buf_consume(&ws->hs, (size_t)n);
	buf_shrink(&ws->hs);
	if (ws_start_frames(ws) == -1) {
		ws_end(ws, "out of memory");
		return -1;
	}
	ev_timer_stop(ws->loop, &ws->timer);
	if (ws->cb->open != NULL)
		ws->cb->open(ws->arg);
	return 0;
}

static void
ws_frames_read(struct ws *ws)
{
	size_t q0, q1;
	int r;

	ws->budget = WS_RECV_BUDGET;
	ws->drained = 0;
	q0 = ws_queue_cost(ws);
	r = wslay_event_recv(ws->ctx);
	if (ws_after_wslay(ws, r) == -1)
		return;
	/* A local failure only moves to closing: our Close still has to go out. */
	(void)ws_flush_local(ws);
	/* Pongs and Close replies go out at once. */
	r = wslay_event_send(ws->ctx);
	if (ws_after_wslay(ws, r) == -1)
		return;
	/* Only control frames join the queue here: what the peer left unread. */
	q1 = ws_queue_cost(ws);
	if (q1 > q0 && ws_mem_ctrl_over(ws, q1 - q0)) {
		ws_end(ws, "peer does not read its pongs (memory budget)");
		return;
	}
	ws_update(ws);
}

static void
ws_nrd_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ws *ws = w->data;
	uint8_t *p;
	size_t room;
	ssize_t n;
	int r;

	(void)loop;
	(void)revents;
	if (ws->st != WS_HANDSHAKE || ws->ctx != NULL) {
		ws_frames_read(ws);
		return;
	}
	p = buf_reserve(&ws->hs, HTTP_HEAD_MAX, HTTP_HEAD_MAX, &room);
	if (room == 0) {
		ws_end(ws, p == NULL && buf_len(&ws->hs) < HTTP_HEAD_MAX ? "out of memory"
		                                                          : "upgrade head too long");
		return;
	}
	n = read(ws->netfd, p, room);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		ws_end(ws, "closed during the upgrade");
		return;
	}
	buf_commit(&ws->hs, (size_t)n);
	r = ws->role == WS_SERVER ? ws_server_head(ws) : ws_client_head(ws);
	if (r == -1)
		return;
	if (ws->ctx != NULL && ws->st == WS_OPEN && buf_len(&ws->hs) > 0) {
		/* Frames glued to the 101 (client role). */
		ws_frames_read(ws);
		return;
	}
	ws_update(ws);
}

static void
ws_nwr_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ws *ws = w->data;
	int r;

	(void)loop;
	(void)revents;
	if (ws->st == WS_CONNECTING) {
		int err = 0;
		socklen_t el = sizeof(err);

		if (getsockopt(ws->netfd, SOL_SOCKET, SO_ERROR, &err, &el) == -1 || err != 0) {
			ws_end(ws, "connect failed");
			return;
		}
		ws->st = WS_HANDSHAKE;
	}
	while (buf_len(&ws->hsout) > 0) {
		ssize_t n = send(ws->netfd, buf_rptr(&ws->hsout), buf_len(&ws->hsout), MSG_NOSIGNAL);

		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			ws_update(ws);
			return;
		}
		if (n <= 0) {
			ws_end(ws, "write failed during the upgrade");
			return;
		}
		buf_consume(&ws->hsout, (size_t)n);
	}
	buf_free(&ws->hsout);
	if (ws->st == WS_HANDSHAKE && ws->role == WS_SERVER && ws->ctx != NULL) {
		/* The 101 is out: frames, and those that came with the request. */
		ws->st = WS_OPEN;
		ev_timer_stop(ws->loop, &ws->timer);
		ws_frames_read(ws);
		return;
	}
	if (ws->ctx != NULL && ws->st != WS_HANDSHAKE) {
		r = wslay_event_send(ws->ctx);
		if (ws_after_wslay(ws, r) == -1)
			return;
	}
	ws_update(ws);
}

static void
ws_lrd_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ws *ws = w->data;
	uint8_t p[WS_READ];
	struct wslay_event_msg m;
	ssize_t n;
	int r;

	(void)loop;
	(void)revents;
	n = read(ws->localfd, p, sizeof(p));
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		ws_closing(ws);
	} else {
		m.opcode = WSLAY_BINARY_FRAME;
		m.msg = p;
		m.msg_length = (size_t)n;
		if (wslay_event_queue_msg(ws->ctx, &m) != 0) {
			ws_end(ws, "out of memory");
			return;
		}
		ws->stats.out += (uint64_t)n;
	}
	r = wslay_event_send(ws->ctx);
	if (ws_after_wslay(ws, r) == -1)
		return;
	ws_update(ws);
}

static void
ws_lwr_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ws *ws = w->data;

	(void)loop;
	(void)revents;
	if (ws_flush_local(ws) == -1) {
		ws_update(ws);
		return;
	}
	/* Room again toward the local side: frames already read may wait in hs. */
	if (buf_len(&ws->hs) > 0) {
		ws_frames_read(ws);
		return;
	}
	ws_update(ws);
}

static void
ws_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ws *ws = w->data;

	(void)loop;
	(void)revents;
	ws_end(ws, ws->st == WS_CLOSING ? "no Close from the peer in time" : WS_WHY_TIMEOUT);
}

static void
ws_free_unstarted(struct ws *ws)
{
	ev_timer_stop(ws->loop, &ws->timer);
	close(ws->netfd);
	if (ws->localfd != -1)
		close(ws->localfd);
	buf_free(&ws->hsout);
	free(ws);
}

struct ws *
ws_new(struct ev_loop *loop, int netfd, int localfd, const struct ws_opts *o, const struct ws_cb *cb,
       void *arg)
{
	struct ws *ws;

	if ((ws = calloc(1, sizeof(*ws))) == NULL) {
		close(netfd);
		if (localfd != -1)
			close(localfd);
		return NULL;
	}
	ws->loop = loop;
	ws->cb = cb;
	ws->arg = arg;
	ws->role = o->role;
	ws->netfd = netfd;
	ws->localfd = localfd;
	ws->st = o->role == WS_CLIENT && o->connecting ? WS_CONNECTING : WS_HANDSHAKE;
	ev_io_init(&ws->nrd, ws_nrd_cb, netfd, EV_READ);
	ev_io_init(&ws->nwr, ws_nwr_cb, netfd, EV_WRITE);
	ev_io_init(&ws->lrd, ws_lrd_cb, localfd, EV_READ);
	ev_io_init(&ws->lwr, ws_lwr_cb, localfd, EV_WRITE);
	ws->nrd.data = ws->nwr.data = ws->lrd.data = ws->lwr.data = ws;
	ev_timer_init(&ws->timer, ws_timer_cb, o->handshake_timeout, 0);
	ws->timer.data = ws;
	ev_timer_start(loop, &ws->timer);
	ws->mb = o->mb;
	if (o->role == WS_CLIENT) {
		char req[WSHS_TARGET_MAX + WSHS_HOST_MAX + 256];
		ssize_t m;

		if (wshs_new_key(ws->key) == -1 ||
		    (m = wshs_format_request(req, sizeof(req), o->host, o->path, ws->key)) < 0 ||
		    buf_init(&ws->hsout, (size_t)m) == -1 || buf_append(&ws->hsout, req, (size_t)m) == -1) {
			ws_free_unstarted(ws);
			return NULL;
		}
	}
	ws_update(ws);
	return ws;
}
