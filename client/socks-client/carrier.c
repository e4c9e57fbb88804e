/* SPDX-License-Identifier: MIT */
/*
 * Opening carriers. A command carrier gets one end of a socketpair as
 * both stdin and stdout, so half-close (shutdown SHUT_WR) reaches it as
 * EOF on stdin while its stdout stays open. The child starts with default
 * signal dispositions and only fds 0, 1 and 2.
 */
#include "carrier.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cws.h"
#include "net/net.h"

int
carrier_parse(const char *spec, struct carrier *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->spec = spec;
	if (strncmp(spec, "ws://", 5) == 0) {
		if (endpoint_parse(spec, &c->ep, err, errlen) == -1)
			return -1;
		if (c->ep.port == 0 || c->ep.nopts > 0) {
			snprintf(err, errlen, "want ws://HOST[:PORT][/PATH], port not 0, no options");
			return -1;
		}
		c->is_endpoint = 1;
		return 0;
	}
	if (strncmp(spec, "tcp:", 4) == 0 || strncmp(spec, "unix:", 5) == 0) {
		if (endpoint_parse(spec, &c->ep, err, errlen) == -1)
			return -1;
		if (c->ep.kind == EP_TCP && c->ep.port == 0) {
			snprintf(err, errlen, "port 0 cannot be connected to");
			return -1;
		}
		c->is_endpoint = 1;
		return 0;
	}
	if (*spec == '\0') {
		snprintf(err, errlen, "empty carrier");
		return -1;
	}
	return 0;
}

static void
child_exec(int fd, const char *cmd)
{
	sigset_t none;
	int s;

	for (s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1)
		_exit(127);
	if (fd > STDOUT_FILENO)
		close(fd);
	/* dup2 onto itself keeps CLOEXEC; clear it in every case. */
	fcntl(STDIN_FILENO, F_SETFD, 0);
	fcntl(STDOUT_FILENO, F_SETFD, 0);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

int
carrier_open(struct ev_loop *loop, const struct carrier *c, pid_t *pid)
{
	int sv[2], saved;
	pid_t p;

	*pid = 0;
	if (c->is_endpoint && c->ep.kind == EP_WS)
		return cws_open(loop, &c->ep);
	if (c->is_endpoint)
		return net_connect(&c->ep);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	p = fork();
	if (p == -1) {
		saved = errno;
		close(sv[0]);
		close(sv[1]);
		errno = saved;
		return -1;
	}
	if (p == 0) {
		close(sv[0]);
		child_exec(sv[1], c->spec);
	}
	close(sv[1]);
	if (net_set_nonblock(sv[0]) == -1) {
		saved = errno;
		close(sv[0]);
		kill(p, SIGTERM);
		errno = saved;
		return -1;
	}
	*pid = p;
	return sv[0];
}
