# SPDX-License-Identifier: MIT
# t/lib-nss.sh — sourced by the NSS adapter tests (t/sh/40x) after t/lib.sh.
#
#   nss_server NAME [ARG…]    dtls-peer --server on 127.0.0.1:0; sets nss_port,
#                             nss_fp (its certificate's fingerprint), nss_pid
#                             and nss_cat (the drain of its stdout).
#   nss_field FILE KEY        the value of the first "KEY value" line of FILE.
#   nss_capture_start FILTER  tshark on lo into $T/cap.pcap, waiting for its
#                             "Capture started" line; nss_capture_stop N ends
#                             it once N packets went through.
#   nss_need_capture          skip the test (exit 0, a SKIP note) without
#                             tshark or root.
# Used by the tests that source this file.
# shellcheck disable=SC2034
PEER=$PW_HELPERS/dtls-peer
# shellcheck disable=SC2034
HELLO_COMPARE=$PW_TOP/t/helpers/hello-compare
# shellcheck disable=SC2034
COVER=$PW_TOP/t/data/cover

nss_field() {
	sed -n "s/^$2 //p" "$1" | head -n 1
}

nss_server() {
	_n=$1
	shift
	pw_start "$_n" 1 "$PEER" --server 127.0.0.1:0 "$@"
	# shellcheck disable=SC2034,SC2154 # pw_ep comes from t/lib.sh
	nss_port=${pw_ep##*:}
	# shellcheck disable=SC2034
	nss_fp=$(nss_field "$T/$_n.out" fingerprint)
	# shellcheck disable=SC2034,SC2154 # pw_pid comes from t/lib.sh
	nss_pid=$pw_pid
	nss_cat=""
	eval "nss_cat=\$_pw_cat_$_n"
}

nss_need_capture() {
	if ! command -v tshark >/dev/null 2>&1; then
		note "SKIP: tshark not installed"
		exit 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		note "SKIP: capturing on lo needs root"
		exit 0
	fi
}

nss_capture_start() {
	rm -f "$T/cap.pcap" "$T/tshark.err" "$T/tshark.out"
	# -P -l: a summary line per packet, flushed at once, so the test can
	# tell when the packets it needs have gone through the capture
	# (libpcap hands them over in blocks, not one by one).
	tshark -l -P -i lo -F pcap -w "$T/cap.pcap" -f "$1" >"$T/tshark.out" 2>"$T/tshark.err" &
	nss_tshark=$!
	pw_track "$nss_tshark"
	# tshark says "Capturing on 'Loopback: lo'" and, once dumpcap is
	# really reading, "Capture started": packets before that are lost.
	python3 "$PW_PY/wait-for.py" "$T/tshark.err" "Capture started" 10 ||
		fail "tshark did not start: $(cat "$T/tshark.err")"
}

# nss_capture_stop N: once tshark has seen N packets, stop it.
nss_capture_stop() {
	python3 "$PW_PY/wait-for.py" --re "$T/tshark.out" "^ *$1 " 10 ||
		fail "tshark saw fewer than $1 packets: $(cat "$T/tshark.out")"
	kill -TERM "$nss_tshark" 2>/dev/null
	pw_wait "$nss_tshark" 10
	[ -s "$T/cap.pcap" ] || fail "empty capture"
}
