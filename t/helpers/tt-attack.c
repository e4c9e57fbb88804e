/* SPDX-License-Identifier: MIT */
/*
 * tt-attack — hostile Turbo Tunnel peers, for the egress's attack tests.
 *
 *   tt-attack [-s SRCADDR] [-w SECONDS] silent ENDPOINT N
 *   tt-attack [-s SRCADDR] [-w SECONDS] preamble ENDPOINT N
 *   tt-attack [-s SRCADDR] [-w SECONDS] [-F FINGERPRINT -c CREDFILE] streams ENDPOINT N
 *   tt-attack [-k] hijack ENDPOINT CLIENTID_HEX CONV_HEX SECONDS
 *
 * silent opens N connections and sends nothing; preamble sends only the
 * Turbo Tunnel preamble with a random ClientID on each. Both print
 * "ready N" once all are open, then wait until the peer has closed them
 * all or -w SECONDS (default 30) passed, and print
 * "closed K of N after S s" (S: when the last of the K closed, counted
 * from "ready"), plus "open M after W s" when some outlived the wait.
 * -s binds the connections (of streams too) to a source address (tcp: only).
 *
 * Every carrier announces a secure session (the egress serves only those
 * without --upstream): the attacks on KCP and the ClientMap happen below
 * TLS. streams is one real session (KCP + smux over one carrier, with
 * -F and -c a secure one, pinning FINGERPRINT and presenting the
 * credentials in CREDFILE, "NAME SECRET") that opens N
 * streams and never sends a destination. It prints "ready K" when the
 * egress first closes a stream (a cap was hit), then, when every stream
 * was closed or after -w, "closed K of N after S s".
 *
 * hijack speaks as the holder of a live ClientID without being it: on
 * one carrier a well-formed segment 0 PUSH of another conversation; on
 * two more, datagrams of the victim's conversation whose content is
 * zeros or random bytes; with -k one more carrying a well-formed WASK
 * of the victim's conversation. It reads for SECONDS and prints one line
 * per carrier, "NAME bytes B closed C" (C 1 when the egress closed it).
 *
 * Exit 0, 1 on a connect or session failure, 100 on usage errors.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/exitcodes.h"
#include "base/log.h"
#include "base/num.h"
#include "net/endpoint.h"
#include "net/net.h"
#include "proto/frame.h"
#include "proto/preamble.h"
#include "tls/tlsmem.h"
#include "tt/kcp.h"
#include "tt/pktq.h"
#include "tt/tunnel.h"

#define ATT_CONNS_MAX 20000
#define ATT_STREAMS_MAX 100000

static const char *src_addr;
static double max_wait = 30;
static const char *sec_fp, *sec_cred; /* streams: -F, -c */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
usage(void)
{
	fprintf(stderr, "usage: tt-attack [-s SRCADDR] [-w SECONDS] silent|preamble ENDPOINT N\n"
	                "       tt-attack [-s SRCADDR] [-w SECONDS] [-F FINGERPRINT -c CREDFILE] streams ENDPOINT N\n"
	                "       tt-attack [-k] hijack ENDPOINT CLIENTID_HEX CONV_HEX SECONDS\n");
	exit(EX_PW_USAGE);
}

/* A blocking connection to ep, from src_addr when set. Fatal on failure. */
static int
att_connect(const struct endpoint *ep)
{
	struct sockaddr_storage ss, src;
	socklen_t len, slen;
	int fd;

	if (ep->kind == EP_UNIX) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&ss;

		memset(sun, 0, sizeof(*sun));
		sun->sun_family = AF_UNIX;
		if (strlen(ep->path) >= sizeof(sun->sun_path))
			fatalx(EX_PW_USAGE, "unix path too long");
		memcpy(sun->sun_path, ep->path, strlen(ep->path));
		len = sizeof(*sun);
	} else if (ep->kind != EP_TCP || net_resolve_once(ep->host, ep->port, &ss, &len) != 0)
		fatalx(EX_PW_USAGE, "want a tcp:HOST:PORT or unix:PATH endpoint");
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal(EX_PW_TEMP, "socket");
	if (src_addr != NULL && ep->kind == EP_TCP) {
		if (net_resolve_once(src_addr, 0, &src, &slen) != 0)
			fatalx(EX_PW_USAGE, "-s %s: not an address", src_addr);
		if (bind(fd, (struct sockaddr *)&src, slen) == -1)
			fatal(EX_PW_TEMP, "bind %s", src_addr);
	}
	if (connect(fd, (struct sockaddr *)&ss, len) == -1)
		fatal(EX_PW_TEMP, "connect");
	return fd;
}

static void
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			fatal(EX_PW_TEMP, "write");
		p += w;
		n -= (size_t)w;
	}
}

