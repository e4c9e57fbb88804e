/* SPDX-License-Identifier: MIT */
/*
 * The broker that peer-client and peer-proxy poll, at an http:// or
 * https:// URL (net/hpost.h). For https://, TLS is NSS with the Firefox
 * HTTPS persona (nss/nssfd.h; ALPN http/1.1), the certificate checked
 * the Web PKI way against a CA file or the system bundle: a censor sees
 * a browser's hello to the broker or its front, as Snowflake's uTLS does.
 */
#ifndef PW_RTC_BROKER_H
#define PW_RTC_BROKER_H

#include <stddef.h>

#include "net/hpost.h"

/*
 * After nssc_global_init and hpost_parse_url: for an https:// URL, load
 * the trust anchors (ca_file, NULL for the system bundle) and set u's TLS
 * calls. -1 with a reason in err; 0 otherwise (nothing to do for http://).
 */
int rtc_broker_tls(struct hpost_url *u, const char *ca_file, char *err, size_t errlen);

#endif
