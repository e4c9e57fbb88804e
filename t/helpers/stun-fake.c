/* SPDX-License-Identifier: MIT */
/*
 * stun-fake — a misbehaving STUN server for the failure-path tests of
 * the STUN client code. It listens on loopback, port 0, over UDP (and
 * TCP with -t), prints "ready udp:127.0.0.1:PORT" (then "ready
 * tcp:127.0.0.1:PORT") and answers every Binding request according to
 * MODE:
 *
 *   ok               success: XOR-MAPPED-ADDRESS, SOFTWARE, FINGERPRINT
 *                    (and MESSAGE-INTEGRITY keyed with -p, if given)
 *   garbage          32 to 95 random bytes
 *   wrong-tid        the ok response with another transaction id
 *   bad-integrity    MESSAGE-INTEGRITY under a key other than -p
 *   bad-fingerprint  the ok response with a wrong FINGERPRINT
 *   truncated        the ok response without its last 4 bytes (over
 *                    TCP the connection is then closed)
 *   silent           nothing
 *   error            a 400 error response with FINGERPRINT
 *
 * Anything that is not a Binding request is ignored. It exits on SIGTERM
 * or SIGINT and, with -e, when stdin reaches EOF. TCP connections are
 * capped at FAKE_CONNS_MAX and hold one FAKE_IN_MAX input buffer each; a
 * response that cannot be written at once closes the connection (they
 * are under 200 bytes, so that means the peer is not reading).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include "tls/crypto.h"
#include "net/endpoint.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "net/net.h"
#include "proto/stun.h"

#define USAGE "usage: stun-fake [-eqtv] [-p PASSWORD] MODE"
#define FAKE_IN_MAX 2048          /* bytes buffered per TCP connection */
#define FAKE_CONNS_MAX 64
#define FAKE_OUT_MAX 512
#define FAKE_SOFTWARE "pipeworks stun-fake"

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

enum mode { M_OK, M_GARBAGE, M_WRONG_TID, M_BAD_MI, M_BAD_FP, M_TRUNCATED, M_SILENT, M_ERROR };

static const char *const mode_names[] = {
	"ok", "garbage", "wrong-tid", "bad-integrity", "bad-fingerprint", "truncated", "silent", "error",
};

struct conn {
	ev_io io;
	struct conn *prev, *next;
	int fd;
	size_t inlen;
	uint8_t in[FAKE_IN_MAX];
	struct sockaddr_storage peer;
	socklen_t peerlen;
};

static struct ev_loop *loop;
static enum mode mode;
static const char *password;
static struct conn *conns;
static size_t nconns;

/*
 * The answer to the request m from peer, per mode: its length in out,
 * 0 for no answer, -1 on a build failure.
 */
static ssize_t
answer(const struct stun_msg *m, const struct sockaddr *peer, uint8_t *out, size_t cap)
{
	struct stun_builder b;
	uint8_t tid[STUN_TID_LEN];
	uint32_t r;
	ssize_t k;

	if (mode == M_SILENT)
		return 0;
	if (mode == M_GARBAGE) {
		if (crypto_random(&r, sizeof(r)) < 0 || crypto_random(out, 95) < 0)
			return -1;
		return 32 + (ssize_t)(r % 64);
	}
	memcpy(tid, m->tid, sizeof(tid));
	if (mode == M_WRONG_TID)
		tid[0] ^= 0x55;
	if (mode == M_ERROR) {
		stun_build_begin(&b, out, cap, STUN_BINDING, STUN_ERROR_RESP, tid);
		stun_add_error(&b, STUN_ERR_BAD_REQUEST, "Bad Request");
	} else {
		stun_build_begin(&b, out, cap, STUN_BINDING, STUN_SUCCESS, tid);
		stun_add_addr(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, peer);
	}
	stun_add_str(&b, STUN_ATTR_SOFTWARE, FAKE_SOFTWARE);
	if (mode == M_BAD_MI)
		stun_add_integrity(&b, (const uint8_t *)"not-the-password", 16);
	else if (password != NULL)
		stun_add_integrity(&b, (const uint8_t *)password, strlen(password));
	stun_add_fingerprint(&b);
	if ((k = stun_build_end(&b)) < 0)
		return -1;
	if (mode == M_BAD_FP)
		out[k - 1] ^= 0x01;
	if (mode == M_TRUNCATED)
		k -= 4;
	return k;
}

