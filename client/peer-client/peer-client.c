/* SPDX-License-Identifier: MIT */
/*
 * peer-client: a carrier (DESIGN.md §4) whose path is a WebRTC data
 * channel to a volunteer (a peer-proxy or a Snowflake proxy) found
 * through a broker speaking Snowflake's client wire (POST /client, "1.0"
 * and JSON holding the SDP offer; the answer back). The session stream
 * on stdin goes out in binary data-channel messages, as snowflake-client
 * writes it; the messages that come back are written to stdout: the
 * volunteer's WebSocket relay concatenates them, so boundaries carry no
 * meaning either way.
 *
 * The volunteer is watched by common/rtc's loss detector (an SCTP
 * heartbeat after a quarter of --loss-ms of silence, the connection
 * closed after --loss-ms): when it is gone peer-client says why on
 * stderr and exits 111, so socks-client redials at once through the
 * broker, and the session continues through the next volunteer.
 *
 * Bounds: the broker's answer within --broker-timeout and SF body size;
 * the channel open within --connect-timeout; toward stdout at most
 * OUT_MAX bytes wait (the data channel is paused beyond OUT_HIGH, so
 * SCTP's window holds the volunteer back); from stdin one message waits
 * while SCTP's buffer is full.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cli.h"
#include "base/exitcodes.h"
#include "base/hex.h"
#include "base/log.h"
#include "base/stdio_carrier.h"
#include "net/hpost.h"
#include "nss/nssc.h"
#include "rtc/rtc.h"
#include "rtc/rtc_broker.h"
#include "rtc/rtc_nat.h"
#include "rtc/rtc_stun.h"

static const char usage[] =
	"usage: peer-client [-hqv] --broker URL --stun stun:HOST:PORT ... [--nat TYPE] [--nat-probe]\n"
	"       [--fingerprint HEX] [--broker-timeout S] [--connect-timeout S] [--loss-ms N]\n"
	"       [--gather-ms N] [--broker-front NAME] [--broker-ca FILE]\n";

#define BROKER_BODY_MAX 100000 /* Snowflake's readLimit */
#define CHUNK_MAX 65535        /* stdin bytes per message: pion reads one into 65535 bytes */
#define OUT_HIGH 262144        /* pause the channel above this much waiting for stdout */
#define OUT_MAX (OUT_HIGH + RTC_MAX_MSG_DEFAULT)
#define OUT_BATCH 65536        /* write to stdout at once from this much; less waits for the loop's turn */
#define DEFAULT_FPR "2B280B23E1107BB62ABFC40DDCC8824814F80A72"

static struct {
	const char *broker, *fpr, *nat, *broker_front, *broker_ca;
	struct rtc_stuns stuns;
	int nat_probe;
	uint64_t broker_ms, connect_ms, loss_ms, gather_ms;
} opt = { .fpr = DEFAULT_FPR, .nat = "unknown", .broker_ms = 60000, .connect_ms = 20000, .loss_ms = 1000,
	  .gather_ms = 500 };

static struct ev_loop *loop;
static struct hpost_url broker_url;
static struct rtc *pc;
static struct hpost *poll_req;
static struct stdio_carrier sc;
static int status = EX_PW_TEMP, is_open, in_eof, paused, chan_dead;
static uint8_t chunk[CHUNK_MAX];
static size_t chunk_len;
static uint8_t *out;
static size_t out_len, out_off; /* waiting for stdout: out[out_off .. out_off + out_len) */
static ev_tstamp t_start;
static ev_prepare flush_w;

static void
finish(int st)
{
	status = st;
	ev_break(loop, EVBREAK_ALL);
}

static void
update_want(void)
{
	if (!is_open)
		return;
	stdio_carrier_want(&sc, !in_eof && !chan_dead && chunk_len == 0, out_len > 0);
}

/* Send what waits from stdin; read more while SCTP takes it. */
static void
pump_up(void)
{
	size_t max = rtc_max_send(pc);
	ssize_t n;

	if (max > CHUNK_MAX)
		max = CHUNK_MAX;
	for (;;) {
		if (chan_dead)
			break;
		if (chunk_len == 0) {
			if (in_eof)
				break;
			n = read(sc.in_fd, chunk, max);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n <= 0) {
				if (n < 0)
					log_warn("stdin");
				in_eof = 1;
				log_info("stdin closed: shutting the channel down");
				rtc_shutdown(pc);
				break;
			}
			chunk_len = (size_t)n;
		}
		n = rtc_send(pc, chunk, chunk_len, 1);
		if (n == 0)
			break; /* writable follows */
		if (n < 0) {
			/* Closed (an ABORT came in): the closed callback follows and says why. */
			chan_dead = 1;
			break;
		}
		chunk_len = 0;
	}
	update_want();
}

