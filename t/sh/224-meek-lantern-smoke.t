#!/bin/sh
# SPDX-License-Identifier: MIT
# The lantern-box smoke test flow (its smoketest/socks5.sh), reproduced with
# curl through Caddy's TLS: raw meek POSTs with a fixed X-Session-Id,
# Content-Type application/octet-stream and X-Meek-Auth, and no X-Meek-Seq
# or X-Meek-Max-Body (the legacy path), carrying a SOCKS5 handshake to
# egress's SOCKS5 mode and an HTTP GET of /echo-ip:
#   1. POST 05 01 00, then empty polls until 05 00 arrives;
#   2. POST a CONNECT to the web server; the reply starts 05 00 00;
#   3. POST the GET; poll until the page arrived; then, the web server
#      having closed, poll until meek-server answers 410 (upstream closed
#      and drained). A later POST for that session starts a new one.
# Polls are paced by meek-server's holdoff, not by sleeping.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-caddy.sh"

pw_meek_stack 1024
sid=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
token=$(cat "$T/token")
: >"$T/down"

# post HEX: one meek POST with those body bytes (none for ""); the answer
# is appended to $T/down, its status in st.
post() {
	python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' "$1" >"$T/up" || fail "post: bad hex $1"
	st=$(curl -sS --max-time 20 --http1.1 --cacert "$caddy_ca" \
		--resolve "$caddy_host:$caddy_port:127.0.0.1" -X POST --data-binary "@$T/up" \
		-H 'Content-Type: application/octet-stream' -H "X-Session-Id: $sid" \
		-H "X-Meek-Auth: $token" -o "$T/resp" -w '%{http_code}' "$meek_url" 2>"$T/curl.err") ||
		fail "POST: curl failed: $(cat "$T/curl.err")"
	[ "$st" = 200 ] && cat "$T/resp" >>"$T/down"
	return 0
}

# poll_for N HEX: empty polls (at most N) until $T/down holds HEX bytes.
poll_for() {
	_i=0
	while ! od -An -v -tx1 "$T/down" | tr -d ' \n' | grep -q "$2"; do
		_i=$((_i + 1))
		[ "$_i" -le "$1" ] || fail "no $2 after $1 polls; got $(od -An -tx1 "$T/down" | head -n 2)"
		post ""
		[ "$st" = 200 ] || fail "poll answered HTTP $st"
	done
}

post 050100
[ "$st" = 200 ] || fail "phase 1: HTTP $st"
poll_for 20 '^0500'
note "phase 1: method reply 05 00 ($(wc -c <"$T/down") bytes so far)"

: >"$T/down"
post "050100$(pw_v4 "$httpd_port")"
[ "$st" = 200 ] || fail "phase 2: HTTP $st"
poll_for 20 '^050000'
note "phase 2: CONNECT reply $(od -An -tx1 "$T/down" | tr -d ' \n')"

: >"$T/down"
post "$(pw_hex 'GET /echo-ip HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')"
[ "$st" = 200 ] || fail "phase 3: HTTP $st"
poll_for 30 "$(pw_hex '\r\n\r\n127.0.0.1\n')"
head -n 1 "$T/down" | grep -q '^HTTP/1\.[01] 200' || fail "phase 3: $(head -n 1 "$T/down")"
note "phase 3: the web server answered: $(tail -n 1 "$T/down")"

# The web server closed: meek-server answers 410 once all is delivered.
i=0
while [ "$st" = 200 ]; do
	i=$((i + 1))
	[ "$i" -le 30 ] || fail "no 410 after 30 polls of a closed upstream"
	post ""
done
[ "$st" = 410 ] || fail "after the upstream closed: HTTP $st, want 410"
note "upstream closed and drained: 410"

# The session is gone: the same id opens a new one (a fresh SOCKS5).
: >"$T/down"
post 050100
[ "$st" = 200 ] || fail "new session on the old id: HTTP $st"
poll_for 20 '^0500'
note "the same X-Session-Id after 410 starts a new upstream"
pw_stop meek
