/* SPDX-License-Identifier: MIT */
/*
 * dtls-peer: one DTLS (or, with --tls, TLS) session on loopback through
 * common/nss, for tests. The client sends a message once connected and
 * expects it echoed; the server echoes and exits when the client closes.
 * Both print, on stdout:
 *
 *   fingerprint sha256:HEX      our certificate (before anything else)
 *   ready udp:HOST:PORT         server only, once bound
 *   connected VERSION cipher=0xXXXX ms=N
 *   srtp NAME | alpn PROTO | peer sha256:HEX | export HEX
 *   data TEXT (server) / echo TEXT (client)
 *
 * and exit 0 when the message went round, 1 when the session failed
 * (the reason on stderr: "error: …"), 111 on --timeout, 100 on usage.
 *
 *   dtls-peer (--server HOST:PORT | --client HOST:PORT) [--tls]
 *       [--persona NAME] [--fingerprint sha256:HEX] [--sni NAME] [--max12]
 *       [--drop N] [--message TEXT] [--send-only] [--export-len N] [--timeout S]
 *       [--nss-lib auto|system|DIR]
 *
 * --nss-lib runs on another NSS copy (auto: Firefox's, when installed);
 * the NSS version in use is logged with -v.
 * --send-only: the client closes after sending, for peers that do not
 * echo (openssl s_server).
 * --drop N loses our first N outgoing datagrams, so the handshake has to
 * be carried by the retransmission timer.
 */
#include <errno.h>
#include <ev.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/cli.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "net/endpoint.h"
#include "net/net.h"
#include "nss/fp.h"
#include "nss/nssc.h"

static const char usage[] =
	"usage: dtls-peer (--server HOST:PORT | --client HOST:PORT) [--tls]\n"
	"       [--persona NAME] [--fingerprint sha256:HEX] [--sni NAME] [--max12]\n"
	"       [--drop N] [--message TEXT] [--send-only] [--export-len N] [--timeout S]\n"
	"       [--nss-lib auto|system|DIR]\n";

static struct {
	int server, tls, max12, have_pin, send_only;
	const char *addr, *persona, *sni, *message, *nss_lib;
	uint8_t pin[FP_LEN];
	uint64_t drop, export_len, timeout_ms;
} opt = { .message = "ping", .timeout_ms = 10000 };

static struct ev_loop *loop;
static ev_io rd;
static ev_timer rtx, deadline;
static ev_tstamp t_start;
static struct nssc *sess;
static int sock = -1, peer_known, done, status = EX_PW_TEMP;

static void
finish(int st)
{
	status = st;
	done = 1;
	ev_break(loop, EVBREAK_ALL);
}

/* After every call into the session: the retransmission timer as it says. */
static void
rearm(void)
{
	long ms = sess ? nssc_timeout_ms(sess) : -1;

	ev_timer_stop(loop, &rtx);
	if (ms >= 0) {
		ev_timer_set(&rtx, (double)ms / 1000.0, 0.);
		ev_timer_start(loop, &rtx);
	}
}

