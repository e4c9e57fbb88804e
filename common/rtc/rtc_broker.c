/* SPDX-License-Identifier: MIT */
/*
 * The broker's TLS (rtc_broker.h).
 */
#include "rtc/rtc_broker.h"

#include "nss/nssc.h"
#include "nss/nssfd.h"

int
rtc_broker_tls(struct hpost_url *u, const char *ca_file, char *err, size_t errlen)
{
	if (!u->https)
		return 0;
	if (nssc_trust_load(ca_file, err, errlen) < 0)
		return -1;
	u->tls = &nssfd_tlsops;
	return 0;
}
