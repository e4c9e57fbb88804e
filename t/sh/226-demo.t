#!/bin/sh
# SPDX-License-Identifier: MIT
# "make demo" in one shot (DEMO_ONESHOT=1): scripts/demo brings up
# socks-client -> meek-client -> Caddy -> meek-server -> egress -> httpd,
# passes its own self-check through the proxy (SOCKS5 and HTTP CONNECT)
# and exits 0, leaving no process behind.
. "$PW_TOP/t/lib.sh"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DEMO_ONESHOT=1 DEMO_PORT=$port "$PW_TOP/scripts/demo" >"$T/demo.out" 2>"$T/demo.err" &
demo_pid=$!
pw_track "$demo_pid"
pw_wait "$demo_pid" 60
sed 's/^/  | /' "$T/demo.out"
[ "$pw_rc" = 0 ] || fail "scripts/demo exit $pw_rc: $(tail -n 20 "$T/demo.err")"
grep -q '^demo: self-check, SOCKS5: *OK' "$T/demo.out" || fail "no SOCKS5 self-check"
grep -q '^demo: self-check, HTTP CONNECT: *OK' "$T/demo.out" || fail "no HTTP CONNECT self-check"
grep -q '^demo: caddy ' "$T/demo.out" || fail "the demo did not run Caddy"
# Nothing the demo started is left listening on its port.
if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
	fail "something still listens on the demo port $port"
fi
note "demo: self-checks OK through meek and Caddy"
