/* SPDX-License-Identifier: MIT */
/*
 * A bounded byte buffer: capacity fixed at init, never grows. Data sits
 * in [off, off+len); free space is made contiguous by moving the data
 * to the front only when a writer asks for room and the tail is short,
 * so the common case (drain fully, refill) never copies.
 *
 * Growable use: a zeroed struct buf (no storage yet) grows on demand
 * with buf_reserve, up to a limit each call names, and gives its storage
 * back with buf_shrink once empty, so an idle owner costs nothing. The
 * first allocation is exactly what was asked (at least BUF_GROW_MIN), so
 * a body whose size is known is held in one block of its own size.
 */
#ifndef PW_BUF_H
#define PW_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data;
	size_t cap;
	size_t off;
	size_t len;
};

int buf_init(struct buf *b, size_t cap); /* -1 on allocation failure */
void buf_free(struct buf *b);

static inline size_t buf_len(const struct buf *b) { return b->len; }
static inline size_t buf_room(const struct buf *b) { return b->cap - b->len; }
static inline const uint8_t *buf_rptr(const struct buf *b) { return b->data + b->off; }

/* Contiguous free space at the tail, compacting when that helps. */
uint8_t *buf_wptr(struct buf *b, size_t *room);
void buf_commit(struct buf *b, size_t n);
void buf_consume(struct buf *b, size_t n);
/* Append all of p or nothing: 0, or -1 when it does not fit. */
int buf_append(struct buf *b, const void *p, size_t n);
void buf_reset(struct buf *b);

#define BUF_GROW_MIN 4096
/*
 * Contiguous tail room for up to want bytes, growing the storage (to at
 * least twice its size, or exactly what is needed) so the buffer holds at
 * most limit bytes in all. *room is what can be written (less than want
 * at the limit or when memory is short, possibly 0). Growable buffers only.
 */
uint8_t *buf_reserve(struct buf *b, size_t want, size_t limit, size_t *room);
/* Drop the last n bytes (a write taken back). */
void buf_trim(struct buf *b, size_t n);
/* Free the storage when the buffer is empty. */
void buf_shrink(struct buf *b);

#endif
