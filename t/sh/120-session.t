#!/bin/sh
# SPDX-License-Identifier: MIT
# Turbo Tunnel session mode (socks-client's default): one download
# survives its carrier being killed twice; 200 streams at once share one
# session; an egress restart loses the session and new streams work
# again; a far end that is not an egress fails streams promptly.
. "$PW_TOP/t/lib.sh"

pw_httpd 100000000
H=$httpd_port
sock="$T/egress.sock"
pw_start egress 1 pw_egress -l "unix:$sock" --allow "127.0.0.1:$H"
pw_start client 1 pw_socks_client -v -l tcp:127.0.0.1:0 \
	-C "exec socat - UNIX-CONNECT:$sock"
client_pid=$pw_pid client_port=$pw_port
want=$(pw_sha "$T/www/big.bin")

# 1. The carrier (socat, the client's only child) dies twice mid-transfer.
mkfifo "$T/mark"
python3 "$PW_PY/get.py" --mark 20000000,60000000 --markfile "$T/mark" --rate 100 \
	"127.0.0.1:$client_port" 127.0.0.1 "$H" big.bin >"$T/get.out" 2>&1 &
get_pid=$!
pw_track "$get_pid"
for n in 1 2; do
	m=$(timeout 30 head -n 1 "$T/mark")
	[ "$m" = mark ] || fail "transfer did not reach mark $n: $(cat "$T/get.out")"
	pkill -KILL -P "$client_pid" || fail "no carrier to kill at mark $n"
done
pw_wait "$get_pid" 60
[ "$pw_rc" = 0 ] || fail "transfer across carrier deaths: rc=$pw_rc: $(cat "$T/get.out")"
got=$(sed -n 's/.*sha256=//p' "$T/get.out")
[ "$got" = "$want" ] || fail "sha256 after carrier deaths: $got, want $want"
grep -q "total=100000000 " "$T/get.out" || fail "short: $(cat "$T/get.out")"
note "one connection, two carrier deaths, sha256 equal"

# 2. 200 streams at once on the session.
# shellcheck disable=SC2016 # the inner sh expands them
seq 200 | xargs -P 200 -I '{}' sh -c \
	'curl -sS --max-time 60 --socks5-hostname "127.0.0.1:$1" "http://127.0.0.1:$2/1k.bin" -o "$3/c.{}"' \
	sh "$client_port" "$H" "$T" || fail "a concurrent stream failed"
k=$(pw_sha "$T/www/1k.bin")
for i in $(seq 200); do
	[ "$(pw_sha "$T/c.$i")" = "$k" ] || fail "stream $i: wrong bytes"
done
note "200 concurrent streams"

# 3. The egress restarts: the session is lost; new streams work again.
pw_stop egress
pw_start egress 1 pw_egress -l "unix:$sock" --allow "127.0.0.1:$H"
pw_fetch after-restart 1k.bin --max-time 40 --socks5-hostname "127.0.0.1:$client_port" \
	"http://127.0.0.1:$H/1k.bin"
pw_fetch after-restart-2 1k.bin --max-time 20 --socks5-hostname "127.0.0.1:$client_port" \
	"http://127.0.0.1:$H/1k.bin"
pw_alive client

# 4. Far ends that are not an egress: streams fail within seconds.
pw_start bad 1 pw_socks_client -l tcp:127.0.0.1:0 -C 'head -c 1000000 /dev/urandom'
bad_port=$pw_port
pw_start gone 1 pw_socks_client -l tcp:127.0.0.1:0 -C 'exit 0'
gone_port=$pw_port
for p in "$bad_port" "$gone_port"; do
	curl -sS --max-time 20 -o /dev/null --socks5-hostname "127.0.0.1:$p" \
		"http://127.0.0.1:$H/1k.bin" 2>"$T/far.err"
	rc=$?
	[ "$rc" -eq 97 ] || fail "far end on $p: curl exit $rc, want 97: $(cat "$T/far.err")"
done
pw_alive bad
pw_alive gone
for c in bad gone client egress; do
	pw_stop "$c"
done
