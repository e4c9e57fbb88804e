#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/dtls-handshake.sh — issue 14: DTLS handshake time, first flight
# to keys, on loopback and through t/helpers/udp-delay.py at a 50 ms
# round trip, median of PW_BENCH_RUNS_HS (15) runs, for:
#   ours 1.2   dtls-peer --client against dtls-peer --server, both on the
#              system NSS (DTLS 1.2);
#   ours 1.3   the same on Firefox's NSS (--nss-lib auto: DTLS 1.3 and
#              ML-KEM); skipped, with a line, without firefox-esr;
#   openssl    openssl s_client -dtls1_2 -use_srtp … against the same
#              server as ours 1.2, with a client certificate as WebRTC
#              has (our client sends one too).
# Every client is timed the same way, from a capture (tshark on lo; the
# bench runs in a network namespace of its own, so lo carries only its
# datagrams): from the client's first ClientHello to the last datagram of
# the server's final handshake flight, as the client receives it (DTLS
# 1.2: ChangeCipherSpec and Finished; DTLS 1.3: ServerHello to Finished,
# the flight after which the client has its keys). Process start-up and
# certificate generation are left out. At 50 ms the capture is read on
# the client's side of the delay relay. Rounds go through every contender
# in turn. Prints ms on loopback and at 50 ms RTT, the datagrams up to
# keys (both ways; spurious retransmissions show there), the DTLS version
# the server reported, and ours/openssl for DTLS 1.2 (no goal).
# Needs root, unshare and tshark (otherwise it says so and exits 0),
# PW_BIN and PW_HELPERS; exits 0 unless a measurement failed.
cd "$(dirname "$0")/.." || exit 101
PW_TOP=$PWD
export PW_TOP
if [ -z "${PW_HS_NETNS:-}" ]; then
	if ! command -v tshark >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ] ||
		! unshare -n true 2>/dev/null; then
		echo "bench dtls-handshake: skipped (needs root, unshare -n and tshark to capture)"
		exit 0
	fi
	PW_HS_NETNS=1 exec unshare -n sh "$PW_TOP/bench/dtls-handshake.sh"
fi
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-nss.sh"
ip link set lo up || fail "lo up"
command -v openssl >/dev/null || fail "openssl not installed (scripts/install-deps)"

RUNS=${PW_BENCH_RUNS_HS:-15}
RTT=50
PROFILES=SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80
FF=/usr/lib/firefox-esr
NAMES="ours12 ours13 openssl"
if [ ! -e "$FF/libnss3.so" ]; then
	NAMES="ours12 openssl"
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=peer \
	-days 2 -keyout "$T/key.pem" -out "$T/cert.pem" >"$T/req.err" 2>&1 || fail "openssl req"

# one NAME PATH: one handshake of contender NAME, on loopback (PATH lo)
# or through the delay relay (rtt). Appends "NAME PATH START PORT
# VERSION" to $T/runs: its datagrams are those after START (the epoch
# time before its server started) to or from PORT (the port the client
# talks to: the server's or the relay's).
one() {
	_lib=system
	[ "$1" = ours13 ] && _lib=auto
	_t0=$(date +%s.%N)
	rm -f "$T/srv.out"
	nss_server srv --nss-lib "$_lib" -v
	_port=$nss_port
	if [ "$2" = rtt ]; then
		pw_start delay 1 python3 "$PW_PY/udp-delay.py" $((RTT / 2)) "127.0.0.1:$nss_port"
		_port=${pw_ep##*:}
	fi
	case $1 in
	openssl)
		openssl s_client -dtls1_2 -use_srtp "$PROFILES" -alpn webrtc \
			-cert "$T/cert.pem" -key "$T/key.pem" -connect "127.0.0.1:$_port" \
			</dev/null >"$T/cli.out" 2>&1
		;;
	*) "$PEER" --nss-lib "$_lib" --client "127.0.0.1:$_port" >"$T/cli.out" 2>&1 ;;
	esac
	_rc=$?
	[ "$_rc" -eq 0 ] || fail "$1 ($2): client exit $_rc: $(tail -n 5 "$T/cli.out")"
	pw_wait "$nss_pid" 10
	[ "$pw_rc" = 0 ] || fail "$1 ($2): server exit $pw_rc"
	pw_wait "$nss_cat" 5
	[ "$2" = rtt ] && pw_stop delay
	_v=$(nss_field "$T/srv.out" connected)
	[ -n "$_v" ] || fail "$1 ($2): the server did not connect"
	# The NSS the server ran on, once per contender, for the table.
	[ -s "$T/nss-$1" ] || sed -n 's/.*\(NSS 3[.0-9]*\).*/\1/p' "$T/srv.err" | head -n 1 >"$T/nss-$1"
	echo "$1 $2 $_t0 $_port ${_v%% *}" >>"$T/runs"
}

nss_capture_start udp
: >"$T/runs"
r=0
while [ "$r" -lt "$RUNS" ]; do
	for n in $NAMES; do
		one "$n" lo
		one "$n" rtt
	done
	r=$((r + 1))
