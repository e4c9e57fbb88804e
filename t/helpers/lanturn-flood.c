/* SPDX-License-Identifier: MIT */
/*
 * lanturn-flood: attack traffic for lanturn-egress tests. Makes one real
 * DTLS ClientHello (common/nss, Firefox's WebRTC persona) and sends it
 * from -n fresh UDP sockets bound to -b ADDR (each a new source port, so
 * each a new call to the server); with --garbage, sends -n random
 * datagrams instead (first bytes across every RFC 7983 range, and some
 * that look like a ClientHello record but are not). Sockets are closed
 * at once. Prints "sent N" and exits 0.
 *
 *   lanturn-flood -p HOST:PORT -b ADDR -n N [--garbage]
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/exitcodes.h"
#include "base/log.h"
#include "net/net.h"
#include "nss/nssc.h"

static uint8_t hello[NSSC_DGRAM_MAX];
static size_t hello_len;

static void
on_send(void *arg, const uint8_t *p, size_t n)
{
	(void)arg;
	if (hello_len == 0 && n <= sizeof(hello)) {
		memcpy(hello, p, n);
		hello_len = n;
	}
}

static void
on_data(void *arg, const uint8_t *p, size_t n)
{
	(void)arg;
	(void)p;
	(void)n;
}

static void
on_event(void *arg, enum nssc_event ev)
{
	(void)arg;
	(void)ev;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "garbage", no_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	const char *peer = NULL, *bind_addr = "127.0.0.1";
	struct sockaddr_storage dst;
	struct sockaddr_in src;
	socklen_t dl;
	unsigned long n = 0, i, sent = 0;
	int garbage = 0, c, fd;
	char host[256], *colon, err[NSSC_ERR_MAX];

	log_init("lanturn-flood", LOG_LVL_WARN);
	while ((c = getopt_long(argc, argv, "p:b:n:", lo, NULL)) != -1) {
		switch (c) {
		case 'p': peer = optarg; break;
		case 'b': bind_addr = optarg; break;
		case 'n': n = strtoul(optarg, NULL, 10); break;
		case 'g': garbage = 1; break;
		default: fatalx(EX_PW_USAGE, "usage: lanturn-flood -p HOST:PORT -b ADDR -n N [--garbage]");
		}
	}
	if (!peer)
		fatalx(EX_PW_USAGE, "-p HOST:PORT is required");
	snprintf(host, sizeof(host), "%s", peer);
	if ((colon = strrchr(host, ':')) == NULL)
		fatalx(EX_PW_USAGE, "-p: want HOST:PORT");
	*colon = '\0';
	if (net_resolve_once(host, (uint16_t)atoi(colon + 1), &dst, &dl) != 0)
		fatalx(EX_PW_USAGE, "-p %s: cannot resolve", peer);
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	if (inet_pton(AF_INET, bind_addr, &src.sin_addr) != 1)
		fatalx(EX_PW_USAGE, "-b %s: want an IPv4 address", bind_addr);
	if (!garbage) {
		struct nssc_id *id;
		struct nssc *s;
		struct nssc_opts o = { .persona = &persona_firefox_webrtc };
		struct nssc_cb cb = { .send = on_send, .data = on_data, .event = on_event };

		if (nssc_global_init(err, sizeof(err)) < 0 || (id = nssc_id_new(err, sizeof(err))) == NULL)
			fatalx(EX_PW_INTERNAL, "NSS: %s", err);
		o.id = id;
		if ((s = nssc_new(&o, &cb, err, sizeof(err))) == NULL || nssc_start(s) < 0 ||
		    hello_len == 0)
			fatalx(EX_PW_INTERNAL, "no ClientHello: %s", err);
		nssc_free(s);
		nssc_id_free(id);
	}
	for (i = 0; i < n; i++) {
		uint8_t g[600];
		const uint8_t *p = hello;
		size_t len = hello_len;

		if (garbage) {
			len = 20 + i % 500;
			if (getrandom(g, len, 0) != (ssize_t)len)
				fatal(EX_PW_INTERNAL, "getrandom");
			if (i % 3 == 0) { /* passes the first-byte filter, then junk */
				g[0] = 22;
				g[13] = 1;
			}
			p = g;
		}
		if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
			fatal(EX_PW_TEMP, "socket");
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0)
			fatal(EX_PW_TEMP, "bind %s", bind_addr);
		if (sendto(fd, p, len, 0, (struct sockaddr *)&dst, dl) == (ssize_t)len)
			sent++;
		close(fd);
	}
	printf("sent %lu\n", sent);
	return 0;
}
