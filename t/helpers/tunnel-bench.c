/* SPDX-License-Identifier: MIT */
/*
 * tunnel-bench — in-process session throughput, plaintext against
 * secure: a client and a server tunnel (KCP + smux, and in secure mode
 * TLS 1.3 between them) joined by a lossless link on a simulated clock,
 * one stream pushed from server to client (a download), wall-clock MB/s
 * reported for each mode and their ratio. No syscalls, framing or
 * carriers: the engine alone, so TLS's share is as large as it can be.
 *
 *   tunnel-bench [-n MIB]
 *
 * Prints "plaintext MBS ROUNDS", "secure MBS ROUNDS" (with the cipher
 * suite) and "ratio R"; ROUNDS is how many link round trips passed from
 * the session's start, with the stream opened at once, until the server
 * accepted the stream. Exit 0, 1 when a transfer stalls or a session dies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/exitcodes.h"
#include "base/log.h"
#include "base/num.h"
#include "tls/tlsmem.h"
#include "tt/tunnel.h"

#define LINK_MAX 20000

struct pkt {
	uint16_t n;
	uint8_t d[1400];
};

struct side {
	struct tunnel *t;
	struct pkt *q; /* toward the other side */
	size_t qlen;
	uint32_t accepted;
};

static struct side cli, srv;
static uint64_t now;
static unsigned rounds; /* of the last run, until the stream was accepted */
static char cipher[64] = "none"; /* the suite the last secure run negotiated */

static void
on_packet(void *arg, const uint8_t *p, size_t n)
{
	struct side *s = arg;

	if (s->qlen < LINK_MAX && n <= sizeof(s->q[0].d)) {
		memcpy(s->q[s->qlen].d, p, n);
		s->q[s->qlen++].n = (uint16_t)n;
	}
}

static void
on_accept(void *arg, uint32_t sid)
{
	((struct side *)arg)->accepted = sid;
}

static void
on_nothing(void *arg, uint32_t sid)
{
	(void)arg;
	(void)sid;
}

static int
on_auth(void *arg, const char *name, const uint8_t *secret, size_t slen)
{
	(void)arg;
	(void)name;
	(void)secret;
	(void)slen;
	return 0;
}

static void
deliver(struct side *from, struct side *to)
{
	size_t i;

	for (i = 0; i < from->qlen; i++)
		(void)tunnel_input(to->t, from->q[i].d, from->q[i].n, now);
	from->qlen = 0;
	tunnel_flush(to->t);
}

static void
step(void)
{
	deliver(&cli, &srv);
	deliver(&srv, &cli);
	now++;
	if (tunnel_next(cli.t, now) <= now)
		tunnel_tick(cli.t, now);
	if (tunnel_next(srv.t, now) <= now)
		tunnel_tick(srv.t, now);
}

static double
wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* total bytes server -> client on one stream: MB/s of wall-clock time. */
static double
run(const struct tunnel_config *ccfg, const struct tunnel_config *scfg, size_t total)
{
	static const struct tunnel_cb cb = { on_packet, on_accept, on_nothing, on_nothing,
		                             NULL, NULL, on_auth };
	static uint8_t buf[65536];
	size_t sent = 0, got = 0;
	uint32_t sid;
	double t0;
	ssize_t r;

	memset(buf, 'z', sizeof(buf));
	cli.t = tunnel_new(1, 0x2468ace0, ccfg, &cb, &cli, now);
	srv.t = tunnel_new(0, 0x2468ace0, scfg, &cb, &srv, now);
	if (cli.t == NULL || srv.t == NULL || tunnel_open(cli.t, &sid) == -1)
		fatalx(EX_PW_INTERNAL, "cannot start the sessions");
	srv.accepted = 0;
	/* Each step carries what is queued both ways: one round trip at most. */
	for (rounds = 0; srv.accepted == 0 && rounds < 100000; rounds++) {
		deliver(&cli, &srv);
		if (srv.accepted == 0)
			deliver(&srv, &cli);
	}
	t0 = wall();
	while (got < total) {
		while (sent < total && (r = tunnel_write(srv.t, srv.accepted, buf,
		                                         total - sent < sizeof(buf) ? total - sent
		                                                                    : sizeof(buf))) > 0)
			sent += (size_t)r;
		step();
		while ((r = tunnel_read(cli.t, sid, buf, sizeof(buf))) > 0)
			got += (size_t)r;
		if (tunnel_dead(cli.t) || tunnel_dead(srv.t))
			fatalx(EX_PW_TEMP, "session died: %s", tunnel_error(tunnel_dead(cli.t) ? cli.t
			                                                                   : srv.t));
	}
	t0 = wall() - t0;
	if (tunnel_cipher(cli.t) != NULL)
		snprintf(cipher, sizeof(cipher), "%s", tunnel_cipher(cli.t));
	tunnel_free(cli.t);
	tunnel_free(srv.t);
	return (double)total / 1e6 / t0;
}

int
main(int argc, char **argv)
{
	struct tunnel_config p = { .fast_resend = 2 }, c = p, s = p;
	char pem[TLSMEM_KEY_PEM_MAX], path[] = "/tmp/tunnel-bench.XXXXXX", fp[TLSMEM_FP_LEN + 1];
	char err[TLS_ERR_MAX];
	uint8_t pin[TLSMEM_PIN_LEN];
	struct tlsmem_key *k;
	uint64_t mib = 512;
	double mp, ms;
	unsigned rp;
	int fd, n;

	if (argc == 3 && strcmp(argv[1], "-n") == 0) {
		if (num_parse_u64(argv[2], 1, 1 << 20, &mib) == -1)
			fatalx(EX_PW_USAGE, "usage: tunnel-bench [-n MIB]");
	} else if (argc != 1) {
		fatalx(EX_PW_USAGE, "usage: tunnel-bench [-n MIB]");
	}
	cli.q = calloc(LINK_MAX, sizeof(struct pkt));
	srv.q = calloc(LINK_MAX, sizeof(struct pkt));
	if (cli.q == NULL || srv.q == NULL)
		fatalx(EX_PW_INTERNAL, "out of memory");
	if ((n = tlsmem_key_generate(pem, sizeof(pem))) < 0 || (fd = mkstemp(path)) == -1 ||
	    write(fd, pem, (size_t)n) != n || close(fd) == -1 ||
	    (k = tlsmem_key_load(path, err, sizeof(err))) == NULL)
		fatalx(EX_PW_INTERNAL, "cannot make a key");
	unlink(path);
	tlsmem_key_fingerprint(k, fp);
	(void)tlsmem_pin_parse(fp, pin);
	if ((s.tls = tlsmem_ctx_server(k, err, sizeof(err))) == NULL ||
	    (c.tls = tlsmem_ctx_client(err, sizeof(err))) == NULL)
		fatalx(EX_PW_INTERNAL, "%s", err);
	tlsmem_key_free(k);
	c.pin = pin;
	c.user = "bench";
	c.secret = (const uint8_t *)"bench";
	c.secret_len = 5;
	mp = run(&p, &p, (size_t)mib << 20);
	rp = rounds;
	ms = run(&c, &s, (size_t)mib << 20);
	printf("plaintext %.1f %u\nsecure %.1f %u %s\nratio %.2f\n", mp, rp, ms, rounds, cipher,
	       ms / mp);
	tlsmem_ctx_free(s.tls);
	tlsmem_ctx_free(c.tls);
	free(cli.q);
	free(srv.q);
	return 0;
}
