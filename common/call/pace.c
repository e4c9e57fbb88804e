/* SPDX-License-Identifier: MIT */
/*
 * The bulk profile's receiver reports and rate controller (pace.h).
 */
#include "call/pace.h"
#include "proto/rtp.h"

#include <string.h>

#define RTCP_PT_RR 201
#define LOSS_HIGH 0.10
#define LOSS_LOW 0.02

void
pace_rx_seen(struct pace_rx *rx, uint32_t ssrc, uint16_t seq)
{
	uint16_t delta;

	if (!rx->have || rx->ssrc != ssrc) {
		memset(rx, 0, sizeof(*rx));
		rx->have = 1;
		rx->ssrc = ssrc;
		rx->max_seq = seq;
		rx->base_seq = seq;
		rx->received = 1;
		return;
	}
	delta = (uint16_t)(seq - rx->max_seq);
	if (delta != 0 && delta < 0x8000) {
		if (seq < rx->max_seq)
			rx->cycles += 65536;
		rx->max_seq = seq;
	}
	rx->received++;
}

int
pace_rx_report(struct pace_rx *rx, uint32_t ssrc, struct pace_rr *rr)
{
	uint32_t ext, expected, exp_int, rec_int;
	int64_t lost_int, cum;

	if (!rx->have || rx->received == rx->received_prior)
		return 0;
	ext = rx->cycles + rx->max_seq;
	expected = ext - rx->base_seq + 1;
	exp_int = expected - rx->expected_prior;
	rec_int = rx->received - rx->received_prior;
	rx->expected_prior = expected;
	rx->received_prior = rx->received;
	lost_int = (int64_t)exp_int - (int64_t)rec_int;
	cum = (int64_t)expected - (int64_t)rx->received;
	memset(rr, 0, sizeof(*rr));
	rr->ssrc = ssrc;
	rr->src = rx->ssrc;
	rr->fraction = exp_int == 0 || lost_int <= 0 ? 0 : (uint8_t)((lost_int << 8) / exp_int);
	rr->cum_lost = cum < 0 ? 0 : cum > 0x7fffff ? 0x7fffff : (uint32_t)cum;
	rr->ext_seq = ext;
	return 1;
}

ssize_t
pace_rr_build(const struct pace_rr *rr, uint8_t *out, size_t cap)
{
	if (cap < PACE_RR_LEN)
		return -1;
	memset(out, 0, PACE_RR_LEN);
	out[0] = 0x81; /* V=2, P=0, RC=1 */
	out[1] = RTCP_PT_RR;
	out[3] = PACE_RR_LEN / 4 - 1;
	rtp_put32(out + 4, rr->ssrc);
	rtp_put32(out + 8, rr->src);
	rtp_put32(out + 12, rr->cum_lost & 0xffffff);
	out[12] = rr->fraction;
	rtp_put32(out + 16, rr->ext_seq);
	/* jitter, LSR, DLSR: 0 */
	return PACE_RR_LEN;
}

ssize_t
pace_rr_parse(const uint8_t *p, size_t n, struct pace_rr *rr)
{
	size_t len;

	if (n < 4)
		return 0;
	if ((p[0] >> 6) != 2 || p[1] != RTCP_PT_RR || (p[0] & 0x1f) == 0)
		return -1;
	len = ((size_t)p[2] << 8 | p[3]) * 4 + 4;
	if (len < 8 + 24 * (size_t)(p[0] & 0x1f))
		return -1;
	if (n < len)
		return 0;
	rr->ssrc = rtp_get32(p + 4);
	rr->src = rtp_get32(p + 8);
	rr->fraction = p[12];
	rr->cum_lost = rtp_get32(p + 12) & 0xffffff;
	rr->ext_seq = rtp_get32(p + 16);
	return (ssize_t)len;
}

void
pace_init(struct pace *p, double now)
{
	memset(p, 0, sizeof(*p));
	p->rate = PACE_RATE_INIT;
	p->tokens = PACE_BURST_MIN;
	p->last = p->last_rr = now;
	p->startup = 1;
	p->wnd = p->wnd_top = PACE_WND_PKTS;
}

double
pace_burst(const struct pace *p)
{
	double b = p->rate * PACE_BURST_SECS;

	return b < PACE_BURST_MIN ? PACE_BURST_MIN : b > PACE_BURST_MAX ? PACE_BURST_MAX : b;
}

void
pace_refill(struct pace *p, double now)
{
	double b = pace_burst(p);

	if (now > p->last) {
		p->tokens += p->rate * (now - p->last);
		p->last = now;
	}
	if (p->tokens > b)
		p->tokens = b;
}

int
pace_may_send(const struct pace *p)
{
	return p->tokens > 0;
}

void
pace_spent(struct pace *p, size_t n)
{
	if (!p->sent)
		p->last_rr = p->last; /* the timeout counts from the first send after a report */
	p->tokens -= (double)n;
	p->sent = 1;
}

double
pace_wait(struct pace *p, size_t n)
{
	double need = (double)n - p->tokens;

	p->limited = 1;
	p->waits++;
	return need > 0 ? need / p->rate : 0;
}