/* A Binding request, or -1. */
static int
binding_request(const uint8_t *p, size_t n, struct stun_msg *m)
{
	if (stun_decode_dgram(p, n, m) < 0 || m->method != STUN_BINDING || m->cls != STUN_REQUEST)
		return -1;
	return 0;
}

static void
udp_cb(struct ev_loop *l, ev_io *w, int revents)
{
	uint8_t in[STUN_MSG_MAX], out[FAKE_OUT_MAX];
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	struct stun_msg m;
	ssize_t n, k;

	(void)l;
	(void)revents;
	n = recvfrom(w->fd, in, sizeof(in), 0, (struct sockaddr *)&peer, &plen);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("recvfrom");
		return;
	}
	if (binding_request(in, (size_t)n, &m) < 0) {
		log_debug("udp: ignored %zd bytes", n);
		return;
	}
	if ((k = answer(&m, (struct sockaddr *)&peer, out, sizeof(out))) < 0)
		log_warnx("cannot build a response");
	else if (k > 0 && sendto(w->fd, out, (size_t)k, 0, (struct sockaddr *)&peer, plen) < 0)
		log_warn("sendto");
	else
		log_info("udp: answered a Binding request (%s)", mode_names[mode]);
}

static void
conn_close(struct conn *c)
{
	ev_io_stop(loop, &c->io);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	nconns--;
	log_debug("tcp: closed");
	free(c);
}

/* Answer every whole request in c->in; -1 when the connection must close. */
static int
conn_serve(struct conn *c)
{
	uint8_t out[FAKE_OUT_MAX];
	struct stun_msg m;
	size_t off = 0;
	ssize_t f, k;
	int kind;

	while ((f = stun_frame_len(c->in + off, c->inlen - off, 1, &kind)) > 0 &&
	    (size_t)f <= c->inlen - off) {
		if (kind == STUN_FRAME_STUN && binding_request(c->in + off, (size_t)f, &m) == 0) {
			k = answer(&m, (struct sockaddr *)&c->peer, out, sizeof(out));
			if (k < 0 || (k > 0 && write(c->fd, out, (size_t)k) != k))
				return -1;
			log_info("tcp: answered a Binding request (%s)", mode_names[mode]);
			if (mode == M_TRUNCATED)
				return -1;
		}
		off += (size_t)f;
	}
	/* Garbage, or a frame that can never fit the buffer. */
	if (f < 0 || (size_t)f > sizeof(c->in))
		return -1;
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
	return 0;
}

static void
conn_cb(struct ev_loop *l, ev_io *w, int revents)
{
	struct conn *c = container_of(w, struct conn, io);
	ssize_t n;

	(void)l;
	(void)revents;
	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->inlen += (size_t)n;
	if (conn_serve(c) < 0)
		conn_close(c);
}

static void
accept_cb(struct listener *ls, int fd, const struct sockaddr_storage *peer, socklen_t peerlen)
{
	struct conn *c;

	(void)ls;
	if (nconns == FAKE_CONNS_MAX || (c = calloc(1, sizeof(*c))) == NULL) {
		log_warnx("tcp: connection refused (limit or memory)");
		close(fd);
		return;
	}
	c->fd = fd;
	memcpy(&c->peer, peer, peerlen);
	c->peerlen = peerlen;
	c->next = conns;
	if (conns)
		conns->prev = c;
	conns = c;
	nconns++;
	ev_io_init(&c->io, conn_cb, fd, EV_READ);
	ev_io_start(loop, &c->io);
}

