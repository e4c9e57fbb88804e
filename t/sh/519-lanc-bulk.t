#!/bin/sh
# SPDX-License-Identifier: MIT
# lanturn-client end to end, bulk profile: socks-client -> lanturn-client
# -> coturn (REST credentials, loopback peers allowed) -> lanturn-egress
# -> egress -> httpd: a 20 MB download, sha256-exact, then a small one.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-lanturn.sh"
. "$PW_TOP/t/lib-lanclient.sh"

lanturn_up 20000000
lanc_turn a
a_port=$turn_port
lanc_cred "turn:127.0.0.1:$a_port" >"$T/cred"
lanc_client client bulk "turn:127.0.0.1:$a_port"
t0=$(date +%s%N)
pw_fetch bulk big.bin --socks5-hostname "127.0.0.1:$client_port" "$url/big.bin"
ms=$((($(date +%s%N) - t0) / 1000000))
pw_fetch small 1k.bin --socks5-hostname "127.0.0.1:$client_port" "$url/1k.bin"
grep -q "call 1 up through turn:127.0.0.1:$a_port" "$T/client.err" || fail "no call up through coturn"
note "20 MB in $ms ms through coturn ($(grep -c 'call [0-9]* up' "$T/client.err") call(s))"
pw_stop client
python3 "$PW_PY/wait-for.py" "$T/client.err" "lanturn-client: done:" 10 || fail "lanturn-client did not end"
grep -q 'call 1 released' "$T/client.err" || fail "no Refresh 0 at exit"
grep -q Sanitizer "$T/client.err" && fail "sanitizer"
exit 0
