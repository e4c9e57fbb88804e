#!/bin/sh
# SPDX-License-Identifier: MIT
# Secure sessions (pipeworks-protocol(5)): a marker sent through the
# tunnel both ways never appears in the carrier's bytes; a carrier to an
# egress with another key is refused and the next carrier (the right
# egress) serves; unknown credentials, and a user revoked by SIGHUP, are
# refused and counted while other users are served (the revoked user's
# live session ends with the reload); a recorded carrier
# replayed to an egress with the same key starts no session; a plaintext
# session to an egress without --upstream is refused and counted; a
# session that starts TLS and never finishes is ended at the handshake
# timeout; plain SOCKS5 is refused unless the listener is marked ,socks.
. "$PW_TOP/t/lib.sh"

pw_httpd 1000
H=$httpd_port
pw_marker_file
marker=$pw_marker
pw_keys
printf 'bob %s\n' "$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')" >>"$T/users"
(umask 077 && tail -n 1 "$T/users" >"$T/bob.cred" && echo "nobody nothing" >"$T/nobody.cred")
sock="$T/egress.sock"
pw_start egress 2 pw_egress -v -l "unix:$sock" --admin "unix:$T/admin.sock" --allow "127.0.0.1:$H"
egress_pid=$pw_pid

# 1. The marker, up (in the request) and down (in the body), through a
# carrier that records both directions.
pw_start tee 1 pw_socks_client -l tcp:127.0.0.1:0 \
	-C "tee '$T/up.bin' | socat - UNIX-CONNECT:$sock | tee '$T/down.bin'"
tee_port=$pw_port
pw_fetch marker marker.txt --socks5-hostname "127.0.0.1:$tee_port" "http://127.0.0.1:$H/marker.txt"
curl -sS --max-time 10 -o /dev/null --socks5-hostname "127.0.0.1:$tee_port" \
	"http://127.0.0.1:$H/$marker" 2>/dev/null
[ "$(wc -c <"$T/down.bin")" -gt "$(wc -c <"$T/www/marker.txt")" ] || fail "the carrier recorded too little downstream"
for f in up down; do
	! grep -aq "$marker" "$T/$f.bin" || fail "the marker is in the carrier's $f bytes"
	! grep -aq "tester" "$T/$f.bin" || fail "the user name is in the carrier's $f bytes"
done
head -c 8 "$T/up.bin" | od -An -tx1 | grep -q 'bb 6f 23 68 1b 15 0a 1f' ||
	fail "the carrier does not start with the secure-session token"
note "marker and user name not on the carrier, both ways"

# 2. An impostor egress (another key) on the first carrier: refused with
# a clear line; the stream, not yet answered, goes on a new session on
# the second carrier and the fetch works.
(umask 077 && "$PW_BIN/egress" --genkey >"$T/other.key") || fail "genkey"
pw_start impostor 1 "$PW_BIN/egress" -l tcp:127.0.0.1:0 --key "$T/other.key" \
	--users "$T/users" --allow "127.0.0.1:$H"
imp_ep=$pw_ep
pw_start two 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$imp_ep" -C "unix:$sock"
two_port=$pw_port
pw_fetch next-carrier 1k.bin --socks5-hostname "127.0.0.1:$two_port" "http://127.0.0.1:$H/1k.bin"
grep -q "carrier $imp_ep refused: TLS handshake: the key is not the pinned one" "$T/two.err" ||
	fail "no refusal line for the impostor: $(tail -n 3 "$T/two.err")"
! grep -q "user tester" "$T/impostor.err" || fail "the impostor got the credentials"

# 3. Unknown user; bob served, then revoked by SIGHUP; tester unaffected.
fetch_as() { # NAME CREDFILE: a socks-client with these credentials; sets as_port
	pw_start "$1" 1 "$PW_BIN/socks-client" -l tcp:127.0.0.1:0 -C "unix:$sock" \
		--egress-fingerprint "$pw_fingerprint" --credentials-file "$2"
	as_port=$pw_port
}
fetch_as nobody "$T/nobody.cred"
curl -sS --max-time 10 -o /dev/null --socks5-hostname "127.0.0.1:$as_port" \
	"http://127.0.0.1:$H/1k.bin" 2>/dev/null && fail "an unknown user was served"
grep -q "refused our credentials" "$T/nobody.err" || fail "no refusal in nobody's log"
fetch_as bob "$T/bob.cred"
bob_port=$as_port
pw_fetch bob 1k.bin --socks5-hostname "127.0.0.1:$bob_port" "http://127.0.0.1:$H/1k.bin"
grep -v '^bob ' "$T/users" >"$T/users.new" && cat "$T/users.new" >"$T/users"
kill -HUP "$egress_pid"
wait_for() { # FILE PATTERN: up to 10 s
	_n=0
	until grep -q "$2" "$1"; do
		_n=$((_n + 1))
		[ "$_n" -lt 100 ] || fail "no '$2' in $1"
		python3 -c 'import time; time.sleep(0.1)'
	done
}
wait_for "$T/egress.err" "users: 1 users"
# bob's live session ends with the reload, and a new one is refused.
grep -q "ended: user bob is no longer in --users" "$T/egress.err" ||
	fail "bob's live session outlived the revocation"