static void
on_send(void *arg, const uint8_t *p, size_t n)
{
	ssize_t w;

	(void)arg;
	if (!opt.tls && opt.drop > 0) {
		opt.drop--;
		log_info("dropped an outgoing datagram of %zu bytes", n);
		return;
	}
	while (n > 0) {
		w = send(sock, p, n, 0);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			/* A datagram lost to the kernel is what retransmission is for. */
			log_warn("send");
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void
print_connected(void)
{
	uint8_t fp[FP_LEN], km[NSSC_EXPORT_MAX];
	char s[FP_STR_MAX];
	uint16_t prof = nssc_srtp_profile(sess);
	size_t len = opt.export_len, i;

	printf("connected %s cipher=0x%04x ms=%.1f\n", nssc_version(sess), nssc_cipher(sess),
	       (ev_time() - t_start) * 1000.0);
	if (prof)
		printf("srtp %s\n", nssc_srtp_name(prof));
	if (*nssc_alpn(sess))
		printf("alpn %s\n", nssc_alpn(sess));
	if (nssc_peer_fingerprint(sess, fp) == 0) {
		fp_format(fp, s);
		printf("peer %s\n", s);
	}
	/* RFC 5764 4.2: two keys and two salts, sized by the profile. */
	if (len == 0)
		len = prof == 0x0007 ? 56 : prof == 0x0008 ? 88 : 60;
	if (nssc_export(sess, "EXTRACTOR-dtls_srtp", NULL, 0, km, len) == 0) {
		printf("export ");
		for (i = 0; i < len; i++)
			printf("%02x", km[i]);
		printf("\n");
	}
	fflush(stdout);
}

static void
on_event(void *arg, enum nssc_event ev)
{
	(void)arg;
	switch (ev) {
	case NSSC_EV_CONNECTED:
		print_connected();
		if (opt.server)
			break;
		if (nssc_write(sess, opt.message, strlen(opt.message)) < 0) {
			finish(1);
		} else if (opt.send_only) {
			nssc_close(sess);
			finish(EX_PW_OK);
		}
		break;
	case NSSC_EV_CLOSED:
		finish(opt.server ? EX_PW_OK : 1);
		break;
	case NSSC_EV_ERROR:
		printf("error %s\n", nssc_error(sess));
		fflush(stdout);
		log_warnx("error: %s", nssc_error(sess));
		finish(1);
		break;
	}
}

static void
on_data(void *arg, const uint8_t *p, size_t n)
{
	(void)arg;
	printf("%s %.*s\n", opt.server ? "data" : "echo", (int)n, (const char *)p);
	fflush(stdout);
	if (opt.server) {
		nssc_write(sess, p, n);
		return;
	}
	nssc_close(sess);
	finish(n == strlen(opt.message) && memcmp(p, opt.message, n) == 0 ? EX_PW_OK : 1);
}

static void
on_readable(struct ev_loop *l, ev_io *w, int revents)
{
	uint8_t buf[NSSC_DGRAM_MAX];
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	ssize_t n;

	(void)l;
	(void)w;
	(void)revents;
	n = recvfrom(sock, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("recv");
		return;
	}
	if (n == 0 && opt.tls) {
		finish(opt.server ? EX_PW_OK : 1);
		return;
	}
	if (!opt.tls && !peer_known) {
		/* The first datagram names the client; talk to it alone from now. */
		if (connect(sock, (struct sockaddr *)&from, flen) < 0)
			fatal(EX_PW_TEMP, "connect");
		peer_known = 1;
	}
	if (nssc_input(sess, buf, (size_t)n) != n && opt.tls)
		fatalx(EX_PW_INTERNAL, "TLS input buffer full");
	rearm();
}

static void
on_rtx(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
	nssc_timer_fired(sess);
	rearm();
}

static void
on_deadline(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
	log_warnx("timeout");
	finish(EX_PW_TEMP);
}

/* HOST:PORT, or an endpoint (udp:, tcp:), resolved once. */
static void
parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char buf[ENDPOINT_STR_MAX + 8], err[128];
	struct endpoint ep;

	if (strncmp(s, "udp:", 4) != 0 && strncmp(s, "tcp:", 4) != 0) {
		snprintf(buf, sizeof(buf), "%s:%s", opt.tls ? "tcp" : "udp", s);
		s = buf;
	}
	if (endpoint_parse(s, &ep, err, sizeof(err)) < 0)
		cli_usage_error("%s: %s", s, err);
	if (ep.kind != (opt.tls ? EP_TCP : EP_UDP))
		cli_usage_error("%s: want %s", s, opt.tls ? "tcp:" : "udp:");
	if (net_resolve_once(ep.host, ep.port, ss, len) < 0)
		fatalx(EX_PW_TEMP, "cannot resolve %s", s);
}

static void
parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "client", required_argument, NULL, 'c' },
		{ "tls", no_argument, NULL, 'T' },
		{ "persona", required_argument, NULL, 'P' },
		{ "fingerprint", required_argument, NULL, 'f' },
		{ "sni", required_argument, NULL, 'n' },
		{ "max12", no_argument, NULL, '2' },
		{ "drop", required_argument, NULL, 'd' },
		{ "message", required_argument, NULL, 'm' },
		{ "send-only", no_argument, NULL, 'o' },
		{ "export-len", required_argument, NULL, 'e' },
		{ "timeout", required_argument, NULL, 't' },
		{ "nss-lib", required_argument, NULL, 'L' },
		CLI_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	cli_init(argv, usage);
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case 's': opt.server = 1; opt.addr = optarg; break;
		case 'c': opt.server = 0; opt.addr = optarg; break;
		case 'T': opt.tls = 1; break;
		case 'P': opt.persona = optarg; break;
		case 'f':
			if (fp_parse(optarg, opt.pin) < 0)
				cli_usage_error("bad fingerprint: %s", optarg);
			opt.have_pin = 1;
			break;
		case 'n': opt.sni = optarg; break;
		case '2': opt.max12 = 1; break;
		case 'd': opt.drop = cli_u64("--drop", optarg, 0, 100); break;
		case 'm': opt.message = optarg; break;
		case 'o': opt.send_only = 1; break;
		case 'e': opt.export_len = cli_u64("--export-len", optarg, 1, NSSC_EXPORT_MAX); break;
		case 't': opt.timeout_ms = cli_seconds_ms("--timeout", optarg, 100, 600000); break;
		case 'L': opt.nss_lib = optarg; break;
		default: cli_option(ch);
		}
	}
	cli_no_operands(argc, argv);
	if (opt.addr == NULL)
		cli_usage_error("--server or --client is required");
	if (opt.persona == NULL)
		opt.persona = opt.tls ? "firefox-https" : "firefox-webrtc";
}