/* The preamble for id, then each datagram framed, in one write. */
static void
send_carrier(int fd, const uint8_t id[CLIENTID_LEN], const uint8_t *pkt, size_t n)
{
	uint8_t out[PREAMBLE_LEN + FRAME_PREFIX_MAX + KCP_MTU_MAX];
	ssize_t f = 0;

	preamble_encode_kind(id, 1, out);
	if (pkt != NULL && (f = frame_encode_data(pkt, n, out + PREAMBLE_LEN,
	                                          sizeof(out) - PREAMBLE_LEN)) == -1)
		fatalx(EX_PW_INTERNAL, "frame");
	write_all(fd, out, PREAMBLE_LEN + (size_t)f);
}

/*
 * Read every fd until the peer closes it or `wait` seconds pass; done[i]
 * gets the close time (relative to t0), bytes[i] what was read. Returns
 * how many closed. Stops early once all are closed.
 */
static size_t
drain(const int *fds, size_t n, double t0, double wait, double *done, uint64_t *bytes)
{
	struct pollfd *pf = calloc(n, sizeof(*pf));
	uint8_t buf[4096];
	size_t i, nclosed = 0;

	if (pf == NULL)
		fatalx(EX_PW_INTERNAL, "out of memory");
	for (i = 0; i < n; i++) {
		pf[i].fd = fds[i];
		pf[i].events = POLLIN;
	}
	while (nclosed < n) {
		double left = t0 + wait - now_s();
		int r;

		if (left <= 0)
			break;
		if ((r = poll(pf, n, (int)(left * 1000) + 1)) == -1 && errno != EINTR)
			fatal(EX_PW_INTERNAL, "poll");
		for (i = 0; r > 0 && i < n; i++) {
			ssize_t got;

			if (pf[i].fd < 0 || pf[i].revents == 0)
				continue;
			got = read(pf[i].fd, buf, sizeof(buf));
			if (got > 0) {
				bytes[i] += (uint64_t)got;
				continue;
			}
			if (got == -1 && (errno == EINTR || errno == EAGAIN))
				continue;
			done[i] = now_s() - t0;
			pf[i].fd = -1;
			nclosed++;
		}
	}
	free(pf);
	return nclosed;
}

static void
report(size_t nclosed, size_t n, const double *done, double waited)
{
	double last = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (done[i] > last)
			last = done[i];
	printf("closed %zu of %zu after %.2f s\n", nclosed, n, last);
	if (nclosed < n)
		printf("open %zu after %.2f s\n", n - nclosed, waited);
}

/* --- silent, preamble ----------------------------------------------------- */

static int
run_idle(const struct endpoint *ep, size_t n, int preamble)
{
	int *fds = calloc(n, sizeof(*fds));
	double *done = calloc(n, sizeof(*done));
	uint64_t *bytes = calloc(n, sizeof(*bytes));
	uint8_t id[CLIENTID_LEN];
	size_t i, nclosed;
	double t0;

	if (fds == NULL || done == NULL || bytes == NULL)
		fatalx(EX_PW_INTERNAL, "out of memory");
	for (i = 0; i < n; i++) {
		fds[i] = att_connect(ep);
		if (preamble) {
			if (clientid_random(id) == -1)
				fatal(EX_PW_INTERNAL, "getrandom");
			send_carrier(fds[i], id, NULL, 0);
		}
	}
	t0 = now_s();
	printf("ready %zu\n", n);
	fflush(stdout);
	nclosed = drain(fds, n, t0, max_wait, done, bytes);
	report(nclosed, n, done, now_s() - t0);
	for (i = 0; i < n; i++)
		if (fds[i] != -1)
			close(fds[i]);
	free(fds);
	free(done);
	free(bytes);
	return 0;
}

/* --- streams -------------------------------------------------------------- */

struct sess {
	int fd;
	struct tunnel *t;
	struct frame_reader fr;
	uint8_t pkt[PKTQ_PKT_MAX];
	size_t opened, nclosed, n;
	double t0, last_close;
	int ready;
};

static uint64_t
now_ms(void)
{
	return (uint64_t)(now_s() * 1000.0);
}

static void
sess_packet(void *arg, const uint8_t *pkt, size_t n)
{
	struct sess *s = arg;
	uint8_t out[FRAME_PREFIX_MAX + PKTQ_PKT_MAX];
	ssize_t f = frame_encode_data(pkt, n, out, sizeof(out));

	if (f > 0)
		write_all(s->fd, out, (size_t)f);
}

