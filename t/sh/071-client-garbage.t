#!/bin/sh
# SPDX-License-Identifier: MIT
# socks-client fed garbage, truncated, oversized and dripped input on its
# SOCKS5 + HTTP CONNECT port, and a far end that answers garbage: it
# answers or closes, and keeps serving the next good client.
. "$PW_TOP/t/lib.sh"

pw_tunnel 100000
C="127.0.0.1:$client_port"
H=$httpd_port
dst=$(pw_v4 "$H")
get=$(pw_hex 'GET /1k.bin HTTP/1.0\r\n\r\n')

good() {
	pw_alive client
	pw_fetch "after-$1" 1k.bin --socks5-hostname "$C" "http://127.0.0.1:$H/1k.bin"
	pw_fetch "after-$1-http" 1k.bin -p -x "http://$C" "http://127.0.0.1:$H/1k.bin"
}

# An HTTP answer with a 4xx/5xx status, or a plain close.
http_error() {
	case $(printf '%s\n' "$pw_out" | grep -v '^garbage:' | head -n 1) in
	closed | "data=485454502f312e"3?"20"3[45]*) ;;
	*) fail "$1: want a 4xx/5xx HTTP status or a close, got $pw_out" ;;
	esac
}

python3 "$PW_PY/raw.py" "$C" open open open open open open open open >/dev/null 2>&1 &
idle=$!
pw_track "$idle"
python3 "$PW_PY/raw.py" "$C" "s:$(pw_hex 'CONNECT 127.0.0.1:1 HT')" open open open open open open open >/dev/null 2>&1 &
half=$!
pw_track "$half"
good idle

# HTTP side.
pw_raw plain-get "$C" "s:$(pw_hex "GET http://127.0.0.1:$H/1k.bin HTTP/1.1\r\nHost: x\r\n\r\n")" c
http_error plain-get
pw_raw connect-no-target "$C" "s:$(pw_hex 'CONNECT HTTP/1.1\r\n\r\n')" c
http_error connect-no-target
pw_raw connect-bad-port "$C" "s:$(pw_hex 'CONNECT 127.0.0.1:99999 HTTP/1.1\r\n\r\n')" c
http_error connect-bad-port
pw_raw connect-no-port "$C" "s:$(pw_hex 'CONNECT 127.0.0.1 HTTP/1.1\r\n\r\n')" c
http_error connect-no-port
pw_raw not-http "$C" "s:$(pw_hex 'HELLO\r\n\r\n')" c
http_error not-http
pw_raw truncated-connect "$C" "s:$(pw_hex "CONNECT 127.0.0.1:$H HTT")" h c
http_error truncated-connect
pw_raw huge-header "$C" "s:$(pw_hex "CONNECT 127.0.0.1:$H HTTP/1.1\r\nX-A: ")" A:2000000 c
http_error huge-header
pw_raw huge-target "$C" "s:$(pw_hex 'CONNECT ')" A:2000000 c
http_error huge-target
pw_raw many-headers "$C" "s:$(pw_hex "CONNECT 127.0.0.1:$H HTTP/1.1\r\n")$(i=0; while [ $i -lt 3000 ]; do printf '582d413a20610d0a'; i=$((i + 1)); done)0d0a" c
http_error many-headers
good http

# SOCKS5 side.
pw_raw no-acceptable-method "$C" s:050102 c
case $pw_out in
"closed" | "data=05ff"*) ;;
*) fail "no acceptable method: want 05ff or a plain close, got $pw_out" ;;
esac
pw_raw truncated-greeting "$C" s:0502 h c
pw_raw truncated-request "$C" s:050100 x:0500 s:050100030a6578 h c
pw_raw bad-atyp "$C" s:050100 x:0500 s:050100097f0000010050 rep
[ "$pw_out" = "rep=8" ] || fail "bad ATYP: want rep=8, got $pw_out"
pw_raw bind "$C" s:050100 x:0500 "s:050200$dst" rep
[ "$pw_out" = "rep=7" ] || fail "BIND: want rep=7, got $pw_out"
pw_raw udp-associate "$C" s:050100 x:0500 "s:050300$dst" rep
[ "$pw_out" = "rep=7" ] || fail "UDP ASSOCIATE: want rep=7, got $pw_out"
pw_raw socks4 "$C" "s:0401$(printf %04x "$H")7f00000100" c
pw_raw garbage "$C" z:5000000 c
pw_raw garbage-after-greeting "$C" s:050100 x:0500 z:5000000 c
good socks

# One byte at a time, and everything glued.
pw_raw drip "$C" d:050100 x:0500 "d:050100$dst" rep "d:$get" l
case $pw_out in
"rep=0
HTTP/1."?" 200"*) ;;
*) fail "dripped SOCKS5: $pw_out" ;;
esac
pw_raw drip-http "$C" "d:$(pw_hex "CONNECT 127.0.0.1:$H HTTP/1.1\r\nHost: a\r\n\r\n")" l
case $pw_out in
"HTTP/1."?" 200"*) ;;
*) fail "dripped CONNECT: $pw_out" ;;
esac
pw_raw glued "$C" "s:050100050100$dst$get" x:0500 rep l
case $pw_out in
"rep=0
HTTP/1."?" 200"*) ;;
*) fail "glued SOCKS5: $pw_out" ;;
esac
pw_raw vanish "$C" s:050100 x:0500 "s:050100$dst" rep \
	"s:$(pw_hex 'GET /zero/50000000 HTTP/1.0\r\n\r\n')" r:1000
good drip

# Far ends that answer garbage, a bad reply, or exit at once (per-connection
# mode, which speaks SOCKS5 to them; 120-session covers session mode): the
# application gets an error, the client lives on.
pw_start bad 1 "$PW_BIN/socks-client" --per-connection -l tcp:127.0.0.1:0 \
	-C 'head -c 1000000 /dev/urandom'
bad_port=$pw_port
pw_start badrep 1 "$PW_BIN/socks-client" --per-connection -l tcp:127.0.0.1:0 \
	-C "printf '\\005\\000\\005\\000\\000\\011\\001\\002'; cat >/dev/null"
badrep_port=$pw_port
pw_start gone 1 "$PW_BIN/socks-client" --per-connection -l tcp:127.0.0.1:0 -C 'exit 0'
gone_port=$pw_port
far_end() {
	curl -sS --max-time 20 -o /dev/null --socks5-hostname "127.0.0.1:$2" \
		"http://127.0.0.1:$H/1k.bin" 2>"$T/$1.cerr"
	rc=$?
	[ "$rc" -eq 97 ] || fail "far end '$1': curl exit $rc, want 97: $(cat "$T/$1.cerr")"
	pw_connect_status "far-end-$1" 502 "$2" "http://127.0.0.1:$H/1k.bin"
	pw_alive "$1"
}
far_end bad "$bad_port"
far_end badrep "$badrep_port"
far_end gone "$gone_port"

kill "$idle" "$half" 2>/dev/null
for c in bad badrep gone client egress; do
	pw_stop "$c"
done
