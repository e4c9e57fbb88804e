/* SPDX-License-Identifier: MIT */
/*
 * rtc-peer: one WebRTC peer connection through common/rtc, for tests.
 * The offer and the answer travel as one JSON line each
 * ({"type":"offer","sdp":"…"}, Snowflake's form) through two files,
 * usually FIFOs: --out gets ours, --in gives theirs. The offerer opens
 * --out before --in and the answerer the other way round, so two peers
 * on the same pair of FIFOs never wait for each other.
 *
 *   rtc-peer (--offer | --answer) --in FILE --out FILE [--stun IP:PORT]
 *       [--send FILE] [--save FILE] [--expect N] [--msg-size N]
 *       [--label L] [--unordered] [--hold] [--echoed] [--pause-ms M] [--loss-ms N]
 *       [--send-after-ms M] [--max12] [--timeout S]
 *
 * --pause-ms M: at the first data message, stop receiving for M ms (a
 * slow consumer). The sender reports "max-stall-ms MS", the longest it
 * made no progress, and "first-stall-ms MS after N", the first time that
 * lasted over 0.5 s (a paused reader's) and how much it had sent by then.
 * --send-after-ms M: the channel stays idle M ms after it opened, then
 * --send begins ("sending-ms MS" on stdout, since open; "closed-ms MS"
 * follows "closed").
 * --echoed: the far end echoes what we send (a Snowflake proxy relaying
 * to an echo server), so no "done" goes either way: once --expect bytes
 * came back we are done.
 * stdout: "fingerprint sha256:HEX", "open LABEL", "open-ms MS" (since
 * the FIFOs were open), "path DESCRIPTION", "sent N", "received N",
 * "received-ms MS" (since open), "peer-done", "closed REASON",
 * "peak-rss-kb KB". With --send the
 * file goes out in --msg-size messages; with --expect the peer's bytes
 * go to --save and, once N arrived, a "done" text message goes back.
 * The peer that has nothing left to wait for shuts the association
 * down gracefully; exit 0 once everything was sent and received, 111
 * when the connection closed early (--hold: whenever it closes), 100 on
 * usage.
 */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/cli.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "nss/fp.h"
#include "nss/nssc.h"
#include "rtc/rtc.h"

static const char usage[] =
	"usage: rtc-peer (--offer | --answer) --in FILE --out FILE [--stun IP:PORT]\n"
	"       [--send FILE] [--save FILE] [--expect N] [--msg-size N]\n"
	"       [--label L] [--unordered] [--hold] [--echoed] [--pause-ms M] [--loss-ms N]\n"
	"       [--send-after-ms M] [--max12]\n"
	"       [--timeout S]\n";

#define LINE_MAX_JSON 40000

static struct {
	int offer, set, unordered, hold, echoed, max12;
	const char *in, *out, *stun, *send, *save, *label;
	uint64_t expect, msg_size, loss_ms, timeout_ms, pause_ms, send_after_ms;
	char stun_ip[64];
	uint16_t stun_port;
} opt = { .msg_size = 16384, .timeout_ms = 60000, .label = "data" };

static struct ev_loop *loop;
static struct rtc *pc;
static ev_io in_w;
static ev_timer deadline;
static ev_signal sigterm;
static int in_fd = -1, out_fd = -1, send_fd = -1, save_fd = -1, status = EX_PW_TEMP;
static int is_open, sent_all, peer_done, got_all, closing, done_pending;
static uint64_t nsent, nrecv, stall_at;
static ev_tstamp t_start, t_open, t_blocked, max_stall, first_stall;
static ev_timer pause_w, send_after_w;
static int paused_once, send_go = 1;
static char line[LINE_MAX_JSON];
static size_t line_len;
static uint8_t *chunk;
static size_t chunk_len, chunk_off;

static void
finish(int st)
{
	status = st;
	ev_break(loop, EVBREAK_ALL);
}

static void
say(const char *word, const char *s)
{
	printf(*s ? "%s %s\n" : "%s\n", word, s);
	fflush(stdout);
}

static void
maybe_done(void)
{
	int send_ok = opt.send == NULL || peer_done || opt.echoed;
	int recv_ok = opt.expect == 0 || got_all;

	if (!opt.hold && !closing && !done_pending && send_ok && recv_ok) {
		closing = 1;
		rtc_shutdown(pc);
	}
}

/*
 * Tell the peer everything arrived. With SCTP's buffer full (our own
 * file still going out) it waits for the next writable callback; the
 * association is not shut down before it went.
 */