static void
clamp(struct pace *p)
{
	if (p->rate < PACE_RATE_MIN)
		p->rate = PACE_RATE_MIN;
	if (p->rate > PACE_RATE_MAX)
		p->rate = PACE_RATE_MAX;
}

void
pace_sent_seq(struct pace *p, uint16_t seq, double now)
{
	if (!p->have_seq) {
		p->have_seq = 1;
		p->seq_acked = (uint16_t)(seq - 1);
	}
	p->seq_sent = seq;
	p->sent_at[seq % PACE_RING] = now;
}

unsigned
pace_in_flight(const struct pace *p)
{
	uint16_t d = (uint16_t)(p->seq_sent - p->seq_acked);

	return p->have_seq && d < 0x8000 ? d : 0;
}

unsigned
pace_wnd(const struct pace *p)
{
	return p->wnd;
}

int
pace_window_open(struct pace *p, double now)
{
	if (pace_in_flight(p) < p->wnd)
		return 1;
	if (p->wnd_since == 0) {
		p->wnd_since = now > 0 ? now : 1e-9;
		p->wnd_waits++;
	}
	return 0;
}

/* The window moved to seq: a round trip of the packet reported, the end of a wait. */
static void
acked(struct pace *p, uint16_t seq, double now)
{
	double rtt;

	p->seq_acked = seq;
	if (p->wnd_since > 0 && pace_in_flight(p) < p->wnd) {
		if (now > p->wnd_since)
			p->wnd_closed += now - p->wnd_since;
		p->wnd_since = 0;
	}
	/* A send time is still the reported packet's while fewer than the ring went since. */
	if (pace_in_flight(p) >= PACE_RING || (rtt = now - p->sent_at[seq % PACE_RING]) < 0)
		return;
	p->rtt_samples++;
	p->rtt_sum += rtt;
	if (p->rtt_min == 0 || rtt < p->rtt_min)
		p->rtt_min = rtt;
}

/* The window from the delivery rate and the least round trip (pace.h). */
static void
resize(struct pace *p)
{
	double w = 2 * p->dr * p->rtt_min;

	p->wnd = w > PACE_WND_MAX ? PACE_WND_MAX : w > PACE_WND_PKTS ? (unsigned)w : PACE_WND_PKTS;
	if (p->wnd > p->wnd_top)
		p->wnd_top = p->wnd;
}

/*
 * The loss to judge on: the lost share of the packets expected since the
 * last judgement (from the reports' cumulative counts), or, for the
 * first, the report's own fraction. -1: too soon after the last.
 */
static double
judge_loss(struct pace *p, const struct pace_rr *rr, double now)
{
	uint32_t dext = rr->ext_seq - p->judged_ext;
	uint32_t dlost = (rr->cum_lost - p->judged_lost) & 0xffffff;
	double loss = rr->fraction / 256.0;

	if (p->have_judged) {
		if (now - p->judged < PACE_RR_IVL * 0.8)
			return -1;
		if (dext != 0 && dext < 0x80000000u)
			loss = dlost > dext ? 1.0 : (double)dlost / (double)dext;
	}
	if (p->have_judged && now > p->judged) {
		uint16_t got = (uint16_t)(p->seq_acked - p->dr_seq);
		double dr = got < 0x8000 ? got / (now - p->judged) : 0;

		p->dr = dr > p->dr * PACE_DR_DECAY ? dr : p->dr * PACE_DR_DECAY;
		resize(p);
	}
	p->dr_seq = p->seq_acked;
	p->have_judged = 1;
	p->judged = now;
	p->judged_ext = rr->ext_seq;
	p->judged_lost = rr->cum_lost;
	return loss;
}

void
pace_on_report(struct pace *p, const struct pace_rr *rr, double now)
{
	uint16_t d = (uint16_t)((uint16_t)rr->ext_seq - p->seq_acked);
	double loss;

	p->reports++;
	p->last_rr = now;
	/* The window: a report never takes back what an earlier one said. */
	if (p->have_seq && d != 0 && d < 0x8000 && (uint16_t)(p->seq_sent - (uint16_t)rr->ext_seq) < 0x8000)
		acked(p, (uint16_t)rr->ext_seq, now);
	if ((loss = judge_loss(p, rr, now)) < 0)
		return;
	if (loss > LOSS_LOW) {
		p->rate *= 1 - 0.5 * (loss > LOSS_HIGH ? loss : LOSS_HIGH);
		p->startup = 0;
		p->cuts++;
	} else if (p->limited)
		p->rate *= p->startup ? 1.5 : 1.05;
	clamp(p);
	p->limited = p->sent = 0;
}

void
pace_tick(struct pace *p, double now)
{
	if (p->sent && now - p->last_rr > PACE_RR_TIMEOUT) {
		p->rate *= 0.5;
		p->startup = 0;
		p->cuts++;
		p->last_rr = now;
		p->limited = p->sent = 0;
		p->seq_acked = p->seq_sent; /* what is in flight is lost */
		if (p->wnd_since > 0) {
			p->wnd_closed += now - p->wnd_since;
			p->wnd_since = 0;
		}
		clamp(p);
	}
}