static void
flush_down(void)
{
	ssize_t n;

	while (out_len > 0) {
		n = write(sc.out_fd, out + out_off, out_len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n < 0) {
			log_warn("stdout");
			finish(EX_PW_TEMP);
			return;
		}
		out_off += (size_t)n;
		out_len -= (size_t)n;
	}
	if (out_len == 0)
		out_off = 0; /* a partial write leaves the rest in place: moved only when room is short */
	if (paused && out_len < OUT_HIGH / 2) {
		paused = 0;
		rtc_pause(pc, 0); /* may deliver messages from inside */
	}
	update_want();
}

static void on_answer(void *arg, int st, const char *body, size_t n, const char *err);

static struct rtc_nat *nat_probe;
static char *sdp_waiting; /* our offer, while the NAT probe goes on */

static void
post_offer(const char *sdp)
{
	char *offer = rtc_sdp_to_json("offer", sdp), *js, *body;
	json_t *j;
	size_t len;

	if (offer == NULL)
		fatalx(EX_PW_INTERNAL, "out of memory");
	j = json_pack("{s:s, s:s, s:s}", "offer", offer, "nat", opt.nat, "fingerprint", opt.fpr);
	js = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	if (js == NULL || (body = malloc(strlen(js) + 5)) == NULL)
		fatalx(EX_PW_INTERNAL, "out of memory");
	len = (size_t)sprintf(body, "1.0\n%s", js);
	poll_req = hpost_start(loop, &broker_url, "/client", body, len, (double)opt.broker_ms / 1000.0,
	                       BROKER_BODY_MAX, on_answer, NULL);
	free(body);
	free(js);
	json_decref(j);
	free(offer);
	if (poll_req == NULL)
		fatal(EX_PW_INTERNAL, "broker request");
	log_info("offer sent to the broker after %.0f ms", (ev_time() - t_start) * 1000.0);
}

static void
on_local_sdp(void *arg, const char *sdp)
{
	(void)arg;
	if (nat_probe == NULL) {
		post_offer(sdp);
		return;
	}
	if ((sdp_waiting = strdup(sdp)) == NULL)
		fatalx(EX_PW_INTERNAL, "out of memory");
}

/* The NAT probe ended: its type goes with the offer (an inconclusive one leaves --nat's). */
static void
on_nat(void *arg, const char *nat, const char *why)
{
	(void)arg;
	rtc_nat_free(nat_probe);
	nat_probe = NULL;
	if (strcmp(nat, "unknown") != 0)
		opt.nat = nat;
	log_info("NAT probe: %s%s%s", nat, why != NULL ? ": " : "", why != NULL ? why : "");
	if (sdp_waiting != NULL) {
		post_offer(sdp_waiting);
		free(sdp_waiting);
		sdp_waiting = NULL;
	}
}

static void
on_answer(void *arg, int st, const char *body, size_t n, const char *err)
{
	char e[160], *sdp;
	json_t *j, *a, *er;

	(void)arg;
	poll_req = NULL;
	if (st < 0) {
		log_warnx("broker: %s", err);
		finish(EX_PW_TEMP);
		return;
	}
	j = json_loadb(body, n, 0, NULL);
	a = json_object_get(j, "answer");
	er = json_object_get(j, "error");
	if (st != 200 || !json_is_string(a)) {
		if (json_is_string(er))
			log_warnx("broker: %s", json_string_value(er));
		else
			log_warnx("broker: status %d, no answer", st);
		json_decref(j);
		finish(EX_PW_TEMP);
		return;
	}
	sdp = rtc_sdp_from_json(json_string_value(a), strlen(json_string_value(a)), "answer");
	json_decref(j);
	if (sdp == NULL) {
		log_warnx("broker: the volunteer's answer is not SDP JSON");
		finish(EX_PW_TEMP);
		return;
	}
	if (rtc_set_remote(pc, sdp, strlen(sdp), e, sizeof(e)) < 0) {
		log_warnx("volunteer's answer: %s", e);
		free(sdp);
		finish(EX_PW_TEMP);
		return;
	}
	free(sdp);
	log_info("answer in after %.0f ms", (ev_now(loop) - t_start) * 1000.0);
}

