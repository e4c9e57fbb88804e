/* SPDX-License-Identifier: MIT */
/*
 * httpd — the "local web server" of the integration tests, the demo and
 * the benchmarks. Serves GET and HEAD for regular files under one
 * directory with sendfile(2), plus two generated paths:
 *
 *   /zero/N    N zero bytes (sent from a sparse memfd, also by sendfile)
 *   /echo-ip   the peer's IP address and a newline
 *
 * HTTP/1.1 keep-alive and pipelining: a connection either reads a head or
 * writes one response, never both, so a client that pipelines faster than
 * it reads is held back by TCP, not by our memory. Each connection owns an
 * HTTP_HEAD_MAX input buffer and a small output buffer; bodies never pass
 * through user space. Targets are not percent-decoded; a ".." segment is
 * refused and files are opened with RESOLVE_BENEATH where the kernel has
 * it, so nothing outside DIR is served. No request bodies: a request that
 * announces one is answered and the connection closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/openat2.h>
#include <netdb.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <ev.h>

#include "net/endpoint.h"
#include "base/exitcodes.h"
#include "proto/http.h"
#include "base/log.h"
#include "net/net.h"
#include "base/num.h"

#define USAGE "usage: httpd [-qv] [-l ENDPOINT] -d DIR"
#define HTTPD_IDLE 60.0           /* seconds without progress before a close */
#define HTTPD_LINGER 2.0          /* draining a closing connection's input */
#define HTTPD_WRITE_BUDGET (16u << 20) /* per wakeup, so one client cannot starve others */
#define HTTPD_OUT_MAX 512
#define ZERO_SIZE (4 << 20)

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

enum conn_state { C_READ, C_WRITE, C_DRAIN };

struct conn {
	ev_io io;
	ev_timer idle;
	struct conn *prev, *next;
	int fd;
	enum conn_state state;
	int keep_alive;
	size_t headlen;           /* bytes of in[] the current response answers */
	size_t inlen;
	uint8_t in[HTTP_HEAD_MAX];
	size_t outlen, outoff;
	char out[HTTPD_OUT_MAX];  /* response head, plus short generated bodies */
	int body_fd;              /* -1, an open file, or zero_fd */
	off_t body_off;
	uint64_t body_left;
	char peer[NET_ADDRSTR_MAX];
};

static struct ev_loop *loop;
static int dir_fd = -1, zero_fd = -1;
static struct conn *conns;
static struct http_head req; /* scratch: one request is handled at a time */

static void
body_reset(struct conn *c)
{
	if (c->body_fd != -1 && c->body_fd != zero_fd)
		close(c->body_fd);
	c->body_fd = -1;
	c->body_off = 0;
	c->body_left = 0;
}

static void
conn_close(struct conn *c)
{
	ev_io_stop(loop, &c->io);
	ev_timer_stop(loop, &c->idle);
	body_reset(c);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	log_debug("%s: closed", c->peer);
	free(c);
}

static void
conn_update(struct conn *c)
{
	int ev = c->state == C_WRITE ? EV_WRITE : EV_READ;

	if (ev_is_active(&c->io) && (c->io.events & (EV_READ | EV_WRITE)) == ev)
		return;
	ev_io_stop(loop, &c->io);
	ev_io_set(&c->io, c->fd, ev);
	ev_io_start(loop, &c->io);
}

/* Queue the head of a response; body bytes come from body_fd or extra. */
static void
respond(struct conn *c, int status, uint64_t len, const char *type, const char *text, int head_only)
{
	char extra[128];
	ssize_t n;

	snprintf(extra, sizeof(extra), "Content-Type: %s\r\nConnection: %s\r\n", type,
	         c->keep_alive ? "keep-alive" : "close");
	n = http_format_response_head(c->out, sizeof(c->out), status, len, extra);
	c->outlen = n > 0 ? (size_t)n : 0;
	c->outoff = 0;
	if (text != NULL && !head_only && len < sizeof(c->out) - c->outlen) {
		memcpy(c->out + c->outlen, text, (size_t)len);
		c->outlen += (size_t)len;
	}
	if (head_only)
		body_reset(c);
	c->state = C_WRITE;
}

static void
respond_text(struct conn *c, int status, const char *text, int head_only)
{
	respond(c, status, strlen(text), "text/plain", text, head_only);
}

static int
open_beneath(const char *rel)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, dir_fd, rel, &how, sizeof(how));

	/* Before Linux 5.6 the ".." check in handle() is the whole fence. */
	if (fd == -1 && errno == ENOSYS)
		fd = openat(dir_fd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	return fd;
}

