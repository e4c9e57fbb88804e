#!/bin/sh
# SPDX-License-Identifier: MIT
# common/nss against OpenSSL's DTLS (a real other implementation):
# our client to openssl s_server -dtls -use_srtp, and openssl s_client
# -dtls -use_srtp to our server. Each side reports the same SRTP profile
# and the same RFC 5705 exporter output (EXTRACTOR-dtls_srtp), and the
# message crosses.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-nss.sh"

command -v openssl >/dev/null || fail "openssl not installed"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=peer \
	-days 2 -keyout "$T/key.pem" -out "$T/cert.pem" >"$T/req.err" 2>&1 || fail "openssl req"
profiles=SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80
# openssl reads stdin and stops at its end: a FIFO held open keeps it going.
mkfifo "$T/in" || fail "mkfifo"
exec 4<>"$T/in"

# 1. Our client, openssl's server. s_server cannot bind port 0 and say
# which, so take a free port from the kernel and hand it over.
port=$(python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
openssl s_server -dtls -accept "127.0.0.1:$port" -cert "$T/cert.pem" -key "$T/key.pem" \
	-use_srtp "$profiles" -alpn webrtc -keymatexport EXTRACTOR-dtls_srtp \
	-keymatexportlen 56 -naccept 1 <"$T/in" 4>&- >"$T/ossl-srv.out" 2>&1 &
osrv=$!
pw_track "$osrv"
python3 "$PW_PY/wait-for.py" "$T/ossl-srv.out" ACCEPT 10 || fail "s_server: $(cat "$T/ossl-srv.out")"
"$PEER" --client "127.0.0.1:$port" --send-only --message fromnss >"$T/cli.out" 2>"$T/cli.err" ||
	fail "client exit $?: $(cat "$T/cli.out")"
python3 "$PW_PY/wait-for.py" "$T/ossl-srv.out" fromnss 10 || fail "s_server did not get the data"
cat "$T/cli.out"
grep -E 'SRTP|Keying material:|CIPHER|ALPN' "$T/ossl-srv.out"
grep -q 'profile=SRTP_AEAD_AES_128_GCM' "$T/ossl-srv.out" || fail "s_server: no GCM profile"
[ "$(nss_field "$T/cli.out" srtp)" = SRTP_AEAD_AES_128_GCM ] || fail "client srtp"
[ "$(nss_field "$T/cli.out" alpn)" = webrtc ] || fail "client alpn"
theirs=$(sed -n 's/^ *Keying material: //p' "$T/ossl-srv.out" | tr 'A-F' 'a-f')
[ -n "$theirs" ] || fail "s_server printed no keying material"
[ "$theirs" = "$(nss_field "$T/cli.out" export)" ] ||
	fail "exporter differs: ours $(nss_field "$T/cli.out" export) theirs $theirs"
kill "$osrv" 2>/dev/null
pw_wait "$osrv" 5
exec 4>&-

# 2. openssl's client, our server. The FIFO is opened after our server
# starts, so that only this shell holds its write end.
nss_server srv
exec 4<>"$T/in"
openssl s_client -dtls -connect "127.0.0.1:$nss_port" -use_srtp "$profiles" -alpn webrtc \
	-keymatexport EXTRACTOR-dtls_srtp -keymatexportlen 56 <"$T/in" 4>&- >"$T/ossl-cli.out" 2>&1 &
ocli=$!
pw_track "$ocli"
python3 "$PW_PY/wait-for.py" "$T/ossl-cli.out" "Keying material:" 10 ||
	fail "s_client: $(cat "$T/ossl-cli.out")"
printf 'fromssl\n' >&4
python3 "$PW_PY/wait-for.py" "$T/srv.out" "data fromssl" 10 || fail "server did not get the data"
exec 4>&-
pw_wait "$nss_pid" 10
[ "$pw_rc" = 0 ] || fail "server exit $pw_rc"
pw_wait "$ocli" 10
pw_wait "$nss_cat" 5
cat "$T/srv.out"
grep -E 'SRTP|Keying material:|Cipher is|ALPN' "$T/ossl-cli.out"
[ "$(nss_field "$T/srv.out" srtp)" = SRTP_AEAD_AES_128_GCM ] || fail "server srtp"
theirs=$(sed -n 's/^ *Keying material: //p' "$T/ossl-cli.out" | tr 'A-F' 'a-f')
[ -n "$theirs" ] || fail "s_client printed no keying material"
[ "$theirs" = "$(nss_field "$T/srv.out" export)" ] ||
	fail "exporter differs: ours $(nss_field "$T/srv.out" export) theirs $theirs"
exit 0
