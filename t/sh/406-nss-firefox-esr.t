#!/bin/sh
# SPDX-License-Identifier: MIT
# On Firefox's own NSS copy (firefox-esr installed) the same client
# offers DTLS 1.3 and X25519MLKEM768 and must equal Firefox's full WebRTC
# hello (t/data/cover/nss3125-firefox.txt). NSS's ABI is stable, so the
# binary built on the system NSS runs on that copy (--nss-lib auto finds
# it and re-executes with LD_LIBRARY_PATH). Skipped, with a note, when
# firefox-esr is absent.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-nss.sh"

ff=/usr/lib/firefox-esr
if [ ! -e "$ff/libnss3.so" ]; then
	note "SKIP: firefox-esr is not installed ($ff/libnss3.so): no DTLS 1.3 + ML-KEM case"
	exit 0
fi
nss_need_capture
nss_server srv
nss_capture_start "udp port $nss_port"
"$PEER" --nss-lib auto --client "127.0.0.1:$nss_port" -v >"$T/cli.out" 2>"$T/cli.err" ||
	fail "client exit $?"
pw_wait "$nss_pid" 10
nss_capture_stop 4
cat "$T/cli.err"
grep -q 'NSS 3\.' "$T/cli.err" || fail "no NSS version logged"
# The reference's JA4 spells the DTLS 1.3 version d12 (its oldest
# version); ours the newest, dd3: compare the JA4s apart from that prefix.
"$HELLO_COMPARE" "$T/cap.pcap" "$COVER/nss3125-firefox.txt" >"$T/cmp" 2>&1
cat "$T/cmp"
grep '^!' "$T/cmp" | grep -v '^! server hello' | awk '
	/^! JA4/ && match($0, /: ours [^ ]* \/ ref [^ ]*$/) {
		split(substr($0, RSTART + 7), v, " / ref ")
		if (substr(v[1], 4) == substr(v[2], 4)) next
	}
	{ print }' | grep -q . && fail "differs from Firefox's own hello"
exit 0
