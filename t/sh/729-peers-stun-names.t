#!/bin/sh
# SPDX-License-Identifier: MIT
# --stun takes names and is repeatable (peer-proxy and peer-client):
# "localhost" is resolved once at start (c-ares, /etc/hosts), a second
# server is given beside it, and a client's echo through the volunteer
# comes back exact; each connection says which server it picked. A
# --stun whose port is not a number, or a fifth --stun, is a usage error.
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
stuns="--stun stun:localhost:$turn_port --stun stun:127.0.0.2:$turn_port"
# shellcheck disable=SC2086 # stuns is two options
pw_start_bg proxy "$PW_BIN/peer-proxy" -v --broker "http://127.0.0.1:$rdv_port/" --relay "$relay" \
	$stuns --nat unrestricted --capacity 1 --poll-interval 1
i=0
until [ "$(rdv_metric "$T/rdv-admin.sock" rendezvous_proxies_waiting)" = 1 ]; do
	i=$((i + 1))
	[ "$i" -lt 200 ] || fail "the proxy does not poll: $(tail -n 5 "$T/proxy.err")"
	python3 -c 'import time; time.sleep(0.1)'
done
# shellcheck disable=SC2086
python3 "$PW_PY/peer-echo.py" 100000 60 "$PW_BIN/peer-client" -v --broker "http://127.0.0.1:$rdv_port/" \
	$stuns >"$T/c.res" 2>"$T/c.err"
grep -q "^match yes" "$T/c.res" || fail "echo: $(cat "$T/c.res" "$T/c.err")"
grep -Eq "STUN server localhost is (127\.0\.0\.1|::1)" "$T/c.err" ||
	fail "peer-client did not resolve localhost: $(grep -i stun "$T/c.err")"
grep -Eq "STUN server localhost is (127\.0\.0\.1|::1)" "$T/proxy.err" ||
	fail "peer-proxy did not resolve localhost: $(grep -i stun "$T/proxy.err")"
note "$(grep "STUN server .* port" "$T/c.err" | head -n 1)"
for bad in "stun:localhost:x" "stun:localhost" "stun::3478"; do
	"$PW_BIN/peer-client" --broker http://127.0.0.1:9/ --stun "$bad" </dev/null >/dev/null 2>&1
	[ $? = 100 ] || fail "peer-client --stun $bad: not a usage error"
done
"$PW_BIN/peer-proxy" --broker http://127.0.0.1:9/ --relay "$relay" --stun a:1 --stun b:1 --stun c:1 \
	--stun d:1 --stun e:1 >/dev/null 2>&1
[ $? = 100 ] || fail "a fifth --stun is not a usage error"
grep -q Sanitizer "$T/proxy.err" "$T/c.err" && fail "sanitizer report"
exit 0
