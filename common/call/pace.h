/* SPDX-License-Identifier: MIT */
/*
 * Pacing of the bulk profile (issue 15): the RTCP receiver report a
 * receiver of bulk sends about every 25 ms, and the rate controller its
 * sender runs on them. Pure: no I/O, no allocation, no clock (the caller
 * passes the time), so the unit tests drive them directly.
 *
 * The receiver report is RFC 3550's (PT 201, one report block: fraction
 * lost over the interval, cumulative lost, extended highest sequence
 * number; jitter, LSR and DLSR zero), 32 bytes before SRTCP.
 *
 * The controller is the loss-based half of Google Congestion Control
 * (draft-ietf-rmcat-gcc-02 §6): on each report, more than 2 % lost cuts
 * the rate by half the loss fraction (by at least 5 %: a relay's full
 * socket buffer loses in bursts, GCC would hold between 2 and 10 %);
 * less than 2 % raises it when the
 * sender was held back by the rate in that interval (never for an idle
 * sender), by 50 % a report until the first loss ("startup"), by 5 %
 * after. Without a report for PACE_RR_TIMEOUT while sending, the rate
 * halves (everything lost, or a peer that sends no reports).
 *
 * Beyond GCC, a window: a receiver of bulk also reports after every
 * PACE_RR_PKTS packets, and the sender keeps at most a window of
 * packets beyond the highest sequence number reported: PACE_WND_PKTS on
 * a short path (two BDPs when more, below). Whatever queues between the
 * two (a TURN server's relay socket above all) then never holds more
 * than the window, however long the relay is kept off the CPU: a rate
 * alone cannot know how long that is, and coturn drops what
 * overflows its relay socket's receive buffer (coturn's is 128 KiB).
 * What fits there is the kernel's arithmetic, measured on loopback: an
 * SRTP packet of 1,228 bytes weighs 2,304 bytes of the buffer, and UDP
 * gives back what its reader consumed only each quarter of the buffer
 * while more waits, so up to 14 packets already read still count: 56
 * packets fit when coturn is between reads, 42 when it stopped halfway
 * through what it had. A window of 48 overflows only when coturn is kept
 * off the CPU in the middle of a read with nearly all of it queued: a
 * few datagrams in rare downloads on a loaded machine, none in most.
 * Measured (bench/lanturn-turn.sh): a window of 128 dropped as many as
 * rate pacing alone (about 1,800 a 50 MB download), 64 about 500 to 800,
 * 48 none in most downloads; reports every 8 packets rather than 16 took
 * the download from 0.74 to 1.0 times coturn's own relay rate (an older
 * measurement); every 6, 12 or 16 measured the same as 8 since (81, 82
 * and 79 MB/s against 83, medians of 8 interleaved downloads each). The
 * rate controller
 * still judges loss over about PACE_RR_IVL: a report that comes sooner
 * after the last judgement only moves the window; the loss of a
 * judgement is the lost share of the packets expected since the last.
 * Without a report for PACE_RR_TIMEOUT, the window forgets what is in
 * flight (lost) as the rate halves.
 *
 * The send time of each packet by sequence number (PACE_RING of them):
 * a report moving the window gives a round trip, sent to reported; the
 * time the window kept the sender waiting is summed. The window is
 * max(PACE_WND_PKTS, 2 x delivery rate x least round trip), at most
 * PACE_WND_MAX: BBR's congestion window (cwnd_gain 2), the delivery rate
 * the packets reported per second between judgements, its recent max
 * (each judgement keeps the larger of the new figure and the old one
 * times PACE_DR_DECAY). On a path with a real round trip (a TURN server
 * 100 ms away) the fixed 48 packets would hold the call to 48 x 1,200
 * bytes a round trip (576 kB/s at 100 ms); there most of what is in
 * flight is on the way, not queued in the relay's socket, and the window
 * grows to keep two BDPs in flight (it doubles a judgement while the
 * round trip stays at its least, and settles where queueing has added
 * one least round trip). On loopback (round trips of 0.04-0.1 ms) two
 * BDPs are a few packets and the window stays at PACE_WND_PKTS.
 *
 * Measured through coturn on a 2-core machine with other work beside it
 * (bench/lanturn-turn.sh): the window is closed 50-75 % of a bulk
 * download's time, round trips 0.04-0.1 ms at least, 0.55-0.9 ms on
 * average. The download's rate is the window over that round trip, and
 * the round trip is mostly the processes of the path waiting for the
 * two cores: among them they spend about 21-23 core-ms a MB (coturn 6.5,
 * lanturn-egress 5.5-6, lanturn-client 4.5-5, socks-client and egress
 * about 5.5), and the machine is idle 0-15 % of the download. Cutting
 * lanturn-client's CPU shortened it: its packets reach stdout in one
 * write a loop turn instead of one each (a third of its CPU before),
 * stunc and lanturn-egress read with recvmmsg; over 8 interleaved
 * downloads each, from 55 to 63 MB/s on average (23.2 to 21.6 core-ms a
 * MB). The window cannot grow past what coturn's relay socket holds
 * (above; a drop costs KCP a retransmission), and sending with GSO would
 * change the call on the wire (lanturn-egress's ubatch.h).
 */
