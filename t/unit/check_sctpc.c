/* SPDX-License-Identifier: MIT */
/*
 * The usrsctp adapter, two associations back to back in one process
 * (packets handed across by the test, no DTLS): simultaneous open,
 * messages from 1 byte to 200 KB delivered whole (usrsctp delivers the
 * big ones in parts), ordered and unordered, the send buffer's
 * backpressure and its writable callback, the reassembly cap that
 * aborts a peer sending more than our max-message-size, heartbeats on
 * demand, and a paused reader holding its peer back to the buffers.
 */
#include "sctp/sctpc.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define QMAX 4096

struct side {
	struct sctpc *s;
	struct side *peer;
	uint8_t *q[QMAX];
	size_t qlen[QMAX], qn;
	int up, down, writable;
	char why[128];
	size_t nmsg, last_len, bytes;
	uint32_t last_ppid;
	uint8_t last_first;
};

static struct side a, b;

static void
on_send(void *arg, const uint8_t *p, size_t n)
{
	struct side *x = arg;

	if (x->qn == QMAX)
		return; /* a full "link" drops, as UDP would */
	x->q[x->qn] = malloc(n);
	memcpy(x->q[x->qn], p, n);
	x->qlen[x->qn++] = n;
}

static void
on_up(void *arg)
{
	((struct side *)arg)->up = 1;
}

static void
on_message(void *arg, uint16_t sid, uint32_t ppid, const uint8_t *p, size_t n)
{
	struct side *x = arg;
	size_t i;

	(void)sid;
	x->nmsg++;
	x->last_len = n;
	x->last_ppid = ppid;
	x->last_first = n ? p[0] : 0;
	x->bytes += n;
	for (i = 0; i < n; i++)
		ck_assert_msg(p[i] == (uint8_t)(i * 7 + n), "message of %zu: byte %zu", n, i);
}

static void
on_writable(void *arg)
{
	((struct side *)arg)->writable++;
}

static void
on_down(void *arg, const char *why)
{
	struct side *x = arg;

	x->down = 1;
	strncpy(x->why, why, sizeof(x->why) - 1);
}

/* Hand every queued packet across, both ways, until both queues are empty. */
static void
pump(void)
{
	struct side *x;
	size_t i, n;
	int k, moved = 1;

	while (moved) {
		moved = 0;
		for (k = 0; k < 2; k++) {
			x = k ? &b : &a;
			n = x->qn;
			for (i = 0; i < n; i++) {
				if (x->peer->s != NULL)
					sctpc_input(x->peer->s, x->q[i], x->qlen[i]);
				free(x->q[i]);
				moved = 1;
			}
			memmove(x->q, x->q + n, (x->qn - n) * sizeof(x->q[0]));
			memmove(x->qlen, x->qlen + n, (x->qn - n) * sizeof(x->qlen[0]));
			x->qn -= n;
		}
	}
	sctpc_tick();
}

static void
open_pair(size_t max_a, size_t max_b)
{
	struct sctpc_opts oa = { .max_msg = max_a }, ob = { .max_msg = max_b };
	struct sctpc_cb cb = { .send = on_send, .up = on_up, .message = on_message,
		               .writable = on_writable, .down = on_down };
	char err[128];
	int i;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.peer = &b;
	b.peer = &a;
	ck_assert_int_eq(sctpc_global_init(), 0);
	cb.arg = &a;
	a.s = sctpc_new(&oa, &cb, err, sizeof(err));
	ck_assert_msg(a.s != NULL, "%s", err);
	cb.arg = &b;
	b.s = sctpc_new(&ob, &cb, err, sizeof(err));
	ck_assert_msg(b.s != NULL, "%s", err);
	ck_assert_int_eq(sctpc_connect(a.s), 0);
	ck_assert_int_eq(sctpc_connect(b.s), 0);
	for (i = 0; i < 100 && !(a.up && b.up); i++)
		pump();
	ck_assert(a.up && b.up);
}

static void
close_pair(void)
{
	sctpc_free(a.s);
	a.s = NULL;
	pump();
	sctpc_free(b.s);
	b.s = NULL;
	sctpc_global_finish();
}

static ssize_t
send_msg(struct side *x, size_t n, int unordered)
{
	uint8_t *p = malloc(n ? n : 1);
	size_t i;
	ssize_t w;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + n);
	w = sctpc_send(x->s, 1, 53, unordered, p, n);
	free(p);
	return w;
}

/*
 * CRC-32C one bit at a time (RFC 3309: reflected polynomial 0x82F63B78,
 * preset and final complement), the reference the table and the
 * hardware paths are checked against; it reads every byte as given.
 */
static uint32_t
crc32c_ref(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
	}
	return ~c;
}