static void
serve_file(struct conn *c, const char *path, int head_only)
{
	struct stat st;
	const char *seg;

	for (seg = path; seg != NULL; seg = strchr(seg + 1, '/'))
		if (strncmp(seg, "/..", 3) == 0 && (seg[3] == '/' || seg[3] == '\0')) {
			respond_text(c, 403, "forbidden\n", head_only);
			return;
		}
	while (*path == '/')
		path++;
	c->body_fd = *path ? open_beneath(path) : -1;
	if (c->body_fd == -1 || fstat(c->body_fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		body_reset(c);
		respond_text(c, 404, "not found\n", head_only);
		return;
	}
	c->body_left = (uint64_t)st.st_size;
	respond(c, 200, c->body_left, "application/octet-stream", NULL, head_only);
}

static void
handle(struct conn *c, const struct http_head *h, size_t headlen)
{
	char path[HTTP_HEAD_MAX];
	int head_only = strcmp(h->method, "HEAD") == 0;
	uint64_t n;
	size_t plen = strcspn(h->target, "?#");

	c->headlen = headlen;
	c->keep_alive = h->keep_alive;
	/* We never read bodies: whatever follows would be taken for a request. */
	if (h->chunked || h->content_length > 0)
		c->keep_alive = 0;
	log_debug("%s: %s %s", c->peer, h->method, h->target);
	if (!head_only && strcmp(h->method, "GET") != 0) {
		c->keep_alive = 0;
		respond_text(c, 405, "method not allowed\n", 0);
		return;
	}
	memcpy(path, h->target, plen);
	path[plen] = '\0';
	if (path[0] != '/')
		respond_text(c, 400, "bad request\n", head_only);
	else if (strcmp(path, "/echo-ip") == 0) {
		char text[sizeof(c->peer) + 1];

		snprintf(text, sizeof(text), "%s\n", c->peer);
		respond_text(c, 200, text, head_only);
	} else if (strncmp(path, "/zero/", 6) == 0) {
		if (num_parse_u64(path + 6, 0, UINT64_MAX - 1, &n) == -1) {
			respond_text(c, 404, "not found\n", head_only);
			return;
		}
		c->body_fd = zero_fd;
		c->body_left = n;
		respond(c, 200, n, "application/octet-stream", NULL, head_only);
	} else
		serve_file(c, path, head_only);
}

/* 1 when the response is out, 0 when the socket is full, -1 on error. */
static int
conn_write(struct conn *c)
{
	size_t budget = HTTPD_WRITE_BUDGET, want;
	ssize_t n;

	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		         MSG_NOSIGNAL | (c->body_left ? MSG_MORE : 0));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return errno == EAGAIN ? 0 : -1;
		c->outoff += (size_t)n;
	}
	while (c->body_left > 0) {
		if (budget == 0)
			return 0;
		if (c->body_fd == zero_fd && c->body_off == ZERO_SIZE)
			c->body_off = 0;
		want = c->body_left < budget ? (size_t)c->body_left : budget;
		if (c->body_fd == zero_fd && want > (size_t)(ZERO_SIZE - c->body_off))
			want = (size_t)(ZERO_SIZE - c->body_off);
		n = sendfile(c->fd, c->body_fd, &c->body_off, want);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n <= 0) /* error, or the file shrank under us */
			return -1;
		c->body_left -= (uint64_t)n;
		budget -= (size_t)n;
	}
	return 1;
}

/* Answer buffered requests until the socket is full or input runs out. */
static void
conn_run(struct conn *c)
{
	ssize_t r;

	for (;;) {
		if (c->state == C_WRITE) {
			r = conn_write(c);
			if (r == -1) {
				conn_close(c);
				return;
			}
			if (r == 0)
				break;
			body_reset(c);
			c->inlen -= c->headlen;
			memmove(c->in, c->in + c->headlen, c->inlen);
			if (!c->keep_alive) {
				/* Half-close and drain so unread input does not turn our close into a RST. */
				shutdown(c->fd, SHUT_WR);
				c->state = C_DRAIN;
				c->idle.repeat = HTTPD_LINGER;
				ev_timer_again(loop, &c->idle);
				break;
			}
			c->state = C_READ;
		}
		if (c->state != C_READ)
			break;
		r = http_parse_request_head(c->in, c->inlen, &req);
		if (r == 0)
			break;
		if (r == -1) {
			c->headlen = c->inlen;
			c->keep_alive = 0;
			respond_text(c, c->inlen >= HTTP_HEAD_MAX ? 431 : 400, "bad request\n", 0);
			continue;
		}
		handle(c, &req, (size_t)r);
	}
	conn_update(c);
}