static void
send_done(void)
{
	static const char done[] = "done";
	ssize_t w = rtc_send(pc, done, 4, 0);

	if (w < 0) {
		log_warnx("cannot send done");
		finish(EX_PW_TEMP);
		return;
	}
	done_pending = w == 0;
}

/* Send the file in messages until SCTP's buffer is full or the file ends. */
static void
pump(void)
{
	ssize_t n, w;

	while (send_go && !sent_all && send_fd >= 0) {
		if (chunk_off == chunk_len) {
			n = read(send_fd, chunk, opt.msg_size);
			if (n < 0)
				fatal(EX_PW_INTERNAL, "read %s", opt.send);
			if (n == 0) {
				sent_all = 1;
				printf("sent %llu\n", (unsigned long long)nsent);
				fflush(stdout);
				break;
			}
			chunk_len = (size_t)n;
			chunk_off = 0;
		}
		w = rtc_send(pc, chunk, chunk_len, 1);
		if (w == 0)
			return; /* full: writable will call again */
		if (w < 0) {
			log_warnx("send refused");
			finish(EX_PW_TEMP);
			return;
		}
		/* The longest time without progress: how long a slow reader held us back. */
		if (t_blocked > 0 && ev_now(loop) - t_blocked > max_stall)
			max_stall = ev_now(loop) - t_blocked;
		if (t_blocked > 0 && ev_now(loop) - t_blocked > 0.5 && first_stall == 0) {
			first_stall = ev_now(loop) - t_blocked;
			stall_at = nsent;
		}
		t_blocked = ev_now(loop);
		nsent += chunk_len;
		chunk_off = chunk_len;
	}
}

static void
on_local_sdp(void *arg, const char *sdp)
{
	char *j = rtc_sdp_to_json(opt.offer ? "offer" : "answer", sdp);
	size_t len;

	(void)arg;
	if (j == NULL)
		fatalx(EX_PW_INTERNAL, "JSON");
	len = strlen(j);
	/* Small enough for a FIFO's buffer: one write, then EOF for the reader. */
	if (write(out_fd, j, len) != (ssize_t)len || write(out_fd, "\n", 1) != 1)
		fatal(EX_PW_TEMP, "write %s", opt.out);
	free(j);
	close(out_fd);
	out_fd = -1;
	log_info("local description sent");
}

static void
on_open(void *arg, const char *label)
{
	(void)arg;
	is_open = 1;
	t_open = ev_time();
	say("open", label);
	printf("open-ms %.0f\n", (t_open - t_start) * 1000.0);
	say("path", rtc_describe(pc));
	if (opt.send_after_ms > 0) {
		send_go = 0;
		ev_timer_start(loop, &send_after_w);
		return;
	}
	pump();
	maybe_done();
}

static void
on_send_after(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
	send_go = 1;
	printf("sending-ms %.0f\n", (ev_time() - t_open) * 1000.0);
	fflush(stdout);
	pump();
	maybe_done();
}

static void
on_pause_over(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
	printf("resumed\n");
	fflush(stdout);
	rtc_pause(pc, 0);
}

static void
on_message(void *arg, const uint8_t *p, size_t n, int binary)
{
	static const char done[] = "done";

	(void)arg;
	if (!binary) {
		if (n == 4 && memcmp(p, done, 4) == 0) {
			peer_done = 1;
			say("peer-done", "");
			maybe_done();
		}
		return;
	}
	if (opt.pause_ms > 0 && !paused_once) {
		paused_once = 1;
		rtc_pause(pc, 1);
		ev_timer_init(&pause_w, on_pause_over, (double)opt.pause_ms / 1000.0, 0.);
		ev_timer_start(loop, &pause_w);
	}
	if (save_fd >= 0 && write(save_fd, p, n) != (ssize_t)n)
		fatal(EX_PW_INTERNAL, "write %s", opt.save);
	nrecv += n;
	if (opt.expect > 0 && !got_all && nrecv >= opt.expect) {
		got_all = 1;
		printf("received %llu\n", (unsigned long long)nrecv);
		printf("received-ms %.0f\n", (ev_time() - t_open) * 1000.0);
		fflush(stdout);
		if (!opt.echoed)
			send_done();
		maybe_done();
	}
}

static void
on_writable(void *arg)
{
	(void)arg;
	if (done_pending) {
		send_done();
		maybe_done();
	}
	pump();
}