static void
on_open(void *arg, const char *label)
{
	(void)arg;
	is_open = 1;
	log_info("channel %s open after %.0f ms: %s", label, (ev_time() - t_start) * 1000.0,
	         rtc_describe(pc));
	pump_up();
}

static void
on_message(void *arg, const uint8_t *p, size_t n, int binary)
{
	(void)arg;
	(void)binary; /* text is passed on too, as a WebSocket relay would */
	if (out_len + n > OUT_MAX) {
		log_warnx("volunteer sent past the paused window");
		finish(EX_PW_TEMP);
		return;
	}
	if (out_off + out_len + n > OUT_MAX) {
		memmove(out, out + out_off, out_len);
		out_off = 0;
	}
	memcpy(out + out_off + out_len, p, n);
	out_len += n;
	if (!paused && out_len >= OUT_HIGH) {
		paused = 1;
		rtc_pause(pc, 1);
	}
	/*
	 * The messages of one loop turn (a run of datagrams read at once)
	 * leave in one write, before the loop sleeps: one write per message
	 * was a tenth of this process's CPU in a download.
	 */
	if (out_len >= OUT_BATCH)
		flush_down();
	else if (!ev_is_active(&flush_w))
		ev_prepare_start(loop, &flush_w);
}

static void
on_flush(struct ev_loop *l, ev_prepare *w, int revents)
{
	(void)revents;
	ev_prepare_stop(l, w);
	flush_down();
}

static void
on_writable(void *arg)
{
	(void)arg;
	if (is_open)
		pump_up();
}

static void
on_closed(void *arg, const char *reason)
{
	(void)arg;
	flush_down();
	log_info("SCTP %s", rtc_sctp_describe(pc));
	if (in_eof && out_len == 0) {
		log_info("channel closed: %s", reason);
		finish(EX_PW_OK);
		return;
	}
	log_warnx("volunteer gone: %s", reason);
	finish(EX_PW_TEMP);
}

static void
on_stdin(void *arg)
{
	(void)arg;
	pump_up();
}

static void
on_stdout(void *arg)
{
	(void)arg;
	flush_down();
}

static void
on_gone(void *arg)
{
	(void)arg;
	log_info("stdout reader gone");
	finish(EX_PW_OK);
}

static void
on_signal(void *arg, int signum)
{
	(void)arg;
	log_info("signal %d: closing", signum);
	finish(EX_PW_OK);
}

static void
parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "broker", required_argument, NULL, 'b' },
		{ "stun", required_argument, NULL, 's' },
		{ "fingerprint", required_argument, NULL, 'f' },
		{ "broker-timeout", required_argument, NULL, 'B' },
		{ "connect-timeout", required_argument, NULL, 'C' },
		{ "loss-ms", required_argument, NULL, 'L' },
		{ "nat", required_argument, NULL, 'N' },
		{ "gather-ms", required_argument, NULL, 'G' },
		{ "nat-probe", no_argument, NULL, 'P' },
		{ "broker-front", required_argument, NULL, 'F' },
		{ "broker-ca", required_argument, NULL, 'A' },
		CLI_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	char err[160];
	int ch;

	cli_init(argv, usage);
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case 'b': opt.broker = optarg; break;
		case 's':
			if (rtc_stun_add(&opt.stuns, optarg) == -1)
				cli_usage_error("--stun stun:HOST:PORT (at most %d)", RTC_STUN_MAX);
			break;
		case 'f':
			if (strlen(optarg) != 40 || strspn(optarg, "0123456789abcdefABCDEF") != 40)
				cli_usage_error("--fingerprint: 40 hex digits");
			opt.fpr = optarg;
			break;
		case 'B': opt.broker_ms = cli_seconds_ms("--broker-timeout", optarg, 1000, 600000); break;
		case 'C': opt.connect_ms = cli_seconds_ms("--connect-timeout", optarg, 1000, 600000); break;
		case 'L': opt.loss_ms = cli_u64("--loss-ms", optarg, 200, 600000); break;
		case 'G': opt.gather_ms = cli_u64("--gather-ms", optarg, 0, 60000); break;
		case 'P': opt.nat_probe = 1; break;
		case 'F': opt.broker_front = optarg; break;
		case 'A': opt.broker_ca = optarg; break;
		case 'N':
			if (strcmp(optarg, "unknown") != 0 && strcmp(optarg, "restricted") != 0 &&
			    strcmp(optarg, "unrestricted") != 0)
				cli_usage_error("--nat: unknown, restricted or unrestricted");
			opt.nat = optarg;
			break;
		default: cli_option(ch);
		}
	}
	cli_no_operands(argc, argv);
	if (opt.broker == NULL || opt.stuns.n == 0)
		cli_usage_error("--broker and --stun are required");
	if (hpost_parse_url(opt.broker, opt.broker_front, &broker_url, err, sizeof(err)) == -1)
		cli_usage_error("--broker: %s", err);
	if (opt.broker_ca != NULL && !broker_url.https)
		cli_usage_error("--broker-ca: the broker is not https://");
}