# ... and its carrier with it (bob's socks-client may dial another).
grep -q "users: 1 users; 1 sessions of users no longer in it ended, 1 of their carriers closed" \
	"$T/egress.err" || fail "bob's carrier outlived the revocation: $(grep 'users:' "$T/egress.err")"
curl -sS --max-time 5 -o /dev/null --socks5-hostname "127.0.0.1:$bob_port" \
	"http://127.0.0.1:$H/1k.bin" 2>/dev/null && fail "a revoked user's live session was served"
fetch_as bob2 "$T/bob.cred"
curl -sS --max-time 10 -o /dev/null --socks5-hostname "127.0.0.1:$as_port" \
	"http://127.0.0.1:$H/1k.bin" 2>/dev/null && fail "a revoked user was served"
pw_fetch tester 1k.bin --socks5-hostname "127.0.0.1:$tee_port" "http://127.0.0.1:$H/1k.bin"
n=$(pw_metric "$T/admin.sock" 'egress_refused_total{reason="bad_credentials"}')
[ "${n:-0}" -ge 2 ] || fail "bad_credentials counted ${n:-none}, want >= 2"
note "unknown and revoked users refused ($n counted), others served"

# 4. The recorded carrier replayed to an egress with the same key.
pw_start replay 1 "$PW_BIN/egress" -v -l tcp:127.0.0.1:0 --key "$T/egress.key" \
	--users "$T/users" --allow "127.0.0.1:$H"
replay_port=$pw_port
timeout 10 socat -t 3 - "TCP:127.0.0.1:$replay_port" <"$T/up.bin" >"$T/replay.out" 2>/dev/null
# Its acknowledgements are for data this egress never sent (KCP's checks
# close the carrier), and its TLS Finished is for another server random.
! grep -q "user tester" "$T/replay.err" || fail "the replayed handshake authenticated"
grep -Eq "ended: TLS|failed their session's checks" "$T/replay.err" ||
	fail "the replayed carrier was not refused: $(cat "$T/replay.err")"
note "replayed handshake: no session ($(wc -c <"$T/replay.out") bytes back, all TLS)"

# 5. A plaintext session to an egress in destination mode.
pw_start plain 1 "$PW_BIN/socks-client" --plaintext -l tcp:127.0.0.1:0 -C "unix:$sock"
curl -sS --max-time 10 -o /dev/null --socks5-hostname "127.0.0.1:$pw_port" \
	"http://127.0.0.1:$H/1k.bin" 2>/dev/null && fail "a plaintext session was served"
n=$(pw_metric "$T/admin.sock" 'egress_refused_total{reason="plaintext_session"}')
[ "${n:-0}" -ge 1 ] || fail "plaintext_session counted ${n:-none}"
note "plaintext session refused ($n counted)"

# 6. A session stuck in its TLS handshake (the head of a record, then
# only holes) ends at --handshake-timeout, counted.
pw_start stuckeg 2 pw_egress -v -l tcp:127.0.0.1:0 --handshake-timeout 2 \
	--admin "unix:$T/admin2.sock"
pw_start stuck 1 "$PW_HELPERS/kcp-ooo-flood" -n 1 -l 40 -s 100 -t 20 "$pw_ep"
wait_for "$T/stuckeg.err" "no TLS handshake and credentials within --handshake-timeout"
n=$(pw_metric "$T/admin2.sock" 'egress_refused_total{reason="handshake_timeout"}')
[ "${n:-0}" -ge 1 ] || fail "handshake_timeout counted ${n:-none}"
note "a session stuck in its handshake ended at the timeout"

# 7. Plain SOCKS5 names no user: with --users it is refused, counted, on
# a listener without ,socks, and served on one with it.
pw_start socks 3 "$PW_BIN/egress" -l tcp:127.0.0.1:0 -l tcp:127.0.0.1:0,socks \
	--key "$T/egress.key" --users "$T/users" --admin "unix:$T/admin3.sock" \
	--allow "127.0.0.1:$H"
closed_port=$pw_port
curl -sS --max-time 10 -o /dev/null --socks5-hostname "127.0.0.1:$closed_port" \
	"http://127.0.0.1:$H/1k.bin" 2>/dev/null && fail "plain SOCKS5 was served with --users"
n=$(pw_metric "$T/admin3.sock" 'egress_refused_total{reason="plain_socks"}')
[ "${n:-0}" -ge 1 ] || fail "plain_socks counted ${n:-none}"
pw_fetch socksok 1k.bin --socks5-hostname "127.0.0.1:${pw_ep2##*:}" "http://127.0.0.1:$H/1k.bin"
note "plain SOCKS5 refused without ,socks ($n counted), served with it"
