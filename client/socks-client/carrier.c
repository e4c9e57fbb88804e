/* SPDX-License-Identifier: MIT */
/*
 * Opening carriers. A command carrier gets one end of a socketpair as
 * both stdin and stdout, so half-close (shutdown SHUT_WR) reaches it as
 * EOF on stdin while its stdout stays open. The child starts with default
 * signal dispositions and only fds 0, 1 and 2.
 */
#include "carrier.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cws.h"
#include "net/net.h"
#include "tls/tls.h"

static int
carrier_is_ip(const char *h)
{
	struct in6_addr a;

	return inet_pton(AF_INET, h, &a) == 1 || inet_pton(AF_INET6, h, &a) == 1;
}

/* front=ADDR[:PORT] (port: the URL's by default). */
static int
carrier_front(struct carrier *c, const char *v, char *err, size_t errlen)
{
	char s[ENDPOINT_STR_MAX];

	snprintf(s, sizeof(s), "tcp:%s", v);
	if (endpoint_parse(s, &c->tls.front, err, errlen) == 0 && c->tls.front.port != 0)
		return 0;
	snprintf(s, sizeof(s), "tcp:%s:%u", v, (unsigned)c->ep.port);
	if (endpoint_parse(s, &c->tls.front, err, errlen) == 0 && c->tls.front.nopts == 0)
		return 0;
	snprintf(err, errlen, "front=%s: want ADDR[:PORT], [v6] bracketed", v);
	return -1;
}

static int
carrier_parse_tls(struct carrier *c, char *err, size_t errlen)
{
	struct carrier_tls *t = &c->tls;
	int has_front = 0, has_sni = 0, has_verify = 0;
	size_t i;

	t->front = c->ep;
	t->front.kind = EP_TCP;
	t->front.nopts = 0;
	for (i = 0; i < c->ep.nopts; i++) {
		const struct endpoint_opt *o = &c->ep.opts[i];

		if (!o->has_val) {
			snprintf(err, errlen, "wss:// option ,%s needs a value", o->key);
			return -1;
		}
		if (strcmp(o->key, "front") == 0 && !has_front) {
			if (carrier_front(c, o->val, err, errlen) == -1)
				return -1;
			has_front = 1;
		} else if (strcmp(o->key, "sni") == 0 && !has_sni) {
			snprintf(t->sni, sizeof(t->sni), "%s", o->val);
			has_sni = 1;
		} else if (strcmp(o->key, "verify") == 0 && !has_verify && o->val[0] != '\0') {
			snprintf(t->verify, sizeof(t->verify), "%s", o->val);
			has_verify = 1;
		} else if (strcmp(o->key, "ca") == 0 && t->ca == NULL) {
			t->ca = o->val;
		} else {
			snprintf(err, errlen, "unknown or repeated wss:// option ,%s "
			         "(want front=, sni=, verify=, ca=)", o->key);
			return -1;
		}
	}
	/* SNI: as given (empty: none), else the front's name, else the URL's; never an address. */
	if (!has_sni) {
		const char *h = has_front ? t->front.host : c->ep.host;

		if (!carrier_is_ip(h))
			snprintf(t->sni, sizeof(t->sni), "%s", h);
	}
	if (!has_verify)
		snprintf(t->verify, sizeof(t->verify), "%s", t->sni[0] != '\0' ? t->sni : c->ep.host);
	if ((t->ctx = tls_ctx_new(t->ca, err, errlen)) == NULL)
		return -1;
	return 0;
}

void
carrier_free(struct carrier *c)
{
	if (c->tls.ctx != NULL)
		tls_ctx_free(c->tls.ctx);
	c->tls.ctx = NULL;
}

int
carrier_parse(const char *spec, struct carrier *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->spec = spec;
	if (strncmp(spec, "ws://", 5) == 0 || strncmp(spec, "wss://", 6) == 0) {
		if (endpoint_parse(spec, &c->ep, err, errlen) == -1)
			return -1;
		if (c->ep.port == 0) {
			snprintf(err, errlen, "port 0 cannot be connected to");
			return -1;
		}
		if (c->ep.kind == EP_WS && c->ep.nopts > 0) {
			snprintf(err, errlen, "ws:// takes no options (front=, sni=, verify=, ca= are wss://)");
			return -1;
		}
		c->is_endpoint = 1;
		return c->ep.kind == EP_WSS ? carrier_parse_tls(c, err, errlen) : 0;
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
	if (c->is_endpoint && (c->ep.kind == EP_WS || c->ep.kind == EP_WSS))
		return cws_open(loop, c);
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
