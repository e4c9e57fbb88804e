/* SPDX-License-Identifier: MIT */
/*
 * HTTP/2 client sessions over nghttp2 (see h2.h). Output goes through
 * nghttp2_session_mem_send into our buffer, so a TLS layer that must be
 * given the same bytes again after a short write can be.
 */
#include "h2/h2.h"

#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct h2_stream {
	struct h2_stream *prev, *next;
	const uint8_t *body;
	size_t len, off;
	void *req;
	int32_t id;
};

struct h2 {
	nghttp2_session *s;
	const struct h2_cbs *cbs;
	void *arg;
	uint8_t *out;
	size_t out_len, out_off, out_cap;
	struct h2_stream *streams; /* open ones, so h2_free and h2_cancel find them */
	size_t nstreams;
	int failed;
};

static void
stream_unlink(struct h2 *h, struct h2_stream *st)
{
	if (st->prev != NULL)
		st->prev->next = st->next;
	else
		h->streams = st->next;
	if (st->next != NULL)
		st->next->prev = st->prev;
	h->nstreams--;
}

static ssize_t
read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
          nghttp2_data_source *src, void *user)
{
	struct h2_stream *st = src->ptr;
	size_t n = st->len - st->off < len ? st->len - st->off : len;

	(void)s;
	(void)id;
	(void)user;
	memcpy(buf, st->body + st->off, n);
	st->off += n;
	if (st->off == st->len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static int
on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
          const uint8_t *value, size_t vlen, uint8_t flags, void *user)
{
	struct h2 *h = user;
	struct h2_stream *st;

	(void)flags;
	if (f->hd.type != NGHTTP2_HEADERS ||
	    (st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id)) == NULL)
		return 0;
	h->cbs->header(h->arg, st->req, (const char *)name, nlen, (const char *)value, vlen);
	return 0;
}

static int
on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *p, size_t n, void *user)
{
	struct h2 *h = user;
	struct h2_stream *st = nghttp2_session_get_stream_user_data(s, id);

	(void)flags;
	if (st == NULL)
		return 0;
	if (h->cbs->data(h->arg, st->req, p, n) == -1)
		nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
	return 0;
}

static int
on_close(nghttp2_session *s, int32_t id, uint32_t code, void *user)
{
	struct h2 *h = user;
	struct h2_stream *st = nghttp2_session_get_stream_user_data(s, id);

	if (st == NULL)
		return 0;
	nghttp2_session_set_stream_user_data(s, id, NULL);
	stream_unlink(h, st);
	if (st->req != NULL && h->cbs != NULL)
		h->cbs->done(h->arg, st->req, code == NGHTTP2_NO_ERROR, nghttp2_http2_strerror(code));
	free(st);
	return 0;
}

struct h2 *
h2_client_new(const struct h2_cbs *cbs, void *arg, char *err, size_t errlen)
{
	nghttp2_session_callbacks *cb;
	nghttp2_settings_entry set[] = {
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100 },
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, H2_WINDOW },
		{ NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
		{ NGHTTP2_SETTINGS_MAX_FRAME_SIZE, H2_FRAME_MAX },
	};
	struct h2 *h = calloc(1, sizeof(*h));
	int rv;

	if (h == NULL || (h->out = malloc(H2_OUT_MAX + 32768)) == NULL ||
	    nghttp2_session_callbacks_new(&cb) != 0) {
		snprintf(err, errlen, "out of memory");
		if (h != NULL)
			free(h->out);
		free(h);
		return NULL;
	}
	h->out_cap = H2_OUT_MAX + 32768;
	h->cbs = cbs;
	h->arg = arg;
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
	rv = nghttp2_session_client_new(&h->s, cb, h);
	nghttp2_session_callbacks_del(cb);
	if (rv == 0)
		rv = nghttp2_submit_settings(h->s, NGHTTP2_FLAG_NONE, set, sizeof(set) / sizeof(set[0]));
	if (rv == 0)
		rv = nghttp2_session_set_local_window_size(h->s, NGHTTP2_FLAG_NONE, 0, (int32_t)H2_WINDOW);
	if (rv != 0) {
		snprintf(err, errlen, "HTTP/2: %s", nghttp2_strerror(rv));
		h2_free(h);
		return NULL;
	}
	return h;
}

