#!/bin/sh
# SPDX-License-Identifier: MIT
# The egress's WebSocket listener (egress(8), Snowflake's server): a
# secure session carried by socks-client -C ws:// downloads sha256-exact
# (any path is upgraded); the ws:HOST:PORT spelling works too; the carrier
# is cut under the session and the next WebSocket with the same
# ClientID continues it (one session, two carriers); the listener's
# ready line is a ws:// URL.
. "$PW_TOP/t/lib.sh"

pw_httpd 4000000
H=$httpd_port
pw_start egress 3 pw_egress -l ws://127.0.0.1:0/ -l ws:127.0.0.1:0 --admin "unix:$T/admin.sock" \
	--allow "127.0.0.1:$H"
ws1=$pw_ep
ws2=$pw_ep2
case $ws1 in ws://127.0.0.1:*/) ;; *) fail "ready line is not a ws:// URL: $ws1" ;; esac
case $ws2 in ws://127.0.0.1:*/) ;; *) fail "ws:HOST:PORT did not become a ws:// URL: $ws2" ;; esac
note "ready $ws1 and $ws2"

# 1. A download over each listener, a made-up path on the second.
pw_start client 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$ws1"
pw_fetch ws big.bin --socks5-hostname "127.0.0.1:$pw_port" "http://127.0.0.1:$H/big.bin"
pw_start client2 1 pw_socks_client -l tcp:127.0.0.1:0 -C "${ws2}any/path/at/all"
pw_fetch ws-path 1k.bin --socks5-hostname "127.0.0.1:$pw_port" "http://127.0.0.1:$H/1k.bin"

# 2. The session moves to a new WebSocket: the carrier goes through a
# forwarder that cuts it mid-transfer; the socks-client dials a new
# WebSocket with the same ClientID and the download completes.
ws_hp=${ws1#ws://}
ws_hp=${ws_hp%/}
pw_start cut 1 python3 "$PW_PY/tcpcut.py" "$ws_hp"
cut_pid=$pw_pid cut_hp=${pw_ep#tcp:}
pw_start mover 1 pw_socks_client -v -l tcp:127.0.0.1:0 -C "ws://$cut_hp/snowflake"
mover_port=$pw_port
mkfifo "$T/mark"
python3 "$PW_PY/get.py" --mark 1000000 --markfile "$T/mark" --rate 10 \
	"127.0.0.1:$mover_port" 127.0.0.1 "$H" big.bin >"$T/get.out" 2>&1 &
get_pid=$!
pw_track "$get_pid"
m=$(timeout 30 head -n 1 "$T/mark")
[ "$m" = mark ] || fail "transfer did not reach its mark: $(cat "$T/get.out")"
kill -USR1 "$cut_pid"
pw_wait "$get_pid" 60
[ "$pw_rc" = 0 ] || fail "transfer across WebSocket cuts: rc=$pw_rc: $(cat "$T/get.out")"
got=$(sed -n 's/.*sha256=//p' "$T/get.out")
[ "$got" = "$(pw_sha "$T/www/big.bin")" ] || fail "sha256 after the cuts: $got"
[ "$(grep -c 'session .* started' "$T/mover.err")" -eq 1 ] ||
	fail "the session did not survive: $(grep 'session' "$T/mover.err" | tail -n 5)"
cuts=$(grep -c "carrier ws://$cut_hp/snowflake: " "$T/mover.err")
[ "$cuts" -ge 1 ] || fail "the client saw no carrier end: $(tail -n 5 "$T/mover.err")"
note "one session across $cuts WebSocket cuts, sha256 equal"
[ "$(pw_metric "$T/admin.sock" egress_sessions)" -le 3 ] || fail "more sessions than clients"

pw_stop mover
pw_stop client
pw_stop client2
pw_stop egress
