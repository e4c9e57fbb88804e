#!/bin/sh
# SPDX-License-Identifier: MIT
# The lantern-box smoke flow (smoketest/socks5.sh) reproduced with curl:
# raw POSTs without X-Meek-Seq or X-Meek-Max-Body carry a SOCKS5
# greeting, a CONNECT and an HTTP GET through meek-server to egress's
# SOCKS5 mode, and empty polls collect the answers until the far end
# closes (410). The same flow then runs with microsocks as the upstream:
# meek-server is a generic byte pipe.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meeks.sh"

command -v microsocks >/dev/null || fail "microsocks not installed (scripts/install-deps)"
pw_httpd 300000
pw_start egress 1 "$PW_BIN/egress" -l "unix:$T/egress.sock" --allow "127.0.0.1:$httpd_port"

# smoke LABEL: the three phases against meek-server on $meeks_port.
smoke() {
	sid=$(meeks_sid)
	: >"$T/down"
	post() { # post FILE: one POST; the answer body is appended to $T/down
		code=$(curl -sS --max-time 20 --http1.1 -X POST -o "$T/ans" -w '%{http_code}' \
			-H 'Content-Type: application/octet-stream' -H "X-Session-Id: $sid" \
			--data-binary "@$1" "http://127.0.0.1:$meeks_port/" 2>"$T/curl.err") ||
			fail "$1: curl: $(cat "$T/curl.err")"
		[ "$code" = 200 ] || return 1
		cat "$T/ans" >>"$T/down"
	}
	# poll_until BYTES: empty polls until $T/down holds that many bytes
	poll_until() {
		_n=0
		while [ "$(wc -c <"$T/down")" -lt "$1" ]; do
			_n=$((_n + 1))
			[ "$_n" -le 200 ] || fail "$label: only $(wc -c <"$T/down") of $1 bytes came back"
			post "$T/empty" || return 1
		done
	}
	: >"$T/empty"
	printf '\005\001\000' >"$T/greet"
	post "$T/greet" || fail "$label: greeting refused ($code)"
	poll_until 2
	[ "$(od -An -tx1 "$T/down" | tr -d ' \n')" = 0500 ] || fail "$label: method reply $(od -An -tx1 "$T/down")"
	: >"$T/down"
	python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex("050100017f000001") + int(sys.argv[1]).to_bytes(2, "big"))' \
		"$httpd_port" >"$T/connect"
	post "$T/connect" || fail "$label: CONNECT refused ($code)"
	poll_until 10
	[ "$(od -An -N3 -tx1 "$T/down" | tr -d ' \n')" = 050000 ] || fail "$label: CONNECT reply $(od -An -tx1 "$T/down")"
	: >"$T/down"
	printf 'GET /big.bin HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >"$T/get"
	post "$T/get" || fail "$label: GET refused ($code)"
	_n=0
	while post "$T/empty"; do
		_n=$((_n + 1))
		[ "$_n" -le 400 ] || fail "$label: the far end never closed"
	done
	[ "$code" = 410 ] || fail "$label: the end of the stream answered $code, want 410"
	python3 - "$T/down" "$T/www/big.bin" <<'PY' || fail "$label: the body differs"
import sys
d = open(sys.argv[1], "rb").read()
head, _, body = d.partition(b"\r\n\r\n")
print("# " + head.split(b"\r\n")[0].decode())
if not head.startswith(b"HTTP/1.") or b" 200 " not in head.split(b"\r\n")[0]:
    sys.exit("bad head %r" % head[:80])
if body != open(sys.argv[2], "rb").read():
    sys.exit("body of %d bytes differs" % len(body))
PY
	note "$label: greeting, CONNECT and a 300000-byte GET through meek, then 410"
}

meeks_start -u "unix:$T/egress.sock"
label=egress
smoke
pw_stop meeks

pw_start_bg micro microsocks -i 127.0.0.1 -p 0
micro_port=$(pw_listen_port "$pw_pid") || fail "microsocks is not listening"
pw_start meeks2 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "tcp:127.0.0.1:$micro_port"
meeks_port=$pw_port
label=microsocks
smoke
pw_stop meeks2
pw_stop egress
