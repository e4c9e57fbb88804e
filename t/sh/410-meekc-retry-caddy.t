#!/bin/sh
# SPDX-License-Identifier: MIT
# Pipelined polls through Caddy over HTTP/2 survive answers lost
# mid-flight: a relay between Caddy and meek-server cuts three
# connections in the middle of an answer (the request was taken, its
# answer never finishes), so Caddy resets those HTTP/2 streams while
# others are in flight. meek-client retries each lost seq with the same
# body, meek-server answers the retry from what it kept (counted as a
# replay, nothing written upstream twice), and a 20 MB download through
# socks-client -> meek-client -> Caddy -> relay -> meek-server -> egress
# arrives byte for byte; with wolfSSL and with --tls firefox.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-caddy.sh"

pw_httpd 20000000
pw_start egress 1 pw_egress -l "unix:$T/egress.sock,trusted" --allow "127.0.0.1:$httpd_port"
(umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$T/token")
pw_start meek 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/egress.sock" \
	--path /meek/ --auth-token-file "$T/token" --proxy-protocol --trust-forwarded \
	--admin "unix:$T/admin.sock"
meek_ep=$pw_ep
url=http://127.0.0.1:$httpd_port

for tls in wolfssl firefox; do
	pw_start "cut$tls" 1 python3 "$PW_PY/cut-proxy.py" "${meek_ep#tcp:}" 100000 3
	cut_pid=$pw_pid
	pw_caddy "$pw_ep" /meek/
	r0=$(pw_metric "$T/admin.sock" replays)
	pw_start "cli$tls" 1 pw_socks_client -l tcp:127.0.0.1:0 -C "exec $PW_BIN/meek-client \
--url https://$caddy_host:$caddy_port/meek/ --front 127.0.0.1:$caddy_port,sni=$caddy_host \
--ca $caddy_ca --auth-token-file $T/token --tls $tls -v"
	pw_fetch "$tls" big.bin --max-time 120 --socks5-hostname "127.0.0.1:$pw_port" "$url/big.bin"
	pw_stop "cli$tls"
	cuts=$(grep -c '^cut ' "$T/cut$tls.out")
	retries=$(grep -c 'poll [0-9]* failed' "$T/cli$tls.err")
	r1=$(pw_metric "$T/admin.sock" replays)
	note "$tls: $cuts answers cut, $retries polls retried, $((r1 - r0)) replays;" \
		"$(grep 'session ended' "$T/cli$tls.err" | sed 's/^.*session ended //')"
	[ "$cuts" -ge 1 ] || fail "$tls: the relay cut nothing"
	[ "$retries" -ge 1 ] || fail "$tls: no poll was retried"
	[ "$((r1 - r0))" -ge 1 ] || fail "$tls: no retry was answered from what meek-server kept"
	grep -q '([2-8] in flight at most)' "$T/cli$tls.err" || fail "$tls: the polls were not pipelined"
	grep -q 'HTTP/2 connection to the front' "$T/cli$tls.err" || fail "$tls: not HTTP/2"
	kill -TERM "$cut_pid" "$caddy_pid" 2>/dev/null
	pw_wait "$cut_pid" 10
	pw_wait "$caddy_pid" 10
	pw_wait "$caddy_drain" 10
	rm -rf "$T/caddy"
done
pw_stop meek
pw_stop egress
exit 0
