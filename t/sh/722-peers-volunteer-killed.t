#!/bin/sh
# SPDX-License-Identifier: MIT
# Ours to ours, and a volunteer killed mid-download: socks-client runs
# peer-client as its carrier; two peer-proxies poll our rendezvous; a
# 20 MB download (paced at its source, 2 MB/s, so that most of it is
# still to come: curl's own rate limit left up to 16 MB in the buffers
# past the volunteer, and the download could end before the kill
# mattered) goes through whichever volunteer took the client, which is
# then killed
# (SIGKILL). peer-client notices the loss, exits with a one-line reason,
# socks-client redials, the broker hands the second volunteer, and the
# download completes sha256-exact. The stall (no byte arrives) is
# measured and printed. A network namespace of its own, coturn as STUN.
if [ -z "${RDV_IN_NETNS:-}" ]; then
	command -v unshare >/dev/null || { echo "unshare missing"; exit 1; }
	exec env RDV_IN_NETNS=1 unshare -n sh "$0" "$@"
fi
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-rdv.sh"

sf_netns_setup
turn_start
pw_httpd 20000000
pw_start slow 1 python3 "$PW_TOP/t/helpers/tcpcut.py" "127.0.0.1:$httpd_port" 2000000
slow_port=$pw_port
pw_start egress 1 pw_egress -l "ws://127.0.0.1:0/,trusted" --allow "127.0.0.1:$slow_port"
relay=$pw_ep
pw_start rdv 2 "$PW_BIN/rendezvous" -v -l tcp:127.0.0.1:0 --relay "$relay" \
	--admin "unix:$T/rdv-admin.sock" --client-wait 10
rdv_port=$pw_port
volunteer() {
	pw_start_bg "$1" "$PW_BIN/peer-proxy" -v --broker "http://127.0.0.1:$rdv_port/" --relay "$relay" \
		--stun "stun:127.0.0.1:$turn_port" --nat unrestricted --capacity 1 --poll-interval 1
}
volunteer proxy1
proxy1_pid=$pw_pid
volunteer proxy2
proxy2_pid=$pw_pid
rdv_wait_proxies "$T/rdv-admin.sock" 2 "$T/proxy1.err" "$T/proxy2.err"
pc="$PW_BIN/peer-client -v --broker http://127.0.0.1:$rdv_port/ --stun stun:127.0.0.1:$turn_port"
pw_start client 1 pw_socks_client -v -l tcp:127.0.0.1:0 -C "$pc"
client_port=$pw_port

curl -sS --max-time 120 -o "$T/big.got" --socks5-hostname "127.0.0.1:$client_port" \
	"http://127.0.0.1:$slow_port/big.bin" 2>"$T/curl.err" &
curl_pid=$!
pw_track "$curl_pid"
i=0
until [ "$(stat -c %s "$T/big.got" 2>/dev/null || echo 0)" -ge 4000000 ]; do
	i=$((i + 1))
	[ "$i" -lt 600 ] || fail "the download does not start: $(cat "$T/curl.err"; tail -n 5 "$T/client.err")"
	python3 -c 'import time; time.sleep(0.1)'
done
if grep -q "offer taken" "$T/proxy1.err"; then
	victim=$proxy1_pid other=proxy2
else
	victim=$proxy2_pid other=proxy1
fi
grep -q "offer taken" "$T/$other.err" && fail "both volunteers took a client before the kill"
at=$(stat -c %s "$T/big.got")
python3 - "$T/big.got" "$T/stall" <<'PY' &
# The longest time the file did not grow, sampled every 20 ms for 30 s.
import os, sys, time
last, since, worst, end = -1, time.monotonic(), 0.0, time.monotonic() + 30
while time.monotonic() < end:
    s = os.path.getsize(sys.argv[1])
    now = time.monotonic()
    if s != last:
        worst = max(worst, now - since)
        last, since = s, now
    time.sleep(0.02)
open(sys.argv[2], "w").write("%.0f\n" % (worst * 1000))
PY
stall_pid=$!
pw_track "$stall_pid"
kill -KILL "$victim"
pw_wait "$curl_pid" 120
[ "$pw_rc" = 0 ] || fail "curl exit $pw_rc: $(cat "$T/curl.err"; tail -n 10 "$T/client.err")"
[ "$(pw_sha "$T/big.got")" = "$(pw_sha "$T/www/big.bin")" ] ||
	fail "download differs ($(wc -c <"$T/big.got") of $(wc -c <"$T/www/big.bin") bytes)"
grep -q "offer taken" "$T/$other.err" || fail "the second volunteer never took the client"
reason=$(grep "volunteer gone" "$T/client.err" | head -n 1)
[ -n "$reason" ] || fail "peer-client said nothing when its volunteer died: $(tail -n 10 "$T/client.err")"
note "killed the volunteer after $at bytes; $reason"
sed -n '/volunteer gone/,$p' "$T/client.err" | grep -E "answer in|open after|offer sent" | head -n 4 | sed 's/^/# /'
pw_wait "$stall_pid" 40
note "longest stall of the download: $(cat "$T/stall") ms (paced to 2 MB/s at the source)"
grep "answer posted" "$T/$other.err" | sed 's/^/# /'
grep -q Sanitizer "$T/client.err" "$T/$other.err" && fail "sanitizer report"
sed -n '/volunteer gone/,$p' "$T/client.err" | cut -c1-180 | sed 's/^/## /'
sed -n '/offer taken/,$p' "$T/$other.err" | head -20 | cut -c1-180 | sed 's/^/#P /'
pw_stop client
pw_stop rdv
exit 0
