/* SPDX-License-Identifier: MIT */
#include "meek_setup.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <string.h>
#include <sys/resource.h>

#include "base/cli.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "base/secret.h"

void
msetup_endpoint(const char *opt, const char *s, struct endpoint *ep)
{
	char err[128];

	if (endpoint_parse(s, ep, err, sizeof(err)) == -1)
		cli_usage_error("%s %s: %s", opt, s, err);
	if ((ep->kind != EP_TCP && ep->kind != EP_UNIX) || ep->nopts != 0)
		cli_usage_error("%s %s: want tcp:HOST:PORT or unix:PATH", opt, s);
}

void
msetup_upstream(struct meeks *m, const char *spec)
{
	int e;

	msetup_endpoint("-u", spec, &m->upstream_ep);
	if (m->upstream_ep.kind != EP_TCP)
		return;
	if (m->upstream_ep.port == 0)
		cli_usage_error("-u %s: port 0", spec);
	/* Once, here: a dial must never block the loop on a name lookup. */
	e = net_resolve_once(m->upstream_ep.host, m->upstream_ep.port, &m->upstream_sa,
	                     &m->upstream_salen);
	if (e != 0)
		fatalx(EX_PW_TEMP, "-u %s: %s", spec, gai_strerror(e));
}

static int
is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return strcmp(host, "localhost") == 0;
}

void
msetup_admin(struct meeks *m, const char *spec)
{
	msetup_endpoint("--admin", spec, &m->admin_ep);
	if (m->admin_ep.kind == EP_TCP && !is_loopback(m->admin_ep.host))
		cli_usage_error("--admin %s: only unix: or a loopback address", spec);
	m->has_admin = 1;
}

void
msetup_token(struct meeks *m, const char *file, const char *upstream)
{
	char err[256];
	int n;

	if (file == NULL) {
		log_warnx("no --auth-token-file: this is an OPEN RELAY to %s for anyone who finds it",
		          upstream);
		return;
	}
	n = secret_read_file(file, m->token, sizeof(m->token), err, sizeof(err));
	if (n < 0)
		fatalx(EX_PW_USAGE, "--auth-token-file %s: %s", file, err);
	m->cfg.token = m->token;
	m->cfg.token_len = (size_t)n;
}

void
msetup_listen(struct listener *l, const struct endpoint *ep, char *name, size_t cap)
{
	int fd;

	if ((fd = net_listen(ep, MEEKS_BACKLOG)) == -1) {
		if (endpoint_format(ep, name, cap) == -1)
			name[0] = '\0';
		fatal(EX_PW_TEMP, "listen %s", name);
	}
	if (net_listen_name(fd, ep, name, cap) == -1)
		fatal(EX_PW_INTERNAL, "getsockname");
	l->fd = fd;
}

void
msetup_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}