/* Whatever the egress sends on a stream, EOF ends it: count and forget it. */
static void
sess_readable(void *arg, uint32_t sid)
{
	struct sess *s = arg;
	uint8_t buf[512];
	ssize_t r;

	while ((r = tunnel_read(s->t, sid, buf, sizeof(buf))) > 0)
		;
	if (r == -1 && errno == EAGAIN)
		return;
	tunnel_close(s->t, sid);
	s->nclosed++;
	s->last_close = now_s() - s->t0;
	if (!s->ready) {
		printf("ready %zu\n", s->opened);
		fflush(stdout);
		s->ready = 1;
	}
}

static void
sess_writable(void *arg, uint32_t sid)
{
	(void)arg;
	(void)sid;
}

/* Open what smux lets us open now; the rest once refused ones are gone. */
static void
sess_open_more(struct sess *s)
{
	uint32_t sid;

	while (s->opened < s->n && tunnel_open(s->t, &sid) == 0) {
		if (tunnel_set_user(s->t, sid, s) == -1)
			fatalx(EX_PW_INTERNAL, "out of memory");
		s->opened++;
	}
	tunnel_flush(s->t);
}

static void
sess_input(struct sess *s, const uint8_t *p, size_t n)
{
	size_t used, len;
	int trunc, r;

	while (n > 0) {
		if ((r = frame_reader_feed(&s->fr, p, n, &used, s->pkt, &len, &trunc)) == -1)
			fatalx(EX_PW_TEMP, "bad encapsulation from the egress");
		p += used;
		n -= used;
		if (r == FRAME_READER_PKT)
			(void)tunnel_input(s->t, s->pkt, len, now_ms());
	}
	tunnel_flush(s->t);
}

static int
run_streams(const struct endpoint *ep, size_t n)
{
	static const struct tunnel_cb cb = { sess_packet, NULL, sess_readable, sess_writable,
		                             NULL, NULL, NULL };
	struct tunnel_config cfg = { .fast_resend = 2 };
	struct sess s = { 0 };
	uint8_t pin[TLSMEM_PIN_LEN];
	char cred[256], err[TLS_ERR_MAX], *sp;
	FILE *f;
	uint8_t id[CLIENTID_LEN], buf[65536];
	uint32_t conv;
	double done = 0;

	s.n = n;
	s.fd = att_connect(ep);
	if (clientid_random(id) == -1 || getrandom(&conv, sizeof(conv), 0) != sizeof(conv))
		fatal(EX_PW_INTERNAL, "getrandom");
	send_carrier(s.fd, id, NULL, 0);
	frame_reader_init(&s.fr, PKTQ_PKT_MAX);
	if (sec_fp != NULL) {
		if (tlsmem_pin_parse(sec_fp, pin) == -1 || (f = fopen(sec_cred, "re")) == NULL ||
		    fgets(cred, sizeof(cred), f) == NULL || (sp = strchr(cred, ' ')) == NULL)
			fatalx(EX_PW_USAGE, "-F or -c: bad fingerprint or credentials file");
		fclose(f);
		*sp++ = '\0';
		sp[strcspn(sp, "\r\n")] = '\0';
		if ((cfg.tls = tlsmem_ctx_client(err, sizeof(err))) == NULL)
			fatalx(EX_PW_INTERNAL, "%s", err);
		cfg.pin = pin;
		cfg.user = cred;
		cfg.secret = (const uint8_t *)sp;
		cfg.secret_len = strlen(sp);
	}
	if ((s.t = tunnel_new(1, conv, &cfg, &cb, &s, now_ms())) == NULL)
		fatalx(EX_PW_INTERNAL, "out of memory");
	s.t0 = now_s();
	while (s.nclosed < n && now_s() - s.t0 < max_wait && !tunnel_dead(s.t)) {
		struct pollfd pf = { s.fd, POLLIN, 0 };
		uint64_t now = now_ms(), next;
		ssize_t r;

		sess_open_more(&s);
		next = tunnel_next(s.t, now);
		if (poll(&pf, 1, next > now + 100 ? 100 : (int)(next - now)) == -1 && errno != EINTR)
			fatal(EX_PW_INTERNAL, "poll");
		if (pf.revents) {
			if ((r = read(s.fd, buf, sizeof(buf))) <= 0)
				break;
			sess_input(&s, buf, (size_t)r);
		}
		tunnel_tick(s.t, now_ms());
	}
	done = now_s() - s.t0;
	printf("closed %zu of %zu after %.2f s\n", s.nclosed, n, s.last_close);
	if (s.nclosed < n)
		printf("open %zu after %.2f s (%s)\n", n - s.nclosed, done,
		       tunnel_dead(s.t) ? tunnel_error(s.t) : "carrier or wait over");
	tunnel_free(s.t);
	if (cfg.tls != NULL)
		tlsmem_ctx_free(cfg.tls);
	close(s.fd);
	return 0;
}

/* --- hijack --------------------------------------------------------------- */