static void
on_closed(void *arg, const char *reason)
{
	int ok = !opt.hold && (opt.send == NULL || peer_done || opt.echoed) &&
	         (opt.expect == 0 || got_all);
	struct rusage ru;

	(void)arg;
	say("closed", reason);
	if (is_open)
		printf("closed-ms %.0f\n", (ev_time() - t_open) * 1000.0);
	if (opt.send != NULL)
		printf("max-stall-ms %.0f\nfirst-stall-ms %.0f after %llu\n", max_stall * 1000.0,
		       first_stall * 1000.0, (unsigned long long)stall_at);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		printf("peak-rss-kb %ld\ncpu-ms %ld\n", ru.ru_maxrss,
		       (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L +
		               (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000L);
	finish(ok && is_open ? EX_PW_OK : EX_PW_TEMP);
}

static void
on_input(struct ev_loop *l, ev_io *w, int revents)
{
	char err[160], *sdp;
	ssize_t n;

	(void)l;
	(void)revents;
	n = read(in_fd, line + line_len, sizeof(line) - 1 - line_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0)
		fatal(EX_PW_TEMP, "read %s", opt.in);
	line_len += (size_t)n;
	if (n > 0 && memchr(line, '\n', line_len) == NULL && line_len < sizeof(line) - 1)
		return;
	ev_io_stop(loop, w);
	close(in_fd);
	in_fd = -1;
	if (memchr(line, '\n', line_len) == NULL && line_len == sizeof(line) - 1)
		fatalx(EX_PW_USAGE, "%s: description over %zu bytes", opt.in, sizeof(line) - 1);
	sdp = rtc_sdp_from_json(line, strcspn(line, "\n"), opt.offer ? "answer" : "offer");
	if (sdp == NULL)
		fatalx(EX_PW_USAGE, "%s: no %s in JSON", opt.in, opt.offer ? "answer" : "offer");
	if (rtc_set_remote(pc, sdp, strlen(sdp), err, sizeof(err)) < 0)
		fatalx(EX_PW_USAGE, "%s", err);
	free(sdp);
	if (!opt.offer && rtc_start(pc) < 0)
		fatalx(EX_PW_INTERNAL, "ICE gathering");
}

static void
on_deadline(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
	log_warnx("timeout (sent %llu, received %llu)", (unsigned long long)nsent,
	          (unsigned long long)nrecv);
	finish(EX_PW_TEMP);
}

static void
on_sigterm(struct ev_loop *l, ev_signal *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
	finish(EX_PW_OK);
}

static void
parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "offer", no_argument, NULL, 'o' },   { "answer", no_argument, NULL, 'a' },
		{ "in", required_argument, NULL, 'i' }, { "out", required_argument, NULL, 'O' },
		{ "stun", required_argument, NULL, 's' }, { "send", required_argument, NULL, 'S' },
		{ "save", required_argument, NULL, 'w' }, { "expect", required_argument, NULL, 'e' },
		{ "msg-size", required_argument, NULL, 'm' }, { "label", required_argument, NULL, 'l' },
		{ "unordered", no_argument, NULL, 'u' }, { "hold", no_argument, NULL, 'H' },
		{ "echoed", no_argument, NULL, 'E' },
		{ "pause-ms", required_argument, NULL, 'p' },
		{ "send-after-ms", required_argument, NULL, 'A' },
		{ "loss-ms", required_argument, NULL, 'L' }, { "max12", no_argument, NULL, '2' },
		{ "timeout", required_argument, NULL, 't' }, CLI_LONGOPTS, { NULL, 0, NULL, 0 },
	};
	char *colon;
	int ch;

	cli_init(argv, usage);
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': opt.offer = 1; opt.set = 1; break;
		case 'a': opt.offer = 0; opt.set = 1; break;
		case 'i': opt.in = optarg; break;
		case 'O': opt.out = optarg; break;
		case 's': opt.stun = optarg; break;
		case 'S': opt.send = optarg; break;
		case 'w': opt.save = optarg; break;
		case 'e': opt.expect = cli_u64("--expect", optarg, 1, UINT64_MAX / 2); break;
		case 'm': opt.msg_size = cli_u64("--msg-size", optarg, 1, RTC_MAX_MSG_DEFAULT); break;
		case 'l': opt.label = optarg; break;
		case 'u': opt.unordered = 1; break;
		case 'H': opt.hold = 1; break;
		case 'E': opt.echoed = 1; break;
		case 'p': opt.pause_ms = cli_u64("--pause-ms", optarg, 1, 600000); break;
		case 'A': opt.send_after_ms = cli_u64("--send-after-ms", optarg, 1, 600000); break;
		case 'L': opt.loss_ms = cli_u64("--loss-ms", optarg, 100, 600000); break;
		case '2': opt.max12 = 1; break;
		case 't': opt.timeout_ms = cli_seconds_ms("--timeout", optarg, 100, 3600000); break;
		default: cli_option(ch);
		}
	}
	cli_no_operands(argc, argv);
	if (!opt.set || opt.in == NULL || opt.out == NULL)
		cli_usage_error("--offer or --answer, --in and --out are required");
	if (strlen(opt.label) > RTC_LABEL_MAX)
		cli_usage_error("--label too long");
	if (opt.stun != NULL) {
		colon = strrchr(opt.stun, ':');
		if (colon == NULL || (size_t)(colon - opt.stun) >= sizeof(opt.stun_ip))
			cli_usage_error("--stun IP:PORT");
		memcpy(opt.stun_ip, opt.stun, (size_t)(colon - opt.stun));
		opt.stun_port = (uint16_t)cli_u64("--stun port", colon + 1, 1, 65535);
	}
}

