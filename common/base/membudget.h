/* SPDX-License-Identifier: MIT */
/*
 * A byte budget (DESIGN.md §8): what a session, or a whole process,
 * holds in heap allocations, counted by allocation size, with a limit
 * that refuses new work instead of letting the process grow. Budgets
 * nest: a session's budget names the process budget as its parent, and
 * every charge or uncharge is applied at every level, so the process
 * total is always the sum of what its sessions hold.
 *
 * Two kinds of charge: membudget_charge() refuses (and charges nothing)
 * when any level would pass its limit, for what can be dropped or
 * deferred (an out-of-order segment, a write); membudget_force() always
 * charges, for what is bounded elsewhere and must be held (bytes an
 * engine has already accepted). No locking: one event loop owns it.
 *
 * Freed memory only leaves the process if malloc gives it back to the
 * kernel, and glibc does that by itself only for the top of the heap:
 * what a flood of sessions leaves behind is scattered. membudget_release()
 * calls malloc_trim(0) once what was freed since the last trim reaches
 * MEMBUDGET_TRIM_BYTES and a quarter of what is still held, so trims
 * (each a walk of the heap) cost O(1) per byte freed however many
 * sessions end at once, and the last of a burst is trimmed too.
 */
#ifndef PW_MEMBUDGET_H
#define PW_MEMBUDGET_H

#include <stddef.h>
#include <stdint.h>

/* glibc's chunk header and alignment, so small allocations count what they cost. */
#define MEMBUDGET_MALLOC_OVERHEAD 16
#define MEMBUDGET_TRIM_BYTES (8u << 20) /* freed since the last trim before trimming again */

struct membudget {
	size_t used;              /* bytes charged now */
	size_t limit;             /* 0: no limit */
	size_t peak;              /* most ever charged at once */
	uint64_t refused;         /* charges refused at this level */
	size_t freed;             /* uncharged since the last trim (top level only) */
	uint64_t trims;           /* malloc_trim calls made for it */
	struct membudget *parent; /* NULL at the top */
};

/* limit 0: count only. parent may be NULL. */
void membudget_init(struct membudget *b, size_t limit, struct membudget *parent);

/* What n bytes of malloc cost, header included. */
static inline size_t
membudget_cost(size_t n)
{
	return (n + MEMBUDGET_MALLOC_OVERHEAD + 15) & ~(size_t)15;
}

/* 1 when charging n bytes would pass the limit of b or of any parent. b may be NULL (0). */
int membudget_would_exceed(const struct membudget *b, size_t n);

/*
 * Admission of work that would hold about n bytes later: 1 (refused, and
 * counted at the first full level, as membudget_charge counts) when n
 * would pass a limit of b or of a parent, else 0. b may be NULL (0).
 */
int membudget_refuse(struct membudget *b, size_t n);

/* Charge n at every level: 0, or -1 (refused counted, nothing charged). b may be NULL (0). */
int membudget_charge(struct membudget *b, size_t n);

/* Charge n at every level even past a limit. b may be NULL. */
void membudget_force(struct membudget *b, size_t n);

/* Give back n bytes charged before. b may be NULL. */
void membudget_uncharge(struct membudget *b, size_t n);

/* The top of b's chain (b itself without a parent); NULL for NULL. */
static inline const struct membudget *
membudget_top(const struct membudget *b)
{
	while (b != NULL && b->parent != NULL)
		b = b->parent;
	return b;
}

/* Bytes b could still take before its own or a parent's limit (SIZE_MAX: none). */
size_t membudget_room(const struct membudget *b);

/*
 * Hand freed heap back to the kernel when the top budget of b has seen
 * at least MEMBUDGET_TRIM_BYTES, and a quarter of what it still holds,
 * freed since the last trim. 1 when it trimmed. b may be NULL (0).
 */
int membudget_release(struct membudget *b);

#endif
