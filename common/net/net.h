/* SPDX-License-Identifier: MIT */
/*
 * Socket plumbing shared by every program: listening and connecting on
 * endpoints, the "ready ENDPOINT" line, and a libev listener that backs
 * off on EMFILE instead of spinning.
 */
#ifndef PW_NET_H
#define PW_NET_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/endpoint.h"

#define NET_ADDRSTR_MAX 64 /* "[v6]:port" with NUL */

int net_set_nonblock(int fd);
int net_set_nodelay(int fd);

/*
 * Bind and listen on a tcp: or unix: endpoint; the fd is non-blocking
 * and close-on-exec. A stale unix socket file is replaced, anything else
 * at that path is an error. Return the fd or -1 (errno set).
 */
int net_listen(const struct endpoint *ep, int backlog);

/* Text of the endpoint a listening fd is bound to ("tcp:127.0.0.1:4711"). */
int net_listen_name(int fd, const struct endpoint *ep, char *out, size_t outlen);

/* Print "ready NAME" on stdout and flush. */
void net_print_ready(const char *name);

/*
 * Resolve host:port with a blocking getaddrinfo, once, at start-up, so
 * that later dials never block the loop on a name lookup; the first
 * address is kept. 0, or a getaddrinfo error code for gai_strerror.
 */
int net_resolve_once(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *len);

/*
 * Start a non-blocking connect to a tcp: or unix: endpoint (tcp names are
 * resolved with getaddrinfo, first address). Return the fd, or -1 (errno).
 * Completion is signalled by writability; check net_connect_result().
 */
int net_connect(const struct endpoint *ep);
int net_connect_addr(const struct sockaddr *sa, socklen_t len);
/* 0 when the pending connect succeeded, else the errno it failed with. */
int net_connect_result(int fd);

/* "1.2.3.4:80" / "[::1]:80" / "unix"; always NUL-terminated. */
void net_addr_format(const struct sockaddr *sa, char *out, size_t outlen);

struct listener;
typedef void (*listener_cb)(struct listener *l, int fd, const struct sockaddr_storage *peer,
                            socklen_t peerlen);

struct listener {
	ev_io io;
	ev_timer backoff;
	struct ev_loop *loop;
	int fd;
	listener_cb cb;
	void *arg;
	int nodelay; /* TCP_NODELAY is set on fd: accepted sockets inherit it (Linux) */
};

/* Accept connections on fd (non-blocking, CLOEXEC, TCP_NODELAY for TCP) and hand each to cb. */
void listener_start(struct ev_loop *loop, struct listener *l, int fd, listener_cb cb, void *arg);
/* Stop accepting; close the fd. */
void listener_stop(struct listener *l);

#endif
