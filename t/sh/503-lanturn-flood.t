#!/bin/sh
# SPDX-License-Identifier: MIT
# lanturn-egress under attack: 3,000 real DTLS ClientHellos from as many
# source ports of one address, and 3,000 garbage datagrams (some shaped
# like a ClientHello record) from another. Bounds asserted: calls per
# source (16) and the handshake rate (10/s) refuse the rest, garbage opens
# nothing that lasts, half-open calls end at the handshake timeout (2 s),
# RSS stays within 64 MB of where it started (ASan included), and a legitimate call from
# a third address downloads 1 MB sha256-exact meanwhile. Then idle
# expiry (3 s) ends the legitimate call once its client is gone.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-lanturn.sh"

lanturn_up 1000000 --handshake-timeout 2 --idle-timeout 3 --max-calls-per-source 16 \
	--handshake-rate 10
rss0=$(pw_rss "$lt_pid")
pw_start_bg flood "$PW_HELPERS/lanturn-flood" -p "127.0.0.1:$lt_port" -b 127.0.0.2 -n 3000
flood_pid=$pw_pid
pw_start_bg junk "$PW_HELPERS/lanturn-flood" -p "127.0.0.1:$lt_port" -b 127.0.0.3 -n 3000 --garbage
junk_pid=$pw_pid
lanturn_client client bulk
pw_fetch during-flood big.bin --socks5-hostname "127.0.0.1:$client_port" "$url/big.bin"
pw_wait "$flood_pid" 60
[ "$pw_rc" -eq 0 ] || fail "flood helper: exit $pw_rc"
pw_wait "$junk_pid" 60
[ "$pw_rc" -eq 0 ] || fail "junk helper: exit $pw_rc"
rss1=$(pw_rss "$lt_pid")
calls=$(lt_metric lanturn_calls)
total=$(lt_metric lanturn_calls_total)
rate=$(lt_metric 'lanturn_refused_total{reason="rate"}')
limit=$(lt_metric 'lanturn_refused_total{reason="limit"}')
ignored=$(lt_metric lanturn_ignored_total)
note "after the floods: calls=$calls opened=$total refused rate=$rate limit=$limit" \
	"ignored=$ignored rss ${rss0}->${rss1} kB"
[ "$calls" -le 34 ] || fail "calls $calls over 16 per flooding source + the client"
# 3,000 hellos + 1,000 look-alikes: all refused but the 16 per source,
# most by the rate (a burst of 20, then 10 a second).
[ $((rate + limit)) -ge 3900 ] || fail "the limits refused only $((rate + limit))"
[ "$rate" -ge 3000 ] || fail "the handshake rate refused only $rate"
[ "$ignored" -gt 1000 ] || fail "only $ignored garbage datagrams ignored"
[ "$rss1" -le $((rss0 + 65536)) ] || fail "RSS grew from $rss0 to $rss1 kB"
# Half-open calls end at the handshake timeout; the client's stays.
lt_wait_metric lanturn_calls -le 1 10
pw_fetch after-flood 1k.bin --socks5-hostname "127.0.0.1:$client_port" "$url/1k.bin"
[ "$(lt_metric lanturn_calls_up)" -eq 1 ] || fail "the legitimate call is not up"
pw_stop client
lt_wait_metric lanturn_calls -eq 0 10
[ "$(lt_metric lanturn_calls_expired_total)" -ge 1 ] || fail "no call expired"
