#!/bin/sh
# SPDX-License-Identifier: MIT
# Attack test: one source (127.0.0.2) starts sessions one carrier at a
# time, each carrier leaving once its session started (a session
# outlives its carriers). Past --max-source-sessions (3) the carrier that
# would start one more is closed and counted; a client from another
# source (127.0.0.1) is served meanwhile.
. "$PW_TOP/t/lib.sh"

pw_httpd 1000
H=$httpd_port
pw_start egress 2 pw_egress -l tcp:127.0.0.1:0 --connect-timeout 1 --max-source-sessions 3 \
	--admin "unix:$T/admin.sock" --allow "127.0.0.1:$H"
egress_ep=$pw_ep
pw_keys
# One session with one stream that never names a destination: it ends
# once the egress closed that stream (--connect-timeout) or its carrier.
session() {
	"$PW_HELPERS/tt-attack" -s 127.0.0.2 -w 10 -F "$pw_fingerprint" -c "$T/credentials" \
		streams "$egress_ep" 1 >"$T/s$1.out" 2>"$T/s$1.err" ||
		fail "session $1: $(cat "$T/s$1.out" "$T/s$1.err")"
}
for i in 1 2 3; do
	session "$i"
	grep -q '^closed 1 of 1 ' "$T/s$i.out" || fail "session $i was not served: $(cat "$T/s$i.out")"
done
[ "$(pw_metric "$T/admin.sock" egress_sessions)" -ge 3 ] || fail "the sessions did not outlive their carriers"
session 4
grep -q '^open 1 after' "$T/s4.out" || fail "a fourth session from 127.0.0.2 was served: $(cat "$T/s4.out")"
n=$(pw_metric "$T/admin.sock" 'egress_refused_total{reason="max_source_sessions"}')
[ "$n" = 1 ] || fail "max_source_sessions counted $n"
pw_start client 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$egress_ep"
pw_fetch other 1k.bin --max-time 10 --socks5-hostname "127.0.0.1:$pw_port" "http://127.0.0.1:$H/1k.bin"
note "3 sessions from 127.0.0.2 served, the 4th refused; 127.0.0.1 served"
pw_stop client
pw_stop egress
pw_stop httpd