static void
on_signal(struct ev_loop *l, ev_signal *w, int revents)
{
	(void)revents;
	log_info("signal %d, exiting", w->signum);
	ev_break(l, EVBREAK_ALL);
}

static void
stdin_cb(struct ev_loop *l, ev_io *w, int revents)
{
	char buf[256];
	ssize_t n = read(w->fd, buf, sizeof(buf));

	(void)revents;
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		log_info("stdin closed, exiting");
		ev_break(l, EVBREAK_ALL);
	}
}

/* The UDP socket on 127.0.0.1:0; prints its ready line. */
static int
udp_open(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);
	char name[64];
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == -1)
		fatal(EX_PW_TEMP, "udp socket");
	snprintf(name, sizeof(name), "udp:127.0.0.1:%u", ntohs(sin.sin_port));
	net_print_ready(name);
	return fd;
}

static int
tcp_open(void)
{
	struct endpoint ep;
	char err[128], name[ENDPOINT_STR_MAX];
	int fd;

	if (endpoint_parse("tcp:127.0.0.1:0", &ep, err, sizeof(err)) == -1)
		fatalx(EX_PW_INTERNAL, "endpoint: %s", err);
	if ((fd = net_listen(&ep, 64)) == -1)
		fatal(EX_PW_TEMP, "tcp listen");
	if (net_listen_name(fd, &ep, name, sizeof(name)) == -1)
		fatal(EX_PW_INTERNAL, "getsockname");
	net_print_ready(name);
	return fd;
}

static void
parse_args(int argc, char **argv, int *tcp, int *exit_on_eof)
{
	static const struct option longopts[] = {
		{ "password", required_argument, NULL, 'p' },
		{ "tcp", no_argument, NULL, 't' },
		{ "exit-on-stdin-close", no_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	int level = LOG_LVL_WARN, ch;
	size_t i;

	while ((ch = getopt_long(argc, argv, "eqtvp:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'e': *exit_on_eof = 1; break;
		case 'q': level = LOG_LVL_QUIET; break;
		case 't': *tcp = 1; break;
		case 'v': level++; break;
		case 'p': password = optarg; break;
		default: fatalx(EX_PW_USAGE, USAGE);
		}
	}
	if (optind != argc - 1)
		fatalx(EX_PW_USAGE, USAGE);
	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (strcmp(argv[optind], mode_names[i]) == 0)
			break;
	if (i == sizeof(mode_names) / sizeof(mode_names[0]))
		fatalx(EX_PW_USAGE, "unknown mode %s; " USAGE, argv[optind]);
	if (i == M_BAD_MI && password == NULL)
		fatalx(EX_PW_USAGE, "bad-integrity needs -p PASSWORD");
	mode = (enum mode)i;
	log_set_level(level);
}

int
main(int argc, char **argv)
{
	struct listener ls = { .fd = -1 };
	ev_io udp, in;
	ev_signal sigterm, sigint;
	int tcp = 0, exit_on_eof = 0, ufd;

	log_init(argv[0], LOG_LVL_WARN);
	parse_args(argc, argv, &tcp, &exit_on_eof);
	loop = EV_DEFAULT;
	signal(SIGPIPE, SIG_IGN);
	ufd = udp_open();
	ev_io_init(&udp, udp_cb, ufd, EV_READ);
	ev_io_start(loop, &udp);
	if (tcp)
		listener_start(loop, &ls, tcp_open(), accept_cb, NULL);
	if (exit_on_eof) {
		ev_io_init(&in, stdin_cb, STDIN_FILENO, EV_READ);
		ev_io_start(loop, &in);
	}
	ev_signal_init(&sigterm, on_signal, SIGTERM);
	ev_signal_init(&sigint, on_signal, SIGINT);
	ev_signal_start(loop, &sigterm);
	ev_signal_start(loop, &sigint);

	ev_run(loop, 0);

	if (tcp)
		listener_stop(&ls);
	while (conns)
		conn_close(conns);
	ev_io_stop(loop, &udp);
	close(ufd);
	ev_loop_destroy(loop);
	return EX_PW_OK;
}
