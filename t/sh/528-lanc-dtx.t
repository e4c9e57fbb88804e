#!/bin/sh
# SPDX-License-Identifier: MIT
# lanturn-client --dtx through coturn: an idle opus call goes quiet as
# upstream's DTX state machine does (quiet periods of 1-4 s at one packet
# a second, entered with probability 0.3 at each period's end), seen as
# a 1 s window with at most 5 datagrams reaching lanturn-egress; the
# chance of no quiet period within the 90 s allowed is 0.7^36, about
# 3e-6. Without --dtx the same idle call sends 50 packets a second
# always: 10 s without any such window, and a mean of 40-60 a second.
# A fetch works through the DTX call (data ends a quiet period at once).
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-lanturn.sh"
. "$PW_TOP/t/lib-lanclient.sh"

lanturn_up 1000 --idle-timeout 3
lanc_turn a
a_port=$turn_port
lanc_cred "turn:127.0.0.1:$a_port" >"$T/cred"

lanc_client dtx opus "turn:127.0.0.1:$a_port" -- --dtx
pw_fetch first 1k.bin --socks5-hostname "127.0.0.1:$client_port" "$url/1k.bin"
python3 "$PW_PY/lanturn-dtx.py" "$T/lt.sock" quiet 90 >"$T/dtx.res" ||
	fail "--dtx: no quiet period: $(cat "$T/dtx.res")"
note "--dtx: quiet: $(cat "$T/dtx.res")"
pw_fetch again 1k.bin --socks5-hostname "127.0.0.1:$client_port" "$url/1k.bin"
pw_stop dtx
# lanturn-egress expires the call only after its idle timeout: wait for it.
lt_wait_metric lanturn_calls -eq 0 30

lanc_client steady opus "turn:127.0.0.1:$a_port"
pw_fetch steady 1k.bin --socks5-hostname "127.0.0.1:$client_port" "$url/1k.bin"
python3 "$PW_PY/lanturn-dtx.py" "$T/lt.sock" steady 10 >"$T/steady.res" ||
	fail "without --dtx: a quiet window: $(cat "$T/steady.res")"
note "without --dtx: $(cat "$T/steady.res")"
pps=$(sed -n 's/.*mean_pps=\([0-9.]*\).*/\1/p' "$T/steady.res")
awk -v p="$pps" 'BEGIN { exit !(p >= 40 && p <= 60) }' || fail "without --dtx: $pps datagrams a second"
pw_stop steady
grep -q Sanitizer "$T/dtx.err" "$T/steady.err" && fail "sanitizer"
exit 0
