/* SPDX-License-Identifier: MIT */
/*
 * lanturn-egress's batched sends (lanturn-egress/ubatch.h): on loopback
 * the receiver gets exactly the datagrams queued, in order, each as it
 * was sent, across a full batch and datagrams of every size; a send the
 * kernel refuses counts each datagram lost once.
 */
#include "lanturn-egress/ubatch.h"

#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* A send the kernel refuses (here a socket that is not one): each datagram counted once. */
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
	ubatch_send(b, (struct sockaddr *)&to, sizeof(to), p, sizeof(p));
	ubatch_flush(b);
	ck_assert_uint_eq(ubatch_dropped(b), 11);
	ck_assert_uint_eq(ubatch_batches(b), 1);
	ubatch_free(b);
}
END_TEST

static Suite *
ubatch_suite(void)
{
	Suite *s = suite_create("ubatch");
	TCase *tc = tcase_create("ubatch");

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
