#!/bin/sh
# SPDX-License-Identifier: MIT
# meek-client --tls firefox under pressure through Caddy over HTTP/2: an
# upstream pushes 40 MB while the reader of meek-client's stdout stops
# for 2 s: the polls stop, RSS stays within a bound (the answers of a
# full window and the TLS buffers, not the 40 MB), and the bytes arrive
# afterwards; the reader leaving ends meek-client with 0, and SIGTERM in
# the middle of a transfer ends it with 0 at once. A front that answers
# plain HTTP on its TLS port is a handshake failure: exit 111, one line.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meekc.sh"
. "$PW_TOP/t/lib-caddy.sh"

pw_start push 1 python3 "$PW_PY/meek-echo.py" "unix:$T/push.sock" --push 40000000
pw_start meeks 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/push.sock" --path /meek/
pw_caddy "$pw_ep" /meek/
set -- --tls firefox --url "https://$caddy_host:$caddy_port/meek/" \
	--front "127.0.0.1:$caddy_port,sni=$caddy_host" --ca "$caddy_ca" -v

# A full window of 8 answers of 256 KiB, HTTP/2 and TLS buffers: far below 40 MB.
meekc_pressure 8192 "$@"
grep -q 'HTTP/2 connection to the front' "$T/slow.err" || fail "slow: not over HTTP/2"

# Plain HTTP where TLS was expected.
pw_start notls 1 python3 "$PW_PY/http-at-once.py"
meekc_run notls 111 30 --tls firefox --url "https://meek.test:$pw_port/" \
	--front "127.0.0.1:$pw_port,sni=meek.test"
grep -q 'TLS: handshake' "$T/notls.err" || fail "notls: $(cat "$T/notls.err")"
[ "$(grep -c . "$T/notls.err")" -eq 1 ] || fail "notls: more than one line: $(cat "$T/notls.err")"
note "notls: $(cat "$T/notls.err")"

pw_stop meeks
pw_stop push
exit 0