static void
parse_hex(const char *s, uint8_t *out, size_t n)
{
	size_t i;

	if (strlen(s) != 2 * n)
		usage();
	for (i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			usage();
		out[i] = (uint8_t)v;
	}
}

/* One KCP segment header (24 bytes) plus len bytes of payload at p. */
static size_t
kcp_seg(uint8_t *p, uint32_t conv, uint8_t cmd, const uint8_t *data, uint32_t len)
{
	struct kcp_seghdr h = { conv, cmd, 0, 256, 0, 0, 0, len };

	(void)kcp_seg_encode(&h, p, KCP_OVERHEAD);
	if (len > 0)
		memcpy(p + KCP_OVERHEAD, data, len);
	return KCP_OVERHEAD + len;
}

static int
run_hijack(const struct endpoint *ep, const char *idhex, const char *convhex, double seconds,
           int wask)
{
	static const char *names[] = { "foreign", "zeros", "garbage", "wask" };
	uint8_t id[CLIENTID_LEN], cb[4], pkt[128], junk[64];
	int fds[4];
	double done[4] = { 0 };
	uint64_t bytes[4] = { 0 };
	uint32_t conv;
	size_t i, n = wask ? 4 : 3, len;

	parse_hex(idhex, id, CLIENTID_LEN);
	parse_hex(convhex, cb, 4);
	/* As pw prints it: the conv as a number, big-endian hex. */
	conv = (uint32_t)cb[0] << 24 | (uint32_t)cb[1] << 16 | (uint32_t)cb[2] << 8 | cb[3];
	if (getrandom(junk, sizeof(junk), 0) != sizeof(junk))
		fatal(EX_PW_INTERNAL, "getrandom");
	for (i = 0; i < n; i++)
		fds[i] = att_connect(ep);
	/* (a) segment 0 of a conversation the victim's session is not. */
	len = kcp_seg(pkt, conv ^ 0x5a5a5a5a, KCP_CMD_PUSH, (const uint8_t *)"hello", 5);
	send_carrier(fds[0], id, pkt, len);
	/* (b) the victim's conversation, then nothing that is KCP. */
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = (uint8_t)conv, pkt[1] = (uint8_t)(conv >> 8);
	pkt[2] = (uint8_t)(conv >> 16), pkt[3] = (uint8_t)(conv >> 24);
	send_carrier(fds[1], id, pkt, KCP_OVERHEAD + 8);
	memcpy(pkt + 4, junk, sizeof(junk));
	send_carrier(fds[2], id, pkt, 4 + sizeof(junk));
	/* (c) a window probe: valid KCP of the victim's conversation, no data. */
	if (wask) {
		len = kcp_seg(pkt, conv, KCP_CMD_WASK, NULL, 0);
		send_carrier(fds[3], id, pkt, len);
	}
	(void)drain(fds, n, now_s(), seconds, done, bytes);
	for (i = 0; i < n; i++)
		printf("%s bytes %llu closed %d\n", names[i], (unsigned long long)bytes[i],
		       done[i] > 0);
	return 0;
}

int
main(int argc, char **argv)
{
	struct endpoint ep;
	char err[128];
	uint64_t n = 0;
	int c, wask = 0;

	log_init("tt-attack", LOG_LVL_INFO);
	while ((c = getopt(argc, argv, "F:c:ks:w:")) != -1) {
		switch (c) {
		case 'F':
			sec_fp = optarg;
			break;
		case 'c':
			sec_cred = optarg;
			break;
		case 'k':
			wask = 1;
			break;
		case 's':
			src_addr = optarg;
			break;
		case 'w':
			max_wait = strtod(optarg, NULL);
			if (!(max_wait > 0))
				usage();
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 3)
		usage();
	if (endpoint_parse(argv[1], &ep, err, sizeof(err)) == -1)
		fatalx(EX_PW_USAGE, "%s: %s", argv[1], err);
	if (strcmp(argv[0], "hijack") == 0) {
		if (argc != 5)
			usage();
		return run_hijack(&ep, argv[2], argv[3], strtod(argv[4], NULL), wask);
	}
	if (argc != 3)
		usage();
	if (strcmp(argv[0], "streams") == 0) {
		if (num_parse_u64(argv[2], 1, ATT_STREAMS_MAX, &n) == -1)
			usage();
		return run_streams(&ep, (size_t)n);
	}
	if (num_parse_u64(argv[2], 1, ATT_CONNS_MAX, &n) == -1)
		usage();
	if (strcmp(argv[0], "silent") == 0)
		return run_idle(&ep, (size_t)n, 0);
	if (strcmp(argv[0], "preamble") == 0)
		return run_idle(&ep, (size_t)n, 1);
	usage();
	return EX_PW_USAGE;
}
