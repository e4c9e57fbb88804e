#!/bin/sh
# SPDX-License-Identifier: MIT
# Attack test: two sessions from one source (127.0.0.2) each open 5000
# streams and never send a destination. The first is stopped by
# --max-session-streams (512); the second by --max-source-streams (600),
# after the 88 the source has left, so that sessions from one address
# cannot take every stream. A session from another source (127.0.0.1)
# is served meanwhile; the refusals are counted by reason and the stream
# gauge returns to 0 once the held streams time out.
. "$PW_TOP/t/lib.sh"

pw_httpd 1000000
H=$httpd_port
pw_start egress 2 pw_egress -l tcp:127.0.0.1:0 --connect-timeout 6 \
	--max-session-streams 512 --max-source-streams 600 \
	--admin "unix:$T/admin.sock" --allow "127.0.0.1:$H"
egress_ep=$pw_ep
pw_start client 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$egress_ep"
client_port=$pw_port
fetch() {
	pw_fetch "$1" big.bin --max-time 10 --socks5-hostname "127.0.0.1:$client_port" \
		"http://127.0.0.1:$H/big.bin"
}
fetch warm

pw_keys
# Each prints "ready" when the egress first refuses one of its streams.
attack() {
	pw_start "$1" 1 "$PW_HELPERS/tt-attack" -s 127.0.0.2 -w 25 -F "$pw_fingerprint" \
		-c "$T/credentials" streams "$egress_ep" 5000
}
attack a1
a1=$pw_pid
session=$(pw_metric "$T/admin.sock" 'egress_refused_total{reason="max_session_streams"}')
[ "$session" -gt 0 ] || fail "the first session was not stopped by max_session_streams"
attack a2
a2=$pw_pid
source=$(pw_metric "$T/admin.sock" 'egress_refused_total{reason="max_source_streams"}')
held=$(pw_metric "$T/admin.sock" egress_streams)
note "held $held streams; refused: max_session_streams $session, max_source_streams $source"
[ "$source" -gt 0 ] || fail "the second session from 127.0.0.2 was not stopped by max_source_streams"
[ "$held" -le 601 ] || fail "$held streams held, the source's cap is 600 (and one fetch)"
fetch during
pw_wait "$a1" 30
pw_wait "$a2" 30
for a in a1 a2; do
	grep -q '^closed 5000 of 5000 ' "$T/$a.out" || fail "$a: $(cat "$T/$a.out" "$T/$a.err")"
done
s=$(pw_metric "$T/admin.sock" egress_streams)
[ "$s" = 0 ] || fail "egress_streams $s after the attackers left"
fetch after
pw_stop client
pw_stop egress
pw_stop httpd
