#!/bin/sh
# SPDX-License-Identifier: MIT
# A 20 MB download through meek-server -> egress (SOCKS5 over a unix
# socket) -> httpd with a lantern-box style poller (X-Meek-Seq, 256 KiB
# answers), compared by sha256; two at once, so their sessions share the
# server; and the same through microsocks as the upstream.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meeks.sh"

command -v microsocks >/dev/null || fail "microsocks not installed (scripts/install-deps)"
pw_httpd 20000000
want=$(pw_sha "$T/www/big.bin")
pw_start egress 1 "$PW_BIN/egress" -l "unix:$T/egress.sock" --allow "127.0.0.1:$httpd_port"
meeks_start -u "unix:$T/egress.sock" --admin "unix:$T/admin.sock"

python3 "$PW_PY/meek-fetch.py" "127.0.0.1:$meeks_port" "$httpd_port" big.bin >"$T/a.out" 2>&1 &
a=$!
pw_track "$a"
python3 "$PW_PY/meek-fetch.py" "127.0.0.1:$meeks_port" "$httpd_port" big.bin >"$T/b.out" 2>&1 &
b=$!
pw_track "$b"
pw_wait "$a" 120
[ "$pw_rc" = 0 ] || fail "first download: $pw_rc $(cat "$T/a.out")"
pw_wait "$b" 120
[ "$pw_rc" = 0 ] || fail "second download: $pw_rc $(cat "$T/b.out")"
for f in a b; do
	note "$f: $(cat "$T/$f.out")"
	grep -q "^total=20000000 sha256=$want " "$T/$f.out" || fail "$f: sha256 mismatch"
done
[ "$(meeks_metric sessions_open)" = 0 ] || fail "sessions left open after 410"

pw_start_bg micro microsocks -i 127.0.0.1 -p 0
micro_port=$(pw_listen_port "$pw_pid") || fail "microsocks is not listening"
pw_start meeks2 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "tcp:127.0.0.1:$micro_port"
out=$(python3 "$PW_PY/meek-fetch.py" "127.0.0.1:$pw_port" "$httpd_port" big.bin) ||
	fail "via microsocks: $out"
note "microsocks: $out"
case $out in "total=20000000 sha256=$want "*) ;; *) fail "via microsocks: sha256 mismatch" ;; esac
pw_stop meeks2
pw_stop meeks
pw_stop egress