/* The socket: bound (server; a TLS server accepts its one client here) or connected. */
static void
open_socket(void)
{
	struct sockaddr_storage sin, bound;
	socklen_t slen = sizeof(sin), blen = sizeof(bound);
	char name[128];
	int one = 1, lfd;

	parse_addr(opt.addr, &sin, &slen);
	if ((sock = socket(sin.ss_family, opt.tls ? SOCK_STREAM : SOCK_DGRAM, 0)) < 0)
		fatal(EX_PW_INTERNAL, "socket");
	if (!opt.server) {
		if (connect(sock, (struct sockaddr *)&sin, slen) < 0)
			fatal(EX_PW_TEMP, "connect %s", opt.addr);
		return;
	}
	setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(sock, (struct sockaddr *)&sin, slen) < 0 ||
	    getsockname(sock, (struct sockaddr *)&bound, &blen) < 0 ||
	    (opt.tls && listen(sock, 1) < 0))
		fatal(EX_PW_TEMP, "bind %s", opt.addr);
	net_addr_format((struct sockaddr *)&bound, name, sizeof(name));
	printf("ready %s:%s\n", opt.tls ? "tcp" : "udp", name);
	fflush(stdout);
	if (opt.tls) {
		lfd = sock;
		if ((sock = accept(lfd, NULL, NULL)) < 0)
			fatal(EX_PW_TEMP, "accept");
		close(lfd);
	}
}

static void
make_session(struct nssc_id *id)
{
	const struct persona *p = persona_find(opt.persona);
	struct nssc_opts o = { .persona = p, .server = opt.server, .id = id, .sni = opt.sni,
		.pin = opt.have_pin ? opt.pin : NULL, .dtls_max12 = opt.max12 };
	struct nssc_cb cb = { .send = on_send, .data = on_data, .event = on_event };
	char err[NSSC_ERR_MAX];

	if (p == NULL || p->dtls == opt.tls)
		cli_usage_error("persona %s is unknown or not for %s", opt.persona,
		                opt.tls ? "TLS" : "DTLS");
	if ((sess = nssc_new(&o, &cb, err, sizeof(err))) == NULL)
		fatalx(EX_PW_INTERNAL, "session: %s", err);
}

int
main(int argc, char **argv)
{
	struct nssc_id *id;
	char err[NSSC_ERR_MAX], s[FP_STR_MAX];
	uint8_t fp[FP_LEN];

	parse_args(argc, argv);
	if (nssc_use_nss_dir(opt.nss_lib, argv) < 0)
		fatalx(EX_PW_USAGE, "--nss-lib %s: no usable libnss3.so there", opt.nss_lib);
	if (nssc_global_init(err, sizeof(err)) < 0 || (id = nssc_id_new(err, sizeof(err))) == NULL)
		fatalx(EX_PW_INTERNAL, "%s", err);
	log_info("NSS %s", nssc_nss_version());
	nssc_id_fingerprint(id, fp);
	fp_format(fp, s);
	printf("fingerprint %s\n", s);
	fflush(stdout);
	open_socket();
	loop = EV_DEFAULT;
	make_session(id);
	ev_io_init(&rd, on_readable, sock, EV_READ);
	ev_io_start(loop, &rd);
	ev_init(&rtx, on_rtx);
	ev_timer_init(&deadline, on_deadline, (double)opt.timeout_ms / 1000.0, 0.);
	ev_timer_start(loop, &deadline);
	t_start = ev_time();
	if (nssc_start(sess) == 0)
		rearm();
	if (!done)
		ev_run(loop, 0);
	nssc_free(sess);
	nssc_id_free(id);
	close(sock);
	return status;
}
