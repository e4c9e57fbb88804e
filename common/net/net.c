/* SPDX-License-Identifier: MIT */
/*
 * Socket plumbing. Every fd made here is non-blocking and close-on-exec:
 * carriers are child processes, and they must inherit only their own
 * socket. Listeners accept in a loop until EAGAIN; on EMFILE/ENFILE they
 * stop for LISTEN_BACKOFF seconds rather than spin on a readable socket
 * they cannot drain.
 */
#include "net/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/log.h"

#define LISTEN_BACKOFF 0.1

int
net_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	return 0;
}

int
net_set_nodelay(int fd)
{
	int one = 1;

	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int
unix_addr(const struct endpoint *ep, struct sockaddr_un *sun, socklen_t *len)
{
	size_t n = strlen(ep->path);

	if (n == 0 || n >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, ep->path, n);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

/* The first address of host:port (NULL host: the wildcard); 0 or a getaddrinfo error. */
static int
resolve_first(const char *host, uint16_t port, int flags, struct sockaddr_storage *ss,
              socklen_t *len)
{
	struct addrinfo hints, *res;
	char ps[8];
	int r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = flags | AI_NUMERICSERV;
	snprintf(ps, sizeof(ps), "%u", (unsigned)port);
	if ((r = getaddrinfo(host, ps, &hints, &res)) != 0)
		return r;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int
net_resolve_once(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	return resolve_first(host, port, 0, ss, len);
}

/* Numeric or resolved (blocking getaddrinfo: start-up and carriers only). */
static int
tcp_addr(const struct endpoint *ep, int passive, struct sockaddr_storage *ss, socklen_t *len)
{
	int r;

	r = resolve_first(ep->host[0] ? ep->host : NULL, ep->port, passive ? AI_PASSIVE : 0, ss, len);
	if (r != 0) {
		log_warnx("%s: %s", ep->host, gai_strerror(r));
		errno = EHOSTUNREACH;
		return -1;
	}
	return 0;
}

int
net_listen(const struct endpoint *ep, int backlog)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, saved;

	if (ep->kind == EP_UNIX) {
		struct stat st;

		if (unix_addr(ep, (struct sockaddr_un *)&ss, &len) == -1)
			return -1;
		/* Replace a stale socket, never a regular file or directory. */
		if (lstat(ep->path, &st) == 0) {
			if (!S_ISSOCK(st.st_mode)) {
				errno = EEXIST;
				return -1;
			}
			unlink(ep->path);
		}
	} else if (ep->kind == EP_TCP) {
		if (tcp_addr(ep, 1, &ss, &len) == -1)
			return -1;
	} else {
		errno = EAFNOSUPPORT;
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (ss.ss_family != AF_UNIX)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1 || listen(fd, backlog) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

void
net_addr_format(const struct sockaddr *sa, char *out, size_t outlen)
{
	char host[INET6_ADDRSTRLEN];

	if (outlen == 0)
		return;
	switch (sa->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(out, outlen, "%s:%u", host, (unsigned)ntohs(in->sin_port));
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(out, outlen, "[%s]:%u", host, (unsigned)ntohs(in6->sin6_port));
		break;
	}
	case AF_UNIX:
		snprintf(out, outlen, "unix");
		break;
	default:
		snprintf(out, outlen, "?");
	}
}

int
net_listen_name(int fd, const struct endpoint *ep, char *out, size_t outlen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[NET_ADDRSTR_MAX];
	int r;

	if (ep->kind == EP_UNIX)
		r = snprintf(out, outlen, "unix:%s", ep->path);
	else {
		if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
			return -1;
		net_addr_format((struct sockaddr *)&ss, addr, sizeof(addr));
		r = snprintf(out, outlen, "tcp:%s", addr);
	}
	return (r < 0 || (size_t)r >= outlen) ? -1 : 0;
}

void
net_print_ready(const char *name)
{
	printf("ready %s\n", name);
	fflush(stdout);
}

int
net_connect_addr(const struct sockaddr *sa, socklen_t len)
{
	int fd, saved;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (sa->sa_family != AF_UNIX)
		(void)net_set_nodelay(fd);
	if (connect(fd, sa, len) == -1 && errno != EINPROGRESS) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
net_connect(const struct endpoint *ep)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (ep->kind == EP_UNIX) {
		if (unix_addr(ep, (struct sockaddr_un *)&ss, &len) == -1)
			return -1;
	} else if (ep->kind == EP_TCP) {
		if (tcp_addr(ep, 0, &ss, &len) == -1)
			return -1;
	} else {
		errno = EAFNOSUPPORT;
		return -1;
	}
	return net_connect_addr((struct sockaddr *)&ss, len);
}

int
net_connect_result(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return errno;
	return err;
}

static void
listener_resume(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct listener *l = (struct listener *)((char *)w - offsetof(struct listener, backoff));

	(void)revents;
	ev_io_start(loop, &l->io);
}

static void
listener_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener *l = (struct listener *)w;
	struct sockaddr_storage peer;
	socklen_t len;
	int fd;

	(void)revents;
	for (;;) {
		len = sizeof(peer);
		fd = accept4(l->fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				log_warn("accept");
				ev_io_stop(loop, &l->io);
				ev_timer_set(&l->backoff, LISTEN_BACKOFF, 0);
				ev_timer_start(loop, &l->backoff);
			} else if (errno != EAGAIN)
				log_warn("accept");
			return;
		}
		if (peer.ss_family != AF_UNIX && !l->nodelay)
			(void)net_set_nodelay(fd);
		l->cb(l, fd, &peer, len);
		/* The callback may have stopped us. */
		if (l->fd == -1 || !ev_is_active(&l->io))
			return;
	}
}

void
listener_start(struct ev_loop *loop, struct listener *l, int fd, listener_cb cb, void *arg)
{
	l->loop = loop;
	l->fd = fd;
	l->cb = cb;
	l->arg = arg;
	/* Once here rather than a setsockopt per connection (fails harmlessly on UNIX sockets). */
	l->nodelay = net_set_nodelay(fd) == 0;
	ev_io_init(&l->io, listener_accept, fd, EV_READ);
	ev_timer_init(&l->backoff, listener_resume, LISTEN_BACKOFF, 0);
	ev_io_start(loop, &l->io);
}

void
listener_stop(struct listener *l)
{
	if (l->fd == -1)
		return;
	ev_io_stop(l->loop, &l->io);
	ev_timer_stop(l->loop, &l->backoff);
	close(l->fd);
	l->fd = -1;
}
