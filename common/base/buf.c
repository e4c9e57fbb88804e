/* SPDX-License-Identifier: MIT */
#include "base/buf.h"

#include <stdlib.h>
#include <string.h>

int
buf_init(struct buf *b, size_t cap)
{
	b->data = malloc(cap ? cap : 1);
	b->cap = b->data ? cap : 0;
	b->off = b->len = 0;
	return b->data ? 0 : -1;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->cap = b->off = b->len = 0;
}

uint8_t *
buf_wptr(struct buf *b, size_t *room)
{
	size_t tail = b->cap - b->off - b->len;

	if (b->len == 0)
		b->off = 0, tail = b->cap;
	else if (tail < b->cap / 2 && b->off > 0) {
		memmove(b->data, b->data + b->off, b->len);
		b->off = 0;
		tail = b->cap - b->len;
	}
	*room = tail;
	return b->data + b->off + b->len;
}

void
buf_commit(struct buf *b, size_t n)
{
	/* Callers only commit what buf_wptr offered. */
	b->len += n;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->off = b->len = 0;
		return;
	}
	b->off += n;
	b->len -= n;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	size_t room;
	uint8_t *w;

	if (n > buf_room(b))
		return -1;
	/* memcpy with a NULL source is undefined even for 0 bytes. */
	if (n == 0)
		return 0;
	w = buf_wptr(b, &room);
	if (room < n) {
		memmove(b->data, b->data + b->off, b->len);
		b->off = 0;
		w = b->data + b->len;
	}
	memcpy(w, p, n);
	b->len += n;
	return 0;
}

void
buf_reset(struct buf *b)
{
	b->off = b->len = 0;
}

uint8_t *
buf_reserve(struct buf *b, size_t want, size_t limit, size_t *room)
{
	size_t need, ncap;
	uint8_t *p;

	*room = 0;
	if (b->len >= limit)
		return b->data != NULL ? b->data + b->off + b->len : NULL;
	if (want > limit - b->len)
		want = limit - b->len;
	if (b->cap - b->len < want) {
		need = b->len + want;
		ncap = b->cap > limit / 2 ? limit : b->cap * 2;
		if (ncap < need)
			ncap = need;
		if (ncap < BUF_GROW_MIN)
			ncap = BUF_GROW_MIN < limit ? BUF_GROW_MIN : limit;
		if (b->off > 0 && b->len > 0)
			memmove(b->data, b->data + b->off, b->len);
		b->off = 0;
		/* On failure the old storage stays: a smaller room, not an error. */
		if ((p = realloc(b->data, ncap)) != NULL) {
			b->data = p;
			b->cap = ncap;
		}
	}
	if (b->data == NULL)
		return NULL;
	if (b->cap - b->off - b->len < want && b->off > 0) {
		memmove(b->data, b->data + b->off, b->len);
		b->off = 0;
	}
	*room = b->cap - b->off - b->len;
	if (*room > want)
		*room = want;
	return b->data + b->off + b->len;
}

void
buf_trim(struct buf *b, size_t n)
{
	b->len -= n < b->len ? n : b->len;
}

void
buf_shrink(struct buf *b)
{
	if (b->len == 0)
		buf_free(b);
}