void
h2_free(struct h2 *h)
{
	if (h == NULL)
		return;
	if (h->s != NULL) {
		/* No callbacks from here on: the caller is tearing down. */
		h->cbs = NULL;
		nghttp2_session_del(h->s);
	}
	while (h->streams != NULL) {
		struct h2_stream *st = h->streams;

		stream_unlink(h, st);
		free(st);
	}
	free(h->out);
	free(h);
}

int
h2_request(struct h2 *h, const struct h2_nv *nv, size_t nnv, const uint8_t *body, size_t len,
           void *req, char *err, size_t errlen)
{
	nghttp2_nv v[H2_NV_MAX];
	nghttp2_data_provider dp;
	struct h2_stream *st;
	int32_t id;
	size_t i;

	if (nnv > H2_NV_MAX) {
		snprintf(err, errlen, "too many header fields");
		return -1;
	}
	for (i = 0; i < nnv; i++) {
		v[i].name = (uint8_t *)(uintptr_t)nv[i].name;
		v[i].namelen = nv[i].name_len;
		v[i].value = (uint8_t *)(uintptr_t)nv[i].value;
		v[i].valuelen = nv[i].value_len;
		v[i].flags = NGHTTP2_NV_FLAG_NONE;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st->body = body;
	st->len = len;
	st->req = req;
	dp.source.ptr = st;
	dp.read_callback = read_body;
	id = nghttp2_submit_request(h->s, NULL, v, nnv, &dp, st);
	if (id < 0) {
		snprintf(err, errlen, "HTTP/2: %s", nghttp2_strerror(id));
		free(st);
		return -1;
	}
	st->id = id;
	st->next = h->streams;
	if (st->next != NULL)
		st->next->prev = st;
	h->streams = st;
	h->nstreams++;
	return 0;
}

void
h2_cancel(struct h2 *h, void *req)
{
	struct h2_stream *st;

	for (st = h->streams; st != NULL; st = st->next)
		if (st->req == req) {
			st->req = NULL;
			nghttp2_submit_rst_stream(h->s, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_CANCEL);
			return;
		}
}

int
h2_recv(struct h2 *h, const uint8_t *p, size_t n, char *err, size_t errlen)
{
	ssize_t r = nghttp2_session_mem_recv(h->s, p, n);

	if (r < 0 || (size_t)r != n) {
		snprintf(err, errlen, "HTTP/2: %s", r < 0 ? nghttp2_strerror((int)r) : "input not taken");
		h->failed = 1;
		return -1;
	}
	return 0;
}

const uint8_t *
h2_pending(struct h2 *h, size_t *len)
{
	const uint8_t *p;
	ssize_t n;

	if (h->out_off == h->out_len)
		h->out_off = h->out_len = 0;
	while (!h->failed && h->out_len < H2_OUT_MAX) {
		n = nghttp2_session_mem_send(h->s, &p);
		if (n < 0) {
			h->failed = 1;
			break;
		}
		if (n == 0)
			break;
		if ((size_t)n > h->out_cap - h->out_len) {
			uint8_t *b = realloc(h->out, h->out_len + (size_t)n);

			if (b == NULL) {
				h->failed = 1;
				break;
			}
			h->out = b;
			h->out_cap = h->out_len + (size_t)n;
		}
		memcpy(h->out + h->out_len, p, (size_t)n);
		h->out_len += (size_t)n;
	}
	*len = h->out_len - h->out_off;
	return h->out + h->out_off;
}

void
h2_written(struct h2 *h, size_t n)
{
	h->out_off += n;
}

int
h2_alive(const struct h2 *h)
{
	if (h->out_off < h->out_len)
		return 1;
	return !h->failed && (nghttp2_session_want_read(h->s) || nghttp2_session_want_write(h->s));
}

size_t
h2_streams(const struct h2 *h)
{
	return h->nstreams;
}