/* RFC 3720 B.4's check value, and an SCTP packet's checksum field taken as zero. */
START_TEST(test_crc32c)
{
	uint8_t pkt[1200];
	uint32_t want;
	size_t i;

	ck_assert_uint_eq(sctpc_crc32c((const uint8_t *)"123456789", 9), 0xe3069283u);
	for (i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 7 + 1);
	want = sctpc_crc32c(pkt, sizeof(pkt));
	memset(pkt + 8, 0, 4);
	ck_assert_uint_eq(sctpc_crc32c(pkt, sizeof(pkt)), want);
	ck_assert_uint_eq(crc32c_ref(pkt, sizeof(pkt)), want); /* the field now zero: a plain CRC-32C */
	sctpc_global_init(); /* the hardware path, where there is one */
	ck_assert_uint_eq(sctpc_crc32c(pkt, sizeof(pkt)), want);
	ck_assert_uint_eq(sctpc_crc32c(pkt, 13), crc32c_ref(pkt, 13));
}
END_TEST

START_TEST(test_messages)
{
	static const size_t sizes[] = { 1, 2, 1000, 1200, 1201, 16384, 65536, 65537, 200000 };
	size_t i, want = 0;
	int j;

	open_pair(262144, 262144);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ck_assert_int_eq(send_msg(&a, sizes[i], (int)(i & 1)), (ssize_t)sizes[i]);
		want++;
		for (j = 0; j < 200 && b.nmsg < want; j++)
			pump();
		ck_assert_uint_eq(b.nmsg, want);
		ck_assert_uint_eq(b.last_len, sizes[i]);
		ck_assert_uint_eq(b.last_ppid, 53);
	}
	/* And back. */
	ck_assert_int_eq(send_msg(&b, 5000, 0), 5000);
	for (j = 0; j < 50 && a.nmsg < 1; j++)
		pump();
	ck_assert_uint_eq(a.last_len, 5000);
	ck_assert_int_eq(sctpc_heartbeat(a.s), 0);
	pump();
	ck_assert(!a.down && !b.down);
	close_pair();
}
END_TEST

START_TEST(test_backpressure)
{
	char desc[256];
	size_t queued = 0;
	ssize_t w;
	int j;

	open_pair(262144, 262144);
	/* Nothing handed across: the send buffer fills, then refuses. */
	while ((w = send_msg(&a, 16384, 0)) > 0)
		queued += (size_t)w;
	ck_assert_int_eq(w, 0);
	ck_assert_uint_le(queued, SCTPC_SEND_SPACE + 16384);
	ck_assert_uint_ge(queued, 16384);
	ck_assert_int_eq(a.writable, 0);
	for (j = 0; j < 500 && b.bytes < queued; j++)
		pump();
	ck_assert_uint_eq(b.bytes, queued);
	ck_assert_int_ge(a.writable, 1);
	ck_assert_int_gt(send_msg(&a, 16384, 0), 0);
	/* Nothing lost between the two: the log line says so. */
	sctpc_describe(a.s, desc, sizeof(desc));
	ck_assert_ptr_nonnull(strstr(desc, "peer window "));
	ck_assert_ptr_nonnull(strstr(desc, ": 0 DATA chunks retransmitted (0 fast), 0 T3 timeouts"));
	close_pair();
}
END_TEST

START_TEST(test_size_cap)
{
	int j;

	open_pair(262144, 4096);
	ck_assert_int_eq(send_msg(&a, 4096, 0), 4096);
	for (j = 0; j < 50 && b.nmsg < 1; j++)
		pump();
	ck_assert_uint_eq(b.nmsg, 1);
	/* One byte over what b advertised: b aborts rather than buffer it. */
	ck_assert_int_eq(send_msg(&a, 4097, 0), 4097);
	for (j = 0; j < 50 && !b.down; j++)
		pump();
	ck_assert(b.down);
	ck_assert_str_eq(b.why, "message over the size limit");
	ck_assert_uint_eq(b.nmsg, 1);
	ck_assert_int_eq(send_msg(&b, 10, 0), -1);
	close_pair();
}
END_TEST

START_TEST(test_pause)
{
	size_t queued = 0;
	ssize_t w;
	int j;

	open_pair(262144, 262144);
	sctpc_pause(b.s, 1);
	/* b takes nothing: a can get its own buffer and b's window full, no more. */
	for (j = 0; j < 2000; j++) {
		while ((w = send_msg(&a, 16384, 0)) > 0)
			queued += (size_t)w;
		ck_assert_int_eq(w, 0);
		pump();
	}
	ck_assert_uint_eq(b.nmsg, 0);
	ck_assert_uint_le(queued, SCTPC_SEND_SPACE + SCTPC_RECV_SPACE + 2 * 16384);
	ck_assert(!a.down && !b.down);
	sctpc_pause(b.s, 0);
	for (j = 0; j < 2000 && b.bytes < queued; j++) {
		pump();
		while (send_msg(&a, 0, 0) > 0)
			;
	}
	ck_assert_uint_eq(b.bytes, queued);
	close_pair();
}
END_TEST

static Suite *
sctpc_suite(void)
{
	Suite *s = suite_create("sctpc");
	TCase *tc = tcase_create("pair");

	tcase_add_test(tc, test_crc32c);
	tcase_add_test(tc, test_messages);
	tcase_add_test(tc, test_backpressure);
	tcase_add_test(tc, test_size_cap);
	tcase_add_test(tc, test_pause);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sctpc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
