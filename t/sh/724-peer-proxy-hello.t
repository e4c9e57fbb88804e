#!/bin/sh
# SPDX-License-Identifier: MIT
# What a censor sees of a volunteer: the DTLS ClientHello our peer-proxy
# sends (it answers, so it is the DTLS client) is captured while our
# peer-client goes through it to a WebSocket echo relay, and compared
# field by field (JA3/JA4 included) with Firefox's WebRTC hello capped at
# DTLS 1.2 (t/helpers/hello-compare against t/data/cover, as 702 does
# for the rtc layer alone). A network namespace of its own, coturn as STUN.
if [ -z "${RDV_IN_NETNS:-}" ]; then
	command -v unshare >/dev/null || { echo "unshare missing"; exit 1; }
	exec env RDV_IN_NETNS=1 unshare -n sh "$0" "$@"
fi
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-rdv.sh"
. "$PW_TOP/t/lib-nss.sh"
nss_need_capture

sf_netns_setup
turn_start
pw_start ws 1 python3 "$PW_PY/ws-echo.py" 127.0.0.1
relay="ws://${pw_ep#tcp:}/"
pw_start rdv 2 "$PW_BIN/rendezvous" -q -l tcp:127.0.0.1:0 --relay "$relay" \
	--admin "unix:$T/rdv-admin.sock" --client-wait 10
rdv_port=$pw_port
pw_start_bg proxy "$PW_BIN/peer-proxy" -v --broker "http://127.0.0.1:$rdv_port/" --relay "$relay" \
	--stun "stun:127.0.0.1:$turn_port" --nat unrestricted --capacity 1
python3 "$PW_PY/wait-for.py" "$T/proxy.err" "polling" 10 || fail "peer-proxy: $(cat "$T/proxy.err")"
nss_capture_start "udp and not port $turn_port"
python3 "$PW_PY/peer-echo.py" 100000 60 "$PW_BIN/peer-client" --broker "http://127.0.0.1:$rdv_port/" \
	--stun "stun:127.0.0.1:$turn_port" >"$T/echo.res" 2>"$T/echo.err"
grep -q "^match yes" "$T/echo.res" || fail "echo: $(cat "$T/echo.res" "$T/echo.err")"
nss_capture_stop 20
n=$(tshark -r "$T/cap.pcap" -Y 'dtls.handshake.type == 1' -T fields -e frame.number 2>/dev/null | wc -l)
[ "$n" -ge 1 ] || fail "no DTLS ClientHello captured"
for ref in nss-firefox-dtls12 webrtc-firefox-dtls12max; do
	note "against $ref"
	"$HELLO_COMPARE" "$T/cap.pcap" "$COVER/$ref.txt" >"$T/cmp-$ref" 2>&1
	rc=$?
	sed 's/^/# /' "$T/cmp-$ref" | head -n 20
	[ "$rc" -eq 0 ] || fail "peer-proxy's ClientHello differs from $ref"
done
pw_stop rdv
exit 0