done
# A last datagram to the discard port: once tshark has seen it, it has
# seen every handshake before it.
python3 -c 'import socket
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"the end", ("127.0.0.1", 9))' ||
	fail "the end marker"
python3 "$PW_PY/wait-for.py" --re "$T/tshark.out" ' 9 Len=7' 10 ||
	fail "tshark did not see the end marker"
kill -TERM "$nss_tshark" 2>/dev/null
pw_wait "$nss_tshark" 10
tshark -r "$T/cap.pcap" -T fields -e frame.time_epoch -e udp.srcport -e udp.dstport \
	-e udp.payload >"$T/frames" 2>"$T/tshark-read.err" || fail "tshark -r"

# Each run's handshake from its datagrams (DTLS record headers read from
# the UDP payload, hex; the first record of a datagram is enough): t0 is
# its first ClientHello (content type 22, epoch 0, msg_type 1); the
# server's final flight starts with the first datagram from PORT that
# begins with a ChangeCipherSpec (DTLS 1.2) or a ServerHello (msg_type
# 2 that is not a HelloRetryRequest, DTLS 1.3) and ends with the last
# datagram from PORT before the client's next one.
awk -v hrr=cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c '
NR == FNR {
	n++; name[n] = $1; path[n] = $2; t0[n] = $3; port[n] = $4; ver[n] = $5
	next
}
function done(i) {
	if (stage[i] == 2) {
		printf "%s %s %.2f %d\n", name[i], path[i], (t1[i] - tch[i]) * 1000, dg[i]
		stage[i] = 3
	}
}
{
	while (k < n && $1 >= t0[k + 1])
		k++
	if (k == 0 || stage[k] == 3)
		next
	p = tolower($4)
	type = substr(p, 1, 2); epoch = substr(p, 7, 4); mt = substr(p, 27, 2)
	if ($3 == port[k]) {
		if (stage[k] == 2) {
			done(k)
			next
		}
		if (stage[k] == 0 && type == "16" && epoch == "0000" && mt == "01") {
			stage[k] = 1
			tch[k] = $1
		}
		if (stage[k] == 1)
			dg[k]++
		next
	}
	if ($2 != port[k] || stage[k] == 0)
		next
	dg[k]++
	if (stage[k] == 1) {
		if (ver[k] == "DTLSv1.3")
			start = type == "16" && epoch == "0000" && mt == "02" && substr(p, 55, 64) != hrr
		else
			start = type == "14"
		if (!start)
			next
		stage[k] = 2
	}
	t1[k] = $1
}
END {
	for (i = 1; i <= n; i++) {
		done(i)
		if (stage[i] != 3)
			printf "missing %s %s run %d (stage %d)\n", name[i], path[i], i, stage[i]
	}
}' "$T/runs" "$T/frames" >"$T/hs" || fail "reading the capture"
if grep -q '^missing ' "$T/hs"; then
	fail "a handshake not found in the capture: $(grep '^missing ' "$T/hs" | head -n 3)"
fi

# med NAME PATH FIELD: the median of FIELD (3 ms, 4 datagrams) of the runs.
med() {
	awk -v n="$1" -v p="$2" -v f="$3" '$1 == n && $2 == p { print $f }' "$T/hs" |
		sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

echo "bench dtls-handshake: first ClientHello to the server's last handshake flight" \
	"(a capture on lo), median of $RUNS, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-52s %8s %10s %17s  %s\n' "" "ms lo" "ms ${RTT}ms" "datagrams lo/${RTT}ms" "version"
for n in $NAMES; do
	case $n in
	ours12) what="ours, dtls-peer on the system $(cat "$T/nss-$n")" ;;
	ours13) what="ours, dtls-peer on Firefox's $(cat "$T/nss-$n")" ;;
	openssl) what="openssl s_client $(openssl version | cut -d' ' -f2) -dtls1_2, our server" ;;
	esac
	vers=$(awk -v n="$n" '$1 == n { print $5 }' "$T/runs" | sort -u | tr '\n' ' ')
	printf '%-52s %8s %10s %11s /%4s  %s\n' "$what" "$(med "$n" lo 3)" "$(med "$n" rtt 3)" \
		"$(med "$n" lo 4)" "$(med "$n" rtt 4)" "${vers% }"
done
case $NAMES in
*ours13*) ;;
*) echo "ours on Firefox's NSS (DTLS 1.3): skipped, firefox-esr is not installed ($FF/libnss3.so)" ;;
esac
printf '%-52s %8s %10s\n' "ratio ours/openssl, DTLS 1.2 (no goal)" \
	"$(awk -v a="$(med ours12 lo 3)" -v b="$(med openssl lo 3)" 'BEGIN { printf "%.2f", a / b }')" \
	"$(awk -v a="$(med ours12 rtt 3)" -v b="$(med openssl rtt 3)" 'BEGIN { printf "%.2f", a / b }')"
exit 0
