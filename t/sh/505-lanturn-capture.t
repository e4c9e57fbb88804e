#!/bin/sh
# SPDX-License-Identifier: MIT
# What an observer on the wire sees of lanturn calls (tshark on lo, read
# by t/helpers/lanturn-pcap.py): an opus call is PT 111 at about 50
# packets a second each way, every packet 68-197 bytes (RTP header, a
# 40-169-byte payload, the 16-byte tag of AEAD_AES_128_GCM, the SRTP
# profile Firefox picks), no marker bit; a video call adds
# PT 96 frames of at most 1,228 bytes with the marker bit about 30 times
# a second. Neither shows a Turbo Tunnel token or the downloaded bytes in
# the clear.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-nss.sh"
. "$PW_TOP/t/lib-lanturn.sh"

nss_need_capture
lanturn_up 1000000
head -c 30000 /dev/urandom >"$T/www/30k.bin"
file_hex=$(od -An -tx1 -N16 -j 20000 "$T/www/30k.bin" | tr -d ' \n')
big_hex=$(od -An -tx1 -N16 -j 500000 "$T/www/big.bin" | tr -d ' \n')

# field FILE DIR PT KEY: KEY's value on the line for that stream.
field() {
	awk -v d="$2" -v pt="pt=$3" -v k="$4" '$1 == d && $2 == pt {
		for (i = 3; i <= NF; i++) { split($i, a, "="); if (a[1] == k) print a[2] } }' "$1"
}

# in_range VALUE LOW HIGH (decimals allowed)
in_range() {
	awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v + 0 >= lo && v + 0 <= hi) }'
}

capture() {
	_label=$1
	_prof=$2
	_file=$3
	nss_capture_start "udp port $lt_port"
	lanturn_client "$_label" "$_prof"
	pw_fetch "$_label" "$_file" --socks5-hostname "127.0.0.1:$client_port" "$url/$_file"
	pw_stop "$_label"
	nss_capture_stop 200
	python3 "$PW_PY/lanturn-pcap.py" "$T/cap.pcap" "$lt_port" 1293605d278175f5 \
		bb6f23681b150a1f "$file_hex" "$big_hex" >"$T/$_label.wire" || fail "lanturn-pcap.py"
	while IFS= read -r l; do
		note "$_label: $l"
	done <"$T/$_label.wire"
	awk '$1 == "needle" && $3 != 0 { exit 1 }' "$T/$_label.wire" ||
		fail "$_label: plaintext on the wire: $(grep needle "$T/$_label.wire")"
	for d in up down; do
		pps=$(field "$T/$_label.wire" $d 111 pps)
		in_range "$pps" 40 60 || fail "$_label $d: opus at $pps pps"
		for k in min max; do
			in_range "$(field "$T/$_label.wire" $d 111 $k)" 68 197 ||
				fail "$_label $d: opus $k size outside 68-197"
		done
		[ "$(field "$T/$_label.wire" $d 111 markers)" = 0 ] || fail "$_label $d: opus with markers"
	done
}

capture opus opus 30k.bin
grep -q "pt=96" "$T/opus.wire" && fail "opus: a video stream without the camera"

capture video video big.bin
for d in up down; do
	in_range "$(field "$T/video.wire" $d 96 max)" 100 1228 || fail "video $d: packet sizes"
	in_range "$(field "$T/video.wire" $d 96 marker_rate)" 20 40 || fail "video $d: frame rate"
done
in_range "$(field "$T/video.wire" down 96 pps)" 60 100000 ||
	fail "video down: $(field "$T/video.wire" down 96 pps) pps while downloading"
