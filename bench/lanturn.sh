#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/lanturn.sh — lanturn calls on loopback, straight over UDP (no
# TURN server): socks-client -> t/helpers/lanturn-call -> lanturn-egress
# -> egress -> httpd. Figures, each with its baseline in the same run:
#   opus goodput of a PW_BENCH_OPUS_BYTES (200 kB) download against the
#     profile's capacity (50 pps x the mean data bytes of a 110-169-byte
#     payload, about 6.8 kB/s; goal >= 0.9x);
#   video goodput of PW_BENCH_VIDEO_BYTES (5 MB) (goal >= 1.5 Mbit/s);
#   bulk goodput of PW_BENCH_BULK_BYTES (50 MB), against the same chain
#     with a direct tcp: carrier (socks-client -> egress);
#   one idle opus call's datagrams and bytes per minute (measured over
#     10 s, lanturn-egress's /metrics);
#   lanturn-egress memory per call: RSS before and after
#     PW_BENCH_CALLS (40) idle bulk calls, each with its egress connection.
# Needs PW_BIN and PW_HELPERS; exits 0 unless a measurement failed.
cd "$(dirname "$0")/.." || exit 101
PW_TOP=$PWD
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-lanturn.sh"

OPUS=${PW_BENCH_OPUS_BYTES:-200000}
VIDEO=${PW_BENCH_VIDEO_BYTES:-5000000}
BULK=${PW_BENCH_BULK_BYTES:-50000000}
NCALLS=${PW_BENCH_CALLS:-40}

lanturn_up 1000
for n in "$OPUS" "$VIDEO" "$BULK"; do
	head -c "$n" /dev/urandom >"$T/www/$n.bin"
done

# seconds LABEL PORT FILE: time one download (a warm-up fetch first, so
# the handshake and the session are not counted).
seconds() {
	curl -sS --max-time 30 -o /dev/null --socks5-hostname "127.0.0.1:$2" "$url/1k.bin" ||
		fail "$1: warm-up failed"
	_t0=$(date +%s.%N)
	curl -sS --max-time 600 -o "$T/got" --socks5-hostname "127.0.0.1:$2" "$url/$3" ||
		fail "$1: download failed"
	_t1=$(date +%s.%N)
	[ "$(pw_sha "$T/got")" = "$(pw_sha "$T/www/$3")" ] || fail "$1: sha256 mismatch"
	echo "$_t1 - $_t0" | bc -l
}

rate() { # BYTES SECONDS -> bytes/s
	echo "$1 / $2" | bc -l
}

printf '%-44s %s\n' "lanturn (loopback, no TURN)" "figure"
lanturn_client opus opus
s=$(seconds opus "$client_port" "$OPUS.bin")
r=$(rate "$OPUS" "$s")
cap=$(echo "50 * (139.5 - 3)" | bc -l)
printf '%-44s %.0f B/s (%.1f kbit/s) in %.1f s\n' "opus goodput" "$r" "$(echo "$r * 8 / 1000" | bc -l)" "$s"
printf '%-44s %.0f B/s; ratio %.2f (goal >= 0.9)\n' "opus capacity (50 pps x 136.5 data bytes)" \
	"$cap" "$(echo "$r / $cap" | bc -l)"
d0=$(lt_metric lanturn_datagrams_out_total)
b0=$(lt_metric lanturn_bytes_out_total)
sleep 10 # a measurement window, not a wait
d1=$(lt_metric lanturn_datagrams_out_total)
b1=$(lt_metric lanturn_bytes_out_total)
printf '%-44s %d datagrams, %d bytes per minute down\n' "idle opus call" "$(((d1 - d0) * 6))" \
	"$(((b1 - b0) * 6))"
pw_stop opus

lanturn_client video video
s=$(seconds video "$client_port" "$VIDEO.bin")
r=$(rate "$VIDEO" "$s")
printf '%-44s %.2f Mbit/s in %.1f s (goal >= 1.5)\n' "video goodput" \
	"$(echo "$r * 8 / 1000000" | bc -l)" "$s"
pw_stop video

lanturn_client bulk bulk
s=$(seconds bulk "$client_port" "$BULK.bin")
r=$(rate "$BULK" "$s")
pw_start direct 1 pw_socks_client -l tcp:127.0.0.1:0 -C "unix:$T/egress.sock"
s2=$(seconds direct "$pw_port" "$BULK.bin")
r2=$(rate "$BULK" "$s2")
printf '%-44s %.1f MB/s; direct carrier %.1f MB/s; ratio %.2f\n' "bulk goodput" \
	"$(echo "$r / 1000000" | bc -l)" "$(echo "$r2 / 1000000" | bc -l)" "$(echo "$r / $r2" | bc -l)"
pw_stop bulk
pw_stop direct

# Idle calls: a second lanturn-egress whose upstream only accepts and
# holds connections; each lanturn-call gets a preamble on stdin, then
# nothing, so each call is up with its upstream connection open.
pw_start hold 1 python3 -c 'import select, socket
s = socket.socket(socket.AF_UNIX); s.bind(__import__("sys").argv[1]); s.listen(1024)
print("ready unix:" + s.getsockname(), flush=True)
held = []
while True:
    held.append(s.accept()[0])' "$T/hold.sock"
pw_start lt2 2 "$PW_BIN/lanturn-egress" -l udp:127.0.0.1:0 -u "unix:$T/hold.sock" \
	--admin "unix:$T/lt2.sock"
lt2_pid=$pw_pid
lt2_port=${pw_ep##*:}
lt2_fp=$(awk '$1 == "fingerprint" { print $2 }' "$T/lt2.out")
rss0=$(pw_rss "$lt2_pid")
# Their stdin stays open while this shell holds the FIFO's write end (fd
# 5, which the readers do not inherit); closing it ends them.
mkfifo "$T/hold" || fail mkfifo
exec 5<>"$T/hold"
i=0
pids=""
while [ "$i" -lt "$NCALLS" ]; do
	# A simple command, so "5<&-" closes fd 5 in it for good (a shell
	# keeps a copy of a redirected fd around a compound command).
	sh -c 'printf "\273\157\043\150\033\025\012\037"; head -c 8 /dev/urandom; exec cat "$1"' \
		sh "$T/hold" 5<&- | "$PW_HELPERS/lanturn-call" -p "127.0.0.1:$lt2_port" -f "$lt2_fp" --profile bulk \
		>/dev/null 2>>"$T/idle.err" 5<&- &
	pids="$pids $!"
	pw_track "$!"
	i=$((i + 1))
done
_i=0
until [ "$(pw_metric "$T/lt2.sock" lanturn_calls_up)" = "$NCALLS" ]; do
	_i=$((_i + 1))
	[ "$_i" -lt 600 ] || fail "only $(pw_metric "$T/lt2.sock" lanturn_calls_up) calls up"
	sleep 0.1
done
rss1=$(pw_rss "$lt2_pid")
mem=$(pw_metric "$T/lt2.sock" lanturn_memory_bytes)
printf '%-44s %d kB RSS per call (%d calls: %d -> %d kB); accounted %d B per call\n' \
	"lanturn-egress memory" $(((rss1 - rss0) / NCALLS)) "$NCALLS" "$rss0" "$rss1" \
	$((mem / NCALLS))
exec 5>&-
for p in $pids; do
	pw_wait "$p" 10
done
