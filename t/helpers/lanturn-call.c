/* SPDX-License-Identifier: MIT */
/*
 * lanturn-call: the client side of one lanturn call straight over UDP
 * (no TURN), for tests of lanturn-egress and the call layer. A carrier
 * command for socks-client -C: the carrier stream (preamble, then Turbo
 * Tunnel encapsulation) on stdin/stdout; the preamble goes to the call,
 * each packet to call_write, and stdin is not read while the call
 * refuses (backpressure). Exits when stdin ends, the call fails (111) or
 * on SIGTERM; prints a "stats ..." line on stderr at exit.
 *
 *   lanturn-call -p HOST:PORT -f sha256:HEX [--profile opus|video|bulk]
 *                [--camera] [--dtx]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "call/call.h"
#include "net/net.h"
#include "nss/nssc.h"
#include "proto/frame.h"
#include "proto/preamble.h"

#define OUT_MAX (1 << 20)

static struct ev_loop *loop;
static struct call *call;
static int ufd, status = EX_PW_OK;
static ev_io uio, in_w, out_w;
static ev_signal sigterm;
static struct buf out;
static uint8_t in[16384], pkt[CALL_PKT_MAX], pre[PREAMBLE_LEN];
static size_t in_off, in_len, pktlen, npre;
static int held, up, eof;
static struct frame_reader fr;

static void
done(int st)
{
	status = st;
	ev_break(loop, EVBREAK_ALL);
}

static void
on_send(void *arg, const uint8_t *p, size_t n)
{
	(void)arg;
	(void)send(ufd, p, n, MSG_DONTWAIT);
}

static void
on_packet(void *arg, const uint8_t *p, size_t n)
{
	uint8_t *w;
	size_t room;
	ssize_t k;

	(void)arg;
	w = buf_reserve(&out, n + FRAME_PREFIX_MAX, OUT_MAX, &room);
	if (!w || room < n + FRAME_PREFIX_MAX)
		return;
	k = frame_encode_data(p, n, w, room);
	if (k > 0)
		buf_commit(&out, (size_t)k);
	ev_io_start(loop, &out_w);
}

static void
pump(void)
{
	size_t used;
	int trunc, r;

	if (!up)
		return;
	for (;;) {
		if (held) {
			if (call_write(call, pkt, pktlen) < 0) {
				ev_io_stop(loop, &in_w);
				return;
			}
			held = 0;
		}
		if (in_off == in_len)
			break;
		if (npre < PREAMBLE_LEN) {
			size_t k = PREAMBLE_LEN - npre < in_len - in_off ? PREAMBLE_LEN - npre : in_len - in_off;

			memcpy(pre + npre, in + in_off, k);
			npre += k;
			in_off += k;
			if (npre == PREAMBLE_LEN && call_set_preamble(call, pre, PREAMBLE_LEN) < 0)
				fatalx(EX_PW_INTERNAL, "preamble refused");
			continue;
		}
		r = frame_reader_feed(&fr, in + in_off, in_len - in_off, &used, pkt, &pktlen, &trunc);
		in_off += used;
		if (r < 0)
			fatalx(EX_PW_USAGE, "bad framing on stdin");
		if (r == FRAME_READER_PKT)
			held = 1;
	}
	in_off = in_len = 0;
	if (!eof)
		ev_io_start(loop, &in_w);
}

static void
on_writable(void *arg)
{
	(void)arg;
	pump();
}

static void
on_up(void *arg)
{
	(void)arg;
	up = 1;
	log_info("call up");
	pump();
}

static void
on_failed(void *arg, const char *why)
{
	(void)arg;
	log_warnx("call failed: %s", why);
	done(EX_PW_TEMP);
}

static void
on_in(struct ev_loop *l, ev_io *w, int revents)
{
	ssize_t n;

	(void)l;
	(void)revents;
	n = read(w->fd, in, sizeof(in));
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		eof = 1;
		ev_io_stop(loop, w);
		done(EX_PW_OK);
		return;
	}
	if (n < 0)
		return;
	in_off = 0;
	in_len = (size_t)n;
	ev_io_stop(loop, w);
	pump();
}

static void
on_out(struct ev_loop *l, ev_io *w, int revents)
{
	ssize_t n;

	(void)l;
	(void)revents;
	if (buf_len(&out) == 0) {
		ev_io_stop(loop, w);
		return;
	}
	n = write(w->fd, buf_rptr(&out), buf_len(&out));
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		done(EX_PW_OK);
		return;
	}
	if (n > 0)
		buf_consume(&out, (size_t)n);
	if (buf_len(&out) == 0)
		ev_io_stop(loop, w);
}

static void
on_udp(struct ev_loop *l, ev_io *w, int revents)
{
	uint8_t b[4096];
	ssize_t n;
	int i;

	(void)l;
	(void)revents;
	for (i = 0; i < 64 && call; i++) {
		n = recv(w->fd, b, sizeof(b), MSG_DONTWAIT);
		if (n < 0)
			return;
		call_input(call, b, (size_t)n);
	}
}

static void
on_signal(struct ev_loop *l, ev_signal *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
	done(EX_PW_OK);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "peer", required_argument, NULL, 'p' },
		{ "fingerprint", required_argument, NULL, 'f' },
		{ "profile", required_argument, NULL, 'P' },
		{ "camera", no_argument, NULL, 'c' },
		{ "dtx", no_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const char *peer = NULL, *fps = NULL;
	struct call_cfg cfg = { .role = CALL_CLIENT, .profile = CALL_PROFILE_OPUS };
	struct call_cbs cbs = { .send = on_send, .packet = on_packet, .writable = on_writable,
		.up = on_up, .failed = on_failed };
	struct sockaddr_storage ss;
	socklen_t sl;
	struct call_stats st;
	char err[NSSC_ERR_MAX], host[256], *colon;
	uint8_t pin[FP_LEN];
	struct nssc_id *id;
	int c, e, p;

	log_init("lanturn-call", LOG_LVL_INFO);
	while ((c = getopt_long(argc, argv, "p:f:P:cd", lo, NULL)) != -1) {
		switch (c) {
		case 'p': peer = optarg; break;
		case 'f': fps = optarg; break;
		case 'P':
			if ((p = call_profile_parse(optarg)) < 0)
				fatalx(EX_PW_USAGE, "unknown profile %s", optarg);
			cfg.profile = (enum call_profile)p;
			break;
		case 'c': cfg.camera = 1; break;
		case 'd': cfg.dtx = 1; break;
		default: fatalx(EX_PW_USAGE, "usage: lanturn-call -p HOST:PORT -f sha256:HEX [--profile P]");
		}
	}
	if (!peer || !fps || fp_parse(fps, pin) < 0)
		fatalx(EX_PW_USAGE, "-p HOST:PORT and -f sha256:HEX are required");
	snprintf(host, sizeof(host), "%s", peer);
	if ((colon = strrchr(host, ':')) == NULL)
		fatalx(EX_PW_USAGE, "-p %s: want HOST:PORT", peer);
	*colon = '\0';
	if ((e = net_resolve_once(host, (uint16_t)atoi(colon + 1), &ss, &sl)) != 0)
		fatalx(EX_PW_USAGE, "-p %s: %s", peer, gai_strerror(e));
	if ((ufd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(ufd, (struct sockaddr *)&ss, sl) < 0)
		fatal(EX_PW_TEMP, "udp %s", peer);
	if (nssc_global_init(err, sizeof(err)) < 0 || (id = nssc_id_new(err, sizeof(err))) == NULL)
		fatalx(EX_PW_INTERNAL, "NSS: %s", err);
	signal(SIGPIPE, SIG_IGN);
	loop = ev_default_loop(EVFLAG_AUTO);
	cfg.id = id;
	cfg.pin = pin;
	if ((call = call_new(loop, &cfg, &cbs, NULL, err, sizeof(err))) == NULL)
		fatalx(EX_PW_INTERNAL, "call: %s", err);
	if (buf_init(&out, 65536) < 0)
		fatalx(EX_PW_INTERNAL, "out of memory");
	frame_reader_init(&fr, CALL_PKT_MAX);
	(void)fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	(void)fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
	ev_io_init(&uio, on_udp, ufd, EV_READ);
	ev_io_init(&in_w, on_in, 0, EV_READ);
	ev_io_init(&out_w, on_out, 1, EV_WRITE);
	ev_io_start(loop, &uio);
	ev_signal_init(&sigterm, on_signal, SIGTERM);
	ev_signal_start(loop, &sigterm);
	if (call_start(call) < 0)
		fatalx(EX_PW_TEMP, "call_start");
	ev_run(loop, 0);
	call_stats(call, &st);
	fprintf(stderr, "stats rtp_out=%llu rtcp_out=%llu bytes_out=%llu rtp_in=%llu rtcp_in=%llu "
	        "bad_in=%llu tt_out=%llu tt_in=%llu\n", st.rtp_out, st.rtcp_out, st.bytes_out,
	        st.rtp_in, st.rtcp_in, st.bad_in, st.tt_out, st.tt_in);
	call_free(call);
	nssc_id_free(id);
	buf_free(&out);
	close(ufd);
	ev_loop_destroy(loop);
	return status;
}
