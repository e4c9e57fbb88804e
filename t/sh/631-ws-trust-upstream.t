#!/bin/sh
# SPDX-License-Identifier: MIT
# The ws listener's options (egress(8)): ?client_ip= becomes the source
# of a session's events on a ,trusted listener only (the real peer
# elsewhere); ,upstream= sends the streams of plaintext sessions (as a
# Snowflake client's, which name no destination) to that listener's fixed
# upstream while secure sessions on the same listener keep destination
# mode; a listener without upstream refuses plaintext sessions.
. "$PW_TOP/t/lib.sh"

pw_httpd 300000
H=$httpd_port
pw_start up 1 python3 "$PW_PY/prefix-upstream.py" "127.0.0.1:$H"
up_ep=$pw_ep
pw_start egress 3 pw_egress -l ws://127.0.0.1:0/,trusted -l "ws://127.0.0.1:0/,upstream=$up_ep" \
	-l tcp:127.0.0.1:0,upstream="$up_ep" --events - --allow "127.0.0.1:$H"
trusted=$pw_ep
plain=$pw_ep2

# 1. client_ip believed on the trusted listener, ignored on the other.
pw_start ctr 1 pw_socks_client -l tcp:127.0.0.1:0 -C "${trusted}?client_ip=192.0.2.77"
pw_fetch trusted 1k.bin --socks5-hostname "127.0.0.1:$pw_port" "http://127.0.0.1:$H/1k.bin"
pw_start cun 1 pw_socks_client -l tcp:127.0.0.1:0 -C "${plain}?client_ip=192.0.2.88"
pw_fetch untrusted 1k.bin --socks5-hostname "127.0.0.1:$pw_port" "http://127.0.0.1:$H/1k.bin"
pw_start cbad 1 pw_socks_client -l tcp:127.0.0.1:0 -C "${trusted}?client_ip=0.0.0.0"
pw_fetch unspecified 1k.bin --socks5-hostname "127.0.0.1:$pw_port" "http://127.0.0.1:$H/1k.bin"
grep -q '"source":"192.0.2.77:1"' "$T/egress.out" ||
	fail "no event with the trusted client_ip: $(grep -m 2 source "$T/egress.out")"
! grep -q '192.0.2.88' "$T/egress.out" || fail "client_ip believed on an untrusted listener"
! grep -q '"source":"0.0.0.0' "$T/egress.out" || fail "an unspecified client_ip believed"
[ "$(grep -c '"source":"127.0.0.1:' "$T/egress.out")" -ge 4 ] ||
	fail "the untrusted sessions' events do not name the real peer"
note "client_ip 192.0.2.77 in the trusted listener's events; 192.0.2.88 and 0.0.0.0 ignored"

# 2. A plaintext session on the upstream listener: its stream goes to the
# fixed upstream (the egress may not reach 192.0.2.1), which relays it.
pw_start plainc 1 "$PW_BIN/socks-client" --plaintext -l tcp:127.0.0.1:0 -C "$plain"
pw_fetch upstream big.bin --socks5-hostname "127.0.0.1:$pw_port" "http://192.0.2.1/big.bin"
grep -q '^prefix 192.0.2.1:80$' "$T/up.out" || fail "the upstream saw no stream: $(cat "$T/up.out")"
note "plaintext session on ,upstream=: relayed by the fixed upstream"

# 3. Secure sessions on that listener still name destinations.
n_up=$(grep -c '^prefix' "$T/up.out")
pw_start secc 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$plain"
pw_fetch secure-on-upstream 1k.bin --socks5-hostname "127.0.0.1:$pw_port" "http://127.0.0.1:$H/1k.bin"
[ "$(grep -c '^prefix' "$T/up.out")" -eq "$n_up" ] || fail "a secure session's stream went upstream"

# 4. A plaintext session where no upstream is set is refused.
pw_start plainr 1 "$PW_BIN/socks-client" --plaintext -l tcp:127.0.0.1:0 -C "$trusted"
curl -sS --max-time 8 -o /dev/null --socks5-hostname "127.0.0.1:$pw_port" \
	"http://192.0.2.1/1k.bin" 2>/dev/null && fail "a plaintext session served without an upstream"
note "plaintext refused on a listener without upstream"

for p in ctr cun cbad plainc secc plainr egress; do
	pw_stop "$p"
done
