#!/bin/sh
# SPDX-License-Identifier: MIT
# meek-server as a byte pipe to an echo upstream: lantern-box meek-v1
# (X-Meek-Seq replay returns the identical body and writes nothing
# upstream twice; X-Meek-Max-Body caps the answers, 64 KiB without it),
# classic Tor meek (11-char id, no seq, no Content-Type, empty polls
# without a body), and pipelined requests answered in order.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meeks.sh"

meeks_unix_echo echo
# A long holdoff: an echo always comes back within one answer.
meeks_start -u "unix:$T/echo.sock" --holdoff 1000
S=$(meeks_sid)

meeks_req replay '{"sid":"'"$S"'","seq":0,"body":"616263"}' \
	'{"sid":"'"$S"'","seq":0,"body":"616263"}' '{"new":true}' \
	'{"sid":"'"$S"'","seq":0,"body":"616263"}' '{"sid":"'"$S"'","seq":1}'
[ "$(printf '%s\n' "$meeks_out" | sed -n 1,3p | grep -c '^status=200 len=3 body=616263$')" -eq 3 ] ||
	fail "replay: want the same answer three times: $meeks_out"
[ "$(printf '%s\n' "$meeks_out" | sed -n 4p)" = 'status=200 len=0 body=' ] ||
	fail "replay wrote upstream again: $meeks_out"

out=$(python3 "$PW_PY/meek-stream.py" "127.0.0.1:$meeks_port" --bytes 300000 --cap 1000 \
	--want-cap 1000) || fail "cap 1000: $out"
note "cap 1000: $out"
out=$(python3 "$PW_PY/meek-stream.py" "127.0.0.1:$meeks_port" --bytes 600000 --chunk 200000 \
	--want-cap 65536) || fail "no X-Meek-Max-Body: $out"
note "no X-Meek-Max-Body: $out"
case $out in *maxlen=65536) ;; *) fail "want 64 KiB answers without X-Meek-Max-Body: $out" ;; esac
out=$(python3 "$PW_PY/meek-stream.py" "127.0.0.1:$meeks_port" --bytes 1000000 --chunk 262144 \
	--cap 262144 --want-cap 262144) || fail "cap 256 KiB: $out"
note "cap 256 KiB: $out"
out=$(python3 "$PW_PY/meek-stream.py" "127.0.0.1:$meeks_port" --classic --bytes 200000 \
	--want-cap 65536) || fail "classic: $out"
note "classic: $out"

# Three sessions in one write; the answers come back in request order.
A=$(meeks_sid) B=$(meeks_sid)
meeks_req pipeline '{"pipeline":[{"sid":"'"$A"'","seq":0,"body":"41"},{"sid":"'"$B"'","seq":0,"body":"4242"},{"sid":"'"$A"'","seq":1,"body":"434343"},{"method":"GET","path":"/"},{"sid":"'"$B"'","seq":0,"body":"4242"}]}'
[ "$(printf '%s\n' "$meeks_out" | tr '\n' ' ')" = "status=200 len=1 body=41 status=200 len=2 body=4242 status=200 len=3 body=434343 status=404 len=19 body=$(pw_hex '404 page not found\n') status=200 len=2 body=4242 " ] ||
	fail "pipeline: $meeks_out"
pw_stop meeks