static void
conn_io(struct ev_loop *l, ev_io *w, int revents)
{
	struct conn *c = container_of(w, struct conn, io);
	uint8_t sink[4096];
	ssize_t n;

	(void)l;
	(void)revents;
	ev_timer_again(loop, &c->idle);
	if (c->state == C_WRITE) {
		conn_run(c);
		return;
	}
	if (c->state == C_DRAIN)
		n = recv(c->fd, sink, sizeof(sink), 0);
	else
		n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	if (c->state == C_READ) {
		c->inlen += (size_t)n;
		conn_run(c);
	}
}

static void
conn_timeout(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)revents;
	conn_close(container_of(w, struct conn, idle));
}

static void
accept_cb(struct listener *ls, int fd, const struct sockaddr_storage *peer, socklen_t peerlen)
{
	struct conn *c = calloc(1, sizeof(*c));

	(void)ls;
	if (c == NULL) {
		log_warnx("out of memory for a connection");
		close(fd);
		return;
	}
	c->fd = fd;
	c->body_fd = -1;
	/* The address without the port: /echo-ip answers with it. */
	if (peer->ss_family == AF_UNIX ||
	    getnameinfo((const struct sockaddr *)peer, peerlen, c->peer, sizeof(c->peer), NULL, 0,
	                NI_NUMERICHOST) != 0)
		snprintf(c->peer, sizeof(c->peer), "unix");
	c->next = conns;
	if (conns)
		conns->prev = c;
	conns = c;
	ev_io_init(&c->io, conn_io, fd, EV_READ);
	ev_timer_init(&c->idle, conn_timeout, 0, HTTPD_IDLE);
	ev_timer_again(loop, &c->idle);
	ev_io_start(loop, &c->io);
}

static void
on_signal(struct ev_loop *l, ev_signal *w, int revents)
{
	(void)revents;
	log_info("signal %d, exiting", w->signum);
	ev_break(l, EVBREAK_ALL);
}

/* Everything that can fail before the loop runs: exit codes per exitcodes.h. */
static int
setup(const char *listen_s, const char *dir, struct endpoint *ep, char *name, size_t namelen)
{
	struct rlimit rl;
	char err[128];
	int fd;

	if (endpoint_parse(listen_s, ep, err, sizeof(err)) == -1)
		fatalx(EX_PW_USAGE, "%s: %s", listen_s, err);
	if (ep->kind != EP_TCP && ep->kind != EP_UNIX)
		fatalx(EX_PW_USAGE, "%s: only tcp: and unix: listeners", listen_s);
	/* Benchmarks open many connections at once; take what the hard limit allows. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd == -1)
		fatal(EX_PW_USAGE, "%s", dir);
	/* A sparse memfd reads as zeros, so /zero/N goes through sendfile like a file. */
	zero_fd = memfd_create("httpd-zero", MFD_CLOEXEC);
	if (zero_fd == -1 || ftruncate(zero_fd, ZERO_SIZE) == -1)
		fatal(EX_PW_INTERNAL, "memfd");
	if ((fd = net_listen(ep, 1024)) == -1)
		fatal(EX_PW_TEMP, "listen %s", listen_s);
	if (net_listen_name(fd, ep, name, namelen) == -1)
		fatal(EX_PW_INTERNAL, "getsockname");
	return fd;
}

int
main(int argc, char **argv)
{
	const char *listen_s = "tcp:127.0.0.1:0", *dir = NULL;
	struct endpoint ep;
	struct listener ls;
	ev_signal sigterm, sigint;
	char name[ENDPOINT_STR_MAX];
	int level = LOG_LVL_WARN, ch;

	log_init(argv[0], level);
	while ((ch = getopt(argc, argv, "qvl:d:")) != -1) {
		switch (ch) {
		case 'q': level = LOG_LVL_QUIET; break;
		case 'v': level++; break;
		case 'l': listen_s = optarg; break;
		case 'd': dir = optarg; break;
		default: fatalx(EX_PW_USAGE, USAGE);
		}
	}
	if (optind != argc || dir == NULL)
		fatalx(EX_PW_USAGE, USAGE);
	log_set_level(level);

	loop = EV_DEFAULT;
	listener_start(loop, &ls, setup(listen_s, dir, &ep, name, sizeof(name)), accept_cb, NULL);
	signal(SIGPIPE, SIG_IGN);
	ev_signal_init(&sigterm, on_signal, SIGTERM);
	ev_signal_init(&sigint, on_signal, SIGINT);
	ev_signal_start(loop, &sigterm);
	ev_signal_start(loop, &sigint);
	net_print_ready(name);
	log_info("serving %s on %s", dir, name);

	ev_run(loop, 0);

	listener_stop(&ls);
	while (conns)
		conn_close(conns);
	close(zero_fd);
	close(dir_fd);
	ev_loop_destroy(loop);
	return EX_PW_OK;
}
