#!/bin/sh
# SPDX-License-Identifier: MIT
# egress fed garbage, truncated, oversized and dripped input: it closes or
# answers as RFC 1928 says, and keeps serving the next good client.
. "$PW_TOP/t/lib.sh"

pw_httpd 100000
pw_start egress 1 "$PW_BIN/egress" -l tcp:127.0.0.1:0 --allow "127.0.0.1:$httpd_port"
egress_port=$pw_port
E="127.0.0.1:$egress_port"
H=$httpd_port
dst=$(pw_v4 "$H")
get=$(pw_hex 'GET /1k.bin HTTP/1.0\r\n\r\n')

good() {
	pw_alive egress
	pw_fetch "after-$1" 1k.bin --socks5 "$E" "http://127.0.0.1:$H/1k.bin"
}

# An idle connection and a half greeting stay open without blocking others.
python3 "$PW_PY/raw.py" "$E" open open open open open open open open >/dev/null 2>&1 &
idle=$!
pw_track "$idle"
python3 "$PW_PY/raw.py" "$E" s:05 open open open open open open open open >/dev/null 2>&1 &
half=$!
pw_track "$half"
good idle

pw_raw http-request "$E" "s:$(pw_hex 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')" c
good http-request
pw_raw socks4 "$E" "s:0401$(printf %04x "$H")7f00000100" c
good socks4
pw_raw no-acceptable-method "$E" s:050102 c
case $pw_out in
"closed" | "data=05ff"*) ;;
*) fail "no acceptable method: want 05ff or a plain close, got $pw_out" ;;
esac
pw_raw zero-methods "$E" s:0500 c
case $pw_out in
"closed" | "data=05ff"*) ;;
*) fail "zero methods: want 05ff or a plain close, got $pw_out" ;;
esac
good methods
pw_raw truncated-greeting "$E" s:0502 h c
pw_raw truncated-request "$E" s:050100 x:0500 s:050100030a6578 h c
pw_raw truncated-v4 "$E" s:050100 x:0500 s:050100017f00 h c
good truncated
pw_raw bad-atyp "$E" s:050100 x:0500 s:050100097f0000010050 rep
[ "$pw_out" = "rep=8" ] || fail "bad ATYP: want rep=8, got $pw_out"
pw_raw bad-version "$E" s:050100 x:0500 "s:040100$dst" c
case $pw_out in
"data=0500"*) fail "request version 4: answered success: $pw_out" ;;
"closed" | "data=05"*) ;;
*) fail "request version 4: want a failure reply or a close, got $pw_out" ;;
esac
pw_raw bind "$E" s:050100 x:0500 "s:050200$dst" rep
[ "$pw_out" = "rep=7" ] || fail "BIND: want rep=7, got $pw_out"
pw_raw udp-associate "$E" s:050100 x:0500 "s:050300$dst" rep
[ "$pw_out" = "rep=7" ] || fail "UDP ASSOCIATE: want rep=7, got $pw_out"
pw_raw empty-name "$E" s:050100 x:0500 "s:0501000300$(printf %04x "$H")" c
case $pw_out in
"data=0500"*) fail "empty name: answered success: $pw_out" ;;
"closed" | "data=05"*) ;;
*) fail "empty name: want a failure reply or a close, got $pw_out" ;;
esac
good requests

# Oversized: megabytes where a greeting or a request should be.
pw_raw garbage "$E" z:5000000 c
pw_raw garbage-after-greeting "$E" s:050100 x:0500 z:5000000 c
pw_raw letters "$E" A:5000000 c
good oversized

# One byte at a time: greeting, request and the HTTP request after it.
pw_raw drip "$E" d:050100 x:0500 "d:050100$dst" rep "d:$get" l
case $pw_out in
"rep=0
HTTP/1."?" 200"*) ;;
*) fail "dripped request: $pw_out" ;;
esac
# Everything glued in one write: early data after CONNECT is not lost.
pw_raw glued "$E" "s:050100050100$dst$get" x:0500 rep l
case $pw_out in
"rep=0
HTTP/1."?" 200"*) ;;
*) fail "glued request: $pw_out" ;;
esac
good drip

# A client that connects and vanishes mid-transfer.
pw_raw vanish "$E" s:050100 x:0500 "s:050100$dst" rep \
	"s:$(pw_hex 'GET /zero/50000000 HTTP/1.0\r\n\r\n')" r:1000
good vanish

kill "$idle" "$half" 2>/dev/null
pw_stop egress