static struct nssc_id *id;
static char label[32];

/* The STUN servers' names resolved: one of them, then the peer connection. */
static void
on_stun_ready(void *arg)
{
	struct rtc_opts ro = { 0 };
	struct rtc_cb cb = { .local_sdp = on_local_sdp, .open = on_open, .message = on_message,
		             .writable = on_writable, .closed = on_closed };
	struct rtc_stun *st = rtc_stun_pick(&opt.stuns);
	char err[NSSC_ERR_MAX];

	(void)arg;
	if (st == NULL) {
		log_warnx("no STUN server resolved");
		finish(EX_PW_TEMP);
		return;
	}
	ro.offerer = 1;
	ro.stun_ip = st->ip;
	ro.stun_port = st->port;
	ro.label = label;
	ro.loss_ms = (unsigned)opt.loss_ms;
	ro.connect_ms = (unsigned)opt.connect_ms;
	ro.gather_ms = (unsigned)opt.gather_ms;
	ro.id = id;
	log_info("STUN server %s (%s) port %u", st->host, st->ip, (unsigned)st->port);
	/* Beside gathering: the offer waits for whichever ends last. */
	if (opt.nat_probe && (nat_probe = rtc_nat_probe(loop, st->ip, st->port, on_nat, NULL)) == NULL)
		log_warn("NAT probe");
	if ((pc = rtc_new(loop, &ro, &cb, err, sizeof(err))) == NULL)
		fatalx(EX_PW_INTERNAL, "%s", err);
	if (rtc_start(pc) < 0)
		fatalx(EX_PW_INTERNAL, "ICE gathering");
}

static const struct stdio_carrier_cbs stdio_cbs = { on_stdin, on_stdout, on_gone, on_signal };

int
main(int argc, char **argv)
{
	char err[NSSC_ERR_MAX];
	uint8_t rnd[8];

	parse_args(argc, argv);
	if (nssc_global_init(err, sizeof(err)) < 0 || (id = nssc_id_new(err, sizeof(err))) == NULL)
		fatalx(EX_PW_INTERNAL, "%s", err);
	if (rtc_broker_tls(&broker_url, opt.broker_ca, err, sizeof(err)) < 0)
		fatalx(EX_PW_USAGE, "--broker-ca: %s", err);
	if ((out = malloc(OUT_MAX)) == NULL)
		fatalx(EX_PW_INTERNAL, "out of memory");
	if (getentropy(rnd, sizeof(rnd)) != 0)
		fatal(EX_PW_INTERNAL, "getentropy");
	/* snowflake-client's label: "snowflake-" and 16 hex digits */
	memcpy(label, "snowflake-", 10);
	hex_encode(label + 10, rnd, sizeof(rnd));
	loop = EV_DEFAULT;
	t_start = ev_time();
	ev_prepare_init(&flush_w, on_flush);
	if (stdio_carrier_open(&sc, loop, STDIN_FILENO, STDOUT_FILENO, &stdio_cbs, NULL) == -1)
		fatal(EX_PW_INTERNAL, "stdin/stdout");
	if (rtc_stun_resolve(&opt.stuns, loop, on_stun_ready, NULL, err, sizeof(err)) < 0)
		fatalx(EX_PW_INTERNAL, "STUN servers: %s", err);
	ev_run(loop, 0);
	ev_prepare_stop(loop, &flush_w);
	hpost_cancel(poll_req);
	stdio_carrier_close(&sc);
	rtc_free(pc);
	rtc_nat_free(nat_probe);
	free(sdp_waiting);
	rtc_stun_free(&opt.stuns);
	nssc_id_free(id);
	free(out);
	return status;
}
