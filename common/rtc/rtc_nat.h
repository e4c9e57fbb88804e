/* SPDX-License-Identifier: MIT */
/*
 * The NAT type a peer tells the broker, probed as snowflake-client
 * probes it: RFC 5780 mapping behaviour against a STUN server that
 * supports it. Test I, a Binding to the server, gives the mapped address
 * M1 and OTHER-ADDRESS (the server's alternate IP and port); test II, a
 * Binding from the same socket to the alternate IP and the primary port,
 * gives M2. M1 = M2 (endpoint-independent mapping) is "unrestricted",
 * anything else "restricted"; a server without OTHER-ADDRESS, or silence,
 * leaves "unknown". Each request is sent up to RTC_NAT_TRIES times,
 * RTC_NAT_RTO_MS apart; the whole probe ends within about
 * 2 x RTC_NAT_TRIES x RTC_NAT_RTO_MS.
 */
#ifndef PW_RTC_NAT_H
#define PW_RTC_NAT_H

#include <stdint.h>

#define RTC_NAT_TRIES 3
#define RTC_NAT_RTO_MS 300

struct ev_loop;
struct rtc_nat;

/* done(arg, "unrestricted" | "restricted" | "unknown", why) runs once, from the loop. */
typedef void (*rtc_nat_cb)(void *arg, const char *nat, const char *why);

/* Probe the server at ip (numeric) and port. NULL on failure (no socket, no memory). */
struct rtc_nat *rtc_nat_probe(struct ev_loop *loop, const char *ip, uint16_t port, rtc_nat_cb done,
                              void *arg);
/* Stops a probe; done is not called after. NULL is fine. */
void rtc_nat_free(struct rtc_nat *n);

#endif
