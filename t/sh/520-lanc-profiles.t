#!/bin/sh
# SPDX-License-Identifier: MIT
# lanturn-client end to end through coturn with the shaped profiles:
# opus (50 pps, about 6.8 kB/s of capacity, backpressure instead of
# loss) carries 200 kB, video (30 fps, up to 2.5 Mbit/s) 4 MB, both
# sha256-exact; the goodput of each is noted.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-lanturn.sh"
. "$PW_TOP/t/lib-lanclient.sh"

lanturn_up 4000000
head -c 200000 /dev/urandom >"$T/www/200k.bin"
lanc_turn a
a_port=$turn_port
lanc_cred "turn:127.0.0.1:$a_port" >"$T/cred"

lanc_client opus opus "turn:127.0.0.1:$a_port"
lanc_fetch opus 200k.bin 120
note "opus: 200000 bytes in $fetch_ms ms, $((200000 * 8 / fetch_ms)) kbit/s"
pw_stop opus
grep -q 'call 1 up through' "$T/opus.err" || fail "opus: no call"

lanc_client video video "turn:127.0.0.1:$a_port"
lanc_fetch video big.bin 60
note "video: 4000000 bytes in $fetch_ms ms, $((4000000 * 8 / fetch_ms)) kbit/s"
pw_stop video
grep -q Sanitizer "$T/opus.err" "$T/video.err" && fail "sanitizer"
exit 0
