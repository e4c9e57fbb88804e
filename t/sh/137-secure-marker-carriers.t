#!/bin/sh
# SPDX-License-Identifier: MIT
# Secure sessions (pipeworks-protocol(5)) on the carriers as deployed: a
# marker sent through the tunnel both ways (in a request header up, in a
# downloaded file down) is in none of the bytes recorded by a TCP tee
# (tcpcut.py -w) where the carrier is plain: between a real Caddy and
# meek-server (the meek HTTP/1.1 requests and answers), and between
# socks-client and the egress's WebSocket listener (the raw bytes, and
# the frames' payloads unmasked by ws-unframe.py). The same fetch in a
# plaintext session, through the same tee, puts the marker in both
# directions' records: the capture would see it.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-caddy.sh"

pw_httpd 1000
H=$httpd_port
pw_marker_file
m=$pw_marker
hdr="X-Marker: $m$m$m$m"
pw_keys

# One egress for both carriers; plaintext sessions (the controls) go to a
# fixed upstream that relays to the web server, secure ones to their
# destinations.
pw_start up 1 python3 "$PW_PY/prefix-upstream.py" "127.0.0.1:$H"
up_ep=$pw_ep
pw_start egress 2 pw_egress -l "unix:$T/egress.sock,trusted,upstream=$up_ep" \
	-l "ws://127.0.0.1:0/,upstream=$up_ep" --allow "127.0.0.1:$H"
ws=$pw_ep2
case $ws in ws://127.0.0.1:*/) ;; *) fail "second ready line is not the ws listener: $ws" ;; esac

# secure_fetch NAME CARRIER: a secure session over CARRIER fetches
# marker.txt with the marker in a request header.
secure_fetch() {
	pw_start "$1" 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$2"
	pw_fetch "$1" marker.txt --max-time 60 -H "$hdr" --socks5-hostname "127.0.0.1:$pw_port" \
		"http://127.0.0.1:$H/marker.txt"
}

# plain_fetch NAME CARRIER: the same in a plaintext session (the fixed
# upstream serves any destination from the web server).
plain_fetch() {
	pw_start "$1" 1 "$PW_BIN/socks-client" --plaintext -l tcp:127.0.0.1:0 -C "$2"
	pw_fetch "$1" marker.txt --max-time 60 -H "$hdr" --socks5-hostname "127.0.0.1:$pw_port" \
		"http://192.0.2.1/marker.txt"
}

# gather NAME [ws]: every connection's records of the tee that writes
# $T/NAME.N.*, one file per direction ($T/NAME.up, $T/NAME.down); with
# ws, the frames' payloads too, unmasked ($T/NAME.up.payload, …).
gather() {
	for _d in up down; do
		[ -f "$T/$1.1.$_d" ] || fail "the tee $1 recorded no connection"
		cat "$T/$1".[0-9]*."$_d" >"$T/$1.$_d"
		if [ "${2:-}" = ws ]; then
			python3 "$PW_PY/ws-unframe.py" "$T/$1".[0-9]*."$_d" >"$T/$1.$_d.payload" ||
				fail "ws-unframe.py $1 $_d"
		fi
	done
}

# 1. meek behind Caddy: socks-client -> meek-client -> Caddy (TLS) ->
# tee -> meek-server -> egress, as pw_meek_stack builds it with the tee
# added.
(umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$T/token")
pw_start meek 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/egress.sock" \
	--path /meek/ --auth-token-file "$T/token" --proxy-protocol --trust-forwarded
pw_start mtee 1 python3 "$PW_PY/tcpcut.py" -w "$T/meek" "127.0.0.1:$pw_port"
pw_caddy "$pw_ep" /meek/
carrier="exec $PW_BIN/meek-client --url https://$caddy_host:$caddy_port/meek/"
carrier="$carrier --front 127.0.0.1:$caddy_port,sni=$caddy_host --ca $caddy_ca --auth-token-file $T/token"

secure_fetch msecure "$carrier"
gather meek
grep -aiq "^X-Session-Id: " "$T/meek.up" || fail "the tee saw no meek request from Caddy"
grep -aq "^HTTP/1.1 200 " "$T/meek.down" || fail "the tee saw no answer from meek-server"
[ "$(wc -c <"$T/meek.down")" -gt "$(wc -c <"$T/www/marker.txt")" ] ||
	fail "the tee recorded less than the file downstream: $(wc -c <"$T/meek.down") bytes"
for d in up down; do
	! grep -aq "$m" "$T/meek.$d" || fail "the marker is in meek's $d bytes behind Caddy"
	! grep -aq "tester" "$T/meek.$d" || fail "the user name is in meek's $d bytes behind Caddy"
done
note "meek behind Caddy: $(wc -c <"$T/meek.up") bytes up, $(wc -c <"$T/meek.down") down, no marker"

plain_fetch mplain "$carrier"
gather meek
grep -aq "$hdr" "$T/meek.up" || fail "control: the plaintext session's header is not in meek's up bytes"
grep -aq "$m" "$T/meek.down" || fail "control: the plaintext session's file is not in meek's down bytes"
note "control: a plaintext session's marker is in meek's bytes both ways"

# 2. The egress's WebSocket listener: socks-client -> tee -> egress. The
# client's frames are masked, the egress's are not: both directions are
# checked raw and with the frames' payloads unmasked.
ws_hp=${ws#ws://}
pw_start wtee 1 python3 "$PW_PY/tcpcut.py" -w "$T/ws" "${ws_hp%/}"
wtee=ws://${pw_ep#tcp:}/

secure_fetch wsecure "$wtee"
gather ws ws
grep -aiq "^Upgrade: websocket" "$T/ws.up" || fail "the tee saw no WebSocket upgrade"
[ "$(wc -c <"$T/ws.down.payload")" -gt "$(wc -c <"$T/www/marker.txt")" ] ||
	fail "the frames carried less than the file downstream: $(wc -c <"$T/ws.down.payload") bytes"
for f in ws.up ws.down ws.up.payload ws.down.payload; do
	! grep -aq "$m" "$T/$f" || fail "the marker is in the WebSocket's bytes ($f)"
	! grep -aq "tester" "$T/$f" || fail "the user name is in the WebSocket's bytes ($f)"
done
note "WebSocket: $(wc -c <"$T/ws.up.payload") bytes of payload up, $(wc -c <"$T/ws.down.payload") down, no marker"

plain_fetch wplain "$wtee"
gather ws ws
grep -aq "$hdr" "$T/ws.up.payload" ||
	fail "control: the plaintext session's header is not in the WebSocket's unmasked up payloads"
grep -aq "$m" "$T/ws.down" || fail "control: the plaintext session's file is not in the WebSocket's raw down bytes"
note "control: a plaintext session's marker is in the WebSocket's payloads both ways"

for p in wplain wsecure mplain msecure meek egress; do
	pw_stop "$p"
done
