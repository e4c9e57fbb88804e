/* SPDX-License-Identifier: MIT */
/*
 * lanturn-egress's batched sends (lanturn-egress/ubatch.h): how a batch
 * is cut into messages (runs of equal datagrams, the last shorter, with
 * UDP_SEGMENT; small ones plain), and, on loopback, that the receiver
 * gets exactly the datagrams queued, in order, each as it was sent,
 * whatever the batch (GSO changes nothing on the wire), and counts the
 * messages sent segmented; a send the kernel refuses falls back to plain
 * sends and counts each datagram lost once.
 */
#include "lanturn-egress/ubatch.h"

#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

START_TEST(test_runs)
{
	size_t n[] = { 1228, 1228, 1228, 700, 1228, 80, 80, 1228, 1228, 1300, 600, 600 };
	unsigned first[UBATCH_SEGS], segs[UBATCH_SEGS], cnt = sizeof(n) / sizeof(n[0]);
	size_t seg[UBATCH_SEGS];

	/* 1228 x3 + 700 (shorter: the last) | 1228 + 80 | 80 | 1228 x2 | 1300 + 600 | 600 */
	ck_assert_uint_eq(ubatch_runs(n, cnt, 1, first, segs, seg), 6);
	ck_assert_uint_eq(first[0], 0);
	ck_assert_uint_eq(segs[0], 4);
	ck_assert_uint_eq(seg[0], 1228);
	ck_assert_uint_eq(first[1], 4);
	ck_assert_uint_eq(segs[1], 2);
	ck_assert_uint_eq(seg[1], 1228);
	ck_assert_uint_eq(first[2], 6);
	ck_assert_uint_eq(segs[2], 1);
	ck_assert_uint_eq(seg[2], 0); /* small: plain */
	ck_assert_uint_eq(first[3], 7);
	ck_assert_uint_eq(segs[3], 2);
	ck_assert_uint_eq(seg[3], 1228); /* 1300 is larger: not in the run */
	ck_assert_uint_eq(first[4], 9);
	ck_assert_uint_eq(segs[4], 2);
	ck_assert_uint_eq(seg[4], 1300);
	ck_assert_uint_eq(first[5], 11); /* after a shorter one, a new run */
	ck_assert_uint_eq(segs[5], 1);
	ck_assert_uint_eq(seg[5], 600); /* a lone large datagram is segmented too */
	/* without GSO: one plain message each */
	ck_assert_uint_eq(ubatch_runs(n, cnt, 0, first, segs, seg), cnt);
	ck_assert_uint_eq(segs[3], 1);
	ck_assert_uint_eq(seg[3], 0);
	ck_assert_uint_eq(first[11], 11);
	ck_assert_uint_eq(ubatch_runs(n, 0, 1, first, segs, seg), 0);
}
END_TEST

static int
udp_pair(int *rx, struct sockaddr_in *to, int rcvbuf)
{
	socklen_t len = sizeof(*to);
	int tx;

	*rx = socket(AF_INET, SOCK_DGRAM, 0);
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(*rx, 0);
	ck_assert_int_ge(tx, 0);
	if (rcvbuf > 0)
		ck_assert_int_eq(setsockopt(*rx, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
	memset(to, 0, sizeof(*to));
	to->sin_family = AF_INET;
	to->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(*rx, (struct sockaddr *)to, sizeof(*to)), 0);
	ck_assert_int_eq(getsockname(*rx, (struct sockaddr *)to, &len), 0);
	return tx;
}

static void
fill(uint8_t *p, size_t n, unsigned i)
{
	size_t k;

	for (k = 0; k < n; k++)
		p[k] = (uint8_t)(i * 31 + k);
}

START_TEST(test_loopback_exact)
{
	static const size_t sizes[] = { 1228, 1228, 1228, 1228, 500, 1228, 1228, 90, 1228, 1228, 1228, 1228,
		1228, 1228, 1228, 1228, 1228, 1228, 1228, 1228, 1228, 1228, 1228, 1228, 1228, 1228, 1228, 1228,
		1228, 1228, 1228, 1228, 1228, 1228, 1000, 1228 };
	unsigned cnt = sizeof(sizes) / sizeof(sizes[0]), i;
	struct sockaddr_in to;
	struct ubatch *b;
	uint8_t p[2048], got[4096];
	int rx, tx = udp_pair(&rx, &to, 0);
	ssize_t r;

	ck_assert_ptr_nonnull(b = ubatch_new(tx));
	/* more than a batch: the 33rd datagram sends the first 32 */
	for (i = 0; i < cnt; i++) {
		fill(p, sizes[i], i);
		ubatch_send(b, (struct sockaddr *)&to, sizeof(to), p, sizes[i]);
	}
	ubatch_flush(b);
	ck_assert_uint_eq(ubatch_dropped(b), 0);
	ck_assert_uint_eq(ubatch_batches(b), 2);
	ck_assert_uint_ge(ubatch_gso(b), 4);
	for (i = 0; i < cnt; i++) {
		r = recv(rx, got, sizeof(got), MSG_DONTWAIT);
		ck_assert_int_eq(r, (ssize_t)sizes[i]);
		fill(p, sizes[i], i);
		ck_assert_mem_eq(got, p, sizes[i]);
	}
	ck_assert_int_eq(recv(rx, got, sizeof(got), MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ubatch_free(b);
	close(tx);
	close(rx);
}
END_TEST

/* A send the kernel refuses (here a socket that is not one): GSO is given up, each datagram counted once. */
START_TEST(test_refused)
{
	struct sockaddr_in to;
	struct ubatch *b;
	uint8_t p[1228];
	unsigned i;

	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons(9);
	ck_assert_ptr_nonnull(b = ubatch_new(-1));
	memset(p, 7, sizeof(p));
	for (i = 0; i < 10; i++)
		ubatch_send(b, (struct sockaddr *)&to, sizeof(to), p, i == 5 ? 100 : sizeof(p));
	ubatch_flush(b);
	ck_assert_uint_eq(ubatch_dropped(b), 10);
	ck_assert_uint_eq(ubatch_gso(b), 0);
	ubatch_send(b, (struct sockaddr *)&to, sizeof(to), p, sizeof(p));
	ubatch_flush(b);
	ck_assert_uint_eq(ubatch_dropped(b), 11);
	ck_assert_uint_eq(ubatch_gso(b), 0);
	ubatch_free(b);
}
END_TEST

static Suite *
ubatch_suite(void)
{
	Suite *s = suite_create("ubatch");
	TCase *tc = tcase_create("ubatch");

	tcase_add_test(tc, test_runs);
	tcase_add_test(tc, test_loopback_exact);
	tcase_add_test(tc, test_refused);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ubatch_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
