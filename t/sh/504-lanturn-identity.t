#!/bin/sh
# SPDX-License-Identifier: MIT
# lanturn-egress --cert/--key: the fingerprint printed is the SHA-256 of
# the certificate's DER (as openssl computes it) and is the same after a
# restart, so a client's pin keeps working; a key that is not the
# certificate's, a SEC1 key and an RSA certificate are refused with one
# clear line (exit 100); a client pinning another fingerprint fails its
# handshake and carries nothing.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-lanturn.sh"

command -v openssl >/dev/null || fail "openssl not installed"
cd "$T" || fail "cd $T"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem \
	-out cert.pem -subj "/CN=$(openssl rand -hex 16)" -days 30 2>/dev/null || fail "openssl req"
want=sha256:$(openssl x509 -in cert.pem -outform DER | sha256sum | cut -d' ' -f1)

lanturn_up 100000 --cert cert.pem --key key.pem
[ "$lt_fp" = "$want" ] || fail "fingerprint $lt_fp, want $want"
lanturn_client client bulk
pw_fetch first big.bin --socks5-hostname "127.0.0.1:$client_port" "$url/big.bin"
pw_stop client
pw_stop lt
pw_start lt 2 "$PW_BIN/lanturn-egress" -l "udp:127.0.0.1:$lt_port" -u "unix:$T/egress.sock" \
	--admin "unix:$T/lt.sock" --cert cert.pem --key key.pem
fp2=$(awk '$1 == "fingerprint" { print $2 }' "$T/lt.out" | tail -n 1)
[ "$fp2" = "$want" ] || fail "after a restart: fingerprint $fp2, want $want"
lanturn_client again bulk
pw_fetch after-restart big.bin --socks5-hostname "127.0.0.1:$client_port" "$url/big.bin"
note "fingerprint stable across a restart: $want"

# Refusals: exit 100, one line naming the problem.
refuse() {
	_what=$1
	_re=$2
	shift 2
	"$PW_BIN/lanturn-egress" -l udp:127.0.0.1:0 -u "unix:$T/egress.sock" "$@" \
		>"$T/refuse.out" 2>"$T/refuse.err"
	_rc=$?
	[ "$_rc" -eq 100 ] || fail "$_what: exit $_rc, want 100"
	grep -q "$_re" "$T/refuse.err" || fail "$_what: $(cat "$T/refuse.err")"
	grep -q '^ready' "$T/refuse.out" && fail "$_what: it got ready"
	note "$_what: $(head -n 1 "$T/refuse.err")"
}
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.pem 2>/dev/null
refuse "another key" "does not match" --cert cert.pem --key other.pem
openssl ecparam -name prime256v1 -genkey -noout -out sec1.pem
refuse "a SEC1 key" "PKCS#8" --cert cert.pem --key sec1.pem
openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.pem -subj /CN=x 2>/dev/null
refuse "an RSA certificate" "P-256" --cert rsa.pem --key rsa.key
refuse "--cert alone" "go together" --cert cert.pem

# A wrong pin: the handshake fails and the carrier exits 111. Its stdin
# is a FIFO held open here, so it does not end for lack of input.
mkfifo "$T/hold.fifo" || fail mkfifo
exec 4<>"$T/hold.fifo"
"$PW_HELPERS/lanturn-call" -p "127.0.0.1:$lt_port" \
	-f sha256:0000000000000000000000000000000000000000000000000000000000000000 \
	<&4 >/dev/null 2>"$T/wrongpin.err" &
wp=$!
pw_track "$wp"
pw_wait "$wp" 20
exec 4>&-
[ "$pw_rc" = 111 ] || fail "wrong pin: exit $pw_rc, want 111: $(cat "$T/wrongpin.err")"
grep -q "fingerprint differs from the pin" "$T/wrongpin.err" ||
	fail "wrong pin: $(cat "$T/wrongpin.err")"
note "wrong pin: $(grep 'call failed' "$T/wrongpin.err")"
