/* SPDX-License-Identifier: MIT */
#include "base/membudget.h"

#include <malloc.h>

void
membudget_init(struct membudget *b, size_t limit, struct membudget *parent)
{
	b->used = 0;
	b->limit = limit;
	b->peak = 0;
	b->refused = 0;
	b->freed = 0;
	b->trims = 0;
	b->parent = parent;
}

static int
level_full(const struct membudget *b, size_t n)
{
	return b->limit != 0 && (n > b->limit || b->used > b->limit - n);
}

int
membudget_would_exceed(const struct membudget *b, size_t n)
{
	for (; b != NULL; b = b->parent)
		if (level_full(b, n))
			return 1;
	return 0;
}

int
membudget_refuse(struct membudget *b, size_t n)
{
	for (; b != NULL; b = b->parent) {
		if (level_full(b, n)) {
			b->refused++;
			return 1;
		}
	}
	return 0;
}

int
membudget_charge(struct membudget *b, size_t n)
{
	if (membudget_refuse(b, n))
		return -1;
	membudget_force(b, n);
	return 0;
}

void
membudget_force(struct membudget *b, size_t n)
{
	for (; b != NULL; b = b->parent) {
		b->used += n;
		if (b->used > b->peak)
			b->peak = b->used;
	}
}

void
membudget_uncharge(struct membudget *b, size_t n)
{
	for (; b != NULL; b = b->parent) {
		/* An underflow is a bug in the caller; clamp rather than wrap to "full". */
		b->used = n > b->used ? 0 : b->used - n;
		if (b->parent == NULL)
			b->freed += n;
	}
}

size_t
membudget_room(const struct membudget *b)
{
	size_t room = SIZE_MAX, r;

	for (; b != NULL; b = b->parent) {
		if (b->limit == 0)
			continue;
		r = b->used >= b->limit ? 0 : b->limit - b->used;
		if (r < room)
			room = r;
	}
	return room;
}

int
membudget_release(struct membudget *b)
{
	if (b == NULL)
		return 0;
	while (b->parent != NULL)
		b = b->parent;
	if (b->freed < MEMBUDGET_TRIM_BYTES || b->freed < b->used / 4)
		return 0;
	b->freed = 0;
	b->trims++;
	malloc_trim(0);
	return 1;
}
