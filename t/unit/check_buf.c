/* SPDX-License-Identifier: MIT */
/*
 * Bounded buffer: capacity never grows, append is all-or-nothing, data
 * survives compaction byte for byte, and a long random walk of
 * appends/reads/consumes agrees with a trivial model.
 */
#include "base/buf.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_basic)
{
	struct buf b;
	size_t room;
	uint8_t *w;

	ck_assert_int_eq(buf_init(&b, 8), 0);
	ck_assert_uint_eq(buf_len(&b), 0);
	ck_assert_uint_eq(buf_room(&b), 8);
	ck_assert_int_eq(buf_append(&b, "abcde", 5), 0);
	ck_assert_uint_eq(buf_len(&b), 5);
	ck_assert_uint_eq(buf_room(&b), 3);
	ck_assert_mem_eq(buf_rptr(&b), "abcde", 5);
	/* All or nothing. */
	ck_assert_int_eq(buf_append(&b, "wxyz", 4), -1);
	ck_assert_uint_eq(buf_len(&b), 5);
	ck_assert_int_eq(buf_append(&b, "xyz", 3), 0);
	ck_assert_uint_eq(buf_room(&b), 0);
	ck_assert_mem_eq(buf_rptr(&b), "abcdexyz", 8);
	w = buf_wptr(&b, &room);
	ck_assert_ptr_nonnull(w);
	ck_assert_uint_eq(room, 0);
	ck_assert_int_eq(buf_append(&b, "", 0), 0);
	ck_assert_int_eq(buf_append(&b, NULL, 0), 0);

	buf_consume(&b, 3);
	ck_assert_mem_eq(buf_rptr(&b), "dexyz", 5);
	/* Room is made contiguous for a writer. */
	w = buf_wptr(&b, &room);
	ck_assert_uint_eq(room, 3);
	memcpy(w, "123", 3);
	buf_commit(&b, 3);
	ck_assert_mem_eq(buf_rptr(&b), "dexyz123", 8);

	buf_consume(&b, 100);
	ck_assert_uint_eq(buf_len(&b), 0);
	w = buf_wptr(&b, &room);
	ck_assert_uint_eq(room, 8);
	ck_assert_ptr_eq(w, b.data);

	buf_append(&b, "q", 1);
	buf_reset(&b);
	ck_assert_uint_eq(buf_len(&b), 0);
	ck_assert_uint_eq(buf_room(&b), 8);
	buf_free(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.cap, 0);
	buf_free(&b);
}
END_TEST

/* Append after a partial consume must move the data, not overwrite it. */
START_TEST(test_append_compacts)
{
	struct buf b;

	ck_assert_int_eq(buf_init(&b, 10), 0);
	ck_assert_int_eq(buf_append(&b, "0123456789", 10), 0);
	buf_consume(&b, 7);
	ck_assert_int_eq(buf_append(&b, "abcdefg", 7), 0);
	ck_assert_uint_eq(buf_len(&b), 10);
	ck_assert_mem_eq(buf_rptr(&b), "789abcdefg", 10);
	buf_free(&b);
}
END_TEST

START_TEST(test_zero_cap)
{
	struct buf b;
	size_t room = 99;

	ck_assert_int_eq(buf_init(&b, 0), 0);
	ck_assert_uint_eq(buf_room(&b), 0);
	ck_assert_int_eq(buf_append(&b, "a", 1), -1);
	ck_assert_int_eq(buf_append(&b, "", 0), 0);
	buf_wptr(&b, &room);
	ck_assert_uint_eq(room, 0);
	buf_free(&b);
}
END_TEST