#ifndef PW_CALL_PACE_H
#define PW_CALL_PACE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PACE_RR_LEN 32             /* header 8 + one report block 24 */
#define PACE_RR_IVL 0.025          /* seconds between receiver reports */
#define PACE_RR_TIMEOUT 0.5        /* no report while sending: halve */
#define PACE_RATE_INIT 2000000.0   /* bytes/s at the start of a call */
#define PACE_RATE_MIN 100000.0
#define PACE_RATE_MAX 500000000.0
#define PACE_BURST_MIN 8192        /* token bucket depth, bytes */
#define PACE_BURST_MAX 24576       /* ~20 packets: well inside coturn's 128 KiB relay buffer */
#define PACE_BURST_SECS 0.002      /* depth: 2 ms at the rate, within the bounds above */
#define PACE_RR_PKTS 8             /* a receiver also reports after this many packets */
#define PACE_WND_PKTS 48           /* packets sent beyond the highest reported, at least */
#define PACE_WND_MAX 1000          /* and at most (a long path's two BDPs, below) */
#define PACE_RING 1024             /* send times kept, by sequence number (> any window) */
#define PACE_DR_DECAY 0.75         /* the delivery rate's max forgets this much a judgement */

/* What a receiver knows of one incoming RTP stream (RFC 3550 A.3). */
struct pace_rx {
	int have;
	uint32_t ssrc;
	uint16_t max_seq;
	uint32_t cycles;
	uint32_t base_seq;
	uint32_t received, received_prior, expected_prior;
};

struct pace_rr {
	uint32_t ssrc;        /* the reporter */
	uint32_t src;         /* the stream reported on */
	uint8_t fraction;     /* lost in the interval, /256 */
	uint32_t cum_lost;    /* 24 bits */
	uint32_t ext_seq;     /* extended highest sequence number received */
};

/* One RTP packet of the stream (a new SSRC starts over). */
void pace_rx_seen(struct pace_rx *rx, uint32_t ssrc, uint16_t seq);
/*
 * The report for the interval since the last one into rr (ssrc: ours):
 * 1, or 0 when nothing arrived in the interval (then no report is due).
 */
int pace_rx_report(struct pace_rx *rx, uint32_t ssrc, struct pace_rr *rr);

/* The 32-byte receiver report: PACE_RR_LEN, or -1 when cap is short. */
ssize_t pace_rr_build(const struct pace_rr *rr, uint8_t *out, size_t cap);
/*
 * The first RTCP packet of p[n] as a receiver report with at least one
 * block: its length with rr filled from the first block, 0 when p holds
 * less than the packet (need more), -1 when it is not one (version, PT,
 * RC 0, a length shorter than its blocks).
 */
ssize_t pace_rr_parse(const uint8_t *p, size_t n, struct pace_rr *rr);

struct pace {
	double rate;          /* bytes/s */
	double tokens;        /* bytes; may go one packet below zero */
	double last;          /* time of the last refill */
	double last_rr;       /* time of the last report, or of the first send */
	int startup;          /* no loss seen yet */
	int limited;          /* held back by the rate since the last report */
	int sent;             /* sent since the last report */
	int have_seq;         /* a packet went: the window counts */
	uint16_t seq_sent;    /* sequence number of the last packet sent */
	uint16_t seq_acked;   /* highest reported (or the first sent, less one) */
	int have_judged;
	double judged;        /* time of the last judgement */
	uint32_t judged_ext, judged_lost; /* the report it was made on */
	double sent_at[PACE_RING]; /* send time of each packet in flight, by sequence number */
	double rtt_min;       /* seconds, the least round trip seen (0: none yet) */
	double rtt_sum;       /* of all samples, for the mean */
	double wnd_since;     /* the window closed at (0: open) */
	double wnd_closed;    /* seconds the window kept a sender waiting, in all */
	unsigned wnd;         /* the window now, packets */
	unsigned wnd_top;     /* the largest it has been */
	double dr;            /* delivery rate, packets/s: the recent max */
	uint16_t dr_seq;      /* the highest reported at the last judgement */
	unsigned long long reports, cuts, waits, wnd_waits, rtt_samples;
};

void pace_init(struct pace *p, double now);
/* Tokens for the time since the last refill, up to the bucket's depth. */
void pace_refill(struct pace *p, double now);
/* May a packet go now? */
int pace_may_send(const struct pace *p);
/* A packet of n bytes went (spends tokens, counts it as sending). */
void pace_spent(struct pace *p, size_t n);
/* Its RTP sequence number (the window) and the time it went. */
void pace_sent_seq(struct pace *p, uint16_t seq, double now);
/* Packets sent beyond the highest reported. */
unsigned pace_in_flight(const struct pace *p);
/* The window: packets that may be in flight. */
unsigned pace_wnd(const struct pace *p);
/* Is the window open? (Counts a wait when not, and the time closed.) */
int pace_window_open(struct pace *p, double now);
/* Data waited for tokens: seconds until a packet of n bytes may go. */
double pace_wait(struct pace *p, size_t n);
/* A report on our stream arrived. */
void pace_on_report(struct pace *p, const struct pace_rr *rr, double now);
/* The report clock: the timeout rule. */
void pace_tick(struct pace *p, double now);
double pace_burst(const struct pace *p);

#endif
