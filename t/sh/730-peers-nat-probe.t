#!/bin/sh
# SPDX-License-Identifier: MIT
# --nat-probe: RFC 5780 mapping behaviour against coturn (two listening
# addresses, so it answers with OTHER-ADDRESS). In this namespace there
# is no NAT: the mapped address is the same from both server addresses,
# so peer-proxy polls as "unrestricted" although --nat says restricted,
# and peer-client's offer carries "unrestricted" too (the echo through
# the volunteer comes back exact). A STUN address where nothing answers
# leaves --nat's type, after about a second.
if [ -z "${RDV_IN_NETNS:-}" ]; then
	command -v unshare >/dev/null || { echo "unshare missing"; exit 1; }
	exec env RDV_IN_NETNS=1 unshare -n sh "$0" "$@"
fi
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-rdv.sh"

sf_netns_setup
turn_start
pw_start ws 1 python3 "$PW_PY/ws-echo.py" 127.0.0.1
relay="ws://${pw_ep#tcp:}/"
pw_start rdv 2 "$PW_BIN/rendezvous" -v -l tcp:127.0.0.1:0 --relay "$relay" \
	--admin "unix:$T/rdv-admin.sock" --client-wait 10
rdv_port=$pw_port
pw_start_bg proxy "$PW_BIN/peer-proxy" -v --broker "http://127.0.0.1:$rdv_port/" --relay "$relay" \
	--stun "stun:127.0.0.1:$turn_port" --nat restricted --nat-probe --capacity 1 --poll-interval 1
i=0
until [ "$(rdv_metric "$T/rdv-admin.sock" rendezvous_proxies_waiting)" = 1 ]; do
	i=$((i + 1))
	[ "$i" -lt 200 ] || fail "the proxy does not poll: $(tail -n 5 "$T/proxy.err")"
	python3 -c 'import time; time.sleep(0.1)'
done
grep -q "NAT probe: unrestricted$" "$T/proxy.err" || fail "peer-proxy: $(grep -i nat "$T/proxy.err")"
python3 "$PW_PY/peer-echo.py" 100000 60 "$PW_BIN/peer-client" -v --broker "http://127.0.0.1:$rdv_port/" \
	--stun "stun:127.0.0.1:$turn_port" --nat-probe >"$T/c.res" 2>"$T/c.err"
grep -q "^match yes" "$T/c.res" || fail "echo: $(cat "$T/c.res" "$T/c.err")"
grep -q "NAT probe: unrestricted$" "$T/c.err" || fail "peer-client: $(grep -i nat "$T/c.err")"
note "$(grep "NAT probe" "$T/proxy.err"); $(grep "NAT probe" "$T/c.err")"

pw_start_bg proxy2 "$PW_BIN/peer-proxy" -v --broker "http://127.0.0.1:$rdv_port/" --relay "$relay" \
	--stun "stun:127.0.0.1:9" --nat restricted --nat-probe --capacity 1 --poll-interval 1
python3 "$PW_PY/wait-for.py" --re "$T/proxy2.err" "^peer-proxy: polling" 20 ||
	fail "peer-proxy with a silent STUN server does not poll: $(cat "$T/proxy2.err")"
grep -q "NAT probe: unknown: no answer from the STUN server$" "$T/proxy2.err" ||
	fail "silent STUN server: $(grep -i nat "$T/proxy2.err")"
grep -q Sanitizer "$T"/proxy*.err "$T/c.err" && fail "sanitizer report"
exit 0
