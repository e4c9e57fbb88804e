#!/bin/sh
# SPDX-License-Identifier: MIT
# The lantern-box reference stack: meek-server's upstream is microsocks,
# a SOCKS5 server no one here wrote, so meek-server must be a plain byte
# pipe (no PROXY header, no session layer). socks-client runs in
# --per-connection mode (microsocks speaks SOCKS5, not the Turbo Tunnel
# session): each application connection is its own meek-client process
# and meek session, through Caddy with TLS. A 20 MB file arrives byte for
# byte; a refusal by microsocks reaches the application; the operator's
# smoke test works in --per-connection mode.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-caddy.sh"

command -v microsocks >/dev/null || fail "microsocks not installed (scripts/install-deps)"
pw_httpd 20000000
pw_start_bg micro microsocks -i 127.0.0.1 -p 0
micro_port=$(pw_listen_port "$pw_pid") || fail "microsocks is not listening"
(umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$T/token")
pw_start meek 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "tcp:127.0.0.1:$micro_port" \
	--path /meek/ --auth-token-file "$T/token"
meek_ep=$pw_ep
pw_caddy "$meek_ep" /meek/
carrier="exec $PW_BIN/meek-client --url https://$caddy_host:$caddy_port/meek/"
carrier="$carrier --front 127.0.0.1:$caddy_port,sni=$caddy_host --ca $caddy_ca"
carrier="$carrier --auth-token-file $T/token"
pw_start client 1 "$PW_BIN/socks-client" --per-connection -l tcp:127.0.0.1:0 -C "$carrier"
px=127.0.0.1:$pw_port
url=http://127.0.0.1:$httpd_port

pw_fetch meek-microsocks big.bin --max-time 120 --socks5-hostname "$px" "$url/big.bin"
pw_fetch meek-microsocks-name 1k.bin --socks5-hostname "$px" "http://localhost:$httpd_port/1k.bin"
pw_fetch meek-microsocks-http 1k.bin -p -x "http://$px" "$url/1k.bin"

# A closed port: microsocks refuses, socks-client passes it on.
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
curl -sS --max-time 30 -o /dev/null --socks5-hostname "$px" "http://127.0.0.1:$dead/" 2>"$T/dead.cerr"
rc=$?
[ "$rc" -eq 97 ] || fail "closed port via meek + microsocks: curl exit $rc, want 97: $(cat "$T/dead.cerr")"
note "closed port via meek + microsocks: refused with reply $(pw_socks_code "$T/dead.cerr")"

# The operator's smoke test in the same mode, against this stack.
SMOKETEST_TIMEOUT=20 "$PW_TOP/scripts/smoketest-meek" "https://$caddy_host:$caddy_port/meek/" \
	--front "127.0.0.1:$caddy_port,sni=$caddy_host" --ca "$caddy_ca" --auth-token-file "$T/token" \
	--per-connection --fetch "$url/echo-ip" >"$T/smoke.out" 2>&1 ||
	fail "smoketest-meek --per-connection: $(tail -n 8 "$T/smoke.out")"
grep -q '^    127\.0\.0\.1$' "$T/smoke.out" || fail "smoketest-meek did not show the far side"
note "smoketest-meek --per-connection through microsocks: OK"

pw_stop client
pw_stop meek
