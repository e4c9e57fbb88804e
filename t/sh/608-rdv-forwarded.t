#!/bin/sh
# SPDX-License-Identifier: MIT
# --trust-forwarded: behind Caddy every request comes from the front's
# address, so the per-address poll rate is kept for the right-most
# X-Forwarded-For element (what the front appended), not for the TCP
# peer and not for what the client wrote before it. With a burst of 2, a
# third poll from one forwarded address is refused at once ("no match",
# counted) while a poll for another forwarded address over the same TCP
# peer is held as usual.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-rdv.sh"

pw_start rdv 1 "$PW_BIN/rendezvous" -l tcp:127.0.0.1:0 --trust-forwarded --poll-burst 2 --poll-rate 1 \
	--proxy-timeout 0.2 --relay wss://snowflake.torproject.net/ --admin "unix:$T/admin.sock"
python3 - "$pw_port" "$PW_PY" <<'PY' || fail "forwarded"
import sys, time
sys.path.insert(0, sys.argv[2])
import rdvwire as w
w.PORT = int(sys.argv[1])

def poll(xff):
    t0 = time.time()
    st, b = w.post("/proxy", w.proxy_body("s"), {"X-Forwarded-For": xff})
    return time.time() - t0

held = [poll("6.6.6.6, 192.0.2.10") for _ in range(2)]
refused = poll("7.7.7.7, 192.0.2.10")
other = poll("192.0.2.10, 192.0.2.11")
print("# held %.2fs %.2fs, third %.2fs, other address %.2fs" % (held[0], held[1], refused, other))
if min(held) < 0.15 or other < 0.15:
    sys.exit("the poll rate was not kept per forwarded address")
PY
[ "$(rdv_metric "$T/admin.sock" 'rendezvous_refused_total{limit="poll_rate"}')" = 1 ] || fail "refusal not counted"
pw_stop rdv