/* Random operations against a flat model: contents and sizes always agree. */
START_TEST(test_model)
{
	enum { CAP = 97 };
	uint8_t model[CAP], tmp[CAP];
	size_t mlen = 0, i;
	unsigned seed = 12345;
	uint8_t next = 0;
	struct buf b;

	ck_assert_int_eq(buf_init(&b, CAP), 0);
	for (i = 0; i < 200000; i++) {
		unsigned op = (unsigned)rand_r(&seed) % 4;
		size_t n = (size_t)rand_r(&seed) % (CAP + 10), j;

		if (op == 0) {
			for (j = 0; j < n && j < sizeof(tmp); j++)
				tmp[j] = next++;
			if (n > sizeof(tmp))
				n = sizeof(tmp);
			if (buf_append(&b, tmp, n) == 0) {
				ck_assert_uint_le(mlen + n, CAP);
				memcpy(model + mlen, tmp, n);
				mlen += n;
			} else {
				ck_assert_uint_gt(mlen + n, CAP);
				next = (uint8_t)(next - n);
			}
		} else if (op == 1) {
			size_t room;
			uint8_t *w = buf_wptr(&b, &room);

			ck_assert_uint_le(room, CAP - mlen);
			ck_assert(w >= b.data && w + room <= b.data + b.cap);
			if (n > room)
				n = room;
			for (j = 0; j < n; j++)
				w[j] = model[mlen + j] = next++;
			buf_commit(&b, n);
			mlen += n;
		} else {
			if (n > mlen)
				n = mlen;
			buf_consume(&b, n);
			memmove(model, model + n, mlen - n);
			mlen -= n;
		}
		if (buf_len(&b) != mlen || buf_room(&b) != CAP - mlen ||
		    memcmp(buf_rptr(&b), model, mlen) != 0)
			ck_abort_msg("step %zu: buffer and model differ", i);
	}
	buf_free(&b);
}
END_TEST

/* Growable: starts without storage, first block exactly the size asked, never past the limit. */
START_TEST(test_grow)
{
	struct buf b;
	size_t room, i;
	uint8_t *w;

	memset(&b, 0, sizeof(b));
	buf_shrink(&b);
	ck_assert_ptr_null(b.data);
	w = buf_reserve(&b, 65536 + 100, 200000, &room);
	ck_assert_ptr_nonnull(w);
	ck_assert_uint_eq(room, 65536 + 100);
	ck_assert_uint_eq(b.cap, 65536 + 100);
	for (i = 0; i < 10; i++)
		w[i] = (uint8_t)i;
	buf_commit(&b, 10);
	/* Past the current block: doubles, keeps the bytes. */
	w = buf_reserve(&b, 70000, 200000, &room);
	ck_assert_uint_eq(room, 70000);
	ck_assert_uint_eq(b.cap, 2 * (65536 + 100));
	ck_assert_mem_eq(buf_rptr(&b), "\0\1\2\3\4\5\6\7\10\11", 10);
	memset(w, 'x', room);
	buf_commit(&b, room);
	/* The limit caps both the room and the block. */
	(void)buf_reserve(&b, 1000000, 200000, &room);
	ck_assert_uint_eq(room, 200000 - 70010);
	ck_assert_uint_le(b.cap, 200000);
	buf_commit(&b, room);
	(void)buf_reserve(&b, 1, 200000, &room);
	ck_assert_uint_eq(room, 0);
	/* Taking back a tentative write. */
	buf_trim(&b, 5);
	ck_assert_uint_eq(buf_len(&b), 200000 - 5);
	buf_shrink(&b);
	ck_assert_ptr_nonnull(b.data);
	buf_consume(&b, buf_len(&b));
	buf_trim(&b, 5);
	ck_assert_uint_eq(buf_len(&b), 0);
	buf_shrink(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.cap, 0);
	/* Small asks get BUF_GROW_MIN, and compaction makes the tail room. */
	(void)buf_reserve(&b, 10, 1 << 20, &room);
	ck_assert_uint_eq(b.cap, BUF_GROW_MIN);
	ck_assert_uint_eq(room, 10);
	buf_commit(&b, 10);
	buf_consume(&b, 4);
	w = buf_reserve(&b, BUF_GROW_MIN - 6, 1 << 20, &room);
	ck_assert_uint_eq(room, BUF_GROW_MIN - 6);
	ck_assert_uint_eq(b.cap, BUF_GROW_MIN);
	ck_assert(w == b.data + 6);
	buf_free(&b);
}
END_TEST

static Suite *
buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("buf");

	tcase_add_test(tc, test_basic);
	tcase_add_test(tc, test_append_compacts);
	tcase_add_test(tc, test_zero_cap);
	tcase_add_test(tc, test_model);
	tcase_add_test(tc, test_grow);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(buf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