/* The offerer opens its output first, the answerer its input: see the top. */
static void
open_files(void)
{
	if (opt.offer && (out_fd = open(opt.out, O_WRONLY | O_CLOEXEC)) < 0)
		fatal(EX_PW_USAGE, "%s", opt.out);
	if ((in_fd = open(opt.in, O_RDONLY | O_CLOEXEC)) < 0)
		fatal(EX_PW_USAGE, "%s", opt.in);
	if (!opt.offer && (out_fd = open(opt.out, O_WRONLY | O_CLOEXEC)) < 0)
		fatal(EX_PW_USAGE, "%s", opt.out);
	fcntl(in_fd, F_SETFL, fcntl(in_fd, F_GETFL) | O_NONBLOCK);
	if (opt.send != NULL && (send_fd = open(opt.send, O_RDONLY | O_CLOEXEC)) < 0)
		fatal(EX_PW_USAGE, "%s", opt.send);
	if (opt.save != NULL &&
	    (save_fd = open(opt.save, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		fatal(EX_PW_USAGE, "%s", opt.save);
}

int
main(int argc, char **argv)
{
	struct rtc_opts ro = { 0 };
	struct rtc_cb cb = { .local_sdp = on_local_sdp, .open = on_open, .message = on_message,
		             .writable = on_writable, .closed = on_closed };
	struct nssc_id *id;
	char err[NSSC_ERR_MAX], s[FP_STR_MAX];
	uint8_t fp[FP_LEN];

	parse_args(argc, argv);
	if (nssc_global_init(err, sizeof(err)) < 0 || (id = nssc_id_new(err, sizeof(err))) == NULL)
		fatalx(EX_PW_INTERNAL, "%s", err);
	nssc_id_fingerprint(id, fp);
	fp_format(fp, s);
	say("fingerprint", s);
	if ((chunk = malloc(opt.msg_size)) == NULL)
		fatalx(EX_PW_INTERNAL, "out of memory");
	open_files();
	t_start = ev_time();
	loop = EV_DEFAULT;
	ro.offerer = opt.offer;
	ro.stun_ip = opt.stun != NULL ? opt.stun_ip : NULL;
	ro.stun_port = opt.stun_port;
	ro.label = opt.label;
	ro.unordered = opt.unordered;
	ro.loss_ms = (unsigned)opt.loss_ms;
	ro.id = id;
	ro.dtls_max12 = opt.max12;
	if ((pc = rtc_new(loop, &ro, &cb, err, sizeof(err))) == NULL)
		fatalx(EX_PW_INTERNAL, "%s", err);
	if (opt.offer && rtc_start(pc) < 0)
		fatalx(EX_PW_INTERNAL, "ICE gathering");
	ev_io_init(&in_w, on_input, in_fd, EV_READ);
	ev_io_start(loop, &in_w);
	ev_timer_init(&send_after_w, on_send_after, (double)opt.send_after_ms / 1000.0, 0.);
	ev_timer_init(&deadline, on_deadline, (double)opt.timeout_ms / 1000.0, 0.);
	ev_timer_start(loop, &deadline);
	signal(SIGPIPE, SIG_IGN);
	ev_signal_init(&sigterm, on_sigterm, SIGTERM);
	ev_signal_start(loop, &sigterm);
	ev_run(loop, 0);
	rtc_free(pc);
	nssc_id_free(id);
	free(chunk);
	if (in_fd >= 0)
		close(in_fd);
	if (out_fd >= 0)
		close(out_fd);
	if (send_fd >= 0)
		close(send_fd);
	if (save_fd >= 0)
		close(save_fd);
	return status;
}
