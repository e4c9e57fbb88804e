#!/bin/sh
# SPDX-License-Identifier: MIT
# The bulk window's measurements and the batched sends of lanturn-egress:
# a 5 MB download (sha256-exact) straight to lanturn-egress, then one
# through coturn with lanturn-client. lanturn-egress's /metrics count
# round trips (a packet sent to the receiver report that covers it:
# least above zero, mean at least the least, both under a second), the
# time its window kept it waiting (within the download's) and flushes
# that carried several datagrams in one sendmmsg; lanturn-client logs
# its own window and round trips when its call ends.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-lanturn.sh"
. "$PW_TOP/t/lib-lanclient.sh"

# window_check LABEL SECONDS: the metrics after a download of SECONDS.
window_check() {
	_n=$(lt_metric lanturn_pace_rtt_samples)
	_min=$(lt_metric lanturn_pace_rtt_min_seconds)
	_mean=$(lt_metric lanturn_pace_rtt_mean_seconds)
	_closed=$(lt_metric lanturn_pace_window_closed_seconds)
	_batches=$(lt_metric lanturn_send_batches_total)
	note "$1: $_n round trips, least $_min s, mean $_mean s; window closed $_closed s of $2 s;" \
		"$_batches batched sends"
	[ "${_n:-0}" -gt 0 ] || fail "$1: no round trip measured"
	awk -v a="$_min" -v b="$_mean" -v c="$_closed" -v d="$2" 'BEGIN {
		exit !(a > 0 && b >= a && b < 1 && c >= 0 && c <= d + 1)
	}' || fail "$1: round trips $_min/$_mean s, window closed $_closed s of $2 s"
	[ "${_batches:-0}" -gt 0 ] || fail "$1: no datagrams sent together"
}

lanturn_up 5000000
lanturn_client direct bulk
pw_fetch direct big.bin --socks5-hostname "127.0.0.1:$client_port" "$url/big.bin"
window_check direct 120
pw_stop direct

lanc_turn a
lanc_cred "turn:127.0.0.1:$turn_port" >"$T/cred"
lanc_client client bulk "turn:127.0.0.1:$turn_port"
t0=$(date +%s)
lanc_fetch turn big.bin 120
window_check turn $(($(date +%s) - t0 + 1))
pw_stop client
python3 "$PW_PY/wait-for.py" "$T/client.err" "lanturn-client: done:" 10 || fail "lanturn-client did not end"
line=$(grep 'call 1: window closed' "$T/client.err") || fail "lanturn-client logged no window"
note "client: ${line#*: call 1: }"
printf '%s\n' "$line" | grep -Eq 'round trip min 0\.[0-9]+ s, mean [0-9.]+ s' ||
	fail "lanturn-client: $line"
grep -q Sanitizer "$T/client.err" && fail "sanitizer"
exit 0
